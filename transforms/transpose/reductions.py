"""Transpose rules of reduce_sum, cumsum and dot_general."""
from __future__ import annotations

from typing import Any

from funcgrad import primitives as P
from funcgrad.errors import UnsupportedError
from funcgrad.transforms.programs import UndefinedPrimal, aval, is_undefined
from funcgrad.transforms.transpose.interpreter import UNIFORM, mask_policy, transpose_rules


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


def _reduce_sum_transpose(ct: Any, x: UndefinedPrimal, *, axes: tuple[int, ...]) -> list[Any]:
    a = x.aval
    kept = tuple(i for i in range(a.ndim) if i not in axes)
    return [P.broadcast_in_dim_p.bind(ct, shape=a.shape, broadcast_dimensions=kept)]


def _cumsum_transpose(ct: Any, x: UndefinedPrimal, *, axis: int, reverse: bool) -> list[Any]:
    return [P.cumsum_p.bind(ct, axis=axis, reverse=not reverse)]


transpose_rules[P.reduce_sum_p] = _reduce_sum_transpose
transpose_rules[P.cumsum_p] = _cumsum_transpose
# a cotangent a select zeroed stays zero, but only a single-valued predicate still
# says where (see `mask_policy`)
mask_policy[P.reduce_sum_p] = UNIFORM
mask_policy[P.cumsum_p] = UNIFORM
