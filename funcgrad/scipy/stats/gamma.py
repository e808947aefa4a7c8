"""funcgrad.scipy.stats.gamma: the gamma distribution with shape `a`.

Functions take ``(x, a, loc=0, scale=1)`` like ``scipy.stats.gamma``'s methods
and broadcast their arguments. The CDF and survival function are the
regularized incomplete gamma functions, differentiable in `x` and in `a`.
"""
from __future__ import annotations

from typing import Any

import funcgrad.numpy as fnp
from funcgrad import lax
from funcgrad.numpy._eager import eager_jit
from funcgrad.scipy.special import gammaln, xlogy
from funcgrad.scipy.stats._common import (invalid, lax_apply, log_of_either, outside,
                                            promote)


def _args(fname: str, x: Any, a: Any, loc: Any, scale: Any) -> tuple[Any, Any, Any, Any]:
    """(y, a, scale, bad): the standardized x, the shape, the scale and the invalid mask."""
    x, a, loc, scale = promote(f"gamma.{fname}", x, a, loc, scale)
    bad = fnp.logical_not(fnp.logical_and(fnp.greater(a, 0.0), fnp.greater(scale, 0.0)))
    return fnp.divide(fnp.subtract(x, loc), scale), a, scale, bad


def _logpdf_std(y: Any, a: Any) -> Any:
    """log density of Gamma(a, 1) at y, -inf for y < 0 (y == 0 follows xlogy's limits)."""
    out = fnp.less(y, 0.0)
    y_in = fnp.where(out, 1.0, y)
    val = fnp.subtract(fnp.subtract(xlogy(fnp.subtract(a, 1.0), y_in), y_in), gammaln(a))
    return outside(val, out)


@eager_jit()
def logpdf(x: Any, a: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """log density: (a - 1) log y - y - gammaln(a) - log(scale), y = (x - loc) / scale."""
    y, a, scale, bad = _args("logpdf", x, a, loc, scale)
    return invalid(fnp.subtract(_logpdf_std(y, a), fnp.log(scale)), bad)


@eager_jit()
def pdf(x: Any, a: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """The density; 0 below `loc`."""
    return fnp.exp(logpdf(x, a, loc, scale))


@eager_jit()
def cdf(x: Any, a: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """P(X <= x) = P(a, y), the regularized lower incomplete gamma function."""
    y, a, _, bad = _args("cdf", x, a, loc, scale)
    return invalid(lax_apply(lax.igamma, a, fnp.maximum(y, 0.0)), bad)


@eager_jit()
def logcdf(x: Any, a: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """log P(X <= x) (from the survival function where the CDF is near 1)."""
    return log_of_either(cdf(x, a, loc, scale), sf(x, a, loc, scale))


@eager_jit()
def sf(x: Any, a: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """P(X > x) = Q(a, y), computed directly so the upper tail keeps its precision."""
    y, a, _, bad = _args("sf", x, a, loc, scale)
    return invalid(lax_apply(lax.igammac, a, fnp.maximum(y, 0.0)), bad)


@eager_jit()
def logsf(x: Any, a: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """log P(X > x) (from the CDF where the survival function is near 1)."""
    return log_of_either(sf(x, a, loc, scale), cdf(x, a, loc, scale))


__all__ = ["cdf", "logcdf", "logpdf", "logsf", "pdf", "sf"]
