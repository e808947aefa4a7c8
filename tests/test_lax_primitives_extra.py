"""copy_p, dce_sink, reduce_xor, split and tile against jax.lax (x64): values,
dtypes and shapes eagerly and under jit, VJPs of the linear ones against
jax.vjp, vmap, the programs they stage, and their errors."""
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
from funcgrad.errors import DTypeError, ShapeError, UnsupportedError
from funcgrad.transforms.staging import prune
from lax_oracle import same

jax.config.update("jax_enable_x64", True)

RNG = np.random.default_rng(0)
X = RNG.standard_normal((2, 3, 4))


def _vjp_same(f: Any, jf: Any, x: np.ndarray) -> None:
    """f's VJP against jf's for a cotangent of the output's structure."""
    out, pullback = fg.vjp(f, x)
    jout, jpullback = jax.vjp(jf, x)
    same(out, jout)
    ct = jax.tree.map(lambda o: RNG.standard_normal(np.shape(o)), jout)
    same(pullback(ct), jpullback(ct))
    same(fg.jit(lambda x, ct: fg.vjp(f, x)[1](ct))(x, ct), jpullback(ct))


@pytest.mark.parametrize("name", ["split", "tile", "reduce_xor", "dce_sink"])
def test_signature_matches_jax(name: str) -> None:
    ours = inspect.signature(getattr(lax, name)).parameters.values()
    theirs = inspect.signature(getattr(jlax, name)).parameters.values()
    assert [(p.name, p.kind, p.default) for p in ours] == \
        [(p.name, p.kind, p.default) for p in theirs]


def test_primitives_are_exported_under_jax_names() -> None:
    for name in ("copy_p", "dce_sink_p", "reduce_xor_p", "split_p", "tile_p"):
        assert getattr(lax, name).name == getattr(jlax, name).name == name[:-2]


# ---------------------------------------------------------------------------
# split


@pytest.mark.parametrize("sizes, axis", [((1, 1), 0), ((0, 3), 1), ((1, 2, 1), -1)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int32])
def test_split(sizes: tuple[int, ...], axis: int, dtype: Any) -> None:
    x = X.astype(dtype)
    want = jlax.split(x, sizes, axis)
    same(lax.split(x, sizes, axis), want)
    same(fg.jit(lambda x: lax.split(x, sizes, axis))(x), want)
    batch = np.stack([x, x * 2 + 1], axis=1)
    same(fg.vmap(lambda x: lax.split(x, sizes, axis), in_axes=1)(batch),
         jax.vmap(lambda x: jlax.split(x, sizes, axis), in_axes=1)(batch))
    assert fg.make_ir(lambda x: lax.split(x, sizes, axis))(x).eqns[0].prim is lax.split_p


def test_split_vjp() -> None:
    _vjp_same(lambda x: lax.split(x, (1, 0, 3), 2), lambda x: jlax.split(x, (1, 0, 3), 2), X)
    # one piece unused: its cotangent is a symbolic zero, materialised
    same(fg.grad(lambda x: fnp.sum(lax.split(x, (2, 2), 2)[1] ** 2))(X),
         jax.grad(lambda x: jnp.sum(jlax.split(x, (2, 2), 2)[1] ** 2))(X))
    same(fg.grad(lambda x: fnp.sum(x) + 0 * len(lax.split(x, (1, 3), 2)))(X), np.ones_like(X))


def test_split_errors() -> None:
    with pytest.raises(ValueError, match="sum to 3"):
        lax.split(X, (1, 2), 2)
    with pytest.raises(ValueError, match="non-negative"):
        lax.split(X, (-1, 5), 2)
    with pytest.raises(ShapeError, match="split"):
        lax.split_p.bind(fnp.asarray(X), sizes=(1, 2), axis=2)


# ---------------------------------------------------------------------------
# tile


@pytest.mark.parametrize("shape, reps", [((), ()), ((3,), (2,)), ((2, 3), (2, 3)),
                                         ((2, 1, 3), (1, 4, 0))])
@pytest.mark.parametrize("dtype", [np.float64, np.int32, np.bool_])
def test_tile(shape: tuple[int, ...], reps: tuple[int, ...], dtype: Any) -> None:
    x = (RNG.standard_normal(shape) * 3).astype(dtype)
    want = jlax.tile(x, reps)
    same(lax.tile(x, reps), want)
    same(fg.jit(lambda x: lax.tile(x, reps))(x), want)
    if shape:
        batch = np.stack([x, x])
        same(fg.vmap(lambda x: lax.tile(x, reps), in_axes=1)(np.moveaxis(batch, 0, 1)),
             jax.vmap(lambda x: jlax.tile(x, reps))(batch))


@pytest.mark.parametrize("reps", [(2, 1, 3), (1, 1, 1), (0, 2, 1)])
def test_tile_vjp(reps: tuple[int, ...]) -> None:
    _vjp_same(lambda x: lax.tile(x, reps), lambda x: jlax.tile(x, reps), X)


def test_tile_errors() -> None:
    with pytest.raises(TypeError, match="one entry per axis"):
        lax.tile(X, (2, 2))
    with pytest.raises(ValueError, match="non-negative"):
        lax.tile(X, (1, -1, 1))
    with pytest.raises(ShapeError, match="tile"):
        lax.tile_p.bind(fnp.asarray(X), reps=(1, 2))


# ---------------------------------------------------------------------------
# copy


@pytest.mark.parametrize("dtype", [np.float64, np.complex128, np.int8])
def test_copy(dtype: Any) -> None:
    x = (X * 3).astype(dtype)
    want = jlax.copy_p.bind(x)
    same(lax.copy_p.bind(fnp.asarray(x)), want)
    same(fg.jit(lax.copy_p.bind)(x), want)
    same(fg.vmap(lax.copy_p.bind, in_axes=2)(x), jax.vmap(jlax.copy_p.bind, in_axes=2)(x))
    program = fg.make_ir(lax.copy_p.bind)(x)
    assert [e.prim for e in program.eqns] == [lax.copy_p]


def test_copy_vjp() -> None:
    _vjp_same(lax.copy_p.bind, jlax.copy_p.bind, X)
    same(fg.grad(lambda x: fnp.sum(fnp.sin(lax.copy_p.bind(x))))(X),
         jax.grad(lambda x: jnp.sum(jnp.sin(jlax.copy_p.bind(x))))(X))


# ---------------------------------------------------------------------------
# reduce_xor


@pytest.mark.parametrize("axes", [(0,), (1, 2), (0, 1, 2), ()])
@pytest.mark.parametrize("dtype", [np.int32, np.uint8, np.int64, np.bool_])
def test_reduce_xor(axes: tuple[int, ...], dtype: Any) -> None:
    x = RNG.integers(0, 100, (2, 3, 4)).astype(dtype)
    want = jlax.reduce_xor(x, axes)
    same(lax.reduce_xor(x, axes), want)
    same(fg.jit(lambda x: lax.reduce_xor(x, axes))(x), want)
    batch = np.stack([x, x ^ 1], axis=1)
    same(fg.vmap(lambda x: lax.reduce_xor(x, axes), in_axes=1)(batch),
         jax.vmap(lambda x: jlax.reduce_xor(x, axes), in_axes=1)(batch))
    program = fg.make_ir(lambda x: lax.reduce_xor(x, axes))(x)
    assert [e.prim for e in program.eqns] == [lax.reduce_xor_p]


def test_reduce_xor_of_nothing_is_zero() -> None:
    for dtype in (np.int32, np.bool_):
        x = np.zeros((0, 2), dtype)
        same(lax.reduce_xor(x, (0,)), jlax.reduce_xor(x, (0,)))


def test_reduce_xor_has_zero_tangents_under_grad() -> None:
    def f(x: Any) -> Any:
        bits = lax.reduce_xor(fnp.asarray(x > 0), (0,))
        return fnp.sum(fnp.where(bits, x[0], 2 * x[0]))
    same(fg.grad(f)(X), jax.grad(lambda x: jnp.sum(jnp.where(
        jlax.reduce_xor(x > 0, (0,)), x[0], 2 * x[0])))(X))


def test_reduce_xor_errors() -> None:
    with pytest.raises(DTypeError, match="integer or boolean"):
        lax.reduce_xor(X, (0,))
    with pytest.raises(ShapeError, match="reduce_xor"):
        lax.reduce_xor(X.astype(np.int32), (3,))


# ---------------------------------------------------------------------------
# dce_sink


def _kept(x: Any) -> Any:
    lax.dce_sink({"a": fnp.sin(x) * 2, "b": [fnp.exp(x)]})
    return x + 1


def _names(program: Any) -> list[str]:
    return [e.prim.name for e in program.eqns]


def test_dce_sink_keeps_unused_computations() -> None:
    x = X[0]
    assert lax.dce_sink(fnp.sin(x)) is None
    names = _names(prune(fg.make_ir(_kept)(x)))
    assert names == ["sin", "mul", "exp", "dce_sink", "dce_sink", "add"]
    # without it, the same computations are pruned
    assert _names(prune(fg.make_ir(lambda x: (fnp.sin(x) * 2, x + 1)[1])(x))) == ["add"]
    same(fg.jit(_kept)(x), np.asarray(jax.jit(lambda x: (jlax.dce_sink(jnp.sin(x)), x + 1)[1])(x)))


def test_dce_sink_under_grad_vmap_and_loops() -> None:
    x = X[0]
    same(fg.grad(lambda x: fnp.sum(_kept(x)))(x), np.ones_like(x))
    assert "dce_sink" in _names(fg.make_ir(fg.grad(lambda x: fnp.sum(_kept(x))))(x))
    batched = fg.make_ir(fg.vmap(_kept))(X)
    assert "dce_sink" in _names(batched) and "exp" in _names(batched)
    same(fg.vmap(_kept)(X), X + 1)

    def loop(c: Any) -> Any:
        return lax.fori_loop(0, 3, lambda i, c: (lax.dce_sink(fnp.exp(c)), c * 2)[1], c)
    same(fg.jit(loop)(x), x * 8)
    same(fg.grad(lambda x: fnp.sum(loop(x)))(x), np.full_like(x, 8.0))


def test_dce_sink_rejects_prevent_mlir_dce() -> None:
    with pytest.raises(UnsupportedError, match="prevent_mlir_dce"):
        lax.dce_sink(X, prevent_mlir_dce=True)
