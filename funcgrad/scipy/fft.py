"""funcgrad.scipy.fft: SciPy's discrete cosine transforms (types 1 to 4) over `numpy.fft`.

Every transform is a fixed permutation or mirror of the input, one FFT
(`funcgrad.numpy.fft`, so it runs on `stablehlo.fft`) and a twiddle, all
linear: grad, vmap and jit apply through the FFT's rules. `dctn`/`idctn` apply
the 1-d transform along each axis in turn (the transform is separable).

Scaling follows SciPy: ``norm=None``/"backward" leaves `dct` unscaled and
scales `idct` so that it inverts it; "ortho" makes both orthonormal (for
type 1, SciPy's default ``orthogonalize=True``); "forward" moves the scale to
`dct`. Integer inputs compute in float64, float32 stays float32, and complex
inputs transform their real and imaginary parts separately.

NB: JAX's jax.scipy.fft implements only type 2 and no "forward" norm; funcgrad
has SciPy's types 1, 3 and 4 and "forward" as well.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

import funcgrad.numpy as fnp
from funcgrad.numpy import fft as nfft
from funcgrad.numpy._eager import eager_jit

__all__ = ["dct", "dctn", "idct", "idctn"]

_NORMS = (None, "backward", "ortho", "forward")
_INVERSE_TYPE = {1: 1, 2: 3, 3: 2, 4: 4}
_INVERSE_NORM = {None: "forward", "backward": "forward", "ortho": "ortho", "forward": "backward"}


def _check(fname: str, type: int, norm: str | None) -> None:  # noqa: A002  (SciPy's name)
    if type not in (1, 2, 3, 4):
        raise ValueError(f"funcgrad.scipy.fft.{fname}: type must be 1, 2, 3 or 4, got {type!r}")
    if norm not in _NORMS:
        raise ValueError(f"funcgrad.scipy.fft.{fname}: norm must be None, 'backward', 'ortho' "
                         f"or 'forward', got {norm!r}")


def _inexact(x: Any) -> Any:
    x = fnp.asarray(x)
    if not fnp.issubdtype(x.dtype, fnp.inexact):
        x = x.astype(fnp.float64)
    return x


def _resize_last(x: Any, n: int, fname: str) -> Any:
    """Crop or zero-pad the last axis to n, as SciPy's `n` / `s` do."""
    if n < 1:
        raise ValueError(f"funcgrad.scipy.fft.{fname}: invalid number of data points ({n}); "
                         "it must be at least 1")
    cur = x.shape[-1]
    if n < cur:
        return x[..., :n]
    if n > cur:
        return fnp.pad(x, [(0, 0)] * (x.ndim - 1) + [(0, n - cur)])
    return x


def _twiddle(x: Any, phase: np.ndarray) -> Any:
    """exp(1j * phase) in the complex dtype matching x's precision."""
    cdt = np.complex64 if x.dtype == np.float32 else np.complex128
    return fnp.asarray(np.exp(1j * phase).astype(cdt))


def _dct1(x: Any) -> Any:
    n = x.shape[-1]
    if n < 2:
        raise ValueError("funcgrad.scipy.fft.dct: type 1 needs at least 2 points along the "
                         f"axis, got {n}")
    mirrored = fnp.concatenate([x, x[..., n - 2:0:-1]], axis=-1)
    return fnp.real(nfft.rfft(mirrored, axis=-1))


def _dct2(x: Any) -> Any:
    n = x.shape[-1]
    order = np.concatenate([np.arange(0, n, 2), np.arange(1, n, 2)[::-1]])
    spectrum = nfft.fft(x[..., order], axis=-1)
    return 2 * fnp.real(spectrum * _twiddle(x, -np.pi * np.arange(n) / (2 * n)))


def _dct3(x: Any) -> Any:
    # Invert the type-2 recipe: rebuild the FFT of the interleaved sequence from
    # its real-part samples y_k and y_{N-k}, then undo the interleave.
    n = x.shape[-1]
    mirror = fnp.concatenate([fnp.zeros_like(x[..., :1]), x[..., :0:-1]], axis=-1)
    z = fnp.asarray(x) - 1j * mirror
    spectrum = z * _twiddle(x, np.pi * np.arange(n) / (2 * n))
    v = fnp.real(nfft.ifft(spectrum, axis=-1)) * n
    order = np.empty(n, dtype=np.int64)
    order[0::2] = np.arange((n + 1) // 2)
    order[1::2] = n - 1 - np.arange(n // 2)
    return v[..., order].astype(x.dtype)


def _dct4(x: Any) -> Any:
    n = x.shape[-1]
    pre = x * _twiddle(x, -np.pi * np.arange(n) / (2 * n))
    spectrum = nfft.fft(pre, n=2 * n, axis=-1)[..., :n]
    post = _twiddle(x, -np.pi * (2 * np.arange(n) + 1) / (4 * n))
    return 2 * fnp.real(spectrum * post)


_KERNELS = {1: _dct1, 2: _dct2, 3: _dct3, 4: _dct4}


def _edge_scale(n: int, dtype: Any, first: float, last: float | None) -> Any:
    w = np.ones(n)
    w[0] = first
    if last is not None:
        w[-1] = last
    return fnp.asarray(w.astype(dtype))


def _dct_last(x: Any, type: int, norm: str | None) -> Any:  # noqa: A002
    """The 1-d transform of a real array along its last axis."""
    n = x.shape[-1]
    r2 = math.sqrt(2.0)
    if norm == "ortho" and type == 1:
        x = x * _edge_scale(n, x.dtype, r2, r2)
    elif norm == "ortho" and type == 3:
        x = x * _edge_scale(n, x.dtype, r2, None)
    y = _KERNELS[type](x)
    if norm in (None, "backward"):
        return y
    full = 2.0 * (n - 1) if type == 1 else 2.0 * n
    if norm == "forward":
        return y / full
    y = y / math.sqrt(full)
    if type == 1:
        y = y * _edge_scale(n, y.dtype, 1 / r2, 1 / r2)
    elif type == 2:
        y = y * _edge_scale(n, y.dtype, 1 / r2, None)
    return y


def _transform(x: Any, type: int, n: int | None, axis: int, norm: str | None,  # noqa: A002
               fname: str) -> Any:
    x = _inexact(x)
    if fnp.iscomplexobj(x):
        re = _transform(fnp.real(x), type, n, axis, norm, fname)
        im = _transform(fnp.imag(x), type, n, axis, norm, fname)
        return fnp.asarray(re) + 1j * fnp.asarray(im)
    if x.ndim == 0:
        raise ValueError(f"funcgrad.scipy.fft.{fname}: input must be at least 1-d")
    if not -x.ndim <= axis < x.ndim:
        raise ValueError(f"funcgrad.scipy.fft.{fname}: axis {axis} is out of bounds for an "
                         f"array of dimension {x.ndim}")
    x = fnp.moveaxis(x, axis, -1)
    if n is not None:
        x = _resize_last(x, int(n), fname)
    return fnp.moveaxis(_dct_last(x, type, norm), -1, axis)


@eager_jit(static_argnames=("type", "n", "axis", "norm"))
def dct(x: Any, type: int = 2, n: int | None = None, axis: int = -1,  # noqa: A002
        norm: str | None = None) -> Any:
    """Discrete cosine transform of `x` along `axis` (SciPy's `scipy.fft.dct`).

    Args:
      x: input array (integers compute in float64; complex: real and imaginary
        parts separately).
      type: DCT type, 1, 2 (default), 3 or 4.
      n: length of the transform; `x` is cropped or zero-padded to it.
      axis: the axis to transform.
      norm: None / "backward" (unscaled), "ortho" (orthonormal) or "forward" (scaled
        by 1/(2(n-1)) for type 1, 1/(2n) otherwise).

    Returns:
      The transform, of `x`'s shape with `n` along `axis`.

    Raises:
      ValueError: on a type other than 1-4, an unknown norm, n < 1, or type 1 with
        fewer than 2 points.

    Example:
      >>> dct(fnp.array([1.0, 2.0, 3.0]))   # [12., -3.4641..., 0.]
    """
    _check("dct", type, norm)
    return _transform(x, type, n, axis, norm, "dct")


@eager_jit(static_argnames=("type", "n", "axis", "norm"))
def idct(x: Any, type: int = 2, n: int | None = None, axis: int = -1,  # noqa: A002
         norm: str | None = None) -> Any:
    """Inverse of `dct` with the same `type`, `n`, `axis` and `norm` (SciPy's `scipy.fft.idct`).

    The inverse of type 2 is type 3 and vice versa; types 1 and 4 are their own
    inverses up to the scale `norm` chooses. Arguments and errors are `dct`'s.

    Example:
      >>> idct(dct(fnp.array([1.0, 2.0, 3.0])))   # [1., 2., 3.]
    """
    _check("idct", type, norm)
    return _transform(x, _INVERSE_TYPE[type], n, axis, _INVERSE_NORM[norm], "idct")


def _axes_and_sizes(x: Any, s: int | Sequence[int] | None, axes: int | Sequence[int] | None,
                    fname: str) -> tuple[list[int], list[int | None]]:
    nd = fnp.ndim(x)
    sizes = None if s is None else [int(v) for v in np.atleast_1d(np.asarray(s))]
    if axes is None:
        count = nd if sizes is None else len(sizes)
        if count > nd:
            raise ValueError(f"funcgrad.scipy.fft.{fname}: s has {count} entries but the "
                             f"input has only {nd} dimensions")
        ax = list(range(nd - count, nd))
    else:
        ax = [int(a) for a in np.atleast_1d(np.asarray(axes))]
        for a in ax:
            if not -nd <= a < nd:
                raise ValueError(f"funcgrad.scipy.fft.{fname}: axis {a} is out of bounds for "
                                 f"an array of dimension {nd}")
        ax = [a % nd for a in ax]
        if len(set(ax)) != len(ax):
            raise ValueError(f"funcgrad.scipy.fft.{fname}: repeated axes {tuple(ax)}")
    if sizes is not None and len(sizes) != len(ax):
        raise ValueError(f"funcgrad.scipy.fft.{fname}: s and axes must have the same length, "
                         f"got {len(sizes)} and {len(ax)}")
    return ax, list(sizes) if sizes is not None else [None] * len(ax)


@eager_jit(static_argnames=("type", "s", "axes", "norm"))
def dctn(x: Any, type: int = 2, s: Sequence[int] | None = None,  # noqa: A002
         axes: Sequence[int] | None = None, norm: str | None = None) -> Any:
    """Multidimensional DCT over `axes` (SciPy's `scipy.fft.dctn`).

    `s` gives the transform's length along each axis (crop or zero-pad); with
    `axes` None the last ``len(s)`` axes are transformed, or every axis when `s`
    is None too. Other arguments and errors are `dct`'s.

    Example:
      >>> dctn(fnp.ones((2, 3)))   # [[12., 0., 0.], [0., 0., 0.]]
    """
    _check("dctn", type, norm)
    x = _inexact(x)
    ax, sizes = _axes_and_sizes(x, s, axes, "dctn")
    for a, n in zip(ax, sizes, strict=True):
        x = _transform(x, type, n, a, norm, "dctn")
    return x


@eager_jit(static_argnames=("type", "s", "axes", "norm"))
def idctn(x: Any, type: int = 2, s: Sequence[int] | None = None,  # noqa: A002
          axes: Sequence[int] | None = None, norm: str | None = None) -> Any:
    """Inverse of `dctn` (SciPy's `scipy.fft.idctn`); arguments as `dctn`'s.

    Example:
      >>> idctn(dctn(fnp.ones((2, 3))))   # ones((2, 3))
    """
    _check("idctn", type, norm)
    x = _inexact(x)
    ax, sizes = _axes_and_sizes(x, s, axes, "idctn")
    for a, n in zip(ax, sizes, strict=True):
        x = _transform(x, _INVERSE_TYPE[type], n, a, _INVERSE_NORM[norm], "idctn")
    return x
