"""Eager reverse mode as compiled calls: why funcgrad's eager `grad` beats
op-by-op autodiff.

Policy. Outside every transformation (the current trace is the eval trace):

- `value_and_grad` stages the whole function once per call to a Program (the
  Python function still runs, so side effects and prints behave as usual) and
  runs value-and-gradient as ONE compiled call, cached by the staged Program's
  structure and the placement: a training loop compiles once.
- A function that asks Python for traced values (``if x > 0``, ``float(x)``)
  gets them computed on demand: each ask compiles and runs the prefix staged
  so far. A function asking more than `MAX_MATERIALIZE` times per call is
  switched, for good, to op-by-op execution (linearize then transpose, each
  primitive its own cached executable), where asks are free.
- A custom_jvp/custom_vjp rule runs when the gradient is built, so in the
  staged form it would see no values: one that asks Python for a value
  switches the function to op-by-op execution at once, where the rule runs on
  concrete values, as JAX's eager grad runs it (the call that found out is
  finished op by op from the Program already staged, so Python runs once).
- `backward` runs the transpose of a linearized Program as one compiled call
  too (the `vjp`/`linear_transpose` functions returned to the user call it
  eagerly), keyed by the linear Program's structure, which linearize rebuilds
  identically on every call.

Under any transformation none of this applies: the plain interpreters run and
the enclosing transformation sees every primitive.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from funcgrad import core, ir, tree
from funcgrad.dispatch import (compile_program, placement, replicated_first, run_compiled,
                               run_program)
from funcgrad import primitives as P
from funcgrad.config import LRUCache, jit_disabled
from funcgrad.core import ShapedArray
from funcgrad.errors import ConcretizationError
from funcgrad.transforms.programs import Zero, tangent_aval
from funcgrad.transforms.staging import eval_program, hoist_consts, hoist_literals, trace_to_program
from funcgrad.transforms.transpose import transpose_linear_flat, transpose_program

__all__ = ["MAX_MATERIALIZE", "backward", "value_and_grad_staged"]

# Asks for traced values per call before a function is run op by op instead.
MAX_MATERIALIZE = 8

_backward_cache = LRUCache("backward programs")
_staged_cache = LRUCache("eager grad executables", executable_of=lambda hit: hit[0].exe)


def backward(program: Any, residuals: Sequence[Any], cts: Sequence[Any]) -> list[Any]:
    """Cotangents of a linear Program's inputs (maybe `Zero`): one compiled call
    when eager, the plain backward pass under a transformation or disable_jit."""
    if core.current_trace() is not core.eval_trace or jit_disabled():
        return transpose_linear_flat(program, residuals, cts)
    try:
        key = (ir.structure_key(program), tuple(core.get_aval(c) for c in cts))
    except TypeError:
        return transpose_linear_flat(program, residuals, cts)
    hit = _backward_cache.lookup(key)
    if hit is None:
        linear = [False] * len(program.constvars) + [True] * len(program.invars)
        tprog, consts, in_nz = transpose_program(hoist_consts(program), linear, [True] * len(cts))
        # in_nz: which of the linear inputs get a cotangent
        hit = _backward_cache.put(key, (tprog, consts, in_nz))
    tprog, consts, in_nz = hit
    outs = iter(P.jit_p.bind(*consts, *residuals, *cts, program=tprog, name="backward")
                if tprog.outvars else [])
    return [next(outs) if nz else Zero(tangent_aval(v.aval))
            for v, nz in zip(program.invars, in_nz, strict=True)]


CheckOutput = Callable[[ShapedArray, dict[str, Any], str], None]
ValueAndGradFlat = Callable[..., tuple[list[Any], list[Any]]]


def value_and_grad_staged(flat: Callable[..., list[Any]], leaves: Sequence[Any],
                          in_avals: Sequence[ShapedArray], box: dict[str, Any], name: str,
                          check_output: CheckOutput, value_and_grad_flat: ValueAndGradFlat
                          ) -> tuple[list[Any], list[Any], int]:
    """(outputs, gradients, asks) of the flat function `flat` at `leaves`, as one
    compiled call (`box` is filled by `flat` with its output structure).
    `check_output` validates the staged loss before anything is
    compiled; `value_and_grad_flat` is the op-by-op reverse mode that the
    compiled Program is staged from."""
    asks = [0]

    def materialize(prog: Any, args: Sequence[Any]) -> Sequence[Any]:
        asks[0] += 1
        return run_program(prog, args)

    program, consts = trace_to_program(flat, in_avals, name=name, kind=name,
                                       materializer=materialize, arg_values=leaves)
    check_output(program.out_avals[0], box, name)
    # inputs: closed-over arrays, the differentiated leaves, then the scalar literals
    hoisted, lits = hoist_literals(hoist_consts(program))
    nc, nl = len(consts), len(leaves)
    device = placement([*consts, *leaves, *(lit.val for lit in lits)])
    key = (ir.structure_key(hoisted), device)
    hit = _staged_cache.lookup(key)
    inner_box: dict[str, Any] = {"n_out": 1, "out_tree": tree.structure(0)}
    if hit is None:
        def vg(*args: Any) -> list[Any]:
            fixed, diff, rest = args[:nc], args[nc:nc + nl], args[nc + nl:]
            outs, grads = value_and_grad_flat(
                lambda *ls: eval_program(hoisted, [*fixed, *ls, *rest]), diff, inner_box, name)
            return [*outs, *grads]

        try:
            vg_prog, vg_consts = trace_to_program(vg, [v.aval for v in hoisted.invars],
                                                  name=f"value_and_{name}")
        except ConcretizationError:
            # a custom rule asked Python for a value: finish op by op, on values
            rest = [lit.val for lit in lits]
            outs, grads = value_and_grad_flat(
                lambda *ls: eval_program(hoisted, [*consts, *ls, *rest]), leaves, inner_box,
                name)
            return outs, grads, MAX_MATERIALIZE + 1
        where = replicated_first(device, len(vg_consts))
        hit = _staged_cache.put(key, (compile_program(vg_prog, where), vg_consts))
    entry, vg_consts = hit
    results = run_compiled(entry, [*vg_consts, *consts, *leaves, *(lit.val for lit in lits)])
    n = len(program.outvars)
    return results[:n], results[n:], asks[0]
