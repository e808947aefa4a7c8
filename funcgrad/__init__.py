"""funcgrad: composable grad, vmap and jit over immutable arrays, compiled by XLA.

    import funcgrad as fg, funcgrad.numpy as fnp
    f = fg.jit(lambda x, w: fnp.tanh(x @ w).sum(axis=0))
"""
from __future__ import annotations

import os as _os

_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")

from funcgrad import eager as _eager  # noqa: E402,F401  (installs eager execution)
from funcgrad import errors, tree  # noqa: E402
from funcgrad.api import block_until_ready, device_get, device_put, devices  # noqa: E402
from funcgrad.array import Array  # noqa: E402
from funcgrad.config import config  # noqa: E402
from funcgrad.jit import jit, make_ir  # noqa: E402
import funcgrad.numpy as numpy  # noqa: E402,F401
import funcgrad.lax as lax  # noqa: E402,F401
import funcgrad.random as random  # noqa: E402,F401
import funcgrad.scipy as scipy  # noqa: E402,F401
from funcgrad.vmap import vmap  # noqa: E402
from funcgrad.autodiff import (checkpoint, custom_jvp, custom_vjp, grad, hessian, jacfwd, jacrev, jvp, linear_transpose, linearize, remat, stop_gradient, value_and_grad, vjp)  # noqa: E402,E501

__version__ = "0.1.0"

__all__ = ["Array", "block_until_ready", "config", "device_get", "device_put", "devices",
           "errors", "jit", "lax", "make_ir", "numpy", "tree", "vmap",
           "checkpoint", "custom_jvp", "custom_vjp", "grad", "hessian", "jacfwd", "jacrev", "jvp",
           "linear_transpose", "linearize", "remat", "stop_gradient", "value_and_grad", "vjp"]
