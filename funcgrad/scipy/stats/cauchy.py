"""funcgrad.scipy.stats.cauchy: the Cauchy distribution.

Functions take ``(x, loc=0, scale=1)`` like ``scipy.stats.cauchy``'s methods.
The CDF is 1/2 + arctan(z) / pi; `sf` evaluates it at -z, so each tail is as
accurate as the other, and the quantiles are exact (±inf) at 0 and 1.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

import funcgrad.numpy as fnp
from funcgrad.numpy._eager import eager_jit
from funcgrad.scipy.stats._common import invalid, quantile_args, standardize

_LOG_PI = math.log(math.pi)


def _cdf_std(z: Any) -> Any:
    return fnp.add(0.5, fnp.divide(fnp.arctan(z), np.pi))


@eager_jit()
def logpdf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """log density: -log(pi scale) - log1p(z**2)."""
    z, scale, bad = standardize("cauchy.logpdf", x, loc, scale)
    val = fnp.negative(fnp.add(fnp.add(fnp.log(scale), _LOG_PI), fnp.log1p(fnp.multiply(z, z))))
    return invalid(val, bad)


@eager_jit()
def pdf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """The density 1 / (pi scale (1 + z**2))."""
    return fnp.exp(logpdf(x, loc, scale))


@eager_jit()
def cdf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """P(X <= x)."""
    z, _, bad = standardize("cauchy.cdf", x, loc, scale)
    return invalid(_cdf_std(z), bad)


@eager_jit()
def logcdf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """log P(X <= x)."""
    return fnp.log(cdf(x, loc, scale))


@eager_jit()
def sf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """P(X > x), the CDF at the mirrored point."""
    z, _, bad = standardize("cauchy.sf", x, loc, scale)
    return invalid(_cdf_std(fnp.negative(z)), bad)


@eager_jit()
def logsf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """log P(X > x)."""
    return fnp.log(sf(x, loc, scale))


def _quantile(fname: str, q: Any, loc: Any, scale: Any, sign: float) -> Any:
    q, loc, scale, bad = quantile_args(fname, q, loc, scale)
    # z = tan(pi (q - 1/2)) is odd about q = 1/2: evaluate it at t = min(q, 1 - q) (exact),
    # as -cot(pi t) in the tail, where tan's pole would amplify the rounding of q - 1/2
    t = fnp.minimum(q, fnp.subtract(1.0, q))
    tail = fnp.less(t, 0.25)
    z = fnp.where(tail, fnp.negative(fnp.divide(1.0, fnp.tan(fnp.multiply(t, np.pi)))),
                  fnp.tan(fnp.multiply(fnp.subtract(fnp.where(tail, 0.5, t), 0.5), np.pi)))
    z = fnp.where(fnp.greater(q, 0.5), fnp.negative(z), z)
    return invalid(fnp.add(loc, fnp.multiply(fnp.multiply(scale, sign), z)), bad)


@eager_jit()
def ppf(q: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """The quantile function: loc + scale tan(pi (q - 1/2))."""
    return _quantile("cauchy.ppf", q, loc, scale, 1.0)


@eager_jit()
def isf(q: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """The inverse survival function: loc - scale tan(pi (q - 1/2))."""
    return _quantile("cauchy.isf", q, loc, scale, -1.0)


__all__ = ["cdf", "isf", "logcdf", "logpdf", "logsf", "pdf", "ppf", "sf"]
