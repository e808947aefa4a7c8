"""NumPy functions beyond the core (sets, index tricks, polynomials, float parts,
calculus, rearranging) under jit, grad and vmap, and their errors; values vs
NumPy live in tests/test_numpy_coverage.py, derivatives are checked vs JAX."""
from __future__ import annotations

import numpy as np
import pytest

import funcgrad as fg
import funcgrad.numpy as fnp
from funcgrad.errors import ConcretizationError, UnsupportedError

A = np.array([3, 1, 2, 3, 5, 1])
B = np.array([1, 4, 3, 3, 7])


@pytest.mark.parametrize("name", ["union1d", "intersect1d", "setdiff1d", "setxor1d"])
def test_set_routines_under_jit_need_size(name: str) -> None:
    want = getattr(np, name)(A, B)
    f = fg.jit(lambda a, b: getattr(fnp, name)(a, b, size=8, fill_value=-1))
    got = np.asarray(f(A, B))
    assert got.tolist() == want.tolist() + [-1] * (8 - want.size)
    with pytest.raises(ConcretizationError, match="size="):
        fg.jit(lambda a, b: getattr(fnp, name)(a, b))(A, B)


def test_intersect1d_indices_under_jit_pad_with_zero() -> None:
    v, i1, i2 = fg.jit(lambda a, b: fnp.intersect1d(a, b, return_indices=True, size=4,
                                                    fill_value=9))(A, B)
    assert v.tolist() == [1, 3, 9, 9] and i1.tolist() == [1, 0, 0, 0]
    assert i2.tolist() == [0, 2, 0, 0]


def test_isin_traced_and_batched() -> None:
    f = fg.jit(fg.vmap(lambda a: fnp.isin(a, fnp.array([1, 3]))))
    assert np.asarray(f(A.reshape(2, 3))).tolist() == np.isin(A, [1, 3]).reshape(2, 3).tolist()
    with pytest.raises(UnsupportedError, match="kind="):
        fnp.isin(A, B, kind="table")


def test_index_helpers_under_jit() -> None:
    r, c = fg.jit(lambda i: fnp.unravel_index(i, (4, 5)))(np.array([7, 19]))
    assert r.tolist() == [1, 3] and c.tolist() == [2, 4]
    flat = fg.jit(lambda i, j: fnp.ravel_multi_index((i, j), (4, 5), mode="wrap"))(
        np.array([1, 5]), np.array([2, -1]))
    assert flat.tolist() == np.ravel_multi_index(([1, 5], [2, -1]), (4, 5), mode="wrap").tolist()
    with pytest.raises(ConcretizationError, match="mode='wrap' or 'clip'"):
        fg.jit(lambda i: fnp.ravel_multi_index((i, i), (4, 5)))(np.array([1]))
    with pytest.raises(ValueError, match="out of bounds"):
        fnp.unravel_index(np.array([20]), (4, 5))
    with pytest.raises(UnsupportedError, match="inplace=False"):
        fnp.fill_diagonal(np.zeros((2, 2)), 1.0)
    grid = fg.jit(lambda: fnp.mgrid[0:1:3j, 0:2])()
    assert np.allclose(np.asarray(grid), np.mgrid[0:1:3j, 0:2])


def test_polyfit_and_roots_differentiate_like_jax() -> None:
    import jax
    import jax.numpy as jnp
    jax.config.update("jax_enable_x64", True)
    x = np.linspace(0.0, 1.0, 9)
    y = np.cos(2 * x)
    g = fg.grad(lambda y: fnp.polyfit(x, y, 3)[0])(y)
    gj = jax.grad(lambda y: jnp.polyfit(x, y, 3)[0])(y)
    np.testing.assert_allclose(np.asarray(g), np.asarray(gj), rtol=1e-8, atol=1e-10)
    p = np.array([1.0, -3.0, 5.0, 2.0])
    r = fg.jit(fnp.roots)(p)
    np.testing.assert_allclose(np.sort_complex(np.asarray(r)), np.sort_complex(np.roots(p)))
    gr = fg.grad(lambda p: fnp.real(fnp.roots(p)).sum())(p)
    grj = jax.grad(lambda p: jnp.real(jnp.roots(p, strip_zeros=False)).sum())(p)
    np.testing.assert_allclose(np.asarray(gr), np.asarray(grj), rtol=1e-8, atol=1e-12)


def test_gradient_unwrap_digitize_transform() -> None:
    import jax
    import jax.numpy as jnp
    jax.config.update("jax_enable_x64", True)
    x = np.array([0.0, 0.5, 1.5, 1.75, 3.0])
    y = np.sin(x)
    g = fg.grad(lambda y: (fnp.gradient(y, x) ** 2).sum())(y)
    gj = jax.grad(lambda y: (jnp.gradient(y, x) ** 2).sum())(y)
    np.testing.assert_allclose(np.asarray(g), np.asarray(gj), rtol=1e-10)
    ph = np.array([0.0, 3.0, 6.5, 1.0, -4.0])
    np.testing.assert_allclose(np.asarray(fg.jit(fnp.unwrap)(ph)), np.unwrap(ph))
    bins = np.array([3.0, 2.0, 1.0])
    f = fg.jit(fg.vmap(lambda v: fnp.digitize(v, bins), in_axes=0))
    assert np.asarray(f(np.array([0.5, 2.5]))).tolist() == np.digitize([0.5, 2.5], bins).tolist()


def test_integer_and_float_parts_compile_and_batch() -> None:
    g = fg.jit(fg.vmap(fnp.gcd))(np.array([12, 0, 35]), np.array([18, 5, 14]))
    assert g.tolist() == [6, 5, 7]
    m, e = fg.jit(fnp.frexp)(np.array([8.0, -0.3, 0.0, np.inf]))
    nm, ne = np.frexp(np.array([8.0, -0.3, 0.0, np.inf]))
    assert np.asarray(m).tolist() == nm.tolist() and np.asarray(e).tolist() == ne.tolist()
    assert e.dtype == np.int32
    assert fg.grad(lambda x: fnp.ldexp(x, 3))(1.5) == 8.0
    import scipy.special
    assert np.isclose(fg.grad(fnp.i0)(1.3), scipy.special.i1(1.3), rtol=1e-12)


def test_apply_along_axis_is_one_vmapped_function() -> None:
    a = np.arange(12.0).reshape(3, 4)
    f = fg.jit(lambda a: fnp.apply_along_axis(lambda v: fnp.stack([v.sum(), v.max()]), 1, a))
    np.testing.assert_allclose(np.asarray(f(a)),
                               np.apply_along_axis(lambda v: [v.sum(), v.max()], 1, a))
    g = fg.grad(lambda a: fnp.apply_along_axis(lambda v: (v ** 2).sum(), 0, a).sum())(a)
    np.testing.assert_allclose(np.asarray(g), 2 * a)


def test_rearranging_errors() -> None:
    with pytest.raises(ConcretizationError, match="static"):
        fg.jit(lambda a, i: fnp.delete(a, i))(np.arange(4.0), np.array(1))
    with pytest.raises(IndexError, match="out of bounds"):
        fnp.insert(np.arange(3), 5, 1)
    with pytest.raises(ConcretizationError, match="size="):
        fg.jit(lambda a: fnp.extract(a > 1, a))(np.arange(4.0))
    with pytest.raises(UnsupportedError, match="inplace=False"):
        fnp.put_along_axis(np.zeros((2, 2)), np.zeros((2, 1), int), 1.0, 1)
    with pytest.raises(ValueError, match="depths are mismatched"):
        fnp.block([[1, 2], 3])
    with pytest.raises(UnsupportedError, match="like="):
        fnp.fromiter(range(3), np.int64, like=np.zeros(1))
    with pytest.raises(ValueError, match="functions are expected"):
        fnp.piecewise(np.arange(3.0), [np.arange(3.0) > 1], [1, 2, 3])
