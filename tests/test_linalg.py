"""funcgrad.numpy.linalg vs NumPy on well-conditioned matrices (SPD for cholesky/eigh),
eager and under jit, batched over leading dims; gradients vs JAX where rules exist."""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import funcgrad as fg
import funcgrad.numpy as fnp
from funcgrad import primitives as P
from funcgrad.errors import DTypeError, ShapeError

LA = fnp.linalg
TOL = {np.float64: 1e-9, np.float32: 2e-4, np.complex128: 1e-9, np.complex64: 2e-4}


def _close(got: Any, want: Any, dtype: Any = np.float64) -> None:
    got = np.asarray(got)
    assert got.shape == np.shape(want)
    np.testing.assert_allclose(got, want, rtol=TOL[dtype], atol=TOL[dtype])


@st.composite
def well_conditioned(draw: Any, square: bool = True, dtype: Any = np.float64,
                     batch: bool = True) -> np.ndarray:
    """Matrices whose singular values lie in [1, 3]: Q1 diag(s) Q2 from a seeded draw."""
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    bshape = tuple(draw(st.lists(st.integers(1, 2), max_size=1))) if batch else ()
    n = draw(st.integers(1, 4))
    m = n if square else draw(st.integers(1, 4))
    cplx = np.issubdtype(dtype, np.complexfloating)

    def rand(*shape: int) -> np.ndarray:
        x = rng.normal(size=shape)
        return x + 1j * rng.normal(size=shape) if cplx else x

    q1 = np.linalg.qr(rand(*bshape, m, m))[0]
    q2 = np.linalg.qr(rand(*bshape, n, n))[0]
    k = min(m, n)
    s = rng.uniform(1, 3, size=(*bshape, k))
    d = np.zeros((*bshape, m, n))
    idx = np.arange(k)
    d[..., idx, idx] = s
    return (q1 @ d @ q2).astype(dtype)


@st.composite
def spd(draw: Any, dtype: Any = np.float64) -> np.ndarray:
    a = draw(well_conditioned(dtype=dtype))
    return (a @ np.conj(np.swapaxes(a, -1, -2))).astype(dtype)


DTYPES = [np.float64, np.float32, np.complex128]


@pytest.mark.parametrize("dtype", DTYPES)
@given(data=st.data())
def test_cholesky_and_eigh_on_spd(dtype: Any, data: st.DataObject) -> None:
    a = data.draw(spd(dtype))
    L = LA.cholesky(a)
    assert L.dtype == np.linalg.cholesky(a).dtype
    _close(L, np.linalg.cholesky(a), dtype)
    w, v = LA.eigh(a)
    _close(w, np.linalg.eigvalsh(a), dtype)
    rec = np.asarray(v) * np.asarray(w)[..., None, :] @ np.conj(np.swapaxes(np.asarray(v), -1, -2))
    _close(rec, a, dtype)
    _close(LA.eigvalsh(a, UPLO="U"), np.linalg.eigvalsh(a, UPLO="U"), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@given(data=st.data())
def test_solve_inv_det_slogdet(dtype: Any, data: st.DataObject) -> None:
    a = data.draw(well_conditioned(dtype=dtype))
    n = a.shape[-1]
    b = np.random.default_rng(n).normal(size=(*a.shape[:-1], 2)).astype(dtype)
    # one compile per drawn shape: the eager path is covered by test_jit_matches_eager
    solve, inv, det, (sign, logdet) = fg.jit(
        lambda a, b: (LA.solve(a, b), LA.inv(a), LA.det(a), LA.slogdet(a)))(a, b)
    _close(solve, np.linalg.solve(a, b), dtype)
    _close(inv, np.linalg.inv(a), dtype)
    assert det.dtype == np.linalg.det(a).dtype
    _close(det, np.linalg.det(a), dtype)
    wsign, wlog = np.linalg.slogdet(a)
    _close(sign, wsign, dtype)
    _close(logdet, wlog, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@given(data=st.data())
def test_svd_qr_pinv(dtype: Any, data: st.DataObject) -> None:
    a = data.draw(well_conditioned(square=False, dtype=dtype))
    def decompose(x: Any) -> Any:   # one compile per drawn shape
        return ([LA.svd(x, full_matrices=f) for f in (True, False)],
                LA.svd(x, compute_uv=False),
                [LA.qr(x, mode=m) for m in ("reduced", "complete")], LA.qr(x, mode="r"),
                LA.pinv(x))

    svds, svals, qrs, r_only, pinv = fg.jit(decompose)(a)
    for full, (u, s, vh) in zip((True, False), svds, strict=True):
        wu, ws, wvh = np.linalg.svd(a, full_matrices=full)
        assert u.shape == wu.shape and vh.shape == wvh.shape and s.dtype == ws.dtype
        _close(s, ws, dtype)
        k = s.shape[-1]
        rec = np.asarray(u)[..., :k] * np.asarray(s)[..., None, :] @ np.asarray(vh)[..., :k, :]
        _close(rec, a, dtype)
    _close(svals, np.linalg.svd(a, compute_uv=False), dtype)
    for mode, (q, r) in zip(("reduced", "complete"), qrs, strict=True):
        wq, wr = np.linalg.qr(a, mode=mode)
        assert q.shape == wq.shape and r.shape == wr.shape
        _close(np.asarray(q) @ np.asarray(r), a, dtype)
        _close(np.abs(np.asarray(r)), np.abs(wr), dtype)   # unique up to signs
    _close(r_only, np.linalg.qr(a, mode="r"), dtype)
    _close(pinv, np.linalg.pinv(a), dtype)


def test_solve_vector_and_broadcasting() -> None:
    rng = np.random.default_rng(0)
    a = rng.normal(size=(2, 3, 3)) + 3 * np.eye(3)
    _close(LA.solve(a[0], np.arange(3.0)), np.linalg.solve(a[0], np.arange(3.0)))
    b = rng.normal(size=(3, 2))
    _close(LA.solve(a, b), np.linalg.solve(a, b))
    ai = np.array([[2, 1], [1, 3]])
    got = LA.solve(ai, np.array([1, 2]))
    assert got.dtype == np.float64
    _close(got, np.linalg.solve(ai, np.array([1, 2])))
    with pytest.raises(ValueError, match="does not match"):
        LA.solve(a, np.ones(4))
    with pytest.raises(np.linalg.LinAlgError, match="square"):
        LA.inv(np.ones((2, 3)))
    with pytest.raises(np.linalg.LinAlgError, match="two-dimensional"):
        LA.det(np.ones(3))


def test_singular_and_not_pd_give_nan_or_zero() -> None:
    sing = np.array([[1.0, 2.0], [2.0, 4.0]])
    assert float(LA.det(sing)) == 0.0
    sign, logdet = LA.slogdet(sing)
    assert float(sign) == 0.0 and float(logdet) == -np.inf
    assert np.isnan(np.asarray(LA.cholesky(-np.eye(2)))).all()


def test_lstsq_norm_power_rank() -> None:
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    for got, want in zip(LA.lstsq(a, b), np.linalg.lstsq(a, b), strict=True):
        assert np.asarray(got).dtype == np.asarray(want).dtype
        _close(got, want)
    for got, want in zip(LA.lstsq(a.T, b[:3, 0]), np.linalg.lstsq(a.T, b[:3, 0]), strict=True):
        _close(got, want)
    m = rng.normal(size=(2, 3, 3))
    for o in [None, "fro", "nuc", 1, -1, 2, -2, np.inf, -np.inf]:
        _close(LA.norm(m, o, axis=(1, 2)), np.linalg.norm(m, o, axis=(1, 2)))
    for o in [None, 1, 2, 3, 0, np.inf, -np.inf, 0.5]:
        _close(LA.norm(m, o, axis=1), np.linalg.norm(m, o, axis=1))
    _close(LA.norm(m), np.linalg.norm(m))
    _close(LA.norm(m, keepdims=True), np.linalg.norm(m, keepdims=True))
    _close(LA.norm(np.arange(4)), np.linalg.norm(np.arange(4)))
    with pytest.raises(ValueError, match="Invalid norm order"):
        LA.norm(m, "fro", axis=1)
    for n in (0, 1, 3, -2):
        _close(LA.matrix_power(m + 3 * np.eye(3), n),
               np.linalg.matrix_power(m + 3 * np.eye(3), n))
    sing = np.array([[1.0, 2.0], [2.0, 4.0]])
    got = LA.matrix_rank(sing)
    assert got.dtype == np.int64 and int(got) == 1
    np.testing.assert_array_equal(np.asarray(LA.matrix_rank(m)), np.linalg.matrix_rank(m))
    _close(LA.cond(m), np.linalg.cond(m))


def test_jit_matches_eager() -> None:
    rng = np.random.default_rng(2)
    a = rng.normal(size=(2, 3, 3)) + 3 * np.eye(3)
    b = rng.normal(size=(2, 3, 1))

    def f(a: Any, b: Any) -> Any:
        s = a @ fnp.swapaxes(a, -1, -2)
        return (LA.solve(a, b), LA.det(a), LA.cholesky(s), LA.eigh(s)[0], LA.svd(a)[1],
                LA.qr(a)[1], LA.inv(a))

    for e, j in zip(f(a, b), fg.jit(f)(a, b), strict=True):
        np.testing.assert_allclose(np.asarray(j), np.asarray(e), rtol=1e-12, atol=1e-12)


def test_primitive_errors() -> None:
    with pytest.raises(ShapeError, match="square"):
        P.cholesky_p.bind(fnp.ones((2, 3)))
    with pytest.raises(DTypeError, match="float32, float64"):
        P.cholesky_p.bind(fnp.ones((2, 2), dtype=np.int32))
    with pytest.raises(ShapeError, match="batch dimensions"):
        P.triangular_solve_p.bind(fnp.ones((2, 2, 2)), fnp.ones((3, 2, 2)), left_side=True,
                                  lower=True, transpose_a=False, conjugate_a=False,
                                  unit_diagonal=False)
    with pytest.raises(NotImplementedError, match="raw"):
        LA.qr(np.eye(2), mode="raw")


@pytest.mark.parametrize("transpose_a,conjugate_a,left_side,lower",
                         [(False, False, True, True), (True, False, True, False),
                          (True, True, False, True), (False, True, False, False)])
def test_triangular_solve_variants(transpose_a: bool, conjugate_a: bool, left_side: bool,
                                   lower: bool) -> None:
    rng = np.random.default_rng(3)
    a = rng.normal(size=(3, 3)) + 1j * rng.normal(size=(3, 3)) + 4 * np.eye(3)
    a = np.tril(a) if lower else np.triu(a)
    b = rng.normal(size=(3, 2) if left_side else (2, 3)) + 0j
    op = a.T if transpose_a else a
    op = np.conj(op) if conjugate_a else op
    want = np.linalg.solve(op, b) if left_side else np.linalg.solve(op.T, b.T).T
    got = P.triangular_solve_p.bind(fnp.asarray(a), fnp.asarray(b), left_side=left_side,
                                    lower=lower, transpose_a=transpose_a,
                                    conjugate_a=conjugate_a, unit_diagonal=False)
    _close(got, want, np.complex128)


# --------------------------------------------------------------------------- gradients

_RNG = np.random.default_rng(7)
GA = _RNG.normal(size=(3, 3)) + 3 * np.eye(3)
GB = _RNG.normal(size=(3, 2))
GSPD = GA @ GA.T
GW = _RNG.normal(size=(4, 3))


def _sym(f: Any) -> Any:
    """JAX reads the whole matrix; funcgrad (like LAPACK/NumPy) only the lower triangle."""
    import jax.numpy as jnp
    return lambda x: f(jnp.tril(x) + jnp.tril(x, -1).T)


GRAD_CASES: dict[str, tuple[Any, Any, bool]] = {
    "solve": (lambda L: lambda a: (L.solve(a, GB) ** 2).sum(), GA, False),
    "inv": (lambda L: lambda a: (L.inv(a) ** 3).sum(), GA, False),
    "det": (lambda L: lambda a: L.det(a), GA, False),
    "slogdet": (lambda L: lambda a: L.slogdet(a)[1], GA, False),
    "cholesky": (lambda L: lambda s: (L.cholesky(s) * np.arange(9.0).reshape(3, 3)).sum(),
                 GSPD, True),
    "eigvalsh": (lambda L: lambda s: (L.eigvalsh(s) * np.arange(3.0)).sum(), GSPD, True),
    "eigh": (lambda L: lambda s: (L.eigh(s)[1][:, 0] ** 4).sum(), GSPD, True),
    "svdvals": (lambda L: lambda x: (L.svd(x, compute_uv=False) * np.arange(3.0)).sum(), GW,
                False),
    "svd_u": (lambda L: lambda x: (L.svd(x, full_matrices=False)[0] ** 4).sum(), GW, False),
    "svd_vh_wide": (lambda L: lambda x: (L.svd(x.T, full_matrices=False)[2] ** 4).sum(), GW,
                    False),
    "qr": (lambda L: lambda x: (L.qr(x)[0] ** 3).sum() + (L.qr(x)[1] ** 3).sum(), GW, False),
    "pinv": (lambda L: lambda x: (L.pinv(x) ** 2).sum(), GW, False),
    "norm2": (lambda L: lambda x: L.norm(x, 2), GW, False),
    "lstsq": (lambda L: lambda x: (L.lstsq(x, GW[:, :2])[0] ** 2).sum(), GW, False),
}


@pytest.mark.parametrize("name", list(GRAD_CASES))
def test_gradients_match_jax(name: str) -> None:
    import jax
    import jax.numpy as jnp
    make, x, symmetric = GRAD_CASES[name]
    got = fg.jit(fg.grad(make(LA)))(x)          # one compile (eager grad: test_indexing)
    ref = make(jnp.linalg)
    want = jax.jit(jax.grad(_sym(ref) if symmetric else ref))(x)
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-8, atol=1e-10)


def test_complex_cholesky_jvp_matches_jax() -> None:
    import jax
    import jax.numpy as jnp
    a = GA + 1j * _RNG.normal(size=(3, 3))
    h = a @ np.conj(a.T)
    t = _RNG.normal(size=(3, 3)) + 1j * _RNG.normal(size=(3, 3))
    t = t + np.conj(t.T)
    _, got = fg.jvp(LA.cholesky, (h,), (t,))
    _, want = jax.jvp(jnp.linalg.cholesky, (h,), (t,))
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-10, atol=1e-10)


def test_vmap_and_jit_of_grad() -> None:
    import jax
    ab = np.stack([GA, GA + 1])
    bb = np.stack([GB, 2 * GB])
    np.testing.assert_allclose(np.asarray(fg.vmap(LA.solve)(ab, bb)), np.linalg.solve(ab, bb),
                               atol=1e-12)
    got = fg.vmap(fg.grad(LA.det))(ab)
    want = jax.vmap(jax.grad(jax.numpy.linalg.det))(ab)
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), atol=1e-10)
    got = fg.jit(fg.grad(lambda a: LA.slogdet(a)[1]))(GA)
    np.testing.assert_allclose(np.asarray(got), np.linalg.inv(GA).T, atol=1e-12)
    got = fg.vmap(lambda s: LA.eigh(s)[0], in_axes=2)(np.stack([GSPD, 2 * GSPD], axis=2))
    np.testing.assert_allclose(np.asarray(got), np.linalg.eigvalsh(np.stack([GSPD, 2 * GSPD])),
                               atol=1e-10)
