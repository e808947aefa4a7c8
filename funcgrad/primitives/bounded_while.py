"""bounded_while: a call primitive holding a Program whose while loop stops within
`max_steps` steps, which makes the loop reverse-differentiable.

``bounded_while *args (program, name, max_steps, checkpoints)`` calls `program`.
Every while loop directly in `program` is promised to stop within `max_steps`
steps (funcgrad.control_flow counts them in the loop's condition). Forward mode,
vmap and lowering treat it as a call; reverse mode keeps `checkpoints` snapshots
of the loop's carry and recomputes each stretch between them on the way back
(transforms/partial_eval/bounded_while.py).
"""
from __future__ import annotations

from typing import Any

from funcgrad.core import Primitive, ShapedArray, shape_error

bounded_while_p = Primitive("bounded_while", multiple_results=True)


@bounded_while_p.def_abstract_eval
def _bounded_while_rule(*avals: ShapedArray, program: Any, name: str, max_steps: int,
                        checkpoints: int) -> list[ShapedArray]:
    if not (type(max_steps) is int and max_steps >= 1
            and type(checkpoints) is int and 1 <= checkpoints <= max_steps):
        raise shape_error("bounded_while", f"needs 1 <= checkpoints <= max_steps, got "
                          f"max_steps={max_steps!r}, checkpoints={checkpoints!r}")
    want = program.in_avals
    if [a.strong() for a in avals] != [a.strong() for a in want]:
        raise TypeError(f"bounded_while {name}: operands {[a.str_short() for a in avals]} do "
                        f"not match the program's inputs {[a.str_short() for a in want]}")
    return program.out_avals
