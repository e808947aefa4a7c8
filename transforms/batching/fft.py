"""Batching rule of fft: it acts on the trailing `len(fft_lengths)` axes."""
from __future__ import annotations

from funcgrad import primitives as P
from funcgrad.transforms.batching.interpreter import batch_rules, trailing_op_batch


def _fft_core_ndim(*, fft_type: str, fft_lengths: tuple[int, ...]) -> int:
    return len(fft_lengths)


batch_rules[P.fft_p] = trailing_op_batch(P.fft_p, _fft_core_ndim)
