"""Shared by funcgrad.scipy.linalg's modules: operands in SciPy's dtypes, option and
shape checks, and small matrix helpers (triangles, transposes, triangular solves)."""
from __future__ import annotations

from typing import Any

import numpy as np

import funcgrad.numpy as fnp
from funcgrad import dtypes
from funcgrad import primitives as P
from funcgrad.core import Tracer, shape_error
from funcgrad.errors import UnsupportedError
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


