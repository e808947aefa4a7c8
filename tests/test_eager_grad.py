"""Eager value_and_grad: the function is staged, value and gradient run as one
compiled call cached by the staged program's structure, and traced values are
computed on demand when Python asks for them."""
from __future__ import annotations

import importlib

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import funcgrad as fg
import funcgrad.numpy as fnp

jit_module = importlib.import_module("funcgrad.jit")
eager_grad = importlib.import_module("funcgrad.eager_grad")


def test_matches_jax_and_runs_python_once_per_call() -> None:
    calls = []

    def f(x):
        calls.append(1)
        return fnp.sum(fnp.tanh(x) * fnp.exp(-x * x)) + 0.5 * fnp.mean(x)

    def fj(x):
        return jnp.sum(jnp.tanh(x) * jnp.exp(-x * x)) + 0.5 * jnp.mean(x)

    x = np.linspace(-1.0, 1.0, 7)
    v, g = fg.value_and_grad(f)(fnp.asarray(x))
    vj, gj = jax.value_and_grad(fj)(x)
    np.testing.assert_allclose(float(v), float(vj), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(np.asarray(g), np.asarray(gj), rtol=1e-12)
    assert len(calls) == 1
    fg.grad(f)(fnp.asarray(x))
    assert len(calls) == 2


def test_one_executable_serves_new_values_and_new_python_scalars() -> None:
    def make(c):
        return lambda x: fnp.sum(fnp.sin(x) * c)

    x = fnp.asarray(np.linspace(0.0, 1.0, 5))
    fg.grad(make(2.0))(x)
    n = len(eager_grad._staged_cache)
    for c in (3.0, 4.0, 5.0):      # a fresh function and a new scalar each time
        g = fg.grad(make(c))(x)
        np.testing.assert_allclose(np.asarray(g), c * np.cos(np.linspace(0.0, 1.0, 5)))
    assert len(eager_grad._staged_cache) == n


def test_python_control_flow_on_values() -> None:
    def f(x):
        s = fnp.sum(x)
        if s > 0:
            return fnp.sum(x ** 3)
        return float(s) * fnp.sum(x)

    x = np.array([0.5, 1.0, 2.0])
    np.testing.assert_allclose(np.asarray(fg.grad(f)(fnp.asarray(x))), 3 * x ** 2)
    np.testing.assert_allclose(np.asarray(fg.grad(f)(fnp.asarray(-x))), [-3.5] * 3)


def test_many_asks_switch_the_function_to_op_by_op() -> None:
    def newton_sqrt(a):
        # a Python loop whose trip count depends on values: each test asks Python
        y = a
        while abs(float(y * y - a)) > 1e-12:
            y = 0.5 * (y + a / y)
        return y

    grad = fg.grad(newton_sqrt)
    for a in (2.0, 9.0, 20.0):
        np.testing.assert_allclose(float(grad(a)), 0.5 / np.sqrt(a), rtol=1e-6)


def test_errors_still_point_at_the_problem() -> None:
    with pytest.raises(TypeError, match="scalar output"):
        fg.grad(lambda x: x * 2.0)(fnp.arange(3.0))
    with pytest.raises(TypeError, match="Integer and boolean values have no gradient"):
        fg.grad(lambda x: x * 2)(fnp.arange(3))
    # the next call works
    np.testing.assert_allclose(float(fg.grad(lambda x: x * x)(3.0)), 6.0)


def test_escaped_value_raises() -> None:
    leaked = []

    def f(x):
        y = fnp.sin(x)
        leaked.append(y)
        return y

    fg.grad(f)(1.0)
    with pytest.raises(fg.errors.EscapedTracerError):
        leaked[0] + 1.0
