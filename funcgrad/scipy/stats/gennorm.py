"""funcgrad.scipy.stats.gennorm: the generalized normal distribution with shape `beta`.

Functions take ``(x, beta)`` like ``jax.scipy.stats.gennorm`` (no loc/scale).
beta = 2 is a normal with variance 1/2, beta = 1 the Laplace distribution.
"""
from __future__ import annotations

import math
from typing import Any

import funcgrad.numpy as fnp
from funcgrad import lax
from funcgrad.numpy._eager import eager_jit
from funcgrad.scipy.special import gammaln
from funcgrad.scipy.stats._common import invalid, lax_apply, promote

_LOG2 = math.log(2.0)


def _args(fname: str, x: Any, beta: Any) -> tuple[Any, Any, Any]:
    x, beta = promote(f"gennorm.{fname}", x, beta)
    bad = fnp.logical_not(fnp.greater(beta, 0.0))
    return x, fnp.where(bad, 1.0, beta), bad


@eager_jit()
def logpdf(x: Any, beta: Any) -> Any:
    """log density: log(beta / 2) - gammaln(1 / beta) - |x|**beta."""
    x, beta, bad = _args("logpdf", x, beta)
    norm = fnp.add(gammaln(fnp.divide(1.0, beta)), _LOG2)
    val = fnp.subtract(fnp.subtract(fnp.log(beta), norm), fnp.power(fnp.abs(x), beta))
    return invalid(val, bad)


@eager_jit()
def pdf(x: Any, beta: Any) -> Any:
    """The density beta / (2 Gamma(1/beta)) exp(-|x|**beta)."""
    return fnp.exp(logpdf(x, beta))


@eager_jit()
def cdf(x: Any, beta: Any) -> Any:
    """P(X <= x) = (1 + sign(x) P(1/beta, |x|**beta)) / 2, written with the upper
    incomplete gamma Q = 1 - P so the lower tail keeps its precision."""
    x, beta, bad = _args("cdf", x, beta)
    half_q = fnp.multiply(lax_apply(lax.igammac, fnp.divide(1.0, beta),
                                    fnp.power(fnp.abs(x), beta)), 0.5)
    return invalid(fnp.where(fnp.less_equal(x, 0.0), half_q, fnp.subtract(1.0, half_q)), bad)


__all__ = ["cdf", "logpdf", "pdf"]
