"""Lowering rules of the tridiagonal primitives: tridiagonal_solve and tridiagonal.

On CPU both are LAPACK custom calls that jaxlib registers (typed FFI, as in
`linalg`): ``lapack_?gtsv_ffi`` (operands dl, d, du, b; results the overwritten
dl, d, du, the solution and info; no attributes; the kernel hands LAPACK
``dl + 1``, so dl[0] is skipped) and ``lapack_?sytrd_ffi`` / ``lapack_?hetrd_ffi``
(operand a; attribute ``uplo``; results a, d, e, taus, info). A failure
(``info != 0``: a zero pivot) gives NaNs, like JAX.

Elsewhere tridiagonal_solve is the Thomas algorithm, two ``stablehlo.while`` loops
(forward elimination, back substitution) over the rows, batched over the leading
dims. It does not pivot, so it needs a matrix whose elimination meets no zero
pivot (diagonally dominant ones are safe); gtsv pivots. tridiagonal has no lowering
off CPU. Both paths are plain StableHLO or LAPACK, so the tests run the loop on CPU
too (with the platform monkeypatched).
"""
from __future__ import annotations

from funcgrad import dtypes
from funcgrad import primitives as P
from funcgrad.core import ShapedArray
from funcgrad.xla_backend import runtime
from funcgrad.xla_backend.lowering.emitter import (LoweringContext, compare, i64_array,
                                                   lowering_rules)
from funcgrad.xla_backend.lowering.linalg import (_custom_call, _info_aval, _nan_unless,
                                                  _ok_mask, _target)


def _tridiagonal_solve_lower(ctx: LoweringContext, dl: str, d: str, du: str,
                             b: str) -> list[str]:
    out = ctx.avals_out[0]
    if out.size == 0:
        return [b]
    if runtime.platform() != "cpu":
        return [_thomas(ctx, dl, d, du, b)]
    # gtsv overwrites its diagonals (with its LU factors): they come back as results,
    # aliased to the operands' buffers, and are dropped; XLA copies an operand that is
    # still needed.
    diag = ctx.avals[d].strong()
    *_, x, info = _custom_call(ctx, _target("gtsv", out.dtype), [dl, d, du, b],
                               [False, False, False, True],
                               [diag, diag, diag, out, _info_aval(out)],
                               [False, False, False, True, False], "",
                               aliases={0: 0, 1: 1, 2: 2, 3: 3})
    return [_nan_unless(ctx, _ok_mask(ctx, info, out.shape, out.ndim - 2), x)]


def _zero_at(ctx: LoweringContext, v: str, index: int) -> str:
    """The diagonal `v` with its entry `index` of the last axis set to zero."""
    a = ctx.avals[v]
    lanes = ctx.op1("stablehlo.iota", [], a.update(dtype=dtypes.int32, weak_type=False),
                    f"iota_dimension = {a.ndim - 1} : i64")
    at = compare(ctx, "EQ", lanes, ctx.constant(index, dtypes.int32, a.shape))
    return ctx.op1("stablehlo.select", [at, ctx.constant(0, a.dtype, a.shape), v], a)


def _thomas(ctx: LoweringContext, dl: str, d: str, du: str, b: str) -> str:
    """Forward elimination  c'_i = du_i / den_i,  b'_i = (b_i - dl_i b'_{i-1}) / den_i
    with den_i = d_i - dl_i c'_{i-1} (c'_{-1} = b'_{-1} = 0), then back substitution
    x_i = b'_i - c'_i x_{i+1} (x_m = 0). The ignored ends dl[0] and du[m-1] are zeroed
    first, so they never enter (not even as 0 * inf)."""
    out = ctx.avals_out[0]
    diag = ctx.avals[d].strong()
    nb, (m, n) = out.ndim - 2, out.shape[-2:]
    batch = out.shape[:nb]
    i32, scalar = dtypes.int32, ShapedArray((), dtypes.int32)
    row_d, row_b = diag.update(shape=(*batch, 1)), out.update(shape=(*batch, 1, n))
    dl, du = _zero_at(ctx, dl, 0), _zero_at(ctx, du, m - 1)

    def row(x: str, i: str) -> str:
        """Row i of a diagonal ((..., 1)) or of a matrix ((..., 1, n))."""
        a = ctx.avals[x]
        size = row_d if a.ndim == nb + 1 else row_b
        starts = [ctx.constant(0, i32)] * nb + [i] + [ctx.constant(0, i32)] * (a.ndim - nb - 1)
        return ctx.op1("stablehlo.dynamic_slice", [x, *starts], size,
                       f"slice_sizes = {i64_array(size.shape)}")

    def put(x: str, update: str, i: str) -> str:
        a = ctx.avals[x]
        starts = [ctx.constant(0, i32)] * nb + [i] + [ctx.constant(0, i32)] * (a.ndim - nb - 1)
        return ctx.op1("stablehlo.dynamic_update_slice", [x, update, *starts], a)

    def across(v: str) -> str:
        """A row of a diagonal ((..., 1)) spread over the n columns of a matrix row."""
        return ctx.op1("stablehlo.broadcast_in_dim", [v], row_b,
                       f"broadcast_dimensions = {i64_array(range(nb + 1))}")

    def mul(x: str, y: str) -> str:
        return ctx.op1("stablehlo.multiply", [x, y], ctx.avals[x])

    def sub(x: str, y: str) -> str:
        return ctx.op1("stablehlo.subtract", [x, y], ctx.avals[x])

    def div(x: str, y: str) -> str:
        return ctx.op1("stablehlo.divide", [x, y], ctx.avals[x])

    def step(i: str, by: int) -> str:
        return ctx.op1("stablehlo.add", [i, ctx.constant(by, i32)], scalar)

    # forward: state (i, c', b', c'_{i-1}, b'_{i-1}, dl, d, du, b)
    fwd = [scalar, diag, out, row_d, row_b, diag, diag, diag, out]

    def fwd_cond(i: str, *_: str) -> list[str]:
        return [compare(ctx, "LT", i, ctx.constant(m, i32))]

    def fwd_body(i: str, cs: str, bs: str, c_prev: str, b_prev: str, dl_: str, d_: str,
                 du_: str, b_: str) -> list[str]:
        dl_i = row(dl_, i)
        den = sub(row(d_, i), mul(dl_i, c_prev))
        c_i = div(row(du_, i), den)
        b_i = div(sub(row(b_, i), mul(across(dl_i), b_prev)), across(den))
        return [step(i, 1), put(cs, c_i, i), put(bs, b_i, i), c_i, b_i, dl_, d_, du_, b_]

    init = [ctx.constant(0, i32), ctx.constant(0, diag.dtype, diag.shape),
            ctx.constant(0, out.dtype, out.shape), ctx.constant(0, diag.dtype, row_d.shape),
            ctx.constant(0, out.dtype, row_b.shape), dl, d, du, b]
    _, cs, bs, *_ = ctx.op("stablehlo.while", init, fwd, "",
                           [ctx.region(fwd, fwd_cond), ctx.region(fwd, fwd_body)])

    # backward: state (i, x, x_{i+1}, c', b'), i from m-1 down to 0
    bwd = [scalar, out, row_b, diag, out]

    def bwd_cond(i: str, *_: str) -> list[str]:
        return [compare(ctx, "GE", i, ctx.constant(0, i32))]

    def bwd_body(i: str, xs: str, x_next: str, cs_: str, bs_: str) -> list[str]:
        x_i = sub(row(bs_, i), mul(across(row(cs_, i)), x_next))
        return [step(i, -1), put(xs, x_i, i), x_i, cs_, bs_]

    init = [ctx.constant(m - 1, i32), ctx.constant(0, out.dtype, out.shape),
            ctx.constant(0, out.dtype, row_b.shape), cs, bs]
    return ctx.op("stablehlo.while", init, bwd, "",
                  [ctx.region(bwd, bwd_cond), ctx.region(bwd, bwd_body)])[1]


def _tridiagonal_lower(ctx: LoweringContext, x: str, *, lower: bool) -> list[str]:
    if runtime.platform() != "cpu":
        raise NotImplementedError(f"tridiagonal (LAPACK's sytrd/hetrd reduction) is "
                                  f"implemented on CPU only, not on {runtime.platform()}")
    a = ctx.avals_in[0].strong()
    outs = ctx.avals_out
    if a.size == 0:         # an empty batch
        return [x, *(ctx.constant(0, o.dtype, o.shape) for o in outs[1:])]
    base = "hetrd" if dtypes.is_complex(a.dtype) else "sytrd"
    *results, info = _custom_call(ctx, _target(base, a.dtype), [x], [True],
                                  [*outs, _info_aval(a)], [True, False, False, False, False],
                                  f"uplo = {ord('L' if lower else 'U')} : ui8",
                                  aliases={0: 0})
    nb = a.ndim - 2
    return [_nan_unless(ctx, _ok_mask(ctx, info, r_aval.shape, nb), r)
            for r, r_aval in zip(results, outs, strict=True)]


lowering_rules.update({
    P.tridiagonal_solve_p: _tridiagonal_solve_lower, P.tridiagonal_p: _tridiagonal_lower,
})
