"""The StableHLO text emitter: the rule table, the context rules emit through, and
the module builder that turns a Program into an MLIR module.

A lowering rule has one signature, `LowerRule`:

    rule(ctx, *operands, **params) -> list of result SSA names

`operands` are the SSA names of the equation's inputs, `params` its params;
``ctx.avals_in``/``ctx.avals_out`` are the equation's avals. A rule emits ops
through `ctx` and returns the SSA names of the results, one per output.

Ops are written in MLIR's generic form, which is uniform for every op and
stable across StableHLO versions. Invariants: SSA names are numbered in
emission order, so lowering the same Program twice gives the same text;
`lowering_rules` is filled only by the family files of this package.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple, Protocol

import numpy as np

from funcgrad import dtypes
from funcgrad.core import Primitive, ShapedArray
from funcgrad.ir import Eqn, Literal, Program, Var, has_effects, join_scopes
from funcgrad.sharding import Mesh, NamedSharding


class LowerRule(Protocol):
    """Emit one equation through `ctx`. Operands are SSA names (str); they and the
    params are typed `Any` so that every rule, with its own named operands and
    keyword-only params, fits this one signature."""

    def __call__(self, ctx: LoweringContext, *operands: Any,
                 **params: Any) -> Sequence[str]: ...


lowering_rules: dict[Primitive, LowerRule] = {}

# Primitives deliberately left without a lowering rule, each with the reason
# (the coverage test reads this). Every primitive is lowered today.
NOT_LOWERED: dict[Primitive, str] = {}


# ---------------------------------------------------------------------------
# types and attributes as text

_ELT = {dtypes.bool_: "i1", dtypes.bfloat16: "bf16", dtypes.complex64: "complex<f32>",
        dtypes.complex128: "complex<f64>"}


def elt_type(dtype: np.dtype) -> str:
    t = _ELT.get(dtype)
    if t is not None:
        return t
    bits = dtype.itemsize * 8
    return {"i": f"i{bits}", "u": f"ui{bits}", "f": f"f{bits}"}[dtype.kind]


# The aval of an effect token: what orders a program's host callbacks. Compared
# by identity; it never reaches a Program, only the emitted text.
TOKEN = ShapedArray((), np.dtype(np.bool_))


def tensor_type(aval: ShapedArray) -> str:
    if aval is TOKEN:
        return "!stablehlo.token"
    dims = "".join(f"{d}x" for d in aval.shape)
    return f"tensor<{dims}{elt_type(aval.dtype)}>"


def i64_array(xs: Sequence[int]) -> str:
    """A ``array<i64: ...>`` attribute, the spelling StableHLO wants for dimension lists."""
    return f"array<i64{': ' if len(xs) else ''}{', '.join(str(int(x)) for x in xs)}>"


def scalar_text(value: Any, dtype: np.dtype) -> str:
    """A scalar as an MLIR dense-literal element; floats as exact bit patterns, so no
    value is rounded on its way through decimal text."""
    v = np.asarray(value).astype(dtype)[()]
    if dtype == dtypes.bool_:
        return "true" if v else "false"
    if dtypes.is_integer(dtype):
        return str(int(v))
    if dtypes.is_complex(dtype):
        part = dtypes.real_dtype(dtype)
        return f"({scalar_text(v.real, part)}, {scalar_text(v.imag, part)})"
    bits = np.asarray(v, dtype).view(f"u{dtype.itemsize}")[()]
    return f"0x{int(bits):0{dtype.itemsize * 2}X}"


# ---------------------------------------------------------------------------
# emitting one function


class LoweringContext:
    """Emits one function's body; names SSA values and remembers their types.

    `scope` is the named scope of the equation being lowered, its callers'
    included: the ops an equation in a named scope emits carry the location
    ``loc("scope/primitive")`` (XLA keeps it as the HLO op's metadata op_name)."""

    def __init__(self, module: ModuleBuilder, scope: str = ""):
        self.module = module
        self.scope = scope
        self.lines: list[str] = []
        self.types: dict[str, str] = {}
        self.avals: dict[str, ShapedArray] = {}
        self.counter = 0
        self.avals_in: list[ShapedArray] = []
        self.avals_out: list[ShapedArray] = []
        self.indent = "    "
        # the effect token the next effectful op consumes (None: none made yet)
        self.token: str | None = None

    def fresh(self) -> str:
        self.counter += 1
        return f"%{self.counter - 1}"

    def bind(self, name: str, aval: ShapedArray) -> str:
        self.types[name] = tensor_type(aval)
        self.avals[name] = aval
        return name

    def op(self, name: str, operands: Sequence[str], out_avals: Sequence[ShapedArray],
           attrs: str = "", regions: Sequence[str] = ()) -> list[str]:
        """Emit ``"name"(operands) (regions) {attrs} : (in types) -> out types``."""
        res = self.fresh()
        n = len(out_avals)
        lhs = f"{res}:{n}" if n > 1 else res
        in_t = ", ".join(self.types[o] for o in operands)
        out_t = ", ".join(tensor_type(a) for a in out_avals)
        out_t = f"({out_t})" if n != 1 else out_t
        reg = f" ({', '.join(regions)})" if regions else ""
        att = f" {{{attrs}}}" if attrs else ""
        self.lines.append(f'{self.indent}{lhs} = "{name}"({", ".join(operands)}){reg}{att} '
                          f": ({in_t}) -> {out_t}")
        names = [f"{res}#{i}" for i in range(n)] if n > 1 else [res]
        for nm, a in zip(names, out_avals, strict=True):
            self.bind(nm, a)
        return names

    def op1(self, name: str, operands: Sequence[str], out_aval: ShapedArray,
            attrs: str = "", regions: Sequence[str] = ()) -> str:
        return self.op(name, operands, [out_aval], attrs, regions)[0]

    def constant(self, value: Any, dtype: np.dtype, shape: tuple[int, ...] = ()) -> str:
        aval = ShapedArray(shape, dtype)
        text = f"dense<{scalar_text(value, dtype)}> : {tensor_type(aval)}"
        return self.op1("stablehlo.constant", [], aval, f"value = {text}")

    def broadcast_to(self, x: str, shape: tuple[int, ...]) -> str:
        aval = self.avals[x]
        if aval.shape == shape:
            return x
        dims = tuple(range(len(shape) - aval.ndim, len(shape)))
        return self.op1("stablehlo.broadcast_in_dim", [x], aval.update(shape=shape),
                        f"broadcast_dimensions = {i64_array(dims)}")

    def convert(self, x: str, dtype: np.dtype) -> str:
        aval = self.avals[x]
        if aval.dtype == dtype:
            return x
        if dtypes.is_complex(aval.dtype) and not dtypes.is_complex(dtype):
            x = self.op1("stablehlo.real", [x], aval.update(dtype=dtypes.real_dtype(aval.dtype)))
            aval = self.avals[x]
        return self.op1("stablehlo.convert", [x], aval.update(dtype=dtype))

    def effect_token(self) -> str:
        """The token the next effectful op takes (made here on first use)."""
        if self.token is None:
            self.token = self.op1("stablehlo.after_all", [], TOKEN)
        return self.token

    def region(self, arg_avals: Sequence[ShapedArray],
               body: Callable[..., Sequence[str]], *, token_arg: bool = False,
               token_result: bool = False) -> str:
        """A region ``{ ^bb0(args): ...; stablehlo.return }`` built by `body(*args)`.

        For an op whose sub-program has effects: with `token_arg` the region's first
        argument is the effect token (a loop carries it), else the region reads the
        enclosing one; with `token_result` it returns its last token first."""
        saved, self.lines = self.lines, []
        outer_indent, self.indent = self.indent, self.indent + "    "
        outer_token = self.token
        args = [self.bind("%b" + self.fresh()[1:], a) for a in arg_avals]
        if token_arg:
            self.token = self.bind("%b" + self.fresh()[1:], TOKEN)
            args = [self.token, *args]
            results = list(body(*args[1:]))
        else:
            results = list(body(*args))
        if token_result:
            results = [self.effect_token(), *results]
        self.token = outer_token
        ret_t = ", ".join(self.types[r] for r in results)
        self.lines.append(f'{self.indent}"stablehlo.return"({", ".join(results)}) '
                          f': ({ret_t}) -> ()')
        hdr = ", ".join(f"{a}: {self.types[a]}" for a in args)
        inner = "\n".join(self.lines)
        self.lines, self.indent = saved, outer_indent
        return f"{{\n{self.indent}  ^bb0({hdr}):\n{inner}\n{self.indent}}}"

    def call(self, program: Program, operands: Sequence[str]) -> list[str]:
        """Call `program` as a private function of the module (emitted once per Program).
        One with effects takes the effect token first and returns the next one first."""
        fname = self.module.function(program, scope=self.scope)
        res = self.fresh()
        n = len(program.outvars)
        out_avals = list(program.out_avals)
        effects = has_effects(program)
        if effects:
            operands = [self.effect_token(), *operands]
            out_avals = [TOKEN, *out_avals]
            n += 1
        in_t = ", ".join(self.types[o] for o in operands)
        outs = [tensor_type(a) for a in out_avals]
        out_t = f"({', '.join(outs)})"
        lhs = f"{res}:{n}" if n > 1 else res
        if n == 0:
            self.lines.append(f"{self.indent}func.call @{fname}({', '.join(operands)}) "
                              f": ({in_t}) -> ()")
            return []
        self.lines.append(f"{self.indent}{lhs} = func.call @{fname}({', '.join(operands)}) "
                          f": ({in_t}) -> {out_t}")
        names = [f"{res}#{i}" for i in range(n)] if n > 1 else [res]
        for nm, a in zip(names, out_avals, strict=True):
            self.bind(nm, a)
        if effects:
            self.token, *names = names
        return names

    def lower_eqns(self, program: Program, in_names: Sequence[str]) -> list[str]:
        """Emit `program`'s equations in the current block; returns its outputs' names."""
        env: dict[int, str] = {}
        for v, nm in zip((*program.constvars, *program.invars), in_names, strict=True):
            env[id(v)] = nm

        def read(a: Any) -> str:
            if isinstance(a, Literal):
                return self.constant(a.val, a.aval.dtype)
            return env[id(a)]

        outer = self.scope
        for eqn in program.eqns:
            rule = lowering_rules.get(eqn.prim)
            if rule is None:
                raise NotImplementedError(f"no lowering rule for primitive {eqn.prim.name}")
            ins = [read(a) for a in eqn.inputs]
            self.avals_in = [a.aval for a in eqn.inputs]
            self.avals_out = [v.aval for v in eqn.outvars]
            self.scope = join_scopes(outer, eqn.scope)
            first = len(self.lines)
            outs = rule(self, *ins, **eqn.params)
            if self.scope:
                loc = f" loc({string_attr(f'{self.scope}/{eqn.prim.name}')})"
                self.lines[first:] = [line + loc for line in self.lines[first:]]
            self.scope = outer
            for v, nm in zip(eqn.outvars, outs, strict=True):
                env[id(v)] = nm
        return [read(a) for a in program.outvars]


def compare(ctx: LoweringContext, direction: str, x: str, y: str) -> str:
    """``stablehlo.compare`` of two same-shaped values; every family compares."""
    aval = ctx.avals[x]
    dt = aval.dtype
    ctype = ("FLOAT" if dtypes.is_inexact(dt) else "SIGNED" if dt.kind == "i" else "UNSIGNED")
    return ctx.op1("stablehlo.compare", [x, y], aval.update(dtype=dtypes.bool_, weak_type=False),
                   f"comparison_direction = #stablehlo<comparison_direction {direction}>, "
                   f"compare_type = #stablehlo<comparison_type {ctype}>")


# ---------------------------------------------------------------------------
# the module


class ModuleBuilder:
    """One MLIR module: a public @main and a private function per called Program,
    and the Shardy meshes its shardings name (one symbol per mesh)."""

    def __init__(self, name: str):
        self.name = name
        self.functions: list[str] = []
        self.names: dict[tuple[int, str], str] = {}     # (Program id, calling scope)
        # Programs are keyed by id(): keep each alive until the module is built,
        # so no id is reused by a new Program meanwhile.
        self.keep: list[Program] = []
        self.meshes: dict[Mesh, str] = {}
        # the mesh whose axes are manual where lowering is now (inside a shard_map
        # body): collectives there name its axes
        self.manual: Mesh | None = None
        self.channels = 0
        # the host callbacks the module calls, in the order of their indices
        self.host_callbacks: list[Callable[..., Any]] = []

    def channel(self) -> str:
        """A fresh device-to-device channel handle for one collective."""
        self.channels += 1
        return f"#stablehlo.channel_handle<handle = {self.channels}, type = 1>"

    def mesh_symbol(self, mesh: Mesh) -> str:
        """The module-level symbol of `mesh` (declared once). Devices are numbered
        in mesh order, which is the order the program is compiled for."""
        sym = self.meshes.get(mesh)
        if sym is None:
            sym = self.meshes[mesh] = "@mesh" if not self.meshes else f"@mesh_{len(self.meshes)}"
        return sym

    def sharding_attr(self, sharding: NamedSharding, ndim: int) -> str:
        """``#sdy.sharding<@mesh, [{"x"}, {}]>``: every dimension closed (exactly as given)."""
        return f"#sdy.sharding{self.tensor_sharding(sharding, ndim)}"

    def tensor_sharding(self, sharding: NamedSharding, ndim: int) -> str:
        """``<@mesh, [{"x"}, {}]>``, the form shardings take inside Shardy ops."""
        dims = ", ".join("{" + ", ".join(f'"{a}"' for a in sharding.spec.axes(d)) + "}"
                         for d in range(ndim))
        return f"<{self.mesh_symbol(sharding.mesh)}, [{dims}]>"

    def function(self, program: Program, name: str | None = None,
                 public: bool = False,
                 shardings: tuple[Sequence[NamedSharding], Sequence[NamedSharding | None] | None]
                 | None = None, scope: str = "") -> str:
        """The function computing `program` (emitted once per Program and calling
        scope: its ops' locations name the scope it is called from)."""
        key = (id(program), scope)
        if key in self.names and not public:
            return self.names[key]
        fname = name or f"{_sanitize(program.name)}_{len(self.names)}"
        self.names[key] = fname
        self.keep.append(program)
        ctx = LoweringContext(self, scope)
        args = [ctx.bind(f"%arg{i}", v.aval)
                for i, v in enumerate((*program.constvars, *program.invars))]
        threads_token = not public and has_effects(program)
        if threads_token:       # a private function with effects: token in, token out
            ctx.token = ctx.bind(f"%arg{len(args)}", TOKEN)
        outs = ctx.lower_eqns(program, args)
        out_avals = list(program.out_avals)
        if threads_token:
            args = [f"%arg{len(args)}", *args]
            outs = [ctx.effect_token(), *outs]
            out_avals = [TOKEN, *out_avals]
        in_attrs = [""] * len(args)
        out_attrs = [""] * len(out_avals)
        if shardings is not None:
            ins, outs_sh = shardings
            in_attrs = [f" {{sdy.sharding = {self.sharding_attr(sh, v.aval.ndim)}}}"
                        for sh, v in zip(ins, (*program.constvars, *program.invars), strict=True)]
            outs_sh = outs_sh or (None,) * len(program.out_avals)
            for i, (sh, a) in enumerate(zip(outs_sh, program.out_avals, strict=True)):
                if sh is not None:
                    out_attrs[i] = f" {{sdy.sharding = {self.sharding_attr(sh, a.ndim)}}}"
        sig = ", ".join(f"{a}: {ctx.types[a]}{at}" for a, at in zip(args, in_attrs, strict=True))
        out_t = ", ".join(tensor_type(a) + at
                          for a, at in zip(out_avals, out_attrs, strict=True))
        ret = (f"    return {', '.join(outs)} : {', '.join(ctx.types[o] for o in outs)}"
               if outs else "    return")
        vis = "public" if public else "private"
        text = (f"  func.func {vis} @{fname}({sig}) -> ({out_t}) {{\n"
                + "\n".join(ctx.lines) + ("\n" if ctx.lines else "") + ret + "\n  }")
        self.functions.append(text)
        return fname

    def text(self) -> str:
        body = "\n".join(self.functions)
        meshes = "".join(f"  sdy.mesh {sym} = <[{_mesh_axes(m)}]>\n"
                         for m, sym in self.meshes.items())
        parts = max([m.size for m in self.meshes] or [1])
        return (f"module @{_sanitize(self.name)} attributes {{mhlo.num_partitions = {parts} : "
                f"i32, mhlo.num_replicas = 1 : i32}} {{\n{meshes}{body}\n}}\n")


def _mesh_axes(mesh: Mesh) -> str:
    return ", ".join(f'"{n}"={k}' for n, k in mesh.shape.items())


def string_attr(text: str) -> str:
    """`text` as an MLIR string literal: quoted, with quotes, backslashes and
    non-printable bytes escaped as ``\\XX`` (hex)."""
    out = []
    for b in text.encode():
        c = chr(b)
        out.append(f"\\{b:02X}" if c in '"\\' or not 32 <= b < 127 else c)
    return '"' + "".join(out) + '"'


def _sanitize(name: str) -> str:
    out = "".join(c if c.isalnum() or c == "_" else "_" for c in name)
    return out if out and not out[0].isdigit() else f"f_{out}"


def lower_program(program: Program, name: str | None = None,
                  shardings: tuple[Sequence[NamedSharding], Sequence[NamedSharding | None] | None]
                  | None = None) -> str:
    """The StableHLO module whose public @main computes `program`. `shardings`: the
    layout of each input and, where not None, of each output, over one mesh."""
    return lower_module(program, name, shardings).text


class Module(NamedTuple):
    """A lowered module: its text, and the host callbacks its custom calls name by
    index (compiling it must hand them to XLA in this order)."""
    text: str
    host_callbacks: tuple[Callable[..., Any], ...]


def lower_module(program: Program, name: str | None = None,
                 shardings: tuple[Sequence[NamedSharding], Sequence[NamedSharding | None] | None]
                 | None = None) -> Module:
    """`lower_program`, with the host callbacks the text refers to."""
    mb = ModuleBuilder(f"jit_{name or program.name}")
    if shardings is not None and shardings[0]:
        mb.mesh_symbol(shardings[0][0].mesh)
    mb.function(program, "main", public=True, shardings=shardings)
    return Module(mb.text(), tuple(mb.host_callbacks))


def eqn_program(prim: Primitive, in_avals: Sequence[ShapedArray], params: dict[str, Any],
                out_avals: Sequence[ShapedArray]) -> Program:
    """A one-equation Program: what an eager primitive call compiles."""
    invars = tuple(Var(a) for a in in_avals)
    outvars = tuple(Var(a) for a in out_avals)
    return Program((), invars, (Eqn(prim, invars, params, outvars),), outvars, prim.name)
