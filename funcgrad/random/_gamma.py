"""The gamma family: gamma, loggamma, beta and dirichlet, with JAX's streams and
implicit reparameterisation gradients.

Each element gets its own key (the key split once per element) and runs
Marsaglia and Tsang's rejection loop until it accepts, exactly as JAX does, so
for the same key these samplers return JAX's numbers bit for bit, eagerly,
under `jit` and under `vmap` (a batched loop runs until its last lane accepts).

Gradients in the shape parameter come from implicit differentiation of the CDF
at the sample, not from the rejection loop: for x ~ Gamma(a), with u = P(a, x)
held fixed, dx/da = -(dP/da) / (dP/dx) (`funcgrad.lax.random_gamma_grad`).
Beta and Dirichlet are built from log-gamma samples, so their gradients follow.
"""
from __future__ import annotations

import functools
from typing import Any

import numpy as np

from funcgrad import dtypes
from funcgrad import lax
from funcgrad import primitives as P
from funcgrad.control_flow import while_loop
from funcgrad.custom_rules import custom_jvp
from funcgrad.numpy._util import aval_of, convert
from funcgrad.random._distributions import (
    Shape, _bcast, _c, _float_dtype, _jit, _log1m_unit, _normal_real, _param, _result_shape,
    _shape, _subkeys, _unit)
from funcgrad.random._threefry import _split, _split_impl, check_key
from funcgrad.vmap import vmap


def _gamma_one(key: Any, alpha: Any, log_space: bool) -> Any:
    """One Gamma(alpha) sample (a scalar), or its log, from one key."""
    dt = aval_of(alpha).dtype
    zero, one = _c(0.0, dt), _c(1.0, dt)
    third = _c(1.0 / 3.0, dt)
    # alpha < 1 is boosted to alpha + 1; Gamma(alpha) = Gamma(alpha + 1) U^(1/alpha)
    unboosted = lax.ge(alpha, one)
    alpha_orig = alpha
    alpha = lax.select(unboosted, alpha, lax.add(alpha, one))
    d = lax.sub(alpha, third)
    c = lax.div(third, lax.sqrt(d))

    def rejected(state: tuple[Any, ...]) -> Any:
        _, x2, v, u = state
        squeeze = lax.ge(u, lax.sub(one, lax.mul(_c(0.0331, dt), lax.mul(x2, x2))))
        full = lax.ge(lax.log(u), lax.add(lax.mul(x2, _c(0.5, dt)),
                                          lax.mul(d, lax.add(lax.sub(one, v), lax.log(v)))))
        return lax.bitwise_and(squeeze, full)

    def next_normal(state: tuple[Any, Any, Any]) -> tuple[Any, Any, Any]:
        k, sub = _subkeys(state[0], 2)
        x = _normal_real(sub, (), dt)
        return k, x, lax.add(one, lax.mul(x, c))

    def propose(state: tuple[Any, ...]) -> tuple[Any, ...]:
        k, k_x, k_u = _subkeys(state[0], 3)
        # draw normals until 1 + c x > 0
        _, x, v = while_loop(lambda s: lax.le(s[2], zero), next_normal,
                             (k_x, zero, _c(-1.0, dt)))
        return k, lax.mul(x, x), lax.mul(lax.mul(v, v), v), _unit(k_u, (), dt)

    key, k_boost = _subkeys(key, 2)
    # the initial state is one that is always rejected
    _, _, v, _ = while_loop(rejected, propose, (key, zero, one, _c(2.0, dt)))
    if log_space:
        log_u = _log1m_unit(k_boost, (), dt)
        skip = lax.bitwise_or(unboosted, lax.eq(log_u, zero))
        log_boost = lax.select(skip, zero, lax.mul(log_u, lax.div(one, alpha_orig)))
        return lax.add(lax.add(lax.log(d), lax.log(v)), log_boost)
    u = lax.sub(one, _unit(k_boost, (), dt))
    boost = lax.select(unboosted, one, lax.pow(u, lax.div(one, alpha_orig)))
    return lax.mul(lax.mul(d, v), boost)


def _random_gamma(key: Any, a: Any, log_space: bool) -> Any:
    """Gamma(a) samples (or their logs) for a flat `a`: one key and one loop per element."""
    n = aval_of(a).shape[0]
    if n == 0:
        return a
    return vmap(functools.partial(_gamma_one, log_space=log_space))(_split_impl(key, n), a)


def _gamma_sample(key: Any, a: Any) -> Any:
    return _random_gamma(key, a, False)


def _loggamma_sample(key: Any, a: Any) -> Any:
    return _random_gamma(key, a, True)


_gamma_rep = custom_jvp(_gamma_sample)
_loggamma_rep = custom_jvp(_loggamma_sample)


@_gamma_rep.defjvp
def _gamma_rep_jvp(primals: Any, tangents: Any) -> Any:
    key, a = primals
    x = _gamma_sample(key, a)
    return x, lax.mul(tangents[1], lax.random_gamma_grad(a, x))


@_loggamma_rep.defjvp
def _loggamma_rep_jvp(primals: Any, tangents: Any) -> Any:
    key, a = primals
    log_x = _loggamma_sample(key, a)
    dt = aval_of(log_x).dtype
    # d log x = dx / x; x may underflow to 0 where log x is finite: use the tiniest float
    x = lax.exp(log_x)
    x = lax.select(lax.eq(x, _c(0.0, dt)), _c(dtypes.finfo(dt).tiny, dt), x)
    return log_x, lax.mul(tangents[1], lax.div(lax.random_gamma_grad(a, x), x))


def _gamma_impl(key: Any, a: Any, log_space: bool) -> Any:
    return (_loggamma_rep if log_space else _gamma_rep)(key, a)


def gamma_t(key: Any, a: Any, shape: tuple[int, ...], dt: np.dtype, log_space: bool) -> Any:
    """Gamma(a) samples (or their logs) of `shape` and `dt`, `a` broadcast to it.

    The compiled sampler sees only the flat element count, so every sampler
    built on it (t, chisquare, f, beta, ...) reuses one executable per count
    and dtype when called eagerly: its rejection loops are slow to compile.
    """
    n = int(np.prod(shape, dtype=np.int64))
    a = P.reshape_p.bind(_bcast(convert(a, dt, False), shape), new_sizes=(n,))
    out = _jit(_gamma_impl, 1)(key, a, log_space)
    return P.reshape_p.bind(out, new_sizes=shape)


# ---------------------------------------------------------------------------
# public samplers


def _gamma_family(fname: str, key: Any, a: Any, shape: Shape, dtype: Any,
                  log_space: bool) -> Any:
    k = check_key(key, fname)
    dt = _float_dtype(dtype, fname)
    shp = _result_shape(_shape(shape, fname), fname, a)
    return gamma_t(k, _param(a, dt), shp, dt, log_space)


def gamma(key: Any, a: Any, shape: Shape = None, dtype: Any = None) -> Any:
    """Gamma(a, 1) samples (Marsaglia and Tsang's method; JAX's stream).

    Args:
      key: a uint32[2] key. a: the shape parameter, broadcast to `shape`.
      shape: the result's shape (default: a's shape). dtype: a float dtype.
    Returns: an array of `shape` and `dtype`; nan where a < 0 or a is nan, 0
    where a = 0. Differentiable in `a` (implicit reparameterisation).
    Example: ``gamma(key(0), np.array([0.5, 2.0]))``.
    """
    return _gamma_family("gamma", key, a, shape, dtype, False)


def loggamma(key: Any, a: Any, shape: Shape = None, dtype: Any = None) -> Any:
    """log of Gamma(a, 1) samples, computed in log space: accurate where the
    samples themselves underflow (a << 1). ``exp(loggamma(k, a))`` is close to
    ``gamma(k, a)`` (same draws). Differentiable in `a`."""
    return _gamma_family("loggamma", key, a, shape, dtype, True)


def beta(key: Any, a: Any, b: Any, shape: Shape = None, dtype: Any = None) -> Any:
    """Beta(a, b) samples, G_a / (G_a + G_b) computed from log-gamma samples.

    `shape` defaults to the broadcast shape of a and b; differentiable in both.
    """
    k = check_key(key, "beta")
    dt = _float_dtype(dtype, "beta")
    shp = _result_shape(_shape(shape, "beta"), "beta", a, b)
    ka, kb = _split(k, 2)
    la = gamma_t(ka, _param(a, dt), shp, dt, True)
    lb = gamma_t(kb, _param(b, dt), shp, dt, True)
    # G_a / (G_a + G_b) from the logs: stays accurate when both gammas underflow
    m = lax.max(la, lb)
    ea, eb = lax.exp(lax.sub(la, m)), lax.exp(lax.sub(lb, m))
    return lax.div(ea, lax.add(ea, eb))


def dirichlet(key: Any, alpha: Any, shape: Shape = None, dtype: Any = None) -> Any:
    """Dirichlet(alpha) samples; the last axis of `alpha` holds the concentrations.

    The result has shape ``shape + alpha.shape[-1:]`` (`shape` defaults to
    ``alpha.shape[:-1]``); differentiable in `alpha`.
    """
    k = check_key(key, "dirichlet")
    dt = _float_dtype(dtype, "dirichlet")
    al = _param(alpha, dt)
    ashape = aval_of(al).shape
    if len(ashape) < 1:
        raise ValueError("funcgrad.random.dirichlet: alpha must have at least one axis, got "
                         "a scalar")
    shp = _shape(shape, "dirichlet")
    if shp is None:
        shp = ashape[:-1]
    elif P.broadcast_shapes("dirichlet", shp, ashape[:-1]) != shp:
        raise ValueError(f"funcgrad.random.dirichlet: alpha of shape {ashape} does not "
                         f"broadcast to shape={shp} + {ashape[-1:]}")
    lg = gamma_t(k, al, (*shp, ashape[-1]), dt, True)
    # the softmax of the log-gamma samples
    last = len(shp)
    m = lax.stop_gradient(P.reduce_max_p.bind(lg, axes=(last,)))
    e = lax.exp(lax.sub(lg, P.expand_dims_p.bind(m, dimensions=(last,))))
    total = P.reduce_sum_p.bind(e, axes=(last,))
    return lax.div(e, P.expand_dims_p.bind(total, dimensions=(last,)))
