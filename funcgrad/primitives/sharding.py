"""Layout primitives: `sharding_constraint` pins a value's layout over a mesh;
`shard_map` runs a body on each device's blocks of its operands.

It computes the identity; XLA's SPMD partitioner reads it as a fixed point of
sharding propagation (``sdy.sharding_constraint``). Its param is a
funcgrad.sharding.NamedSharding, checked against the operand's shape here, so a
spec that does not fit raises before anything is lowered.

shard_map's params: `program` (the body, over one device's blocks: operands
of shape `local_shape`), `mesh`, `in_specs` and `out_specs` (a PartitionSpec
per operand and per result: how the global arrays split into blocks) and
`name`. Every mesh axis is manual inside the body, where collectives name
them. A result whose spec leaves a mesh axis out is replicated over it: the
body must compute the same block on every device along that axis (the value
read is the first device's).
"""
from __future__ import annotations

import math

from funcgrad.core import Primitive, ShapedArray, shape_error
from funcgrad.ir import Program
from funcgrad.sharding import Mesh, NamedSharding, PartitionSpec

sharding_constraint_p = Primitive("sharding_constraint")


@sharding_constraint_p.def_abstract_eval
def _sharding_constraint_rule(x: ShapedArray, *, sharding: NamedSharding) -> ShapedArray:
    if type(sharding) is not NamedSharding:
        raise TypeError(f"with_sharding_constraint takes a NamedSharding, got {sharding!r:.80}")
    sharding.check(x.shape, "the constrained value")
    return x


# ---------------------------------------------------------------------------
# shard_map: a body run per device on its shards


shard_map_p = Primitive("shard_map", multiple_results=True)


def local_shape(shape: tuple[int, ...], spec: PartitionSpec, mesh: Mesh) -> tuple[int, ...]:
    """The shape of one device's block of a `shape` array laid out as `spec`."""
    return tuple(n // math.prod(mesh.shape[a] for a in spec.axes(d))
                 for d, n in enumerate(shape))


def global_shape(shape: tuple[int, ...], spec: PartitionSpec, mesh: Mesh) -> tuple[int, ...]:
    """The shape of the array whose blocks, laid out as `spec`, have `shape`."""
    return tuple(n * math.prod(mesh.shape[a] for a in spec.axes(d))
                 for d, n in enumerate(shape))


@shard_map_p.def_abstract_eval
def _shard_map_rule(*args: ShapedArray, program: Program, mesh: Mesh,
                    in_specs: tuple[PartitionSpec, ...], out_specs: tuple[PartitionSpec, ...],
                    name: str) -> list[ShapedArray]:
    if len(args) != len(in_specs) or len(args) != len(program.invars):
        raise TypeError(f"shard_map: {len(args)} operands for {len(in_specs)} in_specs and a "
                        f"body of {len(program.invars)} inputs")
    for i, (a, spec, v) in enumerate(zip(args, in_specs, program.invars, strict=True)):
        NamedSharding(mesh, spec).check(a.shape, f"shard_map input {i}")
        if local_shape(a.shape, spec, mesh) != v.aval.shape or a.dtype != v.aval.dtype:
            raise shape_error("shard_map", f"input {i} {a.str_short()} laid out as {spec} gives "
                              f"blocks of shape {local_shape(a.shape, spec, mesh)}, but the "
                              f"body takes {v.aval.str_short()}")
    if len(out_specs) != len(program.outvars):
        raise TypeError(f"shard_map: {len(out_specs)} out_specs for {len(program.outvars)} "
                        "outputs")
    return [a.update(shape=global_shape(a.shape, spec, mesh), weak_type=False)
            for a, spec in zip(program.out_avals, out_specs, strict=True)]
