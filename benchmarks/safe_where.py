"""Issue 16 (beyond JAX): NaN-free gradients of `where`, at no cost.

The workload is a jitted ``value_and_grad`` + SGD step of a 256-256-256-10 MLP,
batch 128, float64, whose activation is ELU written with ``where``:
``where(h > 0, h, expm1(h))``. Written that way in JAX its gradient is NaN as
soon as one pre-activation is large (expm1 overflows in the discarded branch
and 0 * inf leaks back); funcgrad's transpose selects the discarded branch's
cotangent to exact zeros instead, which costs one select per activation in the
backward pass.

- funcgrad's step vs the same step transposed the plain way (the private
  switch of the transpose interpreter): target 1.02x;
- funcgrad's step vs JAX's step with the same ``where``: 1.1x, for information.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from benchmarks._harness import (Result, Side, check_close, compare_workloads, funcgrad_side,
                                 jax_side, per_call)
from benchmarks.autodiff import mlp_params, one_hot_batch

MASK_COST_TARGET = 1.02
JAX_TARGET = 1.1


def elu_mlp_loss(snp: Any) -> Callable[[Any, Any, Any], Any]:
    """Softmax cross-entropy of an MLP with ELU through `where`; `y` one-hot."""
    def loss(params: Any, x: Any, y: Any) -> Any:
        h = x
        for w, b in params[:-1]:
            z = h @ w + b
            h = snp.where(z > 0, z, snp.expm1(z))
        w, b = params[-1]
        logits = h @ w + b
        m = snp.max(logits, axis=1, keepdims=True)
        lse = snp.log(snp.sum(snp.exp(logits - m), axis=1)) + m[:, 0]
        return snp.mean(lse - snp.sum(logits * y, axis=1))
    return loss


def sgd_step(side: Side, lr: float = 0.01) -> Callable[..., Any]:
    value_and_grad = side.value_and_grad(elu_mlp_loss(side.np))

    def step(params: Any, x: Any, y: Any) -> Any:
        loss, g = value_and_grad(params, x, y)
        return side.tree_map(lambda p, gp: p - lr * gp, params, g), loss
    return side.jit(step)


@contextmanager
def plain_transpose() -> Iterator[None]:
    """Transpose `where` without masking its untaken case (what JAX does), for
    the programs traced inside."""
    from funcgrad.transforms.transpose import interpreter
    interpreter._mask_untaken = False
    try:
        yield
    finally:
        interpreter._mask_untaken = True


def _check_same(name: str, a: Any, b: Any) -> None:
    (new_a, loss_a), (new_b, loss_b) = a, b
    check_close(name + " (loss)", loss_a, loss_b)
    for (wa, ba), (wb, bb) in zip(new_a, new_b, strict=True):
        check_close(name + " (updated params)", wa, wb)
        check_close(name + " (updated params)", ba, bb)


def _elu_step(quick: bool, ours: Side, jx: Side) -> list[Result]:
    sizes, batch = ((16, 16, 16, 10), 8) if quick else ((256, 256, 256, 10), 128)
    name = (f"jit(value_and_grad)+SGD, ELU-by-where MLP {'-'.join(map(str, sizes))}, "
            f"batch {batch}, f64")
    params_np = mlp_params(sizes, np.float64)
    x_np, y_np = one_hot_batch(batch, sizes[0], sizes[-1], np.float64)

    def inputs(side: Side) -> tuple[Any, ...]:
        return ([(side.asarray(w), side.asarray(b)) for w, b in params_np],
                side.asarray(x_np), side.asarray(y_np))

    in_o, in_j = inputs(ours), inputs(jx)
    step_o, step_p, step_j = sgd_step(ours), sgd_step(ours), sgd_step(jx)
    with plain_transpose():
        out_p = step_p(*in_o)            # traced (and cached) with the plain transpose
    out_o, out_j = step_o(*in_o), step_j(*in_j)
    _check_same(name + " masked vs plain", out_o, out_p)
    _check_same(name, out_o, out_j)

    number, repeats = (1, 1) if quick else (5, 40)
    t_ours, t_plain = per_call(lambda: ours.block(step_o(*in_o)),
                               lambda: ours.block(step_p(*in_o)), number=number, repeats=repeats)
    t_ours2, t_jax = per_call(lambda: ours.block(step_o(*in_o)),
                              lambda: jx.block(step_j(*in_j)), number=number, repeats=repeats)
    return [Result(name, "plain", t_ours, t_plain, MASK_COST_TARGET,
                   note="competitor: funcgrad's own step with the unmasked transpose of where"),
            Result(name, "JAX", t_ours2, t_jax, None,
                   note=f"for information (aim: <= {JAX_TARGET:g}); JAX's gradient of this "
                        "where is NaN once expm1 overflows, funcgrad's is not")]


WORKLOADS = {
    "jit(value_and_grad)+SGD, ELU-by-where MLP 256-256-256-10, batch 128, f64":
        (_elu_step, "JAX", JAX_TARGET, ("value_and_grad",)),
}


def compare(quick: bool, ours: Side, jx: Side) -> list[Result]:
    return compare_workloads(WORKLOADS, quick, ours, jx)


def run(quick: bool) -> list[Result]:
    return compare(quick, funcgrad_side(), jax_side())
