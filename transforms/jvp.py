"""Forward mode: the JVP interpreter and one JVP rule per primitive.

A `JVPTracer` carries a primal and its tangent. The tangent may be a
symbolic `Zero`; values whose tangent is zero are never wrapped at all: a
`JVPTrace` returns plain primal values for them, so ``if x > 0:`` works in an
eager ``grad`` and untouched constants cost nothing. Rules run under the
parent trace, so a rule's own operations are seen (and transformed) by the
enclosing transformations; that is all higher-order differentiation needs.

Rule signature (`JVPRule`): ``rule(primals, tangents, **params) ->
(primals_out, tangents_out)``, a single value each for single-result
primitives and lists for multiple-result ones. Tangents of integer and boolean
values are always `Zero`; non-differentiable primitives (comparisons, argmax,
floor, integer ops) give zero tangents, like JAX.

Invariant: a tangent has its primal's shape and dtype; tangent rules are
linear in the tangents (reverse mode relies on it).
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import numpy as np

from funcgrad import core, dtypes
from funcgrad import primitives as P
from funcgrad.config import LRUCache
from funcgrad.core import Primitive, ShapedArray, Trace, Tracer
from funcgrad.errors import UnsupportedError
from funcgrad.ir import Program
from funcgrad.transforms.ad_util import (Zero, add_tangents, aval, broadcast_to, cached, convert,
                                differentiable, instantiate, no_tracers, scalar, tangent_aval)
from funcgrad.transforms.staging import eval_program, hoist_consts, trace_to_program


class JVPRule(Protocol):
    def __call__(self, primals: Sequence[Any], tangents: Sequence[Any],
                 **params: Any) -> tuple[Any, Any]: ...


jvp_rules: dict[Primitive, JVPRule] = {}


class JVPTracer(Tracer):
    __slots__ = ("primal", "tangent")

    def __init__(self, trace: JVPTrace, primal: Any, tangent: Any):
        self._trace = trace
        self.primal = primal
        self.tangent = tangent

    @property
    def aval(self) -> ShapedArray:
        return core.get_aval(self.primal)

    def concrete_value(self) -> Any:
        p = self.primal
        if isinstance(p, Tracer):
            return p.concrete_value()
        return p if hasattr(p, "_buf") else np.asarray(p)


class JVPTrace(Trace):
    __slots__ = ()
    kind = "jvp"

    def lift(self, x: Any) -> tuple[Any, Any]:
        if type(x) is JVPTracer and self.is_own(x):
            return x.primal, x.tangent
        self.is_own(x)   # raises for a finished trace's tracer
        return x, None

    def process_primitive(self, prim: Primitive, args: Sequence[Any],
                          params: dict[str, Any]) -> list[Any]:
        primals: list[Any] = []
        tangents: list[Any] = []
        nonzero = False
        for x in args:
            p, t = self.lift(x)
            primals.append(p)
            tangents.append(t)
            nonzero = nonzero or (t is not None and type(t) is not Zero)
        with core.set_trace(self.parent):
            if not nonzero:
                out = prim.bind(*primals, **params)
                return out if prim.multiple_results else [out]
            tangents = [Zero(tangent_aval(core.get_aval(p))) if t is None else t
                        for p, t in zip(primals, tangents, strict=True)]
            rule = jvp_rules.get(prim)
            if rule is None:
                raise UnsupportedError(
                    f"differentiation rule for primitive '{prim.name}' is not implemented: "
                    "funcgrad cannot differentiate through it. Wrap the computation in "
                    "fg.stop_gradient, or give it a rule with fg.custom_jvp.")
            p_out, t_out = rule(primals, tangents, **params)
        if not prim.multiple_results:
            p_out, t_out = [p_out], [t_out]
        return [self.pack(p, t) for p, t in zip(p_out, t_out, strict=True)]

    def pack(self, primal: Any, tangent: Any) -> Any:
        if tangent is None or type(tangent) is Zero or not differentiable(core.get_aval(primal)):
            return primal
        return JVPTracer(self, primal, tangent)


def jvp_call(fun: Callable[..., Sequence[Any]], primals: Sequence[Any],
             tangents: Sequence[Any]) -> tuple[list[Any], list[Any]]:
    """Run `fun` (flat lists in and out) forward-mode; tangents may be `Zero`.
    Returns output primals and tangents (`Zero` where nothing flowed)."""
    trace = JVPTrace(core.current_trace())
    with core.new_trace(trace):
        ins = [trace.pack(p, t) for p, t in zip(primals, tangents, strict=True)]
        outs = fun(*ins)
    p_out, t_out = [], []
    for o in outs:
        if type(o) is JVPTracer and trace.is_own(o):
            p_out.append(o.primal)
            t_out.append(o.tangent)
        else:
            p_out.append(o)
            t_out.append(Zero(tangent_aval(core.get_aval(o))))
    return p_out, t_out


# ---------------------------------------------------------------------------
# helpers: operations on primals/tangents, bound under the current trace


def _c(x: Any, value: float) -> Any:
    return scalar(value, aval(x).dtype)


def _mul(x: Any, y: Any) -> Any:
    return P.mul_p.bind(x, y)


def _div(x: Any, y: Any) -> Any:
    return P.div_p.bind(x, y)


def _add(x: Any, y: Any) -> Any:
    return P.add_p.bind(x, y)


def _sub(x: Any, y: Any) -> Any:
    return P.sub_p.bind(x, y)


def _neg(x: Any) -> Any:
    return P.neg_p.bind(x)


def _select(pred: Any, on_false: Any, on_true: Any) -> Any:
    return P.select_n_p.bind(pred, on_false, on_true)


def _sq(x: Any) -> Any:
    return P.mul_p.bind(x, x)


def _zero_jvp(prim: Primitive) -> JVPRule:
    """For primitives whose outputs are piecewise constant or not differentiable."""
    def rule(primals: Sequence[Any], tangents: Sequence[Any], **params: Any) -> tuple[Any, Any]:
        out = prim.bind(*primals, **params)
        if prim.multiple_results:
            return out, [Zero(tangent_aval(aval(o))) for o in out]
        return out, Zero(tangent_aval(aval(out)))
    return rule


Deriv = Callable[..., Any]   # (t, ans, *primals) -> the tangent contribution of one operand


def defjvp_elementwise(prim: Primitive, *derivs: Deriv | None) -> None:
    """An elementwise primitive's JVP from one function per operand: the sum of
    ``deriv(t, ans, *primals)`` over operands with a nonzero tangent, broadcast
    to the output. A ``None`` deriv marks an operand with no tangent path."""
    def rule(primals: Sequence[Any], tangents: Sequence[Any], **params: Any) -> tuple[Any, Any]:
        ans = prim.bind(*primals, **params)
        out_aval = aval(ans)
        t_out: Any = Zero(tangent_aval(out_aval))
        if not differentiable(out_aval):
            return ans, t_out
        for deriv, t in zip(derivs, tangents, strict=True):
            if deriv is None or type(t) is Zero:
                continue
            t_out = add_tangents(t_out, deriv(t, ans, *primals))
        return ans, broadcast_to(t_out, out_aval.shape)
    jvp_rules[prim] = rule


def deflinear(prim: Primitive) -> None:
    """A primitive linear in its one array operand: the tangent is the same op."""
    def rule(primals: Sequence[Any], tangents: Sequence[Any], **params: Any) -> tuple[Any, Any]:
        (t,) = tangents
        return prim.bind(*primals, **params), prim.bind(t, **params)
    jvp_rules[prim] = rule


# ---------------------------------------------------------------------------
# elementwise

for _p in (P.sign_p, P.floor_p, P.ceil_p, P.round_p, P.is_finite_p, P.not_p,
           P.population_count_p, P.nextafter_p, P.and_p, P.or_p, P.xor_p, P.shift_left_p,
           P.shift_right_arithmetic_p, P.shift_right_logical_p, *P.COMPARISONS,
           P.argmax_p, P.argmin_p, P.reduce_and_p, P.reduce_or_p, P.iota_p):
    jvp_rules[_p] = _zero_jvp(_p)

deflinear(P.neg_p)
deflinear(P.real_p)
deflinear(P.imag_p)
deflinear(P.conj_p)

defjvp_elementwise(P.exp_p, lambda t, ans, x: _mul(t, ans))
defjvp_elementwise(P.exp2_p, lambda t, ans, x: _mul(t, _mul(ans, _c(ans, math.log(2)))))
defjvp_elementwise(P.log_p, lambda t, ans, x: _div(t, x))
defjvp_elementwise(P.expm1_p, lambda t, ans, x: _mul(t, _add(ans, _c(ans, 1))))
defjvp_elementwise(P.log1p_p, lambda t, ans, x: _div(t, _add(x, _c(x, 1))))
defjvp_elementwise(P.sin_p, lambda t, ans, x: _mul(t, P.cos_p.bind(x)))
defjvp_elementwise(P.cos_p, lambda t, ans, x: _neg(_mul(t, P.sin_p.bind(x))))
defjvp_elementwise(P.tan_p, lambda t, ans, x: _mul(t, _add(_c(ans, 1), _sq(ans))))
defjvp_elementwise(P.asin_p, lambda t, ans, x: _mul(t, P.rsqrt_p.bind(_sub(_c(x, 1), _sq(x)))))
defjvp_elementwise(P.acos_p,
                   lambda t, ans, x: _neg(_mul(t, P.rsqrt_p.bind(_sub(_c(x, 1), _sq(x))))))
defjvp_elementwise(P.atan_p, lambda t, ans, x: _div(t, _add(_c(x, 1), _sq(x))))
defjvp_elementwise(P.sinh_p, lambda t, ans, x: _mul(t, P.cosh_p.bind(x)))
defjvp_elementwise(P.cosh_p, lambda t, ans, x: _mul(t, P.sinh_p.bind(x)))
defjvp_elementwise(P.tanh_p, lambda t, ans, x: _mul(t, _sub(_c(ans, 1), _sq(ans))))
defjvp_elementwise(P.asinh_p, lambda t, ans, x: _mul(t, P.rsqrt_p.bind(_add(_sq(x), _c(x, 1)))))
# 1 / (sqrt(x - 1) sqrt(x + 1)), not 1 / sqrt(x**2 - 1): for complex x the two roots
# differ in sign on the left half-plane, and only the product of roots is acosh's
# derivative there (for real x > 1 they agree, and the split form does not overflow).
defjvp_elementwise(P.acosh_p, lambda t, ans, x: _mul(
    t, _mul(P.rsqrt_p.bind(_sub(x, _c(x, 1))), P.rsqrt_p.bind(_add(x, _c(x, 1))))))
defjvp_elementwise(P.atanh_p, lambda t, ans, x: _div(t, _sub(_c(x, 1), _sq(x))))
defjvp_elementwise(P.logistic_p,
                   lambda t, ans, x: _mul(t, _mul(ans, _sub(_c(ans, 1), ans))))
defjvp_elementwise(P.sqrt_p, lambda t, ans, x: _div(t, _mul(_c(ans, 2), ans)))
defjvp_elementwise(P.rsqrt_p, lambda t, ans, x: _mul(t, _mul(_c(x, -0.5), _div(ans, x))))
defjvp_elementwise(P.cbrt_p, lambda t, ans, x: _mul(
    t, _mul(_c(x, 1 / 3), P.integer_pow_p.bind(ans, y=-2))))
defjvp_elementwise(P.erf_p, lambda t, ans, x: _mul(
    t, _mul(_c(x, 2 / math.sqrt(math.pi)), P.exp_p.bind(_neg(_sq(x))))))
defjvp_elementwise(P.erfc_p, lambda t, ans, x: _mul(
    t, _mul(_c(x, -2 / math.sqrt(math.pi)), P.exp_p.bind(_neg(_sq(x))))))
defjvp_elementwise(P.erf_inv_p, lambda t, ans, x: _mul(
    t, _mul(_c(x, math.sqrt(math.pi) / 2), P.exp_p.bind(_sq(ans)))))
defjvp_elementwise(P.lgamma_p, lambda t, ans, x: _mul(t, P.digamma_p.bind(x)))


def _abs_deriv(t: Any, ans: Any, x: Any) -> Any:
    """sign(x) * t. At the kink x = 0 the derivative is a convention: 0, the midpoint
    of the one-sided slopes -1 and 1 (what central differences see, and autograd's
    choice; JAX takes 1). The second derivative is 0 everywhere, 0 included."""
    if not dtypes.is_complex(aval(x).dtype):
        return _mul(t, P.sign_p.bind(x))
    # d|z| = Re(conj(z) dz) / |z|, taken as 0 at z = 0
    zero = P.eq_p.bind(ans, _c(ans, 0))
    safe = _select(zero, ans, _c(ans, 1))
    num = P.real_p.bind(_mul(P.conj_p.bind(x), t))
    return _select(zero, _div(num, safe), _c(ans, 0))


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
        t = _neg(ty)
    else:
        t = _sub(tx, ty)
    return ans, broadcast_to(t, aval(ans).shape)


jvp_rules[P.add_p] = _add_jvp
jvp_rules[P.sub_p] = _sub_jvp
defjvp_elementwise(P.mul_p, lambda t, ans, x, y: _mul(t, y), lambda t, ans, x, y: _mul(x, t))
defjvp_elementwise(P.div_p, lambda t, ans, x, y: _div(t, y),
                   lambda t, ans, x, y: _mul(_neg(t), _div(ans, y)))


def _trunc(x: Any) -> Any:
    return _mul(P.sign_p.bind(x), P.floor_p.bind(P.abs_p.bind(x)))


defjvp_elementwise(P.rem_p, lambda t, ans, x, y: t,
                   lambda t, ans, x, y: _mul(_neg(t), _trunc(_div(x, y))))


def _pow_dx(t: Any, ans: Any, x: Any, y: Any) -> Any:
    # y * x ** (y - 1), taken as 0 at x = y = 0 (where it would be 0 * inf)
    both_zero = P.and_p.bind(P.eq_p.bind(y, _c(y, 0)), P.eq_p.bind(x, _c(x, 0)))
    safe_y = _select(both_zero, y, _c(y, 1))
    jac = _select(both_zero, _mul(safe_y, P.pow_p.bind(x, _sub(safe_y, _c(y, 1)))), _c(y, 0))
    return _mul(t, jac)


def _pow_dy(t: Any, ans: Any, x: Any, y: Any) -> Any:
    safe_x = _select(P.eq_p.bind(x, _c(x, 0)), x, _c(x, 1))
    return _mul(t, _mul(P.log_p.bind(safe_x), ans))


defjvp_elementwise(P.pow_p, _pow_dx, _pow_dy)


def _balanced(x: Any, ans: Any, y: Any) -> Any:
    """1 where x alone attains the max/min, 1/2 where x and y tie, else 0 (like JAX).

    At a tie the derivative is a convention: the mean of the one-sided ones, which
    is what central differences see; the second derivative there is 0."""
    x_wins = P.eq_p.bind(x, ans)
    tie = _select(P.eq_p.bind(y, ans), _c(ans, 1), _c(ans, 0.5))
    return _select(x_wins, _c(ans, 0), tie)


defjvp_elementwise(P.max_p, lambda t, ans, x, y: _mul(t, _balanced(x, ans, y)),
                   lambda t, ans, x, y: _mul(t, _balanced(y, ans, x)))
defjvp_elementwise(P.min_p, lambda t, ans, x, y: _mul(t, _balanced(x, ans, y)),
                   lambda t, ans, x, y: _mul(t, _balanced(y, ans, x)))
defjvp_elementwise(P.atan2_p, lambda t, ans, x, y: _mul(t, _div(y, _add(_sq(x), _sq(y)))),
                   lambda t, ans, x, y: _mul(t, _div(_neg(x), _add(_sq(x), _sq(y)))))


def _integer_pow_jvp(primals: Sequence[Any], tangents: Sequence[Any], *,
                     y: int) -> tuple[Any, Any]:
    (x,), (t,) = primals, tangents
    ans = P.integer_pow_p.bind(x, y=y)
    if y == 0:
        return ans, Zero(tangent_aval(aval(ans)))
    if y == 1:
        return ans, t
    d = P.integer_pow_p.bind(x, y=y - 1) if y != 2 else x
    return ans, _mul(t, _mul(_c(x, y), d))


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
    ts = [scalar(0, aval(ans).dtype) if type(t) is Zero else t for t in case_ts]
    return ans, broadcast_to(P.select_n_p.bind(which, *ts), aval(ans).shape)


jvp_rules[P.select_n_p] = _select_n_jvp


def _convert_jvp(primals: Sequence[Any], tangents: Sequence[Any], *, new_dtype: Any,
                 weak_type: bool) -> tuple[Any, Any]:
    (x,), (t,) = primals, tangents
    ans = P.convert_element_type_p.bind(x, new_dtype=new_dtype, weak_type=weak_type)
    if type(t) is Zero or not differentiable(aval(x)) or not differentiable(aval(ans)):
        return ans, Zero(tangent_aval(aval(ans)))
    return ans, convert(t, aval(ans).dtype)


jvp_rules[P.convert_element_type_p] = _convert_jvp


# ---------------------------------------------------------------------------
# shapes

for _p in (P.broadcast_in_dim_p, P.reshape_p, P.transpose_p, P.squeeze_p, P.expand_dims_p,
           P.rev_p, P.slice_p, P.reduce_sum_p, P.cumsum_p):
    deflinear(_p)


def _dynamic_slice_jvp(primals: Sequence[Any], tangents: Sequence[Any], *,
                       slice_sizes: tuple[int, ...]) -> tuple[Any, Any]:
    x, *idx = primals
    ans = P.dynamic_slice_p.bind(x, *idx, slice_sizes=slice_sizes)
    t = tangents[0]
    if type(t) is Zero:
        return ans, Zero(tangent_aval(aval(ans)))
    return ans, P.dynamic_slice_p.bind(t, *idx, slice_sizes=slice_sizes)


def _dynamic_update_slice_jvp(primals: Sequence[Any], tangents: Sequence[Any]) -> tuple[Any, Any]:
    x, u, *idx = primals
    ans = P.dynamic_update_slice_p.bind(x, u, *idx)
    tx, tu = tangents[:2]
    if type(tx) is Zero and type(tu) is Zero:
        return ans, Zero(tangent_aval(aval(ans)))
    return ans, P.dynamic_update_slice_p.bind(instantiate(tx), convert(instantiate(tu),
                                                                       aval(ans).dtype), *idx)


def _concatenate_jvp(primals: Sequence[Any], tangents: Sequence[Any], *,
                     dimension: int) -> tuple[Any, Any]:
    ans = P.concatenate_p.bind(*primals, dimension=dimension)
    return ans, P.concatenate_p.bind(*(instantiate(t) for t in tangents), dimension=dimension)


def _pad_jvp(primals: Sequence[Any], tangents: Sequence[Any], *,
             padding_config: tuple[tuple[int, int, int], ...]) -> tuple[Any, Any]:
    ans = P.pad_p.bind(*primals, padding_config=padding_config)
    tx, tv = tangents
    tv = scalar(0, aval(ans).dtype) if type(tv) is Zero else tv
    return ans, P.pad_p.bind(instantiate(tx), tv, padding_config=padding_config)


jvp_rules[P.dynamic_slice_p] = _dynamic_slice_jvp
jvp_rules[P.dynamic_update_slice_p] = _dynamic_update_slice_jvp
jvp_rules[P.concatenate_p] = _concatenate_jvp
jvp_rules[P.pad_p] = _pad_jvp


# ---------------------------------------------------------------------------
# reductions and scans


def _reduce_chooser_jvp(prim: Primitive) -> JVPRule:
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
        counts = P.max_p.bind(P.reduce_sum_p.bind(ind, axes=axes), _c(ind, 1))
        return ans, _div(P.reduce_sum_p.bind(_mul(t, ind), axes=axes), counts)
    return rule


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
            y = P.pad_p.bind(y, scalar(1, xa.dtype), padding_config=cfg)
            n += 1
        half = n // 2
        lo = P.slice_p.bind(y, start_indices=(0,) * (nk + 1), limit_indices=(*keep, n),
                            strides=(1,) * nk + (2,))
        hi = P.slice_p.bind(y, start_indices=(0,) * nk + (1,), limit_indices=(*keep, n),
                            strides=(1,) * nk + (2,))
        y = _mul(lo, hi)
        n = half
    if n == 0:   # an empty product: ones, with a zero tangent
        return P.broadcast_in_dim_p.bind(scalar(1, xa.dtype), shape=keep,
                                         broadcast_dimensions=())
    return P.reshape_p.bind(y, new_sizes=keep)


def _scan_composite(op: Primitive, identity: Any) -> Callable[..., Any]:
    """An inclusive prefix scan along `axis` in log2(n) shifted combine steps."""
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
            x = op.bind(x, P.pad_p.bind(kept, scalar(identity, xa.dtype), padding_config=cfg))
            shift *= 2
        if reverse:
            x = P.rev_p.bind(x, dimensions=(axis,))
        return x
    return scan


def _composite_jvp(composite: Callable[..., Any]) -> JVPRule:
    """The JVP of a primitive taken through an equivalent composition of
    differentiable primitives (used where a closed form misbehaves at zeros or ties)."""
    def rule(primals: Sequence[Any], tangents: Sequence[Any], **params: Any) -> tuple[Any, Any]:
        if not differentiable(aval(primals[0])):
            raise TypeError("unreachable: integer inputs carry no tangent")
        (p,), (t,) = jvp_call(lambda x: [composite(x, **params)], primals, tangents)
        return p, t
    return rule


jvp_rules[P.reduce_prod_p] = _composite_jvp(_reduce_prod_tree)
jvp_rules[P.cumprod_p] = _composite_jvp(_scan_composite(P.mul_p, 1))
jvp_rules[P.cummax_p] = _composite_jvp(_scan_composite(P.max_p, -math.inf))
jvp_rules[P.cummin_p] = _composite_jvp(_scan_composite(P.min_p, math.inf))


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


# ---------------------------------------------------------------------------
# special functions and the gradient barrier

defjvp_elementwise(P.digamma_p,
                   lambda t, ans, x: _mul(t, P.polygamma_p.bind(_c(x, 1), x)))
# NB: like JAX, polygamma is differentiable in x only (n is an integer order).
defjvp_elementwise(P.polygamma_p, None,
                   lambda t, ans, n, x: _mul(t, P.polygamma_p.bind(_add(n, _c(n, 1)), x)))
jvp_rules[P.stop_gradient_p] = _zero_jvp(P.stop_gradient_p)


# ---------------------------------------------------------------------------
# call primitives: differentiate the Program, stay one call

_jvp_cache = LRUCache("jvp programs")


def jvp_program(program: Program, nonzeros: Sequence[bool],
                instantiate_out: Sequence[bool] | None = None
                ) -> tuple[Program, list[Any], list[bool]]:
    """The JVP of a const-free Program as a Program.

    It takes (consts, primals, the tangents marked in `nonzeros`) and returns
    (primals out, the tangents out that are not symbolically zero); the third
    result marks those. Differentiable output tangents marked in
    `instantiate_out` are made nonzero (loop carries need a fixed layout).
    """
    nonzeros = tuple(nonzeros)
    inst = None if instantiate_out is None else tuple(instantiate_out)

    def build() -> tuple[Any, bool]:
        n = len(program.invars)
        avals = [v.aval for v in program.invars]
        avals += [tangent_aval(a) for a, nz in zip(avals, nonzeros, strict=True) if nz]
        box: list[list[bool]] = []

        def fun(*args: Any) -> list[Any]:
            it = iter(args[n:])
            tangents = [next(it) if nz else Zero(tangent_aval(v.aval))
                        for v, nz in zip(program.invars, nonzeros, strict=True)]
            p_out, t_out = jvp_call(lambda *xs: eval_program(program, xs), args[:n], tangents)
            if inst is not None:
                t_out = [instantiate(t) if i and differentiable(core.get_aval(p)) else t
                         for p, t, i in zip(p_out, t_out, inst, strict=True)]
            out_nz = [type(t) is not Zero for t in t_out]
            box.append(out_nz)
            return [*p_out, *(t for t in t_out if type(t) is not Zero)]

        prog, consts = trace_to_program(fun, avals, name=f"jvp_{program.name}", kind="jvp")
        return (hoist_consts(prog), consts, box[0]), no_tracers(consts)

    return cached(_jvp_cache, (program, nonzeros, inst), build)


def call_jvp(prim: Primitive) -> JVPRule:
    """JVP rule of a call primitive whose Program is its `program` param."""
    def rule(primals: Sequence[Any], tangents: Sequence[Any], **params: Any) -> tuple[Any, Any]:
        program: Program = params["program"]
        nonzeros = [type(t) is not Zero for t in tangents]
        jprog, consts, out_nz = jvp_program(program, nonzeros)
        outs = prim.bind(*consts, *primals, *(t for t in tangents if type(t) is not Zero),
                         **{**params, "program": jprog, "name": f"jvp_{params['name']}"})
        n = len(program.outvars)
        it = iter(outs[n:])
        t_out = [next(it) if nz else Zero(tangent_aval(a))
                 for a, nz in zip(program.out_avals, out_nz, strict=True)]
        return outs[:n], t_out
    return rule


jvp_rules[P.jit_p] = call_jvp(P.jit_p)
jvp_rules[P.checkpoint_p] = call_jvp(P.checkpoint_p)


# ---------------------------------------------------------------------------
# user-defined rules (funcgrad.custom_rules)


def _closure_check(tangents: Sequence[Any], num_consts: int, what: str) -> None:
    if any(type(t) is not Zero for t in tangents[:num_consts]):
        raise UnsupportedError(
            f"a {what} function closes over a value that is being differentiated; its rule "
            "cannot account for it. Pass that value as an argument of the function instead.")


def _custom_jvp_call_jvp(primals: Sequence[Any], tangents: Sequence[Any], *, call: Program,
                         jvp: Callable[..., Any], num_consts: int) -> tuple[Any, Any]:
    """Run the user's rule (under the parent trace, so it is itself differentiable)."""
    _closure_check(tangents, num_consts, "custom_jvp")
    ts = [instantiate(t) for t in tangents[num_consts:]]
    return jvp(list(primals[num_consts:]), ts)


def _custom_vjp_call_jvp(primals: Sequence[Any], tangents: Sequence[Any], *, call: Program,
                         fwd: Callable[..., Any], num_consts: int) -> tuple[Any, Any]:
    """Run `fwd` now; the tangents go through `custom_lin`, which only reverse mode
    can use (its transpose calls `bwd` with the residuals)."""
    _closure_check(tangents, num_consts, "custom_vjp")
    outs, res, bwd = fwd(list(primals[num_consts:]))
    ts = [instantiate(t) for t in tangents[num_consts:]]
    out_avals = tuple(tangent_aval(aval(o)) for o in outs)
    t_out = P.custom_lin_p.bind(*res, *ts, num_res=len(res), bwd=bwd, out_avals=out_avals)
    return outs, t_out


jvp_rules[P.custom_jvp_call_p] = _custom_jvp_call_jvp
jvp_rules[P.custom_vjp_call_p] = _custom_vjp_call_jvp
