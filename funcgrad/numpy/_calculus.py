"""Differences, phases and bins: gradient, unwrap, digitize, histogram2d,
histogramdd. Each is differentiable where the math is (gradient and unwrap
with respect to the values) and works under jit (bin counts are static)."""
from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from funcgrad.numpy import _shape as SH
from funcgrad.numpy import _sorting as SO
from funcgrad.numpy import _ufuncs as U
from funcgrad.numpy._creation import asarray, zeros
from funcgrad.numpy._util import normalize_axis

__all__ = ["digitize", "gradient", "histogram2d", "histogramdd", "unwrap"]


def _sl(ndim: int, ax: int, s: slice) -> tuple[slice, ...]:
    return (slice(None),) * ax + (s,) + (slice(None),) * (ndim - ax - 1)


def _gradient_axis(f: Any, h: Any, ax: int, edge_order: int) -> Any:
    """Second-order central differences inside, first or second order at the ends
    (NumPy's formulas, for uniform spacing `h` (a scalar) or coordinates `h`)."""
    n = f.ndim
    coords = not (np.ndim(h) == 0)
    if coords:
        x = asarray(h).astype(f.dtype) if np.issubdtype(f.dtype, np.inexact) else asarray(h)
        dx = x[1:] - x[:-1]
        shape = [1] * n
        shape[ax] = -1
        dx1 = SH.reshape(dx[:-1], shape)
        dx2 = SH.reshape(dx[1:], shape)
        a = -dx2 / (dx1 * (dx1 + dx2))
        b = (dx2 - dx1) / (dx1 * dx2)
        c = dx1 / (dx2 * (dx1 + dx2))
        interior = (a * f[_sl(n, ax, slice(None, -2))] + b * f[_sl(n, ax, slice(1, -1))]
                    + c * f[_sl(n, ax, slice(2, None))])
    else:
        interior = (f[_sl(n, ax, slice(2, None))] - f[_sl(n, ax, slice(None, -2))]) / (2.0 * h)
    first = f[_sl(n, ax, slice(0, 1))]
    second = f[_sl(n, ax, slice(1, 2))]
    last = f[_sl(n, ax, slice(-1, None))]
    before = f[_sl(n, ax, slice(-2, -1))]
    if edge_order == 1:
        d0 = dx[0] if coords else h
        d1 = dx[-1] if coords else h
        lo = (second - first) / d0
        hi = (last - before) / d1
    else:
        third = f[_sl(n, ax, slice(2, 3))]
        before2 = f[_sl(n, ax, slice(-3, -2))]
        if coords:
            d1, d2 = dx[0], dx[1]
            a0 = -(2.0 * d1 + d2) / (d1 * (d1 + d2))
            b0 = (d1 + d2) / (d1 * d2)
            c0 = -d1 / (d2 * (d1 + d2))
            e1, e2 = dx[-2], dx[-1]
            a1 = e2 / (e1 * (e1 + e2))
            b1 = -(e2 + e1) / (e1 * e2)
            c1 = (2.0 * e2 + e1) / (e2 * (e1 + e2))
        else:
            a0, b0, c0 = -1.5 / h, 2.0 / h, -0.5 / h
            a1, b1, c1 = 0.5 / h, -2.0 / h, 1.5 / h
        lo = a0 * first + b0 * second + c0 * third
        hi = a1 * before2 + b1 * before + c1 * last
    return SH.concatenate([lo, interior, hi], axis=ax)


def gradient(f: Any, *varargs: Any, axis: Any = None,
             edge_order: int = 1) -> Any:
    a = asarray(f)
    if not np.issubdtype(a.dtype, np.inexact):
        a = a.astype(np.float64)
    axes = (tuple(range(a.ndim)) if axis is None else
            (normalize_axis(axis, a.ndim),) if np.ndim(axis) == 0 else
            tuple(normalize_axis(x, a.ndim) for x in axis))
    if edge_order not in (1, 2):
        raise ValueError("gradient: edge_order must be 1 or 2")
    if len(varargs) == 0:
        spacing: list[Any] = [1.0] * len(axes)
    elif len(varargs) == 1 and np.ndim(varargs[0]) == 0:
        spacing = [varargs[0]] * len(axes)
    elif len(varargs) == len(axes):
        spacing = list(varargs)
    else:
        raise TypeError("gradient: invalid number of arguments (one spacing per axis, or "
                        "one scalar for all)")
    outs = []
    for ax, h in zip(axes, spacing, strict=True):
        if a.shape[ax] < edge_order + 1:
            raise ValueError("gradient: shape of the array too small to calculate a numerical "
                             "gradient, at least (edge_order + 1) elements are required")
        if np.ndim(h) != 0 and np.shape(h)[0] != a.shape[ax]:
            raise ValueError("gradient: when 1-d, distances must match the length of the "
                             "corresponding dimension")
        outs.append(_gradient_axis(a, h, ax, edge_order))
    return outs[0] if len(outs) == 1 else tuple(outs)


def unwrap(p: Any, discont: Any = None, axis: int = -1, *, period: Any = 2 * np.pi) -> Any:
    """Phase unwrapping: jumps of at least `discont` (default period/2) replaced by
    their period complement, so the result is continuous (and differentiable in p).
    Integer phases with an integer period stay integers, as in NumPy."""
    a = asarray(p)
    ax = normalize_axis(axis, a.ndim)
    dtype = np.result_type(a.dtype, period)
    a = a.astype(dtype)
    if a.shape[ax] == 0:
        return a
    n = a.ndim
    dd = a[_sl(n, ax, slice(1, None))] - a[_sl(n, ax, slice(None, -1))]
    if discont is None:
        discont = period / 2
    if np.issubdtype(dtype, np.integer):
        high, rem = divmod(period, 2)
        ambiguous = rem == 0
    else:
        high, ambiguous = period / 2, True
    low = -high
    ddmod = U.remainder(dd - low, period) + low
    if ambiguous:
        ddmod = SO.where((ddmod == low) & (dd > 0), asarray(high, dtype), ddmod)
    correction = SO.where(U.absolute(dd) < discont, asarray(0, dtype), ddmod - dd)
    from funcgrad.numpy._reductions import cumsum
    csum = cumsum(correction, axis=ax)
    return SH.concatenate([a[_sl(n, ax, slice(0, 1))],
                           a[_sl(n, ax, slice(1, None))] + csum], axis=ax)


def digitize(x: Any, bins: Any, right: bool = False) -> Any:
    """The index of the bin each x falls in, for monotonic `bins` (increasing or
    decreasing: chosen from the bins' ends, traced or not)."""
    xs, b = asarray(x), asarray(bins)
    if b.ndim != 1:
        raise ValueError("digitize: bins must be 1-d")
    if np.issubdtype(xs.dtype, np.complexfloating):
        raise TypeError("digitize: x may not be complex")
    side = "left" if right else "right"
    up = SO.searchsorted(b, xs, side=side)
    rb = b[::-1]
    down = b.shape[0] - SO.searchsorted(rb, xs, side="left" if right else "right")
    if b.shape[0] == 0:
        return SH.broadcast_to(asarray(0), xs.shape)
    return SO.where(b[-1] >= b[0], up, down).astype(np.int64)


def histogramdd(sample: Any, bins: Any = 10, range: Any = None,  # noqa: A002
                density: Any = None, weights: Any = None) -> tuple[Any, list[Any]]:
    """Counts of `sample` (N points of D coordinates) in a D-dimensional grid of bins;
    each bin half-open except the last along every axis, which is closed."""
    from funcgrad.numpy._stats import histogram_bin_edges
    s = asarray(sample)
    if s.ndim == 1:
        s = s[:, None]
    if s.ndim != 2:
        raise ValueError("histogramdd: sample must be (N, D)")
    d = s.shape[1]
    bins_list = list(bins) if isinstance(bins, (list, tuple)) else [bins] * d
    ranges = list(range) if range is not None else [None] * d
    if len(bins_list) != d or len(ranges) != d:
        raise ValueError("histogramdd: the dimension of bins/range must equal that of the "
                         "sample")
    edges = [histogram_bin_edges(s[:, i], bins_list[i], ranges[i]) for i in builtins.range(d)]
    nbins = [e.shape[0] - 1 for e in edges]
    flat = asarray(0)
    inside = SH.broadcast_to(asarray(True), (s.shape[0],))
    for i in builtins.range(d):
        col, e, nb = s[:, i], edges[i], nbins[i]
        idx = SO.searchsorted(e, col, side="right") - 1
        idx = SO.where(col == e[-1], nb - 1, idx)
        inside = inside & (idx >= 0) & (idx < nb)
        flat = flat * nb + SH.clip(idx, 0, nb - 1)
    total = int(np.prod(nbins))
    flat = SO.where(inside, flat, total)
    if weights is None:
        vals: Any = SH.broadcast_to(asarray(1.0), (s.shape[0],))
    else:
        vals = asarray(weights)
    hist = zeros(total, np.result_type(vals.dtype, np.float64)).at[flat].add(vals, mode="drop")
    hist = SH.reshape(hist, tuple(nbins))
    if density:
        from funcgrad.numpy._reductions import sum as sum_
        vol = asarray(1.0)
        for i, e in enumerate(edges):
            w = e[1:] - e[:-1]
            shape = [1] * d
            shape[i] = -1
            vol = vol * SH.reshape(w, shape)
        hist = hist / vol / sum_(hist)
    return hist, edges


def histogram2d(x: Any, y: Any, bins: Any = 10, range: Any = None,  # noqa: A002
                density: Any = None, weights: Any = None) -> tuple[Any, Any, Any]:
    xs, ys = asarray(x), asarray(y)
    if xs.shape != ys.shape or xs.ndim != 1:
        raise ValueError("histogram2d: x and y must be 1-d arrays of the same length")
    if not isinstance(bins, (list, tuple)) and np.ndim(bins) == 1:
        bins = [bins, bins]
    hist, edges = histogramdd(SH.stack([xs, ys], axis=1), bins, range, density, weights)
    return hist, edges[0], edges[1]
