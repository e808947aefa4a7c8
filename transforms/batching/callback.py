"""Batching rules of the host callbacks. The host runs Python, so a batched callback
stays one custom call whose host function handles the whole batch:

- pure_callback follows its `vmap_method`: "sequential" (and
  "sequential_unrolled") call the function once per lane, in order, and stack
  the results; "expand_dims" calls it once, unbatched operands with a leading
  axis of 1; "broadcast_all" calls it once, every operand with the full batch
  axis. None raises, as JAX does: only the user knows whether the function
  broadcasts.
- debug_callback calls the function once per lane, in order: a `debug.print`
  under vmap prints each lane.
- io_callback calls it once per lane when unordered; an ordered one cannot be
  batched (the lanes would have no order), and raises.

The batch axis of every operand is moved to the front, results come back with
it in front.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from funcgrad import core
from funcgrad import primitives as P
from funcgrad.core import ShapedArray
from funcgrad.primitives.callback import HostCallback
from funcgrad.transforms.batching.interpreter import Dim, batch_rules, move_bdim


def _per_lane(fn: Callable[..., Sequence[Any]], batched: Sequence[bool],
              axis_size: int, n_out: int) -> Callable[..., list[Any]]:
    """A host function calling `fn` lane by lane (batched operands sliced, the
    others passed whole) and stacking each result along a new leading axis."""
    def run(*arrays: Any) -> list[Any]:
        lanes = [fn(*[a[i] if b else a for a, b in zip(arrays, batched, strict=True)])
                 for i in range(axis_size)]
        return [np.stack([np.asarray(lane[k]) for lane in lanes]) for k in range(n_out)]
    return run


def _batched_avals(cb: HostCallback, axis_size: int) -> list[ShapedArray]:
    return [a.update(shape=(axis_size, *a.shape)) for a in cb.result_avals]


def _front(args: Sequence[Any], dims: Sequence[Dim], axis_size: int) -> list[Any]:
    return [a if d is None else move_bdim(a, d, 0, axis_size) for a, d in zip(args, dims,
                                                                              strict=True)]


def _lanewise(prim: Any, axis_size: int, args: Sequence[Any], dims: Sequence[Dim],
              callback: HostCallback, **params: Any) -> tuple[list[Any], list[Dim]]:
    batched = [d is not None for d in dims]
    fn = _per_lane(callback.fn, batched, axis_size, len(callback.result_avals))
    cb = HostCallback(fn, callback.name, _batched_avals(callback, axis_size), callback.kind)
    outs = prim.bind(*_front(args, dims, axis_size), callback=cb, **params)
    return list(outs), [0] * len(outs)


def _pure_callback_batch(axis_size: int, args: Sequence[Any], dims: Sequence[Dim], *,
                         callback: HostCallback, vmap_method: str | None
                         ) -> tuple[list[Any], list[Dim]]:
    if vmap_method is None:
        raise NotImplementedError(
            f"vmap of pure_callback({callback.name}) needs to know how the callback "
            "handles a batch: pass vmap_method='sequential' (call it once per element), "
            "'expand_dims' (call it once; unbatched arguments get a leading axis of size 1) "
            "or 'broadcast_all' (call it once with every argument broadcast to the batch)")
    if vmap_method in ("sequential", "sequential_unrolled"):
        return _lanewise(P.pure_callback_p, axis_size, args, dims, callback,
                         vmap_method=vmap_method)
    if vmap_method == "expand_dims":
        ops = [a if d is not None else _leading_one(a)
               for a, d in zip(_front(args, dims, axis_size), dims, strict=True)]
    else:   # broadcast_all
        ops = [move_bdim(a, d, 0, axis_size) for a, d in zip(args, dims, strict=True)]
    cb = HostCallback(callback.fn, callback.name, _batched_avals(callback, axis_size),
                      callback.kind)
    outs = P.pure_callback_p.bind(*ops, callback=cb, vmap_method=vmap_method)
    return list(outs), [0] * len(outs)


def _leading_one(x: Any) -> Any:
    shape = core.get_aval(x).shape
    return P.broadcast_in_dim_p.bind(x, shape=(1, *shape),
                                     broadcast_dimensions=tuple(range(1, 1 + len(shape))))


def _io_callback_batch(axis_size: int, args: Sequence[Any], dims: Sequence[Dim], *,
                       callback: HostCallback, ordered: bool) -> tuple[list[Any], list[Dim]]:
    if ordered:
        raise ValueError(f"cannot vmap io_callback({callback.name}) with ordered=True: "
                         "the lanes of a batch have no order; pass ordered=False, or loop "
                         "with lax.scan / lax.map")
    return _lanewise(P.io_callback_p, axis_size, args, dims, callback, ordered=ordered)


def _debug_callback_batch(axis_size: int, args: Sequence[Any], dims: Sequence[Dim], *,
                          callback: HostCallback) -> tuple[list[Any], list[Dim]]:
    return _lanewise(P.debug_callback_p, axis_size, args, dims, callback)


batch_rules.update({
    P.pure_callback_p: _pure_callback_batch, P.io_callback_p: _io_callback_batch,
    P.debug_callback_p: _debug_callback_batch,
})
