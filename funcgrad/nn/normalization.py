"""Reductions and normalisers of `funcgrad.nn`: softmax, log_softmax, logsumexp,
logmeanexp, standardize, one_hot (JAX's ``jax.nn`` signatures).

`where` masks follow JAX: masked entries take no part in the reduction, and
softmax gives them 0, log_softmax -inf. softmax has a custom JVP
(``y * (t - sum(y * t))``) so its derivative never differentiates through the
max it subtracts for stability; log_softmax gets the same effect by stopping
the gradient of that max.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

import funcgrad.numpy as fnp
from funcgrad import dtypes, lax
from funcgrad.autodiff import stop_gradient
from funcgrad.custom_rules import custom_jvp
from funcgrad.numpy._eager import eager_jit
from funcgrad.numpy._util import asarray_operand, aval_of, normalize_axes, promote_inexact
from funcgrad.scipy import special

Axis = int | Sequence[int] | None


def _inexact(x: Any) -> Any:
    [out] = promote_inexact(asarray_operand(x))
    return out


def _mask(where: Any) -> Any:
    return None if where is None else fnp.asarray(where, dtype=bool)


def _axes(x: Any, axis: Axis) -> tuple[int, ...]:
    return normalize_axes(axis, aval_of(x).ndim)


# NB: funcgrad.numpy's reductions take no `where`; masked entries are replaced by
# the reduction's identity instead (which is what `where` means for them).

def _max(x: Any, axes: tuple[int, ...], where: Any) -> Any:
    x = x if where is None else fnp.where(where, x, -np.inf)
    return fnp.max(x, axes, initial=-np.inf, keepdims=True)


def _sum(x: Any, axes: tuple[int, ...], where: Any, keepdims: bool = True) -> Any:
    x = x if where is None else fnp.where(where, x, fnp.zeros_like(x))
    return fnp.sum(x, axes, keepdims=keepdims)


def _count(x: Any, axes: tuple[int, ...], where: Any, keepdims: bool, dtype: Any) -> Any:
    if where is None:
        return math.prod(aval_of(x).shape[i] for i in axes)
    mask = fnp.broadcast_to(where, aval_of(x).shape)
    return fnp.sum(mask, axes, keepdims=keepdims).astype(dtype)


def _mean(x: Any, axes: tuple[int, ...], where: Any) -> Any:
    if where is None:
        return fnp.mean(x, axes, keepdims=True)
    return fnp.divide(_sum(x, axes, where), _count(x, axes, where, True, aval_of(x).dtype))


def _softmax_formula(x: Any, where: Any, axes: tuple[int, ...]) -> Any:
    x_safe = x if where is None else fnp.where(where, x, -np.inf)
    unnormalized = fnp.exp(fnp.subtract(x_safe, _max(x, axes, where)))
    out = fnp.divide(unnormalized, _sum(unnormalized, axes, where))
    return out if where is None else fnp.where(where, out, 0)


_softmax = custom_jvp(_softmax_formula, nondiff_argnums=(2,))


@_softmax.defjvp
def _softmax_jvp(axes: tuple[int, ...], primals: Any, tangents: Any) -> Any:
    (x, where), (x_dot, _) = primals, tangents
    y = _softmax(x, where, axes)
    mean_dot = _sum(fnp.multiply(y, x_dot), axes, where)
    return y, fnp.multiply(y, fnp.subtract(x_dot, mean_dot))


@eager_jit(("axis",))
def softmax(x: Any, axis: Axis = -1, where: Any = None) -> Any:
    """exp(x) / sum(exp(x)) along `axis` (int, tuple or None for all axes).

    Entries where `where` is False are left out and give 0. An input of +inf
    gives nan (inf / inf), as in JAX.
    Example: ``softmax(fnp.array([0.0, 0.0]))`` -> [0.5, 0.5].
    """
    x = _inexact(x)
    return _softmax(x, _mask(where), _axes(x, axis))


@eager_jit(("axis",))
def log_softmax(x: Any, axis: Axis = -1, where: Any = None) -> Any:
    """x - logsumexp(x) along `axis`, computed stably; masked-out entries give -inf."""
    x = _inexact(x)
    axes, where = _axes(x, axis), _mask(where)
    x_safe = x if where is None else fnp.where(where, x, -np.inf)
    shifted = fnp.subtract(x_safe, stop_gradient(_max(x, axes, where)))
    lse = fnp.log(_sum(fnp.exp(shifted), axes, where))
    out = fnp.subtract(shifted, lse)
    return out if where is None else fnp.where(where, out, -np.inf)


@eager_jit(("axis", "keepdims", "return_sign"))
def logsumexp(a: Any, axis: Axis = None, b: Any = None, keepdims: bool = False,
              return_sign: bool = False, where: Any = None) -> Any:
    """log(sum(b * exp(a))) along `axis`, without overflow.

    As ``funcgrad.scipy.special.logsumexp``, plus JAX's `where`: entries where it
    is False are left out of the sum (all left out gives -inf).
    """
    if where is None:
        return special.logsumexp(a, axis=axis, b=b, keepdims=keepdims, return_sign=return_sign)
    a = _inexact(a)
    weight = fnp.ones_like(a) if b is None else asarray_operand(b)
    weight = fnp.where(_mask(where), weight, fnp.zeros_like(weight))
    return special.logsumexp(a, axis=axis, b=weight, keepdims=keepdims,
                             return_sign=return_sign)


@eager_jit(("axis", "keepdims"))
def logmeanexp(x: Any, axis: Axis = None, where: Any = None, keepdims: bool = False) -> Any:
    """log(mean(exp(x))) along `axis`: logsumexp minus the log of the number of
    entries taking part (those where `where` is True)."""
    x = _inexact(x)
    axes = _axes(x, axis)
    lse = logsumexp(x, axis=axes, where=where, keepdims=keepdims)
    count = _count(x, axes, _mask(where), keepdims, aval_of(lse).dtype)
    return fnp.subtract(lse, fnp.log(count))


@eager_jit(("axis", "algorithm"))
def standardize(x: Any, axis: Axis = -1, mean: Any = None, variance: Any = None,
                epsilon: Any = 1e-5, where: Any = None, *, algorithm: str = "fast") -> Any:
    """(x - mean) / sqrt(variance + epsilon) along `axis`.

    `mean` and `variance` default to those of `x` over the entries where
    `where` is True. ``algorithm="fast"`` computes the variance as
    mean(x**2) - mean(x)**2 (clipped at 0), ``"stable"`` as mean((x - mean)**2).

    Raises:
        ValueError: `algorithm` is neither "fast" nor "stable".
    """
    if algorithm not in ("fast", "stable"):
        raise ValueError(f"funcgrad.nn.standardize: unknown algorithm {algorithm!r}; use "
                         "'fast' or 'stable'")
    x = _inexact(x)
    axes, where = _axes(x, axis), _mask(where)
    if mean is None:
        mean = _mean(x, axes, where)
    if variance is None:
        if algorithm == "stable":
            variance = _mean(fnp.square(fnp.subtract(x, mean)), axes, where)
        else:
            variance = fnp.subtract(_mean(fnp.square(x), axes, where), fnp.square(mean))
            variance = fnp.maximum(variance, 0)
    return fnp.multiply(fnp.subtract(x, mean), lax.rsqrt(fnp.add(variance, epsilon)))


@eager_jit(("num_classes", "dtype", "axis"))
def _one_hot(x: Any, num_classes: int, dtype: Any, axis: int | str) -> Any:
    if isinstance(axis, str):
        return fnp.asarray(fnp.equal(x, lax.axis_index(axis)), dtype=dtype)
    ndim = aval_of(x).ndim
    if not -(ndim + 1) <= axis <= ndim:
        raise np.exceptions.AxisError(
            f"funcgrad.nn.one_hot: axis {axis} is out of bounds for the result's "
            f"{ndim + 1} dimensions")
    pos = axis % (ndim + 1)
    classes = lax.broadcasted_iota(aval_of(x).dtype, [num_classes if i == pos else 1
                                                      for i in range(ndim + 1)], pos)
    return fnp.equal(fnp.expand_dims(x, pos), classes).astype(dtype)


def one_hot(x: Any, num_classes: int, *, dtype: Any = None, axis: int | str = -1) -> Any:
    """A vector of `num_classes` zeros with a one at each index of `x`, along `axis`.

    Indices outside [0, num_classes) give all zeros. `dtype` defaults to the
    default float; `axis` may also name a `vmap`/`shard_map` axis, whose size
    must then be `num_classes`.
    Example: ``one_hot(fnp.array([0, 2]), 3)`` -> [[1., 0., 0.], [0., 0., 1.]].

    Raises:
        TypeError: `num_classes` is not a concrete integer, or `x` is not integer.
        ValueError: a named axis whose size is not `num_classes`.
    """
    if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)):
        raise TypeError(f"funcgrad.nn.one_hot: num_classes must be a Python int, got "
                        f"{type(num_classes).__name__}")
    x = asarray_operand(x)
    dt = aval_of(x).dtype
    if not dtypes.is_integer(dt):      # NB: JAX only warns for float indices
        raise TypeError(f"funcgrad.nn.one_hot: indices must be integers, got {dt}; convert "
                        "them with .astype(int)")
    out_dtype = dtypes.default_float() if dtype is None else dtypes.canonicalize(dtype)
    if isinstance(axis, str):
        size = int(lax.psum(1, axis))
        if size != num_classes:
            raise ValueError(f"funcgrad.nn.one_hot: num_classes={num_classes} must equal the "
                             f"size of the named axis {axis!r}, which is {size}")
    elif not isinstance(axis, (int, np.integer)):
        raise TypeError(f"funcgrad.nn.one_hot: axis must be an int or an axis name, got "
                        f"{type(axis).__name__}")
    return _one_hot(x, int(num_classes), out_dtype, axis if isinstance(axis, str) else int(axis))


__all__ = ["log_softmax", "logmeanexp", "logsumexp", "one_hot", "softmax", "standardize"]
