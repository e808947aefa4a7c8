"""custom_jvp and custom_vjp: JAX's examples (a stable log1pexp, a clipped
gradient), under jit, at higher order, with nondiff_argnums, and their errors."""
from __future__ import annotations

import functools
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import funcgrad as fg
import funcgrad.numpy as fnp
from funcgrad.testing import check_grads

X = np.array([-30.0, -1.0, 0.5, 3.0, 50.0, 800.0])


@fg.custom_jvp
def log1pexp(x: Any) -> Any:
    return fnp.log1p(fnp.exp(x))


@log1pexp.defjvp
def _log1pexp_jvp(primals: Any, tangents: Any) -> Any:
    (x,), (t,) = primals, tangents
    return log1pexp(x), t * (1 - 1 / (1 + fnp.exp(x)))


@jax.custom_jvp
def j_log1pexp(x: Any) -> Any:
    return jnp.log1p(jnp.exp(x))


@j_log1pexp.defjvp
def _j_log1pexp_jvp(primals: Any, tangents: Any) -> Any:
    (x,), (t,) = primals, tangents
    return j_log1pexp(x), t * (1 - 1 / (1 + jnp.exp(x)))


def test_custom_jvp_log1pexp_is_stable_like_jax() -> None:
    g = fg.grad(lambda x: fnp.sum(log1pexp(x)))(X)
    assert np.all(np.isfinite(np.asarray(g)))
    want = jax.grad(lambda x: jnp.sum(j_log1pexp(x)))(X)
    np.testing.assert_allclose(g, want, rtol=1e-12)
    # without the rule the gradient at 800 is NaN (inf / inf)
    plain = fg.grad(lambda x: fnp.sum(fnp.log1p(fnp.exp(x))))(X)
    assert np.isnan(np.asarray(plain)[-1])
    for h in (fg.jit(fg.grad(lambda x: fnp.sum(log1pexp(x)))),
              fg.grad(fg.jit(lambda x: fnp.sum(log1pexp(x))))):
        np.testing.assert_allclose(h(X), want, rtol=1e-12)
    y, t = fg.jvp(log1pexp, (X,), (np.ones(6),))
    jy, jt = jax.jvp(j_log1pexp, (X,), (np.ones(6),))
    np.testing.assert_allclose(t, jt, rtol=1e-12)
    np.testing.assert_allclose(y[:-1], jy[:-1], rtol=1e-12)


def test_custom_jvp_higher_order_uses_the_rule() -> None:
    x = X[:5]
    h = fg.hessian(lambda x: fnp.sum(log1pexp(x)))(x)
    jh = jax.hessian(lambda x: jnp.sum(j_log1pexp(x)))(x)
    np.testing.assert_allclose(h, jh, rtol=1e-10, atol=1e-300)
    np.testing.assert_allclose(fg.jit(fg.hessian(lambda x: fnp.sum(log1pexp(x))))(x), jh,
                               rtol=1e-10, atol=1e-300)
    check_grads(log1pexp, (np.array([-1.0, 0.3, 2.0]),), order=2)


def test_custom_jvp_rule_is_what_gets_used() -> None:
    @fg.custom_jvp
    def f(x: Any) -> Any:
        return fnp.sin(x)

    @f.defjvp
    def _(primals: Any, tangents: Any) -> Any:   # deliberately not the true derivative
        (x,), (t,) = primals, tangents
        return f(x), 10.0 * t

    assert float(fg.grad(f)(0.3)) == 10.0
    assert float(fg.jit(fg.grad(f))(0.3)) == 10.0
    assert float(f(0.3)) == pytest.approx(np.sin(0.3))


def test_custom_jvp_nondiff_argnums_and_defjvps() -> None:
    @functools.partial(fg.custom_jvp, nondiff_argnums=(0,))
    def scaled(s: float, x: Any) -> Any:
        return s * fnp.sin(x)

    @scaled.defjvp
    def _(s: float, primals: Any, tangents: Any) -> Any:
        (x,), (t,) = primals, tangents
        return scaled(s, x), s * fnp.cos(x) * t

    assert float(fg.grad(lambda x: scaled(3.0, x))(0.2)) == pytest.approx(3 * np.cos(0.2))
    app = fg.custom_jvp(lambda x, y: x * y)
    app.defjvps(lambda t, ans, x, y: t * y, lambda t, ans, x, y: x * t)
    g = fg.grad(app, argnums=(0, 1))(2.0, 5.0)
    assert (float(g[0]), float(g[1])) == (5.0, 2.0)


def test_custom_jvp_errors() -> None:
    @fg.custom_jvp
    def f(x: Any) -> Any:
        return x * 2.0

    with pytest.raises(AttributeError, match="defjvp"):
        fg.grad(f)(1.0)

    @f.defjvp
    def _(primals: Any, tangents: Any) -> Any:
        return f(primals[0]), fnp.ones(3)

    with pytest.raises(TypeError, match=r"tangent output #0 has type f64\[3\]"):
        fg.grad(f)(1.0)


# ---------------------------------------------------------------------------
# custom_vjp


@functools.partial(fg.custom_vjp, nondiff_argnums=(0, 1))
def clip_gradient(lo: float, hi: float, x: Any) -> Any:
    return x


def _clip_fwd(lo: float, hi: float, x: Any) -> Any:
    return x, None


def _clip_bwd(lo: float, hi: float, res: Any, g: Any) -> Any:
    return (fnp.clip(g, lo, hi),)


clip_gradient.defvjp(_clip_fwd, _clip_bwd)


j_clip_gradient = jax.custom_vjp(lambda lo, hi, x: x, nondiff_argnums=(0, 1))
j_clip_gradient.defvjp(lambda lo, hi, x: (x, None),
                       lambda lo, hi, res, g: (jnp.clip(g, lo, hi),))


def test_custom_vjp_clipped_gradient_like_jax() -> None:
    x = np.array([0.5, -2.0, 3.0])
    f = lambda x: fnp.sum(clip_gradient(-1.0, 1.0, x * x) * 3.0)  # noqa: E731
    jf = lambda x: jnp.sum(j_clip_gradient(-1.0, 1.0, x * x) * 3.0)  # noqa: E731
    want = jax.grad(jf)(x)
    for g in (fg.grad(f), fg.jit(fg.grad(f)), fg.grad(fg.jit(f))):
        np.testing.assert_allclose(g(x), want, rtol=1e-12)
    np.testing.assert_allclose(fg.jacrev(lambda x: clip_gradient(-1.0, 1.0, x) * 3.0)(x),
                               np.eye(3), rtol=1e-12)
    check_grads(lambda x: clip_gradient(-10.0, 10.0, fnp.sin(x)), (x,), order=1,
                modes=("rev",))


def test_custom_vjp_residuals_and_second_order() -> None:
    @fg.custom_vjp
    def cube(x: Any) -> Any:
        return x ** 3

    def fwd(x: Any) -> Any:
        return x ** 3, (x, x * x)

    def bwd(res: Any, g: Any) -> Any:
        x, x2 = res
        return (3.0 * x2 * g,)

    cube.defvjp(fwd, bwd)
    assert float(fg.grad(cube)(2.0)) == 12.0
    assert float(fg.grad(fg.grad(cube))(2.0)) == 12.0        # d/dx 3 x^2 = 6 x
    assert float(fg.jit(fg.grad(fg.grad(cube)))(2.0)) == 12.0
    assert float(cube(2.0)) == 8.0


def test_custom_vjp_forward_mode_and_bad_bwd_raise() -> None:
    with pytest.raises(TypeError, match="forward-mode.*custom_vjp"):
        fg.jvp(lambda x: clip_gradient(-1.0, 1.0, x), (1.0,), (1.0,))

    @fg.custom_vjp
    def f(x: Any, y: Any) -> Any:
        return x * y

    f.defvjp(lambda x, y: (x * y, (x, y)), lambda res, g: (g * res[1],))
    with pytest.raises(TypeError, match=r"one cotangent per\s+differentiable argument \(2\)"):
        fg.grad(f)(1.0, 2.0)

    f.defvjp(lambda x, y: (x * y, (x, y)), lambda res, g: (g * res[1], None))
    g = fg.grad(f, argnums=(0, 1))(1.5, 2.0)
    assert (float(g[0]), float(g[1])) == (2.0, 0.0)
