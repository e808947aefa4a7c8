"""Reductions over axes (reduce_*, argmax/argmin), cumulative scans along one
axis (cumsum, cumprod, cummax, cummin) and the contraction dot_general, with
the REDUCTIONS/CUMULATIVE groupings the rule tables use.
"""
from __future__ import annotations

import numpy as np

from funcgrad import dtypes
from funcgrad.core import Primitive, ShapedArray, shape_error
from funcgrad.primitives._shapes import check_axes, check_kind, same_dtype


def _reduction(name: str, kind: str) -> Primitive:
    prim = Primitive(name)

    def rule(x: ShapedArray, *, axes: tuple[int, ...]) -> ShapedArray:
        check_kind(name, x.dtype, kind)
        check_axes(name, axes, x.ndim)
        shape = tuple(d for i, d in enumerate(x.shape) if i not in axes)
        return ShapedArray(shape, x.dtype, x.weak_type)

    prim.def_abstract_eval(rule)
    return prim


reduce_sum_p = _reduction("reduce_sum", "any")
reduce_prod_p = _reduction("reduce_prod", "any")
reduce_max_p = _reduction("reduce_max", "any")
reduce_min_p = _reduction("reduce_min", "any")
reduce_and_p = _reduction("reduce_and", "intbool")
reduce_or_p = _reduction("reduce_or", "intbool")
reduce_xor_p = _reduction("reduce_xor", "intbool")
REDUCTIONS = (reduce_sum_p, reduce_prod_p, reduce_max_p, reduce_min_p, reduce_and_p, reduce_or_p,
              reduce_xor_p)


def _arg_reduction(name: str) -> Primitive:
    prim = Primitive(name)

    def rule(x: ShapedArray, *, axis: int, index_dtype: np.dtype) -> ShapedArray:
        check_axes(name, (axis,), x.ndim)
        if x.shape[axis] == 0:
            raise shape_error(name, f"attempt to get {name} of an empty axis {axis} "
                              f"(shape {x.shape})")
        shape = tuple(d for i, d in enumerate(x.shape) if i != axis)
        return ShapedArray(shape, dtypes.canonicalize(index_dtype), False)

    prim.def_abstract_eval(rule)
    return prim


argmax_p = _arg_reduction("argmax")
argmin_p = _arg_reduction("argmin")


def _cumulative(name: str) -> Primitive:
    prim = Primitive(name)

    def rule(x: ShapedArray, *, axis: int, reverse: bool) -> ShapedArray:
        check_axes(name, (axis,), x.ndim)
        return x

    prim.def_abstract_eval(rule)
    return prim


cumsum_p = _cumulative("cumsum")
cumprod_p = _cumulative("cumprod")
cummax_p = _cumulative("cummax")
cummin_p = _cumulative("cummin")
CUMULATIVE = (cumsum_p, cumprod_p, cummax_p, cummin_p)


# ---------------------------------------------------------------------------
# contraction

dot_general_p = Primitive("dot_general")

DotDims = tuple[tuple[tuple[int, ...], tuple[int, ...]], tuple[tuple[int, ...], tuple[int, ...]]]


@dot_general_p.def_abstract_eval
def _dot_general_rule(lhs: ShapedArray, rhs: ShapedArray, *,
                      dimension_numbers: DotDims) -> ShapedArray:
    (lc, rc), (lb, rb) = dimension_numbers
    dt = same_dtype("dot_general", (lhs, rhs))
    check_axes("dot_general", (*lc, *lb), lhs.ndim, "lhs dimension")
    check_axes("dot_general", (*rc, *rb), rhs.ndim, "rhs dimension")
    if len(lc) != len(rc) or len(lb) != len(rb):
        raise shape_error("dot_general", "lhs and rhs need as many contracting and batch "
                          "dimensions as each other")
    for a, b in zip((*lc, *lb), (*rc, *rb), strict=True):
        if lhs.shape[a] != rhs.shape[b]:
            raise shape_error("dot_general", f"shapes {lhs.shape} and {rhs.shape} do not "
                              f"match along lhs axis {a} and rhs axis {b} "
                              f"({lhs.shape[a]} != {rhs.shape[b]})")
    batch = tuple(lhs.shape[i] for i in lb)
    lfree = tuple(d for i, d in enumerate(lhs.shape) if i not in lc and i not in lb)
    rfree = tuple(d for i, d in enumerate(rhs.shape) if i not in rc and i not in rb)
    return ShapedArray(batch + lfree + rfree, dt, lhs.weak_type and rhs.weak_type)
