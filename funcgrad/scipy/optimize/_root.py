"""`root` for systems F(x) = 0 (SciPy's ``root``): "hybr", Powell's dogleg
trust region (NB: with the exact Jacobian by forward-mode autodiff at every
accepted point, where MINPACK's hybrd uses Broyden updates of a
finite-difference one), and "newton", Newton's method with a backtracking line
search on ``|F|^2``. One `while_loop` each; the root is differentiated
implicitly (``dx = -J^{-1} dF``)."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

import funcgrad.numpy as fnp
from funcgrad import lax
from funcgrad.scipy.optimize import _common as C
from funcgrad.scipy.optimize._implicit import implicit_solution

_METHODS = ("hybr", "newton")
_OPTIONS = {"hybr": ("xtol", "maxfev", "factor"), "newton": ("xtol", "maxiter")}


class RootResult(NamedTuple):
    """x; success (a bool array); status (0 converged, 1 iteration or
    evaluation limit, 2 no progress); fun (F at x); jac (the Jacobian at x);
    nit, nfev, njev."""
    x: Any
    success: Any
    status: Any
    fun: Any
    jac: Any
    nit: Any
    nfev: Any
    njev: Any


def _hybr(F: Callable[[Any], Any], x0: Any, xtol: float, maxfev: int,
          factor: float) -> tuple[Any, ...]:
    vj = C.value_and_jac(F)
    f0, j0 = vj(x0)
    xnorm = fnp.linalg.norm(x0)
    delta0 = factor * fnp.where(xnorm > 0, xnorm, 1.0)
    i0 = fnp.zeros((), "int64")

    def cond(s: tuple[Any, ...]) -> Any:
        return (s[6] == -1) & (s[5] < maxfev)

    def body(s: tuple[Any, ...]) -> tuple[Any, ...]:
        x, f, j, delta, nit, nfev, status, njev = s
        gn = -fnp.linalg.solve(j, f)
        g = j.T @ f
        jg = j @ g
        sd = -(fnp.dot(g, g) / fnp.dot(jg, jg)) * g
        gn_norm, sd_norm = fnp.linalg.norm(gn), fnp.linalg.norm(sd)
        gn_ok = fnp.all(fnp.isfinite(gn))
        # the dogleg: Gauss-Newton inside the region, else the steepest-descent
        # leg and then towards Gauss-Newton up to the boundary
        diff = gn - sd
        a2, b2 = fnp.dot(diff, diff), 2 * fnp.dot(sd, diff)
        c2 = fnp.dot(sd, sd) - delta * delta
        tau = (-b2 + fnp.sqrt(fnp.maximum(b2 * b2 - 4 * a2 * c2, 0.0))) / (2 * a2)
        leg = fnp.where(sd_norm >= delta, sd * (delta / sd_norm), sd + tau * diff)
        p = fnp.where(gn_ok & (gn_norm <= delta), gn,
                      fnp.where(gn_ok, leg, sd * fnp.minimum(1.0, delta / sd_norm)))
        p_norm = fnp.linalg.norm(p)
        xn = x + p
        fn, jn = vj(xn)
        pred = fnp.dot(f, f) - fnp.sum((f + j @ p) ** 2)
        actual = fnp.dot(f, f) - fnp.dot(fn, fn)
        ratio = fnp.where(pred > 0, actual / pred, -1.0)
        ratio = fnp.where(fnp.all(fnp.isfinite(fn)), ratio, -1.0)
        delta_n = fnp.where(ratio < 0.25, 0.25 * p_norm,
                            fnp.where((ratio > 0.75) & (p_norm > 0.99 * delta),
                                      2 * delta, delta))
        accept = ratio > 1e-4
        x_new = fnp.where(accept, xn, x)
        f_new = fnp.where(accept, fn, f)
        j_new = fnp.where(accept, jn, j)
        small = (accept & (p_norm <= xtol * fnp.linalg.norm(x_new))) | (
            delta_n <= xtol * fnp.linalg.norm(x_new)) | fnp.all(f_new == 0)
        stuck = ~accept & (delta_n <= 1e2 * fnp.finfo(x.dtype).eps * fnp.linalg.norm(x))
        status_n = fnp.where(small, 0, fnp.where(stuck, 2, -1))
        return x_new, f_new, j_new, delta_n, nit + 1, nfev + 1, status_n, njev + 1

    status0 = fnp.where(fnp.all(f0 == 0), 0, -1)
    s = lax.while_loop(cond, body, (x0, f0, j0, delta0, i0, i0 + 1, status0, i0 + 1))
    x, f, j, _d, nit, nfev, status, njev = s
    status = fnp.where(status == -1, 1, status)
    return x, status, nit, nfev, njev


def _newton(F: Callable[[Any], Any], x0: Any, xtol: float, maxiter: int) -> tuple[Any, ...]:
    vj = C.value_and_jac(F)
    f0, j0 = vj(x0)
    i0 = fnp.zeros((), "int64")

    def cond(s: tuple[Any, ...]) -> Any:
        return (s[4] == -1) & (s[3] < maxiter)

    def body(s: tuple[Any, ...]) -> tuple[Any, ...]:
        x, f, j, nit, status, nfev, njev = s
        p = -fnp.linalg.solve(j, f)
        phi0 = fnp.dot(f, f)

        def ls_cond(c: tuple[Any, ...]) -> Any:
            a, fn, k = c
            return ~(fnp.dot(fn, fn) <= (1 - 2e-4 * a) * phi0) & (k < 30)

        def ls_body(c: tuple[Any, ...]) -> tuple[Any, ...]:
            a, _, k = c
            return a / 2, F(x + (a / 2) * p), k + 1

        a, fn, k = lax.while_loop(ls_cond, ls_body, (fnp.ones((), x.dtype), F(x + p), i0 + 1))
        ok = fnp.dot(fn, fn) <= (1 - 2e-4 * a) * phi0
        xn = x + a * p
        fn, jn = vj(xn)
        step_small = fnp.linalg.norm(a * p) <= xtol * (xtol + fnp.linalg.norm(xn))
        status_n = fnp.where(ok & (step_small | fnp.all(fn == 0)), 0,
                             fnp.where(ok, -1, 2))
        return (fnp.where(ok, xn, x), fnp.where(ok, fn, f), fnp.where(ok, jn, j), nit + 1,
                status_n, nfev + k + 1, njev + 1)

    status0 = fnp.where(fnp.all(f0 == 0), 0, -1)
    s = lax.while_loop(cond, body, (x0, f0, j0, i0, status0, i0 + 1, i0 + 1))
    x, f, j, nit, status, nfev, njev = s
    return x, fnp.where(status == -1, 1, status), nit, nfev, njev


def root(fun: Callable[..., Any], x0: Any, args: tuple[Any, ...] = (), method: str = "hybr",
         tol: float | None = None, options: Mapping[str, Any] | None = None) -> RootResult:
    """A root of the vector function ``fun(x, *args)`` (SciPy's ``root``).

    Jittable, batchable, and differentiable in fun's parameters (closures or
    ``args``) by the implicit function theorem at the root. Jacobians come
    from forward-mode autodiff.

    Args:
      fun: ``fun(x, *args) -> F`` with F of x's shape (x is 1-D).
      x0: the starting point, a 1-D real array.
      args: a tuple of extra arguments for fun.
      method: "hybr" (dogleg trust region) or "newton" (Newton with a line
        search).
      tol: xtol.
      options: "hybr": xtol (1.49012e-08), maxfev (200 * (n + 1)), factor
        (100, the initial trust radius relative to |x0|); "newton": xtol,
        maxiter (100 * (n + 1)).

    Returns a `RootResult`.

    Raises ValueError for an unknown method or option; TypeError when fun does
    not return a real array of x0's shape.

    Example::

        res = root(lambda x: fnp.array([x[0] + x[1] - 3, x[0] * x[1] - 2]),
                   fnp.array([0.0, 4.0]))
    """
    fname = "root"
    C.check_callable(fname, "fun", fun)
    method = C.check_method(fname, method, _METHODS)
    args = C.check_args(fname, args)
    opts = C.check_options(fname, method, options, _OPTIONS[method])
    x0 = C.float_vector(fname, x0)
    n = x0.shape[0]
    xtol = C.nonneg_float(fname, "xtol", opts.get("xtol", 1.49012e-08 if tol is None else tol))

    def F(x: Any) -> Any:
        return fun(x, *args)

    C.check_output(fname, F, x0, (n,), f"an array of x0's shape {(n,)}")
    if method == "hybr":
        maxfev = C.positive_int(fname, "maxfev", opts.get("maxfev") or 200 * (n + 1))
        factor = C.nonneg_float(fname, "factor", opts.get("factor", 100.0))

        def solve(x: Any) -> tuple[Any, Any]:
            x, status, nit, nfev, njev = _hybr(F, x, xtol, maxfev, factor)
            return x, (status, nit, nfev, njev)
    else:
        maxiter = C.positive_int(fname, "maxiter", opts.get("maxiter") or 100 * (n + 1))

        def solve(x: Any) -> tuple[Any, Any]:
            x, status, nit, nfev, njev = _newton(F, x, xtol, maxiter)
            return x, (status, nit, nfev, njev)

    x, (status, nit, nfev, njev) = implicit_solution(F, x0, solve)
    fx, jx = C.value_and_jac(F)(x)
    return RootResult(x=x, success=status == 0, status=status, fun=fx, jac=jx, nit=nit,
                      nfev=nfev, njev=njev)
