"""funcgrad.numpy's everyday functions (einsum, diagonals, flips, tiling, padding,
convolution, interpolation, nan-reductions, quantiles, histogram, cov...) against
NumPy on values, shapes and dtypes; gradients against JAX (x64); vmap against loops."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as hst

import funcgrad as fg
import funcgrad.numpy as fnp
from funcgrad.errors import UnsupportedError

rng = np.random.default_rng(0)
A = rng.normal(size=(3, 4))
B = rng.normal(size=(4, 5))
SQ = rng.normal(size=(4, 4))
T3 = rng.normal(size=(2, 3, 4))
V = rng.normal(size=6)
IV = np.array([3, -1, 4, 1, -5, 9], np.int32)
NANS = np.array([[1.0, np.nan, 3.0], [np.nan, np.nan, np.nan], [4.0, 5.0, np.nan]])
CPLX = np.array([1 + 2j, -3 + 0.5j, 0j, -1 - 1j])


def _check(got: Any, want: Any, rtol: float = 1e-12) -> None:
    if isinstance(want, (tuple, list)):
        assert isinstance(got, (tuple, list)) and len(got) == len(want)
        for g, w in zip(got, want, strict=True):
            _check(g, w, rtol)
        return
    want = np.asarray(want)
    got_np = np.asarray(got)
    assert got_np.shape == want.shape, (got_np.shape, want.shape)
    assert got_np.dtype == want.dtype, (got_np.dtype, want.dtype)
    if want.dtype.kind in "fc":
        np.testing.assert_allclose(got_np, want, rtol=rtol, atol=1e-13, equal_nan=True)
    else:
        np.testing.assert_array_equal(got_np, want)


CASES: list[tuple[str, Callable[..., Any], tuple[Any, ...], dict[str, Any]]] = [
    # einsum
    ("einsum", "ij,jk->ik", (A, B), {}),
    ("einsum", "ij,jk", (A, B), {}),
    ("einsum", "ii->i", (SQ,), {}),
    ("einsum", "ii", (SQ,), {}),
    ("einsum", "ij->", (A,), {}),
    ("einsum", "ji", (A,), {}),
    ("einsum", "bij,bjk->bik", (T3, np.broadcast_to(B, (2, 4, 5)).copy()), {}),
    ("einsum", "...ij,jk->...ik", (T3, B), {}),
    ("einsum", "i...,i...->...", (A, A), {}),
    ("einsum", "ij,jk,kl->il", (A, B, rng.normal(size=(5, 2))), {}),
    ("einsum", "ij,ij->ij", (A, A[:1]), {}),
    ("einsum", "i,j->ij", (V, V[:3]), {}),
    ("einsum", "iij->j", (np.arange(18.).reshape(3, 3, 2),), {}),
    ("einsum", "ij,jk->ik", (IV.reshape(2, 3), IV.reshape(3, 2)), {}),
    ("einsum", "i,i", (CPLX, CPLX), {}),
    ("einsum", "ij,jk->ik", (A, B), {"optimize": False}),
    # diagonals and triangles
    ("trace", None, (A,), {}), ("trace", None, (A,), {"offset": 1}),
    ("trace", None, (T3,), {"axis1": 1, "axis2": 2}),
    ("trace", None, (IV.reshape(2, 3),), {}),
    ("diagonal", None, (A,), {}), ("diagonal", None, (A,), {"offset": -2}),
    ("diagonal", None, (A,), {"offset": 5}), ("diagonal", None, (T3, 1, 0, 2), {}),
    ("diag", None, (A,), {}), ("diag", None, (V,), {"k": 2}), ("diag", None, (IV,), {"k": -1}),
    ("diagflat", None, (A[:2, :2],), {}),
    ("tri", None, (3, 4, 1), {}), ("tri", None, (3,), {"dtype": np.int32}),
    ("tril", None, (A,), {}), ("tril", None, (T3,), {"k": -1}), ("triu", None, (A,), {"k": 1}),
    ("triu", None, (IV.reshape(2, 3).astype(bool),), {}),
    # flips, rolls, rotations
    ("flip", None, (T3,), {}), ("flip", None, (T3,), {"axis": (0, 2)}),
    ("fliplr", None, (A,), {}), ("flipud", None, (A,), {}),
    ("roll", None, (V, 2), {}), ("roll", None, (A, -1), {"axis": 1}),
    ("roll", None, (A, 7), {}), ("roll", None, (T3, (1, 2), (0, 2)), {}),
    ("rot90", None, (A,), {}), ("rot90", None, (A, 2), {}), ("rot90", None, (T3, 3, (2, 1)), {}),
    # tiling, repeating, splitting, grids
    ("tile", None, (V[:3], 2), {}), ("tile", None, (A, (2, 1, 2)), {}),
    ("tile", None, (T3, (2,)), {}),
    ("repeat", None, (A, 2), {}), ("repeat", None, (A, 2), {"axis": 1}),
    ("repeat", None, (A, np.array([1, 0, 2])), {"axis": 0}),
    ("split", None, (V, 3), {}), ("split", None, (A, [1, 3]), {"axis": 1}),
    ("array_split", None, (V, 4), {}), ("array_split", None, (A, [-1, 10]), {"axis": 1}),
    ("hsplit", None, (A, 2), {}), ("vsplit", None, (SQ, [1]), {}),
    ("meshgrid", None, (V[:2], V[:3]), {}), ("meshgrid", None, (V[:2], V[:3], V[:4]), {}),
    ("meshgrid", None, (V[:2], V[:3]), {"indexing": "ij", "sparse": True}),
    # differences, products, polynomials
    ("diff", None, (V,), {}), ("diff", None, (A,), {"n": 2, "axis": 0}),
    ("diff", None, (IV,), {"prepend": 0, "append": [7, 8]}),
    ("diff", None, (np.array([True, False, False, True]),), {}),
    ("ediff1d", None, (A,), {"to_begin": [-1.0], "to_end": 9}),
    ("kron", None, (A[:2, :2], SQ[:2, :3]), {}), ("kron", None, (V[:2], A), {}),
    ("cross", None, (A[:, :3], B[:3, :3].T), {}),
    ("cross", None, (A[:2, :3].T, A[1:, :3].T), {"axis": 0}),
    ("polyval", None, (np.array([2.0, -1.0, 3.0]), A), {}),
    ("polyval", None, (np.array([1, 2, 3]), IV), {}),
    ("vander", None, (V[:4],), {}), ("vander", None, (IV[:3], 5, True), {}),
    ("trapezoid", None, (A,), {}), ("trapezoid", None, (A, np.array([0.0, 0.5, 2.0, 2.5])), {}),
    ("trapezoid", None, (A,), {"dx": 0.1, "axis": 0}),
    # interpolation
    ("interp", None, (np.array([-1.0, 0.0, 0.3, 1.0, 2.5, 4.0, 9.0, np.nan]),
                      np.array([0.0, 1.0, 2.0, 4.0]), np.array([1.0, -1.0, 3.0, 0.5])), {}),
    ("interp", None, (np.array([-1.0, 0.5, 9.0]), np.array([0.0, 1.0]),
                      np.array([1.0, 2.0])), {"left": -7.0, "right": 7.0}),
    ("interp", None, (np.array([-170.0, 10.0, 190.0, 350.0]), np.array([-180.0, 0.0, 90.0]),
                      np.array([1.0, 2.0, 4.0])), {"period": 360}),
    ("interp", None, (np.array([0.5, 2]), np.array([0, 1, 2]), np.array([1.0, 2j, 3])), {}),
    # elementwise
    ("sinc", None, (np.array([0.0, 1e-9, -0.5, 1.0, 2.25]),), {}),
    ("sinc", None, (IV,), {}),
    ("heaviside", None, (np.array([-1.5, 0.0, 2.0, np.nan]), 0.5), {}),
    ("heaviside", None, (IV, np.int32(7)), {}),
    ("logaddexp2", None, (V, V[::-1]), {}),
    ("nan_to_num", None, (np.array([np.nan, np.inf, -np.inf, 1.0]),), {}),
    ("nan_to_num", None, (np.array([np.nan, np.inf, -np.inf], np.float32),),
     {"nan": 1.0, "posinf": 2.0, "neginf": -2.0}),
    ("nan_to_num", None, (np.array([complex(np.nan, np.inf)]),), {}),
    ("nan_to_num", None, (IV,), {}),
    ("angle", None, (CPLX,), {}), ("angle", None, (CPLX,), {"deg": True}),
    ("angle", None, (np.array([-2.0, 0.0, 3.0]),), {}), ("angle", None, (IV,), {}),
    ("real", None, (CPLX,), {}), ("imag", None, (CPLX,), {}), ("conj", None, (CPLX,), {}),
    ("select", None, ([V > 0.5, V < -0.5], [V, -V]), {"default": 9.0}),
    # nan-reductions
    ("nansum", None, (NANS,), {}), ("nansum", None, (NANS,), {"axis": 1, "keepdims": True}),
    ("nanprod", None, (NANS,), {"axis": 0}), ("nanmean", None, (NANS[[0, 2]],), {"axis": 1}),
    ("nanmax", None, (NANS[[0, 2]],), {"axis": 0}), ("nanmin", None, (NANS[[0, 2]],), {}),
    ("nanvar", None, (NANS[[0, 2]],), {"axis": 1}),
    ("nanstd", None, (NANS[[0, 2]],), {"ddof": 1}),
    ("nanargmax", None, (NANS[[0, 2]],), {"axis": 1}), ("nanargmin", None, (NANS[[0, 2]],), {}),
    ("nancumsum", None, (NANS,), {"axis": 1}), ("nancumprod", None, (NANS,), {}),
    ("nansum", None, (IV,), {}), ("nanmax", None, (IV,), {}),
    ("nanmean", None, (np.array([1.0, np.nan], np.float32),), {}),
    ("ptp", None, (A,), {"axis": 1}), ("count_nonzero", None, (IV * (IV > 1),), {}),
    ("count_nonzero", None, (A > 0,), {"axis": 0}),
    # average, cov, corrcoef
    ("average", None, (A,), {"axis": 1}),
    ("average", None, (A,), {"axis": 0, "weights": np.array([1.0, 2.0, 3.0])}),
    ("average", None, (IV, None, np.arange(6)), {"returned": True}),
    ("average", None, (A,), {"weights": np.abs(A), "keepdims": True}),
    ("cov", None, (A,), {}), ("cov", None, (A,), {"rowvar": False, "bias": True}),
    ("cov", None, (V, V[::-1]), {}), ("cov", None, (V,), {}),
    ("cov", None, (A,), {"fweights": np.array([1, 2, 1, 3]), "aweights": np.abs(A[0])}),
    ("cov", None, (A,), {"aweights": np.abs(A[1]), "ddof": 0}),
    ("cov", None, (IV.reshape(2, 3),), {}),
    ("corrcoef", None, (A,), {}), ("corrcoef", None, (V, V ** 2), {}),
    # quantiles
    ("median", None, (A,), {}), ("median", None, (A,), {"axis": 0, "keepdims": True}),
    ("median", None, (IV,), {}),
    ("quantile", None, (A, 0.3), {"axis": 1}),
    ("quantile", None, (T3, np.array([0.0, 0.25, 1.0])), {"axis": (0, 2)}),
    ("percentile", None, (A, [5, 50, 95]), {"axis": 0, "keepdims": True}),
    ("quantile", None, (np.array([1.0, np.nan, 2.0]), 0.5), {}),
    ("quantile", None, (A.astype(np.float32), 0.5), {}),
    ("nanmedian", None, (NANS[[0, 2]],), {"axis": 1}),
    ("nanquantile", None, (NANS, [0.1, 0.9]), {"axis": 0}),
    ("nanpercentile", None, (NANS[[0, 2]], 40), {}),
    # histogram, bincount
    ("histogram", None, (V,), {}), ("histogram", None, (V,), {"bins": 3, "range": (-1, 1)}),
    ("histogram", None, (V, np.array([-2.0, -0.5, 0.0, 3.0])), {"weights": V ** 2}),
    ("histogram", None, (V,), {"bins": 4, "density": True}),
    ("histogram", None, (np.ones(3),), {"bins": 2}),
    ("histogram_bin_edges", None, (IV,), {"bins": 3}),
    ("bincount", None, (np.array([0, 3, 3, 1]),), {}),
    ("bincount", None, (np.array([0, 3, 3, 1]),), {"weights": np.array([0.5, 1, 2, 3]),
                                                   "minlength": 6}),
]
for _m in ("lower", "higher", "nearest", "midpoint", "inverted_cdf", "averaged_inverted_cdf",
           "closest_observation", "interpolated_inverted_cdf", "hazen", "weibull",
           "median_unbiased", "normal_unbiased"):
    CASES.append(("quantile", None, (V[:5], np.array([0.0, 0.1, 0.4, 0.5, 0.77, 1.0])),
                  {"method": _m}))
PAD_CASES = [
    ((2, 3), "constant", {}), (((1, 0), (2, 1)), "constant", {"constant_values": ((7, 8),)}),
    (((1, 2), (0, 3)), "constant", {"constant_values": ((1, 2), (3, 4))}),
    (1, "edge", {}), (((5, 1), (2, 7)), "reflect", {}), (((5, 1), (2, 9)), "symmetric", {}),
    (((3, 4), (1, 1)), "reflect", {"reflect_type": "odd"}),
    (((3, 4), (6, 1)), "symmetric", {"reflect_type": "odd"}),
    (((7, 5), (2, 11)), "wrap", {}), (((2, 3), (1, 2)), "linear_ramp", {"end_values": (5, -3)}),
    (((2, 1), (1, 2)), "maximum", {}), (((2, 1), (1, 2)), "minimum", {"stat_length": 2}),
    (((2, 1), (1, 2)), "mean", {"stat_length": ((1, 2), (3, 1))}), (((2, 2), (0, 1)), "median", {}),
]
for _w, _mode, _kw in PAD_CASES:
    CASES.append(("pad", None, (A, _w, _mode), _kw))
    CASES.append(("pad", None, (IV.reshape(2, 3), _w, _mode), _kw))
CASES += [("pad", None, (np.arange(1.0, 2.0), 4, "reflect"), {}),
          ("pad", None, (V, ((9, 2),), "reflect"), {})]
for _mode in ("full", "same", "valid"):
    for _a, _v in ((V, V[:3]), (V[:2], V), (IV, IV[:4]), (CPLX, CPLX[:3] * 1j),
                   (CPLX[:2], V[:4])):
        CASES.append(("convolve", None, (_a, _v, _mode), {}))
        CASES.append(("correlate", None, (_a, _v, _mode), {}))


def _np_fn(name: str) -> Callable[..., Any]:
    return getattr(np, name)


@pytest.mark.parametrize("name,spec,args,kwargs", CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_against_numpy(name: str, spec: Any, args: tuple[Any, ...],
                       kwargs: dict[str, Any]) -> None:
    full_args = (spec, *args) if spec is not None else args
    want = _np_fn(name)(*full_args, **kwargs)
    got = getattr(fnp, name)(*full_args, **kwargs)
    _check(got, want)


def test_jit_matches_eager() -> None:
    f = fg.jit(lambda a, b: (fnp.einsum("ij,jk->ik", a, b), fnp.pad(a, 2, mode="reflect"),
                             fnp.median(a, axis=0), fnp.cov(a), fnp.convolve(a[0], b[0])))
    for g, w in zip(f(A, B), (np.einsum("ij,jk->ik", A, B), np.pad(A, 2, mode="reflect"),
                              np.median(A, axis=0), np.cov(A), np.convolve(A[0], B[0])),
                    strict=True):
        _check(g, w)


# ---------------------------------------------------------------------------
# hypothesis sweeps


@given(hst.integers(0, 3), hst.integers(0, 3), hst.integers(1, 4), hst.integers(1, 4),
       hst.sampled_from(["constant", "edge", "reflect", "symmetric", "wrap"]))
def test_pad_widths_hypothesis(b0: int, a1: int, n0: int, n1: int, mode: str) -> None:
    x = np.arange(n0 * n1, dtype=np.float64).reshape(n0, n1)
    w = ((b0, 2 * b0 + 1), (3 * a1, a1))
    _check(fnp.pad(x, w, mode=mode), np.pad(x, w, mode=mode))


@given(hst.integers(-4, 4), hst.integers(1, 4), hst.integers(1, 4), hst.integers(-7, 7))
def test_diagonal_roll_hypothesis(offset: int, n: int, m: int, shift: int) -> None:
    x = np.arange(n * m * 2, dtype=np.float64).reshape(2, n, m)
    _check(fnp.diagonal(x, offset, 1, 2), np.diagonal(x, offset, 1, 2))
    _check(fnp.trace(x, offset, 1, 2), np.trace(x, offset, 1, 2))
    _check(fnp.roll(x, shift, axis=2), np.roll(x, shift, axis=2))
    _check(fnp.tril(x, offset), np.tril(x, offset))


SPECS = ["ab,bc->ac", "abc,cd->abd", "ab,ab->", "ab,cb->ac", "abc,bd,de->ae", "a,a,a->a",
         "ab,b->a", "aab->b", "ab->ba"]


@given(hst.sampled_from(SPECS), hst.integers(1, 3), hst.integers(0, 2 ** 16))
def test_einsum_hypothesis(spec: str, size: int, seed: int) -> None:
    r = np.random.default_rng(seed)
    dims = {ch: size + i % 2 for i, ch in enumerate("abcde")}
    ins = spec.split("->")[0].split(",")
    ops = [r.normal(size=[dims[c] for c in t]) for t in ins]
    _check(fnp.einsum(spec, *ops), np.einsum(spec, *ops), rtol=1e-11)


@given(hst.lists(hst.floats(-1e3, 1e3), min_size=1, max_size=9),
       hst.floats(0, 1), hst.sampled_from(["linear", "lower", "higher", "nearest", "midpoint"]))
def test_quantile_hypothesis(xs: list[float], q: float, method: str) -> None:
    x = np.array(xs)
    _check(fnp.quantile(x, q, method=method), np.quantile(x, q, method=method))


# ---------------------------------------------------------------------------
# transformations: gradients vs JAX (x64), vmap vs loops


GRAD_CASES = [
    (lambda f, x: f.einsum("ij,jk,kl->il", x, x.T, x).sum(), A),
    (lambda f, x: (f.einsum("ii->i", x) ** 2).sum(), SQ),
    (lambda f, x: (f.cov(x) ** 2).sum(), A),
    (lambda f, x: (f.corrcoef(x) * f.arange(9.0).reshape(3, 3)).sum(), A[:, :3]),
    (lambda f, x: (f.pad(x, ((2, 3), (1, 4)), mode="reflect") ** 2).sum(), A),
    (lambda f, x: (f.pad(x, 2, mode="wrap") * f.arange(56.0).reshape(7, 8)).sum(), A),
    (lambda f, x: (f.convolve(x[0], x[1], mode="same") ** 2).sum(), A),
    (lambda f, x: f.trace(x @ x), SQ),
    (lambda f, x: (f.diag(x[0], 1) ** 2).sum() + f.kron(x[0], x[1]).sum(), A),
    (lambda f, x: f.interp(f.array([0.5, 1.5, 2.2]), f.array([0.0, 1.0, 2.0, 3.0]),
                           x[0]).sum(), A),
    (lambda f, x: (f.median(x, axis=1) * f.array([1.0, 2.0, 3.0])).sum(), A),
    (lambda f, x: (f.quantile(x, 0.3, axis=0) ** 2).sum(), A),
    (lambda f, x: f.nanmean(x ** 2) + f.nanvar(x, axis=0).sum(), A),
    (lambda f, x: (f.roll(x, 2, axis=1) * x).sum() + (f.tril(x) ** 2).sum(), A),
    (lambda f, x: (f.sinc(x) ** 2).sum(), np.concatenate([A[0], [0.0]])),
    (lambda f, x: (f.tile(x, (2, 1)) * f.repeat(x, 2, axis=0)).sum(), A),
    (lambda f, x: f.polyval(x[0], x[1]).sum() + f.average(x, axis=0, weights=x[:, 0] ** 2).sum(),
     A),
]


@pytest.mark.parametrize("k", range(len(GRAD_CASES)))
def test_gradients_match_jax(k: int) -> None:
    fn, x = GRAD_CASES[k]
    got = fg.jit(fg.grad(lambda v: fn(fnp, v)))(x)
    want = jax.jit(jax.grad(lambda v: fn(jnp, v)))(jnp.asarray(x))
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-10, atol=1e-12)


def test_vmap_matches_loop() -> None:
    xs = rng.normal(size=(3, 4, 5))
    cases = [
        lambda x: fnp.einsum("ij,kj->ik", x, x),
        lambda x: fnp.pad(x, ((1, 2), (3, 0)), mode="symmetric"),
        lambda x: fnp.median(x, axis=0),
        lambda x: fnp.cov(x),
        lambda x: fnp.convolve(x[0], x[1]),
        lambda x: fnp.diagonal(x, 1),
        lambda x: fnp.histogram(x, bins=3, range=(-1, 1))[0],
        lambda x: fnp.nanmax(x, axis=1),
    ]
    for f in cases:
        batched = np.asarray(fg.vmap(f)(xs))
        loop = np.stack([np.asarray(f(x)) for x in xs])
        np.testing.assert_allclose(batched, loop, rtol=1e-12)
    # a traced shift in roll
    shifts = np.array([0, 1, -7])
    rolled = fg.vmap(lambda x, s: fnp.roll(x, s, axis=1))(xs, shifts)
    for i in range(3):
        np.testing.assert_array_equal(np.asarray(rolled[i]), np.roll(xs[i], shifts[i], axis=1))


# ---------------------------------------------------------------------------
# bad input


def test_bad_input() -> None:
    with pytest.raises(UnsupportedError, match="funcgrad.numpy.trace: the argument out="):
        fnp.trace(A, out=np.zeros(()))
    with pytest.raises(UnsupportedError, match="nansum: the argument out="):
        fnp.nansum(A, out=np.zeros(()))
    with pytest.raises(UnsupportedError, match="einsum: the argument out="):
        fnp.einsum("ij", A, out=A)
    with pytest.raises(UnsupportedError, match="overwrite_input"):
        fnp.median(A, overwrite_input=True)
    with pytest.raises(UnsupportedError, match="callable mode"):
        fnp.pad(A, 1, mode=lambda *a: None)
    with pytest.raises(ValueError, match="mode 'bogus' is not supported"):
        fnp.pad(A, 1, mode="bogus")
    with pytest.raises(ValueError, match="negative"):
        fnp.pad(A, -1)
    with pytest.raises(ValueError, match="can't extend empty axis"):
        fnp.pad(np.zeros((0, 2)), 1, mode="edge")
    with pytest.raises(ValueError, match="does not result in an equal division"):
        fnp.split(V, 4)
    with pytest.raises(ValueError, match="label 'j'"):
        fnp.einsum("ij,jk", A, A)
    with pytest.raises(ValueError, match="does not appear in the input"):
        fnp.einsum("ij->ik", A)
    with pytest.raises(ValueError, match="no '...' ellipsis"):
        fnp.einsum("...i->i", A)
    with pytest.raises(ValueError, match="2 operand subscripts given for 1"):
        fnp.einsum("ij,jk", A)
    with pytest.raises(ValueError, match="Quantiles must be in the range"):
        fnp.quantile(A, 1.5)
    with pytest.raises(ValueError, match="method 'cubic'"):
        fnp.quantile(A, 0.5, method="cubic")
    with pytest.raises(TypeError, match="total_repeat_length"):
        fg.jit(lambda x, r: fnp.repeat(x, r))(V[:3], np.array([1, 2, 0]))
    with pytest.raises(TypeError, match="length="):
        fg.jit(lambda x: fnp.bincount(x))(np.array([1, 2]))
    with pytest.raises(UnsupportedError, match="bin-width estimator"):
        fnp.histogram(V, bins="auto")
    with pytest.raises(ValueError, match="inputs cannot be empty"):
        fnp.convolve(V, np.zeros(0))
    with pytest.raises(ValueError, match="mode must be 'full', 'same' or 'valid'"):
        fnp.correlate(V, V, mode="circular")


def test_traced_repeat_with_total_length() -> None:
    f = fg.jit(lambda x, r: fnp.repeat(x, r, total_repeat_length=5))
    np.testing.assert_array_equal(np.asarray(f(np.array([1.0, 2.0, 3.0]), np.array([2, 0, 3]))),
                                  [1.0, 1.0, 3.0, 3.0, 3.0])
    g = fg.jit(lambda x: fnp.bincount(x, length=4))
    np.testing.assert_array_equal(np.asarray(g(np.array([0, 3, 3]))), [1, 0, 0, 2])


def test_isclose_allclose_array_equal() -> None:
    a = np.array([np.inf, -np.inf, np.inf, np.nan, 1.0, 0.0, 1e10])
    b = np.array([-np.inf, -np.inf, 1.0, np.nan, 1.0 + 1e-6, 1e-9, 1.00001e10])
    for kw in ({}, {"equal_nan": True}, {"rtol": 0.0, "atol": 1e-3}):
        _check(fnp.isclose(a, b, **kw), np.isclose(a, b, **kw))
    u = np.array([0, 255, 7], np.uint8)
    _check(fnp.isclose(u, u[::-1]), np.isclose(u, u[::-1]))
    c = np.array([1 + 1j, np.inf, 2j])
    _check(fnp.isclose(c, np.array([1 + 1j, 1j * np.inf, 2j + 1e-12])),
           np.isclose(c, np.array([1 + 1j, 1j * np.inf, 2j + 1e-12])))
    assert bool(fnp.allclose(A, A + 1e-12)) and not bool(fnp.allclose(A, A + 1e-3))
    assert bool(fnp.array_equal(NANS, NANS, equal_nan=True))
    assert not bool(fnp.array_equal(NANS, NANS))
    assert not bool(fnp.array_equal(A, A[:2]))
