"""Lowering rules of the linear-algebra primitives: cholesky, triangular_solve, lu,
eigh, svd, qr and eig (DESIGN.md, decision 2).

Factorizations become the custom calls jaxlib registers: LAPACK (``lapack_*_ffi``)
on CPU, cuSOLVER (``cusolver_*_ffi``) on GPU, with typed-FFI attributes
(``api_version = 4``, a ``backend_config`` dictionary). Which call a platform
gets is decided here and nowhere else. Matrices are passed column-major through
``operand_layouts``/``result_layouts``, so no transposes are needed; batch
dimensions lead and the kernels loop over them.

Conventions shared by the rules: a factorization that fails (``info != 0``:
not positive definite, no convergence) yields NaNs, like JAX (NumPy would
raise); `lu`'s pivots are 0-based and its permutation is built from them with a
``stablehlo.while`` loop. `triangular_solve` is LAPACK's ``trsm`` on CPU (XLA's
own expansion of ``stablehlo.triangular_solve`` there is a large blocked loop nest,
slow to compile) and the StableHLO op elsewhere. `eig` (LAPACK's ``geev``), `schur`
(``gees``, unsorted) and `hessenberg` (``gehrd``) have no GPU lowering: they raise
``NotImplementedError`` there. `householder_product` is ``orgqr``/``ungqr``, as in `qr`.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from funcgrad import dtypes
from funcgrad import primitives as P
from funcgrad.core import ShapedArray
from funcgrad.xla_backend import runtime
from funcgrad.xla_backend.lowering.emitter import (LoweringContext, compare, i64_array,
                                                   lowering_rules)

_LAPACK_PREFIX = {dtypes.float32: "s", dtypes.float64: "d", dtypes.complex64: "c",
                  dtypes.complex128: "z"}
_L, _U, _V, _N = ord("L"), ord("U"), ord("V"), ord("N")


def _is_gpu() -> bool:
    return runtime.platform() in ("cuda", "rocm", "gpu")


def _target(base: str, dtype: np.dtype) -> str:
    """The custom-call target for `base` ("potrf", "getrf", "syevd", "gesdd", "geqrf",
    "orgqr", "trsm", "geev", "gees", "gehrd") on this platform and dtype."""
    if _is_gpu():
        if base == "gesdd":
            base = "gesvdj"
        prefix = "hip" if runtime.platform() == "rocm" else "cu"
        return f"{prefix}solver_{base}_ffi"
    runtime.ensure_linalg_kernels()
    if dtypes.is_complex(dtype):
        base = {"syevd": "heevd", "orgqr": "ungqr"}.get(base, base)
    return f"lapack_{_LAPACK_PREFIX[dtype]}{base}_ffi"


def _layout(aval: ShapedArray, matrix: bool) -> str:
    """Minor-to-major layout: column-major matrices in the last two dims, batch major."""
    r = aval.ndim
    dims = [r - 2, r - 1, *range(r - 3, -1, -1)] if matrix else list(range(r - 1, -1, -1))
    inner = f"[{', '.join(map(str, dims))}]" if dims else ""
    return f"dense<{inner}> : tensor<{len(dims)}xindex>"


def _custom_call(ctx: LoweringContext, target: str, operands: Sequence[str],
                 matrix_in: Sequence[bool], out_avals: Sequence[ShapedArray],
                 matrix_out: Sequence[bool], config: str,
                 aliases: dict[int, int] | None = None) -> list[str]:
    """`aliases` maps a result's index to the operand whose buffer it may reuse."""
    in_l = ", ".join(_layout(ctx.avals[o], mat)
                     for o, mat in zip(operands, matrix_in, strict=True))
    out_l = ", ".join(_layout(a, mat) for a, mat in zip(out_avals, matrix_out, strict=True))
    attrs = (f'api_version = 4 : i32, call_target_name = "{target}", '
             f"backend_config = {{{config}}}, operand_layouts = [{in_l}], "
             f"result_layouts = [{out_l}]")
    if aliases:
        one = len(out_avals) == 1
        pairs = ", ".join(
            "#stablehlo.output_operand_alias<output_tuple_indices = "
            f"[{'' if one else r}], operand_index = {o}, operand_tuple_indices = []>"
            for r, o in aliases.items())
        attrs += f", output_operand_aliases = [{pairs}]"
    return ctx.op("stablehlo.custom_call", list(operands), list(out_avals), attrs)


def _ok_mask(ctx: LoweringContext, info: str, shape: tuple[int, ...], nbatch: int) -> str:
    """info == 0, broadcast over the trailing dims of `shape`."""
    ia = ctx.avals[info]
    ok = compare(ctx, "EQ", info, ctx.constant(0, ia.dtype, ia.shape))
    return ctx.op1("stablehlo.broadcast_in_dim", [ok], ShapedArray(shape, dtypes.bool_),
                   f"broadcast_dimensions = {i64_array(range(nbatch))}")


def _nan_unless(ctx: LoweringContext, ok: str, x: str) -> str:
    a = ctx.avals[x]
    nan = ctx.constant(complex(np.nan, np.nan) if dtypes.is_complex(a.dtype) else np.nan,
                       a.dtype, a.shape)
    return ctx.op1("stablehlo.select", [ok, x, nan], a)


def _triangle(ctx: LoweringContext, x: str, lower: bool, k: int = 0) -> str:
    """Zero out everything off the lower (or upper) triangle of the last two dims."""
    a = ctx.avals[x]
    r = a.ndim
    ishape = a.update(dtype=dtypes.int32, weak_type=False)
    rows = ctx.op1("stablehlo.iota", [], ishape, f"iota_dimension = {r - 2} : i64")
    cols = ctx.op1("stablehlo.iota", [], ishape, f"iota_dimension = {r - 1} : i64")
    if k:
        rows = ctx.op1("stablehlo.add", [rows, ctx.constant(k, dtypes.int32, a.shape)], ishape)
    keep = compare(ctx, "GE" if lower else "LE", rows, cols)
    return ctx.op1("stablehlo.select", [keep, x, ctx.constant(0, a.dtype, a.shape)], a)


def _real_diagonal(ctx: LoweringContext, x: str) -> str:
    """x with the imaginary part of its diagonal dropped. cholesky and eigh define their
    operand as the Hermitian matrix built from one triangle, whose diagonal is real; doing
    it here keeps that meaning whatever a platform's kernel does with the imaginary part."""
    a = ctx.avals[x]
    if not dtypes.is_complex(a.dtype):
        return x
    r = a.update(dtype=dtypes.real_dtype(a.dtype), weak_type=False)
    re = ctx.op1("stablehlo.real", [x], r)
    as_complex = ctx.op1("stablehlo.complex", [re, ctx.constant(0, r.dtype, r.shape)], a)
    ishape = a.update(dtype=dtypes.int32, weak_type=False)
    rows = ctx.op1("stablehlo.iota", [], ishape, f"iota_dimension = {a.ndim - 2} : i64")
    cols = ctx.op1("stablehlo.iota", [], ishape, f"iota_dimension = {a.ndim - 1} : i64")
    on_diag = compare(ctx, "EQ", rows, cols)
    return ctx.op1("stablehlo.select", [on_diag, as_complex, x], a)


def _flag(v: bool) -> str:
    return "true" if v else "false"


def _info_aval(a: ShapedArray) -> ShapedArray:
    return ShapedArray(a.shape[:-2], dtypes.int32)


# ---------------------------------------------------------------------------
# rules


def _cholesky_lower(ctx: LoweringContext, x: str) -> list[str]:
    a = ctx.avals_in[0].strong()
    if a.shape[-1] == 0:
        return [x]
    config = "lower = true" if _is_gpu() else f"uplo = {_L} : ui8"
    x = _real_diagonal(ctx, x)
    fac, info = _custom_call(ctx, _target("potrf", a.dtype), [x], [True], [a, _info_aval(a)],
                             [True, False], config, aliases={0: 0})
    ok = _ok_mask(ctx, info, a.shape, a.ndim - 2)
    return [_nan_unless(ctx, ok, _triangle(ctx, fac, lower=True))]


def _triangular_solve_lower(ctx: LoweringContext, a: str, b: str, *, left_side: bool,
                            lower: bool, transpose_a: bool, conjugate_a: bool,
                            unit_diagonal: bool) -> list[str]:
    out = ctx.avals_out[0]
    if out.size == 0:
        return [b]
    cplx = dtypes.is_complex(out.dtype)
    if conjugate_a and not transpose_a:
        if cplx:
            a = ctx.op1("chlo.conj", [a], ctx.avals[a])
        conjugate_a = False
    adjoint = transpose_a and conjugate_a and cplx
    if runtime.platform() != "cpu":
        kind = "NO_TRANSPOSE" if not transpose_a else "ADJOINT" if adjoint else "TRANSPOSE"
        return [ctx.op1("stablehlo.triangular_solve", [a, b], out,
                        f"left_side = {_flag(left_side)}, lower = {_flag(lower)}, "
                        f"unit_diagonal = {_flag(unit_diagonal)}, "
                        f"transpose_a = #stablehlo<transpose {kind}>")]
    # LAPACK's trsm, batched over the leading dims by the kernel; the solution takes
    # b's buffer (the kernel works in place).
    trans = ord("C") if adjoint else ord("T") if transpose_a else _N
    config = (f"diag = {ord('U') if unit_diagonal else _N} : ui8, "
              f"side = {_L if left_side else ord('R')} : ui8, trans_x = {trans} : ui8, "
              f"uplo = {_L if lower else _U} : ui8")
    return _custom_call(ctx, _target("trsm", out.dtype), [a, b], [True, True], [out], [True],
                        config, aliases={0: 1})


def _pivots_to_permutation(ctx: LoweringContext, piv: str, m: int) -> str:
    """perm = arange(m); for i in range(k): swap perm[i], perm[piv[i]] — as a while loop
    (for a stack of matrices, each step masks whole rows, as pivots differ per matrix)."""
    pa = ctx.avals[piv]
    batch, k = pa.shape[:-1], pa.shape[-1]
    i32 = dtypes.int32
    perm_aval = ShapedArray((*batch, m), i32)
    perm0 = ctx.op1("stablehlo.iota", [], perm_aval, f"iota_dimension = {len(batch)} : i64")
    if k == 0 or m == 0:
        return perm0
    scalar = ShapedArray((), i32)
    i0 = ctx.constant(0, i32)

    def cond(i: str, perm: str, pv: str) -> list[str]:
        return [compare(ctx, "LT", i, ctx.constant(k, i32))]

    one = ShapedArray((1,), i32)

    def swap(i: str, perm: str, pv: str) -> list[str]:
        """One matrix: swap two entries by scalar slices and updates, O(1) a step."""
        j = ctx.op1("stablehlo.reshape", [ctx.op1("stablehlo.dynamic_slice", [pv, i], one,
                                                  "slice_sizes = array<i64: 1>")], scalar)
        p_i = ctx.op1("stablehlo.dynamic_slice", [perm, i], one, "slice_sizes = array<i64: 1>")
        p_j = ctx.op1("stablehlo.dynamic_slice", [perm, j], one, "slice_sizes = array<i64: 1>")
        perm = ctx.op1("stablehlo.dynamic_update_slice", [perm, p_j, i], perm_aval)
        perm = ctx.op1("stablehlo.dynamic_update_slice", [perm, p_i, j], perm_aval)
        return [ctx.op1("stablehlo.add", [i, ctx.constant(1, i32)], scalar), perm, pv]

    def body(i: str, perm: str, pv: str) -> list[str]:
        zeros = [ctx.constant(0, i32) for _ in batch]
        col = ctx.op1("stablehlo.dynamic_slice", [pv, *zeros, i],
                      ShapedArray((*batch, 1), i32), f"slice_sizes = {i64_array((*batch, 1))}")
        nd = len(batch)
        lanes = ctx.op1("stablehlo.iota", [], perm_aval, f"iota_dimension = {nd} : i64")
        p_b = ctx.op1("stablehlo.broadcast_in_dim", [col], perm_aval,
                      f"broadcast_dimensions = {i64_array(range(nd + 1))}")
        i_b = ctx.op1("stablehlo.broadcast_in_dim", [i], perm_aval,
                      "broadcast_dimensions = array<i64>")
        at_p = compare(ctx, "EQ", lanes, p_b)
        at_i = compare(ctx, "EQ", lanes, i_b)
        zero = ctx.constant(0, i32, perm_aval.shape)
        red_aval = ShapedArray(batch, i32)

        def pick(mask: str) -> str:
            picked = ctx.op1("stablehlo.select", [mask, perm, zero], perm_aval)
            add_body = ctx.region([scalar, scalar],
                                  lambda x, y: [ctx.op1("stablehlo.add", [x, y], scalar)])
            s = ctx.op1("stablehlo.reduce", [picked, ctx.constant(0, i32)], red_aval,
                        f"dimensions = {i64_array([nd])}", [add_body])
            return ctx.op1("stablehlo.broadcast_in_dim", [s], perm_aval,
                           f"broadcast_dimensions = {i64_array(range(nd))}")

        v_i, v_p = pick(at_i), pick(at_p)
        swapped = ctx.op1("stablehlo.select", [at_p, v_i, perm], perm_aval)
        swapped = ctx.op1("stablehlo.select", [at_i, v_p, swapped], perm_aval)
        return [ctx.op1("stablehlo.add", [i, ctx.constant(1, i32)], scalar), swapped, pv]

    states = [scalar, perm_aval, pa]
    cond_r = ctx.region(states, cond)
    body_r = ctx.region(states, body if batch else swap)
    outs = ctx.op("stablehlo.while", [i0, perm0, piv], states, "", [cond_r, body_r])
    return outs[1]


def _lu_lower(ctx: LoweringContext, x: str) -> list[str]:
    a = ctx.avals_in[0].strong()
    m, n = a.shape[-2:]
    batch = a.shape[:-2]
    k = min(m, n)
    piv_aval = ShapedArray((*batch, k), dtypes.int32)
    if k == 0:
        piv = ctx.op1("stablehlo.iota", [], piv_aval, f"iota_dimension = {len(batch)} : i64")
        return [x, piv, _pivots_to_permutation(ctx, piv, m)]
    fac, ipiv, _info = _custom_call(ctx, _target("getrf", a.dtype), [x], [True],
                                    [a, piv_aval, _info_aval(a)], [True, False, False], "")
    piv = ctx.op1("stablehlo.subtract", [ipiv, ctx.constant(1, dtypes.int32, piv_aval.shape)],
                  piv_aval)
    return [fac, piv, _pivots_to_permutation(ctx, piv, m)]


def _eigh_lower(ctx: LoweringContext, x: str, *, lower: bool) -> list[str]:
    a = ctx.avals_in[0].strong()
    v_aval, w_aval = ctx.avals_out
    if a.shape[-1] == 0:
        return [x, ctx.constant(0, w_aval.dtype, w_aval.shape)]
    if _is_gpu():
        config = f"algorithm = 0 : ui8, lower = {'true' if lower else 'false'}"
    else:
        config = f"mode = {_V} : ui8, uplo = {_L if lower else _U} : ui8"
    x = _real_diagonal(ctx, x)
    v, w, info = _custom_call(ctx, _target("syevd", a.dtype), [x], [True],
                              [v_aval, w_aval, _info_aval(a)], [True, False, False], config)
    nb = a.ndim - 2
    return [_nan_unless(ctx, _ok_mask(ctx, info, v_aval.shape, nb), v),
            _nan_unless(ctx, _ok_mask(ctx, info, w_aval.shape, nb), w)]


def _svd_lower(ctx: LoweringContext, x: str, *, full_matrices: bool,
               compute_uv: bool) -> list[str]:
    a = ctx.avals_in[0].strong()
    m, n = a.shape[-2:]
    batch = a.shape[:-2]
    k = min(m, n)
    s_aval = ShapedArray((*batch, k), dtypes.real_dtype(a.dtype))
    full = full_matrices or not compute_uv
    u_aval = ShapedArray((*batch, m, m if full else k), a.dtype)
    vt_aval = ShapedArray((*batch, n if full else k, n), a.dtype)
    if k == 0:
        outs = [ctx.constant(0, s_aval.dtype, s_aval.shape)]
        if compute_uv:
            eye = [_identity(ctx, av) for av in ctx.avals_out[1:]]
            outs += eye
        return outs
    if _is_gpu():
        return _svd_gpu(ctx, x, a, s_aval, u_aval, vt_aval, full_matrices, compute_uv)
    mode = ord("N") if not compute_uv else ord("A") if full_matrices else ord("S")
    config = f"mode = {mode} : ui8"
    _, s, u, vt, info = _custom_call(
        ctx, _target("gesdd", a.dtype), [x], [True],
        [a, s_aval, u_aval, vt_aval, _info_aval(a)], [True, False, True, True, False], config)
    nb = len(batch)
    outs = [_nan_unless(ctx, _ok_mask(ctx, info, s_aval.shape, nb), s)]
    if compute_uv:
        outs.append(_nan_unless(ctx, _ok_mask(ctx, info, u_aval.shape, nb), u))
        outs.append(_nan_unless(ctx, _ok_mask(ctx, info, vt_aval.shape, nb), vt))
    return outs


def _svd_gpu(ctx: LoweringContext, x: str, a: ShapedArray, s_aval: ShapedArray,
             u_aval: ShapedArray, vt_aval: ShapedArray, full_matrices: bool,
             compute_uv: bool) -> list[str]:
    """cuSOLVER's Jacobi SVD (gesvdj): it always computes U and V (not V^H), square
    unless economy-sized, which its batched form (matrices up to 32 x 32) lacks;
    V^H and the economy shapes are made here."""
    m, n = a.shape[-2:]
    batch = a.shape[:-2]
    k = min(m, n)
    nb = len(batch)
    econ = not full_matrices and m > 32 and n > 32
    uu = ShapedArray((*batch, m, k if econ else m), a.dtype)
    vv = ShapedArray((*batch, n, k if econ else n), a.dtype)
    config = (f"compute_uv = {'true' if compute_uv else 'false'}, "
              f"full_matrices = {'false' if econ else 'true'}")
    _, s, u, v, info = _custom_call(
        ctx, _target("gesdd", a.dtype), [x], [True],
        [a, s_aval, uu, vv, _info_aval(a)], [True, False, True, True, False], config)
    outs = [_nan_unless(ctx, _ok_mask(ctx, info, s_aval.shape, nb), s)]
    if not compute_uv:
        return outs
    perm = (*range(nb), nb + 1, nb)
    vt = ctx.op1("stablehlo.transpose", [v], vv.update(shape=(*batch, *vv.shape[-2:][::-1])),
                 f"permutation = {i64_array(perm)}")
    if dtypes.is_complex(a.dtype):
        vt = _conj(ctx, vt)
    u = _slice_last2(ctx, u, *u_aval.shape[-2:])
    vt = _slice_last2(ctx, vt, *vt_aval.shape[-2:])
    outs.append(_nan_unless(ctx, _ok_mask(ctx, info, u_aval.shape, nb), u))
    outs.append(_nan_unless(ctx, _ok_mask(ctx, info, vt_aval.shape, nb), vt))
    return outs


def _conj(ctx: LoweringContext, z: str) -> str:
    za = ctx.avals[z]
    part = za.update(dtype=dtypes.real_dtype(za.dtype))
    re = ctx.op1("stablehlo.real", [z], part)
    im = ctx.op1("stablehlo.negate", [ctx.op1("stablehlo.imag", [z], part)], part)
    return ctx.op1("stablehlo.complex", [re, im], za)


def _identity(ctx: LoweringContext, aval: ShapedArray) -> str:
    r = aval.ndim
    ishape = aval.update(dtype=dtypes.int32, weak_type=False)
    rows = ctx.op1("stablehlo.iota", [], ishape, f"iota_dimension = {r - 2} : i64")
    cols = ctx.op1("stablehlo.iota", [], ishape, f"iota_dimension = {r - 1} : i64")
    eq = compare(ctx, "EQ", rows, cols)
    return ctx.op1("stablehlo.select", [eq, ctx.constant(1, aval.dtype, aval.shape),
                                        ctx.constant(0, aval.dtype, aval.shape)], aval)


def _slice_last2(ctx: LoweringContext, x: str, rows: int, cols: int) -> str:
    a = ctx.avals[x]
    nb = a.ndim - 2
    out = a.update(shape=(*a.shape[:-2], rows, cols))
    if out.shape == a.shape:
        return x
    return ctx.op1("stablehlo.slice", [x], out,
                   f"start_indices = {i64_array([0] * a.ndim)}, "
                   f"limit_indices = {i64_array((*a.shape[:nb], rows, cols))}, "
                   f"strides = {i64_array([1] * a.ndim)}")


def _qr_lower(ctx: LoweringContext, x: str, *, full_matrices: bool) -> list[str]:
    a = ctx.avals_in[0].strong()
    q_aval, r_aval = ctx.avals_out
    m, n = a.shape[-2:]
    batch = a.shape[:-2]
    k = min(m, n)
    if k == 0:
        return [_identity(ctx, q_aval), ctx.constant(0, a.dtype, r_aval.shape)]
    tau_aval = ShapedArray((*batch, k), a.dtype)
    fac, tau = _custom_call(ctx, _target("geqrf", a.dtype), [x], [True], [a, tau_aval],
                            [True, False], "")
    qcols = q_aval.shape[-1]
    if qcols <= n:        # Householder vectors of the first qcols columns
        h = _slice_last2(ctx, fac, m, qcols)
    else:                 # complete Q of a tall matrix: pad the reflectors with zero columns
        pad = ctx.constant(0, a.dtype)
        h = ctx.op1("stablehlo.pad", [fac, pad], a.update(shape=(*batch, m, qcols)),
                    f"edge_padding_low = {i64_array([0] * a.ndim)}, "
                    f"edge_padding_high = {i64_array([0] * (a.ndim - 1) + [qcols - n])}, "
                    f"interior_padding = {i64_array([0] * a.ndim)}")
    h_aval = ctx.avals[h]
    (q,) = _custom_call(ctx, _target("orgqr", a.dtype), [h, tau], [True, False], [h_aval],
                        [True], "")
    r = _triangle(ctx, _slice_last2(ctx, fac, r_aval.shape[-2], n), lower=False)
    return [q, r]


def _cpu_only(what: str, hint: str = "") -> None:
    if runtime.platform() != "cpu":
        raise NotImplementedError(f"{what} is implemented on CPU only, not on "
                                  f"{runtime.platform()}{hint}")


def _eig_lower(ctx: LoweringContext, x: str, *, compute_eigenvectors: bool) -> list[str]:
    a = ctx.avals_in[0].strong()
    outs_aval = ctx.avals_out
    _cpu_only("eig (a general, non-symmetric eigendecomposition)",
              "; for a Hermitian matrix use eigh")
    if a.size == 0:
        return [ctx.constant(0, o.dtype, o.shape) for o in outs_aval]
    w_aval = outs_aval[0]
    v_aval = ShapedArray(a.shape, w_aval.dtype)
    nb = a.ndim - 2
    # LAPACK geev: left eigenvectors not computed (but their buffer is still an output);
    # a real operand gets the real and imaginary parts of w apart, its eigenvectors
    # already unpacked from LAPACK's conjugate-pair storage into complex columns.
    config = (f"compute_left = {_N} : ui8, "
              f"compute_right = {_V if compute_eigenvectors else _N} : ui8")
    if dtypes.is_complex(a.dtype):
        w, _vl, vr, info = _custom_call(
            ctx, _target("geev", a.dtype), [x], [True], [w_aval, v_aval, v_aval, _info_aval(a)],
            [False, True, True, False], config)
    else:
        part = ShapedArray(w_aval.shape, a.dtype)
        wr, wi, _vl, vr, info = _custom_call(
            ctx, _target("geev", a.dtype), [x], [True],
            [part, part, v_aval, v_aval, _info_aval(a)], [False, False, True, True, False],
            config)
        w = ctx.op1("stablehlo.complex", [wr, wi], w_aval)
    outs = [_nan_unless(ctx, _ok_mask(ctx, info, w_aval.shape, nb), w)]
    if compute_eigenvectors:
        outs.append(_nan_unless(ctx, _ok_mask(ctx, info, v_aval.shape, nb), vr))
    return outs


def _schur_lower(ctx: LoweringContext, x: str, *, compute_schur_vectors: bool) -> list[str]:
    a = ctx.avals_in[0].strong()
    _cpu_only("schur (LAPACK's gees)")
    if a.size == 0:
        return [x] * len(ctx.avals_out)
    # gees returns t (in a's buffer), vs (written only in mode V), the eigenvalues (a real
    # operand's as real and imaginary parts), the number of selected eigenvalues
    # (always 0: no sorting) and info.
    w_avals = [ShapedArray(a.shape[:-1], a.dtype)] * (1 if dtypes.is_complex(a.dtype) else 2)
    config = f"mode = {_V if compute_schur_vectors else _N} : ui8, sort = {_N} : ui8"
    t, vs, *_, info = _custom_call(
        ctx, _target("gees", a.dtype), [x], [True],
        [a, a, *w_avals, _info_aval(a), _info_aval(a)],
        [True, True, *[False] * len(w_avals), False, False], config, aliases={0: 0})
    ok = _ok_mask(ctx, info, a.shape, a.ndim - 2)
    return [_nan_unless(ctx, ok, r) for r in ([t, vs] if compute_schur_vectors else [t])]


def _hessenberg_lower(ctx: LoweringContext, x: str) -> list[str]:
    a = ctx.avals_in[0].strong()
    tau_aval = ctx.avals_out[1]
    _cpu_only("hessenberg (LAPACK's gehrd)")
    if a.shape[-1] <= 1 or a.size == 0:      # already Hessenberg; no reflectors
        return [x, ctx.constant(0, tau_aval.dtype, tau_aval.shape)]
    # low/high: LAPACK's 1-based ilo/ihi; the whole matrix is reduced
    config = f"high = {a.shape[-1]} : i32, low = 1 : i32"
    packed, taus, info = _custom_call(ctx, _target("gehrd", a.dtype), [x], [True],
                                      [a, tau_aval, _info_aval(a)], [True, False, False],
                                      config, aliases={0: 0})
    nb = a.ndim - 2
    return [_nan_unless(ctx, _ok_mask(ctx, info, a.shape, nb), packed),
            _nan_unless(ctx, _ok_mask(ctx, info, tau_aval.shape, nb), taus)]


def _householder_product_lower(ctx: LoweringContext, x: str, taus: str) -> list[str]:
    out = ctx.avals_out[0]
    if out.size == 0:
        return [x]
    if ctx.avals[taus].shape[-1] == 0:     # no reflectors: the identity's first columns
        return [_identity(ctx, out)]
    return _custom_call(ctx, _target("orgqr", out.dtype), [x, taus], [True, False], [out],
                        [True], "")


lowering_rules.update({
    P.cholesky_p: _cholesky_lower, P.triangular_solve_p: _triangular_solve_lower,
    P.lu_p: _lu_lower, P.eigh_p: _eigh_lower, P.svd_p: _svd_lower, P.qr_p: _qr_lower,
    P.eig_p: _eig_lower, P.schur_p: _schur_lower, P.hessenberg_p: _hessenberg_lower,
    P.householder_product_p: _householder_product_lower,
})

