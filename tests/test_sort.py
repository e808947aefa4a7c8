"""sort, argsort, lexsort, searchsorted, unique, nonzero, argwhere vs NumPy."""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import funcgrad as fg
import funcgrad.numpy as fnp
from funcgrad import primitives as P
from funcgrad.errors import ConcretizationError, ShapeError, UnsupportedError

# few distinct values, so ties (and stability) matter; NaN and signed zeros included
_FLOATS = st.sampled_from([0.0, -0.0, 1.5, -2.0, 3.0, np.inf, -np.inf, np.nan])


def _arrays(dtype: Any) -> st.SearchStrategy[np.ndarray]:
    shapes = hnp.array_shapes(min_dims=1, max_dims=3, max_side=5)
    if np.dtype(dtype).kind == "f":
        return hnp.arrays(dtype, shapes, elements=_FLOATS)
    if np.dtype(dtype).kind == "b":
        return hnp.arrays(dtype, shapes)
    return hnp.arrays(dtype, shapes, elements=st.integers(0, 4))


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int32, np.uint8, np.bool_])
@given(data=st.data())
def test_sort_and_argsort_match_numpy(dtype: Any, data: st.DataObject) -> None:
    x = data.draw(_arrays(dtype))
    axis = data.draw(st.sampled_from([None, -1, 0]))
    got = fnp.sort(x, axis=axis)
    want = np.sort(x, axis=axis, kind="stable")
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(np.asarray(got), want)
    gi = fnp.argsort(x, axis=axis)
    wi = np.argsort(x, axis=axis, kind="stable")
    assert gi.dtype == np.int64
    np.testing.assert_array_equal(np.asarray(gi), wi)


def test_sort_complex_and_signed_zeros() -> None:
    c = np.array([1 + 2j, 1 - 1j, 0 + 5j, np.nan + 0j, -1 + 0j])
    np.testing.assert_array_equal(np.asarray(fnp.sort(c)), np.sort(c))
    z = np.array([0.0, -0.0, 0.0, -0.0])
    np.testing.assert_array_equal(np.asarray(fnp.argsort(z)), [0, 1, 2, 3])   # stable: -0 == 0


def test_argsort_descending_is_stable() -> None:
    x = np.array([3.0, np.nan, -0.0, 0.0, 1.0, -np.inf, 1.0])
    got = np.asarray(fnp.argsort(x, descending=True))
    np.testing.assert_array_equal(got, [1, 0, 4, 6, 2, 3, 5])
    np.testing.assert_array_equal(np.asarray(fnp.sort(x, descending=True)), x[got])


def test_sort_under_jit_and_errors() -> None:
    x = np.random.default_rng(1).normal(size=(3, 4))
    got = fg.jit(lambda a: fnp.argsort(a, axis=0))(fnp.asarray(x))
    np.testing.assert_array_equal(np.asarray(got), np.argsort(x, axis=0, kind="stable"))
    with pytest.raises(UnsupportedError, match="order="):
        fnp.sort(x, order="f")
    with pytest.raises(np.exceptions.AxisError):
        fnp.sort(x, axis=2)
    with pytest.raises(ShapeError, match="share a shape"):
        P.sort_p.bind(fnp.ones(3), fnp.ones(4), dimension=0, is_stable=True, num_keys=1)


def test_lexsort() -> None:
    k1 = np.array([1, 1, 0, 0, 2])
    k2 = np.array([2.0, 1.0, 2.0, 1.0, 0.0])
    np.testing.assert_array_equal(np.asarray(fnp.lexsort((k1, k2))), np.lexsort((k1, k2)))
    ks = np.array([[1, 0, 1], [0, 0, 1]])
    np.testing.assert_array_equal(np.asarray(fnp.lexsort(ks)), np.lexsort(ks))


@given(data=st.data())
def test_searchsorted_matches_numpy(data: st.DataObject) -> None:
    a = np.sort(data.draw(hnp.arrays(np.float64, st.integers(0, 6), elements=_FLOATS)))
    v = data.draw(hnp.arrays(np.float64, hnp.array_shapes(min_dims=0, max_dims=2, max_side=3),
                             elements=_FLOATS))
    for side in ("left", "right"):
        got = fnp.searchsorted(a, v, side=side)
        want = np.searchsorted(a, v, side=side)
        assert got.dtype == np.int64 and got.shape == np.shape(want)
        np.testing.assert_array_equal(np.asarray(got), want)


def test_searchsorted_sorter_jit_and_errors() -> None:
    a = np.array([3, 1, 2])
    s = np.argsort(a)
    np.testing.assert_array_equal(np.asarray(fnp.searchsorted(a, [2, 4], sorter=s)),
                                  np.searchsorted(a, [2, 4], sorter=s))
    f = fg.jit(lambda a, v: fnp.searchsorted(a, v, side="right"))
    np.testing.assert_array_equal(np.asarray(f(fnp.asarray([1, 2, 2]), fnp.asarray([2, 0]))),
                                  [3, 0])
    with pytest.raises(ValueError, match="side"):
        fnp.searchsorted(a, 1, side="middle")
    with pytest.raises(ValueError, match="1-d"):
        fnp.searchsorted(np.ones((2, 2)), 1)


def test_nonzero_and_argwhere() -> None:
    m = np.array([[0, 1, 0], [2, 0, 3]])
    for g, w in zip(fnp.nonzero(m), np.nonzero(m), strict=True):
        assert g.dtype == np.int64
        np.testing.assert_array_equal(np.asarray(g), w)
    got = fnp.nonzero(m, size=5, fill_value=-1)
    np.testing.assert_array_equal(np.asarray(got[0]), [0, 1, 1, -1, -1])
    np.testing.assert_array_equal(np.asarray(got[1]), [1, 0, 2, -1, -1])
    got = fg.jit(lambda m: fnp.nonzero(m, size=2))(fnp.asarray(m))
    np.testing.assert_array_equal(np.asarray(got[0]), [0, 1])
    np.testing.assert_array_equal(np.asarray(got[1]), [1, 0])
    np.testing.assert_array_equal(np.asarray(fnp.argwhere(m)), np.argwhere(m))
    got = fg.jit(lambda m: fnp.argwhere(m > 0, size=4, fill_value=(7, 8)))(fnp.asarray(m))
    np.testing.assert_array_equal(np.asarray(got), [[0, 1], [1, 0], [1, 2], [7, 8]])
    np.testing.assert_array_equal(np.asarray(fnp.flatnonzero(m)), np.flatnonzero(m))
    with pytest.raises(ConcretizationError, match="size="):
        fg.jit(lambda m: fnp.nonzero(m))(fnp.asarray(m))


@given(data=st.data())
def test_unique_with_size_matches_numpy(data: st.DataObject) -> None:
    x = data.draw(hnp.arrays(np.int32, hnp.array_shapes(min_dims=1, max_dims=2, max_side=5),
                             elements=st.integers(-3, 3)))
    vals, idx, inv, cnt = np.unique(x, return_index=True, return_inverse=True,
                                    return_counts=True)
    k = len(vals)
    size = data.draw(st.integers(1, k + 2))
    f = fg.jit(lambda a: fnp.unique(a, return_index=True, return_inverse=True,
                                    return_counts=True, size=size, fill_value=99))
    gv, gi, ginv, gc = f(fnp.asarray(x))
    m = min(size, k)
    assert gv.dtype == x.dtype and gv.shape == (size,)
    np.testing.assert_array_equal(np.asarray(gv)[:m], vals[:m])
    np.testing.assert_array_equal(np.asarray(gv)[m:], 99)
    np.testing.assert_array_equal(np.asarray(gi)[:m], idx[:m])
    np.testing.assert_array_equal(np.asarray(gc)[:m], cnt[:m])
    np.testing.assert_array_equal(np.asarray(gc)[m:], 0)
    np.testing.assert_array_equal(np.asarray(ginv), inv)


def test_unique_concrete_nan_and_errors() -> None:
    x = np.array([np.nan, 1.0, np.nan, 1.0, 0.5])
    np.testing.assert_array_equal(np.asarray(fnp.unique(x)), np.unique(x))
    got = fnp.unique(x, size=3)
    np.testing.assert_array_equal(np.asarray(got), [0.5, 1.0, np.nan])
    np.testing.assert_array_equal(np.asarray(fnp.unique(x, size=4)), [0.5, 1.0, np.nan, 0.5])
    with pytest.raises(ConcretizationError, match="size=n"):
        fg.jit(lambda a: fnp.unique(a))(fnp.asarray(x))


def test_sort_gradient_and_vmap_match_jax() -> None:
    import jax
    import jax.numpy as jnp
    x = np.random.default_rng(0).normal(size=(4, 3))
    w = np.arange(12.0).reshape(4, 3)
    got = fg.grad(lambda a: (fnp.sort(a, axis=0) * w).sum())(x)
    want = jax.grad(lambda a: (jnp.sort(a, axis=0) * w).sum())(x)
    np.testing.assert_allclose(np.asarray(got), np.asarray(want))
    got = fg.vmap(lambda a: fnp.argsort(a))(x)
    np.testing.assert_array_equal(np.asarray(got), np.argsort(x, axis=1, kind="stable"))
