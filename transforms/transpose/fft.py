"""Transpose rule of fft: FFT/IFFT are symmetric, RFFT/IRFFT transpose through
their complex counterparts (JAX's convention for complex cotangents)."""
from __future__ import annotations

from typing import Any

import numpy as np

from funcgrad import dtypes, primitives as P
from funcgrad.transforms.programs import aval, convert, instantiate, strong_scalar, weak_scalar
from funcgrad.transforms.transpose.interpreter import transpose_rules


def _fft_transpose(ct: Any, x: Any, *, fft_type: str,
                   fft_lengths: tuple[int, ...]) -> list[Any]:
    ct = instantiate(ct)
    if fft_type in ("FFT", "IFFT"):          # the DFT matrices are symmetric
        return [P.fft_p.bind(ct, fft_type=fft_type, fft_lengths=fft_lengths)]
    ca = aval(ct)
    if fft_type == "RFFT":
        # rfft = keep the first n//2+1 bins of fft(x + 0j): pad back, fft, real part
        n = fft_lengths[-1]
        cfg = tuple((0, n - ca.shape[-1] if d == ca.ndim - 1 else 0, 0) for d in range(ca.ndim))
        full = P.pad_p.bind(ct, weak_scalar(0, ca.dtype), padding_config=cfg)
        return [P.real_p.bind(P.fft_p.bind(full, fft_type="FFT", fft_lengths=fft_lengths))]
    # IRFFT: the half spectrum's bins count twice except DC (and Nyquist when n is even)
    y = P.fft_p.bind(ct, fft_type="RFFT", fft_lengths=fft_lengths)
    ya = aval(y)
    m = ya.shape[-1]
    n = fft_lengths[-1]
    # weights 2, 1 at DC and (n even) at Nyquist, over the number of points:
    # built from iota, so the rule creates no device array of its own
    bins = P.iota_p.bind(dtype=dtypes.int32, shape=(m,), dimension=0)
    single = P.eq_p.bind(bins, strong_scalar(0, dtypes.int32))
    if n % 2 == 0:
        single = P.or_p.bind(single, P.eq_p.bind(bins, strong_scalar(m - 1, dtypes.int32)))
    rdt = dtypes.real_dtype(ya.dtype)
    size = float(np.prod(fft_lengths))
    w = P.select_n_p.bind(single, strong_scalar(2.0 / size, rdt), strong_scalar(1.0 / size, rdt))
    w = P.broadcast_in_dim_p.bind(w, shape=ya.shape, broadcast_dimensions=(ya.ndim - 1,))
    w = convert(w, ya.dtype)
    return [P.conj_p.bind(P.mul_p.bind(y, w))]


transpose_rules[P.fft_p] = _fft_transpose
