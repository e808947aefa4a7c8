"""Indexing, gather/scatter and ``.at[]`` must never be silently wrong.

The out-of-bounds contract checked here is the table in the docstring of
``funcgrad.numpy._updates.IndexedUpdate``; `_ref_at` is that table written in
NumPy. Everything else is compared with NumPy (and JAX for `lax`).
"""
from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import funcgrad as fg
import funcgrad.lax as flax
import funcgrad.numpy as fnp
from funcgrad.errors import ConcretizationError

MODES = [None, "clip", "fill", "drop", "promise_in_bounds"]
UPDATE_OPS = ["set", "add", "subtract", "multiply", "divide", "power", "min", "max"]


def _eq(got: Any, want: Any) -> None:
    got_np = np.asarray(got)
    want = np.asarray(want)
    assert got_np.shape == want.shape, (got_np.shape, want.shape)
    assert got_np.dtype == want.dtype, (got_np.dtype, want.dtype)
    np.testing.assert_array_equal(got_np, want)


# --------------------------------------------------------------------------- bug 1
# An out-of-bounds traced index must not be clamped into an update.


@pytest.mark.parametrize("i", [7, 4, -5, -100, 2**40])
@pytest.mark.parametrize("op", UPDATE_OPS)
def test_traced_out_of_bounds_scalar_update_is_dropped(op: str, i: int) -> None:
    x = fnp.arange(1.0, 5.0)
    f = fg.jit(lambda a, j: getattr(a.at[j], op)(2.0))
    _eq(f(x, i), np.arange(1.0, 5.0))
    # and the same function still updates an in-bounds index
    want = np.arange(1.0, 5.0)
    want[-1] = {"set": 2.0, "add": 6.0, "subtract": 2.0, "multiply": 8.0, "divide": 2.0,
                "power": 16.0, "min": 2.0, "max": 4.0}[op]
    _eq(f(x, -1), want)


def test_traced_update_in_2d_box_and_modes() -> None:
    x = np.arange(12.0).reshape(3, 4)
    f = fg.jit(lambda a, j: a.at[j, 1:3].set(-1.0))
    _eq(f(fnp.asarray(x), 3), x)
    _eq(f(fnp.asarray(x), -4), x)
    want = x.copy()
    want[2, 1:3] = -1
    _eq(f(fnp.asarray(x), -1), want)
    # explicit modes on a scalar traced index
    g = fg.jit(lambda a, j, mode: a.at[j].set(9.0, mode=mode), static_argnums=2)
    _eq(g(fnp.zeros(4), 7, "clip"), [0.0, 0, 0, 9])
    _eq(g(fnp.zeros(4), -7, "clip"), [9.0, 0, 0, 0])
    _eq(g(fnp.zeros(4), 7, "drop"), np.zeros(4))
    _eq(g(fnp.zeros(4), 7, "fill"), np.zeros(4))
    _eq(g(fnp.zeros(4), -7, "fill"), np.zeros(4))


def test_concrete_out_of_bounds_raises_and_next_call_works() -> None:
    x = fnp.zeros(4)
    for idx in (7, -5, fnp.asarray(7), np.int64(-5), np.array([1, 7])):
        with pytest.raises(IndexError, match="out of bounds for axis 0 with size 4"):
            x.at[idx].set(1.0)
        with pytest.raises(IndexError, match="out of bounds"):
            x[idx]
    _eq(x.at[fnp.asarray(3)].set(1.0), [0.0, 0, 0, 1])
    _eq(fnp.arange(4)[fnp.asarray(-1)], np.int64(3))
    with pytest.raises(IndexError, match="out of bounds"):
        fnp.arange(4)[7]


def test_traced_reads_clamp_fill_and_drop() -> None:
    x = fnp.arange(4.0)
    for f in (fg.jit(lambda a, j: a[j]), fg.jit(lambda a, j: a.at[j].get())):
        _eq(f(x, 7), np.float64(3.0))
        _eq(f(x, -7), np.float64(0.0))
        _eq(f(x, -2), np.float64(2.0))
    get = fg.jit(lambda a, j, mode: a.at[j].get(mode=mode), static_argnums=2)
    assert np.isnan(np.asarray(get(x, 7, "fill")))
    assert np.isnan(np.asarray(get(x, -5, "drop")))
    _eq(get(x, -4, "fill"), np.float64(0.0))
    _eq(get(x, 9, "clip"), np.float64(3.0))
    # default fill values per dtype
    for dt, want in [(np.int32, np.iinfo(np.int32).min), (np.uint8, 255), (np.bool_, True),
                     (np.complex128, complex(np.nan, np.nan))]:
        got = np.asarray(get(fnp.zeros(3, dtype=dt), 5, "fill"))
        assert got.dtype == np.dtype(dt)
        if dt is np.complex128:
            assert np.isnan(got.real)
        else:
            assert got == want
    f = fg.jit(lambda a, j: a.at[j].get(mode="fill", fill_value=-1))
    _eq(f(fnp.arange(4), fnp.asarray([0, 4, -5, -4])), [0, -1, -1, 0])
    with pytest.raises(ValueError, match="cannot be represented"):
        fnp.arange(4).at[np.array([0])].get(mode="fill", fill_value=np.nan)


def test_unsigned_and_narrow_indices_do_not_wrap() -> None:
    x = fnp.arange(4.0)
    f = fg.jit(lambda a, j: a.at[j].set(9.0))
    _eq(f(x, np.uint64(2**64 - 1)), np.arange(4.0))
    _eq(f(x, fnp.asarray([3, 2**64 - 1], dtype=np.uint64)), [0.0, 1, 2, 9])
    _eq(f(x, np.int8(-128)), np.arange(4.0))
    g = fg.jit(lambda a, j: a.at[j].get(mode="fill"))
    assert np.isnan(np.asarray(g(x, np.uint64(2**64 - 1))))
    with pytest.raises(IndexError, match="out of bounds"):
        x[np.array([2**64 - 1], dtype=np.uint64)]


def test_unknown_mode_and_keywords_raise_before_computing() -> None:
    x = fnp.arange(4.0)
    for call in (lambda: x.at[1].set(1.0, mode="wrap"), lambda: x.at[1].get(mode="bogus"),
                 lambda: x.at[np.array([1])].add(1.0, mode="Clip"),
                 lambda: fg.jit(lambda a: a.at[1].power(2.0, mode="nope"))(x)):
        with pytest.raises(ValueError, match="'promise_in_bounds', 'clip', 'drop', 'fill'"):
            call()
    with pytest.raises(TypeError, match="unexpected keyword"):
        x.at[1].get(bogus=True)
    _eq(x.at[1].set(7.0, mode="clip"), [0.0, 7, 2, 3])


def test_out_of_bounds_under_vmap() -> None:
    x = fnp.arange(4.0)
    idx = fnp.asarray([0, 7, -1, -5, 3])
    got = fg.vmap(lambda j: x.at[j].set(-1.0))(idx)
    want = np.tile(np.arange(4.0), (5, 1))
    want[0, 0] = want[2, 3] = want[4, 3] = -1
    _eq(got, want)
    got = fg.vmap(lambda a, j: a.at[j].add(10.0))(fnp.stack([x] * 5), idx)
    want = np.tile(np.arange(4.0), (5, 1))
    want[0, 0] += 10
    want[2, 3] += 10
    want[4, 3] += 10
    _eq(got, want)
    _eq(fg.vmap(lambda j: x[j])(idx), [0.0, 3, 3, 0, 3])
    got = np.asarray(fg.vmap(lambda j: x.at[j].get(mode="fill"))(idx))
    np.testing.assert_array_equal(np.isnan(got), [False, True, False, True, False])
    got = fg.vmap(lambda j: x.at[j].set(-1.0, mode="drop"))(idx[:, None])
    want = np.tile(np.arange(4.0), (5, 1))
    want[0, 0] = want[2, 3] = want[4, 3] = -1
    _eq(got, want)


@pytest.mark.parametrize("i", [7, -5, 2, -1])
def test_gradients_drop_and_clamp_consistently(i: int) -> None:
    x = fnp.arange(1.0, 5.0)
    inb = -4 <= i < 4
    pos = i % 4 if inb else (3 if i >= 4 else 0)

    def loss_set(a: Any, v: Any, j: Any) -> Any:
        return (a.at[j].set(v) ** 2).sum()

    ga, gv = fg.jit(fg.grad(loss_set, argnums=(0, 1)))(x, 3.0, i)
    want_a = 2 * np.arange(1.0, 5.0)
    if inb:
        want_a[pos] = 0
    _eq(ga, want_a)
    _eq(gv, np.float64(6.0 if inb else 0.0))
    gv = fg.jit(fg.grad(lambda v, j: (x.at[j].add(v) ** 2).sum()))(1.0, i)
    _eq(gv, np.float64(2 * (pos + 2) if inb else 0.0))
    for mode in ("drop", "fill", "clip"):
        gv = fg.jit(fg.grad(lambda v, j, m=mode: (x.at[j].multiply(v, mode=m)).sum()))(2.0, i)
        _eq(gv, np.float64(pos + 1 if inb or mode == "clip" else 0.0))
    # a gather's transpose scatters with the same mode
    g = fg.grad(lambda a, j: a.at[j].get(mode="fill") * 3.0)(x, i)
    want = np.zeros(4)
    if inb:
        want[pos] = 3
    _eq(g, want)
    g = fg.jit(fg.grad(lambda a, j: a[j] * 3.0))(x, i)
    want = np.zeros(4)
    want[pos] = 3
    _eq(g, want)
    # forward mode agrees
    _, t = fg.jvp(lambda v: x.at[np.array([i, 0])].set(v, mode="drop"),
                  (fnp.asarray([1.0, 2.0]),), (fnp.asarray([10.0, 20.0]),))
    want = np.zeros(4)
    want[0] = 20
    if inb:
        want[pos] = 10 if pos else 20
    _eq(t, want)


def test_lax_dynamic_slice_wraps_negative_like_jax() -> None:
    x = np.arange(20).reshape(4, 5)
    for starts in ([-1, -2], [-9, 1], [3, 4], [1, -5], [0, 9]):
        want = jax.lax.dynamic_slice(jnp.asarray(x), starts, (2, 2))
        _eq(flax.dynamic_slice(fnp.asarray(x), starts, (2, 2)), np.asarray(want))
        got = fg.jit(lambda a, s: flax.dynamic_slice(a, s, (2, 2)))(fnp.asarray(x), starts)
        _eq(got, np.asarray(want))
        u = np.full((2, 3), -1)
        want = jax.lax.dynamic_update_slice(jnp.asarray(x), jnp.asarray(u), starts)
        _eq(flax.dynamic_update_slice(fnp.asarray(x), fnp.asarray(u), starts), np.asarray(want))
    with pytest.raises(TypeError, match="one start index per dimension"):
        flax.dynamic_slice(fnp.asarray(x), [0], (1, 1))


def test_empty_axis_with_traced_index() -> None:
    e = fnp.zeros((0, 3))
    with pytest.raises(IndexError, match="axis 0 with size 0"):
        fg.jit(lambda a, j: a[j])(e, 0)
    with pytest.raises(IndexError, match="axis 0 with size 0"):
        fg.jit(lambda a, j: a[j])(e, fnp.asarray([0, 1]))
    got = fg.jit(lambda a, j: a.at[j].get(mode="fill"))(e, fnp.asarray([0, 1]))
    assert got.shape == (2, 3) and np.isnan(np.asarray(got)).all()
    _eq(fg.jit(lambda a, j: a.at[j].set(1.0))(e, fnp.asarray([0, 1])), np.zeros((0, 3)))
    _eq(fg.jit(lambda a, j: a[j])(e, fnp.zeros(0, dtype=np.int64)), np.zeros((0, 3)))


# --------------------------------------------------------------------------- bugs 2 and 3

X2 = np.arange(12.0).reshape(3, 4)

STATIC_INDEX_CASES: list[Any] = [
    ((0, 1, 0), (2, 2, 1)),
    ((0, 2),),
    (slice(None), (3, 0)),
    ((0, 1), 1),
    (((0, 1), (2, 0)), (1, 3)),
    (True,),
    (False,),
    (np.bool_(True),),
    (np.bool_(False), Ellipsis),
    (np.array(True),),
    (True, [0, 1]),
    (True, 0),
    (0, True),
    (slice(None), True, [1, 2]),
    ([0, 1], True, [1, 2]),
    (True, False),
    (None, True),
    (True, Ellipsis, True),
    ([[0], [1]], True),
    (True, slice(None), [0, 1]),
    (np.array(True), 1),
    (1, np.array([True, False, True, False])),
    (np.zeros(3, bool),),
    (np.zeros((3, 4), bool),),
    (np.zeros(3, bool), slice(None)),
]


@pytest.mark.parametrize("idx", STATIC_INDEX_CASES, ids=lambda c: repr(c)[:50])
def test_tuples_and_bool_scalars_match_numpy(idx: Any) -> None:
    want = X2[idx]
    _eq(fnp.asarray(X2)[idx], want)
    _eq(fg.jit(lambda a: a[idx])(fnp.asarray(X2)), want)
    # the same index for an update
    ref = X2.copy()
    ref[idx] = -1.0
    _eq(fnp.asarray(X2).at[idx].set(-1.0), ref)
    _eq(fg.jit(lambda a: a.at[idx].set(-1.0))(fnp.asarray(X2)), ref)


def test_device_bool_scalars_and_empty_masks() -> None:
    x = fnp.asarray(X2)
    for b in (True, False):
        _eq(x[fnp.asarray(b)], X2[np.asarray(b)])
        _eq(fg.jit(lambda a, b=b: a[fnp.asarray(b)])(x), X2[np.asarray(b)])
        _eq(x.at[fnp.asarray(b)].add(1.0), X2 + b)
    _eq(fnp.zeros(0)[np.zeros(0, bool)], np.zeros(0)[np.zeros(0, bool)])
    _eq(fnp.zeros((0, 3))[fnp.zeros((0, 3), bool)], np.zeros((0, 3))[np.zeros((0, 3), bool)])
    _eq(fnp.zeros((0, 3))[np.zeros(0, bool)], np.zeros((0, 3))[np.zeros(0, bool)])
    _eq(fnp.zeros((2, 0))[:, np.zeros(0, bool)], np.zeros((2, 0))[:, np.zeros(0, bool)])
    _eq(fg.jit(lambda a: a[np.zeros(0, bool)])(fnp.zeros(0)), np.zeros(0))
    _eq(fnp.asarray(3.0)[True], np.asarray(3.0)[True])
    _eq(fnp.asarray(3.0)[np.bool_(False)], np.asarray(3.0)[np.bool_(False)])
    _eq(fnp.zeros((0, 3)).at[np.zeros(0, bool)].set(1.0), np.zeros((0, 3)))


def test_traced_bool_index_raises_pointing_to_where() -> None:
    x = fnp.asarray(X2)
    with pytest.raises(ConcretizationError, match=r"fnp\.where"):
        fg.jit(lambda a, b: a[b])(x, True)
    # an update keeps the shape, so a traced mask works there (test_mask_updates.py)
    _eq(fg.jit(lambda a, b: a.at[b].set(0.0))(x, fnp.asarray(False)), X2)
    with pytest.raises(ConcretizationError, match=r"fnp\.where"):
        fg.jit(lambda a, m: a[m])(x, X2 > 3)
    _eq(x[True], X2[True])      # nothing was left behind


def test_ragged_tuple_index_is_an_index_error() -> None:
    with pytest.raises(IndexError, match="rectangular"):
        fnp.asarray(X2)[((0, 1), (2,)),]
    with pytest.raises(IndexError, match="shape mismatch"):
        fnp.asarray(X2)[(0, 1), (0, 1, 2)]


# --------------------------------------------------------------------------- bug 4

REPEAT_CASES: list[Any] = [
    (np.zeros(0), 3, None),
    (np.zeros((2, 0)), 2, 0),
    (np.zeros((2, 0)), 2, 1),
    (np.zeros((0, 2)), [1, 2], 1),
    (np.zeros(0), np.zeros(0, np.int64), None),
    (np.zeros(0), [], None),
    (np.arange(3.0), [0, 0, 0], None),
    (np.arange(6.0).reshape(2, 3), [0, 0], 0),
    (np.arange(6.0).reshape(2, 3), [0, 2, 0], 1),
    (np.arange(6.0).reshape(2, 3), 0, None),
]


@pytest.mark.parametrize("case", REPEAT_CASES, ids=lambda c: repr(c)[:40])
def test_repeat_empty_matches_numpy(case: Any) -> None:
    a, r, axis = case
    want = np.repeat(a, r, axis=axis)
    _eq(fnp.repeat(fnp.asarray(a), r, axis=axis), want)
    _eq(fg.jit(lambda x: fnp.repeat(x, r, axis=axis))(fnp.asarray(a)), want)
    if not isinstance(r, int):
        n = int(np.sum(r))
        got = fg.jit(lambda x, rr: fnp.repeat(x, rr, axis=axis, total_repeat_length=n))(
            fnp.asarray(a), fnp.asarray(np.asarray(r, np.int64)))
        _eq(got, want)


def test_repeat_cannot_pad_an_empty_array() -> None:
    with pytest.raises(ValueError, match="empty along axis 0"):
        fnp.repeat(fnp.zeros(0), [], total_repeat_length=2)
    with pytest.raises(ValueError, match="empty along axis 0"):
        fg.jit(lambda x, r: fnp.repeat(x, r, total_repeat_length=2))(
            fnp.zeros(0), fnp.zeros(0, dtype=np.int64))


# --------------------------------------------------------------------------- .at[] vs a reference


def _ref_at(x: np.ndarray, idx: np.ndarray, op: str, vals: np.ndarray, mode: str | None,
            traced: bool, fill: Any) -> Any:
    """The table of `IndexedUpdate`, in NumPy. `idx` indexes axis 0 of `x`; returns the
    expected array, or IndexError where the call must raise."""
    n = x.shape[0]
    flat = np.asarray(idx, np.int64).reshape(-1)
    pos = np.where(flat < 0, flat + n, flat)
    ok = (pos >= 0) & (pos < n)
    if mode is None and not traced and not ok.all():
        return IndexError
    if mode == "clip" or (mode is None and op == "get"):
        pos, ok = np.clip(pos, 0, n - 1), np.ones_like(ok)
    rows = vals.reshape(flat.size, *x.shape[1:]) if op != "get" else None
    if op == "get":
        out = np.empty((flat.size, *x.shape[1:]), x.dtype)
        for k in range(flat.size):
            out[k] = x[pos[k]] if ok[k] else fill
        return out.reshape(np.shape(idx) + x.shape[1:])
    out = x.copy()
    ufunc = {"add": np.add, "subtract": np.subtract, "multiply": np.multiply,
             "divide": np.divide, "min": np.minimum, "max": np.maximum}.get(op)
    for k in range(flat.size):
        if not ok[k]:
            continue
        if op == "set":
            out[pos[k]] = rows[k]
        elif op == "power":          # reads the original value: no compounding
            out[pos[k]] = x[pos[k]] ** rows[k]
        else:
            ufunc.at(out, pos[k], rows[k])
    return out


@st.composite
def _at_case(draw: Any) -> Any:
    shape = draw(st.sampled_from([(4,), (3,), (5, 2), (1,)]))
    n = shape[0]
    scalar = draw(st.booleans())
    ints = st.integers(-2 * n - 1, 2 * n + 1)
    idx = (np.int64(draw(ints)) if scalar else
           np.asarray(draw(st.lists(ints, min_size=1, max_size=5)), np.int64))
    op = draw(st.sampled_from(UPDATE_OPS + ["get"]))
    mode = draw(st.sampled_from(MODES))
    if mode == "promise_in_bounds":      # only meaningful in bounds
        idx = np.where((idx < -n) | (idx >= n), idx % n, idx).astype(np.int64)
    return shape, idx, op, mode


@given(case=_at_case(), seed=st.integers(0, 2**16))
def test_at_matches_reference_eager_and_jit(case: Any, seed: int) -> None:
    shape, idx, op, mode = case
    rng = np.random.default_rng(seed)
    n = shape[0]
    x = rng.uniform(0.5, 2.0, size=shape).round(2)
    flat = idx.reshape(-1)
    pos = np.where(flat < 0, flat + n, flat)
    if mode == "clip":
        pos = np.clip(pos, 0, n - 1)
    # updates that hit the same position agree for set/power (XLA keeps any one of them)
    by_pos = rng.uniform(0.5, 2.0, size=(2 * n + 2, *shape[1:])).round(2)
    vals = by_pos[np.clip(pos, -n - 1, n)].reshape(np.shape(idx) + shape[1:])
    if op not in ("set", "power"):
        vals = rng.uniform(0.5, 2.0, size=vals.shape).round(2)
    fill = -7.0

    def call(a: Any, i: Any, v: Any) -> Any:
        ref = a.at[i]
        if op == "get":
            return ref.get(mode=mode, fill_value=fill) if mode else ref.get()
        return getattr(ref, op)(v, mode=mode)

    def run(traced: bool) -> Any:
        if traced:
            return fg.jit(call)(fnp.asarray(x), fnp.asarray(idx), fnp.asarray(vals))
        return call(fnp.asarray(x), int(idx) if idx.ndim == 0 else idx, fnp.asarray(vals))

    for traced in (False, True):
        want = _ref_at(x, idx, op, vals, mode, traced, fill)
        if want is IndexError:
            with pytest.raises(IndexError, match="out of bounds"):
                run(traced)
            continue
        got = run(traced)
        assert np.asarray(got).shape == want.shape and np.asarray(got).dtype == want.dtype
        np.testing.assert_allclose(np.asarray(got), want, rtol=1e-13, atol=0)


@given(data=st.data())
def test_at_with_numpy_ufunc_at_in_bounds(data: st.DataObject) -> None:
    """In bounds, with duplicates and integer dtypes: the same result as np.<ufunc>.at."""
    dt = data.draw(st.sampled_from([np.int64, np.float64, np.int32]))
    n = data.draw(st.integers(1, 5))
    idx = np.asarray(data.draw(st.lists(st.integers(-n, n - 1), min_size=0, max_size=6)),
                     np.int64)
    x = np.asarray(data.draw(st.lists(st.integers(-5, 5), min_size=n, max_size=n)), dt)
    v = np.asarray(data.draw(st.lists(st.integers(-3, 3), min_size=idx.size,
                                      max_size=idx.size)), dt)
    op, uf = data.draw(st.sampled_from([("add", np.add), ("multiply", np.multiply),
                                        ("min", np.minimum), ("max", np.maximum)]))
    want = x.copy()
    uf.at(want, idx, v)
    _eq(getattr(fnp.asarray(x).at[idx], op)(fnp.asarray(v)), want)
    f = fg.jit(lambda a, i, u: getattr(a.at[i], op)(u))
    _eq(f(fnp.asarray(x), fnp.asarray(idx), fnp.asarray(v)), want)


# --------------------------------------------------------------------------- x[idx] vs NumPy


@st.composite
def _index(draw: Any) -> Any:
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=3)))
    arr_shape = draw(st.sampled_from([(2,), (1,), (2, 1), (3,)]))
    entries: list[Any] = []
    dim = 0
    used_ellipsis = False
    while dim < len(shape):
        n = shape[dim]
        kind = draw(st.sampled_from(["int", "slice", "slice", "arr", "list", "tuple", "mask",
                                     "none", "bool0", "ellipsis", "stop"]))
        if kind == "stop":
            break
        if kind == "int":
            entries.append(draw(st.integers(-n, n - 1)))
        elif kind == "slice":
            start = draw(st.none() | st.integers(-n - 2, n + 2))
            stop = draw(st.none() | st.integers(-n - 2, n + 2))
            step = draw(st.none() | st.sampled_from([1, 2, 3, -1, -2]))
            entries.append(slice(start, stop, step))
        elif kind in ("arr", "list", "tuple"):
            a = np.asarray(draw(st.lists(st.integers(-n, n - 1), min_size=int(np.prod(
                arr_shape)), max_size=int(np.prod(arr_shape))))).reshape(arr_shape)
            entries.append(a if kind == "arr" else a.tolist() if kind == "list"
                           else tuple(map(tuple, a)) if a.ndim == 2 else tuple(a.tolist()))
        elif kind == "mask":
            entries.append(np.asarray(draw(st.lists(st.booleans(), min_size=n, max_size=n))))
        elif kind == "none":
            entries.append(None)
            continue
        elif kind == "bool0":
            b = draw(st.booleans())
            entries.append(draw(st.sampled_from([b, np.bool_(b), np.asarray(b)])))
            continue
        elif kind == "ellipsis":
            if used_ellipsis:
                continue
            used_ellipsis = True
            entries.append(Ellipsis)
            rest = draw(st.integers(0, len(shape) - dim))
            dim = len(shape) - rest
            continue
        dim += 1
    return shape, tuple(entries)


def _is_int_array(e: Any) -> bool:
    return isinstance(e, np.ndarray) and e.dtype.kind == "i" and e.ndim > 0


@given(case=_index())
def test_getitem_every_index_kind_matches_numpy(case: Any) -> None:
    shape, idx = case
    x = np.arange(float(np.prod(shape))).reshape(shape)
    try:
        want = x[idx]
    except IndexError:
        with pytest.raises(IndexError):
            fnp.asarray(x)[idx]
        return
    _eq(fnp.asarray(x)[idx], want)
    # under jit: integer arrays are traced arguments, the rest is static
    pos = [k for k, e in enumerate(idx) if _is_int_array(e)]

    def f(a: Any, *arrs: Any) -> Any:
        full = list(idx)
        for k, v in zip(pos, arrs, strict=True):
            full[k] = v
        return a[tuple(full)]

    _eq(fg.jit(f)(fnp.asarray(x), *(fnp.asarray(idx[k]) for k in pos)), want)
