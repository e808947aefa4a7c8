"""Shape manipulation, joining, broadcasting, clip (`where` is with `nonzero` in `_sorting`)."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from funcgrad import dtypes
from funcgrad import primitives as P
from funcgrad.core import shape_error
from funcgrad.numpy._util import (asarray_operand, aval_of, convert, materialize,
                                  normalize_axes, normalize_axis, promote)


def shape(a: Any) -> tuple[int, ...]:
    return aval_of(asarray_operand(a)).shape


def ndim(a: Any) -> int:
    return len(shape(a))


def size(a: Any, axis: int | None = None) -> int:
    s = shape(a)
    return int(np.prod(s)) if axis is None else s[axis]


def reshape(a: Any, *newshape: Any, order: str = "C", shape: Any = None) -> Any:
    if order != "C":
        raise NotImplementedError("reshape: only order='C' is supported")
    x = asarray_operand(a)
    if shape is not None:
        newshape = (shape,)
    if len(newshape) == 1 and not isinstance(newshape[0], (int, np.integer)):
        newshape = tuple(newshape[0])
    new = [int(d) for d in newshape]
    sz = aval_of(x).size
    if new.count(-1) > 1:
        raise ValueError("reshape: can only specify one unknown dimension (-1)")
    if -1 in new:
        known = int(np.prod([d for d in new if d != -1]))
        if known == 0 or sz % known:
            raise shape_error("reshape", f"cannot reshape array of size {sz} into shape "
                              f"{tuple(newshape)}")
        new[new.index(-1)] = sz // known
    new_t = tuple(new)
    if new_t == aval_of(x).shape:
        return materialize(x)
    return P.reshape_p.bind(x, new_sizes=new_t)


def ravel(a: Any) -> Any:
    return reshape(a, -1)


def transpose(a: Any, axes: Sequence[int] | None = None) -> Any:
    x = asarray_operand(a)
    nd = aval_of(x).ndim
    perm = tuple(reversed(range(nd))) if axes is None else tuple(
        normalize_axis(int(i), nd) for i in axes)
    if perm == tuple(range(nd)):
        return materialize(x)
    return P.transpose_p.bind(x, permutation=perm)


def permute_dims(a: Any, axes: Sequence[int]) -> Any:
    return transpose(a, axes)


def matrix_transpose(a: Any) -> Any:
    return swapaxes(a, -1, -2)


def swapaxes(a: Any, axis1: int, axis2: int) -> Any:
    x = asarray_operand(a)
    nd = aval_of(x).ndim
    perm = list(range(nd))
    i, j = normalize_axis(axis1, nd), normalize_axis(axis2, nd)
    perm[i], perm[j] = perm[j], perm[i]
    return transpose(x, perm)


def moveaxis(a: Any, source: int | Sequence[int], destination: int | Sequence[int]) -> Any:
    x = asarray_operand(a)
    nd = aval_of(x).ndim
    src = normalize_axes(source, nd)
    dst = normalize_axes(destination, nd)
    if len(src) != len(dst):
        raise ValueError("moveaxis: source and destination must have the same number of axes")
    order = [i for i in range(nd) if i not in src]
    for d, s in sorted(zip(dst, src, strict=True)):
        order.insert(d, s)
    return transpose(x, order)


def squeeze(a: Any, axis: int | Sequence[int] | None = None) -> Any:
    x = asarray_operand(a)
    s = aval_of(x).shape
    dims = tuple(i for i, d in enumerate(s) if d == 1) if axis is None else normalize_axes(
        axis, len(s))
    if not dims:
        return materialize(x)
    return P.squeeze_p.bind(x, dimensions=tuple(sorted(dims)))


def expand_dims(a: Any, axis: int | Sequence[int]) -> Any:
    x = asarray_operand(a)
    n = len(axis) if isinstance(axis, (tuple, list)) else 1
    dims = normalize_axes(axis, aval_of(x).ndim + n)
    return P.expand_dims_p.bind(x, dimensions=tuple(sorted(dims)))


def broadcast_shapes(*shapes: Sequence[int]) -> tuple[int, ...]:
    return P.broadcast_shapes("broadcast_shapes", *(tuple(s) for s in shapes))


def broadcast_to(a: Any, shape: int | Sequence[int]) -> Any:
    x = asarray_operand(a)
    shape = (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(int(d) for d in shape)
    xs = aval_of(x).shape
    if xs == shape:
        return materialize(x)
    nd = len(shape)
    if len(xs) > nd or any(d != 1 and d != shape[nd - len(xs) + i] for i, d in enumerate(xs)):
        raise shape_error("broadcast_to", f"cannot broadcast an array of shape {xs} to {shape}")
    return P.broadcast_in_dim_p.bind(x, shape=shape,
                                     broadcast_dimensions=tuple(range(nd - len(xs), nd)))


def broadcast_arrays(*args: Any) -> list[Any]:
    xs = [asarray_operand(a) for a in args]
    s = broadcast_shapes(*(aval_of(x).shape for x in xs))
    return [broadcast_to(x, s) for x in xs]


def atleast_1d(*arys: Any) -> Any:
    out = [reshape(a, 1) if ndim(a) == 0 else asarray_operand(a) for a in arys]
    return out[0] if len(out) == 1 else out


def atleast_2d(*arys: Any) -> Any:
    out = []
    for a in arys:
        x = asarray_operand(a)
        nd = aval_of(x).ndim
        out.append(reshape(x, (1, 1)) if nd == 0 else expand_dims(x, 0) if nd == 1 else x)
    return out[0] if len(out) == 1 else out


def atleast_3d(*arys: Any) -> Any:
    out = []
    for a in arys:
        x = asarray_operand(a)
        nd = aval_of(x).ndim
        out.append(reshape(x, (1, 1, 1)) if nd == 0 else reshape(x, (1, -1, 1)) if nd == 1
                   else expand_dims(x, -1) if nd == 2 else x)
    return out[0] if len(out) == 1 else out


def concatenate(arrays: Sequence[Any], axis: int | None = 0, dtype: Any = None) -> Any:
    if not len(arrays):
        raise ValueError("need at least one array to concatenate")
    xs = promote(*arrays)
    xs = [convert(x, aval_of(x).dtype, False) for x in xs]
    if axis is None:
        xs = [ravel(x) for x in xs]
        axis = 0
    nd = aval_of(xs[0]).ndim
    if nd == 0:
        raise ValueError("zero-dimensional arrays cannot be concatenated")
    out = xs[0] if len(xs) == 1 else P.concatenate_p.bind(*xs, dimension=normalize_axis(axis, nd))
    return out if dtype is None else convert(out, dtypes.canonicalize(dtype))


def stack(arrays: Sequence[Any], axis: int = 0) -> Any:
    if not len(arrays):
        raise ValueError("need at least one array to stack")
    xs = [asarray_operand(a) for a in arrays]
    shapes = {aval_of(x).shape for x in xs}
    if len(shapes) != 1:
        raise shape_error("stack", f"all input arrays must have the same shape, got "
                          f"{[aval_of(x).shape for x in xs]}")
    ax = normalize_axis(axis, aval_of(xs[0]).ndim + 1)
    return concatenate([expand_dims(x, ax) for x in xs], axis=ax)


def vstack(tup: Sequence[Any]) -> Any:
    return concatenate([atleast_2d(a) for a in tup], axis=0)


def hstack(tup: Sequence[Any]) -> Any:
    xs = [atleast_1d(a) for a in tup]
    return concatenate(xs, axis=0 if aval_of(xs[0]).ndim == 1 else 1)


def dstack(tup: Sequence[Any]) -> Any:
    return concatenate([atleast_3d(a) for a in tup], axis=2)


def column_stack(tup: Sequence[Any]) -> Any:
    xs = [asarray_operand(a) for a in tup]
    return concatenate([reshape(x, (-1, 1)) if aval_of(x).ndim < 2 else x for x in xs], axis=1)


def clip(a: Any, a_min: Any = None, a_max: Any = None, *, min: Any = None,  # noqa: A002
         max: Any = None) -> Any:  # noqa: A002
    lo = a_min if a_min is not None else min
    hi = a_max if a_max is not None else max
    x = asarray_operand(a)
    if lo is not None:
        x, lo_ = promote(x, lo)
        x = P.max_p.bind(x, lo_)
    if hi is not None:
        x, hi_ = promote(x, hi)
        x = P.min_p.bind(x, hi_)
    return x
