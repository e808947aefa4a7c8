"""dtype promotion (NEP 50) against NumPy, bfloat16, and the default-float switch."""
from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import ml_dtypes
import numpy as np
import pytest

import funcgrad as fg
import funcgrad.numpy as fnp
from funcgrad import dtypes
from funcgrad.core import ShapedArray

NUMPY_DTYPES = [np.dtype(t) for t in (np.bool_, np.int8, np.int16, np.int32, np.int64,
                                      np.uint8, np.uint16, np.uint32, np.uint64, np.float16,
                                      np.float32, np.float64, np.complex64, np.complex128)]
BF16 = np.dtype(ml_dtypes.bfloat16)
SCALARS = [True, 3, 2.5, 1j]


@pytest.fixture
def float32_default() -> Iterator[None]:
    fg.config.update("default_float", "float32")
    try:
        yield
    finally:
        fg.config.update("default_float", "float64")


def test_supported_set() -> None:
    assert set(NUMPY_DTYPES) | {BF16} == set(dtypes.SUPPORTED)


@pytest.mark.parametrize("a,b", list(itertools.combinations_with_replacement(NUMPY_DTYPES, 2)),
                         ids=str)
def test_result_type_pairs_match_numpy(a: np.dtype, b: np.dtype) -> None:
    want = np.result_type(a, b)
    assert dtypes.result_type(a, b) == (want, False)
    assert dtypes.result_type(b, a) == (want, False)
    assert fnp.promote_types(a, b) == want


@pytest.mark.parametrize("a", NUMPY_DTYPES, ids=str)
@pytest.mark.parametrize("s", SCALARS, ids=repr)
def test_result_type_with_python_scalars_matches_numpy(a: np.dtype, s: Any) -> None:
    want = np.result_type(a, s)   # NumPy 2 applies NEP 50 to Python scalars here
    assert dtypes.result_type(a, s) == (want, False)
    assert dtypes.result_type(s, a) == (want, False)
    # a weak aval behaves like the Python scalar it came from
    weak = ShapedArray((), dtypes.python_scalar_dtype(s), True)
    assert dtypes.result_type(ShapedArray((2,), a), weak) == (want, False)


@pytest.mark.parametrize("a", [np.int8, np.uint8, np.float16, np.float32, np.complex64])
def test_array_operations_with_python_scalars(a: Any) -> None:
    x = fnp.ones(3, dtype=a)
    for s in SCALARS:
        try:
            want = (np.ones(3, a) * s).dtype
        except (OverflowError, TypeError):   # pragma: no cover - not for these scalars
            continue
        assert (x * s).dtype == want, (a, s)
        assert (s * x).dtype == want, (a, s)


def test_all_weak_promotion() -> None:
    assert dtypes.result_type(1, 2.0) == (np.dtype(np.float64), True)
    assert dtypes.result_type(True, 2) == (np.dtype(np.int64), True)
    assert dtypes.result_type(1.0, 1j) == (np.dtype(np.complex128), True)
    assert dtypes.result_type(True) == (np.dtype(np.bool_), True)


def test_weak_aval_stays_weak_through_python_arithmetic_in_jit() -> None:
    def f(x: Any) -> Any:
        y = x * 2          # x is a weak int64 (a Python int argument)
        assert y.weak_type and y.dtype == np.int64
        return y + fnp.ones(2, fnp.int8)
    out = fg.jit(f)(3)
    assert out.dtype == np.int8
    np.testing.assert_array_equal(np.asarray(out), [7, 7])


@pytest.mark.parametrize("other,want", [
    (BF16, BF16), (np.dtype(np.float16), np.dtype(np.float32)),
    (np.dtype(np.float32), np.dtype(np.float32)), (np.dtype(np.float64), np.dtype(np.float64)),
    (np.dtype(np.int8), BF16), (np.dtype(np.uint8), BF16),
    (np.dtype(np.int16), np.dtype(np.float32)),
    (np.dtype(np.int32), np.dtype(np.float64)), (np.dtype(np.int64), np.dtype(np.float64)),
    (np.dtype(np.bool_), BF16), (np.dtype(np.complex64), np.dtype(np.complex64)),
    (np.dtype(np.complex128), np.dtype(np.complex128)),
])
def test_bfloat16_promotion(other: np.dtype, want: np.dtype) -> None:
    # bfloat16 sits where float16 does in NumPy's lattice; bf16 with f16 needs f32.
    assert dtypes.result_type(BF16, other) == (want, False)
    assert dtypes.result_type(other, BF16) == (want, False)


def test_bfloat16_with_scalars_and_arrays() -> None:
    assert dtypes.result_type(BF16, 2.0) == (BF16, False)
    assert dtypes.result_type(BF16, 2) == (BF16, False)
    assert dtypes.result_type(BF16, 1j) == (np.dtype(np.complex64), False)
    x = fnp.asarray(np.array([1.5, 2.0, -3.0], BF16))
    assert x.dtype == BF16
    y = x * 2.0 + 1
    assert y.dtype == BF16
    np.testing.assert_array_equal(np.asarray(y).astype(np.float32), [4.0, 5.0, -5.0])
    assert (x + fnp.ones(3, fnp.float16)).dtype == np.float32
    assert fnp.sin(x).dtype == BF16
    assert fnp.sum(x).dtype == BF16
    assert x.astype(fnp.float32).dtype == np.float32
    assert fg.jit(lambda v: v * v)(x).dtype == BF16
    assert "bf16[3]" in str(fg.make_ir(lambda v: v * v)(x))


def test_canonicalize() -> None:
    assert dtypes.canonicalize(float) == np.float64
    assert dtypes.canonicalize(int) == np.int64
    assert dtypes.canonicalize(bool) == np.bool_
    assert dtypes.canonicalize(complex) == np.complex128
    assert dtypes.canonicalize("float32") == np.float32
    assert dtypes.canonicalize("bfloat16") == BF16
    with pytest.raises(TypeError, match="not supported"):
        dtypes.canonicalize(np.dtype("U3"))
    with pytest.raises(TypeError, match="not a dtype"):
        dtypes.canonicalize(object())


def test_short_names() -> None:
    names = {np.float64: "f64", np.float32: "f32", np.int8: "i8", np.uint32: "u32",
             np.bool_: "bool", np.complex64: "c64", ml_dtypes.bfloat16: "bf16"}
    for t, n in names.items():
        assert dtypes.short_name(np.dtype(t)) == n


def test_finfo_iinfo() -> None:
    assert fnp.finfo(fnp.float32).eps == np.finfo(np.float32).eps
    assert fnp.finfo(fnp.bfloat16).bits == 16
    assert fnp.iinfo(fnp.int8).min == -128


def test_default_float32(float32_default: None) -> None:
    assert fnp.array([1.0, 2.0]).dtype == np.float32
    assert fnp.zeros(3).dtype == np.float32
    assert fnp.ones((2, 2)).dtype == np.float32
    assert fnp.arange(3.0).dtype == np.float32
    assert fnp.linspace(0, 1, 3).dtype == np.float32
    assert fnp.full(2, 1.5).dtype == np.float32
    assert fnp.array([1j]).dtype == np.complex64
    assert fnp.mean(fnp.arange(4)).dtype == np.float32
    assert (fnp.arange(4) / 2).dtype == np.float32
    assert fnp.eye(2).dtype == np.float32
    # explicit dtypes are honoured, ints unaffected
    assert fnp.zeros(3, fnp.float64).dtype == np.float64
    assert fnp.array([1, 2]).dtype == np.int64
    assert (fnp.zeros(3, fnp.float64) * 2.0).dtype == np.float64
    # Python floats passed to jit are weak float32
    assert fg.jit(lambda x: x * 2)(1.5).dtype == np.float32
    assert "f32[]" in str(fg.make_ir(lambda x: x + 1)(1.5))


def test_default_float_restored() -> None:
    # runs after test_default_float32: the fixture put the default back
    assert fg.config.default_float == "float64"
    assert fnp.zeros(1).dtype == np.float64
    assert fg.jit(lambda x: x * 2)(1.5).dtype == np.float64


def test_config_errors() -> None:
    with pytest.raises(ValueError, match="default_float"):
        fg.config.update("default_float", "float16")
    with pytest.raises(ValueError, match="unknown config option"):
        fg.config.update("no_such_option", 1)
    assert fg.config.default_float == "float64"


def test_jit_cache_respects_default_float() -> None:
    f = fg.jit(lambda: fnp.ones(2) * 0.5)
    assert f().dtype == np.float64
    fg.config.update("default_float", "float32")
    try:
        assert f().dtype == np.float32
    finally:
        fg.config.update("default_float", "float64")
    assert f().dtype == np.float64
