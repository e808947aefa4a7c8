"""Issue 17 (performance where users feel it): notebook-style eager work.

- 1,000 eager scalar reads ``x[i, j]`` at distinct indices of a fresh array
  (a new shape each repetition, so nothing is cached from before): target 1.0x
  JAX's time;
- a jitted call given a fresh Python float each time: target 1.0x JAX's;
- an eager chain of 20 small elementwise ops on f64[8]: target 1.0x JAX's.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from benchmarks._harness import (Result, Side, attempt, check_close, funcgrad_side, jax_side,
                                 one_shot, per_call)

READS_TARGET = 1.0
SCALAR_ARG_TARGET = 1.0
CHAIN_TARGET = 1.0


def _reads(quick: bool, ours: Side, jx: Side) -> Result:
    n_reads = 100 if quick else 1000

    def reads(side: Side) -> Any:
        def go(r: int) -> float:
            rows = 20 + r               # a shape neither side has seen: first-time cost
            x = side.asarray(np.arange(rows * 20.0).reshape(rows, 20))
            total = 0.0
            for k in range(n_reads):
                total += float(x[(7 * k) % rows, (3 * k) % 20])
            return total
        return go

    assert reads(ours)(-1) == reads(jx)(-1)     # a shape the timed repetitions do not use
    t_ours, t_jax = one_shot(reads(ours), reads(jx), repeats=1 if quick else 5)
    return Result(f"{n_reads} eager scalar reads x[i, j], first time", "JAX", t_ours, t_jax,
                  READS_TARGET, note="includes float() of each read; a new array shape per "
                                     "repetition")


def _scalar_arg(quick: bool, ours: Side, jx: Side) -> Result:
    def scale(x: Any, s: Any) -> Any:
        return x * s

    f_o, f_j = ours.jit(scale), jx.jit(scale)
    xo, xj = ours.asarray(np.ones(8)), jx.asarray(np.ones(8))
    check_close("jit with a float", f_o(xo, 0.5), f_j(xj, 0.5))
    fresh = iter(np.linspace(0.0, 1.0, 10_000_000).tolist())
    number, repeats = (200, 3) if quick else (2000, 21)
    t_ours, t_jax = per_call(lambda: f_o(xo, next(fresh)).block_until_ready(),
                             lambda: f_j(xj, next(fresh)).block_until_ready(),
                             number=number, repeats=repeats)
    return Result("jit call with a fresh Python float, f64[8]", "JAX", t_ours, t_jax,
                  SCALAR_ARG_TARGET)


def _chain(quick: bool, ours: Side, jx: Side) -> Result:
    def chain(side: Side) -> Any:
        snp = side.np

        def go(x: Any) -> Any:
            for _ in range(5):
                x = snp.tanh(snp.sin(x) * 0.5 + x) - 0.1
            return x
        return go

    x_np = np.linspace(-1.0, 1.0, 8)
    xo, xj = ours.asarray(x_np), jx.asarray(x_np)
    c_o, c_j = chain(ours), chain(jx)
    check_close("eager chain", c_o(xo), c_j(xj))
    number, repeats = (20, 3) if quick else (200, 21)
    t_ours, t_jax = per_call(lambda: c_o(xo).block_until_ready(),
                             lambda: c_j(xj).block_until_ready(), number=number, repeats=repeats)
    return Result("eager chain of 20 small ops, f64[8]", "JAX", t_ours, t_jax, CHAIN_TARGET)


def compare(quick: bool, ours: Side, jx: Side) -> list[Result]:
    return [*attempt("eager scalar reads x[i, j], first time", "JAX", READS_TARGET,
                     lambda: _reads(quick, ours, jx)),
            *attempt("jit call with a fresh Python float", "JAX", SCALAR_ARG_TARGET,
                     lambda: _scalar_arg(quick, ours, jx)),
            *attempt("eager chain of 20 small ops", "JAX", CHAIN_TARGET,
                     lambda: _chain(quick, ours, jx))]


def run(quick: bool) -> list[Result]:
    return compare(quick, funcgrad_side(), jax_side())
