"""Lowering of the barriers. optimization_barrier: one
``stablehlo.optimization_barrier`` over all its operands, so they are ordered and
optimized as one group. dce_sink: nothing; its work (keeping the computation of
its operand in the program) is done before lowering."""
from __future__ import annotations

from funcgrad import primitives as P
from funcgrad.xla_backend.lowering.emitter import LoweringContext, lowering_rules


def _optimization_barrier_lower(ctx: LoweringContext, *operands: str) -> list[str]:
    if not operands:
        return []
    return ctx.op("stablehlo.optimization_barrier", list(operands), ctx.avals_out)


lowering_rules[P.optimization_barrier_p] = _optimization_barrier_lower


def _dce_sink_lower(ctx: LoweringContext, x: str) -> list[str]:
    return []


lowering_rules[P.dce_sink_p] = _dce_sink_lower
