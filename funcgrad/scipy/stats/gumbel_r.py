"""funcgrad.scipy.stats.gumbel_r: the right-skewed Gumbel (maximum extreme value) distribution.

Functions take ``(x, loc=0, scale=1)`` like ``scipy.stats.gumbel_r``'s methods.
log cdf = -exp(-z) is exact; the survival function uses the expm1/log1p forms.
"""
from __future__ import annotations

from typing import Any

import funcgrad.numpy as fnp
from funcgrad.numpy._eager import eager_jit
from funcgrad.scipy.stats._common import invalid, log1mexp, quantile_args, standardize


@eager_jit()
def logpdf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """log density: -z - exp(-z) - log(scale)."""
    z, scale, bad = standardize("gumbel_r.logpdf", x, loc, scale)
    val = fnp.negative(fnp.add(fnp.add(z, fnp.exp(fnp.negative(z))), fnp.log(scale)))
    return invalid(val, bad)


@eager_jit()
def pdf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """The density."""
    return fnp.exp(logpdf(x, loc, scale))


@eager_jit()
def logcdf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """log P(X <= x) = -exp(-z)."""
    z, _, bad = standardize("gumbel_r.logcdf", x, loc, scale)
    return invalid(fnp.negative(fnp.exp(fnp.negative(z))), bad)


@eager_jit()
def cdf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """P(X <= x) = exp(-exp(-z))."""
    return fnp.exp(logcdf(x, loc, scale))


@eager_jit()
def sf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """P(X > x) = -expm1(-exp(-z))."""
    z, _, bad = standardize("gumbel_r.sf", x, loc, scale)
    return invalid(fnp.negative(fnp.expm1(fnp.negative(fnp.exp(fnp.negative(z))))), bad)


@eager_jit()
def logsf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """log P(X > x) = log(1 - exp(-exp(-z)))."""
    z, _, bad = standardize("gumbel_r.logsf", x, loc, scale)
    return invalid(log1mexp(fnp.negative(fnp.exp(fnp.negative(z)))), bad)


@eager_jit()
def ppf(p: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """The quantile function loc - scale log(-log p) (±inf at p = 1 and 0)."""
    q, loc, scale, bad = quantile_args("gumbel_r.ppf", p, loc, scale)
    q = fnp.where(bad, 0.5, q)
    return invalid(fnp.subtract(loc, fnp.multiply(scale, fnp.log(fnp.negative(fnp.log(q))))), bad)


__all__ = ["cdf", "logcdf", "logpdf", "logsf", "pdf", "ppf", "sf"]
