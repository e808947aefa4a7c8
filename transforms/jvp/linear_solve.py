"""JVP rule of linear_solve (funcgrad.lax.custom_linear_solve): implicit differentiation.

From ``A x = b``: ``dA x + A dx = db``, so ``dx = A^{-1} (db - dA x)``, which is
the same primitive bound again on the tangent right-hand side (with the same
constants). The tangent of A is the tangent of `matvec` with respect to its
constants, at the solution. The constants of `solve` and `transpose_solve`
only say *how* to solve: their tangents do not enter, so the solver's
iterations are never differentiated. Auxiliary outputs get zero tangents.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from funcgrad import primitives as P
from funcgrad.ir import Program
from funcgrad.transforms.jvp.interpreter import jvp_call, jvp_rules
from funcgrad.transforms.programs import Zero, aval, instantiate, neg, sub, tangent_aval
from funcgrad.transforms.staging import eval_program


def _minus(b_dot: Any, a_dot: Any) -> Any:
    if type(a_dot) is Zero:
        return b_dot
    if type(b_dot) is Zero:
        return neg(a_dot)
    return sub(b_dot, a_dot)


def _linear_solve_jvp(primals: Sequence[Any], tangents: Sequence[Any], *, matvec: Program,
                      vecmat: Program | None, solve: Program,
                      transpose_solve: Program | None,
                      const_lengths: tuple[int, int, int, int]) -> tuple[Any, Any]:
    params = {"matvec": matvec, "vecmat": vecmat, "solve": solve,
              "transpose_solve": transpose_solve, "const_lengths": const_lengths}
    nc = sum(const_lengths)
    n_mv = const_lengths[0]
    consts = list(primals[:nc])
    outs = P.linear_solve_p.bind(*primals, **params)
    n = len(primals) - nc
    x = list(outs[:n])
    rhs = list(tangents[nc:])
    mv_dot = tangents[:n_mv]
    if any(type(t) is not Zero for t in mv_dot):
        # dA x: matvec's tangent with respect to its constants, at x
        _, ax_dot = jvp_call(lambda *xs: eval_program(matvec, xs), [*consts[:n_mv], *x],
                             [*mv_dot, *(Zero(tangent_aval(aval(v))) for v in x)])
        rhs = [_minus(r, t) for r, t in zip(rhs, ax_dot, strict=True)]
    aux_zeros = [Zero(tangent_aval(aval(o))) for o in outs[n:]]
    if all(type(r) is Zero for r in rhs):
        return outs, [*(Zero(tangent_aval(aval(v))) for v in x), *aux_zeros]
    dx = P.linear_solve_p.bind(*consts, *(instantiate(r) for r in rhs), **params)
    return outs, [*dx[:n], *aux_zeros]


jvp_rules[P.linear_solve_p] = _linear_solve_jvp
