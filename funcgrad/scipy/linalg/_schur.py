"""The Schur and Hessenberg decompositions (LAPACK gees and gehrd, CPU only), and
rsf2csf, which turns a real Schur form into a complex one."""
from __future__ import annotations

from typing import Any

import numpy as np

import funcgrad.numpy as fnp
from funcgrad import dtypes, lax
from funcgrad import primitives as P
from funcgrad.errors import UnsupportedError
from funcgrad.numpy._eager import eager_jit
from funcgrad.numpy._util import convert
from funcgrad.scipy.linalg._matfuncs_schur import _complex_dtype
from funcgrad.scipy.linalg._util import (_check_finite, _check_square, _dtype, _eye, _mH,
                                         _no_overwrite, _operands, _shape, _triu)


def _no_lwork(fname: str, lwork: Any) -> None:
    if lwork is not None and lwork != -1:
        raise UnsupportedError(f"{fname}: lwork={lwork!r} is not supported: the work array "
                               "is sized by the backend; pass lwork=None")


@eager_jit()
def _schur_core(a: Any) -> tuple[Any, Any]:
    if _shape(a)[-1] == 0:
        return a, a
    t, z = P.schur_p.bind(a, compute_schur_vectors=True)
    return t, z


def schur(a: Any, output: str = "real", lwork: int | None = None, overwrite_a: bool = False,
          sort: Any = None, check_finite: bool = True) -> tuple[Any, Any]:
    """Schur decomposition ``a = z @ t @ z^H`` of (..., N, N) matrices: z unitary; t upper
    triangular (``output="complex"``, or a complex `a`) or, for a real `a` with
    ``output="real"``, quasi-upper-triangular with a 2x2 block for each pair of complex
    conjugate eigenvalues. Eigenvalues come in LAPACK's order; ordering them (`sort`)
    is not supported. CPU only. Derivatives are defined where t is triangular (see
    funcgrad.lax.linalg.schur)."""
    fname = "schur"
    if output not in ("real", "complex", "r", "c"):
        raise ValueError(f"{fname}: output must be 'real' or 'complex', got {output!r}")
    if sort is not None:
        raise UnsupportedError(f"{fname}: sort={sort!r} is not supported (reordering the "
                               "Schur form needs LAPACK's trsen, which funcgrad does not "
                               "call); pass sort=None")
    _no_lwork(fname, lwork)
    _no_overwrite(fname, overwrite_a=overwrite_a)
    (x,) = _operands(fname, a)
    _check_square(fname, x)
    _check_finite(fname, check_finite, a=a)
    if output in ("complex", "c"):
        x = convert(x, _complex_dtype(_dtype(x)))
    return _schur_core(x)


def _givens_step(m: Any, carry: tuple[Any, Any]) -> tuple[Any, Any]:
    """Zero t[k, k-1] (k = n - 1 - m) with a unitary rotation of rows/columns k-1, k."""
    t, z = carry
    n = _shape(t)[-1]
    dt = _dtype(t)
    k = n - 1 - m
    rows = np.arange(n)
    ek, ek1 = convert(rows == k, dt), convert(rows == k - 1, dt)

    def entry(e1: Any, e2: Any) -> Any:
        return fnp.sum(fnp.sum(t * e1[:, None] * e2[None, :], axis=-1), axis=-1)

    a, b, c, d = entry(ek1, ek1), entry(ek1, ek), entry(ek, ek1), entry(ek, ek)
    eps = np.finfo(dtypes.real_dtype(dt)).eps
    block = fnp.abs(c) > eps * (fnp.abs(a) + fnp.abs(d))
    half = (a - d) / 2
    mu = half + fnp.sqrt(half * half + b * c)          # an eigenvalue of the block, minus d
    r = fnp.sqrt(fnp.abs(mu) ** 2 + fnp.abs(c) ** 2)
    safe = fnp.where(block, r, 1)
    cs = fnp.where(block, mu / safe, 1)
    sn = fnp.where(block, c / safe, 0)
    cs, sn = cs[..., None, None], sn[..., None, None]
    eye = _eye(n, dt)
    pk, pk1 = fnp.outer(ek, ek), fnp.outer(ek1, ek1)
    g = eye - pk - pk1 + fnp.conj(cs) * pk1 + sn * fnp.outer(ek1, ek) \
        - sn * fnp.outer(ek, ek1) + cs * pk                         # [[c*, s], [-s, c]]
    gh = _mH(g)
    t = g @ t @ gh
    keep = 1 - fnp.outer(ek, ek1)
    return t * keep, z @ gh


@eager_jit()
def _rsf2csf_core(t: Any, z: Any) -> tuple[Any, Any]:
    n = _shape(t)[-1]
    if n < 2:
        return t, z
    return lax.fori_loop(0, n - 1, _givens_step, (t, z))


def rsf2csf(T: Any, Z: Any, check_finite: bool = True) -> tuple[Any, Any]:
    """Convert a real Schur form ``(T, Z)`` (from ``schur(a)`` of a real `a`) to a complex
    one: ``(T2, Z2)`` with T2 upper triangular and ``Z2 @ T2 @ Z2^H == Z @ T @ Z^T``;
    each 2x2 block is split by a Givens rotation (SciPy's method)."""
    fname = "rsf2csf"
    t, z = _operands(fname, T, Z)
    _check_square(fname, t, "T")
    _check_square(fname, z, "Z")
    if _shape(t)[-1] != _shape(z)[-1]:
        raise ValueError(f"{fname}: T of shape {_shape(t)} and Z of shape {_shape(z)} must "
                         "have the same size")
    if dtypes.is_complex(_dtype(t)) or dtypes.is_complex(_dtype(z)):
        raise ValueError(f"{fname}: T and Z must be real (a real Schur form), got "
                         f"{_dtype(t)} and {_dtype(z)}")
    _check_finite(fname, check_finite, T=T, Z=Z)
    cdt = _complex_dtype(_dtype(t))
    return _rsf2csf_core(convert(t, cdt), convert(z, cdt))


@eager_jit(static_argnames=("calc_q",))
def _hessenberg_core(a: Any, calc_q: bool) -> Any:
    n = _shape(a)[-1]
    if n < 3:                                   # already Hessenberg; Q = I
        return (a, fnp.broadcast_to(_eye(n, _dtype(a)), _shape(a))) if calc_q else a
    packed, taus = P.hessenberg_p.bind(a)
    h = _triu(packed, -1)
    if not calc_q:
        return h
    # The reflectors sit below the first subdiagonal: shifted one row down, they are
    # the Householder vectors of an (n-1) x (n-1) QR, and Q = diag(1, their product).
    q = P.householder_product_p.bind(packed[..., 1:, :-1], taus)
    q = fnp.concatenate([fnp.zeros((*_shape(q)[:-2], n - 1, 1), _dtype(a)), q], axis=-1)
    first = fnp.broadcast_to(convert(np.arange(n) == 0, _dtype(a)), (*_shape(q)[:-2], 1, n))
    return h, fnp.concatenate([first, q], axis=-2)


def hessenberg(a: Any, calc_q: bool = False, overwrite_a: bool = False,
               check_finite: bool = True) -> Any:
    """Upper Hessenberg form ``a = q @ h @ q^H`` of (..., N, N) matrices (LAPACK gehrd,
    CPU only): h, or ``(h, q)`` with ``calc_q=True``. Not differentiable."""
    fname = "hessenberg"
    _no_overwrite(fname, overwrite_a=overwrite_a)
    (x,) = _operands(fname, a)
    _check_square(fname, x)
    _check_finite(fname, check_finite, a=a)
    return _hessenberg_core(x, bool(calc_q))


__all__ = ["hessenberg", "rsf2csf", "schur"]
