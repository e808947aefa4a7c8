"""The public transformations and device functions: where the interpreters meet.

Each transformation wires one interpreter to pytrees in a module of its own
(funcgrad.jit, funcgrad.autodiff, funcgrad.custom_rules, funcgrad.vmap); this
module gathers them into the API that ``import funcgrad as fg`` exposes.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from funcgrad import core, tree
from funcgrad.array import Array, from_numpy
from funcgrad.autodiff import (grad, hessian, jacfwd, jacrev, jvp, linear_transpose, linearize,
                               stop_gradient, value_and_grad, vjp)
from funcgrad.config import cache_info, clear_caches
from funcgrad.custom_rules import checkpoint, custom_jvp, custom_vjp, remat
from funcgrad.jit import jit, make_ir
from funcgrad.vmap import vmap
from funcgrad.xla_backend import runtime

__all__ = ["jit", "make_ir", "grad", "value_and_grad", "jvp", "vjp", "linearize",
           "linear_transpose", "jacfwd", "jacrev", "hessian", "stop_gradient", "vmap",
           "custom_jvp", "custom_vjp", "checkpoint", "remat",
           "device_put", "device_get", "devices", "block_until_ready", "clear_caches",
           "cache_info"]


def devices(backend: str | None = None) -> list[Any]:
    """The devices XLA offers (GPU/TPU when present, else CPU)."""
    return runtime.devices(backend)


def device_put(x: Any, device: Any = None) -> Any:
    """Copy a pytree of arrays (NumPy, lists, scalars) to a device as funcgrad Arrays."""
    def put(leaf: Any) -> Any:
        if isinstance(leaf, core.Tracer):
            return leaf
        if type(leaf) is Array:
            if device is None or leaf.device == device:
                return leaf
            return Array(runtime.copy_to_device(leaf._buf, device), leaf.aval)
        return from_numpy(leaf, device=device)
    return tree.map(put, x)


def device_get(x: Any) -> Any:
    """A pytree of NumPy arrays with the values of `x` (Arrays are copied to host)."""
    return tree.map(lambda leaf: np.asarray(leaf) if type(leaf) is Array else leaf, x)


def block_until_ready(x: Any) -> Any:
    for leaf in tree.leaves(x):
        if type(leaf) is Array:
            leaf.block_until_ready()
    return x


