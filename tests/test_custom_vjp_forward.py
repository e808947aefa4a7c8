"""Forward mode through custom_vjp functions: jvp, jacfwd, hessian and linearize
use the transpose of the user's bwd. JAX has no forward mode for custom_vjp, so
its reverse-mode Jacobian of the same custom_vjp function is the oracle (and
JAX's forward mode of the plain function, where the rule is the true derivative)."""
from __future__ import annotations

import functools
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import funcgrad as fg
import funcgrad.numpy as fnp

jax.config.update("jax_enable_x64", True)

X = np.array([0.3, -0.7, 1.1])
T = np.array([1.0, -2.0, 0.5])


def _close(got: Any, want: Any, msg: str = "") -> None:
    g_leaves, g_tree = jax.tree_util.tree_flatten(fg.tree_util.tree_map(np.asarray, got))
    w_leaves, w_tree = jax.tree_util.tree_flatten(want)
    assert len(g_leaves) == len(w_leaves), (msg, g_tree, w_tree)
    for g, w in zip(g_leaves, w_leaves, strict=True):
        w = np.asarray(w)
        assert g.shape == w.shape and g.dtype == w.dtype, (msg, g.shape, w.shape, g.dtype,
                                                           w.dtype)
        np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-14, err_msg=msg)


def _sin_scaled(np_: Any, custom_vjp: Any, calls: list[int] | None = None) -> Any:
    """sin(x) * x[0], with a deliberately custom rule: twice the diagonal part only."""
    @custom_vjp
    def f(x: Any) -> Any:
        return np_.sin(x) * x[0]

    def fwd(x: Any) -> Any:
        return f(x), (np_.cos(x), x)

    def bwd(res: Any, g: Any) -> Any:
        if calls is not None:
            calls[0] += 1
        c, x = res
        return (2.0 * g * c * x[0],)

    f.defvjp(fwd, bwd)
    return f


def _sin_true(np_: Any, custom_vjp: Any) -> Any:
    """sin with its true derivative as the rule (residual: cos x)."""
    @custom_vjp
    def f(x: Any) -> Any:
        return np_.sin(x)

    f.defvjp(lambda x: (np_.sin(x), np_.cos(x)), lambda c, g: (g * c,))
    return f


F, JF = _sin_scaled(fnp, fg.custom_vjp), _sin_scaled(jnp, jax.custom_vjp)


def test_jacfwd_jvp_linearize_give_the_custom_rule_jacobian() -> None:
    want = jax.jacrev(JF)(X)
    # the rule is not the true derivative: forward mode must use it anyway
    assert not np.allclose(want, jax.jacfwd(lambda x: jnp.sin(x) * x[0])(X))
    _close(fg.jacfwd(F)(X), want, "jacfwd")
    _close(fg.jit(fg.jacfwd(F))(X), want, "jit(jacfwd)")
    _close(fg.jacfwd(fg.jit(F))(X), want, "jacfwd(jit)")
    _close(fg.jacrev(F)(X), want, "jacrev")
    y, y_dot = fg.jvp(F, (X,), (T,))
    _close((y, y_dot), (JF(X), want @ T), "jvp")
    _close(fg.jit(lambda x, t: fg.jvp(F, (x,), (t,)))(X, T), (JF(X), want @ T), "jit(jvp)")
    y, f_jvp = fg.linearize(F, X)
    _close((y, f_jvp(T), fg.jit(f_jvp)(T)), (JF(X), want @ T, want @ T), "linearize")


def test_true_rule_agrees_with_forward_mode_of_the_plain_function() -> None:
    f, plain = _sin_true(fnp, fg.custom_vjp), jnp.sin
    _close(fg.jacfwd(f)(X), jax.jacfwd(plain)(X), "jacfwd")
    _close(fg.hessian(lambda x: fnp.sum(f(x) ** 3))(X),
           jax.hessian(lambda x: jnp.sum(plain(x) ** 3))(X), "hessian")
    _close(fg.jvp(f, (2.0,), (3.0,)), jax.jvp(plain, (2.0,), (3.0,)), "scalar jvp")


def test_under_vmap() -> None:
    xs = np.array([[0.3, -0.7, 1.1], [1.5, 0.2, -0.4]])
    want = jax.vmap(jax.jacrev(JF))(xs)
    _close(fg.vmap(fg.jacfwd(F))(xs), want, "vmap(jacfwd)")
    _close(fg.jit(fg.vmap(fg.jacfwd(F)))(xs), want, "jit(vmap(jacfwd))")
    # a batched tangent at a fixed point, and jvp of the batched function
    ts = np.stack([T, 2 * T])
    _close(fg.vmap(lambda t: fg.jvp(F, (X,), (t,))[1])(ts), ts @ jax.jacrev(JF)(X).T,
           "vmap(jvp) over tangents")
    _close(fg.jvp(fg.vmap(F), (xs,), (ts,))[1], np.einsum("bij,bj->bi", want, ts),
           "jvp(vmap)")
    # vmap with an unbatched input next to a batched one
    g = lambda x, s: F(x * s)  # noqa: E731
    jg = lambda x, s: JF(x * s)  # noqa: E731
    s = np.array([0.5, 2.0])
    _close(fg.vmap(fg.jacfwd(g), in_axes=(None, 0))(X, s),
           jax.vmap(jax.jacrev(jg), in_axes=(None, 0))(X, s), "vmap in_axes=(None, 0)")


def test_second_order_both_ways() -> None:
    want = jax.jacrev(jax.jacrev(JF))(X)
    _close(fg.jacfwd(fg.jacrev(F))(X), want, "jacfwd(jacrev)")
    _close(fg.jacrev(fg.jacfwd(F))(X), want, "jacrev(jacfwd)")
    _close(fg.jacfwd(fg.jacfwd(F))(X), want, "jacfwd(jacfwd)")
    loss, jloss = (lambda x: fnp.sum(F(x) ** 2)), (lambda x: jnp.sum(JF(x) ** 2))
    _close(fg.hessian(loss)(X), jax.jacrev(jax.jacrev(jloss))(X), "hessian")


def _pytree_fn(np_: Any, custom_vjp: Any) -> Any:
    """Pytree inputs and outputs, pytree residuals, an integer input, a zero
    cotangent (None) for one input and a non-differentiable (nondiff) scale."""
    @functools.partial(custom_vjp, nondiff_argnums=(0,))
    def f(scale: float, p: Any, xs: Any, n: Any) -> Any:
        w, b = p["w"], p["b"]
        x, z = xs
        y = np_.tanh(w * x + b) * scale
        return {"y": y, "s": np_.sum(y * z) + n}

    def fwd(scale: float, p: Any, xs: Any, n: Any) -> Any:
        out = f(scale, p, xs, n)
        w, b = p["w"], p["b"]
        x, z = xs
        return out, {"d": (1 - np_.tanh(w * x + b) ** 2) * scale, "wx": (w, x), "z": z,
                     "y": out["y"]}

    def bwd(scale: float, res: Any, ct: Any) -> Any:
        d, (w, x), z, y = res["d"], res["wx"], res["z"], res["y"]
        gy = ct["y"] + ct["s"] * z
        pre = gy * d
        return ({"w": pre * x, "b": np_.sum(pre)}, (pre * w, ct["s"] * y), None)

    f.defvjp(fwd, bwd)
    return f


def test_pytrees_zero_cotangents_nondiff_and_integer_inputs() -> None:
    f, jf = _pytree_fn(fnp, fg.custom_vjp), _pytree_fn(jnp, jax.custom_vjp)
    p = {"w": np.array([0.5, -1.0, 2.0]), "b": np.float64(0.25)}
    xs = (X, np.array([1.0, 2.0, -1.0]))
    n = np.int64(3)
    want = jax.jacrev(jf, argnums=(1, 2))(1.5, p, xs, n)
    _close(fg.jacfwd(f, argnums=(1, 2))(1.5, p, xs, n), want, "jacfwd pytrees")
    _close(fg.jit(fg.jacfwd(f, argnums=(1, 2)), static_argnums=0)(1.5, p, xs, n), want,
           "jit(jacfwd) pytrees")
    tp = {"w": np.array([1.0, 0.0, -1.0]), "b": np.float64(2.0)}
    # symbolic zero tangents for xs and n
    got = fg.jvp(lambda p: f(1.5, p, xs, n), (p,), (tp,))
    jac = jax.jacrev(lambda p: jf(1.5, p, xs, n))(p)
    t_want = {k: j["w"] @ tp["w"] + j["b"] * tp["b"] for k, j in jac.items()}
    _close(got, (jf(1.5, p, xs, n), t_want), "jvp pytrees")
    assert got[1]["s"].dtype == np.float64 and got[0]["s"].dtype == np.float64


def test_closure_over_a_jit_tracer_and_a_constant() -> None:
    w = np.array([1.0, -2.0, 3.0])

    def make(np_: Any, custom_vjp: Any, c: Any) -> Any:
        @custom_vjp
        def g(y: Any) -> Any:
            return c * np_.sin(y)

        # bwd reads c through the closure and a constant array `w`
        g.defvjp(lambda y: (c * np_.sin(y), np_.cos(y)), lambda r, ct: (c * r * ct * w,))
        return g

    got = fg.jit(lambda c, y: fg.jacfwd(make(fnp, fg.custom_vjp, c))(y))(2.0, X)
    want = jax.jacrev(make(jnp, jax.custom_vjp, 2.0))(X)
    _close(got, want, "closure")
    _close(fg.jacfwd(make(fnp, fg.custom_vjp, 2.0))(X), want, "eager closure")


def test_bwd_is_staged_only_when_forward_mode_evaluates_it() -> None:
    calls = [0]
    f = _sin_scaled(fnp, fg.custom_vjp, calls)
    fg.grad(lambda x: fnp.sum(f(x)))(X)
    assert calls[0] == 1                 # reverse mode: bwd once
    fg.vjp(f, X)[1](T)
    fg.vjp(f, X + 1)[1](T)
    assert calls[0] == 2                 # eager vjp: transposed once per signature
    calls[0] = 0
    y, f_jvp = fg.linearize(f, X)
    fg.make_ir(lambda x, t: fg.jvp(f, (x,), (t,)))(X, T)
    assert calls[0] == 0                 # nothing evaluated the tangent map yet
    f_jvp(T)
    assert calls[0] == 1                 # staged once, to be transposed
    fg.jvp(f, (X,), (T,))
    fg.jvp(f, (X + 1,), (T,))
    assert calls[0] == 1                 # the same signature reuses it


def _nonlinear(np_: Any, custom_vjp: Any, kind: str) -> Any:
    @custom_vjp
    def clipped(x: Any) -> Any:
        return np_.sin(x)

    def bwd(c: Any, g: Any) -> Any:
        if kind == "clip":
            return (np_.clip(g * c, -0.5, 0.5),)
        if kind == "square":
            return (g * g * c,)
        return (g * c if g[0] > 0 else -g * c,)

    clipped.defvjp(lambda x: (np_.sin(x), np_.cos(x)), bwd)
    return clipped


@pytest.mark.parametrize("kind", ["clip", "square", "branch"])
def test_bwd_not_linear_in_its_cotangent_raises_clearly(kind: str) -> None:
    f = _nonlinear(fnp, fg.custom_vjp, kind)
    if kind != "branch":     # reverse mode still works, like JAX's
        _close(fg.grad(lambda x: fnp.sum(f(x)))(X),
               jax.grad(lambda x: jnp.sum(_nonlinear(jnp, jax.custom_vjp, kind)(x)))(X))
    msg = r"(?s)clipped: forward-mode differentiation .*linear in its cotangent.*fg\.custom_jvp"
    for run in (lambda: fg.jvp(f, (X,), (T,)), lambda: fg.jacfwd(f)(X),
                lambda: fg.jit(fg.jacfwd(f))(X)):
        with pytest.raises(TypeError, match=msg):
            run()


def test_traced_nondiff_arguments() -> None:
    # a traced nondiff argument the function reads reaches bwd through the
    # residuals (JAX refuses tracers there); one that only bwd reads cannot be
    # seen by the tangent map once its trace has finished, and raises clearly
    @functools.partial(fg.custom_vjp, nondiff_argnums=(0,))
    def f(c: Any, x: Any) -> Any:
        return fnp.sin(x) * c

    f.defvjp(lambda c, x: (fnp.sin(x) * c, fnp.cos(x)), lambda c, r, g: (g * r * c,))
    got = fg.jit(lambda c, x: fg.jvp(lambda x: f(c, x), (x,), (T,))[1])(2.0, X)
    _close(got, 2.0 * np.cos(X) * T, "nondiff read by the function")
    _close(fg.jacfwd(lambda x: f(2.0, x))(X), np.diag(2.0 * np.cos(X)), "static nondiff")

    @functools.partial(fg.custom_vjp, nondiff_argnums=(0,))
    def h(c: Any, x: Any) -> Any:
        return fnp.sin(x)

    h.defvjp(lambda c, x: (fnp.sin(x), fnp.cos(x)), lambda c, r, g: (g * r * c,))
    with pytest.raises(TypeError, match="(?s)h: forward-mode.*residuals"):
        fg.jit(lambda c, x: fg.jvp(lambda x: h(c, x), (x,), (T,))[1])(2.0, X)
