"""funcgrad.lax's elementwise and special functions against jax.lax (x64 on):
values and dtypes under jit, derivatives against jax.grad, vmap against a loop,
lax's strict typing errors, and the option enums."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import numpy as np
import pytest

import funcgrad as fg
import funcgrad.numpy as fnp
from funcgrad import lax
from funcgrad.errors import UnsupportedError

jax.config.update("jax_enable_x64", True)
jlax = jax.lax

F64, F32, I32, I64, U8 = np.float64, np.float32, np.int32, np.int64, np.uint8

_UNIT = [-0.9, -0.3, 0.0, 0.4, 0.8]
_ANY = [-2.5, -1.5, -0.25, 0.5, 1.5, 2.5]
_POS = [0.25, 0.5, 1.0, 2.5, 7.0]
_BIG = [1.25, 2.0, 3.5, 10.0]
_INTS = [-7, -1, 0, 3, 100]
_UINTS = [0, 1, 7, 200]

# name -> [(values, dtype)]: each function on a few inputs per dtype
UNARY: dict[str, list[tuple[list[Any], Any]]] = {
    "neg": [(_ANY, F64), (_INTS, I32)], "sign": [(_ANY, F64), (_INTS, I64)],
    "floor": [(_ANY, F64)], "ceil": [(_ANY, F32)], "round": [(_ANY, F64), (_ANY, F32)],
    "is_finite": [([0.5, np.inf, -np.inf, np.nan], F64)],
    "exp": [(_ANY, F64), (_ANY, F32)], "exp2": [(_ANY, F64)], "log": [(_POS, F64)],
    "expm1": [(_ANY, F32)], "log1p": [(_UNIT, F64)], "sin": [(_ANY, F64)],
    "cos": [(_ANY, F32)], "tan": [(_UNIT, F64)], "asin": [(_UNIT, F64)], "acos": [(_UNIT, F32)],
    "atan": [(_ANY, F64)], "sinh": [(_ANY, F64)], "cosh": [(_ANY, F64)], "tanh": [(_ANY, F64)],
    "asinh": [(_ANY, F64)], "acosh": [(_BIG, F64)], "atanh": [(_UNIT, F64)],
    "logistic": [(_ANY, F64)], "sqrt": [(_POS, F64)], "rsqrt": [(_POS, F32)],
    "cbrt": [(_ANY, F64)], "erf": [(_ANY, F64)], "erfc": [(_ANY, F32)], "erf_inv": [(_UNIT, F64)],
    "lgamma": [(_POS, F64)], "digamma": [(_POS, F64)], "abs": [(_ANY, F64), (_INTS, I32)],
    "square": [(_ANY, F64), (_INTS, I64)], "reciprocal": [(_ANY, F64)],
    "population_count": [(_INTS, I32), (_UINTS, U8)], "clz": [(_INTS, I32), (_UINTS, U8)],
    "bitwise_not": [(_INTS, I64), ([True, False], np.bool_)],
    "bessel_i0e": [(_ANY + [-30.0, 12.0, 25.0], F64), (_ANY + [15.0], F32)],
    "bessel_i1e": [(_ANY + [30.0], F64)],
}

BINARY: dict[str, list[tuple[list[Any], list[Any], Any]]] = {
    "add": [(_ANY, _POS + [1.0], F64), (_INTS, _INTS, I32)],
    "sub": [(_ANY, _POS + [1.0], F32)], "mul": [(_ANY, _POS + [1.0], F64)],
    "div": [(_ANY, _POS + [1.0], F64), (_INTS, [2, -3, 4, 5, 7], I64)],
    "rem": [(_ANY, _POS + [1.0], F64), (_INTS, [2, -3, 4, 5, 7], I32)],
    "pow": [(_POS, _ANY[:5], F64)], "max": [(_ANY, _POS + [1.0], F64)],
    "min": [(_INTS, _INTS[::-1], I32)], "atan2": [(_ANY, _POS + [-1.0], F64)],
    "nextafter": [(_ANY, _POS + [1.0], F64)],
    "bitwise_and": [(_INTS, _INTS[::-1], I32)], "bitwise_or": [(_UINTS, _UINTS[::-1], U8)],
    "bitwise_xor": [(_INTS, _INTS[::-1], I64)],
    "shift_left": [(_INTS, [0, 1, 2, 3, 4], I32)],
    "shift_right_arithmetic": [(_INTS, [0, 1, 2, 3, 4], I32)],
    "shift_right_logical": [(_INTS, [0, 1, 2, 3, 4], I64)],
    "eq": [(_INTS, [-7, 0, 0, 3, 1], I32)], "ne": [(_ANY, _ANY[::-1], F64)],
    "lt": [(_ANY, _ANY[::-1], F64)], "le": [(_INTS, _INTS[::-1], I64)],
    "gt": [(_UINTS, _UINTS[::-1], U8)], "ge": [(_ANY, _ANY[::-1], F32)],
    "complex": [(_ANY, _ANY[::-1], F64), (_ANY, _ANY[::-1], F32)],
    "mulhi": [([-7, 1 << 62, -(1 << 40), 5], [3, 8, 1 << 30, -1], I64),
              ([-7, 1 << 30, 123456789], [3, 8, 987654321], I32)],
    "polygamma": [([0.0, 1.0, 2.0, 3.0], [0.5, 1.5, 3.0, 7.0], F64)],
    "zeta": [([2.0, 3.5, 1.5, 4.0], [1.0, 2.0, 0.5, 3.0], F64)],
    "igamma": [([0.5, 1.0, 2.5, 10.0, 3.0, 50.0], [0.3, 2.0, 1.0, 12.0, 0.0, 45.0], F64)],
    "igammac": [([0.5, 1.0, 2.5, 10.0, 3.0, 50.0], [0.3, 2.0, 1.0, 12.0, 0.0, 45.0], F64)],
    "igamma_grad_a": [([0.5, 1.0, 2.5, 10.0, 7.0], [0.3, 2.0, 1.0, 12.0, 7.5], F64)],
    "random_gamma_grad": [([0.5, 1.0, 2.5, 10.0], [0.3, 2.0, 1.0, 12.0], F64)],
}

_TOL = {np.dtype(F64): 1e-12, np.dtype(F32): 2e-6}
_LOOSE = {"igamma": 1e-11, "igammac": 1e-11, "igamma_grad_a": 1e-10, "random_gamma_grad": 1e-10,
          "betainc": 1e-11, "bessel_i0e": 1e-13, "zeta": 1e-12, "polygamma": 1e-11}


def _check(got: Any, want: Any, name: str) -> None:
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype, (name, got.dtype, want.dtype)
    assert got.shape == want.shape, (name, got.shape, want.shape)
    if got.dtype.kind in "fc":
        tol = max(_TOL.get(np.dtype(got.dtype.char.lower() if got.dtype.kind == "c" else
                                    got.dtype), 1e-6), _LOOSE.get(name, 0.0))
        if got.dtype == F32:
            tol = max(tol, 2e-6)
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol, err_msg=name)
    else:
        np.testing.assert_array_equal(got, want, err_msg=name)


def _jit_pair(name: str) -> tuple[Callable[..., Any], Callable[..., Any]]:
    return fg.jit(getattr(lax, name)), jax.jit(getattr(jlax, name))


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_matches_jax_under_jit(name: str) -> None:
    ours, theirs = _jit_pair(name)
    for values, dt in UNARY[name]:
        x = np.asarray(values, dt)
        _check(ours(x), theirs(x), name)


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_matches_jax_under_jit(name: str) -> None:
    ours, theirs = _jit_pair(name)
    for xs, ys, dt in BINARY[name]:
        x, y = np.asarray(xs, dt), np.asarray(ys, dt)
        _check(ours(x, y), theirs(x, y), name)


def test_eager_calls_and_python_scalars_match_jax() -> None:
    x = np.array([0.5, -1.5, 2.5], F64)
    _check(lax.add(x, 2.0), jlax.add(x, 2.0), "add")
    _check(lax.mul(2, 3), jlax.mul(2, 3), "mul")                 # weak int64
    _check(lax.sin(0.5), jlax.sin(0.5), "sin")
    _check(lax.pow(x, 2), jlax.pow(x, 2), "pow")                 # integer exponent
    _check(lax.pow(x, np.array([1, 2, 3], I32)), jlax.pow(x, np.array([1, 2, 3], I32)), "pow")
    _check(lax.add(np.ones((2, 1)), np.ones((2, 3))), jlax.add(np.ones((2, 1)), np.ones((2, 3))),
           "add")
    _check(lax.add(np.ones((2, 3)), np.float64(4)), jlax.add(np.ones((2, 3)), np.float64(4)),
           "add")
    i8 = np.array([100, -100, 7], np.int8)
    _check(lax.mul(i8, i8, out_dtype=np.int32), jlax.mul(i8, i8, out_dtype=np.int32), "mul")


def test_round_methods_clamp_conj_and_betainc_match_jax() -> None:
    halves = np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 0.49999999999999994, np.inf, np.nan])
    for method in (lax.RoundingMethod.AWAY_FROM_ZERO, lax.RoundingMethod.TO_NEAREST_EVEN, 0, 1):
        _check(fg.jit(lambda v, m=method: lax.round(v, m))(halves),
               jlax.round(halves, jlax.RoundingMethod(int(method))), "round")
    x = np.array([[-1.0, 0.5, 2.0], [3.0, -4.0, 0.25]])
    lo, hi = np.zeros_like(x), np.full_like(x, 1.5)
    _check(fg.jit(lax.clamp)(0.0, x, 1.0), jlax.clamp(0.0, x, 1.0), "clamp")
    _check(fg.jit(lax.clamp)(lo, x, hi), jlax.clamp(lo, x, hi), "clamp")
    _check(lax.clamp(np.int32(0), np.array([-3, 2, 9], I32), np.int32(5)),
           jlax.clamp(np.int32(0), np.array([-3, 2, 9], I32), np.int32(5)), "clamp")
    for dt in (F32, F64, np.complex128):
        v = np.array([1.5, -2.0], dt)
        _check(fg.jit(lax.conj)(v), jlax.conj(v), "conj")
    a = np.array([0.5, 2.0, 5.0, 1.0, 30.0, 0.0, 2.0, 0.001])
    b = np.array([0.5, 3.0, 1.0, 1.0, 20.0, 2.0, 0.0, 4.0])
    xs = np.array([0.3, 0.9, 0.5, 0.0, 0.6, 0.5, 0.5, 0.2])
    _check(fg.jit(lax.betainc)(a, b, xs), jlax.betainc(a, b, xs), "betainc")
    got32 = lax.betainc(a.astype(F32), b.astype(F32), xs.astype(F32))
    assert got32.dtype == F32
    np.testing.assert_allclose(np.asarray(got32), np.asarray(jlax.betainc(a, b, xs)), rtol=2e-5,
                               atol=1e-6)


def test_bitcast_convert_type_matches_jax_for_every_width_change() -> None:
    f = np.array([[1.0, -2.5], [np.inf, 0.0]], F32)
    for src, dt in ((f, I32), (f, np.uint8), (f.view(np.uint16).reshape(2, 2, 2), F32),
                    (f.astype(F64), I32), (np.arange(8, dtype=np.uint8).reshape(2, 4), I32)):
        _check(fg.jit(lambda v, dt=dt: lax.bitcast_convert_type(v, dt))(src),
               jlax.bitcast_convert_type(src, dt), "bitcast_convert_type")
    with pytest.raises(ValueError, match="trailing axis of 4"):
        lax.bitcast_convert_type(np.ones(3, np.int8), np.int32)
    with pytest.raises(TypeError, match="bool and complex"):
        lax.bitcast_convert_type(np.ones(2, np.bool_), np.uint8)
    batch = np.arange(24, dtype=np.uint8).reshape(3, 2, 4)
    got = fg.vmap(lambda v: lax.bitcast_convert_type(v, np.int32), in_axes=1)(batch)
    want = jax.vmap(lambda v: jlax.bitcast_convert_type(v, np.int32), in_axes=1)(batch)
    _check(got, want, "bitcast_convert_type")


# (name, operands, argnums): first derivatives against jax.grad
GRADS = [
    ("square", ([0.5, -1.5, 2.0],), 0), ("reciprocal", ([0.5, -1.5, 2.0],), 0),
    ("clamp", (0.0, [-1.0, 0.5, 2.0, 0.75], 1.0), 1),
    ("clamp", ([0.0, 0.0, 0.0, 1.0], [-1.0, 0.5, 2.0, 0.75], [1.0, 1.0, 1.0, 2.0]), (0, 1, 2)),
    ("igamma", ([0.5, 2.5, 10.0, 3.0], [0.3, 1.0, 12.0, 4.0]), (0, 1)),
    ("betainc", ([0.5, 2.0, 5.0], [0.5, 3.0, 1.0], [0.3, 0.9, 0.5]), 2),
    ("bessel_i0e", ([-2.5, 0.5, 1.5, 30.0],), 0), ("bessel_i1e", ([-2.5, 0.5, 1e-20, 30.0],), 0),
    ("polygamma", ([1.0, 2.0], [0.5, 3.0]), 1),
    ("round", ([0.3, 1.7],), 0), ("exp2", ([0.3, 1.7],), 0), ("logistic", ([0.3, -1.7],), 0),
]


@pytest.mark.parametrize("name, operands, argnums", GRADS,
                         ids=[f"{g[0]}-{i}" for i, g in enumerate(GRADS)])
def test_grad_matches_jax(name: str, operands: tuple[Any, ...], argnums: Any) -> None:
    args = tuple(np.asarray(v, F64) for v in operands)

    def loss(fn: Callable[..., Any], total: Callable[[Any], Any]) -> Callable[..., Any]:
        return lambda *a: total(fn(*a))

    ours = fg.jit(fg.grad(loss(getattr(lax, name), fnp.sum), argnums))(*args)
    theirs = jax.grad(loss(getattr(jlax, name), jax.numpy.sum), argnums)(*args)
    for g, w in zip(jax.tree.leaves(ours), jax.tree.leaves(theirs), strict=True):
        np.testing.assert_allclose(np.asarray(g), np.asarray(w), rtol=1e-9, atol=1e-12,
                                   err_msg=name)


def test_igammac_and_second_derivatives_match_jax() -> None:
    a, x = np.array([0.5, 2.5, 10.0]), np.array([0.3, 1.0, 12.0])
    ours = fg.grad(lambda x: fnp.sum(lax.igammac(a, x)))(x)
    theirs = jax.grad(lambda x: jlax.igammac(a, x).sum())(x)
    np.testing.assert_allclose(np.asarray(ours), np.asarray(theirs), rtol=1e-9)
    ours = fg.grad(lambda x: fnp.sum(fg.grad(lambda x: fnp.sum(lax.igamma(a, x)))(x)))(x)
    theirs = jax.grad(lambda x: jax.grad(lambda x: jlax.igamma(a, x).sum())(x).sum())(x)
    np.testing.assert_allclose(np.asarray(ours), np.asarray(theirs), rtol=1e-9)
    # JAX has no derivative of igamma_grad_a; funcgrad's in x is d/da of dP/dx, the
    # gamma density, which JAX differentiates
    ours = fg.grad(lambda x: fnp.sum(lax.igamma_grad_a(a, x)))(x)

    def density(a: Any, x: Any) -> Any:
        return jax.numpy.exp((a - 1) * jax.numpy.log(x) - x - jlax.lgamma(a))
    np.testing.assert_allclose(np.asarray(ours), np.asarray(jax.vmap(jax.grad(density))(a, x)),
                               rtol=1e-10)
    # nor of zeta: funcgrad's in q is -s zeta(s + 1, q)
    s, q = np.array([2.0, 3.5, 4.0]), np.array([1.0, 2.0, 0.5])
    ours = fg.grad(lambda q: fnp.sum(lax.zeta(s, q)))(q)
    np.testing.assert_allclose(np.asarray(ours), np.asarray(-s * jlax.zeta(s + 1, q)),
                               rtol=1e-12)
    h = fg.hessian(lambda v: fnp.sum(lax.bessel_i0e(v)))(np.array([0.5, -2.0]))
    hj = jax.hessian(lambda v: jlax.bessel_i0e(v).sum())(np.array([0.5, -2.0]))
    np.testing.assert_allclose(np.asarray(h), np.asarray(hj), rtol=1e-10)


def test_derivatives_jax_does_not_define_raise() -> None:
    a, b, x = np.array([0.5, 2.0]), np.array([1.5, 3.0]), np.array([0.3, 0.6])
    with pytest.raises(UnsupportedError, match="betainc is not differentiable.*`a`"):
        fg.grad(lambda a: fnp.sum(lax.betainc(a, b, x)))(a)
    with pytest.raises(UnsupportedError, match="`b`"):
        fg.grad(lambda b: fnp.sum(lax.betainc(a, b, x)))(b)
    with pytest.raises(UnsupportedError, match="zeta.*`x`"):
        fg.grad(lambda s: fnp.sum(lax.zeta(s, x + 1)))(b)
    with pytest.raises(UnsupportedError, match="igamma_grad_a.*`a`"):
        fg.grad(lambda a: fnp.sum(lax.igamma_grad_a(a, x)))(a)
    # stop_gradient is the documented way around it
    g = fg.grad(lambda x: fnp.sum(lax.betainc(lax.stop_gradient(a), b, x)))(x)
    np.testing.assert_allclose(np.asarray(g), np.asarray(
        jax.grad(lambda x: jlax.betainc(a, b, x).sum())(x)), rtol=1e-10)


VMAPPED = [
    ("zeta", 2), ("betainc", 3),
    ("bessel_i0e", 1), ("bessel_i1e", 1), ("clamp", 3), ("mulhi", 2), ("clz", 1),
    ("square", 1), ("atan2", 2), ("nextafter", 2),
]


@pytest.mark.parametrize("name, arity", VMAPPED)
def test_vmap_matches_jax(name: str, arity: int) -> None:
    rng = np.random.default_rng(0)
    if name in ("mulhi", "clz"):
        ops = [rng.integers(-1000, 1000, (3, 2)).astype(I32) for _ in range(arity)]
    else:
        ops = [rng.uniform(0.2, 0.8, (3, 2)) + (1.5 if name == "zeta" and i == 0 else 0)
               for i in range(arity)]
    if name == "clamp":
        ops = [ops[0] * 0.5, ops[1], ops[2] * 0.5 + 0.5]
    # one operand mapped along axis 1, the others along 0 or broadcast
    in_axes = tuple([1] + [0 if k % 2 else None for k in range(1, arity)])
    ops = [o.T if ax == 1 else (o if ax == 0 else o[0]) for o, ax in zip(ops, in_axes,
                                                                     strict=True)]
    got = fg.vmap(getattr(lax, name), in_axes=in_axes)(*ops)
    want = jax.vmap(getattr(jlax, name), in_axes=in_axes)(*ops)
    _check(got, want, name)


def test_strict_dtypes_and_shapes_raise_type_errors_like_jax() -> None:
    f32, f64 = np.ones(3, F32), np.ones(3, F64)
    cases: list[tuple[Callable[[], Any], str]] = [
        (lambda: lax.add(f32, f64), r"lax\.add requires arguments to have the same dtypes, "
                                    r"got float32, float64"),
        (lambda: lax.add(f32, 2.0), "float32, float64"),
        (lambda: lax.mul(np.ones(3, I32), 2), "int32, int64"),
        (lambda: lax.lt(f64, 1), "float64, int64"),
        (lambda: lax.clamp(0, f64, 1.0), "int64, float64, float64"),
        (lambda: lax.igamma(f32, f64), "lax.igamma"),
        (lambda: lax.add(np.ones((2, 3)), f64), "same number of dimensions"),
        (lambda: lax.add(np.ones((2, 3)), np.ones((2, 4))), "incompatible shapes"),
        (lambda: lax.clamp(np.zeros(2), np.ones((2, 3)), 1.0), r"min\.shape == x\.shape"),
        (lambda: lax.reciprocal(np.ones(2, I64)), "negative powers"),
        (lambda: lax.round(np.ones(2, I64)), "floating-point"),
        (lambda: lax.sin(2), "int64"),
        (lambda: lax.real(f64), "complex"),
        (lambda: lax.clz(f64), "integer"),
        (lambda: lax.conj(np.ones(2, I32)), "lax.conj"),
    ]
    for call, message in cases:
        with pytest.raises(TypeError, match=message):
            call()
        # and JAX agrees that these are type errors
    with pytest.raises(TypeError):
        jlax.add(f32, 2.0)
    with pytest.raises(TypeError):
        jlax.clamp(np.zeros(2), np.ones((2, 3)), 1.0)


def test_accuracy_other_than_the_default_is_refused() -> None:
    x = np.array([0.5])
    _check(lax.exp(x, accuracy=None), jlax.exp(x), "exp")
    _check(lax.exp(x, accuracy=lax.AccuracyMode.DEFAULT), jlax.exp(x), "exp")
    with pytest.raises(UnsupportedError, match="accuracy=.*not supported"):
        lax.tanh(x, accuracy=lax.Tolerance(rtol=1e-3))
    with pytest.raises(UnsupportedError, match="pass accuracy=None"):
        lax.sin(x, accuracy=lax.AccuracyMode.HIGHEST)


def test_enums_match_jax() -> None:
    for name in ("Precision", "RoundingMethod", "DotAlgorithmPreset", "AccuracyMode",
                 "RandomAlgorithm"):
        ours, theirs = getattr(lax, name), getattr(jlax, name)
        assert [(m.name, m.value) for m in ours] == [(m.name, m.value) for m in theirs], name
    for alias in ("default", "fastest", "bfloat16", "high", "bfloat16_3x", "tensorfloat32",
                  "highest", "float32", None):
        assert lax.Precision(alias).name == jlax.Precision(alias).name
    assert str(lax.Precision.HIGH) == "HIGH" and repr(lax.Precision.HIGH) == "Precision.HIGH"
    with pytest.raises(ValueError):
        lax.Precision("fast")
    alg = lax.DotAlgorithm(np.float16, np.float16, np.float32)
    assert alg._fields == jlax.DotAlgorithm._fields
    assert (alg.lhs_component_count, alg.allow_imprecise_accumulation) == (1, False)
    tol = lax.Tolerance(atol=1e-3, ulps=2)
    assert (tol.atol, tol.rtol, tol.ulps) == (1e-3, 0.0, 2)
    with pytest.raises(ValueError, match="non-negative"):
        lax.Tolerance(rtol=-1.0)
    with pytest.raises(ValueError, match="at least one"):
        lax.Tolerance()


def test_dtype_broadcast_shapes_and_stop_gradient_match_jax() -> None:
    for v in (1, 1.0, 1j, True, np.float32, np.ones(2, np.int8), np.int32(1), "float32"):
        assert lax.dtype(v) == jlax.dtype(v), v
    assert lax.dtype(fnp.ones(2, fnp.float32)) == np.float32
    for shapes in (((2, 3), (3,)), ((2, 1), (1, 3)), ((4,),), ((), (5, 1))):
        assert lax.broadcast_shapes(*shapes) == jlax.broadcast_shapes(*shapes)
    with pytest.raises(ValueError):
        lax.broadcast_shapes((2,), (3,))
    tree = {"a": np.array([1.0, 2.0]), "n": 3}
    out = lax.stop_gradient(tree)
    assert set(out) == {"a", "n"} and out["n"] == 3
    assert float(fg.grad(lambda x: x * lax.stop_gradient(x))(3.0)) == 3.0


def test_every_primitive_is_exported_under_its_own_name() -> None:
    from funcgrad import primitives as P
    for prim in P.all_primitives():
        assert getattr(lax, f"{prim.name}_p") is prim
    for name in ("add_p", "igamma_p", "clamp_p", "bitcast_convert_type_p", "while_p", "psum_p"):
        assert getattr(lax, name).name == name[:-2]
