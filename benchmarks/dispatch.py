"""Issue 2 (foundation): the fixed costs a user pays on every call.

- a cached `jit` call of ``x * y + z`` on shape (8,): flatten, key, look up,
  execute, wrap; target 1.5x JAX's per-call time;
- one eager elementwise op (``sin``) on shape (8,): target 1.5x JAX's
  (NumPy's time is shown for scale);
- trace + lower to StableHLO text (no XLA compile) of a 1000-operation
  program via ``jit(f).lower(...).as_text()``: target 0.5x JAX's.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from benchmarks._harness import (Result, Side, attempt, check_close, funcgrad_side, jax_side,
                                 one_shot, per_call, rng_arrays)

DISPATCH_TARGET = 1.5
EAGER_TARGET = 1.5
LOWER_TARGET = 0.5


def _chain(side: Side, n_blocks: int) -> Callable[[Any, Any], Any]:
    """A fresh function object of 4 * n_blocks elementwise ops (sin, mul, add, tanh):
    fresh, so neither side can answer from a cache keyed on the function."""
    snp = side.np

    def chain(x: Any, y: Any) -> Any:
        h = x
        for _ in range(n_blocks):
            h = snp.tanh(snp.sin(h) * y + x)
        return h
    return chain


def _count_eqns(side: Side, f: Callable[..., Any], *args: Any) -> int:
    ir = side.make_ir(f)(*args)
    return len(ir.jaxpr.eqns if hasattr(ir, "jaxpr") else ir.eqns)


def _dispatch(quick: bool, ours: Side, jx: Side) -> Result:
    def fma(x: Any, y: Any, z: Any) -> Any:
        return x * y + z

    arrays = rng_arrays(0, (8,), (8,), (8,))
    f_o, f_j = ours.jit(fma), jx.jit(fma)
    (xo, yo, zo), (xj, yj, zj) = ([s.asarray(a) for a in arrays] for s in (ours, jx))
    check_close("jit dispatch", f_o(xo, yo, zo), f_j(xj, yj, zj))
    number, repeats = _loops(quick)
    t_ours, t_jax = per_call(lambda: f_o(xo, yo, zo).block_until_ready(),
                             lambda: f_j(xj, yj, zj).block_until_ready(),
                             number=number, repeats=repeats)
    return Result(DISPATCH_NAME, "JAX", t_ours, t_jax, DISPATCH_TARGET)


def _eager(quick: bool, ours: Side, jx: Side) -> list[Result]:
    (x_np,) = rng_arrays(0, (8,))
    xo, xj = ours.asarray(x_np), jx.asarray(x_np)
    sin_o, sin_j = ours.np.sin, jx.np.sin
    check_close("eager sin", sin_o(xo), sin_j(xj))
    number, repeats = _loops(quick)
    t_ours, t_jax = per_call(lambda: sin_o(xo).block_until_ready(),
                             lambda: sin_j(xj).block_until_ready(),
                             number=number, repeats=repeats)
    t_ours2, t_np = per_call(lambda: sin_o(xo).block_until_ready(), lambda: np.sin(x_np),
                             number=number, repeats=repeats)
    return [Result(EAGER_NAME, "JAX", t_ours, t_jax, EAGER_TARGET),
            Result(EAGER_NAME, "NumPy", t_ours2, t_np, None,
                   note="for scale: NumPy runs on the host, with no device dispatch")]


def _lower(quick: bool, ours: Side, jx: Side) -> Result:
    n_blocks = 25 if quick else 250
    x_np, y_np = rng_arrays(1, (8,), (8,))
    args = {s.name: (s.asarray(x_np), s.asarray(y_np)) for s in (ours, jx)}
    n_ops = {s.name: _count_eqns(s, _chain(s, n_blocks), *args[s.name]) for s in (ours, jx)}
    check_close("op chain", ours.jit(_chain(ours, n_blocks))(*args[ours.name]),
                jx.jit(_chain(jx, n_blocks))(*args[jx.name]))

    def lower(side: Side) -> Callable[[int], Any]:
        return lambda r: side.jit(_chain(side, n_blocks)).lower(*args[side.name]).as_text()

    t_ours, t_jax = one_shot(lower(ours), lower(jx), repeats=3 if quick else 21)
    return Result(f"trace+lower, {n_ops[ours.name]}-op program", "JAX", t_ours, t_jax,
                  LOWER_TARGET, note=f"equations staged: funcgrad {n_ops[ours.name]}, "
                                     f"JAX {n_ops[jx.name]}")


def _loops(quick: bool) -> tuple[int, int]:
    return (200, 3) if quick else (500, 31)


DISPATCH_NAME = "jit dispatch x*y+z, f64[8]"
EAGER_NAME = "eager sin, f64[8]"


def compare(quick: bool, ours: Side, jx: Side) -> list[Result]:
    return [*attempt(DISPATCH_NAME, "JAX", DISPATCH_TARGET, lambda: _dispatch(quick, ours, jx)),
            *attempt(EAGER_NAME, "JAX", EAGER_TARGET, lambda: _eager(quick, ours, jx)),
            *attempt("trace+lower, 1000-op program", "JAX", LOWER_TARGET,
                     lambda: _lower(quick, ours, jx))]


def run(quick: bool) -> list[Result]:
    return compare(quick, funcgrad_side(), jax_side())
