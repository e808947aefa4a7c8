"""Transpose rules of conv_general_dilated, which is linear in each operand.

Per spatial dimension (kernel size k, stride s, padding lo, lhs dilation d, rhs
dilation r), output o reads lhs element i with kernel tap j where
``o*s + j*r = lo + i*d``. Ignoring space, the feature dimensions contract like a
matmul ([n, c] [c, o] -> [n, o]); the cotangents are convolutions again:

- lhs: the cotangent, dilated by s, convolved with the spatially reversed kernel
  at stride d and rhs dilation r, padded (k-1)*r - lo low and so that the result
  has the lhs's length high. The kernel's feature roles swap ([n, o] [o, c]). With
  G feature groups the kernel's G output-feature blocks move into its input
  feature dimension (still G feature groups). With B batch groups the same move
  gives a B-feature-group convolution whose B feature blocks are the lhs's B
  batch blocks, moved back at the end.
- rhs: the lhs (batch and feature roles swapped) convolved with the cotangent as
  kernel (its batch is contracted), at stride r, kernel dilation s and lhs
  dilation d, padded lo low and up to the last element the forward pass read
  high. The groups change kind: G feature groups become G batch groups (each
  group of lhs features meets its block of cotangent features) and B batch
  groups become B feature groups.

Like every transpose rule, a plain transpose, never conjugated. With a
preferred_element_type the cotangent is wider than the operands: the other
operand is widened to it and the result narrowed back to the operand's dtype.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from funcgrad import primitives as P
from funcgrad.core import ShapedArray
from funcgrad.errors import UnsupportedError
from funcgrad.primitives.convolution import ConvDimensionNumbers, Pads, dilated_size
from funcgrad.transforms.programs import aval, convert, is_undefined, zeros
from funcgrad.transforms.transpose.interpreter import transpose_rules


def _swapped(spec: Sequence[int]) -> tuple[int, ...]:
    """A spec with its first two roles exchanged (batch and feature, or output and
    input feature)."""
    return (spec[1], spec[0], *spec[2:])


def _blocks_to(x: Any, src: int, dst: int, groups: int) -> Any:
    """`x` with axis `src` split into `groups` blocks (group-major) and those blocks
    moved to the front of axis `dst`: (..., groups * A, ..., B, ...) -> (..., A, ...,
    groups * B, ...)."""
    shape = list(aval(x).shape)
    split = [*shape[:src], groups, shape[src] // groups, *shape[src + 1:]]
    x = P.reshape_p.bind(x, new_sizes=tuple(split))   # the group axis sits at src
    rest = [i for i in range(len(split)) if i != src]
    at = rest.index(dst + (dst > src))                # where dst sits among the others
    perm = [*rest[:at], src, *rest[at:]]
    x = P.transpose_p.bind(x, permutation=tuple(perm))
    merged = [split[i] for i in perm]
    merged[at:at + 2] = [merged[at] * merged[at + 1]]
    return P.reshape_p.bind(x, new_sizes=tuple(merged))


def _lhs_cotangent(ct: Any, rhs: Any, lhs_aval: ShapedArray, *,
                   window_strides: tuple[int, ...], padding: Pads,
                   lhs_dilation: tuple[int, ...], rhs_dilation: tuple[int, ...],
                   dimension_numbers: ConvDimensionNumbers, feature_group_count: int,
                   batch_group_count: int, precision: Any) -> Any:
    lhs_spec, rhs_spec, out_spec = dimension_numbers
    ct_shape, rhs_shape = aval(ct).shape, aval(rhs).shape
    groups = max(feature_group_count, batch_group_count)
    kernel = convert(rhs, aval(ct).dtype)
    if groups > 1:      # output-feature blocks -> input-feature blocks
        kernel = _blocks_to(kernel, rhs_spec[0], rhs_spec[1], groups)
    kernel = P.rev_p.bind(kernel, dimensions=tuple(rhs_spec[2:]))
    pads = []
    for k in range(len(window_strides)):
        n, size, m = (lhs_aval.shape[lhs_spec[2 + k]], rhs_shape[rhs_spec[2 + k]],
                      ct_shape[out_spec[2 + k]])
        extent = dilated_size(size, rhs_dilation[k])
        lo = extent - 1 - padding[k][0]
        hi = (dilated_size(n, lhs_dilation[k]) + extent - 1
              - dilated_size(m, window_strides[k]) - lo)
        pads.append((lo, hi))
    out = P.conv_general_dilated_p.bind(
        ct, kernel, window_strides=lhs_dilation, padding=tuple(pads),
        lhs_dilation=window_strides, rhs_dilation=rhs_dilation,
        dimension_numbers=ConvDimensionNumbers(out_spec, _swapped(rhs_spec), lhs_spec),
        feature_group_count=groups, batch_group_count=1, precision=precision,
        preferred_element_type=None)
    if batch_group_count > 1:   # feature blocks -> batch blocks
        out = _blocks_to(out, lhs_spec[1], lhs_spec[0], batch_group_count)
    return convert(out, lhs_aval.dtype)


def _rhs_cotangent(ct: Any, lhs: Any, rhs_aval: ShapedArray, *,
                   window_strides: tuple[int, ...], padding: Pads,
                   lhs_dilation: tuple[int, ...], rhs_dilation: tuple[int, ...],
                   dimension_numbers: ConvDimensionNumbers, feature_group_count: int,
                   batch_group_count: int, precision: Any) -> Any:
    lhs_spec, rhs_spec, out_spec = dimension_numbers
    ct_shape, lhs_shape = aval(ct).shape, aval(lhs).shape
    pads = []
    for k in range(len(window_strides)):
        n, size, m = (lhs_shape[lhs_spec[2 + k]], rhs_aval.shape[rhs_spec[2 + k]],
                      ct_shape[out_spec[2 + k]])
        lo = padding[k][0]
        hi = (dilated_size(m, window_strides[k]) + dilated_size(size, rhs_dilation[k]) - 1
              - dilated_size(n, lhs_dilation[k]) - lo)
        pads.append((lo, hi))
    out = P.conv_general_dilated_p.bind(
        convert(lhs, aval(ct).dtype), ct, window_strides=rhs_dilation, padding=tuple(pads),
        lhs_dilation=lhs_dilation, rhs_dilation=window_strides,
        dimension_numbers=ConvDimensionNumbers(_swapped(lhs_spec), _swapped(out_spec),
                                               _swapped(rhs_spec)),
        feature_group_count=batch_group_count, batch_group_count=feature_group_count,
        precision=precision, preferred_element_type=None)
    return convert(out, rhs_aval.dtype)


def _conv_general_dilated_transpose(ct: Any, lhs: Any, rhs: Any, *,
                                    preferred_element_type: Any,
                                    **params: Any) -> list[Any]:
    if is_undefined(lhs) and is_undefined(rhs):
        raise UnsupportedError("cannot transpose conv_general_dilated of two linear values: "
                               "the function is not linear")
    undefined = lhs if is_undefined(lhs) else rhs
    target = undefined.aval.strong()
    # an empty cotangent or operand: nothing flows (and the convolutions below would
    # have empty kernels)
    if aval(ct).size == 0 or aval(lhs).size == 0 or aval(rhs).size == 0:
        return [zeros(target), None] if undefined is lhs else [None, zeros(target)]
    if undefined is lhs:
        return [_lhs_cotangent(ct, rhs, target, **params), None]
    return [None, _rhs_cotangent(ct, lhs, target, **params)]


transpose_rules[P.conv_general_dilated_p] = _conv_general_dilated_transpose
