"""Partial evaluation: the interpreter that splits known from unknown, its rule
table, and the Program-level splits (`partial_eval_program`, checkpoint's
`remat_split`).

A `PartialEvalTrace` computes what it can and stages the rest. Known values
are not wrapped: they are plain values of the parent trace (concrete arrays,
or tracers of enclosing transformations), and an operation on known values
only is bound under the parent. An operation touching an unknown value (a
`PartialEvalTracer`) is recorded as an equation; the known values it uses
become *residuals*, the constvars of the staged Program.

Linearization (funcgrad.autodiff) runs forward mode over this trace with the
primal inputs known and the tangent inputs unknown: the primal computation
happens now, and the tangent computation is staged into a Program that is
linear in its inputs, with the residuals as its constants.

Call primitives have a rule in `partial_eval_rules` (signature `PERule`:
``rule(trace, args, **params) -> outputs``) that splits their Program into a
known and an unknown Program, so ``grad(jit(f))`` stays compiled. For
`checkpoint_p` the unknown Program recomputes the known part instead of
taking residuals from it (rematerialisation).

Invariant: every staged equation has at least one unknown input, and all its
outputs are unknown.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

import numpy as np

from funcgrad import core
from funcgrad.config import LRUCache, config
from funcgrad.core import Primitive, ShapedArray, Trace, Tracer
from funcgrad.errors import UnsupportedError
from funcgrad.ir import (Atom, Eqn, Literal, Program, Var, check_program, has_effects,
                         subprograms)
from funcgrad.transforms.programs import cached, merge, named, no_tracers
from funcgrad.transforms.staging import (eval_program, hoist_consts, prune, replay_source,
                                         trace_to_program)


class PartialEvalTracer(Tracer):
    """An unknown value: a variable of the Program being staged."""

    __slots__ = ("ir_var",)

    def __init__(self, trace: PartialEvalTrace, var: Var):
        self._trace = trace
        self.ir_var = var

    @property
    def aval(self) -> ShapedArray:
        return self.ir_var.aval


class PERule(Protocol):
    """The signature every partial-evaluation rule has. Rules name their own
    params keyword-only (``*, branches``), which a type checker does not accept
    as ``**params: Any``, so the table holds them as callables with this
    protocol's result."""
    def __call__(self, trace: PartialEvalTrace, args: Sequence[Any],
                 **params: Any) -> list[Any]: ...


partial_eval_rules: dict[Primitive, Callable[..., list[Any]]] = {}


class PartialEvalTrace(Trace):
    __slots__ = ("eqns", "arg_vars", "res_vars", "residuals")
    kind = "linearize"
    parent: Trace   # made from the current trace, which always exists

    def __init__(self, parent: Trace):
        super().__init__(parent)
        self.eqns: list[Eqn] = []
        self.arg_vars: list[Var] = []
        self.res_vars: dict[int, Var] = {}
        self.residuals: list[Any] = []

    def new_arg(self, aval: ShapedArray) -> PartialEvalTracer:
        v = Var(aval)
        self.arg_vars.append(v)
        return PartialEvalTracer(self, v)

    def is_unknown(self, x: Any) -> bool:
        return type(x) is PartialEvalTracer and self.is_own(x)

    def process_primitive(self, prim: Primitive, args: Sequence[Any],
                          params: dict[str, Any]) -> list[Any]:
        unknown = False
        for x in args:
            if type(x) is PartialEvalTracer and self.is_own(x):
                unknown = True
            elif isinstance(x, Tracer):
                self.is_own(x)   # raises for a finished trace's tracer
        if not unknown:
            with core.set_trace(self.parent):
                out = prim.bind(*args, **params)
            return out if prim.multiple_results else [out]
        rule = partial_eval_rules.get(prim)
        if rule is not None:
            return rule(self, args, **params)
        if prim.multiple_results and subprograms(params):
            # Staged whole, its primal outputs would become unknown and the
            # staged Program non-linear: a higher-order primitive needs a rule.
            raise UnsupportedError(
                f"reverse-mode differentiation (grad, vjp, linearize) of '{prim.name}' is not "
                "implemented: it has no partial-evaluation rule. Forward mode (jvp, jacfwd) "
                "works; for reverse mode restructure the computation without it.")
        return self.stage_eqn(prim, args, params)

    def to_atom(self, x: Any) -> Atom:
        if type(x) is PartialEvalTracer and x._trace is self:
            return x.ir_var
        if type(x) is Literal:
            return x
        if isinstance(x, (bool, int, float, complex)) or isinstance(x, np.generic):
            return Literal.of(x)
        v = self.res_vars.get(id(x))
        if v is None:
            v = self.res_vars[id(x)] = Var(core.get_aval(x))
            self.residuals.append(x)
        return v

    def stage_eqn(self, prim: Primitive, args: Sequence[Any],
                  params: dict[str, Any]) -> list[PartialEvalTracer]:
        atoms = tuple(self.to_atom(a) for a in args)
        out_avals = prim.abstract_eval(*(a.aval for a in atoms), **params)
        outvars = tuple(Var(a) for a in out_avals)
        # the source line of the equation replayed; else, while a debugging switch
        # wants lines for NaNs made in the backward pass, the user's (this path is
        # hot: the frame walk is skipped otherwise)
        self.eqns.append(Eqn(prim, atoms, params, outvars, replay_source.get() or (
            core.user_source_line() if config.debug_nans or config.debug_infs else "")))
        return [PartialEvalTracer(self, v) for v in outvars]

    def to_program(self, outs: Sequence[Any], name: str) -> tuple[Program, list[Any]]:
        """The staged Program (residuals as constvars) and the residual values."""
        outvars = tuple(self.to_atom(o) for o in outs)
        constvars = tuple(self.res_vars[id(r)] for r in self.residuals)
        prog = Program(constvars, tuple(self.arg_vars), tuple(self.eqns), outvars, name)
        if config.enable_checks:
            check_program(prog)
        return prog, list(self.residuals)


# ---------------------------------------------------------------------------
# Programs: split a Program into its known and unknown parts


def dce_program(program: Program, used_outputs: Sequence[bool],
                keep_effects: bool = True) -> Program:
    """Keep only the outputs marked used, and the equations they need (and, unless
    `keep_effects` is False, those with effects)."""
    outvars = tuple(v for v, u in zip(program.outvars, used_outputs, strict=True) if u)
    return prune(Program(program.constvars, program.invars, program.eqns, outvars,
                         program.name), keep_effects)


class Split:
    """A Program split by partial evaluation for given unknown inputs.

    known: known inputs -> known outputs + residuals (constants hoisted first:
    pass `known_consts` before the known inputs). unknown: residuals + unknown
    inputs -> unknown outputs.
    """

    __slots__ = ("known", "known_consts", "unknown", "out_unknowns", "num_res")

    def __init__(self, known: Program, known_consts: list[Any], unknown: Program,
                 out_unknowns: list[bool], num_res: int):
        self.known = known
        self.known_consts = known_consts
        self.unknown = unknown
        self.out_unknowns = out_unknowns
        self.num_res = num_res


_split_cache = LRUCache("partial eval splits")
def partial_eval_program(program: Program, unknowns: Sequence[bool]) -> Split:
    """Split a (const-free) Program into its known and unknown parts."""
    unknowns = tuple(unknowns)

    def build() -> tuple[Split, bool]:
        box: list[Any] = []
        known_avals = [v.aval for v, u in zip(program.invars, unknowns, strict=True) if not u]

        def known_fun(*known_args: Any) -> list[Any]:
            pe = PartialEvalTrace(core.current_trace())
            with core.new_trace(pe):
                it = iter(known_args)
                args = [pe.new_arg(v.aval) if u else next(it)
                        for v, u in zip(program.invars, unknowns, strict=True)]
                outs = eval_program(program, args)
            out_unknowns = [type(o) is PartialEvalTracer and o._trace is pe for o in outs]
            unknown, residuals = pe.to_program([o for o, u in zip(outs, out_unknowns,
                                                                  strict=True) if u],
                                               f"{program.name}_unknown")
            box.append((hoist_consts(unknown), out_unknowns, len(residuals)))
            return [o for o, u in zip(outs, out_unknowns, strict=True) if not u] + residuals

        known, consts = trace_to_program(known_fun, known_avals, name=f"{program.name}_known",
                                         kind="linearize")
        unknown, out_unknowns, num_res = box[0]
        split = Split(hoist_consts(known), consts, unknown, out_unknowns, num_res)
        return split, no_tracers(consts)

    return cached(_split_cache, (program, unknowns), build)


def call_partial_eval(prim: Primitive) -> PERule:
    """Split a call primitive's Program: the known part runs now (under the
    parent, still one call), the unknown part is staged with the residuals."""
    def rule(trace: PartialEvalTrace, args: Sequence[Any], **params: Any) -> list[Any]:
        program: Program = params["program"]
        unknowns = [trace.is_unknown(a) for a in args]
        split = partial_eval_program(program, unknowns)
        known_args = [a for a, u in zip(args, unknowns, strict=True) if not u]
        outs: list[Any] = []
        if split.known.outvars or has_effects(split.known):
            with core.set_trace(trace.parent):
                outs = prim.bind(*split.known_consts, *known_args,
                                 **{**params, "program": split.known})
        n_known = len(outs) - split.num_res
        res = outs[n_known:]
        unknown_args = [a for a, u in zip(args, unknowns, strict=True) if u]
        unknown_outs = trace.stage_eqn(prim, [*res, *unknown_args],
                                       {**params, "program": split.unknown})
        return merge(split.out_unknowns, outs[:n_known], unknown_outs)
    return named(rule, f"_{prim.name}_partial_eval")


_remat_cache = LRUCache("remat programs")


def remat_split(program: Program, unknowns: Sequence[bool]
                ) -> tuple[Program, Program, list[Any], list[bool]]:
    """Checkpoint's split: (known, unknown, known_consts, out_unknowns) where
    known maps consts + known inputs to the known outputs only (no residuals)
    and unknown maps consts + *all* inputs to the unknown outputs, recomputing
    the known part it needs."""
    unknowns = tuple(unknowns)

    def build() -> tuple[Any, bool]:
        split = partial_eval_program(program, unknowns)
        n_known = len(split.known.outvars) - split.num_res
        used = [True] * n_known + [False] * split.num_res
        known = dce_program(split.known, used)
        nc = len(split.known_consts)

        def remat_fun(*args: Any) -> list[Any]:
            consts, ins = args[:nc], args[nc:]
            known_ins = [a for a, u in zip(ins, unknowns, strict=True) if not u]
            unknown_ins = [a for a, u in zip(ins, unknowns, strict=True) if u]
            res = eval_program(split.known, [*consts, *known_ins])[n_known:]
            return eval_program(split.unknown, [*res, *unknown_ins])

        avals = [*(core.get_aval(c) for c in split.known_consts),
                 *(v.aval for v in program.invars)]
        unknown, extra = trace_to_program(remat_fun, avals, name=f"{program.name}_remat",
                                          kind="checkpoint")
        assert not extra, "the remat program closes over nothing but its inputs"
        unknown = dce_program(unknown, [True] * len(unknown.outvars))
        value = (known, unknown, split.known_consts, split.out_unknowns)
        return value, no_tracers(split.known_consts)

    return cached(_remat_cache, (program, unknowns), build)
