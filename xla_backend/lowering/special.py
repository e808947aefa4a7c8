"""Lowering rules of the special-function family: square, clamp, clz, mulhi,
bitcast_convert_type, zeta, the scaled Bessel functions and the incomplete
gamma and beta functions.

Most are one StableHLO or CHLO op. StableHLO has no op for I0e, the incomplete
gamma functions or the incomplete beta function, so they are built here from
real arithmetic (`Parts`): I0e from its power series and its asymptotic
expansion, the others from series and continued fractions run to convergence in
a `stablehlo.while` that updates each element until it has converged. float16
and bfloat16 operands are computed in float32 and rounded back.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from funcgrad import dtypes
from funcgrad import primitives as P
from funcgrad.core import ShapedArray
from funcgrad.xla_backend.lowering.emitter import LoweringContext, compare, lowering_rules
from funcgrad.xla_backend.lowering.reductions import reduce
from funcgrad.xla_backend.lowering.special_values import Parts

_I32 = ShapedArray((), dtypes.int32)
_BOOL = ShapedArray((), dtypes.bool_)


def _broadcast_all(ctx: LoweringContext, xs: Sequence[str]) -> list[str]:
    shape = ctx.avals_out[0].shape
    return [ctx.broadcast_to(x, shape) for x in xs]


def _one_op(ctx: LoweringContext, opname: str, *xs: str) -> list[str]:
    return [ctx.op1(opname, _broadcast_all(ctx, xs), ctx.avals_out[0])]


def _square_lower(ctx: LoweringContext, x: str) -> list[str]:
    return [ctx.op1("stablehlo.multiply", [x, x], ctx.avals_out[0])]


def _clz_lower(ctx: LoweringContext, x: str) -> list[str]:
    return _one_op(ctx, "stablehlo.count_leading_zeros", x)


def _mulhi_lower(ctx: LoweringContext, x: str, y: str) -> list[str]:
    return _one_op(ctx, "chlo.mulhi", x, y)


def _clamp_lower(ctx: LoweringContext, lo: str, x: str, hi: str) -> list[str]:
    return _one_op(ctx, "stablehlo.clamp", lo, x, hi)


def _bitcast_convert_type_lower(ctx: LoweringContext, x: str, *,
                                new_dtype: np.dtype) -> list[str]:
    return [ctx.op1("stablehlo.bitcast_convert", [x], ctx.avals_out[0])]


def _zeta_lower(ctx: LoweringContext, x: str, q: str) -> list[str]:
    return _one_op(ctx, "chlo.zeta", x, q)


def _bessel_i1e_lower(ctx: LoweringContext, x: str) -> list[str]:
    return _one_op(ctx, "chlo.bessel_i1e", x)


# ---------------------------------------------------------------------------
# the compositions: computed in float32 or float64


def _computed(ctx: LoweringContext, xs: Sequence[str],
              body: Callable[..., str]) -> list[str]:
    """Run `body(r, *xs)` on `xs` broadcast to the output's shape, in float32 for
    the half-width floats (whose few digits the constants below would swamp)."""
    out = ctx.avals_out[0]
    wide = dtypes.float64 if out.dtype == dtypes.float64 else dtypes.float32
    r = Parts(ctx, out.shape, wide)
    result = body(r, *(ctx.convert(x, wide) for x in _broadcast_all(ctx, xs)))
    return [ctx.convert(result, out.dtype)]


def _iterate(r: Parts, limit: int, active: str, init: Sequence[str],
             step: Callable[[str, list[str]], tuple[str, list[str]]]) -> list[str]:
    """A `stablehlo.while` over the elements still `active`: ``step(n, values)``
    gives round n's new values and which elements have yet to converge; an
    element keeps its values once it has converged. Stops when none is active
    or after `limit` rounds. Returns the final values."""
    ctx = r.ctx
    avals = [_I32, r.bool_aval, *(ctx.avals[v] for v in init)]
    ndim = len(r.aval.shape)

    def cond(n: str, going: str, *_: str) -> list[str]:
        some = reduce(ctx, going, "or", tuple(range(ndim)), _BOOL) if ndim else going
        more = compare(ctx, "LT", n, ctx.constant(limit, dtypes.int32))
        return [ctx.op1("stablehlo.and", [some, more], _BOOL)]

    def body(n: str, going: str, *values: str) -> list[str]:
        unconverged, new = step(n, list(values))
        kept = [r.sel(going, v_new, v) for v_new, v in zip(new, values, strict=True)]
        n1 = ctx.op1("stablehlo.add", [n, ctx.constant(1, dtypes.int32)], _I32)
        return [n1, r.and_(going, unconverged), *kept]

    regions = [ctx.region(avals, cond), ctx.region(avals, body)]
    outs = ctx.op("stablehlo.while", [ctx.constant(0, dtypes.int32), active, *init], avals,
                  regions=regions)
    return outs[2:]


def _eps(r: Parts) -> float:
    return float(dtypes.finfo(r.aval.dtype).eps)


def _log(r: Parts, x: str) -> str:
    return r.f("stablehlo.log", x)


def _exp(r: Parts, x: str) -> str:
    return r.f("stablehlo.exponential", x)


def _lgamma(r: Parts, x: str) -> str:
    return r.f("chlo.lgamma", x)


# -- I0e: exp(-|x|) I0(x)


def _i0e(r: Parts, x: str) -> str:
    """The power series sum (x^2/4)^k / (k!)^2 times exp(-|x|) up to `switch`, where
    its terms (all positive) still sum without overflow; beyond, the asymptotic
    series sum c_k / |x|^k over sqrt(2 pi |x|), c_k = ((2k-1)!!)^2 / (k! 8^k),
    whose error there is below the dtype's epsilon."""
    f64 = r.aval.dtype == dtypes.float64
    switch, n_series, n_asym = (20.0, 50, 25) if f64 else (10.0, 30, 12)
    ax = r.abs(x)
    small = r.cmp("LE", ax, r.c(switch))
    xs = r.sel(small, ax, r.c(switch))              # each branch on its own range
    xl = r.sel(small, r.c(2 * switch), ax)
    q = r.mul(r.mul(xs, xs), r.c(0.25))
    term = total = r.c(1.0)
    for k in range(1, n_series):
        term = r.mul(term, r.div(q, r.c(float(k * k))))
        total = r.add(total, term)
    series = r.mul(total, _exp(r, r.neg(xs)))
    inv = r.div(r.c(1.0), xl)
    term = asym = r.c(1.0)
    for k in range(n_asym - 1):
        term = r.mul(term, r.mul(inv, r.c((2 * k + 1) ** 2 / (8.0 * (k + 1)))))
        asym = r.add(asym, term)
    asym = r.div(asym, r.f("stablehlo.sqrt", r.mul(xl, r.c(2 * math.pi))))
    return r.sel(small, series, asym)


def _bessel_i0e_lower(ctx: LoweringContext, x: str) -> list[str]:
    return _computed(ctx, [x], _i0e)


# -- the incomplete gamma functions P(a, x), Q(a, x) = 1 - P and dP/da


def _gamma_series(r: Parts, a: str, x: str, active: str,
                  derivative: bool) -> tuple[str, str | None]:
    """S = sum_n x^n / ((a+1)...(a+n)) and, for `derivative`, dS/da, so that
    P = S exp(a log x - x) / Gamma(a + 1). Converges fast where x < a + 1."""
    eps = _eps(r)

    def step(n: str, vals: list[str]) -> tuple[str, list[str]]:
        den, term, total, *dvals = vals
        den = r.add(den, r.c(1.0))
        ratio = r.div(x, den)
        if derivative:
            dterm, dtotal = dvals
            dterm = r.mul(r.sub(dterm, r.div(term, den)), ratio)    # d/da of the new term
            dvals = [dterm, r.add(dtotal, dterm)]
        term = r.mul(term, ratio)
        total = r.add(total, term)
        if derivative:
            going = r.cmp("GT", r.abs(dvals[0]), r.mul(r.abs(dvals[1]), r.c(eps)))
        else:
            going = r.cmp("GT", term, r.mul(total, r.c(eps)))
        return going, [den, term, total, *dvals]

    one, zero = r.c(1.0), r.c(0.0)
    init = [a, one, one, zero, zero] if derivative else [a, one, one]
    out = _iterate(r, 100_000, active, init, step)
    return out[2], (out[4] if derivative else None)


def _gamma_fraction(r: Parts, a: str, x: str, active: str,
                    derivative: bool) -> tuple[str, str | None]:
    """Legendre's continued fraction F and, for `derivative`, dF/da, so that
    Q = F exp(a log x - x) / Gamma(a), evaluated by its convergents p_k / q_k
    (rescaled before they overflow). Converges fast where x > a + 1."""
    eps = _eps(r)
    y = r.sub(r.c(1.0), a)
    z = r.add(r.add(x, y), r.c(1.0))
    qkm1 = r.mul(z, x)
    ans = r.div(r.add(x, r.c(1.0)), qkm1)
    init = [y, z, r.c(0.0), r.add(x, r.c(1.0)), r.c(1.0), qkm1, x, ans]
    if derivative:      # d/da of p_k, p_k-1, q_k, q_k-1 and of the answer
        init += [r.c(0.0), r.c(0.0), r.neg(x), r.c(0.0), r.div(r.mul(ans, x), qkm1)]

    def step(n: str, vals: list[str]) -> tuple[str, list[str]]:
        y, z, c, pkm1, pkm2, qkm1, qkm2, ans, *dvals = vals
        c = r.add(c, r.c(1.0))
        y = r.add(y, r.c(1.0))
        z = r.add(z, r.c(2.0))
        yc = r.mul(y, c)
        pk = r.sub(r.mul(pkm1, z), r.mul(pkm2, yc))
        qk = r.sub(r.mul(qkm1, z), r.mul(qkm2, yc))
        nonzero = r.cmp("NE", qk, r.c(0.0))
        safe_qk = r.sel(nonzero, qk, r.c(1.0))
        ratio = r.div(pk, safe_qk)
        change = r.sel(nonzero, r.abs(r.div(r.sub(ans, ratio), ratio)), r.c(1.0))
        new_ans = r.sel(nonzero, ratio, ans)
        going = r.cmp("GT", change, r.c(eps))
        recur = [pk, pkm1, qk, qkm1]
        if derivative:
            dpkm1, dpkm2, dqkm1, dqkm2, dans = dvals
            # y and z fall by one as a grows by one
            dpk = r.add(r.sub(r.sub(r.mul(dpkm1, z), pkm1), r.mul(dpkm2, yc)), r.mul(pkm2, c))
            dqk = r.add(r.sub(r.sub(r.mul(dqkm1, z), qkm1), r.mul(dqkm2, yc)), r.mul(qkm2, c))
            new_dans = r.sel(nonzero, r.div(r.sub(dpk, r.mul(new_ans, dqk)), safe_qk), dans)
            going = r.cmp("GT", r.abs(r.sub(new_dans, dans)), r.mul(r.abs(new_dans), r.c(eps)))
            recur += [dpk, dpkm1, dqk, dqkm1]
        big = r.cmp("GT", r.abs(pk), r.c(1.0 / eps))
        scaled = [r.sel(big, r.mul(v, r.c(eps)), v) for v in recur]
        out = [y, z, c, *scaled[:4], new_ans]
        if derivative:
            out += [*scaled[4:], new_dans]
        return going, out

    out = _iterate(r, 2000, active, init, step)
    return out[7], (out[12] if derivative else None)


def _igamma(r: Parts, a: str, x: str, result: str) -> str:
    """`result` "p", "q" or "dp_da" of (a, x): the series where x < 1 or x <= a, the
    continued fraction elsewhere, with SciPy's values at the edges (0 and 1 at
    x = 0 and x = inf; nan for x < 0, a < 0 or a = x = 0)."""
    derivative = result == "dp_da"
    x_zero, x_inf = r.is_zero(x), r.cmp("EQ", x, r.c(math.inf))
    bad = r.or_(r.isnan(a), r.isnan(x), r.cmp("LT", x, r.c(0.0)), r.cmp("LT", a, r.c(0.0)),
                r.and_(r.is_zero(a), x_zero))
    log_x = _log(r, x)
    log_ax = r.sub(r.sub(r.mul(a, log_x), x), _lgamma(r, a))
    underflow = r.cmp("LT", log_ax, r.c(-math.log(float(dtypes.finfo(r.aval.dtype).max))))
    ax = _exp(r, log_ax)
    enabled = r.not_(r.or_(x_zero, x_inf, bad, underflow))
    use_fraction = r.and_(r.cmp("GE", x, r.c(1.0)), r.cmp("GT", x, a))
    s, ds = _gamma_series(r, a, x, r.and_(enabled, r.not_(use_fraction)), derivative)
    f, df = _gamma_fraction(r, a, x, r.and_(enabled, use_fraction), derivative)
    safe_a = r.sel(r.is_zero(a), r.c(1.0), a)
    lower = r.div(r.mul(s, ax), safe_a)                      # P, from the series
    upper = r.mul(f, ax)                                     # Q, from the fraction
    if result == "p":
        value = r.sel(use_fraction, r.sub(r.c(1.0), upper), lower)
        at_zero, at_inf = 0.0, 1.0
    elif result == "q":
        value = r.sel(use_fraction, upper, r.sub(r.c(1.0), lower))
        at_zero, at_inf = 1.0, 0.0
    else:
        # d log(x^a e^-x / Gamma(a+1)) / da = log x - digamma(a + 1), and for Q's
        # prefactor log x - digamma(a)
        digamma = r.f("chlo.digamma", r.add(a, r.c(1.0)))
        assert ds is not None and df is not None
        dp = r.div(r.mul(ax, r.add(r.mul(s, r.sub(log_x, digamma)), ds)), safe_a)
        dq = r.mul(ax, r.add(r.mul(f, r.sub(log_x, r.f("chlo.digamma", a))), df))
        value = r.sel(use_fraction, r.neg(dq), dp)
        at_zero, at_inf = 0.0, 0.0
    value = r.sel(x_zero, r.c(at_zero), value)
    value = r.sel(x_inf, r.c(at_inf), value)
    return r.sel(bad, r.c(math.nan), value)


def _igamma_lower(ctx: LoweringContext, a: str, x: str) -> list[str]:
    return _computed(ctx, [a, x], lambda r, a, x: _igamma(r, a, x, "p"))


def _igammac_lower(ctx: LoweringContext, a: str, x: str) -> list[str]:
    return _computed(ctx, [a, x], lambda r, a, x: _igamma(r, a, x, "q"))


def _igamma_grad_a_lower(ctx: LoweringContext, a: str, x: str) -> list[str]:
    return _computed(ctx, [a, x], lambda r, a, x: _igamma(r, a, x, "dp_da"))


# -- the regularized incomplete beta function I_x(a, b)


def _beta_fraction(r: Parts, a: str, b: str, x: str, active: str) -> str:
    """The continued fraction 1 / (1 + d1 / (1 + d2 / (1 + ...))) of I_x(a, b)
    (DLMF 8.17.22), by the modified Lentz method; `tiny` stands in for zero
    denominators."""
    eps = _eps(r)
    tiny = r.c(eps / 2)
    limit = 600 if r.aval.dtype == dtypes.float64 else 200

    def numerator(n: str) -> str:
        """1 for n = 0, then d_n: odd n = 2m+1 and even n = 2m have their own forms."""
        nf = r.ctx.convert(r.ctx.broadcast_to(n, r.aval.shape), r.aval.dtype)
        m_odd = r.mul(r.sub(nf, r.c(1.0)), r.c(0.5))
        m_even = r.mul(nf, r.c(0.5))
        two_m_odd = r.add(a, r.mul(m_odd, r.c(2.0)))
        odd = r.div(r.neg(r.mul(r.mul(r.add(a, m_odd), r.add(r.add(a, b), m_odd)), x)),
                    r.mul(two_m_odd, r.add(two_m_odd, r.c(1.0))))
        two_m_even = r.add(a, r.mul(m_even, r.c(2.0)))
        even = r.div(r.mul(r.mul(m_even, r.sub(b, m_even)), x),
                     r.mul(r.sub(two_m_even, r.c(1.0)), two_m_even))
        parity = r.ctx.op1("stablehlo.remainder", [n, r.ctx.constant(2, dtypes.int32)], _I32)
        is_odd = r.ctx.broadcast_to(compare(r.ctx, "EQ", parity,
                                            r.ctx.constant(1, dtypes.int32)), r.aval.shape)
        first = r.ctx.broadcast_to(compare(r.ctx, "EQ", n, r.ctx.constant(0, dtypes.int32)),
                                   r.aval.shape)
        return r.sel(first, r.c(1.0), r.sel(is_odd, odd, even))

    def away_from_zero(v: str) -> str:
        return r.sel(r.cmp("LT", r.abs(v), tiny), tiny, v)

    def step(n: str, vals: list[str]) -> tuple[str, list[str]]:
        f, c, d = vals
        num = numerator(n)
        d = r.div(r.c(1.0), away_from_zero(r.add(r.c(1.0), r.mul(num, d))))
        c = away_from_zero(r.add(r.c(1.0), r.div(num, c)))
        delta = r.mul(c, d)
        going = r.cmp("GT", r.abs(r.sub(delta, r.c(1.0))), r.c(eps))
        return going, [r.mul(f, delta), c, d]

    return _iterate(r, limit, active, [tiny, tiny, r.c(0.0)], step)[0]


def _betainc(r: Parts, a: str, b: str, x: str) -> str:
    """I_x(a, b) from the fraction where x < (a+1)/(a+b+2), and as 1 - I_{1-x}(b, a)
    elsewhere, where the fraction of the swapped arguments converges fast; the
    limits at a or b = 0 or inf and at x = 0 or 1 as SciPy gives them."""
    zero, one = r.c(0.0), r.c(1.0)
    a_zero = r.or_(r.is_zero(a), r.cmp("EQ", b, r.c(math.inf)))
    b_zero = r.or_(r.is_zero(b), r.cmp("EQ", a, r.c(math.inf)))
    x_zero, x_one = r.is_zero(x), r.cmp("EQ", x, one)
    bad = r.or_(r.isnan(a), r.isnan(b), r.isnan(x), r.cmp("LT", a, zero), r.cmp("LT", b, zero),
                r.cmp("LT", x, zero), r.cmp("GT", x, one), r.and_(a_zero, b_zero))
    to_zero = r.or_(r.and_(b_zero, r.not_(x_one)), r.and_(a_zero, x_zero))
    to_one = r.or_(r.and_(a_zero, r.not_(x_zero)), r.and_(b_zero, x_one))
    direct = r.cmp("LT", x, r.div(r.add(a, one), r.add(r.add(a, b), r.c(2.0))))
    a, b, x = r.sel(direct, a, b), r.sel(direct, b, a), r.sel(direct, x, r.sub(one, x))
    enabled = r.not_(r.or_(bad, to_zero, to_one))
    fraction = _beta_fraction(r, a, b, x, enabled)
    log1m_x = r.f("stablehlo.log_plus_one", r.neg(x))
    lbeta_tail = r.sub(_lgamma(r, b), _lgamma(r, r.add(a, b)))
    # x^a (1-x)^b / (a B(a, b)); for a below the smallest normal a Gamma(a) = 1
    tiny_a = r.cmp("LT", a, r.c(2 * float(dtypes.finfo(r.aval.dtype).tiny)))
    safe_a = r.sel(tiny_a, one, a)
    general = r.div(_exp(r, r.sub(r.add(r.mul(a, _log(r, x)), r.mul(b, log1m_x)),
                                  r.add(_lgamma(r, safe_a), lbeta_tail))), safe_a)
    factor = r.sel(tiny_a, _exp(r, r.sub(r.mul(b, log1m_x), lbeta_tail)), general)
    value = r.mul(fraction, factor)
    value = r.sel(direct, value, r.sub(one, value))
    value = r.sel(to_zero, zero, r.sel(to_one, one, value))
    return r.sel(bad, r.c(math.nan), value)


def _regularized_incomplete_beta_lower(ctx: LoweringContext, a: str, b: str,
                                       x: str) -> list[str]:
    return _computed(ctx, [a, b, x], _betainc)


lowering_rules.update({
    P.square_p: _square_lower, P.clz_p: _clz_lower, P.mulhi_p: _mulhi_lower,
    P.clamp_p: _clamp_lower, P.bitcast_convert_type_p: _bitcast_convert_type_lower,
    P.zeta_p: _zeta_lower, P.bessel_i1e_p: _bessel_i1e_lower,
    P.bessel_i0e_p: _bessel_i0e_lower, P.igamma_p: _igamma_lower, P.igammac_p: _igammac_lower,
    P.igamma_grad_a_p: _igamma_grad_a_lower,
    P.regularized_incomplete_beta_p: _regularized_incomplete_beta_lower,
})
