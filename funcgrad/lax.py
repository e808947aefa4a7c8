"""funcgrad.lax: the primitives themselves, with JAX's names and signatures."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from funcgrad import dtypes
from funcgrad import primitives as P
from funcgrad.numpy._util import asarray_operand, aval_of

DotDims = P.DotDims


def dot_general(lhs: Any, rhs: Any, dimension_numbers: Any) -> Any:
    (lc, rc), (lb, rb) = dimension_numbers
    dims = ((tuple(lc), tuple(rc)), (tuple(lb), tuple(rb)))
    return P.dot_general_p.bind(asarray_operand(lhs), asarray_operand(rhs),
                                dimension_numbers=dims)


def broadcast_in_dim(x: Any, shape: Sequence[int], broadcast_dimensions: Sequence[int]) -> Any:
    return P.broadcast_in_dim_p.bind(asarray_operand(x), shape=tuple(shape),
                                     broadcast_dimensions=tuple(broadcast_dimensions))


def convert_element_type(x: Any, new_dtype: Any) -> Any:
    return P.convert_element_type_p.bind(asarray_operand(x),
                                         new_dtype=dtypes.canonicalize(new_dtype),
                                         weak_type=False)


def select(pred: Any, on_true: Any, on_false: Any) -> Any:
    return P.select_n_p.bind(asarray_operand(pred), asarray_operand(on_false),
                             asarray_operand(on_true))


def select_n(which: Any, *cases: Any) -> Any:
    return P.select_n_p.bind(asarray_operand(which), *(asarray_operand(v) for v in cases))


def slice(x: Any, start_indices: Sequence[int], limit_indices: Sequence[int],  # noqa: A001
          strides: Sequence[int] | None = None) -> Any:
    x = asarray_operand(x)
    strides = tuple(strides) if strides is not None else (1,) * aval_of(x).ndim
    return P.slice_p.bind(x, start_indices=tuple(start_indices),
                          limit_indices=tuple(limit_indices), strides=strides)


def _start_indices(name: str, shape: tuple[int, ...], start_indices: Any,
                   allow_negative_indices: bool | Sequence[bool]) -> list[Any]:
    """One int64 scalar per dimension. A negative start counts from the end of its
    dimension once (JAX's ``allow_negative_indices``); the primitive then clamps the
    start so the window fits, which is dynamic_slice's documented behaviour."""
    from funcgrad.numpy._advanced import wrap_index
    if not isinstance(start_indices, (list, tuple)):
        arr = asarray_operand(start_indices)
        if aval_of(arr).ndim != 1:
            raise TypeError(f"{name}: start_indices must be a sequence of scalars or a 1-d "
                            f"array, got shape {aval_of(arr).shape}")
        start_indices = [P.reshape_p.bind(P.slice_p.bind(arr, start_indices=(k,),
                                                         limit_indices=(k + 1,), strides=(1,)),
                                          new_sizes=())
                         for k in range(aval_of(arr).shape[0])]
    if len(start_indices) != len(shape):
        raise TypeError(f"{name}: needs one start index per dimension of the operand "
                        f"{shape}, got {len(start_indices)}")
    allow = ([bool(allow_negative_indices)] * len(shape)
             if isinstance(allow_negative_indices, (bool, np.bool_))
             else [bool(a) for a in allow_negative_indices])
    if len(allow) != len(shape):
        raise TypeError(f"{name}: allow_negative_indices needs one entry per dimension "
                        f"({len(shape)}), got {len(allow)}")
    out = []
    for v, n, neg in zip(start_indices, shape, allow, strict=True):
        i = asarray_operand(v)
        a = aval_of(i)
        if a.shape != () or not dtypes.is_integer(a.dtype):
            raise TypeError(f"{name}: start indices must be integer scalars, got "
                            f"{a.str_short()}")
        if neg:
            out.append(wrap_index(i, n))
        else:
            out.append(P.convert_element_type_p.bind(i, new_dtype=dtypes.int64,
                                                     weak_type=False))
    return out


def dynamic_slice(x: Any, start_indices: Sequence[Any], slice_sizes: Sequence[int], *,
                  allow_negative_indices: bool | Sequence[bool] = True) -> Any:
    x = asarray_operand(x)
    idx = _start_indices("dynamic_slice", aval_of(x).shape, start_indices,
                         allow_negative_indices)
    return P.dynamic_slice_p.bind(x, *idx, slice_sizes=tuple(slice_sizes))


def dynamic_update_slice(x: Any, update: Any, start_indices: Sequence[Any], *,
                         allow_negative_indices: bool | Sequence[bool] = True) -> Any:
    x = asarray_operand(x)
    idx = _start_indices("dynamic_update_slice", aval_of(x).shape, start_indices,
                         allow_negative_indices)
    return P.dynamic_update_slice_p.bind(x, asarray_operand(update), *idx)


def concatenate(operands: Sequence[Any], dimension: int) -> Any:
    return P.concatenate_p.bind(*(asarray_operand(v) for v in operands), dimension=dimension)


def pad(x: Any, padding_value: Any, padding_config: Sequence[tuple[int, int, int]]) -> Any:
    return P.pad_p.bind(asarray_operand(x), asarray_operand(padding_value),
                        padding_config=tuple(tuple(c) for c in padding_config))


def iota(dtype: Any, size: int) -> Any:
    return P.iota_p.bind(dtype=dtypes.canonicalize(dtype), shape=(size,), dimension=0)


def broadcasted_iota(dtype: Any, shape: Sequence[int], dimension: int) -> Any:
    return P.iota_p.bind(dtype=dtypes.canonicalize(dtype), shape=tuple(shape),
                         dimension=dimension)


def reshape(x: Any, new_sizes: Sequence[int]) -> Any:
    return P.reshape_p.bind(asarray_operand(x), new_sizes=tuple(new_sizes))


def transpose(x: Any, permutation: Sequence[int]) -> Any:
    return P.transpose_p.bind(asarray_operand(x), permutation=tuple(permutation))


def rev(x: Any, dimensions: Sequence[int]) -> Any:
    return P.rev_p.bind(asarray_operand(x), dimensions=tuple(dimensions))


def squeeze(x: Any, dimensions: Sequence[int]) -> Any:
    return P.squeeze_p.bind(asarray_operand(x), dimensions=tuple(dimensions))


def expand_dims(x: Any, dimensions: Sequence[int]) -> Any:
    return P.expand_dims_p.bind(asarray_operand(x), dimensions=tuple(dimensions))


def integer_pow(x: Any, y: int) -> Any:
    return P.integer_pow_p.bind(asarray_operand(x), y=int(y))


def cumsum(x: Any, axis: int = 0, reverse: bool = False) -> Any:
    return P.cumsum_p.bind(asarray_operand(x), axis=axis, reverse=reverse)


def cumprod(x: Any, axis: int = 0, reverse: bool = False) -> Any:
    return P.cumprod_p.bind(asarray_operand(x), axis=axis, reverse=reverse)


def cummax(x: Any, axis: int = 0, reverse: bool = False) -> Any:
    return P.cummax_p.bind(asarray_operand(x), axis=axis, reverse=reverse)


def cummin(x: Any, axis: int = 0, reverse: bool = False) -> Any:
    return P.cummin_p.bind(asarray_operand(x), axis=axis, reverse=reverse)


def reduce_sum(x: Any, axes: Sequence[int]) -> Any:
    return P.reduce_sum_p.bind(asarray_operand(x), axes=tuple(axes))


def reduce_max(x: Any, axes: Sequence[int]) -> Any:
    return P.reduce_max_p.bind(asarray_operand(x), axes=tuple(axes))


def reduce_min(x: Any, axes: Sequence[int]) -> Any:
    return P.reduce_min_p.bind(asarray_operand(x), axes=tuple(axes))


def reduce_prod(x: Any, axes: Sequence[int]) -> Any:
    return P.reduce_prod_p.bind(asarray_operand(x), axes=tuple(axes))


def argmax(x: Any, axis: int, index_dtype: Any = np.int64) -> Any:
    return P.argmax_p.bind(asarray_operand(x), axis=axis,
                           index_dtype=dtypes.canonicalize(index_dtype))


def argmin(x: Any, axis: int, index_dtype: Any = np.int64) -> Any:
    return P.argmin_p.bind(asarray_operand(x), axis=axis,
                           index_dtype=dtypes.canonicalize(index_dtype))


def _unary(prim: P.Primitive) -> Any:
    def f(x: Any) -> Any:
        return prim.bind(asarray_operand(x))
    f.__name__ = prim.name
    return f


def _binary(prim: P.Primitive) -> Any:
    def f(x: Any, y: Any) -> Any:
        return prim.bind(asarray_operand(x), asarray_operand(y))
    f.__name__ = prim.name
    return f


for _p in P.UNARY:
    globals()[_p.name] = _unary(_p)
for _p in P.BINARY:
    globals()[_p.name] = _binary(_p)

from funcgrad.control_flow import cond, fori_loop, map, scan, switch, while_loop  # noqa: E402,F401,A004
