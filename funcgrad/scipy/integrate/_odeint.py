"""`odeint` (JAX's ``jax.experimental.ode.odeint``): adaptive Dormand–Prince
with dense output, differentiated through the ODE's own equations rather than
through the solver's steps.

The state pytree is packed into one vector and the solve is a `custom_jvp`
function of (y0, t, *args). Its JVP rule emits ``custom_lin``, the linear map
``tangents -> tangent of the solution``, carrying a `_Sensitivities` object
that knows that map both ways:

- forward (jvp, jacfwd, and vmap of them): the forward sensitivity equations,
  the state augmented with its tangent ``d(dy)/dt = f_y dy + f_args dargs``,
  started from ``dy0 - f(y0, t0) dt0``;
- transposed (grad, vjp): the adjoint equations, solved backwards between
  consecutive output times with the vector-Jacobian products of `func`, plus
  ``f(y_i, t_i) . g_i`` for the output times themselves.

Both are solved by `odeint` itself, so derivatives of derivatives (hessian,
grad of jvp) take the same path again. The memory of reverse mode does not
grow with the number of steps; the gradient is that of the exact ODE solution,
accurate to the solver's tolerances (not the derivative of the discrete steps).
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import funcgrad.numpy as fnp
from funcgrad import core, dtypes, lax, tree
from funcgrad import primitives as P
from funcgrad.api import closure_convert, custom_jvp, jit, jvp, vjp, vmap
from funcgrad.control_flow import stage
from funcgrad.core import ShapedArray
from funcgrad.ir import Program
from funcgrad.scipy.integrate import _dopri

__all__ = ["odeint"]


class Packer:
    """Packs a list of arrays into one vector of a common dtype, and back."""

    def __init__(self, avals: Sequence[ShapedArray], dtype: np.dtype):
        self.shapes = [a.shape for a in avals]
        self.dtypes = [a.dtype for a in avals]
        self.dtype = dtype
        self.sizes = [math.prod(s) for s in self.shapes]
        self.size = sum(self.sizes)

    def pack(self, leaves: Sequence[Any]) -> Any:
        parts = [fnp.ravel(fnp.asarray(x)).astype(self.dtype) for x in leaves]
        if not parts:
            return fnp.zeros((0,), self.dtype)
        return parts[0] if len(parts) == 1 else fnp.concatenate(parts)

    def unpack(self, vec: Any, lead: tuple[int, ...] = ()) -> list[Any]:
        """The arrays back from `vec`, whose last axis is the packed one."""
        out, start = [], 0
        for shape, dt, n in zip(self.shapes, self.dtypes, self.sizes, strict=True):
            out.append(vec[..., start:start + n].reshape(lead + shape).astype(dt))
            start += n
        return out


def _inexact(x: Any) -> bool:
    return dtypes.is_inexact(core.get_aval(x).dtype)


class _FlatRhs:
    """``(y vector, t, *arg leaves, *consts) -> dy/dt vector`` from the user's
    pytree function (closure-converted: its traced closure values are the consts)."""

    def __init__(self, fun: Callable[..., Any], state: Packer, y_tree: tree.PyTreeDef,
                 arg_tree: tree.PyTreeDef, num_args: int):
        self.fun, self.state, self.y_tree = fun, state, y_tree
        self.arg_tree, self.num_args = arg_tree, num_args

    def __call__(self, y: Any, t: Any, *leaves: Any) -> Any:
        args = self.arg_tree.unflatten(leaves[:self.num_args])
        out = self.fun(self.y_tree.unflatten(self.state.unpack(y)), t, *args,
                       *leaves[self.num_args:])
        out_leaves, out_tree = tree.flatten(out)
        if out_tree != self.y_tree:
            raise TypeError(f"odeint: func must return a pytree of the structure of y0 "
                            f"({self.y_tree}), got {out_tree}")
        for o, s in zip(out_leaves, self.state.shapes, strict=True):
            if core.get_aval(o).shape != s:
                raise TypeError(f"odeint: func returned an array of shape "
                                f"{core.get_aval(o).shape} for a state leaf of shape {s}")
        return self.state.pack(out_leaves)


def _solve(fun: Callable[..., Any], rtol: float, atol: float, mxstep: float, hmax: float,
           y0: Any, ts: Any, *args: Any) -> Any:
    """The solution at every time of `ts` (one row each), by Dormand–Prince 5(4)."""
    def f(y: Any, t: Any) -> Any:
        return fun(y, t, *args)

    def clip(dt: Any) -> Any:
        dt = fnp.maximum(dt, 0.0)
        return dt if math.isinf(hmax) else fnp.minimum(dt, hmax)

    def advance(carry: tuple[Any, ...], target: Any) -> tuple[tuple[Any, ...], Any]:
        def cond(s: tuple[Any, ...]) -> Any:
            going = (s[3] < target) & (s[4] > 0.0)
            return going if math.isinf(mxstep) else going & (s[0] < mxstep)

        def body(s: tuple[Any, ...]) -> tuple[Any, ...]:
            i, y, fy, t, dt, last_t, coeffs = s
            y1, f1, err, ks = _dopri.step(f, y, fy, t, dt)
            ratio = _dopri.error_ratio(err, y, y1, rtol, atol)
            new_coeffs = _dopri.interp_coeffs(y, y1, ks, dt)
            ok = ratio <= 1.0
            return (i + 1, fnp.where(ok, y1, y), fnp.where(ok, f1, fy),
                    fnp.where(ok, t + dt, t), clip(_dopri.next_step(dt, ratio)),
                    fnp.where(ok, t, last_t),
                    tuple(fnp.where(ok, a, b) for a, b in zip(new_coeffs, coeffs, strict=True)))

        _, y, fy, t, dt, last_t, coeffs = lax.while_loop(cond, body, (0, *carry))
        theta = (target - last_t) / (t - last_t)
        return (y, fy, t, dt, last_t, coeffs), _dopri.interp(coeffs, theta)

    t0 = ts[0]
    f0 = f(y0, t0)
    dt = clip(_dopri.initial_step(f, t0, y0, f0, 4, rtol, atol))
    _, ys = lax.scan(advance, (y0, f0, t0, dt, t0, (y0,) * 5), ts[1:])
    return fnp.concatenate([y0[None], ys])


_odeint = custom_jvp(_solve, nondiff_argnums=(0, 1, 2, 3, 4))


# one program per call when eager (rather than one per operation); inlined under jit
_odeint_jit = jit(_odeint, static_argnums=(0, 1, 2, 3, 4))


@_odeint.defjvp
def _odeint_jvp(fun: Callable[..., Any], rtol: float, atol: float, mxstep: float, hmax: float,
                primals: tuple[Any, ...], tangents: tuple[Any, ...]) -> tuple[Any, Any]:
    ys = _odeint(fun, rtol, atol, mxstep, hmax, *primals)
    res = [*primals, ys]
    lin = _Sensitivities(fun, rtol, atol, mxstep, hmax)
    aval = core.get_aval(ys)
    (ys_dot,) = P.custom_lin_p.bind(*res, *tangents, num_res=len(res), bwd=lin,
                                    out_avals=(ShapedArray(aval.shape, aval.dtype),))
    return ys, ys_dot


class _Sensitivities:
    """The solution's linear response to (y0, t, args): `tangent_program` the
    forward map, calling it the transposed one (custom_lin's `bwd` protocol)."""

    def __init__(self, fun: Callable[..., Any], rtol: float, atol: float, mxstep: float,
                 hmax: float):
        self.fun, self.rtol, self.atol, self.mxstep, self.hmax = fun, rtol, atol, mxstep, hmax
        self._programs: dict[Any, tuple[Program, list[Any]]] = {}

    def _solve(self, fun: Callable[..., Any], y0: Any, ts: Any, *args: Any) -> Any:
        return _odeint(fun, self.rtol, self.atol, self.mxstep, self.hmax, y0, ts, *args)

    # -- forward: the sensitivity equations ------------------------------------

    def tangent_program(self, res_avals: Sequence[ShapedArray], t_avals: Sequence[ShapedArray],
                        ct_avals: Sequence[ShapedArray]) -> tuple[Program, list[Any]]:
        key = (tuple(res_avals), tuple(t_avals))
        if key not in self._programs:
            avals = [*res_avals, *t_avals]
            staged = stage(self._forward, tree.flatten(tuple(range(len(avals))))[1], avals,
                           "odeint's sensitivity equations")
            self._programs[key] = (staged.program, list(staged.consts))
        return self._programs[key]

    def _forward(self, *xs: Any) -> list[Any]:
        y0, ts, *rest = xs
        num_args = (len(rest) - 3) // 2
        args, ys = rest[:num_args], rest[num_args]
        y0_dot, ts_dot, *args_dot = rest[num_args + 1:]
        diff = [i for i, a in enumerate(args) if _inexact(a)]
        n, fun = y0.shape[0], self.fun

        def augmented(state: Any, t: Any, *a: Any) -> Any:
            own, a_dot = list(a[:num_args]), a[num_args:]

            def f_of(y: Any, *da: Any) -> Any:
                full = list(own)
                for i, v in zip(diff, da, strict=True):
                    full[i] = v
                return fun(y, t, *full)

            out, out_dot = jvp(f_of, (state[:n], *(own[i] for i in diff)),
                               (state[n:], *a_dot))
            return fnp.concatenate([out, out_dot])

        start = y0_dot - fun(y0, ts[0], *args) * ts_dot[0].astype(y0.dtype)
        sol = self._solve(augmented, fnp.concatenate([y0, start]), ts, *args,
                          *(args_dot[i] for i in diff))
        moved = vmap(lambda y, t: fun(y, t, *args))(ys[1:], ts[1:])
        rows = sol[1:, n:] + moved * ts_dot[1:, None].astype(y0.dtype)
        return [fnp.concatenate([y0_dot[None], rows])]

    # -- transposed: the adjoint equations -------------------------------------

    def __call__(self, res: Sequence[Any], cts: Sequence[Any]) -> list[Any]:
        y0, ts, *rest = [fnp.asarray(r) for r in res]
        args, ys = rest[:-1], rest[-1]
        g = fnp.asarray(cts[0])
        diff = [i for i, a in enumerate(args) if _inexact(a)]
        n, fun = y0.shape[0], self.fun
        grads = Packer([core.get_aval(args[i]) for i in diff], y0.dtype)

        def augmented(state: Any, s: Any, *a: Any) -> Any:
            def f_of(y: Any, t: Any, *da: Any) -> Any:
                full = list(a)
                for i, v in zip(diff, da, strict=True):
                    full[i] = v
                return fun(y, t, *full)

            out, pull = vjp(f_of, state[:n], -s, *(a[i] for i in diff))
            y_bar, t_bar, *args_bar = pull(state[n:2 * n])
            return fnp.concatenate([-out, y_bar, fnp.reshape(t_bar, (1,)).astype(y0.dtype),
                                    grads.pack(args_bar)])

        def back(carry: tuple[Any, Any, Any], x: tuple[Any, ...]) -> tuple[Any, Any]:
            y_bar, t0_bar, args_bar = carry
            y_i, t_i, t_prev, g_i, g_prev = x
            t_bar = fnp.dot(fun(y_i, t_i, *args), g_i)
            t0_bar = t0_bar - t_bar
            state = fnp.concatenate([y_i, y_bar, fnp.reshape(t0_bar, (1,)), args_bar])
            out = self._solve(augmented, state, fnp.stack([-t_i, -t_prev]), *args)[1]
            return (out[n:2 * n] + g_prev, out[2 * n], out[2 * n + 1:]), t_bar

        init = (g[-1], fnp.zeros((), y0.dtype), fnp.zeros((grads.size,), y0.dtype))
        (y0_bar, t0_bar, args_bar), ts_bar = lax.scan(
            back, init, (ys[1:], ts[1:], ts[:-1], g[1:], g[:-1]), reverse=True)
        ts_bar = fnp.concatenate([t0_bar[None], ts_bar]).astype(ts.dtype)
        out: list[Any] = [y0_bar, ts_bar, *(None for _ in args)]
        for i, v in zip(diff, grads.unpack(args_bar), strict=True):
            out[2 + i] = v
        return out


def _check_tol(name: str, value: Any) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)):
        raise TypeError(f"odeint: {name} must be a Python float, got {type(value).__name__}")
    if not value >= 0:
        raise ValueError(f"odeint: {name} must be >= 0, got {value}")
    return float(value)


def odeint(func: Callable[..., Any], y0: Any, t: Any, *args: Any, rtol: float = 1.4e-8,
           atol: float = 1.4e-8, mxstep: float = math.inf, hmax: float = math.inf) -> Any:
    """Solve ``dy/dt = func(y, t, *args)`` from ``y(t[0]) = y0``; return y at every t.

    Adaptive Dormand–Prince 5(4) with step-size control, the values at `t`
    interpolated inside the steps (4th order), compiled as one loop per output
    interval. Differentiable in y0, t and args (forward and reverse mode, by
    the sensitivity and adjoint ODEs; see the module docstring), batchable
    and jittable.

    Args:
      func: ``func(y, t, *args)`` -> dy/dt, a pytree like y0.
      y0: the initial state, an array or pytree of real floating arrays.
      t: 1-d array of increasing float times; ``t[0]`` is the initial time.
      *args: arrays or pytrees of arrays passed to func (and differentiated).
      rtol, atol: local error tolerances.
      mxstep: the most steps per output interval (an int, or inf).
      hmax: the largest step.

    Returns:
      A pytree like y0 whose leaves have a leading axis of length ``len(t)``.

    Raises TypeError for a non-callable func, integer or complex states, a
    non-float or non-1-d t, or args that are not arrays; ValueError for
    negative tolerances, a non-positive hmax, or mxstep not a positive int.

    NB: when mxstep steps do not reach an output time, the value returned there
    is an extrapolation (as in JAX); check it, or raise mxstep.

    Example: ``ys = odeint(lambda y, t, k: -k * y, 1.0, fnp.linspace(0., 1., 5), 2.0)``
    """
    if not callable(func):
        raise TypeError(f"odeint: func must be callable, got {type(func).__name__}")
    rtol, atol = _check_tol("rtol", rtol), _check_tol("atol", atol)
    hmax = _check_tol("hmax", hmax)
    if hmax == 0.0:
        raise ValueError("odeint: hmax must be positive (the largest step allowed)")
    if not (isinstance(mxstep, float) and math.isinf(mxstep) and mxstep > 0):
        if isinstance(mxstep, (bool, np.bool_)) or not isinstance(mxstep, (int, np.integer)):
            raise TypeError(f"odeint: mxstep must be a positive int or inf, got {mxstep!r}")
        if mxstep < 1:
            raise ValueError(f"odeint: mxstep must be a positive int or inf, got {mxstep}")
        mxstep = int(mxstep)
    t = fnp.asarray(t)
    if t.ndim != 1 or not dtypes.is_inexact(t.dtype) or fnp.iscomplexobj(t):
        raise TypeError(f"odeint: t must be a 1-d array of real float times, got "
                        f"{t.dtype}{list(t.shape)}")
    if t.shape[0] < 1:
        raise ValueError("odeint: t must hold at least the initial time")
    y_leaves, y_tree = tree.flatten(y0)
    y_leaves = [fnp.asarray(y) for y in y_leaves]
    for y in y_leaves:
        if not dtypes.is_inexact(y.dtype) or fnp.iscomplexobj(y):
            raise TypeError(f"odeint: y0 must hold real floating arrays, got {y.dtype} (convert "
                            "it with .astype(float); complex states are not supported)")
    arg_leaves, arg_tree = tree.flatten(args)
    for a in arg_leaves:
        if not (core.is_array_like(a) or isinstance(a, (int, float, bool, np.number))):
            raise TypeError(f"odeint: the contents of *args must be arrays or scalars, got "
                            f"{type(a).__name__}; pass other values through a closure")
    arg_leaves = [fnp.asarray(a) for a in arg_leaves]
    dtype = fnp.result_type(*y_leaves)
    state = Packer([core.get_aval(y) for y in y_leaves], dtype)
    converted, consts = closure_convert(func, y_tree.unflatten(y_leaves), t[0],
                                        *arg_tree.unflatten(arg_leaves))
    fun = _FlatRhs(converted, state, y_tree, arg_tree, len(arg_leaves))
    ys = _odeint_jit(fun, rtol, atol, mxstep, hmax, state.pack(y_leaves), t, *arg_leaves,
                     *consts)
    return y_tree.unflatten(state.unpack(ys, (t.shape[0],)))
