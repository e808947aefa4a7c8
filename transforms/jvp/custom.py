"""JVP rules of checkpoint, name, custom_lin and the calls carrying user-defined
rules (funcgrad.custom_rules).

The rules of custom_jvp_call and custom_vjp_call receive the values the
function closes over (its leading `num_consts` operands) like any operand. A
closed-over value differentiated by this very JVP is one the user's rule knows
nothing of: a custom_jvp function takes that part of its derivative from its
own Program (forward mode through the function's code), a custom_vjp function
raises, as in JAX. Values differentiated by an enclosing transformation are
seen by the rules as that transformation's tracers, so their derivatives flow
through the rules' own code.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from funcgrad import primitives as P
from funcgrad.core import ShapedArray
from funcgrad.errors import UnsupportedError
from funcgrad.ir import Program
from funcgrad.primitives.custom import CustomBwd
from funcgrad.transforms.jvp.interpreter import call_jvp, jvp_call, jvp_rules
from funcgrad.transforms.programs import Zero, add_tangents, aval, instantiate, tangent_aval
from funcgrad.transforms.staging import eval_program


jvp_rules[P.checkpoint_p] = call_jvp(P.checkpoint_p)


def _name_jvp(primals: Sequence[Any], tangents: Sequence[Any], *,
              name: Any) -> tuple[Any, Any]:
    # only the primal is tagged: a policy saves values, never tangents
    (x,), (t,) = primals, tangents
    return P.name_p.bind(x, name=name), t


jvp_rules[P.name_p] = _name_jvp


def _custom_jvp_call_jvp(primals: Sequence[Any], tangents: Sequence[Any], *, call: Program,
                         jvp: Callable[..., Any], num_consts: int) -> tuple[Any, Any]:
    """Run the user's rule (under the parent trace, so it is itself differentiable)."""
    consts, args = primals[:num_consts], primals[num_consts:]
    const_ts = tangents[:num_consts]
    ts = [instantiate(t) for t in tangents[num_consts:]]
    outs, t_out = jvp(list(consts), list(args), ts)
    if all(type(t) is Zero for t in const_ts):
        return outs, t_out
    # the closed-over values' share of the derivative: through the function's code
    _, t_closure = jvp_call(lambda *cs: eval_program(call, [*cs, *args]), consts, const_ts)
    return outs, [add_tangents(a, b) for a, b in zip(t_out, t_closure, strict=True)]


def _custom_vjp_call_jvp(primals: Sequence[Any], tangents: Sequence[Any], *, call: Program,
                         fwd: Callable[..., Any], num_consts: int) -> tuple[Any, Any]:
    """Run `fwd` now; the tangents go through `custom_lin`: reverse mode transposes
    it into `bwd`, forward mode evaluates it as bwd's transpose (built only then)."""
    if any(type(t) is not Zero for t in tangents[:num_consts]):
        raise UnsupportedError(
            f"differentiating the custom_vjp function '{call.name}' with respect to a value "
            "it closes over: its fwd/bwd rules give cotangents for its arguments only. Pass "
            "that value as an argument, or convert the function with fg.closure_convert and "
            "pass the consts it returns as arguments.")
    outs, res, bwd = fwd(list(primals[:num_consts]), list(primals[num_consts:]))
    ts = [instantiate(t) for t in tangents[num_consts:]]
    out_avals = tuple(tangent_aval(aval(o)) for o in outs)
    t_out = P.custom_lin_p.bind(*res, *ts, num_res=len(res), bwd=bwd, out_avals=out_avals)
    return outs, t_out


def _custom_lin_jvp(primals: Sequence[Any], tangents: Sequence[Any], *, num_res: int,
                    bwd: CustomBwd, out_avals: tuple[ShapedArray, ...]) -> tuple[Any, Any]:
    """Linear in the tangents it maps, so their share is custom_lin again (still
    transposable into `bwd`); the residuals' share (forward mode over a custom_vjp's
    forward mode) differentiates the tangent map's Program."""
    params = {"num_res": num_res, "bwd": bwd, "out_avals": out_avals}
    res, ts = primals[:num_res], primals[num_res:]
    res_dots, t_dots = tangents[:num_res], tangents[num_res:]
    outs = P.custom_lin_p.bind(*primals, **params)
    t_out: list[Any] = [Zero(tangent_aval(a)) for a in out_avals]
    if any(type(t) is not Zero for t in t_dots):
        t_out = P.custom_lin_p.bind(*res, *(instantiate(t) for t in t_dots), **params)
    if any(type(t) is not Zero for t in res_dots):
        program, consts = bwd.tangent_program([aval(r) for r in res], [aval(t) for t in ts],
                                              out_avals)
        _, t_res = jvp_call(lambda *rs: eval_program(program, [*consts, *rs, *ts]), res,
                            res_dots)
        t_out = [add_tangents(a, b) for a, b in zip(t_out, t_res, strict=True)]
    return outs, t_out


jvp_rules[P.custom_jvp_call_p] = _custom_jvp_call_jvp
jvp_rules[P.custom_vjp_call_p] = _custom_vjp_call_jvp
jvp_rules[P.custom_lin_p] = _custom_lin_jvp
