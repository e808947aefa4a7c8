"""funcgrad.scipy.stats.norm: the normal distribution's density, CDF and quantiles.

Functions take ``(x, loc=0, scale=1)`` like ``scipy.stats.norm``'s methods and
broadcast their arguments; integer inputs compute in the default float.
Tails are accurate: `logcdf`/`logsf` use `log_ndtr`, `ppf`/`isf` use `ndtri`.
"""
from __future__ import annotations

import math
from typing import Any

import funcgrad.numpy as fnp
from funcgrad.numpy._eager import eager_jit
from funcgrad.scipy.special import _common_float, log_ndtr, ndtr, ndtri

_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)


def _standardize(fname: str, x: Any, loc: Any, scale: Any) -> tuple[Any, Any]:
    x, loc, scale = _common_float(f"norm.{fname}", x, loc, scale)
    return fnp.divide(fnp.subtract(x, loc), scale), scale


@eager_jit()
def logpdf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """log density: -z**2/2 - log(scale) - log(sqrt(2 pi)), z = (x - loc) / scale."""
    z, scale = _standardize("logpdf", x, loc, scale)
    return fnp.subtract(fnp.subtract(fnp.multiply(fnp.multiply(z, z), -0.5), fnp.log(scale)),
                        _LOG_SQRT_2PI)


@eager_jit()
def pdf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """Density of N(loc, scale**2) at x."""
    return fnp.exp(logpdf(x, loc, scale))


@eager_jit()
def cdf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """P(X <= x)."""
    z, _ = _standardize("cdf", x, loc, scale)
    return ndtr(z)


@eager_jit()
def logcdf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """log P(X <= x), accurate deep in the lower tail."""
    z, _ = _standardize("logcdf", x, loc, scale)
    return log_ndtr(z)


@eager_jit()
def sf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """P(X > x) = cdf(-x), accurate in the upper tail."""
    z, _ = _standardize("sf", x, loc, scale)
    return ndtr(fnp.negative(z))


@eager_jit()
def logsf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """log P(X > x)."""
    z, _ = _standardize("logsf", x, loc, scale)
    return log_ndtr(fnp.negative(z))


@eager_jit()
def ppf(q: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """The quantile function (inverse of `cdf`): loc + scale * ndtri(q)."""
    q, loc, scale = _common_float("norm.ppf", q, loc, scale)
    return fnp.add(loc, fnp.multiply(scale, ndtri(q)))


@eager_jit()
def isf(q: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """The inverse survival function: loc - scale * ndtri(q)."""
    q, loc, scale = _common_float("norm.isf", q, loc, scale)
    return fnp.subtract(loc, fnp.multiply(scale, ndtri(q)))


__all__ = ["cdf", "isf", "logcdf", "logpdf", "logsf", "pdf", "ppf", "sf"]
