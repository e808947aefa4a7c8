"""JVP rules of the layout primitives: a constrained tangent is laid out like its
primal; shard_map's JVP is a shard_map of its body's JVP."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from funcgrad import core, primitives as P
from funcgrad.ir import Program
from funcgrad.sharding import Mesh, NamedSharding, PartitionSpec
from funcgrad.transforms.jvp.interpreter import jvp_program, jvp_rules
from funcgrad.transforms.programs import Zero, aval, tangent_aval


def _sharding_constraint_jvp(primals: Sequence[Any], tangents: Sequence[Any], *,
                             sharding: NamedSharding) -> tuple[Any, Any]:
    (x,), (t,) = primals, tangents
    out = P.sharding_constraint_p.bind(x, sharding=sharding)
    if type(t) is Zero:
        return out, t
    return out, P.sharding_constraint_p.bind(t, sharding=sharding)


jvp_rules[P.sharding_constraint_p] = _sharding_constraint_jvp


def _shard_map_jvp(primals: Sequence[Any], tangents: Sequence[Any], *, program: Program,
                   mesh: Mesh, in_specs: tuple[PartitionSpec, ...],
                   out_specs: tuple[PartitionSpec, ...], name: str) -> tuple[Any, Any]:
    """One shard_map of the body's JVP: a tangent is split like its primal."""
    nonzeros = [type(t) is not Zero for t in tangents]
    with core.extend_axis_env(list(mesh.shape.items())):
        jprog, consts, out_nz = jvp_program(program, nonzeros)
    t_in = tuple(s for s, nz in zip(in_specs, nonzeros, strict=True) if nz)
    t_out = tuple(s for s, nz in zip(out_specs, out_nz, strict=True) if nz)
    outs = P.shard_map_p.bind(*consts, *primals, *(t for t in tangents if type(t) is not Zero),
                              program=jprog, mesh=mesh,
                              in_specs=(PartitionSpec(),) * len(consts) + in_specs + t_in,
                              out_specs=out_specs + t_out, name=f"jvp_{name}")
    n = len(program.outvars)
    it = iter(outs[n:])
    return outs[:n], [next(it) if nz else Zero(tangent_aval(a))
                      for a, nz in zip(map(aval, outs[:n]), out_nz, strict=True)]


jvp_rules[P.shard_map_p] = _shard_map_jvp
