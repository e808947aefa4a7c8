"""Issue 14 (scientific stack): ``scipy.stats.multivariate_normal.logpdf``, jitted, float64,
side by side with ``jax.scipy.stats.multivariate_normal.logpdf``:

- one mean and covariance, a batch of 1000 points in 10 dimensions (one Cholesky
  factorization, one triangular solve with the points as right-hand sides);
- ``vmap`` over 1000 (mean, covariance) pairs in 10 dimensions, one point each
  (batched Cholesky and triangular solves).

Target: at most 1.05x JAX's time for each. Quick mode: 50 points / pairs in 4
dimensions. ``python -m benchmarks.stats`` runs it alone.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from benchmarks._harness import (Result, Side, attempt, check_close, funcgrad_side, jax_side,
                                 per_call, table)

TARGET = 1.05


def _logpdf(side: Side) -> Callable[..., Any]:
    if side.name == "JAX":
        import jax.scipy.stats
        return jax.scipy.stats.multivariate_normal.logpdf
    import funcgrad.scipy.stats
    return funcgrad.scipy.stats.multivariate_normal.logpdf


def _data(quick: bool, pairs: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    m, n = (50, 4) if quick else (1000, 10)
    rng = np.random.default_rng(0)
    if not pairs:
        a = rng.standard_normal((n, n))
        return rng.standard_normal((m, n)), rng.standard_normal(n), a @ a.T + n * np.eye(n)
    a = rng.standard_normal((m, n, n))
    covs = a @ np.swapaxes(a, -1, -2) + n * np.eye(n)
    return rng.standard_normal((m, n)), rng.standard_normal((m, n)), covs


def _measure(name: str, quick: bool, pairs: bool, ours: Side, jx: Side) -> Result:
    fns = {}
    for s in (ours, jx):
        f = _logpdf(s)
        assert s.vmap is not None
        fns[s.name] = s.jit(s.vmap(f) if pairs else f)
    data = _data(quick, pairs)
    a_o = tuple(ours.asarray(v) for v in data)
    a_j = tuple(jx.asarray(v) for v in data)
    f_o, f_j = fns[ours.name], fns[jx.name]
    check_close(name, f_o(*a_o), f_j(*a_j), rtol=1e-10, atol=1e-10)
    t_ours, t_jax = per_call(lambda: ours.block(f_o(*a_o)), lambda: jx.block(f_j(*a_j)),
                             number=3 if quick else 50, repeats=2 if quick else 25)
    return Result(name, "JAX", t_ours, t_jax, TARGET)


def run(quick: bool) -> list[Result]:
    ours, jx = funcgrad_side(), jax_side()
    m, n = (50, 4) if quick else (1000, 10)
    results: list[Result] = []
    for name, pairs in [(f"jit mvn.logpdf, {m} points x {n}-d, one cov, f64", False),
                        (f"jit vmap mvn.logpdf, {m} (mean, cov) pairs, {n}-d, f64", True)]:
        results.extend(attempt(name, "JAX", TARGET,
                               lambda nm=name, p=pairs: _measure(nm, quick, p, ours, jx)))
    return results


if __name__ == "__main__":
    import sys
    print(table(run("--quick" in sys.argv)))
