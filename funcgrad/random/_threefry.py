"""The Threefry-2x32 counter-based generator and the raw key operations on it.

A key is a ``uint32[2]`` array. Every random value is a pure function of
(key, counter): the 20-round Threefry-2x32 block cipher (Salmon et al.,
"Parallel random numbers: as easy as 1, 2, 3", SC'11) applied to a counter
array built with `iota`. It is written with funcgrad's own uint32 primitives
(add wraps modulo 2**32, xor, shifts, or), so eager calls, `jit` and `vmap`
compute the same bits on every device.

Keys and streams are derived the way JAX's "partitionable" Threefry derives
them (split = hash of a 64-bit iota, bits = hash of the element's linear
index), so a key built from the same seed yields the same bits as JAX's
``jax.random`` with raw ``uint32[2]`` keys: code ported from JAX keeps its
random numbers.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from funcgrad import dtypes
from funcgrad import primitives as P
from funcgrad.array import from_numpy
from funcgrad.control_flow import scan
from funcgrad.core import ShapedArray
from funcgrad.ir import Literal
from funcgrad.jit import jit
from funcgrad.numpy._util import asarray_operand, aval_of, convert

u32 = dtypes.uint32

# Rotation constants of Threefry-2x32 (Salmon et al., table 4), used four at a time.
_ROTATIONS = ((13, 15, 26, 6), (17, 29, 16, 24))
_PARITY = 0x1BD11BDA          # the key-schedule constant that makes the third key word
_ROUND_GROUPS = 5             # 5 groups of 4 rounds = the standard 20 rounds


def _c32(v: int) -> Literal:
    return Literal(np.uint32(v), ShapedArray((), u32, False))


def _rotl_by(x: Any, r: Any) -> Any:
    return P.or_p.bind(P.shift_left_p.bind(x, r),
                       P.shift_right_logical_p.bind(x, P.sub_p.bind(_c32(32), r)))


def _round_group(carry: tuple[Any, ...], xs: tuple[Any, Any]) -> tuple[tuple[Any, ...], None]:
    """Four rounds, then a key injection; the key words rotate for the next group."""
    x0, x1, ka, kb, kc = carry
    rots, i = xs
    for j in range(4):
        r = P.reshape_p.bind(P.slice_p.bind(rots, start_indices=(j,), limit_indices=(j + 1,),
                                            strides=(1,)), new_sizes=())
        x0 = P.add_p.bind(x0, x1)
        x1 = P.xor_p.bind(_rotl_by(x1, r), x0)
    x0 = P.add_p.bind(x0, ka)
    x1 = P.add_p.bind(P.add_p.bind(x1, kb), i)
    return (x0, x1, kb, kc, ka), None


_GROUP_ROTATIONS = np.array([_ROTATIONS[g % 2] for g in range(_ROUND_GROUPS)], np.uint32)


def threefry2x32(k0: Any, k1: Any, x0: Any, x1: Any) -> tuple[Any, Any]:
    """Threefry-2x32 of the counter pairs (x0, x1) under the key (k0, k1), elementwise.

    All four operands are uint32 and broadcast together; returns two uint32 arrays.
    The five groups of four rounds run as a rolled loop (`scan`), like JAX does on
    CPU: unrolled, XLA copies the ~100 integer ops into every fusion that consumes
    the bits, and a sampler with a few reductions takes seconds to compile.
    """
    shape = P.broadcast_shapes("threefry2x32", *(aval_of(v).shape for v in (k0, k1, x0, x1)))
    ks2 = P.xor_p.bind(P.xor_p.bind(k0, k1), _c32(_PARITY))
    x0 = P.add_p.bind(x0, k0)
    x1 = P.add_p.bind(x1, k1)

    def full(x: Any) -> Any:
        xs = aval_of(x).shape
        return x if xs == shape else P.broadcast_in_dim_p.bind(
            x, shape=shape, broadcast_dimensions=tuple(range(len(shape) - len(xs), len(shape))))

    injections = P.iota_p.bind(dtype=u32, shape=(_ROUND_GROUPS,), dimension=0)
    injections = P.add_p.bind(injections, _c32(1))
    (y0, y1, *_), _ = scan(_round_group, (full(x0), full(x1), k1, ks2, k0),
                           (from_numpy(_GROUP_ROTATIONS), injections))
    return y0, y1


def check_key(key: Any, fname: str) -> Any:
    """`key` as an operand, after checking it is a uint32[2] key."""
    k = asarray_operand(key)
    av = aval_of(k)
    if av.shape != (2,) or av.dtype != u32:
        hint = (" (a batch of keys: map over it with fg.vmap, or index one key)"
                if av.dtype == u32 and av.shape[-1:] == (2,) else "")
        raise TypeError(f"funcgrad.random.{fname}: key must be a uint32[2] array made by "
                        f"funcgrad.random.key(seed) or split(), got {av.str_short()}{hint}")
    return k


def _words(key: Any) -> tuple[Any, Any]:
    k0 = P.reshape_p.bind(P.slice_p.bind(key, start_indices=(0,), limit_indices=(1,),
                                         strides=(1,)), new_sizes=())
    k1 = P.reshape_p.bind(P.slice_p.bind(key, start_indices=(1,), limit_indices=(2,),
                                         strides=(1,)), new_sizes=())
    return k0, k1


def _iota_2x32(shape: tuple[int, ...]) -> tuple[Any, Any]:
    """The (high, low) uint32 words of a row-major 64-bit iota of `shape`."""
    n = int(np.prod(shape, dtype=np.int64))
    if n >= 2 ** 32:
        raise NotImplementedError(f"funcgrad.random: arrays of {n} >= 2**32 random values "
                                  "are not supported; draw them in pieces with split keys")
    lo = P.iota_p.bind(dtype=u32, shape=(n,), dimension=0)
    if shape != (n,):
        lo = P.reshape_p.bind(lo, new_sizes=shape)
    hi = P.broadcast_in_dim_p.bind(_c32(0), shape=shape, broadcast_dimensions=())
    return hi, lo


def _hash_iota(key: Any, shape: tuple[int, ...]) -> tuple[Any, Any]:
    k0, k1 = _words(key)
    hi, lo = _iota_2x32(shape)
    return threefry2x32(k0, k1, hi, lo)


@jit
def _seed_words(seed: Any) -> Any:
    """A traced integer seed -> uint32[2] (high and low words of its 64-bit value)."""
    s = convert(seed, dtypes.int64)
    s = P.convert_element_type_p.bind(s, new_dtype=dtypes.uint64, weak_type=False)
    hi = P.convert_element_type_p.bind(P.shift_right_logical_p.bind(
        s, Literal(np.uint64(32), ShapedArray((), dtypes.uint64, False))),
        new_dtype=u32, weak_type=False)
    lo = P.convert_element_type_p.bind(P.and_p.bind(
        s, Literal(np.uint64(0xFFFFFFFF), ShapedArray((), dtypes.uint64, False))),
        new_dtype=u32, weak_type=False)
    return P.concatenate_p.bind(P.reshape_p.bind(hi, new_sizes=(1,)),
                                P.reshape_p.bind(lo, new_sizes=(1,)), dimension=0)


def make_key(seed: Any) -> Any:
    if isinstance(seed, (bool, np.bool_)):
        raise TypeError("funcgrad.random.key: seed must be an integer, got a bool")
    if isinstance(seed, (int, np.integer)):
        s = int(seed)
        if not -2 ** 63 <= s < 2 ** 64:
            raise OverflowError(f"funcgrad.random.key: seed {s} does not fit in 64 bits")
        s %= 2 ** 64
        return from_numpy(np.array([s >> 32, s & 0xFFFFFFFF], dtype=np.uint32))
    x = asarray_operand(seed)
    av = aval_of(x)
    if av.shape != () or not dtypes.is_integer(av.dtype):
        raise TypeError(f"funcgrad.random.key: seed must be an integer scalar, got "
                        f"{av.str_short()}")
    return _seed_words(x)


def _split_impl(key: Any, num: int) -> Any:
    b0, b1 = _hash_iota(key, (num,))
    return P.concatenate_p.bind(P.expand_dims_p.bind(b0, dimensions=(1,)),
                                P.expand_dims_p.bind(b1, dimensions=(1,)), dimension=1)


_split = jit(_split_impl, static_argnums=1)


def split(key: Any, num: int | Sequence[int] = 2) -> Any:
    k = check_key(key, "split")
    shape = (int(num),) if isinstance(num, (int, np.integer)) else tuple(int(n) for n in num)
    if any(n < 0 for n in shape):
        raise ValueError(f"funcgrad.random.split: num must be non-negative, got {num}")
    n = int(np.prod(shape, dtype=np.int64))
    out = _split(k, n)
    return out if shape == (n,) else P.reshape_p.bind(out, new_sizes=(*shape, 2))


@jit
def _fold_in(key: Any, data: Any) -> Any:
    k0, k1 = _words(key)
    d = _seed_words(data)
    d0, d1 = _words(d)
    y0, y1 = threefry2x32(k0, k1, d0, d1)
    return P.concatenate_p.bind(P.reshape_p.bind(y0, new_sizes=(1,)),
                                P.reshape_p.bind(y1, new_sizes=(1,)), dimension=0)


def fold_in(key: Any, data: Any) -> Any:
    k = check_key(key, "fold_in")
    if isinstance(data, (int, np.integer)) and not isinstance(data, (bool, np.bool_)):
        d: Any = np.uint32(int(data) % 2 ** 32)
    else:
        d = asarray_operand(data)
        av = aval_of(d)
        if av.shape != () or not dtypes.is_integer(av.dtype):
            raise TypeError(f"funcgrad.random.fold_in: data must be an integer scalar, got "
                            f"{av.str_short()}")
        d = convert(d, u32)
    return _fold_in(k, d)


_UINT = {8: dtypes.uint8, 16: dtypes.uint16, 32: dtypes.uint32, 64: dtypes.uint64}


def _bits_impl(key: Any, shape: tuple[int, ...], width: int) -> Any:
    b0, b1 = _hash_iota(key, shape)
    if width == 64:
        u64 = dtypes.uint64
        hi = P.convert_element_type_p.bind(b0, new_dtype=u64, weak_type=False)
        lo = P.convert_element_type_p.bind(b1, new_dtype=u64, weak_type=False)
        return P.or_p.bind(P.shift_left_p.bind(
            hi, Literal(np.uint64(32), ShapedArray((), u64, False))), lo)
    x = P.xor_p.bind(b0, b1)
    if width == 32:
        return x
    return P.convert_element_type_p.bind(x, new_dtype=_UINT[width], weak_type=False)


raw_bits = jit(_bits_impl, static_argnums=(1, 2))
