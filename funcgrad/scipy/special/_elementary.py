"""Box-Cox transforms and the Kullback-Leibler term of `funcgrad.scipy.special`.

The Box-Cox transform (x^l - 1) / l is written as log(x) * exprel(l log x)
with exprel(t) = expm1(t) / t, whose Taylor branch near t = 0 keeps full
precision as l -> 0 and gives the right derivative in l at l = 0
(log(x)^2 / 2), where a ``where(l == 0, log(x), ...)`` would give 0.
"""
from __future__ import annotations

from typing import Any

import numpy as np

import funcgrad.numpy as fnp
from funcgrad.numpy._eager import eager_jit
from funcgrad.numpy._util import aval_of, convert
from funcgrad.scipy.special._basic import _common_float

_EXPREL_CUT = 1e-3      # below, 1 + t/2 + ... + t^4/120 is exact to rounding


def _log1p(y: Any) -> Any:
    """log(1 + y) to full precision (Kahan): log(u) * y / (u - 1) with u = 1 + y rounded.

    NB: used instead of the log1p primitive, whose XLA CPU expansion loses
    digits (2e-14 relative) for moderate |y|.
    """
    u = fnp.add(y, 1.0)
    exact = fnp.equal(u, 1.0)
    den = fnp.where(exact, 1.0, fnp.subtract(u, 1.0))
    out = fnp.multiply(fnp.log(u), fnp.divide(y, den))
    return fnp.where(exact, y, fnp.where(fnp.isinf(u), u, out))


def _box_cox(log_x: Any, lmbda: Any) -> Any:
    t = fnp.multiply(lmbda, log_x)
    big = fnp.greater_equal(fnp.abs(t), _EXPREL_CUT)        # False for nan (log 0 * 0)
    t_s = fnp.where(big, 0.0, fnp.where(fnp.isnan(t), 0.0, t))
    series = fnp.add(1.0, fnp.multiply(t_s, fnp.add(0.5, fnp.multiply(t_s, fnp.add(
        1 / 6, fnp.multiply(t_s, fnp.add(1 / 24, fnp.multiply(t_s, 1 / 120))))))))
    small_val = fnp.multiply(log_x, series)
    direct = fnp.divide(fnp.expm1(fnp.where(big, t, 1.0)), fnp.where(big, lmbda, 1.0))
    return convert(fnp.where(big, direct, small_val), aval_of(lmbda).dtype)


@eager_jit()
def boxcox(x: Any, lmbda: Any) -> Any:
    """The Box-Cox transform (x**lmbda - 1) / lmbda, log(x) at lmbda == 0 (nan for x < 0).

    Example: ``boxcox(2.0, 0.5)`` -> 0.8284271247461903.
    """
    x, lmbda = _common_float("boxcox", x, lmbda)
    return _box_cox(fnp.log(x), lmbda)


@eager_jit()
def boxcox1p(x: Any, lmbda: Any) -> Any:
    """The Box-Cox transform of 1 + x, accurate for small x (nan for x < -1)."""
    x, lmbda = _common_float("boxcox1p", x, lmbda)
    return _box_cox(_log1p(x), lmbda)


@eager_jit()
def kl_div(x: Any, y: Any) -> Any:
    """x log(x / y) - x + y for x, y > 0; y where x == 0 and y >= 0; inf otherwise."""
    x, y = _common_float("kl_div", x, y)
    both = fnp.logical_and(fnp.greater(x, 0.0), fnp.greater(y, 0.0))
    xs, ys = fnp.where(both, x, 1.0), fnp.where(both, y, 1.0)
    val = fnp.add(fnp.subtract(fnp.multiply(xs, fnp.log(fnp.divide(xs, ys))), xs), ys)
    zero = fnp.logical_and(fnp.equal(x, 0.0), fnp.greater_equal(y, 0.0))
    out = fnp.where(both, val, fnp.where(zero, y, np.inf))
    nan = fnp.logical_or(fnp.isnan(x), fnp.isnan(y))
    return convert(fnp.where(nan, np.nan, out), aval_of(x).dtype)
