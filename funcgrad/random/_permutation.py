"""Random permutations and sampling from a population: `permutation`, `choice`.

A permutation is the order that sorts fresh random 64-bit keys (ties, which
have probability ~n**2 / 2**65, keep index order, so the result is always a
permutation). Sampling without replacement takes the first k entries of one;
weighted sampling without replacement is the Gumbel-top-k trick.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from funcgrad import dtypes
from funcgrad import primitives as P
from funcgrad.numpy._util import asarray_operand, aval_of, convert, normalize_axis
from funcgrad.random._distributions import _shape, bits, categorical, gumbel, randint
from funcgrad.random._threefry import check_key


def _rank_order(u: Any, axis: int) -> Any:
    """Indices that sort `u` along `axis` (stable)."""
    import funcgrad.numpy as fnp
    return fnp.argsort(u, axis=axis, stable=True)


def _take(x: Any, idx: Any, axis: int) -> Any:
    import funcgrad.numpy as fnp
    return fnp.take(x, idx, axis=axis)


def _take_along(x: Any, idx: Any, axis: int) -> Any:
    import funcgrad.numpy as fnp
    return fnp.take_along_axis(x, idx, axis=axis)


def _order(key: Any, shape: tuple[int, ...], axis: int) -> Any:
    return _rank_order(bits(key, shape, dtypes.uint64), axis)


def permutation(key: Any, x: Any, axis: int = 0, independent: bool = False) -> Any:
    """A random permutation of `x` along `axis`, or of ``arange(x)`` for an integer `x`.

    With ``independent=True`` every 1-d slice along `axis` is shuffled independently.
    Example: ``permutation(key(0), 5)`` -> e.g. ``[3 0 4 1 2]``.
    """
    k = check_key(key, "permutation")
    if isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_)):
        n = int(x)
        if n < 0:
            raise ValueError(f"funcgrad.random.permutation: x must be non-negative, got {n}")
        return _order(k, (n,), 0)
    arr = asarray_operand(x)
    av = aval_of(arr)
    if av.ndim == 0:
        raise TypeError("funcgrad.random.permutation: x must be an integer or an array with "
                        "at least one axis, got a scalar array")
    ax = normalize_axis(axis, av.ndim)
    if independent:
        return _take_along(arr, _order(k, av.shape, ax), ax)
    return _take(arr, _order(k, (av.shape[ax],), 0), ax)


def choice(key: Any, a: Any, shape: int | Sequence[int] = (), replace: bool = True,
           p: Any = None, axis: int = 0) -> Any:
    """Random samples from `a` (an integer n means ``arange(n)``) along `axis`.

    Args:
      replace: with (default) or without replacement. p: probabilities of the
      entries (need not be normalised beyond summing to a positive number).
    Returns: for an integer `a`, int64 indices of `shape`; otherwise `a` with
    its `axis` replaced by `shape`.
    """
    k = check_key(key, "choice")
    shp = _shape(shape, "choice") or ()
    if isinstance(a, (int, np.integer)) and not isinstance(a, (bool, np.bool_)):
        n, arr, ax = int(a), None, 0
        if n < 0:
            raise ValueError(f"funcgrad.random.choice: a must be non-negative, got {n}")
    else:
        arr = asarray_operand(a)
        av = aval_of(arr)
        if av.ndim == 0:
            raise ValueError("funcgrad.random.choice: a must be an integer or an array with "
                             "at least one axis")
        ax = normalize_axis(axis, av.ndim)
        n = av.shape[ax]
    m = math.prod(shp)
    if n == 0 and m > 0:
        raise ValueError("funcgrad.random.choice: cannot take a non-empty sample from an "
                         "empty population")
    if not replace and m > n:
        raise ValueError(f"funcgrad.random.choice: cannot take {m} samples without "
                         f"replacement from a population of {n}")
    logp = None
    if p is not None:
        pa = asarray_operand(p)
        if aval_of(pa).shape != (n,):
            raise ValueError(f"funcgrad.random.choice: p must have shape ({n},), got "
                             f"{aval_of(pa).shape}")
        pdt = aval_of(pa).dtype
        pa = convert(pa, pdt if dtypes.is_float(pdt) else dtypes.default_float(), False)
        logp = P.log_p.bind(pa)
    if replace:
        idx = (randint(k, shp, 0, n) if logp is None
               else categorical(k, logp, shape=shp))
    else:
        import funcgrad.numpy as fnp
        if logp is None:
            order = _order(k, (n,), 0)
        else:   # Gumbel-top-k: the m largest of log p + Gumbel noise
            order = _rank_order(fnp.negative(logp + gumbel(k, (n,), aval_of(logp).dtype)), 0)
        idx = fnp.reshape(order[:m], shp)
    if arr is None:
        return idx
    return _take(arr, idx, ax)
