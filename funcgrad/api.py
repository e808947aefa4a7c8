"""The public transformations and device functions: where the interpreters meet.

Each transformation wires one interpreter to pytrees in a module of its own
(funcgrad.jit, funcgrad.autodiff, funcgrad.custom_rules, funcgrad.vmap); this
module gathers them into the API that ``import funcgrad as fg`` exposes.
"""
from __future__ import annotations

from typing import Any

import math
from collections.abc import Sequence

import numpy as np

from funcgrad import core, dtypes, tree
from funcgrad.array import Array, from_numpy, put_sharded
from funcgrad.core import ShapedArray
from funcgrad.sharding import Mesh, NamedSharding, Sharding
from funcgrad.autodiff import (grad, hessian, jacfwd, jacobian, jacrev, jvp, linear_transpose,
                               linearize, stop_gradient, value_and_grad, vjp)
from funcgrad.config import cache_info, clear_caches
from funcgrad.custom_rules import closure_convert, custom_gradient, custom_jvp, custom_vjp
from funcgrad.remat import checkpoint, remat
from funcgrad.jit import jit, make_ir
from funcgrad.vmap import vmap
from funcgrad.xla_backend import runtime

__all__ = ["jit", "make_ir", "grad", "value_and_grad", "jvp", "vjp", "linearize",
           "linear_transpose", "jacfwd", "jacrev", "jacobian", "hessian", "stop_gradient", "vmap",
           "custom_jvp", "custom_vjp", "custom_gradient", "closure_convert", "checkpoint",
           "remat",
           "device_put", "device_get", "devices", "block_until_ready", "clear_caches",
           "cache_info", "make_mesh", "local_devices", "process_index", "process_count",
           "make_array_from_callback", "make_array_from_process_local_data"]


def devices(backend: str | None = None) -> list[Any]:
    """The devices XLA offers (GPU/TPU when present, else CPU)."""
    return runtime.devices(backend)


def device_put(x: Any, device: Any = None) -> Any:
    """Copy a pytree of arrays (NumPy, lists, scalars) to devices as funcgrad Arrays.

    `device`: a Device, a sharding (``NamedSharding(mesh, P("data"))``: each device
    gets its shard; a spec that does not fit an array raises before anything is
    copied), or None (Arrays stay where they are, other values go to the
    default device)."""
    if isinstance(device, Sharding):
        for leaf in tree.leaves(x):
            device.check(np.shape(leaf), "the array")

    def put(leaf: Any) -> Any:
        if isinstance(leaf, core.Tracer):
            return leaf
        if isinstance(device, Sharding):
            if type(leaf) is Array and leaf.sharding == device:
                return leaf
            return put_sharded(leaf, device)
        if type(leaf) is Array:
            if device is None or leaf.device == device:
                return leaf
            return from_numpy(leaf._value(), weak_type=leaf.aval.weak_type, device=device)
        return from_numpy(leaf, device=device)
    return tree.map(put, x)


def make_mesh(axis_shapes: Sequence[int], axis_names: Sequence[str], *,
              devices: Sequence[Any] | None = None) -> Mesh:
    """A Mesh of shape `axis_shapes` over `devices` (default: the first devices of
    ``fg.devices()``), e.g. ``fg.make_mesh((4, 2), ("data", "model"))``."""
    shape = tuple(int(n) for n in axis_shapes)
    if any(n < 1 for n in shape):
        raise ValueError(f"make_mesh: axis sizes must be positive, got {shape}")
    pool = list(runtime.devices() if devices is None else devices)
    need = math.prod(shape)
    if need > len(pool) or (devices is not None and need != len(pool)):
        hint = ("; on CPU, set FUNCGRAD_NUM_CPU_DEVICES before funcgrad starts to get more "
                "devices" if devices is None else "")
        raise ValueError(f"make_mesh: a mesh of shape {shape} needs {need} devices, but "
                         f"{len(pool)} {'are' if len(pool) != 1 else 'is'} given{hint}")
    return Mesh(np.array(pool[:need], dtype=object).reshape(shape), axis_names)


def device_get(x: Any) -> Any:
    """A pytree of NumPy arrays with the values of `x` (Arrays are copied to host)."""
    return tree.map(lambda leaf: np.asarray(leaf) if type(leaf) is Array else leaf, x)


def block_until_ready(x: Any) -> Any:
    for leaf in tree.leaves(x):
        if type(leaf) is Array:
            leaf.block_until_ready()
    return x




def local_devices() -> list[Any]:
    """The devices this process drives (a subset of ``fg.devices()`` when several
    processes share one runtime: see funcgrad.distributed)."""
    return runtime.local_devices()


def process_index() -> int:
    """This process's index among those sharing the runtime (0 when alone)."""
    return runtime.process_index()


def process_count() -> int:
    return runtime.process_count()


def make_array_from_callback(shape: Sequence[int], sharding: Sharding,
                             data_callback: Any) -> Array:
    """A global Array of `shape` laid out as `sharding`, each of this process's
    devices holding ``data_callback(index)`` (index: the tuple of slices of the
    global array that device holds). Nothing but this process's shards is
    ever made, so the whole array need not fit anywhere."""
    shape = tuple(int(n) for n in shape)
    if not isinstance(sharding, NamedSharding):
        return from_numpy(data_callback(tuple(slice(None) for _ in shape)),
                          device=getattr(sharding, "device", None))
    sharding.check(shape, "the array")
    mine = runtime.process_index()
    index_map = sharding.devices_indices_map(shape)
    local = [d for d in sharding.mesh.device_list if d.process_index == mine]
    blocks = [np.asarray(data_callback(index_map[d])) for d in local]
    dtype = dtypes.canonicalize(blocks[0].dtype) if blocks else dtypes.default_float()
    want = sharding.shard_shape(shape)
    for d, b in zip(local, blocks, strict=True):
        if b.shape != want:
            raise ValueError(f"make_array_from_callback: the callback gave a block of shape "
                             f"{b.shape} for device {d} (index {index_map[d]}), expected {want}")
    bufs = [runtime.to_device(b.astype(dtype, copy=False), d) for d, b in zip(local, blocks,
                                                                              strict=True)]
    return Array(runtime.assemble(shape, dtype, sharding, bufs), ShapedArray(shape, dtype),
                 sharding)


def make_array_from_process_local_data(sharding: Sharding, local_data: Any,
                                       global_shape: Sequence[int] | None = None) -> Array:
    """A global Array from each process's part of it: `local_data` is the block of
    the global array this process's devices hold under `sharding` (e.g. its rows
    of a batch split over a "data" axis). `global_shape` defaults to what that
    implies when every process holds an equal part."""
    data = np.asarray(local_data)
    if not isinstance(sharding, NamedSharding):
        return from_numpy(data, device=getattr(sharding, "device", None))
    mine = runtime.process_index()
    tiles, _, _ = sharding.tiles(data.ndim)
    tile_map = sharding.devices_indices_map(tuple(tiles[:data.ndim]))
    mine_tiles = [tile_map[d] for d in sharding.mesh.device_list if d.process_index == mine]
    lo = [min(ix[k].start or 0 for ix in mine_tiles) for k in range(data.ndim)]
    hi = [max(ix[k].stop if ix[k].stop is not None else tiles[k] for ix in mine_tiles)
          for k in range(data.ndim)]
    if global_shape is None:
        global_shape = tuple(n * tiles[k] // (hi[k] - lo[k]) for k, n in enumerate(data.shape))
    shape = tuple(int(n) for n in global_shape)
    sharding.check(shape, "the global array")
    tile = [shape[k] // tiles[k] for k in range(data.ndim)]
    start = [lo[k] * tile[k] for k in range(data.ndim)]
    if any(data.shape[k] != (hi[k] - lo[k]) * tile[k] for k in range(data.ndim)):
        raise ValueError(f"make_array_from_process_local_data: this process holds the part "
                         f"{[(a * t, b * t) for a, b, t in zip(lo, hi, tile, strict=True)]} of "
                         f"a {shape} array, of shape "
                         f"{tuple((b - a) * t for a, b, t in zip(lo, hi, tile, strict=True))}, "
                         f"but local_data has shape {data.shape}")

    def block(index: tuple[slice, ...]) -> np.ndarray:
        return data[tuple(slice((s.start or 0) - o, (s.stop if s.stop is not None else n) - o)
                          for s, o, n in zip(index, start, shape, strict=True))]
    return make_array_from_callback(shape, sharding, block)
