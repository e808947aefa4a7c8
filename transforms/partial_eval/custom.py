"""Partial-evaluation rule of checkpoint: rematerialise instead of keeping residuals."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from funcgrad import core, primitives as P
from funcgrad.ir import Program
from funcgrad.transforms.partial_eval.interpreter import (PartialEvalTrace, partial_eval_rules,
                                                          remat_split)
from funcgrad.transforms.programs import merge


def _checkpoint_partial_eval(trace: PartialEvalTrace, args: Sequence[Any], *,
                             program: Program, name: str, prevent_cse: bool) -> list[Any]:
    """Known outputs are computed now without keeping residuals; the unknown
    part is staged as a checkpoint that takes the known *inputs* and recomputes
    from them what it needs."""
    unknowns = [trace.is_unknown(a) for a in args]
    known, unknown, consts, out_unknowns = remat_split(program, unknowns)
    params = {"name": name, "prevent_cse": prevent_cse}
    known_outs: list[Any] = []
    if known.outvars:
        known_args = [a for a, u in zip(args, unknowns, strict=True) if not u]
        with core.set_trace(trace.parent):
            known_outs = P.checkpoint_p.bind(*consts, *known_args, program=known, **params)
    unknown_outs = trace.stage_eqn(P.checkpoint_p, [*consts, *args],
                                   {"program": unknown, **params})
    return merge(out_unknowns, known_outs, unknown_outs)


partial_eval_rules[P.checkpoint_p] = _checkpoint_partial_eval
