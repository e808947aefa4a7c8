"""funcgrad.random: explicit-key random numbers on a counter-based generator.

There is no hidden state: every sampler takes a key, a ``uint32[2]`` array,
and the same key always gives the same numbers, eagerly, under `jit` and under
`vmap`. Make new keys with `split` (statistically independent streams) or
`fold_in` (a key per integer, e.g. per step)::

    import funcgrad.random as fr
    k = fr.key(0)
    k, sub = fr.split(k)
    x = fr.normal(sub, (3,))

Reusing a key reuses its numbers: that is the user's choice to make.
NB: keys are raw ``uint32[2]`` arrays, like JAX's legacy ``PRNGKey``; for the
same seed, `split`, `fold_in`, `bits`, `uniform` and `normal` reproduce JAX's
(partitionable Threefry) streams.
"""
from __future__ import annotations

from typing import Any

from funcgrad.random._distributions import (bernoulli, beta, bits, categorical, cauchy,
                                            dirichlet, exponential, gamma, gumbel, laplace,
                                            logistic, multivariate_normal, normal, poisson,
                                            rademacher, randint, truncated_normal, uniform)
from funcgrad.random._permutation import choice, permutation
from funcgrad.random._threefry import fold_in, make_key, split


def key(seed: Any) -> Any:
    """A new key from an integer seed (a Python int or an integer scalar array).

    Returns a ``uint32[2]`` array holding the high and low words of the seed's
    64-bit value. Example: ``funcgrad.random.key(42)``.
    """
    return make_key(seed)


PRNGKey = key


def key_data(keys: Any) -> Any:
    """The raw ``uint32`` data of keys (keys are already raw: returned unchanged)."""
    return keys


__all__ = ["PRNGKey", "bernoulli", "beta", "bits", "categorical", "cauchy", "choice",
           "dirichlet", "exponential", "fold_in", "gamma", "gumbel", "key", "key_data",
           "laplace", "logistic", "multivariate_normal", "normal", "permutation", "poisson",
           "rademacher", "randint", "split", "truncated_normal", "uniform"]
