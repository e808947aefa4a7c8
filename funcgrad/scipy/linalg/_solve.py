"""Solving linear systems: solve, solve_triangular, Cholesky, LU, det and inv."""
from __future__ import annotations

from typing import Any

import numpy as np

import funcgrad.numpy as fnp
from funcgrad import dtypes
from funcgrad import primitives as P
from funcgrad.core import shape_error
from funcgrad.lax.linalg import lu_pivots_to_permutation
from funcgrad.numpy._eager import eager_jit
from funcgrad.numpy._util import asarray_operand, aval_of, convert
from funcgrad.scipy.linalg._util import (_batch, _broadcast_batch, _check_finite, _check_matrix,
                                         _check_square, _cho_solve, _cholesky, _diag, _dtype, _eye,
                                         _from_triangle, _lu_solve_perm, _mT, _no_overwrite,
                                         _operands, _rhs, _shape, _static_bool, _trans, _tril,
                                         _trisolve, _triu, _unvector)


# ---------------------------------------------------------------------------
# solving linear systems

_STRUCTURES = {None: "gen", "gen": "gen", "general": "gen", "banded": "gen",
               "sym": "sym", "symmetric": "sym", "her": "her", "hermitian": "her",
               "pos": "pos", "positive definite": "pos",
               "upper triangular": "upper", "lower triangular": "lower",
               "diagonal": "diagonal", "tridiagonal": "tridiagonal"}


@eager_jit(static_argnames=("lower", "structure", "transposed"))
def _solve_core(a: Any, b: Any, lower: bool, structure: str, transposed: bool) -> Any:
    n = _shape(a)[-1]
    dt = _dtype(a)
    if structure == "diagonal":
        return b / fnp.expand_dims(_diag(a), -1)
    if structure in ("upper", "lower"):
        return _trisolve(a, b, lower=structure == "lower", trans=1 if transposed else 0)
    if structure == "pos":
        return _cho_solve(_cholesky(a, lower), b, lower)
    if structure in ("sym", "her"):
        a = _from_triangle(a, lower, hermitian=structure == "her")
    elif structure == "tridiagonal":
        band = np.abs(np.arange(n)[:, None] - np.arange(n)[None, :]) <= 1
        a = fnp.where(band, a, convert(0, dt))
    if transposed and structure not in ("sym", "her"):
        a = _mT(a)
    lu, _, perm = P.lu_p.bind(a)
    return _lu_solve_perm(lu, perm, b, 0)


def solve(a: Any, b: Any, lower: bool = False, overwrite_a: bool = False,
          overwrite_b: bool = False, check_finite: bool = True, assume_a: str | None = None,
          transposed: bool = False) -> Any:
    """Solve ``a @ x = b`` for x.

    `a` is (..., N, N); `b` is (N,) (one vector, broadcast over a's batch) or
    (..., N, K). `assume_a` picks the structure SciPy's solver reads:

    - None, "gen"/"general", "banded": the whole matrix (LU with partial pivoting);
    - "sym"/"symmetric", "her"/"hermitian": only the upper triangle (or the lower
      one with ``lower=True``), mirrored (conjugated for "her", whose diagonal's
      imaginary part is ignored);
    - "pos"/"positive definite": that triangle, via Cholesky;
    - "upper triangular", "lower triangular", "diagonal", "tridiagonal": only those
      entries.

    ``transposed=True`` solves ``a.T @ x = b`` (real `a` only, as in SciPy). A
    singular `a` gives infinities or NaNs instead of SciPy's LinAlgError;
    ``check_finite`` checks concrete inputs only (see the module docstring).
    """
    fname = "solve"
    _no_overwrite(fname, overwrite_a=overwrite_a, overwrite_b=overwrite_b)
    if assume_a not in _STRUCTURES:
        raise ValueError(f"{fname}: {assume_a!r} is not a recognized matrix structure; use "
                         "one of " + ", ".join(repr(k) for k in _STRUCTURES))
    structure = _STRUCTURES[assume_a]
    lower = _static_bool(fname, "lower", lower)
    transposed = _static_bool(fname, "transposed", transposed)
    x, y = _operands(fname, a, b)
    _check_square(fname, x)
    if transposed and dtypes.is_complex(_dtype(x)):
        raise NotImplementedError(f"{fname}: transposed=True is not supported for complex "
                                  "matrices (as in SciPy); pass a.T (or a.conj().T) instead")
    x, y, vector = _rhs(fname, x, y)
    _check_finite(fname, check_finite, a=a, b=b)
    return _unvector(_solve_core(x, y, lower, structure, transposed), vector)


@eager_jit(static_argnames=("trans", "lower", "unit_diagonal"))
def _solve_triangular_core(a: Any, b: Any, trans: int, lower: bool, unit_diagonal: bool) -> Any:
    return _trisolve(a, b, lower=lower, trans=trans, unit_diagonal=unit_diagonal)


def solve_triangular(a: Any, b: Any, trans: int | str = 0, lower: bool = False,
                     unit_diagonal: bool = False, overwrite_b: bool = False,
                     check_finite: bool = True) -> Any:
    """Solve ``op(a) @ x = b`` for triangular `a`, reading only its upper triangle (the
    lower one with ``lower=True``; with ``unit_diagonal=True`` the diagonal is taken to
    be ones and not read). ``trans``: 0/"N" op(a) = a, 1/"T" a.T, 2/"C" a.conj().T.
    Shapes as in `solve`."""
    fname = "solve_triangular"
    _no_overwrite(fname, overwrite_b=overwrite_b)
    t = _trans(fname, trans)
    lower = _static_bool(fname, "lower", lower)
    unit_diagonal = _static_bool(fname, "unit_diagonal", unit_diagonal)
    x, y = _operands(fname, a, b)
    _check_square(fname, x)
    x, y, vector = _rhs(fname, x, y)
    _check_finite(fname, check_finite, a=a, b=b)
    return _unvector(_solve_triangular_core(x, y, t, lower, unit_diagonal), vector)


# ---------------------------------------------------------------------------
# Cholesky


@eager_jit(static_argnames=("lower",))
def _cholesky_core(a: Any, lower: bool) -> Any:
    return _cholesky(a, lower)


def cholesky(a: Any, lower: bool = False, overwrite_a: bool = False,
             check_finite: bool = True) -> Any:
    """The Cholesky factor of a Hermitian positive-definite matrix: U with a = U^H U
    (default), or L with a = L L^H for ``lower=True``. Only that triangle of `a` (and
    the real part of its diagonal) is read; the other triangle of the result is zero.
    A matrix that is not positive definite gives NaNs (SciPy raises LinAlgError)."""
    return _checked_cholesky("cholesky", a, lower, overwrite_a, check_finite)


def _checked_cholesky(fname: str, a: Any, lower: bool, overwrite_a: bool,
                      check_finite: bool) -> Any:
    _no_overwrite(fname, overwrite_a=overwrite_a)
    lower = _static_bool(fname, "lower", lower)
    (x,) = _operands(fname, a)
    _check_square(fname, x)
    _check_finite(fname, check_finite, a=a)
    return _cholesky_core(x, lower)


def cho_factor(a: Any, lower: bool = False, overwrite_a: bool = False,
               check_finite: bool = True) -> tuple[Any, bool]:
    """``(c, lower)`` for `cho_solve`: c is the Cholesky factor of `cholesky`. SciPy
    leaves arbitrary values in c's other triangle; here it holds zeros (`cho_solve`
    reads only the factor's triangle either way)."""
    lower = _static_bool("cho_factor", "lower", lower)
    return _checked_cholesky("cho_factor", a, lower, overwrite_a, check_finite), lower


@eager_jit(static_argnames=("lower",))
def _cho_solve_core(c: Any, b: Any, lower: bool) -> Any:
    return _cho_solve(c, b, lower)


def cho_solve(c_and_lower: tuple[Any, bool], b: Any, overwrite_b: bool = False,
              check_finite: bool = True) -> Any:
    """Solve ``a @ x = b`` given ``(c, lower) = cho_factor(a)``; only c's `lower` (or
    upper) triangle is read. Shapes as in `solve`."""
    fname = "cho_solve"
    _no_overwrite(fname, overwrite_b=overwrite_b)
    if not isinstance(c_and_lower, (tuple, list)) or len(c_and_lower) != 2:
        raise TypeError(f"{fname}: the first argument must be the pair (c, lower) that "
                        f"cho_factor returns, got {type(c_and_lower).__name__}")
    c, lower = c_and_lower
    lower = _static_bool(fname, "lower", lower)
    x, y = _operands(fname, c, b)
    _check_square(fname, x, "c")
    x, y, vector = _rhs(fname, x, y, "c")
    _check_finite(fname, check_finite, c=c, b=b)
    return _unvector(_cho_solve_core(x, y, lower), vector)


# ---------------------------------------------------------------------------
# LU


def _lu_parts(a: Any) -> tuple[Any, Any, Any]:
    """(L, U, perm) with a[..., perm, :] = L @ U; L is (M, K), U is (K, N)."""
    m, n = _shape(a)[-2:]
    k = min(m, n)
    lu, _, perm = P.lu_p.bind(a)
    dt = _dtype(a)
    low = _tril(lu[..., :, :k], -1) + _eye(m, dt, k)
    up = _triu(lu[..., :k, :])
    return low, up, perm


@eager_jit(static_argnames=("permute_l", "p_indices"))
def _lu_core(a: Any, permute_l: bool, p_indices: bool) -> Any:
    low, up, perm = _lu_parts(a)
    inverse = convert(fnp.argsort(perm, axis=-1), dtypes.int32)     # a = L[inverse] @ U
    if permute_l:
        return fnp.take_along_axis(low, fnp.expand_dims(inverse, -1), axis=-2), up
    if p_indices:
        return inverse, low, up
    m = _shape(a)[-2]
    # p[perm[i], i] = 1, so that a = p @ L @ U
    onehot = fnp.expand_dims(perm, -1) == np.arange(m, dtype=np.int32)
    p = _mT(convert(onehot, dtypes.real_dtype(_dtype(a))))
    return p, low, up


def lu(a: Any, permute_l: bool = False, overwrite_a: bool = False, check_finite: bool = True,
       p_indices: bool = False) -> tuple[Any, ...]:
    """LU decomposition with partial pivoting: ``(p, l, u)`` with ``a = p @ l @ u``; `a`
    is (..., M, N), l (..., M, K) unit lower triangular, u (..., K, N) upper triangular,
    K = min(M, N). ``permute_l=True`` returns ``(p @ l, u)``; ``p_indices=True``
    returns p as int32 row indices with ``a = l[p] @ u``. p has a's real dtype.
    Derivatives are implemented for square matrices."""
    fname = "lu"
    _no_overwrite(fname, overwrite_a=overwrite_a)
    permute_l = _static_bool(fname, "permute_l", permute_l)
    p_indices = _static_bool(fname, "p_indices", p_indices)
    (x,) = _operands(fname, a)
    _check_matrix(fname, x)
    _check_finite(fname, check_finite, a=a)
    return tuple(_lu_core(x, permute_l, p_indices))


@eager_jit()
def _lu_factor_core(a: Any) -> tuple[Any, Any]:
    lu_, piv, _ = P.lu_p.bind(a)
    return lu_, piv


def lu_factor(a: Any, overwrite_a: bool = False, check_finite: bool = True) -> tuple[Any, Any]:
    """``(lu, piv)`` for `lu_solve`: L (unit diagonal not stored) and U packed in one
    matrix, and LAPACK's 0-based int32 pivots (row i was swapped with row piv[i])."""
    fname = "lu_factor"
    _no_overwrite(fname, overwrite_a=overwrite_a)
    (x,) = _operands(fname, a)
    _check_matrix(fname, x)
    _check_finite(fname, check_finite, a=a)
    return _lu_factor_core(x)


@eager_jit(static_argnames=("trans",))
def _lu_solve_core(lu_: Any, piv: Any, b: Any, trans: int) -> Any:
    perm = lu_pivots_to_permutation(piv, _shape(lu_)[-1])
    return _lu_solve_perm(lu_, perm, b, trans)


def lu_solve(lu_and_piv: tuple[Any, Any], b: Any, trans: int = 0, overwrite_b: bool = False,
             check_finite: bool = True) -> Any:
    """Solve ``a @ x = b`` (trans=0), ``a.T @ x = b`` (1) or ``a.conj().T @ x = b`` (2)
    given ``(lu, piv) = lu_factor(a)`` of a square `a`. Shapes as in `solve`."""
    fname = "lu_solve"
    _no_overwrite(fname, overwrite_b=overwrite_b)
    if not isinstance(lu_and_piv, (tuple, list)) or len(lu_and_piv) != 2:
        raise TypeError(f"{fname}: the first argument must be the pair (lu, piv) that "
                        f"lu_factor returns, got {type(lu_and_piv).__name__}")
    t = _trans(fname, trans)
    lu_, piv = lu_and_piv
    x, y = _operands(fname, lu_, b)
    _check_square(fname, x, "lu")
    p = asarray_operand(piv)
    n = _shape(x)[-1]
    if not dtypes.is_integer(_dtype(p)) or not _shape(p) or _shape(p)[-1] != n:
        raise shape_error(fname, f"piv must be an integer array of shape (..., {n}) for lu of "
                                 f"shape {_shape(x)}, got {aval_of(p).str_short()}")
    x, y, vector = _rhs(fname, x, y, "lu")
    batch = _shape(x)[:-2]
    _batch(fname, batch, _shape(p)[:-1])
    if _shape(p)[:-1] != batch:
        p = fnp.broadcast_to(p, (*batch, n))
    _check_finite(fname, check_finite, lu=lu_, b=b)
    return _unvector(_lu_solve_core(x, p, y, t), vector)


@eager_jit()
def _det_core(a: Any) -> Any:
    dt = _dtype(a)
    wide = dt
    if dtypes.default_float() == dtypes.float64:      # SciPy returns double precision
        wide = dtypes.complex128 if dtypes.is_complex(dt) else dtypes.float64
    n = _shape(a)[-1]
    batch = _shape(a)[:-2]
    if n == 0:
        return fnp.ones(batch, wide)
    lu_, piv, _ = P.lu_p.bind(a)
    swaps = fnp.sum(piv != np.arange(n, dtype=np.int32), axis=-1)
    sign = fnp.where(swaps % 2 == 1, convert(-1, wide), convert(1, wide))
    return sign * fnp.prod(convert(_diag(lu_), wide), axis=-1)


def det(a: Any, overwrite_a: bool = False, check_finite: bool = True) -> Any:
    """The determinant of a (stack of) square matrices, from the LU decomposition. As
    in SciPy, single-precision input gives a double-precision result (unless the
    default float is float32)."""
    fname = "det"
    _no_overwrite(fname, overwrite_a=overwrite_a)
    (x,) = _operands(fname, a)
    _check_square(fname, x)
    _check_finite(fname, check_finite, a=a)
    return _det_core(x)


_INV_STRUCTURES = (None, "gen", "general", "diagonal", "upper triangular", "lower triangular",
                   "pos", "sym", "her")


def inv(a: Any, overwrite_a: bool = False, check_finite: bool = True, *,
        assume_a: str | None = None, lower: bool = False) -> Any:
    """The inverse of a (stack of) square matrices. `assume_a` and `lower` read only the
    entries that structure has, as in `solve` ("diagonal": the diagonal, and the result
    is the inverse of that diagonal matrix; "pos", "sym", "her": the upper triangle, or
    the lower one with ``lower=True``). A singular matrix gives infinities or NaNs."""
    fname = "inv"
    _no_overwrite(fname, overwrite_a=overwrite_a)
    if assume_a not in _INV_STRUCTURES:
        raise ValueError(f"{fname}: {assume_a!r} is not a recognized matrix structure; use "
                         "one of " + ", ".join(repr(k) for k in _INV_STRUCTURES))
    lower = _static_bool(fname, "lower", lower)
    (x,) = _operands(fname, a)
    _check_square(fname, x)
    _check_finite(fname, check_finite, a=a)
    eye = _broadcast_batch(_eye(_shape(x)[-1], _dtype(x)), _shape(x)[:-2])
    return _solve_core(x, eye, lower, _STRUCTURES[assume_a], False)
