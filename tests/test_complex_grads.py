"""Derivatives of functions of complex numbers follow JAX's convention (checked
against JAX with x64): grad of a real function of z is the conjugate of
2 * d f / d conj(z), JVPs are holomorphic pushforwards, VJPs their transposes."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import funcgrad as fg
import funcgrad.numpy as fnp

Z = np.array([3 + 4j, -1 + 0.5j, 0.25 - 2j])

REAL_VALUED: dict[str, Callable[[Any], Any]] = {
    "abs2": lambda m, z: m.sum(m.abs(z) ** 2),
    "real_of_square": lambda m, z: m.sum(m.real(z * z)),
    "imag_of_exp": lambda m, z: m.sum(m.imag(m.exp(z))),
    "modulus_times_angle": lambda m, z: m.sum((z * m.conj(z)).real * m.angle(z)),
    "log_abs_sin": lambda m, z: m.sum(m.log(m.abs(m.sin(z)))),
    "matmul_norm": lambda m, z: m.real(m.vdot(z, m.outer(z, z) @ z)),
}


@pytest.mark.parametrize("name", sorted(REAL_VALUED))
def test_grad_of_real_function_of_complex_input(name: str) -> None:
    f = REAL_VALUED[name]
    got = fg.grad(lambda z: f(fnp, z))(fnp.asarray(Z))
    want = jax.grad(lambda z: f(jnp, z))(Z)
    assert got.dtype == np.complex128
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-10)


def test_jvp_and_vjp_of_holomorphic_function() -> None:
    def h(m: Any, z: Any) -> Any:
        return z ** 2 * m.sin(z) + m.exp(1j * z)

    t = np.array([1j, 0.5 + 0j, -1 - 1j])
    _, got = fg.jvp(lambda z: h(fnp, z), (fnp.asarray(Z),), (fnp.asarray(t),))
    _, want = jax.jvp(lambda z: h(jnp, z), (Z,), (t,))
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-10)
    _, pull = fg.vjp(lambda z: h(fnp, z), fnp.asarray(Z))
    _, pull_j = jax.vjp(lambda z: h(jnp, z), Z)
    np.testing.assert_allclose(np.asarray(pull(fnp.asarray(t))[0]), np.asarray(pull_j(t)[0]),
                               rtol=1e-10)


def test_grad_of_complex_output_raises() -> None:
    with pytest.raises(TypeError, match="real floating-point output"):
        fg.grad(lambda z: fnp.sum(z * z))(fnp.asarray(Z))
