"""vmap's interpreter: `BatchTrace`, `BatchTracer` and a batching rule per primitive.

A `BatchTracer` stands for a stack of `axis_size` values: it holds the stacked
value `val` (a value of the parent trace) and `batch_dim`, the axis of `val`
the stack runs along. Values that are not this trace's tracers are unbatched:
the same for every lane. A primitive whose operands are all unbatched is bound
unchanged under the parent; otherwise its rule from `batch_rules` runs under
the parent:

    rule(axis_size, args, dims, **params) -> (outs, out_dims)

`dims[i]` is the batch axis of `args[i]`, or None where `args[i]` is
unbatched; `outs`/`out_dims` are lists, one entry per result (None marks a
result that is the same for every lane).

Invariants: rules move a batch axis only when the primitive needs it
somewhere else (elementwise operands are aligned, reductions and contractions
shift their axes around it, `dot_general` folds it into its batch or free
dimensions, gather/scatter make it a window or an index batching dimension);
call primitives (`jit`, `checkpoint`, the custom-derivative calls) batch their
Programs and stay one call. Rules for cond/while/scan live with the other
control-flow rules in transforms/control_flow_rules.py.
"""
from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import numpy as np

from funcgrad import core, dtypes
from funcgrad import primitives as P
from funcgrad.config import memoize
from funcgrad.core import Primitive, ShapedArray, Trace, Tracer
from funcgrad.ir import Literal, Program
from funcgrad.transforms.staging import eval_program, hoist_consts, trace_to_program

Dim = int | None


class BatchRule(Protocol):
    def __call__(self, axis_size: int, args: Sequence[Any], dims: Sequence[Dim],
                 **params: Any) -> tuple[list[Any], list[Dim]]: ...


batch_rules: dict[Primitive, BatchRule] = {}

# Primitives without a rule, each with the reason (the coverage test reads this).
NO_RULE: dict[Primitive, str] = {
    P.iota_p: "it takes no operands, so its result is never batched",
}


# ---------------------------------------------------------------------------
# The interpreter


class BatchTracer(Tracer):
    __slots__ = ("val", "batch_dim")

    def __init__(self, trace: BatchTrace, val: Any, batch_dim: int):
        self._trace = trace
        self.val = val
        self.batch_dim = batch_dim

    @property
    def aval(self) -> ShapedArray:
        a = core.get_aval(self.val)
        d = self.batch_dim
        return a.update(shape=a.shape[:d] + a.shape[d + 1:])


class BatchTrace(Trace):
    __slots__ = ("axis_size",)
    kind = "vmap"

    def __init__(self, parent: Trace | None, axis_size: int):
        super().__init__(parent)
        self.axis_size = axis_size

    def unpack(self, x: Any) -> tuple[Any, Dim]:
        if self.is_own(x):
            return x.val, x.batch_dim
        return x, None

    def process_primitive(self, prim: Primitive, args: Sequence[Any],
                          params: dict[str, Any]) -> list[Any]:
        vals, dims = [], []
        for x in args:
            v, d = self.unpack(x)
            vals.append(v)
            dims.append(d)
        parent = self.parent
        assert parent is not None
        if all(d is None for d in dims):
            with core.set_trace(parent):
                out = prim.bind(*vals, **params)
            return list(out) if prim.multiple_results else [out]
        rule = batch_rules.get(prim)
        if rule is None:
            raise NotImplementedError(f"vmap: the primitive {prim.name} has no batching rule")
        with core.set_trace(parent):
            outs, out_dims = rule(self.axis_size, vals, dims, **params)
        return [o if d is None else BatchTracer(self, o, d)
                for o, d in zip(outs, out_dims, strict=True)]


# ---------------------------------------------------------------------------
# Helpers shared by the rules (each runs under the parent trace)


def ndim_of(x: Any) -> int:
    return core.get_aval(x).ndim


def shift_axis(axis: int, bdim: int) -> int:
    """Where an axis of the unbatched value sits once `bdim` is inserted."""
    return axis + 1 if axis >= bdim else axis


def move_bdim(x: Any, src: Dim, dst: int, axis_size: int) -> Any:
    """`x` with its batch axis at `dst`: transposed if it is elsewhere, broadcast
    (materialised) if `x` is unbatched."""
    if src is None:
        aval = core.get_aval(x)
        shape = (*aval.shape[:dst], axis_size, *aval.shape[dst:])
        dims = tuple(shift_axis(i, dst) for i in range(aval.ndim))
        return P.broadcast_in_dim_p.bind(x, shape=shape, broadcast_dimensions=dims)
    if src == dst:
        return x
    perm = [i for i in range(ndim_of(x)) if i != src]
    perm.insert(dst, src)
    return P.transpose_p.bind(x, permutation=tuple(perm))


def scalar(value: Any, dtype: np.dtype) -> Literal:
    """A 0-d constant operand of `dtype` (primitives want operands of one dtype)."""
    return Literal(np.asarray(value, dtype)[()], ShapedArray((), dtype, False))


def align_elementwise(axis_size: int, args: Sequence[Any],
                      dims: Sequence[Dim]) -> tuple[list[Any], int]:
    """Operands of a broadcasting elementwise primitive, rewritten so NumPy's
    right-aligned broadcasting still pairs the right axes once batch axes are in.

    The output gets rank R = r + 1 (r: the unbatched output rank) with its batch
    axis at `out_dim`, chosen where the first full-rank batched operand already
    has it. Each operand's axes must land on their output positions: a batched
    operand is transposed only if its batch axis is out of order relative to
    its other axes there, and gets size-1 axes (expand_dims, no data movement)
    where it lacks an output axis; an unbatched operand is left alone unless it
    reaches over the batch position, where it gets a size-1 axis.
    """
    ranks = [ndim_of(x) - (d is not None) for x, d in zip(args, dims, strict=True)]
    r = max(ranks)
    rank = r + 1
    batched = [(k, d) for k, d in zip(ranks, dims, strict=True) if d is not None]
    k0, d0 = next(((k, d) for k, d in batched if k == r), batched[0])
    out_dim = d0 + (r - k0)      # where that operand's batch axis lands right-aligned
    free = [p for p in range(rank) if p != out_dim]
    out = []
    for x, k, d in zip(args, ranks, dims, strict=True):
        positions = free[len(free) - k:]          # where x's own axes go
        if d is None:
            if k <= rank - 1 - out_dim:           # entirely right of the batch axis
                out.append(x)
                continue
        else:
            positions = positions[:d] + [out_dim] + positions[d:]
            if positions != sorted(positions):
                perm = sorted(range(len(positions)), key=positions.__getitem__)
                x = P.transpose_p.bind(x, permutation=tuple(perm))
                positions = sorted(positions)
        start = min(positions[0], out_dim) if positions else out_dim
        ones = tuple(p - start for p in range(start, rank) if p not in positions)
        if ones:
            x = P.expand_dims_p.bind(x, dimensions=ones)
        out.append(x)
    return out, out_dim


# ---------------------------------------------------------------------------
# Elementwise: unary (the batch axis stays put) and broadcasting n-ary ops


def _elementwise_batch(prim: Primitive) -> BatchRule:
    def rule(axis_size: int, args: Sequence[Any], dims: Sequence[Dim],
             **params: Any) -> tuple[list[Any], list[Dim]]:
        if len(args) == 1:
            return [prim.bind(args[0], **params)], [dims[0]]
        vals, out_dim = align_elementwise(axis_size, args, dims)
        return [prim.bind(*vals, **params)], [out_dim]
    return rule


for _p in (*P.UNARY, *P.BINARY, P.integer_pow_p, P.complex_p, P.select_n_p,
           P.convert_element_type_p, P.stop_gradient_p, P.polygamma_p):
    batch_rules[_p] = _elementwise_batch(_p)


# ---------------------------------------------------------------------------
# Reductions, arg-reductions and cumulative ops: shift axes around the batch axis


def _reduce_batch(prim: Primitive) -> BatchRule:
    def rule(axis_size: int, args: Sequence[Any], dims: Sequence[Dim], *,
             axes: tuple[int, ...]) -> tuple[list[Any], list[Dim]]:
        (x,), (d,) = args, dims
        assert d is not None
        out = prim.bind(x, axes=tuple(shift_axis(a, d) for a in axes))
        return [out], [d - sum(a < d for a in axes)]
    return rule


for _p in P.REDUCTIONS:
    batch_rules[_p] = _reduce_batch(_p)


def _arg_reduce_batch(prim: Primitive) -> BatchRule:
    def rule(axis_size: int, args: Sequence[Any], dims: Sequence[Dim], *, axis: int,
             index_dtype: np.dtype) -> tuple[list[Any], list[Dim]]:
        (x,), (d,) = args, dims
        assert d is not None
        out = prim.bind(x, axis=shift_axis(axis, d), index_dtype=index_dtype)
        return [out], [d - (axis < d)]
    return rule


for _p in (P.argmax_p, P.argmin_p):
    batch_rules[_p] = _arg_reduce_batch(_p)


def _cumulative_batch(prim: Primitive) -> BatchRule:
    def rule(axis_size: int, args: Sequence[Any], dims: Sequence[Dim], *, axis: int,
             reverse: bool) -> tuple[list[Any], list[Dim]]:
        (x,), (d,) = args, dims
        assert d is not None
        return [prim.bind(x, axis=shift_axis(axis, d), reverse=reverse)], [d]
    return rule


for _p in P.CUMULATIVE:
    batch_rules[_p] = _cumulative_batch(_p)


# ---------------------------------------------------------------------------
# Contraction


def _dot_general_batch(axis_size: int, args: Sequence[Any], dims: Sequence[Dim], *,
                       dimension_numbers: P.DotDims) -> tuple[list[Any], list[Dim]]:
    """Both batched: the batch axis becomes a leading batch dimension of the
    contraction. One batched: it becomes a free dimension of that side, which the
    output keeps in place (dot_general lays out batch, lhs free, rhs free)."""
    lhs, rhs = args
    ld, rd = dims
    (lc, rc), (lb, rb) = dimension_numbers

    def shifted(axes: tuple[int, ...], d: Dim) -> tuple[int, ...]:
        return axes if d is None else tuple(shift_axis(a, d) for a in axes)

    lc2, lb2, rc2, rb2 = shifted(lc, ld), shifted(lb, ld), shifted(rc, rd), shifted(rb, rd)
    if ld is not None and rd is not None:
        dn = ((lc2, rc2), ((ld, *lb2), (rd, *rb2)))
        out_dim = 0
    elif ld is not None:
        dn = ((lc2, rc2), (lb2, rb2))
        out_dim = len(lb) + sum(1 for i in range(ld) if i not in lc2 and i not in lb2)
    else:
        assert rd is not None
        dn = ((lc2, rc2), (lb2, rb2))
        lfree = ndim_of(lhs) - len(lc) - len(lb)
        out_dim = len(lb) + lfree + sum(1 for i in range(rd) if i not in rc2 and i not in rb2)
    return [P.dot_general_p.bind(lhs, rhs, dimension_numbers=dn)], [out_dim]


batch_rules[P.dot_general_p] = _dot_general_batch


# ---------------------------------------------------------------------------
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
    padded = P.pad_p.bind(x, scalar(0, aval.dtype), padding_config=((0, 0, 0), *padding_config))
    inside = P.broadcast_in_dim_p.bind(scalar(True, dtypes.bool_), shape=aval.shape[1:],
                                       broadcast_dimensions=())
    mask = P.pad_p.bind(inside, scalar(False, dtypes.bool_), padding_config=padding_config)
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
        zero = scalar(0, core.get_aval(idx[0]).dtype if idx else dtypes.int64)
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
        zero = scalar(0, core.get_aval(idx[0]).dtype if idx else dtypes.int64)
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


# ---------------------------------------------------------------------------
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


def _scatter_batch(prim: Primitive) -> BatchRule:
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
    return rule


batch_rules[P.gather_p] = _gather_batch
for _p in P.SCATTERS:
    batch_rules[_p] = _scatter_batch(_p)


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


# ---------------------------------------------------------------------------
# Call primitives: batch the Program, bind the call again (one compiled call)


def batch_program(program: Program, dims: Sequence[Dim], axis_size: int,
                  force: bool = False) -> tuple[Program, list[Any], list[Dim]]:
    """The Program computing `program` over batched inputs (batch axes `dims`).

    Returns it (constants as leading inputs), its constants and its outputs'
    batch axes: None where an output does not depend on a batched input, unless
    `force`, which puts every output's batch axis at 0. Cached, so that eager
    calls of the batched program hit the executable cache.
    """
    return _batch_program_cached(program, tuple(dims), axis_size, force)


@memoize("batched programs")
def _batch_program_cached(program: Program, dims: tuple[Dim, ...], axis_size: int,
                          force: bool) -> tuple[Program, list[Any], list[Dim]]:
    in_avals = []
    for a, d in zip(program.in_avals, dims, strict=True):
        in_avals.append(a if d is None else
                        a.update(shape=(*a.shape[:d], axis_size, *a.shape[d:])))
    out_dims: list[Dim] = []

    def batched(*xs: Any) -> list[Any]:
        trace = BatchTrace(core.current_trace(), axis_size)
        with core.new_trace(trace):
            args = [x if d is None else BatchTracer(trace, x, d)
                    for x, d in zip(xs, dims, strict=True)]
            outs = [trace.unpack(o) for o in eval_program(program, args)]
        if force:
            outs = [(move_bdim(o, d, 0, axis_size), 0) for o, d in outs]
        out_dims.extend(d for _, d in outs)
        return [o for o, _ in outs]

    staged, consts = trace_to_program(batched, in_avals, name=program.name, kind="vmap")
    return hoist_consts(staged), consts, out_dims


def _call_batch(prim: Primitive) -> BatchRule:
    """jit and checkpoint: their `program` batched, other params unchanged."""
    def rule(axis_size: int, args: Sequence[Any], dims: Sequence[Dim], *, program: Program,
             **params: Any) -> tuple[list[Any], list[Dim]]:
        batched, consts, out_dims = batch_program(program, dims, axis_size)
        outs = prim.bind(*consts, *args, program=batched, **params)
        return list(outs), list(out_dims)
    return rule


batch_rules[P.jit_p] = _call_batch(P.jit_p)
batch_rules[P.checkpoint_p] = _call_batch(P.checkpoint_p)


# User-defined derivative rules are Python functions over flat lists of arrays;
# their batched versions run the user's function under a fresh BatchTrace, with
# every output's batch axis at 0 (matching the call, whose outputs are forced to
# axis 0). A cotangent for an unbatched input sums over the lanes.


def _run_batched(fun: Callable[..., Any], axis_size: int, groups: Sequence[Sequence[Any]],
                 group_dims: Sequence[Sequence[Dim]]) -> tuple[Any, BatchTrace]:
    trace = BatchTrace(core.current_trace(), axis_size)
    with core.new_trace(trace):
        wrapped = [[x if d is None or x is None else BatchTracer(trace, x, d)
                    for x, d in zip(g, gd, strict=True)]
                   for g, gd in zip(groups, group_dims, strict=True)]
        return fun(*wrapped), trace


def _unpack_all(trace: BatchTrace, xs: Sequence[Any]) -> list[tuple[Any, Dim]]:
    return [(None, None) if x is None else trace.unpack(x) for x in xs]


def _at_zero(axis_size: int, xs: Sequence[tuple[Any, Dim]]) -> list[Any]:
    return [move_bdim(x, d, 0, axis_size) for x, d in xs]


@memoize("batched custom rules")
def _batched_jvp_rule(jvp: Callable[..., Any], dims: tuple[Dim, ...],
                      axis_size: int) -> Callable[..., Any]:
    def jvp_batched(primals: Sequence[Any], tangents: Sequence[Any]) -> tuple[Any, Any]:
        # a tangent is laid out like its primal: batched at the same axis, or not at all
        (p_out, t_out), trace = _run_batched(jvp, axis_size, (primals, tangents), (dims, dims))
        p_out, t_out = _unpack_all(trace, p_out), _unpack_all(trace, t_out)
        return _at_zero(axis_size, p_out), _at_zero(axis_size, t_out)
    return jvp_batched


def _batched_bwd(bwd: Callable[..., Any], res_dims: tuple[Dim, ...], in_dims: tuple[Dim, ...],
                 axis_size: int) -> Callable[..., Any]:
    """`bwd` (residuals, output cotangents at axis 0) -> input cotangents at `in_dims`."""
    def bwd_batched(res: Sequence[Any], cts: Sequence[Any]) -> list[Any]:
        cts_in, trace = _run_batched(bwd, axis_size, (res, cts), (res_dims, [0] * len(cts)))
        out = []
        for (v, d), want in zip(_unpack_all(trace, cts_in), in_dims, strict=True):
            if v is None:
                out.append(None)
            elif want is None:     # an input shared by every lane gets the lanes' sum
                out.append(v if d is None else P.reduce_sum_p.bind(v, axes=(d,)))
            else:
                out.append(move_bdim(v, d, want, axis_size))
        return out
    return bwd_batched


@memoize("batched custom rules")
def _batched_fwd_rule(fwd: Callable[..., Any], dims: tuple[Dim, ...],
                      axis_size: int) -> Callable[..., Any]:
    def fwd_batched(primals: Sequence[Any]) -> tuple[list[Any], list[Any], Any]:
        (outs, res, bwd), trace = _run_batched(fwd, axis_size, (primals,), (dims,))
        res_unpacked = _unpack_all(trace, res)
        outs_b = _at_zero(axis_size, _unpack_all(trace, outs))
        bwd_b = _batched_bwd(bwd, tuple(d for _, d in res_unpacked), dims, axis_size)
        return outs_b, [r for r, _ in res_unpacked], bwd_b
    return fwd_batched


def _custom_call_batch(prim: Primitive, rule_param: str,
                       batch_rule: Callable[..., Callable[..., Any]]) -> BatchRule:
    """Batch a custom_jvp/custom_vjp call: its Program, and the user's rule (batched
    by `batch_rule`), which is carried in the param `rule_param`."""
    def rule(axis_size: int, args: Sequence[Any], dims: Sequence[Dim], *, call: Program,
             num_consts: int, **params: Any) -> tuple[list[Any], list[Dim]]:
        batched, consts, out_dims = batch_program(call, dims, axis_size, force=True)
        user_rule = batch_rule(params[rule_param], tuple(dims[num_consts:]), axis_size)
        outs = prim.bind(*consts, *args, call=batched, **{rule_param: user_rule},
                         num_consts=len(consts) + num_consts)
        return list(outs), list(out_dims)
    return rule


def _custom_lin_batch(axis_size: int, args: Sequence[Any], dims: Sequence[Dim], *, num_res: int,
                      bwd: Callable[..., Any],
                      out_avals: tuple[ShapedArray, ...]) -> tuple[list[Any], list[Dim]]:
    # still a linear map known only through its transpose: batch that transpose
    bwd_b = _batched_bwd(bwd, tuple(dims[:num_res]), tuple(dims[num_res:]), axis_size)
    avals = tuple(a.update(shape=(axis_size, *a.shape)) for a in out_avals)
    outs = P.custom_lin_p.bind(*args, num_res=num_res, bwd=bwd_b, out_avals=avals)
    return list(outs), [0] * len(outs)


batch_rules[P.custom_jvp_call_p] = _custom_call_batch(P.custom_jvp_call_p, "jvp",
                                                      _batched_jvp_rule)
batch_rules[P.custom_vjp_call_p] = _custom_call_batch(P.custom_vjp_call_p, "fwd",
                                                      _batched_fwd_rule)
batch_rules[P.custom_lin_p] = _custom_lin_batch


# ---------------------------------------------------------------------------
# Linear algebra and FFT act on trailing axes and batch over the leading ones:
# a batch axis among the leading axes stays; one among the trailing axes moves
# to the front. Every operand shares the batch axis (one shared by all lanes is
# broadcast: the primitive needs equal batch dimensions).


def _trailing_op_batch(prim: Primitive, core_ndim: Callable[..., int]) -> BatchRule:
    def rule(axis_size: int, args: Sequence[Any], dims: Sequence[Dim],
             **params: Any) -> tuple[list[Any], list[Dim]]:
        lead = ndim_of(args[0]) - (dims[0] is not None) - core_ndim(**params)
        d = next(d for d in dims if d is not None)
        d = d if d <= lead else 0
        xs = [move_bdim(x, dx, d, axis_size) for x, dx in zip(args, dims, strict=True)]
        out = prim.bind(*xs, **params)
        outs = list(out) if prim.multiple_results else [out]
        return outs, [d] * len(outs)
    return rule


for _p in (P.cholesky_p, P.triangular_solve_p, P.lu_p, P.eigh_p, P.svd_p, P.qr_p):
    batch_rules[_p] = _trailing_op_batch(_p, lambda **_: 2)
batch_rules[P.fft_p] = _trailing_op_batch(P.fft_p, lambda *, fft_type, fft_lengths: len(
    fft_lengths))
