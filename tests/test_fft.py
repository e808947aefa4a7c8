"""funcgrad.numpy.fft vs numpy.fft: values, dtypes, n/s/axes/norm, eager and jit."""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import funcgrad as fg
import funcgrad.numpy as fnp
from funcgrad import primitives as P
from funcgrad.errors import DTypeError, ShapeError

F = fnp.fft
RNG = np.random.default_rng(0)
X = RNG.normal(size=(3, 4, 5))
C = X + 1j * RNG.normal(size=X.shape)


def _check(got: Any, want: Any, tol: float = 1e-10) -> None:
    got = np.asarray(got)
    assert got.shape == np.shape(want) and got.dtype == np.asarray(want).dtype
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


CASES = [
    ("fft", C, {}), ("ifft", C, {"n": 7, "axis": 1}), ("rfft", X, {"n": 3}),
    ("irfft", C, {}), ("irfft", C, {"n": 9, "axis": 0}), ("fft2", C, {}),
    ("ifft2", C, {"s": (2, 6), "axes": (0, 2)}), ("fftn", C, {"axes": (1,)}),
    ("ifftn", C, {"s": (2, 6), "axes": (0, 1)}), ("rfftn", X, {}), ("irfftn", C, {}),
    ("rfft2", X, {"axes": (0, 2)}), ("irfft2", C, {"s": (3, 6), "axes": (1, 2)}), ("hfft", C, {}),
    ("ihfft", X, {}), ("fft", np.arange(4), {}),
]


@pytest.mark.parametrize("norm", [None, "ortho", "forward"])
@pytest.mark.parametrize("name,x,kw", CASES, ids=[f"{c[0]}{sorted(c[2])}" for c in CASES])
def test_matches_numpy(name: str, x: np.ndarray, kw: dict[str, Any], norm: Any) -> None:
    want = getattr(np.fft, name)(x, norm=norm, **kw)
    _check(fg.jit(lambda a: getattr(F, name)(a, norm=norm, **kw))(x), want)


def test_eager_float32_and_many_axes() -> None:
    x32 = X.astype(np.float32)
    _check(F.fft(x32), np.fft.fft(x32), 1e-4)
    _check(F.rfft(x32), np.fft.rfft(x32), 1e-4)
    _check(F.irfft(C.astype(np.complex64)), np.fft.irfft(C.astype(np.complex64)), 1e-4)
    x5 = RNG.normal(size=(2, 2, 3, 2, 2))     # more than XLA's three axes per op
    _check(F.fftn(x5), np.fft.fftn(x5))
    _check(F.rfftn(x5), np.fft.rfftn(x5))
    _check(F.irfftn(x5), np.fft.irfftn(x5))


@given(x=hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=2, max_side=6),
                    elements=st.floats(-5, 5)))
def test_roundtrips(x: np.ndarray) -> None:
    _check(fg.jit(lambda a: F.irfft(F.rfft(a), n=a.shape[-1]))(x), x)
    _check(fg.jit(lambda a: F.ifftn(F.fftn(a)))(x), x.astype(complex))


def test_freqs_and_shifts() -> None:
    _check(F.fftfreq(5, 0.1), np.fft.fftfreq(5, 0.1))
    _check(F.rfftfreq(6), np.fft.rfftfreq(6))
    _check(fg.jit(lambda d: F.fftfreq(4, d))(0.5), np.fft.fftfreq(4, 0.5))
    _check(F.fftshift(X), np.fft.fftshift(X))
    _check(F.ifftshift(X, axes=1), np.fft.ifftshift(X, axes=1))
    _check(F.fftshift(np.arange(5.0), axes=0), np.fft.fftshift(np.arange(5.0)))


def test_errors() -> None:
    with pytest.raises(ValueError, match="Invalid norm"):
        F.fft(C, norm="bogus")
    with pytest.raises(ValueError, match="Invalid number of FFT data points"):
        F.fft(C, n=0)
    with pytest.raises(TypeError, match="must be real"):
        F.rfft(C)
    with pytest.raises(ValueError, match="different lengths"):
        F.fftn(C, s=(2,), axes=(0, 1))
    with pytest.raises(ShapeError, match="trailing dims"):
        P.fft_p.bind(fnp.asarray(C), fft_type="FFT", fft_lengths=(3,))
    with pytest.raises(DTypeError, match="complex"):
        P.fft_p.bind(fnp.asarray(X), fft_type="FFT", fft_lengths=(5,))


GW = RNG.normal(size=(4, 3))


@pytest.mark.parametrize("name", ["fft", "rfft", "irfft", "irfft2", "ifft2", "hfft"])
def test_gradients_match_jax(name: str) -> None:
    import jax
    import jax.numpy as jnp
    fns = {
        "fft": lambda np_: lambda x: (np_.abs(np_.fft.fft(x)) ** 2 * np.arange(3.0)).sum(),
        "rfft": lambda np_: lambda x: (np_.abs(np_.fft.rfft(x, axis=0, norm="ortho")) ** 3).sum(),
        "irfft": lambda np_: lambda x: (np_.fft.irfft(np_.fft.fft(x)) ** 3).sum(),
        "irfft2": lambda np_: lambda x: (np_.fft.irfft2(np_.fft.fft2(x), s=(4, 5)) ** 3).sum(),
        "ifft2": lambda np_: lambda x: (np_.real(np_.fft.ifft2(x * (1 + 2j))) ** 3).sum(),
        "hfft": lambda np_: lambda x: (np_.fft.hfft(x * 1j, norm="forward") ** 2).sum(),
    }
    got = fg.jit(fg.grad(fns[name](fnp)))(GW)
    want = jax.jit(jax.grad(fns[name](jnp)))(GW)
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-10, atol=1e-10)


def test_vmap_matches_loop() -> None:
    got = fg.vmap(F.rfft, in_axes=1)(GW)
    np.testing.assert_allclose(np.asarray(got), np.fft.rfft(GW.T), atol=1e-12)
    got = fg.vmap(lambda x: F.ifft2(x, axes=(0, 1)))(C)
    np.testing.assert_allclose(np.asarray(got), np.fft.ifft2(C, axes=(1, 2)), atol=1e-12)


@pytest.mark.parametrize("fft_type, x", [
    ("FFT", np.zeros((2, 0), np.complex128)), ("IFFT", np.zeros((0,), np.complex128)),
    ("RFFT", np.zeros((3, 0))), ("IRFFT", np.zeros((1,), np.complex128))])
def test_fft_primitive_rejects_zero_lengths_before_compiling(fft_type: str, x: np.ndarray) -> None:
    with pytest.raises(ShapeError, match=r"fft_lengths must be positive, got \(0,\)"):
        P.fft_p.bind(x, fft_type=fft_type, fft_lengths=(0,))
    with pytest.raises(ShapeError, match="fft_lengths must be positive"):
        fg.jit(lambda v: P.fft_p.bind(v, fft_type=fft_type, fft_lengths=(0,)))(x)
