"""Lowering rules of the control primitives: jit -> a call of a private function,
cond -> `stablehlo.if`/`stablehlo.case`, while -> `stablehlo.while`, scan ->
`stablehlo.while` over a step counter.

A jit call's Program becomes one private function of the module, emitted once
however often it is called. The other sub-Programs are lowered inline into the
op's regions. Regions capture the values they read from the enclosing function
implicitly (StableHLO allows it for if, case and while), so a body's
closed-over operands are not threaded through the loop state.

A sub-Program with effects (host callbacks) threads the effect token: a loop
carries it as the first element of its state, a conditional's branches read
the enclosing one and return their last one first, so callbacks run in the
order the program was written.

Invariant: a rule reads ``ctx.avals_in``/``ctx.avals_out`` before it builds a
region, because lowering the region's equations overwrites them.
"""
from __future__ import annotations

from collections.abc import Sequence

from funcgrad import dtypes
from funcgrad import primitives as P
from funcgrad.core import ShapedArray
from funcgrad.ir import Program, has_effects
from funcgrad.xla_backend.lowering.emitter import (TOKEN, LoweringContext, compare, i64_array,
                                                   lowering_rules)

_I32 = ShapedArray((), dtypes.int32)
_I64 = ShapedArray((), dtypes.int64)


def _jit_lower(ctx: LoweringContext, *args: str, program: Program, name: str) -> list[str]:
    return ctx.call(program, args)


def _inline(ctx: LoweringContext, program: Program, args: Sequence[str]) -> list[str]:
    """Lower `program`'s equations in the current block (a region's body)."""
    return ctx.lower_eqns(program, list(args))


def _cond_lower(ctx: LoweringContext, index: str, *ops: str,
                branches: tuple[Program, ...]) -> list[str]:
    out_avals = list(ctx.avals_out)
    index_aval = ctx.avals_in[0]
    effects = any(has_effects(b) for b in branches)
    if not out_avals and not effects:        # no results and no side effects: nothing to run
        return []
    if effects:
        ctx.effect_token()
        out_avals = [TOKEN, *out_avals]
    if index_aval.dtype == dtypes.bool_:
        regions = [ctx.region([], lambda b=b: _inline(ctx, b, ops), token_result=effects)
                   for b in (branches[1], branches[0])]
        return _untoken(ctx, ctx.op("stablehlo.if", [index], out_avals, regions=regions),
                        effects)
    # StableHLO's case runs the last branch for any out-of-range index; JAX (and
    # funcgrad) clamp, so a negative index picks branch 0.
    lo = ctx.constant(0, dtypes.int32)
    hi = ctx.constant(len(branches) - 1, dtypes.int32)
    index = ctx.op1("stablehlo.clamp", [lo, index, hi], _I32)
    regions = [ctx.region([], lambda b=b: _inline(ctx, b, ops), token_result=effects)
               for b in branches]
    return _untoken(ctx, ctx.op("stablehlo.case", [index], out_avals, regions=regions), effects)


def _untoken(ctx: LoweringContext, outs: list[str], effects: bool) -> list[str]:
    """An op's results without its leading effect token, which becomes the current one."""
    if not effects:
        return outs
    ctx.token, *rest = outs
    return rest


def _while_lower(ctx: LoweringContext, *args: str, cond_program: Program,
                 body_program: Program, cond_nconsts: int, body_nconsts: int) -> list[str]:
    out_avals = list(ctx.avals_out)
    effects = has_effects(cond_program) or has_effects(body_program)
    if not out_avals and not effects:
        return []
    cconsts = args[:cond_nconsts]
    bconsts = args[cond_nconsts:cond_nconsts + body_nconsts]
    init = list(args[cond_nconsts + body_nconsts:])
    state = [ctx.effect_token(), *init] if effects else init
    cond_region = ctx.region(out_avals, lambda *c: _inline(ctx, cond_program, [*cconsts, *c]),
                             token_arg=effects)
    body_region = ctx.region(out_avals, lambda *c: _inline(ctx, body_program, [*bconsts, *c]),
                             token_arg=effects, token_result=effects)
    outs = ctx.op("stablehlo.while", state, [TOKEN, *out_avals] if effects else out_avals,
                  regions=[cond_region, body_region])
    return _untoken(ctx, outs, effects)


def _scan_lower(ctx: LoweringContext, *args: str, body: Program, num_consts: int,
                num_carry: int, length: int, reverse: bool, unroll: int) -> list[str]:
    in_avals = list(ctx.avals_in)
    out_avals = list(ctx.avals_out)
    consts = args[:num_consts]
    init = list(args[num_consts:num_consts + num_carry])
    xs = args[num_consts + num_carry:]
    x_avals = in_avals[num_consts + num_carry:]
    carry_avals = out_avals[:num_carry]
    ys_avals = out_avals[num_carry:]
    zeros = [ctx.constant(0, a.dtype, a.shape) for a in ys_avals]
    if length == 0:
        return [*init, *zeros]

    def step(i: str, carry: Sequence[str], ys: Sequence[str]) -> tuple[list[str], list[str]]:
        """One scan step at counter `i` (an i64 value): the new carry and ys."""
        idx = i
        if reverse:
            idx = ctx.op1("stablehlo.subtract", [ctx.constant(length - 1, dtypes.int64), i], _I64)
        zero = ctx.constant(0, dtypes.int64)
        x_slices = []
        for x, a in zip(xs, x_avals, strict=True):
            rest = a.shape[1:]
            sl = ctx.op1("stablehlo.dynamic_slice", [x, idx, *[zero] * len(rest)],
                         a.update(shape=(1, *rest)), f"slice_sizes = {i64_array((1, *rest))}")
            x_slices.append(ctx.op1("stablehlo.reshape", [sl], a.update(shape=rest)))
        outs = _inline(ctx, body, [*consts, *carry, *x_slices])
        new_ys = []
        for y, buf, a in zip(outs[num_carry:], ys, ys_avals, strict=True):
            rest = a.shape[1:]
            y = ctx.op1("stablehlo.reshape", [y], a.update(shape=(1, *rest)))
            new_ys.append(ctx.op1("stablehlo.dynamic_update_slice",
                                  [buf, y, idx, *[zero] * len(rest)], a))
        return outs[:num_carry], new_ys

    trips, rem = divmod(length, unroll)
    carry, ys = init, zeros
    if trips == 1:           # one iteration of `unroll` steps: no loop at all
        rem += unroll
        trips = 0
    if trips:
        state_avals = [_I64, *carry_avals, *ys_avals]
        effects = has_effects(body)

        def cond_body(i: str, *_: str) -> list[str]:
            return [compare(ctx, "LT", i, ctx.constant(trips * unroll, dtypes.int64))]

        def loop_body(i: str, *state: str) -> list[str]:
            c, y = list(state[:num_carry]), list(state[num_carry:])
            for _ in range(unroll):
                c, y = step(i, c, y)
                i = ctx.op1("stablehlo.add", [i, ctx.constant(1, dtypes.int64)], _I64)
            return [i, *c, *y]

        regions = [ctx.region(state_avals, cond_body, token_arg=effects),
                   ctx.region(state_avals, loop_body, token_arg=effects, token_result=effects)]
        state = [ctx.constant(0, dtypes.int64), *carry, *ys]
        if effects:
            state = [ctx.effect_token(), *state]
        res = _untoken(ctx, ctx.op("stablehlo.while", state,
                                   [TOKEN, *state_avals] if effects else state_avals,
                                   regions=regions), effects)
        carry, ys = res[1:1 + num_carry], res[1 + num_carry:]
    for k in range(trips * unroll, length):     # the remainder, straight-line
        carry, ys = step(ctx.constant(k, dtypes.int64), carry, ys)
    return [*carry, *ys]


lowering_rules.update({
    P.jit_p: _jit_lower, P.cond_p: _cond_lower, P.while_p: _while_lower, P.scan_p: _scan_lower,
})
