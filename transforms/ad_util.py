"""What the autodiff interpreters share: symbolic zeros and a few primitive helpers.

`Zero(aval)` stands for an all-zero tangent or cotangent that was never
materialised; rules test for it with ``type(t) is Zero`` and `instantiate`
makes a real array only where a rule needs one. `UndefinedPrimal(aval)` marks
the linear inputs of an equation being transposed.

The helpers below bind primitives directly (no dtype promotion): rules call
them under whichever trace is current, so the results are themselves
transformable. `unbroadcast` is the one place that undoes NumPy-style
broadcasting of the n-ary elementwise primitives (see primitives.py).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from funcgrad import core, dtypes
from funcgrad import primitives as P
from funcgrad.config import LRUCache
from funcgrad.core import ShapedArray
from funcgrad.ir import Literal


class Zero:
    """A symbolic zero (co)tangent of the given aval."""

    __slots__ = ("aval",)

    def __init__(self, aval: ShapedArray):
        self.aval = aval

    def __repr__(self) -> str:
        return f"Zero({self.aval.str_short()})"


class UndefinedPrimal:
    """A linear input of an equation under transposition: only its aval is known."""

    __slots__ = ("aval",)

    def __init__(self, aval: ShapedArray):
        self.aval = aval

    def __repr__(self) -> str:
        return f"UndefinedPrimal({self.aval.str_short()})"


def is_undefined(x: Any) -> bool:
    return type(x) is UndefinedPrimal


def tangent_aval(aval: ShapedArray) -> ShapedArray:
    """Tangents have their primal's shape and dtype and are never weakly typed."""
    return aval.strong()


def differentiable(aval: ShapedArray) -> bool:
    """Only floating and complex values carry tangents; ints and bools never do."""
    return dtypes.is_inexact(aval.dtype)


def aval(x: Any) -> ShapedArray:
    return x.aval if type(x) in (Zero, UndefinedPrimal) else core.get_aval(x)


# ---------------------------------------------------------------------------
# constants and zeros


def scalar(value: Any, dtype: np.dtype) -> Literal:
    """A weakly typed scalar Literal of `dtype`: broadcasts and never promotes."""
    return Literal(np.asarray(value).astype(dtype)[()], ShapedArray((), dtype, True))


def full(value: Any, av: ShapedArray) -> Any:
    return P.broadcast_in_dim_p.bind(Literal(np.asarray(value).astype(av.dtype)[()],
                                             ShapedArray((), av.dtype, False)),
                                     shape=av.shape, broadcast_dimensions=())


def zeros(av: ShapedArray) -> Any:
    return full(0, av)


def instantiate(t: Any) -> Any:
    return zeros(t.aval) if type(t) is Zero else t


def add_tangents(a: Any, b: Any) -> Any:
    if type(a) is Zero:
        return b
    if type(b) is Zero:
        return a
    return P.add_p.bind(a, b)


# ---------------------------------------------------------------------------
# shapes


def broadcast_to(x: Any, shape: tuple[int, ...]) -> Any:
    """NumPy-style (right-aligned) broadcast of `x` to `shape`; a no-op when it fits."""
    if type(x) is Zero:
        return Zero(x.aval.update(shape=shape))
    xs = aval(x).shape
    if xs == shape:
        return x
    lead = len(shape) - len(xs)
    return P.broadcast_in_dim_p.bind(x, shape=shape,
                                     broadcast_dimensions=tuple(range(lead, len(shape))))


def unbroadcast(ct: Any, av: ShapedArray) -> Any:
    """The transpose of broadcasting an operand of aval `av`: sum `ct` over the
    broadcast dimensions and reshape it to `av`'s shape (and dtype)."""
    if type(ct) is Zero:
        return Zero(tangent_aval(av))
    shape = aval(ct).shape
    if shape != av.shape:
        lead = len(shape) - av.ndim
        axes = tuple(range(lead)) + tuple(
            lead + i for i, d in enumerate(av.shape) if d == 1 and shape[lead + i] != 1)
        if axes:
            ct = P.reduce_sum_p.bind(ct, axes=axes)
        if aval(ct).shape != av.shape:
            ct = P.reshape_p.bind(ct, new_sizes=av.shape)
    if aval(ct).dtype != av.dtype:
        ct = convert(ct, av.dtype)
    return ct


def convert(x: Any, dtype: np.dtype, weak_type: bool = False) -> Any:
    a = aval(x)
    if a.dtype == dtype and a.weak_type == weak_type:
        return x
    return P.convert_element_type_p.bind(x, new_dtype=dtype, weak_type=weak_type)


# ---------------------------------------------------------------------------
# caches of derived Programs (keyed by the source Program's identity)

def cached(cache: LRUCache, key: Any, build: Callable[[], tuple[Any, bool]]) -> Any:
    """Look `key` up in `cache`, or build (value, cacheable) and store it when cacheable
    (bounded by ``config.cache_size``, least recently used first out)."""
    hit = cache.lookup(key)
    if hit is not None:
        return hit
    value, cacheable = build()
    if cacheable:
        value = cache.put(key, value)
    return value


def no_tracers(consts: Sequence[Any]) -> bool:
    """Derived Programs closing over tracers belong to one trace and cannot be cached."""
    return not any(isinstance(c, core.Tracer) for c in consts)
