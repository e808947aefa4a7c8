"""lax's shape functions: creating, broadcasting, reshaping, slicing along one
axis, splitting, stacking and tiling, each a few structural primitives; and
dce_sink, which keeps a value's computation in a staged program.

Shapes and axes are static Python ints (negative axes count from the end, as in
JAX); start indices of the ``dynamic_*`` functions may be traced. The
``sharding=`` / ``out_sharding=`` options take None only: lay results out with
``lax.with_sharding_constraint`` or ``fg.device_put`` instead.
"""
from __future__ import annotations

import builtins
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from funcgrad import dtypes, tree
from funcgrad import primitives as P
from funcgrad.bounds import check_starts
from funcgrad.core import Tracer, shape_error
from funcgrad.errors import UnsupportedError
from funcgrad.numpy._advanced import wrap_index
from funcgrad.numpy._util import (asarray_operand, aval_of, convert, is_traced_or_array,
                                  materialize)

__all__ = ["broadcast", "broadcast_like", "broadcast_to_rank", "collapse",
           "dynamic_index_in_dim", "dynamic_slice_in_dim", "dynamic_update_index_in_dim",
           "dynamic_update_slice_in_dim", "empty", "expand_dims", "full", "full_like",
           "dce_sink", "index_in_dim", "reshape", "shape_as_value", "slice_in_dim", "split",
           "squeeze",
           "stack", "stage", "tile", "unstack"]


def no_sharding(fname: str, **options: Any) -> None:
    """Raise for a sharding option that is not None (funcgrad lays out results with
    with_sharding_constraint or device_put, not per function)."""
    for name, value in options.items():
        if value is not None:
            raise UnsupportedError(
                f"lax.{fname}: {name}= is not supported (got {value!r:.60}); lay the result "
                f"out with funcgrad.lax.with_sharding_constraint or fg.device_put")


def static_int(fname: str, what: str, value: Any) -> int:
    """`value` as a Python int; a traced or non-integer value is a TypeError."""
    if isinstance(value, Tracer):
        raise TypeError(f"lax.{fname}: {what} must be a static int, got a traced "
                        f"{value.aval.str_short()}")
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        a = np.asarray(value) if not isinstance(value, (list, tuple, dict, str)) else None
        if a is None or a.shape != () or a.dtype.kind not in "iu":
            raise TypeError(f"lax.{fname}: {what} must be an int, got {value!r:.60}")
        value = a.item()
    return int(value)


def static_shape(fname: str, shape: Any, what: str = "shape") -> tuple[int, ...]:
    """A shape given as an int or a sequence of ints, checked non-negative."""
    items = shape if isinstance(shape, (list, tuple)) else (
        list(shape) if isinstance(shape, np.ndarray) and shape.ndim == 1 else [shape])
    out = tuple(static_int(fname, f"every entry of {what}", d) for d in items)
    if any(d < 0 for d in out):
        raise ValueError(f"lax.{fname}: {what} must hold non-negative sizes, got {out}")
    return out


def axis_index(fname: str, axis: Any, ndim: int, what: str = "axis") -> int:
    """`axis` in [0, ndim), a negative one counted from the end."""
    a = static_int(fname, what, axis)
    if not -ndim <= a < ndim:
        raise ValueError(f"lax.{fname}: {what} {a} is out of range for an array of rank {ndim}")
    return a % ndim


def _operand(x: Any) -> tuple[Any, Any]:
    x = asarray_operand(x)
    return x, aval_of(x)


# ---------------------------------------------------------------------------
# creation


def full(shape: Any, fill_value: Any, dtype: Any = None, *, sharding: Any = None) -> Any:
    """An array of `shape` filled with `fill_value` (a scalar), of `dtype` or, when
    None, of `fill_value`'s dtype (a Python scalar gives a weakly typed result, as in
    JAX).

    >>> full((2, 3), 1.5).shape
    (2, 3)
    """
    no_sharding("full", sharding=sharding)
    shape = static_shape("full", shape)
    fill, fa = _operand(fill_value)
    if fa.shape != ():
        raise TypeError(f"lax.full: fill_value must be a scalar, got shape {fa.shape}")
    if dtype is not None:
        fill = convert(fill, dtypes.canonicalize(dtype), False)
    return materialize(P.broadcast_in_dim_p.bind(fill, shape=shape, broadcast_dimensions=()))


def _shape_dtype(fname: str, x: Any) -> tuple[tuple[int, ...], np.dtype, bool]:
    """The shape, dtype and weakness of an array, a scalar, or a duck-typed value with
    ``shape`` and ``dtype`` (ShapeDtypeStruct)."""
    if not (is_traced_or_array(x) or isinstance(x, (np.ndarray, np.generic))) \
            and hasattr(x, "shape") and hasattr(x, "dtype"):
        return tuple(x.shape), dtypes.canonicalize(x.dtype), bool(getattr(x, "weak_type", False))
    a = aval_of(asarray_operand(x))
    return a.shape, a.dtype, a.weak_type


def full_like(x: Any, fill_value: Any, dtype: Any = None, shape: Any = None,
              sharding: Any = None) -> Any:
    """An array like `x` (its shape and dtype, or `shape`/`dtype` where given) filled
    with `fill_value`; it keeps `x`'s weak type when `dtype` is None."""
    no_sharding("full_like", sharding=sharding)
    xshape, xdtype, weak = _shape_dtype("full_like", x)
    out_shape = xshape if shape is None else static_shape("full_like", shape)
    dt = xdtype if dtype is None else dtypes.canonicalize(dtype)
    fill, fa = _operand(fill_value)
    if fa.shape != ():
        raise TypeError(f"lax.full_like: fill_value must be a scalar, got shape {fa.shape}")
    fill = convert(fill, dt, weak and dtype is None)
    return materialize(P.broadcast_in_dim_p.bind(fill, shape=out_shape,
                                                 broadcast_dimensions=()))


def empty(shape: Any, dtype: Any, *, out_sharding: Any = None) -> Any:
    """An array of `shape` and `dtype` whose values must not be relied on.

    NB: funcgrad fills it with zeros (its arrays are immutable, so an uninitialized
    buffer would buy nothing)."""
    no_sharding("empty", out_sharding=out_sharding)
    return full(shape, 0, dtype)


def shape_as_value(shape: Any) -> Any:
    """`shape` as a 1-d integer array.

    NB: int64, funcgrad's index dtype (JAX picks int32 when the sizes fit); shapes
    are always static in funcgrad, so this is a constant."""
    sizes = static_shape("shape_as_value", shape)
    return materialize(asarray_operand(np.asarray(sizes, dtypes.int64).reshape(len(sizes))))


# ---------------------------------------------------------------------------
# broadcasting and reshaping


def broadcast(operand: Any, sizes: Sequence[int], *, out_sharding: Any = None) -> Any:
    """`operand` with new leading dimensions of `sizes`: shape ``(*sizes, *operand.shape)``."""
    no_sharding("broadcast", out_sharding=out_sharding)
    x, a = _operand(operand)
    lead = static_shape("broadcast", sizes, "sizes")
    if not lead:
        return materialize(x)
    return P.broadcast_in_dim_p.bind(x, shape=(*lead, *a.shape),
                                     broadcast_dimensions=tuple(range(len(lead),
                                                                      len(lead) + a.ndim)))


def broadcast_to_rank(x: Any, rank: int) -> Any:
    """`x` with leading dimensions of size 1 added up to rank `rank` (unchanged when its
    rank is already at least `rank`)."""
    x, a = _operand(x)
    rank = static_int("broadcast_to_rank", "rank", rank)
    return broadcast(x, (1,) * max(rank - a.ndim, 0))


def _broadcast_to(fname: str, x: Any, shape: tuple[int, ...]) -> Any:
    a = aval_of(x)
    lead = len(shape) - a.ndim
    if lead < 0 or any(d not in (1, s) for d, s in zip(a.shape, shape[lead:], strict=True)):
        raise ValueError(f"lax.{fname}: cannot broadcast an array of shape {a.shape} to "
                         f"shape {shape}")
    if a.shape == shape:
        return materialize(x)
    keep = [i for i, d in enumerate(a.shape) if d == shape[lead + i]]
    if len(keep) != a.ndim:
        x = P.reshape_p.bind(x, new_sizes=tuple(a.shape[i] for i in keep))
    return P.broadcast_in_dim_p.bind(x, shape=shape, broadcast_dimensions=tuple(lead + i
                                                                                for i in keep))


def broadcast_like(arr: Any, like_arr: Any) -> Any:
    """`arr` broadcast (NumPy's rules) to the shape of `like_arr`."""
    shape, _, _ = _shape_dtype("broadcast_like", like_arr)
    return _broadcast_to("broadcast_like", asarray_operand(arr), shape)


def reshape(operand: Any, new_sizes: Any, dimensions: Sequence[int] | None = None, *,
            out_sharding: Any = None) -> Any:
    """`operand` read in row-major order -- after permuting its axes by `dimensions`,
    when given -- into shape `new_sizes` (every size given: no -1).

    >>> reshape(np.arange(6), (2, 3), dimensions=(0,)).shape
    (2, 3)
    """
    no_sharding("reshape", out_sharding=out_sharding)
    x, a = _operand(operand)
    sizes = static_shape("reshape", new_sizes, "new_sizes")
    if dimensions is not None:
        perm = tuple(static_int("reshape", "every entry of dimensions", d) for d in dimensions)
        if sorted(perm) != list(range(a.ndim)):
            raise ValueError(f"lax.reshape: dimensions must be a permutation of the operand's "
                             f"axes {tuple(range(a.ndim))}, got {perm}")
        if perm != tuple(range(a.ndim)):
            x = P.transpose_p.bind(x, permutation=perm)
    if math.prod(sizes) != a.size:
        raise shape_error("reshape", f"cannot reshape an array of shape {a.shape} (size "
                                     f"{a.size}) into shape {sizes}")
    if aval_of(x).shape == sizes:
        return materialize(x)
    return P.reshape_p.bind(x, new_sizes=sizes)


def collapse(operand: Any, start_dimension: int, stop_dimension: int | None = None) -> Any:
    """`operand` with its axes ``[start_dimension, stop_dimension)`` merged into one
    (Python slice rules for the bounds; None: through the last axis)."""
    x, a = _operand(operand)
    start = static_int("collapse", "start_dimension", start_dimension)
    stop = None if stop_dimension is None else static_int("collapse", "stop_dimension",
                                                          stop_dimension)
    lo, hi, _ = builtins.slice(start, stop).indices(a.ndim)
    if hi < lo:
        raise ValueError(f"lax.collapse: the dimension range [{start_dimension}:"
                         f"{stop_dimension}] is empty for an operand of shape {a.shape}")
    return reshape(x, (*a.shape[:lo], math.prod(a.shape[lo:hi]), *a.shape[hi:]))


def squeeze(array: Any, dimensions: Sequence[int]) -> Any:
    """`array` without the size-1 axes `dimensions` (negative ones count from the end)."""
    x, a = _operand(array)
    dims = sorted({axis_index("squeeze", d, a.ndim, "dimension") for d in dimensions})
    for d in dims:
        if a.shape[d] != 1:
            raise ValueError(f"lax.squeeze: cannot squeeze axis {d} of an array of shape "
                             f"{a.shape}: its size is not 1")
    if not dims:
        return materialize(x)
    return P.squeeze_p.bind(x, dimensions=tuple(dims))


def expand_dims(array: Any, dimensions: Sequence[int]) -> Any:
    """`array` with size-1 axes inserted at `dimensions`, positions of the result
    (negative ones count from its end)."""
    x, a = _operand(array)
    out_ndim = a.ndim + len(dimensions)
    dims = sorted(axis_index("expand_dims", d, out_ndim, "dimension") for d in dimensions)
    if len(set(dims)) != len(dims):
        raise ValueError(f"lax.expand_dims: repeated dimension in {tuple(dimensions)}")
    if not dims:
        return materialize(x)
    return P.expand_dims_p.bind(x, dimensions=tuple(dims))


def tile(operand: Any, reps: Sequence[int]) -> Any:
    """`operand` repeated ``reps[i]`` times along each axis i (one rep per axis)."""
    x, a = _operand(operand)
    reps_t = static_shape("tile", reps, "reps")
    if len(reps_t) != a.ndim:
        raise TypeError(f"lax.tile: reps needs one entry per axis of the operand "
                        f"(rank {a.ndim}), got {reps_t}")
    return P.tile_p.bind(x, reps=reps_t)


# ---------------------------------------------------------------------------
# one axis at a time


def slice_in_dim(operand: Any, start_index: int | None, limit_index: int | None,
                 stride: int = 1, axis: int = 0) -> Any:
    """``operand[start:limit:stride]`` along `axis`: None means the axis' start/end,
    and a negative bound counts from the end once (a bound out of range raises)."""
    x, a = _operand(operand)
    ax = axis_index("slice_in_dim", axis, a.ndim)
    n = a.shape[ax]
    lo = 0 if start_index is None else static_int("slice_in_dim", "start_index", start_index)
    hi = n if limit_index is None else static_int("slice_in_dim", "limit_index", limit_index)
    st = static_int("slice_in_dim", "stride", stride)
    lo, hi = lo + n if lo < 0 else lo, hi + n if hi < 0 else hi
    if st < 1:
        raise ValueError(f"lax.slice_in_dim: stride must be positive, got {st}")
    if not 0 <= lo <= hi <= n:
        raise ValueError(f"lax.slice_in_dim: the bounds [{start_index}, {limit_index}) do not "
                         f"lie in axis {ax} of size {n} (start must not exceed limit)")
    starts, limits, strides = [0] * a.ndim, list(a.shape), [1] * a.ndim
    starts[ax], limits[ax], strides[ax] = lo, hi, st
    return P.slice_p.bind(x, start_indices=tuple(starts), limit_indices=tuple(limits),
                          strides=tuple(strides))


def index_in_dim(operand: Any, index: int, axis: int = 0, keepdims: bool = True) -> Any:
    """Entry `index` (static; negative counts from the end) along `axis`, that axis
    kept with size 1 when `keepdims`."""
    x, a = _operand(operand)
    ax = axis_index("index_in_dim", axis, a.ndim)
    i = static_int("index_in_dim", "index", index)
    n = a.shape[ax]
    if not -n <= i < n:
        raise IndexError(f"lax.index_in_dim: index {i} is out of bounds for axis {ax} with "
                         f"size {n}")
    i %= n
    out = slice_in_dim(x, i, i + 1, 1, ax)
    return out if keepdims else P.squeeze_p.bind(out, dimensions=(ax,))


def _start(fname: str, index: Any, n: int, allow_negative_indices: bool, axis: int,
           size: int) -> Any:
    """The int64 start of a window of `size` along `axis` (of length `n`); see
    `check_starts` for when an out-of-bounds one raises."""
    i = asarray_operand(index)
    ia = aval_of(i)
    if ia.shape != () or not dtypes.is_integer(ia.dtype):
        raise TypeError(f"lax.{fname}: the start index must be an integer scalar, got "
                        f"{ia.str_short()}")
    if not isinstance(allow_negative_indices, (bool, np.bool_)):
        raise TypeError(f"lax.{fname}: allow_negative_indices must be a bool, got "
                        f"{allow_negative_indices!r:.60}")
    check_starts(f"lax.{fname}", axis, i, n, (1,) * axis + (size,), allow_negative_indices)
    if allow_negative_indices:
        return wrap_index(i, n)
    if isinstance(index, (int, np.integer)) and index < 0:
        raise ValueError(f"lax.{fname}: index {index} is out of bounds for an axis of size {n} "
                         f"when allow_negative_indices=False")
    return convert(i, dtypes.int64)


def _starts(fname: str, a: Any, ax: int, index: Any, allow_negative_indices: bool,
            size: int) -> list[Any]:
    zero = convert(0, dtypes.int64)
    out = [zero] * a.ndim
    out[ax] = _start(fname, index, a.shape[ax], allow_negative_indices, ax, size)
    return out


def dynamic_slice_in_dim(operand: Any, start_index: Any, slice_size: int, axis: int = 0, *,
                         allow_negative_indices: bool = True) -> Any:
    """`slice_size` entries along `axis` from the (possibly traced) `start_index`;
    the start is clamped so the window fits, as in ``lax.dynamic_slice``."""
    x, a = _operand(operand)
    ax = axis_index("dynamic_slice_in_dim", axis, a.ndim)
    size = static_int("dynamic_slice_in_dim", "slice_size", slice_size)
    if not 0 <= size <= a.shape[ax]:
        raise ValueError(f"lax.dynamic_slice_in_dim: slice_size {size} does not fit in axis "
                         f"{ax} of size {a.shape[ax]}")
    sizes = list(a.shape)
    sizes[ax] = size
    idx = _starts("dynamic_slice_in_dim", a, ax, start_index, allow_negative_indices, size)
    return P.dynamic_slice_p.bind(x, *idx, slice_sizes=tuple(sizes))


def dynamic_index_in_dim(operand: Any, index: Any, axis: int = 0, keepdims: bool = True, *,
                         allow_negative_indices: bool = True) -> Any:
    """Entry `index` (possibly traced, clamped into range) along `axis`."""
    x, a = _operand(operand)
    ax = axis_index("dynamic_index_in_dim", axis, a.ndim)
    out = dynamic_slice_in_dim(x, index, 1, ax, allow_negative_indices=allow_negative_indices)
    return out if keepdims else P.squeeze_p.bind(out, dimensions=(ax,))


def dynamic_update_slice_in_dim(operand: Any, update: Any, start_index: Any, axis: int, *,
                                allow_negative_indices: bool = True) -> Any:
    """`operand` with `update` written along `axis` from `start_index` (clamped so the
    update fits); `update` matches `operand` on every other axis."""
    x, a = _operand(operand)
    u, ua = _operand(update)
    ax = axis_index("dynamic_update_slice_in_dim", axis, a.ndim)
    if ua.ndim != a.ndim:
        raise TypeError(f"lax.dynamic_update_slice_in_dim: update of shape {ua.shape} needs "
                        f"the operand's rank {a.ndim}")
    idx = _starts("dynamic_update_slice_in_dim", a, ax, start_index, allow_negative_indices,
                  ua.shape[ax])
    return P.dynamic_update_slice_p.bind(x, u, *idx)


def dynamic_update_index_in_dim(operand: Any, update: Any, index: Any, axis: int, *,
                                allow_negative_indices: bool = True) -> Any:
    """`operand` with entry `index` along `axis` replaced by `update` (given with or
    without that axis)."""
    x, a = _operand(operand)
    u, ua = _operand(update)
    ax = axis_index("dynamic_update_index_in_dim", axis, a.ndim)
    if ua.ndim == a.ndim - 1:
        u = P.expand_dims_p.bind(u, dimensions=(ax,))
    return dynamic_update_slice_in_dim(x, u, index, ax,
                                       allow_negative_indices=allow_negative_indices)


def split(operand: Any, sizes: Sequence[int], axis: int = 0) -> list[Any]:
    """`operand` cut along `axis` into consecutive pieces of `sizes` (which sum to the
    axis' size)."""
    x, a = _operand(operand)
    ax = axis_index("split", axis, a.ndim)
    parts = tuple(static_int("split", "every entry of sizes", s) for s in sizes)
    if any(s < 0 for s in parts):
        raise ValueError(f"lax.split: sizes must be non-negative, got {parts}")
    if sum(parts) != a.shape[ax]:
        raise ValueError(f"lax.split: sizes {parts} sum to {sum(parts)}, not to the size "
                         f"{a.shape[ax]} of axis {ax} of the operand of shape {a.shape}")
    return list(P.split_p.bind(x, sizes=parts, axis=ax))


def stack(operands: Sequence[Any], axis: int = 0) -> Any:
    """`operands` (of one shape and dtype) joined along a new axis at `axis`."""
    xs = [asarray_operand(v) for v in operands]
    if not xs:
        raise ValueError("lax.stack: needs at least one array to stack")
    avals = [aval_of(v) for v in xs]
    if len({v.shape for v in avals}) != 1:
        raise ValueError(f"lax.stack: all arrays must have the same shape, got "
                         f"{', '.join(str(v.shape) for v in avals)}")
    if len({v.dtype for v in avals}) != 1:
        raise TypeError(f"lax.stack: all arrays must have the same dtype, got "
                        f"{', '.join(str(v.dtype) for v in avals)}")
    ax = axis_index("stack", axis, avals[0].ndim + 1)
    expanded = [P.expand_dims_p.bind(v, dimensions=(ax,)) for v in xs]
    if len(expanded) == 1:
        return expanded[0]
    return P.concatenate_p.bind(*expanded, dimension=ax)


def unstack(x: Any, axis: int = 0) -> tuple[Any, ...]:
    """The slices of `x` along `axis`, that axis removed."""
    x, a = _operand(x)
    ax = axis_index("unstack", axis, a.ndim)
    return tuple(index_in_dim(x, i, ax, keepdims=False) for i in range(a.shape[ax]))


def stage(x: Any, /) -> Any:
    """`x` (a Python scalar, a NumPy array, an Array) as a funcgrad array, unchanged in
    value: a constant becomes an Array, a traced value stays itself."""
    return materialize(asarray_operand(x))


def dce_sink(val: Any, *, prevent_mlir_dce: bool = False) -> None:
    """Mark every array leaf of the pytree `val` as used, so staging keeps the
    computation of each even when nothing else reads it (``fg.make_ir`` and
    ``jit`` prune the unused rest). Returns None.

    NB: ``prevent_mlir_dce=True`` (JAX: keep the value alive in the compiled
    XLA program too, through a side-effecting custom call) raises; XLA may still
    drop a computation nobody reads once it is compiled.

    >>> dce_sink(fnp.sin(1.0))
    """
    if prevent_mlir_dce:
        raise UnsupportedError("lax.dce_sink: prevent_mlir_dce=True is not supported (funcgrad "
                               "keeps the value in its staged program only); return the value "
                               "from the function to keep it in the compiled program")
    for leaf in tree.leaves(val):
        P.dce_sink_p.bind(asarray_operand(leaf))
