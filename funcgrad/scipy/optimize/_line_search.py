"""A line search for the strong Wolfe conditions (Nocedal & Wright, algorithms
3.5 and 3.6) as one `while_loop` that evaluates the objective once per step.

The bracketing phase (doubling the step) and the zoom phase (cubic, quadratic
or bisection interpolation inside the bracket) share one loop with a phase flag
instead of a zoom loop nested in each bracketing step, so a compiled search
never pays for the phase it is not in.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import funcgrad.numpy as fnp
from funcgrad import lax
from funcgrad.api import value_and_grad

# Zoom gives up after this many interpolations, or once the bracket is narrower
# than _min_bracket (in units of the step).
_MAX_ZOOM = 30


class LineSearchResults(NamedTuple):
    """The accepted step a_k with the value f_k and gradient g_k there; failed
    (the strong Wolfe conditions were not met: the step is then the best point
    seen, possibly 0), status (0 success, 1 zoom failed, 3 too many bracketing
    steps), nfev and ngev (evaluations made), nit (bracketing steps)."""
    failed: Any
    nit: Any
    nfev: Any
    ngev: Any
    k: Any
    a_k: Any
    f_k: Any
    g_k: Any
    status: Any


class _State(NamedTuple):
    done: Any
    failed: Any
    zooming: Any
    i: Any
    j: Any
    a_lo: Any
    phi_lo: Any
    dphi_lo: Any
    g_lo: Any
    a_hi: Any
    phi_hi: Any
    dphi_hi: Any
    a_rec: Any
    phi_rec: Any
    a_star: Any
    phi_star: Any
    g_star: Any
    nfev: Any


def _cubic_min(a: Any, fa: Any, fpa: Any, b: Any, fb: Any, c: Any, fc: Any) -> Any:
    """The minimizer of the cubic through (a, fa) with slope fpa, (b, fb), (c, fc)."""
    db, dc = b - a, c - a
    denom = (db * dc) ** 2 * (db - dc)
    rb, rc = fb - fa - fpa * db, fc - fa - fpa * dc
    ca = (dc ** 2 * rb - db ** 2 * rc) / denom
    cb = (-dc ** 3 * rb + db ** 3 * rc) / denom
    return a + (-cb + fnp.sqrt(cb * cb - 3.0 * ca * fpa)) / (3.0 * ca)


def _quad_min(a: Any, fa: Any, fpa: Any, b: Any, fb: Any) -> Any:
    """The minimizer of the parabola through (a, fa) with slope fpa and (b, fb)."""
    db = b - a
    curv = (fb - fa - fpa * db) / db ** 2
    return a - fpa / (2.0 * curv)


def _zoom_trial(s: _State) -> Any:
    """The next step inside the bracket: cubic interpolation when it lands well
    inside, else quadratic, else bisection (thresholds of Nocedal & Wright)."""
    width = s.a_hi - s.a_lo
    left, right = fnp.minimum(s.a_lo, s.a_hi), fnp.maximum(s.a_lo, s.a_hi)
    cubic = _cubic_min(s.a_lo, s.phi_lo, s.dphi_lo, s.a_hi, s.phi_hi, s.a_rec, s.phi_rec)
    use_cubic = (s.j > 0) & (cubic > left + 0.2 * width) & (cubic < right - 0.2 * width)
    quad = _quad_min(s.a_lo, s.phi_lo, s.dphi_lo, s.a_hi, s.phi_hi)
    use_quad = ~use_cubic & (quad > left + 0.1 * width) & (quad < right - 0.1 * width)
    return fnp.where(use_cubic, cubic, fnp.where(use_quad, quad, 0.5 * (s.a_lo + s.a_hi)))


def line_search(f: Callable[[Any], Any], xk: Any, pk: Any, old_fval: Any = None,
                old_old_fval: Any = None, gfk: Any = None, c1: float = 1e-4, c2: float = 0.9,
                maxiter: int = 20) -> LineSearchResults:
    """A step along `pk` from `xk` meeting the strong Wolfe conditions (JAX's
    ``jax.scipy.optimize.line_search``).

    Args:
      f: the objective, x -> scalar, differentiable.
      xk: the current point, a 1-D array.
      pk: a descent direction, of xk's shape.
      old_fval, gfk: f and its gradient at xk (computed when either is None).
      old_old_fval: f at the previous iterate; sets the first trial step as
        SciPy does (else the first trial is 1).
      c1, c2: the sufficient-decrease and curvature constants.
      maxiter: the most bracketing steps (the zoom phase has its own limit of 30).

    Returns a `LineSearchResults`.

    Example::

        res = line_search(lambda x: fnp.sum(x ** 2), fnp.ones(3), -fnp.ones(3))
    """
    xk = fnp.asarray(xk)
    dtype = fnp.result_type(xk, pk, 1.0)
    xk, pk = xk.astype(dtype), fnp.asarray(pk).astype(dtype)
    vg = value_and_grad(f)

    def restricted(a: Any) -> tuple[Any, Any, Any]:
        phi, g = vg(xk + a * pk)
        return phi.astype(dtype), fnp.real(fnp.dot(g, pk)), g.astype(dtype)

    initial_evals = 0
    if old_fval is None or gfk is None:
        phi0, dphi0, gfk = restricted(fnp.zeros((), dtype))
        initial_evals = 1
    else:
        phi0 = fnp.asarray(old_fval).astype(dtype)
        gfk = fnp.asarray(gfk).astype(dtype)
        dphi0 = fnp.real(fnp.dot(gfk, pk))
    if old_old_fval is None:
        start = fnp.ones((), dtype)
    else:
        candidate = 1.01 * 2.0 * (phi0 - old_old_fval) / dphi0
        start = fnp.where(candidate > 1, 1.0, candidate).astype(dtype)
    min_bracket = 1e-10 if fnp.finfo(dtype).bits >= 64 else 1e-5
    zero = fnp.zeros((), dtype)
    false = fnp.asarray(False)

    def cond(s: _State) -> Any:
        return ~s.done & ~s.failed & (s.zooming | (s.i < maxiter))

    def body(s: _State) -> _State:
        a = fnp.where(s.zooming, _zoom_trial(s), fnp.where(s.i == 0, start, 2.0 * s.a_lo))
        phi, dphi, g = restricted(a)
        no_decrease = phi > phi0 + c1 * a * dphi0
        curvature = fnp.abs(dphi) <= -c2 * dphi0
        # bracketing: the bracket is (previous, a) or (a, previous)
        b_hi = ~s.zooming & (no_decrease | ((phi >= s.phi_lo) & (s.i > 0)))
        b_star = ~s.zooming & ~b_hi & curvature
        b_swap = ~s.zooming & ~b_hi & ~b_star & (dphi >= 0)
        b_next = ~s.zooming & ~b_hi & ~b_star & ~b_swap
        # zooming: a replaces an end of the bracket
        z_hi = s.zooming & (no_decrease | (phi >= s.phi_lo))
        z_star = s.zooming & ~z_hi & curvature
        z_flip = s.zooming & ~z_hi & ~z_star & (dphi * (s.a_hi - s.a_lo) >= 0)
        z_lo = s.zooming & ~z_hi & ~z_star
        star = b_star | z_star
        # a becomes the high end: in zoom the old high end is remembered for the cubic
        to_hi = b_hi | z_hi
        hi_from_lo = b_swap | z_flip
        to_lo = b_next | b_swap | z_lo
        a_rec = fnp.where(z_hi | z_flip, s.a_hi, fnp.where(z_lo, s.a_lo, s.a_rec))
        phi_rec = fnp.where(z_hi | z_flip, s.phi_hi, fnp.where(z_lo, s.phi_lo, s.phi_rec))
        a_hi = fnp.where(to_hi, a, fnp.where(hi_from_lo, s.a_lo, s.a_hi))
        phi_hi = fnp.where(to_hi, phi, fnp.where(hi_from_lo, s.phi_lo, s.phi_hi))
        dphi_hi = fnp.where(to_hi, dphi, fnp.where(hi_from_lo, s.dphi_lo, s.dphi_hi))
        a_lo = fnp.where(to_lo, a, s.a_lo)
        phi_lo = fnp.where(to_lo, phi, s.phi_lo)
        dphi_lo = fnp.where(to_lo, dphi, s.dphi_lo)
        g_lo = fnp.where(to_lo, g, s.g_lo)
        zooming = s.zooming | b_hi | b_swap
        j = s.j + s.zooming.astype(s.j.dtype)
        narrow = fnp.abs(a_hi - a_lo) <= min_bracket
        failed = ~star & zooming & ((j >= _MAX_ZOOM) | (s.zooming & narrow))
        return _State(done=star, failed=failed, zooming=zooming,
                      i=s.i + (~s.zooming).astype(s.i.dtype), j=j,
                      a_lo=a_lo, phi_lo=phi_lo, dphi_lo=dphi_lo, g_lo=g_lo,
                      a_hi=a_hi, phi_hi=phi_hi, dphi_hi=dphi_hi, a_rec=a_rec, phi_rec=phi_rec,
                      a_star=fnp.where(star, a, s.a_star),
                      phi_star=fnp.where(star, phi, s.phi_star),
                      g_star=fnp.where(star, g, s.g_star), nfev=s.nfev + 1)

    i0 = fnp.zeros((), "int64")
    init = _State(done=false, failed=false, zooming=false, i=i0, j=i0,
                  a_lo=zero, phi_lo=phi0, dphi_lo=dphi0, g_lo=gfk,
                  a_hi=zero, phi_hi=phi0, dphi_hi=dphi0, a_rec=zero, phi_rec=phi0,
                  a_star=zero, phi_star=phi0, g_star=gfk, nfev=i0 + initial_evals)
    s = lax.while_loop(cond, body, init)
    failed = ~s.done
    # On failure the step is the best point seen (it satisfies sufficient decrease).
    status = fnp.where(s.failed, 1, fnp.where(s.done, 0, 3))
    return LineSearchResults(failed=failed, nit=s.i, nfev=s.nfev, ngev=s.nfev, k=s.i,
                             a_k=fnp.where(s.done, s.a_star, s.a_lo),
                             f_k=fnp.where(s.done, s.phi_star, s.phi_lo),
                             g_k=fnp.where(s.done, s.g_star, s.g_lo), status=status)

