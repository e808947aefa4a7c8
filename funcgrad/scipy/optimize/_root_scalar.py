"""`root_scalar` (SciPy's): Brent's method ("brentq"), bisection and Newton's
method, each one `while_loop`, the root differentiated implicitly
(``dx/dtheta = -(df/dtheta) / (df/dx)`` at the root)."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import funcgrad.numpy as fnp
from funcgrad import core, lax
from funcgrad.api import grad
from funcgrad.scipy.optimize import _common as C
from funcgrad.scipy.optimize._implicit import implicit_solution

_METHODS = ("brentq", "bisect", "newton")
_EPS = 2.220446049250313e-16


class RootResults(NamedTuple):
    """root; iterations; function_calls; converged (a bool array: False when
    maxiter was reached, or, under jit, when the bracket held no sign change:
    the root is then NaN)."""
    root: Any
    iterations: Any
    function_calls: Any
    converged: Any


def _brentq(f: Callable[[Any], Any], a: Any, b: Any, fa: Any, fb: Any, xtol: float,
            rtol: float, maxiter: int) -> tuple[Any, Any, Any, Any]:
    """Brent's method: inverse quadratic or secant steps while they shrink the
    bracket fast enough, bisection otherwise (Brent 1973, as in SciPy)."""
    zero = fnp.zeros_like(a)

    def tidy(s: tuple[Any, ...]) -> tuple[Any, ...]:
        # keep [xcur, xblk] a sign-change bracket with |f(xcur)| <= |f(xblk)|
        xpre, xcur, xblk, fpre, fcur, fblk, spre, scur, it, calls = s
        change = fpre * fcur < 0
        xblk, fblk = fnp.where(change, xpre, xblk), fnp.where(change, fpre, fblk)
        spre = fnp.where(change, xcur - xpre, spre)
        scur = fnp.where(change, xcur - xpre, scur)
        swap = fnp.abs(fblk) < fnp.abs(fcur)
        xpre, fpre = fnp.where(swap, xcur, xpre), fnp.where(swap, fcur, fpre)
        xcur, fcur = fnp.where(swap, xblk, xcur), fnp.where(swap, fblk, fcur)
        xblk, fblk = fnp.where(swap, xpre, xblk), fnp.where(swap, fpre, fblk)
        return xpre, xcur, xblk, fpre, fcur, fblk, spre, scur, it, calls

    def done(s: tuple[Any, ...]) -> Any:
        _, xcur, xblk, _, fcur, _, _, _, _, _ = s
        delta = (xtol + rtol * fnp.abs(xcur)) / 2
        return (fcur == 0) | (fnp.abs((xblk - xcur) / 2) < delta)

    def cond(s: tuple[Any, ...]) -> Any:
        s = tidy(s)
        return ~done(s) & (s[8] < maxiter)

    def body(s: tuple[Any, ...]) -> tuple[Any, ...]:
        xpre, xcur, xblk, fpre, fcur, fblk, spre, scur, it, calls = tidy(s)
        delta = (xtol + rtol * fnp.abs(xcur)) / 2
        sbis = (xblk - xcur) / 2
        secant = -fcur * (xcur - xpre) / (fcur - fpre)
        dpre = (fpre - fcur) / (xpre - xcur)
        dblk = (fblk - fcur) / (xblk - xcur)
        inverse_quadratic = -fcur * (fblk * dblk - fpre * dpre) / (dblk * dpre * (fblk - fpre))
        stry = fnp.where(xpre == xblk, secant, inverse_quadratic)
        interpolate = (fnp.abs(spre) > delta) & (fnp.abs(fcur) < fnp.abs(fpre))
        good = interpolate & (2 * fnp.abs(stry) < fnp.minimum(fnp.abs(spre),
                                                               3 * fnp.abs(sbis) - delta))
        spre, scur = fnp.where(good, scur, sbis), fnp.where(good, stry, sbis)
        step = fnp.where(fnp.abs(scur) > delta, scur, fnp.where(sbis > 0, delta, -delta))
        xnew = xcur + step
        return xcur, xnew, xblk, fcur, f(xnew), fblk, spre, scur, it + 1, calls + 1

    i0 = fnp.zeros((), "int64")
    s = lax.while_loop(cond, body, (a, b, zero, fa, fb, zero, zero, zero, i0, i0 + 2))
    s = tidy(s)
    ok = done(s)
    return s[1], s[8] + ok.astype("int64"), s[9], ok


def _bisect(f: Callable[[Any], Any], a: Any, b: Any, fa: Any, xtol: float, rtol: float,
            maxiter: int) -> tuple[Any, Any, Any, Any]:
    def cond(s: tuple[Any, ...]) -> Any:
        return ~s[5] & (s[6] < maxiter)

    def body(s: tuple[Any, ...]) -> tuple[Any, ...]:
        xa, fa, dm, _, _, _, it = s
        dm = dm / 2
        xm = xa + dm
        fm = f(xm)
        keep = fm * fa >= 0
        xa, fa = fnp.where(keep, xm, xa), fnp.where(keep, fm, fa)
        return xa, fa, dm, xm, fm, (fm == 0) | (fnp.abs(dm) < xtol + rtol * fnp.abs(xm)), it + 1

    i0 = fnp.zeros((), "int64")
    s = lax.while_loop(cond, body, (a, fa, b - a, a, fa, fnp.asarray(False), i0))
    return s[3], s[6], s[6] + 2, s[5]


def _newton(f: Callable[[Any], Any], fprime: Callable[[Any], Any], x0: Any, xtol: float,
            rtol: float, maxiter: int) -> tuple[Any, Any, Any, Any]:
    def cond(s: tuple[Any, ...]) -> Any:
        return ~s[1] & (s[2] < maxiter)

    def body(s: tuple[Any, ...]) -> tuple[Any, ...]:
        x, _, it = s
        fx = f(x)
        step = fnp.where(fx == 0, 0.0, fx / fprime(x))
        x_new = x - step
        return x_new, fnp.abs(step) <= xtol + rtol * fnp.abs(x_new), it + 1

    x, converged, it = lax.while_loop(cond, body, (x0, fnp.asarray(False),
                                                   fnp.zeros((), "int64")))
    return x, it, 2 * it, converged


def _is_traced(*xs: Any) -> bool:
    return any(isinstance(x, core.Tracer) for x in xs)


def root_scalar(f: Callable[..., Any], args: tuple[Any, ...] = (), method: str | None = None,
                bracket: Any = None, fprime: Callable[..., Any] | None = None, x0: Any = None,
                xtol: float | None = None, rtol: float | None = None,
                maxiter: int | None = None) -> RootResults:
    """A root of the scalar function ``f(x, *args)`` (SciPy's ``root_scalar``).

    Jittable, batchable, and differentiable in the parameters f closes over or
    receives in ``args`` (implicitly, at the root).

    Args:
      f: ``f(x, *args) -> scalar``.
      args: a tuple of extra arguments for f (and fprime).
      method: "brentq" or "bisect" (need `bracket`), "newton" (needs `x0`);
        default "brentq" with a bracket, else "newton".
      bracket: (a, b) with f(a) and f(b) of opposite signs.
      fprime: the derivative ``fprime(x, *args)`` for Newton (default: by
        autodiff).
      x0: Newton's starting point.
      xtol, rtol: the tolerances (SciPy's defaults: brentq/bisect 2e-12 and
        4 eps; newton 1.48e-8 and 0).
      maxiter: the most iterations (brentq/bisect 100, newton 50).

    Returns a `RootResults`.

    Raises ValueError for an unknown method, a missing bracket or x0, or (with
    concrete values) a bracket without a sign change.

    Example::

        r = root_scalar(lambda x, a: x ** 2 - a, (2.0,), bracket=(0.0, 2.0))
    """
    fname = "root_scalar"
    C.check_callable(fname, "f", f)
    args = C.check_args(fname, args)
    if method is None:
        method = "brentq" if bracket is not None else "newton"
    method = C.check_method(fname, method, _METHODS)
    newton = method == "newton"
    if newton and x0 is None:
        raise ValueError("root_scalar: method 'newton' needs x0")
    if not newton and bracket is None:
        raise ValueError(f"root_scalar: method {method!r} needs bracket=(a, b)")
    if not newton and fprime is not None:
        raise ValueError(f"root_scalar: method {method!r} does not use fprime; pass it with "
                         f"method='newton'")
    if fprime is not None:
        C.check_callable(fname, "fprime", fprime)
    xtol = C.nonneg_float(fname, "xtol", xtol if xtol is not None else
                          (1.48e-8 if newton else 2e-12))
    rtol = C.nonneg_float(fname, "rtol", rtol if rtol is not None else
                          (0.0 if newton else 4 * _EPS))
    maxiter = C.positive_int(fname, "maxiter", maxiter if maxiter is not None else
                             (50 if newton else 100))

    def fx(x: Any) -> Any:
        return f(x, *args)

    if newton:
        guess = C.float_scalar_like(x0)
        if guess.ndim != 0:
            raise ValueError(f"root_scalar: x0 must be a scalar, got shape {guess.shape}")
        C.check_output(fname, fx, guess, (), "a scalar")
        deriv = grad(fx) if fprime is None else (lambda x: fprime(x, *args))

        def solve(x: Any) -> tuple[Any, Any]:
            root, it, calls, ok = _newton(fx, deriv, x, xtol, rtol, maxiter)
            return root, (it, calls, ok)
    else:
        if not isinstance(bracket, (tuple, list)) or len(bracket) != 2:
            raise ValueError(f"root_scalar: bracket must be a pair (a, b), got {bracket!r}")
        a, b = (C.float_scalar_like(v) for v in bracket)
        dtype = fnp.result_type(a, b)
        a, b = a.astype(dtype), b.astype(dtype)
        if a.ndim != 0 or b.ndim != 0:
            raise ValueError("root_scalar: the bracket's ends must be scalars")
        C.check_output(fname, fx, a, (), "a scalar")
        fa, fb = fx(a), fx(b)
        if not _is_traced(fa, fb) and float(fa) * float(fb) > 0:
            raise ValueError(f"root_scalar: f(a) and f(b) must have different signs, got "
                             f"f({float(a)}) = {float(fa)} and f({float(b)}) = {float(fb)}")
        guess = a

        def solve(x: Any) -> tuple[Any, Any]:
            # the bracket, not the guess, starts these methods
            if method == "brentq":
                root, it, calls, ok = _brentq(fx, a, b, fa, fb, xtol, rtol, maxiter)
            else:
                root, it, calls, ok = _bisect(fx, a, b, fa, xtol, rtol, maxiter)
            bad = fa * fb > 0
            return fnp.where(bad, fnp.nan, root), (it, calls, ok & ~bad)

    root, (it, calls, ok) = implicit_solution(fx, guess, solve)
    return RootResults(root=root, iterations=it, function_calls=calls, converged=ok)
