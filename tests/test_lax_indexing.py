"""funcgrad.lax's gather, scatters and index_take against jax.lax (x64): values,
dtypes and shapes eagerly and under jit, gradients and vmap, out-of-bounds modes,
batching dimension numbers, and the errors for bad dimension numbers."""
from __future__ import annotations

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
from funcgrad.testing import check_grads
from lax_oracle import same

RNG = np.random.default_rng(1)
X = RNG.standard_normal((4, 5))


def _both(dn: Any) -> tuple[Any, Any]:
    """The same dimension numbers as funcgrad's and JAX's type."""
    return type(dn)(*dn), (jlax.GatherDimensionNumbers if isinstance(dn, lax.GatherDimensionNumbers)
                           else jlax.ScatterDimensionNumbers)(*dn)


# ---------------------------------------------------------------------------
# gather


GATHERS = [
    # (operand shape, indices, dimension numbers, slice sizes)
    ((4, 5), [[1], [3], [0]], lax.GatherDimensionNumbers((1,), (0,), (0,)), (1, 5)),
    ((4, 5), [[1, 2], [3, 0]], lax.GatherDimensionNumbers((), (0, 1), (0, 1)), (1, 1)),
    ((4, 5), [[[1, 2]], [[2, 3]]], lax.GatherDimensionNumbers((2, 3), (), (0, 1)), (2, 2)),
    ((4, 5), [[4], [1]], lax.GatherDimensionNumbers((0,), (1,), (1,)), (4, 1)),
    # batching dimensions: row i of the operand goes with row i of the indices
    ((4, 5), [[3], [0], [4], [1]],
     lax.GatherDimensionNumbers((), (1,), (1,), operand_batching_dims=(0,),
                                start_indices_batching_dims=(0,)), (1, 1)),
]


@pytest.mark.parametrize("case", range(len(GATHERS)))
def test_gather(case: int) -> None:
    shape, idx, dn, sizes = GATHERS[case]
    x = RNG.standard_normal(shape)
    idx = np.array(idx, np.int32)
    ours, theirs = _both(dn)

    def f(v: Any) -> Any:
        return lax.gather(v, idx, ours, sizes)

    def jf(v: Any) -> Any:
        return jlax.gather(v, idx, theirs, sizes)
    same(f(x), jf(x))
    same(fg.jit(f)(x), jf(x))
    same(fg.grad(lambda v: fnp.sum(f(v) ** 2))(x), jax.grad(lambda v: jnp.sum(jf(v) ** 2))(x))
    xs = np.stack([x, -x])
    same(fg.vmap(f)(xs), jax.vmap(jf)(xs))
    # batched indices (each lane its own), and both batched
    idxs = np.stack([idx, idx[::-1] if idx.shape[0] > 1 else idx])
    same(fg.vmap(lambda i: lax.gather(x, i, ours, sizes))(idxs),
          jax.vmap(lambda i: jlax.gather(x, i, theirs, sizes))(idxs))
    same(fg.vmap(lambda v, i: lax.gather(v, i, ours, sizes))(xs, idxs),
          jax.vmap(lambda v, i: jlax.gather(v, i, theirs, sizes))(xs, idxs))


@pytest.mark.parametrize("mode", [None, "clip", "fill", "promise_in_bounds",
                                  lax.GatherScatterMode.CLIP, jlax.GatherScatterMode.FILL_OR_DROP])
def test_gather_modes(mode: Any) -> None:
    dn = lax.GatherDimensionNumbers((1,), (0,), (0,))
    jdn = jlax.GatherDimensionNumbers((1,), (0,), (0,))
    idx = np.array([[1], [7], [-2]])
    jmode = jlax.GatherScatterMode[mode.name] if isinstance(mode, lax.GatherScatterMode) \
        else mode
    same(lax.gather(X, idx, dn, (1, 5), mode=mode), jlax.gather(X, idx, jdn, (1, 5), mode=jmode))
    f = fg.jit(lambda v: lax.gather(v, idx, dn, (1, 5), mode=mode))
    same(f(X), jlax.gather(X, idx, jdn, (1, 5), mode=jmode))


def test_gather_fill_value_and_dtypes() -> None:
    dn = lax.GatherDimensionNumbers((), (0,), (0,))
    jdn = jlax.GatherDimensionNumbers((), (0,), (0,))
    idx = np.array([[0], [9]])
    for v in (np.arange(3.0), np.arange(3, dtype=np.int32), np.arange(3, dtype=np.uint8),
              np.array([True, False, True])):
        same(lax.gather(v, idx, dn, (1,), mode="fill"),
              jlax.gather(v, idx, jdn, (1,), mode="fill"))
    same(lax.gather(np.arange(3.0), idx, dn, (1,), mode="fill", fill_value=-1),
          jlax.gather(np.arange(3.0), idx, jdn, (1,), mode="fill", fill_value=-1))
    # the gradient of a filled entry is zero
    same(fg.grad(lambda v: fnp.sum(lax.gather(v, idx, dn, (1,), mode="fill", fill_value=0.0)))(
        np.arange(3.0)), np.array([1.0, 0.0, 0.0]))


def test_gather_errors() -> None:
    dn = lax.GatherDimensionNumbers((1,), (0,), (0,))
    idx = np.array([[1]])
    with pytest.raises(UnsupportedError, match="ONE_HOT"):
        lax.gather(X, idx, dn, (1, 5), mode="one_hot")
    with pytest.raises(ValueError, match="Unknown gather/scatter mode"):
        lax.gather(X, idx, dn, (1, 5), mode="wrap")
    with pytest.raises(ValueError, match="fill_value applies to mode FILL_OR_DROP"):
        lax.gather(X, idx, dn, (1, 5), mode="clip", fill_value=0.0)
    with pytest.raises(TypeError, match="must be a GatherDimensionNumbers"):
        lax.gather(X, idx, ((1,), (0,)), (1, 5))
    with pytest.raises(TypeError, match="sequence of ints"):
        lax.gather(X, idx, lax.GatherDimensionNumbers((1.0,), (0,), (0,)), (1, 5))
    with pytest.raises(ShapeError, match="offset_dims .* must be sorted"):
        lax.gather(np.ones((2, 3, 4)), np.array([[0]]),
                   lax.GatherDimensionNumbers((2, 1), (0,), (0,)), (1, 3, 4))
    with pytest.raises(ShapeError, match="start_index_map .* must not repeat"):
        lax.gather(X, np.array([[0, 0]]), lax.GatherDimensionNumbers((), (0, 1), (0, 0)), (1, 1))
    with pytest.raises(ShapeError, match="must not share axes"):
        lax.gather(X, np.array([[0]]),
                   lax.GatherDimensionNumbers((), (0,), (1,), (0,), (0,)), (1, 1))
    with pytest.raises(ShapeError, match="slice_sizes"):
        lax.gather(X, idx, dn, (1, 6))
    with pytest.raises(TypeError, match="indices must be integers"):
        lax.gather(X, np.array([[1.0]]), dn, (1, 5))
    with pytest.raises(TypeError, match="unique_indices must be a bool"):
        lax.gather(X, idx, dn, (1, 5), unique_indices=None)


# ---------------------------------------------------------------------------
# scatters


SDN = lax.ScatterDimensionNumbers(update_window_dims=(1,), inserted_window_dims=(0,),
                                  scatter_dims_to_operand_dims=(0,))
IDX = np.array([[1], [3], [1]])         # row 1 twice
UPD = RNG.standard_normal((3, 5))
SCATTERS = ["scatter_add", "scatter_sub", "scatter_mul", "scatter_min", "scatter_max"]


@pytest.mark.parametrize("name", SCATTERS)
def test_scatter_combiners(name: str) -> None:
    ours, theirs = getattr(lax, name), getattr(jlax, name)
    jdn = jlax.ScatterDimensionNumbers(*SDN)

    def f(x: Any, u: Any) -> Any:
        return ours(x, IDX, u, SDN)

    def jf(x: Any, u: Any) -> Any:
        return theirs(x, IDX, u, jdn)
    same(f(X, UPD), jf(X, UPD))
    same(fg.jit(f)(X, UPD), jf(X, UPD))
    if name in ("scatter_add", "scatter_sub"):
        for argnum in (0, 1):
            same(fg.grad(lambda x, u: fnp.sum(f(x, u) ** 2), argnum)(X, UPD),
                  jax.grad(lambda x, u: jnp.sum(jf(x, u) ** 2), argnum)(X, UPD), 1e-10)
    else:   # JAX differentiates these only for unique indices: finite differences
        check_grads(f, (X, UPD), order=1)
    us = np.stack([UPD, UPD * 2])
    same(fg.vmap(lambda u: f(X, u))(us), jax.vmap(lambda u: jf(X, u))(us))
    xs = np.stack([X, X - 1])
    same(fg.vmap(f)(xs, us), jax.vmap(jf)(xs, us))


def test_scatter_replace() -> None:
    idx = np.array([[2], [0]])
    jdn = jlax.ScatterDimensionNumbers(*SDN)
    u = UPD[:2]
    same(lax.scatter(X, idx, u, SDN), jlax.scatter(X, idx, u, jdn))
    same(fg.jit(lambda x, v: lax.scatter(x, idx, v, SDN, unique_indices=True))(X, u),
          jlax.scatter(X, idx, u, jdn, unique_indices=True))
    for argnum in (0, 1):
        same(fg.grad(lambda x, v: fnp.sum(lax.scatter(x, idx, v, SDN) ** 2), argnum)(X, u),
              jax.grad(lambda x, v: jnp.sum(jlax.scatter(x, idx, v, jdn) ** 2), argnum)(X, u))
    idxs = np.array([[[2], [0]], [[1], [3]]])
    same(fg.vmap(lambda i: lax.scatter(X, i, u, SDN))(idxs),
          jax.vmap(lambda i: jlax.scatter(X, i, u, jdn))(idxs))


@pytest.mark.parametrize("mode", [None, "clip", "drop", "promise_in_bounds"])
def test_scatter_modes(mode: str | None) -> None:
    idx = np.array([[1], [9], [-3]])
    jdn = jlax.ScatterDimensionNumbers(*SDN)
    if mode == "promise_in_bounds":
        idx = np.array([[1], [2], [0]])
    same(lax.scatter_add(X, idx, UPD, SDN, mode=mode),
          jlax.scatter_add(X, idx, UPD, jdn, mode=mode))


def test_scatter_batching_dims_and_scalar_updates() -> None:
    # each row of the operand gets one update at its own column
    dn = lax.ScatterDimensionNumbers((), (1,), (1,), operand_batching_dims=(0,),
                                     scatter_indices_batching_dims=(0,))
    jdn = jlax.ScatterDimensionNumbers(*dn)
    idx = np.array([[4], [0], [2], [2]])
    u = np.arange(1.0, 5.0)
    same(lax.scatter_add(X, idx, u, dn), jlax.scatter_add(X, idx, u, jdn))
    same(fg.grad(lambda v: fnp.sum(lax.scatter_mul(X, idx, v, dn, unique_indices=True)))(u),
          jax.grad(lambda v: jnp.sum(jlax.scatter_mul(X, idx, v, jdn, unique_indices=True)))(u))
    # a Python scalar update takes the operand's dtype
    one = lax.ScatterDimensionNumbers((), (0, 1), (0, 1))
    same(lax.scatter_add(X, np.array([1, 2]), 2.0, one),
          jlax.scatter_add(X, np.array([1, 2]), np.float64(2.0),
                           jlax.ScatterDimensionNumbers(*one)))


def test_scatter_errors() -> None:
    with pytest.raises(TypeError, match="same dtype"):
        lax.scatter_add(X, IDX, UPD.astype(np.float32), SDN)
    with pytest.raises(TypeError, match="must be a ScatterDimensionNumbers"):
        lax.scatter_add(X, IDX, UPD, lax.GatherDimensionNumbers((1,), (0,), (0,)))
    with pytest.raises(ShapeError, match="inserted_window_dims .* must be sorted"):
        lax.scatter_add(np.ones((2, 3, 4)), np.array([[0, 0]]), np.ones((1, 4)),
                        lax.ScatterDimensionNumbers((1,), (1, 0), (0, 1)))
    with pytest.raises(ShapeError):
        lax.scatter_add(X, IDX, UPD[:2], SDN)
    with pytest.raises(UnsupportedError, match="ONE_HOT"):
        lax.scatter(X, IDX, UPD, SDN, mode=lax.GatherScatterMode.ONE_HOT)


def test_scatter_apply() -> None:
    dn = lax.ScatterDimensionNumbers((), (0,), (0,))
    jdn = jlax.ScatterDimensionNumbers(*dn)
    v = np.array([1.0, 2.0, 3.0])
    idx = np.array([[0], [0], [2]])             # entry 0 twice: func applied twice
    same(lax.scatter_apply(v, idx, lambda x: x * 3, dn, update_shape=(3,)),
          jlax.scatter_apply(v, idx, lambda x: x * 3, jdn, update_shape=(3,)))
    same(fg.jit(lambda x: lax.scatter_apply(x, idx, fnp.sin, dn, update_shape=(3,)))(v),
          jlax.scatter_apply(v, idx, jnp.sin, jdn, update_shape=(3,)))
    # JAX does not differentiate scatter_apply; funcgrad does: sin(sin(x0)), x1, sin(x2)
    g = fg.grad(lambda x: fnp.sum(lax.scatter_apply(x, idx, fnp.sin, dn, update_shape=(3,))))(v)
    same(g, np.array([np.cos(np.sin(1.0)) * np.cos(1.0), 1.0, np.cos(3.0)]))
    uniq = np.array([[2], [1]])
    g = fg.grad(lambda x: fnp.sum(lax.scatter_apply(x, uniq, fnp.exp, dn, update_shape=(2,),
                                                    unique_indices=True)))(v)
    same(g, np.array([1.0, np.exp(2.0), np.exp(3.0)]))
    same(fg.vmap(lambda x: lax.scatter_apply(x, idx, fnp.sin, dn, update_shape=(3,)))(
        np.stack([v, -v])),
        jax.vmap(lambda x: jlax.scatter_apply(x, idx, jnp.sin, jdn, update_shape=(3,)))(
            np.stack([v, -v])))
    with pytest.raises(TypeError, match="func must be callable"):
        lax.scatter_apply(v, idx, 3, dn, update_shape=(3,))
    with pytest.raises(TypeError, match="scalar to a float64 scalar"):
        lax.scatter_apply(v, idx, lambda x: fnp.stack([x, x]), dn, update_shape=(3,))


# ---------------------------------------------------------------------------
# index_take


def test_index_take() -> None:
    x = RNG.standard_normal((3, 4, 2))
    i0, i1 = np.array([0, -1, 4]), np.array([1, 2, 3])

    def f(v: Any) -> Any:
        return lax.index_take(v, (i0, i1), (0, 1))

    def jf(v: Any) -> Any:
        return jlax.index_take(v, (i0, i1), (0, 1))
    same(f(x), jf(x))
    same(fg.jit(f)(x), jf(x))
    same(fg.grad(lambda v: fnp.sum(f(v) ** 2))(x), jax.grad(lambda v: jnp.sum(jf(v) ** 2))(x))
    same(fg.vmap(f)(np.stack([x, 2 * x])), jax.vmap(jf)(np.stack([x, 2 * x])))
    same(lax.index_take(x, (i1,), (1,)), jlax.index_take(x, (i1,), (1,)))
    with pytest.raises(ValueError, match="one index array per axis"):
        lax.index_take(x, (i0,), (0, 1))
    with pytest.raises(ValueError, match="differ in length"):
        lax.index_take(x, (i0, i1[:2]), (0, 1))
