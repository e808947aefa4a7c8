"""Nelder–Mead with SciPy's rules (initial simplex, coefficients, adaptive
variant, xatol/fatol test) as one `while_loop`; the second evaluation of a step
and the shrink run under `lax.cond`, so each step pays only for what it uses."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import funcgrad.numpy as fnp
from funcgrad import lax
from funcgrad.api import vmap


class NelderMeadResults(NamedTuple):
    """The final simplex and values (best first); status 0 converged, 1 maxfev
    reached, 2 maxiter reached."""
    sim: Any
    fsim: Any
    nit: Any
    nfev: Any
    status: Any


def initial_simplex(x0: Any) -> Any:
    """SciPy's: x0 and, per coordinate, x0 with that coordinate scaled by 1.05
    (set to 0.00025 when it is zero)."""
    n = x0.shape[0]
    eye = fnp.eye(n, dtype=bool)
    moved = fnp.where(x0 != 0, 1.05 * x0, 0.00025)
    return fnp.concatenate([x0[None], fnp.where(eye, moved[None, :], x0[None, :])])


def minimize_nelder_mead(fun: Callable[[Any], Any], sim: Any, maxiter: int, maxfev: int,
                         xatol: float, fatol: float, adaptive: bool) -> NelderMeadResults:
    """Minimize ``fun(x)`` from the simplex `sim` (n + 1 rows)."""
    n = sim.shape[1]
    if adaptive:
        rho, chi, psi, sigma = 1.0, 1.0 + 2.0 / n, 0.75 - 1.0 / (2.0 * n), 1.0 - 1.0 / n
    else:
        rho, chi, psi, sigma = 1.0, 2.0, 0.5, 0.5
    fvals = vmap(fun)
    fsim = fvals(sim)
    order = fnp.argsort(fsim)
    # SciPy counts the initial simplex as the first iteration
    i0 = fnp.zeros((), "int64")

    def converged(sim: Any, fsim: Any) -> Any:
        return ((fnp.max(fnp.abs(sim[1:] - sim[0])) <= xatol)
                & (fnp.max(fnp.abs(fsim[1:] - fsim[0])) <= fatol))

    def cond(c: tuple[Any, ...]) -> Any:
        sim, fsim, nit, nfev = c
        return ~converged(sim, fsim) & (nit < maxiter) & (nfev < maxfev)

    def body(c: tuple[Any, ...]) -> tuple[Any, ...]:
        sim, fsim, nit, nfev = c
        worst, f_worst = sim[-1], fsim[-1]
        xbar = fnp.mean(sim[:-1], axis=0)
        xr = (1 + rho) * xbar - rho * worst
        fr = fun(xr)
        expand = fr < fsim[0]
        accept_r = ~expand & (fr < fsim[-2])
        outside = ~expand & ~accept_r & (fr < f_worst)
        x2 = fnp.where(expand, (1 + rho * chi) * xbar - rho * chi * worst,
                       fnp.where(outside, (1 + psi * rho) * xbar - psi * rho * worst,
                                 (1 - psi) * xbar + psi * worst))
        f2 = lax.cond(accept_r, lambda x: fr, fun, x2)
        take2 = fnp.where(expand, f2 < fr, fnp.where(outside, f2 <= fr, f2 < f_worst)) & ~accept_r
        shrink = ~expand & ~accept_r & ~take2
        new = fnp.where(take2, x2, xr)
        f_new = fnp.where(take2, f2, fr)

        def do_shrink(sim: Any) -> tuple[Any, Any]:
            moved = sim[0] + sigma * (sim - sim[0])
            return moved, fsim.at[1:].set(fvals(moved[1:]))

        def replace_worst(sim: Any) -> tuple[Any, Any]:
            return sim.at[-1].set(new), fsim.at[-1].set(f_new)

        sim, fsim = lax.cond(shrink, do_shrink, replace_worst, sim)
        order = fnp.argsort(fsim)
        nfev = nfev + 1 + (~accept_r).astype("int64") + fnp.where(shrink, n, 0)
        return sim[order], fsim[order], nit + 1, nfev

    sim, fsim, nit, nfev = lax.while_loop(cond, body, (sim[order], fsim[order], i0 + 1, i0 + n + 1))
    status = fnp.where(converged(sim, fsim), 0, fnp.where(nfev >= maxfev, 1, 2))
    return NelderMeadResults(sim, fsim, nit, nfev, status)
