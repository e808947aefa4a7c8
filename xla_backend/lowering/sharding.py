"""Lowering rules of the layout primitives: ``sdy.sharding_constraint`` and, for
shard_map, ``sdy.manual_computation``; both name the module's mesh symbol
(declared once per mesh by the module builder)."""
from __future__ import annotations

from funcgrad import primitives as P
from funcgrad.ir import Program
from funcgrad.sharding import Mesh, NamedSharding, PartitionSpec
from funcgrad.xla_backend.lowering.emitter import LoweringContext, lowering_rules, tensor_type


def _sharding_constraint_lower(ctx: LoweringContext, x: str, *,
                               sharding: NamedSharding) -> list[str]:
    attr = ctx.module.sharding_attr(sharding, ctx.avals_in[0].ndim)
    return [ctx.op1("sdy.sharding_constraint", [x], ctx.avals_out[0], f"sharding = {attr}")]


lowering_rules[P.sharding_constraint_p] = _sharding_constraint_lower


def _shard_map_lower(ctx: LoweringContext, *args: str, program: Program, mesh: Mesh,
                     in_specs: tuple[PartitionSpec, ...], out_specs: tuple[PartitionSpec, ...],
                     name: str) -> list[str]:
    """``sdy.manual_computation`` with every mesh axis manual; the body is lowered
    inline, on the blocks, with the mesh recorded so collectives find it."""
    mb = ctx.module
    if mb.manual is not None:
        raise NotImplementedError("shard_map inside another shard_map's body is not supported; "
                                  "put the collectives of both in one body")
    in_sh = ", ".join(mb.tensor_sharding(NamedSharding(mesh, s), a.ndim)
                      for s, a in zip(in_specs, ctx.avals_in, strict=True))
    out_avals = list(ctx.avals_out)
    out_sh = ", ".join(mb.tensor_sharding(NamedSharding(mesh, s), a.ndim)
                       for s, a in zip(out_specs, out_avals, strict=True))
    manual = ", ".join(f'"{n}"' for n in mesh.axis_names)
    saved, ctx.lines = ctx.lines, []
    outer, ctx.indent = ctx.indent, ctx.indent + "  "
    mb.manual = mesh
    try:
        blocks = [ctx.bind("%b" + ctx.fresh()[1:], v.aval) for v in program.invars]
        outs = ctx.lower_eqns(program, blocks)
    finally:
        mb.manual = None
    ret_t = ", ".join(ctx.types[o] for o in outs)
    ctx.lines.append(f"{ctx.indent}sdy.return {', '.join(outs)} : {ret_t}" if outs
                     else f"{ctx.indent}sdy.return")
    body = "\n".join(ctx.lines)
    ctx.lines, ctx.indent = saved, outer
    res = ctx.fresh()
    n = len(out_avals)
    lhs = f"{res}:{n} = " if n > 1 else f"{res} = " if n else ""
    header = ", ".join(f"{b}: {ctx.types[b]}" for b in blocks)
    in_t = ", ".join(ctx.types[a] for a in args)
    out_t = ", ".join(tensor_type(a) for a in out_avals)
    ctx.lines.append(f"{ctx.indent}{lhs}sdy.manual_computation({', '.join(args)}) "
                     f"in_shardings=[{in_sh}] out_shardings=[{out_sh}] "
                     f"manual_axes={{{manual}}} ({header}) {{\n{body}\n{ctx.indent}}} "
                     f": ({in_t}) -> {out_t if n == 1 else f'({out_t})'}")
    names = [f"{res}#{i}" for i in range(n)] if n > 1 else [res] if n else []
    for nm, a in zip(names, out_avals, strict=True):
        ctx.bind(nm, a)
    return names


lowering_rules[P.shard_map_p] = _shard_map_lower
