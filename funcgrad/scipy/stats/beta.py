"""funcgrad.scipy.stats.beta: the beta distribution on [loc, loc + scale].

Functions take ``(x, a, b, loc=0, scale=1)`` like ``scipy.stats.beta``'s
methods. The CDF is the regularized incomplete beta function, differentiable
in `x` only (as in JAX; its derivatives in `a` and `b` raise).
"""
from __future__ import annotations

from typing import Any

import funcgrad.numpy as fnp
from funcgrad import lax
from funcgrad.numpy._eager import eager_jit
from funcgrad.scipy.special import betaln, xlog1py, xlogy
from funcgrad.scipy.stats._common import (invalid, lax_apply, log_of_either, outside,
                                            promote)


def _args(fname: str, x: Any, a: Any, b: Any, loc: Any, scale: Any) -> list[Any]:
    """[y, a, b, scale, bad]: the standardized x, the parameters and the invalid mask."""
    x, a, b, loc, scale = promote(f"beta.{fname}", x, a, b, loc, scale)
    bad = fnp.logical_not(fnp.logical_and(fnp.logical_and(fnp.greater(a, 0.0), fnp.greater(b, 0.0)),
                                          fnp.greater(scale, 0.0)))
    return [fnp.divide(fnp.subtract(x, loc), scale), a, b, scale, bad]


@eager_jit()
def logpdf(x: Any, a: Any, b: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """log density: (a-1) log y + (b-1) log(1-y) - betaln(a, b) - log(scale)."""
    y, a, b, scale, bad = _args("logpdf", x, a, b, loc, scale)
    out = fnp.logical_or(fnp.less(y, 0.0), fnp.greater(y, 1.0))
    y_in = fnp.where(out, 0.5, y)
    val = fnp.add(xlogy(fnp.subtract(a, 1.0), y_in),
                  xlog1py(fnp.subtract(b, 1.0), fnp.negative(y_in)))
    val = fnp.subtract(fnp.subtract(val, betaln(a, b)), fnp.log(scale))
    return invalid(outside(val, out), bad)


@eager_jit()
def pdf(x: Any, a: Any, b: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """The density; 0 outside [loc, loc + scale]."""
    return fnp.exp(logpdf(x, a, b, loc, scale))


@eager_jit()
def cdf(x: Any, a: Any, b: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """P(X <= x) = I_y(a, b)."""
    y, a, b, _, bad = _args("cdf", x, a, b, loc, scale)
    return invalid(lax_apply(lax.betainc, a, b, fnp.clip(y, 0.0, 1.0)), bad)


@eager_jit()
def logcdf(x: Any, a: Any, b: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """log P(X <= x) (from the survival function where the CDF is near 1)."""
    return log_of_either(cdf(x, a, b, loc, scale), sf(x, a, b, loc, scale))


@eager_jit()
def sf(x: Any, a: Any, b: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """P(X > x) = I_{1-y}(b, a), computed directly so the upper tail keeps its precision."""
    y, a, b, _, bad = _args("sf", x, a, b, loc, scale)
    return invalid(lax_apply(lax.betainc, b, a, fnp.subtract(1.0, fnp.clip(y, 0.0, 1.0))), bad)


@eager_jit()
def logsf(x: Any, a: Any, b: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """log P(X > x) (from the CDF where the survival function is near 1)."""
    return log_of_either(sf(x, a, b, loc, scale), cdf(x, a, b, loc, scale))


__all__ = ["cdf", "logcdf", "logpdf", "logsf", "pdf", "sf"]
