"""Array creation: array/asarray, zeros/ones/full, arange, linspace, eye, *_like."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from funcgrad import core, dtypes
from funcgrad import primitives as P
from funcgrad.array import Array, copy_array, from_numpy
from funcgrad.core import Tracer
from funcgrad.numpy._nested import from_python
from funcgrad.numpy._shape import broadcast_to, moveaxis
from funcgrad.numpy._util import (asarray_operand, aval_of, canonical_dtype, convert,
                                  promote_inexact)


def _shape(shape: int | Sequence[int]) -> tuple[int, ...]:
    if isinstance(shape, (int, np.integer)):
        shape = (int(shape),)
    out = tuple(int(operator_index(d)) for d in shape)
    if any(d < 0 for d in out):
        raise ValueError(f"negative dimensions are not allowed: {out}")
    return out


def operator_index(d: Any) -> int:
    import operator
    return operator.index(d)


def array(obj: Any, dtype: Any = None, copy: bool = True, ndmin: int = 0) -> Any:
    """Like numpy.array; Python floats become float64 (or the configured default)."""
    dt = canonical_dtype(dtype)
    if type(obj) is Array or isinstance(obj, Tracer):
        out = obj if dt is None else convert(obj, dt)
        if aval_of(out).weak_type:
            out = convert(out, aval_of(out).dtype, False)
        if copy and out is obj and type(obj) is Array:
            out = copy_array(obj)     # its own buffer: donating one leaves the other intact
    else:
        out = from_python(obj, dt)
    while ndmin and aval_of(out).ndim < ndmin:
        out = P.expand_dims_p.bind(out, dimensions=(0,))
    return out


def asarray(a: Any, dtype: Any = None, copy: bool | None = None) -> Any:
    if hasattr(a, "__dlpack__") and not isinstance(a, (np.ndarray, Array)) and \
            not isinstance(a, Tracer):
        a = np.from_dlpack(a)
    return array(a, dtype=dtype, copy=bool(copy))


def from_dlpack(x: Any, *, device: Any = None, copy: bool | None = None) -> Any:
    """An Array holding the data of a DLPack producer (NumPy, PyTorch, CuPy... or a
    funcgrad Array): the data is copied to funcgrad's device."""
    if type(x) is Array and (device is None or x.device == device):
        return copy_array(x) if copy else x
    if not hasattr(x, "__dlpack__"):
        raise TypeError(f"from_dlpack needs an object with __dlpack__, got {type(x).__name__}")
    return from_numpy(np.from_dlpack(x), device=device)


def full(shape: int | Sequence[int], fill_value: Any, dtype: Any = None) -> Any:
    shape = _shape(shape)
    dt = canonical_dtype(dtype)
    if type(fill_value) is int and dt is None and 2**63 <= fill_value < 2**64:
        dt = dtypes.canonicalize(np.uint64)      # NumPy's dtype for such an int
    if isinstance(fill_value, (bool, int, float, complex)) or isinstance(fill_value, np.generic):
        dt = dt or core.get_aval(fill_value).dtype
        if dt == dtypes.float64 and isinstance(fill_value, float):
            dt = dtypes.default_float() if dtype is None else dt
        v = convert(fill_value, dt, False)
    else:
        v = asarray_operand(fill_value)
        if dt is not None:
            v = convert(v, dt)
        elif aval_of(v).weak_type:
            v = convert(v, aval_of(v).dtype, False)
    return broadcast_to(v, shape)


def zeros(shape: int | Sequence[int], dtype: Any = None) -> Any:
    return full(shape, 0, dtype or dtypes.default_float())


def ones(shape: int | Sequence[int], dtype: Any = None) -> Any:
    return full(shape, 1, dtype or dtypes.default_float())


def empty(shape: int | Sequence[int], dtype: Any = None) -> Any:
    return zeros(shape, dtype)


def _like_shape(a: Any, shape: Any) -> tuple[int, ...]:
    return aval_of(asarray_operand(a)).shape if shape is None else _shape(shape)


def _like_dtype(a: Any, dtype: Any) -> np.dtype:
    return canonical_dtype(dtype) or aval_of(asarray_operand(a)).dtype


def full_like(a: Any, fill_value: Any, dtype: Any = None, shape: Any = None) -> Any:
    return full(_like_shape(a, shape), convert(fill_value, _like_dtype(a, dtype)))


def zeros_like(a: Any, dtype: Any = None, shape: Any = None) -> Any:
    return full_like(a, 0, dtype, shape)


def ones_like(a: Any, dtype: Any = None, shape: Any = None) -> Any:
    return full_like(a, 1, dtype, shape)


def empty_like(a: Any, dtype: Any = None, shape: Any = None) -> Any:
    return zeros_like(a, dtype, shape)


def _concrete(x: Any, name: str) -> Any:
    if isinstance(x, Tracer):
        raise core.concretization_error(x, f"the {name} argument of arange/linspace")
    return x.item() if type(x) is Array else x


def arange(start: Any, stop: Any = None, step: Any = None, dtype: Any = None) -> Any:
    """Like numpy.arange: Python ints give int64, floats give float64."""
    start = _concrete(start, "start")
    stop = _concrete(stop, "stop")
    step = _concrete(step, "step")
    host = np.arange(start, stop, step) if dtype is None else \
        np.arange(start, stop, step, dtype=canonical_dtype(dtype))
    dt = canonical_dtype(dtype) or (dtypes.default_float() if host.dtype == np.float64
                                    else dtypes.canonicalize(host.dtype))
    n = host.shape[0]
    if dtypes.is_integer(dt) and (step is None or isinstance(step, (int, np.integer))):
        i = P.iota_p.bind(dtype=dt, shape=(n,), dimension=0)
        first = host[0] if n else 0
        s = 1 if step is None else step
        if s != 1:
            i = P.mul_p.bind(i, convert(s, dt))
        return P.add_p.bind(i, convert(first, dt)) if first else i
    return from_numpy(host.astype(dt))


def linspace(start: Any, stop: Any, num: int = 50, endpoint: bool = True,
             retstep: bool = False, dtype: Any = None, axis: int = 0) -> Any:
    num = int(num)
    if num < 0:
        raise ValueError(f"Number of samples, {num}, must be non-negative.")
    s, e = promote_inexact(asarray_operand(start), asarray_operand(stop))
    s, e = convert(s, aval_of(s).dtype, False), convert(e, aval_of(e).dtype, False)
    dt = aval_of(s).dtype
    div = (num - 1) if endpoint else num
    step = P.div_p.bind(P.sub_p.bind(e, s), convert(max(div, 1), dt))
    shape_s = aval_of(s).shape
    out_shape = (num, *shape_s)
    i = P.iota_p.bind(dtype=dt, shape=(num,), dimension=0)
    i = P.reshape_p.bind(i, new_sizes=(num,) + (1,) * len(shape_s))
    out = P.add_p.bind(s, P.mul_p.bind(i, step))
    if endpoint and num > 1:
        last = P.broadcast_in_dim_p.bind(e, shape=(1, *shape_s),
                                         broadcast_dimensions=tuple(range(1, 1 + len(shape_s))))
        out = P.concatenate_p.bind(P.slice_p.bind(out, start_indices=(0,) * len(out_shape),
                                                  limit_indices=(num - 1, *shape_s),
                                                  strides=(1,) * len(out_shape)),
                                   last, dimension=0)
    if axis != 0:
        out = moveaxis(out, 0, axis)
    if dtype is not None:
        out = convert(out, dtypes.canonicalize(dtype))
    if retstep:
        return out, step
    return out


def eye(N: int, M: int | None = None, k: int = 0, dtype: Any = None) -> Any:
    M = N if M is None else M
    dt = canonical_dtype(dtype) or dtypes.default_float()
    r = P.iota_p.bind(dtype=dtypes.int64, shape=(N, M), dimension=0)
    c = P.iota_p.bind(dtype=dtypes.int64, shape=(N, M), dimension=1)
    return convert(P.eq_p.bind(P.add_p.bind(r, convert(k, dtypes.int64)), c), dt)


def identity(n: int, dtype: Any = None) -> Any:
    return eye(n, dtype=dtype)


def copy(a: Any) -> Any:
    return array(a, copy=True)


__all__ = ["array", "asarray", "from_dlpack", "full", "zeros", "ones", "empty", "full_like",
           "zeros_like", "ones_like", "empty_like", "arange", "linspace", "eye", "identity",
           "copy"]
