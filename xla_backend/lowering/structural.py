"""Lowering rules of the structural primitives: broadcast_in_dim, reshape,
transpose, squeeze, expand_dims, rev, slice, dynamic_slice, dynamic_update_slice,
concatenate, pad, iota, split, tile and copy.

Each is one StableHLO op with its params spelled as attributes; squeeze and
expand_dims are reshapes (StableHLO has no separate op for them), split is a
slice per piece, tile a broadcast then a reshape, and copy is its operand (XLA
copies buffers where it must). Dynamic
indices are converted to int64 so every index operand of one op has one type,
as StableHLO requires.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from funcgrad import dtypes
from funcgrad import primitives as P
from funcgrad.xla_backend.lowering.emitter import LoweringContext, i64_array, lowering_rules


def _broadcast_in_dim_lower(ctx: LoweringContext, x: str, *, shape: tuple[int, ...],
                            broadcast_dimensions: tuple[int, ...]) -> list[str]:
    return [ctx.op1("stablehlo.broadcast_in_dim", [x], ctx.avals_out[0],
                    f"broadcast_dimensions = {i64_array(broadcast_dimensions)}")]


def _reshape_lower(ctx: LoweringContext, x: str, *, new_sizes: tuple[int, ...]) -> list[str]:
    return [ctx.op1("stablehlo.reshape", [x], ctx.avals_out[0])]


def _squeeze_lower(ctx: LoweringContext, x: str, *, dimensions: tuple[int, ...]) -> list[str]:
    return [ctx.op1("stablehlo.reshape", [x], ctx.avals_out[0])]


def _expand_dims_lower(ctx: LoweringContext, x: str, *,
                       dimensions: tuple[int, ...]) -> list[str]:
    return [ctx.op1("stablehlo.reshape", [x], ctx.avals_out[0])]


def _transpose_lower(ctx: LoweringContext, x: str, *, permutation: tuple[int, ...]) -> list[str]:
    return [ctx.op1("stablehlo.transpose", [x], ctx.avals_out[0],
                    f"permutation = {i64_array(permutation)}")]


def _rev_lower(ctx: LoweringContext, x: str, *, dimensions: tuple[int, ...]) -> list[str]:
    return [ctx.op1("stablehlo.reverse", [x], ctx.avals_out[0],
                    f"dimensions = {i64_array(dimensions)}")]


def _slice_lower(ctx: LoweringContext, x: str, *, start_indices: tuple[int, ...],
                 limit_indices: tuple[int, ...], strides: tuple[int, ...]) -> list[str]:
    return [ctx.op1("stablehlo.slice", [x], ctx.avals_out[0],
                    f"start_indices = {i64_array(start_indices)}, limit_indices = "
                    f"{i64_array(limit_indices)}, strides = {i64_array(strides)}")]


def _index_operands(ctx: LoweringContext, idx: Sequence[str]) -> list[str]:
    return [ctx.convert(i, dtypes.int64) for i in idx]


def _dynamic_slice_lower(ctx: LoweringContext, x: str, *idx: str,
                         slice_sizes: tuple[int, ...]) -> list[str]:
    return [ctx.op1("stablehlo.dynamic_slice", [x, *_index_operands(ctx, idx)],
                    ctx.avals_out[0], f"slice_sizes = {i64_array(slice_sizes)}")]


def _dynamic_update_slice_lower(ctx: LoweringContext, x: str, u: str, *idx: str) -> list[str]:
    return [ctx.op1("stablehlo.dynamic_update_slice", [x, u, *_index_operands(ctx, idx)],
                    ctx.avals_out[0])]


def _concatenate_lower(ctx: LoweringContext, *xs: str, dimension: int) -> list[str]:
    return [ctx.op1("stablehlo.concatenate", list(xs), ctx.avals_out[0],
                    f"dimension = {dimension} : i64")]


def _pad_lower(ctx: LoweringContext, x: str, v: str, *,
               padding_config: tuple[tuple[int, int, int], ...]) -> list[str]:
    lo, hi, interior = zip(*padding_config, strict=True) if padding_config else ((), (), ())
    return [ctx.op1("stablehlo.pad", [x, v], ctx.avals_out[0],
                    f"edge_padding_low = {i64_array(lo)}, edge_padding_high = {i64_array(hi)}, "
                    f"interior_padding = {i64_array(interior)}")]


def _iota_lower(ctx: LoweringContext, *, dtype: np.dtype, shape: tuple[int, ...],
                dimension: int) -> list[str]:
    out = ctx.avals_out[0]
    if dtype == dtypes.bool_:       # stablehlo.iota makes no booleans: count in int32
        i = ctx.op1("stablehlo.iota", [], out.update(dtype=dtypes.int32),
                    f"iota_dimension = {dimension} : i64")
        return [ctx.convert(i, dtype)]
    return [ctx.op1("stablehlo.iota", [], out, f"iota_dimension = {dimension} : i64")]


lowering_rules.update({
    P.broadcast_in_dim_p: _broadcast_in_dim_lower, P.reshape_p: _reshape_lower,
    P.squeeze_p: _squeeze_lower, P.expand_dims_p: _expand_dims_lower,
    P.transpose_p: _transpose_lower, P.rev_p: _rev_lower, P.slice_p: _slice_lower,
    P.dynamic_slice_p: _dynamic_slice_lower,
    P.dynamic_update_slice_p: _dynamic_update_slice_lower,
    P.concatenate_p: _concatenate_lower, P.pad_p: _pad_lower, P.iota_p: _iota_lower,
})


def _split_lower(ctx: LoweringContext, x: str, *, sizes: tuple[int, ...],
                 axis: int) -> list[str]:
    shape = ctx.avals[x].shape
    outs, start = [], 0
    for out in ctx.avals_out:
        lo = tuple(start if i == axis else 0 for i in range(len(shape)))
        hi = tuple(start + out.shape[axis] if i == axis else d for i, d in enumerate(shape))
        outs.append(ctx.op1("stablehlo.slice", [x], out,
                            f"start_indices = {i64_array(lo)}, limit_indices = "
                            f"{i64_array(hi)}, strides = {i64_array((1,) * len(shape))}"))
        start += out.shape[axis]
    return outs


def _tile_lower(ctx: LoweringContext, x: str, *, reps: tuple[int, ...]) -> list[str]:
    # (d0, d1, ...) -> (r0, d0, r1, d1, ...) -> (r0*d0, r1*d1, ...)
    a = ctx.avals[x]
    wide = tuple(v for r, d in zip(reps, a.shape, strict=True) for v in (r, d))
    b = ctx.op1("stablehlo.broadcast_in_dim", [x], a.update(shape=wide),
                f"broadcast_dimensions = {i64_array(tuple(range(1, 2 * a.ndim, 2)))}")
    return [ctx.op1("stablehlo.reshape", [b], ctx.avals_out[0])]


def _copy_lower(ctx: LoweringContext, x: str) -> list[str]:
    return [x]


lowering_rules.update({P.split_p: _split_lower, P.tile_p: _tile_lower, P.copy_p: _copy_lower})
