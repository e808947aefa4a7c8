"""funcgrad.scipy.stats.laplace: the Laplace (double exponential) distribution.

Functions take ``(x, loc=0, scale=1)`` like ``scipy.stats.laplace``'s methods.
"""
from __future__ import annotations

import math
from typing import Any

import funcgrad.numpy as fnp
from funcgrad.numpy._eager import eager_jit
from funcgrad.scipy.stats._common import invalid, standardize

_LOG2 = math.log(2.0)


@eager_jit()
def logpdf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """log density: -|z| - log(2 scale)."""
    z, scale, bad = standardize("laplace.logpdf", x, loc, scale)
    return invalid(fnp.negative(fnp.add(fnp.abs(z), fnp.add(fnp.log(scale), _LOG2))), bad)


@eager_jit()
def pdf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """The density exp(-|z|) / (2 scale)."""
    return fnp.exp(logpdf(x, loc, scale))


@eager_jit()
def cdf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """P(X <= x): exp(z) / 2 below loc, 1 - exp(-z) / 2 above (each side without overflow)."""
    z, _, bad = standardize("laplace.cdf", x, loc, scale)
    half_tail = fnp.multiply(fnp.exp(fnp.negative(fnp.abs(z))), 0.5)
    return invalid(fnp.where(fnp.less_equal(z, 0.0), half_tail, fnp.subtract(1.0, half_tail)), bad)


__all__ = ["cdf", "logpdf", "pdf"]
