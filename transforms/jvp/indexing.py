"""JVP rules for gather, the scatters and sort.

gather is linear in its operand; its transpose is a scatter-add of the
cotangent, and scatter-add's transpose gathers the cotangent back. A replacing
scatter with duplicate indices keeps only one update per position; which one is
XLA's choice, so the JVP first settles it (each update tags its target with a
unique id, and an update counts only where its id won) and then expresses the
primal and tangent with scatter-adds, which are transposable. scatter_min/max
average the tangents of tied winners; scatter_mul differentiates through
``out * sum(t_u / u)`` (NB: NaN where an update is exactly 0). sort's tangents
follow its permutation, a gather along the sorted axis.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from funcgrad import dtypes, primitives as P
from funcgrad.transforms.jvp.interpreter import jvp_rules
from funcgrad.transforms.programs import (Zero, add_tangents, aval, convert, gather_back,
                                          instantiate, masked, named, scatter_winners, take_along,
                                          tangent_aval, weak_scalar, zeros)


def _gather_jvp(primals: Sequence[Any], tangents: Sequence[Any], **params: Any) -> tuple[Any, Any]:
    operand, indices = primals
    out = P.gather_p.bind(operand, indices, **params)
    t = tangents[0]
    if type(t) is Zero:
        return out, Zero(tangent_aval(aval(out)))
    tparams = dict(params, fill_value=0 if params["mode"] == "fill" else None)
    return out, P.gather_p.bind(t, indices, **tparams)


jvp_rules[P.gather_p] = _gather_jvp


def _scatter_add_jvp(primals: Sequence[Any], tangents: Sequence[Any],
                     **params: Any) -> tuple[Any, Any]:
    operand, indices, updates = primals
    out = P.scatter_add_p.bind(operand, indices, updates, **params)
    t_op, _, t_up = tangents
    if type(t_op) is Zero and type(t_up) is Zero:
        return out, Zero(tangent_aval(aval(out)))
    out_aval = tangent_aval(aval(out))
    t_op = convert(instantiate(t_op), out_aval.dtype)
    t_up = convert(instantiate(t_up), out_aval.dtype)
    return out, P.scatter_add_p.bind(t_op, indices, t_up, **params)


jvp_rules[P.scatter_add_p] = _scatter_add_jvp


def _scatter_jvp(primals: Sequence[Any], tangents: Sequence[Any],
                 **params: Any) -> tuple[Any, Any]:
    operand, indices, updates = primals
    t_op, _, t_up = tangents
    if type(t_op) is Zero and type(t_up) is Zero:
        out = P.scatter_p.bind(operand, indices, updates, **params)
        return out, Zero(tangent_aval(aval(out)))
    add_params = dict(params)
    if params["unique_indices"]:
        out = P.scatter_p.bind(operand, indices, updates, **params)
        t_op = instantiate(t_op)
        t_up = convert(instantiate(t_up), aval(t_op).dtype)
        return out, P.scatter_p.bind(t_op, indices, t_up, **params)
    untouched, won = scatter_winners(operand, indices, updates, params)
    out = P.scatter_add_p.bind(masked(untouched, operand), indices, masked(won, updates),
                               **add_params)
    odt = tangent_aval(aval(out)).dtype
    t_op = convert(instantiate(t_op), odt)
    t_up = convert(instantiate(t_up), odt)
    t_out = P.scatter_add_p.bind(masked(untouched, t_op), indices, masked(won, t_up),
                                 **add_params)
    return out, t_out


jvp_rules[P.scatter_p] = _scatter_jvp


def _scatter_mul_jvp(primals: Sequence[Any], tangents: Sequence[Any],
                     **params: Any) -> tuple[Any, Any]:
    operand, indices, updates = primals
    out = P.scatter_mul_p.bind(operand, indices, updates, **params)
    t_op, _, t_up = tangents
    odt = tangent_aval(aval(out)).dtype
    t_out: Any = Zero(tangent_aval(aval(out)))
    if type(t_op) is not Zero:   # linear in the operand
        t_out = P.scatter_mul_p.bind(convert(t_op, odt), indices, updates, **params)
    if type(t_up) is not Zero:   # d(op * prod u) = out * sum(t_u / u)
        rel = P.div_p.bind(convert(t_up, odt), updates)
        summed = P.scatter_add_p.bind(zeros(aval(out).strong()), indices, rel, **params)
        t_out = add_tangents(t_out, P.mul_p.bind(out, summed))
    return out, t_out


def _scatter_extremum_jvp(prim: P.Primitive) -> Any:
    def rule(primals: Sequence[Any], tangents: Sequence[Any], **params: Any) -> tuple[Any, Any]:
        operand, indices, updates = primals
        out = prim.bind(operand, indices, updates, **params)
        t_op, _, t_up = tangents
        if type(t_op) is Zero and type(t_up) is Zero:
            return out, Zero(tangent_aval(aval(out)))
        oa = aval(out).strong()
        final = gather_back(out, indices, aval(updates), params["dimension_numbers"],
                             params["mode"])
        op_won = P.eq_p.bind(operand, out)
        up_won = P.eq_p.bind(updates, final)
        one, zero = weak_scalar(1, oa.dtype), weak_scalar(0, oa.dtype)
        count = P.add_p.bind(
            P.select_n_p.bind(op_won, zero, one),
            P.scatter_add_p.bind(zeros(oa), indices, P.select_n_p.bind(up_won, zero, one),
                                 **params))
        t_op = convert(instantiate(t_op), oa.dtype)
        t_up = convert(instantiate(t_up), oa.dtype)
        total = P.add_p.bind(masked(op_won, t_op),
                             P.scatter_add_p.bind(zeros(oa), indices, masked(up_won, t_up),
                                                  **params))
        return out, P.div_p.bind(total, count)
    return named(rule, f"_{prim.name}_jvp")


jvp_rules[P.scatter_mul_p] = _scatter_mul_jvp
jvp_rules[P.scatter_min_p] = _scatter_extremum_jvp(P.scatter_min_p)
jvp_rules[P.scatter_max_p] = _scatter_extremum_jvp(P.scatter_max_p)


def _sort_jvp(primals: Sequence[Any], tangents: Sequence[Any], *, dimension: int,
              is_stable: bool, num_keys: int) -> tuple[list[Any], list[Any]]:
    shape = aval(primals[0]).shape
    if all(type(t) is Zero for t in tangents):
        outs = P.sort_p.bind(*primals, dimension=dimension, is_stable=is_stable,
                             num_keys=num_keys)
        return list(outs), [Zero(tangent_aval(aval(o))) for o in outs]
    iota = P.iota_p.bind(dtype=dtypes.int64, shape=shape, dimension=dimension)
    *outs, perm = P.sort_p.bind(*primals, iota, dimension=dimension, is_stable=is_stable,
                                num_keys=num_keys)
    t_outs = [t if type(t) is Zero else take_along(t, perm, dimension) for t in tangents]
    return outs, t_outs


jvp_rules[P.sort_p] = _sort_jvp
