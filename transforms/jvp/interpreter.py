"""Forward mode: the JVP interpreter, its rule table and the helpers that make rules.

A `JVPTracer` carries a primal and its tangent. The tangent may be a
symbolic `Zero`; values whose tangent is zero are never wrapped at all: a
`JVPTrace` returns plain primal values for them, so ``if x > 0:`` works in an
eager ``grad`` and untouched constants cost nothing. Rules run under the
parent trace, so a rule's own operations are seen (and transformed) by the
enclosing transformations; that is all higher-order differentiation needs.

Rule signature (`JVPRule`): ``rule(primals, tangents, **params) ->
(primals_out, tangents_out)``, a single value each for single-result
primitives and lists for multiple-result ones. Tangents of integer and boolean
values are always `Zero`; non-differentiable primitives (comparisons, argmax,
floor, integer ops) give zero tangents, like JAX.

Invariant: a tangent has its primal's shape and dtype; tangent rules are
linear in the tangents (reverse mode relies on it).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

import numpy as np

from funcgrad import core
from funcgrad.config import LRUCache
from funcgrad.core import Primitive, ShapedArray, Trace, Tracer
from funcgrad.errors import UnsupportedError
from funcgrad.ir import Program
from funcgrad.transforms.programs import (Zero, add_tangents, aval, broadcast_to, cached,
                                          differentiable, instantiate, named, no_tracers,
                                          tangent_aval)
from funcgrad.transforms.staging import eval_program, hoist_consts, trace_to_program


class JVPRule(Protocol):
    """The signature every JVP rule has. Rules name their own params keyword-only
    (``*, axes``), which a type checker does not accept as ``**params: Any``, so
    the table holds them as callables with this protocol's result."""
    def __call__(self, primals: Sequence[Any], tangents: Sequence[Any],
                 **params: Any) -> tuple[Any, Any]: ...


jvp_rules: dict[Primitive, Callable[..., tuple[Any, Any]]] = {}

# Primitives without a JVP rule, each with the reason (the coverage test reads this).
NO_RULE: dict[Primitive, str] = {}


class JVPTracer(Tracer):
    __slots__ = ("primal", "tangent")

    def __init__(self, trace: JVPTrace, primal: Any, tangent: Any):
        self._trace = trace
        self.primal = primal
        self.tangent = tangent

    @property
    def aval(self) -> ShapedArray:
        return core.get_aval(self.primal)

    def concrete_value(self) -> Any:
        p = self.primal
        if isinstance(p, Tracer):
            return p.concrete_value()
        return p if hasattr(p, "_buf") else np.asarray(p)


class JVPTrace(Trace):
    __slots__ = ()
    kind = "jvp"
    parent: Trace   # made from the current trace, which always exists

    def lift(self, x: Any) -> tuple[Any, Any]:
        if type(x) is JVPTracer and self.is_own(x):
            return x.primal, x.tangent
        self.is_own(x)   # raises for a finished trace's tracer
        return x, None

    def process_primitive(self, prim: Primitive, args: Sequence[Any],
                          params: dict[str, Any]) -> list[Any]:
        primals: list[Any] = []
        tangents: list[Any] = []
        nonzero = False
        for x in args:
            p, t = self.lift(x)
            primals.append(p)
            tangents.append(t)
            nonzero = nonzero or (t is not None and type(t) is not Zero)
        with core.set_trace(self.parent):
            if not nonzero:
                out = prim.bind(*primals, **params)
                return out if prim.multiple_results else [out]
            tangents = [Zero(tangent_aval(core.get_aval(p))) if t is None else t
                        for p, t in zip(primals, tangents, strict=True)]
            rule = jvp_rules.get(prim)
            if rule is None:
                raise UnsupportedError(
                    f"differentiation rule for primitive '{prim.name}' is not implemented: "
                    "funcgrad cannot differentiate through it. Wrap the computation in "
                    "fg.stop_gradient, or give it a rule with fg.custom_jvp.")
            p_out, t_out = rule(primals, tangents, **params)
        if not prim.multiple_results:
            p_out, t_out = [p_out], [t_out]
        return [self.pack(p, t) for p, t in zip(p_out, t_out, strict=True)]

    def pack(self, primal: Any, tangent: Any) -> Any:
        if tangent is None or type(tangent) is Zero or not differentiable(core.get_aval(primal)):
            return primal
        return JVPTracer(self, primal, tangent)


def jvp_call(fun: Callable[..., Sequence[Any]], primals: Sequence[Any],
             tangents: Sequence[Any]) -> tuple[list[Any], list[Any]]:
    """Run `fun` (flat lists in and out) forward-mode; tangents may be `Zero`.
    Returns output primals and tangents (`Zero` where nothing flowed)."""
    trace = JVPTrace(core.current_trace())
    with core.new_trace(trace):
        ins = [trace.pack(p, t) for p, t in zip(primals, tangents, strict=True)]
        outs = fun(*ins)
    p_out, t_out = [], []
    for o in outs:
        if type(o) is JVPTracer and trace.is_own(o):
            p_out.append(o.primal)
            t_out.append(o.tangent)
        else:
            p_out.append(o)
            t_out.append(Zero(tangent_aval(core.get_aval(o))))
    return p_out, t_out


# ---------------------------------------------------------------------------
# helpers: operations on primals/tangents, bound under the current trace


# ---------------------------------------------------------------------------
# helpers that make rules


def zero_jvp(prim: Primitive) -> JVPRule:
    """For primitives whose outputs are piecewise constant or not differentiable."""
    def rule(primals: Sequence[Any], tangents: Sequence[Any], **params: Any) -> tuple[Any, Any]:
        out = prim.bind(*primals, **params)
        if prim.multiple_results:
            return out, [Zero(tangent_aval(aval(o))) for o in out]
        return out, Zero(tangent_aval(aval(out)))
    return named(rule, f"_{prim.name}_jvp")


Deriv = Callable[..., Any]   # (t, ans, *primals) -> the tangent contribution of one operand


def defjvp_elementwise(prim: Primitive, *derivs: Deriv | None) -> None:
    """An elementwise primitive's JVP from one function per operand: the sum of
    ``deriv(t, ans, *primals)`` over operands with a nonzero tangent, broadcast
    to the output. A ``None`` deriv marks an operand with no tangent path."""
    def rule(primals: Sequence[Any], tangents: Sequence[Any], **params: Any) -> tuple[Any, Any]:
        ans = prim.bind(*primals, **params)
        out_aval = aval(ans)
        t_out: Any = Zero(tangent_aval(out_aval))
        if not differentiable(out_aval):
            return ans, t_out
        for deriv, t in zip(derivs, tangents, strict=True):
            if deriv is None or type(t) is Zero:
                continue
            t_out = add_tangents(t_out, deriv(t, ans, *primals))
        return ans, broadcast_to(t_out, out_aval.shape)
    jvp_rules[prim] = named(rule, f"_{prim.name}_jvp")


def deflinear(prim: Primitive) -> None:
    """A primitive linear in its one array operand: the tangent is the same op."""
    def rule(primals: Sequence[Any], tangents: Sequence[Any], **params: Any) -> tuple[Any, Any]:
        (t,) = tangents
        return prim.bind(*primals, **params), prim.bind(t, **params)
    jvp_rules[prim] = named(rule, f"_{prim.name}_jvp")


# ---------------------------------------------------------------------------
# Programs: differentiate a Program as a Program (call primitives, loop bodies)

_jvp_cache = LRUCache("jvp programs")


def jvp_program(program: Program, nonzeros: Sequence[bool],
                instantiate_out: Sequence[bool] | None = None
                ) -> tuple[Program, list[Any], list[bool]]:
    """The JVP of a const-free Program as a Program.

    It takes (consts, primals, the tangents marked in `nonzeros`) and returns
    (primals out, the tangents out that are not symbolically zero); the third
    result marks those. Differentiable output tangents marked in
    `instantiate_out` are made nonzero (loop carries need a fixed layout).
    """
    nonzeros = tuple(nonzeros)
    inst = None if instantiate_out is None else tuple(instantiate_out)

    def build() -> tuple[Any, bool]:
        n = len(program.invars)
        avals = [v.aval for v in program.invars]
        avals += [tangent_aval(a) for a, nz in zip(avals, nonzeros, strict=True) if nz]
        box: list[list[bool]] = []

        def fun(*args: Any) -> list[Any]:
            it = iter(args[n:])
            tangents = [next(it) if nz else Zero(tangent_aval(v.aval))
                        for v, nz in zip(program.invars, nonzeros, strict=True)]
            p_out, t_out = jvp_call(lambda *xs: eval_program(program, xs), args[:n], tangents)
            if inst is not None:
                t_out = [instantiate(t) if i and differentiable(core.get_aval(p)) else t
                         for p, t, i in zip(p_out, t_out, inst, strict=True)]
            out_nz = [type(t) is not Zero for t in t_out]
            box.append(out_nz)
            return [*p_out, *(t for t in t_out if type(t) is not Zero)]

        prog, consts = trace_to_program(fun, avals, name=f"jvp_{program.name}", kind="jvp")
        return (hoist_consts(prog), consts, box[0]), no_tracers(consts)

    return cached(_jvp_cache, (program, nonzeros, inst), build)


def call_jvp(prim: Primitive) -> JVPRule:
    """JVP rule of a call primitive whose Program is its `program` param."""
    def rule(primals: Sequence[Any], tangents: Sequence[Any], **params: Any) -> tuple[Any, Any]:
        program: Program = params["program"]
        nonzeros = [type(t) is not Zero for t in tangents]
        jprog, consts, out_nz = jvp_program(program, nonzeros)
        outs = prim.bind(*consts, *primals, *(t for t in tangents if type(t) is not Zero),
                         **{**params, "program": jprog, "name": f"jvp_{params['name']}"})
        n = len(program.outvars)
        it = iter(outs[n:])
        t_out = [next(it) if nz else Zero(tangent_aval(a))
                 for a, nz in zip(program.out_avals, out_nz, strict=True)]
        return outs[:n], t_out
    return named(rule, f"_{prim.name}_jvp")
