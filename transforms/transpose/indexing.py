"""Transpose rules for gather and the scatters: gather is linear in its operand
and transposes to a scatter-add of the cotangent; scatter-add transposes to a
gather of the cotangent."""
from __future__ import annotations

from typing import Any

from funcgrad import primitives as P
from funcgrad.core import ShapedArray
from funcgrad.transforms.programs import (SCATTER_MODE_OF_GATHER, aval, convert, gather_back,
                                          instantiate, is_undefined, masked,
                                          scatter_dimension_numbers, tangent_aval, update_ids,
                                          zeros)
from funcgrad.transforms.transpose.interpreter import transpose_rules


def _gather_transpose(ct: Any, operand: Any, indices: Any, *,
                      dimension_numbers: P.GatherDimensionNumbers, slice_sizes: tuple[int, ...],
                      mode: str, fill_value: Any) -> list[Any]:
    assert is_undefined(operand) and not is_undefined(indices)
    op_aval = tangent_aval(operand.aval)
    ct = instantiate(ct)
    out = P.scatter_add_p.bind(zeros(op_aval), indices, convert(ct, op_aval.dtype),
                               dimension_numbers=scatter_dimension_numbers(dimension_numbers),
                               indices_are_sorted=False, unique_indices=False,
                               mode=SCATTER_MODE_OF_GATHER[mode])
    return [out, None]


transpose_rules[P.gather_p] = _gather_transpose


def _scatter_add_transpose(ct: Any, operand: Any, indices: Any, updates: Any, *,
                           dimension_numbers: P.ScatterDimensionNumbers,
                           indices_are_sorted: bool, unique_indices: bool,
                           mode: str) -> list[Any]:
    ct = instantiate(ct)
    ct_op = ct if is_undefined(operand) else None
    ct_up = None
    if is_undefined(updates):
        ct_up = gather_back(ct, indices, updates.aval, dimension_numbers, mode)
        ct_up = convert(ct_up, tangent_aval(updates.aval).dtype)
    return [ct_op, None, ct_up]


transpose_rules[P.scatter_add_p] = _scatter_add_transpose


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
        back = gather_back(ct, indices, ua, params["dimension_numbers"], params["mode"])
        if not params["unique_indices"]:
            ids = update_ids(ua)
            target = zeros(ShapedArray(aval(ct).shape, aval(ids).dtype))
            scattered = P.scatter_p.bind(target, indices, ids, **params)
            won = P.eq_p.bind(gather_back(scattered, indices, ua, params["dimension_numbers"],
                                           params["mode"]), ids)
            back = masked(won, back)
        ct_up = convert(back, tangent_aval(ua).dtype)
    return [ct_op, None, ct_up]


transpose_rules[P.scatter_p] = _scatter_transpose


def _scatter_mul_transpose(ct: Any, operand: Any, indices: Any, updates: Any,
                           **params: Any) -> list[Any]:
    """Linear in the operand only (each position is scaled by its updates' product)."""
    if is_undefined(updates):
        raise NotImplementedError("scatter_mul is not linear in its updates; only the "
                                  "operand can be transposed")
    return [P.scatter_mul_p.bind(instantiate(ct), indices, updates, **params), None, None]


transpose_rules[P.scatter_mul_p] = _scatter_mul_transpose
