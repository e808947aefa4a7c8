"""Partial-evaluation rule of linear_solve.

Linearization binds linear_solve on a known matrix (its constants) and an
unknown right-hand side (the tangent): such an equation is linear in what is
unknown, so it is staged whole, the known constants becoming residuals. The
primal solve is never split: its Programs are not looked into.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from funcgrad import primitives as P
from funcgrad.ir import Program
from funcgrad.transforms.partial_eval.interpreter import PartialEvalTrace, partial_eval_rules


def _linear_solve_partial_eval(trace: PartialEvalTrace, args: Sequence[Any], *,
                               matvec: Program, vecmat: Program | None, solve: Program,
                               transpose_solve: Program | None,
                               const_lengths: tuple[int, int, int, int]) -> list[Any]:
    params = {"matvec": matvec, "vecmat": vecmat, "solve": solve,
              "transpose_solve": transpose_solve, "const_lengths": const_lengths}
    return list(trace.stage_eqn(P.linear_solve_p, args, params))


partial_eval_rules[P.linear_solve_p] = _linear_solve_partial_eval
