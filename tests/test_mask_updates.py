"""``x.at[mask].op(v)`` with a traced boolean mask (funcgrad.numpy._mask_updates):
the same values as NumPy's ``x[mask] op= v`` and JAX's eager ``.at[mask]``, under
jit, vmap and grad; concrete masks keep NumPy's behaviour exactly."""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import funcgrad as fg
import funcgrad.numpy as fnp
from funcgrad.bounds import OutOfBoundsError
from funcgrad.errors import ConcretizationError, UnsupportedError

jax.config.update("jax_enable_x64", True)

RNG = np.random.default_rng(0)

_NP_OPS = {"set": lambda cur, v: v, "add": np.add, "multiply": np.multiply,
           "min": np.minimum, "max": np.maximum, "subtract": np.subtract,
           "divide": lambda cur, v: cur * (1 / np.asarray(v)), "power": np.power}


def numpy_update(x, idx, v, op):
    out = x.copy()
    out[idx] = _NP_OPS[op](out[idx], v)
    return out


# (x shape, index built from the mask, mask shape, values)
CASES = [
    ((5,), lambda m: m, (5,), 3.0),
    ((4, 3), lambda m: m, (4,), np.array([1.0, 2.0, 3.0])),
    ((4, 3), lambda m: m, (4, 3), np.array([2.0])),
    ((4, 3), lambda m: (m, 0), (4,), 5.0),
    ((3, 4), lambda m: (0, m), (4,), 5.0),
    ((3, 4), lambda m: (slice(None), m), (4,), np.array([[7.0], [8.0], [9.0]])),
    ((3, 2, 4), lambda m: (m, slice(None), 0), (3,), np.array([1.0, 2.0])),
    ((3, 4), lambda m: (m, slice(1, 3)), (3,), np.array([1.0, 2.0])),
    ((3, 4), lambda m: (m, slice(None, None, -2)), (3,), np.array([1.0, 2.0])),
    ((3, 4), lambda m: (Ellipsis, m), (4,), 1.5),
    ((2, 3, 2), lambda m: (m, -1), (2, 3), 0.5),
    ((3, 4), lambda m: m, (), 1.5),
]


OPS = ("set", "add", "multiply", "min", "max")


@pytest.mark.parametrize("case", range(len(CASES)))
def test_jit_matches_numpy_and_eager(case):
    shape, index, mshape, v = CASES[case]
    x = RNG.normal(size=shape)
    m = RNG.random(mshape) > 0.5 if mshape else np.bool_(False)
    got = fg.jit(lambda x, m, v: [getattr(x.at[index(m)], op)(v) for op in OPS])(x, m, v)
    for op, g in zip(OPS, got, strict=True):
        want = numpy_update(x, index(m), v, op)
        assert np.asarray(g).dtype == want.dtype
        np.testing.assert_array_equal(g, want)
    # one op per case against eager funcgrad (concrete mask) and JAX's eager .at
    op = OPS[case % len(OPS)]
    eager = getattr(fnp.asarray(x).at[index(fnp.asarray(m))], op)(v)
    np.testing.assert_array_equal(eager, numpy_update(x, index(m), v, op))
    jm = m if m.ndim else bool(m)      # JAX takes a 0-d mask as a Python bool
    oracle = jax.jit(lambda x: getattr(x.at[index(jm)], op)(v))(x)
    np.testing.assert_array_equal(got[OPS.index(op)], oracle)


@pytest.mark.parametrize("op", ["subtract", "divide", "power"])
def test_other_ops(op):
    x = RNG.random((4, 3)) + 0.5
    m = np.array([True, False, True, True])
    v = np.array([2.0, 0.5, 3.0])
    got = fg.jit(lambda x, m: getattr(x.at[m], op)(v))(x, m)
    np.testing.assert_allclose(got, numpy_update(x, m, v, op), rtol=1e-15)
    np.testing.assert_array_equal(got, getattr(fnp.asarray(x).at[m], op)(v))


def test_dtypes_follow_x():
    x = np.arange(6, dtype=np.int32)
    m = np.array([True, False] * 3)
    got = fg.jit(lambda x, m: x.at[m].add(2))(x, m)
    assert np.asarray(got).dtype == np.int32
    np.testing.assert_array_equal(got, numpy_update(x, m, 2, "add"))
    got = fg.jit(lambda x, m: x.at[m].set(1.7))(np.zeros(6, np.float32), m)
    np.testing.assert_array_equal(got, jax.jit(lambda x: x.at[m].set(1.7))(np.zeros(6, np.float32)))


def test_traced_integer_beside_mask():
    x = RNG.normal(size=(4, 3))
    m = np.array([True, False, True, True])
    f = fg.jit(lambda x, m, i: x.at[m, i].set(0.0))
    np.testing.assert_array_equal(f(x, m, -1), numpy_update(x, (m, -1), 0.0, "set"))
    np.testing.assert_array_equal(f(x, m, 3), x)          # out of bounds: dropped
    g = fg.jit(lambda x, m, i: x.at[m, i].set(0.0, mode="clip"))
    np.testing.assert_array_equal(g(x, m, 9), numpy_update(x, (m, 2), 0.0, "set"))
    h = fg.jit(lambda x, m, i: x.at[m, i].set(0.0, mode="raise"))
    with pytest.raises(OutOfBoundsError, match="index 3 is out of bounds for axis 1"):
        h(x, m, 3)
    with pytest.raises(IndexError, match="index 5 is out of bounds for axis 1 with size 3"):
        fg.jit(lambda x, m: x.at[m, 5].set(0.0))(x, m)


def test_vmap():
    xs = RNG.normal(size=(3, 4))
    ms = RNG.random((3, 4)) > 0.5
    vs = RNG.normal(size=(3,))
    got = fg.vmap(lambda x, m, v: x.at[m].add(v))(xs, ms, vs)
    want = np.stack([numpy_update(x, m, v, "add") for x, m, v in zip(xs, ms, vs, strict=True)])
    np.testing.assert_array_equal(got, want)
    got = fg.jit(fg.vmap(lambda m: fnp.asarray(xs[0]).at[m].set(0.0)))(ms)
    np.testing.assert_array_equal(got, np.stack([numpy_update(xs[0], m, 0.0, "set")
                                                 for m in ms]))


def test_grad_wrt_x_and_v():
    x = RNG.normal(size=(4, 3))
    v = RNG.normal(size=(3,))
    m = np.array([True, False, False, True])

    def loss(x, v, m):
        return (x.at[m].set(v) ** 2).sum() + (x.at[m].multiply(v) * x).sum()

    def oracle(x, v):
        sel = m[:, None]
        return (jnp.where(sel, v, x) ** 2).sum() + (jnp.where(sel, x * v, x) * x).sum()
    got = fg.jit(fg.grad(loss, argnums=(0, 1)))(x, v, m)
    want = jax.jit(jax.grad(oracle, argnums=(0, 1)))(x, v)
    for a, b in zip(got, want, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-13)


def test_program_is_a_select():
    ir = str(fg.make_ir(lambda x, m: x.at[m].add(1.0))(np.zeros(4), np.ones(4, bool)))
    assert "select_n" in ir and "scatter" not in ir


def test_fill_in_order_needs_a_concrete_mask():
    x = np.zeros(5)
    m = np.array([True, False, True, True, False])
    v = np.array([1.0, 2.0, 3.0])
    np.testing.assert_array_equal(fnp.asarray(x).at[m].set(v), numpy_update(x, m, v, "set"))
    np.testing.assert_array_equal(fnp.asarray(x).at[fnp.asarray(m)].set(v),
                                  jnp.asarray(x).at[m].set(v))
    with pytest.raises(ConcretizationError, match="not known at trace time") as info:
        fg.jit(lambda x, m: x.at[m].set(v))(x, m)
    assert "fnp.where" in str(info.value) and "broadcast" in str(info.value)


def test_masked_read_under_jit():
    x = RNG.normal(size=6)
    m = x > 0
    with pytest.raises(ConcretizationError) as info:
        fg.jit(lambda x, m: x[m])(x, m)
    assert "fnp.where" in str(info.value) and "size=" in str(info.value)
    with pytest.raises(ConcretizationError):
        fg.jit(lambda x, m: x.at[m].get())(x, m)
    got = fg.jit(lambda x, m: x[fnp.nonzero(m, size=4, fill_value=0)])(x, m)
    want = jax.jit(lambda x, m: x[jnp.nonzero(m, size=4, fill_value=0)])(x, m)
    np.testing.assert_array_equal(got, want)


def test_errors():
    x = np.zeros((4, 3))
    m4 = np.ones(4, bool)
    with pytest.raises(IndexError, match="boolean index did not match indexed array along "
                                         "axis 0; size of axis is 4 but size of corresponding "
                                         "boolean axis is 3"):
        fg.jit(lambda x, m: x.at[m].set(1.0))(x, np.ones(3, bool))
    with pytest.raises(UnsupportedError, match="one traced boolean mask"):
        fg.jit(lambda x, a, b: x.at[a, b].set(1.0))(x, m4, np.ones(3, bool))
    with pytest.raises(UnsupportedError, match="integers, slices"):
        fg.jit(lambda x, m: x.at[m, np.array([0, 1])].set(1.0))(x, m4)
    with pytest.raises(ValueError, match=r"values of shape \(2,\) could not be broadcast"):
        fg.jit(lambda x, m: x.at[m].set(np.ones(2)))(x, m4)
    with pytest.raises(ValueError, match="more axes"):
        fg.jit(lambda x, m: x.at[m].set(np.ones((1, 1, 3))))(x, m4)
    with pytest.raises(IndexError, match="too many indices"):
        fg.jit(lambda x, m: x.at[m, 0, 0].set(1.0))(x, m4)
    with pytest.raises(ValueError, match="mode must be one of"):
        fg.jit(lambda x, m: x.at[m].set(1.0, mode="wrap"))(x, m4)
