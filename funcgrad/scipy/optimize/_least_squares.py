"""`least_squares` (SciPy's): minimize ``0.5 * sum(fun(x) ** 2)`` by
Levenberg–Marquardt, one `while_loop`, the solution differentiated implicitly
from ``J(x)^T fun(x) = 0`` (the exact Hessian of the cost, residual curvature
included, enters the derivative).

NB: method "trf" runs the same unbounded Levenberg–Marquardt iteration as
"lm" (the trust-region-reflective method differs from it only with bounds,
which funcgrad does not support here); the damping follows Nielsen's rule on
a scaled ``diag(J^T J)``.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import funcgrad.numpy as fnp
from funcgrad import lax
from funcgrad.api import grad
from funcgrad.scipy.optimize import _common as C
from funcgrad.scipy.optimize._implicit import implicit_solution

_METHODS = ("trf", "lm")


class LeastSquaresResult(NamedTuple):
    """x; cost (``0.5 * sum(fun ** 2)``); fun (the residuals at x); jac; grad
    (``jac.T @ fun``); optimality (grad's max norm); nfev, njev; status (SciPy's:
    0 evaluation limit, 1 gtol, 2 ftol, 3 xtol, 4 ftol and xtol, -1 no
    progress); success (status > 0)."""
    x: Any
    cost: Any
    fun: Any
    jac: Any
    grad: Any
    optimality: Any
    nfev: Any
    njev: Any
    status: Any
    success: Any


def _levenberg_marquardt(r: Callable[[Any], Any], x0: Any, ftol: float, xtol: float,
                         gtol: float, max_nfev: int) -> tuple[Any, ...]:
    vj = C.value_and_jac(r)
    f0, j0 = vj(x0)
    i0 = fnp.zeros((), "int64")
    scale0 = fnp.max(fnp.diag(j0.T @ j0))
    mu0 = 1e-3 * fnp.where(scale0 > 0, scale0, 1.0)
    g0 = j0.T @ f0
    status0 = fnp.where(fnp.max(fnp.abs(g0), initial=0.0) <= gtol, 1, -2)

    def cond(s: tuple[Any, ...]) -> Any:
        return (s[6] == -2) & (s[4] < max_nfev)

    def body(s: tuple[Any, ...]) -> tuple[Any, ...]:
        x, f, j, mu, nfev, nu, status, njev = s
        jtj = j.T @ j
        g = j.T @ f
        damping = mu * fnp.maximum(fnp.diag(jtj), 1e-12 * fnp.max(fnp.diag(jtj)))
        step = -fnp.linalg.solve(jtj + fnp.diag(damping), g)
        xn = x + step
        fn, jn = vj(xn)
        cost, cost_n = 0.5 * fnp.dot(f, f), 0.5 * fnp.dot(fn, fn)
        predicted = -(fnp.dot(g, step) + 0.5 * fnp.dot(step, jtj @ step))
        rho = fnp.where(predicted > 0, (cost - cost_n) / predicted, -1.0)
        rho = fnp.where(fnp.isfinite(cost_n), rho, -1.0)
        accept = rho > 0
        mu_n = fnp.where(accept, mu * fnp.maximum(1 / 3, 1 - (2 * rho - 1) ** 3), mu * nu)
        nu_n = fnp.where(accept, 2.0, 2 * nu)
        x_new, f_new, j_new = (fnp.where(accept, xn, x), fnp.where(accept, fn, f),
                               fnp.where(accept, jn, j))
        g_new = j_new.T @ f_new
        f_conv = accept & (cost - cost_n < ftol * cost)
        x_conv = accept & (fnp.linalg.norm(step) < xtol * (xtol + fnp.linalg.norm(x)))
        g_conv = fnp.max(fnp.abs(g_new), initial=0.0) <= gtol
        stuck = ~fnp.isfinite(mu_n) | (mu_n > 1e300)
        status_n = fnp.where(g_conv, 1, fnp.where(f_conv & x_conv, 4, fnp.where(
            f_conv, 2, fnp.where(x_conv, 3, fnp.where(stuck, -1, -2)))))
        return x_new, f_new, j_new, mu_n, nfev + 1, nu_n, status_n, njev + accept

    s = lax.while_loop(cond, body, (x0, f0, j0, mu0, i0 + 1, fnp.asarray(2.0, x0.dtype),
                                    status0, i0 + 1))
    x, f, j, _mu, nfev, _nu, status, njev = s
    return x, fnp.where(status == -2, 0, status), nfev, njev


def least_squares(fun: Callable[..., Any], x0: Any, method: str = "trf",
                  ftol: float | None = 1e-8, xtol: float | None = 1e-8,
                  gtol: float | None = 1e-8, max_nfev: int | None = None,
                  args: tuple[Any, ...] = (), bounds: Any = None,
                  loss: str = "linear") -> LeastSquaresResult:
    """Minimize ``0.5 * sum(fun(x, *args) ** 2)`` over a 1-D x (SciPy's
    ``least_squares``, unbounded, linear loss).

    Jittable, batchable, and differentiable in fun's parameters (closures or
    ``args``) implicitly at the solution. Jacobians come from forward-mode
    autodiff.

    Args:
      fun: ``fun(x, *args) -> residuals``, a 1-D real array.
      x0: the starting point, a 1-D real array.
      method: "trf" or "lm" (both Levenberg–Marquardt here; see the module's NB).
      ftol, xtol, gtol: SciPy's tolerances (None turns a test off).
      max_nfev: the most evaluations (default 100 * n).
      args: a tuple of extra arguments for fun.
      bounds: only None or (-inf, inf): bounded problems are not supported.
      loss: only "linear".

    Returns a `LeastSquaresResult`.

    Raises ValueError for an unknown method, bounds, a loss other than
    "linear" or all tolerances None; TypeError when fun does not return a
    1-D real array.

    Example::

        res = least_squares(lambda p: p[0] * fnp.exp(p[1] * t) - y, fnp.ones(2))
    """
    fname = "least_squares"
    C.check_callable(fname, "fun", fun)
    method = C.check_method(fname, method, _METHODS)
    args = C.check_args(fname, args)
    if bounds is not None and not (isinstance(bounds, (tuple, list)) and len(bounds) == 2
                                   and all(fnp.all(fnp.isinf(fnp.asarray(b))) for b in bounds)
                                   and fnp.all(fnp.asarray(bounds[0]) < 0)
                                   and fnp.all(fnp.asarray(bounds[1]) > 0)):
        raise ValueError("least_squares: bounds are not supported; use "
                         "minimize(..., method='L-BFGS-B', bounds=...) on the cost")
    if loss != "linear":
        raise ValueError(f"least_squares: only loss='linear' is supported, got {loss!r}")
    f_tol, x_tol, g_tol = (C.nonneg_float(fname, k, v) if v is not None else 0.0
                           for k, v in (("ftol", ftol), ("xtol", xtol), ("gtol", gtol)))
    if ftol is None and xtol is None and gtol is None:
        raise ValueError("least_squares: at least one of ftol, xtol and gtol must be set")
    x0 = C.float_vector(fname, x0)
    n = x0.shape[0]
    max_nfev = C.positive_int(fname, "max_nfev", max_nfev if max_nfev is not None else 100 * n)

    def r(x: Any) -> Any:
        return fun(x, *args)

    C.check_output(fname, r, x0, None, "the residuals")
    if len(C.eval_shape(r, x0).shape) != 1:
        raise TypeError(f"least_squares: fun must return a 1-D array of residuals, got shape "
                        f"{C.eval_shape(r, x0).shape}")

    def cost(x: Any) -> Any:
        res = r(x)
        return 0.5 * fnp.dot(res, res)

    def solve(x: Any) -> tuple[Any, Any]:
        x, status, nfev, njev = _levenberg_marquardt(r, x, f_tol, x_tol, g_tol, max_nfev)
        return x, (status, nfev, njev)

    x, (status, nfev, njev) = implicit_solution(grad(cost), x0, solve)
    f, j = C.value_and_jac(r)(x)
    g = j.T @ f
    return LeastSquaresResult(x=x, cost=0.5 * fnp.dot(f, f), fun=f, jac=j, grad=g,
                              optimality=fnp.max(fnp.abs(g), initial=0.0), nfev=nfev,
                              njev=njev, status=status, success=status > 0)
