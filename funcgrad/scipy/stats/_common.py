"""Shared plumbing of the distributions: argument promotion and the SciPy masks.

Every density, mass or distribution function promotes its arguments to one
floating dtype (integers and Python numbers compute in the default float, like
SciPy), computes its formula on values kept inside the support (so an unused
branch of a `where` cannot send nan into a gradient), then applies SciPy's
conventions: outside the support a log-density is -inf, and invalid
parameters (a non-positive scale, a probability outside [0, 1]) give nan.
"""
from __future__ import annotations

from typing import Any

import numpy as np

import funcgrad.numpy as fnp
from funcgrad import dtypes
from funcgrad.numpy._util import asarray_operand, aval_of, convert


def promote(fname: str, *xs: Any) -> list[Any]:
    """`xs` converted to their common floating dtype (the default float for integers)."""
    ops = [asarray_operand(x) for x in xs]
    dt, weak = dtypes.result_type(*(aval_of(o) for o in ops))
    if dtypes.is_complex(dt):
        raise TypeError(f"funcgrad.scipy.stats.{fname}: complex input is not supported (got "
                        f"{', '.join(aval_of(o).str_short() for o in ops)}); pass real arrays")
    if not dtypes.is_float(dt) or weak:
        dt = dtypes.default_float()
    return [convert(o, dt, False) for o in ops]


def dtype_of(x: Any) -> np.dtype:
    return aval_of(asarray_operand(x)).dtype


def invalid(val: Any, bad: Any) -> Any:
    """`val`, with nan where the parameters are invalid (`bad`)."""
    return fnp.where(bad, np.nan, val)


def outside(val: Any, out: Any, fill: float = -np.inf) -> Any:
    """`val`, with `fill` (default -inf, a log-density's value) where `out` is true."""
    return fnp.where(out, fill, val)


def not_integer(k: Any) -> Any:
    """True where k is a number but not an integer (nan stays nan downstream)."""
    return fnp.logical_and(fnp.not_equal(fnp.floor(k), k), fnp.logical_not(fnp.isnan(k)))


def bad_probability(p: Any) -> Any:
    """True where p is not a probability (nan included)."""
    return fnp.logical_not(fnp.logical_and(fnp.greater_equal(p, 0.0), fnp.less_equal(p, 1.0)))


def log1mexp(x: Any) -> Any:
    """log(1 - exp(x)) for x <= 0, accurate at both ends (the expm1/log1p switch at -log 2)."""
    near = fnp.greater(x, -np.log(2.0))
    x_near = fnp.where(near, x, -1.0)
    x_far = fnp.where(near, -1.0, x)
    return fnp.where(near, fnp.log(fnp.negative(fnp.expm1(x_near))),
                     fnp.log1p(fnp.negative(fnp.exp(x_far))))


def log_of_either(p: Any, q: Any) -> Any:
    """log p for p = 1 - q, from whichever of the two is accurate: log p while p <= 1/2,
    log1p(-q) beyond (where p rounds towards 1 and q keeps the digits)."""
    return fnp.where(fnp.greater(p, 0.5), fnp.log1p(fnp.negative(q)), fnp.log(p))


def lax_apply(fn: Any, *xs: Any) -> Any:
    """`fn` (a lax function, which never broadcasts) applied to `xs` broadcast together."""
    return fn(*fnp.broadcast_arrays(*xs))


def standardize(fname: str, x: Any, loc: Any, scale: Any) -> tuple[Any, Any, Any]:
    """(z, scale, bad): z = (x - loc) / scale in the common dtype; bad where scale <= 0."""
    x, loc, scale = promote(fname, x, loc, scale)
    return (fnp.divide(fnp.subtract(x, loc), scale), scale,
            fnp.logical_not(fnp.greater(scale, 0.0)))


def quantile_args(fname: str, q: Any, loc: Any, scale: Any) -> tuple[Any, Any, Any, Any]:
    """(q, loc, scale, bad) for a quantile function: bad where q is not a probability or
    scale <= 0."""
    q, loc, scale = promote(fname, q, loc, scale)
    bad = fnp.logical_or(bad_probability(q), fnp.logical_not(fnp.greater(scale, 0.0)))
    return q, loc, scale, bad


def lattice(fname: str, k: Any, loc: Any, *params: Any) -> list[Any]:
    """[y, off, *params] for a distribution on the integers: y = k - loc, and `off`
    where y is not an integer (SciPy's mass there is 0)."""
    k, loc, *rest = promote(fname, k, loc, *params)
    y = fnp.subtract(k, loc)
    return [y, not_integer(y), *rest]
