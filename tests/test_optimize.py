"""funcgrad.scipy.optimize against SciPy (solutions, counts, fields) and JAX
(BFGS's iterates), and its implicit derivatives against finite differences of
the solution and against the implicit-function-theorem formula.

Each solver is jitted once per test and reused; grids of problems go through
one vmapped call.
"""
from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import jax.scipy.optimize as jopt
import numpy as np
import pytest
import scipy.optimize as so

import funcgrad as fg
import funcgrad.numpy as fnp
from funcgrad.scipy import optimize as fopt

jax.config.update("jax_enable_x64", True)


def rosen(x: Any) -> Any:
    return fnp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def quartic(x: Any, theta: Any) -> Any:
    return fnp.sum(fnp.arange(1.0, 4.0) * (x - theta) ** 2) + 0.5 * fnp.sum(x ** 4)


def _fd(f: Any, theta: np.ndarray, eps: float = 1e-5) -> np.ndarray:
    """Central differences of the vector function f, one column per parameter."""
    cols = [(np.asarray(f(theta + eps * e)) - np.asarray(f(theta - eps * e))) / (2 * eps)
            for e in np.eye(theta.size)]
    return np.stack(cols, axis=-1)


@pytest.mark.parametrize("method", ["BFGS", "L-BFGS-B", "Nelder-Mead"])
def test_minimize_rosenbrock_reaches_scipys_optimum(method: str) -> None:
    x0 = np.array([-1.2, 1.0, 0.5, 0.3])
    res = fg.jit(lambda x: fopt.minimize(rosen, x, method=method))(x0)
    want = so.minimize(so.rosen, x0, method=method)
    np.testing.assert_allclose(res.x, want.x, atol=2e-5 if method != "Nelder-Mead" else 1e-12)
    np.testing.assert_allclose(res.fun, want.fun, rtol=1e-6)
    assert bool(res.success) and int(res.status) == 0
    assert res.x.dtype == np.float64 and res.fun.shape == () and res.nit.dtype == np.int64
    assert res.success.dtype == np.bool_
    if method == "Nelder-Mead":
        assert (int(res.nit), int(res.nfev)) == (want.nit, want.nfev)
        assert res.jac is None and res.hess_inv is None
    else:
        assert res.jac.shape == (4,) and float(np.max(np.abs(np.asarray(res.jac)))) < 1e-4
    assert (res.hess_inv is not None) == (method == "BFGS")


def test_bfgs_follows_jax_and_keeps_float32() -> None:
    x0 = np.zeros(5)
    res = fg.jit(lambda x: fopt.minimize(rosen, x, method="BFGS"))(x0)

    def jrosen(x: Any) -> Any:
        return jnp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)
    want = jax.jit(lambda x: jopt.minimize(jrosen, x, method="BFGS"))(jnp.asarray(x0))
    np.testing.assert_allclose(res.x, want.x, atol=1e-7)
    np.testing.assert_allclose(res.hess_inv, want.hess_inv, rtol=1e-4, atol=1e-4)
    for k in ("nit", "nfev", "njev", "status"):
        assert int(getattr(res, k)) == int(getattr(want, k)), k
    r32 = fg.jit(lambda x: fopt.minimize(lambda x: fnp.sum((x - 1.5) ** 2), x,
                                         method="BFGS"))(np.zeros(2, np.float32))
    assert r32.x.dtype == np.float32 and r32.fun.dtype == np.float32
    np.testing.assert_allclose(r32.x, [1.5, 1.5], rtol=1e-5)


def test_logistic_regression_matches_scipy() -> None:
    rng = np.random.default_rng(0)
    a = rng.standard_normal((40, 3))
    y = (a @ np.array([1.0, -2.0, 0.5]) + 0.3 * rng.standard_normal(40) > 0).astype(float)

    def nll(w: Any, a: Any, y: Any) -> Any:
        z = a @ w
        return fnp.sum(fnp.logaddexp(0.0, z) - y * z) + 0.05 * fnp.sum(w ** 2)

    res = fg.jit(lambda a, y: fopt.minimize(nll, fnp.zeros(3), (a, y), method="BFGS",
                                            tol=1e-9))(a, y)

    def np_nll(w: np.ndarray) -> tuple[float, np.ndarray]:
        z = a @ w
        return (float(np.sum(np.logaddexp(0.0, z) - y * z) + 0.05 * np.sum(w ** 2)),
                a.T @ (1 / (1 + np.exp(-z)) - y) + 0.1 * w)
    want = so.minimize(np_nll, np.zeros(3), method="BFGS", jac=True, tol=1e-9)
    np.testing.assert_allclose(res.x, want.x, atol=1e-8)
    np.testing.assert_allclose(res.fun, want.fun, rtol=1e-12)


def test_lbfgsb_bounds_and_their_implicit_derivative() -> None:
    bounds = [(0.5, 2.0), (None, 0.0), (-1.0, None)]
    theta = np.array([0.2, 0.7, 0.4])
    solve = fg.jit(lambda t: fopt.minimize(quartic, fnp.ones(3), (t,), method="L-BFGS-B",
                                           bounds=bounds, options={"gtol": 1e-10}).x)
    want = so.minimize(lambda x: float(quartic(fnp.asarray(x), theta)), np.ones(3),
                       method="L-BFGS-B", bounds=bounds,
                       jac=lambda x: np.asarray(fg.grad(quartic)(fnp.asarray(x), theta)))
    x = solve(theta)
    np.testing.assert_allclose(x, want.x, atol=1e-6)
    np.testing.assert_allclose(x[:2], [0.5, 0.0])          # two active bounds
    jac = fg.jit(fg.jacrev(solve))(theta)
    np.testing.assert_allclose(jac, _fd(solve, theta), atol=1e-6)
    assert np.all(np.asarray(jac)[:2] == 0)


def test_minimize_implicit_gradients_args_and_closure() -> None:
    method, opts = "BFGS", {"gtol": 1e-10}
    theta = np.array([0.3, -0.5, 1.0])

    def by_args(t: Any) -> Any:
        return fopt.minimize(quartic, fnp.zeros(3), (t,), method=method, options=opts)

    def by_closure(t: Any) -> Any:
        return fopt.minimize(lambda x: quartic(x, t), fnp.zeros(3), method=method, options=opts)

    x_of = fg.jit(lambda t: by_args(t).x)
    x = np.asarray(x_of(theta))
    c = np.arange(1.0, 4.0)
    # grad_x = 2c(x - theta) + 2x^3 = 0: dx/dtheta = diag(2c / (2c + 6x^2))
    want = np.diag(2 * c / (2 * c + 6 * x ** 2))
    np.testing.assert_allclose(_fd(x_of, theta), want, atol=1e-6)
    np.testing.assert_allclose(fg.jit(fg.jacrev(lambda t: by_closure(t).x))(theta), want,
                               atol=1e-8)
    np.testing.assert_allclose(fg.jit(fg.jacfwd(lambda t: by_args(t).x))(theta), want,
                               atol=1e-8)
    g = fg.jit(fg.grad(lambda t: by_args(t).fun))(theta)
    np.testing.assert_allclose(g, -2 * np.arange(1.0, 4.0) * (x - theta), atol=1e-7)


def test_minimize_vmap_matches_a_loop() -> None:
    thetas = np.array([[0.3, -0.5, 1.0], [1.0, 2.0, -1.0], [0.0, 0.1, 0.2]])
    x0s = np.array([[0.0, 0.0, 0.0], [1.0, 1.0, 1.0], [-1.0, 0.5, 0.0]])
    solve = fg.jit(lambda x0, t: fopt.minimize(quartic, x0, (t,), method="BFGS"))
    batched = fg.jit(fg.vmap(lambda x0, t: fopt.minimize(quartic, x0, (t,), method="BFGS")))
    got = batched(x0s, thetas)
    for i in range(3):
        one = solve(x0s[i], thetas[i])
        np.testing.assert_allclose(got.x[i], one.x, atol=1e-12)
        assert int(got.nit[i]) == int(one.nit)
    grads = fg.jit(fg.vmap(fg.grad(lambda t, x0: fopt.minimize(quartic, x0, (t,),
                                                               method="BFGS").fun)))(thetas, x0s)
    xs = np.asarray(got.x)
    np.testing.assert_allclose(grads, -2 * np.arange(1.0, 4.0) * (xs - thetas), atol=1e-5)


def _system(x: Any, a: Any) -> Any:
    return fnp.stack([x[0] + 0.5 * (x[0] - x[1]) ** 3 - a[0], 0.5 * (x[1] - x[0]) ** 3 + x[1]
                      - a[1]])


def test_root_matches_scipy_and_differentiates() -> None:
    a = np.array([1.0, 0.2])

    def both(a: Any) -> Any:
        return [fopt.root(_system, fnp.zeros(2), (a,), method=m) for m in ("hybr", "newton")]

    want = so.root(lambda x: np.asarray(_system(fnp.asarray(x), a)), np.zeros(2))
    jac = fg.jit(fg.jacrev(lambda a: fnp.stack([r.x for r in both(a)])))(a)
    for k, res in enumerate(fg.jit(both)(a)):
        np.testing.assert_allclose(res.x, want.x, atol=1e-10)
        assert bool(res.success) and res.fun.shape == (2,) and res.jac.shape == (2, 2)
        # F(x(a), a) = 0 with dF/da = -I, so dx/da = J^{-1}
        np.testing.assert_allclose(jac[k], np.linalg.inv(np.asarray(res.jac)), atol=1e-10)


def test_least_squares_matches_scipy_and_differentiates() -> None:
    t = np.linspace(0.0, 2.0, 12)
    y = 2.0 * np.exp(-1.3 * t) + 0.05 * np.sin(7 * t)

    def resid(p: Any, y: Any) -> Any:
        return p[0] * fnp.exp(p[1] * t) - y

    def both(y: Any) -> Any:
        return [fopt.least_squares(resid, fnp.ones(2), method=m, args=(y,)) for m in ("trf", "lm")]

    for m, res in zip(("trf", "lm"), fg.jit(both)(y), strict=True):
        want = so.least_squares(lambda p: p[0] * np.exp(p[1] * t) - y, np.ones(2), method=m)
        np.testing.assert_allclose(res.x, want.x, atol=1e-8)
        np.testing.assert_allclose(res.cost, want.cost, rtol=1e-10)
        np.testing.assert_allclose(res.jac, want.jac, rtol=1e-6, atol=1e-8)
        assert bool(res.success) and int(res.status) > 0 and res.fun.shape == (12,)
    jac = fg.jit(fg.jacrev(lambda y: fopt.least_squares(resid, fnp.ones(2), args=(y,)).x))(y)
    x = np.asarray(res.x)
    hess = np.asarray(fg.hessian(lambda p: 0.5 * fnp.sum(resid(p, y) ** 2))(x))
    np.testing.assert_allclose(jac, np.linalg.solve(hess, np.asarray(res.jac).T), atol=1e-8)


def test_root_scalar_methods_over_a_grid() -> None:
    a = np.linspace(0.3, 2.0, 7)

    def f(x: Any, a: Any) -> Any:
        return fnp.cos(x) - a * x

    def roots(a: Any) -> Any:
        return [fopt.root_scalar(f, (a,), method=m, **kw)
                for m, kw in (("brentq", {"bracket": (0.0, 2.0)}),
                              ("bisect", {"bracket": (0.0, 2.0)}), ("newton", {"x0": 1.0}))]

    got = fg.jit(fg.vmap(roots))(a)
    for k, m in enumerate(("brentq", "bisect", "newton")):
        want = [so.root_scalar(lambda x, ai=ai: np.cos(x) - ai * x, method=m,
                               bracket=(0.0, 2.0), x0=1.0, fprime=lambda x, ai=ai: -np.sin(x) - ai)
                for ai in a]
        np.testing.assert_allclose(got[k].root, [w.root for w in want], atol=1e-10)
        assert bool(np.all(np.asarray(got[k].converged)))
        if m != "newton":
            assert list(np.asarray(got[k].function_calls)) == [w.function_calls for w in want]
    x = np.asarray(got[0].root)
    da = fg.jit(fg.vmap(fg.grad(lambda a: fopt.root_scalar(f, (a,), bracket=(0.0, 2.0)).root)))(a)
    np.testing.assert_allclose(da, -x / (np.sin(x) + a), rtol=1e-8)


def test_minimize_scalar_methods() -> None:
    def f(x: Any, a: Any) -> Any:
        return (x - a) ** 2 * (x + 1) + fnp.sin(x)

    cases = [("brent", {"bracket": (0.0, 1.0)}), ("golden", {"bracket": (0.0, 1.0)}),
             ("brent", {"bracket": (0.0, 1.0, 3.0)}), ("bounded", {"bounds": (0.0, 3.0)}),
             ("bounded", {"bounds": (-0.5, 0.8)})]

    def all_cases(a: Any) -> Any:
        return [fopt.minimize_scalar(f, args=(a,), method=m, **kw) for m, kw in cases]

    got = fg.jit(all_cases)(1.3)
    for r, (m, kw) in zip(got, cases, strict=True):
        want = so.minimize_scalar(lambda x: (x - 1.3) ** 2 * (x + 1) + np.sin(x), method=m, **kw)
        np.testing.assert_allclose(r.x, want.x, atol=2e-7 if m == "bounded" else 1e-7)
        assert bool(r.success)
    grads = fg.jit(fg.jacrev(lambda a: fnp.stack([r.x for r in all_cases(a)])))(1.3)
    x = float(got[0].x)
    # f'(x, a) = 0: dx/da = -f_xa / f_xx
    f_xx = 2 * (x + 1) + 4 * (x - 1.3) - np.sin(x)
    f_xa = -2 * (x + 1) - 2 * (x - 1.3)
    np.testing.assert_allclose(grads[:4], -f_xa / f_xx, rtol=1e-5)
    assert float(grads[4]) == 0.0                        # the minimizer sits on the bound


def test_errors() -> None:
    sq = lambda x: fnp.sum(x ** 2)  # noqa: E731
    with pytest.raises(ValueError, match="unknown method 'CG'.*'BFGS', 'L-BFGS-B', 'Nelder-Mead'"):
        fopt.minimize(sq, fnp.zeros(2), method="CG")
    with pytest.raises(ValueError, match="does not support the option.*'maxfun'"):
        fopt.minimize(sq, fnp.zeros(2), method="BFGS", options={"maxfun": 3})
    with pytest.raises(ValueError, match="does not take bounds"):
        fopt.minimize(sq, fnp.zeros(2), method="BFGS", bounds=[(0, 1), (0, 1)])
    with pytest.raises(ValueError, match="bounds must be a sequence of 2"):
        fopt.minimize(sq, fnp.zeros(2), method="L-BFGS-B", bounds=[(0, 1)])
    with pytest.raises(ValueError, match="x0 must be a 1-D array"):
        fopt.minimize(sq, fnp.zeros((2, 2)), method="BFGS")
    with pytest.raises(TypeError, match="fun must return a scalar"):
        fopt.minimize(lambda x: x, fnp.zeros(2), method="BFGS")
    with pytest.raises(TypeError, match="args must be a tuple"):
        fopt.minimize(quartic, fnp.zeros(3), fnp.zeros(3), method="BFGS")
    with pytest.raises(ValueError, match="f\\(a\\) and f\\(b\\) must have different signs"):
        fopt.root_scalar(lambda x: x ** 2 + 1, bracket=(0.0, 1.0))
    with pytest.raises(ValueError, match="needs x0"):
        fopt.root_scalar(lambda x: x, method="newton")
    with pytest.raises(ValueError, match="unknown method 'krylov'.*'hybr', 'newton'"):
        fopt.root(lambda x: x, fnp.zeros(2), method="krylov")
    with pytest.raises(TypeError, match="fun must return an array of x0's shape"):
        fopt.root(lambda x: x[:1], fnp.zeros(2))
    with pytest.raises(ValueError, match="bounds are not supported"):
        fopt.least_squares(lambda x: x, fnp.zeros(2), bounds=(0.0, 1.0))
    with pytest.raises(ValueError, match="only loss='linear'"):
        fopt.least_squares(lambda x: x, fnp.zeros(2), loss="huber")
    with pytest.raises(ValueError, match="'bounded' needs bounds"):
        fopt.minimize_scalar(lambda x: x ** 2, method="bounded")
    with pytest.raises(ValueError, match="does not support the option.*'xatol'"):
        fopt.minimize_scalar(lambda x: x ** 2, options={"xatol": 1e-3})
    # under jit a bracket without a sign change cannot raise: NaN and not converged
    r = fg.jit(lambda b: fopt.root_scalar(lambda x: x ** 2 + 1, bracket=(0.0, b)))(1.0)
    assert np.isnan(float(r.root)) and not bool(r.converged)
