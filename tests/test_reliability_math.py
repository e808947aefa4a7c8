"""Nothing silently wrong in elementwise math, reductions and the NumPy front end.

Derivatives at ties (true values where they exist, documented conventions where
they do not), NaN-free derivatives of std at zero spread, NumPy's conversions
of operands, logaddexp at infinities, complex functions at special values
(C99 Annex G as NumPy implements it), huge Python ints, and every elementwise
and reduction row of the primitive table on NaN, inf, signed zeros, subnormals
and empty arrays, eagerly and under jit.
"""
from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import funcgrad as fg
import funcgrad.numpy as fnp
from funcgrad import primitives as P
from funcgrad.scipy.special import logsumexp
from funcgrad.testing import check_grads
from primitive_specs import SPECS, PrimSpec, spec_ids

inf, nan = math.inf, math.nan


def _grad2(f: Callable[..., Any], i: int, j: int) -> Callable[..., Any]:
    return fg.grad(fg.grad(f, argnums=i), argnums=j)


# ---------------------------------------------------------------------------
# 1. derivatives where branches tie


def _hypot_hessian(x: float, y: float) -> np.ndarray:
    h = math.hypot(x, y)
    u, v = x / h, y / h
    return np.array([[v * v, -u * v], [-u * v, u * u]]) / h


@pytest.mark.parametrize("x,y", [(2.0, 2.0), (-3.0, 3.0), (3.0, -4.0), (1e200, 1e200),
                                 (1e-200, -1e-200), (0.0, 2.0)])
def test_hypot_second_derivatives_are_the_true_ones(x: float, y: float) -> None:
    want = _hypot_hessian(x, y)
    got = np.array([[float(_grad2(fnp.hypot, i, j)(x, y)) for j in (0, 1)] for i in (0, 1)])
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=0)
    assert float(_grad2(fnp.hypot, 0, 0)(2.0, 2.0)) == pytest.approx(0.1767766952966369,
                                                                      rel=1e-14)


def test_hypot_values_overflow_free_and_exact_at_zero() -> None:
    assert float(fnp.hypot(1e200, 1e200)) == pytest.approx(math.sqrt(2) * 1e200, rel=1e-15)
    assert float(fnp.hypot(0.0, -3.5)) == 3.5 and float(fnp.hypot(-2.0, 0.0)) == 2.0
    assert float(fnp.hypot(3.0, 4.0)) == 5.0
    assert float(fnp.hypot(inf, nan)) == inf and math.isnan(float(fnp.hypot(1.0, nan)))
    g = fg.grad(fnp.hypot, argnums=(0, 1))
    assert [float(v) for v in g(0.0, 0.0)] == [0.0, 0.0]        # convention at the cone tip
    assert [float(v) for v in g(0.0, -2.0)] == [0.0, -1.0]
    np.testing.assert_allclose([float(v) for v in g(1e200, 1e200)], [2 ** -0.5] * 2, rtol=1e-15)


@pytest.mark.parametrize("name,f,args", [
    ("hypot", fnp.hypot, (np.array([2.0, -3.0, 0.5]), np.array([2.0, 3.0, -0.5]))),
    ("logaddexp", fnp.logaddexp, (np.array([2.0, -3.0]), np.array([2.0, -3.0]))),
    ("logaddexp2", fnp.logaddexp2, (np.array([2.0, -3.0]), np.array([2.0, -3.0]))),
    ("logsumexp", logsumexp, (np.array([2.0, 2.0, 1.0]),)),
    ("std_ties", fnp.std, (np.array([1.0, 1.0, 3.0]),)),
    ("sinc_at_0", fnp.sinc, (np.array([0.0, 1.0]),)),
    ("where_analytic", lambda x: fnp.where(x > 0, x + fnp.log1p(fnp.exp(-x)),
                                           fnp.log1p(fnp.exp(x))), (np.array([0.0, -1.0]),)),
])
def test_smooth_functions_at_ties_pass_second_order_checks(name: str, f: Any,
                                                           args: tuple[Any, ...]) -> None:
    check_grads(f, args, order=2, modes=("fwd", "rev"))


def test_logaddexp_second_derivative_at_a_tie_is_the_true_one() -> None:
    assert float(_grad2(fnp.logaddexp, 0, 0)(2.0, 2.0)) == pytest.approx(0.25, rel=1e-14)
    assert float(_grad2(fnp.logaddexp, 0, 1)(2.0, 2.0)) == pytest.approx(-0.25, rel=1e-14)
    assert float(_grad2(fnp.logaddexp2, 0, 0)(2.0, 2.0)) == pytest.approx(math.log(2) / 4,
                                                                          rel=1e-14)


def _tie_args(spec: PrimSpec) -> tuple[np.ndarray, ...]:
    x = np.array([[1.5, -2.0, 0.0], [1.5, 1.5, 0.0]])
    if spec.prim in (P.max_p, P.min_p):
        return (x, x.copy())
    if spec.prim is P.abs_p:
        return (np.array([0.0, -1.0, 2.0]),)
    return (np.array([[3.0, 3.0, 1.0], [-1.0, 2.0, 2.0]]),)


_TIE_SPECS = [s for s in SPECS if s.differentiable and s.prim in (
    P.max_p, P.min_p, P.abs_p, P.reduce_max_p, P.reduce_min_p)]


@pytest.mark.parametrize("spec", _TIE_SPECS, ids=spec_ids(_TIE_SPECS))
def test_kinks_at_ties_match_central_differences(spec: PrimSpec) -> None:
    """At a tie the one-sided derivatives differ; the conventions (half to each
    tied operand, 0 for abs at 0) are their mean, which central differences see."""
    check_grads(spec.fun, _tie_args(spec), order=1, modes=("fwd", "rev"))


def test_tie_conventions() -> None:
    for f in (fnp.maximum, fnp.minimum, fnp.fmax, fnp.fmin):
        assert [float(v) for v in fg.grad(f, argnums=(0, 1))(1.0, 1.0)] == [0.5, 0.5]
        assert [float(v) for v in fg.grad(f, argnums=(0, 1))(1.0, 2.0)] != [0.5, 0.5]
        assert float(_grad2(f, 0, 0)(1.0, 1.0)) == 0.0
    assert [float(v) for v in fg.grad(fnp.fmax, argnums=(0, 1))(nan, 1.0)] == [0.0, 1.0]
    assert float(fg.grad(fnp.abs)(0.0)) == 0.0 and float(fg.grad(fnp.abs)(-0.0)) == 0.0
    assert float(_grad2(fnp.abs, 0, 0)(0.0)) == 0.0
    np.testing.assert_array_equal(fg.grad(fnp.max)(np.array([1.0, 3.0, 3.0])), [0, 0.5, 0.5])
    np.testing.assert_array_equal(fg.grad(lambda x: fnp.min(x, axis=0).sum())(
        np.array([[1.0, 3.0], [1.0, 2.0]])), [[0.5, 0.0], [0.5, 1.0]])
    clip = fg.grad(lambda x: fnp.clip(x, 0.0, 1.0))
    assert float(clip(1.0)) == 0.5 and float(clip(0.0)) == 0.5 and float(clip(0.5)) == 1.0
    # where picks one branch's derivative, also at the branch point
    relu = fg.grad(lambda x: fnp.where(x > 0, x, 0.0))
    assert float(relu(0.0)) == 0.0 and float(relu(1.0)) == 1.0
    # sort with ties: the tangent follows the (stable) permutation, like JAX
    np.testing.assert_array_equal(fg.jacfwd(fnp.sort)(np.array([1.0, 1.0, 3.0])), np.eye(3))


# ---------------------------------------------------------------------------
# 2. std / var / nanstd where the spread is zero


@pytest.mark.parametrize("f", [fnp.std, fnp.var, fnp.nanstd, fnp.nanvar])
def test_spread_derivatives_are_zero_for_one_element(f: Any) -> None:
    x = np.array([3.0])
    np.testing.assert_array_equal(fg.grad(f)(x), [0.0])
    np.testing.assert_array_equal(fg.jit(fg.grad(f))(x), [0.0])
    _, t = fg.jvp(f, (x,), (np.array([1.0]),))
    assert float(t) == 0.0
    g = fg.grad(lambda a: f(a, axis=1).sum())(np.array([[1.0], [5.0]]))
    np.testing.assert_array_equal(g, [[0.0], [0.0]])
    np.testing.assert_array_equal(fg.hessian(f)(x), [[0.0]])


def test_std_values_and_gradients_unchanged_elsewhere() -> None:
    import jax
    import jax.numpy as jnp
    x = np.array([1.0, 2.0, 4.0, -0.5])
    for f, jf in ((fnp.std, jnp.std), (fnp.nanstd, jnp.nanstd)):
        np.testing.assert_allclose(fg.grad(f)(x), jax.grad(jf)(x), rtol=1e-14)
        np.testing.assert_allclose(f(x), np.std(x), rtol=1e-15)
    assert math.isnan(float(fnp.std(np.array([nan, 1.0]))))
    assert float(fnp.std(np.array([inf, 1.0]))) != 0.0
    assert float(fnp.nanstd(np.array([nan, 2.0, 4.0]))) == 1.0


# ---------------------------------------------------------------------------
# 3. complex helpers on 0-d complex inputs

_ZERO_D = [1 + 1j, np.complex128(-2 + 0.5j), np.complex64(1j), np.array(3 - 4j), 2.5,
           np.array(-1.0)]


@pytest.mark.parametrize("name", ["angle", "real", "imag", "conj", "abs", "isreal", "iscomplex"])
@pytest.mark.parametrize("v", _ZERO_D, ids=[repr(v) for v in _ZERO_D])
def test_complex_helpers_take_0d_values(name: str, v: Any) -> None:
    want = getattr(np, name)(v)
    for got in (getattr(fnp, name)(v), fg.jit(getattr(fnp, name))(v)):
        got = np.asarray(got)
        assert got.shape == np.shape(want) and got.dtype == np.asarray(want).dtype
        np.testing.assert_array_equal(got, want)


# ---------------------------------------------------------------------------
# 4. operands converted by NumPy's rules; bad ones named as written

_OPERANDS = [[1, 2], (0, 2), [1.5, -2.0], np.array([3, 4], np.int16), np.int8(3),
             np.float32(1.5), [[1], [2]], 2.5]


@pytest.mark.parametrize("other", _OPERANDS, ids=[repr(o) for o in _OPERANDS])
@pytest.mark.parametrize("op", ["__add__", "__rsub__", "__eq__", "__truediv__"])
def test_operators_take_numpy_operands(op: str, other: Any) -> None:
    for base in (np.array([0, 2], np.int8), np.array([0.5, 2.0], np.float32)):
        with np.errstate(all="ignore"):
            want = getattr(base, op)(other)
        x = fnp.asarray(base)
        for got in (getattr(x, op)(other), fg.jit(lambda a: getattr(a, op)(other))(x)):
            got = np.asarray(got)
            assert got.dtype == want.dtype and got.shape == want.shape, (got, want)
            np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("name", ["add", "maximum", "equal", "arctan2", "hypot", "logaddexp"])
def test_ufuncs_take_numpy_operands(name: str) -> None:
    a, b = [1.0, 2.0], (np.float32(3.0), 0.5)
    want = getattr(np, name)(a, np.array(b))
    for got in (getattr(fnp, name)(a, b), fg.jit(lambda u: getattr(fnp, name)(u, b))(a)):
        assert np.asarray(got).dtype == want.dtype
        np.testing.assert_allclose(np.asarray(got), want, rtol=1e-15)


_BAD = ["a", None, object(), [1, [2]], {"k": 1}, ["x", "y"]]


@pytest.mark.parametrize("bad", _BAD, ids=[type(b).__name__ for b in _BAD])
def test_bad_operands_raise_a_typeerror_naming_them(bad: Any) -> None:
    x = fnp.array([0, 2])
    calls = [lambda: x + bad, lambda: bad * x, lambda: x == bad, lambda: x ** bad,
             lambda: fnp.add(x, bad), lambda: fg.jit(lambda a: a - bad)(x),
             lambda: fg.jit(lambda a: fnp.maximum(a, bad))(x)]
    for call in calls:
        with pytest.raises(TypeError) as e:
            call()
        msg = str(e.value)
        assert "Traced" not in msg, msg
        assert type(bad).__name__ in msg and repr(bad)[:12] in msg, msg
    assert np.asarray(x + [1, 2]).tolist() == [1, 4]        # the next call works


# ---------------------------------------------------------------------------
# 5. logaddexp at infinities

_LAE = [inf, -inf, 0.0, -0.0, 1.0, -40.0, 40.0, nan, 1e308, -1e308, 3.0]


@pytest.mark.parametrize("name", ["logaddexp", "logaddexp2"])
@pytest.mark.parametrize("dt", [np.float64, np.float32])
def test_logaddexp_matches_numpy_everywhere(name: str, dt: Any) -> None:
    with np.errstate(all="ignore"):
        a, b = (m.ravel().astype(dt) for m in np.meshgrid(_LAE, _LAE))
        want = getattr(np, name)(a, b)
    for got in (getattr(fnp, name)(a, b), fg.jit(getattr(fnp, name))(a, b)):
        got = np.asarray(got)
        assert got.dtype == want.dtype
        with np.errstate(all="ignore"):
            np.testing.assert_allclose(got, want, rtol=2 * np.finfo(dt).eps, atol=0)
    assert float(fnp.logaddexp(inf, 0.0)) == inf and float(fnp.logaddexp(-inf, -inf)) == -inf
    assert float(fnp.logaddexp(3.0, 3.0)) == 3.0 + math.log(2)
    assert float(fnp.logaddexp2(-1.0, -1.0)) == 0.0


@pytest.mark.parametrize("f", [fnp.logaddexp, fnp.logaddexp2,
                               lambda a, b: logsumexp(fnp.stack([a, b]))])
def test_logaddexp_gradients_are_finite_where_defined(f: Any) -> None:
    for a, b, want in ((-inf, 0.0, (0.0, 1.0)), (0.0, -inf, (1.0, 0.0)),
                       (-inf, -1e308, (0.0, 1.0))):
        for g in (fg.grad(f, argnums=(0, 1)), fg.jit(fg.grad(f, argnums=(0, 1)))):
            assert tuple(float(v) for v in g(a, b)) == want
        _, t = fg.jvp(f, (a, b), (1.0, 1.0))
        assert float(t) == 1.0


def test_logsumexp_with_infinities() -> None:
    import scipy.special
    for v in ([inf, 0.0], [-inf, -inf], [inf, inf], [-inf, 0.0], [inf, -inf], [nan, 1.0],
              [1.0, 1.0], [0.0, -40.0], []):
        v = np.array(v)
        with np.errstate(all="ignore"):
            want = scipy.special.logsumexp(v)
        np.testing.assert_array_equal(np.asarray(logsumexp(v)), want)


# ---------------------------------------------------------------------------
# 6. complex elementwise functions at special values, against NumPy
#
# Documented differences, each beside the grid:
# - XLA on CPU flushes subnormal results to zero (and treats subnormal inputs as
#   zero), NumPy does not: the reference is flushed the same way before comparing.
# - NumPy computes some values through libm, whose last bit differs from XLA's;
#   values that are not exact special values are compared to a few ulps.

_COMPLEX_FUNCS = ["exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sqrt", "sinh",
                  "cosh", "tanh", "sin", "cos", "tan", "reciprocal", "sign", "abs", "square",
                  "conj", "negative", "arcsin", "arccos", "arctan", "arcsinh", "arccosh",
                  "arctanh"]


def _grid(dt: Any) -> np.ndarray:
    rdt = np.float32 if dt == np.complex64 else np.float64
    fi = np.finfo(rdt)
    v = [0.0, -0.0, 1.0, -1.0, inf, -inf, nan, float(fi.max) / 2, float(fi.tiny) * 4]
    re, im = zip(*itertools.product(v, v), strict=True)
    z = np.empty(len(re), dt)
    z.real, z.imag = re, im
    return z


def _flush(a: np.ndarray) -> np.ndarray:
    a = np.array(a)
    parts = [a] if a.dtype.kind == "f" else [a.real, a.imag]
    tiny = np.finfo(parts[0].dtype).tiny
    for p in parts:
        sub = (p != 0) & (np.abs(p) < tiny)
        p[sub] = np.copysign(0, p[sub])
    if a.dtype.kind == "c":
        a.real, a.imag = parts
    return a


def _same_special(got: np.ndarray, want: np.ndarray, rtol: float) -> np.ndarray:
    with np.errstate(all="ignore"):
        return _same_special_values(got, want, rtol)


def _same_special_values(got: np.ndarray, want: np.ndarray, rtol: float) -> np.ndarray:
    ok = np.ones(got.shape, bool)
    for g, w in ((got.real, want.real), (got.imag, want.imag)) if got.dtype.kind == "c" \
            else ((got, want),):
        exact = (g == w) & (np.signbit(g) == np.signbit(w))
        close = np.isfinite(g) & np.isfinite(w) & (w != 0) & (np.abs(g - w) <= rtol * np.abs(w))
        ok &= (np.isnan(g) & np.isnan(w)) | exact | close
    return ok


@pytest.mark.parametrize("dt", [np.complex128, np.complex64])
@pytest.mark.parametrize("name", _COMPLEX_FUNCS)
def test_complex_functions_at_special_values_match_numpy(name: str, dt: Any) -> None:
    z = _grid(dt)
    with np.errstate(all="ignore"):
        want = _flush(getattr(np, name)(z))
    rtol = 8 * np.finfo(np.float32 if dt == np.complex64 else np.float64).eps
    for mode, f in (("eager", getattr(fnp, name)), ("jit", fg.jit(getattr(fnp, name)))):
        got = np.asarray(f(z))
        assert got.dtype == want.dtype
        ok = _same_special(got, want, rtol) | _nan_in_nan_out(z, got, want)
        assert ok.all(), (mode, list(zip(z[~ok], got[~ok], want[~ok], strict=True))[:6])


def _nan_in_nan_out(z: np.ndarray, got: np.ndarray, want: np.ndarray) -> np.ndarray:
    """For an input with a NaN part, C99 Annex G leaves the sign of an infinite
    part and which part is NaN unspecified for several functions, and NumPy's
    answers there changed between 2.0 and 2.4 (arcsin(0+nanj), arccosh(nan-infj)):
    both results must carry a NaN, no more."""
    def has_nan(a: np.ndarray) -> np.ndarray:
        return np.isnan(a.real) | np.isnan(a.imag)
    return has_nan(z) & has_nan(got) & has_nan(want)


def test_named_complex_special_values() -> None:
    assert complex(fnp.exp(complex(-inf, 0.0))) == 0
    assert complex(fnp.exp(complex(-inf, 1.0))) == 0
    w = complex(fnp.log(complex(inf, inf)))
    assert w.real == inf and w.imag == pytest.approx(math.pi / 4, rel=1e-15)
    assert complex(fnp.sqrt(complex(-inf, 1.0))) == complex(0, inf)
    assert complex(fnp.tanh(complex(inf, 2.0))) == 1
    assert complex(fnp.reciprocal(complex(0.0, 2.0))) == -0.5j
    assert complex(fnp.sign(complex(inf, 1.0))) == 1


# ---------------------------------------------------------------------------
# 7. Python ints that no 64-bit integer holds


@pytest.mark.parametrize("make", [lambda: fnp.asarray(2 ** 70), lambda: fnp.array([1, 2 ** 70]),
                                  lambda: fnp.full(3, 2 ** 70), lambda: fnp.asarray(-2 ** 64),
                                  lambda: fnp.array([[1], [-2 ** 65]]),
                                  lambda: fnp.array(2 ** 64), lambda: fg.jit(lambda: 2 ** 70)()])
def test_huge_ints_say_they_do_not_fit(make: Any) -> None:
    with pytest.raises(OverflowError, match=r"Python int -?\d+ does not fit in int64"):
        make()


def test_ints_up_to_two_to_the_64_follow_numpy() -> None:
    for v in (2 ** 63, 2 ** 64 - 1, [1, 2 ** 63], -2 ** 63, [2 ** 63, 1]):
        want = np.asarray(v)
        got = np.asarray(fnp.asarray(v))
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)
    assert np.asarray(fnp.full(2, 2 ** 63)).dtype == np.full(2, 2 ** 63).dtype


# ---------------------------------------------------------------------------
# 8. the primitive table on NaN, inf, signed zeros, subnormals and empty arrays
#
# Documented differences, each asserted as documented:
# - XLA on CPU may flush subnormals to zero (NumPy keeps them): some operations
#   flush subnormal inputs or results (add, log, floor...), others pass them
#   through (sin(x) is x for tiny x). Each element must equal NumPy's result as
#   it is, or NumPy's result on flushed inputs, flushed again.
# - The sign of a zero chosen by max/min (and their reductions and cumulative
#   forms) between -0.0 and +0.0 depends on NumPy's SIMD path; not compared.
# - Summing over no axes: NumPy adds -0.0 to its +0.0 start (giving +0.0);
#   funcgrad returns the operand unchanged.
# - erf_inv is odd: erf_inv(-0.0) is -0.0 (SciPy's reference returns +0.0).
# - lgamma(-inf) is +inf as C99 and math.lgamma give (SciPy's gammaln gives -inf).
# - nextafter with a subnormal operand: XLA on CPU reads subnormals as zero even
#   through a bitcast, so a step from or to a subnormal is not NumPy's; the row
#   is checked on the other special values only.

_SPECIALS = [0.0, -0.0, 1.0, -1.5, inf, -inf, nan, 2.5, 3.0, -4.0]
_REDUCING = ("reduce_", "cum")
# polygamma's first operand is an integer order: the grid's values are not orders
# zeta off its principal domain (x <= 1, q <= 0, infinities) gives XLA's values, as
# JAX's does (tests/test_lax_elementwise.py checks them against JAX); SciPy's differ
_TABLE = [s for s in SPECS if s.special_dtypes and s.prim not in (P.polygamma_p, P.zeta_p)]
# bessel_i1e is odd: XLA gives i1e(-0.0) = -0.0 where SciPy gives +0.0
_ZERO_SIGN_FREE = (P.max_p, P.min_p, P.reduce_max_p, P.reduce_min_p, P.cummax_p, P.cummin_p,
                   P.bessel_i1e_p)


def _special_operands(spec: PrimSpec, dt: Any, subnormal: bool) -> list[tuple[np.ndarray, ...]]:
    vals = list(_SPECIALS)
    if subnormal:
        sub = float(np.finfo(dt).smallest_subnormal)
        vals[-2:] = [3 * sub, -5 * sub]
    v = np.array(vals, dt)
    if spec.name.startswith(_REDUCING):
        return [(v.reshape(2, 5),)]
    if len(spec.domain) == 1:
        return [(v,)]
    a, b = np.meshgrid(v, v)
    return [(a.ravel(), b.ravel())]


def _empty_operands(spec: PrimSpec, dt: Any) -> list[tuple[np.ndarray, ...]]:
    n = 1 if spec.name.startswith(_REDUCING) else len(spec.domain)
    return [(np.zeros(s, dt),) * n for s in ((0,), (2, 0))]


def _reference(spec: PrimSpec, args: tuple[np.ndarray, ...], flush: bool) -> np.ndarray:
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = np.asarray(spec.ref(*(_flush(a) if flush else a for a in args)))
    if spec.prim is P.lgamma_p:
        want = np.where(np.isneginf(args[0]), inf, want).astype(want.dtype)
    return _flush(want) if flush and want.dtype.kind in "fc" else want


@pytest.mark.parametrize("spec", _TABLE, ids=spec_ids(_TABLE))
def test_table_rows_on_special_values_match_numpy(spec: PrimSpec) -> None:
    runs = []
    for i, dt in enumerate(spec.special_dtypes):
        for args in _special_operands(spec, dt, subnormal=False):
            runs += [(args, spec.fun)] + ([(args, fg.jit(spec.fun))] if i == 0 else [])
        if spec.prim is not P.nextafter_p:
            runs += [(args, spec.fun) for args in _special_operands(spec, dt, subnormal=True)]
    dt = spec.special_dtypes[0]
    runs += [(args, spec.fun) for args in _empty_operands(spec, dt)]
    for args, f in runs:
        want, flushed = _reference(spec, args, False), _reference(spec, args, True)
        got = np.asarray(f(*map(fnp.asarray, args)))
        assert got.shape == want.shape and got.dtype == want.dtype, (got, want)
        if want.dtype.kind not in "fc":
            assert ((got == want) | (got == flushed)).all(), (spec.name, args, got, want)
            continue
        tol = spec.tolerance(want.dtype) or 1e-6
        ok = _same_special(got, want, tol) | _same_special(got, flushed, tol)
        zero = (got == 0) & ((want == 0) | (flushed == 0))
        ok |= zero & (flushed == 0) & (want != 0)   # a flushed subnormal: either zero
        if spec.prim in _ZERO_SIGN_FREE or spec.name == "reduce_sum_none" or \
                spec.prim is P.erf_inv_p:
            ok |= zero
        bad = ~ok
        assert not bad.any(), (spec.name, [a[bad.reshape(a.shape)] if a.shape == bad.shape
                                           else a for a in args], got[bad], want[bad])


def test_reductions_of_empty_arrays() -> None:
    e = fnp.zeros((0,))
    with pytest.raises(ValueError, match="zero-size array"):
        fnp.max(e)
    with pytest.raises(ValueError, match="zero-size array"):
        fg.jit(fnp.min)(fnp.zeros((2, 0)).T)
    assert float(fnp.max(e, initial=-1.0)) == -1.0
    assert float(fnp.sum(e)) == 0.0 and float(fnp.prod(e)) == 1.0
    assert math.isnan(float(fnp.mean(e)))
    np.testing.assert_array_equal(fnp.sum(fnp.zeros((2, 0)), axis=1), [0.0, 0.0])
    np.testing.assert_array_equal(fnp.max(fnp.zeros((2, 0)), axis=0), np.zeros((0,)))
