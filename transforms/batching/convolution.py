"""Batching rule of conv_general_dilated: the mapped axis (V lanes) is folded into
one of the convolution's own dimensions, so a vmapped convolution stays one
convolution.

- lhs only: into the lhs batch (the output batch carries the lanes). With B batch
  groups the lanes go inside each group (each group gets V copies).
- rhs only: into the output features, inside each feature or batch group.
- both: the lanes become groups of their own: V times the feature groups (lhs
  features and rhs output features each get V group blocks), or V times the
  batch groups when there are batch groups (lhs batch and rhs output features).

Empty lanes (V = 0) give an empty result without a convolution (no group count
may be 0). Each fold is a transpose and a reshape (`_fold_axis`), undone on the
output by `_unfold_axis`.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from funcgrad import primitives as P
from funcgrad.primitives.convolution import ConvDimensionNumbers
from funcgrad.transforms.batching.interpreter import Dim, batch_rules
from funcgrad.transforms.programs import aval, zeros


def _transposed(x: Any, perm: list[int]) -> Any:
    return x if perm == sorted(perm) else P.transpose_p.bind(x, permutation=tuple(perm))


def _reshaped(x: Any, shape: list[int]) -> Any:
    return x if tuple(shape) == aval(x).shape else P.reshape_p.bind(x, new_sizes=tuple(shape))


def _fold_axis(x: Any, src: int, dst: int, groups: int = 1) -> Any:
    """`x` with axis `src` (size S) merged into axis `dst` (numbered as if `src` were
    gone). `dst`, of size groups * R, is read as `groups` blocks; the merged axis
    has index (g * S + s) * R + r, so each block takes S copies of itself."""
    shape = aval(x).shape
    size = shape[src]
    perm = [i for i in range(len(shape)) if i != src]
    perm.insert(dst, src)
    x = _transposed(x, perm)                      # ..., S, groups * R, ...
    rest = [shape[i] for i in perm]
    block = rest[dst + 1] // groups
    if groups > 1:
        x = _reshaped(x, [*rest[:dst], size, groups, block, *rest[dst + 2:]])
        swap = list(range(len(rest) + 1))
        swap[dst], swap[dst + 1] = dst + 1, dst
        x = _transposed(x, swap)                  # ..., groups, S, R, ...
    return _reshaped(x, [*rest[:dst], size * rest[dst + 1], *rest[dst + 2:]])


def _unfold_axis(x: Any, axis: int, size: int, groups: int = 1) -> Any:
    """The inverse of `_fold_axis`: `axis`, of size groups * size * R, loses its
    middle factor to a new axis of `size` inserted at `axis` (the rest, groups * R,
    follows it)."""
    shape = list(aval(x).shape)
    block = shape[axis] // (groups * size)
    if groups > 1:
        x = _reshaped(x, [*shape[:axis], groups, size, block, *shape[axis + 1:]])
        swap = list(range(len(shape) + 2))
        swap[axis], swap[axis + 1] = axis + 1, axis
        x = _transposed(x, swap)                  # ..., size, groups, R, ...
    return _reshaped(x, [*shape[:axis], size, groups * block, *shape[axis + 1:]])


def _conv_general_dilated_batch(axis_size: int, args: Sequence[Any], dims: Sequence[Dim], *,
                                dimension_numbers: ConvDimensionNumbers,
                                feature_group_count: int, batch_group_count: int,
                                **params: Any) -> tuple[list[Any], list[Dim]]:
    lhs, rhs = args
    ld, rd = dims
    lhs_spec, rhs_spec, out_spec = dimension_numbers

    def conv(new_lhs: Any, new_rhs: Any, feature_groups: int, batch_groups: int) -> Any:
        return P.conv_general_dilated_p.bind(new_lhs, new_rhs,
                                             dimension_numbers=dimension_numbers,
                                             feature_group_count=feature_groups,
                                             batch_group_count=batch_groups, **params)

    if ld is None and rd is None:
        return [conv(lhs, rhs, feature_group_count, batch_group_count)], [None]
    if axis_size == 0:
        unbatched = [aval(x).update(shape=tuple(s for k, s in enumerate(aval(x).shape)
                                                if k != d))
                     if d is not None else aval(x) for x, d in zip(args, dims, strict=True)]
        out = P.conv_general_dilated_p.abstract_eval(
            *unbatched, dimension_numbers=dimension_numbers,
            feature_group_count=feature_group_count, batch_group_count=batch_group_count,
            **params)[0]
        return [zeros(out.update(shape=(0, *out.shape), weak_type=False))], [0]
    if ld is not None and rd is not None:
        new_rhs = _fold_axis(rhs, rd, rhs_spec[0])
        if batch_group_count > 1:
            new_lhs = _fold_axis(lhs, ld, lhs_spec[0])
            out = conv(new_lhs, new_rhs, feature_group_count, batch_group_count * axis_size)
        else:
            new_lhs = _fold_axis(lhs, ld, lhs_spec[1])
            out = conv(new_lhs, new_rhs, feature_group_count * axis_size, batch_group_count)
        return [_unfold_axis(out, out_spec[1], axis_size)], [out_spec[1]]
    if ld is not None:
        new_lhs = _fold_axis(lhs, ld, lhs_spec[0], batch_group_count)
        out = conv(new_lhs, rhs, feature_group_count, batch_group_count)
        return [_unfold_axis(out, out_spec[0], axis_size)], [out_spec[0]]
    assert rd is not None
    groups = max(feature_group_count, batch_group_count)
    new_rhs = _fold_axis(rhs, rd, rhs_spec[0], groups)
    out = conv(lhs, new_rhs, feature_group_count, batch_group_count)
    return [_unfold_axis(out, out_spec[1], axis_size, groups)], [out_spec[1]]


batch_rules[P.conv_general_dilated_p] = _conv_general_dilated_batch
