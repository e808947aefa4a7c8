"""Lowering of the indexing and sorting primitives: gather, the scatters, sort.

`gather_p`/`scatter*_p` map one to one onto ``stablehlo.gather`` /
``stablehlo.scatter`` (the index vector is always the last dimension of the
indices). Out-of-bounds modes are implemented here: XLA's gather clamps and
its scatter skips out-of-bounds windows, so "clip" needs explicit clamping only
for scatter, and gather's "fill" masks the clamped result.

`sort_p` becomes ``stablehlo.sort`` with a comparator region that orders the
keys lexicographically in NumPy's order: NaNs last, -0.0 equal to +0.0,
complex numbers by real then imaginary part.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from funcgrad import dtypes
from funcgrad import primitives as P
from funcgrad.core import ShapedArray
from funcgrad.xla_backend.lowering.emitter import (LoweringContext, compare, i64_array,
                                                   lowering_rules, scalar_text, tensor_type)
from funcgrad.xla_backend.lowering.reductions import monoid_op


def _ints(xs: Sequence[int]) -> str:
    return "[" + ", ".join(str(int(x)) for x in xs) + "]"


def _dims_attr(kind: str, fields: Sequence[tuple[str, Sequence[int] | int]]) -> str:
    """``#stablehlo.<kind><a = [..], ...>``, leaving out empty lists (their default)."""
    parts = []
    for name, v in fields:
        if isinstance(v, int):
            parts.append(f"{name} = {v}")
        elif len(v):
            parts.append(f"{name} = {_ints(v)}")
    return f"#stablehlo.{kind}<{', '.join(parts)}>"



def _in_bounds(ctx: LoweringContext, indices: str, upper: Sequence[int]) -> str:
    """A boolean of the indices' batch shape: every component lies in [0, upper[j]]."""
    ia = ctx.avals[indices]
    bshape = ia.shape
    lo = ctx.constant(0, ia.dtype, bshape)
    hi_vals = np.broadcast_to(np.asarray(upper, ia.dtype), bshape)
    hi = _dense(ctx, hi_vals)
    ok_lo = compare(ctx, "GE", indices, lo)
    ok_hi = compare(ctx, "LE", indices, hi)
    b = ia.update(dtype=dtypes.bool_, weak_type=False)
    ok = ctx.op1("stablehlo.and", [ok_lo, ok_hi], b)
    scalar = ShapedArray((), dtypes.bool_)
    body = ctx.region([scalar, scalar], lambda x, y: [ctx.op1("stablehlo.and", [x, y], scalar)])
    init = ctx.constant(True, dtypes.bool_)
    return ctx.op1("stablehlo.reduce", [ok, init], b.update(shape=bshape[:-1]),
                   f"dimensions = {i64_array([len(bshape) - 1])}", [body])


def _dense(ctx: LoweringContext, value: np.ndarray) -> str:
    """A constant tensor of arbitrary values."""
    aval = ShapedArray(tuple(value.shape), value.dtype)
    flat = value.reshape(-1)
    if not flat.size:       # an empty literal cannot spell its shape; a splat can
        return ctx.constant(0, value.dtype, aval.shape)
    if (flat == flat[0]).all():
        return ctx.constant(flat[0], value.dtype, aval.shape)
    items = ", ".join(scalar_text(v, value.dtype) for v in flat)
    nested = _nest(items.split(", ") if flat.size else [], value.shape)
    return ctx.op1("stablehlo.constant", [], aval, f"value = dense<{nested}> : {tensor_type(aval)}")


def _nest(items: list[str], shape: tuple[int, ...]) -> str:
    if not shape:
        return items[0]
    if len(shape) == 1:
        return "[" + ", ".join(items) + "]"
    step = len(items) // shape[0] if shape[0] else 0
    return "[" + ", ".join(_nest(items[i * step:(i + 1) * step], shape[1:])
                           for i in range(shape[0])) + "]"


def _clamp_indices(ctx: LoweringContext, indices: str, upper: Sequence[int]) -> str:
    ia = ctx.avals[indices]
    lo = ctx.constant(0, ia.dtype, ia.shape)
    hi = _dense(ctx, np.broadcast_to(np.asarray(upper, ia.dtype), ia.shape))
    return ctx.op1("stablehlo.clamp", [lo, indices, hi], ia)


def _gather_lower(ctx: LoweringContext, operand: str, indices: str, *,
                  dimension_numbers: P.GatherDimensionNumbers, slice_sizes: tuple[int, ...],
                  mode: str, fill_value: Any) -> list[str]:
    dn = dimension_numbers
    oa, ia = ctx.avals_in
    out = ctx.avals_out[0]
    dims = _dims_attr("gather", [
        ("offset_dims", dn.offset_dims), ("collapsed_slice_dims", dn.collapsed_slice_dims),
        ("operand_batching_dims", dn.operand_batching_dims),
        ("start_indices_batching_dims", dn.start_indices_batching_dims),
        ("start_index_map", dn.start_index_map), ("index_vector_dim", ia.ndim - 1)])
    res = ctx.op1("stablehlo.gather", [operand, indices], out,
                  f"dimension_numbers = {dims}, indices_are_sorted = false, "
                  f"slice_sizes = {i64_array(slice_sizes)}")
    if mode != "fill":
        return [res]
    upper = [oa.shape[d] - slice_sizes[d] for d in dn.start_index_map]
    ok = _in_bounds(ctx, indices, upper)
    batch_pos = [i for i in range(out.ndim) if i not in dn.offset_dims]
    mask = ctx.op1("stablehlo.broadcast_in_dim", [ok], out.update(dtype=dtypes.bool_),
                   f"broadcast_dimensions = {i64_array(batch_pos)}")
    fv = P.default_fill_value(out.dtype) if fill_value is None else fill_value
    fill = ctx.constant(fv, out.dtype, out.shape)
    return [ctx.op1("stablehlo.select", [mask, res, fill], out)]


def _emit_scatter(ctx: LoweringContext, combiner: str | None, operand: str, indices: str,
                  updates: str, *, dimension_numbers: P.ScatterDimensionNumbers,
                  indices_are_sorted: bool, unique_indices: bool, mode: str) -> str:
    """``stablehlo.scatter`` whose update region combines by monoid `combiner`
    (None: the update replaces the value)."""
    dn = dimension_numbers
    oa, ia, ua = ctx.avals_in
    out = ctx.avals_out[0]
    if mode == "clip":
        window = [d for d in range(oa.ndim) if d not in dn.inserted_window_dims
                  and d not in dn.operand_batching_dims]
        wsize = dict(zip(window, (ua.shape[u] for u in dn.update_window_dims), strict=True))
        upper = [oa.shape[d] - wsize.get(d, 1) for d in dn.scatter_dims_to_operand_dims]
        indices = _clamp_indices(ctx, indices, upper)
    scalar = ShapedArray((), out.dtype)
    if combiner is None:
        body = ctx.region([scalar, scalar], lambda a, b: [b])
    else:
        name = monoid_op(combiner, out.dtype)
        body = ctx.region([scalar, scalar], lambda a, b: [ctx.op1(name, [a, b], scalar)])
    dims = _dims_attr("scatter", [
        ("update_window_dims", dn.update_window_dims),
        ("inserted_window_dims", dn.inserted_window_dims),
        ("input_batching_dims", dn.operand_batching_dims),
        ("scatter_indices_batching_dims", dn.scatter_indices_batching_dims),
        ("scatter_dims_to_operand_dims", dn.scatter_dims_to_operand_dims),
        ("index_vector_dim", ia.ndim - 1)])
    updates = ctx.convert(updates, out.dtype)
    return ctx.op1("stablehlo.scatter", [operand, indices, updates], out,
                   f"scatter_dimension_numbers = {dims}, "
                   f"indices_are_sorted = {str(bool(indices_are_sorted)).lower()}, "
                   f"unique_indices = {str(bool(unique_indices)).lower()}", [body])


def _scatter_lower(ctx: LoweringContext, operand: str, indices: str, updates: str,
                   **params: Any) -> list[str]:
    return [_emit_scatter(ctx, None, operand, indices, updates, **params)]


def _scatter_add_lower(ctx: LoweringContext, operand: str, indices: str, updates: str,
                       **params: Any) -> list[str]:
    return [_emit_scatter(ctx, "add", operand, indices, updates, **params)]


def _scatter_mul_lower(ctx: LoweringContext, operand: str, indices: str, updates: str,
                       **params: Any) -> list[str]:
    return [_emit_scatter(ctx, "mul", operand, indices, updates, **params)]


def _scatter_min_lower(ctx: LoweringContext, operand: str, indices: str, updates: str,
                       **params: Any) -> list[str]:
    return [_emit_scatter(ctx, "min", operand, indices, updates, **params)]


def _scatter_max_lower(ctx: LoweringContext, operand: str, indices: str, updates: str,
                       **params: Any) -> list[str]:
    return [_emit_scatter(ctx, "max", operand, indices, updates, **params)]


# ---------------------------------------------------------------------------
# sort


def _total_compare(ctx: LoweringContext, direction: str, x: str, y: str) -> str:
    aval = ctx.avals[x]
    dt = aval.dtype
    ctype = ("TOTALORDER" if dtypes.is_float(dt) else "SIGNED" if dt.kind == "i"
             else "UNSIGNED")
    return ctx.op1("stablehlo.compare", [x, y], aval.update(dtype=dtypes.bool_, weak_type=False),
                   f"comparison_direction = #stablehlo<comparison_direction {direction}>, "
                   f"compare_type = #stablehlo<comparison_type {ctype}>")


def _canonical_float(ctx: LoweringContext, x: str) -> str:
    """-0.0 -> +0.0 and every NaN -> +NaN, so a total order sorts like NumPy."""
    aval = ctx.avals[x]
    zero = ctx.constant(0.0, aval.dtype)
    # (not x + 0.0: XLA simplifies that to x)
    plus0 = ctx.op1("stablehlo.select", [compare(ctx, "EQ", x, zero), zero, x], aval)
    is_nan = compare(ctx, "NE", x, x)
    return ctx.op1("stablehlo.select", [is_nan, ctx.constant(np.nan, aval.dtype), plus0], aval)


def _sort_keys(ctx: LoweringContext, x: str) -> list[str]:
    """The real scalars a value is ordered by: complex -> (real, imag)."""
    dt = ctx.avals[x].dtype
    if dtypes.is_complex(dt):
        part = ShapedArray((), dtypes.real_dtype(dt))
        parts = [ctx.op1("stablehlo.real", [x], part), ctx.op1("stablehlo.imag", [x], part)]
        return [_canonical_float(ctx, p) for p in parts]
    if dtypes.is_float(dt):
        return [_canonical_float(ctx, x)]
    return [x]


def _sort_lower(ctx: LoweringContext, *operands: str, dimension: int, is_stable: bool,
                num_keys: int) -> list[str]:
    avals = ctx.avals_in
    scalars = [ShapedArray((), a.dtype) for a in avals]
    b = ShapedArray((), dtypes.bool_)

    def comparator(*args: str) -> list[str]:
        lhs, rhs = args[0::2], args[1::2]
        keys: list[tuple[str, str]] = []
        for i in range(num_keys):
            keys.extend(zip(_sort_keys(ctx, lhs[i]), _sort_keys(ctx, rhs[i]), strict=True))
        # lexicographic: lt0 | (eq0 & (lt1 | (eq1 & ...)))
        result: str | None = None
        for x, y in reversed(keys):
            lt = _total_compare(ctx, "LT", x, y)
            if result is None:
                result = lt
            else:
                eq = _total_compare(ctx, "EQ", x, y)
                result = ctx.op1("stablehlo.or", [lt, ctx.op1("stablehlo.and", [eq, result], b)],
                                 b)
        assert result is not None
        return [result]

    region = ctx.region([s for s in scalars for _ in (0, 1)], comparator)
    return ctx.op("stablehlo.sort", list(operands), list(ctx.avals_out),
                  f"dimension = {dimension} : i64, is_stable = {str(bool(is_stable)).lower()}",
                  [region])



lowering_rules.update({
    P.gather_p: _gather_lower, P.scatter_p: _scatter_lower, P.scatter_add_p: _scatter_add_lower,
    P.scatter_mul_p: _scatter_mul_lower, P.scatter_min_p: _scatter_min_lower,
    P.scatter_max_p: _scatter_max_lower, P.sort_p: _sort_lower,
})
