"""funcgrad.scipy.stats.multivariate_normal: the multivariate normal distribution.

Functions take ``(x, mean, cov)`` like ``jax.scipy.stats.multivariate_normal``:
`x` is (..., n), `mean` (..., n) and `cov` (..., n, n), all batch axes
broadcasting; a scalar `mean` is the one-dimensional case and a scalar `cov`
the isotropic one (cov * I). The covariance is factored once by Cholesky and
the points are whitened by one triangular solve with all of them as
right-hand sides, so a batch of points costs one factorization.
"""
from __future__ import annotations

import math
from typing import Any

import funcgrad.numpy as fnp
from funcgrad.errors import UnsupportedError
from funcgrad.lax import linalg as lax_linalg
from funcgrad.numpy._eager import eager_jit
from funcgrad.scipy.stats._common import promote

_LOG_2PI = math.log(2 * math.pi)


def _whitened_sq_norm(d: Any, cov: Any) -> tuple[Any, Any]:
    """(|L^-1 d|**2 over the last axis, sum(log diag L)) for cov = L L^T."""
    chol = lax_linalg.cholesky(cov)
    half_logdet = fnp.sum(fnp.log(fnp.diagonal(chol, axis1=-2, axis2=-1)), axis=-1)
    n = cov.shape[-1]
    if cov.ndim == 2:
        # one factor for every point: solve y L^T = d with the points as rows
        flat = fnp.reshape(d, (-1, n))
        y = lax_linalg.triangular_solve(chol, flat, left_side=False, lower=True,
                                        transpose_a=True)
        return fnp.reshape(fnp.sum(fnp.multiply(y, y), axis=-1), d.shape[:-1]), half_logdet
    batch = fnp.broadcast_shapes(d.shape[:-1], cov.shape[:-2])
    chol = fnp.broadcast_to(chol, batch + (n, n))
    rows = fnp.broadcast_to(d, batch + (n,))[..., None, :]
    y = lax_linalg.triangular_solve(chol, rows, left_side=False, lower=True, transpose_a=True)
    return fnp.sum(fnp.multiply(y, y), axis=(-2, -1)), half_logdet


@eager_jit(static_argnames=("allow_singular",))
def logpdf(x: Any, mean: Any, cov: Any, allow_singular: bool | None = None) -> Any:
    """log density: -|L^-1 (x - mean)|**2 / 2 - sum(log diag L) - n log(2 pi) / 2.

    Raises:
        UnsupportedError: `allow_singular=True` (singular covariances are not supported).
        ValueError: `cov` is not (..., n, n) for a mean of n entries.
    """
    if allow_singular:
        raise UnsupportedError("funcgrad.scipy.stats.multivariate_normal.logpdf: "
                               "allow_singular=True is not supported; pass a positive-definite "
                               "covariance (a singular one gives nan)")
    x, mean, cov = (fnp.asarray(v) for v in promote("multivariate_normal.logpdf", x, mean, cov))
    d = fnp.subtract(x, mean)
    if mean.ndim == 0:
        return fnp.multiply(fnp.add(fnp.divide(fnp.multiply(d, d), cov),
                                    fnp.add(fnp.log(cov), _LOG_2PI)), -0.5)
    n = mean.shape[-1]
    if cov.ndim == 0:
        sq = fnp.divide(fnp.sum(fnp.multiply(d, d), axis=-1), cov)
        return fnp.multiply(fnp.add(sq, fnp.multiply(fnp.add(fnp.log(cov), _LOG_2PI), n)), -0.5)
    if cov.ndim < 2 or cov.shape[-2:] != (n, n):
        raise ValueError("funcgrad.scipy.stats.multivariate_normal.logpdf: `cov` must have shape "
                         f"(..., {n}, {n}) for a mean of {n} entries, got cov.shape={cov.shape}")
    sq, half_logdet = _whitened_sq_norm(d, cov)
    return fnp.subtract(fnp.multiply(fnp.add(sq, n * _LOG_2PI), -0.5), half_logdet)


@eager_jit()
def pdf(x: Any, mean: Any, cov: Any) -> Any:
    """The density exp(logpdf)."""
    return fnp.exp(logpdf(x, mean, cov))


__all__ = ["logpdf", "pdf"]
