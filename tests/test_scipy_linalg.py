"""funcgrad.scipy.linalg against scipy.linalg (values, dtypes, shapes) on random,
ill-conditioned (Hilbert), complex and batched matrices; derivatives with
check_grads; vmap against a loop; jit against eager; and the errors."""
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

TOL = {np.dtype(np.float64): 1e-10, np.dtype(np.complex128): 1e-10,
       np.dtype(np.float32): 1e-4, np.dtype(np.complex64): 1e-4}


def _rand(rng: np.random.Generator, *shape: int, dtype: Any = np.float64) -> np.ndarray:
    x = rng.normal(size=shape)
    if np.issubdtype(dtype, np.complexfloating):
        x = x + 1j * rng.normal(size=shape)
    return x.astype(dtype)


def _well(rng: np.random.Generator, *batch_n: int, dtype: Any = np.float64) -> np.ndarray:
    """Random (..., n, n) matrices comfortably far from singular; batch_n = (..., n)."""
    n = batch_n[-1]
    return (_rand(rng, *batch_n, n, dtype=dtype) + 3 * n * np.eye(n)).astype(dtype)


def _spd(rng: np.random.Generator, *batch_n: int, dtype: Any = np.float64) -> np.ndarray:
    """Random (..., n, n) Hermitian positive-definite matrices."""
    n = batch_n[-1]
    a = _rand(rng, *batch_n, n, dtype=dtype)
    return (a @ np.conj(np.swapaxes(a, -1, -2)) + n * np.eye(n)).astype(dtype)


def _close(got: Any, want: Any, tol: float | None = None) -> None:
    want = np.asarray(want)
    got_np = np.asarray(got)
    assert got_np.dtype == want.dtype, (got_np.dtype, want.dtype)
    assert got_np.shape == want.shape, (got_np.shape, want.shape)
    t = TOL[want.dtype] if tol is None and want.dtype in TOL else (tol or 0)
    np.testing.assert_allclose(got_np, want, rtol=t, atol=t)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)


def test_namespace() -> None:
    import funcgrad.scipy
    assert funcgrad.scipy.linalg is sla
    assert fg.scipy.linalg.expm is sla.expm
    assert set(sla.__all__) <= set(dir(sla))


# ---------------------------------------------------------------------------
# values against SciPy


@pytest.mark.parametrize("assume_a", [None, "gen", "sym", "her", "pos", "upper triangular",
                                      "lower triangular", "diagonal", "tridiagonal", "banded"])
def test_solve_structures(rng: np.random.Generator, assume_a: str | None) -> None:
    for dtype in (np.float64, np.complex128):
        a = _spd(rng, 4, dtype=dtype) if assume_a == "pos" else _well(rng, 4, dtype=dtype)
        # entries the structure does not read must not matter: spoil them
        a = a + np.triu(_rand(rng, 4, 4), 1) * (assume_a == "pos")
        b = _rand(rng, 4, 2, dtype=dtype)
        for lower in (False, True):
            want = sl.solve(a, b, assume_a=assume_a, lower=lower)
            _close(sla.solve(a, b, assume_a=assume_a, lower=lower), want)


def test_solve_shapes_dtypes(rng: np.random.Generator) -> None:
    a = _well(rng, 2, 3)
    for b in (_rand(rng, 3), _rand(rng, 2, 3, 2), _rand(rng, 4, 1, 3, 2)):
        _close(sla.solve(a, b), sl.solve(a, b))
    b = _rand(rng, 4, 3, 2)
    _close(sla.solve(a[0], b), sl.solve(a[0], b))
    _close(sla.solve(a[0], b[0], transposed=True), sl.solve(a[0], b[0], transposed=True))
    # NumPy's promotion: float32 stays, ints compute in float64, mixed promote
    a32 = a[0].astype(np.float32)
    _close(sla.solve(a32, np.ones(3, np.float32)), sl.solve(a32, np.ones(3, np.float32)))
    _close(sla.solve(a32, np.ones(3)), sl.solve(a32, np.ones(3)))
    ai = np.array([[3, 1], [1, 2]])
    _close(sla.solve(ai, [1, 2]), sl.solve(ai, [1, 2]))
    _close(sla.solve(a[0], np.ones(3, np.complex64)), sl.solve(a[0], np.ones(3, np.complex64)))


def test_solve_ill_conditioned() -> None:
    h = sl.hilbert(7)
    b = np.arange(1.0, 8.0)
    cond = np.linalg.cond(h)
    want = sl.solve(h, b)
    np.testing.assert_allclose(np.asarray(sla.solve(h, b)), want, rtol=1e-16 * cond * 10)
    np.testing.assert_allclose(np.asarray(sla.solve(h, b, assume_a="pos")), want,
                               rtol=1e-16 * cond * 10)
    np.testing.assert_allclose(np.asarray(sla.inv(h)), sl.inv(h), rtol=1e-16 * cond * 10)
    np.testing.assert_allclose(np.asarray(sla.det(h)), sl.det(h), rtol=1e-6)


@pytest.mark.parametrize("trans", [0, 1, 2, "N", "T", "C"])
def test_solve_triangular(rng: np.random.Generator, trans: Any) -> None:
    a = _well(rng, 2, 4, dtype=np.complex128)
    b = _rand(rng, 2, 4, 3, dtype=np.complex128)
    for lower in (False, True):
        for unit in (False, True):
            want = sl.solve_triangular(a, b, trans=trans, lower=lower, unit_diagonal=unit)
            got = sla.solve_triangular(a, b, trans=trans, lower=lower, unit_diagonal=unit)
            _close(got, want)
    _close(sla.solve_triangular(a[0].real, b[0, :, 0].real, trans=trans),
           sl.solve_triangular(a[0].real, b[0, :, 0].real, trans=trans))


def test_cholesky_family(rng: np.random.Generator) -> None:
    for dtype in (np.float64, np.complex128):
        a = _spd(rng, 2, 4, dtype=dtype)
        b = _rand(rng, 2, 4, 2, dtype=dtype)
        for lower in (False, True):
            _close(sla.cholesky(a, lower=lower), sl.cholesky(a, lower=lower))
            c, low = sla.cho_factor(a, lower=lower)
            assert low is lower
            tri = np.tril if lower else np.triu
            _close(c, tri(sl.cho_factor(a, lower=lower)[0]))
            want = sl.cho_solve(sl.cho_factor(a, lower=lower), b)
            _close(sla.cho_solve((c, low), b), want)
            # SciPy's factor (other triangle unspecified) works too
            factor = sl.cho_factor(a[0], lower=lower)
            _close(sla.cho_solve(factor, b[0, :, 0]), sl.cho_solve(factor, b[0, :, 0]))


@pytest.mark.parametrize("shape,dtype", [((4, 4), np.float64), ((3, 5), np.float64),
                                         ((5, 3), np.complex128), ((2, 4, 4), np.float32)])
def test_lu(rng: np.random.Generator, shape: tuple[int, ...], dtype: Any) -> None:
    a = _rand(rng, *shape, dtype=dtype)
    for got, want in zip(sla.lu(a), sl.lu(a), strict=True):
        _close(got, want)
    for got, want in zip(sla.lu(a, permute_l=True), sl.lu(a, permute_l=True), strict=True):
        _close(got, want)
    for got, want in zip(sla.lu(a, p_indices=True), sl.lu(a, p_indices=True), strict=True):
        _close(got, want)
    for got, want in zip(sla.lu_factor(a), sl.lu_factor(a), strict=True):
        _close(got, want)


def test_lu_solve(rng: np.random.Generator) -> None:
    for dtype in (np.float64, np.complex128):
        a = _rand(rng, 2, 4, 4, dtype=dtype)
        b = _rand(rng, 2, 4, 3, dtype=dtype)
        lu_piv = sl.lu_factor(a)
        for trans in (0, 1, 2):
            want = sl.lu_solve(lu_piv, b, trans=trans)
            _close(sla.lu_solve(sla.lu_factor(a), b, trans=trans), want)
            _close(sla.lu_solve(lu_piv, b, trans=trans), want)
        _close(sla.lu_solve(lu_piv, b[0, :, 0]), sl.lu_solve(lu_piv, b[0, :, 0]))


def test_det_inv(rng: np.random.Generator) -> None:
    for dtype in (np.float64, np.complex128, np.float32):
        a = _rand(rng, 3, 4, 4, dtype=dtype)
        single = dtype == np.float32
        _close(sla.det(a), sl.det(a), 1e-5 if single else None)    # float32 -> float64
        _close(sla.inv(a), sl.inv(a), 1e-3 if single else None)
    _close(sla.det(np.zeros((2, 0, 0))), sl.det(np.zeros((2, 0, 0))))
    _close(sla.det([[1, 2], [3, 4]]), sl.det([[1, 2], [3, 4]]))
    s = _spd(rng, 4)
    for assume_a in ("upper triangular", "lower triangular", "pos", "sym"):
        for lower in (False, True):
            _close(sla.inv(s, assume_a=assume_a, lower=lower),
                   sl.inv(s, assume_a=assume_a, lower=lower))
    # "diagonal" inverts the diagonal matrix (SciPy 1.17 also copies a's off-diagonal
    # entries into its result, which its documentation says are not referenced)
    _close(sla.inv(s, assume_a="diagonal"), np.diag(1 / np.diag(s)))


@pytest.mark.parametrize("shape,dtype", [((4, 3), np.float64), ((3, 4), np.complex128),
                                         ((2, 3, 3), np.float64)])
def test_qr(rng: np.random.Generator, shape: tuple[int, ...], dtype: Any) -> None:
    a = _rand(rng, *shape, dtype=dtype)
    for mode in ("full", "economic", "r"):
        got, want = sla.qr(a, mode=mode), sl.qr(a, mode=mode)
        if mode == "r" and a.ndim > 2:      # SciPy's batched mode="r" drops the 1-tuple
            want = (want,)
        assert type(got) is tuple and len(got) == len(want)
        for g, w in zip(got, want, strict=True):
            _close(g, w)


def test_svd(rng: np.random.Generator) -> None:
    for shape, dtype in (((4, 3), np.float64), ((2, 3, 5), np.complex128)):
        a = _rand(rng, *shape, dtype=dtype)
        _close(sla.svd(a, compute_uv=False), sl.svd(a, compute_uv=False))
        for full in (True, False):
            u, s, vh = sla.svd(a, full_matrices=full)
            wu, ws, wvh = sl.svd(a, full_matrices=full)
            assert np.shape(u) == wu.shape and np.shape(vh) == wvh.shape
            _close(s, ws)
            k = ws.shape[-1]
            u_, vh_ = np.asarray(u)[..., :k], np.asarray(vh)[..., :k, :]
            np.testing.assert_allclose((u_ * np.asarray(s)[..., None, :]) @ vh_, a, atol=1e-12)


def test_eigh(rng: np.random.Generator) -> None:
    for dtype in (np.float64, np.complex128):
        a = _rand(rng, 2, 4, 4, dtype=dtype)      # only one triangle is read
        for lower in (True, False):
            w, v = sla.eigh(a, lower=lower)
            ww, wv = sl.eigh(a, lower=lower)
            _close(w, ww)
            _close(np.abs(np.asarray(v)), np.abs(wv), 1e-8)
            _close(sla.eigh(a, lower=lower, eigvals_only=True), ww)
            _close(sla.eigvalsh(a, lower=lower), ww)
        sub = sla.eigh(a, subset_by_index=[1, 2])
        want = sl.eigh(a, subset_by_index=[1, 2])
        _close(sub[0], want[0])
        _close(np.abs(np.asarray(sub[1])), np.abs(want[1]), 1e-8)
    h = sl.hilbert(6)
    np.testing.assert_allclose(np.asarray(sla.eigh(h, eigvals_only=True)),
                               sl.eigh(h, eigvals_only=True), rtol=1e-8, atol=1e-15)


def test_polar(rng: np.random.Generator) -> None:
    for shape, dtype in (((4, 4), np.float64), ((5, 3), np.float64), ((3, 5), np.complex128)):
        a = _rand(rng, *shape, dtype=dtype)
        for side in ("right", "left"):
            for g, w in zip(sla.polar(a, side), sl.polar(a, side), strict=True):
                _close(g, w)


def test_expm(rng: np.random.Generator) -> None:
    for scale in (1e-6, 0.1, 1.0, 8.0, 60.0):
        a = _rand(rng, 4, 4) * scale
        want = sl.expm(a)
        np.testing.assert_allclose(np.asarray(sla.expm(a)), want, rtol=0,
                                   atol=1e-13 * max(1.0, scale) * np.abs(want).max())
    c = _rand(rng, 3, 3, dtype=np.complex128)
    _close(sla.expm(c), sl.expm(c))
    f32 = _rand(rng, 3, 3, dtype=np.float32)
    _close(sla.expm(f32), sl.expm(f32))
    stack = _rand(rng, 3, 3, 3) * np.array([1e-3, 1.0, 20.0])[:, None, None]
    _close(sla.expm(stack), sl.expm(stack), 1e-11)
    h = sl.hilbert(5)
    _close(sla.expm(h), sl.expm(h))
    _close(sla.expm([[1, 2], [0, 3]]), sl.expm([[1, 2], [0, 3]]))
    up = np.triu(a)
    _close(sla.expm(up, upper_triangular=True), sl.expm(up), 1e-9)
    _close(sla.expm(np.zeros((0, 0))), sl.expm(np.zeros((0, 0))))
    assert np.isnan(np.asarray(sla.expm(np.eye(2) * 100.0, max_squarings=2))).all()


def test_expm_frechet(rng: np.random.Generator) -> None:
    a, e = _rand(rng, 3, 3), _rand(rng, 3, 3)
    want_x, want_l = sl.expm_frechet(a, e)
    for method in (None, "SPS", "blockEnlarge"):
        got_x, got_l = sla.expm_frechet(a, e, method=method)
        _close(got_x, want_x)
        _close(got_l, want_l, 1e-9)
    _close(sla.expm_frechet(a, e, compute_expm=False), want_l, 1e-9)


def test_special_matrices(rng: np.random.Generator) -> None:
    c, r = _rand(rng, 4), _rand(rng, 3)
    _close(sla.toeplitz(c, r), sl.toeplitz(c, r))
    cc = _rand(rng, 4, dtype=np.complex128)
    _close(sla.toeplitz(cc), sl.toeplitz(cc))
    _close(sla.toeplitz([1, 2, 3]), sl.toeplitz([1, 2, 3]))
    _close(sla.toeplitz(3), sl.toeplitz(3))
    cb, rb = _rand(rng, 2, 1, 3), _rand(rng, 4, 2)
    _close(sla.toeplitz(cb, rb), sl.toeplitz(cb, rb))
    _close(sla.circulant(c), sl.circulant(c))
    _close(sla.circulant(cb), sl.circulant(cb))
    _close(sla.circulant([1, 2, 3]), sl.circulant([1, 2, 3]))
    for n in (0, 1, 5):
        _close(sla.hilbert(n), sl.hilbert(n))
    for coeffs in ([1, 2, 3], [2.0, -1.0, 0.5, 4.0], np.array([1, 2, 3], np.float32),
                   _rand(rng, 2, 4) + 5):
        _close(sla.companion(coeffs), sl.companion(coeffs))
    blocks = ([[1, 2], [3, 4]], 5, [6, 7, 8], np.zeros((2, 0)), [[1.5]])
    _close(sla.block_diag(*blocks), sl.block_diag(*blocks))
    _close(sla.block_diag(), sl.block_diag())
    _close(sla.block_diag(np.ones(2, np.float32), np.ones((2, 2), np.int32)),
           sl.block_diag(np.ones(2, np.float32), np.ones((2, 2), np.int32)))
    bb = (_rand(rng, 2, 2, 2), _rand(rng, 3), _rand(rng, 1, 1, 2, dtype=np.complex128))
    _close(sla.block_diag(*bb), sl.block_diag(*bb))


# ---------------------------------------------------------------------------
# derivatives


def _sym(x: Any) -> Any:
    return x + fnp.swapaxes(x, -1, -2)


_SPREAD = np.diag([0.0, 3.0, 6.0])      # well separated eigenvalues


GRAD_CASES = {
    "solve": (lambda a, b: sla.solve(a, b), ((4, 4), (4, 2)), 2),
    "solve_pos": (lambda a, b: sla.solve(a @ a.T + 4 * fnp.eye(4), b, assume_a="pos"),
                  ((4, 4), (4,)), 1),
    "solve_sym_lower": (lambda a, b: sla.solve(a + 8 * fnp.eye(4), b, assume_a="sym",
                                               lower=True), ((4, 4), (4, 2)), 1),
    "solve_triangular": (lambda a, b: sla.solve_triangular(a + 4 * fnp.eye(3), b, trans=1,
                                                           lower=True), ((3, 3), (3, 2)), 2),
    "cho_factor_solve": (lambda a, b: sla.cho_solve(
        sla.cho_factor(a @ a.T + 3 * fnp.eye(3)), b), ((3, 3), (3,)), 2),
    "lu_factor_solve": (lambda a, b: sla.lu_solve(sla.lu_factor(a), b, trans=1),
                        ((3, 3), (3, 2)), 1),
    "lu": (lambda a: sla.lu(a)[1:], ((3, 3),), 2),
    "det": (sla.det, ((3, 3),), 2),
    "inv": (sla.inv, ((2, 3, 3),), 1),
    "qr": (lambda a: sla.qr(a, mode="economic"), ((4, 3),), 1),
    "svd": (lambda a: sla.svd(a, compute_uv=False), ((4, 3),), 2),
    "eigh": (lambda a: sla.eigh(_sym(a) + _SPREAD), ((3, 3),), 1),
    "eigh_subset": (lambda a: sla.eigh(_sym(a) + _SPREAD, subset_by_index=(1, 2),
                                       eigvals_only=True), ((3, 3),), 2),
    "polar": (lambda a: sla.polar(a), ((3, 3),), 1),
    "polar_left": (lambda a: sla.polar(a, "left"), ((2, 3),), 1),
    "expm": (sla.expm, ((3, 3),), 2),     # the same code runs for a stack
    "special": (lambda c, r: (sla.toeplitz(c, r), sla.circulant(r), sla.companion(c + 3.0),
                              sla.block_diag(c, sla.hilbert(2) * r[0])), ((3,), (2,)), 2),
}


@pytest.mark.parametrize("name", sorted(GRAD_CASES))
def test_grads(name: str) -> None:
    f, shapes, order = GRAD_CASES[name]
    rng = np.random.default_rng(1)
    # square matrices well away from singular
    args = tuple(rng.normal(size=s) * 0.5 + (2 * np.eye(s[-1]) if len(s) > 1 and
                                             s[-1] == s[-2] else 0) for s in shapes)
    if name == "expm":      # one that needs a couple of squarings
        args = (args[0] * 6.0,)
    check_grads(f, args, order=order)


def test_grads_complex(rng: np.random.Generator) -> None:
    a = _well(rng, 3, dtype=np.complex128)
    b = _rand(rng, 3, dtype=np.complex128)
    check_grads(lambda a, b: sla.solve(a, b, assume_a="her"), (a, b), order=1)
    check_grads(lambda a, b: sla.lu_solve(sla.lu_factor(a), b, trans=2), (a, b), order=1)


def test_expm_jvp_is_frechet(rng: np.random.Generator) -> None:
    a, e = _rand(rng, 3, 3) * 3.0, _rand(rng, 3, 3)
    _, t = fg.jvp(sla.expm, (a,), (e,))
    np.testing.assert_allclose(np.asarray(t), sl.expm_frechet(a, e, compute_expm=False),
                               rtol=1e-9, atol=1e-9)


# ---------------------------------------------------------------------------
# vmap and jit


def test_vmap(rng: np.random.Generator) -> None:
    a = _well(rng, 3, 3)
    b = _rand(rng, 3, 3, 2)
    check_vmap(lambda a, b: sla.solve(a, b), (a, b))
    check_vmap(lambda a, b: sla.solve(a, b), (a[0], b), in_axes=(None, 0))
    check_vmap(lambda a, b: sla.lu_solve(sla.lu_factor(a), b, trans=1), (a, b))
    check_vmap(sla.expm, (a * np.array([0.01, 1.0, 9.0])[:, None, None],))
    check_vmap(sla.det, (a,))
    check_vmap(lambda c: sla.toeplitz(c, c[:2]), (_rand(rng, 3, 4),))
    check_vmap(lambda a, b: sla.cho_solve(sla.cho_factor(a), b), (_spd(rng, 3, 3), b))


def test_jit(rng: np.random.Generator) -> None:
    a = _well(rng, 3)
    b = _rand(rng, 3)
    check_jit(lambda a, b: sla.solve(a, b, assume_a="her"), (a, b))
    check_jit(lambda a, b: sla.lu_solve(sla.lu_factor(a), b), (a, b))
    check_jit(lambda a: sla.lu(a), (a,))
    check_jit(sla.expm, (a,))
    check_jit(lambda a: sla.eigh(a, subset_by_index=(0, 1)), (a,))
    check_jit(lambda a: sla.qr(a, mode="r"), (a,))
    check_jit(lambda c: sla.block_diag(c, c[:2], 1.0), (b,))


# ---------------------------------------------------------------------------
# errors


def test_shape_errors() -> None:
    sq, rect = np.eye(3), np.ones((3, 4))
    for f in (sla.inv, sla.det, sla.cholesky, sla.cho_factor, sla.eigh, sla.expm):
        with pytest.raises(ShapeError, match=r"square.*\(3, 4\)"):
            f(rect)
        with pytest.raises(ShapeError, match=r"matrix"):
            f(np.ones(3))
    with pytest.raises(ShapeError, match=r"solve: a of shape \(3, 3\) and b of shape \(4,\)"):
        sla.solve(sq, np.ones(4))
    with pytest.raises(ShapeError, match=r"solve_triangular.*\(3, 3\).*\(2, 3\)"):
        sla.solve_triangular(sq, np.ones((2, 3)))
    with pytest.raises(ShapeError, match="batch dimensions"):
        sla.solve(np.ones((2, 3, 3)), np.ones((3, 3, 1)))
    with pytest.raises(ShapeError, match="cho_solve"):
        sla.cho_solve((sq, False), np.ones(2))
    with pytest.raises(ShapeError, match="piv"):
        sla.lu_solve((sq, np.zeros(2, np.int32)), np.ones(3))
    with pytest.raises(ShapeError, match="lu_solve"):
        sla.lu_solve((rect, np.zeros(3, np.int32)), np.ones(3))
    with pytest.raises(ShapeError, match="expm_frechet"):
        sla.expm_frechet(sq, np.ones((2, 2)))
    with pytest.raises(ShapeError, match="block_diag"):
        sla.block_diag(np.ones((2, 1, 1)), np.ones((3, 1, 1)))
    with pytest.raises(ValueError, match="at least 2"):
        sla.companion([1.0])


def test_option_errors() -> None:
    sq = np.eye(3)
    with pytest.raises(UnsupportedError, match="immutable"):
        sla.solve(sq, np.ones(3), overwrite_a=True)
    with pytest.raises(UnsupportedError, match="immutable"):
        sla.lu_solve(sl.lu_factor(sq), np.ones(3), overwrite_b=True)
    with pytest.raises(ValueError, match="not a recognized matrix structure"):
        sla.solve(sq, np.ones(3), assume_a="spd")
    with pytest.raises(ValueError, match="not a recognized matrix structure"):
        sla.inv(sq, assume_a="tridiagonal")
    with pytest.raises(NotImplementedError, match="complex"):
        sla.solve(sq * 1j, np.ones(3), transposed=True)
    with pytest.raises(ValueError, match="trans"):
        sla.solve_triangular(sq, np.ones(3), trans=3)
    with pytest.raises(UnsupportedError, match="raw"):
        sla.qr(sq, mode="raw")
    with pytest.raises(ValueError, match="mode"):
        sla.qr(sq, mode="reduced")
    with pytest.raises(UnsupportedError, match="pivoting"):
        sla.qr(sq, pivoting=True)
    with pytest.raises(UnsupportedError, match="gesvd"):
        sla.svd(sq, lapack_driver="gesvd")
    with pytest.raises(UnsupportedError, match=r"generalized eigenproblem \(b=...\)"):
        sla.eigh(sq, sq)
    with pytest.raises(UnsupportedError, match="subset_by_value"):
        sla.eigh(sq, subset_by_value=(0.0, 1.0))
    with pytest.raises(UnsupportedError, match="driver"):
        sla.eigh(sq, driver="evd")
    with pytest.raises(ValueError, match="indices are not valid"):
        sla.eigh(sq, subset_by_index=(2, 1))
    with pytest.raises(ValueError, match="side"):
        sla.polar(sq, side="up")
    with pytest.raises(ValueError, match="first coefficient"):
        sla.companion([0.0, 1.0, 2.0])
    with pytest.raises(ValueError, match="unknown implementation"):
        sla.expm_frechet(sq, sq, method="Pade")
    with pytest.raises(ValueError, match="max_squarings"):
        sla.expm(sq, max_squarings=-1)
    with pytest.raises(TypeError, match="cho_factor returns"):
        sla.cho_solve(sq, np.ones(3))


def test_check_finite() -> None:
    bad = np.array([[1.0, np.nan], [0.0, 1.0]])
    for f in (sla.inv, sla.det, sla.lu, sla.lu_factor, sla.cholesky, sla.eigh, sla.svd, sla.qr):
        with pytest.raises(ValueError, match="infs or NaNs"):
            f(bad)
    with pytest.raises(ValueError, match=r"infs or NaNs \(b"):
        sla.solve(np.eye(2), [1.0, np.inf])
    with pytest.raises(ValueError, match="infs or NaNs"):
        sla.solve(fnp.asarray(bad), np.ones(2))
    assert np.isnan(np.asarray(sla.inv(bad, check_finite=False))).any()
    # traced inputs have no values to check: the NaN propagates
    assert np.isnan(np.asarray(fg.jit(sla.inv)(bad))).any()
