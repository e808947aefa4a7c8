"""`minimize` (SciPy's and JAX's ``minimize``): BFGS, L-BFGS-B and Nelder–Mead,
each one compiled loop, the solution differentiated implicitly.

The minimizer x* of ``fun(x, theta)`` solves ``grad_x fun(x*, theta) = 0``
(within bounds: ``x* = clip(x* - grad_x fun(x*), lower, upper)``), so
``lax.custom_root`` gives ``dx*/dtheta`` from the Hessian at x* whatever the
loop did; ``fun`` and ``jac`` in the result are evaluated again at x*, so
``grad`` of ``result.fun`` is ``d fun / d theta`` at the optimum. theta may
reach ``fun`` through a closure or through ``args``.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

import funcgrad.numpy as fnp
from funcgrad.api import grad, value_and_grad
from funcgrad.scipy.optimize import _common as C
from funcgrad.scipy.optimize._bfgs import minimize_bfgs
from funcgrad.scipy.optimize._implicit import implicit_solution
from funcgrad.scipy.optimize._lbfgsb import minimize_lbfgsb
from funcgrad.scipy.optimize._nelder_mead import initial_simplex, minimize_nelder_mead

_METHODS = ("BFGS", "L-BFGS-B", "Nelder-Mead")
_OPTIONS = {
    "BFGS": ("maxiter", "norm", "gtol", "line_search_maxiter"),
    "L-BFGS-B": ("maxiter", "maxfun", "maxcor", "ftol", "gtol", "maxls"),
    "Nelder-Mead": ("maxiter", "maxfev", "xatol", "fatol", "adaptive", "initial_simplex"),
}


class OptimizeResults(NamedTuple):
    """What `minimize` returns (JAX's fields).

    x: the solution; success: a bool array; status: 0 converged, otherwise
    method-specific (BFGS: 1 maxiter, 3 zoom failed, 5 line-search limit;
    L-BFGS-B: 1 maxiter/maxfun, 2 no descent; Nelder-Mead: 1 maxfev,
    2 maxiter); fun and jac: fun and its gradient at x (jac is None for
    Nelder-Mead); hess_inv: BFGS's inverse-Hessian estimate (None otherwise);
    nfev, njev, nit: evaluations and iterations.
    """
    x: Any
    success: Any
    status: Any
    fun: Any
    jac: Any
    hess_inv: Any
    nfev: Any
    njev: Any
    nit: Any


def _bounds_arrays(bounds: Any, n: int, dtype: Any) -> tuple[Any, Any]:
    """(lower, upper) from SciPy's forms: a sequence of n (min, max) pairs, None
    meaning unbounded, or an object with ``lb`` and ``ub`` (scipy.optimize.Bounds)."""
    if hasattr(bounds, "lb") and hasattr(bounds, "ub"):
        lo = fnp.broadcast_to(fnp.asarray(bounds.lb, dtype=dtype), (n,))
        hi = fnp.broadcast_to(fnp.asarray(bounds.ub, dtype=dtype), (n,))
        return lo, hi
    try:
        pairs = list(bounds)
    except TypeError:
        pairs = None
    if pairs is None or len(pairs) != n or any(
            not isinstance(p, (tuple, list)) or len(p) != 2 for p in pairs):
        raise ValueError(f"minimize: bounds must be a sequence of {n} (min, max) pairs (None "
                         f"for no bound) or a scipy.optimize.Bounds, got {bounds!r}")
    lo = fnp.stack([fnp.asarray(-fnp.inf if p[0] is None else p[0], dtype=dtype) for p in pairs])
    hi = fnp.stack([fnp.asarray(fnp.inf if p[1] is None else p[1], dtype=dtype) for p in pairs])
    return lo, hi


def minimize(fun: Callable[..., Any], x0: Any, args: tuple[Any, ...] = (), *, method: str,
             tol: float | None = None, bounds: Any = None,
             options: Mapping[str, Any] | None = None) -> OptimizeResults:
    """Minimize ``fun(x, *args)`` over a 1-D x (JAX's ``jax.scipy.optimize.minimize``,
    plus SciPy's "L-BFGS-B" with bounds and "Nelder-Mead").

    Jittable and batchable (vmap over x0 or parameters); differentiable in the
    parameters by implicit differentiation at the solution (not through the
    iterations), whether they reach fun through a closure or ``args``.

    Args:
      fun: ``fun(x, *args) -> scalar``, real and (for derivatives, and for BFGS
        and L-BFGS-B) differentiable in x.
      x0: the initial point, a 1-D real array (integers become floats).
      args: a tuple of extra arguments for fun.
      method: "BFGS", "L-BFGS-B" or "Nelder-Mead" (case-insensitive).
      tol: SciPy's meaning: BFGS gtol; L-BFGS-B ftol and gtol; Nelder-Mead
        xatol and fatol. Options given explicitly take precedence.
      bounds: L-BFGS-B only: n (min, max) pairs (None: unbounded) or a
        ``scipy.optimize.Bounds``.
      options: BFGS: maxiter, norm, gtol, line_search_maxiter (JAX's);
        L-BFGS-B: maxiter, maxfun, maxcor, ftol, gtol, maxls (SciPy's);
        Nelder-Mead: maxiter, maxfev, xatol, fatol, adaptive, initial_simplex.

    Returns an `OptimizeResults`.

    Raises ValueError for an unknown method (listing the methods), an option
    the method does not support, bounds with a method other than L-BFGS-B, or
    x0 not 1-D; TypeError when fun does not return a real scalar.

    Example::

        res = minimize(lambda x, a: fnp.sum((x - a) ** 2), fnp.zeros(3), (a,),
                       method="BFGS")
    """
    fname = "minimize"
    C.check_callable(fname, "fun", fun)
    method = C.check_method(fname, method, _METHODS)
    args = C.check_args(fname, args)
    opts = C.check_options(fname, method, options, _OPTIONS[method])
    x0 = C.float_vector(fname, x0)
    if tol is not None:
        tol = C.nonneg_float(fname, "tol", tol)
    if bounds is not None and method != "L-BFGS-B":
        raise ValueError(f"minimize: method {method!r} does not take bounds; use "
                         f"method='L-BFGS-B' for a bounded problem")

    def f(x: Any) -> Any:
        return fun(x, *args)

    C.check_output(fname, f, x0, (), "a scalar")
    if method == "BFGS":
        return _bfgs(f, x0, tol, opts)
    if method == "L-BFGS-B":
        return _lbfgsb(f, x0, tol, bounds, opts)
    return _nelder_mead(f, x0, tol, opts)


def _at_solution(f: Callable[[Any], Any], x: Any) -> tuple[Any, Any]:
    return value_and_grad(f)(x)


def _bfgs(f: Callable[[Any], Any], x0: Any, tol: float | None,
          opts: dict[str, Any]) -> OptimizeResults:
    if tol is not None:
        opts.setdefault("gtol", tol)
    if "maxiter" in opts and opts["maxiter"] is not None:
        C.positive_int("minimize", "maxiter", opts["maxiter"])

    def solve(x0: Any) -> tuple[Any, Any]:
        r = minimize_bfgs(f, x0, **opts)
        return r.x_k, (r.converged & ~r.failed, r.status, r.H_k, r.nfev, r.ngev, r.k)

    x, (success, status, hess_inv, nfev, njev, nit) = implicit_solution(grad(f), x0, solve)
    value, jac = _at_solution(f, x)
    return OptimizeResults(x=x, success=success, status=status, fun=value, jac=jac,
                           hess_inv=hess_inv, nfev=nfev, njev=njev, nit=nit)


def _lbfgsb(f: Callable[[Any], Any], x0: Any, tol: float | None, bounds: Any,
            opts: dict[str, Any]) -> OptimizeResults:
    n = x0.shape[0]
    if tol is not None:
        opts.setdefault("ftol", tol)
        opts.setdefault("gtol", tol)
    for k in ("maxiter", "maxfun", "maxcor", "maxls"):
        if k in opts:
            C.positive_int("minimize", k, opts[k])
    if bounds is None:
        lower = fnp.full((n,), -fnp.inf, x0.dtype)
        upper = fnp.full((n,), fnp.inf, x0.dtype)
    else:
        lower, upper = _bounds_arrays(bounds, n, x0.dtype)
    g = grad(f)

    def residual(x: Any) -> Any:
        return x - fnp.clip(x - g(x), lower, upper)

    def solve(x0: Any) -> tuple[Any, Any]:
        r = minimize_lbfgsb(f, x0, lower, upper, **opts)
        return r.x_k, (r.converged, r.status, r.nfev, r.k)

    x, (success, status, nfev, nit) = implicit_solution(residual, x0, solve)
    value, jac = _at_solution(f, x)
    return OptimizeResults(x=x, success=success, status=status, fun=value, jac=jac,
                           hess_inv=None, nfev=nfev, njev=nfev, nit=nit)


def _nelder_mead(f: Callable[[Any], Any], x0: Any, tol: float | None,
                 opts: dict[str, Any]) -> OptimizeResults:
    n = x0.shape[0]
    xatol = opts.get("xatol", 1e-4 if tol is None else tol)
    fatol = opts.get("fatol", 1e-4 if tol is None else tol)
    maxiter = opts.get("maxiter") or 200 * n
    maxfev = opts.get("maxfev") or 200 * n
    C.positive_int("minimize", "maxiter", maxiter)
    C.positive_int("minimize", "maxfev", maxfev)
    adaptive = opts.get("adaptive", False)
    if not isinstance(adaptive, bool):
        raise ValueError(f"minimize: adaptive must be a bool, got {adaptive!r}")
    sim0 = opts.get("initial_simplex")
    if sim0 is not None:
        sim0 = fnp.asarray(sim0, dtype=x0.dtype)
        if sim0.shape != (n + 1, n):
            raise ValueError(f"minimize: initial_simplex must have shape (n + 1, n) = "
                             f"{(n + 1, n)}, got {sim0.shape}")

    def solve(x0: Any) -> tuple[Any, Any]:
        sim = initial_simplex(x0) if sim0 is None else sim0
        r = minimize_nelder_mead(f, sim, maxiter, maxfev, xatol, fatol, adaptive)
        return r.sim[0], (r.status == 0, r.status, r.nfev, r.nit)

    x, (success, status, nfev, nit) = implicit_solution(grad(f), x0, solve)
    return OptimizeResults(x=x, success=success, status=status, fun=f(x), jac=None,
                           hess_inv=None, nfev=nfev, njev=fnp.zeros((), "int64"), nit=nit)
