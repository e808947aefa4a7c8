"""shard_map on a (4, 2) mesh of CPU devices: each collective against a NumPy
reference, under jit, jvp and grad (against the same function written on whole
arrays), and the errors bad specs and axis names raise."""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import funcgrad as fg
from conftest import mesh_devices
import funcgrad.numpy as fnp
from funcgrad.errors import UnboundAxisError
from funcgrad.sharding import Mesh, PartitionSpec as P

lax = fg.lax


@pytest.fixture(scope="module")
def mesh() -> Mesh:
    mesh_devices(8)
    return fg.make_mesh((4, 2), ("x", "y"))


X = np.arange(8 * 6, dtype=np.float64).reshape(8, 6) / 7.0 - 2.0


def _blocks(x: np.ndarray) -> list[np.ndarray]:
    """The 4 blocks of x split along rows (the mesh's "x" axis)."""
    return np.split(x, 4)


@pytest.mark.parametrize("jit", [False, True])
def test_reductions_match_numpy(mesh: Mesh, jit: bool) -> None:
    def body(a: Any) -> Any:
        return (lax.psum(a, "x"), lax.pmean(a, "x"), lax.pmax(a, "x"), lax.pmin(a, "x"),
                lax.psum(a, ("x", "y")))
    f = fg.shard_map(body, mesh=mesh, in_specs=P("x"), out_specs=P())
    f = fg.jit(f) if jit else f
    s, m, mx, mn, sxy = f(X)
    b = np.stack(_blocks(X))
    np.testing.assert_allclose(np.asarray(s), b.sum(0), rtol=1e-14)
    np.testing.assert_allclose(np.asarray(m), b.mean(0), rtol=1e-14)
    np.testing.assert_array_equal(np.asarray(mx), b.max(0))
    np.testing.assert_array_equal(np.asarray(mn), b.min(0))
    np.testing.assert_allclose(np.asarray(sxy), 2 * b.sum(0), rtol=1e-14)   # replicated on y
    assert s.dtype == np.float64 and s.shape == (2, 6)


def test_all_gather_psum_scatter_all_to_all_ppermute_axis_index(mesh: Mesh) -> None:
    def body(a: Any) -> Any:
        return (lax.all_gather(a, "x", tiled=True), lax.all_gather(a, "x", axis=1),
                lax.psum_scatter(a, "x", scatter_dimension=1, tiled=False),
                lax.ppermute(a, "x", [(i, (i + 1) % 4) for i in range(4)]),
                lax.axis_index("x") + fnp.zeros(1, dtype=np.int32),
                lax.all_to_all(a, "x", 1, 0, tiled=True))

    f = fg.jit(fg.shard_map(body, mesh=mesh, in_specs=P("x"),
                            out_specs=(P(), P(), P("x"), P("x"), P("x"), P("x"))))
    xs = X[:, :4].copy()
    gathered, stacked, scattered, shifted, index, swapped = f(xs)
    bs = _blocks(xs)
    np.testing.assert_array_equal(np.asarray(gathered), xs)
    np.testing.assert_array_equal(np.asarray(stacked), np.stack(bs, axis=1))
    total = sum(bs)                                          # (2, 4): lane r gets column r
    np.testing.assert_allclose(np.asarray(scattered),
                               np.concatenate([total[:, r] for r in range(4)]), rtol=1e-14)
    np.testing.assert_array_equal(np.asarray(shifted), np.concatenate([bs[-1], *bs[:-1]]))
    np.testing.assert_array_equal(np.asarray(index), np.arange(4, dtype=np.int32))
    assert index.dtype == np.int32
    # tiled all_to_all: lane r's column block j goes to lane j, stacked along rows
    want = np.concatenate([np.concatenate([bs[i][:, r:r + 1] for i in range(4)], axis=0)
                           for r in range(4)], axis=0)
    np.testing.assert_array_equal(np.asarray(swapped), want)


def test_grad_and_jvp_match_the_whole_array_function(mesh: Mesh) -> None:
    w = np.linspace(0.5, 1.5, 6)

    def sharded(a: Any, v: Any) -> Any:
        def body(blk: Any, vv: Any) -> Any:
            g = lax.all_gather(blk, "x", tiled=True)           # every lane: the whole array
            local = (fnp.sin(blk) * vv).sum()
            return lax.psum(local, "x") + lax.pmean((g ** 2 * vv).sum(), "x")
        return fg.shard_map(body, mesh=mesh, in_specs=(P("x"), P()), out_specs=P())(a, v)

    def whole(a: Any, v: Any) -> Any:
        return (fnp.sin(a) * v).sum() + (a ** 2 * v).sum()

    np.testing.assert_allclose(float(sharded(X, w)), float(whole(X, w)), rtol=1e-13)
    for transform in (lambda f: f, fg.jit):
        ga = transform(fg.grad(sharded, argnums=(0, 1)))(X, w)
        gw = fg.grad(whole, argnums=(0, 1))(X, w)
        for a, b in zip(ga, gw, strict=True):
            np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-12)
    t = np.cos(X)
    _, ts = fg.jvp(lambda a: sharded(a, w), (X,), (t,))
    _, tw = fg.jvp(lambda a: whole(a, w), (X,), (t,))
    np.testing.assert_allclose(float(ts), float(tw), rtol=1e-12)


def test_grad_through_ppermute_and_psum_scatter(mesh: Mesh) -> None:
    y = np.arange(16 * 6, dtype=np.float64).reshape(16, 6) / 50.0
    c = np.arange(1.0, 7.0)

    def sharded(a: Any) -> Any:
        def body(blk: Any) -> Any:                             # blocks of 4 rows
            moved = lax.ppermute(blk, "x", [(i, (i + 1) % 4) for i in range(4)])
            scat = lax.psum_scatter(blk ** 2, "x", scatter_dimension=0, tiled=True)
            return moved * c, scat
        m, s = fg.shard_map(body, mesh=mesh, in_specs=P("x"), out_specs=(P("x"), P("x")))(a)
        return fnp.sin(m).sum() + (s * c).sum()

    def whole(a: Any) -> Any:
        rolled = fnp.concatenate([a[12:], a[:12]])          # block i moved to lane i + 1
        summed = (a.reshape(4, 4, 6) ** 2).sum(0)           # row r of the sum: lane r
        return fnp.sin(rolled * c).sum() + (summed * c).sum()

    np.testing.assert_allclose(float(sharded(y)), float(whole(y)), rtol=1e-12)
    np.testing.assert_allclose(np.asarray(fg.jit(fg.grad(sharded))(y)),
                               np.asarray(fg.grad(whole)(y)), rtol=1e-12)
    np.testing.assert_allclose(np.asarray(fg.grad(sharded)(y)),
                               np.asarray(fg.grad(whole)(y)), rtol=1e-12)


def test_shard_map_in_jit_with_outer_ops_and_sharded_input(mesh: Mesh) -> None:
    from funcgrad.sharding import NamedSharding
    xs = fg.device_put(X, NamedSharding(mesh, P("x")))
    f = fg.jit(lambda a: fg.shard_map(lambda b: lax.psum(b.sum(0), "x"), mesh=mesh,
                                      in_specs=P("x"), out_specs=P())(fnp.tanh(a)) * 2.0)
    np.testing.assert_allclose(np.asarray(f(xs)), 2 * np.tanh(X).sum(0), rtol=1e-13)
    text = f.lower(xs).as_text()
    assert "sdy.manual_computation" in text and "stablehlo.all_reduce" in text


def test_errors(mesh: Mesh) -> None:
    with pytest.raises(UnboundAxisError, match=r"'z'.*\('x', 'y'\)"):
        fg.shard_map(lambda a: lax.psum(a, "z"), mesh=mesh, in_specs=P("x"), out_specs=P())(X)
    with pytest.raises(ValueError, match="does not divide 6"):
        fg.shard_map(lambda a: a, mesh=mesh, in_specs=P(None, "x"), out_specs=P())(X)
    with pytest.raises(ValueError, match="'w'"):
        fg.shard_map(lambda a: a, mesh=mesh, in_specs=P("w"), out_specs=P())(X)
    with pytest.raises(ValueError, match="out_specs"):
        fg.shard_map(lambda a: (a, a), mesh=mesh, in_specs=P("x"), out_specs=(P(),))(X)
    ok = fg.shard_map(lambda a: lax.psum(a, "x"), mesh=mesh, in_specs=P("x"), out_specs=P())
    np.testing.assert_allclose(np.asarray(ok(X)), np.stack(_blocks(X)).sum(0), rtol=1e-14)


def test_vmap_of_shard_map_and_named_axes_around_it(mesh: Mesh) -> None:
    xs = np.arange(3 * 8 * 4.0).reshape(3, 8, 4) / 10
    f = fg.shard_map(lambda a: lax.psum(fnp.sin(a).sum(0), "x"), mesh=mesh, in_specs=P("x"),
                     out_specs=P())
    want = np.sin(xs).sum(1)
    for got in (fg.vmap(f)(xs), fg.jit(fg.vmap(f))(xs)):
        assert got.shape == (3, 4)
        np.testing.assert_allclose(np.asarray(got), want, rtol=1e-13)
    np.testing.assert_allclose(np.asarray(fg.grad(lambda a: fg.vmap(f)(a).sum())(xs)),
                               np.cos(xs), rtol=1e-13)
    centered = fg.vmap(lambda a: f(a) - lax.pmean(f(a), "b"), axis_name="b")(xs)
    np.testing.assert_allclose(np.asarray(centered), want - want.mean(0), rtol=1e-12,
                               atol=1e-13)
