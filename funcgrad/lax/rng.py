"""XLA's own random number generators under JAX's names: `rng_bit_generator`
(counter-based, functional: key in, new key and bits out) and `rng_uniform`
(stateful). funcgrad.random is the portable, splittable interface; these give
the exact bits XLA's RngBitGenerator draws, e.g. to reproduce JAX's."""
from __future__ import annotations

import operator
from collections.abc import Sequence
from typing import Any

import numpy as np

from funcgrad import dtypes
from funcgrad import primitives as P
from funcgrad.api import device_put
from funcgrad.core import Tracer
from funcgrad.lax.enums import RandomAlgorithm
from funcgrad.numpy._util import asarray_operand
from funcgrad.sharding import NamedSharding

__all__ = ["rng_bit_generator", "rng_uniform"]


def _shape(name: str, shape: Any) -> tuple[int, ...]:
    try:
        return tuple(operator.index(d) for d in
                     (shape if isinstance(shape, (tuple, list)) else (shape,)))
    except TypeError:
        raise TypeError(f"{name}: shape must be a sequence of ints, got {shape!r:.80}") from None


def rng_bit_generator(key: Any, shape: Sequence[int], dtype: Any = np.uint32,
                      algorithm: RandomAlgorithm = RandomAlgorithm.RNG_DEFAULT, *,
                      out_sharding: Any = None) -> tuple[Any, Any]:
    """Random bits of `shape` and unsigned `dtype` from `key` (uint32[4] or
    uint64[2]), and the key to draw the next bits from.

    The same key and algorithm give the same bits as ``jax.lax.rng_bit_generator``
    on the same backend (RNG_DEFAULT is the backend's choice). `out_sharding` (a
    NamedSharding) lays the bits out over a mesh. Not differentiable, and not
    batched by vmap (XLA's op takes one key).

    Example:
        >>> key = fnp.array([0, 0, 0, 42], dtype=fnp.uint32)
        >>> key, bits = lax.rng_bit_generator(key, (2, 3), fnp.uint8)
    """
    k = asarray_operand(key)
    dt = dtypes.canonicalize(dtype)
    try:
        alg = RandomAlgorithm(algorithm)
    except ValueError:
        raise ValueError(f"rng_bit_generator: algorithm must be a lax.RandomAlgorithm, got "
                         f"{algorithm!r}") from None
    new_key, bits = P.rng_bit_generator_p.bind(k, shape=_shape("rng_bit_generator", shape),
                                               dtype=dt, algorithm=int(alg))
    if out_sharding is None:
        return new_key, bits
    if type(out_sharding) is not NamedSharding:
        raise TypeError(f"rng_bit_generator: out_sharding must be a NamedSharding or None, got "
                        f"{out_sharding!r:.80}")
    if isinstance(bits, Tracer):
        return new_key, P.sharding_constraint_p.bind(bits, sharding=out_sharding)
    return new_key, device_put(bits, out_sharding)


def rng_uniform(a: Any, b: Any, shape: Sequence[int]) -> Any:
    """Numbers of `shape` drawn uniformly from [a, b) (scalars of one real or
    integer dtype) by XLA's stateful generator: each execution draws anew and the
    seed is not the caller's. NB: as in JAX, b <= a gives unspecified values.
    Prefer funcgrad.random, which is reproducible.

    Example:
        >>> lax.rng_uniform(0.0, 1.0, (3,))
    """
    return P.rng_uniform_p.bind(asarray_operand(a), asarray_operand(b),
                                shape=_shape("rng_uniform", shape))
