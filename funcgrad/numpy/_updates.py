"""``x.at[idx].set/add/...``: functional updates for basic indices.

A basic index with unit steps selects a box; the update is computed on that
box and written back with `dynamic_update_slice`. Integer-array indices, masks,
strided slices, None and explicit ``mode=`` go through one scatter
(funcgrad.numpy._advanced), where duplicate indices accumulate for ``add``.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from funcgrad import dtypes
from funcgrad import primitives as P
from funcgrad.errors import UnsupportedError
from funcgrad.numpy._advanced import advanced_getitem, is_advanced_index, scatter_update
from funcgrad.numpy._indexing import _expand_index, getitem
from funcgrad.numpy._shape import broadcast_to
from funcgrad.numpy._util import asarray_operand, aval_of, convert


class IndexedUpdate:
    __slots__ = ("array", "idx")

    def __init__(self, array: Any, idx: Any):
        self.array = array
        self.idx = idx

    def get(self, mode: str | None = None, fill_value: Any = None, **kw: Any) -> Any:
        if is_advanced_index(self.idx) or mode is not None or fill_value is not None:
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
        unknown = set(kw) - {"indices_are_sorted", "unique_indices"}
        if unknown:
            raise TypeError(f".at[].{op}() got unexpected keyword argument(s) "
                            f"{', '.join(sorted(unknown))}")
        return scatter_update(self.array, self.idx, values, op, mode, **kw)

    def _apply(self, fn: Callable[[Any, Any], Any], values: Any, mode: Any = None) -> Any:
        x = asarray_operand(self.array)
        av = aval_of(x)
        items = _expand_index(self.idx, av.ndim)
        if any(i is None for i in items):
            raise UnsupportedError(".at[] does not take None (newaxis) in the index")
        # The box each index selects, as unit-stride (start, size) pairs plus steps.
        starts, sizes, steps, keep = [], [], [], []
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
                if isinstance(it, int) and not -n <= it < n:
                    raise IndexError(f"index {it} is out of bounds for axis {dim} with size {n}")
                starts.append(it)
                sizes.append(1)
                steps.append(1)
                keep.append(("int", False))
            dim += 1
        if any(s != 1 for s in steps):
            raise UnsupportedError(".at[] with strided slices is not supported yet; "
                                   "use unit-step slices")
        cur = getitem(x, self.idx)
        vals = asarray_operand(values)
        vals = broadcast_to(convert(vals, av.dtype, False), aval_of(cur).shape)
        new = fn(cur, vals)
        # restore squeezed integer axes and undo reversed slices
        rev = tuple(d for d, (kind, flip) in enumerate(keep) if flip)
        int_axes = tuple(d for d, (kind, _) in enumerate(keep) if kind == "int")
        if int_axes:
            new = P.expand_dims_p.bind(new, dimensions=int_axes)
        if rev:
            new = P.rev_p.bind(new, dimensions=rev)
        idxs = []
        for d, s in enumerate(starts):
            if isinstance(s, int):
                idxs.append(convert(s % av.shape[d] if av.shape[d] else 0, dtypes.int64))
            else:
                i = convert(asarray_operand(s), dtypes.int64)
                wrapped = P.add_p.bind(i, convert(av.shape[d], dtypes.int64))
                zero = convert(0, dtypes.int64)
                idxs.append(P.select_n_p.bind(P.lt_p.bind(i, zero), i, wrapped))
        return P.dynamic_update_slice_p.bind(x, convert(new, av.dtype, av.weak_type), *idxs)

    def set(self, values: Any, mode: str | None = None, **kw: Any) -> Any:
        if self._needs_scatter(mode):
            return self._scatter("set", values, mode, kw)
        return self._apply(lambda cur, v: v, values)

    def add(self, values: Any, mode: str | None = None, **kw: Any) -> Any:
        if self._needs_scatter(mode):
            return self._scatter("add", values, mode, kw)
        return self._apply(lambda cur, v: P.add_p.bind(cur, v), values)

    def subtract(self, values: Any, mode: str | None = None, **kw: Any) -> Any:
        if self._needs_scatter(mode):
            from funcgrad.numpy._ufuncs import negative
            return self._scatter("add", negative(values), mode, kw)
        return self._apply(lambda cur, v: P.sub_p.bind(cur, v), values)

    def multiply(self, values: Any, mode: str | None = None, **kw: Any) -> Any:
        if self._needs_scatter(mode):
            return self._scatter("multiply", values, mode, kw)
        return self._apply(lambda cur, v: P.mul_p.bind(cur, v), values)

    def divide(self, values: Any, mode: str | None = None, **kw: Any) -> Any:
        if self._needs_scatter(mode):
            # Duplicates divide repeatedly: a scatter-multiply by the reciprocal.
            # NB: x * (1/v) can differ from x / v in the last bit.
            dt = aval_of(asarray_operand(self.array)).dtype
            if not dtypes.is_inexact(dt):
                raise TypeError(f".at[].divide() needs a floating or complex array, got {dt}")
            vals = convert(asarray_operand(values), dt)
            return self._scatter("multiply", P.div_p.bind(convert(1, dt), vals), mode, kw)
        return self._apply(lambda cur, v: P.div_p.bind(cur, v), values)

    def power(self, values: Any, mode: str | None = None, **kw: Any) -> Any:
        if self._needs_scatter(mode):
            # NB: with duplicate indices the last update wins (x[i] ** v is not compounded).
            from funcgrad.numpy._ufuncs import power
            cur = advanced_getitem(self.array, self.idx, None if mode == "drop" else mode)
            return self._scatter("set", power(cur, values), mode, kw)
        return self._apply(lambda cur, v: P.pow_p.bind(cur, v), values)

    def min(self, values: Any, mode: str | None = None, **kw: Any) -> Any:
        if self._needs_scatter(mode):
            return self._scatter("min", values, mode, kw)
        return self._apply(lambda cur, v: P.min_p.bind(cur, v), values)

    def max(self, values: Any, mode: str | None = None, **kw: Any) -> Any:
        if self._needs_scatter(mode):
            return self._scatter("max", values, mode, kw)
        return self._apply(lambda cur, v: P.max_p.bind(cur, v), values)
