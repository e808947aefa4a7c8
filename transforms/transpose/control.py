"""Transpose rules of the control-flow primitives: jit (a call), cond, scan.

A cond transposes to a cond of the transposed branches; a scan to a scan in
the opposite direction over the transposed body, carrying the carries'
cotangents and accumulating those of the linear constants.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from funcgrad import primitives as P
from funcgrad.errors import UnsupportedError
from funcgrad.ir import Program
from funcgrad.transforms.programs import (Zero, add_tangents, cached_programs, instantiate,
                                          is_undefined, join_branches, split_list, stage,
                                          tangent_aval, zeros)
from funcgrad.transforms.staging import eval_program
from funcgrad.transforms.transpose.interpreter import (call_transpose, transpose_program,
                                                       transpose_rules)


transpose_rules[P.jit_p] = call_transpose(P.jit_p)


def _cond_transpose(cts: Sequence[Any], index: Any, *ops: Any,
                    branches: tuple[Program, ...]) -> list[Any]:
    """A cond on the same index whose branches are the branches' transposes;
    a branch that does not reach some linear operand gives it zeros."""
    if is_undefined(index):
        raise UnsupportedError("cannot transpose cond with respect to its index")
    linear = tuple(is_undefined(a) for a in ops)
    ct_nz = tuple(type(c) is not Zero for c in cts)
    transposed = [transpose_program(b, linear, ct_nz) for b in branches]
    in_nz = tuple(any(col) for col in zip(*(t[2] for t in transposed), strict=True))
    if not any(in_nz):
        return [None] * (1 + len(ops))

    def build() -> tuple[tuple[Program, ...], list[Any]]:
        in_avals = branches[0].in_avals
        lin_avals = [tangent_aval(a) for a, lin in zip(in_avals, linear, strict=True) if lin]
        avals = [*(a for a, lin in zip(in_avals, linear, strict=True) if not lin),
                 *(tangent_aval(a) for a, nz in zip(branches[0].out_avals, ct_nz, strict=True)
                   if nz)]
        staged = []
        for tprog, tconsts, nz in transposed:
            def fun(*xs: Any, tprog: Program = tprog, tconsts: list[Any] = tconsts,
                    nz: list[bool] = nz) -> list[Any]:
                outs = iter(eval_program(tprog, [*tconsts, *xs]))
                cts_in = [next(outs) if z else None for z in nz]
                return [zeros(a) if c is None else c
                        for a, c, need in zip(lin_avals, cts_in, in_nz, strict=True) if need]
            staged.append(stage(fun, avals, f"transpose_{tprog.name}", "grad"))
        return join_branches(staged)

    progs, consts = cached_programs(("cond_transpose", branches, linear, ct_nz), build)
    outs = iter(P.cond_p.bind(index, *consts, *(a for a in ops if not is_undefined(a)),
                              *(c for c in cts if type(c) is not Zero), branches=progs))
    lin_nz = iter(in_nz)
    return [None, *((next(outs) if next(lin_nz) else None) if is_undefined(a) else None
                    for a in ops)]


transpose_rules[P.cond_p] = _cond_transpose


def _scan_transpose(cts: Sequence[Any], *args: Any, body: Program, num_consts: int,
                    num_carry: int, length: int, reverse: bool, unroll: int) -> list[Any]:
    """A scan in the opposite direction over the body's transpose. Its carry
    holds the carries' cotangents and accumulates those of the linear
    constants; its xs are the residual xs and the ys' cotangents, its ys the
    linear xs' cotangents. Every carry of a scan being transposed is linear."""
    consts, init, xs = split_list(args, num_consts, num_carry)
    c_lin = tuple(is_undefined(c) for c in consts)
    x_lin = tuple(is_undefined(x) for x in xs)
    ct_carry, ct_ys = cts[:num_carry], cts[num_carry:]
    y_nz = tuple(type(c) is not Zero for c in ct_ys)
    linear = c_lin + (True,) * num_carry + x_lin
    tprog, tconsts, in_nz = transpose_program(body, linear, (True,) * num_carry + y_nz)
    lin_avals = [tangent_aval(a) for a, lin in zip(body.in_avals, linear, strict=True) if lin]
    nz_lc, nz_carry, nz_lx = split_list(in_nz, sum(c_lin), num_carry)
    acc_avals = [a for a, nz in zip(lin_avals[:len(nz_lc)], nz_lc, strict=True) if nz]
    carry_avals = [tangent_aval(a) for a in body.out_avals[:num_carry]]

    def build() -> tuple[Program, list[Any]]:
        rc_avals = [a for a, lin in zip(body.in_avals[:num_consts], c_lin, strict=True)
                    if not lin]
        rx_avals = [a for a, lin in zip(body.in_avals[num_consts + num_carry:], x_lin,
                                        strict=True) if not lin]
        cty_avals = [tangent_aval(a) for a, nz in zip(body.out_avals[num_carry:], y_nz,
                                                      strict=True) if nz]
        nrc, nacc, nrx = len(rc_avals), len(acc_avals), len(rx_avals)

        def fun(*vals: Any) -> list[Any]:
            rc, acc, ctc, rx, cty = split_list(vals, nrc, nacc, num_carry, nrx)
            outs = iter(eval_program(tprog, [*tconsts, *rc, *rx, *ctc, *cty]))
            ct_lc, ct_c, ct_lx = split_list([next(outs) if nz else None for nz in in_nz],
                                        len(nz_lc), num_carry)
            new_acc = [add_tangents(a, c) for a, c in zip(acc, (c for c in ct_lc if c is not None),
                                                          strict=True)]
            new_ctc = [zeros(a) if c is None else c for a, c in zip(carry_avals, ct_c,
                                                                     strict=True)]
            return [*new_acc, *new_ctc, *(c for c in ct_lx if c is not None)]

        return stage(fun, [*rc_avals, *acc_avals, *carry_avals, *rx_avals, *cty_avals],
                      f"transpose_{body.name}", "grad")

    tbody, bconsts = cached_programs(("scan_transpose", body, num_carry, c_lin, x_lin, y_nz), build)
    res_consts = [c for c in consts if not is_undefined(c)]
    res_xs = [x for x in xs if not is_undefined(x)]
    outs = P.scan_p.bind(*bconsts, *res_consts, *(zeros(a) for a in acc_avals),
                         *(instantiate(c) for c in ct_carry), *res_xs,
                         *(c for c in ct_ys if type(c) is not Zero), body=tbody,
                         num_consts=len(bconsts) + len(res_consts),
                         num_carry=len(acc_avals) + num_carry, length=length,
                         reverse=not reverse, unroll=unroll)
    acc_out, carry_out, lx_out = split_list(outs, len(acc_avals), num_carry)
    acc_it, lx_it = iter(acc_out), iter(lx_out)
    ct_consts = [(next(acc_it) if nz else None) for nz in nz_lc]
    ct_xs = [(next(lx_it) if nz else None) for nz in nz_lx]
    ci, xi = iter(ct_consts), iter(ct_xs)
    return [*(next(ci) if lin else None for lin in c_lin),
            *(ct if is_undefined(a) else None for a, ct in zip(init, carry_out, strict=True)),
            *(next(xi) if lin else None for lin in x_lin)]


transpose_rules[P.scan_p] = _scan_transpose
