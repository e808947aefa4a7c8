"""funcgrad.scipy.stats.norm: the normal distribution's density, CDF and quantiles.

Functions take ``(x, loc=0, scale=1)`` like ``scipy.stats.norm``'s methods and
broadcast their arguments; integer inputs compute in the default float.
Tails are accurate: `logcdf`/`logsf` use `log_ndtr`, `ppf`/`isf` use `ndtri`.
A non-positive scale gives nan, as in SciPy.
"""
from __future__ import annotations

import math
from typing import Any

import funcgrad.numpy as fnp
from funcgrad.numpy._eager import eager_jit
from funcgrad.scipy.special import log_ndtr, ndtr, ndtri
from funcgrad.scipy.stats._common import invalid, quantile_args, standardize

_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)




@eager_jit()
def logpdf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """log density: -z**2/2 - log(scale) - log(sqrt(2 pi)), z = (x - loc) / scale."""
    z, scale, bad = standardize("norm.logpdf", x, loc, scale)
    val = fnp.subtract(fnp.subtract(fnp.multiply(fnp.multiply(z, z), -0.5), fnp.log(scale)),
                       _LOG_SQRT_2PI)
    return invalid(val, bad)


@eager_jit()
def pdf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """Density of N(loc, scale**2) at x."""
    return fnp.exp(logpdf(x, loc, scale))


@eager_jit()
def cdf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """P(X <= x)."""
    z, _, bad = standardize("norm.cdf", x, loc, scale)
    return invalid(ndtr(z), bad)


@eager_jit()
def logcdf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """log P(X <= x), accurate deep in the lower tail."""
    z, _, bad = standardize("norm.logcdf", x, loc, scale)
    return invalid(log_ndtr(z), bad)


@eager_jit()
def sf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """P(X > x) = cdf(-x), accurate in the upper tail."""
    z, _, bad = standardize("norm.sf", x, loc, scale)
    return invalid(ndtr(fnp.negative(z)), bad)


@eager_jit()
def logsf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """log P(X > x)."""
    z, _, bad = standardize("norm.logsf", x, loc, scale)
    return invalid(log_ndtr(fnp.negative(z)), bad)


@eager_jit()
def ppf(q: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """The quantile function (inverse of `cdf`): loc + scale * ndtri(q)."""
    q, loc, scale, bad = quantile_args("norm.ppf", q, loc, scale)
    return invalid(fnp.add(loc, fnp.multiply(scale, ndtri(q))), bad)


@eager_jit()
def isf(q: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """The inverse survival function: loc - scale * ndtri(q)."""
    q, loc, scale, bad = quantile_args("norm.isf", q, loc, scale)
    return invalid(fnp.subtract(loc, fnp.multiply(scale, ndtri(q))), bad)


__all__ = ["cdf", "isf", "logcdf", "logpdf", "logsf", "pdf", "ppf", "sf"]
