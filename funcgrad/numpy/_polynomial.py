"""NumPy's polynomial functions on coefficient arrays (highest power first): poly,
polyadd, polysub, polymul, polydiv, polyder, polyint, polyfit, roots.

Lengths are static, so everything works under jit and is differentiable:
polyfit is a least-squares solve (differentiable through lstsq's SVD) and roots
the eigenvalues of the companion matrix. NumPy strips leading zeros (a shape
that depends on the values); funcgrad strips them where the input is concrete,
and keeps them under tracing (the coefficients mean the same polynomial).
`roots` is always complex, like `linalg.eigvals` (NumPy returns real roots as
a real array, a dtype that depends on the values).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from funcgrad.numpy import _shape as SH
from funcgrad.numpy import _sorting as SO
from funcgrad.numpy._creation import arange, asarray, zeros
from funcgrad.numpy._pad import convolve
from funcgrad.numpy._ufuncs import sqrt
from funcgrad.numpy._util import promote

__all__ = ["poly", "polyadd", "polyder", "polydiv", "polyfit", "polyint", "polymul", "polysub",
           "roots"]


def _coeffs(p: Any, fname: str) -> Any:
    x = SH.atleast_1d(asarray(p))
    if x.ndim != 1:
        raise ValueError(f"{fname}: coefficients must be 1-d, got shape {x.shape}")
    return x


def _strip(p: Any) -> Any:
    """Leading zeros dropped (keeping one) when the values are known."""
    if not SO._is_concrete(p) or p.shape[0] <= 1:
        return p
    nz = np.flatnonzero(np.asarray(p))
    return p[int(nz[0]):] if nz.size else p[-1:]


def _as_float(x: Any) -> Any:
    return x if np.issubdtype(x.dtype, np.inexact) else x.astype(np.float64)


def poly(seq_of_zeros: Any) -> Any:
    """Coefficients of the monic polynomial with the given roots (or, for a square
    matrix, of its characteristic polynomial)."""
    z = asarray(seq_of_zeros)
    if z.ndim == 2 and z.shape[0] == z.shape[1] and z.shape[0] != 0:
        from funcgrad.numpy import linalg
        z = linalg.eigvals(z)
    elif z.ndim != 1:
        raise ValueError("poly: input must be 1-d or a non-empty square 2-d array")
    z = _as_float(z)
    a = asarray(np.ones(1, z.dtype))
    for k in range(z.shape[0]):
        a = convolve(a, SH.stack([asarray(1, z.dtype), -z[k]]))
    if np.issubdtype(a.dtype, np.complexfloating) and SO._is_concrete(z):
        # NumPy: roots in conjugate pairs give a real polynomial (known values only)
        host = np.asarray(z)
        if np.all(np.sort(host) == np.sort(host.conjugate())):
            a = a.real
    return a


def _pad_front(a: Any, n: int) -> Any:
    if a.shape[0] >= n:
        return a
    return SH.concatenate([zeros(n - a.shape[0], a.dtype), a])


def polyadd(a1: Any, a2: Any) -> Any:
    a, b = promote(_coeffs(a1, "polyadd"), _coeffs(a2, "polyadd"))
    n = max(a.shape[0], b.shape[0])
    return _pad_front(a, n) + _pad_front(b, n)


def polysub(a1: Any, a2: Any) -> Any:
    a, b = promote(_coeffs(a1, "polysub"), _coeffs(a2, "polysub"))
    n = max(a.shape[0], b.shape[0])
    return _pad_front(a, n) - _pad_front(b, n)


def polymul(a1: Any, a2: Any) -> Any:
    a, b = promote(_coeffs(a1, "polymul"), _coeffs(a2, "polymul"))
    return convolve(a, b)


def polydiv(u: Any, v: Any) -> tuple[Any, Any]:
    """Quotient and remainder of u / v (long division; v's leading coefficient must
    be non-zero)."""
    a, b = promote(_coeffs(u, "polydiv"), _coeffs(v, "polydiv"))
    a, b = _as_float(a), _as_float(b)
    b = _strip(b)
    m, n = a.shape[0] - 1, b.shape[0] - 1
    scale = 1.0 / b[0]
    q = zeros(max(m - n + 1, 1), a.dtype)
    r = a
    for k in range(0, m - n + 1):
        d = scale * r[k]
        q = q.at[k].set(d)
        r = r.at[k:k + n + 1].add(-d * b)
    rem = r[max(m - n + 1, 0):] if m >= n else r
    return q, _strip(rem)


def polyder(p: Any, m: int = 1) -> Any:
    m = int(m)
    if m < 0:
        raise ValueError("polyder: order of derivative must be positive (see polyint)")
    c = _coeffs(p, "polyder")
    for _ in range(m):
        n = c.shape[0] - 1
        if n <= 0:
            return zeros(1, c.dtype) if n == 0 else c
        c = c[:-1] * arange(n, 0, -1).astype(c.dtype)
    return c


def polyint(p: Any, m: int = 1, k: Any = None) -> Any:
    m = int(m)
    if m < 0:
        raise ValueError("polyint: order of integral must be positive (see polyder)")
    c = _as_float(_coeffs(p, "polyint"))
    ks = np.zeros(m) if k is None else np.atleast_1d(np.asarray(k, dtype=float))
    if ks.size == 1 and m > 1:
        ks = np.full(m, ks[0])
    if ks.size < m:
        raise ValueError("polyint: k must be a scalar or a sequence of at least m values")
    for i in range(m):
        n = c.shape[0]
        c = SH.concatenate([c / arange(n, 0, -1).astype(c.dtype), asarray([ks[i]], c.dtype)])
    return c


def polyfit(x: Any, y: Any, deg: int, rcond: Any = None, full: bool = False, w: Any = None,
            cov: Any = False) -> Any:
    """Least-squares fit of a polynomial of degree `deg`; columns scaled to unit norm
    before the solve, as NumPy does, so high degrees stay well conditioned."""
    from funcgrad.numpy import linalg
    from funcgrad.numpy._extras import vander
    deg = int(deg)
    if deg < 0:
        raise ValueError("polyfit: expected deg >= 0")
    xx, yy = promote(asarray(x), asarray(y))
    xx, yy = _as_float(xx), _as_float(yy)
    if xx.ndim != 1:
        raise TypeError("polyfit: expected 1-d x")
    if yy.ndim not in (1, 2) or yy.shape[0] != xx.shape[0]:
        raise TypeError("polyfit: expected y 1-d or 2-d with as many rows as x has entries")
    if cov:
        raise NotImplementedError("polyfit: cov=True is not supported; compute the "
                                  "covariance from the returned residuals")
    lhs = vander(xx, deg + 1)
    rhs = yy
    if w is not None:
        ww = asarray(w).astype(xx.dtype)
        lhs = lhs * ww[:, None]
        rhs = rhs * (ww if rhs.ndim == 1 else ww[:, None])
    if rcond is None:
        rcond = xx.shape[0] * np.finfo(np.dtype(xx.dtype)).eps
    scale = sqrt((lhs * lhs).sum(axis=0))
    c, resids, rank, s = linalg.lstsq(lhs / scale, rhs, rcond=rcond)
    c = (c.T / scale).T
    if full:
        return c, resids, rank, s, asarray(rcond)
    return c


def roots(p: Any) -> Any:
    """The roots of the polynomial (complex), from the companion matrix's eigenvalues.
    Leading zeros are dropped (concrete input) and trailing zeros give zero roots."""
    from funcgrad.numpy import linalg
    c = _strip(_as_float(_coeffs(p, "roots")))
    cdt = np.result_type(c.dtype, np.complex64)
    trailing = 0
    if SO._is_concrete(c):
        host = np.asarray(c)
        nz = np.flatnonzero(host)
        if nz.size == 0:
            return asarray(np.zeros(0, cdt))
        trailing = host.size - 1 - int(nz[-1])
        c = c[:c.shape[0] - trailing]
    n = c.shape[0] - 1
    if n < 1:
        return asarray(np.zeros(trailing, cdt))
    companion = SH.concatenate([(-c[1:] / c[0])[None, :],
                                SH.concatenate([asarray(np.eye(n - 1, dtype=c.dtype)),
                                                zeros((n - 1, 1), c.dtype)], axis=1)], axis=0)
    r = linalg.eigvals(companion).astype(cdt)
    if trailing:
        r = SH.concatenate([r, zeros(trailing, cdt)])
    return r
