"""funcgrad.scipy.signal: SciPy's convolutions, detrending and spectral estimates.

Direct convolutions lower to one `conv_general_dilated` (XLA's convolution,
which correlates, so the kernel is flipped); FFT convolutions and the spectral
functions (`stft`, `istft`, `welch`, `csd`, in `funcgrad.scipy._spectral`) run
on `funcgrad.numpy.fft`. Everything is made of differentiable, batchable
operations, so grad, vmap and jit apply. Integer inputs compute in float64;
two inputs compute in their common inexact dtype.

Output sizes and centring are SciPy's: "full" (every overlap), "same" (the
size of `in1`, centred on "full") and "valid" (complete overlaps only; one
input must then be at least as large as the other along every axis).

NB: where JAX narrows SciPy, funcgrad keeps SciPy's behaviour: "full" and
"same" accept inputs that are not ordered in size, `fftconvolve` broadcasts
the axes it does not transform, and `convolve2d`/`correlate2d` honour
``boundary="wrap"/"symm"`` and a nonzero ``fillvalue``. ``method="auto"``
chooses the direct method, as JAX does.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

import funcgrad.numpy as fnp
from funcgrad import lax
from funcgrad.numpy import fft as nfft
from funcgrad.numpy._eager import eager_jit
from funcgrad.scipy._detrend import detrend
from funcgrad.scipy._spectral import csd, istft, stft, welch

__all__ = ["convolve", "convolve2d", "correlate", "correlate2d", "csd", "detrend",
           "fftconvolve", "istft", "stft", "welch"]

_MODES = ("full", "same", "valid")


def _promote(fname: str, in1: Any, in2: Any) -> tuple[Any, Any]:
    a, b = fnp.asarray(in1), fnp.asarray(in2)
    dt = fnp.result_type(a, b)
    if not fnp.issubdtype(dt, fnp.inexact):
        dt = np.dtype(np.float64)
    if a.ndim != b.ndim:
        raise ValueError(f"funcgrad.scipy.signal.{fname}: in1 and in2 must have the same "
                         f"number of dimensions, got shapes {a.shape} and {b.shape}")
    if a.size == 0 or b.size == 0:
        raise ValueError(f"funcgrad.scipy.signal.{fname}: zero-size inputs are not supported, "
                         f"got shapes {a.shape} and {b.shape}")
    return a.astype(dt), b.astype(dt)


def _check_mode(fname: str, mode: str) -> None:
    if mode not in _MODES:
        raise ValueError(f"funcgrad.scipy.signal.{fname}: mode must be 'full', 'same' or "
                         f"'valid', got {mode!r}")


def _out_shape(fname: str, s1: Sequence[int], s2: Sequence[int], mode: str) -> tuple[int, ...]:
    if mode == "full":
        return tuple(a + b - 1 for a, b in zip(s1, s2, strict=True))
    if mode == "same":
        return tuple(s1)
    if not (all(a >= b for a, b in zip(s1, s2, strict=True))
            or all(a <= b for a, b in zip(s1, s2, strict=True))):
        raise ValueError(f"funcgrad.scipy.signal.{fname}: for mode 'valid' one input must be at "
                         f"least as large as the other along every axis, got shapes "
                         f"{tuple(s1)} and {tuple(s2)}")
    return tuple(abs(a - b) + 1 for a, b in zip(s1, s2, strict=True))


def _crop_centred(x: Any, full: Sequence[int], out: Sequence[int],
                  axes: Sequence[int]) -> Any:
    """The centred block of size `out` out of the "full" result (SciPy's `_centered`)."""
    idx: list[Any] = [slice(None)] * x.ndim
    for ax, f, o in zip(axes, full, out, strict=True):
        start = (f - o) // 2
        idx[ax] = slice(start, start + o)
    return x[tuple(idx)]


def _direct(fname: str, a: Any, b: Any, mode: str, precision: Any) -> Any:
    """SciPy's convolution of same-dtype, same-rank `a` and `b` as one XLA convolution."""
    out = _out_shape(fname, a.shape, b.shape, mode)
    if a.ndim == 0:
        return a * b
    full = tuple(p + q - 1 for p, q in zip(a.shape, b.shape, strict=True))
    # Convolution commutes: slide the smaller-or-equal operand (as XLA's kernel)
    # over the other; padding k-1 on both sides gives "full", and the requested
    # window of it is cut by narrower (possibly negative) padding.
    kernel, operand = (b, a) if b.size <= a.size else (a, b)
    padding = []
    for k, f, o in zip(kernel.shape, full, out, strict=True):
        start = (f - o) // 2
        padding.append((k - 1 - start, k - 1 - (f - o - start)))
    rhs = fnp.flip(kernel)[None, None]
    res = lax.conv_general_dilated(operand[None, None], rhs, (1,) * a.ndim, padding,
                                   precision=precision)
    return res[0, 0]


@eager_jit(static_argnames=("mode", "method", "precision"))
def convolve(in1: Any, in2: Any, mode: str = "full", method: str = "auto",
             precision: Any = None) -> Any:
    """N-d convolution of `in1` and `in2` (SciPy's `scipy.signal.convolve`).

    Args:
      in1, in2: arrays of the same rank.
      mode: "full", "same" or "valid" (see the module docstring).
      method: "direct" or "auto" (one XLA convolution) or "fft" (`fftconvolve`).
      precision: passed to `funcgrad.lax.conv_general_dilated` (direct method only).

    Returns:
      The convolution, in the inputs' common inexact dtype.

    Raises:
      ValueError: on ranks that differ, a zero-size input, an unknown mode or method,
        or "valid" with inputs not ordered in size.

    Example:
      >>> convolve(fnp.array([1.0, 2.0, 3.0]), fnp.array([0.0, 1.0, 0.5]))
      Array([0. , 1. , 2.5, 4. , 1.5], dtype=float64)
    """
    _check_mode("convolve", mode)
    if method == "fft":
        if precision is not None:
            raise ValueError("funcgrad.scipy.signal.convolve: precision applies only to the "
                             "direct method; got method='fft' with a precision")
        return fftconvolve(in1, in2, mode=mode)
    if method not in ("auto", "direct"):
        raise ValueError(f"funcgrad.scipy.signal.convolve: method must be 'auto', 'direct' or "
                         f"'fft', got {method!r}")
    a, b = _promote("convolve", in1, in2)
    return _direct("convolve", a, b, mode, precision)


def _reverse_conj(x: Any) -> Any:
    x = fnp.flip(x) if x.ndim else x
    return fnp.conj(x) if fnp.iscomplexobj(x) else x


@eager_jit(static_argnames=("mode", "method", "precision"))
def correlate(in1: Any, in2: Any, mode: str = "full", method: str = "auto",
              precision: Any = None) -> Any:
    """N-d cross-correlation: sum over n of in1[n + k] * conj(in2[n]) (SciPy's `correlate`).

    Arguments, result and errors are `convolve`'s; lag zero sits where SciPy puts it.

    Example:
      >>> correlate(fnp.array([1.0, 2.0, 3.0]), fnp.array([0.0, 1.0, 0.5]))
      Array([0.5, 2. , 3.5, 3. , 0. ], dtype=float64)
    """
    _check_mode("correlate", mode)
    a, b = _promote("correlate", in1, in2)
    if mode == "valid" and all(p <= q for p, q in zip(a.shape, b.shape, strict=True)) \
            and a.shape != b.shape:
        # SciPy swaps the inputs here and returns the reversed conjugate.
        return _reverse_conj(convolve(b, _reverse_conj(a), mode, method, precision))
    return convolve(a, _reverse_conj(b), mode, method, precision)


def _pad_boundary(fname: str, a: Any, kshape: Sequence[int], boundary: str,
                  fillvalue: Any) -> Any:
    widths = [(k - 1, k - 1) for k in kshape]
    if boundary == "fill":
        return fnp.pad(a, widths, constant_values=fnp.asarray(fillvalue).astype(a.dtype))
    if boundary in ("wrap", "circular"):
        return fnp.pad(a, widths, mode="wrap")
    if boundary in ("symm", "symmetric"):
        return fnp.pad(a, widths, mode="symmetric")
    raise ValueError(f"funcgrad.scipy.signal.{fname}: boundary must be 'fill', 'wrap' or "
                     f"'symm', got {boundary!r}")


def _two_d(fname: str, in1: Any, in2: Any, mode: str, boundary: str,
           fillvalue: Any) -> tuple[Any, Any, bool]:
    _check_mode(fname, mode)
    if fnp.ndim(in1) != 2 or fnp.ndim(in2) != 2:
        raise ValueError(f"funcgrad.scipy.signal.{fname}: in1 and in2 must be 2-d, got "
                         f"shapes {fnp.shape(in1)} and {fnp.shape(in2)}")
    a, b = _promote(fname, in1, in2)
    plain = boundary == "fill" and isinstance(fillvalue, (int, float)) and fillvalue == 0
    if not plain and mode != "valid":
        a = _pad_boundary(fname, a, b.shape, boundary, fillvalue)
    elif boundary not in ("fill", "wrap", "circular", "symm", "symmetric"):
        _pad_boundary(fname, a, b.shape, boundary, fillvalue)
    return a, b, plain or mode == "valid"


def _boundary_crop(fname: str, x: Any, s1: Sequence[int], s2: Sequence[int], mode: str) -> Any:
    full = tuple(p + q - 1 for p, q in zip(s1, s2, strict=True))
    return _crop_centred(x, full, _out_shape(fname, s1, s2, mode), (0, 1))


@eager_jit(static_argnames=("mode", "boundary", "precision"))
def convolve2d(in1: Any, in2: Any, mode: str = "full", boundary: str = "fill",
               fillvalue: Any = 0, precision: Any = None) -> Any:
    """2-d convolution with SciPy's boundary handling (`scipy.signal.convolve2d`).

    Args:
      in1, in2: 2-d arrays.
      mode: "full", "same" or "valid".
      boundary: how `in1` is extended past its edges: "fill" (with `fillvalue`),
        "wrap" (periodic) or "symm" (mirrored, edge repeated).
      fillvalue: the value used by ``boundary="fill"``.
      precision: passed to `funcgrad.lax.conv_general_dilated`.

    Raises:
      ValueError: on inputs that are not 2-d, or an unknown mode or boundary.

    Example:
      >>> convolve2d(fnp.ones((2, 2)), fnp.ones((2, 2)))   # [[1, 2, 1], [2, 4, 2], [1, 2, 1]]
    """
    s1, s2 = fnp.shape(in1), fnp.shape(in2)
    a, b, plain = _two_d("convolve2d", in1, in2, mode, boundary, fillvalue)
    if plain:
        return _direct("convolve2d", a, b, mode, precision)
    full = _direct("convolve2d", a, b, "valid", precision)
    return _boundary_crop("convolve2d", full, s1, s2, mode)


@eager_jit(static_argnames=("mode", "boundary", "precision"))
def correlate2d(in1: Any, in2: Any, mode: str = "full", boundary: str = "fill",
                fillvalue: Any = 0, precision: Any = None) -> Any:
    """2-d cross-correlation with SciPy's boundary handling (`scipy.signal.correlate2d`).

    Arguments and errors are `convolve2d`'s.

    Example:
      >>> correlate2d(fnp.eye(2), fnp.array([[1.0, 2.0]]))   # [[2, 1, 0], [0, 2, 1]]
    """
    s1, s2 = fnp.shape(in1), fnp.shape(in2)
    a, b, plain = _two_d("correlate2d", in1, in2, mode, boundary, fillvalue)
    if mode == "same":
        # SciPy centres correlate2d's "same" window from the other end (it differs
        # from correlate's for even-sized kernels): correlate the reversed input.
        a, b = _promote("correlate2d", in1, in2)
        return fnp.flip(convolve2d(fnp.flip(a), fnp.conj(b), mode, boundary, fillvalue,
                                   precision))
    if mode == "valid" and s1 != s2 and all(p <= q for p, q in zip(s1, s2, strict=True)):
        # SciPy swaps the inputs and reverses the result (without conjugating it).
        return fnp.flip(_direct("correlate2d", b, _reverse_conj(a), mode, precision))
    if plain:
        return _direct("correlate2d", a, _reverse_conj(b), mode, precision)
    full = _direct("correlate2d", a, _reverse_conj(b), "valid", precision)
    return _boundary_crop("correlate2d", full, s1, s2, mode)


@eager_jit(static_argnames=("mode", "axes"))
def fftconvolve(in1: Any, in2: Any, mode: str = "full",
                axes: int | Sequence[int] | None = None) -> Any:
    """Convolution by FFT over `axes` (SciPy's `scipy.signal.fftconvolve`).

    Args:
      in1, in2: arrays of the same rank.
      mode: "full", "same" or "valid", applied along `axes`.
      axes: the axes to convolve over (default: all). Along the others the inputs
        broadcast, and each position is convolved separately.

    Raises:
      ValueError: on ranks that differ, an unknown mode, repeated or out-of-range axes,
        non-broadcastable other axes, or "valid" with inputs not ordered in size.

    Example:
      >>> fftconvolve(fnp.array([1.0, 2.0, 3.0]), fnp.array([0.0, 1.0, 0.5]))
      Array([0. , 1. , 2.5, 4. , 1.5], dtype=float64)
    """
    _check_mode("fftconvolve", mode)
    a, b = _promote("fftconvolve", in1, in2)
    nd = a.ndim
    if axes is None:
        ax = list(range(nd))
    else:
        ax = [int(v) for v in np.atleast_1d(np.asarray(axes))]
        if any(not -nd <= v < nd for v in ax):
            raise ValueError(f"funcgrad.scipy.signal.fftconvolve: axes {tuple(ax)} out of range "
                             f"for inputs of rank {nd}")
        ax = [v % nd for v in ax]
        if len(set(ax)) != len(ax):
            raise ValueError(f"funcgrad.scipy.signal.fftconvolve: repeated axes {tuple(ax)}")
    for d in range(nd):
        if d not in ax and a.shape[d] != b.shape[d] and 1 not in (a.shape[d], b.shape[d]):
            raise ValueError(f"funcgrad.scipy.signal.fftconvolve: shapes {a.shape} and "
                             f"{b.shape} do not broadcast along axis {d}, which is not "
                             "convolved")
    if not ax:
        return a * b
    s1 = [a.shape[d] for d in ax]
    s2 = [b.shape[d] for d in ax]
    out = _out_shape("fftconvolve", s1, s2, mode)
    full = [p + q - 1 for p, q in zip(s1, s2, strict=True)]
    if fnp.iscomplexobj(a):
        spec = nfft.fftn(a, s=full, axes=ax) * nfft.fftn(b, s=full, axes=ax)
        conv = nfft.ifftn(spec, s=full, axes=ax)
    else:
        spec = nfft.rfftn(a, s=full, axes=ax) * nfft.rfftn(b, s=full, axes=ax)
        conv = nfft.irfftn(spec, s=full, axes=ax)
    return _crop_centred(conv, full, out, ax).astype(a.dtype)
