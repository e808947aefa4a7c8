"""lax's elementwise functions: arithmetic, comparisons, bitwise operations,
transcendental and special functions, with JAX's names, signatures and strict
typing.

Unlike funcgrad.numpy, lax never promotes: operands must share one dtype (a
Python scalar has the default dtype of its kind, int64, float64 or complex128,
so ``lax.add(x_float32, 1.0)`` is a TypeError, as in JAX with x64 on), and
shapes must be equal up to size-1 axes, or scalars. These checks raise before
anything is computed; then each function binds its primitive.
"""
from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

import numpy as np

from funcgrad import dtypes
from funcgrad import primitives as P
from funcgrad.autodiff import stop_gradient
from funcgrad.errors import UnsupportedError
from funcgrad.ir import Literal
from funcgrad.lax.enums import AccuracyMode, RoundingMethod
from funcgrad.numpy._util import asarray_operand, aval_of

__all__ = [
    "abs", "acos", "acosh", "add", "asin", "asinh", "atan", "atan2", "atanh", "betainc",
    "bessel_i0e", "bessel_i1e", "bitcast_convert_type", "bitwise_and", "bitwise_not",
    "bitwise_or", "bitwise_xor", "broadcast_shapes", "cbrt", "ceil", "clamp", "clz", "complex",
    "conj", "cos", "cosh", "digamma", "div", "dtype", "eq", "erf", "erf_inv", "erfc", "exp",
    "exp2", "expm1", "floor", "ge", "gt", "igamma", "igamma_grad_a", "igammac", "imag",
    "is_finite", "le", "lgamma", "log", "log1p", "logistic", "lt", "max", "min", "mul",
    "mulhi", "ne", "neg", "nextafter", "polygamma", "population_count", "pow",
    "random_gamma_grad", "real", "reciprocal", "rem", "round", "rsqrt", "shift_left",
    "shift_right_arithmetic", "shift_right_logical", "sign", "sin", "sinh", "sqrt", "square",
    "stop_gradient", "sub", "tan", "tanh", "zeta",
]


# ---------------------------------------------------------------------------
# lax's typing rules


def _operands(fname: str, *xs: Any) -> list[Any]:
    """`xs` as operands of one dtype and compatible shapes (equal, or 1 on one side,
    in every axis of arrays of one rank; scalars go with anything)."""
    ops = [asarray_operand(x) for x in xs]
    avals = [aval_of(o) for o in ops]
    if len({a.dtype for a in avals}) > 1:
        raise TypeError(f"lax.{fname} requires arguments to have the same dtypes, got "
                        f"{', '.join(str(a.dtype) for a in avals)}; lax never promotes: "
                        "convert with lax.convert_element_type (funcgrad.numpy promotes)")
    _check_shapes(fname, [a.shape for a in avals])
    return ops


def _check_shapes(fname: str, shapes: Sequence[tuple[int, ...]]) -> None:
    arrays = [s for s in shapes if s]
    if len({len(s) for s in arrays}) > 1:
        raise TypeError(f"lax.{fname}: arrays must have the same number of dimensions (or be "
                        f"scalars), got shapes {', '.join(map(str, shapes))}; add axes with "
                        "lax.broadcast_in_dim or lax.expand_dims first")
    for sizes in zip(*arrays, strict=False):
        if len(set(sizes) - {1}) > 1:
            raise TypeError(f"lax.{fname} got incompatible shapes for broadcasting: "
                            f"{', '.join(map(str, shapes))}")


def _accuracy(fname: str, accuracy: Any) -> None:
    """Only XLA's default implementation exists here; asking for another raises."""
    if accuracy is not None and accuracy is not AccuracyMode.DEFAULT:
        raise UnsupportedError(f"lax.{fname}: funcgrad computes {fname} with XLA's default "
                               f"implementation only; accuracy={accuracy!r} is not supported "
                               "(pass accuracy=None)")


def _unary(prim: P.Primitive, x: Any) -> Any:
    return prim.bind(asarray_operand(x))


def _nary(prim: P.Primitive, fname: str, *xs: Any) -> Any:
    return prim.bind(*_operands(fname, *xs))


# ---------------------------------------------------------------------------
# unary maths


def neg(x: Any) -> Any:
    """-x."""
    return _unary(P.neg_p, x)


def sign(x: Any) -> Any:
    """-1, 0 or 1 by the sign of x (x / |x| for complex x).

    NB: sign(-0.0) is +0.0, as in NumPy (JAX keeps the zero's sign)."""
    return _unary(P.sign_p, x)


def floor(x: Any) -> Any:
    return _unary(P.floor_p, x)


def ceil(x: Any) -> Any:
    return _unary(P.ceil_p, x)


def round(x: Any, rounding_method: RoundingMethod | int = RoundingMethod.AWAY_FROM_ZERO) -> Any:  # noqa: A001
    """x rounded to an integer value; halfway cases away from zero (lax's default)
    or to the nearest even integer (NumPy's rule).

    >>> round(fnp.asarray([0.5, 1.5, -2.5]))                     # [1., 2., -3.]
    """
    method = RoundingMethod(rounding_method)
    x = asarray_operand(x)
    if not dtypes.is_float(aval_of(x).dtype):
        raise TypeError(f"lax.round needs a real floating-point operand, got "
                        f"{aval_of(x).dtype}; integers are already round")
    if method is RoundingMethod.TO_NEAREST_EVEN:
        return P.round_p.bind(x)
    # |x| - floor(|x|) is exact in floating point, so the halfway test is too
    mag = P.abs_p.bind(x)
    whole = P.floor_p.bind(mag)
    half_up = P.ge_p.bind(P.sub_p.bind(mag, whole), _scalar(0.5, x))
    up = P.add_p.bind(whole, _scalar(1, x))
    rounded = P.select_n_p.bind(half_up, whole, up)
    return P.select_n_p.bind(P.lt_p.bind(x, _scalar(0, x)), rounded, P.neg_p.bind(rounded))


def _scalar(value: Any, like: Any) -> Literal:
    """`value` as a weak scalar of `like`'s dtype: it broadcasts and never promotes."""
    return Literal.of(value, aval_of(like).dtype, weak_type=True)


def is_finite(x: Any) -> Any:
    return _unary(P.is_finite_p, x)


def exp(x: Any, *, accuracy: Any = None) -> Any:
    _accuracy("exp", accuracy)
    return _unary(P.exp_p, x)


def exp2(x: Any, *, accuracy: Any = None) -> Any:
    _accuracy("exp2", accuracy)
    return _unary(P.exp2_p, x)


def log(x: Any, *, accuracy: Any = None) -> Any:
    _accuracy("log", accuracy)
    return _unary(P.log_p, x)


def expm1(x: Any, *, accuracy: Any = None) -> Any:
    _accuracy("expm1", accuracy)
    return _unary(P.expm1_p, x)


def log1p(x: Any, *, accuracy: Any = None) -> Any:
    _accuracy("log1p", accuracy)
    return _unary(P.log1p_p, x)


def sin(x: Any, *, accuracy: Any = None) -> Any:
    _accuracy("sin", accuracy)
    return _unary(P.sin_p, x)


def cos(x: Any, *, accuracy: Any = None) -> Any:
    _accuracy("cos", accuracy)
    return _unary(P.cos_p, x)


def tan(x: Any, *, accuracy: Any = None) -> Any:
    _accuracy("tan", accuracy)
    return _unary(P.tan_p, x)


def tanh(x: Any, *, accuracy: Any = None) -> Any:
    _accuracy("tanh", accuracy)
    return _unary(P.tanh_p, x)


def logistic(x: Any, *, accuracy: Any = None) -> Any:
    """1 / (1 + exp(-x))."""
    _accuracy("logistic", accuracy)
    return _unary(P.logistic_p, x)


def sqrt(x: Any, *, accuracy: Any = None) -> Any:
    _accuracy("sqrt", accuracy)
    return _unary(P.sqrt_p, x)


def rsqrt(x: Any, *, accuracy: Any = None) -> Any:
    """1 / sqrt(x)."""
    _accuracy("rsqrt", accuracy)
    return _unary(P.rsqrt_p, x)


def cbrt(x: Any, *, accuracy: Any = None) -> Any:
    _accuracy("cbrt", accuracy)
    return _unary(P.cbrt_p, x)


def asin(x: Any) -> Any:
    return _unary(P.asin_p, x)


def acos(x: Any) -> Any:
    return _unary(P.acos_p, x)


def atan(x: Any) -> Any:
    return _unary(P.atan_p, x)


def sinh(x: Any) -> Any:
    return _unary(P.sinh_p, x)


def cosh(x: Any) -> Any:
    return _unary(P.cosh_p, x)


def asinh(x: Any) -> Any:
    return _unary(P.asinh_p, x)


def acosh(x: Any) -> Any:
    return _unary(P.acosh_p, x)


def atanh(x: Any) -> Any:
    return _unary(P.atanh_p, x)


def abs(x: Any) -> Any:  # noqa: A001
    """|x|; real for complex x."""
    return _unary(P.abs_p, x)


def square(x: Any) -> Any:
    """x * x."""
    return _unary(P.square_p, x)


def reciprocal(x: Any) -> Any:
    """1 / x, for inexact x (an integer reciprocal is a TypeError, as in JAX)."""
    x = asarray_operand(x)
    if not dtypes.is_inexact(aval_of(x).dtype):
        raise TypeError(f"lax.reciprocal needs a floating-point or complex operand, got "
                        f"{aval_of(x).dtype}: integers cannot be raised to negative powers")
    return P.integer_pow_p.bind(x, y=-1)


def real(x: Any) -> Any:
    """The real part of complex x (a TypeError for real x, as in JAX)."""
    return _unary(P.real_p, x)


def imag(x: Any) -> Any:
    """The imaginary part of complex x (a TypeError for real x, as in JAX)."""
    return _unary(P.imag_p, x)


def conj(x: Any) -> Any:
    """The complex conjugate; a float32/float64 operand gives a complex64/complex128
    result (its own conjugate), as in JAX."""
    x = asarray_operand(x)
    dt = aval_of(x).dtype
    if dt in (dtypes.float32, dtypes.float64):
        return P.complex_p.bind(x, _scalar(0, x))
    if not dtypes.is_complex(dt):
        raise TypeError(f"lax.conj needs a float32, float64 or complex operand, got {dt}")
    return P.conj_p.bind(x)


def population_count(x: Any) -> Any:
    """The number of set bits of each (two's complement) integer."""
    return _unary(P.population_count_p, x)


def clz(x: Any) -> Any:
    """The number of leading zero bits of each integer (its width for 0)."""
    return _unary(P.clz_p, x)


def bitwise_not(x: Any) -> Any:
    """~x: logical not for booleans, bit flip for integers."""
    return _unary(P.not_p, x)


def erf(x: Any) -> Any:
    return _unary(P.erf_p, x)


def erfc(x: Any) -> Any:
    return _unary(P.erfc_p, x)


def erf_inv(x: Any) -> Any:
    return _unary(P.erf_inv_p, x)


def lgamma(x: Any) -> Any:
    """log |Gamma(x)|."""
    return _unary(P.lgamma_p, x)


def digamma(x: Any) -> Any:
    """d/dx log Gamma(x)."""
    return _unary(P.digamma_p, x)


def bessel_i0e(x: Any) -> Any:
    """exp(-|x|) I0(x), the scaled modified Bessel function of order 0."""
    return _unary(P.bessel_i0e_p, x)


def bessel_i1e(x: Any) -> Any:
    """exp(-|x|) I1(x), the scaled modified Bessel function of order 1."""
    return _unary(P.bessel_i1e_p, x)


# ---------------------------------------------------------------------------
# binary and ternary


def add(x: Any, y: Any) -> Any:
    return _nary(P.add_p, "add", x, y)


def sub(x: Any, y: Any) -> Any:
    return _nary(P.sub_p, "sub", x, y)


def mul(x: Any, y: Any, *, out_dtype: Any = None) -> Any:
    """x * y; with `out_dtype`, both are converted to it first (a wider product
    of narrow integers, say)."""
    x, y = _operands("mul", x, y)
    if out_dtype is not None:
        new = dtypes.canonicalize(out_dtype)
        x, y = (P.convert_element_type_p.bind(v, new_dtype=new, weak_type=False)
                for v in (x, y))
    return P.mul_p.bind(x, y)


def div(x: Any, y: Any) -> Any:
    """x / y; integer division rounds towards zero (C's rule, not NumPy's floor)."""
    return _nary(P.div_p, "div", x, y)


def rem(x: Any, y: Any) -> Any:
    """The remainder of x / y with x's sign (C's fmod, not NumPy's mod)."""
    return _nary(P.rem_p, "rem", x, y)


def pow(x: Any, y: Any) -> Any:  # noqa: A001
    """x ** y. The exponent may be an integer when x is floating-point or complex;
    otherwise the dtypes must match."""
    xo, yo = asarray_operand(x), asarray_operand(y)
    xd, yd = aval_of(xo).dtype, aval_of(yo).dtype
    if dtypes.is_inexact(xd) and dtypes.is_integer(yd):
        _check_shapes("pow", [aval_of(xo).shape, aval_of(yo).shape])
        yo = P.convert_element_type_p.bind(yo, new_dtype=xd, weak_type=False)
        return P.pow_p.bind(xo, yo)
    return _nary(P.pow_p, "pow", xo, yo)


def max(x: Any, y: Any) -> Any:  # noqa: A001
    return _nary(P.max_p, "max", x, y)


def min(x: Any, y: Any) -> Any:  # noqa: A001
    return _nary(P.min_p, "min", x, y)


def atan2(x: Any, y: Any) -> Any:
    """The angle of the point (y, x): atan(x / y) in the right quadrant."""
    return _nary(P.atan2_p, "atan2", x, y)


def nextafter(x1: Any, x2: Any) -> Any:
    """The next representable float after x1 in the direction of x2."""
    return _nary(P.nextafter_p, "nextafter", x1, x2)


def complex(x: Any, y: Any) -> Any:  # noqa: A001
    """x + 1j * y, from float32 (complex64) or float64 (complex128) parts."""
    return _nary(P.complex_p, "complex", x, y)


def bitwise_and(x: Any, y: Any) -> Any:
    return _nary(P.and_p, "bitwise_and", x, y)


def bitwise_or(x: Any, y: Any) -> Any:
    return _nary(P.or_p, "bitwise_or", x, y)


def bitwise_xor(x: Any, y: Any) -> Any:
    return _nary(P.xor_p, "bitwise_xor", x, y)


def shift_left(x: Any, y: Any) -> Any:
    return _nary(P.shift_left_p, "shift_left", x, y)


def shift_right_arithmetic(x: Any, y: Any) -> Any:
    """x >> y, filling with the sign bit."""
    return _nary(P.shift_right_arithmetic_p, "shift_right_arithmetic", x, y)


def shift_right_logical(x: Any, y: Any) -> Any:
    """x >> y, filling with zeros."""
    return _nary(P.shift_right_logical_p, "shift_right_logical", x, y)


def mulhi(x: Any, y: Any, /) -> Any:
    """The high half of the double-width product of two integers of one dtype."""
    return _nary(P.mulhi_p, "mulhi", x, y)


def eq(x: Any, y: Any) -> Any:
    return _nary(P.eq_p, "eq", x, y)


def ne(x: Any, y: Any) -> Any:
    return _nary(P.ne_p, "ne", x, y)


def lt(x: Any, y: Any) -> Any:
    return _nary(P.lt_p, "lt", x, y)


def le(x: Any, y: Any) -> Any:
    return _nary(P.le_p, "le", x, y)


def gt(x: Any, y: Any) -> Any:
    return _nary(P.gt_p, "gt", x, y)


def ge(x: Any, y: Any) -> Any:
    return _nary(P.ge_p, "ge", x, y)


def clamp(min: Any, x: Any, max: Any) -> Any:  # noqa: A002
    """x limited to [min, max]; `min` and `max` are scalars or of x's shape.

    >>> clamp(0.0, fnp.asarray([-1.0, 0.5, 2.0]), 1.0)           # [0., 0.5, 1.]
    """
    lo, xo, hi = (asarray_operand(v) for v in (min, x, max))
    shape = aval_of(xo).shape
    for name, bound in (("min", lo), ("max", hi)):
        bs = aval_of(bound).shape
        if bs and bs != shape:
            raise TypeError(f"lax.clamp requires {name}.shape == x.shape or {name}.shape == "
                            f"(), got {name}.shape={bs}, x.shape={shape}")
    return _nary(P.clamp_p, "clamp", lo, xo, hi)


def polygamma(m: Any, x: Any) -> Any:
    """The m-th derivative of digamma at x; m is a non-negative integer held in
    x's floating-point dtype."""
    return _nary(P.polygamma_p, "polygamma", m, x)


def zeta(x: Any, q: Any) -> Any:
    """The Hurwitz zeta function sum_k (k + q)^-x; differentiable in q only."""
    return _nary(P.zeta_p, "zeta", x, q)


def igamma(a: Any, x: Any) -> Any:
    """The regularized lower incomplete gamma function P(a, x)."""
    return _nary(P.igamma_p, "igamma", a, x)


def igammac(a: Any, x: Any) -> Any:
    """The regularized upper incomplete gamma function Q(a, x) = 1 - P(a, x)."""
    return _nary(P.igammac_p, "igammac", a, x)


def igamma_grad_a(a: Any, x: Any) -> Any:
    """dP(a, x) / da, the derivative of `igamma` in its first argument."""
    return _nary(P.igamma_grad_a_p, "igamma_grad_a", a, x)


def random_gamma_grad(a: Any, x: Any) -> Any:
    """d x / d a for a sample x of Gamma(a, 1) drawn by inverting its CDF P(a, .):
    by implicit differentiation of P(a, x) = u, -(dP/da) / (dP/dx)."""
    a, x = _operands("random_gamma_grad", a, x)
    # dP/dx = x^(a-1) e^-x / Gamma(a)
    one = _scalar(1, a)
    log_density = P.sub_p.bind(P.sub_p.bind(P.mul_p.bind(P.sub_p.bind(a, one), P.log_p.bind(x)),
                                            x), P.lgamma_p.bind(a))
    return P.neg_p.bind(P.div_p.bind(P.igamma_grad_a_p.bind(a, x), P.exp_p.bind(log_density)))


def betainc(a: Any, b: Any, x: Any) -> Any:
    """The regularized incomplete beta function I_x(a, b); differentiable in x only."""
    return _nary(P.regularized_incomplete_beta_p, "betainc", a, b, x)


# ---------------------------------------------------------------------------
# bits and types


def bitcast_convert_type(operand: Any, new_dtype: Any) -> Any:
    """`operand`'s bits read as `new_dtype`. Reading as a narrower dtype adds a
    trailing axis (old width / new width); as a wider one, the trailing axis must
    hold (new width / old width) elements and is consumed.

    >>> bitcast_convert_type(fnp.asarray([1.0], fnp.float32), fnp.int32)  # [1065353216]
    """
    return P.bitcast_convert_type_p.bind(asarray_operand(operand),
                                         new_dtype=dtypes.canonicalize(new_dtype))


_PY_SCALARS = (bool, int, float, builtins.complex)


def dtype(x: Any) -> np.dtype:
    """The dtype funcgrad gives `x` (an array, a scalar or a dtype-like): Python
    ints are int64, floats float64 (the default float), complexes complex128."""
    if type(x) in _PY_SCALARS:
        return aval_of(asarray_operand(x)).dtype
    if hasattr(x, "dtype") and not isinstance(x, type):
        return dtypes.canonicalize(x.dtype)
    return dtypes.canonicalize(x)


def broadcast_shapes(*shapes: Sequence[int]) -> tuple[int, ...]:
    """The shape NumPy's broadcasting gives arrays of `shapes`; ValueError if they
    are incompatible."""
    if not shapes:
        return ()
    return P.broadcast_shapes("broadcast_shapes", *(tuple(int(d) for d in s) for s in shapes))
