"""The tridiagonal family: tridiagonal_solve (LAPACK's gtsv on CPU, the Thomas loop
elsewhere; both run here), tridiagonal (sytrd/hetrd) and
scipy.linalg.eigh_tridiagonal, against NumPy, SciPy and JAX."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import jax
import numpy as np
import pytest
import scipy.linalg as sla

import funcgrad as fg
from funcgrad import primitives as P
from funcgrad.errors import DTypeError, ShapeError, UnsupportedError
from funcgrad.scipy.linalg._tridiagonal import eigh_tridiagonal
from funcgrad.testing import check_grads
from funcgrad.xla_backend import runtime

DTYPES = [np.float32, np.float64, np.complex64, np.complex128]
TOL = {np.float32: 1e-4, np.float64: 1e-11, np.complex64: 1e-4, np.complex128: 1e-11}

pytestmark = pytest.mark.skipif(runtime.platform() != "cpu",
                                reason="checks the CPU lowering (and the loop, on CPU)")


def _name(dtype: Any) -> str:
    return np.dtype(dtype).name


def _rand(rng: np.random.Generator, shape: tuple[int, ...], dtype: Any) -> np.ndarray:
    x = rng.standard_normal(shape)
    if np.issubdtype(dtype, np.complexfloating):
        x = x + 1j * rng.standard_normal(shape)
    return x.astype(dtype)


def _system(rng: np.random.Generator, batch: tuple[int, ...], m: int, n: int, dtype: Any,
            ends: float = np.nan) -> tuple[np.ndarray, ...]:
    """Diagonals of a diagonally dominant matrix (the loop does not pivot) and a
    right-hand side; the ignored ends dl[..., 0] and du[..., -1] hold `ends`."""
    dl, d, du = (_rand(rng, (*batch, m), dtype) for _ in range(3))
    d = d + np.asarray(4, dtype)
    if m:
        dl[..., 0] = ends
        du[..., -1] = ends
    return dl, d, du, _rand(rng, (*batch, m, n), dtype)


def _dense(dl: np.ndarray, d: np.ndarray, du: np.ndarray) -> np.ndarray:
    m = d.shape[-1]
    a = np.zeros((*d.shape, m), d.dtype)
    i = np.arange(m)
    a[..., i, i] = d
    a[..., i[1:], i[:-1]] = dl[..., 1:]
    a[..., i[:-1], i[1:]] = du[..., :-1]
    return a


def _solve(dl: Any, d: Any, du: Any, b: Any) -> Any:
    return P.tridiagonal_solve_p.bind(dl, d, du, b)


@pytest.fixture(params=["gtsv", "thomas"])
def path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Which lowering runs: LAPACK's gtsv (CPU), or the Thomas loop other platforms get,
    compiled for this CPU with the platform monkeypatched. Caches are emptied around the
    loop's tests so no executable crosses between the two."""
    if request.param == "thomas":
        fg.clear_caches()
        monkeypatch.setattr(runtime, "platform", lambda: "cuda")
        yield "thomas"
        monkeypatch.undo()
        fg.clear_caches()
    else:
        yield "gtsv"


# ---------------------------------------------------------------------------
# tridiagonal_solve: values


SOLVE_SHAPES = [((), 5, 3), ((2,), 4, 2), ((2, 3), 6, 1), ((), 1, 2), ((3,), 1, 1), ((), 0, 2),
                ((2,), 0, 0), ((0,), 3, 2), ((), 3, 0)]


def _ids(x: Any) -> str:
    if isinstance(x, bool):         # tridiagonal's `lower`
        return "lower" if x else "upper"
    return _name(x) if isinstance(x, type) else str(x)


# Every shape on both paths, the dtypes taken in turn (each path gets all four, each shape
# two different ones) instead of the full cross product, which compiles 72 programs.
@pytest.mark.parametrize("path, batch, m, n, dtype", [
    (path, *shape, DTYPES[(i + 2 * j) % len(DTYPES)])
    for j, path in enumerate(["gtsv", "thomas"]) for i, shape in enumerate(SOLVE_SHAPES)],
    indirect=["path"], ids=_ids)
def test_solve_matches_numpy(path: str, batch: tuple[int, ...], m: int, n: int,
                             dtype: Any) -> None:
    rng = np.random.default_rng(m + 10 * n + len(batch))
    dl, d, du, b = _system(rng, batch, m, n, dtype)
    want = np.linalg.solve(_dense(dl, d, du).astype(np.complex128), b) if b.size else b
    for got in (_solve(dl, d, du, b), fg.jit(_solve)(dl, d, du, b)):
        got = np.asarray(got)
        assert got.dtype == dtype and got.shape == b.shape
        np.testing.assert_allclose(got, want, rtol=TOL[dtype], atol=TOL[dtype])


@pytest.mark.parametrize("path, dtype", [("gtsv", np.complex64), ("thomas", np.float64)],
                         indirect=["path"], ids=_ids)
def test_solve_matches_solve_banded(path: str, dtype: Any) -> None:
    rng = np.random.default_rng(1)
    dl, d, du, b = _system(rng, (), 7, 2, dtype, ends=0.0)
    bands = np.stack([np.roll(du, 1), d, np.roll(dl, -1)])       # SciPy's (1, 1) band layout
    want = sla.solve_banded((1, 1), bands, b)
    np.testing.assert_allclose(np.asarray(fg.jit(_solve)(dl, d, du, b)), want,
                               rtol=TOL[dtype], atol=TOL[dtype])


def test_each_path_runs_its_lowering(path: str) -> None:
    """The text names the path, and so do the values: with a zero leading diagonal only
    a pivoting solver (gtsv) succeeds; the loop divides by zero."""
    text = fg.jit(_solve).lower(*_system(np.random.default_rng(2), (2,), 4, 3,
                                         np.float64)).as_text()
    if path == "gtsv":
        assert "lapack_dgtsv_ffi" in text and "output_operand_aliases" in text
        assert "stablehlo.while" not in text
    else:
        assert text.count("stablehlo.while") == 2 and "gtsv" not in text
    dl, d, du = np.array([0.0, 1.0, 1.0]), np.array([0.0, 0.0, 1.0]), np.array([1.0, 2.0, 0.0])
    b = np.arange(6.0).reshape(3, 2)
    for got in (_solve(dl, d, du, b), fg.jit(_solve)(dl, d, du, b)):
        if path == "gtsv":
            np.testing.assert_allclose(np.asarray(got), np.linalg.solve(_dense(dl, d, du), b),
                                       rtol=1e-12)
        else:
            assert not np.isfinite(np.asarray(got)).all()


def test_gtsv_flags_singular_matrices() -> None:
    """A singular matrix (LAPACK's info > 0) gives NaNs, like JAX."""
    z = np.zeros((2, 3))
    z[1] = 1.0
    out = np.asarray(_solve(z, z, z, np.ones((2, 3, 2))))
    assert np.isnan(out[0]).all() and np.isfinite(out[1]).all()


def test_operands_survive_the_in_place_kernel() -> None:
    """gtsv overwrites its diagonals and b; operands used again keep their values."""
    dl, d, du, b = _system(np.random.default_rng(3), (2,), 5, 2, np.float64, ends=0.0)
    args = [fg.numpy.asarray(x) for x in (dl, d, du, b)]
    out = fg.jit(lambda *a: (_solve(*a), [x * 1.0 for x in a], _solve(*a)))(*args)
    np.testing.assert_allclose(np.asarray(out[0]), np.asarray(out[2]))
    for x, kept, arg in zip((dl, d, du, b), out[1], args, strict=True):
        np.testing.assert_array_equal(np.asarray(kept), x)
        np.testing.assert_array_equal(np.asarray(arg), x)


def test_shape_and_dtype_errors() -> None:
    v = np.ones(3)
    with pytest.raises(ShapeError, match=r"tridiagonal_solve: the diagonals .* \(3,\)"):
        _solve(v, np.ones(4), v, np.ones((3, 1)))
    with pytest.raises(ShapeError, match="tridiagonal_solve"):
        _solve(v, v, v, np.ones((4, 1)))
    with pytest.raises(ShapeError, match="at least 2 dimensions"):
        _solve(v, v, v, v)
    with pytest.raises(DTypeError, match="tridiagonal_solve: operands must have one dtype"):
        _solve(v.astype(np.float32), v, v, np.ones((3, 1)))
    with pytest.raises(DTypeError, match="tridiagonal_solve needs a float32"):
        _solve(*(np.ones(3, np.int32),) * 3, np.ones((3, 1), np.int32))


# ---------------------------------------------------------------------------
# tridiagonal_solve: derivatives and vmap


# One path real, the other complex (gtsv last: the complex JVP test below, on gtsv, reuses
# its programs).
@pytest.mark.parametrize("path, dtype", [("thomas", np.float64), ("gtsv", np.complex128)],
                         indirect=["path"], ids=_ids)
def test_grads_to_second_order(path: str, dtype: Any) -> None:
    rng = np.random.default_rng(4)
    args = _system(rng, (2,), 4, 2, dtype, ends=0.5)
    check_grads(_solve, args, order=2, modes=("fwd", "rev"))
    check_grads(fg.jit(_solve), args, order=1, modes=("fwd", "rev"))


def test_complex_jvp_matches_jax() -> None:
    rng = np.random.default_rng(6)
    args = _system(rng, (2,), 4, 2, np.complex128, ends=0.3)
    tangents = tuple(_rand(rng, a.shape, np.complex128) for a in args)
    _, got = fg.jvp(_solve, args, tangents)
    _, want = jax.jvp(jax.lax.linalg.tridiagonal_solve, args, tangents)
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-10, atol=1e-12)


def test_grads_match_jax(path: str) -> None:
    args = _system(np.random.default_rng(5), (3,), 5, 2, np.float64, ends=0.7)

    def loss(solve: Any, power: Any) -> Any:
        return lambda *a: (power(solve(*a)) * np.arange(10.0).reshape(5, 2)).sum()

    got = fg.jit(fg.grad(loss(_solve, fg.numpy.sin), argnums=(0, 1, 2, 3)))(*args)
    want = jax.grad(loss(jax.lax.linalg.tridiagonal_solve, jax.numpy.sin),
                    argnums=(0, 1, 2, 3))(*args)
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(np.asarray(g), np.asarray(w), rtol=1e-10, atol=1e-12)
    assert not np.asarray(got[0])[..., 0].any() and not np.asarray(got[2])[..., -1].any()


def test_ignored_ends_take_no_part() -> None:
    """NaN in dl[0] and du[-1] reaches neither the value nor any derivative."""
    args = _system(np.random.default_rng(7), (), 4, 2, np.float64)
    grads = fg.grad(lambda *a: _solve(*a).sum(), argnums=(0, 1, 2, 3))(*args)
    for g in grads:
        assert np.isfinite(np.asarray(g)[..., 1:-1]).all()
    assert np.asarray(grads[0])[0] == 0 and np.asarray(grads[2])[-1] == 0


def _loop(f: Any, args: tuple[np.ndarray, ...], axes: tuple[int | None, ...]) -> np.ndarray:
    size = next(a.shape[ax] for a, ax in zip(args, axes, strict=True) if ax is not None)
    lanes = [f(*(a if ax is None else np.take(a, i, axis=ax)
                 for a, ax in zip(args, axes, strict=True))) for i in range(size)]
    return np.stack([np.asarray(x) for x in lanes])


# The in_axes patterns shared between the paths (batching happens before lowering; both
# lowerings of batched operands are checked above), several to a test: the loop's
# per-lane programs compile once.
@pytest.mark.parametrize("path, all_axes", [
    ("gtsv", [(0, 0, 0, 0), (None, None, None, 0), (None, None, None, 2), (None, 1, None, 3)]),
    ("thomas", [(1, None, 0, None)])], indirect=["path"],
    ids=["gtsv", "thomas"])
def test_vmap_matches_a_loop(path: str, all_axes: list[tuple[int | None, ...]]) -> None:
    rng = np.random.default_rng(8)
    dl, d, du, b = _system(rng, (2,), 4, 3, np.float64, ends=0.0)
    lanes = 3
    for axes in all_axes:
        args = tuple(x if ax is None else np.stack([x + 0.1 * k for k in range(lanes)], ax)
                     for x, ax in zip((dl, d, du, b), axes, strict=True))
        want = _loop(_solve, args, axes)
        np.testing.assert_allclose(np.asarray(fg.vmap(_solve, in_axes=axes)(*args)), want,
                                   rtol=1e-12, err_msg=f"in_axes={axes}")
        np.testing.assert_allclose(np.asarray(fg.jit(fg.vmap(_solve, in_axes=axes))(*args)),
                                   want, rtol=1e-12, err_msg=f"jit, in_axes={axes}")


# One path: the transforms act before lowering; the loop's derivatives are checked above.
@pytest.mark.parametrize("path", ["gtsv"], indirect=True)
def test_grad_and_vmap_compose(path: str) -> None:
    rng = np.random.default_rng(9)
    args = _system(rng, (3,), 4, 2, np.float64, ends=0.2)

    def loss(*a: Any) -> Any:
        return (fg.numpy.tanh(_solve(*a)) ** 2).sum()

    grad = fg.grad(loss, argnums=(0, 1, 2, 3))
    per_lane = [grad(*(x[i] for x in args)) for i in range(3)]
    want = [np.stack([np.asarray(g[k]) for g in per_lane]) for k in range(4)]
    for got in (fg.vmap(grad)(*args), fg.jit(fg.vmap(grad))(*args)):
        for g, w in zip(got, want, strict=True):
            np.testing.assert_allclose(np.asarray(g), w, rtol=1e-10, atol=1e-12)
    summed = fg.jit(fg.grad(lambda *a: fg.vmap(loss)(*a).sum(), argnums=(0, 1, 2, 3)))(*args)
    for g, w in zip(summed, want, strict=True):
        np.testing.assert_allclose(np.asarray(g), w, rtol=1e-10, atol=1e-12)


# ---------------------------------------------------------------------------
# tridiagonal (sytrd / hetrd)


def _hermitian(rng: np.random.Generator, shape: tuple[int, ...], dtype: Any) -> np.ndarray:
    a = _rand(rng, shape, dtype)
    return (a + np.conj(np.swapaxes(a, -1, -2))).astype(dtype)


def _tridiag(d: np.ndarray, e: np.ndarray) -> np.ndarray:
    return _dense(np.concatenate([np.zeros_like(e[..., :1]), e], -1), d,
                  np.concatenate([e, np.zeros_like(e[..., :1])], -1))


def _q_lower(packed: np.ndarray, taus: np.ndarray) -> np.ndarray:
    """LAPACK's Q = H(1) ... H(n-1) of a lower reduction: H(i) = I - tau v v^H with
    v[i+1] = 1 and v[i+2:] stored below the sub-diagonal of column i."""
    n = packed.shape[-1]
    q = np.eye(n, dtype=packed.dtype)
    for i in range(n - 1):
        v = np.zeros(n, packed.dtype)
        v[i + 1] = 1
        v[i + 2:] = packed[i + 2:, i]
        q = q @ (np.eye(n) - taus[i] * np.outer(v, v.conj()))
    return q


# Every shape both ways, every dtype both ways (instead of all 32 combinations), and the
# Q check (lower, unbatched) for a real and a complex dtype.
@pytest.mark.parametrize("shape, lower, dtype", [
    ((5, 5), True, np.float64), ((5, 5), True, np.complex128), ((5, 5), False, np.complex64),
    ((2, 4, 4), True, np.complex128), ((2, 4, 4), False, np.float32),
    ((1, 1), True, np.complex64), ((1, 1), False, np.float64),
    ((2, 2, 2), True, np.float32), ((2, 2, 2), False, np.complex128)], ids=_ids)
def test_tridiagonal_matches_jax_and_lapack(shape: tuple[int, ...], lower: bool,
                                            dtype: Any) -> None:
    rng = np.random.default_rng(sum(shape) + lower)
    a = _hermitian(rng, shape, dtype)
    tol = TOL[dtype] * 10
    outs = [np.asarray(o) for o in fg.jit(lambda a: P.tridiagonal_p.bind(a, lower=lower))(a)]
    packed, d, e, taus = outs
    n = shape[-1]
    real = np.dtype(dtype).type(0).real.dtype
    assert [o.shape for o in outs] == [shape, shape[:-1], (*shape[:-2], n - 1),
                                       (*shape[:-2], n - 1)]
    assert [o.dtype for o in outs] == [dtype, real, real, dtype]
    for got, want in zip(outs, jax.lax.linalg.tridiagonal(a, lower=lower), strict=True):
        np.testing.assert_allclose(got, np.asarray(want), rtol=tol, atol=tol)
    np.testing.assert_allclose(np.linalg.eigvalsh(_tridiag(d, e)), np.linalg.eigvalsh(a),
                               rtol=tol, atol=tol)
    if lower and len(shape) == 2:      # Q^H a Q is the tridiagonal matrix, as LAPACK defines
        q = _q_lower(packed, taus)
        np.testing.assert_allclose(q.conj().T @ a @ q, _tridiag(d, e), rtol=tol, atol=tol)
        h = sla.hessenberg(a)          # the same reflectors: the same tridiagonal matrix
        np.testing.assert_allclose(d, np.diag(h).real, rtol=tol, atol=tol)
        np.testing.assert_allclose(e, np.diag(h, -1).real, rtol=tol, atol=tol)


def test_tridiagonal_vmap_matches_a_loop() -> None:
    a = _hermitian(np.random.default_rng(10), (3, 4, 4), np.complex128)
    f = lambda a: P.tridiagonal_p.bind(a, lower=True)  # noqa: E731
    outs = fg.vmap(f, in_axes=2)(np.moveaxis(a, 0, 2))
    for k, got in enumerate(outs):
        want = np.stack([np.asarray(f(a[i])[k]) for i in range(3)])
        np.testing.assert_allclose(np.asarray(got), want, rtol=1e-12, atol=1e-12)


def test_tridiagonal_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ShapeError, match="tridiagonal: needs matrices of at least 1 x 1"):
        P.tridiagonal_p.bind(np.zeros((0, 0)), lower=True)
    with pytest.raises(ShapeError, match="square"):
        P.tridiagonal_p.bind(np.zeros((2, 3)), lower=True)
    with pytest.raises(UnsupportedError, match="primitive 'tridiagonal' is not implemented"):
        fg.grad(lambda a: P.tridiagonal_p.bind(a, lower=True)[1].sum())(np.eye(3))
    monkeypatch.setattr(runtime, "platform", lambda: "cuda")
    with pytest.raises(NotImplementedError, match="CPU only, not on cuda"):
        fg.jit(lambda a: P.tridiagonal_p.bind(a, lower=True)).lower(np.eye(2))


# ---------------------------------------------------------------------------
# scipy.linalg.eigh_tridiagonal


def _same_up_to_sign(v: np.ndarray, w: np.ndarray, tol: float) -> None:
    signs = np.sign((v * w).sum(-2, keepdims=True))
    np.testing.assert_allclose(v * signs, w, rtol=tol, atol=tol)


@pytest.mark.parametrize("shape, dtype", [((6,), np.float32), ((2, 5), np.float64),
                                          ((1,), np.float32)], ids=_ids)
def test_eigh_tridiagonal_matches_scipy(shape: tuple[int, ...], dtype: Any) -> None:
    rng = np.random.default_rng(shape[-1])
    d = rng.standard_normal(shape).astype(dtype)
    e = rng.standard_normal((*shape[:-1], shape[-1] - 1)).astype(dtype)
    tol = 1e-4 if dtype == np.float32 else 1e-10
    ws, vs = sla.eigh_tridiagonal(d, e)
    for w, v in (eigh_tridiagonal(d, e), fg.jit(eigh_tridiagonal)(d, e)):
        w, v = np.asarray(w), np.asarray(v)
        assert w.dtype == v.dtype == ws.dtype and v.shape == vs.shape
        np.testing.assert_allclose(w, ws, rtol=tol, atol=tol)
        _same_up_to_sign(v, vs, tol)
    np.testing.assert_allclose(np.asarray(eigh_tridiagonal(d, e, eigvals_only=True)), ws,
                               rtol=tol, atol=tol)


def test_eigh_tridiagonal_integers_and_broadcast_batches() -> None:
    d = np.array([[2, 3, 1], [0, 1, 4]])
    e = np.array([1, -1])
    w = np.asarray(eigh_tridiagonal(d, e, eigvals_only=True))
    assert w.dtype == np.float64
    np.testing.assert_allclose(w, sla.eigh_tridiagonal(d, np.stack([e, e]),
                                                       eigvals_only=True), rtol=1e-12)


def test_eigh_tridiagonal_select() -> None:
    rng = np.random.default_rng(11)
    d, e = rng.standard_normal(7), rng.standard_normal(6)
    for select, sr in (("i", (2, 4)), ("i", (0, 0)), ("v", (-0.5, 1.0)), ("v", (50, 60)),
                       ("value", (-1.0, 0.0)), (2, (6, 6))):
        ws, vs = sla.eigh_tridiagonal(d, e, select=select, select_range=sr)
        w, v = (np.asarray(x) for x in eigh_tridiagonal(d, e, select=select, select_range=sr))
        assert v.shape == vs.shape
        np.testing.assert_allclose(w, ws, rtol=1e-10, atol=1e-12)
        _same_up_to_sign(v, vs, 1e-9)
    w = fg.jit(lambda d, e: eigh_tridiagonal(d, e, eigvals_only=True, select="i",
                                             select_range=(1, 2)))(d, e)
    np.testing.assert_allclose(np.asarray(w), sla.eigh_tridiagonal(
        d, e, eigvals_only=True, select="i", select_range=(1, 2)), rtol=1e-10)
    with pytest.raises(UnsupportedError, match="select='v' needs concrete d and e"):
        fg.jit(lambda d, e: eigh_tridiagonal(d, e, select="v", select_range=(0, 1)))(d, e)


def test_eigh_tridiagonal_eigenvalue_grads() -> None:
    rng = np.random.default_rng(12)
    d, e = rng.standard_normal((2, 5)), rng.standard_normal((2, 4))
    check_grads(lambda d, e: eigh_tridiagonal(d, e, eigvals_only=True), (d, e), order=2,
                modes=("fwd", "rev"))
    check_grads(lambda d, e: eigh_tridiagonal(d, e, eigvals_only=True, select="i",
                                              select_range=(1, 3)), (d, e), order=1)
    # by value: the selection is made from the concrete values, the derivative by index;
    # d w_k / d d_j = v_jk ** 2 (the Jacobian from SciPy's eigenvectors, not from jacfwd,
    # which compiles a score of programs)
    g = fg.grad(lambda d: eigh_tridiagonal(d, e[0], eigvals_only=True, select="v",
                                           select_range=(-1.0, 1.0)).sum())(d[0])
    w, v = sla.eigh_tridiagonal(d[0], e[0])
    np.testing.assert_allclose(np.asarray(g), (v[:, (w > -1) & (w <= 1)] ** 2).sum(1),
                               rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(e=np.ones(3)), ValueError, r"d \(3\) must have one more element than e \(3\)"),
    (dict(d=np.float64(1.0)), ValueError, "d must be a 1-D array"),
    (dict(d=np.ones(3, complex)), TypeError, "only real d and e"),
    (dict(select="x"), ValueError, "invalid argument for select"),
    (dict(select=True), ValueError, "invalid argument for select"),
    (dict(select="i", select_range=(2, 1)), ValueError, "nondecreasing order"),
    (dict(select="i", select_range=(0, 1, 2)), ValueError, "2-element"),
    (dict(select="i", select_range=(0.0, 1.0)), ValueError, "must contain integers"),
    (dict(select="i", select_range=(0, 3)), ValueError, r"out of bounds.*\[0, 2\]"),
    (dict(tol=1e-3), UnsupportedError, "tol=0.001 is not supported"),
    (dict(lapack_driver="stev"), UnsupportedError, "'stev' is not supported"),
    (dict(lapack_driver="nope"), ValueError, "lapack_driver must be one of"),
    (dict(lapack_driver=1), TypeError, "lapack_driver must be a str"),
    (dict(d=np.array([1.0, np.nan, 2.0])), ValueError, "must not contain infs or NaNs"),
])
def test_eigh_tridiagonal_bad_input(kwargs: dict[str, Any], error: type[Exception],
                                    match: str) -> None:
    args = dict(d=np.ones(3), e=np.ones(2)) | kwargs
    with pytest.raises(error, match=match):
        eigh_tridiagonal(**args)


def test_eigh_tridiagonal_drivers_and_unchecked_nans() -> None:
    d, e = np.array([2.0, 2.0]), np.array([1.0])
    np.testing.assert_allclose(np.asarray(eigh_tridiagonal(
        d, e, eigvals_only=True, lapack_driver="auto")), [1.0, 3.0], rtol=1e-12)
    for driver in ("stemr", "stebz", "stevd"):      # a named routine is not run: it raises
        with pytest.raises(UnsupportedError, match=f"lapack_driver='{driver}' is not supported"):
            eigh_tridiagonal(d, e, eigvals_only=True, lapack_driver=driver)
    w = eigh_tridiagonal(np.array([1.0, np.nan]), np.array([0.0]), eigvals_only=True,
                         check_finite=False)
    assert np.isnan(np.asarray(w)).any()      # not checked: the NaN reaches the result
