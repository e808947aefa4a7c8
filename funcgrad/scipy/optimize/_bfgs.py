"""BFGS (Nocedal & Wright, algorithm 6.1) as one `while_loop`, with JAX's state
and status codes, and a strong Wolfe line search.

The inverse-Hessian update is written as two rank-one corrections and one
rank-one term (O(n^2) per step) rather than the product form
``(I - rho s y^T) H (I - rho y s^T)`` with its two matrix products (O(n^3)).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import funcgrad.numpy as fnp
from funcgrad import lax
from funcgrad.api import value_and_grad
from funcgrad.scipy.optimize._line_search import line_search


class BFGSResults(NamedTuple):
    """converged, failed (the line search failed), k (iterations), nfev, ngev,
    x_k, f_k, g_k, H_k (the inverse-Hessian estimate), old_old_fval, status
    (0 converged, 1 maxiter reached, 3 zoom failed, 5 too many line-search
    steps) and line_search_status."""
    converged: Any
    failed: Any
    k: Any
    nfev: Any
    ngev: Any
    x_k: Any
    f_k: Any
    g_k: Any
    H_k: Any
    old_old_fval: Any
    status: Any
    line_search_status: Any


def _norm(g: Any, ord: Any) -> Any:  # noqa: A002
    return fnp.linalg.norm(g, ord=ord)


def minimize_bfgs(fun: Callable[[Any], Any], x0: Any, maxiter: int | None = None,
                  norm: Any = fnp.inf, gtol: float = 1e-5,
                  line_search_maxiter: int = 10) -> BFGSResults:
    """Minimize ``fun(x)`` over a 1-D x from `x0` until ``norm(grad, ord=norm) < gtol``
    (at most `maxiter` iterations, default ``200 * x0.size``)."""
    if maxiter is None:
        maxiter = 200 * x0.shape[0]
    n = x0.shape[0]
    vg = value_and_grad(fun)
    f0, g0 = vg(x0)
    i0 = fnp.zeros((), "int64")
    init = BFGSResults(converged=_norm(g0, norm) < gtol, failed=fnp.asarray(False), k=i0,
                       nfev=i0 + 1, ngev=i0 + 1, x_k=x0, f_k=f0, g_k=g0,
                       H_k=fnp.eye(n, dtype=x0.dtype),
                       old_old_fval=f0 + fnp.linalg.norm(g0) / 2, status=i0,
                       line_search_status=i0)

    def cond(s: BFGSResults) -> Any:
        return ~s.converged & ~s.failed & (s.k < maxiter)

    def body(s: BFGSResults) -> BFGSResults:
        p = -(s.H_k @ s.g_k)
        ls = line_search(fun, s.x_k, p, old_fval=s.f_k, old_old_fval=s.old_old_fval,
                         gfk=s.g_k, maxiter=line_search_maxiter)
        step = ls.a_k * p
        y = ls.g_k - s.g_k
        rho = 1.0 / fnp.dot(y, step)
        hy = s.H_k @ y
        h_new = (s.H_k - rho * (fnp.outer(hy, step) + fnp.outer(step, hy))
                 + (rho * rho * fnp.dot(y, hy) + rho) * fnp.outer(step, step))
        return BFGSResults(converged=_norm(ls.g_k, norm) < gtol, failed=ls.failed,
                           k=s.k + 1, nfev=s.nfev + ls.nfev, ngev=s.ngev + ls.ngev,
                           x_k=s.x_k + step, f_k=ls.f_k, g_k=ls.g_k,
                           H_k=fnp.where(fnp.isfinite(rho), h_new, s.H_k),
                           old_old_fval=s.f_k, status=s.status,
                           line_search_status=ls.status)

    s = lax.while_loop(cond, body, init)
    status = fnp.where(s.converged, 0,
                       fnp.where(s.k == maxiter, 1,
                                 fnp.where(s.failed, 2 + s.line_search_status, -1)))
    return s._replace(status=status)
