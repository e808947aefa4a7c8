"""Reverse mode through ``lax.while_loop(..., max_steps=N)``, by checkpointing.

Gradients of bounded loops are checked against the same number of steps written
as a scan (funcgrad's own scan gradient, and JAX's as the oracle) and against
finite differences: loops that stop by their condition before the bound or at
the bound, closed-over parameters, every snapshot count, jit inside and
outside, vmap with lanes stopping at different steps, nested loops, forward
mode and second order. The compiled reverse pass of a 1,000-step loop must
need far less temporary memory than a scan's, and bad bounds are refused
before anything is traced.
"""
from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import funcgrad as fg
import funcgrad.numpy as fnp
from funcgrad import lax
from funcgrad.errors import UnsupportedError
from funcgrad.testing import check_grads

jax.config.update("jax_enable_x64", True)

W = np.array([[0.3, -0.8, 0.1], [0.5, 0.2, -0.4], [-0.6, 0.7, 0.25]])
Y0 = np.array([0.4, -1.1, 0.9])


def close(a: Any, b: Any, rtol: float = 1e-10, atol: float = 1e-12) -> None:
    la, lb = fg.tree.leaves(a), jax.tree_util.tree_leaves(b)
    assert len(la) == len(lb)
    for x, y in zip(la, lb, strict=True):
        x, y = np.asarray(x), np.asarray(y)
        assert x.shape == y.shape and x.dtype == y.dtype, (x.shape, x.dtype, y.shape, y.dtype)
        np.testing.assert_allclose(x, y, rtol=rtol, atol=atol)


def _step(n: Any, w: Any, y: Any) -> Any:
    return y + 0.1 * n.tanh(w @ y) * y[::-1]


def euler_while(steps: int, max_steps: int, checkpoints: int | None = None) -> Any:
    """`steps` Euler-like steps as a bounded while loop closing over w."""
    def f(w: Any, y0: Any) -> Any:
        def body(c: Any) -> Any:
            return c[0] + 1, _step(fnp, w, c[1])
        _, y = lax.while_loop(lambda c: c[0] < steps, body, (0, y0), max_steps=max_steps,
                              checkpoints=checkpoints)
        return (y * y).sum()
    return f


def euler_scan(lx: Any, n: Any, steps: int) -> Any:
    def f(w: Any, y0: Any) -> Any:
        y, _ = lx.scan(lambda y, _: (_step(n, w, y), None), y0, None, length=steps)
        return (y * y).sum()
    return f


# ---------------------------------------------------------------------------
# gradients against scan (funcgrad's and JAX's) and finite differences


def test_grad_matches_scan_for_closed_over_parameters_eager_and_jit() -> None:
    want = jax.grad(euler_scan(jax.lax, jnp, 23), argnums=(0, 1))(W, Y0)
    close(fg.grad(euler_scan(lax, fnp, 23), argnums=(0, 1))(W, Y0), want)
    # eager, default snapshots (ceil(sqrt(30)) = 6, 5 steps apart)
    close(fg.grad(euler_while(23, 30), argnums=(0, 1))(W, Y0), want)
    # jit outside, one snapshot (the whole loop replayed) and one per step
    for k in (1, 30):
        close(fg.jit(fg.grad(euler_while(23, 30, k), argnums=(0, 1)))(W, Y0), want)
    # jit inside grad; value_and_grad gives the loop's value too
    v, g = fg.value_and_grad(fg.jit(euler_while(23, 30, 4)), argnums=(0, 1))(W, Y0)
    close(v, euler_scan(jax.lax, jnp, 23)(W, Y0))
    close(g, want)


def test_vjp_and_linearize_of_a_pytree_carry() -> None:
    def f(lx: Any, n: Any, bounded: bool) -> Any:
        def g(x: Any) -> Any:
            def body(c: Any) -> Any:
                i, (a, b) = c
                return i + 1, (a * n.cos(b[0]) + x[0], b * 0.9 + a * x[1])
            init = (0, (x[0], x[1:]))
            if bounded:
                return lx.while_loop(lambda c: c[0] < 6, body, init, max_steps=9)[1]
            return lx.scan(lambda c, _: (body(c), None), init, None, length=6)[0][1]
        return g

    x, ct = np.array([0.3, -0.7, 1.2]), (0.5, np.array([1.0, -2.0]))
    out, pullback = fg.vjp(f(lax, fnp, True), x)
    want_out, want_pullback = jax.vjp(f(jax.lax, jnp, False), x)
    close(out, want_out)
    close(pullback(ct), want_pullback(ct))
    _, f_jvp = fg.linearize(f(lax, fnp, True), x)
    close(f_jvp(np.array([1.0, 0.5, -0.25])),
          jax.jvp(f(jax.lax, jnp, False), (x,), (np.array([1.0, 0.5, -0.25]),))[1])


def _until(n: Any, lx: Any, p: Any, x: Any, max_steps: int) -> Any:
    """Grow x until it passes 5: the number of steps depends on the values."""
    def body(c: Any) -> Any:
        return c[0] + 1, c[1] * p + 0.3
    return lx.while_loop(lambda c: c[1] < 5.0, body, (0, x), max_steps=max_steps)[1]


def _trips(p: float, x: float, max_steps: int) -> int:
    k = 0
    while x < 5.0 and k < max_steps:
        x, k = x * p + 0.3, k + 1
    return k


def _until_jax(p: Any, x: Any, steps: int) -> Any:
    return jax.lax.scan(lambda y, _: (y * p + 0.3, None), x, None, length=steps)[0]


@pytest.mark.parametrize("max_steps", [40, 5])
def test_loop_stopped_by_its_condition_or_by_the_bound(max_steps: int) -> None:
    p, x = 1.2, 0.4
    steps = _trips(p, x, max_steps)
    assert steps == min(7, max_steps)
    f = fg.jit(lambda p, x: _until(fnp, lax, p, x, max_steps))
    close(f(p, x), _until_jax(p, x, steps))
    close(fg.jit(fg.grad(f, argnums=(0, 1)))(p, x),
          jax.grad(_until_jax, argnums=(0, 1))(p, x, steps))
    check_grads(f, (p, x), order=1, modes=("rev",))


def test_loop_that_takes_no_step_has_identity_gradient() -> None:
    f = fg.jit(fg.grad(lambda p, x: _until(fnp, lax, p, x, 10), argnums=(0, 1)))
    close(f(1.2, 7.0), (0.0, 1.0))


# ---------------------------------------------------------------------------
# vmap: lanes that stop at different steps


def test_vmap_of_grad_and_grad_of_vmap_with_lanes_stopping_at_different_steps() -> None:
    p, xs = 1.2, np.array([0.1, 1.0, 3.0, 4.9, 6.0])
    per_lane = [jax.grad(_until_jax, argnums=(0, 1))(p, x, _trips(p, x, 50)) for x in xs]
    want_p = np.array([g[0] for g in per_lane])
    want_x = np.array([g[1] for g in per_lane])
    gp, gx = fg.jit(fg.vmap(fg.grad(lambda p, x: _until(fnp, lax, p, x, 50), argnums=(0, 1)),
                            in_axes=(None, 0)))(p, xs)
    close((gp, gx), (want_p, want_x))
    g = fg.grad(lambda p, xs: fg.vmap(lambda x: _until(fnp, lax, p, x, 50))(xs).sum(),
                argnums=(0, 1))(p, xs)
    close(g, (want_p.sum(), want_x))


# ---------------------------------------------------------------------------
# nested loops, forward mode, second order


def test_nested_bounded_loops() -> None:
    def nested(x: Any) -> Any:
        def outer(c: Any) -> Any:
            i, y = c

            def inner(d: Any) -> Any:
                return d[0] + 1, fnp.sin(d[1]) * x + 0.1
            _, y = lax.while_loop(lambda d: d[0] < 3 + i, inner, (0, y), max_steps=6)
            return i + 1, y
        return lax.while_loop(lambda c: c[0] < 3, outer, (0, x), max_steps=5)[1]

    def nested_jax(x: Any) -> Any:
        y = x
        for i in range(3):
            y = jax.lax.scan(lambda z, _: (jnp.sin(z) * x + 0.1, None), y, None,
                             length=3 + i)[0]
        return y

    close(fg.jit(fg.grad(nested))(0.8), jax.grad(nested_jax)(0.8))


def _scalar_loop(x: Any) -> Any:
    return lax.while_loop(lambda c: c[0] < 5, lambda c: (c[0] + 1, fnp.sin(c[1]) * x),
                          (0, x), max_steps=8)[1]


def _scalar_scan(x: Any) -> Any:
    return jax.lax.scan(lambda y, _: (jnp.sin(y) * x, None), x, None, length=5)[0]


def test_forward_mode_and_second_order() -> None:
    x = 0.7
    close(fg.jvp(_scalar_loop, (x,), (1.0,)), jax.jvp(_scalar_scan, (x,), (1.0,)))
    second = jax.grad(jax.grad(_scalar_scan))(x)
    close(fg.grad(fg.grad(_scalar_loop))(x), second)
    close(fg.jit(fg.jacfwd(fg.grad(_scalar_loop)))(x), second)


# ---------------------------------------------------------------------------
# memory: the reverse pass keeps snapshots, not every step


def test_reverse_pass_of_1000_steps_needs_a_fraction_of_a_scans_memory() -> None:
    def step(y: Any) -> Any:
        return y + 0.01 * fnp.tanh(y[::-1] * 1.1)

    def loop(x: Any) -> Any:
        return lax.while_loop(lambda c: c[0] < 1000, lambda c: (c[0] + 1, step(c[1])), (0, x),
                              max_steps=1000)[1].sum()

    def scanned(x: Any) -> Any:
        return lax.scan(lambda y, _: (step(y), None), x, None, length=1000)[0].sum()

    x = np.linspace(0.0, 1.0, 16)
    temp = {}
    for f in (loop, scanned):
        compiled = fg.jit(fg.grad(f)).lower(x).compile()
        temp[f] = compiled.memory_analysis().temp_size_in_bytes
        close(compiled(x), jax.grad(lambda x: jax.lax.scan(
            lambda y, _: (y + 0.01 * jnp.tanh(y[::-1] * 1.1), None), x, None,
            length=1000)[0].sum())(x))
    assert temp[loop] < 0.2 * temp[scanned], temp


# ---------------------------------------------------------------------------
# errors


def test_reverse_mode_without_max_steps_says_to_pass_it() -> None:
    def f(x: Any) -> Any:
        return lax.while_loop(lambda c: c[0] < 3, lambda c: (c[0] + 1, c[1] * x), (0, x))[1]

    with pytest.raises(UnsupportedError, match=r"without a bound.*Pass max_steps=N to "
                                               r"lax\.while_loop"):
        fg.grad(f)(1.5)


def _refused(**kwargs: Any) -> None:
    calls: list[str] = []

    def cond(c: Any) -> Any:
        calls.append("cond")
        return c < 3

    def body(c: Any) -> Any:
        calls.append("body")
        return c + 1

    try:
        lax.while_loop(cond, body, 0, **kwargs)
    finally:
        assert not calls, "the loop was traced before its arguments were checked"


@pytest.mark.parametrize("kwargs, error, message", [
    ({"max_steps": 0}, ValueError, "max_steps must be a positive int, got 0"),
    ({"max_steps": -3}, ValueError, "max_steps must be a positive int, got -3"),
    ({"max_steps": 2.5}, TypeError, "max_steps must be a positive Python int, got float"),
    ({"max_steps": True}, TypeError, "max_steps must be a positive Python int, got bool"),
    ({"max_steps": "10"}, TypeError, "max_steps must be a positive Python int, got str"),
    ({"max_steps": 10, "checkpoints": 0}, ValueError, "checkpoints must be a positive int"),
    ({"max_steps": 10, "checkpoints": 1.0}, TypeError, "checkpoints must be a positive Python"),
    ({"max_steps": 10, "checkpoints": 11}, ValueError, "checkpoints=11 exceeds max_steps=10"),
    ({"checkpoints": 3}, ValueError, "checkpoints= needs max_steps="),
])
def test_bad_bounds_are_refused_before_tracing(kwargs: dict[str, Any], error: type,
                                               message: str) -> None:
    with pytest.raises(error, match=message):
        _refused(**kwargs)
    with pytest.raises(error, match=message):
        fg.jit(lambda x: _refused(**kwargs))(1.0)


# ---------------------------------------------------------------------------
# the bound itself, without derivatives


def test_bound_stops_the_loop_eagerly_jitted_under_vmap_and_without_jit() -> None:
    def f(x: Any) -> Any:
        return lax.while_loop(lambda c: c[1] < 100.0, lambda c: (c[0] + 1, c[1] * 2.0),
                              (0, x), max_steps=4)

    for g in (f, fg.jit(f)):
        i, y = g(1.0)
        assert int(i) == 4 and float(y) == 16.0
    with fg.disable_jit():
        i, y = f(1.0)
    assert int(i) == 4 and float(y) == 16.0
    i, y = fg.vmap(f)(np.array([1.0, 30.0, 200.0]))
    np.testing.assert_array_equal(np.asarray(i), [4, 2, 0])
    np.testing.assert_array_equal(np.asarray(y), [16.0, 120.0, 200.0])
    assert "bounded_while" in str(fg.make_ir(f)(1.0))
