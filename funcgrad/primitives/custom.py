"""Primitives for user-defined derivative rules and rematerialisation:
custom_jvp_call, custom_vjp_call, custom_lin (the linear map a custom_vjp's
`bwd` transposes) and checkpoint. They carry Programs or callables in their
params and take their output avals from them.
"""
from __future__ import annotations

from typing import Any

from funcgrad.core import Primitive, ShapedArray


def _call_like_rule(name: str) -> Any:
    """Shape rule of a primitive that calls `call`/`program` on all its operands."""
    def rule(*avals: ShapedArray, **params: Any) -> list[ShapedArray]:
        program = params["program"] if "program" in params else params["call"]
        want = program.in_avals
        if [a.strong() for a in avals] != [a.strong() for a in want]:
            raise TypeError(f"{name}: operands {[a.str_short() for a in avals]} do not match "
                            f"the program's inputs {[a.str_short() for a in want]}")
        return program.out_avals
    return rule


# custom_jvp_call(*consts, *args; call, jvp, num_consts): `call` computes the
# primal; `jvp` (flat primals, flat tangents -> flat outs, flat tangent outs)
# is the user's rule, used by forward and reverse mode.
custom_jvp_call_p = Primitive("custom_jvp_call", multiple_results=True)
custom_jvp_call_p.def_abstract_eval(_call_like_rule("custom_jvp_call"))

# custom_vjp_call(*consts, *args; call, fwd, bwd, num_consts): `fwd` gives outs
# and residuals, `bwd` maps residuals and output cotangents to input cotangents.
custom_vjp_call_p = Primitive("custom_vjp_call", multiple_results=True)
custom_vjp_call_p.def_abstract_eval(_call_like_rule("custom_vjp_call"))

# custom_lin(*residuals, *tangents; num_res, bwd, out_avals): the linear map
# whose transpose is a custom_vjp's `bwd`. It can only be transposed.
custom_lin_p = Primitive("custom_lin", multiple_results=True)


@custom_lin_p.def_abstract_eval
def _custom_lin_rule(*avals: ShapedArray, num_res: int, bwd: Any,
                     out_avals: tuple[ShapedArray, ...]) -> list[ShapedArray]:
    return list(out_avals)


# checkpoint(*args; program, name, prevent_cse): call `program`; reverse mode
# recomputes it instead of storing its intermediate values.
checkpoint_p = Primitive("checkpoint", multiple_results=True)
checkpoint_p.def_abstract_eval(_call_like_rule("checkpoint"))
