"""Windowed-FFT spectral estimates for funcgrad.scipy.signal: stft, istft, welch, csd.

Segments are gathered with one static index (segment starts x offsets), so a
signal of any batch shape becomes (..., segments, nperseg) in one gather;
`istft` overlap-adds with the matching scatter-add. Window, segment count and
FFT length are static (they fix shapes); `fs` may be traced. The formulas and
defaults are SciPy's (`scipy.signal`), including its scaling, its one-sided
doubling of the power spectrum and its boundary extensions.

Window strings other than "hann" are built by SciPy's `get_window` on the
host (SciPy must be installed for them); an array window is used as given.
"""
from __future__ import annotations

import importlib
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

import funcgrad.numpy as fnp
from funcgrad.numpy import fft as npfft
from funcgrad.numpy._eager import eager_jit
from funcgrad.scipy._detrend import detrend as detrend_fn

_BOUNDARIES = ("even", "odd", "constant", "zeros", None)


def _host_window(fname: str, window: Any, nperseg: Any, length: int) -> tuple[Any, Any]:
    """A named window built on the host (its length fixes shapes); arrays pass through."""
    if not isinstance(window, (str, tuple)):
        return window, nperseg
    if nperseg is None:
        n = min(256, length)
    else:
        n = _static_int(fname, "nperseg", nperseg)
        if n > length:
            warnings.warn(f"nperseg = {n} is greater than input length = {length}, using "
                          f"nperseg = {length}", UserWarning, stacklevel=3)
            n = length
    return _named_window(fname, window, max(n, 1)), n


def _signal_length(x: Any, y: Any, axis: int) -> int:
    lengths = [fnp.shape(a)[axis] if fnp.ndim(a) > 0 else 1 for a in (x, y) if a is not None]
    return int(max(lengths))


def _window(fname: str, window: Any, nperseg: int | None, length: int,
            dtype: Any) -> tuple[Any, int]:
    """The window as an array of `dtype`, and the segment length it implies."""
    win = fnp.asarray(window).astype(dtype)
    if win.ndim != 1:
        raise ValueError(f"funcgrad.scipy.signal.{fname}: window must be 1-d, got shape "
                         f"{win.shape}")
    if win.shape[0] > length:
        raise ValueError(f"funcgrad.scipy.signal.{fname}: window (length {win.shape[0]}) is "
                         f"longer than the input signal ({length})")
    if nperseg is not None and int(nperseg) != win.shape[0]:
        raise ValueError(f"funcgrad.scipy.signal.{fname}: nperseg = {nperseg} differs from the "
                         f"window's length {win.shape[0]}")
    return win, win.shape[0]


def _named_window(fname: str, window: Any, n: int) -> np.ndarray:
    if window == "hann":
        # SciPy's default: the periodic ("DFT-even") Hann window.
        return np.sin(np.pi * np.arange(n) / n) ** 2 if n > 1 else np.ones(1)
    try:
        get_window = importlib.import_module("scipy.signal").get_window
    except ImportError as err:
        raise ImportError(f"funcgrad.scipy.signal.{fname}: window {window!r} needs SciPy "
                          "installed; pass 'hann' or an array instead") from err
    return np.asarray(get_window(window, n), dtype=np.float64)


def _odd_ext(x: Any, n: int) -> Any:
    if n > x.shape[-1] - 1:
        raise ValueError(f"funcgrad.scipy.signal.stft: the odd extension ({n}) must be shorter "
                         f"than the signal ({x.shape[-1]})")
    left = 2 * x[..., :1] - x[..., n:0:-1]
    right = 2 * x[..., -1:] - x[..., -2:-n - 2:-1]
    return fnp.concatenate([left, x, right], axis=-1)


def _extend(x: Any, n: int, boundary: str | None) -> Any:
    if boundary is None or n < 1:
        return x
    if boundary == "odd":
        return _odd_ext(x, n)
    widths = [(0, 0)] * (x.ndim - 1) + [(n, n)]
    mode = {"even": "reflect", "constant": "edge", "zeros": "constant"}[boundary]
    return fnp.pad(x, widths, mode=mode)


def _segments(x: Any, nperseg: int, nstep: int) -> Any:
    count = (x.shape[-1] - nperseg) // nstep + 1
    idx = np.arange(count)[:, None] * nstep + np.arange(nperseg)[None, :]
    return x[..., idx]


def _detrender(fname: str, detrend: Any, axis: int) -> Callable[[Any], Any]:
    if isinstance(detrend, str):
        if detrend not in ("constant", "linear", "c", "l"):
            raise ValueError(f"funcgrad.scipy.signal.{fname}: detrend must be 'constant', "
                             f"'linear', False or a callable, got {detrend!r}")
        return lambda d: detrend_fn(d, type=detrend, axis=-1)
    if callable(detrend):
        if axis == -1:
            return detrend
        # SciPy hands a callable its segments with time along the caller's `axis`.
        return lambda d: fnp.moveaxis(detrend(fnp.moveaxis(d, -1, axis)), axis, -1)
    if detrend is False or detrend is None:
        return lambda d: d
    raise ValueError(f"funcgrad.scipy.signal.{fname}: detrend must be 'constant', 'linear', "
                     f"False or a callable, got {detrend!r}")


def _static_int(fname: str, name: str, v: Any) -> int:
    try:
        return int(v)
    except TypeError as err:
        raise TypeError(f"funcgrad.scipy.signal.{fname}: {name} fixes the output's shape and "
                        "must be a Python int, not a traced value") from err


def _spectral(fname: str, x: Any, y: Any, fs: Any, window: Any, nperseg: Any, noverlap: Any,
              nfft: Any, detrend: Any, return_onesided: bool, scaling: str, axis: int,
              mode: str, boundary: str | None, padded: bool) -> tuple[Any, Any, Any]:
    """(freqs, times, per-segment spectra with segments last) of x, or of conj(X) Y."""
    if boundary not in _BOUNDARIES:
        raise ValueError(f"funcgrad.scipy.signal.{fname}: boundary must be one of "
                         f"{list(_BOUNDARIES)}, got {boundary!r}")
    if scaling not in ("density", "spectrum"):
        raise ValueError(f"funcgrad.scipy.signal.{fname}: scaling must be 'density' or "
                         f"'spectrum', got {scaling!r}")
    x = fnp.asarray(x)
    arrays = [x] if y is None else [x, fnp.asarray(y)]
    dt = fnp.result_type(*arrays)
    if not fnp.issubdtype(dt, fnp.inexact):
        dt = np.dtype(np.float64)
    arrays = [a.astype(dt) for a in arrays]
    if arrays[0].ndim == 0:
        raise ValueError(f"funcgrad.scipy.signal.{fname}: input must be at least 1-d")
    if len(arrays) == 2 and arrays[0].ndim != arrays[1].ndim:
        raise ValueError(f"funcgrad.scipy.signal.{fname}: x and y must have the same rank, got "
                         f"shapes {arrays[0].shape} and {arrays[1].shape}")
    nd = arrays[0].ndim
    if not -nd <= axis < nd:
        raise ValueError(f"funcgrad.scipy.signal.{fname}: axis {axis} is out of range for "
                         f"input of rank {nd}")
    arrays = [fnp.moveaxis(a, axis, -1) for a in arrays]
    length = max(a.shape[-1] for a in arrays)
    if len(arrays) == 2:
        arrays = [fnp.pad(a, [(0, 0)] * (nd - 1) + [(0, length - a.shape[-1])]) for a in arrays]
        try:
            np.broadcast_shapes(arrays[0].shape[:-1], arrays[1].shape[:-1])
        except ValueError as err:
            raise ValueError(f"funcgrad.scipy.signal.{fname}: x and y cannot be broadcast "
                             "together") from err
    real_dt = np.finfo(dt).dtype
    seg = None if nperseg is None else _static_int(fname, "nperseg", nperseg)
    if seg is not None and seg < 1:
        raise ValueError(f"funcgrad.scipy.signal.{fname}: nperseg must be a positive integer, "
                         f"got {seg}")
    win, seg = _window(fname, window, seg, length, real_dt)
    lap = seg // 2 if noverlap is None else _static_int(fname, "noverlap", noverlap)
    nfft_n = seg if nfft is None else _static_int(fname, "nfft", nfft)
    if nfft_n < seg:
        raise ValueError(f"funcgrad.scipy.signal.{fname}: nfft ({nfft_n}) must be at least "
                         f"nperseg ({seg})")
    if not 0 <= lap < seg:
        raise ValueError(f"funcgrad.scipy.signal.{fname}: noverlap ({lap}) must be in "
                         f"[0, nperseg) = [0, {seg})")
    nstep = seg - lap
    arrays = [_extend(a, seg // 2, boundary) for a in arrays]
    if padded:
        extra = (-(arrays[0].shape[-1] - seg) % nstep) % seg
        arrays = [fnp.pad(a, [(0, 0)] * (nd - 1) + [(0, extra)]) for a in arrays]
    sides = "onesided" if return_onesided else "twosided"
    if return_onesided and fnp.iscomplexobj(arrays[0]):
        warnings.warn("Input data is complex, switching to return_onesided=False",
                      UserWarning, stacklevel=3)
        sides = "twosided"
    detrend_fn = _detrender(fname, detrend, axis)

    def spectra(a: Any) -> Any:
        segs = detrend_fn(_segments(a, seg, nstep)) * win
        if sides == "twosided":
            return npfft.fft(segs, n=nfft_n, axis=-1)
        return npfft.rfft(fnp.real(segs), n=nfft_n, axis=-1)

    fs_arr = fnp.asarray(fs)
    if scaling == "density":
        scale = 1.0 / (fs_arr * fnp.sum(win * win))
    else:
        scale = 1.0 / fnp.sum(win) ** 2
    if mode == "stft":
        scale = fnp.sqrt(scale)
    res = spectra(arrays[0])
    if len(arrays) == 2:
        res = fnp.conj(res) * spectra(arrays[1])
    elif mode == "psd":
        res = fnp.real(fnp.conj(res) * res)
    res = res * scale.astype(real_dt)
    if sides == "onesided" and mode == "psd":
        double = np.full(res.shape[-1], 2.0)
        double[0] = 1.0
        if nfft_n % 2 == 0:
            double[-1] = 1.0
        res = res * fnp.asarray(double.astype(real_dt))
    ext_len = arrays[0].shape[-1]
    host_freqs = np.fft.fftfreq(nfft_n) if sides == "twosided" else np.fft.rfftfreq(nfft_n)
    freqs = fnp.asarray(host_freqs) * fs_arr
    host_t = np.arange(seg / 2, ext_len - seg / 2 + 1, nstep)
    if boundary is not None:
        host_t = host_t - seg / 2
    times = fnp.asarray(host_t) / fs_arr
    out_dt = np.result_type(dt, np.complex64)
    if len(arrays) == 1 and mode == "psd":
        out_dt = real_dt
    # SciPy's layout: frequency in place of `axis`, segments last.
    return freqs, times, fnp.moveaxis(res.astype(out_dt), -1, axis % nd)


def stft(x: Any, fs: Any = 1.0, window: Any = "hann", nperseg: int = 256,
         noverlap: int | None = None, nfft: int | None = None, detrend: Any = False,
         return_onesided: bool = True, boundary: str | None = "zeros", padded: bool = True,
         axis: int = -1) -> tuple[Any, Any, Any]:
    """Short-time Fourier transform (SciPy's legacy `scipy.signal.stft`).

    Args:
      x: signal(s); `axis` is time.
      fs: sampling frequency (may be traced).
      window: "hann", another SciPy window name (needs SciPy), or a 1-d array.
      nperseg, noverlap, nfft: segment length, overlap (default nperseg // 2) and
        FFT length (default nperseg); static ints.
      detrend: False, "constant", "linear" or a callable applied to each segment.
      return_onesided: one-sided spectrum for real input.
      boundary: extension of the signal by nperseg // 2 at both ends: "zeros",
        "even", "odd", "constant" or None.
      padded: zero-pad the end so the last segment is complete.
      axis: the time axis.

    Returns:
      (f, t, Zxx): frequencies, segment times, and the transform with frequency and
      segment axes last, in place of `axis`.

    Raises:
      ValueError: on bad segment parameters, window, boundary or detrend.

    Example:
      >>> f, t, Z = stft(fnp.ones(16), nperseg=8)   # Z.shape == (5, 3)
    """
    window, nperseg = _host_window("stft", window, nperseg, _signal_length(x, None, axis))
    return _stft(x, fs, window, nperseg, noverlap, nfft, detrend, return_onesided, boundary,
                 padded, axis)


@eager_jit(static_argnames=("nperseg", "noverlap", "nfft", "detrend", "return_onesided",
                            "boundary", "padded", "axis"))
def _stft(x: Any, fs: Any, window: Any, nperseg: Any, noverlap: Any, nfft: Any, detrend: Any,
          return_onesided: bool, boundary: str | None, padded: bool,
          axis: int) -> tuple[Any, Any, Any]:
    return _spectral("stft", x, None, fs, window, nperseg, noverlap, nfft, detrend,
                     return_onesided, "spectrum", axis, "stft", boundary, padded)


def csd(x: Any, y: Any, fs: Any = 1.0, window: Any = "hann", nperseg: int | None = None,
        noverlap: int | None = None, nfft: int | None = None, detrend: Any = "constant",
        return_onesided: bool = True, scaling: str = "density", axis: int = -1,
        average: str = "mean") -> tuple[Any, Any]:
    """Cross power spectral density by Welch's method (SciPy's `scipy.signal.csd`).

    Arguments as `welch`'s, plus `y` (None: the power spectral density of `x`).

    Returns:
      (f, Pxy); Pxy is complex when `y` is given, with frequency in place of `axis`.

    Example:
      >>> f, P = csd(fnp.ones(16), fnp.ones(16), nperseg=8)   # P.shape == (5,)
    """
    if average not in ("mean", "median"):
        raise ValueError(f"funcgrad.scipy.signal.csd: average must be 'mean' or 'median', got "
                         f"{average!r}")
    window, nperseg = _host_window("csd", window, nperseg, _signal_length(x, y, axis))
    return _csd(x, y, fs, window, nperseg, noverlap, nfft, detrend, return_onesided, scaling,
                axis, average)


@eager_jit(static_argnames=("nperseg", "noverlap", "nfft", "detrend", "return_onesided",
                            "scaling", "axis", "average"))
def _csd(x: Any, y: Any, fs: Any, window: Any, nperseg: Any, noverlap: Any, nfft: Any,
         detrend: Any, return_onesided: bool, scaling: str, axis: int,
         average: str) -> tuple[Any, Any]:
    freqs, _, res = _spectral("csd", x, y, fs, window, nperseg, noverlap, nfft, detrend,
                              return_onesided, scaling, axis, "psd", None, False)
    if y is not None and not fnp.iscomplexobj(res):
        res = res.astype(np.result_type(res.dtype, np.complex64))
    count = res.shape[-1]
    if count > 1 and average == "median":
        if fnp.iscomplexobj(res):
            res = fnp.median(fnp.real(res), axis=-1) + 1j * fnp.median(fnp.imag(res), axis=-1)
        else:
            res = fnp.median(res, axis=-1)
        k = np.arange(2.0, count, 2)
        res = res / float(1 + np.sum(1.0 / (k + 1) - 1.0 / k))
    else:
        res = fnp.mean(res, axis=-1) if count > 1 else res[..., 0]
    return freqs, res


def welch(x: Any, fs: Any = 1.0, window: Any = "hann", nperseg: int | None = None,
          noverlap: int | None = None, nfft: int | None = None, detrend: Any = "constant",
          return_onesided: bool = True, scaling: str = "density", axis: int = -1,
          average: str = "mean") -> tuple[Any, Any]:
    """Power spectral density by Welch's method (SciPy's `scipy.signal.welch`).

    Args:
      x: signal(s); `axis` is time.
      fs: sampling frequency (may be traced).
      window, nperseg, noverlap, nfft, detrend, return_onesided: as `stft`'s
        (nperseg defaults to the signal's length for a named window; detrend to
        "constant").
      scaling: "density" (V**2/Hz) or "spectrum" (V**2).
      axis: the time axis.
      average: "mean" or "median" (bias-corrected) over segments.

    Returns:
      (f, Pxx), frequency in place of `axis`.

    Example:
      >>> f, P = welch(fnp.ones(16), nperseg=8)   # P.shape == (5,)
    """
    freqs, res = csd(x, None, fs, window, nperseg, noverlap, nfft, detrend, return_onesided,
                     scaling, axis, average)
    return freqs, fnp.real(res) if fnp.iscomplexobj(res) else res


def istft(Zxx: Any, fs: Any = 1.0, window: Any = "hann", nperseg: int | None = None,  # noqa: N803
          noverlap: int | None = None, nfft: int | None = None, input_onesided: bool = True,
          boundary: bool = True, time_axis: int = -1,
          freq_axis: int = -2) -> tuple[Any, Any]:
    """Inverse of `stft` by weighted overlap-add (SciPy's legacy `scipy.signal.istft`).

    Args:
      Zxx: the STFT, at least 2-d.
      fs, window: as given to `stft`.
      nperseg: segment length (default from the frequency axis).
      noverlap, nfft: as given to `stft` (defaults nperseg // 2 and nperseg, or
        nperseg + 1 for a one-sided odd-length segment).
      input_onesided: whether `Zxx` holds a one-sided spectrum (real signal).
      boundary: drop the nperseg // 2 samples `stft`'s boundary extension added.
      time_axis, freq_axis: the segment and frequency axes of `Zxx`.

    Returns:
      (t, x): sample times and the signal, time in place of the two spectral axes.

    Raises:
      ValueError: on Zxx below 2-d, equal axes or bad segment parameters.

    Example:
      >>> t, x = istft(stft(fnp.ones(16), nperseg=8)[2], nperseg=8)   # x ~ ones(16)
    """
    z = fnp.asarray(Zxx)
    if z.ndim < 2:
        raise ValueError("funcgrad.scipy.signal.istft: Zxx must be at least 2-d")
    nd = z.ndim
    for name, a in (("time_axis", time_axis), ("freq_axis", freq_axis)):
        if not -nd <= a < nd:
            raise ValueError(f"funcgrad.scipy.signal.istft: {name} {a} is out of range for "
                             f"Zxx of rank {nd}")
    t_ax, f_ax = time_axis % nd, freq_axis % nd
    if t_ax == f_ax:
        raise ValueError("funcgrad.scipy.signal.istft: time_axis and freq_axis must differ")
    if not fnp.issubdtype(z.dtype, fnp.complexfloating):
        z = z.astype(np.result_type(z.dtype, np.complex64)
                     if fnp.issubdtype(z.dtype, fnp.inexact) else np.complex128)
    n_default = 2 * (z.shape[f_ax] - 1) if input_onesided else z.shape[f_ax]
    seg = n_default if nperseg is None else _static_int("istft", "nperseg", nperseg)
    if seg < 1:
        raise ValueError(f"funcgrad.scipy.signal.istft: nperseg must be a positive integer, "
                         f"got {seg}")
    if nfft is None:
        nfft_n = n_default + 1 if input_onesided and seg == n_default + 1 else n_default
    else:
        nfft_n = _static_int("istft", "nfft", nfft)
    if nfft_n < seg:
        raise ValueError(f"funcgrad.scipy.signal.istft: FFT length ({nfft_n}) must be at least "
                         f"nperseg ({seg})")
    lap = seg // 2 if noverlap is None else _static_int("istft", "noverlap", noverlap)
    if not 0 <= lap < seg:
        raise ValueError(f"funcgrad.scipy.signal.istft: noverlap ({lap}) must be in "
                         f"[0, nperseg) = [0, {seg})")
    if isinstance(window, (str, tuple)):
        window = _named_window("istft", window, seg)
    return _istft(z, fs, window, seg, seg - lap, nfft_n, input_onesided, boundary, t_ax, f_ax)


@eager_jit(static_argnames=("seg", "nstep", "nfft_n", "input_onesided", "boundary", "t_ax",
                            "f_ax"))
def _istft(z: Any, fs: Any, window: Any, seg: int, nstep: int, nfft_n: int,
           input_onesided: bool, boundary: bool, t_ax: int, f_ax: int) -> tuple[Any, Any]:
    nd = z.ndim
    outer = [d for d in range(nd) if d not in (t_ax, f_ax)]
    z = fnp.transpose(z, outer + [t_ax, f_ax])     # (..., segments, freqs)
    if input_onesided:
        frames = npfft.irfft(z, n=nfft_n, axis=-1)[..., :seg]
    else:
        frames = npfft.ifft(z, n=nfft_n, axis=-1)[..., :seg]
    real_dt = np.finfo(frames.dtype).dtype
    win = fnp.asarray(window).astype(real_dt)
    if win.ndim != 1 or win.shape[0] != seg:
        raise ValueError(f"funcgrad.scipy.signal.istft: window must be 1-d of length "
                         f"nperseg = {seg}, got shape {win.shape}")
    frames = frames * fnp.sum(win) * win          # undo 'spectrum' scaling, then weight
    count = frames.shape[-2]
    out_len = seg + nstep * (count - 1)
    idx = np.arange(count)[:, None] * nstep + np.arange(seg)[None, :]
    x = fnp.zeros(frames.shape[:-2] + (out_len,), frames.dtype).at[..., idx].add(frames)
    norm = fnp.zeros(out_len, real_dt).at[idx].add(
        fnp.broadcast_to(win * win, (count, seg)))
    if boundary:
        half = seg // 2
        x, norm = x[..., half:out_len - half], norm[half:out_len - half]
    x = x / fnp.where(norm > 1e-10, norm, fnp.ones_like(norm))
    if x.ndim > 1 and t_ax != nd - 1:
        dest = t_ax - 1 if f_ax < t_ax else t_ax
        x = fnp.moveaxis(x, -1, dest)
    # NB: like SciPy (and JAX), the times count the result's first axis.
    times = fnp.asarray(np.arange(x.shape[0], dtype=np.float64)) / fnp.asarray(fs)
    return times, x
