"""The gamma-function family of `funcgrad.scipy.special`: Gamma and its sign,
factorials and binomials, Pochhammer's symbol, Beta, the regularized
incomplete gamma and beta functions, the multivariate log-gamma, polygamma,
zeta and the Bernoulli numbers.

Everything is built from the lgamma/digamma/igamma/zeta primitives, so values
and derivatives come from the same rules as `funcgrad.lax`'s. Signs are kept
apart from magnitudes (``gammasgn * exp(gammaln)``) so results stay finite
wherever SciPy's are, and poles give SciPy's inf/nan rather than garbage.
"""
from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import numpy as np

import funcgrad.numpy as fnp
from funcgrad import dtypes
from funcgrad import primitives as P
from funcgrad.numpy._eager import eager_jit
from funcgrad.numpy._util import aval_of, convert
from funcgrad.scipy.special._basic import _common_float, _real_float


def _is_pole(x: Any) -> Any:
    """True at the poles of Gamma: 0, -1, -2, ... (and -inf)."""
    return fnp.logical_and(fnp.less_equal(x, 0.0), fnp.equal(x, fnp.floor(x)))


def _sign(x: Any) -> Any:
    """gammasgn without the nan at poles (callers mask poles themselves)."""
    odd = fnp.equal(fnp.remainder(fnp.floor(x), 2.0), 1.0)
    neg = fnp.where(odd, -1.0, 1.0)
    return convert(fnp.where(fnp.less(x, 0.0), neg, fnp.copysign(1.0, x)), aval_of(x).dtype)


@eager_jit()
def gammasgn(x: Any) -> Any:
    """The sign of Gamma(x): ±1, with -1 at -0.0 and nan at the negative poles.

    Example: ``gammasgn(-0.5)`` -> -1.0.
    """
    x = _real_float(x, "gammasgn")
    bad = fnp.logical_or(fnp.isnan(x), fnp.logical_and(fnp.less(x, 0.0), _is_pole(x)))
    return convert(fnp.where(bad, np.nan, _sign(x)), aval_of(x).dtype)


@eager_jit()
def gamma(x: Any) -> Any:
    """Euler's Gamma function (±inf at ±0, nan at the negative poles).

    Example: ``gamma(4.5)`` -> 11.631728396567448.
    """
    x = _real_float(x, "gamma")
    return fnp.multiply(gammasgn(x), fnp.exp(P.lgamma_p.bind(x)))


@eager_jit()
def loggamma(x: Any) -> Any:
    """log(Gamma(x)) for real x >= 0 (nan for x < 0, where Gamma may be negative).

    NB: complex arguments are not supported (SciPy's principal branch is);
    use `gammaln` for log|Gamma(x)| on the whole real line.
    """
    x = _real_float(x, "loggamma")
    return convert(fnp.where(fnp.less(x, 0.0), np.nan, P.lgamma_p.bind(x)), aval_of(x).dtype)


@eager_jit(("exact",))
def factorial(n: Any, exact: bool = False) -> Any:
    """n! = Gamma(n + 1) as floats (0 for n < 0, like SciPy's exact=False).

    Raises: NotImplementedError for ``exact=True`` (arbitrary-precision
    integers have no array dtype); use Python's math.factorial instead.
    """
    if exact:
        raise NotImplementedError("factorial(exact=True) is not supported: the exact results "
                                  "overflow every integer dtype above 20!; use "
                                  "math.factorial for exact values")
    n = _real_float(n, "factorial")
    return convert(fnp.where(fnp.less(n, 0.0), 0.0, gamma(fnp.add(n, 1.0))), aval_of(n).dtype)


def _log_binom(n: Any, k: Any) -> Any:
    return fnp.subtract(P.lgamma_p.bind(fnp.add(n, 1.0)),
                        fnp.add(P.lgamma_p.bind(fnp.add(k, 1.0)),
                                P.lgamma_p.bind(fnp.add(fnp.subtract(n, k), 1.0))))


@eager_jit(("exact", "repetition"))
def comb(N: Any, k: Any, *, exact: bool = False, repetition: bool = False) -> Any:  # noqa: N803
    """The binomial coefficient "N choose k" as floats, 0 outside 0 <= k <= N.

    With ``repetition=True``: the number of multisets, comb(N + k - 1, k).
    Raises: NotImplementedError for ``exact=True`` (as `factorial`).
    """
    if exact:
        raise NotImplementedError("comb(exact=True) is not supported: exact binomials "
                                  "overflow every integer dtype; use math.comb for them")
    n, k = _common_float("comb", N, k)
    if repetition:
        empty = fnp.logical_and(fnp.equal(k, 0.0), fnp.greater_equal(n, 0.0))
        n = fnp.where(empty, 0.0, fnp.subtract(fnp.add(n, k), 1.0))
        n = convert(n, aval_of(k).dtype)
    ok = fnp.logical_and(fnp.logical_and(fnp.greater_equal(n, 0.0), fnp.greater_equal(k, 0.0)),
                         fnp.less_equal(k, n))
    n_s, k_s = fnp.where(ok, n, 1.0), fnp.where(ok, k, 0.0)
    out = fnp.exp(_log_binom(n_s, k_s))
    # integer arguments have integer results: round away the last bits of lgamma's error
    whole = fnp.logical_and(fnp.equal(n, fnp.floor(n)), fnp.equal(k, fnp.floor(k)))
    exact_ok = fnp.logical_and(whole, fnp.less(out, 2.0 ** 52))
    out = fnp.where(exact_ok, fnp.round(out), out)
    return convert(fnp.where(ok, out, 0.0), aval_of(k).dtype)


@eager_jit()
def poch(z: Any, m: Any) -> Any:
    """Pochhammer's rising factorial (z)_m = Gamma(z + m) / Gamma(z).

    Where z and z + m are both poles it is the finite (-1)^m Gamma(1 - z) /
    Gamma(1 - z - m); where only z is a pole it is 0.
    Example: ``poch(2.0, 3.0)`` -> 24.0.
    """
    z, m = _common_float("poch", z, m)
    zm = fnp.add(z, m)
    z_pole, zm_pole = _is_pole(z), _is_pole(zm)
    both = fnp.logical_and(z_pole, zm_pole)
    # ordinary points
    z_s = fnp.where(z_pole, 0.5, z)
    zm_s = fnp.where(z_pole, 0.5, zm)
    mag = fnp.exp(fnp.subtract(P.lgamma_p.bind(zm_s), P.lgamma_p.bind(z_s)))
    sgn = fnp.multiply(gammasgn(zm_s), _sign(z_s))
    plain = fnp.multiply(sgn, mag)
    # both poles: reflection (integers m there, so (-1)^m is a sign flip by parity)
    one_z = fnp.where(both, fnp.subtract(1.0, z), 1.0)
    one_zm = fnp.where(both, fnp.subtract(1.0, zm), 1.0)
    refl = fnp.exp(fnp.subtract(P.lgamma_p.bind(one_z), P.lgamma_p.bind(one_zm)))
    odd = fnp.equal(fnp.remainder(fnp.where(both, m, 0.0), 2.0), 1.0)
    refl = fnp.where(odd, fnp.negative(refl), refl)
    out = fnp.where(both, refl, fnp.where(z_pole, 0.0, plain))
    return convert(fnp.where(fnp.equal(m, 0.0), 1.0, out), aval_of(z).dtype)


@eager_jit()
def beta(a: Any, b: Any) -> Any:
    """Euler's Beta function Gamma(a) Gamma(b) / Gamma(a + b), signed."""
    a, b = _common_float("beta", a, b)
    ab = fnp.add(a, b)
    lb = fnp.subtract(fnp.add(P.lgamma_p.bind(a), P.lgamma_p.bind(b)), P.lgamma_p.bind(ab))
    sgn = fnp.multiply(fnp.multiply(_sign(a), _sign(b)), _sign(ab))
    return convert(fnp.multiply(sgn, fnp.exp(lb)), aval_of(a).dtype)


@eager_jit()
def betainc(a: Any, b: Any, x: Any) -> Any:
    """The regularized incomplete Beta function I_x(a, b) (a, b > 0, 0 <= x <= 1).

    Differentiable in x; like JAX, derivatives in a and b raise
    UnsupportedError (wrap them in `stop_gradient` when not needed).
    """
    a, b, x = _common_float("betainc", a, b, x)
    shape = fnp.broadcast_shapes(aval_of(a).shape, aval_of(b).shape, aval_of(x).shape)
    a, b, x = (fnp.broadcast_to(v, shape) for v in (a, b, x))
    return P.regularized_incomplete_beta_p.bind(a, b, x)


def _igamma_edges(a: Any, x: Any, lower: bool) -> tuple[Any, Any]:
    """The argument pair with SciPy's edge cases (a == 0, nan domain) masked out."""
    a_zero = fnp.equal(a, 0.0)
    bad = fnp.logical_or(fnp.logical_or(fnp.less(a, 0.0), fnp.less(x, 0.0)),
                         fnp.logical_and(a_zero, fnp.equal(x, 0.0)))
    edge = convert(fnp.where(bad, np.nan, 1.0 if lower else 0.0), aval_of(a).dtype)
    return fnp.logical_or(a_zero, bad), edge


def _regularized(fname: str, prim: Any, lower: bool, a: Any, x: Any) -> Any:
    """P(a, x) (`lower`) or Q(a, x) by `prim`, with SciPy's edge cases."""
    a, x = _common_float(fname, a, x)
    shape = fnp.broadcast_shapes(aval_of(a).shape, aval_of(x).shape)
    a, x = fnp.broadcast_to(a, shape), fnp.broadcast_to(x, shape)
    masked, edge = _igamma_edges(a, x, lower)
    a_s, x_s = fnp.where(masked, 1.0, a), fnp.where(masked, 1.0, x)
    return convert(fnp.where(masked, edge, prim.bind(a_s, x_s)), aval_of(a).dtype)


@eager_jit()
def gammainc(a: Any, x: Any) -> Any:
    """The regularized lower incomplete gamma function P(a, x), differentiable in a and x."""
    return _regularized("gammainc", P.igamma_p, True, a, x)


@eager_jit()
def gammaincc(a: Any, x: Any) -> Any:
    """The regularized upper incomplete gamma function Q(a, x) = 1 - P(a, x)."""
    return _regularized("gammaincc", P.igammac_p, False, a, x)


@eager_jit(("d",))
def multigammaln(a: Any, d: int) -> Any:
    """log of the multivariate Gamma function Gamma_d(a).

    NB: SciPy raises where a <= (d - 1) / 2; traced values cannot raise, so
    those entries are nan (JAX returns a meaningless finite number).
    Raises: TypeError/ValueError unless `d` is a positive Python int.
    """
    if isinstance(d, bool) or not isinstance(d, int | np.integer):
        raise TypeError(f"multigammaln: d must be a Python int (the dimension), got "
                        f"{type(d).__name__}")
    if d < 1:
        raise ValueError(f"multigammaln: d must be >= 1, got {d}")
    a = _real_float(a, "multigammaln")
    out = fnp.multiply(fnp.ones_like(a), d * (d - 1) / 4 * math.log(math.pi))
    for j in range(int(d)):
        out = fnp.add(out, P.lgamma_p.bind(fnp.subtract(a, j / 2)))
    return convert(fnp.where(fnp.less_equal(a, (d - 1) / 2), np.nan, out), aval_of(a).dtype)


@eager_jit()
def polygamma(n: Any, x: Any) -> Any:
    """The n-th derivative of digamma at x (n a non-negative integer), differentiable in x."""
    x = _real_float(x, "polygamma")
    n_op = fnp.asarray(n)
    if not (n_op.dtype.kind in "iub" or n_op.dtype.kind == "f"):
        raise TypeError(f"polygamma: n must be a real array of integers, got {n_op.dtype}")
    n_f = convert(n_op, aval_of(x).dtype)
    shape = fnp.broadcast_shapes(aval_of(n_f).shape, aval_of(x).shape)
    return P.polygamma_p.bind(fnp.broadcast_to(n_f, shape), fnp.broadcast_to(x, shape))


def _sinpi_half(s: Any) -> Any:
    """sin(pi s / 2) with the argument reduced exactly (zeros exact at even s)."""
    r = fnp.remainder(s, 4.0)                # exact; sin(pi r / 2) has period 4 in r
    out = fnp.sin(fnp.multiply(r, math.pi / 2))
    return fnp.where(fnp.equal(fnp.remainder(s, 2.0), 0.0), 0.0, out)


@eager_jit()
def zeta(x: Any, q: Any = None) -> Any:
    """The Hurwitz zeta function sum_k (k + q)^-x, or Riemann's with q=None.

    Riemann's zeta is extended to x < 1 by the functional equation (JAX's
    gives nan there). Differentiable in q; a derivative in x raises
    UnsupportedError, as `lax.zeta`'s does.
    """
    if q is not None:
        x, q = _common_float("zeta", x, q)
        shape = fnp.broadcast_shapes(aval_of(x).shape, aval_of(q).shape)
        return P.zeta_p.bind(fnp.broadcast_to(x, shape), fnp.broadcast_to(q, shape))
    x = _real_float(x, "zeta")
    one = fnp.ones_like(x)
    right = fnp.greater_equal(x, 1.0)
    xr = fnp.where(right, x, 2.0)
    direct = P.zeta_p.bind(convert(xr, aval_of(x).dtype), one)
    # zeta(s) = 2^s pi^(s-1) sin(pi s/2) Gamma(1-s) zeta(1-s), in logs for large -s
    s = convert(fnp.where(right, -1.0, x), aval_of(x).dtype)
    z1 = P.zeta_p.bind(fnp.subtract(1.0, s), one)
    log_mag = fnp.add(fnp.add(fnp.multiply(s, math.log(2.0)),
                              fnp.multiply(fnp.subtract(s, 1.0), math.log(math.pi))),
                      fnp.add(P.lgamma_p.bind(fnp.subtract(1.0, s)), fnp.log(z1)))
    refl = fnp.multiply(_sinpi_half(s), fnp.exp(log_mag))
    refl = fnp.where(fnp.equal(s, 0.0), -0.5, refl)
    # on (0, 1) both the series and the reflection need zeta there: Euler-Maclaurin
    strip = fnp.logical_and(fnp.greater(x, 0.0), fnp.logical_not(right))
    em = _zeta_euler_maclaurin(convert(fnp.where(strip, x, 0.5), aval_of(x).dtype))
    return convert(fnp.where(right, direct, fnp.where(strip, em, refl)), aval_of(x).dtype)


_EM_N = 10
_EM_TERMS = 9


def _zeta_euler_maclaurin(s: Any) -> Any:
    """Riemann's zeta by Euler-Maclaurin summation after _EM_N terms (any s != 1).

    The remainder after the B_18 term is below 1e-17 for 0 < s < 1.
    """
    out = fnp.zeros_like(s)
    for k in range(1, _EM_N):
        out = fnp.add(out, fnp.power(float(k), fnp.negative(s)))
    n_pow = fnp.power(float(_EM_N), fnp.negative(s))            # N^-s
    out = fnp.add(out, fnp.divide(fnp.multiply(n_pow, float(_EM_N)), fnp.subtract(s, 1.0)))
    out = fnp.add(out, fnp.multiply(n_pow, 0.5))
    bern = _bernoulli_numbers(2 * _EM_TERMS)
    rising = fnp.divide(fnp.multiply(n_pow, s), float(_EM_N))  # s N^(-s-1)
    for j in range(1, _EM_TERMS + 1):
        coef = float(bern[2 * j] / math.factorial(2 * j))
        out = fnp.add(out, fnp.multiply(rising, coef))
        rising = fnp.multiply(rising, fnp.divide(fnp.multiply(fnp.add(s, 2 * j - 1),
                                                              fnp.add(s, 2 * j)),
                                                 float(_EM_N * _EM_N)))
    return out


def _bernoulli_numbers(n: int) -> list[Fraction]:
    """B_0..B_n exactly (B_1 = -1/2), from sum_k C(m+1, k) B_k = 0."""
    b = [Fraction(1)]
    for m in range(1, n + 1):
        b.append(-sum((math.comb(m + 1, k) * b[k] for k in range(m)), Fraction(0)) / (m + 1))
    return b


def bernoulli(n: int) -> Any:
    """The Bernoulli numbers B_0 .. B_n (n + 1 values, B_1 = -1/2), as float64.

    They are computed exactly in rational arithmetic, then rounded once.
    Raises: TypeError unless n is a Python int, ValueError if it is negative.
    """
    if isinstance(n, bool) or not isinstance(n, int | np.integer):
        raise TypeError(f"bernoulli: n must be a Python int, got {type(n).__name__}")
    if n < 0:
        raise ValueError(f"bernoulli: n must be non-negative, got {n}")
    vals = np.array([float(v) if abs(v) < 1e300 else math.copysign(math.inf, v)
                     for v in _bernoulli_numbers(int(n))])
    return fnp.asarray(vals, dtype=dtypes.default_float())
