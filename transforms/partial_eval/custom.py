"""Partial-evaluation rule of checkpoint: keep the residuals its policy allows,
rematerialise the others.

Splitting a checkpointed Program (`remat_policy_split`) starts from the plain
split (`partial_eval_program`: the known part computes the known outputs and
every residual the unknown part reads). Walking back from those residuals,
each is kept when it is an input of the region or the output of an equation
the policy saves (``policy(prim, *in_avals, **params)``, None saving nothing);
otherwise its equation moves to the unknown part, which recomputes it, and
the walk goes on from that equation's inputs. The known part then outputs only
the saved values, and the unknown part takes them, the region's inputs it
reads and the unknown inputs.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from funcgrad import core, primitives as P
from funcgrad.config import LRUCache
from funcgrad.ir import Eqn, Literal, Program, Var
from funcgrad.transforms.partial_eval.interpreter import (PartialEvalTrace, dce_program,
                                                          partial_eval_program,
                                                          partial_eval_rules)
from funcgrad.transforms.programs import cached, merge, no_tracers
from funcgrad.transforms.staging import eval_program, trace_to_program

Policy = Callable[..., bool] | None


class RematSplit:
    """A checkpointed Program split for given unknown inputs.

    known: known consts + known inputs -> known outputs + saved values.
    unknown: saved values + the known consts/inputs marked in `reads` + unknown
    inputs -> unknown outputs (recomputing what was not saved).
    """

    __slots__ = ("known", "known_consts", "num_known_out", "unknown", "reads", "out_unknowns",
                 "recomputes")

    def __init__(self, known: Program, known_consts: list[Any], num_known_out: int,
                 unknown: Program, reads: list[bool], out_unknowns: list[bool],
                 recomputes: bool):
        self.known = known
        self.known_consts = known_consts
        self.num_known_out = num_known_out
        self.unknown = unknown
        self.reads = reads
        self.out_unknowns = out_unknowns
        self.recomputes = recomputes     # whether the unknown part recomputes anything


def _saveable(policy: Policy, eqn: Eqn) -> bool:
    if policy is None:
        return False
    return bool(policy(eqn.prim, *(a.aval for a in eqn.inputs), **eqn.params))


_remat_cache = LRUCache("remat programs")


def remat_policy_split(program: Program, unknowns: Sequence[bool],
                       policy: Policy) -> RematSplit:
    """Split a const-free checkpointed Program, saving what `policy` allows."""
    unknowns = tuple(unknowns)

    def build() -> tuple[RematSplit, bool]:
        split = partial_eval_program(program, unknowns)
        known = split.known
        n_known = len(known.outvars) - split.num_res
        residuals = known.outvars[n_known:]
        producer = {id(v): e for e in known.eqns for v in e.outvars}
        inputs = {id(v): i for i, v in enumerate(known.invars)}
        saved: dict[int, Var] = {}            # in the order found
        reads = [False] * len(known.invars)
        recompute: set[int] = set()           # ids of the equations moved to the unknown part
        stack = [a for a in reversed(residuals) if type(a) is Var]
        seen: set[int] = set()
        while stack:
            v = stack.pop()
            if id(v) in seen:
                continue
            seen.add(id(v))
            if id(v) in inputs:
                reads[inputs[id(v)]] = True
                continue
            eqn = producer[id(v)]
            if _saveable(policy, eqn):
                saved[id(v)] = v
                continue
            recompute.add(id(eqn))
            stack.extend(a for a in reversed(eqn.inputs) if type(a) is Var)
        saved_vars = list(saved.values())
        moved = [e for e in known.eqns if id(e) in recompute]
        read_vars = [v for v, r in zip(known.invars, reads, strict=True) if r]
        unknown_avals = [v.aval for v, u in zip(program.invars, unknowns, strict=True) if u]

        def unknown_fun(*args: Any) -> list[Any]:
            env: dict[int, Any] = {}
            n_saved, n_read = len(saved_vars), len(read_vars)
            for v, x in zip([*saved_vars, *read_vars], args[:n_saved + n_read], strict=True):
                env[id(v)] = x

            def read(a: Any) -> Any:
                return a if type(a) is Literal else env[id(a)]

            for eqn in moved:
                outs = eqn.prim.bind(*(read(a) for a in eqn.inputs), **eqn.params)
                for v, o in zip(eqn.outvars, outs if eqn.prim.multiple_results else [outs],
                                strict=True):
                    env[id(v)] = o
            res = [read(a) for a in residuals]
            return eval_program(split.unknown, [*res, *args[n_saved + n_read:]])

        avals = [*(v.aval for v in saved_vars), *(v.aval for v in read_vars), *unknown_avals]
        unknown, consts = trace_to_program(unknown_fun, avals,
                                           name=f"{program.name}_remat", kind="checkpoint")
        assert not consts, "the remat program closes over nothing but its inputs"
        known_kept = dce_program(Program((), known.invars, known.eqns,
                                         (*known.outvars[:n_known], *saved_vars), known.name),
                                 [True] * (n_known + len(saved_vars)))
        value = RematSplit(known_kept, split.known_consts, n_known, unknown, reads,
                           split.out_unknowns, bool(moved))
        return value, no_tracers(split.known_consts)

    return cached(_remat_cache, (program, unknowns, policy), build)


def _checkpoint_partial_eval(trace: PartialEvalTrace, args: Sequence[Any], *,
                             program: Program, name: str, prevent_cse: bool,
                             policy: Policy) -> list[Any]:
    """The known part runs now, inlined (it is the forward pass: XLA may fuse it
    with its neighbours); the unknown part is staged as a checkpoint that takes
    the saved values and the known inputs it reads, and recomputes from them
    what it needs. When it recomputes nothing it is inlined too: the region is
    then differentiated as if it were not checkpointed."""
    unknowns = [trace.is_unknown(a) for a in args]
    split = remat_policy_split(program, unknowns, policy)
    known_args = [*split.known_consts, *(a for a, u in zip(args, unknowns, strict=True)
                                         if not u)]
    with core.set_trace(trace.parent):
        known_outs = eval_program(split.known, known_args)
    n = split.num_known_out
    read = [a for a, r in zip(known_args, split.reads, strict=True) if r]
    unknown_args = [*known_outs[n:], *read,
                    *(a for a, u in zip(args, unknowns, strict=True) if u)]
    if not split.recomputes:
        unknown_outs = eval_program(split.unknown, unknown_args)
    else:
        unknown_outs = trace.stage_eqn(P.checkpoint_p, unknown_args,
                                       {"program": split.unknown, "name": name,
                                        "prevent_cse": prevent_cse, "policy": policy})
    return merge(split.out_unknowns, known_outs[:n], unknown_outs)


partial_eval_rules[P.checkpoint_p] = _checkpoint_partial_eval
