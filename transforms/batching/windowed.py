"""Batching rules of the windowed primitives and reduce_precision: the batch axis
gets a window of one element (stride 1, no padding, no dilation), so each lane
is reduced on its own; operands that must agree share the first batched
operand's batch axis. top_k, approx_top_k and cumlogsumexp act along one axis,
which shifts past the batch axis."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from funcgrad import primitives as P
from funcgrad.errors import UnsupportedError
from funcgrad.transforms.batching.interpreter import (Dim, batch_rules, elementwise_batch,
                                                      move_bdim, shift_axis)

_UNIT = {"window_dimensions": 1, "window_strides": 1, "padding": (0, 0), "base_dilation": 1,
         "window_dilation": 1}


def _with_unit_window(d: int, params: dict[str, Any]) -> dict[str, Any]:
    """The window params with a unit window inserted at axis `d`."""
    out = dict(params)
    for name, unit in _UNIT.items():
        if name in params:
            v = tuple(params[name])
            out[name] = (*v[:d], unit, *v[d:])
    return out


def _aligned(axis_size: int, args: Sequence[Any], dims: Sequence[Dim]) -> tuple[list[Any], int]:
    d = next(d for d in dims if d is not None)
    return [move_bdim(x, dx, d, axis_size) for x, dx in zip(args, dims, strict=True)], d


def _reduce_window_sum_batch(axis_size: int, args: Sequence[Any], dims: Sequence[Dim],
                             **params: Any) -> tuple[list[Any], list[Dim]]:
    (x,), (d,) = args, dims
    assert d is not None
    return [P.reduce_window_sum_p.bind(x, **_with_unit_window(d, params))], [d]


def _reduce_window_max_batch(axis_size: int, args: Sequence[Any], dims: Sequence[Dim],
                             **params: Any) -> tuple[list[Any], list[Dim]]:
    (x,), (d,) = args, dims
    assert d is not None
    return [P.reduce_window_max_p.bind(x, **_with_unit_window(d, params))], [d]


def _reduce_window_min_batch(axis_size: int, args: Sequence[Any], dims: Sequence[Dim],
                             **params: Any) -> tuple[list[Any], list[Dim]]:
    (x,), (d,) = args, dims
    assert d is not None
    return [P.reduce_window_min_p.bind(x, **_with_unit_window(d, params))], [d]


def _reduce_window_batch(axis_size: int, args: Sequence[Any], dims: Sequence[Dim],
                         **params: Any) -> tuple[list[Any], list[Dim]]:
    n = len(args) // 2
    if any(d is not None for d in dims[n:]):
        raise UnsupportedError("reduce_window: vmap over init_value is not supported (its "
                               "init values must be the same in every lane); map over the "
                               "operands only, or apply the per-lane init values after the "
                               "reduction")
    operands, d = _aligned(axis_size, args[:n], dims[:n])
    outs = P.reduce_window_p.bind(*operands, *args[n:], **_with_unit_window(d, params))
    return list(outs), [d] * n


def _select_and_gather_add_batch(axis_size: int, args: Sequence[Any], dims: Sequence[Dim],
                                 **params: Any) -> tuple[list[Any], list[Dim]]:
    (t, x), d = _aligned(axis_size, args, dims)
    return [P.select_and_gather_add_p.bind(t, x, **_with_unit_window(d, params))], [d]


def _select_and_scatter_add_batch(axis_size: int, args: Sequence[Any], dims: Sequence[Dim],
                                  **params: Any) -> tuple[list[Any], list[Dim]]:
    (source, x), d = _aligned(axis_size, args, dims)
    return [P.select_and_scatter_add_p.bind(source, x, **_with_unit_window(d, params))], [d]


def _top_k_batch(axis_size: int, args: Sequence[Any], dims: Sequence[Dim], *, k: int,
                 axis: int) -> tuple[list[Any], list[Dim]]:
    (x,), (d,) = args, dims
    assert d is not None
    return list(P.top_k_p.bind(x, k=k, axis=shift_axis(axis, d))), [d, d]


def _approx_top_k_batch(axis_size: int, args: Sequence[Any], dims: Sequence[Dim], *,
                        reduction_dimension: int, **params: Any) -> tuple[list[Any], list[Dim]]:
    (x,), (d,) = args, dims
    assert d is not None
    outs = P.approx_top_k_p.bind(x, reduction_dimension=shift_axis(reduction_dimension, d),
                                 **params)
    return list(outs), [d, d]


def _cumlogsumexp_batch(axis_size: int, args: Sequence[Any], dims: Sequence[Dim], *,
                        axis: int, reverse: bool) -> tuple[list[Any], list[Dim]]:
    (x,), (d,) = args, dims
    assert d is not None
    return [P.cumlogsumexp_p.bind(x, axis=shift_axis(axis, d), reverse=reverse)], [d]


batch_rules[P.top_k_p] = _top_k_batch
batch_rules[P.approx_top_k_p] = _approx_top_k_batch
batch_rules[P.cumlogsumexp_p] = _cumlogsumexp_batch
batch_rules[P.reduce_window_sum_p] = _reduce_window_sum_batch
batch_rules[P.reduce_window_max_p] = _reduce_window_max_batch
batch_rules[P.reduce_window_min_p] = _reduce_window_min_batch
batch_rules[P.reduce_window_p] = _reduce_window_batch
batch_rules[P.select_and_gather_add_p] = _select_and_gather_add_batch
batch_rules[P.select_and_scatter_add_p] = _select_and_scatter_add_batch
batch_rules[P.reduce_precision_p] = elementwise_batch(P.reduce_precision_p)
