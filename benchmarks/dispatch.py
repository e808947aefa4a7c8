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

from benchmarks._harness import (Result, Side, check_close, funcgrad_side, jax_side, one_shot,
                                 per_call, rng_arrays)

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


def run(quick: bool) -> list[Result]:
    fg_side, jx = funcgrad_side(), jax_side()
    number, repeats = (200, 3) if quick else (3000, 9)
    x_np, y_np, z_np = rng_arrays(0, (8,), (8,), (8,))
    results = []

    # -- jitted dispatch ------------------------------------------------------
    def fma(x: Any, y: Any, z: Any) -> Any:
        return x * y + z

    fs = {}
    args = {}
    for side in (fg_side, jx):
        fs[side.name] = side.jit(fma)
        args[side.name] = [side.asarray(a) for a in (x_np, y_np, z_np)]
    check_close("jit dispatch", fs["funcgrad"](*args["funcgrad"]), fs["JAX"](*args["JAX"]))
    ff, fj = fs["funcgrad"], fs["JAX"]
    (xf, yf, zf), (xj, yj, zj) = args["funcgrad"], args["JAX"]
    ours, theirs = per_call(lambda: ff(xf, yf, zf).block_until_ready(),
                            lambda: fj(xj, yj, zj).block_until_ready(),
                            number=number, repeats=repeats)
    results.append(Result("jit dispatch x*y+z, f64[8]", "JAX", ours, theirs, DISPATCH_TARGET))

    # -- one eager op ---------------------------------------------------------
    sin_f, sin_j = fg_side.np.sin, jx.np.sin
    check_close("eager sin", sin_f(xf), sin_j(xj))
    ours, theirs = per_call(lambda: sin_f(xf).block_until_ready(),
                            lambda: sin_j(xj).block_until_ready(),
                            number=number, repeats=repeats)
    results.append(Result("eager sin, f64[8]", "JAX", ours, theirs, EAGER_TARGET))
    ours_np, numpy_t = per_call(lambda: sin_f(xf).block_until_ready(), lambda: np.sin(x_np),
                                number=number, repeats=repeats)
    results.append(Result("eager sin, f64[8]", "NumPy", ours_np, numpy_t, None,
                          note="for scale: NumPy runs on the host with no dispatch"))

    # -- trace + lower --------------------------------------------------------
    n_blocks = 25 if quick else 250
    n_ops = {s.name: _count_eqns(s, _chain(s, n_blocks), *args[s.name][:2]) for s in (fg_side, jx)}
    check_close("1000-op chain", fg_side.jit(_chain(fg_side, n_blocks))(xf, yf),
                jx.jit(_chain(jx, n_blocks))(xj, yj))

    def lower(side: Side) -> Callable[[int], Any]:
        a, b = args[side.name][:2]
        return lambda r: side.jit(_chain(side, n_blocks)).lower(a, b).as_text()

    ours, theirs = one_shot(lower(fg_side), lower(jx), repeats=3 if quick else 7)
    results.append(Result(f"trace+lower, {n_ops['funcgrad']}-op program", "JAX", ours, theirs,
                          LOWER_TARGET,
                          note=f"equations staged: funcgrad {n_ops['funcgrad']}, "
                               f"JAX {n_ops['JAX']}"))
    return results
