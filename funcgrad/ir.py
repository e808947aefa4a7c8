"""funcgrad's IR: a Program is a list of equations over SSA variables.

The IR is plain data: `Var` (compared by identity), `Literal` (a scalar
constant with its aval), `Eqn` (primitive, inputs, params, outputs, the user's
source line) and `Program`. Sub-programs of higher-order primitives sit in
their params. `check_program` replays the shape rules; `str(program)` prints it
(an equation staged inside ``fg.named_scope("layer1")`` ends with ``# layer1``):

    { lambda ; a:f64[3]. let
        b:f64[3] = sin a
        c:f64[3] = mul b 2.0:f64[]
      in (c,) }
"""
from __future__ import annotations

from collections.abc import Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from funcgrad import core
from funcgrad.core import Primitive, ShapedArray


class Var:
    """An SSA variable. Two Vars are the same only if they are the same object."""

    __slots__ = ("aval",)

    def __init__(self, aval: ShapedArray):
        self.aval = aval

    def __repr__(self) -> str:
        return f"Var({self.aval.str_short()})"


class Literal:
    """A scalar constant inline in the IR (a Python scalar, or a 0-d NumPy value)."""

    __slots__ = ("val", "aval")

    def __init__(self, val: Any, aval: ShapedArray):
        self.val = val
        self.aval = aval

    @staticmethod
    def of(x: Any, dtype: np.dtype | None = None, weak_type: bool | None = None) -> Literal:
        aval = core.get_aval(x)
        dt = aval.dtype if dtype is None else dtype
        weak = aval.weak_type if weak_type is None else weak_type
        return Literal(np.asarray(x, dtype=dt)[()], ShapedArray((), dt, weak))

    def __repr__(self) -> str:
        return f"{_fmt_scalar(self.val)}:{self.aval.str_short()}"


core.register_aval_handler(Literal, lambda lit: lit.aval)


def user_value(x: Any) -> Any:
    """What user code (custom rules) sees for an operand: a Literal becomes a Python
    scalar when weakly typed at its kind's default dtype (a Python scalar it came
    from), else a NumPy scalar of its dtype; anything else is returned as is."""
    if type(x) is not Literal:
        return x
    if x.aval.weak_type and x.aval.dtype == core.get_aval(x.val.item()).dtype:
        return x.val.item()
    return x.val

Atom = Var | Literal


# The named scope (fg.named_scope) in force: names joined by "/", "" outside any.
# Staging a function starts from "" (`reset_scope`), so a Program's equations carry
# scopes relative to it and a Program reads the same wherever it is used; the
# lowering prefixes each with the scope of the equation that calls it.
_scope: ContextVar[str] = ContextVar("funcgrad_named_scope", default="")
current_scope = _scope.get


def join_scopes(outer: str, inner: str) -> str:
    return f"{outer}/{inner}" if outer and inner else outer or inner


class extend_scope:
    """``with extend_scope(name):`` nests `name` in the current scope for the block."""

    __slots__ = ("name", "token")

    def __init__(self, name: str):
        self.name = name

    def __enter__(self) -> str:
        full = join_scopes(_scope.get(), self.name)
        self.token = _scope.set(full)
        return full

    def __exit__(self, *exc: object) -> None:
        _scope.reset(self.token)


class reset_scope:
    """``with reset_scope():`` starts from no scope (while staging a new Program)."""

    __slots__ = ("token",)

    def __enter__(self) -> None:
        self.token = _scope.set("")

    def __exit__(self, *exc: object) -> None:
        _scope.reset(self.token)


class Eqn:
    """One equation: ``outvars = prim[params] inputs``, with the user's source line
    and the named scope it was made in (by default the one in force now, so the
    equations an interpreter derives while replaying a scoped one inherit it).
    Treated as immutable (a plain slotted class: tracing makes one per primitive)."""

    __slots__ = ("prim", "inputs", "params", "outvars", "source", "scope")

    def __init__(self, prim: Primitive, inputs: tuple[Atom, ...], params: dict[str, Any],
                 outvars: tuple[Var, ...], source: str = "", scope: str | None = None):
        self.prim = prim
        self.inputs = inputs
        self.params = params
        self.outvars = outvars
        self.source = source
        self.scope = _scope.get() if scope is None else scope

    def __repr__(self) -> str:
        return f"Eqn({self.prim.name}, {len(self.inputs)} inputs, {len(self.outvars)} outputs)"


@dataclass(frozen=True, slots=True, eq=False)
class Program:
    """constvars and invars are both inputs; constvars hold closed-over arrays."""

    constvars: tuple[Var, ...]
    invars: tuple[Var, ...]
    eqns: tuple[Eqn, ...]
    outvars: tuple[Atom, ...]
    name: str = field(default="main")
    # whether running it has effects beyond its outputs (host callbacks); computed once
    _effects: bool | None = field(default=None, init=False, compare=False, repr=False)

    @property
    def in_avals(self) -> list[ShapedArray]:
        return [v.aval for v in (*self.constvars, *self.invars)]

    @property
    def out_avals(self) -> list[ShapedArray]:
        return [v.aval for v in self.outvars]

    def __str__(self) -> str:
        return pretty_print(self)

    def __hash__(self) -> int:
        return id(self)


# ---------------------------------------------------------------------------
# Effects: primitives that do something besides computing their outputs (host
# callbacks that print, log or write). No pass may drop such an equation because
# its outputs are unused, and the lowering runs them in program order.

effectful: set[Primitive] = set()


def eqn_has_effects(eqn: Eqn) -> bool:
    if eqn.prim in effectful:
        return True
    for v in eqn.params.values():
        for item in (v if type(v) is tuple else (v,)):
            if type(item) is Program and has_effects(item):
                return True
    return False


def has_effects(program: Program) -> bool:
    """Whether `program` (or a sub-Program of one of its equations) has an effectful
    equation; memoised on the Program, which never changes."""
    hit = program._effects
    if hit is None:
        hit = any(eqn_has_effects(e) for e in program.eqns)
        object.__setattr__(program, "_effects", hit)
    return hit


def _fmt_scalar(v: Any) -> str:
    v = np.asarray(v)
    if v.dtype == np.bool_:
        return str(bool(v))
    if v.dtype.kind in "iu":
        return str(int(v))
    if v.dtype.kind == "c":
        return str(complex(v))
    return repr(float(v))


# ---------------------------------------------------------------------------
# Printing


class _Namer:
    def __init__(self) -> None:
        self.names: dict[int, str] = {}

    def __call__(self, v: Atom) -> str:
        if isinstance(v, Literal):
            return repr(v)
        name = self.names.get(id(v))
        if name is None:
            n = len(self.names)
            name = ""
            while True:
                name = chr(ord("a") + n % 26) + name
                n = n // 26 - 1
                if n < 0:
                    break
            self.names[id(v)] = name
        return name

    def binder(self, v: Var) -> str:
        return f"{self(v)}:{v.aval.str_short()}"


def _fmt_param(value: Any, namer: _Namer, indent: int) -> str:
    if isinstance(value, Program):
        inner = pretty_print(value, indent + 4, _Namer())
        return "\n" + inner
    if isinstance(value, tuple) and value and all(isinstance(v, Program) for v in value):
        return "(" + ",".join(_fmt_param(v, namer, indent) for v in value) + ")"
    if isinstance(value, np.dtype):
        return str(value)
    return repr(value)


def pretty_print(prog: Program, indent: int = 0, namer: _Namer | None = None) -> str:
    namer = namer or _Namer()
    pad = " " * indent
    consts = " ".join(namer.binder(v) for v in prog.constvars)
    ins = " ".join(namer.binder(v) for v in prog.invars)
    head = f"lambda {consts} ;" if consts else "lambda ;"
    lines = [f"{pad}{{ {head} {ins}. let"]
    for eqn in prog.eqns:
        lhs = " ".join(namer.binder(v) for v in eqn.outvars)
        params = ""
        if eqn.params:
            # sub-programs print last, so the short params stay on the eqn's line
            items = sorted(eqn.params.items(), key=lambda kv: isinstance(kv[1], Program))
            params = "[" + " ".join(f"{k}={_fmt_param(v, namer, indent + 4)}"
                                    for k, v in items) + "]"
        args = " ".join(namer(a) for a in eqn.inputs)
        scope = f"  # {eqn.scope}" if eqn.scope else ""
        lines.append(f"{pad}    {lhs} = {eqn.prim.name}{params} {args}{scope}")
    outs = ", ".join(namer(v) for v in prog.outvars)
    lines.append(f"{pad}  in ({outs}{',' if len(prog.outvars) == 1 else ''}) }}")
    return "\n".join(lines)


# ---------------------------------------------------------------------------
# Checking


class ProgramError(Exception):
    """A Program that breaks an IR invariant: an internal bug, never user error."""


def check_program(prog: Program) -> None:
    """Replay every shape rule and check SSA form; raises ProgramError."""
    defined: set[int] = set()

    def read(a: Atom, where: str) -> ShapedArray:
        if isinstance(a, Literal):
            return a.aval
        if id(a) not in defined:
            raise ProgramError(f"{where}: variable {a} used before it is defined\n{prog}")
        return a.aval

    for v in (*prog.constvars, *prog.invars):
        if id(v) in defined:
            raise ProgramError(f"input variable {v} bound twice\n{prog}")
        defined.add(id(v))
    for eqn in prog.eqns:
        in_avals = [read(a, eqn.prim.name) for a in eqn.inputs]
        for p in eqn.params.values():
            if isinstance(p, Program):
                check_program(p)
        out_avals = eqn.prim.abstract_eval(*in_avals, **eqn.params)
        if [a.strong() for a in out_avals] != [v.aval.strong() for v in eqn.outvars]:
            raise ProgramError(f"{eqn.prim.name}: outputs typed "
                               f"{[v.aval for v in eqn.outvars]} but the rule gives {out_avals}")
        for v in eqn.outvars:
            if id(v) in defined:
                raise ProgramError(f"{eqn.prim.name}: variable {v} assigned twice")
            defined.add(id(v))
    for out in prog.outvars:
        read(out, "output")


def subprograms(params: dict[str, Any]) -> list[Program]:
    out: list[Program] = []
    for p in params.values():
        if isinstance(p, Program):
            out.append(p)
        elif isinstance(p, tuple):
            out.extend(q for q in p if isinstance(q, Program))
    return out


def program_inputs(prog: Program) -> Sequence[Var]:
    return (*prog.constvars, *prog.invars)


def structure_key(prog: Program) -> Any:
    """A hashable key equal for Programs that compute the same thing the same way
    (same equations, params, avals and wiring), whatever their Var objects.

    Lets eager code cache compiled forms of Programs it rebuilds on every call.
    Raises TypeError when a param is unhashable.
    """
    ids: dict[int, int] = {}
    for v in (*prog.constvars, *prog.invars):
        ids[id(v)] = len(ids)

    def atom(a: Atom) -> Any:
        if type(a) is Literal:
            return (a.aval, np.asarray(a.val).tobytes())
        return ids[id(a)]

    parts: list[Any] = [len(prog.constvars), tuple(v.aval for v in (*prog.constvars,
                                                                       *prog.invars))]
    for eqn in prog.eqns:
        parts.append((eqn.prim, tuple(atom(a) for a in eqn.inputs), tuple(eqn.params.items()),
                      tuple(v.aval for v in eqn.outvars)))
        for v in eqn.outvars:
            ids[id(v)] = len(ids)
    parts.append(tuple(atom(a) for a in prog.outvars))
    key = tuple(parts)
    hash(key)
    return key
