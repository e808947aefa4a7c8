"""The Array API standard's and NumPy 2's newer names: astype, isdtype, can_cast,
vecdot, matvec, vecmat; and the small conversions and checks NumPy users
reach for (array_equiv, asarray_chkfinite, ascontiguousarray, asfortranarray,
iterable, real_if_close)."""
from __future__ import annotations

from typing import Any

import numpy as np

from funcgrad import dtypes
from funcgrad.errors import ConcretizationError, UnsupportedError
from funcgrad.numpy import _sorting as SO
from funcgrad.numpy import _ufuncs as U
from funcgrad.numpy._creation import asarray
from funcgrad.numpy._elementwise import imag, real
from funcgrad.numpy._reductions import all as all_
from funcgrad.numpy._reductions import sum as sum_
from funcgrad.numpy._util import normalize_axis

__all__ = ["array_equiv", "asarray_chkfinite", "ascontiguousarray", "asfortranarray", "astype",
           "can_cast", "isdtype", "iterable", "matvec", "real_if_close", "vecdot", "vecmat"]

_KINDS = {
    "bool": lambda d: d == np.bool_,
    "signed integer": lambda d: d.kind == "i",
    "unsigned integer": lambda d: d.kind == "u",
    "integral": lambda d: d.kind in "iu",
    "real floating": lambda d: d.kind == "f" or d == dtypes.bfloat16,
    "complex floating": lambda d: d.kind == "c",
    "numeric": lambda d: d.kind in "iufc" or d == dtypes.bfloat16,
}


def isdtype(dtype: Any, kind: Any) -> bool:
    """Whether `dtype` is of `kind`: a dtype, one of the standard's kind names, or a
    tuple of those."""
    d = np.dtype(dtype)
    kinds = kind if isinstance(kind, tuple) else (kind,)
    for k in kinds:
        if isinstance(k, str):
            if k not in _KINDS:
                raise ValueError(f"isdtype: unknown kind {k!r}; expected one of "
                                 f"{sorted(_KINDS)} or a dtype")
            if _KINDS[k](d):
                return True
        elif d == np.dtype(k):
            return True
    return False


def astype(x: Any, dtype: Any, /, *, copy: bool = True, device: Any = None) -> Any:
    if device is not None:
        from funcgrad.api import device_put
        x = device_put(x, device)
    return asarray(x).astype(dtypes.canonicalize(dtype))


def can_cast(from_: Any, to: Any, casting: str = "safe") -> bool:
    if hasattr(from_, "dtype") and not isinstance(from_, (np.dtype, type)):
        from_ = from_.dtype
    elif isinstance(from_, (bool, int, float, complex)):
        raise TypeError("can_cast: Python scalars are not supported (NumPy 2); pass a dtype "
                        "or an array")
    return bool(np.can_cast(np.dtype(from_), np.dtype(to),
                            casting=casting))  # type: ignore[arg-type]


def vecdot(x1: Any, x2: Any, /, *, axis: int = -1) -> Any:
    """sum(conj(x1) * x2) along `axis`, the other axes broadcast."""
    a, b = asarray(x1), asarray(x2)
    prod = U.conjugate(a) * b
    ax = normalize_axis(axis, prod.ndim)
    if a.shape[axis] != b.shape[axis]:
        raise ValueError(f"vecdot: the arrays' lengths along axis {axis} differ "
                         f"({a.shape[axis]} and {b.shape[axis]})")
    return sum_(prod, axis=ax)


def matvec(x1: Any, x2: Any, /) -> Any:
    a, b = asarray(x1), asarray(x2)
    if a.ndim < 2 or b.ndim < 1:
        raise ValueError("matvec: needs a matrix (..., m, n) and a vector (..., n)")
    return (a @ b[..., None])[..., 0]


def vecmat(x1: Any, x2: Any, /) -> Any:
    a, b = asarray(x1), asarray(x2)
    if a.ndim < 1 or b.ndim < 2:
        raise ValueError("vecmat: needs a vector (..., m) and a matrix (..., m, n)")
    return (U.conjugate(a)[..., None, :] @ b)[..., 0, :]


def array_equiv(a1: Any, a2: Any) -> Any:
    """Whether the arrays are equal after broadcasting (False if they do not)."""
    a, b = asarray(a1), asarray(a2)
    try:
        np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        return False
    return bool(all_(a == b)) if SO._is_concrete(a) and SO._is_concrete(b) else all_(a == b)


def asarray_chkfinite(a: Any, dtype: Any = None, order: Any = None) -> Any:
    x = asarray(a, dtype=dtype)
    if order not in (None, "C", "K", "A"):
        raise UnsupportedError("asarray_chkfinite: funcgrad arrays are C-ordered")
    if not SO._is_concrete(x):
        raise ConcretizationError("asarray_chkfinite: checking for inf/NaN needs concrete "
                                  "values (it raises); under jit use fnp.isfinite")
    if np.issubdtype(x.dtype, np.inexact) and not bool(all_(U.isfinite(x))):
        raise ValueError("array must not contain infs or NaNs")
    return x


def ascontiguousarray(a: Any, dtype: Any = None, *, like: Any = None) -> Any:
    if like is not None:
        raise UnsupportedError("ascontiguousarray: like= is not supported")
    x = asarray(a, dtype=dtype)
    return x.reshape((1,)) if x.ndim == 0 else x


def asfortranarray(a: Any, dtype: Any = None, *, like: Any = None) -> Any:
    """funcgrad arrays have one layout (XLA's); the values are those of `a`."""
    if like is not None:
        raise UnsupportedError("asfortranarray: like= is not supported")
    x = asarray(a, dtype=dtype)
    return x.reshape((1,)) if x.ndim == 0 else x


def iterable(y: Any) -> bool:
    if hasattr(y, "ndim") and y.ndim == 0:
        return False
    try:
        iter(y)
    except TypeError:
        return False
    return True


def real_if_close(a: Any, tol: float = 100) -> Any:
    """The real part when every imaginary part is within tol machine epsilons of 0
    (the result's dtype depends on the values: needs concrete input)."""
    x = asarray(a)
    if not np.issubdtype(x.dtype, np.complexfloating):
        return x
    if not SO._is_concrete(x):
        raise ConcretizationError("real_if_close: the result's dtype depends on the values, "
                                  "which are traced here; use fnp.real under jit")
    eps = np.finfo(dtypes.real_dtype(x.dtype)).eps
    t = tol * eps if tol > 1 else tol
    if bool(all_(U.absolute(imag(x)) < t)):
        return real(x)
    return x
