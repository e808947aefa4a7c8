"""funcgrad.scipy.linalg: SciPy's linear algebra over funcgrad arrays.

Everything here is a composition of the factorization primitives (cholesky, lu,
qr, svd, eigh, triangular_solve, schur, hessenberg, tridiagonal_solve; see
funcgrad.lax.linalg) and ordinary array operations, so it runs
eagerly and under `jit`, and is differentiable (forward and reverse) wherever
the factorizations' derivative rules are (see funcgrad.numpy.linalg). Like
SciPy >= 1.15, functions of matrices accept stacks of them: leading dimensions
are batch dimensions, and those of two operands broadcast against each other.
A right-hand side `b` is one vector only when it is 1-d; otherwise it is a
(stack of) (N, K) matrices, as in SciPy.

Result dtypes are SciPy's: integer and bool inputs compute in the default float
(float64), float16 in float32, float32/complex64 stay single precision (except
`det`, which SciPy returns in double precision).

Options funcgrad cannot honour raise rather than being ignored:

- ``overwrite_a=True`` / ``overwrite_b=True`` raise: funcgrad arrays are
  immutable, so an input is never overwritten (False, the default, is accepted).
- ``check_finite=True`` (the default) checks concrete inputs (NumPy arrays,
  lists, `funcgrad.Array`) and raises ValueError on NaN or infinity, as SciPy
  does. Traced inputs (inside `jit`, `grad`, `vmap`) have no values yet and are
  not checked: there a NaN or infinity propagates into the result.
- Where SciPy raises ``LinAlgError`` on a singular or indefinite matrix,
  funcgrad returns infinities or NaNs instead (a check would need the values).

`sqrtm`, `logm` and `funm` work on the complex Schur form and return complex
results (see their docstrings); `schur` and `hessenberg` are CPU only (LAPACK
gees and gehrd; JAX has no GPU kernel for them either).

Not provided: the generalized eigenproblem of `eigh` (``b=...``) and the
reordered Schur form (``schur(sort=...)``): both raise.
"""
from __future__ import annotations
from funcgrad.scipy.linalg._util import LinAlgError
from funcgrad.scipy.linalg._solve import (cho_factor, cho_solve, cholesky, det, inv, lu, lu_factor,
                                          lu_solve, solve, solve_triangular)
from funcgrad.scipy.linalg._decomp import eigh, eigvalsh, qr, svd
from funcgrad.scipy.linalg._matfuncs import expm, expm_frechet, polar
from funcgrad.scipy.linalg._matfuncs_schur import funm, logm, sqrtm
from funcgrad.scipy.linalg._schur import hessenberg, rsf2csf, schur
from funcgrad.scipy.linalg._tridiagonal import eigh_tridiagonal
from funcgrad.scipy.linalg._special_matrices import (block_diag, circulant, companion, hilbert,
                                                     toeplitz)

__all__ = ["LinAlgError", "block_diag", "cho_factor", "cho_solve", "cholesky", "circulant",
           "companion", "det", "eigh", "eigh_tridiagonal", "eigvalsh", "expm", "expm_frechet",
           "funm", "hessenberg", "hilbert", "inv", "logm", "lu", "lu_factor", "lu_solve", "polar",
           "qr", "rsf2csf", "schur", "solve", "solve_triangular", "sqrtm", "svd", "toeplitz"]
