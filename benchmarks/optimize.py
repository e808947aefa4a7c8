"""Issue 14 (scientific stack): ``scipy.optimize.minimize(method="BFGS")`` on the
100-dimensional Rosenbrock function, jitted, float64, side by side with
``jax.scipy.optimize.minimize``: same x0 (1 + 0.03 * N(0, 1), a start from
which JAX's BFGS converges), same gtol (1e-5); both must reach the optimum
x = 1 before they are timed. Target: at most 1.05x JAX's time per solve.

Quick mode: 5 dimensions from x0 = 0. ``python -m benchmarks.optimize`` runs it
alone.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from benchmarks._harness import (Result, Side, attempt, check_close, funcgrad_side, jax_side,
                                 per_call, table)

TARGET = 1.05


def _minimize(side: Side) -> Any:
    if side.name == "JAX":
        import jax.scipy.optimize
        return jax.scipy.optimize.minimize
    import funcgrad.scipy.optimize
    return funcgrad.scipy.optimize.minimize


def _x0(quick: bool) -> np.ndarray:
    if quick:
        return np.zeros(5)
    return 1.0 + 0.03 * np.random.default_rng(0).standard_normal(100)


def _measure(name: str, quick: bool, ours: Side, jx: Side) -> Result:
    fns = {}
    for s in (ours, jx):
        xp, minimize = s.np, _minimize(s)

        def rosen(x: Any, xp: Any = xp) -> Any:
            return xp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)

        def solve(x0: Any, minimize: Any = minimize, rosen: Any = rosen) -> Any:
            res = minimize(rosen, x0, method="BFGS", options={"gtol": 1e-5})
            return res.x, res.success
        fns[s.name] = s.jit(solve)
    x0 = _x0(quick)
    a_o, a_j = ours.asarray(x0), jx.asarray(x0)
    f_o, f_j = fns[ours.name], fns[jx.name]
    (x_o, ok_o), (x_j, ok_j) = f_o(a_o), f_j(a_j)
    if not (bool(ok_o) and bool(ok_j)):
        raise AssertionError(f"{name}: BFGS did not converge (funcgrad {bool(ok_o)}, JAX "
                             f"{bool(ok_j)})")
    check_close(name, x_o, np.ones_like(x0), rtol=0, atol=1e-4)
    check_close(name, x_j, np.ones_like(x0), rtol=0, atol=1e-4)
    t_ours, t_jax = per_call(lambda: ours.block(f_o(a_o)), lambda: jx.block(f_j(a_j)),
                             number=2 if quick else 10, repeats=2 if quick else 10)
    return Result(name, "JAX", t_ours, t_jax, TARGET)


def run(quick: bool) -> list[Result]:
    ours, jx = funcgrad_side(), jax_side()
    n = 5 if quick else 100
    name = f"jit minimize BFGS, Rosenbrock {n}-d, f64"
    return attempt(name, "JAX", TARGET, lambda: _measure(name, quick, ours, jx))


if __name__ == "__main__":
    import sys
    print(table(run("--quick" in sys.argv)))
