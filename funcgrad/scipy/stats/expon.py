"""funcgrad.scipy.stats.expon: the exponential distribution on [loc, inf).

Functions take ``(x, loc=0, scale=1)`` like ``scipy.stats.expon``'s methods.
The survival function is exp(-z) in closed form, so `logsf` is exact and
`cdf`/`logcdf` use expm1/log1p forms near the origin.
"""
from __future__ import annotations

from typing import Any

import numpy as np

import funcgrad.numpy as fnp
from funcgrad.numpy._eager import eager_jit
from funcgrad.scipy.stats._common import invalid, log1mexp, outside, quantile_args, standardize


def _args(fname: str, x: Any, loc: Any, scale: Any) -> tuple[Any, Any, Any, Any]:
    """(z clamped at 0, below, scale, bad)."""
    z, scale, bad = standardize(f"expon.{fname}", x, loc, scale)
    below = fnp.less(z, 0.0)
    return fnp.where(below, 0.0, z), below, scale, bad


@eager_jit()
def logpdf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """log density: -z - log(scale) for x >= loc, -inf below."""
    z, below, scale, bad = _args("logpdf", x, loc, scale)
    return invalid(outside(fnp.negative(fnp.add(z, fnp.log(scale))), below), bad)


@eager_jit()
def pdf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """The density exp(-z) / scale; 0 below `loc`."""
    return fnp.exp(logpdf(x, loc, scale))


@eager_jit()
def cdf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """P(X <= x) = -expm1(-z)."""
    z, _, _, bad = _args("cdf", x, loc, scale)
    return invalid(fnp.negative(fnp.expm1(fnp.negative(z))), bad)


@eager_jit()
def logcdf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """log P(X <= x) = log(1 - exp(-z)), -inf at and below `loc`."""
    z, _, _, bad = _args("logcdf", x, loc, scale)
    return invalid(log1mexp(fnp.negative(z)), bad)


@eager_jit()
def sf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """P(X > x) = exp(-z)."""
    return fnp.exp(logsf(x, loc, scale))


@eager_jit()
def logsf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """log P(X > x) = -z (0 below `loc`)."""
    z, _, _, bad = _args("logsf", x, loc, scale)
    return invalid(fnp.negative(z), bad)


@eager_jit()
def ppf(q: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """The quantile function loc - scale log1p(-q)."""
    q, loc, scale, bad = quantile_args("expon.ppf", q, loc, scale)
    q = fnp.where(bad, 0.0, q)
    val = fnp.subtract(loc, fnp.multiply(scale, fnp.log1p(fnp.negative(q))))
    return fnp.where(bad, np.nan, val)


__all__ = ["cdf", "logcdf", "logpdf", "logsf", "pdf", "ppf", "sf"]
