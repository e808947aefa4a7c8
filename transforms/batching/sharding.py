"""Batching rules of the layout primitives: the batch axis is never split.

sharding_constraint: a None entry is inserted in the spec at the batch
dimension. shard_map: its body is batched (every lane's blocks stacked at
axis 0, which no mesh axis splits), with the mesh's axes bound while the body
is re-traced, since its collectives name them.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from funcgrad import core, primitives as P
from funcgrad.ir import Program
from funcgrad.sharding import Mesh, NamedSharding, PartitionSpec
from funcgrad.transforms.batching.interpreter import (BatchAxis, Dim, axis_rule, batch_program,
                                                      batch_rules, move_bdim, ndim_of)


def _unsplit_at(spec: PartitionSpec, d: int, ndim: int) -> PartitionSpec:
    """`spec` for a value with a new (unsplit) axis at `d`; `ndim`: its rank before."""
    parts = list(spec) + [None] * (ndim - len(spec))
    parts.insert(d, None)
    return PartitionSpec(*parts)


def _sharding_constraint_batch(axis_size: int, args: Sequence[Any], dims: Sequence[Dim], *,
                               sharding: NamedSharding) -> tuple[list[Any], list[Dim]]:
    (x,), (d,) = args, dims
    assert d is not None
    batched = NamedSharding(sharding.mesh, _unsplit_at(sharding.spec, d, ndim_of(x) - 1))
    return [P.sharding_constraint_p.bind(x, sharding=batched)], [d]


batch_rules[P.sharding_constraint_p] = _sharding_constraint_batch


def _shard_map_batch(axis: BatchAxis, args: Sequence[Any], dims: Sequence[Dim], *,
                     program: Program, mesh: Mesh, in_specs: tuple[PartitionSpec, ...],
                     out_specs: tuple[PartitionSpec, ...], name: str
                     ) -> tuple[list[Any], list[Dim]]:
    args = [x if d is None else move_bdim(x, d, 0, axis.size) for x, d in zip(args, dims,
                                                                             strict=True)]
    dims0 = tuple(None if d is None else 0 for d in dims)
    with core.extend_axis_env(list(mesh.shape.items())):
        batched, consts, out_dims = batch_program(program, dims0, axis,
                                                  force=(False,) * len(program.outvars))
    specs = tuple(s if d is None else _unsplit_at(s, 0, v.aval.ndim)
                  for s, d, v in zip(in_specs, dims0, program.invars, strict=True))
    o_specs = tuple(s if d is None else _unsplit_at(s, 0, a.ndim)
                    for s, d, a in zip(out_specs, out_dims, program.out_avals, strict=True))
    outs = P.shard_map_p.bind(*consts, *args, program=batched, mesh=mesh,
                              in_specs=(PartitionSpec(),) * len(consts) + specs,
                              out_specs=o_specs, name=f"vmap_{name}")
    return list(outs), list(out_dims)


axis_rule(P.shard_map_p, _shard_map_batch)
