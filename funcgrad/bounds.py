"""Checked indexing: out-of-bounds indices that raise IndexError from compiled code.

NumPy raises for an out-of-bounds index; a staged program cannot raise, so a
traced index is clamped or dropped (the table in ``funcgrad.numpy._updates``).
Where the user asks for the check, with ``config.check_bounds`` or a per-call
``mode="raise"``, the indexing functions call `check_index` on each index
before they use it:

- a concrete index is checked here and now;
- a traced one gets a conditional host callback: the program computes whether
  any index is out of bounds and, only then, calls back to the host, which
  raises `OutOfBoundsError` (an IndexError) naming the user's line, the index
  and the bound. The callback is `debug_callback_p`, so it is effectful (never
  dropped, kept in order inside loops), sees primal values under grad and runs
  per lane under vmap. The host checks the value again because under vmap the
  condition is batched and every lane calls back.

With the switch off and no ``mode="raise"``, nothing here is called and the
programs are unchanged. ``check_bounds`` leaves explicit ``mode="clip"``,
``"fill"`` and ``"drop"`` alone (they say what out-of-bounds indices do) and
checks the rest, ``"promise_in_bounds"`` included.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from funcgrad import dtypes
from funcgrad import primitives as P
from funcgrad.config import config
from funcgrad.control_flow import cond
from funcgrad.core import Tracer, user_source_line
from funcgrad.ir import Literal
from funcgrad.numpy._util import asarray_operand, aval_of, convert
from funcgrad.primitives.callback import HostCallback, HostCheckError

__all__ = ["OutOfBoundsError", "check_index", "check_starts", "checks"]

_I64 = dtypes.int64


class OutOfBoundsError(HostCheckError, IndexError):
    """An index outside its axis, found by a bounds check (``check_bounds`` or
    ``mode="raise"``), from eager or compiled code alike."""


def checks(mode: Any) -> bool:
    """Whether an index used with `mode` must be bounds-checked: always for "raise",
    for the default and "promise_in_bounds" when ``config.check_bounds`` is on."""
    return mode == "raise" or (config.check_bounds and mode in (None, "promise_in_bounds"))


def _message(what: str, value: int, axis: int, n: int, size: int, negative: bool,
             line: str) -> str:
    valid = f"0..{n - size}" + (f", or {-n}..{-size} from the end" if negative else "")
    if size == 1:
        head = f"index {value} is out of bounds for axis {axis} with size {n} (valid: {valid})"
    else:
        head = (f"start index {value} of a window of size {size} is out of bounds for axis "
                f"{axis} with size {n} (valid starts: {valid})")
    return f"{what}: {head}\nAt {line}."


def _first_bad(v: np.ndarray, n: int, size: int, negative: bool) -> int | None:
    """The first out-of-bounds entry of the host array `v`, or None."""
    v = np.asarray(v)
    w = np.minimum(v, n).astype(np.int64) if v.dtype.kind == "u" else v.astype(np.int64)
    w = np.where(w < 0, w + n, w) if negative else w
    bad = (w < 0) | (w > n - size)
    if not bad.any():
        return None
    return int(v.flat[int(np.argmax(bad))])


def _concrete(x: Any) -> np.ndarray | None:
    """The host value of an index, or None where it is only known when the program runs."""
    if isinstance(x, Tracer):
        v = x.concrete_value()
        return None if v is None else np.asarray(v)
    return np.asarray(x.val if type(x) is Literal else x)


def check_index(index: Any, n: int, *, what: str, axis: int, size: int = 1,
                negative: bool = True) -> None:
    """Raise OutOfBoundsError (now, or when the program runs) where an entry of the
    integer `index` is outside an axis of length `n`: valid starts of a window of
    `size` are ``0..n - size``, and with `negative` NumPy's ``-n..-1`` wrap once first.
    """
    line = user_source_line()
    v = _concrete(index)
    if v is not None:
        bad = _first_bad(v, n, size, negative)
        if bad is not None:
            raise OutOfBoundsError(_message(what, bad, axis, n, size, negative, line))
        return
    i = asarray_operand(index)
    a = aval_of(i)
    if a.dtype.kind == "u":     # cap so the int64 conversion cannot wrap a huge index
        i = P.min_p.bind(i, convert(min(n, int(np.iinfo(a.dtype).max)), a.dtype))
    r = convert(i, _I64)
    w = P.select_n_p.bind(P.lt_p.bind(r, convert(0, _I64)), r,
                          P.add_p.bind(r, convert(n, _I64))) if negative else r
    bad = P.or_p.bind(P.lt_p.bind(w, convert(0, _I64)), P.gt_p.bind(w, convert(n - size, _I64)))
    if a.ndim:
        count = int(np.prod(a.shape, dtype=np.int64))
        if count == 0:
            return
        flat = P.reshape_p.bind(bad, new_sizes=(count,))
        anybad = P.reduce_or_p.bind(flat, axes=(0,))
        k = P.argmax_p.bind(flat, axis=0, index_dtype=_I64)
        shown = P.squeeze_p.bind(
            P.dynamic_slice_p.bind(P.reshape_p.bind(r, new_sizes=(count,)), k, slice_sizes=(1,)),
            dimensions=(0,))
    else:
        anybad, shown = bad, r

    def report(value: np.ndarray) -> list[Any]:
        if _first_bad(value, n, size, negative) is not None:
            raise OutOfBoundsError(_message(what, int(value), axis, n, size, negative, line))
        return []
    cb = HostCallback(report, "check_bounds", [], "check_bounds")

    def call_back(value: Any) -> None:
        P.debug_callback_p.bind(value, callback=cb)

    cond(anybad, call_back, lambda value: None, shown)


def check_starts(what: str, axis: int, start: Any, n: int, sizes: Any, negative: bool) -> None:
    """`check_index` for the start along `axis` of a dynamic slice of `sizes` (one per
    axis), when ``config.check_bounds`` is on. Sizes the primitive will reject (too
    few, or larger than the axis) are left for its shape rule to report."""
    if not checks(None) or len(sizes) <= axis:
        return
    size = sizes[axis]
    if isinstance(size, (int, np.integer)) and 0 <= size <= n:
        check_index(start, n, what=what, axis=axis, size=int(size), negative=negative)
