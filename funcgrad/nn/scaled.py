"""Block-scaled matrix products (JAX's ``jax.nn.scaled_matmul`` and
``scaled_dot_general``), as their mathematical definition.

JAX runs these as fused cuDNN kernels on float8/float4 data (NVIDIA
Blackwell GPUs only). funcgrad arrays hold no float8/float4 types, so here
they are computed in the operands' own dtypes: the same numbers a user's
reference check would compute, on any device.
"""
from __future__ import annotations

from typing import Any

import funcgrad.numpy as fnp
from funcgrad import dtypes, lax
from funcgrad.numpy._util import asarray_operand, aval_of


def scaled_matmul(lhs: Any, rhs: Any, lhs_scales: Any, rhs_scales: Any,
                  preferred_element_type: Any = fnp.float32) -> Any:
    """einsum('BMK,BNK->BMN') of `lhs` and `rhs` each multiplied by its scales,
    every scale covering a block of K // K_scales consecutive entries.

    Args:
      lhs: (B, M, K). rhs: (B, N, K).
      lhs_scales: (B, M, K_a), K % K_a == 0. rhs_scales: (B, N, K_b), K % K_b == 0.
      preferred_element_type: the result's dtype (default float32, as JAX's).
    Returns: a (B, M, N) array.
    Example: ``scaled_matmul(a, b, fnp.ones((1, 1, 1)), fnp.ones((1, 1, 1)))`` is
    ``a @ b.mT`` for a, b of shape (1, 1, K).

    Raises:
        ValueError: operands not 3-d, mismatched batch, contraction or
        non-contracting sizes, or a block size that does not divide K.
    """
    a, b = asarray_operand(lhs), asarray_operand(rhs)
    sa, sb = asarray_operand(lhs_scales), asarray_operand(rhs_scales)
    shapes = [tuple(aval_of(x).shape) for x in (a, b, sa, sb)]
    if any(len(sh) != 3 for sh in shapes):
        raise ValueError(f"funcgrad.nn.scaled_matmul: all four operands must be 3-d "
                         f"(B, rows, K), got shapes {shapes}")
    (ba, m, ka), (bb, n, kb), (bsa, msa, ksa), (bsb, nsb, ksb) = shapes
    if ka != kb or ba != bb:
        raise ValueError(f"funcgrad.nn.scaled_matmul: lhs and rhs must agree in batch (B) and "
                         f"contraction (K) sizes, got {shapes[0]} and {shapes[1]}")
    if ksa != ksb or bsa != bsb:
        raise ValueError(f"funcgrad.nn.scaled_matmul: the scales must agree in batch and "
                         f"contraction sizes, got {shapes[2]} and {shapes[3]}")
    if msa != m or nsb != n or bsa != ba:
        raise ValueError(f"funcgrad.nn.scaled_matmul: the scales must match the operands' "
                         f"batch and row sizes, got lhs {shapes[0]}, rhs {shapes[1]}, "
                         f"lhs_scales {shapes[2]}, rhs_scales {shapes[3]}")
    if ksa == 0 or ka % ksa:
        raise ValueError(f"funcgrad.nn.scaled_matmul: the scales' last size ({ksa}) must "
                         f"divide the contraction size K={ka}")
    out_dtype = dtypes.canonicalize(preferred_element_type)
    a_scaled = fnp.multiply(a, fnp.repeat(sa, ka // ksa, axis=-1))
    b_scaled = fnp.multiply(b, fnp.repeat(sb, kb // ksb, axis=-1))
    return fnp.einsum("bmk,bnk->bmn", a_scaled, b_scaled,
                      preferred_element_type=out_dtype).astype(out_dtype)


def scaled_dot_general(lhs: Any, rhs: Any, dimension_numbers: Any,
                       preferred_element_type: Any = fnp.float32, configs: Any = None,
                       implementation: str | None = None) -> Any:
    """`lax.dot_general` with the result in `preferred_element_type` (default float32).

    Raises:
        NotImplementedError: `configs` is given: block-scaled quantization to
          float8/float4 (nvfp4, mxfp8) needs dtypes funcgrad arrays do not hold.
        ValueError: `implementation` is given (JAX ignores it with a warning).
    """
    if configs is not None:
        raise NotImplementedError(
            "funcgrad.nn.scaled_dot_general: quantizing configs (nvfp4/mxfp8) need float8/"
            "float4 arrays, which funcgrad does not hold; pass configs=None for an exact "
            "dot_general, or use scaled_matmul with your own scales")
    if implementation is not None:
        raise ValueError(f"funcgrad.nn.scaled_dot_general: implementation={implementation!r} "
                         "selects no backend here; leave it None")
    out_dtype = dtypes.canonicalize(preferred_element_type)
    return lax.dot_general(lhs, rhs, dimension_numbers).astype(out_dtype)


__all__ = ["scaled_dot_general", "scaled_matmul"]
