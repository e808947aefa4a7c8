"""Transpose rules of the linear windowed primitives and reduce_precision.

- reduce_window_sum: input element i sits at position lo + i*b of the dilated,
  padded operand, and output o sums positions o*s + j*w. Spreading the cotangent
  by the strides (interior padding s-1) and shifting it by E-1-lo (E the window's
  extent) turns "every (o, j) with o*s + j*w = lo + i*b" into one window of the
  same shape and dilation read at stride b: a reduce_window_sum again.
- select_and_gather_add (linear in t) goes to select_and_scatter_add: base
  dilation first pads x with the selection's identity and strides the result
  back; XLA's SelectAndScatter has no window dilation, so with one the winners'
  positions are gathered instead (select_and_gather_add of 1, 2, 3, ... over x)
  and the cotangent is scatter-added there.
- select_and_scatter_add (linear in source) goes back to select_and_gather_add.
- reduce_precision rounds the cotangent (the same convention as its JVP).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from funcgrad import dtypes
from funcgrad import primitives as P
from funcgrad.core import Primitive, ShapedArray
from funcgrad.transforms.programs import UndefinedPrimal, aval, weak_scalar, zeros
from funcgrad.transforms.transpose.interpreter import transpose_rules


def _reduce_window_sum_transpose(ct: Any, x: UndefinedPrimal, *,
                                 window_dimensions: tuple[int, ...],
                                 window_strides: tuple[int, ...],
                                 padding: tuple[tuple[int, int], ...],
                                 base_dilation: tuple[int, ...],
                                 window_dilation: tuple[int, ...]) -> list[Any]:
    xa = x.aval
    if xa.size == 0 or aval(ct).size == 0:
        return [zeros(xa.strong())]
    config = []
    for n, m, k, s, (lo, _), b, w in zip(xa.shape, aval(ct).shape, window_dimensions,
                                         window_strides, padding, base_dilation,
                                         window_dilation, strict=True):
        extent = (k - 1) * w + 1
        before = extent - 1 - lo
        after = (n - 1) * b + extent - before - ((m - 1) * s + 1)
        config.append((before, after, s - 1))
    spread = P.pad_p.bind(ct, weak_scalar(0, xa.dtype), padding_config=tuple(config))
    nd = xa.ndim
    return [P.reduce_window_sum_p.bind(spread, window_dimensions=window_dimensions,
                                       window_strides=base_dilation,
                                       padding=((0, 0),) * nd, base_dilation=(1,) * nd,
                                       window_dilation=window_dilation)]


def _selection_identity(select_prim: Primitive, dtype: np.dtype) -> Any:
    """The value that never wins a window (what padding holds)."""
    if dtypes.is_integer(dtype):
        info = np.iinfo(dtype)
        return info.min if select_prim is P.ge_p else info.max
    return -np.inf if select_prim is P.ge_p else np.inf


def _scatter_to_winners(ct: Any, x: Any, t_aval: ShapedArray, **params: Any) -> Any:
    """The cotangent of select_and_gather_add for any window: each element of `ct`
    added at the flat position of its window's winner."""
    size = t_aval.size
    idt = dtypes.int32 if size < 2**31 - 2 else dtypes.int64
    ids = P.add_p.bind(P.iota_p.bind(dtype=idt, shape=(size,), dimension=0), weak_scalar(1, idt))
    winners = P.select_and_gather_add_p.bind(P.reshape_p.bind(ids, new_sizes=t_aval.shape), x,
                                             **params)
    # 0 marks a window that only padding won: index -1 is out of bounds and dropped
    flat = P.sub_p.bind(P.reshape_p.bind(winners, new_sizes=(aval(winners).size, 1)),
                        weak_scalar(1, idt))
    dn = P.ScatterDimensionNumbers(update_window_dims=(), inserted_window_dims=(0,),
                                   scatter_dims_to_operand_dims=(0,))
    out = P.scatter_add_p.bind(zeros(ShapedArray((size,), t_aval.dtype)), flat,
                               P.reshape_p.bind(ct, new_sizes=(aval(ct).size,)),
                               dimension_numbers=dn, indices_are_sorted=False,
                               unique_indices=False, mode="drop")
    return P.reshape_p.bind(out, new_sizes=t_aval.shape)


def _select_and_gather_add_transpose(ct: Any, t: UndefinedPrimal, x: Any, *,
                                     select_prim: Primitive,
                                     window_dimensions: tuple[int, ...],
                                     window_strides: tuple[int, ...],
                                     padding: tuple[tuple[int, int], ...],
                                     base_dilation: tuple[int, ...],
                                     window_dilation: tuple[int, ...]) -> list[Any]:
    if isinstance(x, UndefinedPrimal):
        raise NotImplementedError("select_and_gather_add is linear in t only")
    ta = t.aval.strong()
    if ta.size == 0 or aval(ct).size == 0:
        return [zeros(ta), None]
    if any(w != 1 for w in window_dilation):
        return [_scatter_to_winners(ct, x, ta, select_prim=select_prim,
                                    window_dimensions=window_dimensions,
                                    window_strides=window_strides, padding=padding,
                                    base_dilation=base_dilation,
                                    window_dilation=window_dilation), None]
    dilated = any(b != 1 for b in base_dilation)
    if dilated:
        fill = weak_scalar(_selection_identity(select_prim, aval(x).dtype), aval(x).dtype)
        x = P.pad_p.bind(x, fill, padding_config=tuple((0, 0, b - 1) for b in base_dilation))
    out = P.select_and_scatter_add_p.bind(ct, x, select_prim=select_prim,
                                          window_dimensions=window_dimensions,
                                          window_strides=window_strides, padding=padding)
    if dilated:
        out = P.slice_p.bind(out, start_indices=(0,) * ta.ndim, limit_indices=aval(out).shape,
                             strides=base_dilation)
    return [out, None]


def _select_and_scatter_add_transpose(ct: Any, source: UndefinedPrimal, x: Any, *,
                                      select_prim: Primitive,
                                      window_dimensions: tuple[int, ...],
                                      window_strides: tuple[int, ...],
                                      padding: tuple[tuple[int, int], ...]) -> list[Any]:
    if isinstance(x, UndefinedPrimal):
        raise NotImplementedError("select_and_scatter_add is linear in source only")
    ones = (1,) * aval(x).ndim
    return [P.select_and_gather_add_p.bind(ct, x, select_prim=select_prim,
                                           window_dimensions=window_dimensions,
                                           window_strides=window_strides, padding=padding,
                                           base_dilation=ones, window_dilation=ones), None]


def _reduce_precision_transpose(ct: Any, x: UndefinedPrimal, *, exponent_bits: int,
                                mantissa_bits: int) -> list[Any]:
    return [P.reduce_precision_p.bind(ct, exponent_bits=exponent_bits,
                                      mantissa_bits=mantissa_bits)]


transpose_rules[P.reduce_window_sum_p] = _reduce_window_sum_transpose
transpose_rules[P.select_and_gather_add_p] = _select_and_gather_add_transpose
transpose_rules[P.select_and_scatter_add_p] = _select_and_scatter_add_transpose
transpose_rules[P.reduce_precision_p] = _reduce_precision_transpose
