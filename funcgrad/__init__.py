"""funcgrad: composable grad, vmap and jit over immutable arrays, compiled by XLA.

    import funcgrad as fg, funcgrad.numpy as fnp
    f = fg.jit(lambda x, w: fnp.tanh(x @ w).sum(axis=0))
"""
from __future__ import annotations

import os as _os

_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")

from funcgrad import core as _core
from funcgrad import eager as _eager

# core imports no executor; the bottom trace runs primitives with this one (before
# anything below can bind a primitive eagerly)
_core.eval_trace.set_executor(_eager.apply_primitive)

from funcgrad import errors, tree
from funcgrad.api import (block_until_ready, cache_info, checkpoint, clear_caches, custom_jvp,
                          custom_vjp, device_get, device_put, devices, grad, hessian, jacfwd,
                          jacrev, jit, jvp, linear_transpose, linearize, local_devices,
                          make_array_from_callback, make_array_from_process_local_data, make_ir,
                          make_mesh, process_count, process_index, remat, stop_gradient,
                          value_and_grad, vjp, vmap)
from funcgrad.array import Array
from funcgrad.callbacks import CallbackError, io_callback, pure_callback
from funcgrad.shape_dtype import ShapeDtypeStruct
from funcgrad.api import jacobian
from funcgrad.scopes import disable_jit, ensure_compile_time_eval, named_scope
from funcgrad.shape_eval import eval_shape
from funcgrad.shard_map import shard_map
from funcgrad.api import closure_convert, custom_gradient
import funcgrad.checkpoint_policies as checkpoint_policies  # noqa: F401
import funcgrad.ad_checkpoint as ad_checkpoint  # noqa: F401
from funcgrad.config import config
import funcgrad.numpy as numpy  # noqa: F401
import funcgrad.lax as lax  # noqa: F401
import funcgrad.random as random  # noqa: F401
import funcgrad.scipy as scipy  # noqa: F401
import funcgrad.sharding as sharding  # noqa: F401
import funcgrad.distributed as distributed  # noqa: F401
import funcgrad.tree_util as tree_util  # noqa: F401
import funcgrad.debug as debug  # noqa: F401
import funcgrad.debug_nans as _debug_nans  # noqa: F401 (installs the NaN check)
import funcgrad.nn as nn  # noqa: F401
from funcgrad.scipy.integrate import odeint

__version__ = "0.1.0"

__all__ = ["Array", "block_until_ready", "cache_info", "checkpoint", "clear_caches", "config",
           "custom_jvp", "custom_vjp", "device_get", "device_put", "devices",
           "distributed", "errors", "grad", "hessian", "jacfwd", "jacrev", "jit", "jvp",
           "lax", "linear_transpose", "linearize", "local_devices",
           "make_array_from_callback", "make_array_from_process_local_data", "make_ir",
           "make_mesh", "numpy", "process_count", "process_index", "random", "remat",
           "scipy", "shard_map", "sharding", "stop_gradient", "tree", "value_and_grad",
           "vjp", "vmap"]
__all__ += ["CallbackError", "ShapeDtypeStruct", "debug", "io_callback", "pure_callback"]
__all__ += ["tree_util"]
__all__ += ["disable_jit", "ensure_compile_time_eval", "eval_shape", "jacobian", "named_scope"]
__all__ += ["ad_checkpoint", "checkpoint_policies", "closure_convert", "custom_gradient"]
__all__ += ["nn"]
__all__ += ["odeint"]
