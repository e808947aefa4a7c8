"""funcgrad.numpy: NumPy's API over funcgrad arrays, with NumPy 2's semantics.

Every function is written in terms of funcgrad primitives, so each works
eagerly and under jit, grad and vmap alike. Results have the dtypes NumPy
gives (float64 by default); arguments funcgrad does not support (``out=``,
``where=``) raise instead of being ignored.
"""
from __future__ import annotations

import builtins as _builtins
import sys as _sys
from typing import Any

import numpy as _np

from funcgrad import dtypes as _dtypes
from funcgrad.array import Array as ndarray
from funcgrad.numpy import _methods  # installs operators on Array/Tracer
from funcgrad.numpy._contract import dot, inner, matmul, outer, tensordot, vdot
from funcgrad.numpy._creation import (arange, array, asarray, copy, empty, empty_like, eye,
                                      from_dlpack, full, full_like, identity, linspace, ones,
                                      ones_like, zeros, zeros_like)
from funcgrad.numpy._elementwise import around, imag, real, round
from funcgrad.numpy._reductions import (all, amax, amin, any, argmax, argmin, cumprod,
                                        cumsum, cumulative_prod, cumulative_sum, max, mean,
                                        min, prod, std, sum, var)
from funcgrad.numpy._shape import (atleast_1d, atleast_2d, atleast_3d, broadcast_arrays,
                                   broadcast_shapes, broadcast_to, clip, column_stack,
                                   concatenate, dstack, expand_dims, hstack, matrix_transpose,
                                   moveaxis, ndim, permute_dims, ravel, reshape, shape, size,
                                   squeeze, stack, swapaxes, transpose, vstack)
from funcgrad.numpy._ufuncs import (UFUNCS, abs, absolute, add, arccos, arccosh, arcsin,
                                    arcsinh, arctan, arctan2, arctanh, bitwise_and,
                                    bitwise_not, bitwise_or, bitwise_xor, cbrt, ceil, conj,
                                    conjugate, copysign, cos, cosh, deg2rad, degrees, divide,
                                    equal, exp, exp2, expm1, fabs, fix, floor, floor_divide,
                                    fmax, fmin,
                                    fmod, greater, greater_equal, hypot, invert, isfinite,
                                    isinf, isnan, left_shift, less, less_equal, log, log1p,
                                    log2, log10, logaddexp, logical_and, logical_not,
                                    logical_or, logical_xor, maximum, minimum, mod, multiply,
                                    negative, nextafter, not_equal, positive, power, rad2deg,
                                    radians, reciprocal, remainder, right_shift, rint, sign,
                                    sin, sinh, sqrt, square, subtract, tan, tanh, true_divide,
                                    trunc)
from funcgrad.numpy._util import asarray_operand as _operand
from funcgrad.numpy._util import aval_of as _aval
from funcgrad.numpy._util import convert as _convert

bool_ = _np.bool_
int8, int16, int32, int64 = _np.int8, _np.int16, _np.int32, _np.int64
uint8, uint16, uint32, uint64 = _np.uint8, _np.uint16, _np.uint32, _np.uint64
float16, float32, float64 = _np.float16, _np.float32, _np.float64
bfloat16 = _dtypes.bfloat16.type
complex64, complex128 = _np.complex64, _np.complex128
pi, e, inf, nan, euler_gamma = _np.pi, _np.e, _np.inf, _np.nan, _np.euler_gamma
newaxis = None
dtype = _np.dtype
finfo, iinfo = _dtypes.finfo, _dtypes.iinfo
pow = power  # noqa: A001  (NumPy 2 / array API name)
acos, acosh, asin, asinh, atan, atanh, atan2 = (arccos, arccosh, arcsin, arcsinh, arctan,
                                                arctanh, arctan2)


def _is_dtype_like(a: Any) -> _builtins.bool:
    return isinstance(a, (_np.dtype, str)) or (isinstance(a, type) and
                                               issubclass(a, _np.generic))


def result_type(*args: Any) -> _np.dtype:
    """NumPy 2's result_type (NEP 50): arrays, dtypes, and weak Python scalars."""
    return _dtypes.result_type(*(a if isinstance(a, (_builtins.bool, int, float, complex)) else
                                 _dtypes.canonicalize(a) if _is_dtype_like(a) else
                                 _aval(_operand(a)) for a in args))[0]


def promote_types(a: Any, b: Any) -> _np.dtype:
    return _dtypes.result_type(_dtypes.canonicalize(a), _dtypes.canonicalize(b))[0]


def issubdtype(arg1: Any, arg2: Any) -> _builtins.bool:
    return _np.issubdtype(arg1, arg2)


def iscomplexobj(x: Any) -> _builtins.bool:
    """Whether `x` has a complex dtype (its values do not matter), like NumPy."""
    return _dtypes.is_complex(_aval(_operand(x)).dtype)


def isrealobj(x: Any) -> _builtins.bool:
    return not iscomplexobj(x)


def isreal(x: Any) -> Any:
    """Elementwise: the imaginary part is zero (always True for real dtypes)."""
    v = asarray(x)
    if not _dtypes.is_complex(_aval(v).dtype):
        return full(_aval(v).shape, True)
    return equal(v.imag, 0)


def iscomplex(x: Any) -> Any:
    """Elementwise: the imaginary part is nonzero (always False for real dtypes)."""
    v = asarray(x)
    if not _dtypes.is_complex(_aval(v).dtype):
        return full(_aval(v).shape, False)
    return not_equal(v.imag, 0)


def isscalar(x: Any) -> _builtins.bool:
    return _np.isscalar(x)


def allclose(a: Any, b: Any, rtol: float = 1e-05, atol: float = 1e-08,
             equal_nan: _builtins.bool = False) -> Any:
    return all(isclose(a, b, rtol, atol, equal_nan))


def isclose(a: Any, b: Any, rtol: float = 1e-05, atol: float = 1e-08,
            equal_nan: _builtins.bool = False) -> Any:
    x, y = _operand(a), _operand(b)
    if not _dtypes.is_inexact(_aval(x).dtype) and not _dtypes.is_inexact(_aval(y).dtype):
        x, y = _convert(x, _dtypes.default_float()), _convert(y, _dtypes.default_float())
    close = less_equal(abs(subtract(x, y)), add(atol, multiply(rtol, abs(y))))
    # infinities are close only to themselves (inf - -inf <= rtol * inf would say yes)
    close = logical_and(close, logical_and(isfinite(x), isfinite(y)))
    close = logical_or(close, equal(x, y))
    if equal_nan:
        close = logical_or(close, logical_and(isnan(x), isnan(y)))
    return close


def array_equal(a1: Any, a2: Any, equal_nan: _builtins.bool = False) -> Any:
    x, y = _operand(a1), _operand(a2)
    if _aval(x).shape != _aval(y).shape:
        return False
    eq = equal(x, y)
    if equal_nan:
        eq = logical_or(eq, logical_and(isnan(x), isnan(y)))
    return all(eq)

# advanced indexing, sorting and searching
from funcgrad.numpy._advanced import ix_, take, take_along_axis  # noqa: E402
from funcgrad.numpy._sorting import (argsort, argwhere, flatnonzero, lexsort,  # noqa: E402
                                     nonzero, searchsorted, sort, unique, unique_values, where)
from funcgrad.numpy import linalg  # noqa: E402
from funcgrad.numpy import fft  # noqa: E402
from funcgrad.numpy._einsum import einsum, einsum_path  # noqa: E402
from funcgrad.numpy._extras import (angle, array_split, cross, diag, diagflat,  # noqa: E402
                                    diagonal, diff, dsplit, ediff1d, flip, fliplr, flipud,
                                    heaviside, hsplit, interp, kron, logaddexp2, meshgrid,
                                    nan_to_num, polyval, repeat, roll, rot90, select, sinc,
                                    split, tile, trace, trapezoid, tri, tril, triu, vander,
                                    vsplit)
from funcgrad.numpy._pad import convolve, correlate, pad  # noqa: E402
from funcgrad.numpy._stats import (average, bincount, corrcoef, count_nonzero,  # noqa: E402
                                   cov, histogram, histogram_bin_edges, median, nanargmax,
                                   nanargmin, nancumprod, nancumsum, nanmax, nanmean,
                                   nanmedian, nanmin, nanpercentile, nanprod, nanquantile,
                                   nanstd, nansum, nanvar, percentile, ptp, quantile)
from funcgrad.numpy._sets import (intersect1d, isin, setdiff1d, setxor1d,  # noqa: E402
                                  union1d)
from funcgrad.numpy._index_tricks import (c_, diag_indices, diag_indices_from,  # noqa: E402
                                          fill_diagonal, index_exp, indices, mask_indices,
                                          mgrid, ogrid, r_, ravel_multi_index, s_,
                                          tril_indices, tril_indices_from, triu_indices,
                                          triu_indices_from, unravel_index)
from funcgrad.numpy._polynomial import (poly, polyadd, polyder, polydiv, polyfit,  # noqa: E402
                                        polyint, polymul, polysub, roots)
from funcgrad.numpy._float_parts import (divmod, float_power, frexp, isneginf,  # noqa: E402
                                         isposinf, ldexp, modf, signbit, spacing)
from funcgrad.numpy._integers import (bitwise_count, bitwise_invert,  # noqa: E402
                                      bitwise_left_shift, bitwise_right_shift, gcd, lcm)
from funcgrad.numpy._windows import bartlett, blackman, hamming, hanning, kaiser  # noqa: E402
from funcgrad.numpy._bessel import i0  # noqa: E402
from funcgrad.numpy._host_helpers import (array2string, array_repr, array_str,  # noqa: E402
                                          asanyarray, common_type, frombuffer, fromiter,
                                          fromstring, isfortran, may_share_memory,
                                          min_scalar_type, mintypecode, packbits, require,
                                          shares_memory, typename, unique_all,
                                          unique_counts, unique_inverse, unpackbits)
from funcgrad.numpy._rearrange import (append, argpartition, block, choose,  # noqa: E402
                                       compress, concat, delete, extract, fromfunction,
                                       geomspace, insert, logspace, partition, put_along_axis,
                                       resize, rollaxis, sort_complex, trim_zeros, unstack)
from funcgrad.numpy._calculus import (digitize, gradient, histogram2d,  # noqa: E402
                                      histogramdd, unwrap)
from funcgrad.numpy._functional import (apply_along_axis, apply_over_axes,  # noqa: E402
                                        piecewise)
from funcgrad.numpy._array_api import (array_equiv, asarray_chkfinite,  # noqa: E402
                                       ascontiguousarray, asfortranarray, astype, can_cast,
                                       isdtype, iterable, matvec, real_if_close, vecdot,
                                       vecmat)

# NumPy 2's scalar type names (funcgrad's dtypes are NumPy's)
bool = _np.bool  # noqa: A001
int_, intp, uintp, uint = _np.int_, _np.intp, _np.uintp, _np.uint
byte, ubyte, short, ushort, intc, uintc = _np.byte, _np.ubyte, _np.short, _np.ushort, \
    _np.intc, _np.uintc
long, ulong, longlong, ulonglong = _np.long, _np.ulong, _np.longlong, _np.ulonglong
half, single, double = _np.half, _np.single, _np.double
csingle, cdouble = _np.csingle, _np.cdouble
generic, number, integer, signedinteger, unsignedinteger = (_np.generic, _np.number,
                                                            _np.integer, _np.signedinteger,
                                                            _np.unsignedinteger)
inexact, floating, complexfloating = _np.inexact, _np.floating, _np.complexfloating
True_, False_ = _np.True_, _np.False_

_methods.set_namespace(_sys.modules[__name__])   # what x.__array_namespace__() returns
