"""Shared plumbing for funcgrad.numpy: turning inputs into operands and promoting.

Python scalars stay weakly typed (NEP 50) until they meet an array; NumPy's
own ufunc type resolution decides each function's loop and result dtypes, so
funcgrad's results have exactly NumPy's dtypes.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from funcgrad import core, dtypes
from funcgrad.array import Array, from_numpy
from funcgrad.config import memoize
from funcgrad.core import ShapedArray, Tracer
from funcgrad.errors import UnsupportedError
from funcgrad.ir import Literal
from funcgrad.numpy._nested import from_python
from funcgrad.primitives import convert_element_type_p

_PY_SCALARS = (bool, int, float, complex)


def is_traced_or_array(x: Any) -> bool:
    return type(x) is Array or isinstance(x, Tracer)


def asarray_operand(x: Any) -> Any:
    """An Array, a tracer or a Literal standing for `x` (NumPy inputs are copied to device)."""
    if type(x) is Array or isinstance(x, Tracer) or type(x) is Literal:
        return x
    if isinstance(x, _PY_SCALARS):
        return Literal.of(x)
    if isinstance(x, (np.ndarray, np.generic)):
        if x.ndim == 0:
            return Literal.of(x)
        return from_numpy(x)
    if isinstance(x, (list, tuple)):
        return from_python(x, None)
    aval = core.get_aval(x)     # raises a clear TypeError for non-arrays
    return from_numpy(np.asarray(x, aval.dtype))


_OPERAND_HINT = "pass an array, a number, or a (nested) list of numbers"


def ufunc_operand(x: Any, fname: str) -> Any:
    """`x` as an operand of an elementwise function, converted by NumPy's rules: lists,
    tuples and NumPy values become strongly typed arrays, Python scalars stay as they
    are (weak). Anything else is a TypeError that shows `x` as the caller wrote it,
    raised before any tracing starts."""
    t = type(x)
    if t is Array or t is Literal or t in _PY_SCALARS or isinstance(x, Tracer):
        return x
    if isinstance(x, (np.ndarray, np.generic)):
        if x.dtype.kind not in "biufc" and x.dtype != dtypes.bfloat16:
            raise TypeError(f"{fname}: an operand of NumPy dtype {x.dtype} ({x!r:.60}) is "
                            f"not numeric; {_OPERAND_HINT}")
        return asarray_operand(x)
    if isinstance(x, (list, tuple)):
        try:
            return from_python(x, None)
        except OverflowError:
            raise
        except (TypeError, ValueError):
            raise TypeError(f"{fname}: cannot use the {t.__name__} {x!r:.60} as an array "
                            f"operand (it is ragged or holds non-numbers); "
                            f"{_OPERAND_HINT}") from None
    bad = TypeError(f"{fname}: the operand {t.__name__} {x!r:.60} is not a valid funcgrad "
                    f"value; {_OPERAND_HINT}")
    if isinstance(x, (str, bytes)) or x is None or t.__module__ == "builtins":
        raise bad
    try:
        return asarray_operand(x)     # objects with __array__ / __dlpack__
    except TypeError:
        raise bad from None


def materialize(x: Any) -> Any:
    """`x` as a user may see it: a Literal (an internal 0-d constant) becomes an Array."""
    if type(x) is Literal:
        return from_numpy(np.asarray(x.val, x.aval.dtype))
    return x


def aval_of(x: Any) -> ShapedArray:
    return core.get_aval(x)


def _check_int_fits(v: Any, dtype: np.dtype) -> None:
    # NEP 50: a Python int that does not fit the array's integer dtype is an error, not a wrap.
    if isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)) \
            and dtypes.is_integer(dtype):
        info = np.iinfo(dtype)
        if not info.min <= int(v) <= info.max:
            raise OverflowError(f"Python integer {int(v)} out of bounds for {dtype}")


def check_int_operands(ufunc: np.ufunc, args: Sequence[Any]) -> None:
    """Raise OverflowError for a Python int that the integer loop dtype NumPy picks for
    it cannot hold (``int8_array + 1000``).

    Eager ufuncs run as jitted functions that see a Python int only as a weak
    int64, so the check happens before dispatch."""
    if not any(type(a) is int for a in args):
        return
    loop = _resolve(ufunc, tuple(_dtype_token(a) for a in args))
    for a, dt in zip(args, loop, strict=False):
        if type(a) is int:
            _check_int_fits(a, np.dtype(dt))


def convert(x: Any, dtype: np.dtype, weak_type: bool = False) -> Any:
    """`x` as `dtype`; a no-op when it already is."""
    if isinstance(x, _PY_SCALARS) or isinstance(x, np.generic):
        if type(x) is int:
            _check_int_fits(x, dtype)
        return Literal(np.asarray(x).astype(dtype)[()], ShapedArray((), dtype, weak_type))
    if type(x) is Literal:
        if x.aval.dtype == dtype and x.aval.weak_type == weak_type:
            return x
        if x.aval.weak_type:
            _check_int_fits(x.val, dtype)
        return Literal(np.asarray(x.val).astype(dtype)[()], ShapedArray((), dtype, weak_type))
    x = asarray_operand(x)
    aval = aval_of(x)
    if aval.dtype == dtype and aval.weak_type == weak_type:
        return x
    if type(x) is Literal:
        return convert(x, dtype, weak_type)
    return convert_element_type_p.bind(x, new_dtype=dtype, weak_type=weak_type)


def _dtype_token(x: Any) -> Any:
    """What NumPy's type resolution should see for `x`: a dtype, or a Python type if weak."""
    if type(x) in _PY_SCALARS:      # exactly Python's: NumPy scalars are strongly typed
        return type(x)
    aval = aval_of(x)
    if aval.weak_type:
        return {0: bool, 1: int, 2: float, 3: complex}[dtypes.kind_rank(aval.dtype)]
    return aval.dtype


@memoize("ufunc dtype resolution")
def _resolve(ufunc: np.ufunc, tokens: tuple[Any, ...]) -> tuple[np.dtype, ...]:
    subst = tuple(dtypes.float32 if t == dtypes.bfloat16 else t for t in tokens)
    # NumPy takes no Python bool token, and compares two Python ints in an object
    # loop (ints are unbounded); weak bools/ints stand for bool/int64 here.
    subst = tuple(dtypes.bool_ if t is bool else t for t in subst)
    if ufunc.nin == 2 and subst == (int, int):
        subst = (dtypes.int64, dtypes.int64)
    try:
        res = ufunc.resolve_dtypes((*subst, *([None] * ufunc.nout)))
    except TypeError as e:
        names = ", ".join(getattr(t, "__name__", str(t)) for t in tokens)
        raise TypeError(f"{ufunc.__name__} is not supported for inputs of type {names}") from e
    if any(t == dtypes.bfloat16 for t in tokens):
        # keep bfloat16 where it is the inputs' common dtype (bf16 with f16 or int16 is f32)
        common = dtypes.result_type(*(t(0) if isinstance(t, type) else t for t in tokens))[0]
        if common == dtypes.bfloat16:
            res = tuple(dtypes.bfloat16 if r == dtypes.float32 else r for r in res)
    return tuple(res)


def ufunc_dtypes(ufunc: np.ufunc, *args: Any) -> tuple[list[np.dtype], list[np.dtype], bool]:
    """(loop input dtypes, output dtypes, weak) as NumPy resolves `ufunc` for `args`.

    `weak` is True when every input is weak: then the result stays weak, like
    the Python arithmetic it stands for.
    """
    tokens = tuple(_dtype_token(a) for a in args)
    res = _resolve(ufunc, tokens)
    weak = all(isinstance(t, type) for t in tokens)
    if not any(not isinstance(t, type) and dtypes.is_inexact(t) for t in tokens):
        # no strong inexact input (ints to float, or all weak): NumPy answers with its
        # 64-bit defaults; honour the configured float
        res = tuple(dtypes.default_float() if r == dtypes.float64 else
                    dtypes.default_complex() if r == dtypes.complex128 else r for r in res)
    return [np.dtype(r) for r in res[:ufunc.nin]], [np.dtype(r) for r in res[ufunc.nin:]], weak


def promote(*args: Any) -> list[Any]:
    """Convert args to their NEP 50 common dtype (for non-ufunc functions)."""
    dt, weak = dtypes.result_type(*(a if isinstance(a, _PY_SCALARS) else aval_of(
        asarray_operand(a)) for a in args))
    return [convert(a, dt, weak) for a in args]


def promote_inexact(*args: Any) -> list[Any]:
    """Common dtype, made inexact the way NumPy's mean/var/linspace do (ints -> default float)."""
    dt, weak = dtypes.result_type(*(a if isinstance(a, _PY_SCALARS) else aval_of(
        asarray_operand(a)) for a in args))
    if not dtypes.is_inexact(dt):
        dt = dtypes.default_float()
    return [convert(a, dt, weak) for a in args]


def normalize_axis(axis: int, ndim: int, name: str = "axis") -> int:
    if not -ndim <= axis < max(ndim, 1) or (ndim == 0 and axis not in (0, -1)):
        raise np.exceptions.AxisError(f"{name} {axis} is out of bounds for array of "
                                      f"dimension {ndim}")
    return axis % ndim if ndim else 0


def normalize_axes(axis: int | Sequence[int] | None, ndim: int) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (int, np.integer)):
        axis = (int(axis),)
    out = tuple(normalize_axis(int(a), ndim) for a in axis)
    if len(set(out)) != len(out):
        raise ValueError(f"duplicate value in 'axis': {axis}")
    return out


def reject(fname: str, **kwargs: Any) -> None:
    """Raise for NumPy arguments funcgrad does not support (never silently ignore)."""
    for k, v in kwargs.items():
        if v is not None:
            raise UnsupportedError(
                f"funcgrad.numpy.{fname}: the argument {k}= is not supported "
                f"(funcgrad arrays are immutable{': use the return value' if k == 'out' else ''})")


def canonical_dtype(dtype: Any) -> np.dtype | None:
    if dtype is None:
        return None
    return dtypes.canonicalize(dtype)
