"""funcgrad.scipy.stats.nbinom: the negative binomial distribution (failures before
the `n`-th success, success probability `p`).

Functions take ``(k, n, p, loc=0)`` like ``scipy.stats.nbinom``'s methods;
`n` may be any positive real, `p` is in (0, 1].
"""
from __future__ import annotations

from typing import Any

import funcgrad.numpy as fnp
from funcgrad.numpy._eager import eager_jit
from funcgrad.scipy.special import gammaln, xlog1py, xlogy
from funcgrad.scipy.stats._common import invalid, lattice, outside


@eager_jit()
def logpmf(k: Any, n: Any, p: Any, loc: Any = 0) -> Any:
    """log mass: gammaln(y + n) - gammaln(n) - gammaln(y + 1) + n log p + y log1p(-p)."""
    y, off, n, p = lattice("nbinom.logpmf", k, loc, n, p)
    out = fnp.logical_or(off, fnp.less(y, 0.0))
    y = fnp.where(out, 0.0, y)
    comb = fnp.subtract(gammaln(fnp.add(y, n)), fnp.add(gammaln(n), gammaln(fnp.add(y, 1.0))))
    val = fnp.add(comb, fnp.add(xlogy(n, p), xlog1py(y, fnp.negative(p))))
    bad = fnp.logical_not(fnp.logical_and(fnp.greater(n, 0.0), fnp.logical_and(
        fnp.greater(p, 0.0), fnp.less_equal(p, 1.0))))
    return invalid(outside(val, out), bad)


@eager_jit()
def pmf(k: Any, n: Any, p: Any, loc: Any = 0) -> Any:
    """The mass C(y + n - 1, y) p**n (1 - p)**y."""
    return fnp.exp(logpmf(k, n, p, loc))


__all__ = ["logpmf", "pmf"]
