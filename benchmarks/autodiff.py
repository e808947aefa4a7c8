"""Issue 3 (autodiff): reverse mode in eager code, at compile time, and in a training step.

- eager ``grad`` of a ~20-op scalar function of a (100,) vector: target 1.0x
  HIPS autograd (a NumPy tape); JAX's un-jitted ``grad`` is shown for scale;
- first call of ``jit(grad(f))`` on a 200-op function (trace + autodiff +
  lower + XLA compile + run): target 1.0x JAX's;
- steady-state ``jit`` of a ``value_and_grad`` + SGD step of a 784-512-512-10
  ReLU MLP, batch 128, float32: target 1.05x JAX's (same XLA underneath).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from benchmarks._harness import (Result, Side, check_close, compare_workloads,
                                 funcgrad_side, jax_side, one_shot, per_call, rng_arrays)

EAGER_GRAD_TARGET = 1.0
FIRST_CALL_TARGET = 1.0
MLP_STEP_TARGET = 1.05


def scalar_fn(snp: Any) -> Callable[[Any], Any]:
    """21 operations from a (n,) vector to a scalar, written once for every NumPy."""
    def f(x: Any) -> Any:
        a = snp.sin(x) * x
        b = snp.exp(-(a * a))
        c = snp.tanh(b + x) / (1.0 + x * x)
        d = snp.log1p(c * c) + snp.cos(a)
        e = snp.sqrt(d * d + 1.0)
        return snp.sum(e * x) + snp.mean(b)
    return f


def deep_fn(snp: Any, n_blocks: int, c: float) -> Callable[[Any, Any], Any]:
    """A fresh function of 4 * n_blocks + 2 operations; `c` makes each program distinct."""
    def f(x: Any, y: Any) -> Any:
        h = x
        for _ in range(n_blocks):
            h = snp.tanh(snp.sin(h) * y + x)
        return snp.sum(h) * c
    return f


def mlp_loss(snp: Any) -> Callable[[Any, Any, Any], Any]:
    """Softmax cross-entropy of a ReLU MLP; `params` is a list of (w, b); `y` one-hot."""
    def loss(params: Any, x: Any, y: Any) -> Any:
        h = x
        for w, b in params[:-1]:
            h = snp.maximum(h @ w + b, 0.0)
        w, b = params[-1]
        logits = h @ w + b
        m = snp.max(logits, axis=1, keepdims=True)
        lse = snp.log(snp.sum(snp.exp(logits - m), axis=1)) + m[:, 0]
        return snp.mean(lse - snp.sum(logits * y, axis=1))
    return loss


def mlp_params(sizes: tuple[int, ...], dtype: Any, seed: int = 0) -> list[tuple[np.ndarray, ...]]:
    rng = np.random.default_rng(seed)
    return [((rng.standard_normal((m, n)) / np.sqrt(m)).astype(dtype),
             (0.1 * rng.standard_normal(n)).astype(dtype))
            for m, n in zip(sizes[:-1], sizes[1:], strict=True)]


def one_hot_batch(batch: int, n_in: int, n_out: int, dtype: Any,
                  seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, n_in)).astype(dtype)
    y = np.eye(n_out, dtype=dtype)[rng.integers(0, n_out, batch)]
    return x, y


def sgd_step(side: Side, lr: float = 0.01) -> Callable[..., Any]:
    value_and_grad = side.value_and_grad(mlp_loss(side.np))

    def step(params: Any, x: Any, y: Any) -> Any:
        loss, g = value_and_grad(params, x, y)
        return side.tree_map(lambda p, gp: p - lr * gp, params, g), loss
    return side.jit(step)


def _eager_grad(quick: bool, ours: Side, jx: Side) -> list[Result]:
    import autograd
    import autograd.numpy as anp

    name = "eager grad, 21-op f(f64[100])"
    (x_np,) = rng_arrays(2, (100,))
    x_ours, x_jax = ours.asarray(x_np), jx.asarray(x_np)
    g_ours, g_ag, g_jax = ours.grad(scalar_fn(ours.np)), autograd.grad(scalar_fn(anp)), \
        jx.grad(scalar_fn(jx.np))
    check_close(name, g_ours(x_ours), g_ag(x_np))
    number, repeats = (20, 2) if quick else (40, 15)
    t_ours, t_ag = per_call(lambda: g_ours(x_ours).block_until_ready(), lambda: g_ag(x_np),
                            number=number, repeats=repeats)
    t_ours2, t_jax = per_call(lambda: g_ours(x_ours).block_until_ready(),
                              lambda: g_jax(x_jax).block_until_ready(),
                              number=max(number // 4, 5), repeats=repeats)
    return [Result(name, "autograd", t_ours, t_ag, EAGER_GRAD_TARGET),
            Result(name, "JAX", t_ours2, t_jax, None, note="for scale: JAX's grad, un-jitted")]


def _first_call(quick: bool, ours: Side, jx: Side) -> Result:
    n_blocks = 10 if quick else 50
    n_ops = 4 * n_blocks + 2
    name = f"first call jit(grad(f)), {n_ops}-op f"
    x_np, y_np = rng_arrays(3, (16,), (16,))
    args = {s.name: (s.asarray(x_np), s.asarray(y_np)) for s in (ours, jx)}

    def cold(side: Side) -> Callable[[int], Any]:
        def call(r: int) -> Any:
            f = deep_fn(side.np, n_blocks, 1.0 + 1e-3 * r)
            return side.jit(side.grad(f))(*args[side.name]).block_until_ready()
        return call

    check_close(name, cold(ours)(0), cold(jx)(0))
    t_ours, t_jax = one_shot(cold(ours), cold(jx), repeats=2 if quick else 7)
    return Result(name, "JAX", t_ours, t_jax, FIRST_CALL_TARGET,
                  note="trace + autodiff + lower + XLA compile + one run; a fresh program "
                       "each repetition")


def _mlp_step(quick: bool, ours: Side, jx: Side) -> Result:
    sizes, batch = ((32, 16, 16, 10), 8) if quick else ((784, 512, 512, 10), 128)
    name = f"jit(value_and_grad)+SGD, MLP {'-'.join(map(str, sizes))}, batch {batch}, f32"
    params_np = mlp_params(sizes, np.float32)
    x_np, y_np = one_hot_batch(batch, sizes[0], sizes[-1], np.float32)
    steps, inputs = {}, {}
    for side in (ours, jx):
        steps[side.name] = sgd_step(side)
        inputs[side.name] = ([(side.asarray(w), side.asarray(b)) for w, b in params_np],
                             side.asarray(x_np), side.asarray(y_np))
    (new_o, loss_o), (new_j, loss_j) = (steps[s.name](*inputs[s.name]) for s in (ours, jx))
    check_close(name + " (loss)", loss_o, loss_j, rtol=1e-4, atol=1e-5)
    for (wo, bo), (wj, bj) in zip(new_o, new_j, strict=True):
        check_close(name + " (updated params)", wo, wj, rtol=1e-4, atol=1e-5)
        check_close(name + " (updated params)", bo, bj, rtol=1e-4, atol=1e-5)
    step_o, step_j = steps[ours.name], steps[jx.name]
    in_o, in_j = inputs[ours.name], inputs[jx.name]
    t_ours, t_jax = per_call(lambda: ours.block(step_o(*in_o)), lambda: jx.block(step_j(*in_j)),
                             number=5 if quick else 2, repeats=2 if quick else 60)
    return Result(name, "JAX", t_ours, t_jax, MLP_STEP_TARGET)


WORKLOADS = {
    "eager grad, 21-op f(f64[100])": (_eager_grad, "autograd", EAGER_GRAD_TARGET, ("grad",)),
    "first call jit(grad(f)), 202-op f": (_first_call, "JAX", FIRST_CALL_TARGET, ("grad",)),
    "jit(value_and_grad)+SGD, MLP 784-512-512-10, batch 128, f32":
        (_mlp_step, "JAX", MLP_STEP_TARGET, ("value_and_grad",)),
}


def compare(quick: bool, ours: Side, jx: Side) -> list[Result]:
    return compare_workloads(WORKLOADS, quick, ours, jx)


def run(quick: bool) -> list[Result]:
    return compare(quick, funcgrad_side(), jax_side())
