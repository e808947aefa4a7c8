"""NumPy's `pad` (every mode but callables) and `convolve`/`correlate`,
composed from slices, reversals, concatenations and `pad`/`dot_general`
primitives, so they differentiate and batch like any composition."""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from funcgrad import dtypes
from funcgrad import primitives as P
from funcgrad.core import Tracer
from funcgrad.errors import UnsupportedError
from funcgrad.numpy._contract import dot
from funcgrad.numpy._creation import arange
from funcgrad.numpy._elementwise import round as round_
from funcgrad.numpy._extras import _cat, _op, _rev, _shape, _slice_axis, _zero
from funcgrad.numpy._reductions import max as max_, mean, min as min_
from funcgrad.numpy._shape import broadcast_to, reshape
from funcgrad.numpy._stats import median
from funcgrad.numpy._ufuncs import add, conj as conj_, divide, floor, multiply, not_equal, subtract
from funcgrad.numpy._util import aval_of, convert, promote


# ---------------------------------------------------------------------------
# padding

_PAD_MODES = ("constant", "edge", "linear_ramp", "maximum", "mean", "minimum", "reflect",
              "symmetric", "wrap", "empty", "median")


def _pairs(v: Any, nd: int, what: str, cast: Any = int) -> list[tuple[Any, Any]]:
    """NumPy's broadcasting of pad_width-like arguments to one (before, after) per axis."""
    arr = np.asarray(v, dtype=object)
    if arr.ndim == 0:
        return [(cast(arr.item()), cast(arr.item()))] * nd
    if arr.ndim == 1 and arr.shape[0] == 1:
        return [(cast(arr[0]), cast(arr[0]))] * nd
    if arr.ndim == 1 and arr.shape[0] == 2:
        return [(cast(arr[0]), cast(arr[1]))] * nd
    if arr.ndim == 2 and arr.shape[1] in (1, 2) and arr.shape[0] in (1, nd):
        rows = [(cast(r[0]), cast(r[-1])) for r in arr]
        return rows * nd if len(rows) == 1 else rows
    raise ValueError(f"pad: {what} of shape {arr.shape} cannot be broadcast to ({nd}, 2)")


def _edge_block(x: Any, axis: int, at_end: bool, width: int) -> Any:
    n = _shape(x)[axis]
    edge = _slice_axis(x, axis, n - 1, n) if at_end else _slice_axis(x, axis, 0, 1)
    shp = list(_shape(x))
    shp[axis] = width
    return broadcast_to(edge, tuple(shp))


def _stat_block(x: Any, axis: int, at_end: bool, width: int, length: int | None,
                stat: str) -> Any:
    n = _shape(x)[axis]
    k = n if length is None else max(1, min(int(length), n))
    part = _slice_axis(x, axis, n - k, n) if at_end else _slice_axis(x, axis, 0, k)
    if stat == "mean":
        v = mean(part, axis=axis, keepdims=True)
        if not dtypes.is_inexact(aval_of(x).dtype):
            v = round_(v)
    elif stat == "median":
        v = median(part, axis=axis, keepdims=True)
        if not dtypes.is_inexact(aval_of(x).dtype):
            v = round_(v)
    else:
        v = (max_ if stat == "maximum" else min_)(part, axis=axis, keepdims=True)
    shp = list(_shape(x))
    shp[axis] = width
    return broadcast_to(convert(v, aval_of(x).dtype), tuple(shp))


def _ramp_block(x: Any, axis: int, at_end: bool, width: int, end: Any) -> Any:
    n = _shape(x)[axis]
    edge = _slice_axis(x, axis, n - 1, n) if at_end else _slice_axis(x, axis, 0, 1)
    dt = aval_of(x).dtype
    fdt = dt if dtypes.is_inexact(dt) else dtypes.default_float()
    # like NumPy: linspace(end, edge, width, endpoint=False) = i * step + end, floored
    # for integer arrays; mirrored on the right
    shp = [1] * aval_of(x).ndim
    shp[axis] = width
    i = reshape(arange(width, dtype=fdt), tuple(shp))
    end_v = convert(_op(end), fdt)
    step = divide(subtract(convert(edge, fdt), end_v), float(width))
    ramp = add(multiply(i, step), end_v)
    if at_end:
        ramp = _rev(ramp, axis)
    if dtypes.is_integer(dt):
        ramp = floor(ramp)
    return convert(ramp, dt)


def _reflect_axis(x: Any, axis: int, before: int, after: int, symmetric: bool,
                  odd: bool) -> Any:
    """Pad by mirror images, extending in rounds of at most one period like NumPy."""
    period = _shape(x)[axis]
    cur = x
    while before > 0 or after > 0:
        n = _shape(cur)[axis]
        if symmetric:
            avail = n // period * period
        else:
            avail = (n - 1) // (period - 1) * (period - 1)
        new_parts = []
        if before > 0:
            c = min(avail, before)
            lo = 0 if symmetric else 1
            chunk = _rev(_slice_axis(cur, axis, lo, lo + c), axis)
            if odd:
                chunk = subtract(multiply(_slice_axis(cur, axis, 0, 1), 2), chunk)
            new_parts.append(convert(chunk, aval_of(x).dtype))
            before -= c
        new_parts.append(cur)
        if after > 0:
            c = min(avail, after)
            hi = n if symmetric else n - 1
            chunk = _rev(_slice_axis(cur, axis, hi - c, hi), axis)
            if odd:
                chunk = subtract(multiply(_slice_axis(cur, axis, n - 1, n), 2), chunk)
            new_parts.append(convert(chunk, aval_of(x).dtype))
            after -= c
        cur = _cat(new_parts, axis)
    return cur


def _wrap_axis(x: Any, axis: int, before: int, after: int) -> Any:
    n = _shape(x)[axis]
    total = before + n + after
    start = (-before) % n
    copies = -(-(start + total) // n)
    big = _cat([x] * copies, axis)
    return _slice_axis(big, axis, start, start + total)


def pad(array: Any, pad_width: Any, mode: str = "constant", **kwargs: Any) -> Any:
    """NumPy's pad: modes constant, edge, reflect, symmetric, wrap, linear_ramp,
    maximum, minimum, mean, median and empty (as constant 0).

    Args:
      pad_width: an int, (before, after) or one (before, after) per axis.
      constant_values, end_values, stat_length, reflect_type: as in NumPy.
    Example: ``pad(x, ((1, 2),), mode="reflect")``.
    """
    x = _op(array)
    nd = aval_of(x).ndim
    if callable(mode):
        raise UnsupportedError("funcgrad.numpy.pad: a callable mode is not supported")
    if mode not in _PAD_MODES:
        raise ValueError(f"pad: mode {mode!r} is not supported; use one of {_PAD_MODES}")
    allowed = {"constant": {"constant_values"}, "linear_ramp": {"end_values"},
               "maximum": {"stat_length"}, "minimum": {"stat_length"},
               "mean": {"stat_length"}, "median": {"stat_length"},
               "reflect": {"reflect_type"}, "symmetric": {"reflect_type"}}.get(mode, set())
    bad = set(kwargs) - allowed
    if bad:
        raise ValueError(f"pad: unsupported keyword arguments for mode {mode!r}: "
                         f"{sorted(bad)}")
    if nd == 0:
        return x
    if isinstance(pad_width, Tracer):
        raise TypeError("funcgrad.numpy.pad: pad_width must be static")
    widths = _pairs(pad_width, nd, "pad_width")
    if any(b < 0 or a < 0 for b, a in widths):
        raise ValueError("pad: index can't contain negative values")
    dt = aval_of(x).dtype
    if mode in ("constant", "empty"):
        cv = kwargs.get("constant_values", 0)
        if isinstance(cv, Tracer) or (not isinstance(cv, (int, float, complex, bool,
                                                          np.generic, list, tuple,
                                                          np.ndarray)) and cv is not None):
            vals = [(cv, cv)] * nd
        else:
            vals = _pairs(cv, nd, "constant_values", cast=lambda v: v)
        for ax, ((b, a), (vb, va)) in enumerate(zip(widths, vals, strict=True)):
            if b == 0 and a == 0:
                continue
            cfg = [(0, 0, 0)] * nd
            if _same_scalar(vb, va):
                cfg[ax] = (b, a, 0)
                x = P.pad_p.bind(x, _pad_value(vb, dt), padding_config=tuple(cfg))
            else:
                cfg[ax] = (b, 0, 0)
                x = P.pad_p.bind(x, _pad_value(vb, dt), padding_config=tuple(cfg))
                cfg[ax] = (0, a, 0)
                x = P.pad_p.bind(x, _pad_value(va, dt), padding_config=tuple(cfg))
        return x
    for ax, (b, a) in enumerate(widths):
        if (b or a) and _shape(x)[ax] == 0:
            raise ValueError(f"pad: can't extend empty axis {ax} using modes other than "
                             "'constant' or 'empty'")
    if mode == "edge":
        for ax, (b, a) in enumerate(widths):
            x = _cat([_edge_block(x, ax, False, b), x, _edge_block(x, ax, True, a)], ax)
        return x
    if mode in ("reflect", "symmetric"):
        odd = kwargs.get("reflect_type", "even") == "odd"
        if kwargs.get("reflect_type", "even") not in ("even", "odd"):
            raise ValueError("pad: reflect_type must be 'even' or 'odd'")
        for ax, (b, a) in enumerate(widths):
            if b == 0 and a == 0:
                continue
            if _shape(x)[ax] == 1:      # a single value mirrors into copies of itself
                x = _cat([_edge_block(x, ax, False, b), x, _edge_block(x, ax, True, a)], ax)
                continue
            x = _reflect_axis(x, ax, b, a, mode == "symmetric", odd)
        return x
    if mode == "wrap":
        for ax, (b, a) in enumerate(widths):
            if b or a:
                x = _wrap_axis(x, ax, b, a)
        return x
    if mode == "linear_ramp":
        ends = _pairs(kwargs.get("end_values", 0), nd, "end_values", cast=lambda v: v)
        for ax, ((b, a), (eb, ea)) in enumerate(zip(widths, ends, strict=True)):
            parts = []
            if b:
                parts.append(_ramp_block(x, ax, False, b, eb))
            parts.append(x)
            if a:
                parts.append(_ramp_block(x, ax, True, a, ea))
            x = _cat(parts, ax)
        return x
    # maximum, minimum, mean, median: statistics of (part of) the original axis
    lengths = kwargs.get("stat_length")
    lens = [(None, None)] * nd if lengths is None else _pairs(lengths, nd, "stat_length")
    for ax, ((b, a), (lb, la)) in enumerate(zip(widths, lens, strict=True)):
        if b == 0 and a == 0:
            continue
        parts = [_stat_block(x, ax, False, b, lb, mode)] if b else []
        parts.append(x)
        if a:
            parts.append(_stat_block(x, ax, True, a, la, mode))
        x = _cat(parts, ax)
    return x


def _same_scalar(a: Any, b: Any) -> bool:
    if a is b:
        return True
    if isinstance(a, Tracer) or isinstance(b, Tracer):
        return False
    try:
        return bool(np.asarray(a == b).all()) and np.shape(a) == () and np.shape(b) == ()
    except (TypeError, ValueError):
        return False


def _pad_value(v: Any, dt: np.dtype) -> Any:
    if isinstance(v, (bool, int, float, complex, np.generic)):
        if dtypes.is_integer(dt) and isinstance(v, float):
            v = math.trunc(v)
        return convert(np.asarray(v).astype(dt)[()], dt)
    op = _op(v)
    if aval_of(op).shape != ():
        raise ValueError("pad: constant_values must be scalars (or pairs of scalars) per "
                         "axis")
    return convert(op, dt)


# ---------------------------------------------------------------------------
# convolution


def _windows(a: Any, m: int) -> Any:
    """W[k, j] = a[j + k] for k < m, j <= len(a) - m: every length-m window, as columns.

    Built from a broadcast, a reshape and a slice (no gather): rows of the
    (m, L) broadcast of `a`, read at stride L + 1, step one element per row.
    """
    length = _shape(a)[0]
    cols = length - m + 1
    rows = broadcast_to(a[None, :], (m, length))
    flat = reshape(rows, (m * length,))
    flat = P.pad_p.bind(flat, _zero(aval_of(a).dtype), padding_config=((0, m, 0),))
    skew = reshape(flat, (m, length + 1))
    return skew[:, :cols]


def _correlate_full(a: Any, v: Any, conj: bool) -> Any:
    n, m = _shape(a)[0], _shape(v)[0]
    if n == 0 or m == 0:
        raise ValueError("convolve/correlate: inputs cannot be empty")
    dt = aval_of(a).dtype
    work = dtypes.int64 if dt == dtypes.bool_ else dt
    a, v = convert(a, work), convert(v, work)
    if conj and dtypes.is_complex(work):
        v = conj_(v)
    padded = P.pad_p.bind(a, _zero(work), padding_config=((m - 1, m - 1, 0),))
    out = dot(v, _windows(padded, m))            # out[j] = sum_k v[k] a_pad[j + k]
    return not_equal(out, 0) if dt == dtypes.bool_ else out


def _mode_slice(full: Any, n: int, m: int, mode: str, fname: str) -> Any:
    if mode == "full":
        return full
    if mode == "same":
        size = max(n, m)
        start = (min(n, m) - 1) // 2
        return full[start:start + size]
    if mode == "valid":
        size = max(n, m) - min(n, m) + 1
        start = min(n, m) - 1
        return full[start:start + size]
    raise ValueError(f"{fname}: mode must be 'full', 'same' or 'valid', got {mode!r}")


def correlate(a: Any, v: Any, mode: str = "valid") -> Any:
    """Cross-correlation of 1-d sequences: c[k] = sum_n a[n + k] * conj(v[n])."""
    x, y = (_op(t) for t in promote(a, v))
    if aval_of(x).ndim != 1 or aval_of(y).ndim != 1:
        raise ValueError("correlate: object too deep for desired array (inputs must be 1-d)")
    n, m = _shape(x)[0], _shape(y)[0]
    if mode not in ("full", "same", "valid"):
        raise ValueError(f"correlate: mode must be 'full', 'same' or 'valid', got {mode!r}")
    full = _correlate_full(x, y, True)
    if m > n:
        # NumPy correlates the swapped operands (whose full result is this one reversed),
        # cuts 'same'/'valid' from that, and reverses back
        return _rev(_mode_slice(_rev(full, 0), n, m, mode, "correlate"), 0)
    return _mode_slice(full, n, m, mode, "correlate")


def convolve(a: Any, v: Any, mode: str = "full") -> Any:
    """Discrete linear convolution of 1-d sequences: c[k] = sum_n a[n] * v[k - n]."""
    x, y = (_op(t) for t in promote(a, v))
    if aval_of(x).ndim != 1 or aval_of(y).ndim != 1:
        raise ValueError("convolve: object too deep for desired array (inputs must be 1-d)")
    n, m = _shape(x)[0], _shape(y)[0]
    if mode not in ("full", "same", "valid"):
        raise ValueError(f"convolve: mode must be 'full', 'same' or 'valid', got {mode!r}")
    if m > n:
        x, y, n, m = y, x, m, n
    full = _correlate_full(x, _rev(y, 0), False)
    return _mode_slice(full, n, m, mode, "convolve")
