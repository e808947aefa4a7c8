"""funcgrad.scipy.stats.multinomial: counts of `n` draws over categories with probabilities `p`.

Functions take ``(x, n, p)`` like ``jax.scipy.stats.multinomial``: the
categories lie along the last axis of `x` and `p`, and the leading axes
broadcast.
"""
from __future__ import annotations

from typing import Any

import numpy as np

import funcgrad.numpy as fnp
from funcgrad import dtypes
from funcgrad.numpy._eager import eager_jit
from funcgrad.scipy.special import gammaln, xlogy
from funcgrad.scipy.stats._common import dtype_of, outside, promote


@eager_jit()
def logpmf(x: Any, n: Any, p: Any) -> Any:
    """log mass: gammaln(n + 1) + sum(x log p - gammaln(x + 1)) over the last axis;
    -inf unless the counts are non-negative and sum to n.

    Raises:
        ValueError: `x` or `n` is not of an integer dtype (counts are integers).
    """
    for name, v in (("x", x), ("n", n)):
        dt = dtype_of(v)
        if not (dtypes.is_integer(dt) or dt == np.dtype(bool)):
            raise ValueError(f"funcgrad.scipy.stats.multinomial.logpmf: `{name}` must be of "
                             f"integer type (counts), got dtype {dt}; convert with .astype(int)")
    (p,) = promote("multinomial.logpmf", p)
    x = fnp.asarray(x).astype(p.dtype)
    n = fnp.asarray(n).astype(p.dtype)
    val = fnp.add(gammaln(fnp.add(n, 1.0)),
                  fnp.sum(fnp.subtract(xlogy(x, p), gammaln(fnp.add(x, 1.0))), axis=-1))
    out = fnp.logical_or(fnp.not_equal(fnp.sum(x, axis=-1), n),
                         fnp.any(fnp.less(x, 0.0), axis=-1))
    return outside(val, out)


@eager_jit()
def pmf(x: Any, n: Any, p: Any) -> Any:
    """The mass n! prod(p**x / x!)."""
    return fnp.exp(logpmf(x, n, p))


__all__ = ["logpmf", "pmf"]
