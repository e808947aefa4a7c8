"""funcgrad.scipy.stats.bernoulli: the Bernoulli distribution with success probability `p`.

`logpmf`/`pmf` take ``(k, p, loc=0)``; `cdf` and `ppf` take ``(k, p)`` and
``(q, p)``, as in ``jax.scipy.stats.bernoulli``.
NB: ppf(0, p) is -1, SciPy's convention for a discrete quantile at 0 (JAX gives 0).
"""
from __future__ import annotations

from typing import Any

import numpy as np

import funcgrad.numpy as fnp
from funcgrad.numpy._eager import eager_jit
from funcgrad.scipy.special import xlog1py, xlogy
from funcgrad.scipy.stats._common import bad_probability, invalid, lattice, outside, promote


@eager_jit()
def logpmf(k: Any, p: Any, loc: Any = 0) -> Any:
    """log mass: y log p + (1 - y) log1p(-p) for y = k - loc in {0, 1}."""
    y, off, p = lattice("bernoulli.logpmf", k, loc, p)
    out = fnp.logical_or(off, fnp.logical_or(fnp.less(y, 0.0), fnp.greater(y, 1.0)))
    y = fnp.where(out, 0.0, y)
    val = fnp.add(xlogy(y, p), xlog1py(fnp.subtract(1.0, y), fnp.negative(p)))
    return invalid(outside(val, out), bad_probability(p))


@eager_jit()
def pmf(k: Any, p: Any, loc: Any = 0) -> Any:
    """The mass: p at 1, 1 - p at 0."""
    return fnp.exp(logpmf(k, p, loc))


@eager_jit()
def cdf(k: Any, p: Any) -> Any:
    """P(K <= k): 0 below 0, 1 - p on [0, 1), 1 from 1 on."""
    k, p = promote("bernoulli.cdf", k, p)
    val = fnp.where(fnp.less(k, 0.0), 0.0, fnp.where(fnp.less(k, 1.0), fnp.subtract(1.0, p), 1.0))
    return invalid(val, fnp.logical_or(bad_probability(p), fnp.isnan(k)))


@eager_jit()
def ppf(q: Any, p: Any) -> Any:
    """The smallest k with cdf(k) >= q: 0 for q <= 1 - p, else 1 (-1 at q = 0, 1 at q = 1)."""
    q, p = promote("bernoulli.ppf", q, p)
    val = fnp.where(fnp.less_equal(q, fnp.subtract(1.0, p)), 0.0, 1.0)
    # SciPy's ends: one below the support at q = 0, its top at q = 1
    val = fnp.where(fnp.equal(q, 0.0), -1.0, fnp.where(fnp.equal(q, 1.0), 1.0, val))
    return fnp.where(fnp.logical_or(bad_probability(p), bad_probability(q)), np.nan, val)


__all__ = ["cdf", "logpmf", "pmf", "ppf"]
