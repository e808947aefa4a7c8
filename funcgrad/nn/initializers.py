"""Parameter initializers (JAX's ``jax.nn.initializers``).

Each factory returns ``init(key, shape, dtype=..., out_sharding=None)`` taking
a `funcgrad.random` key. funcgrad's `uniform`, `normal` and `truncated_normal`
reproduce JAX's streams, so for the same key these give JAX's numbers too
(up to the last bits of the QR factorisation in `orthogonal`).

`out_sharding`, where given, is a `NamedSharding` the result is laid out with.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np

import funcgrad.numpy as fnp
from funcgrad import dtypes, lax
from funcgrad import random as fr
from funcgrad.sharding import NamedSharding

Shape = Sequence[int]
AxisSpec = int | Sequence[int]

# standard deviation of a standard normal truncated to (-2, 2), and of a complex
# standard normal (|z|**2 ~ Exp(1)) truncated to |z| < 2: dividing by it restores
# unit variance. NB: JAX uses .95311164380491208 for the complex one, which leaves
# the variance about 2% above the requested one.
_TRUNC_STD = .87962566103423978
_COMPLEX_TRUNC_STD = math.sqrt(1 - 4 * math.exp(-4) / (1 - math.exp(-4)))


@runtime_checkable
class Initializer(Protocol):
    """What every initializer is: ``init(key, shape, dtype=None, out_sharding=None)``."""

    def __call__(self, key: Any, shape: Shape, dtype: Any = None,
                 out_sharding: Any = None) -> Any: ...


def _dtype(dtype: Any) -> np.dtype:
    return dtypes.default_float() if dtype is None else dtypes.canonicalize(dtype)


def _shape(shape: Any, name: str) -> tuple[int, ...]:
    if isinstance(shape, (int, np.integer)):
        shape = (shape,)
    try:
        out = tuple(int(d) for d in shape)
    except TypeError:
        raise TypeError(f"funcgrad.nn.initializers.{name}: shape must be a sequence of ints, "
                        f"got {shape!r}") from None
    if any(d < 0 for d in out):
        raise ValueError(f"funcgrad.nn.initializers.{name}: negative size in shape {out}")
    return out


def _place(x: Any, out_sharding: Any, name: str) -> Any:
    if out_sharding is None:
        return x
    if not isinstance(out_sharding, NamedSharding):
        raise TypeError(f"funcgrad.nn.initializers.{name}: out_sharding must be a "
                        f"NamedSharding (or None), got {type(out_sharding).__name__}")
    return lax.with_sharding_constraint(x, out_sharding)


def zeros(key: Any, shape: Shape, dtype: Any = None, out_sharding: Any = None) -> Any:
    """An array of zeros (the key is unused). Example: ``zeros(key, (2, 3))``."""
    return _place(fnp.zeros(_shape(shape, "zeros"), _dtype(dtype)), out_sharding, "zeros")


def ones(key: Any, shape: Shape, dtype: Any = None, out_sharding: Any = None) -> Any:
    """An array of ones (the key is unused)."""
    return _place(fnp.ones(_shape(shape, "ones"), _dtype(dtype)), out_sharding, "ones")


def constant(value: Any, dtype: Any = None) -> Initializer:
    """An initializer filling with `value` (broadcast to the shape).
    Example: ``constant(-7.0)(key, (2,))`` -> [-7., -7.]."""
    def init(key: Any, shape: Shape, dtype: Any = dtype, out_sharding: Any = None) -> Any:
        out = fnp.full(_shape(shape, "constant"), value, dtype=_dtype(dtype))
        return _place(out, out_sharding, "constant")
    return init


def uniform(scale: Any = 1e-2, dtype: Any = None) -> Initializer:
    """An initializer drawing uniformly from [0, scale)."""
    def init(key: Any, shape: Shape, dtype: Any = dtype, out_sharding: Any = None) -> Any:
        dt = _dtype(dtype)
        out = fr.uniform(key, _shape(shape, "uniform"), dt) * fnp.asarray(scale, dt)
        return _place(out, out_sharding, "uniform")
    return init


def normal(stddev: Any = 1e-2, dtype: Any = None) -> Initializer:
    """An initializer drawing from a centred normal with standard deviation `stddev`."""
    def init(key: Any, shape: Shape, dtype: Any = dtype, out_sharding: Any = None) -> Any:
        dt = _dtype(dtype)
        out = fr.normal(key, _shape(shape, "normal"), dt) * fnp.asarray(stddev, dt)
        return _place(out, out_sharding, "normal")
    return init


def truncated_normal(stddev: Any = 1e-2, dtype: Any = None, lower: Any = -2.0,
                     upper: Any = 2.0) -> Initializer:
    """An initializer drawing `stddev` times a standard normal truncated to
    (lower, upper). NB: as in JAX, `stddev` scales the truncated draw; the
    result's standard deviation is smaller than `stddev`."""
    def init(key: Any, shape: Shape, dtype: Any = dtype, out_sharding: Any = None) -> Any:
        dt = _dtype(dtype)
        out = fr.truncated_normal(key, lower, upper, _shape(shape, "truncated_normal"),
                                  dt) * fnp.asarray(stddev, dt)
        return _place(out, out_sharding, "truncated_normal")
    return init


def _size(shape: tuple[int, ...], axes: AxisSpec) -> int:
    if isinstance(axes, (int, np.integer)):
        return shape[axes]
    return math.prod(shape[i] for i in axes)


def _compute_fans(shape: tuple[int, ...], in_axis: AxisSpec = -2, out_axis: AxisSpec = -1,
                  batch_axis: AxisSpec = ()) -> tuple[float, float]:
    """(fan_in, fan_out): the input and output sizes times the receptive field
    (every axis that is neither input, output nor batch)."""
    if isinstance(in_axis, int) and in_axis == -2 and len(shape) <= 1:
        raise ValueError(f"funcgrad.nn.initializers: cannot tell the input and output sizes "
                         f"of a {len(shape)}-d weight (shape {shape}) with the default "
                         "in_axis=-2: give in_axis and out_axis explicitly")
    try:
        in_size, out_size = _size(shape, in_axis), _size(shape, out_axis)
        batch_size = _size(shape, batch_axis)
    except IndexError:
        raise ValueError(f"funcgrad.nn.initializers: in_axis={in_axis}, out_axis={out_axis}, "
                         f"batch_axis={batch_axis} do not fit shape {shape}") from None
    receptive = math.prod(shape) / in_size / out_size / batch_size
    return in_size * receptive, out_size * receptive


def _complex_uniform(key: Any, shape: tuple[int, ...], dtype: np.dtype) -> Any:
    """Uniform on the disk |z| < sqrt(2) (unit variance)."""
    key_r, key_theta = fr.split(key)
    real = dtypes.real_dtype(dtype)
    r = fnp.sqrt(2 * fr.uniform(key_r, shape, real)).astype(dtype)
    theta = (2 * np.pi * fr.uniform(key_theta, shape, real)).astype(dtype)
    return r * fnp.exp(1j * theta)


def _complex_truncated_normal(key: Any, upper: float, shape: tuple[int, ...],
                              dtype: np.dtype) -> Any:
    """A complex standard normal conditioned on |z| < upper (inverse CDF of |z|)."""
    key_r, key_theta = fr.split(key)
    real = dtypes.real_dtype(dtype)
    t = (1 - math.exp(-upper ** 2)) * fr.uniform(key_r, shape, real)
    r = fnp.sqrt(-fnp.log1p(-t)).astype(dtype)
    theta = (2 * np.pi * fr.uniform(key_theta, shape, real)).astype(dtype)
    return r * fnp.exp(1j * theta)


_MODES = ("fan_in", "fan_out", "fan_avg", "fan_geo_avg")
_DISTRIBUTIONS = ("truncated_normal", "normal", "uniform")


def variance_scaling(scale: Any, mode: str, distribution: str, in_axis: AxisSpec = -2,
                     out_axis: AxisSpec = -1, batch_axis: AxisSpec = (),
                     dtype: Any = None) -> Initializer:
    """An initializer whose draws have variance ``scale / n``.

    n is fan_in, fan_out, their mean ("fan_avg") or geometric mean
    ("fan_geo_avg"), computed from the shape with `in_axis`, `out_axis` and
    `batch_axis`. `distribution` is "truncated_normal" (at two standard
    deviations, rescaled to the target variance), "normal" or "uniform";
    complex dtypes draw from the matching disk-shaped distributions.

    Raises:
        ValueError: an unknown `mode` or `distribution` (when the factory is
        called), or axes that do not fit the shape (when `init` is).
    """
    if mode not in _MODES:
        raise ValueError(f"funcgrad.nn.initializers.variance_scaling: invalid mode {mode!r}; "
                         f"use one of {_MODES}")
    if distribution not in _DISTRIBUTIONS:
        raise ValueError(f"funcgrad.nn.initializers.variance_scaling: invalid distribution "
                         f"{distribution!r}; use one of {_DISTRIBUTIONS}")

    def init(key: Any, shape: Shape, dtype: Any = dtype, out_sharding: Any = None) -> Any:
        sh, dt = _shape(shape, "variance_scaling"), _dtype(dtype)
        fan_in, fan_out = _compute_fans(sh, in_axis, out_axis, batch_axis)
        denominator = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2,
                       "fan_geo_avg": (fan_in * fan_out) ** 0.5}[mode]
        variance = fnp.asarray(scale / denominator, dtype=dt)
        cplx = dtypes.is_complex(dt)
        if distribution == "truncated_normal":
            if cplx:
                out = _complex_truncated_normal(key, 2.0, sh, dt) * (
                    fnp.sqrt(variance) / fnp.asarray(_COMPLEX_TRUNC_STD, dt))
            else:
                out = fr.truncated_normal(key, -2, 2, sh, dt) * (
                    fnp.sqrt(variance) / fnp.asarray(_TRUNC_STD, dt))
        elif distribution == "normal":
            out = fr.normal(key, sh, dt) * fnp.sqrt(variance)
        elif cplx:
            out = _complex_uniform(key, sh, dt) * fnp.sqrt(variance)
        else:
            out = fr.uniform(key, sh, dt, -1) * fnp.sqrt(3 * variance)
        return _place(out, out_sharding, "variance_scaling")
    return init


def glorot_uniform(in_axis: AxisSpec = -2, out_axis: AxisSpec = -1, batch_axis: AxisSpec = (),
                   dtype: Any = None) -> Initializer:
    """Glorot/Xavier uniform: variance 1 / mean(fan_in, fan_out)."""
    return variance_scaling(1.0, "fan_avg", "uniform", in_axis, out_axis, batch_axis, dtype)


def glorot_normal(in_axis: AxisSpec = -2, out_axis: AxisSpec = -1, batch_axis: AxisSpec = (),
                  dtype: Any = None) -> Initializer:
    """Glorot/Xavier normal (truncated): variance 1 / mean(fan_in, fan_out)."""
    return variance_scaling(1.0, "fan_avg", "truncated_normal", in_axis, out_axis, batch_axis,
                            dtype)


def lecun_uniform(in_axis: AxisSpec = -2, out_axis: AxisSpec = -1, batch_axis: AxisSpec = (),
                  dtype: Any = None) -> Initializer:
    """LeCun uniform: variance 1 / fan_in."""
    return variance_scaling(1.0, "fan_in", "uniform", in_axis, out_axis, batch_axis, dtype)


def lecun_normal(in_axis: AxisSpec = -2, out_axis: AxisSpec = -1, batch_axis: AxisSpec = (),
                 dtype: Any = None) -> Initializer:
    """LeCun normal (truncated): variance 1 / fan_in."""
    return variance_scaling(1.0, "fan_in", "truncated_normal", in_axis, out_axis, batch_axis,
                            dtype)


def he_uniform(in_axis: AxisSpec = -2, out_axis: AxisSpec = -1, batch_axis: AxisSpec = (),
               dtype: Any = None) -> Initializer:
    """He/Kaiming uniform: variance 2 / fan_in (for ReLU networks)."""
    return variance_scaling(2.0, "fan_in", "uniform", in_axis, out_axis, batch_axis, dtype)


def he_normal(in_axis: AxisSpec = -2, out_axis: AxisSpec = -1, batch_axis: AxisSpec = (),
              dtype: Any = None) -> Initializer:
    """He/Kaiming normal (truncated): variance 2 / fan_in (for ReLU networks)."""
    return variance_scaling(2.0, "fan_in", "truncated_normal", in_axis, out_axis, batch_axis,
                            dtype)


xavier_uniform = glorot_uniform
xavier_normal = glorot_normal
kaiming_uniform = he_uniform
kaiming_normal = he_normal


def _orthogonal_matrix(key: Any, n_rows: int, n_cols: int, dt: np.dtype) -> Any:
    """A Haar-random (n_rows, n_cols) matrix with orthonormal rows or columns:
    QR of a Gaussian matrix, with R's diagonal made positive so that Q's
    distribution is uniform."""
    z = fr.normal(key, (max(n_rows, n_cols), min(n_rows, n_cols)), dt)
    q, r = fnp.linalg.qr(z)
    q = q * fnp.sign(fnp.diagonal(r))[None, :]
    return q.T if n_rows < n_cols else q


def orthogonal(scale: Any = 1.0, column_axis: int = -1, dtype: Any = None) -> Initializer:
    """An initializer of `scale` times a random orthogonal matrix, reshaped.

    The shape is read as a matrix whose columns run along `column_axis` and
    whose rows are every other axis; its rows or its columns (whichever are
    fewer) are orthonormal.

    Raises:
        ValueError: a shape with fewer than 2 dimensions.
    """
    def init(key: Any, shape: Shape, dtype: Any = dtype, out_sharding: Any = None) -> Any:
        sh, dt = _shape(shape, "orthogonal"), _dtype(dtype)
        if len(sh) < 2:
            raise ValueError(f"funcgrad.nn.initializers.orthogonal: needs a shape with at least "
                             f"2 dimensions, got {sh}")
        if 0 in sh:
            return _place(fnp.zeros(sh, dt), out_sharding, "orthogonal")
        n_cols = sh[column_axis]
        n_rows = math.prod(sh) // n_cols
        q = _orthogonal_matrix(key, n_rows, n_cols, dt)
        rest = tuple(np.delete(np.array(sh), column_axis % len(sh)))
        q = fnp.moveaxis(fnp.reshape(q, (*rest, n_cols)), -1, column_axis)
        return _place(fnp.asarray(scale, dt) * q, out_sharding, "orthogonal")
    return init


def delta_orthogonal(scale: Any = 1.0, column_axis: int = -1, dtype: Any = None) -> Initializer:
    """An initializer for 1-, 2- or 3-d convolution kernels (shape (*spatial, in,
    out)): zero but for an orthogonal (in, out) matrix at the spatial centre, so
    the convolution starts as an orthogonal map (Xiao et al., 2018).

    Raises:
        ValueError: a shape that is not 3-, 4- or 5-d, or in > out.
    """
    def init(key: Any, shape: Shape, dtype: Any = dtype, out_sharding: Any = None) -> Any:
        sh, dt = _shape(shape, "delta_orthogonal"), _dtype(dtype)
        if len(sh) not in (3, 4, 5):
            raise ValueError(f"funcgrad.nn.initializers.delta_orthogonal: needs a 3-, 4- or "
                             f"5-d shape (spatial dims, in, out), got {sh}")
        if sh[-1] < sh[-2]:
            raise ValueError(f"funcgrad.nn.initializers.delta_orthogonal: the input size "
                             f"({sh[-2]}) must not exceed the output size ({sh[-1]})")
        ortho = orthogonal(scale=scale, column_axis=column_axis, dtype=dt)(key, sh[-2:])
        centre = tuple((k - 1) // 2 for k in sh[:-2])
        out = fnp.zeros(sh, dt).at[centre].set(ortho)
        return _place(out, out_sharding, "delta_orthogonal")
    return init


__all__ = ["Initializer", "constant", "delta_orthogonal", "glorot_normal", "glorot_uniform",
           "he_normal", "he_uniform", "kaiming_normal", "kaiming_uniform", "lecun_normal",
           "lecun_uniform", "normal", "ones", "orthogonal", "truncated_normal", "uniform",
           "variance_scaling", "xavier_normal", "xavier_uniform", "zeros"]
