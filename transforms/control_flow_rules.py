"""JVP, batching, partial-eval and transpose rules for cond, while and scan.

Each rule rewrites the primitive's sub-Programs with the interpreter's own
machinery (`jvp_call`, `BatchTrace`) and binds the same primitive again, so
the result stays one structured op:

- JVP: the body Programs take and return tangents next to primals. Loop
  carries iterate to a fixed point: a carry whose tangent is nonzero after one
  step has a nonzero tangent from the start (a zero is instantiated).
- Batching: all batch axes are moved to 0 (to 1 for a scan's xs, whose
  axis 0 is the scanned one). Carries iterate to a fixed point of
  "batched". A batched cond/switch index runs every branch and selects per
  lane (documented on `lax.cond`); a batched while predicate runs until every
  lane is done and freezes lanes that have finished.

- Partial evaluation (reverse mode is linearize then transpose): a cond's
  known part runs as a cond that also returns the branches' residuals, in
  slots shared by all branches (zeros where a branch keeps less); its
  unknown part is staged as a cond on the same index. A scan's unknown
  carries are found by fixed point; the known part runs as a scan that
  stacks per-step residuals as extra ys, residuals computed from constants
  only are computed once before the loop, and an x kept as a residual is
  the xs operand itself. The unknown part is a scan over those residuals.
- Transposition: a cond of the transposed branches; for a scan, a scan in
  the opposite direction over the transposed body, carrying the carries'
  cotangents and accumulating those of the linear constants.

Derived Programs are cached by (Program, pattern), so an eager call repeated
with the same bodies binds identical params and re-uses its executable.
A while loop's trip count is unknown when staging, so its linearization
cannot store residuals per step; its partial-eval rule raises
`UnsupportedError` pointing to `fori_loop` with static bounds or `scan`.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from funcgrad import core, dtypes
from funcgrad import primitives as P
from funcgrad.config import LRUCache
from funcgrad.core import ShapedArray, Tracer
from funcgrad.errors import UnsupportedError
from funcgrad.ir import Literal, Program, Var
from funcgrad.transforms.ad_util import (Zero, add_tangents, differentiable, instantiate,
                                         is_undefined, tangent_aval, zeros)
from funcgrad.transforms.batching import BatchTrace, BatchTracer, Dim, batch_rules, move_bdim
from funcgrad.transforms.jvp import jvp_program, jvp_rules
from funcgrad.transforms.partial_eval import (PartialEvalTrace, dce_program, partial_eval_program,
                                     partial_eval_rules)
from funcgrad.transforms.staging import eval_program, hoist_consts, trace_to_program
from funcgrad.transforms.transpose import transpose_program, transpose_rules

_cache = LRUCache("control flow rule programs")


def _cached(key: Any, build: Callable[[], tuple[Any, list[Any]]]) -> tuple[Any, list[Any]]:
    """Memoise a (programs, consts) builder unless its consts hold tracers."""
    hit = _cache.lookup(key)
    if hit is not None:
        return hit
    value = build()
    if not any(isinstance(c, Tracer) for c in value[1]):
        value = _cache.put(key, value)
    return value


def _stage(fun: Callable[..., Sequence[Any]], avals: Sequence[ShapedArray], name: str,
           kind: str) -> tuple[Program, list[Any]]:
    program, consts = trace_to_program(fun, avals, name=name, kind=kind)
    return hoist_consts(program), consts


def _permute(program: Program, invars: Sequence[Var] | None = None,
             outvars: Sequence[Any] | None = None) -> Program:
    """The same equations with inputs/outputs listed in another order."""
    return Program((), tuple(program.invars if invars is None else invars), program.eqns,
                   tuple(program.outvars if outvars is None else outvars), program.name)


def _join(staged: Sequence[tuple[Program, list[Any]]]) -> tuple[tuple[Program, ...], list[Any]]:
    """Give branch Programs one input list: every branch's consts, then the operands."""
    consts = [c for _, cs in staged for c in cs]
    out = []
    k = 0
    for prog, cs in staged:
        n = len(cs)
        pad = [Var(core.get_aval(c)) for c in consts]
        pad[k:k + n] = prog.invars[:n]
        out.append(_permute(prog, (*pad, *prog.invars[n:])))
        k += n
    return tuple(out), consts


def _split(xs: Sequence[Any], *sizes: int) -> list[list[Any]]:
    out, i = [], 0
    for n in sizes:
        out.append(list(xs[i:i + n]))
        i += n
    out.append(list(xs[i:]))
    return out


# ---------------------------------------------------------------------------
# JVP


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
        return _join(staged)

    progs, consts = _cached(("cond_jvp", branches, nz), build)
    outs = P.cond_p.bind(index, *consts, *ops, *(t for t in tangents[1:] if type(t) is not Zero),
                         branches=progs)
    n = len(branches[0].outvars)
    return outs[:n], _tangents_out(branches[0].out_avals, inst, outs[n:])


def _carry_fixed_point(step: Callable[[tuple[bool, ...]], Sequence[bool]],
                       start: Sequence[bool]) -> tuple[bool, ...]:
    """The least `c >= start` with ``step(c) <= c`` (a monotone union)."""
    c = tuple(start)
    while True:
        new = tuple(a or b for a, b in zip(c, step(c), strict=True))
        if new == c:
            return c
        c = new


def _while_jvp(primals: Sequence[Any], tangents: Sequence[Any], *, cond_program: Program,
               body_program: Program, cond_nconsts: int, body_nconsts: int) -> tuple[Any, Any]:
    cc, bc, init = _split(primals, cond_nconsts, body_nconsts)
    _, bct, initt = _split(tangents, cond_nconsts, body_nconsts)
    bc_nz = _nonzero(bct)
    carry_nz = _carry_fixed_point(
        lambda c: _jvp_program(body_program, bc_nz + c, None)[0][1],
        [type(t) is not Zero and differentiable(core.get_aval(p))
         for p, t in zip(init, initt, strict=True)])

    def build() -> tuple[tuple[Program, Program, int], list[Any]]:
        (jb, _), jconsts = _jvp_program(body_program, bc_nz + carry_nz, carry_nz)
        nj, nb, nc = len(jconsts), len(bc), len(init)
        consts_v, bc_v, carry_v, bct_v, ct_v = _split(jb.invars, nj, nb, nc, sum(bc_nz))
        body = _permute(jb, (*consts_v, *bc_v, *bct_v, *carry_v, *ct_v))
        extra = [Var(tangent_aval(a)) for a, z in zip(body_program.out_avals, carry_nz,
                                                      strict=True) if z]
        cond = _permute(cond_program, (*cond_program.invars, *extra))
        return (cond, body, nj), jconsts

    (cond, body, nj), jconsts = _cached(("while_jvp", cond_program, body_program, bc_nz,
                                         carry_nz), build)
    init_t = [instantiate(t) for t, z in zip(initt, carry_nz, strict=True) if z]
    outs = P.while_p.bind(*cc, *jconsts, *bc, *(t for t in bct if type(t) is not Zero), *init,
                          *init_t, cond_program=cond, body_program=body,
                          cond_nconsts=cond_nconsts, body_nconsts=nj + len(bc) + sum(bc_nz))
    n = len(init)
    return outs[:n], _tangents_out(body_program.out_avals, carry_nz, outs[n:])


def _scan_jvp(primals: Sequence[Any], tangents: Sequence[Any], *, body: Program, num_consts: int,
              num_carry: int, length: int, reverse: bool, unroll: int) -> tuple[Any, Any]:
    consts, init, xs = _split(primals, num_consts, num_carry)
    ct, initt, xst = _split(tangents, num_consts, num_carry)
    c_nz, x_nz = _nonzero(ct), _nonzero(xst)
    ny = len(body.outvars) - num_carry
    carry_nz = _carry_fixed_point(
        lambda c: _jvp_program(body, c_nz + c + x_nz, None)[0][1][:num_carry],
        [type(t) is not Zero and differentiable(core.get_aval(p))
         for p, t in zip(init, initt, strict=True)])

    def build() -> tuple[tuple[Program, int, list[bool]], list[Any]]:
        (jb, out_nz), jconsts = _jvp_program(body, c_nz + carry_nz + x_nz,
                                             carry_nz + (False,) * ny)
        nj, nx = len(jconsts), len(xs)
        k_v, c_v, car_v, x_v, ct_v, cart_v, xt_v = _split(
            jb.invars, nj, num_consts, num_carry, nx, sum(c_nz), sum(carry_nz))
        ncarry_t = sum(carry_nz)
        car_o, y_o, cart_o, yt_o = _split(jb.outvars, num_carry, ny, ncarry_t)
        prog = _permute(jb, (*k_v, *c_v, *ct_v, *car_v, *cart_v, *x_v, *xt_v),
                        (*car_o, *cart_o, *y_o, *yt_o))
        return (prog, nj, out_nz[num_carry:]), jconsts

    (prog, nj, y_nz), jconsts = _cached(("scan_jvp", body, c_nz, carry_nz, x_nz), build)
    init_t = [instantiate(t) for t, z in zip(initt, carry_nz, strict=True) if z]
    nct = sum(carry_nz)
    outs = P.scan_p.bind(*jconsts, *consts, *(t for t in ct if type(t) is not Zero), *init,
                         *init_t, *xs, *(t for t in xst if type(t) is not Zero), body=prog,
                         num_consts=nj + num_consts + sum(c_nz), num_carry=num_carry + nct,
                         length=length, reverse=reverse, unroll=unroll)
    carry, carry_t, ys, ys_t = _split(outs, num_carry, nct, ny)
    out_avals = P.scan_p.abstract_eval(*(core.get_aval(p) for p in primals), body=body,
                                       num_consts=num_consts, num_carry=num_carry, length=length,
                                       reverse=reverse, unroll=unroll)
    return ([*carry, *ys], [*_tangents_out(out_avals[:num_carry], carry_nz, carry_t),
                            *_tangents_out(out_avals[num_carry:], y_nz, ys_t)])


jvp_rules[P.cond_p] = _cond_jvp
jvp_rules[P.while_p] = _while_jvp
jvp_rules[P.scan_p] = _scan_jvp


# ---------------------------------------------------------------------------
# batching


def _batched_aval(a: ShapedArray, d: Dim, axis_size: int) -> ShapedArray:
    return a if d is None else a.update(shape=(*a.shape[:d], axis_size, *a.shape[d:]))


def _batch_program(program: Program, dims: tuple[Dim, ...], axis_size: int,
                   force: tuple[bool, ...] | None) -> tuple[tuple[Program, list[Dim]], list[Any]]:
    """`program` over inputs batched at `dims`; every batched output has its batch
    axis at 0 and outputs marked in `force` are batched (broadcast) even if not."""
    def build() -> tuple[tuple[Program, list[Dim]], list[Any]]:
        avals = [_batched_aval(a, d, axis_size) for a, d in zip(program.in_avals, dims,
                                                                 strict=True)]
        out_dims: list[Dim] = []

        def fun(*xs: Any) -> list[Any]:
            trace = BatchTrace(core.current_trace(), axis_size)
            with core.new_trace(trace):
                args = [x if d is None else BatchTracer(trace, x, d)
                        for x, d in zip(xs, dims, strict=True)]
                outs = [trace.unpack(o) for o in eval_program(program, args)]
            res = []
            for j, (o, d) in enumerate(outs):
                if d is not None or (force is not None and force[j]):
                    o, d = move_bdim(o, d, 0, axis_size), 0
                res.append(o)
                out_dims.append(d)
            return res

        prog, consts = _stage(fun, avals, f"vmap_{program.name}", "vmap")
        return (prog, out_dims), consts
    return _cached(("batch", program, dims, axis_size, force), build)


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


def _cond_batch(axis_size: int, args: Sequence[Any], dims: Sequence[Dim], *,
                branches: tuple[Program, ...]) -> tuple[list[Any], list[Dim]]:
    (index, *ops), (idim, *odims) = _to_front(axis_size, args, dims)
    odims_t = tuple(odims)
    if idim is None:
        first = [_batch_program(b, odims_t, axis_size, None)[0][1] for b in branches]
        force = tuple(any(d is not None for d in col) for col in zip(*first, strict=True))

        def build() -> tuple[tuple[Program, ...], list[Any]]:
            staged = []
            for b in branches:
                (prog, _), consts = _batch_program(b, odims_t, axis_size, force)
                staged.append((prog, consts))
            return _join(staged)

        progs, consts = _cached(("cond_batch", branches, odims_t, axis_size, force), build)
        outs = P.cond_p.bind(index, *consts, *ops, branches=progs)
        return list(outs), [0 if f else None for f in force]
    # NB: a batched predicate or index runs every branch and selects per lane.
    force_all = (True,) * len(branches[0].outvars)
    results = []
    for b in branches:
        (prog, _), consts = _batch_program(b, odims_t, axis_size, force_all)
        results.append(eval_program(prog, [*consts, *ops]))
    if core.get_aval(index).dtype != dtypes.bool_:
        index = P.max_p.bind(P.min_p.bind(index, _i32(len(branches) - 1)), _i32(0))
    outs = [_select_lanes(index, col) for col in zip(*results, strict=True)]
    return outs, [0] * len(outs)


def _i32(v: int) -> Literal:
    return Literal(dtypes.int32.type(v), ShapedArray((), dtypes.int32, False))


def _while_batch(axis_size: int, args: Sequence[Any], dims: Sequence[Dim], *,
                 cond_program: Program, body_program: Program, cond_nconsts: int,
                 body_nconsts: int) -> tuple[list[Any], list[Dim]]:
    args, dims_t = _to_front(axis_size, args, dims)
    cc, bc, init = _split(args, cond_nconsts, body_nconsts)
    ccd, bcd, initd = (tuple(x) for x in _split(dims_t, cond_nconsts, body_nconsts))

    def as_dims(b: Sequence[bool]) -> tuple[Dim, ...]:
        return tuple(0 if x else None for x in b)

    carry_b = _carry_fixed_point(
        lambda c: [d is not None for d in
                   _batch_program(body_program, bcd + as_dims(c), axis_size, None)[0][1]],
        [d is not None for d in initd])
    (_, pred_dims), _ = _batch_program(cond_program, ccd + as_dims(carry_b), axis_size, None)
    pred_batched = pred_dims[0] is not None
    if pred_batched:
        carry_b = (True,) * len(init)
    cdims = as_dims(carry_b)
    init = [_materialize(axis_size, x, d, b) for x, d, b in zip(init, initd, carry_b,
                                                                strict=True)]
    (cprog, _), cconsts = _batch_program(cond_program, ccd + cdims, axis_size, None)
    (bprog, _), bconsts = _batch_program(body_program, bcd + cdims, axis_size, carry_b)
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

        c, c_consts = _stage(any_lane, cond_in, f"vmap_any_{cond_program.name}", "vmap")
        b, b_consts = _stage(masked_body, body_in, f"vmap_masked_{body_program.name}", "vmap")
        assert not c_consts and not b_consts, "the lane-masking wrappers close over nothing"
        return (c, b), []

    (c, b), _ = _cached(("while_batch", cprog, bprog), build)
    outs = P.while_p.bind(*cconsts, *cc, *cconsts, *cc, *bconsts, *bc, *init, cond_program=c,
                          body_program=b, cond_nconsts=len(cconsts) + len(cc),
                          body_nconsts=len(cconsts) + len(cc) + len(bconsts) + len(bc))
    return list(outs), [0] * len(outs)


def _scan_batch(axis_size: int, args: Sequence[Any], dims: Sequence[Dim], *, body: Program,
                num_consts: int, num_carry: int, length: int, reverse: bool,
                unroll: int) -> tuple[list[Any], list[Dim]]:
    consts, init, xs = _split(args, num_consts, num_carry)
    cd, initd, xd = _split(dims, num_consts, num_carry)
    consts, cdims = _to_front(axis_size, consts, cd)
    init, initdims = _to_front(axis_size, init, initd)
    xs, xdims = _to_front(axis_size, xs, xd, at=1)      # axis 0 is the scanned one
    slice_dims = tuple(None if d is None else 0 for d in xdims)
    ny = len(body.outvars) - num_carry

    def dims_of(b: Sequence[bool]) -> tuple[Dim, ...]:
        return tuple(0 if x else None for x in b)

    carry_b = _carry_fixed_point(
        lambda c: [d is not None for d in _batch_program(
            body, cdims + dims_of(c) + slice_dims, axis_size, None)[0][1][:num_carry]],
        [d is not None for d in initdims])
    init = [_materialize(axis_size, x, d, b) for x, d, b in zip(init, initdims, carry_b,
                                                                strict=True)]
    (prog, out_dims), bconsts = _batch_program(body, cdims + dims_of(carry_b) + slice_dims,
                                               axis_size, carry_b + (False,) * ny)
    outs = P.scan_p.bind(*bconsts, *consts, *init, *xs, body=prog,
                         num_consts=len(bconsts) + num_consts, num_carry=num_carry,
                         length=length, reverse=reverse, unroll=unroll)
    y_dims = [None if d is None else 1 for d in out_dims[num_carry:]]
    return list(outs), [*dims_of(carry_b), *y_dims]


batch_rules[P.cond_p] = _cond_batch
batch_rules[P.while_p] = _while_batch
batch_rules[P.scan_p] = _scan_batch


# ---------------------------------------------------------------------------
# reverse mode


def _while_partial_eval(trace: PartialEvalTrace, args: Sequence[Any], **params: Any) -> list[Any]:
    raise UnsupportedError(
        "reverse-mode differentiation (grad, vjp, linearize) of lax.while_loop is not "
        "supported: its number of steps is unknown until it runs, so the values each step "
        "needs cannot be stored. Use lax.fori_loop with static (Python int) bounds, or "
        "lax.scan with a fixed length, which are reverse-differentiable; forward mode "
        "(jvp, jacfwd) works through while_loop.")


partial_eval_rules[P.while_p] = _while_partial_eval


def _merge(unknowns: Sequence[bool], known: Sequence[Any], unknown: Sequence[Any]) -> list[Any]:
    k, u = iter(known), iter(unknown)
    return [next(u) if x else next(k) for x in unknowns]


def _partial_eval_forced(program: Program, unknowns: tuple[bool, ...], force: tuple[bool, ...]
                         ) -> tuple[Program, list[Any], Program, list[bool], int]:
    """`partial_eval_program`, with the outputs marked in `force` unknown even
    where they are known: such an output becomes one more residual, which the
    unknown Program returns as it is (branches and loop carries must agree on
    which outputs are unknown).

    Returns (known, known_consts, unknown, out_unknowns, num_res): known maps
    known_consts + known inputs to the known outputs then the residuals;
    unknown maps the residuals + unknown inputs to the unknown outputs."""
    split = partial_eval_program(program, unknowns)
    out_uk = [u or f for u, f in zip(split.out_unknowns, force, strict=True)]
    if out_uk == split.out_unknowns:
        return split.known, split.known_consts, split.unknown, out_uk, split.num_res
    n_known = len(split.known.outvars) - split.num_res
    known_outs = iter(split.known.outvars[:n_known])
    kept: list[Any] = []
    forced: list[Any] = []
    for was, now in zip(split.out_unknowns, out_uk, strict=True):
        if not was:
            (forced if now else kept).append(next(known_outs))
    known = Program((), split.known.invars, split.known.eqns,
                    (*kept, *split.known.outvars[n_known:], *forced), split.known.name)
    forced_vars = [Var(a.aval) for a in forced]
    res_vars = split.unknown.invars[:split.num_res]
    uk_outs, fv = iter(split.unknown.outvars), iter(forced_vars)
    outvars = [next(uk_outs) if was else next(fv)
               for was, now in zip(split.out_unknowns, out_uk, strict=True) if now]
    unknown = Program((), (*res_vars, *forced_vars, *split.unknown.invars[split.num_res:]),
                      split.unknown.eqns, tuple(outvars), split.unknown.name)
    return known, split.known_consts, unknown, out_uk, split.num_res + len(forced)


# -- cond ---------------------------------------------------------------------


def _share_slots(res_avals: Sequence[Sequence[ShapedArray]]
                 ) -> tuple[list[ShapedArray], list[list[int]]]:
    """Residual slots shared by the branches: a branch's k-th residual of some
    type takes the k-th slot of that type, so the slots are the union (by
    shape and dtype) of what each branch keeps. Returns the slots' avals and,
    per branch, the slot of each of its residuals."""
    slots: list[ShapedArray] = []
    assign: list[list[int]] = []
    for avals in res_avals:
        used: set[int] = set()
        mine = []
        for a in avals:
            j = next((j for j, s in enumerate(slots)
                      if j not in used and s.strong() == a.strong()), None)
            if j is None:
                j = len(slots)
                slots.append(a.strong())
            used.add(j)
            mine.append(j)
        assign.append(mine)
    return slots, assign


def _cond_partial_eval(trace: PartialEvalTrace, args: Sequence[Any], *,
                       branches: tuple[Program, ...]) -> list[Any]:
    """The known part of every branch runs now as one cond, which also returns
    the residuals (in slots shared by all branches, zeros where a branch keeps
    nothing); the unknown part is staged as a cond on the same index."""
    index, ops = args[0], args[1:]
    if trace.is_unknown(index):     # nothing can be computed before the branch is known
        return trace.stage_eqn(P.cond_p, args, {"branches": branches})
    unknowns = tuple(trace.is_unknown(a) for a in ops)
    out_uk = tuple(any(col) for col in zip(
        *(partial_eval_program(b, unknowns).out_unknowns for b in branches), strict=True))

    def build() -> tuple[tuple[tuple[Program, ...], int, tuple[Program, ...], int], list[Any]]:
        splits = [_partial_eval_forced(b, unknowns, out_uk) for b in branches]
        slots, assign = _share_slots([[v.aval for v in s[2].invars[:s[4]]] for s in splits])
        in_avals = branches[0].in_avals
        known_avals = [a for a, u in zip(in_avals, unknowns, strict=True) if not u]
        unknown_avals = [a for a, u in zip(in_avals, unknowns, strict=True) if u]
        known_staged, unknown_staged = [], []
        for (known, kconsts, unknown, _, num_res), mine in zip(splits, assign, strict=True):
            def known_fun(*xs: Any, known: Program = known, kconsts: list[Any] = kconsts,
                          num_res: int = num_res, mine: list[int] = mine) -> list[Any]:
                outs = eval_program(known, [*kconsts, *xs])
                n = len(outs) - num_res
                filled: list[Any] = [None] * len(slots)
                for j, r in zip(mine, outs[n:], strict=True):
                    filled[j] = r
                return [*outs[:n], *(zeros(a) if r is None else r
                                     for a, r in zip(slots, filled, strict=True))]

            def unknown_fun(*xs: Any, unknown: Program = unknown,
                            mine: list[int] = mine) -> list[Any]:
                return eval_program(unknown, [*(xs[j] for j in mine), *xs[len(slots):]])

            known_staged.append(_stage(known_fun, known_avals, f"{known.name}", "linearize"))
            unknown_staged.append(_stage(unknown_fun, [*slots, *unknown_avals],
                                         f"{unknown.name}", "linearize"))
        kprogs, kconsts_all = _join(known_staged)
        uprogs, uconsts_all = _join(unknown_staged)
        return ((kprogs, len(kconsts_all), uprogs, len(slots)), [*kconsts_all, *uconsts_all])

    (kprogs, nk, uprogs, nslots), consts = _cached(("cond_pe", branches, unknowns), build)
    known_ops = [a for a, u in zip(ops, unknowns, strict=True) if not u]
    outs: list[Any] = []
    if kprogs[0].outvars:
        with core.set_trace(trace.parent):
            outs = P.cond_p.bind(index, *consts[:nk], *known_ops, branches=kprogs)
    n_known = len(outs) - nslots
    unknown_outs: list[Any] = []
    if any(out_uk):
        unknown_ops = [a for a, u in zip(ops, unknowns, strict=True) if u]
        unknown_outs = trace.stage_eqn(P.cond_p, [index, *consts[nk:], *outs[n_known:],
                                                  *unknown_ops], {"branches": uprogs})
    return _merge(out_uk, outs[:n_known], unknown_outs)


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
            staged.append(_stage(fun, avals, f"transpose_{tprog.name}", "grad"))
        return _join(staged)

    progs, consts = _cached(("cond_transpose", branches, linear, ct_nz), build)
    outs = iter(P.cond_p.bind(index, *consts, *(a for a in ops if not is_undefined(a)),
                              *(c for c in cts if type(c) is not Zero), branches=progs))
    lin_nz = iter(in_nz)
    return [None, *((next(outs) if next(lin_nz) else None) if is_undefined(a) else None
                    for a in ops)]


partial_eval_rules[P.cond_p] = _cond_partial_eval
transpose_rules[P.cond_p] = _cond_transpose


# -- scan ---------------------------------------------------------------------


class _ScanSplit:
    """A scan body split for reverse mode (see `_scan_partial_eval`).

    known: (known_consts, known consts, known carry, known x) -> (known carry,
    known ys, per-step residuals). invariant: (known_consts, known consts) ->
    the residuals that do not change from step to step, computed once before
    the loop. unknown: (invariant residuals, unknown consts, unknown carry,
    per-step residuals, unknown x) -> (unknown carry, unknown ys). Each
    per-step residual is either a stacked output of the known scan or, when it
    is an x itself, that known xs operand (`res_source`: -1, or the index of
    the known xs operand)."""

    __slots__ = ("known", "invariant", "unknown", "res_source", "out_uk")

    def __init__(self, known: Program, invariant: Program, unknown: Program,
                 res_source: list[int], out_uk: list[bool]):
        self.known = known
        self.invariant = invariant
        self.unknown = unknown
        self.res_source = res_source
        self.out_uk = out_uk


def _varying(program: Program, start: Sequence[Var]) -> set[int]:
    """Ids of the Vars of `program` that depend on any of `start`."""
    dep = {id(v) for v in start}
    for eqn in program.eqns:
        if any(type(a) is Var and id(a) in dep for a in eqn.inputs):
            dep.update(id(v) for v in eqn.outvars)
    return dep


def _split_scan_body(body: Program, num_consts: int, num_carry: int, const_uk: tuple[bool, ...],
                     carry_uk: tuple[bool, ...], xs_uk: tuple[bool, ...]
                     ) -> tuple[_ScanSplit, list[Any]]:
    ny = len(body.outvars) - num_carry
    known, kconsts, unknown, out_uk, num_res = _partial_eval_forced(
        body, const_uk + carry_uk + xs_uk, carry_uk + (False,) * ny)
    nkc = len(kconsts) + sum(not u for u in const_uk)
    nkcarry = sum(not u for u in carry_uk)
    kc_vars, kcarry_vars, kx_vars = _split(known.invars, nkc, nkcarry)
    n_known_out = len(known.outvars) - num_res
    res_outs = known.outvars[n_known_out:]
    # A residual computed from constants only is the same at every step: it is
    # computed once, not stacked. A residual that is an x is that xs operand.
    varying = _varying(known, [*kcarry_vars, *kx_vars])
    x_pos = {id(v): i for i, v in enumerate(kx_vars)}
    invariant_k = [k for k, r in enumerate(res_outs)
                   if not (type(r) is Var and id(r) in varying)]
    per_step_k = [k for k, r in enumerate(res_outs) if k not in set(invariant_k)]
    res_source = [x_pos.get(id(res_outs[k]), -1) for k in per_step_k]
    stacked = [res_outs[k] for k, s in zip(per_step_k, res_source, strict=True) if s < 0]
    known_body = dce_program(
        Program((), known.invars, known.eqns, (*known.outvars[:n_known_out], *stacked),
                known.name), [True] * (n_known_out + len(stacked)))
    inv = dce_program(Program((), known.invars, known.eqns,
                              tuple(res_outs[k] for k in invariant_k), known.name),
                      [True] * len(invariant_k))
    invariant = Program((), tuple(kc_vars), inv.eqns, inv.outvars, f"{body.name}_invariant")
    res_vars = unknown.invars[:num_res]
    uc_vars, ucarry_vars, ux_vars = _split(unknown.invars[num_res:], sum(const_uk),
                                           sum(carry_uk))
    unknown = Program((), (*(res_vars[k] for k in invariant_k), *uc_vars, *ucarry_vars,
                           *(res_vars[k] for k in per_step_k), *ux_vars),
                      unknown.eqns, unknown.outvars, unknown.name)
    return _ScanSplit(known_body, invariant, unknown, res_source, out_uk), kconsts


def _scan_partial_eval(trace: PartialEvalTrace, args: Sequence[Any], *, body: Program,
                       num_consts: int, num_carry: int, length: int, reverse: bool,
                       unroll: int) -> list[Any]:
    """Which carries are unknown is found by fixed point. The known part runs
    now as a scan that also stacks the per-step residuals as extra ys; the
    unknown part is staged as a scan over those residuals (and the unknown xs),
    with the loop-invariant residuals as its constants."""
    unknowns = [trace.is_unknown(a) for a in args]
    const_uk, init_uk, xs_uk = (tuple(x) for x in _split(unknowns, num_consts, num_carry))
    carry_uk = _carry_fixed_point(
        lambda c: partial_eval_program(body, const_uk + c + xs_uk).out_unknowns[:num_carry],
        init_uk)
    split, kconsts = _cached(("scan_pe", body, num_consts, num_carry, const_uk, carry_uk, xs_uk),
                             lambda: _split_scan_body(body, num_consts, num_carry, const_uk,
                                                      carry_uk, xs_uk))
    consts, init, xs = _split(args, num_consts, num_carry)
    known_consts = [*kconsts, *(c for c, u in zip(consts, const_uk, strict=True) if not u)]
    known_init = [c for c, u in zip(init, carry_uk, strict=True) if not u]
    known_xs = [x for x, u in zip(xs, xs_uk, strict=True) if not u]
    params = {"length": length, "reverse": reverse, "unroll": unroll}
    with core.set_trace(trace.parent):
        outs: list[Any] = []
        if split.known.outvars:
            outs = P.scan_p.bind(*known_consts, *known_init, *known_xs, body=split.known,
                                 num_consts=len(known_consts), num_carry=len(known_init),
                                 **params)
        invariant = eval_program(split.invariant, known_consts)
    n_stacked = sum(s < 0 for s in split.res_source)
    known_outs, stacked = outs[:len(outs) - n_stacked], iter(outs[len(outs) - n_stacked:])
    unknown_outs: list[Any] = []
    if split.unknown.outvars:
        per_step = [next(stacked) if s < 0 else known_xs[s] for s in split.res_source]
        uk_consts = [*invariant, *(c for c, u in zip(consts, const_uk, strict=True) if u)]
        uk_init = [c for c, u in zip(init, carry_uk, strict=True) if u]
        uk_xs = [*per_step, *(x for x, u in zip(xs, xs_uk, strict=True) if u)]
        unknown_outs = trace.stage_eqn(
            P.scan_p, [*uk_consts, *uk_init, *uk_xs],
            {"body": split.unknown, "num_consts": len(uk_consts), "num_carry": len(uk_init),
             **params})
    return _merge(split.out_uk, known_outs, unknown_outs)


def _scan_transpose(cts: Sequence[Any], *args: Any, body: Program, num_consts: int,
                    num_carry: int, length: int, reverse: bool, unroll: int) -> list[Any]:
    """A scan in the opposite direction over the body's transpose. Its carry
    holds the carries' cotangents and accumulates those of the linear
    constants; its xs are the residual xs and the ys' cotangents, its ys the
    linear xs' cotangents. Every carry of a scan being transposed is linear."""
    consts, init, xs = _split(args, num_consts, num_carry)
    c_lin = tuple(is_undefined(c) for c in consts)
    x_lin = tuple(is_undefined(x) for x in xs)
    ct_carry, ct_ys = cts[:num_carry], cts[num_carry:]
    y_nz = tuple(type(c) is not Zero for c in ct_ys)
    linear = c_lin + (True,) * num_carry + x_lin
    tprog, tconsts, in_nz = transpose_program(body, linear, (True,) * num_carry + y_nz)
    lin_avals = [tangent_aval(a) for a, lin in zip(body.in_avals, linear, strict=True) if lin]
    nz_lc, nz_carry, nz_lx = _split(in_nz, sum(c_lin), num_carry)
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
            rc, acc, ctc, rx, cty = _split(vals, nrc, nacc, num_carry, nrx)
            outs = iter(eval_program(tprog, [*tconsts, *rc, *rx, *ctc, *cty]))
            ct_lc, ct_c, ct_lx = _split([next(outs) if nz else None for nz in in_nz],
                                        len(nz_lc), num_carry)
            new_acc = [add_tangents(a, c) for a, c in zip(acc, (c for c in ct_lc if c is not None),
                                                          strict=True)]
            new_ctc = [zeros(a) if c is None else c for a, c in zip(carry_avals, ct_c,
                                                                     strict=True)]
            return [*new_acc, *new_ctc, *(c for c in ct_lx if c is not None)]

        return _stage(fun, [*rc_avals, *acc_avals, *carry_avals, *rx_avals, *cty_avals],
                      f"transpose_{body.name}", "grad")

    tbody, bconsts = _cached(("scan_transpose", body, num_carry, c_lin, x_lin, y_nz), build)
    res_consts = [c for c in consts if not is_undefined(c)]
    res_xs = [x for x in xs if not is_undefined(x)]
    outs = P.scan_p.bind(*bconsts, *res_consts, *(zeros(a) for a in acc_avals),
                         *(instantiate(c) for c in ct_carry), *res_xs,
                         *(c for c in ct_ys if type(c) is not Zero), body=tbody,
                         num_consts=len(bconsts) + len(res_consts),
                         num_carry=len(acc_avals) + num_carry, length=length,
                         reverse=not reverse, unroll=unroll)
    acc_out, carry_out, lx_out = _split(outs, len(acc_avals), num_carry)
    acc_it, lx_it = iter(acc_out), iter(lx_out)
    ct_consts = [(next(acc_it) if nz else None) for nz in nz_lc]
    ct_xs = [(next(lx_it) if nz else None) for nz in nz_lx]
    ci, xi = iter(ct_consts), iter(ct_xs)
    return [*(next(ci) if lin else None for lin in c_lin),
            *(ct if is_undefined(a) else None for a, ct in zip(init, carry_out, strict=True)),
            *(next(xi) if lin else None for lin in x_lin)]


partial_eval_rules[P.scan_p] = _scan_partial_eval
transpose_rules[P.scan_p] = _scan_transpose
