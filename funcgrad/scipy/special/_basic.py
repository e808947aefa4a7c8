"""The error-function, log-gamma, logistic and log-sum-exp parts of
`funcgrad.scipy.special`, and the operand helpers the other parts share.

Each is a composition of primitives (erf, erfc, erf_inv, lgamma, digamma,
logistic and plain arithmetic), so it runs eagerly and under jit, grad and
vmap. Results have SciPy's dtypes: integers and bools compute in the default
float, float32 stays float32. Formulas are arranged for accuracy where SciPy's
are (log-space sums with a max shift, log1p/expm1 forms, and the "safe branch"
trick inside `where` so the unused branch cannot leak nan into gradients).
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

import funcgrad.numpy as fnp
from funcgrad import dtypes
from funcgrad import primitives as P
from funcgrad.autodiff import stop_gradient
from funcgrad.numpy._eager import eager_jit
from funcgrad.numpy._util import asarray_operand, aval_of, convert, normalize_axes

Axis = int | Sequence[int] | None

_SQRT2 = math.sqrt(2.0)
_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)


def _real_float(x: Any, fname: str) -> Any:
    """`x` as a (strong) real floating operand: ints/bools -> default float, like SciPy."""
    op = asarray_operand(x)
    dt = aval_of(op).dtype
    if dtypes.is_complex(dt):
        raise TypeError(f"funcgrad.scipy.special.{fname}: complex input is not supported "
                        f"(got {aval_of(op).str_short()})")
    if not dtypes.is_float(dt) or aval_of(op).weak_type:    # ints, or a Python float
        dt = dtypes.default_float()
    return convert(op, dt, False)


def _common_float(fname: str, *xs: Any) -> list[Any]:
    ops = [asarray_operand(x) for x in xs]
    dt, weak = dtypes.result_type(*(aval_of(o) for o in ops))
    if dtypes.is_complex(dt):
        raise TypeError(f"funcgrad.scipy.special.{fname}: complex input is not supported")
    if not dtypes.is_float(dt) or weak:
        dt = dtypes.default_float()
    return [convert(o, dt, False) for o in ops]


def _const(x: Any, v: float) -> Any:
    return convert(v, aval_of(x).dtype)


# ---------------------------------------------------------------------------
# error function family


@eager_jit()
def erf(x: Any) -> Any:
    """The error function, 2/sqrt(pi) * integral_0^x exp(-t**2) dt."""
    return P.erf_p.bind(_real_float(x, "erf"))


@eager_jit()
def erfc(x: Any) -> Any:
    """1 - erf(x), accurate for large x."""
    return P.erfc_p.bind(_real_float(x, "erfc"))


@eager_jit()
def erfinv(y: Any) -> Any:
    """The inverse of `erf` on [-1, 1] (±inf at ±1, nan outside).

    Near ±1 it is computed as ±erfcinv(1 - |y|) (1 - |y| is exact there), which
    keeps full relative accuracy where the erf_inv primitive loses digits.
    """
    y = _real_float(y, "erfinv")
    a = fnp.abs(y)
    outer = fnp.greater(a, 0.5)
    tail = fnp.multiply(ndtri(fnp.multiply(fnp.subtract(1.0, fnp.where(outer, a, 1.0)), 0.5)),
                        -1 / _SQRT2)
    out = fnp.where(outer, fnp.multiply(fnp.sign(y), tail),
                    P.erf_inv_p.bind(fnp.where(outer, 0.0, y)))
    return convert(fnp.where(fnp.isnan(y), np.nan, out), aval_of(y).dtype)


@eager_jit()
def erfcinv(y: Any) -> Any:
    """The inverse of `erfc` on [0, 2], accurate for y near 0 (via `ndtri`)."""
    y = _real_float(y, "erfcinv")
    return fnp.multiply(ndtri(fnp.multiply(y, 0.5)), -1 / _SQRT2)


@eager_jit()
def ndtr(x: Any) -> Any:
    """The standard normal CDF, 0.5 * erfc(-x / sqrt(2))."""
    x = _real_float(x, "ndtr")
    return fnp.multiply(P.erfc_p.bind(fnp.multiply(x, -1 / _SQRT2)), 0.5)


# Acklam's rational approximation of the normal quantile (relative error < 1.2e-9),
# refined below by one Halley step on erfc to full precision.
_ACKLAM_A = (-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
             1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00)
_ACKLAM_B = (-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
             6.680131188771972e+01, -1.328068155288572e+01, 1.0)
_ACKLAM_C = (-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
             -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00)
_ACKLAM_D = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
             3.754408661907416e+00, 1.0)
_ACKLAM_PLOW = 0.02425


def _horner(coeffs: Sequence[float], x: Any) -> Any:
    acc = _const(x, coeffs[0])
    for c in coeffs[1:]:
        acc = fnp.add(fnp.multiply(acc, x), c)
    return acc


@eager_jit()
def ndtri(p: Any) -> Any:
    """The standard normal quantile (inverse of `ndtr`): -inf at 0, inf at 1, nan outside.

    Example: ``ndtri(0.975)`` -> 1.959963984540054.
    """
    p = _real_float(p, "ndtri")
    # work on the lower half: q = min(p, 1 - p) (1 - p is exact for p >= 1/2)
    upper = fnp.greater(p, 0.5)
    q = fnp.where(upper, fnp.subtract(1.0, p), p)
    q = convert(q, aval_of(p).dtype)
    tiny = float(dtypes.finfo(aval_of(p).dtype).tiny)
    q_safe = fnp.clip(q, tiny, 0.5)
    # central region
    c = fnp.subtract(q_safe, 0.5)
    r = fnp.multiply(c, c)
    central = fnp.divide(fnp.multiply(_horner(_ACKLAM_A, r), c), _horner(_ACKLAM_B, r))
    # lower tail
    t = fnp.sqrt(fnp.multiply(fnp.log(q_safe), -2.0))
    tail = fnp.divide(_horner(_ACKLAM_C, t), _horner(_ACKLAM_D, t))
    x = fnp.where(fnp.less(q_safe, _ACKLAM_PLOW), tail, central)
    # one Halley step on ndtr(x) - q, computed with erfc (accurate in the lower tail)
    e = fnp.subtract(fnp.multiply(P.erfc_p.bind(fnp.multiply(x, -1 / _SQRT2)), 0.5), q_safe)
    ok = fnp.greater(x, -37.0)          # exp(x**2 / 2) would overflow beyond
    x_ok = fnp.where(ok, x, 0.0)
    u = fnp.multiply(fnp.multiply(e, math.sqrt(2 * math.pi)),
                     fnp.exp(fnp.multiply(fnp.multiply(x_ok, x_ok), 0.5)))
    refined = fnp.subtract(x, fnp.divide(u, fnp.add(fnp.multiply(fnp.multiply(x_ok, u), 0.5),
                                                    1.0)))
    # beyond that, one Newton step on log ndtr(x) - log q (the ratio pdf/cdf is finite)
    far_x = fnp.minimum(x, -37.0)
    lcdf = log_ndtr(far_x)
    slope = fnp.exp(fnp.subtract(fnp.subtract(fnp.multiply(fnp.multiply(far_x, far_x), -0.5),
                                              _LOG_SQRT_2PI), lcdf))
    far = fnp.subtract(far_x, fnp.divide(fnp.subtract(lcdf, fnp.log(q_safe)), slope))
    x = fnp.where(ok, refined, far)
    x = fnp.where(fnp.equal(q, 0.0), -np.inf, x)
    x = fnp.where(upper, fnp.negative(x), x)
    bad = fnp.logical_or(fnp.less(p, 0.0), fnp.greater(p, 1.0))
    return convert(fnp.where(fnp.logical_or(bad, fnp.isnan(p)), np.nan, x), aval_of(p).dtype)


@eager_jit()
def log_ndtr(x: Any) -> Any:
    """log of the standard normal CDF, accurate far into both tails."""
    x = _real_float(x, "log_ndtr")
    dt = aval_of(x).dtype
    # below `cut`, erfc underflows: use the asymptotic series of the Mills ratio
    cut = -20.0 if dt == dtypes.float64 else -10.0
    # each branch gets an input clamped into its own range, so the branches `where`
    # discards stay finite and their (zero) cotangents cannot turn into nan
    pos_x = fnp.maximum(x, 0.0)
    pos = fnp.log1p(fnp.multiply(P.erfc_p.bind(fnp.multiply(pos_x, 1 / _SQRT2)), -0.5))
    mid_x = fnp.minimum(x, 0.0)
    mid = fnp.log(fnp.multiply(P.erfc_p.bind(fnp.multiply(mid_x, -1 / _SQRT2)), 0.5))
    far_x = fnp.minimum(x, cut)
    inv2 = fnp.divide(1.0, fnp.multiply(far_x, far_x))
    # 1 - 1/x^2 + 3/x^4 - 15/x^6 + ...  (terms (-1)^k (2k-1)!! / x^(2k))
    series, term = _const(x, 1.0), _const(x, 1.0)
    for k in range(1, 11):
        term = fnp.multiply(fnp.multiply(term, inv2), -(2 * k - 1))
        series = fnp.add(series, term)
    far = fnp.subtract(fnp.subtract(fnp.multiply(fnp.multiply(far_x, far_x), -0.5),
                                    fnp.log(fnp.negative(far_x))), _LOG_SQRT_2PI)
    far = fnp.add(far, fnp.log(series))
    out = fnp.where(fnp.greater(x, 0.0), pos, fnp.where(fnp.greater(x, cut), mid, far))
    return convert(out, dt)


# ---------------------------------------------------------------------------
# gamma family


@eager_jit()
def gammaln(x: Any) -> Any:
    """log|Gamma(x)| (inf at the poles 0, -1, -2, ...)."""
    return P.lgamma_p.bind(_real_float(x, "gammaln"))


@eager_jit()
def digamma(x: Any) -> Any:
    """The logarithmic derivative of Gamma, psi(x) = Gamma'(x) / Gamma(x)."""
    return P.digamma_p.bind(_real_float(x, "digamma"))


psi = digamma


@eager_jit()
def betaln(a: Any, b: Any) -> Any:
    """log|B(a, b)| = gammaln(a) + gammaln(b) - gammaln(a + b)."""
    a, b = _common_float("betaln", a, b)
    return fnp.subtract(fnp.add(P.lgamma_p.bind(a), P.lgamma_p.bind(b)),
                        P.lgamma_p.bind(fnp.add(a, b)))


# ---------------------------------------------------------------------------
# logistic family and entropy-style products


@eager_jit()
def expit(x: Any) -> Any:
    """The logistic sigmoid 1 / (1 + exp(-x))."""
    return P.logistic_p.bind(_real_float(x, "expit"))


@eager_jit()
def logit(p: Any) -> Any:
    """log(p / (1 - p)), the inverse of `expit`."""
    p = _real_float(p, "logit")
    return fnp.subtract(fnp.log(p), fnp.log1p(fnp.negative(p)))


@eager_jit()
def log_expit(x: Any) -> Any:
    """log(expit(x)) = -log1p(exp(-x)), without overflow."""
    x = _real_float(x, "log_expit")
    pos = fnp.greater(x, 0.0)
    t = fnp.exp(fnp.negative(fnp.abs(x)))          # exp(-|x|) <= 1: no overflow
    return fnp.where(pos, fnp.negative(fnp.log1p(t)), fnp.subtract(x, fnp.log1p(t)))


@eager_jit()
def xlogy(x: Any, y: Any) -> Any:
    """x * log(y), defined as 0 where x == 0 (even for y == 0).

    The derivative in x is log(y) also at x == 0 (where y > 0), like JAX's.
    """
    x, y = _common_float("xlogy", x, y)
    # Only where x == 0 and log(y) is not finite is y replaced (by 1): 0 * log(1) = 0,
    # and no inf or nan reaches the product or its derivatives.
    bad = fnp.logical_and(fnp.equal(x, 0.0), fnp.logical_not(
        fnp.logical_and(fnp.greater(y, 0.0), fnp.less(y, np.inf))))
    return fnp.multiply(x, fnp.log(fnp.where(bad, 1.0, y)))


@eager_jit()
def xlog1py(x: Any, y: Any) -> Any:
    """x * log1p(y), defined as 0 where x == 0 (the derivative in x is log1p(y))."""
    x, y = _common_float("xlog1py", x, y)
    bad = fnp.logical_and(fnp.equal(x, 0.0), fnp.logical_not(
        fnp.logical_and(fnp.greater(y, -1.0), fnp.less(y, np.inf))))
    return fnp.multiply(x, fnp.log1p(fnp.where(bad, 0.0, y)))


@eager_jit()
def entr(x: Any) -> Any:
    """-x log x for x > 0, 0 at 0, -inf for x < 0."""
    x = _real_float(x, "entr")
    pos = fnp.greater(x, 0.0)
    x_safe = fnp.where(pos, x, 1.0)
    out = fnp.where(pos, fnp.negative(fnp.multiply(x_safe, fnp.log(x_safe))), 0.0)
    return convert(fnp.where(fnp.less(x, 0.0), -np.inf, out), aval_of(x).dtype)


@eager_jit()
def rel_entr(x: Any, y: Any) -> Any:
    """x log(x / y) for x, y > 0; 0 where x == 0 and y >= 0; inf otherwise."""
    x, y = _common_float("rel_entr", x, y)
    both = fnp.logical_and(fnp.greater(x, 0.0), fnp.greater(y, 0.0))
    xs, ys = fnp.where(both, x, 1.0), fnp.where(both, y, 1.0)
    val = fnp.multiply(xs, fnp.log(fnp.divide(xs, ys)))
    zero = fnp.logical_and(fnp.equal(x, 0.0), fnp.greater_equal(y, 0.0))
    out = fnp.where(both, val, fnp.where(zero, 0.0, np.inf))
    nan = fnp.logical_or(fnp.isnan(x), fnp.isnan(y))
    return convert(fnp.where(nan, np.nan, out), aval_of(x).dtype)


# ---------------------------------------------------------------------------
# log-sum-exp and softmax


def _axes(x: Any, axis: Axis) -> tuple[int, ...]:
    return normalize_axes(axis, aval_of(x).ndim)


def _shift(x: Any, axes: tuple[int, ...]) -> Any:
    """The max along `axes` (kept), with non-finite maxima replaced by 0, and no gradient.

    The shift cancels exactly in the result, so it carries no derivative;
    stop_gradient keeps max's tie-splitting rule out of the gradient.
    """
    m = fnp.max(x, axis=axes, keepdims=True) if aval_of(x).size else fnp.zeros(
        tuple(1 if i in axes else d for i, d in enumerate(aval_of(x).shape)), aval_of(x).dtype)
    m = fnp.where(fnp.isfinite(m), m, 0.0)
    return stop_gradient(convert(m, aval_of(x).dtype))


@eager_jit(("axis", "keepdims", "return_sign"))
def logsumexp(a: Any, axis: Axis = None, b: Any = None, keepdims: bool = False,
              return_sign: bool = False) -> Any:
    """log(sum(b * exp(a))) along `axis`, computed stably.

    Args:
      a: the exponents. axis: int, tuple of ints or None (all axes).
      b: optional weights broadcast against `a` (entries with b == 0 are left
        out, even where a is inf). keepdims: keep the reduced axes with size 1.
      return_sign: also return the sign of the sum; then a negative sum gives
        log|sum| and sign -1 instead of nan.
    Returns: the log-sum-exp, or (log|sum|, sign) with ``return_sign=True``.
    Example: ``logsumexp(fnp.array([1000.0, 1000.0]))`` -> 1000.6931471805599.
    """
    if b is None:
        x = _real_float(a, "logsumexp")
        w = None
    else:
        x, w = _common_float("logsumexp", a, b)
        shape = fnp.broadcast_shapes(aval_of(x).shape, aval_of(w).shape)
        x, w = fnp.broadcast_to(x, shape), fnp.broadcast_to(w, shape)
        x = fnp.where(fnp.equal(w, 0.0), -np.inf, x)      # b == 0: the term is absent
        x = convert(x, aval_of(w).dtype)
    axes = _axes(x, axis)
    m = _shift(x, axes)
    e = fnp.exp(fnp.subtract(x, m))
    if w is not None:
        e = fnp.multiply(e, w)
    # Split the sum into the terms at the maximum ("head", exactly b there) and the
    # rest: log(head + rest) = log(head) + log1p(rest / head) keeps the digits that
    # log(1 + tiny) would round away. Both parts keep their derivatives.
    m_raw = fnp.max(x, axis=axes, keepdims=True) if aval_of(x).size else m
    at_max = fnp.equal(x, m_raw)
    head = fnp.sum(fnp.where(at_max, e, 0.0), axis=axes, keepdims=True)
    rest = fnp.sum(fnp.where(at_max, 0.0, e), axis=axes, keepdims=True)
    head_ok = fnp.logical_and(fnp.not_equal(head, 0.0), fnp.isfinite(head))
    safe_head = fnp.where(head_ok, head, 1.0)
    ratio = fnp.divide(rest, safe_head)
    t = fnp.add(ratio, 1.0)
    split = fnp.add(fnp.log(fnp.abs(safe_head)),
                    fnp.where(fnp.greater(t, 0.0), fnp.log1p(fnp.where(fnp.greater(t, 0.0),
                                                                       ratio, 0.0)),
                              fnp.log(fnp.abs(t))))
    s = fnp.add(head, rest)
    direct = fnp.log(fnp.abs(s))
    log_abs = fnp.add(fnp.where(head_ok, split, direct), m)
    # a maximum of -inf (every term absent) gives -inf; +inf gives inf
    log_abs = fnp.where(fnp.equal(m_raw, -np.inf), -np.inf, log_abs)
    log_abs = fnp.where(fnp.equal(m_raw, np.inf), fnp.add(direct, m), log_abs)
    sign = fnp.sign(s)
    if return_sign:
        out = log_abs
    else:       # a negative sum has no real logarithm
        out = fnp.where(fnp.less(s, 0.0), np.nan, log_abs)
    out = convert(out, aval_of(x).dtype)
    if not keepdims and axes:
        out = fnp.squeeze(out, axes)
        sign = fnp.squeeze(sign, axes)
    if return_sign:
        return out, convert(sign, aval_of(x).dtype)
    return out


@eager_jit(("axis",))
def softmax(x: Any, axis: Axis = None) -> Any:
    """exp(x) / sum(exp(x)) along `axis` (NB: SciPy's default axis=None is all axes)."""
    x = _real_float(x, "softmax")
    axes = _axes(x, axis)
    e = fnp.exp(fnp.subtract(x, _shift(x, axes)))
    return fnp.divide(e, fnp.sum(e, axis=axes, keepdims=True))


@eager_jit(("axis",))
def log_softmax(x: Any, axis: Axis = None) -> Any:
    """x - logsumexp(x) along `axis`, computed stably (default: all axes, like SciPy)."""
    x = _real_float(x, "log_softmax")
    axes = _axes(x, axis)
    shifted = fnp.subtract(x, _shift(x, axes))
    return fnp.subtract(shifted, fnp.log(fnp.sum(fnp.exp(shifted), axis=axes, keepdims=True)))


__all__ = ["betaln", "digamma", "entr", "erf", "erfc", "erfcinv", "erfinv", "expit",
           "gammaln", "log_expit", "log_ndtr", "log_softmax", "logit", "logsumexp", "ndtr",
           "ndtri", "psi", "rel_entr", "softmax", "xlog1py", "xlogy"]
