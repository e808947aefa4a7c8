"""The fft primitive (stablehlo.fft) over the last len(fft_lengths) dimensions.

fft_type is "FFT"/"IFFT" (complex -> complex), "RFFT" (real -> half spectrum)
or "IRFFT" (half spectrum -> real); IFFT/IRFFT include the 1/n scaling.
"""
from __future__ import annotations

from funcgrad import dtypes
from funcgrad.core import Primitive, ShapedArray, shape_error
from funcgrad.errors import DTypeError


FFT_TYPES = ("FFT", "IFFT", "RFFT", "IRFFT")
fft_p = Primitive("fft")


@fft_p.def_abstract_eval
def _fft_rule(x: ShapedArray, *, fft_type: str, fft_lengths: tuple[int, ...]) -> ShapedArray:
    if fft_type not in FFT_TYPES:
        raise ValueError(f"fft: fft_type must be one of {FFT_TYPES}, got {fft_type!r}")
    k = len(fft_lengths)
    if not 1 <= k <= 3 or x.ndim < k:
        raise shape_error("fft", f"needs 1 to 3 fft_lengths and at least that many operand "
                                 f"dims, got {fft_lengths} for shape {x.shape}")
    if any(n < 1 for n in fft_lengths):     # like NumPy: no transform of zero points
        raise shape_error("fft", f"fft_lengths must be positive, got {fft_lengths}")
    lead, tail = x.shape[:-k], x.shape[-k:]
    if fft_type == "RFFT":
        if x.dtype not in (dtypes.float32, dtypes.float64):
            raise DTypeError(f"fft RFFT needs a float32 or float64 operand, got {x.dtype}")
        if tail != tuple(fft_lengths):
            raise shape_error("fft", f"RFFT of lengths {fft_lengths} needs trailing dims "
                                     f"{fft_lengths}, got shape {x.shape}")
        out_dt = dtypes.complex64 if x.dtype == dtypes.float32 else dtypes.complex128
        return ShapedArray((*lead, *fft_lengths[:-1], fft_lengths[-1] // 2 + 1), out_dt)
    if x.dtype not in (dtypes.complex64, dtypes.complex128):
        raise DTypeError(f"fft {fft_type} needs a complex64 or complex128 operand, got {x.dtype}")
    if fft_type == "IRFFT":
        want = (*fft_lengths[:-1], fft_lengths[-1] // 2 + 1)
        if tail != want:
            raise shape_error("fft", f"IRFFT of lengths {fft_lengths} needs trailing dims "
                                     f"{want}, got shape {x.shape}")
        return ShapedArray((*lead, *fft_lengths), dtypes.real_dtype(x.dtype))
    if tail != tuple(fft_lengths):
        raise shape_error("fft", f"{fft_type} of lengths {fft_lengths} needs trailing dims "
                                 f"{fft_lengths}, got shape {x.shape}")
    return x.strong()
