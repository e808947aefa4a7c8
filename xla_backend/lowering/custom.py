"""Lowering rules of the primitives for user-defined derivatives and
rematerialisation: custom_jvp_call, custom_vjp_call, custom_lin, checkpoint
and name (the identity: a name matters only to checkpoint's policies).

Derivative rules matter only to the interpreters; once lowered, a custom_jvp or
custom_vjp call is a call of its primal Program. custom_lin, the linear map a
custom_vjp's `bwd` transposes, reaches this table when forward mode evaluates
it: it is a call of bwd's transpose, the Program its `bwd` param stages on first
use (the lowering only calls it; it knows nothing of how it is made).
checkpoint is a call that XLA must not merge with the forward pass.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from funcgrad import dtypes
from funcgrad import primitives as P
from funcgrad.core import ShapedArray, Tracer
from funcgrad.ir import Program, has_effects
from funcgrad.primitives.custom import CustomBwd
from funcgrad.xla_backend.lowering.emitter import (LoweringContext, compare, i64_array,
                                                   lowering_rules, scalar_text, tensor_type)


def _custom_jvp_call_lower(ctx: LoweringContext, *args: str, call: Program,
                           **rule_params: Any) -> list[str]:
    return ctx.call(call, args)


def _custom_vjp_call_lower(ctx: LoweringContext, *args: str, call: Program,
                           **rule_params: Any) -> list[str]:
    return ctx.call(call, args)


def _custom_lin_lower(ctx: LoweringContext, *args: str, num_res: int, bwd: CustomBwd,
                      out_avals: tuple[ShapedArray, ...]) -> list[str]:
    in_avals = [ctx.avals[a] for a in args]
    program, consts = bwd.tangent_program(in_avals[:num_res], in_avals[num_res:], out_avals)
    return ctx.call(program, [*(_array_constant(ctx, c) for c in consts), *args])


def _array_constant(ctx: LoweringContext, value: Any) -> str:
    """A constant the tangent map closes over (an array bwd reads), inline in the module."""
    if isinstance(value, Tracer):
        raise TypeError("a custom_vjp's bwd, transposed for forward mode, reads a traced "
                        "value that is not one of its residuals: return that value from fwd "
                        "as part of the residuals")
    x = np.asarray(value)
    aval = ShapedArray(x.shape, x.dtype)
    flat = x.reshape(-1)
    if flat.size == 0 or (flat == flat[0]).all():
        return ctx.constant(flat[0] if flat.size else 0, x.dtype, x.shape)
    text = _nested([scalar_text(v, x.dtype) for v in flat], x.shape)
    return ctx.op1("stablehlo.constant", [], aval, f"value = dense<{text}> : {tensor_type(aval)}")


def _nested(items: list[str], shape: tuple[int, ...]) -> str:
    if not shape:
        return items[0]
    step = len(items) // shape[0]
    return "[" + ", ".join(_nested(items[i * step:(i + 1) * step], shape[1:])
                           for i in range(shape[0])) + "]"


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
