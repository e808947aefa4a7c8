"""The Dormand–Prince 5(4) pair on one flat state vector, shared by `odeint` and
`solve_ivp(method="RK45")`: one step with its error estimate, the quartic
that interpolates inside a step, the error norm, the step-size controller and
the starting step (Hairer, Nørsett & Wanner, Solving ODEs I, II.4-5).

The stages are written out (no loop over a tableau array): each stage is one
fused expression of the earlier ones, so XLA sees no dynamic indexing.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import funcgrad.numpy as fnp

Rhs = Callable[[Any, Any], Any]      # (y, t) -> dy/dt on flat vectors

# the tableau; the last row is the fifth-order solution itself (first same as last)
_C = (1 / 5, 3 / 10, 4 / 5, 8 / 9, 1.0, 1.0)
_A = ((1 / 5,),
      (3 / 40, 9 / 40),
      (44 / 45, -56 / 15, 32 / 9),
      (19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729),
      (9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656),
      (35 / 384, 0.0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84))
# fifth- minus fourth-order weights: the local error estimate
_E = (35 / 384 - 1951 / 21600, 0.0, 500 / 1113 - 22642 / 50085, 125 / 192 - 451 / 720,
      -2187 / 6784 + 12231 / 42400, 11 / 84 - 649 / 6300, -1 / 60)
# weights giving the solution at the middle of the step (Shampine's dense output)
_MID = (6025192743 / 30085553152 / 2, 0.0, 51252292925 / 65400821598 / 2,
        -2691868925 / 45128329728 / 2, 187940372067 / 1594534317056 / 2,
        -1776094331 / 19743644256 / 2, 11237099 / 235043384 / 2)
ORDER = 5


def _combine(weights: tuple[float, ...], ks: list[Any]) -> Any:
    out = None
    for w, k in zip(weights, ks, strict=False):
        if w != 0.0:
            out = w * k if out is None else out + w * k
    return out


def step(f: Rhs, y: Any, fy: Any, t: Any, dt: Any) -> tuple[Any, Any, Any, list[Any]]:
    """One step from (t, y) with y' = fy at its start: (y1, f(y1), error estimate, stages)."""
    ks = [fy]
    y1 = y
    for c, row in zip(_C, _A, strict=True):
        y1 = y + dt * _combine(row, ks)
        ks.append(f(y1, t + c * dt))
    return y1, ks[-1], dt * _combine(_E, ks), ks


def interp_coeffs(y0: Any, y1: Any, ks: list[Any], dt: Any) -> tuple[Any, ...]:
    """The quartic in theta = (t - t0) / dt through y0, y_mid and y1 with the
    step's end slopes, highest power first (for `interp`)."""
    y_mid = y0 + dt * _combine(_MID, ks)
    s0, s1 = dt * ks[0], dt * ks[-1]
    a = -2.0 * s0 + 2.0 * s1 - 8.0 * y0 - 8.0 * y1 + 16.0 * y_mid
    b = 5.0 * s0 - 3.0 * s1 + 18.0 * y0 + 14.0 * y1 - 32.0 * y_mid
    c = -4.0 * s0 + s1 - 11.0 * y0 - 5.0 * y1 + 16.0 * y_mid
    return a, b, c, s0, y0


def interp(coeffs: Any, theta: Any) -> Any:
    """Horner's rule over coefficients stacked or listed highest power first."""
    out = coeffs[0]
    for c in coeffs[1:]:
        out = out * theta + c
    return out


def error_ratio(err: Any, y0: Any, y1: Any, rtol: Any, atol: Any) -> Any:
    """RMS of the error over its tolerance: a step is accepted when this is <= 1."""
    scale = atol + rtol * fnp.maximum(fnp.abs(y0), fnp.abs(y1))
    return fnp.sqrt(fnp.mean((err / scale) ** 2))


def next_step(dt: Any, ratio: Any, order: float = ORDER) -> Any:
    """The controller: grow by at most 10x, shrink by at most 5x after a rejection."""
    shrink = fnp.where(ratio < 1.0, 1.0, 0.2)
    factor = fnp.minimum(10.0, fnp.maximum(0.9 * ratio ** (-1.0 / order), shrink))
    return fnp.where(ratio == 0.0, dt * 10.0, dt * factor)


def initial_step(f: Rhs, t0: Any, y0: Any, f0: Any, order: int, rtol: Any, atol: Any) -> Any:
    """A first step whose explicit Euler error is about the tolerance (Hairer's II.4)."""
    scale = atol + fnp.abs(y0) * rtol
    d0 = fnp.sqrt(fnp.sum((y0 / scale) ** 2))
    d1 = fnp.sqrt(fnp.sum((f0 / scale) ** 2))
    h0 = fnp.where((d0 < 1e-5) | (d1 < 1e-5), 1e-6, 0.01 * d0 / d1)
    f1 = f(y0 + h0 * f0, t0 + h0)
    d2 = fnp.sqrt(fnp.sum(((f1 - f0) / scale) ** 2)) / h0
    h1 = fnp.where((d1 <= 1e-15) & (d2 <= 1e-15), fnp.maximum(1e-6, h0 * 1e-3),
                   (0.01 / fnp.maximum(d1, d2)) ** (1.0 / (order + 1.0)))
    return fnp.minimum(100.0 * h0, h1)
