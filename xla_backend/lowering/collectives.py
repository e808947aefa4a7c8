"""Lowering rules of the collectives, inside a shard_map body.

A collective names mesh axes; its devices are grouped by their coordinates on
the other axes (one group per coordinate), each group listing its devices in
lane order (row-major over the named axes). Devices are numbered by their
position in the mesh, which is how the partitioned program numbers them
(`use_global_device_ids`). Under vmap a collective over the vmapped axis is
batched away before lowering; one that reaches lowering outside a shard_map
body names an axis no mesh provides, which the axis environment already
rejects when it is bound.
"""
from __future__ import annotations

import math
from collections.abc import Hashable

import numpy as np

from funcgrad import primitives as P
from funcgrad.core import ShapedArray
from funcgrad.sharding import Mesh
from funcgrad.xla_backend.lowering.emitter import LoweringContext, i64_array, lowering_rules


def _mesh(ctx: LoweringContext, prim: str, names: tuple[Hashable, ...]) -> Mesh:
    mesh = ctx.module.manual
    if mesh is None or any(n not in mesh.shape for n in names):
        raise NotImplementedError(
            f"{prim} over the axes {names!r} reached lowering outside a shard_map body over "
            "them; collectives over a vmap axis are computed by vmap, and mesh axes are "
            "named inside fg.shard_map")
    return mesh


def _groups(mesh: Mesh, names: tuple[Hashable, ...]) -> np.ndarray:
    """(number of groups, lanes per group) device positions."""
    axes = list(mesh.axis_names)
    order = [axes.index(str(n)) for n in names]
    others = [i for i in range(len(axes)) if i not in order]
    ids = np.arange(mesh.size).reshape(mesh.devices.shape).transpose(others + order)
    return ids.reshape(-1, math.prod(mesh.shape[str(n)] for n in names))


def _dense(groups: np.ndarray) -> str:
    rows = ", ".join("[" + ", ".join(str(int(i)) for i in row) + "]" for row in groups)
    return f"dense<[{rows}]> : tensor<{groups.shape[0]}x{groups.shape[1]}xi64>"


def _common(ctx: LoweringContext, mesh: Mesh, names: tuple[Hashable, ...],
            global_ids: bool = True) -> str:
    attrs = f"channel_handle = {ctx.module.channel()}, replica_groups = " \
            f"{_dense(_groups(mesh, names))}"
    return attrs + (", use_global_device_ids" if global_ids else "")


def _monoid(ctx: LoweringContext, dtype: np.dtype, op: str) -> str:
    scalar = ShapedArray((), dtype)
    return ctx.region([scalar, scalar], lambda a, b: [ctx.op1(op, [a, b], scalar)])


def _all_reduce(ctx: LoweringContext, prim: str, x: str, names: tuple[Hashable, ...],
                op: str) -> list[str]:
    mesh = _mesh(ctx, prim, names)
    return [ctx.op1("stablehlo.all_reduce", [x], ctx.avals_out[0], _common(ctx, mesh, names),
                    regions=[_monoid(ctx, ctx.avals_in[0].dtype, op)])]


def _psum_lower(ctx: LoweringContext, x: str, *, axis_name: tuple[Hashable, ...]) -> list[str]:
    return _all_reduce(ctx, "psum", x, axis_name, "stablehlo.add")


def _pmax_lower(ctx: LoweringContext, x: str, *, axis_name: tuple[Hashable, ...]) -> list[str]:
    return _all_reduce(ctx, "pmax", x, axis_name, "stablehlo.maximum")


def _pmin_lower(ctx: LoweringContext, x: str, *, axis_name: tuple[Hashable, ...]) -> list[str]:
    return _all_reduce(ctx, "pmin", x, axis_name, "stablehlo.minimum")


def _reshape(ctx: LoweringContext, x: str, shape: tuple[int, ...]) -> str:
    aval = ctx.avals[x]
    if aval.shape == shape:
        return x
    return ctx.op1("stablehlo.reshape", [x], aval.update(shape=shape))


def _all_gather_lower(ctx: LoweringContext, x: str, *, axis_name: tuple[Hashable, ...],
                      axis: int, tiled: bool, axis_size: int) -> list[str]:
    mesh = _mesh(ctx, "all_gather", axis_name)
    aval = ctx.avals_in[0]
    if not tiled:
        x = _reshape(ctx, x, (*aval.shape[:axis], 1, *aval.shape[axis:]))
    return [ctx.op1("stablehlo.all_gather", [x], ctx.avals_out[0],
                    f"all_gather_dim = {axis} : i64, {_common(ctx, mesh, axis_name)}")]


def _psum_scatter_lower(ctx: LoweringContext, x: str, *, axis_name: tuple[Hashable, ...],
                        scatter_dimension: int, tiled: bool, axis_size: int) -> list[str]:
    mesh = _mesh(ctx, "psum_scatter", axis_name)
    aval, out = ctx.avals_in[0], ctx.avals_out[0]
    sd = scatter_dimension
    block = aval.shape[sd] // axis_size if axis_size else 0
    scattered = aval.update(shape=(*aval.shape[:sd], block, *aval.shape[sd + 1:]))
    y = ctx.op1("stablehlo.reduce_scatter", [x], scattered,
                f"scatter_dimension = {sd} : i64, {_common(ctx, mesh, axis_name)}",
                regions=[_monoid(ctx, aval.dtype, "stablehlo.add")])
    return [_reshape(ctx, y, out.shape)]


def _all_to_all_lower(ctx: LoweringContext, x: str, *, axis_name: tuple[Hashable, ...],
                      split_axis: int, concat_axis: int, tiled: bool,
                      axis_size: int) -> list[str]:
    mesh = _mesh(ctx, "all_to_all", axis_name)
    aval, out = ctx.avals_in[0], ctx.avals_out[0]
    common = _common(ctx, mesh, axis_name, global_ids=False)
    if tiled:
        return [ctx.op1("stablehlo.all_to_all", [x], out,
                        f"split_dimension = {split_axis} : i64, concat_dimension = "
                        f"{concat_axis} : i64, split_count = {axis_size} : i64, {common}")]
    # exchange along split_axis (it then counts source lanes), then move it to concat_axis
    y = ctx.op1("stablehlo.all_to_all", [x], aval,
                f"split_dimension = {split_axis} : i64, concat_dimension = {split_axis} : i64, "
                f"split_count = {axis_size} : i64, {common}")
    perm = [d for d in range(aval.ndim) if d != split_axis]
    perm.insert(concat_axis, split_axis)
    if perm == list(range(aval.ndim)):
        return [y]
    return [ctx.op1("stablehlo.transpose", [y], out, f"permutation = {i64_array(perm)}")]


def _ppermute_lower(ctx: LoweringContext, x: str, *, axis_name: tuple[Hashable, ...],
                    perm: tuple[tuple[int, int], ...]) -> list[str]:
    mesh = _mesh(ctx, "ppermute", axis_name)
    groups = _groups(mesh, axis_name)
    pairs = np.array([[g[s], g[d]] for g in groups for s, d in perm], dtype=np.int64)
    if not len(pairs):                 # nothing is sent: every lane receives zeros
        return [ctx.constant(0, ctx.avals_out[0].dtype, ctx.avals_out[0].shape)]
    return [ctx.op1("stablehlo.collective_permute", [x], ctx.avals_out[0],
                    f"channel_handle = {ctx.module.channel()}, "
                    f"source_target_pairs = {_dense(pairs)}")]


def _axis_index_lower(ctx: LoweringContext, *, axis_name: tuple[Hashable, ...]) -> list[str]:
    mesh = _mesh(ctx, "axis_index", axis_name)
    u32 = ShapedArray((), np.dtype(np.uint32))
    pid = ctx.op1("stablehlo.partition_id", [], u32)
    sizes = [mesh.shape[a] for a in mesh.axis_names]
    index = None
    for name in axis_name:
        k = mesh.axis_names.index(str(name))
        stride = math.prod(sizes[k + 1:])
        coord = ctx.op1("stablehlo.divide", [pid, ctx.constant(stride, u32.dtype)], u32)
        coord = ctx.op1("stablehlo.remainder", [coord, ctx.constant(sizes[k], u32.dtype)], u32)
        if index is None:
            index = coord
        else:
            index = ctx.op1("stablehlo.multiply", [index, ctx.constant(sizes[k], u32.dtype)], u32)
            index = ctx.op1("stablehlo.add", [index, coord], u32)
    assert index is not None
    return [ctx.convert(index, ctx.avals_out[0].dtype)]


lowering_rules[P.psum_p] = _psum_lower
lowering_rules[P.pmax_p] = _pmax_lower
lowering_rules[P.pmin_p] = _pmin_lower
lowering_rules[P.all_gather_p] = _all_gather_lower
lowering_rules[P.psum_scatter_p] = _psum_scatter_lower
lowering_rules[P.all_to_all_p] = _all_to_all_lower
lowering_rules[P.ppermute_p] = _ppermute_lower
lowering_rules[P.axis_index_p] = _axis_index_lower
