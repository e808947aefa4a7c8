"""The per-primitive test table (DESIGN.md, Tests): one or more `PrimSpec` rows
per primitive, driving eager-vs-NumPy, jit-vs-eager, JVP-vs-finite-differences,
VJP-vs-JVP and vmap-vs-loop checks.

A row says how to call the primitive (`fun`, params fixed or derived from the
operands' static shapes), what NumPy computes for it (`ref`), which operands to
draw (`args`: a function returning a Hypothesis strategy of a tuple of NumPy
arrays), where the function is smooth (`domain`: intervals per float operand),
how to move any operands into the primitive's valid domain (`project`),
which operand positions are differentiable, whether it is linear, and its
tolerance per dtype.

Every primitive has rows here or an entry in `UNTESTED` (below the table)
saying why not; tests/test_primitives.py enforces that.

    @given(data=st.data())
    def test_x(data):
        args = draw_args(spec, data)
        out = spec.fun(*map(fnp.asarray, args))
"""
from __future__ import annotations

import math
import string
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import ml_dtypes
import numpy as np
import scipy.linalg
import scipy.special
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import funcgrad.numpy as fnp
from funcgrad import dtypes as dtypes_
from funcgrad import primitives as P
from funcgrad.core import Primitive

Interval = tuple[float, float]
Domain = tuple[Interval, ...]           # a union of closed intervals

F16, BF16, F32, F64 = (np.dtype(np.float16), np.dtype(ml_dtypes.bfloat16),
                       np.dtype(np.float32), np.dtype(np.float64))
C64, C128 = np.dtype(np.complex64), np.dtype(np.complex128)
I8, I32, I64 = np.dtype(np.int8), np.dtype(np.int32), np.dtype(np.int64)
U8, U32 = np.dtype(np.uint8), np.dtype(np.uint32)
BOOL = np.dtype(np.bool_)

FLOATS = (F64, F32)
INTS = (I32, I64, U8)

DEFAULT_DOMAIN: Domain = ((-3.0, 3.0),)
DEFAULT_TOL = {F64: 1e-12, F32: 2e-6, F16: 2e-3, BF16: 2e-2, C64: 2e-6, C128: 1e-12}

_SIGNED_RANGE = (-6, 6)
_UNSIGNED_RANGE = (0, 9)


@dataclass(frozen=True)
class PrimSpec:
    """One row of the primitive test table.

    prim: the primitive. name: unique test id. fun(*arrays): binds `prim` (params
    fixed or derived from operand shapes); for a multiple-result primitive it
    returns a list, and may fix a gauge the primitive leaves free (the signs of
    eigenvectors) so that the result is a function of the operands.
    ref(*ndarrays): NumPy's value, whose dtype is the one `fun` must give (a
    tuple of values for a multiple-result primitive). args(): a strategy of a
    tuple of ndarrays.
    domain: per operand, the intervals float values are drawn from (the function
    is smooth there); None for non-float operands. differentiable: operand
    positions a derivative is taken for (empty for integer/bool/piecewise
    constant ops). linear: linear in its differentiable operands (jointly).
    tol: rtol/atol per dtype (merged over DEFAULT_TOL).
    special_dtypes: the float dtypes (of those the row draws) for which the row is
    also checked on NaN, +-inf, +-0, subnormal and empty operands; empty where the
    row's operands are not all floats of one dtype.
    project(*ndarrays): maps operands of any values (of the drawn shapes and
    dtypes) to operands in the row's valid domain -- positive-definite or
    well-separated matrices, unique or in-bounds indices; None where every value
    is valid. `args` already applies it; the vmap test applies it to the other
    batch lanes it draws.
    """

    prim: Primitive
    name: str
    fun: Callable[..., Any]
    ref: Callable[..., np.ndarray]
    args: Callable[[], st.SearchStrategy[tuple[np.ndarray, ...]]]
    domain: tuple[Domain | None, ...] = ()
    differentiable: tuple[int, ...] = ()
    linear: bool = False
    tol: dict[np.dtype, float] = field(default_factory=dict)
    special_dtypes: tuple[np.dtype, ...] = ()
    project: Callable[..., tuple[np.ndarray, ...]] | None = None

    def tolerance(self, dtype: Any) -> float:
        dt = np.dtype(dtype)
        t = {**DEFAULT_TOL, **self.tol}
        return t.get(dt, 0.0)

    def __repr__(self) -> str:
        return f"PrimSpec({self.name})"


def spec_ids(specs: Sequence[PrimSpec]) -> list[str]:
    return [s.name for s in specs]


def draw_args(spec: PrimSpec, data: st.DataObject) -> tuple[np.ndarray, ...]:
    return data.draw(spec.args(), label=f"{spec.name} args")


# ---------------------------------------------------------------------------
# strategies


def shapes(min_dims: int = 0, max_dims: int = 4, min_side: int = 0,
           max_side: int = 3) -> st.SearchStrategy[tuple[int, ...]]:
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side,
                            max_side=max_side)


def _floats_in(domain: Domain) -> st.SearchStrategy[float]:
    # NB: no subnormals: XLA on CPU flushes them to zero, NumPy does not.
    return st.one_of(*(st.floats(lo, hi, allow_nan=False, allow_infinity=False,
                                 allow_subnormal=False) for lo, hi in domain))


def values(dtype: np.dtype, shape: tuple[int, ...], domain: Domain | None = None,
           int_range: tuple[int, int] | None = None) -> st.SearchStrategy[np.ndarray]:
    """Arrays of `dtype` and `shape`: floats inside `domain`, ints inside `int_range`."""
    dtype = np.dtype(dtype)
    if dtype == BOOL:
        return hnp.arrays(BOOL, shape, elements=st.booleans())
    if dtype.kind in "iu":
        lo, hi = int_range or (_UNSIGNED_RANGE if dtype.kind == "u" else _SIGNED_RANGE)
        info = np.iinfo(dtype)
        lo, hi = max(lo, int(info.min)), min(hi, int(info.max))
        return hnp.arrays(dtype, shape, elements=st.integers(lo, hi))
    dom = domain or DEFAULT_DOMAIN
    if dtype.kind == "c":
        real = F64 if dtype == C128 else F32
        parts = st.tuples(values(real, shape, dom), values(real, shape, dom))
        return parts.map(lambda p: (p[0] + 1j * p[1]).astype(dtype))
    # Draw in float64 and round: covers float16/bfloat16, which Hypothesis
    # cannot draw directly.
    arr = hnp.arrays(F64, shape, elements=_floats_in(dom))
    return arr.map(lambda a: _flush_subnormals(a.astype(dtype)))


def _flush_subnormals(a: np.ndarray) -> np.ndarray:
    """Rounding to a narrower float can make a normal float64 subnormal: zero those
    (XLA on CPU flushes them, NumPy does not)."""
    tiny = dtypes_.finfo(a.dtype).tiny
    return np.where(np.abs(a.astype(np.float64)) < float(tiny), 0, a).astype(a.dtype)


def _unary_args(dtypes: Sequence[np.dtype], domain: Domain | None,
                int_range: tuple[int, int] | None = None, min_dims: int = 0,
                min_side: int = 0) -> Callable[[], st.SearchStrategy]:
    @st.composite
    def strat(draw: Any) -> tuple[np.ndarray, ...]:
        dt = draw(st.sampled_from(dtypes))
        shape = draw(shapes(min_dims=min_dims, min_side=min_side))
        return (draw(values(dt, shape, domain, int_range)),)
    return strat


def _nary_args(n: int, dtypes: Sequence[np.dtype], domains: Sequence[Domain | None],
               int_range: tuple[int, int] | None = None,
               int_ranges: Sequence[tuple[int, int] | None] | None = None
               ) -> Callable[[], st.SearchStrategy]:
    """n operands of one dtype with mutually broadcastable shapes."""
    @st.composite
    def strat(draw: Any) -> tuple[np.ndarray, ...]:
        dt = draw(st.sampled_from(dtypes))
        bs = draw(hnp.mutually_broadcastable_shapes(num_shapes=n, max_dims=4, min_side=0,
                                                    max_side=3))
        ranges = int_ranges or [int_range] * n
        return tuple(draw(values(dt, s, d, r))
                     for s, d, r in zip(bs.input_shapes, domains, ranges, strict=True))
    return strat


# ---------------------------------------------------------------------------
# references the NumPy namespace lacks


def _errstate(f: Callable[..., Any]) -> Callable[..., Any]:
    def g(*args: Any) -> Any:
        with np.errstate(all="ignore"):
            return f(*args)
    return g


def _same(f: Callable[..., Any]) -> Callable[..., np.ndarray]:
    """Apply f and cast back to the first operand's dtype (NumPy upcasts some)."""
    def g(*args: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            return np.asarray(f(*args)).astype(args[0].dtype)
    return g


def _via_f64(f: Callable[..., Any]) -> Callable[..., np.ndarray]:
    """Compute in float64 (or complex128) and round to the operand dtype: how
    the reference handles float16/bfloat16/float32 without losing accuracy."""
    def g(*args: np.ndarray) -> np.ndarray:
        dt = args[0].dtype
        wide = C128 if dt.kind == "c" else F64
        with np.errstate(all="ignore"):
            return np.asarray(f(*(a.astype(wide) for a in args))).astype(dt)
    return g


def _int_div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if a.dtype.kind in "iu":    # C semantics: truncate towards zero
        q = np.abs(a.astype(np.int64)) // np.abs(b.astype(np.int64))
        return (q * np.sign(a) * np.sign(b)).astype(a.dtype)
    return np.divide(a, b)


def _shift_right_logical(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if a.dtype.kind == "u":
        return np.right_shift(a, b)
    u = np.dtype(f"u{a.dtype.itemsize}")
    return np.right_shift(a.astype(u), b.astype(u)).astype(a.dtype)


def _popcount(x: np.ndarray) -> np.ndarray:
    # NB: np.bitwise_count counts the bits of |x|; XLA counts two's complement bits.
    u = np.dtype(f"u{x.dtype.itemsize}")
    return np.bitwise_count(x.view(u)).astype(x.dtype)


def _rsqrt(x: np.ndarray) -> np.ndarray:
    return 1 / np.sqrt(x)


def _logistic(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


def _sign(x: np.ndarray) -> np.ndarray:
    return np.sign(x)


def _pad_ref(x: np.ndarray, pv: np.ndarray,
             config: tuple[tuple[int, int, int], ...]) -> np.ndarray:
    out = x
    for axis, (lo, hi, interior) in enumerate(config):
        d = out.shape[axis]
        shape = list(out.shape)
        # interior padding: spread the elements `interior + 1` apart
        shape[axis] = d + max(d - 1, 0) * interior
        grown = np.full(shape, pv, x.dtype)
        idx = [slice(None)] * out.ndim
        idx[axis] = slice(None, None, interior + 1)
        grown[tuple(idx)] = out
        # edge padding: positive amounts add, negative ones crop
        shape[axis] = max(lo, 0)
        before = np.full(shape, pv, x.dtype)
        shape[axis] = max(hi, 0)
        after = np.full(shape, pv, x.dtype)
        grown = np.concatenate([before, grown, after], axis=axis)
        idx[axis] = slice(max(-lo, 0), grown.shape[axis] - max(-hi, 0))
        out = grown[tuple(idx)]
    return out


def _dot_general_ref(lhs: np.ndarray, rhs: np.ndarray, dims: P.DotDims) -> np.ndarray:
    (lc, rc), (lb, rb) = dims
    letters = iter(string.ascii_letters)
    ls = [next(letters) for _ in range(lhs.ndim)]
    rs = [next(letters) for _ in range(rhs.ndim)]
    for a, b in zip((*lc, *lb), (*rc, *rb), strict=True):
        rs[b] = ls[a]
    out = ([ls[i] for i in lb] + [ls[i] for i in range(lhs.ndim) if i not in lc and i not in lb]
           + [rs[i] for i in range(rhs.ndim) if i not in rc and i not in rb])
    spec = f"{''.join(ls)},{''.join(rs)}->{''.join(out)}"
    return np.einsum(spec, lhs, rhs).astype(lhs.dtype)


def _clamp_starts(x_shape: Sequence[int], sizes: Sequence[int],
                  idx: Sequence[np.ndarray]) -> list[int]:
    # XLA clamps start indices so the whole window stays inside the operand.
    return [int(min(max(int(i), 0), d - s)) for i, d, s in zip(idx, x_shape, sizes, strict=True)]


def _window(starts: Sequence[int], sizes: Sequence[int]) -> tuple[slice, ...]:
    return tuple(slice(a, a + s) for a, s in zip(starts, sizes, strict=True))


# ---------------------------------------------------------------------------
# families

SPECS: list[PrimSpec] = []


def _add(spec: PrimSpec) -> None:
    SPECS.append(spec)


def _bind(prim: Primitive, **params: Any) -> Callable[..., Any]:
    def f(*xs: Any) -> Any:
        return prim.bind(*xs, **params)
    f.__name__ = prim.name
    return f


def _row(prim: Primitive, name: str, fun: Callable[..., Any], ref: Callable[..., Any],
         strategy: Callable[[], st.SearchStrategy], domain: tuple[Domain | None, ...],
         differentiable: tuple[int, ...], linear: bool = False,
         tol: dict[np.dtype, float] | None = None,
         project: Callable[..., tuple[np.ndarray, ...]] | None = None) -> None:
    """A row whose strategy's draws go through `project` (when given)."""
    args = strategy if project is None else (lambda: strategy().map(lambda t: project(*t)))
    _add(PrimSpec(prim, name, fun, ref, args, domain, differentiable, linear, tol or {}, (),
                  project))


def _special(dtypes: Sequence[np.dtype]) -> tuple[np.dtype, ...]:
    return tuple(d for d in (F64, F32) if d in dtypes)


def unary(prim: Primitive, ref: Callable[..., Any], dtypes: Sequence[np.dtype] = FLOATS,
          domain: Domain | None = None, *, differentiable: bool = True, linear: bool = False,
          name: str | None = None, tol: dict[np.dtype, float] | None = None,
          int_range: tuple[int, int] | None = None) -> None:
    _add(PrimSpec(prim, name or prim.name, _bind(prim), ref,
                  _unary_args(dtypes, domain, int_range), (domain or DEFAULT_DOMAIN,),
                  (0,) if differentiable else (), linear, tol or {}, _special(dtypes)))


def binary(prim: Primitive, ref: Callable[..., Any], dtypes: Sequence[np.dtype] = FLOATS,
           domains: tuple[Domain | None, Domain | None] = (None, None), *,
           differentiable: tuple[int, ...] = (0, 1), linear: bool = False,
           name: str | None = None, tol: dict[np.dtype, float] | None = None,
           int_range: tuple[int, int] | None = None,
           int_ranges: Sequence[tuple[int, int] | None] | None = None) -> None:
    doms = tuple(d or DEFAULT_DOMAIN for d in domains)
    _add(PrimSpec(prim, name or prim.name, _bind(prim), ref,
                  _nary_args(2, dtypes, doms, int_range, int_ranges), doms,
                  differentiable, linear, tol or {}, _special(dtypes)))


# Operand 0 drawn from even unit bins, operand 1 from odd ones: never equal
# (max/min are not differentiable at ties), yet either can be the larger.
_EVEN_BINS: Domain = tuple((float(k), k + 0.9) for k in (-4, -2, 0, 2))
_ODD_BINS: Domain = tuple((float(k), k + 0.9) for k in (-3, -1, 1, 3))
_POS: Domain = ((0.1, 3.0),)
_OPEN_UNIT: Domain = ((-0.9, 0.9),)
# Away from the kinks/jumps of piecewise functions (integers and half-integers).
_OFF_GRID: Domain = tuple((k + 0.1, k + 0.4) for k in range(-3, 3)) + \
    tuple((k + 0.6, k + 0.9) for k in range(-3, 3))
_NONZERO: Domain = ((-3.0, -0.1), (0.1, 3.0))
_ALL_INT = (I8, I32, I64, U8, U32)

# -- unary elementwise
unary(P.neg_p, np.negative, (F64, F32, I32, C128), linear=True)
unary(P.sign_p, _sign, (F64, I32, U8), _NONZERO, differentiable=False)
unary(P.floor_p, np.floor, (F64, F32), _OFF_GRID, differentiable=False)
unary(P.ceil_p, np.ceil, (F64, F32), _OFF_GRID, differentiable=False)
unary(P.round_p, np.round, (F64, F32), _OFF_GRID, differentiable=False)
unary(P.round_p, np.round, (F64,), tuple((k / 2, k / 2) for k in range(-7, 8)),
      differentiable=False, name="round_half_even")
unary(P.exp_p, np.exp, (F64, F32, C128, BF16))
unary(P.exp2_p, np.exp2, (F64, F32))
unary(P.log_p, np.log, (F64, F32, F16), _POS)
unary(P.expm1_p, np.expm1, (F64, F32))
unary(P.log1p_p, np.log1p, (F64, F32), ((-0.9, 3.0),))
unary(P.sin_p, np.sin, (F64, F32, C128))
unary(P.cos_p, np.cos, (F64, F32))
unary(P.tan_p, np.tan, (F64, F32), ((-1.4, 1.4),), tol={F32: 1e-5})
unary(P.asin_p, np.arcsin, (F64, F32), _OPEN_UNIT)
unary(P.acos_p, np.arccos, (F64, F32), _OPEN_UNIT)
unary(P.atan_p, np.arctan, (F64, F32))
unary(P.sinh_p, np.sinh, (F64, F32))
unary(P.cosh_p, np.cosh, (F64, F32))
unary(P.tanh_p, np.tanh, (F64, F32))
unary(P.asinh_p, np.arcsinh, (F64, F32))
unary(P.acosh_p, np.arccosh, (F64, F32), ((1.1, 4.0),))
unary(P.atanh_p, np.arctanh, (F64, F32), _OPEN_UNIT)
unary(P.logistic_p, _via_f64(_logistic), (F64, F32))
unary(P.sqrt_p, np.sqrt, (F64, F32), _POS)
unary(P.rsqrt_p, _via_f64(_rsqrt), (F64, F32), _POS)
unary(P.cbrt_p, np.cbrt, (F64, F32), _NONZERO)
unary(P.erf_p, _via_f64(scipy.special.erf), (F64, F32))
unary(P.erfc_p, _via_f64(scipy.special.erfc), (F64, F32))
unary(P.erf_inv_p, _via_f64(scipy.special.erfinv), (F64, F32), _OPEN_UNIT,
      tol={F64: 1e-10, F32: 1e-5})
unary(P.lgamma_p, _via_f64(scipy.special.gammaln), (F64, F32), _POS,
      tol={F64: 1e-10, F32: 1e-5})
unary(P.digamma_p, _via_f64(scipy.special.digamma), (F64, F32), ((0.5, 4.0),),
      tol={F64: 1e-10, F32: 1e-5})
unary(P.abs_p, np.abs, (F64, F32, I32, U8), _NONZERO)
unary(P.abs_p, np.abs, (C128, C64), _NONZERO, name="abs_complex")
unary(P.real_p, np.real, (C128, C64), linear=True)
unary(P.imag_p, np.imag, (C128, C64), linear=True)
unary(P.conj_p, np.conj, (C128, C64), linear=True)
unary(P.not_p, np.invert, (BOOL, I32, U8), differentiable=False)
unary(P.population_count_p, _popcount, (I32, I64, U8), differentiable=False,
      int_range=(-100, 100))
_add(PrimSpec(P.is_finite_p, "is_finite", _bind(P.is_finite_p), np.isfinite,
              _unary_args((F64, F32), ((-1e30, 1e30),)), ()))
_add(PrimSpec(P.is_finite_p, "is_finite_special", _bind(P.is_finite_p), np.isfinite,
              lambda: st.sampled_from((F64, F32)).flatmap(
                  lambda dt: hnp.arrays(dt, shapes(), elements=st.sampled_from(
                      [0.0, 1.5, -2.0, np.inf, -np.inf, np.nan]))).map(lambda a: (a,)), ()))

# -- binary elementwise
binary(P.add_p, np.add, (F64, F32, I32, U8, C128), linear=True)
binary(P.add_p, np.add, (BOOL,), differentiable=(), name="add_bool")
binary(P.sub_p, np.subtract, (F64, F32, I32, C128), linear=True)
binary(P.mul_p, np.multiply, (F64, F32, I32, U8, C128))
binary(P.mul_p, np.multiply, (BOOL,), differentiable=(), name="mul_bool")
binary(P.div_p, _int_div, (F64, F32, C128), (None, _NONZERO))
binary(P.div_p, _int_div, (I32, I64, U8), differentiable=(), name="div_int",
       int_ranges=[(-20, 20), (1, 5)])
binary(P.div_p, _int_div, (I32,), differentiable=(), name="div_int_neg",
       int_ranges=[(-20, 20), (-5, -1)])
binary(P.rem_p, _errstate(np.fmod), (F64, F32), (None, _NONZERO), differentiable=(0,))
binary(P.rem_p, np.fmod, (I32, I64), differentiable=(), name="rem_int",
       int_ranges=[(-20, 20), (1, 5)])
binary(P.pow_p, _via_f64(np.power), (F64, F32), (_POS, None))
binary(P.pow_p, np.power, (I32, I64), differentiable=(), name="pow_int",
       int_ranges=[(-4, 4), (0, 3)])
binary(P.max_p, np.maximum, (F64, F32), (_EVEN_BINS, _ODD_BINS))
binary(P.max_p, np.maximum, (I32, U8, BOOL), differentiable=(), name="max_int")
binary(P.min_p, np.minimum, (F64, F32), (_EVEN_BINS, _ODD_BINS))
binary(P.min_p, np.minimum, (I32, U8, BOOL), differentiable=(), name="min_int")
binary(P.atan2_p, np.arctan2, (F64, F32), (_NONZERO, _NONZERO))
binary(P.nextafter_p, np.nextafter, (F64, F32), differentiable=())
binary(P.and_p, np.bitwise_and, (BOOL, I32, U8), differentiable=())
binary(P.or_p, np.bitwise_or, (BOOL, I32, U8), differentiable=())
binary(P.xor_p, np.bitwise_xor, (BOOL, I32, U8), differentiable=())
binary(P.shift_left_p, _same(np.left_shift), (I32, U8), differentiable=(),
       int_ranges=[(-20, 20), (0, 7)])
binary(P.shift_right_arithmetic_p, _same(np.right_shift), (I32, I8), differentiable=(),
       int_ranges=[(-100, 100), (0, 7)])
binary(P.shift_right_logical_p, _shift_right_logical, (I32, U8), differentiable=(),
       int_ranges=[(-100, 100), (0, 7)])
binary(P.shift_right_logical_p, _shift_right_logical, (U8,), differentiable=(),
       name="shift_right_logical_u8", int_ranges=[(0, 255), (0, 7)])
for _prim, _ref in ((P.eq_p, np.equal), (P.ne_p, np.not_equal), (P.lt_p, np.less),
                    (P.le_p, np.less_equal), (P.gt_p, np.greater), (P.ge_p, np.greater_equal)):
    # small ints make ties frequent, which is where comparisons go wrong
    binary(_prim, _ref, (F64, F32, I32, U8, BOOL), differentiable=(), int_range=(-2, 2))
binary(P.eq_p, np.equal, (C128,), differentiable=(), name="eq_complex")

# stop_gradient: the identity on values (its derivative is zero, hence no positions)
unary(P.stop_gradient_p, lambda x: x, (F64, F32, I32), differentiable=False)
# name (checkpoint_name): the identity, linear, tagging a value for checkpoint policies
_add(PrimSpec(P.name_p, "name", _bind(P.name_p, name="h"), lambda x: x,
              _unary_args(FLOATS, None), (DEFAULT_DOMAIN,), (0,), True, {}, _special(FLOATS)))
# polygamma(n, x): n is an integer-valued float; only x is differentiable
binary(P.polygamma_p, _via_f64(lambda n, x: scipy.special.polygamma(n.astype(np.int64), x)),
       (F64, F32), (tuple((float(k), float(k)) for k in range(4)), ((0.5, 4.0),)),
       differentiable=(1,), tol={F64: 1e-9, F32: 1e-4})

# integer_pow (static exponent)
for _y in (0, 1, 2, 3, -2):
    _dom = _NONZERO if _y < 0 else None
    _add(PrimSpec(P.integer_pow_p, f"integer_pow_{_y}".replace("-", "m"),
                  _bind(P.integer_pow_p, y=_y),
                  _same(lambda x, _y=_y: np.power(x.astype(np.float64) if x.dtype.kind == "f"
                                                  else x, _y)),
                  _unary_args((F64, F32), _dom), (_dom or DEFAULT_DOMAIN,), (0,),
                  _y == 1, {F32: 1e-5}))
_add(PrimSpec(P.integer_pow_p, "integer_pow_int", _bind(P.integer_pow_p, y=3),
              _same(lambda x: np.power(x, 3)), _unary_args((I32, I64), None, (-9, 9)), ()))

# complex(re, im)
_add(PrimSpec(P.complex_p, "complex", _bind(P.complex_p), lambda re, im: re + 1j * im,
              _nary_args(2, (F64, F32), (DEFAULT_DOMAIN, DEFAULT_DOMAIN)),
              (DEFAULT_DOMAIN, DEFAULT_DOMAIN), (0, 1), True))


# select_n
@st.composite
def _select_bool_args(draw: Any) -> tuple[np.ndarray, ...]:
    dt = draw(st.sampled_from((F64, F32, I32)))
    bs = draw(hnp.mutually_broadcastable_shapes(num_shapes=3, max_dims=4, max_side=3))
    w, a, b = bs.input_shapes
    return (draw(values(BOOL, w)), draw(values(dt, a)), draw(values(dt, b)))


@st.composite
def _select_int_args(draw: Any) -> tuple[np.ndarray, ...]:
    bs = draw(hnp.mutually_broadcastable_shapes(num_shapes=4, max_dims=3, max_side=3))
    w, *cs = bs.input_shapes
    return (draw(values(I32, w, int_range=(0, 2))), *(draw(values(F64, c)) for c in cs))


def _select_ref(which: np.ndarray, *cases: np.ndarray) -> np.ndarray:
    return np.choose(which.astype(np.int64), cases).astype(cases[0].dtype)


_add(PrimSpec(P.select_n_p, "select_n_bool", _bind(P.select_n_p), _select_ref,
              _select_bool_args, (None, DEFAULT_DOMAIN, DEFAULT_DOMAIN), (1, 2), True))
_add(PrimSpec(P.select_n_p, "select_n_int", _bind(P.select_n_p), _select_ref,
              _select_int_args, (None, *(DEFAULT_DOMAIN,) * 3), (1, 2, 3), True))

# convert_element_type: (from, to) pairs; float->int only inside int range.
for _src, _dst in ((F64, F32), (F32, F64), (F64, BF16), (BF16, F32), (F64, F16), (F64, C128),
                   (F64, I32), (F32, U8), (I32, F64), (I64, I8), (U8, I32), (I32, BOOL),
                   (F64, BOOL), (BOOL, F32), (BOOL, I32), (C64, C128)):
    _diff = (0,) if _src.kind in "fcV" and _dst.kind in "fcV" and _dst != BOOL else ()
    _dom: Domain = ((0.0, 9.0),) if _dst.kind == "u" else DEFAULT_DOMAIN
    if _dst == BOOL or _dst.kind in "iu":
        _dom = tuple((k + 0.1, k + 0.9) for k in range(-3 if _dst.kind == "i" else 0, 3))
        _dom = _dom + ((0.0, 0.0),) if _dst == BOOL else _dom
    _add(PrimSpec(P.convert_element_type_p, f"convert_{_src}_to_{_dst}",
                  _bind(P.convert_element_type_p, new_dtype=_dst, weak_type=False),
                  _errstate(lambda x, _dst=_dst: x.astype(_dst)),
                  _unary_args((_src,), _dom, (-100, 100) if _src.kind == "i" else None),
                  (_dom,), _diff, bool(_diff)))


# ---------------------------------------------------------------------------
# shape manipulation (params derived from operand shapes, which are static)

_SHAPE_DTYPES = (F64, F32, I32, BOOL)


def _shape_op(prim: Primitive, name: str, fun: Callable[..., Any],
              ref: Callable[..., np.ndarray], dtypes: Sequence[np.dtype] = _SHAPE_DTYPES,
              min_dims: int = 0, min_side: int = 0,
              args: Callable[[], st.SearchStrategy] | None = None,
              domain: tuple[Domain | None, ...] = (DEFAULT_DOMAIN,),
              differentiable: tuple[int, ...] = (0,)) -> None:
    _add(PrimSpec(prim, name, fun, ref,
                  args or _unary_args(dtypes, None, min_dims=min_dims, min_side=min_side),
                  domain, differentiable, True))


def _bcast_fun(x: Any) -> Any:
    shape = (2, *x.shape)
    return P.broadcast_in_dim_p.bind(x, shape=shape,
                                     broadcast_dimensions=tuple(range(1, x.ndim + 1)))


def _bcast_ones_fun(x: Any) -> Any:
    # size-1 dims expand to 3; the others are kept; a new middle axis of 2
    ndim = x.ndim
    shape = tuple(3 if d == 1 else d for d in x.shape)
    shape = shape[:1] + (2,) + shape[1:] if ndim else (2,)
    dims = tuple(i if i == 0 else i + 1 for i in range(ndim))
    return P.broadcast_in_dim_p.bind(x, shape=shape, broadcast_dimensions=dims)


def _bcast_ones_ref(x: np.ndarray) -> np.ndarray:
    ndim = x.ndim
    if not ndim:
        return np.broadcast_to(x, (2,)).copy()
    y = np.expand_dims(x, 1)
    shape = tuple(3 if d == 1 else d for d in x.shape)
    return np.broadcast_to(y, shape[:1] + (2,) + shape[1:]).copy()


_shape_op(P.broadcast_in_dim_p, "broadcast_in_dim", _bcast_fun,
          lambda x: np.broadcast_to(x, (2, *x.shape)).copy())
_shape_op(P.broadcast_in_dim_p, "broadcast_in_dim_ones", _bcast_ones_fun, _bcast_ones_ref)
_shape_op(P.reshape_p, "reshape_flat", lambda x: P.reshape_p.bind(x, new_sizes=(x.size,)),
          lambda x: x.reshape(-1))
_shape_op(P.reshape_p, "reshape_rev",
          lambda x: P.reshape_p.bind(x, new_sizes=tuple(reversed(x.shape))),
          lambda x: x.reshape(tuple(reversed(x.shape))))
_shape_op(P.transpose_p, "transpose_rev",
          lambda x: P.transpose_p.bind(x, permutation=tuple(reversed(range(x.ndim)))),
          lambda x: np.transpose(x))
_shape_op(P.transpose_p, "transpose_roll",
          lambda x: P.transpose_p.bind(x, permutation=(*range(1, x.ndim), 0)),
          lambda x: np.transpose(x, (*range(1, x.ndim), 0)), min_dims=1)


@st.composite
def _with_unit_dims(draw: Any) -> tuple[np.ndarray, ...]:
    shape = list(draw(shapes(max_dims=3)))
    for _ in range(draw(st.integers(1, 2))):
        shape.insert(draw(st.integers(0, len(shape))), 1)
    dt = draw(st.sampled_from(_SHAPE_DTYPES))
    return (draw(values(dt, tuple(shape))),)


def _unit_axes(shape: Sequence[int]) -> tuple[int, ...]:
    return tuple(i for i, d in enumerate(shape) if d == 1)


_shape_op(P.squeeze_p, "squeeze",
          lambda x: P.squeeze_p.bind(x, dimensions=_unit_axes(x.shape)),
          lambda x: np.squeeze(x, _unit_axes(x.shape)), args=_with_unit_dims)
_shape_op(P.squeeze_p, "squeeze_first",
          lambda x: P.squeeze_p.bind(x, dimensions=_unit_axes(x.shape)[:1]),
          lambda x: np.squeeze(x, _unit_axes(x.shape)[:1]), args=_with_unit_dims)
_shape_op(P.expand_dims_p, "expand_dims",
          lambda x: P.expand_dims_p.bind(x, dimensions=(0, x.ndim + 1)),
          lambda x: np.expand_dims(x, (0, x.ndim + 1)))
_shape_op(P.expand_dims_p, "expand_dims_mid",
          lambda x: P.expand_dims_p.bind(x, dimensions=(1,)),
          lambda x: np.expand_dims(x, 1), min_dims=1)
_shape_op(P.rev_p, "rev_all", lambda x: P.rev_p.bind(x, dimensions=tuple(range(x.ndim))),
          lambda x: np.flip(x, tuple(range(x.ndim))))
_shape_op(P.rev_p, "rev_last", lambda x: P.rev_p.bind(x, dimensions=(x.ndim - 1,)),
          lambda x: np.flip(x, x.ndim - 1), min_dims=1)


def _split_sizes(n: int) -> tuple[int, ...]:
    return (n // 2, 0, n - n // 2)


def _tile_reps(ndim: int) -> tuple[int, ...]:
    return tuple(2 - i % 2 for i in range(ndim))


_shape_op(P.split_p, "split_first",
          lambda x: P.split_p.bind(x, sizes=_split_sizes(x.shape[0]), axis=0),
          lambda x: tuple(np.split(x, np.cumsum(_split_sizes(x.shape[0]))[:-1], axis=0)),
          min_dims=1)
_shape_op(P.split_p, "split_last",
          lambda x: P.split_p.bind(x, sizes=(1, x.shape[-1] - 1), axis=x.ndim - 1),
          lambda x: (x[..., :1], x[..., 1:]), min_dims=1, min_side=1)
_shape_op(P.tile_p, "tile", lambda x: P.tile_p.bind(x, reps=_tile_reps(x.ndim)),
          lambda x: np.tile(x, _tile_reps(x.ndim)).astype(x.dtype))
_shape_op(P.copy_p, "copy", _bind(P.copy_p), lambda x: x.copy())


def _slice_params(shape: Sequence[int]) -> dict[str, tuple[int, ...]]:
    start = tuple(min(1, d) for d in shape)
    return dict(start_indices=start, limit_indices=tuple(shape),
                strides=tuple(1 + i % 2 for i in range(len(shape))))


def _slice_fun(x: Any) -> Any:
    return P.slice_p.bind(x, **_slice_params(x.shape))


def _slice_ref(x: np.ndarray) -> np.ndarray:
    p = _slice_params(x.shape)
    return x[tuple(slice(a, b, s) for a, b, s in
                   zip(p["start_indices"], p["limit_indices"], p["strides"], strict=True))]


_shape_op(P.slice_p, "slice", _slice_fun, _slice_ref)


def _window_sizes(shape: Sequence[int]) -> tuple[int, ...]:
    return tuple(min(d, 2) for d in shape)


@st.composite
def _dynamic_slice_args(draw: Any, update: bool = False) -> tuple[np.ndarray, ...]:
    dt = draw(st.sampled_from((F64, F32, I32)))
    shape = draw(shapes(max_dims=3))
    x = draw(values(dt, shape))
    # out-of-range starts too: XLA clamps them, and so must we
    idx = tuple(np.asarray(draw(st.integers(-2, d + 2)), draw(st.sampled_from((I32, I64))))
                for d in shape)
    if update:
        return (x, draw(values(dt, _window_sizes(shape))), *idx)
    return (x, *idx)


def _dynamic_slice_fun(x: Any, *idx: Any) -> Any:
    return P.dynamic_slice_p.bind(x, *idx, slice_sizes=_window_sizes(x.shape))


def _dynamic_slice_ref(x: np.ndarray, *idx: np.ndarray) -> np.ndarray:
    sizes = _window_sizes(x.shape)
    return x[_window(_clamp_starts(x.shape, sizes, idx), sizes)]


def _dynamic_update_slice_ref(x: np.ndarray, u: np.ndarray, *idx: np.ndarray) -> np.ndarray:
    out = x.copy()
    out[_window(_clamp_starts(x.shape, u.shape, idx), u.shape)] = u
    return out


_add(PrimSpec(P.dynamic_slice_p, "dynamic_slice", _dynamic_slice_fun, _dynamic_slice_ref,
              _dynamic_slice_args, (DEFAULT_DOMAIN,), (0,), True))
_add(PrimSpec(P.dynamic_update_slice_p, "dynamic_update_slice", _bind(P.dynamic_update_slice_p),
              _dynamic_update_slice_ref, lambda: _dynamic_slice_args(update=True),
              (DEFAULT_DOMAIN, DEFAULT_DOMAIN), (0, 1), True))


@st.composite
def _concat_args(draw: Any, n: int) -> tuple[np.ndarray, ...]:
    dt = draw(st.sampled_from(_SHAPE_DTYPES))
    shape = draw(shapes(min_dims=1, max_dims=3))
    axis = draw(st.integers(0, len(shape) - 1))
    out = []
    for _ in range(n):
        s = list(shape)
        s[axis] = draw(st.integers(0, 3))
        out.append(draw(values(dt, tuple(s))))
    # put the concatenation axis first so `fun` can use a fixed dimension
    return tuple(np.moveaxis(a, axis, 0) for a in out)


for _n in (1, 2, 3):
    _add(PrimSpec(P.concatenate_p, f"concatenate_{_n}", _bind(P.concatenate_p, dimension=0),
                  lambda *xs: np.concatenate(xs, axis=0),
                  lambda _n=_n: _concat_args(_n), (DEFAULT_DOMAIN,) * _n, tuple(range(_n)),
                  True))
_add(PrimSpec(P.concatenate_p, "concatenate_last",
              lambda x, y: P.concatenate_p.bind(x, y, dimension=x.ndim - 1),
              lambda x, y: np.concatenate([x, y], axis=-1),
              lambda: _concat_args(2).map(lambda t: tuple(np.moveaxis(a, 0, -1) for a in t)),
              (DEFAULT_DOMAIN,) * 2, (0, 1), True))


def _pad_config(shape: Sequence[int], negative: bool) -> tuple[tuple[int, int, int], ...]:
    if negative:  # crop one element where there is one to crop
        return tuple((-1 if d >= 2 else 0, 1, i % 2) for i, d in enumerate(shape))
    return tuple((1, 0, 1) if i % 2 else (0, 2, 0) for i in range(len(shape)))


@st.composite
def _pad_args(draw: Any) -> tuple[np.ndarray, ...]:
    dt = draw(st.sampled_from((F64, F32, I32)))
    x = draw(values(dt, draw(shapes(max_dims=3))))
    return (x, draw(values(dt, ())))


for _neg in (False, True):
    _add(PrimSpec(P.pad_p, "pad_negative" if _neg else "pad",
                  lambda x, v, _neg=_neg: P.pad_p.bind(
                      x, v, padding_config=_pad_config(x.shape, _neg)),
                  lambda x, v, _neg=_neg: _pad_ref(x, v, _pad_config(x.shape, _neg)),
                  _pad_args, (DEFAULT_DOMAIN, DEFAULT_DOMAIN), (0, 1), True))

for _dt, _shape, _dim in ((I32, (4,), 0), (F64, (2, 3), 1), (I64, (3, 1, 2), 2), (F32, (0, 3), 0)):
    _add(PrimSpec(P.iota_p, f"iota_{_dt}_{'x'.join(map(str, _shape))}_{_dim}",
                  lambda _dt=_dt, _shape=_shape, _dim=_dim: P.iota_p.bind(
                      dtype=_dt, shape=_shape, dimension=_dim),
                  lambda _dt=_dt, _shape=_shape, _dim=_dim: np.broadcast_to(
                      np.arange(_shape[_dim], dtype=_dt).reshape(
                          [-1 if i == _dim else 1 for i in range(len(_shape))]), _shape).copy(),
                  lambda: st.just(())))


# ---------------------------------------------------------------------------
# reductions

def _axes_sets(ndim: int) -> dict[str, tuple[int, ...]]:
    return {"all": tuple(range(ndim)), "first": (0,) if ndim else (),
            "last": (ndim - 1,) if ndim else (), "none": ()}


def _lowest(dt: np.dtype) -> Any:
    return -np.inf if dt.kind == "f" else (False if dt == BOOL else np.iinfo(dt).min)


def _highest(dt: np.dtype) -> Any:
    return np.inf if dt.kind == "f" else (True if dt == BOOL else np.iinfo(dt).max)


_REDUCE_REFS: dict[Primitive, Callable[[np.ndarray, tuple[int, ...]], np.ndarray]] = {
    P.reduce_sum_p: lambda x, ax: np.sum(x, axis=ax, dtype=x.dtype),
    P.reduce_prod_p: lambda x, ax: np.prod(x, axis=ax, dtype=x.dtype),
    # XLA's reductions over an empty axis give the identity (NumPy would raise)
    P.reduce_max_p: lambda x, ax: np.max(x, axis=ax, initial=_lowest(x.dtype)),
    P.reduce_min_p: lambda x, ax: np.min(x, axis=ax, initial=_highest(x.dtype)),
    P.reduce_and_p: lambda x, ax: (np.all(x, axis=ax) if x.dtype == BOOL else
                                   np.bitwise_and.reduce(x, axis=ax)),
    P.reduce_or_p: lambda x, ax: (np.any(x, axis=ax) if x.dtype == BOOL else
                                  np.bitwise_or.reduce(x, axis=ax)),
    P.reduce_xor_p: lambda x, ax: np.bitwise_xor.reduce(x, axis=ax),
}
_REDUCE_DTYPES = {P.reduce_sum_p: (F64, F32, I32, U8), P.reduce_prod_p: (F64, F32, I32),
                  P.reduce_max_p: (F64, F32, I32, BOOL), P.reduce_min_p: (F64, I32, U8),
                  P.reduce_and_p: (BOOL, I32), P.reduce_or_p: (BOOL, U8),
                  P.reduce_xor_p: (BOOL, I32, U8)}
_REDUCE_DOMAIN = {P.reduce_prod_p: ((0.5, 1.5),),
                  P.reduce_max_p: tuple((k + 0.1 * j, k + 0.1 * j) for k in range(3)
                                        for j in range(10))}
_REDUCE_DIFF = {P.reduce_sum_p: True, P.reduce_prod_p: True, P.reduce_max_p: True,
                P.reduce_min_p: True}

for _prim, _ref in _REDUCE_REFS.items():
    for _which in ("all", "first", "last", "none"):
        _dom = _REDUCE_DOMAIN.get(_prim, DEFAULT_DOMAIN)
        # max/min are differentiable only without ties: distinct values, drawn
        # from a fine grid, make ties rare but keep max/min away from kinks
        _add(PrimSpec(_prim, f"{_prim.name}_{_which}",
                      lambda x, _prim=_prim, _which=_which: _prim.bind(
                          x, axes=_axes_sets(x.ndim)[_which]),
                      lambda x, _ref=_ref, _which=_which: np.asarray(
                          _ref(x, _axes_sets(x.ndim)[_which])).astype(x.dtype),
                      _unary_args(_REDUCE_DTYPES[_prim], _dom,
                                  (-3, 3) if _prim is P.reduce_prod_p else None),
                      (_dom,), (0,) if _REDUCE_DIFF.get(_prim) else (),
                      _prim is P.reduce_sum_p, {F32: 1e-5}, _special(_REDUCE_DTYPES[_prim])))

for _prim, _ref in ((P.argmax_p, np.argmax), (P.argmin_p, np.argmin)):
    for _which, _index_dtype in (("first", I32), ("last", I64)):
        _add(PrimSpec(_prim, f"{_prim.name}_{_which}_{_index_dtype}",
                      lambda x, _prim=_prim, _which=_which, _idt=_index_dtype: _prim.bind(
                          x, axis=_axes_sets(x.ndim)[_which][0], index_dtype=_idt),
                      lambda x, _ref=_ref, _which=_which, _idt=_index_dtype: np.asarray(
                          _ref(x, axis=_axes_sets(x.ndim)[_which][0])).astype(_idt),
                      # small ints: ties, where the first index must win
                      _unary_args((F64, I32, U8, BOOL), None, (-2, 2), min_dims=1, min_side=1),
                      (None,), ()))

_CUM_REFS = {P.cumsum_p: np.cumsum, P.cumprod_p: np.cumprod,
             P.cummax_p: np.maximum.accumulate, P.cummin_p: np.minimum.accumulate}


def _cum_ref(f: Callable[..., np.ndarray], x: np.ndarray, axis: int,
             reverse: bool) -> np.ndarray:
    if x.ndim == 0:
        return x
    if reverse:
        return np.flip(f(np.flip(x, axis), axis=axis), axis).astype(x.dtype)
    return np.asarray(f(x, axis=axis)).astype(x.dtype)


for _prim, _f in _CUM_REFS.items():
    for _reverse in (False, True):
        _dom = ((0.5, 1.5),) if _prim is P.cumprod_p else _REDUCE_DOMAIN[P.reduce_max_p]
        _dom = DEFAULT_DOMAIN if _prim is P.cumsum_p else _dom
        _add(PrimSpec(_prim, f"{_prim.name}{'_reverse' if _reverse else ''}",
                      lambda x, _prim=_prim, _r=_reverse: _prim.bind(
                          x, axis=x.ndim - 1, reverse=_r),
                      lambda x, _f=_f, _r=_reverse: _cum_ref(_f, x, x.ndim - 1, _r),
                      _unary_args((F64, F32, I32), _dom, (-3, 3), min_dims=1),
                      (_dom,), (0,), _prim is P.cumsum_p, {F32: 1e-5},
                      _special((F64, F32))))


# ---------------------------------------------------------------------------
# dot_general

_DOT_CASES: dict[str, tuple[P.DotDims, Callable[[Any], tuple[tuple[int, ...], tuple[int, ...]]]]]
_DOT_CASES = {
    "vector": ((((0,), (0,)), ((), ())), lambda d: ((d[0],), (d[0],))),
    "matvec": ((((1,), (0,)), ((), ())), lambda d: ((d[1], d[0]), (d[0],))),
    "matmul": ((((1,), (0,)), ((), ())), lambda d: ((d[1], d[0]), (d[0], d[2]))),
    "outer": ((((), ()), ((), ())), lambda d: ((d[0],), (d[1], d[2]))),
    "batched": ((((2,), (1,)), ((0,), (0,))), lambda d: ((d[3], d[1], d[0]), (d[3], d[0], d[2]))),
    "contract_two": ((((0, 2), (2, 1)), ((), ())),
                     lambda d: ((d[0], d[1], d[2]), (d[3], d[2], d[0]))),
    "batch_mid": ((((0,), (1,)), ((1,), (2,))), lambda d: ((d[0], d[1]), (d[2], d[0], d[1]))),
}


@st.composite
def _dot_args(draw: Any, case: str) -> tuple[np.ndarray, ...]:
    dt = draw(st.sampled_from((F64, F32, I32)))
    sizes = draw(st.lists(st.integers(0, 3), min_size=4, max_size=4))
    ls, rs = _DOT_CASES[case][1](sizes)
    return (draw(values(dt, ls)), draw(values(dt, rs)))


for _case, (_dims, _) in _DOT_CASES.items():
    _add(PrimSpec(P.dot_general_p, f"dot_general_{_case}",
                  _bind(P.dot_general_p, dimension_numbers=_dims),
                  lambda x, y, _dims=_dims: _dot_general_ref(x, y, _dims),
                  lambda _case=_case: _dot_args(_case), (DEFAULT_DOMAIN, DEFAULT_DOMAIN),
                  (0, 1), False, {F32: 1e-5}))


# ---------------------------------------------------------------------------
# fft over the trailing dimensions (the primitive's lengths must match them)

_FFT_REFS = {
    "FFT": (lambda x, k: np.fft.fftn(x, axes=tuple(range(-k, 0))), lambda d: d),
    "IFFT": (lambda x, k: np.fft.ifftn(x, axes=tuple(range(-k, 0))), lambda d: d),
    "RFFT": (lambda x, k: np.fft.rfftn(x, axes=tuple(range(-k, 0))),
             lambda d: C64 if d == F32 else C128),
    "IRFFT": (lambda x, k: np.fft.irfftn(x, s=_irfft_lengths(x.shape, k),
                                         axes=tuple(range(-k, 0))),
              lambda d: F32 if d == C64 else F64),
}


def _irfft_lengths(shape: Sequence[int], k: int) -> tuple[int, ...]:
    # an odd last length n has n // 2 + 1 == m input entries for m = shape[-1]
    return (*shape[len(shape) - k:-1], 2 * shape[-1] - 1)


def _fft_fun(fft_type: str, k: int) -> Callable[..., Any]:
    def f(x: Any) -> Any:
        lengths = (_irfft_lengths(x.shape, k) if fft_type == "IRFFT"
                   else tuple(x.shape[x.ndim - k:]))
        return P.fft_p.bind(x, fft_type=fft_type, fft_lengths=lengths)
    return f


def _fft_ref(fft_type: str, k: int) -> Callable[..., np.ndarray]:
    ref, out_dtype = _FFT_REFS[fft_type]
    return lambda x: np.asarray(ref(x.astype(C128 if x.dtype.kind == "c" else F64), k)
                                ).astype(out_dtype(x.dtype))


for _fft_type, _k in (("FFT", 1), ("IFFT", 1), ("RFFT", 1), ("IRFFT", 1), ("FFT", 2),
                      ("RFFT", 2), ("IRFFT", 2)):
    _dts = (F64, F32) if _fft_type == "RFFT" else (C128, C64)
    _add(PrimSpec(P.fft_p, f"fft_{_fft_type.lower()}_{_k}d", _fft_fun(_fft_type, _k),
                  _fft_ref(_fft_type, _k),
                  _unary_args(_dts, None, min_dims=_k, min_side=1), (DEFAULT_DOMAIN,), (0,),
                  True, {F64: 1e-11, C128: 1e-11, F32: 1e-5, C64: 1e-5}))

# ---------------------------------------------------------------------------
# indexing: gather, the scatters, sort
#
# Index operands are int32 or int64 with the index vector last. Out-of-bounds
# indices are drawn on purpose where the mode defines them ("clip", "fill",
# "drop"); rows whose meaning needs in-bounds or unique indices ("promise_in_bounds",
# a derivative through a replacing scatter, scatter_min/max) get them from
# `project`, so the vmap test's other lanes get them too.

_INDEX_DTYPES = (I32, I64)


def _ranks(i: np.ndarray) -> np.ndarray:
    """0..k-1 in the order of `i`'s k entries (ties by position): unique indices,
    in bounds for an axis of at least k, from any drawn ones."""
    order = np.argsort(np.argsort(i.reshape(-1), kind="stable"), kind="stable")
    return order.reshape(i.shape).astype(i.dtype)


def _clipped(i: np.ndarray, size: int) -> np.ndarray:
    return np.clip(i, 0, max(size - 1, 0)).astype(i.dtype)


@st.composite
def _rows_args(draw: Any, dtypes: Sequence[np.dtype], updates: bool, unique: bool = False,
               domains: tuple[Domain, Domain] = (DEFAULT_DOMAIN,) * 2) -> tuple[np.ndarray, ...]:
    """An operand (n, m), indices (*batch, 1) selecting its rows (from -2 to n + 1)
    and, for a scatter, updates (*batch, m). With `unique`, at most n indices."""
    dt = draw(st.sampled_from(dtypes))
    n, m = draw(st.integers(1, 3)), draw(st.integers(0, 3))
    if unique:
        k = draw(st.integers(0, n))
        batch = draw(st.sampled_from(((k,), (1, k))))
    else:
        batch = draw(shapes(max_dims=2, max_side=3))
    idx = draw(values(draw(st.sampled_from(_INDEX_DTYPES)), (*batch, 1), int_range=(-2, n + 1)))
    x = draw(values(dt, (n, m), domains[0]))
    return (x, idx, draw(values(dt, (*batch, m), domains[1]))) if updates else (x, idx)


def _gather_rows_fun(mode: str, fill_value: Any = None) -> Callable[..., Any]:
    def f(x: Any, idx: Any) -> Any:
        dn = P.GatherDimensionNumbers(offset_dims=(idx.ndim - 1,), collapsed_slice_dims=(0,),
                                      start_index_map=(0,))
        return P.gather_p.bind(x, idx, dimension_numbers=dn, slice_sizes=(1, x.shape[1]),
                               mode=mode, fill_value=fill_value)
    return f


def _gather_rows_ref(mode: str, fill_value: Any = None) -> Callable[..., np.ndarray]:
    def ref(x: np.ndarray, idx: np.ndarray) -> np.ndarray:
        i = idx[..., 0].astype(np.int64)
        out = x[np.clip(i, 0, x.shape[0] - 1)]
        if mode != "fill":
            return out
        fv = P.default_fill_value(x.dtype) if fill_value is None else fill_value
        inside = ((i >= 0) & (i < x.shape[0]))[..., None]
        return np.where(inside, out, np.asarray(fv).astype(x.dtype))
    return ref


def _index_rows(project: Callable[..., Any]) -> Callable[..., tuple[np.ndarray, ...]]:
    """`project` applied to the index operand (position 1) of a rows-layout row."""
    def p(x: np.ndarray, idx: np.ndarray, *rest: np.ndarray) -> tuple[np.ndarray, ...]:
        return (x, project(idx, x.shape[0]), *rest)
    return p


_IN_BOUNDS_ROWS = _index_rows(_clipped)
_UNIQUE_ROWS = _index_rows(lambda i, n: _ranks(i))


_GATHER_DOMAIN = (DEFAULT_DOMAIN, None)
_row(P.gather_p, "gather_rows_clip", _gather_rows_fun("clip"), _gather_rows_ref("clip"),
     lambda: _rows_args((F64, F32, I32), False), _GATHER_DOMAIN, (0,), True)
_row(P.gather_p, "gather_rows_in_bounds", _gather_rows_fun("promise_in_bounds"),
     _gather_rows_ref("promise_in_bounds"), lambda: _rows_args((F64, F32), False),
     _GATHER_DOMAIN, (0,), True, project=_IN_BOUNDS_ROWS)
# NB: a finite fill value: the derivative there is 0, which finite differences
# of a NaN fill could not confirm. Affine (the fill), so not marked linear.
_row(P.gather_p, "gather_rows_fill", _gather_rows_fun("fill", 0.5),
     _gather_rows_ref("fill", 0.5), lambda: _rows_args((F64, F32), False), _GATHER_DOMAIN, (0,))
_row(P.gather_p, "gather_rows_fill_default", _gather_rows_fun("fill"), _gather_rows_ref("fill"),
     lambda: _rows_args((I32, U8, BOOL), False), _GATHER_DOMAIN, ())


@st.composite
def _points_args(draw: Any) -> tuple[np.ndarray, ...]:
    """An operand (n, m) and indices (*batch, 2), each component from -2 past its end."""
    dt = draw(st.sampled_from((F64, F32, I32)))
    n, m = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    batch = draw(shapes(max_dims=2))
    it = draw(st.sampled_from(_INDEX_DTYPES))
    # component 0 indexes axis 1, component 1 axis 0 (start_index_map=(1, 0))
    cols = draw(values(it, (*batch, 1), int_range=(-2, m + 1)))
    rows = draw(values(it, (*batch, 1), int_range=(-2, n + 1)))
    return (draw(values(dt, (n, m))), np.concatenate([cols, rows], axis=-1))


def _gather_points_fun(x: Any, idx: Any) -> Any:
    dn = P.GatherDimensionNumbers(offset_dims=(), collapsed_slice_dims=(0, 1),
                                  start_index_map=(1, 0))
    return P.gather_p.bind(x, idx, dimension_numbers=dn, slice_sizes=(1, 1), mode="clip",
                           fill_value=None)


def _gather_points_ref(x: np.ndarray, idx: np.ndarray) -> np.ndarray:
    cols = np.clip(idx[..., 0].astype(np.int64), 0, x.shape[1] - 1)
    rows = np.clip(idx[..., 1].astype(np.int64), 0, x.shape[0] - 1)
    return x[rows, cols]


_row(P.gather_p, "gather_points", _gather_points_fun, _gather_points_ref, _points_args,
     _GATHER_DOMAIN, (0,), True)


@st.composite
def _window_args(draw: Any) -> tuple[np.ndarray, ...]:
    """An operand (n, m) and start indices (k, 1) along axis 1, from -2 past its end."""
    dt = draw(st.sampled_from((F64, F32)))
    n, m, k = draw(st.integers(0, 2)), draw(st.integers(1, 4)), draw(st.integers(0, 3))
    idx = draw(values(draw(st.sampled_from(_INDEX_DTYPES)), (k, 1), int_range=(-2, m + 1)))
    return (draw(values(dt, (n, m))), idx)


def _gather_window_fun(mode: str) -> Callable[..., Any]:
    """Windows of (all rows, min(2, m) columns): a batch of dynamic slices."""
    def f(x: Any, idx: Any) -> Any:
        dn = P.GatherDimensionNumbers(offset_dims=(1, 2), collapsed_slice_dims=(),
                                      start_index_map=(1,))
        return P.gather_p.bind(x, idx, dimension_numbers=dn,
                               slice_sizes=(x.shape[0], min(2, x.shape[1])), mode=mode,
                               fill_value=-1.0)
    return f


def _gather_window_ref(mode: str) -> Callable[..., np.ndarray]:
    def ref(x: np.ndarray, idx: np.ndarray) -> np.ndarray:
        w = min(2, x.shape[1])
        out = np.empty((idx.shape[0], x.shape[0], w), x.dtype)
        for j, i in enumerate(idx[:, 0].astype(np.int64)):
            start = min(max(i, 0), x.shape[1] - w)
            out[j] = x[:, start:start + w]
            if mode == "fill" and not 0 <= i <= x.shape[1] - w:
                out[j] = -1.0
        return out
    return ref


_row(P.gather_p, "gather_window_clip", _gather_window_fun("clip"), _gather_window_ref("clip"),
     _window_args, _GATHER_DOMAIN, (0,), True)
_row(P.gather_p, "gather_window_fill", _gather_window_fun("fill"), _gather_window_ref("fill"),
     _window_args, _GATHER_DOMAIN, (0,))


@st.composite
def _batched_index_args(draw: Any, dtypes: Sequence[np.dtype], updates: bool,
                        min_batch: int = 0) -> tuple[np.ndarray, ...]:
    """An operand (b, n), indices (b, k, 1) into its axis 1 and, for a scatter,
    updates (b, k): one lookup table per batch element (operand_batching_dims)."""
    dt = draw(st.sampled_from(dtypes))
    b, n = draw(st.integers(min_batch, 2)), draw(st.integers(1, 3))
    k = draw(st.integers(0, 3))
    idx = draw(values(draw(st.sampled_from(_INDEX_DTYPES)), (b, k, 1), int_range=(-2, n + 1)))
    x = draw(values(dt, (b, n)))
    return (x, idx, draw(values(dt, (b, k)))) if updates else (x, idx)


def _gather_batched_fun(x: Any, idx: Any) -> Any:
    dn = P.GatherDimensionNumbers(offset_dims=(), collapsed_slice_dims=(1,),
                                  start_index_map=(1,), operand_batching_dims=(0,),
                                  start_indices_batching_dims=(0,))
    # (a batching dim's slice is 1 wide, or 0 when the batch is empty)
    return P.gather_p.bind(x, idx, dimension_numbers=dn, slice_sizes=(min(x.shape[0], 1), 1),
                           mode="clip", fill_value=None)


def _gather_batched_ref(x: np.ndarray, idx: np.ndarray) -> np.ndarray:
    i = np.clip(idx[..., 0].astype(np.int64), 0, x.shape[1] - 1)
    return np.take_along_axis(x, i, axis=1)


_row(P.gather_p, "gather_batching_dims", _gather_batched_fun, _gather_batched_ref,
     lambda: _batched_index_args((F64, F32, I32), False), _GATHER_DOMAIN, (0,), True)


# -- scatters

def _replace(old: np.ndarray, new: np.ndarray) -> np.ndarray:
    return new


_COMBINE: dict[Primitive, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    P.scatter_p: _replace, P.scatter_add_p: np.add, P.scatter_mul_p: np.multiply,
    P.scatter_min_p: np.minimum, P.scatter_max_p: np.maximum}


def _scatter_rows_fun(prim: Primitive, mode: str, unique: bool = False) -> Callable[..., Any]:
    def f(x: Any, idx: Any, upd: Any) -> Any:
        dn = P.ScatterDimensionNumbers(update_window_dims=(upd.ndim - 1,),
                                       inserted_window_dims=(0,),
                                       scatter_dims_to_operand_dims=(0,))
        return prim.bind(x, idx, upd, dimension_numbers=dn, indices_are_sorted=False,
                         unique_indices=unique, mode=mode)
    return f


def _scatter_ref(prim: Primitive, mode: str, x: np.ndarray, idx: np.ndarray,
                 upd: np.ndarray) -> np.ndarray:
    """Updates applied one after another in index order; out-of-bounds ones
    clamped ("clip") or skipped. NB: for a replacing scatter with duplicate
    indices this makes the last update win."""
    out = x.copy()
    n = x.shape[0]
    for i, u in zip(idx.reshape(-1).astype(np.int64), upd.reshape(idx.size, *x.shape[1:]),
                    strict=True):
        if mode == "clip":
            i = min(max(i, 0), n - 1)
        elif not 0 <= i < n:
            continue
        with np.errstate(over="ignore"):
            out[i] = _COMBINE[prim](out[i], u)
    return out


def _scatter_row(prim: Primitive, name: str, mode: str, dtypes: Sequence[np.dtype],
                 differentiable: tuple[int, ...], *, unique: bool = False,
                 linear: bool = False,
                 domains: tuple[Domain, Domain] = (DEFAULT_DOMAIN, DEFAULT_DOMAIN)) -> None:
    """A scatter into the rows of an (n, m) operand; `unique` draws unique,
    in-bounds indices and tells the primitive so."""
    _row(prim, name, _scatter_rows_fun(prim, mode, unique),
         lambda x, i, u: _scatter_ref(prim, mode, x, i, u),
         lambda: _rows_args(dtypes, True, unique=unique, domains=domains),
         (domains[0], None, domains[1]), differentiable, linear, {F32: 1e-5},
         _UNIQUE_ROWS if unique else None)


_scatter_row(P.scatter_p, "scatter_unique", "promise_in_bounds", (F64, F32, I32), (0, 2),
             unique=True, linear=True)
# duplicate and out-of-bounds (clamped) indices: the JVP settles the winners
_scatter_row(P.scatter_p, "scatter_clip", "clip", (F64, F32, I32), (0, 2), linear=True)
_scatter_row(P.scatter_add_p, "scatter_add_clip", "clip", (F64, F32, I32, U8), (0, 2),
             linear=True)
_scatter_row(P.scatter_add_p, "scatter_add_drop", "drop", (F64, I32), (0, 2), linear=True)
# NB: updates away from 0: scatter_mul's derivative divides by them
_scatter_row(P.scatter_mul_p, "scatter_mul_clip", "clip", (F64, F32, I32), (0, 2),
             domains=(DEFAULT_DOMAIN, _NONZERO))
for _prim in (P.scatter_min_p, P.scatter_max_p):
    # unique indices and operand/update values that never tie: differentiable
    _scatter_row(_prim, f"{_prim.name}_unique", "promise_in_bounds", (F64, F32), (0, 2),
                 unique=True, domains=(_EVEN_BINS, _ODD_BINS))
    _scatter_row(_prim, f"{_prim.name}_int_drop", "drop", (I32, U8, BOOL), ())


def _scatter_batched_fun(x: Any, idx: Any, upd: Any) -> Any:
    dn = P.ScatterDimensionNumbers(update_window_dims=(), inserted_window_dims=(1,),
                                   scatter_dims_to_operand_dims=(1,),
                                   operand_batching_dims=(0,),
                                   scatter_indices_batching_dims=(0,))
    return P.scatter_add_p.bind(x, idx, upd, dimension_numbers=dn, indices_are_sorted=False,
                                unique_indices=False, mode="clip")


def _scatter_batched_ref(x: np.ndarray, idx: np.ndarray, upd: np.ndarray) -> np.ndarray:
    out = x.copy()
    for b in range(x.shape[0]):
        for i, u in zip(idx[b, :, 0].astype(np.int64), upd[b], strict=True):
            out[b, min(max(i, 0), x.shape[1] - 1)] += u
    return out


_row(P.scatter_add_p, "scatter_add_batching_dims", _scatter_batched_fun, _scatter_batched_ref,
     lambda: _batched_index_args((F64, F32, I32), True),
     (DEFAULT_DOMAIN, None, DEFAULT_DOMAIN),
     (0, 2), True, {F32: 1e-5})


# -- sort: along the last or the first axis; keys without ties where a
# derivative is taken (the tangent follows the permutation)

def _distinct(x: np.ndarray) -> np.ndarray:
    """Values a quarter apart in the order of `x`'s entries (ties by position):
    no two equal, so sorting is differentiable even after a finite-difference step."""
    if x.dtype.kind in "iu":
        return _ranks(x)
    return (_ranks(x).astype(np.float64) / 4 - 1).astype(x.dtype)


def _distinct_keys(keys: np.ndarray, *rest: np.ndarray) -> tuple[np.ndarray, ...]:
    return (_distinct(keys), *rest)


@st.composite
def _sort_args(draw: Any, n: int, dtypes: Sequence[np.dtype],
               int_range: tuple[int, int] | None = None,
               min_side: int = 0) -> tuple[np.ndarray, ...]:
    dt = draw(st.sampled_from(dtypes))
    shape = draw(shapes(min_dims=1, max_dims=3, min_side=min_side))
    return tuple(draw(values(dt, shape, int_range=int_range)) for _ in range(n))


def _sort_fun(axis: int, num_keys: int = 1, stable: bool = True) -> Callable[..., Any]:
    def f(*ops: Any) -> Any:
        return P.sort_p.bind(*ops, dimension=axis % ops[0].ndim, is_stable=stable,
                             num_keys=num_keys)
    return f


def _sort_ref(axis: int, num_keys: int = 1) -> Callable[..., tuple[np.ndarray, ...]]:
    """Lexicographic by the first `num_keys` operands (a stable sort), the rest
    permuted alike."""
    def ref(*ops: np.ndarray) -> tuple[np.ndarray, ...]:
        moved = [np.moveaxis(o, axis, -1) for o in ops]
        lead, n = moved[0].shape[:-1], moved[0].shape[-1]
        flat = [m.reshape(math.prod(lead), n) for m in moved]
        perm = np.zeros(flat[0].shape, np.int64)
        for r in range(perm.shape[0]):
            # np.lexsort's primary key is its last
            perm[r] = np.lexsort([f[r] for f in reversed(flat[:num_keys])])
        return tuple(np.moveaxis(np.take_along_axis(f, perm, axis=-1).reshape(*lead, n), -1, axis)
                     for f in flat)
    return ref


_row(P.sort_p, "sort_last", _sort_fun(-1), _sort_ref(-1),
     lambda: _sort_args(1, (F64, F32)), (DEFAULT_DOMAIN,), (0,),
     project=_distinct_keys)
_row(P.sort_p, "sort_first_unstable", _sort_fun(0, stable=False), _sort_ref(0),
     lambda: _sort_args(1, (F64, F32, I32)), (DEFAULT_DOMAIN,), (0,),
     project=_distinct_keys)
_row(P.sort_p, "sort_key_value", _sort_fun(-1), _sort_ref(-1),
     lambda: _sort_args(2, (F64, F32)), (DEFAULT_DOMAIN, DEFAULT_DOMAIN), (0, 1),
     project=_distinct_keys)
# integer keys with many ties: the order among ties is the stable one
_row(P.sort_p, "sort_two_int_keys_stable", _sort_fun(-1, num_keys=2), _sort_ref(-1, 2),
     lambda: _sort_args(3, (I32, U8), (0, 2)), (None, None, None), ())

# -- optimization_barrier: the identity on each of its operands
_row(P.optimization_barrier_p, "optimization_barrier", _bind(P.optimization_barrier_p),
     lambda x, y: (x, y), _nary_args(2, FLOATS, (DEFAULT_DOMAIN, DEFAULT_DOMAIN)),
     (DEFAULT_DOMAIN, DEFAULT_DOMAIN), (0, 1), linear=True)


# ---------------------------------------------------------------------------
# linear algebra: factorizations over the last two axes, batched over the rest
#
# Operands are drawn freely and moved into the valid domain by `project`:
# positive-definite matrices for cholesky, well-conditioned triangles for
# triangular_solve, a fixed, clear pivot order for lu, eigenvalues and singular
# values more than 2 apart (and away from zero) for eigh, svd and qr, so every
# output is a smooth function of the operand even after a finite-difference
# step. Rows fix the signs the factorizations leave free: an eigen- or singular
# vector points the way of the fixed vector the projection started from, R's
# diagonal is positive. Real operands only for those three (a complex vector's
# free phase would need fixing too).

_LINALG_TOL = {F64: 1e-10, C128: 1e-10, F32: 1e-4, C64: 1e-4}
_SMALL = 0.05       # the drawn part's weight next to a projection's fixed part


def _orthogonal(n: int) -> np.ndarray:
    """A fixed, unremarkable orthogonal n x n matrix."""
    q, _ = np.linalg.qr(np.random.default_rng(n).standard_normal((n, n)))
    return q


def _mT(a: np.ndarray) -> np.ndarray:
    return np.swapaxes(a, -1, -2)


@st.composite
def _matrix_args(draw: Any, dtypes: Sequence[np.dtype], tall: bool = False,
                 rhs: str | None = None) -> tuple[np.ndarray, ...]:
    """A batch (0 or 1 dims) of n x n matrices -- m x n with m >= n when `tall`
    -- and, with `rhs` "left" or "right", right-hand sides (n x k or k x n)."""
    dt = draw(st.sampled_from(dtypes))
    batch = draw(shapes(max_dims=1, max_side=2))
    n = draw(st.integers(1, 3))
    m = n + draw(st.integers(0, 1)) if tall else n
    a = draw(values(dt, (*batch, m, n)))
    if rhs is None:
        return (a,)
    k = draw(st.integers(0, 2))
    return (a, draw(values(dt, (*batch, n, k) if rhs == "left" else (*batch, k, n))))


def _positive_definite(a: np.ndarray) -> tuple[np.ndarray, ...]:
    n = a.shape[-1]
    return ((a @ np.conj(_mT(a)) + n * np.eye(n)).astype(a.dtype),)


_row(P.cholesky_p, "cholesky", P.cholesky_p.bind,
     _via_f64(np.linalg.cholesky), lambda: _matrix_args((F64, F32, C128)), (DEFAULT_DOMAIN,),
     (0,), tol=_LINALG_TOL, project=_positive_definite)


def _triangular(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, ...]:
    """A diagonally dominant operand: well conditioned whichever triangle is read."""
    n = a.shape[-1]
    return ((0.3 * a + 2 * n * np.eye(n)).astype(a.dtype), b)


def _triangular_solve_ref(left_side: bool, lower: bool, transpose_a: bool, conjugate_a: bool,
                          unit_diagonal: bool) -> Callable[..., np.ndarray]:
    def ref(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        wide = C128 if a.dtype.kind == "c" else F64
        t = np.tril(a.astype(wide)) if lower else np.triu(a.astype(wide))
        if unit_diagonal:
            t = np.where(np.eye(a.shape[-1], dtype=bool), 1, t)
        if transpose_a:
            t = _mT(t)
        if conjugate_a:
            t = np.conj(t)
        b = b.astype(wide)
        x = np.linalg.solve(t, b) if left_side else _mT(np.linalg.solve(_mT(t), _mT(b)))
        return x.astype(a.dtype)
    return ref


for _name, _params, _dts in (
        ("left_lower", (True, True, False, False, False), (F64, F32, C128)),
        ("right_upper_transposed", (False, False, True, False, False), (F64, F32)),
        ("left_upper_adjoint", (True, False, True, True, False), (C128,)),
        ("left_lower_unit_diagonal", (True, True, False, False, True), (F64,))):
    _kw = dict(zip(("left_side", "lower", "transpose_a", "conjugate_a", "unit_diagonal"),
                   _params, strict=True))
    _row(P.triangular_solve_p, f"triangular_solve_{_name}",
         _bind(P.triangular_solve_p, **_kw), _triangular_solve_ref(*_params),
         lambda _dts=_dts, _left=_kw["left_side"]: _matrix_args(
             _dts, rhs="left" if _left else "right"),
         (DEFAULT_DOMAIN, DEFAULT_DOMAIN), (0, 1), tol=_LINALG_TOL, project=_triangular)
# linear in b alone: reverse mode goes through its transpose rule
_row(P.triangular_solve_p, "triangular_solve_in_b",
     _bind(P.triangular_solve_p, left_side=True, lower=False, transpose_a=False,
           conjugate_a=False, unit_diagonal=False),
     _triangular_solve_ref(True, False, False, False, False),
     lambda: _matrix_args((F64, F32), rhs="left"), (DEFAULT_DOMAIN, DEFAULT_DOMAIN), (1,),
     True, _LINALG_TOL, _triangular)


def _pivoted(a: np.ndarray) -> tuple[np.ndarray, ...]:
    """Rows of a dominant diagonal, reversed: partial pivoting must undo the
    reversal, and no pivot is close to a tie."""
    n = a.shape[-1]
    return ((6 * np.eye(n)[::-1] + 0.1 * a).astype(a.dtype),)


def _lu_ref(a: np.ndarray) -> tuple[np.ndarray, ...]:
    n = a.shape[-1]
    flat = a.reshape(-1, n, n)
    lus, pivots, perms = [], [], []
    for m in flat:
        lu, piv = scipy.linalg.lu_factor(m.astype(F64))
        perm = np.arange(n)
        for i, p in enumerate(piv):
            perm[[i, p]] = perm[[p, i]]
        lus.append(lu)
        pivots.append(piv)
        perms.append(perm)
    batch = a.shape[:-2]
    return (np.reshape(lus, a.shape).astype(a.dtype),
            np.reshape(pivots, (*batch, n)).astype(I32),
            np.reshape(perms, (*batch, n)).astype(I32))


# NB: square only: lu's derivative is implemented for square matrices
_row(P.lu_p, "lu", P.lu_p.bind, _lu_ref, lambda: _matrix_args((F64, F32)), (DEFAULT_DOMAIN,),
     (0,), tol=_LINALG_TOL, project=_pivoted)


def _spectrum(n: int) -> np.ndarray:
    return 3.0 * np.arange(1, n + 1)


def _separated_symmetric(a: np.ndarray) -> tuple[np.ndarray, ...]:
    """A fixed rotation of diag(3, 6, ...) plus a small symmetric part of `a`:
    eigenvalues stay more than 2 apart, eigenvectors near the rotation's columns."""
    n = a.shape[-1]
    q = _orthogonal(n)
    sym = _SMALL * (a + _mT(a)) / 2
    return ((q @ (np.diag(_spectrum(n)) + sym) @ q.T).astype(a.dtype),)


def _column_signs(v: Any, reference: np.ndarray) -> Any:
    """+-1 for each of the first k columns of `v` (k: `reference`'s columns), shape
    (..., 1, k): the sign that makes it point the way of `reference`'s column."""
    k = reference.shape[-1]
    ref = fnp.asarray(reference.astype(v.dtype))
    return fnp.sign(fnp.sum(v[..., :k] * ref, axis=-2, keepdims=True))


def _column_signs_np(v: np.ndarray, reference: np.ndarray) -> np.ndarray:
    k = reference.shape[-1]
    return np.sign(np.sum(v[..., :k] * reference, axis=-2, keepdims=True))


def _eigh_fun(lower: bool) -> Callable[..., Any]:
    def f(a: Any) -> Any:
        v, w = P.eigh_p.bind(a, lower=lower)
        return [v * _column_signs(v, _orthogonal(a.shape[-1])), w]
    return f


def _eigh_ref(lower: bool) -> Callable[..., tuple[np.ndarray, ...]]:
    def ref(a: np.ndarray) -> tuple[np.ndarray, ...]:
        w, v = np.linalg.eigh(a.astype(F64), UPLO="L" if lower else "U")
        v = v * _column_signs_np(v, _orthogonal(a.shape[-1]))
        return v.astype(a.dtype), w.astype(a.dtype)
    return ref


for _lower in (True, False):
    _row(P.eigh_p, f"eigh_{'lower' if _lower else 'upper'}", _eigh_fun(_lower),
         _eigh_ref(_lower), lambda: _matrix_args((F64, F32)), (DEFAULT_DOMAIN,), (0,),
         tol=_LINALG_TOL, project=_separated_symmetric)


def _separated_singular(a: np.ndarray) -> tuple[np.ndarray, ...]:
    """U0 diag(3k, ..., 6, 3) V0^T plus a small part of `a` (m x n): singular values
    more than 2 apart and above 2, singular vectors near U0's and V0's columns."""
    m, n = a.shape[-2:]
    k = min(m, n)
    s = np.zeros((m, n))
    s[range(k), range(k)] = _spectrum(k)[::-1]
    return ((_orthogonal(m) @ s @ _orthogonal(n).T + _SMALL * a).astype(a.dtype),)


def _svd_fun(full_matrices: bool, compute_uv: bool) -> Callable[..., Any]:
    def f(a: Any) -> Any:
        outs = P.svd_p.bind(a, full_matrices=full_matrices, compute_uv=compute_uv)
        if not compute_uv:
            return outs
        s, u, vh = outs
        # u's column j and vh's row j flip together
        signs = _column_signs(u, _orthogonal(a.shape[-2])[:, :min(a.shape[-2:])])
        return [s, u * signs, vh * fnp.swapaxes(signs, -1, -2)]
    return f


def _svd_ref(full_matrices: bool, compute_uv: bool) -> Callable[..., tuple[np.ndarray, ...]]:
    def ref(a: np.ndarray) -> tuple[np.ndarray, ...]:
        rdt = F32 if a.dtype == F32 else F64
        if not compute_uv:
            return (np.linalg.svd(a.astype(F64), compute_uv=False).astype(rdt),)
        u, s, vh = np.linalg.svd(a.astype(F64), full_matrices=full_matrices)
        signs = _column_signs_np(u, _orthogonal(a.shape[-2])[:, :s.shape[-1]])
        return s.astype(rdt), (u * signs).astype(a.dtype), (vh * _mT(signs)).astype(a.dtype)
    return ref


@st.composite
def _wide_or_tall(draw: Any) -> tuple[np.ndarray, ...]:
    dt = draw(st.sampled_from((F64, F32)))
    batch = draw(shapes(max_dims=1, max_side=2))
    m, n = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    return (draw(values(dt, (*batch, m, n))),)


_row(P.svd_p, "svd", _svd_fun(False, True), _svd_ref(False, True), _wide_or_tall,
     (DEFAULT_DOMAIN,), (0,), tol=_LINALG_TOL, project=_separated_singular)
_row(P.svd_p, "svd_values_only", _svd_fun(False, False), _svd_ref(False, False), _wide_or_tall,
     (DEFAULT_DOMAIN,), (0,), tol=_LINALG_TOL, project=_separated_singular)
# NB: full_matrices only for square operands: the extra columns of a non-square
# one are not determined (and its derivative is implemented for square ones)
_row(P.svd_p, "svd_full_square", _svd_fun(True, True), _svd_ref(True, True),
     lambda: _matrix_args((F64,)), (DEFAULT_DOMAIN,), (0,), tol=_LINALG_TOL,
     project=_separated_singular)


def _qr_fun(full_matrices: bool) -> Callable[..., Any]:
    """q and r with R's diagonal made positive (the signs Householder QR leaves free)."""
    def f(a: Any) -> Any:
        q, r = P.qr_p.bind(a, full_matrices=full_matrices)
        signs = fnp.sign(fnp.diagonal(r, axis1=-2, axis2=-1))
        return [q * fnp.expand_dims(signs, -2), r * fnp.expand_dims(signs, -1)]
    return f


def _qr_ref(full_matrices: bool) -> Callable[..., tuple[np.ndarray, ...]]:
    def ref(a: np.ndarray) -> tuple[np.ndarray, ...]:
        q, r = np.linalg.qr(a.astype(F64), mode="complete" if full_matrices else "reduced")
        signs = np.sign(np.diagonal(r, axis1=-2, axis2=-1))
        return ((q * signs[..., None, :]).astype(a.dtype),
                (r * signs[..., :, None]).astype(a.dtype))
    return ref


# NB: m >= n and full_matrices only when square: qr's derivative is implemented
# there (a wide operand's R is not a smooth function of it)
_row(P.qr_p, "qr", _qr_fun(False), _qr_ref(False), lambda: _matrix_args((F64, F32), tall=True),
     (DEFAULT_DOMAIN,), (0,), tol=_LINALG_TOL, project=_separated_singular)
_row(P.qr_p, "qr_full_square", _qr_fun(True), _qr_ref(True), lambda: _matrix_args((F64,)),
     (DEFAULT_DOMAIN,), (0,), tol=_LINALG_TOL, project=_separated_singular)


def _eig_basis(n: int, cplx: bool) -> np.ndarray:
    """A fixed, well-conditioned, non-orthogonal basis (columns of unit norm)."""
    rng = np.random.default_rng(100 + n)
    t = np.eye(n) + 0.3 * rng.standard_normal((n, n))
    if cplx:
        t = t + 0.3j * rng.standard_normal((n, n))
    return t / np.linalg.norm(t, axis=0)


def _separated_general(a: np.ndarray) -> tuple[np.ndarray, ...]:
    """T (diag(3, 6, ...) + a small part of `a`) T^-1 with a fixed non-orthogonal T:
    eigenvalues stay distinct and apart (real ones for a real operand, complex ones
    for a complex operand), eigenvectors near T's columns."""
    n = a.shape[-1]
    cplx = a.dtype.kind == "c"
    t = _eig_basis(n, cplx)
    spectrum = _spectrum(n) * (1 + 0.5j) if cplx else _spectrum(n)
    return ((t @ (np.diag(spectrum) + _SMALL * a) @ np.linalg.inv(t)).astype(a.dtype),)


def _eig_fun(compute_eigenvectors: bool) -> Callable[..., Any]:
    """eig's results in a fixed order (ascending real part) and gauge: each eigenvector's
    phase (a sign for a real operand) turned so that it points the way of the basis
    column the projection started from."""
    def f(a: Any) -> Any:
        outs = P.eig_p.bind(a, compute_eigenvectors=compute_eigenvectors)
        w = outs[0]
        order = fnp.argsort(fnp.real(w), axis=-1)
        w = fnp.take_along_axis(w, order, axis=-1)
        if not compute_eigenvectors:
            return [w]
        v = outs[1]
        v = fnp.take_along_axis(v, fnp.broadcast_to(fnp.expand_dims(order, -2), v.shape),
                                axis=-1)
        ref = fnp.asarray(_eig_basis(a.shape[-1], a.dtype.kind == "c").astype(v.dtype))
        s = fnp.sum(fnp.conj(ref) * v, axis=-2, keepdims=True)
        return [w, v * fnp.conj(s) / fnp.abs(s)]
    return f


def _eig_ref(compute_eigenvectors: bool) -> Callable[..., tuple[np.ndarray, ...]]:
    def ref(a: np.ndarray) -> tuple[np.ndarray, ...]:
        cdt = C64 if a.dtype in (F32, C64) else C128
        w, v = np.linalg.eig(a.astype(C128))
        order = np.argsort(w.real, axis=-1)
        w = np.take_along_axis(w, order, axis=-1)
        if not compute_eigenvectors:
            return (w.astype(cdt),)
        v = np.take_along_axis(v, order[..., None, :], axis=-1)
        s = np.sum(np.conj(_eig_basis(a.shape[-1], a.dtype.kind == "c")) * v, axis=-2,
                   keepdims=True)
        return w.astype(cdt), (v * np.conj(s) / np.abs(s)).astype(cdt)
    return ref


# NB: eig is lowered on CPU only; distinct eigenvalues (its derivative assumes them)
_row(P.eig_p, "eig", _eig_fun(True), _eig_ref(True), lambda: _matrix_args((F64, F32, C128)),
     (DEFAULT_DOMAIN,), (0,), tol=_LINALG_TOL, project=_separated_general)
_row(P.eig_p, "eig_values_only", _eig_fun(False), _eig_ref(False),
     lambda: _matrix_args((F64, F32, C128)), (DEFAULT_DOMAIN,), (0,), tol=_LINALG_TOL,
     project=_separated_general)


# ---------------------------------------------------------------------------
# windowed reductions: params derived from the rank. The first axis is strided
# and padded, the last base-dilated, the second window-dilated; every window
# still holds a real element (so max/min never give the identity), and
# distinct values keep max/min differentiable.

def _window_params(shape: Sequence[int]) -> dict[str, Any]:
    nd = len(shape)
    window = [2] * nd
    strides, pads, base, wdil = [1] * nd, [(0, 0)] * nd, [1] * nd, [1] * nd
    strides[0], pads[0] = 2, (1, 1)
    base[-1] = 2
    if nd >= 3:
        wdil[1], pads[1] = 2, (0, 1)
    return {"window_dimensions": tuple(window), "window_strides": tuple(strides),
            "padding": tuple(pads), "base_dilation": tuple(base),
            "window_dilation": tuple(wdil)}


def _window_ref(op: Callable[..., np.ndarray], identity: Callable[[np.dtype], Any]
                ) -> Callable[[np.ndarray], np.ndarray]:
    """Dilate with the identity, pad with it, and combine the window's offsets."""
    def ref(x: np.ndarray) -> np.ndarray:
        p = _window_params(x.shape)
        ident = identity(x.dtype)
        dil = np.full([(n - 1) * b + 1
                       for n, b in zip(x.shape, p["base_dilation"], strict=True)], ident, x.dtype)
        dil[tuple(slice(None, None, b) for b in p["base_dilation"])] = x
        y = np.pad(dil, p["padding"], constant_values=ident)
        out_shape = [(n - ((k - 1) * w + 1)) // s + 1 for n, k, w, s in zip(
            y.shape, p["window_dimensions"], p["window_dilation"], p["window_strides"],
            strict=True)]
        acc = np.full(out_shape, ident, x.dtype)
        for offs in np.ndindex(*p["window_dimensions"]):
            idx = tuple(slice(j * w, j * w + (m - 1) * s + 1, s) for j, w, m, s in zip(
                offs, p["window_dilation"], out_shape, p["window_strides"], strict=True))
            acc = op(acc, y[idx]).astype(x.dtype)
        return acc
    return ref


for _prim, _op, _ident in ((P.reduce_window_sum_p, np.add, lambda dt: 0),
                           (P.reduce_window_max_p, np.maximum, _lowest),
                           (P.reduce_window_min_p, np.minimum, _highest)):
    _row(_prim, _prim.name, lambda x, _prim=_prim: _prim.bind(x, **_window_params(x.shape)),
         _window_ref(_op, _ident), _unary_args((F64, F32, I32), None, min_dims=1, min_side=1),
         (DEFAULT_DOMAIN,), (0,), _prim is P.reduce_window_sum_p, {F32: 1e-5},
         project=None if _prim is P.reduce_window_sum_p else (lambda x: (_distinct(x),)))


def _own_format(x: Any) -> Any:
    """reduce_precision to the operand's own format (exactly the identity): a
    rounding has no derivative to check against finite differences, so the row
    checks the rules' plumbing; tests/test_lax_windowed.py checks the rounding."""
    e, m = (11, 52) if x.dtype == F64 else (8, 23)
    return P.reduce_precision_p.bind(x, exponent_bits=e, mantissa_bits=m)


_row(P.reduce_precision_p, "reduce_precision_own_format", _own_format, lambda x: x,
     _unary_args((F64, F32), None), (DEFAULT_DOMAIN,), (0,), linear=True)


# ---------------------------------------------------------------------------
# conv_general_dilated: params fixed per row (strides, cropping and padding,
# both dilations, either kind of group, a non-canonical layout), operand sizes
# drawn (real floats). The reference, in float64, dilates and pads the lhs in the
# canonical layout, then adds up each kernel tap's strided slice contracted per
# group.

_CONV_ROWS: dict[str, tuple[dict[str, Any], int]] = {   # params, spatial dims
    "conv_1d_strided_dilated": (dict(
        window_strides=(2,), padding=((1, 2),), lhs_dilation=(1,), rhs_dilation=(2,),
        dimension_numbers=P.ConvDimensionNumbers((0, 1, 2), (0, 1, 2), (0, 1, 2)),
        feature_group_count=1, batch_group_count=1), 1),
    "conv_2d_nhwc_feature_groups": (dict(
        window_strides=(1, 2), padding=((1, -1), (0, 1)), lhs_dilation=(2, 1),
        rhs_dilation=(1, 1),
        dimension_numbers=P.ConvDimensionNumbers((0, 3, 1, 2), (3, 2, 0, 1), (0, 3, 1, 2)),
        feature_group_count=2, batch_group_count=1), 2),
    "conv_1d_batch_groups": (dict(
        window_strides=(1,), padding=((0, 1),), lhs_dilation=(1,), rhs_dilation=(1,),
        dimension_numbers=P.ConvDimensionNumbers((0, 1, 2), (0, 1, 2), (0, 1, 2)),
        feature_group_count=1, batch_group_count=2), 1),
}


def _conv_ref(params: dict[str, Any]) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    def ref(x: np.ndarray, w: np.ndarray) -> np.ndarray:
        lhs_spec, rhs_spec, out_spec = params["dimension_numbers"]
        fg, bg = params["feature_group_count"], params["batch_group_count"]
        a, k = np.transpose(x, lhs_spec).astype(F64), np.transpose(w, rhs_spec).astype(F64)
        dil = np.zeros((*a.shape[:2], *((n - 1) * d + 1 for n, d in zip(
            a.shape[2:], params["lhs_dilation"], strict=True))), F64)
        dil[(slice(None), slice(None), *(slice(None, None, d)
                                         for d in params["lhs_dilation"]))] = a
        padded = np.pad(dil, [(0, 0), (0, 0), *((max(lo, 0), max(hi, 0))
                                                 for lo, hi in params["padding"])])
        padded = padded[(slice(None), slice(None), *(slice(max(-lo, 0), n - max(-hi, 0))
                         for n, (lo, hi) in zip(padded.shape[2:], params["padding"],
                                                strict=True)))]
        strides, rdil = params["window_strides"], params["rhs_dilation"]
        out = [(n - (t - 1) * r - 1) // s + 1 for n, t, r, s in zip(
            padded.shape[2:], k.shape[2:], rdil, strides, strict=True)]
        n, c = a.shape[:2]
        o = k.shape[0]
        acc = np.zeros((n // bg, o, *out), F64)
        for taps in np.ndindex(*k.shape[2:]):
            part = padded[(slice(None), slice(None), *(slice(j * r, j * r + (m - 1) * s + 1, s)
                           for j, r, m, s in zip(taps, rdil, out, strides, strict=True)))]
            kt = k[(slice(None), slice(None), *taps)]
            if bg > 1:
                y = np.einsum("bnc...,boc->nbo...", part.reshape(bg, n // bg, c, *out),
                              kt.reshape(bg, o // bg, c))
            else:
                y = np.einsum("ngc...,goc->ngo...", part.reshape(n, fg, c // fg, *out),
                              kt.reshape(fg, o // fg, c // fg))
            acc += y.reshape(acc.shape)
        return np.transpose(acc, np.argsort(out_spec)).astype(x.dtype)
    return ref


def _conv_args(params: dict[str, Any], nsp: int) -> Callable[[], st.SearchStrategy]:
    @st.composite
    def strat(draw: Any) -> tuple[np.ndarray, ...]:
        lhs_spec, rhs_spec, _ = params["dimension_numbers"]
        fg, bg = params["feature_group_count"], params["batch_group_count"]
        dt = draw(st.sampled_from(FLOATS))
        n, cg, og = (draw(st.integers(1, 2)) for _ in range(3))
        spatial = [draw(st.integers(2, 4)) for _ in range(nsp)]
        taps = [draw(st.integers(1, 2)) for _ in range(nsp)]
        lhs_c = (n * bg, cg * fg, *spatial)
        rhs_c = (og * fg * bg, cg, *taps)
        lhs = tuple(lhs_c[list(lhs_spec).index(d)] for d in range(nsp + 2))
        rhs = tuple(rhs_c[list(rhs_spec).index(d)] for d in range(nsp + 2))
        return (draw(values(dt, lhs)), draw(values(dt, rhs)))
    return strat


for _name, (_params, _nsp) in _CONV_ROWS.items():
    _row(P.conv_general_dilated_p, _name,
         _bind(P.conv_general_dilated_p, precision=None, preferred_element_type=None,
               **_params),
         _conv_ref(_params), _conv_args(_params, _nsp), (DEFAULT_DOMAIN, DEFAULT_DOMAIN),
         (0, 1), tol={F32: 1e-5})


def _check_table() -> None:
    names = [s.name for s in SPECS]
    dup = {n for n in names if names.count(n) > 1}
    assert not dup, f"duplicate spec names {dup}"
    assert not any(math.isnan(t) for s in SPECS for t in s.tol.values())


_check_table()

# Primitives with no row here, each with the reason (tests/test_primitives.py
# checks that every primitive has rows or an entry, and no entry is stale).
# Higher-order primitives carry Programs in their params: a row would have to
# stage a Program per drawn operand shape, which their own tests do with the
# public transformations that build them.
UNTESTED: dict[str, str] = {
    "jit": "call primitive carrying a Program; tests/test_jit.py",
    "cond": "carries branch Programs; tests/test_control_flow.py, test_control_flow_grad.py",
    "while": "carries cond/body Programs; tests/test_control_flow.py, test_control_flow_grad.py",
    "scan": "carries a body Program; tests/test_control_flow.py, test_control_flow_grad.py",
    "custom_jvp_call": "carries the user's Program and JVP rule; tests/test_custom_rules.py",
    "custom_vjp_call": "carries the user's Programs fwd/bwd; tests/test_custom_rules.py",
    "custom_lin": "carries a custom_vjp's bwd, made only by its JVP rule; "
                  "tests/test_custom_rules.py, tests/test_custom_vjp_forward.py",
    "checkpoint": "carries a Program to rematerialise; tests/test_checkpoint.py",
    "bounded_while": "carries a while loop's Program (lax.while_loop with max_steps); "
                     "tests/test_while_grad.py",
}
# Collectives need a named axis in scope (vmap(axis_name=) or shard_map): a row
# would bind one outside any. tests/test_collectives_vmap.py checks each against
# NumPy lane by lane, nested and jitted, and its derivatives against JAX.
UNTESTED.update({name: "a collective needs a named axis in scope; tests/test_collectives_vmap.py"
                 for name in ("psum", "pmax", "pmin", "all_gather", "psum_scatter",
                              "all_to_all", "ppermute", "axis_index")})
# The layout primitives take a mesh of devices as a param (a row's operands live on
# one device); tests/test_sharding.py and tests/test_shard_map.py check them on 8
# devices against the same computation on whole arrays, under jit, grad, jvp, vmap.
UNTESTED.update({
    "sharding_constraint": "its param is a sharding over a mesh; tests/test_sharding.py",
    "shard_map": "carries a per-device Program and a mesh; tests/test_shard_map.py",
})
# linear_solve carries the matvec/solve Programs of lax.custom_linear_solve: a row
# would stage them per drawn shape; tests/test_linear_solve.py checks it against
# NumPy solves, finite differences and direct solves, under jit and vmap.
UNTESTED.update({name: "a host callback (a Python function, not an operation on arrays); "
                       "tests/test_debug_callbacks.py"
                 for name in ("pure_callback", "io_callback", "debug_callback")})
UNTESTED["dce_sink"] = ("no outputs to compare: tests/test_lax_primitives_extra.py checks the "
                        "computations it keeps, under jit, grad and vmap")
UNTESTED["linear_solve"] = ("carries matvec/solve Programs (lax.custom_linear_solve); "
                            "tests/test_linear_solve.py")
# Schur vectors are unique only up to column phases (and the real Schur form's 2x2
# blocks up to rotations), so a row comparing outputs with SciPy's cannot pass;
# tests/test_linalg_schur.py checks reconstruction, structure and spectra instead.
UNTESTED.update({
    "schur": "outputs defined up to column phases; tests/test_linalg_schur.py",
    "hessenberg": "packed reflectors checked by reconstruction; tests/test_linalg_schur.py",
    "householder_product": "checked against explicit reflector products and JAX; "
                           "tests/test_linalg_schur.py",
    "tridiagonal_solve": "both lowerings (gtsv, the Thomas loop) against NumPy and JAX; "
                         "tests/test_tridiagonal.py",
    "tridiagonal": "packed reflectors checked by reconstruction and against JAX; "
                   "tests/test_tridiagonal.py",
    "reduce_window": "carries the computation's Program; tests/test_lax_windowed.py "
                     "(lambdas, pytrees of operands, vmap, against JAX)",
    "select_and_gather_add": "the tangent of reduce_window_max/min: checked through their "
                             "rows' JVP/VJP and tests/test_lax_windowed.py",
    "select_and_scatter_add": "the cotangent of reduce_window_max/min: checked through "
                              "their rows' VJP and tests/test_lax_windowed.py",
})


# -- special functions and the remaining lax elementwise ops


def _clz(x: np.ndarray) -> np.ndarray:
    bits = x.dtype.itemsize * 8
    u = x.view(f"u{x.dtype.itemsize}").astype(object)
    return np.array([bits - int(v).bit_length() for v in u.ravel()],
                    x.dtype).reshape(x.shape)


def _mulhi(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The high half of the exact product (Python ints), in x's dtype."""
    bits = x.dtype.itemsize * 8
    xb, yb = np.broadcast_arrays(x, y)
    hi = [(int(a) * int(b)) >> bits for a, b in zip(xb.ravel(), yb.ravel(), strict=True)]
    return np.array(hi, x.dtype).reshape(xb.shape)


def _clamp(lo: np.ndarray, x: np.ndarray, hi: np.ndarray) -> np.ndarray:
    return np.minimum(np.maximum(x, lo), hi)


unary(P.square_p, np.square, (F64, F32, I32))
unary(P.clz_p, _clz, (I32, I64, U8), differentiable=False, int_range=(-100, 100))
binary(P.mulhi_p, _mulhi, (I32, I64), differentiable=(), int_range=(-(1 << 30), 1 << 30))
binary(P.mulhi_p, _mulhi, (U8, U32), differentiable=(), name="mulhi_unsigned",
       int_range=(0, 1 << 31))
# lo and hi never meet x's values at the kinks: x is clamped from below, from above, or not
_row(P.clamp_p, "clamp", _bind(P.clamp_p), _clamp,
     _nary_args(3, (F64, F32), (((-1.0, -0.6), (0.2, 0.4)),
                                ((-2.0, -1.2), (-0.4, 0.0), (1.2, 2.0)), ((0.8, 1.1),))),
     (((-1.0, -0.6), (0.2, 0.4)), ((-2.0, -1.2), (-0.4, 0.0), (1.2, 2.0)), ((0.8, 1.1),)),
     (0, 1, 2))
_row(P.clamp_p, "clamp_int", _bind(P.clamp_p), _clamp,
     _nary_args(3, (I32, U8), (None, None, None), int_ranges=[(0, 2), (0, 9), (5, 7)]),
     (None, None, None), ())
_add(PrimSpec(P.bitcast_convert_type_p, "bitcast_convert_type",
              _bind(P.bitcast_convert_type_p, new_dtype=np.dtype(np.int32)),
              lambda x: x.view(np.int32), _unary_args((F32,), None), (None,)))
# zeta(x, q) is differentiable in q only (as in JAX)
binary(P.zeta_p, _via_f64(scipy.special.zeta), (F64, F32), (((1.5, 4.0),), ((0.5, 3.0),)),
       differentiable=(1,), tol={F64: 1e-10, F32: 1e-5})
unary(P.bessel_i0e_p, _via_f64(scipy.special.i0e), (F64, F32), _NONZERO)
unary(P.bessel_i1e_p, _via_f64(scipy.special.i1e), (F64, F32), _NONZERO,
      tol={F64: 1e-10, F32: 1e-5})
UNTESTED.update({name: "its while-loop lowering takes about a second to compile, which a row "
                       "would pay for every drawn shape; tests/test_lax_elementwise.py checks "
                       "values, derivatives and vmap against JAX"
                 for name in ("igamma", "igammac", "igamma_grad_a",
                              "regularized_incomplete_beta")})

# -- top_k / approx_top_k: the k largest (or smallest) along an axis with int32
# indices; distinct keys, so the order (and the derivative) is unambiguous


def _extremes_ref(k: int, axis: int, largest: bool) -> Callable[..., tuple[np.ndarray, ...]]:
    def ref(x: np.ndarray) -> tuple[np.ndarray, ...]:
        ax = axis % x.ndim
        kk = min(k, x.shape[ax])
        order = np.argsort(-x.astype(np.float64) if largest else x, axis=ax, kind="stable")
        idx = np.take(order, np.arange(kk), axis=ax)
        return np.take_along_axis(x, idx, axis=ax), idx.astype(I32)
    return ref


def _top_k_fun(k: int, axis: int) -> Callable[..., Any]:
    def f(x: Any) -> Any:
        ax = axis % x.ndim
        return P.top_k_p.bind(x, k=min(k, x.shape[ax]), axis=ax)
    return f


def _approx_top_k_fun(k: int, axis: int, largest: bool) -> Callable[..., Any]:
    def f(x: Any) -> Any:
        ax = axis % x.ndim
        return P.approx_top_k_p.bind(x, k=min(k, x.shape[ax]), reduction_dimension=ax,
                                     recall_target=0.95, is_max_k=largest,
                                     reduction_input_size_override=-1, aggregate_to_topk=True)
    return f


_row(P.top_k_p, "top_k_last", _top_k_fun(2, -1), _extremes_ref(2, -1, True),
     lambda: _sort_args(1, (F64, F32, I32)), (DEFAULT_DOMAIN,), (0,), project=_distinct_keys)
_row(P.top_k_p, "top_k_first", _top_k_fun(1, 0), _extremes_ref(1, 0, True),
     lambda: _sort_args(1, (F64,)), (DEFAULT_DOMAIN,), (0,), project=_distinct_keys)
_row(P.approx_top_k_p, "approx_top_k_min", _approx_top_k_fun(2, -1, False),
     _extremes_ref(2, -1, False), lambda: _sort_args(1, (F64, F32)), (DEFAULT_DOMAIN,), (0,),
     project=_distinct_keys)

# -- cumlogsumexp: NumPy's logaddexp accumulated, forwards and backwards
for _reverse in (False, True):
    _add(PrimSpec(P.cumlogsumexp_p, f"cumlogsumexp{'_reverse' if _reverse else ''}",
                  lambda x, _r=_reverse: P.cumlogsumexp_p.bind(x, axis=x.ndim - 1, reverse=_r),
                  lambda x, _r=_reverse: _cum_ref(np.logaddexp.accumulate, x, x.ndim - 1, _r),
                  _unary_args((F64, F32), DEFAULT_DOMAIN, min_dims=1), (DEFAULT_DOMAIN,), (0,),
                  False, {F32: 1e-5}, _special((F64, F32))))

# XLA's generators: their bits are XLA's own, not NumPy's; tests/test_lax_rng_topk.py
# checks rng_bit_generator bit for bit against JAX and rng_uniform's range and shape.
UNTESTED.update({
    "rng_bit_generator": "random bits have no NumPy reference; tests/test_lax_rng_topk.py "
                         "compares them with JAX's",
    "rng_uniform": "a stateful draw has no NumPy reference; tests/test_lax_rng_topk.py",
})
