"""Batching rules of the structural primitives: shapes, slices, padding, and
dynamic slicing (batched start indices become a gather/scatter)."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from funcgrad import core, dtypes, primitives as P
from funcgrad.transforms.batching.interpreter import (Dim, batch_rules, move_bdim, ndim_of,
                                                      shift_axis)
from funcgrad.transforms.programs import strong_scalar


# Shape manipulation


def _broadcast_in_dim_batch(axis_size: int, args: Sequence[Any], dims: Sequence[Dim], *,
                            shape: tuple[int, ...],
                            broadcast_dimensions: tuple[int, ...]) -> tuple[list[Any], list[Dim]]:
    # The batch axis goes right after the output axis of the operand axis before
    # it, which keeps broadcast_dimensions increasing: no transpose needed.
    (x,), (d,) = args, dims
    assert d is not None
    out_dim = broadcast_dimensions[d - 1] + 1 if d > 0 else 0
    new_shape = (*shape[:out_dim], axis_size, *shape[out_dim:])
    bdims = (*(shift_axis(b, out_dim) for b in broadcast_dimensions[:d]), out_dim,
             *(shift_axis(b, out_dim) for b in broadcast_dimensions[d:]))
    out = P.broadcast_in_dim_p.bind(x, shape=new_shape, broadcast_dimensions=bdims)
    return [out], [out_dim]


def _reshape_batch(axis_size: int, args: Sequence[Any], dims: Sequence[Dim], *,
                   new_sizes: tuple[int, ...]) -> tuple[list[Any], list[Dim]]:
    # Row-major reshapes keep a leading or trailing batch axis separate; only a
    # batch axis in the middle has to move.
    (x,), (d,) = args, dims
    assert d is not None
    if d == ndim_of(x) - 1 and d != 0:
        return [P.reshape_p.bind(x, new_sizes=(*new_sizes, axis_size))], [len(new_sizes)]
    x = move_bdim(x, d, 0, axis_size)
    return [P.reshape_p.bind(x, new_sizes=(axis_size, *new_sizes))], [0]


def _transpose_batch(axis_size: int, args: Sequence[Any], dims: Sequence[Dim], *,
                     permutation: tuple[int, ...]) -> tuple[list[Any], list[Dim]]:
    (x,), (d,) = args, dims
    assert d is not None
    perm = [shift_axis(p, d) for p in permutation]
    perm.insert(d, d)
    return [P.transpose_p.bind(x, permutation=tuple(perm))], [d]


def _squeeze_batch(axis_size: int, args: Sequence[Any], dims: Sequence[Dim], *,
                   dimensions: tuple[int, ...]) -> tuple[list[Any], list[Dim]]:
    (x,), (d,) = args, dims
    assert d is not None
    out = P.squeeze_p.bind(x, dimensions=tuple(shift_axis(a, d) for a in dimensions))
    return [out], [d - sum(a < d for a in dimensions)]


def _expand_dims_batch(axis_size: int, args: Sequence[Any], dims: Sequence[Dim], *,
                       dimensions: tuple[int, ...]) -> tuple[list[Any], list[Dim]]:
    # Keep the batch axis right after the output position of the operand axis
    # before it; the new unit axes shift around it.
    (x,), (d,) = args, dims
    assert d is not None
    out_ndim = ndim_of(x) - 1 + len(dimensions)
    kept = [p for p in range(out_ndim) if p not in dimensions]
    out_dim = kept[d - 1] + 1 if d > 0 else 0
    out = P.expand_dims_p.bind(x, dimensions=tuple(shift_axis(a, out_dim) for a in dimensions))
    return [out], [out_dim]


def _rev_batch(axis_size: int, args: Sequence[Any], dims: Sequence[Dim], *,
               dimensions: tuple[int, ...]) -> tuple[list[Any], list[Dim]]:
    (x,), (d,) = args, dims
    assert d is not None
    return [P.rev_p.bind(x, dimensions=tuple(shift_axis(a, d) for a in dimensions))], [d]


def _slice_batch(axis_size: int, args: Sequence[Any], dims: Sequence[Dim], *,
                 start_indices: tuple[int, ...], limit_indices: tuple[int, ...],
                 strides: tuple[int, ...]) -> tuple[list[Any], list[Dim]]:
    (x,), (d,) = args, dims
    assert d is not None

    def ins(t: tuple[int, ...], v: int) -> tuple[int, ...]:
        return (*t[:d], v, *t[d:])

    out = P.slice_p.bind(x, start_indices=ins(start_indices, 0),
                         limit_indices=ins(limit_indices, axis_size), strides=ins(strides, 1))
    return [out], [d]


def _concatenate_batch(axis_size: int, args: Sequence[Any], dims: Sequence[Dim], *,
                       dimension: int) -> tuple[list[Any], list[Dim]]:
    d = next(d for d in dims if d is not None)
    xs = [move_bdim(x, dx, d, axis_size) for x, dx in zip(args, dims, strict=True)]
    return [P.concatenate_p.bind(*xs, dimension=shift_axis(dimension, d))], [d]


def _pad_batch(axis_size: int, args: Sequence[Any], dims: Sequence[Dim], *,
               padding_config: tuple[tuple[int, int, int], ...]) -> tuple[list[Any], list[Dim]]:
    x, pv = args
    xd, pd = dims
    if pd is None:
        assert xd is not None
        config = (*padding_config[:xd], (0, 0, 0), *padding_config[xd:])
        return [P.pad_p.bind(x, pv, padding_config=config)], [xd]
    # A padding value per lane: pad with any value, then select each lane's
    # padding value where a padded mask of the operand's extent is False.
    x = move_bdim(x, xd, 0, axis_size)
    aval = core.get_aval(x)
    padded = P.pad_p.bind(x, strong_scalar(0, aval.dtype),
                          padding_config=((0, 0, 0), *padding_config))
    inside = P.broadcast_in_dim_p.bind(strong_scalar(True, dtypes.bool_), shape=aval.shape[1:],
                                       broadcast_dimensions=())
    mask = P.pad_p.bind(inside, strong_scalar(False, dtypes.bool_), padding_config=padding_config)
    pv = move_bdim(pv, pd, 0, axis_size)
    pv = P.expand_dims_p.bind(pv, dimensions=tuple(range(1, aval.ndim)))
    return [P.select_n_p.bind(mask, pv, padded)], [0]


batch_rules.update({
    P.broadcast_in_dim_p: _broadcast_in_dim_batch, P.reshape_p: _reshape_batch,
    P.transpose_p: _transpose_batch, P.squeeze_p: _squeeze_batch,
    P.expand_dims_p: _expand_dims_batch, P.rev_p: _rev_batch, P.slice_p: _slice_batch,
    P.concatenate_p: _concatenate_batch, P.pad_p: _pad_batch,
})


# ---------------------------------------------------------------------------
# Dynamic slicing. With unbatched start indices the batch axis is sliced whole;
# batched start indices make a gather/scatter with one index vector per lane
# (mode "clip" clamps each window into range, as dynamic_slice does).


def _start_vectors(axis_size: int, idx: Sequence[Any], idims: Sequence[Dim]) -> Any:
    """The start indices as a (B, n) array: one index vector per lane."""
    dts = {core.get_aval(i).dtype for i in idx}
    dt = dts.pop() if len(dts) == 1 else dtypes.int64
    cols = []
    for i, d in zip(idx, idims, strict=True):
        if core.get_aval(i).dtype != dt:
            i = P.convert_element_type_p.bind(i, new_dtype=dt, weak_type=False)
        cols.append(P.expand_dims_p.bind(move_bdim(i, d, 0, axis_size), dimensions=(1,)))
    return P.concatenate_p.bind(*cols, dimension=1)


def _dynamic_slice_batch(axis_size: int, args: Sequence[Any], dims: Sequence[Dim], *,
                         slice_sizes: tuple[int, ...]) -> tuple[list[Any], list[Dim]]:
    x, *idx = args
    xd, *idims = dims
    if all(d is None for d in idims):
        assert xd is not None
        zero = strong_scalar(0, core.get_aval(idx[0]).dtype if idx else dtypes.int64)
        out = P.dynamic_slice_p.bind(x, *idx[:xd], zero, *idx[xd:],
                                     slice_sizes=(*slice_sizes[:xd], axis_size,
                                                  *slice_sizes[xd:]))
        return [out], [xd]
    starts = _start_vectors(axis_size, idx, idims)
    n = len(idx)
    if xd is None:      # one operand, a window per lane
        dn = P.GatherDimensionNumbers(offset_dims=tuple(range(1, n + 1)),
                                      collapsed_slice_dims=(), start_index_map=tuple(range(n)))
        sizes = slice_sizes
    else:               # lane b takes its window from its own operand
        x = move_bdim(x, xd, 0, axis_size)
        dn = P.GatherDimensionNumbers(offset_dims=tuple(range(1, n + 1)),
                                      collapsed_slice_dims=(),
                                      start_index_map=tuple(range(1, n + 1)),
                                      operand_batching_dims=(0,), start_indices_batching_dims=(0,))
        sizes = (1, *slice_sizes)
    out = P.gather_p.bind(x, starts, dimension_numbers=dn, slice_sizes=sizes, mode="clip",
                          fill_value=None)
    return [out], [0]


def _dynamic_update_slice_batch(axis_size: int, args: Sequence[Any], dims: Sequence[Dim]
                                ) -> tuple[list[Any], list[Dim]]:
    x, u, *idx = args
    xd, ud, *idims = dims
    if all(d is None for d in idims):
        d = xd if xd is not None else ud
        assert d is not None
        x, u = move_bdim(x, xd, d, axis_size), move_bdim(u, ud, d, axis_size)
        zero = strong_scalar(0, core.get_aval(idx[0]).dtype if idx else dtypes.int64)
        return [P.dynamic_update_slice_p.bind(x, u, *idx[:d], zero, *idx[d:])], [d]
    # each lane writes its own window into its own copy of the operand
    x, u = move_bdim(x, xd, 0, axis_size), move_bdim(u, ud, 0, axis_size)
    n = len(idx)
    dn = P.ScatterDimensionNumbers(update_window_dims=tuple(range(1, n + 1)),
                                   inserted_window_dims=(),
                                   scatter_dims_to_operand_dims=tuple(range(1, n + 1)),
                                   operand_batching_dims=(0,), scatter_indices_batching_dims=(0,))
    out = P.scatter_p.bind(x, _start_vectors(axis_size, idx, idims), u, dimension_numbers=dn,
                           indices_are_sorted=True, unique_indices=True, mode="clip")
    return [out], [0]


batch_rules[P.dynamic_slice_p] = _dynamic_slice_batch
batch_rules[P.dynamic_update_slice_p] = _dynamic_update_slice_batch


# split, tile and copy: the batch axis is one more axis left whole


def _split_batch(axis_size: int, args: Sequence[Any], dims: Sequence[Dim], *,
                 sizes: tuple[int, ...], axis: int) -> tuple[list[Any], list[Dim]]:
    (x,), (d,) = args, dims
    assert d is not None
    outs = P.split_p.bind(x, sizes=sizes, axis=shift_axis(axis, d))
    return list(outs), [d] * len(sizes)


def _tile_batch(axis_size: int, args: Sequence[Any], dims: Sequence[Dim], *,
                reps: tuple[int, ...]) -> tuple[list[Any], list[Dim]]:
    (x,), (d,) = args, dims
    assert d is not None
    return [P.tile_p.bind(x, reps=(*reps[:d], 1, *reps[d:]))], [d]


def _copy_batch(axis_size: int, args: Sequence[Any],
                dims: Sequence[Dim]) -> tuple[list[Any], list[Dim]]:
    return [P.copy_p.bind(args[0])], [dims[0]]


batch_rules[P.split_p] = _split_batch
batch_rules[P.tile_p] = _tile_batch
batch_rules[P.copy_p] = _copy_batch
