"""funcgrad.scipy.special and funcgrad.scipy.stats.norm against SciPy (values, dtypes,
edge cases), and gradients/vmap against JAX (x64)."""
from __future__ import annotations

import jax
import jax.numpy as jnp
import jax.scipy.special as jss
import numpy as np
import pytest
import scipy.special as ss
import scipy.stats as st
from hypothesis import given
from hypothesis import strategies as hst
from hypothesis.extra import numpy as hnp

import funcgrad as fg
import funcgrad.scipy.special as fs
import funcgrad.scipy.stats.norm as fnorm

X = np.array([-30.0, -5.5, -1.0, -0.25, 0.0, 0.3, 1.0, 2.5, 7.0, 40.0])
P01 = np.array([1e-300, 1e-30, 1e-8, 0.01, 0.02425, 0.2, 0.5, 0.8, 0.99, 1 - 1e-12])
POS = np.array([1e-8, 0.1, 0.5, 1.0, 1.5, 3.0, 10.0, 150.0])

UNARY = [  # (name, funcgrad, scipy, inputs, rtol)
    ("erf", fs.erf, ss.erf, X, 1e-14),
    ("erfc", fs.erfc, ss.erfc, X, 1e-13),
    ("erfinv", fs.erfinv, ss.erfinv, np.array([-0.999, -0.5, 0.0, 0.1, 0.9, 0.999999]), 1e-13),
    ("erfcinv", fs.erfcinv, ss.erfcinv, np.array([1e-200, 1e-10, 0.1, 1.0, 1.7, 1.999]),
     1e-13),
    ("ndtr", fs.ndtr, ss.ndtr, X, 1e-12),   # x / sqrt(2) rounds: 1e-13 at x = -30
    ("ndtri", fs.ndtri, ss.ndtri, P01, 1e-12),
    ("log_ndtr", fs.log_ndtr, ss.log_ndtr,
     np.array([-1e3, -45.0, -25.0, -19.9, -8.0, -1.0, 0.0, 3.0, 9.0]), 1e-12),
    ("gammaln", fs.gammaln, ss.gammaln, np.concatenate([POS, [-0.5, -2.5]]), 1e-13),
    ("digamma", fs.digamma, ss.digamma, np.concatenate([POS[1:], [-0.5, -2.5]]), 1e-12),
    ("expit", fs.expit, ss.expit, X, 1e-15),
    ("log_expit", fs.log_expit, ss.log_expit, X, 1e-14),
    ("logit", fs.logit, ss.logit, np.array([1e-12, 0.1, 0.5, 0.7, 1 - 1e-9]), 1e-12),
    ("entr", fs.entr, ss.entr, np.array([-1.0, 0.0, 1e-10, 0.5, 1.0, 3.0]), 1e-14),
]


@pytest.mark.parametrize("name,f,ref,x,rtol", UNARY, ids=[u[0] for u in UNARY])
def test_unary_against_scipy(name: str, f: object, ref: object, x: np.ndarray,
                             rtol: float) -> None:
    out = f(x)
    assert out.dtype == np.float64 and out.shape == x.shape
    np.testing.assert_allclose(np.asarray(out), ref(x), rtol=rtol, atol=0)
    # float32 stays float32; integers compute in float64, like SciPy
    assert f(x.astype(np.float32)).dtype == np.float32
    if name not in ("erfinv", "erfcinv", "ndtri", "logit"):
        ints = np.array([1, 2, 3], np.int32)
        r = f(ints)
        assert r.dtype == np.float64
        np.testing.assert_allclose(np.asarray(r), ref(ints.astype(float)), rtol=rtol)


def test_float32_accuracy() -> None:
    x = np.linspace(-4, 4, 33, dtype=np.float32)
    np.testing.assert_allclose(np.asarray(fs.erf(x)), ss.erf(x), rtol=2e-6, atol=1e-7)
    p = np.array([1e-30, 1e-6, 0.1, 0.5, 0.9, 0.999999], np.float32)
    np.testing.assert_allclose(np.asarray(fs.ndtri(p)), ss.ndtri(p.astype(float)), rtol=2e-6)
    z = np.array([-30.0, -12.0, -9.0, -1.0, 2.0], np.float32)
    np.testing.assert_allclose(np.asarray(fs.log_ndtr(z)), ss.log_ndtr(z.astype(float)),
                               rtol=2e-6)


def test_special_values() -> None:
    np.testing.assert_array_equal(np.asarray(fs.ndtri(np.array([0.0, 1.0, -0.5, 1.5, np.nan]))),
                                  [-np.inf, np.inf, np.nan, np.nan, np.nan])
    np.testing.assert_array_equal(np.asarray(fs.logit(np.array([0.0, 1.0]))), [-np.inf, np.inf])
    assert float(fs.erfinv(1.0)) == np.inf and float(fs.erfinv(-1.0)) == -np.inf
    assert float(fs.gammaln(0.0)) == np.inf


@pytest.mark.parametrize("f,ref", [(fs.xlogy, ss.xlogy), (fs.xlog1py, ss.xlog1py),
                                   (fs.rel_entr, ss.rel_entr), (fs.betaln, ss.betaln)])
def test_binary_against_scipy(f: object, ref: object) -> None:
    x = np.array([0.0, 0.0, 0.0, 1.0, 2.5, 3.0, -1.0, 0.5])
    y = np.array([0.0, -0.5, 2.0, 0.0, 1.5, 1e-3, 2.0, np.inf])
    if f is fs.betaln:
        x, y = np.abs(x) + 0.5, np.abs(y[:-1]).tolist() + [4.0]
        y = np.asarray(y) + 0.5
    with np.errstate(all="ignore"):
        want = ref(x, y)
    out = f(x, y)
    assert out.dtype == np.float64
    np.testing.assert_allclose(np.asarray(out), want, rtol=1e-13)
    # broadcasting with a Python scalar keeps float32
    assert f(x.astype(np.float32), 2.0).dtype == np.float32


# ---------------------------------------------------------------------------
# logsumexp and softmax


def test_logsumexp_edge_cases_match_scipy() -> None:
    cases = [
        dict(a=[1000.0, 1000.0]),
        dict(a=[-np.inf, -np.inf]),
        dict(a=[np.inf, 1.0]),
        dict(a=[np.nan, 1.0]),
        dict(a=[1.0, np.inf], b=[1.0, 0.0]),
        dict(a=[1.0, 2.0], b=[1.0, -1.0]),
        dict(a=[[1.0, 2.0], [3.0, -np.inf]], axis=1, keepdims=True),
        dict(a=[[1.0, 2.0], [3.0, 4.0]], axis=(0, 1)),
        dict(a=[[1.0, 2.0], [3.0, 4.0]], b=[2.0, 0.5], axis=0),
        dict(a=[1, 2, 3]),
    ]
    for kw in cases:
        want = ss.logsumexp(**{k: np.asarray(v) if k in "ab" else v for k, v in kw.items()})
        got = fs.logsumexp(**{k: np.asarray(v) if k in "ab" else v for k, v in kw.items()})
        assert got.shape == np.shape(want)
        np.testing.assert_allclose(np.asarray(got), want, rtol=1e-14, err_msg=str(kw))
    for a, b in [([1.0, 2.0], [1.0, -1.0]), ([1.0, 1.0], [1.0, -1.0]), ([0.0, 3.0], [2.0, 1.0])]:
        got_v, got_s = fs.logsumexp(np.array(a), b=np.array(b), return_sign=True)
        want_v, want_s = ss.logsumexp(np.array(a), b=np.array(b), return_sign=True)
        np.testing.assert_allclose(float(got_v), want_v, rtol=1e-14)
        assert float(got_s) == want_s
    assert fs.logsumexp(np.zeros(3, np.float32)).dtype == np.float32


@given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, max_side=4),
                  elements=hst.floats(-50, 50)),
       hst.sampled_from([None, 0, -1, (0, -1)]), hst.booleans())
def test_logsumexp_softmax_hypothesis(x: np.ndarray, axis: object, keepdims: bool) -> None:
    if isinstance(axis, tuple) and x.ndim < 2:
        axis = None
    np.testing.assert_allclose(np.asarray(fs.logsumexp(x, axis=axis, keepdims=keepdims)),
                               ss.logsumexp(x, axis=axis, keepdims=keepdims), rtol=1e-13)
    np.testing.assert_allclose(np.asarray(fs.softmax(x, axis=axis)), ss.softmax(x, axis=axis),
                               rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(np.asarray(fs.log_softmax(x, axis=axis)),
                               ss.log_softmax(x, axis=axis), rtol=1e-12, atol=1e-12)


def test_softmax_defaults_and_extremes() -> None:
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_allclose(np.asarray(fs.softmax(x)), ss.softmax(x), rtol=1e-14)
    big = np.array([1e308, 1e308, -np.inf])
    np.testing.assert_allclose(np.asarray(fs.softmax(big)), [0.5, 0.5, 0.0])
    np.testing.assert_allclose(np.asarray(fs.log_softmax(big)), [-np.log(2), -np.log(2),
                                                                 -np.inf])


# ---------------------------------------------------------------------------
# stats.norm


def test_norm_against_scipy() -> None:
    x = np.array([-40.0, -3.0, -0.5, 0.0, 1.2, 4.0, 30.0])
    loc, scale = 0.5, np.array([[1.0], [2.5]])
    for name in ("pdf", "logpdf", "cdf", "logcdf", "sf", "logsf"):
        got = getattr(fnorm, name)(x, loc, scale)
        want = getattr(st.norm, name)(x, loc, scale)
        assert got.shape == want.shape and got.dtype == np.float64
        np.testing.assert_allclose(np.asarray(got), want, rtol=1e-12, atol=0, err_msg=name)
    q = np.array([1e-100, 1e-5, 0.25, 0.5, 0.9, 1 - 1e-9])
    for name in ("ppf", "isf"):
        np.testing.assert_allclose(np.asarray(getattr(fnorm, name)(q, 2.0, 3.0)),
                                   getattr(st.norm, name)(q, 2.0, 3.0), rtol=1e-12)
    assert fnorm.pdf(np.float32(0.5)).dtype == np.float32
    assert fnorm.cdf(np.array([0, 1, 2])).dtype == np.float64


# ---------------------------------------------------------------------------
# transformations


def test_gradients_match_jax() -> None:
    x = np.array([[1.0, 2.0, 3.0], [-np.inf, 0.0, 1.0]])
    w = np.array([1.0, -2.0, 0.5])
    pairs = [  # (funcgrad loss, JAX loss, input)
        (lambda v: fs.logsumexp(v, axis=1).sum(), lambda v: jss.logsumexp(v, axis=1).sum(), x),
        (lambda v: (fs.softmax(v, axis=1) * w).sum(),
         lambda v: (jax.nn.softmax(v, axis=1) * w).sum(), x),
        (lambda v: (fs.log_softmax(v, axis=1) * w).sum(),
         lambda v: (jax.nn.log_softmax(v, axis=1) * w).sum(), x[:1]),
    ]
    for f, g, v in pairs:
        np.testing.assert_allclose(np.asarray(fg.jit(fg.grad(f))(v)),
                                   np.asarray(jax.jit(jax.grad(g))(jnp.asarray(v))),
                                   rtol=1e-13)
    p = np.array([1e-6, 0.3, 0.9])
    for f, g in [(fs.ndtri, jss.ndtri), (fs.erfinv, jss.erfinv), (fs.logit, jss.logit),
                 (fs.log_ndtr, jss.log_ndtr), (fs.gammaln, jss.gammaln),
                 (fs.expit, jss.expit), (fs.erf, jss.erf)]:
        want = jax.jit(jax.grad(lambda v, g=g: g(v).sum()))(jnp.asarray(p))
        np.testing.assert_allclose(np.asarray(fg.jit(fg.grad(lambda v, f=f: f(v).sum()))(p)),
                                   np.asarray(want), rtol=1e-9, err_msg=str(f))
    # xlogy's x == 0 branch leaks no nan into the gradient
    np.testing.assert_allclose(np.asarray(fg.grad(lambda y: fs.xlogy(0.0, y))(0.0)), 0.0)
    np.testing.assert_allclose(np.asarray(fg.grad(lambda x: fs.xlogy(x, 2.0))(0.0)),
                               np.log(2.0))


def test_jit_and_vmap() -> None:
    x = np.array([[1.0, 2.0, 3.0], [-np.inf, 0.0, 1.0]])
    np.testing.assert_allclose(np.asarray(fg.jit(lambda v: fs.logsumexp(v, axis=1))(x)),
                               ss.logsumexp(x, axis=1), rtol=1e-14)
    np.testing.assert_allclose(np.asarray(fg.vmap(fs.logsumexp)(x)),
                               ss.logsumexp(x, axis=1), rtol=1e-14)
    np.testing.assert_allclose(np.asarray(fg.vmap(fs.softmax)(x)), ss.softmax(x, axis=1),
                               rtol=1e-14)
    q = np.array([0.1, 0.6])
    np.testing.assert_allclose(np.asarray(fg.vmap(fnorm.ppf)(q)), st.norm.ppf(q), rtol=1e-13)


def test_complex_input_is_rejected() -> None:
    with pytest.raises(TypeError, match="special.erf: complex input is not supported"):
        fs.erf(np.array([1j]))
    with pytest.raises(TypeError, match="logsumexp: complex input"):
        fs.logsumexp(np.array([1.0]), b=np.array([1j]))
