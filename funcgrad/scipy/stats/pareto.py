"""funcgrad.scipy.stats.pareto: the Pareto distribution with shape `b`, on [loc + scale, inf).

Functions take ``(x, b, loc=0, scale=1)`` like ``scipy.stats.pareto``'s
methods. Everything is written in terms of log y, y = (x - loc) / scale, so
the survival function y**-b is exact in log space.
"""
from __future__ import annotations

from typing import Any

import numpy as np

import funcgrad.numpy as fnp
from funcgrad.numpy._eager import eager_jit
from funcgrad.scipy.stats._common import bad_probability, invalid, log1mexp, outside, promote


def _args(fname: str, x: Any, b: Any, loc: Any, scale: Any) -> tuple[Any, Any, Any, Any, Any]:
    """(log y clamped at 0, below, b, scale, bad)."""
    x, b, loc, scale = promote(f"pareto.{fname}", x, b, loc, scale)
    y = fnp.divide(fnp.subtract(x, loc), scale)
    below = fnp.less(y, 1.0)
    bad = fnp.logical_not(fnp.logical_and(fnp.greater(b, 0.0), fnp.greater(scale, 0.0)))
    return fnp.log(fnp.where(below, 1.0, y)), below, b, scale, bad


def _logsf(fname: str, x: Any, b: Any, loc: Any, scale: Any) -> tuple[Any, Any, Any]:
    log_y, below, b, _, bad = _args(fname, x, b, loc, scale)
    return fnp.negative(fnp.multiply(b, log_y)), below, bad


@eager_jit()
def logpdf(x: Any, b: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """log density: log(b) - (b + 1) log y - log(scale) for y >= 1, -inf below."""
    log_y, below, b, scale, bad = _args("logpdf", x, b, loc, scale)
    val = fnp.subtract(fnp.log(b), fnp.multiply(fnp.add(b, 1.0), log_y))
    val = fnp.subtract(val, fnp.log(scale))
    return invalid(outside(val, below), bad)


@eager_jit()
def pdf(x: Any, b: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """The density b / (scale y**(b + 1)) for y >= 1."""
    return fnp.exp(logpdf(x, b, loc, scale))


@eager_jit()
def cdf(x: Any, b: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """P(X <= x) = 1 - y**-b."""
    lsf, _, bad = _logsf("cdf", x, b, loc, scale)
    return invalid(fnp.negative(fnp.expm1(lsf)), bad)


@eager_jit()
def logcdf(x: Any, b: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """log P(X <= x) = log(1 - y**-b)."""
    lsf, _, bad = _logsf("logcdf", x, b, loc, scale)
    return invalid(log1mexp(lsf), bad)


@eager_jit()
def sf(x: Any, b: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """P(X > x) = y**-b (1 below the support)."""
    lsf, _, bad = _logsf("sf", x, b, loc, scale)
    return invalid(fnp.exp(lsf), bad)


@eager_jit()
def logsf(x: Any, b: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """log P(X > x) = -b log y."""
    lsf, _, bad = _logsf("logsf", x, b, loc, scale)
    return invalid(lsf, bad)


@eager_jit()
def ppf(q: Any, b: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """The quantile function loc + scale (1 - q)**(-1/b)."""
    q, b, loc, scale = promote("pareto.ppf", q, b, loc, scale)
    bad = fnp.logical_or(bad_probability(q), fnp.logical_not(
        fnp.logical_and(fnp.greater(b, 0.0), fnp.greater(scale, 0.0))))
    q = fnp.where(bad, 0.0, q)
    y = fnp.exp(fnp.negative(fnp.divide(fnp.log1p(fnp.negative(q)), b)))
    return fnp.where(bad, np.nan, fnp.add(loc, fnp.multiply(scale, y)))


__all__ = ["cdf", "logcdf", "logpdf", "logsf", "pdf", "ppf", "sf"]
