"""Transpose rules of the structural primitives: shapes, slices, padding."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from funcgrad import primitives as P
from funcgrad.errors import UnsupportedError
from funcgrad.transforms.programs import (UndefinedPrimal, Zero, aval, convert, instantiate,
                                          is_undefined, tangent_aval, weak_scalar, zeros)
from funcgrad.transforms.transpose.interpreter import KEEP, UNIFORM, mask_policy, transpose_rules


def _pad_transpose(ct: Any, x: Any, v: Any, *,
                   padding_config: tuple[tuple[int, int, int], ...]) -> list[Any]:
    cta = aval(ct)
    unpad = tuple((-lo, -hi, 0) for lo, hi, _ in padding_config)
    unpadded = P.pad_p.bind(ct, weak_scalar(0, cta.dtype), padding_config=unpad)
    ua = aval(unpadded)
    ct_x = P.slice_p.bind(unpadded, start_indices=(0,) * ua.ndim, limit_indices=ua.shape,
                          strides=tuple(i + 1 for _, _, i in padding_config))
    ct_v = None
    if is_undefined(v):
        axes = tuple(range(cta.ndim))
        total = P.reduce_sum_p.bind(ct, axes=axes) if axes else ct
        inner = P.reduce_sum_p.bind(ct_x, axes=axes) if axes else ct_x
        ct_v = P.sub_p.bind(total, inner)
    return [ct_x if is_undefined(x) else None, ct_v]


transpose_rules[P.pad_p] = _pad_transpose


def _concatenate_transpose(ct: Any, *xs: Any, dimension: int) -> list[Any]:
    out: list[Any] = []
    start = 0
    shape = aval(ct).shape
    for x in xs:
        n = aval(x).shape[dimension]
        if is_undefined(x):
            starts = tuple(start if i == dimension else 0 for i in range(len(shape)))
            limits = tuple(start + n if i == dimension else d for i, d in enumerate(shape))
            out.append(P.slice_p.bind(ct, start_indices=starts, limit_indices=limits,
                                      strides=(1,) * len(shape)))
        else:
            out.append(None)
        start += n
    return out


transpose_rules[P.concatenate_p] = _concatenate_transpose


def _dynamic_slice_transpose(ct: Any, x: Any, *idx: Any,
                             slice_sizes: tuple[int, ...]) -> list[Any]:
    if any(is_undefined(i) for i in idx):
        raise UnsupportedError("cannot transpose dynamic_slice with respect to its indices")
    return [P.dynamic_update_slice_p.bind(zeros(tangent_aval(x.aval)), ct, *idx),
            *(None for _ in idx)]


def _dynamic_update_slice_transpose(ct: Any, x: Any, u: Any, *idx: Any) -> list[Any]:
    if any(is_undefined(i) for i in idx):
        raise UnsupportedError("cannot transpose dynamic_update_slice with respect to its "
                               "indices")
    ua = aval(u)
    ct_x = (P.dynamic_update_slice_p.bind(ct, zeros(tangent_aval(ua).update(
        dtype=aval(ct).dtype)), *idx) if is_undefined(x) else None)
    ct_u = None
    if is_undefined(u):
        ct_u = convert(P.dynamic_slice_p.bind(ct, *idx, slice_sizes=ua.shape), ua.dtype)
    return [ct_x, ct_u, *(None for _ in idx)]


transpose_rules[P.dynamic_slice_p] = _dynamic_slice_transpose
transpose_rules[P.dynamic_update_slice_p] = _dynamic_update_slice_transpose


def _broadcast_in_dim_transpose(ct: Any, x: UndefinedPrimal, *, shape: tuple[int, ...],
                                broadcast_dimensions: tuple[int, ...]) -> list[Any]:
    a = x.aval
    dims = set(broadcast_dimensions)
    expanded = {b for d, b in zip(a.shape, broadcast_dimensions, strict=True)
                if d == 1 and shape[b] != 1}
    axes = tuple(i for i in range(len(shape)) if i not in dims or i in expanded)
    if axes:
        ct = P.reduce_sum_p.bind(ct, axes=axes)
    if aval(ct).shape != a.shape:
        ct = P.reshape_p.bind(ct, new_sizes=a.shape)
    return [ct]


def _reshape_back(ct: Any, x: UndefinedPrimal) -> list[Any]:
    """reshape, squeeze and expand_dims only regroup elements: reshape back."""
    return [P.reshape_p.bind(ct, new_sizes=x.aval.shape)]


def _reshape_transpose(ct: Any, x: UndefinedPrimal, *, new_sizes: tuple[int, ...]) -> list[Any]:
    return _reshape_back(ct, x)


def _squeeze_transpose(ct: Any, x: UndefinedPrimal, *, dimensions: tuple[int, ...]) -> list[Any]:
    return _reshape_back(ct, x)


def _expand_dims_transpose(ct: Any, x: UndefinedPrimal, *,
                           dimensions: tuple[int, ...]) -> list[Any]:
    return _reshape_back(ct, x)


def _transpose_transpose(ct: Any, x: UndefinedPrimal, *,
                         permutation: tuple[int, ...]) -> list[Any]:
    inverse = tuple(sorted(range(len(permutation)), key=lambda i: permutation[i]))
    return [P.transpose_p.bind(ct, permutation=inverse)]


def _rev_transpose(ct: Any, x: UndefinedPrimal, *, dimensions: tuple[int, ...]) -> list[Any]:
    return [P.rev_p.bind(ct, dimensions=dimensions)]


def _slice_transpose(ct: Any, x: UndefinedPrimal, *, start_indices: tuple[int, ...],
                     limit_indices: tuple[int, ...], strides: tuple[int, ...]) -> list[Any]:
    cfg = []
    for lo, d, st, n in zip(start_indices, x.aval.shape, strides, aval(ct).shape, strict=True):
        used = n + max(n - 1, 0) * (st - 1)
        cfg.append((lo, d - lo - used, st - 1))
    return [P.pad_p.bind(ct, weak_scalar(0, aval(ct).dtype), padding_config=tuple(cfg))]


transpose_rules[P.broadcast_in_dim_p] = _broadcast_in_dim_transpose
transpose_rules[P.reshape_p] = _reshape_transpose
transpose_rules[P.squeeze_p] = _squeeze_transpose
transpose_rules[P.expand_dims_p] = _expand_dims_transpose
transpose_rules[P.transpose_p] = _transpose_transpose
transpose_rules[P.rev_p] = _rev_transpose
transpose_rules[P.slice_p] = _slice_transpose


def _split_transpose(cts: Sequence[Any], x: UndefinedPrimal, *, sizes: tuple[int, ...],
                     axis: int) -> list[Any]:
    if all(type(ct) is Zero for ct in cts):
        return [Zero(tangent_aval(x.aval))]
    return [P.concatenate_p.bind(*(instantiate(ct) for ct in cts), dimension=axis)]


def _tile_transpose(ct: Any, x: UndefinedPrimal, *, reps: tuple[int, ...]) -> list[Any]:
    # every copy of an element sends its cotangent back: split each axis into
    # (rep, size) and sum over the rep axes
    shape = x.aval.shape
    pairs = tuple(v for r, d in zip(reps, shape, strict=True) for v in (r, d))
    if not shape:
        return [ct]
    summed = P.reduce_sum_p.bind(P.reshape_p.bind(ct, new_sizes=pairs),
                                 axes=tuple(range(0, 2 * len(shape), 2)))
    return [summed]


def _copy_transpose(ct: Any, x: UndefinedPrimal) -> list[Any]:
    return [P.copy_p.bind(ct)]


transpose_rules[P.split_p] = _split_transpose
transpose_rules[P.tile_p] = _tile_transpose
transpose_rules[P.copy_p] = _copy_transpose

# how each rule treats a cotangent that a select zeroed (see `mask_policy`): these
# move elements, so only a single-valued predicate still says which are zero
mask_policy[P.pad_p] = UNIFORM
mask_policy[P.concatenate_p] = UNIFORM
mask_policy[P.dynamic_slice_p] = UNIFORM
mask_policy[P.dynamic_update_slice_p] = UNIFORM
mask_policy[P.broadcast_in_dim_p] = UNIFORM
mask_policy[P.reshape_p] = UNIFORM
mask_policy[P.squeeze_p] = UNIFORM
mask_policy[P.expand_dims_p] = UNIFORM
mask_policy[P.transpose_p] = UNIFORM
mask_policy[P.rev_p] = UNIFORM
mask_policy[P.slice_p] = UNIFORM
mask_policy[P.tile_p] = UNIFORM
mask_policy[P.copy_p] = KEEP
