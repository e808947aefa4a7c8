"""Issue 4 (vmap): per-example gradients, ``jit(vmap(grad(loss), in_axes=(None, 0, 0)))``,
of a small ReLU MLP over a batch of 256, float32: target 1.05x JAX's steady-state
time. The note under the row compares the transposes in both staged programs
(the issue asks for none that JAX avoids).
"""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np

from benchmarks._harness import (Result, Side, attempt, check_close, funcgrad_side, jax_side,
                                 not_available, per_call, skipped)
from benchmarks.autodiff import mlp_params, one_hot_batch

PER_EXAMPLE_TARGET = 1.05
_TRANSPOSE = re.compile(r"\btranspose\[")


def example_loss(snp: Any) -> Callable[[Any, Any, Any], Any]:
    """Softmax cross-entropy of one example: x is (n_in,), y one-hot (n_out,)."""
    def loss(params: Any, x: Any, y: Any) -> Any:
        h = x
        for w, b in params[:-1]:
            h = snp.maximum(h @ w + b, 0.0)
        w, b = params[-1]
        logits = h @ w + b
        m = snp.max(logits)
        lse = snp.log(snp.sum(snp.exp(logits - m))) + m
        return lse - snp.sum(logits * y)
    return loss


def per_example_grads(side: Side) -> Callable[..., Any]:
    return side.vmap(side.grad(example_loss(side.np)), in_axes=(None, 0, 0))


def _per_example(quick: bool, ours: Side, jx: Side) -> Result:
    sizes, batch = ((16, 32, 10), 16) if quick else ((64, 128, 128, 10), 256)
    name = f"jit(vmap(grad)) per-example, MLP {'-'.join(map(str, sizes))}, batch {batch}, f32"
    params_np = mlp_params(sizes, np.float32)
    x_np, y_np = one_hot_batch(batch, sizes[0], sizes[-1], np.float32)
    fns, inputs, transposes = {}, {}, {}
    for side in (ours, jx):
        inputs[side.name] = ([(side.asarray(w), side.asarray(b)) for w, b in params_np],
                             side.asarray(x_np), side.asarray(y_np))
        fns[side.name] = side.jit(per_example_grads(side))
        ir = side.make_ir(per_example_grads(side))(*inputs[side.name])
        transposes[side.name] = len(_TRANSPOSE.findall(str(ir)))
    grads_o = fns[ours.name](*inputs[ours.name])
    grads_j = fns[jx.name](*inputs[jx.name])
    for (gwo, gbo), (gwj, gbj) in zip(grads_o, grads_j, strict=True):
        check_close(name, gwo, gwj, rtol=1e-4, atol=1e-5)
        check_close(name, gbo, gbj, rtol=1e-4, atol=1e-5)
    f_o, f_j = fns[ours.name], fns[jx.name]
    in_o, in_j = inputs[ours.name], inputs[jx.name]
    t_ours, t_jax = per_call(lambda: ours.block(f_o(*in_o)), lambda: jx.block(f_j(*in_j)),
                             number=5 if quick else 2, repeats=2 if quick else 60)
    extra = "" if transposes[ours.name] <= transposes[jx.name] else \
        " -- funcgrad stages transposes that JAX avoids"
    return Result(name, "JAX", t_ours, t_jax, PER_EXAMPLE_TARGET,
                  note=f"transposes in the staged program: funcgrad {transposes[ours.name]}, "
                       f"JAX {transposes[jx.name]}{extra}")


def compare(quick: bool, ours: Side, jx: Side) -> list[Result]:
    name = "jit(vmap(grad)) per-example, MLP 64-128-128-10, batch 256, f32"
    why = not_available(ours, ("vmap", "grad"))
    if why:
        return [skipped(name, "JAX", why, PER_EXAMPLE_TARGET)]
    return attempt(name, "JAX", PER_EXAMPLE_TARGET, lambda: _per_example(quick, ours, jx))


def run(quick: bool) -> list[Result]:
    return compare(quick, funcgrad_side(), jax_side())
