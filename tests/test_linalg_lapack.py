"""The LAPACK custom calls behind the CPU linear algebra: triangular_solve as ``trsm``
(every flag, batched, real and complex, empty operands, derivatives) against SciPy, and
eig as ``geev`` (values, NumPy's normalisation, dtypes, batching, derivatives)."""
from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest
import scipy.linalg as sla

import funcgrad as fg
from funcgrad import primitives as P
from funcgrad.testing import check_grads
from funcgrad.xla_backend import runtime

FLAGS = ("left_side", "lower", "transpose_a", "conjugate_a", "unit_diagonal")
ALL_FLAGS = [dict(zip(FLAGS, v, strict=True)) for v in itertools.product((False, True),
                                                                         repeat=5)]
DTYPES = [np.float32, np.float64, np.complex64, np.complex128]
TOL = {np.float32: 2e-4, np.float64: 1e-10, np.complex64: 2e-4, np.complex128: 1e-10}

pytestmark = pytest.mark.skipif(runtime.platform() != "cpu",
                                reason="checks the CPU (LAPACK) lowering")


def _flag_id(kw: dict[str, bool]) -> str:
    return "-".join(k for k, v in kw.items() if v) or "plain"


def _rand(rng: np.random.Generator, shape: tuple[int, ...], dtype: Any) -> np.ndarray:
    x = rng.standard_normal(shape)
    if np.issubdtype(dtype, np.complexfloating):
        x = x + 1j * rng.standard_normal(shape)
    return x.astype(dtype)


def _operands(rng: np.random.Generator, batch: tuple[int, ...], m: int, k: int,
              left_side: bool, dtype: Any) -> tuple[np.ndarray, np.ndarray]:
    """A well-conditioned triangle-bearing `a` (dominant diagonal; the other triangle is
    garbage the solve must ignore) and a right-hand side `b`."""
    a = _rand(rng, (*batch, m, m), dtype) + np.asarray(4 * np.eye(m), dtype)
    b = _rand(rng, (*batch, m, k) if left_side else (*batch, k, m), dtype)
    return a, b


def _reference(a: np.ndarray, b: np.ndarray, *, left_side: bool, lower: bool,
               transpose_a: bool, conjugate_a: bool, unit_diagonal: bool) -> np.ndarray:
    """scipy.linalg.solve_triangular, matrix by matrix; the right side through
    X op(A) = B  <=>  op(A)^T X^T = B^T."""
    a = a.astype(np.complex128)
    b = b.astype(np.complex128)
    if conjugate_a:
        a = a.conj()
    out = np.empty(b.shape, np.complex128)
    for idx in np.ndindex(*a.shape[:-2]):
        ai, bi = a[idx], b[idx]
        if left_side:
            out[idx] = sla.solve_triangular(ai, bi, trans=1 if transpose_a else 0, lower=lower,
                                            unit_diagonal=unit_diagonal)
        else:
            out[idx] = sla.solve_triangular(ai, bi.T, trans=0 if transpose_a else 1,
                                            lower=lower, unit_diagonal=unit_diagonal).T
    return out


def _solve(**kw: bool) -> Any:
    return lambda a, b: P.triangular_solve_p.bind(a, b, **kw)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("kw", ALL_FLAGS, ids=_flag_id)
def test_every_flag_matches_scipy(kw: dict[str, bool], dtype: Any) -> None:
    rng = np.random.default_rng(len(_flag_id(kw)) + 7 * DTYPES.index(dtype))
    a, b = _operands(rng, (), 5, 3, kw["left_side"], dtype)
    want = _reference(a, b, **kw)
    got = np.asarray(fg.jit(_solve(**kw))(a, b))
    assert got.dtype == dtype and got.shape == b.shape
    np.testing.assert_allclose(got, want, rtol=TOL[dtype], atol=TOL[dtype])
    eager = np.asarray(P.triangular_solve_p.bind(fg.numpy.asarray(a), fg.numpy.asarray(b),
                                                 **kw))
    np.testing.assert_allclose(eager, want, rtol=TOL[dtype], atol=TOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("batch", [(3,), (2, 3)])
@pytest.mark.parametrize("kw", [ALL_FLAGS[0], ALL_FLAGS[-1], ALL_FLAGS[13], ALL_FLAGS[22]],
                         ids=_flag_id)
def test_batched_matches_scipy(kw: dict[str, bool], batch: tuple[int, ...],
                               dtype: Any) -> None:
    rng = np.random.default_rng(3)
    a, b = _operands(rng, batch, 4, 2, kw["left_side"], dtype)
    got = np.asarray(fg.jit(_solve(**kw))(a, b))
    np.testing.assert_allclose(got, _reference(a, b, **kw), rtol=TOL[dtype], atol=TOL[dtype])


def test_vmap_batches_through_the_kernel() -> None:
    rng = np.random.default_rng(4)
    kw = dict(left_side=True, lower=False, transpose_a=True, conjugate_a=False,
              unit_diagonal=False)
    a, b = _operands(rng, (4,), 3, 2, True, np.float64)
    got = np.asarray(fg.jit(fg.vmap(_solve(**kw), in_axes=(0, 2), out_axes=2))(
        a, np.moveaxis(b, 0, 2)))
    np.testing.assert_allclose(np.moveaxis(got, 2, 0), _reference(a, b, **kw), rtol=1e-10,
                               atol=1e-10)


@pytest.mark.parametrize("a_shape, b_shape, left_side", [
    ((0, 0), (0, 3), True), ((0, 0), (3, 0), False), ((3, 3), (3, 0), True),
    ((3, 3), (0, 3), False), ((0, 4, 4), (0, 4, 2), True), ((2, 0, 0), (2, 0, 5), True),
])
@pytest.mark.parametrize("dtype", [np.float64, np.complex64], ids=lambda d: np.dtype(d).name)
def test_empty_operands(a_shape: tuple[int, ...], b_shape: tuple[int, ...], left_side: bool,
                        dtype: Any) -> None:
    kw = dict(left_side=left_side, lower=True, transpose_a=False, conjugate_a=True,
              unit_diagonal=False)
    a, b = np.ones(a_shape, dtype), np.ones(b_shape, dtype)
    for got in (fg.jit(_solve(**kw))(a, b),
                P.triangular_solve_p.bind(fg.numpy.asarray(a), fg.numpy.asarray(b), **kw)):
        out = np.asarray(got)
        assert out.shape == b_shape and out.dtype == dtype


def test_emits_the_trsm_custom_call() -> None:
    a, b = np.eye(3), np.ones((2, 3))
    kw = dict(left_side=False, lower=False, transpose_a=True, conjugate_a=False,
              unit_diagonal=True)
    text = fg.jit(_solve(**kw)).lower(a, b).as_text()
    assert "lapack_dtrsm_ffi" in text and "stablehlo.triangular_solve" not in text
    assert f"side = {ord('R')} : ui8" in text and f"uplo = {ord('U')} : ui8" in text
    assert f"trans_x = {ord('T')} : ui8" in text and f"diag = {ord('U')} : ui8" in text
    ac = np.eye(3, dtype=np.complex64)
    kw = dict(left_side=True, lower=True, transpose_a=True, conjugate_a=True,
              unit_diagonal=False)
    text = fg.jit(_solve(**kw)).lower(ac, np.ones((3, 2), np.complex64)).as_text()
    assert "lapack_ctrsm_ffi" in text and f"trans_x = {ord('C')} : ui8" in text
    kw["transpose_a"] = False     # conj(a) without a transpose: conjugated before the call
    text = fg.jit(_solve(**kw)).lower(ac, np.ones((3, 2), np.complex64)).as_text()
    assert "chlo.conj" in text and f"trans_x = {ord('N')} : ui8" in text


def test_other_platforms_keep_the_stablehlo_op(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runtime, "platform", lambda: "cuda")
    kw = dict(left_side=True, lower=True, transpose_a=True, conjugate_a=True,
              unit_diagonal=False)
    ac = np.eye(3, dtype=np.complex128)
    text = fg.jit(_solve(**kw)).lower(ac, np.ones((3, 2), np.complex128)).as_text()
    assert "stablehlo.triangular_solve" in text and "trsm" not in text
    assert "transpose ADJOINT" in text


def test_operands_survive_the_in_place_kernel() -> None:
    """The kernel overwrites its right-hand side; an operand used again (or held by the
    caller) must keep its value."""
    rng = np.random.default_rng(5)
    a, b = _operands(rng, (), 4, 2, True, np.float64)
    kw = dict(left_side=True, lower=True, transpose_a=False, conjugate_a=False,
              unit_diagonal=False)
    bb = fg.numpy.asarray(b)
    out = fg.jit(lambda a, b: (_solve(**kw)(a, b), b * 1.0, _solve(**kw)(a, b)))(a, bb)
    want = _reference(a, b, **kw)
    np.testing.assert_allclose(np.asarray(out[0]), want, rtol=1e-10)
    np.testing.assert_allclose(np.asarray(out[1]), b)
    np.testing.assert_allclose(np.asarray(out[2]), want, rtol=1e-10)
    np.testing.assert_array_equal(np.asarray(bb), b)


@pytest.mark.parametrize("dtype", [np.float64, np.complex128],
                         ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("kw", [ALL_FLAGS[0], ALL_FLAGS[-1], ALL_FLAGS[13], ALL_FLAGS[22],
                                ALL_FLAGS[9]], ids=_flag_id)
def test_gradients(kw: dict[str, bool], dtype: Any) -> None:
    rng = np.random.default_rng(6)
    a, b = _operands(rng, (2,), 3, 2, kw["left_side"], dtype)
    check_grads(fg.jit(_solve(**kw)), (a, b), order=2, modes=("fwd", "rev"))


def test_gp_negative_log_likelihood_gradient_matches_jax() -> None:
    """The benchmark's workload: Cholesky and two triangular solves under
    jit(value_and_grad), against JAX."""
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    from benchmarks._harness import funcgrad_side, jax_side
    from benchmarks.linalg import gp_data, gp_nll
    args = gp_data(30)
    res = {}
    for side in (funcgrad_side(), jax_side()):
        f = side.jit(side.value_and_grad(gp_nll(side)))
        res[side.name] = f(*(side.asarray(x) for x in args))
    (v, g), (vj, gj) = res["funcgrad"], res["JAX"]
    np.testing.assert_allclose(float(v), float(vj), rtol=1e-10)
    np.testing.assert_allclose(np.asarray(g), np.asarray(gj), rtol=1e-8, atol=1e-10)


# ---------------------------------------------------------------------------
# eig: LAPACK's geev


def _gauge_fixed(a: Any) -> Any:
    """eig's eigenvectors with each column's first component turned real and positive: a
    function of `a` (LAPACK's own choice of sign jumps for a real operand's complex
    eigenvectors)."""
    w, v = P.eig_p.bind(a, compute_eigenvectors=True)
    top = v[..., :1, :]
    return w, v * fg.numpy.conj(top) / fg.numpy.abs(top)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("shape", [(4, 4), (2, 3, 3), (2, 1, 5, 5), (1, 1)])
def test_eig_matches_numpy(shape: tuple[int, ...], dtype: Any) -> None:
    rng = np.random.default_rng(sum(shape))
    a = _rand(rng, shape, dtype)
    cdt = np.complex64 if dtype in (np.float32, np.complex64) else np.complex128
    tol = TOL[dtype] * 10
    for w, v in (fg.numpy.linalg.eig(a), fg.jit(fg.numpy.linalg.eig)(a)):
        w, v = np.asarray(w), np.asarray(v)
        assert w.dtype == v.dtype == cdt and w.shape == shape[:-1] and v.shape == shape
        np.testing.assert_allclose(a @ v, v * w[..., None, :], rtol=tol, atol=tol)
        np.testing.assert_allclose(np.linalg.norm(v, axis=-2), 1, rtol=tol)
        top = np.take_along_axis(v, np.argmax(np.abs(v), axis=-2)[..., None, :], axis=-2)
        np.testing.assert_allclose(top.imag, 0, atol=tol)
        np.testing.assert_allclose(np.sort_complex(w), np.sort_complex(np.linalg.eigvals(a)),
                                   rtol=tol, atol=tol)
    vals = np.asarray(fg.numpy.linalg.eigvals(a))
    assert vals.dtype == cdt
    np.testing.assert_allclose(np.sort_complex(vals), np.sort_complex(np.linalg.eigvals(a)),
                               rtol=tol, atol=tol)


def test_eig_of_real_matrices_is_complex() -> None:
    """Always complex (NumPy 2 returns real arrays when every eigenvalue is real)."""
    w, v = fg.numpy.linalg.eig(np.diag([1.0, 2.0]))
    assert w.dtype == v.dtype == np.complex128
    np.testing.assert_allclose(np.asarray(w), [1, 2])
    np.testing.assert_allclose(np.asarray(v), np.eye(2))
    w = fg.numpy.linalg.eigvals(np.array([[0, 1], [-1, 0]]))     # ints: as float64
    np.testing.assert_allclose(np.sort_complex(np.asarray(w)), [-1j, 1j], atol=1e-12)


def test_eig_emits_geev_and_refuses_other_platforms(monkeypatch: pytest.MonkeyPatch) -> None:
    text = fg.jit(fg.numpy.linalg.eig).lower(np.eye(3)).as_text()
    assert "lapack_dgeev_ffi" in text and f"compute_right = {ord('V')} : ui8" in text
    text = fg.jit(fg.numpy.linalg.eigvals).lower(np.eye(3, dtype=np.complex64)).as_text()
    assert "lapack_cgeev_ffi" in text and f"compute_right = {ord('N')} : ui8" in text
    monkeypatch.setattr(runtime, "platform", lambda: "cuda")
    with pytest.raises(NotImplementedError, match="CPU only"):
        fg.jit(lambda a: fg.numpy.linalg.eig(a)).lower(np.eye(2))


@pytest.mark.parametrize("shape", [(0, 0), (3, 0, 0), (0, 2, 2)])
def test_eig_of_empty_matrices(shape: tuple[int, ...]) -> None:
    for f in (fg.numpy.linalg.eig, fg.jit(fg.numpy.linalg.eig)):
        w, v = f(np.zeros(shape))
        assert np.asarray(w).shape == shape[:-1] and np.asarray(v).shape == shape
    assert np.asarray(fg.numpy.linalg.eigvals(np.zeros(shape))).shape == shape[:-1]


def test_eig_vmap_matches_a_loop() -> None:
    rng = np.random.default_rng(8)
    a = _rand(rng, (3, 4, 4), np.float64)
    got = fg.vmap(_gauge_fixed, in_axes=1, out_axes=0)(np.moveaxis(a, 0, 1))
    for i in range(3):
        want = _gauge_fixed(fg.numpy.asarray(a[i]))
        for g, w in zip(got, want, strict=True):
            np.testing.assert_allclose(np.asarray(g)[i], np.asarray(w), rtol=1e-12,
                                       atol=1e-12)


def _separated_real(rng: np.random.Generator, batch: tuple[int, ...], n: int) -> np.ndarray:
    """Real n x n matrices (n = 3 or 4) with eigenvalues 1 +- 2j, 4 (and -3), in a
    random, well-conditioned basis."""
    core = np.zeros((n, n))
    core[:2, :2] = [[1, 2], [-2, 1]]
    core[2, 2] = 4
    if n == 4:
        core[3, 3] = -3
    t = np.eye(n) + 0.3 * rng.standard_normal((*batch, n, n))
    return t @ core @ np.linalg.inv(t)


@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4)])
def test_eig_gradients(shape: tuple[int, ...]) -> None:
    rng = np.random.default_rng(9)
    order = 1        # second order: the eig rows of test_jvp_rules.py
    real = _separated_real(rng, shape[:-2], shape[-1])    # a complex pair among them
    check_grads(fg.jit(_gauge_fixed), (real,), order=order, modes=("fwd", "rev"))
    check_grads(fg.numpy.linalg.eigvals, (real,), order=order, modes=("fwd", "rev"))
    # a complex operand: LAPACK's own gauge (largest component real and positive) is
    # smooth, and the derivative keeps it
    cplx = (_separated_real(rng, shape[:-2], shape[-1])
            + 0.3j * _rand(rng, shape, np.float64))
    check_grads(lambda a: P.eig_p.bind(a, compute_eigenvectors=True), (cplx,), order=order,
                modes=("fwd", "rev"))


def test_eig_eigenvalue_gradient_matches_jax() -> None:
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    rng = np.random.default_rng(10)
    a = _rand(rng, (4, 4), np.float64)

    def loss(snp: Any) -> Any:
        return lambda a: snp.sum(snp.abs(snp.linalg.eigvals(a)) ** 2)

    got = fg.grad(loss(fg.numpy))(a)
    want = jax.grad(loss(jax.numpy))(a)
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-9, atol=1e-12)
