"""Complex inverse functions and power at ordinary points (against NumPy), the
norm's derivative at zero, and complex derivatives of every holomorphic
elementwise function (finite differences in both modes, and JAX's jvp).

Special values of arcsin...arctanh and power sit in the grid of
test_reliability_math.py.
"""
from __future__ import annotations

import itertools
import math
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import funcgrad as fg
import funcgrad.numpy as fnp
from funcgrad.testing import check_grads

_INVERSE = ["arcsin", "arccos", "arctan", "arcsinh", "arccosh", "arctanh"]


def _random_complex(rng: np.random.Generator, n: int, lo: float, hi: float) -> np.ndarray:
    mag = 10 ** rng.uniform(lo, hi, (2, n)) * rng.choice([-1, 1], (2, n))
    return mag[0] + 1j * mag[1]


def _rel_err(got: np.ndarray, want: np.ndarray) -> float:
    return float(np.max(np.abs(got - want) / np.abs(want)))


@pytest.mark.parametrize("name", _INVERSE)
def test_complex_inverse_functions_at_ordinary_points(name: str) -> None:
    rng = np.random.default_rng(0)
    z = np.concatenate([_random_complex(rng, 300, -3, 1), _random_complex(rng, 300, -20, 20)])
    want = getattr(np, name)(z)
    for f in (getattr(fnp, name), fg.jit(getattr(fnp, name))):
        got = np.asarray(f(z))
        assert got.dtype == np.complex128
        assert _rel_err(got.real, want.real) < 1e-12 and _rel_err(got.imag, want.imag) < 1e-12


@pytest.mark.parametrize("name,pole", [("arctanh", 1), ("arctanh", -1), ("arctan", 1j),
                                       ("arctan", -1j)])
@pytest.mark.parametrize("dt", [np.complex128, np.complex64])
def test_atanh_and_atan_beside_their_poles(name: str, pole: complex, dt: Any) -> None:
    rng = np.random.default_rng(1)
    lo = -15 if dt == np.complex128 else -7
    d = 10 ** rng.uniform(lo, 0, (2, 400)) * rng.choice([-1, 1], (2, 400))
    z = (pole + d[0] + 1j * d[1]).astype(dt)
    across = 1j if isinstance(pole, int) else 1      # a tiny step off the pole
    z = np.concatenate([z, np.array([pole + 4 * np.finfo(z.real.dtype).tiny * across], dt)])
    want = getattr(np, name)(z)
    got = np.asarray(getattr(fnp, name)(z))
    assert np.isfinite(got).all()
    tol = 1e-14 if dt == np.complex128 else 1e-6
    assert _rel_err(got.real, want.real) < tol and _rel_err(got.imag, want.imag) < tol


def test_named_inverse_special_values() -> None:
    assert str(complex(fnp.arcsin(complex(-0.0, -0.0)))) == "(-0-0j)"
    assert complex(fnp.arccos(complex(1.0, -0.0))) == 0 and \
        math.copysign(1, complex(fnp.arccos(complex(1.0, -0.0))).imag) == 1
    w = complex(fnp.arctanh(complex(1.0, 0.0)))
    assert w.real == math.inf and w.imag == 0
    w = complex(fnp.arccosh(complex(-0.0, math.nan)))
    assert math.isnan(w.real) and w.imag == pytest.approx(math.pi / 2, rel=1e-15)
    assert complex(fnp.arctan(complex(math.inf, math.nan))) == complex(math.pi / 2, 0)


# ---------------------------------------------------------------------------
# complex power
#
# NumPy defines a**0 = 1 (0**0 and nan**0 too), 0**b = 0 for Re b > 0 and
# nan + nan j otherwise, and integer exponents below 100 in size by repeated
# textbook products (so 1j**2 is exactly -1). Other exponents go to the C
# library's cpow, exp(b log a) with the compiler's Annex G product: those
# values at infinities and NaNs depend on the platform's libm and compiler
# (glibc/GCC here), so the grid's non-integer exponents with an infinite or NaN
# part are compared with this platform's NumPy, and may differ elsewhere.


def _power_grid(dt: Any) -> tuple[np.ndarray, np.ndarray]:
    inf, nan = math.inf, math.nan
    v = [0.0, -0.0, 1.0, -1.0, 2.0, 0.5, inf, -inf, nan]
    bases = [complex(a, b) for a, b in itertools.product(v, v)]
    ev = itertools.product([0.0, -0.0, 1.0, 2.0, 3.0, -1.0, -2.0, 5.0, 0.5, 2.5, inf, nan],
                           [0.0, -0.0, 1.0, 0.5, inf, nan])
    exps = [complex(a, b) for a, b in ev]
    a, b = np.array([(p, q) for p in bases for q in exps], dt).T
    return a, b


@pytest.mark.parametrize("dt", [np.complex128, np.complex64])
def test_complex_power_at_special_values_matches_numpy(dt: Any) -> None:
    from test_reliability_math import _flush, _same_special
    a, b = _power_grid(dt)
    with np.errstate(all="ignore"):
        want = _flush(np.power(a, b))
    rtol = 64 * np.finfo(np.float32 if dt == np.complex64 else np.float64).eps
    for mode, f in (("eager", fnp.power), ("jit", fg.jit(fnp.power))):
        got = np.asarray(f(a, b))
        assert got.dtype == want.dtype
        ok = _same_special(got, want, rtol)
        assert ok.all(), (mode, list(zip(a[~ok], b[~ok], got[~ok], want[~ok], strict=True))[:6])


def test_named_complex_powers() -> None:
    assert complex(fnp.power(0j, 0j)) == 1
    assert complex(fnp.power(complex(math.nan, math.nan), 0j)) == 1
    assert complex(fnp.power(1j, 2)) == -1 and str(complex(fnp.power(1j, 2))) == "(-1+0j)"
    assert complex(fnp.asarray(1j) ** 3) == -1j
    assert complex(fnp.power(0j, 1 + 1j)) == 0
    assert all(map(math.isnan, (lambda w: (w.real, w.imag))(complex(fnp.power(0j, -1 + 0j)))))
    w = complex(fnp.power(complex(1e-200, 0), -2 + 0j))
    assert w.real == math.inf and math.isnan(w.imag)


def test_complex_power_at_ordinary_points() -> None:
    rng = np.random.default_rng(2)
    a = 10 ** rng.uniform(-1, 1, 500) * np.exp(1j * rng.uniform(-3, 3, 500))
    for b in (rng.normal(size=500) + 1j * rng.normal(size=500),
              rng.integers(-99, 100, 500) + 0j, rng.normal(size=500) * 2 + 0j):
        want = np.power(a, b)
        ok = (np.abs(want) > 1e-250) & (np.abs(want) < 1e250)
        for f in (fnp.power, fg.jit(fnp.power)):
            got = np.asarray(f(a, b))
            assert _rel_err(got[ok], want[ok]) < 1e-12


# ---------------------------------------------------------------------------
# norm's derivative at zero

_NORMS = {
    "norm": lambda m, x: m.linalg.norm(x),
    "norm_ord2": lambda m, x: m.linalg.norm(x.ravel(), ord=2),
    "vector_norm": lambda m, x: m.linalg.vector_norm(x),
    "vector_norm_axis": lambda m, x: m.sum(m.linalg.vector_norm(x, axis=1, ord=2)),
    "matrix_norm_fro": lambda m, x: m.linalg.matrix_norm(x),
    "norm_fro": lambda m, x: m.linalg.norm(x, ord="fro"),
}


@pytest.mark.parametrize("name", sorted(_NORMS))
def test_norm_gradient_is_zero_at_zero_and_jaxs_elsewhere(name: str) -> None:
    f = _NORMS[name]
    x = np.array([[0.5, -2.0, 3.0], [1.5, 0.25, -1.0]])
    grads = [fg.grad(lambda v: f(fnp, v))]
    if name == "norm":
        grads.append(fg.jit(fg.grad(lambda v: f(fnp, v))))
    for g in grads:
        np.testing.assert_allclose(np.asarray(g(x)), jax.grad(lambda v: f(jnp, v))(x),
                                   rtol=1e-13)
        got = np.asarray(g(np.zeros((2, 3))))
        assert got.shape == (2, 3) and (got == 0).all(), got
    assert float(f(fnp, x)) == pytest.approx(float(f(np, x)), rel=1e-15)
    if name == "norm":
        h = np.asarray(fg.hessian(lambda v: f(fnp, v))(np.zeros((2, 3))))
        assert np.isfinite(h).all()
    # one zero row among nonzero ones: the other rows keep their true gradient (JAX
    # gives nan for the zero row where it is a norm of its own)
    y = x.copy()
    y[0] = 0
    got = np.asarray(fg.grad(lambda v: f(fnp, v))(y))
    want = np.asarray(jax.grad(lambda v: f(jnp, v))(y))
    np.testing.assert_allclose(got[1], want[1], rtol=1e-13)
    assert np.isfinite(got).all()


# ---------------------------------------------------------------------------
# complex derivatives of the holomorphic elementwise functions

_Z = np.array([0.7 + 0.4j, -0.3 + 0.9j, 1.3 - 0.6j])   # off every branch cut
_W = np.array([0.4 - 0.8j, 1.1 + 0.3j, -0.6 - 0.5j])
_UNARY = ["sin", "cos", "tan", "sinh", "cosh", "tanh", "arcsin", "arccos", "arctan",
          "arcsinh", "arccosh", "arctanh", "exp", "exp2", "expm1", "log", "log2", "log10",
          "log1p", "sqrt", "square", "reciprocal", "negative"]
_BINARY = ["power", "multiply", "divide", "add", "subtract"]


@pytest.mark.parametrize("name", _UNARY + _BINARY)
def test_holomorphic_derivatives(name: str) -> None:
    args = (_Z,) if name in _UNARY else (_Z, _W)
    f, jf = getattr(fnp, name), getattr(jnp, name)
    check_grads(f, args, order=2, modes=("fwd", "rev"))
    tangents = tuple(np.full(3, 0.3 - 0.7j) * (i + 1) for i in range(len(args)))
    _, got = fg.jvp(f, args, tangents)
    # NumPy's values, differenced along the tangent: the holomorphic pushforward
    h = 1e-6
    with np.errstate(all="ignore"):
        up = getattr(np, name)(*(a + h * t for a, t in zip(args, tangents, strict=True)))
        down = getattr(np, name)(*(a - h * t for a, t in zip(args, tangents, strict=True)))
    np.testing.assert_allclose(np.asarray(got), (up - down) / (2 * h), rtol=1e-7)
    # JAX's jvp as a second oracle; JAX differentiates arccosh as 1 / sqrt(z**2 - 1),
    # whose sign is wrong on the left half-plane, so there it is compared at Re z > 0
    keep = slice(None) if name != "arccosh" else np.real(_Z) > 0
    _, want = jax.jvp(jf, args, tangents)
    np.testing.assert_allclose(np.asarray(got)[keep], np.asarray(want)[keep], rtol=1e-12)


def test_signed_zero_scalars_are_not_shared_across_calls() -> None:
    # device copies of Python scalars are cached; equal-comparing zeros must not share one
    assert str(complex(fnp.arcsin(complex(0.0, 0.0)))) == "0j"
    assert str(complex(fnp.arcsin(complex(-0.0, -0.0)))) == "(-0-0j)"
    assert str(complex(fnp.conj(complex(1.0, 0.0)))) == "(1-0j)"
    assert str(complex(fnp.conj(complex(1.0, -0.0)))) == "(1+0j)"
    assert np.signbit(float(fnp.multiply(2.0, 0.0))) == False  # noqa: E712
    assert np.signbit(float(fnp.multiply(2.0, -0.0))) == True  # noqa: E712
