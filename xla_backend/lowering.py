"""Program -> StableHLO text (an MLIR module), one lowering rule per primitive.

A rule has the signature ``rule(ctx, *operands, **params) -> list[str]``:
operands are SSA value names, ``ctx.avals_in``/``ctx.avals_out`` are the
equation's avals, and the rule emits ops through `ctx` and returns the SSA
names of the results. Ops are written in MLIR's generic form, which is uniform
for every op and stable across StableHLO versions.

This module knows the IR and the primitives, and nothing of the interpreters.
Rules for further op families register themselves in `lowering_rules` from
their own modules (imported at the end of this one).
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from funcgrad import dtypes
from funcgrad import primitives as P
from funcgrad.core import Primitive, ShapedArray
from funcgrad.ir import Literal, Program, Var

LoweringRule = Callable[..., Sequence[str]]
lowering_rules: dict[Primitive, LoweringRule] = {}

_ELT = {dtypes.bool_: "i1", dtypes.bfloat16: "bf16", dtypes.complex64: "complex<f32>",
        dtypes.complex128: "complex<f64>"}


def elt_type(dtype: np.dtype) -> str:
    t = _ELT.get(dtype)
    if t is not None:
        return t
    bits = dtype.itemsize * 8
    return {"i": f"i{bits}", "u": f"ui{bits}", "f": f"f{bits}"}[dtype.kind]


def tensor_type(aval: ShapedArray) -> str:
    dims = "".join(f"{d}x" for d in aval.shape)
    return f"tensor<{dims}{elt_type(aval.dtype)}>"


def _i64s(xs: Sequence[int]) -> str:
    return f"array<i64{': ' if len(xs) else ''}{', '.join(str(int(x)) for x in xs)}>"


def scalar_text(value: Any, dtype: np.dtype) -> str:
    """A scalar as an MLIR dense-literal element; floats as exact bit patterns."""
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


class LoweringContext:
    """Emits one function's body; names SSA values and remembers their types."""

    def __init__(self, module: ModuleBuilder):
        self.module = module
        self.lines: list[str] = []
        self.types: dict[str, str] = {}
        self.avals: dict[str, ShapedArray] = {}
        self.counter = 0
        self.avals_in: list[ShapedArray] = []
        self.avals_out: list[ShapedArray] = []
        self.indent = "    "

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
                        f"broadcast_dimensions = {_i64s(dims)}")

    def convert(self, x: str, dtype: np.dtype) -> str:
        aval = self.avals[x]
        if aval.dtype == dtype:
            return x
        if dtypes.is_complex(aval.dtype) and not dtypes.is_complex(dtype):
            x = self.op1("stablehlo.real", [x], aval.update(dtype=dtypes.real_dtype(aval.dtype)))
            aval = self.avals[x]
        return self.op1("stablehlo.convert", [x], aval.update(dtype=dtype))

    def region(self, arg_avals: Sequence[ShapedArray],
               body: Callable[..., Sequence[str]]) -> str:
        """A region ``{ ^bb0(args): ...; stablehlo.return }`` built by `body(*args)`."""
        saved, self.lines = self.lines, []
        outer_indent, self.indent = self.indent, self.indent + "    "
        args = [self.bind("%b" + self.fresh()[1:], a) for a in arg_avals]
        results = list(body(*args))
        ret_t = ", ".join(self.types[r] for r in results)
        self.lines.append(f'{self.indent}"stablehlo.return"({", ".join(results)}) '
                          f': ({ret_t}) -> ()')
        hdr = ", ".join(f"{a}: {self.types[a]}" for a in args)
        inner = "\n".join(self.lines)
        self.lines, self.indent = saved, outer_indent
        return f"{{\n{self.indent}  ^bb0({hdr}):\n{inner}\n{self.indent}}}"

    def call(self, program: Program, operands: Sequence[str]) -> list[str]:
        fname = self.module.function(program)
        res = self.fresh()
        n = len(program.outvars)
        in_t = ", ".join(self.types[o] for o in operands)
        outs = [tensor_type(a) for a in program.out_avals]
        out_t = f"({', '.join(outs)})"
        lhs = f"{res}:{n}" if n > 1 else res
        if n == 0:
            self.lines.append(f"{self.indent}func.call @{fname}({', '.join(operands)}) "
                              f": ({in_t}) -> ()")
            return []
        self.lines.append(f"{self.indent}{lhs} = func.call @{fname}({', '.join(operands)}) "
                          f": ({in_t}) -> {out_t}")
        names = [f"{res}#{i}" for i in range(n)] if n > 1 else [res]
        for nm, a in zip(names, program.out_avals, strict=True):
            self.bind(nm, a)
        return names

    def lower_eqns(self, program: Program, in_names: Sequence[str]) -> list[str]:
        env: dict[int, str] = {}
        for v, nm in zip((*program.constvars, *program.invars), in_names, strict=True):
            env[id(v)] = nm

        def read(a: Any) -> str:
            if isinstance(a, Literal):
                return self.constant(a.val, a.aval.dtype)
            return env[id(a)]

        for eqn in program.eqns:
            rule = lowering_rules.get(eqn.prim)
            if rule is None:
                raise NotImplementedError(f"no lowering rule for primitive {eqn.prim.name}")
            ins = [read(a) for a in eqn.inputs]
            self.avals_in = [a.aval for a in eqn.inputs]
            self.avals_out = [v.aval for v in eqn.outvars]
            outs = rule(self, *ins, **eqn.params)
            for v, nm in zip(eqn.outvars, outs, strict=True):
                env[id(v)] = nm
        return [read(a) for a in program.outvars]


class ModuleBuilder:
    def __init__(self, name: str):
        self.name = name
        self.functions: list[str] = []
        self.names: dict[int, str] = {}
        self.keep: list[Program] = []

    def function(self, program: Program, name: str | None = None,
                 public: bool = False) -> str:
        key = id(program)
        if key in self.names and not public:
            return self.names[key]
        fname = name or f"{_sanitize(program.name)}_{len(self.names)}"
        self.names[key] = fname
        self.keep.append(program)
        ctx = LoweringContext(self)
        args = [ctx.bind(f"%arg{i}", v.aval)
                for i, v in enumerate((*program.constvars, *program.invars))]
        outs = ctx.lower_eqns(program, args)
        sig = ", ".join(f"{a}: {ctx.types[a]}" for a in args)
        out_t = ", ".join(tensor_type(a) for a in program.out_avals)
        ret = (f"    return {', '.join(outs)} : {', '.join(ctx.types[o] for o in outs)}"
               if outs else "    return")
        vis = "public" if public else "private"
        text = (f"  func.func {vis} @{fname}({sig}) -> ({out_t}) {{\n"
                + "\n".join(ctx.lines) + ("\n" if ctx.lines else "") + ret + "\n  }")
        self.functions.append(text)
        return fname

    def text(self) -> str:
        body = "\n".join(self.functions)
        return (f"module @{_sanitize(self.name)} attributes {{mhlo.num_partitions = 1 : i32, "
                f"mhlo.num_replicas = 1 : i32}} {{\n{body}\n}}\n")


def _sanitize(name: str) -> str:
    out = "".join(c if c.isalnum() or c == "_" else "_" for c in name)
    return out if out and not out[0].isdigit() else f"f_{out}"


def lower_program(program: Program, name: str | None = None) -> str:
    """The StableHLO module whose public @main computes `program`."""
    mb = ModuleBuilder(f"jit_{name or program.name}")
    mb.function(program, "main", public=True)
    return mb.text()


# ---------------------------------------------------------------------------
# elementwise

_UNARY_OPS = {
    P.neg_p: "stablehlo.negate", P.sign_p: "stablehlo.sign", P.floor_p: "stablehlo.floor",
    P.ceil_p: "stablehlo.ceil", P.round_p: "stablehlo.round_nearest_even",
    P.is_finite_p: "stablehlo.is_finite", P.exp_p: "stablehlo.exponential",
    P.log_p: "stablehlo.log", P.expm1_p: "stablehlo.exponential_minus_one",
    P.log1p_p: "stablehlo.log_plus_one", P.sin_p: "stablehlo.sine", P.cos_p: "stablehlo.cosine",
    P.tan_p: "stablehlo.tan", P.asin_p: "chlo.asin", P.acos_p: "chlo.acos",
    P.atan_p: "chlo.atan", P.sinh_p: "chlo.sinh", P.cosh_p: "chlo.cosh",
    P.tanh_p: "stablehlo.tanh", P.asinh_p: "chlo.asinh", P.acosh_p: "chlo.acosh",
    P.atanh_p: "chlo.atanh", P.logistic_p: "stablehlo.logistic", P.sqrt_p: "stablehlo.sqrt",
    P.rsqrt_p: "stablehlo.rsqrt", P.cbrt_p: "stablehlo.cbrt", P.erf_p: "chlo.erf",
    P.erfc_p: "chlo.erfc", P.erf_inv_p: "chlo.erf_inv", P.lgamma_p: "chlo.lgamma",
    P.digamma_p: "chlo.digamma", P.abs_p: "stablehlo.abs", P.real_p: "stablehlo.real",
    P.imag_p: "stablehlo.imag", P.conj_p: "chlo.conj", P.not_p: "stablehlo.not",
    P.population_count_p: "stablehlo.popcnt",
}

_BINARY_OPS = {
    P.add_p: "stablehlo.add", P.sub_p: "stablehlo.subtract", P.mul_p: "stablehlo.multiply",
    P.div_p: "stablehlo.divide", P.rem_p: "stablehlo.remainder", P.pow_p: "stablehlo.power",
    P.max_p: "stablehlo.maximum", P.min_p: "stablehlo.minimum", P.atan2_p: "stablehlo.atan2",
    P.nextafter_p: "chlo.next_after", P.and_p: "stablehlo.and", P.or_p: "stablehlo.or",
    P.xor_p: "stablehlo.xor", P.shift_left_p: "stablehlo.shift_left",
    P.shift_right_arithmetic_p: "stablehlo.shift_right_arithmetic",
    P.shift_right_logical_p: "stablehlo.shift_right_logical",
}
# On booleans NumPy's + and * are logical or / and.
_BOOL_BINARY = {P.add_p: "stablehlo.or", P.mul_p: "stablehlo.and", P.max_p: "stablehlo.or",
                P.min_p: "stablehlo.and"}


def _elementwise_rule(opname: str) -> LoweringRule:
    def rule(ctx: LoweringContext, *xs: str) -> list[str]:
        out = ctx.avals_out[0]
        xs = tuple(ctx.broadcast_to(x, out.shape) for x in xs)
        name = opname
        if out.dtype == dtypes.bool_ and len(xs) == 2:
            name = _BOOL_BINARY.get(_prim_of_op[opname], opname)
        return [ctx.op1(name, xs, out)]
    return rule


_prim_of_op = {v: k for k, v in _BINARY_OPS.items()}
for _p, _op in (*_UNARY_OPS.items(), *_BINARY_OPS.items()):
    lowering_rules[_p] = _elementwise_rule(_op)


def _exp2_lower(ctx: LoweringContext, x: str) -> list[str]:
    out = ctx.avals_out[0]
    two = ctx.broadcast_to(ctx.constant(2, out.dtype), out.shape)
    return [ctx.op1("stablehlo.power", [two, x], out)]


lowering_rules[P.exp2_p] = _exp2_lower


def _abs_lower(ctx: LoweringContext, x: str) -> list[str]:
    if ctx.avals[x].dtype.kind == "u":      # stablehlo.abs takes no unsigned ints
        return [x]
    return [ctx.op1("stablehlo.abs", [x], ctx.avals_out[0])]


def _sign_lower(ctx: LoweringContext, x: str) -> list[str]:
    out = ctx.avals_out[0]
    if out.dtype.kind == "u":               # nor does stablehlo.sign: sign(x) = min(x, 1)
        return [ctx.op1("stablehlo.minimum", [x, ctx.constant(1, out.dtype, out.shape)], out)]
    return [ctx.op1("stablehlo.sign", [x], out)]


lowering_rules[P.abs_p] = _abs_lower
lowering_rules[P.sign_p] = _sign_lower

_DIRECTIONS = {P.eq_p: "EQ", P.ne_p: "NE", P.lt_p: "LT", P.le_p: "LE", P.gt_p: "GT", P.ge_p: "GE"}


def compare(ctx: LoweringContext, direction: str, x: str, y: str) -> str:
    aval = ctx.avals[x]
    dt = aval.dtype
    ctype = ("FLOAT" if dtypes.is_inexact(dt) else "SIGNED" if dt.kind == "i" else "UNSIGNED")
    return ctx.op1("stablehlo.compare", [x, y], aval.update(dtype=dtypes.bool_, weak_type=False),
                   f"comparison_direction = #stablehlo<comparison_direction {direction}>, "
                   f"compare_type = #stablehlo<comparison_type {ctype}>")


def _compare_rule(direction: str) -> LoweringRule:
    def rule(ctx: LoweringContext, x: str, y: str) -> list[str]:
        shape = ctx.avals_out[0].shape
        return [compare(ctx, direction, ctx.broadcast_to(x, shape), ctx.broadcast_to(y, shape))]
    return rule


for _p, _d in _DIRECTIONS.items():
    lowering_rules[_p] = _compare_rule(_d)


def _integer_pow_lower(ctx: LoweringContext, x: str, *, y: int) -> list[str]:
    out = ctx.avals_out[0]
    if y == 0:
        return [ctx.constant(1, out.dtype, out.shape)]
    acc: str | None = None
    base, n = x, abs(y)
    while n:
        if n & 1:
            acc = base if acc is None else ctx.op1("stablehlo.multiply", [acc, base], out)
        n >>= 1
        if n:
            base = ctx.op1("stablehlo.multiply", [base, base], out)
    assert acc is not None
    if y < 0:
        one = ctx.constant(1, out.dtype, out.shape)
        acc = ctx.op1("stablehlo.divide", [one, acc], out)
    return [acc]


lowering_rules[P.integer_pow_p] = _integer_pow_lower


def _complex_lower(ctx: LoweringContext, re: str, im: str) -> list[str]:
    out = ctx.avals_out[0]
    return [ctx.op1("stablehlo.complex", [ctx.broadcast_to(re, out.shape),
                                          ctx.broadcast_to(im, out.shape)], out)]


lowering_rules[P.complex_p] = _complex_lower


def _select_n_lower(ctx: LoweringContext, which: str, *cases: str) -> list[str]:
    out = ctx.avals_out[0]
    cases = tuple(ctx.broadcast_to(c, out.shape) for c in cases)
    if len(cases) == 1:
        return [cases[0]]
    which = ctx.broadcast_to(which, out.shape)
    if ctx.avals[which].dtype == dtypes.bool_:
        return [ctx.op1("stablehlo.select", [which, cases[1], cases[0]], out)]
    result = cases[0]
    for i, case in enumerate(cases[1:], start=1):
        k = ctx.constant(i, dtypes.int32, out.shape)
        pred = compare(ctx, "GE", which, k)
        result = ctx.op1("stablehlo.select", [pred, case, result], out)
    return [result]


lowering_rules[P.select_n_p] = _select_n_lower


def _convert_lower(ctx: LoweringContext, x: str, *, new_dtype: np.dtype,
                   weak_type: bool) -> list[str]:
    src = ctx.avals[x].dtype
    if new_dtype == dtypes.bool_ and src != dtypes.bool_:
        zero = ctx.constant(0, src, ctx.avals[x].shape)
        return [compare(ctx, "NE", x, zero)]
    return [ctx.convert(x, new_dtype)]


lowering_rules[P.convert_element_type_p] = _convert_lower


# ---------------------------------------------------------------------------
# elementwise special values: NumPy's answers at signed zeros, infinities and NaNs
#
# XLA's complex functions give nan+nanj (and drop signs of zero) at many points
# where C99 Annex G, and so NumPy, define a value. These rules build complex
# results from real operations on the parts and pick the defined values with
# selects. Real rules below patch the few real special values XLA gets wrong.


class _Parts:
    """Real arithmetic on one shape and real dtype, emitted into a lowering."""

    def __init__(self, ctx: LoweringContext, shape: tuple[int, ...], dtype: np.dtype):
        self.ctx = ctx
        self.aval = ShapedArray(shape, dtype)
        self.bool_aval = ShapedArray(shape, dtypes.bool_)
        self.int_aval = ShapedArray(shape, np.dtype(f"i{dtype.itemsize}"))

    def c(self, v: float) -> str:
        return self.ctx.constant(v, self.aval.dtype, self.aval.shape)

    def f(self, name: str, *xs: str) -> str:
        return self.ctx.op1(name, list(xs), self.aval)

    def add(self, a: str, b: str) -> str:
        return self.f("stablehlo.add", a, b)

    def sub(self, a: str, b: str) -> str:
        return self.f("stablehlo.subtract", a, b)

    def mul(self, a: str, b: str) -> str:
        return self.f("stablehlo.multiply", a, b)

    def div(self, a: str, b: str) -> str:
        return self.f("stablehlo.divide", a, b)

    def neg(self, a: str) -> str:
        return self.f("stablehlo.negate", a)

    def abs(self, a: str) -> str:
        return self.f("stablehlo.abs", a)

    def cmp(self, direction: str, a: str, b: str) -> str:
        return compare(self.ctx, direction, a, b)

    def b(self, name: str, *xs: str) -> str:
        return self.ctx.op1(name, list(xs), self.bool_aval)

    def and_(self, *xs: str) -> str:
        out = xs[0]
        for x in xs[1:]:
            out = self.b("stablehlo.and", out, x)
        return out

    def or_(self, *xs: str) -> str:
        out = xs[0]
        for x in xs[1:]:
            out = self.b("stablehlo.or", out, x)
        return out

    def not_(self, x: str) -> str:
        return self.b("stablehlo.not", x)

    def sel(self, pred: str, on_true: str, on_false: str) -> str:
        return self.ctx.op1("stablehlo.select", [pred, on_true, on_false],
                            self.ctx.avals[on_true])

    def isnan(self, x: str) -> str:
        return self.cmp("NE", x, x)

    def isinf(self, x: str) -> str:
        return self.cmp("EQ", self.abs(x), self.c(math.inf))

    def finite(self, x: str) -> str:
        return self.b("stablehlo.is_finite", x)

    def is_zero(self, x: str) -> str:
        return self.cmp("EQ", x, self.c(0))

    def signbit(self, x: str) -> str:
        bits = self.ctx.op1("stablehlo.bitcast_convert", [x], self.int_aval)
        return compare(self.ctx, "LT", bits,
                       self.ctx.constant(0, self.int_aval.dtype, self.aval.shape))

    def copysign(self, mag: str, sign: str) -> str:
        m = self.abs(mag)
        return self.sel(self.signbit(sign), self.neg(m), m)

    def hypot(self, x: str, y: str) -> str:
        """NumPy's hypot: no overflow for huge parts, inf wins over nan."""
        ax, ay = self.abs(x), self.abs(y)
        s = self.f("stablehlo.maximum", ax, ay)
        ok = self.and_(self.cmp("GT", s, self.c(0)), self.finite(s))
        s = self.sel(ok, s, self.c(1))
        u, v = self.div(ax, s), self.div(ay, s)
        h = self.mul(s, self.f("stablehlo.sqrt", self.add(self.mul(u, u), self.mul(v, v))))
        return self.sel(self.or_(self.isinf(x), self.isinf(y)), self.c(math.inf), h)


def _parts_of(ctx: LoweringContext, z: str) -> tuple[_Parts, str, str]:
    aval = ctx.avals_out[0]
    rdt = dtypes.real_dtype(ctx.avals[z].dtype)
    z = ctx.broadcast_to(z, aval.shape)
    r = _Parts(ctx, aval.shape, rdt)
    return (r, ctx.op1("stablehlo.real", [z], r.aval), ctx.op1("stablehlo.imag", [z], r.aval))


def _cplx(ctx: LoweringContext, re: str, im: str) -> str:
    return ctx.op1("stablehlo.complex", [re, im], ctx.avals_out[0])


def _c_exp_parts(r: _Parts, x: str, y: str) -> tuple[str, str]:
    """cexp: e^x cis(y); exact (e^x, y) for y = 0; the C99 values at infinities."""
    e = r.f("stablehlo.exponential", x)
    re = r.mul(e, r.f("stablehlo.cosine", y))
    im = r.mul(e, r.f("stablehlo.sine", y))
    y0 = r.is_zero(y)
    re, im = r.sel(y0, e, re), r.sel(y0, y, im)
    bad_y = r.not_(r.finite(y))
    lo = r.and_(r.cmp("EQ", x, r.c(-math.inf)), bad_y)        # 0 with y's sign
    re, im = r.sel(lo, r.c(0), re), r.sel(lo, r.copysign(r.c(0), y), im)
    hi = r.and_(r.cmp("EQ", x, r.c(math.inf)), bad_y)         # inf + nan j
    return r.sel(hi, r.c(math.inf), re), r.sel(hi, r.c(math.nan), im)


def _c_exp(ctx: LoweringContext, z: str) -> list[str]:
    r, x, y = _parts_of(ctx, z)
    return [_cplx(ctx, *_c_exp_parts(r, x, y))]


def _c_exp2(ctx: LoweringContext, z: str) -> list[str]:
    r, x, y = _parts_of(ctx, z)
    ln2 = r.c(math.log(2.0))
    return [_cplx(ctx, *_c_exp_parts(r, r.mul(x, ln2), r.mul(y, ln2)))]


def _c_expm1(ctx: LoweringContext, z: str) -> list[str]:
    """NumPy's formula: expm1(x) cos(y) - 2 sin(y/2)**2 + i e^x sin(y)."""
    r, x, y = _parts_of(ctx, z)
    a = r.f("stablehlo.sine", r.mul(y, r.c(0.5)))
    re = r.sub(r.mul(r.f("stablehlo.exponential_minus_one", x), r.f("stablehlo.cosine", y)),
               r.mul(r.c(2), r.mul(a, a)))
    im = r.mul(r.f("stablehlo.exponential", x), r.f("stablehlo.sine", y))
    return [_cplx(ctx, re, im)]


def _c_log_parts(r: _Parts, x: str, y: str) -> tuple[str, str]:
    """clog: log|z| + i atan2(y, x); near |z| = 1 through log1p to keep the digits."""
    h = r.hypot(x, y)
    ax, ay = r.abs(x), r.abs(y)
    big, small = r.f("stablehlo.maximum", ax, ay), r.f("stablehlo.minimum", ax, ay)
    near = r.and_(r.cmp("GT", h, r.c(0.5)), r.cmp("LT", h, r.c(2.0)))
    fine = r.mul(r.c(0.5), r.f("stablehlo.log_plus_one", r.add(
        r.mul(r.sub(big, r.c(1)), r.add(big, r.c(1))), r.mul(small, small))))
    re = r.sel(near, fine, r.f("stablehlo.log", h))
    return re, r.f("stablehlo.atan2", y, x)


def _c_log(ctx: LoweringContext, z: str) -> list[str]:
    r, x, y = _parts_of(ctx, z)
    return [_cplx(ctx, *_c_log_parts(r, x, y))]


def _c_log1p(ctx: LoweringContext, z: str) -> list[str]:
    """NumPy's formula: log(hypot(x + 1, y)) + i atan2(y, x + 1)."""
    r, x, y = _parts_of(ctx, z)
    x1 = r.add(x, r.c(1))
    return [_cplx(ctx, r.f("stablehlo.log", r.hypot(x1, y)), r.f("stablehlo.atan2", y, x1))]


def _c_sqrt(ctx: LoweringContext, z: str) -> list[str]:
    """csqrt: t = sqrt((|x| + |z|) / 2), scaled so that huge parts do not overflow."""
    r, x, y = _parts_of(ctx, z)
    ax = r.abs(x)
    h = r.hypot(x, y)
    big = r.cmp("GT", h, r.c(float(dtypes.finfo(r.aval.dtype).max) / 4))
    x4, y4 = r.mul(x, r.c(0.25)), r.mul(y, r.c(0.25))     # t = 2 t(z / 4)
    q = r.mul(r.add(r.abs(x4), r.hypot(x4, y4)), r.c(0.5))
    t_big = r.mul(r.c(2), r.f("stablehlo.sqrt", q))
    t_small = r.f("stablehlo.sqrt", r.mul(r.add(ax, h), r.c(0.5)))
    t = r.sel(big, t_big, t_small)
    two_t = r.mul(t, r.c(2))
    pos = r.not_(r.signbit(x))
    re = r.sel(pos, t, r.div(r.abs(y), two_t))
    im = r.sel(pos, r.div(y, two_t), r.copysign(t, y))
    zero = r.and_(r.is_zero(x), r.is_zero(y))
    re, im = r.sel(zero, r.c(0), re), r.sel(zero, y, im)
    inf_y = r.isinf(y)
    return [_cplx(ctx, r.sel(inf_y, r.c(math.inf), re), r.sel(inf_y, y, im))]


def _c_sinh_parts(r: _Parts, x: str, y: str, cosh: bool) -> tuple[str, str]:
    """csinh / ccosh: products of real sinh, cosh, cos, sin, with C99's special values."""
    sh, ch = r.f("chlo.sinh", x), r.f("chlo.cosh", x)
    cy, sy = r.f("stablehlo.cosine", y), r.f("stablehlo.sine", y)
    re = r.mul(ch if cosh else sh, cy)
    im = r.mul(sh if cosh else ch, sy)
    y0 = r.is_zero(y)
    # a zero imaginary part stays exact (signed like x * y for cosh; a NaN x counts
    # as positive there, as in NumPy)
    sx = r.sel(r.isnan(x), r.c(1), x)
    im = r.sel(y0, r.mul(r.copysign(r.c(0), sx), y) if cosh else y, im)
    bad_y = r.not_(r.finite(y))
    x0 = r.and_(r.is_zero(x), bad_y)
    if cosh:
        re, im = r.sel(x0, r.c(math.nan), re), r.sel(x0, r.c(0), im)
    else:
        re, im = r.sel(x0, x, re), r.sel(x0, r.c(math.nan), im)
    xinf = r.and_(r.isinf(x), bad_y)
    return r.sel(xinf, r.c(math.inf), re), r.sel(xinf, r.c(math.nan), im)


def _c_sinh(ctx: LoweringContext, z: str) -> list[str]:
    r, x, y = _parts_of(ctx, z)
    return [_cplx(ctx, *_c_sinh_parts(r, x, y, cosh=False))]


def _c_cosh(ctx: LoweringContext, z: str) -> list[str]:
    r, x, y = _parts_of(ctx, z)
    return [_cplx(ctx, *_c_sinh_parts(r, x, y, cosh=True))]


def _c_tanh_parts(r: _Parts, x: str, y: str) -> tuple[str, str]:
    """ctanh by Kahan's formula; for large |x| it is sign(x) + i 4 sin(y) cos(y) e^(-2|x|)."""
    t = r.f("stablehlo.tan", y)
    beta = r.add(r.c(1), r.mul(t, t))
    s = r.f("chlo.sinh", x)
    rho = r.f("stablehlo.sqrt", r.add(r.c(1), r.mul(s, s)))
    den = r.add(r.c(1), r.mul(beta, r.mul(s, s)))
    re = r.div(r.mul(beta, r.mul(rho, s)), den)
    im = r.div(t, den)
    limit = 22.0 if r.aval.dtype == dtypes.float64 else 11.0
    big = r.cmp("GT", r.abs(x), r.c(limit))
    e = r.f("stablehlo.exponential", r.mul(r.c(-2), r.abs(x)))
    small_im = r.mul(r.mul(r.c(4), r.mul(r.f("stablehlo.sine", y),
                                         r.f("stablehlo.cosine", y))), e)
    one = r.copysign(r.c(1), x)
    re, im = r.sel(big, one, re), r.sel(big, small_im, im)
    bad_y = r.not_(r.finite(y))
    xinf = r.and_(r.isinf(x), bad_y)
    re, im = r.sel(xinf, one, re), r.sel(xinf, r.copysign(r.c(0), y), im)
    xfin = r.and_(r.finite(x), bad_y)       # NaN + NaN j, as C99 asks (but see x = 0)
    re, im = r.sel(xfin, r.c(math.nan), re), r.sel(xfin, r.c(math.nan), im)
    x0 = r.and_(r.is_zero(x), bad_y)
    re, im = r.sel(x0, x, re), r.sel(x0, r.c(math.nan), im)
    return re, r.sel(r.is_zero(y), y, im)


def _c_tanh(ctx: LoweringContext, z: str) -> list[str]:
    r, x, y = _parts_of(ctx, z)
    return [_cplx(ctx, *_c_tanh_parts(r, x, y))]


def _c_trig(hyperbolic: Callable[..., tuple[str, str]], cosine: bool = False,
            sine: bool = False) -> LoweringRule:
    """sin z = -i sinh(iz), cos z = cosh(iz), tan z = -i tanh(iz) (C99's definitions)."""
    def rule(ctx: LoweringContext, z: str) -> list[str]:
        r, x, y = _parts_of(ctx, z)
        a, b = hyperbolic(r, r.neg(y), x)
        if cosine:
            return [_cplx(ctx, a, b)]
        re, im = b, r.neg(a)
        if sine:    # C99 leaves the sign of this infinity open; NumPy's is +
            im = r.sel(r.and_(r.isnan(re), r.isinf(im)), r.c(math.inf), im)
        return [_cplx(ctx, re, im)]
    return rule


def _c_sign(ctx: LoweringContext, z: str) -> list[str]:
    """NumPy's z / |z|: 0 at 0; an infinite part gives the unit in its direction."""
    r, x, y = _parts_of(ctx, z)
    h = r.hypot(x, y)
    zero = r.is_zero(h)
    safe = r.sel(zero, r.c(1), h)
    re, im = r.div(x, safe), r.div(y, safe)
    re, im = r.sel(zero, r.c(0), re), r.sel(zero, r.c(0), im)
    unit_x = r.copysign(r.c(1), x)
    unit_y = r.copysign(r.c(1), y)
    ix, iy = r.isinf(x), r.isinf(y)
    only_x = r.and_(ix, r.not_(iy))
    only_y = r.and_(iy, r.not_(ix))
    re, im = r.sel(only_x, unit_x, re), r.sel(only_x, r.c(0), im)
    re, im = r.sel(only_y, r.c(0), re), r.sel(only_y, unit_y, im)
    both = r.and_(ix, iy)
    return [_cplx(ctx, r.sel(both, r.c(math.nan), re), r.sel(both, r.c(math.nan), im))]


def _c_abs(ctx: LoweringContext, z: str) -> list[str]:
    r, x, y = _parts_of(ctx, z)
    return [r.hypot(x, y)]


def _c_log_ratio(r: _Parts, near: str, other: str) -> str:
    """log|1 + w| - log|1 - w| over 2, for w = near + i other with `near` close to 1:
    atanh's real part beside its pole, where the usual quotient underflows to 0 and
    gives inf. 1 - |near| is exact there (Sterbenz), so the digits survive."""
    a, b = r.abs(near), r.abs(other)
    up = r.f("stablehlo.log", r.hypot(r.add(r.c(1), a), b))
    down = r.f("stablehlo.log", r.hypot(r.sub(r.c(1), a), b))
    return r.mul(r.c(0.5), r.sub(up, down))


def _c_near_pole(r: _Parts, near: str, other: str) -> str:
    eps = float(dtypes.finfo(r.aval.dtype).eps)
    d = r.hypot(r.sub(r.c(1), r.abs(near)), other)
    return r.cmp("LT", d, r.c(math.sqrt(eps)))


def _c_override(r: _Parts, re: str, im: str,
                cases: Sequence[tuple[str, str, str]]) -> tuple[str, str]:
    """Apply (predicate, re, im) cases; a later case wins over an earlier one."""
    for pred, cre, cim in cases:
        re, im = r.sel(pred, cre, re), r.sel(pred, cim, im)
    return re, im


def _c_inverse(opname: str) -> LoweringRule:
    """The inverse trigonometric and hyperbolic functions: XLA's values at ordinary
    points, with the quadrant and signed zeros C99 Annex G fixes through their
    symmetries (each is odd or even and commutes with conj), NumPy's values where a
    part is NaN, and atanh/atan beside their poles at +-1 and +-i."""
    def rule(ctx: LoweringContext, z: str) -> list[str]:
        r, x, y = _parts_of(ctx, z)
        w = ctx.op1(opname, [ctx.broadcast_to(z, ctx.avals_out[0].shape)], ctx.avals_out[0])
        wr = ctx.op1("stablehlo.real", [w], r.aval)
        wi = ctx.op1("stablehlo.imag", [w], r.aval)
        nan, inf, zero = r.c(math.nan), r.c(math.inf), r.c(0)
        nx, ny = r.isnan(x), r.isnan(y)
        ix, iy = r.isinf(x), r.isinf(y)
        x_nan = r.and_(nx, r.not_(ny))      # exactly one part NaN
        y_nan = r.and_(ny, r.not_(nx))
        any_nan = r.or_(nx, ny)
        if opname in ("chlo.asinh", "chlo.asin", "chlo.atanh", "chlo.atan"):
            # odd and conj-symmetric: the result sits in the operand's quadrant
            re, im = r.copysign(wr, x), r.copysign(wi, y)
        elif opname == "chlo.acos":         # real part in [0, pi]; imag opposite to y
            re, im = wr, r.neg(r.copysign(wi, y))
        else:                               # acosh: real part >= 0; imag follows y
            re, im = r.abs(wr), r.copysign(wi, y)
        if opname == "chlo.atanh":
            re = r.sel(_c_near_pole(r, x, y), r.copysign(_c_log_ratio(r, x, y), x), re)
        if opname == "chlo.atan":
            im = r.sel(_c_near_pole(r, y, x), r.copysign(_c_log_ratio(r, y, x), y), im)
        cases = {
            "chlo.asinh": [(r.and_(x_nan, r.is_zero(y)), nan, y), (r.and_(y_nan, ix), x, nan),
                           (r.and_(x_nan, iy), inf, nan)],
            "chlo.asin": [(r.and_(y_nan, r.is_zero(x)), x, nan), (r.and_(x_nan, iy), nan, y),
                          (r.and_(y_nan, ix), nan, inf)],
            "chlo.atanh": [(r.and_(y_nan, r.is_zero(x)), x, nan),
                           (r.and_(y_nan, ix), r.copysign(zero, x), nan),
                           (r.and_(x_nan, iy), r.copysign(zero, x),
                            r.copysign(r.c(math.pi / 2), y))],
            "chlo.atan": [(r.and_(x_nan, r.is_zero(y)), nan, y),
                          (r.and_(x_nan, iy), nan, r.copysign(zero, y)),
                          (r.and_(y_nan, ix), r.copysign(r.c(math.pi / 2), x),
                           r.copysign(zero, y))],
            "chlo.acos": [(r.and_(y_nan, r.is_zero(x)), r.c(math.pi / 2), nan),
                          (r.and_(y_nan, ix), nan, r.c(-math.inf)),
                          (r.and_(x_nan, iy), nan, r.neg(y))],
            "chlo.acosh": [(r.and_(y_nan, r.is_zero(x)), nan, r.c(math.pi / 2)),
                           (r.and_(y_nan, ix), inf, nan), (r.and_(x_nan, iy), inf, nan)],
        }[opname]
        re, im = _c_override(r, re, im, [(any_nan, nan, nan), *cases])
        return [_cplx(ctx, re, im)]
    return rule


def _c_mul(r: _Parts, a: tuple[str, str], b: tuple[str, str]) -> tuple[str, str]:
    """The textbook product, as NumPy's integer powers use it (no C99 inf recovery)."""
    return (r.sub(r.mul(a[0], b[0]), r.mul(a[1], b[1])),
            r.add(r.mul(a[0], b[1]), r.mul(a[1], b[0])))


def _c_mul_c99(r: _Parts, a: str, b: str, c: str, d: str) -> tuple[str, str]:
    """(a + ib)(c + id) as C compilers emit it (Annex G): where the textbook
    product is nan + nan j but an operand is infinite, the infinity is recovered."""
    x, y = _c_mul(r, (a, b), (c, d))
    lost = r.and_(r.isnan(x), r.isnan(y))
    zero, one = r.c(0), r.c(1)

    def box(u: str, v: str) -> tuple[str, str]:
        return (r.copysign(r.sel(r.isinf(u), one, zero), u),
                r.copysign(r.sel(r.isinf(v), one, zero), v))

    def unnan(u: str) -> str:
        return r.sel(r.isnan(u), r.copysign(zero, u), u)

    inf_ab = r.or_(r.isinf(a), r.isinf(b))
    inf_cd = r.or_(r.isinf(c), r.isinf(d))
    ba, bb = box(a, b)
    a1, b1 = r.sel(inf_ab, ba, a), r.sel(inf_ab, bb, b)
    c1, d1 = r.sel(inf_ab, unnan(c), c), r.sel(inf_ab, unnan(d), d)
    bc_, bd_ = box(c1, d1)
    c2, d2 = r.sel(inf_cd, bc_, c1), r.sel(inf_cd, bd_, d1)
    a2, b2 = r.sel(inf_cd, unnan(a1), a1), r.sel(inf_cd, unnan(b1), b1)
    prods = [r.mul(a, c), r.mul(b, d), r.mul(a, d), r.mul(b, c)]
    big = r.and_(r.not_(r.or_(inf_ab, inf_cd)), r.or_(*(r.isinf(q) for q in prods)))
    a2, b2, c2, d2 = (r.sel(big, unnan(u), u) for u in (a2, b2, c2, d2))
    rx, ry = _c_mul(r, (a2, b2), (c2, d2))
    inf = r.c(math.inf)
    redo = r.and_(lost, r.or_(inf_ab, inf_cd, big))
    return r.sel(redo, r.mul(inf, rx), x), r.sel(redo, r.mul(inf, ry), y)


def _c_inv(r: _Parts, x: str, y: str) -> tuple[str, str]:
    """1 / (x + iy) by NumPy's complex division (Smith's): 1 / 0 is inf + nan j."""
    ax, ay = r.abs(x), r.abs(y)
    wide = r.cmp("GE", ax, ay)
    zero = r.and_(r.is_zero(ax), r.is_zero(ay))
    one = r.c(1)
    rat1 = r.div(y, r.sel(zero, one, x))
    scl1 = r.div(one, r.add(x, r.mul(y, rat1)))
    # The numerator 1 + 0j enters as in NumPy's formula; its sums with the zero
    # imaginary part are spelled out with selects (0 * rat is nan for an infinite
    # rat; -0 + 0 is +0), since XLA folds x + 0 to x and drops the zero's sign.
    nil, nan = r.c(0), r.c(math.nan)
    re1 = r.mul(r.sel(r.finite(rat1), one, nan), scl1)
    im1 = r.mul(r.sel(r.is_zero(rat1), nil, r.neg(rat1)), scl1)
    re1 = r.sel(zero, r.div(one, ax), re1)
    im1 = r.sel(zero, r.div(nil, ax), im1)
    rat2 = r.div(x, y)
    scl2 = r.div(one, r.add(y, r.mul(x, rat2)))
    re2 = r.mul(r.sel(r.is_zero(rat2), nil, rat2), scl2)
    im2 = r.mul(r.sel(r.finite(rat2), r.c(-1), nan), scl2)
    return r.sel(wide, re1, re2), r.sel(wide, im1, im2)


def _c_pow(ctx: LoweringContext, a: str, b: str) -> list[str]:
    """NumPy's complex power: a**0 is 1 (0**0 too); 0**b is 0 for Re b > 0, else
    nan + nan j; an integer exponent below 100 in size multiplies (so 1j**2 is
    exactly -1, and infinities follow the textbook product); any other exponent
    is exp(b log a) with C99's exp and log, which is what C's cpow computes."""
    r, ar, ai = _parts_of(ctx, a)
    _, br, bi = _parts_of(ctx, b)
    lr, li = _c_log_parts(r, ar, ai)
    gr, gi = _c_exp_parts(r, *_c_mul_c99(r, br, bi, lr, li))
    mag = r.abs(br)
    integral = r.and_(r.is_zero(bi), r.cmp("EQ", r.f("stablehlo.floor", br), br),
                      r.cmp("LT", mag, r.c(100)))
    ity = ShapedArray(r.aval.shape, dtypes.int32)
    n = ctx.convert(r.sel(integral, mag, r.c(0)), dtypes.int32)
    acc, p = (r.c(1), r.c(0)), (ar, ai)
    for k in range(7):
        bit = compare(ctx, "NE", ctx.op1("stablehlo.and", [n, ctx.constant(1 << k, dtypes.int32,
                                                                           ity.shape)], ity),
                      ctx.constant(0, dtypes.int32, ity.shape))
        prod = _c_mul(r, acc, p)
        acc = (r.sel(bit, prod[0], acc[0]), r.sel(bit, prod[1], acc[1]))
        p = _c_mul(r, p, p)
    inv = _c_inv(r, *acc)
    neg = r.cmp("LT", br, r.c(0))
    ir, ii = r.sel(neg, inv[0], acc[0]), r.sel(neg, inv[1], acc[1])
    sq = _c_mul(r, (ar, ai), (ar, ai))
    cube = _c_mul(r, (ar, ai), sq)
    ir, ii = _c_override(r, ir, ii, [(r.cmp("EQ", br, r.c(k)), *v)
                                     for k, v in ((1, (ar, ai)), (2, sq), (3, cube))])
    re, im = r.sel(integral, ir, gr), r.sel(integral, ii, gi)
    base0 = r.and_(r.is_zero(ar), r.is_zero(ai))
    pos = r.cmp("GT", br, r.c(0))
    zero, nan = r.c(0), r.c(math.nan)
    re, im = _c_override(r, re, im, [
        (base0, r.sel(pos, zero, nan), r.sel(pos, zero, nan)),
        (r.and_(r.is_zero(br), r.is_zero(bi)), r.c(1), zero)])
    return [_cplx(ctx, re, im)]


def _complex_or(real_rule: LoweringRule, complex_rule: LoweringRule) -> LoweringRule:
    def rule(ctx: LoweringContext, *xs: str, **params: Any) -> list[str]:
        if dtypes.is_complex(ctx.avals_in[0].dtype):
            return complex_rule(ctx, *xs, **params)
        return real_rule(ctx, *xs, **params)
    return rule


def _real_sign_lower(ctx: LoweringContext, x: str) -> list[str]:
    """sign(-0.0) is +0.0 in NumPy (XLA keeps the zero's sign)."""
    out = ctx.avals_out[0]
    if not dtypes.is_inexact(out.dtype):
        return _sign_lower(ctx, x)
    r = _Parts(ctx, out.shape, out.dtype)
    return [r.sel(r.is_zero(x), r.c(0), ctx.op1("stablehlo.sign", [x], out))]


def _lgamma_lower(ctx: LoweringContext, x: str) -> list[str]:
    """lgamma(1) = lgamma(2) = +0 exactly (XLA's float32 series is 5e-7 off there)."""
    out = ctx.avals_out[0]
    r = _Parts(ctx, out.shape, out.dtype)
    y = ctx.op1("chlo.lgamma", [x], out)
    exact = r.or_(r.cmp("EQ", x, r.c(1)), r.cmp("EQ", x, r.c(2)))
    return [r.sel(exact, r.c(0), y)]


def _digamma_lower(ctx: LoweringContext, x: str) -> list[str]:
    """digamma's pole at 0 is -inf from the right (+0) and +inf from the left (-0),
    as in SciPy (XLA gives nan); at the negative integers it stays nan."""
    out = ctx.avals_out[0]
    r = _Parts(ctx, out.shape, out.dtype)
    y = ctx.op1("chlo.digamma", [x], out)
    return [r.sel(r.is_zero(x), r.neg(r.copysign(r.c(math.inf), x)), y)]


def _flush_subnormal(r: _Parts, x: str) -> str:
    """x with a subnormal value replaced by a zero of its sign (what DAZ hardware sees),
    so that an op that half-flushes (atan2 read +tiny as -0) answers consistently."""
    tiny = r.cmp("LT", r.abs(x), r.c(float(dtypes.finfo(r.aval.dtype).tiny)))
    return r.sel(tiny, r.copysign(r.c(0), x), x)


def _atan2_lower(ctx: LoweringContext, y: str, x: str) -> list[str]:
    out = ctx.avals_out[0]
    if not dtypes.is_inexact(out.dtype) or dtypes.is_complex(out.dtype):
        return _elementwise_rule("stablehlo.atan2")(ctx, y, x)
    r = _Parts(ctx, out.shape, out.dtype)
    y, x = (_flush_subnormal(r, ctx.broadcast_to(v, out.shape)) for v in (y, x))
    return [ctx.op1("stablehlo.atan2", [y, x], out)]


def _cbrt_lower(ctx: LoweringContext, x: str) -> list[str]:
    """cbrt(x) = cbrt(x * 2**96) / 2**32 for subnormal x (XLA's cbrt is garbage there)."""
    out = ctx.avals_out[0]
    r = _Parts(ctx, out.shape, out.dtype)
    small = r.cmp("LT", r.abs(x), r.c(float(dtypes.finfo(out.dtype).tiny)))
    scaled = r.sel(small, r.mul(x, r.c(2.0 ** 96)), x)
    y = ctx.op1("stablehlo.cbrt", [scaled], out)
    return [r.sel(small, r.mul(y, r.c(2.0 ** -32)), y)]


lowering_rules[P.atan2_p] = _atan2_lower
lowering_rules[P.cbrt_p] = _cbrt_lower
lowering_rules[P.exp_p] = _complex_or(lowering_rules[P.exp_p], _c_exp)
lowering_rules[P.exp2_p] = _complex_or(lowering_rules[P.exp2_p], _c_exp2)
lowering_rules[P.expm1_p] = _complex_or(lowering_rules[P.expm1_p], _c_expm1)
lowering_rules[P.log_p] = _complex_or(lowering_rules[P.log_p], _c_log)
lowering_rules[P.log1p_p] = _complex_or(lowering_rules[P.log1p_p], _c_log1p)
lowering_rules[P.sqrt_p] = _complex_or(lowering_rules[P.sqrt_p], _c_sqrt)
lowering_rules[P.sinh_p] = _complex_or(lowering_rules[P.sinh_p], _c_sinh)
lowering_rules[P.cosh_p] = _complex_or(lowering_rules[P.cosh_p], _c_cosh)
lowering_rules[P.tanh_p] = _complex_or(lowering_rules[P.tanh_p], _c_tanh)
lowering_rules[P.sin_p] = _complex_or(lowering_rules[P.sin_p], _c_trig(
    lambda r, x, y: _c_sinh_parts(r, x, y, cosh=False), sine=True))
lowering_rules[P.cos_p] = _complex_or(lowering_rules[P.cos_p], _c_trig(
    lambda r, x, y: _c_sinh_parts(r, x, y, cosh=True), cosine=True))
lowering_rules[P.tan_p] = _complex_or(lowering_rules[P.tan_p], _c_trig(_c_tanh_parts))
lowering_rules[P.sign_p] = _complex_or(_real_sign_lower, _c_sign)
lowering_rules[P.pow_p] = _complex_or(lowering_rules[P.pow_p], _c_pow)
lowering_rules[P.asin_p] = _complex_or(lowering_rules[P.asin_p], _c_inverse("chlo.asin"))
lowering_rules[P.acos_p] = _complex_or(lowering_rules[P.acos_p], _c_inverse("chlo.acos"))
lowering_rules[P.atan_p] = _complex_or(lowering_rules[P.atan_p], _c_inverse("chlo.atan"))
lowering_rules[P.asinh_p] = _complex_or(lowering_rules[P.asinh_p], _c_inverse("chlo.asinh"))
lowering_rules[P.acosh_p] = _complex_or(lowering_rules[P.acosh_p], _c_inverse("chlo.acosh"))
lowering_rules[P.atanh_p] = _complex_or(lowering_rules[P.atanh_p], _c_inverse("chlo.atanh"))
lowering_rules[P.abs_p] = _complex_or(_abs_lower, _c_abs)
lowering_rules[P.lgamma_p] = _lgamma_lower
lowering_rules[P.digamma_p] = _digamma_lower


# ---------------------------------------------------------------------------
# shapes

def _broadcast_in_dim_lower(ctx: LoweringContext, x: str, *, shape: tuple[int, ...],
                            broadcast_dimensions: tuple[int, ...]) -> list[str]:
    return [ctx.op1("stablehlo.broadcast_in_dim", [x], ctx.avals_out[0],
                    f"broadcast_dimensions = {_i64s(broadcast_dimensions)}")]


def _reshape_lower(ctx: LoweringContext, x: str, **_: Any) -> list[str]:
    return [ctx.op1("stablehlo.reshape", [x], ctx.avals_out[0])]


def _transpose_lower(ctx: LoweringContext, x: str, *, permutation: tuple[int, ...]) -> list[str]:
    return [ctx.op1("stablehlo.transpose", [x], ctx.avals_out[0],
                    f"permutation = {_i64s(permutation)}")]


def _rev_lower(ctx: LoweringContext, x: str, *, dimensions: tuple[int, ...]) -> list[str]:
    return [ctx.op1("stablehlo.reverse", [x], ctx.avals_out[0],
                    f"dimensions = {_i64s(dimensions)}")]


def _slice_lower(ctx: LoweringContext, x: str, *, start_indices: tuple[int, ...],
                 limit_indices: tuple[int, ...], strides: tuple[int, ...]) -> list[str]:
    return [ctx.op1("stablehlo.slice", [x], ctx.avals_out[0],
                    f"start_indices = {_i64s(start_indices)}, limit_indices = "
                    f"{_i64s(limit_indices)}, strides = {_i64s(strides)}")]


def _index_operands(ctx: LoweringContext, idx: Sequence[str]) -> list[str]:
    return [ctx.convert(i, dtypes.int64) for i in idx]


def _dynamic_slice_lower(ctx: LoweringContext, x: str, *idx: str,
                         slice_sizes: tuple[int, ...]) -> list[str]:
    return [ctx.op1("stablehlo.dynamic_slice", [x, *_index_operands(ctx, idx)],
                    ctx.avals_out[0], f"slice_sizes = {_i64s(slice_sizes)}")]


def _dynamic_update_slice_lower(ctx: LoweringContext, x: str, u: str, *idx: str) -> list[str]:
    return [ctx.op1("stablehlo.dynamic_update_slice", [x, u, *_index_operands(ctx, idx)],
                    ctx.avals_out[0])]


def _concatenate_lower(ctx: LoweringContext, *xs: str, dimension: int) -> list[str]:
    return [ctx.op1("stablehlo.concatenate", list(xs), ctx.avals_out[0],
                    f"dimension = {dimension} : i64")]


def _pad_lower(ctx: LoweringContext, x: str, v: str, *,
               padding_config: tuple[tuple[int, int, int], ...]) -> list[str]:
    lo, hi, interior = zip(*padding_config, strict=True) if padding_config else ((), (), ())
    return [ctx.op1("stablehlo.pad", [x, v], ctx.avals_out[0],
                    f"edge_padding_low = {_i64s(lo)}, edge_padding_high = {_i64s(hi)}, "
                    f"interior_padding = {_i64s(interior)}")]


def _iota_lower(ctx: LoweringContext, *, dtype: np.dtype, shape: tuple[int, ...],
                dimension: int) -> list[str]:
    out = ctx.avals_out[0]
    if dtype == dtypes.bool_:
        i = ctx.op1("stablehlo.iota", [], out.update(dtype=dtypes.int32),
                    f"iota_dimension = {dimension} : i64")
        return [ctx.convert(i, dtype)]
    return [ctx.op1("stablehlo.iota", [], out, f"iota_dimension = {dimension} : i64")]


lowering_rules.update({
    P.broadcast_in_dim_p: _broadcast_in_dim_lower, P.reshape_p: _reshape_lower,
    P.squeeze_p: _reshape_lower, P.expand_dims_p: _reshape_lower,
    P.transpose_p: _transpose_lower, P.slice_p: _slice_lower, P.rev_p: _rev_lower,
    P.dynamic_slice_p: _dynamic_slice_lower,
    P.dynamic_update_slice_p: _dynamic_update_slice_lower,
    P.concatenate_p: _concatenate_lower, P.pad_p: _pad_lower, P.iota_p: _iota_lower,
})


# ---------------------------------------------------------------------------
# reductions


def identity_value(op: str, dtype: np.dtype) -> Any:
    """The identity element of a monoid `op` ("add", "mul", "max", "min", "and", "or")."""
    if op in ("add", "or"):
        return 0
    if op == "mul":
        return 1
    if op == "and":
        return True if dtype == dtypes.bool_ else -1
    if dtype == dtypes.bool_:
        return op == "min"
    if dtypes.is_integer(dtype):
        info = np.iinfo(dtype)
        return info.min if op == "max" else info.max
    return -math.inf if op == "max" else math.inf


_MONOID_OPS = {"add": "stablehlo.add", "mul": "stablehlo.multiply", "max": "stablehlo.maximum",
               "min": "stablehlo.minimum", "and": "stablehlo.and", "or": "stablehlo.or"}


def monoid_op(op: str, dtype: np.dtype) -> str:
    if dtype == dtypes.bool_:
        op = {"add": "or", "mul": "and", "max": "or", "min": "and"}.get(op, op)
    return _MONOID_OPS[op]


def reduce(ctx: LoweringContext, x: str, op: str, axes: Sequence[int],
           out_aval: ShapedArray) -> str:
    dt = ctx.avals[x].dtype
    init = ctx.constant(identity_value(op, dt), dt)
    scalar = ShapedArray((), dt)
    name = monoid_op(op, dt)
    body = ctx.region([scalar, scalar], lambda a, b: [ctx.op1(name, [a, b], scalar)])
    return ctx.op1("stablehlo.reduce", [x, init], out_aval,
                   f"dimensions = {_i64s(axes)}", [body])


def _reduce_rule(op: str) -> LoweringRule:
    def rule(ctx: LoweringContext, x: str, *, axes: tuple[int, ...]) -> list[str]:
        return [reduce(ctx, x, op, axes, ctx.avals_out[0])]
    return rule


for _p, _op in ((P.reduce_sum_p, "add"), (P.reduce_prod_p, "mul"), (P.reduce_max_p, "max"),
                (P.reduce_min_p, "min"), (P.reduce_and_p, "and"), (P.reduce_or_p, "or")):
    lowering_rules[_p] = _reduce_rule(_op)


def _arg_reduce_rule(direction: str) -> LoweringRule:
    """argmax/argmin as a variadic reduce over (value, index) pairs; NaNs win, like NumPy,
    and ties go to the smaller index."""
    def rule(ctx: LoweringContext, x: str, *, axis: int, index_dtype: np.dtype) -> list[str]:
        xa = ctx.avals[x]
        idx = ctx.op1("stablehlo.iota", [], xa.update(dtype=index_dtype),
                      f"iota_dimension = {axis} : i64")
        vs, is_ = ShapedArray((), xa.dtype), ShapedArray((), index_dtype)
        b = ShapedArray((), dtypes.bool_)
        is_float = dtypes.is_inexact(xa.dtype)

        def body(av: str, ai: str, bv: str, bi: str) -> list[str]:
            better = compare(ctx, direction, av, bv)
            eq = compare(ctx, "EQ", av, bv)
            lt_idx = compare(ctx, "LT", ai, bi)
            pick = ctx.op1("stablehlo.or", [better, ctx.op1("stablehlo.and", [eq, lt_idx], b)], b)
            if is_float:
                a_nan = compare(ctx, "NE", av, av)
                b_nan = compare(ctx, "NE", bv, bv)
                b_ok = ctx.op1("stablehlo.not", [b_nan], b)
                nan_pick = ctx.op1("stablehlo.or", [b_ok, lt_idx], b)
                num_pick = ctx.op1("stablehlo.and", [b_ok, pick], b)
                pick = ctx.op1("stablehlo.select", [a_nan, nan_pick, num_pick], b)
            return [ctx.op1("stablehlo.select", [pick, av, bv], vs),
                    ctx.op1("stablehlo.select", [pick, ai, bi], is_)]

        region = ctx.region([vs, is_, vs, is_], body)
        # The init value must lose to every element (an init of 0 beat all-negative rows).
        init_v = ctx.constant(identity_value("max" if direction == "GT" else "min", xa.dtype),
                              xa.dtype)
        init_i = ctx.constant(0, index_dtype)
        out = ctx.avals_out[0]
        res = ctx.op("stablehlo.reduce", [x, idx, init_v, init_i],
                     [out.update(dtype=xa.dtype), out], f"dimensions = {_i64s([axis])}", [region])
        return [res[1]]
    return rule


lowering_rules[P.argmax_p] = _arg_reduce_rule("GT")
lowering_rules[P.argmin_p] = _arg_reduce_rule("LT")


def _cumulative_rule(op: str) -> LoweringRule:
    """A prefix reduction as a reduce_window whose window covers the whole axis."""
    def rule(ctx: LoweringContext, x: str, *, axis: int, reverse: bool) -> list[str]:
        xa = ctx.avals[x]
        n = xa.shape[axis]
        dt = xa.dtype
        scalar = ShapedArray((), dt)
        name = monoid_op(op, dt)
        body = ctx.region([scalar, scalar], lambda a, b: [ctx.op1(name, [a, b], scalar)])
        init = ctx.constant(identity_value(op, dt), dt)
        window = [1] * xa.ndim
        window[axis] = max(n, 1)
        pad = [[0, 0] for _ in range(xa.ndim)]
        pad[axis] = [0, max(n - 1, 0)] if reverse else [max(n - 1, 0), 0]
        pad_text = ", ".join(f"[{lo}, {hi}]" for lo, hi in pad)
        attrs = (f"window_dimensions = {_i64s(window)}, window_strides = {_i64s([1] * xa.ndim)}, "
                 f"padding = dense<[{pad_text}]> : tensor<{xa.ndim}x2xi64>")
        return [ctx.op1("stablehlo.reduce_window", [x, init], xa, attrs, [body])]
    return rule


for _p, _op in ((P.cumsum_p, "add"), (P.cumprod_p, "mul"), (P.cummax_p, "max"),
                (P.cummin_p, "min")):
    lowering_rules[_p] = _cumulative_rule(_op)


def _dot_general_lower(ctx: LoweringContext, lhs: str, rhs: str, *,
                       dimension_numbers: P.DotDims) -> list[str]:
    (lc, rc), (lb, rb) = dimension_numbers
    out = ctx.avals_out[0]
    dims = (f"#stablehlo.dot<lhs_batching_dimensions = [{', '.join(map(str, lb))}], "
            f"rhs_batching_dimensions = [{', '.join(map(str, rb))}], "
            f"lhs_contracting_dimensions = [{', '.join(map(str, lc))}], "
            f"rhs_contracting_dimensions = [{', '.join(map(str, rc))}]>")
    if out.dtype == dtypes.bool_:   # NumPy: a boolean matmul is an or of ands
        i = out.update(dtype=dtypes.int32)
        r = ctx.op1("stablehlo.dot_general", [ctx.convert(lhs, dtypes.int32),
                                              ctx.convert(rhs, dtypes.int32)], i,
                    f"dot_dimension_numbers = {dims}")
        return [compare(ctx, "NE", r, ctx.constant(0, dtypes.int32, out.shape))]
    return [ctx.op1("stablehlo.dot_general", [lhs, rhs], out, f"dot_dimension_numbers = {dims}")]


lowering_rules[P.dot_general_p] = _dot_general_lower


def _jit_lower(ctx: LoweringContext, *args: str, program: Program, name: str) -> list[str]:
    return ctx.call(program, args)


lowering_rules[P.jit_p] = _jit_lower


def eqn_program(prim: Primitive, in_avals: Sequence[ShapedArray], params: dict[str, Any],
                out_avals: Sequence[ShapedArray]) -> Program:
    """A one-equation Program: what an eager primitive call compiles."""
    from funcgrad.ir import Eqn
    invars = tuple(Var(a) for a in in_avals)
    outvars = tuple(Var(a) for a in out_avals)
    return Program((), invars, (Eqn(prim, invars, params, outvars),), outvars, prim.name)

from funcgrad.xla_backend import lowering_control  # noqa: E402,F401  (registers control-flow rules)
from funcgrad.xla_backend import lowering_indexing  # noqa: E402,F401  (gather, scatter, sort)


# ---------------------------------------------------------------------------
# autodiff primitives


def _stop_gradient_lower(ctx: LoweringContext, x: str) -> list[str]:
    return [x]


def _polygamma_lower(ctx: LoweringContext, n: str, x: str) -> list[str]:
    out = ctx.avals_out[0]
    return [ctx.op1("chlo.polygamma", [ctx.broadcast_to(n, out.shape),
                                       ctx.broadcast_to(x, out.shape)], out)]


def _call_lower(param: str) -> LoweringRule:
    def rule(ctx: LoweringContext, *args: str, **params: Any) -> list[str]:
        return ctx.call(params[param], args)
    return rule


def _checkpoint_lower(ctx: LoweringContext, *args: str, program: Program, name: str,
                      prevent_cse: bool) -> list[str]:
    floats = [a for a in args if dtypes.is_inexact(ctx.avals[a].dtype) and ctx.avals[a].size]
    if not (prevent_cse and floats and program.outvars):
        return ctx.call(program, args)
    # Keep XLA from merging a recomputation with the forward pass (which would
    # keep the forward values alive and undo the saving): run the body inside a
    # conditional on a predicate XLA cannot fold (x == x is false for NaN).
    # Both branches compute the same, so the result never depends on it. An
    # optimization_barrier alone does not survive XLA:CPU's pipeline.
    x = floats[-1]
    xa = ctx.avals[x]
    first = ctx.op1("stablehlo.slice", [x], xa.update(shape=(1,) * xa.ndim),
                    f"start_indices = {_i64s([0] * xa.ndim)}, limit_indices = "
                    f"{_i64s([1] * xa.ndim)}, strides = {_i64s([1] * xa.ndim)}")
    first = ctx.op1("stablehlo.reshape", [first], xa.update(shape=()))
    pred = compare(ctx, "EQ", first, first)
    regions = [ctx.region([], lambda: ctx.call(program, args)) for _ in range(2)]
    return ctx.op("stablehlo.if", [pred], program.out_avals, regions=regions)


def _custom_lin_lower(ctx: LoweringContext, *args: str, **params: Any) -> list[str]:
    raise TypeError("cannot apply forward-mode differentiation (jvp, jacfwd, linearize "
                    "evaluation) to a function decorated with fg.custom_vjp: it only defines "
                    "reverse mode. Use fg.grad / fg.vjp / fg.jacrev, or define the rule with "
                    "fg.custom_jvp instead.")


lowering_rules.update({
    P.stop_gradient_p: _stop_gradient_lower, P.polygamma_p: _polygamma_lower,
    P.custom_jvp_call_p: _call_lower("call"), P.custom_vjp_call_p: _call_lower("call"),
    P.checkpoint_p: _checkpoint_lower, P.custom_lin_p: _custom_lin_lower,
})
from funcgrad.xla_backend import lowering_linalg  # noqa: E402,F401  (LAPACK / cuSOLVER custom calls)
