"""Batching rules of reductions, arg-reductions, cumulative ops and `dot_general`:
axes shift around the batch axis."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from funcgrad import primitives as P
from funcgrad.core import Primitive
from funcgrad.transforms.batching.interpreter import (Dim, batch_rules, ndim_of,
                                                      shift_axis)
from funcgrad.transforms.programs import named


# Reductions, arg-reductions and cumulative ops: shift axes around the batch axis


def _reduce_batch(prim: Primitive) -> Callable[..., tuple[list[Any], list[Dim]]]:
    def rule(axis_size: int, args: Sequence[Any], dims: Sequence[Dim], *,
             axes: tuple[int, ...]) -> tuple[list[Any], list[Dim]]:
        (x,), (d,) = args, dims
        assert d is not None
        out = prim.bind(x, axes=tuple(shift_axis(a, d) for a in axes))
        return [out], [d - sum(a < d for a in axes)]
    return named(rule, f"_{prim.name}_batch")


batch_rules[P.reduce_sum_p] = _reduce_batch(P.reduce_sum_p)
batch_rules[P.reduce_prod_p] = _reduce_batch(P.reduce_prod_p)
batch_rules[P.reduce_max_p] = _reduce_batch(P.reduce_max_p)
batch_rules[P.reduce_min_p] = _reduce_batch(P.reduce_min_p)
batch_rules[P.reduce_and_p] = _reduce_batch(P.reduce_and_p)
batch_rules[P.reduce_or_p] = _reduce_batch(P.reduce_or_p)
batch_rules[P.reduce_xor_p] = _reduce_batch(P.reduce_xor_p)


def _arg_reduce_batch(prim: Primitive) -> Callable[..., tuple[list[Any], list[Dim]]]:
    def rule(axis_size: int, args: Sequence[Any], dims: Sequence[Dim], *, axis: int,
             index_dtype: np.dtype) -> tuple[list[Any], list[Dim]]:
        (x,), (d,) = args, dims
        assert d is not None
        out = prim.bind(x, axis=shift_axis(axis, d), index_dtype=index_dtype)
        return [out], [d - (axis < d)]
    return named(rule, f"_{prim.name}_batch")


batch_rules[P.argmax_p] = _arg_reduce_batch(P.argmax_p)
batch_rules[P.argmin_p] = _arg_reduce_batch(P.argmin_p)


def _cumulative_batch(prim: Primitive) -> Callable[..., tuple[list[Any], list[Dim]]]:
    def rule(axis_size: int, args: Sequence[Any], dims: Sequence[Dim], *, axis: int,
             reverse: bool) -> tuple[list[Any], list[Dim]]:
        (x,), (d,) = args, dims
        assert d is not None
        return [prim.bind(x, axis=shift_axis(axis, d), reverse=reverse)], [d]
    return named(rule, f"_{prim.name}_batch")


batch_rules[P.cumsum_p] = _cumulative_batch(P.cumsum_p)
batch_rules[P.cumprod_p] = _cumulative_batch(P.cumprod_p)
batch_rules[P.cummax_p] = _cumulative_batch(P.cummax_p)
batch_rules[P.cummin_p] = _cumulative_batch(P.cummin_p)


# ---------------------------------------------------------------------------
# Contraction


def _dot_general_batch(axis_size: int, args: Sequence[Any], dims: Sequence[Dim], *,
                       dimension_numbers: P.DotDims) -> tuple[list[Any], list[Dim]]:
    """Both batched: the batch axis becomes a leading batch dimension of the
    contraction. One batched: it becomes a free dimension of that side, which the
    output keeps in place (dot_general lays out batch, lhs free, rhs free)."""
    lhs, rhs = args
    ld, rd = dims
    (lc, rc), (lb, rb) = dimension_numbers

    def shifted(axes: tuple[int, ...], d: Dim) -> tuple[int, ...]:
        return axes if d is None else tuple(shift_axis(a, d) for a in axes)

    lc2, lb2, rc2, rb2 = shifted(lc, ld), shifted(lb, ld), shifted(rc, rd), shifted(rb, rd)
    if ld is not None and rd is not None:
        dn = ((lc2, rc2), ((ld, *lb2), (rd, *rb2)))
        out_dim = 0
    elif ld is not None:
        dn = ((lc2, rc2), (lb2, rb2))
        out_dim = len(lb) + sum(1 for i in range(ld) if i not in lc2 and i not in lb2)
    else:
        assert rd is not None
        dn = ((lc2, rc2), (lb2, rb2))
        lfree = ndim_of(lhs) - len(lc) - len(lb)
        out_dim = len(lb) + lfree + sum(1 for i in range(rd) if i not in rc2 and i not in rb2)
    return [P.dot_general_p.bind(lhs, rhs, dimension_numbers=dn)], [out_dim]


batch_rules[P.dot_general_p] = _dot_general_batch
