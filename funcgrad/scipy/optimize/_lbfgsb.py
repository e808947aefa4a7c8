"""L-BFGS-B as projected L-BFGS, one `while_loop`.

NB: not SciPy's L-BFGS-B (no generalized Cauchy point or subspace
minimization). Each step applies the limited-memory inverse Hessian to the
gradient of the free variables (those not held at a bound by a gradient that
points out of the box), then backtracks along the projected path
``clip(x + a d, lower, upper)`` until the Armijo condition holds. It stops when
the projected gradient ``clip(x - g, lower, upper) - x`` is below gtol in the
max norm, or when the relative decrease of f falls below ftol (SciPy's two
tests); on problems with a unique minimizer it reaches SciPy's solution.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import funcgrad.numpy as fnp
from funcgrad import lax
from funcgrad.api import value_and_grad

_C1 = 1e-4


class LBFGSBResults(NamedTuple):
    """The iteration's state; status 0 converged, 1 maxiter or maxfun reached,
    2 the line search found no decrease even along the projected gradient."""
    converged: Any
    failed: Any
    k: Any
    nfev: Any
    x_k: Any
    f_k: Any
    g_k: Any
    s_hist: Any
    y_hist: Any
    rho_hist: Any
    count: Any
    status: Any


def _two_loop(q: Any, s_hist: Any, y_hist: Any, rho_hist: Any, count: Any) -> Any:
    """The limited-memory inverse Hessian applied to q; the newest pair is last
    and only the last `count` pairs are valid."""
    m = s_hist.shape[0]
    valid = fnp.arange(m) >= m - count

    def first(i: Any, carry: tuple[Any, Any]) -> tuple[Any, Any]:
        q, alphas = carry
        idx = m - 1 - i
        a = fnp.where(valid[idx], rho_hist[idx] * fnp.dot(s_hist[idx], q), 0.0)
        return q - a * y_hist[idx], alphas.at[idx].set(a)

    q, alphas = lax.fori_loop(0, m, first, (q, fnp.zeros(m, q.dtype)))
    s_new, y_new = s_hist[m - 1], y_hist[m - 1]
    gamma = fnp.where(count > 0, fnp.dot(s_new, y_new) / fnp.dot(y_new, y_new),
                      1.0 / fnp.maximum(fnp.linalg.norm(q), 1e-300))
    r = gamma * q

    def second(i: Any, r: Any) -> Any:
        b = fnp.where(valid[i], rho_hist[i] * fnp.dot(y_hist[i], r), 0.0)
        return r + s_hist[i] * fnp.where(valid[i], alphas[i] - b, 0.0)

    return lax.fori_loop(0, m, second, r)


def minimize_lbfgsb(fun: Callable[[Any], Any], x0: Any, lower: Any, upper: Any,
                    maxcor: int = 10, ftol: float = 2.2204460492503131e-09,
                    gtol: float = 1e-5, maxiter: int = 15000, maxfun: int = 15000,
                    maxls: int = 20) -> LBFGSBResults:
    """Minimize ``fun(x)`` over the box ``lower <= x <= upper`` from `x0`."""
    n = x0.shape[0]
    dtype = x0.dtype
    vg = value_and_grad(fun)
    x0 = fnp.clip(x0, lower, upper)
    f0, g0 = vg(x0)
    i0 = fnp.zeros((), "int64")

    def projected_gradient_small(x: Any, g: Any) -> Any:
        return fnp.max(fnp.abs(fnp.clip(x - g, lower, upper) - x), initial=0.0) <= gtol

    init = LBFGSBResults(converged=projected_gradient_small(x0, g0), failed=fnp.asarray(False),
                         k=i0, nfev=i0 + 1, x_k=x0, f_k=f0, g_k=g0,
                         s_hist=fnp.zeros((maxcor, n), dtype), y_hist=fnp.zeros((maxcor, n), dtype),
                         rho_hist=fnp.zeros(maxcor, dtype), count=i0, status=i0)

    def cond(s: LBFGSBResults) -> Any:
        return ~s.converged & ~s.failed & (s.k < maxiter) & (s.nfev < maxfun)

    def body(s: LBFGSBResults) -> LBFGSBResults:
        x, f, g = s.x_k, s.f_k, s.g_k
        held = ((x <= lower) & (g > 0)) | ((x >= upper) & (g < 0))
        q = fnp.where(held, 0.0, g)
        d = -_two_loop(q, s.s_hist, s.y_hist, s.rho_hist, s.count)
        d = fnp.where(held, 0.0, d)
        steepest = -q / fnp.maximum(fnp.linalg.norm(q), 1e-300)
        d = fnp.where(fnp.dot(d, g) < 0, d, steepest)

        def ls_cond(c: tuple[Any, ...]) -> Any:
            _a, _x, fn, _g, j, slope = c
            return ~(fn <= f + _C1 * slope) & (j < maxls)

        def ls_body(c: tuple[Any, ...]) -> tuple[Any, ...]:
            a, _x, fn, _g, j, slope = c
            # a safeguarded quadratic fit of the last trial, or halving
            a_new = fnp.where(fnp.isfinite(fn), -slope * a / (2.0 * (fn - f - slope)), 0.5 * a)
            a_new = fnp.clip(fnp.where(fnp.isfinite(a_new), a_new, 0.5 * a), 0.1 * a, 0.5 * a)
            xn = fnp.clip(x + a_new * d, lower, upper)
            fn, gn = vg(xn)
            return a_new, xn, fn, gn, j + 1, fnp.dot(g, xn - x)

        x1 = fnp.clip(x + d, lower, upper)
        f1, g1 = vg(x1)
        _a, xn, fn, gn, j, _slope = lax.while_loop(
            ls_cond, ls_body, (fnp.ones((), dtype), x1, f1, g1, i0 + 1, fnp.dot(g, x1 - x)))
        decreased = fn <= f + _C1 * fnp.dot(g, xn - x)
        ok = decreased & (fn < f)
        step, dy = xn - x, gn - g
        sy = fnp.dot(step, dy)
        keep_pair = ok & (sy > fnp.finfo(dtype).eps * fnp.dot(dy, dy))
        s_hist = fnp.where(keep_pair, fnp.concatenate([s.s_hist[1:], step[None]]), s.s_hist)
        y_hist = fnp.where(keep_pair, fnp.concatenate([s.y_hist[1:], dy[None]]), s.y_hist)
        rho_hist = fnp.where(keep_pair, fnp.concatenate([s.rho_hist[1:], (1.0 / sy)[None]]),
                             s.rho_hist)
        count = fnp.where(keep_pair, fnp.minimum(s.count + 1, maxcor),
                          fnp.where(ok, s.count, 0))
        x_new, f_new, g_new = (fnp.where(ok, xn, x), fnp.where(ok, fn, f), fnp.where(ok, gn, g))
        small_decrease = ok & ((f - fn) <= ftol * fnp.maximum(fnp.maximum(fnp.abs(f),
                                                                          fnp.abs(fn)), 1.0))
        converged = small_decrease | (ok & projected_gradient_small(x_new, g_new))
        # no decrease with an empty memory (a steepest-descent step) is a failure;
        # with a memory, the memory is dropped and the step retried
        failed = ~ok & (s.count == 0)
        return LBFGSBResults(converged=converged, failed=failed, k=s.k + ok.astype("int64"),
                             nfev=s.nfev + j, x_k=x_new, f_k=f_new, g_k=g_new, s_hist=s_hist,
                             y_hist=y_hist, rho_hist=rho_hist, count=count, status=s.status)

    s = lax.while_loop(cond, body, init)
    status = fnp.where(s.converged, 0, fnp.where(s.failed, 2, 1))
    return s._replace(status=status)
