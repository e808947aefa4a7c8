"""``x.at[idx].set/add/...``: functional updates for basic indices.

A basic index with unit steps selects a box; the update is computed on that
box and written back with `dynamic_update_slice`. Integer-array indices, masks,
strided slices, None and explicit ``mode=`` go through one scatter
(funcgrad.numpy._advanced), where duplicate indices accumulate for ``add``;
a mask whose values are traced becomes a select instead
(funcgrad.numpy._mask_updates).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from funcgrad import dtypes
from funcgrad import primitives as P
from funcgrad.bounds import check_index, checks
from funcgrad.core import Tracer
from funcgrad.errors import UnsupportedError
from funcgrad.numpy._advanced import (advanced_getitem, check_mode, is_advanced_index,
                                      scatter_update, wrap_index)
from funcgrad.numpy._indexing import _expand_index, concrete_int, getitem
from funcgrad.numpy._mask_updates import has_traced_mask, masked_update
from funcgrad.numpy._shape import broadcast_to
from funcgrad.numpy._util import asarray_operand, aval_of, convert

_UPDATE_KWARGS = frozenset({"indices_are_sorted", "unique_indices"})
# a traced boolean mask: the new value at a selected position (funcgrad.numpy._mask_updates)
_COMBINE: dict[str, Callable[[Any, Any], Any]] = {
    "set": lambda cur, v: v, "add": P.add_p.bind, "multiply": P.mul_p.bind,
    "min": P.min_p.bind, "max": P.max_p.bind}


def _check_kwargs(op: str, kw: dict[str, Any]) -> None:
    unknown = set(kw) - _UPDATE_KWARGS
    if unknown:
        raise TypeError(f".at[].{op}() got unexpected keyword argument(s) "
                        f"{', '.join(sorted(unknown))}; it takes mode=, indices_are_sorted= "
                        "and unique_indices=" + (" and fill_value=" if op == "get" else ""))


class IndexedUpdate:
    """``x.at[idx]``: read or functionally update ``x`` at a NumPy index.

    Negative indices wrap once, as in NumPy (-1 is the last element, anything
    below -n is out of bounds, like anything >= n). Out-of-bounds indices, by
    ``mode=``:

    =====================  =============================  ===========================
    mode                   read (``x[idx]``, ``.get``)    update (``.set/.add/...``)
    =====================  =============================  ===========================
    None, concrete index   IndexError (as NumPy)          IndexError (as NumPy)
    None, traced index     clamped into range ("clip")    dropped (``x`` unchanged there)
    "raise"                IndexError (traced: at run)    IndexError (traced: at run)
    "clip"                 clamped into range             applied at the clamped index
    "fill"                 ``fill_value``                 dropped
    "drop"                 ``fill_value`` (as "fill")     dropped
    "promise_in_bounds"    unspecified (no check)         unspecified (no check)
    =====================  =============================  ===========================

    "Concrete" means the index values are known without running anything: Python
    and NumPy ints and arrays, and eager (non-traced) Arrays. "Traced" means an
    index that is a jit argument, a vmap lane or computed inside a transformed
    function. Clamping maps i < 0 (after the wrap) to 0 and i >= n to n - 1.
    ``fill_value`` defaults to NaN for floating and complex dtypes, to the
    smallest value of signed integer dtypes, the largest of unsigned ones, and to
    True for booleans; a fill_value the dtype cannot hold raises ValueError. With
    "promise_in_bounds" the caller guarantees every index is in bounds; funcgrad
    neither checks nor fixes them, and the result for an out-of-bounds index may
    change between versions and devices (today reads clamp and updates are
    skipped). Gradients follow the same rule: a dropped update gets a zero
    cotangent, and a clamped read sends its cotangent to the clamped position.
    ``mode="raise"`` checks traced indices when the program runs and raises
    ``funcgrad.bounds.OutOfBoundsError`` (an IndexError); ``config.check_bounds``
    does the same for None and "promise_in_bounds" (funcgrad.bounds).

    A boolean mask with traced values works for updates (not for ``.get``, whose
    shape would depend on it): values must broadcast against ``x[mask]`` with
    length 1 along its True-entries axis (funcgrad.numpy._mask_updates).

    Duplicate indices: ``add``/``multiply``/``min``/``max``/``subtract``/``divide``
    combine every update (``divide`` multiplies by reciprocals, which may differ
    from NumPy's repeated division in the last bit); ``set`` keeps one of them (the
    last on CPU; XLA does not promise which); ``power`` reads the original value
    once, so duplicates do not compound (NumPy's ``np.power.at`` does).
    """

    __slots__ = ("array", "idx")

    def __init__(self, array: Any, idx: Any):
        self.array = array
        self.idx = idx

    def get(self, mode: str | None = None, fill_value: Any = None, **kw: Any) -> Any:
        _check_kwargs("get", kw)
        check_mode(mode)
        if is_advanced_index(self.idx) or mode is not None:
            return advanced_getitem(self.array, self.idx, mode, fill_value)
        return getitem(self.array, self.idx)

    def _needs_scatter(self, mode: Any) -> bool:
        """Integer arrays, masks, strided slices, None and explicit modes go through
        scatter; plain boxes through dynamic_update_slice."""
        if mode is not None or is_advanced_index(self.idx):
            return True
        items = self.idx if isinstance(self.idx, tuple) else (self.idx,)
        return any(i is None or (isinstance(i, slice) and i.step not in (None, 1))
                   for i in items)

    def _scatter(self, op: str, values: Any, mode: Any, kw: dict[str, Any]) -> Any:
        _check_kwargs(op, kw)
        if has_traced_mask(self.idx):
            check_mode(mode)
            return masked_update(self.array, self.idx, values, op, _COMBINE[op], mode)
        return scatter_update(self.array, self.idx, values, op, mode, **kw)

    def _apply(self, fn: Callable[[Any, Any], Any], values: Any, kw: dict[str, Any],
               op: str) -> Any:
        _check_kwargs(op, kw)
        x = asarray_operand(self.array)
        av = aval_of(x)
        items = [concrete_int(i) for i in _expand_index(self.idx, av.ndim)]
        idx = tuple(items)
        if any(i is None for i in items):
            raise UnsupportedError(".at[] does not take None (newaxis) in the index")
        # The box each index selects, as unit-stride (start, size) pairs plus steps.
        starts: list[Any] = []      # an int, or a traced index
        sizes: list[int] = []
        steps: list[int] = []
        keep: list[tuple[str, bool]] = []
        dim = 0
        for it in items:
            n = av.shape[dim]
            if isinstance(it, slice):
                start, stop, step = it.indices(n)
                count = len(range(start, stop, step))
                if count and step < 0:
                    start, step = start + (count - 1) * step, -step
                    flip = True
                else:
                    flip = False
                starts.append(start if count else 0)
                sizes.append(count)
                steps.append(step if count else 1)
                keep.append(("slice", flip))
            else:
                if isinstance(it, (int, np.integer)) and not -n <= it < n:
                    raise IndexError(f"index {it} is out of bounds for axis {dim} with size {n}")
                if isinstance(it, Tracer) and n == 0:
                    raise IndexError(f"index is out of bounds for axis {dim} with size 0 (no "
                                     "index is valid for an empty axis)")
                if isinstance(it, Tracer) and checks(None):
                    check_index(it, n, what=f".at[].{op}", axis=dim)
                starts.append(it)
                sizes.append(1)
                steps.append(1)
                keep.append(("int", False))
            dim += 1
        if any(s != 1 for s in steps):
            raise UnsupportedError(".at[] with strided slices is not supported yet; "
                                   "use unit-step slices")
        cur = getitem(x, idx)
        vals = asarray_operand(values)
        vals = broadcast_to(convert(vals, av.dtype, False), aval_of(cur).shape)
        new = fn(cur, vals)
        # dynamic_update_slice clamps its start; an out-of-bounds traced index must
        # drop the update instead, so the clamped box gets its own values back.
        in_bounds = None
        for d, s in enumerate(starts):
            if isinstance(s, (int, np.integer)):
                continue
            i = wrap_index(s, av.shape[d])
            ok = P.and_p.bind(P.ge_p.bind(i, convert(0, dtypes.int64)),
                              P.lt_p.bind(i, convert(av.shape[d], dtypes.int64)))
            in_bounds = ok if in_bounds is None else P.and_p.bind(in_bounds, ok)
        if in_bounds is not None:
            new = P.select_n_p.bind(in_bounds, convert(cur, aval_of(new).dtype), new)
        # restore squeezed integer axes and undo reversed slices
        rev = tuple(d for d, (kind, flip) in enumerate(keep) if flip)
        int_axes = tuple(d for d, (kind, _) in enumerate(keep) if kind == "int")
        if int_axes:
            new = P.expand_dims_p.bind(new, dimensions=int_axes)
        if rev:
            new = P.rev_p.bind(new, dimensions=rev)
        idxs = []
        for d, s in enumerate(starts):
            if isinstance(s, (int, np.integer)):
                s = int(s)
                idxs.append(convert(s % av.shape[d] if av.shape[d] else 0, dtypes.int64))
            else:
                idxs.append(wrap_index(s, av.shape[d]))
        return P.dynamic_update_slice_p.bind(x, convert(new, av.dtype, av.weak_type), *idxs)

    def set(self, values: Any, mode: str | None = None, **kw: Any) -> Any:
        if self._needs_scatter(mode):
            return self._scatter("set", values, mode, kw)
        return self._apply(lambda cur, v: v, values, kw, "set")

    def add(self, values: Any, mode: str | None = None, **kw: Any) -> Any:
        if self._needs_scatter(mode):
            return self._scatter("add", values, mode, kw)
        return self._apply(lambda cur, v: P.add_p.bind(cur, v), values, kw, "add")

    def subtract(self, values: Any, mode: str | None = None, **kw: Any) -> Any:
        if self._needs_scatter(mode):
            from funcgrad.numpy._ufuncs import negative
            return self._scatter("add", negative(values), mode, kw)
        return self._apply(lambda cur, v: P.sub_p.bind(cur, v), values, kw, "subtract")

    def multiply(self, values: Any, mode: str | None = None, **kw: Any) -> Any:
        if self._needs_scatter(mode):
            return self._scatter("multiply", values, mode, kw)
        return self._apply(lambda cur, v: P.mul_p.bind(cur, v), values, kw, "multiply")

    def divide(self, values: Any, mode: str | None = None, **kw: Any) -> Any:
        dt = aval_of(asarray_operand(self.array)).dtype
        if not dtypes.is_inexact(dt):   # NumPy refuses to store a true quotient in ints too
            raise TypeError(f".at[].divide() needs a floating or complex array, got {dt}; "
                            "convert with .astype(float) first")
        if self._needs_scatter(mode):
            # Duplicates divide repeatedly: a scatter-multiply by the reciprocal.
            # NB: x * (1/v) can differ from x / v in the last bit.
            vals = convert(asarray_operand(values), dt)
            return self._scatter("multiply", P.div_p.bind(convert(1, dt), vals), mode, kw)
        return self._apply(lambda cur, v: P.div_p.bind(cur, v), values, kw, "divide")

    def power(self, values: Any, mode: str | None = None, **kw: Any) -> Any:
        if self._needs_scatter(mode):
            # NB: with duplicate indices the last update wins (x[i] ** v is not compounded).
            from funcgrad.numpy._ufuncs import power
            _check_kwargs("power", kw)
            check_mode(mode)
            if has_traced_mask(self.idx):
                return masked_update(self.array, self.idx, values, "power",
                                     lambda cur, v: power(cur, v), mode)
            # the read must not raise where the write is dropped
            cur = advanced_getitem(self.array, self.idx,
                                   "fill" if mode in ("drop", "fill") else mode)
            return self._scatter("set", power(cur, values), mode, kw)
        return self._apply(lambda cur, v: P.pow_p.bind(cur, v), values, kw, "power")

    def min(self, values: Any, mode: str | None = None, **kw: Any) -> Any:
        if self._needs_scatter(mode):
            return self._scatter("min", values, mode, kw)
        return self._apply(lambda cur, v: P.min_p.bind(cur, v), values, kw, "min")

    def max(self, values: Any, mode: str | None = None, **kw: Any) -> Any:
        if self._needs_scatter(mode):
            return self._scatter("max", values, mode, kw)
        return self._apply(lambda cur, v: P.max_p.bind(cur, v), values, kw, "max")
