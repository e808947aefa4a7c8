"""rng_bit_generator, rng_uniform, top_k, approx_max_k/approx_min_k and
cumlogsumexp against jax.lax (x64): values, dtypes, shapes, derivatives, jit, vmap."""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import funcgrad as fg
import funcgrad.numpy as fnp
from funcgrad import lax
from funcgrad.errors import DTypeError

jax.config.update("jax_enable_x64", True)

KEY = np.array([1, 2, 3, 42], np.uint32)
ALGS = [(lax.RandomAlgorithm.RNG_DEFAULT, jax.lax.RandomAlgorithm.RNG_DEFAULT),
        (lax.RandomAlgorithm.RNG_THREE_FRY, jax.lax.RandomAlgorithm.RNG_THREE_FRY),
        (lax.RandomAlgorithm.RNG_PHILOX, jax.lax.RandomAlgorithm.RNG_PHILOX)]


def _same(got, want) -> None:
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("alg,dtype", list(zip(ALGS, [np.uint32, np.uint8, np.uint64],
                                                strict=True)),
                         ids=["default-u32", "threefry-u8", "philox-u64"])
def test_rng_bit_generator_gives_jax_bits(alg, dtype) -> None:
    ours, theirs = alg
    k1, bits = lax.rng_bit_generator(KEY, (2, 3), dtype, ours)
    k2, want = jax.lax.rng_bit_generator(KEY, (2, 3), dtype, theirs)
    _same(bits, want)
    _same(k1, k2)
    jk, jbits = fg.jit(lambda k: lax.rng_bit_generator(k, (5,), dtype, ours))(KEY)
    _same(jbits, jax.lax.rng_bit_generator(KEY, (5,), dtype, theirs)[1])


def test_rng_bit_generator_u64_key_and_errors() -> None:
    key = np.array([5, 7], np.uint64)
    for got, want in zip(lax.rng_bit_generator(key, (4,)), jax.lax.rng_bit_generator(key, (4,)),
                         strict=True):
        _same(got, want)
    with pytest.raises(DTypeError, match="uint8, uint16, uint32 or uint64"):
        lax.rng_bit_generator(KEY, (2,), np.int32)
    with pytest.raises(DTypeError, match=r"uint32\[4\] or uint64\[2\] key"):
        lax.rng_bit_generator(np.zeros(3, np.uint32), (2,))
    with pytest.raises(ValueError, match="RandomAlgorithm"):
        lax.rng_bit_generator(KEY, (2,), algorithm=7)
    with pytest.raises(TypeError, match="NamedSharding"):
        lax.rng_bit_generator(KEY, (2,), out_sharding="x")
    with pytest.raises(NotImplementedError, match="rng_bit_generator"):
        fg.vmap(lambda k: lax.rng_bit_generator(k, (2,)))(np.stack([KEY, KEY]))


def test_rng_uniform_range_shape_dtype() -> None:
    x = lax.rng_uniform(2.0, 3.0, (50,))
    assert x.shape == (50,) and x.dtype == np.float64
    assert np.all((np.asarray(x) >= 2.0) & (np.asarray(x) < 3.0))
    i = fg.jit(lambda a, b: lax.rng_uniform(a, b, (4, 5)))(np.int32(-3), np.int32(3))
    assert i.shape == (4, 5) and i.dtype == np.int32
    assert np.all((np.asarray(i) >= -3) & (np.asarray(i) < 3))
    with pytest.raises(DTypeError, match="share a dtype"):
        lax.rng_uniform(np.float32(0), np.float64(1), (2,))
    with pytest.raises(ValueError, match="scalars"):
        lax.rng_uniform(np.zeros(2), 1.0, (2,))


X = np.array([[3.0, -1.0, 7.0, 3.0, 0.5], [2.0, 9.0, -4.0, 1.0, 9.0], [0.0, 1.0, 2.0, 3.0, 4.0]])


@pytest.mark.parametrize("k", [0, 2, 5])
def test_top_k_values_indices_grad(k) -> None:
    for got, want in zip(lax.top_k(X, k), jax.lax.top_k(X, k), strict=True):
        _same(got, want)
    for got, want in zip(fg.jit(lambda x: lax.top_k(x, min(k, 3), axis=0))(X),
                         jax.jit(lambda x: jax.lax.top_k(x, min(k, 3), axis=0))(X), strict=True):
        _same(got, want)
    w = np.arange(1.0, k + 1)
    np.testing.assert_allclose(fg.grad(lambda x: (lax.top_k(x, k)[0] * w).sum())(X),
                               jax.grad(lambda x: (jax.lax.top_k(x, k)[0] * w).sum())(X))


def test_top_k_vmap_and_jvp() -> None:
    x = np.random.default_rng(0).normal(size=(3, 4, 6))
    for in_axes in (0, 1, 2):
        got = fg.vmap(lambda v: lax.top_k(v, 2), in_axes=in_axes)(x)
        want = jax.vmap(lambda v: jax.lax.top_k(v, 2), in_axes=in_axes)(x)
        for g, w in zip(got, want, strict=True):
            _same(g, w)
    t = np.ones_like(X) * np.arange(5.0)
    (_, _), (tv, _) = fg.jvp(lambda x: lax.top_k(x, 3), (X,), (t,))
    (_, _), (wv, _) = jax.jvp(lambda x: jax.lax.top_k(x, 3), (X,), (t,))
    np.testing.assert_array_equal(tv, wv)


def test_approx_max_min_k() -> None:
    """Distinct values: JAX's approximate search may order ties differently."""
    x = np.random.default_rng(2).permutation(15).reshape(3, 5).astype(np.float64)
    for ours, theirs in ((lax.approx_max_k, jax.lax.approx_max_k),
                         (lax.approx_min_k, jax.lax.approx_min_k)):
        for got, want in zip(ours(x, 2), theirs(x, 2), strict=True):
            _same(got, want)
        for got, want in zip(ours(x, 2, reduction_dimension=0),
                             theirs(x, 2, reduction_dimension=0), strict=True):
            _same(got, want)
        np.testing.assert_allclose(fg.grad(lambda x, f=ours: f(x, 2)[0].sum())(x),
                                   jax.grad(lambda x, f=theirs: f(x, 2)[0].sum())(x))
        got = fg.vmap(lambda v, f=ours: f(v, 1), in_axes=1)(x)
        want = jax.vmap(lambda v, f=theirs: f(v, 1), in_axes=1)(x)
        for g, w in zip(got, want, strict=True):
            _same(g, w)
    with pytest.raises(ValueError, match="recall_target"):
        lax.approx_max_k(x, 2, recall_target=0.0)


C = np.array([[0.0, 0.0, 1000.0, 3.0], [-1000.0, 1000.0, -np.inf, 2.0],
              [1.0, 2.0, 3.0, 4.0]])


@pytest.mark.parametrize("reverse", [False, True])
def test_cumlogsumexp_values_and_derivatives(reverse) -> None:
    for axis in (0, 1):
        got = lax.cumlogsumexp(C, axis=axis, reverse=reverse)
        want = jax.lax.cumlogsumexp(C, axis=axis, reverse=reverse)
        assert got.dtype == want.dtype and got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=1e-14)
        t = np.random.default_rng(axis).normal(size=C.shape)
        _, tg = fg.jvp(lambda x, a=axis: lax.cumlogsumexp(x, axis=a, reverse=reverse),
                       (C,), (t,))
        _, tw = jax.jvp(lambda x, a=axis: jax.lax.cumlogsumexp(x, axis=a, reverse=reverse),
                        (C,), (t,))
        np.testing.assert_allclose(tg, tw, rtol=1e-10, atol=1e-10)
    x = np.random.default_rng(1).normal(size=(3, 7)) * 5
    w = np.arange(7.0)
    np.testing.assert_allclose(
        fg.jit(fg.grad(lambda v: (lax.cumlogsumexp(v, axis=1, reverse=reverse) * w).sum()))(x),
        jax.grad(lambda v: (jax.lax.cumlogsumexp(v, axis=1, reverse=reverse) * w).sum())(x),
        rtol=1e-10, atol=1e-12)
    got = fg.vmap(lambda v: lax.cumlogsumexp(v, reverse=reverse), in_axes=1)(x)
    want = jax.vmap(lambda v: jax.lax.cumlogsumexp(v, reverse=reverse), in_axes=1)(x)
    np.testing.assert_allclose(got, want, rtol=1e-13)


def test_cumlogsumexp_float32_and_errors() -> None:
    x = np.linspace(-3, 3, 6, dtype=np.float32)
    got = lax.cumlogsumexp(fnp.asarray(x))
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, jax.lax.cumlogsumexp(jnp.asarray(x)), rtol=1e-6)
    with pytest.raises(DTypeError, match="real floating"):
        lax.cumlogsumexp(np.arange(3))
    with pytest.raises(ValueError, match="out of range"):
        lax.cumlogsumexp(C, axis=2)
