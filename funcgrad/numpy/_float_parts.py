"""Taking floats apart and putting them together: ldexp, frexp, modf, signbit,
spacing, divmod, float_power, isposinf, isneginf — with NumPy's dtypes and its
edge cases (signed zeros, infinities, NaN)."""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from funcgrad import dtypes
from funcgrad import primitives as P
from funcgrad.numpy import _ufuncs as U
from funcgrad.numpy._creation import asarray
from funcgrad.numpy._util import aval_of

__all__ = ["divmod", "float_power", "frexp", "isneginf", "isposinf", "ldexp", "modf",
           "signbit", "spacing"]


def _c(x: Any, v: float) -> Any:
    return U._const(x, v)


def _sign_negative(x: Any) -> Any:
    """x < 0, or x is -0.0 (NaN counts as positive: its sign bit is not visible
    without reinterpreting its bits)."""
    zero = _c(x, 0)
    return P.or_p.bind(P.lt_p.bind(x, zero),
                       P.and_p.bind(P.eq_p.bind(x, zero),
                                    P.lt_p.bind(P.div_p.bind(_c(x, 1), x), zero)))


def _signbit(x: Any) -> Any:
    if not dtypes.is_inexact(aval_of(x).dtype):
        return P.lt_p.bind(x, _c(x, 0)) if aval_of(x).dtype.kind == "i" else \
            P.ne_p.bind(x, x)
    return _sign_negative(x)


def _pow2(x: Any, e: Any) -> Any:
    """x * 2**e for an integer-valued float e, in two halves so that neither power
    overflows when the product does not."""
    half = P.floor_p.bind(P.div_p.bind(e, _c(e, 2)))
    rest = P.sub_p.bind(e, half)
    return P.mul_p.bind(P.mul_p.bind(x, P.exp2_p.bind(half)), P.exp2_p.bind(rest))


def _ldexp(x: Any, e: Any) -> Any:
    ef = P.convert_element_type_p.bind(e, new_dtype=aval_of(x).dtype, weak_type=False)
    return _pow2(x, ef)


def _spacing(x: Any) -> Any:
    inf = P.select_n_p.bind(_sign_negative(x), _c(x, math.inf), _c(x, -math.inf))
    return P.sub_p.bind(P.nextafter_p.bind(x, inf), x)


def _float_power(a: Any, b: Any) -> Any:
    return P.pow_p.bind(a, b)


signbit = U._ufunc("signbit", np.signbit, _signbit)
ldexp = U._ufunc("ldexp", np.ldexp, _ldexp)
spacing = U._ufunc("spacing", np.spacing, _spacing)
float_power = U._ufunc("float_power", np.float_power, _float_power)


def _float_operand(x: Any, fname: str) -> Any:
    a = asarray(x)
    dt = a.dtype
    if dtypes.is_complex(dt):
        raise TypeError(f"{fname}: complex input is not supported (as in NumPy)")
    if not dtypes.is_inexact(dt):
        a = a.astype(np.float64 if dt.itemsize > 1 or dt.kind == "b" else np.float16)
    return a


def modf(x: Any, /) -> tuple[Any, Any]:
    """(fractional part, integral part), both with the sign of x; modf(inf) is
    (0, inf) with inf's sign."""
    a = _float_operand(x, "modf")
    from funcgrad.numpy._sorting import where
    whole = U.trunc(a)
    frac = where(U.isinf(a), asarray(0, a.dtype), a - whole)
    return U.copysign(frac, a), whole


def frexp(x: Any, /) -> tuple[Any, Any]:
    """(mantissa, exponent) with x = mantissa * 2**exponent, 0.5 <= |mantissa| < 1;
    the exponent is int32, as NumPy gives; 0, inf and NaN have exponent 0."""
    from funcgrad.numpy._sorting import where
    a = _float_operand(x, "frexp")
    finite = U.isfinite(a) & (a != 0)
    safe = where(finite, U.absolute(a), asarray(1, a.dtype))
    e = U.floor(U.log2(safe)) + 1
    m = ldexp(a, (-e).astype(np.int32))
    big = U.absolute(m) >= 1
    m, e = where(big, m / 2, m), where(big, e + 1, e)
    small = U.absolute(m) < 0.5
    m, e = where(small & finite, m * 2, m), where(small & finite, e - 1, e)
    m = where(finite, m, a)
    e = where(finite, e, asarray(0, a.dtype))
    return m, e.astype(np.int32)


def divmod(x1: Any, x2: Any, /) -> tuple[Any, Any]:  # noqa: A001  (NumPy's name)
    return U.floor_divide(x1, x2), U.remainder(x1, x2)


def isposinf(x: Any) -> Any:
    a = asarray(x)
    if dtypes.is_complex(a.dtype):
        raise TypeError("isposinf: not supported for complex input (as in NumPy)")
    return U.isinf(a) & ~signbit(a)


def isneginf(x: Any) -> Any:
    a = asarray(x)
    if dtypes.is_complex(a.dtype):
        raise TypeError("isneginf: not supported for complex input (as in NumPy)")
    return U.isinf(a) & signbit(a)
