"""Reductions with NumPy's axis/keepdims/dtype semantics and result dtypes."""
from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

import numpy as np

from funcgrad import dtypes
from funcgrad import primitives as P
from funcgrad.core import Primitive, shape_error
from funcgrad.numpy._shape import expand_dims, reshape
from funcgrad.numpy._ufuncs import UFUNCS
from funcgrad.numpy._util import (asarray_operand, aval_of, canonical_dtype, convert,
                                  normalize_axes, normalize_axis, reject)

Axis = int | Sequence[int] | None


def _sum_dtype(dt: np.dtype) -> np.dtype:
    """NumPy accumulates small ints and bools in the platform int."""
    if dt == dtypes.bool_ or (dt.kind == "i" and dt.itemsize < 8):
        return dtypes.int64
    if dt.kind == "u" and dt.itemsize < 8:
        return dtypes.uint64
    return dt


def _keep(x: Any, axes: tuple[int, ...], keepdims: bool) -> Any:
    if not keepdims or not axes:
        return x
    return expand_dims(x, axes)


def _reduce(prim: Primitive, a: Any, axis: Axis, dtype: Any, keepdims: bool, name: str,
            acc_dtype: Any = None, initial: Any = None, where: Any = None,
            out: Any = None) -> Any:
    reject(name, out=out, where=where)
    x = asarray_operand(a)
    av = aval_of(x)
    axes = normalize_axes(axis, av.ndim)
    dt = canonical_dtype(dtype) or (acc_dtype(av.dtype) if acc_dtype else av.dtype)
    x = convert(x, dt, False)
    res = prim.bind(x, axes=axes)
    if initial is not None:
        combine = {P.reduce_sum_p: "add", P.reduce_prod_p: "multiply",
                   P.reduce_max_p: "maximum", P.reduce_min_p: "minimum"}[prim]
        res = UFUNCS[combine](res, convert(initial, dt))
    return _keep(res, axes, keepdims)


def sum(a: Any, axis: Axis = None, dtype: Any = None, out: Any = None,  # noqa: A001
        keepdims: bool = False, initial: Any = None, where: Any = None) -> Any:
    return _reduce(P.reduce_sum_p, a, axis, dtype, keepdims, "sum", _sum_dtype, initial, where,
                   out)


def prod(a: Any, axis: Axis = None, dtype: Any = None, out: Any = None,
         keepdims: bool = False, initial: Any = None, where: Any = None) -> Any:
    return _reduce(P.reduce_prod_p, a, axis, dtype, keepdims, "prod", _sum_dtype, initial, where,
                   out)


def _minmax(prim: Primitive, name: str, a: Any, axis: Axis, out: Any, keepdims: bool,
            initial: Any, where: Any) -> Any:
    x = asarray_operand(a)
    av = aval_of(x)
    axes = normalize_axes(axis, av.ndim)
    if initial is None and builtins.any(av.shape[i] == 0 for i in axes):
        raise shape_error(name, f"zero-size array (shape {av.shape}) to reduction operation "
                          f"{name} which has no identity; pass initial=")
    return _reduce(prim, x, axis, None, keepdims, name, None, initial, where, out)


def max(a: Any, axis: Axis = None, out: Any = None, keepdims: bool = False,  # noqa: A001
        initial: Any = None, where: Any = None) -> Any:
    return _minmax(P.reduce_max_p, "max", a, axis, out, keepdims, initial, where)


def min(a: Any, axis: Axis = None, out: Any = None, keepdims: bool = False,  # noqa: A001
        initial: Any = None, where: Any = None) -> Any:
    return _minmax(P.reduce_min_p, "min", a, axis, out, keepdims, initial, where)


amax, amin = max, min


def _bool_reduce(prim: Primitive, name: str, a: Any, axis: Axis, out: Any, keepdims: bool,
                 where: Any) -> Any:
    reject(name, out=out, where=where)
    x = asarray_operand(a)
    if aval_of(x).dtype != dtypes.bool_:
        x = P.ne_p.bind(x, convert(0, aval_of(x).dtype))
    axes = normalize_axes(axis, aval_of(x).ndim)
    return _keep(prim.bind(x, axes=axes), axes, keepdims)


def any(a: Any, axis: Axis = None, out: Any = None, keepdims: bool = False,  # noqa: A001
        where: Any = None) -> Any:
    return _bool_reduce(P.reduce_or_p, "any", a, axis, out, keepdims, where)


def all(a: Any, axis: Axis = None, out: Any = None, keepdims: bool = False,  # noqa: A001
        where: Any = None) -> Any:
    return _bool_reduce(P.reduce_and_p, "all", a, axis, out, keepdims, where)


def _count(shape: tuple[int, ...], axes: tuple[int, ...]) -> int:
    return int(np.prod([shape[i] for i in axes], dtype=np.int64))


def mean(a: Any, axis: Axis = None, dtype: Any = None, out: Any = None,
         keepdims: bool = False, where: Any = None) -> Any:
    reject("mean", out=out, where=where)
    x = asarray_operand(a)
    av = aval_of(x)
    dt = canonical_dtype(dtype) or (av.dtype if dtypes.is_inexact(av.dtype)
                                    else dtypes.default_float())
    axes = normalize_axes(axis, av.ndim)
    s = sum(convert(x, dt, False), axis=axes, keepdims=keepdims)
    n = _count(av.shape, axes)
    return P.div_p.bind(s, convert(n, dt)) if n else P.div_p.bind(s, convert(0, dt))


def var(a: Any, axis: Axis = None, dtype: Any = None, out: Any = None, ddof: int = 0,
        keepdims: bool = False, where: Any = None, correction: Any = None) -> Any:
    reject("var", out=out, where=where)
    if correction is not None:
        ddof = correction
    x = asarray_operand(a)
    av = aval_of(x)
    dt = canonical_dtype(dtype) or (av.dtype if dtypes.is_inexact(av.dtype)
                                    else dtypes.default_float())
    x = convert(x, dt, False)
    axes = normalize_axes(axis, av.ndim)
    m = mean(x, axis=axes, keepdims=True)
    d = P.sub_p.bind(x, m)
    sq = P.mul_p.bind(d, P.conj_p.bind(d)) if dtypes.is_complex(dt) else P.mul_p.bind(d, d)
    if dtypes.is_complex(dt):
        sq = P.real_p.bind(sq)
    s = sum(sq, axis=axes, keepdims=keepdims)
    n = _count(av.shape, axes) - ddof
    return P.div_p.bind(s, convert(n, aval_of(s).dtype))


def sqrt_of_variance(v: Any) -> Any:
    """sqrt(v) with derivative 0 where v == 0.

    A variance is 0 where the data are constant along the axis (always so for
    one element); there sqrt's derivative 1 / (2 sqrt(v)) meets a zero tangent
    and gives 0 * inf = NaN. The standard deviation of a single element is 0
    whatever its value, so its derivative is 0; for n > 1 equal values the
    derivative does not exist and 0 is the subgradient taken (like autograd).
    Values are unchanged (NaN and inf variances included)."""
    zero = P.eq_p.bind(v, convert(0, aval_of(v).dtype))
    safe = P.select_n_p.bind(zero, v, convert(1, aval_of(v).dtype))
    return P.select_n_p.bind(zero, P.sqrt_p.bind(safe), convert(0, aval_of(v).dtype))


def std(a: Any, axis: Axis = None, dtype: Any = None, out: Any = None, ddof: int = 0,
        keepdims: bool = False, where: Any = None, correction: Any = None) -> Any:
    return sqrt_of_variance(var(a, axis, dtype, out, ddof, keepdims, where, correction))


def _argreduce(prim: Primitive, name: str, a: Any, axis: int | None, out: Any,
               keepdims: bool) -> Any:
    reject(name, out=out)
    x = asarray_operand(a)
    if axis is None:
        nd = aval_of(x).ndim
        x = reshape(x, -1)
        r = prim.bind(x, axis=0, index_dtype=dtypes.int64)
        return reshape(r, (1,) * nd) if keepdims else r
    ax = normalize_axis(axis, aval_of(x).ndim)
    r = prim.bind(x, axis=ax, index_dtype=dtypes.int64)
    return expand_dims(r, ax) if keepdims else r


def argmax(a: Any, axis: int | None = None, out: Any = None, *, keepdims: bool = False) -> Any:
    return _argreduce(P.argmax_p, "argmax", a, axis, out, keepdims)


def argmin(a: Any, axis: int | None = None, out: Any = None, *, keepdims: bool = False) -> Any:
    return _argreduce(P.argmin_p, "argmin", a, axis, out, keepdims)


def _cumulative(prim: Primitive, name: str, a: Any, axis: int | None, dtype: Any,
                out: Any, acc: Any) -> Any:
    reject(name, out=out)
    x = asarray_operand(a)
    if axis is None:
        x = reshape(x, -1)
        axis = 0
    av = aval_of(x)
    dt = canonical_dtype(dtype) or (acc(av.dtype) if acc else av.dtype)
    return prim.bind(convert(x, dt, False), axis=normalize_axis(axis, av.ndim), reverse=False)


def cumsum(a: Any, axis: int | None = None, dtype: Any = None, out: Any = None) -> Any:
    return _cumulative(P.cumsum_p, "cumsum", a, axis, dtype, out, _sum_dtype)


def cumprod(a: Any, axis: int | None = None, dtype: Any = None, out: Any = None) -> Any:
    return _cumulative(P.cumprod_p, "cumprod", a, axis, dtype, out, _sum_dtype)


cumulative_sum, cumulative_prod = cumsum, cumprod
