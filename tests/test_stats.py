"""funcgrad.scipy.stats against SciPy (values over broadcast grids, dtypes, support and
invalid-parameter conventions) and against JAX (x64) for gradients, jit and vmap.

Each distribution is checked by one jitted call that evaluates all its functions on
a grid of points times a grid of parameters, so a case costs one compilation.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.scipy.stats as jst
import numpy as np
import pytest
import scipy.stats as st

import funcgrad as fg
import funcgrad.scipy.stats as fst
from funcgrad.errors import UnsupportedError
from funcgrad.testing import check_grads

jax.config.update("jax_enable_x64", True)

X = np.array([-3.0, -0.5, 0.0, 0.2, 1.0, 1.7, 4.0, 25.0, np.nan])[:, None]
X01 = np.array([-0.2, 0.0, 1e-3, 0.3, 0.5, 0.9, 1.0, 1.3])[:, None]
Q = np.array([-0.1, 0.0, 1e-9, 0.1, 0.5, 0.9, 1 - 1e-9, 1.0, 1.5, np.nan])[:, None]
K = np.array([-2.0, -1.0, 0.0, 1.0, 2.0, 3.0, 5.0, 7.0, 12.0, 2.5])[:, None]
ALL = ("logpdf", "pdf", "cdf", "logcdf", "sf", "logsf")
LS = np.array([[0.0, 0.5], [1.0, -1.0], [-1.0, 3.0]])   # (loc, scale) pairs; scale -1: invalid


def _ls(*shape: np.ndarray) -> tuple[np.ndarray, ...]:
    """Shape parameters crossed with the (loc, scale) pairs, broadcasting against X."""
    grids = np.meshgrid(*shape, np.arange(len(LS)), indexing="ij")
    idx = grids[-1].ravel()
    return (*(g.ravel() for g in grids[:-1]), LS[idx, 0], LS[idx, 1])


PPF = ("ppf",)
CASES: list[tuple[str, list[tuple[tuple[str, ...], np.ndarray]], tuple[np.ndarray, ...]]] = [
    # (distribution, [(functions, points)], parameters)
    ("norm", [(ALL, X), (("ppf", "isf"), Q)], _ls()),
    ("gamma", [(ALL, X)], _ls(np.array([0.5, 1.0, 3.5, -1.0]))),
    ("chi2", [(("logpdf", "sf"), X)], _ls(np.array([1.0, 2.0, 7.5]))),   # gamma underneath
    ("beta", [(ALL, X01)], (np.array([0.5, 1.0, 2.5, 3.0, -1.0]),
                            np.array([1.0, 0.7, 2.0, 4.0, 1.0]))),
    ("t", [(("logpdf", "pdf"), X)], _ls(np.array([0.7, 3.0, 40.0, 0.0]))),
    ("cauchy", [(ALL, X), (("ppf", "isf"), Q)], _ls()),
    ("laplace", [(("logpdf", "pdf", "cdf"), X)], _ls()),
    ("logistic", [(("logpdf", "pdf", "cdf", "sf"), X), (("ppf", "isf"), Q)], _ls()),
    ("expon", [(ALL, X), (PPF, Q)], _ls()),
    ("uniform", [(("logpdf", "pdf", "cdf"), X), (PPF, Q)], _ls()),
    ("pareto", [(ALL, X), (PPF, Q)], _ls(np.array([0.5, 2.0, -1.0]))),
    ("gumbel_r", [(ALL, X), (PPF, Q)], _ls()),
    ("gumbel_l", [(ALL, X), (PPF, Q)], _ls()),
    ("truncnorm", [(ALL, X)], (np.array([-1.0, 0.5, -np.inf, 2.0, 1.0]),
                               np.array([2.0, 1.5, 0.0, np.inf, 0.0]))),
    ("vonmises", [(("logpdf", "pdf"), X)], (np.array([0.3, 2.0, 60.0, 0.0, -1.0]),)),
    ("wrapcauchy", [(("logpdf", "pdf"), X)], (np.array([0.1, 0.5, 0.95, 1.0]),)),
    ("gennorm", [(("logpdf", "pdf", "cdf"), X)], (np.array([0.5, 1.0, 2.0, 4.0, -1.0]),)),
    ("poisson", [(("logpmf", "pmf", "cdf"), K)], (np.array([0.0, 0.5, 3.0, 8.0, -1.0]),
                                                  np.array([0.0, 1.0, 0.0, -1.0, 0.0]))),
    ("binom", [(("logpmf", "pmf"), K)], (np.array([0.0, 5.0, 10.0, 5.5, 5.0, 5.0]),
                                         np.array([0.3, 0.3, 0.7, 0.3, 1.0, 1.2]))),
    ("nbinom", [(("logpmf", "pmf"), K)], (np.array([0.5, 3.0, 5.0, -1.0, 2.0]),
                                          np.array([0.3, 1.0, 0.6, 0.3, 0.0]))),
    ("geom", [(("logpmf", "pmf"), K)], (np.array([0.2, 1.0, 0.0, 1.2]),
                                        np.array([0.0, 1.0, -2, 0]))),
    ("bernoulli", [(("logpmf", "pmf"), K), (("cdf",), X), (PPF, Q)],
     (np.array([0.0, 0.3, 1.0, 1.2]),)),
    ("betabinom", [(("logpmf", "pmf"), K)], (np.array([0.0, 5.0, 10.0, 5.5, 4.0]),
                                             np.array([0.5, 2.0, 1.0, 1.0, -1.0]),
                                             np.array([1.5, 0.3, 1.0, 1.0, 1.0]))),
]


@pytest.mark.parametrize("name,groups,params", CASES, ids=[c[0] for c in CASES])
def test_against_scipy(name: str, groups: list[tuple[tuple[str, ...], np.ndarray]],
                       params: tuple[np.ndarray, ...]) -> None:
    mod, ref = getattr(fst, name), getattr(st, name)
    points = [x for _, x in groups]
    got = fg.jit(lambda points, *p: [[getattr(mod, f)(x, *p) for f in funcs]
                                     for (funcs, _), x in zip(groups, points, strict=True)])(
        points, *params)
    for (funcs, x), outs in zip(groups, got, strict=True):
        for f, g in zip(funcs, outs, strict=True):
            with np.errstate(all="ignore"):
                want = getattr(ref, f)(x, *params)
            assert g.dtype == np.float64 and g.shape == want.shape, (f, g.dtype, g.shape)
            np.testing.assert_allclose(np.asarray(g), want, rtol=1e-9, atol=1e-300,
                                       err_msg=f"{name}.{f}")


def test_dtypes() -> None:
    x32 = np.array([0.5, 1.5], np.float32)
    assert fst.gamma.logpdf(x32, np.float32(2.0)).dtype == np.float32
    assert fst.beta.cdf(x32 / 2, 2.0, 3.0).dtype == np.float32     # Python floats are weak
    assert fst.poisson.logpmf(np.array([1, 2]), 3).dtype == np.float64
    assert fst.t.pdf(np.array([1, 2], np.int32), 3).dtype == np.float64
    assert fst.multivariate_normal.logpdf(x32, x32, np.eye(2, dtype=np.float32)).dtype == \
        np.float32
    with pytest.raises(TypeError, match=r"stats\.cauchy\.cdf: complex input is not supported"):
        fst.cauchy.cdf(np.array([1j]))


def test_multivariate_normal() -> None:
    rng = np.random.default_rng(0)
    a = rng.normal(size=(3, 3))
    cov = a @ a.T + np.eye(3)
    mean, x = rng.normal(size=3), rng.normal(size=(4, 5, 3))
    covs = np.stack([cov, 2 * cov])          # batched covariances broadcast against x
    mvn = fst.multivariate_normal
    got = fg.jit(lambda x, mean, cov, covs: [
        mvn.logpdf(x, mean, cov), mvn.pdf(x, mean, cov), mvn.logpdf(x[:, :, None], mean, covs),
        mvn.logpdf(x, mean, 2.0), mvn.logpdf(x[..., 0], 0.3, 2.0)])(x, mean, cov, covs)
    want = [st.multivariate_normal.logpdf(x, mean, cov), st.multivariate_normal.pdf(x, mean, cov),
            np.stack([st.multivariate_normal.logpdf(x, mean, c) for c in covs], -1),
            st.multivariate_normal.logpdf(x, mean, 2.0), st.norm.logpdf(x[..., 0], 0.3, np.sqrt(2))]
    for g, w in zip(got, want, strict=True):
        assert g.shape == w.shape and g.dtype == np.float64
        np.testing.assert_allclose(np.asarray(g), w, rtol=1e-12)
    with pytest.raises(UnsupportedError, match="allow_singular=True is not supported"):
        mvn.logpdf(x, mean, cov, allow_singular=True)
    with pytest.raises(ValueError, match=r"`cov` must have shape \(\.\.\., 3, 3\)"):
        mvn.logpdf(x, mean, np.eye(2))
    # vmap over (mean, cov) pairs and grad in every argument, against JAX
    means, covs = rng.normal(size=(4, 3)), np.stack([cov + i * np.eye(3) for i in range(4)])
    got = fg.jit(lambda x, m, c, ms, cs: (
        fg.vmap(mvn.logpdf, (None, 0, 0))(x[0], ms, cs),
        fg.grad(lambda *a: mvn.logpdf(*a).sum(), (0, 1, 2))(x, m, c)))(x, mean, cov, means, covs)
    want = jax.jit(lambda x, m, c, ms, cs: (
        jax.vmap(jst.multivariate_normal.logpdf, (None, 0, 0))(x[0], ms, cs),
        jax.grad(lambda *a: jst.multivariate_normal.logpdf(*a).sum(), (0, 1, 2))(x, m, c)))(
        x, mean, cov, means, covs)
    for g, w in zip(jax.tree.leaves(got), jax.tree.leaves(want), strict=True):
        np.testing.assert_allclose(np.asarray(g), np.asarray(w), rtol=1e-10)


def test_dirichlet_and_multinomial() -> None:
    rng = np.random.default_rng(1)
    alpha = np.array([0.5, 2.0, 3.0])
    x = rng.dirichlet(alpha, size=6).T
    want = st.dirichlet.logpdf(x, alpha)
    np.testing.assert_allclose(np.asarray(fst.dirichlet.logpdf(x, alpha)), want, rtol=1e-12)
    np.testing.assert_allclose(np.asarray(fst.dirichlet.pdf(x[:2], alpha)), np.exp(want),
                               rtol=1e-12)
    assert float(fst.dirichlet.logpdf(np.array([0.5, 0.6, -0.1]), alpha)) == -np.inf
    with pytest.raises(ValueError, match="`alpha` must be one-dimensional"):
        fst.dirichlet.logpdf(x, alpha[None])
    with pytest.raises(ValueError, match="K or K - 1 entries"):
        fst.dirichlet.logpdf(x[:1], alpha)
    counts = np.array([[1, 2, 3], [0, 0, 6], [2, 2, 2], [1, 1, 1], [7, -1, 0]])
    p = np.array([0.2, 0.3, 0.5])
    np.testing.assert_allclose(np.asarray(fst.multinomial.logpmf(counts, 6, p)),
                               st.multinomial.logpmf(counts, 6, p), rtol=1e-12)
    np.testing.assert_allclose(np.asarray(fst.multinomial.pmf(counts[:3], 6, p)),
                               st.multinomial.pmf(counts[:3], 6, p), rtol=1e-12)
    with pytest.raises(ValueError, match="`x` must be of integer type"):
        fst.multinomial.logpmf(counts * 1.0, 6, p)


def test_poisson_entropy() -> None:
    mu = np.array([0.0, 0.5, 3.0, 20.0, 99.0, 100.0, 150.0, 500.0, -1.0])
    np.testing.assert_allclose(np.asarray(fst.poisson.entropy(mu)), st.poisson.entropy(mu),
                               rtol=1e-9)


# (funcgrad function, JAX function, x, parameter): grad of the summed log density in x
# and in the parameter, on vectors of points
GRADS: list[tuple[Callable[..., Any], Callable[..., Any], np.ndarray, np.ndarray]] = [
    (fst.gamma.logpdf, jst.gamma.logpdf, np.array([0.3, 1.0, 4.0]), np.array([0.7, 2.0, 5.0])),
    (lambda x, p: fst.beta.logpdf(x, p, 2.0), lambda x, p: jst.beta.logpdf(x, p, 2.0),
     np.array([0.1, 0.5, 0.8]), np.array([0.7, 2.0, 5.0])),
    (fst.t.logpdf, jst.t.logpdf, np.array([-2.0, 0.5, 3.0]), np.array([0.7, 2.0, 15.0])),
    (fst.vonmises.logpdf, jst.vonmises.logpdf, np.array([-2.0, 0.5, 3.0]),
     np.array([0.7, 2.0, 15.0])),
    (fst.gennorm.logpdf, jst.gennorm.logpdf, np.array([-2.0, 0.5, 3.0]),
     np.array([0.7, 2.0, 4.0])),
    (fst.poisson.logpmf, jst.poisson.logpmf, np.array([0.0, 2.0, 5.0]), np.array([0.7, 2.0, 4.0])),
    (lambda x, p: fst.nbinom.logpmf(x, 3.0, p), lambda x, p: jst.nbinom.logpmf(x, 3.0, p),
     np.array([0.0, 2.0, 5.0]), np.array([0.2, 0.5, 0.9])),
]


def _summed(f: Callable[..., Any]) -> Callable[..., Any]:
    return lambda x, p: f(x, p).sum()


def test_gradients_match_jax() -> None:
    args = [(x, p) for _, _, x, p in GRADS]
    got = fg.jit(lambda args: [fg.grad(_summed(f), (0, 1))(x, p)
                               for (f, _, _, _), (x, p) in zip(GRADS, args, strict=True)])(args)
    want = jax.jit(lambda args: [jax.grad(_summed(g), (0, 1))(x, p)
                                 for (_, g, _, _), (x, p) in zip(GRADS, args, strict=True)])(args)
    for (_, g, _, _), gd, wd in zip(GRADS, got, want, strict=True):
        for a, b in zip(gd, wd, strict=True):
            np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-8, err_msg=str(g))


def test_cdf_gradients() -> None:
    """gamma.cdf's derivative in x is the density; in `a` (through igamma_grad_a) it
    matches SciPy's CDF by central differences."""
    x, a = np.array([0.3, 1.0, 4.0]), np.array([0.7, 2.0, 5.0])
    dx, da = fg.jit(fg.grad(_summed(fst.gamma.cdf), (0, 1)))(x, a)
    np.testing.assert_allclose(np.asarray(dx), st.gamma.pdf(x, a), rtol=1e-10)
    h = 1e-5
    fd = (st.gamma.cdf(x, a + h) - st.gamma.cdf(x, a - h)) / (2 * h)
    np.testing.assert_allclose(np.asarray(da), fd, rtol=1e-7)


def test_check_grads_and_vmap() -> None:
    check_grads(lambda x, a, s: fst.gamma.logpdf(x, a, 0.1, s), (1.3, 2.5, 1.5), order=1)
    xs, dfs = np.array([-1.0, 0.5, 2.0]), np.array([1.5, 3.0, 9.0])
    np.testing.assert_allclose(np.asarray(fg.vmap(fst.t.logpdf)(xs, dfs)),
                               st.t.logpdf(xs, dfs), rtol=1e-12)


def test_gaussian_kde() -> None:
    rng = np.random.default_rng(2)
    data, w = rng.normal(size=(2, 30)), rng.uniform(size=30)
    pts, m, c = rng.normal(size=(2, 7)), np.zeros(2), np.eye(2)
    kde, ref = fst.gaussian_kde(data, "silverman", w), st.gaussian_kde(data, "silverman", w)
    # the estimator is a pytree: everything in one jitted call
    got = fg.jit(lambda k, pts, m, c: [k(pts), k.logpdf(pts), k.integrate_gaussian(m, c),
                                       k.integrate_kde(k), k.covariance, k.neff])(kde, pts, m, c)
    want = [ref(pts), ref.logpdf(pts), ref.integrate_gaussian(m, c), ref.integrate_kde(ref),
            ref.covariance, ref.neff]
    for g, v in zip(got, want, strict=True):
        np.testing.assert_allclose(np.asarray(g), v, rtol=1e-12)
    kde, ref = fst.gaussian_kde(data, 0.4), st.gaussian_kde(data, 0.4)
    np.testing.assert_allclose(np.asarray(kde.evaluate(pts)), ref.evaluate(pts), rtol=1e-12)
    kde, ref = fst.gaussian_kde(data[0]), st.gaussian_kde(data[0])
    np.testing.assert_allclose(np.asarray(kde.integrate_box_1d(-0.5, 1.0)),
                               ref.integrate_box_1d(-0.5, 1.0), rtol=1e-12)
    drawn = fg.eval_shape(lambda key: kde.resample(key, (5,)), fg.random.key(0))
    assert drawn.shape == (1, 5) and drawn.dtype == np.float64
    # differentiable in its data (against SciPy by central differences)
    got = fg.grad(lambda d: fst.gaussian_kde(d).logpdf(pts[0]).sum())(data[0])
    h, eye = 1e-6, np.eye(data.shape[1])
    fd = [(st.gaussian_kde(data[0] + h * e).logpdf(pts[0]).sum()
           - st.gaussian_kde(data[0] - h * e).logpdf(pts[0]).sum()) / (2 * h) for e in eye]
    np.testing.assert_allclose(np.asarray(got), fd, rtol=1e-6, atol=1e-8)
    with pytest.raises(ValueError, match="`bw_method` must be 'scott', 'silverman'"):
        fst.gaussian_kde(data, "wide")
    with pytest.raises(ValueError, match="points have dimension 3, the dataset has dimension 2"):
        fst.gaussian_kde(data).evaluate(np.zeros((3, 2)))


def test_mode_rankdata_sem_zscore() -> None:
    rng = np.random.default_rng(3)
    a = rng.integers(0, 4, size=(5, 7)).astype(float)
    a[1, 2], a[3, [1, 4, 5]] = np.nan, np.nan
    ints = rng.integers(0, 4, size=(6, 5))
    modes = [(0, False), (1, True), (None, True)]
    got = fg.jit(lambda a, ints: [fst.mode(a, ax, keepdims=kd) for ax, kd in modes]
                 + [fst.mode(ints)])(a, ints)
    want = [st.mode(a, ax, keepdims=kd) for ax, kd in modes] + [st.mode(ints)]
    for g, w in zip(got, want, strict=True):
        np.testing.assert_array_equal(np.asarray(g.mode), w.mode)
        np.testing.assert_array_equal(np.asarray(g.count), w.count)
        assert g.count.dtype == np.int64 and g.mode.dtype == w.mode.dtype
    b = rng.integers(0, 5, size=(4, 9)).astype(float)
    b[2, 3] = np.nan
    ranks = [(m, 1) for m in ("average", "min", "max", "dense", "ordinal")] + [("average", None)]
    got = fg.jit(lambda b: [fst.rankdata(b, m, axis=ax) for m, ax in ranks])(b)
    for (m, ax), g in zip(ranks, got, strict=True):
        assert g.dtype == np.float64
        np.testing.assert_array_equal(np.asarray(g), st.rankdata(b, m, axis=ax), err_msg=m)
    c = rng.normal(size=(5, 6))
    c_nan = c.copy()
    c_nan[1, 1] = np.nan
    axes = (1, None)
    got = fg.jit(lambda c, cn: [[fst.sem(c, ax), fst.sem(cn, ax, nan_policy="omit"),
                                 fst.zscore(c, ax, 1), fst.zscore(cn, ax, nan_policy="omit")]
                                for ax in axes])(c, c_nan)
    for ax, g in zip(axes, got, strict=True):
        want = [st.sem(c, ax), st.sem(c_nan, ax, nan_policy="omit"), st.zscore(c, ax, 1),
                st.zscore(c_nan, ax, nan_policy="omit")]
        for gi, wi in zip(g, want, strict=True):
            np.testing.assert_allclose(np.asarray(gi), wi, rtol=1e-12)
    with pytest.raises(ValueError, match="unknown method 'best'"):
        fst.rankdata(b, "best")
    with pytest.raises(UnsupportedError, match="nan_policy='omit' is not supported"):
        fst.mode(a, nan_policy="omit")
    with pytest.raises(ValueError, match="nan_policy must be 'propagate', 'omit' or 'raise'"):
        fst.sem(c, nan_policy="skip")
