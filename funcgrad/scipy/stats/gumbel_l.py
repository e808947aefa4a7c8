"""funcgrad.scipy.stats.gumbel_l: the left-skewed Gumbel (minimum extreme value) distribution.

Functions take ``(x, loc=0, scale=1)`` like ``scipy.stats.gumbel_l``'s methods;
gumbel_l at x is gumbel_r at -x, mirrored, and log sf = -exp(z) is exact.
"""
from __future__ import annotations

from typing import Any

import funcgrad.numpy as fnp
from funcgrad.numpy._eager import eager_jit
from funcgrad.scipy.stats._common import invalid, log1mexp, quantile_args, standardize


@eager_jit()
def logpdf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """log density: z - exp(z) - log(scale)."""
    z, scale, bad = standardize("gumbel_l.logpdf", x, loc, scale)
    return invalid(fnp.subtract(fnp.subtract(z, fnp.exp(z)), fnp.log(scale)), bad)


@eager_jit()
def pdf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """The density."""
    return fnp.exp(logpdf(x, loc, scale))


@eager_jit()
def logcdf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """log P(X <= x) = log(1 - exp(-exp(z)))."""
    z, _, bad = standardize("gumbel_l.logcdf", x, loc, scale)
    return invalid(log1mexp(fnp.negative(fnp.exp(z))), bad)


@eager_jit()
def cdf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """P(X <= x) = -expm1(-exp(z))."""
    z, _, bad = standardize("gumbel_l.cdf", x, loc, scale)
    return invalid(fnp.negative(fnp.expm1(fnp.negative(fnp.exp(z)))), bad)


@eager_jit()
def logsf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """log P(X > x) = -exp(z)."""
    z, _, bad = standardize("gumbel_l.logsf", x, loc, scale)
    return invalid(fnp.negative(fnp.exp(z)), bad)


@eager_jit()
def sf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """P(X > x) = exp(-exp(z))."""
    return fnp.exp(logsf(x, loc, scale))


@eager_jit()
def ppf(p: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """The quantile function loc + scale log(-log1p(-p)) (±inf at p = 1 and 0)."""
    q, loc, scale, bad = quantile_args("gumbel_l.ppf", p, loc, scale)
    q = fnp.where(bad, 0.5, q)
    t = fnp.log(fnp.negative(fnp.log1p(fnp.negative(q))))
    return invalid(fnp.add(loc, fnp.multiply(scale, t)), bad)


__all__ = ["cdf", "logcdf", "logpdf", "logsf", "pdf", "ppf", "sf"]
