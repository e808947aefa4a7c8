"""funcgrad.lax's shape functions and compiler hints against
jax.lax (x64): values, dtypes and shapes eagerly and under jit, gradients and vmap
where they apply, signatures, and the errors for bad arguments."""
from __future__ import annotations

import inspect
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import lax as jlax

import funcgrad as fg
import funcgrad.numpy as fnp
from funcgrad import lax
from funcgrad.errors import ShapeError, UnsupportedError
from lax_oracle import check, same

RNG = np.random.default_rng(0)
X = RNG.standard_normal((2, 3, 4))
M = RNG.standard_normal((3, 4))


# ---------------------------------------------------------------------------
# signatures


NAMES = ["broadcast", "broadcast_like", "broadcast_to_rank", "collapse", "full", "full_like",
         "empty", "slice_in_dim", "index_in_dim", "dynamic_slice_in_dim",
         "dynamic_index_in_dim", "dynamic_update_slice_in_dim", "dynamic_update_index_in_dim",
         "index_take", "split", "stack", "unstack", "tile", "reshape", "squeeze", "expand_dims",
         "scaled_dot",
         "gather", "scatter", "scatter_add", "scatter_sub", "scatter_mul", "scatter_min",
         "scatter_max", "scatter_apply", "dot", "dot_general", "batch_matmul", "ragged_dot",
         "ragged_dot_general", "fft", "platform_dependent", "composite", "optimization_barrier",
         "shape_as_value", "stage"]


@pytest.mark.parametrize("name", NAMES)
def test_signature_matches_jax(name: str) -> None:
    ours = inspect.signature(getattr(lax, name))
    theirs = inspect.signature(getattr(jlax, name))
    assert [(p.name, p.kind) for p in ours.parameters.values()] == \
        [(p.name, p.kind) for p in theirs.parameters.values()]
    for p in theirs.parameters.values():
        if p.default is not inspect.Parameter.empty:
            assert ours.parameters[p.name].default == p.default, p.name


# ---------------------------------------------------------------------------
# creation


@pytest.mark.parametrize("fill,dtype", [(1.5, None), (2, None), (np.float32(3), None),
                                        (True, None), (2, np.float32), (1.5, np.int32)])
def test_full(fill: Any, dtype: Any) -> None:
    same(lax.full((2, 3), fill, dtype), jlax.full((2, 3), fill, dtype))
    same(fg.jit(lambda: lax.full(4, fill, dtype))(), jlax.full(4, fill, dtype))


def test_full_like_and_empty() -> None:
    x32 = X.astype(np.float32)
    same(lax.full_like(x32, 3), jlax.full_like(x32, 3))
    same(lax.full_like(x32, 3, shape=(3, 1)), jlax.full_like(x32, 3, shape=(3, 1)))
    same(lax.full_like(X, 7, dtype=np.int32), jlax.full_like(X, 7, dtype=np.int32))
    same(lax.full_like(2.0, 3), jlax.full_like(2.0, 3))
    sds = fg.ShapeDtypeStruct((2, 2), np.float32) if hasattr(fg, "ShapeDtypeStruct") else None
    if sds is not None:
        same(lax.full_like(sds, 1), jlax.full_like(jax.ShapeDtypeStruct((2, 2), np.float32), 1))
    same(lax.empty((2, 3), np.float32), jnp.zeros((2, 3), np.float32))
    with pytest.raises(UnsupportedError, match="sharding"):
        lax.full_like(X, 1, sharding="x")
    with pytest.raises(UnsupportedError, match="out_sharding"):
        lax.empty((2,), np.float32, out_sharding="x")
    with pytest.raises(TypeError, match="fill_value must be a scalar"):
        lax.full((2,), np.ones(2))


def test_shape_as_value_and_stage() -> None:
    v = lax.shape_as_value((2, 3))
    assert v.dtype == np.int64 and v.tolist() == [2, 3]     # NB: int64 (JAX: int32)
    assert lax.shape_as_value(()).shape == (0,)
    s = lax.stage(np.float32(2.0))
    assert isinstance(s, fg.Array) and s.dtype == np.float32 and float(s) == 2.0


# ---------------------------------------------------------------------------
# broadcasting and reshaping


def test_broadcasts() -> None:
    check(lambda x: lax.broadcast(x, (2,)), lambda x: jlax.broadcast(x, (2,)), M)
    check(lambda x: lax.broadcast_to_rank(x, 4), lambda x: jlax.broadcast_to_rank(x, 4), M)
    same(lax.broadcast_to_rank(X, 2), jlax.broadcast_to_rank(X, 2))
    like = np.zeros((2, 3, 4))
    check(lambda x: lax.broadcast_like(x, like), lambda x: jlax.broadcast_like(x, like),
           M[:1], vmap=False)
    same(lax.broadcast_like(M[:, :1], like), jlax.broadcast_like(M[:, :1], like))
    with pytest.raises(ValueError, match="cannot broadcast"):
        lax.broadcast_like(M, np.zeros((3, 5)))


def test_reshape_collapse_squeeze_expand_tile() -> None:
    check(lambda x: lax.reshape(x, (4, 3), dimensions=(1, 0)),
           lambda x: jlax.reshape(x, (4, 3), dimensions=(1, 0)), M)
    same(lax.reshape(M, (12,)), jlax.reshape(M, (12,)))
    check(lambda x: lax.collapse(x, 1), lambda x: jlax.collapse(x, 1), X, vmap=False)
    check(lambda x: lax.collapse(x, 0, -1), lambda x: jlax.collapse(x, 0, -1), X)
    y = X[:, :1, :, None]
    check(lambda x: lax.squeeze(x, (-1, 1)), lambda x: jlax.squeeze(x, (-1, 1)), y)
    check(lambda x: lax.expand_dims(x, (-1, 0)), lambda x: jlax.expand_dims(x, (-1, 0)), M,
           grad=False)
    check(lambda x: lax.tile(x, (2, 1, 3)), lambda x: jlax.tile(x, (2, 1, 3)), X)
    with pytest.raises(ValueError, match="permutation"):
        lax.reshape(M, (12,), dimensions=(0, 0))
    with pytest.raises(ShapeError, match="cannot reshape"):
        lax.reshape(M, (5, 2))
    with pytest.raises(TypeError, match="every entry of new_sizes"):
        lax.reshape(M, (3, 4.0))
    with pytest.raises(ValueError, match="non-negative"):
        lax.reshape(M, (3, -1))
    with pytest.raises(ValueError, match="empty"):
        lax.collapse(X, 2, 1)
    with pytest.raises(ValueError, match="its size is not 1"):
        lax.squeeze(M, (0,))
    with pytest.raises(TypeError, match="one entry per axis"):
        lax.tile(M, (2,))


# ---------------------------------------------------------------------------
# one axis at a time


def test_static_slices() -> None:
    check(lambda x: lax.slice_in_dim(x, -3, None, 2, axis=-1),
           lambda x: jlax.slice_in_dim(x, -3, None, 2, axis=-1), X)
    same(lax.slice_in_dim(X, None, 2, axis=1), jlax.slice_in_dim(X, None, 2, axis=1))
    check(lambda x: lax.index_in_dim(x, -1, 1), lambda x: jlax.index_in_dim(x, -1, 1), X)
    check(lambda x: lax.index_in_dim(x, 2, 2, False),
           lambda x: jlax.index_in_dim(x, 2, 2, False), X, grad=False)
    with pytest.raises(IndexError, match="out of bounds"):
        lax.index_in_dim(M, 3)
    with pytest.raises(ValueError, match="do not lie"):
        lax.slice_in_dim(M, 1, 7)
    with pytest.raises(ValueError, match="out of range"):
        lax.slice_in_dim(M, 0, 1, axis=2)


@pytest.mark.parametrize("i", [1, -1, 7])
def test_dynamic_slices(i: int) -> None:
    """Values for in-range, negative and clamped starts; derivatives and vmap once."""
    full = i == 1
    check(lambda x, j: lax.dynamic_slice_in_dim(x, j, 2, axis=1),
           lambda x, j: jlax.dynamic_slice_in_dim(x, j, 2, axis=1), X, np.int32(i),
           grad=full, vmap=full)
    check(lambda x, j: lax.dynamic_index_in_dim(x, j, 2, keepdims=False),
           lambda x, j: jlax.dynamic_index_in_dim(x, j, 2, keepdims=False), X, i,
           grad=False, vmap=False)
    upd = np.ones((2, 2, 4))
    check(lambda x, j: lax.dynamic_update_slice_in_dim(x, upd, j, 1),
           lambda x, j: jlax.dynamic_update_slice_in_dim(x, upd, j, 1), X, i,
           grad=False, vmap=False)
    row = np.ones((2, 4))
    # the update is differentiable too, and may be the batched argument
    check(lambda u: lax.dynamic_update_index_in_dim(X, u, i, 1),
           lambda u: jlax.dynamic_update_index_in_dim(X, u, i, 1), row, grad=full, vmap=full)


def test_dynamic_slice_index_under_vmap_and_no_negatives() -> None:
    idx = np.array([0, -1, 2])
    same(fg.vmap(lambda j: lax.dynamic_index_in_dim(M, j, 0, False))(idx),
          jax.vmap(lambda j: jlax.dynamic_index_in_dim(M, j, 0, False))(idx))
    same(lax.dynamic_slice_in_dim(M, np.array(-1), 2, allow_negative_indices=False),
          jlax.dynamic_slice_in_dim(M, np.array(-1), 2, allow_negative_indices=False))
    with pytest.raises(ValueError, match="out of bounds"):
        lax.dynamic_slice_in_dim(M, -1, 2, allow_negative_indices=False)
    with pytest.raises(TypeError, match="integer scalar"):
        lax.dynamic_slice_in_dim(M, 1.0, 2)
    with pytest.raises(ValueError, match="does not fit"):
        lax.dynamic_slice_in_dim(M, 0, 5)


def test_split_stack_unstack() -> None:
    check(lambda x: lax.split(x, (1, 0, 3), axis=-1), lambda x: jlax.split(x, (1, 0, 3), axis=-1),
           X)
    check(lambda x: lax.stack([x, x * 2], axis=-1), lambda x: jlax.stack([x, x * 2], axis=-1),
           M)
    check(lambda x: lax.unstack(x, axis=1), lambda x: jlax.unstack(x, axis=1), X)
    with pytest.raises(ValueError, match="sum to 4, not to the size 5"):
        lax.split(np.arange(5), (2, 2))
    with pytest.raises(ValueError, match="non-negative"):
        lax.split(np.arange(5), (2, -1, 4))
    with pytest.raises(ValueError, match="same shape"):
        lax.stack([np.ones(2), np.ones(3)])
    with pytest.raises(TypeError, match="same dtype"):
        lax.stack([np.ones(2), np.ones(2, np.float32)])
    with pytest.raises(ValueError, match="at least one"):
        lax.stack([])


# ---------------------------------------------------------------------------
# compiler hints


def test_optimization_barrier() -> None:
    tree = (1.0, {"a": M})
    same(lax.optimization_barrier(tree), jlax.optimization_barrier(tree))
    f = fg.jit(lambda x: lax.optimization_barrier(fnp.sin(x)) + fnp.sin(x))
    assert "stablehlo.optimization_barrier" in f.lower(M).as_text()
    check(lambda x: lax.optimization_barrier((x, 2 * x))[1] * x,
           lambda x: jlax.optimization_barrier((x, 2 * x))[1] * x, M)
    # reverse mode transposes the barrier: under jit too
    same(fg.jit(fg.grad(lambda x: fnp.sum(lax.optimization_barrier(x) ** 3)))(M),
          jax.grad(lambda x: jnp.sum(jlax.optimization_barrier(x) ** 3))(M))
    assert lax.optimization_barrier(()) == ()


def test_platform_dependent() -> None:
    assert fg.devices()[0].platform == "cpu"
    same(lax.platform_dependent(2.0, cpu=lambda x: x + 1, default=lambda x: x), 3.0)
    same(fg.jit(lambda x: lax.platform_dependent(x, tpu=fnp.sin, default=fnp.cos))(M),
          jnp.cos(M))
    same(fg.grad(lambda x: lax.platform_dependent(x, cpu=fnp.sin))(0.5), np.cos(0.5))
    with pytest.raises(ValueError, match="'cuda' or 'rocm'"):
        lax.platform_dependent(1.0, gpu=fnp.sin)
    with pytest.raises(ValueError, match="no branch for platform 'cpu'"):
        lax.platform_dependent(1.0, cuda=fnp.sin)
    with pytest.raises(TypeError, match="must be callable"):
        lax.platform_dependent(1.0, cpu=3)


def test_composite() -> None:
    def tangent(x: Any, *, scale: float) -> Any:
        return scale * fnp.sin(x) / fnp.cos(x)
    ours = lax.composite(tangent, name="my.tangent")
    theirs = jlax.composite(lambda x, *, scale: scale * jnp.sin(x) / jnp.cos(x),
                            name="my.tangent")
    same(ours(M, scale=2.0), theirs(M, scale=2.0))
    # JAX does not differentiate composites; funcgrad differentiates the decomposition
    same(fg.jit(fg.grad(lambda x: fnp.sum(ours(x, scale=2.0))))(M), 2 / np.cos(M) ** 2,
          1e-10)
    assert ours.__name__ == "tangent"
    with pytest.raises(TypeError, match="attribute"):
        fg.jit(lambda x: ours(M, scale=x))(2.0)
    with pytest.raises(TypeError, match="name must be"):
        lax.composite(tangent, name="")
