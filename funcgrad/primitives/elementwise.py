"""Elementwise primitives: unary and binary maths, comparisons and bitwise ops,
integer_pow, complex, select_n, convert_element_type, polygamma, nextafter and
stop_gradient, with the UNARY/BINARY/COMPARISONS groupings the rule tables use.

NB: unlike JAX's lax, n-ary elementwise primitives broadcast their operands
NumPy-style. The IR stays as compact as the user's code, an eager ``x + 1`` is
one dispatch, and the price is paid once, in `unbroadcast` (transpose) and
the elementwise batching rule.
"""
from __future__ import annotations

import numpy as np

from funcgrad import dtypes
from funcgrad.core import Primitive, ShapedArray
from funcgrad.errors import DTypeError
from funcgrad.primitives._shapes import broadcast_shapes, check_kind, same_dtype


def _elementwise(name: str, nargs: int, kind: str = "any", out: str = "same") -> Primitive:
    """An n-ary elementwise primitive over one dtype with NumPy broadcasting.

    `out` is "same" (the operand dtype), "bool" (comparisons) or "real" (the
    real dtype of a complex operand: abs, real, imag).
    """
    prim = Primitive(name)

    def rule(*avals: ShapedArray) -> ShapedArray:
        if len(avals) != nargs:
            raise TypeError(f"{name} takes {nargs} operand(s), got {len(avals)}")
        dt = same_dtype(name, avals)
        check_kind(name, dt, kind)
        shape = broadcast_shapes(name, *(a.shape for a in avals))
        weak = all(a.weak_type for a in avals)
        if out == "bool":
            return ShapedArray(shape, dtypes.bool_, False)
        if out == "real":
            return ShapedArray(shape, dtypes.real_dtype(dt), weak)
        return ShapedArray(shape, dt, weak)

    prim.def_abstract_eval(rule)
    return prim


neg_p = _elementwise("neg", 1, "num")
sign_p = _elementwise("sign", 1, "num")
floor_p = _elementwise("floor", 1, "float")
ceil_p = _elementwise("ceil", 1, "float")
round_p = _elementwise("round", 1, "float")          # half to even, like NumPy
is_finite_p = _elementwise("is_finite", 1, "float", out="bool")
exp_p = _elementwise("exp", 1, "inexact")
exp2_p = _elementwise("exp2", 1, "inexact")
log_p = _elementwise("log", 1, "inexact")
expm1_p = _elementwise("expm1", 1, "inexact")
log1p_p = _elementwise("log1p", 1, "inexact")
sin_p = _elementwise("sin", 1, "inexact")
cos_p = _elementwise("cos", 1, "inexact")
tan_p = _elementwise("tan", 1, "inexact")
asin_p = _elementwise("asin", 1, "inexact")
acos_p = _elementwise("acos", 1, "inexact")
atan_p = _elementwise("atan", 1, "inexact")
sinh_p = _elementwise("sinh", 1, "inexact")
cosh_p = _elementwise("cosh", 1, "inexact")
tanh_p = _elementwise("tanh", 1, "inexact")
asinh_p = _elementwise("asinh", 1, "inexact")
acosh_p = _elementwise("acosh", 1, "inexact")
atanh_p = _elementwise("atanh", 1, "inexact")
logistic_p = _elementwise("logistic", 1, "inexact")
sqrt_p = _elementwise("sqrt", 1, "inexact")
rsqrt_p = _elementwise("rsqrt", 1, "inexact")
cbrt_p = _elementwise("cbrt", 1, "float")
erf_p = _elementwise("erf", 1, "float")
erfc_p = _elementwise("erfc", 1, "float")
erf_inv_p = _elementwise("erf_inv", 1, "float")
lgamma_p = _elementwise("lgamma", 1, "float")
digamma_p = _elementwise("digamma", 1, "float")
abs_p = _elementwise("abs", 1, "num", out="real")
real_p = _elementwise("real", 1, "complex", out="real")
imag_p = _elementwise("imag", 1, "complex", out="real")
conj_p = _elementwise("conj", 1, "complex")
not_p = _elementwise("not", 1, "intbool")
population_count_p = _elementwise("population_count", 1, "int")

add_p = _elementwise("add", 2, "any")
sub_p = _elementwise("sub", 2, "num")
mul_p = _elementwise("mul", 2, "any")
div_p = _elementwise("div", 2, "num")
rem_p = _elementwise("rem", 2, "num")
pow_p = _elementwise("pow", 2, "num")
max_p = _elementwise("max", 2, "any")
min_p = _elementwise("min", 2, "any")
atan2_p = _elementwise("atan2", 2, "float")
nextafter_p = _elementwise("nextafter", 2, "float")
and_p = _elementwise("and", 2, "intbool")
or_p = _elementwise("or", 2, "intbool")
xor_p = _elementwise("xor", 2, "intbool")
shift_left_p = _elementwise("shift_left", 2, "int")
shift_right_arithmetic_p = _elementwise("shift_right_arithmetic", 2, "int")
shift_right_logical_p = _elementwise("shift_right_logical", 2, "int")
eq_p = _elementwise("eq", 2, "any", out="bool")
ne_p = _elementwise("ne", 2, "any", out="bool")
lt_p = _elementwise("lt", 2, "any", out="bool")
le_p = _elementwise("le", 2, "any", out="bool")
gt_p = _elementwise("gt", 2, "any", out="bool")
ge_p = _elementwise("ge", 2, "any", out="bool")

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
    check_kind("integer_pow", x.dtype, "num")
    if y < 0 and dtypes.is_integer(x.dtype):
        raise DTypeError("integer_pow: integers cannot be raised to negative powers")
    return x


# complex(re, im): builds a complex array from two real ones.
complex_p = Primitive("complex")


@complex_p.def_abstract_eval
def _complex_rule(re: ShapedArray, im: ShapedArray) -> ShapedArray:
    dt = same_dtype("complex", (re, im))
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
    dt = same_dtype("select_n", cases)
    shape = broadcast_shapes("select_n", which.shape, *(c.shape for c in cases))
    return ShapedArray(shape, dt, all(c.weak_type for c in cases))


convert_element_type_p = Primitive("convert_element_type")


@convert_element_type_p.def_abstract_eval
def _convert_rule(x: ShapedArray, *, new_dtype: np.dtype, weak_type: bool) -> ShapedArray:
    return ShapedArray(x.shape, dtypes.canonicalize(new_dtype), weak_type)


# stop_gradient(x): the identity whose tangent is always zero.
stop_gradient_p = Primitive("stop_gradient")
stop_gradient_p.def_abstract_eval(lambda x: x)

# polygamma(n, x): the n-th derivative of digamma (n a non-negative integer held
# in a float); digamma's derivative is polygamma(1, x).
polygamma_p = _elementwise("polygamma", 2, "float")
