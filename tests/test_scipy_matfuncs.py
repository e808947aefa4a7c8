"""Schur-based functions of matrices (sqrtm, logm, funm), the Schur and Hessenberg
wrappers of funcgrad.scipy.linalg, and funcgrad.lax.linalg: values against SciPy and
JAX, derivatives with check_grads and finite differences, vmap, jit and errors."""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import scipy.linalg as sl

import funcgrad as fg
import funcgrad.numpy as fnp
import funcgrad.scipy.linalg as sla
from funcgrad.errors import ShapeError, UnsupportedError
from funcgrad.testing import check_grads, check_jit, check_vmap


def _rand(rng: np.random.Generator, *shape: int, dtype: Any = np.float64) -> np.ndarray:
    x = rng.normal(size=shape)
    if np.issubdtype(dtype, np.complexfloating):
        x = x + 1j * rng.normal(size=shape)
    return x.astype(dtype)


def _spd(rng: np.random.Generator, n: int) -> np.ndarray:
    a = rng.normal(size=(n, n))
    return a @ a.T + n * np.eye(n)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)


def _same_spectrum(got: Any, want: Any, tol: float) -> None:
    """Two lists of eigenvalues agree as multisets (sorting complex numbers is not
    stable against rounding, so match each value to its nearest)."""
    got, want = np.asarray(got).ravel(), list(np.asarray(want).ravel())
    for g in got:
        k = int(np.argmin([abs(g - w) for w in want]))
        assert abs(g - want.pop(k)) <= tol * max(1.0, abs(g)), (got, want)


def _close(got: Any, want: Any, tol: float = 1e-10) -> None:
    got = np.asarray(got)
    want = np.asarray(want)
    assert got.shape == want.shape, (got.shape, want.shape)
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


# ---------------------------------------------------------------------------
# sqrtm, logm, funm: values


@pytest.mark.parametrize("dtype", [np.float64, np.complex128, np.float32])
def test_sqrtm_values(rng: np.random.Generator, dtype: Any) -> None:
    # complex eigenvalue pairs, none near the branch cut (the negative real axis), where
    # rounding decides the side the root falls on
    a = (_rand(rng, 5, 5, dtype=dtype) + 3 * np.eye(5)).astype(dtype)
    x = sla.sqrtm(a)
    want_dt = np.complex64 if dtype == np.float32 else np.complex128
    assert x.dtype == want_dt
    tol = 1e-4 if dtype == np.float32 else 1e-10
    _close(np.asarray(x) @ np.asarray(x), a.astype(want_dt), tol)
    _close(x, sl.sqrtm(a.astype(np.complex128)).astype(want_dt), 10 * tol)


def test_sqrtm_of_spd_is_the_spd_root(rng: np.random.Generator) -> None:
    a = _spd(rng, 4)
    x = np.asarray(sla.sqrtm(a))
    _close(x.imag, np.zeros((4, 4)), 1e-12)
    w, v = np.linalg.eigh(a)
    _close(x.real, (v * np.sqrt(w)) @ v.T)


def test_sqrtm_singular_with_one_zero_eigenvalue() -> None:
    a = np.array([[1.0, 2.0], [0.0, 0.0]])        # eigenvalues 1, 0: a is its own root
    _close(sla.sqrtm(a), a.astype(np.complex128), 1e-12)


@pytest.mark.parametrize("case", ["random", "negative", "large", "batched"])
def test_logm_values(rng: np.random.Generator, case: str) -> None:
    if case == "random":
        a = _rand(rng, 4, 4) + 4 * np.eye(4)
    elif case == "negative":                         # eigenvalues on the negative axis
        a = np.diag([-1.0, -2.0, 3.0]) + np.triu(_rand(rng, 3, 3), 1)
    elif case == "large":                            # needs many square roots
        a = _spd(rng, 4) * 1e6
    else:
        a = _rand(rng, 2, 3, 3, dtype=np.complex128) + 3 * np.eye(3)
    x = sla.logm(a)
    assert x.dtype == np.complex128
    if case == "large":         # SciPy's own estimate warns here; the SPD log is exact
        w, v = np.linalg.eigh(a)
        want = (v * np.log(w)) @ v.T
    else:
        want = np.stack([sl.logm(m) for m in a.reshape(-1, *a.shape[-2:])]).reshape(a.shape)
    _close(x, want.astype(np.complex128), 1e-9)
    _close(sla.expm(x), a.astype(np.complex128), 1e-8 * max(1.0, np.abs(a).max()))


def test_funm_matches_scipy(rng: np.random.Generator) -> None:
    a = _rand(rng, 4, 4)
    got = sla.funm(a, fnp.exp)
    assert got.dtype == np.float64
    _close(got, sl.expm(a), 1e-9)
    _close(sla.funm(a, fnp.sin), sl.funm(a, np.sin).real, 1e-9)
    c = _rand(rng, 3, 3, dtype=np.complex128)
    got_c = sla.funm(c, lambda z: z ** 3)
    assert got_c.dtype == np.complex128
    _close(got_c, c @ c @ c, 1e-9)


def test_zero_size_and_scalar_matrices() -> None:
    for f in (sla.sqrtm, sla.logm):
        assert f(np.zeros((0, 0))).shape == (0, 0)
        _close(f(np.array([[4.0]])), np.array([[2.0 if f is sla.sqrtm else np.log(4.0)]],
                                              dtype=np.complex128))
    assert sla.funm(np.zeros((0, 0)), fnp.exp).shape == (0, 0)


# ---------------------------------------------------------------------------
# derivatives


def test_sqrtm_grads(rng: np.random.Generator) -> None:
    a = _spd(rng, 3) / 3
    # order 2 through reverse mode: the VJP of the implicit Sylvester solve, differentiated
    # again (forward mode is checked against the Sylvester equation below)
    check_grads(lambda a: sla.sqrtm(a), (a,), order=2, modes=("rev",))
    c = _rand(rng, 3, 3, dtype=np.complex128) + 3 * np.eye(3)
    check_grads(lambda c: sla.sqrtm(c), (c,), order=1)


def test_sqrtm_jvp_solves_the_sylvester_equation(rng: np.random.Generator) -> None:
    a = _rand(rng, 4, 4) + 4 * np.eye(4)
    e = _rand(rng, 4, 4)
    x, dx = fg.jvp(sla.sqrtm, (a,), (e,))
    x, dx = np.asarray(x), np.asarray(dx)
    _close(x @ dx + dx @ x, e.astype(np.complex128), 1e-10)


def test_logm_grads(rng: np.random.Generator) -> None:
    a = _rand(rng, 3, 3) * 0.3 + 2 * np.eye(3)
    check_grads(lambda a: sla.logm(a), (a,), order=1, modes=("rev",), atol=1e-5, rtol=1e-5)
    # the JVP is the Frechet derivative: L(A, E) = upper-right block of log([[A, E], [0, A]])
    e = _rand(rng, 3, 3)
    _, t = fg.jvp(sla.logm, (a,), (e,))
    big = sl.logm(np.block([[a, e], [np.zeros((3, 3)), a]]))
    _close(t, big[:3, 3:].astype(np.complex128), 1e-8)


def test_funm_grads(rng: np.random.Generator) -> None:
    a = np.diag([1.0, 2.0, 3.5]) + 0.3 * _rand(rng, 3, 3)    # distinct real eigenvalues
    check_grads(lambda a: sla.funm(a, fnp.exp), (a,), order=1)
    e = _rand(rng, 3, 3)
    _, t = fg.jvp(lambda a: sla.funm(a, fnp.exp), (a,), (e,))
    _close(t, sl.expm_frechet(a, e, compute_expm=False), 1e-7)


# ---------------------------------------------------------------------------
# batching and jit


def test_vmap_and_jit(rng: np.random.Generator) -> None:
    a = np.stack([_spd(rng, 3) for _ in range(3)])
    check_vmap(sla.sqrtm, (a,))
    check_vmap(sla.logm, (a,))
    check_jit(sla.sqrtm, (a,))
    check_jit(sla.logm, (a[0],))
    check_jit(lambda a: sla.funm(a, fnp.cos), (a[0],))
    _close(sla.sqrtm(a), np.stack([sl.sqrtm(m) for m in a]).astype(np.complex128), 1e-9)


# ---------------------------------------------------------------------------
# schur, rsf2csf, hessenberg


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.complex128])
def test_schur(rng: np.random.Generator, dtype: Any) -> None:
    a = _rand(rng, 5, 5, dtype=dtype)
    t, z = sla.schur(a)
    t, z = np.asarray(t), np.asarray(z)
    assert t.dtype == dtype and z.dtype == dtype
    tol = 1e-4 if dtype == np.float32 else 1e-10
    _close(z @ t @ z.conj().T, a, tol)
    _close(z.conj().T @ z, np.eye(5), tol)
    assert np.abs(np.tril(t, -2)).max() == 0
    tc, zc = sla.schur(a, output="complex")
    tc, zc = np.asarray(tc), np.asarray(zc)
    assert np.iscomplexobj(tc) and np.abs(np.tril(tc, -1)).max() == 0
    _close(zc @ tc @ zc.conj().T, a, tol)
    _same_spectrum(np.diag(tc), np.linalg.eigvals(a), tol)


def test_rsf2csf(rng: np.random.Generator) -> None:
    a = _rand(rng, 6, 6)
    t, z = sla.schur(a)
    t2, z2 = sla.rsf2csf(t, z)
    t2, z2 = np.asarray(t2), np.asarray(z2)
    assert t2.dtype == np.complex128
    assert np.abs(np.tril(t2, -1)).max() == 0
    _close(z2 @ t2 @ z2.conj().T, a.astype(np.complex128), 1e-10)
    _close(z2.conj().T @ z2, np.eye(6), 1e-10)
    ts, _ = sl.rsf2csf(np.asarray(t), np.asarray(z))
    _same_spectrum(np.diag(t2), np.diag(ts), 1e-10)


@pytest.mark.parametrize("n", [1, 2, 5])
def test_hessenberg(rng: np.random.Generator, n: int) -> None:
    a = _rand(rng, n, n, dtype=np.complex128)
    h, q = sla.hessenberg(a, calc_q=True)
    h, q = np.asarray(h), np.asarray(q)
    assert np.abs(np.tril(h, -2)).max(initial=0) == 0
    _close(q @ h @ q.conj().T, a)
    _close(q.conj().T @ q, np.eye(n))
    _close(sla.hessenberg(a), sl.hessenberg(a))
    batched = np.stack([a, 2 * a])
    _close(sla.hessenberg(batched)[1], sl.hessenberg(2 * a))


# ---------------------------------------------------------------------------
# funcgrad.lax.linalg


def test_lax_linalg_against_jax(rng: np.random.Generator) -> None:
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    jl = jax.lax.linalg
    L = fg.lax.linalg
    a = _rand(rng, 4, 4)
    s = _spd(rng, 4)
    _close(L.cholesky(s + np.triu(np.ones((4, 4)), 1)),
           jl.cholesky(s + np.triu(np.ones((4, 4)), 1)))
    for got, want in zip(L.lu(a), jl.lu(a), strict=True):
        _close(got, want)
    piv = np.array([[3, 3, 2], [1, 2, 2]], dtype=np.int32)
    _close(L.lu_pivots_to_permutation(piv, 5), jl.lu_pivots_to_permutation(piv, 5))
    _close(L.triangular_solve(a, a[:2], left_side=False, lower=True, transpose_a=True),
           jl.triangular_solve(a, a[:2], left_side=False, lower=True, transpose_a=True))
    v, w = L.eigh(s, subset_by_index=(1, 3))
    _close(w, np.linalg.eigvalsh(s)[1:3])
    _close(np.abs(np.asarray(v)), np.abs(np.linalg.eigh(s)[1][:, 1:3]))
    u, sv, vh = L.svd(a, subset_by_index=(0, 2))
    _close(sv, np.linalg.svd(a)[1][:2])
    _close(np.asarray(u) * np.asarray(sv) @ np.asarray(vh),
           (np.linalg.svd(a)[0][:, :2] * np.linalg.svd(a)[1][:2]) @ np.linalg.svd(a)[2][:2])
    q, r = L.qr(a[:, :3], full_matrices=False)
    _close(np.asarray(q) @ np.asarray(r), a[:, :3])


def test_lax_eig_left_vectors(rng: np.random.Generator) -> None:
    a = _rand(rng, 4, 4)
    w, vl, vr = fg.lax.linalg.eig(a)
    w, vl, vr = np.asarray(w), np.asarray(vl), np.asarray(vr)
    _close(vl.conj().T @ a, w[:, None] * vl.conj().T)
    _close(a @ vr, vr * w)
    _close(np.linalg.norm(vl, axis=0), np.ones(4))
    big = vl[np.argmax(np.abs(vl), axis=0), np.arange(4)]
    _close(big.imag, np.zeros(4), 1e-12)
    (w_only,) = fg.lax.linalg.eig(a, compute_left_eigenvectors=False,
                                  compute_right_eigenvectors=False)
    _close(w_only, w)


def test_lax_schur_hessenberg(rng: np.random.Generator) -> None:
    a = _rand(rng, 4, 4, dtype=np.complex128)
    t, vs = fg.lax.linalg.schur(a)
    _close(np.asarray(vs) @ np.asarray(t) @ np.asarray(vs).conj().T, a)
    packed, taus = fg.lax.linalg.hessenberg(a)
    assert packed.shape == (4, 4) and taus.shape == (3,)
    q = fg.lax.linalg.householder_product(np.asarray(packed)[1:, :3], taus)
    assert q.shape == (3, 3)
    _close(np.asarray(q).conj().T @ np.asarray(q), np.eye(3))


# ---------------------------------------------------------------------------
# errors


def test_errors() -> None:
    with pytest.raises(ShapeError, match=r"sqrtm.*square.*\(2, 3\)"):
        sla.sqrtm(np.ones((2, 3)))
    with pytest.raises(ShapeError, match=r"logm.*matrix"):
        sla.logm(np.ones(3))
    with pytest.raises(NotImplementedError, match="disp=False"):
        sla.sqrtm(np.eye(2), disp=False)
    with pytest.raises(ValueError, match="blocksize"):
        sla.sqrtm(np.eye(2), blocksize=0)
    with pytest.raises(TypeError, match="func must be callable"):
        sla.funm(np.eye(2), "exp")
    with pytest.raises(UnsupportedError, match="sort="):
        sla.schur(np.eye(2), sort="lhp")
    with pytest.raises(UnsupportedError, match="lwork=16"):
        sla.schur(np.eye(2), lwork=16)
    with pytest.raises(ValueError, match="output must be"):
        sla.schur(np.eye(2), output="quasi")
    with pytest.raises(ValueError, match="must be real"):
        sla.rsf2csf(np.eye(2) * 1j, np.eye(2))
    with pytest.raises(ValueError, match="infs or NaNs"):
        sla.hessenberg(np.full((2, 2), np.nan))
    with pytest.raises(UnsupportedError, match="pivoting"):
        fg.lax.linalg.qr(np.eye(2), pivoting=True)
    with pytest.raises(UnsupportedError, match="algorithm"):
        fg.lax.linalg.svd(np.eye(2), algorithm="jacobi")
    with pytest.raises(ValueError, match="subset_by_index"):
        fg.lax.linalg.eigh(np.eye(2), subset_by_index=(1, 3))
