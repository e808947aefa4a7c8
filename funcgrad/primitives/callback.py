"""Host callbacks: primitives whose value a Python function computes on the host.

- ``pure_callback x... (callback, vmap_method)``: a function of its operands
  only; it may be dropped when its results are unused, and batched as
  `vmap_method` says.
- ``io_callback x... (callback, ordered)``: a function with side effects
  (writing a file, logging); always runs, in program order.
- ``debug_callback x... (callback)``: no results; what `funcgrad.debug`
  prints and calls. Always runs, in program order, on primal values.

The effectful two are in `funcgrad.ir.effectful`: no pass drops them and the
lowering threads one token through them, so a program runs its callbacks in
the order it was written. `callback` is a `HostCallback`: the user's function
wrapped to take and give flat NumPy arrays, with the result avals it promised.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from funcgrad import dtypes, ir
from funcgrad.core import Primitive, ShapedArray


class CallbackError(RuntimeError):
    """A host callback raised, or returned values that break its promise."""


class HostCheckError(Exception):
    """Base of the errors a check that funcgrad compiles into a program raises on the
    host (an out-of-bounds index under ``check_bounds``): they report the user's
    mistake, not a broken callback, so they reach the caller as themselves."""


class HostCallback:
    """The function a callback primitive runs: flat NumPy arrays in, a tuple of
    flat NumPy arrays out, checked against `result_avals`. Hashed by identity
    (every staging of a callback is its own), printed by its name."""

    __slots__ = ("fn", "name", "result_avals", "kind")

    def __init__(self, fn: Callable[..., Sequence[Any]], name: str,
                 result_avals: Sequence[ShapedArray], kind: str):
        self.fn = fn
        self.name = name
        self.result_avals = tuple(result_avals)
        self.kind = kind

    def __call__(self, *arrays: Any) -> tuple[np.ndarray, ...]:
        try:
            outs = self.fn(*arrays)
        except (CallbackError, HostCheckError):
            raise
        except Exception as e:
            raise CallbackError(f"{self.kind}: the callback {self.name} raised "
                                f"{type(e).__name__}: {e}") from e
        return self.check(outs)

    def check(self, outs: Sequence[Any]) -> tuple[np.ndarray, ...]:
        """`outs` as NumPy arrays of exactly the promised shapes and dtypes."""
        outs = tuple(outs)
        if len(outs) != len(self.result_avals):
            raise CallbackError(f"{self.kind}: the callback {self.name} returned {len(outs)} "
                                f"arrays where its result_shape_dtypes promise "
                                f"{len(self.result_avals)}")
        checked = []
        for i, (o, a) in enumerate(zip(outs, self.result_avals, strict=True)):
            arr = np.asarray(o)
            if isinstance(o, (bool, int, float, complex)) and arr.dtype != a.dtype:
                arr = arr.astype(a.dtype)      # a Python scalar takes the promised dtype
            if arr.shape != a.shape or arr.dtype != a.dtype:
                raise CallbackError(
                    f"{self.kind}: the callback {self.name} returned an array of shape "
                    f"{arr.shape} and dtype {arr.dtype} for result {i}, but "
                    f"result_shape_dtypes promise shape {a.shape} and dtype {a.dtype}; "
                    "return exactly that (e.g. np.asarray(y, dtype=...))")
            checked.append(arr if arr.flags.c_contiguous else np.array(arr, order="C"))
        return tuple(checked)

    def __repr__(self) -> str:
        return self.name


VMAP_METHODS = ("sequential", "sequential_unrolled", "expand_dims", "broadcast_all")


def _results(*avals: ShapedArray, callback: HostCallback, **params: Any) -> list[ShapedArray]:
    for a in avals:
        if a.dtype not in dtypes.SUPPORTED:
            raise TypeError(f"{callback.kind}: operand dtype {a.dtype} is not supported")
    return list(callback.result_avals)


pure_callback_p = Primitive("pure_callback", multiple_results=True)
pure_callback_p.def_abstract_eval(_results)

io_callback_p = Primitive("io_callback", multiple_results=True)
io_callback_p.def_abstract_eval(_results)

debug_callback_p = Primitive("debug_callback", multiple_results=True)
debug_callback_p.def_abstract_eval(_results)

ir.effectful.update((io_callback_p, debug_callback_p))

CALLBACKS = (pure_callback_p, io_callback_p, debug_callback_p)
