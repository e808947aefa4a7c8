"""Structural primitives: they move, select or pad elements without computing
on them (broadcast_in_dim, reshape, transpose, squeeze, expand_dims, rev,
slice, dynamic_slice, dynamic_update_slice, concatenate, pad, split, tile, copy)
and iota.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from funcgrad import dtypes
from funcgrad.core import Primitive, ShapedArray, shape_error
from funcgrad.errors import DTypeError
from funcgrad.primitives._shapes import check_axes, fmt_shapes, same_dtype


broadcast_in_dim_p = Primitive("broadcast_in_dim")


@broadcast_in_dim_p.def_abstract_eval
def _broadcast_in_dim_rule(x: ShapedArray, *, shape: tuple[int, ...],
                           broadcast_dimensions: tuple[int, ...]) -> ShapedArray:
    if len(broadcast_dimensions) != x.ndim:
        raise shape_error("broadcast_in_dim", f"operand of shape {x.shape} needs {x.ndim} "
                          f"broadcast_dimensions, got {broadcast_dimensions}")
    check_axes("broadcast_in_dim", broadcast_dimensions, len(shape), "broadcast dimension")
    if list(broadcast_dimensions) != sorted(broadcast_dimensions):
        raise shape_error("broadcast_in_dim", f"broadcast_dimensions {broadcast_dimensions} "
                          "must be increasing")
    for d, b in zip(x.shape, broadcast_dimensions, strict=True):
        if d != 1 and d != shape[b]:
            raise shape_error("broadcast_in_dim", f"cannot broadcast operand of shape {x.shape} "
                              f"to {shape} along dimensions {broadcast_dimensions}")
    return ShapedArray(tuple(shape), x.dtype, x.weak_type)


reshape_p = Primitive("reshape")


@reshape_p.def_abstract_eval
def _reshape_rule(x: ShapedArray, *, new_sizes: tuple[int, ...]) -> ShapedArray:
    if any(d < 0 for d in new_sizes) or int(np.prod(new_sizes, dtype=np.int64)) != x.size:
        raise shape_error("reshape", f"cannot reshape an array of shape {x.shape} "
                          f"(size {x.size}) into shape {new_sizes}")
    return ShapedArray(tuple(new_sizes), x.dtype, x.weak_type)


transpose_p = Primitive("transpose")


@transpose_p.def_abstract_eval
def _transpose_rule(x: ShapedArray, *, permutation: tuple[int, ...]) -> ShapedArray:
    if sorted(permutation) != list(range(x.ndim)):
        raise shape_error("transpose", f"permutation {permutation} is not a permutation of the "
                          f"axes of an array of shape {x.shape}")
    return ShapedArray(tuple(x.shape[p] for p in permutation), x.dtype, x.weak_type)


squeeze_p = Primitive("squeeze")


@squeeze_p.def_abstract_eval
def _squeeze_rule(x: ShapedArray, *, dimensions: tuple[int, ...]) -> ShapedArray:
    check_axes("squeeze", dimensions, x.ndim)
    for d in dimensions:
        if x.shape[d] != 1:
            raise shape_error("squeeze", f"cannot squeeze axis {d} of shape {x.shape}: "
                              "its size is not 1")
    shape = tuple(s for i, s in enumerate(x.shape) if i not in dimensions)
    return ShapedArray(shape, x.dtype, x.weak_type)


expand_dims_p = Primitive("expand_dims")


@expand_dims_p.def_abstract_eval
def _expand_dims_rule(x: ShapedArray, *, dimensions: tuple[int, ...]) -> ShapedArray:
    out_ndim = x.ndim + len(dimensions)
    check_axes("expand_dims", dimensions, out_ndim)
    it = iter(x.shape)
    shape = tuple(1 if i in dimensions else next(it) for i in range(out_ndim))
    return ShapedArray(shape, x.dtype, x.weak_type)


rev_p = Primitive("rev")


@rev_p.def_abstract_eval
def _rev_rule(x: ShapedArray, *, dimensions: tuple[int, ...]) -> ShapedArray:
    check_axes("rev", dimensions, x.ndim)
    return x


slice_p = Primitive("slice")


@slice_p.def_abstract_eval
def _slice_rule(x: ShapedArray, *, start_indices: tuple[int, ...], limit_indices: tuple[int, ...],
                strides: tuple[int, ...]) -> ShapedArray:
    if not (len(start_indices) == len(limit_indices) == len(strides) == x.ndim):
        raise shape_error("slice", f"start/limit/strides must each have {x.ndim} entries "
                          f"for shape {x.shape}")
    shape = []
    for lo, hi, st, d in zip(start_indices, limit_indices, strides, x.shape, strict=True):
        if not (0 <= lo <= hi <= d) or st < 1:
            raise shape_error("slice", f"slice {start_indices}:{limit_indices}:{strides} is out "
                              f"of bounds for shape {x.shape}")
        shape.append(0 if hi == lo else (hi - lo - 1) // st + 1)
    return ShapedArray(tuple(shape), x.dtype, x.weak_type)


def _check_indices(name: str, idx: Sequence[ShapedArray], ndim: int) -> None:
    if len(idx) != ndim:
        raise shape_error(name, f"needs {ndim} start indices, got {len(idx)}")
    for i in idx:
        if i.shape != () or not dtypes.is_integer(i.dtype):
            raise DTypeError(f"{name}: start indices must be integer scalars, got "
                             f"{i.str_short()}")


dynamic_slice_p = Primitive("dynamic_slice")


@dynamic_slice_p.def_abstract_eval
def _dynamic_slice_rule(x: ShapedArray, *idx: ShapedArray,
                        slice_sizes: tuple[int, ...]) -> ShapedArray:
    _check_indices("dynamic_slice", idx, x.ndim)
    if len(slice_sizes) != x.ndim or any(not 0 <= s <= d for s, d in
                                         zip(slice_sizes, x.shape, strict=True)):
        raise shape_error("dynamic_slice", f"slice_sizes {slice_sizes} do not fit in shape "
                          f"{x.shape}")
    return ShapedArray(tuple(slice_sizes), x.dtype, x.weak_type)


dynamic_update_slice_p = Primitive("dynamic_update_slice")


@dynamic_update_slice_p.def_abstract_eval
def _dynamic_update_slice_rule(x: ShapedArray, update: ShapedArray,
                               *idx: ShapedArray) -> ShapedArray:
    _check_indices("dynamic_update_slice", idx, x.ndim)
    if update.ndim != x.ndim or any(u > d for u, d in zip(update.shape, x.shape, strict=True)):
        raise shape_error("dynamic_update_slice", f"update of shape {update.shape} does not fit "
                          f"in operand of shape {x.shape}")
    same_dtype("dynamic_update_slice", (x, update))
    return x.strong() if not update.weak_type else x


concatenate_p = Primitive("concatenate")


@concatenate_p.def_abstract_eval
def _concatenate_rule(*xs: ShapedArray, dimension: int) -> ShapedArray:
    if not xs:
        raise shape_error("concatenate", "needs at least one operand")
    dt = same_dtype("concatenate", xs)
    nd = xs[0].ndim
    if not 0 <= dimension < max(nd, 1) or nd == 0:
        raise shape_error("concatenate", f"axis {dimension} out of range for operands of "
                          f"shapes {fmt_shapes(xs)}")
    for x in xs:
        if x.ndim != nd or any(a != b for i, (a, b) in enumerate(zip(x.shape, xs[0].shape,
                                                                     strict=True))
                               if i != dimension):
            raise shape_error("concatenate", f"operands of shapes {fmt_shapes(xs)} differ "
                              f"outside axis {dimension}")
    shape = list(xs[0].shape)
    shape[dimension] = sum(x.shape[dimension] for x in xs)
    return ShapedArray(tuple(shape), dt, all(x.weak_type for x in xs))


pad_p = Primitive("pad")


@pad_p.def_abstract_eval
def _pad_rule(x: ShapedArray, padding_value: ShapedArray, *,
              padding_config: tuple[tuple[int, int, int], ...]) -> ShapedArray:
    same_dtype("pad", (x, padding_value))
    if padding_value.shape != ():
        raise shape_error("pad", "padding_value must be a scalar")
    if len(padding_config) != x.ndim:
        raise shape_error("pad", f"padding_config needs {x.ndim} (lo, hi, interior) triples")
    shape = []
    for d, (lo, hi, interior) in zip(x.shape, padding_config, strict=True):
        if interior < 0:
            raise shape_error("pad", "interior padding must be non-negative")
        n = lo + hi + d + max(d - 1, 0) * interior
        if n < 0:
            raise shape_error("pad", f"padding {padding_config} leaves a negative size "
                              f"for shape {x.shape}")
        shape.append(n)
    return ShapedArray(tuple(shape), x.dtype, x.weak_type)


iota_p = Primitive("iota")


@iota_p.def_abstract_eval
def _iota_rule(*, dtype: np.dtype, shape: tuple[int, ...], dimension: int) -> ShapedArray:
    check_axes("iota", (dimension,), len(shape), "dimension")
    return ShapedArray(tuple(shape), dtypes.canonicalize(dtype), False)


split_p = Primitive("split", multiple_results=True)


@split_p.def_abstract_eval
def _split_rule(x: ShapedArray, *, sizes: tuple[int, ...], axis: int) -> list[ShapedArray]:
    check_axes("split", (axis,), x.ndim)
    if any(s < 0 for s in sizes) or sum(sizes) != x.shape[axis]:
        raise shape_error("split", f"sizes {sizes} must be non-negative and sum to the size "
                          f"{x.shape[axis]} of axis {axis} of shape {x.shape}")
    return [ShapedArray((*x.shape[:axis], s, *x.shape[axis + 1:]), x.dtype, x.weak_type)
            for s in sizes]


tile_p = Primitive("tile")


@tile_p.def_abstract_eval
def _tile_rule(x: ShapedArray, *, reps: tuple[int, ...]) -> ShapedArray:
    if len(reps) != x.ndim or any(r < 0 for r in reps):
        raise shape_error("tile", f"reps {reps} must hold one non-negative count per axis of "
                          f"shape {x.shape}")
    return ShapedArray(tuple(r * d for r, d in zip(reps, x.shape, strict=True)), x.dtype,
                       x.weak_type)


# A copy is the identity on immutable arrays; the primitive exists so programs
# that spell one (JAX's ``jnp.array(x, copy=True)``) keep their shape.
copy_p = Primitive("copy")


@copy_p.def_abstract_eval
def _copy_rule(x: ShapedArray) -> ShapedArray:
    return x
