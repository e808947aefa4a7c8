"""eval_shape and ShapeDtypeStruct in lowering, checked against JAX (x64)."""
from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import funcgrad as fg
import funcgrad.numpy as fnp
from funcgrad.errors import ConcretizationError
from funcgrad.xla_backend import runtime


@pytest.fixture
def compiles(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every module compiled while the test runs."""
    seen: list[str] = []
    real = runtime.compile_text

    def counting(text: str, *args: Any, **kwargs: Any) -> Any:
        seen.append(text)
        return real(text, *args, **kwargs)
    monkeypatch.setattr(runtime, "compile_text", counting)
    return seen


def _same(got: Any, want: Any) -> None:
    """A pytree of fg.ShapeDtypeStruct equals JAX's, leaf by leaf (weak types included)."""
    g_leaves, g_tree = fg.tree.flatten(got)
    w_leaves, w_tree = jax.tree_util.tree_flatten(want)
    assert len(g_leaves) == len(w_leaves), (got, want)
    assert repr(g_tree.unflatten([0] * len(g_leaves))) == \
        repr(w_tree.unflatten([0] * len(w_leaves)))
    for g, w in zip(g_leaves, w_leaves, strict=True):
        assert type(g) is fg.ShapeDtypeStruct
        assert (g.shape, g.dtype, g.weak_type) == (w.shape, w.dtype, w.weak_type), (g, w)


def mlp(params: Any, x: Any, m: Any) -> Any:
    h = m.tanh(x @ params["w1"] + params["b1"])
    return {"out": h @ params["w2"], "norm": m.sum(h * h), "n": x.shape[0] * 1.0}


def test_eval_shape_matches_jax_on_structs_arrays_and_scalars(compiles: list[str]) -> None:
    f32 = np.float32
    params = {"w1": fg.ShapeDtypeStruct((1000, 512), f32), "b1": np.zeros(512, f32),
              "w2": fg.ShapeDtypeStruct((512, 10), f32)}
    jparams = {"w1": jax.ShapeDtypeStruct((1000, 512), f32), "b1": np.zeros(512, f32),
               "w2": jax.ShapeDtypeStruct((512, 10), f32)}
    x = fg.ShapeDtypeStruct((100000, 1000), f32)     # 400 MB if it were allocated
    before = fg.cache_info()
    got = fg.eval_shape(lambda p, x: mlp(p, x, fnp), params, x)
    _same(got, jax.eval_shape(lambda p, x: mlp(p, x, jnp),
                              jparams, jax.ShapeDtypeStruct((100000, 1000), f32)))
    # weak Python scalars, keyword arguments, integer promotion, a None leaf
    _same(fg.eval_shape(lambda a, *, b: (a * 2, b + 1, None), 1.5, b=np.int32(3)),
          jax.eval_shape(lambda a, *, b: (a * 2, b + 1, None), 1.5, b=np.int32(3)))
    _same(fg.eval_shape(lambda a: fnp.sum(a, axis=0).astype(np.int16),
                        fg.ShapeDtypeStruct((4, 3), np.float64)),
          jax.eval_shape(lambda a: jnp.sum(a, axis=0).astype(np.int16),
                         jax.ShapeDtypeStruct((4, 3), np.float64)))
    _same(fg.eval_shape(fg.jit(lambda v: v * 2), fg.ShapeDtypeStruct((2,), np.float64,
                                                                     weak_type=True)),
          jax.eval_shape(jax.jit(lambda v: v * 2), jax.ShapeDtypeStruct((2,), np.float64,
                                                                        weak_type=True)))
    # staged only: nothing compiled, no executable cached
    assert compiles == []
    after = fg.cache_info()
    for kind in ("eager executables", "jit executables"):
        if kind in before:
            assert after[kind]["entries"] == before[kind]["entries"]


def test_eval_shape_under_transformations() -> None:
    f = lambda w, x: fnp.sum(fnp.tanh(x @ w) ** 2)   # noqa: E731
    jf = lambda w, x: jnp.sum(jnp.tanh(x @ w) ** 2)  # noqa: E731
    w, x = fg.ShapeDtypeStruct((3, 2), np.float64), fg.ShapeDtypeStruct((5, 3), np.float64)
    jw, jx = jax.ShapeDtypeStruct((3, 2), np.float64), jax.ShapeDtypeStruct((5, 3), np.float64)
    _same(fg.eval_shape(fg.grad(f), w, x), jax.eval_shape(jax.grad(jf), jw, jx))
    _same(fg.eval_shape(fg.vmap(f, in_axes=(None, 0)), w, fg.ShapeDtypeStruct((7, 5, 3),
                                                                            np.float64)),
          jax.eval_shape(jax.vmap(jf, in_axes=(None, 0)), jw,
                         jax.ShapeDtypeStruct((7, 5, 3), np.float64)))
    _same(fg.eval_shape(fg.jacrev(lambda w: fnp.tanh(w)), w),
          jax.eval_shape(jax.jacrev(lambda w: jnp.tanh(w)), jw))


def test_eval_shape_errors() -> None:
    with pytest.raises(TypeError, match="eval_shape expects a callable"):
        fg.eval_shape(3, 1.0)
    with pytest.raises(TypeError, match=r"argument #1 is a str, not an array.*partial"):
        fg.eval_shape(lambda a, b: a, 1.0, "name")
    with pytest.raises(TypeError, match=r"argument 'k'\['a'\] is a object"):
        fg.eval_shape(lambda k: k, k={"a": object()})
    with pytest.raises(ConcretizationError, match="bool"):
        fg.eval_shape(lambda x: x if x > 0 else -x, fg.ShapeDtypeStruct((), np.float64))
    with pytest.raises(TypeError, match="returned a str"):
        fg.eval_shape(lambda x: "no", 1.0)
    with pytest.raises(fg.errors.ShapeError, match=r"matmul.*\(2, 3\) and \(4, 5\)"):
        fg.eval_shape(fnp.matmul, fg.ShapeDtypeStruct((2, 3), np.float64),
                      fg.ShapeDtypeStruct((4, 5), np.float64))


def test_lower_takes_shape_dtype_structs_and_compiles() -> None:
    def f(x: Any, y: Any, scale: Any) -> Any:
        return {"a": fnp.sin(x) @ y * scale, "b": x.sum()}

    jf = lambda x, y, scale: {"a": jnp.sin(x) @ y * scale, "b": x.sum()}  # noqa: E731
    x = fg.ShapeDtypeStruct((2, 3), np.float32)
    y = fg.ShapeDtypeStruct((3, 4), np.float32)
    lowered = fg.jit(f).lower(x, y, 2.0)
    text = lowered.as_text()
    assert "tensor<2x3xf32>" in text and "tensor<3x4xf32>" in text
    assert lowered.as_text("stablehlo") == text
    # the same text as lowering on real arrays of those shapes
    xv = np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3)
    yv = np.arange(12, dtype=np.float32).reshape(3, 4)
    assert fg.jit(f).lower(xv, yv, 2.0).as_text() == text
    compiled = lowered.compile()
    out = compiled(fnp.asarray(xv), fnp.asarray(yv), 2.0)
    want = jax.jit(jf)(xv, yv, 2.0)
    assert out["a"].dtype == np.float32 and out["a"].shape == (2, 4)
    np.testing.assert_allclose(np.asarray(out["a"]), want["a"], rtol=1e-6)
    np.testing.assert_allclose(np.asarray(out["b"]), want["b"], rtol=1e-6)
    with pytest.raises(TypeError, match="compiled for"):
        compiled(fnp.ones((3, 3), np.float32), fnp.asarray(yv), 2.0)
    # make_ir takes them too, and keyword arguments
    prog = fg.make_ir(lambda x, *, k: x * k)(fg.ShapeDtypeStruct((3,), np.int32), k=2)
    assert [str(a.str_short()) for a in prog.out_avals] == ["i32[3]"]


def test_lower_with_sharded_shape_dtype_struct() -> None:
    from conftest import mesh_devices
    mesh_devices(2)
    from funcgrad.sharding import NamedSharding, PartitionSpec
    mesh = fg.make_mesh((2,), ("data",))
    sh = NamedSharding(mesh, PartitionSpec("data"))
    lowered = fg.jit(lambda x: x * 2.0).lower(fg.ShapeDtypeStruct((4, 3), np.float64,
                                                                   sharding=sh))
    assert 'sdy.sharding<@mesh, [{"data"}, {}]>' in lowered.as_text()
    x = fg.device_put(np.arange(12.0).reshape(4, 3), sh)
    out = lowered.compile()(x)
    np.testing.assert_array_equal(np.asarray(out), np.arange(12.0).reshape(4, 3) * 2)


def test_shape_dtype_struct_errors() -> None:
    f = fg.jit(lambda x: x + 1)
    with pytest.raises(TypeError, match=r"ShapeDtypeStruct.*shape and a dtype but no data.*"
                                        r"lower.*eval_shape"):
        f(fg.ShapeDtypeStruct((2,), np.float64))
    with pytest.raises(TypeError, match="sharding of type str"):
        f.lower(fg.ShapeDtypeStruct((2,), np.float64, sharding="data"))
    with pytest.raises(ValueError, match="dialect='hlo'"):
        f.lower(1.0).as_text("hlo")
