"""Lowering rules of the primitives for user-defined derivatives and
rematerialisation: custom_jvp_call, custom_vjp_call, custom_lin, checkpoint
and name (the identity: a name matters only to checkpoint's policies).

Derivative rules matter only to the interpreters; once lowered, a custom_jvp or
custom_vjp call is a call of its primal Program. custom_lin, the linear map a
custom_vjp's `bwd` transposes, can only be transposed: reaching this table means
forward mode was asked of a custom_vjp function, so its rule raises the error
that says so. checkpoint is a call that XLA must not merge with the forward
pass.
"""
from __future__ import annotations

from typing import Any

from funcgrad import dtypes
from funcgrad import primitives as P
from funcgrad.ir import Program, has_effects
from funcgrad.xla_backend.lowering.emitter import (LoweringContext, compare, i64_array,
                                                   lowering_rules)


def _custom_jvp_call_lower(ctx: LoweringContext, *args: str, call: Program,
                           **rule_params: Any) -> list[str]:
    return ctx.call(call, args)


def _custom_vjp_call_lower(ctx: LoweringContext, *args: str, call: Program,
                           **rule_params: Any) -> list[str]:
    return ctx.call(call, args)


def _custom_lin_lower(ctx: LoweringContext, *args: str, **params: Any) -> list[str]:
    raise TypeError("cannot apply forward-mode differentiation (jvp, jacfwd, linearize "
                    "evaluation) to a function decorated with fg.custom_vjp: it only defines "
                    "reverse mode. Use fg.grad / fg.vjp / fg.jacrev, or define the rule with "
                    "fg.custom_jvp instead.")


def _checkpoint_lower(ctx: LoweringContext, *args: str, program: Program, name: str,
                      prevent_cse: bool, policy: Any) -> list[str]:
    floats = [a for a in args if dtypes.is_inexact(ctx.avals[a].dtype) and ctx.avals[a].size]
    if not (prevent_cse and floats and program.outvars) or has_effects(program):
        return ctx.call(program, args)
    # Keep XLA from merging a recomputation with the forward pass (which would
    # keep the forward values alive and undo the saving): run the body inside a
    # conditional on a predicate XLA cannot fold (x == x is false for NaN).
    # Both branches compute the same, so the result never depends on it. An
    # optimization_barrier alone does not survive XLA:CPU's pipeline.
    x = floats[-1]
    xa = ctx.avals[x]
    first = ctx.op1("stablehlo.slice", [x], xa.update(shape=(1,) * xa.ndim),
                    f"start_indices = {i64_array([0] * xa.ndim)}, limit_indices = "
                    f"{i64_array([1] * xa.ndim)}, strides = {i64_array([1] * xa.ndim)}")
    first = ctx.op1("stablehlo.reshape", [first], xa.update(shape=()))
    pred = compare(ctx, "EQ", first, first)
    regions = [ctx.region([], lambda: ctx.call(program, args)) for _ in range(2)]
    return ctx.op("stablehlo.if", [pred], program.out_avals, regions=regions)


def _name_lower(ctx: LoweringContext, x: str, *, name: Any) -> list[str]:
    return [x]


lowering_rules.update({
    P.custom_jvp_call_p: _custom_jvp_call_lower, P.custom_vjp_call_p: _custom_vjp_call_lower,
    P.custom_lin_p: _custom_lin_lower, P.checkpoint_p: _checkpoint_lower,
    P.name_p: _name_lower,
})
