"""funcgrad.numpy.fft: NumPy's discrete Fourier transforms over `fft_p` (stablehlo.fft).

Every transform moves its axes last, crops or zero-pads them to the requested
lengths (NumPy's `n` / `s`), runs `fft_p` on at most three trailing axes at a
time (XLA's limit; the n-d transform is separable), scales for `norm`
("backward", "ortho", "forward") and moves the axes back. `fft_p` is linear,
so every transform is differentiable (and batchable) through its rules.

Dtypes follow NumPy 2: float32/complex64 inputs give complex64 (or float32 for
the inverse real transforms), everything else complex128/float64.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from funcgrad import dtypes
from funcgrad import primitives as P
from funcgrad.array import from_numpy
from funcgrad.numpy._util import asarray_operand, aval_of, convert, normalize_axis

_NORMS = (None, "backward", "ortho", "forward")


def _complex_dtype(dt: np.dtype) -> np.dtype:
    return dtypes.complex64 if dt in (dtypes.float32, dtypes.complex64, dtypes.float16,
                                      dtypes.bfloat16) else dtypes.complex128


def _real_dtype(dt: np.dtype) -> np.dtype:
    return dtypes.float32 if dt in (dtypes.float32, dtypes.complex64, dtypes.float16,
                                    dtypes.bfloat16) else dtypes.float64


def _moveaxes(x: Any, src: Sequence[int], dst: Sequence[int]) -> Any:
    nd = aval_of(x).ndim
    order = [a for a in range(nd) if a not in src]
    for d, s in sorted(zip(dst, src, strict=True)):
        order.insert(d, s)
    if order == list(range(nd)):
        return x
    return P.transpose_p.bind(x, permutation=tuple(order))


def _resize(x: Any, axis: int, n: int) -> Any:
    """Crop or zero-pad `x` along `axis` to length n, like NumPy's `n`/`s` arguments."""
    av = aval_of(x)
    cur = av.shape[axis]
    if n < 1:
        raise ValueError(f"Invalid number of FFT data points ({n}) specified.")
    if n == cur:
        return x
    if n < cur:
        limits = tuple(n if d == axis else s for d, s in enumerate(av.shape))
        return P.slice_p.bind(x, start_indices=(0,) * av.ndim, limit_indices=limits,
                              strides=(1,) * av.ndim)
    config = tuple((0, n - cur if d == axis else 0, 0) for d in range(av.ndim))
    return P.pad_p.bind(x, convert(0, av.dtype), padding_config=config)


def _scale(x: Any, norm: str | None, n: int, inverse: bool) -> Any:
    """StableHLO's FFT is unscaled and its inverse scales by 1/n (NumPy's "backward")."""
    if norm not in _NORMS:
        raise ValueError(f'Invalid norm value {norm}; should be "backward", "ortho" or '
                         '"forward".')
    if norm in (None, "backward") or n == 0:
        return x
    f = math.sqrt(n) if norm == "ortho" else float(n)
    f = f if inverse else 1.0 / f
    dt = aval_of(x).dtype
    return P.mul_p.bind(x, convert(f, dt))


def _run(x: Any, fft_type: str, lengths: Sequence[int]) -> Any:
    return P.fft_p.bind(x, fft_type=fft_type, fft_lengths=tuple(int(n) for n in lengths))


def _complex_chunks(x: Any, fft_type: str, axes: Sequence[int]) -> Any:
    """A complex (I)FFT over `axes`, three axes at a time."""
    axes = list(axes)
    nd = aval_of(x).ndim
    while axes:
        chunk, axes = axes[-3:], axes[:-3]
        k = len(chunk)
        last = list(range(nd - k, nd))
        y = _moveaxes(x, chunk, last)
        y = _run(y, fft_type, aval_of(y).shape[-k:])
        x = _moveaxes(y, last, chunk)
    return x


def _axes_and_sizes(x: Any, s: Sequence[int] | None, axes: Sequence[int] | None,
                    name: str) -> tuple[list[int], list[int] | None]:
    nd = aval_of(x).ndim
    if axes is None:
        axes = list(range(nd)) if s is None else list(range(nd - len(s), nd))
    axes = [normalize_axis(int(a), nd) for a in axes]
    if s is not None:
        s = [int(v) for v in s]
        if len(s) != len(axes):
            raise ValueError(f"{name}: shape and axes have different lengths")
    if not axes:
        raise ValueError(f"{name}: no axes to transform")
    return axes, s


def _cfft(a: Any, s: Sequence[int] | None, axes: Sequence[int] | None, norm: str | None,
          inverse: bool, name: str) -> Any:
    x = asarray_operand(a)
    x = convert(x, _complex_dtype(aval_of(x).dtype))
    axes_, sizes = _axes_and_sizes(x, s, axes, name)
    if sizes is not None:
        for ax, n in zip(axes_, sizes, strict=True):
            x = _resize(x, ax, n)
    shape = aval_of(x).shape
    n = math.prod(shape[ax] for ax in axes_)
    x = _complex_chunks(x, "IFFT" if inverse else "FFT", axes_)
    return _scale(x, norm, n, inverse)


def _rfft(a: Any, s: Sequence[int] | None, axes: Sequence[int] | None, norm: str | None,
          name: str) -> Any:
    x = asarray_operand(a)
    dt = aval_of(x).dtype
    if dtypes.is_complex(dt):
        raise TypeError(f"{name}: the input must be real, got {dt} (use fft for complex input)")
    x = convert(x, _real_dtype(dt))
    axes_, sizes = _axes_and_sizes(x, s, axes, name)
    if sizes is not None:
        for ax, n in zip(axes_, sizes, strict=True):
            x = _resize(x, ax, n)
    shape = aval_of(x).shape
    n = math.prod(shape[ax] for ax in axes_)
    nd = len(shape)
    real_axes, rest = axes_[-3:], axes_[:-3]
    k = len(real_axes)
    last = list(range(nd - k, nd))
    y = _moveaxes(x, real_axes, last)
    y = _run(y, "RFFT", aval_of(y).shape[-k:])
    x = _moveaxes(y, last, real_axes)
    if rest:
        x = _complex_chunks(x, "FFT", rest)
    return _scale(x, norm, n, inverse=False)


def _irfft(a: Any, s: Sequence[int] | None, axes: Sequence[int] | None, norm: str | None,
           name: str) -> Any:
    x = asarray_operand(a)
    x = convert(x, _complex_dtype(aval_of(x).dtype))
    axes_, sizes = _axes_and_sizes(x, s, axes, name)
    shape = aval_of(x).shape
    if sizes is None:
        sizes = [shape[ax] for ax in axes_[:-1]] + [2 * (shape[axes_[-1]] - 1)]
    for ax, n in zip(axes_[:-1], sizes[:-1], strict=True):
        x = _resize(x, ax, n)
    x = _resize(x, axes_[-1], sizes[-1] // 2 + 1)
    n = math.prod(sizes)
    real_axes, rest = axes_[-3:], axes_[:-3]
    if rest:
        x = _complex_chunks(x, "IFFT", rest)
    nd = len(shape)
    k = len(real_axes)
    last = list(range(nd - k, nd))
    y = _moveaxes(x, real_axes, last)
    y = _run(y, "IRFFT", sizes[-k:])
    x = _moveaxes(y, last, real_axes)
    return _scale(x, norm, n, inverse=True)


def _one(n: int | None) -> list[int] | None:
    return None if n is None else [n]


# ---------------------------------------------------------------------------
# the NumPy API


def fft(a: Any, n: int | None = None, axis: int = -1, norm: str | None = None) -> Any:
    return _cfft(a, _one(n), [axis], norm, False, "fft")


def ifft(a: Any, n: int | None = None, axis: int = -1, norm: str | None = None) -> Any:
    return _cfft(a, _one(n), [axis], norm, True, "ifft")


def rfft(a: Any, n: int | None = None, axis: int = -1, norm: str | None = None) -> Any:
    return _rfft(a, _one(n), [axis], norm, "rfft")


def irfft(a: Any, n: int | None = None, axis: int = -1, norm: str | None = None) -> Any:
    return _irfft(a, _one(n), [axis], norm, "irfft")


def hfft(a: Any, n: int | None = None, axis: int = -1, norm: str | None = None) -> Any:
    """The FFT of a signal with Hermitian symmetry (given by its first half): real output."""
    inv_norm = {None: "forward", "backward": "forward", "ortho": "ortho",
                "forward": "backward"}[norm] if norm in _NORMS else norm
    x = asarray_operand(a)
    x = convert(x, _complex_dtype(aval_of(x).dtype))
    return irfft(P.conj_p.bind(x), n, axis, inv_norm)


def ihfft(a: Any, n: int | None = None, axis: int = -1, norm: str | None = None) -> Any:
    inv_norm = {None: "forward", "backward": "forward", "ortho": "ortho",
                "forward": "backward"}[norm] if norm in _NORMS else norm
    return P.conj_p.bind(rfft(a, n, axis, inv_norm))


def fftn(a: Any, s: Sequence[int] | None = None, axes: Sequence[int] | None = None,
         norm: str | None = None) -> Any:
    return _cfft(a, s, axes, norm, False, "fftn")


def ifftn(a: Any, s: Sequence[int] | None = None, axes: Sequence[int] | None = None,
          norm: str | None = None) -> Any:
    return _cfft(a, s, axes, norm, True, "ifftn")


def rfftn(a: Any, s: Sequence[int] | None = None, axes: Sequence[int] | None = None,
          norm: str | None = None) -> Any:
    return _rfft(a, s, axes, norm, "rfftn")


def irfftn(a: Any, s: Sequence[int] | None = None, axes: Sequence[int] | None = None,
           norm: str | None = None) -> Any:
    return _irfft(a, s, axes, norm, "irfftn")


def fft2(a: Any, s: Sequence[int] | None = None, axes: Sequence[int] = (-2, -1),
         norm: str | None = None) -> Any:
    return _cfft(a, s, axes, norm, False, "fft2")


def ifft2(a: Any, s: Sequence[int] | None = None, axes: Sequence[int] = (-2, -1),
          norm: str | None = None) -> Any:
    return _cfft(a, s, axes, norm, True, "ifft2")


def rfft2(a: Any, s: Sequence[int] | None = None, axes: Sequence[int] = (-2, -1),
          norm: str | None = None) -> Any:
    return _rfft(a, s, axes, norm, "rfft2")


def irfft2(a: Any, s: Sequence[int] | None = None, axes: Sequence[int] = (-2, -1),
           norm: str | None = None) -> Any:
    return _irfft(a, s, axes, norm, "irfft2")


def _freq(host: np.ndarray, d: Any, device: Any = None) -> Any:
    if isinstance(d, (int, float, np.number)):
        return from_numpy(host / d, device=device)
    return P.div_p.bind(from_numpy(host, device=device),
                        convert(asarray_operand(d), dtypes.float64))


def fftfreq(n: int, d: Any = 1.0, *, dtype: Any = None, device: Any = None) -> Any:
    """Sample frequencies [0, 1, ..., -1] / (n d), float64 like NumPy."""
    out = _freq(np.fft.fftfreq(int(n)), d, device)
    return out if dtype is None else convert(out, dtypes.canonicalize(dtype))


def rfftfreq(n: int, d: Any = 1.0, *, dtype: Any = None, device: Any = None) -> Any:
    out = _freq(np.fft.rfftfreq(int(n)), d, device)
    return out if dtype is None else convert(out, dtypes.canonicalize(dtype))


def _roll(x: Any, shift: int, axis: int) -> Any:
    av = aval_of(x)
    n = av.shape[axis]
    if n == 0 or shift % n == 0:
        return x
    k = shift % n
    lo = tuple(0 for _ in av.shape)
    cut = tuple(n - k if d == axis else s for d, s in enumerate(av.shape))
    start = tuple(n - k if d == axis else 0 for d in range(av.ndim))
    ones = (1,) * av.ndim
    tail = P.slice_p.bind(x, start_indices=start, limit_indices=av.shape, strides=ones)
    head = P.slice_p.bind(x, start_indices=lo, limit_indices=cut, strides=ones)
    return P.concatenate_p.bind(tail, head, dimension=axis)


def _shift(x: Any, axes: int | Sequence[int] | None, sign: int) -> Any:
    x = asarray_operand(x)
    nd = aval_of(x).ndim
    if axes is None:
        axes = list(range(nd))
    elif isinstance(axes, (int, np.integer)):
        axes = [int(axes)]
    for ax in axes:
        ax = normalize_axis(int(ax), nd)
        n = aval_of(x).shape[ax]
        x = _roll(x, sign * (n // 2), ax)
    return x


def fftshift(x: Any, axes: int | Sequence[int] | None = None) -> Any:
    """Move the zero-frequency term to the centre."""
    return _shift(x, axes, 1)


def ifftshift(x: Any, axes: int | Sequence[int] | None = None) -> Any:
    return _shift(x, axes, -1)


__all__ = ["fft", "fft2", "fftfreq", "fftn", "fftshift", "hfft", "ifft", "ifft2", "ifftn",
           "ifftshift", "ihfft", "irfft", "irfft2", "irfftn", "rfft", "rfft2", "rfftfreq",
           "rfftn"]
