"""Every primitive funcgrad has, each with its shape/dtype rule, one module per
op family (the same families every rule table uses):

- `elementwise`: unary/binary maths, comparisons, integer_pow, complex,
  select_n, convert_element_type, polygamma, nextafter, stop_gradient;
- `structural`: broadcast_in_dim, reshape, transpose, slices, pad, iota, ...;
- `reductions`: reduce_*, argmax/argmin, cumulative scans, dot_general;
- `indexing`: gather, the scatters, sort;
- `linalg`: cholesky, triangular_solve, lu, eigh, svd, qr, eig;
- `fft`;
- `control`: jit, cond, while, scan (they carry Programs);
- `custom`: custom_jvp_call, custom_vjp_call, custom_lin, checkpoint, name;
- `linear_solve`: linear_solve (lax.custom_linear_solve; carries Programs);
- `tridiagonal`: tridiagonal_solve, tridiagonal (LAPACK's sytrd/hetrd reduction);
- `barrier`: optimization_barrier (the identity XLA may not optimize across),
  dce_sink (keeps a value's computation alive);
- `special`: igamma, igammac, igamma_grad_a, regularized_incomplete_beta, zeta,
  bessel_i0e, bessel_i1e, square, clamp, clz, mulhi, bitcast_convert_type;
- `windowed`: reduce_window_sum/max/min, reduce_window (any computation),
  select_and_gather_add, select_and_scatter_add, reduce_precision, top_k,
  approx_top_k, cumlogsumexp;
- `callback`: pure_callback, io_callback, debug_callback (host Python functions;
  the last two have effects);
- `convolution`: conv_general_dilated (with its ConvDimensionNumbers);
- `collectives`: psum, pmax, pmin, all_gather, psum_scatter, all_to_all,
  ppermute, axis_index (over the named axes of vmap(axis_name=) and shard_map).
- `rng`: rng_bit_generator, rng_uniform (XLA's own generators).

Rules take avals and keyword params and return the output aval(s); they raise
`ShapeError`/`DTypeError` naming the primitive, the operands' shapes and the
user's line. Params are hashable (tuples of ints, np.dtype, Programs).

This package re-exports every primitive and the names the rest of funcgrad
uses (`from funcgrad import primitives as P; P.sin_p`), so no caller needs to
know which family file defines what.
"""
from __future__ import annotations

from types import ModuleType

from funcgrad.core import Primitive
from funcgrad.primitives import (
    collectives,
    control,
    custom,
    elementwise,
    fft,
    indexing,
    linalg,
    linear_solve,
    reductions,
    sharding,
    structural,
    tridiagonal,
    windowed,
)
from funcgrad.primitives import barrier
from funcgrad.primitives.barrier import optimization_barrier_p, dce_sink_p
from funcgrad.primitives import callback
from funcgrad.primitives._shapes import broadcast_shapes
from funcgrad.primitives.sharding import shard_map_p, sharding_constraint_p
from funcgrad.primitives.elementwise import (
    neg_p, sign_p, floor_p, ceil_p, round_p, is_finite_p, exp_p, exp2_p, log_p, expm1_p,
    log1p_p, sin_p, cos_p, tan_p, asin_p, acos_p, atan_p, sinh_p, cosh_p, tanh_p, asinh_p,
    acosh_p, atanh_p, logistic_p, sqrt_p, rsqrt_p, cbrt_p, erf_p, erfc_p, erf_inv_p, lgamma_p,
    digamma_p, abs_p, real_p, imag_p, conj_p, not_p, population_count_p, add_p, sub_p, mul_p,
    div_p, rem_p, pow_p, max_p, min_p, atan2_p, nextafter_p, and_p, or_p, xor_p, shift_left_p,
    shift_right_arithmetic_p, shift_right_logical_p, eq_p, ne_p, lt_p, le_p, gt_p, ge_p, UNARY,
    BINARY, COMPARISONS, integer_pow_p, complex_p, select_n_p, convert_element_type_p,
    stop_gradient_p, polygamma_p,
)
from funcgrad.primitives.structural import (
    broadcast_in_dim_p, reshape_p, transpose_p, squeeze_p, expand_dims_p, rev_p, slice_p,
    dynamic_slice_p, dynamic_update_slice_p, concatenate_p, pad_p, iota_p,
)
from funcgrad.primitives.structural import split_p, tile_p, copy_p
from funcgrad.primitives.reductions import reduce_xor_p
from funcgrad.primitives.reductions import (
    reduce_sum_p, reduce_prod_p, reduce_max_p, reduce_min_p, reduce_and_p, reduce_or_p,
    REDUCTIONS, argmax_p, argmin_p, cumsum_p, cumprod_p, cummax_p, cummin_p, CUMULATIVE,
    dot_general_p, DotDims,
)
from funcgrad.primitives.indexing import (
    GatherDimensionNumbers, ScatterDimensionNumbers, GATHER_MODES, SCATTER_MODES,
    default_fill_value, gather_p, scatter_p, scatter_add_p, scatter_mul_p, scatter_min_p,
    scatter_max_p, SCATTERS, sort_p,
)
from funcgrad.primitives.linalg import (
    cholesky_p, triangular_solve_p, lu_p, eigh_p, svd_p, qr_p, eig_p, schur_p, hessenberg_p,
    householder_product_p,
)
from funcgrad.primitives.linear_solve import linear_solve_p
from funcgrad.primitives.tridiagonal import tridiagonal_solve_p, tridiagonal_p
from funcgrad.primitives import special
from funcgrad.primitives.special import (
    SPECIAL, bessel_i0e_p, bessel_i1e_p, bitcast_convert_type_p, clamp_p, clz_p, igamma_grad_a_p,
    igamma_p, igammac_p, mulhi_p, regularized_incomplete_beta_p, square_p, zeta_p,
)
from funcgrad.primitives.windowed import (
    reduce_window_sum_p, reduce_window_max_p, reduce_window_min_p, reduce_window_p,
    select_and_gather_add_p, select_and_scatter_add_p, reduce_precision_p,
)
from funcgrad.primitives.windowed import top_k_p, approx_top_k_p, cumlogsumexp_p
from funcgrad.primitives import rng
from funcgrad.primitives.rng import rng_bit_generator_p, rng_uniform_p
from funcgrad.primitives.callback import (
    CALLBACKS, CallbackError, HostCallback, debug_callback_p, io_callback_p, pure_callback_p,
)
from funcgrad.primitives import convolution
from funcgrad.primitives.convolution import ConvDimensionNumbers, conv_general_dilated_p
from funcgrad.primitives.fft import (
    FFT_TYPES, fft_p,
)
from funcgrad.primitives.control import (
    jit_p, cond_p, while_p, scan_p,
)
from funcgrad.primitives import bounded_while
from funcgrad.primitives.bounded_while import bounded_while_p
from funcgrad.primitives.custom import (
    custom_jvp_call_p, custom_vjp_call_p, custom_lin_p, checkpoint_p, name_p,
)
from funcgrad.primitives.collectives import (
    CollectivePrimitive, COLLECTIVES, psum_p, pmax_p, pmin_p, all_gather_p, psum_scatter_p,
    all_to_all_p, ppermute_p, axis_index_p,
)

__all__ = [
    "Primitive", "broadcast_shapes", "neg_p", "sign_p", "floor_p", "ceil_p", "round_p",
    "is_finite_p", "exp_p", "exp2_p", "log_p", "expm1_p", "log1p_p", "sin_p", "cos_p", "tan_p",
    "asin_p", "acos_p", "atan_p", "sinh_p", "cosh_p", "tanh_p", "asinh_p", "acosh_p",
    "atanh_p", "logistic_p", "sqrt_p", "rsqrt_p", "cbrt_p", "erf_p", "erfc_p", "erf_inv_p",
    "lgamma_p", "digamma_p", "abs_p", "real_p", "imag_p", "conj_p", "not_p",
    "population_count_p", "add_p", "sub_p", "mul_p", "div_p", "rem_p", "pow_p", "max_p",
    "min_p", "atan2_p", "nextafter_p", "and_p", "or_p", "xor_p", "shift_left_p",
    "shift_right_arithmetic_p", "shift_right_logical_p", "eq_p", "ne_p", "lt_p", "le_p",
    "gt_p", "ge_p", "UNARY", "BINARY", "COMPARISONS", "integer_pow_p", "complex_p",
    "select_n_p", "convert_element_type_p", "stop_gradient_p", "polygamma_p",
    "broadcast_in_dim_p", "reshape_p", "transpose_p", "squeeze_p", "expand_dims_p", "rev_p",
    "slice_p", "dynamic_slice_p", "dynamic_update_slice_p", "concatenate_p", "pad_p", "iota_p",
    "reduce_sum_p", "reduce_prod_p", "reduce_max_p", "reduce_min_p", "reduce_and_p",
    "reduce_or_p", "REDUCTIONS", "argmax_p", "argmin_p", "cumsum_p", "cumprod_p", "cummax_p",
    "cummin_p", "CUMULATIVE", "dot_general_p", "DotDims", "GatherDimensionNumbers",
    "ScatterDimensionNumbers", "GATHER_MODES", "SCATTER_MODES", "default_fill_value",
    "gather_p", "scatter_p", "scatter_add_p", "scatter_mul_p", "scatter_min_p",
    "scatter_max_p", "SCATTERS", "sort_p", "cholesky_p", "triangular_solve_p", "lu_p",
    "eigh_p", "svd_p", "qr_p", "eig_p", "FFT_TYPES", "fft_p", "jit_p", "cond_p", "while_p",
    "scan_p",
    "custom_jvp_call_p", "custom_vjp_call_p", "custom_lin_p", "checkpoint_p",
    "CollectivePrimitive", "COLLECTIVES", "psum_p", "pmax_p", "pmin_p", "all_gather_p",
    "psum_scatter_p", "all_to_all_p", "ppermute_p", "axis_index_p", "sharding_constraint_p",
    "shard_map_p", "FAMILIES", "all_primitives",
]
__all__ += ["linear_solve_p", "schur_p", "hessenberg_p", "householder_product_p"]
__all__ += ["tridiagonal_solve_p", "tridiagonal_p"]
__all__ += ["optimization_barrier_p"]
__all__ += ["dce_sink_p", "split_p", "tile_p", "copy_p", "reduce_xor_p"]
__all__ += ["name_p"]
__all__ += ["bounded_while_p"]
__all__ += ["SPECIAL", "bessel_i0e_p", "bessel_i1e_p", "bitcast_convert_type_p", "clamp_p",
            "clz_p", "igamma_grad_a_p", "igamma_p", "igammac_p", "mulhi_p",
            "regularized_incomplete_beta_p", "square_p", "zeta_p"]
__all__ += ["reduce_window_sum_p", "reduce_window_max_p", "reduce_window_min_p",
            "reduce_window_p", "select_and_gather_add_p", "select_and_scatter_add_p",
            "reduce_precision_p"]
__all__ += ["ConvDimensionNumbers", "conv_general_dilated_p"]
__all__ += ["top_k_p", "approx_top_k_p", "cumlogsumexp_p", "rng_bit_generator_p",
            "rng_uniform_p"]
__all__ += ["CALLBACKS", "CallbackError", "HostCallback", "debug_callback_p", "io_callback_p",
            "pure_callback_p"]

FAMILIES: tuple[ModuleType, ...] = (elementwise, structural, reductions, indexing, linalg, fft,
                                    control, custom, collectives, sharding, linear_solve,
                                    tridiagonal, windowed, special, barrier, callback,
                                    convolution)
FAMILIES += (rng,)
FAMILIES += (bounded_while,)


def all_primitives() -> list[Primitive]:
    """Every primitive of every family module, once each.

    Read from the family modules rather than this namespace, so a primitive
    defined in a family but not re-exported here is still listed; a family's
    grouping tuples (UNARY, SCATTERS, ...) hold primitives, not aliases of them,
    and are skipped.
    """
    found: dict[int, Primitive] = {}
    for family in FAMILIES:
        for value in vars(family).values():
            if isinstance(value, Primitive):
                found.setdefault(id(value), value)
    return list(found.values())
