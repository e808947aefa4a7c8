"""Transposition of linear Programs; reverse mode is linearize then transpose.

`backward_pass` walks a Program backwards from output cotangents to input
cotangents. Its linear inputs are given as `UndefinedPrimal(aval)`, the others
as values; equations that touch no linear input are evaluated forward first
(checkpoint's recomputation lives there), the rest are transposed with
`transpose_rules`. Everything is bound under the current trace, so the
backward pass is itself differentiable and stageable: grad-of-grad,
jit-of-grad and grad-of-jit compose.

Rule signature (`TransposeRule`): ``rule(ct, *args, **params) -> cts`` with
one entry per operand: the cotangent of a linear (undefined) operand, or None
(no contribution; always None for defined operands). `ct` is a single value
for single-result primitives (never a symbolic zero: such equations are
skipped) and a list, possibly holding `Zero`s, for multiple-result ones.
Cotangents of broadcast operands are summed back with `unbroadcast`.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from funcgrad import primitives as P
from funcgrad.config import LRUCache
from funcgrad.core import Primitive
from funcgrad.errors import UnsupportedError
from funcgrad.ir import Literal, Program, Var, user_value
from funcgrad.transforms.ad_util import (UndefinedPrimal, Zero, add_tangents, aval, cached, convert,
                                instantiate, is_undefined, no_tracers, scalar, tangent_aval,
                                unbroadcast, zeros)
from funcgrad.transforms.staging import hoist_consts, trace_to_program


class TransposeRule(Protocol):
    def __call__(self, ct: Any, *args: Any, **params: Any) -> Sequence[Any | None]: ...


transpose_rules: dict[Primitive, TransposeRule] = {}


def backward_pass(program: Program, args: Sequence[Any], cts_out: Sequence[Any]) -> list[Any]:
    """Cotangents of `program`'s inputs (constvars then invars) given its output
    cotangents. `args` holds values for the non-linear inputs and
    `UndefinedPrimal`s for the linear ones; the result has a cotangent (maybe
    `Zero`) for each linear input and None for the others."""
    inputs = (*program.constvars, *program.invars)
    env: dict[int, Any] = {}
    linear: set[int] = set()
    for v, a in zip(inputs, args, strict=True):
        if is_undefined(a):
            linear.add(id(v))
        else:
            env[id(v)] = a

    def read(a: Any) -> Any:
        return a if type(a) is Literal else env[id(a)]

    def is_linear(a: Any) -> bool:
        return type(a) is Var and id(a) in linear

    lin_eqns = []
    for eqn in program.eqns:
        if any(is_linear(a) for a in eqn.inputs):
            lin_eqns.append(eqn)
            linear.update(id(v) for v in eqn.outvars)
        else:
            outs = eqn.prim.bind(*(read(a) for a in eqn.inputs), **eqn.params)
            if not eqn.prim.multiple_results:
                outs = [outs]
            for v, o in zip(eqn.outvars, outs, strict=True):
                env[id(v)] = o

    ct_env: dict[int, Any] = {}

    def write(a: Any, ct: Any) -> None:
        if ct is None or type(ct) is Zero or not is_linear(a):
            return
        prev = ct_env.get(id(a))
        ct_env[id(a)] = ct if prev is None else add_tangents(prev, ct)

    for v, ct in zip(program.outvars, cts_out, strict=True):
        write(v, ct)
    for eqn in reversed(lin_eqns):
        cts = [ct_env.pop(id(v), None) for v in eqn.outvars]
        if all(c is None for c in cts):
            continue
        rule = transpose_rules.get(eqn.prim)
        if rule is None:
            raise UnsupportedError(
                f"cannot transpose primitive '{eqn.prim.name}': it is not linear in its "
                f"differentiated operands{' (' + eqn.source + ')' if eqn.source else ''}. "
                "Reverse mode and linear_transpose need a function that is linear in the "
                "values being transposed.")
        eargs = [UndefinedPrimal(a.aval) if is_linear(a) else read(a) for a in eqn.inputs]
        if eqn.prim.multiple_results:
            cts_in = rule([Zero(tangent_aval(v.aval)) if c is None else c
                           for v, c in zip(eqn.outvars, cts, strict=True)],
                          *eargs, **eqn.params)
        else:
            cts_in = rule(cts[0], *eargs, **eqn.params)
        for a, ct in zip(eqn.inputs, cts_in, strict=True):
            write(a, ct)
    return [ct_env.get(id(v), Zero(tangent_aval(v.aval))) if id(v) in linear else None
            for v in inputs]


# ---------------------------------------------------------------------------
# rules


def _neg(x: Any) -> Any:
    return P.neg_p.bind(x)


def deflinear_unary(prim: Primitive, transpose: Any) -> None:
    """A unary linear primitive: `transpose(ct, x_aval, **params)` gives x's cotangent."""
    def rule(ct: Any, x: Any, **params: Any) -> list[Any]:
        return [transpose(ct, aval(x), **params)]
    transpose_rules[prim] = rule


def _add_transpose(ct: Any, x: Any, y: Any) -> list[Any]:
    return [unbroadcast(ct, x.aval) if is_undefined(x) else None,
            unbroadcast(ct, y.aval) if is_undefined(y) else None]


def _sub_transpose(ct: Any, x: Any, y: Any) -> list[Any]:
    return [unbroadcast(ct, x.aval) if is_undefined(x) else None,
            unbroadcast(_neg(ct), y.aval) if is_undefined(y) else None]


def _mul_transpose(ct: Any, x: Any, y: Any) -> list[Any]:
    if is_undefined(x) and is_undefined(y):
        raise UnsupportedError("cannot transpose mul of two linear values: the function "
                               "is not linear")
    if is_undefined(x):
        return [unbroadcast(P.mul_p.bind(ct, y), x.aval), None]
    return [None, unbroadcast(P.mul_p.bind(x, ct), y.aval)]


def _div_transpose(ct: Any, x: Any, y: Any) -> list[Any]:
    if is_undefined(y):
        raise UnsupportedError("cannot transpose div with a linear divisor: the function "
                               "is not linear")
    return [unbroadcast(P.div_p.bind(ct, y), x.aval), None]


transpose_rules[P.add_p] = _add_transpose
transpose_rules[P.sub_p] = _sub_transpose
transpose_rules[P.mul_p] = _mul_transpose
transpose_rules[P.div_p] = _div_transpose
deflinear_unary(P.neg_p, lambda ct, a: _neg(ct))
deflinear_unary(P.conj_p, lambda ct, a: P.conj_p.bind(ct))
deflinear_unary(P.real_p, lambda ct, a: P.complex_p.bind(ct, scalar(0, aval(ct).dtype)))
deflinear_unary(P.imag_p, lambda ct, a: P.complex_p.bind(scalar(0, aval(ct).dtype), _neg(ct)))


def _integer_pow_transpose(ct: Any, x: Any, *, y: int) -> list[Any]:
    if y != 1:
        raise UnsupportedError(f"cannot transpose integer_pow with exponent {y}: x ** {y} is "
                               "not linear in x")
    return [ct]


transpose_rules[P.integer_pow_p] = _integer_pow_transpose


def _complex_transpose(ct: Any, re: Any, im: Any) -> list[Any]:
    return [unbroadcast(P.real_p.bind(ct), re.aval) if is_undefined(re) else None,
            unbroadcast(_neg(P.imag_p.bind(ct)), im.aval) if is_undefined(im) else None]


transpose_rules[P.complex_p] = _complex_transpose


def _select_n_transpose(ct: Any, which: Any, *cases: Any) -> list[Any]:
    if is_undefined(which):
        raise UnsupportedError("cannot transpose select_n with respect to its selector")
    zero = scalar(0, aval(ct).dtype)
    out: list[Any] = [None]
    for i, c in enumerate(cases):
        if not is_undefined(c):
            out.append(None)
            continue
        picked = P.select_n_p.bind(which, *(ct if j == i else zero for j in range(len(cases))))
        out.append(unbroadcast(picked, c.aval))
    return out


transpose_rules[P.select_n_p] = _select_n_transpose


def _convert_transpose(ct: Any, a: Any, *, new_dtype: Any, weak_type: bool) -> Any:
    return convert(ct, a.dtype, a.weak_type)


deflinear_unary(P.convert_element_type_p, _convert_transpose)


# -- shapes -------------------------------------------------------------------

def _reduce_sum_transpose(ct: Any, a: Any, *, axes: tuple[int, ...]) -> Any:
    kept = tuple(i for i in range(a.ndim) if i not in axes)
    return P.broadcast_in_dim_p.bind(ct, shape=a.shape, broadcast_dimensions=kept)


def _broadcast_in_dim_transpose(ct: Any, a: Any, *, shape: tuple[int, ...],
                                broadcast_dimensions: tuple[int, ...]) -> Any:
    dims = set(broadcast_dimensions)
    expanded = {b for d, b in zip(a.shape, broadcast_dimensions, strict=True)
                if d == 1 and shape[b] != 1}
    axes = tuple(i for i in range(len(shape)) if i not in dims or i in expanded)
    if axes:
        ct = P.reduce_sum_p.bind(ct, axes=axes)
    if aval(ct).shape != a.shape:
        ct = P.reshape_p.bind(ct, new_sizes=a.shape)
    return ct


def _reshape_back(ct: Any, a: Any, **params: Any) -> Any:
    return P.reshape_p.bind(ct, new_sizes=a.shape)


def _transpose_transpose(ct: Any, a: Any, *, permutation: tuple[int, ...]) -> Any:
    inverse = tuple(sorted(range(len(permutation)), key=lambda i: permutation[i]))
    return P.transpose_p.bind(ct, permutation=inverse)


def _slice_transpose(ct: Any, a: Any, *, start_indices: tuple[int, ...],
                     limit_indices: tuple[int, ...], strides: tuple[int, ...]) -> Any:
    cfg = []
    for lo, d, st, n in zip(start_indices, a.shape, strides, aval(ct).shape, strict=True):
        used = n + max(n - 1, 0) * (st - 1)
        cfg.append((lo, d - lo - used, st - 1))
    return P.pad_p.bind(ct, scalar(0, aval(ct).dtype), padding_config=tuple(cfg))


deflinear_unary(P.reduce_sum_p, _reduce_sum_transpose)
deflinear_unary(P.broadcast_in_dim_p, _broadcast_in_dim_transpose)
deflinear_unary(P.reshape_p, _reshape_back)
deflinear_unary(P.squeeze_p, _reshape_back)
deflinear_unary(P.expand_dims_p, _reshape_back)
deflinear_unary(P.transpose_p, _transpose_transpose)
deflinear_unary(P.rev_p, lambda ct, a, *, dimensions: P.rev_p.bind(ct, dimensions=dimensions))
deflinear_unary(P.slice_p, _slice_transpose)
deflinear_unary(P.cumsum_p, lambda ct, a, *, axis, reverse:
                P.cumsum_p.bind(ct, axis=axis, reverse=not reverse))


def _pad_transpose(ct: Any, x: Any, v: Any, *,
                   padding_config: tuple[tuple[int, int, int], ...]) -> list[Any]:
    cta = aval(ct)
    unpad = tuple((-lo, -hi, 0) for lo, hi, _ in padding_config)
    unpadded = P.pad_p.bind(ct, scalar(0, cta.dtype), padding_config=unpad)
    ua = aval(unpadded)
    ct_x = P.slice_p.bind(unpadded, start_indices=(0,) * ua.ndim, limit_indices=ua.shape,
                          strides=tuple(i + 1 for _, _, i in padding_config))
    ct_v = None
    if is_undefined(v):
        axes = tuple(range(cta.ndim))
        total = P.reduce_sum_p.bind(ct, axes=axes) if axes else ct
        inner = P.reduce_sum_p.bind(ct_x, axes=axes) if axes else ct_x
        ct_v = P.sub_p.bind(total, inner)
    return [ct_x if is_undefined(x) else None, ct_v]


transpose_rules[P.pad_p] = _pad_transpose


def _concatenate_transpose(ct: Any, *xs: Any, dimension: int) -> list[Any]:
    out: list[Any] = []
    start = 0
    shape = aval(ct).shape
    for x in xs:
        n = aval(x).shape[dimension]
        if is_undefined(x):
            starts = tuple(start if i == dimension else 0 for i in range(len(shape)))
            limits = tuple(start + n if i == dimension else d for i, d in enumerate(shape))
            out.append(P.slice_p.bind(ct, start_indices=starts, limit_indices=limits,
                                      strides=(1,) * len(shape)))
        else:
            out.append(None)
        start += n
    return out


transpose_rules[P.concatenate_p] = _concatenate_transpose


def _dynamic_slice_transpose(ct: Any, x: Any, *idx: Any,
                             slice_sizes: tuple[int, ...]) -> list[Any]:
    if any(is_undefined(i) for i in idx):
        raise UnsupportedError("cannot transpose dynamic_slice with respect to its indices")
    return [P.dynamic_update_slice_p.bind(zeros(tangent_aval(x.aval)), ct, *idx),
            *(None for _ in idx)]


def _dynamic_update_slice_transpose(ct: Any, x: Any, u: Any, *idx: Any) -> list[Any]:
    if any(is_undefined(i) for i in idx):
        raise UnsupportedError("cannot transpose dynamic_update_slice with respect to its "
                               "indices")
    ua = aval(u)
    ct_x = (P.dynamic_update_slice_p.bind(ct, zeros(tangent_aval(ua).update(
        dtype=aval(ct).dtype)), *idx) if is_undefined(x) else None)
    ct_u = None
    if is_undefined(u):
        ct_u = convert(P.dynamic_slice_p.bind(ct, *idx, slice_sizes=ua.shape), ua.dtype)
    return [ct_x, ct_u, *(None for _ in idx)]


transpose_rules[P.dynamic_slice_p] = _dynamic_slice_transpose
transpose_rules[P.dynamic_update_slice_p] = _dynamic_update_slice_transpose


# -- contraction --------------------------------------------------------------

def _dot_transpose_operand(ct: Any, other: Any, operand_ndim: int, dims: P.DotDims,
                           operand_is_lhs: bool) -> Any:
    """Cotangent of one dot_general operand: contract `ct` with the other operand
    over the other's free dimensions, then put the axes back in operand order."""
    (lc, rc), (lb, rb) = dims
    if not operand_is_lhs:
        lc, rc, lb, rb = rc, lc, rb, lb      # the operand now plays the lhs part
    other_nd = aval(other).ndim
    nb = len(lb)
    free = [i for i in range(operand_ndim) if i not in lc and i not in lb]
    other_free = [i for i in range(other_nd) if i not in rc and i not in rb]
    # ct axes: batch, lhs free, rhs free (lhs/rhs in the original order)
    ct_other_free = (list(range(nb + len(free), nb + len(free) + len(other_free)))
                     if operand_is_lhs else list(range(nb, nb + len(other_free))))
    res = P.dot_general_p.bind(
        ct, other, dimension_numbers=((tuple(ct_other_free), tuple(other_free)),
                                      (tuple(range(nb)), tuple(rb))))
    # res axes: batch, ct's remaining (own free, in order), other's remaining (sorted rc)
    rc_sorted = sorted(rc)
    pos = {}
    for k, d in enumerate(lb):
        pos[d] = k
    for k, d in enumerate(free):
        pos[d] = nb + k
    for d_l, d_r in zip(lc, rc, strict=True):
        pos[d_l] = nb + len(free) + rc_sorted.index(d_r)
    perm = tuple(pos[i] for i in range(operand_ndim))
    if perm != tuple(range(operand_ndim)):
        res = P.transpose_p.bind(res, permutation=perm)
    return res


def _dot_general_transpose(ct: Any, lhs: Any, rhs: Any, *,
                           dimension_numbers: P.DotDims) -> list[Any]:
    if is_undefined(lhs) and is_undefined(rhs):
        raise UnsupportedError("cannot transpose dot_general of two linear values: the "
                               "function is not linear")
    if is_undefined(lhs):
        return [_dot_transpose_operand(ct, rhs, lhs.aval.ndim, dimension_numbers, True), None]
    return [None, _dot_transpose_operand(ct, lhs, rhs.aval.ndim, dimension_numbers, False)]


transpose_rules[P.dot_general_p] = _dot_general_transpose


# -- call primitives ----------------------------------------------------------

_transpose_cache = LRUCache("transposed programs")


def transpose_program(program: Program, linear: Sequence[bool], ct_nonzero: Sequence[bool]
                      ) -> tuple[Program, list[Any], list[bool]]:
    """The transpose of a const-free Program as a Program.

    It takes (consts, the non-linear inputs, the nonzero output cotangents) and
    returns the cotangents of the linear inputs that are not symbolically zero
    (the third result marks those).
    """
    linear, ct_nonzero = tuple(linear), tuple(ct_nonzero)

    def build() -> tuple[Any, bool]:
        nonlin = [v.aval for v, lin in zip(program.invars, linear, strict=True) if not lin]
        ct_avals = [tangent_aval(a) for a, nz in zip(program.out_avals, ct_nonzero, strict=True)
                    if nz]
        k = len(nonlin)
        box: list[list[bool]] = []

        def fun(*args: Any) -> list[Any]:
            vals, cts_it = iter(args[:k]), iter(args[k:])
            bargs = [UndefinedPrimal(v.aval) if lin else next(vals)
                     for v, lin in zip(program.invars, linear, strict=True)]
            cts = [next(cts_it) if nz else Zero(tangent_aval(a))
                   for a, nz in zip(program.out_avals, ct_nonzero, strict=True)]
            cts_in = [c for c, lin in zip(backward_pass(program, bargs, cts), linear,
                                          strict=True) if lin]
            box.append([type(c) is not Zero for c in cts_in])
            return [c for c in cts_in if type(c) is not Zero]

        prog, consts = trace_to_program(fun, [*nonlin, *ct_avals],
                                        name=f"transpose_{program.name}", kind="grad")
        return (hoist_consts(prog), consts, box[0]), no_tracers(consts)

    return cached(_transpose_cache, (program, linear, ct_nonzero), build)


def call_transpose(prim: Primitive) -> TransposeRule:
    """Transpose rule of a call primitive whose Program is its `program` param:
    the transposed Program is bound with the same primitive, so it stays one call."""
    def rule(cts: Sequence[Any], *args: Any, **params: Any) -> list[Any]:
        program: Program = params["program"]
        linear = [is_undefined(a) for a in args]
        ct_nz = [type(c) is not Zero for c in cts]
        tprog, consts, in_nz = transpose_program(program, linear, ct_nz)
        outs: list[Any] = []
        if tprog.outvars:
            outs = prim.bind(*consts, *(a for a in args if not is_undefined(a)),
                             *(c for c in cts if type(c) is not Zero),
                             **{**params, "program": tprog,
                                "name": f"transpose_{params['name']}"})
        it, nz_it = iter(outs), iter(in_nz)
        return [(next(it) if next(nz_it) else None) if is_undefined(a) else None for a in args]
    return rule


transpose_rules[P.jit_p] = call_transpose(P.jit_p)
transpose_rules[P.checkpoint_p] = call_transpose(P.checkpoint_p)


def _custom_lin_transpose(cts: Sequence[Any], *args: Any, num_res: int, bwd: Any,
                          out_avals: tuple[Any, ...]) -> list[Any]:
    # residuals staged as Literals reach the user's bwd as Python/NumPy scalars
    res = [user_value(r) for r in args[:num_res]]
    cts_in = bwd(res, [instantiate(c) for c in cts])
    return [*(None for _ in res), *cts_in]


transpose_rules[P.custom_lin_p] = _custom_lin_transpose


# ---------------------------------------------------------------------------
# entry points


def transpose_linear_flat(program: Program, residuals: Sequence[Any],
                          cts_out: Sequence[Any]) -> list[Any]:
    """Cotangents (maybe `Zero`) of a linear Program's invars; constvars take `residuals`."""
    args = [*residuals, *(UndefinedPrimal(v.aval) for v in program.invars)]
    return backward_pass(program, args, cts_out)[len(residuals):]
