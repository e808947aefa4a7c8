"""Host callbacks: Python functions a (possibly compiled) program calls on the host.

`pure_callback` is for a function of its arguments only (SciPy, a C library):
it may be skipped when its results are unused and is batched as `vmap_method`
says. `io_callback` is for a function with side effects: it always runs, in
program order with the other effectful callbacks and `funcgrad.debug`.

Called eagerly the function runs at once; staged (jit, control flow), the
program calls it through XLA's Python-callback custom call. Either way it gets
NumPy arrays and must return arrays of exactly the shapes and dtypes promised;
an exception in it surfaces as a `CallbackError` (a RuntimeError) naming the
callback, with the original exception as its cause, and the next call works.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from funcgrad import tree
from funcgrad import primitives as P
from funcgrad.array import from_numpy
from funcgrad.core import ShapedArray
from funcgrad.eager import host_impls
from funcgrad.errors import UnsupportedError
from funcgrad.ir import Literal
from funcgrad.numpy._util import asarray_operand
from funcgrad.primitives.callback import VMAP_METHODS, CallbackError, HostCallback

__all__ = ["CallbackError", "io_callback", "pure_callback"]


def _name(fn: Any) -> str:
    return getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None) or repr(fn)


def result_avals(kind: str, result_shape_dtypes: Any) -> tuple[list[ShapedArray], Any]:
    """The flat avals and tree of `result_shape_dtypes` (ShapeDtypeStructs, arrays or
    anything with .shape and .dtype; None for no result)."""
    leaves, out_tree = tree.flatten(result_shape_dtypes)
    avals = []
    for leaf in leaves:
        if not (hasattr(leaf, "shape") and hasattr(leaf, "dtype")):
            raise TypeError(f"{kind}: result_shape_dtypes must be a pytree of "
                            f"fg.ShapeDtypeStruct (or arrays), got a leaf {leaf!r}")
        avals.append(ShapedArray(tuple(int(d) for d in leaf.shape), np.dtype(leaf.dtype)))
    return avals, out_tree


def host_function(kind: str, callback: Callable[..., Any], in_tree: Any,
                  out_tree: Any) -> Callable[..., list[Any]]:
    """`callback` on flat NumPy arrays: the arguments unflattened to the caller's
    pytree, the result flattened after checking its structure."""
    def run(*flat: Any) -> list[Any]:
        args, kwargs = tree.unflatten(in_tree, list(flat))
        out = callback(*args, **kwargs)
        leaves, got = tree.flatten(out)
        if got != out_tree:
            raise CallbackError(f"{kind}: the callback {_name(callback)} returned a value of "
                                f"structure {got}, but result_shape_dtypes has structure "
                                f"{out_tree}")
        return leaves
    return run


def operands(args: Any, kwargs: Any) -> tuple[list[Any], Any]:
    leaves, in_tree = tree.flatten((args, kwargs))
    return [asarray_operand(x) for x in leaves], in_tree


def pure_callback(callback: Callable[..., Any], result_shape_dtypes: Any, *args: Any,
                  sharding: Any = None, vmap_method: str | None = None,
                  **kwargs: Any) -> Any:
    """Call `callback(*args, **kwargs)` on the host with NumPy arrays; it returns
    arrays matching `result_shape_dtypes`. Under vmap, `vmap_method` says how:
    "sequential" (once per element), "expand_dims" (once; unbatched arguments
    get a leading axis of 1), "broadcast_all" (once, all arguments batched)."""
    if vmap_method is not None and vmap_method not in VMAP_METHODS:
        raise ValueError(f"pure_callback: vmap_method must be one of {VMAP_METHODS} or "
                         f"None, got {vmap_method!r}")
    _no_sharding("pure_callback", sharding)
    avals, out_tree = result_avals("pure_callback", result_shape_dtypes)
    ops, in_tree = operands(args, kwargs)
    cb = HostCallback(host_function("pure_callback", callback, in_tree, out_tree),
                      _name(callback), avals, "pure_callback")
    outs = P.pure_callback_p.bind(*ops, callback=cb, vmap_method=vmap_method)
    return tree.unflatten(out_tree, list(outs))


def io_callback(callback: Callable[..., Any], result_shape_dtypes: Any, *args: Any,
                sharding: Any = None, ordered: bool = False, **kwargs: Any) -> Any:
    """Call `callback(*args, **kwargs)`, a function with side effects, on the host.
    It always runs, in program order; `ordered=True` also forbids batching it
    (under vmap an unordered one runs once per element)."""
    _no_sharding("io_callback", sharding)
    avals, out_tree = result_avals("io_callback", result_shape_dtypes)
    ops, in_tree = operands(args, kwargs)
    cb = HostCallback(host_function("io_callback", callback, in_tree, out_tree),
                      _name(callback), avals, "io_callback")
    outs = P.io_callback_p.bind(*ops, callback=cb, ordered=bool(ordered))
    return tree.unflatten(out_tree, list(outs))


def _no_sharding(kind: str, sharding: Any) -> None:
    if sharding is not None:
        raise UnsupportedError(f"{kind}: sharding= is not supported; funcgrad runs host "
                               "callbacks on the host of the default device (pass None)")


def _to_host(x: Any) -> Any:
    return np.asarray(x.val if type(x) is Literal else x)


def _run_on_host(*args: Any, callback: HostCallback, **params: Any) -> list[Any]:
    outs = callback(*[_to_host(a) for a in args])
    return [from_numpy(o) for o in outs]


for _prim in P.CALLBACKS:
    host_impls[_prim] = _run_on_host
