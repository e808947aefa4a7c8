"""Batching rules of checkpoint, name and the calls carrying user-defined rules."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from funcgrad import core, primitives as P
from funcgrad.config import memoize
from funcgrad.core import Primitive, ShapedArray
from funcgrad.ir import Program
from funcgrad.primitives.custom import CustomBwd
from funcgrad.transforms.batching.interpreter import (BatchAxis, BatchTrace, BatchTracer, Dim,
                                                      axis_rule, batch_program, batch_rules,
                                                      call_batch, move_bdim)
from funcgrad.transforms.programs import named


axis_rule(P.checkpoint_p, call_batch(P.checkpoint_p))


def _name_batch(axis_size: int, args: Sequence[Any], dims: Sequence[Dim], *,
                name: Any) -> tuple[list[Any], list[Dim]]:
    return [P.name_p.bind(args[0], name=name)], [dims[0]]


batch_rules[P.name_p] = _name_batch


# User-defined derivative rules are Python functions over flat lists of arrays;
# their batched versions run the user's function under a fresh BatchTrace, with
# every output's batch axis at 0 (matching the call, whose outputs are forced to
# axis 0). A cotangent for an unbatched input sums over the lanes.


def _run_batched(fun: Callable[..., Any], axis: BatchAxis, groups: Sequence[Sequence[Any]],
                 group_dims: Sequence[Sequence[Dim]]) -> tuple[Any, BatchTrace]:
    trace = BatchTrace(core.current_trace(), axis.size, axis.name)
    with core.new_trace(trace):
        wrapped = [[x if d is None or x is None else BatchTracer(trace, x, d)
                    for x, d in zip(g, gd, strict=True)]
                   for g, gd in zip(groups, group_dims, strict=True)]
        return fun(*wrapped), trace


def _unpack_all(trace: BatchTrace, xs: Sequence[Any]) -> list[tuple[Any, Dim]]:
    return [(None, None) if x is None else trace.unpack(x) for x in xs]


def _at_zero(axis_size: int, xs: Sequence[tuple[Any, Dim]]) -> list[Any]:
    return [move_bdim(x, d, 0, axis_size) for x, d in xs]


@memoize("batched custom rules")
def _batched_jvp_rule(jvp: Callable[..., Any], dims: tuple[Dim, ...], num_consts: int,
                      axis: BatchAxis) -> Callable[..., Any]:
    """`jvp` over lanes; `dims` are the call's operands' (consts first). The
    consts the batched call gained go before the user's, and the rule skips them."""
    axis_size = axis.size
    const_dims, arg_dims = dims[:num_consts], dims[num_consts:]

    def jvp_batched(consts: Sequence[Any], primals: Sequence[Any],
                    tangents: Sequence[Any]) -> tuple[Any, Any]:
        # a tangent is laid out like its primal: batched at the same axis, or not at all
        (p_out, t_out), trace = _run_batched(
            jvp, axis, (consts[len(consts) - num_consts:], primals, tangents),
            (const_dims, arg_dims, arg_dims))
        p_out, t_out = _unpack_all(trace, p_out), _unpack_all(trace, t_out)
        return _at_zero(axis_size, p_out), _at_zero(axis_size, t_out)
    return jvp_batched


class _BatchedBwd:
    """A custom_vjp's `bwd` (a `CustomBwd`) over lanes: residuals at `res_dims`,
    output cotangents at axis 0, input cotangents at `in_dims` (where the input
    tangents are). Its tangent map is the batched tangent map of `bwd`."""

    __slots__ = ("bwd", "res_dims", "in_dims", "axis")

    def __init__(self, bwd: CustomBwd, res_dims: tuple[Dim, ...], in_dims: tuple[Dim, ...],
                 axis: BatchAxis):
        self.bwd = bwd
        self.res_dims = res_dims
        self.in_dims = in_dims
        self.axis = axis

    def _key(self) -> tuple[Any, ...]:
        return (self.bwd, self.res_dims, self.in_dims, self.axis)

    def __hash__(self) -> int:
        return hash(self._key())

    def __eq__(self, other: object) -> bool:
        return type(other) is _BatchedBwd and self._key() == other._key()

    def __repr__(self) -> str:
        return f"<vmap of {self.bwd!r}>"

    def __call__(self, res: Sequence[Any], cts: Sequence[Any]) -> list[Any]:
        axis_size = self.axis.size
        cts_in, trace = _run_batched(self.bwd, self.axis, (res, cts),
                                     (self.res_dims, [0] * len(cts)))
        out: list[Any] = []
        for (v, d), want in zip(_unpack_all(trace, cts_in), self.in_dims, strict=True):
            if v is None:
                out.append(None)
            elif want is None:     # an input shared by every lane gets the lanes' sum
                out.append(v if d is None else P.reduce_sum_p.bind(v, axes=(d,)))
            else:
                out.append(move_bdim(v, d, want, axis_size))
        return out

    def tangent_program(self, res_avals: Sequence[ShapedArray], t_avals: Sequence[ShapedArray],
                        ct_avals: Sequence[ShapedArray]) -> tuple[Program, list[Any]]:
        program, consts = self.bwd.tangent_program(
            [_unbatched(a, d) for a, d in zip(res_avals, self.res_dims, strict=True)],
            [_unbatched(a, d) for a, d in zip(t_avals, self.in_dims, strict=True)],
            [_unbatched(a, 0) for a in ct_avals])
        dims = (*(None for _ in consts), *self.res_dims, *self.in_dims)
        batched, new_consts, _ = batch_program(program, dims, self.axis,
                                               (True,) * len(program.outvars))
        return batched, [*new_consts, *consts]


def _unbatched(a: ShapedArray, d: Dim) -> ShapedArray:
    return a if d is None else a.update(shape=a.shape[:d] + a.shape[d + 1:])


@memoize("batched custom rules")
def _batched_fwd_rule(fwd: Callable[..., Any], dims: tuple[Dim, ...], num_consts: int,
                      axis: BatchAxis) -> Callable[..., Any]:
    const_dims, arg_dims = dims[:num_consts], dims[num_consts:]

    def fwd_batched(consts: Sequence[Any], primals: Sequence[Any]
                    ) -> tuple[list[Any], list[Any], Any]:
        (outs, res, bwd), trace = _run_batched(
            fwd, axis, (consts[len(consts) - num_consts:], primals), (const_dims, arg_dims))
        res_unpacked = _unpack_all(trace, res)
        outs_b = _at_zero(axis.size, _unpack_all(trace, outs))
        bwd_b = _BatchedBwd(bwd, tuple(d for _, d in res_unpacked), arg_dims, axis)
        return outs_b, [r for r, _ in res_unpacked], bwd_b
    return fwd_batched


def _custom_call_batch(prim: Primitive, rule_param: str,
                       batch_rule: Callable[..., Callable[..., Any]]
                       ) -> Callable[..., tuple[list[Any], list[Dim]]]:
    """Batch a custom_jvp/custom_vjp call: its Program, and the user's rule (batched
    by `batch_rule`), which is carried in the param `rule_param`."""
    def rule(axis: BatchAxis, args: Sequence[Any], dims: Sequence[Dim], *, call: Program,
             num_consts: int, **params: Any) -> tuple[list[Any], list[Dim]]:
        batched, consts, out_dims = batch_program(call, dims, axis, (True,) * len(call.outvars))
        user_rule = batch_rule(params[rule_param], tuple(dims), num_consts, axis)
        outs = prim.bind(*consts, *args, call=batched, **{rule_param: user_rule},
                         num_consts=len(consts) + num_consts)
        return list(outs), list(out_dims)
    return named(rule, f"_{prim.name}_batch")


def _custom_lin_batch(axis: BatchAxis, args: Sequence[Any], dims: Sequence[Dim], *, num_res: int,
                      bwd: CustomBwd,
                      out_avals: tuple[ShapedArray, ...]) -> tuple[list[Any], list[Dim]]:
    # still a linear map known through its transpose: batch that transpose
    bwd_b = _BatchedBwd(bwd, tuple(dims[:num_res]), tuple(dims[num_res:]), axis)
    avals = tuple(a.update(shape=(axis.size, *a.shape)) for a in out_avals)
    outs = P.custom_lin_p.bind(*args, num_res=num_res, bwd=bwd_b, out_avals=avals)
    return list(outs), [0] * len(outs)


axis_rule(P.custom_jvp_call_p, _custom_call_batch(P.custom_jvp_call_p, "jvp", _batched_jvp_rule))
axis_rule(P.custom_vjp_call_p, _custom_call_batch(P.custom_vjp_call_p, "fwd", _batched_fwd_rule))
axis_rule(P.custom_lin_p, _custom_lin_batch)
