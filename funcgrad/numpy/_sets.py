"""NumPy's set routines over 1-d arrays: isin, intersect1d, union1d, setdiff1d,
setxor1d.

Except for `isin`, a result's length depends on the values, so with concrete
input it has NumPy's length; under jit pass ``size=n`` (as for `unique`): the
result then has exactly n sorted entries, padded with `fill_value` (default:
the smallest candidate). Every routine is one formulation for both: sort the
candidates, mark those kept, and move the kept ones to the front in order.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from funcgrad.errors import ConcretizationError, UnsupportedError
from funcgrad.numpy import _reductions as R
from funcgrad.numpy import _shape as SH
from funcgrad.numpy import _sorting as SO
from funcgrad.numpy._creation import arange, asarray
from funcgrad.numpy._ufuncs import isnan
from funcgrad.numpy._util import promote

__all__ = ["intersect1d", "isin", "setdiff1d", "setxor1d", "union1d"]


def _flat(x: Any) -> Any:
    return SH.ravel(asarray(x))


def isin(element: Any, test_elements: Any, assume_unique: bool = False, invert: bool = False,
         *, kind: str | None = None) -> Any:
    """Whether each element of `element` is in `test_elements` (shape of `element`)."""
    if kind is not None:
        raise UnsupportedError("isin: kind= is not supported (funcgrad compares every pair); "
                               "leave it None")
    el, te = promote(asarray(element), _flat(test_elements))
    if te.shape[0] == 0:
        hit = SH.broadcast_to(asarray(False), el.shape)
    else:
        hit = R.any(SH.expand_dims(el, -1) == te, axis=-1)
    return ~hit if invert else hit


def _first_of_runs(s: Any) -> Any:
    """For a sorted 1-d array: True where an entry differs from the one before."""
    n = s.shape[0]
    if n == 0:
        return asarray(np.zeros(0, bool))
    new = s[1:] != s[:-1]
    if np.issubdtype(s.dtype, np.inexact):      # NaNs are one value, as in NumPy's unique
        new = new & ~(isnan(s[1:]) & isnan(s[:-1]))
    return SH.concatenate([asarray([True]), new])


def _compact(name: str, values: Any, keep: Any, size: int | None, fill_value: Any) -> Any:
    """The kept `values`, sorted, moved to the front: all of them (concrete input) or
    exactly `size` of them, padded with `fill_value`."""
    order = SO.lexsort((values, ~keep))
    vals, kept = values[order], keep[order]
    if size is None:
        if not (SO._is_concrete(kept)):
            raise ConcretizationError(
                f"{name}: the result's length depends on the values, which are traced "
                f"here; pass size=n (and optionally fill_value=) for a fixed-length result "
                "under jit")
        n = int(R.sum(kept))
        return vals[:n]
    size = int(size)
    if size < 0:
        raise ValueError(f"{name}: size must be non-negative, got {size}")
    m = vals.shape[0]
    if size > m:
        pad = size - m
        vals = SH.concatenate([vals, SH.broadcast_to(vals[:1] if m else asarray(0, vals.dtype),
                                                     (pad,))])
        kept = SH.concatenate([kept, SH.broadcast_to(asarray(False), (pad,))])
    vals, kept = vals[:size], kept[:size]
    if fill_value is None:
        fill = R.min(values) if m else asarray(0, vals.dtype)
    else:
        fill = asarray(fill_value, vals.dtype)
    return SO.where(kept, vals, fill)


def union1d(ar1: Any, ar2: Any, *, size: int | None = None, fill_value: Any = None) -> Any:
    a, b = promote(_flat(ar1), _flat(ar2))
    s = SO.sort(SH.concatenate([a, b]))
    return _compact("union1d", s, _first_of_runs(s), size, fill_value)


def setdiff1d(ar1: Any, ar2: Any, assume_unique: bool = False, *, size: int | None = None,
              fill_value: Any = None) -> Any:
    a, b = promote(_flat(ar1), _flat(ar2))
    s = SO.sort(a)
    keep = ~isin(s, b) if assume_unique else _first_of_runs(s) & ~isin(s, b)
    return _compact("setdiff1d", s, keep, size, fill_value)


def setxor1d(ar1: Any, ar2: Any, assume_unique: bool = False, *, size: int | None = None,
             fill_value: Any = None) -> Any:
    a, b = promote(_flat(ar1), _flat(ar2))
    s, t = SO.sort(a), SO.sort(b)
    keep = SH.concatenate([_first_of_runs(s) & ~isin(s, b), _first_of_runs(t) & ~isin(t, a)])
    return _compact("setxor1d", SH.concatenate([s, t]), keep, size, fill_value)


def intersect1d(ar1: Any, ar2: Any, assume_unique: bool = False, return_indices: bool = False,
                *, size: int | None = None, fill_value: Any = None) -> Any:
    """Sorted values in both; with `return_indices`, also the index of each one's first
    occurrence in `ar1` and in `ar2` (padding entries get index 0)."""
    a, b = promote(_flat(ar1), _flat(ar2))
    pa = SO.argsort(a, stable=True)
    s = a[pa]
    keep = _first_of_runs(s) & isin(s, b)
    out = _compact("intersect1d", s, keep, size, fill_value)
    if not return_indices:
        return out
    pb = SO.argsort(b, stable=True)
    zeros = asarray(np.zeros(out.shape, np.int64))
    if not (a.shape[0] and b.shape[0]):
        return out, zeros, zeros
    i1 = pa[SO.searchsorted(s, out)]
    i2 = pb[SO.searchsorted(b[pb], out)]
    if size is not None:        # the padding's indices are 0, whatever fill_value is
        real = arange(out.shape[0]) < R.sum(keep)
        i1, i2 = SO.where(real, i1, zeros), SO.where(real, i2, zeros)
    return out, i1, i2
