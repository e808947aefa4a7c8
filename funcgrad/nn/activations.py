"""Elementwise activation functions of `funcgrad.nn` (JAX's ``jax.nn`` names).

Each is a few `funcgrad.numpy` operations, run eagerly as one compiled call.
Where a kink's derivative is a convention rather than a limit (``relu`` at 0,
``relu6`` at 0 and 6) or the plain formula's derivative loses digits
(``log1mexp``), a `custom_jvp` fixes it, as JAX does, so gradients agree with
JAX's. Integer inputs of functions that only make sense on reals become the
default float; float32 stays float32.
"""
from __future__ import annotations

import math
from typing import Any

import funcgrad.numpy as fnp
from funcgrad import lax
from funcgrad.custom_rules import custom_jvp
from funcgrad.numpy._eager import eager_jit
from funcgrad.numpy._util import asarray_operand, promote_inexact


def _inexact(x: Any) -> Any:
    """`x` as an array operand, ints and bools made the default float."""
    [out] = promote_inexact(asarray_operand(x))
    return out


def _zeros_where_not(keep: Any, t: Any) -> Any:
    return fnp.where(keep, t, fnp.zeros_like(t))


# ---------------------------------------------------------------------------
# rectifiers: custom derivatives at the kinks


@custom_jvp
def _relu(x: Any) -> Any:
    return fnp.maximum(x, 0)


_relu.defjvps(lambda t, ans, x: _zeros_where_not(fnp.greater(x, 0), t))


@eager_jit()
def relu(x: Any) -> Any:
    """max(x, 0), with derivative 0 at x == 0 (not max's tie-splitting 1/2).

    Example: ``relu(fnp.array([-1.0, 0.0, 2.0]))`` -> [0., 0., 2.].
    """
    return _relu(asarray_operand(x))


@custom_jvp
def _relu6(x: Any) -> Any:
    return fnp.minimum(fnp.maximum(x, 0), 6.0)


_relu6.defjvps(lambda t, ans, x: _zeros_where_not(
    fnp.logical_and(fnp.greater(x, 0), fnp.less(x, 6)), t))


@eager_jit()
def relu6(x: Any) -> Any:
    """min(max(x, 0), 6), with derivative 0 at both kinks (x == 0 and x == 6)."""
    return _relu6(asarray_operand(x))


@eager_jit()
def leaky_relu(x: Any, negative_slope: Any = 1e-2) -> Any:
    """x where x >= 0, else negative_slope * x."""
    x = asarray_operand(x)
    return fnp.where(fnp.greater_equal(x, 0), x, fnp.multiply(negative_slope, x))


@eager_jit()
def hard_tanh(x: Any) -> Any:
    """x clipped to [-1, 1] (slope 1 at the ends themselves, like JAX)."""
    x = asarray_operand(x)
    return fnp.where(fnp.greater(x, 1), 1, fnp.where(fnp.less(x, -1), -1, x))


@eager_jit()
def hard_sigmoid(x: Any) -> Any:
    """relu6(x + 3) / 6: a piecewise-linear sigmoid."""
    return fnp.divide(relu6(fnp.add(asarray_operand(x), 3.0)), 6.0)


@eager_jit()
def hard_silu(x: Any) -> Any:
    """x * hard_sigmoid(x) (also named hard_swish)."""
    x = asarray_operand(x)
    return fnp.multiply(x, hard_sigmoid(x))


hard_swish = hard_silu


@eager_jit()
def sparse_sigmoid(x: Any) -> Any:
    """0 below -1, 1 above 1, linear in between: the derivative of sparse_plus."""
    return fnp.multiply(0.5, fnp.clip(fnp.add(asarray_operand(x), 1.0), 0.0, 2.0))


@eager_jit()
def sparse_plus(x: Any) -> Any:
    """0 for x <= -1, x for x >= 1, (x + 1)**2 / 4 in between: a softplus with
    exact zeros and an exactly linear tail."""
    x = asarray_operand(x)
    quad = fnp.divide(fnp.square(fnp.add(x, 1.0)), 4)
    return fnp.where(fnp.less_equal(x, -1.0), 0.0, fnp.where(fnp.greater_equal(x, 1.0), x, quad))


# ---------------------------------------------------------------------------
# smooth activations


@eager_jit()
def sigmoid(x: Any) -> Any:
    """1 / (1 + exp(-x)), as XLA's logistic (no overflow for large |x|)."""
    return lax.logistic(_inexact(x))


@eager_jit()
def softplus(x: Any) -> Any:
    """log(1 + exp(x)), as logaddexp(x, 0): exact for large |x| in both directions."""
    return fnp.logaddexp(_inexact(x), 0.0)


@eager_jit()
def log_sigmoid(x: Any) -> Any:
    """log(sigmoid(x)) = -softplus(-x), finite for large negative x."""
    return fnp.negative(softplus(fnp.negative(_inexact(x))))


@eager_jit()
def soft_sign(x: Any) -> Any:
    """x / (|x| + 1)."""
    x = _inexact(x)
    return fnp.divide(x, fnp.add(fnp.abs(x), 1))


@eager_jit()
def silu(x: Any) -> Any:
    """x * sigmoid(x) (also named swish)."""
    x = _inexact(x)
    return fnp.multiply(x, sigmoid(x))


swish = silu


@eager_jit()
def mish(x: Any) -> Any:
    """x * tanh(softplus(x))."""
    x = _inexact(x)
    return fnp.multiply(x, fnp.tanh(softplus(x)))


@eager_jit()
def squareplus(x: Any, b: Any = 4) -> Any:
    """(x + sqrt(x**2 + b)) / 2: a softplus made of algebraic operations."""
    x = _inexact(x)
    return fnp.divide(fnp.add(x, fnp.sqrt(fnp.add(fnp.square(x), b))), 2)


@eager_jit()
def elu(x: Any, alpha: Any = 1.0) -> Any:
    """x for x > 0, alpha * (exp(x) - 1) otherwise.

    The exponential only sees non-positive values, so large x neither
    overflows nor poisons the gradient with inf * 0.
    """
    x = _inexact(x)
    pos = fnp.greater(x, 0)
    return fnp.where(pos, x, fnp.multiply(alpha, fnp.expm1(fnp.where(pos, 0.0, x))))


@eager_jit()
def celu(x: Any, alpha: Any = 1.0) -> Any:
    """max(x, 0) + alpha * expm1(min(x, 0) / alpha): elu made differentiable at 0
    for every alpha."""
    x = _inexact(x)
    neg = fnp.divide(fnp.minimum(x, 0.0), alpha)
    return fnp.add(fnp.maximum(x, 0.0), fnp.multiply(alpha, fnp.expm1(neg)))


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


@eager_jit()
def selu(x: Any) -> Any:
    """scale * elu(x, alpha) with the self-normalising constants of Klambauer et al."""
    return fnp.multiply(_SELU_SCALE, elu(x, _SELU_ALPHA))


@eager_jit(("approximate",))
def gelu(x: Any, approximate: bool = True) -> Any:
    """x * Phi(x), Phi the standard normal CDF; ``approximate=True`` (JAX's
    default) uses the tanh approximation, False the exact erfc form."""
    x = _inexact(x)
    if not isinstance(approximate, bool):
        raise TypeError(f"funcgrad.nn.gelu: approximate must be True or False, got "
                        f"{approximate!r}")
    if approximate:
        inner = fnp.multiply(math.sqrt(2 / math.pi),
                             fnp.add(x, fnp.multiply(0.044715, fnp.power(x, 3))))
        return fnp.multiply(x, fnp.multiply(0.5, fnp.add(1.0, fnp.tanh(inner))))
    return fnp.multiply(fnp.multiply(0.5, x),
                        lax.erfc(fnp.multiply(fnp.negative(x), math.sqrt(0.5))))


@eager_jit(("axis",))
def glu(x: Any, axis: int = -1) -> Any:
    """First half of `x` along `axis` gated by sigmoid of the second half.

    Raises:
        ValueError: the size of `axis` is odd.
    """
    x = asarray_operand(x)
    size = x.shape[axis]
    if size % 2:
        raise ValueError(f"funcgrad.nn.glu: the size of axis {axis} must be even to split "
                         f"it in two halves, got {size} (shape {tuple(x.shape)})")
    first, second = fnp.split(x, 2, axis=axis)
    return fnp.multiply(first, sigmoid(second))


@custom_jvp
def _log1mexp(x: Any) -> Any:
    # below log 2 exp(-x) is near 1: log(-expm1(-x)) keeps the digits there
    return fnp.where(fnp.less(x, math.log(2.0)), fnp.log(fnp.negative(fnp.expm1(fnp.negative(x)))),
                     fnp.log1p(fnp.negative(fnp.exp(fnp.negative(x)))))


_log1mexp.defjvps(lambda t, ans, x: fnp.divide(t, fnp.expm1(x)))


@eager_jit()
def log1mexp(x: Any) -> Any:
    """log(1 - exp(-x)) for x >= 0, accurate near 0 and for large x (Maechler's
    split at log 2); its derivative 1 / expm1(x) is likewise computed directly."""
    return _log1mexp(_inexact(x))


@eager_jit()
def identity(x: Any) -> Any:
    """`x` as an array, unchanged."""
    return fnp.asarray(x)


@eager_jit()
def tanh(x: Any) -> Any:
    """The hyperbolic tangent (``funcgrad.numpy.tanh``)."""
    return fnp.tanh(x)


__all__ = ["celu", "elu", "gelu", "glu", "hard_sigmoid", "hard_silu", "hard_swish", "hard_tanh",
           "identity", "leaky_relu", "log1mexp", "log_sigmoid", "mish", "relu", "relu6", "selu",
           "sigmoid", "silu", "soft_sign", "softplus", "sparse_plus", "sparse_sigmoid",
           "squareplus", "swish", "tanh"]
