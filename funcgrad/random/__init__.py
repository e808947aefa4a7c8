"""funcgrad.random: explicit-key random numbers on a counter-based generator.

There is no hidden state: every sampler takes a key, a ``uint32[2]`` array,
and the same key always gives the same numbers, eagerly, under `jit` and under
`vmap`. Make new keys with `split` (statistically independent streams) or
`fold_in` (a key per integer, e.g. per step)::

    import funcgrad.random as fr
    k = fr.key(0)
    k, sub = fr.split(k)
    x = fr.normal(sub, (3,))

Every sampler and `split` *consume* their key: with the config switch
``check_key_reuse`` (default: on in eager code) consuming one key twice raises
`KeyReuseError` naming both lines (see funcgrad.random.key_reuse for the rules).
NB: keys are raw ``uint32[2]`` arrays, like JAX's legacy ``PRNGKey``; for the
same seed, `split`, `fold_in`, `bits`, `uniform` and `normal` reproduce JAX's
(partitionable Threefry) streams.
"""
from __future__ import annotations

from typing import Any

from funcgrad.errors import KeyReuseError
from funcgrad.random import _distributions as _d
from funcgrad.random import _permutation as _p
from funcgrad.random import _threefry as _t
from funcgrad.random._threefry import fold_in, make_key
from funcgrad.random.key_reuse import consumes_key

# the public samplers and split consume their key; the modules call one another's
# undecorated forms, so a sampler built on another consumes the key once
bernoulli = consumes_key(_d.bernoulli)
beta = consumes_key(_d.beta)
bits = consumes_key(_d.bits)
categorical = consumes_key(_d.categorical)
cauchy = consumes_key(_d.cauchy)
dirichlet = consumes_key(_d.dirichlet)
exponential = consumes_key(_d.exponential)
gamma = consumes_key(_d.gamma)
gumbel = consumes_key(_d.gumbel)
laplace = consumes_key(_d.laplace)
logistic = consumes_key(_d.logistic)
multivariate_normal = consumes_key(_d.multivariate_normal)
normal = consumes_key(_d.normal)
poisson = consumes_key(_d.poisson)
rademacher = consumes_key(_d.rademacher)
randint = consumes_key(_d.randint)
truncated_normal = consumes_key(_d.truncated_normal)
uniform = consumes_key(_d.uniform)
choice = consumes_key(_p.choice)
permutation = consumes_key(_p.permutation)
split = consumes_key(_t.split)


def key(seed: Any) -> Any:
    """A new key from an integer seed (a Python int or an integer scalar array).

    Returns a ``uint32[2]`` array holding the high and low words of the seed's
    64-bit value. Example: ``funcgrad.random.key(42)``.
    """
    return make_key(seed)


PRNGKey = key


def key_data(keys: Any) -> Any:
    """The raw ``uint32`` data of keys (keys are already raw: returned unchanged,
    so to `check_key_reuse` the result is the same key)."""
    return keys


__all__ = ["KeyReuseError", "PRNGKey", "bernoulli", "beta", "bits", "categorical", "cauchy",
           "choice", "dirichlet", "exponential", "fold_in", "gamma", "gumbel", "key", "key_data",
           "laplace", "logistic", "multivariate_normal", "normal", "permutation", "poisson",
           "rademacher", "randint", "split", "truncated_normal", "uniform"]
