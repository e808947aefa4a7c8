"""Batching entries of XLA's random generators: none, as in JAX.

One rng_bit_generator per key of a batch would need a loop (XLA's op takes one
key), and a single draw for the stacked keys would not give each lane the bits
its own key gives; rng_uniform's bounds are scalars of one stateful draw. Both
are listed in NO_RULE, so vmap over them names the primitive and the reason.
"""
from __future__ import annotations

from funcgrad import primitives as P
from funcgrad.transforms.batching.interpreter import NO_RULE

NO_RULE[P.rng_bit_generator_p] = (
    "XLA's RngBitGenerator takes one key; bits per key of a batch need a loop "
    "(lax.map over the keys), and JAX has no batching rule for it either")
NO_RULE[P.rng_uniform_p] = (
    "its bounds are scalars of one stateful draw (JAX has no batching rule either); "
    "draw once with the batch in `shape`, or use funcgrad.random")
