"""`detrend`: SciPy's least-squares detrending, shared by the signal namespace and the
spectral estimates (which detrend each segment).

A line is fitted in closed form on each piece between breakpoints (the mean,
plus the slope against centred sample positions), so the residual is a fixed
linear map of the data: differentiable and batchable. Breakpoints are static.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

import funcgrad.numpy as fnp
from funcgrad.numpy._eager import eager_jit


def detrend(data: Any, axis: int = -1, type: str = "linear",  # noqa: A002  (SciPy's name)
            bp: int | Sequence[int] | np.ndarray = 0, overwrite_data: Any = None) -> Any:
    """Remove the least-squares constant or line from `data` (SciPy's `scipy.signal.detrend`).

    Args:
      data: the signal(s).
      axis: the axis along which to detrend.
      type: "linear" ("l"): subtract a straight-line fit, piecewise between the
        breakpoints `bp`; "constant" ("c"): subtract the mean.
      bp: breakpoints (static indices along `axis`) for "linear".
      overwrite_data: must stay None: funcgrad arrays are immutable.

    Raises:
      ValueError: on an unknown type, breakpoints outside [0, N], or an axis out of range.
      NotImplementedError: on `overwrite_data` other than None.

    Example:
      >>> detrend(fnp.array([1.0, 2.0, 4.0]))   # [-1/6, 1/3, -1/6]
    """
    if overwrite_data is not None:
        raise NotImplementedError("funcgrad.scipy.signal.detrend: overwrite_data must be None; "
                                  "funcgrad arrays are never overwritten")
    if type not in ("linear", "l", "constant", "c"):
        raise ValueError(f"funcgrad.scipy.signal.detrend: type must be 'linear' or 'constant', "
                         f"got {type!r}")
    breaks = tuple(int(v) for v in np.asarray(bp, dtype=np.int64).ravel())
    return _detrend(data, axis, type, breaks)


@eager_jit(static_argnames=("axis", "type", "bp"))
def _detrend(data: Any, axis: int, type: str, bp: tuple[int, ...]) -> Any:  # noqa: A002
    x = fnp.asarray(data)
    if not fnp.issubdtype(x.dtype, fnp.inexact):
        x = x.astype(fnp.float64)
    if not -x.ndim <= axis < x.ndim:
        raise ValueError(f"funcgrad.scipy.signal.detrend: axis {axis} is out of range for data "
                         f"of rank {x.ndim}")
    if type in ("constant", "c"):
        return x - fnp.mean(x, axis=axis, keepdims=True)
    n = x.shape[axis]
    edges = np.unique(np.r_[0, np.asarray(bp, dtype=np.int64), n])
    if edges[0] < 0 or edges[-1] > n:
        raise ValueError(f"funcgrad.scipy.signal.detrend: breakpoints must lie in [0, {n}], "
                         f"got {bp!r}")
    moved = fnp.moveaxis(x, axis, -1)
    pieces = []
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        seg = moved[..., int(lo):int(hi)]
        t = np.arange(hi - lo, dtype=np.float64)
        t = t - t.mean()
        resid = seg - fnp.mean(seg, axis=-1, keepdims=True)
        tt = float(t @ t)
        if tt > 0:
            # The fitted line is mean + slope * centred t; the mean is already gone.
            tc = fnp.asarray(t.astype(fnp.real(resid[..., :1]).dtype))
            slope = fnp.sum(resid * tc, axis=-1, keepdims=True) / tt
            resid = resid - slope * tc
        pieces.append(resid)
    return fnp.moveaxis(fnp.concatenate(pieces, axis=-1), -1, axis)
