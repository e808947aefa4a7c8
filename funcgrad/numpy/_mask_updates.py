"""``x.at[mask].set/add/...`` for a boolean mask whose values are traced.

A mask read (``x[mask]``) has a shape that depends on the mask's values, so it
cannot be staged; a mask *update* keeps ``x``'s shape, so it can: the update
becomes ``where(selected, op(x, v), x)``, with ``selected`` the mask spread over
``x``'s axes and ``v`` spread the same way. NumPy's assignment rule fixes how
``v`` lines up: ``x[idx]`` has one axis for the True entries (placed where the
mask is, or first when the mask and integer indices are not next to each other)
and one per slice, and ``v`` broadcasts against that. Under a trace the number
of True entries is unknown, so ``v`` must have length 1 (or no axis) there;
NumPy's fill-in-order form, a ``v`` with one value per True entry, needs a
concrete mask and raises here.

The mask may be combined with integers (concrete or traced) and slices,
``x.at[mask, 0]``, ``x.at[0, mask]``, ``x.at[:, mask]``; other advanced indices
alongside a traced mask raise. Concrete masks never come here: they keep the
integer-index scatter, which is NumPy's behaviour exactly.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from funcgrad import dtypes
from funcgrad import primitives as P
from funcgrad.bounds import check_index, checks
from funcgrad.array import Array
from funcgrad.core import Tracer
from funcgrad.errors import ConcretizationError, UnsupportedError
from funcgrad.numpy._advanced import take, wrap_index
from funcgrad.numpy._util import asarray_operand, aval_of, convert

_I64 = dtypes.int64


def _is_traced_mask(i: Any) -> bool:
    return (isinstance(i, Tracer) and aval_of(i).dtype == dtypes.bool_
            and i.concrete_value() is None)


def has_traced_mask(idx: Any) -> bool:
    """Whether `idx` holds a boolean array whose values are known only when the
    program runs."""
    return any(_is_traced_mask(i) for i in (idx if isinstance(idx, tuple) else (idx,)))


def _is_int(i: Any) -> bool:
    if isinstance(i, (bool, np.bool_)):
        return False
    if isinstance(i, (int, np.integer)):
        return True
    if isinstance(i, (np.ndarray, Tracer)) or type(i) is Array:
        a = aval_of(i)
        return a.ndim == 0 and dtypes.is_integer(a.dtype)
    return False


def _entries(idx: Any, ndim: int, what: str) -> list[Any]:
    """The index with Ellipsis expanded and trailing axes filled with full slices."""
    items = list(idx) if isinstance(idx, tuple) else [idx]
    masks = [i for i in items if _is_traced_mask(i)]
    if len(masks) > 1:
        raise UnsupportedError(f"{what}: only one traced boolean mask per index is supported "
                               "(their True counts would have to match); combine them with "
                               "& into one mask")
    for i in items:
        if not (i is Ellipsis or isinstance(i, slice) or _is_traced_mask(i) or _is_int(i)):
            bad = "None (newaxis)" if i is None else type(i).__name__
            raise UnsupportedError(
                f"{what}: a traced boolean mask can be combined only with integers, slices "
                f"and ... in one index, got {bad}; update with fnp.where(mask, new, x) instead")
    if sum(i is Ellipsis for i in items) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    used = sum(aval_of(i).ndim if _is_traced_mask(i) else 1 for i in items if i is not Ellipsis)
    if used > ndim:
        raise IndexError(f"too many indices for array: array is {ndim}-dimensional, but "
                         f"{used} were indexed")
    fill: list[Any] = [slice(None)] * (ndim - used)
    ell = [j for j, i in enumerate(items) if i is Ellipsis]
    if ell:
        return items[:ell[0]] + fill + items[ell[0] + 1:]
    return items + fill


def _int_position(i: Any, n: int, dim: int, mode: Any, what: str) -> Any:
    """The position an integer index selects along an axis of length `n`: an int,
    a traced int64 scalar, or None where an out-of-bounds index drops the update."""
    if isinstance(i, Tracer) and i.concrete_value() is None:
        if checks(mode):
            check_index(i, n, what=what, axis=dim)
        w = wrap_index(i, n)
        if mode == "clip":
            w = P.max_p.bind(P.min_p.bind(w, convert(n - 1, _I64)), convert(0, _I64))
        return w
    v = int(np.asarray(i.concrete_value() if isinstance(i, Tracer) else i))
    if -n <= v < n:
        return v % n
    if mode in (None, "raise"):
        raise IndexError(f"index {v} is out of bounds for axis {dim} with size {n}")
    if mode == "clip" and n:
        return 0 if v < 0 else n - 1
    return None


def masked_update(x: Any, idx: Any, values: Any, op: str, combine: Callable[[Any, Any], Any],
                  mode: Any) -> Any:
    """``x`` where ``x[idx]`` (with a traced mask in `idx`) becomes ``combine(x[idx], values)``,
    as one select over ``x``'s shape."""
    what = f".at[].{op}"
    x = asarray_operand(x)
    av = aval_of(x)
    entries = _entries(idx, av.ndim, what)
    # which axes of x each entry covers, and the shape of x[idx] (count axis: "n")
    dim = 0
    adv_at: list[int] = []                  # entry positions of the mask and integers
    sel: list[Any] = []                     # "n" | (x axis, start, step, count)
    selected = None                         # traced bool over x's shape
    static = np.ones((1,) * av.ndim, bool)  # the integer and slice parts, on the host
    for k, e in enumerate(entries):
        if _is_traced_mask(e):
            m = aval_of(e)
            got = av.shape[dim:dim + m.ndim]
            for j, (a, b) in enumerate(zip(got, m.shape, strict=True)):
                if a != b:
                    raise IndexError(f"boolean index did not match indexed array along axis "
                                     f"{dim + j}; size of axis is {a} but size of "
                                     f"corresponding boolean axis is {b}")
            spread = e if m.ndim == av.ndim else P.broadcast_in_dim_p.bind(
                e, shape=av.shape, broadcast_dimensions=tuple(range(dim, dim + m.ndim)))
            selected = spread if selected is None else P.and_p.bind(selected, spread)
            adv_at.append(k)
            dim += m.ndim
        elif isinstance(e, slice):
            n = av.shape[dim]
            start, stop, step = e.indices(n)
            count = len(range(start, stop, step))
            sel.append((dim, start, step, count))
            if count != n or step != 1:
                hit = np.zeros(n, bool)
                hit[np.arange(start, stop, step)] = True     # stop may be -1
                static = static & hit.reshape([n if d == dim else 1 for d in range(av.ndim)])
            dim += 1
        else:
            n = av.shape[dim]
            pos = _int_position(e, n, dim, mode, what)
            if pos is None:
                return x                     # an out-of-bounds integer drops the update
            if isinstance(pos, int):
                hit = np.arange(n) == pos
                static = static & hit.reshape([n if d == dim else 1 for d in range(av.ndim)])
            else:
                iota = P.iota_p.bind(dtype=_I64, shape=(n,), dimension=0)
                eq = P.broadcast_in_dim_p.bind(P.eq_p.bind(iota, pos), shape=av.shape,
                                               broadcast_dimensions=(dim,))
                selected = P.and_p.bind(selected, eq) if selected is not None else eq
            adv_at.append(k)
            dim += 1
    adjacent = adv_at == list(range(adv_at[0], adv_at[-1] + 1))
    slices_before = sum(isinstance(e, slice) for e in entries[:adv_at[0]]) if adjacent else 0
    sel.insert(slices_before, "n")
    assert selected is not None
    if not static.all():
        selected = P.and_p.bind(selected, P.broadcast_in_dim_p.bind(
            asarray_operand(static), shape=av.shape, broadcast_dimensions=tuple(range(av.ndim))))
    v = convert(asarray_operand(values), av.dtype, av.weak_type)
    spread_v = _spread_values(v, sel, av.shape, what)
    new = convert(combine(x, spread_v), av.dtype, av.weak_type)
    return P.select_n_p.bind(selected, x, new)


def _shape_text(sel: list[Any]) -> str:
    dims = ["N" if s == "n" else str(s[3]) for s in sel]
    return "(" + ", ".join(dims) + ("," if len(dims) == 1 else "") + ")"


def _spread_values(v: Any, sel: list[Any], shape: tuple[int, ...], what: str) -> Any:
    """`v`, lined up with ``x[idx]`` as NumPy's assignment does, spread over `shape`."""
    vshape = aval_of(v).shape
    if len(vshape) > len(sel):
        raise ValueError(f"{what}: values of shape {vshape} have more axes than the indexed "
                         f"positions {_shape_text(sel)} (N: the number of True values in the "
                         "mask)")
    full = (1,) * (len(sel) - len(vshape)) + vshape
    c = sel.index("n")
    if full[c] != 1:
        raise ConcretizationError(
            f"{what}: values of shape {vshape} give one value per True entry of the mask "
            f"(axis {c - len(sel) + len(vshape)} of the values lines up with the indexed "
            f"positions {_shape_text(sel)}, N: the number of True values), but the mask is "
            "traced, so that number is not known at trace time. Pass values that broadcast "
            "(length 1 or no axis there), or write fnp.where(mask, new_values, x).")
    for d, s in zip(full, sel, strict=True):
        if s != "n" and d not in (1, s[3]):
            raise ValueError(f"{what}: shape mismatch: values of shape {vshape} could not be "
                             f"broadcast to the indexed positions {_shape_text(sel)} (N: the "
                             "number of True values in the mask)")
    slices = [s for s in sel if s != "n"]
    v = P.reshape_p.bind(v, new_sizes=tuple(d for j, d in enumerate(full) if j != c))
    for j, (axis, start, step, count) in enumerate(slices):
        n = shape[axis]
        if aval_of(v).shape[j] != 1 and (start, step, count) != (0, 1, n):
            # value k of the slice goes to position start + k*step of the axis
            at = np.clip((np.arange(n) - start) // step, 0, count - 1)
            v = take(v, at, axis=j)
    return P.broadcast_in_dim_p.bind(v, shape=shape,
                                     broadcast_dimensions=tuple(s[0] for s in slices))
