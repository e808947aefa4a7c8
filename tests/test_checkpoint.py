"""checkpoint/remat: same derivatives, residuals reduced to the region's inputs,
and a smaller compiled working set (XLA's memory analysis)."""
from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import funcgrad as fg
import funcgrad.numpy as fnp
from funcgrad.errors import UnsupportedError
from funcgrad.testing import check_grads

RNG = np.random.default_rng(0)


def _block(ws: Any, x: Any) -> Any:
    for w in ws:
        x = fnp.tanh(x @ w)
    return x


def _loss(ws: Any, x: Any, blocks: int, remat: bool) -> Any:
    f = fg.checkpoint(_block) if remat else _block
    k = len(ws) // blocks
    for i in range(blocks):
        x = f(ws[i * k:(i + 1) * k], x)
    return fnp.sum(x ** 2)


def _jax_loss(ws: Any, x: Any) -> Any:
    for w in ws:
        x = jnp.tanh(x @ w)
    return jnp.sum(x ** 2)


def test_checkpoint_gives_the_same_derivatives() -> None:
    ws = [RNG.standard_normal((4, 4)) * 0.5 for _ in range(4)]
    x = RNG.standard_normal((3, 4))
    want = jax.grad(_jax_loss, argnums=(0, 1))(ws, x)
    for g in (fg.grad(lambda ws, x: _loss(ws, x, 2, True), argnums=(0, 1)),
              fg.jit(fg.grad(lambda ws, x: _loss(ws, x, 2, True), argnums=(0, 1))),
              fg.grad(fg.jit(lambda ws, x: _loss(ws, x, 4, True)), argnums=(0, 1))):
        for a, b in zip(fg.tree.leaves(g(ws, x)), jax.tree_util.tree_leaves(want),
                        strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-10)
    h = fg.hessian(lambda x: fnp.sum(fg.remat(fnp.sin)(x) * x))(x[0])
    np.testing.assert_allclose(h, jax.hessian(lambda x: jnp.sum(jnp.sin(x) * x))(x[0]),
                               rtol=1e-10)
    check_grads(fg.checkpoint(lambda x: fnp.sin(x) * fnp.cos(2 * x)), (x[0],), order=2)
    assert fg.checkpoint(_block)(ws, x).shape == (3, 4)


def test_checkpoint_keeps_only_its_inputs_as_residuals() -> None:
    f = lambda x: fnp.sum(fnp.sin(fnp.sin(fnp.sin(x))))  # noqa: E731
    prog_plain = fg.make_ir(fg.grad(f))(np.ones(3))
    prog_remat = fg.make_ir(fg.grad(fg.checkpoint(f)))(np.ones(3))
    remat_eqns = [e for e in prog_remat.eqns if e.prim.name == "checkpoint"]
    # the forward is inlined (as in JAX); the backward recomputes from the input only
    assert len(remat_eqns) == 1
    (bwd,) = remat_eqns
    assert sum(e.prim.name == "cos" for e in prog_remat.eqns) == 0, \
        "the forward part must not compute residuals"
    assert [type(a).__name__ for a in bwd.inputs[:1]] == ["Var"]
    assert bwd.inputs[0] is prog_remat.invars[0], "the backward recomputes from the input"
    assert "cos" in str(bwd.params["program"])
    assert sum(e.prim.name == "cos" for e in prog_plain.eqns) == 3


def test_checkpoint_reduces_compiled_memory() -> None:
    ws = [RNG.standard_normal((128, 128)) * 0.05 for _ in range(16)]
    x = RNG.standard_normal((512, 128))

    def temp_bytes(blocks: int, remat: bool) -> int:
        g = fg.jit(fg.grad(lambda ws, x: _loss(ws, x, blocks, remat)))
        return g.lower(ws, x).compile().memory_analysis().temp_size_in_bytes

    activation = 512 * 128 * 8
    plain, remat = temp_bytes(4, False), temp_bytes(4, True)
    # Without remat all 16 activations stay alive for the backward pass; with 4
    # checkpointed blocks only the block inputs and one block's activations do.
    assert plain >= 16 * activation
    assert remat < plain - 6 * activation, (plain, remat)


def test_checkpoint_static_argnums_and_errors() -> None:
    def f(x: Any, n: int) -> Any:
        for _ in range(n):
            x = fnp.sin(x)
        return x

    g = fg.grad(lambda x: fnp.sum(fg.checkpoint(f, static_argnums=(1,))(x, 3)))(np.ones(2))
    np.testing.assert_allclose(g, jax.grad(lambda x: jnp.sum(
        jnp.sin(jnp.sin(jnp.sin(x)))))(np.ones(2)), rtol=1e-12)
    with pytest.raises(TypeError, match="policy must be a function"):
        fg.checkpoint(f, policy="dots")
    with pytest.raises(UnsupportedError, match="does not offload"):
        fg.checkpoint_policies.offload_dot_with_no_batch_dims("device", "pinned_host")
    with pytest.raises(TypeError, match="callable"):
        fg.checkpoint(3)
