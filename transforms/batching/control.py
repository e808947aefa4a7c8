"""Batching rules of the control-flow primitives: jit (a call), cond, while, scan.

All batch axes are moved to 0 (to 1 for a scan's xs, whose axis 0 is the
scanned one). Carries iterate to a fixed point of "batched". A batched
cond/switch index runs every branch and selects per lane (documented on
`lax.cond`); a batched while predicate runs until every lane is done and
freezes lanes that have finished.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from funcgrad import core, dtypes, primitives as P
from funcgrad.core import ShapedArray
from funcgrad.ir import Literal, Program
from funcgrad.transforms.batching.interpreter import (BatchAxis, Dim, axis_rule, batch_program,
                                                      call_batch, move_bdim)
from funcgrad.transforms.programs import (cached_programs, carry_fixed_point, join_branches,
                                          split_list, stage)
from funcgrad.transforms.staging import eval_program


axis_rule(P.jit_p, call_batch(P.jit_p))


def _batch_body(program: Program, dims: tuple[Dim, ...], axis: BatchAxis,
                force: tuple[bool, ...] | None) -> tuple[tuple[Program, list[Dim]], list[Any]]:
    """`batch_program` for bodies, which need one layout: every batched output at
    axis 0, and those marked in `force` batched even where they would not be."""
    prog, consts, out_dims = batch_program(
        program, dims, axis, (False,) * len(program.outvars) if force is None else force)
    return (prog, out_dims), consts


def _to_front(axis_size: int, args: Sequence[Any], dims: Sequence[Dim],
              at: int = 0) -> tuple[list[Any], tuple[Dim, ...]]:
    """Move every batch axis to `at` (unbatched operands stay unbatched)."""
    out = [a if d is None else move_bdim(a, d, at, axis_size) for a, d in zip(args, dims,
                                                                             strict=True)]
    return out, tuple(None if d is None else at for d in dims)


def _materialize(axis_size: int, x: Any, d: Dim, want: bool) -> Any:
    return move_bdim(x, d, 0, axis_size) if want and d is None else x


def _select_lanes(which: Any, cases: Sequence[Any]) -> Any:
    """Per lane (axis 0), the case `which` names; `which` has shape (lanes,)."""
    shape = core.get_aval(cases[0]).shape
    w = P.broadcast_in_dim_p.bind(which, shape=shape, broadcast_dimensions=(0,))
    return P.select_n_p.bind(w, *cases)


def _cond_batch(axis: BatchAxis, args: Sequence[Any], dims: Sequence[Dim], *,
                branches: tuple[Program, ...]) -> tuple[list[Any], list[Dim]]:
    axis_size = axis.size
    (index, *ops), (idim, *odims) = _to_front(axis_size, args, dims)
    odims_t = tuple(odims)
    if idim is None:
        first = [_batch_body(b, odims_t, axis, None)[0][1] for b in branches]
        force = tuple(any(d is not None for d in col) for col in zip(*first, strict=True))

        def build() -> tuple[tuple[Program, ...], list[Any]]:
            staged = []
            for b in branches:
                (prog, _), consts = _batch_body(b, odims_t, axis, force)
                staged.append((prog, consts))
            return join_branches(staged)

        progs, consts = cached_programs(("cond_batch", branches, odims_t, axis, force), build)
        outs = P.cond_p.bind(index, *consts, *ops, branches=progs)
        return list(outs), [0 if f else None for f in force]
    # NB: a batched predicate or index runs every branch and selects per lane.
    force_all = (True,) * len(branches[0].outvars)
    results = []
    for b in branches:
        (prog, _), consts = _batch_body(b, odims_t, axis, force_all)
        results.append(eval_program(prog, [*consts, *ops]))
    if core.get_aval(index).dtype != dtypes.bool_:
        index = P.max_p.bind(P.min_p.bind(index, _i32(len(branches) - 1)), _i32(0))
    outs = [_select_lanes(index, col) for col in zip(*results, strict=True)]
    return outs, [0] * len(outs)


def _i32(v: int) -> Literal:
    return Literal(dtypes.int32.type(v), ShapedArray((), dtypes.int32, False))


def _while_batch(axis: BatchAxis, args: Sequence[Any], dims: Sequence[Dim], *,
                 cond_program: Program, body_program: Program, cond_nconsts: int,
                 body_nconsts: int) -> tuple[list[Any], list[Dim]]:
    axis_size = axis.size
    args, dims_t = _to_front(axis_size, args, dims)
    cc, bc, init = split_list(args, cond_nconsts, body_nconsts)
    ccd, bcd, initd = (tuple(x) for x in split_list(dims_t, cond_nconsts, body_nconsts))

    def as_dims(b: Sequence[bool]) -> tuple[Dim, ...]:
        return tuple(0 if x else None for x in b)

    carry_b = carry_fixed_point(
        lambda c: [d is not None for d in
                   _batch_body(body_program, bcd + as_dims(c), axis, None)[0][1]],
        [d is not None for d in initd])
    (_, pred_dims), _ = _batch_body(cond_program, ccd + as_dims(carry_b), axis, None)
    pred_batched = pred_dims[0] is not None
    if pred_batched:
        carry_b = (True,) * len(init)
    cdims = as_dims(carry_b)
    init = [_materialize(axis_size, x, d, b) for x, d, b in zip(init, initd, carry_b,
                                                                strict=True)]
    (cprog, _), cconsts = _batch_body(cond_program, ccd + cdims, axis, None)
    (bprog, _), bconsts = _batch_body(body_program, bcd + cdims, axis, carry_b)
    if not pred_batched:
        outs = P.while_p.bind(*cconsts, *cc, *bconsts, *bc, *init, cond_program=cprog,
                              body_program=bprog, cond_nconsts=len(cconsts) + len(cc),
                              body_nconsts=len(bconsts) + len(bc))
        return list(outs), list(cdims)

    # Lanes finish at different steps: loop while any lane runs, and let a
    # finished lane keep its carry (its body result is discarded by a select).
    def build() -> tuple[tuple[Program, Program], list[Any]]:
        ncc, nc = len(cconsts) + len(cc), len(init)
        cond_in = cprog.in_avals
        body_in = [*cprog.in_avals[:ncc], *bprog.in_avals]

        def any_lane(*xs: Any) -> list[Any]:
            (pred,) = eval_program(cprog, xs)
            return [P.reduce_or_p.bind(pred, axes=(0,))]

        def masked_body(*xs: Any) -> list[Any]:
            cvals, bvals, carry = xs[:ncc], xs[ncc:len(xs) - nc], xs[len(xs) - nc:]
            (pred,) = eval_program(cprog, [*cvals, *carry])
            new = eval_program(bprog, [*bvals, *carry])
            return [_select_lanes(pred, (old, nw)) for old, nw in zip(carry, new, strict=True)]

        c, c_consts = stage(any_lane, cond_in, f"vmap_any_{cond_program.name}", "vmap")
        b, b_consts = stage(masked_body, body_in, f"vmap_masked_{body_program.name}", "vmap")
        assert not c_consts and not b_consts, "the lane-masking wrappers close over nothing"
        return (c, b), []

    (c, b), _ = cached_programs(("while_batch", cprog, bprog), build)
    outs = P.while_p.bind(*cconsts, *cc, *cconsts, *cc, *bconsts, *bc, *init, cond_program=c,
                          body_program=b, cond_nconsts=len(cconsts) + len(cc),
                          body_nconsts=len(cconsts) + len(cc) + len(bconsts) + len(bc))
    return list(outs), [0] * len(outs)


def _scan_batch(axis: BatchAxis, args: Sequence[Any], dims: Sequence[Dim], *, body: Program,
                num_consts: int, num_carry: int, length: int, reverse: bool,
                unroll: int) -> tuple[list[Any], list[Dim]]:
    axis_size = axis.size
    consts, init, xs = split_list(args, num_consts, num_carry)
    cd, initd, xd = split_list(dims, num_consts, num_carry)
    consts, cdims = _to_front(axis_size, consts, cd)
    init, initdims = _to_front(axis_size, init, initd)
    xs, xdims = _to_front(axis_size, xs, xd, at=1)      # axis 0 is the scanned one
    slice_dims = tuple(None if d is None else 0 for d in xdims)
    ny = len(body.outvars) - num_carry

    def dims_of(b: Sequence[bool]) -> tuple[Dim, ...]:
        return tuple(0 if x else None for x in b)

    carry_b = carry_fixed_point(
        lambda c: [d is not None for d in _batch_body(
            body, cdims + dims_of(c) + slice_dims, axis, None)[0][1][:num_carry]],
        [d is not None for d in initdims])
    init = [_materialize(axis_size, x, d, b) for x, d, b in zip(init, initdims, carry_b,
                                                                strict=True)]
    (prog, out_dims), bconsts = _batch_body(body, cdims + dims_of(carry_b) + slice_dims,
                                               axis, carry_b + (False,) * ny)
    outs = P.scan_p.bind(*bconsts, *consts, *init, *xs, body=prog,
                         num_consts=len(bconsts) + num_consts, num_carry=num_carry,
                         length=length, reverse=reverse, unroll=unroll)
    y_dims = [None if d is None else 1 for d in out_dims[num_carry:]]
    return list(outs), [*dims_of(carry_b), *y_dims]


axis_rule(P.cond_p, _cond_batch)
axis_rule(P.while_p, _while_batch)
axis_rule(P.scan_p, _scan_batch)
