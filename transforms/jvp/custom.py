"""JVP rules of checkpoint and of the calls carrying user-defined rules
(funcgrad.custom_rules)."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from funcgrad import primitives as P
from funcgrad.errors import UnsupportedError
from funcgrad.ir import Program
from funcgrad.transforms.jvp.interpreter import call_jvp, jvp_rules
from funcgrad.transforms.programs import Zero, aval, instantiate, tangent_aval


jvp_rules[P.checkpoint_p] = call_jvp(P.checkpoint_p)


def _closure_check(tangents: Sequence[Any], num_consts: int, what: str) -> None:
    if any(type(t) is not Zero for t in tangents[:num_consts]):
        raise UnsupportedError(
            f"a {what} function closes over a value that is being differentiated; its rule "
            "cannot account for it. Pass that value as an argument of the function instead.")


def _custom_jvp_call_jvp(primals: Sequence[Any], tangents: Sequence[Any], *, call: Program,
                         jvp: Callable[..., Any], num_consts: int) -> tuple[Any, Any]:
    """Run the user's rule (under the parent trace, so it is itself differentiable)."""
    _closure_check(tangents, num_consts, "custom_jvp")
    ts = [instantiate(t) for t in tangents[num_consts:]]
    return jvp(list(primals[num_consts:]), ts)


def _custom_vjp_call_jvp(primals: Sequence[Any], tangents: Sequence[Any], *, call: Program,
                         fwd: Callable[..., Any], num_consts: int) -> tuple[Any, Any]:
    """Run `fwd` now; the tangents go through `custom_lin`, which only reverse mode
    can use (its transpose calls `bwd` with the residuals)."""
    _closure_check(tangents, num_consts, "custom_vjp")
    outs, res, bwd = fwd(list(primals[num_consts:]))
    ts = [instantiate(t) for t in tangents[num_consts:]]
    out_avals = tuple(tangent_aval(aval(o)) for o in outs)
    t_out = P.custom_lin_p.bind(*res, *ts, num_res=len(res), bwd=bwd, out_avals=out_avals)
    return outs, t_out


jvp_rules[P.custom_jvp_call_p] = _custom_jvp_call_jvp
jvp_rules[P.custom_vjp_call_p] = _custom_vjp_call_jvp
