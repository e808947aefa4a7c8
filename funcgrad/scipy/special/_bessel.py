"""Bessel functions of `funcgrad.scipy.special`: I0, I1 (plain and scaled) and
J_0..J_v of integer order.

J_n comes from Miller's backward recurrence J_{k-1} = (2k/z) J_k - J_{k+1},
started at a high order with (0, 1) and normalised by J_0 + 2 sum J_{2k} = 1.
The recurrence values grow fast for small |z|, so they are rescaled whenever
they pass 1e100; the rescaling is a common factor and cancels in the ratio.
"""
from __future__ import annotations

import functools
from typing import Any

import numpy as np

import funcgrad.numpy as fnp
from funcgrad import primitives as P
from funcgrad.custom_rules import custom_jvp
from funcgrad.numpy._eager import eager_jit
from funcgrad.numpy._util import aval_of, convert
from funcgrad.scipy.special._basic import _real_float


@eager_jit()
def i0e(x: Any) -> Any:
    """exp(-|x|) I0(x), the exponentially scaled modified Bessel function of order 0."""
    return P.bessel_i0e_p.bind(_real_float(x, "i0e"))


@eager_jit()
def i1e(x: Any) -> Any:
    """exp(-|x|) I1(x), the exponentially scaled modified Bessel function of order 1."""
    return P.bessel_i1e_p.bind(_real_float(x, "i1e"))


@eager_jit()
def i0(x: Any) -> Any:
    """The modified Bessel function of the first kind of order 0 (inf beyond |x| ~ 713)."""
    x = _real_float(x, "i0")
    return fnp.multiply(fnp.exp(fnp.abs(x)), P.bessel_i0e_p.bind(x))


@eager_jit()
def i1(x: Any) -> Any:
    """The modified Bessel function of the first kind of order 1 (odd in x)."""
    x = _real_float(x, "i1")
    return fnp.multiply(fnp.exp(fnp.abs(x)), P.bessel_i1e_p.bind(x))


_RESCALE = 1e100


def _jn_rows(z: Any, v: int, n_iter: int) -> Any:
    """J_0(z) .. J_v(z) stacked, by the rescaled backward recurrence."""
    top = int(v) + int(n_iter)
    top += top % 2                       # start at an even order: the sum pairs J_0, J_2, ...
    z_s = fnp.where(fnp.less(fnp.abs(z), 1e-8), 1.0, z)
    inv = fnp.divide(2.0, z_s)
    f_hi, f = fnp.zeros_like(z_s), fnp.full_like(z_s, 1e-300)
    norm = fnp.zeros_like(z_s)
    kept: dict[int, Any] = {}
    for k in range(top, 0, -1):
        if k <= v:
            kept[k] = f
        if k % 2 == 0:
            norm = fnp.add(norm, fnp.multiply(f, 2.0))
        f_lo = fnp.subtract(fnp.multiply(fnp.multiply(inv, float(k)), f), f_hi)
        big = fnp.greater(fnp.abs(f_lo), _RESCALE)
        scale = fnp.where(big, 1 / _RESCALE, 1.0)
        f_hi, f = fnp.multiply(f, scale), fnp.multiply(f_lo, scale)
        norm = fnp.multiply(norm, scale)
        kept = {j: fnp.multiply(val, scale) for j, val in kept.items()}
    kept[0] = f
    norm = fnp.add(norm, f)
    # for tiny |z| (where 2k/z would overflow) two terms of the power series are exact
    tiny = fnp.less(fnp.abs(z), 1e-8)
    half = fnp.multiply(z, 0.5)
    lead = fnp.ones_like(z)
    rows = []
    for j in range(int(v) + 1):
        series = fnp.multiply(lead, fnp.subtract(1.0, fnp.divide(fnp.multiply(half, half),
                                                                 float(j + 1))))
        rows.append(fnp.where(tiny, series, fnp.divide(kept[j], norm)))
        lead = fnp.divide(fnp.multiply(lead, half), float(j + 1))
    return convert(fnp.stack(rows), aval_of(z).dtype)


@functools.lru_cache(maxsize=64)
def _jn_custom(v: int, n_iter: int) -> Any:
    """The rows with the derivative J_k' = (J_{k-1} - J_{k+1}) / 2 (J_0' = -J_1).

    Differentiating the recurrence itself would push tangents through its
    rescaling; the closed form needs one more order and nothing else.
    """
    @custom_jvp
    def rows(z: Any) -> Any:
        return _jn_rows(z, v, n_iter)

    def rows_jvp(primals: tuple[Any, ...], tangents: tuple[Any, ...]) -> Any:
        (z,), (t,) = primals, tangents
        ext = _jn_rows(z, v + 1, n_iter)
        inner = fnp.multiply(fnp.subtract(ext[:v], ext[2:v + 2]), 0.5)
        slope = fnp.concatenate([fnp.negative(ext[1:2]), inner])
        return ext[:v + 1], fnp.multiply(slope, t)

    rows.defjvp(rows_jvp)
    return rows


@eager_jit(("v", "n_iter"))
def bessel_jn(z: Any, *, v: int, n_iter: int = 50) -> Any:
    """J_0(z) .. J_v(z), Bessel functions of the first kind, stacked on a new axis 0.

    Args:
      z: real arguments. v: the highest order (a Python int >= 0).
      n_iter: how far above v the backward recurrence starts; it must exceed
        |z| by a margin (n_iter >= |z| + 25 gives float64 accuracy), like JAX's.
    Returns: an array of shape (v + 1, *z.shape).
    Example: ``bessel_jn(fnp.array([1.0]), v=1)[1]`` -> [0.44005059].
    """
    for name, val, low in (("v", v, 0), ("n_iter", n_iter, 1)):
        if isinstance(val, bool) or not isinstance(val, int | np.integer):
            raise TypeError(f"bessel_jn: {name} must be a Python int, got {type(val).__name__}")
        if val < low:
            raise ValueError(f"bessel_jn: {name} must be >= {low}, got {val}")
    z = _real_float(z, "bessel_jn")
    return _jn_custom(int(v), int(n_iter))(z)
