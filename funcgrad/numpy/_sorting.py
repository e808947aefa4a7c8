"""Sorting and searching: ``sort``, ``argsort``, ``lexsort``, ``searchsorted``,
``nonzero``, ``flatnonzero``, ``argwhere``, ``where`` and ``unique``.

Sorts are one stable `sort` primitive (NaNs last, as in NumPy). Functions whose
result size depends on the values (``nonzero``, ``unique``, one-argument
``where``) compute it on the host for a concrete input; under jit they need
``size=`` and write their results with one scatter (`_advanced`).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from funcgrad import dtypes
from funcgrad import primitives as P
from funcgrad.array import from_numpy
from funcgrad.core import Tracer
from funcgrad.errors import ConcretizationError, UnsupportedError
from funcgrad.numpy._advanced import scatter_update, take
from funcgrad.numpy._creation import full, zeros
from funcgrad.numpy._indexing import getitem
from funcgrad.numpy._shape import broadcast_arrays
from funcgrad.numpy._ufuncs import (isnan, less, logical_and, logical_not, logical_or,
                                    not_equal)
from funcgrad.numpy._util import asarray_operand, aval_of, convert, normalize_axis, promote

_INDEX_DTYPE = dtypes.int64


def _flat_or_axis(a: Any, axis: int | None) -> tuple[Any, int]:
    x = asarray_operand(a)
    if axis is None:
        return P.reshape_p.bind(x, new_sizes=(aval_of(x).size,)), 0
    return x, normalize_axis(axis, aval_of(x).ndim)


def _check_sort_args(name: str, kind: Any, order: Any) -> None:
    if order is not None:
        raise UnsupportedError(f"funcgrad.numpy.{name}: the argument order= (structured "
                               "arrays) is not supported")
    if kind not in (None, "stable", "mergesort", "quicksort", "heapsort"):
        raise ValueError(f"{name}: unknown kind {kind!r}")


def sort(a: Any, axis: int | None = -1, kind: str | None = None, order: Any = None, *,
         stable: bool | None = None, descending: bool = False) -> Any:
    """NumPy's sort (always stable); NaNs sort last, complex by real then imaginary part.
    `descending` (JAX's extension) reverses the order, keeping NaNs first."""
    _check_sort_args("sort", kind, order)
    x, ax = _flat_or_axis(a, axis)
    if aval_of(x).ndim == 0:
        raise np.exceptions.AxisError("sort: axis out of bounds for a 0-d array")
    out = P.sort_p.bind(x, dimension=ax, is_stable=True, num_keys=1)[0]
    return P.rev_p.bind(out, dimensions=(ax,)) if descending else out


def argsort(a: Any, axis: int | None = -1, kind: str | None = None, order: Any = None, *,
            stable: bool | None = None, descending: bool = False) -> Any:
    """NumPy's argsort (always stable): int64 indices that sort `a` along `axis`."""
    _check_sort_args("argsort", kind, order)
    x, ax = _flat_or_axis(a, axis)
    av = aval_of(x)
    if av.ndim == 0:
        raise np.exceptions.AxisError("argsort: axis out of bounds for a 0-d array")
    if descending:   # stable descending: sort the reversed axis, then map indices back
        x = P.rev_p.bind(x, dimensions=(ax,))
    iota = P.iota_p.bind(dtype=_INDEX_DTYPE, shape=av.shape, dimension=ax)
    perm = P.sort_p.bind(x, iota, dimension=ax, is_stable=True, num_keys=1)[1]
    if descending:
        n = convert(av.shape[ax] - 1, _INDEX_DTYPE)
        perm = P.rev_p.bind(P.sub_p.bind(n, perm), dimensions=(ax,))
    return perm


def lexsort(keys: Any, axis: int = -1) -> Any:
    """NumPy's lexsort: indices sorting by the last key first, then the one before..."""
    if isinstance(keys, (list, tuple)):
        ks = [asarray_operand(k) for k in keys]
    else:
        x = asarray_operand(keys)
        ks = [getitem(x, j) for j in range(aval_of(x).shape[0])]
    if not ks:
        raise TypeError("lexsort: need at least one key")
    ks = broadcast_arrays(*ks)
    av = aval_of(ks[0])
    ax = normalize_axis(axis, av.ndim)
    iota = P.iota_p.bind(dtype=_INDEX_DTYPE, shape=av.shape, dimension=ax)
    outs = P.sort_p.bind(*reversed(ks), iota, dimension=ax, is_stable=True, num_keys=len(ks))
    return outs[-1]


def _sort_less(x: Any, y: Any) -> Any:
    """x < y in NumPy's sort order (NaNs last)."""
    lt = less(x, y)
    if dtypes.is_inexact(aval_of(asarray_operand(x)).dtype):
        lt = logical_or(lt, logical_and(isnan(y), logical_not(isnan(x))))
    return lt


def searchsorted(a: Any, v: Any, side: str = "left", sorter: Any = None,
                 method: str = "compare_all") -> Any:
    """NumPy's searchsorted for a sorted 1-d `a`: int64 insertion points for `v`.

    NB: computed by comparing every `v` with every `a` (one fused compare-and-count,
    O(len(a) * v.size)), which is exact and vectorises well for moderate sizes."""
    if side not in ("left", "right"):
        raise ValueError(f"searchsorted: side must be 'left' or 'right', got {side!r}")
    if method != "compare_all":
        raise UnsupportedError(f"searchsorted: method={method!r} is not supported; "
                               "funcgrad uses 'compare_all'")
    xa = asarray_operand(a)
    if aval_of(xa).ndim != 1:
        raise ValueError(f"searchsorted: a must be 1-d, got shape {aval_of(xa).shape}")
    if sorter is not None:
        xa = take(xa, sorter)
    xa, xv = promote(xa, v)
    xv = asarray_operand(xv)
    vshape = aval_of(xv).shape
    n = aval_of(xa).shape[0]
    vv = P.expand_dims_p.bind(xv, dimensions=(len(vshape),))
    if side == "left":          # count of a[i] < v
        hit = _sort_less(xa, vv)
    else:                       # count of a[i] <= v, i.e. not (v < a[i])
        hit = logical_not(_sort_less(vv, xa))
    if n == 0:
        return P.broadcast_in_dim_p.bind(convert(0, _INDEX_DTYPE), shape=vshape,
                                         broadcast_dimensions=())
    return P.reduce_sum_p.bind(convert(hit, _INDEX_DTYPE), axes=(len(vshape),))


def _is_concrete(x: Any) -> bool:
    return not isinstance(x, Tracer) or x.concrete_value() is not None


def nonzero(a: Any, *, size: int | None = None, fill_value: Any = None) -> tuple[Any, ...]:
    """NumPy's nonzero: one int64 index array per dimension.

    With a concrete `a` and no `size` the result has as many entries as `a` has
    non-zeros. Under jit, pass `size=n`: the first n indices are returned,
    padded with `fill_value` (0 by default; a scalar or one value per dimension)."""
    x = asarray_operand(a)
    av = aval_of(x)
    if size is None:
        if not _is_concrete(x):
            raise ConcretizationError(
                f"nonzero of a traced array {av.str_short()}: the result's size depends on "
                "the values. Pass size=n (and fill_value=...) for a fixed-size result, or "
                "use fnp.where(cond, x, y) to keep the shape.")
        host = np.asarray(x if not isinstance(x, Tracer) else x.concrete_value())
        if host.ndim == 0:
            raise ValueError("nonzero of a 0-d array is not supported (NumPy 2 raises too); "
                             "use atleast_1d first")
        return tuple(from_numpy(i.astype(_INDEX_DTYPE)) for i in np.nonzero(host))
    if av.ndim == 0:
        raise ValueError("nonzero of a 0-d array is not supported; use atleast_1d first")
    size = int(size)
    flat = P.reshape_p.bind(x, new_sizes=(av.size,))
    mask = convert(flat, dtypes.bool_) if av.dtype != dtypes.bool_ else flat
    m64 = convert(mask, _INDEX_DTYPE)
    pos = P.sub_p.bind(P.cumsum_p.bind(m64, axis=0, reverse=False), convert(1, _INDEX_DTYPE))
    target = P.select_n_p.bind(mask, convert(size, _INDEX_DTYPE), pos)   # misses: dropped
    iota = P.iota_p.bind(dtype=_INDEX_DTYPE, shape=(av.size,), dimension=0)
    flat_idx = scatter_update(zeros((size,), dtype=_INDEX_DTYPE),
                              (target,), iota, "set", mode="drop",
                              unique_indices=True)
    count = P.reduce_sum_p.bind(m64, axes=(0,))
    valid = P.lt_p.bind(P.iota_p.bind(dtype=_INDEX_DTYPE, shape=(size,), dimension=0), count)
    fills = (fill_value if isinstance(fill_value, (tuple, list)) else
             [0 if fill_value is None else fill_value] * av.ndim)
    if len(fills) != av.ndim:
        raise ValueError(f"nonzero: fill_value needs one entry per dimension ({av.ndim}), "
                         f"got {len(fills)}")
    out = []
    rem = flat_idx
    strides = [int(np.prod(av.shape[d + 1:], dtype=np.int64)) for d in range(av.ndim)]
    for d in range(av.ndim):
        st_ = convert(strides[d], _INDEX_DTYPE)
        coord = P.div_p.bind(rem, st_)
        rem = P.rem_p.bind(rem, st_)
        out.append(P.select_n_p.bind(valid, convert(fills[d], _INDEX_DTYPE), coord))
    return tuple(out)


def flatnonzero(a: Any, *, size: int | None = None, fill_value: Any = None) -> Any:
    x = asarray_operand(a)
    return nonzero(P.reshape_p.bind(x, new_sizes=(aval_of(x).size,)), size=size,
                   fill_value=fill_value)[0]


def argwhere(a: Any, *, size: int | None = None, fill_value: Any = None) -> Any:
    """NumPy's argwhere: an (N, a.ndim) int64 array of the non-zero positions."""
    x = asarray_operand(a)
    av = aval_of(x)
    if av.ndim == 0:
        x = P.reshape_p.bind(x, new_sizes=(1,))
        idx = nonzero(x, size=size, fill_value=fill_value)[0]
        n = aval_of(idx).shape[0]
        return zeros((n, 0), dtype=_INDEX_DTYPE)
    cols = [P.expand_dims_p.bind(c, dimensions=(1,))
            for c in nonzero(x, size=size, fill_value=fill_value)]
    return cols[0] if len(cols) == 1 else P.concatenate_p.bind(*cols, dimension=1)


def where(condition: Any, x: Any = None, y: Any = None) -> Any:
    """`x` where `condition` holds, else `y`; ``where(condition)`` alone is
    ``nonzero(condition)``."""
    if x is None and y is None:
        return nonzero(condition)
    if x is None or y is None:
        raise ValueError("where: either both or neither of x and y should be given")
    c = asarray_operand(condition)
    if aval_of(c).dtype != dtypes.bool_:
        c = P.ne_p.bind(c, convert(0, aval_of(c).dtype))
    a, b = promote(x, y)
    dt = aval_of(a).dtype
    a, b = convert(a, dt, False), convert(b, dt, False)
    return P.select_n_p.bind(c, b, a)


def unique(ar: Any, return_index: bool = False, return_inverse: bool = False,
           return_counts: bool = False, axis: int | None = None, *, equal_nan: bool = True,
           sorted: bool = True, size: int | None = None,  # noqa: A002  (NumPy's name)
           fill_value: Any = None) -> Any:
    """NumPy's unique. Concrete input without `size`: computed on the host, like NumPy.

    With ``size=n`` (what jit needs) the result has exactly n entries: the first n
    sorted unique values, padded with `fill_value` (default: the smallest value);
    indices pad with 0 and counts with 0. NB: unique values beyond n are dropped."""
    x = asarray_operand(ar)
    av = aval_of(x)
    if size is None:
        if not _is_concrete(x):
            raise ConcretizationError(
                f"unique of a traced array {av.str_short()}: the number of unique values "
                "depends on the data. Pass size=n (and optionally fill_value=...) for a "
                "fixed-size result.")
        host = np.asarray(x if not isinstance(x, Tracer) else x.concrete_value())
        # NumPy's stubs type the flags as literals, one overload per combination
        res = np.unique(host, return_index=return_index,  # type: ignore[call-overload]
                        return_inverse=return_inverse, return_counts=return_counts,
                        axis=axis, equal_nan=equal_nan)
        if isinstance(res, tuple):
            return tuple(from_numpy(r) for r in res)
        return from_numpy(res)
    if axis is not None:
        raise UnsupportedError("unique: axis= together with size= is not supported")
    size = int(size)
    flat = P.reshape_p.bind(x, new_sizes=(av.size,))
    n = av.size
    perm = argsort(flat)
    s = take(flat, perm, mode="promise_in_bounds")
    diff = not_equal(P.slice_p.bind(s, start_indices=(1,), limit_indices=(n,), strides=(1,)),
                     P.slice_p.bind(s, start_indices=(0,), limit_indices=(n - 1,),
                                    strides=(1,)))
    if equal_nan and dtypes.is_inexact(av.dtype):
        both_nan = logical_and(isnan(P.slice_p.bind(s, start_indices=(1,), limit_indices=(n,),
                                                    strides=(1,))),
                               isnan(P.slice_p.bind(s, start_indices=(0,),
                                                    limit_indices=(n - 1,), strides=(1,))))
        diff = logical_and(diff, logical_not(both_nan))
    first = P.concatenate_p.bind(convert(np.ones(min(n, 1), bool), dtypes.bool_), diff,
                                 dimension=0) if n else diff
    pos = P.sub_p.bind(P.cumsum_p.bind(convert(first, _INDEX_DTYPE), axis=0, reverse=False),
                       convert(1, _INDEX_DTYPE))
    target = P.select_n_p.bind(first, convert(size, _INDEX_DTYPE), pos)
    if fill_value is None:
        fill = (P.slice_p.bind(s, start_indices=(0,), limit_indices=(1,), strides=(1,))
                if n else convert(0, av.dtype))
        base = P.broadcast_in_dim_p.bind(P.reshape_p.bind(fill, new_sizes=()) if n else fill,
                                         shape=(size,), broadcast_dimensions=())
    else:
        base = full((size,), fill_value, dtype=av.dtype)
    values = scatter_update(base, (target,), s, "set", mode="drop", unique_indices=True)
    out: list[Any] = [values]
    if return_index:
        out.append(scatter_update(zeros((size,), dtype=_INDEX_DTYPE), (target,), perm, "set",
                                  mode="drop", unique_indices=True))
    if return_inverse:
        inv = scatter_update(zeros((n,), dtype=_INDEX_DTYPE), (perm,), pos, "set",
                             mode="promise_in_bounds", unique_indices=True)
        out.append(P.reshape_p.bind(inv, new_sizes=av.shape))
    if return_counts:
        out.append(scatter_update(zeros((size,), dtype=_INDEX_DTYPE), (pos,),
                                  convert(1, _INDEX_DTYPE), "add", mode="drop"))
    return out[0] if len(out) == 1 else tuple(out)


def unique_values(x: Any, *, size: int | None = None, fill_value: Any = None) -> Any:
    return unique(x, size=size, fill_value=fill_value)


__all__ = ["argsort", "argwhere", "flatnonzero", "lexsort", "nonzero", "searchsorted", "sort",
           "unique", "unique_values", "where"]
