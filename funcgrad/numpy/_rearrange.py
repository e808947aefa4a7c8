"""NumPy's functions that build arrays from pieces or rearrange them: append,
insert, delete, block, resize, rollaxis, unstack, concat, put_along_axis,
choose, compress, extract, trim_zeros, partition, argpartition, sort_complex,
fromfunction, geomspace, logspace.

Positions (insert/delete's `obj`) are static, as every shape is under jit;
where the result's length depends on values (compress, extract, trim_zeros)
the input must be concrete, or `size=` fixes the length (extract, compress).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from funcgrad.errors import ConcretizationError, UnsupportedError
from funcgrad.numpy import _shape as SH
from funcgrad.numpy import _sorting as SO
from funcgrad.numpy import _ufuncs as U
from funcgrad.numpy._creation import arange, asarray, linspace, zeros
from funcgrad.numpy._util import normalize_axis, promote

__all__ = ["append", "argpartition", "block", "choose", "compress", "concat", "delete",
           "extract", "fromfunction", "geomspace", "insert", "logspace", "partition",
           "put_along_axis", "resize", "rollaxis", "sort_complex", "trim_zeros", "unstack"]


def concat(arrays: Sequence[Any], /, *, axis: int | None = 0) -> Any:
    """The Array API's name for concatenate."""
    return SH.concatenate(arrays, axis=axis)


def unstack(x: Any, /, *, axis: int = 0) -> tuple[Any, ...]:
    a = asarray(x)
    if a.ndim == 0:
        raise ValueError("unstack: input must be at least 1-d")
    ax = normalize_axis(axis, a.ndim)
    return tuple(SH.squeeze(s, ax) for s in _split_all(a, ax))


def _split_all(a: Any, ax: int) -> list[Any]:
    return [a[(slice(None),) * ax + (i,)][(slice(None),) * ax + (None,)]
            for i in range(a.shape[ax])]


def rollaxis(a: Any, axis: int, start: int = 0) -> Any:
    x = asarray(a)
    n = x.ndim
    axis = normalize_axis(axis, n)
    if not -n <= start <= n:
        raise np.exceptions.AxisError(f"rollaxis: start {start} is out of bounds for an "
                                      f"array of dimension {n}")
    start = start + n if start < 0 else start
    if axis < start:
        start -= 1
    if axis == start:
        return x
    perm = [i for i in range(n) if i != axis]
    perm.insert(start, axis)
    return SH.transpose(x, perm)


def append(arr: Any, values: Any, axis: int | None = None) -> Any:
    a, v = asarray(arr), asarray(values)
    if axis is None:
        a, v = promote(SH.ravel(a), SH.ravel(v))
        return SH.concatenate([a, v])
    return SH.concatenate(list(promote(a, v)), axis=axis)


def _positions(obj: Any, n: int, fname: str) -> np.ndarray:
    """Static positions from a slice, an int or a sequence of ints."""
    if isinstance(obj, slice):
        return np.arange(n)[obj]
    if hasattr(obj, "dtype") and not isinstance(obj, np.ndarray):
        if not SO._is_concrete(obj):
            raise ConcretizationError(f"{fname}: positions must be static (Python ints, a "
                                      "slice or a NumPy array) under jit: the result's shape "
                                      "depends on them")
        obj = np.asarray(obj)
    pos = np.asarray(obj)
    if pos.dtype == bool:
        if pos.shape != (n,):
            raise ValueError(f"{fname}: boolean mask of shape {pos.shape} for an axis of "
                             f"length {n}")
        return np.flatnonzero(pos)
    if not np.issubdtype(pos.dtype, np.integer):
        raise IndexError(f"{fname}: positions must be integers, got {pos.dtype}")
    return pos


def delete(arr: Any, obj: Any, axis: int | None = None) -> Any:
    a = asarray(arr)
    if axis is None:
        a, axis = SH.ravel(a), 0
    ax = normalize_axis(axis, a.ndim)
    n = a.shape[ax]
    pos = _positions(obj, n, "delete")
    if pos.size and (pos.min() < -n or pos.max() >= n):
        raise IndexError(f"delete: index {int(pos.max() if pos.max() >= n else pos.min())} "
                         f"is out of bounds for axis {ax} with size {n}")
    keep = np.setdiff1d(np.arange(n), pos % n if n else pos)
    return _take(a, keep, ax)


def _take(a: Any, idx: np.ndarray, ax: int) -> Any:
    return a[(slice(None),) * ax + (asarray(idx.astype(np.int64)),)]


def insert(arr: Any, obj: Any, values: Any, axis: int | None = None) -> Any:
    """`values` inserted before the given positions, by NumPy's rules: one int
    position inserts `values` as a block (its first axis along `axis`), a sequence
    of positions inserts one slice per position."""
    a = asarray(arr)
    if axis is None:
        a, axis = SH.ravel(a), 0
    ax = normalize_axis(axis, a.ndim)
    n = a.shape[ax]
    v = asarray(values).astype(a.dtype)
    v = SH.reshape(v, (1,) * (a.ndim - v.ndim) + tuple(v.shape))       # ndmin=a.ndim
    if isinstance(obj, slice):
        pos = np.arange(n)[obj]
        scalar_pos = False
    else:
        pos = _positions(obj, n + 1, "insert")
        scalar_pos = pos.ndim == 0
    if pos.size and (pos.min() < -n or pos.max() > n):
        bad = int(pos.max() if pos.max() > n else pos.min())
        raise IndexError(f"insert: index {bad} is out of bounds for axis {ax} with size {n}")
    pos = np.where(pos < 0, pos + n, pos)
    if scalar_pos:
        v = SH.moveaxis(v, 0, ax)
        shape = list(a.shape)
        shape[ax] = v.shape[ax]
        v = SH.broadcast_to(v, tuple(shape))
        p = int(pos)
        lo = a[(slice(None),) * ax + (slice(0, p),)]
        hi = a[(slice(None),) * ax + (slice(p, None),)]
        return SH.concatenate([lo, v, hi], axis=ax)
    pos = pos.ravel()
    k = pos.size
    shape = list(a.shape)
    shape[ax] = k
    v = SH.broadcast_to(v, tuple(shape))
    order = np.argsort(pos, kind="stable")
    new_pos = pos[order] + np.arange(k)
    total = n + k
    is_new = np.zeros(total, bool)
    is_new[new_pos] = True
    old_idx = np.where(is_new, 0, np.cumsum(~is_new) - 1)
    new_idx = np.zeros(total, np.int64)
    new_idx[new_pos] = order
    mask = np.reshape(is_new, (1,) * ax + (total,) + (1,) * (a.ndim - ax - 1))
    if n == 0:
        return _take(v, new_idx, ax)
    return SO.where(asarray(mask), _take(v, new_idx, ax), _take(a, old_idx, ax))


def block(arrays: Any) -> Any:
    """Assemble an array from nested lists of blocks: the innermost lists join along
    the last axis, each level out along the axis before."""
    def depth(x: Any) -> int:
        if isinstance(x, list):
            if not x:
                raise ValueError("block: lists cannot be empty")
            ds = {depth(e) for e in x}
            if len(ds) != 1:
                raise ValueError("block: list depths are mismatched")
            return 1 + ds.pop()
        if isinstance(x, tuple):
            raise TypeError("block: arrays is a tuple; only lists can be used to arrange "
                            "blocks")
        return 0

    d = depth(arrays)
    leaves: list[Any] = []

    def collect(x: Any) -> None:
        if isinstance(x, list):
            for e in x:
                collect(e)
        else:
            leaves.append(asarray(x))
    collect(arrays)
    ndim = max([d] + [leaf.ndim for leaf in leaves])

    def build(x: Any, level: int) -> Any:
        if not isinstance(x, list):
            a = asarray(x)
            return SH.reshape(a, (1,) * (ndim - a.ndim) + a.shape)
        parts = [build(e, level + 1) for e in x]
        return SH.concatenate(list(promote(*parts)) if len(parts) > 1 else parts,
                              axis=-(d - level))
    return build(arrays, 0)


def resize(a: Any, new_shape: Any) -> Any:
    x = SH.ravel(asarray(a))
    shape = (int(new_shape),) if np.ndim(new_shape) == 0 else tuple(int(s) for s in new_shape)
    if any(s < 0 for s in shape):
        raise ValueError("resize: all elements of `new_shape` must be non-negative")
    total = int(np.prod(shape, dtype=np.int64))
    if x.shape[0] == 0 or total == 0:
        return zeros(shape, x.dtype)
    reps = -(-total // x.shape[0])
    flat = SH.concatenate([x] * reps) if reps > 1 else x
    return SH.reshape(flat[:total], shape)


def put_along_axis(arr: Any, indices: Any, values: Any, axis: int | None, *,
                   inplace: bool = True, mode: str | None = None) -> Any:
    """`arr` with `values` put at `indices` along `axis`. funcgrad arrays are
    immutable: pass inplace=False and use the result."""
    if inplace:
        raise UnsupportedError("put_along_axis: funcgrad arrays are immutable; call "
                               "put_along_axis(arr, indices, values, axis, inplace=False) "
                               "and use the result")
    a, idx = asarray(arr), asarray(indices)
    if axis is None:
        a, axis = SH.ravel(a), 0
        idx = SH.ravel(idx)
    ax = normalize_axis(axis, a.ndim)
    if idx.ndim != a.ndim:
        raise ValueError("put_along_axis: indices and arr must have the same number of "
                         "dimensions")
    grids = []
    for d in range(a.ndim):
        if d == ax:
            grids.append(SO.where(idx < 0, idx + a.shape[ax], idx))
        else:
            shape = [1] * a.ndim
            shape[d] = idx.shape[d] if idx.shape[d] != 1 else 1
            grids.append(SH.reshape(arange(shape[d]), shape))
    v = SH.broadcast_to(asarray(values).astype(a.dtype),
                        np.broadcast_shapes(*[tuple(g.shape) for g in grids]))
    return a.at[tuple(grids)].set(v, mode=mode) if mode else a.at[tuple(grids)].set(v)


def choose(a: Any, choices: Sequence[Any], out: Any = None, mode: str = "raise") -> Any:
    if out is not None:
        raise UnsupportedError("choose: out= is not supported; use the returned array")
    idx = asarray(a)
    if not np.issubdtype(idx.dtype, np.integer):
        raise TypeError(f"choose: index array must be integers, got {idx.dtype}")
    cs = list(promote(*[asarray(c) for c in choices]))
    n = len(cs)
    from funcgrad.numpy._index_tricks import index_mode
    idx = index_mode(idx, n, mode, "choose", "choice")
    shape = np.broadcast_shapes(tuple(idx.shape), *[tuple(c.shape) for c in cs])
    picks = [SH.broadcast_to(c, shape) for c in cs]
    which = SH.broadcast_to(idx, shape)
    result = picks[0]
    for k in range(1, n):
        result = SO.where(which == k, picks[k], result)
    return result


def compress(condition: Any, a: Any, axis: int | None = None, out: Any = None, *,
             size: int | None = None, fill_value: Any = 0) -> Any:
    if out is not None:
        raise UnsupportedError("compress: out= is not supported; use the returned array")
    x = asarray(a)
    cond = SH.ravel(asarray(condition)).astype(bool)
    if axis is None:
        x, axis = SH.ravel(x), 0
    ax = normalize_axis(axis, x.ndim)
    n = x.shape[ax]
    if cond.shape[0] > n:
        raise IndexError(f"compress: condition has {cond.shape[0]} entries for an axis of "
                         f"length {n}")
    if cond.shape[0] < n:
        cond = SH.concatenate([cond, asarray(np.zeros(n - cond.shape[0], bool))])
    if size is None:
        if not SO._is_concrete(cond):
            raise ConcretizationError("compress: the result's length depends on the "
                                      "condition, which is traced here; pass size=n (and "
                                      "fill_value=) for a fixed-length result under jit")
        return _take(x, np.flatnonzero(np.asarray(cond)), ax)
    (idx,) = SO.nonzero(cond, size=size, fill_value=n)
    picked = _take_traced(x, idx, ax, n, fill_value)
    return picked


def _take_traced(x: Any, idx: Any, ax: int, n: int, fill_value: Any) -> Any:
    valid = idx < n
    safe = SO.where(valid, idx, 0)
    got = x[(slice(None),) * ax + (safe,)]
    mask = SH.reshape(valid, (1,) * ax + (idx.shape[0],) + (1,) * (x.ndim - ax - 1))
    return SO.where(mask, got, asarray(fill_value, x.dtype))


def extract(condition: Any, arr: Any, *, size: int | None = None, fill_value: Any = 0) -> Any:
    return compress(SH.ravel(asarray(condition)), SH.ravel(asarray(arr)), size=size,
                    fill_value=fill_value)


def trim_zeros(filt: Any, trim: str = "fb", axis: Any = None) -> Any:
    x = asarray(filt)
    if axis is not None:
        raise UnsupportedError("trim_zeros: axis= is not supported; trim a 1-d array")
    if x.ndim != 1:
        raise ValueError("trim_zeros: filt must be 1-d")
    if not SO._is_concrete(x):
        raise ConcretizationError("trim_zeros: the result's length depends on the values, "
                                  "which are traced here")
    trim = trim.lower()
    if not set(trim) <= {"f", "b"}:
        raise ValueError(f"trim_zeros: trim must contain only 'f' and 'b', got {trim!r}")
    nz = np.flatnonzero(np.asarray(x))
    if nz.size == 0:
        return x[:0]
    lo = int(nz[0]) if "f" in trim else 0
    hi = int(nz[-1]) + 1 if "b" in trim else x.shape[0]
    return x[lo:hi]


def partition(a: Any, kth: int | Sequence[int], axis: int | None = -1, kind: str = "introselect",
              order: Any = None) -> Any:
    """A valid partition: the fully sorted array (every kth element in its sorted
    place, smaller ones before it, larger after)."""
    _check_kth("partition", a, kth, axis, kind, order)
    return SO.sort(a, axis=axis)


def argpartition(a: Any, kth: int | Sequence[int], axis: int | None = -1,
                 kind: str = "introselect", order: Any = None) -> Any:
    _check_kth("argpartition", a, kth, axis, kind, order)
    return SO.argsort(a, axis=axis, stable=True)


def _check_kth(fname: str, a: Any, kth: Any, axis: Any, kind: str, order: Any) -> None:
    if kind != "introselect" or order is not None:
        raise UnsupportedError(f"{fname}: only kind='introselect' without order= is "
                               "supported")
    x = asarray(a)
    n = x.size if axis is None else x.shape[normalize_axis(axis, x.ndim)]
    for k in np.atleast_1d(np.asarray(kth)):
        if not -n <= int(k) < n:
            raise ValueError(f"{fname}: kth(={int(k)}) out of bounds ({n})")


def sort_complex(a: Any) -> Any:
    x = asarray(a)
    dt = np.result_type(x.dtype, np.complex64) if x.dtype != np.float16 else np.complex64
    return SO.sort(x.astype(dt), axis=-1)


def fromfunction(function: Callable[..., Any], shape: Sequence[int], *, dtype: Any = float,
                 **kwargs: Any) -> Any:
    from funcgrad.numpy._index_tricks import indices
    return function(*indices(shape, dtype=dtype), **kwargs)


def logspace(start: Any, stop: Any, num: int = 50, endpoint: bool = True, base: Any = 10.0,
             dtype: Any = None, axis: int = 0) -> Any:
    y = linspace(start, stop, num=num, endpoint=endpoint, axis=axis)
    b = asarray(base)
    if b.ndim:
        b = SH.expand_dims(b, axis)
    out = U.power(b, y)
    return out if dtype is None else out.astype(dtype)


def geomspace(start: Any, stop: Any, num: int = 50, endpoint: bool = True, dtype: Any = None,
              axis: int = 0) -> Any:
    s, e = asarray(start), asarray(stop)
    if SO._is_concrete(s) and SO._is_concrete(e) and (np.any(np.asarray(s) == 0)
                                                      or np.any(np.asarray(e) == 0)):
        raise ValueError("geomspace: start and stop must be non-zero")
    cplx = np.issubdtype(np.result_type(s.dtype, e.dtype), np.complexfloating)
    if cplx:
        out = U.exp(linspace(U.log(s.astype(complex)), U.log(e.astype(complex)), num=num,
                             endpoint=endpoint, axis=axis))
    else:
        sign = U.sign(s)
        logs = linspace(U.log10(U.absolute(s)), U.log10(U.absolute(e)), num=num,
                        endpoint=endpoint, axis=axis)
        out = U.power(10.0, logs)
        # exact end points, as NumPy gives
        out = _set_ends(out, U.absolute(s), U.absolute(e), num, endpoint, axis)
        out = out * (sign if sign.ndim == 0 else SH.expand_dims(sign, axis))
    return out if dtype is None else out.astype(dtype)


def _set_ends(out: Any, s: Any, e: Any, num: int, endpoint: bool, axis: int) -> Any:
    if num == 0:
        return out
    ax = normalize_axis(axis, out.ndim)
    idx = (slice(None),) * ax
    out = out.at[idx + (0,)].set(s)
    if endpoint and num > 1:
        out = out.at[idx + (num - 1,)].set(e)
    return out
