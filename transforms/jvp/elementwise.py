"""JVP rules of the elementwise primitives."""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from funcgrad import dtypes, primitives as P
from funcgrad.transforms.jvp.interpreter import defjvp_elementwise, deflinear, jvp_rules, zero_jvp
from funcgrad.transforms.programs import (Zero, add, add_tangents, aval, broadcast_to, const,
                                          convert, differentiable, div, instantiate, mul, neg,
                                          select, square, sub, tangent_aval, weak_scalar)


deflinear(P.neg_p)
deflinear(P.real_p)
deflinear(P.imag_p)
deflinear(P.conj_p)

defjvp_elementwise(P.exp_p, lambda t, ans, x: mul(t, ans))
defjvp_elementwise(P.exp2_p, lambda t, ans, x: mul(t, mul(ans, const(ans, math.log(2)))))
defjvp_elementwise(P.log_p, lambda t, ans, x: div(t, x))
defjvp_elementwise(P.expm1_p, lambda t, ans, x: mul(t, add(ans, const(ans, 1))))
defjvp_elementwise(P.log1p_p, lambda t, ans, x: div(t, add(x, const(x, 1))))
defjvp_elementwise(P.sin_p, lambda t, ans, x: mul(t, P.cos_p.bind(x)))
defjvp_elementwise(P.cos_p, lambda t, ans, x: neg(mul(t, P.sin_p.bind(x))))
defjvp_elementwise(P.tan_p, lambda t, ans, x: mul(t, add(const(ans, 1), square(ans))))
defjvp_elementwise(P.asin_p, lambda t, ans, x: mul(t, P.rsqrt_p.bind(sub(const(x, 1), square(x)))))
defjvp_elementwise(P.acos_p,
                   lambda t, ans, x: neg(mul(t, P.rsqrt_p.bind(sub(const(x, 1), square(x))))))
defjvp_elementwise(P.atan_p, lambda t, ans, x: div(t, add(const(x, 1), square(x))))
defjvp_elementwise(P.sinh_p, lambda t, ans, x: mul(t, P.cosh_p.bind(x)))
defjvp_elementwise(P.cosh_p, lambda t, ans, x: mul(t, P.sinh_p.bind(x)))
defjvp_elementwise(P.tanh_p, lambda t, ans, x: mul(t, sub(const(ans, 1), square(ans))))
defjvp_elementwise(P.asinh_p, lambda t, ans, x: mul(t, P.rsqrt_p.bind(add(square(x), const(x, 1)))))
# 1 / (sqrt(x - 1) sqrt(x + 1)), not 1 / sqrt(x**2 - 1): for complex x the two roots
# differ in sign on the left half-plane, and only the product of roots is acosh's
# derivative there (for real x > 1 they agree, and the split form does not overflow).
defjvp_elementwise(P.acosh_p, lambda t, ans, x: mul(
    t, mul(P.rsqrt_p.bind(sub(x, const(x, 1))), P.rsqrt_p.bind(add(x, const(x, 1))))))
defjvp_elementwise(P.atanh_p, lambda t, ans, x: div(t, sub(const(x, 1), square(x))))
defjvp_elementwise(P.logistic_p,
                   lambda t, ans, x: mul(t, mul(ans, sub(const(ans, 1), ans))))
defjvp_elementwise(P.sqrt_p, lambda t, ans, x: div(t, mul(const(ans, 2), ans)))
defjvp_elementwise(P.rsqrt_p, lambda t, ans, x: mul(t, mul(const(x, -0.5), div(ans, x))))
defjvp_elementwise(P.cbrt_p, lambda t, ans, x: mul(
    t, mul(const(x, 1 / 3), P.integer_pow_p.bind(ans, y=-2))))
defjvp_elementwise(P.erf_p, lambda t, ans, x: mul(
    t, mul(const(x, 2 / math.sqrt(math.pi)), P.exp_p.bind(neg(square(x))))))
defjvp_elementwise(P.erfc_p, lambda t, ans, x: mul(
    t, mul(const(x, -2 / math.sqrt(math.pi)), P.exp_p.bind(neg(square(x))))))
defjvp_elementwise(P.erf_inv_p, lambda t, ans, x: mul(
    t, mul(const(x, math.sqrt(math.pi) / 2), P.exp_p.bind(square(ans)))))
defjvp_elementwise(P.lgamma_p, lambda t, ans, x: mul(t, P.digamma_p.bind(x)))


def _abs_deriv(t: Any, ans: Any, x: Any) -> Any:
    """sign(x) * t. At the kink x = 0 the derivative is a convention: 0, the midpoint
    of the one-sided slopes -1 and 1 (what central differences see, and autograd's
    choice; JAX takes 1). The second derivative is 0 everywhere, 0 included."""
    if not dtypes.is_complex(aval(x).dtype):
        return mul(t, P.sign_p.bind(x))
    # d|z| = Re(conj(z) dz) / |z|, taken as 0 at z = 0
    zero = P.eq_p.bind(ans, const(ans, 0))
    safe = select(zero, ans, const(ans, 1))
    num = P.real_p.bind(mul(P.conj_p.bind(x), t))
    return select(zero, div(num, safe), const(ans, 0))


defjvp_elementwise(P.abs_p, _abs_deriv)


def _add_jvp(primals: Sequence[Any], tangents: Sequence[Any]) -> tuple[Any, Any]:
    ans = P.add_p.bind(*primals)
    return ans, broadcast_to(add_tangents(*tangents), aval(ans).shape)


def _sub_jvp(primals: Sequence[Any], tangents: Sequence[Any]) -> tuple[Any, Any]:
    ans = P.sub_p.bind(*primals)
    tx, ty = tangents
    if type(ty) is Zero:
        t = tx
    elif type(tx) is Zero:
        t = neg(ty)
    else:
        t = sub(tx, ty)
    return ans, broadcast_to(t, aval(ans).shape)


jvp_rules[P.add_p] = _add_jvp
jvp_rules[P.sub_p] = _sub_jvp
defjvp_elementwise(P.mul_p, lambda t, ans, x, y: mul(t, y), lambda t, ans, x, y: mul(x, t))
defjvp_elementwise(P.div_p, lambda t, ans, x, y: div(t, y),
                   lambda t, ans, x, y: mul(neg(t), div(ans, y)))


def _trunc(x: Any) -> Any:
    return mul(P.sign_p.bind(x), P.floor_p.bind(P.abs_p.bind(x)))


defjvp_elementwise(P.rem_p, lambda t, ans, x, y: t,
                   lambda t, ans, x, y: mul(neg(t), _trunc(div(x, y))))


def _pow_dx(t: Any, ans: Any, x: Any, y: Any) -> Any:
    # y * x ** (y - 1), taken as 0 at x = y = 0 (where it would be 0 * inf)
    both_zero = P.and_p.bind(P.eq_p.bind(y, const(y, 0)), P.eq_p.bind(x, const(x, 0)))
    safe_y = select(both_zero, y, const(y, 1))
    jac = select(both_zero, mul(safe_y, P.pow_p.bind(x, sub(safe_y, const(y, 1)))), const(y, 0))
    return mul(t, jac)


def _pow_dy(t: Any, ans: Any, x: Any, y: Any) -> Any:
    safe_x = select(P.eq_p.bind(x, const(x, 0)), x, const(x, 1))
    return mul(t, mul(P.log_p.bind(safe_x), ans))


defjvp_elementwise(P.pow_p, _pow_dx, _pow_dy)


def _balanced(t: Any, ans: Any, x: Any, y: Any) -> Any:
    """t where x alone attains the max/min, t/2 where x and y tie, else 0 (like JAX).

    At a tie the derivative is a convention: the mean of the one-sided ones, which
    is what central differences see; the second derivative there is 0. The losing
    operand is cut off by a select, not by a factor 0, so reverse mode knows its
    cotangent is an exact zero and an infinite partial behind it cannot make it
    NaN (the gradient of clip(sqrt(x), 1, 2) at x = 0 is 0)."""
    x_attains = P.eq_p.bind(x, ans)
    share = select(P.eq_p.bind(y, ans), const(ans, 1), const(ans, 0.5))
    return select(x_attains, const(t, 0), mul(t, share))


defjvp_elementwise(P.max_p, lambda t, ans, x, y: _balanced(t, ans, x, y),
                   lambda t, ans, x, y: _balanced(t, ans, y, x))
defjvp_elementwise(P.min_p, lambda t, ans, x, y: _balanced(t, ans, x, y),
                   lambda t, ans, x, y: _balanced(t, ans, y, x))
defjvp_elementwise(P.atan2_p, lambda t, ans, x, y: mul(t, div(y, add(square(x), square(y)))),
                   lambda t, ans, x, y: mul(t, div(neg(x), add(square(x), square(y)))))


def _integer_pow_jvp(primals: Sequence[Any], tangents: Sequence[Any], *,
                     y: int) -> tuple[Any, Any]:
    (x,), (t,) = primals, tangents
    ans = P.integer_pow_p.bind(x, y=y)
    if y == 0:
        return ans, Zero(tangent_aval(aval(ans)))
    if y == 1:
        return ans, t
    d = P.integer_pow_p.bind(x, y=y - 1) if y != 2 else x
    return ans, mul(t, mul(const(x, y), d))


jvp_rules[P.integer_pow_p] = _integer_pow_jvp


def _complex_jvp(primals: Sequence[Any], tangents: Sequence[Any]) -> tuple[Any, Any]:
    ans = P.complex_p.bind(*primals)
    tr, ti = (instantiate(t) for t in tangents)
    return ans, broadcast_to(P.complex_p.bind(tr, ti), aval(ans).shape)


jvp_rules[P.complex_p] = _complex_jvp


def _select_n_jvp(primals: Sequence[Any], tangents: Sequence[Any]) -> tuple[Any, Any]:
    which, *cases = primals
    ans = P.select_n_p.bind(which, *cases)
    case_ts = tangents[1:]
    if all(type(t) is Zero for t in case_ts) or not differentiable(aval(ans)):
        return ans, Zero(tangent_aval(aval(ans)))
    ts = [weak_scalar(0, aval(ans).dtype) if type(t) is Zero else t for t in case_ts]
    return ans, broadcast_to(P.select_n_p.bind(which, *ts), aval(ans).shape)


jvp_rules[P.select_n_p] = _select_n_jvp


def _convert_element_type_jvp(primals: Sequence[Any], tangents: Sequence[Any], *, new_dtype: Any,
                 weak_type: bool) -> tuple[Any, Any]:
    (x,), (t,) = primals, tangents
    ans = P.convert_element_type_p.bind(x, new_dtype=new_dtype, weak_type=weak_type)
    if type(t) is Zero or not differentiable(aval(x)) or not differentiable(aval(ans)):
        return ans, Zero(tangent_aval(aval(ans)))
    return ans, convert(t, aval(ans).dtype)


jvp_rules[P.convert_element_type_p] = _convert_element_type_jvp


# special functions

defjvp_elementwise(P.digamma_p,
                   lambda t, ans, x: mul(t, P.polygamma_p.bind(const(x, 1), x)))
# NB: like JAX, polygamma is differentiable in x only (n is an integer order).
defjvp_elementwise(P.polygamma_p, None,
                   lambda t, ans, n, x: mul(t, P.polygamma_p.bind(add(n, const(n, 1)), x)))


# piecewise constant, not differentiable, or a gradient barrier: zero tangents

jvp_rules[P.sign_p] = zero_jvp(P.sign_p)
jvp_rules[P.floor_p] = zero_jvp(P.floor_p)
jvp_rules[P.ceil_p] = zero_jvp(P.ceil_p)
jvp_rules[P.round_p] = zero_jvp(P.round_p)
jvp_rules[P.is_finite_p] = zero_jvp(P.is_finite_p)
jvp_rules[P.not_p] = zero_jvp(P.not_p)
jvp_rules[P.population_count_p] = zero_jvp(P.population_count_p)
jvp_rules[P.nextafter_p] = zero_jvp(P.nextafter_p)
jvp_rules[P.and_p] = zero_jvp(P.and_p)
jvp_rules[P.or_p] = zero_jvp(P.or_p)
jvp_rules[P.xor_p] = zero_jvp(P.xor_p)
jvp_rules[P.shift_left_p] = zero_jvp(P.shift_left_p)
jvp_rules[P.shift_right_arithmetic_p] = zero_jvp(P.shift_right_arithmetic_p)
jvp_rules[P.shift_right_logical_p] = zero_jvp(P.shift_right_logical_p)
jvp_rules[P.eq_p] = zero_jvp(P.eq_p)
jvp_rules[P.ne_p] = zero_jvp(P.ne_p)
jvp_rules[P.lt_p] = zero_jvp(P.lt_p)
jvp_rules[P.le_p] = zero_jvp(P.le_p)
jvp_rules[P.gt_p] = zero_jvp(P.gt_p)
jvp_rules[P.ge_p] = zero_jvp(P.ge_p)
jvp_rules[P.stop_gradient_p] = zero_jvp(P.stop_gradient_p)
