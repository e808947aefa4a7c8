"""More samplers, each a transformation of uniform, normal or gamma draws.

Every one follows JAX's algorithm step for step (the same key splits, the same
operations in the same order), so for the same key, shape and dtype it returns
JAX's numbers bit for bit. The ones built on gamma (t, chisquare, f,
generalized_normal, ball) call the shared gamma executable (see
`_gamma.gamma_t`) and are differentiable in their shape parameters.
"""
from __future__ import annotations

import operator
from typing import Any

import numpy as np

from funcgrad import dtypes
from funcgrad import lax
from funcgrad import numpy as fnp
from funcgrad.numpy._util import asarray_operand, aval_of, convert
from funcgrad.random._distributions import (
    Shape, _bcast, _bernoulli_impl, _c, _float_dtype, _jit, _log1m_unit, _normal_t, _param,
    _result_shape, _shape, _unit)
from funcgrad.random._gamma import gamma_t
from funcgrad.random._threefry import _split, check_key


def _sign(key: Any, shape: tuple[int, ...], dt: np.dtype) -> Any:
    """Rademacher signs (+1 or -1) in `dt`, as JAX draws them."""
    b = _bernoulli_impl(key, _c(0.5, dtypes.float64), shape, dtypes.float64)
    b = convert(b, dt)
    return lax.sub(lax.mul(_c(2.0, dt), b), _c(1.0, dt))


def _pareto_impl(key: Any, b: Any, shape: tuple[int, ...], dt: np.dtype) -> Any:
    e = lax.neg(_log1m_unit(key, shape, dt))
    return lax.exp(lax.div(e, _bcast(b, shape)))


def _rayleigh_impl(key: Any, scale: Any, shape: tuple[int, ...], dt: np.dtype) -> Any:
    log_u = lax.log(_unit(key, shape, dt))
    return lax.mul(_bcast(scale, shape), lax.sqrt(lax.mul(log_u, _c(-2.0, dt))))


def _lognormal_impl(key: Any, sigma: Any, shape: tuple[int, ...], dt: np.dtype) -> Any:
    return lax.exp(lax.mul(_normal_t(key, shape, dt), _bcast(sigma, shape)))


def _maxwell_t(key: Any, shape: tuple[int, ...], dt: np.dtype) -> Any:
    x = _normal_t(key, (*shape, 3), dt)
    return lax.sqrt(fnp.sum(lax.mul(x, x), axis=-1))


def _maxwell_impl(key: Any, shape: tuple[int, ...], dt: np.dtype) -> Any:
    return _maxwell_t(key, shape, dt)


def _double_sided_maxwell_impl(key: Any, loc: Any, scale: Any, shape: tuple[int, ...],
                               dt: np.dtype) -> Any:
    k_maxwell, k_sign = _split(key, 2)
    m = _maxwell_t(k_maxwell, shape, dt)
    return lax.add(lax.mul(lax.mul(_sign(k_sign, shape, dt), m), _bcast(scale, shape)),
                   _bcast(loc, shape))


def _weibull_min_impl(key: Any, scale: Any, concentration: Any, shape: tuple[int, ...],
                      dt: np.dtype) -> Any:
    u = _unit(key, shape, dt)
    x = fnp.power(lax.neg(lax.log1p(lax.neg(u))), fnp.divide(1.0, concentration))
    return fnp.multiply(x, scale)


def _triangular_impl(key: Any, left: Any, mode: Any, right: Any, shape: tuple[int, ...],
                     dt: np.dtype) -> Any:
    left, mode, right = (_bcast(v, shape) for v in (left, mode, right))
    width = lax.sub(right, left)
    fc = lax.div(lax.sub(mode, left), width)
    u = _unit(key, shape, dt)
    low = lax.add(left, lax.sqrt(lax.mul(lax.mul(u, width), lax.sub(mode, left))))
    high = lax.sub(right, lax.sqrt(lax.mul(lax.mul(lax.sub(_c(1.0, dt), u), width),
                                           lax.sub(right, mode))))
    return lax.select(lax.lt(u, fc), low, high)


def _wald_impl(key: Any, mean: Any, shape: tuple[int, ...], dt: np.dtype) -> Any:
    k_v, k_z = _split(key, 2)
    mu = _bcast(mean, shape)
    v = _normal_t(k_v, shape, dt)
    z = _unit(k_z, shape, dt)
    y = lax.mul(v, v)
    mu2 = lax.mul(mu, mu)
    root = lax.sqrt(lax.add(lax.mul(lax.mul(_c(4.0, dt), mu), y),
                            lax.mul(mu2, lax.mul(y, y))))
    half = _c(2.0, dt)
    x = lax.sub(lax.add(mu, lax.div(lax.mul(mu2, y), half)), lax.mul(lax.div(mu, half), root))
    return lax.select(lax.le(z, lax.div(mu, lax.add(mu, x))), x, lax.div(mu2, x))


def _geometric_impl(key: Any, p: Any, shape: tuple[int, ...], dt: np.dtype) -> Any:
    pdt = aval_of(p).dtype
    u = _unit(key, shape, pdt)
    one = _c(1.0, pdt)
    # NB: like JAX, u = 0 is mapped to 1 (not to the tiniest float)
    u = lax.select(lax.eq(u, _c(0.0, pdt)), one, u)
    log_q = _bcast(lax.log1p(lax.neg(p)), shape)
    return convert(lax.add(lax.floor(lax.div(lax.log(u), log_q)), one), dt)


def _orthogonal_impl(key: Any, n: int, m: int, shape: tuple[int, ...], dt: np.dtype) -> Any:
    z = _normal_t(key, (*shape, max(n, m), min(n, m)), dt)
    q, r = fnp.linalg.qr(z)
    d = fnp.diagonal(r, axis1=-2, axis2=-1)
    x = q * fnp.expand_dims(fnp.sign(d), -2)
    return fnp.swapaxes(x, -1, -2) if n < m else x


# ---------------------------------------------------------------------------
# public samplers


def _float_args(fname: str, key: Any, dtype: Any, shape: Shape, *params: Any,
                complex_ok: bool = False) -> tuple[Any, np.dtype, tuple[int, ...], list[Any]]:
    k = check_key(key, fname)
    dt = _float_dtype(dtype, fname, complex_ok)
    shp = _result_shape(_shape(shape, fname), fname, *params)
    return k, dt, shp, [_param(p, dt) for p in params]


def pareto(key: Any, b: Any, shape: Shape = None, dtype: Any = None) -> Any:
    """Pareto samples with shape `b` (support [1, inf)): exp(E / b), E exponential.

    Example: ``pareto(key(0), 3.0, (4,))``.
    """
    k, dt, shp, (bp,) = _float_args("pareto", key, dtype, shape, b)
    return _jit(_pareto_impl, 2)(k, bp, shp, dt)


def rayleigh(key: Any, scale: Any, shape: Shape = None, dtype: Any = None) -> Any:
    """Rayleigh samples: scale * sqrt(-2 log u)."""
    k, dt, shp, (sp,) = _float_args("rayleigh", key, dtype, shape, scale)
    return _jit(_rayleigh_impl, 2)(k, sp, shp, dt)


def lognormal(key: Any, sigma: Any = 1.0, shape: Shape = None, dtype: Any = None) -> Any:
    """exp(sigma * N(0, 1)) samples; complex dtypes use a complex normal."""
    k, dt, shp, (sp,) = _float_args("lognormal", key, dtype, shape, sigma, complex_ok=True)
    return _jit(_lognormal_impl, 2)(k, sp, shp, dt)


def maxwell(key: Any, shape: Shape = (), dtype: Any = None) -> Any:
    """Maxwell samples: the length of a standard normal 3-vector."""
    k = check_key(key, "maxwell")
    return _jit(_maxwell_impl, 2)(k, _shape(shape, "maxwell") or (),
                                  _float_dtype(dtype, "maxwell"))


def double_sided_maxwell(key: Any, loc: Any, scale: Any, shape: Shape = (),
                         dtype: Any = None) -> Any:
    """Maxwell samples with a random sign, scaled by `scale` and shifted by `loc`.

    NB: as in JAX, the result's shape is ``shape + broadcast(loc, scale).shape``
    (with ``shape = ()`` meaning the parameters' shape, so that shape appears twice).
    """
    k = check_key(key, "double_sided_maxwell")
    dt = _float_dtype(dtype, "double_sided_maxwell")
    lp, sp = _param(loc, dt), _param(scale, dt)
    pshape = _result_shape(None, "double_sided_maxwell", loc, scale)
    shp = _shape(shape, "double_sided_maxwell") or pshape
    return _jit(_double_sided_maxwell_impl, 2)(k, lp, sp, (*shp, *pshape), dt)


def weibull_min(key: Any, scale: Any, concentration: Any, shape: Shape = (),
                dtype: Any = None) -> Any:
    """Weibull samples by the inverse CDF: scale * (-log(1 - u))^(1 / concentration).

    NB: as in JAX, `shape` is the shape of the uniform draws, which broadcast
    against the parameters (one draw per element of `shape`).
    """
    k = check_key(key, "weibull_min")
    dt = _float_dtype(dtype, "weibull_min")
    return _jit(_weibull_min_impl, 2)(k, _param(scale, dt), _param(concentration, dt),
                                      _shape(shape, "weibull_min") or (), dt)


def triangular(key: Any, left: Any, mode: Any, right: Any, shape: Shape = None,
               dtype: Any = None) -> Any:
    """Triangular samples on [left, right] peaking at `mode` (inverse CDF)."""
    k, dt, shp, ps = _float_args("triangular", key, dtype, shape, left, mode, right)
    return _jit(_triangular_impl, 2)(k, *ps, shp, dt)


def wald(key: Any, mean: Any, shape: Shape = None, dtype: Any = None) -> Any:
    """Wald (inverse Gaussian, unit shape) samples with mean `mean`
    (Michael, Schucany and Haas's transformation with one rejection)."""
    k, dt, shp, (mp,) = _float_args("wald", key, dtype, shape, mean)
    return _jit(_wald_impl, 2)(k, mp, shp, dt)


def geometric(key: Any, p: Any, shape: Shape = None, dtype: Any = None) -> Any:
    """Geometric samples: the number of Bernoulli(p) trials up to the first success
    (support 1, 2, ...). The default dtype is int64; arithmetic is in p's float dtype."""
    k = check_key(key, "geometric")
    dt = dtypes.int64 if dtype is None else dtypes.canonicalize(dtype)
    if not dtypes.is_integer(dt):
        raise TypeError(f"funcgrad.random.geometric: dtype must be an integer dtype, got {dt}")
    shp = _result_shape(_shape(shape, "geometric"), "geometric", p)
    pa = asarray_operand(p)
    av = aval_of(pa)
    pdt = av.dtype if dtypes.is_float(av.dtype) and not av.weak_type else dtypes.default_float()
    return _jit(_geometric_impl, 2)(k, _param(pa, pdt), shp, dt)


def _static_size(v: Any, fname: str, what: str) -> int:
    try:
        out = operator.index(v)
    except TypeError:
        raise TypeError(f"funcgrad.random.{fname}: {what} must be a Python int (it sets the "
                        f"result's shape), got {type(v).__name__}") from None
    if out < 0:
        raise ValueError(f"funcgrad.random.{fname}: {what} must be non-negative, got {out}")
    return out


def orthogonal(key: Any, n: int, shape: Shape = (), dtype: Any = None,
               m: int | None = None) -> Any:
    """Haar-distributed n x m matrices with orthonormal columns (or rows, n < m):
    the QR factor of a normal matrix, its columns' signs fixed by diag(R)."""
    k = check_key(key, "orthogonal")
    dt = _float_dtype(dtype, "orthogonal", complex_ok=True)
    nn = _static_size(n, "orthogonal", "n")
    mm = nn if m is None else _static_size(m, "orthogonal", "m")
    return _jit(_orthogonal_impl, 4)(k, nn, mm, _shape(shape, "orthogonal") or (), dt)


def _half(x: Any, dt: np.dtype) -> Any:
    return lax.div(convert(x, dt, False), _c(2.0, dt))


def chisquare(key: Any, df: Any, shape: Shape = None, dtype: Any = None) -> Any:
    """Chi-square samples with `df` degrees of freedom: 2 Gamma(df / 2), drawn in log
    space. Differentiable in `df`."""
    k, dt, shp, (dfp,) = _float_args("chisquare", key, dtype, shape, df)
    return _chisquare_t(k, dfp, shp, dt)


def _chisquare_t(key: Any, df: Any, shape: tuple[int, ...], dt: np.dtype) -> Any:
    log_g = gamma_t(key, _half(df, dt), shape, dt, True)
    return lax.mul(lax.exp(log_g), _c(2.0, dt))


def f(key: Any, dfnum: Any, dfden: Any, shape: Shape = None, dtype: Any = None) -> Any:
    """F samples: (X1 / dfnum) / (X2 / dfden) for chi-square X1, X2."""
    k, dt, shp, (num, den) = _float_args("f", key, dtype, shape, dfnum, dfden)
    k_den, k_num = _split(k, 2)
    lg_num = gamma_t(k_num, _half(num, dt), shp, dt, True)
    lg_den = gamma_t(k_den, _half(den, dt), shp, dt, True)
    return _jit(_f_ratio, 0)(lg_num, num, lg_den, den)


def _f_ratio(lg_num: Any, num: Any, lg_den: Any, den: Any) -> Any:
    # one compiled expression, as in JAX: XLA's rewrites of the quotient then match
    shape, dt = aval_of(lg_num).shape, aval_of(lg_num).dtype
    two = _c(2.0, dt)
    x_num = lax.mul(lax.exp(lg_num), two)
    x_den = lax.mul(lax.exp(lg_den), two)
    return lax.div(lax.div(x_num, _bcast(num, shape)), lax.div(x_den, _bcast(den, shape)))


def t(key: Any, df: Any, shape: Shape = None, dtype: Any = None) -> Any:
    """Student's t samples: N sqrt((df / 2) / G) with G ~ Gamma(df / 2)."""
    k, dt, shp, (dfp,) = _float_args("t", key, dtype, shape, df)
    k_n, k_g = _split(k, 2)
    n = _jit(_normal_impl_t, 2)(k_n, shp, dt)
    half_df = _bcast(_half(dfp, dt), shp)
    g = gamma_t(k_g, half_df, shp, dt, False)
    return lax.mul(n, lax.sqrt(lax.div(half_df, g)))


def _normal_impl_t(key: Any, shape: tuple[int, ...], dt: np.dtype) -> Any:
    return _normal_t(key, shape, dt)


def _gennorm_t(key: Any, p: Any, shape: tuple[int, ...], dt: np.dtype) -> Any:
    k_g, k_s = _split(key, 2)
    inv_p = convert(fnp.divide(1.0, p), dt, False)
    g = gamma_t(k_g, inv_p, shape, dt, False)
    s = _jit(_sign_impl, 2)(k_s, shape, dt)
    return lax.mul(s, lax.pow(g, _bcast(inv_p, shape)))


def _sign_impl(key: Any, shape: tuple[int, ...], dt: np.dtype) -> Any:
    return _sign(key, shape, dt)


def _power_arg(p: Any) -> Any:
    """`p` as a float operand: a Python number or a non-float array in the default float."""
    pa = asarray_operand(p)
    av = aval_of(pa)
    if av.shape != ():
        raise ValueError(f"funcgrad.random: p must be a scalar, got shape {av.shape}")
    fdt = av.dtype if dtypes.is_float(av.dtype) and not av.weak_type else dtypes.default_float()
    return convert(pa, fdt, False)


def generalized_normal(key: Any, p: Any, shape: Shape = (), dtype: Any = None) -> Any:
    """Generalized normal samples, density proportional to exp(-|x|^p):
    a random sign times Gamma(1/p)^(1/p). Differentiable in `p`."""
    k = check_key(key, "generalized_normal")
    dt = _float_dtype(dtype, "generalized_normal")
    return _gennorm_t(k, _power_arg(p), _shape(shape, "generalized_normal") or (), dt)


def ball(key: Any, d: int, p: Any = 2, shape: Shape = (), dtype: Any = None) -> Any:
    """Points uniform in the unit p-norm ball of dimension `d` (shape ``shape + (d,)``):
    a generalized normal vector divided by (||g||_p^p + E)^(1/p), E exponential."""
    k = check_key(key, "ball")
    dt = _float_dtype(dtype, "ball")
    dd = _static_size(d, "ball", "d")
    shp = _shape(shape, "ball") or ()
    pp = _power_arg(p)
    k1, k2 = _split(k, 2)
    g = _gennorm_t(k1, pp, (*shp, dd), dt)
    return _jit(_ball_scale, 0)(g, k2, pp)


def _ball_scale(g: Any, key: Any, p: Any) -> Any:
    # one compiled expression, as in JAX: XLA's rewrites of it then match
    shape, dt = aval_of(g).shape, aval_of(g).dtype
    e = lax.neg(_log1m_unit(key, shape[:-1], dt))
    norm_p = fnp.sum(lax.pow(lax.abs(g), _bcast(convert(p, dt, False), shape)), axis=-1)
    inv_p = convert(fnp.divide(1.0, p), dt, False)
    r = lax.pow(lax.add(norm_p, e), _bcast(inv_p, shape[:-1]))
    return lax.div(g, _bcast(fnp.expand_dims(r, -1), shape))
