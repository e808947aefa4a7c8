"""schur (LAPACK's gees), hessenberg (gehrd) and householder_product (orgqr/ungqr) as
primitives: values against SciPy (and JAX for householder_product), structure, dtypes,
batching, empty and 1 x 1 operands, eager and jit; the derivatives of schur and
householder_product against finite differences, and hessenberg's refusal to be
differentiated; shape and dtype errors."""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import scipy.linalg as sla

import funcgrad as fg
import funcgrad.numpy as fnp
from funcgrad import primitives as P
from funcgrad.errors import DTypeError, ShapeError, UnsupportedError
from funcgrad.testing import check_grads
from funcgrad.xla_backend import runtime

DTYPES = [np.float32, np.float64, np.complex64, np.complex128]
TOL = {np.float32: 2e-4, np.float64: 1e-10, np.complex64: 2e-4, np.complex128: 1e-10}
SHAPES = [(4, 4), (2, 3, 3), (2, 1, 5, 5), (1, 1)]
# Every shape and every dtype, each dtype on a matrix larger than 1 x 1, instead of the
# full cross product, which compiles the same lowering sixteen times (compile time
# dominates these tests). (4, 4) float64 and (2, 3, 3) complex128 are the operands of the
# derivative tests, which reuse the programs.
SCHUR_CASES = [((4, 4), np.float64), ((2, 3, 3), np.complex128), ((2, 1, 5, 5), np.complex64),
               ((1, 1), np.float32), ((4, 4), np.float32)]
assert {s for s, _ in SCHUR_CASES} == set(SHAPES) and {d for _, d in SCHUR_CASES} == set(DTYPES)


def _ids(case: Any) -> str:
    return np.dtype(case).name if isinstance(case, type) else str(case)

pytestmark = pytest.mark.skipif(runtime.platform() != "cpu",
                                reason="checks the CPU (LAPACK) lowering")


def _rand(rng: np.random.Generator, shape: tuple[int, ...], dtype: Any) -> np.ndarray:
    x = rng.standard_normal(shape)
    if np.issubdtype(dtype, np.complexfloating):
        x = x + 1j * rng.standard_normal(shape)
    return x.astype(dtype)


def _mH(x: np.ndarray) -> np.ndarray:
    return np.conj(np.swapaxes(x, -1, -2))


def _schur(a: Any) -> list[Any]:
    return list(P.schur_p.bind(a, compute_schur_vectors=True))


def _real_spectrum(rng: np.random.Generator, batch: tuple[int, ...], n: int) -> np.ndarray:
    """Real matrices with distinct real eigenvalues (so t is truly triangular) in a
    random, well-conditioned basis."""
    b = np.eye(n) + 0.3 * rng.standard_normal((*batch, n, n))
    return b @ np.diag(np.arange(1.0, n + 1) * np.where(np.arange(n) % 2, -1, 1)) \
        @ np.linalg.inv(b)


# ---------------------------------------------------------------------------
# schur: values


def _check_schur(a: np.ndarray, t: np.ndarray, vs: np.ndarray, tol: float) -> None:
    n = a.shape[-1]
    assert t.dtype == vs.dtype == a.dtype and t.shape == vs.shape == a.shape
    np.testing.assert_allclose(vs @ t @ _mH(vs), a, rtol=tol, atol=tol)
    np.testing.assert_allclose(_mH(vs) @ vs, np.broadcast_to(np.eye(n), a.shape), atol=tol)
    assert not np.tril(t, -2).any()
    sub = np.diagonal(t, -1, -2, -1)
    if np.iscomplexobj(a):
        assert not sub.any()
    else:      # quasi-triangular: 2 x 2 blocks never touch
        assert not (sub[..., 1:].astype(bool) & sub[..., :-1].astype(bool)).any()
    for idx in np.ndindex(*a.shape[:-2]):
        ref_t = sla.schur(a[idx].astype(np.complex128), output="complex")[0]
        _same_spectrum(np.linalg.eigvals(t[idx]), np.diagonal(ref_t), tol)


def _same_spectrum(x: np.ndarray, y: np.ndarray, tol: float) -> None:
    """The same eigenvalues in any order (sorting would split conjugate pairs rounded
    differently): every one of each set has a close one in the other."""
    gaps = np.abs(x[:, None] - y[None, :])
    assert gaps.min(axis=1).max() <= tol * 10 and gaps.min(axis=0).max() <= tol * 10, (x, y)


@pytest.mark.parametrize("shape, dtype", SCHUR_CASES, ids=_ids)
def test_schur_matches_scipy(shape: tuple[int, ...], dtype: Any) -> None:
    a = _rand(np.random.default_rng(sum(shape)), shape, dtype)
    tol = TOL[dtype] * 10
    for f in (_schur, fg.jit(_schur)):
        t, vs = (np.asarray(x) for x in f(a))
        _check_schur(a, t, vs, tol)
    (t_only,) = P.schur_p.bind(a, compute_schur_vectors=False)
    np.testing.assert_allclose(np.asarray(t_only), t, rtol=tol, atol=tol)


def test_real_schur_form_agrees_with_scipy() -> None:
    """A real operand keeps the real Schur form, blocks and all, like SciPy's."""
    a = _rand(np.random.default_rng(3), (5, 5), np.float64)
    t = np.asarray(_schur(a)[0])
    ref = sla.schur(a, output="real")[0]
    np.testing.assert_array_equal(np.diagonal(t, -1) != 0, np.diagonal(ref, -1) != 0)
    assert (np.diagonal(t, -1) != 0).any()


def test_schur_vmap_matches_a_loop() -> None:
    a = _rand(np.random.default_rng(4), (3, 4, 4), np.complex128)
    got = fg.vmap(_schur, in_axes=1, out_axes=0)(np.moveaxis(a, 0, 1))
    for i in range(3):
        for g, w in zip(got, _schur(a[i]), strict=True):
            np.testing.assert_allclose(np.asarray(g)[i], np.asarray(w), atol=1e-12)


@pytest.mark.parametrize("shape", [(0, 0), (3, 0, 0), (0, 2, 2)])
def test_schur_of_empty_matrices(shape: tuple[int, ...]) -> None:
    for f in (_schur, fg.jit(_schur)):
        t, vs = f(np.zeros(shape))
        assert np.asarray(t).shape == np.asarray(vs).shape == shape


def test_schur_emits_gees_and_refuses_other_platforms(monkeypatch: pytest.MonkeyPatch) -> None:
    text = fg.jit(_schur).lower(np.eye(3)).as_text()
    assert "lapack_dgees_ffi" in text and f"mode = {ord('V')} : ui8" in text
    assert f"sort = {ord('N')} : ui8" in text
    lower = fg.jit(lambda a: P.schur_p.bind(a, compute_schur_vectors=False)).lower
    text = lower(np.eye(3, dtype=np.complex64)).as_text()
    assert "lapack_cgees_ffi" in text and f"mode = {ord('N')} : ui8" in text
    monkeypatch.setattr(runtime, "platform", lambda: "cuda")
    with pytest.raises(NotImplementedError, match="schur.*CPU only, not on cuda"):
        fg.jit(_schur).lower(np.eye(2))
    with pytest.raises(NotImplementedError, match="hessenberg.*CPU only, not on cuda"):
        fg.jit(lambda a: P.hessenberg_p.bind(a)).lower(np.eye(2))


# ---------------------------------------------------------------------------
# hessenberg and householder_product: values


def _hessenberg_q(packed: Any, taus: Any) -> Any:
    """q = diag(1, H_1 ... H_{n-1}): the reflectors start one row down."""
    n = packed.shape[-1]
    inner = P.householder_product_p.bind(packed[..., 1:, :-1], taus)
    q = fnp.zeros(packed.shape, packed.dtype)
    return q.at[..., 0, 0].set(1).at[..., 1:, 1:].set(inner) if n else q


def _hessenberg(a: Any) -> tuple[Any, Any]:
    packed, taus = P.hessenberg_p.bind(a)
    return fnp.triu(packed, -1), _hessenberg_q(packed, taus)


def _hessenberg_eager(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`_hessenberg` with the primitives run eagerly and the rest in NumPy (eager, the
    scaffolding's triu and scatters would compile a dozen programs per shape and dtype)."""
    packed, taus = (np.asarray(x) for x in P.hessenberg_p.bind(a))
    inner = np.asarray(P.householder_product_p.bind(packed[..., 1:, :-1], taus))
    q = np.zeros(packed.shape, packed.dtype)
    if packed.shape[-1]:
        q[..., 0, 0] = 1
        q[..., 1:, 1:] = inner
    return np.triu(packed, -1), q


@pytest.mark.parametrize("shape, dtype", [
    *SCHUR_CASES, ((2, 2), np.complex128), ((3, 0, 0), np.float32)], ids=_ids)
def test_hessenberg_matches_scipy(shape: tuple[int, ...], dtype: Any) -> None:
    a = _rand(np.random.default_rng(sum(shape) + 1), shape, dtype)
    tol = TOL[dtype] * 10
    n = shape[-1]
    packed, taus = P.hessenberg_p.bind(a)
    assert np.asarray(taus).shape == (*shape[:-2], max(n - 1, 0))
    assert np.asarray(taus).dtype == np.asarray(packed).dtype == dtype
    for f in (_hessenberg_eager, fg.jit(_hessenberg)):
        h, q = (np.asarray(x) for x in f(a))
        np.testing.assert_allclose(q @ h @ _mH(q), a, rtol=tol, atol=tol)
        np.testing.assert_allclose(_mH(q) @ q, np.broadcast_to(np.eye(n), shape), atol=tol)
        if n <= 2:      # NB: SciPy returns these as they are; gehrd makes a complex
            continue    # subdiagonal real
        for idx in np.ndindex(*shape[:-2]):
            ref_h, ref_q = sla.hessenberg(a[idx], calc_q=True)
            np.testing.assert_allclose(h[idx], ref_h, rtol=tol, atol=tol)
            np.testing.assert_allclose(q[idx], ref_q, rtol=tol, atol=tol)


def test_hessenberg_vmap_matches_a_loop() -> None:
    a = _rand(np.random.default_rng(5), (3, 4, 4), np.float64)
    got = fg.vmap(_hessenberg, in_axes=2, out_axes=0)(np.moveaxis(a, 0, 2))
    for i in range(3):
        for g, w in zip(got, _hessenberg_eager(a[i]), strict=True):
            np.testing.assert_allclose(np.asarray(g)[i], np.asarray(w), atol=1e-12)


def _reflector_product(a: np.ndarray, taus: np.ndarray) -> np.ndarray:
    """H_1 ... H_k times the first n columns of the identity, reflector by reflector."""
    m, n = a.shape[-2:]
    q = np.broadcast_to(np.eye(m, dtype=a.dtype), a.shape[:-2] + (m, m)).copy()
    for i in range(taus.shape[-1]):
        v = np.where(np.arange(m) > i, a[..., :, i], 0) + (np.arange(m) == i)
        h = np.eye(m) - taus[..., i, None, None] * v[..., :, None] * np.conj(v[..., None, :])
        q = q @ h
    return q[..., :n]


@pytest.mark.parametrize("a_shape, k, dtype", [      # every shape; every dtype with k > 0
    ((5, 3), 3, np.float64), ((5, 3), 3, np.float32), ((4, 4), 2, np.complex128),
    ((2, 6, 4), 4, np.complex64), ((3, 3), 0, np.float32), ((4, 0), 0, np.complex64),
    ((2, 0, 0), 0, np.float64)], ids=_ids)
def test_householder_product_matches_the_reflectors(a_shape: tuple[int, ...], k: int,
                                                    dtype: Any) -> None:
    rng = np.random.default_rng(sum(a_shape) + k)
    a = _rand(rng, a_shape, dtype)
    taus = (1 + 0.5 * _rand(rng, (*a_shape[:-2], k), dtype)).astype(dtype)
    want = _reflector_product(a, taus)
    tol = TOL[dtype] * 10
    for f in (P.householder_product_p.bind, fg.jit(P.householder_product_p.bind)):
        got = np.asarray(f(a, taus))
        assert got.dtype == dtype and got.shape == a_shape
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


def test_householder_product_matches_jax_and_qr() -> None:
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    a = _rand(np.random.default_rng(6), (2, 5, 3), np.complex128)
    packed, taus = sla.qr(a[0], mode="raw")[0]
    q = np.asarray(P.householder_product_p.bind(packed, taus))
    np.testing.assert_allclose(q, sla.qr(a[0], mode="economic")[0], atol=1e-12)
    taus = _rand(np.random.default_rng(7), (2, 3), np.complex128)
    np.testing.assert_allclose(np.asarray(P.householder_product_p.bind(a, taus)),
                               np.asarray(jax.lax.linalg.householder_product(a, taus)),
                               atol=1e-12)


def test_householder_product_vmap_of_one_operand() -> None:
    """vmap over taus only: a is shared by every lane."""
    rng = np.random.default_rng(8)
    a = _rand(rng, (4, 3), np.float64)
    taus = _rand(rng, (3, 2), np.float64)
    got = fg.vmap(P.householder_product_p.bind, in_axes=(None, 1))(a, taus)
    for i in range(2):
        np.testing.assert_allclose(np.asarray(got)[i], _reflector_product(a, taus[:, i]),
                                   atol=1e-12)


# ---------------------------------------------------------------------------
# derivatives


def _gauge_free(a: Any) -> list[Any]:
    """Functions of the Schur form that do not depend on the phases of vs's columns:
    t's diagonal, and vs g(t) vs^H for an elementwise g on the triangle."""
    t, vs = _schur(a)
    return [fnp.diagonal(t, axis1=-2, axis2=-1), vs @ (t * fnp.abs(t)) @ fnp.conj(
        fnp.swapaxes(vs, -1, -2))]


def test_schur_jvp_of_a_real_spectrum_matches_finite_differences() -> None:
    """Real eigenvalues: t is triangular and vs is smooth up to fixed signs, so the
    raw outputs themselves are differentiable."""
    a = _real_spectrum(np.random.default_rng(9), (), 4)
    # order 2 eagerly, order 1 under jit: a jitted second order compiles a dozen large
    # programs, which takes longer than the eager one's many small ones (which the
    # checks after it, and the 4 x 4 tests below, reuse)
    check_grads(_schur, (a,), order=2, modes=("fwd", "rev"))
    check_grads(fg.jit(_schur), (a,), order=1, modes=("fwd", "rev"))
    check_grads(lambda a: P.schur_p.bind(a, compute_schur_vectors=False), (a,), order=1,
                modes=("fwd", "rev"))


def test_schur_grads_of_gauge_free_functions() -> None:
    """Complex, batched, to second order (a real unbatched case is above)."""
    a = _rand(np.random.default_rng(8), (2, 3, 3), np.complex128)
    check_grads(_gauge_free, (a,), order=2, modes=("fwd", "rev"))


def test_schur_jvp_under_vmap_and_jit() -> None:
    rng = np.random.default_rng(10)
    a = _rand(rng, (3, 2, 3, 3), np.complex128)     # lanes of the operand checked above
    da = _rand(rng, (3, 2, 3, 3), np.complex128)

    def tangents(a: Any, da: Any) -> Any:
        return fg.jvp(_gauge_free, (a,), (da,))[1]

    got = fg.jit(fg.vmap(tangents))(a, da)
    for i in range(3):
        for g, w in zip(got, tangents(a[i], da[i]), strict=True):
            np.testing.assert_allclose(np.asarray(g)[i], np.asarray(w), atol=1e-10)


def test_schur_grad_matches_eigenvalues() -> None:
    """The sum of t's diagonal is the trace: its gradient is the identity."""
    a = _real_spectrum(np.random.default_rng(11), (), 4)     # the size checked above
    g = fg.grad(lambda a: fnp.sum(fnp.diagonal(_schur(a)[0]) ** 2))(a)
    np.testing.assert_allclose(np.asarray(g), 2 * a.T, atol=1e-10)


def test_schur_tangents_are_nan_where_t_has_blocks() -> None:
    a = np.array([[1.0, 2.0, 0.5, 0.1], [-2.0, 1.0, 0.3, 0.2], [0.0, 0.0, 3.0, 0.4],
                  [0.0, 0.0, 0.0, -5.0]])       # 4 x 4, the size checked above
    (t, _), (t_dot, vs_dot) = fg.jvp(_schur, (a,), (np.ones((4, 4)),))
    assert np.diagonal(np.asarray(t), -1).any()
    assert np.isnan(np.asarray(t_dot)).all() and np.isnan(np.asarray(vs_dot)).all()


@pytest.mark.parametrize("a_shape, k, dtype", [
    ((4, 3), 2, np.float64),            # tall, k < n: the operands of the test below
    ((2, 4, 4), 4, np.complex128)],     # batched, square, k = n
    ids=_ids)
def test_householder_product_grads(a_shape: tuple[int, ...], k: int, dtype: Any) -> None:
    rng = np.random.default_rng(12)
    a = _rand(rng, a_shape, dtype)
    taus = (1 + 0.3 * _rand(rng, (*a_shape[:-2], k), dtype)).astype(dtype)
    check_grads(P.householder_product_p.bind, (a, taus), order=2, modes=("fwd", "rev"))


def test_householder_product_tangent_ignores_what_the_kernel_ignores() -> None:
    """Only the strict lower part of a's first k columns holds reflectors."""
    rng = np.random.default_rng(13)
    a, taus = rng.standard_normal((4, 3)), rng.standard_normal(2)
    da = np.triu(rng.standard_normal((4, 3)))
    da[:, 2] = rng.standard_normal(4)          # beyond the k = 2 reflectors
    _, q_dot = fg.jvp(P.householder_product_p.bind, (a, taus), (da, np.zeros(2)))
    np.testing.assert_array_equal(np.asarray(q_dot), 0)


def test_hessenberg_refuses_to_be_differentiated() -> None:
    a = np.eye(3) + 0.1

    def f(a: Any) -> Any:
        return fnp.sum(fnp.abs(P.hessenberg_p.bind(a)[0]))

    with pytest.raises(UnsupportedError, match="'hessenberg' is not implemented"):
        fg.grad(f)(a)
    with pytest.raises(UnsupportedError, match="'hessenberg'"):
        fg.jvp(f, (a,), (a,))
    assert np.asarray(fg.grad(lambda a: f(fg.stop_gradient(a)) + fnp.sum(a))(a)).shape == (3, 3)


# ---------------------------------------------------------------------------
# errors


def test_bad_operands_raise_clear_errors() -> None:
    with pytest.raises(ShapeError, match="schur.*square.*\\(3, 4\\)"):
        P.schur_p.bind(np.ones((3, 4)), compute_schur_vectors=True)
    with pytest.raises(DTypeError, match="schur.*int64"):
        P.schur_p.bind(np.ones((3, 3), np.int64), compute_schur_vectors=True)
    with pytest.raises(ShapeError, match="hessenberg.*at least 2 dimensions"):
        P.hessenberg_p.bind(np.ones(3))
    with pytest.raises(ShapeError, match="hessenberg.*square"):
        P.hessenberg_p.bind(np.ones((2, 3)))
    with pytest.raises(DTypeError, match="householder_product.*int32"):
        P.householder_product_p.bind(np.ones((3, 3), np.int32), np.ones(2, np.int32))
    with pytest.raises(ShapeError, match="householder_product.*rows"):
        P.householder_product_p.bind(np.ones((2, 3)), np.ones(2))
    for taus in (np.ones(4), np.ones((2, 2)), np.ones(())):
        with pytest.raises(ShapeError, match="householder_product.*taus"):
            P.householder_product_p.bind(np.ones((4, 3)), taus)
    with pytest.raises(DTypeError, match="householder_product"):
        P.householder_product_p.bind(np.ones((4, 3)), np.ones(2, np.float32))
