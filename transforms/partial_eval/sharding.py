"""Partial-evaluation rule of shard_map: the known part runs as one shard_map that
also returns the residuals, the unknown part is staged as another.

Residuals are each device's own values (blocks), so they leave the known
shard_map split over every mesh axis: each gets a leading dimension of size 1,
split over all the axes, and the unknown body drops it again.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from funcgrad import core, primitives as P
from funcgrad.ir import Program
from funcgrad.sharding import Mesh, PartitionSpec
from funcgrad.transforms.partial_eval.interpreter import (PartialEvalTrace, partial_eval_program,
                                                          partial_eval_rules)
from funcgrad.transforms.programs import merge
from funcgrad.transforms.staging import eval_program, hoist_consts, trace_to_program


def _reshape(x: Any, shape: tuple[int, ...]) -> Any:
    return P.reshape_p.bind(x, new_sizes=shape)


def _shard_map_partial_eval(trace: PartialEvalTrace, args: Sequence[Any], *, program: Program,
                            mesh: Mesh, in_specs: tuple[PartitionSpec, ...],
                            out_specs: tuple[PartitionSpec, ...], name: str) -> list[Any]:
    unknowns = [trace.is_unknown(a) for a in args]
    env = list(mesh.shape.items())
    with core.extend_axis_env(env):
        split = partial_eval_program(program, unknowns)
    n_known = len(split.known.outvars) - split.num_res
    res_avals = split.known.out_avals[n_known:]
    res_spec = PartitionSpec(tuple(mesh.axis_names))
    rep = PartitionSpec()
    known_args = [a for a, u in zip(args, unknowns, strict=True) if not u]
    known_specs = tuple(s for s, u in zip(in_specs, unknowns, strict=True) if not u)

    def known_fn(*xs: Any) -> list[Any]:
        outs = eval_program(split.known, xs)
        return [*outs[:n_known], *(_reshape(r, (1, *a.shape))
                                   for r, a in zip(outs[n_known:], res_avals, strict=True))]

    in_avals = [*(core.get_aval(c) for c in split.known_consts),
                *(v.aval for v, u in zip(program.invars, unknowns, strict=True) if not u)]
    with core.extend_axis_env(env):
        known_body, kc = trace_to_program(known_fn, in_avals, name=f"known_{name}",
                                          kind="shard_map")
    known_outs: list[Any] = []
    if known_body.outvars:
        with core.set_trace(trace.parent):
            known_outs = P.shard_map_p.bind(
                *kc, *split.known_consts, *known_args, program=hoist_consts(known_body),
                mesh=mesh, in_specs=(rep,) * (len(kc) + len(split.known_consts)) + known_specs,
                out_specs=tuple(s for s, u in zip(out_specs, split.out_unknowns, strict=True)
                                if not u) + (res_spec,) * split.num_res,
                name=f"known_{name}")
    res = known_outs[n_known:]

    def unknown_fn(*xs: Any) -> list[Any]:
        blocks = [_reshape(r, a.shape) for r, a in zip(xs[:split.num_res], res_avals,
                                                       strict=True)]
        return eval_program(split.unknown, [*blocks, *xs[split.num_res:]])

    u_avals = [*(a.update(shape=(1, *a.shape)) for a in res_avals),
               *(v.aval for v, u in zip(program.invars, unknowns, strict=True) if u)]
    with core.extend_axis_env(env):
        unknown_body, uc = trace_to_program(unknown_fn, u_avals, name=f"unknown_{name}",
                                            kind="shard_map")
    unknown_args = [a for a, u in zip(args, unknowns, strict=True) if u]
    unknown_specs = tuple(s for s, u in zip(in_specs, unknowns, strict=True) if u)
    unknown_outs = trace.stage_eqn(
        P.shard_map_p, [*uc, *res, *unknown_args],
        {"program": hoist_consts(unknown_body), "mesh": mesh,
         "in_specs": (rep,) * len(uc) + (res_spec,) * split.num_res + unknown_specs,
         "out_specs": tuple(s for s, u in zip(out_specs, split.out_unknowns, strict=True) if u),
         "name": f"unknown_{name}"})
    return merge(split.out_unknowns, known_outs[:n_known], unknown_outs)


partial_eval_rules[P.shard_map_p] = _shard_map_partial_eval
