"""Every primitive funcgrad has, each with its shape/dtype rule.

Rules take avals and keyword params and return the output aval(s); they raise
`ShapeError`/`DTypeError` naming the primitive, the operands' shapes and the
user's line. Params are hashable (tuples of ints, np.dtype, Programs).

NB: unlike JAX's lax, n-ary elementwise primitives broadcast their operands
NumPy-style. The IR stays as compact as the user's code, an eager ``x + 1`` is
one dispatch, and the price is paid once, in `unbroadcast` (transpose) and
the elementwise batching rule.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from funcgrad import dtypes
from funcgrad.core import Primitive, ShapedArray, shape_error
from funcgrad.errors import DTypeError

# ---------------------------------------------------------------------------
# helpers


def _fmt_shapes(avals: Sequence[ShapedArray]) -> str:
    return ", ".join(str(a.shape) for a in avals)


def broadcast_shapes(name: str, *shapes: tuple[int, ...]) -> tuple[int, ...]:
    if len(shapes) == 1 or all(s == shapes[0] for s in shapes):
        return shapes[0]
    ndim = max(len(s) for s in shapes)
    out = []
    for i in range(ndim):
        sizes = {s[i - ndim + len(s)] for s in shapes if i - ndim + len(s) >= 0}
        sizes.discard(1)
        if len(sizes) > 1:
            raise shape_error(name, f"operands of shapes {', '.join(map(str, shapes))} "
                                    "cannot be broadcast together")
        out.append(sizes.pop() if sizes else 1)
    return tuple(out)


def _same_dtype(name: str, avals: Sequence[ShapedArray]) -> np.dtype:
    dt = avals[0].dtype
    for a in avals[1:]:
        if a.dtype != dt:
            raise DTypeError(f"{name}: operands must have one dtype, got "
                             f"{', '.join(str(a.dtype) for a in avals)}. funcgrad.numpy "
                             "promotes for you; when binding primitives directly, convert first.")
    return dt


_KINDS = {
    "any": lambda d: True,
    "num": lambda d: d != dtypes.bool_,
    "inexact": dtypes.is_inexact,
    "float": dtypes.is_float,
    "int": dtypes.is_integer,
    "intbool": lambda d: dtypes.is_integer(d) or d == dtypes.bool_,
    "complex": dtypes.is_complex,
}
_KIND_WORDS = {"num": "numeric", "inexact": "floating or complex", "float": "real floating",
               "int": "integer", "intbool": "integer or boolean", "complex": "complex"}


def _check_kind(name: str, dt: np.dtype, kind: str) -> None:
    if not _KINDS[kind](dt):
        raise DTypeError(f"{name} needs a {_KIND_WORDS[kind]} operand, got {dt}")


def elementwise(name: str, nargs: int, kind: str = "any", out: str = "same") -> Primitive:
    """An n-ary elementwise primitive over one dtype with NumPy broadcasting.

    `out` is "same" (the operand dtype), "bool" (comparisons) or "real" (the
    real dtype of a complex operand: abs, real, imag).
    """
    prim = Primitive(name)

    def rule(*avals: ShapedArray) -> ShapedArray:
        if len(avals) != nargs:
            raise TypeError(f"{name} takes {nargs} operand(s), got {len(avals)}")
        dt = _same_dtype(name, avals)
        _check_kind(name, dt, kind)
        shape = broadcast_shapes(name, *(a.shape for a in avals))
        weak = all(a.weak_type for a in avals)
        if out == "bool":
            return ShapedArray(shape, dtypes.bool_, False)
        if out == "real":
            return ShapedArray(shape, dtypes.real_dtype(dt), weak)
        return ShapedArray(shape, dt, weak)

    prim.def_abstract_eval(rule)
    return prim


# ---------------------------------------------------------------------------
# elementwise

neg_p = elementwise("neg", 1, "num")
sign_p = elementwise("sign", 1, "num")
floor_p = elementwise("floor", 1, "float")
ceil_p = elementwise("ceil", 1, "float")
round_p = elementwise("round", 1, "float")          # half to even, like NumPy
is_finite_p = elementwise("is_finite", 1, "float", out="bool")
exp_p = elementwise("exp", 1, "inexact")
exp2_p = elementwise("exp2", 1, "inexact")
log_p = elementwise("log", 1, "inexact")
expm1_p = elementwise("expm1", 1, "inexact")
log1p_p = elementwise("log1p", 1, "inexact")
sin_p = elementwise("sin", 1, "inexact")
cos_p = elementwise("cos", 1, "inexact")
tan_p = elementwise("tan", 1, "inexact")
asin_p = elementwise("asin", 1, "inexact")
acos_p = elementwise("acos", 1, "inexact")
atan_p = elementwise("atan", 1, "inexact")
sinh_p = elementwise("sinh", 1, "inexact")
cosh_p = elementwise("cosh", 1, "inexact")
tanh_p = elementwise("tanh", 1, "inexact")
asinh_p = elementwise("asinh", 1, "inexact")
acosh_p = elementwise("acosh", 1, "inexact")
atanh_p = elementwise("atanh", 1, "inexact")
logistic_p = elementwise("logistic", 1, "inexact")
sqrt_p = elementwise("sqrt", 1, "inexact")
rsqrt_p = elementwise("rsqrt", 1, "inexact")
cbrt_p = elementwise("cbrt", 1, "float")
erf_p = elementwise("erf", 1, "float")
erfc_p = elementwise("erfc", 1, "float")
erf_inv_p = elementwise("erf_inv", 1, "float")
lgamma_p = elementwise("lgamma", 1, "float")
digamma_p = elementwise("digamma", 1, "float")
abs_p = elementwise("abs", 1, "num", out="real")
real_p = elementwise("real", 1, "complex", out="real")
imag_p = elementwise("imag", 1, "complex", out="real")
conj_p = elementwise("conj", 1, "complex")
not_p = elementwise("not", 1, "intbool")
population_count_p = elementwise("population_count", 1, "int")

add_p = elementwise("add", 2, "any")
sub_p = elementwise("sub", 2, "num")
mul_p = elementwise("mul", 2, "any")
div_p = elementwise("div", 2, "num")
rem_p = elementwise("rem", 2, "num")
pow_p = elementwise("pow", 2, "num")
max_p = elementwise("max", 2, "any")
min_p = elementwise("min", 2, "any")
atan2_p = elementwise("atan2", 2, "float")
nextafter_p = elementwise("nextafter", 2, "float")
and_p = elementwise("and", 2, "intbool")
or_p = elementwise("or", 2, "intbool")
xor_p = elementwise("xor", 2, "intbool")
shift_left_p = elementwise("shift_left", 2, "int")
shift_right_arithmetic_p = elementwise("shift_right_arithmetic", 2, "int")
shift_right_logical_p = elementwise("shift_right_logical", 2, "int")
eq_p = elementwise("eq", 2, "any", out="bool")
ne_p = elementwise("ne", 2, "any", out="bool")
lt_p = elementwise("lt", 2, "any", out="bool")
le_p = elementwise("le", 2, "any", out="bool")
gt_p = elementwise("gt", 2, "any", out="bool")
ge_p = elementwise("ge", 2, "any", out="bool")

UNARY = (neg_p, sign_p, floor_p, ceil_p, round_p, is_finite_p, exp_p, exp2_p, log_p, expm1_p,
         log1p_p, sin_p, cos_p, tan_p, asin_p, acos_p, atan_p, sinh_p, cosh_p, tanh_p, asinh_p,
         acosh_p, atanh_p, logistic_p, sqrt_p, rsqrt_p, cbrt_p, erf_p, erfc_p, erf_inv_p,
         lgamma_p, digamma_p, abs_p, real_p, imag_p, conj_p, not_p, population_count_p)
BINARY = (add_p, sub_p, mul_p, div_p, rem_p, pow_p, max_p, min_p, atan2_p, nextafter_p, and_p,
          or_p, xor_p, shift_left_p, shift_right_arithmetic_p, shift_right_logical_p,
          eq_p, ne_p, lt_p, le_p, gt_p, ge_p)
COMPARISONS = (eq_p, ne_p, lt_p, le_p, gt_p, ge_p)

# integer_pow: x ** y for a static Python int y (keeps x's dtype; exact for ints).
integer_pow_p = Primitive("integer_pow")


@integer_pow_p.def_abstract_eval
def _integer_pow_rule(x: ShapedArray, *, y: int) -> ShapedArray:
    _check_kind("integer_pow", x.dtype, "num")
    if y < 0 and dtypes.is_integer(x.dtype):
        raise DTypeError("integer_pow: integers cannot be raised to negative powers")
    return x


# complex(re, im): builds a complex array from two real ones.
complex_p = Primitive("complex")


@complex_p.def_abstract_eval
def _complex_rule(re: ShapedArray, im: ShapedArray) -> ShapedArray:
    dt = _same_dtype("complex", (re, im))
    if dt not in (dtypes.float32, dtypes.float64):
        raise DTypeError(f"complex needs float32 or float64 parts, got {dt}")
    shape = broadcast_shapes("complex", re.shape, im.shape)
    return ShapedArray(shape, dtypes.complex64 if dt == dtypes.float32 else dtypes.complex128)


# select_n(which, *cases): cases[which]; `which` is bool (2 cases) or int32.
select_n_p = Primitive("select_n")


@select_n_p.def_abstract_eval
def _select_n_rule(which: ShapedArray, *cases: ShapedArray) -> ShapedArray:
    if not cases:
        raise TypeError("select_n needs at least one case")
    if which.dtype == dtypes.bool_:
        if len(cases) > 2:
            raise DTypeError("select_n: a boolean selector picks between at most 2 cases")
    elif which.dtype != dtypes.int32:
        raise DTypeError(f"select_n: the selector must be bool or int32, got {which.dtype}")
    dt = _same_dtype("select_n", cases)
    shape = broadcast_shapes("select_n", which.shape, *(c.shape for c in cases))
    return ShapedArray(shape, dt, all(c.weak_type for c in cases))


convert_element_type_p = Primitive("convert_element_type")


@convert_element_type_p.def_abstract_eval
def _convert_rule(x: ShapedArray, *, new_dtype: np.dtype, weak_type: bool) -> ShapedArray:
    return ShapedArray(x.shape, dtypes.canonicalize(new_dtype), weak_type)


# ---------------------------------------------------------------------------
# shape manipulation


def _check_axes(name: str, axes: Sequence[int], ndim: int, what: str = "axis") -> None:
    for a in axes:
        if not 0 <= a < ndim:
            raise shape_error(name, f"{what} {a} is out of range for an operand of rank {ndim}")
    if len(set(axes)) != len(axes):
        raise shape_error(name, f"repeated {what} in {tuple(axes)}")


broadcast_in_dim_p = Primitive("broadcast_in_dim")


@broadcast_in_dim_p.def_abstract_eval
def _broadcast_in_dim_rule(x: ShapedArray, *, shape: tuple[int, ...],
                           broadcast_dimensions: tuple[int, ...]) -> ShapedArray:
    if len(broadcast_dimensions) != x.ndim:
        raise shape_error("broadcast_in_dim", f"operand of shape {x.shape} needs {x.ndim} "
                          f"broadcast_dimensions, got {broadcast_dimensions}")
    _check_axes("broadcast_in_dim", broadcast_dimensions, len(shape), "broadcast dimension")
    if list(broadcast_dimensions) != sorted(broadcast_dimensions):
        raise shape_error("broadcast_in_dim", f"broadcast_dimensions {broadcast_dimensions} "
                          "must be increasing")
    for d, b in zip(x.shape, broadcast_dimensions, strict=True):
        if d != 1 and d != shape[b]:
            raise shape_error("broadcast_in_dim", f"cannot broadcast operand of shape {x.shape} "
                              f"to {shape} along dimensions {broadcast_dimensions}")
    return ShapedArray(tuple(shape), x.dtype, x.weak_type)


reshape_p = Primitive("reshape")


@reshape_p.def_abstract_eval
def _reshape_rule(x: ShapedArray, *, new_sizes: tuple[int, ...]) -> ShapedArray:
    if any(d < 0 for d in new_sizes) or int(np.prod(new_sizes, dtype=np.int64)) != x.size:
        raise shape_error("reshape", f"cannot reshape an array of shape {x.shape} "
                          f"(size {x.size}) into shape {new_sizes}")
    return ShapedArray(tuple(new_sizes), x.dtype, x.weak_type)


transpose_p = Primitive("transpose")


@transpose_p.def_abstract_eval
def _transpose_rule(x: ShapedArray, *, permutation: tuple[int, ...]) -> ShapedArray:
    if sorted(permutation) != list(range(x.ndim)):
        raise shape_error("transpose", f"permutation {permutation} is not a permutation of the "
                          f"axes of an array of shape {x.shape}")
    return ShapedArray(tuple(x.shape[p] for p in permutation), x.dtype, x.weak_type)


squeeze_p = Primitive("squeeze")


@squeeze_p.def_abstract_eval
def _squeeze_rule(x: ShapedArray, *, dimensions: tuple[int, ...]) -> ShapedArray:
    _check_axes("squeeze", dimensions, x.ndim)
    for d in dimensions:
        if x.shape[d] != 1:
            raise shape_error("squeeze", f"cannot squeeze axis {d} of shape {x.shape}: "
                              "its size is not 1")
    shape = tuple(s for i, s in enumerate(x.shape) if i not in dimensions)
    return ShapedArray(shape, x.dtype, x.weak_type)


expand_dims_p = Primitive("expand_dims")


@expand_dims_p.def_abstract_eval
def _expand_dims_rule(x: ShapedArray, *, dimensions: tuple[int, ...]) -> ShapedArray:
    out_ndim = x.ndim + len(dimensions)
    _check_axes("expand_dims", dimensions, out_ndim)
    it = iter(x.shape)
    shape = tuple(1 if i in dimensions else next(it) for i in range(out_ndim))
    return ShapedArray(shape, x.dtype, x.weak_type)


rev_p = Primitive("rev")


@rev_p.def_abstract_eval
def _rev_rule(x: ShapedArray, *, dimensions: tuple[int, ...]) -> ShapedArray:
    _check_axes("rev", dimensions, x.ndim)
    return x


slice_p = Primitive("slice")


@slice_p.def_abstract_eval
def _slice_rule(x: ShapedArray, *, start_indices: tuple[int, ...], limit_indices: tuple[int, ...],
                strides: tuple[int, ...]) -> ShapedArray:
    if not (len(start_indices) == len(limit_indices) == len(strides) == x.ndim):
        raise shape_error("slice", f"start/limit/strides must each have {x.ndim} entries "
                          f"for shape {x.shape}")
    shape = []
    for lo, hi, st, d in zip(start_indices, limit_indices, strides, x.shape, strict=True):
        if not (0 <= lo <= hi <= d) or st < 1:
            raise shape_error("slice", f"slice {start_indices}:{limit_indices}:{strides} is out "
                              f"of bounds for shape {x.shape}")
        shape.append(0 if hi == lo else (hi - lo - 1) // st + 1)
    return ShapedArray(tuple(shape), x.dtype, x.weak_type)


def _check_indices(name: str, idx: Sequence[ShapedArray], ndim: int) -> None:
    if len(idx) != ndim:
        raise shape_error(name, f"needs {ndim} start indices, got {len(idx)}")
    for i in idx:
        if i.shape != () or not dtypes.is_integer(i.dtype):
            raise DTypeError(f"{name}: start indices must be integer scalars, got "
                             f"{i.str_short()}")


dynamic_slice_p = Primitive("dynamic_slice")


@dynamic_slice_p.def_abstract_eval
def _dynamic_slice_rule(x: ShapedArray, *idx: ShapedArray,
                        slice_sizes: tuple[int, ...]) -> ShapedArray:
    _check_indices("dynamic_slice", idx, x.ndim)
    if len(slice_sizes) != x.ndim or any(not 0 <= s <= d for s, d in
                                         zip(slice_sizes, x.shape, strict=True)):
        raise shape_error("dynamic_slice", f"slice_sizes {slice_sizes} do not fit in shape "
                          f"{x.shape}")
    return ShapedArray(tuple(slice_sizes), x.dtype, x.weak_type)


dynamic_update_slice_p = Primitive("dynamic_update_slice")


@dynamic_update_slice_p.def_abstract_eval
def _dynamic_update_slice_rule(x: ShapedArray, update: ShapedArray,
                               *idx: ShapedArray) -> ShapedArray:
    _check_indices("dynamic_update_slice", idx, x.ndim)
    if update.ndim != x.ndim or any(u > d for u, d in zip(update.shape, x.shape, strict=True)):
        raise shape_error("dynamic_update_slice", f"update of shape {update.shape} does not fit "
                          f"in operand of shape {x.shape}")
    _same_dtype("dynamic_update_slice", (x, update))
    return x.strong() if not update.weak_type else x


concatenate_p = Primitive("concatenate")


@concatenate_p.def_abstract_eval
def _concatenate_rule(*xs: ShapedArray, dimension: int) -> ShapedArray:
    if not xs:
        raise shape_error("concatenate", "needs at least one operand")
    dt = _same_dtype("concatenate", xs)
    nd = xs[0].ndim
    if not 0 <= dimension < max(nd, 1) or nd == 0:
        raise shape_error("concatenate", f"axis {dimension} out of range for operands of "
                          f"shapes {_fmt_shapes(xs)}")
    for x in xs:
        if x.ndim != nd or any(a != b for i, (a, b) in enumerate(zip(x.shape, xs[0].shape,
                                                                     strict=True))
                               if i != dimension):
            raise shape_error("concatenate", f"operands of shapes {_fmt_shapes(xs)} differ "
                              f"outside axis {dimension}")
    shape = list(xs[0].shape)
    shape[dimension] = sum(x.shape[dimension] for x in xs)
    return ShapedArray(tuple(shape), dt, all(x.weak_type for x in xs))


pad_p = Primitive("pad")


@pad_p.def_abstract_eval
def _pad_rule(x: ShapedArray, padding_value: ShapedArray, *,
              padding_config: tuple[tuple[int, int, int], ...]) -> ShapedArray:
    _same_dtype("pad", (x, padding_value))
    if padding_value.shape != ():
        raise shape_error("pad", "padding_value must be a scalar")
    if len(padding_config) != x.ndim:
        raise shape_error("pad", f"padding_config needs {x.ndim} (lo, hi, interior) triples")
    shape = []
    for d, (lo, hi, interior) in zip(x.shape, padding_config, strict=True):
        if interior < 0:
            raise shape_error("pad", "interior padding must be non-negative")
        n = lo + hi + d + max(d - 1, 0) * interior
        if n < 0:
            raise shape_error("pad", f"padding {padding_config} leaves a negative size "
                              f"for shape {x.shape}")
        shape.append(n)
    return ShapedArray(tuple(shape), x.dtype, x.weak_type)


iota_p = Primitive("iota")


@iota_p.def_abstract_eval
def _iota_rule(*, dtype: np.dtype, shape: tuple[int, ...], dimension: int) -> ShapedArray:
    _check_axes("iota", (dimension,), len(shape), "dimension")
    return ShapedArray(tuple(shape), dtypes.canonicalize(dtype), False)


# ---------------------------------------------------------------------------
# reductions


def _reduction(name: str, kind: str) -> Primitive:
    prim = Primitive(name)

    def rule(x: ShapedArray, *, axes: tuple[int, ...]) -> ShapedArray:
        _check_kind(name, x.dtype, kind)
        _check_axes(name, axes, x.ndim)
        shape = tuple(d for i, d in enumerate(x.shape) if i not in axes)
        return ShapedArray(shape, x.dtype, x.weak_type)

    prim.def_abstract_eval(rule)
    return prim


reduce_sum_p = _reduction("reduce_sum", "any")
reduce_prod_p = _reduction("reduce_prod", "any")
reduce_max_p = _reduction("reduce_max", "any")
reduce_min_p = _reduction("reduce_min", "any")
reduce_and_p = _reduction("reduce_and", "intbool")
reduce_or_p = _reduction("reduce_or", "intbool")
REDUCTIONS = (reduce_sum_p, reduce_prod_p, reduce_max_p, reduce_min_p, reduce_and_p, reduce_or_p)


def _arg_reduction(name: str) -> Primitive:
    prim = Primitive(name)

    def rule(x: ShapedArray, *, axis: int, index_dtype: np.dtype) -> ShapedArray:
        _check_axes(name, (axis,), x.ndim)
        if x.shape[axis] == 0:
            raise shape_error(name, f"attempt to get {name} of an empty axis {axis} "
                              f"(shape {x.shape})")
        shape = tuple(d for i, d in enumerate(x.shape) if i != axis)
        return ShapedArray(shape, dtypes.canonicalize(index_dtype), False)

    prim.def_abstract_eval(rule)
    return prim


argmax_p = _arg_reduction("argmax")
argmin_p = _arg_reduction("argmin")


def _cumulative(name: str) -> Primitive:
    prim = Primitive(name)

    def rule(x: ShapedArray, *, axis: int, reverse: bool) -> ShapedArray:
        _check_axes(name, (axis,), x.ndim)
        return x

    prim.def_abstract_eval(rule)
    return prim


cumsum_p = _cumulative("cumsum")
cumprod_p = _cumulative("cumprod")
cummax_p = _cumulative("cummax")
cummin_p = _cumulative("cummin")
CUMULATIVE = (cumsum_p, cumprod_p, cummax_p, cummin_p)


# ---------------------------------------------------------------------------
# contraction

dot_general_p = Primitive("dot_general")

DotDims = tuple[tuple[tuple[int, ...], tuple[int, ...]], tuple[tuple[int, ...], tuple[int, ...]]]


@dot_general_p.def_abstract_eval
def _dot_general_rule(lhs: ShapedArray, rhs: ShapedArray, *,
                      dimension_numbers: DotDims) -> ShapedArray:
    (lc, rc), (lb, rb) = dimension_numbers
    dt = _same_dtype("dot_general", (lhs, rhs))
    _check_axes("dot_general", (*lc, *lb), lhs.ndim, "lhs dimension")
    _check_axes("dot_general", (*rc, *rb), rhs.ndim, "rhs dimension")
    if len(lc) != len(rc) or len(lb) != len(rb):
        raise shape_error("dot_general", "lhs and rhs need as many contracting and batch "
                          "dimensions as each other")
    for a, b in zip((*lc, *lb), (*rc, *rb), strict=True):
        if lhs.shape[a] != rhs.shape[b]:
            raise shape_error("dot_general", f"shapes {lhs.shape} and {rhs.shape} do not "
                              f"match along lhs axis {a} and rhs axis {b} "
                              f"({lhs.shape[a]} != {rhs.shape[b]})")
    batch = tuple(lhs.shape[i] for i in lb)
    lfree = tuple(d for i, d in enumerate(lhs.shape) if i not in lc and i not in lb)
    rfree = tuple(d for i, d in enumerate(rhs.shape) if i not in rc and i not in rb)
    return ShapedArray(batch + lfree + rfree, dt, lhs.weak_type and rhs.weak_type)


# ---------------------------------------------------------------------------
# call: jit as a primitive carrying its Program (decision 6)

jit_p = Primitive("jit", multiple_results=True)


@jit_p.def_abstract_eval
def _jit_rule(*avals: ShapedArray, program: Any, name: str) -> list[ShapedArray]:
    want = program.in_avals
    if [a.strong() for a in avals] != [a.strong() for a in want]:
        raise TypeError(f"jit call {name}: operands {[a.str_short() for a in avals]} do not "
                        f"match the program's inputs {[a.str_short() for a in want]}")
    return program.out_avals


def all_primitives() -> list[Primitive]:
    """Every primitive defined here, once each (module globals may alias one)."""
    return list({id(v): v for v in globals().values() if isinstance(v, Primitive)}.values())


# ---------------------------------------------------------------------------
# structured control flow: cond, while, scan (decision 6: sub-Programs in params)
#
# Each sub-Program has no constvars: what a body closed over is an explicit
# leading operand. Avals are compared without weak types (a weak carry that a
# body makes strong is re-staged strong by funcgrad.control_flow), and results
# are weak only where every contributing side is weak.


def _avals_str(avals: Sequence[ShapedArray]) -> str:
    return "(" + ", ".join(a.str_short() for a in avals) + ")"


def _same_strong(a: Sequence[ShapedArray], b: Sequence[ShapedArray]) -> bool:
    return len(a) == len(b) and all(x.strong() == y.strong() for x, y in zip(a, b, strict=True))


def _join_weak(avals: Sequence[ShapedArray], *others: Sequence[ShapedArray]) -> list[ShapedArray]:
    return [a.update(weak_type=all(o[i].weak_type for o in (avals, *others)))
            for i, a in enumerate(avals)]


cond_p = Primitive("cond", multiple_results=True)


@cond_p.def_abstract_eval
def _cond_rule(index: ShapedArray, *ops: ShapedArray,
               branches: tuple[Any, ...]) -> list[ShapedArray]:
    """``cond index *ops``: runs ``branches[index]`` on ops. A bool index picks
    branches[1] when True (two branches); an int32 index is clamped to range."""
    if not branches:
        raise shape_error("cond", "needs at least one branch")
    if index.shape != ():
        raise shape_error("cond", f"the index must be a scalar, got {index.str_short()}")
    if index.dtype == dtypes.bool_:
        if len(branches) != 2:
            raise shape_error("cond", f"a boolean index needs 2 branches, got {len(branches)}")
    elif index.dtype != dtypes.int32:
        raise DTypeError(f"cond: the index must be bool or int32, got {index.str_short()}")
    for i, b in enumerate(branches):
        if not _same_strong(b.in_avals, ops):
            raise TypeError(f"cond: branch {i} takes {_avals_str(b.in_avals)} but the operands "
                            f"are {_avals_str(ops)}")
    outs = branches[0].out_avals
    for i, b in enumerate(branches[1:], start=1):
        if not _same_strong(b.out_avals, outs):
            raise TypeError(f"cond: branch {i} returns {_avals_str(b.out_avals)} but branch 0 "
                            f"returns {_avals_str(outs)}")
    return _join_weak(outs, *(b.out_avals for b in branches[1:]))


while_p = Primitive("while", multiple_results=True)


@while_p.def_abstract_eval
def _while_rule(*args: ShapedArray, cond_program: Any, body_program: Any, cond_nconsts: int,
                body_nconsts: int) -> list[ShapedArray]:
    """``while *cond_consts *body_consts *init``: carry = body(carry) while cond(carry)."""
    cconsts = args[:cond_nconsts]
    bconsts = args[cond_nconsts:cond_nconsts + body_nconsts]
    carry = args[cond_nconsts + body_nconsts:]
    if not _same_strong(cond_program.in_avals, (*cconsts, *carry)):
        raise TypeError(f"while: cond_program takes {_avals_str(cond_program.in_avals)} but gets "
                        f"{_avals_str((*cconsts, *carry))}")
    pred = cond_program.out_avals
    if len(pred) != 1 or pred[0].shape != () or pred[0].dtype != dtypes.bool_:
        raise TypeError(f"while: cond_program must return one bool scalar, got {_avals_str(pred)}")
    if not _same_strong(body_program.in_avals, (*bconsts, *carry)):
        raise TypeError(f"while: body_program takes {_avals_str(body_program.in_avals)} but gets "
                        f"{_avals_str((*bconsts, *carry))}")
    if not _same_strong(body_program.out_avals, carry):
        raise TypeError(f"while: body_program returns {_avals_str(body_program.out_avals)} but the "
                        f"carry is {_avals_str(carry)}")
    return _join_weak(list(carry), body_program.out_avals)


scan_p = Primitive("scan", multiple_results=True)


@scan_p.def_abstract_eval
def _scan_rule(*args: ShapedArray, body: Any, num_consts: int, num_carry: int, length: int,
               reverse: bool, unroll: int) -> list[ShapedArray]:
    """``scan *consts *init *xs``: ``carry, y = body(*consts, *carry, *x[i])`` for each i
    (from the end when `reverse`); returns the final carry and the stacked ys."""
    consts = args[:num_consts]
    carry = args[num_consts:num_consts + num_carry]
    xs = args[num_consts + num_carry:]
    if length < 0 or unroll < 1:
        raise shape_error("scan", f"needs length >= 0 and unroll >= 1, got {length}, {unroll}")
    for x in xs:
        if x.ndim == 0 or x.shape[0] != length:
            raise shape_error("scan", f"scanned operand {x.str_short()} must have a leading "
                              f"axis of length {length}")
    x_avals = [x.update(shape=x.shape[1:]) for x in xs]
    if not _same_strong(body.in_avals, (*consts, *carry, *x_avals)):
        raise TypeError(f"scan: body takes {_avals_str(body.in_avals)} but gets "
                        f"{_avals_str((*consts, *carry, *x_avals))}")
    outs = body.out_avals
    if not _same_strong(outs[:num_carry], carry):
        raise TypeError(f"scan: body returns the carry {_avals_str(outs[:num_carry])} but the "
                        f"carry is {_avals_str(carry)}")
    ys = [y.update(shape=(length, *y.shape)) for y in outs[num_carry:]]
    return [*_join_weak(list(carry), outs[:num_carry]), *ys]


# ---------------------------------------------------------------------------
# indexing: gather and scatter (modelled on stablehlo.gather / stablehlo.scatter)
#
# The index vector is always the LAST dimension of `indices`. Dimension numbers
# are NamedTuples of int tuples, so they are hashable params. `mode` says what
# out-of-bounds indices do: "clip" (clamp so the slice fits), "fill" (gather:
# the result is `fill_value`), "drop" (scatter: the update is skipped) or
# "promise_in_bounds" (the caller guarantees they are in bounds).

from typing import NamedTuple  # noqa: E402  (this section is appended to the module)


class GatherDimensionNumbers(NamedTuple):
    offset_dims: tuple[int, ...]            # output dims that hold the slice's kept dims
    collapsed_slice_dims: tuple[int, ...]   # operand dims whose size-1 slice is dropped
    start_index_map: tuple[int, ...]        # operand dim of each index-vector component
    operand_batching_dims: tuple[int, ...] = ()
    start_indices_batching_dims: tuple[int, ...] = ()


class ScatterDimensionNumbers(NamedTuple):
    update_window_dims: tuple[int, ...]
    inserted_window_dims: tuple[int, ...]
    scatter_dims_to_operand_dims: tuple[int, ...]
    operand_batching_dims: tuple[int, ...] = ()
    scatter_indices_batching_dims: tuple[int, ...] = ()


GATHER_MODES = ("clip", "fill", "promise_in_bounds")
SCATTER_MODES = ("clip", "drop", "promise_in_bounds")


def default_fill_value(dtype: np.dtype) -> Any:
    """What gather's "fill" mode returns out of bounds when no fill_value is given
    (JAX's choice): NaN for inexact dtypes, the smallest signed / largest unsigned
    integer, True for booleans -- values that stand out rather than pass for data."""
    dtype = np.dtype(dtype)
    if dtypes.is_inexact(dtype):
        return np.nan
    if dtype == dtypes.bool_:
        return True
    info = np.iinfo(dtype)
    return int(info.min) if dtype.kind == "i" else int(info.max)


def _check_index_operand(name: str, indices: ShapedArray) -> None:
    if not dtypes.is_integer(indices.dtype):
        raise DTypeError(f"{name}: indices must be integers, got {indices.str_short()}")
    if indices.ndim == 0:
        raise shape_error(name, "indices need at least one dimension (the index vector is "
                                "their last dimension)")


gather_p = Primitive("gather")


@gather_p.def_abstract_eval
def _gather_rule(operand: ShapedArray, indices: ShapedArray, *,
                 dimension_numbers: GatherDimensionNumbers, slice_sizes: tuple[int, ...],
                 mode: str, fill_value: Any) -> ShapedArray:
    dn = dimension_numbers
    _check_index_operand("gather", indices)
    if mode not in GATHER_MODES:
        raise ValueError(f"gather: mode must be one of {GATHER_MODES}, got {mode!r}")
    if len(slice_sizes) != operand.ndim:
        raise shape_error("gather", f"slice_sizes {slice_sizes} needs one entry per dimension "
                                    f"of the operand {operand.shape}")
    for s, d in zip(slice_sizes, operand.shape, strict=True):
        if not 0 <= s <= d:
            raise shape_error("gather", f"slice_sizes {slice_sizes} do not fit in operand "
                                        f"shape {operand.shape}")
    _check_axes("gather", (*dn.collapsed_slice_dims, *dn.operand_batching_dims), operand.ndim)
    for d in (*dn.collapsed_slice_dims, *dn.operand_batching_dims):
        if slice_sizes[d] > 1:
            raise shape_error("gather", f"collapsed/batching operand dim {d} needs slice size "
                                        f"<= 1, got {slice_sizes[d]}")
    if len(dn.start_index_map) != indices.shape[-1]:
        raise shape_error("gather", f"start_index_map {dn.start_index_map} must have one entry "
                                    f"per index-vector component ({indices.shape[-1]})")
    _check_axes("gather", dn.start_index_map, operand.ndim, "start_index_map entry")
    batch_shape = indices.shape[:-1]
    _check_axes("gather", dn.start_indices_batching_dims, len(batch_shape),
                "start_indices batching dim")
    if len(dn.operand_batching_dims) != len(dn.start_indices_batching_dims):
        raise shape_error("gather", "operand_batching_dims and start_indices_batching_dims "
                                    "must have the same length")
    for od, idim in zip(dn.operand_batching_dims, dn.start_indices_batching_dims, strict=True):
        if operand.shape[od] != batch_shape[idim]:
            raise shape_error("gather", f"batching dims differ in size: operand {operand.shape} "
                                        f"dim {od} vs indices {indices.shape} dim {idim}")
    kept = [s for d, s in enumerate(slice_sizes)
            if d not in dn.collapsed_slice_dims and d not in dn.operand_batching_dims]
    out_ndim = len(batch_shape) + len(kept)
    if len(dn.offset_dims) != len(kept) or list(dn.offset_dims) != sorted(set(dn.offset_dims)):
        raise shape_error("gather", f"offset_dims {dn.offset_dims} must be increasing with one "
                                    f"entry per kept slice dimension ({len(kept)})")
    _check_axes("gather", dn.offset_dims, out_ndim, "offset dim")
    it_kept, it_batch = iter(kept), iter(batch_shape)
    shape = tuple(next(it_kept) if i in dn.offset_dims else next(it_batch)
                  for i in range(out_ndim))
    return ShapedArray(shape, operand.dtype, operand.weak_type)


def _scatter_rule(name: str) -> Any:
    def rule(operand: ShapedArray, indices: ShapedArray, updates: ShapedArray, *,
             dimension_numbers: ScatterDimensionNumbers, indices_are_sorted: bool,
             unique_indices: bool, mode: str) -> ShapedArray:
        dn = dimension_numbers
        _check_index_operand(name, indices)
        if mode not in SCATTER_MODES:
            raise ValueError(f"{name}: mode must be one of {SCATTER_MODES}, got {mode!r}")
        _same_dtype(name, (operand, updates))
        _check_axes(name, (*dn.inserted_window_dims, *dn.operand_batching_dims), operand.ndim)
        _check_axes(name, dn.scatter_dims_to_operand_dims, operand.ndim,
                    "scatter_dims_to_operand_dims entry")
        if len(dn.scatter_dims_to_operand_dims) != indices.shape[-1]:
            raise shape_error(name, f"scatter_dims_to_operand_dims "
                                    f"{dn.scatter_dims_to_operand_dims} must have one entry per "
                                    f"index-vector component ({indices.shape[-1]})")
        window = [d for d in range(operand.ndim)
                  if d not in dn.inserted_window_dims and d not in dn.operand_batching_dims]
        if len(dn.update_window_dims) != len(window):
            raise shape_error(name, f"update_window_dims {dn.update_window_dims} needs one "
                                    f"entry per operand window dim ({len(window)})")
        _check_axes(name, dn.update_window_dims, updates.ndim, "update window dim")
        scatter_dims = [i for i in range(updates.ndim) if i not in dn.update_window_dims]
        batch_shape = indices.shape[:-1]
        if tuple(updates.shape[i] for i in scatter_dims) != batch_shape:
            raise shape_error(name, f"updates of shape {updates.shape} do not match indices of "
                                    f"shape {indices.shape} (scatter dims {tuple(scatter_dims)})")
        for u, d in zip(dn.update_window_dims, window, strict=True):
            if updates.shape[u] > operand.shape[d]:
                raise shape_error(name, f"update window of shape {updates.shape} does not fit "
                                        f"in operand of shape {operand.shape}")
        if len(dn.operand_batching_dims) != len(dn.scatter_indices_batching_dims):
            raise shape_error(name, "operand_batching_dims and scatter_indices_batching_dims "
                                    "must have the same length")
        for od, idim in zip(dn.operand_batching_dims, dn.scatter_indices_batching_dims,
                            strict=True):
            if operand.shape[od] != batch_shape[idim]:
                raise shape_error(name, f"batching dims differ in size: operand "
                                        f"{operand.shape} dim {od} vs indices {indices.shape} "
                                        f"dim {idim}")
        return operand.strong() if not updates.weak_type else operand
    return rule


scatter_p = Primitive("scatter")            # replace; the last of duplicate updates wins
scatter_add_p = Primitive("scatter_add")    # duplicates accumulate
scatter_mul_p = Primitive("scatter_mul")
scatter_min_p = Primitive("scatter_min")
scatter_max_p = Primitive("scatter_max")
SCATTERS = (scatter_p, scatter_add_p, scatter_mul_p, scatter_min_p, scatter_max_p)
for _scatter in SCATTERS:
    _scatter.def_abstract_eval(_scatter_rule(_scatter.name))
del _scatter


# ---------------------------------------------------------------------------
# autodiff: gradient barrier, user-defined derivative rules, rematerialisation

# stop_gradient(x): the identity whose tangent is always zero.
stop_gradient_p = Primitive("stop_gradient")
stop_gradient_p.def_abstract_eval(lambda x: x)

# polygamma(n, x): the n-th derivative of digamma (n a non-negative integer held
# in a float); digamma's derivative is polygamma(1, x).
polygamma_p = elementwise("polygamma", 2, "float")


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


# ---------------------------------------------------------------------------
# sorting: sort (stablehlo.sort). Sorts all operands together along `dimension`
# by the first `num_keys` of them, lexicographically, in NumPy's order (NaNs
# last); the rest follow the permutation (argsort passes an iota).

sort_p = Primitive("sort", multiple_results=True)


@sort_p.def_abstract_eval
def _sort_rule(*operands: ShapedArray, dimension: int, is_stable: bool,
               num_keys: int) -> list[ShapedArray]:
    if not operands:
        raise shape_error("sort", "needs at least one operand")
    shape = operands[0].shape
    if any(o.shape != shape for o in operands):
        raise shape_error("sort", f"operands must share a shape, got {_fmt_shapes(operands)}")
    if not 1 <= num_keys <= len(operands):
        raise shape_error("sort", f"num_keys must be between 1 and {len(operands)}, "
                                  f"got {num_keys}")
    _check_axes("sort", (dimension,), len(shape), "dimension")
    return list(operands)


# ---------------------------------------------------------------------------
# linear algebra: factorizations over the last two axes, batched over the rest.
# Lowered to LAPACK (CPU) / cuSOLVER (GPU) custom calls by xla_backend, except
# triangular_solve, which is a StableHLO op. Operands are float32/64 or
# complex64/128.


def _check_matrix(name: str, a: ShapedArray, square: bool = True) -> None:
    if a.dtype not in (dtypes.float32, dtypes.float64, dtypes.complex64, dtypes.complex128):
        raise DTypeError(f"{name} needs a float32, float64, complex64 or complex128 operand, "
                         f"got {a.dtype}")
    if a.ndim < 2:
        raise shape_error(name, f"needs an operand with at least 2 dimensions, got shape "
                                f"{a.shape}")
    if square and a.shape[-1] != a.shape[-2]:
        raise shape_error(name, f"needs square matrices in its last two dimensions, got shape "
                                f"{a.shape}")


cholesky_p = Primitive("cholesky")     # the lower Cholesky factor; NaNs where a is not PD


@cholesky_p.def_abstract_eval
def _cholesky_rule(a: ShapedArray) -> ShapedArray:
    _check_matrix("cholesky", a)
    return a.strong()


triangular_solve_p = Primitive("triangular_solve")


@triangular_solve_p.def_abstract_eval
def _triangular_solve_rule(a: ShapedArray, b: ShapedArray, *, left_side: bool, lower: bool,
                           transpose_a: bool, conjugate_a: bool,
                           unit_diagonal: bool) -> ShapedArray:
    """Solves op(a) x = b (left_side) or x op(a) = b for x; op transposes/conjugates."""
    _check_matrix("triangular_solve", a)
    _same_dtype("triangular_solve", (a, b))
    if b.ndim != a.ndim:
        raise shape_error("triangular_solve", f"a {a.shape} and b {b.shape} need the same rank")
    if a.shape[:-2] != b.shape[:-2]:
        raise shape_error("triangular_solve", f"batch dimensions of a {a.shape} and b "
                                              f"{b.shape} differ")
    m = a.shape[-1]
    if (b.shape[-2] if left_side else b.shape[-1]) != m:
        raise shape_error("triangular_solve", f"a of shape {a.shape} cannot solve b of shape "
                                              f"{b.shape} ({'left' if left_side else 'right'} "
                                              "side)")
    return b.strong()


lu_p = Primitive("lu", multiple_results=True)   # (lu, pivots int32, permutation int32)


@lu_p.def_abstract_eval
def _lu_rule(a: ShapedArray) -> list[ShapedArray]:
    _check_matrix("lu", a, square=False)
    m, n = a.shape[-2:]
    batch = a.shape[:-2]
    return [a.strong(), ShapedArray((*batch, min(m, n)), dtypes.int32),
            ShapedArray((*batch, m), dtypes.int32)]


eigh_p = Primitive("eigh", multiple_results=True)   # (eigenvectors, eigenvalues ascending)


@eigh_p.def_abstract_eval
def _eigh_rule(a: ShapedArray, *, lower: bool) -> list[ShapedArray]:
    _check_matrix("eigh", a)
    return [a.strong(), ShapedArray(a.shape[:-1], dtypes.real_dtype(a.dtype))]


svd_p = Primitive("svd", multiple_results=True)   # (s descending, u, vh) or (s,)


@svd_p.def_abstract_eval
def _svd_rule(a: ShapedArray, *, full_matrices: bool, compute_uv: bool) -> list[ShapedArray]:
    _check_matrix("svd", a, square=False)
    m, n = a.shape[-2:]
    k = min(m, n)
    batch = a.shape[:-2]
    s = ShapedArray((*batch, k), dtypes.real_dtype(a.dtype))
    if not compute_uv:
        return [s]
    u = ShapedArray((*batch, m, m if full_matrices else k), a.dtype)
    vh = ShapedArray((*batch, n if full_matrices else k, n), a.dtype)
    return [s, u, vh]


qr_p = Primitive("qr", multiple_results=True)   # (q, r)


@qr_p.def_abstract_eval
def _qr_rule(a: ShapedArray, *, full_matrices: bool) -> list[ShapedArray]:
    _check_matrix("qr", a, square=False)
    m, n = a.shape[-2:]
    k = m if full_matrices else min(m, n)
    batch = a.shape[:-2]
    return [ShapedArray((*batch, m, k), a.dtype), ShapedArray((*batch, k, n), a.dtype)]


# ---------------------------------------------------------------------------
# fft (stablehlo.fft) over the last len(fft_lengths) dimensions. fft_type is
# "FFT"/"IFFT" (complex -> complex), "RFFT" (real -> half spectrum) or "IRFFT"
# (half spectrum -> real); IFFT/IRFFT include the 1/n scaling.

FFT_TYPES = ("FFT", "IFFT", "RFFT", "IRFFT")
fft_p = Primitive("fft")


@fft_p.def_abstract_eval
def _fft_rule(x: ShapedArray, *, fft_type: str, fft_lengths: tuple[int, ...]) -> ShapedArray:
    if fft_type not in FFT_TYPES:
        raise ValueError(f"fft: fft_type must be one of {FFT_TYPES}, got {fft_type!r}")
    k = len(fft_lengths)
    if not 1 <= k <= 3 or x.ndim < k:
        raise shape_error("fft", f"needs 1 to 3 fft_lengths and at least that many operand "
                                 f"dims, got {fft_lengths} for shape {x.shape}")
    lead, tail = x.shape[:-k], x.shape[-k:]
    if fft_type == "RFFT":
        if x.dtype not in (dtypes.float32, dtypes.float64):
            raise DTypeError(f"fft RFFT needs a float32 or float64 operand, got {x.dtype}")
        if tail != tuple(fft_lengths):
            raise shape_error("fft", f"RFFT of lengths {fft_lengths} needs trailing dims "
                                     f"{fft_lengths}, got shape {x.shape}")
        out_dt = dtypes.complex64 if x.dtype == dtypes.float32 else dtypes.complex128
        return ShapedArray((*lead, *fft_lengths[:-1], fft_lengths[-1] // 2 + 1), out_dt)
    if x.dtype not in (dtypes.complex64, dtypes.complex128):
        raise DTypeError(f"fft {fft_type} needs a complex64 or complex128 operand, got {x.dtype}")
    if fft_type == "IRFFT":
        want = (*fft_lengths[:-1], fft_lengths[-1] // 2 + 1)
        if tail != want:
            raise shape_error("fft", f"IRFFT of lengths {fft_lengths} needs trailing dims "
                                     f"{want}, got shape {x.shape}")
        return ShapedArray((*lead, *fft_lengths), dtypes.real_dtype(x.dtype))
    if tail != tuple(fft_lengths):
        raise shape_error("fft", f"{fft_type} of lengths {fft_lengths} needs trailing dims "
                                 f"{fft_lengths}, got shape {x.shape}")
    return x.strong()
