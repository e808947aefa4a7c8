"""Transposition of linear Programs (reverse mode is linearize then transpose):
the interpreter, its rule table and the Program-level transpose.

`backward_pass` walks a Program backwards from output cotangents to input
cotangents. Its linear inputs are given as `UndefinedPrimal(aval)`, the others
as values; equations that touch no linear input are evaluated forward first
(checkpoint's recomputation lives there), the rest are transposed with
`transpose_rules`. Everything is bound under the current trace, so the
backward pass is itself differentiable and stageable: grad-of-grad,
jit-of-grad and grad-of-jit compose.

Rule signature (`TransposeRule`): ``rule(ct, *args, **params) -> cts`` with
one entry per operand: the cotangent of a linear (undefined) operand, or None
(no contribution; always None for defined operands). `ct` is a single value
for single-result primitives (never a symbolic zero: such equations are
skipped) and a list, possibly holding `Zero`s, for multiple-result ones.
Cotangents of broadcast operands are summed back with `unbroadcast`. Linear
operands always arrive as `UndefinedPrimal(aval)` (one convention for every rule).

Untaken cases of a select get exact zeros, never NaN (NB: JAX's get NaN, which
its users dodge with a second `where`). The transpose of select_n hands each
case the cotangent where that case was picked and a zero elsewhere; a rule
further back that multiplies by a partial (mul or div by a residual) would
turn that zero into NaN wherever the partial is infinite or NaN (sqrt at 0,
log at 0, any out-of-domain value the select discarded). So the pass keeps,
beside such a cotangent, the selects that zeroed it (its `Mask`), carries it
through the rules that keep zeros zero, and selects a multiplying rule's result
through it once more (`mask_policy` says which rule does what). Taken lanes are
bit-identical to the plain transpose; a Program without select never gets a
mask, so its transpose is exactly the plain one.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from typing import Any, Protocol

import numpy as np

from funcgrad import primitives as P
from funcgrad.config import LRUCache
from funcgrad.core import Primitive
from funcgrad.errors import UnsupportedError
from funcgrad.ir import Literal, Program, Var, extend_scope
from funcgrad.transforms.programs import (UndefinedPrimal, Zero, add_tangents, aval, cached,
                                          is_undefined, named, no_tracers, tangent_aval,
                                          unbroadcast, weak_scalar)
from funcgrad.transforms.staging import hoist_consts, replaying, trace_to_program


class TransposeRule(Protocol):
    """The signature every transpose rule has. Rules name their own params
    keyword-only (``*, axes``), which a type checker does not accept as
    ``**params: Any``, so the table holds them as callables with this protocol's
    result."""
    def __call__(self, ct: Any, /, *args: Any, **params: Any) -> Sequence[Any | None]: ...


transpose_rules: dict[Primitive, Callable[..., Sequence[Any | None]]] = {}


# ---------------------------------------------------------------------------
# Masks: cotangents known to be zero outside the picked case of a select

Cond = tuple[Any, int, int]
"""(which, case, number of cases): the cotangent is zero wherever `which`
(broadcast NumPy-style to the cotangent's shape) is not `case`."""
Mask = tuple[Cond, ...]
"""Conditions that all hold: zero wherever any one fails."""

SELECT, KEEP, SCALE, UNIFORM = "select", "keep", "scale", "uniform"
mask_policy: dict[Primitive, str] = {}
"""How a rule treats a masked cotangent; a primitive not listed drops the mask.

SELECT (select_n): each case's cotangent gets the incoming mask plus its own case.
KEEP: elementwise with NumPy broadcasting, zero in gives zero out; the mask
carries over to each operand whose shape its predicates still fit.
SCALE: elementwise, multiplies by a non-linear operand: the product is selected
through the mask before it is summed to the operand's shape (a finite Literal
factor cannot make NaN, so there it acts as KEEP).
UNIFORM: zero in gives zero out but elements move; only conditions whose
predicate is a single value carry over."""

_mask_untaken = True
"""Off only to compare against the plain transpose (benchmarks, tests)."""


def _fits(which: Any, shape: tuple[int, ...]) -> bool:
    """Does `which` broadcast to `shape` (so each element of `shape` has one predicate)?"""
    w = aval(which).shape
    lead = len(shape) - len(w)
    return lead >= 0 and all(a in (1, b) for a, b in zip(w, shape[lead:], strict=True))


def _carry(mask: Mask, shape: tuple[int, ...], kind: str | None) -> Mask:
    if kind == UNIFORM:
        return tuple(c for c in mask if math.prod(aval(c[0]).shape) == 1 and _fits(c[0], shape))
    return tuple(c for c in mask if _fits(c[0], shape))


def _common(a: Mask, b: Mask) -> Mask:
    """The mask of a sum: the conditions under which both terms are zero."""
    return tuple(c for c in a if any(c[0] is d[0] and c[1] == d[1] for d in b))


def _apply_mask(x: Any, mask: Mask) -> Any:
    """`x` where every condition of `mask` holds, exact zeros elsewhere."""
    zero = weak_scalar(0, aval(x).dtype)
    for which, case, n in mask:
        x = P.select_n_p.bind(which, *(x if j == case else zero for j in range(n)))
    return x


def _finite_literal(x: Any) -> bool:
    return type(x) is Literal and bool(np.all(np.isfinite(x.val)))


def _masked_transpose(rule: Callable[..., Sequence[Any | None]], kind: str | None, mask: Mask,
                      ct: Any, eargs: list[Any], params: dict[str, Any]
                      ) -> tuple[Sequence[Any | None], list[Mask]]:
    """Run a single-result rule on a (maybe) masked cotangent; return the operands'
    cotangents and their masks."""
    if kind == SCALE and mask and not all(is_undefined(a) or _finite_literal(a) for a in eargs):
        # the product in the cotangent's own shape, selected, then summed back
        shape = aval(ct).shape
        wide = [UndefinedPrimal(a.aval.update(shape=shape)) if is_undefined(a) else a
                for a in eargs]
        cts_in: Sequence[Any | None] = [
            None if c is None or type(c) is Zero else unbroadcast(_apply_mask(c, mask), a.aval)
            for c, a in zip(rule(ct, *wide, **params), eargs, strict=True)]
    else:
        cts_in = rule(ct, *eargs, **params)
    masks: list[Mask] = []
    for i, a in enumerate(eargs):
        if not is_undefined(a) or kind is None:
            masks.append(())
            continue
        own = mask
        if kind == SELECT and i > 0:
            which = eargs[0]
            own = (*mask, (which, i - 1, len(eargs) - 1))
        masks.append(_carry(own, a.aval.shape, kind))
    return cts_in, masks


def backward_pass(program: Program, args: Sequence[Any], cts_out: Sequence[Any]) -> list[Any]:
    """Cotangents of `program`'s inputs (constvars then invars) given its output
    cotangents. `args` holds values for the non-linear inputs and
    `UndefinedPrimal`s for the linear ones; the result has a cotangent (maybe
    `Zero`) for each linear input and None for the others."""
    inputs = (*program.constvars, *program.invars)
    env: dict[int, Any] = {}
    linear: set[int] = set()
    for v, a in zip(inputs, args, strict=True):
        if is_undefined(a):
            linear.add(id(v))
        else:
            env[id(v)] = a

    def read(a: Any) -> Any:
        return a if type(a) is Literal else env[id(a)]

    def is_linear(a: Any) -> bool:
        return type(a) is Var and id(a) in linear

    lin_eqns = []
    for eqn in program.eqns:
        if any(is_linear(a) for a in eqn.inputs):
            lin_eqns.append(eqn)
            linear.update(id(v) for v in eqn.outvars)
        else:
            outs = eqn.prim.bind(*(read(a) for a in eqn.inputs), **eqn.params)
            if not eqn.prim.multiple_results:
                outs = [outs]
            for v, o in zip(eqn.outvars, outs, strict=True):
                env[id(v)] = o

    ct_env: dict[int, Any] = {}
    masks: dict[int, Mask] = {}

    def write(a: Any, ct: Any, mask: Mask = ()) -> None:
        if ct is None or type(ct) is Zero or not is_linear(a):
            return
        prev = ct_env.get(id(a))
        if prev is None:
            ct_env[id(a)] = ct
            if mask:
                masks[id(a)] = mask
            return
        ct_env[id(a)] = add_tangents(prev, ct)
        kept = _common(masks.pop(id(a), ()), mask)
        if kept:
            masks[id(a)] = kept

    for atom, ct in zip(program.outvars, cts_out, strict=True):
        write(atom, ct)
    for eqn in reversed(lin_eqns):
        cts = [ct_env.pop(id(v), None) for v in eqn.outvars]
        if all(c is None for c in cts):
            continue
        rule = transpose_rules.get(eqn.prim)
        if rule is None:
            raise UnsupportedError(
                f"cannot transpose primitive '{eqn.prim.name}': it is not linear in its "
                f"differentiated operands{' (' + eqn.source + ')' if eqn.source else ''}. "
                "Reverse mode and linear_transpose need a function that is linear in the "
                "values being transposed.")
        eargs = [UndefinedPrimal(a.aval) if is_linear(a) else read(a) for a in eqn.inputs]
        out_masks = [masks.pop(id(v), ()) for v in eqn.outvars] if masks else [()]
        kind = mask_policy.get(eqn.prim) if _mask_untaken else None
        in_masks: list[Mask] = []
        # the backward pass's equations keep the named scope and the source line of the
        # one they transpose
        with extend_scope(eqn.scope) if eqn.scope else nullcontext(), replaying(eqn.source):
            if eqn.prim.multiple_results:
                cts_in = rule([Zero(tangent_aval(v.aval)) if c is None else c
                               for v, c in zip(eqn.outvars, cts, strict=True)],
                              *eargs, **eqn.params)
            elif kind is not None and (out_masks[0] or kind == SELECT):
                cts_in, in_masks = _masked_transpose(rule, kind, out_masks[0], cts[0], eargs,
                                                     eqn.params)
            else:
                cts_in = rule(cts[0], *eargs, **eqn.params)
        for i, (a, ct) in enumerate(zip(eqn.inputs, cts_in, strict=True)):
            write(a, ct, in_masks[i] if in_masks else ())
    return [ct_env.get(id(v), Zero(tangent_aval(v.aval))) if id(v) in linear else None
            for v in inputs]


def transpose_linear_flat(program: Program, residuals: Sequence[Any],
                          cts_out: Sequence[Any]) -> list[Any]:
    """Cotangents (maybe `Zero`) of a linear Program's invars; constvars take `residuals`."""
    args = [*residuals, *(UndefinedPrimal(v.aval) for v in program.invars)]
    return backward_pass(program, args, cts_out)[len(residuals):]


# ---------------------------------------------------------------------------
# Programs: transpose a Program as a Program (call primitives, loop bodies)

_transpose_cache = LRUCache("transposed programs")


def transpose_program(program: Program, linear: Sequence[bool], ct_nonzero: Sequence[bool]
                      ) -> tuple[Program, list[Any], list[bool]]:
    """The transpose of a const-free Program as a Program.

    It takes (consts, the non-linear inputs, the nonzero output cotangents) and
    returns the cotangents of the linear inputs that are not symbolically zero
    (the third result marks those).
    """
    linear, ct_nonzero = tuple(linear), tuple(ct_nonzero)

    def build() -> tuple[Any, bool]:
        nonlin = [v.aval for v, lin in zip(program.invars, linear, strict=True) if not lin]
        ct_avals = [tangent_aval(a) for a, nz in zip(program.out_avals, ct_nonzero, strict=True)
                    if nz]
        k = len(nonlin)
        box: list[list[bool]] = []

        def fun(*args: Any) -> list[Any]:
            vals, cts_it = iter(args[:k]), iter(args[k:])
            bargs = [UndefinedPrimal(v.aval) if lin else next(vals)
                     for v, lin in zip(program.invars, linear, strict=True)]
            cts = [next(cts_it) if nz else Zero(tangent_aval(a))
                   for a, nz in zip(program.out_avals, ct_nonzero, strict=True)]
            cts_in = [c for c, lin in zip(backward_pass(program, bargs, cts), linear,
                                          strict=True) if lin]
            box.append([type(c) is not Zero for c in cts_in])
            return [c for c in cts_in if type(c) is not Zero]

        prog, consts = trace_to_program(fun, [*nonlin, *ct_avals],
                                        name=f"transpose_{program.name}", kind="grad")
        return (hoist_consts(prog), consts, box[0]), no_tracers(consts)

    return cached(_transpose_cache, (program, linear, ct_nonzero), build)


def call_transpose(prim: Primitive) -> TransposeRule:
    """Transpose rule of a call primitive whose Program is its `program` param:
    the transposed Program is bound with the same primitive, so it stays one call."""
    def rule(cts: Sequence[Any], *args: Any, **params: Any) -> list[Any]:
        program: Program = params["program"]
        linear = [is_undefined(a) for a in args]
        ct_nz = [type(c) is not Zero for c in cts]
        tprog, consts, in_nz = transpose_program(program, linear, ct_nz)
        outs: list[Any] = []
        if tprog.outvars:
            outs = prim.bind(*consts, *(a for a in args if not is_undefined(a)),
                             *(c for c in cts if type(c) is not Zero),
                             **{**params, "program": tprog,
                                "name": f"transpose_{params['name']}"})
        it, nz_it = iter(outs), iter(in_nz)
        return [(next(it) if next(nz_it) else None) if is_undefined(a) else None for a in args]
    return named(rule, f"_{prim.name}_transpose")
