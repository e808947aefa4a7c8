"""funcgrad.scipy.ndimage.map_coordinates and funcgrad.scipy.interpolate.RegularGridInterpolator
against SciPy and JAX (x64): values, dtypes, gradients, jit, vmap and errors."""
from __future__ import annotations

import jax
import jax.scipy.interpolate as jinterp
import jax.scipy.ndimage as jnd
import numpy as np
import pytest
import scipy.interpolate as sinterp
import scipy.ndimage as snd

import funcgrad as fg
import funcgrad.numpy as fnp
from funcgrad.scipy.interpolate import RegularGridInterpolator
from funcgrad.scipy.ndimage import map_coordinates

RNG = np.random.default_rng(1)
IMG = RNG.normal(size=(5, 6))
COORDS = [RNG.uniform(-2, 7, size=(4, 3)), RNG.uniform(-2, 8, size=(4, 3))]
COORDS[0][0, 0], COORDS[1][0, 1] = 1.5, -0.5     # exact halves for order 0's rounding
MODES = ("constant", "nearest", "wrap", "mirror", "reflect")
SCIPY_MODE = {"constant": "grid-constant", "wrap": "grid-wrap"}


def test_map_coordinates_matches_jax_and_scipy():
    mc = fg.jit(map_coordinates, static_argnames=("order", "mode"))
    for order in (0, 1):
        for mode in MODES:
            got = mc(IMG, COORDS, order=order, mode=mode, cval=0.5)
            want = jnd.map_coordinates(IMG, COORDS, order, mode, 0.5)
            np.testing.assert_allclose(np.asarray(got), np.asarray(want), atol=1e-12)
            if order == 1:
                ref = snd.map_coordinates(IMG, np.array(COORDS), order=1,
                                          mode=SCIPY_MODE.get(mode, mode), cval=0.5)
                np.testing.assert_allclose(np.asarray(got), ref, atol=1e-12)
    ints = np.arange(30).reshape(5, 6)
    got = map_coordinates(ints, COORDS, 1, mode="nearest")
    assert got.dtype == np.int64
    np.testing.assert_array_equal(np.asarray(got),
                                  np.asarray(jnd.map_coordinates(ints, COORDS, 1, "nearest")))
    grid_wrap = map_coordinates(IMG, COORDS, 1, mode="grid-wrap")
    np.testing.assert_allclose(np.asarray(grid_wrap),
                               np.asarray(map_coordinates(IMG, COORDS, 1, mode="wrap")))
    f32 = map_coordinates(IMG.astype(np.float32), COORDS, 1)
    assert f32.dtype == np.float32


def test_map_coordinates_grads_and_vmap():
    def loss(mod_fn, img, c0, c1):
        return (mod_fn(img, [c0, c1], 1, mode="mirror") ** 2).sum()

    got = fg.grad(lambda *a: loss(map_coordinates, *a), argnums=(0, 1, 2))(IMG, *COORDS)
    want = jax.jit(jax.grad(lambda *a: loss(jnd.map_coordinates, *a),
                            argnums=(0, 1, 2)))(IMG, *COORDS)
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(np.asarray(g), np.asarray(w), atol=1e-12)
    imgs = RNG.normal(size=(3, 5, 6))
    batched = fg.vmap(lambda im: map_coordinates(im, COORDS, 1))(imgs)
    want = np.stack([np.asarray(jnd.map_coordinates(im, COORDS, 1)) for im in imgs])
    np.testing.assert_allclose(np.asarray(batched), want, atol=1e-12)


def test_map_coordinates_errors():
    with pytest.raises(ValueError, match="length input.ndim"):
        map_coordinates(IMG, COORDS[:1], 1)
    with pytest.raises(NotImplementedError, match="order must be 0 or 1"):
        map_coordinates(IMG, COORDS, 3)
    with pytest.raises(NotImplementedError, match="mode 'grid-nearest'"):
        map_coordinates(IMG, COORDS, 1, mode="grid-nearest")


POINTS = (np.sort(RNG.uniform(0, 1, 5)), np.linspace(0, 2, 4), np.array([0.0, 1.0, 3.0]))
VALUES = RNG.normal(size=(5, 4, 3, 2))
XI = np.column_stack([RNG.uniform(-0.1, 1.1, 7), RNG.uniform(-0.1, 2.1, 7),
                      RNG.uniform(-0.5, 3.5, 7)])


def test_regular_grid_interpolator_matches_scipy():
    for method in ("linear", "nearest"):
        for fill in (np.nan, None, 0.0):
            got = RegularGridInterpolator(POINTS, VALUES, method, fill_value=fill)(XI)
            want = sinterp.RegularGridInterpolator(POINTS, VALUES, method, bounds_error=False,
                                                   fill_value=fill)(XI)
            np.testing.assert_allclose(np.asarray(got), want, atol=1e-12)
    descending = (POINTS[0][::-1],) + POINTS[1:]
    got = RegularGridInterpolator(descending, VALUES[::-1])(XI[:, :3])
    want = sinterp.RegularGridInterpolator(descending, VALUES[::-1], bounds_error=False)(XI)
    np.testing.assert_allclose(np.asarray(got), want, atol=1e-12)
    interp = RegularGridInterpolator(POINTS, VALUES)
    as_tuple = interp((XI[:, 0], XI[:, 1], XI[:, 2]))
    np.testing.assert_allclose(np.asarray(as_tuple), np.asarray(interp(XI)), equal_nan=True)
    nearest = interp(XI, method="nearest")
    want = sinterp.RegularGridInterpolator(POINTS, VALUES, bounds_error=False)(XI,
                                                                              method="nearest")
    np.testing.assert_allclose(np.asarray(nearest), want, atol=1e-12)


def test_regular_grid_interpolator_pytree_jit_grad_vmap():
    interp = RegularGridInterpolator(POINTS, VALUES, fill_value=None)
    call = fg.jit(lambda it, x: it(x))
    np.testing.assert_allclose(np.asarray(call(interp, XI)), np.asarray(interp(XI)),
                               atol=1e-12)

    def loss(cls, values, xi):
        return (cls(POINTS, values, fill_value=None)(xi) ** 2).sum()

    got = fg.jit(fg.grad(lambda v, x: loss(RegularGridInterpolator, v, x),
                         argnums=(0, 1)))(VALUES, XI)
    want = jax.jit(jax.grad(lambda v, x: loss(jinterp.RegularGridInterpolator, v, x),
                            argnums=(0, 1)))(VALUES, XI)
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(np.asarray(g), np.asarray(w), atol=1e-10)
    stacks = RNG.normal(size=(3,) + VALUES.shape)
    batched = fg.jit(fg.vmap(lambda v: RegularGridInterpolator(POINTS, v)(XI[:2] * 0.5)))(stacks)
    want = np.stack([sinterp.RegularGridInterpolator(POINTS, v, bounds_error=False)(XI[:2] * 0.5)
                     for v in stacks])
    np.testing.assert_allclose(np.asarray(batched), want, atol=1e-12)
    leaves = fg.tree.leaves(interp)
    assert len(leaves) == 4 and fnp.shape(leaves[3]) == VALUES.shape   # fill None: no leaf


def test_regular_grid_interpolator_errors():
    with pytest.raises(ValueError, match="method must be"):
        RegularGridInterpolator(POINTS, VALUES, method="cubic")
    with pytest.raises(NotImplementedError, match="bounds_error"):
        RegularGridInterpolator(POINTS, VALUES, bounds_error=True)
    with pytest.raises(ValueError, match="strictly ascending or descending"):
        RegularGridInterpolator((np.array([0.0, 2.0, 1.0]),), np.ones(3))
    with pytest.raises(ValueError, match="match values' length"):
        RegularGridInterpolator((np.arange(4.0),), np.ones(3))
    with pytest.raises(ValueError, match="dimension 2, but the grid has dimension 3"):
        RegularGridInterpolator(POINTS, VALUES)(np.ones((4, 2)))
    with pytest.raises(ValueError, match="cannot be cast"):
        RegularGridInterpolator(POINTS, VALUES, fill_value=1j)
