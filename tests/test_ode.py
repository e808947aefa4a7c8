"""ODE solvers: `fg.odeint` against JAX's odeint (values, adjoint gradients),
SciPy's solve_ivp and finite differences; `funcgrad.scipy.integrate.solve_ivp`
against SciPy's RK45 and Radau. Each function under test is jitted once and
checked on several values at a time."""
from __future__ import annotations

import functools
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.integrate as si
from jax.experimental.ode import odeint as jax_odeint

import funcgrad as fg
import funcgrad.numpy as fnp
from funcgrad.scipy.integrate import solve_ivp

jax.config.update("jax_enable_x64", True)

TS = np.linspace(0.0, 3.0, 5)
Y0 = np.array([1.0, 0.5])
AB = (1.1, 0.4)


def _lotka_volterra(np_: Any) -> Any:
    def f(y: Any, t: Any, p: Any) -> Any:
        return {"prey": p["a"] * y["prey"] - p["b"] * y["prey"] * y["pred"],
                "pred": -y["pred"] + p["b"] * y["prey"] * y["pred"]}
    return f


def _as_tree(y: Any) -> dict[str, Any]:
    return {"prey": y[0], "pred": y[1]}


P = {"a": np.float64(AB[0]), "b": np.float64(AB[1])}


def _loss(np_: Any, odeint: Any) -> Any:
    def loss(y0: Any, ts: Any, p: Any) -> Any:
        ys = odeint(_lotka_volterra(np_), _as_tree(y0), ts, p)
        return np_.sum(ys["prey"] ** 2) + np_.sum(ys["pred"] * ts)
    return loss


LOSS, JAX_LOSS = _loss(fnp, fg.odeint), _loss(jnp, jax_odeint)


def _close(got: Any, want: Any, rtol: float, atol: float = 0.0) -> None:
    got, want = jax.tree.leaves(fg.tree.map(np.asarray, got)), jax.tree.leaves(want)
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        w = np.asarray(w)
        assert g.shape == w.shape and g.dtype == w.dtype, (g.shape, w.shape, g.dtype, w.dtype)
        np.testing.assert_allclose(g, w, rtol=rtol, atol=atol)


@functools.cache
def _jax_value_and_grad() -> Any:
    return jax.jit(jax.value_and_grad(JAX_LOSS, argnums=(0, 1, 2)))


def test_odeint_value_and_adjoint_gradients_match_jax() -> None:
    got = fg.jit(fg.value_and_grad(LOSS, argnums=(0, 1, 2)))(Y0, TS, P)
    _close(got, _jax_value_and_grad()(Y0, TS, P), rtol=1e-9, atol=1e-12)


def test_odeint_forward_mode_matches_adjoint_and_finite_differences() -> None:
    # JAX has no forward mode through odeint: its reverse mode is the oracle
    ty, tt, tp = np.array([0.3, -0.2]), np.linspace(0.1, -0.1, 5), {"a": 0.5, "b": -1.0}
    out, tangent = fg.jit(lambda *x: fg.jvp(LOSS, x[:3], x[3:]))(Y0, TS, P, ty, tt, tp)
    value, (gy, gt, gp) = _jax_value_and_grad()(Y0, TS, P)
    want = gy @ ty + gt @ tt + gp["a"] * tp["a"] + gp["b"] * tp["b"]
    np.testing.assert_allclose(float(out), float(value), rtol=1e-12)
    np.testing.assert_allclose(float(tangent), float(want), rtol=1e-6)
    eps = 1e-5
    plus, _ = _jax_value_and_grad()(Y0 + eps * ty, TS + eps * tt,
                                    {k: P[k] + eps * tp[k] for k in P})
    minus, _ = _jax_value_and_grad()(Y0 - eps * ty, TS - eps * tt,
                                     {k: P[k] - eps * tp[k] for k in P})
    np.testing.assert_allclose(float(tangent), float((plus - minus) / (2 * eps)), rtol=1e-5)


def test_odeint_vmap_matches_scipy_per_lane_and_closes_over_traced_values() -> None:
    y0s = np.array([[1.0, 0.5], [1.2, 0.4], [0.8, 0.7]])
    ks = np.array([0.5, 1.0, 2.0])

    def decay(y0: Any, k: Any) -> Any:      # k closed over: hoisted as an argument
        return fg.odeint(lambda y, t: -k * y + fnp.sin(t), y0, TS, rtol=1e-11, atol=1e-11)

    got = fg.jit(fg.vmap(decay))(y0s, ks)
    assert got.shape == (3, 5, 2) and got.dtype == np.float64
    for lane, y0, k in zip(got, y0s, ks, strict=True):
        ref = si.solve_ivp(lambda t, y, k=k: -k * y + np.sin(t), (0.0, 3.0), y0, t_eval=TS,
                           rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(np.asarray(lane).T, ref.y, rtol=1e-8, atol=1e-12)


def test_odeint_errors() -> None:
    f = _lotka_volterra(fnp)
    with pytest.raises(TypeError, match="func must be callable"):
        fg.odeint(1.0, Y0, TS)
    with pytest.raises(TypeError, match="1-d array of real float times"):
        fg.odeint(f, _as_tree(Y0), np.arange(3), P)
    with pytest.raises(TypeError, match="real floating arrays"):
        fg.odeint(lambda y, t: y, np.array([1, 2]), TS)
    with pytest.raises(ValueError, match="mxstep must be a positive int"):
        fg.odeint(f, _as_tree(Y0), TS, P, mxstep=0)
    with pytest.raises(ValueError, match="rtol must be >= 0"):
        fg.odeint(f, _as_tree(Y0), TS, P, rtol=-1.0)
    with pytest.raises(TypeError, match="must be arrays or scalars"):
        fg.odeint(f, _as_tree(Y0), TS, "not an array")
    with pytest.raises(TypeError, match="structure of y0"):
        fg.jit(lambda y: fg.odeint(lambda y, t: (y, y), y, TS))(Y0)


# -- solve_ivp -------------------------------------------------------------------


def _lv(t: Any, y: Any, a: Any, b: Any) -> Any:
    return fnp.stack([a * y[0] - b * y[0] * y[1], -y[1] + b * y[0] * y[1]])


def _pendulum(t: Any, y: Any, c: Any) -> Any:
    return fnp.stack([y[1], -c * y[1] - 9.81 * fnp.sin(y[0])])


def test_solve_ivp_rk45_matches_scipy() -> None:
    te = np.linspace(0.0, 5.0, 11)
    tight = {"rtol": 1e-10, "atol": 1e-12}

    @fg.jit
    def both(y0: Any, a: Any, c: Any) -> Any:
        r1 = solve_ivp(_lv, (0.0, 5.0), y0, t_eval=te, args=(a, 0.4), **tight)
        r2 = solve_ivp(_pendulum, (0.0, 5.0), y0, t_eval=te, args=(c,), **tight)
        return r1, r2

    r1, r2 = both(Y0, 1.1, 0.3)
    s1 = si.solve_ivp(lambda t, y: [1.1 * y[0] - 0.4 * y[0] * y[1], -y[1] + 0.4 * y[0] * y[1]],
                      (0.0, 5.0), Y0, t_eval=te, **tight)
    s2 = si.solve_ivp(lambda t, y: [y[1], -0.3 * y[1] - 9.81 * np.sin(y[0])], (0.0, 5.0), Y0,
                      t_eval=te, **tight)
    for r, s in ((r1, s1), (r2, s2)):
        assert r.y.shape == s.y.shape == (2, 11) and r.y.dtype == np.float64
        np.testing.assert_allclose(r.y, s.y, rtol=1e-8, atol=1e-9)
        np.testing.assert_array_equal(r.t, te)
        assert bool(r.success) and int(r.status) == 0 and int(r.nfev) > 100
        assert r.message == s.message


def test_solve_ivp_stiff_robertson_matches_radau() -> None:
    def robertson(t: Any, y: Any) -> Any:
        r1, r2, r3 = 0.04 * y[0], 1e4 * y[1] * y[2], 3e7 * y[1] ** 2
        return fnp.stack([-r1 + r2, r1 - r2 - r3, r3])

    te = np.array([0.0, 1e-3, 1.0, 10.0, 1e2, 1e3, 1e4, 1e5])
    r = fg.jit(lambda y0: solve_ivp(robertson, (0.0, 1e5), y0, method="Rosenbrock23",
                                    t_eval=te, rtol=1e-6, atol=1e-10))(np.array([1.0, 0.0, 0.0]))
    s = si.solve_ivp(lambda t, y: [-0.04 * y[0] + 1e4 * y[1] * y[2],
                                   0.04 * y[0] - 1e4 * y[1] * y[2] - 3e7 * y[1] ** 2,
                                   3e7 * y[1] ** 2], (0.0, 1e5), [1.0, 0.0, 0.0],
                     method="Radau", t_eval=te, rtol=1e-10, atol=1e-14)
    assert bool(r.success) and int(r.njev) > 0
    # a second-order method over eight decades: agreement to about 1e-3 relative
    np.testing.assert_allclose(r.y, s.y, rtol=1e-3, atol=1e-12)
    np.testing.assert_allclose(np.sum(np.asarray(r.y), axis=0), 1.0, rtol=1e-9)


def test_solve_ivp_derivatives_and_dense_output() -> None:
    te = np.linspace(0.0, 2.0, 3)

    def final(y0: Any, a: Any) -> Any:     # y(2) = y0 exp(-2a)
        r = solve_ivp(lambda t, y, a: -a * y, (0.0, 2.0), y0, t_eval=te, args=(a,),
                      rtol=1e-10, atol=1e-12, max_steps=64)
        return r.y[0, -1]

    y, y_dot = fg.jit(lambda *x: fg.jvp(final, x[:2], x[2:]))(np.array([1.5]), 0.7,
                                                              np.array([1.0]), 2.0)
    np.testing.assert_allclose(float(y), 1.5 * np.exp(-1.4), rtol=1e-9)
    np.testing.assert_allclose(float(y_dot), np.exp(-1.4) * (1.0 - 2 * 1.5 * 2.0), rtol=1e-7)

    r = solve_ivp(_pendulum, (0.0, 1.0), Y0, args=(0.3,), rtol=1e-6, atol=1e-9,
                  dense_output=True)
    s = si.solve_ivp(lambda t, y: [y[1], -0.3 * y[1] - 9.81 * np.sin(y[0])], (0.0, 1.0), Y0,
                     rtol=1e-6, atol=1e-9, dense_output=True)
    assert r.t.ndim == 1 and r.t[0] == 0.0 and r.t[-1] == 1.0 and r.y.shape == (2, len(r.t))
    np.testing.assert_allclose(r.y[:, -1], s.y[:, -1], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(r.sol(np.array([0.25, 0.6, 1.0])), s.sol([0.25, 0.6, 1.0]),
                               rtol=1e-5, atol=1e-6)
    assert r.sol(0.5).shape == (2,)


def test_solve_ivp_errors() -> None:
    with pytest.raises(ValueError, match="method must be one of RK45, Rosenbrock23.*stiff"):
        solve_ivp(_lv, (0.0, 1.0), Y0, method="BDF", args=AB)
    with pytest.raises(ValueError, match="events are not supported"):
        solve_ivp(_lv, (0.0, 1.0), Y0, events=lambda t, y: y[0], args=AB)
    with pytest.raises(TypeError, match="unsupported option.*jac"):
        solve_ivp(_lv, (0.0, 1.0), Y0, args=AB, jac=None)
    with pytest.raises(ValueError, match="not within t_span"):
        solve_ivp(_lv, (0.0, 1.0), Y0, t_eval=[0.5, 2.0], args=AB)
    with pytest.raises(ValueError, match="t_eval is required under jit"):
        fg.jit(lambda y0: solve_ivp(_lv, (0.0, 1.0), y0, args=AB).y)(Y0)
    with pytest.raises(TypeError, match="args must be a tuple"):
        solve_ivp(_lv, (0.0, 1.0), Y0, args=1.0)
