"""custom_jvp/custom_vjp functions closing over traced values (of jit, vmap and
grad), closure_convert, custom_gradient, and custom rules whose Python code
branches on values under an eager grad; each against JAX on the same inputs."""
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

jax.config.update("jax_enable_x64", True)


def _scaled(np_: Any, custom_jvp: Any, custom_vjp: Any, kind: str) -> Callable[[Any], Any]:
    """outer(c) -> a custom function of y closing over c (JAX's closure tests)."""
    def outer(c: Any) -> Any:
        if kind == "jvp":
            @custom_jvp
            def f(y: Any) -> Any:
                return c * np_.sin(y)

            @f.defjvp
            def _(primals: Any, tangents: Any) -> Any:
                (y,), (t,) = primals, tangents
                return c * np_.sin(y), c * np_.cos(y) * t
            return f

        @custom_vjp
        def g(y: Any) -> Any:
            return c * np_.sin(y)

        g.defvjp(lambda y: (c * np_.sin(y), np_.cos(y)), lambda r, ct: (c * r * ct,))
        return g
    return outer


@pytest.mark.parametrize("kind", ["jvp", "vjp"])
def test_closing_over_jit_and_vmap_tracers_like_jax(kind: str) -> None:
    fo = _scaled(fnp, fg.custom_jvp, fg.custom_vjp, kind)
    jo = _scaled(jnp, jax.custom_jvp, jax.custom_vjp, kind)
    cs, ys = np.array([0.5, 2.0, -1.5]), np.array([0.3, -0.7, 1.1])
    cases = [
        ("jit", lambda t, o: t.jit(lambda c, y: o(c)(y))),
        ("jit(grad)", lambda t, o: t.jit(lambda c, y: t.grad(o(c))(y))),
        ("vmap", lambda t, o: t.vmap(lambda c, y: o(c)(y))),
        ("vmap(grad)", lambda t, o: t.vmap(lambda c, y: t.grad(o(c))(y))),
        ("vmap(jit(grad))", lambda t, o: t.vmap(t.jit(lambda c, y: t.grad(o(c))(y)))),
    ]
    for name, make in cases:
        got, want = make(fg, fo), make(jax, jo)
        if "vmap" in name:
            np.testing.assert_allclose(got(cs, ys), want(cs, ys), rtol=1e-12, err_msg=name)
        else:
            np.testing.assert_allclose(got(cs[1], ys[1]), want(cs[1], ys[1]), rtol=1e-12,
                                       err_msg=name)
    # an outer grad of the closed-over value, through vmap of an inner grad
    got = fg.grad(lambda c: fnp.sum(fg.vmap(lambda y: fg.grad(fo(c))(y))(ys)))(cs[1])
    want = jax.grad(lambda c: jnp.sum(jax.vmap(lambda y: jax.grad(jo(c))(y))(ys)))(cs[1])
    np.testing.assert_allclose(got, want, rtol=1e-12)
    # an outer jvp differentiates the closed-over value through the rule's own code
    got = fg.jvp(lambda c: fg.grad(fo(c))(ys[0]), (cs[1],), (1.0,))
    want = jax.jvp(lambda c: jax.grad(jo(c))(ys[0]), (cs[1],), (1.0,))
    np.testing.assert_allclose(got, want, rtol=1e-12)


@pytest.mark.parametrize("kind", ["jvp", "vjp"])
def test_rule_outlives_the_jit_trace_of_its_closure(kind: str) -> None:
    # JAX raises here (its rule would read a finished jit tracer); funcgrad passes
    # the closed-over value to the rule as an operand
    fo = _scaled(fnp, fg.custom_jvp, fg.custom_vjp, kind)
    g = fg.grad(fg.jit(lambda c, y: fo(c)(y)), argnums=1)
    np.testing.assert_allclose(g(2.0, 0.3), 2.0 * np.cos(0.3), rtol=1e-12)
    gv = fg.vmap(g)(np.array([1.0, 3.0]), np.array([0.2, 0.4]))
    np.testing.assert_allclose(gv, [np.cos(0.2), 3 * np.cos(0.4)], rtol=1e-12)
    hv = fg.vmap(fg.jit(lambda c, y: fo(c)(y)))
    np.testing.assert_allclose(fg.grad(lambda y: fnp.sum(hv(np.array([1.0, 3.0]), y)))(
        np.array([0.2, 0.4])), [np.cos(0.2), 3 * np.cos(0.4)], rtol=1e-12)


def test_custom_jvp_differentiated_closure_uses_the_function_code() -> None:
    # NB: JAX raises here; funcgrad differentiates the closed-over value through
    # the function's own code and the argument through the rule
    def outer(c: Any, y: Any) -> Any:
        @fg.custom_jvp
        def f(y: Any) -> Any:
            return fnp.sin(y) * c

        @f.defjvp
        def _(primals: Any, tangents: Any) -> Any:
            (y,), (t,) = primals, tangents
            return f(y), 10.0 * c * t       # deliberately not the true derivative
        return f(y * c)

    c, y = 0.7, 0.4
    want_c = np.sin(y * c) + 10.0 * c * y        # d/dc: the code's share + the rule's
    for g in (fg.grad(outer), fg.jit(fg.grad(outer)), fg.grad(fg.jit(outer))):
        np.testing.assert_allclose(g(c, y), want_c, rtol=1e-12)
    np.testing.assert_allclose(fg.grad(outer, argnums=1)(c, y), 10.0 * c * c, rtol=1e-12)
    _, t = fg.jvp(outer, (c, y), (1.0, 0.0))
    np.testing.assert_allclose(t, want_c, rtol=1e-12)


def test_custom_vjp_differentiated_closure_raises_and_closure_convert_fixes_it() -> None:
    def outer(c: Any, y: Any) -> Any:
        @fg.custom_vjp
        def f(y: Any) -> Any:
            return fnp.sin(y) * c

        f.defvjp(lambda y: (fnp.sin(y) * c, fnp.cos(y)), lambda r, g: (r * c * g,))
        return f(y)

    with pytest.raises(UnsupportedError, match="closes over.*closure_convert"):
        fg.grad(outer)(0.7, 0.4)
    with pytest.raises(UnsupportedError, match="closes over"):
        fg.jit(fg.grad(outer))(0.7, 0.4)
    np.testing.assert_allclose(fg.grad(outer, argnums=1)(0.7, 0.4), 0.7 * np.cos(0.4))

    # JAX's pattern: a higher-order custom_vjp receives the converted function and
    # its consts as arguments, so its bwd can give the consts their cotangents
    def make(t: Any, np_: Any) -> Callable[..., Any]:
        @t.custom_vjp
        def apply(fun: Any, y: Any, *consts: Any) -> Any:
            return fun(y, *consts)

        def fwd(fun: Any, y: Any, *consts: Any) -> Any:
            return fun(y, *consts), (y, consts)

        def bwd(fun: Any, res: Any, g: Any) -> Any:
            y, consts = res
            _, pull = t.vjp(fun, y, *consts)
            return pull(g)

        apply.defvjp(fwd, bwd)
        apply_nd = apply  # nondiff fun below

        def loss(c: Any, y: Any) -> Any:
            scale = lambda v: np_.sin(v) * c  # noqa: E731
            conv, consts = t.closure_convert(scale, y)
            return apply_nd(conv, y, *consts)
        return loss

    f_loss = make(_nondiff(fg), fnp)
    j_loss = make(_nondiff(jax), jnp)
    for argnums in (0, 1, (0, 1)):
        np.testing.assert_allclose(fg.grad(f_loss, argnums)(0.7, 0.4),
                                   jax.grad(j_loss, argnums)(0.7, 0.4), rtol=1e-12)
    conv, consts = fg.closure_convert(lambda v: v * 2.0, np.ones(2))
    assert consts == [] and np.allclose(conv(np.ones(2)), 2.0)
    with pytest.raises(TypeError, match="structure"):
        conv(np.ones(2), np.ones(2))


class _nondiff:  # noqa: N801
    """`t` with custom_vjp taking its first argument as nondiff (fun), as JAX's
    closure_convert documentation does."""

    def __init__(self, t: Any):
        self.t = t

    def custom_vjp(self, fun: Any) -> Any:
        return self.t.custom_vjp(fun, nondiff_argnums=(0,))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.t, name)


def test_custom_gradient_like_jax() -> None:
    def make(t: Any, np_: Any) -> Callable[..., Any]:
        @t.custom_gradient
        def f(x: Any) -> Any:
            y = np_.sin(x)
            return y, lambda g: g * 3.0 * np_.cos(x)       # deliberately scaled

        @t.custom_gradient
        def h(x: Any, w: Any) -> Any:
            return {"a": x * w, "b": w}, lambda ct: (ct["a"] * w, ct["a"] * x + ct["b"] * 2.0)
        return lambda x, w: np_.sum(f(x) * h(x, w)["a"] + h(x, w)["b"])

    fl, jl = make(fg, fnp), make(jax, jnp)
    x, w = np.array([0.3, -1.2, 2.0]), np.array([1.5, 0.5, -0.7])
    want = jax.grad(jl, (0, 1))(x, w)
    for g in (fg.grad(fl, (0, 1)), fg.jit(fg.grad(fl, (0, 1))), fg.grad(fg.jit(fl), (0, 1))):
        for a, b in zip(g(x, w), want, strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-12)
    vg = fg.vmap(fg.grad(fl), (0, None))(np.stack([x, 2 * x]), w)
    np.testing.assert_allclose(vg, jax.vmap(jax.grad(jl), (0, None))(np.stack([x, 2 * x]), w),
                               rtol=1e-12)
    np.testing.assert_allclose(fl(x, w), jl(x, w), rtol=1e-12)

    @fg.custom_gradient
    def bad(x: Any) -> Any:
        return x

    with pytest.raises(TypeError, match=r"pair \(value, vjp_fn\)"):
        fg.grad(bad)(1.0)


def _branchy(t: Any, np_: Any) -> tuple[Any, Any]:
    @t.custom_jvp
    def f(x: Any) -> Any:
        if x > 0:
            return np_.sin(x) * x
        return x ** 3

    @f.defjvp
    def _(primals: Any, tangents: Any) -> Any:
        (x,), (dx,) = primals, tangents
        if x > 0:
            return f(x), (np_.cos(x) * x + np_.sin(x)) * dx
        return f(x), 3 * x ** 2 * dx

    @t.custom_vjp
    def g(x: Any) -> Any:
        return np_.exp(x) if x < 1 else np_.exp(1.0) * x

    def fwd(x: Any) -> Any:
        return g(x), x

    def bwd(x: Any, ct: Any) -> Any:
        return (ct * (np_.exp(x) if x < 1 else np_.exp(1.0)),)

    g.defvjp(fwd, bwd)
    return f, g


def test_eager_grad_of_rules_that_branch_on_values() -> None:
    ff, fgv = _branchy(fg, fnp)
    jf, jgv = _branchy(jax, jnp)
    for x in (0.7, -0.4):
        for name, fd, jd in (
                ("grad", fg.grad(ff), jax.grad(jf)),
                ("value_and_grad", fg.value_and_grad(lambda x: ff(x) * fgv(x)),
                 jax.value_and_grad(lambda x: jf(x) * jgv(x))),
                ("jacfwd", fg.jacfwd(ff), jax.jacfwd(jf)),
                ("jacrev", fg.jacrev(lambda x: ff(x) + fgv(x)),
                 jax.jacrev(lambda x: jf(x) + jgv(x))),
                ("hessian", fg.hessian(ff), jax.hessian(jf))):
            np.testing.assert_allclose(fd(x), jd(x), rtol=1e-12, err_msg=f"{name} at {x}")
    # the same function, called again on values taking the other branch
    vg = fg.value_and_grad(lambda x: ff(x) + fgv(x))
    for x in (-0.2, 2.0, 0.3):
        np.testing.assert_allclose(vg(x), jax.value_and_grad(lambda x: jf(x) + jgv(x))(x),
                                   rtol=1e-12)
    # under jit the value is not there: the error says so
    with pytest.raises(fg.errors.ConcretizationError):
        fg.jit(fg.grad(ff))(0.5)
