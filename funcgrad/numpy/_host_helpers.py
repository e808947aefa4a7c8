"""NumPy functions about dtypes, memory and text, and constructors from host
data: common_type, min_scalar_type, mintypecode, typename, asanyarray, require,
isfortran, shares_memory, may_share_memory, frombuffer, fromiter, fromstring,
packbits, unpackbits, array2string, array_repr, array_str, and the
Array API's unique_all/unique_counts/unique_inverse.

funcgrad arrays are immutable and own their device buffers: two distinct
arrays never share memory, and an array is C-contiguous to any observer.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

import numpy as np

from funcgrad import dtypes
from funcgrad.array import Array
from funcgrad.core import Tracer
from funcgrad.errors import ConcretizationError, UnsupportedError
from funcgrad.numpy import _shape as SH
from funcgrad.numpy import _sorting as SO
from funcgrad.numpy._creation import asarray

__all__ = ["array2string", "array_repr", "array_str", "asanyarray", "common_type",
           "frombuffer", "fromiter", "fromstring", "isfortran", "may_share_memory",
           "min_scalar_type", "mintypecode", "packbits", "require",
           "shares_memory", "typename", "unique_all", "unique_counts", "unique_inverse",
           "unpackbits"]


def _dtype_of(a: Any) -> np.dtype:
    return a.dtype if hasattr(a, "dtype") else np.asarray(a).dtype


def common_type(*arrays: Any) -> type:
    return np.common_type(*[np.empty(0, _dtype_of(a)) for a in arrays])


def min_scalar_type(a: Any, /) -> np.dtype:
    x = asarray(a)
    if x.ndim == 0 and SO._is_concrete(x):
        return np.min_scalar_type(np.asarray(x))
    return x.dtype


def mintypecode(typechars: Iterable[Any], typeset: str = "GDFgdf", default: str = "d") -> str:
    return np.mintypecode([getattr(t, "dtype", t) for t in typechars], typeset, default)


def typename(char: str) -> str:
    name: str = np.typename(char)  # type: ignore[call-overload]
    return name


def asanyarray(a: Any, dtype: Any = None, order: Any = None, *, like: Any = None) -> Any:
    if order not in (None, "C", "K", "A") or like is not None:
        raise UnsupportedError("asanyarray: order='F' and like= are not supported")
    return asarray(a, dtype=dtype)


_REQUIREMENTS = {"C", "C_CONTIGUOUS", "CONTIGUOUS", "A", "ALIGNED", "W", "WRITEABLE", "O",
                 "OWNDATA", "E", "ENSUREARRAY"}


def require(a: Any, dtype: Any = None, requirements: Any = None, *, like: Any = None) -> Any:
    """asarray, checking requirements funcgrad arrays meet (C order, aligned, owning
    their data); 'F' and 'W' (writeable) cannot be met and raise."""
    reqs = {r.upper() for r in ([requirements] if isinstance(requirements, str)
                                else requirements or [])}
    unmet = reqs & {"F", "F_CONTIGUOUS", "FORTRAN", "W", "WRITEABLE"}
    if unmet:
        raise UnsupportedError(f"require: funcgrad arrays are immutable and C-ordered; "
                               f"{sorted(unmet)} cannot be met")
    unknown = reqs - _REQUIREMENTS
    if unknown:
        raise KeyError(f"require: unknown requirement(s) {sorted(unknown)}")
    if like is not None:
        raise UnsupportedError("require: like= is not supported")
    return asarray(a, dtype=dtype)


def isfortran(a: Any) -> bool:
    return False


def shares_memory(a: Any, b: Any, /, max_work: Any = None) -> bool:
    return a is b and isinstance(a, (Array, Tracer))


def may_share_memory(a: Any, b: Any, /, max_work: Any = None) -> bool:
    return shares_memory(a, b)


def _no_like(fname: str, like: Any) -> None:
    if like is not None:
        raise UnsupportedError(f"{fname}: like= is not supported; the result is a funcgrad "
                               "array")


def frombuffer(buffer: Any, dtype: Any = float, count: int = -1, offset: int = 0, *,
               like: Any = None) -> Any:
    _no_like("frombuffer", like)
    return asarray(np.frombuffer(buffer, dtype=dtypes.canonicalize(dtype), count=count,
                                 offset=offset))


def fromiter(iter: Any, dtype: Any, count: int = -1, *, like: Any = None) -> Any:  # noqa: A002
    _no_like("fromiter", like)
    return asarray(np.fromiter(iter, dtype=dtypes.canonicalize(dtype), count=count))


def fromstring(string: str, dtype: Any = float, count: int = -1, *, sep: str,
               like: Any = None) -> Any:
    _no_like("fromstring", like)
    return asarray(np.fromstring(string, dtype=dtypes.canonicalize(dtype), count=count,
                                 sep=sep))


def _host(a: Any, fname: str) -> np.ndarray:
    if isinstance(a, Tracer) and a.concrete_value() is None:
        raise ConcretizationError(f"{fname}: formats values, which are traced here; use "
                                  "fg.debug.print inside jit")
    return np.asarray(a)


def array2string(a: Any, *args: Any, **kwargs: Any) -> str:
    return np.array2string(_host(a, "array2string"), *args, **kwargs)


def array_repr(arr: Any, *args: Any, **kwargs: Any) -> str:
    return np.array_repr(_host(arr, "array_repr"), *args, **kwargs)


def array_str(a: Any, *args: Any, **kwargs: Any) -> str:
    return np.array_str(_host(a, "array_str"), *args, **kwargs)


def packbits(a: Any, /, axis: int | None = None, bitorder: str = "big") -> Any:
    """Bits (non-zero entries) packed into uint8, 8 per byte, zero-padded at the end."""
    if bitorder not in ("big", "little"):
        raise ValueError("packbits: bitorder must be 'big' or 'little'")
    x = asarray(a)
    if not (np.issubdtype(x.dtype, np.integer) or x.dtype == np.bool_):
        raise TypeError("packbits: expected an input array of integer or boolean data type")
    if axis is None:
        x, axis = SH.ravel(x), 0
    x = SH.moveaxis((x != 0).astype(np.uint8), axis, -1)
    n = x.shape[-1]
    pad = (-n) % 8
    if pad:
        x = SH.concatenate([x, asarray(np.zeros(x.shape[:-1] + (pad,), np.uint8))], axis=-1)
    x = SH.reshape(x, x.shape[:-1] + ((n + pad) // 8, 8))
    w = 2 ** np.arange(7, -1, -1) if bitorder == "big" else 2 ** np.arange(8)
    packed = (x * asarray(w.astype(np.uint8))).sum(axis=-1).astype(np.uint8)
    return SH.moveaxis(packed, -1, axis)


def unpackbits(a: Any, /, axis: int | None = None, count: int | None = None,
               bitorder: str = "big") -> Any:
    if bitorder not in ("big", "little"):
        raise ValueError("unpackbits: bitorder must be 'big' or 'little'")
    x = asarray(a)
    if x.dtype != np.uint8:
        raise TypeError("unpackbits: expected an input array of unsigned byte data type")
    if axis is None:
        x, axis = SH.ravel(x), 0
    x = SH.moveaxis(x, axis, -1)
    shifts = np.arange(7, -1, -1) if bitorder == "big" else np.arange(8)
    bits = (x[..., None] >> asarray(shifts.astype(np.uint8))) & asarray(np.uint8(1))
    bits = SH.reshape(bits, x.shape[:-1] + (x.shape[-1] * 8,))
    if count is not None:
        bits = bits[..., :count] if count >= 0 else bits[..., :bits.shape[-1] + count]
    return SH.moveaxis(bits.astype(np.uint8), -1, axis)


class UniqueAllResult(NamedTuple):
    values: Any
    indices: Any
    inverse_indices: Any
    counts: Any


class UniqueCountsResult(NamedTuple):
    values: Any
    counts: Any


class UniqueInverseResult(NamedTuple):
    values: Any
    inverse_indices: Any


def unique_all(x: Any, /, *, size: int | None = None, fill_value: Any = None) -> Any:
    v, i, inv, c = SO.unique(x, return_index=True, return_inverse=True, return_counts=True,
                             size=size, fill_value=fill_value)
    return UniqueAllResult(v, i, SH.reshape(inv, asarray(x).shape), c)


def unique_counts(x: Any, /, *, size: int | None = None, fill_value: Any = None) -> Any:
    v, c = SO.unique(x, return_counts=True, size=size, fill_value=fill_value)
    return UniqueCountsResult(v, c)


def unique_inverse(x: Any, /, *, size: int | None = None, fill_value: Any = None) -> Any:
    v, inv = SO.unique(x, return_inverse=True, size=size, fill_value=fill_value)
    return UniqueInverseResult(v, SH.reshape(inv, asarray(x).shape))
