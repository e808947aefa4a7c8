"""JVP rules of reductions, cumulative ops and the contraction `dot_general`."""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from funcgrad import primitives as P
from funcgrad.core import Primitive
from funcgrad.transforms.jvp.interpreter import JVPRule, deflinear, jvp_call, jvp_rules, zero_jvp
from funcgrad.transforms.programs import (Zero, add_tangents, aval, const, differentiable, div, mul,
                                          named, tangent_aval, weak_scalar)


deflinear(P.reduce_sum_p)
deflinear(P.cumsum_p)
jvp_rules[P.argmax_p] = zero_jvp(P.argmax_p)
jvp_rules[P.argmin_p] = zero_jvp(P.argmin_p)
jvp_rules[P.reduce_and_p] = zero_jvp(P.reduce_and_p)
jvp_rules[P.reduce_or_p] = zero_jvp(P.reduce_or_p)
jvp_rules[P.reduce_xor_p] = zero_jvp(P.reduce_xor_p)


def _reduce_chooser_jvp(prim: Primitive) -> Callable[..., tuple[Any, Any]]:
    """max/min: the tangent averaged over the positions that attain the extremum."""
    def rule(primals: Sequence[Any], tangents: Sequence[Any], *,
             axes: tuple[int, ...]) -> tuple[Any, Any]:
        (x,), (t,) = primals, tangents
        ans = prim.bind(x, axes=axes)
        xa = aval(x)
        if not differentiable(xa):
            return ans, Zero(tangent_aval(aval(ans)))
        kept = tuple(i for i in range(xa.ndim) if i not in axes)
        where = P.eq_p.bind(x, P.broadcast_in_dim_p.bind(ans, shape=xa.shape,
                                                         broadcast_dimensions=kept))
        ind = P.convert_element_type_p.bind(where, new_dtype=xa.dtype, weak_type=False)
        # at least 1, so an empty reduction has a zero (not NaN) tangent
        counts = P.max_p.bind(P.reduce_sum_p.bind(ind, axes=axes), const(ind, 1))
        return ans, div(P.reduce_sum_p.bind(mul(t, ind), axes=axes), counts)
    return named(rule, f"_{prim.name}_jvp")


jvp_rules[P.reduce_max_p] = _reduce_chooser_jvp(P.reduce_max_p)
jvp_rules[P.reduce_min_p] = _reduce_chooser_jvp(P.reduce_min_p)


def _move_axes_last(x: Any, axes: Sequence[int]) -> Any:
    nd = aval(x).ndim
    perm = tuple(i for i in range(nd) if i not in axes) + tuple(axes)
    return x if perm == tuple(range(nd)) else P.transpose_p.bind(x, permutation=perm)


def _reduce_prod_tree(x: Any, axes: tuple[int, ...]) -> Any:
    """The product over `axes` as a balanced tree of multiplications (of the
    flattened reduced axes): differentiable exactly, zeros included."""
    xa = aval(x)
    keep = tuple(d for i, d in enumerate(xa.shape) if i not in axes)
    n = math.prod(xa.shape[i] for i in axes)
    y = P.reshape_p.bind(_move_axes_last(x, axes), new_sizes=(*keep, n))
    nk = len(keep)
    while n > 1:
        if n % 2:
            cfg = ((0, 0, 0),) * nk + ((0, 1, 0),)
            y = P.pad_p.bind(y, weak_scalar(1, xa.dtype), padding_config=cfg)
            n += 1
        half = n // 2
        lo = P.slice_p.bind(y, start_indices=(0,) * (nk + 1), limit_indices=(*keep, n),
                            strides=(1,) * nk + (2,))
        hi = P.slice_p.bind(y, start_indices=(0,) * nk + (1,), limit_indices=(*keep, n),
                            strides=(1,) * nk + (2,))
        y = mul(lo, hi)
        n = half
    if n == 0:   # an empty product: ones, with a zero tangent
        return P.broadcast_in_dim_p.bind(weak_scalar(1, xa.dtype), shape=keep,
                                         broadcast_dimensions=())
    return P.reshape_p.bind(y, new_sizes=keep)


def scan_composite(combine: Callable[[Any, Any], Any], identity: Any) -> Callable[..., Any]:
    """An inclusive prefix scan along `axis` in log2(n) shifted combine steps (the
    operand shifted by 1, 2, 4, ..., padded with `identity`)."""
    def scan(x: Any, *, axis: int, reverse: bool) -> Any:
        xa = aval(x)
        n = xa.shape[axis]
        nd = xa.ndim
        if reverse:
            x = P.rev_p.bind(x, dimensions=(axis,))
        shift = 1
        while shift < n:
            limits = tuple(n - shift if i == axis else d for i, d in enumerate(xa.shape))
            kept = P.slice_p.bind(x, start_indices=(0,) * nd, limit_indices=limits,
                                  strides=(1,) * nd)
            cfg = tuple((shift, 0, 0) if i == axis else (0, 0, 0) for i in range(nd))
            x = combine(x, P.pad_p.bind(kept, weak_scalar(identity, xa.dtype),
                                        padding_config=cfg))
            shift *= 2
        if reverse:
            x = P.rev_p.bind(x, dimensions=(axis,))
        return x
    return scan


def _composite_jvp(prim: Primitive, composite: Callable[..., Any]) -> JVPRule:
    """The JVP of a primitive taken through an equivalent composition of
    differentiable primitives (used where a closed form misbehaves at zeros or ties)."""
    def rule(primals: Sequence[Any], tangents: Sequence[Any], **params: Any) -> tuple[Any, Any]:
        if not differentiable(aval(primals[0])):
            raise TypeError("unreachable: integer inputs carry no tangent")
        (p,), (t,) = jvp_call(lambda x: [composite(x, **params)], primals, tangents)
        return p, t
    return named(rule, f"_{prim.name}_jvp")


jvp_rules[P.reduce_prod_p] = _composite_jvp(P.reduce_prod_p, _reduce_prod_tree)
jvp_rules[P.cumprod_p] = _composite_jvp(P.cumprod_p, scan_composite(P.mul_p.bind, 1))
jvp_rules[P.cummax_p] = _composite_jvp(P.cummax_p, scan_composite(P.max_p.bind, -math.inf))
jvp_rules[P.cummin_p] = _composite_jvp(P.cummin_p, scan_composite(P.min_p.bind, math.inf))


# ---------------------------------------------------------------------------
# contraction


def _dot_general_jvp(primals: Sequence[Any], tangents: Sequence[Any], *,
                     dimension_numbers: P.DotDims) -> tuple[Any, Any]:
    (lhs, rhs), (tl, tr) = primals, tangents
    ans = P.dot_general_p.bind(lhs, rhs, dimension_numbers=dimension_numbers)
    t: Any = Zero(tangent_aval(aval(ans)))
    if type(tl) is not Zero:
        t = P.dot_general_p.bind(tl, rhs, dimension_numbers=dimension_numbers)
    if type(tr) is not Zero:
        t = add_tangents(t, P.dot_general_p.bind(lhs, tr, dimension_numbers=dimension_numbers))
    return ans, t


jvp_rules[P.dot_general_p] = _dot_general_jvp
