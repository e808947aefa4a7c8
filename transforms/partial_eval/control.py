"""Partial-evaluation rules of the control-flow primitives: jit (a call), cond,
while, scan (reverse mode is linearize then transpose).

A cond's known part runs as a cond that also returns the branches' residuals,
in slots shared by all branches (zeros where a branch keeps less); its unknown
part is staged as a cond on the same index. A scan's unknown carries are found
by fixed point; the known part runs as a scan that stacks per-step residuals
as extra ys, residuals computed from constants only are computed once before
the loop, and an x kept as a residual is the xs operand itself. The unknown
part is a scan over those residuals. A while loop's trip count is unknown when
staging, so its linearization cannot store residuals per step: its rule raises
`UnsupportedError` pointing to `max_steps=` (a loop with a bound is a
`bounded_while`, whose rule in bounded_while.py checkpoints it), `fori_loop`
with static bounds or `scan`.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from funcgrad import core, primitives as P
from funcgrad.core import ShapedArray
from funcgrad.errors import UnsupportedError
from funcgrad.ir import Program, Var, has_effects
from funcgrad.transforms.partial_eval.interpreter import (PartialEvalTrace, call_partial_eval,
                                                          dce_program, partial_eval_program,
                                                          partial_eval_rules)
from funcgrad.transforms.programs import (cached_programs, carry_fixed_point, join_branches, merge,
                                          split_list, stage, zeros)
from funcgrad.transforms.staging import eval_program


partial_eval_rules[P.jit_p] = call_partial_eval(P.jit_p)


def _while_partial_eval(trace: PartialEvalTrace, args: Sequence[Any], **params: Any) -> list[Any]:
    raise UnsupportedError(
        "reverse-mode differentiation (grad, vjp, linearize) of lax.while_loop is not "
        "supported without a bound on its steps: their number is unknown until it runs, so "
        "the values each step needs cannot be stored. Pass max_steps=N to lax.while_loop "
        "(the loop then stops after at most N steps, and reverse mode recomputes from "
        "checkpoints), or use lax.fori_loop with static (Python int) bounds, or lax.scan "
        "with a fixed length; forward mode (jvp, jacfwd) works through while_loop.")


partial_eval_rules[P.while_p] = _while_partial_eval


def _partial_eval_forced(program: Program, unknowns: tuple[bool, ...], force: tuple[bool, ...]
                         ) -> tuple[Program, list[Any], Program, list[bool], int]:
    """`partial_eval_program`, with the outputs marked in `force` unknown even
    where they are known: such an output becomes one more residual, which the
    unknown Program returns as it is (branches and loop carries must agree on
    which outputs are unknown).

    Returns (known, known_consts, unknown, out_unknowns, num_res): known maps
    known_consts + known inputs to the known outputs then the residuals;
    unknown maps the residuals + unknown inputs to the unknown outputs."""
    split = partial_eval_program(program, unknowns)
    out_uk = [u or f for u, f in zip(split.out_unknowns, force, strict=True)]
    if out_uk == split.out_unknowns:
        return split.known, split.known_consts, split.unknown, out_uk, split.num_res
    n_known = len(split.known.outvars) - split.num_res
    known_outs = iter(split.known.outvars[:n_known])
    kept: list[Any] = []
    forced: list[Any] = []
    for was, now in zip(split.out_unknowns, out_uk, strict=True):
        if not was:
            (forced if now else kept).append(next(known_outs))
    known = Program((), split.known.invars, split.known.eqns,
                    (*kept, *split.known.outvars[n_known:], *forced), split.known.name)
    forced_vars = [Var(a.aval) for a in forced]
    res_vars = split.unknown.invars[:split.num_res]
    uk_outs, fv = iter(split.unknown.outvars), iter(forced_vars)
    outvars = [next(uk_outs) if was else next(fv)
               for was, now in zip(split.out_unknowns, out_uk, strict=True) if now]
    unknown = Program((), (*res_vars, *forced_vars, *split.unknown.invars[split.num_res:]),
                      split.unknown.eqns, tuple(outvars), split.unknown.name)
    return known, split.known_consts, unknown, out_uk, split.num_res + len(forced)


# -- cond ---------------------------------------------------------------------


def _share_slots(res_avals: Sequence[Sequence[ShapedArray]]
                 ) -> tuple[list[ShapedArray], list[list[int]]]:
    """Residual slots shared by the branches: a branch's k-th residual of some
    type takes the k-th slot of that type, so the slots are the union (by
    shape and dtype) of what each branch keeps. Returns the slots' avals and,
    per branch, the slot of each of its residuals."""
    slots: list[ShapedArray] = []
    assign: list[list[int]] = []
    for avals in res_avals:
        used: set[int] = set()
        mine = []
        for a in avals:
            j = next((j for j, s in enumerate(slots)
                      if j not in used and s.strong() == a.strong()), None)
            if j is None:
                j = len(slots)
                slots.append(a.strong())
            used.add(j)
            mine.append(j)
        assign.append(mine)
    return slots, assign


def _cond_partial_eval(trace: PartialEvalTrace, args: Sequence[Any], *,
                       branches: tuple[Program, ...]) -> list[Any]:
    """The known part of every branch runs now as one cond, which also returns
    the residuals (in slots shared by all branches, zeros where a branch keeps
    nothing); the unknown part is staged as a cond on the same index."""
    index, ops = args[0], args[1:]
    if trace.is_unknown(index):     # nothing can be computed before the branch is known
        return trace.stage_eqn(P.cond_p, args, {"branches": branches})
    unknowns = tuple(trace.is_unknown(a) for a in ops)
    out_uk = tuple(any(col) for col in zip(
        *(partial_eval_program(b, unknowns).out_unknowns for b in branches), strict=True))

    def build() -> tuple[tuple[tuple[Program, ...], int, tuple[Program, ...], int], list[Any]]:
        splits = [_partial_eval_forced(b, unknowns, out_uk) for b in branches]
        slots, assign = _share_slots([[v.aval for v in s[2].invars[:s[4]]] for s in splits])
        in_avals = branches[0].in_avals
        known_avals = [a for a, u in zip(in_avals, unknowns, strict=True) if not u]
        unknown_avals = [a for a, u in zip(in_avals, unknowns, strict=True) if u]
        known_staged, unknown_staged = [], []
        for (known, kconsts, unknown, _, num_res), mine in zip(splits, assign, strict=True):
            def known_fun(*xs: Any, known: Program = known, kconsts: list[Any] = kconsts,
                          num_res: int = num_res, mine: list[int] = mine) -> list[Any]:
                outs = eval_program(known, [*kconsts, *xs])
                n = len(outs) - num_res
                filled: list[Any] = [None] * len(slots)
                for j, r in zip(mine, outs[n:], strict=True):
                    filled[j] = r
                return [*outs[:n], *(zeros(a) if r is None else r
                                     for a, r in zip(slots, filled, strict=True))]

            def unknown_fun(*xs: Any, unknown: Program = unknown,
                            mine: list[int] = mine) -> list[Any]:
                return eval_program(unknown, [*(xs[j] for j in mine), *xs[len(slots):]])

            known_staged.append(stage(known_fun, known_avals, f"{known.name}", "linearize"))
            unknown_staged.append(stage(unknown_fun, [*slots, *unknown_avals],
                                         f"{unknown.name}", "linearize"))
        kprogs, kconsts_all = join_branches(known_staged)
        uprogs, uconsts_all = join_branches(unknown_staged)
        return ((kprogs, len(kconsts_all), uprogs, len(slots)), [*kconsts_all, *uconsts_all])

    (kprogs, nk, uprogs, nslots), consts = cached_programs(("cond_pe", branches, unknowns), build)
    known_ops = [a for a, u in zip(ops, unknowns, strict=True) if not u]
    outs: list[Any] = []
    if kprogs[0].outvars or any(has_effects(k) for k in kprogs):
        with core.set_trace(trace.parent):
            outs = P.cond_p.bind(index, *consts[:nk], *known_ops, branches=kprogs)
    n_known = len(outs) - nslots
    unknown_outs: list[Any] = []
    if any(out_uk):
        unknown_ops = [a for a, u in zip(ops, unknowns, strict=True) if u]
        unknown_outs = trace.stage_eqn(P.cond_p, [index, *consts[nk:], *outs[n_known:],
                                                  *unknown_ops], {"branches": uprogs})
    return merge(out_uk, outs[:n_known], unknown_outs)


partial_eval_rules[P.cond_p] = _cond_partial_eval


# -- scan ---------------------------------------------------------------------


class ScanSplit:
    """A scan body split for reverse mode (see `_scan_partial_eval`).

    known: (known_consts, known consts, known carry, known x) -> (known carry,
    known ys, per-step residuals). invariant: (known_consts, known consts) ->
    the residuals that do not change from step to step, computed once before
    the loop. unknown: (invariant residuals, unknown consts, unknown carry,
    per-step residuals, unknown x) -> (unknown carry, unknown ys). Each
    per-step residual is either a stacked output of the known scan or, when it
    is an x itself, that known xs operand (`res_source`: -1, or the index of
    the known xs operand)."""

    __slots__ = ("known", "invariant", "unknown", "res_source", "out_uk")

    def __init__(self, known: Program, invariant: Program, unknown: Program,
                 res_source: list[int], out_uk: list[bool]):
        self.known = known
        self.invariant = invariant
        self.unknown = unknown
        self.res_source = res_source
        self.out_uk = out_uk


def _varying(program: Program, start: Sequence[Var]) -> set[int]:
    """Ids of the Vars of `program` that depend on any of `start`."""
    dep = {id(v) for v in start}
    for eqn in program.eqns:
        if any(type(a) is Var and id(a) in dep for a in eqn.inputs):
            dep.update(id(v) for v in eqn.outvars)
    return dep


def split_scan_body(body: Program, num_consts: int, num_carry: int, const_uk: tuple[bool, ...],
                    carry_uk: tuple[bool, ...], xs_uk: tuple[bool, ...]
                    ) -> tuple[ScanSplit, list[Any]]:
    """Split a scan body (a while body too: no xs) for reverse mode; returns the
    split and the known consts to pass before the known consts of the loop."""
    ny = len(body.outvars) - num_carry
    known, kconsts, unknown, out_uk, num_res = _partial_eval_forced(
        body, const_uk + carry_uk + xs_uk, carry_uk + (False,) * ny)
    nkc = len(kconsts) + sum(not u for u in const_uk)
    nkcarry = sum(not u for u in carry_uk)
    kc_vars, kcarry_vars, kx_vars = split_list(known.invars, nkc, nkcarry)
    n_known_out = len(known.outvars) - num_res
    res_outs = known.outvars[n_known_out:]
    # A residual computed from constants only is the same at every step: it is
    # computed once, not stacked. A residual that is an x is that xs operand.
    varying = _varying(known, [*kcarry_vars, *kx_vars])
    x_pos = {id(v): i for i, v in enumerate(kx_vars)}
    invariant_k = [k for k, r in enumerate(res_outs)
                   if not (type(r) is Var and id(r) in varying)]
    per_step_k = [k for k, r in enumerate(res_outs) if k not in set(invariant_k)]
    res_source = [x_pos.get(id(res_outs[k]), -1) for k in per_step_k]
    stacked = [res_outs[k] for k, s in zip(per_step_k, res_source, strict=True) if s < 0]
    known_body = dce_program(
        Program((), known.invars, known.eqns, (*known.outvars[:n_known_out], *stacked),
                known.name), [True] * (n_known_out + len(stacked)))
    inv = dce_program(Program((), known.invars, known.eqns,
                              tuple(res_outs[k] for k in invariant_k), known.name),
                      [True] * len(invariant_k), keep_effects=False)
    invariant = Program((), tuple(kc_vars), inv.eqns, inv.outvars, f"{body.name}_invariant")
    res_vars = unknown.invars[:num_res]
    uc_vars, ucarry_vars, ux_vars = split_list(unknown.invars[num_res:], sum(const_uk),
                                               sum(carry_uk))
    unknown = Program((), (*(res_vars[k] for k in invariant_k), *uc_vars, *ucarry_vars,
                           *(res_vars[k] for k in per_step_k), *ux_vars),
                      unknown.eqns, unknown.outvars, unknown.name)
    return ScanSplit(known_body, invariant, unknown, res_source, out_uk), kconsts


def _scan_partial_eval(trace: PartialEvalTrace, args: Sequence[Any], *, body: Program,
                       num_consts: int, num_carry: int, length: int, reverse: bool,
                       unroll: int) -> list[Any]:
    """Which carries are unknown is found by fixed point. The known part runs
    now as a scan that also stacks the per-step residuals as extra ys; the
    unknown part is staged as a scan over those residuals (and the unknown xs),
    with the loop-invariant residuals as its constants."""
    unknowns = [trace.is_unknown(a) for a in args]
    const_uk, init_uk, xs_uk = (tuple(x) for x in split_list(unknowns, num_consts, num_carry))
    carry_uk = carry_fixed_point(
        lambda c: partial_eval_program(body, const_uk + c + xs_uk).out_unknowns[:num_carry],
        init_uk)
    split, kconsts = cached_programs(
        ("scan_pe", body, num_consts, num_carry, const_uk, carry_uk, xs_uk),
        lambda: split_scan_body(body, num_consts, num_carry, const_uk, carry_uk, xs_uk))
    consts, init, xs = split_list(args, num_consts, num_carry)
    known_consts = [*kconsts, *(c for c, u in zip(consts, const_uk, strict=True) if not u)]
    known_init = [c for c, u in zip(init, carry_uk, strict=True) if not u]
    known_xs = [x for x, u in zip(xs, xs_uk, strict=True) if not u]
    params = {"length": length, "reverse": reverse, "unroll": unroll}
    with core.set_trace(trace.parent):
        outs: list[Any] = []
        if split.known.outvars or has_effects(split.known):
            outs = P.scan_p.bind(*known_consts, *known_init, *known_xs, body=split.known,
                                 num_consts=len(known_consts), num_carry=len(known_init),
                                 **params)
        invariant = eval_program(split.invariant, known_consts)
    n_stacked = sum(s < 0 for s in split.res_source)
    known_outs, stacked = outs[:len(outs) - n_stacked], iter(outs[len(outs) - n_stacked:])
    unknown_outs: list[Any] = []
    if split.unknown.outvars:
        per_step = [next(stacked) if s < 0 else known_xs[s] for s in split.res_source]
        uk_consts = [*invariant, *(c for c, u in zip(consts, const_uk, strict=True) if u)]
        uk_init = [c for c, u in zip(init, carry_uk, strict=True) if u]
        uk_xs = [*per_step, *(x for x, u in zip(xs, xs_uk, strict=True) if u)]
        unknown_outs = trace.stage_eqn(
            P.scan_p, [*uk_consts, *uk_init, *uk_xs],
            {"body": split.unknown, "num_consts": len(uk_consts), "num_carry": len(uk_init),
             **params})
    return merge(split.out_uk, known_outs, unknown_outs)


partial_eval_rules[P.scan_p] = _scan_partial_eval
