"""holomorphic=True for grad, value_and_grad, jacfwd, jacrev, hessian, and the
`jacobian` alias, checked against JAX (x64): the complex derivative f'(z)."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import funcgrad as fg
import funcgrad.numpy as fnp

Z = 0.3 - 0.7j
ZS = np.array([0.5 + 0.25j, -1.0 + 0.5j, 0.2 - 1.5j])
M = np.array([[0.3 + 0.1j, -0.2 + 0.4j], [0.1 - 0.3j, 0.5 + 0.2j]])

SCALAR: dict[str, Callable[[Any, Any], Any]] = {
    "cube": lambda m, z: z ** 3,
    "sin": lambda m, z: m.sin(z),
    "exp_times_z": lambda m, z: m.exp(z) * z + 1j,
    "log1p_over": lambda m, z: m.log1p(z) / (1.0 + z * z),
}
VECTOR: dict[str, Callable[[Any, Any], Any]] = {
    "sin": lambda m, z: m.sin(z) * z[::-1],
    "exp_cumsum": lambda m, z: m.cumsum(m.exp(z)),
    "outer": lambda m, z: m.outer(z, z ** 2).ravel(),
}
MATRIX: dict[str, Callable[[Any, Any], Any]] = {
    "matmul_cube": lambda m, a: a @ a @ a,
    "inverse": lambda m, a: m.linalg.inv(a + 2.0 * m.eye(2)),
    "trace_exp": lambda m, a: m.trace(m.tanh(a) @ a),
}


def _close(got: Any, want: Any) -> None:
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype and got.shape == want.shape, (got, want)
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("name", sorted(SCALAR))
def test_grad_holomorphic_matches_jax(name: str) -> None:
    f = SCALAR[name]
    want = jax.grad(lambda z: f(jnp, z), holomorphic=True)(Z)
    _close(fg.grad(lambda z: f(fnp, z), holomorphic=True)(Z), want)
    _close(fg.jit(fg.grad(lambda z: f(fnp, z), holomorphic=True))(Z), want)
    val, g = fg.value_and_grad(lambda z: f(fnp, z), holomorphic=True)(fnp.asarray(Z))
    _close(val, f(jnp, Z))
    _close(g, want)
    if name == "cube":      # the batch of derivatives at several points
        _close(fg.vmap(fg.grad(lambda z: f(fnp, z), holomorphic=True))(ZS), 3 * ZS ** 2)


def test_grad_holomorphic_argnums_and_aux() -> None:
    def f(m: Any, z: Any, w: Any) -> Any:
        return m.sum(m.sin(z) * w ** 2), m.abs(w)

    got = fg.grad(lambda z, w: f(fnp, z, w), argnums=(0, 1), has_aux=True,
                  holomorphic=True)(ZS, ZS[::-1])
    want = jax.grad(lambda z, w: f(jnp, z, w), argnums=(0, 1), has_aux=True,
                    holomorphic=True)(ZS, ZS[::-1])
    for g, w in zip(jax.tree_util.tree_leaves(got), jax.tree_util.tree_leaves(want),
                    strict=True):
        _close(g, w)


@pytest.mark.parametrize("name", sorted(VECTOR))
def test_jacobians_holomorphic_match_jax(name: str) -> None:
    f = VECTOR[name]
    want = jax.jit(jax.jacfwd(lambda z: f(jnp, z), holomorphic=True))(ZS)
    _close(jax.jit(jax.jacrev(lambda z: f(jnp, z), holomorphic=True))(ZS), want)
    _close(fg.jit(fg.jacfwd(lambda z: f(fnp, z), holomorphic=True))(ZS), want)
    _close(fg.jit(fg.jacobian(lambda z: f(fnp, z), holomorphic=True))(ZS), want)
    _close(fg.jacrev(lambda z: f(fnp, z), holomorphic=True)(ZS), want)


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_matrix_functions_holomorphic(name: str) -> None:
    f = MATRIX[name]
    want = jax.jit(jax.jacrev(lambda a: f(jnp, a), holomorphic=True))(M)
    _close(fg.jit(fg.jacrev(lambda a: f(fnp, a), holomorphic=True))(M), want)
    _close(fg.jit(fg.jacfwd(lambda a: f(fnp, a), holomorphic=True))(M), want)


def test_hessian_holomorphic() -> None:
    f = lambda m, z: m.sum(m.sin(z) * z ** 3)   # noqa: E731
    _close(fg.jit(fg.hessian(lambda z: f(fnp, z), holomorphic=True))(ZS),
           jax.jit(jax.hessian(lambda z: f(jnp, z), holomorphic=True))(ZS))


def test_jacobian_is_jacrev() -> None:
    x = np.array([0.5, -1.0, 2.0])
    f = lambda m, x: m.sin(x) * x[0]   # noqa: E731
    assert fg.jacobian is fg.jacrev
    _close(fg.jit(fg.jacobian(lambda x: f(fnp, x)))(x),
           jax.jit(jax.jacobian(lambda x: f(jnp, x)))(x))
    _close(fg.jit(fg.jacobian(lambda x, y: f(fnp, x) * y, argnums=1))(x, 2.0),
           jax.jit(jax.jacobian(lambda x, y: f(jnp, x) * y, argnums=1))(x, 2.0))


def test_holomorphic_dtype_errors() -> None:
    # JAX's rules: holomorphic needs complex inputs and outputs
    with pytest.raises(TypeError, match=r"grad with holomorphic=True requires inputs with "
                                        r"complex dtype, but got float64"):
        fg.grad(lambda x: x * 1j, holomorphic=True)(1.0)
    with pytest.raises(TypeError, match=r"grad with holomorphic=True requires outputs with "
                                        r"complex dtype, but got float64"):
        fg.grad(lambda z: fnp.abs(z), holomorphic=True)(Z)
    with pytest.raises(TypeError, match="jacfwd with holomorphic=True requires inputs"):
        fg.jacfwd(fnp.sin, holomorphic=True)(np.ones(2))
    with pytest.raises(TypeError, match="jacfwd with holomorphic=True requires outputs"):
        fg.jacfwd(fnp.abs, holomorphic=True)(ZS)
    with pytest.raises(TypeError, match="jacrev with holomorphic=True requires outputs"):
        fg.jacrev(fnp.abs, holomorphic=True)(ZS)
    with pytest.raises(TypeError, match="jacrev with holomorphic=True requires inputs"):
        fg.jacobian(fnp.sin, holomorphic=True)(np.ones(2))
    # without holomorphic: complex outputs to reverse mode, complex inputs to jacfwd raise
    with pytest.raises(TypeError, match=r"real floating-point output.*complex128.*"
                                        r"holomorphic=True"):
        fg.grad(lambda z: z ** 3)(Z)
    with pytest.raises(TypeError, match=r"jacrev needs a real floating-point output.*"
                                        r"holomorphic=True"):
        fg.jacrev(fnp.sin)(ZS)
    with pytest.raises(TypeError, match=r"jacfwd needs real floating-point inputs.*c128\[3\]"
                                        r".*holomorphic=True.*fg.jvp"):
        fg.jacfwd(fnp.sin)(ZS)
    for fun in (lambda: jax.grad(lambda z: z ** 3)(Z), lambda: jax.jacrev(jnp.sin)(ZS),
                lambda: jax.jacfwd(jnp.sin)(ZS),
                lambda: jax.grad(lambda x: x * 1j, holomorphic=True)(1.0)):
        with pytest.raises(TypeError):      # JAX raises in the same places
            fun()
    # a real function of complex inputs keeps JAX's non-holomorphic convention
    _close(fg.grad(lambda z: fnp.sum(fnp.abs(z) ** 2))(ZS),
           jax.grad(lambda z: jnp.sum(jnp.abs(z) ** 2))(ZS))
    _close(fg.jacrev(lambda z: fnp.abs(z) ** 2)(ZS), jax.jacrev(lambda z: jnp.abs(z) ** 2)(ZS))
