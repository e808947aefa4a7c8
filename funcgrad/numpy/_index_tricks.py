"""NumPy's index helpers: grids (indices, mgrid, ogrid), the r_/c_ concatenators,
triangle and diagonal index sets, flat <-> multi indices, and fill_diagonal.

Shapes here are static (Python ints), so everything works under jit; the
index arrays are int64 as in NumPy. `unravel_index`/`ravel_multi_index` take
traced indices (`mode="raise"` needs concrete ones, since a compiled program
cannot raise: use "wrap" or "clip" under jit).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from funcgrad.errors import ConcretizationError, UnsupportedError
from funcgrad.numpy import _shape as SH
from funcgrad.numpy import _sorting as SO
from funcgrad.numpy._creation import arange, asarray, linspace, ones
from funcgrad.numpy._util import asarray_operand

__all__ = ["c_", "diag_indices", "diag_indices_from", "fill_diagonal", "index_exp", "indices",
           "mask_indices", "mgrid", "ogrid", "r_", "ravel_multi_index", "s_", "tril_indices",
           "tril_indices_from", "triu_indices", "triu_indices_from", "unravel_index"]

s_ = np.s_
index_exp = np.index_exp


def indices(dimensions: Sequence[int], dtype: Any = int, sparse: bool = False) -> Any:
    dims = tuple(int(d) for d in dimensions)
    n = len(dims)
    grids = []
    for i, d in enumerate(dims):
        shape = (1,) * i + (d,) + (1,) * (n - i - 1)
        g = SH.reshape(arange(d, dtype=dtype), shape)
        grids.append(g if sparse else SH.broadcast_to(g, dims))
    if sparse:
        return tuple(grids)
    return SH.stack(grids) if grids else asarray(np.zeros((0,), dtype))


def _axis_values(key: slice) -> Any:
    """One axis of mgrid/ogrid: arange for a real step, linspace for a complex one
    (its magnitude is the number of points, end included)."""
    start = 0 if key.start is None else key.start
    stop, step = key.stop, 1 if key.step is None else key.step
    if isinstance(step, complex):
        num = int(abs(step))
        return linspace(start, stop, num)
    return arange(start, stop, step)


class _Grid:
    def __init__(self, sparse: bool):
        self.sparse = sparse

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, slice):
            return _axis_values(key)
        axes = [_axis_values(k) for k in key]
        dt = np.result_type(*[a.dtype for a in axes])
        n = len(axes)
        shaped = [SH.reshape(a.astype(dt), (1,) * i + (a.shape[0],) + (1,) * (n - i - 1))
                  for i, a in enumerate(axes)]
        if self.sparse:
            return tuple(shaped)
        full = tuple(a.shape[0] for a in axes)
        return SH.stack([SH.broadcast_to(a, full) for a in shaped])


mgrid = _Grid(sparse=False)
ogrid = _Grid(sparse=True)


class _Concatenator:
    """r_ (along the first axis) and c_ (1-d pieces as columns, along the last).
    Items: slices (arange/linspace), arrays, scalars; a leading string may give
    the axis as an int ("1")."""

    def __init__(self, axis: int, columns: bool):
        self.axis = axis
        self.columns = columns

    def __getitem__(self, key: Any) -> Any:
        items = key if isinstance(key, tuple) else (key,)
        axis = self.axis
        if items and isinstance(items[0], str):
            directive, items = items[0], items[1:]
            try:
                axis = int(directive)
            except ValueError:
                raise UnsupportedError(f"r_/c_: the directive {directive!r} is not supported; "
                                       "funcgrad takes an axis number ('0', '1', '-1')") from None
        pieces = []
        for it in items:
            x = _axis_values(it) if isinstance(it, slice) else asarray(it)
            if self.columns and x.ndim < 2:
                x = SH.reshape(SH.atleast_1d(x), (-1, 1))
            pieces.append(SH.atleast_1d(x))
        if not pieces:
            return asarray(np.zeros(0))
        return SH.concatenate(pieces, axis=-1 if self.columns else axis)


r_ = _Concatenator(0, columns=False)
c_ = _Concatenator(-1, columns=True)


def _tri_indices(n: int, k: int, m: int | None, upper: bool) -> tuple[Any, Any]:
    rows, cols = (np.triu_indices if upper else np.tril_indices)(int(n), int(k),
                                                                 None if m is None else int(m))
    return asarray(rows.astype(np.int64)), asarray(cols.astype(np.int64))


def tril_indices(n: int, k: int = 0, m: int | None = None) -> tuple[Any, Any]:
    return _tri_indices(n, k, m, upper=False)


def triu_indices(n: int, k: int = 0, m: int | None = None) -> tuple[Any, Any]:
    return _tri_indices(n, k, m, upper=True)


def _check_2d(arr: Any, fname: str) -> tuple[int, int]:
    shape = np.shape(arr) if not hasattr(arr, "shape") else arr.shape
    if len(shape) != 2:
        raise ValueError(f"{fname}: input array must be 2-d, got shape {tuple(shape)}")
    return int(shape[0]), int(shape[1])


def tril_indices_from(arr: Any, k: int = 0) -> tuple[Any, Any]:
    n, m = _check_2d(arr, "tril_indices_from")
    return tril_indices(n, k, m)


def triu_indices_from(arr: Any, k: int = 0) -> tuple[Any, Any]:
    n, m = _check_2d(arr, "triu_indices_from")
    return triu_indices(n, k, m)


def diag_indices(n: int, ndim: int = 2) -> tuple[Any, ...]:
    idx = arange(int(n))
    return (idx,) * int(ndim)


def diag_indices_from(arr: Any) -> tuple[Any, ...]:
    shape = arr.shape if hasattr(arr, "shape") else np.shape(arr)
    if len(shape) < 2:
        raise ValueError("diag_indices_from: input array must be at least 2-d")
    if len(set(shape)) != 1:
        raise ValueError(f"diag_indices_from: all dimensions of the input must be equal, "
                         f"got shape {tuple(shape)}")
    return diag_indices(shape[0], len(shape))


def mask_indices(n: int, mask_func: Callable[..., Any], k: int = 0) -> tuple[Any, Any]:
    """The indices where ``mask_func(ones((n, n)), k)`` is non-zero (concrete: the
    number of indices depends on the mask)."""
    m = mask_func(ones((int(n), int(n)), dtype=int), k)
    return SO.nonzero(m)


def unravel_index(indices: Any, shape: Any, order: str = "C") -> tuple[Any, ...]:
    if order not in ("C", "F"):
        raise ValueError(f"unravel_index: order must be 'C' or 'F', got {order!r}")
    dims = (int(shape),) if np.ndim(shape) == 0 else tuple(int(d) for d in shape)
    idx = asarray_operand(indices)
    idx = asarray(idx)
    if not np.issubdtype(idx.dtype, np.integer):
        raise TypeError(f"unravel_index: indices must be integers, got {idx.dtype}")
    size = int(np.prod(dims, dtype=np.int64))
    if SO._is_concrete(idx):
        host = np.asarray(idx)
        if host.size and (host.min() < 0 or host.max() >= size):
            bad = int(host.max() if host.max() >= size else host.min())
            raise ValueError(f"unravel_index: index {bad} is out of bounds for an array of "
                             f"size {size}")
    idx = idx.astype(np.int64)
    out = []
    order_dims = dims[::-1] if order == "C" else dims
    for d in order_dims:
        out.append(idx % d)
        idx = idx // d
    return tuple(out[::-1] if order == "C" else out)


def ravel_multi_index(multi_index: Sequence[Any], dims: Sequence[int], mode: Any = "raise",
                      order: str = "C") -> Any:
    dims = tuple(int(d) for d in dims)
    if len(multi_index) != len(dims):
        raise ValueError(f"ravel_multi_index: {len(multi_index)} index arrays for "
                         f"{len(dims)} dimensions")
    modes = (mode,) * len(dims) if isinstance(mode, str) else tuple(mode)
    idx = [asarray(i) for i in multi_index]
    for i in idx:
        if not np.issubdtype(i.dtype, np.integer):
            raise TypeError(f"ravel_multi_index: indices must be integers, got {i.dtype}")
    fixed = [index_mode(i, d, md, "ravel_multi_index", "coordinates").astype(np.int64)
             for i, d, md in zip(idx, dims, modes, strict=True)]
    strides = np.ones(len(dims), np.int64)
    seq = range(len(dims) - 2, -1, -1) if order == "C" else range(1, len(dims))
    for a in seq:
        strides[a] = strides[a + 1] * dims[a + 1] if order == "C" else strides[a - 1] * dims[a - 1]
    out = fixed[0] * int(strides[0])
    for i, s in zip(fixed[1:], strides[1:], strict=True):
        out = out + i * int(s)
    return out


def index_mode(i: Any, n: int, mode: str, fname: str, what: str) -> Any:
    """Integer indices `i` into n places, by NumPy's `mode`: "raise" checks them (so
    they must be concrete: a compiled program cannot raise), "wrap" takes them
    modulo n, "clip" clamps them."""
    if mode == "raise":
        if not SO._is_concrete(i):
            raise ConcretizationError(f"{fname}: mode='raise' needs concrete indices (a "
                                      "compiled program cannot raise); use mode='wrap' or "
                                      "'clip' under jit")
        host = np.asarray(i)
        if host.size and (host.min() < 0 or host.max() >= n):
            raise ValueError(f"{fname}: invalid entry in {what} array")
        return i
    if mode == "wrap":
        return i % n
    if mode == "clip":
        return SH.clip(i, 0, n - 1)
    raise ValueError(f"{fname}: mode must be 'raise', 'wrap' or 'clip', got {mode!r}")


def fill_diagonal(a: Any, val: Any, wrap: bool = False, *, inplace: bool = True) -> Any:
    """`a` with its main diagonal set to `val` (repeated as needed). funcgrad arrays
    are immutable: pass inplace=False and use the returned array."""
    if inplace:
        raise UnsupportedError("fill_diagonal: funcgrad arrays are immutable; call "
                               "fill_diagonal(a, val, inplace=False) and use the result")
    x = asarray(a)
    if x.ndim < 2:
        raise ValueError("fill_diagonal: array must be at least 2-d")
    if x.ndim > 2 and len(set(x.shape)) != 1:
        raise ValueError("fill_diagonal: all dimensions of input must be of equal length")
    if x.ndim == 2:
        n, m = x.shape
        step = m + 1
        end = n * m if wrap else min(n, m) * m
    else:
        step = int(sum(np.cumprod((1,) + x.shape[:-1])))
        end = x.size
    flat = SH.ravel(x)
    pos = np.arange(0, end, step)
    v = SH.ravel(asarray(val)).astype(x.dtype)
    if v.shape[0] == 0:
        return x
    reps = -(-len(pos) // v.shape[0])
    vals = SH.concatenate([v] * reps)[:len(pos)] if reps > 1 else v[:len(pos)]
    return SH.reshape(flat.at[pos].set(vals), x.shape)
