"""XLA's own random number generators: counter-based bits and the stateful uniform.

- ``rng_bit_generator key (shape, dtype, algorithm)``: XLA's RngBitGenerator,
  returning the advanced key and unsigned random bits of `shape` and `dtype`. The
  key is a uint32[4] (or the uint64[2] XLA itself takes); the algorithm is an
  int (0 the backend's default, 1 Threefry, 2 Philox), so the bits are those
  JAX's ``lax.rng_bit_generator`` draws from the same key.
- ``rng_uniform a b (shape)``: XLA's stateful Rng, uniform in [a, b); the state
  lives in the executable, so two calls give different values.

Neither has a derivative (integer bits, and a draw that does not depend smoothly
on its bounds in any useful sense); JAX gives neither a batching rule either.
"""
from __future__ import annotations

import numpy as np

from funcgrad import dtypes
from funcgrad.core import Primitive, ShapedArray, shape_error
from funcgrad.errors import DTypeError

BIT_DTYPES = tuple(np.dtype(t) for t in (np.uint8, np.uint16, np.uint32, np.uint64))
ALGORITHMS = {0: "DEFAULT", 1: "THREE_FRY", 2: "PHILOX"}


def _check_shape(name: str, shape: tuple[int, ...]) -> None:
    if not isinstance(shape, tuple) or any(type(d) is not int or d < 0 for d in shape):
        raise shape_error(name, f"shape must be a tuple of non-negative ints, got {shape!r}")


rng_bit_generator_p = Primitive("rng_bit_generator", multiple_results=True)


@rng_bit_generator_p.def_abstract_eval
def _rng_bit_generator_rule(key: ShapedArray, *, shape: tuple[int, ...], dtype: np.dtype,
                            algorithm: int) -> list[ShapedArray]:
    if not ((key.shape == (4,) and key.dtype == dtypes.uint32)
            or (key.shape == (2,) and key.dtype == dtypes.uint64)):
        raise DTypeError(f"rng_bit_generator needs a uint32[4] or uint64[2] key, got "
                         f"{key.str_short()}")
    _check_shape("rng_bit_generator", shape)
    if dtype not in BIT_DTYPES:
        raise DTypeError(f"rng_bit_generator draws uint8, uint16, uint32 or uint64 bits, got "
                         f"{dtype}")
    if algorithm not in ALGORITHMS:
        raise ValueError(f"rng_bit_generator: algorithm must be one of {sorted(ALGORITHMS)} "
                         f"(lax.RandomAlgorithm), got {algorithm!r}")
    return [ShapedArray(key.shape, key.dtype), ShapedArray(shape, dtype)]


rng_uniform_p = Primitive("rng_uniform")


@rng_uniform_p.def_abstract_eval
def _rng_uniform_rule(a: ShapedArray, b: ShapedArray, *, shape: tuple[int, ...]) -> ShapedArray:
    if a.shape != () or b.shape != ():
        raise shape_error("rng_uniform", f"bounds must be scalars, got shapes {a.shape} and "
                                         f"{b.shape}")
    if a.dtype != b.dtype:
        raise DTypeError(f"rng_uniform: bounds must share a dtype, got {a.dtype} and {b.dtype}")
    if not (dtypes.is_float(a.dtype) or dtypes.is_integer(a.dtype)):
        raise DTypeError(f"rng_uniform needs real or integer bounds, got {a.dtype}")
    _check_shape("rng_uniform", shape)
    return ShapedArray(shape, a.dtype, a.weak_type and b.weak_type)
