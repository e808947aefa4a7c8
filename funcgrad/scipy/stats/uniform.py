"""funcgrad.scipy.stats.uniform: the uniform distribution on [loc, loc + scale].

Functions take ``(x, loc=0, scale=1)`` like ``scipy.stats.uniform``'s methods.
"""
from __future__ import annotations

from typing import Any

import funcgrad.numpy as fnp
from funcgrad.numpy._eager import eager_jit
from funcgrad.scipy.stats._common import invalid, outside, quantile_args, standardize


@eager_jit()
def logpdf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """log density: -log(scale) on [loc, loc + scale], -inf elsewhere."""
    z, scale, bad = standardize("uniform.logpdf", x, loc, scale)
    out = fnp.logical_or(fnp.less(z, 0.0), fnp.greater(z, 1.0))
    val = fnp.subtract(fnp.multiply(z, 0.0), fnp.log(scale))      # nan where x is nan
    return invalid(outside(val, out), bad)


@eager_jit()
def pdf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """The density 1 / scale on [loc, loc + scale]."""
    return fnp.exp(logpdf(x, loc, scale))


@eager_jit()
def cdf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """P(X <= x) = clip((x - loc) / scale, 0, 1)."""
    z, _, bad = standardize("uniform.cdf", x, loc, scale)
    return invalid(fnp.clip(z, 0.0, 1.0), bad)


@eager_jit()
def ppf(q: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """The quantile function loc + scale q."""
    q, loc, scale, bad = quantile_args("uniform.ppf", q, loc, scale)
    return invalid(fnp.add(loc, fnp.multiply(scale, q)), bad)


__all__ = ["cdf", "logpdf", "pdf", "ppf"]
