"""Indexing primitives: gather and the scatters (modelled on stablehlo.gather /
stablehlo.scatter), and sort.

The index vector is always the LAST dimension of `indices`. Dimension numbers
are NamedTuples of int tuples, so they are hashable params. `mode` says what
out-of-bounds indices do: "clip" (clamp so the slice fits), "fill" (gather:
the result is `fill_value`), "drop" (scatter: the update is skipped) or
"promise_in_bounds" (the caller guarantees they are in bounds).
"""
from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from funcgrad import dtypes
from funcgrad.core import Primitive, ShapedArray, shape_error
from funcgrad.errors import DTypeError
from funcgrad.primitives._shapes import check_axes, fmt_shapes, same_dtype


class GatherDimensionNumbers(NamedTuple):
    offset_dims: tuple[int, ...]            # output dims that hold the slice's kept dims
    collapsed_slice_dims: tuple[int, ...]   # operand dims whose size-1 slice is dropped
    start_index_map: tuple[int, ...]        # operand dim of each index-vector component
    operand_batching_dims: tuple[int, ...] = ()
    start_indices_batching_dims: tuple[int, ...] = ()


class ScatterDimensionNumbers(NamedTuple):
    update_window_dims: tuple[int, ...]
    inserted_window_dims: tuple[int, ...]
    scatter_dims_to_operand_dims: tuple[int, ...]
    operand_batching_dims: tuple[int, ...] = ()
    scatter_indices_batching_dims: tuple[int, ...] = ()


GATHER_MODES = ("clip", "fill", "promise_in_bounds")
SCATTER_MODES = ("clip", "drop", "promise_in_bounds")


def default_fill_value(dtype: np.dtype) -> Any:
    """What gather's "fill" mode returns out of bounds when no fill_value is given
    (JAX's choice): NaN for inexact dtypes, the smallest signed / largest unsigned
    integer, True for booleans -- values that stand out rather than pass for data."""
    dtype = np.dtype(dtype)
    if dtypes.is_inexact(dtype):
        return np.nan
    if dtype == dtypes.bool_:
        return True
    info = np.iinfo(dtype)
    return int(info.min) if dtype.kind == "i" else int(info.max)


def _check_index_operand(name: str, indices: ShapedArray) -> None:
    if not dtypes.is_integer(indices.dtype):
        raise DTypeError(f"{name}: indices must be integers, got {indices.str_short()}")
    if indices.ndim == 0:
        raise shape_error(name, "indices need at least one dimension (the index vector is "
                                "their last dimension)")


gather_p = Primitive("gather")


@gather_p.def_abstract_eval
def _gather_rule(operand: ShapedArray, indices: ShapedArray, *,
                 dimension_numbers: GatherDimensionNumbers, slice_sizes: tuple[int, ...],
                 mode: str, fill_value: Any) -> ShapedArray:
    dn = dimension_numbers
    _check_index_operand("gather", indices)
    if mode not in GATHER_MODES:
        raise ValueError(f"gather: mode must be one of {GATHER_MODES}, got {mode!r}")
    if len(slice_sizes) != operand.ndim:
        raise shape_error("gather", f"slice_sizes {slice_sizes} needs one entry per dimension "
                                    f"of the operand {operand.shape}")
    for s, d in zip(slice_sizes, operand.shape, strict=True):
        if not 0 <= s <= d:
            raise shape_error("gather", f"slice_sizes {slice_sizes} do not fit in operand "
                                        f"shape {operand.shape}")
    check_axes("gather", (*dn.collapsed_slice_dims, *dn.operand_batching_dims), operand.ndim)
    for d in (*dn.collapsed_slice_dims, *dn.operand_batching_dims):
        if slice_sizes[d] > 1:
            raise shape_error("gather", f"collapsed/batching operand dim {d} needs slice size "
                                        f"<= 1, got {slice_sizes[d]}")
    if len(dn.start_index_map) != indices.shape[-1]:
        raise shape_error("gather", f"start_index_map {dn.start_index_map} must have one entry "
                                    f"per index-vector component ({indices.shape[-1]})")
    check_axes("gather", dn.start_index_map, operand.ndim, "start_index_map entry")
    batch_shape = indices.shape[:-1]
    check_axes("gather", dn.start_indices_batching_dims, len(batch_shape),
               "start_indices batching dim")
    if len(dn.operand_batching_dims) != len(dn.start_indices_batching_dims):
        raise shape_error("gather", "operand_batching_dims and start_indices_batching_dims "
                                    "must have the same length")
    for od, idim in zip(dn.operand_batching_dims, dn.start_indices_batching_dims, strict=True):
        if operand.shape[od] != batch_shape[idim]:
            raise shape_error("gather", f"batching dims differ in size: operand {operand.shape} "
                                        f"dim {od} vs indices {indices.shape} dim {idim}")
    kept = [s for d, s in enumerate(slice_sizes)
            if d not in dn.collapsed_slice_dims and d not in dn.operand_batching_dims]
    out_ndim = len(batch_shape) + len(kept)
    if len(dn.offset_dims) != len(kept) or list(dn.offset_dims) != sorted(set(dn.offset_dims)):
        raise shape_error("gather", f"offset_dims {dn.offset_dims} must be increasing with one "
                                    f"entry per kept slice dimension ({len(kept)})")
    check_axes("gather", dn.offset_dims, out_ndim, "offset dim")
    it_kept, it_batch = iter(kept), iter(batch_shape)
    shape = tuple(next(it_kept) if i in dn.offset_dims else next(it_batch)
                  for i in range(out_ndim))
    return ShapedArray(shape, operand.dtype, operand.weak_type)


def _scatter_shape_rule(name: str) -> Any:
    """The shape rule shared by the scatters, which differ only in how they combine."""
    def rule(operand: ShapedArray, indices: ShapedArray, updates: ShapedArray, *,
             dimension_numbers: ScatterDimensionNumbers, indices_are_sorted: bool,
             unique_indices: bool, mode: str) -> ShapedArray:
        dn = dimension_numbers
        _check_index_operand(name, indices)
        if mode not in SCATTER_MODES:
            raise ValueError(f"{name}: mode must be one of {SCATTER_MODES}, got {mode!r}")
        same_dtype(name, (operand, updates))
        check_axes(name, (*dn.inserted_window_dims, *dn.operand_batching_dims), operand.ndim)
        check_axes(name, dn.scatter_dims_to_operand_dims, operand.ndim,
                   "scatter_dims_to_operand_dims entry")
        if len(dn.scatter_dims_to_operand_dims) != indices.shape[-1]:
            raise shape_error(name, f"scatter_dims_to_operand_dims "
                                    f"{dn.scatter_dims_to_operand_dims} must have one entry per "
                                    f"index-vector component ({indices.shape[-1]})")
        window = [d for d in range(operand.ndim)
                  if d not in dn.inserted_window_dims and d not in dn.operand_batching_dims]
        if len(dn.update_window_dims) != len(window):
            raise shape_error(name, f"update_window_dims {dn.update_window_dims} needs one "
                                    f"entry per operand window dim ({len(window)})")
        check_axes(name, dn.update_window_dims, updates.ndim, "update window dim")
        scatter_dims = [i for i in range(updates.ndim) if i not in dn.update_window_dims]
        batch_shape = indices.shape[:-1]
        if tuple(updates.shape[i] for i in scatter_dims) != batch_shape:
            raise shape_error(name, f"updates of shape {updates.shape} do not match indices of "
                                    f"shape {indices.shape} (scatter dims {tuple(scatter_dims)})")
        for u, d in zip(dn.update_window_dims, window, strict=True):
            if updates.shape[u] > operand.shape[d]:
                raise shape_error(name, f"update window of shape {updates.shape} does not fit "
                                        f"in operand of shape {operand.shape}")
        if len(dn.operand_batching_dims) != len(dn.scatter_indices_batching_dims):
            raise shape_error(name, "operand_batching_dims and scatter_indices_batching_dims "
                                    "must have the same length")
        for od, idim in zip(dn.operand_batching_dims, dn.scatter_indices_batching_dims,
                            strict=True):
            if operand.shape[od] != batch_shape[idim]:
                raise shape_error(name, f"batching dims differ in size: operand "
                                        f"{operand.shape} dim {od} vs indices {indices.shape} "
                                        f"dim {idim}")
        return operand.strong() if not updates.weak_type else operand
    return rule


scatter_p = Primitive("scatter")            # replace; the last of duplicate updates wins
scatter_p.def_abstract_eval(_scatter_shape_rule("scatter"))

scatter_add_p = Primitive("scatter_add")    # duplicates accumulate
scatter_add_p.def_abstract_eval(_scatter_shape_rule("scatter_add"))

scatter_mul_p = Primitive("scatter_mul")
scatter_mul_p.def_abstract_eval(_scatter_shape_rule("scatter_mul"))

scatter_min_p = Primitive("scatter_min")
scatter_min_p.def_abstract_eval(_scatter_shape_rule("scatter_min"))

scatter_max_p = Primitive("scatter_max")
scatter_max_p.def_abstract_eval(_scatter_shape_rule("scatter_max"))

SCATTERS = (scatter_p, scatter_add_p, scatter_mul_p, scatter_min_p, scatter_max_p)


# ---------------------------------------------------------------------------
# sort (stablehlo.sort). Sorts all operands together along `dimension` by the
# first `num_keys` of them, lexicographically, in NumPy's order (NaNs last);
# the rest follow the permutation (argsort passes an iota).

sort_p = Primitive("sort", multiple_results=True)


@sort_p.def_abstract_eval
def _sort_rule(*operands: ShapedArray, dimension: int, is_stable: bool,
               num_keys: int) -> list[ShapedArray]:
    if not operands:
        raise shape_error("sort", "needs at least one operand")
    shape = operands[0].shape
    if any(o.shape != shape for o in operands):
        raise shape_error("sort", f"operands must share a shape, got {fmt_shapes(operands)}")
    if not 1 <= num_keys <= len(operands):
        raise shape_error("sort", f"num_keys must be between 1 and {len(operands)}, "
                                  f"got {num_keys}")
    check_axes("sort", (dimension,), len(shape), "dimension")
    return list(operands)
