"""funcgrad.scipy.stats.betabinom: the beta-binomial distribution.

Functions take ``(k, n, a, b, loc=0)`` like ``scipy.stats.betabinom``'s
methods: `n` trials whose success probability is drawn from Beta(a, b).
"""
from __future__ import annotations

from typing import Any

import funcgrad.numpy as fnp
from funcgrad.numpy._eager import eager_jit
from funcgrad.scipy.special import betaln
from funcgrad.scipy.stats._common import invalid, lattice, not_integer, outside


@eager_jit()
def logpmf(k: Any, n: Any, a: Any, b: Any, loc: Any = 0) -> Any:
    """log mass: log C(n, y) + betaln(y + a, n - y + b) - betaln(a, b), with
    log C(n, y) = -log1p(n) - betaln(n - y + 1, y + 1)."""
    y, off, n, a, b = lattice("betabinom.logpmf", k, loc, n, a, b)
    out = fnp.logical_or(off, fnp.logical_or(fnp.less(y, 0.0), fnp.greater(y, n)))
    y = fnp.where(out, 0.0, y)
    rest = fnp.subtract(n, y)
    comb = fnp.negative(fnp.add(fnp.log1p(n), betaln(fnp.add(rest, 1.0), fnp.add(y, 1.0))))
    val = fnp.add(comb, fnp.subtract(betaln(fnp.add(y, a), fnp.add(rest, b)), betaln(a, b)))
    bad = fnp.logical_not(fnp.logical_and(
        fnp.logical_and(fnp.greater_equal(n, 0.0), fnp.logical_not(not_integer(n))),
        fnp.logical_and(fnp.greater(a, 0.0), fnp.greater(b, 0.0))))
    return invalid(outside(val, out), bad)


@eager_jit()
def pmf(k: Any, n: Any, a: Any, b: Any, loc: Any = 0) -> Any:
    """The mass C(n, y) B(y + a, n - y + b) / B(a, b)."""
    return fnp.exp(logpmf(k, n, a, b, loc))


__all__ = ["logpmf", "pmf"]
