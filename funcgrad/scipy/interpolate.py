"""funcgrad.scipy.interpolate: `RegularGridInterpolator` (linear and nearest).

The interpolator is a pytree (grid, values and fill value are leaves; method
and bounds_error are static), so it can be passed into `jit`, differentiated
with respect to its values or grid, and batched with `vmap`. Cells are found
with `searchsorted`, so queries need not be sorted and the grid need not be
uniform.

Grids given as concrete arrays are checked like SciPy's: each axis must be
strictly monotonic, and a decreasing axis is reversed (with its axis of
`values`). A traced grid (inside a transformation) cannot be checked and must
already be strictly increasing.
"""
from __future__ import annotations

import functools
import itertools
import operator
from collections.abc import Sequence
from typing import Any

import numpy as np

import funcgrad.numpy as fnp
from funcgrad.core import Tracer
from funcgrad.numpy._eager import eager_jit
from funcgrad.tree import register_pytree_node

__all__ = ["RegularGridInterpolator"]

_METHODS = ("linear", "nearest")


def _check_method(method: Any) -> None:
    if method not in _METHODS:
        raise ValueError(f"funcgrad.scipy.interpolate.RegularGridInterpolator: method must be "
                         f"'linear' or 'nearest', got {method!r}")


class RegularGridInterpolator:
    """Interpolation on a rectilinear grid (SciPy's `scipy.interpolate.RegularGridInterpolator`).

    Args:
      points: N 1-d arrays, the grid coordinates along each axis (at least 2 each).
      values: array whose first N axes match the grid; trailing axes are carried.
      method: "linear" or "nearest".
      bounds_error: must be False: out-of-bounds queries get `fill_value` (a check
        would need the query's values, which traced code does not have).
      fill_value: value for queries outside the grid (default nan); None extrapolates.

    Raises:
      ValueError: on an unknown method, grid/values shapes that disagree, a grid
        axis that is not strictly monotonic, or a fill value of another kind.
      NotImplementedError: on ``bounds_error=True``.

    Example:
      >>> interp = RegularGridInterpolator((fnp.array([0.0, 1.0]),), fnp.array([0.0, 10.0]))
      >>> interp(fnp.array([[0.25]]))
      Array([2.5], dtype=float64)
    """

    def __init__(self, points: Sequence[Any], values: Any, method: str = "linear",
                 bounds_error: bool = False, fill_value: Any = np.nan) -> None:
        _check_method(method)
        if bounds_error:
            raise NotImplementedError("funcgrad.scipy.interpolate.RegularGridInterpolator: "
                                      "bounds_error=True is not supported (it needs the query "
                                      "values); out-of-bounds points get fill_value instead")
        vals = fnp.asarray(values)
        if not fnp.issubdtype(vals.dtype, fnp.inexact):
            vals = vals.astype(fnp.float64)
        grid = [fnp.asarray(p) for p in points]
        if len(grid) > vals.ndim:
            raise ValueError(f"funcgrad.scipy.interpolate.RegularGridInterpolator: there are "
                             f"{len(grid)} point arrays, but values has {vals.ndim} dimensions")
        for i, g in enumerate(grid):
            if g.ndim != 1 or g.shape[0] < 2 or g.shape[0] != vals.shape[i]:
                raise ValueError(f"funcgrad.scipy.interpolate.RegularGridInterpolator: points "
                                 f"along dimension {i} must be 1-d with at least 2 entries and "
                                 f"match values' length {vals.shape[i]}, got shape {g.shape}")
            if not fnp.issubdtype(g.dtype, fnp.inexact):
                g = g.astype(fnp.float64)
            if not isinstance(g, Tracer):
                steps = np.diff(np.asarray(g))
                if np.all(steps < 0):
                    g, vals = fnp.flip(g), fnp.flip(vals, axis=i)
                elif not np.all(steps > 0):
                    raise ValueError(f"funcgrad.scipy.interpolate.RegularGridInterpolator: the "
                                     f"points in dimension {i} must be strictly ascending or "
                                     "descending")
            grid[i] = g
        if fill_value is not None:
            fill_value = fnp.asarray(fill_value)
            if not fnp.can_cast(fill_value.dtype, vals.dtype, casting="same_kind"):
                raise ValueError("funcgrad.scipy.interpolate.RegularGridInterpolator: "
                                 f"fill_value of dtype {fill_value.dtype} cannot be cast to "
                                 f"values' dtype {vals.dtype}; pass a compatible value or None")
        self.method = method
        self.bounds_error = bounds_error
        self.grid = tuple(grid)
        self.values = vals
        self.fill_value = fill_value

    def __call__(self, xi: Any, method: str | None = None) -> Any:
        """Interpolate at `xi`: (..., N) points, or a tuple of N broadcastable coordinate arrays.

        Returns an array of shape ``xi.shape[:-1] + values.shape[N:]``.
        """
        method = self.method if method is None else method
        _check_method(method)
        ndim = len(self.grid)
        if isinstance(xi, tuple):
            parts = xi[0] if len(xi) == 1 else fnp.stack(fnp.broadcast_arrays(*xi), axis=-1)
            pts = fnp.asarray(parts)
        else:
            pts = fnp.asarray(xi)
        if pts.ndim == 1:
            pts = pts.reshape(-1, ndim)
        if pts.shape[-1] != ndim:
            raise ValueError(f"funcgrad.scipy.interpolate.RegularGridInterpolator: the "
                             f"requested points have dimension {pts.shape[-1]}, but the grid "
                             f"has dimension {ndim}")
        return _evaluate(self.grid, self.values, self.fill_value, pts, method)


@eager_jit(static_argnames=("method",))
def _evaluate(grid: tuple[Any, ...], values: Any, fill_value: Any, pts: Any, method: str) -> Any:
    """The interpolated values at (..., N) points `pts` (one executable when called eagerly)."""
    ndim = len(grid)
    lead = pts.shape[:-1]
    flat = pts.reshape(-1, ndim)
    indices, dists = [], []
    outside = fnp.zeros(flat.shape[0], dtype=bool)
    for d, g in enumerate(grid):
        x = flat[:, d]
        i = fnp.clip(fnp.searchsorted(g, x) - 1, 0, g.shape[0] - 2)
        indices.append(i)
        dists.append((x - g[i]) / (g[i + 1] - g[i]))
        outside = outside | (x < g[0]) | (x > g[-1])
    trail = (1,) * (values.ndim - ndim)
    if method == "linear":
        terms = []
        for corner in itertools.product((0, 1), repeat=ndim):
            weight = functools.reduce(operator.mul, [t if c else 1 - t for c, t in
                                                     zip(corner, dists, strict=True)])
            term = values[tuple(i + c for i, c in zip(indices, corner, strict=True))]
            term = term * weight.reshape(weight.shape + trail)
            terms.append(term)
        result = functools.reduce(operator.add, terms)
    else:
        nearest = [fnp.where(t <= 0.5, i, i + 1) for i, t in zip(indices, dists, strict=True)]
        result = values[tuple(nearest)]
    if fill_value is not None:
        result = fnp.where(outside.reshape(outside.shape + trail),
                           fill_value.astype(result.dtype), result)
    return result.reshape(lead + values.shape[ndim:])


def _flatten(obj: RegularGridInterpolator) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    return (obj.grid, obj.values, obj.fill_value), (obj.method, obj.bounds_error)


def _unflatten(aux: tuple[Any, ...], children: Any) -> RegularGridInterpolator:
    # Rebuild without re-running __init__'s checks: children may be tracers or
    # placeholder objects that transformations put in a pytree's leaves.
    obj = object.__new__(RegularGridInterpolator)
    obj.grid, obj.values, obj.fill_value = children
    obj.method, obj.bounds_error = aux
    return obj


register_pytree_node(RegularGridInterpolator, _flatten, _unflatten)
