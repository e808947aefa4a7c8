"""funcgrad.scipy.linalg: SciPy's linear algebra over funcgrad arrays.

Everything here is a composition of the factorization primitives (cholesky, lu,
qr, svd, eigh, triangular_solve) and ordinary array operations, so it runs
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

Not provided: `schur`, `hessenberg`, `sqrtm`, `logm`, `funm`, `rsf2csf`
(they need a Schur decomposition, which has no primitive yet) and the
generalized eigenproblem of `eigh` (``b=...``).
"""
from __future__ import annotations

import math
import operator
from fractions import Fraction
from typing import Any

import numpy as np

import funcgrad.numpy as fnp
from funcgrad import dtypes, lax
from funcgrad import primitives as P
from funcgrad.autodiff import jvp, stop_gradient
from funcgrad.core import Tracer, shape_error
from funcgrad.errors import UnsupportedError
from funcgrad.numpy._eager import eager_jit
from funcgrad.numpy._util import asarray_operand, aval_of, convert

LinAlgError = np.linalg.LinAlgError

# ---------------------------------------------------------------------------
# helpers: operands, options, checks


def _shape(x: Any) -> tuple[int, ...]:
    return tuple(aval_of(x).shape)


def _dtype(x: Any) -> np.dtype:
    return aval_of(x).dtype


def _lapack_dtype(dt: np.dtype) -> np.dtype:
    """The dtype SciPy computes in for an operand of dtype `dt`."""
    if dtypes.is_complex(dt):
        return dt
    if dt in (dtypes.float16, dtypes.bfloat16):
        return dtypes.float32
    if dtypes.is_float(dt):
        return dt
    return dtypes.default_float()


def _operands(fname: str, *xs: Any) -> list[Any]:
    """The operands as arrays of one common LAPACK dtype (SciPy's promotion)."""
    ops = []
    for x in xs:
        if isinstance(x, (str, bytes)) or x is None:
            raise TypeError(f"{fname}: expected an array, got {type(x).__name__} {x!r:.40}")
        ops.append(asarray_operand(x))
    dt, _ = dtypes.result_type(*(aval_of(o) for o in ops))
    dt = _lapack_dtype(dt)
    return [convert(o, dt, False) for o in ops]


def _array(x: Any) -> Any:
    """`x` as a strongly typed array, like ``np.asarray`` (Python scalars included)."""
    if isinstance(x, (bool, int, float, complex)):
        return fnp.asarray(x)
    op = asarray_operand(x)
    if aval_of(op).weak_type:
        return convert(op, aval_of(op).dtype, False)
    return op


def _check_square(fname: str, x: Any, what: str = "a") -> None:
    shape = _shape(x)
    if len(shape) < 2:
        raise shape_error(fname, f"{what} must be a matrix (or a stack of matrices), got "
                                 f"shape {shape}")
    if shape[-1] != shape[-2]:
        raise shape_error(fname, f"{what} must be square in its last two dimensions, got "
                                 f"shape {shape}")


def _check_matrix(fname: str, x: Any, what: str = "a") -> None:
    if len(_shape(x)) < 2:
        raise shape_error(fname, f"{what} must be a matrix (or a stack of matrices), got "
                                 f"shape {_shape(x)}")


def _no_overwrite(fname: str, **flags: Any) -> None:
    for name, value in flags.items():
        if value:
            raise UnsupportedError(
                f"{fname}: {name}=True is not supported: funcgrad arrays are immutable, so "
                f"an input is never overwritten; pass {name}=False (the result is always a "
                "new array)")


def _check_finite(fname: str, check_finite: bool, **arrays: Any) -> None:
    """SciPy's ``check_finite``: raise ValueError if a concrete input holds NaN or inf.
    Traced inputs have no values to check and pass through."""
    if not check_finite:
        return
    for name, x in arrays.items():
        if x is None or isinstance(x, Tracer):
            continue
        v = np.asarray(x)
        if not dtypes.is_inexact(v.dtype):
            continue
        if v.dtype == dtypes.bfloat16:
            v = v.astype(np.float32)
        if not np.isfinite(v).all():
            raise ValueError(f"{fname}: array must not contain infs or NaNs ({name} has "
                             "some); pass check_finite=False to skip this check")


def _batch(fname: str, *shapes: tuple[int, ...]) -> tuple[int, ...]:
    try:
        return tuple(np.broadcast_shapes(*shapes))
    except ValueError:
        raise shape_error(fname, f"the batch dimensions {', '.join(map(str, shapes))} do not "
                                 "broadcast against each other") from None


def _rhs(fname: str, a: Any, b: Any, what: str = "a") -> tuple[Any, Any, bool]:
    """Check a right-hand side `b` against the (stack of) n x n matrices `a` and broadcast
    both to their common batch: returns (a, b as (..., n, k), whether b was a vector)."""
    ashape, bshape = _shape(a), _shape(b)
    n = ashape[-1]
    if len(bshape) == 0:
        raise shape_error(fname, f"b must be a vector or a matrix (or a stack of them), got "
                                 f"a scalar; {what} has shape {ashape}")
    vector = len(bshape) == 1
    if (bshape[0] if vector else bshape[-2]) != n:
        raise shape_error(fname, f"{what} of shape {ashape} and b of shape {bshape} are "
                                 f"incompatible: b needs {n} rows")
    if vector:
        b = fnp.expand_dims(b, -1)
    batch = _batch(fname, ashape[:-2], _shape(b)[:-2])
    return _broadcast_batch(a, batch), _broadcast_batch(b, batch), vector


def _broadcast_batch(x: Any, batch: tuple[int, ...]) -> Any:
    shape = (*batch, *_shape(x)[-2:])
    return x if _shape(x) == shape else fnp.broadcast_to(x, shape)


def _unvector(x: Any, vector: bool) -> Any:
    return fnp.squeeze(x, -1) if vector else x


def _mT(x: Any) -> Any:
    return fnp.swapaxes(x, -1, -2)


def _mH(x: Any) -> Any:
    x = _mT(x)
    return fnp.conj(x) if dtypes.is_complex(_dtype(x)) else x


def _tri_mask(n: int, m: int, k: int, lower: bool) -> np.ndarray:
    """Where the k-th lower (or upper) triangle of an (n, m) matrix is."""
    i = np.arange(n)[:, None]
    j = np.arange(m)[None, :]
    return (j - i <= k) if lower else (j - i >= k)


def _tril(x: Any, k: int = 0) -> Any:
    n, m = _shape(x)[-2:]
    return fnp.where(_tri_mask(n, m, k, True), x, convert(0, _dtype(x)))


def _triu(x: Any, k: int = 0) -> Any:
    n, m = _shape(x)[-2:]
    return fnp.where(_tri_mask(n, m, k, False), x, convert(0, _dtype(x)))


def _eye(n: int, dt: np.dtype, m: int | None = None, k: int = 0) -> Any:
    return fnp.asarray(np.eye(n, m, k, dtype=dt))


def _diag(x: Any) -> Any:
    return fnp.diagonal(x, 0, -2, -1)


def _trisolve(a: Any, b: Any, *, lower: bool, trans: int = 0,
              unit_diagonal: bool = False) -> Any:
    """op(a) x = b with op = identity, transpose (trans=1) or conjugate transpose (2);
    only the `lower` (or upper) triangle of a is read. a, b share their batch dims."""
    return P.triangular_solve_p.bind(a, b, left_side=True, lower=lower,
                                     transpose_a=trans != 0, conjugate_a=trans == 2,
                                     unit_diagonal=unit_diagonal)


def _from_triangle(a: Any, lower: bool, hermitian: bool) -> Any:
    """The symmetric (or Hermitian) matrix that `a`'s lower (or upper) triangle defines;
    a Hermitian matrix takes the real part of the diagonal, like LAPACK."""
    dt = _dtype(a)
    strict = _tril(a, -1) if lower else _triu(a, 1)
    diag = fnp.where(np.eye(_shape(a)[-1], dtype=bool), a, convert(0, dt))
    if hermitian and dtypes.is_complex(dt):
        diag = convert(fnp.real(diag), dt)
        return strict + diag + _mH(strict)
    return strict + diag + _mT(strict)


def _lu_solve_perm(lu: Any, perm: Any, b: Any, trans: int) -> Any:
    """Solve a x = b (trans=0), a^T x = b (1) or a^H x = b (2) from the LU factors of a
    (a[perm] = L U, L unit lower, U upper, both packed in `lu`); b is (..., n, k) with
    lu's batch."""
    if _shape(lu)[-1] == 0:
        return b
    if trans == 0:
        pb = fnp.take_along_axis(b, fnp.expand_dims(perm, -1), axis=-2)
        y = _trisolve(lu, pb, lower=True, unit_diagonal=True)
        return _trisolve(lu, y, lower=False)
    # a^T = U^T L^T P: solve U^T, then L^T, then undo the row permutation
    y = _trisolve(lu, b, lower=False, trans=trans)
    z = _trisolve(lu, y, lower=True, trans=trans, unit_diagonal=True)
    inverse = fnp.argsort(perm, axis=-1)
    return fnp.take_along_axis(z, fnp.expand_dims(inverse, -1), axis=-2)


def _cholesky(a: Any, lower: bool) -> Any:
    """The lower Cholesky factor L of the Hermitian matrix given by a's lower triangle
    (lower=True) or the upper one (then returned as U = L^H, a = U^H U)."""
    if lower:
        return P.cholesky_p.bind(a)
    return _mH(P.cholesky_p.bind(_mH(a)))


def _cho_solve(c: Any, b: Any, lower: bool) -> Any:
    if lower:       # L L^H x = b
        return _trisolve(c, _trisolve(c, b, lower=True), lower=True, trans=2)
    return _trisolve(c, _trisolve(c, b, lower=False, trans=2), lower=False)    # U^H U x = b


def _trans(fname: str, trans: Any) -> int:
    table = {0: 0, 1: 1, 2: 2, "N": 0, "T": 1, "C": 2, "n": 0, "t": 1, "c": 2}
    if isinstance(trans, bool) or not isinstance(trans, (int, str, np.integer)) or \
            trans not in table:
        raise ValueError(f"{fname}: trans must be 0, 1, 2, 'N', 'T' or 'C', got {trans!r}")
    return table[trans]


def _static_bool(fname: str, name: str, value: Any) -> bool:
    if isinstance(value, Tracer):
        raise TypeError(f"{fname}: {name} must be a Python bool, not a traced value")
    return bool(value)


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


def _pivots_to_permutation(piv: Any, m: int) -> Any:
    """The row permutation that LAPACK's sequential row swaps `piv` (..., k) make of m
    rows: perm (..., m) int32 with (swapped a)[i] = a[perm[i]]."""
    k = _shape(piv)[-1]
    batch = _shape(piv)[:-1]
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

    perm0 = fnp.broadcast_to(fnp.asarray(rows), (*batch, m))
    return lax.fori_loop(0, k, swap, perm0)


@eager_jit(static_argnames=("trans",))
def _lu_solve_core(lu_: Any, piv: Any, b: Any, trans: int) -> Any:
    perm = _pivots_to_permutation(piv, _shape(lu_)[-1])
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


# ---------------------------------------------------------------------------
# QR, SVD, eigh, polar


@eager_jit(static_argnames=("mode",))
def _qr_core(a: Any, mode: str) -> Any:
    if mode == "r":
        m, n = _shape(a)[-2:]
        _, r = P.qr_p.bind(a, full_matrices=False)
        if m > n:       # the rows of the full R below the economic one are zeros
            pad = [(0, 0)] * (len(_shape(a)) - 2) + [(0, m - n), (0, 0)]
            r = fnp.pad(r, pad)
        return (r,)
    return tuple(P.qr_p.bind(a, full_matrices=mode == "full"))


def qr(a: Any, overwrite_a: bool = False, lwork: int | None = None, mode: str = "full",
       pivoting: bool = False, check_finite: bool = True) -> tuple[Any, ...]:
    """QR decomposition ``a = q @ r`` of (..., M, N) matrices. `mode`: "full" (q is
    (M, M), r (M, N)), "economic" (q (M, K), r (K, N), K = min(M, N)) or "r" (returns
    the 1-tuple ``(r,)`` with r as in "full"). "raw" mode and ``pivoting=True`` are not
    supported. Derivatives need M >= N ("economic", "r") or square matrices."""
    fname = "qr"
    _no_overwrite(fname, overwrite_a=overwrite_a)
    if mode not in ("full", "r", "economic", "raw"):
        raise ValueError(f"{fname}: mode must be one of 'full', 'r', 'economic', 'raw', got "
                         f"{mode!r}")
    if mode == "raw":
        raise UnsupportedError(f"{fname}: mode='raw' (LAPACK's Householder reflectors) is "
                               "not supported; use 'full', 'economic' or 'r'")
    if pivoting:
        raise UnsupportedError(f"{fname}: pivoting=True (rank-revealing QR) is not "
                               "supported")
    if lwork is not None and lwork != -1:
        raise UnsupportedError(f"{fname}: lwork={lwork!r} is not supported: the work array "
                               "is sized by the backend; pass lwork=None")
    (x,) = _operands(fname, a)
    _check_matrix(fname, x)
    _check_finite(fname, check_finite, a=a)
    return tuple(_qr_core(x, mode))


@eager_jit(static_argnames=("full_matrices", "compute_uv"))
def _svd_core(a: Any, full_matrices: bool, compute_uv: bool) -> Any:
    if not compute_uv:
        return P.svd_p.bind(a, full_matrices=False, compute_uv=False)[0]
    s, u, vh = P.svd_p.bind(a, full_matrices=full_matrices, compute_uv=True)
    return u, s, vh


def svd(a: Any, full_matrices: bool = True, compute_uv: bool = True,
        overwrite_a: bool = False, check_finite: bool = True,
        lapack_driver: str = "gesdd") -> Any:
    """Singular value decomposition ``a = u @ diag(s) @ vh`` of (..., M, N) matrices:
    ``(u, s, vh)``, s descending and real; only s with ``compute_uv=False``. The
    backend picks the routine (LAPACK gesdd on CPU); ``lapack_driver="gesvd"`` is
    not supported. Derivatives of u and vh need ``full_matrices=False`` unless the
    matrices are square."""
    fname = "svd"
    _no_overwrite(fname, overwrite_a=overwrite_a)
    if lapack_driver not in ("gesdd", "gesvd"):
        raise ValueError(f'{fname}: lapack_driver must be "gesdd" or "gesvd", not '
                         f'"{lapack_driver}"')
    if lapack_driver == "gesvd":
        raise UnsupportedError(f'{fname}: lapack_driver="gesvd" is not supported: funcgrad '
                               'lets the backend pick the routine; use the default "gesdd"')
    full_matrices = _static_bool(fname, "full_matrices", full_matrices)
    compute_uv = _static_bool(fname, "compute_uv", compute_uv)
    (x,) = _operands(fname, a)
    _check_matrix(fname, x)
    _check_finite(fname, check_finite, a=a)
    out = _svd_core(x, full_matrices, compute_uv)
    return tuple(out) if compute_uv else out


@eager_jit(static_argnames=("lower", "eigvals_only", "subset"))
def _eigh_core(a: Any, lower: bool, eigvals_only: bool, subset: tuple[int, int] | None) -> Any:
    v, w = P.eigh_p.bind(a, lower=lower)
    if subset is not None:
        lo, hi = subset
        w = w[..., lo:hi + 1]
        v = v[..., lo:hi + 1]
    return w if eigvals_only else (w, v)


def _subset(fname: str, subset_by_index: Any, n: int) -> tuple[int, int] | None:
    if subset_by_index is None:
        return None
    try:
        lo, hi = (operator.index(i) for i in subset_by_index)
    except (TypeError, ValueError):
        raise ValueError(f"{fname}: subset_by_index must be a pair of integers (first, last), "
                         f"got {subset_by_index!r}") from None
    if not 0 <= lo <= hi <= n - 1:
        raise ValueError(f"{fname}: requested eigenvalue indices are not valid: the valid "
                         f"range is [0, {n - 1}] with first <= last, got first={lo}, "
                         f"last={hi}")
    return lo, hi


def eigh(a: Any, b: Any = None, *, lower: bool = True, eigvals_only: bool = False,
         overwrite_a: bool = False, overwrite_b: bool = False, type: int = 1,  # noqa: A002
         check_finite: bool = True, subset_by_index: Any = None,
         subset_by_value: Any = None, driver: str | None = None) -> Any:
    """Eigenvalues (ascending) and eigenvectors (columns) of a (stack of) Hermitian
    matrices: ``(w, v)``, or w alone with ``eigvals_only=True``. Only the lower
    triangle (the upper one with ``lower=False``) and the real part of the diagonal
    are read. ``subset_by_index=(first, last)`` keeps eigenvalues first..last
    (inclusive). Not supported: the generalized problem (`b`), ``subset_by_value``
    (its size depends on the values) and choosing a `driver`."""
    fname = "eigh"
    if b is not None:
        raise UnsupportedError(f"{fname}: the generalized eigenproblem (b=...) is not "
                               "implemented; pass b=None")
    if subset_by_value is not None:
        raise UnsupportedError(f"{fname}: subset_by_value is not supported (the number of "
                               "eigenvalues it selects depends on the values); use "
                               "subset_by_index or select from the result")
    if driver is not None:
        raise UnsupportedError(f"{fname}: driver={driver!r} is not supported: the backend "
                               "picks the routine; pass driver=None")
    if type not in (1, 2, 3):
        raise ValueError(f"{fname}: type must be 1, 2 or 3, got {type!r}")
    _no_overwrite(fname, overwrite_a=overwrite_a, overwrite_b=overwrite_b)
    lower = _static_bool(fname, "lower", lower)
    eigvals_only = _static_bool(fname, "eigvals_only", eigvals_only)
    (x,) = _operands(fname, a)
    _check_square(fname, x)
    subset = _subset(fname, subset_by_index, _shape(x)[-1])
    _check_finite(fname, check_finite, a=a)
    out = _eigh_core(x, lower, eigvals_only, subset)
    return out if eigvals_only else tuple(out)


def eigvalsh(a: Any, b: Any = None, *, lower: bool = True, overwrite_a: bool = False,
             overwrite_b: bool = False, type: int = 1, check_finite: bool = True,  # noqa: A002
             subset_by_index: Any = None, subset_by_value: Any = None,
             driver: str | None = None) -> Any:
    """The eigenvalues (ascending) of a (stack of) Hermitian matrices; see `eigh`."""
    return eigh(a, b, lower=lower, eigvals_only=True, overwrite_a=overwrite_a,
                overwrite_b=overwrite_b, type=type, check_finite=check_finite,
                subset_by_index=subset_by_index, subset_by_value=subset_by_value,
                driver=driver)


@eager_jit(static_argnames=("right",))
def _polar_core(a: Any, right: bool) -> tuple[Any, Any]:
    s, w, vh = P.svd_p.bind(a, full_matrices=False, compute_uv=True)
    u = w @ vh
    sc = convert(fnp.expand_dims(s, -1), _dtype(a))
    if right:
        p = _mH(vh) @ (sc * vh)             # V S V^H
    else:
        p = w @ (sc * _mH(w))               # W S W^H
    return u, p


def polar(a: Any, side: str = "right") -> tuple[Any, Any]:
    """Polar decomposition ``a = u @ p`` (side="right") or ``a = p @ u`` ("left") of
    (..., M, N) matrices, from the SVD: u has orthonormal rows or columns, p is
    Hermitian positive semi-definite, (N, N) for "right" and (M, M) for "left"."""
    fname = "polar"
    if side not in ("right", "left"):
        raise ValueError(f"{fname}: `side` must be either 'right' or 'left', got {side!r}")
    (x,) = _operands(fname, a)
    _check_matrix(fname, x)
    return _polar_core(x, side == "right")


# ---------------------------------------------------------------------------
# the matrix exponential

# Higham (2005), "The scaling and squaring method for the matrix exponential
# revisited", Table 2.3: the [m/m] Pade approximant of exp meets the unit roundoff
# for 1-norms up to theta_m. funcgrad uses the largest degree of each precision.
_PADE = {dtypes.float64: (13, 5.371920351148152e0),
         dtypes.float32: (7, 3.925724783138660e0)}


def _pade_coefficients(m: int) -> list[float]:
    """c_j of the [m/m] Pade approximant of exp: p(x) = sum_j c_j x^j, q(x) = p(-x)."""
    f = math.factorial
    return [float(Fraction(f(2 * m - j) * f(m), f(2 * m) * f(j) * f(m - j)))
            for j in range(m + 1)]


def _pade(a: Any, m: int) -> tuple[Any, Any]:
    """(U, V) with the [m/m] approximant p/q = (V + U) / (V - U): U holds the odd
    powers of a, V the even ones."""
    c = _pade_coefficients(m)
    eye = _eye(_shape(a)[-1], _dtype(a))
    a2 = a @ a
    if m == 13:     # Higham's evaluation: 6 matrix products
        a4 = a2 @ a2
        a6 = a4 @ a2
        u = a @ (a6 @ (c[13] * a6 + c[11] * a4 + c[9] * a2)
                 + c[7] * a6 + c[5] * a4 + c[3] * a2 + c[1] * eye)
        v = (a6 @ (c[12] * a6 + c[10] * a4 + c[8] * a2)
             + c[6] * a6 + c[4] * a4 + c[2] * a2 + c[0] * eye)
        return u, v
    powers = [eye, a2]                      # the even powers a^0, a^2, ..., a^(m-1)
    while 2 * len(powers) <= m:
        powers.append(powers[-1] @ a2)
    odd = c[1] * eye
    even = c[0] * eye
    for i, p in enumerate(powers[1:], start=1):
        even = even + c[2 * i] * p
        odd = odd + c[2 * i + 1] * p
    return a @ odd, even


def _square_some(i: Any, r: Any, s: Any) -> Any:
    return fnp.where(i < s, r @ r, r)


def _keep_some(i: Any, r: Any, s: Any) -> Any:
    return r


def _square_step(i: Any, carry: tuple[Any, Any, Any]) -> tuple[Any, Any, Any]:
    """Squaring step i: each matrix squares while i < its s (..., 1, 1); the step is
    skipped once no matrix needs it (i >= smax). Closing over nothing, the loop's
    staged programs are reused from call to call."""
    r, s, smax = carry
    return lax.cond(i < smax, _square_some, _keep_some, i, r, s), s, smax


@eager_jit(static_argnames=("upper_triangular", "max_squarings"))
def _expm_core(a: Any, upper_triangular: bool, max_squarings: int) -> Any:
    if _shape(a)[-1] == 0:
        return a
    dt = _dtype(a)
    m, theta = _PADE[dtypes.real_dtype(dt)]
    # the 1-norm only picks the number of squarings (by comparison and rounding): no
    # derivative flows through it
    norm = stop_gradient(fnp.max(fnp.sum(fnp.abs(a), axis=-2), axis=-1))
    s = fnp.maximum(fnp.ceil(fnp.log2(norm / theta)), 0.0)
    too_many = s > max_squarings
    s = fnp.expand_dims(fnp.where(too_many, 0.0, s), (-1, -2))
    u, v = _pade(a * convert(fnp.exp2(-s), dt), m)
    if upper_triangular:
        r = _trisolve(v - u, v + u, lower=False)
    else:
        lu_, _, perm = P.lu_p.bind(v - u)
        r = _lu_solve_perm(lu_, perm, v + u, 0)
    if max_squarings:
        r, _, _ = lax.fori_loop(0, max_squarings, _square_step, (r, s, fnp.max(s)))
    return fnp.where(fnp.expand_dims(too_many, (-1, -2)), convert(np.nan, dt), r)


def expm(A: Any, *, upper_triangular: bool = False, max_squarings: int = 16) -> Any:
    """The matrix exponential of a (stack of) square matrices, by scaling and squaring
    with a Pade approximant (Higham 2005): A is scaled by 2**-s so that its 1-norm
    is at most theta_13 (theta_7 in single precision), the [13/13] ([7/7])
    approximant is evaluated and squared s times. SciPy and JAX pick a lower degree
    for small norms to save a few matrix products; funcgrad keeps one degree, which
    is as accurate and gives one small program to stage and differentiate.
    Differentiable by composition: its JVP is the Frechet derivative (see
    `expm_frechet`).

    ``upper_triangular=True`` promises that `A` is upper triangular (the final solve
    is then a triangular one). A matrix whose norm needs more than `max_squarings`
    squarings (1-norm above about 5.4 * 2**max_squarings in double precision) gives
    NaNs, as in JAX."""
    fname = "expm"
    upper_triangular = _static_bool(fname, "upper_triangular", upper_triangular)
    if isinstance(max_squarings, bool) or not isinstance(max_squarings, (int, np.integer)) \
            or max_squarings < 0:
        raise ValueError(f"{fname}: max_squarings must be a non-negative int, got "
                         f"{max_squarings!r}")
    (x,) = _operands(fname, A)
    _check_square(fname, x, "A")
    return _expm_core(x, upper_triangular, int(max_squarings))


def expm_frechet(A: Any, E: Any, method: str | None = None, compute_expm: bool = True,
                 check_finite: bool = True) -> Any:
    """The Frechet derivative of expm at `A` in the direction `E`: ``(expm(A), L)``, or L
    alone with ``compute_expm=False``. method None or "SPS" differentiates `expm`'s
    scaling-Pade-squaring (its JVP); "blockEnlarge" reads L off
    ``expm([[A, E], [0, A]])``."""
    fname = "expm_frechet"
    if method not in (None, "SPS", "blockEnlarge"):
        raise ValueError(f"{fname}: unknown implementation {method!r}; use None, 'SPS' or "
                         "'blockEnlarge'")
    x, e = _operands(fname, A, E)
    _check_square(fname, x, "A")
    if _shape(x) != _shape(e):
        raise shape_error(fname, f"A of shape {_shape(x)} and E of shape {_shape(e)} must "
                                 "have the same shape")
    _check_finite(fname, check_finite, A=A, E=E)
    if method == "blockEnlarge":
        n = _shape(x)[-1]
        big = fnp.concatenate([fnp.concatenate([x, e], axis=-1),
                               fnp.concatenate([fnp.zeros_like(x), x], axis=-1)], axis=-2)
        out = expm(big)
        ex, frechet = out[..., :n, :n], out[..., :n, n:]
    else:
        ex, frechet = jvp(expm, (x,), (e,))
    return (ex, frechet) if compute_expm else frechet


# ---------------------------------------------------------------------------
# special matrices


def block_diag(*arrs: Any) -> Any:
    """The block-diagonal matrix with the arguments on its diagonal. A 1-d argument is a
    (1, n) row, a scalar a (1, 1) block; dims before the last two are batch dims and
    broadcast. The dtype is the arguments' result type; no argument gives a (1, 0)
    array."""
    if not arrs:
        return fnp.zeros((1, 0), dtypes.default_float())
    ops = []
    for x in arrs:
        op = _array(x)
        shape = _shape(op)
        if len(shape) < 2:
            op = fnp.reshape(op, (1, -1) if shape else (1, 1))
        ops.append(op)
    dt, _ = dtypes.result_type(*(aval_of(o) for o in ops))
    batch = _batch("block_diag", *(_shape(o)[:-2] for o in ops))
    cols = sum(_shape(o)[-1] for o in ops)
    rows = []
    start = 0
    for o in ops:
        c = _shape(o)[-1]
        o = _broadcast_batch(convert(o, dt), batch)
        pad = [(0, 0)] * len(batch) + [(0, 0), (start, cols - start - c)]
        rows.append(fnp.pad(o, pad))
        start += c
    return fnp.concatenate(rows, axis=-2)


def _atleast_1d(x: Any) -> Any:
    op = _array(x)
    return fnp.reshape(op, (1,)) if not _shape(op) else op


def toeplitz(c: Any, r: Any = None) -> Any:
    """The Toeplitz matrix with first column `c` and first row `r` (default: conj(c));
    r[0] is ignored, the diagonal is c[0]. Dims of c and r before the last are batch
    dims and broadcast: the result is (..., len(c), len(r))."""
    cc = _atleast_1d(c)
    rr = fnp.conj(cc) if r is None else _atleast_1d(r)
    m, n = _shape(cc)[-1], _shape(rr)[-1]
    dt, _ = dtypes.result_type(aval_of(cc), aval_of(rr))
    batch = _batch("toeplitz", _shape(cc)[:-1], _shape(rr)[:-1])
    if m == 0 or n == 0:
        return fnp.zeros((*batch, m, n), dt)
    cc = fnp.broadcast_to(convert(cc, dt), (*batch, m))
    rr = fnp.broadcast_to(convert(rr, dt), (*batch, n))
    vals = fnp.concatenate([fnp.flip(cc, -1), rr[..., 1:]], axis=-1)
    idx = m - 1 - np.arange(m)[:, None] + np.arange(n)[None, :]      # T[i, j] = vals[idx]
    return fnp.take(vals, idx, axis=-1)


def circulant(c: Any) -> Any:
    """The circulant matrix with first column `c`: C[i, j] = c[(i - j) % n]; dims of c
    before the last are batch dims."""
    cc = _atleast_1d(c)
    n = _shape(cc)[-1]
    if n == 0:
        return fnp.zeros((*_shape(cc)[:-1], 0, 0), _dtype(cc))
    idx = (np.arange(n)[:, None] - np.arange(n)[None, :]) % n
    return fnp.take(cc, idx, axis=-1)


def hilbert(n: int) -> Any:
    """The n x n Hilbert matrix, H[i, j] = 1 / (i + j + 1) (famously ill-conditioned)."""
    n = operator.index(n)
    if n < 0:
        raise ValueError(f"hilbert: n must be non-negative, got {n}")
    i = np.arange(n)
    return fnp.asarray((1.0 / (i[:, None] + i[None, :] + 1)).astype(dtypes.default_float()))


def companion(a: Any) -> Any:
    """The companion matrix of the polynomial with coefficients `a` (highest degree
    first): first row ``-a[1:] / a[0]``, ones on the subdiagonal; (..., N-1, N-1) for
    a of shape (..., N), N >= 2. A leading coefficient of zero raises ValueError when
    `a` is concrete (a traced one gives infinities)."""
    fname = "companion"
    x = _array(a)
    shape = _shape(x)
    if not shape or shape[-1] < 2:
        raise ValueError(f"{fname}: the length of `a` along the last axis must be at least "
                         f"2, got shape {shape}")
    if not isinstance(x, Tracer) and np.any(np.asarray(x)[..., 0] == 0):
        raise ValueError(f"{fname}: the first coefficient(s) of `a` (a[..., 0]) must not be "
                         "zero")
    first = fnp.true_divide(fnp.negative(x[..., 1:]), x[..., :1])
    n = shape[-1] - 1
    dt = _dtype(first)
    sub = fnp.broadcast_to(_eye(n, dt, k=-1)[1:], (*shape[:-1], n - 1, n))
    return fnp.concatenate([fnp.expand_dims(first, -2), sub], axis=-2)


__all__ = ["LinAlgError", "block_diag", "cho_factor", "cho_solve", "cholesky", "circulant",
           "companion", "det", "eigh", "eigvalsh", "expm", "expm_frechet", "hilbert", "inv",
           "lu", "lu_factor", "lu_solve", "polar", "qr", "solve", "solve_triangular", "svd",
           "toeplitz"]
