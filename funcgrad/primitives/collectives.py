"""Collectives: operations across the lanes of named axes (psum, pmax, pmin,
all_gather, psum_scatter, all_to_all, ppermute, axis_index).

A named axis is bound by ``vmap(f, axis_name=...)`` or by shard_map's mesh
(see the axis environment in funcgrad.core); each lane (a vmap batch element,
a device) has its own value, and a collective computes across the lanes of
the axes it names. Every collective's `axis_name` param is a tuple of names
(one or more, distinct); over several names the lanes are numbered row-major,
the first name varying slowest (as `axis_index` numbers them).

Params, per primitive (all hashable):

- `psum`, `pmax`, `pmin`: ``axis_name``. Each lane gets the sum/max/min over
  the lanes.
- `all_gather`: ``axis_name, axis, tiled, axis_size``. Each lane gets every
  lane's operand, stacked along a new axis at `axis` (or, `tiled`,
  concatenated along the existing axis `axis`).
- `psum_scatter`: ``axis_name, scatter_dimension, tiled, axis_size``. The sum
  over the lanes, split along `scatter_dimension` into one block per lane;
  lane r gets block r (`tiled`: blocks of size n / axis_size; else that axis
  must have size axis_size and is removed).
- `all_to_all`: ``axis_name, split_axis, concat_axis, tiled, axis_size``.
  Each lane splits its operand along `split_axis` into one block per lane and
  sends block j to lane j; each lane concatenates what it receives, in lane
  order, along `concat_axis`. Not `tiled`: `split_axis` has size axis_size and
  is removed, and the received blocks are stacked along a new axis at
  `concat_axis` of the result.
- `ppermute`: ``axis_name, perm``, a tuple of (source, destination) lane
  pairs with distinct sources and distinct destinations; a lane that is no
  pair's destination gets zeros.
- `axis_index`: ``axis_name``; no operands. The lane's index along the axes,
  an int32 scalar (int32 like JAX, whatever funcgrad's default integer).

`axis_size` (the product of the named axes' sizes) is a param of the
collectives whose result shape depends on it, so their shape rules need no
axis environment. Binding a collective first checks its names against the
axis environment (`CollectivePrimitive.bind`): an unbound name, a stale
`axis_size` or a bad param raises there, before anything is traced further.
"""
from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import numpy as np

from funcgrad import core, dtypes
from funcgrad.core import Primitive, ShapedArray, shape_error
from funcgrad.primitives._shapes import check_kind


class CollectivePrimitive(Primitive):
    """A primitive over named axes: ``params["axis_name"]`` is a tuple of names.

    Its `bind` checks, before asking the current trace, that every name is
    bound in the axis environment (`core.axis_size`), that a size param
    matches the sizes in scope, and the operands against the shape rule; so a
    mistake raises where the user wrote it, under any transformation."""

    __slots__ = ()

    def bind(self, *args: Any, **params: Any) -> Any:
        names = params["axis_name"]
        check_axis_names(self.name, names)
        size = core.axis_size(names, self.name)
        declared = params.get("axis_size")
        if declared is not None and declared != size:
            raise ValueError(
                f"{self.name}: the axes {names!r} have size {size} in scope, but this "
                f"{self.name} was traced where they had size {declared}; trace the function "
                "again where it is used")
        perm = params.get("perm")
        if perm is not None:
            check_perm(perm)
            _check_perm_range(perm, size, names)
        self.abstract_eval(*(core.get_aval(a) for a in args), **params)
        return super().bind(*args, **params)


def check_axis_names(prim: str, names: Any) -> None:
    if type(names) is not tuple or not names:
        raise TypeError(f"{prim}: axis_name must be a non-empty tuple of axis names, "
                        f"got {names!r:.60}")
    for n in names:
        if n is None:
            raise TypeError(f"{prim}: an axis name cannot be None")
        try:
            hash(n)
        except TypeError:
            raise TypeError(f"{prim}: axis names must be hashable, got {n!r:.60}") from None
    if len(set(names)) != len(names):
        raise ValueError(f"{prim}: repeated axis name in {names!r}")


def _check_perm_range(perm: tuple[tuple[int, int], ...], size: int,
                      names: tuple[Hashable, ...]) -> None:
    for src, dst in perm:
        if not (0 <= src < size and 0 <= dst < size):
            raise ValueError(f"ppermute: the pair ({src}, {dst}) of perm names a lane outside "
                             f"the {size} lanes of the axes {names!r}")


def _check_size(name: str, axis_size: int) -> None:
    if isinstance(axis_size, bool) or not isinstance(axis_size, int) or axis_size < 0:
        raise TypeError(f"{name}: axis_size must be a non-negative int, got {axis_size!r}")


def _check_position(name: str, what: str, value: Any, bound: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < bound:
        raise shape_error(name, f"{what} {value!r} is out of range: expected an int in "
                                f"[0, {bound})")


# ---------------------------------------------------------------------------
# all-reduce


def _reducer(name: str, kind: str) -> CollectivePrimitive:
    prim = CollectivePrimitive(name)

    def rule(x: ShapedArray, *, axis_name: tuple[Hashable, ...]) -> ShapedArray:
        check_kind(name, x.dtype, kind)
        return x

    prim.def_abstract_eval(rule)
    return prim


psum_p = _reducer("psum", "num")
pmax_p = _reducer("pmax", "any")
pmin_p = _reducer("pmin", "any")


# ---------------------------------------------------------------------------
# gather, scatter, exchange


all_gather_p = CollectivePrimitive("all_gather")


@all_gather_p.def_abstract_eval
def _all_gather_rule(x: ShapedArray, *, axis_name: tuple[Hashable, ...], axis: int,
                     tiled: bool, axis_size: int) -> ShapedArray:
    _check_size("all_gather", axis_size)
    if tiled:
        _check_position("all_gather", "axis", axis, x.ndim)
        shape = (*x.shape[:axis], x.shape[axis] * axis_size, *x.shape[axis + 1:])
    else:
        _check_position("all_gather", "axis", axis, x.ndim + 1)
        shape = (*x.shape[:axis], axis_size, *x.shape[axis:])
    return x.update(shape=shape)


psum_scatter_p = CollectivePrimitive("psum_scatter")


@psum_scatter_p.def_abstract_eval
def _psum_scatter_rule(x: ShapedArray, *, axis_name: tuple[Hashable, ...],
                       scatter_dimension: int, tiled: bool, axis_size: int) -> ShapedArray:
    _check_size("psum_scatter", axis_size)
    check_kind("psum_scatter", x.dtype, "num")
    sd = scatter_dimension
    _check_position("psum_scatter", "scatter_dimension", sd, x.ndim)
    block = _block_size("psum_scatter", "scatter_dimension", sd, x, axis_size, axis_name, tiled)
    if tiled:
        return x.update(shape=(*x.shape[:sd], block, *x.shape[sd + 1:]))
    return x.update(shape=(*x.shape[:sd], *x.shape[sd + 1:]))


def _block_size(prim: str, what: str, d: int, x: ShapedArray, axis_size: int,
                axis_name: tuple[Hashable, ...], tiled: bool) -> int:
    """The size of one lane's block when dimension `d` of `x` is split over the lanes
    (`tiled`: into equal blocks; else it must have one entry per lane)."""
    n = x.shape[d]
    if tiled and (axis_size == 0 or n % axis_size):
        raise shape_error(prim, f"{what} {d} of the operand {x.shape} has size {n}, which "
                          f"does not split into {axis_size} equal blocks (the size of the "
                          f"axes {axis_name!r})")
    if not tiled and n != axis_size:
        raise shape_error(prim, f"{what} {d} of the operand {x.shape} has size {n}, but it "
                          f"must equal {axis_size}, the size of the axes {axis_name!r} (or "
                          "pass tiled=True)")
    return n // axis_size if axis_size else 0


all_to_all_p = CollectivePrimitive("all_to_all")


@all_to_all_p.def_abstract_eval
def _all_to_all_rule(x: ShapedArray, *, axis_name: tuple[Hashable, ...], split_axis: int,
                     concat_axis: int, tiled: bool, axis_size: int) -> ShapedArray:
    _check_size("all_to_all", axis_size)
    _check_position("all_to_all", "split_axis", split_axis, x.ndim)
    _check_position("all_to_all", "concat_axis", concat_axis, x.ndim)
    block = _block_size("all_to_all", "split_axis", split_axis, x, axis_size, axis_name, tiled)
    if tiled:
        shape = list(x.shape)
        shape[split_axis] = block
        shape[concat_axis] *= axis_size
        return x.update(shape=tuple(shape))
    rest = [d for i, d in enumerate(x.shape) if i != split_axis]
    rest.insert(concat_axis, axis_size)
    return x.update(shape=tuple(rest))


ppermute_p = CollectivePrimitive("ppermute")


def check_perm(perm: Any) -> None:
    """`perm` is a tuple of (source, destination) int pairs, each lane at most once
    as a source and at most once as a destination (lane ranges are checked at bind)."""
    if type(perm) is not tuple or not all(
            type(p) is tuple and len(p) == 2 and all(type(i) is int for i in p) for p in perm):
        raise TypeError(f"ppermute: perm must be a tuple of (source, destination) int pairs, "
                        f"got {perm!r:.80}")
    srcs = [s for s, _ in perm]
    dsts = [d for _, d in perm]
    for what, lanes in (("source", srcs), ("destination", dsts)):
        dup = sorted({i for i in lanes if lanes.count(i) > 1})
        if dup:
            raise ValueError(f"ppermute: perm {perm} is not a permutation: lane(s) {dup} "
                             f"appear more than once as a {what}")


@ppermute_p.def_abstract_eval
def _ppermute_rule(x: ShapedArray, *, axis_name: tuple[Hashable, ...],
                   perm: tuple[tuple[int, int], ...]) -> ShapedArray:
    check_perm(perm)
    return x


# ---------------------------------------------------------------------------
# the lane's own index

axis_index_p = CollectivePrimitive("axis_index")

AXIS_INDEX_DTYPE: np.dtype = dtypes.int32


@axis_index_p.def_abstract_eval
def _axis_index_rule(*args: ShapedArray, axis_name: tuple[Hashable, ...]) -> ShapedArray:
    if args:
        raise TypeError(f"axis_index takes no operands, got {len(args)}")
    return ShapedArray((), AXIS_INDEX_DTYPE, False)


COLLECTIVES = (psum_p, pmax_p, pmin_p, all_gather_p, psum_scatter_p, all_to_all_p, ppermute_p,
               axis_index_p)
