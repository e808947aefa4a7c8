"""The rest of funcgrad.scipy.special (gamma family, Bessel, exponential and other
integrals, Box-Cox) against SciPy on vectorised grids, with derivatives checked by
finite differences and closed forms, and a sample under jit and vmap."""
from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.special as ss

import funcgrad as fg
import funcgrad.numpy as fnp
from funcgrad.errors import UnsupportedError
from funcgrad.scipy import special as fs

GRID = np.concatenate([np.linspace(-30.5, 30.5, 62), [0.0, -0.0, -1.0, -2.0, 1.0, 2.0, 171.5,
                                                      -170.5, np.inf, -np.inf, np.nan]])
POS = np.concatenate([np.geomspace(1e-8, 700.0, 120), [0.0, -1.0, np.inf, np.nan]])
A2 = np.array([-2.5, -1.0, 0.0, 0.5, 1.0, 2.0, 3.5, 7.0, 20.0])
PAIRS = np.broadcast_arrays(A2[:, None], A2[None, :])
PAIRS_POS = np.broadcast_arrays(A2[3:, None], A2[None, 3:])
IG = np.broadcast_arrays(np.geomspace(1e-3, 1e3, 12)[:, None],
                         np.concatenate([[0.0], np.geomspace(1e-4, 1e3, 12)])[None, :])
EN = np.broadcast_arrays(np.arange(0, 25)[:, None],
                         np.concatenate([[0.0], np.geomspace(1e-4, 300.0, 20)])[None, :])
OT = np.broadcast_arrays(np.linspace(-8.0, 8.0, 17)[:, None],
                         np.concatenate([np.linspace(-20.0, 20.0, 21), [np.inf, 0.999,
                                                                         1.001]])[None, :])
ZETA_S = np.concatenate([np.linspace(-60.5, 30.0, 80), [0.0, -2.0, -4.0, 0.5, 0.999, 1.0]])

# (name, funcgrad call, scipy call, args, rtol, atol): rtol is what the function reaches
# over its grid (SciPy's own error included); atol only where values cross zero.
VALUES = [
    ("gammasgn", fs.gammasgn, ss.gammasgn, (GRID,), 0.0, 0.0),
    ("gamma", fs.gamma, ss.gamma, (GRID,), 2e-13, 0.0),
    ("loggamma", fs.loggamma, ss.loggamma, (GRID,), 1e-14, 1e-15),
    ("factorial", fs.factorial, ss.factorial, (GRID,), 5e-14, 0.0),
    ("comb", fs.comb, ss.comb, PAIRS, 2e-14, 0.0),
    ("comb_rep", lambda n, k: fs.comb(n, k, repetition=True),
     lambda n, k: ss.comb(n, k, repetition=True),
     np.broadcast_arrays(np.arange(0.0, 9.0)[:, None], np.arange(0.0, 9.0)[None, :]), 0.0, 0.0),
    ("poch", fs.poch, ss.poch, PAIRS_POS, 1e-13, 0.0),
    ("beta", fs.beta, ss.beta, PAIRS_POS, 1e-13, 0.0),
    ("gammainc", fs.gammainc, ss.gammainc, IG, 5e-12, 1e-300),
    ("gammaincc", fs.gammaincc, ss.gammaincc, IG, 1e-11, 1e-300),
    ("multigammaln", lambda a: fs.multigammaln(a, 3), lambda a: ss.multigammaln(a, 3),
     (np.linspace(1.01, 50.0, 20),), 1e-14, 0.0),
    ("polygamma", fs.polygamma, ss.polygamma,
     np.broadcast_arrays(np.arange(5)[:, None], np.linspace(0.1, 20.0, 12)[None, :]),
     1e-14, 0.0),
    ("zeta", fs.zeta, ss.zeta, (ZETA_S,), 2e-13, 0.0),
    ("i0", fs.i0, ss.i0, (GRID,), 2e-15, 0.0),
    ("i1", fs.i1, ss.i1, (GRID,), 2e-15, 0.0),
    ("i0e", fs.i0e, ss.i0e, (GRID,), 2e-15, 0.0),
    ("i1e", fs.i1e, ss.i1e, (GRID,), 2e-15, 0.0),
    ("kl_div", fs.kl_div, ss.kl_div, PAIRS, 2e-15, 0.0),
    ("boxcox", fs.boxcox, ss.boxcox, PAIRS, 1e-14, 0.0),
    ("boxcox1p", fs.boxcox1p, ss.boxcox1p, PAIRS, 2e-14, 0.0),
    ("exp1", fs.exp1, ss.exp1, (POS,), 2e-15, 0.0),
    ("expi", fs.expi, ss.expi, (np.concatenate([-POS, POS]),), 2e-14, 1e-15),
    ("expn", fs.expn, ss.expn, EN, 5e-15, 0.0),
    ("erfcx", fs.erfcx, ss.erfcx, (np.concatenate([-POS, POS]),), 2e-15, 0.0),
    ("dawsn", fs.dawsn, ss.dawsn, (np.concatenate([-POS, POS]),), 1e-14, 0.0),  # SciPy's 8e-15
    ("spence", fs.spence, ss.spence, (np.concatenate([POS, np.linspace(0.0, 3.0, 61)]),),
     5e-15, 0.0),
    ("owens_t", fs.owens_t, ss.owens_t, OT, 5e-14, 1e-300),
]


def test_values_against_scipy():
    for name, f, ref, args, rtol, atol in VALUES:
        got = f(*args)
        want = ref(*args)
        assert got.dtype == np.float64, name
        np.testing.assert_allclose(np.asarray(got), want, rtol=rtol, atol=atol, err_msg=name)


def test_bernoulli_and_bessel_jn():
    b = np.asarray(fs.bernoulli(30))
    assert b.shape == (31,)
    np.testing.assert_allclose(b, ss.bernoulli(30), rtol=1e-11)    # SciPy's B_4 is off by 2e-12
    assert b[4] == -1 / 30 and b[1] == -0.5
    z = np.concatenate([np.linspace(-24.0, 24.0, 49), [1e-9, 1e-300, 0.0, 2.404825557695773]])
    got = fg.jit(lambda z: fs.bessel_jn(z, v=4))(z)
    assert got.shape == (5, z.size)
    np.testing.assert_allclose(np.asarray(got), np.stack([ss.jv(k, z) for k in range(5)]),
                               rtol=0, atol=5e-16)


def test_float32_stays_float32():
    x = np.array([0.5, 1.5, 3.0], np.float32)
    for f in (fs.gamma, fs.erfcx, fs.i1):
        out = f(x)
        assert out.dtype == np.float32, f.__name__
        np.testing.assert_allclose(np.asarray(out), getattr(ss, f.__name__)(x.astype(np.float64)),
                                   rtol=2e-6, err_msg=f.__name__)


def _bundle(x):
    """One output per function, each of one entry of x, so one forward-mode program
    checks them all (a compile per function costs about a second). The ones built
    only from lgamma/digamma/igamma (poch, beta, comb, ...) differentiate through
    those primitives' rules, which the primitive table checks."""
    return fnp.stack([
        fs.gamma(x[0]), fs.exp1(x[1]), fs.expi(x[2]), fs.erfcx(x[3]), fs.dawsn(x[4]),
        fs.spence(x[5]), fs.i1(x[6]), fs.zeta(2.5, x[7]), fs.kl_div(x[8], 1.6),
        fs.boxcox(2.0, x[9]), fs.boxcox1p(x[10], 0.5), fs.owens_t(x[11], 0.6),
        fs.owens_t(-1.3, x[12]), fs.expn(2, x[13]), fs.bessel_jn(x[14], v=2)[2]])


_AT = np.array([2.3, 0.6, 3.1, 1.2, 0.9, 0.4, -0.8, 2.5, 0.8, 0.0, 0.5, 0.7, 2.5, 1.7, 3.7])


def test_derivatives_by_finite_differences():
    ones = np.ones_like(_AT)
    _, tangent = fg.jit(lambda x, v: fg.jvp(_bundle, (x,), (v,)))(_AT, ones)
    f = fg.jit(_bundle)
    eps = 1e-5
    fd = (np.asarray(f(_AT + eps)) - np.asarray(f(_AT - eps))) / (2 * eps)
    np.testing.assert_allclose(np.asarray(tangent), fd, rtol=1e-7, atol=1e-9)


def test_reverse_mode_closed_forms():
    x = np.array([0.3, 1.0, 4.0, 25.0])

    def f(x):
        return (fs.exp1(x[0]) + fs.erfcx(x[1]) + fs.expn(3, x[2]) + fs.spence(x[3])
                + fs.gammainc(x[0], x[1]) + fs.boxcox(x[2], x[3] - 25.0))
    g = np.asarray(fg.jit(fg.grad(f))(x))
    eps = 1e-6
    ga = (ss.gammainc(0.3 + eps, 1.0) - ss.gammainc(0.3 - eps, 1.0)) / (2 * eps)
    gx = math.exp(-1.0) * 1.0 ** (0.3 - 1) / math.gamma(0.3)
    want = [-math.exp(-0.3) / 0.3 + ga,
            2 * ss.erfcx(1.0) - 2 / math.sqrt(math.pi) + gx,
            -ss.expn(2, 4.0) + 1 / 4.0,
            -math.log(25.0) / 24.0 + math.log(4.0) ** 2 / 2]    # boxcox at lambda = 0
    np.testing.assert_allclose(g, want, rtol=1e-8)


def test_vmap_and_jit_agree_with_eager():
    h = np.linspace(-2.0, 2.0, 5)
    a = np.linspace(0.2, 3.0, 5)
    eager = np.asarray(fs.owens_t(h, a))
    np.testing.assert_allclose(np.asarray(fg.vmap(fs.owens_t)(h, a)), eager, rtol=1e-15)
    jn = fg.vmap(lambda z: fs.bessel_jn(z, v=2), out_axes=1)(a)
    np.testing.assert_allclose(np.asarray(jn), np.stack([ss.jv(k, a) for k in range(3)]),
                               atol=5e-16)


def test_errors():
    with pytest.raises(NotImplementedError, match="math.factorial"):
        fs.factorial(3, exact=True)
    with pytest.raises(NotImplementedError, match="math.comb"):
        fs.comb(5, 2, exact=True)
    with pytest.raises(ValueError, match="d must be >= 1"):
        fs.multigammaln(2.0, 0)
    with pytest.raises(TypeError, match="d must be a Python int"):
        fs.multigammaln(2.0, 1.5)
    with pytest.raises(ValueError, match="v must be >= 0"):
        fs.bessel_jn(1.0, v=-1)
    with pytest.raises(TypeError, match="n must be a Python int"):
        fs.bernoulli(2.0)
    with pytest.raises(TypeError, match="complex"):
        fs.exp1(fnp.asarray([1.0 + 1.0j]))
    with pytest.raises(UnsupportedError, match="betainc"):
        fg.grad(fs.betainc)(1.5, 2.0, 0.3)
    with pytest.raises(UnsupportedError, match="zeta"):
        fg.grad(fs.zeta)(2.5, 1.5)
    assert np.isnan(float(fs.multigammaln(0.8, 3)))     # a <= (d - 1) / 2
