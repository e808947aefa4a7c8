"""Issue 5 (control flow): an RK4 integrator written with ``lax.scan`` over 1000 steps.

- steady-state ``jit`` of the solve, and of its ``grad`` w.r.t. the initial
  state: target 1.05x JAX's (both run an XLA while loop);
- trace + lower (no XLA compile) of both: target 0.5x JAX's.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from benchmarks._harness import (Result, Side, attempt, check_close, funcgrad_side, jax_side,
                                 not_available, one_shot, per_call, rng_arrays, skipped)

STEADY_TARGET = 1.05
LOWER_TARGET = 0.5
DT = 0.01
STATE = 8


def rk4(side: Side) -> tuple[Callable[..., Any], Callable[..., Any]]:
    """Fresh `solve(y0, w, ts) -> (y_final, trajectory)` and `loss(y0, w, ts)` for
    dy/dt = tanh(w @ y) - 0.1 y + 0.1 sin(t)."""
    snp = side.np

    def dynamics(y: Any, t: Any, w: Any) -> Any:
        return snp.tanh(w @ y) - 0.1 * y + 0.1 * snp.sin(t)

    def solve(y0: Any, w: Any, ts: Any) -> Any:
        def step(y: Any, t: Any) -> Any:
            k1 = dynamics(y, t, w)
            k2 = dynamics(y + (0.5 * DT) * k1, t + 0.5 * DT, w)
            k3 = dynamics(y + (0.5 * DT) * k2, t + 0.5 * DT, w)
            k4 = dynamics(y + DT * k3, t + DT, w)
            y = y + (DT / 6.0) * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
            return y, y
        return side.scan(step, y0, ts)

    def loss(y0: Any, w: Any, ts: Any) -> Any:
        _, ys = solve(y0, w, ts)
        return snp.sum(ys * ys) * DT
    return solve, loss


def _inputs(side: Side, n_steps: int) -> tuple[Any, Any, Any]:
    y0, w = rng_arrays(4, (STATE,), (STATE, STATE))
    return side.asarray(y0), side.asarray(w / np.sqrt(STATE)), \
        side.asarray(np.arange(n_steps) * DT)


def _steady(quick: bool, ours: Side, jx: Side, with_grad: bool) -> list[Result]:
    n_steps = 50 if quick else 1000
    what = "jit(grad(loss∘rk4))" if with_grad else "jit(rk4 solve)"
    name = f"{what}, scan {n_steps} steps, f64[{STATE}]"
    fns, args = {}, {}
    for side in (ours, jx):
        solve, loss = rk4(side)
        fns[side.name] = side.jit(side.grad(loss) if with_grad else solve)
        args[side.name] = _inputs(side, n_steps)
    out_o, out_j = fns[ours.name](*args[ours.name]), fns[jx.name](*args[jx.name])
    for a, b in zip(ours.tree_map(np.asarray, out_o) if not with_grad else [out_o],
                    jx.tree_map(np.asarray, out_j) if not with_grad else [out_j], strict=True):
        check_close(name, a, b, rtol=1e-9)
    f_o, f_j, a_o, a_j = fns[ours.name], fns[jx.name], args[ours.name], args[jx.name]
    t_ours, t_jax = per_call(lambda: ours.block(f_o(*a_o)), lambda: jx.block(f_j(*a_j)),
                             number=5 if quick else 3, repeats=2 if quick else 60)
    rows = [Result(name, "JAX", t_ours, t_jax, STEADY_TARGET)]

    def lower(side: Side) -> Callable[[int], Any]:
        def go(r: int) -> str:
            solve, loss = rk4(side)          # fresh functions: no trace cache may answer
            return side.jit(side.grad(loss) if with_grad else solve).lower(
                *args[side.name]).as_text()
        return go

    t_ours, t_jax = one_shot(lower(ours), lower(jx), repeats=2 if quick else 7)
    rows.append(Result(f"trace+lower {what}", "JAX", t_ours, t_jax, LOWER_TARGET))
    return rows


def compare(quick: bool, ours: Side, jx: Side) -> list[Result]:
    results: list[Result] = []
    for with_grad, needs in ((False, ("scan",)), (True, ("scan", "grad"))):
        name = f"{'jit(grad(loss∘rk4))' if with_grad else 'jit(rk4 solve)'}, scan 1000 steps"
        why = not_available(ours, needs)
        if why:
            results.append(skipped(name, "JAX", why, STEADY_TARGET))
            continue
        results.extend(attempt(name, "JAX", STEADY_TARGET,
                               lambda g=with_grad: _steady(quick, ours, jx, g)))
    return results


def run(quick: bool) -> list[Result]:
    return compare(quick, funcgrad_side(), jax_side())
