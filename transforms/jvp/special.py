"""JVP rules of the special-function family.

NB: like JAX, zeta is differentiable in q only, igamma_grad_a in x only and the
incomplete beta function in x only: a nonzero tangent for the other operands
raises `UnsupportedError` rather than giving a silently wrong zero.
"""
from __future__ import annotations

from typing import Any

from funcgrad import dtypes, primitives as P
from funcgrad.errors import UnsupportedError
from funcgrad.transforms.jvp.interpreter import defjvp_elementwise, jvp_rules, zero_jvp
from funcgrad.transforms.programs import add, aval, const, div, mul, neg, select, sub


def _not_differentiable(name: str, operand: str) -> Any:
    raise UnsupportedError(f"{name} is not differentiable with respect to its operand "
                           f"`{operand}` (JAX defines no such derivative either); apply "
                           f"lax.stop_gradient to `{operand}` if its derivative is not needed")


defjvp_elementwise(P.square_p, lambda t, ans, x: mul(t, mul(const(x, 2), x)))


def _clamp_dlo(t: Any, ans: Any, lo: Any, x: Any, hi: Any) -> Any:
    wins = P.and_p.bind(P.gt_p.bind(lo, x), P.lt_p.bind(lo, hi))
    return select(wins, const(t, 0), t)


def _clamp_dx(t: Any, ans: Any, lo: Any, x: Any, hi: Any) -> Any:
    inside = P.and_p.bind(P.gt_p.bind(x, lo), P.lt_p.bind(x, hi))
    return select(inside, const(t, 0), t)


def _clamp_dhi(t: Any, ans: Any, lo: Any, x: Any, hi: Any) -> Any:
    return select(P.lt_p.bind(hi, x), const(t, 0), t)


defjvp_elementwise(P.clamp_p, _clamp_dlo, _clamp_dx, _clamp_dhi)

jvp_rules[P.clz_p] = zero_jvp(P.clz_p)
jvp_rules[P.mulhi_p] = zero_jvp(P.mulhi_p)
jvp_rules[P.bitcast_convert_type_p] = zero_jvp(P.bitcast_convert_type_p)


def _gamma_density(a: Any, x: Any) -> Any:
    """x^(a-1) e^-x / Gamma(a): dP(a, x)/dx."""
    log_density = sub(sub(mul(sub(a, const(a, 1)), P.log_p.bind(x)), x), P.lgamma_p.bind(a))
    return P.exp_p.bind(log_density)


defjvp_elementwise(P.igamma_p, lambda t, ans, a, x: mul(t, P.igamma_grad_a_p.bind(a, x)),
                   lambda t, ans, a, x: mul(t, _gamma_density(a, x)))
defjvp_elementwise(P.igammac_p, lambda t, ans, a, x: neg(mul(t, P.igamma_grad_a_p.bind(a, x))),
                   lambda t, ans, a, x: neg(mul(t, _gamma_density(a, x))))
# d/dx dP/da = d/da dP/dx = density * (log x - digamma(a))
defjvp_elementwise(P.igamma_grad_a_p,
                   lambda t, ans, a, x: _not_differentiable("igamma_grad_a", "a"),
                   lambda t, ans, a, x: mul(t, mul(_gamma_density(a, x),
                                                   sub(P.log_p.bind(x), P.digamma_p.bind(a)))))
defjvp_elementwise(P.zeta_p, lambda t, ans, x, q: _not_differentiable("zeta", "x"),
                   lambda t, ans, x, q: mul(t, mul(neg(x), P.zeta_p.bind(add(x, const(x, 1)),
                                                                          q))))


def _betainc_dx(t: Any, ans: Any, a: Any, b: Any, x: Any) -> Any:
    """x^(a-1) (1-x)^(b-1) / B(a, b), in logs."""
    lbeta = sub(add(P.lgamma_p.bind(a), P.lgamma_p.bind(b)), P.lgamma_p.bind(add(a, b)))
    log_density = sub(add(mul(sub(b, const(b, 1)), P.log1p_p.bind(neg(x))),
                          mul(sub(a, const(a, 1)), P.log_p.bind(x))), lbeta)
    return mul(t, P.exp_p.bind(log_density))


defjvp_elementwise(P.regularized_incomplete_beta_p,
                   lambda t, ans, a, b, x: _not_differentiable("betainc", "a"),
                   lambda t, ans, a, b, x: _not_differentiable("betainc", "b"),
                   _betainc_dx)

defjvp_elementwise(P.bessel_i0e_p, lambda t, ans, x: mul(
    t, sub(P.bessel_i1e_p.bind(x), mul(P.sign_p.bind(x), ans))))


def _bessel_i1e_dx(t: Any, ans: Any, x: Any) -> Any:
    """i0e(x) - i1e(x) (sign(x) + 1/x), which tends to 1/2 at 0, where it is taken."""
    eps = float(dtypes.finfo(aval(x).dtype).eps)
    tiny = P.le_p.bind(P.abs_p.bind(x), const(x, eps))
    safe_x = select(tiny, x, const(x, eps))
    slope = sub(P.bessel_i0e_p.bind(safe_x),
                mul(ans, add(P.sign_p.bind(safe_x), div(const(x, 1), safe_x))))
    return mul(t, select(tiny, slope, const(x, 0.5)))


defjvp_elementwise(P.bessel_i1e_p, _bessel_i1e_dx)
