"""funcgrad.scipy.stats.truncnorm: the normal distribution truncated to [a, b].

Functions take ``(x, a, b, loc=0, scale=1)`` like ``scipy.stats.truncnorm``'s
methods; `a` and `b` are in standard units (``(bound - loc) / scale``).

The normal mass between two points is the quantity everything rests on. It is
computed in log space from the tail on the side away from the mode (two
log-CDFs subtracted in log space) or, for an interval straddling 0, as
1 - Phi(a) - Phi(-b), which keeps it accurate however far out the interval is.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

import funcgrad.numpy as fnp
from funcgrad.numpy._eager import eager_jit
from funcgrad.scipy.special import log_ndtr, ndtr
from funcgrad.scipy.stats._common import invalid, log1mexp, promote

_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)


def _log_mass(lo: Any, hi: Any) -> Any:
    """log(Phi(hi) - Phi(lo)) for lo <= hi (the bounds of one shape)."""
    right = fnp.greater(lo, 0.0)                    # both in the upper tail: mirror
    central = fnp.logical_and(fnp.logical_not(right), fnp.greater(hi, 0.0))
    upper = fnp.where(right, fnp.negative(lo), hi)
    lower = fnp.where(right, fnp.negative(hi), lo)
    # one log_ndtr (and one ndtr) over both bounds stacked: half the program to compile
    log_up, log_lo = log_ndtr(fnp.stack([upper, lower]))
    # log(e^u - e^l) = u + log(1 - e^(l - u)); l - u is -inf where lower = -inf
    diff = fnp.where(fnp.equal(log_lo, -np.inf), -np.inf, fnp.subtract(log_lo, fnp.where(
        fnp.equal(log_up, -np.inf), 0.0, log_up)))
    tail = fnp.add(log_up, log1mexp(diff))
    tails = ndtr(fnp.stack([fnp.where(central, lo, 0.0),
                            fnp.negative(fnp.where(central, hi, 0.0))]))
    mid = fnp.log1p(fnp.negative(fnp.add(tails[0], tails[1])))
    return fnp.where(central, mid, tail)


def _args(fname: str, x: Any, a: Any, b: Any, loc: Any, scale: Any) -> list[Any]:
    """[z, a, b, scale, bad] broadcast to one shape."""
    x, a, b, loc, scale = promote(f"truncnorm.{fname}", x, a, b, loc, scale)
    z = fnp.divide(fnp.subtract(x, loc), scale)
    bad = fnp.logical_not(fnp.logical_and(fnp.less(a, b), fnp.greater(scale, 0.0)))
    return list(fnp.broadcast_arrays(z, a, b, scale, bad))


@eager_jit()
def logpdf(x: Any, a: Any, b: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """log density: the normal's, less log(scale) and the log mass of [a, b]; -inf outside."""
    z, a, b, scale, bad = _args("logpdf", x, a, b, loc, scale)
    val = fnp.subtract(fnp.subtract(fnp.multiply(fnp.multiply(z, z), -0.5), _LOG_SQRT_2PI),
                       fnp.add(fnp.log(scale), _log_mass(a, b)))
    out = fnp.logical_or(fnp.less(z, a), fnp.greater(z, b))
    return invalid(fnp.where(out, -np.inf, val), bad)


@eager_jit()
def pdf(x: Any, a: Any, b: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """The density on [a, b] (standard units); 0 outside."""
    return fnp.exp(logpdf(x, a, b, loc, scale))


def _logcdf(z: Any, a: Any, b: Any) -> Any:
    """log P(Z <= z) for Z truncated to [a, b]: from the lower mass, or as log1p(-sf) once
    the CDF is close to 1 (where the upper mass is the accurate one)."""
    zc = fnp.clip(z, a, b)
    # the three masses [a, b], [a, z], [z, b] in one evaluation
    total, below, above = _log_mass(fnp.stack([a, a, zc]), fnp.stack([b, zc, b]))
    lower, upper = fnp.subtract(below, total), fnp.subtract(above, total)
    val = fnp.where(fnp.greater(lower, -0.1), log1mexp(fnp.minimum(upper, 0.0)), lower)
    return fnp.where(fnp.greater_equal(z, b), 0.0, fnp.where(fnp.less_equal(z, a), -np.inf, val))


@eager_jit()
def logcdf(x: Any, a: Any, b: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """log P(X <= x)."""
    z, a, b, _, bad = _args("logcdf", x, a, b, loc, scale)
    return invalid(_logcdf(z, a, b), bad)


@eager_jit()
def cdf(x: Any, a: Any, b: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """P(X <= x)."""
    return fnp.exp(logcdf(x, a, b, loc, scale))


@eager_jit()
def logsf(x: Any, a: Any, b: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """log P(X > x): the log CDF of the mirrored distribution at -x."""
    z, a, b, _, bad = _args("logsf", x, a, b, loc, scale)
    return invalid(_logcdf(fnp.negative(z), fnp.negative(b), fnp.negative(a)), bad)


@eager_jit()
def sf(x: Any, a: Any, b: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """P(X > x)."""
    return fnp.exp(logsf(x, a, b, loc, scale))


__all__ = ["cdf", "logcdf", "logpdf", "logsf", "pdf", "sf"]
