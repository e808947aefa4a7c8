"""Issue 16 (beyond JAX): reverse mode through ``lax.while_loop(..., max_steps=N)``.

The workload: an RK4 integrator of dy/dt = tanh(W y) - 0.1 y + b over 10,000
steps (a 32-element state), differentiated with respect to W, b and y0. JAX
cannot differentiate a while loop in reverse mode, so its side is the same
integrator as a ``lax.scan``, which stores every step's residuals; funcgrad's
side is a ``while_loop`` with ``max_steps``, which keeps about sqrt(N)
snapshots and recomputes the steps between them on the way back.

- steady-state ``jit(grad)``: target 1.5x JAX's scan (the recomputation runs
  the body once more per step);
- temporary memory of the compiled ``jit(grad)`` (XLA's memory analysis):
  target 0.1x JAX's.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from benchmarks._harness import (Result, Side, attempt, check_close, funcgrad_side, jax_side,
                                 per_call, rng_arrays)

TIME_TARGET = 1.5
MEMORY_TARGET = 0.1
DT = 0.001
STATE = 32


def _rk4_step(snp: Any, y: Any, w: Any, b: Any, stages: int = 4) -> Any:
    def f(y: Any) -> Any:
        return snp.tanh(w @ y) - 0.1 * y + b
    k1 = f(y)
    if stages == 1:         # explicit Euler: quick mode, whose cost is compiling
        return y + DT * k1
    k2 = f(y + (0.5 * DT) * k1)
    k3 = f(y + (0.5 * DT) * k2)
    k4 = f(y + DT * k3)
    return y + (DT / 6.0) * (k1 + 2.0 * k2 + 2.0 * k3 + k4)


def loss_while(n_steps: int, stages: int = 4) -> Callable[..., Any]:
    """funcgrad: the integrator as a bounded while loop."""
    import funcgrad.numpy as fnp
    from funcgrad import lax

    def loss(w: Any, b: Any, y0: Any) -> Any:
        def body(c: Any) -> Any:
            return c[0] + 1, _rk4_step(fnp, c[1], w, b, stages)
        _, y = lax.while_loop(lambda c: c[0] < n_steps, body, (0, y0), max_steps=n_steps)
        return fnp.sum(y * y)
    return loss


def loss_scan(n_steps: int, stages: int = 4) -> Callable[..., Any]:
    """JAX: the same integrator as a scan of n_steps steps."""
    import jax
    import jax.numpy as jnp

    def loss(w: Any, b: Any, y0: Any) -> Any:
        y, _ = jax.lax.scan(lambda y, _: (_rk4_step(jnp, y, w, b, stages), None), y0, None,
                            length=n_steps)
        return jnp.sum(y * y)
    return loss


def _temp_bytes(compiled: Any) -> int:
    return int(compiled.memory_analysis().temp_size_in_bytes)


def _measure(quick: bool, ours: Side, jx: Side) -> list[Result]:
    n_steps, stages, size = (20, 1, 4) if quick else (10_000, 4, STATE)
    w, b, y0 = rng_arrays(16, (size, size), (size,), (size,))
    w = w / np.sqrt(size)
    args_o = [ours.asarray(a) for a in (w, b, y0)]
    args_j = [jx.asarray(a) for a in (w, b, y0)]
    assert ours.grad is not None and jx.grad is not None
    # compiled once each: the same executables are timed and measured
    g_o = ours.jit(ours.grad(loss_while(n_steps, stages), argnums=(0, 1, 2))).lower(
        *args_o).compile()
    g_j = jx.jit(jx.grad(loss_scan(n_steps, stages), argnums=(0, 1, 2))).lower(
        *args_j).compile()
    name = (f"jit(grad({'rk4' if stages == 4 else 'euler'} while_loop)), {n_steps} steps, "
            f"f64[{size}]")
    for a, c in zip(g_o(*args_o), g_j(*args_j), strict=True):
        check_close(name, np.asarray(a), np.asarray(c), rtol=1e-9)
    t_o, t_j = per_call(lambda: ours.block(g_o(*args_o)), lambda: jx.block(g_j(*args_j)),
                        number=1, repeats=1 if quick else 15, warmup=1 if quick else 3)
    rows = [Result(f"{name} vs JAX scan", "JAX", t_o, t_j, TIME_TARGET)]
    m_o, m_j = _temp_bytes(g_o), _temp_bytes(g_j)
    rows.append(Result(f"temp memory of {name} vs JAX scan", "JAX", m_o, m_j, MEMORY_TARGET,
                       note="XLA's temporary buffers of the compiled programs", unit="B"))
    return rows


def run(quick: bool) -> list[Result]:
    ours, jx = funcgrad_side(), jax_side()
    return attempt("jit(grad(rk4 while_loop))", "JAX", TIME_TARGET,
                   lambda: _measure(quick, ours, jx))
