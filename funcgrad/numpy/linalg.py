"""funcgrad.numpy.linalg: NumPy's linear algebra over the last two axes, batched over
the rest like NumPy.

Built on the factorization primitives (`cholesky_p`, `lu_p`, `eigh_p`, `svd_p`,
`qr_p`, `eig_p`) and `triangular_solve_p`; everything else (solve, inv, det, slogdet,
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
from funcgrad.numpy._advanced import take_along_axis
from funcgrad.numpy._contract import matmul as matmul_, outer as outer_, tensordot as tensordot_
from funcgrad.numpy._extras import cross as cross_, diagonal as diagonal_, flip, trace as trace_
from funcgrad.numpy._reductions import _keep, any as any_
from funcgrad.numpy._shape import broadcast_to, expand_dims, moveaxis
from funcgrad.numpy._sorting import argsort
from funcgrad.numpy._ufuncs import copysign
from funcgrad.numpy._util import (asarray_operand, aval_of, convert, normalize_axes,
                                  promote_inexact, reject)

LinAlgError = np.linalg.LinAlgError


class EighResult(NamedTuple):
    eigenvalues: Any
    eigenvectors: Any


class EigResult(NamedTuple):
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
    return matmul_(a, b)


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


def _broadcast_batch(x: Any, batch: tuple[int, ...]) -> Any:
    av = aval_of(x)
    shape = (*batch, *av.shape[-2:])
    if av.shape == shape:
        return x
    return broadcast_to(x, shape)


def _promote_pair(a: Any, b: Any) -> tuple[Any, Any]:
    x, y = promote_inexact(asarray_operand(a), asarray_operand(b))
    return asarray_operand(x), asarray_operand(y)


# ---------------------------------------------------------------------------
# factorizations


def cholesky(a: Any, /, *, upper: bool = False) -> Any:
    """The Cholesky factor L (lower, a = L L^H) or, with ``upper=True``, U = L^H.

    Like NumPy, only one triangle of `a` is read (the lower one, or the upper one with
    ``upper=True``) and the imaginary part of its diagonal is ignored; the derivative
    rules treat tangents the same way, so the ignored entries get no gradient."""
    x = _matrix(a, "cholesky")
    if upper:
        # the lower triangle of a^H is the conjugated upper triangle of a
        return _mH(P.cholesky_p.bind(_mH(x)))
    return P.cholesky_p.bind(x)


def eigh(a: Any, UPLO: str = "L") -> EighResult:
    """Eigenvalues (ascending) and eigenvectors (columns) of a Hermitian matrix; only the
    `UPLO` triangle and the real part of the diagonal are read, as in NumPy."""
    if UPLO not in ("L", "U"):
        raise ValueError(f"UPLO argument must be 'L' or 'U', got {UPLO!r}")
    x = _matrix(a, "eigh")
    v, w = P.eigh_p.bind(x, lower=UPLO == "L")
    return EighResult(w, v)


def eigvalsh(a: Any, UPLO: str = "L") -> Any:
    return eigh(a, UPLO).eigenvalues


def eig(a: Any) -> EigResult:
    """Eigenvalues and right eigenvectors (columns, unit 2-norm, largest component real)
    of a general square matrix, batched; ``a @ v == v * w[..., None, :]``.

    NB: both results are always complex (complex64 for float32/complex64 input,
    complex128 otherwise), like JAX: NumPy returns real arrays for a real matrix whose
    eigenvalues all happen to be real, which only the values tell, and jit does not
    have them. The order of the eigenvalues is LAPACK's (not sorted). CPU only.
    Derivatives assume distinct eigenvalues; an eigenvector's derivative keeps its unit
    norm and its largest component real (the gauge LAPACK picks)."""
    x = _matrix(a, "eig")
    w, v = P.eig_p.bind(x, compute_eigenvectors=True)
    return EigResult(w, v)


def eigvals(a: Any) -> Any:
    """The eigenvalues of a general square matrix, batched: always complex, in LAPACK's
    order (see `eig`)."""
    x = _matrix(a, "eigvals")
    return P.eig_p.bind(x, compute_eigenvectors=False)[0]


def svd(a: Any, full_matrices: bool = True, compute_uv: bool = True,
        hermitian: bool = False) -> Any:
    """Singular value decomposition a = U diag(S) Vh (S descending), batched."""
    if hermitian:
        return _svd_hermitian(_matrix(a, "svd"), compute_uv)
    x = _matrix(a, "svd", square=False)
    if not compute_uv:
        return P.svd_p.bind(x, full_matrices=False, compute_uv=False)[0]
    s, u, vh = P.svd_p.bind(x, full_matrices=full_matrices, compute_uv=True)
    return SVDResult(u, s, vh)


def _svd_hermitian(x: Any, compute_uv: bool) -> Any:
    """NumPy's ``hermitian=True`` SVD: from eigh, so only the lower triangle is read.
    Singular values are |eigenvalues| in descending order; the eigenvalues' signs go
    into Vh."""
    w, v = eigh(x)
    s = P.abs_p.bind(w)
    n = aval_of(x).shape[-1]
    if n:
        order = flip(argsort(s, axis=-1), axis=-1)
        s = take_along_axis(s, order, axis=-1)
    if not compute_uv:
        return s
    sgn = copysign(convert(1, aval_of(w).dtype), w)
    if n:
        sgn = take_along_axis(sgn, order, axis=-1)
        v = take_along_axis(v, expand_dims(order, -2), axis=-1)
    vh = _mH(P.mul_p.bind(v, convert(expand_dims(sgn, -2), aval_of(v).dtype)))
    return SVDResult(v, s, vh)


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
    if aval_of(lu).shape[-1] == 0:      # 0 x 0 systems: the (empty) answer is b itself
        return b
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


class _NoValueType:
    """The default of pinv's `rtol`: NumPy tells "not given" from an explicit None."""

    def __repr__(self) -> str:
        return "<no value>"


_NoValue: Any = _NoValueType()


def _per_matrix(value: Any, dtype: np.dtype, name: str, fname: str) -> Any:
    """A tolerance given per matrix (a scalar, or an array broadcasting against the batch
    dims), with a trailing axis so it lines up with the singular values (..., k)."""
    t = asarray_operand(value)
    tv = aval_of(t)
    if not (dtypes.is_integer(tv.dtype) or dtypes.is_float(tv.dtype)
            or tv.dtype == dtypes.bool_):
        raise TypeError(f"{fname}: {name} must be a real number or an array of them, got "
                        f"dtype {tv.dtype}")
    return P.expand_dims_p.bind(convert(t, dtype), dimensions=(tv.ndim,))


def _max_singular(s: Any) -> Any:
    """max(s) over the last axis, 0 for empty matrices (NumPy's ``initial=0``), keepdims."""
    sv = aval_of(s)
    if sv.shape[-1] == 0:
        return P.broadcast_in_dim_p.bind(convert(0, sv.dtype), shape=(*sv.shape[:-1], 1),
                                         broadcast_dimensions=())
    smax = P.reduce_max_p.bind(s, axes=(sv.ndim - 1,))
    return P.expand_dims_p.bind(smax, dimensions=(sv.ndim - 1,))


def pinv(a: Any, rcond: Any = None, hermitian: bool = False, *, rtol: Any = _NoValue) -> Any:
    """Moore-Penrose pseudo-inverse via SVD, with NumPy 2's cut-off: singular values at or
    below ``rtol * max(s)`` count as zero. `rtol` (or its older name `rcond`) may be one
    number or an array broadcasting against the stack's batch dims, one per matrix.
    Defaults as in NumPy: 1e-15 when neither is given, ``max(M, N) * eps`` for an explicit
    ``rtol=None``. ``hermitian=True`` uses eigh, so only the lower triangle is read."""
    x = _matrix(a, "pinv", square=hermitian)
    av = aval_of(x)
    m, n = av.shape[-2:]
    if rcond is None:
        if rtol is _NoValue:
            cut: Any = 1e-15
        elif rtol is None:
            cut = _default_rtol(m, n, av.dtype)
        else:
            cut = rtol
    elif rtol is not _NoValue:
        raise ValueError("pinv: rtol and rcond cannot both be set (rcond is the older name "
                         "of rtol); pass only one")
    else:
        cut = rcond
    rdt = dtypes.real_dtype(av.dtype)
    cut = _per_matrix(cut, rdt, "rtol" if rcond is None else "rcond", "pinv")
    if m == 0 or n == 0:
        return P.broadcast_in_dim_p.bind(convert(0, av.dtype), shape=(*av.shape[:-2], n, m),
                                         broadcast_dimensions=())
    _check_per_matrix(cut, av.shape, "pinv", "rtol" if rcond is None else "rcond")
    if hermitian:
        u, s, vh = _svd_hermitian(x, True)
    else:
        s, u, vh = P.svd_p.bind(x, full_matrices=False, compute_uv=True)
    sv = aval_of(s)
    thresh = P.mul_p.bind(_max_singular(s), cut)
    keep = P.gt_p.bind(s, thresh)
    safe = P.select_n_p.bind(keep, convert(1, rdt), s)
    sinv = P.select_n_p.bind(keep, convert(0, rdt), P.div_p.bind(convert(1, rdt), safe))
    sinv = convert(sinv, av.dtype)
    vs = P.mul_p.bind(_mH(vh), P.expand_dims_p.bind(sinv, dimensions=(sv.ndim - 1,)))
    return _matmul(vs, _mH(u))


def _check_per_matrix(tol: Any, matrices: tuple[int, ...], fname: str, name: str) -> None:
    """A per-matrix tolerance must broadcast *to* the batch shape: one that would enlarge
    the result (NumPy writes the cut into the singular values in place) is a mistake."""
    batch = tuple(matrices[:-2])
    shape = aval_of(tol).shape[:-1]
    try:
        ok = tuple(np.broadcast_shapes(shape, batch)) == batch
    except ValueError:
        ok = False
    if not ok:
        raise ValueError(f"{fname}: {name} of shape {tuple(shape)} does not broadcast to the "
                         f"batch shape {batch} of the matrices (shape {tuple(matrices)}); "
                         f"give one number, or one per matrix in an array whose shape "
                         f"broadcasts to {batch}")


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
    else:       # no singular values: an empty mask
        keep = P.gt_p.bind(s, convert(0, rdt))
    # NumPy's rank is an int32 (LAPACK's integer)
    rank = P.reduce_sum_p.bind(convert(keep, dtypes.int32), axes=(0,))
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


def _max(x: Any, axes: Sequence[int]) -> Any:
    """The largest of non-negative values; 0 over an empty axis (NumPy's ``initial=0``)
    rather than the -inf a bare max reduction gives."""
    av = aval_of(x)
    if any(av.shape[a] == 0 for a in axes):
        shape = tuple(d for i, d in enumerate(av.shape) if i not in axes)
        return P.broadcast_in_dim_p.bind(convert(0, av.dtype), shape=shape,
                                         broadcast_dimensions=())
    return P.reduce_max_p.bind(x, axes=tuple(axes))


def _min(x: Any, axes: Sequence[int], what: str) -> Any:
    """The smallest value; an empty axis has none, so this raises (as NumPy does) instead
    of returning the +inf of a bare min reduction."""
    av = aval_of(x)
    if any(av.shape[a] == 0 for a in axes):
        raise ValueError(f"{what} is not defined for an empty array (shape {av.shape}): it "
                         "is a minimum over no values")
    return P.reduce_min_p.bind(x, axes=tuple(axes))


def _root_of_squares(a: Any, axes: Sequence[int]) -> Any:
    """sqrt(sum(a * a)) whose derivative at a zero sum is 0 (a subgradient, like std's
    at zero spread) instead of the inf * 0 = nan of sqrt's derivative there. The
    operand of sqrt is swapped for 1 where the sum is 0, so no derivative passes
    through sqrt's pole; values and derivatives elsewhere are sqrt's own."""
    s = _sum(P.mul_p.bind(a, a), axes)
    zero = P.eq_p.bind(s, convert(0, aval_of(s).dtype))
    root = P.sqrt_p.bind(P.select_n_p.bind(zero, s, convert(1, aval_of(s).dtype)))
    return P.select_n_p.bind(zero, root, convert(0, aval_of(s).dtype))


def vector_norm(x: Any, /, *, axis: Any = None, keepdims: bool = False, ord: Any = 2) -> Any:  # noqa: A002
    (v,) = promote_inexact(asarray_operand(x))
    v = asarray_operand(v)
    av = aval_of(v)
    axes = normalize_axes(axis, av.ndim)
    a = _abs(v)
    rdt = aval_of(a).dtype
    if ord == 2 or ord is None:
        out = _root_of_squares(a, axes)
    elif ord == np.inf:
        out = _max(a, axes)
    elif ord == -np.inf:
        out = _min(a, axes, "the vector norm with ord=-inf")
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
    a = _abs(v)
    if ord in (None, "fro"):
        out = _root_of_squares(a, axes)
    elif ord in (1, -1):
        col = _sum(a, (r,))
        ax = (c - (1 if r < c else 0),)
        out = _max(col, ax) if ord == 1 else _min(col, ax, "the matrix norm with ord=-1")
    elif ord in (np.inf, -np.inf):
        row = _sum(a, (c,))
        ax = (r - (1 if c < r else 0),)
        out = (_max(row, ax) if ord == np.inf else
               _min(row, ax, "the matrix norm with ord=-inf"))
    elif ord in (2, -2, "nuc"):
        m = moveaxis(v, (r, c), (-2, -1))
        s = svd(m, compute_uv=False)
        last = (aval_of(s).ndim - 1,)
        out = (_sum(s, last) if ord == "nuc" else _max(s, last) if ord == 2 else
               _min(s, last, "the matrix norm with ord=-2"))
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


def matrix_rank(A: Any, tol: Any = None, hermitian: bool = False, *,
                rtol: Any = None) -> Any:
    """The number of singular values above the tolerance, NumPy 2's rule: `tol` is an
    absolute cut-off, `rtol` one relative to the largest singular value (default
    ``max(M, N) * eps``); either may be a number or one value per matrix (an array
    broadcasting against the batch dims). ``hermitian=True`` reads the lower triangle."""
    if rtol is not None and tol is not None:
        raise ValueError("matrix_rank: tol and rtol cannot both be set; tol is an absolute "
                         "cut-off, rtol a relative one: pass only one")
    x = asarray_operand(A)
    av = aval_of(x)
    if av.ndim < 2:
        return convert(any_(P.ne_p.bind(x, convert(0, av.dtype))), dtypes.int64)
    s = svd(x, compute_uv=False, hermitian=hermitian)
    sv = aval_of(s)
    if tol is None:
        m, n = av.shape[-2:]
        factor = (convert(_default_rtol(m, n, sv.dtype), sv.dtype) if rtol is None
                  else _per_matrix(rtol, sv.dtype, "rtol", "matrix_rank"))
        thresh = P.mul_p.bind(_max_singular(s), factor)
    else:
        thresh = _per_matrix(tol, sv.dtype, "tol", "matrix_rank")
    return P.reduce_sum_p.bind(convert(P.gt_p.bind(s, thresh), dtypes.int64),
                               axes=(max(sv.ndim, aval_of(thresh).ndim) - 1,))


def cond(x: Any, p: Any = None) -> Any:
    """The condition number: ratio of the largest to the smallest singular value (p=None/2),
    else ``norm(x, p) * norm(inv(x), p)``. As in NumPy, a NaN that comes from a singular
    matrix (not from a NaN in `x`) reads as an infinite condition number."""
    m = _matrix(x, "cond", square=p not in (None, 2, -2))
    av = aval_of(m)
    if av.shape[-1] == 0 or av.shape[-2] == 0:
        raise LinAlgError(f"cond is not defined on empty arrays (got shape {av.shape})")
    if p not in (None, 2, -2):
        r = P.mul_p.bind(norm(m, p, axis=(-2, -1)), norm(inv(m), p, axis=(-2, -1)))
    else:
        s = svd(m, compute_uv=False)
        last = aval_of(s).ndim - 1
        hi, lo = P.reduce_max_p.bind(s, axes=(last,)), P.reduce_min_p.bind(s, axes=(last,))
        r = P.div_p.bind(lo, hi) if p == -2 else P.div_p.bind(hi, lo)
    rdt = aval_of(r).dtype
    x_nan = P.reduce_or_p.bind(P.ne_p.bind(m, m), axes=(av.ndim - 2, av.ndim - 1))
    from_singular = P.and_p.bind(P.ne_p.bind(r, r), P.not_p.bind(x_nan))
    return P.select_n_p.bind(from_singular, r, convert(np.inf, rdt))


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


def _stacked(x: Any, fname: str) -> Any:
    v = asarray_operand(x)
    if aval_of(v).ndim < 2:
        raise ValueError(f"{fname}: needs an array of at least 2 dimensions (a stack of "
                         f"matrices), got shape {aval_of(v).shape}")
    return v


def diagonal(x: Any, /, *, offset: int = 0) -> Any:
    """The `offset` diagonal of each matrix in the stack (the last two axes)."""
    return diagonal_(_stacked(x, "diagonal"), offset, -2, -1)


def trace(x: Any, /, *, offset: int = 0, dtype: Any = None) -> Any:
    """The sum of each matrix's `offset` diagonal, with NumPy's accumulation dtype (bools
    and small integers sum as the platform int, int64 / uint64)."""
    return trace_(_stacked(x, "trace"), offset, -2, -1, dtype)


def outer(x1: Any, x2: Any, /) -> Any:
    """The outer product of two vectors; NumPy 2 requires both to be 1-d here (the
    top-level `outer` flattens instead)."""
    a, b = asarray_operand(x1), asarray_operand(x2)
    if aval_of(a).ndim != 1 or aval_of(b).ndim != 1:
        raise ValueError(f"outer: input arrays must be one-dimensional, got shapes "
                         f"{aval_of(a).shape} and {aval_of(b).shape}; use "
                         "funcgrad.numpy.outer to flatten them first")
    return outer_(a, b)


def cross(x1: Any, x2: Any, /, *, axis: int = -1) -> Any:
    """The cross product of (stacks of) 3-vectors; unlike the top-level `cross`, 2-vectors
    are rejected, as in NumPy 2."""
    a, b = asarray_operand(x1), asarray_operand(x2)
    sa, sb = aval_of(a).shape, aval_of(b).shape
    na = sa[normalize_axes(axis, len(sa))[0]] if sa else None
    nb = sb[normalize_axes(axis, len(sb))[0]] if sb else None
    if na != 3 or nb != 3:
        raise ValueError(f"cross: both inputs must be (arrays of) 3-dimensional vectors along "
                         f"axis {axis}, got shapes {sa} and {sb}")
    return cross_(a, b, axis=axis)


def vecdot(x1: Any, x2: Any, /, *, axis: int = -1) -> Any:
    """sum(conj(x1) * x2) along `axis`, the other dims broadcast; the dtype is the
    promoted input dtype, as for matmul (bools give bool)."""
    a, b = asarray_operand(x1), asarray_operand(x2)
    sa, sb = aval_of(a).shape, aval_of(b).shape
    if not sa or not sb:
        raise ValueError(f"vecdot: needs arrays of at least 1 dimension, got shapes {sa} and "
                         f"{sb}")
    a = moveaxis(a, normalize_axes(axis, len(sa))[0], -1)
    b = moveaxis(b, normalize_axes(axis, len(sb))[0], -1)
    if aval_of(a).shape[-1] != aval_of(b).shape[-1]:
        raise ValueError(f"vecdot: the inputs' sizes along axis {axis} differ: shapes {sa} "
                         f"and {sb}")
    out = _matmul(expand_dims(_conj(a), -2), expand_dims(b, -1))
    nd = aval_of(out).ndim
    return P.squeeze_p.bind(out, dimensions=(nd - 2, nd - 1))


def tensordot(x1: Any, x2: Any, /, *, axes: Any = 2) -> Any:
    return tensordot_(x1, x2, axes=axes)


def tensorinv(a: Any, ind: int = 2) -> Any:
    """The inverse of `a` seen as a linear map from its first `ind` axes' shape to the
    rest, so that ``tensordot(tensorinv(a, ind), a, ind)`` is the identity."""
    x = asarray_operand(a)
    shape = aval_of(x).shape
    if not isinstance(ind, (int, np.integer)) or ind <= 0:
        raise ValueError(f"tensorinv: ind must be a positive integer, got {ind!r}")
    rows = int(np.prod(shape[ind:], dtype=np.int64))
    if rows * rows != aval_of(x).size:
        raise LinAlgError(f"tensorinv: a of shape {shape} is not square when split after "
                          f"axis {ind}: prod(shape[:ind]) must equal prod(shape[ind:])")
    ia = inv(P.reshape_p.bind(x, new_sizes=(rows, rows)))
    return P.reshape_p.bind(ia, new_sizes=(*shape[ind:], *shape[:ind]))


def tensorsolve(a: Any, b: Any, axes: Any = None) -> Any:
    """The x with ``tensordot(a, x, x.ndim) == b``; `axes` first moves those axes of `a`
    to the end."""
    x, y = asarray_operand(a), asarray_operand(b)
    an = aval_of(x).ndim
    if axes is not None:
        order = list(range(an))
        for k in axes:
            order.remove(normalize_axes(k, an)[0])
            order.append(normalize_axes(k, an)[0])
        x = P.transpose_p.bind(x, permutation=tuple(order))
    bn = aval_of(y).ndim
    old = aval_of(x).shape[bn:]
    n = int(np.prod(old, dtype=np.int64))
    if n * n != aval_of(x).size:
        raise LinAlgError(f"tensorsolve: a of shape {aval_of(x).shape} and b of shape "
                          f"{aval_of(y).shape} need prod(a.shape[b.ndim:]) == "
                          "prod(a.shape[:b.ndim])")
    sol = solve(P.reshape_p.bind(x, new_sizes=(n, n)),
                P.reshape_p.bind(y, new_sizes=(aval_of(y).size,)))
    return P.reshape_p.bind(sol, new_sizes=tuple(old))


__all__ = ["LinAlgError", "cholesky", "cond", "cross", "det", "diagonal", "eig", "eigh",
           "eigvals", "eigvalsh",
           "inv", "lstsq", "matmul", "matrix_norm", "matrix_power", "matrix_rank",
           "matrix_transpose", "multi_dot", "norm", "outer", "pinv", "qr", "slogdet", "solve",
           "svd", "svdvals", "tensordot", "tensorinv", "tensorsolve", "trace", "vecdot",
           "vector_norm"]
