"""Advanced indexing and what is built on it: gather/scatter plans for NumPy indices,
``take``, ``take_along_axis`` and ``ix_`` (the sort family, built on these, is in
``_sorting``).

An index that holds an integer array, a list or a boolean mask is *advanced*.
`index_plan` turns any NumPy index into one `gather_p` (for ``x[idx]``) or one
scatter (for ``x.at[idx].op(v)``): full slices become window (offset)
dimensions, every other indexed axis becomes one component of the index
vector. NumPy's placement rule holds: the broadcast advanced dimensions replace
the advanced indices where those are adjacent, and go first otherwise (a
``None`` between them separates them, as in NumPy).

Boolean masks need concrete values (their result's size depends on them):
outside jit they become integer indices with ``np.nonzero``; inside jit reads
raise, pointing to ``fnp.where`` or the ``size=`` argument of ``nonzero``
(updates with a traced mask are selects: funcgrad.numpy._mask_updates).

A 0-d boolean (``True``, ``np.bool_``, a 0-d boolean array) is NumPy's odd
case: it indexes a new length-1 axis with ``[0]`` (True) or ``[]`` (False), so
the operand gets that axis first and the boolean becomes an integer array.
Inner tuples are integer arrays, like lists.

Out-of-bounds indices follow the table in ``funcgrad.numpy._updates``
(``IndexedUpdate``): concrete ones raise IndexError by default, like NumPy;
traced ones are checked only on request (``mode="raise"``, ``config.check_bounds``:
funcgrad.bounds), otherwise reads clamp and updates are dropped, like JAX.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from funcgrad import dtypes
from funcgrad import primitives as P
from funcgrad.array import Array, from_numpy
from funcgrad.bounds import check_index, checks
from funcgrad.core import Tracer
from funcgrad.errors import ConcretizationError
from funcgrad.numpy._shape import broadcast_to
from funcgrad.numpy._util import asarray_operand, aval_of, convert, normalize_axis, reject

_INDEX_DTYPE = dtypes.int64


# ---------------------------------------------------------------------------
# classifying index entries


def _is_traced(x: Any) -> bool:
    return isinstance(x, Tracer)


def _concrete_or_none(x: Any) -> np.ndarray | None:
    """The host value of an index entry, or None where it is traced."""
    if isinstance(x, Tracer):
        v = x.concrete_value()
        return None if v is None else np.asarray(v)
    if type(x) is Array:
        return np.asarray(x)
    return np.asarray(x)


def _entry_is_advanced(i: Any) -> bool:
    if i is None or i is Ellipsis or isinstance(i, slice):
        return False
    if isinstance(i, (bool, np.bool_)):
        return True
    if isinstance(i, (int, np.integer)):
        return False
    if isinstance(i, (list, tuple, np.ndarray)):
        return True
    if type(i) is Array or isinstance(i, Tracer):
        a = aval_of(i)
        return a.ndim > 0 or a.dtype == dtypes.bool_
    return False


def is_advanced_index(idx: Any) -> bool:
    """Whether `idx` holds an integer array, a list or a boolean mask."""
    items = idx if isinstance(idx, tuple) else (idx,)
    return any(_entry_is_advanced(i) for i in items)


def mask_error(what: str) -> ConcretizationError:
    return ConcretizationError(
        f"{what}: a boolean mask needs a concrete value, but got a traced array; the size of "
        "the result depends on the mask's values, so it cannot be staged. Use "
        "fnp.where(mask, x, other) to keep the shape, or fnp.nonzero(mask, size=n) / "
        "x[fnp.nonzero(mask, size=n, fill_value=...)] for a fixed-size result.")


def _as_index_array(i: Any, what: str) -> list[Any]:
    """An array-like index entry as integer index arrays (a mask gives one per axis)."""
    if isinstance(i, (list, tuple)):
        try:
            i = np.asarray(i)
        except ValueError as e:   # ragged nesting
            raise IndexError(f"{what}: a list or tuple used as an index must be a rectangular "
                             f"nest of integers or booleans ({e})") from None
        if i.dtype == np.float64 and i.size == 0:
            i = i.astype(_INDEX_DTYPE)
    if isinstance(i, np.ndarray):
        if i.dtype == np.bool_:
            return [n.astype(_INDEX_DTYPE) for n in np.nonzero(i)]
        if not np.issubdtype(i.dtype, np.integer):
            raise IndexError(f"arrays used as indices must be of integer (or boolean) type, "
                             f"got {i.dtype}")
        return [i]
    a = aval_of(i)
    if a.dtype == dtypes.bool_:
        v = _concrete_or_none(i)
        if v is None:
            raise mask_error(what)
        return [n.astype(_INDEX_DTYPE) for n in np.nonzero(v)]
    if not dtypes.is_integer(a.dtype):
        raise IndexError(f"arrays used as indices must be of integer (or boolean) type, "
                         f"got {a.dtype}")
    return [i]


# ---------------------------------------------------------------------------
# the plan: which output dimension comes from where


@dataclass(frozen=True)
class _Slice:
    dim: int          # operand dimension
    start: int
    step: int
    count: int

    def full(self, n: int) -> bool:
        return self.start == 0 and self.step == 1 and self.count == n


@dataclass(frozen=True)
class IndexPlan:
    """How ``x[idx]`` is one gather. `components` are (operand dim, index values) pairs whose
    values already have the gather's batch shape; `none_dims` are output positions of
    ``None``s, inserted after the gather."""

    operand_shape: tuple[int, ...]
    gather_shape: tuple[int, ...]           # output shape before None dims are inserted
    offset_dims: tuple[int, ...]
    window_dims: tuple[int, ...]            # operand dims kept whole
    index_dims: tuple[int, ...]             # operand dim of each index component
    indices: Any                            # (batch..., k) int64 array or tracer
    none_dims: tuple[int, ...]
    concrete: bool                          # all index values known (bounds were checked)
    lifted_dims: tuple[int, ...] = ()       # length-1 axes 0-d booleans index (see _expand)

    @property
    def out_shape(self) -> tuple[int, ...]:
        shape = list(self.gather_shape)
        for d in self.none_dims:
            shape.insert(d, 1)
        return tuple(shape)

    @property
    def slice_sizes(self) -> tuple[int, ...]:
        return tuple(n if d in self.window_dims else 1 for d, n in enumerate(self.operand_shape))

    def gather_dimension_numbers(self) -> P.GatherDimensionNumbers:
        return P.GatherDimensionNumbers(offset_dims=self.offset_dims,
                                        collapsed_slice_dims=tuple(sorted(self.index_dims)),
                                        start_index_map=self.index_dims)

    def scatter_dimension_numbers(self) -> P.ScatterDimensionNumbers:
        return P.ScatterDimensionNumbers(update_window_dims=self.offset_dims,
                                         inserted_window_dims=tuple(sorted(self.index_dims)),
                                         scatter_dims_to_operand_dims=self.index_dims)


def _bool_scalar(i: Any, what: str) -> bool | None:
    """The value of a 0-d boolean index entry, or None where `i` is not one."""
    if isinstance(i, (bool, np.bool_)):
        return bool(i)
    if isinstance(i, np.ndarray):
        return bool(i) if i.ndim == 0 and i.dtype == np.bool_ else None
    if type(i) is Array or isinstance(i, Tracer):
        a = aval_of(i)
        if a.ndim or a.dtype != dtypes.bool_:
            return None
        v = _concrete_or_none(i)
        if v is None:
            raise mask_error(what)
        return bool(v)
    return None


def _expand(idx: Any, ndim: int, what: str) -> tuple[list[Any], tuple[int, ...]]:
    """Entries with Ellipsis expanded and masks/lists turned into integer index arrays;
    each entry is None, a slice or ("adv", array-like). Also the positions of the
    length-1 axes 0-d booleans index, which the operand must get first."""
    items = idx if isinstance(idx, tuple) else (idx,)
    out: list[Any] = []
    for i in items:
        b = None if i is None or i is Ellipsis or isinstance(i, slice) else _bool_scalar(i, what)
        if b is not None:
            out.append(("bool", np.zeros(int(b), _INDEX_DTYPE)))
        elif i is None or i is Ellipsis or isinstance(i, slice):
            out.append(i)
        elif isinstance(i, (int, np.integer)):
            if not -2**63 <= int(i) < 2**63:
                raise IndexError(f"{what}: index {int(i)} is out of bounds")
            out.append(("adv", np.asarray(i)))
        elif (isinstance(i, (list, tuple, np.ndarray)) or type(i) is Array
              or isinstance(i, Tracer)):
            if isinstance(i, np.ndarray) and i.ndim == 0:
                out.append(("adv", i))
                continue
            for arr in _as_index_array(i, what):
                out.append(("adv", arr))
        else:
            raise IndexError(f"{what}: only integers, slices (:), ellipsis (...), None, and "
                             f"integer or boolean arrays are valid indices, got "
                             f"{type(i).__name__}")
    if sum(i is Ellipsis for i in out) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    used = sum(1 for i in out if isinstance(i, slice) or (isinstance(i, tuple)
                                                          and i[0] == "adv"))
    if used > ndim:
        raise IndexError(f"too many indices for array: array is {ndim}-dimensional, but "
                         f"{used} were indexed")
    ell = [j for j, i in enumerate(out) if i is Ellipsis]
    if ell:
        out[ell[0]:ell[0] + 1] = [slice(None)] * (ndim - used)
    else:
        out.extend([slice(None)] * (ndim - used))
    lifted = []
    pos = 0
    for j, e in enumerate(out):
        if e is None:
            continue
        if isinstance(e, tuple) and e[0] == "bool":
            lifted.append(pos)
            out[j] = ("adv", e[1])
        pos += 1
    return out, tuple(lifted)


def _normalize(arr: Any, n: int, dim: int, mode: str | None, what: str) -> tuple[Any, bool]:
    """Wrap negative indices once (-n..-1 -> 0..n-1; below -n stays out of bounds);
    concrete ones are bounds-checked for the default mode and "raise", traced ones
    where `checks(mode)`. Unsigned indices are first capped at n, so a huge one stays
    out of bounds instead of wrapping to a negative int64."""
    v = None if _is_traced(arr) else _concrete_or_none(arr)
    if v is not None:
        if v.dtype.kind == "u":
            v = np.minimum(v, n)
        elif v.dtype.kind == "b":
            raise IndexError(f"arrays used as indices must be of integer (or boolean) type, "
                             f"got {v.dtype}")
        v = v.astype(_INDEX_DTYPE)
        if mode in (None, "raise") and v.size and (v.min() < -n or v.max() >= n):
            bad = v[(v < -n) | (v >= n)].flat[0]
            raise IndexError(f"index {bad} is out of bounds for axis {dim} with size {n}")
        return np.where(v < 0, v + n, v), True
    if checks(mode):
        check_index(arr, n, what=what, axis=dim)
    return wrap_index(arr, n), False


def wrap_index(i: Any, n: int) -> Any:
    """A traced integer index as int64 with NumPy's negative wrap-around applied once."""
    i = asarray_operand(i)
    dt = aval_of(i).dtype
    if dt.kind == "u":      # no negatives; cap so int64 conversion cannot wrap
        i = P.min_p.bind(i, convert(min(n, int(np.iinfo(dt).max)), dt))
        return convert(i, _INDEX_DTYPE)
    x = convert(i, _INDEX_DTYPE)
    zero = convert(0, _INDEX_DTYPE)
    wrapped = P.add_p.bind(x, convert(n, _INDEX_DTYPE))
    return P.select_n_p.bind(P.lt_p.bind(x, zero), x, wrapped)


def index_plan(shape: tuple[int, ...], idx: Any, what: str, mode: str | None) -> IndexPlan:
    """The gather/scatter for `idx` on an operand of `shape` with `lifted_dims` inserted;
    out-of-bounds indices raise where `mode` asks for a check (see `_normalize`)."""
    entries, lifted = _expand(idx, len(shape), what)
    if lifted:
        dims = list(shape)
        for d in lifted:
            dims.insert(d, 1)
        shape = tuple(dims)
    adv_pos = [k for k, e in enumerate(entries) if isinstance(e, tuple)]
    adjacent = adv_pos == list(range(adv_pos[0], adv_pos[-1] + 1)) if adv_pos else True
    # normalise advanced arrays and find their broadcast shape
    dim = 0
    adv: list[tuple[int, Any]] = []
    slices: list[_Slice] = []
    layout: list[Any] = []            # per entry: None | _Slice | ("adv", i)
    for e in entries:
        if e is None:
            layout.append(None)
            continue
        n = shape[dim]
        if isinstance(e, slice):
            start, stop, step = e.indices(n)
            s = _Slice(dim, start, step, len(range(start, stop, step)))
            slices.append(s)
            layout.append(s)
        else:
            arr, _ = _normalize(e[1], n, dim, mode, what)
            adv.append((dim, arr))
            layout.append(("adv", len(adv) - 1))
        dim += 1
    adv_shapes = [tuple(np.shape(a) if isinstance(a, np.ndarray) else aval_of(a).shape)
                  for _, a in adv]
    try:
        adv_shape = np.broadcast_shapes(*adv_shapes)
    except ValueError:
        raise IndexError(f"{what}: shape mismatch: indexing arrays could not be broadcast "
                         f"together with shapes {' '.join(map(str, adv_shapes))}") from None
    # output dims, in NumPy's order
    out_dims: list[Any] = []          # ("adv", j) | _Slice | None
    adv_block = [("adv", j) for j in range(len(adv_shape))]
    placed = False
    if not adjacent:
        out_dims.extend(adv_block)
        placed = True
    for item in layout:
        if isinstance(item, tuple):
            if not placed:
                out_dims.extend(adv_block)
                placed = True
        else:
            out_dims.append(item)
    none_dims = tuple(k for k, d in enumerate(out_dims) if d is None)
    out_dims = [d for d in out_dims if d is not None]
    is_window = [isinstance(d, _Slice) and d.full(shape[d.dim]) for d in out_dims]
    offset_dims = tuple(k for k, w in enumerate(is_window) if w)
    window_dims = tuple(d.dim for d, w in zip(out_dims, is_window, strict=True) if w)
    batch = [d for d, w in zip(out_dims, is_window, strict=True) if not w]
    batch_shape = tuple(adv_shape[d[1]] if isinstance(d, tuple) else d.count for d in batch)
    adv_batch_pos = [k for k, d in enumerate(batch) if isinstance(d, tuple)]
    # index components, each broadcast to the batch shape
    comps: list[tuple[int, Any]] = []
    for dim_, arr in adv:
        nd = np.ndim(arr) if isinstance(arr, np.ndarray) else aval_of(arr).ndim
        comps.append((dim_, (arr, tuple(adv_batch_pos[len(adv_shape) - nd:]))))
    for k, d in enumerate(batch):
        if isinstance(d, _Slice):
            vals = d.start + d.step * np.arange(d.count, dtype=_INDEX_DTYPE)
            comps.append((d.dim, (vals, (k,))))
    comps.sort(key=lambda c: c[0])
    concrete = all(isinstance(a, np.ndarray) for _, (a, _) in comps)
    if concrete:
        stacked = np.empty((*batch_shape, len(comps)), _INDEX_DTYPE)
        for j, (_, (a, bdims)) in enumerate(comps):
            stacked[..., j] = _np_broadcast_in_dim(a, batch_shape, bdims)
        indices: Any = from_numpy(stacked)
    else:
        parts = []
        for _, (a, bdims) in comps:
            a = asarray_operand(a) if isinstance(a, np.ndarray) else a
            a = convert(a, _INDEX_DTYPE)
            b = P.broadcast_in_dim_p.bind(a, shape=(*batch_shape, 1),
                                          broadcast_dimensions=bdims)
            parts.append(b)
        indices = (parts[0] if len(parts) == 1
                   else P.concatenate_p.bind(*parts, dimension=len(batch_shape)))
    gather_shape = tuple(shape[d.dim] if w else
                         (adv_shape[d[1]] if isinstance(d, tuple) else d.count)
                         for d, w in zip(out_dims, is_window, strict=True))
    return IndexPlan(tuple(shape), gather_shape, offset_dims, window_dims,
                     tuple(c[0] for c in comps), indices, none_dims, concrete, lifted)


def _np_broadcast_in_dim(a: np.ndarray, shape: tuple[int, ...],
                         dims: tuple[int, ...]) -> np.ndarray:
    full = [1] * len(shape)
    for d, s in zip(dims, a.shape, strict=True):
        full[d] = s
    return np.broadcast_to(a.reshape(full), shape)


def _empty_axis(plan: IndexPlan) -> int | None:
    """An indexed operand axis of size 0, where no gather or scatter window fits."""
    for d in plan.index_dims:
        if plan.operand_shape[d] == 0:
            return d
    return None


def _gather_with_plan(x: Any, plan: IndexPlan, mode: str, fill_value: Any) -> Any:
    if plan.lifted_dims:
        x = P.expand_dims_p.bind(x, dimensions=plan.lifted_dims)
    d = _empty_axis(plan)
    if d is not None:
        # Nothing can be read from an empty axis: an empty selection is fine, every
        # actual index is out of bounds.
        av = aval_of(x)
        if int(np.prod(plan.gather_shape, dtype=np.int64)) and mode != "fill":
            raise IndexError(f"index is out of bounds for axis {d} with size 0 (no index is "
                             "valid for an empty axis; use mode='fill' to get fill_value)")
        fv = (0 if not int(np.prod(plan.gather_shape, dtype=np.int64)) else
              P.default_fill_value(av.dtype) if fill_value is None else fill_value)
        out = P.broadcast_in_dim_p.bind(convert(fv, av.dtype, av.weak_type),
                                        shape=plan.gather_shape, broadcast_dimensions=())
    else:
        out = P.gather_p.bind(x, plan.indices,
                              dimension_numbers=plan.gather_dimension_numbers(),
                              slice_sizes=plan.slice_sizes, mode=mode, fill_value=fill_value)
    if plan.none_dims:
        out = P.expand_dims_p.bind(out, dimensions=plan.none_dims)
    return out


MODES = ("promise_in_bounds", "clip", "drop", "fill", "raise")


def check_mode(mode: Any) -> None:
    """Reject an unknown ``mode=`` before anything is computed."""
    if mode is not None and (not isinstance(mode, str) or mode not in MODES):
        raise ValueError(f"mode must be one of {', '.join(map(repr, MODES))} or None (the "
                         f"default), got {mode!r}")


def _static_fill_value(fill_value: Any, dtype: np.dtype) -> Any:
    """`fill_value` as a Python scalar of `dtype`; a value the dtype cannot hold is an
    error rather than a silently different number."""
    if fill_value is None:
        return None
    if isinstance(fill_value, Tracer) or (type(fill_value) is Array):
        v = _concrete_or_none(fill_value)
        if v is None:
            raise TypeError("fill_value must be a concrete scalar (it is compiled into the "
                            "program), got a traced value; use fnp.where on the result instead")
        fill_value = v
    v = np.asarray(fill_value)
    if v.ndim:
        raise ValueError(f"fill_value must be a scalar, got an array of shape {v.shape}")
    with np.errstate(invalid="ignore", over="ignore"):
        cast = v.astype(dtype)
    if v.dtype.kind in "fc" and dtype.kind in "iub" and not (
            np.isfinite(v) and cast.astype(v.dtype) == v):
        raise ValueError(f"fill_value {fill_value!r} cannot be represented in {dtype}")
    if v.dtype.kind in "iu" and dtype.kind in "iu" and int(cast) != int(v):
        raise ValueError(f"fill_value {fill_value!r} is out of range for {dtype}")
    return cast[()].item()


def advanced_getitem(x: Any, idx: Any, mode: str | None = None, fill_value: Any = None) -> Any:
    """``x[idx]`` for an index with integer arrays or masks, as one gather."""
    check_mode(mode)
    x = asarray_operand(x)
    fill_value = _static_fill_value(fill_value, aval_of(x).dtype)
    plan = index_plan(aval_of(x).shape, idx, "indexing", mode)
    gmode = ("promise_in_bounds" if plan.concrete and mode in (None, "raise") else
             "clip" if mode in (None, "clip", "raise") else
             "fill" if mode in ("fill", "drop") else "promise_in_bounds")
    return _gather_with_plan(x, plan, gmode, fill_value)


_SCATTER_OPS = {"set": P.scatter_p, "add": P.scatter_add_p, "multiply": P.scatter_mul_p,
                "min": P.scatter_min_p, "max": P.scatter_max_p}


def scatter_update(x: Any, idx: Any, values: Any, op: str, mode: str | None = None,
                   indices_are_sorted: bool = False, unique_indices: bool = False) -> Any:
    """``x.at[idx].<op>(values)`` as one scatter; duplicate indices combine with `op`
    ("set": the last one wins, as XLA orders them). "fill" drops, like "drop"."""
    check_mode(mode)
    x = asarray_operand(x)
    av = aval_of(x)
    plan = index_plan(av.shape, idx, f".at[].{op}", mode)
    smode = ("clip" if mode == "clip" else
             "promise_in_bounds" if mode == "promise_in_bounds" else "drop")
    vals = convert(asarray_operand(values), av.dtype, av.weak_type)
    vals = broadcast_to(vals, plan.out_shape)
    if plan.none_dims:
        vals = P.squeeze_p.bind(vals, dimensions=plan.none_dims)
    if _empty_axis(plan) is not None:   # an empty operand: nothing to write
        return x
    if plan.lifted_dims:
        lifted = P.expand_dims_p.bind(x, dimensions=plan.lifted_dims)
        out = _SCATTER_OPS[op].bind(lifted, plan.indices, vals,
                                    dimension_numbers=plan.scatter_dimension_numbers(),
                                    indices_are_sorted=indices_are_sorted,
                                    unique_indices=unique_indices, mode=smode)
        return P.squeeze_p.bind(out, dimensions=plan.lifted_dims)
    return _SCATTER_OPS[op].bind(x, plan.indices, vals,
                                 dimension_numbers=plan.scatter_dimension_numbers(),
                                 indices_are_sorted=indices_are_sorted,
                                 unique_indices=unique_indices, mode=smode)


# ---------------------------------------------------------------------------
# take, take_along_axis, ix_


def take(a: Any, indices: Any, axis: int | None = None, out: Any = None,
         mode: str | None = None, unique_indices: bool = False,
         indices_are_sorted: bool = False, fill_value: Any = None) -> Any:
    """NumPy's take. `mode`: "raise" (the default for concrete indices; traced ones
    are checked when the program runs), "wrap", "clip" (NumPy's: negatives clip to 0
    rather than wrap), or JAX's "fill" (the default for traced indices, unless
    ``config.check_bounds`` makes it "raise") and "promise_in_bounds"."""
    reject("take", out=out)
    x = asarray_operand(a)
    if axis is None:
        x = P.reshape_p.bind(x, new_sizes=(aval_of(x).size,))
        axis = 0
    nd = aval_of(x).ndim
    axis = normalize_axis(axis, nd)
    n = aval_of(x).shape[axis]
    ind = indices if not isinstance(indices, list) else np.asarray(indices, _INDEX_DTYPE)
    isize = (np.size(ind) if isinstance(ind, (np.ndarray, int, np.integer))
             else aval_of(ind).size)
    if n == 0 and isize and mode in ("wrap", "clip"):
        raise IndexError(f"take: cannot take {isize} element(s) from an empty axis "
                         f"with mode={mode!r}")
    if mode == "wrap":
        if isinstance(ind, (np.ndarray, int, np.integer)):
            ind = np.mod(ind, n)
        else:
            ind = P.rem_p.bind(P.add_p.bind(P.rem_p.bind(convert(ind, _INDEX_DTYPE),
                                                         convert(n, _INDEX_DTYPE)),
                                            convert(n, _INDEX_DTYPE)), convert(n, _INDEX_DTYPE))
        mode = "promise_in_bounds"
    elif mode == "clip":    # NumPy's clip does not wrap negatives first: -1 -> 0
        if isinstance(ind, (np.ndarray, int, np.integer)):
            ind = np.clip(np.asarray(ind, _INDEX_DTYPE), 0, max(n - 1, 0))
        else:
            i64 = convert(ind, _INDEX_DTYPE)
            ind = P.min_p.bind(P.max_p.bind(i64, convert(0, _INDEX_DTYPE)),
                               convert(max(n - 1, 0), _INDEX_DTYPE))
        mode = "promise_in_bounds"
    elif mode is None and _is_traced(ind):
        mode = "raise" if checks(None) else "fill"
    if isinstance(ind, (int, np.integer)) or (not isinstance(ind, np.ndarray)
                                               and aval_of(ind).ndim == 0):
        ind = P.reshape_p.bind(asarray_operand(ind), new_sizes=(1,)) if not isinstance(
            ind, (int, np.integer)) else np.asarray([ind])
        res = advanced_getitem(x, (slice(None),) * axis + (ind,), mode, fill_value)
        return P.squeeze_p.bind(res, dimensions=(axis,))
    return advanced_getitem(x, (slice(None),) * axis + (ind,), mode, fill_value)


def take_along_axis(arr: Any, indices: Any, axis: int | None, mode: str | None = None,
                    fill_value: Any = None) -> Any:
    """NumPy's take_along_axis: ``out[..., j, ...] = arr[..., indices[..., j, ...], ...]``."""
    x = asarray_operand(arr)
    if axis is None:
        x = P.reshape_p.bind(x, new_sizes=(aval_of(x).size,))
        axis = 0
    ind = np.asarray(indices) if isinstance(indices, list) else indices
    ishape = np.shape(ind) if isinstance(ind, np.ndarray) else aval_of(ind).shape
    shape = aval_of(x).shape
    if len(ishape) != len(shape):
        raise ValueError(f"take_along_axis: indices of shape {ishape} need as many dimensions "
                         f"as arr of shape {shape}")
    axis = normalize_axis(axis, len(shape))
    idx: list[Any] = []
    for d, n in enumerate(shape):
        if d == axis:
            idx.append(ind)
        else:
            if ishape[d] not in (1, n) and n != 1:
                raise ValueError(f"take_along_axis: indices of shape {ishape} do not broadcast "
                                 f"against arr of shape {shape}")
            r = np.arange(n, dtype=_INDEX_DTYPE)
            idx.append(r.reshape([-1 if k == d else 1 for k in range(len(shape))]))
    return advanced_getitem(x, tuple(idx), mode, fill_value)


def ix_(*args: Any) -> tuple[Any, ...]:
    """NumPy's ix_: 1-d index arrays reshaped to index an open mesh."""
    out = []
    k = len(args)
    for j, a in enumerate(args):
        if isinstance(a, (list, tuple, np.ndarray)):
            v = np.asarray(a)
            if v.dtype == np.bool_:
                v = np.nonzero(v)[0]
            elif v.size == 0:
                v = v.astype(_INDEX_DTYPE)
            if v.ndim != 1:
                raise ValueError("Cross index must be 1 dimensional")
            out.append(from_numpy(v.reshape([-1 if i == j else 1 for i in range(k)])))
            continue
        x = asarray_operand(a)
        av = aval_of(x)
        if av.dtype == dtypes.bool_:
            mask = _concrete_or_none(x)
            if mask is None:
                raise mask_error("ix_")
            x = from_numpy(np.nonzero(mask)[0])
            av = aval_of(x)
        if av.ndim != 1:
            raise ValueError("Cross index must be 1 dimensional")
        out.append(P.reshape_p.bind(x, new_sizes=tuple(av.shape[0] if i == j else 1
                                                       for i in range(k))))
    return tuple(out)


__all__ = ["advanced_getitem", "index_plan", "is_advanced_index", "ix_", "scatter_update",
           "take", "take_along_axis"]
