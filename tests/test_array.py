"""fg.Array: repr, conversion to NumPy and Python, astype/reshape/T, len/iter,
immutability and hashing, device_put/device_get, pickling."""
from __future__ import annotations

import copy
import operator
import pickle
import ml_dtypes
import numpy as np
import pytest

import funcgrad as fg
import funcgrad.numpy as fnp

VALUES = [
    np.arange(3.0), np.arange(6).reshape(2, 3), np.ones(2, np.float32), np.array(2.5),
    np.array(-3), np.zeros((0, 2)), np.array([True, False]), np.array([1j, 2 - 1j]),
    np.arange(4, dtype=np.int8), np.arange(3, dtype=np.uint16).reshape(3, 1, 1),
    np.array([1.5, -2.0], ml_dtypes.bfloat16), np.array([0.5, np.inf, np.nan], np.float16),
    np.zeros(0, np.int32), np.array(True),
]


@pytest.mark.parametrize("v", VALUES, ids=lambda v: f"{v.dtype}{list(v.shape)}")
def test_repr_matches_numpy(v: np.ndarray) -> None:
    x = fnp.asarray(v)
    if v.dtype.isbuiltin == 1:     # 2: a user-defined (extension) dtype
        assert repr(x) == repr(v).replace("array(", "Array(")
    else:
        # NumPy's repr of extension dtypes changes between versions (2.4 prints
        # `dtype=dtype(bfloat16)`); ours names the dtype plainly and formats values as NumPy does
        body = np.array2string(v, separator=", ", prefix="Array(")
        assert repr(x) == f"Array({body}, dtype={v.dtype.name})"
    assert str(x) == str(v)


def test_repr_of_weak_values() -> None:
    y = fg.jit(lambda s: s * 2)(3.0)
    assert y.weak_type
    assert repr(y) == "Array(6., dtype=float64, weak_type=True)"


@pytest.mark.parametrize("v", VALUES, ids=lambda v: f"{v.dtype}{list(v.shape)}")
def test_array_conversion(v: np.ndarray) -> None:
    x = fnp.asarray(v)
    assert x.shape == v.shape and x.dtype == v.dtype
    assert x.ndim == v.ndim and x.size == v.size and x.nbytes == v.nbytes
    h = np.asarray(x)
    assert h.shape == v.shape and h.dtype == v.dtype
    np.testing.assert_array_equal(h, v)
    np.testing.assert_array_equal(np.array(x.tolist(), v.dtype).reshape(v.shape), v)
    assert type(x.tolist()) is type(v.tolist())
    if v.dtype.kind != "c":
        np.testing.assert_array_equal(np.asarray(x, dtype=np.float64), v.astype(np.float64))
    if v.dtype != ml_dtypes.bfloat16:      # DLPack has no bfloat16 in NumPy
        np.testing.assert_array_equal(np.from_dlpack(x), v)


def test_host_view_is_read_only_and_copies_are_not() -> None:
    x = fnp.arange(3.0)
    h = np.asarray(x)
    with pytest.raises(ValueError, match="read-only"):
        h[0] = 10.0
    c = np.array(x)             # NumPy copies by default
    c[0] = 10.0
    np.testing.assert_array_equal(np.asarray(x), [0.0, 1.0, 2.0])
    c2 = np.array(x, copy=True)
    assert c2.flags.writeable


def test_item() -> None:
    assert fnp.asarray(2.5).item() == 2.5 and type(fnp.asarray(2.5).item()) is float
    assert type(fnp.asarray(3).item()) is int
    assert fnp.arange(6).reshape(2, 3).item(4) == 4
    assert fnp.arange(6).reshape(2, 3).item((1, 0)) == 3
    with pytest.raises(ValueError):
        fnp.arange(3).item()


def test_python_conversions_on_concrete_arrays() -> None:
    assert bool(fnp.asarray(1.0)) is True and bool(fnp.asarray(0)) is False
    assert int(fnp.asarray(2.9)) == 2 and int(fnp.asarray(-2.9)) == -2
    assert float(fnp.asarray(3)) == 3.0
    assert complex(fnp.asarray(1 + 2j)) == 1 + 2j
    assert operator.index(fnp.asarray(4)) == 4
    assert [10, 11, 12][fnp.asarray(1)] == 11
    with pytest.raises(TypeError, match="integer"):
        operator.index(fnp.asarray(1.0))
    with pytest.raises(ValueError, match="ambiguous"):
        bool(fnp.arange(3))
    assert bool(fnp.ones(1)) is True
    assert f"{fnp.asarray(2.5):.2f}" == "2.50"
    assert f"{fnp.asarray(7):03d}" == "007"


def test_astype() -> None:
    x = fnp.asarray([1.7, -0.5, 0.0])
    for dt in (np.int32, np.bool_, np.float32, np.complex64, ml_dtypes.bfloat16, np.uint8):
        want = np.array([1.7, -0.5, 0.0]).astype(dt) if dt is not np.uint8 else \
            np.array([1, 0, 0], np.uint8)
        got = x.astype(dt) if dt is not np.uint8 else fnp.abs(x).astype(dt)
        assert got.dtype == np.dtype(dt)
        np.testing.assert_array_equal(np.asarray(got), want)
    assert x.astype(float).dtype == np.float64
    with pytest.raises(TypeError, match="not supported"):
        x.astype("U3")


def test_reshape_transpose_properties() -> None:
    a = np.arange(24.0).reshape(2, 3, 4)
    x = fnp.asarray(a)
    np.testing.assert_array_equal(np.asarray(x.reshape(6, 4)), a.reshape(6, 4))
    np.testing.assert_array_equal(np.asarray(x.reshape((4, -1))), a.reshape((4, -1)))
    np.testing.assert_array_equal(np.asarray(x.reshape(-1)), a.reshape(-1))
    np.testing.assert_array_equal(np.asarray(x.T), a.T)
    np.testing.assert_array_equal(np.asarray(x.transpose()), a.transpose())
    np.testing.assert_array_equal(np.asarray(x.transpose((1, 0, 2))), a.transpose((1, 0, 2)))
    np.testing.assert_array_equal(np.asarray(fnp.asarray(3.0).T), np.asarray(3.0))
    with pytest.raises(ValueError):
        x.reshape(5, 5)


def test_len_and_iter() -> None:
    a = np.arange(6).reshape(3, 2)
    x = fnp.asarray(a)
    assert len(x) == 3
    rows = list(x)
    assert len(rows) == 3 and all(isinstance(r, fg.Array) for r in rows)
    np.testing.assert_array_equal(np.asarray(rows[2]), a[2])
    assert list(fnp.zeros((0, 2))) == []
    with pytest.raises(TypeError, match="len"):
        len(fnp.asarray(1.0))
    with pytest.raises(TypeError, match="iteration"):
        iter(fnp.asarray(1.0))
    a, b = fnp.asarray([1, 2])          # unpacking goes through iteration
    assert int(a) == 1 and int(b) == 2


def test_unhashable_and_immutable() -> None:
    x = fnp.arange(3)
    with pytest.raises(TypeError, match="unhashable"):
        hash(x)
    with pytest.raises(TypeError, match=r"\.at\["):
        x[1] = 5
    with pytest.raises(AttributeError):
        x.shape = (3, 1)  # type: ignore[misc]
    with pytest.raises(AttributeError):
        x.extra = 1  # type: ignore[attr-defined]
    y = x
    y += 1                                # rebinding, not mutation
    np.testing.assert_array_equal(np.asarray(x), [0, 1, 2])
    np.testing.assert_array_equal(np.asarray(y), [1, 2, 3])


def test_device_put_and_device_get() -> None:
    d = fg.devices()[0]
    x = fg.device_put(np.arange(3, dtype=np.int16))
    assert isinstance(x, fg.Array) and x.dtype == np.int16 and x.device == d
    assert fg.device_put(x) is x
    assert fg.device_put(x, d) is x
    assert fg.device_put(2.5).dtype == np.float64
    lst = fg.device_put([1, 2])          # a list is a pytree: one Array per leaf
    assert isinstance(lst, list) and [a.dtype for a in lst] == [np.int64, np.int64]
    assert fg.device_put(np.float32(1)).dtype == np.float32
    h = fg.device_get(x)
    assert isinstance(h, np.ndarray) and h.dtype == np.int16
    assert fg.device_get(3) == 3
    assert fg.block_until_ready(x) is x
    assert x.block_until_ready() is x


@pytest.mark.parametrize("v", VALUES, ids=lambda v: f"{v.dtype}{list(v.shape)}")
def test_pickle_round_trip(v: np.ndarray) -> None:
    x = fnp.asarray(v)
    y = pickle.loads(pickle.dumps(x))
    assert isinstance(y, fg.Array)
    assert y.dtype == x.dtype and y.shape == x.shape and y.weak_type == x.weak_type
    np.testing.assert_array_equal(np.asarray(y), v)
    z = copy.deepcopy(x)
    np.testing.assert_array_equal(np.asarray(z), v)


def test_pickle_keeps_weak_type() -> None:
    w = fg.jit(lambda s: s + 1)(1.0)
    assert pickle.loads(pickle.dumps(w)).weak_type


def test_numpy_ufuncs_refuse_arrays_but_operators_defer() -> None:
    # NB: Array sets __array_ufunc__ = None: NumPy ufuncs do not silently pull a device
    # array to the host; mixed operators run funcgrad's reflected operator instead.
    x = fnp.arange(4.0)
    with pytest.raises(TypeError, match="does not support ufuncs"):
        np.sin(x)
    np.testing.assert_allclose(np.sin(np.asarray(x)), np.sin(np.arange(4.0)))
    r = np.ones(4) - x
    assert isinstance(r, fg.Array)
    np.testing.assert_array_equal(np.asarray(r), 1 - np.arange(4.0))
    assert isinstance(np.ones(4) < x, fg.Array)


def test_zero_d_arrays_round_trip_exactly() -> None:
    for v in (2.5, -3, True, np.float32(1.25), 1j):
        x = fnp.asarray(v)
        assert x.shape == () and np.asarray(x).shape == ()
        assert x.item() == v
