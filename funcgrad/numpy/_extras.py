"""Everyday NumPy built from primitives: diagonals and triangles, flips and rolls,
tiling and splitting, polynomials, interpolation and a few elementwise
helpers (padding and convolution are in `_pad`).

Every function here is a composition (slices, pads, concatenations, selects,
dot_general), so it is differentiable and batchable wherever its primitives
are. Shapes, axes and modes are static Python values; arrays may be traced.
`einsum` lives in `_einsum`, statistics (nan-reductions, quantiles,
histogram, cov) in `_stats`; both are built on this module.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from funcgrad import dtypes
from funcgrad import primitives as P
from funcgrad.core import Tracer
from funcgrad.numpy._advanced import take
from funcgrad.numpy._creation import arange, asarray, ones_like, zeros, zeros_like
from funcgrad.numpy._eager import eager_jit
from funcgrad.numpy._elementwise import imag, real
from funcgrad.numpy._reductions import cumprod, cumsum, sum as sum_
from funcgrad.numpy._shape import (broadcast_to, clip, concatenate, expand_dims, moveaxis, ravel,
                                   reshape, stack, transpose)
from funcgrad.numpy._sorting import argsort, searchsorted, where
from funcgrad.numpy._ufuncs import (Ufunc, _logaddexp_base, abs as abs_, add, arctan2, divide,
                                    equal, greater, isnan, less, minimum, mod, multiply,
                                    not_equal, sin, subtract)
from funcgrad.numpy._util import (asarray_operand, aval_of, convert, normalize_axes,
                                  normalize_axis, promote, reject)

# ---------------------------------------------------------------------------
# small helpers


def _op(x: Any) -> Any:
    return asarray_operand(x)


def _shape(x: Any) -> tuple[int, ...]:
    return aval_of(x).shape


def _slice_axis(x: Any, axis: int, start: int, stop: int, step: int = 1) -> Any:
    shp = _shape(x)
    lo = [0] * len(shp)
    hi = list(shp)
    st = [1] * len(shp)
    lo[axis], hi[axis], st[axis] = start, stop, step
    if tuple(lo) == (0,) * len(shp) and tuple(hi) == shp and step == 1:
        return x
    return P.slice_p.bind(x, start_indices=tuple(lo), limit_indices=tuple(hi),
                          strides=tuple(st))


def _rev(x: Any, axis: int) -> Any:
    return P.rev_p.bind(x, dimensions=(axis,))


def _cat(xs: Sequence[Any], axis: int) -> Any:
    xs = [x for x in xs if _shape(x)[axis] > 0] or list(xs[:1])
    return xs[0] if len(xs) == 1 else P.concatenate_p.bind(*xs, dimension=axis)


def _zero(dt: np.dtype) -> Any:
    return convert(0, dt)


def _static_int(v: Any, fname: str, what: str) -> int:
    if isinstance(v, Tracer):
        raise TypeError(f"funcgrad.numpy.{fname}: {what} must be a static integer, got a "
                        "traced value")
    try:
        return int(np.asarray(v).item()) if not isinstance(v, (int, np.integer)) else int(v)
    except (TypeError, ValueError):
        raise TypeError(f"funcgrad.numpy.{fname}: {what} must be an integer, got "
                        f"{v!r:.60}") from None


# ---------------------------------------------------------------------------
# diagonals and triangles


def diagonal(a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Any:
    """The diagonal of `a` over `axis1`, `axis2` (NumPy's: it becomes the last axis).

    Computed as one strided slice of the flattened last two axes, so its
    transpose (for gradients) is a pad.
    """
    x = _op(a)
    nd = aval_of(x).ndim
    if nd < 2:
        raise ValueError(f"diagonal requires an array of at least two dimensions, got "
                         f"shape {_shape(x)}")
    ax1, ax2 = normalize_axis(axis1, nd, "axis1"), normalize_axis(axis2, nd, "axis2")
    if ax1 == ax2:
        raise ValueError("diagonal: axis1 and axis2 cannot be the same")
    x = moveaxis(x, (ax1, ax2), (-2, -1))
    *batch, n, m = _shape(x)
    offset = _static_int(offset, "diagonal", "offset")
    count = max(0, min(n, m - offset)) if offset >= 0 else max(0, min(n + offset, m))
    flat = reshape(x, (*batch, n * m))
    if count == 0:
        return _slice_axis(flat, len(batch), 0, 0)
    start = offset if offset >= 0 else -offset * m
    return _slice_axis(flat, len(batch), start, start + (count - 1) * (m + 1) + 1, m + 1)


def trace(a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1, dtype: Any = None,
          out: Any = None) -> Any:
    """Sum of the diagonal (NumPy's accumulation dtypes: small ints sum as int64)."""
    reject("trace", out=out)
    return sum_(diagonal(a, offset, axis1, axis2), axis=-1, dtype=dtype)


def diag(v: Any, k: int = 0) -> Any:
    """The k-th diagonal of a 2-d array, or a 2-d array with 1-d `v` on its k-th diagonal."""
    x = _op(v)
    nd = aval_of(x).ndim
    k = _static_int(k, "diag", "k")
    if nd == 2:
        return diagonal(x, k)
    if nd != 1:
        raise ValueError(f"diag: input must be 1- or 2-d, got shape {_shape(x)}")
    n = _shape(x)[0]
    size = n + abs(k)
    dt = aval_of(x).dtype
    if n == 0:
        return zeros((size, size), dt)
    # the flat position of v[i] is (i + r0) * size + (i + c0): a pad with interior padding
    start = max(-k, 0) * size + max(k, 0)
    last = start + (n - 1) * (size + 1)
    flat = P.pad_p.bind(convert(x, dt, False), _zero(dt),
                        padding_config=((start, size * size - last - 1, size),))
    return P.reshape_p.bind(flat, new_sizes=(size, size))


def diagflat(v: Any, k: int = 0) -> Any:
    """A 2-d array with the flattened input on its k-th diagonal."""
    return diag(ravel(_op(v)), k)


def tri(N: int, M: int | None = None, k: int = 0, dtype: Any = None) -> Any:  # noqa: N803
    """An N x M array with ones at and below the k-th diagonal (default dtype float)."""
    n = _static_int(N, "tri", "N")
    m = n if M is None else _static_int(M, "tri", "M")
    dt = dtypes.default_float() if dtype is None else dtypes.canonicalize(dtype)
    rows = P.iota_p.bind(dtype=dtypes.int64, shape=(n, m), dimension=0)
    cols = P.iota_p.bind(dtype=dtypes.int64, shape=(n, m), dimension=1)
    mask = P.le_p.bind(cols, P.add_p.bind(rows, convert(int(k), dtypes.int64)))
    return convert(mask, dt)


def _tri_mask(shape: tuple[int, ...], k: int, lower: bool) -> Any:
    n, m = (shape[-2], shape[-1]) if len(shape) >= 2 else (shape[-1], shape[-1])
    rows = P.iota_p.bind(dtype=dtypes.int64, shape=(n, m), dimension=0)
    cols = P.iota_p.bind(dtype=dtypes.int64, shape=(n, m), dimension=1)
    shifted = P.add_p.bind(rows, convert(int(k), dtypes.int64))
    return (P.le_p if lower else P.ge_p).bind(cols, shifted)


def tril(m: Any, k: int = 0) -> Any:
    """`m` with the entries above the k-th diagonal zeroed (over the last two axes)."""
    x = _op(m)
    mask = _tri_mask(_shape(x), _static_int(k, "tril", "k"), True)
    return where(mask, x, _zero(aval_of(x).dtype))


def triu(m: Any, k: int = 0) -> Any:
    """`m` with the entries below the k-th diagonal zeroed (over the last two axes)."""
    x = _op(m)
    mask = _tri_mask(_shape(x), _static_int(k, "triu", "k"), False)
    return where(mask, x, _zero(aval_of(x).dtype))


# ---------------------------------------------------------------------------
# flips, rolls, rotations


def flip(m: Any, axis: int | Sequence[int] | None = None) -> Any:
    """`m` reversed along `axis` (all axes by default)."""
    x = _op(m)
    axes = normalize_axes(axis, aval_of(x).ndim)
    return P.rev_p.bind(x, dimensions=tuple(sorted(axes))) if axes else x


def fliplr(m: Any) -> Any:
    """Reverse along axis 1 (needs at least 2 dimensions)."""
    x = _op(m)
    if aval_of(x).ndim < 2:
        raise ValueError("fliplr: input must be at least 2-d")
    return flip(x, 1)


def flipud(m: Any) -> Any:
    """Reverse along axis 0 (needs at least 1 dimension)."""
    x = _op(m)
    if aval_of(x).ndim < 1:
        raise ValueError("flipud: input must be at least 1-d")
    return flip(x, 0)


def _roll_axis(x: Any, shift: Any, axis: int) -> Any:
    n = _shape(x)[axis]
    if n == 0:
        return x
    if isinstance(shift, (int, np.integer)):
        s = int(shift) % n
        if s == 0:
            return x
        return _cat([_slice_axis(x, axis, n - s, n), _slice_axis(x, axis, 0, n - s)], axis)
    # a traced shift: a window of the doubled axis starting at (n - shift) mod n
    sh = convert(asarray_operand(shift), dtypes.int64)
    nn = convert(n, dtypes.int64)
    start = P.rem_p.bind(P.add_p.bind(P.rem_p.bind(P.neg_p.bind(sh), nn), nn), nn)
    doubled = _cat([x, x], axis)
    zero = convert(0, dtypes.int64)
    idx = [zero] * aval_of(x).ndim
    idx[axis] = start
    return P.dynamic_slice_p.bind(doubled, *idx, slice_sizes=_shape(x))


def roll(a: Any, shift: Any, axis: int | Sequence[int] | None = None) -> Any:
    """Elements shifted cyclically by `shift` along `axis` (flattened if None).

    `shift` may be a traced integer (then each roll is a dynamic slice).
    """
    x = _op(a)
    if axis is None:
        return reshape(roll(ravel(x), shift, 0), _shape(x))
    nd = aval_of(x).ndim
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    shifts = shift if isinstance(shift, (tuple, list)) else (shift,)
    if len(shifts) == 1 and len(axes) > 1:
        shifts = tuple(shifts) * len(axes)
    if len(axes) == 1 and len(shifts) > 1:
        axes = tuple(axes) * len(shifts)
    if len(shifts) != len(axes):
        raise ValueError("roll: 'shift' and 'axis' should be scalars or 1-d sequences of "
                         "the same length")
    for s, ax in zip(shifts, axes, strict=True):
        x = _roll_axis(x, s, normalize_axis(int(ax), nd))
    return x


def rot90(m: Any, k: int = 1, axes: tuple[int, int] = (0, 1)) -> Any:
    """Rotate by 90 degrees k times in the plane of `axes` (from the first towards the second)."""
    x = _op(m)
    nd = aval_of(x).ndim
    if len(axes) != 2:
        raise ValueError("rot90: len(axes) must be 2")
    a0, a1 = normalize_axis(axes[0], nd), normalize_axis(axes[1], nd)
    if a0 == a1:
        raise ValueError("rot90: axes must be different")
    k = _static_int(k, "rot90", "k") % 4
    if k == 0:
        return x
    if k == 2:
        return flip(flip(x, a0), a1)
    perm = list(range(nd))
    perm[a0], perm[a1] = perm[a1], perm[a0]
    if k == 1:
        return transpose(flip(x, a1), perm)
    return flip(transpose(x, perm), a1)


# ---------------------------------------------------------------------------
# tiling, repeating, splitting, grids


def tile(A: Any, reps: int | Sequence[int]) -> Any:  # noqa: N803
    """`A` repeated `reps` times along each axis (broadcast + reshape)."""
    x = _op(A)
    reps_t = (int(reps),) if isinstance(reps, (int, np.integer)) else tuple(int(r) for r in reps)
    if any(r < 0 for r in reps_t):
        raise ValueError(f"tile: negative repetitions {reps_t}")
    shp = _shape(x)
    d = max(len(reps_t), len(shp))
    shp = (1,) * (d - len(shp)) + shp
    reps_t = (1,) * (d - len(reps_t)) + reps_t
    x = reshape(x, shp)
    if all(r == 1 for r in reps_t):
        return x
    inter = tuple(v for pair in zip(reps_t, shp, strict=True) for v in pair)
    spread = reshape(x, tuple(v for s in shp for v in (1, s)))
    return reshape(broadcast_to(spread, inter),
                   tuple(r * s for r, s in zip(reps_t, shp, strict=True)))


def repeat(a: Any, repeats: Any, axis: int | None = None, *,
           total_repeat_length: int | None = None) -> Any:
    """Each element repeated `repeats` times along `axis` (the flattened array if None).

    `repeats` is an int or a concrete array of ints (one per element). A traced
    `repeats` array needs ``total_repeat_length=`` (JAX's extension): the output
    is cut or padded with the last element to that length.
    """
    x = _op(a)
    if axis is None:
        x = ravel(x)
        axis = 0
    ax = normalize_axis(axis, aval_of(x).ndim)
    n = _shape(x)[ax]
    if isinstance(repeats, (int, np.integer)):
        r = int(repeats)
        if r < 0:
            raise ValueError("repeat: negative dimensions are not allowed")
        shp = _shape(x)
        y = expand_dims(x, ax + 1)
        y = broadcast_to(y, (*shp[:ax + 1], r, *shp[ax + 1:]))
        return reshape(y, (*shp[:ax], n * r, *shp[ax + 1:]))
    traced = isinstance(repeats, Tracer) or (
        not isinstance(repeats, (list, tuple, np.ndarray)) and
        isinstance(asarray_operand(repeats), Tracer))
    if traced:
        if total_repeat_length is None:
            raise TypeError("funcgrad.numpy.repeat: traced repeats give an output length that "
                            "depends on their values; pass total_repeat_length= (a static int)"
                            " or make repeats concrete")
        if n == 0 and int(total_repeat_length) > 0:
            raise ValueError(f"repeat: total_repeat_length={int(total_repeat_length)} pads with "
                             f"the last element, but the array is empty along axis {ax}")
        reps = broadcast_to(convert(asarray_operand(repeats), dtypes.int64), (n,))
        ends = cumsum(reps)
        pos = arange(int(total_repeat_length))
        idx = minimum(searchsorted(ends, pos, side="right"), max(n - 1, 0))
        return take(x, idx, axis=ax)
    reps_np = np.asarray(repeats)
    if reps_np.size == 0 and reps_np.dtype.kind == "f":   # [] is an empty int list here
        reps_np = reps_np.astype(np.int64)
    if reps_np.dtype.kind not in "iu":
        raise TypeError(f"funcgrad.numpy.repeat: repeats must be integers, got {reps_np.dtype}")
    if reps_np.ndim == 0 or reps_np.shape == (1,):
        return repeat(x, int(reps_np.reshape(())), ax)
    if reps_np.shape != (n,):
        raise ValueError(f"repeat: operands could not be broadcast together with shape ({n},) "
                         f"and repeats of shape {reps_np.shape}")
    if np.any(reps_np < 0):
        raise ValueError("repeat: negative dimensions are not allowed")
    idx = np.repeat(np.arange(n, dtype=np.int64), reps_np)
    if total_repeat_length is not None:
        total = int(total_repeat_length)
        if n == 0 and total > 0:
            raise ValueError(f"repeat: total_repeat_length={total} pads with the last element, "
                             f"but the array is empty along axis {ax}")
        idx = np.concatenate([idx, np.full(max(total - idx.size, 0), max(n - 1, 0))])[:total]
    return take(x, idx, axis=ax)


def _split_points(n: int, ios: Any, fname: str, even: bool) -> list[int]:
    if isinstance(ios, (int, np.integer)):
        k = int(ios)
        if k <= 0:
            raise ValueError(f"{fname}: number of sections must be larger than 0")
        if even and n % k:
            raise ValueError(f"{fname}: array split does not result in an equal division "
                             f"({n} elements into {k} sections)")
        base, extra = divmod(n, k)
        sizes = [base + 1] * extra + [base] * (k - extra)
        return [int(v) for v in np.cumsum([0, *sizes])]
    if isinstance(ios, Tracer):
        raise TypeError(f"funcgrad.numpy.{fname}: split points must be static")
    pts = [int(i) for i in np.asarray(ios).reshape(-1)]
    return [0, *pts, n]


def array_split(ary: Any, indices_or_sections: Any, axis: int = 0) -> list[Any]:
    """Split into sections (an int: sizes differ by at most one) or at indices."""
    x = _op(ary)
    ax = normalize_axis(axis, aval_of(x).ndim)
    n = _shape(x)[ax]
    pts = _split_points(n, indices_or_sections, "array_split", False)
    out = []
    for lo, hi in zip(pts[:-1], pts[1:], strict=True):
        lo_c = min(max(lo if lo >= 0 else lo + n, 0), n)
        hi_c = min(max(hi if hi >= 0 else hi + n, 0), n)
        out.append(_slice_axis(x, ax, lo_c, max(lo_c, hi_c)))
    return out


def split(ary: Any, indices_or_sections: Any, axis: int = 0) -> list[Any]:
    """Split into equal sections (an int that must divide the axis) or at indices."""
    x = _op(ary)
    ax = normalize_axis(axis, aval_of(x).ndim)
    _split_points(_shape(x)[ax], indices_or_sections, "split", True)
    return array_split(x, indices_or_sections, ax)


def hsplit(ary: Any, indices_or_sections: Any) -> list[Any]:
    x = _op(ary)
    if aval_of(x).ndim == 0:
        raise ValueError("hsplit only works on arrays of 1 or more dimensions")
    return split(x, indices_or_sections, 1 if aval_of(x).ndim > 1 else 0)


def vsplit(ary: Any, indices_or_sections: Any) -> list[Any]:
    x = _op(ary)
    if aval_of(x).ndim < 2:
        raise ValueError("vsplit only works on arrays of 2 or more dimensions")
    return split(x, indices_or_sections, 0)


def dsplit(ary: Any, indices_or_sections: Any) -> list[Any]:
    x = _op(ary)
    if aval_of(x).ndim < 3:
        raise ValueError("dsplit only works on arrays of 3 or more dimensions")
    return split(x, indices_or_sections, 2)


def meshgrid(*xi: Any, copy: bool = True, sparse: bool = False,
             indexing: str = "xy") -> list[Any]:
    """Coordinate arrays from 1-d coordinate vectors ('xy' or 'ij' indexing)."""
    if indexing not in ("xy", "ij"):
        raise ValueError("meshgrid: valid values for `indexing` are 'xy' and 'ij'")
    xs = [ravel(_op(x)) for x in xi]
    nd = len(xs)
    shapes = [_shape(x)[0] for x in xs]
    out = []
    for i, x in enumerate(xs):
        s = [1] * nd
        s[i] = shapes[i]
        if indexing == "xy" and nd > 1 and i < 2:
            s[0], s[1] = s[1], s[0]
        out.append(reshape(x, tuple(s)))
    if sparse:
        return out
    full = list(shapes)
    if indexing == "xy" and nd > 1:
        full[0], full[1] = full[1], full[0]
    return [broadcast_to(o, tuple(full)) for o in out]


# ---------------------------------------------------------------------------
# differences, products, polynomials


def diff(a: Any, n: int = 1, axis: int = -1, prepend: Any = None, append: Any = None) -> Any:
    """The n-th discrete difference along `axis` (booleans: not-equal, like NumPy)."""
    x = _op(a)
    n = _static_int(n, "diff", "n")
    if n < 0:
        raise ValueError(f"diff: order must be non-negative but got {n}")
    if n == 0:
        return x
    nd = aval_of(x).ndim
    if nd == 0:
        raise ValueError("diff requires input that is at least one dimensional")
    ax = normalize_axis(axis, nd)
    if prepend is not None or append is not None:
        def widen(v: Any) -> Any:
            e = _op(v)
            if aval_of(e).ndim == 0:
                shp = list(_shape(x))
                shp[ax] = 1
                e = broadcast_to(e, tuple(shp))
            return e
        parts = ([widen(prepend)] if prepend is not None else []) + [x] + (
            [widen(append)] if append is not None else [])
        x = concatenate(parts, axis=ax)
    for _ in range(n):
        m = _shape(x)[ax]
        hi = _slice_axis(x, ax, min(1, m), m)
        lo = _slice_axis(x, ax, 0, max(m - 1, 0))
        x = not_equal(hi, lo) if aval_of(x).dtype == dtypes.bool_ else subtract(hi, lo)
    return x


def ediff1d(ary: Any, to_end: Any = None, to_begin: Any = None) -> Any:
    """Differences of consecutive elements of the flattened array, with optional ends."""
    x = ravel(_op(ary))
    d = diff(x)
    dt = aval_of(d).dtype
    parts = []
    if to_begin is not None:
        parts.append(convert(ravel(_op(to_begin)), dt))
    parts.append(d)
    if to_end is not None:
        parts.append(convert(ravel(_op(to_end)), dt))
    return concatenate(parts) if len(parts) > 1 else d


def kron(a: Any, b: Any) -> Any:
    """The Kronecker product: blocks a[i, j] * b (inputs padded to the same rank)."""
    x, y = (_op(v) for v in promote(a, b))
    xs, ys = _shape(x), _shape(y)
    nd = max(len(xs), len(ys))
    xs, ys = (1,) * (nd - len(xs)) + xs, (1,) * (nd - len(ys)) + ys
    x = reshape(x, tuple(v for s in xs for v in (s, 1)))
    y = reshape(y, tuple(v for s in ys for v in (1, s)))
    return reshape(multiply(x, y), tuple(p * q for p, q in zip(xs, ys, strict=True)))


def cross(a: Any, b: Any, axisa: int = -1, axisb: int = -1, axisc: int = -1,
          axis: int | None = None) -> Any:
    """The cross product of (arrays of) 2- or 3-vectors (2-vectors give the z component)."""
    if axis is not None:
        axisa = axisb = axisc = axis
    x, y = (_op(v) for v in promote(a, b))
    x = moveaxis(x, normalize_axis(axisa, aval_of(x).ndim), -1)
    y = moveaxis(y, normalize_axis(axisb, aval_of(y).ndim), -1)
    nx, ny = _shape(x)[-1], _shape(y)[-1]
    if nx not in (2, 3) or ny not in (2, 3):
        raise ValueError("cross: incompatible dimensions for cross product (dimension must "
                         "be 2 or 3)")

    def comp(v: Any, i: int, n: int) -> Any:
        return v[..., i] if i < n else zeros_like(v[..., 0])

    x0, x1, x2 = (comp(x, i, nx) for i in range(3))
    y0, y1, y2 = (comp(y, i, ny) for i in range(3))
    z = subtract(multiply(x0, y1), multiply(x1, y0))
    if nx == 2 and ny == 2:
        return z
    c = stack([subtract(multiply(x1, y2), multiply(x2, y1)),
               subtract(multiply(x2, y0), multiply(x0, y2)), z], axis=-1)
    return moveaxis(c, -1, normalize_axis(axisc, aval_of(c).ndim))


@eager_jit()
def polyval(p: Any, x: Any) -> Any:
    """The polynomial with coefficients `p` (highest power first) at `x` (Horner's rule)."""
    pp, xx = (_op(v) for v in promote(p, x))
    if aval_of(pp).ndim != 1:
        raise ValueError(f"polyval: p must be 1-d, got shape {_shape(pp)}")
    y = zeros_like(xx)
    for i in range(_shape(pp)[0]):
        y = add(multiply(y, xx), pp[i])
    return y


def vander(x: Any, N: int | None = None, increasing: bool = False) -> Any:  # noqa: N803
    """The Vandermonde matrix of 1-d `x`: columns are powers of x (decreasing by default)."""
    v = _op(x)
    if aval_of(v).ndim != 1:
        raise ValueError("vander: x must be a one-dimensional array or sequence")
    n = _shape(v)[0] if N is None else _static_int(N, "vander", "N")
    if n == 0:
        return zeros((_shape(v)[0], 0), aval_of(v).dtype)
    cols = concatenate([ones_like(v)[:, None],
                        broadcast_to(v[:, None], (_shape(v)[0], n - 1))], axis=1)
    powers = cumprod(cols, axis=1)
    return powers if increasing else flip(powers, 1)


@eager_jit(("axis",))
def trapezoid(y: Any, x: Any = None, dx: Any = 1.0, axis: int = -1) -> Any:
    """The integral of `y` along `axis` by the trapezoidal rule (spacing `x` or `dx`)."""
    yy = _op(y)
    ax = normalize_axis(axis, aval_of(yy).ndim)
    m = _shape(yy)[ax]
    if x is None:
        d: Any = dx
    else:
        xx = _op(x)
        if aval_of(xx).ndim == 1:
            d = diff(xx)
            shp = [1] * aval_of(yy).ndim
            shp[ax] = _shape(d)[0]
            d = reshape(d, tuple(shp))
        else:
            d = diff(xx, axis=ax)
    mid = add(_slice_axis(yy, ax, 1, m), _slice_axis(yy, ax, 0, max(m - 1, 0)))
    return sum_(multiply(multiply(mid, d), 0.5), axis=ax)


# ---------------------------------------------------------------------------
# interpolation


@eager_jit()
def _interp(x: Any, xp: Any, fp: Any, left: Any, right: Any) -> Any:
    n = _shape(xp)[0]
    if n == 1:
        res = broadcast_to(fp[0], _shape(x))
    else:
        j = clip(searchsorted(xp, x, side="right") - 1, 0, n - 2)
        x0, x1 = take(xp, j), take(xp, j + 1)
        f0, f1 = take(fp, j), take(fp, j + 1)
        dx = subtract(x1, x0)
        same = equal(dx, 0.0)
        slope = divide(subtract(f1, f0), where(same, 1.0, dx))
        res = where(same, f0, add(f0, multiply(slope, subtract(x, x0))))
        res = where(equal(x, xp[-1]), fp[-1], res)
    lo = fp[0] if left is None else left
    hi = fp[-1] if right is None else right
    res = where(less(x, xp[0]), lo, res)
    res = where(greater(x, xp[-1]), hi, res)
    return where(isnan(x), np.nan, res)


def interp(x: Any, xp: Any, fp: Any, left: Any = None, right: Any = None,
           period: Any = None) -> Any:
    """Piecewise-linear interpolation of the points (xp, fp) at `x` (xp increasing).

    Outside [xp[0], xp[-1]] the result is `left`/`right` (default fp[0]/fp[-1]);
    with `period`, the points are treated as periodic. Results are float64
    (the default float), or complex for complex `fp`.
    """
    xv, xpv, fpv = _op(x), _op(xp), _op(fp)
    if aval_of(xpv).ndim != 1 or aval_of(fpv).ndim != 1:
        raise ValueError("interp: xp and fp must be 1-d sequences")
    if _shape(xpv) != _shape(fpv):
        raise ValueError("interp: fp and xp are not of the same length")
    if _shape(xpv)[0] == 0:
        raise ValueError("interp: array of sample points is empty")
    fdt = dtypes.default_float()
    cdt = dtypes.default_complex()
    out_dt = cdt if dtypes.is_complex(aval_of(fpv).dtype) else fdt
    xv, xpv = convert(xv, fdt), convert(xpv, fdt)
    fpv = convert(fpv, out_dt)
    if period is not None:
        if period == 0:
            raise ValueError("interp: period must be a non-zero value")
        per = abs(float(period))
        left = right = None
        xv = mod(xv, per)
        xpv = mod(xpv, per)
        order = argsort(xpv)
        xpv, fpv = take(xpv, order), take(fpv, order)
        xpv = concatenate([xpv[-1:] - per, xpv, xpv[0:1] + per])
        fpv = concatenate([fpv[-1:], fpv, fpv[0:1]])
    return _interp(xv, xpv, fpv, left, right)


# ---------------------------------------------------------------------------
# elementwise helpers


def _heaviside(x1: Any, x2: Any) -> Any:
    zero = convert(0, aval_of(x1).dtype)
    one = convert(1, aval_of(x1).dtype)
    out = P.select_n_p.bind(P.lt_p.bind(x1, zero), P.select_n_p.bind(
        P.gt_p.bind(x1, zero), x2, one), zero)
    return P.select_n_p.bind(P.ne_p.bind(x1, x1), out, x1)    # nan stays nan


def _logaddexp2(a: Any, b: Any) -> Any:
    return _logaddexp_base(a, b, math.log(2.0))


heaviside = Ufunc("heaviside", np.heaviside, _heaviside)
logaddexp2 = Ufunc("logaddexp2", np.logaddexp2, _logaddexp2)


@eager_jit()
def sinc(x: Any) -> Any:
    """sin(pi x) / (pi x), 1 at 0; near 0 a Taylor polynomial keeps the derivatives exact."""
    v = _op(x)
    if not dtypes.is_inexact(aval_of(v).dtype):
        v = convert(v, dtypes.default_float())
    y = multiply(v, math.pi)
    small = less(abs_(y), 1e-3 if aval_of(v).dtype == dtypes.float64 else 1e-1)
    safe = where(small, 1.0, y)
    y2 = multiply(y, y)
    # 1 - y^2/6 + y^4/120 - y^6/5040: exact to rounding for |y| < 1e-3 (1e-1 in float32)
    taylor = add(1.0, multiply(y2, add(-1 / 6, multiply(
        y2, add(1 / 120, multiply(y2, -1 / 5040))))))
    return where(small, taylor, divide(sin(safe), safe))


@eager_jit(("copy",))
def nan_to_num(x: Any, copy: bool = True, nan: Any = 0.0, posinf: Any = None,
               neginf: Any = None) -> Any:
    """nan -> `nan`, +inf -> `posinf` (default: the largest float), -inf -> `neginf`."""
    v = _op(x)
    dt = aval_of(v).dtype
    if not dtypes.is_inexact(dt):
        return v
    if dtypes.is_complex(dt):
        return add(nan_to_num(real(v), copy, nan, posinf, neginf),
                   multiply(nan_to_num(imag(v), copy, nan, posinf, neginf), 1j))
    info = dtypes.finfo(dt)
    hi = float(info.max) if posinf is None else posinf
    lo = float(info.min) if neginf is None else neginf
    out = where(isnan(v), nan, v)
    out = where(equal(v, np.inf), hi, out)
    out = where(equal(v, -np.inf), lo, out)
    return convert(out, dt)


def angle(z: Any, deg: bool = False) -> Any:
    """The argument of complex numbers (radians, or degrees with deg=True)."""
    v = _op(z)
    dt = aval_of(v).dtype
    if dtypes.is_complex(dt):
        re, im = real(v), imag(v)
    else:
        re = v if dtypes.is_inexact(dt) else convert(v, dtypes.default_float())
        im = zeros_like(re)
    out = arctan2(im, re)
    return multiply(out, 180 / math.pi) if deg else out


def select(condlist: Sequence[Any], choicelist: Sequence[Any], default: Any = 0) -> Any:
    """choicelist[i] where condlist[i] holds first; `default` where none does."""
    if len(condlist) != len(choicelist):
        raise ValueError("select: list of cases must be same length as list of conditions")
    if not condlist:
        raise ValueError("select with an empty condition list is not possible")
    conds = [_op(c) for c in condlist]
    for c in conds:
        if aval_of(c).dtype != dtypes.bool_:
            raise TypeError(f"select: invalid entry in condlist: should be boolean ndarray, "
                            f"got {aval_of(c).dtype}")
    choices = promote(*choicelist, default)
    out = choices[-1]
    for c, v in zip(reversed(conds), reversed(choices[:-1]), strict=True):
        out = where(c, v, out)
    return asarray(out)


__all__ = ["angle", "array_split", "cross", "diag", "diagflat", "diagonal", "diff", "dsplit",
           "ediff1d", "flip", "fliplr", "flipud", "heaviside", "hsplit", "interp", "kron",
           "logaddexp2", "meshgrid", "nan_to_num", "polyval", "repeat", "roll", "rot90", "select",
           "sinc", "split", "tile", "trace", "trapezoid", "tri", "tril", "triu", "vander",
           "vsplit"]
