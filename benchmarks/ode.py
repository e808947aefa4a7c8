"""Issue 14 (scientific stack): reverse mode through ``odeint`` by the adjoint ODE.

The workload: ``jit(grad)`` of a loss over a Lotka–Volterra solution (outputs at
20 times on [0, 10]) with respect to y0 and the four rate constants, against
JAX's ``jax.experimental.ode.odeint``, which takes the same adjoint route.
Target: at most JAX's time (ratio <= 1.0). Quick mode times the solve alone.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from benchmarks._harness import (Result, attempt, check_close, funcgrad_side, jax_side,
                                 per_call)

TIME_TARGET = 1.0


def _loss(np_: Any, odeint: Any, ts: np.ndarray) -> Any:
    def f(y: Any, t: Any, p: Any) -> Any:
        return np_.stack([p[0] * y[0] - p[1] * y[0] * y[1], -p[2] * y[1] + p[3] * y[0] * y[1]])

    def loss(y0: Any, p: Any) -> Any:
        return np_.sum(odeint(f, y0, np_.asarray(ts), p) ** 2)
    return loss


def _measure(quick: bool) -> list[Result]:
    import funcgrad as fg
    import jax
    from jax.experimental.ode import odeint as jax_odeint
    ours, jx = funcgrad_side(), jax_side()
    ts = np.linspace(0.0, 1.0 if quick else 10.0, 3 if quick else 20)
    y0, p = np.array([1.0, 0.5]), np.array([1.1, 0.4, 1.0, 0.4])
    # quick mode (a smoke test: compiling dominates) times the solve alone
    grad_o = (lambda f, **_: f) if quick else fg.grad
    grad_j = (lambda f, **_: f) if quick else jax.grad
    g_o = fg.jit(grad_o(_loss(ours.np, fg.odeint, ts), argnums=(0, 1)))
    g_j = jax.jit(grad_j(_loss(jx.np, jax_odeint, ts), argnums=(0, 1)))
    name = (f"jit({'' if quick else 'grad('}odeint{'' if quick else ')'}), Lotka-Volterra, "
            f"{len(ts)} outputs")
    for a, b in zip(fg.tree.leaves(g_o(y0, p)), jax.tree.leaves(g_j(y0, p)), strict=True):
        check_close(name, np.asarray(a), np.asarray(b), rtol=1e-7)
    t_o, t_j = per_call(lambda: ours.block(g_o(y0, p)), lambda: jx.block(g_j(y0, p)),
                        number=1 if quick else 5, repeats=1 if quick else 15,
                        warmup=1 if quick else 3)
    return [Result(f"{name} vs JAX", "JAX", t_o, t_j, TIME_TARGET,
                   note="" if quick else "both differentiate by the adjoint ODE")]


def run(quick: bool) -> list[Result]:
    return attempt("jit(grad(odeint))", "JAX", TIME_TARGET, lambda: _measure(quick))
