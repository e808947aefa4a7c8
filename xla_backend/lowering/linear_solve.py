"""Lowering rule of linear_solve: once lowered, a linear solve is a call of its
`solve` Program on the solve's constants and the right-hand side (matvec,
vecmat and transpose_solve matter only to the interpreters)."""
from __future__ import annotations

from funcgrad import primitives as P
from funcgrad.ir import Program
from funcgrad.xla_backend.lowering.emitter import LoweringContext, lowering_rules


def _linear_solve_lower(ctx: LoweringContext, *args: str, matvec: Program,
                        vecmat: Program | None, solve: Program, transpose_solve: Program | None,
                        const_lengths: tuple[int, int, int, int]) -> list[str]:
    n_mv, n_vm, n_s, _ = const_lengths
    start = n_mv + n_vm
    b = args[sum(const_lengths):]
    return ctx.call(solve, [*args[start:start + n_s], *b])


lowering_rules[P.linear_solve_p] = _linear_solve_lower
