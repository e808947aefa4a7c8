"""`minimize_scalar` (SciPy's): Brent's method from a bracket ("brent"), on an
interval ("bounded", SciPy's fminbound) and golden-section search ("golden"),
each one `while_loop`, the minimizer differentiated implicitly from
``f'(x) = 0`` (for "bounded": ``x = clip(x - f'(x), lower, upper)``)."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

import funcgrad.numpy as fnp
from funcgrad import lax
from funcgrad.api import grad
from funcgrad.scipy.optimize import _common as C
from funcgrad.scipy.optimize._implicit import implicit_solution

_METHODS = ("brent", "bounded", "golden")
_OPTIONS = {"brent": ("xtol", "maxiter"), "golden": ("xtol", "maxiter"),
            "bounded": ("xatol", "maxiter")}
_CG = 0.3819660112501051          # (3 - sqrt(5)) / 2
_GROW = 1.618033988749895         # the golden ratio


class OptimizeScalarResult(NamedTuple):
    """x, fun (f at x), success (a bool array), nit, nfev."""
    x: Any
    fun: Any
    success: Any
    nit: Any
    nfev: Any


def _bracket(f: Callable[[Any], Any], xa: Any, xb: Any) -> tuple[Any, ...]:
    """Walk downhill from (xa, xb) by golden-ratio steps until the middle of
    three points is the lowest: (a, b, c, f(b), evaluations)."""
    fa, fb = f(xa), f(xb)
    swap = fa < fb
    xa, xb, fa, fb = (fnp.where(swap, xb, xa), fnp.where(swap, xa, xb),
                      fnp.where(swap, fb, fa), fnp.where(swap, fa, fb))
    xc = xb + _GROW * (xb - xa)

    def cond(s: tuple[Any, ...]) -> Any:
        return (s[5] < s[4]) & (s[6] < 1000)

    def body(s: tuple[Any, ...]) -> tuple[Any, ...]:
        xa, xb, xc, fa, fb, fc, n = s
        xn = xc + _GROW * (xc - xb)
        return xb, xc, xn, fb, fc, f(xn), n + 1

    xa, xb, xc, fa, fb, fc, n = lax.while_loop(
        cond, body, (xa, xb, xc, fa, fb, f(xc), fnp.zeros((), "int64") + 3))
    return xa, xb, xc, fb, n


def _brent(f: Callable[[Any], Any], a: Any, b: Any, x: Any, fx: Any, rtol: float, atol: float,
           maxiter: int) -> tuple[Any, Any, Any, Any]:
    """Brent's minimization on [a, b] from x: parabolic steps through the three
    best points when they stay inside and shrink, golden sections otherwise."""
    zero = fnp.zeros_like(x)

    def tols(s: tuple[Any, ...]) -> tuple[Any, Any, Any]:
        a, b, x = s[0], s[1], s[2]
        tol1 = rtol * fnp.abs(x) + atol
        return tol1, 2 * tol1, (a + b) / 2

    def done(s: tuple[Any, ...]) -> Any:
        tol1, tol2, xm = tols(s)
        return fnp.abs(s[2] - xm) <= tol2 - (s[1] - s[0]) / 2

    def cond(s: tuple[Any, ...]) -> Any:
        return ~done(s) & (s[10] < maxiter)

    def body(s: tuple[Any, ...]) -> tuple[Any, ...]:
        a, b, x, w, v, fx, fw, fv, d, e, it = s
        tol1, tol2, xm = tols(s)
        r = (x - w) * (fx - fv)
        q = (x - v) * (fx - fw)
        p = (x - v) * q - (x - w) * r
        q = 2 * (q - r)
        p = fnp.where(q > 0, -p, p)
        q = fnp.abs(q)
        golden_e = fnp.where(x >= xm, a - x, b - x)
        parabola_ok = ((fnp.abs(e) > tol1) & (fnp.abs(p) < fnp.abs(0.5 * q * e))
                       & (p > q * (a - x)) & (p < q * (b - x)))
        d_par = p / fnp.where(q == 0, 1.0, q)
        u_par = x + d_par
        d_par = fnp.where((u_par - a < tol2) | (b - u_par < tol2),
                          fnp.where(xm - x >= 0, tol1, -tol1), d_par)
        e_new = fnp.where(parabola_ok, d, golden_e)
        d_new = fnp.where(parabola_ok, d_par, _CG * golden_e)
        u = fnp.where(fnp.abs(d_new) >= tol1, x + d_new,
                      x + fnp.where(d_new >= 0, tol1, -tol1))
        fu = f(u)
        better = fu <= fx
        a_n = fnp.where(better, fnp.where(u >= x, x, a), fnp.where(u < x, u, a))
        b_n = fnp.where(better, fnp.where(u >= x, b, x), fnp.where(u < x, b, u))
        to_w = ~better & ((fu <= fw) | (w == x))
        to_v = ~better & ~to_w & ((fu <= fv) | (v == x) | (v == w))
        v_n = fnp.where(better | to_w, w, fnp.where(to_v, u, v))
        fv_n = fnp.where(better | to_w, fw, fnp.where(to_v, fu, fv))
        w_n = fnp.where(better, x, fnp.where(to_w, u, w))
        fw_n = fnp.where(better, fx, fnp.where(to_w, fu, fw))
        x_n, fx_n = fnp.where(better, u, x), fnp.where(better, fu, fx)
        return a_n, b_n, x_n, w_n, v_n, fx_n, fw_n, fv_n, d_new, e_new, it + 1

    s = lax.while_loop(cond, body, (a, b, x, x, x, fx, fx, fx, zero, zero,
                                    fnp.zeros((), "int64")))
    return s[2], s[5], s[10], done(s)


def _golden(f: Callable[[Any], Any], xa: Any, xb: Any, xc: Any, tol: float,
            maxiter: int) -> tuple[Any, Any, Any, Any]:
    gr, gc = 1 - _CG, _CG
    far_right = fnp.abs(xc - xb) > fnp.abs(xb - xa)
    x1 = fnp.where(far_right, xb, xb - gc * (xb - xa))
    x2 = fnp.where(far_right, xb + gc * (xc - xb), xb)

    def done(s: tuple[Any, ...]) -> Any:
        x0, x1, x2, x3 = s[:4]
        return fnp.abs(x3 - x0) <= tol * (fnp.abs(x1) + fnp.abs(x2))

    def cond(s: tuple[Any, ...]) -> Any:
        return ~done(s) & (s[6] < maxiter)

    def body(s: tuple[Any, ...]) -> tuple[Any, ...]:
        x0, x1, x2, x3, f1, f2, it = s
        right = f2 < f1
        xn = fnp.where(right, gr * x2 + gc * x3, gr * x1 + gc * x0)
        fn = f(xn)
        return (fnp.where(right, x1, x0), fnp.where(right, x2, xn), fnp.where(right, xn, x1),
                fnp.where(right, x3, x2), fnp.where(right, f2, fn), fnp.where(right, fn, f1),
                it + 1)

    s = lax.while_loop(cond, body, (xa, x1, x2, xc, f(x1), f(x2), fnp.zeros((), "int64")))
    x0, x1, x2, x3, f1, f2, it = s
    return fnp.where(f1 < f2, x1, x2), fnp.minimum(f1, f2), it, done(s)


def minimize_scalar(fun: Callable[..., Any], bracket: Any = None, bounds: Any = None,
                    args: tuple[Any, ...] = (), method: str | None = None,
                    tol: float | None = None,
                    options: Mapping[str, Any] | None = None) -> OptimizeScalarResult:
    """A local minimizer of the scalar function ``fun(x, *args)`` (SciPy's
    ``minimize_scalar``).

    Jittable, batchable, and differentiable in fun's parameters (closures or
    ``args``) implicitly at the minimizer.

    Args:
      fun: ``fun(x, *args) -> scalar``.
      bracket: "brent"/"golden": (a, b), from which a bracket is searched
        downhill, or (a, b, c) with f(b) below f(a) and f(c); default (0, 1).
        NB: the downhill search takes golden-ratio steps (SciPy's also tries
        parabolic ones), so from a two-point bracket it may end in another
        valley than SciPy on a function with several.
      bounds: "bounded": (lower, upper).
      args: a tuple of extra arguments for fun.
      method: "brent" (default), "bounded" (default when bounds are given) or
        "golden".
      tol: xtol ("brent", "golden") or xatol ("bounded").
      options: "brent"/"golden": xtol, maxiter; "bounded": xatol, maxiter.

    Returns an `OptimizeScalarResult`.

    Raises ValueError for an unknown method or option, bounds with a method
    other than "bounded", or a missing or malformed bracket/bounds.

    Example::

        res = minimize_scalar(lambda x: (x - 2.0) ** 2, bracket=(0.0, 1.0))
    """
    fname = "minimize_scalar"
    C.check_callable(fname, "fun", fun)
    args = C.check_args(fname, args)
    if method is None:
        method = "bounded" if bounds is not None else "brent"
    method = C.check_method(fname, method, _METHODS)
    opts = C.check_options(fname, method, options, _OPTIONS[method])
    maxiter = C.positive_int(fname, "maxiter",
                             opts.get("maxiter", 5000 if method == "golden" else 500))

    def f(x: Any) -> Any:
        return fun(x, *args)

    if method == "bounded":
        if bracket is not None:
            raise ValueError("minimize_scalar: method 'bounded' takes bounds, not bracket")
        if not isinstance(bounds, (tuple, list)) or len(bounds) != 2:
            raise ValueError(f"minimize_scalar: method 'bounded' needs bounds=(lower, upper), "
                             f"got {bounds!r}")
        lo, hi = (C.float_scalar_like(v) for v in bounds)
        dtype = fnp.result_type(lo, hi)
        lo, hi = lo.astype(dtype), hi.astype(dtype)
        xatol = C.nonneg_float(fname, "xatol", opts.get("xatol", 1e-5 if tol is None else tol))
        C.check_output(fname, f, lo, (), "a scalar")
        deriv = grad(f)

        def residual(x: Any) -> Any:
            return x - fnp.clip(x - deriv(x), lo, hi)

        def solve(_: Any) -> tuple[Any, Any]:
            x0 = lo + _CG * (hi - lo)
            x, fx, it, ok = _brent(f, lo, hi, x0, f(x0), fnp.sqrt(fnp.finfo(dtype).eps),
                                   xatol / 3, maxiter)
            return x, (fx, it, ok, it + 1)

        x, (_fx, it, ok, nfev) = implicit_solution(residual, lo, solve)
        return OptimizeScalarResult(x=x, fun=f(x), success=ok, nit=it, nfev=nfev)

    if bounds is not None:
        raise ValueError(f"minimize_scalar: method {method!r} does not take bounds; use "
                         f"method='bounded'")
    if bracket is None:
        bracket = (0.0, 1.0)
    if not isinstance(bracket, (tuple, list)) or len(bracket) not in (2, 3):
        raise ValueError(f"minimize_scalar: bracket must be (a, b) or (a, b, c), got {bracket!r}")
    pts = [C.float_scalar_like(v) for v in bracket]
    dtype = fnp.result_type(*pts)
    pts = [p.astype(dtype) for p in pts]
    xtol = C.nonneg_float(fname, "xtol", opts.get("xtol", 1.48e-8 if tol is None else tol))
    C.check_output(fname, f, pts[0], (), "a scalar")

    def solve_from_bracket(_: Any) -> tuple[Any, Any]:
        if len(pts) == 2:
            xa, xb, xc, fb, n = _bracket(f, pts[0], pts[1])
        else:
            xa, xb, xc = pts
            fb, n = f(xb), fnp.zeros((), "int64") + 1
        if method == "brent":
            x, fx, it, ok = _brent(f, fnp.minimum(xa, xc), fnp.maximum(xa, xc), xb, fb, xtol,
                                   1e-11, maxiter)
            return x, (it, ok, n + it)
        x, fx, it, ok = _golden(f, xa, xb, xc, xtol, maxiter)
        return x, (it, ok, n + it + 2)

    x, (it, ok, nfev) = implicit_solution(grad(f), pts[0], solve_from_bracket)
    return OptimizeScalarResult(x=x, fun=f(x), success=ok, nit=it, nfev=nfev)
