"""Convolution: XLA's ConvGeneralDilated, any number of spatial dimensions.

``conv_general_dilated lhs rhs`` with params

- `dimension_numbers`: a `ConvDimensionNumbers` of three permutations. Each lists
  the positions of an operand's dimensions in the canonical order: lhs (batch,
  feature, spatial...), rhs (output feature, input feature, spatial...), out
  (batch, feature, spatial...). Spatial dimensions correspond in that order.
- `window_strides`, `lhs_dilation`, `rhs_dilation`: positive ints, one per spatial
  dimension; `padding`: (low, high) int pairs, one per spatial dimension. A
  negative pad crops. The lhs is dilated (holes between its elements), padded,
  and the dilated kernel slides over it.
- `feature_group_count` G: lhs features split into G groups, each convolved with
  its own block of G's output features (group-major); `batch_group_count` B: the
  same with the lhs batch split into B groups. At most one of them exceeds 1.
- `precision`: None, or a pair of `funcgrad.lax.Precision` members (lhs, rhs);
  `preferred_element_type`: None, or the dtype to accumulate and return in.

A window wider than the padded lhs fits nowhere: that output dimension is empty
(as in JAX), not an error.
"""
from __future__ import annotations

import enum
import operator
from typing import Any, NamedTuple

import numpy as np

from funcgrad import dtypes
from funcgrad.core import Primitive, ShapedArray, shape_error
from funcgrad.errors import DTypeError
from funcgrad.primitives._shapes import same_dtype

Pads = tuple[tuple[int, int], ...]

PRECISION_NAMES = ("DEFAULT", "HIGH", "HIGHEST")


class ConvDimensionNumbers(NamedTuple):
    """Where each canonical dimension of the operands and the output sits:
    lhs_spec (batch, feature, spatial...), rhs_spec (output feature, input
    feature, spatial...), out_spec (batch, feature, spatial...)."""

    lhs_spec: tuple[int, ...]
    rhs_spec: tuple[int, ...]
    out_spec: tuple[int, ...]


conv_general_dilated_p = Primitive("conv_general_dilated")


def dilated_size(n: int, dilation: int) -> int:
    """The length of `n` elements with `dilation - 1` holes between neighbours."""
    return 0 if n == 0 else (n - 1) * dilation + 1


def _ints(what: str, value: Any, n: int, positive: bool) -> tuple[int, ...]:
    try:
        out = tuple(operator.index(v) for v in value)
    except TypeError:
        raise shape_error("conv_general_dilated", f"{what} must be a sequence of ints, got "
                                                  f"{value!r:.80}") from None
    if len(out) != n:
        raise shape_error("conv_general_dilated", f"{what} {out} needs one entry per spatial "
                                                  f"dimension ({n})")
    if positive and any(v < 1 for v in out):
        raise shape_error("conv_general_dilated", f"{what} must all be positive, got {out}")
    return out


def _check_specs(lhs: ShapedArray, rhs: ShapedArray, dn: Any) -> None:
    if type(dn) is not ConvDimensionNumbers:
        raise TypeError(f"conv_general_dilated: dimension_numbers must be a "
                        f"ConvDimensionNumbers, got {dn!r:.80}; funcgrad.lax."
                        f"conv_dimension_numbers builds one")
    if lhs.ndim != rhs.ndim or lhs.ndim < 2:
        raise shape_error("conv_general_dilated", f"lhs {lhs.shape} and rhs {rhs.shape} need "
                                                  "one rank, at least 2 (batch/feature and "
                                                  "spatial dimensions)")
    for name, spec in zip(("lhs_spec", "rhs_spec", "out_spec"), dn, strict=True):
        if sorted(spec) != list(range(lhs.ndim)):
            raise shape_error("conv_general_dilated", f"dimension_numbers.{name} {spec} must "
                                                      f"be a permutation of the {lhs.ndim} "
                                                      "dimensions")


def _check_dtypes(lhs: ShapedArray, rhs: ShapedArray,
                  preferred: np.dtype | None) -> tuple[np.dtype, bool]:
    """The output dtype and weak type; like JAX, a preferred type may only widen
    within its kind (or turn integers into floats)."""
    dt = same_dtype("conv_general_dilated", (lhs, rhs))
    if preferred is None:
        return dt, lhs.weak_type and rhs.weak_type
    pt = np.dtype(preferred)
    ok = ((dtypes.is_integer(dt) and (dtypes.is_float(pt) or
                                      (dtypes.is_integer(pt) and (dt.kind != "i" or
                                                                  pt.kind == "i"))))
          or (dtypes.is_float(dt) and dtypes.is_float(pt))
          or (dtypes.is_complex(dt) and dtypes.is_complex(pt))
          or (dt == dtypes.bool_ and pt == dtypes.bool_))
    if not ok or pt.itemsize < dt.itemsize:
        raise DTypeError(f"conv_general_dilated: preferred_element_type {pt} does not fit "
                         f"operands of {dt}: it must be of the same kind (integers may also "
                         "give floats), signed for signed integers, and at least as wide")
    return pt, False


def _check_precision(precision: Any) -> None:
    if precision is None:
        return
    if (not isinstance(precision, tuple) or len(precision) != 2
            or not all(isinstance(p, enum.Enum) and p.name in PRECISION_NAMES
                       for p in precision)):
        raise TypeError(f"conv_general_dilated: precision must be None or a pair of "
                        f"funcgrad.lax.Precision members, got {precision!r:.80}")


@conv_general_dilated_p.def_abstract_eval
def _conv_general_dilated_rule(lhs: ShapedArray, rhs: ShapedArray, *,
                               window_strides: tuple[int, ...], padding: Pads,
                               lhs_dilation: tuple[int, ...], rhs_dilation: tuple[int, ...],
                               dimension_numbers: ConvDimensionNumbers,
                               feature_group_count: int, batch_group_count: int,
                               precision: tuple[Any, Any] | None,
                               preferred_element_type: np.dtype | None) -> ShapedArray:
    _check_specs(lhs, rhs, dimension_numbers)
    dtype, weak = _check_dtypes(lhs, rhs, preferred_element_type)
    _check_precision(precision)
    lhs_spec, rhs_spec, out_spec = dimension_numbers
    nsp = lhs.ndim - 2
    strides = _ints("window_strides", window_strides, nsp, True)
    _ints("lhs_dilation", lhs_dilation, nsp, True)
    _ints("rhs_dilation", rhs_dilation, nsp, True)
    if len(padding) != nsp or any(len(p) != 2 for p in padding):
        raise shape_error("conv_general_dilated", f"padding {padding} needs one (low, high) "
                                                  f"pair per spatial dimension ({nsp})")
    groups = {"feature_group_count": feature_group_count,
              "batch_group_count": batch_group_count}
    for what, g in groups.items():
        if isinstance(g, bool) or not isinstance(g, (int, np.integer)) or g < 1:
            raise shape_error("conv_general_dilated", f"{what} must be a positive int, got "
                                                      f"{g!r}")
    if feature_group_count > 1 and batch_group_count > 1:
        raise shape_error("conv_general_dilated", f"at most one of feature_group_count "
                                                  f"({feature_group_count}) and "
                                                  f"batch_group_count ({batch_group_count}) "
                                                  "may exceed 1")
    n, c = lhs.shape[lhs_spec[0]], lhs.shape[lhs_spec[1]]
    o, i = rhs.shape[rhs_spec[0]], rhs.shape[rhs_spec[1]]
    shapes = f"(lhs {lhs.shape}, rhs {rhs.shape})"
    if c % feature_group_count:
        raise shape_error("conv_general_dilated", f"the lhs's {c} features must split evenly "
                                                  f"into feature_group_count="
                                                  f"{feature_group_count} groups {shapes}")
    if c // feature_group_count != i:
        raise shape_error("conv_general_dilated", f"the lhs has {c} features: split into "
                                                  f"feature_group_count={feature_group_count} "
                                                  f"groups they must match the rhs's {i} "
                                                  f"input features {shapes}")
    for what, g in groups.items():
        if o % g:
            raise shape_error("conv_general_dilated", f"the rhs's {o} output features must "
                                                      f"split evenly into {what}={g} groups "
                                                      f"{shapes}")
    if n % batch_group_count:
        raise shape_error("conv_general_dilated", f"the lhs batch of {n} must split evenly "
                                                  f"into batch_group_count={batch_group_count}"
                                                  f" groups {shapes}")
    kernel = tuple(rhs.shape[d] for d in rhs_spec[2:])
    if any(k == 0 for k in kernel):
        raise shape_error("conv_general_dilated", f"the kernel's spatial dimensions {kernel} "
                                                  "must all be non-empty")
    out = [0] * lhs.ndim
    out[out_spec[0]] = n // batch_group_count
    out[out_spec[1]] = o
    for k, (d, size) in enumerate(zip(lhs_spec[2:], kernel, strict=True)):
        lo, hi = (operator.index(p) for p in padding[k])
        padded = dilated_size(lhs.shape[d], lhs_dilation[k]) + lo + hi
        if padded < 0:
            raise shape_error("conv_general_dilated", f"padding {padding[k]} crops more than "
                                                      f"the {lhs.shape[d]} elements of lhs "
                                                      f"dimension {d} {shapes}")
        extent = dilated_size(size, rhs_dilation[k])
        out[out_spec[2 + k]] = 0 if padded < extent else (padded - extent) // strides[k] + 1
    return ShapedArray(tuple(out), dtype, weak)

