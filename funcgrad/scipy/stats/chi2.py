"""funcgrad.scipy.stats.chi2: the chi-squared distribution with `df` degrees of freedom.

Functions take ``(x, df, loc=0, scale=1)`` like ``scipy.stats.chi2``'s methods.
chi2(df) is gamma(df / 2) with its scale doubled, and is computed as that.
"""
from __future__ import annotations

from typing import Any

import funcgrad.numpy as fnp
from funcgrad.numpy._eager import eager_jit
from funcgrad.scipy.stats import gamma
from funcgrad.scipy.stats._common import promote


def _as_gamma(fname: str, x: Any, df: Any, loc: Any, scale: Any) -> tuple[Any, Any, Any, Any]:
    x, df, loc, scale = promote(f"chi2.{fname}", x, df, loc, scale)
    return x, fnp.multiply(df, 0.5), loc, fnp.multiply(scale, 2.0)


@eager_jit()
def logpdf(x: Any, df: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """log density of chi2(df) at x (-inf below `loc`)."""
    return gamma.logpdf(*_as_gamma("logpdf", x, df, loc, scale))


@eager_jit()
def pdf(x: Any, df: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """The density of chi2(df)."""
    return gamma.pdf(*_as_gamma("pdf", x, df, loc, scale))


@eager_jit()
def cdf(x: Any, df: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """P(X <= x) = P(df / 2, x / 2)."""
    return gamma.cdf(*_as_gamma("cdf", x, df, loc, scale))


@eager_jit()
def logcdf(x: Any, df: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """log P(X <= x)."""
    return gamma.logcdf(*_as_gamma("logcdf", x, df, loc, scale))


@eager_jit()
def sf(x: Any, df: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """P(X > x) = Q(df / 2, x / 2)."""
    return gamma.sf(*_as_gamma("sf", x, df, loc, scale))


@eager_jit()
def logsf(x: Any, df: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """log P(X > x)."""
    return gamma.logsf(*_as_gamma("logsf", x, df, loc, scale))


__all__ = ["cdf", "logcdf", "logpdf", "logsf", "pdf", "sf"]
