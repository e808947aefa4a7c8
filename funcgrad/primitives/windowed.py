"""Windowed reductions (XLA's ReduceWindow and SelectAndScatter), and rounding to a
narrower float format.

Every windowed primitive shares the window params: `window_dimensions`,
`window_strides`, `padding` ((lo, hi) per dimension, non-negative), and
`base_dilation` / `window_dilation` (all int tuples, one entry per dimension).
The operand is dilated by `base_dilation` (holes between its elements), padded,
and a window of `window_dimensions` elements spaced `window_dilation` apart
slides over it `window_strides` at a time. Holes and padding hold the
reduction's identity.

- ``reduce_window_sum/max/min x``: the differentiable reductions.
- ``reduce_window *operands *init_values (program)``: any reduction, given as a
  Program of 2n scalars to n scalars (lax.reduce_window with a Python
  computation, and lax.reduce through a window spanning the reduced axes).
- ``select_and_gather_add t x (select_prim)``: per window, the element of `t` at
  the position where `x` wins (ge_p: the maximum, le_p: the minimum); the
  tangent of reduce_window_max/min, linear in `t`.
- ``select_and_scatter_add source x (select_prim)``: the transpose of that: each
  element of `source` added at the position where `x` wins its window (no
  dilation, as in XLA's SelectAndScatter).
- ``reduce_precision x (exponent_bits, mantissa_bits)``: `x` rounded (to nearest
  even) to a float format with that many exponent and mantissa bits.
- ``top_k x (k, axis)`` and ``approx_top_k x (k, reduction_dimension, ...)``: the
  k largest (approx_top_k: or smallest) entries along an axis with their int32
  indices, a stable sort's first k.
- ``cumlogsumexp x (axis, reverse)``: log(cumsum(exp(x))), the scan of logaddexp.
"""
from __future__ import annotations

from collections.abc import Sequence

from funcgrad import dtypes
from funcgrad.core import Primitive, ShapedArray, shape_error
from funcgrad.errors import DTypeError
from funcgrad.ir import Program
from funcgrad.primitives._shapes import check_axes, check_kind
from funcgrad.primitives.elementwise import ge_p, le_p

Pads = tuple[tuple[int, int], ...]


def _dilated(n: int, d: int) -> int:
    return 0 if n == 0 else (n - 1) * d + 1


def window_shape(name: str, shape: tuple[int, ...], window_dimensions: Sequence[int],
                 window_strides: Sequence[int], padding: Sequence[tuple[int, int]],
                 base_dilation: Sequence[int], window_dilation: Sequence[int]
                 ) -> tuple[int, ...]:
    """The shape a window reduction of an operand of `shape` gives, after checking
    that every param has one valid entry per dimension."""
    nd = len(shape)
    for what, v in (("window_dimensions", window_dimensions),
                    ("window_strides", window_strides), ("padding", padding),
                    ("base_dilation", base_dilation), ("window_dilation", window_dilation)):
        if len(v) != nd:
            raise shape_error(name, f"{what} {tuple(v)} needs one entry per dimension of the "
                                    f"operand {shape} ({nd})")
    for what, v in (("window_dimensions", window_dimensions),
                    ("window_strides", window_strides), ("base_dilation", base_dilation),
                    ("window_dilation", window_dilation)):
        if any(int(k) < 1 for k in v):
            raise shape_error(name, f"{what} must all be positive, got {tuple(v)}")
    if any(len(p) != 2 or int(p[0]) < 0 or int(p[1]) < 0 for p in padding):
        raise shape_error(name, f"padding must be (low, high) pairs of non-negative ints, got "
                                f"{tuple(padding)}")
    out = []
    for n, k, s, (lo, hi), b, w in zip(shape, window_dimensions, window_strides, padding,
                                       base_dilation, window_dilation, strict=True):
        padded = _dilated(n, b) + lo + hi
        extent = _dilated(k, w)
        out.append(0 if padded < extent else (padded - extent) // s + 1)
    return tuple(out)


def _reduce_window_monoid(name: str) -> Primitive:
    prim = Primitive(name)

    def rule(x: ShapedArray, *, window_dimensions: tuple[int, ...],
             window_strides: tuple[int, ...], padding: Pads, base_dilation: tuple[int, ...],
             window_dilation: tuple[int, ...]) -> ShapedArray:
        check_kind(name, x.dtype, "num")
        shape = window_shape(name, x.shape, window_dimensions, window_strides, padding,
                             base_dilation, window_dilation)
        return ShapedArray(shape, x.dtype, x.weak_type)

    prim.def_abstract_eval(rule)
    return prim


reduce_window_sum_p = _reduce_window_monoid("reduce_window_sum")
reduce_window_max_p = _reduce_window_monoid("reduce_window_max")
reduce_window_min_p = _reduce_window_monoid("reduce_window_min")


reduce_window_p = Primitive("reduce_window", multiple_results=True)


@reduce_window_p.def_abstract_eval
def _reduce_window_rule(*args: ShapedArray, program: Program,
                        window_dimensions: tuple[int, ...], window_strides: tuple[int, ...],
                        padding: Pads, base_dilation: tuple[int, ...],
                        window_dilation: tuple[int, ...]) -> list[ShapedArray]:
    if not args or len(args) % 2:
        raise shape_error("reduce_window", f"needs n operands then n init values, got "
                                           f"{len(args)} arguments")
    n = len(args) // 2
    operands, inits = args[:n], args[n:]
    shape = operands[0].shape
    if any(o.shape != shape for o in operands):
        raise shape_error("reduce_window", f"operands must share a shape, got "
                                           f"{', '.join(str(o.shape) for o in operands)}")
    for o, i in zip(operands, inits, strict=True):
        if i.shape != () or i.dtype != o.dtype:
            raise DTypeError(f"reduce_window: each init value must be a scalar of its "
                             f"operand's dtype, got {i.str_short()} for an operand of "
                             f"{o.dtype}")
    scalars = [ShapedArray((), o.dtype) for o in operands]
    if ([v.aval.strong() for v in program.invars] != scalars + scalars
            or [a.strong() for a in program.out_avals] != scalars or program.constvars):
        raise DTypeError(f"reduce_window: the computation must map two tuples of scalars of "
                         f"dtypes {[str(s.dtype) for s in scalars]} to one such tuple, got "
                         f"{[a.str_short() for a in program.out_avals]}")
    out = window_shape("reduce_window", shape, window_dimensions, window_strides, padding,
                       base_dilation, window_dilation)
    return [ShapedArray(out, o.dtype) for o in operands]


def _check_select(name: str, select_prim: Primitive) -> None:
    if select_prim not in (ge_p, le_p):
        raise ValueError(f"{name}: select_prim must be ge_p (the maximum wins) or le_p (the "
                         f"minimum), got {select_prim}")


select_and_gather_add_p = Primitive("select_and_gather_add")


@select_and_gather_add_p.def_abstract_eval
def _select_and_gather_add_rule(t: ShapedArray, x: ShapedArray, *, select_prim: Primitive,
                                window_dimensions: tuple[int, ...],
                                window_strides: tuple[int, ...], padding: Pads,
                                base_dilation: tuple[int, ...],
                                window_dilation: tuple[int, ...]) -> ShapedArray:
    _check_select("select_and_gather_add", select_prim)
    check_kind("select_and_gather_add", x.dtype, "num")
    if t.shape != x.shape:
        raise shape_error("select_and_gather_add", f"t {t.shape} and x {x.shape} must have "
                                                   "one shape")
    shape = window_shape("select_and_gather_add", x.shape, window_dimensions, window_strides,
                         padding, base_dilation, window_dilation)
    return ShapedArray(shape, t.dtype, t.weak_type)


select_and_scatter_add_p = Primitive("select_and_scatter_add")


@select_and_scatter_add_p.def_abstract_eval
def _select_and_scatter_add_rule(source: ShapedArray, x: ShapedArray, *,
                                 select_prim: Primitive, window_dimensions: tuple[int, ...],
                                 window_strides: tuple[int, ...], padding: Pads) -> ShapedArray:
    _check_select("select_and_scatter_add", select_prim)
    check_kind("select_and_scatter_add", x.dtype, "num")
    ones = (1,) * x.ndim
    out = window_shape("select_and_scatter_add", x.shape, window_dimensions, window_strides,
                       padding, ones, ones)
    if source.shape != out:
        raise shape_error("select_and_scatter_add", f"source {source.shape} must have the "
                                                    f"shape of x's windows {out} (x {x.shape})")
    return ShapedArray(x.shape, source.dtype, source.weak_type)


reduce_precision_p = Primitive("reduce_precision")


@reduce_precision_p.def_abstract_eval
def _reduce_precision_rule(x: ShapedArray, *, exponent_bits: int,
                           mantissa_bits: int) -> ShapedArray:
    check_kind("reduce_precision", x.dtype, "float")
    if exponent_bits < 1 or mantissa_bits < 0:
        raise ValueError(f"reduce_precision: needs exponent_bits >= 1 and mantissa_bits >= 0, "
                         f"got {exponent_bits} and {mantissa_bits}")
    return x


# ---------------------------------------------------------------------------
# top-k and the log-sum-exp scan


def _top_k_avals(name: str, x: ShapedArray, k: int, axis: int) -> list[ShapedArray]:
    check_axes(name, (axis,), x.ndim)
    if type(k) is not int or not 0 <= k <= x.shape[axis]:
        raise shape_error(name, f"k must be an int between 0 and the size {x.shape[axis]} of "
                                f"axis {axis}, got {k!r}")
    shape = (*x.shape[:axis], k, *x.shape[axis + 1:])
    return [ShapedArray(shape, x.dtype, x.weak_type), ShapedArray(shape, dtypes.int32)]


def _check_real(name: str, x: ShapedArray) -> None:
    if not (dtypes.is_float(x.dtype) or dtypes.is_integer(x.dtype)):
        raise DTypeError(f"{name} needs a real floating or integer operand, got {x.dtype}")


top_k_p = Primitive("top_k", multiple_results=True)


@top_k_p.def_abstract_eval
def _top_k_rule(x: ShapedArray, *, k: int, axis: int) -> list[ShapedArray]:
    """The k largest along `axis`, descending, and their int32 indices (lower
    index first among equals, NaN largest)."""
    _check_real("top_k", x)
    return _top_k_avals("top_k", x, k, axis)


approx_top_k_p = Primitive("approx_top_k", multiple_results=True)


@approx_top_k_p.def_abstract_eval
def _approx_top_k_rule(x: ShapedArray, *, k: int, reduction_dimension: int,
                       recall_target: float, is_max_k: bool,
                       reduction_input_size_override: int,
                       aggregate_to_topk: bool) -> list[ShapedArray]:
    """JAX's approximate top-k, computed exactly (recall 1 meets any target); the
    smallest ones ascending when not `is_max_k`."""
    _check_real("approx_top_k", x)
    if not 0 < recall_target <= 1:
        raise ValueError(f"approx_top_k: recall_target must be in (0, 1], got {recall_target}")
    return _top_k_avals("approx_top_k", x, k, reduction_dimension)


cumlogsumexp_p = Primitive("cumlogsumexp")


@cumlogsumexp_p.def_abstract_eval
def _cumlogsumexp_rule(x: ShapedArray, *, axis: int, reverse: bool) -> ShapedArray:
    check_kind("cumlogsumexp", x.dtype, "float")
    check_axes("cumlogsumexp", (axis,), x.ndim)
    return x
