"""funcgrad.scipy.stats.wrapcauchy: the wrapped Cauchy distribution on [0, 2 pi].

Functions take ``(x, c)`` with 0 < c < 1, like ``jax.scipy.stats.wrapcauchy``.
"""
from __future__ import annotations

import math
from typing import Any

import funcgrad.numpy as fnp
from funcgrad.numpy._eager import eager_jit
from funcgrad.scipy.stats._common import invalid, outside, promote

_LOG_2PI = math.log(2 * math.pi)


@eager_jit()
def logpdf(x: Any, c: Any) -> Any:
    """log density: log(1 - c**2) - log(2 pi) - log(1 + c**2 - 2 c cos x)."""
    x, c = promote("wrapcauchy.logpdf", x, c)
    ok = fnp.logical_and(fnp.greater(c, 0.0), fnp.less(c, 1.0))
    c = fnp.where(ok, c, 0.5)
    c2 = fnp.multiply(c, c)
    val = fnp.subtract(fnp.subtract(fnp.log1p(fnp.negative(c2)), _LOG_2PI),
                       fnp.log(fnp.subtract(fnp.add(1.0, c2), fnp.multiply(fnp.multiply(c, 2.0),
                                                                           fnp.cos(x)))))
    out = fnp.logical_or(fnp.less(x, 0.0), fnp.greater(x, 2 * math.pi))
    return invalid(outside(val, out), fnp.logical_not(ok))


@eager_jit()
def pdf(x: Any, c: Any) -> Any:
    """The density on [0, 2 pi]."""
    return fnp.exp(logpdf(x, c))


__all__ = ["logpdf", "pdf"]
