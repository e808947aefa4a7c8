"""Batching rule of linear_solve: its four Programs batched over the same axis.

x and b share one layout: a vector leaf is batched (at axis 0) when b's leaf
is, or when any of matvec, solve, vecmat or transpose_solve makes it so from
batched constants (a batched matrix gives a batched solution). That layout is
the least fixed point of "batched" over the four Programs; b is broadcast where
it is batched only through the matrix. Constants keep their own layout (batch
axis moved to 0, or unbatched).
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from funcgrad import primitives as P
from funcgrad.ir import Program
from funcgrad.transforms.batching.interpreter import (BatchAxis, Dim, axis_rule, batch_program,
                                                      move_bdim)
from funcgrad.transforms.programs import carry_fixed_point, split_list


def _dims(batched: Sequence[bool]) -> tuple[Dim, ...]:
    return tuple(0 if b else None for b in batched)


def _linear_solve_batch(axis: BatchAxis, args: Sequence[Any], dims: Sequence[Dim], *,
                        matvec: Program, vecmat: Program | None, solve: Program,
                        transpose_solve: Program | None,
                        const_lengths: tuple[int, int, int, int]) -> tuple[list[Any], list[Dim]]:
    size = axis.size
    moved = [a if d is None else move_bdim(a, d, 0, size) for a, d in zip(args, dims,
                                                                         strict=True)]
    nc = sum(const_lengths)
    n = len(args) - nc
    const_dims = [tuple(g) for g in split_list(_dims([d is not None for d in dims[:nc]]),
                                              *const_lengths[:3])]
    programs = (matvec, vecmat, solve, transpose_solve)

    def step(vec: tuple[bool, ...]) -> list[bool]:
        out = [False] * n
        for prog, cd in zip(programs, const_dims, strict=True):
            if prog is None:
                continue
            _, _, out_dims = batch_program(prog, cd + _dims(vec), axis)
            out = [o or d is not None for o, d in zip(out, out_dims[:n], strict=True)]
        return out

    vec_b = carry_fixed_point(step, [d is not None for d in dims[nc:]])
    vec_dims = _dims(vec_b)
    batched: list[Program | None] = []
    consts: list[list[Any]] = []
    solve_dims: list[Dim] = []
    for prog, cd in zip(programs, const_dims, strict=True):
        if prog is None:
            batched.append(None)
            consts.append([])
            continue
        force = vec_b + (False,) * (len(prog.outvars) - n)
        bprog, bconsts, out_dims = batch_program(prog, cd + vec_dims, axis, force)
        batched.append(bprog)
        consts.append(bconsts)
        if prog is solve:
            solve_dims = list(out_dims)
    groups = split_list(moved[:nc], *const_lengths[:3])
    b = [move_bdim(x, None, 0, size) if want and d is None else x
         for x, d, want in zip(moved[nc:], dims[nc:], vec_b, strict=True)]
    operands = [v for c, g in zip(consts, groups, strict=True) for v in (*c, *g)]
    outs = P.linear_solve_p.bind(
        *operands, *b, matvec=batched[0], vecmat=batched[1], solve=batched[2],
        transpose_solve=batched[3],
        const_lengths=tuple(len(c) + k for c, k in zip(consts, const_lengths, strict=True)))
    return list(outs), [*vec_dims, *solve_dims[n:]]


axis_rule(P.linear_solve_p, _linear_solve_batch)
