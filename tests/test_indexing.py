"""Advanced indexing, take/take_along_axis/ix_, and ``.at[]`` updates vs NumPy."""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import funcgrad as fg
import funcgrad.numpy as fnp
from funcgrad import primitives as P
from funcgrad.errors import ConcretizationError, ShapeError

IDX = np.array
X = np.arange(60.0).reshape(3, 4, 5)

INDEX_CASES: list[Any] = [
    (IDX([0, 2]),),
    (IDX([0, 2]), IDX([1, 3])),
    (slice(None), IDX([0, 1]), IDX([2, 2])),
    (0, slice(None), [1, 2]),                 # int + array separated by a slice: adv first
    (slice(None), 0, [1, 2]),                 # adjacent: in place
    ([[0], [1]], slice(1, 3), [[1, 2, 3]]),
    ([0], None, [0]),                         # None separates advanced indices
    (slice(None), [0], None, [0]),
    (None, [0], [1]),
    (Ellipsis, [0]),
    (X[..., 0] > 20,),                        # 2-d mask
    (X > 30,),
    (slice(None, None, -1), [1, -1]),
    (IDX([-1, -3]), slice(0, 4, 2), Ellipsis),
    (Ellipsis, IDX([[0, 1], [2, 3]]), slice(None, None, 2)),
    ([1, 0], X[0, :, 0] > 5),
    (IDX([], dtype=np.int64),),
    ([],),
    (IDX([[2]]), 1, IDX([4, 0])),
]


@pytest.mark.parametrize("idx", INDEX_CASES, ids=lambda c: repr(c)[:40])
def test_getitem_matches_numpy_eager_and_jit(idx: Any) -> None:
    want = X[idx]
    got = fnp.asarray(X)[idx]
    assert got.shape == want.shape and got.dtype == want.dtype
    np.testing.assert_array_equal(np.asarray(got), want)
    got_jit = fg.jit(lambda a: a[idx])(fnp.asarray(X))
    np.testing.assert_array_equal(np.asarray(got_jit), want)


@given(data=st.data())
def test_getitem_random_integer_arrays(data: st.DataObject) -> None:
    shape = data.draw(st.lists(st.integers(1, 4), min_size=1, max_size=3))
    x = np.arange(np.prod(shape), dtype=np.float32).reshape(shape)
    idx = []
    for n in shape:
        kind = data.draw(st.sampled_from(["arr", "slice", "int"]))
        if kind == "arr":
            idx.append(np.asarray(data.draw(st.lists(st.integers(-n, n - 1), min_size=1,
                                                     max_size=3))))
        elif kind == "slice":
            idx.append(slice(data.draw(st.integers(0, n)), None,
                             data.draw(st.sampled_from([1, 2, -1]))))
        else:
            idx.append(data.draw(st.integers(-n, n - 1)))
    idx_t = tuple(idx)
    try:
        want = x[idx_t]
    except IndexError:          # index arrays that do not broadcast: NumPy's error type
        with pytest.raises(IndexError, match="shape mismatch"):
            fnp.asarray(x)[idx_t]
        return
    np.testing.assert_array_equal(np.asarray(fnp.asarray(x)[idx_t]), want)


@pytest.mark.parametrize("dtype", [np.int32, np.bool_, np.complex64, np.uint8])
def test_getitem_dtypes(dtype: Any) -> None:
    x = (np.arange(12) % 3).astype(dtype).reshape(3, 4)
    got = fnp.asarray(x)[IDX([2, 0]), 1:]
    assert got.dtype == x.dtype
    np.testing.assert_array_equal(np.asarray(got), x[IDX([2, 0]), 1:])


def test_traced_indices_under_jit() -> None:
    i = IDX([2, -1, 0])
    f = fg.jit(lambda a, i: a[:, i])
    np.testing.assert_array_equal(np.asarray(f(fnp.asarray(X), fnp.asarray(i))), X[:, i])
    g = fg.jit(lambda a, i: a[i, 1:3, i])
    j = IDX([0, 1, 2])
    np.testing.assert_array_equal(np.asarray(g(fnp.asarray(X), fnp.asarray(j))), X[j, 1:3, j])


def test_traced_out_of_bounds_clamps() -> None:
    f = fg.jit(lambda a, i: a[i])
    got = f(fnp.arange(4.0), fnp.asarray(IDX([5, 1])))
    np.testing.assert_array_equal(np.asarray(got), [3.0, 1.0])


def test_mask_under_jit_raises_pointing_to_where() -> None:
    with pytest.raises(ConcretizationError, match=r"fnp\.where.*size="):
        fg.jit(lambda a, m: a[m])(fnp.asarray(X), fnp.asarray(X > 3))


def test_out_of_bounds_concrete_raises_index_error() -> None:
    with pytest.raises(IndexError, match="index 5 is out of bounds for axis 0 with size 3"):
        fnp.asarray(X)[IDX([5])]
    with pytest.raises(IndexError, match="integer"):
        fnp.asarray(X)[IDX([0.5])]
    with pytest.raises(IndexError, match="too many indices"):
        fnp.asarray(X)[[0], 0, 0, 0]
    # a 0-d boolean adds a length-1 axis, as in NumPy
    np.testing.assert_array_equal(np.asarray(fnp.asarray(X)[True, [0]]), X[True, [0]])


def test_gather_shape_errors() -> None:
    dn = P.GatherDimensionNumbers(offset_dims=(1,), collapsed_slice_dims=(0,),
                                  start_index_map=(0,))
    with pytest.raises(ShapeError, match="slice_sizes"):
        P.gather_p.bind(fnp.ones((3, 4)), fnp.zeros((2, 1), dtype=np.int32),
                        dimension_numbers=dn, slice_sizes=(1, 5), mode="clip", fill_value=None)
    with pytest.raises(TypeError, match="integers"):
        P.gather_p.bind(fnp.ones((3, 4)), fnp.zeros((2, 1)),
                        dimension_numbers=dn, slice_sizes=(1, 4), mode="clip", fill_value=None)


def test_take_modes() -> None:
    x = np.arange(10.0).reshape(2, 5)
    fx = fnp.asarray(x)
    np.testing.assert_array_equal(np.asarray(fnp.take(fx, [1, 3], axis=1)),
                                  np.take(x, [1, 3], axis=1))
    np.testing.assert_array_equal(np.asarray(fnp.take(fx, [7, -12], mode="wrap")),
                                  np.take(x, [7, -12], mode="wrap"))
    np.testing.assert_array_equal(np.asarray(fnp.take(fx, [7, 12], axis=1, mode="clip")),
                                  np.take(x, [7, 12], axis=1, mode="clip"))
    np.testing.assert_array_equal(np.asarray(fnp.take(fx, 3)), np.take(x, 3))
    got = fnp.take(fx, IDX([1, 9]), axis=1, mode="fill", fill_value=-1.0)
    np.testing.assert_array_equal(np.asarray(got), [[1.0, -1.0], [6.0, -1.0]])
    got = fg.jit(lambda a, i: fnp.take(a, i, axis=1))(fx, fnp.asarray(IDX([0, 9])))
    assert np.isnan(np.asarray(got)[:, 1]).all()       # traced default: fill with NaN
    with pytest.raises(IndexError):
        fnp.take(fx, [10])


def test_take_along_axis_and_ix() -> None:
    x = np.random.default_rng(0).normal(size=(3, 4))
    ind = np.argsort(x, axis=1)
    np.testing.assert_array_equal(np.asarray(fnp.take_along_axis(fnp.asarray(x), ind, axis=1)),
                                  np.take_along_axis(x, ind, axis=1))
    ind0 = ind[:1, :] % 3
    np.testing.assert_array_equal(np.asarray(fnp.take_along_axis(fnp.asarray(x), ind0, axis=0)),
                                  np.take_along_axis(x, ind0, axis=0))
    with pytest.raises(ValueError, match="broadcast"):
        fnp.take_along_axis(fnp.asarray(x), ind0[:, :3], axis=0)
    ix = fnp.ix_([0, 2], IDX([True, False, True, True]))
    np.testing.assert_array_equal(np.asarray(fnp.asarray(x)[ix]),
                                  x[np.ix_([0, 2], IDX([True, False, True, True]))])


# --------------------------------------------------------------------------- .at[]

UPDATE_IDX = (IDX([0, 0, 2]), slice(1, 3))


@pytest.mark.parametrize("op,ufunc", [("add", np.add), ("multiply", np.multiply),
                                      ("subtract", np.subtract), ("divide", np.divide),
                                      ("min", np.minimum), ("max", np.maximum)])
def test_at_duplicates_accumulate(op: str, ufunc: Any) -> None:
    x = np.arange(12.0).reshape(3, 4) + 1
    v = np.array([[2.0, 3.0], [0.5, 4.0], [9.0, 1.0]])
    want = x.copy()
    ufunc.at(want, UPDATE_IDX, v)
    got = getattr(fnp.asarray(x).at[UPDATE_IDX], op)(v)
    np.testing.assert_allclose(np.asarray(got), want, rtol=1e-15)
    got_jit = fg.jit(lambda a, u: getattr(a.at[UPDATE_IDX], op)(u))(fnp.asarray(x),
                                                                     fnp.asarray(v))
    np.testing.assert_allclose(np.asarray(got_jit), want, rtol=1e-15)


def test_at_set_forms() -> None:
    x = np.arange(12.0).reshape(3, 4)
    fx = fnp.asarray(x)
    for idx, val in [((slice(None, None, 2), [1, 3]), 7.0), ((x > 5,), 0.0),
                     ((slice(None, None, 2),), IDX([1.0, 2, 3, 4])), (([1, 2], None), 5.0)]:
        want = x.copy()
        want[idx] = val
        got = fx.at[idx].set(val)
        assert got.dtype == x.dtype
        np.testing.assert_array_equal(np.asarray(got), want)
    got = fx.at[IDX([1, 2])].power(2)
    want = x.copy()
    want[[1, 2]] **= 2
    np.testing.assert_array_equal(np.asarray(got), want)


def test_at_int_and_bool_dtypes() -> None:
    x = np.arange(6, dtype=np.int32)
    got = fnp.asarray(x).at[IDX([1, 1, 4])].add(2)
    want = x.copy()
    np.add.at(want, [1, 1, 4], 2)
    assert got.dtype == np.int32
    np.testing.assert_array_equal(np.asarray(got), want)
    b = fnp.zeros(4, dtype=bool).at[IDX([0, 2])].set(True)
    np.testing.assert_array_equal(np.asarray(b), [True, False, True, False])
    with pytest.raises(TypeError, match="floating"):
        fnp.asarray(x).at[IDX([0])].divide(2)


def test_at_modes() -> None:
    fx = fnp.arange(4.0)
    np.testing.assert_array_equal(np.asarray(fx.at[IDX([0, 5])].set(9.0, mode="drop")),
                                  [9.0, 1, 2, 3])
    np.testing.assert_array_equal(np.asarray(fx.at[IDX([0, 5])].set(9.0, mode="clip")),
                                  [9.0, 1, 2, 9])
    np.testing.assert_array_equal(np.asarray(fx.at[IDX([0, 5])].get(mode="fill", fill_value=-1)),
                                  [0.0, -1])
    np.testing.assert_array_equal(np.asarray(fx.at[IDX([0, 5])].get(mode="clip")), [0.0, 3])
    got = fg.jit(lambda a, i: a.at[i].add(1.0))(fx, fnp.asarray(IDX([0, 0, 7, -1])))
    np.testing.assert_array_equal(np.asarray(got), [2.0, 1, 2, 4])   # OOB dropped, -1 wraps
    with pytest.raises(IndexError):
        fx.at[IDX([5])].set(1.0)
    with pytest.raises(ValueError, match="mode"):
        fx.at[IDX([0])].set(1.0, mode="bogus")
    with pytest.raises(TypeError, match="unexpected keyword"):
        fx.at[IDX([0])].set(1.0, bogus=True)


# --------------------------------------------------------------------------- transforms

GX = np.random.default_rng(0).normal(size=(4, 5))
GI = IDX([0, 2, 2, 3])
GV = np.random.default_rng(1).normal(size=(4, 2))


def _fd_grad(f: Any, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = eps
        g[i] = (float(f(fnp.asarray(x + e))) - float(f(fnp.asarray(x - e)))) / (2 * eps)
    return g


@pytest.mark.parametrize("name", ["getitem", "mask", "add", "set", "max", "take"])
def test_gradients_match_jax(name: str) -> None:
    import jax
    import jax.numpy as jnp
    fns = {
        "getitem": lambda np_: lambda a: (a[GI, 1:3] ** 2).sum(),
        "mask": lambda np_: lambda a: (a[GX > 0] ** 3).sum(),
        "add": lambda np_: lambda a: (a.at[GI, 1:3].add(GV * a[0, :2]) ** 2).sum(),
        "set": lambda np_: lambda a: (a.at[GI, 1:3].set(GV * a[0, :2]) ** 2).sum(),
        "max": lambda np_: lambda a: (a.at[GI, 1:3].max(a[1, :2]) ** 2).sum(),
        "take": lambda np_: lambda a: (np_.take(a, GI, axis=1) ** 2).sum(),
    }
    got = fg.grad(fns[name](fnp))(GX)
    want = jax.grad(fns[name](jnp))(GX)
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("op", ["multiply", "divide", "min"])
def test_duplicate_update_gradients_vs_finite_differences(op: str) -> None:
    def f(a: Any) -> Any:
        return (getattr(a.at[GI, 1:3], op)(a[1, :2] + 2.0) ** 2).sum()
    np.testing.assert_allclose(np.asarray(fg.grad(f)(GX)), _fd_grad(f, GX), rtol=1e-6,
                               atol=1e-6)


def test_jvp_jit_and_vmap_of_indexing() -> None:
    _, t = fg.jvp(lambda a: a[GI, 1:3], (GX,), (np.ones_like(GX),))
    np.testing.assert_array_equal(np.asarray(t), np.ones((4, 2)))
    g = fg.jit(fg.grad(lambda a: (a.at[GI].add(1.0) ** 2).sum()))(GX)
    want = GX.copy()
    np.add.at(want, GI, 1.0)
    np.testing.assert_allclose(np.asarray(g), 2 * want)
    xs = np.stack([GX, 2 * GX])
    idx = IDX([[0, 1], [3, 3]])
    got = fg.vmap(lambda a, i: a.at[i].add(1.0)[i, 1:])(xs, idx)
    for k in range(2):
        ref = xs[k].copy()
        np.add.at(ref, idx[k], 1.0)
        np.testing.assert_array_equal(np.asarray(got)[k], ref[idx[k], 1:])
