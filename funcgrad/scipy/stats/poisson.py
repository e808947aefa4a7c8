"""funcgrad.scipy.stats.poisson: the Poisson distribution with mean `mu`.

Functions take ``(k, mu, loc=0)`` like ``scipy.stats.poisson``'s methods. The
mass is 0 (log-mass -inf) off the integers, as in SciPy; the CDF is the
regularized upper incomplete gamma function, differentiable in `mu`.
"""
from __future__ import annotations

import math
from typing import Any

import funcgrad.numpy as fnp
from funcgrad import lax
from funcgrad.numpy._eager import eager_jit
from funcgrad.scipy.special import entr, gammaln, xlogy
from funcgrad.scipy.stats._common import invalid, lattice, lax_apply, outside, promote


@eager_jit()
def logpmf(k: Any, mu: Any, loc: Any = 0) -> Any:
    """log mass: y log(mu) - mu - gammaln(y + 1), y = k - loc a non-negative integer."""
    y, off, mu = lattice("poisson.logpmf", k, loc, mu)
    out = fnp.logical_or(off, fnp.less(y, 0.0))
    y_in = fnp.where(out, 0.0, y)
    val = fnp.subtract(fnp.subtract(xlogy(y_in, mu), mu), gammaln(fnp.add(y_in, 1.0)))
    return invalid(outside(val, out), fnp.logical_not(fnp.greater_equal(mu, 0.0)))


@eager_jit()
def pmf(k: Any, mu: Any, loc: Any = 0) -> Any:
    """The mass exp(-mu) mu**y / y!."""
    return fnp.exp(logpmf(k, mu, loc))


@eager_jit()
def cdf(k: Any, mu: Any, loc: Any = 0) -> Any:
    """P(K <= k) = Q(floor(y) + 1, mu)."""
    y, _, mu = lattice("poisson.cdf", k, loc, mu)
    below = fnp.less(y, 0.0)
    val = lax_apply(lax.igammac, fnp.add(fnp.floor(fnp.where(below, 0.0, y)), 1.0), mu)
    return invalid(outside(val, below, 0.0), fnp.logical_not(fnp.greater_equal(mu, 0.0)))


# The entropy sums -p log p over the mass up to a cut-off far in the upper tail; past
# mu = _LARGE the sum is replaced by its asymptotic series.
_TERMS = 256
_LARGE = 100.0


@eager_jit()
def entropy(mu: Any, loc: Any = 0) -> Any:
    """The entropy -sum_k p_k log p_k of Poisson(mu) (it does not depend on `loc`)."""
    mu, loc = promote("poisson.entropy", mu, loc)
    mu = fnp.broadcast_arrays(mu, loc)[0]
    large = fnp.greater_equal(mu, _LARGE)
    mu_small = fnp.where(large, 1.0, mu)
    ks = fnp.arange(_TERMS, dtype=mu.dtype).reshape((_TERMS,) + (1,) * mu.ndim)
    summed = fnp.sum(entr(pmf(ks, mu_small)), axis=0)
    mu_large = fnp.where(large, mu, _LARGE)
    r = fnp.divide(1.0, mu_large)
    series = fnp.multiply(r, fnp.add(1 / 12, fnp.multiply(r, fnp.add(1 / 24,
                                                                       fnp.multiply(r, 19 / 360)))))
    log_term = fnp.multiply(fnp.log(fnp.multiply(mu_large, 2 * math.pi * math.e)), 0.5)
    asym = fnp.subtract(log_term, series)
    val = fnp.where(large, asym, summed)
    return invalid(val, fnp.logical_not(fnp.greater_equal(mu, 0.0)))


__all__ = ["cdf", "entropy", "logpmf", "pmf"]
