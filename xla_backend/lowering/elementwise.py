"""Lowering rules of the elementwise primitives: unary and binary maths,
comparisons, integer_pow, complex, select_n, convert_element_type, polygamma,
nextafter and stop_gradient.

Operands may differ in rank (a scalar beside an array); rules broadcast them to
the output's shape first. Most primitives are one StableHLO or CHLO op (on
booleans NumPy's arithmetic is logic, so a few pick another op there). The
rest need more than one op, because a complex operand needs C99's special
values (`special_values.py`) or because XLA's real answer is wrong at a few
points NumPy defines (signed zeros, subnormals, poles).
"""
from __future__ import annotations

import math

import numpy as np

from funcgrad import dtypes
from funcgrad import primitives as P
from funcgrad.xla_backend.lowering import special_values as sv
from funcgrad.xla_backend.lowering.emitter import LoweringContext, compare, lowering_rules
from funcgrad.xla_backend.lowering.special_values import Parts


def _unary(ctx: LoweringContext, opname: str, x: str) -> list[str]:
    out = ctx.avals_out[0]
    return [ctx.op1(opname, [ctx.broadcast_to(x, out.shape)], out)]


def _binary(ctx: LoweringContext, opname: str, x: str, y: str,
            on_bools: str | None = None) -> list[str]:
    """`opname` of `x` and `y` broadcast to the output's shape; `on_bools` is the op
    for booleans where NumPy's differs (+ and max are or there, * and min are and)."""
    out = ctx.avals_out[0]
    xy = [ctx.broadcast_to(x, out.shape), ctx.broadcast_to(y, out.shape)]
    if on_bools is not None and out.dtype == dtypes.bool_:
        opname = on_bools
    return [ctx.op1(opname, xy, out)]


# ---------------------------------------------------------------------------
# one op


def _neg_lower(ctx: LoweringContext, x: str) -> list[str]:
    return _unary(ctx, "stablehlo.negate", x)


def _floor_lower(ctx: LoweringContext, x: str) -> list[str]:
    return _unary(ctx, "stablehlo.floor", x)


def _ceil_lower(ctx: LoweringContext, x: str) -> list[str]:
    return _unary(ctx, "stablehlo.ceil", x)


def _round_lower(ctx: LoweringContext, x: str) -> list[str]:
    return _unary(ctx, "stablehlo.round_nearest_even", x)


def _is_finite_lower(ctx: LoweringContext, x: str) -> list[str]:
    return _unary(ctx, "stablehlo.is_finite", x)


def _logistic_lower(ctx: LoweringContext, x: str) -> list[str]:
    return _unary(ctx, "stablehlo.logistic", x)


def _rsqrt_lower(ctx: LoweringContext, x: str) -> list[str]:
    return _unary(ctx, "stablehlo.rsqrt", x)


def _erf_lower(ctx: LoweringContext, x: str) -> list[str]:
    return _unary(ctx, "chlo.erf", x)


def _erfc_lower(ctx: LoweringContext, x: str) -> list[str]:
    return _unary(ctx, "chlo.erfc", x)


def _erf_inv_lower(ctx: LoweringContext, x: str) -> list[str]:
    return _unary(ctx, "chlo.erf_inv", x)


def _real_lower(ctx: LoweringContext, x: str) -> list[str]:
    return _unary(ctx, "stablehlo.real", x)


def _imag_lower(ctx: LoweringContext, x: str) -> list[str]:
    return _unary(ctx, "stablehlo.imag", x)


def _conj_lower(ctx: LoweringContext, x: str) -> list[str]:
    return _unary(ctx, "chlo.conj", x)


def _not_lower(ctx: LoweringContext, x: str) -> list[str]:
    return _unary(ctx, "stablehlo.not", x)


def _population_count_lower(ctx: LoweringContext, x: str) -> list[str]:
    return _unary(ctx, "stablehlo.popcnt", x)


def _add_lower(ctx: LoweringContext, x: str, y: str) -> list[str]:
    return _binary(ctx, "stablehlo.add", x, y, on_bools="stablehlo.or")


def _sub_lower(ctx: LoweringContext, x: str, y: str) -> list[str]:
    return _binary(ctx, "stablehlo.subtract", x, y)


def _mul_lower(ctx: LoweringContext, x: str, y: str) -> list[str]:
    return _binary(ctx, "stablehlo.multiply", x, y, on_bools="stablehlo.and")


def _div_lower(ctx: LoweringContext, x: str, y: str) -> list[str]:
    return _binary(ctx, "stablehlo.divide", x, y)


def _rem_lower(ctx: LoweringContext, x: str, y: str) -> list[str]:
    return _binary(ctx, "stablehlo.remainder", x, y)


def _max_lower(ctx: LoweringContext, x: str, y: str) -> list[str]:
    return _binary(ctx, "stablehlo.maximum", x, y, on_bools="stablehlo.or")


def _min_lower(ctx: LoweringContext, x: str, y: str) -> list[str]:
    return _binary(ctx, "stablehlo.minimum", x, y, on_bools="stablehlo.and")


def _nextafter_lower(ctx: LoweringContext, x: str, y: str) -> list[str]:
    return _binary(ctx, "chlo.next_after", x, y)


def _and_lower(ctx: LoweringContext, x: str, y: str) -> list[str]:
    return _binary(ctx, "stablehlo.and", x, y)


def _or_lower(ctx: LoweringContext, x: str, y: str) -> list[str]:
    return _binary(ctx, "stablehlo.or", x, y)


def _xor_lower(ctx: LoweringContext, x: str, y: str) -> list[str]:
    return _binary(ctx, "stablehlo.xor", x, y)


def _shift_left_lower(ctx: LoweringContext, x: str, y: str) -> list[str]:
    return _binary(ctx, "stablehlo.shift_left", x, y)


def _shift_right_arithmetic_lower(ctx: LoweringContext, x: str, y: str) -> list[str]:
    return _binary(ctx, "stablehlo.shift_right_arithmetic", x, y)


def _shift_right_logical_lower(ctx: LoweringContext, x: str, y: str) -> list[str]:
    return _binary(ctx, "stablehlo.shift_right_logical", x, y)


def _is_complex(ctx: LoweringContext) -> bool:
    return dtypes.is_complex(ctx.avals_in[0].dtype)


# ---------------------------------------------------------------------------
# one op on real operands, C99's special values on complex ones


def _exp_lower(ctx: LoweringContext, x: str) -> list[str]:
    if _is_complex(ctx):
        return sv.c_exp(ctx, x)
    return _unary(ctx, "stablehlo.exponential", x)


def _exp2_lower(ctx: LoweringContext, x: str) -> list[str]:
    if _is_complex(ctx):
        return sv.c_exp2(ctx, x)
    out = ctx.avals_out[0]
    two = ctx.broadcast_to(ctx.constant(2, out.dtype), out.shape)
    return [ctx.op1("stablehlo.power", [two, x], out)]


def _expm1_lower(ctx: LoweringContext, x: str) -> list[str]:
    if _is_complex(ctx):
        return sv.c_expm1(ctx, x)
    return _unary(ctx, "stablehlo.exponential_minus_one", x)


def _log_lower(ctx: LoweringContext, x: str) -> list[str]:
    if _is_complex(ctx):
        return sv.c_log(ctx, x)
    return _unary(ctx, "stablehlo.log", x)


def _log1p_lower(ctx: LoweringContext, x: str) -> list[str]:
    if _is_complex(ctx):
        return sv.c_log1p(ctx, x)
    return _unary(ctx, "stablehlo.log_plus_one", x)


def _sqrt_lower(ctx: LoweringContext, x: str) -> list[str]:
    if _is_complex(ctx):
        return sv.c_sqrt(ctx, x)
    return _unary(ctx, "stablehlo.sqrt", x)


def _pow_lower(ctx: LoweringContext, x: str, y: str) -> list[str]:
    if _is_complex(ctx):
        return sv.c_pow(ctx, x, y)
    return _binary(ctx, "stablehlo.power", x, y)


def _sin_lower(ctx: LoweringContext, x: str) -> list[str]:
    if _is_complex(ctx):
        return sv.c_sin(ctx, x)
    return _unary(ctx, "stablehlo.sine", x)


def _cos_lower(ctx: LoweringContext, x: str) -> list[str]:
    if _is_complex(ctx):
        return sv.c_cos(ctx, x)
    return _unary(ctx, "stablehlo.cosine", x)


def _tan_lower(ctx: LoweringContext, x: str) -> list[str]:
    if _is_complex(ctx):
        return sv.c_tan(ctx, x)
    return _unary(ctx, "stablehlo.tan", x)


def _sinh_lower(ctx: LoweringContext, x: str) -> list[str]:
    if _is_complex(ctx):
        return sv.c_sinh(ctx, x)
    return _unary(ctx, "chlo.sinh", x)


def _cosh_lower(ctx: LoweringContext, x: str) -> list[str]:
    if _is_complex(ctx):
        return sv.c_cosh(ctx, x)
    return _unary(ctx, "chlo.cosh", x)


def _tanh_lower(ctx: LoweringContext, x: str) -> list[str]:
    if _is_complex(ctx):
        return sv.c_tanh(ctx, x)
    return _unary(ctx, "stablehlo.tanh", x)


def _asin_lower(ctx: LoweringContext, x: str) -> list[str]:
    if _is_complex(ctx):
        return sv.c_inverse(ctx, x, "chlo.asin")
    return _unary(ctx, "chlo.asin", x)


def _acos_lower(ctx: LoweringContext, x: str) -> list[str]:
    if _is_complex(ctx):
        return sv.c_inverse(ctx, x, "chlo.acos")
    return _unary(ctx, "chlo.acos", x)


def _atan_lower(ctx: LoweringContext, x: str) -> list[str]:
    if _is_complex(ctx):
        return sv.c_inverse(ctx, x, "chlo.atan")
    return _unary(ctx, "chlo.atan", x)


def _asinh_lower(ctx: LoweringContext, x: str) -> list[str]:
    if _is_complex(ctx):
        return sv.c_inverse(ctx, x, "chlo.asinh")
    return _unary(ctx, "chlo.asinh", x)


def _acosh_lower(ctx: LoweringContext, x: str) -> list[str]:
    if _is_complex(ctx):
        return sv.c_inverse(ctx, x, "chlo.acosh")
    return _unary(ctx, "chlo.acosh", x)


def _atanh_lower(ctx: LoweringContext, x: str) -> list[str]:
    if _is_complex(ctx):
        return sv.c_inverse(ctx, x, "chlo.atanh")
    return _unary(ctx, "chlo.atanh", x)


def _abs_lower(ctx: LoweringContext, x: str) -> list[str]:
    if _is_complex(ctx):
        return sv.c_abs(ctx, x)
    if ctx.avals[x].dtype.kind == "u":      # stablehlo.abs takes no unsigned ints
        return [x]
    return [ctx.op1("stablehlo.abs", [x], ctx.avals_out[0])]


def _sign_lower(ctx: LoweringContext, x: str) -> list[str]:
    if _is_complex(ctx):
        return sv.c_sign(ctx, x)
    out = ctx.avals_out[0]
    if out.dtype.kind == "u":               # nor does stablehlo.sign: sign(x) = min(x, 1)
        return [ctx.op1("stablehlo.minimum", [x, ctx.constant(1, out.dtype, out.shape)], out)]
    if not dtypes.is_inexact(out.dtype):
        return [ctx.op1("stablehlo.sign", [x], out)]
    # sign(-0.0) is +0.0 in NumPy (XLA keeps the zero's sign)
    r = Parts(ctx, out.shape, out.dtype)
    return [r.sel(r.is_zero(x), r.c(0), ctx.op1("stablehlo.sign", [x], out))]


# ---------------------------------------------------------------------------
# real special values XLA gets wrong


def _lgamma_lower(ctx: LoweringContext, x: str) -> list[str]:
    """lgamma(1) = lgamma(2) = +0 exactly (XLA's float32 series is 5e-7 off there)."""
    out = ctx.avals_out[0]
    r = Parts(ctx, out.shape, out.dtype)
    y = ctx.op1("chlo.lgamma", [x], out)
    exact = r.or_(r.cmp("EQ", x, r.c(1)), r.cmp("EQ", x, r.c(2)))
    return [r.sel(exact, r.c(0), y)]


def _digamma_lower(ctx: LoweringContext, x: str) -> list[str]:
    """digamma's pole at 0 is -inf from the right (+0) and +inf from the left (-0),
    as in SciPy (XLA gives nan); at the negative integers it stays nan."""
    out = ctx.avals_out[0]
    r = Parts(ctx, out.shape, out.dtype)
    y = ctx.op1("chlo.digamma", [x], out)
    return [r.sel(r.is_zero(x), r.neg(r.copysign(r.c(math.inf), x)), y)]


def _flush_subnormal(r: Parts, x: str) -> str:
    """x with a subnormal value replaced by a zero of its sign (what DAZ hardware sees),
    so that an op that half-flushes (atan2 read +tiny as -0) answers consistently."""
    tiny = r.cmp("LT", r.abs(x), r.c(float(dtypes.finfo(r.aval.dtype).tiny)))
    return r.sel(tiny, r.copysign(r.c(0), x), x)


def _atan2_lower(ctx: LoweringContext, y: str, x: str) -> list[str]:
    out = ctx.avals_out[0]
    if not dtypes.is_inexact(out.dtype) or dtypes.is_complex(out.dtype):
        return _binary(ctx, "stablehlo.atan2", y, x)
    r = Parts(ctx, out.shape, out.dtype)
    y, x = (_flush_subnormal(r, ctx.broadcast_to(v, out.shape)) for v in (y, x))
    return [ctx.op1("stablehlo.atan2", [y, x], out)]


def _cbrt_lower(ctx: LoweringContext, x: str) -> list[str]:
    """cbrt(x) = cbrt(x * 2**96) / 2**32 for subnormal x (XLA's cbrt is garbage there)."""
    out = ctx.avals_out[0]
    r = Parts(ctx, out.shape, out.dtype)
    small = r.cmp("LT", r.abs(x), r.c(float(dtypes.finfo(out.dtype).tiny)))
    scaled = r.sel(small, r.mul(x, r.c(2.0 ** 96)), x)
    y = ctx.op1("stablehlo.cbrt", [scaled], out)
    return [r.sel(small, r.mul(y, r.c(2.0 ** -32)), y)]


def _polygamma_lower(ctx: LoweringContext, n: str, x: str) -> list[str]:
    out = ctx.avals_out[0]
    return [ctx.op1("chlo.polygamma", [ctx.broadcast_to(n, out.shape),
                                       ctx.broadcast_to(x, out.shape)], out)]


# ---------------------------------------------------------------------------
# comparisons


def _compare_broadcast(ctx: LoweringContext, direction: str, x: str, y: str) -> list[str]:
    shape = ctx.avals_out[0].shape
    return [compare(ctx, direction, ctx.broadcast_to(x, shape), ctx.broadcast_to(y, shape))]


def _eq_lower(ctx: LoweringContext, x: str, y: str) -> list[str]:
    return _compare_broadcast(ctx, "EQ", x, y)


def _ne_lower(ctx: LoweringContext, x: str, y: str) -> list[str]:
    return _compare_broadcast(ctx, "NE", x, y)


def _lt_lower(ctx: LoweringContext, x: str, y: str) -> list[str]:
    return _compare_broadcast(ctx, "LT", x, y)


def _le_lower(ctx: LoweringContext, x: str, y: str) -> list[str]:
    return _compare_broadcast(ctx, "LE", x, y)


def _gt_lower(ctx: LoweringContext, x: str, y: str) -> list[str]:
    return _compare_broadcast(ctx, "GT", x, y)


def _ge_lower(ctx: LoweringContext, x: str, y: str) -> list[str]:
    return _compare_broadcast(ctx, "GE", x, y)


# ---------------------------------------------------------------------------
# the rest of the family


def _integer_pow_lower(ctx: LoweringContext, x: str, *, y: int) -> list[str]:
    """Square-and-multiply: about 2 log2|y| multiplies, exact for integers."""
    out = ctx.avals_out[0]
    if y == 0:
        return [ctx.constant(1, out.dtype, out.shape)]
    acc: str | None = None
    base, n = x, abs(y)
    while n:
        if n & 1:
            acc = base if acc is None else ctx.op1("stablehlo.multiply", [acc, base], out)
        n >>= 1
        if n:
            base = ctx.op1("stablehlo.multiply", [base, base], out)
    assert acc is not None
    if y < 0:
        one = ctx.constant(1, out.dtype, out.shape)
        acc = ctx.op1("stablehlo.divide", [one, acc], out)
    return [acc]


def _complex_lower(ctx: LoweringContext, re: str, im: str) -> list[str]:
    out = ctx.avals_out[0]
    return [ctx.op1("stablehlo.complex", [ctx.broadcast_to(re, out.shape),
                                          ctx.broadcast_to(im, out.shape)], out)]


def _select_n_lower(ctx: LoweringContext, which: str, *cases: str) -> list[str]:
    """One select for a boolean `which`; for an integer one, a chain of selects on
    which >= i, so an out-of-range index picks the nearest case."""
    out = ctx.avals_out[0]
    cases = tuple(ctx.broadcast_to(c, out.shape) for c in cases)
    if len(cases) == 1:
        return [cases[0]]
    which = ctx.broadcast_to(which, out.shape)
    if ctx.avals[which].dtype == dtypes.bool_:
        return [ctx.op1("stablehlo.select", [which, cases[1], cases[0]], out)]
    result = cases[0]
    for i, case in enumerate(cases[1:], start=1):
        k = ctx.constant(i, dtypes.int32, out.shape)
        pred = compare(ctx, "GE", which, k)
        result = ctx.op1("stablehlo.select", [pred, case, result], out)
    return [result]


def _convert_element_type_lower(ctx: LoweringContext, x: str, *, new_dtype: np.dtype,
                                weak_type: bool) -> list[str]:
    src = ctx.avals[x].dtype
    if new_dtype == dtypes.bool_ and src != dtypes.bool_:   # NumPy: nonzero is True
        zero = ctx.constant(0, src, ctx.avals[x].shape)
        return [compare(ctx, "NE", x, zero)]
    return [ctx.convert(x, new_dtype)]


def _stop_gradient_lower(ctx: LoweringContext, x: str) -> list[str]:
    return [x]


lowering_rules.update({
    P.neg_p: _neg_lower, P.floor_p: _floor_lower, P.ceil_p: _ceil_lower, P.round_p: _round_lower,
    P.is_finite_p: _is_finite_lower, P.logistic_p: _logistic_lower, P.rsqrt_p: _rsqrt_lower,
    P.erf_p: _erf_lower, P.erfc_p: _erfc_lower, P.erf_inv_p: _erf_inv_lower, P.real_p: _real_lower,
    P.imag_p: _imag_lower, P.conj_p: _conj_lower, P.not_p: _not_lower,
    P.population_count_p: _population_count_lower, P.add_p: _add_lower, P.sub_p: _sub_lower,
    P.mul_p: _mul_lower, P.div_p: _div_lower, P.rem_p: _rem_lower, P.max_p: _max_lower,
    P.min_p: _min_lower, P.nextafter_p: _nextafter_lower, P.and_p: _and_lower, P.or_p: _or_lower,
    P.xor_p: _xor_lower, P.shift_left_p: _shift_left_lower,
    P.shift_right_arithmetic_p: _shift_right_arithmetic_lower,
    P.shift_right_logical_p: _shift_right_logical_lower,
    P.exp_p: _exp_lower, P.exp2_p: _exp2_lower, P.expm1_p: _expm1_lower, P.log_p: _log_lower,
    P.log1p_p: _log1p_lower, P.sqrt_p: _sqrt_lower, P.pow_p: _pow_lower,
    P.sin_p: _sin_lower, P.cos_p: _cos_lower, P.tan_p: _tan_lower,
    P.sinh_p: _sinh_lower, P.cosh_p: _cosh_lower, P.tanh_p: _tanh_lower,
    P.asin_p: _asin_lower, P.acos_p: _acos_lower, P.atan_p: _atan_lower,
    P.asinh_p: _asinh_lower, P.acosh_p: _acosh_lower, P.atanh_p: _atanh_lower,
    P.abs_p: _abs_lower, P.sign_p: _sign_lower,
    P.lgamma_p: _lgamma_lower, P.digamma_p: _digamma_lower, P.atan2_p: _atan2_lower,
    P.cbrt_p: _cbrt_lower, P.polygamma_p: _polygamma_lower,
    P.eq_p: _eq_lower, P.ne_p: _ne_lower, P.lt_p: _lt_lower, P.le_p: _le_lower,
    P.gt_p: _gt_lower, P.ge_p: _ge_lower,
    P.integer_pow_p: _integer_pow_lower, P.complex_p: _complex_lower,
    P.select_n_p: _select_n_lower, P.convert_element_type_p: _convert_element_type_lower,
    P.stop_gradient_p: _stop_gradient_lower,
})
