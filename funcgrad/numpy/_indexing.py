"""Basic indexing: ints, slices (any step), None and Ellipsis.

Static parts become one `slice` (plus `rev` for negative steps and `squeeze`
for integer indices); a traced integer index becomes a `dynamic_slice` with
NumPy's negative-index wrap-around. A concrete integer (a Python or NumPy int, or
an eager 0-d Array) is bounds-checked and raises IndexError like NumPy; a traced
one is clamped by `dynamic_slice` (the table in `_updates.py`), or checked when the
program runs under ``config.check_bounds`` (funcgrad.bounds).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from funcgrad import dtypes
from funcgrad import primitives as P
from funcgrad.array import Array
from funcgrad.bounds import check_index, checks
from funcgrad.core import Tracer
from funcgrad.numpy._advanced import advanced_getitem, is_advanced_index, wrap_index
from funcgrad.numpy._util import asarray_operand, aval_of, convert


def _is_int_scalar(i: Any) -> bool:
    if isinstance(i, (bool, np.bool_)):
        return False
    if isinstance(i, (int, np.integer)):
        return True
    if type(i) is Array or isinstance(i, Tracer):
        a = aval_of(i)
        return a.shape == () and dtypes.is_integer(a.dtype)
    return False


def _expand_index(idx: Any, ndim: int) -> list[Any]:
    if not isinstance(idx, tuple):
        idx = (idx,)
    for i in idx:
        if not (i is None or i is Ellipsis or isinstance(i, slice) or _is_int_scalar(i)):
            raise IndexError(
                f"index {i!r:.60} is not valid: only integers, slices (`:`), ellipsis "
                "(`...`), None and integer or boolean arrays are valid indices")
    n_ell = sum(i is Ellipsis for i in idx)
    if n_ell > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    used = sum(1 for i in idx if i is not None and i is not Ellipsis)
    if used > ndim:
        raise IndexError(f"too many indices for array: array is {ndim}-dimensional, but "
                         f"{used} were indexed")
    out: list[Any] = []
    for i in idx:
        if i is Ellipsis:
            out.extend([slice(None)] * (ndim - used))
        else:
            out.append(i)
    if not n_ell:
        out.extend([slice(None)] * (ndim - used))
    return out


def concrete_int(i: Any) -> Any:
    """An eager 0-d integer Array as a Python int (so it is bounds-checked like one);
    anything else unchanged."""
    if type(i) is Array and _is_int_scalar(i):
        return int(np.asarray(i))
    return i


def getitem(x: Any, idx: Any) -> Any:
    if is_advanced_index(idx):   # integer arrays / masks: one gather
        return advanced_getitem(x, idx)
    x = asarray_operand(x)
    shape = aval_of(x).shape
    items = [concrete_int(i) for i in _expand_index(idx, len(shape))]
    eager = type(x) is Array
    starts, limits, strides, rev_dims, squeeze_dims = [], [], [], [], []
    dynamic: list[tuple[int, Any]] = []
    out_axis_of_none: list[int] = []
    dim = 0
    out_pos = 0
    for it in items:
        if it is None:
            out_axis_of_none.append(out_pos)
            out_pos += 1
            continue
        n = shape[dim]
        if isinstance(it, slice):
            start, stop, step = it.indices(n)
            if step > 0:
                count = max(0, (stop - start + step - 1) // step)
                lo, hi, st = start, start + (count - 1) * step + 1 if count else start, step
            else:
                count = max(0, (start - stop + (-step) - 1) // (-step))
                last = start + (count - 1) * step
                lo, hi, st = (last, start + 1, -step) if count else (0, 0, 1)
                if count:
                    rev_dims.append(dim)
            starts.append(lo)
            limits.append(hi)
            strides.append(st)
            out_pos += 1
        elif isinstance(it, (int, np.integer)):
            i = int(it)
            if not -n <= i < n:
                raise IndexError(f"index {i} is out of bounds for axis {dim} with size {n}")
            i %= n
            if eager:     # an operand: one executable per index structure, not per value
                starts.append(0)
                limits.append(n)
                dynamic.append((dim, np.int64(i)))
            else:         # staged: a static slice XLA sees through
                starts.append(i)
                limits.append(i + 1)
            strides.append(1)
            squeeze_dims.append(dim)
        else:   # a traced integer scalar
            if n == 0:
                raise IndexError(f"index is out of bounds for axis {dim} with size 0 (no "
                                 "index is valid for an empty axis)")
            if checks(None):
                check_index(it, n, what="indexing", axis=dim)
            starts.append(0)
            limits.append(n)
            strides.append(1)
            dynamic.append((dim, it))
            squeeze_dims.append(dim)
        dim += 1
    if (tuple(starts) != (0,) * len(shape) or tuple(limits) != shape
            or any(s != 1 for s in strides)):
        x = P.slice_p.bind(x, start_indices=tuple(starts), limit_indices=tuple(limits),
                           strides=tuple(strides))
    if rev_dims:
        x = P.rev_p.bind(x, dimensions=tuple(rev_dims))
    if dynamic:
        cur = aval_of(x).shape
        zero = convert(0, dtypes.int64)
        idxs: list[Any] = [zero] * len(cur)
        sizes = list(cur)
        for d, it in dynamic:
            idxs[d] = it if type(it) is np.int64 else wrap_index(it, cur[d])
            sizes[d] = 1
        x = P.dynamic_slice_p.bind(x, *idxs, slice_sizes=tuple(sizes))
    if squeeze_dims:
        x = P.squeeze_p.bind(x, dimensions=tuple(squeeze_dims))
    if out_axis_of_none:
        x = P.expand_dims_p.bind(x, dimensions=tuple(out_axis_of_none))
    return x
