"""Autodiff rules for gather, the scatters and sort (their batching rules live in
transforms/batching.py).

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

from funcgrad import dtypes
from funcgrad import primitives as P
from funcgrad.core import ShapedArray
from funcgrad.transforms.ad_util import (Zero, add_tangents, aval, convert, instantiate,
                                         is_undefined, scalar, tangent_aval, zeros)
from funcgrad.transforms.jvp import jvp_rules
from funcgrad.transforms.transpose import transpose_rules

_GATHER_MODE_OF_SCATTER = {"clip": "clip", "drop": "fill", "promise_in_bounds": "promise_in_bounds"}
_SCATTER_MODE_OF_GATHER = {"clip": "clip", "fill": "drop", "promise_in_bounds": "promise_in_bounds"}


def _scatter_dn(dn: P.GatherDimensionNumbers) -> P.ScatterDimensionNumbers:
    return P.ScatterDimensionNumbers(
        update_window_dims=dn.offset_dims, inserted_window_dims=dn.collapsed_slice_dims,
        scatter_dims_to_operand_dims=dn.start_index_map,
        operand_batching_dims=dn.operand_batching_dims,
        scatter_indices_batching_dims=dn.start_indices_batching_dims)


def _gather_dn(dn: P.ScatterDimensionNumbers) -> P.GatherDimensionNumbers:
    return P.GatherDimensionNumbers(
        offset_dims=dn.update_window_dims, collapsed_slice_dims=dn.inserted_window_dims,
        start_index_map=dn.scatter_dims_to_operand_dims,
        operand_batching_dims=dn.operand_batching_dims,
        start_indices_batching_dims=dn.scatter_indices_batching_dims)


def _window_sizes(operand: ShapedArray, updates: ShapedArray,
                  dn: P.ScatterDimensionNumbers) -> tuple[int, ...]:
    """The gather slice sizes that read back exactly the windows a scatter writes."""
    window = [d for d in range(operand.ndim)
              if d not in dn.inserted_window_dims and d not in dn.operand_batching_dims]
    sizes = dict(zip(window, (updates.shape[u] for u in dn.update_window_dims), strict=True))
    return tuple(sizes.get(d, 1) for d in range(operand.ndim))


def _gather_back(x: Any, indices: Any, updates_aval: ShapedArray,
                 dn: P.ScatterDimensionNumbers, mode: str, fill_value: Any = 0) -> Any:
    """For each update element, the value of `x` at the position it scatters to."""
    return P.gather_p.bind(x, indices, dimension_numbers=_gather_dn(dn),
                           slice_sizes=_window_sizes(aval(x), updates_aval, dn),
                           mode=_GATHER_MODE_OF_SCATTER[mode], fill_value=fill_value)


def _scatter(prim: P.Primitive, operand: Any, indices: Any, updates: Any,
             params: dict[str, Any]) -> Any:
    return prim.bind(operand, indices, updates, **params)


# ---------------------------------------------------------------------------
# gather


def _gather_jvp(primals: Sequence[Any], tangents: Sequence[Any], **params: Any) -> tuple[Any, Any]:
    operand, indices = primals
    out = P.gather_p.bind(operand, indices, **params)
    t = tangents[0]
    if type(t) is Zero:
        return out, Zero(tangent_aval(aval(out)))
    tparams = dict(params, fill_value=0 if params["mode"] == "fill" else None)
    return out, P.gather_p.bind(t, indices, **tparams)


def _gather_transpose(ct: Any, operand: Any, indices: Any, *,
                      dimension_numbers: P.GatherDimensionNumbers, slice_sizes: tuple[int, ...],
                      mode: str, fill_value: Any) -> list[Any]:
    assert is_undefined(operand) and not is_undefined(indices)
    op_aval = tangent_aval(operand.aval)
    ct = instantiate(ct)
    out = P.scatter_add_p.bind(zeros(op_aval), indices, convert(ct, op_aval.dtype),
                               dimension_numbers=_scatter_dn(dimension_numbers),
                               indices_are_sorted=False, unique_indices=False,
                               mode=_SCATTER_MODE_OF_GATHER[mode])
    return [out, None]


jvp_rules[P.gather_p] = _gather_jvp
transpose_rules[P.gather_p] = _gather_transpose


# ---------------------------------------------------------------------------
# scatter-add: linear in (operand, updates)


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


def _scatter_add_transpose(ct: Any, operand: Any, indices: Any, updates: Any, *,
                           dimension_numbers: P.ScatterDimensionNumbers,
                           indices_are_sorted: bool, unique_indices: bool,
                           mode: str) -> list[Any]:
    ct = instantiate(ct)
    ct_op = ct if is_undefined(operand) else None
    ct_up = None
    if is_undefined(updates):
        ct_up = _gather_back(ct, indices, updates.aval, dimension_numbers, mode)
        ct_up = convert(ct_up, tangent_aval(updates.aval).dtype)
    return [ct_op, None, ct_up]


jvp_rules[P.scatter_add_p] = _scatter_add_jvp
transpose_rules[P.scatter_add_p] = _scatter_add_transpose


# ---------------------------------------------------------------------------
# replacing scatter


def _update_ids(updates: ShapedArray) -> Any:
    """1, 2, 3, ... over the elements of `updates` (0 means "no update")."""
    dt = dtypes.int32 if updates.size < 2**31 - 1 else dtypes.int64
    flat = P.iota_p.bind(dtype=dt, shape=(updates.size,), dimension=0)
    return P.reshape_p.bind(P.add_p.bind(flat, scalar(1, dt)), new_sizes=updates.shape)


def _winners(operand: Any, indices: Any, updates: Any,
             params: dict[str, Any]) -> tuple[Any, Any]:
    """(operand positions no update wrote, update elements that won their position)."""
    ua = aval(updates)
    ids = _update_ids(ua)
    id_dt = aval(ids).dtype
    target = zeros(ShapedArray(aval(operand).shape, id_dt))
    scattered = P.scatter_p.bind(target, indices, ids, **params)
    back = _gather_back(scattered, indices, ua, params["dimension_numbers"], params["mode"],
                        fill_value=0)
    untouched = P.eq_p.bind(scattered, zeros(aval(scattered)))
    won = P.eq_p.bind(back, ids)
    return untouched, won


def _masked(pred: Any, x: Any) -> Any:
    return P.select_n_p.bind(pred, zeros(aval(x)), x)


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
    untouched, won = _winners(operand, indices, updates, params)
    out = P.scatter_add_p.bind(_masked(untouched, operand), indices, _masked(won, updates),
                               **add_params)
    odt = tangent_aval(aval(out)).dtype
    t_op = convert(instantiate(t_op), odt)
    t_up = convert(instantiate(t_up), odt)
    t_out = P.scatter_add_p.bind(_masked(untouched, t_op), indices, _masked(won, t_up),
                                 **add_params)
    return out, t_out


def _scatter_transpose(ct: Any, operand: Any, indices: Any, updates: Any,
                       **params: Any) -> list[Any]:
    """Transposes scatter in (operand, updates) jointly: each position's cotangent goes
    to the operand if nothing wrote there, else to the update that won it."""
    ct = instantiate(ct)
    ua = updates.aval if is_undefined(updates) else aval(updates)
    ct_op = ct_up = None
    if is_undefined(operand):
        ct_op = P.scatter_p.bind(ct, indices, zeros(ShapedArray(ua.shape, aval(ct).dtype)),
                                 **params)
    if is_undefined(updates):
        back = _gather_back(ct, indices, ua, params["dimension_numbers"], params["mode"])
        if not params["unique_indices"]:
            ids = _update_ids(ua)
            target = zeros(ShapedArray(aval(ct).shape, aval(ids).dtype))
            scattered = P.scatter_p.bind(target, indices, ids, **params)
            won = P.eq_p.bind(_gather_back(scattered, indices, ua, params["dimension_numbers"],
                                           params["mode"]), ids)
            back = _masked(won, back)
        ct_up = convert(back, tangent_aval(ua).dtype)
    return [ct_op, None, ct_up]


jvp_rules[P.scatter_p] = _scatter_jvp
transpose_rules[P.scatter_p] = _scatter_transpose


# ---------------------------------------------------------------------------
# scatter_mul, scatter_min, scatter_max


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
        final = _gather_back(out, indices, aval(updates), params["dimension_numbers"],
                             params["mode"])
        op_won = P.eq_p.bind(operand, out)
        up_won = P.eq_p.bind(updates, final)
        one, zero = scalar(1, oa.dtype), scalar(0, oa.dtype)
        count = P.add_p.bind(
            P.select_n_p.bind(op_won, zero, one),
            P.scatter_add_p.bind(zeros(oa), indices, P.select_n_p.bind(up_won, zero, one),
                                 **params))
        t_op = convert(instantiate(t_op), oa.dtype)
        t_up = convert(instantiate(t_up), oa.dtype)
        total = P.add_p.bind(_masked(op_won, t_op),
                             P.scatter_add_p.bind(zeros(oa), indices, _masked(up_won, t_up),
                                                  **params))
        return out, P.div_p.bind(total, count)
    return rule


def _scatter_mul_transpose(ct: Any, operand: Any, indices: Any, updates: Any,
                           **params: Any) -> list[Any]:
    """Linear in the operand only (each position is scaled by its updates' product)."""
    if is_undefined(updates):
        raise NotImplementedError("scatter_mul is not linear in its updates; only the "
                                  "operand can be transposed")
    return [P.scatter_mul_p.bind(instantiate(ct), indices, updates, **params), None, None]


jvp_rules[P.scatter_mul_p] = _scatter_mul_jvp
transpose_rules[P.scatter_mul_p] = _scatter_mul_transpose
jvp_rules[P.scatter_min_p] = _scatter_extremum_jvp(P.scatter_min_p)
jvp_rules[P.scatter_max_p] = _scatter_extremum_jvp(P.scatter_max_p)


# ---------------------------------------------------------------------------
# sort


def take_along(x: Any, perm: Any, dimension: int) -> Any:
    """``x`` permuted along `dimension` by the integer array `perm` of x's shape."""
    nd = aval(x).ndim
    others = tuple(d for d in range(nd) if d != dimension)
    idx = P.expand_dims_p.bind(perm, dimensions=(nd,))
    dn = P.GatherDimensionNumbers(offset_dims=(), collapsed_slice_dims=(dimension,),
                                  start_index_map=(dimension,), operand_batching_dims=others,
                                  start_indices_batching_dims=others)
    return P.gather_p.bind(x, idx, dimension_numbers=dn, slice_sizes=(1,) * nd,
                           mode="promise_in_bounds", fill_value=None)


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
