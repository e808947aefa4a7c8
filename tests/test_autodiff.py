"""grad, value_and_grad, jvp, vjp, linearize, linear_transpose, jacobians and
stop_gradient, against JAX (x64) as the oracle; nesting with jit; errors."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import funcgrad as fg
import funcgrad.numpy as fnp
from funcgrad.errors import UnsupportedError

RNG = np.random.default_rng(0)
W1, B1 = RNG.standard_normal((4, 5)) * 0.5, RNG.standard_normal(5) * 0.1
W2, B2 = RNG.standard_normal((5, 3)) * 0.5, RNG.standard_normal(3) * 0.1
X = RNG.standard_normal((6, 4))
LABELS = np.eye(3)[[0, 2, 1, 1, 0, 2]]
V = np.array([0.3, -1.2, 2.0, 0.7])


def _mlp(np_: Any) -> Callable[..., Any]:
    def loss(params: dict[str, Any], x: Any, y: Any) -> Any:
        h = np_.tanh(x @ params["w1"] + params["b1"])
        logits = h @ params["w2"] + params["b2"]
        logp = logits - np_.log(np_.sum(np_.exp(logits), axis=1, keepdims=True))
        return -np_.mean(np_.sum(y * logp, axis=1))
    return loss


def _softmax_ce(np_: Any) -> Callable[..., Any]:
    def f(logits: Any) -> Any:
        m = np_.max(logits, axis=-1, keepdims=True)
        z = logits - m
        return -np_.sum(LABELS * (z - np_.log(np_.sum(np_.exp(z), axis=-1, keepdims=True))))
    return f


def _logsumexp(np_: Any) -> Callable[..., Any]:
    def f(x: Any) -> Any:
        m = np_.max(x)
        return m + np_.log(np_.sum(np_.exp(x - m)))
    return f


def _poly(np_: Any) -> Callable[..., Any]:
    return lambda x: np_.sum(3 * x ** 4 - 2 * x ** 3 + x * x - 5 * x + 1)


def _norms(np_: Any) -> Callable[..., Any]:
    return lambda x: np_.sqrt(np_.sum(x ** 2)) + np_.sum(np_.abs(x)) + np_.max(np_.abs(x))


def _misc(np_: Any) -> Callable[..., Any]:
    def f(x: Any) -> Any:
        y = np_.sin(x) * np_.exp(-x / 3) + np_.arctan2(x, 1.5) + np_.log1p(x * x)
        return np_.sum(np_.where(x > 0, y, np_.cosh(x)) ** 2) / np_.prod(1 + x * x)
    return f


SCALAR_FUNS = {"softmax_ce": (_softmax_ce, RNG.standard_normal((6, 3))),
               "logsumexp": (_logsumexp, V), "poly": (_poly, V), "norms": (_norms, V),
               "misc": (_misc, V)}


def _close(a: Any, b: Any, tol: float = 1e-10) -> None:
    for x, y in zip(fg.tree.leaves(a), jax.tree_util.tree_leaves(b), strict=True):
        assert np.shape(x) == np.shape(y)
        np.testing.assert_allclose(np.asarray(x), np.asarray(y), rtol=tol, atol=tol)


@pytest.mark.parametrize("name", SCALAR_FUNS)
def test_grad_jacobians_hessian_match_jax(name: str) -> None:
    make, x = SCALAR_FUNS[name]
    f, jf = make(fnp), make(jnp)
    _close(fg.grad(f)(x), jax.grad(jf)(x))
    _close(fg.value_and_grad(f)(x), jax.value_and_grad(jf)(x))
    _close(fg.jacfwd(fg.grad(f))(x), jax.hessian(jf)(x), 1e-9)
    _close(fg.jacrev(fg.grad(f))(x), jax.hessian(jf)(x), 1e-9)
    _close(fg.hessian(f)(x), jax.hessian(jf)(x), 1e-9)


def test_mlp_loss_gradient_pytree_and_argnums() -> None:
    params = {"w1": W1, "b1": B1, "w2": W2, "b2": B2}
    f, jf = _mlp(fnp), _mlp(jnp)
    g = fg.grad(f)(params, X, LABELS)
    assert isinstance(g, dict) and sorted(g) == ["b1", "b2", "w1", "w2"]
    _close(g, jax.grad(jf)(params, X, LABELS))
    (val, gp, gx) = (lambda r: (r[0], *r[1]))(
        fg.value_and_grad(f, argnums=(0, 1))(params, X, LABELS))
    jval, (jgp, jgx) = jax.value_and_grad(jf, argnums=(0, 1))(params, X, LABELS)
    _close(val, jval)
    _close(gp, jgp)
    _close(gx, jgx)
    _close(fg.jit(fg.grad(f))(params, X, LABELS), jax.grad(jf)(params, X, LABELS))


def test_jacobians_of_vector_functions_match_jax() -> None:
    A = RNG.standard_normal((3, 4))
    f = lambda x, y: (fnp.tanh(A @ x) * y[0], {"s": fnp.sum(x * y)})  # noqa: E731
    jf = lambda x, y: (jnp.tanh(A @ x) * y[0], {"s": jnp.sum(x * y)})  # noqa: E731
    y = V[::-1].copy()
    for argnums in (0, 1, (0, 1)):
        _close(fg.jacfwd(f, argnums)(V, y), jax.jacfwd(jf, argnums)(V, y))
        _close(fg.jacrev(f, argnums)(V, y), jax.jacrev(jf, argnums)(V, y))
    m = RNG.standard_normal((2, 3))
    g = lambda m: fnp.sin(m).T @ m  # noqa: E731
    out = fg.jacrev(g)(m)
    assert out.shape == (3, 3, 2, 3)
    _close(out, jax.jacrev(lambda m: jnp.sin(m).T @ m)(m))
    _close(fg.jacfwd(g)(m), jax.jacfwd(lambda m: jnp.sin(m).T @ m)(m))


def test_higher_order_and_mixed_jit_nesting() -> None:
    f, jf = _misc(fnp), _misc(jnp)

    def d2(f: Any, grad: Any, jit: Any) -> Any:
        return lambda x: grad(lambda x: jit(grad(f))(x)[1])(x)

    want = d2(jf, jax.grad, jax.jit)(V)
    for g in (d2(f, fg.grad, fg.jit), fg.jit(d2(f, fg.grad, lambda h: h)),
              d2(fg.jit(f), fg.grad, fg.jit), fg.jit(d2(fg.jit(f), fg.grad, fg.jit))):
        _close(g(V), want, 1e-9)
    g3 = fg.grad(lambda x: fg.grad(lambda x: fg.grad(fnp.sin)(x) * x)(x))
    np.testing.assert_allclose(g3(0.7), jax.grad(jax.grad(
        lambda x: jax.grad(jnp.sin)(x) * x))(0.7), rtol=1e-12)
    hvp = lambda x, v: fg.jvp(fg.grad(f), (x,), (v,))[1]  # noqa: E731
    _close(hvp(V, V * 2), jax.hessian(jf)(V) @ (V * 2), 1e-9)
    _close(fg.jit(hvp)(V, V * 2), jax.hessian(jf)(V) @ (V * 2), 1e-9)


def test_perturbation_confusion_is_avoided() -> None:
    # d/dx [x * d/dy (x + y)] = d/dx [x * 1] = 1 (a tag-less AD gets 2)
    g = fg.grad(lambda x: x * fg.grad(lambda y: x + y)(1.0))(3.0)
    assert float(g) == 1.0
    g = fg.jit(fg.grad(lambda x: x * fg.jit(fg.grad(lambda y: x * y))(2.0)))(3.0)
    assert float(g) == 6.0
    jv = fg.jvp(lambda x: fg.jvp(lambda y: x * y, (2.0,), (1.0,))[1], (3.0,), (1.0,))
    assert float(jv[1]) == 1.0


def test_eager_grad_allows_python_control_flow() -> None:
    def f(x: Any) -> Any:
        if x > 0:
            return fnp.sin(x)
        return x ** 3
    assert float(fg.grad(f)(1.0)) == pytest.approx(np.cos(1.0))
    assert float(fg.grad(f)(-2.0)) == pytest.approx(12.0)


def test_jvp_vjp_linearize_linear_transpose() -> None:
    f = lambda x, y: (fnp.sin(x) * y, fnp.sum(x))  # noqa: E731
    jf = lambda x, y: (jnp.sin(x) * y, jnp.sum(x))  # noqa: E731
    y = V * 0.5
    tx, ty = np.ones(4), np.arange(4.0)
    _close(fg.jvp(f, (V, y), (tx, ty)), jax.jvp(jf, (V, y), (tx, ty)))
    out, pull = fg.vjp(f, V, y)
    jout, jpull = jax.vjp(jf, V, y)
    ct = (np.arange(4.0), 2.0)
    _close(out, jout)
    res = pull(ct)
    assert isinstance(res, tuple) and len(res) == 2
    _close(res, jpull(ct))
    out, f_jvp = fg.linearize(f, V, y)
    _close(f_jvp(tx, ty), jax.jvp(jf, (V, y), (tx, ty))[1])
    A = RNG.standard_normal((3, 4))
    lin = lambda x: (A @ x, 2.0 * x[1:])  # noqa: E731
    (ct_x,) = fg.linear_transpose(lin, V)((np.ones(3), np.ones(3)))
    np.testing.assert_allclose(ct_x, A.T @ np.ones(3) + np.r_[0.0, 2, 2, 2], rtol=1e-12)
    with pytest.raises(UnsupportedError, match="not linear"):
        fg.linear_transpose(lambda x: fnp.sin(x), V)(np.ones(4))


def test_has_aux_and_float32() -> None:
    def f(x: Any) -> Any:
        return fnp.sum(x ** 2), {"mean": fnp.mean(x), "tag": "ok"}
    x32 = V.astype(np.float32)
    (val, aux), g = fg.value_and_grad(f, has_aux=True)(x32)
    assert g.dtype == np.float32 and val.dtype == np.float32
    assert aux["tag"] == "ok" and isinstance(aux["mean"], fg.Array)
    np.testing.assert_allclose(g, 2 * x32, rtol=1e-6)
    g2, aux2 = fg.grad(f, has_aux=True)(x32)
    np.testing.assert_allclose(g2, g)
    assert float(aux2["mean"]) == pytest.approx(float(np.mean(x32)), rel=1e-6)
    out, pull, aux3 = fg.vjp(lambda x: (fnp.sin(x), fnp.cos(x)), V, has_aux=True)
    np.testing.assert_allclose(aux3, np.cos(V))


def test_stop_gradient() -> None:
    f = lambda x: fnp.sum(x * fg.stop_gradient(x ** 2))  # noqa: E731
    jf = lambda x: jnp.sum(x * jax.lax.stop_gradient(x ** 2))  # noqa: E731
    _close(fg.grad(f)(V), jax.grad(jf)(V))
    _close(fg.jit(fg.grad(f))(V), jax.grad(jf)(V))
    _close(fg.hessian(f)(V), jax.hessian(jf)(V))
    tree = fg.stop_gradient({"a": V, "n": 3})
    assert tree["n"] == 3


def test_zero_gradient_when_output_ignores_input() -> None:
    g = fg.grad(lambda x, y: fnp.sum(y * 2.0), argnums=(0, 1))(V, V)
    np.testing.assert_array_equal(g[0], np.zeros(4))
    np.testing.assert_array_equal(g[1], np.full(4, 2.0))
    assert float(fg.grad(lambda x: 1.0)(2.0)) == 0.0


def test_grad_through_jit_stays_compiled() -> None:
    f = fg.jit(lambda x: fnp.sum(fnp.sin(x) ** 2))
    prog = fg.make_ir(fg.grad(f))(V)
    names = [e.prim.name for e in prog.eqns]
    assert names.count("jit") == 2, prog      # the known forward and the transposed backward
    assert "sin" not in names and "cos" not in names
    _close(fg.grad(f)(V), jax.grad(lambda x: jnp.sum(jnp.sin(x) ** 2))(V))


# ---------------------------------------------------------------------------
# errors


def test_grad_of_non_scalar_output_raises() -> None:
    with pytest.raises(TypeError, match=r"scalar output.*shape \(4,\).*jacrev"):
        fg.grad(fnp.sin)(V)
    with pytest.raises(TypeError, match="scalar output"):
        fg.grad(lambda x: (fnp.sum(x), fnp.sum(x)))(V)
    with pytest.raises(TypeError, match="real floating-point output.*complex"):
        fg.grad(lambda x: fnp.sum(x) * 1j)(V)


def test_grad_of_integer_or_bool_input_raises() -> None:
    with pytest.raises(TypeError, match=r"floating-point.*int64.*astype\(float\)"):
        fg.grad(lambda x: fnp.sum(x * 1.0))(np.arange(3))
    with pytest.raises(TypeError, match="bool"):
        fg.grad(lambda x, y: fnp.sum(x), argnums=(0, 1))(V, True)
    with pytest.raises(TypeError, match="floating-point"):
        fg.jacrev(lambda x: x * 1.0)(3)


def test_argnums_out_of_range_raises() -> None:
    called = []

    def f(x: Any, y: Any) -> Any:
        called.append(1)
        return fnp.sum(x * y)

    with pytest.raises(ValueError, match=r"argnums=2 is out of range.*2 positional"):
        fg.grad(f, argnums=2)(V, V)
    with pytest.raises(ValueError, match="out of range"):
        fg.value_and_grad(f, argnums=(0, -3))(V, V)
    with pytest.raises(TypeError, match="argnums must be an int"):
        fg.grad(f, argnums="x")(V, V)
    assert not called, "errors must be raised before the function runs"
    with pytest.raises(TypeError, match="callable"):
        fg.grad(3)


def test_jvp_and_vjp_argument_errors() -> None:
    with pytest.raises(TypeError, match="tuples or lists"):
        fg.jvp(fnp.sin, V, V)
    with pytest.raises(TypeError, match=r"primal #0 has type f64\[4\] but its tangent.*f32"):
        fg.jvp(fnp.sin, (V,), (V.astype(np.float32),))
    _, pull = fg.vjp(fnp.sin, V)
    with pytest.raises(TypeError, match=r"cotangent #0 has type f64\[3\]"):
        pull(np.ones(3))
    with pytest.raises(TypeError, match="structure"):
        pull((np.ones(4), np.ones(4)))


def test_escaped_tracer_from_grad_is_reported() -> None:
    from funcgrad.errors import EscapedTracerError
    leaked = []
    fg.grad(lambda x: (leaked.append(x), fnp.sum(x))[1])(V)
    with pytest.raises(EscapedTracerError):
        fnp.sin(leaked[0])
