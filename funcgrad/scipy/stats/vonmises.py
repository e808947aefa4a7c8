"""funcgrad.scipy.stats.vonmises: the von Mises (circular normal) distribution.

Functions take ``(x, kappa)`` like ``jax.scipy.stats.vonmises`` (no loc/scale).
The normalizer 2 pi I0(kappa) is computed as log(2 pi i0e(kappa)) + kappa,
so large concentrations do not overflow.
"""
from __future__ import annotations

import math
from typing import Any

import funcgrad.numpy as fnp
from funcgrad import lax
from funcgrad.numpy._eager import eager_jit
from funcgrad.scipy.stats._common import invalid, promote

_LOG_2PI = math.log(2 * math.pi)


@eager_jit()
def logpdf(x: Any, kappa: Any) -> Any:
    """log density: kappa (cos x - 1) - log(2 pi i0e(kappa)); nan unless kappa >= 0."""
    x, kappa = promote("vonmises.logpdf", x, kappa)
    ok = fnp.greater_equal(kappa, 0.0)
    k = fnp.where(ok, kappa, 1.0)
    val = fnp.subtract(fnp.multiply(k, fnp.subtract(fnp.cos(x), 1.0)),
                       fnp.add(fnp.log(lax.bessel_i0e(k)), _LOG_2PI))
    return invalid(val, fnp.logical_not(ok))


@eager_jit()
def pdf(x: Any, kappa: Any) -> Any:
    """The density exp(kappa cos x) / (2 pi I0(kappa)), periodic in x."""
    return fnp.exp(logpdf(x, kappa))


__all__ = ["logpdf", "pdf"]
