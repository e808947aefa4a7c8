"""Functions of matrices built on the complex Schur form: sqrtm, logm and funm.

Each works on the complex Schur form a = q t q^H, where t is upper triangular,
so a recurrence over t's columns (or superdiagonals) gives f(t), and
f(a) = q f(t) q^H. Results are complex, whatever the input's dtype (like JAX's
sqrtm; SciPy returns a real array when the values happen to allow it, which jit
cannot know beforehand), except `funm`, whose real input gives a real result.

Derivatives: `sqrtm` has its own JVP, the solution of the Sylvester equation
x dx + dx x = da, solved implicitly (lax.custom_linear_solve) in the Schur
basis, so it is exact, O(n^3), transposable (reverse mode) and differentiable
again. `logm` is inverse scaling and squaring over `sqrtm` (square roots until
||b - I||_1 <= 1/4, then the [8/8] Pade approximant, the Gauss-Legendre rule of
log(I + z) = int_0^1 z (I + s z)^-1 ds), so its derivative is that of the
computation, through sqrtm's rule. `funm` differentiates through the Schur
decomposition and the Parlett recurrence.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import funcgrad.numpy as fnp
from funcgrad import dtypes, lax
from funcgrad import primitives as P
from funcgrad.custom_rules import custom_jvp
from funcgrad.numpy._eager import eager_jit
from funcgrad.numpy._util import convert
from funcgrad.scipy.linalg._util import (_check_square, _diag, _dtype, _eye, _mH,
                                         _mT, _operands, _shape, _trisolve)


def _complex_dtype(dt: np.dtype) -> np.dtype:
    return dt if dtypes.is_complex(dt) else \
        dtypes.complex64 if dt == dtypes.float32 else dtypes.complex128


def _complex_schur(a: Any) -> tuple[Any, Any]:
    """(t, q): a = q t q^H with t upper triangular (a is complex)."""
    t, q = P.schur_p.bind(a, compute_schur_vectors=True)
    return t, q


def _unit(n: int, j: Any, dt: np.dtype) -> Any:
    """The j-th unit vector of length n (j may be traced)."""
    return convert(fnp.arange(n) == j, dt)


def _column(x: Any, e: Any) -> Any:
    """x[..., :, j] as a (..., n, 1) column, with e the j-th unit vector."""
    return x @ fnp.expand_dims(e, -1)


# ---------------------------------------------------------------------------
# sqrtm


def _sqrtm_triangular(t: Any) -> Any:
    """The principal square root r of an upper triangular t, column by column:
    column j above the diagonal solves (r[:j, :j] + r_jj I) x = t[:j, j]; the rows
    from j down get a unit diagonal and a zero right-hand side, so one n x n
    triangular solve per column does it."""
    n = _shape(t)[-1]
    dt = _dtype(t)
    d = fnp.sqrt(_diag(t))
    r0 = d[..., :, None] * _eye(n, dt)
    rows = np.arange(n)

    def column(j: Any, r: Any) -> Any:
        e = _unit(n, j, dt)
        above = fnp.expand_dims(rows < j, -1)                        # (n, 1)
        rjj = fnp.sum(d * e, axis=-1)[..., None, None]
        m = fnp.where(above.T, r, convert(0, dt)) + \
            fnp.where(above, rjj, convert(1, dt)) * _eye(n, dt)
        rhs = fnp.where(above, _column(t, e), convert(0, dt))
        x = _trisolve(m, rhs, lower=False)
        return r + x @ fnp.expand_dims(e, -2)

    return lax.fori_loop(1, n, column, r0) if n > 1 else r0


def _sylvester_triangular(r: Any, c: Any) -> Any:
    """z with r z + z r = c for upper triangular r: column j solves
    (r + r_jj I) z_j = c_j - sum_{k<j} z_k r_kj."""
    n = _shape(r)[-1]
    dt = _dtype(r)
    d = _diag(r)

    def column(j: Any, z: Any) -> Any:
        e = _unit(n, j, dt)
        rjj = fnp.sum(d * e, axis=-1)[..., None, None]
        rhs = _column(c, e) - z @ _column(r, e)
        x = _trisolve(r + rjj * _eye(n, dt), rhs, lower=False)
        return z + x @ fnp.expand_dims(e, -2)

    return lax.fori_loop(0, n, column, fnp.zeros_like(c))


def _sqrtm_parts(a: Any) -> tuple[Any, Any, Any]:
    t, q = _complex_schur(a)
    r = _sqrtm_triangular(t)
    return q @ r @ _mH(q), q, r


@custom_jvp
def _sqrtm(a: Any) -> Any:
    return _sqrtm_parts(a)[0]


@_sqrtm.defjvp
def _sqrtm_jvp(primals: tuple[Any], tangents: tuple[Any]) -> tuple[Any, Any]:
    (a,), (da,) = primals, tangents
    x, q, r = _sqrtm_parts(a)

    def solve(_: Any, b: Any) -> Any:           # x y + y x = b, in x's Schur basis
        return q @ _sylvester_triangular(r, _mH(q) @ b @ q) @ _mH(q)

    def transpose_solve(_: Any, b: Any) -> Any:  # x^T y + y x^T = b: transpose of the above
        return _mT(solve(None, _mT(b)))

    dx = lax.custom_linear_solve(lambda y: x @ y + y @ x, da, solve, transpose_solve)
    return x, dx


@eager_jit()
def _sqrtm_core(a: Any) -> Any:
    if _shape(a)[-1] == 0:
        return a
    return _sqrtm(a)


def sqrtm(A: Any, disp: bool = True, blocksize: int = 64) -> Any:
    """The principal square root x of (..., N, N) matrices: x @ x == A, the eigenvalues
    of x in the right half-plane. Always complex (complex64 for float32/complex64
    input, complex128 otherwise). A singular matrix with a repeated zero eigenvalue
    may have no square root: the result then holds infinities or NaNs, where SciPy
    warns. ``disp=False`` and `blocksize` are SciPy's options for its own algorithm
    and its error estimate; funcgrad has neither and raises for ``disp=False``."""
    fname = "sqrtm"
    if not disp:
        raise NotImplementedError(f"{fname}: disp=False (return an error estimate) is not "
                                  "supported; compute the residual x @ x - A yourself")
    if isinstance(blocksize, bool) or not isinstance(blocksize, (int, np.integer)) or \
            blocksize < 1:
        raise ValueError(f"{fname}: blocksize must be a positive int, got {blocksize!r}")
    (x,) = _operands(fname, A)
    _check_square(fname, x, "A")
    return _sqrtm_core(convert(x, _complex_dtype(_dtype(x))))


# ---------------------------------------------------------------------------
# logm

_LOG_THETA = 0.25          # ||b - I||_1 at which the [8/8] Pade approximant of log(I + z)
_LOG_NODES = 8             # meets double precision (its error is about (|z|/(2+|z|))^17)
_LOG_MAX_ROOTS = 64        # square roots at most: |log(lambda)| up to 2^64 / 4


def _one_norm(x: Any) -> Any:
    return fnp.max(fnp.sum(fnp.abs(x), axis=-2), axis=-1)


def _log_pade(z: Any) -> Any:
    """log(I + z) by Gauss-Legendre quadrature of int_0^1 z (I + s z)^-1 ds."""
    n = _shape(z)[-1]
    dt = _dtype(z)
    nodes, weights = np.polynomial.legendre.leggauss(_LOG_NODES)
    out = fnp.zeros_like(z)
    eye = _eye(n, dt)
    for s, w in zip((nodes + 1) / 2, weights / 2, strict=True):
        out = out + float(w) * fnp.linalg.solve(eye + float(s) * z, z)
    return out


@eager_jit()
def _logm_core(a: Any) -> Any:
    n = _shape(a)[-1]
    if n == 0:
        return a
    dt = _dtype(a)
    eye = _eye(n, dt)
    rdt = dtypes.real_dtype(dt)

    def root(i: Any, carry: tuple[Any, Any]) -> tuple[Any, Any]:
        b, s = carry
        far = _one_norm(b - eye) > _LOG_THETA                          # (...,)

        def take(b: Any) -> Any:
            return fnp.where(far[..., None, None], _sqrtm(b), b)

        b = lax.cond(fnp.any(far), take, lambda b: b, b)
        return b, s + convert(far, rdt)

    s0 = fnp.zeros(_shape(a)[:-2], rdt)
    b, s = lax.fori_loop(0, _LOG_MAX_ROOTS, root, (a, s0))
    return convert(fnp.exp2(s), dt)[..., None, None] * _log_pade(b - eye)


def logm(A: Any, disp: bool = True) -> Any:
    """The principal logarithm x of (..., N, N) matrices: expm(x) == A, the eigenvalues
    of x with imaginary parts in (-pi, pi]. Always complex (see `sqrtm`). A matrix with
    an eigenvalue 0 has no logarithm (the result holds infinities or NaNs); an
    eigenvalue on the negative real axis gives the principal branch's value.
    ``disp=False`` (return an error estimate) raises."""
    fname = "logm"
    if not disp:
        raise NotImplementedError(f"{fname}: disp=False (return an error estimate) is not "
                                  "supported; compare expm(logm(A)) with A yourself")
    (x,) = _operands(fname, A)
    _check_square(fname, x, "A")
    return _logm_core(convert(x, _complex_dtype(_dtype(x))))


# ---------------------------------------------------------------------------
# funm


def _parlett(t: Any, f: Any) -> Any:
    """f(t) for upper triangular t with f's diagonal given, one superdiagonal at a
    time (Parlett's recurrence, from f t = t f): with m = f t - t f over the entries
    already known (f_ij still 0), f_ij (t_jj - t_ii) = -m_ij. Needs distinct
    eigenvalues."""
    n = _shape(t)[-1]
    dt = _dtype(t)
    d = _diag(t)
    diff = d[..., None, :] - d[..., :, None]                # t_jj - t_ii
    offset = np.arange(n)[None, :] - np.arange(n)[:, None]  # j - i

    def superdiagonal(k: Any, f: Any) -> Any:
        m = f @ t - t @ f
        on = offset == k
        fk = -m / fnp.where(on, diff, convert(1, dt))
        return fnp.where(on, fk, f)

    return lax.fori_loop(1, n, superdiagonal, f) if n > 1 else f


def funm(A: Any, func: Callable[[Any], Any], disp: bool = True) -> Any:
    """f(A) for a function `func` applied elementwise to eigenvalues, by the Schur
    form and Parlett's recurrence (SciPy's method): `func` must be vectorised over
    funcgrad arrays (fnp.sin, lambda z: z ** 3, ...). Like SciPy's, the recurrence
    divides by differences of eigenvalues: repeated or close eigenvalues give
    inaccurate or non-finite results. A real A gives a real result (the real part:
    exact when `func` maps conjugate eigenvalues to conjugate values, as any real
    function does); a complex A a complex one. ``disp=False`` raises."""
    fname = "funm"
    if not callable(func):
        raise TypeError(f"{fname}: func must be callable, got {type(func).__name__}")
    if not disp:
        raise NotImplementedError(f"{fname}: disp=False (return an error estimate) is not "
                                  "supported")
    (x,) = _operands(fname, A)
    _check_square(fname, x, "A")
    return _funm_core(x, func)


@eager_jit(static_argnames=("func",))
def _funm_core(x: Any, func: Callable[[Any], Any]) -> Any:
    a = convert(x, _complex_dtype(_dtype(x)))
    n = _shape(a)[-1]
    if n == 0:
        return x
    t, q = _complex_schur(a)
    fd = fnp.asarray(func(_diag(t)))
    if _shape(fd) != _shape(_diag(t)):
        raise ValueError(f"funm: func must map an array of eigenvalues of shape "
                         f"{_shape(_diag(t))} to one of the same shape, got {_shape(fd)}")
    f0 = convert(fd, _dtype(a))[..., :, None] * _eye(n, _dtype(a))
    out = q @ _parlett(t, f0) @ _mH(q)
    return out if dtypes.is_complex(_dtype(x)) else fnp.real(out)
