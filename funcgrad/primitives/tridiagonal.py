"""Tridiagonal primitives: solving a tridiagonal system, and reducing a Hermitian
matrix to tridiagonal form. Both act on trailing axes and batch over the rest.

- ``tridiagonal_solve dl d du b``: x with A x = b, where A has sub-diagonal `dl`,
  diagonal `d` and super-diagonal `du` (each (..., m); ``dl[..., 0]`` and
  ``du[..., m-1]`` lie outside A and are ignored, as in JAX) and b is (..., m, n).
  No pivoting is promised (LAPACK's gtsv pivots on CPU; other platforms do not).
- ``tridiagonal a (lower)``: LAPACK's sytrd/hetrd, ``[a_packed, d, e, taus]``: the
  Householder reflectors packed in a's ignored triangle, the real diagonal (..., n)
  and off-diagonal (..., n-1) of the similar tridiagonal matrix, and the reflectors'
  scalars (..., n-1). Only the `lower` (or upper) triangle of a is read.

Operands are float32/64 or complex64/128.
"""
from __future__ import annotations

from funcgrad import dtypes
from funcgrad.core import Primitive, ShapedArray, shape_error
from funcgrad.primitives._shapes import same_dtype
from funcgrad.primitives.linalg import _check_matrix

tridiagonal_solve_p = Primitive("tridiagonal_solve")


@tridiagonal_solve_p.def_abstract_eval
def _tridiagonal_solve_rule(dl: ShapedArray, d: ShapedArray, du: ShapedArray,
                            b: ShapedArray) -> ShapedArray:
    _check_matrix("tridiagonal_solve", b, square=False)
    same_dtype("tridiagonal_solve", (dl, d, du, b))
    if not dl.shape == d.shape == du.shape == b.shape[:-1]:
        raise shape_error("tridiagonal_solve", f"the diagonals dl {dl.shape}, d {d.shape} and "
                                               f"du {du.shape} must all have shape "
                                               f"{b.shape[:-1]}: that of b {b.shape} without "
                                               "its last dimension")
    return b.strong()


tridiagonal_p = Primitive("tridiagonal", multiple_results=True)


@tridiagonal_p.def_abstract_eval
def _tridiagonal_rule(a: ShapedArray, *, lower: bool) -> list[ShapedArray]:
    _check_matrix("tridiagonal", a)
    n = a.shape[-1]
    if n == 0:
        raise shape_error("tridiagonal", f"needs matrices of at least 1 x 1, got shape "
                                         f"{a.shape}")
    batch = a.shape[:-2]
    real = dtypes.real_dtype(a.dtype)
    return [a.strong(), ShapedArray((*batch, n), real), ShapedArray((*batch, n - 1), real),
            ShapedArray((*batch, n - 1), a.dtype)]
