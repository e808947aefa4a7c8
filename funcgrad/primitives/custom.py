"""Primitives for user-defined derivative rules and rematerialisation:
custom_jvp_call, custom_vjp_call, custom_lin (the linear map a custom_vjp's
`bwd` transposes), checkpoint, and name (a value tagged for checkpoint's
saving policies). The first four carry Programs or callables in their params
and take their output avals from them.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from funcgrad.core import Primitive, ShapedArray
from funcgrad.ir import Program


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
# primal; `jvp` (consts, flat primals, flat tangents -> flat outs, flat tangent
# outs) is the user's rule, used by forward and reverse mode. The consts are the
# values the function closes over: the rule reads them from its first argument,
# never from its Python closure, so it outlives the trace that made them.
custom_jvp_call_p = Primitive("custom_jvp_call", multiple_results=True)
custom_jvp_call_p.def_abstract_eval(_call_like_rule("custom_jvp_call"))

# custom_vjp_call(*consts, *args; call, fwd, num_consts): `fwd` (consts, flat
# primals) gives outs, residuals and `bwd`, which maps residuals and output
# cotangents to input cotangents (None for a zero one).
custom_vjp_call_p = Primitive("custom_vjp_call", multiple_results=True)
custom_vjp_call_p.def_abstract_eval(_call_like_rule("custom_vjp_call"))

# custom_lin(*residuals, *tangents; num_res, bwd, out_avals): the linear map
# whose transpose is a custom_vjp's `bwd` (a `CustomBwd`). Reverse mode
# transposes it into `bwd`; forward mode evaluates it as bwd's transpose, the
# Program `bwd.tangent_program` builds on first use.
custom_lin_p = Primitive("custom_lin", multiple_results=True)


class CustomBwd(Protocol):
    """The `bwd` param of custom_lin. Calling it maps residuals and output
    cotangents to input cotangents (None for a zero one). `tangent_program`
    gives its transpose, the tangent map ``(residuals, input tangents) ->
    output tangents``, as a const-free Program (its constants as leading
    inputs) and those constants. It must be hashable: eager calls key their
    compiled executables on it."""

    def __call__(self, res: Sequence[Any], cts: Sequence[Any]) -> list[Any]: ...

    def tangent_program(self, res_avals: Sequence[ShapedArray], t_avals: Sequence[ShapedArray],
                        ct_avals: Sequence[ShapedArray]) -> tuple[Program, list[Any]]: ...


@custom_lin_p.def_abstract_eval
def _custom_lin_rule(*avals: ShapedArray, num_res: int, bwd: Any,
                     out_avals: tuple[ShapedArray, ...]) -> list[ShapedArray]:
    return list(out_avals)


# checkpoint(*args; program, name, prevent_cse, policy): call `program`; reverse
# mode stores only the intermediate values `policy` allows (None: none) and
# recomputes the others. A policy is ``policy(prim, *in_avals, **params) -> bool``
# asked of each equation whose outputs the backward pass needs.
checkpoint_p = Primitive("checkpoint", multiple_results=True)
checkpoint_p.def_abstract_eval(_call_like_rule("checkpoint"))

# name(x; name): x itself, tagged so that a checkpoint policy can save it by name
# (`save_only_these_names`). Linear: its tangent and cotangent pass through.
name_p = Primitive("name")


@name_p.def_abstract_eval
def _name_rule(x: ShapedArray, *, name: str) -> ShapedArray:
    return x
