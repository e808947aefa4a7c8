"""funcgrad.scipy.stats.binom: the binomial distribution of `n` trials with success `p`.

Functions take ``(k, n, p, loc=0)`` like ``scipy.stats.binom``'s methods; the
mass is 0 off the integers 0..n, and nan for a non-integer or negative `n` or
a `p` outside [0, 1], as in SciPy.
"""
from __future__ import annotations

from typing import Any

import funcgrad.numpy as fnp
from funcgrad.numpy._eager import eager_jit
from funcgrad.scipy.special import gammaln, xlog1py, xlogy
from funcgrad.scipy.stats._common import bad_probability, invalid, lattice, not_integer, outside


@eager_jit()
def logpmf(k: Any, n: Any, p: Any, loc: Any = 0) -> Any:
    """log mass: log C(n, y) + y log p + (n - y) log1p(-p), y = k - loc."""
    y, off, n, p = lattice("binom.logpmf", k, loc, n, p)
    out = fnp.logical_or(off, fnp.logical_or(fnp.less(y, 0.0), fnp.greater(y, n)))
    y = fnp.where(out, 0.0, y)
    rest = fnp.subtract(n, y)
    comb = fnp.subtract(gammaln(fnp.add(n, 1.0)),
                        fnp.add(gammaln(fnp.add(y, 1.0)), gammaln(fnp.add(rest, 1.0))))
    val = fnp.add(comb, fnp.add(xlogy(y, p), xlog1py(rest, fnp.negative(p))))
    bad = fnp.logical_or(fnp.logical_or(fnp.less(n, 0.0), not_integer(n)), bad_probability(p))
    return invalid(outside(val, out), bad)


@eager_jit()
def pmf(k: Any, n: Any, p: Any, loc: Any = 0) -> Any:
    """The mass C(n, y) p**y (1 - p)**(n - y)."""
    return fnp.exp(logpmf(k, n, p, loc))


__all__ = ["logpmf", "pmf"]
