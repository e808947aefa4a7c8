"""Convolutions of ``funcgrad.lax``, with JAX's names and signatures, all made of the
one primitive `conv_general_dilated` (XLA's ConvGeneralDilated).

Dimension numbers come as None (the canonical NCHW.../OIHW.../NCHW... layout), a
`ConvDimensionNumbers` of positions, or JAX's strings such as ``('NHWC', 'HWIO',
'NHWC')``: 'N' batch, 'C' feature, 'O'/'I' the kernel's output/input features, and
any other letter a spatial dimension, matched across the three by letter and
ordered as the kernel's string lists them. Padding is explicit (low, high) pairs
or 'VALID', 'SAME', 'SAME_LOWER'.

Precision is honoured, not merely accepted: None, a `Precision` (or its string
names), or a pair of them (lhs, rhs) lowers to StableHLO's ``precision_config``.
Dot algorithms (`DotAlgorithm`, `DotAlgorithmPreset`) are not offered for
convolutions and raise.
"""
from __future__ import annotations

import enum
import math
import operator
from collections.abc import Sequence
from typing import Any

import numpy as np

from funcgrad import dtypes
from funcgrad import primitives as P
from funcgrad.errors import UnsupportedError
from funcgrad.lax.enums import DotAlgorithm, DotAlgorithmPreset, Precision
from funcgrad.numpy._util import asarray_operand, aval_of
from funcgrad.primitives.convolution import ConvDimensionNumbers, dilated_size

__all__ = ["ConvDimensionNumbers", "ConvGeneralDilatedDimensionNumbers", "Precision", "conv",
           "conv_dimension_numbers", "conv_general_dilated", "conv_general_dilated_local",
           "conv_general_dilated_patches", "conv_general_permutations",
           "conv_general_shape_tuple", "conv_shape_tuple", "conv_transpose",
           "conv_transpose_shape_tuple", "conv_with_general_padding", "padtype_to_pads"]

# What dimension_numbers may be: None (canonical), positions, or layout strings.
ConvGeneralDilatedDimensionNumbers = ConvDimensionNumbers | tuple[str, str, str] | None


# ---------------------------------------------------------------------------
# params


def conv_dimension_numbers(lhs_shape: Sequence[int], rhs_shape: Sequence[int],
                           dimension_numbers: Any) -> ConvDimensionNumbers:
    """`dimension_numbers` (None, a ConvDimensionNumbers or three layout strings) as
    a ConvDimensionNumbers of positions for operands of these shapes.

    Raises TypeError for ranks that differ, or strings that are not layouts of
    that rank with one batch/feature pair each and the same spatial letters.

    >>> conv_dimension_numbers((1, 8, 8, 3), (3, 3, 3, 16), ("NHWC", "HWIO", "NHWC"))
    ConvDimensionNumbers(lhs_spec=(0, 3, 1, 2), rhs_spec=(3, 2, 0, 1), out_spec=(0, 3, 1, 2))
    """
    if isinstance(dimension_numbers, ConvDimensionNumbers):
        return dimension_numbers
    nd = len(lhs_shape)
    if nd != len(rhs_shape):
        raise TypeError(f"convolution needs lhs and rhs of one rank, got shapes "
                        f"{tuple(lhs_shape)} and {tuple(rhs_shape)}")
    if dimension_numbers is None:
        iota = tuple(range(nd))
        return ConvDimensionNumbers(iota, iota, iota)
    if not isinstance(dimension_numbers, (tuple, list)) or len(dimension_numbers) != 3:
        raise TypeError(f"convolution dimension_numbers must be None, a ConvDimensionNumbers "
                        f"or three layout strings (lhs, rhs, out), got {dimension_numbers!r:.80}")
    if not all(isinstance(s, str) for s in dimension_numbers):
        raise TypeError(f"convolution dimension_numbers must be strings such as 'NCHW', got "
                        f"{dimension_numbers!r:.80}")
    for what, s in zip(("lhs", "rhs", "out"), dimension_numbers, strict=True):
        if len(s) != nd:
            raise TypeError(f"convolution dimension_numbers: the {what} layout {s!r} must "
                            f"have one letter per dimension of the operands ({nd})")
    return ConvDimensionNumbers(*conv_general_permutations(dimension_numbers))


def conv_general_permutations(dimension_numbers: Sequence[str]
                              ) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
    """The positions, in canonical order, of three layout strings' dimensions: lhs
    ('N', 'C', spatial...), rhs ('O', 'I', spatial...), out ('N', 'C', spatial...),
    the spatial letters ordered as the rhs layout lists them.

    >>> conv_general_permutations(("NHWC", "HWIO", "NCHW"))
    ((0, 3, 1, 2), (3, 2, 0, 1), (0, 1, 2, 3))
    """
    lhs, rhs, out = dimension_numbers
    for what, s, pair in (("lhs", lhs, "NC"), ("rhs", rhs, "OI"), ("out", out, "NC")):
        if s.count(pair[0]) != 1 or s.count(pair[1]) != 1 or len(set(s)) != len(s):
            raise TypeError(f"convolution dimension_numbers: the {what} layout {s!r} must "
                            f"hold '{pair[0]}' and '{pair[1]}' once each and no letter twice")
    spatial = [c for c in rhs if c not in "OI"]
    if set(lhs) - set("NC") != set(spatial) or set(out) - set("NC") != set(spatial):
        raise TypeError(f"convolution dimension_numbers {tuple(dimension_numbers)} must name "
                        "the same spatial letters in all three layouts")
    return ((lhs.index("N"), lhs.index("C"), *(lhs.index(c) for c in spatial)),
            (rhs.index("O"), rhs.index("I"), *(rhs.index(c) for c in spatial)),
            (out.index("N"), out.index("C"), *(out.index(c) for c in spatial)))


def padtype_to_pads(in_shape: Sequence[int], window_shape: Sequence[int],
                    window_strides: Sequence[int], padding: str) -> list[tuple[int, int]]:
    """The (low, high) pads that 'VALID', 'SAME' or 'SAME_LOWER' mean for windows of
    `window_shape` sliding over `in_shape` at `window_strides`: none, or enough for
    ceil(n / stride) windows, split evenly with the odd one high (SAME) or low
    (SAME_LOWER).

    NB: an unknown padding string raises ValueError (JAX: RuntimeError).

    >>> padtype_to_pads((5,), (3,), (2,), "SAME")
    [(1, 1)]
    """
    if not isinstance(padding, str) or padding.upper() not in ("VALID", "SAME", "SAME_LOWER"):
        raise ValueError(f"padding must be 'VALID', 'SAME' or 'SAME_LOWER', got {padding!r:.60}")
    kind = padding.upper()
    if not len(in_shape) == len(window_shape) == len(window_strides):
        raise ValueError(f"padtype_to_pads: in_shape {tuple(in_shape)}, window_shape "
                         f"{tuple(window_shape)} and window_strides {tuple(window_strides)} "
                         "need one length")
    if kind == "VALID":
        return [(0, 0)] * len(in_shape)
    pads = []
    for n, k, s in zip(in_shape, window_shape, window_strides, strict=True):
        n, k, s = int(n), int(k), int(s)
        total = max((-(-n // s) - 1) * s + k - n, 0)
        small, big = total // 2, total - total // 2
        pads.append((small, big) if kind == "SAME" else (big, small))
    return pads


def conv_shape_tuple(lhs_shape: Sequence[int], rhs_shape: Sequence[int],
                     strides: Sequence[int], pads: str | Sequence[tuple[int, int]],
                     batch_group_count: int = 1) -> tuple[int, ...]:
    """The output shape of a convolution of operands in the canonical layout (NC...,
    OI...), without dilation.

    >>> conv_shape_tuple((2, 3, 8, 8), (4, 3, 3, 3), (2, 2), "SAME")
    (2, 4, 4, 4)
    """
    if isinstance(pads, str):
        pads = padtype_to_pads(lhs_shape[2:], rhs_shape[2:], strides, pads)
    if len(pads) != len(lhs_shape) - 2:
        raise TypeError(f"convolution: {len(lhs_shape) - 2} (low, high) pads needed for lhs "
                        f"shape {tuple(lhs_shape)}, got {len(pads)}")
    out = [int(lhs_shape[0]) // batch_group_count, int(rhs_shape[0])]
    for n, k, s, (lo, hi) in zip(lhs_shape[2:], rhs_shape[2:], strides, pads, strict=True):
        padded = int(n) + lo + hi
        if padded < 0:
            raise ValueError(f"convolution: padding {(lo, hi)} crops more than the {n} "
                             f"elements of lhs shape {tuple(lhs_shape)}")
        out.append(max((padded - int(k)) // int(s) + 1, 0))
    return tuple(out)


def _canonical(shape: Sequence[int], perm: Sequence[int]) -> tuple[int, ...]:
    return tuple(int(shape[d]) for d in perm)


def _laid_out(canonical: Sequence[int], perm: Sequence[int]) -> tuple[int, ...]:
    out = [0] * len(perm)
    for size, d in zip(canonical, perm, strict=True):
        out[d] = size
    return tuple(out)


def conv_general_shape_tuple(lhs_shape: Sequence[int], rhs_shape: Sequence[int],
                             window_strides: Sequence[int],
                             padding: str | Sequence[tuple[int, int]],
                             dimension_numbers: Sequence[str]) -> tuple[int, ...]:
    """The output shape of a convolution of operands laid out as the three layout
    strings say, without dilation.

    >>> conv_general_shape_tuple((2, 8, 8, 3), (3, 3, 3, 4), (2, 2), "SAME",
    ...                          ("NHWC", "HWIO", "NHWC"))
    (2, 4, 4, 4)
    """
    lhs_perm, rhs_perm, out_perm = conv_general_permutations(dimension_numbers)
    out = conv_shape_tuple(_canonical(lhs_shape, lhs_perm), _canonical(rhs_shape, rhs_perm),
                           window_strides, padding)
    return _laid_out(out, out_perm)


def conv_transpose_shape_tuple(lhs_shape: Sequence[int], rhs_shape: Sequence[int],
                               window_strides: Sequence[int],
                               padding: str | Sequence[tuple[int, int]],
                               dimension_numbers: Sequence[str]) -> tuple[int, ...]:
    """The output shape of `conv_transpose` (padding 'SAME', 'VALID' or the pairs
    that pad the dilated lhs) for operands laid out as the layout strings say.

    >>> conv_transpose_shape_tuple((1, 3, 1), (2, 1, 1), (2,), "SAME", ("NHC", "HIO", "NHC"))
    (1, 6, 1)
    """
    lhs_perm, rhs_perm, out_perm = conv_general_permutations(dimension_numbers)
    lhs, rhs = _canonical(lhs_shape, lhs_perm), _canonical(rhs_shape, rhs_perm)
    if isinstance(padding, str):
        padding = [_transpose_pads(k, s, padding) for k, s in zip(rhs[2:], window_strides,
                                                                    strict=True)]
    space = [(n - 1) * s - k + 2 + lo + hi for n, k, s, (lo, hi) in zip(
        lhs[2:], rhs[2:], window_strides, padding, strict=True)]
    return _laid_out((lhs[0], rhs[0], *space), out_perm)

def _ints(name: str, what: str, value: Any, n: int) -> tuple[int, ...]:
    try:
        out = tuple(operator.index(v) for v in value)
    except TypeError:
        raise TypeError(f"{name}: {what} must be a sequence of ints, got {value!r:.80}") from None
    if len(out) != n:
        raise ValueError(f"{name}: {what} {out} needs one entry per spatial dimension ({n})")
    return out


def _pairs(name: str, padding: Any, n: int) -> tuple[tuple[int, int], ...]:
    try:
        out = tuple((operator.index(lo), operator.index(hi)) for lo, hi in padding)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: padding must be 'VALID', 'SAME', 'SAME_LOWER' or a sequence "
                         f"of (low, high) int pairs, got {padding!r:.80}") from None
    if len(out) != n:
        raise ValueError(f"{name}: padding {out} needs one (low, high) pair per spatial "
                         f"dimension ({n})")
    return out


def _member(p: Any) -> Precision:
    """A Precision from a member, its name, or a member of another library's
    Precision enum (jax.lax.Precision), read by name."""
    if isinstance(p, enum.Enum) and not isinstance(p, Precision):
        p = p.name
    return Precision(p.lower() if isinstance(p, str) else p)


def _precision(name: str, precision: Any) -> tuple[Precision, Precision] | None:
    """`precision` as the primitive's param: None or a (lhs, rhs) pair of members."""
    if precision is None:
        return None
    if isinstance(precision, (DotAlgorithm, DotAlgorithmPreset)) or (
            isinstance(precision, str) and precision in DotAlgorithmPreset.__members__):
        raise UnsupportedError(f"{name}: dot algorithms ({precision!r:.60}) are not offered for "
                               "convolutions; pass a lax.Precision (or a pair of them)")
    given = (precision, precision) if isinstance(precision, (str, enum.Enum)) else precision
    try:
        lhs, rhs = given
        return _member(lhs), _member(rhs)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: precision must be None, a lax.Precision, one of its names "
                         f"('default', 'high', 'highest', ...) or a pair of those, got "
                         f"{precision!r:.80}") from None


def _preferred(preferred_element_type: Any) -> np.dtype | None:
    return None if preferred_element_type is None else dtypes.canonicalize(preferred_element_type)


# ---------------------------------------------------------------------------
# the general convolution and its wrappers


def conv_general_dilated(lhs: Any, rhs: Any, window_strides: Sequence[int],
                         padding: str | Sequence[tuple[int, int]],
                         lhs_dilation: Sequence[int] | None = None,
                         rhs_dilation: Sequence[int] | None = None,
                         dimension_numbers: Any = None, feature_group_count: int = 1,
                         batch_group_count: int = 1, precision: Any = None,
                         preferred_element_type: Any = None, out_sharding: Any = None) -> Any:
    """The general n-d convolution: `lhs` dilated by `lhs_dilation`, padded, and
    the kernel `rhs`, dilated by `rhs_dilation`, slid over it at `window_strides`,
    contracting features (in `feature_group_count` groups, or over
    `batch_group_count` groups of the batch).

    Args:
      lhs, rhs: arrays of one rank n + 2 and one dtype.
      window_strides: n ints. padding: n (low, high) pairs, or 'VALID', 'SAME',
        'SAME_LOWER' (which need lhs_dilation of ones; see conv_transpose).
      lhs_dilation, rhs_dilation: n ints, ones by default.
      dimension_numbers: None, a ConvDimensionNumbers or three layout strings.
      precision: None, a Precision or its name, or a pair (lhs, rhs) of those.
      preferred_element_type: the dtype to accumulate and return in.
      out_sharding: None only; NB: lay the result out with
        lax.with_sharding_constraint instead.

    Returns the convolution, laid out as the output spec says.

    Raises ShapeError (a ValueError) for feature or group counts that do not
    match, DTypeError (a TypeError) for operands of two dtypes, TypeError for
    malformed dimension numbers, ValueError for malformed padding or params.

    >>> x, w = np.ones((1, 1, 5)), np.ones((1, 1, 3))
    >>> conv_general_dilated(x, w, (1,), "SAME").tolist()
    [[[2.0, 3.0, 3.0, 3.0, 2.0]]]
    """
    name = "conv_general_dilated"
    if out_sharding is not None:
        raise UnsupportedError(f"{name}: out_sharding is not offered; apply "
                               "lax.with_sharding_constraint to the result")
    lhs, rhs = asarray_operand(lhs), asarray_operand(rhs)
    lhs_shape, rhs_shape = aval_of(lhs).shape, aval_of(rhs).shape
    dn = conv_dimension_numbers(lhs_shape, rhs_shape, dimension_numbers)
    nsp = len(lhs_shape) - 2
    strides = _ints(name, "window_strides", window_strides, nsp)
    lhs_dil = (1,) * nsp if lhs_dilation is None else _ints(name, "lhs_dilation",
                                                            lhs_dilation, nsp)
    rhs_dil = (1,) * nsp if rhs_dilation is None else _ints(name, "rhs_dilation",
                                                            rhs_dilation, nsp)
    if isinstance(padding, str):
        if any(d != 1 for d in lhs_dil):
            raise ValueError(f"{name}: string padding ({padding!r}) with lhs_dilation "
                             f"{lhs_dil} is ambiguous; give explicit (low, high) pairs, or "
                             "use conv_transpose")
        window = [dilated_size(rhs_shape[d], r) for d, r in zip(dn.rhs_spec[2:], rhs_dil,
                                                                 strict=True)]
        pads = tuple(padtype_to_pads([lhs_shape[d] for d in dn.lhs_spec[2:]], window,
                                     strides, padding))
    else:
        pads = _pairs(name, padding, nsp)
    return P.conv_general_dilated_p.bind(
        lhs, rhs, window_strides=strides, padding=pads, lhs_dilation=lhs_dil,
        rhs_dilation=rhs_dil, dimension_numbers=dn,
        feature_group_count=operator.index(feature_group_count),
        batch_group_count=operator.index(batch_group_count),
        precision=_precision(name, precision),
        preferred_element_type=_preferred(preferred_element_type))


def conv(lhs: Any, rhs: Any, window_strides: Sequence[int], padding: str,
         precision: Any = None, preferred_element_type: Any = None) -> Any:
    """`conv_general_dilated` in the NCHW.../OIHW... layout, without dilation.

    >>> conv(np.ones((1, 1, 4, 4)), np.ones((1, 1, 2, 2)), (2, 2), "VALID").shape
    (1, 1, 2, 2)
    """
    return conv_general_dilated(lhs, rhs, window_strides, padding, precision=precision,
                                preferred_element_type=preferred_element_type)


def conv_with_general_padding(lhs: Any, rhs: Any, window_strides: Sequence[int],
                              padding: str | Sequence[tuple[int, int]],
                              lhs_dilation: Sequence[int] | None,
                              rhs_dilation: Sequence[int] | None, precision: Any = None,
                              preferred_element_type: Any = None) -> Any:
    """`conv_general_dilated` in the NCHW.../OIHW... layout, with dilations.

    >>> conv_with_general_padding(np.ones((1, 1, 4)), np.ones((1, 1, 2)), (1,),
    ...                           [(1, 1)], None, (2,)).shape
    (1, 1, 4)
    """
    return conv_general_dilated(lhs, rhs, window_strides, padding, lhs_dilation=lhs_dilation,
                                rhs_dilation=rhs_dilation, precision=precision,
                                preferred_element_type=preferred_element_type)


_TRANSPOSE_LAYOUTS = {2: ("NC", "IO", "NC"), 3: ("NHC", "HIO", "NHC"),
                      4: ("NHWC", "HWIO", "NHWC"), 5: ("NHWDC", "HWDIO", "NHWDC")}


def _transpose_pads(k: int, s: int, padding: Any) -> tuple[int, int]:
    """One dimension's padding of the dilated-input convolution that undoes a
    forward convolution of (dilated) kernel size k, stride s and `padding`."""
    if padding == "SAME":
        total = k + s - 2
        low = k - 1 if s > k - 1 else -(-total // 2)
    elif padding == "VALID":
        total = k + s - 2 + max(k - s, 0)
        low = k - 1
    elif isinstance(padding, str):
        raise ValueError(f"conv_transpose: padding {padding!r} has no transposed form; use "
                         "'SAME', 'VALID' or (low, high) pairs")
    else:
        lo, hi = padding
        low, total = k - lo - 1, 2 * k - lo - hi - 2
    return low, total - low


def conv_transpose(lhs: Any, rhs: Any, strides: Sequence[int],
                   padding: str | Sequence[tuple[int, int]],
                   rhs_dilation: Sequence[int] | None = None, dimension_numbers: Any = None,
                   transpose_kernel: bool = False, precision: Any = None,
                   preferred_element_type: Any = None,
                   use_consistent_padding: bool = False) -> Any:
    """The "transposed" (fractionally strided) convolution: `lhs` dilated by
    `strides` and convolved at stride 1, so the output grows by the strides.

    'SAME' and 'VALID' (and, with ``use_consistent_padding=True``, explicit pairs
    too) name the padding of the forward convolution this one transposes; without
    it explicit pairs pad the dilated lhs directly. The layout defaults to NHWC /
    HWIO (by rank). ``transpose_kernel=True`` flips the kernel's spatial axes and
    swaps its feature axes, giving the gradient of the forward convolution with
    that kernel (Keras's Conv2DTranspose).

    >>> conv_transpose(np.ones((1, 3, 1)), np.ones((2, 1, 1)), (2,), "SAME").shape
    (1, 6, 1)
    """
    name = "conv_transpose"
    lhs, rhs = asarray_operand(lhs), asarray_operand(rhs)
    nd = aval_of(lhs).ndim
    if dimension_numbers is None:
        if nd not in _TRANSPOSE_LAYOUTS:
            raise ValueError(f"{name}: no default layout for rank {nd}; give "
                             "dimension_numbers")
        dimension_numbers = _TRANSPOSE_LAYOUTS[nd]
    dn = conv_dimension_numbers(aval_of(lhs).shape, aval_of(rhs).shape, dimension_numbers)
    nsp = nd - 2
    strides = _ints(name, "strides", strides, nsp)
    rhs_dil = (1,) * nsp if rhs_dilation is None else _ints(name, "rhs_dilation",
                                                            rhs_dilation, nsp)
    kernel = [dilated_size(aval_of(rhs).shape[d], r)
              for d, r in zip(dn.rhs_spec[2:], rhs_dil, strict=True)]
    pads: Any = padding
    if isinstance(padding, str) and padding in ("SAME", "VALID"):
        pads = tuple(_transpose_pads(k, s, padding) for k, s in zip(kernel, strides,
                                                                   strict=True))
    elif use_consistent_padding:
        given = [padding] * nsp if isinstance(padding, str) else _pairs(name, padding, nsp)
        pads = tuple(_transpose_pads(k, s, p) for k, s, p in zip(kernel, strides, given,
                                                                 strict=True))
    if transpose_kernel:
        rhs = P.rev_p.bind(rhs, dimensions=tuple(dn.rhs_spec[2:]))
        perm = list(range(nd))
        perm[dn.rhs_spec[0]], perm[dn.rhs_spec[1]] = dn.rhs_spec[1], dn.rhs_spec[0]
        rhs = P.transpose_p.bind(rhs, permutation=tuple(perm))
    return conv_general_dilated(lhs, rhs, (1,) * nsp, pads, strides, rhs_dil, dn,
                                precision=precision,
                                preferred_element_type=preferred_element_type)


# ---------------------------------------------------------------------------
# patches and unshared (locally connected) convolutions


def conv_general_dilated_patches(lhs: Any, filter_shape: Sequence[int],
                                 window_strides: Sequence[int],
                                 padding: str | Sequence[tuple[int, int]],
                                 lhs_dilation: Sequence[int] | None = None,
                                 rhs_dilation: Sequence[int] | None = None,
                                 dimension_numbers: Any = None, precision: Any = None,
                                 preferred_element_type: Any = None) -> Any:
    """Each window of `lhs` that `conv_general_dilated` with a kernel of spatial
    shape `filter_shape` would read, flattened into the output's feature
    dimension: feature index c * prod(filter_shape) + (position in the window,
    row-major over `filter_shape`).

    It is a convolution with a one-hot kernel, one feature group per lhs feature,
    so it differentiates and batches like one; `precision` applies to the lhs.

    >>> conv_general_dilated_patches(np.ones((1, 2, 4, 4)), (2, 2), (2, 2), "VALID").shape
    (1, 8, 2, 2)
    """
    lhs = asarray_operand(lhs)
    a = aval_of(lhs)
    filter_shape = _ints("conv_general_dilated_patches", "filter_shape", filter_shape,
                         a.ndim - 2)
    dn = conv_dimension_numbers(a.shape, (1, 1, *filter_shape), dimension_numbers)
    size = math.prod(filter_shape)
    channels = a.shape[dn.lhs_spec[1]]
    one_hot = np.eye(size, dtype=a.dtype).reshape(size, 1, *filter_shape)
    kernel = np.moveaxis(np.tile(one_hot, (channels,) + (1,) * (a.ndim - 1)), (0, 1),
                         (dn.rhs_spec[0], dn.rhs_spec[1]))
    lhs_precision = _precision("conv_general_dilated_patches", precision)
    return conv_general_dilated(
        lhs, kernel, window_strides, padding, lhs_dilation, rhs_dilation, dn,
        feature_group_count=channels,
        precision=None if lhs_precision is None else (lhs_precision[0], Precision.DEFAULT),
        preferred_element_type=preferred_element_type)


def conv_general_dilated_local(lhs: Any, rhs: Any, window_strides: Sequence[int],
                               padding: str | Sequence[tuple[int, int]],
                               filter_shape: Sequence[int],
                               lhs_dilation: Sequence[int] | None = None,
                               rhs_dilation: Sequence[int] | None = None,
                               dimension_numbers: Any = None, precision: Any = None) -> Any:
    """An unshared convolution (a locally connected layer): a separate kernel for
    every output position. `rhs` has the output's spatial dimensions where a
    kernel has its window, and its input-feature dimension holds a whole patch
    (as `conv_general_dilated_patches` flattens it); the patches are contracted
    with it position by position.

    NB: the contraction is a dot_general at the backend's default precision, so
    `precision` may only ask for DEFAULT.

    >>> x = np.ones((1, 1, 4))
    >>> conv_general_dilated_local(x, np.ones((5, 2, 3)), (1,), "VALID", (2,)).shape
    (1, 5, 3)
    """
    name = "conv_general_dilated_local"
    wanted = _precision(name, precision)
    if wanted is not None and any(p is not Precision.DEFAULT for p in wanted):
        raise UnsupportedError(f"{name}: precision {precision!r:.60} cannot be honoured (the "
                               "patch contraction runs at the default precision); pass None")
    lhs, rhs = asarray_operand(lhs), asarray_operand(rhs)
    patches = conv_general_dilated_patches(lhs, filter_shape, window_strides, padding,
                                           lhs_dilation, rhs_dilation, dimension_numbers)
    lhs_spec, rhs_spec, out_spec = conv_dimension_numbers(
        aval_of(lhs).shape, (1, 1, *filter_shape), dimension_numbers)
    # batch over the output positions, paired in the order of the output's storage
    pairs = sorted(zip(out_spec[2:], rhs_spec[2:], strict=True))
    dims = (((out_spec[1],), (rhs_spec[1],)),
            (tuple(p for p, _ in pairs), tuple(r for _, r in pairs)))
    out = P.dot_general_p.bind(patches, rhs, dimension_numbers=dims)
    # out: positions (in storage order), then the batch, then the output features
    nd = aval_of(out).ndim
    rest = iter(range(nd - 2))
    perm = [nd - 2 if d == out_spec[0] else nd - 1 if d == out_spec[1] else next(rest)
            for d in range(nd)]
    return P.transpose_p.bind(out, permutation=tuple(perm))
