"""Summaries of samples: `mode`, `rankdata`, `sem` and `zscore`, like scipy.stats'.

`mode` and `rankdata` work on sorted copies: ties are runs of equal values,
found by comparing neighbours, and a running maximum (or minimum, from the
right) of run starts gives every element its run's first (or last) position,
so ranks and counts need no data-dependent shapes and compile under `jit`.
The reducing axis is moved last and moved back afterwards.
"""
from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

import funcgrad.numpy as fnp
from funcgrad import dtypes, lax
from funcgrad.errors import UnsupportedError
from funcgrad.numpy._eager import eager_jit
from funcgrad.numpy._util import normalize_axis
from funcgrad.scipy.stats._common import promote

_METHODS = ("average", "min", "max", "dense", "ordinal")


class ModeResult(NamedTuple):
    mode: Any
    count: Any


def _nan_policy(fname: str, nan_policy: str, supported: tuple[str, ...] = ("propagate",)) -> None:
    if nan_policy not in ("propagate", "omit", "raise"):
        raise ValueError(f"funcgrad.scipy.stats.{fname}: nan_policy must be 'propagate', 'omit' "
                         f"or 'raise', got {nan_policy!r}")
    if nan_policy not in supported:
        raise UnsupportedError(f"funcgrad.scipy.stats.{fname}: nan_policy={nan_policy!r} is not "
                               f"supported (it would need to inspect values while tracing); use "
                               f"{' or '.join(repr(s) for s in supported)}")


def _last_axis(x: Any, axis: int | None) -> tuple[Any, int | None]:
    """`x` with `axis` moved last (flattened when None), and the normalized axis."""
    if axis is None:
        return fnp.ravel(x), None
    ax = normalize_axis(axis, x.ndim)
    return fnp.moveaxis(x, ax, -1), ax


def _runs(s: Any) -> tuple[Any, Any]:
    """(first, last): for each position of the sorted last axis of `s`, the first and the
    last position of its run of equal values (nan equal to nan, as in SciPy)."""
    n = s.shape[-1]
    same = fnp.equal(s[..., 1:], s[..., :-1])
    if dtypes.is_float(s.dtype):
        same = fnp.logical_or(same, fnp.logical_and(fnp.isnan(s[..., 1:]), fnp.isnan(s[..., :-1])))
    new = fnp.logical_not(same)
    edge = fnp.ones(s.shape[:-1] + (1,), bool)
    idx = fnp.broadcast_to(fnp.arange(n), s.shape)
    first = lax.cummax(fnp.where(fnp.concatenate([edge, new], axis=-1), idx, 0), axis=s.ndim - 1)
    last = lax.cummin(fnp.where(fnp.concatenate([new, edge], axis=-1), idx, n - 1),
                      axis=s.ndim - 1, reverse=True)
    return first, last


@eager_jit(static_argnames=("axis", "nan_policy", "keepdims"))
def mode(a: Any, axis: int | None = 0, nan_policy: str = "propagate",
         keepdims: bool = False) -> ModeResult:
    """The most frequent value along `axis` (the smallest among ties) and its count.

    Raises:
        ValueError: the axis is empty, or `nan_policy` is unknown.
        UnsupportedError: `nan_policy` other than 'propagate'.

    >>> mode(fnp.array([3, 1, 1, 3, 2]))    # ModeResult(mode=1, count=2)
    """
    _nan_policy("mode", nan_policy)
    x = fnp.atleast_1d(fnp.asarray(a))
    x, ax = _last_axis(x, axis)
    if x.shape[-1] == 0:
        raise ValueError(f"funcgrad.scipy.stats.mode: the reduced axis is empty (shape "
                         f"{fnp.shape(a)}, axis={axis}); mode needs at least one value")
    s = fnp.sort(x, axis=-1)
    first, _ = _runs(s)
    run = fnp.add(fnp.subtract(fnp.broadcast_to(fnp.arange(s.shape[-1]), s.shape), first), 1)
    best = fnp.argmax(run, axis=-1)
    value = fnp.take_along_axis(s, best[..., None], axis=-1)[..., 0]
    count = fnp.max(run, axis=-1)
    if keepdims:
        if ax is None:
            shape = (1,) * fnp.ndim(a)
            value, count = fnp.reshape(value, shape), fnp.reshape(count, shape)
        else:
            value, count = fnp.expand_dims(value, ax), fnp.expand_dims(count, ax)
    return ModeResult(value, count)


@eager_jit(static_argnames=("method", "axis", "nan_policy"))
def rankdata(a: Any, method: str = "average", *, axis: int | None = None,
             nan_policy: str = "propagate") -> Any:
    """Ranks (from 1) of the values along `axis` (flattened when None); ties get the
    average, min or max of their ranks, dense ranks, or ordinal (first come) ranks.
    A slice holding nan ranks as all nan.

    NB: the result is always in the default float dtype (as in JAX); SciPy gives
    int64 for methods other than 'average'.

    Raises:
        ValueError: unknown `method` or `nan_policy`.
        UnsupportedError: `nan_policy` other than 'propagate'.
    """
    if method not in _METHODS:
        raise ValueError(f"funcgrad.scipy.stats.rankdata: unknown method {method!r}; use one of "
                         f"{', '.join(map(repr, _METHODS))}")
    _nan_policy("rankdata", nan_policy)
    x = fnp.asarray(a)
    y, ax = _last_axis(x, axis)
    out_dt = dtypes.default_float()
    order = fnp.argsort(y, axis=-1, stable=True)
    inv = fnp.argsort(order, axis=-1, stable=True)
    if method == "ordinal":
        ranks = fnp.add(inv, 1).astype(out_dt)
    else:
        s = fnp.take_along_axis(y, order, axis=-1)
        first, last = _runs(s)
        if method == "dense":
            starts = fnp.equal(first, fnp.broadcast_to(fnp.arange(s.shape[-1]), s.shape))
            by_sorted = fnp.cumsum(starts.astype(out_dt), axis=-1)
        elif method == "min":
            by_sorted = fnp.add(first, 1).astype(out_dt)
        elif method == "max":
            by_sorted = fnp.add(last, 1).astype(out_dt)
        else:
            by_sorted = fnp.add(fnp.multiply(fnp.add(first, last).astype(out_dt), 0.5), 1.0)
        ranks = fnp.take_along_axis(by_sorted, inv, axis=-1)
    if dtypes.is_float(y.dtype):
        has_nan = fnp.any(fnp.isnan(y), axis=-1, keepdims=True)
        ranks = fnp.where(has_nan, np.nan, ranks)
    if ax is None:
        return ranks
    return fnp.moveaxis(ranks, -1, ax)


@eager_jit(static_argnames=("axis", "ddof", "nan_policy", "keepdims"))
def sem(a: Any, axis: int | None = 0, ddof: int = 1, nan_policy: str = "propagate", *,
        keepdims: bool = False) -> Any:
    """The standard error of the mean, std(a, ddof) / sqrt(count), along `axis`
    (all values when None); with nan_policy='omit', nans are left out of both.

    Raises:
        ValueError: unknown `nan_policy`.
        UnsupportedError: nan_policy='raise'.
    """
    _nan_policy("sem", nan_policy, ("propagate", "omit"))
    (x,) = (fnp.asarray(v) for v in promote("sem", a))
    if nan_policy == "omit":
        count = fnp.sum(fnp.logical_not(fnp.isnan(x)), axis=axis, keepdims=keepdims)
        std = fnp.nanstd(x, axis=axis, ddof=ddof, keepdims=keepdims)
        return fnp.divide(std, fnp.sqrt(count.astype(x.dtype)))
    size = x.size if axis is None else x.shape[normalize_axis(axis, x.ndim)]
    return fnp.divide(fnp.std(x, axis=axis, ddof=ddof, keepdims=keepdims),
                      np.sqrt(size).astype(x.dtype))


@eager_jit(static_argnames=("axis", "ddof", "nan_policy"))
def zscore(a: Any, axis: int | None = 0, ddof: int = 0, nan_policy: str = "propagate") -> Any:
    """(a - mean) / std along `axis` (all values when None), as ``scipy.stats.zscore``;
    with nan_policy='omit', the mean and std leave nans out (nans stay nan).

    Raises:
        ValueError: unknown `nan_policy`.
        UnsupportedError: nan_policy='raise'.
    """
    _nan_policy("zscore", nan_policy, ("propagate", "omit"))
    (x,) = (fnp.asarray(v) for v in promote("zscore", a))
    if nan_policy == "omit":
        mean = fnp.nanmean(x, axis=axis, keepdims=True)
        std = fnp.nanstd(x, axis=axis, ddof=ddof, keepdims=True)
    else:
        mean = fnp.mean(x, axis=axis, keepdims=True)
        std = fnp.std(x, axis=axis, ddof=ddof, keepdims=True)
    return fnp.divide(fnp.subtract(x, mean), std)
