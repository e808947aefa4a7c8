"""What the interpreters share: symbolic zeros, operations rules are written
with, the one cache of derived Programs, and helpers on sub-Programs.

`Zero(aval)` stands for an all-zero tangent or cotangent that was never
materialised; rules test for it with ``type(t) is Zero`` and `instantiate`
makes a real array only where a rule needs one. `UndefinedPrimal(aval)` marks
the linear inputs of an equation being transposed (the one transpose
convention: every transpose rule receives its linear operands that way).

The operations below bind primitives directly (no dtype promotion): rules call
them under whichever trace is current, so the results are themselves
transformable. `unbroadcast` is the one place that undoes NumPy-style
broadcasting of the n-ary elementwise primitives.

This module sits below every interpreter (each imports it, it imports none of
them): a helper that needs an interpreter's own machinery (`jvp_program`,
`batch_program`, `partial_eval_program`, `transpose_program`) lives once, in
that interpreter's package.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import numpy as np

from funcgrad import core, dtypes, primitives as P
from funcgrad.config import LRUCache
from funcgrad.core import ShapedArray
from funcgrad.ir import Literal, Program, Var
from funcgrad.transforms.staging import hoist_consts, trace_to_program


class Zero:
    """A symbolic zero (co)tangent of the given aval."""

    __slots__ = ("aval",)

    def __init__(self, aval: ShapedArray):
        self.aval = aval

    def __repr__(self) -> str:
        return f"Zero({self.aval.str_short()})"


class UndefinedPrimal:
    """A linear input of an equation under transposition: only its aval is known."""

    __slots__ = ("aval",)

    def __init__(self, aval: ShapedArray):
        self.aval = aval

    def __repr__(self) -> str:
        return f"UndefinedPrimal({self.aval.str_short()})"


def is_undefined(x: Any) -> bool:
    return type(x) is UndefinedPrimal


def tangent_aval(aval: ShapedArray) -> ShapedArray:
    """Tangents have their primal's shape and dtype and are never weakly typed."""
    return aval.strong()


def differentiable(aval: ShapedArray) -> bool:
    """Only floating and complex values carry tangents; ints and bools never do."""
    return dtypes.is_inexact(aval.dtype)


def aval(x: Any) -> ShapedArray:
    return x.aval if type(x) in (Zero, UndefinedPrimal) else core.get_aval(x)


# ---------------------------------------------------------------------------
# constants and zeros


def weak_scalar(value: Any, dtype: np.dtype) -> Literal:
    """A weakly typed scalar Literal of `dtype`: broadcasts and never promotes."""
    return Literal(np.asarray(value).astype(dtype)[()], ShapedArray((), dtype, True))


def strong_scalar(value: Any, dtype: np.dtype) -> Literal:
    """A strongly typed 0-d constant of `dtype` (for primitives that want operands
    of one dtype)."""
    return Literal(np.asarray(value, dtype)[()], ShapedArray((), dtype, False))


def full(value: Any, av: ShapedArray) -> Any:
    return P.broadcast_in_dim_p.bind(Literal(np.asarray(value).astype(av.dtype)[()],
                                             ShapedArray((), av.dtype, False)),
                                     shape=av.shape, broadcast_dimensions=())


def zeros(av: ShapedArray) -> Any:
    return full(0, av)


def instantiate(t: Any) -> Any:
    return zeros(t.aval) if type(t) is Zero else t


def add_tangents(a: Any, b: Any) -> Any:
    if type(a) is Zero:
        return b
    if type(b) is Zero:
        return a
    return P.add_p.bind(a, b)


# ---------------------------------------------------------------------------
# shapes


def broadcast_to(x: Any, shape: tuple[int, ...]) -> Any:
    """NumPy-style (right-aligned) broadcast of `x` to `shape`; a no-op when it fits."""
    if type(x) is Zero:
        return Zero(x.aval.update(shape=shape))
    xs = aval(x).shape
    if xs == shape:
        return x
    lead = len(shape) - len(xs)
    return P.broadcast_in_dim_p.bind(x, shape=shape,
                                     broadcast_dimensions=tuple(range(lead, len(shape))))


def unbroadcast(ct: Any, av: ShapedArray) -> Any:
    """The transpose of broadcasting an operand of aval `av`: sum `ct` over the
    broadcast dimensions and reshape it to `av`'s shape (and dtype)."""
    if type(ct) is Zero:
        return Zero(tangent_aval(av))
    shape = aval(ct).shape
    if shape != av.shape:
        lead = len(shape) - av.ndim
        axes = tuple(range(lead)) + tuple(
            lead + i for i, d in enumerate(av.shape) if d == 1 and shape[lead + i] != 1)
        if axes:
            ct = P.reduce_sum_p.bind(ct, axes=axes)
        if aval(ct).shape != av.shape:
            ct = P.reshape_p.bind(ct, new_sizes=av.shape)
    if aval(ct).dtype != av.dtype:
        ct = convert(ct, av.dtype)
    return ct


def convert(x: Any, dtype: np.dtype, weak_type: bool = False) -> Any:
    a = aval(x)
    if a.dtype == dtype and a.weak_type == weak_type:
        return x
    return P.convert_element_type_p.bind(x, new_dtype=dtype, weak_type=weak_type)


# ---------------------------------------------------------------------------
# caches of derived Programs (keyed by the source Program's identity)

def cached(cache: LRUCache, key: Any, build: Callable[[], tuple[Any, bool]]) -> Any:
    """Look `key` up in `cache`, or build (value, cacheable) and store it when cacheable
    (bounded by ``config.cache_size``, least recently used first out)."""
    hit = cache.lookup(key)
    if hit is not None:
        return hit
    value, cacheable = build()
    if cacheable:
        value = cache.put(key, value)
    return value


def no_tracers(consts: Sequence[Any]) -> bool:
    """Derived Programs closing over tracers belong to one trace and cannot be cached."""
    return not any(isinstance(c, core.Tracer) for c in consts)


# ---------------------------------------------------------------------------
# operations rules are written with (bound under the current trace)


def const(like: Any, value: float) -> Literal:
    """`value` as a weak scalar of `like`'s dtype."""
    return weak_scalar(value, aval(like).dtype)


def add(x: Any, y: Any) -> Any:
    return P.add_p.bind(x, y)


def sub(x: Any, y: Any) -> Any:
    return P.sub_p.bind(x, y)


def mul(x: Any, y: Any) -> Any:
    return P.mul_p.bind(x, y)


def div(x: Any, y: Any) -> Any:
    return P.div_p.bind(x, y)


def neg(x: Any) -> Any:
    return P.neg_p.bind(x)


def square(x: Any) -> Any:
    return P.mul_p.bind(x, x)


def select(pred: Any, on_false: Any, on_true: Any) -> Any:
    return P.select_n_p.bind(pred, on_false, on_true)


F = TypeVar("F", bound=Callable[..., Any])


def named(fn: F, name: str) -> F:
    """Give a rule made by a factory its own name (``_sin_jvp``), in tracebacks too."""
    fn.__name__ = fn.__qualname__ = name
    fn.__code__ = fn.__code__.replace(co_name=name, co_qualname=name)
    return fn


# ---------------------------------------------------------------------------
# sub-Programs of higher-order primitives

_programs = LRUCache("derived sub-programs")


def cached_programs(key: Any, build: Callable[[], tuple[Any, list[Any]]]
                    ) -> tuple[Any, list[Any]]:
    """Memoise a (programs, consts) builder unless its consts hold tracers."""
    def build_checked() -> tuple[tuple[Any, list[Any]], bool]:
        value = build()
        return value, no_tracers(value[1])
    return cached(_programs, key, build_checked)


def stage(fun: Callable[..., Sequence[Any]], avals: Sequence[ShapedArray], name: str,
          kind: str) -> tuple[Program, list[Any]]:
    """`fun` staged to a Program whose constants are leading inputs, and those constants."""
    program, consts = trace_to_program(fun, avals, name=name, kind=kind)
    return hoist_consts(program), consts


def permute(program: Program, invars: Sequence[Var] | None = None,
            outvars: Sequence[Any] | None = None) -> Program:
    """The same equations with inputs/outputs listed in another order."""
    return Program((), tuple(program.invars if invars is None else invars), program.eqns,
                   tuple(program.outvars if outvars is None else outvars), program.name)


def join_branches(staged: Sequence[tuple[Program, list[Any]]]
                  ) -> tuple[tuple[Program, ...], list[Any]]:
    """Give branch Programs one input list: every branch's consts, then the operands."""
    consts = [c for _, cs in staged for c in cs]
    out = []
    k = 0
    for prog, cs in staged:
        n = len(cs)
        pad = [Var(core.get_aval(c)) for c in consts]
        pad[k:k + n] = prog.invars[:n]
        out.append(permute(prog, (*pad, *prog.invars[n:])))
        k += n
    return tuple(out), consts


def split_list(xs: Sequence[Any], *sizes: int) -> list[list[Any]]:
    out, i = [], 0
    for n in sizes:
        out.append(list(xs[i:i + n]))
        i += n
    out.append(list(xs[i:]))
    return out


# ---------------------------------------------------------------------------


def carry_fixed_point(step: Callable[[tuple[bool, ...]], Sequence[bool]],
                      start: Sequence[bool]) -> tuple[bool, ...]:
    """The least `c >= start` with ``step(c) <= c`` (a monotone union)."""
    c = tuple(start)
    while True:
        new = tuple(a or b for a, b in zip(c, step(c), strict=True))
        if new == c:
            return c
        c = new


def merge(unknowns: Sequence[bool], known: Sequence[Any], unknown: Sequence[Any]) -> list[Any]:
    """Interleave two lists back into one, taking from `unknown` where marked."""
    k, u = iter(known), iter(unknown)
    return [next(u) if x else next(k) for x in unknowns]


# ---------------------------------------------------------------------------
# gather and scatter read and write the same windows (used by the jvp and
# transpose rules of both)

GATHER_MODE_OF_SCATTER = {"clip": "clip", "drop": "fill", "promise_in_bounds": "promise_in_bounds"}
SCATTER_MODE_OF_GATHER = {"clip": "clip", "fill": "drop", "promise_in_bounds": "promise_in_bounds"}


def scatter_dimension_numbers(dn: P.GatherDimensionNumbers) -> P.ScatterDimensionNumbers:
    return P.ScatterDimensionNumbers(
        update_window_dims=dn.offset_dims, inserted_window_dims=dn.collapsed_slice_dims,
        scatter_dims_to_operand_dims=dn.start_index_map,
        operand_batching_dims=dn.operand_batching_dims,
        scatter_indices_batching_dims=dn.start_indices_batching_dims)


def gather_dimension_numbers(dn: P.ScatterDimensionNumbers) -> P.GatherDimensionNumbers:
    return P.GatherDimensionNumbers(
        offset_dims=dn.update_window_dims, collapsed_slice_dims=dn.inserted_window_dims,
        start_index_map=dn.scatter_dims_to_operand_dims,
        operand_batching_dims=dn.operand_batching_dims,
        start_indices_batching_dims=dn.scatter_indices_batching_dims)


def window_sizes(operand: ShapedArray, updates: ShapedArray,
                  dn: P.ScatterDimensionNumbers) -> tuple[int, ...]:
    """The gather slice sizes that read back exactly the windows a scatter writes."""
    window = [d for d in range(operand.ndim)
              if d not in dn.inserted_window_dims and d not in dn.operand_batching_dims]
    sizes = dict(zip(window, (updates.shape[u] for u in dn.update_window_dims), strict=True))
    return tuple(sizes.get(d, 1) for d in range(operand.ndim))


def gather_back(x: Any, indices: Any, updates_aval: ShapedArray,
                 dn: P.ScatterDimensionNumbers, mode: str, fill_value: Any = 0) -> Any:
    """For each update element, the value of `x` at the position it scatters to
    (`fill_value`, or 0, where `x` is empty: there is no position to read)."""
    xa = aval(x)
    if xa.size == 0:
        return full(0 if fill_value is None else fill_value,
                    ShapedArray(updates_aval.shape, xa.dtype))
    return P.gather_p.bind(x, indices, dimension_numbers=gather_dimension_numbers(dn),
                           slice_sizes=window_sizes(aval(x), updates_aval, dn),
                           mode=GATHER_MODE_OF_SCATTER[mode], fill_value=fill_value)


def update_ids(updates: ShapedArray) -> Any:
    """1, 2, 3, ... over the elements of `updates` (0 means "no update")."""
    dt = dtypes.int32 if updates.size < 2**31 - 1 else dtypes.int64
    flat = P.iota_p.bind(dtype=dt, shape=(updates.size,), dimension=0)
    return P.reshape_p.bind(P.add_p.bind(flat, weak_scalar(1, dt)), new_sizes=updates.shape)


def scatter_winners(operand: Any, indices: Any, updates: Any,
             params: dict[str, Any]) -> tuple[Any, Any]:
    """(operand positions no update wrote, update elements that won their position)."""
    ua = aval(updates)
    ids = update_ids(ua)
    id_dt = aval(ids).dtype
    target = zeros(ShapedArray(aval(operand).shape, id_dt))
    scattered = P.scatter_p.bind(target, indices, ids, **params)
    back = gather_back(scattered, indices, ua, params["dimension_numbers"], params["mode"],
                        fill_value=0)
    untouched = P.eq_p.bind(scattered, zeros(aval(scattered)))
    won = P.eq_p.bind(back, ids)
    return untouched, won


def masked(pred: Any, x: Any) -> Any:
    return P.select_n_p.bind(pred, zeros(aval(x)), x)


def take_along(x: Any, perm: Any, dimension: int) -> Any:
    """``x`` permuted along `dimension` by the integer array `perm` of x's shape."""
    if aval(x).size == 0:       # nothing to permute (and no size-1 window fits)
        return x
    nd = aval(x).ndim
    others = tuple(d for d in range(nd) if d != dimension)
    idx = P.expand_dims_p.bind(perm, dimensions=(nd,))
    dn = P.GatherDimensionNumbers(offset_dims=(), collapsed_slice_dims=(dimension,),
                                  start_index_map=(dimension,), operand_batching_dims=others,
                                  start_indices_batching_dims=others)
    return P.gather_p.bind(x, idx, dimension_numbers=dn, slice_sizes=(1,) * nd,
                           mode="promise_in_bounds", fill_value=None)
