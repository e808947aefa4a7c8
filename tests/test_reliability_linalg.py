"""Linear algebra that is never silently wrong: derivatives of the factorizations that read
one triangle (eigh, eigvalsh, cholesky) for arbitrary tangents, empty matrices, NumPy 2's
tolerance rules in pinv / matrix_rank, result dtypes against NumPy, and second-order
derivatives of the linalg functions on complex input."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import funcgrad as fg
import funcgrad.numpy as fnp
from funcgrad.testing import check_grads

LA = fnp.linalg
RNG = np.random.default_rng(7)


def _cplx(*shape: int) -> np.ndarray:
    return RNG.normal(size=shape) + 1j * RNG.normal(size=shape)


def _hpd(n: int, complex_: bool = True) -> np.ndarray:
    a = _cplx(n, n) if complex_ else RNG.normal(size=(n, n))
    return a @ np.conj(a.T) + n * np.eye(n)


def _from_triangle(x: np.ndarray, lower: bool) -> np.ndarray:
    """The Hermitian matrix LAPACK reads: one triangle and the real part of the diagonal."""
    tri = np.tril(x, -1) if lower else np.triu(x, 1)
    return tri + np.conj(np.swapaxes(tri, -1, -2)) + np.diag(np.real(np.diagonal(x)))


def _modes(f: Callable[..., Any], mode: str) -> Callable[..., Any]:
    return fg.jit(f) if mode == "jit" else f


def _fd(f: Callable[..., Any], x: np.ndarray, t: np.ndarray, eps: float = 1e-6) -> Any:
    hi, lo = f(x + eps * t), f(x - eps * t)
    return fg.tree.map(lambda a, b: (np.asarray(a) - np.asarray(b)) / (2 * eps), hi, lo)


def _eig_invariants(a: Any, uplo: str) -> tuple[Any, Any]:
    """Eigenvalues and |v|^2 elementwise: both independent of the eigenvectors' phases."""
    w, v = LA.eigh(a, UPLO=uplo)
    return w, fnp.abs(v) ** 2


# ---------------------------------------------------------------------------
# 1. derivatives of the one-triangle factorizations


@pytest.mark.parametrize("mode", ["eager", "jit"])
@pytest.mark.parametrize("uplo", ["L", "U"])
def test_eigh_jvp_ignores_imaginary_diagonal_of_tangent(mode: str, uplo: str) -> None:
    a = _hpd(3)
    t = np.diag(1j * RNG.normal(size=3))           # moves nothing eigh reads
    f = _modes(lambda x: _eig_invariants(x, uplo), mode)
    (w, v2), (w_dot, v2_dot) = fg.jvp(f, (a,), (t,))
    fd_w, fd_v2 = _fd(f, a, t)
    np.testing.assert_allclose(fd_w, 0, atol=1e-8)
    np.testing.assert_allclose(np.asarray(w_dot), 0, atol=1e-12)
    np.testing.assert_allclose(np.asarray(v2_dot), 0, atol=1e-12)
    np.testing.assert_allclose(fd_v2, 0, atol=1e-8)


@pytest.mark.parametrize("mode", ["eager", "jit"])
@pytest.mark.parametrize("uplo", ["L", "U"])
@pytest.mark.parametrize("complex_", [True, False])
def test_eigh_jvp_of_arbitrary_tangent_matches_fd_and_jax(mode: str, uplo: str,
                                                          complex_: bool) -> None:
    import jax
    import jax.numpy as jnp
    a = _hpd(3, complex_)
    t = _cplx(3, 3) if complex_ else RNG.normal(size=(3, 3))     # not Hermitian
    f = _modes(lambda x: _eig_invariants(x, uplo), mode)
    _, (w_dot, v2_dot) = fg.jvp(f, (a,), (t,))
    fd_w, fd_v2 = _fd(f, a, t)
    np.testing.assert_allclose(np.asarray(w_dot), fd_w, atol=1e-6)
    np.testing.assert_allclose(np.asarray(v2_dot), fd_v2, atol=1e-6)
    # JAX symmetrizes the whole matrix; give it the triangle funcgrad reads instead

    def jax_f(x: Any) -> Any:
        tri = jnp.tril(x, -1) if uplo == "L" else jnp.triu(x, 1)
        h = tri + jnp.conj(tri.T) + jnp.diag(jnp.real(jnp.diagonal(x)).astype(x.dtype))
        w, v = jnp.linalg.eigh(h)
        return w, jnp.abs(v) ** 2

    _, (jw, jv2) = jax.jvp(jax_f, (a,), (t,))
    np.testing.assert_allclose(np.asarray(w_dot), np.asarray(jw), atol=1e-10)
    np.testing.assert_allclose(np.asarray(v2_dot), np.asarray(jv2), atol=1e-10)


@pytest.mark.parametrize("uplo", ["L", "U"])
def test_eigh_vjp_matches_jax_on_complex_input(uplo: str) -> None:
    import jax
    import jax.numpy as jnp
    a = _hpd(3)
    weights = np.arange(1.0, 10.0).reshape(3, 3)

    def loss(m: Any, x: Any) -> Any:
        w, v = m.linalg.eigh(x, UPLO=uplo)
        return m.sum(w * np.arange(3.0)) + m.sum(weights * m.abs(v) ** 2)

    def jax_loss(x: Any) -> Any:
        tri = jnp.tril(x, -1) if uplo == "L" else jnp.triu(x, 1)
        h = tri + jnp.conj(tri.T) + jnp.diag(jnp.real(jnp.diagonal(x)).astype(x.dtype))
        return loss(jnp, h)

    got = fg.jit(fg.grad(lambda x: loss(fnp, x)))(a)
    want = jax.grad(jax_loss)(a)
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), atol=1e-10)
    # the diagonal's imaginary part and the unread triangle get no gradient
    unread = np.triu(np.ones((3, 3)), 1) if uplo == "L" else np.tril(np.ones((3, 3)), -1)
    np.testing.assert_array_equal(np.asarray(got) * unread, 0)
    np.testing.assert_allclose(np.imag(np.diagonal(np.asarray(got))), 0, atol=1e-12)


@pytest.mark.parametrize("mode", ["eager", "jit"])
@pytest.mark.parametrize("upper", [False, True])
@pytest.mark.parametrize("complex_", [True, False])
def test_cholesky_jvp_of_arbitrary_tangent_matches_fd(mode: str, upper: bool,
                                                      complex_: bool) -> None:
    a = _hpd(3, complex_)
    t = _cplx(3, 3) if complex_ else RNG.normal(size=(3, 3))
    f = _modes(lambda x: LA.cholesky(x, upper=upper), mode)
    _, dot = fg.jvp(f, (a,), (t,))
    np.testing.assert_allclose(np.asarray(dot), _fd(f, a, t), atol=1e-6)
    if complex_:
        _, dot = fg.jvp(f, (a,), (np.diag(1j * RNG.normal(size=3)),))
        np.testing.assert_allclose(np.asarray(dot), 0, atol=1e-12)


@pytest.mark.parametrize("mode", ["eager", "jit"])
def test_one_triangle_readers_agree_with_numpy_on_non_hermitian_input(mode: str) -> None:
    # two different positive definite matrices in the two triangles, and a diagonal with
    # an imaginary part, which none of them reads; the diagonal dominates, so the upper
    # triangle with the lower one's diagonal is positive definite too, whatever RNG drew
    a = (np.tril(_hpd(3) + 30 * np.eye(3)) + np.triu(_hpd(3), 1)
         + np.diag(1j * RNG.normal(size=3)))

    def f(x: Any) -> Any:
        return (LA.cholesky(x), LA.cholesky(x, upper=True), LA.eigvalsh(x),
                LA.eigvalsh(x, UPLO="U"), LA.eigh(x)[0], LA.eigh(x, UPLO="U")[0])

    want_u = np.linalg.cholesky(_from_triangle(a, lower=False), upper=True)
    want = (np.linalg.cholesky(a), want_u, np.linalg.eigvalsh(a),
            np.linalg.eigvalsh(a, UPLO="U"), np.linalg.eigh(a)[0],
            np.linalg.eigh(a, UPLO="U")[0])
    np.testing.assert_allclose(want_u, np.linalg.cholesky(a, upper=True), atol=1e-12)
    for g, w in zip(_modes(f, mode)(a), want, strict=True):
        assert np.asarray(g).dtype == w.dtype
        np.testing.assert_allclose(np.asarray(g), w, atol=1e-10)


# ---------------------------------------------------------------------------
# 2. empty matrices


def _empty_suite(a: Any, xp: Any = fnp) -> dict[str, Any]:
    """Every linalg function on `a`, through `xp` (funcgrad.numpy, or NumPy as the oracle)."""
    n = a.shape[-1]
    la = xp.linalg
    return {
        "inv": la.inv(a), "det": la.det(a), "slogdet": tuple(la.slogdet(a)),
        "solve_vec": la.solve(a, xp.zeros((n,))),
        "solve_mat": la.solve(a, xp.zeros((*a.shape[:-1], 2))),
        "cholesky": la.cholesky(a), "eigh": tuple(la.eigh(a)), "eigvalsh": la.eigvalsh(a),
        "svd": tuple(la.svd(a)), "svd_reduced": tuple(la.svd(a, full_matrices=False)),
        "svdvals": la.svdvals(a), "svd_herm": tuple(la.svd(a, hermitian=True)),
        "qr": tuple(la.qr(a)), "qr_complete": tuple(la.qr(a, mode="complete")),
        "pinv": la.pinv(a), "pinv_herm": la.pinv(a, hermitian=True),
        "matrix_rank": la.matrix_rank(a), "matrix_power": la.matrix_power(a, 3),
        "matrix_power_neg": la.matrix_power(a, -2), "trace": la.trace(a),
        "norm2": la.norm(a, 2, axis=(-2, -1)), "norm1": la.norm(a, 1, axis=(-2, -1)),
        "norm_inf": la.norm(a, np.inf, axis=(-2, -1)), "nuc": la.matrix_norm(a, ord="nuc"),
        "fro": la.matrix_norm(a),
    }


@pytest.mark.parametrize("mode", ["eager", "jit"])
@pytest.mark.parametrize("shape", [(0, 0), (3, 0, 0)])
def test_empty_matrices_give_numpys_results(mode: str, shape: tuple[int, ...]) -> None:
    a = np.zeros(shape)
    got = _modes(_empty_suite, mode)(a)
    want = _empty_suite(a, np)
    assert set(got) == set(want)
    for name, w in want.items():
        g_leaves, w_leaves = fg.tree.leaves(got[name]), fg.tree.leaves(w)
        assert len(g_leaves) == len(w_leaves), name
        for g, ww in zip(g_leaves, w_leaves, strict=True):
            g, ww = np.asarray(g), np.asarray(ww)
            assert (g.shape, g.dtype) == (ww.shape, ww.dtype), (name, g.shape, g.dtype,
                                                                 ww.shape, ww.dtype)
            np.testing.assert_array_equal(g, ww, err_msg=name)


def test_empty_batch_of_matrices() -> None:
    a = np.zeros((0, 3, 3))
    b = np.zeros((0, 3))
    for g, w in [(LA.inv(a), np.linalg.inv(a)), (LA.det(a), np.linalg.det(a)),
                 (LA.solve(a, b[..., None]), np.linalg.solve(a, b[..., None])),
                 (LA.eigvalsh(a), np.linalg.eigvalsh(a)), (LA.svdvals(a), np.linalg.svdvals(a)),
                 (LA.pinv(a), np.linalg.pinv(a)), (LA.cholesky(a), np.linalg.cholesky(a))]:
        assert (np.asarray(g).shape, np.asarray(g).dtype) == (w.shape, w.dtype)


def test_empty_matrices_differentiate_to_empty_gradients() -> None:
    def loss(x: Any) -> Any:
        b = fnp.zeros((*x.shape[:-1], 1))
        return (LA.det(x).sum() + LA.inv(x).sum() + LA.solve(x, b).sum()
                + LA.cholesky(x).sum() + LA.eigvalsh(x).sum() + LA.pinv(x).sum())

    for shape in [(0, 0), (2, 0, 0)]:
        for g in (fg.grad(loss)(np.zeros(shape)), fg.jit(fg.grad(loss))(np.zeros(shape))):
            assert (g.shape, g.dtype) == (shape, np.float64)


@pytest.mark.parametrize("shape", [(0, 0), (3, 0, 0), (2, 3, 0)])
def test_empty_min_norms_and_cond_raise_like_numpy(shape: tuple[int, ...]) -> None:
    a = np.zeros(shape)
    for ord_ in (-2, -1, -np.inf):
        try:
            want = np.linalg.norm(a, ord_, axis=(-2, -1))
        except ValueError:
            with pytest.raises(ValueError, match="empty array"):
                LA.norm(a, ord_, axis=(-2, -1))
        else:
            np.testing.assert_array_equal(np.asarray(LA.norm(a, ord_, axis=(-2, -1))), want)
    with pytest.raises(ValueError, match="ord=-inf"):
        LA.vector_norm(np.zeros((0,)), ord=-np.inf)
    assert float(LA.vector_norm(np.zeros((0,)), ord=np.inf)) == 0.0
    with pytest.raises(LA.LinAlgError, match="empty"):
        LA.cond(a)
    assert LA.det(np.eye(2)) == 1.0     # the next call works


def test_lstsq_on_empty_matrices() -> None:
    for shape in [(0, 3), (3, 0), (0, 0)]:
        a, b = np.ones(shape), np.ones((shape[0], 2))
        got, want = fg.jit(LA.lstsq)(a, b), np.linalg.lstsq(a, b)
        for g, w in zip(got, want, strict=True):
            g = np.asarray(g)
            assert (g.shape, g.dtype) == (w.shape, w.dtype), shape
            np.testing.assert_allclose(g, w)


# ---------------------------------------------------------------------------
# 3. NumPy 2's tolerances: pinv, matrix_rank, svd(hermitian=True)


def _batch(complex_: bool) -> np.ndarray:
    a = _cplx(3, 4, 4) if complex_ else RNG.normal(size=(3, 4, 4))
    return a


@pytest.mark.parametrize("mode", ["eager", "jit"])
@pytest.mark.parametrize("complex_", [False, True])
def test_pinv_per_matrix_rtol_broadcasts_over_the_batch(mode: str, complex_: bool) -> None:
    a = _batch(complex_)
    rtol = np.array([1e-15, 0.3, 0.7])
    s = np.linalg.svd(a, compute_uv=False)
    cuts = {int(np.sum(si > r * si[0])) for si, r in zip(s, rtol, strict=True)}
    assert len(cuts) > 1      # the per-matrix cut-offs differ
    f = _modes(lambda x, r: (LA.pinv(x, rtol=r), LA.pinv(x, rcond=r),
                             LA.pinv(x, rtol=r, hermitian=True),
                             LA.matrix_rank(x, rtol=r), LA.matrix_rank(x, tol=r),
                             LA.matrix_rank(x, tol=r, hermitian=True)), mode)
    got = f(a, rtol)
    want = (np.linalg.pinv(a, rtol=rtol), np.linalg.pinv(a, rcond=rtol),
            np.linalg.pinv(a, rtol=rtol, hermitian=True), np.linalg.matrix_rank(a, rtol=rtol),
            np.linalg.matrix_rank(a, tol=rtol), np.linalg.matrix_rank(a, tol=rtol,
                                                                     hermitian=True))
    for g, w in zip(got, want, strict=True):
        assert np.asarray(g).dtype == w.dtype
        np.testing.assert_allclose(np.asarray(g), w, atol=1e-10)
    # a column of per-matrix cut-offs also broadcasts (shape (3, 1) for batch (3, 2))
    a2 = np.stack([a[:, :, :], a[:, :, :]], axis=1)
    np.testing.assert_allclose(np.asarray(LA.pinv(a2, rtol=rtol[:, None])),
                               np.linalg.pinv(a2, rtol=rtol[:, None]), atol=1e-10)


def test_pinv_defaults_follow_numpy2() -> None:
    # singular values 1 and 1e-13: NumPy's default cut (1e-15) keeps the small one, an
    # explicit rtol=None (max(M, N) * eps ~ 4e-16) keeps it too, rtol=1e-12 drops it
    u, _ = np.linalg.qr(RNG.normal(size=(2, 2)))
    a = u @ np.diag([1.0, 1e-13]) @ u.T
    for kw in ({}, {"rtol": None}, {"rtol": 1e-12}, {"rcond": 1e-12}, {"rcond": None}):
        np.testing.assert_allclose(np.asarray(LA.pinv(a, **kw)), np.linalg.pinv(a, **kw),
                                   rtol=1e-6, err_msg=str(kw))
    b = RNG.normal(size=(3, 2))
    assert float(np.abs(np.asarray(LA.pinv(b)) - np.linalg.pinv(b)).max()) < 1e-12


@pytest.mark.parametrize("complex_", [False, True])
def test_svd_hermitian_reads_lower_triangle_like_numpy(complex_: bool) -> None:
    a = _batch(complex_)           # not Hermitian: only its lower triangle counts
    u, s, vh = LA.svd(a, hermitian=True)
    nu, ns, nvh = np.linalg.svd(a, hermitian=True)
    np.testing.assert_allclose(np.asarray(s), ns, atol=1e-10)
    recon = np.asarray(u) * np.asarray(s)[..., None, :] @ np.asarray(vh)
    np.testing.assert_allclose(recon, nu * ns[..., None, :] @ nvh, atol=1e-10)
    np.testing.assert_allclose(np.asarray(LA.svd(a, hermitian=True, compute_uv=False)), ns,
                               atol=1e-10)


def test_bad_tolerances_raise_clear_errors_and_the_next_call_works() -> None:
    a = _batch(False)
    with pytest.raises(ValueError, match=r"rtol of shape \(2,\) does not broadcast to the "
                                         r"batch shape \(3,\)"):
        LA.pinv(a, rtol=np.ones(2))
    with pytest.raises(ValueError, match="rcond of shape"):
        fg.jit(lambda x: LA.pinv(x, rcond=np.ones((3, 2))))(a)
    with pytest.raises(ValueError, match="rtol and rcond cannot both be set"):
        LA.pinv(a, rcond=0.1, rtol=0.1)
    with pytest.raises(ValueError, match="tol and rtol cannot both be set"):
        LA.matrix_rank(a, tol=0.1, rtol=0.1)
    with pytest.raises(TypeError, match="rtol must be a real number"):
        LA.pinv(a, rtol=1j)
    np.testing.assert_allclose(np.asarray(LA.pinv(a, rtol=np.ones(3) * 0.1)),
                               np.linalg.pinv(a, rtol=np.ones(3) * 0.1), atol=1e-10)


def test_cond_turns_nan_from_singularity_into_inf() -> None:
    z = np.zeros((2, 2))
    for p in (None, 1, "fro"):
        want = np.linalg.cond(z, p)
        got = np.asarray(LA.cond(z, p))
        assert got.dtype == want.dtype and np.isinf(got) and np.isinf(want), p
    # a NaN in the input stays NaN (NumPy raises: its SVD does not converge)
    assert np.isnan(np.asarray(LA.cond(np.full((2, 2), np.nan))))


# ---------------------------------------------------------------------------
# 4. result dtypes (and values) against NumPy


DTYPES = [np.bool_, np.uint8, np.int8, np.int32, np.float32, np.complex64]


def _dtype_suite(m: Any, a: Any, b: Any, v: Any, w: Any) -> tuple[Any, ...]:
    la = m.linalg
    return (la.trace(a), la.trace(a, offset=1), la.diagonal(a, offset=-1), m.trace(a),
            la.vector_norm(v), la.vector_norm(v, ord=np.inf), la.vector_norm(v, ord=1),
            la.vector_norm(v, ord=0), la.vector_norm(v, ord=3), la.norm(a), la.norm(v),
            la.matrix_norm(a), la.matrix_norm(a, ord=1), la.matrix_norm(a, ord=np.inf),
            la.det(a), la.outer(v, w), la.vecdot(v, w), la.matmul(a, b),
            la.tensordot(a, b, axes=1), la.matrix_transpose(a), la.matrix_power(a, 2),
            la.multi_dot([a, b, a]), la.matrix_rank(a), la.slogdet(a)[0], la.svdvals(a),
            # NumPy has no boolean cross product (it subtracts)
            *(() if a.dtype == np.bool_ else (la.cross(v, w),)))


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_result_dtypes_match_numpy(dtype: Any) -> None:
    ints = RNG.integers(0, 3, size=(4, 3, 3))
    a = (ints[0] + 3 * np.eye(3)).astype(dtype)
    b, v, w = ints[1].astype(dtype), ints[2, 0].astype(dtype), ints[3, 0].astype(dtype)
    want = _dtype_suite(np, a, b, v, w)
    got = fg.jit(lambda *xs: _dtype_suite(fnp, *xs))(a, b, v, w)
    for i, (g, ww) in enumerate(zip(got, want, strict=True)):
        g, ww = np.asarray(g), np.asarray(ww)
        assert g.dtype == ww.dtype, (i, g.dtype, ww.dtype)
        assert g.shape == ww.shape, (i, g.shape, ww.shape)
        tol = 1e-4 if np.dtype(dtype) in (np.float32, np.complex64) else 1e-10
        np.testing.assert_allclose(g, ww, rtol=tol, atol=tol, err_msg=str(i))


def test_trace_of_small_ints_eagerly() -> None:
    for dtype, want in [(np.uint8, np.uint64), (np.int8, np.int64), (np.bool_, np.int64),
                        (np.uint32, np.uint64)]:
        x = np.full((2, 4, 4), 100 if dtype != np.bool_ else 1, dtype=dtype)
        got = LA.trace(x)
        assert got.dtype == want == np.linalg.trace(x).dtype
        np.testing.assert_array_equal(np.asarray(got), np.linalg.trace(x))   # no wrap-around
        assert LA.trace(x, dtype=np.int16).dtype == np.int16


def test_namespace_checks_like_numpy2() -> None:
    with pytest.raises(ValueError, match="3-dimensional vectors"):
        LA.cross(np.ones(2), np.ones(2))
    with pytest.raises(ValueError, match="one-dimensional"):
        LA.outer(np.ones((2, 2)), np.ones(2))
    with pytest.raises(ValueError, match="sizes along axis"):
        LA.vecdot(np.ones(3), np.ones(4))
    a = RNG.normal(size=(2, 3, 6))
    np.testing.assert_allclose(np.asarray(LA.tensorinv(a, ind=2)),
                               np.linalg.tensorinv(a, ind=2), atol=1e-10)
    t = RNG.normal(size=(2, 3, 6))
    np.testing.assert_allclose(np.asarray(LA.tensorsolve(t, np.ones((2, 3)))),
                               np.linalg.tensorsolve(t, np.ones((2, 3))), atol=1e-10)
    z = _cplx(2, 3)
    np.testing.assert_allclose(np.asarray(LA.vecdot(z, z[::-1], axis=0)),
                               np.linalg.vecdot(z, z[::-1], axis=0))


# ---------------------------------------------------------------------------
# 5. second-order derivatives on complex input, forward and reverse


_A = _cplx(3, 3) + 3 * np.eye(3)
_B = _cplx(3, 2)
_H = _hpd(3)
_HR = _hpd(3, complex_=False)
_W = _cplx(4, 3)


def _proj(v: Any) -> Any:
    """v v^H of the first column: unaffected by the column's phase."""
    c = v[:, :1]
    return c @ fnp.conj(c.T)


GROUPS: dict[str, tuple[Callable[..., Any], tuple[Any, ...]]] = {
    # inv is inside matrix_power(a, -2)
    "lu_family": (lambda a, b: (LA.solve(a, b), LA.det(a), LA.slogdet(a)[1],
                                LA.matrix_power(a, -2)), (_A, _B)),
    "hermitian": (lambda h, hr: (LA.cholesky(h), LA.cholesky(h, upper=True),
                                 LA.eigvalsh(h), LA.eigvalsh(h, UPLO="U"),
                                 fnp.abs(LA.eigh(h)[1]) ** 2, _proj(LA.eigh(h, UPLO="U")[1]),
                                 LA.cholesky(hr, upper=True), LA.eigvalsh(hr)), (_H, _HR)),
    "svd_qr": (lambda w: (LA.svdvals(w), _proj(LA.svd(w, full_matrices=False)[0]),
                          LA.qr(w)[0], LA.qr(w)[1], LA.pinv(w), LA.norm(w, "nuc")), (_W,)),
}


@pytest.mark.parametrize("group", list(GROUPS))
def test_complex_check_grads(group: str) -> None:
    f, args = GROUPS[group]
    check_grads(f, args, order=2, modes=("fwd", "rev"))


def test_complex_linalg_vjp_matches_jax() -> None:
    import jax
    import jax.numpy as jnp

    def loss(m: Any, a: Any, b: Any) -> Any:
        la = m.linalg
        return (m.sum(m.abs(la.solve(a, b)) ** 2) + la.slogdet(a)[1]
                + m.sum(la.svd(a, compute_uv=False) * np.arange(3.0))
                + m.sum(m.abs(la.qr(a)[1]) ** 2 * np.arange(9.0).reshape(3, 3)))

    got = fg.grad(lambda a, b: loss(fnp, a, b), argnums=(0, 1))(_A, _B)
    want = jax.grad(lambda a, b: loss(jnp, a, b), argnums=(0, 1))(_A, _B)
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(np.asarray(g), np.asarray(w), atol=1e-9)
