"""Windowed reductions: a 2x2, stride-2 max-pool of an NHWC batch (8, 64, 64, 32),
float32, jitted, and the gradient of a loss of it, steady state: target 1.1x
JAX's time for each. Both sides lower to one ``reduce_window`` forward and one
``select_and_scatter`` backward; the ratio measures everything around them.

``python -m benchmarks.pooling [--quick]`` prints the table.
"""
from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import numpy as np

from benchmarks._harness import (Result, Side, attempt, check_close, funcgrad_side, jax_side,
                                 per_call, table)

POOL_TARGET = 1.1


def _lax(side: Side) -> Any:
    if side.name == "JAX":
        import jax.lax
        return jax.lax
    import funcgrad.lax
    return funcgrad.lax


def max_pool(side: Side) -> Callable[[Any], Any]:
    lax = _lax(side)

    def pool(x: Any) -> Any:
        return lax.reduce_window(x, -np.inf, lax.max, (1, 2, 2, 1), (1, 2, 2, 1), "VALID")
    return pool


def pool_loss(side: Side) -> Callable[[Any], Any]:
    pool = max_pool(side)

    def loss(x: Any) -> Any:
        y = pool(x)
        return side.np.sum(y * y)
    return loss


def _pool(quick: bool, ours: Side, jx: Side, grad: bool) -> Result:
    shape = (2, 16, 16, 8) if quick else (8, 64, 64, 32)
    what = "jit(grad(sum(max_pool(x)**2)))" if grad else "jit(max_pool)"
    name = f"{what}, 2x2 stride 2, {'x'.join(map(str, shape))} NHWC, f32"
    x_np = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    fns, inputs, outs = {}, {}, {}
    for side in (ours, jx):
        assert side.grad is not None
        fn = side.grad(pool_loss(side)) if grad else max_pool(side)
        fns[side.name] = side.jit(fn)
        inputs[side.name] = side.asarray(x_np)
        outs[side.name] = fns[side.name](inputs[side.name])
    check_close(name, outs[ours.name], outs[jx.name], rtol=1e-6, atol=1e-6)
    f_o, f_j = fns[ours.name], fns[jx.name]
    x_o, x_j = inputs[ours.name], inputs[jx.name]
    t_ours, t_jax = per_call(lambda: ours.block(f_o(x_o)), lambda: jx.block(f_j(x_j)),
                             number=3 if quick else 10, repeats=2 if quick else 40)
    return Result(name, "JAX", t_ours, t_jax, POOL_TARGET)


def run(quick: bool) -> list[Result]:
    ours, jx = funcgrad_side(), jax_side()
    return (attempt("max-pool", "JAX", POOL_TARGET, lambda: _pool(quick, ours, jx, False))
            + attempt("max-pool grad", "JAX", POOL_TARGET, lambda: _pool(quick, ours, jx, True)))


if __name__ == "__main__":
    rows = run("--quick" in sys.argv[1:])
    print(table(rows))
    sys.exit(1 if any(r.status == "ERROR" for r in rows) else 0)
