"""Quadrature with SciPy's names: `trapezoid`, `simpson`, `cumulative_trapezoid`
over sampled values, and `quad` over a function, as one fixed 21-point
Gauss–Kronrod rule.

Everything is plain array arithmetic, so grad, jvp, vmap and jit apply as to
any funcgrad code. The Gauss–Kronrod nodes are computed once at import, in
NumPy: the 11 Kronrod nodes are the zeros of the Stieltjes polynomial of
degree 11 (orthogonal to every polynomial of degree <= 10 under the weight
P_10), and the 21 weights make the rule exact for P_0 ... P_20.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import funcgrad.numpy as fnp
from funcgrad import core, dtypes

__all__ = ["cumulative_trapezoid", "quad", "simpson", "trapezoid"]


# ---------------------------------------------------------------------------
# sampled values


def _along_last(y: Any, x: Any, axis: int, fname: str) -> tuple[Any, Any]:
    """y with `axis` moved last, and x (if given) broadcast against it the same way."""
    y = fnp.asarray(y)
    if y.ndim == 0:
        raise ValueError(f"{fname}: y must have at least one dimension, got a scalar")
    if not -y.ndim <= axis < y.ndim:
        raise ValueError(f"{fname}: axis {axis} is out of bounds for y of shape {y.shape}")
    y = fnp.moveaxis(y, axis, -1)
    if x is None:
        return y, None
    x = fnp.asarray(x)
    if x.ndim == 1:
        if x.shape[0] != y.shape[-1]:
            raise ValueError(f"{fname}: x has {x.shape[0]} points but y has {y.shape[-1]} "
                             f"along axis {axis}; they must match")
        return y, x
    if x.ndim != y.ndim:
        raise ValueError(f"{fname}: x must be 1-d or have y's shape {tuple(y.shape)}, got "
                         f"shape {tuple(x.shape)}")
    x = fnp.moveaxis(x, axis, -1)
    if x.shape[-1] != y.shape[-1]:
        raise ValueError(f"{fname}: x has {x.shape[-1]} points along axis {axis} but y has "
                         f"{y.shape[-1]}; they must match")
    return y, x


def _spacing(x: Any, dx: Any) -> Any:
    return dx if x is None else fnp.diff(x, axis=-1)


def trapezoid(y: Any, x: Any = None, dx: Any = 1.0, axis: int = -1) -> Any:
    """The trapezoidal rule along `axis`, at sample points `x` or spacing `dx`.

    Example: ``trapezoid(fnp.sin(xs), xs)``
    """
    y, x = _along_last(y, x, axis, "trapezoid")
    return fnp.sum(_spacing(x, dx) * (y[..., 1:] + y[..., :-1]) / 2.0, axis=-1)


def cumulative_trapezoid(y: Any, x: Any = None, dx: Any = 1.0, axis: int = -1,
                         initial: Any = None) -> Any:
    """Running trapezoidal integrals along `axis` (one fewer value than y
    has, or as many with ``initial`` prepended, which must be a scalar)."""
    y_last, x = _along_last(y, x, axis, "cumulative_trapezoid")
    out = fnp.cumsum(_spacing(x, dx) * (y_last[..., 1:] + y_last[..., :-1]) / 2.0, axis=-1)
    if initial is not None:
        if fnp.ndim(initial) != 0:
            raise ValueError("cumulative_trapezoid: initial must be a scalar (SciPy >= 1.12); "
                             "add an array offset to the result instead")
        first = fnp.full(out.shape[:-1] + (1,), initial, dtype=out.dtype)
        out = fnp.concatenate([first, out], axis=-1)
    return fnp.moveaxis(out, -1, axis)


def _simpson_pairs(y: Any, x: Any, dx: Any) -> Any:
    """Composite Simpson over an even number of intervals (pairs of them)."""
    y0, y1, y2 = y[..., 0:-2:2], y[..., 1:-1:2], y[..., 2::2]
    if x is None:
        return fnp.sum(dx / 3.0 * (y0 + 4.0 * y1 + y2), axis=-1)
    h = fnp.diff(x, axis=-1)
    h0, h1 = h[..., 0::2], h[..., 1::2]
    hsum, ratio = h0 + h1, h0 / h1
    return fnp.sum(hsum / 6.0 * (y0 * (2.0 - 1.0 / ratio) + y1 * (hsum * hsum / (h0 * h1))
                                 + y2 * (2.0 - ratio)), axis=-1)


def simpson(y: Any, x: Any = None, dx: Any = 1.0, axis: int = -1) -> Any:
    """Simpson's rule along `axis` (SciPy >= 1.11): with an even number of
    points, Simpson over all but the last interval plus Cartwright's
    three-point correction for it; with one or two points, the trapezoid.

    Example: ``simpson(xs ** 2, xs)``
    """
    y, x = _along_last(y, x, axis, "simpson")
    n = y.shape[-1]
    if n < 3:       # SciPy: 0 for one point, the trapezoid for two
        return trapezoid(y, x, dx)
    if n % 2 == 1:
        return _simpson_pairs(y, x, dx)
    head = _simpson_pairs(y[..., :-1], None if x is None else x[..., :-1], dx)
    if x is None:
        h0 = h1 = fnp.asarray(dx)
    else:
        h0, h1 = x[..., -2] - x[..., -3], x[..., -1] - x[..., -2]
    alpha = (2.0 * h1 ** 2 + 3.0 * h0 * h1) / (6.0 * (h0 + h1))
    beta = (h1 ** 2 + 3.0 * h0 * h1) / (6.0 * h0)
    eta = h1 ** 3 / (6.0 * h0 * (h0 + h1))
    return head + alpha * y[..., -1] + beta * y[..., -2] - eta * y[..., -3]


# ---------------------------------------------------------------------------
# quad: one 21-point Gauss–Kronrod rule


def _gauss_kronrod_21() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(nodes, Kronrod weights, Gauss weights: zero at the Kronrod-only nodes)."""
    leg = np.polynomial.legendre
    n = 10
    qx, qw = leg.leggauss(40)                       # exact far beyond degree 31
    basis = np.stack([leg.legval(qx, np.eye(n + 2)[j]) for j in range(n + 2)])
    weighted = basis[n] * qw                        # the weight P_10(x) dx
    gram = (basis[:n + 1] * weighted) @ basis.T     # <P_k, P_j> under that weight
    coef = np.linalg.solve(gram[:, :n + 1], -gram[:, n + 1])
    kronrod = np.sort(leg.legroots(np.append(coef, 1.0)).real)
    gauss_x, gauss_w = leg.leggauss(n)
    nodes = np.sort(np.concatenate([gauss_x, kronrod]))
    vander = np.stack([leg.legval(nodes, np.eye(2 * n + 1)[k]) for k in range(2 * n + 1)])
    rhs = np.zeros(2 * n + 1)
    rhs[0] = 2.0
    wk = np.linalg.solve(vander, rhs)
    wg = np.zeros_like(wk)
    for xg, w in zip(gauss_x, gauss_w, strict=True):
        wg[np.argmin(np.abs(nodes - xg))] = w
    return nodes, wk, wg


_NODES, _WK, _WG = _gauss_kronrod_21()
_EPS = float(np.finfo(np.float64).eps)
_TINY = float(np.finfo(np.float64).tiny)


def _concrete_inf(v: Any) -> int:
    """+1 / -1 for an infinite limit known now, 0 otherwise (traced limits count as finite)."""
    if isinstance(v, core.Tracer):
        return 0
    x = np.asarray(v)
    if x.shape != ():
        raise ValueError(f"quad: the limits must be scalars, got shape {x.shape}")
    return int(np.sign(x)) if np.isinf(x) else 0


def quad(func: Callable[..., Any], a: Any, b: Any, args: tuple[Any, ...] = ()
         ) -> tuple[Any, Any]:
    """The integral of ``func(x, *args)`` from a to b, and an estimate of its error.

    One 21-point Gauss–Kronrod rule (QUADPACK's qk21 error estimate from the
    embedded 10-point Gauss rule); an infinite limit maps the half line or the
    whole line onto (0, 1] by x = a + (1 - t) / t first. Differentiable in a, b
    and args; func is called once on the vector of the 21 nodes, so it must
    act elementwise (vmap a function that does not).

    Returns ``(value, abserr)``. NB: SciPy's quad subdivides adaptively until
    its tolerances hold; this is one fixed rule (exact for polynomials up to
    degree 31), so check abserr for integrands that are not smooth on [a, b].
    Limits are checked for infinity only when they are concrete: a traced
    infinite limit gives NaN.

    Raises TypeError for a non-callable func or args not a tuple, ValueError
    for non-scalar limits or the same infinite limit twice.

    Example: ``val, err = quad(lambda x, k: fnp.exp(-k * x), 0.0, fnp.inf, args=(2.0,))``
    """
    if not callable(func):
        raise TypeError(f"quad: func must be callable, got {type(func).__name__}")
    if not isinstance(args, tuple):
        raise TypeError(f"quad: args must be a tuple, got {type(args).__name__}")
    ia, ib = _concrete_inf(a), _concrete_inf(b)
    if ia and ia == ib:
        raise ValueError(f"quad: both limits are {'+' if ia > 0 else '-'}inf; the integral "
                         "over an empty range at infinity is not defined")
    if ia > 0 or ib < 0:        # reversed: integrate the other way and negate
        val, err = quad(func, b, a, args)
        return -val, err
    if ia or ib:
        return _quad_infinite(func, a, b, ia, ib, args)
    a, b = fnp.asarray(a), fnp.asarray(b)
    dtype = fnp.result_type(a, b)
    if not dtypes.is_inexact(dtype):
        dtype = np.dtype(np.float64)
    a, b = a.astype(dtype), b.astype(dtype)
    return _gk21(lambda x: func(x, *args), (a + b) / 2.0, (b - a) / 2.0)


def _quad_infinite(func: Callable[..., Any], a: Any, b: Any, ia: int, ib: int,
                   args: tuple[Any, ...]) -> tuple[Any, Any]:
    """(0, 1] -> [a, inf), (-inf, b] or both halves of the line, with dx = dt / t^2."""
    def g(t: Any) -> Any:
        s = (1.0 - t) / t
        jac = 1.0 / (t * t)
        if ia == 0:
            return func(a + s, *args) * jac
        if ib == 0:
            return func(b - s, *args) * jac
        return (func(s, *args) + func(-s, *args)) * jac
    half = fnp.asarray(0.5)
    return _gk21(g, half, half)


def _gk21(f: Callable[[Any], Any], center: Any, half: Any) -> tuple[Any, Any]:
    x = center + half * fnp.asarray(_NODES, dtype=center.dtype)
    fx = fnp.asarray(f(x))
    if fx.shape != x.shape:
        raise TypeError(f"quad: func must map the vector of nodes to one value per node "
                        f"(shape {x.shape}), got shape {fx.shape}; wrap a scalar function "
                        "with fg.vmap")
    wk = fnp.asarray(_WK, dtype=fx.dtype)
    wg = fnp.asarray(_WG, dtype=fx.dtype)
    resk = fnp.sum(wk * fx)
    resg = fnp.sum(wg * fx)
    scale = fnp.abs(half)
    resabs = fnp.sum(wk * fnp.abs(fx)) * scale
    resasc = fnp.sum(wk * fnp.abs(fx - resk / 2.0)) * scale
    err = fnp.abs((resk - resg) * half)
    safe = fnp.where(resasc > 0, resasc, 1.0)
    err = fnp.where((resasc > 0) & (err > 0),
                    resasc * fnp.minimum(1.0, (200.0 * err / safe) ** 1.5), err)
    err = fnp.where(resabs > _TINY / (50.0 * _EPS), fnp.maximum(50.0 * _EPS * resabs, err), err)
    return resk * half, err
