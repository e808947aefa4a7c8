"""`solve_ivp` (SciPy's ``scipy.integrate.solve_ivp``) as one bounded
`lax.while_loop` of adaptive steps.

Methods: "RK45" (Dormand–Prince 5(4), explicit) and "Rosenbrock23" (the
L-stable linearly implicit pair of Shampine & Reichelt, MATLAB's ode23s, for
stiff problems: one LU of ``I - h d J`` per step, J from `jacfwd`).

Every step interpolates the solution at the `t_eval` points it passes, so
the output has a fixed shape and the whole solve stages to one loop: jit,
vmap and both modes of differentiation apply. The loop is bounded by
`max_steps`, which makes it reverse-differentiable with checkpointing
(`while_loop(..., max_steps=)`): gradients are those of the discrete steps
taken, step-size control included (discretise-then-differentiate).
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import funcgrad.numpy as fnp
from funcgrad import core, dtypes, lax, tree
from funcgrad.api import jacfwd, jit, jvp
from funcgrad.errors import ConcretizationError
from funcgrad.scipy.integrate import _dopri
from funcgrad.scipy.linalg import lu_factor, lu_solve

__all__ = ["OdeResult", "OdeSolution", "solve_ivp"]

Rhs = Callable[[Any, Any], Any]       # (y, t) -> dy/dt
METHODS = ("RK45", "Rosenbrock23")
_MESSAGES = {0: "The solver successfully reached the end of the integration interval.",
             -1: "Required step size is less than spacing between numbers.",
             -2: "The solver reached max_steps before the end of the integration interval."}


class OdeSolution:
    """The piecewise polynomial through every accepted step (``sol`` of a
    `solve_ivp` result): ``sol(t)`` is y at t, shape (n,) or (n, len(t)).

    `ts` holds the step boundaries (unused slots +inf), `coeffs` one quartic
    per step in the step's local time, highest power first."""

    def __init__(self, ts: Any, coeffs: Any, direction: float):
        self.ts, self.coeffs, self.direction = ts, coeffs, direction

    def __call__(self, t: Any) -> Any:
        t = fnp.asarray(t)
        y = _evaluate(self.ts, self.coeffs, (t * self.direction).reshape(-1))
        return y[:, 0] if t.ndim == 0 else y


@jit
def _evaluate(ts: Any, coeffs: Any, u: Any) -> Any:
    """The interpolant at the (direction-signed) times u, shape (n, len(u)); one
    compiled program per shape, eagerly."""
    last = fnp.sum(fnp.isfinite(ts)) - 2        # the last step taken
    i = fnp.clip(fnp.searchsorted(ts, u, side="left") - 1, 0, last)
    start, stop = ts[i], ts[i + 1]
    span = fnp.where(fnp.isfinite(stop) & (stop > start), stop - start, 1.0)
    theta = ((u - start) / span)[:, None]
    c = coeffs[i]                           # (len(u), 5, n)
    return _dopri.interp([c[:, k] for k in range(c.shape[1])], theta).T


class OdeResult:
    """SciPy's result fields: t, y (n, len(t)), sol (or None), success,
    status (0 reached the end, -1 step size underflow, -2 max_steps reached),
    message, nfev, njev, nlu. A pytree, so it can leave `jit`."""

    def __init__(self, t: Any, y: Any, sol: OdeSolution | None, status: Any, nfev: Any,
                 njev: Any, nlu: Any):
        self.t, self.y, self.sol, self.status = t, y, sol, status
        self.nfev, self.njev, self.nlu = nfev, njev, nlu

    @property
    def success(self) -> Any:
        return self.status == 0

    @property
    def message(self) -> str:
        if isinstance(self.status, core.Tracer):
            return "traced: read the status field once computed"
        status = np.asarray(self.status)
        if status.ndim:
            return "; ".join(f"{s}: {_MESSAGES[int(s)]}" for s in np.unique(status))
        return _MESSAGES[int(status)]

    def __repr__(self) -> str:
        return (f"OdeResult(message={self.message!r}, t={self.t!r}, y={self.y!r}, "
                f"nfev={self.nfev!r})")


def _unflatten_solution(direction: float, kids: Any) -> OdeSolution:
    ts, coeffs = kids
    return OdeSolution(ts, coeffs, direction)


tree.register_pytree_node(
    OdeSolution, lambda s: ((s.ts, s.coeffs), s.direction), _unflatten_solution)
tree.register_pytree_node(
    OdeResult, lambda r: ((r.t, r.y, r.sol, r.status, r.nfev, r.njev, r.nlu), None),
    lambda _, kids: OdeResult(*kids))


# ---------------------------------------------------------------------------
# the methods: a step from (t, y, f(t, y)) with its error ratio and interpolant


class _RK45:
    order = 5           # of the error estimate's exponent: h ~ err ** (-1 / order)
    evals_per_step, implicit = 6, False

    def step(self, f: Rhs, t: Any, y: Any, fy: Any, h: Any, rtol: float,
             atol: float) -> tuple[Any, Any, Any, tuple[Any, ...]]:
        y1, f1, err, ks = _dopri.step(f, y, fy, t, h)
        ratio = _dopri.error_ratio(err, y, y1, rtol, atol)
        return y1, f1, ratio, _dopri.interp_coeffs(y, y1, ks, h)


class _Rosenbrock23:
    order = 3
    evals_per_step, implicit = 2, True
    d = 1.0 / (2.0 + math.sqrt(2.0))
    e32 = 6.0 + math.sqrt(2.0)

    def step(self, f: Rhs, t: Any, y: Any, fy: Any, h: Any, rtol: float,
             atol: float) -> tuple[Any, Any, Any, tuple[Any, ...]]:
        d = self.d
        jac = jacfwd(lambda v: f(v, t))(y)
        _, dfdt = jvp(lambda s: f(y, s), (t,), (fnp.ones_like(t),))
        hd = (h * d).astype(y.dtype)
        hy = h.astype(y.dtype)
        w = lu_factor(fnp.eye(y.shape[0], dtype=y.dtype) - hd * jac)
        k1 = lu_solve(w, fy + hd * dfdt)
        f1 = f(y + 0.5 * hy * k1, t + 0.5 * h)
        k2 = lu_solve(w, f1 - k1) + k1
        y1 = y + hy * k2
        f2 = f(y1, t + h)
        k3 = lu_solve(w, f2 - self.e32 * (k2 - f1) - 2.0 * (k1 - fy) + hd * dfdt)
        err = hy / 6.0 * (k1 - 2.0 * k2 + k3)
        ratio = _dopri.error_ratio(err, y, y1, rtol, atol)
        # the method's continuous extension: y + h (t(1-t) k1 + t(t-2d) k2) / (1-2d)
        c = hy / (1.0 - 2.0 * d)
        zero = fnp.zeros_like(y)
        return y1, f2, ratio, (zero, zero, c * (k2 - k1), c * (k1 - 2.0 * d * k2), y)


_METHOD_OBJECTS = {"RK45": _RK45(), "Rosenbrock23": _Rosenbrock23()}


# ---------------------------------------------------------------------------
# checking the arguments


def _traced(*xs: Any) -> bool:
    return any(isinstance(x, core.Tracer) for x in tree.leaves(xs))


def _concrete_float(x: Any, what: str) -> float | None:
    if isinstance(x, core.Tracer):
        return None
    v = np.asarray(x)
    if v.shape != ():
        raise ValueError(f"solve_ivp: {what} must be a scalar, got shape {v.shape}")
    if not np.isfinite(v):
        raise ValueError(f"solve_ivp: {what} must be finite, got {float(v)}")
    return float(v)


def _positive(x: Any, what: str) -> float:
    if isinstance(x, (bool, np.bool_)) or not isinstance(x, (int, float, np.number)):
        raise TypeError(f"solve_ivp: {what} must be a Python float, got {type(x).__name__}")
    if not x > 0:
        raise ValueError(f"solve_ivp: {what} must be positive, got {x}")
    return float(x)


def _check_options(options: dict[str, Any]) -> tuple[float, float, Any, float, int]:
    known = {"rtol", "atol", "first_step", "max_step", "max_steps"}
    unknown = sorted(set(options) - known)
    if unknown:
        raise TypeError(f"solve_ivp: unsupported option(s) {', '.join(unknown)}; supported: "
                        f"{', '.join(sorted(known))} (jac, jac_sparsity, lband, uband and "
                        "min_step are not: the Jacobian comes from jacfwd)")
    rtol = options.get("rtol", 1e-3)
    atol = options.get("atol", 1e-6)
    if np.ndim(atol) != 0 or np.ndim(rtol) != 0:
        raise ValueError("solve_ivp: rtol and atol must be scalars (per-component "
                         "tolerances are not supported)")
    rtol, atol = _positive(rtol, "rtol"), _positive(atol, "atol")
    first_step = options.get("first_step")
    if first_step is not None:
        first_step = _positive(first_step, "first_step")
    max_step = options.get("max_step", math.inf)
    max_step = _positive(max_step, "max_step")
    max_steps = options.get("max_steps", 4096)
    if isinstance(max_steps, (bool, np.bool_)) or not isinstance(max_steps, (int, np.integer)) \
            or max_steps < 1:
        raise ValueError(f"solve_ivp: max_steps must be a positive int, got {max_steps!r}")
    return rtol, atol, first_step, max_step, int(max_steps)


# ---------------------------------------------------------------------------
# solve_ivp


def solve_ivp(fun: Callable[..., Any], t_span: Sequence[Any], y0: Any, method: str = "RK45",
              t_eval: Any = None, dense_output: bool = False, events: Any = None,
              vectorized: bool = False, args: tuple[Any, ...] | None = None,
              **options: Any) -> OdeResult:
    """Solve ``dy/dt = fun(t, y, *args)`` on ``t_span = (t0, t1)`` from ``y(t0) = y0``.

    Args:
      fun: ``fun(t, y, *args)`` -> dy/dt, an array of y's shape (n,).
      t_span: (t0, t1); t1 < t0 integrates backwards.
      y0: the initial state, shape (n,) (real; integers become float64).
      method: "RK45" (explicit) or "Rosenbrock23" (stiff, L-stable).
      t_eval: times at which to report y, inside t_span and ordered along it.
        Required under jit, vmap or differentiation; without it (eagerly) y
        is reported at every step, as in SciPy.
      dense_output: also return ``sol``, the interpolant over all steps.
      events, vectorized: not supported (raise).
      args: a tuple of extra arguments for fun (differentiable).
      **options: rtol (1e-3), atol (1e-6), first_step, max_step, and
        max_steps (4096): the most steps taken, which bounds the loop.

    Returns an `OdeResult` (t, y, sol, success, status, message, nfev, njev, nlu).

    Raises ValueError for an unknown method, events, t_eval outside t_span or
    unordered, a missing t_eval under a transformation, bad options;
    TypeError for a non-callable fun, non-1-d or complex y0, args not a tuple.

    NB: past max_steps the loop stops, ``status`` is -2 and the remaining
    t_eval values hold NaN. A traced t_span is taken to run forwards.
    Gradients are those of the steps taken (step sizes depend smoothly on
    the state), not of the exact solution; `fg.odeint` differentiates the
    ODE itself.

    Example: ``solve_ivp(lambda t, y, k: -k * y, (0.0, 1.0), fnp.ones(2), t_eval=ts,
    args=(2.0,), rtol=1e-8, atol=1e-10).y``
    """
    if not callable(fun):
        raise TypeError(f"solve_ivp: fun must be callable, got {type(fun).__name__}")
    if method not in METHODS:
        hint = (" (for stiff problems use 'Rosenbrock23')" if method in ("Radau", "BDF", "LSODA")
                else "")
        raise ValueError(f"solve_ivp: method must be one of {', '.join(METHODS)}, got "
                         f"{method!r}{hint}")
    if events is not None:
        raise ValueError("solve_ivp: events are not supported; stop the integration with "
                         "t_span and locate the event in y (or sol) afterwards")
    if vectorized:
        raise ValueError("solve_ivp: vectorized=True is not supported (fun is called on one "
                         "state at a time; use fg.vmap to batch)")
    if not isinstance(dense_output, (bool, np.bool_)):
        raise TypeError(f"solve_ivp: dense_output must be a bool, got {dense_output!r}")
    if args is None:
        args = ()
    if not isinstance(args, tuple):
        raise TypeError(f"solve_ivp: args must be a tuple, got {type(args).__name__}")
    rtol, atol, first_step, max_step, max_steps = _check_options(options)
    if len(t_span) != 2:
        raise ValueError(f"solve_ivp: t_span must be a pair (t0, t1), got {len(t_span)} values")
    t0c, t1c = (_concrete_float(t, w) for t, w in zip(t_span, ("t0", "t1"), strict=True))
    direction = -1.0 if (t0c is not None and t1c is not None and t1c < t0c) else 1.0
    y0 = fnp.asarray(y0)
    if y0.ndim != 1 or fnp.iscomplexobj(y0):
        raise TypeError(f"solve_ivp: y0 must be a real 1-d array, got {y0.dtype}{list(y0.shape)}")
    if not dtypes.is_inexact(y0.dtype):
        y0 = y0.astype(float)
    if t_eval is None and (_traced(y0, t_span, args)):
        raise ValueError("solve_ivp: t_eval is required under jit, vmap and differentiation "
                         "(the number of steps, and so the output's shape, is only known "
                         "after solving)")
    if t_eval is not None:
        t_eval = fnp.asarray(t_eval, dtype=y0.dtype)
        if t_eval.ndim != 1:
            raise ValueError(f"solve_ivp: t_eval must be 1-d, got shape {t_eval.shape}")
        if not _traced(t_eval) and t0c is not None and t1c is not None:
            te = np.asarray(t_eval) * direction
            lo, hi = sorted((t0c, t1c))
            if te.size and (np.min(te * direction) < lo or np.max(te * direction) > hi):
                raise ValueError(f"solve_ivp: values in t_eval are not within t_span "
                                 f"({t0c}, {t1c})")
            if np.any(np.diff(te) < 0):
                raise ValueError("solve_ivp: values in t_eval must be ordered along t_span "
                                 "(increasing, or decreasing for t1 < t0)")
    record = dense_output or t_eval is None
    out = _integrate_jit(_METHOD_OBJECTS[method], fun, direction, rtol, atol, first_step,
                         max_step, max_steps, record, args, tuple(t_span), y0, t_eval)
    status, count, nfev, njev, ys, buf_t, buf_c = out
    sol = OdeSolution(buf_t, buf_c, direction) if dense_output else None
    if t_eval is not None:
        return OdeResult(t_eval, ys.T, sol, status, nfev, njev, njev)
    try:
        n = int(count)
    except ConcretizationError:
        raise ValueError("solve_ivp: t_eval is required when fun closes over traced values "
                         "(under jit, vmap or differentiation)") from None
    ts = buf_t[:n + 1] * direction
    ys = _dopri.interp([buf_c[:n + 1, k] for k in range(5)], 0.0)
    ys = fnp.concatenate([ys[:n], _dopri.interp([buf_c[n - 1, k] for k in range(5)],
                                                1.0)[None]]) if n else ys[:1]
    return OdeResult(ts, ys.T, sol, status, nfev, njev, njev)


def _integrate(method: Any, fun: Callable[..., Any], direction: float, rtol: float,
               atol: float, first_step: float | None, max_step: float, max_steps: int,
               record: bool, args: tuple[Any, ...], t_span: Sequence[Any], y0: Any,
               t_eval: Any) -> tuple[Any, ...]:
    """The loop, in the time u = direction * t (so it always runs forwards)."""
    tdtype = y0.dtype
    u0 = fnp.asarray(t_span[0], dtype=tdtype) * direction
    u1 = fnp.asarray(t_span[1], dtype=tdtype) * direction

    def f(y: Any, u: Any) -> Any:
        dy = fnp.asarray(fun(u * direction, y, *args))
        if dy.shape != y.shape:
            raise TypeError(f"solve_ivp: fun returned shape {dy.shape} for a state of shape "
                            f"{y.shape}; it must return dy/dt of y's shape")
        return (dy * direction).astype(y.dtype)

    f0 = f(y0, u0)
    if first_step is None:
        h0 = _dopri.initial_step(f, u0, y0, f0, method.order - 1, rtol, atol)
    else:
        h0 = fnp.asarray(first_step, dtype=tdtype)
    h0 = fnp.minimum(h0, max_step)
    eps = float(np.finfo(tdtype).eps)
    n = y0.shape[0]
    ue = None if t_eval is None else t_eval * direction
    ys0 = None if ue is None else fnp.where((ue <= u0)[:, None], y0,
                                            fnp.full((ue.shape[0], n), fnp.nan, y0.dtype))
    buf_t = fnp.full((max_steps + 1,), fnp.inf, tdtype).at[0].set(u0) if record else None
    buf_c = fnp.zeros((max_steps + 1, 5, n), y0.dtype).at[0, 4].set(y0) if record else None

    def cond(c: dict[str, Any]) -> Any:
        return (c["u"] < u1) & (c["status"] == 0)

    def body(c: dict[str, Any]) -> dict[str, Any]:
        u, y, fy = c["u"], c["y"], c["f"]
        last = c["h"] >= u1 - u
        h = fnp.where(last, u1 - u, c["h"])
        h_safe = fnp.where(h > 0, h, 1.0)
        y1, f1, ratio, coeffs = method.step(f, u, y, fy, h_safe, rtol, atol)
        ok = ratio <= 1.0
        u_new = fnp.where(last, u1, u + h)
        h_next = fnp.minimum(_dopri.next_step(h_safe, ratio, method.order), max_step)
        tiny = h_next < 10.0 * eps * fnp.abs(u)
        new = dict(c)
        new.update(u=fnp.where(ok, u_new, u), y=fnp.where(ok, y1, y), f=fnp.where(ok, f1, fy),
                   h=h_next, steps=c["steps"] + ok.astype(c["steps"].dtype),
                   nfev=c["nfev"] + method.evals_per_step,
                   njev=c["njev"] + int(method.implicit),
                   status=fnp.where(tiny & ~(ok & last), -1, 0).astype(np.int32))
        if ue is not None:
            inside = ok & (ue > u) & (ue <= u_new)
            theta = (ue - u) / h_safe
            new["ys"] = fnp.where(inside[:, None], _dopri.interp(coeffs, theta[:, None]),
                                  c["ys"])
        if record:
            k = c["steps"] + 1
            new["bt"] = fnp.where(ok, c["bt"].at[k].set(u_new), c["bt"])
            new["bc"] = fnp.where(ok, c["bc"].at[k - 1].set(fnp.stack(coeffs)), c["bc"])
        return new

    init: dict[str, Any] = {
        "u": u0, "y": y0, "f": f0, "h": h0, "steps": fnp.zeros((), np.int32),
        "nfev": fnp.asarray(2 if first_step is None else 1, np.int32),
        "njev": fnp.zeros((), np.int32), "status": fnp.zeros((), np.int32)}
    if ue is not None:
        init["ys"] = ys0
    if record:
        init["bt"], init["bc"] = buf_t, buf_c
    c = lax.while_loop(cond, body, init, max_steps=max_steps)
    status = fnp.where((c["status"] == 0) & (c["u"] < u1), -2, c["status"]).astype(np.int32)
    return (status, c["steps"], c["nfev"], c["njev"], c.get("ys"), c.get("bt"), c.get("bc"))


# one program per call when eager (rather than one per operation); inlined under jit
_integrate_jit = jit(_integrate, static_argnums=tuple(range(9)))
