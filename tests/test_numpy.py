"""funcgrad.numpy against NumPy: values and dtypes (NEP 50 promotion with weak
Python scalars), creation, reductions, contractions, shape functions,
where/clip, basic indexing (eager and under jit) and ``.at[]`` updates."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import funcgrad as fg
import funcgrad.numpy as fnp


def check(got: Any, want: Any, rtol: float = 1e-12, atol: float = 1e-12) -> None:
    """`got` is an Array with `want`'s shape and dtype and (nearly) its values."""
    want = np.asarray(want)
    assert isinstance(got, fg.Array), type(got)
    assert got.dtype == want.dtype, f"dtype {got.dtype}, NumPy gives {want.dtype}"
    assert got.shape == want.shape, f"shape {got.shape}, NumPy gives {want.shape}"
    if want.dtype.kind in "fc":
        np.testing.assert_allclose(np.asarray(got), want, rtol=rtol, atol=atol, equal_nan=True)
    else:
        np.testing.assert_array_equal(np.asarray(got), want)


def pair(np_value: np.ndarray) -> tuple[Any, np.ndarray]:
    return fnp.asarray(np_value), np_value


# ---------------------------------------------------------------------------
# dtypes of arithmetic (NEP 50)

_F32 = np.arange(3, dtype=np.float32)
_I8 = np.arange(3, dtype=np.int8)
_U8 = np.arange(3, dtype=np.uint8)
_I32 = np.arange(1, 4, dtype=np.int32)
_I64 = np.arange(1, 4, dtype=np.int64)
_F64 = np.linspace(0.5, 2.0, 3)
_B = np.array([True, False, True])

PROMOTION_CASES: list[tuple[str, Callable[[Any, Any], Any], Any, Any]] = [
    ("f32*2.0", lambda a, b: a * b, _F32, 2.0),
    ("2.0*f32", lambda a, b: a * b, 2.0, _F32),
    ("f32+1", lambda a, b: a + b, _F32, 1),
    ("i8+1", lambda a, b: a + b, _I8, 1),
    ("u8-1", lambda a, b: a - b, _U8, 1),
    ("i8*2.5", lambda a, b: a * b, _I8, 2.5),
    ("i32/i32", lambda a, b: a / b, _I32, _I32),
    ("i8/i8", lambda a, b: a / b, _I8 + 1, _I8 + 1),
    ("i64//2", lambda a, b: a // b, _I64, 2),
    ("-i64//2", lambda a, b: a // b, -_I64, 2),
    ("i64%-2", lambda a, b: a % b, _I64, -2),
    ("f64%-1.5", lambda a, b: a % b, _F64, -1.5),
    ("i8+i32", lambda a, b: a + b, _I8, _I32),
    ("u8+i8", lambda a, b: a + b, _U8, _I8),
    ("i64+u64", lambda a, b: a + b, _I64, np.arange(3, dtype=np.uint64)),
    ("f32+i64", lambda a, b: a + b, _F32, _I64),
    ("f32+f64", lambda a, b: a + b, _F32, _F64),
    ("f16+i8", lambda a, b: a + b, _F32.astype(np.float16), _I8),
    ("f16+i16", lambda a, b: a + b, _F32.astype(np.float16), _I8.astype(np.int16)),
    ("b+b", lambda a, b: a + b, _B, _B),
    ("b*b", lambda a, b: a * b, _B, _B),
    ("b+1", lambda a, b: a + b, _B, 1),
    ("b+1.5", lambda a, b: a + b, _B, 1.5),
    ("i32+1.5", lambda a, b: a + b, _I32, 1.5),
    ("f32+1j", lambda a, b: a + b, _F32, 1j),
    ("c64*2.0", lambda a, b: a * b, _F32.astype(np.complex64), 2.0),
    ("f32**2", lambda a, b: a ** b, _F32, 2),
    ("f32**0.5", lambda a, b: a ** b, _F32, 0.5),
    ("i32**2", lambda a, b: a ** b, _I32, 2),
    ("2**i32", lambda a, b: a ** b, 2, _I32),
    ("2.0**f32", lambda a, b: a ** b, 2.0, _F32),
    ("i32<1.5", lambda a, b: a < b, _I32, 1.5),
    ("f32==1", lambda a, b: a == b, _F32, 1),
    ("i8&1", lambda a, b: a & b, _I8, 1),
    ("i32<<2", lambda a, b: a << b, _I32, 2),
    ("u8>>1", lambda a, b: a >> b, _U8, 1),
    ("b|b", lambda a, b: a | b, _B, _B),
    ("b^True", lambda a, b: a ^ b, _B, True),
]


@pytest.mark.parametrize("name,f,a,b", PROMOTION_CASES, ids=[c[0] for c in PROMOTION_CASES])
def test_operator_promotion_matches_numpy(name: str, f: Callable[[Any, Any], Any],
                                          a: Any, b: Any) -> None:
    want = f(a, b)
    fa = fnp.asarray(a) if isinstance(a, np.ndarray) else a
    fb = fnp.asarray(b) if isinstance(b, np.ndarray) else b
    check(f(fa, fb), want)
    check(fg.jit(f)(fa, fb), want)


def test_weak_scalars_never_upcast() -> None:
    x = fnp.ones(3, dtype=fnp.float32)
    assert (x * 2.0).dtype == np.float32
    assert (x + 10**6).dtype == np.float32
    assert fnp.add(fnp.ones(2, fnp.int8), 1).dtype == np.int8
    assert fnp.multiply(fnp.ones(2, fnp.bfloat16), 2.0).dtype == fnp.dtype(fnp.bfloat16)
    # Python-scalar-only arithmetic inside jit gives the defaults
    assert fg.jit(lambda: fnp.asarray(1.0) + 2)().dtype == np.float64
    assert fnp.asarray(3).dtype == np.int64
    assert fnp.asarray(True).dtype == np.bool_


def test_defaults_are_64_bit() -> None:
    assert fnp.array([1.0, 2.0]).dtype == np.float64
    assert fnp.array([1, 2]).dtype == np.int64
    assert fnp.zeros(3).dtype == np.float64
    assert fnp.arange(3).dtype == np.int64
    assert fnp.arange(3.0).dtype == np.float64
    assert fnp.linspace(0, 1, 5).dtype == np.float64
    assert fnp.mean(fnp.arange(4)).dtype == np.float64
    assert (fnp.arange(4) / 2).dtype == np.float64


def test_int8_overflowing_python_int_raises_like_numpy() -> None:
    with pytest.raises(OverflowError):
        np.arange(3, dtype=np.int8) + 1000
    with pytest.raises(OverflowError):
        fnp.arange(3, dtype=fnp.int8) + 1000


# ---------------------------------------------------------------------------
# ufuncs vs NumPy over drawn shapes and dtypes

UNARY_UFUNCS: dict[str, tuple[tuple[Any, ...], tuple[float, float]]] = {
    "negative": ((np.float64, np.int32), (-3, 3)),
    "abs": ((np.float64, np.int8, np.complex128), (-3, 3)),
    "exp": ((np.float64, np.float32, np.int32), (-3, 3)),
    "log": ((np.float64, np.float32, np.int64), (0.5, 5)),
    "log2": ((np.float64,), (0.5, 5)),
    "log10": ((np.float32,), (0.5, 5)),
    "sqrt": ((np.float64, np.int16), (0, 5)),
    "square": ((np.float64, np.int32), (-3, 3)),
    "reciprocal": ((np.float64,), (0.5, 3)),
    "sin": ((np.float64, np.int8, np.bool_), (-3, 3)),
    "tanh": ((np.float32,), (-3, 3)),
    "arcsin": ((np.float64,), (-0.9, 0.9)),
    "floor": ((np.float64, np.int32), (-3, 3)),
    "ceil": ((np.float32,), (-3, 3)),
    "trunc": ((np.float64,), (-3, 3)),
    "rint": ((np.float64,), (-3, 3)),
    "sign": ((np.float64, np.int32), (-3, 3)),
    "isfinite": ((np.float64, np.int32), (-3, 3)),
    "isnan": ((np.float32,), (-3, 3)),
    "logical_not": ((np.float64, np.bool_), (-1, 1)),
    "invert": ((np.int32, np.bool_, np.uint8), (0, 5)),
    "deg2rad": ((np.float64,), (-3, 3)),
    "cbrt": ((np.float64,), (-3, 3)),
    "expm1": ((np.float32,), (-1, 1)),
}


def _values(dtype: Any, shape: tuple[int, ...], lo: float, hi: float) -> st.SearchStrategy:
    dt = np.dtype(dtype)
    if dt == np.bool_:
        return hnp.arrays(dt, shape)
    if dt.kind in "iu":
        return hnp.arrays(dt, shape, elements=st.integers(max(int(lo), int(np.iinfo(dt).min)),
                                                          int(hi)))
    if dt.kind == "c":
        return hnp.arrays(dt, shape, elements=st.complex_numbers(max_magnitude=hi,
                                                                 allow_nan=False))
    # NB: no subnormals: XLA on CPU flushes them to zero, NumPy does not.
    return hnp.arrays(np.float64, shape, elements=st.floats(lo, hi, allow_subnormal=False)).map(
        lambda a: a.astype(dt))


@pytest.mark.parametrize("name", sorted(UNARY_UFUNCS))
@given(data=st.data())
def test_unary_ufunc(name: str, data: st.DataObject) -> None:
    dtypes, (lo, hi) = UNARY_UFUNCS[name]
    dt = data.draw(st.sampled_from(dtypes))
    shape = data.draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=3))
    a = data.draw(_values(dt, shape, lo, hi))
    with np.errstate(all="ignore"):
        want = getattr(np, name)(a)
    tol = 1e-5 if np.asarray(want).dtype in (np.float32, np.complex64) else 1e-12
    check(getattr(fnp, name)(fnp.asarray(a)), want, tol, tol)


BINARY_UFUNCS: dict[str, tuple[tuple[Any, ...], tuple[float, float], tuple[float, float]]] = {
    "add": ((np.float64, np.int32, np.bool_), (-3, 3), (-3, 3)),
    "subtract": ((np.float32, np.uint8), (0, 3), (0, 3)),
    "multiply": ((np.float64, np.int64, np.complex64), (-3, 3), (-3, 3)),
    "divide": ((np.float64, np.int32, np.float32), (-3, 3), (1, 3)),
    "floor_divide": ((np.float64, np.int32, np.int8), (-9, 9), (1, 3)),
    "remainder": ((np.float64, np.int32), (-9, 9), (1, 4)),
    "fmod": ((np.float64, np.int64), (-9, 9), (1, 4)),
    "power": ((np.float64, np.float32), (0.5, 3), (-2, 2)),
    "maximum": ((np.float64, np.int32, np.bool_), (-3, 3), (-3, 3)),
    "minimum": ((np.float32, np.uint8), (0, 3), (0, 3)),
    "arctan2": ((np.float64,), (-3, 3), (0.5, 3)),
    "hypot": ((np.float64,), (-3, 3), (-3, 3)),
    "logaddexp": ((np.float64,), (-3, 3), (-3, 3)),
    "copysign": ((np.float64,), (-3, 3), (-3, 3)),
    "equal": ((np.float64, np.int32, np.bool_), (-2, 2), (-2, 2)),
    "less": ((np.float32, np.uint8), (0, 2), (0, 2)),
    "greater_equal": ((np.int64,), (-2, 2), (-2, 2)),
    "logical_and": ((np.bool_, np.float64), (-1, 1), (-1, 1)),
    "logical_xor": ((np.bool_, np.int32), (-1, 1), (-1, 1)),
    "bitwise_and": ((np.int32, np.bool_), (-9, 9), (-9, 9)),
    "bitwise_xor": ((np.uint8,), (0, 9), (0, 9)),
    "left_shift": ((np.int32,), (-9, 9), (0, 5)),
    "right_shift": ((np.int32, np.uint8), (-9, 9), (0, 5)),
}


@pytest.mark.parametrize("name", sorted(BINARY_UFUNCS))
@given(data=st.data())
def test_binary_ufunc_broadcasting(name: str, data: st.DataObject) -> None:
    dtypes, da, db = BINARY_UFUNCS[name]
    dt = data.draw(st.sampled_from(dtypes))
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3))
    a = data.draw(_values(dt, shapes.input_shapes[0], *da))
    b = data.draw(_values(dt, shapes.input_shapes[1], *db))
    with np.errstate(all="ignore"):
        want = getattr(np, name)(a, b)
    tol = 1e-5 if np.asarray(want).dtype in (np.float32, np.complex64) else 1e-12
    check(getattr(fnp, name)(fnp.asarray(a), fnp.asarray(b)), want, tol, tol)


@pytest.mark.parametrize("scalar", [2, 2.5, True, -1])
@pytest.mark.parametrize("dtype", [np.float32, np.int8, np.uint8, np.bool_])
def test_binary_ufunc_with_python_scalar(scalar: Any, dtype: Any) -> None:
    a = np.array([0, 1, 1], dtype=dtype)
    for name in ("add", "multiply", "maximum"):
        try:
            want = getattr(np, name)(a, scalar)
        except (OverflowError, TypeError, np._core._exceptions._UFuncNoLoopError) as e:
            with pytest.raises(type(e)):
                getattr(fnp, name)(fnp.asarray(a), scalar)
            continue
        check(getattr(fnp, name)(fnp.asarray(a), scalar), want)
        check(getattr(fnp, name)(scalar, fnp.asarray(a)), getattr(np, name)(scalar, a))


def test_ufunc_dtype_argument_and_errors() -> None:
    check(fnp.add(fnp.arange(3), 1, dtype=fnp.float32), np.add(np.arange(3), 1,
                                                               dtype=np.float32))
    with pytest.raises(fg.errors.UnsupportedError, match="out="):
        fnp.add(fnp.arange(3), 1, out=fnp.zeros(3))
    with pytest.raises(fg.errors.UnsupportedError, match="where="):
        fnp.sin(fnp.arange(3.0), where=fnp.ones(3, bool))
    with pytest.raises(TypeError, match="takes 2 argument"):
        fnp.add(fnp.arange(3))


# ---------------------------------------------------------------------------
# creation


@pytest.mark.parametrize("f_np,f_fg", [
    (lambda: np.zeros((2, 3)), lambda: fnp.zeros((2, 3))),
    (lambda: np.zeros(4, np.int8), lambda: fnp.zeros(4, fnp.int8)),
    (lambda: np.ones((0, 2), bool), lambda: fnp.ones((0, 2), bool)),
    (lambda: np.ones(()), lambda: fnp.ones(())),
    (lambda: np.full((2, 2), 7), lambda: fnp.full((2, 2), 7)),
    (lambda: np.full(3, 1.5), lambda: fnp.full(3, 1.5)),
    (lambda: np.full(3, 2, np.float32), lambda: fnp.full(3, 2, fnp.float32)),
    (lambda: np.full((2, 3), np.arange(3.0)), lambda: fnp.full((2, 3), fnp.arange(3.0))),
    (lambda: np.arange(5), lambda: fnp.arange(5)),
    (lambda: np.arange(2, 9, 3), lambda: fnp.arange(2, 9, 3)),
    (lambda: np.arange(5, 0, -2), lambda: fnp.arange(5, 0, -2)),
    (lambda: np.arange(0.0, 1.0, 0.25), lambda: fnp.arange(0.0, 1.0, 0.25)),
    (lambda: np.arange(3, dtype=np.float32), lambda: fnp.arange(3, dtype=fnp.float32)),
    (lambda: np.arange(0), lambda: fnp.arange(0)),
    (lambda: np.arange(5, 2), lambda: fnp.arange(5, 2)),
    (lambda: np.linspace(0, 1, 5), lambda: fnp.linspace(0, 1, 5)),
    (lambda: np.linspace(-1, 1, 4, endpoint=False), lambda: fnp.linspace(-1, 1, 4,
                                                                         endpoint=False)),
    (lambda: np.linspace(2, 3, 1), lambda: fnp.linspace(2, 3, 1)),
    (lambda: np.linspace(2, 3, 0), lambda: fnp.linspace(2, 3, 0)),
    (lambda: np.linspace(0, 10, 6, dtype=np.int32), lambda: fnp.linspace(0, 10, 6,
                                                                          dtype=fnp.int32)),
    (lambda: np.eye(3), lambda: fnp.eye(3)),
    (lambda: np.eye(2, 4, k=1, dtype=np.int32), lambda: fnp.eye(2, 4, k=1, dtype=fnp.int32)),
    (lambda: np.eye(3, k=-2), lambda: fnp.eye(3, k=-2)),
    (lambda: np.identity(2, bool), lambda: fnp.identity(2, bool)),
    (lambda: np.array([[1, 2], [3, 4]]), lambda: fnp.array([[1, 2], [3, 4]])),
    (lambda: np.array([1, 2.5]), lambda: fnp.array([1, 2.5])),
    (lambda: np.array([True, False]), lambda: fnp.array([True, False])),
    (lambda: np.array([1, 2], np.uint16), lambda: fnp.array([1, 2], fnp.uint16)),
    (lambda: np.array(3.5), lambda: fnp.array(3.5)),
    (lambda: np.array([[1.0]], ndmin=4), lambda: fnp.array([[1.0]], ndmin=4)),
    (lambda: np.array([]), lambda: fnp.array([])),
    (lambda: np.asarray(np.arange(4, dtype=np.int16)),
     lambda: fnp.asarray(np.arange(4, dtype=np.int16))),
    (lambda: np.asarray([1j, 2]), lambda: fnp.asarray([1j, 2])),
])
def test_creation(f_np: Callable[[], Any], f_fg: Callable[[], Any]) -> None:
    check(f_fg(), f_np())


def test_like_functions() -> None:
    base = np.arange(6, dtype=np.int16).reshape(2, 3)
    x = fnp.asarray(base)
    check(fnp.zeros_like(x), np.zeros_like(base))
    check(fnp.ones_like(x, dtype=fnp.float32), np.ones_like(base, dtype=np.float32))
    check(fnp.full_like(x, 2.7), np.full_like(base, 2.7))      # truncates, like NumPy
    check(fnp.full_like(x, 1.5, dtype=float), np.full_like(base, 1.5, dtype=float))
    assert fnp.empty_like(x).shape == (2, 3) and fnp.empty_like(x).dtype == np.int16
    check(fnp.zeros_like(x, shape=(4,)), np.zeros_like(base, shape=(4,)))


def test_array_from_arrays_and_nested_arrays() -> None:
    a = fnp.arange(3.0)
    check(fnp.array([a, a * 2]), np.array([np.arange(3.0), np.arange(3.0) * 2]))
    check(fnp.array(a, dtype=fnp.int32), np.arange(3.0).astype(np.int32))
    check(fg.jit(lambda v: fnp.array([v, v + 1]))(a), np.array([np.arange(3.0),
                                                                np.arange(3.0) + 1]))
    check(fg.jit(lambda v: fnp.stack([v[0], 1.0]))(a), np.array([0.0, 1.0]))


def test_creation_errors() -> None:
    with pytest.raises(TypeError, match="not supported"):
        fnp.zeros(3, dtype=np.float128 if hasattr(np, "float128") else "U3")
    with pytest.raises(TypeError):
        fnp.array(["a", "b"])
    with pytest.raises(ValueError):
        fnp.zeros((-1, 2))


# ---------------------------------------------------------------------------
# reductions

REDUCTIONS = ["sum", "prod", "max", "min", "mean", "var", "std", "any", "all", "argmax",
              "argmin"]


@st.composite
def _array_and_axis(draw: Any, dtypes: tuple[Any, ...], nonempty: bool) -> tuple[Any, ...]:
    dt = draw(st.sampled_from(dtypes))
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=1 if nonempty else 0,
                                  max_side=3))
    a = draw(_values(dt, shape, -2, 2))
    nd = len(shape)
    axis = draw(st.one_of(st.none(), st.integers(-nd, nd - 1) if nd else st.none(),
                          st.lists(st.integers(0, nd - 1), unique=True).map(tuple)
                          if nd else st.none()))
    return a, axis, draw(st.booleans())


@pytest.mark.parametrize("name", REDUCTIONS)
@given(data=st.data())
def test_reductions(name: str, data: st.DataObject) -> None:
    arg = name in ("argmax", "argmin")
    nonempty = name in ("max", "min", "argmax", "argmin", "mean", "var", "std")
    dtypes = (np.float64, np.int32, np.float32) if name not in ("any", "all") else \
        (np.bool_, np.float64, np.int8)
    if name in ("sum", "prod", "max"):
        dtypes = (*dtypes, np.bool_, np.uint8, np.int8)
    a, axis, keepdims = data.draw(_array_and_axis(dtypes, nonempty))
    if arg and isinstance(axis, tuple):
        axis = axis[0] if axis else None
    kw = {"axis": axis, "keepdims": keepdims}
    with np.errstate(all="ignore"):
        want = getattr(np, name)(a, **kw)
    tol = 2e-5 if np.asarray(want).dtype == np.float32 else 1e-12
    check(getattr(fnp, name)(fnp.asarray(a), **kw), want, tol, tol)
    check(getattr(fnp.asarray(a), name)(**kw), want, tol, tol)     # the method form


@pytest.mark.parametrize("name,kw", [
    ("sum", {"dtype": np.float32}), ("sum", {"dtype": np.int8}), ("prod", {"dtype": float}),
    ("mean", {"dtype": np.float32}), ("var", {"ddof": 1}), ("std", {"ddof": 1, "axis": 0}),
    ("mean", {"axis": (0, 1)}), ("max", {"axis": -1, "keepdims": True}),
    ("cumsum", {}), ("cumsum", {"axis": 0}), ("cumprod", {"axis": 1}),
    ("cumsum", {"dtype": np.float32}), ("argmax", {"axis": 1, "keepdims": True}),
])
@pytest.mark.parametrize("dtype", [np.int8, np.float32, np.bool_])
def test_reduction_keywords(name: str, kw: dict[str, Any], dtype: Any) -> None:
    a = (np.arange(12).reshape(3, 4) % 5 - 1).astype(dtype)
    want = getattr(np, name)(a, **kw)
    check(getattr(fnp, name)(fnp.asarray(a), **kw), want, 1e-5, 1e-5)


def test_reduction_errors() -> None:
    x = fnp.zeros((2, 0))
    with pytest.raises(ValueError, match="empty|identity|zero-size"):
        fnp.max(x)
    check(fnp.max(x, axis=0), np.zeros(0))
    with pytest.raises(np.exceptions.AxisError):
        fnp.sum(fnp.ones((2, 3)), axis=2)
    with pytest.raises(ValueError, match="duplicate"):
        fnp.sum(fnp.ones((2, 3)), axis=(0, 0))
    with pytest.raises(fg.errors.UnsupportedError, match="out="):
        fnp.sum(fnp.ones(3), out=fnp.zeros(()))
    with pytest.raises(ValueError):
        fnp.argmax(fnp.zeros(0))


# ---------------------------------------------------------------------------
# contractions

MATMUL_SHAPES = [((2, 3), (3, 4)), ((3,), (3,)), ((3,), (3, 2)), ((2, 3), (3,)),
                 ((2, 1, 3, 4), (5, 4, 2)), ((5, 2, 3), (3, 1)), ((0, 3), (3, 2)),
                 ((2, 0), (0, 3)), ((1, 2, 3), (4, 3, 2))]


@pytest.mark.parametrize("sa,sb", MATMUL_SHAPES)
@pytest.mark.parametrize("dtypes", [(np.float64, np.float64), (np.int32, np.float32),
                                    (np.int8, np.int8), (np.bool_, np.bool_)])
def test_matmul(sa: tuple[int, ...], sb: tuple[int, ...], dtypes: tuple[Any, Any]) -> None:
    rng = np.random.default_rng(0)
    a = rng.integers(-3, 3, sa).astype(dtypes[0])
    b = rng.integers(-3, 3, sb).astype(dtypes[1])
    want = np.matmul(a, b)
    check(fnp.matmul(fnp.asarray(a), fnp.asarray(b)), want, 1e-6, 1e-6)
    check(fnp.asarray(a) @ fnp.asarray(b), want, 1e-6, 1e-6)
    check(fg.jit(lambda x, y: x @ y)(fnp.asarray(a), fnp.asarray(b)), want, 1e-6, 1e-6)


def test_matmul_errors() -> None:
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(4, 2\)|\(4, 2\).*\(2, 3\)"):
        fnp.ones((2, 3)) @ fnp.ones((4, 2))
    with pytest.raises(ValueError):
        fnp.matmul(fnp.ones(()), fnp.ones(3))


@pytest.mark.parametrize("sa,sb", [((3,), (3,)), ((2, 3), (3, 4)), ((), (2, 2)), ((3,), ()),
                                   ((2, 3, 4), (4,)), ((2, 3), (4, 3, 5)),
                                   ((2, 2, 3), (2, 3, 2))])
def test_dot(sa: tuple[int, ...], sb: tuple[int, ...]) -> None:
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=sa), rng.normal(size=sb)
    check(fnp.dot(fnp.asarray(a), fnp.asarray(b)), np.dot(a, b))
    check(fnp.asarray(a).dot(fnp.asarray(b)), np.dot(a, b))


@pytest.mark.parametrize("sa,sb,axes", [((2, 3, 4), (3, 4, 5), 2), ((2, 3), (3, 2), 1),
                                        ((2, 3), (4, 5), 0),
                                        ((2, 3, 4), (4, 2, 3), ([0, 2], [1, 0])),
                                        ((3, 4), (4, 3), ((0, 1), (1, 0))),
                                        ((2, 3), (3, 2), ([-1], [0]))])
def test_tensordot(sa: tuple[int, ...], sb: tuple[int, ...], axes: Any) -> None:
    rng = np.random.default_rng(2)
    a = rng.integers(-3, 3, sa).astype(np.int32)
    b = rng.integers(-3, 3, sb).astype(np.int32)
    check(fnp.tensordot(fnp.asarray(a), fnp.asarray(b), axes), np.tensordot(a, b, axes))


def test_inner_outer_vdot() -> None:
    a, b = np.arange(3.0), np.arange(3.0, 6.0)
    m = np.arange(6.0).reshape(2, 3)
    check(fnp.inner(fnp.asarray(m), fnp.asarray(b)), np.inner(m, b))
    check(fnp.outer(fnp.asarray(a), fnp.asarray(m)), np.outer(a, m))
    check(fnp.vdot(fnp.asarray(a + 1j), fnp.asarray(b)), np.vdot(a + 1j, b))


# ---------------------------------------------------------------------------
# shape functions

_X = np.arange(24.0).reshape(2, 3, 4)

SHAPE_CASES: list[tuple[str, Callable[[Any], Any]]] = [
    ("reshape-1", lambda m, x: m.reshape(x, (4, -1))),
    ("reshape_args", lambda m, x: x.reshape(6, 4)),
    ("reshape_tuple", lambda m, x: x.reshape((3, 8))),
    ("reshape_scalar", lambda m, x: m.reshape(x[0, 0, :1], ())),
    ("ravel", lambda m, x: m.ravel(x)),
    ("flatten", lambda m, x: x.flatten()),
    ("transpose", lambda m, x: m.transpose(x)),
    ("transpose_axes", lambda m, x: m.transpose(x, (1, 0, 2))),
    ("transpose_neg", lambda m, x: m.transpose(x, (-1, 0, 1))),
    ("method_transpose", lambda m, x: x.transpose(2, 0, 1)),
    ("T", lambda m, x: x.T),
    ("mT", lambda m, x: x.mT),
    ("swapaxes", lambda m, x: m.swapaxes(x, 0, -1)),
    ("moveaxis", lambda m, x: m.moveaxis(x, 0, -1)),
    ("moveaxis_multi", lambda m, x: m.moveaxis(x, (0, 1), (-1, 0))),
    ("squeeze", lambda m, x: m.squeeze(x[:, :1, None])),
    ("squeeze_axis", lambda m, x: m.squeeze(x[:1, :1], axis=1)),
    ("expand_dims", lambda m, x: m.expand_dims(x, 1)),
    ("expand_dims_tuple", lambda m, x: m.expand_dims(x, (0, -1))),
    ("concatenate", lambda m, x: m.concatenate([x, x * 2], axis=1)),
    ("concatenate_neg", lambda m, x: m.concatenate([x, x[:, :, :1]], axis=-1)),
    ("concatenate_none", lambda m, x: m.concatenate([x, x[0]], axis=None)),
    ("stack", lambda m, x: m.stack([x, x + 1])),
    ("stack_last", lambda m, x: m.stack([x, x + 1, x], axis=-1)),
    ("vstack", lambda m, x: m.vstack([x[0], x[1]])),
    ("hstack", lambda m, x: m.hstack([x[0, 0], x[1, 0]])),
    ("broadcast_to", lambda m, x: m.broadcast_to(x[0, :, :1], (5, 3, 4))),
    ("atleast_2d", lambda m, x: m.atleast_2d(x[0, 0, 0])),
    ("where", lambda m, x: m.where(x > 5, x, -x)),
    ("where_scalars", lambda m, x: m.where(x > 5, 1, 0)),
    ("where_mixed", lambda m, x: m.where(x[0] > 5, x[0].astype(m.int32), 0.5)),
    ("where_bcast", lambda m, x: m.where(x[0, 0] > 1, x, x[:, :, :1])),
    ("clip", lambda m, x: m.clip(x, 3, 10)),
    ("clip_min", lambda m, x: m.clip(x, 3, None)),
    ("clip_arrays", lambda m, x: m.clip(x, x[0], 7.5)),
    ("clip_int", lambda m, x: m.clip(x.astype(m.int8), 2, 9)),
    ("method_clip", lambda m, x: x.clip(max=4)),
]


@pytest.mark.parametrize("name,f", SHAPE_CASES, ids=[c[0] for c in SHAPE_CASES])
def test_shape_functions(name: str, f: Callable[[Any, Any], Any]) -> None:
    want = f(np, _X)
    check(f(fnp, fnp.asarray(_X)), want)
    check(fg.jit(lambda x: f(fnp, x))(fnp.asarray(_X)), want)


def test_shape_function_errors() -> None:
    x = fnp.ones((2, 3))
    with pytest.raises(ValueError, match=r"\(2, 3\)"):
        x.reshape(4, 2)
    with pytest.raises(ValueError):
        fnp.squeeze(x, axis=0)
    with pytest.raises(ValueError):
        fnp.concatenate([x, fnp.ones((2, 4))], axis=0)
    with pytest.raises(ValueError):
        fnp.stack([x, fnp.ones((3, 2))])
    with pytest.raises(ValueError):
        fnp.broadcast_to(x, (3, 3))
    with pytest.raises(ValueError):
        fnp.transpose(x, (0, 0))


def test_shape_helpers() -> None:
    x = fnp.ones((2, 3, 1))
    assert fnp.shape(x) == (2, 3, 1) and fnp.ndim(x) == 3 and fnp.size(x) == 6
    assert fnp.broadcast_shapes((2, 1), (3,)) == (2, 3)
    a, b = fnp.broadcast_arrays(fnp.ones((2, 1)), fnp.arange(3))
    check(a, np.ones((2, 3)))
    check(b, np.broadcast_to(np.arange(3), (2, 3)))


# ---------------------------------------------------------------------------
# basic indexing

_A = np.arange(60).reshape(3, 4, 5)

INDICES = [
    0, -1, 2, (1, 2), (0, -1, 3), (-3, 0, 0),
    slice(None), slice(1, None), slice(None, None, -1), slice(None, None, 2),
    slice(-1, None, -2), slice(3, 0, -1), slice(10, None, -1), slice(0, 0), slice(2, 1),
    (slice(None), 1), (Ellipsis, 2), (1, Ellipsis), (Ellipsis,), (None,), (None, 1, None),
    (slice(None), None, slice(None, None, -3)), (1, slice(1, 3), None, slice(4, 0, -2)),
    (Ellipsis, None), (0, Ellipsis, None, -1), (), (slice(-100, 100),),
]


@pytest.mark.parametrize("idx", INDICES, ids=repr)
def test_basic_indexing(idx: Any) -> None:
    x = fnp.asarray(_A)
    check(x[idx], _A[idx])
    check(fg.jit(lambda v: v[idx])(x), _A[idx])


@st.composite
def _slices(draw: Any, ndim: int) -> tuple[Any, ...]:
    items = []
    for _ in range(draw(st.integers(0, ndim))):
        items.append(draw(st.one_of(
            st.integers(-3, 2),
            st.builds(slice, st.none() | st.integers(-5, 5), st.none() | st.integers(-5, 5),
                      st.none() | st.integers(-3, 3).filter(bool)))))
    if draw(st.booleans()):
        items.insert(draw(st.integers(0, len(items))), None)
    return tuple(items)


@given(idx=_slices(3))
def test_basic_indexing_drawn(idx: tuple[Any, ...]) -> None:
    check(fnp.asarray(_A)[idx], _A[idx])


@pytest.mark.parametrize("i", [0, 2, -1, -3])
def test_traced_integer_index(i: int) -> None:
    x = fnp.asarray(_A)
    f = fg.jit(lambda v, k: v[k])
    check(f(x, i), _A[i])
    check(fg.jit(lambda v, k: v[1, k])(x, fnp.asarray(i, fnp.int32)), _A[1, i])
    check(fg.jit(lambda v, k: v[:, k, ::-1])(x, i), _A[:, i, ::-1])
    check(fg.jit(lambda v, k: v[k, None, 1:])(x, i), _A[i, None, 1:])


def test_device_integer_index() -> None:
    check(fnp.asarray(_A)[fnp.asarray(2)], _A[2])
    check(fnp.asarray(_A)[1, fnp.asarray(-1, fnp.int8)], _A[1, -1])


def test_indexing_errors() -> None:
    x = fnp.asarray(_A)
    with pytest.raises(IndexError, match="out of bounds"):
        x[3]
    with pytest.raises(IndexError, match="out of bounds"):
        x[0, -6]
    with pytest.raises(IndexError, match="too many indices"):
        x[0, 0, 0, 0]
    with pytest.raises(IndexError, match="single ellipsis"):
        x[..., 0, ...]
    with pytest.raises(IndexError, match="valid indices"):
        x[1.5]
    with pytest.raises(IndexError):
        fnp.asarray(3.0)[0]


# ---------------------------------------------------------------------------
# .at[] updates

_U = np.arange(12.0).reshape(3, 4)

AT_CASES: list[tuple[str, Any, Any]] = [
    ("set", 1, 7.0), ("set", (0, 2), -1.0), ("set", slice(None, None, 2), np.arange(4.0)),
    ("set", (Ellipsis, -1), 0.0), ("set", (slice(1, None), slice(None, None, -1)), 5.0),
    ("add", 0, 10.0), ("add", (slice(None), 1), np.ones(3)), ("multiply", -1, 2.0),
    ("min", slice(1, 3), 5.0), ("max", (2, slice(None, 2)), 9.5), ("subtract", 2, 1.0),
    ("divide", (0, 0), 4.0), ("power", 1, 2.0), ("set", (None, 1), 3.0),
]


def _np_update(op: str, a: np.ndarray, idx: Any, v: Any) -> np.ndarray:
    out = a.copy()
    fn = {"set": lambda o, v: v, "add": np.add, "multiply": np.multiply, "min": np.minimum,
          "max": np.maximum, "subtract": np.subtract, "divide": np.divide,
          "power": np.power}[op]
    out[idx] = fn(out[idx], v)
    return out


@pytest.mark.parametrize("op,idx,v", AT_CASES, ids=[f"{c[0]}-{c[1]!r}" for c in AT_CASES])
def test_at_update(op: str, idx: Any, v: Any) -> None:
    x = fnp.asarray(_U)
    val = fnp.asarray(v) if isinstance(v, np.ndarray) else v
    want = _np_update(op, _U, idx, v)
    check(getattr(x.at[idx], op)(val), want)
    check(fg.jit(lambda a, b: getattr(a.at[idx], op)(b))(x, val), want)
    check(x, _U)   # the original is untouched


def test_at_get_and_dtypes() -> None:
    x = fnp.arange(6, dtype=fnp.int32)
    check(x.at[2:4].get(), np.arange(2, 4, dtype=np.int32))
    # the update value is cast to the array's dtype, like NumPy's setitem
    check(x.at[0].set(2.7), np.array([2, 1, 2, 3, 4, 5], np.int32))
    check(x.at[1].add(1.0), np.array([0, 2, 2, 3, 4, 5], np.int32))
    f32 = fnp.zeros(3, fnp.float32)
    check(f32.at[1].set(fnp.asarray(2.0)), np.array([0, 2, 0], np.float32))


def test_at_traced_index() -> None:
    x = fnp.asarray(_U)
    f = fg.jit(lambda a, i: a.at[i].set(-1.0))
    for i in (0, 2, -1):
        check(f(x, i), _np_update("set", _U, i, -1.0))
    check(fg.jit(lambda a, i: a.at[1, i].add(100.0))(x, 3), _np_update("add", _U, (1, 3), 100))


def test_at_errors() -> None:
    x = fnp.asarray(_U)
    with pytest.raises(ValueError):
        x.at[0].set(fnp.ones(5))
    with pytest.raises(IndexError):
        x.at[5].set(1.0)


# ---------------------------------------------------------------------------
# methods and properties

def test_array_methods() -> None:
    a = np.arange(1.0, 7.0).reshape(2, 3)
    x = fnp.asarray(a)
    check(x.sum(axis=0), a.sum(axis=0))
    check(x.mean(), a.mean())
    check(x.max(axis=1, keepdims=True), a.max(axis=1, keepdims=True))
    check(x.argmin(), a.argmin())
    check(x.prod(), a.prod())
    check(x.var(ddof=1), a.var(ddof=1))
    check(x.cumsum(axis=1), a.cumsum(axis=1))
    check(x.astype(np.int8), a.astype(np.int8))
    check(x.squeeze(), a.squeeze())
    check(x.round(), a.round())
    check((x * 1.26).round(1), (a * 1.26).round(1))
    check(x.conj(), a.conj())
    check(x.real, a.real)
    check(x.imag, a.imag)
    check((x + 2j).imag, (a + 2j).imag)
    check(abs(-x), abs(-a))
    check(-x, -a)
    check(+x, +a)
    check(~(x > 2), ~(a > 2))
    check(2 ** x, 2 ** a)
    check(x ** -1, a ** -1)
    check(10 - x, 10 - a)
    check(1 / x, 1 / a)
    check(7 // x, 7 // a)
    check(7 % x, 7 % a)
    check(x.any(), a.any())
    check(x.all(axis=0), a.all(axis=0))
    check(x.clip(2, 4), a.clip(2, 4))
    check(x.swapaxes(0, 1), a.swapaxes(0, 1))
    assert x.nbytes == a.nbytes and x.size == 6 and x.ndim == 2


def test_comparisons_with_numpy_operands() -> None:
    x = fnp.arange(3.0)
    n = np.array([0.0, 5.0, 1.0])
    check(x < n, np.arange(3.0) < n)
    r = n + x      # NumPy defers to the funcgrad array (higher __array_priority__)
    check(r, n + np.arange(3.0))


def test_numpy_namespace_misc() -> None:
    check(fnp.round(fnp.asarray([0.5, 1.5, 2.5, -0.5])), np.round([0.5, 1.5, 2.5, -0.5]))
    check(fnp.isclose(fnp.asarray([1.0, 2.0]), 1.0 + 1e-9), np.isclose([1.0, 2.0], 1.0 + 1e-9))
    check(fnp.allclose(fnp.ones(3), fnp.ones(3)), np.bool_(True))
    assert fnp.result_type(fnp.ones(2, fnp.int8), 1.0) == np.float64
    assert fnp.result_type(fnp.ones(2, fnp.float32), 1.0) == np.float32
    assert fnp.promote_types(fnp.int8, fnp.uint8) == np.int16
    assert bool(fnp.array_equal(fnp.arange(3), fnp.arange(3)))
    assert not bool(fnp.array_equal(fnp.arange(3), fnp.arange(4)))


# ---------------------------------------------------------------------------
# edge cases found the hard way

def test_abs_and_sign_of_unsigned_and_bool() -> None:
    for dt in (np.uint8, np.uint32, np.bool_):
        a = np.array([0, 1, 2, 0], dt) if dt is not np.bool_ else np.array([True, False])
        check(fnp.abs(fnp.asarray(a)), np.abs(a))
        if dt is np.bool_:     # NumPy has no sign for booleans; neither do we
            with pytest.raises(TypeError, match="sign"):
                fnp.sign(fnp.asarray(a))
        else:
            check(fnp.sign(fnp.asarray(a)), np.sign(a))
    import funcgrad.lax as lax
    u = np.array([0, 3, 255], np.uint8)
    check(lax.abs(fnp.asarray(u)), u)
    check(lax.sign(fnp.asarray(u)), np.array([0, 1, 1], np.uint8))


def test_hypot_does_not_overflow_or_underflow() -> None:
    a = np.array([3.0, 1e200, 0.0, np.inf, 1e-200, np.nan, -np.inf, -5.0])
    b = np.array([4.0, 1e200, 0.0, np.nan, 1e-200, 1.0, 2.0, 0.0])
    check(fnp.hypot(fnp.asarray(a), fnp.asarray(b)), np.hypot(a, b))
    f32 = np.array([3e20, 1e-30], np.float32)
    check(fnp.hypot(fnp.asarray(f32), fnp.asarray(f32)), np.hypot(f32, f32), 1e-6, 0)
    h = np.array([200, 255], np.uint8)
    check(fnp.hypot(fnp.asarray(h), fnp.asarray(h)), np.hypot(h, h), 1e-3, 0)


def test_python_int_checked_against_the_loop_dtype() -> None:
    u = np.arange(3, dtype=np.uint8)
    check(fnp.copysign(fnp.asarray(u), -1), np.copysign(u, -1))   # a float16 loop: fine
    with pytest.raises(OverflowError):
        fnp.add(fnp.asarray(u), -1)
    with pytest.raises(OverflowError):
        fnp.asarray(u) * 256
    check(fnp.asarray(u) - 1, u - 1)                                # wraps, like NumPy
    # under jit a Python int closed over is a constant and checked at trace time
    with pytest.raises(OverflowError):
        fg.jit(lambda x: x + 1000)(fnp.ones(2, fnp.int8))


@pytest.mark.parametrize("name", ["max", "min", "argmax", "argmin", "sum", "cumsum"])
def test_reductions_propagate_nan_like_numpy(name: str) -> None:
    a = np.array([[1.0, np.nan, 3.0], [4.0, 5.0, -1.0]])
    check(getattr(fnp, name)(fnp.asarray(a), axis=1), getattr(np, name)(a, axis=1))
    check(fnp.maximum(fnp.asarray(a), 2.0), np.maximum(a, 2.0))


def test_numpy_scalars_are_strongly_typed_under_transforms() -> None:
    # NEP 50: np.float64(2) is a strong float64, unlike the Python float 2.0
    x = fnp.ones((2, 3), dtype=fnp.float32)
    assert (x * np.float64(2.0)).dtype == np.float64
    assert (x * 2.0).dtype == np.float32
    out = fg.vmap(lambda r: r / np.float64(2.0))(x)
    assert out.dtype == np.float64
    np.testing.assert_allclose(np.asarray(out), np.full((2, 3), 0.5))
