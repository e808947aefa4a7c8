"""lax's gather and scatters, with JAX's dimension numbers and out-of-bounds modes,
each mapped one to one onto funcgrad's gather/scatter primitives (whose
dimension numbers are JAX's, batching dimensions included), so they
differentiate and batch through those primitives' rules.

The index vector is the last axis of the indices, as in JAX. Dimension numbers
are checked here, before anything is traced, for what JAX requires beyond
shapes (sorted, unrepeated and disjoint axis lists); the primitives check the
shapes.
"""
from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import funcgrad.numpy as fnp
from funcgrad import dtypes
from funcgrad import primitives as P
from funcgrad.bounds import check_index, checks
from funcgrad.control_flow import fori_loop
from funcgrad.core import Tracer, shape_error
from funcgrad.errors import UnsupportedError
from funcgrad.numpy._util import asarray_operand, aval_of, convert
from funcgrad.api import vmap

__all__ = ["GatherDimensionNumbers", "GatherScatterMode", "ScatterDimensionNumbers", "gather",
           "index_take", "scatter", "scatter_add", "scatter_apply", "scatter_max",
           "scatter_min", "scatter_mul", "scatter_sub"]

GatherDimensionNumbers = P.GatherDimensionNumbers
ScatterDimensionNumbers = P.ScatterDimensionNumbers


class GatherScatterMode(enum.Enum):
    """What out-of-bounds indices do. CLIP: clamp so the whole slice is in bounds.
    FILL_OR_DROP: a gather returns the fill value, a scatter skips the update.
    PROMISE_IN_BOUNDS: the caller promises in-bounds indices (XLA then clamps a
    gather and skips a scatter). ONE_HOT is JAX's one-hot matmul lowering, which
    funcgrad does not have (it raises)."""

    CLIP = 1
    FILL_OR_DROP = 2
    PROMISE_IN_BOUNDS = 3
    ONE_HOT = 4

    @staticmethod
    def from_any(s: Any) -> GatherScatterMode:
        """The mode spelled by `s`: a mode, its name in JAX's spelling ('clip', 'fill',
        'drop', 'promise_in_bounds', 'one_hot'), or None (FILL_OR_DROP)."""
        if isinstance(s, GatherScatterMode):
            return s
        if isinstance(s, enum.Enum) and s.name in GatherScatterMode.__members__:
            return GatherScatterMode[s.name]     # the same mode from jax.lax
        if s is None or s in ("fill", "drop"):
            return GatherScatterMode.FILL_OR_DROP
        named = {"clip": GatherScatterMode.CLIP, "one_hot": GatherScatterMode.ONE_HOT,
                 "promise_in_bounds": GatherScatterMode.PROMISE_IN_BOUNDS}
        if isinstance(s, str) and s in named:
            return named[s]
        raise ValueError(f"Unknown gather/scatter mode {s!r}: use 'clip', 'fill' (gather), "
                         f"'drop' (scatter), 'promise_in_bounds' or a GatherScatterMode")


def _mode(fname: str, mode: Any, gather: bool) -> str:
    """The primitive's mode for `mode`; None is JAX's default (gather: the promise,
    scatter: drop)."""
    if mode is None:
        return "promise_in_bounds" if gather else "drop"
    m = GatherScatterMode.from_any(mode)
    if m is GatherScatterMode.ONE_HOT:
        raise UnsupportedError(f"lax.{fname}: mode ONE_HOT is not supported; use CLIP, "
                               f"FILL_OR_DROP or PROMISE_IN_BOUNDS")
    if m is GatherScatterMode.FILL_OR_DROP:
        return "fill" if gather else "drop"
    return "clip" if m is GatherScatterMode.CLIP else "promise_in_bounds"


def _check_starts(fname: str, mode: Any, idx: Any, operand_shape: tuple[int, ...],
                  index_map: tuple[int, ...], window: Callable[[int], int]) -> None:
    """Under ``config.check_bounds``, make every start of `idx` (component k indexes
    operand axis ``index_map[k]``, where the window is ``window(axis)`` wide) that
    does not fit raise, unless `mode` says what out-of-bounds starts do."""
    if not checks("promise_in_bounds" if mode is None else
                  GatherScatterMode.from_any(mode).name.lower()):
        return
    ia = aval_of(idx)
    if len(index_map) != ia.shape[-1]:
        return      # the primitive's shape rule reports it
    for k, d in enumerate(index_map):
        if not 0 <= d < len(operand_shape) or not 0 <= window(d) <= operand_shape[d]:
            continue
        col = P.slice_p.bind(idx, start_indices=(0,) * (ia.ndim - 1) + (k,),
                             limit_indices=(*ia.shape[:-1], k + 1), strides=(1,) * ia.ndim)
        check_index(col, operand_shape[d], what=f"lax.{fname}", axis=d, size=window(d),
                    negative=False)


def _flag(fname: str, name: str, value: Any) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"lax.{fname}: {name} must be a bool, got {value!r:.60}")
    return bool(value)


def _ints(fname: str, field: str, value: Any) -> tuple[int, ...]:
    try:
        out = tuple(value)
    except TypeError:
        raise TypeError(f"lax.{fname}: dimension_numbers.{field} must be a sequence of ints, "
                        f"got {value!r:.60}") from None
    if not all(isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))
               for v in out):
        raise TypeError(f"lax.{fname}: dimension_numbers.{field} must be a sequence of ints, "
                        f"got {value!r:.60}")
    return tuple(int(v) for v in out)


def _dnums(fname: str, dn: Any, cls: Any) -> Any:
    """`dn` as `cls` with int tuples; any object with `cls`'s fields (JAX's own
    dimension numbers) is accepted."""
    if not all(hasattr(dn, f) for f in cls._fields[:3]):
        raise TypeError(f"lax.{fname}: dimension_numbers must be a {cls.__name__}, got "
                        f"{dn!r:.80}")
    return cls(*(_ints(fname, f, getattr(dn, f, ())) for f in cls._fields))


def _sorted_unique(fname: str, field: str, dims: tuple[int, ...]) -> None:
    if list(dims) != sorted(set(dims)):
        raise shape_error(fname, f"dimension_numbers.{field} {dims} must be sorted, without "
                                 f"repeats")


def _unique(fname: str, field: str, dims: tuple[int, ...]) -> None:
    if len(set(dims)) != len(dims):
        raise shape_error(fname, f"dimension_numbers.{field} {dims} must not repeat an axis")


def _disjoint(fname: str, a: str, da: tuple[int, ...], b: str, db: tuple[int, ...]) -> None:
    common = sorted(set(da) & set(db))
    if common:
        raise shape_error(fname, f"dimension_numbers.{a} {da} and {b} {db} must not share "
                                 f"axes, both hold {tuple(common)}")


def _index_operand(fname: str, indices: Any) -> Any:
    idx = asarray_operand(indices)
    ia = aval_of(idx)
    if not dtypes.is_integer(ia.dtype):
        raise TypeError(f"lax.{fname}: indices must be integers, got {ia.str_short()}")
    if ia.ndim == 0:
        raise TypeError(f"lax.{fname}: indices need at least one axis (their last axis is "
                        f"the index vector), got a scalar")
    return idx


def _fill_value(fname: str, fill_value: Any, dtype: np.dtype) -> Any:
    """A static scalar of `dtype`, as the hashable Python value the primitive takes."""
    if isinstance(fill_value, Tracer):
        raise TypeError(f"lax.{fname}: fill_value must be a concrete scalar, got a traced "
                        f"{fill_value.aval.str_short()}")
    v = np.asarray(fill_value)
    if v.shape != ():
        raise TypeError(f"lax.{fname}: fill_value must be a scalar, got shape {v.shape}")
    return v.astype(dtype).item()


def gather(operand: Any, start_indices: Any, dimension_numbers: Any, slice_sizes: Sequence[int],
           *, unique_indices: bool = False, indices_are_sorted: bool = False,
           mode: Any = None, fill_value: Any = None) -> Any:
    """Slices of `operand` of `slice_sizes` starting at each index vector of
    `start_indices` (XLA's Gather; see GatherDimensionNumbers).

    `mode` (a GatherScatterMode or its name) says what out-of-bounds starts do;
    the default promises they are in bounds (XLA clamps them). `fill_value`, for
    FILL_OR_DROP only, is what out-of-bounds slices hold (default: NaN for
    inexact dtypes, the minimum of signed and the maximum of unsigned integers,
    True). `unique_indices` and `indices_are_sorted` are promises about the
    indices; funcgrad's gather computes the same either way.

    >>> dn = GatherDimensionNumbers(offset_dims=(), collapsed_slice_dims=(0,),
    ...                             start_index_map=(0,))
    >>> gather(np.arange(5.0), np.array([[3], [1]]), dn, (1,)).tolist()
    [3.0, 1.0]
    """
    x = asarray_operand(operand)
    xa = aval_of(x)
    idx = _index_operand("gather", start_indices)
    dn = _dnums("gather", dimension_numbers, GatherDimensionNumbers)
    _flag("gather", "unique_indices", unique_indices)
    _flag("gather", "indices_are_sorted", indices_are_sorted)
    _sorted_unique("gather", "offset_dims", dn.offset_dims)
    _sorted_unique("gather", "collapsed_slice_dims", dn.collapsed_slice_dims)
    _sorted_unique("gather", "operand_batching_dims", dn.operand_batching_dims)
    _unique("gather", "start_index_map", dn.start_index_map)
    _unique("gather", "start_indices_batching_dims", dn.start_indices_batching_dims)
    _disjoint("gather", "collapsed_slice_dims", dn.collapsed_slice_dims,
              "operand_batching_dims", dn.operand_batching_dims)
    _disjoint("gather", "start_index_map", dn.start_index_map,
              "operand_batching_dims", dn.operand_batching_dims)
    sizes = tuple(int(s) for s in slice_sizes)
    prim_mode = _mode("gather", mode, gather=True)
    if fill_value is not None and prim_mode != "fill":
        raise ValueError("lax.gather: fill_value applies to mode FILL_OR_DROP ('fill') only; "
                         "drop it or pass mode='fill'")
    fill = None if fill_value is None else _fill_value("gather", fill_value, xa.dtype)
    if len(sizes) == xa.ndim:
        _check_starts("gather", mode, idx, xa.shape, dn.start_index_map, lambda d: sizes[d])
    return P.gather_p.bind(x, idx, dimension_numbers=dn, slice_sizes=sizes, mode=prim_mode,
                           fill_value=fill)


def _scatter_args(fname: str, operand: Any, scatter_indices: Any, updates: Any,
                  dimension_numbers: Any, indices_are_sorted: Any, unique_indices: Any,
                  mode: Any) -> tuple[Any, Any, Any, dict[str, Any]]:
    x = asarray_operand(operand)
    xa = aval_of(x)
    idx = _index_operand(fname, scatter_indices)
    u = asarray_operand(updates)
    ua = aval_of(u)
    if ua.dtype != xa.dtype:
        if not ua.weak_type:
            raise TypeError(f"lax.{fname}: operand and updates need the same dtype, got "
                            f"{xa.dtype} and {ua.dtype}; convert one of them first")
        u = convert(u, xa.dtype, xa.weak_type)
    dn = _dnums(fname, dimension_numbers, ScatterDimensionNumbers)
    _sorted_unique(fname, "update_window_dims", dn.update_window_dims)
    _sorted_unique(fname, "inserted_window_dims", dn.inserted_window_dims)
    _sorted_unique(fname, "operand_batching_dims", dn.operand_batching_dims)
    _unique(fname, "scatter_dims_to_operand_dims", dn.scatter_dims_to_operand_dims)
    _unique(fname, "scatter_indices_batching_dims", dn.scatter_indices_batching_dims)
    _disjoint(fname, "inserted_window_dims", dn.inserted_window_dims,
              "operand_batching_dims", dn.operand_batching_dims)
    _disjoint(fname, "scatter_dims_to_operand_dims", dn.scatter_dims_to_operand_dims,
              "operand_batching_dims", dn.operand_batching_dims)
    params = dict(dimension_numbers=dn,
                  indices_are_sorted=_flag(fname, "indices_are_sorted", indices_are_sorted),
                  unique_indices=_flag(fname, "unique_indices", unique_indices),
                  mode=_mode(fname, mode, gather=False))
    not_window = set(dn.inserted_window_dims) | set(dn.operand_batching_dims)
    window_axes = [d for d in range(xa.ndim) if d not in not_window]
    if len(window_axes) == len(dn.update_window_dims) and all(
            0 <= w < ua.ndim for w in dn.update_window_dims):
        sizes = dict.fromkeys(not_window, 1)
        sizes.update({d: ua.shape[w] for d, w in zip(window_axes, dn.update_window_dims,
                                                      strict=True)})
        _check_starts(fname, mode, idx, xa.shape, dn.scatter_dims_to_operand_dims,
                      lambda d: sizes.get(d, 1))
    return x, idx, u, params


def _scatter_fn(prim: P.Primitive, fname: str, doc: str) -> Callable[..., Any]:
    def f(operand: Any, scatter_indices: Any, updates: Any, dimension_numbers: Any, *,
          indices_are_sorted: bool = False, unique_indices: bool = False,
          mode: Any = None) -> Any:
        x, idx, u, params = _scatter_args(fname, operand, scatter_indices, updates,
                                          dimension_numbers, indices_are_sorted,
                                          unique_indices, mode)
        if fname == "scatter_sub":
            u = P.neg_p.bind(u)
        return prim.bind(x, idx, u, **params)
    f.__name__ = f.__qualname__ = fname
    f.__doc__ = doc
    return f


_SCATTER_DOC = """`operand` with the windows of `updates` {how} at each index vector of
`scatter_indices` (XLA's Scatter; see ScatterDimensionNumbers).

`mode` says what out-of-bounds windows do (default FILL_OR_DROP: they are skipped);
`unique_indices` and `indices_are_sorted` are promises about the indices.{more}"""

scatter = _scatter_fn(P.scatter_p, "scatter", _SCATTER_DOC.format(
    how="written over the values", more=" Where indices repeat, one of the updates wins "
    "(which one is unspecified, as in XLA)."))
scatter_add = _scatter_fn(P.scatter_add_p, "scatter_add", _SCATTER_DOC.format(
    how="added to the values", more=""))
scatter_sub = _scatter_fn(P.scatter_add_p, "scatter_sub", _SCATTER_DOC.format(
    how="subtracted from the values", more=""))
scatter_mul = _scatter_fn(P.scatter_mul_p, "scatter_mul", _SCATTER_DOC.format(
    how="multiplied into the values", more=""))
scatter_min = _scatter_fn(P.scatter_min_p, "scatter_min", _SCATTER_DOC.format(
    how="combined by minimum with the values", more=""))
scatter_max = _scatter_fn(P.scatter_max_p, "scatter_max", _SCATTER_DOC.format(
    how="combined by maximum with the values", more=""))


def scatter_apply(operand: Any, scatter_indices: Any, func: Callable[[Any], Any],
                  dimension_numbers: Any, *, update_shape: Sequence[int] = (),
                  indices_are_sorted: bool = False, unique_indices: bool = False,
                  mode: Any = None) -> Any:
    """`operand` with the scalar function `func` applied to every entry the scatter
    windows (of `update_shape`) cover, once per window covering it (as XLA applies
    it); other entries are unchanged.

    `func` sees one scalar at a time. Entries covered by several windows take
    ``func(func(...))`` in a loop over the largest count: reverse-mode
    differentiable when the counts are known while tracing (concrete indices) or
    `unique_indices` is promised, forward mode only otherwise.
    """
    if not callable(func):
        raise TypeError(f"lax.scatter_apply: func must be callable, got {type(func).__name__}")
    x = asarray_operand(operand)
    xa = aval_of(x)
    ushape = tuple(int(s) for s in update_shape)
    ones = P.broadcast_in_dim_p.bind(convert(1, dtypes.int32), shape=ushape,
                                     broadcast_dimensions=())
    zeros = P.broadcast_in_dim_p.bind(convert(0, dtypes.int32), shape=xa.shape,
                                      broadcast_dimensions=())
    zi, idx, ones, params = _scatter_args("scatter_apply", zeros, scatter_indices, ones,
                                          dimension_numbers, indices_are_sorted,
                                          unique_indices, mode)
    counts = P.scatter_add_p.bind(zi, idx, ones, **params)
    if xa.size == 0:
        return x

    def apply(v: Any) -> Any:
        flat = P.reshape_p.bind(v, new_sizes=(xa.size,))
        out = asarray_operand(vmap(func)(flat))
        oa = aval_of(out)
        if oa.shape != (xa.size,) or oa.dtype != xa.dtype:
            raise TypeError(f"lax.scatter_apply: func must map a {xa.dtype} scalar to a "
                            f"{xa.dtype} scalar, got {oa.str_short()} for the entries")
        return P.reshape_p.bind(out, new_sizes=xa.shape)

    if params["unique_indices"]:
        return fnp.where(P.gt_p.bind(counts, convert(0, dtypes.int32)), apply(x), x)
    rounds = P.reduce_max_p.bind(counts, axes=tuple(range(xa.ndim)))
    return fori_loop(0, rounds, lambda r, v: fnp.where(
        P.gt_p.bind(counts, convert(r, dtypes.int32)), apply(v), v), x)


def index_take(src: Any, idxs: Sequence[Any], axes: Sequence[int]) -> Any:
    """``src[idxs[0], idxs[1], ...]`` over `axes`: one 1-d integer array of the same
    length per axis (entries wrap modulo the axis size), the taken entries along a
    new leading axis, the other axes kept in order."""
    x = asarray_operand(src)
    xa = aval_of(x)
    ax = tuple(int(a) for a in axes)
    if len(idxs) != len(ax):
        raise ValueError(f"lax.index_take: needs one index array per axis of {ax}, got "
                         f"{len(idxs)}")
    if len(set(ax)) != len(ax) or not all(0 <= a < xa.ndim for a in ax):
        raise ValueError(f"lax.index_take: axes {ax} must be distinct axes of an array of "
                         f"rank {xa.ndim}")
    cols = []
    for i, a in zip(idxs, ax, strict=True):
        i = _index_operand("index_take", i)
        if aval_of(i).ndim != 1:
            raise TypeError(f"lax.index_take: each index array must be 1-d, got "
                            f"{aval_of(i).str_short()}")
        wrapped = fnp.remainder(convert(i, dtypes.int64), xa.shape[a])
        cols.append(P.expand_dims_p.bind(wrapped, dimensions=(1,)))
    if not cols:
        raise ValueError("lax.index_take: needs at least one axis")
    lengths = {aval_of(c).shape[0] for c in cols}
    if len(lengths) != 1:
        raise ValueError(f"lax.index_take: the index arrays differ in length: {sorted(lengths)}")
    indices = cols[0] if len(cols) == 1 else P.concatenate_p.bind(*cols, dimension=1)
    sizes = tuple(1 if d in ax else n for d, n in enumerate(xa.shape))
    dn = GatherDimensionNumbers(offset_dims=tuple(range(1, xa.ndim - len(ax) + 1)),
                                collapsed_slice_dims=tuple(sorted(ax)), start_index_map=ax)
    return P.gather_p.bind(x, indices, dimension_numbers=dn, slice_sizes=sizes,
                           mode="promise_in_bounds", fill_value=None)
