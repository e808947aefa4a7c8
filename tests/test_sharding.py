"""Arrays split over a mesh of 8 CPU devices (tests/conftest.py asks for them):
device_put round trips, eager ops and jit on sharded arrays, in/out shardings,
sharding constraints under grad and vmap, and the errors bad specs raise."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

import funcgrad as fg
from conftest import mesh_devices
import funcgrad.numpy as fnp
from funcgrad.sharding import Mesh, NamedSharding, PartitionSpec as P, SingleDeviceSharding


@pytest.fixture(scope="module")
def mesh() -> Mesh:
    mesh_devices(8)
    return fg.make_mesh((4, 2), ("data", "model"))


def _specs_2d() -> list[P]:
    entries = [None, "data", "model", ("data", "model"), ("model", "data")]
    out = []
    for a, b in itertools.product(entries, repeat=2):
        used = [n for e in (a, b) if e is not None for n in (e if isinstance(e, tuple) else (e,))]
        if len(used) == len(set(used)):
            out.append(P(a, b))
    return out


@pytest.mark.parametrize("spec", _specs_2d(), ids=str)
def test_every_sharding_of_a_2d_array_round_trips(mesh: Mesh, spec: P) -> None:
    x = np.arange(16 * 8, dtype=np.float64).reshape(16, 8)
    sh = NamedSharding(mesh, spec)
    a = fg.device_put(x, sh)
    assert a.sharding == sh and a.dtype == np.float64 and a.shape == (16, 8)
    np.testing.assert_array_equal(np.asarray(a), x)
    np.testing.assert_array_equal(fg.device_get(a), x)
    shards = a.addressable_shards
    assert len(shards) == 8 and {s.device for s in shards} == set(mesh.devices.flat)
    for s in shards:
        assert s.data.shape == sh.shard_shape(x.shape)
        np.testing.assert_array_equal(np.asarray(s.data), x[s.index])
    assert a.is_fully_replicated == (spec == P(None, None))


def test_sharding_values_compare_and_hash(mesh: Mesh) -> None:
    assert NamedSharding(mesh, P("data")) == NamedSharding(mesh, P("data", None))
    assert hash(NamedSharding(mesh, P("data"))) == hash(NamedSharding(mesh, P("data", None)))
    assert NamedSharding(mesh, P("data")) != NamedSharding(mesh, P("model"))
    assert fg.make_mesh((4, 2), ("data", "model")) == mesh
    assert fg.make_mesh((2, 4), ("data", "model")) != mesh
    x = fnp.ones(3)
    assert x.sharding == SingleDeviceSharding(fg.devices()[0]) and x.is_fully_replicated


def test_bad_specs_raise_before_anything_runs(mesh: Mesh) -> None:
    with pytest.raises(ValueError, match=r"does not divide 6"):
        fg.device_put(np.ones((6, 4)), NamedSharding(mesh, P("data")))
    with pytest.raises(ValueError, match=r"2 entries but the array has rank 1"):
        fg.device_put(np.ones(8), NamedSharding(mesh, P("data", "model")))
    with pytest.raises(ValueError, match=r"'batch'.*its axes are \('data', 'model'\)"):
        NamedSharding(mesh, P("batch"))
    with pytest.raises(ValueError, match="uses the mesh axis 'data' twice"):
        NamedSharding(mesh, P("data", "data"))
    with pytest.raises(TypeError, match="PartitionSpec entries"):
        P(3)
    with pytest.raises(ValueError, match="needs 16 devices"):
        fg.make_mesh((4, 4), ("a", "b"))
    f = fg.jit(lambda a: a * 2, in_shardings=NamedSharding(mesh, P("data")))
    with pytest.raises(ValueError, match="does not divide 6"):
        f(np.ones(6))
    np.testing.assert_array_equal(np.asarray(f(np.ones(8))), 2 * np.ones(8))   # still works


def test_eager_ops_on_sharded_arrays(mesh: Mesh) -> None:
    x = np.linspace(-2, 3, 64).reshape(8, 8)
    xs = fg.device_put(x, NamedSharding(mesh, P("data", "model")))
    y = fnp.sin(xs)
    assert y.sharding == xs.sharding
    np.testing.assert_allclose(np.asarray(y), np.sin(x), rtol=1e-15)
    total = y.sum()
    assert total.dtype == np.float64 and total.shape == ()
    np.testing.assert_allclose(float(total), np.sin(x).sum(), rtol=1e-13)
    # mixing with one-device values: they are replicated over the mesh
    z = xs * fnp.arange(8.0) + 1.0
    np.testing.assert_allclose(np.asarray(z), x * np.arange(8.0) + 1.0, rtol=1e-15)
    assert isinstance(z.sharding, NamedSharding) and z.sharding.mesh == mesh


def test_mixing_meshes_raises_naming_both(mesh: Mesh) -> None:
    other = fg.make_mesh((2, 4), ("data", "model"))
    a = fg.device_put(np.ones((8, 8)), NamedSharding(mesh, P("data")))
    b = fg.device_put(np.ones((8, 8)), NamedSharding(other, P("data")))
    with pytest.raises(ValueError, match=r"different meshes.*'data': 4.*'data': 2"):
        a + b
    np.testing.assert_array_equal(np.asarray(a + a), 2 * np.ones((8, 8)))


def _mlp(params: tuple[object, object], x: object) -> object:
    w1, w2 = params
    h = fnp.tanh(x @ w1)
    return ((h @ w2) ** 2).mean()


@pytest.mark.parametrize("kind", ["elementwise", "dot", "reduction", "scan", "grad", "vmap"])
def test_sharded_jit_equals_unsharded(mesh: Mesh, kind: str) -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, 8))
    w = rng.normal(size=(8, 4))
    fns = {
        "elementwise": lambda a, b: fnp.exp(-a ** 2) * 3.0 + fnp.cos(a),
        "dot": lambda a, b: a @ b,
        "reduction": lambda a, b: (a.max(axis=0), a.sum(axis=1), fnp.mean(a)),
        "scan": lambda a, b: fg.lax.scan(lambda c, r: (c + fnp.sin(r), c * r), fnp.zeros(8),
                                         a)[1],
        "grad": lambda a, b: fg.grad(lambda a_, b_: _mlp((b_, fnp.ones((4, 2))), a_),
                                     argnums=(0, 1))(a, b),
        "vmap": lambda a, b: fg.vmap(lambda r: fnp.dot(r, b).sum())(a),
    }
    f = fnp_tree = fns[kind]
    expected = fg.jit(f)(x, w)
    xs = fg.device_put(x, NamedSharding(mesh, P("data", None)))
    ws = fg.device_put(w, NamedSharding(mesh, P(None, "model")))
    got = fg.jit(fnp_tree)(xs, ws)
    for e, g in zip(fg.tree.leaves(expected), fg.tree.leaves(got), strict=True):
        assert g.dtype == e.dtype and g.shape == e.shape
        assert isinstance(g.sharding, NamedSharding) and g.sharding.mesh == mesh
        np.testing.assert_allclose(np.asarray(g), np.asarray(e), rtol=1e-12, atol=1e-12)


def test_jit_in_and_out_shardings(mesh: Mesh) -> None:
    x = np.arange(32.0).reshape(8, 4)
    w = np.full((4, 6), 0.1)
    out = NamedSharding(mesh, P("data", "model"))
    f = fg.jit(lambda a, b: fnp.tanh(a @ b), in_shardings=(NamedSharding(mesh, P("data")),
                                                           NamedSharding(mesh, P(None, "model"))),
               out_shardings=out)
    r = f(x, w)
    assert r.sharding == out
    np.testing.assert_allclose(np.asarray(r), np.tanh(x @ w), rtol=1e-15)
    text = f.lower(x, w).as_text()
    assert 'sdy.mesh @mesh = <["data"=4, "model"=2]>' in text
    assert '#sdy.sharding<@mesh, [{"data"}, {}]>' in text
    assert '#sdy.sharding<@mesh, [{"data"}, {"model"}]>' in text
    assert "mhlo.num_partitions = 8" in text
    compiled = f.lower(x, w).compile()
    assert compiled(x, w).sharding == out
    # the cache keys on input shardings: a differently laid out argument compiles anew
    g = fg.jit(lambda a: a * 2.0)
    g(fg.device_put(x, NamedSharding(mesh, P("data"))))
    g(fg.device_put(x, NamedSharding(mesh, P("model"))))
    g(x)
    assert g._cache_size() == 3


def test_output_sharding_is_what_xla_chose(mesh: Mesh) -> None:
    xs = fg.device_put(np.ones((8, 4)), NamedSharding(mesh, P("data")))
    r = fg.jit(lambda a: (fnp.sin(a), a.sum()))(xs)
    assert r[0].sharding == NamedSharding(mesh, P("data"))
    assert r[1].sharding == NamedSharding(mesh, P())


def test_with_sharding_constraint_under_jit_grad_vmap(mesh: Mesh) -> None:
    sd = NamedSharding(mesh, P("data"))
    x = np.arange(32.0).reshape(8, 4) / 10

    def f(a: object) -> object:
        y = fg.lax.with_sharding_constraint(fnp.sin(a) * 2, sd)
        return (y ** 2).sum()

    assert "sdy.sharding_constraint" in fg.jit(f).lower(x).as_text()
    np.testing.assert_allclose(float(fg.jit(f)(x)), (4 * np.sin(x) ** 2).sum(), rtol=1e-13)
    for g in (fg.grad(f)(x), fg.jit(fg.grad(f))(x)):
        np.testing.assert_allclose(np.asarray(g), 8 * np.sin(x) * np.cos(x), rtol=1e-13)
        assert g.sharding.mesh == mesh
    _, t = fg.jvp(f, (x,), (np.ones_like(x),))
    np.testing.assert_allclose(float(t), (8 * np.sin(x) * np.cos(x)).sum(), rtol=1e-13)
    sm = NamedSharding(mesh, P("model"))
    v = fg.jit(fg.vmap(lambda r: fg.lax.with_sharding_constraint(r * 2, sm)))(x)
    assert v.sharding == NamedSharding(mesh, P(None, "model"))
    np.testing.assert_array_equal(np.asarray(v), 2 * x)
    # on a concrete array it lays it out now
    assert fg.lax.with_sharding_constraint(fnp.ones((8, 2)), sd).sharding == sd
    with pytest.raises(ValueError, match="does not divide 6"):
        fg.jit(lambda a: fg.lax.with_sharding_constraint(a, sd))(np.ones(6))


def test_control_flow_and_custom_rules_on_sharded_arrays_under_jit(mesh: Mesh) -> None:
    @fg.custom_jvp
    def softclip(a: object) -> object:
        return fnp.tanh(a)

    @softclip.defjvp
    def _softclip_jvp(primals: tuple[object, ...], tangents: tuple[object, ...]) -> object:
        (a,), (t,) = primals, tangents
        return fnp.tanh(a), t * (1 - fnp.tanh(a) ** 2)

    def f(a: object) -> object:
        b = fg.lax.cond(a.sum() > 0, lambda v: softclip(v) * 2.0, lambda v: -v, a)
        return fg.lax.fori_loop(0, 3, lambda i, c: c * 0.5 + b, b).sum()

    x = np.linspace(-1, 2, 32).reshape(8, 4)
    xs = fg.device_put(x, NamedSharding(mesh, P("data", "model")))
    np.testing.assert_allclose(float(fg.jit(f)(xs)), float(fg.jit(f)(x)), rtol=1e-13)
    g_sharded, g_plain = fg.jit(fg.grad(f))(xs), fg.grad(f)(x)
    assert g_sharded.sharding.mesh == mesh
    np.testing.assert_allclose(np.asarray(g_sharded), np.asarray(g_plain), rtol=1e-13)


def test_eager_primitives_compile_once_per_sharding(mesh: Mesh) -> None:
    from funcgrad import dispatch
    fg.clear_caches()          # counts below must not meet the cache's bound
    x = np.arange(16.0).reshape(4, 4)
    a = fg.device_put(x, NamedSharding(mesh, P("data")))
    b = fg.device_put(x + 1, NamedSharding(mesh, P("data")))
    expm1 = fg.lax.expm1                           # one primitive, run eagerly
    r = expm1(a)
    assert r.sharding == a.sharding
    np.testing.assert_allclose(np.asarray(r), np.expm1(x), rtol=1e-15)
    n = len(dispatch.executables)
    expm1(b)                                       # same avals, same layout: cached
    assert len(dispatch.executables) == n
    expm1(fg.device_put(x, NamedSharding(mesh, P(None, "model"))))
    assert len(dispatch.executables) == n + 1     # a new layout: one more executable


def test_cached_calls_keep_each_layout_apart(mesh: Mesh) -> None:
    x = np.arange(32.0).reshape(8, 4)
    rows = fg.device_put(x, NamedSharding(mesh, P("data")))
    cols = fg.device_put(x, NamedSharding(mesh, P(None, "model")))
    f = fg.jit(lambda a: a * 3.0)
    for _ in range(3):        # the second round on is served by the cached-call path
        for a in (rows, cols, fnp.asarray(x)):
            r = f(a)
            np.testing.assert_array_equal(np.asarray(r), 3 * x)
            assert r.sharding == a.sharding
