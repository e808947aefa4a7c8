"""Quadrature in funcgrad.scipy.integrate against scipy.integrate: the sampled
rules on a grid of sizes, spacings and axes, and `quad` (values, error
estimates, derivatives in the limits and args, infinite limits)."""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import scipy.integrate as si

import funcgrad as fg
import funcgrad.numpy as fnp
from funcgrad.scipy import integrate


def test_sampled_rules_match_scipy() -> None:
    rng = np.random.default_rng(0)
    for n in (2, 7, 8):        # the trapezoid, Simpson's pairs, and Cartwright's last interval
        y = rng.standard_normal((2, n))
        x = np.sort(rng.uniform(0.0, 3.0, n))
        for name in ("trapezoid", "simpson", "cumulative_trapezoid"):
            for kw in ({"dx": 0.3}, {"x": x}):
                got = getattr(integrate, name)(y, **kw)
                want = getattr(si, name)(y, **kw)
                assert got.shape == np.shape(want) and got.dtype == np.float64, (name, n, kw)
                np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14,
                                           err_msg=f"{name} n={n} {kw}")
    xs = np.sort(rng.uniform(0.0, 3.0, (8, 2)), axis=0)
    y = rng.standard_normal((8, 2))
    np.testing.assert_allclose(integrate.simpson(y, x=xs, axis=0), si.simpson(y, x=xs, axis=0),
                               rtol=1e-12)
    np.testing.assert_allclose(integrate.cumulative_trapezoid(y, x=xs[:, 0], axis=0, initial=0.0),
                               si.cumulative_trapezoid(y, x=xs[:, 0], axis=0, initial=0.0),
                               rtol=1e-12, atol=1e-14)
    assert float(integrate.simpson(np.array([2.0]))) == si.simpson(np.array([2.0])) == 0.0


def test_sampled_rules_under_jit_grad_and_vmap() -> None:
    x = np.linspace(0.0, 1.0, 6)

    def area(y: Any, x: Any) -> Any:
        return integrate.simpson(y, x=x) + integrate.trapezoid(y * y, x=x)

    y = np.cos(x)
    g = fg.jit(fg.grad(area))(y, x)
    eps = 1e-6

    def area_np(y: Any) -> Any:
        return si.simpson(y, x=x) + si.trapezoid(y * y, x=x)

    fd = [(area_np(y + eps * e) - area_np(y - eps * e)) / (2 * eps) for e in np.eye(6)]
    np.testing.assert_allclose(g, np.asarray(fd), rtol=1e-6)
    batched = fg.vmap(area, in_axes=(0, None))(np.stack([y, 2 * y]), x)
    np.testing.assert_allclose(batched, [si.simpson(y, x=x) + si.trapezoid(y * y, x=x),
                                         si.simpson(2 * y, x=x) + si.trapezoid(4 * y * y, x=x)],
                               rtol=1e-12)


def test_quad_matches_scipy_and_differentiates() -> None:
    def f(x: Any, k: Any) -> Any:
        return fnp.exp(k * x) * fnp.cos(x)

    quad = fg.jit(lambda a, b, k: integrate.quad(f, a, b, args=(k,)))
    for a, b, k in ((0.0, 2.0, 0.7), (1.0, -1.5, -0.3)):
        val, err = quad(a, b, k)
        want, want_err = si.quad(lambda x, k=k: np.exp(k * x) * np.cos(x), a, b)
        np.testing.assert_allclose(val, want, rtol=1e-13)
        assert val.dtype == np.float64 and 0 <= float(err) < 1e-10
    ga, gb, gk = fg.jit(fg.grad(lambda a, b, k: integrate.quad(f, a, b, args=(k,))[0],
                                argnums=(0, 1, 2)))(0.0, 2.0, 0.7)
    np.testing.assert_allclose([ga, gb], [-1.0, np.exp(1.4) * np.cos(2.0)], rtol=1e-12)
    np.testing.assert_allclose(gk, si.quad(lambda x: x * np.exp(0.7 * x) * np.cos(x), 0, 2)[0],
                               rtol=1e-12)


def test_quad_infinite_limits_and_errors() -> None:
    for a, b in ((0.0, np.inf), (-np.inf, 1.0), (-np.inf, np.inf), (np.inf, 0.0)):
        val, err = integrate.quad(lambda x: 1.0 / (1.0 + x * x), a, b)
        want, _ = si.quad(lambda x: 1.0 / (1.0 + x * x), a, b)
        # one fixed rule on the mapped interval: as accurate as its error estimate says
        assert abs(float(val) - want) <= max(float(err), 1e-12), (a, b, float(val), want)
        assert float(err) < 0.1
    with pytest.raises(ValueError, match="both limits are \\+inf"):
        integrate.quad(fnp.exp, np.inf, np.inf)
    with pytest.raises(TypeError, match="args must be a tuple"):
        integrate.quad(fnp.exp, 0.0, 1.0, args=1.0)
    with pytest.raises(TypeError, match="one value per node"):
        integrate.quad(lambda x: fnp.sum(x), 0.0, 1.0)
    with pytest.raises(ValueError, match="x has 3 points but y has 4"):
        integrate.trapezoid(np.ones(4), x=np.arange(3.0))
    with pytest.raises(ValueError, match="initial must be a scalar"):
        integrate.cumulative_trapezoid(np.ones(4), initial=np.ones(2))
