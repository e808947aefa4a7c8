"""Batching rules of the collectives: the batch axis of ``vmap(axis_name=...)``
is a named axis, its lanes the batch elements.

A collective naming the trace's axis is computed here, across the batch axis
(an unbatched operand is the same value in every lane): psum sums over it,
all_gather stacks it, ppermute permutes it, axis_index is an iota along it, and
psum_scatter and all_to_all regroup it with the scattered/split axis. Where
the collective also names other axes, the part over those is bound again on
the parent trace (for an enclosing vmap or shard_map to compute) with the
names left; lanes over several names are numbered row-major in the order
given, so the rules reorder blocks to match.

A collective naming only other axes is bound again on the batched operand
(the interpreter calls its rule only when some operand is batched); its
positional params shift past the batch axis, which moves to 0 where they name
positions.

Every rule runs under the parent trace and takes the trace's `BatchAxis`.
"""
from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np

from funcgrad import core, dtypes, primitives as P
from funcgrad.core import Primitive
from funcgrad.transforms.batching.interpreter import BatchAxis, Dim, axis_rule, move_bdim
from funcgrad.transforms.programs import masked, named, weak_scalar

Names = tuple[Hashable, ...]
Result = tuple[list[Any], list[Dim]]


def _shape(x: Any) -> tuple[int, ...]:
    return core.get_aval(x).shape


def _reshape(x: Any, shape: Sequence[int]) -> Any:
    shape = tuple(shape)
    return x if _shape(x) == shape else P.reshape_p.bind(x, new_sizes=shape)


def _transpose(x: Any, perm: Sequence[int]) -> Any:
    perm = tuple(perm)
    return x if perm == tuple(range(len(perm))) else P.transpose_p.bind(x, permutation=perm)


def _others(batch: BatchAxis, names: Names) -> Names:
    return tuple(n for n in names if n != batch.name)


def _sizes(batch: BatchAxis, names: Names) -> list[int]:
    """The size of each named axis (this trace's own from the trace)."""
    return [batch.size if n == batch.name else core.axis_size(n) for n in names]


def _at_front(batch: BatchAxis, x: Any, d: Dim) -> Any:
    """`x` with the lanes of the batch axis at 0 (an unbatched `x` broadcast)."""
    return move_bdim(x, d, 0, batch.size)


def _gather_lanes(batch: BatchAxis, x: Any, d: Dim, names: Names) -> Any:
    """Every lane's `x` over all of `names`, stacked along a new leading axis in
    row-major lane order: the same in every lane of this trace's axis."""
    g = _at_front(batch, x, d)
    rest = _others(batch, names)
    if not rest:
        return g
    inner = _shape(g)[1:]
    rest_sizes = _sizes(batch, rest)
    g = P.all_gather_p.bind(g, axis_name=rest, axis=0, tiled=False,
                            axis_size=math.prod(rest_sizes))
    # [rest lanes..., own lane, ...] in the names' order
    g = _reshape(g, (*rest_sizes, batch.size, *inner))
    held = [*rest, batch.name]
    k = len(names)
    g = _transpose(g, [held.index(n) for n in names] + list(range(k, k + len(inner))))
    return _reshape(g, (math.prod(rest_sizes) * batch.size, *inner))


def _lane_index(batch: BatchAxis, names: Names) -> Any:
    """Each lane's row-major index over `names` (int32), one per lane of this
    trace's axis: a (size,) array batched at 0."""
    dt = P.collectives.AXIS_INDEX_DTYPE
    sizes = _sizes(batch, names)
    strides = [math.prod(sizes[k + 1:]) for k in range(len(names))]
    idx: Any = P.iota_p.bind(dtype=dt, shape=(batch.size,), dimension=0)
    for n, stride in zip(names, strides, strict=True):
        if n == batch.name:
            if stride != 1:
                idx = P.mul_p.bind(idx, weak_scalar(stride, dt))
            continue
        other = P.axis_index_p.bind(axis_name=(n,))
        if stride != 1:
            other = P.mul_p.bind(other, weak_scalar(stride, dt))
        idx = P.add_p.bind(idx, P.broadcast_in_dim_p.bind(other, shape=(batch.size,),
                                                           broadcast_dimensions=()))
    return idx


def _take_rows(table: Any, idx: Any) -> Any:
    """``table[idx]`` for a 1-d integer `idx` of in-bounds row numbers."""
    shape = _shape(table)
    n = len(shape)
    dn = P.GatherDimensionNumbers(offset_dims=tuple(range(1, n)), collapsed_slice_dims=(0,),
                                  start_index_map=(0,))
    return P.gather_p.bind(table, P.expand_dims_p.bind(idx, dimensions=(1,)),
                           dimension_numbers=dn, slice_sizes=(1, *shape[1:]),
                           mode="promise_in_bounds", fill_value=None)


# ---------------------------------------------------------------------------
# psum, pmax, pmin


def _reducer_batch(prim: Primitive, reduce: Primitive) -> Any:
    def rule(batch: BatchAxis, args: Sequence[Any], dims: Sequence[Dim], *,
             axis_name: Names) -> Result:
        (x,), (d,) = args, dims
        if batch.name not in axis_name:
            return [prim.bind(x, axis_name=axis_name)], [d]
        if d is not None:
            out = reduce.bind(x, axes=(d,))
        elif prim is P.psum_p:      # the same value in every lane
            out = P.mul_p.bind(x, weak_scalar(batch.size, core.get_aval(x).dtype))
        else:
            out = x
        rest = _others(batch, axis_name)
        if rest:
            out = prim.bind(out, axis_name=rest)
        return [out], [None]
    return named(rule, f"_{prim.name}_batch")


axis_rule(P.psum_p, _reducer_batch(P.psum_p, P.reduce_sum_p))
axis_rule(P.pmax_p, _reducer_batch(P.pmax_p, P.reduce_max_p))
axis_rule(P.pmin_p, _reducer_batch(P.pmin_p, P.reduce_min_p))


# ---------------------------------------------------------------------------
# all_gather, psum_scatter, all_to_all


def _all_gather_batch(batch: BatchAxis, args: Sequence[Any], dims: Sequence[Dim], *,
                      axis_name: Names, axis: int, tiled: bool, axis_size: int) -> Result:
    (x,), (d,) = args, dims
    if batch.name not in axis_name:
        out = P.all_gather_p.bind(_at_front(batch, x, d), axis_name=axis_name, axis=axis + 1,
                                  tiled=tiled, axis_size=axis_size)
        return [out], [0]
    g = _gather_lanes(batch, x, d, axis_name)        # [lanes, *x.shape]
    inner = _shape(g)[1:]
    perm = list(range(1, len(inner) + 1))
    perm.insert(axis, 0)
    g = _transpose(g, perm)                           # lanes at `axis`
    if tiled:                                         # merged with the axis after it
        g = _reshape(g, (*inner[:axis], axis_size * inner[axis], *inner[axis + 1:]))
    return [g], [None]


def _psum_scatter_batch(batch: BatchAxis, args: Sequence[Any], dims: Sequence[Dim], *,
                        axis_name: Names, scatter_dimension: int, tiled: bool,
                        axis_size: int) -> Result:
    (x,), (d,) = args, dims
    sd = scatter_dimension
    if batch.name not in axis_name:
        out = P.psum_scatter_p.bind(_at_front(batch, x, d), axis_name=axis_name,
                                    scatter_dimension=sd + 1, tiled=tiled, axis_size=axis_size)
        return [out], [0]
    # the sum over this trace's lanes, the same in every lane
    if d is not None:
        total = P.reduce_sum_p.bind(x, axes=(d,))
    else:
        total = P.mul_p.bind(x, weak_scalar(batch.size, core.get_aval(x).dtype))
    shape = _shape(total)
    before, after = shape[:sd], shape[sd + 1:]
    sizes = _sizes(batch, axis_name)
    k = axis_name.index(batch.name)
    m = shape[sd] // axis_size                      # the block size (1 when untiled)
    block: tuple[int, ...] = (m,) if tiled else ()
    # the scattered axis as one sub-axis per name (row-major), then the block
    total = _reshape(total, (*before, *sizes, *block, *after))
    # this trace's sub-axis holds its lanes' blocks: make it the batch axis
    own = len(before) + k
    val = _transpose(total, [own] + [i for i in range(len(_shape(total))) if i != own])
    rest = _others(batch, axis_name)
    rest_size = math.prod(_sizes(batch, rest))
    merged = (rest_size * m,) if (rest or tiled) else ()
    val = _reshape(val, (batch.size, *before, *merged, *after))
    if rest:    # the other names' lanes pick their blocks out of what is left
        val = P.psum_scatter_p.bind(val, axis_name=rest, scatter_dimension=sd + 1,
                                    tiled=tiled, axis_size=rest_size)
    return [val], [0]


def _all_to_all_batch(batch: BatchAxis, args: Sequence[Any], dims: Sequence[Dim], *,
                      axis_name: Names, split_axis: int, concat_axis: int, tiled: bool,
                      axis_size: int) -> Result:
    """Over this trace's axis alone, untiled, all_to_all is a transpose: the
    split axis becomes the lanes and the lanes the new concatenated axis. The
    general case is reduced to that one: the split axis is cut into one sub-axis
    per name (row-major) and a block; each name in turn sends along its sub-axis
    (an untiled all_to_all over that name alone, its received lanes put just
    before the concatenated axis), and the received lanes and the concatenated
    axis are merged at the end. An untiled all_to_all first gets a size-1
    concatenated axis and loses its size-1 block, as a tiled one."""
    (x,), (d,) = args, dims
    s, c = split_axis, concat_axis
    if batch.name not in axis_name:
        out = P.all_to_all_p.bind(_at_front(batch, x, d), axis_name=axis_name,
                                  split_axis=s + 1, concat_axis=c + 1, tiled=tiled,
                                  axis_size=axis_size)
        return [out], [0]
    v = _at_front(batch, x, d)
    shape = list(_shape(v)[1:])
    # dims as labels: ("x", i) an untouched axis, ("n", k) the split sub-axis of name k,
    # ("m",) the block, ("c",) the concatenated axis, ("j", k) lanes received over name k
    labels: list[tuple[Any, ...]] = [("x", i) for i in range(len(shape))]
    size: dict[tuple[Any, ...], int] = {("x", i): n for i, n in enumerate(shape)}
    if not tiled and s != c:          # an untiled one as a tiled one with a size-1 block
        at = c + 1 if s < c else c
        labels.insert(at, ("c",))
        size[("c",)] = 1
    elif s != c:
        labels[c] = ("c",)
        size[("c",)] = shape[c]
    sizes = _sizes(batch, axis_name)
    m = shape[s] // axis_size
    split_at = labels.index(("x", s))
    sub = [("n", k) for k in range(len(axis_name))]
    labels[split_at:split_at + 1] = [*sub, ("m",)]
    size.update({("n", k): n for k, n in enumerate(sizes)})
    size[("m",)] = m
    content = ("m",) if s == c else ("c",)
    v = _reshape(v, (batch.size, *(size[lab] for lab in labels)))
    for k, name in enumerate(axis_name):
        src = labels.index(("n", k))
        new = [lab for lab in labels if lab != ("n", k)]
        new.insert(new.index(content), ("j", k))
        size[("j", k)] = sizes[k]
        dst = new.index(("j", k))
        if name == batch.name:        # a transpose: lanes <- sub-axis, new axis <- lanes
            v = _transpose(v, [1 + src] + [0 if lab == ("j", k) else 1 + labels.index(lab)
                                          for lab in new])
        else:
            v = P.all_to_all_p.bind(v, axis_name=(name,), split_axis=1 + src,
                                    concat_axis=1 + dst, tiled=False, axis_size=sizes[k])
        labels = new
    out_shape: list[int] = []
    for lab in labels:
        if lab[0] == "j":
            continue                  # merged into the concatenated axis below
        n = size[lab]
        if lab == content:
            n *= axis_size
        elif lab == ("m",) and not tiled:
            continue                  # the size-1 block of an untiled one
        out_shape.append(n)
    return [_reshape(v, (batch.size, *out_shape))], [0]


axis_rule(P.all_gather_p, _all_gather_batch)
axis_rule(P.psum_scatter_p, _psum_scatter_batch)
axis_rule(P.all_to_all_p, _all_to_all_batch)


# ---------------------------------------------------------------------------
# ppermute, axis_index


def _ppermute_batch(batch: BatchAxis, args: Sequence[Any], dims: Sequence[Dim], *,
                    axis_name: Names, perm: tuple[tuple[int, int], ...]) -> Result:
    (x,), (d,) = args, dims
    if batch.name not in axis_name:
        return [P.ppermute_p.bind(x, axis_name=axis_name, perm=perm)], [d]
    lanes = math.prod(_sizes(batch, axis_name))
    source = np.zeros(lanes, P.collectives.AXIS_INDEX_DTYPE)
    received = np.zeros(lanes, dtypes.bool_)
    for src, dst in perm:
        source[dst] = src
        received[dst] = True
    if len(axis_name) == 1:
        if d is None and received.all():    # every lane gets the one value
            return [x], [None]
        out = _take_rows(_at_front(batch, x, d), source)
        has = received
    else:
        everyone = _gather_lanes(batch, x, d, axis_name)     # [lanes, *x.shape]
        me = _lane_index(batch, axis_name)
        out = _take_rows(everyone, _take_rows(source, me))
        has = _take_rows(received, me)
    if not received.all():
        shape = _shape(out)
        out = masked(P.broadcast_in_dim_p.bind(has, shape=shape, broadcast_dimensions=(0,)),
                     out)
    return [out], [0]


def _axis_index_batch(batch: BatchAxis, args: Sequence[Any], dims: Sequence[Dim], *,
                      axis_name: Names) -> Result:
    return [_lane_index(batch, axis_name)], [0]


axis_rule(P.ppermute_p, _ppermute_batch)
axis_rule(P.axis_index_p, _axis_index_batch)
