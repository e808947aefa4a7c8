"""The option types of lax's signatures: precision and dot algorithms, rounding,
accuracy of transcendental functions, and bit-generator algorithms.

They carry JAX's names and values so code written against ``jax.lax`` passes
them unchanged. funcgrad computes every dot product and transcendental function
at XLA's default for the dtype; functions that take one of these options say
which values they honour and raise for the rest.
"""
from __future__ import annotations

import enum
from typing import Any, NamedTuple


class Precision(enum.Enum):
    """How much of float32's precision a dot product or convolution keeps on
    accelerators (TPUs compute float32 products in bfloat16 passes by default).
    Also spelled as strings: 'default'/'fastest'/'bfloat16', 'high'/'bfloat16_3x'/
    'tensorfloat32', 'highest'/'float32'.

    >>> Precision("highest")
    Precision.HIGHEST
    """

    DEFAULT = 0
    HIGH = 1
    HIGHEST = 2

    @classmethod
    def _missing_(cls, value: object) -> Precision | None:
        if value is None:
            return cls.DEFAULT
        if isinstance(value, str):
            return _PRECISION_NAMES.get(value.lower())
        return None

    def __repr__(self) -> str:
        return f"{type(self).__name__}.{self.name}"

    def __str__(self) -> str:
        return self.name


_PRECISION_NAMES = {
    "default": Precision.DEFAULT, "fastest": Precision.DEFAULT, "bfloat16": Precision.DEFAULT,
    "high": Precision.HIGH, "bfloat16_3x": Precision.HIGH, "tensorfloat32": Precision.HIGH,
    "highest": Precision.HIGHEST, "float32": Precision.HIGHEST,
}


class RoundingMethod(enum.IntEnum):
    """Where `lax.round` sends halfway cases: away from zero (C's ``round``, lax's
    default) or to the nearest even integer (NumPy's ``round``)."""

    AWAY_FROM_ZERO = 0
    TO_NEAREST_EVEN = 1


class DotAlgorithm(NamedTuple):
    """A dot product's algorithm spelled out: the dtypes its operands are rounded to,
    the accumulator's dtype, and how many pieces each operand is split into (for
    algorithms that emulate a wider type with several narrow products)."""

    lhs_precision_type: Any
    rhs_precision_type: Any
    accumulation_type: Any
    lhs_component_count: int = 1
    rhs_component_count: int = 1
    num_primitive_operations: int = 1
    allow_imprecise_accumulation: bool = False


class DotAlgorithmPreset(enum.Enum):
    """The named dot algorithms XLA knows, ``LHS_RHS_ACCUMULATOR`` (with the number
    of passes where an algorithm emulates float32 with bfloat16 products)."""

    DEFAULT = enum.auto()
    ANY_F8_ANY_F8_F32 = enum.auto()
    ANY_F8_ANY_F8_F32_FAST_ACCUM = enum.auto()
    ANY_F8_ANY_F8_ANY = enum.auto()
    ANY_F8_ANY_F8_ANY_FAST_ACCUM = enum.auto()
    F16_F16_F16 = enum.auto()
    F16_F16_F32 = enum.auto()
    BF16_BF16_BF16 = enum.auto()
    BF16_BF16_F32 = enum.auto()
    BF16_BF16_F32_X3 = enum.auto()
    BF16_BF16_F32_X6 = enum.auto()
    BF16_BF16_F32_X9 = enum.auto()
    TF32_TF32_F32 = enum.auto()
    TF32_TF32_F32_X3 = enum.auto()
    F32_F32_F32 = enum.auto()
    F64_F64_F64 = enum.auto()

    def __repr__(self) -> str:
        return f"{type(self).__name__}.{self.name}"

    def __str__(self) -> str:
        return self.name


PrecisionLike = (None | str | Precision | tuple[str, str] | tuple[Precision, Precision]
                 | DotAlgorithm | DotAlgorithmPreset)


class AccuracyMode(enum.Enum):
    """How accurate a transcendental function must be: the best the backend has, or
    its default (fastest) implementation."""

    HIGHEST = 1
    DEFAULT = 2


class Tolerance:
    """The accuracy a transcendental function must reach: an absolute and a relative
    tolerance, or an absolute one and a number of units in the last place.

    >>> Tolerance(rtol=1e-6).rtol
    1e-06
    """

    def __init__(self, atol: float = 0.0, rtol: float = 0.0, ulps: int = 0):
        if atol < 0.0 or rtol < 0.0 or ulps < 0:
            raise ValueError(f"Tolerance: atol, rtol and ulps must be non-negative, got "
                             f"atol={atol}, rtol={rtol}, ulps={ulps}")
        if atol == 0.0 and rtol == 0.0 and ulps == 0:
            raise ValueError("Tolerance: set at least one of atol, rtol or ulps")
        self.atol = atol
        self.rtol = rtol
        self.ulps = ulps

    def __repr__(self) -> str:
        return f"Tolerance(atol={self.atol}, rtol={self.rtol}, ulps={self.ulps})"


class RandomAlgorithm(enum.IntEnum):
    """The bit generator of ``rng_bit_generator``: the backend's default,
    Threefry or Philox."""

    RNG_DEFAULT = 0
    RNG_THREE_FRY = 1
    RNG_PHILOX = 2

    def __str__(self) -> str:
        return self.name
