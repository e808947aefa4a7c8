"""JVP rules of the control-flow primitives: jit (a call), cond, while, scan.

Each rule differentiates the primitive's sub-Programs (`jvp_program`) and binds
the same primitive again, so the result stays one structured op: the bodies
take and return tangents next to primals. Loop carries iterate to a fixed
point: a carry whose tangent is nonzero after one step has a nonzero tangent
from the start (a zero is instantiated). Derived Programs are cached by
(Program, pattern), so an eager call repeated with the same bodies binds
identical params and re-uses its executable.


"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from funcgrad import core, primitives as P
from funcgrad.core import ShapedArray
from funcgrad.ir import Program, Var
from funcgrad.transforms.jvp.interpreter import call_jvp, jvp_program, jvp_rules
from funcgrad.transforms.programs import (Zero, cached_programs, carry_fixed_point, differentiable,
                                          instantiate, join_branches, permute, split_list,
                                          tangent_aval)

jvp_rules[P.jit_p] = call_jvp(P.jit_p)


def _jvp_program(program: Program, nonzeros: tuple[bool, ...],
                 inst: tuple[bool, ...] | None) -> tuple[tuple[Program, list[bool]], list[Any]]:
    """`jvp_program` shaped as this module's builders: ((program, out_nz), consts)."""
    prog, consts, out_nz = jvp_program(program, nonzeros, inst)
    return (prog, out_nz), consts


def _nonzero(ts: Sequence[Any]) -> tuple[bool, ...]:
    return tuple(type(t) is not Zero for t in ts)


def _tangents_out(avals: Sequence[ShapedArray], nz: Sequence[bool], ts: Sequence[Any]) -> list[Any]:
    it = iter(ts)
    return [next(it) if z else Zero(tangent_aval(a)) for a, z in zip(avals, nz, strict=True)]


def _cond_jvp(primals: Sequence[Any], tangents: Sequence[Any], *,
              branches: tuple[Program, ...]) -> tuple[Any, Any]:
    index, ops = primals[0], primals[1:]
    nz = _nonzero(tangents[1:])
    first = [_jvp_program(b, nz, None)[0][1] for b in branches]
    inst = tuple(any(col) for col in zip(*first, strict=True))

    def build() -> tuple[tuple[Program, ...], list[Any]]:
        staged = []
        for b in branches:
            (prog, _), consts = _jvp_program(b, nz, inst)
            staged.append((prog, consts))
        return join_branches(staged)

    progs, consts = cached_programs(("cond_jvp", branches, nz), build)
    outs = P.cond_p.bind(index, *consts, *ops, *(t for t in tangents[1:] if type(t) is not Zero),
                         branches=progs)
    n = len(branches[0].outvars)
    return outs[:n], _tangents_out(branches[0].out_avals, inst, outs[n:])


def _while_jvp(primals: Sequence[Any], tangents: Sequence[Any], *, cond_program: Program,
               body_program: Program, cond_nconsts: int, body_nconsts: int) -> tuple[Any, Any]:
    cc, bc, init = split_list(primals, cond_nconsts, body_nconsts)
    _, bct, initt = split_list(tangents, cond_nconsts, body_nconsts)
    bc_nz = _nonzero(bct)
    carry_nz = carry_fixed_point(
        lambda c: _jvp_program(body_program, bc_nz + c, None)[0][1],
        [type(t) is not Zero and differentiable(core.get_aval(p))
         for p, t in zip(init, initt, strict=True)])

    def build() -> tuple[tuple[Program, Program, int], list[Any]]:
        (jb, _), jconsts = _jvp_program(body_program, bc_nz + carry_nz, carry_nz)
        nj, nb, nc = len(jconsts), len(bc), len(init)
        consts_v, bc_v, carry_v, bct_v, ct_v = split_list(jb.invars, nj, nb, nc, sum(bc_nz))
        body = permute(jb, (*consts_v, *bc_v, *bct_v, *carry_v, *ct_v))
        extra = [Var(tangent_aval(a)) for a, z in zip(body_program.out_avals, carry_nz,
                                                      strict=True) if z]
        cond = permute(cond_program, (*cond_program.invars, *extra))
        return (cond, body, nj), jconsts

    (cond, body, nj), jconsts = cached_programs(("while_jvp", cond_program, body_program, bc_nz,
                                         carry_nz), build)
    init_t = [instantiate(t) for t, z in zip(initt, carry_nz, strict=True) if z]
    outs = P.while_p.bind(*cc, *jconsts, *bc, *(t for t in bct if type(t) is not Zero), *init,
                          *init_t, cond_program=cond, body_program=body,
                          cond_nconsts=cond_nconsts, body_nconsts=nj + len(bc) + sum(bc_nz))
    n = len(init)
    return outs[:n], _tangents_out(body_program.out_avals, carry_nz, outs[n:])


def _scan_jvp(primals: Sequence[Any], tangents: Sequence[Any], *, body: Program, num_consts: int,
              num_carry: int, length: int, reverse: bool, unroll: int) -> tuple[Any, Any]:
    consts, init, xs = split_list(primals, num_consts, num_carry)
    ct, initt, xst = split_list(tangents, num_consts, num_carry)
    c_nz, x_nz = _nonzero(ct), _nonzero(xst)
    ny = len(body.outvars) - num_carry
    carry_nz = carry_fixed_point(
        lambda c: _jvp_program(body, c_nz + c + x_nz, None)[0][1][:num_carry],
        [type(t) is not Zero and differentiable(core.get_aval(p))
         for p, t in zip(init, initt, strict=True)])

    def build() -> tuple[tuple[Program, int, list[bool]], list[Any]]:
        (jb, out_nz), jconsts = _jvp_program(body, c_nz + carry_nz + x_nz,
                                             carry_nz + (False,) * ny)
        nj, nx = len(jconsts), len(xs)
        k_v, c_v, car_v, x_v, ct_v, cart_v, xt_v = split_list(
            jb.invars, nj, num_consts, num_carry, nx, sum(c_nz), sum(carry_nz))
        ncarry_t = sum(carry_nz)
        car_o, y_o, cart_o, yt_o = split_list(jb.outvars, num_carry, ny, ncarry_t)
        prog = permute(jb, (*k_v, *c_v, *ct_v, *car_v, *cart_v, *x_v, *xt_v),
                        (*car_o, *cart_o, *y_o, *yt_o))
        return (prog, nj, out_nz[num_carry:]), jconsts

    (prog, nj, y_nz), jconsts = cached_programs(("scan_jvp", body, c_nz, carry_nz, x_nz), build)
    init_t = [instantiate(t) for t, z in zip(initt, carry_nz, strict=True) if z]
    nct = sum(carry_nz)
    outs = P.scan_p.bind(*jconsts, *consts, *(t for t in ct if type(t) is not Zero), *init,
                         *init_t, *xs, *(t for t in xst if type(t) is not Zero), body=prog,
                         num_consts=nj + num_consts + sum(c_nz), num_carry=num_carry + nct,
                         length=length, reverse=reverse, unroll=unroll)
    carry, carry_t, ys, ys_t = split_list(outs, num_carry, nct, ny)
    out_avals = P.scan_p.abstract_eval(*(core.get_aval(p) for p in primals), body=body,
                                       num_consts=num_consts, num_carry=num_carry, length=length,
                                       reverse=reverse, unroll=unroll)
    return ([*carry, *ys], [*_tangents_out(out_avals[:num_carry], carry_nz, carry_t),
                            *_tangents_out(out_avals[num_carry:], y_nz, ys_t)])


jvp_rules[P.cond_p] = _cond_jvp
jvp_rules[P.while_p] = _while_jvp
jvp_rules[P.scan_p] = _scan_jvp
