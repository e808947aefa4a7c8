"""JVP rules for the linear-algebra primitives.

The JVPs are the standard matrix-calculus results, written with the
primitives themselves (triangular solves instead of inverses):

- cholesky  A = L L^H:  L' = L Phi(L^-1 A' L^-H), Phi = lower triangle, half diagonal.
  cholesky and eigh read one triangle and a real diagonal, so A' is first replaced by
  the Hermitian matrix built the same way from its triangle (`_hermitian_part`).
- triangular_solve  op(A) X = B:  X' = op(A)^-1 (B' - op(A') X) (and mirrored on the right);
  linear in B, whose transpose solves with op(A) transposed.
- lu  P A = L U (square):  with W = L^-1 P A' U^-1,  L' = L tril(W, -1),  U' = triu(W) U.
- eigh  A = V diag(w) V^H:  w' = diag(V^H A' V),  V' = V (F * V^H A' V),
  F_ij = 1 / (w_j - w_i) off the diagonal (infinite for repeated eigenvalues, like JAX).
- svd (reduced)  and  qr (reduced, M >= N): as in Townsend's / Walter's notes.
- eig  A V = V diag(w) (distinct eigenvalues):  with M = V^-1 A' V,  w' = diag(M),
  V' = V (F * M) + V diag(c);  F as for eigh. c_k keeps LAPACK's normalisation
  (unit 2-norm, largest component real): Re c_k = -Re(v_k^H (V (F * M))_k) and
  Im c_k undoes the imaginary part that column's largest component would get.
- schur  A = Vs T Vs^H (T upper triangular):  with C = Vs^H A' Vs and Omega = Vs^H Vs',
  skew-Hermitian with a zero diagonal (the gauge), T' = C + T Omega - Omega T must be
  upper triangular; that fixes Omega's strict lower part one subdiagonal at a time, from
  the bottom-left corner up (a scan). NaN where T has 2 x 2 blocks.
- householder_product  Q = H_1 ... H_k E = E - V T V_top^H (compact WY, E the first n
  columns of I): T = (I + D S)^-1 D with D = diag(taus), S = strict upper part of V^H V,
  so differentiating needs only products and unit-triangular solves.
- hessenberg has none (listed in NO_RULE): the derivative of its packed reflectors is not
  implemented, as in JAX.
- fft is linear; FFT/IFFT are symmetric, RFFT/IRFFT transpose through their
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from funcgrad import dtypes, primitives as P
from funcgrad.core import ShapedArray
from funcgrad.ir import Program
from funcgrad.transforms.jvp.interpreter import NO_RULE, jvp_rules
from funcgrad.transforms.programs import (Zero, add_tangents, aval, cached_programs, convert,
                                          full, instantiate, stage, strong_scalar, take_along,
                                          tangent_aval, weak_scalar, zeros)


# ---------------------------------------------------------------------------
# matrix helpers (binding primitives, so every rule is itself transformable)


def _mT(x: Any) -> Any:
    nd = aval(x).ndim
    return P.transpose_p.bind(x, permutation=(*range(nd - 2), nd - 1, nd - 2))


def _conj(x: Any) -> Any:
    return P.conj_p.bind(x) if dtypes.is_complex(aval(x).dtype) else x


def _mH(x: Any) -> Any:
    return _conj(_mT(x))


def _mm(a: Any, b: Any) -> Any:
    """Batched matrix product over the last two axes (equal leading dims)."""
    nd = aval(a).ndim
    batch = tuple(range(nd - 2))
    return P.dot_general_p.bind(a, b, dimension_numbers=(((nd - 1,), (nd - 2,)),
                                                         (batch, batch)))


def _tri_mask(shape: tuple[int, ...], k: int, lower: bool) -> Any:
    rows = P.iota_p.bind(dtype=dtypes.int32, shape=shape[-2:], dimension=0)
    cols = P.iota_p.bind(dtype=dtypes.int32, shape=shape[-2:], dimension=1)
    if k:
        rows = P.add_p.bind(rows, weak_scalar(k, dtypes.int32))
    return (P.ge_p if lower else P.le_p).bind(rows, cols)


def _tril(x: Any, k: int = 0) -> Any:
    a = aval(x)
    return P.select_n_p.bind(_tri_mask(a.shape, k, True), weak_scalar(0, a.dtype), x)


def _triu(x: Any, k: int = 0) -> Any:
    a = aval(x)
    return P.select_n_p.bind(_tri_mask(a.shape, k, False), weak_scalar(0, a.dtype), x)


def _eye(n: int, dtype: np.dtype) -> Any:
    rows = P.iota_p.bind(dtype=dtypes.int32, shape=(n, n), dimension=0)
    cols = P.iota_p.bind(dtype=dtypes.int32, shape=(n, n), dimension=1)
    return convert(P.eq_p.bind(rows, cols), dtype)


def _diag(x: Any) -> Any:
    a = aval(x)
    n = a.shape[-1]
    picked = P.mul_p.bind(x, _eye(n, a.dtype))
    return P.reduce_sum_p.bind(picked, axes=(a.ndim - 1,))


def _real(x: Any) -> Any:
    return P.real_p.bind(x) if dtypes.is_complex(aval(x).dtype) else x


def _solve(a: Any, b: Any, *, left_side: bool = True, lower: bool = True,
           transpose_a: bool = False, conjugate_a: bool = False,
           unit_diagonal: bool = False) -> Any:
    return P.triangular_solve_p.bind(a, b, left_side=left_side, lower=lower,
                                     transpose_a=transpose_a, conjugate_a=conjugate_a,
                                     unit_diagonal=unit_diagonal)


def _zero_like(x: Any) -> Zero:
    return Zero(tangent_aval(aval(x)))


def _hermitian_part(t: Any, lower: bool) -> Any:
    """The tangent as the factorization sees it. cholesky and eigh read one triangle of
    their operand and the real part of its diagonal, so an arbitrary (non-Hermitian)
    tangent only moves the result through the Hermitian matrix built from that triangle:
    S + S^H, where S is the strict triangle plus half the diagonal. Without this
    projection an imaginary diagonal or the ignored triangle would leak into the
    derivative although the value does not depend on them."""
    a = aval(t)
    half = P.mul_p.bind(weak_scalar(0.5, a.dtype), _eye(a.shape[-1], a.dtype))
    strict = _tril(t, -1) if lower else _triu(t, 1)
    s = P.add_p.bind(strict, P.mul_p.bind(half, t))
    return P.add_p.bind(s, _mH(s))


# ---------------------------------------------------------------------------
# cholesky


def _cholesky_jvp(primals: Sequence[Any], tangents: Sequence[Any]) -> tuple[Any, Any]:
    (a,), (a_dot,) = primals, tangents
    L = P.cholesky_p.bind(a)
    if type(a_dot) is Zero:
        return L, _zero_like(L)
    a_dot = _hermitian_part(convert(a_dot, aval(L).dtype), lower=True)
    tmp = _solve(L, a_dot)                                           # L^-1 A'
    z = _solve(L, tmp, left_side=False, transpose_a=True, conjugate_a=True)   # .. L^-H
    n = aval(L).shape[-1]
    half = P.sub_p.bind(weak_scalar(1, aval(z).dtype),
                        P.mul_p.bind(weak_scalar(0.5, aval(z).dtype), _eye(n, aval(z).dtype)))
    phi = P.mul_p.bind(_tril(z), half)
    return L, _mm(L, phi)


jvp_rules[P.cholesky_p] = _cholesky_jvp


# ---------------------------------------------------------------------------
# triangular_solve


def _op(x: Any, transpose_a: bool, conjugate_a: bool) -> Any:
    if transpose_a:
        x = _mT(x)
    return _conj(x) if conjugate_a else x


def _triangular_solve_jvp(primals: Sequence[Any], tangents: Sequence[Any],
                          **params: Any) -> tuple[Any, Any]:
    a, b = primals
    a_dot, b_dot = tangents
    out = P.triangular_solve_p.bind(a, b, **params)
    t_out: Any = _zero_like(out)
    if type(b_dot) is not Zero:
        t_out = P.triangular_solve_p.bind(a, convert(b_dot, aval(out).dtype), **params)
    if type(a_dot) is not Zero:
        a_dot = convert(a_dot, aval(out).dtype)
        masked = _tril(a_dot) if params["lower"] else _triu(a_dot)
        if params["unit_diagonal"]:
            masked = (_tril(masked, -1) if params["lower"] else _triu(masked, 1))
        op_dot = _op(masked, params["transpose_a"], params["conjugate_a"])
        rhs = _mm(op_dot, out) if params["left_side"] else _mm(out, op_dot)
        t_out = add_tangents(t_out, P.neg_p.bind(P.triangular_solve_p.bind(a, rhs, **params)))
    return out, t_out


jvp_rules[P.triangular_solve_p] = _triangular_solve_jvp


# ---------------------------------------------------------------------------
# lu


def _lu_jvp(primals: Sequence[Any], tangents: Sequence[Any]) -> tuple[list[Any], list[Any]]:
    (a,), (a_dot,) = primals, tangents
    lu, piv, perm = P.lu_p.bind(a)
    zeros_int = [_zero_like(piv), _zero_like(perm)]
    if type(a_dot) is Zero:
        return [lu, piv, perm], [_zero_like(lu), *zeros_int]
    la = aval(lu)
    m, n = la.shape[-2:]
    if la.size == 0:        # nothing to differentiate (and no rows to permute)
        return [lu, piv, perm], [_zero_like(lu), *zeros_int]
    if m != n:
        raise NotImplementedError(f"the derivative of lu is implemented for square matrices, "
                                  f"got shape {la.shape}")
    nd = la.ndim
    rows = P.broadcast_in_dim_p.bind(perm, shape=la.shape, broadcast_dimensions=tuple(
        range(nd - 1)))
    x = take_along(convert(a_dot, la.dtype), rows, nd - 2)            # P A'
    l_mat = P.add_p.bind(_tril(lu, -1), _eye(n, la.dtype))
    u_mat = _triu(lu)
    w = _solve(l_mat, x, lower=True, unit_diagonal=True)
    w = _solve(u_mat, w, left_side=False, lower=False)               # L^-1 P A' U^-1
    lu_dot = P.add_p.bind(_mm(l_mat, _tril(w, -1)), _mm(_triu(w), u_mat))
    return [lu, piv, perm], [lu_dot, *zeros_int]


jvp_rules[P.lu_p] = _lu_jvp


# ---------------------------------------------------------------------------
# eigh


def _eigh_jvp(primals: Sequence[Any], tangents: Sequence[Any], *,
              lower: bool) -> tuple[list[Any], list[Any]]:
    (a,), (a_dot,) = primals, tangents
    v, w = P.eigh_p.bind(a, lower=lower)
    if type(a_dot) is Zero:
        return [v, w], [_zero_like(v), _zero_like(w)]
    dt = aval(v).dtype
    rdt = aval(w).dtype
    n = aval(w).shape[-1]
    nd = aval(w).ndim
    vav = _mm(_mH(v), _mm(_hermitian_part(convert(a_dot, dt), lower), v))
    w_dot = _real(_diag(vav))
    gaps = P.sub_p.bind(P.expand_dims_p.bind(w, dimensions=(nd - 1,)),
                        P.expand_dims_p.bind(w, dimensions=(nd,)))     # (i, j): w_j - w_i
    eye = _eye(n, rdt)
    f = P.sub_p.bind(P.div_p.bind(weak_scalar(1, rdt), P.add_p.bind(gaps, eye)), eye)
    v_dot = _mm(v, P.mul_p.bind(convert(f, dt), vav))
    return [v, w], [v_dot, w_dot]


jvp_rules[P.eigh_p] = _eigh_jvp


# ---------------------------------------------------------------------------
# svd


def _svd_jvp(primals: Sequence[Any], tangents: Sequence[Any], *, full_matrices: bool,
             compute_uv: bool) -> tuple[list[Any], list[Any]]:
    (a,), (a_dot,) = primals, tangents
    outs = P.svd_p.bind(a, full_matrices=full_matrices, compute_uv=compute_uv)
    if type(a_dot) is Zero:
        return list(outs), [_zero_like(o) for o in outs]
    aa = aval(a)
    m, n = aa.shape[-2:]
    if compute_uv and full_matrices and m != n:
        raise NotImplementedError("the derivative of svd with full_matrices=True is "
                                  "implemented for square matrices only; use "
                                  "full_matrices=False")
    s, u, vh = (outs if compute_uv and not full_matrices else
                P.svd_p.bind(a, full_matrices=False, compute_uv=True))
    dt = aa.dtype
    rdt = aval(s).dtype
    k = aval(s).shape[-1]
    nd = aa.ndim
    a_dot = convert(a_dot, dt)
    v = _mH(vh)
    ds_mat = _mm(_mH(u), _mm(a_dot, v))                 # U^H A' V  (k x k)
    s_dot = _real(_diag(ds_mat))
    if not compute_uv:
        return list(outs), [s_dot]
    s_row = P.expand_dims_p.bind(s, dimensions=(nd - 2,))       # (..., 1, k)
    s_col = P.expand_dims_p.bind(s, dimensions=(nd - 1,))       # (..., k, 1)
    eye = _eye(k, rdt)
    diffs = P.mul_p.bind(P.add_p.bind(s_row, s_col), P.sub_p.bind(s_row, s_col))
    f = P.sub_p.bind(P.div_p.bind(weak_scalar(1, rdt), P.add_p.bind(diffs, eye)), eye)
    f = convert(f, dt)
    s_row_c, s_col_c = convert(s_row, dt), convert(s_col, dt)
    dss = P.mul_p.bind(s_row_c, ds_mat)                 # dS diag(s)
    sds = P.mul_p.bind(s_col_c, ds_mat)                 # diag(s) dS
    s_zero = convert(P.eq_p.bind(s, weak_scalar(0, rdt)), rdt)
    s_inv = P.sub_p.bind(P.div_p.bind(weak_scalar(1, rdt), P.add_p.bind(s, s_zero)), s_zero)
    s_inv_mat = P.mul_p.bind(P.expand_dims_p.bind(s_inv, dimensions=(nd - 1,)), eye)
    skew = P.mul_p.bind(weak_scalar(0.5, dt), P.sub_p.bind(ds_mat, _mH(ds_mat)))
    du = _mm(u, P.add_p.bind(P.mul_p.bind(f, P.add_p.bind(dss, _mH(dss))),
                             P.mul_p.bind(skew, convert(s_inv_mat, dt))))
    dv = _mm(v, P.mul_p.bind(f, P.add_p.bind(sds, _mH(sds))))
    if m > n:       # the part of A' outside U's column space
        dav = _mm(a_dot, v)
        du = P.add_p.bind(du, P.div_p.bind(P.sub_p.bind(dav, _mm(u, _mm(_mH(u), dav))),
                                           s_row_c))
    if n > m:
        dahu = _mm(_mH(a_dot), u)
        dv = P.add_p.bind(dv, P.div_p.bind(P.sub_p.bind(dahu, _mm(v, _mm(vh, dahu))),
                                           s_row_c))
    return list(outs), [s_dot, du, _mH(dv)]


jvp_rules[P.svd_p] = _svd_jvp


# ---------------------------------------------------------------------------
# qr


def _qr_jvp(primals: Sequence[Any], tangents: Sequence[Any], *,
            full_matrices: bool) -> tuple[list[Any], list[Any]]:
    (x,), (x_dot,) = primals, tangents
    q, r = P.qr_p.bind(x, full_matrices=full_matrices)
    if type(x_dot) is Zero:
        return [q, r], [_zero_like(q), _zero_like(r)]
    m, n = aval(x).shape[-2:]
    if m < n or (full_matrices and m != n):
        raise NotImplementedError("the derivative of qr is implemented for matrices with "
                                  "M >= N in 'reduced' mode (or square ones)")
    dt = aval(q).dtype
    x_dot = convert(x_dot, dt)
    dx_rinv = _solve(r, x_dot, left_side=False, lower=False)          # X' R^-1
    qt_dx_rinv = _mm(_mH(q), dx_rinv)
    low = _tril(qt_dx_rinv, -1)
    do = P.sub_p.bind(low, _mH(low))                                    # skew-Hermitian part
    if dtypes.is_complex(dt):
        imag_diag = P.sub_p.bind(qt_dx_rinv, convert(_real(qt_dx_rinv), dt))
        do = P.add_p.bind(do, P.mul_p.bind(_eye(n, dt), imag_diag))
    dq = P.add_p.bind(_mm(q, P.sub_p.bind(do, qt_dx_rinv)), dx_rinv)
    dr = _mm(P.sub_p.bind(qt_dx_rinv, do), r)
    return [q, r], [dq, dr]


jvp_rules[P.qr_p] = _qr_jvp


# ---------------------------------------------------------------------------
# eig


def _general_solve(a: Any, b: Any) -> Any:
    """a^-1 b for square, invertible a (LU with partial pivoting)."""
    lu, _, perm = P.lu_p.bind(a)
    la = aval(lu)
    nd = la.ndim
    rows = P.broadcast_in_dim_p.bind(perm, shape=aval(b).shape,
                                     broadcast_dimensions=tuple(range(nd - 1)))
    y = _solve(lu, take_along(b, rows, nd - 2), lower=True, unit_diagonal=True)
    return _solve(lu, y, lower=False)


def _eig_jvp(primals: Sequence[Any], tangents: Sequence[Any], *,
             compute_eigenvectors: bool) -> tuple[list[Any], list[Any]]:
    (a,), (a_dot,) = primals, tangents
    outs = list(P.eig_p.bind(a, compute_eigenvectors=compute_eigenvectors))
    if type(a_dot) is Zero or aval(a).size == 0:
        return outs, [_zero_like(o) for o in outs]
    w, v = outs if compute_eigenvectors else P.eig_p.bind(a, compute_eigenvectors=True)
    va = aval(v)
    dt, rdt, n, nd = va.dtype, dtypes.real_dtype(va.dtype), va.shape[-1], va.ndim
    m = _general_solve(v, _mm(convert(a_dot, dt), v))               # V^-1 A' V
    w_dot = _diag(m)
    if not compute_eigenvectors:
        return outs, [w_dot]
    gaps = P.sub_p.bind(P.expand_dims_p.bind(w, dimensions=(nd - 2,)),
                        P.expand_dims_p.bind(w, dimensions=(nd - 1,)))   # (i, j): w_j - w_i
    eye = _eye(n, dt)
    f = P.sub_p.bind(P.div_p.bind(weak_scalar(1, dt), P.add_p.bind(gaps, eye)), eye)
    u = _mm(v, P.mul_p.bind(f, m))
    # the gauge LAPACK fixes: unit norm ...
    re_c = P.neg_p.bind(_real(P.reduce_sum_p.bind(P.mul_p.bind(_conj(v), u), axes=(nd - 2,))))
    # ... and the largest component of each column real
    mag = _real(P.mul_p.bind(v, _conj(v)))
    top = P.argmax_p.bind(mag, axis=nd - 2, index_dtype=np.dtype(np.int32))
    lanes = P.iota_p.bind(dtype=dtypes.int32, shape=va.shape, dimension=nd - 2)
    top = P.broadcast_in_dim_p.bind(top, shape=va.shape, broadcast_dimensions=(
        *range(nd - 2), nd - 1))
    is_top = P.eq_p.bind(lanes, top)

    def pick(x: Any) -> Any:
        picked = P.select_n_p.bind(is_top, weak_scalar(0, aval(x).dtype), x)
        return P.reduce_sum_p.bind(picked, axes=(nd - 2,))

    im_c = P.neg_p.bind(P.div_p.bind(P.imag_p.bind(pick(u)), _real(pick(v))))
    c = P.complex_p.bind(convert(re_c, rdt), convert(im_c, rdt))
    v_dot = P.add_p.bind(u, P.mul_p.bind(v, P.expand_dims_p.bind(c, dimensions=(nd - 2,))))
    return outs, [w_dot, v_dot]


jvp_rules[P.eig_p] = _eig_jvp


# ---------------------------------------------------------------------------
# schur


def _schur_omega_step(t: Any, c: Any, f: Any, d: Any, low: Any) -> list[Any]:
    """Fill subdiagonal `d` of Omega's strict lower part `low` (deeper ones are done):
    Omega_ij (t_ii - t_jj) = -C_ij - (T low - low T)_ij there, f = 1 / (t_ii - t_jj)."""
    r = P.sub_p.bind(_mm(low, t), P.add_p.bind(c, _mm(t, low)))
    n = aval(t).shape[-1]
    rows = P.iota_p.bind(dtype=dtypes.int32, shape=(n, n), dimension=0)
    cols = P.iota_p.bind(dtype=dtypes.int32, shape=(n, n), dimension=1)
    on_d = P.eq_p.bind(P.sub_p.bind(rows, cols), d)
    low = P.add_p.bind(low, P.select_n_p.bind(on_d, weak_scalar(0, aval(t).dtype),
                                              P.mul_p.bind(r, f)))
    return [P.sub_p.bind(d, weak_scalar(1, dtypes.int32)), low]


def _schur_omega_body(t_aval: ShapedArray) -> tuple[Program, list[Any]]:
    i32 = ShapedArray((), dtypes.int32)
    return cached_programs(("schur_omega", t_aval), lambda: stage(
        _schur_omega_step, [t_aval, t_aval, t_aval, i32, t_aval], "schur_omega_step",
        "control flow"))


def _schur_jvp(primals: Sequence[Any], tangents: Sequence[Any], *,
               compute_schur_vectors: bool) -> tuple[list[Any], list[Any]]:
    """Assumes t upper triangular: true for a complex operand, and for a real one whose
    eigenvalues are all real. A real operand with complex eigenvalues (2 x 2 blocks in
    t) gets NaN tangents; repeated eigenvalues non-finite ones (Omega is not determined).

    NB: for a complex operand, vs (and t's off-diagonal part) are defined only up to
    the phases of vs's columns; the tangents take Omega's diagonal zero, which need not
    be LAPACK's choice. Functions invariant under that gauge (t's diagonal,
    vs g(t) vs^H, ...) get exact derivatives."""
    (a,), (a_dot,) = primals, tangents
    outs = list(P.schur_p.bind(a, compute_schur_vectors=compute_schur_vectors))
    ta = aval(a)
    n, nd = ta.shape[-1], ta.ndim
    if type(a_dot) is Zero or ta.size == 0:
        return outs, [_zero_like(o) for o in outs]
    t, vs = outs if compute_schur_vectors else P.schur_p.bind(a, compute_schur_vectors=True)
    dt = ta.dtype
    c = _mm(_mH(vs), _mm(convert(a_dot, dt), vs))
    low = zeros(aval(c).strong())
    if n > 1:
        w = _diag(t)
        gaps = P.sub_p.bind(P.expand_dims_p.bind(w, dimensions=(nd - 1,)),
                            P.expand_dims_p.bind(w, dimensions=(nd - 2,)))  # t_ii - t_jj
        eye = _eye(n, dt)
        f = P.sub_p.bind(P.div_p.bind(weak_scalar(1, dt), P.add_p.bind(gaps, eye)), eye)
        body, consts = _schur_omega_body(aval(t).strong())
        _, low = P.scan_p.bind(*consts, t, c, f, strong_scalar(n - 1, dtypes.int32), low,
                               body=body, num_consts=len(consts) + 3, num_carry=2,
                               length=n - 1, reverse=False, unroll=1)
    omega = P.sub_p.bind(low, _mH(low))
    t_dot = _triu(P.add_p.bind(c, P.sub_p.bind(_mm(t, omega), _mm(omega, t))))
    vs_dot = _mm(vs, omega)
    if not dtypes.is_complex(dt) and n > 1:      # NaN where t has a 2 x 2 block
        sub = P.abs_p.bind(_triu(_tril(t, -1), -1))
        blocks = P.gt_p.bind(P.reduce_max_p.bind(sub, axes=(nd - 2, nd - 1)),
                             weak_scalar(0, dt))
        scale_aval = aval(blocks).update(dtype=dt)
        scale = P.select_n_p.bind(blocks, full(1, scale_aval), full(np.nan, scale_aval))
        scale = P.expand_dims_p.bind(scale, dimensions=(nd - 2, nd - 1))
        t_dot, vs_dot = P.mul_p.bind(t_dot, scale), P.mul_p.bind(vs_dot, scale)
    return outs, [t_dot, vs_dot] if compute_schur_vectors else [t_dot]


jvp_rules[P.schur_p] = _schur_jvp


# ---------------------------------------------------------------------------
# householder_product


def _slice_last2(x: Any, rows: int, cols: int) -> Any:
    a = aval(x)
    return P.slice_p.bind(x, start_indices=(0,) * a.ndim,
                          limit_indices=(*a.shape[:-2], rows, cols), strides=(1,) * a.ndim)


def _householder_product_jvp(primals: Sequence[Any],
                             tangents: Sequence[Any]) -> tuple[Any, Any]:
    (a, taus), (a_dot, taus_dot) = primals, tangents
    q = P.householder_product_p.bind(a, taus)
    la = aval(a)
    m, n = la.shape[-2:]
    k, nd, dt = aval(taus).shape[-1], la.ndim, la.dtype
    if (type(a_dot) is Zero and type(taus_dot) is Zero) or k == 0 or n == 0:
        return q, _zero_like(q)
    rows = P.iota_p.bind(dtype=dtypes.int32, shape=(m, k), dimension=0)
    cols = P.iota_p.bind(dtype=dtypes.int32, shape=(m, k), dimension=1)
    unit = convert(P.eq_p.bind(rows, cols), dt)
    v = P.add_p.bind(_tril(_slice_last2(a, m, k), -1), unit)      # unit lower trapezoidal
    dv = _tril(_slice_last2(convert(instantiate(a_dot), dt), m, k), -1)
    taus_dot = convert(instantiate(taus_dot), dt)

    def diag_of(x: Any) -> Any:      # (..., k) -> (..., k, k)
        return P.mul_p.bind(P.expand_dims_p.bind(x, dimensions=(nd - 2,)), _eye(k, dt))

    def rows_times(x: Any, mat: Any) -> Any:     # diag(x) @ mat
        return P.mul_p.bind(P.expand_dims_p.bind(x, dimensions=(nd - 1,)), mat)

    s = _triu(_mm(_mH(v), v), 1)
    ds = _triu(P.add_p.bind(_mm(_mH(dv), v), _mm(_mH(v), dv)), 1)
    taus_s = rows_times(taus, s)      # D S; with unit_diagonal the solves read I + D S
    t_mat = _solve(taus_s, diag_of(taus), lower=False, unit_diagonal=True)
    dw = P.add_p.bind(rows_times(taus_dot, s), rows_times(taus, ds))     # (I + D S)'
    dt_mat = _solve(taus_s, P.sub_p.bind(diag_of(taus_dot), _mm(dw, t_mat)), lower=False,
                    unit_diagonal=True)
    v_top, dv_top = _slice_last2(v, n, k), _slice_last2(dv, n, k)
    dq = P.add_p.bind(_mm(dv, _mm(t_mat, _mH(v_top))),
                      P.add_p.bind(_mm(v, _mm(dt_mat, _mH(v_top))),
                                   _mm(v, _mm(t_mat, _mH(dv_top)))))
    return q, P.neg_p.bind(dq)


jvp_rules[P.householder_product_p] = _householder_product_jvp

# beside the table, like the rules: the coverage test reads it
NO_RULE[P.hessenberg_p] = ("the derivative of gehrd's packed Householder reflectors and "
                           "taus is not implemented (JAX has none either)")
