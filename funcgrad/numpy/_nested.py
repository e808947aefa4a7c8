"""Python values as arrays: numbers, NumPy arrays, and (nested) lists and tuples, which
may also hold arrays and tracers (``fnp.array([x, 2.0])`` under jit).

This is what `array` does for anything that is not yet an array. It sits below
`_util` and is written on primitives alone, because `_util.asarray_operand`, which
every other module builds on, turns a list operand into an array with it.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from funcgrad import core, dtypes
from funcgrad.array import Array, from_numpy
from funcgrad.core import Tracer, shape_error
from funcgrad.ir import Literal
from funcgrad.primitives import concatenate_p, convert_element_type_p, expand_dims_p


def _contains_traced(x: Any) -> bool:
    """Whether `x` is, or a (nested) list or tuple holds, an Array or a tracer."""
    if isinstance(x, Tracer) or type(x) is Array:
        return True
    if isinstance(x, (list, tuple)):
        return any(_contains_traced(e) for e in x)
    return False


def _huge_int(obj: Any) -> int | None:
    """The first Python int in `obj` (nested lists/tuples) that no 64-bit integer holds."""
    if isinstance(obj, int) and not isinstance(obj, bool):
        return obj if not -(2**63) <= obj < 2**64 else None
    if isinstance(obj, (list, tuple)):
        for e in obj:
            v = _huge_int(e)
            if v is not None:
                return v
    return None


def _object_error(obj: Any) -> Exception:
    big = _huge_int(obj)
    if big is not None:
        # the same words as the scalar path (core's aval of a Python int)
        return OverflowError(f"Python int {big} does not fit in int64")
    return TypeError(f"funcgrad arrays cannot hold Python objects (dtype=object), got "
                     f"{type(obj).__name__} {obj!r:.60}; pass numbers or arrays")


def _strong(x: Any, dtype: np.dtype) -> Any:
    """The Array or tracer `x` as a strongly typed array of `dtype` (a no-op when it is)."""
    aval = core.get_aval(x)
    if aval.dtype == dtype and not aval.weak_type:
        return x
    return convert_element_type_p.bind(x, new_dtype=dtype, weak_type=False)


def _entry(x: Any) -> Any:
    """One entry of a list that holds arrays or tracers, as a strongly typed array."""
    if type(x) is Array or isinstance(x, Tracer):
        return _strong(x, core.get_aval(x).dtype)
    return from_python(x, None)


def _stack(xs: list[Any]) -> Any:
    """Strongly typed arrays of one shape stacked along a new first axis, in their
    common dtype (what ``stack(xs)`` gives for them)."""
    if len({core.get_aval(x).shape for x in xs}) != 1:
        raise shape_error("stack", f"all input arrays must have the same shape, got "
                          f"{[core.get_aval(x).shape for x in xs]}")
    xs = [expand_dims_p.bind(x, dimensions=(0,)) for x in xs]
    dt, _ = dtypes.result_type(*(core.get_aval(x) for x in xs))
    xs = [_strong(x, dt) for x in xs]
    return xs[0] if len(xs) == 1 else concatenate_p.bind(*xs, dimension=0)


def from_python(obj: Any, dtype: np.dtype | None) -> Any:
    """`obj`, anything but an Array or a tracer, as a strongly typed array of `dtype`
    (a canonical dtype), or of the dtype NumPy gives it; Python floats and complex
    numbers take the configured default precision."""
    if type(obj) is Literal:        # an internal 0-d constant (a scalar a ufunc took in)
        obj = np.asarray(obj.val, obj.aval.dtype)
    if isinstance(obj, (list, tuple)) and _contains_traced(obj):
        out = _stack([_entry(o) for o in obj])
        return out if dtype is None else _strong(out, dtype)
    if isinstance(obj, (np.ndarray, np.generic)):
        host = np.asarray(obj, dtype=dtype)
    else:
        try:
            host = np.asarray(obj, dtype=dtype)
        except OverflowError:
            raise _object_error(obj) from None
        except ValueError as e:
            raise ValueError(f"funcgrad.numpy.array: cannot make an array of "
                             f"{type(obj).__name__} {obj!r:.60}: {e}") from None
        if dtype is None and host.dtype == np.float64:
            host = host.astype(dtypes.default_float())
        elif dtype is None and host.dtype == np.complex128:
            host = host.astype(dtypes.default_complex())
    if host.dtype == object:
        raise _object_error(obj)
    return from_numpy(host)
