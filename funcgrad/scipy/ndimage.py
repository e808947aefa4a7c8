"""funcgrad.scipy.ndimage: `map_coordinates` with nearest (order 0) or linear (order 1) weights.

Each output value is a weighted sum of the input at the 2**ndim (order 1) or
one (order 0) neighbouring grid points; neighbours outside the input are
mapped back in by `mode`, or replaced by `cval` for "constant". Gathered
indices are always clamped into range, so no gather ever reads out of bounds.
The result is differentiable in the input and, for order 1, in the
coordinates; it batches and jits like any array code.

NB: like JAX's, the boundary modes follow SciPy's documentation rather than
its legacy implementation: "constant" and "wrap" behave as SciPy's
"grid-constant" and "grid-wrap" (both names are accepted here, as is
"grid-mirror", SciPy's alias of "reflect").
"""
from __future__ import annotations

import functools
import itertools
import operator
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import funcgrad.numpy as fnp
from funcgrad.numpy._eager import eager_jit

__all__ = ["map_coordinates"]


def _mirror(index: Any, size: int) -> Any:
    # A triangle wave of half-period size - 1 folds every index into [0, size - 1].
    if size == 1:
        return fnp.zeros_like(index)
    s = size - 1
    return fnp.abs(fnp.mod(index + s, 2 * s) - s)


def _reflect(index: Any, size: int) -> Any:
    return fnp.floor_divide(_mirror(2 * index + 1, 2 * size + 1) - 1, 2)


_FIXERS: dict[str, Callable[[Any, int], Any]] = {
    "constant": lambda index, size: index,
    "nearest": lambda index, size: fnp.clip(index, 0, size - 1),
    "wrap": lambda index, size: fnp.mod(index, size),
    "mirror": _mirror,
    "reflect": _reflect,
}
_ALIASES = {"grid-constant": "constant", "grid-wrap": "wrap", "grid-mirror": "reflect"}


def _round_half_away(x: Any) -> Any:
    return fnp.where(x >= 0, fnp.floor(x + 0.5), fnp.ceil(x - 0.5))


def _nearest(coord: Any) -> list[tuple[Any, Any]]:
    # Halves round away from zero, as in JAX.
    return [(_round_half_away(coord).astype(fnp.int64), None)]


def _linear(coord: Any) -> list[tuple[Any, Any]]:
    lower = fnp.floor(coord)
    upper_weight = coord - lower
    index = lower.astype(fnp.int64)
    return [(index, 1 - upper_weight), (index + 1, upper_weight)]


@eager_jit(static_argnames=("order", "mode"))
def map_coordinates(input: Any, coordinates: Sequence[Any], order: int,  # noqa: A002
                    mode: str = "constant", cval: Any = 0.0) -> Any:
    """Interpolate `input` at `coordinates` (JAX's `jax.scipy.ndimage.map_coordinates`).

    Args:
      input: N-d array of values on the grid 0..shape-1 along each axis.
      coordinates: N arrays (broadcast together) of fractional indices, one per axis.
      order: 0 (nearest, halves rounded away from zero) or 1 (multilinear).
      mode: where a neighbour falls outside: "constant" (use `cval`), "nearest"
        (clamp), "wrap" (periodic), "mirror" (reflect about the edge samples) or
        "reflect" (reflect about the edges, repeating the edge samples).
      cval: the value outside the input for "constant".

    Returns:
      The interpolated values, of the coordinates' broadcast shape and `input`'s
      dtype (integer inputs are rounded).

    Raises:
      ValueError: when len(coordinates) != input.ndim.
      NotImplementedError: for order above 1 or an unknown mode.

    Example:
      >>> map_coordinates(fnp.arange(4.0), [fnp.array([0.5, 2.25])], order=1)
      Array([0.5 , 2.25], dtype=float64)
    """
    arr = fnp.asarray(input)
    coords = list(coordinates)
    if len(coords) != arr.ndim:
        raise ValueError(f"funcgrad.scipy.ndimage.map_coordinates: coordinates must be a "
                         f"sequence of length input.ndim ({arr.ndim}), got {len(coords)}")
    mode = _ALIASES.get(mode, mode)
    fixer = _FIXERS.get(mode)
    if fixer is None:
        raise NotImplementedError(f"funcgrad.scipy.ndimage.map_coordinates: mode {mode!r} is "
                                  f"not supported; use one of {sorted(_FIXERS)}")
    if order not in (0, 1):
        raise NotImplementedError(f"funcgrad.scipy.ndimage.map_coordinates: order must be 0 "
                                  f"or 1, got {order!r}")
    if arr.ndim == 0:
        return arr
    inexact = fnp.issubdtype(arr.dtype, fnp.inexact)
    work_dt = arr.dtype if inexact else fnp.float64
    cdt = fnp.result_type(*[fnp.asarray(c) for c in coords], fnp.float64 if not inexact
                          else fnp.finfo(work_dt).dtype)
    if not fnp.issubdtype(cdt, fnp.floating):
        cdt = np.dtype(np.float64)
    coords = fnp.broadcast_arrays(*[fnp.asarray(c).astype(cdt) for c in coords])
    nodes_fn = _nearest if order == 0 else _linear
    per_axis = []
    for coord, size in zip(coords, arr.shape, strict=True):
        per_axis.append([(fnp.clip(fixer(index, size), 0, size - 1),
                          (index >= 0) & (index < size), weight)
                         for index, weight in nodes_fn(coord)])
    fill = fnp.asarray(cval).astype(work_dt)
    values = arr.astype(work_dt)
    terms = []
    for corner in itertools.product(*per_axis):
        picked = values[tuple(c[0] for c in corner)]
        if mode == "constant":
            inside = functools.reduce(operator.and_, [c[1] for c in corner])
            picked = fnp.where(inside, picked, fill)
        weights = [c[2] for c in corner if c[2] is not None]
        if weights:
            picked = picked * functools.reduce(operator.mul, weights)
        terms.append(picked)
    total = functools.reduce(operator.add, terms)
    if not inexact:
        total = _round_half_away(total)
    return total.astype(arr.dtype)
