"""funcgrad.numpy.linalg: NumPy's linear algebra over the last two axes, batched over
the rest like NumPy.

Built on the factorization primitives (`cholesky_p`, `lu_p`, `eigh_p`, `svd_p`,
`qr_p`) and `triangular_solve_p`; everything else (solve, inv, det, slogdet,
lstsq, pinv, norm, matrix_power, matrix_rank) is a composition of those, so
it is differentiable wherever the factorizations are.

NB: where NumPy raises ``LinAlgError`` (a singular matrix in `solve`/`inv`, a
matrix that is not positive definite in `cholesky`), funcgrad returns
infinities or NaNs instead, like JAX: the check would need the values, which
jit does not have.
"""
from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from funcgrad import dtypes
from funcgrad import primitives as P
from funcgrad.numpy._util import (asarray_operand, aval_of, convert, normalize_axes,
                                  promote_inexact, reject)

LinAlgError = np.linalg.LinAlgError


class EighResult(NamedTuple):
    eigenvalues: Any
    eigenvectors: Any


class SVDResult(NamedTuple):
    U: Any
    S: Any
    Vh: Any


class QRResult(NamedTuple):
    Q: Any
    R: Any


class SlogdetResult(NamedTuple):
    sign: Any
    logabsdet: Any


class LstsqResult(NamedTuple):
    x: Any
    residuals: Any
    rank: Any
    s: Any


# ---------------------------------------------------------------------------
# helpers


def _matrix(a: Any, name: str, square: bool = True) -> Any:
    """`a` as an inexact array with at least 2 dims (and square ones if `square`)."""
    (x,) = promote_inexact(asarray_operand(a))
    x = asarray_operand(x)
    av = aval_of(x)
    if av.dtype in (dtypes.float16, dtypes.bfloat16):
        x = convert(x, dtypes.float32)
        av = aval_of(x)
    if av.ndim < 2:
        raise LinAlgError(f"{av.ndim}-dimensional array given. Array must be at least "
                          f"two-dimensional ({name})")
    if square and av.shape[-1] != av.shape[-2]:
        raise LinAlgError(f"Last 2 dimensions of the array must be square ({name}, got shape "
                          f"{av.shape})")
    return x


def _mT(x: Any) -> Any:
    nd = aval_of(x).ndim
    perm = (*range(nd - 2), nd - 1, nd - 2)
    return P.transpose_p.bind(x, permutation=perm)


def _conj(x: Any) -> Any:
    return P.conj_p.bind(x) if dtypes.is_complex(aval_of(x).dtype) else x


def _mH(x: Any) -> Any:
    return _conj(_mT(x))


def _matmul(a: Any, b: Any) -> Any:
    from funcgrad.numpy._contract import matmul
    return matmul(a, b)


def _eye_like(x: Any, n: int) -> Any:
    av = aval_of(x)
    return convert(np.eye(n, dtype=av.dtype), av.dtype)


def _diagonal(x: Any) -> Any:
    """The main diagonal of the last two (square) dims: (..., n)."""
    av = aval_of(x)
    n = av.shape[-1]
    eye = asarray_operand(np.eye(n, dtype=bool))
    zero = convert(0, av.dtype)
    masked = P.select_n_p.bind(eye, zero, x)
    return P.reduce_sum_p.bind(masked, axes=(av.ndim - 1,))


def _hermitian_from(x: Any, lower: bool) -> Any:
    """The Hermitian matrix whose `lower` (or upper) triangle is x's: what LAPACK reads.
    Building it explicitly keeps the derivative off the ignored triangle."""
    av = aval_of(x)
    n = av.shape[-1]
    rows = np.arange(n)[:, None]
    cols = np.arange(n)[None, :]
    keep = asarray_operand(rows >= cols if lower else rows <= cols)
    strict = asarray_operand(rows > cols if lower else rows < cols)
    zero = convert(0, av.dtype)
    tri = P.select_n_p.bind(keep, zero, x)
    mirrored = _mH(P.select_n_p.bind(strict, zero, x))
    return P.add_p.bind(tri, mirrored)


def _broadcast_batch(x: Any, batch: tuple[int, ...]) -> Any:
    av = aval_of(x)
    shape = (*batch, *av.shape[-2:])
    if av.shape == shape:
        return x
    from funcgrad.numpy._shape import broadcast_to
    return broadcast_to(x, shape)


def _promote_pair(a: Any, b: Any) -> tuple[Any, Any]:
    x, y = promote_inexact(asarray_operand(a), asarray_operand(b))
    return asarray_operand(x), asarray_operand(y)


# ---------------------------------------------------------------------------
# factorizations


def cholesky(a: Any, /, *, upper: bool = False) -> Any:
    """The Cholesky factor L (lower, a = L L^H) or, with ``upper=True``, U = L^H.
    Only the lower triangle of `a` is read."""
    x = _matrix(a, "cholesky")
    L = P.cholesky_p.bind(_hermitian_from(x, lower=True))
    return _mH(L) if upper else L


def eigh(a: Any, UPLO: str = "L") -> EighResult:
    """Eigenvalues (ascending) and eigenvectors (columns) of a Hermitian matrix."""
    if UPLO not in ("L", "U"):
        raise ValueError(f"UPLO argument must be 'L' or 'U', got {UPLO!r}")
    x = _matrix(a, "eigh")
    lower = UPLO == "L"
    v, w = P.eigh_p.bind(_hermitian_from(x, lower), lower=lower)
    return EighResult(w, v)


def eigvalsh(a: Any, UPLO: str = "L") -> Any:
    return eigh(a, UPLO).eigenvalues


def svd(a: Any, full_matrices: bool = True, compute_uv: bool = True,
        hermitian: bool = False) -> Any:
    """Singular value decomposition a = U diag(S) Vh (S descending), batched."""
    x = _matrix(a, "svd", square=False)
    if not compute_uv:
        return P.svd_p.bind(x, full_matrices=False, compute_uv=False)[0]
    s, u, vh = P.svd_p.bind(x, full_matrices=full_matrices, compute_uv=True)
    return SVDResult(u, s, vh)


def svdvals(x: Any, /) -> Any:
    return svd(x, compute_uv=False)


def qr(a: Any, mode: str = "reduced") -> Any:
    """QR decomposition. `mode`: "reduced" (Q: (M, K)), "complete" (Q: (M, M)) or "r"."""
    if mode not in ("reduced", "complete", "r"):
        if mode in ("raw", "full", "economic"):
            raise NotImplementedError(f"funcgrad.numpy.linalg.qr: mode={mode!r} is not "
                                      "supported; use 'reduced', 'complete' or 'r'")
        raise ValueError(f"Unrecognized mode {mode!r}")
    x = _matrix(a, "qr", square=False)
    q, r = P.qr_p.bind(x, full_matrices=mode == "complete")
    return r if mode == "r" else QRResult(q, r)


# ---------------------------------------------------------------------------
# solving


def _lu_solve(lu: Any, perm: Any, b: Any) -> Any:
    """Solve a x = b for x given a's LU factors (P a = L U); b is (..., n, k)."""
    from funcgrad.numpy._advanced import take_along_axis
    pb = take_along_axis(b, P.expand_dims_p.bind(perm, dimensions=(aval_of(perm).ndim,)),
                         axis=-2, mode="promise_in_bounds")
    y = P.triangular_solve_p.bind(lu, pb, left_side=True, lower=True, transpose_a=False,
                                  conjugate_a=False, unit_diagonal=True)
    return P.triangular_solve_p.bind(lu, y, left_side=True, lower=False, transpose_a=False,
                                     conjugate_a=False, unit_diagonal=False)


def solve(a: Any, b: Any) -> Any:
    """Solve a x = b. Like NumPy 2, `b` is a vector only when it is 1-d; otherwise it is
    a stack of (..., M, K) matrices whose batch dims broadcast against a's."""
    x, y = _promote_pair(a, b)
    x = _matrix(x, "solve")
    av, bv = aval_of(x), aval_of(y)
    n = av.shape[-1]
    vector = bv.ndim == 1
    if vector:
        y = P.expand_dims_p.bind(y, dimensions=(1,))
        bv = aval_of(y)
    if bv.ndim < 2 or bv.shape[-2] != n:
        raise ValueError(f"solve: b of shape {bv.shape if not vector else bv.shape[:1]} does "
                         f"not match a of shape {av.shape}")
    batch = tuple(np.broadcast_shapes(av.shape[:-2], bv.shape[:-2]))
    lu, _, perm = P.lu_p.bind(x)
    lu = _broadcast_batch(lu, batch)
    from funcgrad.numpy._shape import broadcast_to
    perm = broadcast_to(perm, (*batch, n)) if aval_of(perm).shape[:-1] != batch else perm
    y = _broadcast_batch(y, batch)
    out = _lu_solve(lu, perm, y)
    if vector:
        out = P.squeeze_p.bind(out, dimensions=(aval_of(out).ndim - 1,))
    return out


def inv(a: Any) -> Any:
    """The inverse of a square matrix (a stack of them), via LU."""
    x = _matrix(a, "inv")
    av = aval_of(x)
    n = av.shape[-1]
    lu, _, perm = P.lu_p.bind(x)
    eye = _broadcast_batch(_eye_like(x, n), av.shape[:-2])
    return _lu_solve(lu, perm, eye)


def _lu_sign_and_diag(x: Any) -> tuple[Any, Any]:
    """(+-1 from the row swaps, the diagonal of U) for det and slogdet."""
    av = aval_of(x)
    lu, piv, _ = P.lu_p.bind(x)
    k = av.shape[-1]
    swaps = P.ne_p.bind(piv, asarray_operand(np.arange(k, dtype=np.int32)))
    nswaps = P.reduce_sum_p.bind(convert(swaps, dtypes.int32), axes=(av.ndim - 2,))
    odd = P.eq_p.bind(P.rem_p.bind(nswaps, convert(2, dtypes.int32)), convert(1, dtypes.int32))
    sign = P.select_n_p.bind(odd, convert(1, av.dtype), convert(-1, av.dtype))
    return sign, _diagonal(lu)


def det(a: Any) -> Any:
    x = _matrix(a, "det")
    av = aval_of(x)
    if av.shape[-1] == 0:
        return P.broadcast_in_dim_p.bind(convert(1, av.dtype), shape=av.shape[:-2],
                                         broadcast_dimensions=())
    sign, diag = _lu_sign_and_diag(x)
    return P.mul_p.bind(sign, P.reduce_prod_p.bind(diag, axes=(av.ndim - 2,)))


def slogdet(a: Any) -> SlogdetResult:
    """(sign, log|det|); for complex matrices `sign` is a unit complex number."""
    x = _matrix(a, "slogdet")
    av = aval_of(x)
    rdt = dtypes.real_dtype(av.dtype)
    if av.shape[-1] == 0:
        ones = P.broadcast_in_dim_p.bind(convert(1, av.dtype), shape=av.shape[:-2],
                                         broadcast_dimensions=())
        zeros = P.broadcast_in_dim_p.bind(convert(0, rdt), shape=av.shape[:-2],
                                          broadcast_dimensions=())
        return SlogdetResult(ones, zeros)
    sign, diag = _lu_sign_and_diag(x)
    absd = P.abs_p.bind(diag)
    logabs = P.reduce_sum_p.bind(P.log_p.bind(absd), axes=(av.ndim - 2,))
    if dtypes.is_complex(av.dtype):
        unit = P.div_p.bind(diag, P.complex_p.bind(absd, convert(0, rdt)))
        sign = P.mul_p.bind(sign, P.reduce_prod_p.bind(unit, axes=(av.ndim - 2,)))
    else:
        sign = P.mul_p.bind(sign, P.reduce_prod_p.bind(P.sign_p.bind(diag),
                                                       axes=(av.ndim - 2,)))
    # a singular matrix: sign 0 and log|det| -inf, like NumPy
    zero_det = P.reduce_or_p.bind(P.eq_p.bind(absd, convert(0, rdt)), axes=(av.ndim - 2,))
    sign = P.select_n_p.bind(zero_det, sign, convert(0, av.dtype))
    return SlogdetResult(sign, logabs)


def _default_rtol(m: int, n: int, dtype: np.dtype) -> float:
    return builtins.max(m, n) * float(np.finfo(dtypes.real_dtype(dtype)).eps)


def pinv(a: Any, rcond: Any = None, hermitian: bool = False, *, rtol: Any = None) -> Any:
    """Moore-Penrose pseudo-inverse via SVD; singular values below
    ``rcond * max(s)`` (default ``max(M, N) * eps``) are treated as zero."""
    x = _matrix(a, "pinv", square=False)
    av = aval_of(x)
    m, n = av.shape[-2:]
    if rcond is not None and rtol is not None:
        raise ValueError("pinv: pass rcond or rtol, not both")
    cut = rcond if rcond is not None else rtol
    if cut is None:
        cut = _default_rtol(m, n, av.dtype)
    s, u, vh = P.svd_p.bind(x, full_matrices=False, compute_uv=True)
    rdt = aval_of(s).dtype
    smax = P.reduce_max_p.bind(s, axes=(aval_of(s).ndim - 1,), ) if min(m, n) else None
    if smax is None:
        return P.broadcast_in_dim_p.bind(convert(0, av.dtype), shape=(*av.shape[:-2], n, m),
                                         broadcast_dimensions=())
    thresh = P.mul_p.bind(P.expand_dims_p.bind(smax, dimensions=(aval_of(smax).ndim,)),
                          convert(asarray_operand(cut), rdt))
    keep = P.gt_p.bind(s, thresh)
    safe = P.select_n_p.bind(keep, convert(1, rdt), s)
    sinv = P.select_n_p.bind(keep, convert(0, rdt), P.div_p.bind(convert(1, rdt), safe))
    sinv = convert(sinv, av.dtype)
    vs = P.mul_p.bind(_mH(vh), P.expand_dims_p.bind(sinv, dimensions=(aval_of(sinv).ndim - 1,)))
    return _matmul(vs, _mH(u))


def lstsq(a: Any, b: Any, rcond: Any = None) -> LstsqResult:
    """Least squares: the x minimising ||b - a x||, via SVD; NumPy's 2-d `a`.

    Returns (x, residuals, rank, s). NB: `residuals` has shape (K,) whenever
    M > N (NumPy gives an empty array when `a` is rank deficient: that is a
    value-dependent shape)."""
    x, y = _promote_pair(a, b)
    av, bv = aval_of(x), aval_of(y)
    if av.ndim != 2:
        raise LinAlgError(f"lstsq: a must be 2-dimensional, got shape {av.shape}")
    m, n = av.shape
    vector = bv.ndim == 1
    if vector:
        y = P.expand_dims_p.bind(y, dimensions=(1,))
    if aval_of(y).ndim != 2 or aval_of(y).shape[0] != m:
        raise LinAlgError(f"lstsq: incompatible dimensions a {av.shape}, b {bv.shape}")
    if rcond is None:
        rcond = float(np.finfo(dtypes.real_dtype(av.dtype)).eps) * builtins.max(m, n)
    s, u, vh = P.svd_p.bind(x, full_matrices=False, compute_uv=True)
    rdt = aval_of(s).dtype
    k = builtins.min(m, n)
    if k:
        smax = P.reduce_max_p.bind(s, axes=(0,))
        keep = P.gt_p.bind(s, P.mul_p.bind(smax, convert(rcond, rdt)))
    else:
        keep = s
    # NumPy's rank is an int32 (LAPACK's integer)
    rank = P.reduce_sum_p.bind(convert(keep, dtypes.int32), axes=(0,)) if k else convert(
        0, dtypes.int32)
    safe = P.select_n_p.bind(keep, convert(1, rdt), s)
    sinv = P.select_n_p.bind(keep, convert(0, rdt), P.div_p.bind(convert(1, rdt), safe))
    uty = _matmul(_mH(u), y)
    sol = _matmul(_mH(vh), P.mul_p.bind(P.expand_dims_p.bind(convert(sinv, av.dtype),
                                                             dimensions=(1,)), uty))
    if m > n:
        r = P.sub_p.bind(y, _matmul(x, sol))
        ra = P.abs_p.bind(r) if dtypes.is_complex(av.dtype) else r
        resid = P.reduce_sum_p.bind(P.mul_p.bind(ra, ra), axes=(0,))
    else:
        resid = asarray_operand(np.zeros((0,), dtypes.real_dtype(av.dtype)))
    if vector:
        sol = P.squeeze_p.bind(sol, dimensions=(1,))
        if m > n:
            resid = P.reshape_p.bind(resid, new_sizes=(1,))
    return LstsqResult(sol, resid, rank, s)


# ---------------------------------------------------------------------------
# norms, powers, rank


def _abs(x: Any) -> Any:
    return P.abs_p.bind(x)


def _sum(x: Any, axes: Sequence[int]) -> Any:
    return P.reduce_sum_p.bind(x, axes=tuple(axes))


def vector_norm(x: Any, /, *, axis: Any = None, keepdims: bool = False, ord: Any = 2) -> Any:  # noqa: A002
    from funcgrad.numpy._reductions import _keep
    (v,) = promote_inexact(asarray_operand(x))
    v = asarray_operand(v)
    av = aval_of(v)
    axes = normalize_axes(axis, av.ndim)
    a = _abs(v)
    rdt = aval_of(a).dtype
    if ord == 2 or ord is None:
        out = P.sqrt_p.bind(_sum(P.mul_p.bind(a, a), axes))
    elif ord == np.inf:
        out = P.reduce_max_p.bind(a, axes=axes)
    elif ord == -np.inf:
        out = P.reduce_min_p.bind(a, axes=axes)
    elif ord == 0:
        out = _sum(convert(P.ne_p.bind(a, convert(0, rdt)), rdt), axes)
    elif ord == 1:
        out = _sum(a, axes)
    else:
        p = convert(float(ord), rdt)
        out = P.pow_p.bind(_sum(P.pow_p.bind(a, p), axes), P.div_p.bind(convert(1, rdt), p))
    return _keep(out, axes, keepdims) if keepdims else out


def matrix_norm(x: Any, /, *, keepdims: bool = False, ord: Any = "fro") -> Any:  # noqa: A002
    return norm(x, ord=ord, axis=(-2, -1), keepdims=keepdims)


def norm(x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False) -> Any:  # noqa: A002
    """NumPy's norm: vector norms over one axis, matrix norms over two."""
    (v,) = promote_inexact(asarray_operand(x))
    v = asarray_operand(v)
    av = aval_of(v)
    if axis is None:
        if ord is None:
            flat = P.reshape_p.bind(v, new_sizes=(av.size,))
            out = vector_norm(flat, ord=2)
            if keepdims:
                out = P.reshape_p.bind(out, new_sizes=(1,) * av.ndim)
            return out
        if av.ndim == 1:
            axis = (0,)
        elif av.ndim == 2:
            axis = (0, 1)
        else:
            raise ValueError("Improper number of dimensions to norm.")
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    axes = normalize_axes(axes, av.ndim)
    if len(axes) == 1:
        if isinstance(ord, str):
            raise ValueError(f"Invalid norm order '{ord}' for vectors")
        return vector_norm(v, axis=axes, keepdims=keepdims, ord=2 if ord is None else ord)
    if len(axes) != 2:
        raise ValueError("Improper number of dimensions to norm.")
    r, c = axes
    if r == c:
        raise ValueError("Duplicate axes given.")
    from funcgrad.numpy._reductions import _keep
    a = _abs(v)
    if ord in (None, "fro"):
        out = P.sqrt_p.bind(_sum(P.mul_p.bind(a, a), axes))
    elif ord in (1, -1):
        col = _sum(a, (r,))
        out = (P.reduce_max_p if ord == 1 else P.reduce_min_p).bind(
            col, axes=(c - (1 if r < c else 0),))
    elif ord in (np.inf, -np.inf):
        row = _sum(a, (c,))
        out = (P.reduce_max_p if ord == np.inf else P.reduce_min_p).bind(
            row, axes=(r - (1 if c < r else 0),))
    elif ord in (2, -2, "nuc"):
        from funcgrad.numpy._shape import moveaxis
        m = moveaxis(v, (r, c), (-2, -1))
        s = svd(m, compute_uv=False)
        last = aval_of(s).ndim - 1
        out = (_sum(s, (last,)) if ord == "nuc" else
               (P.reduce_max_p if ord == 2 else P.reduce_min_p).bind(s, axes=(last,)))
    else:
        raise ValueError(f"Invalid norm order {ord!r} for matrices")
    return _keep(out, axes, keepdims) if keepdims else out


def matrix_power(a: Any, n: int) -> Any:
    """a @ a @ ... (n times) by repeated squaring; n < 0 inverts first."""
    if not isinstance(n, (int, np.integer)):
        raise TypeError("exponent must be an integer")
    x = asarray_operand(a)
    av = aval_of(x)
    if av.ndim < 2 or av.shape[-1] != av.shape[-2]:
        raise LinAlgError(f"matrix_power needs square matrices, got shape {av.shape}")
    if n == 0:
        eye = convert(np.eye(av.shape[-1], dtype=av.dtype), av.dtype)
        return _broadcast_batch(eye, av.shape[:-2])
    if n < 0:
        x = inv(x)
        n = -n
    result = None
    base = x
    while n:
        if n & 1:
            result = base if result is None else _matmul(result, base)
        n >>= 1
        if n:
            base = _matmul(base, base)
    return result


def matrix_rank(A: Any, tol: Any = None, hermitian: bool = False, *, rtol: Any = None) -> Any:
    """The number of singular values above `tol` (default ``S.max() * max(M, N) * eps``)."""
    x = asarray_operand(A)
    av = aval_of(x)
    if av.ndim < 2:
        from funcgrad.numpy._reductions import any as any_
        return convert(any_(P.ne_p.bind(x, convert(0, av.dtype))), dtypes.int64)
    s = svd(x, compute_uv=False)
    sv = aval_of(s)
    last = sv.ndim - 1
    if sv.shape[-1] == 0:
        return P.broadcast_in_dim_p.bind(convert(0, dtypes.int64), shape=sv.shape[:-1],
                                         broadcast_dimensions=())
    smax = P.reduce_max_p.bind(s, axes=(last,))
    if tol is None:
        factor = rtol if rtol is not None else _default_rtol(*av.shape[-2:], sv.dtype)
        thresh = P.mul_p.bind(smax, convert(asarray_operand(factor), sv.dtype))
    else:
        thresh = convert(asarray_operand(tol), sv.dtype)
    thresh = P.expand_dims_p.bind(thresh, dimensions=(aval_of(thresh).ndim,)) if aval_of(
        thresh).ndim == sv.ndim - 1 else thresh
    return P.reduce_sum_p.bind(convert(P.gt_p.bind(s, thresh), dtypes.int64), axes=(last,))


def cond(x: Any, p: Any = None) -> Any:
    """The condition number: ratio of the largest to the smallest singular value (p=None/2)."""
    if p not in (None, 2, -2):
        m = asarray_operand(x)
        return P.mul_p.bind(norm(m, p, axis=(-2, -1)), norm(inv(m), p, axis=(-2, -1)))
    s = svd(x, compute_uv=False)
    last = aval_of(s).ndim - 1
    hi, lo = P.reduce_max_p.bind(s, axes=(last,)), P.reduce_min_p.bind(s, axes=(last,))
    return P.div_p.bind(lo, hi) if p == -2 else P.div_p.bind(hi, lo)


def multi_dot(arrays: Sequence[Any], *, out: Any = None) -> Any:
    reject("multi_dot", out=out)
    if len(arrays) < 2:
        raise ValueError("Expecting at least two arrays.")
    result = asarray_operand(arrays[0])
    for b in arrays[1:]:
        result = _matmul(result, b)
    return result


def matmul(x1: Any, x2: Any, /) -> Any:
    return _matmul(x1, x2)


def matrix_transpose(x: Any, /) -> Any:
    return _mT(asarray_operand(x))


def diagonal(x: Any, /, *, offset: int = 0) -> Any:
    if offset:
        raise NotImplementedError("funcgrad.numpy.linalg.diagonal: offset= is not supported")
    return _diagonal(asarray_operand(x))


def trace(x: Any, /, *, offset: int = 0, dtype: Any = None) -> Any:
    d = diagonal(x, offset=offset)
    return P.reduce_sum_p.bind(d, axes=(aval_of(d).ndim - 1,))


def outer(x1: Any, x2: Any, /) -> Any:
    from funcgrad.numpy._contract import outer as outer_
    return outer_(x1, x2)


__all__ = ["LinAlgError", "cholesky", "cond", "det", "diagonal", "eigh", "eigvalsh", "inv",
           "lstsq", "matmul", "matrix_norm", "matrix_power", "matrix_rank", "matrix_transpose",
           "multi_dot", "norm", "outer", "pinv", "qr", "slogdet", "solve", "svd", "svdvals",
           "trace", "vector_norm"]


import transforms.linalg_rules  # noqa: E402,F401  (JVP/transpose/batching rules)
