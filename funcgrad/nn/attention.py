"""Scaled dot-product attention (JAX's ``jax.nn.dot_product_attention``, its
reference "xla" implementation).

Shapes use JAX's letters: B batch, T query length, S key length, N query
heads, K key/value heads (N a multiple of K: grouped-query attention, G = N // K
query heads per key head), H head size. Every mask (boolean, causal, local
window, sequence lengths) is applied by replacing masked logits with a large
negative number, so a fully masked row is a uniform average rather than nan.
"""
from __future__ import annotations

from typing import Any

import numpy as np

import funcgrad.numpy as fnp
from funcgrad import dtypes
from funcgrad.autodiff import stop_gradient
from funcgrad.nn.normalization import logsumexp, softmax
from funcgrad.numpy._eager import eager_jit
from funcgrad.numpy._util import asarray_operand, aval_of


def _as_4d(t: Any) -> Any:
    t = asarray_operand(t)
    nd = aval_of(t).ndim
    return fnp.reshape(t, (1,) * (4 - nd) + tuple(aval_of(t).shape)) if nd < 4 else t


def _check(t: Any, shape: list[int], dtype: Any, name: str) -> None:
    if t is None:
        return
    a = aval_of(t)
    if a.ndim != len(shape):
        raise ValueError(f"funcgrad.nn.dot_product_attention: {name} must have {len(shape)} "
                         f"dimensions, got shape {tuple(a.shape)}")
    if dtype is not None and a.dtype != dtype:
        raise ValueError(f"funcgrad.nn.dot_product_attention: {name} must have dtype "
                         f"{np.dtype(dtype)}, got {a.dtype}")
    if any(want not in (-1, got) for want, got in zip(shape, a.shape, strict=True)):
        want_str = "(" + ", ".join("_" if d == -1 else str(d) for d in shape) + ")"
        raise ValueError(f"funcgrad.nn.dot_product_attention: {name} must have shape "
                         f"{want_str}, got {tuple(a.shape)}")


def _grouped(t: Any, k: int, g: int) -> Any:
    """A (B|1, N|1, T|1, S|1) bias or mask as (B|1, K|1, G|1, T|1, S|1)."""
    tb, tn, tt, ts = aval_of(t).shape
    if tn == 1:
        return fnp.reshape(t, (tb, 1, 1, tt, ts))
    if tn != k * g:
        raise ValueError(f"funcgrad.nn.dot_product_attention: the head dimension of a bias or "
                         f"mask must be 1 or the number of query heads {k * g}, got {tn}")
    return fnp.reshape(t, (tb, k, g, tt, ts))


def _keep_mask(t: int, s: int, is_causal: bool, window: tuple[int, int] | None,
               q_len: Any, kv_len: Any) -> Any:
    """The positions (as B|1, 1, 1, T, S) that causality, the local window and
    the sequence lengths let take part; None when nothing is masked."""
    keep = None

    def both(m: Any) -> Any:
        return m if keep is None else fnp.logical_and(keep, m)

    q_pos = fnp.arange(t)[:, None]
    k_pos = fnp.arange(s)[None, :]
    if is_causal:
        keep = both(fnp.greater_equal(q_pos, k_pos)[None, None, None])
    if window is not None:
        left, right = window
        keep = both(fnp.logical_and(fnp.less_equal(q_pos, fnp.add(k_pos, left)),
                                    fnp.greater_equal(q_pos, fnp.subtract(k_pos, right)))
                    [None, None, None])
    if q_len is not None:
        keep = both(fnp.less(fnp.arange(t)[None, :, None], q_len[:, None, None])
                    [:, None, None])
    if kv_len is not None:
        keep = both(fnp.less(fnp.arange(s)[None, None, :], kv_len[:, None, None])
                    [:, None, None])
    return keep


def dot_product_attention(query: Any, key: Any, value: Any, bias: Any = None, mask: Any = None,
                          *, scale: float | None = None, is_causal: bool = False,
                          query_seq_lengths: Any = None, key_value_seq_lengths: Any = None,
                          local_window_size: int | tuple[int, int] | None = None,
                          implementation: str | None = None,
                          return_residual: bool = False) -> Any:
    """softmax(Q K^T * scale + bias, masked) V for each head.

    Args:
      query: (B, T, N, H) or (T, N, H). key, value: (B, S, K, H) or (S, K, H),
        N a multiple of K (K == N: multi-head, K == 1: multi-query attention).
      bias: added to the logits, 4-d, broadcastable to (B, N, T, S).
      mask: boolean, 4-d, broadcastable to (B, N, T, S); True takes part.
      scale: multiplies the logits; default 1 / sqrt(H).
      is_causal: query t attends to keys s <= t only.
      query_seq_lengths, key_value_seq_lengths: int32 (B,) valid lengths;
        padded query rows of the output are zero.
      local_window_size: (left, right), or one int for both: query t attends
        to keys t - left .. t + right.
      implementation: None or "xla" (the only implementation here).
      return_residual: also return logsumexp of the masked logits, (B, T, N).
    Returns: an array shaped like `query` (and the residual, if asked for).

    NB: JAX computes the softmax in float32 even for float64 inputs; here it is
    computed in the inputs' dtype when that is wider than float32.

    Raises:
        ValueError: mismatched shapes or dtypes, or another `implementation`
        (e.g. "cudnn", which needs NVIDIA's cuDNN kernels).
    """
    if implementation not in (None, "xla"):
        raise ValueError(f"funcgrad.nn.dot_product_attention: implementation="
                         f"{implementation!r} is not available; use None or 'xla'")
    if isinstance(local_window_size, int):
        local_window_size = (local_window_size, local_window_size)
    elif local_window_size is not None:
        local_window_size = (int(local_window_size[0]), int(local_window_size[1]))
    return _attention(query, key, value, bias, mask, query_seq_lengths, key_value_seq_lengths,
                      scale=None if scale is None else float(scale), is_causal=bool(is_causal),
                      local_window_size=local_window_size, return_residual=bool(return_residual))


@eager_jit(("scale", "is_causal", "local_window_size", "return_residual"))
def _attention(query: Any, key: Any, value: Any, bias: Any, mask: Any, query_seq_lengths: Any,
               key_value_seq_lengths: Any, *, scale: float | None, is_causal: bool,
               local_window_size: tuple[int, int] | None, return_residual: bool) -> Any:
    out_shape = tuple(aval_of(asarray_operand(query)).shape)
    q, k, v = _as_4d(query), _as_4d(key), _as_4d(value)
    bias = None if bias is None else _as_4d(bias)
    mask = None if mask is None else _as_4d(mask)
    q_len = None if query_seq_lengths is None else asarray_operand(query_seq_lengths)
    kv_len = None if key_value_seq_lengths is None else asarray_operand(key_value_seq_lengths)

    b, s, kh, h = aval_of(k).shape
    _check(v, [b, s, kh, h], aval_of(k).dtype, "value")
    _check(q, [b, -1, -1, h], aval_of(k).dtype, "query")
    _check(mask, [-1] * 4, np.dtype(bool), "mask")
    _check(bias, [-1] * 4, None, "bias")
    _check(q_len, [b], np.dtype(np.int32), "query_seq_lengths")
    _check(kv_len, [b], np.dtype(np.int32), "key_value_seq_lengths")
    t, n = aval_of(q).shape[1], aval_of(q).shape[2]
    if n % kh:
        raise ValueError(f"funcgrad.nn.dot_product_attention: the number of query heads ({n}) "
                         f"must be a multiple of the number of key/value heads ({kh})")
    g = n // kh
    scale_val = 1.0 / np.sqrt(h) if scale is None else scale

    logits_dtype = np.promote_types(aval_of(q).dtype, np.float32)
    logits = fnp.einsum("btkgh,bskh->bkgts", fnp.reshape(q, (b, t, kh, g, h)), k,
                        preferred_element_type=logits_dtype)
    logits = fnp.multiply(logits, fnp.asarray(scale_val, dtype=logits_dtype))
    if bias is not None:
        logits = fnp.add(logits, _grouped(bias, kh, g)).astype(logits_dtype)
    keep = _keep_mask(t, s, is_causal, local_window_size, q_len, kv_len)
    if mask is not None:
        keep = _grouped(mask, kh, g) if keep is None else fnp.logical_and(keep,
                                                                          _grouped(mask, kh, g))
    if keep is not None:
        big = min(float(dtypes.finfo(logits_dtype).max), float(np.finfo(np.float32).max))
        logits = fnp.where(keep, logits, fnp.asarray(-0.7 * big, dtype=logits_dtype))
    probs = softmax(logits, axis=-1).astype(aval_of(k).dtype)
    out = fnp.einsum("bkgts,bskh->btkgh", probs, v)
    if q_len is not None:
        valid = fnp.less(fnp.arange(t)[None, :], q_len[:, None])
        out = fnp.multiply(out, valid[:, :, None, None, None].astype(aval_of(out).dtype))
    out = fnp.reshape(out, out_shape)
    if not return_residual:
        return out
    lse = logsumexp(logits, axis=-1).astype(aval_of(k).dtype)        # (B, K, G, T)
    lse = fnp.reshape(fnp.moveaxis(lse, -1, 1), out_shape[:-1])
    return out, stop_gradient(lse)


__all__ = ["dot_product_attention"]
