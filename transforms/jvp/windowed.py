"""JVP rules of the windowed primitives and reduce_precision.

reduce_window_sum is linear. The tangent of reduce_window_max/min is, per window,
the tangent of the element that wins it: `select_and_gather_add`, linear in the
tangent and constant in the selecting operand, so its own derivative is itself
(twice differentiable, and transposed to select_and_scatter_add). The generic
reduce_window has no rule: its computation is an arbitrary Program. reduce_precision
rounds the tangent as it rounds the primal (JAX's convention). top_k and
approx_top_k gather the tangent at the returned indices; cumlogsumexp's tangent
is that of its logaddexp scan.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from funcgrad import primitives as P
from funcgrad.transforms.jvp.interpreter import NO_RULE, deflinear, jvp_call, jvp_rules
from funcgrad.transforms.jvp.reductions import scan_composite
from funcgrad.transforms.programs import Zero, aval, take_along, tangent_aval, weak_scalar

deflinear(P.reduce_window_sum_p)
deflinear(P.reduce_precision_p)


def _reduce_window_max_jvp(primals: Sequence[Any], tangents: Sequence[Any],
                           **params: Any) -> tuple[Any, Any]:
    (x,), (t,) = primals, tangents
    return (P.reduce_window_max_p.bind(x, **params),
            P.select_and_gather_add_p.bind(t, x, select_prim=P.ge_p, **params))


def _reduce_window_min_jvp(primals: Sequence[Any], tangents: Sequence[Any],
                           **params: Any) -> tuple[Any, Any]:
    (x,), (t,) = primals, tangents
    return (P.reduce_window_min_p.bind(x, **params),
            P.select_and_gather_add_p.bind(t, x, select_prim=P.le_p, **params))


def _select_and_gather_add_jvp(primals: Sequence[Any], tangents: Sequence[Any],
                               **params: Any) -> tuple[Any, Any]:
    (t, x), (t_dot, _) = primals, tangents
    out = P.select_and_gather_add_p.bind(t, x, **params)
    if type(t_dot) is Zero:
        return out, Zero(tangent_aval(aval(out)))
    return out, P.select_and_gather_add_p.bind(t_dot, x, **params)


def _select_and_scatter_add_jvp(primals: Sequence[Any], tangents: Sequence[Any],
                                **params: Any) -> tuple[Any, Any]:
    (source, x), (source_dot, _) = primals, tangents
    out = P.select_and_scatter_add_p.bind(source, x, **params)
    if type(source_dot) is Zero:
        return out, Zero(tangent_aval(aval(out)))
    return out, P.select_and_scatter_add_p.bind(source_dot, x, **params)


def _gather_tangent(t: Any, idx: Any, axis: int) -> Any:
    """`t` at the positions `idx` along `axis` (JAX's rule for top_k)."""
    if type(t) is Zero:
        return Zero(tangent_aval(aval(idx).update(dtype=aval(t).dtype)))
    if aval(idx).size == 0:
        return P.broadcast_in_dim_p.bind(weak_scalar(0, aval(t).dtype), shape=aval(idx).shape,
                                         broadcast_dimensions=())
    return take_along(t, idx, axis)


def _top_k_jvp(primals: Sequence[Any], tangents: Sequence[Any], *, k: int,
               axis: int) -> tuple[list[Any], list[Any]]:
    (x,), (t,) = primals, tangents
    vals, idx = P.top_k_p.bind(x, k=k, axis=axis)
    return [vals, idx], [_gather_tangent(t, idx, axis), Zero(tangent_aval(aval(idx)))]


def _approx_top_k_jvp(primals: Sequence[Any], tangents: Sequence[Any],
                      **params: Any) -> tuple[list[Any], list[Any]]:
    (x,), (t,) = primals, tangents
    vals, idx = P.approx_top_k_p.bind(x, **params)
    return [vals, idx], [_gather_tangent(t, idx, params["reduction_dimension"]),
                         Zero(tangent_aval(aval(idx)))]


def _logaddexp(a: Any, b: Any) -> Any:
    """log(exp(a) + exp(b)) as differentiable primitives; where a - b is NaN (equal
    infinities) the result is max(a, b), and the other branch sees a finite value
    so its derivative stays finite."""
    big = P.max_p.bind(a, b)
    delta = P.sub_p.bind(a, b)
    undefined = P.ne_p.bind(delta, delta)
    safe = P.select_n_p.bind(undefined, delta, P.broadcast_in_dim_p.bind(
        weak_scalar(0, aval(delta).dtype), shape=aval(delta).shape, broadcast_dimensions=()))
    tail = P.log1p_p.bind(P.exp_p.bind(P.neg_p.bind(P.abs_p.bind(safe))))
    return P.select_n_p.bind(undefined, P.add_p.bind(big, tail), big)


# cumlogsumexp as log2(n) levels of logaddexp with the operand shifted by 1, 2, 4, ...
# (padded with -inf, the identity): each tangent is a weighted sum of input tangents
# with weights exp(x_j - out_i) <= 1, so it never overflows
_logaddexp_scan = scan_composite(_logaddexp, -math.inf)


def _cumlogsumexp_jvp(primals: Sequence[Any], tangents: Sequence[Any], *, axis: int,
                      reverse: bool) -> tuple[Any, Any]:
    """The primal is the primitive's own; the tangent is that of the logaddexp scan
    (as JAX differentiates it)."""
    _, (t,) = jvp_call(lambda x: [_logaddexp_scan(x, axis=axis, reverse=reverse)],
                       primals, tangents)
    return P.cumlogsumexp_p.bind(primals[0], axis=axis, reverse=reverse), t


jvp_rules[P.top_k_p] = _top_k_jvp
jvp_rules[P.approx_top_k_p] = _approx_top_k_jvp
jvp_rules[P.cumlogsumexp_p] = _cumlogsumexp_jvp
jvp_rules[P.reduce_window_max_p] = _reduce_window_max_jvp
jvp_rules[P.reduce_window_min_p] = _reduce_window_min_jvp
jvp_rules[P.select_and_gather_add_p] = _select_and_gather_add_jvp
jvp_rules[P.select_and_scatter_add_p] = _select_and_scatter_add_jvp
NO_RULE[P.reduce_window_p] = (
    "as in JAX: a reduce_window with an arbitrary computation is not differentiable; "
    "use lax.add, lax.max or lax.min with their identity as init_value (the "
    "reduce_window_sum/max/min primitives), or fg.custom_jvp")
