"""The linear solve with implicitly defined derivatives (funcgrad.lax.custom_linear_solve).

``linear_solve *matvec_consts *vecmat_consts *solve_consts *transpose_solve_consts *b``
returns ``solve(b)`` (then the solve's auxiliary outputs, if any). It carries
four Programs, each with the values it closed over as leading operands
(`const_lengths` counts them, in that order):

- `matvec`: x -> A x, the linear map the solve inverts;
- `solve`: b -> x (+ aux) with ``matvec(x) == b``;
- `vecmat`: y -> A^T y, and `transpose_solve`: b -> x (+ aux) with
  ``vecmat(x) == b``. Both are None when no transpose solve was given (then the
  primitive cannot be transposed, so reverse mode is unavailable).

x and b have the same avals. The interpreters never look inside `solve`: its
derivative is another solve (implicit differentiation), and the primitive is
linear in b, with the transposed solve as its transpose.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from funcgrad.core import Primitive, ShapedArray, shape_error


def _avals_str(avals: Sequence[ShapedArray]) -> str:
    return "(" + ", ".join(a.str_short() for a in avals) + ")"


def _same_strong(a: Sequence[ShapedArray], b: Sequence[ShapedArray]) -> bool:
    return len(a) == len(b) and all(x.strong() == y.strong() for x, y in zip(a, b, strict=True))


linear_solve_p = Primitive("linear_solve", multiple_results=True)


@linear_solve_p.def_abstract_eval
def _linear_solve_rule(*args: ShapedArray, matvec: Any, vecmat: Any, solve: Any,
                       transpose_solve: Any,
                       const_lengths: tuple[int, int, int, int]) -> list[ShapedArray]:
    if len(const_lengths) != 4 or any(n < 0 for n in const_lengths):
        raise shape_error("linear_solve", f"const_lengths must be four counts, got "
                          f"{const_lengths}")
    if (vecmat is None) != (transpose_solve is None):
        raise shape_error("linear_solve", "vecmat and transpose_solve come together (both "
                          "Programs, or both None)")
    n_consts = sum(const_lengths)
    if len(args) < n_consts:
        raise shape_error("linear_solve", f"expects at least {n_consts} operands (the "
                          f"constants), got {len(args)}")
    b = args[n_consts:]
    start = 0
    for name, prog, n in zip(("matvec", "vecmat", "solve", "transpose_solve"),
                             (matvec, vecmat, solve, transpose_solve), const_lengths,
                             strict=True):
        consts = args[start:start + n]
        start += n
        if prog is None:
            if n:
                raise shape_error("linear_solve", f"{n} constants for an absent {name}")
            continue
        if not _same_strong(prog.in_avals, (*consts, *b)):
            raise TypeError(f"linear_solve: {name} takes {_avals_str(prog.in_avals)} but gets "
                            f"{_avals_str((*consts, *b))}")
        outs = prog.out_avals
        linear_map = name in ("matvec", "vecmat")
        if (len(outs) != len(b) if linear_map else len(outs) < len(b)) or \
                not _same_strong(outs[:len(b)], b):
            raise TypeError(f"linear_solve: {name} returns {_avals_str(outs)}, but the "
                            f"vectors are {_avals_str(b)}")
    return [a.strong() for a in solve.out_avals]
