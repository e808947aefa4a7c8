"""funcgrad.scipy.stats.t: Student's t distribution with `df` degrees of freedom.

Functions take ``(x, df, loc=0, scale=1)`` like ``scipy.stats.t``'s methods.
"""
from __future__ import annotations

import math
from typing import Any

import funcgrad.numpy as fnp
from funcgrad.numpy._eager import eager_jit
from funcgrad.scipy.special import gammaln
from funcgrad.scipy.stats._common import invalid, promote

_LOG_PI = math.log(math.pi)


@eager_jit()
def logpdf(x: Any, df: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """log density: gammaln((df+1)/2) - gammaln(df/2) - log(pi df)/2 - log(scale)
    - (df+1)/2 log1p(z**2 / df)."""
    x, df, loc, scale = promote("t.logpdf", x, df, loc, scale)
    z = fnp.divide(fnp.subtract(x, loc), scale)
    half = fnp.multiply(df, 0.5)
    norm = fnp.subtract(gammaln(fnp.add(half, 0.5)), gammaln(half))
    norm = fnp.subtract(norm, fnp.multiply(fnp.add(fnp.log(df), _LOG_PI), 0.5))
    tail = fnp.multiply(fnp.add(half, 0.5), fnp.log1p(fnp.divide(fnp.multiply(z, z), df)))
    val = fnp.subtract(fnp.subtract(norm, fnp.log(scale)), tail)
    bad = fnp.logical_not(fnp.logical_and(fnp.greater(df, 0.0), fnp.greater(scale, 0.0)))
    return invalid(val, bad)


@eager_jit()
def pdf(x: Any, df: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """The density of Student's t."""
    return fnp.exp(logpdf(x, df, loc, scale))


__all__ = ["logpdf", "pdf"]
