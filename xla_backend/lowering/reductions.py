"""Lowering rules of the reductions: reduce_sum/prod/max/min/and/or, argmax and
argmin, the cumulative ops (cumsum, cumprod, cummax, cummin) and dot_general.

A reduction is ``stablehlo.reduce`` with a one-op body over a monoid ("add",
"mul", "max", "min", "and", "or") started from the monoid's identity; on
booleans the arithmetic monoids become logic, as in NumPy. The scatters
combine by the same monoids (`monoid_op`).
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from funcgrad import dtypes
from funcgrad import primitives as P
from funcgrad.core import ShapedArray
from funcgrad.xla_backend.lowering.emitter import (LoweringContext, compare, i64_array,
                                                   lowering_rules)


def identity_value(op: str, dtype: np.dtype) -> Any:
    """The identity element of a monoid `op` ("add", "mul", "max", "min", "and", "or",
    "xor")."""
    if op in ("add", "or", "xor"):
        return 0
    if op == "mul":
        return 1
    if op == "and":
        return True if dtype == dtypes.bool_ else -1
    if dtype == dtypes.bool_:
        return op == "min"
    if dtypes.is_integer(dtype):
        info = np.iinfo(dtype)
        return info.min if op == "max" else info.max
    return -math.inf if op == "max" else math.inf


_MONOID_OPS = {"add": "stablehlo.add", "mul": "stablehlo.multiply", "max": "stablehlo.maximum",
               "min": "stablehlo.minimum", "and": "stablehlo.and", "or": "stablehlo.or",
               "xor": "stablehlo.xor"}


def monoid_op(op: str, dtype: np.dtype) -> str:
    """The StableHLO op of monoid `op` on `dtype`."""
    if dtype == dtypes.bool_:
        op = {"add": "or", "mul": "and", "max": "or", "min": "and"}.get(op, op)
    return _MONOID_OPS[op]


def reduce(ctx: LoweringContext, x: str, op: str, axes: Sequence[int],
           out_aval: ShapedArray) -> str:
    """`x` reduced over `axes` by monoid `op`."""
    dt = ctx.avals[x].dtype
    init = ctx.constant(identity_value(op, dt), dt)
    scalar = ShapedArray((), dt)
    name = monoid_op(op, dt)
    body = ctx.region([scalar, scalar], lambda a, b: [ctx.op1(name, [a, b], scalar)])
    return ctx.op1("stablehlo.reduce", [x, init], out_aval,
                   f"dimensions = {i64_array(axes)}", [body])


def _reduce_sum_lower(ctx: LoweringContext, x: str, *, axes: tuple[int, ...]) -> list[str]:
    return [reduce(ctx, x, "add", axes, ctx.avals_out[0])]


def _reduce_prod_lower(ctx: LoweringContext, x: str, *, axes: tuple[int, ...]) -> list[str]:
    return [reduce(ctx, x, "mul", axes, ctx.avals_out[0])]


def _reduce_max_lower(ctx: LoweringContext, x: str, *, axes: tuple[int, ...]) -> list[str]:
    return [reduce(ctx, x, "max", axes, ctx.avals_out[0])]


def _reduce_min_lower(ctx: LoweringContext, x: str, *, axes: tuple[int, ...]) -> list[str]:
    return [reduce(ctx, x, "min", axes, ctx.avals_out[0])]


def _reduce_and_lower(ctx: LoweringContext, x: str, *, axes: tuple[int, ...]) -> list[str]:
    return [reduce(ctx, x, "and", axes, ctx.avals_out[0])]


def _reduce_or_lower(ctx: LoweringContext, x: str, *, axes: tuple[int, ...]) -> list[str]:
    return [reduce(ctx, x, "or", axes, ctx.avals_out[0])]


def _reduce_xor_lower(ctx: LoweringContext, x: str, *, axes: tuple[int, ...]) -> list[str]:
    return [reduce(ctx, x, "xor", axes, ctx.avals_out[0])]


# ---------------------------------------------------------------------------
# argmax, argmin


def _arg_reduce(ctx: LoweringContext, x: str, direction: str, axis: int,
                index_dtype: np.dtype) -> str:
    """A variadic reduce over (value, index) pairs that keeps the pair whose value
    compares `direction` to the other's; NaNs win, like NumPy, and ties go to the
    smaller index."""
    xa = ctx.avals[x]
    idx = ctx.op1("stablehlo.iota", [], xa.update(dtype=index_dtype),
                  f"iota_dimension = {axis} : i64")
    vs, is_ = ShapedArray((), xa.dtype), ShapedArray((), index_dtype)
    b = ShapedArray((), dtypes.bool_)
    is_float = dtypes.is_inexact(xa.dtype)

    def body(av: str, ai: str, bv: str, bi: str) -> list[str]:
        better = compare(ctx, direction, av, bv)
        eq = compare(ctx, "EQ", av, bv)
        lt_idx = compare(ctx, "LT", ai, bi)
        pick = ctx.op1("stablehlo.or", [better, ctx.op1("stablehlo.and", [eq, lt_idx], b)], b)
        if is_float:
            a_nan = compare(ctx, "NE", av, av)
            b_nan = compare(ctx, "NE", bv, bv)
            b_ok = ctx.op1("stablehlo.not", [b_nan], b)
            nan_pick = ctx.op1("stablehlo.or", [b_ok, lt_idx], b)
            num_pick = ctx.op1("stablehlo.and", [b_ok, pick], b)
            pick = ctx.op1("stablehlo.select", [a_nan, nan_pick, num_pick], b)
        return [ctx.op1("stablehlo.select", [pick, av, bv], vs),
                ctx.op1("stablehlo.select", [pick, ai, bi], is_)]

    region = ctx.region([vs, is_, vs, is_], body)
    # The init value must lose to every element (an init of 0 beat all-negative rows).
    init_v = ctx.constant(identity_value("max" if direction == "GT" else "min", xa.dtype),
                          xa.dtype)
    init_i = ctx.constant(0, index_dtype)
    out = ctx.avals_out[0]
    res = ctx.op("stablehlo.reduce", [x, idx, init_v, init_i],
                 [out.update(dtype=xa.dtype), out], f"dimensions = {i64_array([axis])}",
                 [region])
    return res[1]


def _argmax_lower(ctx: LoweringContext, x: str, *, axis: int,
                  index_dtype: np.dtype) -> list[str]:
    return [_arg_reduce(ctx, x, "GT", axis, index_dtype)]


def _argmin_lower(ctx: LoweringContext, x: str, *, axis: int,
                  index_dtype: np.dtype) -> list[str]:
    return [_arg_reduce(ctx, x, "LT", axis, index_dtype)]


# ---------------------------------------------------------------------------
# cumulative ops


def _cumulative(ctx: LoweringContext, x: str, op: str, axis: int, reverse: bool) -> str:
    """A prefix reduction as a reduce_window whose window covers the whole axis."""
    xa = ctx.avals[x]
    n = xa.shape[axis]
    dt = xa.dtype
    scalar = ShapedArray((), dt)
    name = monoid_op(op, dt)
    body = ctx.region([scalar, scalar], lambda a, b: [ctx.op1(name, [a, b], scalar)])
    init = ctx.constant(identity_value(op, dt), dt)
    window = [1] * xa.ndim
    window[axis] = max(n, 1)
    pad = [[0, 0] for _ in range(xa.ndim)]
    pad[axis] = [0, max(n - 1, 0)] if reverse else [max(n - 1, 0), 0]
    pad_text = ", ".join(f"[{lo}, {hi}]" for lo, hi in pad)
    attrs = (f"window_dimensions = {i64_array(window)}, "
             f"window_strides = {i64_array([1] * xa.ndim)}, "
             f"padding = dense<[{pad_text}]> : tensor<{xa.ndim}x2xi64>")
    return ctx.op1("stablehlo.reduce_window", [x, init], xa, attrs, [body])


def _cumsum_lower(ctx: LoweringContext, x: str, *, axis: int, reverse: bool) -> list[str]:
    return [_cumulative(ctx, x, "add", axis, reverse)]


def _cumprod_lower(ctx: LoweringContext, x: str, *, axis: int, reverse: bool) -> list[str]:
    return [_cumulative(ctx, x, "mul", axis, reverse)]


def _cummax_lower(ctx: LoweringContext, x: str, *, axis: int, reverse: bool) -> list[str]:
    return [_cumulative(ctx, x, "max", axis, reverse)]


def _cummin_lower(ctx: LoweringContext, x: str, *, axis: int, reverse: bool) -> list[str]:
    return [_cumulative(ctx, x, "min", axis, reverse)]


# ---------------------------------------------------------------------------
# dot_general


def _dot_general_lower(ctx: LoweringContext, lhs: str, rhs: str, *,
                       dimension_numbers: P.DotDims) -> list[str]:
    (lc, rc), (lb, rb) = dimension_numbers
    out = ctx.avals_out[0]
    dims = (f"#stablehlo.dot<lhs_batching_dimensions = [{', '.join(map(str, lb))}], "
            f"rhs_batching_dimensions = [{', '.join(map(str, rb))}], "
            f"lhs_contracting_dimensions = [{', '.join(map(str, lc))}], "
            f"rhs_contracting_dimensions = [{', '.join(map(str, rc))}]>")
    if out.dtype == dtypes.bool_:   # NumPy: a boolean matmul is an or of ands
        i = out.update(dtype=dtypes.int32)
        r = ctx.op1("stablehlo.dot_general", [ctx.convert(lhs, dtypes.int32),
                                              ctx.convert(rhs, dtypes.int32)], i,
                    f"dot_dimension_numbers = {dims}")
        return [compare(ctx, "NE", r, ctx.constant(0, dtypes.int32, out.shape))]
    return [ctx.op1("stablehlo.dot_general", [lhs, rhs], out, f"dot_dimension_numbers = {dims}")]


lowering_rules.update({
    P.reduce_sum_p: _reduce_sum_lower, P.reduce_prod_p: _reduce_prod_lower,
    P.reduce_max_p: _reduce_max_lower, P.reduce_min_p: _reduce_min_lower,
    P.reduce_and_p: _reduce_and_lower, P.reduce_or_p: _reduce_or_lower,
    P.reduce_xor_p: _reduce_xor_lower,
    P.argmax_p: _argmax_lower, P.argmin_p: _argmin_lower,
    P.cumsum_p: _cumsum_lower, P.cumprod_p: _cumprod_lower, P.cummax_p: _cummax_lower,
    P.cummin_p: _cummin_lower, P.dot_general_p: _dot_general_lower,
})
