"""Partial-evaluation rule of bounded_while: reverse mode through a while loop
that stops within `max_steps` steps, keeping O(checkpoints + max_steps /
checkpoints) carries alive instead of one set of residuals per step.

The loop's body is split like a scan body (`split_scan_body`): a known step
(known carry -> next known carry and per-step residuals), the residuals that
are the same at every step, and an unknown step, linear in the unknown carry.
With K = ceil(max_steps / checkpoints) steps per segment:

- the known part runs now: the real loop (it stops when its condition does,
  or after max_steps steps), counting its steps n and writing its known carry
  into a buffer of snapshots every K steps. It is itself a bounded_while, so a
  reverse mode of the reverse mode (grad of grad) checkpoints it in turn.
- the unknown part is staged as a scan over the segments. A segment that
  starts at or after n is skipped (a `cond`); any other recomputes its K known
  steps from its snapshot with a scan that stacks their residuals, then runs
  the unknown step over them with a second scan. Steps at or after n leave the
  carry as it is.

Transposed (transforms/transpose), the segment scan runs from the last segment
to the first and, inside each, recomputes the K steps' residuals before
sweeping them backward: the snapshots and one segment's residuals are alive at
once, never all n steps'.

A step at or after n feeds the loop's initial carry to the body rather than
the carry the loop stopped at (where the body may not be defined, such as past
the end of an integration). Under vmap such a step is computed and selected
away, and its residuals meet a zero cotangent: they are finite whenever the
loop ran at least one step.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from funcgrad import core, dtypes, primitives as P
from funcgrad.core import ShapedArray
from funcgrad.errors import UnsupportedError
from funcgrad.ir import Literal, Program
from funcgrad.transforms.partial_eval.control import ScanSplit, split_scan_body
from funcgrad.transforms.partial_eval.interpreter import (PartialEvalTrace, dce_program,
                                                          partial_eval_program,
                                                          partial_eval_rules)
from funcgrad.transforms.programs import (cached_programs, carry_fixed_point, join_branches,
                                          merge, select, split_list, stage, strong_scalar,
                                          zeros)
from funcgrad.transforms.staging import eval_program, prune

_STEP = ShapedArray((), dtypes.int32, False)
_FLAG = ShapedArray((), dtypes.bool_, False)


def _i32(value: int) -> Literal:
    return strong_scalar(value, dtypes.int32)


def _segments(max_steps: int, checkpoints: int) -> tuple[int, int]:
    """(steps per segment, number of segments) for `checkpoints` snapshots."""
    per = math.ceil(max_steps / checkpoints)
    return per, math.ceil(max_steps / per)


def _bounded_while_partial_eval(trace: PartialEvalTrace, args: Sequence[Any], *,
                                program: Program, name: str, max_steps: int,
                                checkpoints: int) -> list[Any]:
    """Run the Program's equations under this trace, each while loop among them
    split by `_checkpointed_while` (the bound covers every loop of the Program)."""
    env: dict[int, Any] = {id(v): a for v, a in zip(program.invars, args, strict=True)}

    def read(a: Any) -> Any:
        return a if type(a) is Literal else env[id(a)]

    for eqn in program.eqns:
        ins = [read(a) for a in eqn.inputs]
        if eqn.prim is P.while_p and any(trace.is_unknown(x) for x in ins):
            outs = _checkpointed_while(trace, ins, max_steps, checkpoints, name, **eqn.params)
        else:
            out = eqn.prim.bind(*ins, **eqn.params)
            outs = list(out) if eqn.prim.multiple_results else [out]
        for v, o in zip(eqn.outvars, outs, strict=True):
            env[id(v)] = o
    return [read(a) for a in program.outvars]


partial_eval_rules[P.bounded_while_p] = _bounded_while_partial_eval


def _checkpointed_while(trace: PartialEvalTrace, args: Sequence[Any], max_steps: int,
                        checkpoints: int, name: str, *, cond_program: Program,
                        body_program: Program, cond_nconsts: int,
                        body_nconsts: int) -> list[Any]:
    cc, bc, init = split_list(args, cond_nconsts, body_nconsts)
    cc_uk = tuple(trace.is_unknown(a) for a in cc)
    bc_uk = tuple(trace.is_unknown(a) for a in bc)
    carry_uk = carry_fixed_point(
        lambda c: partial_eval_program(body_program, bc_uk + c).out_unknowns,
        [trace.is_unknown(a) for a in init])
    pred_split = partial_eval_program(cond_program, cc_uk + carry_uk)
    if pred_split.out_unknowns[0]:
        raise UnsupportedError(
            "reverse-mode differentiation of lax.while_loop: the loop's condition depends on "
            "a value being differentiated, so the steps to replay are not known. Make the "
            "condition read only values that are not differentiated (use "
            "lax.stop_gradient on those it reads).")
    nkc = sum(not u for u in carry_uk)
    split, kconsts = cached_programs(
        ("while_pe", body_program, body_nconsts, bc_uk, carry_uk),
        lambda: split_scan_body(body_program, body_nconsts, len(init), bc_uk, carry_uk, ()))
    pred = dce_program(pred_split.known, [True] + [False] * pred_split.num_res)
    known_cc = [*pred_split.known_consts, *(c for c, u in zip(cc, cc_uk, strict=True) if not u)]
    known_bc = [*kconsts, *(c for c, u in zip(bc, bc_uk, strict=True) if not u)]
    known_init = [x for x, u in zip(init, carry_uk, strict=True) if not u]
    differentiated = bool(split.unknown.outvars)
    per, nseg = _segments(max_steps, checkpoints)
    forward, fconsts = cached_programs(
        ("while_pe_forward", pred, split.known, nkc, max_steps, checkpoints, differentiated),
        lambda: _forward_program(pred, split.known, nkc, per, nseg, max_steps, differentiated,
                                 name))
    with core.set_trace(trace.parent):
        outs = P.bounded_while_p.bind(*fconsts, *known_cc, *known_bc, *known_init,
                                      program=forward, name=f"{name}_forward",
                                      max_steps=max_steps, checkpoints=checkpoints)
    n, known_out, snaps = split_list(outs, 1, nkc)
    if not differentiated:
        return merge(carry_uk, known_out, [])
    with core.set_trace(trace.parent):
        invariant = eval_program(split.invariant, known_bc)
    segment, sconsts = cached_programs(
        ("while_pe_segment", split, len(known_bc), nkc, per),
        lambda: _segment_program(split, len(known_bc), nkc, per, name))
    unknown_bc = [c for c, u in zip(bc, bc_uk, strict=True) if u]
    unknown_init = [x for x, u in zip(init, carry_uk, strict=True) if u]
    consts = [*sconsts, *n, *known_bc, *invariant, *known_init, *unknown_bc]
    unknown_out = trace.stage_eqn(
        P.scan_p, [*consts, *unknown_init, *snaps],
        {"body": segment, "num_consts": len(consts), "num_carry": len(unknown_init),
         "length": nseg, "reverse": False, "unroll": 1})
    return merge(split.out_uk, known_out, unknown_out)


def _forward_program(pred: Program, step: Program, nkc: int, per: int, nseg: int,
                     max_steps: int, snapshots: bool, name: str) -> tuple[Program, list[Any]]:
    """(known cond consts, known body consts, known init) -> (steps taken, final
    known carry, then with `snapshots` the carry at the start of each segment,
    and each segment's first step). The carry is written every `per` steps; a
    step that starts no segment writes a spare row, sliced off at the end."""
    n_cc, n_bc = len(pred.invars) - nkc, len(step.invars) - nkc
    cc_avals, kc_avals = pred.in_avals[:n_cc], pred.in_avals[n_cc:]
    bc_avals = step.in_avals[:n_bc]
    buf_avals = [a.update(shape=(nseg + 1, *a.shape), weak_type=False)
                 for a in kc_avals] if snapshots else []
    carry_step = dce_program(step, [True] * nkc + [False] * (len(step.outvars) - nkc))

    def cond_fun(*xs: Any) -> list[Any]:
        cc, (i,), kc, _ = split_list(xs, n_cc, 1, nkc)
        (p,) = eval_program(pred, [*cc, *kc])
        return [P.and_p.bind(P.lt_p.bind(i, _i32(max_steps)), p)]

    def body_fun(*xs: Any) -> list[Any]:
        bc, (i,), kc, bufs = split_list(xs, n_bc, 1, nkc)
        if snapshots:
            starts = P.eq_p.bind(P.rem_p.bind(i, _i32(per)), _i32(0))
            row = select(starts, _i32(nseg), P.div_p.bind(i, _i32(per)))
            bufs = [P.dynamic_update_slice_p.bind(
                        b, P.reshape_p.bind(c, new_sizes=(1, *a.shape)), row,
                        *(_i32(0) for _ in a.shape))
                    for b, c, a in zip(bufs, kc, kc_avals, strict=True)]
        new = eval_program(carry_step, [*bc, *kc])
        return [P.add_p.bind(i, _i32(1)), *new, *bufs]

    loop_avals = [_STEP, *kc_avals, *buf_avals]
    cprog, cconsts = stage(cond_fun, [*cc_avals, *loop_avals], f"{name}_cond", "linearize")
    bprog, bconsts = stage(body_fun, [*bc_avals, *loop_avals], f"{name}_body", "linearize")

    def forward(*xs: Any) -> list[Any]:
        cc, bc, init = split_list(xs, n_cc, n_bc)
        outs = P.while_p.bind(*cconsts, *cc, *bconsts, *bc, _i32(0), *init,
                              *(zeros(a) for a in buf_avals), cond_program=cprog,
                              body_program=bprog, cond_nconsts=len(cconsts) + n_cc,
                              body_nconsts=len(bconsts) + n_bc)
        (n,), kc, bufs = split_list(outs, 1, nkc)
        snaps = [P.slice_p.bind(b, start_indices=(0,) * a.ndim,
                                limit_indices=(nseg, *a.shape[1:]), strides=(1,) * a.ndim)
                 for b, a in zip(bufs, buf_avals, strict=True)]
        if snapshots:
            first = P.iota_p.bind(dtype=dtypes.int32, shape=(nseg,), dimension=0)
            snaps.append(P.mul_p.bind(first, _i32(per)))
        return [n, *kc, *snaps]

    return stage(forward, [*cc_avals, *bc_avals, *kc_avals], f"{name}_forward", "linearize")


def _segment_program(split: ScanSplit, n_kbc: int, nkc: int, per: int,
                     name: str) -> tuple[Program, list[Any]]:
    """The body of the scan over segments: (steps taken, known body consts,
    invariant residuals, initial known carry, unknown body consts; unknown carry;
    snapshot, first step) -> unknown carry after the segment's steps."""
    known_step = prune(split.known, keep_effects=False)     # a replay: no callbacks
    lin_step = split.unknown
    n_inv = len(split.invariant.outvars)
    kbc_avals = known_step.in_avals[:n_kbc]
    kc_avals = known_step.in_avals[n_kbc:]
    res_avals = known_step.out_avals[nkc:]
    n_ubc = len(lin_step.invars) - n_inv - len(lin_step.outvars) - len(res_avals)
    inv_avals, ubc_avals, uc_avals = split_list(lin_step.in_avals, n_inv, n_ubc,
                                                len(lin_step.outvars))[:3]
    nuc, nres = len(uc_avals), len(res_avals)

    def known_fun(*xs: Any) -> list[Any]:
        (n,), kbc, safe, (i,), kc = split_list(xs, 1, n_kbc, nkc, 1)
        active = P.lt_p.bind(i, n)
        kc_in = [select(active, s, c) for s, c in zip(safe, kc, strict=True)]
        outs = eval_program(known_step, [*kbc, *kc_in])
        new = [select(active, c, x) for c, x in zip(kc, outs[:nkc], strict=True)]
        return [P.add_p.bind(i, _i32(1)), *new, *outs[nkc:], active]

    kprog, kconsts = stage(known_fun, [_STEP, *kbc_avals, *kc_avals, _STEP, *kc_avals],
                           f"{name}_replay", "linearize")

    def lin_fun(*xs: Any) -> list[Any]:
        inv, ubc, uc, res, (active,) = split_list(xs, n_inv, n_ubc, nuc, nres)
        new = eval_program(lin_step, [*inv, *ubc, *uc, *res])
        return [select(active, u, w) for u, w in zip(uc, new, strict=True)]

    lprog, lconsts = stage(lin_fun, [*inv_avals, *ubc_avals, *uc_avals, *res_avals, _FLAG],
                           f"{name}_linear", "linearize")
    seg_avals = [_STEP, *kbc_avals, *inv_avals, *kc_avals, *ubc_avals, *uc_avals, *kc_avals,
                 _STEP]

    def run(*xs: Any) -> list[Any]:
        (n,), kbc, inv, safe, ubc, uc, snap, (first,) = split_list(
            xs, 1, n_kbc, n_inv, nkc, n_ubc, nuc, nkc)
        outs = P.scan_p.bind(*kconsts, n, *kbc, *safe, first, *snap, body=kprog,
                             num_consts=len(kconsts) + 1 + n_kbc + nkc, num_carry=1 + nkc,
                             length=per, reverse=False, unroll=1)
        return P.scan_p.bind(*lconsts, *inv, *ubc, *uc, *outs[1 + nkc:], body=lprog,
                             num_consts=len(lconsts) + n_inv + n_ubc, num_carry=nuc,
                             length=per, reverse=False, unroll=1)

    def skip(*xs: Any) -> list[Any]:
        return list(xs[1 + n_kbc + n_inv + nkc + n_ubc:][:nuc])

    branches, bconsts = join_branches([stage(skip, seg_avals, f"{name}_skip", "linearize"),
                                       stage(run, seg_avals, f"{name}_segment", "linearize")])

    def segment(*xs: Any) -> list[Any]:
        runs = P.lt_p.bind(xs[-1], xs[0])       # the segment starts before the loop stopped
        return P.cond_p.bind(runs, *bconsts, *xs, branches=branches)

    return stage(segment, seg_avals, f"{name}_segments", "linearize")

