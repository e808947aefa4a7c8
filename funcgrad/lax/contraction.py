"""lax's contractions and its FFT: dot_general with JAX's options, dot,
batch_matmul, the block-scaled and the ragged (grouped) dots, and fft over the
fft primitive.

``precision`` takes what JAX's does. funcgrad emits XLA's default precision,
which on CPU, and for float64/complex128/integer operands anywhere, is already
the highest, so every precision is honoured there; a request for more than the
default on float32 or narrower operands on an accelerator raises, as does any
dot algorithm but DEFAULT. ``preferred_element_type`` is the result dtype: a
wider one than the operands' is also the accumulation dtype (the operands are
converted first); a narrower one converts the result.

The ragged dots are masked dense dots (each group's rows selected by a mask
built from the group sizes), so they differentiate and batch like dot_general,
at the cost of one product per group.
"""
from __future__ import annotations

import enum
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from funcgrad import dtypes
from funcgrad import primitives as P
from funcgrad.errors import UnsupportedError
from funcgrad.lax.compiler_hints import default_platform
from funcgrad.lax.enums import DotAlgorithm, DotAlgorithmPreset, Precision
from funcgrad.lax.structural import no_sharding
from funcgrad.numpy._util import asarray_operand, aval_of, convert

__all__ = ["DotDimensionNumbers", "FftType", "RaggedDotDimensionNumbers", "batch_matmul", "dot",
           "dot_general", "fft", "ragged_dot", "ragged_dot_general", "scaled_dot"]

DotDimensionNumbers = tuple[tuple[Sequence[int], Sequence[int]],
                            tuple[Sequence[int], Sequence[int]]]

_EXACT_KINDS = "biu"       # integer and boolean products are exact at any precision


def check_precision(fname: str, precision: Any, dtype: np.dtype) -> None:
    """Raise unless funcgrad computes a product of `dtype` operands at `precision`."""
    if precision is None:
        return
    if isinstance(precision, (tuple, list)):
        if len(precision) != 2:
            raise ValueError(f"lax.{fname}: precision must be one value or a pair (lhs, rhs), "
                             f"got {precision!r:.80}")
        for p in precision:
            check_precision(fname, p, dtype)
        return
    if isinstance(precision, DotAlgorithmPreset) or type(precision).__name__ in (
            "DotAlgorithmPreset", "DotAlgorithm") or isinstance(precision, DotAlgorithm):
        if getattr(precision, "name", None) == "DEFAULT":
            return
        raise UnsupportedError(f"lax.{fname}: dot algorithm {precision!r:.80} is not "
                               f"supported; funcgrad computes at XLA's default (pass "
                               f"precision=None or DotAlgorithmPreset.DEFAULT)")
    if isinstance(precision, enum.Enum) and not isinstance(precision, Precision):
        precision = precision.name          # jax.lax.Precision and the like, by name
    try:
        p = Precision(precision.lower() if isinstance(precision, str) else precision)
    except ValueError:
        raise ValueError(f"lax.{fname}: unknown precision {precision!r:.60}; use None, a "
                         f"Precision, its name, or a pair of them") from None
    if p is Precision.DEFAULT or dtype.kind in _EXACT_KINDS or dtype in (
            dtypes.float64, dtypes.complex128):
        return
    platform = default_platform()
    if platform != "cpu":
        raise UnsupportedError(f"lax.{fname}: precision {p} for {dtype} operands on {platform} "
                               f"is not supported (funcgrad computes at XLA's default "
                               f"precision); use float64 operands or precision=None")


def _operands(fname: str, lhs: Any, rhs: Any, precision: Any,
              preferred_element_type: Any) -> tuple[Any, Any, np.dtype | None]:
    """Both operands in the dtype the product is computed in, and the dtype the
    result is converted to afterwards (None: it already has it)."""
    a, b = asarray_operand(lhs), asarray_operand(rhs)
    dt, weak = dtypes.result_type(aval_of(a), aval_of(b))
    check_precision(fname, precision, dt)
    after = None
    if preferred_element_type is not None:
        pref = dtypes.canonicalize(preferred_element_type)
        if pref != dt:
            if np.can_cast(dt, pref, "safe"):
                dt, weak = pref, False
            else:
                after = pref
    return convert(a, dt, weak), convert(b, dt, weak), after


def _dims(fname: str, dimension_numbers: Any) -> Any:
    try:
        (lc, rc), (lb, rb) = dimension_numbers
        return ((tuple(int(d) for d in lc), tuple(int(d) for d in rc)),
                (tuple(int(d) for d in lb), tuple(int(d) for d in rb)))
    except (TypeError, ValueError):
        raise TypeError(f"lax.{fname}: dimension_numbers must be ((lhs_contracting, "
                        f"rhs_contracting), (lhs_batch, rhs_batch)), sequences of ints, got "
                        f"{dimension_numbers!r:.80}") from None


def dot_general(lhs: Any, rhs: Any, dimension_numbers: Any, precision: Any = None,
                preferred_element_type: Any = None, *, out_sharding: Any = None) -> Any:
    """The general contraction: `dimension_numbers` is ``((lhs_contracting,
    rhs_contracting), (lhs_batch, rhs_batch))``; the result's axes are the batch
    axes, then lhs's free axes, then rhs's. Operands of different dtypes are
    promoted (NumPy's rules).

    >>> dot_general(np.ones((2, 3)), np.ones((3, 4)), (((1,), (0,)), ((), ()))).shape
    (2, 4)
    """
    no_sharding("dot_general", out_sharding=out_sharding)
    dims = _dims("dot_general", dimension_numbers)
    a, b, after = _operands("dot_general", lhs, rhs, precision, preferred_element_type)
    out = P.dot_general_p.bind(a, b, dimension_numbers=dims)
    return out if after is None else convert(out, after)


def dot(lhs: Any, rhs: Any, *, dimension_numbers: Any = None, precision: Any = None,
        preferred_element_type: Any = None, out_sharding: Any = None) -> Any:
    """A vector/matrix product (lhs's last axis against rhs's first), or any
    contraction with `dimension_numbers` (as dot_general)."""
    if dimension_numbers is None:
        ls, rs = aval_of(asarray_operand(lhs)).shape, aval_of(asarray_operand(rhs)).shape
        if not (1 <= len(ls) <= 2 and 1 <= len(rs) <= 2 and ls[-1] == rs[0]):
            raise ValueError(f"lax.dot: dimension_numbers must be given unless this is a "
                             f"vector/matrix product with matching inner sizes; got lhs "
                             f"shape {ls} and rhs shape {rs}")
        dimension_numbers = (((len(ls) - 1,), (0,)), ((), ()))
    return dot_general(lhs, rhs, dimension_numbers, precision, preferred_element_type,
                       out_sharding=out_sharding)


def batch_matmul(lhs: Any, rhs: Any, precision: Any = None) -> Any:
    """Matrix products over the last two axes, batched over the leading ones (which
    must match: no broadcasting)."""
    la, ra = aval_of(asarray_operand(lhs)), aval_of(asarray_operand(rhs))
    if min(la.ndim, ra.ndim) < 2:
        raise ValueError(f"lax.batch_matmul: operands must be at least 2-d, got ranks "
                         f"{la.ndim} and {ra.ndim}")
    if la.ndim != ra.ndim:
        raise ValueError(f"lax.batch_matmul: operands must have the same rank, got "
                         f"{la.ndim} and {ra.ndim}")
    batch = tuple(range(la.ndim - 2))
    return dot_general(lhs, rhs, (((la.ndim - 1,), (ra.ndim - 2,)), (batch, batch)), precision)


def _scaled(fname: str, x: Any, scale: Any, contracting: Sequence[int], dt: np.dtype) -> Any:
    """`x` times `scale` in bfloat16, then as `dt`; each scale entry covers a block of
    consecutive positions along the contracting axes (the block size: the axis' size
    over the scale's)."""
    x = convert(asarray_operand(x), dtypes.bfloat16)
    xa = aval_of(x)
    if scale is None:
        return convert(x, dt)
    sc = convert(asarray_operand(scale), dtypes.bfloat16)
    sa = aval_of(sc)
    ok = sa.ndim == xa.ndim and all(
        (d in contracting and s > 0 and n % s == 0) or (d not in contracting and s == n)
        for d, (s, n) in enumerate(zip(sa.shape, xa.shape, strict=True)))
    if not ok:
        raise ValueError(f"lax.{fname}: a scale of shape {sa.shape} does not fit an operand of "
                         f"shape {xa.shape}: it must match on the other axes and divide each "
                         f"contracting axis {tuple(contracting)}")
    wide: list[int] = []
    keep: list[int] = []
    for d, (s, n) in enumerate(zip(sa.shape, xa.shape, strict=True)):
        keep.append(len(wide))
        wide += [s, n // s] if d in contracting else [s]
    blocks = P.broadcast_in_dim_p.bind(sc, shape=tuple(wide), broadcast_dimensions=tuple(keep))
    return convert(P.mul_p.bind(x, P.reshape_p.bind(blocks, new_sizes=xa.shape)), dt)


def scaled_dot(lhs: Any, rhs: Any, *, lhs_scale: Any = None, rhs_scale: Any = None,
               dimension_numbers: Any = None, preferred_element_type: Any = None) -> Any:
    """``dot_general(lhs * lhs_scale, rhs * rhs_scale)`` accumulated in
    `preferred_element_type` (bfloat16, the default, or float32), each scale entry
    scaling a block of consecutive entries along the contracting axes (block-scaled,
    "microscaling" formats). As in JAX, operands and scales are rounded to bfloat16
    and multiplied there first (their formats, 8-bit floats, fit in it exactly).
    The default dimension numbers are a batched matrix product over the last two
    axes.
    """
    la = aval_of(asarray_operand(lhs))
    if dimension_numbers is None:
        if la.ndim < 2:
            raise TypeError(f"lax.scaled_dot: operands must be at least 2-d, got rank {la.ndim}")
        n = la.ndim
        dimension_numbers = (((n - 1,), (n - 2,)), (tuple(range(n - 2)), tuple(range(n - 2))))
    dims = _dims("scaled_dot", dimension_numbers)
    dt = dtypes.bfloat16 if preferred_element_type is None else dtypes.canonicalize(
        preferred_element_type)
    if dt not in (dtypes.bfloat16, dtypes.float32):
        raise TypeError(f"lax.scaled_dot: preferred_element_type must be bfloat16 or float32, "
                        f"got {dt}")
    (lc, rc), _ = dims
    a = _scaled("scaled_dot", lhs, lhs_scale, lc, dt)
    b = _scaled("scaled_dot", rhs, rhs_scale, rc, dt)
    return P.dot_general_p.bind(a, b, dimension_numbers=dims)


# ---------------------------------------------------------------------------
# ragged dots


class RaggedDotDimensionNumbers(NamedTuple):
    """A ragged dot's dimensions: the dot's ``((lhs_contracting, rhs_contracting),
    (lhs_batch, rhs_batch))``, lhs's one ragged dimension, and rhs's group
    dimension (one when the ragged dimension is a free dimension of lhs, else
    none)."""

    dot_dimension_numbers: Any
    lhs_ragged_dimensions: Sequence[int]
    rhs_group_dimensions: Sequence[int]


def _group_mask(gs: Any, prefix: Sequence[int], ragged: int, shape: tuple[int, ...]) -> Any:
    """A bool of shape ``(g, *shape)``: entry [j, ...] tells whether the position along
    axis `ragged` lies in group j, whose size `gs` (``(*prefix sizes, g)``) gives for
    the positions of the `prefix` axes of `shape`."""
    ga = aval_of(gs)
    r = shape[ragged]
    ends = P.cumsum_p.bind(gs, axis=ga.ndim - 1, reverse=False)
    starts = P.sub_p.bind(ends, gs)
    full = (*ga.shape, r)
    keep = tuple(range(ga.ndim))
    pos = P.iota_p.bind(dtype=ga.dtype, shape=full, dimension=ga.ndim)
    lo = P.broadcast_in_dim_p.bind(starts, shape=full, broadcast_dimensions=keep)
    hi = P.broadcast_in_dim_p.bind(ends, shape=full, broadcast_dimensions=keep)
    inside = P.and_p.bind(P.le_p.bind(lo, pos), P.lt_p.bind(pos, hi))
    # axes of `inside`: (*prefix, g, ragged); their places in (g, *shape):
    target = [1 + p for p in prefix] + [0, 1 + ragged]
    order = sorted(range(len(target)), key=lambda i: target[i])
    if order != list(range(len(target))):
        inside = P.transpose_p.bind(inside, permutation=tuple(order))
    return P.broadcast_in_dim_p.bind(inside, shape=(ga.shape[-1], *shape),
                                     broadcast_dimensions=tuple(sorted(target)))


def _masked(x: Any, mask: Any) -> Any:
    """`x` copied once per group, zero outside the group (a select: no inf * 0)."""
    xa = aval_of(x)
    g = aval_of(mask).shape[0]
    wide = P.broadcast_in_dim_p.bind(x, shape=(g, *xa.shape),
                                     broadcast_dimensions=tuple(range(1, xa.ndim + 1)))
    zero = P.broadcast_in_dim_p.bind(convert(0, xa.dtype, xa.weak_type), shape=(g, *xa.shape),
                                     broadcast_dimensions=())
    return P.select_n_p.bind(mask, zero, wide)


def _prefix(free_or_contract: Sequence[int], batch: Sequence[int], ragged: int) -> list[int]:
    """The axes group sizes may vary over: the batch axes, then those of the ragged
    axis' kind that come before it."""
    kind = list(free_or_contract)
    return [*batch, *kind[:kind.index(ragged)]]


def _ragged_dnums(dn: Any) -> tuple[Any, tuple[int, ...], tuple[int, ...]]:
    try:
        dims = _dims("ragged_dot_general", dn.dot_dimension_numbers)
        ragged = tuple(int(d) for d in dn.lhs_ragged_dimensions)
        group = tuple(int(d) for d in dn.rhs_group_dimensions)
    except (AttributeError, TypeError, ValueError):
        raise TypeError(f"lax.ragged_dot_general: ragged_dot_dimension_numbers must be a "
                        f"RaggedDotDimensionNumbers, got {dn!r:.80}") from None
    return dims, ragged, group


def ragged_dot_general(lhs: Any, rhs: Any, group_sizes: Any,
                       ragged_dot_dimension_numbers: Any, precision: Any = None,
                       preferred_element_type: Any = None, group_offset: Any = None,
                       out_sharding: Any = None) -> Any:
    """A dot_general whose lhs is split into consecutive groups along its ragged
    dimension, of `group_sizes` (shape ``(g,)``, or per position of the batch axes and
    the axes of the ragged one's kind before it, then g). Positions past the last
    group count in no group. Three modes, by the ragged dimension's kind:

    - a free dimension of lhs: group j is multiplied with slice j of rhs's group
      dimension (the result is dot_general's, without that dimension);
    - a contracting dimension: one product per group over that group's part of the
      contraction, stacked along a new leading axis of size g;
    - a batch dimension: the plain dot_general (each batch entry is its own product).

    `group_offset` is not supported (JAX does not implement it either).
    """
    no_sharding("ragged_dot_general", out_sharding=out_sharding)
    if group_offset is not None:
        raise UnsupportedError("lax.ragged_dot_general: group_offset is not supported; "
                               "slice group_sizes instead")
    dims, ragged, group = _ragged_dnums(ragged_dot_dimension_numbers)
    (lc, rc), (lb, rb) = dims
    a, b, after = _operands("ragged_dot_general", lhs, rhs, precision, preferred_element_type)
    la, ra = aval_of(a), aval_of(b)
    gs = asarray_operand(group_sizes)
    ga = aval_of(gs)
    if not dtypes.is_integer(ga.dtype) or ga.ndim == 0:
        raise TypeError(f"lax.ragged_dot_general: group_sizes must be an integer array of "
                        f"at least one axis, got {ga.str_short()}")
    if len(ragged) != 1 or not 0 <= ragged[0] < la.ndim:
        raise ValueError(f"lax.ragged_dot_general: lhs_ragged_dimensions must name one axis "
                         f"of lhs (rank {la.ndim}), got {ragged}")
    rd = ragged[0]
    free = [d for d in range(la.ndim) if d not in lc and d not in lb]
    g = ga.shape[-1]
    if rd in free:
        if len(group) != 1 or not 0 <= group[0] < ra.ndim or group[0] in rc or group[0] in rb:
            raise ValueError(f"lax.ragged_dot_general: with a free ragged dimension rhs needs "
                             f"one group dimension outside its contracting and batch "
                             f"dimensions, got rhs_group_dimensions={group}")
        g = ra.shape[group[0]]
        prefix = _prefix(free, lb, rd)
    else:
        if group:
            raise ValueError(f"lax.ragged_dot_general: rhs_group_dimensions must be empty "
                             f"unless the ragged dimension is a free one of lhs, got {group}")
        prefix = _prefix(lc, lb, rd) if rd in lc else list(lb[:list(lb).index(rd)])
    want = tuple(la.shape[d] for d in prefix) + (g,)
    if ga.shape != (g,) and ga.shape != want:
        raise ValueError(f"lax.ragged_dot_general: group_sizes must have shape {(g,)} or "
                         f"{want}, got {ga.shape}")
    if rd in lb:     # NB: as JAX, a ragged batch dimension leaves the product unchanged
        out = P.dot_general_p.bind(a, b, dimension_numbers=dims)
        return out if after is None else convert(out, after)
    if ga.shape != want:
        gs = P.broadcast_in_dim_p.bind(gs, shape=want, broadcast_dimensions=(len(want) - 1,))
    up = [d + 1 for d in lc], [d + 1 for d in lb]
    lmask = _group_mask(gs, prefix, rd, la.shape)
    if rd in free:
        out = P.dot_general_p.bind(_masked(a, lmask), b, dimension_numbers=(
            ((0, *up[0]), (group[0], *rc)), (tuple(up[1]), rb)))
    else:
        rr = rc[list(lc).index(rd)]
        rmask = _group_mask(gs, _prefix(rc, rb, rr), rr, ra.shape)
        out = P.dot_general_p.bind(_masked(a, lmask), _masked(b, rmask), dimension_numbers=(
            (tuple(up[0]), tuple(d + 1 for d in rc)),
            ((0, *up[1]), (0, *(d + 1 for d in rb)))))
    return out if after is None else convert(out, after)


def ragged_dot(lhs: Any, rhs: Any, group_sizes: Any, precision: Any = None,
               preferred_element_type: Any = None, group_offset: Any = None,
               out_sharding: Any = None) -> Any:
    """Grouped matrix products: lhs (m, k) is split into consecutive row groups of
    `group_sizes` (g,), and group j is multiplied by rhs[j] (rhs is (g, k, n)); rows
    past the last group give zeros. The result is (m, n).
    """
    la, ra = aval_of(asarray_operand(lhs)), aval_of(asarray_operand(rhs))
    if la.ndim != 2 or ra.ndim != 3:
        raise ValueError(f"lax.ragged_dot: lhs must be (m, k) and rhs (g, k, n), got shapes "
                         f"{la.shape} and {ra.shape}")
    dn = RaggedDotDimensionNumbers((((1,), (1,)), ((), ())), (0,), (0,))
    return ragged_dot_general(lhs, rhs, group_sizes, dn, precision, preferred_element_type,
                              group_offset, out_sharding)


# ---------------------------------------------------------------------------
# fft


class FftType(enum.IntEnum):
    """The transform `lax.fft` computes: complex to complex (FFT, and IFFT with its
    1/n), real to half spectrum (RFFT) and back (IRFFT)."""

    FFT = 0
    IFFT = 1
    RFFT = 2
    IRFFT = 3


def _fft_type(fft_type: Any) -> FftType:
    if isinstance(fft_type, FftType):
        return fft_type
    name = fft_type.name if isinstance(fft_type, enum.Enum) else fft_type
    if isinstance(name, str) and name.upper() in FftType.__members__:
        return FftType[name.upper()]
    raise ValueError(f"lax.fft: unknown fft_type {fft_type!r:.60}; use a FftType or one of "
                     f"'FFT', 'IFFT', 'RFFT', 'IRFFT'")


def fft(x: Any, fft_type: Any, fft_lengths: Sequence[int]) -> Any:
    """The `fft_type` transform over the last ``len(fft_lengths)`` axes (1 to 3).
    FFT/IFFT/IRFFT take real operands as complex ones; RFFT needs a real operand.

    >>> fft(np.ones(4), FftType.FFT, (4,)).tolist()
    [(4+0j), 0j, 0j, 0j]
    """
    kind = _fft_type(fft_type)
    v = asarray_operand(x)
    va = aval_of(v)
    lengths = tuple(int(n) for n in fft_lengths)
    if kind is FftType.RFFT:
        if dtypes.is_complex(va.dtype):
            raise ValueError(f"lax.fft: RFFT needs a real operand, got {va.str_short()}")
        if va.dtype not in (dtypes.float32, dtypes.float64):
            v = convert(v, dtypes.float32 if va.dtype in (dtypes.float16, dtypes.bfloat16)
                        else dtypes.default_float())
    elif not dtypes.is_complex(va.dtype):
        v = convert(v, dtypes.complex64 if va.dtype in (dtypes.float32, dtypes.float16,
                                                        dtypes.bfloat16)
                    else dtypes.default_complex())
    return P.fft_p.bind(v, fft_type=kind.name, fft_lengths=lengths)
