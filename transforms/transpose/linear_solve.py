"""Transpose rule of linear_solve: it is linear in its right-hand side b.

``x = A^{-1} b`` transposes to ``ct_b = A^{-T} ct_x``: the same primitive with
the roles swapped (matvec <-> vecmat, solve <-> transpose_solve, and their
constants), bound on the cotangent of x. Cotangents of auxiliary outputs are
dropped (they carry no derivative).
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from funcgrad import primitives as P
from funcgrad.errors import UnsupportedError
from funcgrad.ir import Program
from funcgrad.transforms.programs import Zero, instantiate, is_undefined, split_list
from funcgrad.transforms.transpose.interpreter import transpose_rules


def _linear_solve_transpose(cts: Sequence[Any], *args: Any, matvec: Program,
                            vecmat: Program | None, solve: Program,
                            transpose_solve: Program | None,
                            const_lengths: tuple[int, int, int, int]) -> list[Any]:
    nc = sum(const_lengths)
    if any(is_undefined(c) for c in args[:nc]):
        raise UnsupportedError(
            "cannot transpose linear_solve (custom_linear_solve) with respect to the values "
            "its matvec or solve functions close over: it is linear only in its right-hand "
            "side b")
    n = len(args) - nc
    ct_x = cts[:n]
    if all(type(c) is Zero for c in ct_x):
        return [None] * len(args)
    if vecmat is None or transpose_solve is None:
        raise TypeError(
            "custom_linear_solve: reverse-mode differentiation (grad, vjp, linear_transpose) "
            "needs transpose_solve: pass transpose_solve=..., or symmetric=True when the "
            "linear map is symmetric (then solve serves as its own transpose)")
    mv, vm, s, ts = split_list(args[:nc], *const_lengths[:3])
    n_mv, n_vm, n_s, n_ts = const_lengths
    outs = P.linear_solve_p.bind(*vm, *mv, *ts, *s, *(instantiate(c) for c in ct_x),
                                 matvec=vecmat, vecmat=matvec, solve=transpose_solve,
                                 transpose_solve=solve, const_lengths=(n_vm, n_mv, n_ts, n_s))
    return [*(None for _ in range(nc)),
            *(ct if is_undefined(b) else None for b, ct in zip(args[nc:], outs[:n],
                                                               strict=True))]


transpose_rules[P.linear_solve_p] = _linear_solve_transpose
