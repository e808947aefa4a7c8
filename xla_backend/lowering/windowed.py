"""Lowering rules of the windowed primitives and reduce_precision.

Every windowed reduction is one ``stablehlo.reduce_window``: the monoids with a
one-op body started from the monoid's identity (which also fills padding and
base-dilation holes); the generic `reduce_window` with its computation Program
lowered inside the region; `select_and_gather_add` as a two-operand reduction
over (x, t) pairs that keeps the pair whose x wins. `select_and_scatter_add` is
``stablehlo.select_and_scatter`` with a compare body and an add body.
A 0-d operand has one window, its own value, so it needs no op at all (for any
computation, as XLA does with a rank-0 reduce_window).
`top_k`/`approx_top_k` are a stable ``stablehlo.sort`` of (value, iota) pairs
sliced to k (exact, so approx_top_k's recall is 1); `cumlogsumexp` is a prefix
reduce_window like cumsum's, with a logaddexp body.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from funcgrad import dtypes
from funcgrad import primitives as P
from funcgrad.core import Primitive, ShapedArray
from funcgrad.ir import Program
from funcgrad.primitives.windowed import Pads
from funcgrad.xla_backend.lowering.emitter import (LoweringContext, compare, i64_array,
                                                   lowering_rules)
from funcgrad.xla_backend.lowering.indexing import _sort_keys as sort_keys
from funcgrad.xla_backend.lowering.indexing import _total_compare as total_compare
from funcgrad.xla_backend.lowering.reductions import identity_value, monoid_op


def _padding_attr(padding: Pads) -> str:
    rows = ", ".join(f"[{int(lo)}, {int(hi)}]" for lo, hi in padding)
    return f"padding = dense<[{rows}]> : tensor<{len(padding)}x2xi64>"


def _window_attrs(window_dimensions: Sequence[int], window_strides: Sequence[int],
                  padding: Pads, base_dilation: Sequence[int] | None = None,
                  window_dilation: Sequence[int] | None = None) -> str:
    attrs = [f"window_dimensions = {i64_array(window_dimensions)}",
             f"window_strides = {i64_array(window_strides)}", _padding_attr(padding)]
    if base_dilation is not None:
        attrs.append(f"base_dilations = {i64_array(base_dilation)}")
    if window_dilation is not None:
        attrs.append(f"window_dilations = {i64_array(window_dilation)}")
    return ", ".join(attrs)


def _monoid_window(ctx: LoweringContext, x: str, op: str, params: dict[str, Any]) -> list[str]:
    xa = ctx.avals[x]
    if xa.ndim == 0:
        return [x]
    dt = xa.dtype
    scalar = ShapedArray((), dt)
    name = monoid_op(op, dt)
    out = ctx.avals_out[0]
    body = ctx.region([scalar, scalar], lambda a, b: [ctx.op1(name, [a, b], scalar)])
    init = ctx.constant(identity_value(op, dt), dt)
    return [ctx.op1("stablehlo.reduce_window", [x, init], out, _window_attrs(**params), [body])]


def _reduce_window_sum_lower(ctx: LoweringContext, x: str, **params: Any) -> list[str]:
    return _monoid_window(ctx, x, "add", params)


def _reduce_window_max_lower(ctx: LoweringContext, x: str, **params: Any) -> list[str]:
    return _monoid_window(ctx, x, "max", params)


def _reduce_window_min_lower(ctx: LoweringContext, x: str, **params: Any) -> list[str]:
    return _monoid_window(ctx, x, "min", params)


def _reduce_window_lower(ctx: LoweringContext, *args: str, program: Program,
                         **params: Any) -> list[str]:
    n = len(args) // 2
    outs = list(ctx.avals_out)
    operands, inits = list(args[:n]), list(args[n:])
    if ctx.avals[operands[0]].ndim == 0:     # as XLA (and JAX): a 0-d operand is its result
        return operands
    scalars = [ShapedArray((), ctx.avals[o].dtype) for o in operands]
    body = ctx.region(scalars + scalars, lambda *xs: ctx.lower_eqns(program, xs))
    return ctx.op("stablehlo.reduce_window", [*operands, *inits], outs,
                  _window_attrs(**params), [body])


def _select_direction(select_prim: Primitive) -> tuple[str, str]:
    """The comparison that keeps the winner, and the monoid whose identity never wins."""
    return ("GE", "max") if select_prim is P.ge_p else ("LE", "min")


def _select_and_gather_add_lower(ctx: LoweringContext, t: str, x: str, *,
                                 select_prim: Primitive, **params: Any) -> list[str]:
    xa, ta = ctx.avals[x], ctx.avals[t]
    if xa.ndim == 0:
        return [t]
    direction, op = _select_direction(select_prim)
    xs, ts = ShapedArray((), xa.dtype), ShapedArray((), ta.dtype)
    out = ctx.avals_out[0]

    def body(ax: str, at: str, bx: str, bt: str) -> list[str]:
        keep_a = compare(ctx, direction, ax, bx)
        return [ctx.op1("stablehlo.select", [keep_a, ax, bx], xs),
                ctx.op1("stablehlo.select", [keep_a, at, bt], ts)]

    region = ctx.region([xs, ts, xs, ts], body)
    init_x = ctx.constant(identity_value(op, xa.dtype), xa.dtype)
    init_t = ctx.constant(0, ta.dtype)
    res = ctx.op("stablehlo.reduce_window", [x, t, init_x, init_t],
                 [out.update(dtype=xa.dtype, weak_type=False), out], _window_attrs(**params),
                 [region])
    return [res[1]]


def _select_and_scatter_add_lower(ctx: LoweringContext, source: str, x: str, *,
                                  select_prim: Primitive, window_dimensions: tuple[int, ...],
                                  window_strides: tuple[int, ...],
                                  padding: Pads) -> list[str]:
    xa, sa = ctx.avals[x], ctx.avals[source]
    if xa.ndim == 0:
        return [source]
    direction, _ = _select_direction(select_prim)
    xs, ss = ShapedArray((), xa.dtype), ShapedArray((), sa.dtype)
    select = ctx.region([xs, xs], lambda a, b: [compare(ctx, direction, a, b)])
    scatter = ctx.region([ss, ss], lambda a, b: [ctx.op1(monoid_op("add", sa.dtype), [a, b],
                                                         ss)])
    zero = ctx.constant(0, sa.dtype)
    return [ctx.op1("stablehlo.select_and_scatter", [x, source, zero], ctx.avals_out[0],
                    _window_attrs(window_dimensions, window_strides, padding),
                    [select, scatter])]


def _reduce_precision_lower(ctx: LoweringContext, x: str, *, exponent_bits: int,
                            mantissa_bits: int) -> list[str]:
    return [ctx.op1("stablehlo.reduce_precision", [x], ctx.avals_out[0],
                    f"exponent_bits = {int(exponent_bits)} : i32, "
                    f"mantissa_bits = {int(mantissa_bits)} : i32")]


# ---------------------------------------------------------------------------
# top-k: a stable sort of (value, index) pairs, its first k


def _top_k(ctx: LoweringContext, x: str, k: int, axis: int, largest: bool) -> list[str]:
    """Values ordered descending (ascending unless `largest`) by the total order
    sort_p uses (NaN beyond every number), ties by index; the first k of each."""
    xa = ctx.avals[x]
    idx = ctx.op1("stablehlo.iota", [], xa.update(dtype=dtypes.int32, weak_type=False),
                  f"iota_dimension = {axis} : i64")
    scalars = [ShapedArray((), xa.dtype)] * 2 + [ShapedArray((), dtypes.int32)] * 2
    direction = "GT" if largest else "LT"

    def comparator(a: str, b: str, i: str, j: str) -> list[str]:
        (ka,), (kb,) = sort_keys(ctx, a), sort_keys(ctx, b)
        return [total_compare(ctx, direction, ka, kb)]

    region = ctx.region(scalars, comparator)
    vals, perm = ctx.op("stablehlo.sort", [x, idx], [xa, ctx.avals[idx]],
                        f"dimension = {axis} : i64, is_stable = true", [region])
    limits = list(xa.shape)
    limits[axis] = k
    attrs = (f"start_indices = {i64_array([0] * xa.ndim)}, limit_indices = "
             f"{i64_array(limits)}, strides = {i64_array([1] * xa.ndim)}")
    return [ctx.op1("stablehlo.slice", [v], out, attrs)
            for v, out in zip((vals, perm), ctx.avals_out, strict=True)]


def _top_k_lower(ctx: LoweringContext, x: str, *, k: int, axis: int) -> list[str]:
    return _top_k(ctx, x, k, axis, largest=True)


def _approx_top_k_lower(ctx: LoweringContext, x: str, *, k: int, reduction_dimension: int,
                        recall_target: float, is_max_k: bool,
                        reduction_input_size_override: int,
                        aggregate_to_topk: bool) -> list[str]:
    return _top_k(ctx, x, k, reduction_dimension, largest=is_max_k)


# ---------------------------------------------------------------------------
# cumlogsumexp: a prefix reduce_window whose body is logaddexp


def _logaddexp_body(ctx: LoweringContext, a: str, b: str) -> list[str]:
    """max(a, b) + log1p(exp(-|a - b|)); where a - b is NaN (equal infinities, or a
    NaN operand) the result is max(a, b), which is then the infinity or NaN."""
    s = ctx.avals[a]
    big = ctx.op1("stablehlo.maximum", [a, b], s)
    delta = ctx.op1("stablehlo.subtract", [a, b], s)
    undefined = compare(ctx, "NE", delta, delta)
    safe = ctx.op1("stablehlo.select", [undefined, ctx.constant(0.0, s.dtype), delta], s)
    neg = ctx.op1("stablehlo.negate", [ctx.op1("stablehlo.abs", [safe], s)], s)
    tail = ctx.op1("stablehlo.log_plus_one", [ctx.op1("stablehlo.exponential", [neg], s)], s)
    total = ctx.op1("stablehlo.add", [big, tail], s)
    return [ctx.op1("stablehlo.select", [undefined, big, total], s)]


def _cumlogsumexp_lower(ctx: LoweringContext, x: str, *, axis: int,
                        reverse: bool) -> list[str]:
    xa = ctx.avals[x]
    n = xa.shape[axis]
    scalar = ShapedArray((), xa.dtype)
    body = ctx.region([scalar, scalar], lambda a, b: _logaddexp_body(ctx, a, b))
    init = ctx.constant(-math.inf, xa.dtype)
    window = [1] * xa.ndim
    window[axis] = max(n, 1)
    pads = [(0, 0)] * xa.ndim
    pads[axis] = (0, max(n - 1, 0)) if reverse else (max(n - 1, 0), 0)
    ones = (1,) * xa.ndim
    return [ctx.op1("stablehlo.reduce_window", [x, init], xa,
                    _window_attrs(window, ones, tuple(pads), ones, ones), [body])]


lowering_rules.update({
    P.top_k_p: _top_k_lower,
    P.approx_top_k_p: _approx_top_k_lower,
    P.cumlogsumexp_p: _cumlogsumexp_lower,
    P.reduce_window_sum_p: _reduce_window_sum_lower,
    P.reduce_window_max_p: _reduce_window_max_lower,
    P.reduce_window_min_p: _reduce_window_min_lower,
    P.reduce_window_p: _reduce_window_lower,
    P.select_and_gather_add_p: _select_and_gather_add_lower,
    P.select_and_scatter_add_p: _select_and_scatter_add_lower,
    P.reduce_precision_p: _reduce_precision_lower,
})
