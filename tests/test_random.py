"""funcgrad.random: keys, bit streams (vs JAX's Threefry), samplers' shapes, dtypes,
ranges, determinism, eager == jit == vmap, moments, and independence of split keys."""
from __future__ import annotations

import jax
import jax.random as jr
import numpy as np
import pytest
import scipy.stats as st

import funcgrad as fg
import funcgrad.random as fr

N = 100_000          # samples for moment checks: 5 standard errors is the tolerance


@pytest.fixture(autouse=True, scope="module")
def _keys_drawn_twice():
    """These tests draw from one key twice on purpose (determinism, eager == jit):
    the key-reuse check, on in eager code by default, is off for this module."""
    fg.config.update("check_key_reuse", False)
    yield
    fg.config.update("check_key_reuse", None)


def _close_mean(x: np.ndarray, mean: float, var: float, sigmas: float = 5.0) -> None:
    se = np.sqrt(var / x.size)
    assert abs(x.mean() - mean) < sigmas * se, (x.mean(), mean, se)


def _close_var(x: np.ndarray, var: float, kurt_excess: float = 0.0,
               sigmas: float = 5.0) -> None:
    # standard error of the sample variance: var * sqrt((2 + excess kurtosis) / n)
    se = var * np.sqrt((2 + kurt_excess) / x.size)
    assert abs(x.var() - var) < sigmas * se, (x.var(), var, se)


# ---------------------------------------------------------------------------
# keys and raw bits: identical to JAX's partitionable Threefry


@pytest.mark.parametrize("seed", [0, 1, 42, -1, 2 ** 32 + 7, 2 ** 63 - 1])
def test_key_matches_jax(seed: int) -> None:
    k = fr.key(seed)
    assert k.shape == (2,) and k.dtype == np.uint32
    np.testing.assert_array_equal(np.asarray(k), np.asarray(jr.PRNGKey(seed)))
    assert fr.PRNGKey is fr.key


def test_key_from_traced_seed() -> None:
    f = fg.jit(fr.key)
    for seed in (0, 5, -3, 2 ** 40 + 1):
        np.testing.assert_array_equal(np.asarray(f(np.int64(seed))), np.asarray(fr.key(seed)))


def test_split_and_fold_in_match_jax() -> None:
    k, jk = fr.key(42), jr.PRNGKey(42)
    np.testing.assert_array_equal(np.asarray(fr.split(k)), np.asarray(jr.split(jk)))
    np.testing.assert_array_equal(np.asarray(fr.split(k, 5)), np.asarray(jr.split(jk, 5)))
    s = fr.split(k, (2, 3))
    assert s.shape == (2, 3, 2) and s.dtype == np.uint32
    np.testing.assert_array_equal(np.asarray(s), np.asarray(jr.split(jk, (2, 3))))
    for d in (0, 7, 2 ** 31 + 3):
        np.testing.assert_array_equal(np.asarray(fr.fold_in(k, d)),
                                      np.asarray(jr.fold_in(jk, d)))
    assert fr.split(k, 0).shape == (0, 2)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.uint32, np.uint64])
def test_bits_match_jax(dtype: type) -> None:
    k, jk = fr.key(3), jr.PRNGKey(3)
    b = fr.bits(k, (2, 3), dtype)
    assert b.shape == (2, 3) and b.dtype == dtype
    np.testing.assert_array_equal(np.asarray(b), np.asarray(jr.bits(jk, (2, 3), dtype)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_uniform_and_normal_match_jax(dtype: type) -> None:
    k, jk = fr.key(11), jr.PRNGKey(11)
    u = fr.uniform(k, (50,), dtype, -2.0, 3.0)
    assert u.dtype == dtype and u.shape == (50,)
    np.testing.assert_array_equal(np.asarray(u), np.asarray(jr.uniform(jk, (50,), dtype,
                                                                       -2.0, 3.0)))
    z = fr.normal(k, (50,), dtype)
    np.testing.assert_allclose(np.asarray(z), np.asarray(jr.normal(jk, (50,), dtype)),
                               rtol=4 * np.finfo(dtype).eps, atol=0)


def test_default_dtypes_follow_config() -> None:
    k = fr.key(0)
    # shapes and argument types as in the tests below, so the compilations are shared
    assert fr.uniform(k).dtype == np.float64 and fr.uniform(k).shape == ()
    assert fr.normal(k, (N,)).dtype == np.float64
    assert fr.randint(k, (N,), 0, 5).dtype == np.int64
    assert fr.bits(k).dtype == np.uint32
    assert fr.poisson(k, 2.0, (N,)).dtype == np.int64
    assert fr.bernoulli(k, 0.5, (N,)).dtype == np.bool_
    fg.config.update("default_float", "float32")
    try:
        assert fr.uniform(k, (2,)).dtype == np.float32
        assert fr.normal(k, (3, 2)).dtype == np.float32
    finally:
        fg.config.update("default_float", "float64")


# ---------------------------------------------------------------------------
# every sampler: shape, dtype, determinism, eager == jit == vmap

SAMPLERS = {
    "uniform": lambda k: fr.uniform(k, (3, 2)),
    "normal": lambda k: fr.normal(k, (3, 2), np.float32),
    "normal_c": lambda k: fr.normal(k, (3,), np.complex128),
    "randint": lambda k: fr.randint(k, (4,), -5, 5, np.int32),
    "bernoulli": lambda k: fr.bernoulli(k, np.array([0.1, 0.5, 0.9])),
    "categorical": lambda k: fr.categorical(k, np.log(np.array([[0.2, 0.8], [0.5, 0.5]])),
                                            shape=(3, 2)),
    "truncated_normal": lambda k: fr.truncated_normal(k, -1.0, 2.0, (5,)),
    "gamma": lambda k: fr.gamma(k, np.array([0.5, 1.0, 4.0])),
    "beta": lambda k: fr.beta(k, 2.0, np.array([0.5, 3.0])),
    "dirichlet": lambda k: fr.dirichlet(k, np.array([1.0, 2.0, 0.3]), (2,)),
    "exponential": lambda k: fr.exponential(k, (4,)),
    "poisson": lambda k: fr.poisson(k, np.array([0.5, 5.0, 40.0])),
    "gumbel": lambda k: fr.gumbel(k, (3,)),
    "laplace": lambda k: fr.laplace(k, (3,)),
    "logistic": lambda k: fr.logistic(k, (3,)),
    "cauchy": lambda k: fr.cauchy(k, (3,)),
    "permutation": lambda k: fr.permutation(k, 6),
    "choice": lambda k: fr.choice(k, 8, (3,), replace=False),
}
SHAPES = {"uniform": ((3, 2), np.float64), "normal": ((3, 2), np.float32),
          "normal_c": ((3,), np.complex128), "randint": ((4,), np.int32),
          "bernoulli": ((3,), np.bool_), "categorical": ((3, 2), np.int64),
          "truncated_normal": ((5,), np.float64), "gamma": ((3,), np.float64),
          "beta": ((2,), np.float64), "dirichlet": ((2, 3), np.float64),
          "exponential": ((4,), np.float64), "poisson": ((3,), np.int64),
          "gumbel": ((3,), np.float64), "laplace": ((3,), np.float64),
          "logistic": ((3,), np.float64), "cauchy": ((3,), np.float64),
          "permutation": ((6,), np.int64), "choice": ((3,), np.int64)}


@pytest.mark.parametrize("name", sorted(SAMPLERS))
def test_sampler_shape_dtype_determinism_and_jit(name: str) -> None:
    f = SAMPLERS[name]
    k1, k2 = fr.split(fr.key(123))
    a = np.asarray(f(k1))
    shape, dtype = SHAPES[name]
    assert a.shape == shape and a.dtype == dtype
    np.testing.assert_array_equal(a, np.asarray(f(k1)))           # same key, same numbers
    if name not in ("beta", "dirichlet"):   # built from gamma: spare two slow compiles
        np.testing.assert_array_equal(a, np.asarray(fg.jit(f)(k1)))   # eager == jit
    if name not in ("bernoulli", "permutation", "choice", "categorical"):
        assert not np.array_equal(a, np.asarray(f(k2)))            # another key differs


@pytest.mark.parametrize("name", ["uniform", "normal", "gamma", "poisson", "randint",
                                  "permutation", "choice", "categorical"])
def test_sampler_vmap_matches_loop(name: str) -> None:
    f = SAMPLERS[name]
    keys = fr.split(fr.key(5), 3)
    batched = np.asarray(fg.vmap(f)(keys))
    loop = np.stack([np.asarray(f(keys[i])) for i in range(3)])
    np.testing.assert_array_equal(batched, loop)


# ---------------------------------------------------------------------------
# ranges and moments


def test_uniform_range_and_moments() -> None:
    u = np.asarray(fr.uniform(fr.key(0), (N,)))
    assert u.min() >= 0.0 and u.max() < 1.0
    _close_mean(u, 0.5, 1 / 12)
    _close_var(u, 1 / 12, kurt_excess=-1.2)
    lo, hi = np.array([-3.0, 0.0, 10.0]), np.array([-2.0, 1e-8, 11.0])
    v = np.asarray(fr.uniform(fr.key(1), (1000, 3), minval=lo, maxval=hi))
    assert np.all(v >= lo) and np.all(v < hi)
    u32 = np.asarray(fr.uniform(fr.key(2), (N,), np.float32, 5.0, 6.0))
    assert u32.min() >= 5.0 and u32.max() < 6.0


def test_normal_moments() -> None:
    z = np.asarray(fr.normal(fr.key(0), (N,)))
    _close_mean(z, 0.0, 1.0)
    _close_var(z, 1.0)
    c = np.asarray(fr.normal(fr.key(1), (N,), np.complex128))
    _close_var(c.real, 0.5)
    _close_var(c.imag, 0.5)
    assert abs(np.corrcoef(c.real, c.imag)[0, 1]) < 5 / np.sqrt(N)


def test_randint_range_and_uniformity() -> None:
    r = np.asarray(fr.randint(fr.key(0), (N,), -3, 7))
    assert r.min() == -3 and r.max() == 6
    counts = np.bincount(r + 3, minlength=10)
    assert st.chisquare(counts).pvalue > 1e-4
    # bounds clipped to the dtype; maxval one past the top is allowed
    b = np.asarray(fr.randint(fr.key(1), (2000,), 0, 256, np.uint8))
    assert b.dtype == np.uint8 and b.max() == 255 and b.min() == 0
    same = np.asarray(fr.randint(fr.key(2), (10,), 5, 5))
    np.testing.assert_array_equal(same, 5)
    lo = np.array([0, 100])
    m = np.asarray(fr.randint(fr.key(3), (500, 2), lo, lo + 3))
    assert set(np.unique(m[:, 0])) == {0, 1, 2} and set(np.unique(m[:, 1])) == {100, 101, 102}
    wide = np.asarray(fr.randint(fr.key(4), (1000,), -2 ** 63, 2 ** 63))
    assert wide.dtype == np.int64 and (wide < 0).mean() > 0.4 and (wide > 0).mean() > 0.4


def test_bernoulli_and_categorical_frequencies() -> None:
    b = np.asarray(fr.bernoulli(fr.key(0), 0.3, (N,)))
    _close_mean(b.astype(float), 0.3, 0.21)
    p = np.array([0.1, 0.2, 0.3, 0.4])
    c = np.asarray(fr.categorical(fr.key(1), np.log(p), shape=(N,)))
    assert c.dtype == np.int64 and c.min() >= 0 and c.max() <= 3
    assert st.chisquare(np.bincount(c, minlength=4), p * N).pvalue > 1e-4
    # axis=0 and a -inf logit (probability 0)
    lg = np.array([[np.log(0.5), -np.inf], [np.log(0.5), 0.0]])
    c2 = np.asarray(fr.categorical(fr.key(2), lg, axis=0, shape=(1000, 2)))
    assert np.all(c2[:, 1] == 1) and 0.4 < c2[:, 0].mean() < 0.6


def test_exponential_gumbel_laplace_logistic_cauchy() -> None:
    e = np.asarray(fr.exponential(fr.key(0), (N,)))
    assert e.min() >= 0
    _close_mean(e, 1.0, 1.0)
    _close_var(e, 1.0, kurt_excess=6.0)
    g = np.asarray(fr.gumbel(fr.key(1), (N,)))
    _close_mean(g, np.euler_gamma, np.pi ** 2 / 6)
    lp = np.asarray(fr.laplace(fr.key(2), (N,)))
    _close_mean(lp, 0.0, 2.0)
    _close_var(lp, 2.0, kurt_excess=3.0)
    lg = np.asarray(fr.logistic(fr.key(3), (N,)))
    _close_var(lg, np.pi ** 2 / 3, kurt_excess=1.2)
    ca = np.asarray(fr.cauchy(fr.key(4), (N,)))
    # quartiles of the standard Cauchy are -1 and 1
    assert abs(np.quantile(ca, 0.25) + 1) < 0.03 and abs(np.quantile(ca, 0.75) - 1) < 0.03


def test_truncated_normal_range_and_moments() -> None:
    lo, hi = -0.5, 2.0
    t = np.asarray(fr.truncated_normal(fr.key(0), lo, hi, (N,)))
    assert t.min() > lo and t.max() < hi
    ref = st.truncnorm(lo, hi)
    _close_mean(t, ref.mean(), ref.var())
    _close_var(t, ref.var(), kurt_excess=float(ref.stats(moments="k")))
    one_sided = np.asarray(fr.truncated_normal(fr.key(1), 3.0, np.inf, (1000,)))
    assert one_sided.min() > 3.0 and np.all(np.isfinite(one_sided))


@pytest.mark.parametrize("a", [0.05, 0.3, 1.0, 2.5, 40.0])
def test_gamma_moments(a: float) -> None:
    g = np.asarray(fr.gamma(fr.key(7), a, (N,)))
    assert g.min() >= 0 and np.all(np.isfinite(g))
    _close_mean(g, a, a)
    assert st.kstest(g, st.gamma(a).cdf).pvalue > 1e-4


def test_gamma_beta_dirichlet_bad_and_batched_parameters() -> None:
    g = np.asarray(fr.gamma(fr.key(0), np.array([-1.0, 0.0, 2.0])))
    assert np.isnan(g[0]) and g[1] == 0 and g[2] > 0      # a = 0: JAX's point mass at 0
    gb = np.asarray(fr.gamma(fr.key(1), np.array([1.0, 10.0]), (N // 10, 2)))
    _close_mean(gb[:, 1], 10.0, 10.0)


def test_beta_moments() -> None:
    a, b = 2.0, 5.0
    x = np.asarray(fr.beta(fr.key(0), a, b, (N,)))
    assert x.min() >= 0 and x.max() <= 1
    ref = st.beta(a, b)
    _close_mean(x, ref.mean(), ref.var())
    tiny = np.asarray(fr.beta(fr.key(1), 0.01, 0.01, (N,)))     # same compiled shape
    assert np.all(np.isfinite(tiny)) and np.all((tiny >= 0) & (tiny <= 1))
    assert 0.35 < (tiny > 0.5).mean() < 0.65


def test_dirichlet_moments() -> None:
    alpha = np.array([1.0, 2.0, 7.0])
    d = np.asarray(fr.dirichlet(fr.key(0), alpha, (N,)))
    assert d.shape == (N, 3)
    np.testing.assert_allclose(d.sum(-1), 1.0, rtol=1e-12)
    mean = alpha / alpha.sum()
    var = mean * (1 - mean) / (alpha.sum() + 1)
    for i in range(3):
        _close_mean(d[:, i], mean[i], var[i])


@pytest.mark.parametrize("lam", [0.0, 0.7, 4.0, 9.99, 10.0, 35.0, 1e4])
def test_poisson_moments(lam: float) -> None:
    x = np.asarray(fr.poisson(fr.key(2), lam, (N,)))
    assert x.min() >= 0
    if lam == 0:
        assert np.all(x == 0)
        return
    _close_mean(x.astype(float), lam, lam)
    _close_var(x.astype(float), lam, kurt_excess=1 / lam)
    if lam < 50:
        k = np.arange(int(lam * 3 + 10))
        expected = st.poisson(lam).pmf(k) * N
        counts = np.bincount(x, minlength=k.size)[:k.size]
        keep = expected > 5
        assert st.chisquare(counts[keep], expected[keep] * counts[keep].sum()
                            / expected[keep].sum()).pvalue > 1e-4


def test_poisson_invalid_rate() -> None:
    x = np.asarray(fr.poisson(fr.key(0), np.array([-1.0, np.nan, 2.0])))
    assert x[0] == -1 and x[1] == -1 and x[2] >= 0


@pytest.mark.parametrize("method", ["cholesky", "eigh", "svd"])
def test_multivariate_normal_moments(method: str) -> None:
    mean = np.array([1.0, -1.0, 0.5])
    cov = np.array([[2.0, 0.5, 0.1], [0.5, 1.0, -0.3], [0.1, -0.3, 0.7]])
    x = np.asarray(fr.multivariate_normal(fr.key(3), mean, cov, (N,), method=method))
    assert x.shape == (N, 3) and x.dtype == np.float64
    for i in range(3):
        _close_mean(x[:, i], mean[i], cov[i, i])
    # sample covariance entries: standard error sqrt((s_ii s_jj + s_ij^2) / n)
    emp = np.cov(x.T)
    se = np.sqrt((np.outer(np.diag(cov), np.diag(cov)) + cov ** 2) / N)
    assert np.all(np.abs(emp - cov) < 5 * se)
    # batched means broadcast against the sample shape
    xb = fr.multivariate_normal(fr.key(4), np.zeros((4, 3)), cov)
    assert xb.shape == (4, 3)
    with pytest.raises(ValueError, match="mean must have shape"):
        fr.multivariate_normal(fr.key(0), np.zeros(2), cov)
    with pytest.raises(ValueError, match="method must be"):
        fr.multivariate_normal(fr.key(0), mean, cov, method="qr")


# ---------------------------------------------------------------------------
# permutations and choice


def test_permutation_is_a_uniform_permutation() -> None:
    k = fr.key(9)
    p = np.asarray(fr.permutation(k, 10))
    np.testing.assert_array_equal(np.sort(p), np.arange(10))
    x = np.arange(12.0).reshape(4, 3)
    px = np.asarray(fr.permutation(k, x, axis=1))
    np.testing.assert_array_equal(np.sort(px, axis=1), x)
    # one column permutation applied to every row
    perm = px[0].astype(int)
    np.testing.assert_array_equal(px, x[:, perm])
    ind = np.asarray(fr.permutation(k, np.tile(np.arange(5.0), (50, 1)), axis=1,
                                    independent=True))
    np.testing.assert_array_equal(np.sort(ind, axis=1), np.tile(np.arange(5.0), (50, 1)))
    assert len({tuple(r) for r in ind}) > 20
    # the first element is uniform over the population
    rows = fr.permutation(fr.key(10), np.tile(np.arange(5), (2000, 1)), axis=1,
                          independent=True)
    firsts = np.asarray(rows)[:, 0]
    assert st.chisquare(np.bincount(firsts, minlength=5)).pvalue > 1e-4


def test_choice() -> None:
    k = fr.key(4)
    c = np.asarray(fr.choice(k, 10, (10,), replace=False))
    np.testing.assert_array_equal(np.sort(c), np.arange(10))
    a = np.arange(20.0).reshape(10, 2)
    rows = np.asarray(fr.choice(k, a, (3,), replace=False))
    assert rows.shape == (3, 2) and len({tuple(r) for r in rows}) == 3
    assert all(tuple(r) in {tuple(x) for x in a} for r in rows)
    cols = np.asarray(fr.choice(k, a, (2, 2), axis=1))
    assert cols.shape == (10, 2, 2)
    p = np.array([0.0, 0.5, 0.25, 0.25])
    w = np.asarray(fr.choice(fr.key(5), 4, (N // 4,), p=p))
    assert st.chisquare(np.bincount(w, minlength=4)[1:], p[1:] * w.size).pvalue > 1e-4
    wo = np.asarray(fr.choice(fr.key(6), 4, (3,), replace=False, p=p))
    np.testing.assert_array_equal(np.sort(wo), [1, 2, 3])


# ---------------------------------------------------------------------------
# statistical independence


def test_split_streams_are_uncorrelated() -> None:
    k1, k2 = fr.split(fr.key(0))
    a = np.asarray(fr.normal(k1, (N,)))
    b = np.asarray(fr.normal(k2, (N,)))
    assert abs(np.corrcoef(a, b)[0, 1]) < 5 / np.sqrt(N)
    # many sibling keys: their first draws are uniform and pairwise uncorrelated
    keys = fr.split(fr.key(1), 1000)
    draws = np.asarray(fg.vmap(lambda k: fr.uniform(k, (64,)))(keys))
    c = np.corrcoef(draws)
    off = c[~np.eye(1000, dtype=bool)]
    assert abs(off.mean()) < 0.01 and off.std() < 1.3 / np.sqrt(64)
    # parent and child streams do not overlap
    parent = np.asarray(fr.uniform(fr.key(1), (N,)))
    child = np.asarray(fr.uniform(fr.split(fr.key(1))[0], (N,)))
    assert abs(np.corrcoef(parent, child)[0, 1]) < 5 / np.sqrt(N)
    # fold_in keys for consecutive integers are independent too
    f0 = np.asarray(fr.normal(fr.fold_in(fr.key(0), 0), (N,)))
    f1 = np.asarray(fr.normal(fr.fold_in(fr.key(0), 1), (N,)))
    assert abs(np.corrcoef(f0, f1)[0, 1]) < 5 / np.sqrt(N)


def test_bits_are_uniform() -> None:
    b = np.asarray(fr.bits(fr.key(0), (N,)))
    by = b.view(np.uint8)
    assert st.chisquare(np.bincount(by, minlength=256)).pvalue > 1e-4
    ones = np.unpackbits(by).reshape(-1, 32).mean(axis=0)     # each bit fair
    assert np.all(np.abs(ones - 0.5) < 5 * 0.5 / np.sqrt(N))
    # serial pairs of consecutive outputs (top 4 bits each) are uniform over 256 cells
    hi = (b >> 28).astype(np.int64)
    pairs = hi[:-1:2] * 16 + hi[1::2]
    assert st.chisquare(np.bincount(pairs, minlength=256)).pvalue > 1e-4


# ---------------------------------------------------------------------------
# bad input


def test_bad_keys_and_arguments() -> None:
    with pytest.raises(TypeError, match="uniform: key must be a uint32\\[2\\]"):
        fr.uniform(np.zeros(2), (3,))
    with pytest.raises(TypeError, match="batch of keys"):
        fr.normal(fr.split(fr.key(0), 3), (2,))
    with pytest.raises(TypeError, match="seed must be an integer"):
        fr.key(1.5)
    with pytest.raises(TypeError, match="seed must be an integer"):
        fr.key(True)
    with pytest.raises(TypeError, match="dtype must be a floating"):
        fr.uniform(fr.key(0), (2,), np.int32)
    with pytest.raises(TypeError, match="randint: dtype must be an integer"):
        fr.randint(fr.key(0), (2,), 0, 3, np.float64)
    with pytest.raises(TypeError, match="bits: dtype must be an unsigned"):
        fr.bits(fr.key(0), (2,), np.int32)
    with pytest.raises(ValueError, match="do not broadcast to shape"):
        fr.uniform(fr.key(0), (3,), minval=np.zeros(2))
    with pytest.raises(ValueError, match="negative dimensions"):
        fr.normal(fr.key(0), (-1,))
    with pytest.raises(ValueError, match="without replacement"):
        fr.choice(fr.key(0), 3, (4,), replace=False)
    with pytest.raises(ValueError, match="p must have shape"):
        fr.choice(fr.key(0), 3, (2,), p=np.ones(4) / 4)
    with pytest.raises(ValueError, match="not compatible with the batch shape"):
        fr.categorical(fr.key(0), np.zeros((2, 3)), shape=(4,))


def test_stopped_shape_parameters_and_location_gradients() -> None:
    k = fr.key(0)
    # constants (or stopped gradients) are fine; location/scale stay differentiable
    g = fg.grad(lambda s: (s * fr.gamma(k, fg.stop_gradient(s), (3,))).sum())(2.0)
    np.testing.assert_allclose(float(g), float(np.asarray(fr.gamma(k, 2.0, (3,))).sum()))
    np.testing.assert_allclose(
        float(fg.grad(lambda m: fr.uniform(k, (4,), minval=m, maxval=m + 2.0).sum())(0.5)), 4.0)


def test_jax_oracle_is_x64() -> None:
    assert jax.config.jax_enable_x64
