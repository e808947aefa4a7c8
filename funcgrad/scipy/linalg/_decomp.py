"""Decompositions: QR, SVD and the Hermitian eigenproblem."""
from __future__ import annotations

import operator
from typing import Any


import funcgrad.numpy as fnp
from funcgrad import primitives as P
from funcgrad.errors import UnsupportedError
from funcgrad.numpy._eager import eager_jit
from funcgrad.scipy.linalg._util import (_check_finite, _check_matrix, _check_square, _no_overwrite,
                                         _operands, _shape, _static_bool)


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
