"""funcgrad.scipy.stats.dirichlet: the Dirichlet distribution on the simplex.

Functions take ``(x, alpha)`` like ``jax.scipy.stats.dirichlet``: `alpha` has
shape (K,), `x` has shape (K, ...) or (K - 1, ...) (then the last coordinate is
1 minus the others), and points are along the first axis.
NB: off the simplex the log-density is -inf (as in JAX); SciPy raises instead.
"""
from __future__ import annotations

from typing import Any

import numpy as np

import funcgrad.numpy as fnp
from funcgrad.numpy._eager import eager_jit
from funcgrad.scipy.special import gammaln, xlogy
from funcgrad.scipy.stats._common import outside, promote


@eager_jit()
def logpdf(x: Any, alpha: Any) -> Any:
    """log density: sum((alpha - 1) log x) - sum(gammaln(alpha)) + gammaln(sum(alpha)).

    Raises:
        ValueError: `alpha` is not one-dimensional, or x.shape[0] is neither K nor K - 1.
    """
    x, alpha = (fnp.asarray(v) for v in promote("dirichlet.logpdf", x, alpha))
    if alpha.ndim != 1:
        raise ValueError("funcgrad.scipy.stats.dirichlet.logpdf: `alpha` must be "
                         f"one-dimensional, got alpha.shape={alpha.shape}")
    k = alpha.shape[0]
    if x.ndim == 0 or x.shape[0] not in (k, k - 1):
        raise ValueError("funcgrad.scipy.stats.dirichlet.logpdf: `x` must have K or K - 1 "
                         f"entries along its first axis (K = {k}), got x.shape={x.shape}")
    if x.shape[0] == k - 1:
        x = fnp.concatenate([x, fnp.subtract(1.0, fnp.sum(x, axis=0, keepdims=True))], axis=0)
    a = fnp.reshape(alpha, (k,) + (1,) * (x.ndim - 1))
    norm = fnp.subtract(fnp.sum(gammaln(alpha)), gammaln(fnp.sum(alpha)))
    val = fnp.subtract(fnp.sum(xlogy(fnp.subtract(a, 1.0), x), axis=0), norm)
    tol = max(1e-6, 16 * float(np.finfo(x.dtype).eps))
    simplex = fnp.logical_and(fnp.all(fnp.greater(x, 0.0), axis=0),
                              fnp.less(fnp.abs(fnp.subtract(fnp.sum(x, axis=0), 1.0)), tol))
    return outside(val, fnp.logical_not(simplex))


@eager_jit()
def pdf(x: Any, alpha: Any) -> Any:
    """The density on the simplex."""
    return fnp.exp(logpdf(x, alpha))


__all__ = ["logpdf", "pdf"]
