"""Functions that apply functions: apply_along_axis (through vmap, so the
function is compiled once and differentiable), apply_over_axes, piecewise."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from funcgrad.numpy import _shape as SH
from funcgrad.numpy import _sorting as SO
from funcgrad.numpy._creation import asarray, zeros
from funcgrad.numpy._util import normalize_axis

__all__ = ["apply_along_axis", "apply_over_axes", "piecewise"]


def apply_along_axis(func1d: Callable[..., Any], axis: int, arr: Any, *args: Any,
                     **kwargs: Any) -> Any:
    """func1d applied to every 1-d slice along `axis`: vmapped over the other axes,
    its result's dimensions take the place of `axis` (as in NumPy)."""
    from funcgrad.vmap import vmap
    a = asarray(arr)
    ax = normalize_axis(axis, a.ndim)
    moved = SH.moveaxis(a, ax, -1)
    batch = moved.shape[:-1]
    fn: Callable[..., Any] = lambda v: asarray(func1d(v, *args, **kwargs))  # noqa: E731
    for _ in batch:
        fn = vmap(fn)
    out = fn(moved)
    extra = out.ndim - len(batch)
    return SH.moveaxis(out, tuple(range(len(batch), out.ndim)),
                       tuple(range(ax, ax + extra))) if extra else out


def apply_over_axes(func: Callable[[Any, int], Any], a: Any, axes: Any) -> Any:
    val = asarray(a)
    for axis in ([axes] if np.ndim(axes) == 0 else list(axes)):
        ax = normalize_axis(int(axis), val.ndim)
        res = asarray(func(val, ax))
        if res.ndim == val.ndim:
            val = res
        elif res.ndim == val.ndim - 1:
            val = SH.expand_dims(res, ax)
        else:
            raise ValueError("apply_over_axes: function is not returning an array of the "
                             "correct shape")
    return val


def piecewise(x: Any, condlist: Any, funclist: Sequence[Any], *args: Any, **kw: Any) -> Any:
    """Each function (or constant) of `funclist` where its condition holds (the last
    one, if there is one more function than conditions, where none does; later
    conditions win, as in NumPy). Every function is evaluated on all of x."""
    xs = asarray(x)
    if isinstance(condlist, (list, tuple)) and not (len(condlist) and np.ndim(condlist[0]) == 0
                                                    and xs.ndim != 0):
        conds = [asarray(c) for c in condlist]
    else:
        c = asarray(condlist)
        conds = [c] if c.ndim == xs.ndim else [c[i] for i in range(c.shape[0])]
    n = len(conds)
    if len(funclist) not in (n, n + 1):
        raise ValueError(f"piecewise: with {n} condition(s), {n} or {n + 1} functions are "
                         f"expected, got {len(funclist)}")
    if len(funclist) == n + 1:
        none = ~SH.broadcast_to(asarray(False), xs.shape)
        for c in conds:
            none = none & ~c
        conds = [*conds, none]
    out = zeros(xs.shape, xs.dtype)
    for c, f in zip(conds, funclist, strict=True):
        val = f(xs, *args, **kw) if callable(f) else f
        out = SO.where(SH.broadcast_to(c.astype(bool), xs.shape),
                       asarray(val).astype(xs.dtype), out)
    return out
