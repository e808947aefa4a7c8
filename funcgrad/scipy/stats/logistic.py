"""funcgrad.scipy.stats.logistic: the logistic distribution.

Functions take ``(x, loc=0, scale=1)`` like ``scipy.stats.logistic``'s
methods; the CDF is the logistic sigmoid and the quantile function its
inverse, the logit.
"""
from __future__ import annotations

from typing import Any

import funcgrad.numpy as fnp
from funcgrad.numpy._eager import eager_jit
from funcgrad.scipy.special import expit, logit
from funcgrad.scipy.stats._common import invalid, quantile_args, standardize


@eager_jit()
def logpdf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """log density: -|z| - 2 log1p(exp(-|z|)) - log(scale) (the density is even in z)."""
    z, scale, bad = standardize("logistic.logpdf", x, loc, scale)
    a = fnp.abs(z)
    tail = fnp.multiply(fnp.log1p(fnp.exp(fnp.negative(a))), 2.0)
    val = fnp.subtract(fnp.negative(fnp.add(a, tail)), fnp.log(scale))
    return invalid(val, bad)


@eager_jit()
def pdf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """The density."""
    return fnp.exp(logpdf(x, loc, scale))


@eager_jit()
def cdf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """P(X <= x) = expit(z)."""
    z, _, bad = standardize("logistic.cdf", x, loc, scale)
    return invalid(expit(z), bad)


@eager_jit()
def sf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """P(X > x) = expit(-z)."""
    z, _, bad = standardize("logistic.sf", x, loc, scale)
    return invalid(expit(fnp.negative(z)), bad)


@eager_jit()
def ppf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """The quantile function loc + scale logit(x) (x a probability; JAX's argument name)."""
    q, loc, scale, bad = quantile_args("logistic.ppf", x, loc, scale)
    return invalid(fnp.add(loc, fnp.multiply(scale, logit(q))), bad)


@eager_jit()
def isf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """The inverse survival function loc - scale logit(x) (x a probability)."""
    q, loc, scale, bad = quantile_args("logistic.isf", x, loc, scale)
    return invalid(fnp.subtract(loc, fnp.multiply(scale, logit(q))), bad)


__all__ = ["cdf", "isf", "logpdf", "pdf", "ppf", "sf"]
