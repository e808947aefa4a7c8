"""Lowering rule of bounded_while: the bound and the checkpoint count matter only
to reverse mode, so once lowered it is a call of its Program."""
from __future__ import annotations

from funcgrad import primitives as P
from funcgrad.ir import Program
from funcgrad.xla_backend.lowering.emitter import LoweringContext, lowering_rules


def _bounded_while_lower(ctx: LoweringContext, *args: str, program: Program, name: str,
                         max_steps: int, checkpoints: int) -> list[str]:
    return ctx.call(program, args)


lowering_rules[P.bounded_while_p] = _bounded_while_lower
