"""Issue 13 (linear algebra): a Gaussian-process fit, the workload factorizations are for.

The negative log marginal likelihood of a GP regression on n = 200 points in 3-D
(RBF kernel with lengthscale, signal variance and noise, all as log-parameters):
``scipy.linalg.cho_factor``/``cho_solve`` of the kernel matrix and the
log-determinant from the factor's diagonal, under
``jit(value_and_grad)`` with respect to the three parameters:

- first call (trace + autodiff + lower + XLA compile + one run): target 1.0x JAX's;
- steady state: target 1.05x JAX's (same LAPACK kernels underneath).

Then the iterative and matrix-function workloads, steady state under ``jit``:

- ``scipy.sparse.linalg.cg`` on a 1000 x 1000 SPD system (tol 1e-10), and the
  gradient of a loss of its solution with respect to the matrix and the
  right-hand side (implicit differentiation: one more cg): target 1.05x JAX's;
- ``scipy.linalg.expm`` of a 64 x 64 matrix and its VJP: target 1.05x JAX's.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from benchmarks._harness import (Result, Side, attempt, check_close, funcgrad_side, jax_side,
                                 not_available, one_shot, per_call, skipped)

FIRST_CALL_TARGET = 1.0
STEADY_TARGET = 1.05


def _cho(side: Side) -> tuple[Callable[..., Any], Callable[..., Any]]:
    """Each library's scipy.linalg (cho_factor, cho_solve)."""
    if side.name == "JAX":
        import jax.scipy.linalg as jsla
        return jsla.cho_factor, jsla.cho_solve
    import funcgrad.scipy.linalg as sla
    return sla.cho_factor, sla.cho_solve


def gp_nll(side: Side, c: float = 1.0) -> Callable[[Any, Any, Any], Any]:
    """The GP's negative log marginal likelihood of `params` = (log lengthscale, log
    variance, log noise); `c` scales the jitter so each cold program is distinct."""
    snp = side.np
    cho_factor, cho_solve = _cho(side)

    def nll(params: Any, x: Any, y: Any) -> Any:
        n = x.shape[0]
        ls, var, noise = snp.exp(params[0]), snp.exp(params[1]), snp.exp(params[2])
        sq = snp.sum(x * x, axis=1)
        d2 = snp.maximum(sq[:, None] + sq[None, :] - 2.0 * (x @ x.T), 0.0)
        k = var * snp.exp(-0.5 * d2 / (ls * ls)) + (noise + 1e-6 * c) * snp.eye(n)
        chol, lower = cho_factor(k, lower=True)
        alpha = cho_solve((chol, lower), y)                               # K^-1 y
        logdet = snp.sum(snp.log(snp.diagonal(chol)))
        return 0.5 * snp.sum(y * alpha) + logdet + 0.5 * n * np.log(2 * np.pi)
    return nll


def gp_data(n: int, dim: int = 3, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2.0, 2.0, (n, dim))
    y = np.sin(x.sum(axis=1)) + 0.1 * rng.standard_normal(n)
    params = np.log(np.array([1.2, 0.8, 0.05]))
    return params, x, y


def _inputs(side: Side, n: int) -> tuple[Any, Any, Any]:
    return tuple(side.asarray(a) for a in gp_data(n))      # type: ignore[return-value]


def _check(name: str, ours: Any, theirs: Any) -> None:
    (v_o, g_o), (v_j, g_j) = ours, theirs
    check_close(name + " (value)", v_o, v_j, rtol=1e-8, atol=1e-8)
    check_close(name + " (gradient)", g_o, g_j, rtol=1e-6, atol=1e-8)


def _first_call(quick: bool, ours: Side, jx: Side) -> Result:
    n = 40 if quick else 200
    name = f"first call jit(value_and_grad(gp_nll)), n={n}"
    args = {s.name: _inputs(s, n) for s in (ours, jx)}

    def cold(side: Side) -> Callable[[int], Any]:
        def call(r: int) -> Any:
            f = side.jit(side.value_and_grad(gp_nll(side, 1.0 + 1e-3 * r)))
            return side.block(f(*args[side.name]))
        return call

    _check(name, cold(ours)(0), cold(jx)(0))
    t_ours, t_jax = one_shot(cold(ours), cold(jx), repeats=1 if quick else 7)
    return Result(name, "JAX", t_ours, t_jax, FIRST_CALL_TARGET,
                  note="trace + autodiff + lower + XLA compile + one run; a fresh program "
                       "each repetition")


def _steady(quick: bool, ours: Side, jx: Side) -> Result:
    n = 40 if quick else 200
    name = f"jit(value_and_grad(gp_nll)), n={n}, f64"
    fns = {s.name: s.jit(s.value_and_grad(gp_nll(s))) for s in (ours, jx)}
    args = {s.name: _inputs(s, n) for s in (ours, jx)}
    f_o, f_j = fns[ours.name], fns[jx.name]
    a_o, a_j = args[ours.name], args[jx.name]
    _check(name, f_o(*a_o), f_j(*a_j))
    t_ours, t_jax = per_call(lambda: ours.block(f_o(*a_o)), lambda: jx.block(f_j(*a_j)),
                             number=5 if quick else 20, repeats=2 if quick else 30)
    return Result(name, "JAX", t_ours, t_jax, STEADY_TARGET)


def _scipy(side: Side) -> tuple[Any, Any]:
    """Each library's (scipy.linalg, scipy.sparse.linalg)."""
    if side.name == "JAX":
        import jax.scipy.linalg as jsla
        import jax.scipy.sparse.linalg as jspla
        return jsla, jspla
    import funcgrad.scipy.linalg as sla
    import funcgrad.scipy.sparse.linalg as spla
    return sla, spla


def _spd_system(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """An SPD matrix with condition number about 100, and a right-hand side."""
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    a = (q * np.geomspace(1.0, 100.0, n)) @ q.T
    return (a + a.T) / 2, rng.standard_normal(n)


def _steady_pair(name: str, ours: Side, jx: Side, make: Callable[[Side], Callable[..., Any]],
                 inputs: tuple[np.ndarray, ...], quick: bool, rtol: float) -> Result:
    fns = {s.name: s.jit(make(s)) for s in (ours, jx)}
    args = {s.name: tuple(s.asarray(a) for a in inputs) for s in (ours, jx)}
    f_o, f_j = fns[ours.name], fns[jx.name]
    a_o, a_j = args[ours.name], args[jx.name]
    got, want = f_o(*a_o), f_j(*a_j)
    for g, w in zip(*((x if isinstance(x, tuple) else (x,)) for x in (got, want)), strict=True):
        check_close(name, g, w, rtol=rtol, atol=rtol)
    t_ours, t_jax = per_call(lambda: ours.block(f_o(*a_o)), lambda: jx.block(f_j(*a_j)),
                             number=3 if quick else 10, repeats=2 if quick else 20)
    return Result(name, "JAX", t_ours, t_jax, STEADY_TARGET)


def _cg_solve(side: Side) -> Callable[[Any, Any], Any]:
    _, spla = _scipy(side)
    return lambda a, b: spla.cg(a, b, tol=1e-10)[0]


def _cg(quick: bool, ours: Side, jx: Side) -> Result:
    n = 100 if quick else 1000
    return _steady_pair(f"cg, {n}x{n} SPD, tol 1e-10", ours, jx, _cg_solve, _spd_system(n),
                        quick, 1e-7)


def _cg_grad(quick: bool, ours: Side, jx: Side) -> Result:
    n = 100 if quick else 1000

    def make(side: Side) -> Callable[..., Any]:
        solve = _cg_solve(side)
        return side.grad(lambda a, b: side.np.sum(solve(a, b) ** 2), argnums=(0, 1))

    return _steady_pair(f"grad of cg (wrt A and b), {n}x{n} SPD", ours, jx, make,
                        _spd_system(n), quick, 1e-6)


def _expm_data(n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    return rng.standard_normal((n, n)) * 3.0 / np.sqrt(n), rng.standard_normal((n, n))


def _expm(quick: bool, ours: Side, jx: Side) -> Result:
    n = 16 if quick else 64
    return _steady_pair(f"expm, {n}x{n}", ours, jx, lambda s: _scipy(s)[0].expm,
                        _expm_data(n)[:1], quick, 1e-9)


def _expm_vjp(quick: bool, ours: Side, jx: Side) -> Result:
    n = 16 if quick else 64

    def make(side: Side) -> Callable[..., Any]:
        expm = _scipy(side)[0].expm
        return side.grad(lambda a, w: side.np.sum(expm(a) * w))

    return _steady_pair(f"VJP of expm, {n}x{n}", ours, jx, make, _expm_data(n), quick, 1e-8)


WORKLOADS = {
    "first call jit(value_and_grad(gp_nll)), n=200": (_first_call, FIRST_CALL_TARGET),
    "jit(value_and_grad(gp_nll)), n=200, f64": (_steady, STEADY_TARGET),
    "cg, 1000x1000 SPD, tol 1e-10": (_cg, STEADY_TARGET),
    "grad of cg (wrt A and b), 1000x1000 SPD": (_cg_grad, STEADY_TARGET),
    "expm, 64x64": (_expm, STEADY_TARGET),
    "VJP of expm, 64x64": (_expm_vjp, STEADY_TARGET),
}


def compare(quick: bool, ours: Side, jx: Side) -> list[Result]:
    results: list[Result] = []
    for name, (bench, target) in WORKLOADS.items():
        why = not_available(ours, ("value_and_grad", "grad"))
        if why:
            results.append(skipped(name, "JAX", why, target))
            continue
        results.extend(attempt(name, "JAX", target, lambda b=bench: b(quick, ours, jx)))
    return results


def run(quick: bool) -> list[Result]:
    return compare(quick, funcgrad_side(), jax_side())
