"""Elementwise math with NumPy's broadcasting and NumPy's result dtypes.

Each function asks NumPy's own type resolution (``ufunc.resolve_dtypes``)
for its loop and output dtypes, converts the operands, and binds one
primitive (or a short composition where NumPy's semantics differ from the
primitive's, e.g. floor division and Python-style remainder).
"""
from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from funcgrad import core, dtypes
from funcgrad import primitives as P
from funcgrad.array import Array
from funcgrad.config import LRUCache
from funcgrad.core import Primitive, ShapedArray, Tracer
from funcgrad.ir import Literal
from funcgrad.jit import jit
from funcgrad.numpy._util import (asarray_operand, aval_of, check_int_operands, convert, reject,
                                  ufunc_dtypes, ufunc_operand)

_current = core._current_trace
_eval = core.eval_trace

Fn = Callable[..., Any]


_PY_SCALAR_TYPES = frozenset((bool, int, float, complex))
_READY = frozenset((Array, Literal, bool, int, float, complex))


def operands(args: tuple[Any, ...], name: str) -> tuple[Any, ...]:
    """Lists, tuples and NumPy values turned into arrays (NumPy's conversion rules)
    before dispatch: a jitted function would see a list as a pytree of scalars."""
    for a in args:      # a plain loop: this runs on every eager ufunc call
        if type(a) not in _READY and not isinstance(a, Tracer):
            return tuple(ufunc_operand(x, name) for x in args)
    return args

_WEAK_TOKEN = (bool, int, float, complex)     # by dtypes.kind_rank
_lit_avals = LRUCache("literal avals")


def _literal(x: Any, dtype: np.dtype, weak: bool) -> Literal:
    """A Python scalar as a Literal of `dtype` (NumPy raises OverflowError when an
    int does not fit, as NEP 50 asks)."""
    aval = _lit_avals.get((dtype, weak))      # few keys (dtype, weak): no recency needed
    if aval is None:
        aval = _lit_avals.put((dtype, weak), ShapedArray((), dtype, weak))
    return Literal(dtype.type(x), aval)


def _prepare(plans: LRUCache, ufunc: np.ufunc, args: tuple[Any, ...],
             keep_weak: bool) -> tuple[list[Any], np.dtype, bool]:
    """Operands converted to the loop dtypes NumPy resolves for them (a plan cached
    per input dtype signature), plus the output dtype and weakness."""
    ops: list[Any] = []
    tokens: list[Any] = []
    for a in args:
        t = type(a)
        if t in _PY_SCALAR_TYPES:
            tokens.append(t)
        else:
            if not (t is Array or t is Literal or isinstance(a, Tracer)):
                a = asarray_operand(a)
            av = a.aval
            tokens.append(_WEAK_TOKEN[dtypes.kind_rank(av.dtype)] if av.weak_type
                          else av.dtype)
        ops.append(a)
    key = tuple(tokens)
    plan = plans.lookup(key)
    if plan is None:
        in_dts, out_dts, all_weak = ufunc_dtypes(ufunc, *args)
        plan = plans.put(key, (in_dts, out_dts[0], all_weak))
    in_dts, out_dt, weak = plan
    weak = weak and keep_weak
    out = []
    for o, d in zip(ops, in_dts, strict=True):
        if type(o) in _PY_SCALAR_TYPES:
            out.append(_literal(o, d, weak))
        else:
            av = o.aval
            out.append(o if av.dtype == d and av.weak_type == weak else convert(o, d, weak))
    return out, out_dt, weak


def _finish(r: Any, out_dt: np.dtype, weak: bool) -> Any:
    a = r.aval
    if a.dtype != out_dt or a.weak_type != weak:
        return convert(r, out_dt, weak)
    return r


class Ufunc:
    """A NumPy-style elementwise function; `impl(*operands)` gets dtype-resolved operands."""

    def __init__(self, name: str, np_ufunc: np.ufunc, impl: Fn):
        self.__name__ = self.name = name
        self.np_ufunc = np_ufunc
        self.impl = impl
        self.nin = np_ufunc.nin
        self.__doc__ = f"funcgrad's ``{name}``: like ``numpy.{np_ufunc.__name__}``."
        # Eagerly, the whole function (dtype conversions included) runs as one cached
        # executable, like one primitive; under a transformation it binds primitives.
        self.eager = {keep: jit(self._fixed_arity(keep)) for keep in (False, True)}
        self.plans = LRUCache("ufunc dtype plans")

    def _fixed_arity(self, keep_weak: bool) -> Fn:
        def fn(*xs: Any) -> Any:
            return self.apply(xs, keep_weak)
        fn.__name__ = self.name
        return fn

    def apply(self, args: tuple[Any, ...], keep_weak: bool) -> Any:
        if len(args) != self.nin:
            raise TypeError(f"{self.name} takes {self.nin} argument(s), got {len(args)}")
        args = operands(args, self.name)
        ops, out_dt, weak = _prepare(self.plans, self.np_ufunc, args, keep_weak)
        return _finish(self.impl(*ops), out_dt, weak)

    def __call__(self, *args: Any, out: Any = None, where: Any = None, dtype: Any = None,
                 **kwargs: Any) -> Any:
        reject(self.name, out=out, where=where)
        if kwargs:
            raise TypeError(f"{self.name}() got unsupported keyword argument(s) "
                            f"{', '.join(kwargs)}")
        if _current.get() is _eval and len(args) == self.nin:
            args = operands(args, self.name)
            check_int_operands(self.np_ufunc, args)
            r = self.eager[False](*args)
        else:
            r = self.apply(args, keep_weak=False)
        return r if dtype is None else convert(r, dtypes.canonicalize(dtype))

    def __repr__(self) -> str:
        return f"<funcgrad ufunc {self.name}>"


def _bind(prim: Primitive) -> Fn:
    return lambda *xs: prim.bind(*xs)


def _const(x: Any, c: float) -> Any:
    return convert(c, aval_of(x).dtype, aval_of(x).weak_type)


def _int_identity(prim: Primitive) -> Fn:
    def f(x: Any) -> Any:
        return x if not dtypes.is_inexact(aval_of(x).dtype) else prim.bind(x)
    return f


def _float_floor_divide(a: Any, b: Any) -> Any:
    """NumPy's float floor division, through fmod like Python's: floor(a / b) would
    round a / b first (1 // 0.1 is 9, not 10) and give inf for inf // 1 (NaN)."""
    zero = _const(a, 0)
    mod = P.rem_p.bind(a, b)
    div = P.div_p.bind(P.sub_p.bind(a, mod), b)
    fix = P.and_p.bind(P.ne_p.bind(mod, zero),
                       P.ne_p.bind(P.lt_p.bind(b, zero), P.lt_p.bind(mod, zero)))
    div = P.select_n_p.bind(fix, div, P.sub_p.bind(div, _const(a, 1)))
    fl = P.floor_p.bind(div)
    fl = P.select_n_p.bind(P.gt_p.bind(P.sub_p.bind(div, fl), _const(a, 0.5)), fl,
                           P.add_p.bind(fl, _const(a, 1)))
    q = P.div_p.bind(a, b)
    fl = P.select_n_p.bind(P.eq_p.bind(div, zero), fl, _copysign(zero, q))
    return P.select_n_p.bind(P.eq_p.bind(b, zero), fl, q)


def _floor_divide(a: Any, b: Any) -> Any:
    dt = aval_of(a).dtype
    if dtypes.is_inexact(dt):
        return _float_floor_divide(a, b)
    if dt == dtypes.bool_:
        return P.and_p.bind(a, b)
    q = P.div_p.bind(a, b)
    if dt.kind == "u":
        return q
    zero = _const(a, 0)
    r = P.rem_p.bind(a, b)
    fix = P.and_p.bind(P.ne_p.bind(r, zero),
                       P.ne_p.bind(P.lt_p.bind(a, zero), P.lt_p.bind(b, zero)))
    return P.select_n_p.bind(fix, q, P.sub_p.bind(q, _const(q, 1)))


def _remainder(a: Any, b: Any) -> Any:
    """Python's %: the result takes the divisor's sign."""
    dt = aval_of(a).dtype
    r = P.rem_p.bind(a, b)
    if dt.kind == "u" or dt == dtypes.bool_:
        return r
    zero = _const(r, 0)
    fix = P.and_p.bind(P.ne_p.bind(r, zero),
                       P.ne_p.bind(P.lt_p.bind(r, zero), P.lt_p.bind(b, zero)))
    r = P.select_n_p.bind(fix, r, P.add_p.bind(r, b))
    if dtypes.is_inexact(dt):       # a zero remainder takes the divisor's sign, as in NumPy
        r = P.select_n_p.bind(P.eq_p.bind(r, zero), r, _copysign(zero, b))
    return r


def _logical(prim: Primitive) -> Fn:
    def f(*xs: Any) -> Any:
        return prim.bind(*(x if aval_of(x).dtype == dtypes.bool_ else
                           P.ne_p.bind(x, _const(x, 0)) for x in xs))
    return f


def _right_shift(a: Any, b: Any) -> Any:
    prim = (P.shift_right_logical_p if aval_of(a).dtype.kind == "u"
            else P.shift_right_arithmetic_p)
    return prim.bind(a, b)


def _scaled(prim: Primitive | None, factor: float) -> Fn:
    def f(x: Any) -> Any:
        y = x if prim is None else prim.bind(x)
        if dtypes.is_complex(aval_of(y).dtype):
            # scale the parts: a complex product would turn (-inf + 0j) * c into nan
            re, im = P.real_p.bind(y), P.imag_p.bind(y)
            return P.complex_p.bind(P.mul_p.bind(re, _const(re, factor)),
                                    P.mul_p.bind(im, _const(im, factor)))
        return P.mul_p.bind(y, _const(y, factor))
    return f


def _isnan(x: Any) -> Any:
    if not dtypes.is_inexact(aval_of(x).dtype):
        return P.ne_p.bind(x, x)     # all False, right shape
    return P.ne_p.bind(x, x)


def _isinf(x: Any) -> Any:
    dt = aval_of(x).dtype
    if not dtypes.is_inexact(dt):
        return P.ne_p.bind(x, x)
    if dtypes.is_complex(dt):
        return P.or_p.bind(_isinf(P.real_p.bind(x)), _isinf(P.imag_p.bind(x)))
    return P.eq_p.bind(P.abs_p.bind(x), _const(x, math.inf))


def _isfinite(x: Any) -> Any:
    dt = aval_of(x).dtype
    if not dtypes.is_inexact(dt):
        return P.eq_p.bind(x, x)
    if dtypes.is_complex(dt):
        return P.and_p.bind(P.is_finite_p.bind(P.real_p.bind(x)),
                            P.is_finite_p.bind(P.imag_p.bind(x)))
    return P.is_finite_p.bind(x)


def _trunc(x: Any) -> Any:
    if not dtypes.is_inexact(aval_of(x).dtype):
        return x
    return P.select_n_p.bind(P.lt_p.bind(x, _const(x, 0)), P.floor_p.bind(x),
                             P.ceil_p.bind(x))


def _square(x: Any) -> Any:
    return P.mul_p.bind(x, x)


def _reciprocal(x: Any) -> Any:
    if not dtypes.is_complex(aval_of(x).dtype):
        return P.div_p.bind(_const(x, 1), x)
    # NumPy's (Smith's) formula, part by part: no overflow for huge parts, and
    # NumPy's values at zeros and infinities (1 / 0 is nan + nan j)
    a, b = P.real_p.bind(x), P.imag_p.bind(x)
    one = _const(a, 1)
    re_big = P.le_p.bind(P.abs_p.bind(b), P.abs_p.bind(a))
    # the selects change no value NumPy's formula uses; they keep XLA from rewriting
    # (a / b) / d as a / (b * d), which underflows to 0 / 0 for tiny b
    zero, nan = _const(a, 0), _const(a, math.nan)
    r1 = P.select_n_p.bind(P.eq_p.bind(a, zero), P.div_p.bind(b, a), nan)
    d1 = P.add_p.bind(a, P.mul_p.bind(b, r1))
    r2 = P.select_n_p.bind(P.eq_p.bind(b, zero), P.div_p.bind(a, b), zero)
    d2 = P.add_p.bind(P.mul_p.bind(a, r2), b)
    re = P.select_n_p.bind(re_big, P.div_p.bind(r2, d2), P.div_p.bind(one, d1))
    im = P.select_n_p.bind(re_big, P.neg_p.bind(P.div_p.bind(one, d2)),
                           P.neg_p.bind(P.div_p.bind(r1, d1)))
    return P.complex_p.bind(re, im)


def _sign(x: Any) -> Any:
    if aval_of(x).dtype == dtypes.bool_:
        return x
    return P.sign_p.bind(x)


def _power(a: Any, b: Any) -> Any:
    return P.pow_p.bind(a, b)


def _positive(x: Any) -> Any:
    return x


def _copysign(a: Any, b: Any) -> Any:
    neg = P.or_p.bind(P.lt_p.bind(b, _const(b, 0)),
                      P.and_p.bind(P.eq_p.bind(b, _const(b, 0)),
                                   P.lt_p.bind(P.div_p.bind(_const(b, 1), b), _const(b, 0))))
    mag = P.abs_p.bind(a)
    return P.select_n_p.bind(neg, mag, P.neg_p.bind(mag))


def _logaddexp_base(a: Any, b: Any, ln_base: float) -> Any:
    """log_base(base**a + base**b), NaN-free at infinities and smooth to all orders.

    With m = max(a, b) held constant (a stop_gradient: any constant shift cancels), the
    result is m + log1p(u) / ln(base) for u = base**(a-m) + base**(b-m) - 1, where
    `u` is summed so that the term that is exactly 1 enters as expm1(0) = 0: that
    keeps log1p's digits when the other term is tiny, and both ways of writing u are
    the same analytic function, so every derivative is the true one (ties included).
    A shift of 0 where m is +-inf makes logaddexp(inf, x) = inf and
    logaddexp(-inf, -inf) = -inf, as NumPy gives, and d/db at (-inf, b) is 1.
    """
    m = P.stop_gradient_p.bind(P.max_p.bind(a, b))
    m = P.select_n_p.bind(P.is_finite_p.bind(m), _const(m, 0), m)
    da, db = P.sub_p.bind(a, m), P.sub_p.bind(b, m)
    ln = _const(a, ln_base)

    def em1(d: Any) -> Any:
        return P.expm1_p.bind(d if ln_base == 1 else P.mul_p.bind(d, ln))

    def ex(d: Any) -> Any:
        return P.exp_p.bind(d) if ln_base == 1 else P.exp2_p.bind(d)

    u = P.select_n_p.bind(P.ge_p.bind(a, b), P.add_p.bind(ex(da), em1(db)),
                          P.add_p.bind(em1(da), ex(db)))
    lg = P.log1p_p.bind(u)
    lg = lg if ln_base == 1 else P.div_p.bind(lg, ln)
    # at a tie (u == 1) the value is exactly log_base(2), as NumPy gives (x + 1 for
    # logaddexp2); the correction carries no derivative, so the rule's derivatives stay
    exact = _const(lg, math.log(2.0) / ln_base)
    fix = P.add_p.bind(lg, P.stop_gradient_p.bind(P.sub_p.bind(exact, lg)))
    lg = P.select_n_p.bind(P.eq_p.bind(u, _const(u, 1)), lg, fix)
    return P.add_p.bind(m, lg)


def _logaddexp(a: Any, b: Any) -> Any:
    return _logaddexp_base(a, b, 1.0)


def _hypot(a: Any, b: Any) -> Any:
    """s * sqrt((a/s)**2 + (b/s)**2) with the scale s = max(|a|, |b|) held constant.

    Scaling keeps the squares from overflowing (or underflowing) long before the
    result does. The scale is a stop_gradient: any constant s gives the same
    function, so every derivative is that of sqrt(a**2 + b**2), to all orders and
    at ties |a| == |b| too (building the result from max/min instead would give
    the ties max's averaged derivative, and a zero second derivative). At the
    origin, where hypot has no derivative, the derivative is taken as 0, like
    abs at 0. hypot(0, b) is |b| exactly; inf wins over nan, as in NumPy.
    """
    x, y = P.abs_p.bind(a), P.abs_p.bind(b)
    s = P.stop_gradient_p.bind(P.max_p.bind(x, y))
    ok = P.and_p.bind(P.gt_p.bind(s, _const(s, 0)), P.is_finite_p.bind(s))
    s = P.select_n_p.bind(ok, _const(s, 1), s)
    u, v = P.div_p.bind(a, s), P.div_p.bind(b, s)
    q = P.add_p.bind(P.mul_p.bind(u, u), P.mul_p.bind(v, v))
    zero = P.eq_p.bind(q, _const(q, 0))
    root = P.sqrt_p.bind(P.select_n_p.bind(zero, q, _const(q, 1)))
    out = P.select_n_p.bind(zero, P.mul_p.bind(s, root), _const(q, 0))
    inf = _const(out, math.inf)     # like NumPy: hypot(inf, nan) is inf
    return P.select_n_p.bind(P.or_p.bind(P.eq_p.bind(x, inf), P.eq_p.bind(y, inf)), out, inf)


def _nan_ignoring(prim: Primitive) -> Fn:
    """fmax/fmin: a NaN operand loses to a number. Ties take max/min's derivative
    (half to each operand), so fmax and maximum differentiate alike."""
    def f(a: Any, b: Any) -> Any:
        if not dtypes.is_inexact(aval_of(a).dtype):
            return prim.bind(a, b)
        r = prim.bind(a, b)
        r = P.select_n_p.bind(P.ne_p.bind(b, b), r, a)
        return P.select_n_p.bind(P.ne_p.bind(a, a), r, b)
    return f


def _abs(x: Any) -> Any:
    dt = aval_of(x).dtype
    return x if dt == dtypes.bool_ or dt.kind == "u" else P.abs_p.bind(x)


def _conj(x: Any) -> Any:
    return P.conj_p.bind(x) if dtypes.is_complex(aval_of(x).dtype) else x


_LN2 = math.log(2.0)
_LN10 = math.log(10.0)

# Each ufunc is a module attribute (funcgrad.numpy re-exports them) and an entry of
# UFUNCS, where Array's operators and the reductions look them up by name.
UFUNCS: dict[str, Ufunc] = {}


def _ufunc(name: str, np_ufunc: np.ufunc, impl: Fn) -> Ufunc:
    uf = UFUNCS[name] = Ufunc(name, np_ufunc, impl)
    return uf


# arithmetic
add = _ufunc("add", np.add, _bind(P.add_p))
subtract = _ufunc("subtract", np.subtract, _bind(P.sub_p))
multiply = _ufunc("multiply", np.multiply, _bind(P.mul_p))
divide = _ufunc("divide", np.divide, _bind(P.div_p))
true_divide = _ufunc("true_divide", np.true_divide, _bind(P.div_p))
floor_divide = _ufunc("floor_divide", np.floor_divide, _floor_divide)
remainder = _ufunc("remainder", np.remainder, _remainder)
mod = _ufunc("mod", np.remainder, _remainder)
fmod = _ufunc("fmod", np.fmod, _bind(P.rem_p))
power = _ufunc("power", np.power, _power)
negative = _ufunc("negative", np.negative, _bind(P.neg_p))
positive = _ufunc("positive", np.positive, _positive)
absolute = _ufunc("absolute", np.absolute, _abs)
abs = _ufunc("abs", np.absolute, _abs)  # noqa: A001  (NumPy's name)
fabs = _ufunc("fabs", np.fabs, _abs)
sign = _ufunc("sign", np.sign, _sign)
square = _ufunc("square", np.square, _square)
reciprocal = _ufunc("reciprocal", np.reciprocal, _reciprocal)
maximum = _ufunc("maximum", np.maximum, _bind(P.max_p))
minimum = _ufunc("minimum", np.minimum, _bind(P.min_p))
fmax = _ufunc("fmax", np.fmax, _nan_ignoring(P.max_p))
fmin = _ufunc("fmin", np.fmin, _nan_ignoring(P.min_p))
copysign = _ufunc("copysign", np.copysign, _copysign)
logaddexp = _ufunc("logaddexp", np.logaddexp, _logaddexp)
hypot = _ufunc("hypot", np.hypot, _hypot)
nextafter = _ufunc("nextafter", np.nextafter, _bind(P.nextafter_p))

# exponents and logarithms
exp = _ufunc("exp", np.exp, _bind(P.exp_p))
exp2 = _ufunc("exp2", np.exp2, _bind(P.exp2_p))
expm1 = _ufunc("expm1", np.expm1, _bind(P.expm1_p))
log = _ufunc("log", np.log, _bind(P.log_p))
log2 = _ufunc("log2", np.log2, _scaled(P.log_p, 1 / _LN2))
log10 = _ufunc("log10", np.log10, _scaled(P.log_p, 1 / _LN10))
log1p = _ufunc("log1p", np.log1p, _bind(P.log1p_p))
sqrt = _ufunc("sqrt", np.sqrt, _bind(P.sqrt_p))
cbrt = _ufunc("cbrt", np.cbrt, _bind(P.cbrt_p))

# trigonometry
sin = _ufunc("sin", np.sin, _bind(P.sin_p))
cos = _ufunc("cos", np.cos, _bind(P.cos_p))
tan = _ufunc("tan", np.tan, _bind(P.tan_p))
arcsin = _ufunc("arcsin", np.arcsin, _bind(P.asin_p))
arccos = _ufunc("arccos", np.arccos, _bind(P.acos_p))
arctan = _ufunc("arctan", np.arctan, _bind(P.atan_p))
arctan2 = _ufunc("arctan2", np.arctan2, _bind(P.atan2_p))
sinh = _ufunc("sinh", np.sinh, _bind(P.sinh_p))
cosh = _ufunc("cosh", np.cosh, _bind(P.cosh_p))
tanh = _ufunc("tanh", np.tanh, _bind(P.tanh_p))
arcsinh = _ufunc("arcsinh", np.arcsinh, _bind(P.asinh_p))
arccosh = _ufunc("arccosh", np.arccosh, _bind(P.acosh_p))
arctanh = _ufunc("arctanh", np.arctanh, _bind(P.atanh_p))
deg2rad = _ufunc("deg2rad", np.deg2rad, _scaled(None, math.pi / 180))
radians = _ufunc("radians", np.radians, _scaled(None, math.pi / 180))
rad2deg = _ufunc("rad2deg", np.rad2deg, _scaled(None, 180 / math.pi))
degrees = _ufunc("degrees", np.degrees, _scaled(None, 180 / math.pi))

# rounding
floor = _ufunc("floor", np.floor, _int_identity(P.floor_p))
ceil = _ufunc("ceil", np.ceil, _int_identity(P.ceil_p))
rint = _ufunc("rint", np.rint, _int_identity(P.round_p))
trunc = _ufunc("trunc", np.trunc, _trunc)
fix = _ufunc("fix", np.trunc, _trunc)

# predicates and comparisons
isfinite = _ufunc("isfinite", np.isfinite, _isfinite)
isnan = _ufunc("isnan", np.isnan, _isnan)
isinf = _ufunc("isinf", np.isinf, _isinf)
equal = _ufunc("equal", np.equal, _bind(P.eq_p))
not_equal = _ufunc("not_equal", np.not_equal, _bind(P.ne_p))
less = _ufunc("less", np.less, _bind(P.lt_p))
less_equal = _ufunc("less_equal", np.less_equal, _bind(P.le_p))
greater = _ufunc("greater", np.greater, _bind(P.gt_p))
greater_equal = _ufunc("greater_equal", np.greater_equal, _bind(P.ge_p))
logical_and = _ufunc("logical_and", np.logical_and, _logical(P.and_p))
logical_or = _ufunc("logical_or", np.logical_or, _logical(P.or_p))
logical_xor = _ufunc("logical_xor", np.logical_xor, _logical(P.xor_p))
logical_not = _ufunc("logical_not", np.logical_not, _logical(P.not_p))

# bits
bitwise_and = _ufunc("bitwise_and", np.bitwise_and, _bind(P.and_p))
bitwise_or = _ufunc("bitwise_or", np.bitwise_or, _bind(P.or_p))
bitwise_xor = _ufunc("bitwise_xor", np.bitwise_xor, _bind(P.xor_p))
invert = _ufunc("invert", np.invert, _bind(P.not_p))
bitwise_not = _ufunc("bitwise_not", np.invert, _bind(P.not_p))
left_shift = _ufunc("left_shift", np.left_shift, _bind(P.shift_left_p))
right_shift = _ufunc("right_shift", np.right_shift, _right_shift)

# complex parts
conjugate = _ufunc("conjugate", np.conjugate, _conj)
conj = _ufunc("conj", np.conjugate, _conj)
