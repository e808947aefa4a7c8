"""Batching rules of gather, the scatters and sort."""
from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

from funcgrad import primitives as P
from funcgrad.core import Primitive
from funcgrad.transforms.batching.interpreter import (Dim, batch_rules, move_bdim,
                                                      ndim_of, shift_axis)
from funcgrad.transforms.programs import named


# Gather and scatter. A batched operand alone: the batch axis is one more
# window axis taken whole. Batched indices: the batch axis is one more index
# batch axis, paired (operand_batching_dims) with the operand's when both are.


def _insert_position(positions: Sequence[int], k: int) -> int:
    """Where a new axis goes so it is the k-th of `positions` (sorted) once they shift."""
    if k < len(positions):
        return positions[k]
    return positions[-1] + 1 if positions else 0


def _indices_bdim(axis_size: int, indices: Any, d: int) -> tuple[Any, int]:
    # the index vector must stay the last axis
    if d == ndim_of(indices) - 1:
        return move_bdim(indices, d, 0, axis_size), 0
    return indices, d


def _gather_batch(axis_size: int, args: Sequence[Any], dims: Sequence[Dim], *,
                  dimension_numbers: P.GatherDimensionNumbers, slice_sizes: tuple[int, ...],
                  mode: str, fill_value: Any) -> tuple[list[Any], list[Dim]]:
    operand, indices = args
    od, idd = dims
    dn = dimension_numbers
    params = dict(mode=mode, fill_value=fill_value)
    if idd is None:
        assert od is not None
        shift = functools.partial(shift_axis, bdim=od)
        kept = [a for a in range(len(slice_sizes))
                if a not in dn.collapsed_slice_dims and a not in dn.operand_batching_dims]
        p = _insert_position(dn.offset_dims, sum(a < od for a in kept))
        new = dn._replace(
            offset_dims=tuple(sorted([shift_axis(o, p) for o in dn.offset_dims] + [p])),
            collapsed_slice_dims=tuple(map(shift, dn.collapsed_slice_dims)),
            start_index_map=tuple(map(shift, dn.start_index_map)),
            operand_batching_dims=tuple(map(shift, dn.operand_batching_dims)))
        sizes = (*slice_sizes[:od], axis_size, *slice_sizes[od:])
        return [P.gather_p.bind(operand, indices, dimension_numbers=new, slice_sizes=sizes,
                                **params)], [p]
    indices, idd = _indices_bdim(axis_size, indices, idd)
    out_ndim = ndim_of(indices) - 2 + len(dn.offset_dims)      # unbatched output rank
    batch_pos = [i for i in range(out_ndim) if i not in dn.offset_dims]
    q = _insert_position(batch_pos, idd)
    ishift = functools.partial(shift_axis, bdim=idd)
    new = dn._replace(offset_dims=tuple(shift_axis(o, q) for o in dn.offset_dims),
                      start_indices_batching_dims=tuple(map(ishift,
                                                            dn.start_indices_batching_dims)))
    sizes = slice_sizes
    if od is not None:
        oshift = functools.partial(shift_axis, bdim=od)
        pairs = sorted([(oshift(a), b) for a, b in zip(new.operand_batching_dims,
                                                        new.start_indices_batching_dims,
                                                        strict=True)] + [(od, idd)])
        new = new._replace(collapsed_slice_dims=tuple(map(oshift, dn.collapsed_slice_dims)),
                           start_index_map=tuple(map(oshift, dn.start_index_map)),
                           operand_batching_dims=tuple(a for a, _ in pairs),
                           start_indices_batching_dims=tuple(b for _, b in pairs))
        sizes = (*slice_sizes[:od], 1, *slice_sizes[od:])
    return [P.gather_p.bind(operand, indices, dimension_numbers=new, slice_sizes=sizes,
                            **params)], [q]


def _scatter_batch(prim: Primitive) -> Callable[..., tuple[list[Any], list[Dim]]]:
    def rule(axis_size: int, args: Sequence[Any], dims: Sequence[Dim], *,
             dimension_numbers: P.ScatterDimensionNumbers, indices_are_sorted: bool,
             unique_indices: bool, mode: str) -> tuple[list[Any], list[Dim]]:
        operand, indices, updates = args
        od, idd, ud = dims
        dn = dimension_numbers
        params = dict(indices_are_sorted=indices_are_sorted, unique_indices=unique_indices,
                      mode=mode)
        uwd = dn.update_window_dims
        if idd is None:
            # the batch axis is one more window axis, written whole
            od = 0 if od is None else od
            operand = move_bdim(operand, dims[0], od, axis_size)
            shift = functools.partial(shift_axis, bdim=od)
            window = [a for a in range(ndim_of(operand) - 1)
                      if a not in dn.inserted_window_dims and a not in dn.operand_batching_dims]
            p = _insert_position(uwd, sum(a < od for a in window))
            new = dn._replace(
                update_window_dims=tuple(sorted([shift_axis(u, p) for u in uwd] + [p])),
                inserted_window_dims=tuple(map(shift, dn.inserted_window_dims)),
                scatter_dims_to_operand_dims=tuple(map(shift, dn.scatter_dims_to_operand_dims)),
                operand_batching_dims=tuple(map(shift, dn.operand_batching_dims)))
            updates = move_bdim(updates, ud, p, axis_size)
            return [prim.bind(operand, indices, updates, dimension_numbers=new, **params)], [od]
        # batched indices: each lane scatters into its own copy of the operand
        operand = move_bdim(operand, od, 0, axis_size)
        indices, idd = _indices_bdim(axis_size, indices, idd)
        u_ndim = ndim_of(updates) - (ud is not None)
        scatter_pos = [i for i in range(u_ndim) if i not in uwd]
        q = _insert_position(scatter_pos, idd)
        updates = move_bdim(updates, ud, q, axis_size)
        shift0 = functools.partial(shift_axis, bdim=0)
        ishift = functools.partial(shift_axis, bdim=idd)
        new = dn._replace(
            update_window_dims=tuple(shift_axis(u, q) for u in uwd),
            inserted_window_dims=tuple(map(shift0, dn.inserted_window_dims)),
            scatter_dims_to_operand_dims=tuple(map(shift0, dn.scatter_dims_to_operand_dims)),
            operand_batching_dims=(0, *map(shift0, dn.operand_batching_dims)),
            scatter_indices_batching_dims=(idd, *map(ishift, dn.scatter_indices_batching_dims)))
        return [prim.bind(operand, indices, updates, dimension_numbers=new, **params)], [0]
    return named(rule, f"_{prim.name}_batch")


batch_rules[P.gather_p] = _gather_batch
batch_rules[P.scatter_p] = _scatter_batch(P.scatter_p)
batch_rules[P.scatter_add_p] = _scatter_batch(P.scatter_add_p)
batch_rules[P.scatter_mul_p] = _scatter_batch(P.scatter_mul_p)
batch_rules[P.scatter_min_p] = _scatter_batch(P.scatter_min_p)
batch_rules[P.scatter_max_p] = _scatter_batch(P.scatter_max_p)


# ---------------------------------------------------------------------------
# Sorting: all operands share the batch axis of the first batched one


def _sort_batch(axis_size: int, args: Sequence[Any], dims: Sequence[Dim], *, dimension: int,
                is_stable: bool, num_keys: int) -> tuple[list[Any], list[Dim]]:
    d = next(d for d in dims if d is not None)
    xs = [move_bdim(x, dx, d, axis_size) for x, dx in zip(args, dims, strict=True)]
    outs = P.sort_p.bind(*xs, dimension=shift_axis(dimension, d), is_stable=is_stable,
                         num_keys=num_keys)
    return list(outs), [d] * len(outs)


batch_rules[P.sort_p] = _sort_batch
