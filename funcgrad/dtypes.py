"""NumPy 2 dtype promotion (NEP 50) with weak Python scalars.

A value's dtype is *strong* unless it came from a Python scalar, which is
*weak*: it takes the dtype of the array it meets if that keeps its kind
(``f32_array * 2.0`` stays float32) and otherwise the default dtype of its kind.
NumPy implements exactly this for the standard dtypes, so `result_type`
defers to it and only adds bfloat16, which NumPy does not know how to promote.
"""
from __future__ import annotations

from typing import Any

import ml_dtypes
import numpy as np

from funcgrad.config import config

bool_: np.dtype = np.dtype(np.bool_)
int8: np.dtype = np.dtype(np.int8)
int16: np.dtype = np.dtype(np.int16)
int32: np.dtype = np.dtype(np.int32)
int64: np.dtype = np.dtype(np.int64)
uint8: np.dtype = np.dtype(np.uint8)
uint16: np.dtype = np.dtype(np.uint16)
uint32: np.dtype = np.dtype(np.uint32)
uint64: np.dtype = np.dtype(np.uint64)
float16: np.dtype = np.dtype(np.float16)
float32: np.dtype = np.dtype(np.float32)
float64: np.dtype = np.dtype(np.float64)
bfloat16: np.dtype = np.dtype(ml_dtypes.bfloat16)
complex64: np.dtype = np.dtype(np.complex64)
complex128: np.dtype = np.dtype(np.complex128)

SUPPORTED = frozenset({bool_, int8, int16, int32, int64, uint8, uint16, uint32, uint64,
                       float16, bfloat16, float32, float64, complex64, complex128})

# Kinds in promotion order; a weak scalar only promotes upwards in this order.
_KIND_RANK = {"b": 0, "u": 1, "i": 1, "f": 2, "V": 2, "c": 3}
_PROXY = {0: False, 1: 0, 2: 0.0, 3: 0j}   # a Python value standing for a weak kind


def canonicalize(dtype: Any) -> np.dtype:
    """The np.dtype funcgrad uses for `dtype`; raises TypeError for unsupported ones."""
    if dtype is float:
        return default_float()
    if dtype is complex:
        return default_complex()
    if dtype is int:
        return int64
    if dtype is bool:
        return bool_
    try:
        dt = np.dtype(dtype)
    except TypeError as e:
        raise TypeError(f"{dtype!r} is not a dtype funcgrad understands") from e
    if dt not in SUPPORTED:
        raise TypeError(
            f"dtype {dt} is not supported; funcgrad arrays hold bool, (u)int8..64, "
            "float16, bfloat16, float32, float64, complex64 or complex128")
    return dt


def default_float() -> np.dtype:
    return float32 if config.default_float == "float32" else float64


def default_complex() -> np.dtype:
    return complex64 if config.default_float == "float32" else complex128


def kind_rank(dtype: np.dtype) -> int:
    return 2 if dtype == bfloat16 else _KIND_RANK[dtype.kind]


def is_float(dtype: np.dtype) -> bool:
    return dtype.kind == "f" or dtype == bfloat16


def is_inexact(dtype: np.dtype) -> bool:
    return dtype.kind in "fc" or dtype == bfloat16


def is_integer(dtype: np.dtype) -> bool:
    return dtype.kind in "iu"


def is_complex(dtype: np.dtype) -> bool:
    return dtype.kind == "c"


def python_scalar_dtype(x: Any) -> np.dtype:
    """The dtype a Python scalar takes when it stands alone (weakly typed)."""
    if isinstance(x, bool):
        return bool_
    if isinstance(x, int):
        return int64
    if isinstance(x, float):
        return default_float()
    if isinstance(x, complex):
        return default_complex()
    raise TypeError(f"{type(x).__name__} is not a Python scalar")


def weak_default(rank: int) -> np.dtype:
    return (bool_, int64, default_float(), default_complex())[rank]


def _promote_strong(dts: list[np.dtype], weak_proxies: list[Any]) -> np.dtype:
    n_bf16 = sum(d == bfloat16 for d in dts)
    if not n_bf16:
        return np.result_type(*dts, *weak_proxies)
    # NumPy cannot promote bfloat16: reason with float16 in its place, which
    # sits at the same spot of the lattice, then map back.
    has_f16 = float16 in dts
    subst = [float16 if d == bfloat16 else d for d in dts]
    out = np.result_type(*subst, *weak_proxies)
    if out == float16:
        return float32 if has_f16 else bfloat16
    return out


def result_type(*avals_or_dtypes: Any) -> tuple[np.dtype, bool]:
    """Promote per NEP 50. Arguments are avals (with `.dtype`/`.weak_type`),
    dtypes (strong) or Python scalars (weak). Returns ``(dtype, weak_type)``."""
    strong: list[np.dtype] = []
    weak_ranks: list[int] = []
    for a in avals_or_dtypes:
        if isinstance(a, (bool, int, float, complex)):
            weak_ranks.append(kind_rank(python_scalar_dtype(a)))
        elif hasattr(a, "weak_type"):
            if a.weak_type:
                weak_ranks.append(kind_rank(a.dtype))
            else:
                strong.append(a.dtype)
        else:
            strong.append(canonicalize(a))
    if not strong:
        return weak_default(max(weak_ranks)), True
    if not weak_ranks:
        if len(strong) == 1:
            return strong[0], False
        return _promote_strong(strong, []), False
    out = _promote_strong(strong, [_PROXY[max(weak_ranks)]])
    if not any(is_inexact(d) for d in strong):   # ints meeting a weak float: the default float
        out = {float64: default_float(), complex128: default_complex()}.get(out, out)
    return out, False


def short_name(dtype: np.dtype) -> str:
    """``f64``, ``i32``, ``bool``... as the IR printer writes them."""
    if dtype == bool_:
        return "bool"
    if dtype == bfloat16:
        return "bf16"
    return f"{dtype.kind}{dtype.itemsize * 8}"


def finfo(dtype: Any) -> Any:
    dt = canonicalize(dtype)
    return ml_dtypes.finfo(dt) if dt == bfloat16 else np.finfo(dt)


def iinfo(dtype: Any) -> Any:
    return np.iinfo(canonicalize(dtype))


def real_dtype(dtype: np.dtype) -> np.dtype:
    if dtype == complex64:
        return float32
    if dtype == complex128:
        return float64
    return dtype
