"""funcgrad.lax.linalg: the linear-algebra primitives, with JAX's names and signatures.

Each function binds one primitive (or a few) over the last two axes, batched over
the leading ones, and is differentiable where its primitive has derivative rules
(see funcgrad.numpy.linalg and funcgrad.scipy.linalg for the NumPy- and
SciPy-shaped functions built on these). Options funcgrad cannot honour raise
rather than being ignored.
"""
from __future__ import annotations

from typing import Any

import numpy as np

import funcgrad.numpy as fnp
from funcgrad import dtypes
from funcgrad import primitives as P
from funcgrad.control_flow import fori_loop
from funcgrad.core import Tracer
from funcgrad.errors import UnsupportedError
from funcgrad.numpy._util import asarray_operand, aval_of, convert


def _operand(x: Any) -> Any:
    x = asarray_operand(x)
    a = aval_of(x)
    if a.weak_type:
        x = convert(x, a.dtype, False)
    return x


def _mH(x: Any) -> Any:
    x = fnp.swapaxes(x, -1, -2)
    return fnp.conj(x) if dtypes.is_complex(aval_of(x).dtype) else x


def _symmetrized(x: Any) -> Any:
    return (x + _mH(x)) * 0.5


def _unsupported(fname: str, option: str, value: Any, hint: str) -> UnsupportedError:
    return UnsupportedError(f"funcgrad.lax.linalg.{fname}: {option}={value!r} is not "
                            f"supported; {hint}")


def _static_range(fname: str, subset: Any, n: int) -> tuple[int, int]:
    if isinstance(subset, Tracer) or not isinstance(subset, (tuple, list)) or \
            len(subset) != 2 or not all(isinstance(i, (int, np.integer)) for i in subset):
        raise TypeError(f"funcgrad.lax.linalg.{fname}: subset_by_index must be a pair of "
                        f"Python ints (start, end), got {subset!r}")
    lo, hi = int(subset[0]), int(subset[1])
    if not 0 <= lo <= hi <= n:
        raise ValueError(f"funcgrad.lax.linalg.{fname}: subset_by_index={subset!r} must "
                         f"satisfy 0 <= start <= end <= {n}")
    return lo, hi


def cholesky(x: Any, *, symmetrize_input: bool = True) -> Any:
    """The lower Cholesky factor of a Hermitian positive-definite `x`; NaNs where it is
    not positive definite. ``symmetrize_input`` uses (x + x^H) / 2, so both triangles
    count (and get gradient); otherwise only the lower triangle is read."""
    x = _operand(x)
    return P.cholesky_p.bind(_symmetrized(x) if symmetrize_input else x)


def triangular_solve(a: Any, b: Any, *, left_side: bool = False, lower: bool = False,
                     transpose_a: bool = False, conjugate_a: bool = False,
                     unit_diagonal: bool = False) -> Any:
    """Solve op(a) x = b (left_side) or x op(a) = b for x, reading one triangle of a;
    op transposes and/or conjugates. a is (..., m, m), b has a's batch dims."""
    a, b = _operand(a), _operand(b)
    return P.triangular_solve_p.bind(a, b, left_side=bool(left_side), lower=bool(lower),
                                     transpose_a=bool(transpose_a),
                                     conjugate_a=bool(conjugate_a),
                                     unit_diagonal=bool(unit_diagonal))


def lu(x: Any) -> tuple[Any, Any, Any]:
    """LU with partial pivoting: (lu, pivots, permutation). lu packs L (unit diagonal
    not stored) and U; pivots (..., min(m, n)) are LAPACK's row swaps, 0-based int32;
    permutation (..., m) int32 is what they make of the rows: x[perm] = L U."""
    out = P.lu_p.bind(_operand(x))
    return out[0], out[1], out[2]


def lu_pivots_to_permutation(pivots: Any, permutation_size: int) -> Any:
    """The permutation (..., permutation_size) int32 that the sequential row swaps
    `pivots` (..., k) (row i swapped with row pivots[i]) make of arange(size)."""
    piv = asarray_operand(pivots)
    shape = aval_of(piv).shape
    if not dtypes.is_integer(aval_of(piv).dtype) or not shape:
        raise TypeError("funcgrad.lax.linalg.lu_pivots_to_permutation: pivots must be an "
                        f"integer array of rank >= 1, got {aval_of(piv).str_short()}")
    m = int(permutation_size)
    k = shape[-1]
    if k > m:
        raise ValueError("funcgrad.lax.linalg.lu_pivots_to_permutation: "
                         f"permutation_size={m} is smaller than the number of pivots {k}")
    rows = np.arange(m, dtype=np.int32)
    cols = np.arange(k, dtype=np.int32)
    piv = convert(piv, dtypes.int32)
    zero = convert(0, dtypes.int32)

    def pick(mask: Any, x: Any) -> Any:
        return fnp.sum(fnp.where(mask, x, zero), axis=-1, keepdims=True, dtype=np.int32)

    def swap(i: Any, perm: Any) -> Any:
        j = pick(cols == i, piv)
        pi, pj = pick(rows == i, perm), pick(rows == j, perm)
        return fnp.where(rows == i, pj, fnp.where(rows == j, pi, perm))

    perm0 = fnp.broadcast_to(fnp.asarray(rows), (*shape[:-1], m))
    return fori_loop(0, k, swap, perm0)


def qr(x: Any, *, pivoting: bool = False, full_matrices: bool = True,
       use_magma: bool | None = None) -> tuple[Any, Any]:
    """(q, r) with x = q r; full_matrices gives q (..., m, m), else (..., m, k)."""
    if pivoting:
        raise _unsupported("qr", "pivoting", pivoting, "column-pivoted QR (geqp3) is not "
                           "implemented; use pivoting=False")
    if use_magma:
        raise _unsupported("qr", "use_magma", use_magma, "MAGMA is a GPU library funcgrad "
                           "does not call; pass use_magma=None")
    q, r = P.qr_p.bind(_operand(x), full_matrices=bool(full_matrices))
    return q, r


def svd(x: Any, *, full_matrices: bool = True, compute_uv: bool = True,
        subset_by_index: tuple[int, int] | None = None, algorithm: Any = None) -> Any:
    """x = u diag(s) vh with s descending: (u, s, vh), or s alone without compute_uv.
    ``subset_by_index=(lo, hi)`` keeps singular values lo..hi-1 (and their vectors)."""
    if algorithm is not None:
        raise _unsupported("svd", "algorithm", algorithm, "funcgrad picks LAPACK's gesdd "
                           "(cuSOLVER's gesvdj on GPU); pass algorithm=None")
    x = _operand(x)
    k = min(aval_of(x).shape[-2:]) if aval_of(x).ndim >= 2 else 0
    lo, hi = (0, k) if subset_by_index is None else _static_range("svd", subset_by_index, k)
    if not compute_uv:
        s = P.svd_p.bind(x, full_matrices=False, compute_uv=False)[0]
        return s[..., lo:hi] if (lo, hi) != (0, k) else s
    full = bool(full_matrices) and subset_by_index is None
    s, u, vh = P.svd_p.bind(x, full_matrices=full, compute_uv=True)
    if (lo, hi) != (0, k):
        s, u, vh = s[..., lo:hi], u[..., :, lo:hi], vh[..., lo:hi, :]
    return u, s, vh


def eigh(x: Any, *, lower: bool = True, symmetrize_input: bool = True,
         sort_eigenvalues: bool = True,
         subset_by_index: tuple[int, int] | None = None) -> tuple[Any, Any]:
    """(v, w): eigenvectors (columns) and ascending eigenvalues of a Hermitian x.
    Eigenvalues always come sorted (which also serves ``sort_eigenvalues=False``)."""
    x = _operand(x)
    if symmetrize_input:
        x = _symmetrized(x)
    v, w = P.eigh_p.bind(x, lower=bool(lower))
    if subset_by_index is not None:
        lo, hi = _static_range("eigh", subset_by_index, aval_of(w).shape[-1])
        v, w = v[..., :, lo:hi], w[..., lo:hi]
    return v, w


def _left_from_right(vr: Any) -> Any:
    """Left eigenvectors from right ones: the rows of vr^-1 are (scaled) left
    eigenvectors u^H; normalised like LAPACK's geev (unit 2-norm, largest component
    real)."""
    n = aval_of(vr).shape[-1]
    eye = fnp.broadcast_to(fnp.eye(n, dtype=aval_of(vr).dtype), aval_of(vr).shape)
    u = _mH(fnp.linalg.solve(vr, eye))
    u = u / fnp.linalg.norm(u, axis=-2, keepdims=True)
    big = fnp.argmax(fnp.abs(u), axis=-2, keepdims=True)
    top = fnp.take_along_axis(u, big, axis=-2)
    return u * (fnp.conj(top) / fnp.abs(top))


def eig(x: Any, *, compute_left_eigenvectors: bool = True,
        compute_right_eigenvectors: bool = True, use_magma: bool | None = None) -> list[Any]:
    """[w] + [vl] + [vr] (as requested): the eigenvalues of a general square matrix and
    its left and right eigenvectors, all complex, in LAPACK's order; CPU only. Left
    eigenvectors satisfy vl^H x = w vl^H; they are computed from the right ones."""
    if use_magma:
        raise _unsupported("eig", "use_magma", use_magma, "MAGMA is a GPU library funcgrad "
                           "does not call; pass use_magma=None")
    x = _operand(x)
    vectors = bool(compute_left_eigenvectors) or bool(compute_right_eigenvectors)
    out = P.eig_p.bind(x, compute_eigenvectors=vectors)
    result = [out[0]]
    if compute_left_eigenvectors:
        result.append(_left_from_right(out[1]))
    if compute_right_eigenvectors:
        result.append(out[1])
    return result


def schur(x: Any, *, compute_schur_vectors: bool = True, sort_eig_vals: bool = False,
          select_callable: Any = None) -> Any:
    """(t, vs) with x = vs t vs^H: t upper triangular for complex x, quasi-upper-
    triangular (the real Schur form) for real x; t alone without
    compute_schur_vectors. Eigenvalues in LAPACK's order; CPU only."""
    if sort_eig_vals or select_callable is not None:
        raise _unsupported("schur", "sort_eig_vals" if sort_eig_vals else "select_callable",
                           sort_eig_vals or select_callable, "reordering the Schur form "
                           "(LAPACK trsen) is not implemented")
    out = P.schur_p.bind(_operand(x), compute_schur_vectors=bool(compute_schur_vectors))
    return (out[0], out[1]) if compute_schur_vectors else out[0]


def hessenberg(a: Any) -> tuple[Any, Any]:
    """(packed, taus): LAPACK gehrd's reduction a = q h q^H to upper Hessenberg h (the
    upper triangle and first subdiagonal of `packed`), q's Householder vectors below
    it; q = householder_product(packed[..., 1:, :-1], taus) bordered by a leading 1.
    CPU only."""
    packed, taus = P.hessenberg_p.bind(_operand(a))
    return packed, taus


def householder_product(a: Any, taus: Any) -> Any:
    """The product of the Householder reflectors I - taus_i v_i v_i^H, where v_i is
    column i of `a` below the diagonal with a unit diagonal entry (LAPACK orgqr):
    a (..., m, n) with m >= n, taus (..., k), k <= n."""
    return P.householder_product_p.bind(_operand(a), _operand(taus))


def tridiagonal(a: Any, *, lower: bool = True) -> tuple[Any, Any, Any, Any]:
    """(packed, d, e, taus): LAPACK sytrd/hetrd's reduction of a Hermitian `a` (its
    `lower` or upper triangle) to the real symmetric tridiagonal matrix with diagonal
    d and off-diagonal e; the Householder vectors are packed in the other triangle.
    CPU only."""
    packed, d, e, taus = P.tridiagonal_p.bind(_operand(a), lower=bool(lower))
    return packed, d, e, taus


def tridiagonal_solve(dl: Any, d: Any, du: Any, b: Any) -> Any:
    """Solve the tridiagonal system with sub-diagonal dl, diagonal d and super-diagonal
    du (each (..., m); dl[..., 0] and du[..., m-1] are not read) for b (..., m, n):
    LAPACK gtsv on CPU, the Thomas algorithm (no pivoting) elsewhere."""
    return P.tridiagonal_solve_p.bind(*(_operand(x) for x in (dl, d, du, b)))


__all__ = ["cholesky", "eig", "eigh", "hessenberg", "householder_product", "lu",
           "lu_pivots_to_permutation", "qr", "schur", "svd", "triangular_solve", "tridiagonal",
           "tridiagonal_solve"]
