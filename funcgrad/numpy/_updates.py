"""``x.at[idx].set/add/...``: functional updates for basic indices.

A basic index with unit steps selects a box; the update is computed on that
box and written back with `dynamic_update_slice`. Integer-array indices and
strided boxes need scatter, which does not exist yet, and raise.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from funcgrad import dtypes
from funcgrad import primitives as P
from funcgrad.errors import UnsupportedError
from funcgrad.numpy._indexing import _expand_index, getitem
from funcgrad.numpy._shape import broadcast_to
from funcgrad.numpy._util import asarray_operand, aval_of, convert


class IndexedUpdate:
    __slots__ = ("array", "idx")

    def __init__(self, array: Any, idx: Any):
        self.array = array
        self.idx = idx

    def get(self, **kwargs: Any) -> Any:
        return getitem(self.array, self.idx)

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

    def set(self, values: Any, **kw: Any) -> Any:
        return self._apply(lambda cur, v: v, values)

    def add(self, values: Any, **kw: Any) -> Any:
        return self._apply(lambda cur, v: P.add_p.bind(cur, v), values)

    def subtract(self, values: Any, **kw: Any) -> Any:
        return self._apply(lambda cur, v: P.sub_p.bind(cur, v), values)

    def multiply(self, values: Any, **kw: Any) -> Any:
        return self._apply(lambda cur, v: P.mul_p.bind(cur, v), values)

    def divide(self, values: Any, **kw: Any) -> Any:
        return self._apply(lambda cur, v: P.div_p.bind(cur, v), values)

    def power(self, values: Any, **kw: Any) -> Any:
        return self._apply(lambda cur, v: P.pow_p.bind(cur, v), values)

    def min(self, values: Any, **kw: Any) -> Any:
        return self._apply(lambda cur, v: P.min_p.bind(cur, v), values)

    def max(self, values: Any, **kw: Any) -> Any:
        return self._apply(lambda cur, v: P.max_p.bind(cur, v), values)
