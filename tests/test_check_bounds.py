"""Checked indexing: config.check_bounds and mode="raise" make out-of-bounds traced
indices raise IndexError from compiled code (funcgrad.bounds); in-bounds results
match JAX's."""
from __future__ import annotations

import os
import re
from collections.abc import Iterator

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import funcgrad as fg
import funcgrad.numpy as fnp
from funcgrad import lax
from funcgrad.bounds import OutOfBoundsError

jax.config.update("jax_enable_x64", True)

X = np.arange(5.0)
HERE = os.path.basename(__file__)


@pytest.fixture
def checked() -> Iterator[None]:
    fg.config.update("check_bounds", True)
    try:
        yield
    finally:
        fg.config.update("check_bounds", False)


def _raises_at(fn, *args, index: int, size: int, what: str = "") -> OutOfBoundsError:
    with pytest.raises(IndexError) as info:
        np.asarray(fn(*args))
    err = info.value
    assert type(err) is OutOfBoundsError and not isinstance(err, fg.CallbackError)
    msg = str(err)
    assert re.search(rf"index {index} (of a window .*)?is out of bounds .*with size {size}",
                     msg), msg
    assert re.search(rf"{re.escape(HERE)}:\d+", msg), msg
    assert what in msg
    return err


# ---------------------------------------------------------------------------
# no switch, no mode="raise": the program is exactly the unchecked one

UNCHECKED_IR = """\
{ lambda ; a:f64[5] b:i64[] c:i64[2]. let
    d:i64[] = add b 5:i64[]
    e:bool[] = lt b 0:i64[]
    f:i64[] = select_n e b d
    g:f64[1] = dynamic_slice[slice_sizes=(1,)] a f
    h:f64[] = squeeze[dimensions=(0,)] g
    i:i64[] = add b 5:i64[]
    j:bool[] = lt b 0:i64[]
    k:i64[] = select_n j b i
    l:f64[2] = dynamic_slice[slice_sizes=(2,)] a k
    m:i64[2] = add c 5:i64[]
    n:bool[2] = lt c 0:i64[]
    o:i64[2] = select_n n c m
    p:i64[2,1] = broadcast_in_dim[shape=(2, 1) broadcast_dimensions=(0,)] o
    q:f64[2] = broadcast_in_dim[shape=(2,) broadcast_dimensions=()] 1.0:f64[]
    r:f64[5] = scatter_add[dimension_numbers=ScatterDimensionNumbers(update_window_dims=(), \
inserted_window_dims=(0,), scatter_dims_to_operand_dims=(0,), operand_batching_dims=(), \
scatter_indices_batching_dims=()) indices_are_sorted=False unique_indices=False mode='drop'] \
a p q
  in (h, l, r) }"""


def _indexing(x, i, j):
    return x[i], lax.dynamic_slice(x, (i,), (2,)), x.at[j].add(1.0)


def test_unchecked_program_is_unchanged():
    text = str(fg.make_ir(_indexing)(X, np.int64(1), np.array([0, 2])))
    assert text == UNCHECKED_IR
    wide = str(fg.make_ir(lambda x, i, j: (fnp.take(x, j), x.at[i].set(0.0),
                                            lax.dynamic_index_in_dim(x, i)))(
        X, np.int64(1), np.array([0, 2])))
    assert "debug_callback" not in wide and "cond" not in wide


def test_checked_program_has_the_check(checked):
    text = str(fg.make_ir(lambda x, i: x[i])(X, np.int64(1)))
    assert text.count("debug_callback") == 1 and "cond" in text


# ---------------------------------------------------------------------------
# check_bounds: every traced index


@pytest.mark.parametrize("i", [0, 4, -1, -5])
def test_in_bounds_matches_jax(checked, i):
    f = fg.jit(lambda x, i: (x[i], x.at[i].set(-1.0), x.at[i].add(2.0),
                             lax.dynamic_slice(x, (i,), (1,))))
    g = jax.jit(lambda x, i: (x[i], x.at[i].set(-1.0), x.at[i].add(2.0),
                              jax.lax.dynamic_slice(x, (i,), (1,))))
    for a, b in zip(f(X, i), g(X, i), strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
        assert np.asarray(a).dtype == np.asarray(b).dtype


@pytest.mark.parametrize("i", [5, 9, -6])
def test_getitem_raises(checked, i):
    _raises_at(fg.jit(lambda x, i: x[i]), X, i, index=i, size=5, what="indexing")


def test_updates_raise(checked):
    _raises_at(fg.jit(lambda x, i: x.at[i].set(0.0)), X, 7, index=7, size=5, what=".at[].set")
    _raises_at(fg.jit(lambda x, i: x.at[i].add(1.0)), X, -6, index=-6, size=5)
    _raises_at(fg.jit(lambda x, j: x.at[j].multiply(2.0)), X, np.array([1, 5]), index=5, size=5)


def test_advanced_reads_raise(checked):
    x2 = np.arange(12.0).reshape(3, 4)
    _raises_at(fg.jit(lambda x, j: x[j, 1]), x2, np.array([0, 3]), index=3, size=3)
    _raises_at(fg.jit(lambda x, j: x[:, j]), x2, np.array([-5, 1]), index=-5, size=4)
    _raises_at(fg.jit(lambda x, j: fnp.take(x, j)), X, np.array([1, 8, 2]), index=8, size=5)
    _raises_at(fg.jit(lambda x, j: fnp.take_along_axis(x, j, axis=1)), x2,
               np.array([[0], [4], [1]]), index=4, size=4)
    j = np.array([[2, 0], [-1, 3]])
    np.testing.assert_array_equal(fg.jit(lambda x, j: x[j])(x2[0], j), jnp.asarray(x2[0])[j])


def test_lax_slices_raise(checked):
    x2 = np.arange(10.0).reshape(2, 5)
    _raises_at(fg.jit(lambda x, i: lax.dynamic_slice(x, (0, i), (2, 2))), x2, 4, index=4,
               size=5, what="lax.dynamic_slice")
    _raises_at(fg.jit(lambda x, i: lax.dynamic_index_in_dim(x, i, 1)), x2, 5, index=5, size=5)
    _raises_at(fg.jit(lambda x, i: lax.dynamic_update_slice(x, fnp.ones((1, 2)), (i, 0))),
               x2, 2, index=2, size=2)
    _raises_at(fg.jit(lambda x, i: lax.dynamic_update_index_in_dim(x, fnp.ones(5), i, 0)),
               x2, -3, index=-3, size=2)
    # windows that fit, negative starts counted from the end as in JAX
    for i in (3, -2, -5):
        np.testing.assert_array_equal(
            fg.jit(lambda x, i: lax.dynamic_slice(x, (0, i), (2, 2)))(x2, i),
            jax.lax.dynamic_slice(x2, (0, i), (2, 2)))
    with pytest.raises(OutOfBoundsError, match="window of size 2"):   # eager, concrete
        lax.dynamic_slice(x2, (0, 4), (2, 2))
    with pytest.raises(OutOfBoundsError):
        fg.jit(lambda x, i: lax.dynamic_slice(x, (i,), (1,), allow_negative_indices=False))(
            X, -1)


def test_lax_gather_scatter_raise(checked):
    x2 = np.arange(10.0).reshape(2, 5)
    dn = lax.GatherDimensionNumbers(offset_dims=(1,), collapsed_slice_dims=(0,),
                                    start_index_map=(0,))
    _raises_at(fg.jit(lambda x, i: lax.gather(x, i, dn, (1, 5))), x2, np.array([[1], [2]]),
               index=2, size=2, what="lax.gather")
    sdn = lax.ScatterDimensionNumbers(update_window_dims=(1,), inserted_window_dims=(0,),
                                      scatter_dims_to_operand_dims=(0,))
    _raises_at(fg.jit(lambda x, i: lax.scatter_add(x, i, fnp.ones((2, 5)), sdn)), x2,
               np.array([[0], [-1]]), index=-1, size=2)
    # an explicit mode says what out-of-bounds starts do: no check
    got = fg.jit(lambda x, i: lax.gather(x, i, dn, (1, 5), mode="clip"))(x2, np.array([[3]]))
    want = jax.lax.gather(x2, np.array([[3]]), jax.lax.GatherDimensionNumbers(
        offset_dims=(1,), collapsed_slice_dims=(0,), start_index_map=(0,)), (1, 5),
        mode="clip")
    np.testing.assert_array_equal(got, want)


def test_explicit_modes_are_kept(checked):
    j = np.array([1, 7])
    np.testing.assert_array_equal(fg.jit(lambda x, j: x.at[j].get(mode="clip"))(X, j),
                                  jnp.asarray(X).at[j].get(mode="clip"))
    np.testing.assert_array_equal(
        fg.jit(lambda x, j: x.at[j].get(mode="fill", fill_value=-1.0))(X, j),
        jnp.asarray(X).at[j].get(mode="fill", fill_value=-1.0))
    np.testing.assert_array_equal(fg.jit(lambda x, j: x.at[j].set(0.0, mode="drop"))(X, j),
                                  jnp.asarray(X).at[j].set(0.0, mode="drop"))
    with pytest.raises(OutOfBoundsError):
        fg.jit(lambda x, j: x.at[j].get(mode="promise_in_bounds"))(X, j)


def test_loops_raise(checked):
    x = fnp.asarray(X)

    def total(n):
        return lax.fori_loop(0, n, lambda k, acc: acc + x[k], 0.0)
    assert float(fg.jit(total)(5)) == 10.0
    _raises_at(fg.jit(total), 6, index=5, size=5)

    def scanned(idx):
        return lax.scan(lambda c, i: (c + x[i], x[i]), 0.0, idx)
    c, ys = fg.jit(scanned)(np.array([4, -1, 0]))
    assert float(c) == 8.0 and np.asarray(ys).tolist() == [4.0, 4.0, 0.0]
    _raises_at(fg.jit(scanned), np.array([1, 2, 11]), index=11, size=5)

    def walk(i):
        return lax.while_loop(lambda s: s[1] < 30.0, lambda s: (s[0] + 2, s[1] + x[s[0]]),
                              (i, 0.0))
    _raises_at(fg.jit(walk), 0, index=6, size=5)


def test_vmap_lane_raises(checked):
    x = fnp.asarray(X)
    f = fg.vmap(lambda i: x[i])
    np.testing.assert_array_equal(f(np.array([0, -1, 3])), X[[0, -1, 3]])
    _raises_at(f, np.array([0, 7, 4]), index=7, size=5)
    _raises_at(fg.jit(f), np.array([0, 1, -8]), index=-8, size=5)
    g = fg.jit(fg.vmap(lambda x, i: lax.dynamic_index_in_dim(x, i, keepdims=False)))
    np.testing.assert_array_equal(g(np.stack([X, X + 1]), np.array([1, 2])), [1.0, 3.0])
    _raises_at(g, np.stack([X, X]), np.array([1, 5]), index=5, size=5)


def test_grad_checks_once(checked):
    def f(x, i):
        return (x[i] * x.at[i].get() + fnp.take(x, fnp.stack([i, 0])).sum()) ** 2

    df = fg.jit(fg.grad(f))
    want = jax.grad(lambda x, i: (x[i] * x[i] + jnp.take(x, jnp.stack([i, 0])).sum()) ** 2)
    np.testing.assert_allclose(df(X, 3), want(X, 3))
    _raises_at(df, X, 5, index=5, size=5)
    ir = str(fg.make_ir(fg.grad(lambda x, i: x[i] ** 2))(X, np.int64(1)))
    assert ir.count("debug_callback") == 1
    np.testing.assert_allclose(fg.grad(lambda x, i: x[i] ** 2)(X, 2), [0, 0, 4.0, 0, 0])


def test_after_a_raise_the_next_call_works(checked):
    f = fg.jit(lambda x, i: x[i])
    with pytest.raises(OutOfBoundsError):
        f(X, 5)
    assert float(f(X, 2)) == 2.0


# ---------------------------------------------------------------------------
# mode="raise" per call, without the switch


def test_mode_raise_per_call():
    _raises_at(fg.jit(lambda x, i: x.at[i].get(mode="raise")), X, 5, index=5, size=5)
    _raises_at(fg.jit(lambda x, i: x.at[i].set(0.0, mode="raise")), X, -6, index=-6, size=5,
               what=".at[].set")
    _raises_at(fg.jit(lambda x, j: fnp.take(x, j, mode="raise")), X, np.array([0, 5]),
               index=5, size=5)
    np.testing.assert_array_equal(
        fg.jit(lambda x, j: fnp.take(x, j, mode="raise"))(X, np.array([4, -5])),
        np.take(X, [4, -5], mode="raise"))
    np.testing.assert_array_equal(fg.jit(lambda x, i: x.at[i].set(0.0, mode="raise"))(X, -1),
                                  jnp.asarray(X).at[-1].set(0.0))
    # concrete indices raise at once, as NumPy
    with pytest.raises(IndexError, match="index 7 is out of bounds for axis 0 with size 5"):
        fnp.take(fnp.asarray(X), np.array([7]), mode="raise")
    with pytest.raises(IndexError, match="index 5 is out of bounds"):
        fnp.asarray(X).at[5].set(0.0, mode="raise")


def test_bad_mode_still_rejected():
    with pytest.raises(ValueError, match="mode must be one of"):
        fnp.asarray(X).at[1].get(mode="wrap")


def test_user_callbacks_still_wrap_their_errors():
    def boom(v):
        raise IndexError("mine")
    f = fg.jit(lambda x: fg.io_callback(boom, jax.ShapeDtypeStruct((), np.float64), x))
    with pytest.raises(fg.CallbackError) as info:
        f(1.0)
    assert isinstance(info.value.__cause__, IndexError)
