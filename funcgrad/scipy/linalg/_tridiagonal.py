"""The symmetric tridiagonal eigenproblem: eigh_tridiagonal.

It builds the dense tridiagonal matrix and calls the eigh primitive, so it runs
eagerly and under `jit` and is differentiable through eigh's rules (O(n^3) where
SciPy's dedicated routines are O(n^2): funcgrad trades speed for one code path).
"""
from __future__ import annotations

import operator
from typing import Any

import numpy as np

import funcgrad.numpy as fnp
from funcgrad import dtypes
from funcgrad import primitives as P
from funcgrad.core import Tracer
from funcgrad.errors import UnsupportedError
from funcgrad.numpy._eager import eager_jit
from funcgrad.scipy.linalg._util import (_batch, _check_finite, _dtype, _eye, _operands, _shape,
                                         _static_bool)

_SELECT = {"a": "a", "all": "a", 0: "a", "v": "v", "value": "v", 1: "v", "i": "i",
           "index": "i", 2: "i"}
_DRIVERS = ("auto", "stemr", "sterf", "stebz", "stev", "stevd")
_FOLLOWED = ("auto",)     # a named routine is one funcgrad does not run: it raises


@eager_jit(static_argnames=("eigvals_only", "start", "stop"))
def _eigh_tridiagonal_core(d: Any, e: Any, eigvals_only: bool, start: int, stop: int) -> Any:
    """Eigenpairs start..stop-1 (ascending) of the matrices with diagonal d and
    off-diagonal e. eigh reads the lower triangle only, so only e's sub-diagonal copy
    is built: e[j] at (j+1, j)."""
    n, dt = _shape(d)[-1], _dtype(d)
    sub = fnp.pad(e, [(0, 0)] * (len(_shape(e)) - 1) + [(0, 1)])
    a = (fnp.expand_dims(d, -2) * _eye(n, dt)
         + fnp.expand_dims(sub, -2) * _eye(n, dt, k=-1))
    v, w = P.eigh_p.bind(a, lower=True)
    w, v = w[..., start:stop], v[..., start:stop]
    return w if eigvals_only else (w, v)


def _select_range(fname: str, select_range: Any) -> np.ndarray:
    if isinstance(select_range, Tracer):
        raise TypeError(f"{fname}: select_range must be concrete (a pair of Python numbers), "
                        "not a traced value")
    sr = np.asarray(select_range)
    if sr.ndim != 1 or sr.size != 2 or sr[1] < sr[0]:
        raise ValueError(f"{fname}: select_range must be a 2-element array-like in "
                         f"nondecreasing order, got {select_range!r}")
    return sr


def _concrete(x: Any) -> np.ndarray | None:
    """x's values where they are known now (eagerly, or in an eager grad); else None."""
    if isinstance(x, Tracer):
        value = x.concrete_value()
        return None if value is None else np.asarray(value)
    return np.asarray(x)


def _by_value(fname: str, d: Any, e: Any, eigvals_only: bool, low: float,
              high: float) -> Any:
    """select='v': the eigenvalues in (low, high] and their vectors. How many there are
    depends on the values, so the values must be known now (funcgrad's shapes are
    static); the selection is then made by indices, through which derivatives flow."""
    values = [_concrete(x) for x in (d, e)]
    if values[0] is None or values[1] is None:
        raise UnsupportedError(
            f"{fname}: select='v' needs concrete d and e: how many eigenvalues lie in "
            "(min, max] depends on their values, and funcgrad arrays have static shapes. "
            "Under jit or vmap, use select='i' (a fixed number of eigenvalues) or compute "
            "them all and mask the ones outside the range")
    n = _shape(d)[-1]
    w_all = np.asarray(_eigh_tridiagonal_core(fnp.asarray(values[0]), fnp.asarray(values[1]),
                                              True, 0, n))
    inside = (w_all > low) & (w_all <= high)
    counts = inside.sum(-1)
    if counts.size and (counts != counts.flat[0]).any():
        raise ValueError(f"{fname}: select='v' finds different numbers of eigenvalues in the "
                         f"matrices of the stack ({sorted(set(counts.flat))}); a stack needs "
                         "one count")
    count = int(counts.flat[0]) if counts.size else 0
    index = inside.argmax(-1)[..., None] + np.arange(count)     # contiguous: w ascends
    w, v = _eigh_tridiagonal_core(d, e, False, 0, n)
    w = fnp.take_along_axis(w, index, axis=-1)
    if eigvals_only:
        return w
    return w, fnp.take_along_axis(v, index[..., None, :], axis=-1)


def eigh_tridiagonal(d: Any, e: Any, eigvals_only: bool = False, select: Any = "a",
                     select_range: Any = None, check_finite: bool = True, tol: float = 0.0,
                     lapack_driver: str = "auto") -> Any:
    """Eigenvalues (ascending) and eigenvectors (columns) of the real symmetric
    tridiagonal matrices with diagonal `d` (..., n) and off-diagonal `e` (..., n-1):
    ``(w, v)``, or w alone with ``eigvals_only=True``. Leading dimensions are batch
    dimensions and broadcast, as in SciPy >= 1.15.

    `select`: ``'a'`` all eigenvalues; ``'i'`` those with indices min..max (inclusive)
    of ``select_range=(min, max)``; ``'v'`` those in the interval (min, max], which
    needs concrete `d` and `e` (their number depends on the values; not under `jit`
    or `vmap`).

    Raises TypeError for complex input (as SciPy), ValueError for inconsistent
    lengths or a bad `select`/`select_range`/`lapack_driver`, and UnsupportedError
    for options funcgrad cannot honour: ``tol != 0`` and any driver but "auto" (the
    eigenpairs come from the dense matrix's eigh, LAPACK's syevd on CPU, which
    handles every `select`; as for `eigh`, naming a routine raises).

    Example: ``eigh_tridiagonal([2., 2.], [1.])`` gives ``w = [1., 3.]``.
    """
    fname = "eigh_tridiagonal"
    dx, ex = _operands(fname, d, e)
    for name, x in (("d", dx), ("e", ex)):
        if not _shape(x):
            raise ValueError(f"{fname}: {name} must be a 1-D array (or a stack of them), got "
                             "a scalar")
    if dtypes.is_complex(_dtype(dx)):
        raise TypeError(f"{fname}: only real d and e are supported (as in SciPy), got "
                        f"{_dtype(dx)}")
    n, ne = _shape(dx)[-1], _shape(ex)[-1]
    if n != ne + 1:
        raise ValueError(f"{fname}: d ({n}) must have one more element than e ({ne})")
    batch = _batch(fname, _shape(dx)[:-1], _shape(ex)[:-1])
    dx, ex = fnp.broadcast_to(dx, (*batch, n)), fnp.broadcast_to(ex, (*batch, ne))

    key = select.lower() if isinstance(select, str) else select
    kind = (_SELECT.get(key) if isinstance(key, (str, int, np.integer))
            and not isinstance(key, bool) else None)
    if kind is None:
        raise ValueError(f"{fname}: invalid argument for select: {select!r}; use 'a', 'v' "
                         "or 'i'")
    if not isinstance(lapack_driver, str):
        raise TypeError(f"{fname}: lapack_driver must be a str, got {lapack_driver!r}")
    if lapack_driver not in _DRIVERS:
        raise ValueError(f"{fname}: lapack_driver must be one of {_DRIVERS}, got "
                         f"{lapack_driver!r}")
    if lapack_driver not in _FOLLOWED:
        raise UnsupportedError(f"{fname}: lapack_driver={lapack_driver!r} is not supported: "
                               "funcgrad computes through eigh and cannot run that routine; "
                               "use 'auto'")
    if tol != 0:
        raise UnsupportedError(f"{fname}: tol={tol!r} is not supported: the eigenvalues are "
                               "computed to full precision; pass tol=0")
    eigvals_only = _static_bool(fname, "eigvals_only", eigvals_only)
    _check_finite(fname, check_finite, d=d, e=e)

    if kind == "a":
        return _eigh_tridiagonal_core(dx, ex, eigvals_only, 0, n)
    sr = _select_range(fname, select_range)
    if kind == "v":
        return _by_value(fname, dx, ex, eigvals_only, float(sr[0]), float(sr[1]))
    if sr.dtype.kind not in "iu":
        raise ValueError(f"{fname}: when using select='i', select_range must contain "
                         f"integers, got dtype {sr.dtype}")
    lo, hi = (operator.index(i) for i in sr)
    if lo < 0 or hi > n - 1:
        raise ValueError(f"{fname}: select_range {(lo, hi)} is out of bounds: indices must "
                         f"lie in [0, {n - 1}]")
    return _eigh_tridiagonal_core(dx, ex, eigvals_only, lo, hi + 1)
