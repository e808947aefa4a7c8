"""funcgrad.scipy.stats.geom: the geometric distribution (trials up to the first success).

Functions take ``(k, p, loc=0)`` like ``scipy.stats.geom``'s methods; the
support is 1, 2, ... and `p` is in (0, 1].
"""
from __future__ import annotations

from typing import Any

import funcgrad.numpy as fnp
from funcgrad.numpy._eager import eager_jit
from funcgrad.scipy.special import xlog1py
from funcgrad.scipy.stats._common import invalid, lattice, outside


@eager_jit()
def logpmf(k: Any, p: Any, loc: Any = 0) -> Any:
    """log mass: (y - 1) log1p(-p) + log p, y = k - loc >= 1."""
    y, off, p = lattice("geom.logpmf", k, loc, p)
    out = fnp.logical_or(off, fnp.less(y, 1.0))
    y = fnp.where(out, 1.0, y)
    bad = fnp.logical_not(fnp.logical_and(fnp.greater(p, 0.0), fnp.less_equal(p, 1.0)))
    p = fnp.where(bad, 0.5, p)
    val = fnp.add(xlog1py(fnp.subtract(y, 1.0), fnp.negative(p)), fnp.log(p))
    return invalid(outside(val, out), bad)


@eager_jit()
def pmf(k: Any, p: Any, loc: Any = 0) -> Any:
    """The mass (1 - p)**(y - 1) p."""
    return fnp.exp(logpmf(k, p, loc))


__all__ = ["logpmf", "pmf"]
