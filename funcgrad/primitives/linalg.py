"""Linear-algebra primitives: factorizations over the last two axes, batched
over the rest (cholesky, triangular_solve, lu, eigh, svd, qr, eig, schur,
hessenberg, householder_product).

They are lowered to LAPACK (CPU) / cuSOLVER (GPU) custom calls by xla_backend
(triangular_solve is a StableHLO op off CPU; eig, schur and hessenberg have no
GPU lowering). Operands are float32/64 or complex64/128.
"""
from __future__ import annotations

from funcgrad import dtypes
from funcgrad.core import Primitive, ShapedArray, shape_error
from funcgrad.errors import DTypeError
from funcgrad.primitives._shapes import same_dtype


def _check_matrix(name: str, a: ShapedArray, square: bool = True) -> None:
    if a.dtype not in (dtypes.float32, dtypes.float64, dtypes.complex64, dtypes.complex128):
        raise DTypeError(f"{name} needs a float32, float64, complex64 or complex128 operand, "
                         f"got {a.dtype}")
    if a.ndim < 2:
        raise shape_error(name, f"needs an operand with at least 2 dimensions, got shape "
                                f"{a.shape}")
    if square and a.shape[-1] != a.shape[-2]:
        raise shape_error(name, f"needs square matrices in its last two dimensions, got shape "
                                f"{a.shape}")


cholesky_p = Primitive("cholesky")     # the lower Cholesky factor; NaNs where a is not PD


@cholesky_p.def_abstract_eval
def _cholesky_rule(a: ShapedArray) -> ShapedArray:
    _check_matrix("cholesky", a)
    return a.strong()


triangular_solve_p = Primitive("triangular_solve")


@triangular_solve_p.def_abstract_eval
def _triangular_solve_rule(a: ShapedArray, b: ShapedArray, *, left_side: bool, lower: bool,
                           transpose_a: bool, conjugate_a: bool,
                           unit_diagonal: bool) -> ShapedArray:
    """Solves op(a) x = b (left_side) or x op(a) = b for x; op transposes/conjugates."""
    _check_matrix("triangular_solve", a)
    same_dtype("triangular_solve", (a, b))
    if b.ndim != a.ndim:
        raise shape_error("triangular_solve", f"a {a.shape} and b {b.shape} need the same rank")
    if a.shape[:-2] != b.shape[:-2]:
        raise shape_error("triangular_solve", f"batch dimensions of a {a.shape} and b "
                                              f"{b.shape} differ")
    m = a.shape[-1]
    if (b.shape[-2] if left_side else b.shape[-1]) != m:
        raise shape_error("triangular_solve", f"a of shape {a.shape} cannot solve b of shape "
                                              f"{b.shape} ({'left' if left_side else 'right'} "
                                              "side)")
    return b.strong()


lu_p = Primitive("lu", multiple_results=True)   # (lu, pivots int32, permutation int32)


@lu_p.def_abstract_eval
def _lu_rule(a: ShapedArray) -> list[ShapedArray]:
    _check_matrix("lu", a, square=False)
    m, n = a.shape[-2:]
    batch = a.shape[:-2]
    return [a.strong(), ShapedArray((*batch, min(m, n)), dtypes.int32),
            ShapedArray((*batch, m), dtypes.int32)]


eigh_p = Primitive("eigh", multiple_results=True)   # (eigenvectors, eigenvalues ascending)


@eigh_p.def_abstract_eval
def _eigh_rule(a: ShapedArray, *, lower: bool) -> list[ShapedArray]:
    _check_matrix("eigh", a)
    return [a.strong(), ShapedArray(a.shape[:-1], dtypes.real_dtype(a.dtype))]


svd_p = Primitive("svd", multiple_results=True)   # (s descending, u, vh) or (s,)


@svd_p.def_abstract_eval
def _svd_rule(a: ShapedArray, *, full_matrices: bool, compute_uv: bool) -> list[ShapedArray]:
    _check_matrix("svd", a, square=False)
    m, n = a.shape[-2:]
    k = min(m, n)
    batch = a.shape[:-2]
    s = ShapedArray((*batch, k), dtypes.real_dtype(a.dtype))
    if not compute_uv:
        return [s]
    u = ShapedArray((*batch, m, m if full_matrices else k), a.dtype)
    vh = ShapedArray((*batch, n if full_matrices else k, n), a.dtype)
    return [s, u, vh]


qr_p = Primitive("qr", multiple_results=True)   # (q, r)


@qr_p.def_abstract_eval
def _qr_rule(a: ShapedArray, *, full_matrices: bool) -> list[ShapedArray]:
    _check_matrix("qr", a, square=False)
    m, n = a.shape[-2:]
    k = m if full_matrices else min(m, n)
    batch = a.shape[:-2]
    return [ShapedArray((*batch, m, k), a.dtype), ShapedArray((*batch, k, n), a.dtype)]


eig_p = Primitive("eig", multiple_results=True)   # (w, v) or (w,): complex, unordered


@eig_p.def_abstract_eval
def _eig_rule(a: ShapedArray, *, compute_eigenvectors: bool) -> list[ShapedArray]:
    """Eigenvalues w (..., n) and right eigenvectors v (..., n, n) of a general square
    matrix, both complex whatever the operand's dtype (a real matrix may have complex
    eigenvalues, which only its values tell). Columns of v have unit 2-norm and their
    largest component real (LAPACK's geev)."""
    _check_matrix("eig", a)
    cdt = dtypes.complex64 if a.dtype in (dtypes.float32, dtypes.complex64) else \
        dtypes.complex128
    w = ShapedArray(a.shape[:-1], cdt)
    return [w, ShapedArray(a.shape, cdt)] if compute_eigenvectors else [w]


schur_p = Primitive("schur", multiple_results=True)   # (t, vs) or (t,)


@schur_p.def_abstract_eval
def _schur_rule(a: ShapedArray, *, compute_schur_vectors: bool) -> list[ShapedArray]:
    """a = vs t vs^H with vs unitary and t upper triangular, or, for a real operand,
    quasi-upper-triangular (the real Schur form: 2 x 2 diagonal blocks hold complex
    conjugate eigenvalue pairs, so t and vs stay real). Eigenvalues are not sorted."""
    _check_matrix("schur", a)
    return [a.strong(), a.strong()] if compute_schur_vectors else [a.strong()]


hessenberg_p = Primitive("hessenberg", multiple_results=True)   # (packed, taus)


@hessenberg_p.def_abstract_eval
def _hessenberg_rule(a: ShapedArray) -> list[ShapedArray]:
    """LAPACK's gehrd: the upper Hessenberg h in the upper triangle and first
    subdiagonal of `packed`, the Householder vectors of q (a = q h q^H) below it, and
    their n - 1 scale factors `taus` (none for n = 0)."""
    _check_matrix("hessenberg", a)
    return [a.strong(), ShapedArray((*a.shape[:-2], max(a.shape[-1] - 1, 0)), a.dtype)]


householder_product_p = Primitive("householder_product")


@householder_product_p.def_abstract_eval
def _householder_product_rule(a: ShapedArray, taus: ShapedArray) -> ShapedArray:
    """The first n columns of H_1 ... H_k, H_i = I - taus_i v_i v_i^H, where v_i is
    column i of `a` below the diagonal with a unit diagonal entry (LAPACK's
    orgqr/ungqr): the q of qr and hessenberg from their packed reflectors."""
    _check_matrix("householder_product", a, square=False)
    same_dtype("householder_product", (a, taus))
    m, n = a.shape[-2:]
    if m < n:
        raise shape_error("householder_product", f"needs a with at least as many rows as "
                                                 f"columns, got shape {a.shape}")
    if taus.ndim != a.ndim - 1 or taus.shape[:-1] != a.shape[:-2] or taus.shape[-1] > n:
        raise shape_error("householder_product", f"needs taus of shape (..., k) with the "
                                                 f"batch dimensions of a {a.shape} and "
                                                 f"k <= {n}, got {taus.shape}")
    return a.strong()
