"""Reverse mode through structured control flow: cond, switch, scan, fori_loop.

Gradients are checked against JAX (x64) and against finite differences
(`check_grads`, which also runs the VJP/JVP dot-product test), under jit,
at higher order and under vmap; the staged Programs are inspected for what
reverse mode keeps (residual slots shared by branches, per-step residuals
stacked, loop-invariant ones hoisted, checkpointed scan bodies keeping only
their inputs). A while_loop without max_steps is forward-mode only, with an
error that says to pass max_steps (tests/test_while_grad.py has the bounded loop).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import funcgrad as fg
import funcgrad.numpy as fnp
from funcgrad import lax
from funcgrad.errors import UnsupportedError
from funcgrad.ir import Program
from funcgrad.testing import check_grads

jax.config.update("jax_enable_x64", True)

X = np.array([0.5, -1.25, 2.0])
XS = np.stack([X, -X, X * 0.5, X[::-1]])


def close(a: Any, b: Any, rtol: float = 1e-10, atol: float = 1e-12) -> None:
    la, lb = fg.tree.leaves(a), jax.tree_util.tree_leaves(b)
    assert len(la) == len(lb)
    for x, y in zip(la, lb, strict=True):
        x, y = np.asarray(x), np.asarray(y)
        assert x.shape == y.shape, (x.shape, y.shape)
        assert x.dtype == y.dtype, (x.dtype, y.dtype)
        np.testing.assert_allclose(x, y, rtol=rtol, atol=atol)


def _scan_pytree(lx: Any, n: Any, x: Any) -> Any:
    """A scan with pytree carry and xs that closes over x (constants)."""
    def step(c: Any, xi: Any) -> Any:
        a, v = c
        return (a * n.sin(xi[0]) + x[1], v * x[2] + xi[1]), {"p": v * a, "q": xi[0] * x[0]}
    (a, v), ys = lx.scan(step, (x[0], x), (x, x * x))
    return a * v.sum() + ys["p"].sum() + (ys["q"] ** 2).sum()


# name -> f(lax, numpy, x) -> scalar, written once for funcgrad and JAX
CASES: dict[str, Callable[[Any, Any, Any], Any]] = {
    "cond_true": lambda lx, n, x: lx.cond(x[0] > 0, lambda x: n.sin(x) * x,
                                        lambda x: -x, x).sum(),
    "cond_false": lambda lx, n, x: lx.cond(x[0] < 0, lambda x: n.sin(x) * x,
                                         lambda x: n.exp(x) * x[2], x).sum(),
    "cond_const_branch": lambda lx, n, x: lx.cond(x[0] < 0, lambda x: n.sin(x) * x,
                                                lambda x: x * 0.0 + 1.0, x).sum(),
    "cond_two_operands": lambda lx, n, x: lx.cond(x[1] < 0, lambda a, b: (a * b, n.cos(b)),
                                                lambda a, b: (a + 1.0, b * b), x, x[0])[0].sum(),
    "switch": lambda lx, n, x: lx.switch((x[1] > 0).astype(np.int32) * 2 - 1,
                                       [lambda x: x, lambda x: x * 2,
                                        lambda x: n.cos(x) * x[0]], x).sum(),
    "switch_middle": lambda lx, n, x: lx.switch(1, [lambda x: n.tanh(x), lambda x: x ** 3 * x[1],
                                                  lambda x: n.cos(x) * x[0]], x).sum(),
    "scan": lambda lx, n, x: lx.scan(lambda c, xi: (c * xi + n.tanh(c), c * 2), x[0], x)[1].sum(),
    "scan_reverse": lambda lx, n, x: lx.scan(lambda c, xi: (c * xi + n.tanh(c), c * x), x[0], x,
                                           reverse=True, unroll=2)[1].sum(),
    "scan_consts_pytree": _scan_pytree,
    "scan_length_only": lambda lx, n, x: lx.scan(lambda c, _: (n.sin(c) * x, c[0]), x, None,
                                               length=5)[0].sum(),
    "fori": lambda lx, n, x: lx.fori_loop(0, 4, lambda i, c: c * x + n.sin(c) * i, x).sum(),
    "fori_offset": lambda lx, n, x: lx.fori_loop(2, 5, lambda i, c: (c[0] * n.cos(c[1]),
                                                                   c[1] + n.asarray(x)[i - 2]),
                                               (x[0], x[1]))[0],
    "map": lambda lx, n, x: lx.map(lambda r: n.sin(r) * x, x).sum(),
}


def ours(name: str) -> Callable[[Any], Any]:
    return lambda x: CASES[name](lax, fnp, x)


def theirs(name: str) -> Callable[[Any], Any]:
    return lambda x: CASES[name](jax.lax, jnp, x)


@pytest.mark.parametrize("name", sorted(CASES))
def test_grad_vs_jax_eager_and_jit(name: str) -> None:
    want = jax.grad(theirs(name))(X)
    close(fg.grad(ours(name))(X), want)
    close(fg.jit(fg.grad(ours(name)))(X), want)
    close(fg.grad(fg.jit(ours(name)))(X), want)


@pytest.mark.parametrize("name", sorted(CASES))
def test_check_grads_second_order(name: str) -> None:
    # under jit: the derivatives of the staged call are themselves staged and
    # compiled once, instead of one eager executable per primitive
    check_grads(fg.jit(ours(name)), (X,), order=2, modes=("fwd", "rev"))


@pytest.mark.parametrize("name", ["cond_true", "switch", "scan", "scan_consts_pytree", "fori"])
def test_hessian_and_vmap_of_grad_vs_jax(name: str) -> None:
    close(fg.hessian(ours(name))(X), jax.hessian(theirs(name))(X), rtol=1e-9)
    close(fg.vmap(fg.grad(ours(name)))(XS), jax.vmap(jax.grad(theirs(name)))(XS))
    close(fg.jit(fg.vmap(fg.grad(ours(name))))(XS), jax.vmap(jax.grad(theirs(name)))(XS))


def test_vjp_of_vector_output_scan_vs_jax() -> None:
    def f(lx: Any, n: Any, x: Any) -> Any:
        return lx.scan(lambda c, xi: (n.sin(c) + xi, c * xi), x, n.stack([x, x * 2.0]))

    ct = (np.array([1.0, -2.0, 0.5]), np.arange(6.0).reshape(2, 3))
    out, vjp_fn = fg.vjp(lambda x: f(lax, fnp, x), X)
    jout, jvjp_fn = jax.vjp(lambda x: f(jax.lax, jnp, x), X)
    close(out, jout)
    close(vjp_fn(ct), jvjp_fn(ct))
    # a cotangent for the carry only (the ys' is symbolically zero)
    close(fg.grad(lambda x: f(lax, fnp, x)[0].sum())(X),
          jax.grad(lambda x: f(jax.lax, jnp, x)[0].sum())(X))


# ---------------------------------------------------------------------------
# higher order and composition


def _scan_of(a: Any, lx: Any, n: Any) -> Any:
    return lx.scan(lambda c, xi: (n.sin(c * a) + xi, c * c), a, n.arange(4.0))[1].sum()


def _cond_of(a: Any, lx: Any, n: Any) -> Any:
    return lx.cond(a > 0.5, lambda a: n.sin(a) ** 3, lambda a: a ** 4, a)


@pytest.mark.parametrize("a", [0.7, 0.2])
def test_third_derivative_of_cond_vs_jax(a: float) -> None:
    g3 = fg.grad(fg.grad(fg.grad(lambda a: _cond_of(a, lax, fnp))))
    want = jax.grad(jax.grad(jax.grad(lambda a: _cond_of(a, jax.lax, jnp))))(a)
    close(g3(a), want)
    close(fg.jit(g3)(a), want)


def test_grad_of_grad_of_scan_closing_over_the_variable() -> None:
    want = jax.grad(jax.grad(lambda a: _scan_of(a, jax.lax, jnp)))(0.7)
    gg = fg.grad(fg.grad(lambda a: _scan_of(a, lax, fnp)))
    close(gg(0.7), want)
    close(fg.jit(gg)(0.7), want)
    close(fg.grad(fg.jit(fg.grad(lambda a: _scan_of(a, lax, fnp))))(0.7), want)


def test_nesting_scan_in_cond_in_vmap_in_grad_in_jit() -> None:
    def loss(lx: Any, n: Any, vmap: Any, w: Any) -> Any:
        def one(x: Any) -> Any:
            def integrate(x: Any) -> Any:
                return lx.scan(lambda c, xi: (c * n.sin(xi * w[0]) + w[1], c * xi), x[0], x)[1]
            return lx.cond(x[0] > 0, integrate, lambda x: x * w[2], x)
        return (vmap(one)(XS) ** 2).sum()

    w = np.array([0.3, 0.7, -1.1])
    want = jax.grad(lambda w: loss(jax.lax, jnp, jax.vmap, w))(w)
    close(fg.jit(fg.grad(lambda w: loss(lax, fnp, fg.vmap, w)))(w), want)
    close(fg.grad(lambda w: loss(lax, fnp, fg.vmap, w))(w), want)


def test_cond_inside_scan_inside_cond() -> None:
    def f(lx: Any, n: Any, x: Any) -> Any:
        def step(c: Any, xi: Any) -> Any:
            c = lx.cond(xi > 0, lambda c: n.sin(c) * xi, lambda c: c * c + xi, c)
            return c, c
        return lx.cond(x[0] > 0, lambda x: lx.scan(step, x[1], x)[1].sum(),
                      lambda x: x[2] ** 2, x)

    for x in (X, -X):
        close(fg.jit(fg.grad(lambda x: f(lax, fnp, x)))(x),
              jax.grad(lambda x: f(jax.lax, jnp, x))(x))
    check_grads(lambda x: f(lax, fnp, x), (X,), order=2, modes=("rev",))


# ---------------------------------------------------------------------------
# what is staged


def _eqns(program: Program, name: str) -> list[Any]:
    return [e for e in program.eqns if e.prim.name == name]


def test_cond_branches_share_residual_slots_and_agree_on_unknowns() -> None:
    # the true branch keeps sin(x), cos(x) and x, the false one exp(x): all f64[3],
    # so three shared slots (not four), the false branch filling two with zeros
    def f(x: Any) -> Any:
        return lax.cond(x[0] > 0, lambda x: fnp.sin(x) * x, lambda x: fnp.exp(x), x).sum()

    ir = fg.make_ir(fg.grad(f))(X)
    known, unknown = _eqns(ir, "cond")
    assert len(known.outvars) == 1 + 3                   # the output, then the slots
    assert len(unknown.inputs) == 1 + 3 + 1              # index, slots, the tangent
    assert len(unknown.params["branches"]) == 2
    assert all(len(b.outvars) == 1 for b in unknown.params["branches"])
    close(fg.grad(f)(X), jax.grad(lambda x: jax.lax.cond(x[0] > 0, lambda x: jnp.sin(x) * x,
                                                         jnp.exp, x).sum())(X))


def test_scan_stacks_step_residuals_and_hoists_invariant_ones() -> None:
    w = np.arange(9.0).reshape(3, 3) / 10.0

    def f(y0: Any, w: Any) -> Any:
        return lax.scan(lambda y, _: (fnp.tanh(w @ y), y[0]), y0, None, length=7)[1].sum()

    ir = fg.make_ir(fg.grad(f, argnums=(0, 1)))(X, w)
    fwd, bwd = _eqns(ir, "scan")
    # forward: the carry and ys, plus stacked residuals of shape (7, ...); w is not stacked
    stacked = [v.aval.shape for v in fwd.outvars[2:]]
    assert stacked and all(s[0] == 7 for s in stacked)
    assert all(s[1:] != (3, 3) for s in stacked)
    assert bwd.params["reverse"] is True and bwd.params["length"] == 7
    # the transposed scan carries the cotangent of w (3x3) as an accumulator
    assert any(v.aval.shape == (3, 3) for v in bwd.outvars[:bwd.params["num_carry"]])
    want = jax.grad(lambda y0, w: jax.lax.scan(lambda y, _: (jnp.tanh(w @ y), y[0]), y0,
                                               None, length=7)[1].sum(), argnums=(0, 1))(X, w)
    close(fg.grad(f, argnums=(0, 1))(X, w), want)


def test_scan_forwards_xs_as_residuals_instead_of_copying() -> None:
    def f(x: Any) -> Any:
        return lax.scan(lambda c, xi: (c * xi, c), 1.0, x)[0]

    ir = fg.make_ir(fg.grad(f))(X)
    fwd, bwd = _eqns(ir, "scan")
    assert ir.invars[0] in bwd.inputs                    # the xs operand itself
    assert [v.aval.shape for v in fwd.outvars] == [(), (3,), (3,)]   # carry, ys, c per step


def test_checkpointed_scan_body_keeps_only_its_inputs() -> None:
    def f(cp: Any, lx: Any, n: Any, x: Any) -> Any:
        body = cp(lambda c, xi: (n.sin(n.cos(c) * xi) * n.exp(c), n.tanh(c) * xi))
        return lx.scan(body, x[0], x)[1].sum()

    want = jax.grad(lambda x: f(jax.checkpoint, jax.lax, jnp, x))(X)
    close(fg.grad(lambda x: f(fg.checkpoint, lax, fnp, x))(X), want)
    close(fg.jit(fg.grad(lambda x: f(fg.checkpoint, lax, fnp, x)))(X), want)
    ir = fg.make_ir(fg.grad(lambda x: f(fg.checkpoint, lax, fnp, x)))(X)
    fwd, bwd = _eqns(ir, "scan")
    # carry, ys and one stacked residual: the carry at each step (xs are forwarded)
    assert len(fwd.outvars) == 3
    plain = fg.make_ir(fg.grad(lambda x: f(lambda g: g, lax, fnp, x)))(X)
    assert len(_eqns(plain, "scan")[0].outvars) > 3      # without checkpoint: more residuals
    assert _eqns(bwd.params["body"], "checkpoint")       # recomputed in the backward loop


def test_eager_grad_of_scan_compiles_once() -> None:
    from funcgrad import eager
    g = fg.grad(ours("scan"))
    g(X)
    n = eager.cache_size()
    for _ in range(2):
        g(X)
    assert eager.cache_size() == n


# ---------------------------------------------------------------------------
# while_loop: forward mode only


def test_grad_through_while_loop_raises_and_suggests_fori_or_scan() -> None:
    def f(x: Any) -> Any:
        return lax.while_loop(lambda c: c[0] < 3, lambda c: (c[0] + 1, c[1] * x), (0, x))[1]

    for g in (fg.grad(f), fg.jit(fg.grad(f))):
        with pytest.raises(UnsupportedError, match=r"while_loop is not supported.*fori_loop "
                                                   r"with static.*scan"):
            g(1.5)
    # traced bounds make fori_loop a while loop: same error
    with pytest.raises(UnsupportedError, match="fori_loop with static"):
        fg.jit(fg.grad(lambda x, n: lax.fori_loop(0, n, lambda i, c: c * x, x)))(1.5, 3)
    # static bounds: a scan, reverse-differentiable
    close(fg.grad(lambda x: lax.fori_loop(0, 3, lambda i, c: c * x, x))(1.5), 4 * 1.5 ** 3)
    # a loop that carries no tangent is fine
    close(fg.grad(lambda x: x * lax.while_loop(lambda i: i < 3, lambda i: i + 1, 0))(1.5), 3.0)


# ---------------------------------------------------------------------------
# an ODE: RK4 over 1000 steps


def _lotka(n: Any) -> Callable[[Any, Any], Any]:
    def f(y: Any, p: Any) -> Any:
        return n.stack([p[0] * y[0] - p[1] * y[0] * y[1], p[2] * y[0] * y[1] - p[3] * y[1]])
    return f


def _rk4_loss(lx: Any, n: Any, y0: Any, p: Any, dt: float = 0.01, steps: int = 1000) -> Any:
    f = _lotka(n)

    def step(y: Any, _: Any) -> Any:
        k1 = f(y, p)
        k2 = f(y + 0.5 * dt * k1, p)
        k3 = f(y + 0.5 * dt * k2, p)
        k4 = f(y + dt * k3, p)
        y = y + dt / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
        return y, y[0] * y[1]
    y, prods = lx.scan(step, y0, None, length=steps)
    return (y ** 2).sum() + prods.mean()


def test_rk4_1000_steps_grad_wrt_state_and_parameters_under_jit_vs_jax() -> None:
    y0, p = np.array([1.0, 0.5]), np.array([1.1, 0.4, 0.1, 0.4])
    got = fg.jit(fg.value_and_grad(lambda y0, p: _rk4_loss(lax, fnp, y0, p),
                                   argnums=(0, 1)))(y0, p)
    want = jax.value_and_grad(lambda y0, p: _rk4_loss(jax.lax, jnp, y0, p), argnums=(0, 1))(y0, p)
    close(got, want, rtol=1e-9)
