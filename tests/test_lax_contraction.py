"""funcgrad.lax's contractions (dot_general, dot, batch_matmul, the ragged dots)
and fft against jax.lax (x64): values, dtypes and shapes eagerly and under jit,
gradients and vmap, precision and preferred_element_type, and the errors for bad
arguments."""
from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import lax as jlax

import funcgrad as fg
import funcgrad.numpy as fnp
from funcgrad import lax
from funcgrad.errors import ShapeError, UnsupportedError
from funcgrad.testing import check_grads
from lax_oracle import check, same

RNG = np.random.default_rng(0)
X = RNG.standard_normal((2, 3, 4))
M = RNG.standard_normal((3, 4))


# ---------------------------------------------------------------------------
# contractions


def test_dot_general_and_dot() -> None:
    a, b = RNG.standard_normal((2, 3, 4)), RNG.standard_normal((2, 4, 5))
    dims = (((2,), (1,)), ((0,), (0,)))
    check(lambda x, y: lax.dot_general(x, y, dims), lambda x, y: jlax.dot_general(x, y, dims),
           a, b)
    check(lambda x, y: lax.dot(x, y), lambda x, y: jlax.dot(x, y), M, M.T)
    check(lambda x, y: lax.dot(x, y), lambda x, y: jlax.dot(x, y), M[0], M.T)
    check(lambda x, y: lax.dot(x, y, dimension_numbers=dims),
           lambda x, y: jlax.dot(x, y, dimension_numbers=dims), a, b)
    check(lambda x, y: lax.batch_matmul(x, y), lambda x, y: jlax.batch_matmul(x, y), a, b)
    with pytest.raises(ValueError, match="dimension_numbers must be given"):
        lax.dot(a, b)
    with pytest.raises(ValueError, match="same rank"):
        lax.batch_matmul(a, M.T)
    with pytest.raises(ValueError, match="at least 2-d"):
        lax.batch_matmul(M[0], M[0])
    with pytest.raises(TypeError, match="dimension_numbers must be"):
        lax.dot_general(a, b, ((2, 1), 0))
    with pytest.raises(ShapeError):
        lax.dot_general(a, b, (((1,), (1,)), ((), ())))


@pytest.mark.parametrize("ins,pref", [(np.float32, np.float64), (np.int32, np.float64),
                                      (np.float64, np.float32), (np.float64, np.int32),
                                      (np.int32, np.int64), (np.float64, None)])
def test_dot_preferred_element_type(ins: Any, pref: Any) -> None:
    x = (np.arange(6).reshape(2, 3) * 1.5).astype(ins)
    y = (np.arange(6).reshape(3, 2) - 2.5).astype(ins)
    same(lax.dot(x, y, preferred_element_type=pref),
          jlax.dot(x, y, preferred_element_type=pref), 1e-6)
    same(fg.jit(lambda u, v: lax.dot_general(u, v, (((1,), (0,)), ((), ())), None, pref))(x, y),
          jlax.dot_general(x, y, (((1,), (0,)), ((), ())), None, pref), 1e-6)


def test_dot_mixed_dtypes_promote() -> None:
    x32 = M.astype(np.float32)
    same(lax.dot(x32, M.T), jlax.dot(x32, M.T), 1e-6)


def test_precision() -> None:
    for p in (None, "highest", lax.Precision.HIGH, jlax.Precision.HIGHEST,
              (lax.Precision.DEFAULT, "highest"), lax.DotAlgorithmPreset.DEFAULT):
        same(lax.dot(M, M.T, precision=p), jlax.dot(M, M.T))
    with pytest.raises(ValueError, match="unknown precision"):
        lax.dot(M, M.T, precision="best")
    with pytest.raises(UnsupportedError, match="dot algorithm"):
        lax.dot(M, M.T, precision=lax.DotAlgorithmPreset.BF16_BF16_F32)
    with pytest.raises(ValueError, match="pair"):
        lax.dot(M, M.T, precision=("highest",) * 3)
    with pytest.raises(UnsupportedError, match="out_sharding"):
        lax.dot(M, M.T, out_sharding="x")


def test_precision_on_accelerators_raises_for_float32(monkeypatch: pytest.MonkeyPatch) -> None:
    from funcgrad.lax import contraction
    monkeypatch.setattr(contraction, "default_platform", lambda: "cuda")
    x32 = M.astype(np.float32)
    with pytest.raises(UnsupportedError, match="precision HIGHEST for float32 operands on cuda"):
        lax.dot(x32, x32.T, precision="highest")
    lax.dot(M, M.T, precision="highest")          # float64: already the highest
    lax.dot(x32, x32.T, precision="default")


RAGGED = [
    # (lhs shape, rhs shape, dimension numbers, group sizes)
    ((7, 3), (3, 3, 4), ((((1,), (1,)), ((), ())), (0,), (0,)), [2, 0, 4]),
    ((2, 5, 3), (3, 2, 3, 4), ((((2,), (2,)), ((0,), (1,))), (1,), (0,)),
     [[2, 2, 1], [0, 3, 1]]),
    ((2, 6), (6, 3), ((((1,), (0,)), ((), ())), (1,), ()), [2, 1, 2]),
    ((3, 2, 6), (3, 6, 4), ((((2,), (1,)), ((0,), (0,))), (2,), ()),
     [[1, 5], [3, 3], [0, 4]]),
    ((5, 2, 3), (5, 3, 4), ((((2,), (1,)), ((0,), (0,))), (0,), ()), [2, 1, 1]),
]


@pytest.mark.parametrize("case", range(len(RAGGED)))
def test_ragged_dot_general(case: int) -> None:
    ls, rs, (dd, lr, rg), gs = RAGGED[case]
    lhs, rhs, gs_ = RNG.standard_normal(ls), RNG.standard_normal(rs), np.array(gs, np.int32)
    jdn = jlax.RaggedDotDimensionNumbers(dd, lr, rg)
    dn = lax.RaggedDotDimensionNumbers(dd, lr, rg)
    want = jlax.ragged_dot_general(lhs, rhs, gs_, jdn)
    same(lax.ragged_dot_general(lhs, rhs, gs_, dn), want)
    same(fg.jit(lambda x, y: lax.ragged_dot_general(x, y, gs_, jdn))(lhs, rhs), want)
    # JAX differentiates only some modes and vmaps only over axis 0: check the
    # derivatives by finite differences, and vmap against JAX lane by lane
    check_grads(lambda x, y: lax.ragged_dot_general(x, y, gs_, dn), (lhs, rhs), order=1)
    lanes = np.stack([lhs, 1 - lhs], axis=-1)
    same(fg.vmap(lambda x: lax.ragged_dot_general(x, rhs, gs_, dn), in_axes=-1)(lanes),
          np.stack([jlax.ragged_dot_general(lanes[..., i], rhs, gs_, jdn) for i in (0, 1)]))


def test_ragged_dot() -> None:
    lhs, rhs = RNG.standard_normal((6, 3)), RNG.standard_normal((3, 3, 2))
    gs = np.array([1, 3, 1], np.int32)       # the last row lies in no group: zeros
    check(lambda x, y: lax.ragged_dot(x, y, gs), lambda x, y: jlax.ragged_dot(x, y, gs),
           lhs, rhs, vmap=False)
    lanes = np.stack([lhs, -lhs])
    same(fg.vmap(lambda x: lax.ragged_dot(x, rhs, gs))(lanes),
          np.stack([jlax.ragged_dot(v, rhs, gs) for v in lanes]))
    # group sizes batched under vmap
    gss = np.array([[1, 3, 1], [0, 6, 0]], np.int32)
    same(fg.vmap(lambda g: lax.ragged_dot(lhs, rhs, g))(gss),
          np.stack([jlax.ragged_dot(lhs, rhs, g) for g in gss]))
    same(lax.ragged_dot(lhs.astype(np.float32), rhs.astype(np.float32), gs,
                         preferred_element_type=np.float64),
          jlax.ragged_dot(lhs.astype(np.float32), rhs.astype(np.float32), gs,
                          preferred_element_type=np.float64), 1e-6)
    with pytest.raises(UnsupportedError, match="group_offset"):
        lax.ragged_dot(lhs, rhs, gs, group_offset=np.array([0]))
    with pytest.raises(ValueError, match=r"lhs must be \(m, k\)"):
        lax.ragged_dot(rhs, rhs, gs)
    with pytest.raises(TypeError, match="integer array"):
        lax.ragged_dot(lhs, rhs, gs.astype(np.float32))
    with pytest.raises(ValueError, match="group_sizes must have shape"):
        lax.ragged_dot(lhs, rhs, gs[:2])
    dn = lax.RaggedDotDimensionNumbers((((1,), (1,)), ((), ())), (0,), ())
    with pytest.raises(ValueError, match="one group dimension"):
        lax.ragged_dot_general(lhs, rhs, gs, dn)
    with pytest.raises(TypeError, match="RaggedDotDimensionNumbers"):
        lax.ragged_dot_general(lhs, rhs, gs, ((1,), (1,)))


# ---------------------------------------------------------------------------
# fft


@pytest.mark.parametrize("kind,shape,lengths", [
    ("FFT", (2, 4), (4,)), ("IFFT", (3, 4), (3, 4)), ("RFFT", (2, 6), (6,)),
    ("IRFFT", (2, 4), (6,))])
def test_fft(kind: str, shape: tuple[int, ...], lengths: tuple[int, ...]) -> None:
    x = RNG.standard_normal(shape)
    if kind in ("IFFT", "IRFFT"):
        x = x + 1j * RNG.standard_normal(shape)
    for spelled in (kind, kind.lower(), lax.FftType[kind], jlax.FftType[kind]):
        same(lax.fft(x, spelled, lengths), jlax.fft(x, jlax.FftType[kind], lengths))
    check(lambda v: lax.fft(v, kind, lengths), lambda v: jlax.fft(v, kind, lengths), x,
           grad=False)
    if kind == "RFFT":
        same(fg.grad(lambda v: fnp.sum(fnp.abs(lax.fft(v, kind, lengths)) ** 2))(x),
              jax.grad(lambda v: jnp.sum(jnp.abs(jlax.fft(v, kind, lengths)) ** 2))(x), 1e-10)


def test_fft_errors_and_real_input() -> None:
    same(lax.fft(np.ones(4), "FFT", (4,)), jlax.fft(np.ones(4), "FFT", (4,)))
    same(lax.fft(np.ones(4, np.float32), "FFT", (4,)),
          jlax.fft(np.ones(4, np.float32), "FFT", (4,)), 1e-6)
    with pytest.raises(ValueError, match="RFFT needs a real operand"):
        lax.fft(np.ones(4, complex), "RFFT", (4,))
    with pytest.raises(ValueError, match="unknown fft_type"):
        lax.fft(np.ones(4), "DCT", (4,))


def test_scaled_dot() -> None:
    a, b = RNG.standard_normal((2, 3, 8)).astype(np.float32), RNG.standard_normal(
        (2, 8, 4)).astype(np.float32)
    sa, sb = RNG.uniform(1, 2, (2, 3, 2)).astype(np.float32), RNG.uniform(1, 2, (2, 2, 4)).astype(
        np.float32)
    for pref, tol in ((np.float32, 1e-5), (None, 3e-2)):
        same(lax.scaled_dot(a, b, lhs_scale=sa, rhs_scale=sb, preferred_element_type=pref),
             jlax.scaled_dot(a, b, lhs_scale=sa, rhs_scale=sb, preferred_element_type=pref), tol)
    dims = (((0,), (0,)), ((), ()))
    same(fg.jit(lambda x: lax.scaled_dot(x, b[0], dimension_numbers=dims,
                                         preferred_element_type=np.float32))(a[0].T),
         jlax.scaled_dot(a[0].T, b[0], dimension_numbers=dims, preferred_element_type=np.float32),
         1e-5)
    with pytest.raises(ValueError, match="does not fit"):
        lax.scaled_dot(a, b, lhs_scale=sa[..., :1].repeat(3, -1))
    with pytest.raises(TypeError, match="bfloat16 or float32"):
        lax.scaled_dot(a, b, preferred_element_type=np.float64)

