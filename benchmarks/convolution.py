"""Convolution: a 2-D convolution layer's forward pass and its gradient, steady state
under ``jit``, float32, side by side with JAX (same XLA convolution underneath):

- ``lax.conv`` of a batch of 8 images with 32 channels, 32 x 32, by 32 3 x 3
  kernels, 'SAME' padding: target 1.1x JAX's;
- the gradient of ``0.5 * sum(conv(x, w) ** 2)`` with respect to the images and
  the kernels (two more convolutions, the transposes): target 1.1x JAX's.

``python -m benchmarks.convolution`` runs it alone; ``python -m benchmarks`` with the
rest.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from benchmarks._harness import (Result, Side, attempt, check_close, funcgrad_side, jax_side,
                                 not_available, per_call, skipped, table)

TARGET = 1.1


def _lax(side: Side) -> Any:
    if side.name == "JAX":
        import jax.lax
        return jax.lax
    import funcgrad.lax
    return funcgrad.lax


def _data(quick: bool) -> tuple[np.ndarray, np.ndarray]:
    n, c, hw = (2, 4, 8) if quick else (8, 32, 32)
    rng = np.random.default_rng(0)
    return (rng.standard_normal((n, c, hw, hw)).astype(np.float32),
            (rng.standard_normal((c, c, 3, 3)) / (3 * np.sqrt(c))).astype(np.float32))


def _forward(side: Side) -> Callable[[Any, Any], Any]:
    lax = _lax(side)
    return lambda x, w: lax.conv(x, w, (1, 1), "SAME")


def _grad(side: Side) -> Callable[[Any, Any], Any]:
    lax = _lax(side)
    assert side.grad is not None

    def loss(x: Any, w: Any) -> Any:
        return 0.5 * side.np.sum(lax.conv(x, w, (1, 1), "SAME") ** 2)
    return side.grad(loss, argnums=(0, 1))


def _steady(name: str, make: Callable[[Side], Callable[..., Any]], quick: bool, ours: Side,
            jx: Side) -> Result:
    fns = {s.name: s.jit(make(s)) for s in (ours, jx)}
    data = _data(quick)
    args = {s.name: tuple(s.asarray(a) for a in data) for s in (ours, jx)}
    f_o, f_j = fns[ours.name], fns[jx.name]
    a_o, a_j = args[ours.name], args[jx.name]
    got, want = f_o(*a_o), f_j(*a_j)
    for g, w in zip(*((x if isinstance(x, tuple) else (x,)) for x in (got, want)), strict=True):
        check_close(name, g, w, rtol=1e-4, atol=1e-4)
    t_ours, t_jax = per_call(lambda: ours.block(f_o(*a_o)), lambda: jx.block(f_j(*a_j)),
                             number=3 if quick else 10, repeats=2 if quick else 25)
    return Result(name, "JAX", t_ours, t_jax, TARGET)


def compare(quick: bool, ours: Side, jx: Side) -> list[Result]:
    size = "2x4x8x8" if quick else "8x32x32x32"
    workloads = [(f"jit conv2d 3x3 SAME, {size}, f32", _forward, ("jit",)),
                 (f"jit grad conv2d (x and w), {size}, f32", _grad, ("jit", "grad"))]
    results: list[Result] = []
    for name, make, needs in workloads:
        why = not_available(ours, needs)
        if why:
            results.append(skipped(name, "JAX", why, TARGET))
            continue
        results.extend(attempt(name, "JAX", TARGET,
                               lambda n=name, m=make: _steady(n, m, quick, ours, jx)))
    return results


def run(quick: bool) -> list[Result]:
    return compare(quick, funcgrad_side(), jax_side())


if __name__ == "__main__":
    import sys
    print(table(run("--quick" in sys.argv)))
