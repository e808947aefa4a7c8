"""Transpose rules of the layout primitives.

sharding_constraint: the cotangent gets the same layout.

shard_map: a shard_map of the body's transpose, under the convention of the
collectives' rules (every device's value is its own value; psum transposes to
psum). Two adjustments make the blocks' cotangents those of the global
function: a result replicated over mesh axes is read from the first device
along them, so only that device receives its cotangent (the others get
zeros); an operand replicated over mesh axes was used by every device along
them, so its blocks' cotangents are summed over those axes (a psum).
"""
from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

from funcgrad import core, primitives as P
from funcgrad.core import ShapedArray
from funcgrad.ir import Program
from funcgrad.sharding import Mesh, NamedSharding, PartitionSpec
from funcgrad.transforms.programs import Zero, is_undefined, strong_scalar, tangent_aval
from funcgrad.transforms.staging import eval_program, hoist_consts, trace_to_program
from funcgrad.transforms.transpose.interpreter import transpose_program, transpose_rules


def _sharding_constraint_transpose(ct: Any, x: Any, *, sharding: NamedSharding) -> list[Any]:
    if type(ct) is Zero:
        return [ct]
    return [P.sharding_constraint_p.bind(ct, sharding=sharding)]


transpose_rules[P.sharding_constraint_p] = _sharding_constraint_transpose


def _unnamed(mesh: Mesh, spec: PartitionSpec, ndim: int) -> tuple[Hashable, ...]:
    """The mesh axes a value laid out as `spec` is replicated over."""
    named = {a for d in range(ndim) for a in spec.axes(d)}
    return tuple(a for a in mesh.axis_names if a not in named and mesh.shape[a] > 1)


def _on_first_device(ct: Any, axes: tuple[Hashable, ...]) -> Any:
    """`ct` on the devices at index 0 along `axes`, zeros elsewhere."""
    first = None
    for a in axes:
        index = P.axis_index_p.bind(axis_name=(a,))
        here = P.eq_p.bind(index, strong_scalar(0, core.get_aval(index).dtype))
        first = here if first is None else P.and_p.bind(first, here)
    if first is None:
        return ct
    av = core.get_aval(ct)
    keep = P.broadcast_in_dim_p.bind(first, shape=av.shape, broadcast_dimensions=())
    zero = P.broadcast_in_dim_p.bind(strong_scalar(0, av.dtype), shape=av.shape,
                                     broadcast_dimensions=())
    return P.select_n_p.bind(keep, zero, ct)


def _shard_map_transpose(cts: Sequence[Any], *args: Any, program: Program, mesh: Mesh,
                         in_specs: tuple[PartitionSpec, ...], out_specs: tuple[PartitionSpec, ...],
                         name: str) -> list[Any]:
    linear = [is_undefined(a) for a in args]
    ct_nz = [type(c) is not Zero for c in cts]
    env = list(mesh.shape.items())
    with core.extend_axis_env(env):
        tprog, tconsts, in_nz = transpose_program(program, linear, ct_nz)
    if not tprog.outvars:
        return [None] * len(args)
    nonlin = [(a, s, v.aval) for a, s, v, lin in zip(args, in_specs, program.invars, linear,
                                                      strict=True) if not lin]
    cts_in = [(c, s, tangent_aval(a)) for c, s, a, nz in zip(cts, out_specs, program.out_avals,
                                                             ct_nz, strict=True) if nz]
    lin_specs = [s for s, lin in zip(in_specs, linear, strict=True) if lin]
    lin_avals = [v.aval for v, lin in zip(program.invars, linear, strict=True) if lin]
    outs_at = [i for i, nz in enumerate(in_nz) if nz]
    k = len(nonlin)

    def body(*blocks: Any) -> list[Any]:
        cts_b = [_on_first_device(c, _unnamed(mesh, s, a.ndim))
                 for c, (_, s, a) in zip(blocks[k:], cts_in, strict=True)]
        outs = eval_program(tprog, [*tconsts, *blocks[:k], *cts_b])
        summed = []
        for o, i in zip(outs, outs_at, strict=True):
            axes = _unnamed(mesh, lin_specs[i], lin_avals[i].ndim)
            summed.append(P.psum_p.bind(o, axis_name=axes) if axes else o)
        return summed

    avals: list[ShapedArray] = [a for _, _, a in nonlin] + [a for _, _, a in cts_in]
    with core.extend_axis_env(env):
        tbody, consts = trace_to_program(body, avals, name=f"transpose_{name}",
                                         kind="shard_map")
    outs = P.shard_map_p.bind(
        *consts, *(a for a, _, _ in nonlin), *(c for c, _, _ in cts_in),
        program=hoist_consts(tbody), mesh=mesh,
        in_specs=(PartitionSpec(),) * len(consts) + tuple(s for _, s, _ in nonlin)
        + tuple(s for _, s, _ in cts_in),
        out_specs=tuple(lin_specs[i] for i in outs_at), name=f"transpose_{name}")
    it, nz_it = iter(outs), iter(in_nz)
    return [(next(it) if next(nz_it) else None) if lin else None for lin in linear]


transpose_rules[P.shard_map_p] = _shard_map_transpose
