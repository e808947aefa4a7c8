"""Staging: trace a Python function to a Program (jit, make_ir, control-flow bodies).

A `StagingTrace` records each primitive as an equation instead of running it.
Values from enclosing transformations (their tracers, concrete Arrays) become
*constants* of the Program: `trace_to_program` returns them so the caller can
pass them as operands. Python scalars become Literals.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from contextvars import ContextVar
from typing import Any

import numpy as np

from funcgrad import config, core
from funcgrad.config import config as _cfg
from funcgrad.config import compile_time_eval as _compile_time_eval
from funcgrad.core import Primitive, ShapedArray, Trace, Tracer
from funcgrad.ir import (Atom, Eqn, Literal, Program, Var, check_program, eqn_has_effects,
                         extend_scope, reset_scope)

# The user's source line of the equation an interpreter is replaying (eval_program,
# the backward pass), "" when none: the equations it turns into under a
# transformation (its JVP, transpose, batched form) name the line the user wrote,
# where the interpreter's own frames would name only the transformation's call.
replay_source: ContextVar[str] = ContextVar("funcgrad_replay_source", default="")
_replaying = replay_source.get


class replaying:
    """``with replaying(source):`` equations made in the block name `source` (the
    block changes nothing when it is "")."""

    __slots__ = ("source", "token")

    def __init__(self, source: str):
        self.source = source

    def __enter__(self) -> None:
        self.token = replay_source.set(self.source) if self.source else None

    def __exit__(self, *exc: object) -> None:
        if self.token is not None:
            replay_source.reset(self.token)


class StagingTracer(Tracer):
    __slots__ = ("ir_var",)

    def __init__(self, trace: StagingTrace, var: Var):
        self._trace = trace
        self.ir_var = var

    @property
    def aval(self) -> ShapedArray:
        return self.ir_var.aval

    def describe_origin(self) -> str:
        trace = self._trace
        assert isinstance(trace, StagingTrace)
        return trace.describe(self.ir_var)

    def concrete_value(self) -> Any:
        trace = self._trace
        assert isinstance(trace, StagingTrace)
        return trace.concrete(self.ir_var)


Materializer = Callable[[Program, Sequence[Any]], Sequence[Any]]


class StagingTrace(Trace):
    """Records equations. With a `materializer` (eager transformations that stage
    the whole function), the arguments' values are known and Python may ask for a
    traced value (``if x > 0``, ``float(x)``): the equations recorded so far that
    it depends on are run by the materializer, and tracing goes on."""

    __slots__ = ("eqns", "const_vars", "consts", "arg_vars", "arg_names", "kind_name",
                 "materializer", "arg_values", "values")

    def __init__(self, parent: Trace | None, kind: str = "jit",
                 materializer: Materializer | None = None, arg_values: Sequence[Any] = ()):
        super().__init__(parent)
        self.eqns: list[Eqn] = []
        self.const_vars: dict[int, Var] = {}
        self.consts: list[Any] = []
        self.arg_vars: list[Var] = []
        self.arg_names: dict[int, str] = {}
        self.kind_name = kind
        self.materializer = materializer
        self.arg_values = list(arg_values)
        self.values: dict[int, Any] = {}

    def concrete(self, var: Var) -> Any:
        """The value of `var`, computed from the argument values; None without them."""
        if self.materializer is None or not self.alive:
            return None
        hit = self.values.get(id(var))
        if hit is None:
            for v, x in zip(self.arg_vars, self.arg_values, strict=True):
                if v is var:
                    return x
            constvars = tuple(self.const_vars[id(c)] for c in self.consts)
            prog = Program(constvars, tuple(self.arg_vars), tuple(self.eqns), (var,),
                           "materialize")
            hit = self.values[id(var)] = self.materializer(
                prune(prog), [*self.consts, *self.arg_values])[0]
        return hit

    @property
    def kind(self) -> str:   # type: ignore[override]
        return self.kind_name

    def new_arg(self, aval: ShapedArray, name: str = "") -> StagingTracer:
        v = Var(aval)
        self.arg_vars.append(v)
        if name:
            self.arg_names[id(v)] = name
        return StagingTracer(self, v)

    def to_atom(self, x: Any) -> Atom:
        if type(x) is StagingTracer and x._trace is self:
            return x.ir_var
        if type(x) is Literal:
            return x
        if isinstance(x, Tracer):
            self.is_own(x)      # raises for a finished trace's tracer
            return self._const(x)
        if isinstance(x, (bool, int, float, complex)):
            return Literal.of(x)
        if isinstance(x, np.generic) or (isinstance(x, np.ndarray) and x.ndim == 0):
            return Literal.of(x)
        return self._const(x)

    def _const(self, x: Any) -> Var:
        v = self.const_vars.get(id(x))
        if v is None:
            v = self.const_vars[id(x)] = Var(core.get_aval(x).strong()
                                             if isinstance(x, np.ndarray) else core.get_aval(x))
            self.consts.append(x)
        return v

    def process_primitive(self, prim: Primitive, args: Sequence[Any],
                          params: dict[str, Any]) -> list[Any]:
        if _compile_time_eval.get() and not any(isinstance(a, Tracer) for a in args):
            # fg.ensure_compile_time_eval(): on concrete operands, compute now
            return core.eval_trace.process_primitive(prim, args, params)
        atoms = [self.to_atom(a) for a in args]
        out_avals = prim.abstract_eval(*(a.aval for a in atoms), **params)
        outvars = tuple(Var(a) for a in out_avals)
        # source lines serve error messages about staged programs; eagerly staged
        # functions (which have a materializer) run at once, so skip the frame walk
        # unless a debugging switch will name lines in what they compute
        source = _replaying() or (core.user_source_line() if self.materializer is None
                                  or _cfg.debug_nans or _cfg.debug_infs else "")
        self.eqns.append(Eqn(prim, tuple(atoms), params, outvars, source))
        return [StagingTracer(self, v) for v in outvars]

    def to_program(self, outs: Sequence[Any], name: str) -> Program:
        outvars = tuple(self.to_atom(o) for o in outs)
        constvars = tuple(self.const_vars[id(c)] for c in self.consts)
        prog = Program(constvars, tuple(self.arg_vars), tuple(self.eqns), outvars, name)
        if config.config.enable_checks:
            check_program(prog)
        return prog

    def describe(self, var: Var) -> str:
        """Which arguments a staged value depends on (for ConcretizationError)."""
        deps: dict[int, set[str]] = {id(v): {self.arg_names.get(id(v), f"#{i}")}
                                     for i, v in enumerate(self.arg_vars)}
        for eqn in self.eqns:
            d: set[str] = set()
            for a in eqn.inputs:
                d |= deps.get(id(a), set())
            for v in eqn.outvars:
                deps[id(v)] = d
        names = sorted(deps.get(id(var), set()))
        if not names:
            return ""
        if id(var) in self.arg_names:
            return f"The value is the argument {names[0]}."
        return f"The value depends on the argument(s) {', '.join(names)}."


def trace_to_program(f: Callable[..., Sequence[Any]], in_avals: Sequence[ShapedArray],
                     arg_names: Sequence[str] = (), name: str = "f", kind: str = "jit",
                     materializer: Materializer | None = None,
                     arg_values: Sequence[Any] = ()) -> tuple[Program, list[Any]]:
    """Stage `f` (taking and returning flat sequences of arrays) on abstract
    arguments. Returns the program and the constants it closed over.

    With `materializer` and the `arg_values`, traced values can be made concrete
    on demand (see `StagingTrace`)."""
    trace = StagingTrace(core.current_trace(), kind, materializer, arg_values)
    names = list(arg_names) + [""] * (len(in_avals) - len(arg_names))
    # named scopes are relative to the Program (its caller's scope is added when lowering)
    with core.new_trace(trace), reset_scope():
        tracers = [trace.new_arg(a, n) for a, n in zip(in_avals, names, strict=True)]
        outs = f(*tracers)
    program = trace.to_program(outs, name)
    return program, trace.consts


def prune(program: Program, keep_effects: bool = True) -> Program:
    """Drop the equations no output depends on (inputs are kept), except those
    with effects (host callbacks), which run whether or not anything reads them;
    `keep_effects=False` drops them too (for a slice of a program that runs
    beside the whole, such as the loop-invariant part of a scan body)."""
    live = {id(v) for v in program.outvars if type(v) is Var}
    kept: list[Eqn] = []
    for eqn in reversed(program.eqns):
        if any(id(v) in live for v in eqn.outvars) or (keep_effects and eqn_has_effects(eqn)):
            kept.append(eqn)
            live.update(id(a) for a in eqn.inputs if type(a) is Var)
    if len(kept) == len(program.eqns):
        return program
    return Program(program.constvars, program.invars, tuple(reversed(kept)), program.outvars,
                   program.name)


def hoist_literals(program: Program) -> tuple[Program, list[Literal]]:
    """The program with every scalar Literal operand turned into a trailing input,
    and those Literals: compiled forms then serve every value of the scalars."""
    lits: list[Literal] = []
    new_vars: list[Var] = []

    def sub(a: Atom) -> Atom:
        if type(a) is Literal:
            v = Var(a.aval)
            lits.append(a)
            new_vars.append(v)
            return v
        return a

    eqns = tuple(Eqn(e.prim, tuple(sub(a) for a in e.inputs), e.params, e.outvars, e.source,
                     e.scope) for e in program.eqns)
    outvars = tuple(sub(a) for a in program.outvars)
    if not lits:
        return program, lits
    return Program(program.constvars, (*program.invars, *new_vars), eqns, outvars,
                   program.name), lits


def hoist_consts(program: Program) -> Program:
    """The same program with its constants as leading ordinary inputs."""
    if not program.constvars:
        return program
    return Program((), (*program.constvars, *program.invars), program.eqns, program.outvars,
                   program.name)


def eval_program(program: Program, args: Sequence[Any]) -> list[Any]:
    """Run a Program's equations by binding its primitives under the current trace
    (each in its equation's named scope, nested in the one in force)."""
    env: dict[int, Any] = {}
    for v, x in zip((*program.constvars, *program.invars), args, strict=True):
        env[id(v)] = x

    def read(a: Atom) -> Any:
        return a if type(a) is Literal else env[id(a)]

    for eqn in program.eqns:
        # what the equation becomes keeps its source line and named scope
        token = replay_source.set(eqn.source) if eqn.source else None
        try:
            if eqn.scope:
                with extend_scope(eqn.scope):
                    outs = eqn.prim.bind(*(read(a) for a in eqn.inputs), **eqn.params)
            else:
                outs = eqn.prim.bind(*(read(a) for a in eqn.inputs), **eqn.params)
        finally:
            if token is not None:
                replay_source.reset(token)
        if not eqn.prim.multiple_results:
            outs = [outs]
        for v, o in zip(eqn.outvars, outs, strict=True):
            env[id(v)] = o
    return [read(a) for a in program.outvars]
