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
same seed, `split`, `fold_in`, `bits` and the samplers except `poisson`,
`multivariate_normal`, complex `normal`/`lognormal` and `f` (last bits differ)
reproduce JAX's (partitionable Threefry) streams. The gamma family (gamma,
loggamma, beta, dirichlet and those built on it) is differentiable in its
shape parameters by implicit reparameterisation, with JAX's gradients.
"""
from __future__ import annotations

from typing import Any

from funcgrad.errors import KeyReuseError
from funcgrad.random import _distributions as _d
from funcgrad.random import _gamma as _g
from funcgrad.random import _more_distributions as _m
from funcgrad.random import _permutation as _p
from funcgrad.random import _threefry as _t
from funcgrad.random._threefry import fold_in, make_key
from funcgrad.random.key_reuse import consumes_key

# the public samplers and split consume their key; the modules call one another's
# undecorated forms, so a sampler built on another consumes the key once
bernoulli = consumes_key(_d.bernoulli)
beta = consumes_key(_g.beta)
bits = consumes_key(_d.bits)
categorical = consumes_key(_d.categorical)
cauchy = consumes_key(_d.cauchy)
dirichlet = consumes_key(_g.dirichlet)
exponential = consumes_key(_d.exponential)
gamma = consumes_key(_g.gamma)
gumbel = consumes_key(_d.gumbel)
loggamma = consumes_key(_g.loggamma)
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
ball = consumes_key(_m.ball)
chisquare = consumes_key(_m.chisquare)
double_sided_maxwell = consumes_key(_m.double_sided_maxwell)
f = consumes_key(_m.f)
generalized_normal = consumes_key(_m.generalized_normal)
geometric = consumes_key(_m.geometric)
lognormal = consumes_key(_m.lognormal)
maxwell = consumes_key(_m.maxwell)
orthogonal = consumes_key(_m.orthogonal)
pareto = consumes_key(_m.pareto)
rayleigh = consumes_key(_m.rayleigh)
t = consumes_key(_m.t)
triangular = consumes_key(_m.triangular)
wald = consumes_key(_m.wald)
weibull_min = consumes_key(_m.weibull_min)


def key(seed: Any) -> Any:
    """A new key from an integer seed (a Python int or an integer scalar array).

    Returns a ``uint32[2]`` array holding the high and low words of the seed's
    64-bit value. Example: ``funcgrad.random.key(42)``.
    """
    return make_key(seed)


PRNGKey = key


def clone(key: Any) -> Any:
    """A copy of `key` that `check_key_reuse` treats as a fresh key: the same
    numbers again, on purpose. Does not consume `key`.

    Example: ``uniform(clone(k)) == uniform(k)``.
    """
    from funcgrad import primitives as P
    return P.copy_p.bind(_t.check_key(key, "clone"))


def key_impl(keys: Any) -> str:
    """The name of the generator behind `keys`: always ``"threefry2x32"``."""
    return "threefry2x32"


def wrap_key_data(key_bits_array: Any, *, impl: str | None = None) -> Any:
    """Keys from their raw ``uint32`` data (shape ``(..., 2)``); keys are raw
    already, so the data is returned as is (to `check_key_reuse`, the same key).

    Raises TypeError for data that is not uint32 with a last axis of 2, and
    ValueError for an `impl` other than None or ``"threefry2x32"``.
    """
    from funcgrad import dtypes
    from funcgrad.numpy._util import asarray_operand, aval_of
    if impl not in (None, "threefry2x32"):
        raise ValueError(f"funcgrad.random.wrap_key_data: impl must be None or "
                         f"'threefry2x32' (the only generator), got {impl!r}")
    x = asarray_operand(key_bits_array)
    av = aval_of(x)
    if av.dtype != dtypes.uint32 or av.shape[-1:] != (2,):
        raise TypeError(f"funcgrad.random.wrap_key_data: key data must be a uint32 array "
                        f"of shape (..., 2), got {av.str_short()}")
    return key_bits_array if x is key_bits_array else x


def key_data(keys: Any) -> Any:
    """The raw ``uint32`` data of keys (keys are already raw: returned unchanged,
    so to `check_key_reuse` the result is the same key)."""
    return keys


__all__ = ["KeyReuseError", "PRNGKey", "ball", "bernoulli", "beta", "bits", "categorical",
           "cauchy", "chisquare", "choice", "clone", "dirichlet", "double_sided_maxwell",
           "exponential", "f", "fold_in", "gamma", "generalized_normal", "geometric", "gumbel",
           "key", "key_data", "key_impl", "laplace", "loggamma", "logistic", "lognormal",
           "maxwell", "multivariate_normal", "normal", "orthogonal", "pareto", "permutation",
           "poisson", "rademacher", "randint", "rayleigh", "split", "t", "triangular",
           "truncated_normal", "uniform", "wald", "weibull_min", "wrap_key_data"]
