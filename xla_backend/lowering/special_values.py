"""NumPy's answers at signed zeros, infinities and NaNs, for the elementwise rules.

XLA's complex functions give nan+nanj (and drop signs of zero) at many points
where C99 Annex G, and so NumPy, define a value. The `c_*` functions here build
a complex result from real operations on its parts and pick the defined values
with selects; `elementwise.py` calls them when an operand is complex. `Parts`
is that real arithmetic, emitted into a lowering; the real special-value rules
use it too.

Every function emits into the caller's `LoweringContext` and reads the
equation's output aval from it, so it is called only from inside a rule.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from funcgrad import dtypes
from funcgrad.core import ShapedArray
from funcgrad.xla_backend.lowering.emitter import LoweringContext, compare


class Parts:
    """Real arithmetic on one shape and real dtype, emitted into a lowering."""

    def __init__(self, ctx: LoweringContext, shape: tuple[int, ...], dtype: np.dtype):
        self.ctx = ctx
        self.aval = ShapedArray(shape, dtype)
        self.bool_aval = ShapedArray(shape, dtypes.bool_)
        self.int_aval = ShapedArray(shape, np.dtype(f"i{dtype.itemsize}"))

    def c(self, v: float) -> str:
        return self.ctx.constant(v, self.aval.dtype, self.aval.shape)

    def f(self, name: str, *xs: str) -> str:
        return self.ctx.op1(name, list(xs), self.aval)

    def add(self, a: str, b: str) -> str:
        return self.f("stablehlo.add", a, b)

    def sub(self, a: str, b: str) -> str:
        return self.f("stablehlo.subtract", a, b)

    def mul(self, a: str, b: str) -> str:
        return self.f("stablehlo.multiply", a, b)

    def div(self, a: str, b: str) -> str:
        return self.f("stablehlo.divide", a, b)

    def neg(self, a: str) -> str:
        return self.f("stablehlo.negate", a)

    def abs(self, a: str) -> str:
        return self.f("stablehlo.abs", a)

    def cmp(self, direction: str, a: str, b: str) -> str:
        return compare(self.ctx, direction, a, b)

    def b(self, name: str, *xs: str) -> str:
        return self.ctx.op1(name, list(xs), self.bool_aval)

    def and_(self, *xs: str) -> str:
        out = xs[0]
        for x in xs[1:]:
            out = self.b("stablehlo.and", out, x)
        return out

    def or_(self, *xs: str) -> str:
        out = xs[0]
        for x in xs[1:]:
            out = self.b("stablehlo.or", out, x)
        return out

    def not_(self, x: str) -> str:
        return self.b("stablehlo.not", x)

    def sel(self, pred: str, on_true: str, on_false: str) -> str:
        return self.ctx.op1("stablehlo.select", [pred, on_true, on_false],
                            self.ctx.avals[on_true])

    def isnan(self, x: str) -> str:
        return self.cmp("NE", x, x)

    def isinf(self, x: str) -> str:
        return self.cmp("EQ", self.abs(x), self.c(math.inf))

    def finite(self, x: str) -> str:
        return self.b("stablehlo.is_finite", x)

    def is_zero(self, x: str) -> str:
        return self.cmp("EQ", x, self.c(0))

    def signbit(self, x: str) -> str:
        bits = self.ctx.op1("stablehlo.bitcast_convert", [x], self.int_aval)
        return compare(self.ctx, "LT", bits,
                       self.ctx.constant(0, self.int_aval.dtype, self.aval.shape))

    def copysign(self, mag: str, sign: str) -> str:
        m = self.abs(mag)
        return self.sel(self.signbit(sign), self.neg(m), m)

    def hypot(self, x: str, y: str) -> str:
        """NumPy's hypot: no overflow for huge parts, inf wins over nan."""
        ax, ay = self.abs(x), self.abs(y)
        s = self.f("stablehlo.maximum", ax, ay)
        ok = self.and_(self.cmp("GT", s, self.c(0)), self.finite(s))
        s = self.sel(ok, s, self.c(1))
        u, v = self.div(ax, s), self.div(ay, s)
        h = self.mul(s, self.f("stablehlo.sqrt", self.add(self.mul(u, u), self.mul(v, v))))
        return self.sel(self.or_(self.isinf(x), self.isinf(y)), self.c(math.inf), h)


def _parts_of(ctx: LoweringContext, z: str) -> tuple[Parts, str, str]:
    aval = ctx.avals_out[0]
    rdt = dtypes.real_dtype(ctx.avals[z].dtype)
    z = ctx.broadcast_to(z, aval.shape)
    r = Parts(ctx, aval.shape, rdt)
    return (r, ctx.op1("stablehlo.real", [z], r.aval), ctx.op1("stablehlo.imag", [z], r.aval))


def _cplx(ctx: LoweringContext, re: str, im: str) -> str:
    return ctx.op1("stablehlo.complex", [re, im], ctx.avals_out[0])


def _c_exp_parts(r: Parts, x: str, y: str) -> tuple[str, str]:
    """cexp: e^x cis(y); exact (e^x, y) for y = 0; the C99 values at infinities."""
    e = r.f("stablehlo.exponential", x)
    re = r.mul(e, r.f("stablehlo.cosine", y))
    im = r.mul(e, r.f("stablehlo.sine", y))
    y0 = r.is_zero(y)
    re, im = r.sel(y0, e, re), r.sel(y0, y, im)
    bad_y = r.not_(r.finite(y))
    lo = r.and_(r.cmp("EQ", x, r.c(-math.inf)), bad_y)        # 0 with y's sign
    re, im = r.sel(lo, r.c(0), re), r.sel(lo, r.copysign(r.c(0), y), im)
    hi = r.and_(r.cmp("EQ", x, r.c(math.inf)), bad_y)         # inf + nan j
    return r.sel(hi, r.c(math.inf), re), r.sel(hi, r.c(math.nan), im)


def c_exp(ctx: LoweringContext, z: str) -> list[str]:
    r, x, y = _parts_of(ctx, z)
    return [_cplx(ctx, *_c_exp_parts(r, x, y))]


def c_exp2(ctx: LoweringContext, z: str) -> list[str]:
    r, x, y = _parts_of(ctx, z)
    ln2 = r.c(math.log(2.0))
    return [_cplx(ctx, *_c_exp_parts(r, r.mul(x, ln2), r.mul(y, ln2)))]


def c_expm1(ctx: LoweringContext, z: str) -> list[str]:
    """NumPy's formula: expm1(x) cos(y) - 2 sin(y/2)**2 + i e^x sin(y)."""
    r, x, y = _parts_of(ctx, z)
    a = r.f("stablehlo.sine", r.mul(y, r.c(0.5)))
    re = r.sub(r.mul(r.f("stablehlo.exponential_minus_one", x), r.f("stablehlo.cosine", y)),
               r.mul(r.c(2), r.mul(a, a)))
    im = r.mul(r.f("stablehlo.exponential", x), r.f("stablehlo.sine", y))
    return [_cplx(ctx, re, im)]


def _c_log_parts(r: Parts, x: str, y: str) -> tuple[str, str]:
    """clog: log|z| + i atan2(y, x); near |z| = 1 through log1p to keep the digits."""
    h = r.hypot(x, y)
    ax, ay = r.abs(x), r.abs(y)
    big, small = r.f("stablehlo.maximum", ax, ay), r.f("stablehlo.minimum", ax, ay)
    near = r.and_(r.cmp("GT", h, r.c(0.5)), r.cmp("LT", h, r.c(2.0)))
    fine = r.mul(r.c(0.5), r.f("stablehlo.log_plus_one", r.add(
        r.mul(r.sub(big, r.c(1)), r.add(big, r.c(1))), r.mul(small, small))))
    re = r.sel(near, fine, r.f("stablehlo.log", h))
    return re, r.f("stablehlo.atan2", y, x)


def c_log(ctx: LoweringContext, z: str) -> list[str]:
    r, x, y = _parts_of(ctx, z)
    return [_cplx(ctx, *_c_log_parts(r, x, y))]


def c_log1p(ctx: LoweringContext, z: str) -> list[str]:
    """NumPy's formula: log(hypot(x + 1, y)) + i atan2(y, x + 1)."""
    r, x, y = _parts_of(ctx, z)
    x1 = r.add(x, r.c(1))
    return [_cplx(ctx, r.f("stablehlo.log", r.hypot(x1, y)), r.f("stablehlo.atan2", y, x1))]


def c_sqrt(ctx: LoweringContext, z: str) -> list[str]:
    """csqrt: t = sqrt((|x| + |z|) / 2), scaled so that huge parts do not overflow."""
    r, x, y = _parts_of(ctx, z)
    ax = r.abs(x)
    h = r.hypot(x, y)
    big = r.cmp("GT", h, r.c(float(dtypes.finfo(r.aval.dtype).max) / 4))
    x4, y4 = r.mul(x, r.c(0.25)), r.mul(y, r.c(0.25))     # t = 2 t(z / 4)
    q = r.mul(r.add(r.abs(x4), r.hypot(x4, y4)), r.c(0.5))
    t_big = r.mul(r.c(2), r.f("stablehlo.sqrt", q))
    t_small = r.f("stablehlo.sqrt", r.mul(r.add(ax, h), r.c(0.5)))
    t = r.sel(big, t_big, t_small)
    two_t = r.mul(t, r.c(2))
    pos = r.not_(r.signbit(x))
    re = r.sel(pos, t, r.div(r.abs(y), two_t))
    im = r.sel(pos, r.div(y, two_t), r.copysign(t, y))
    zero = r.and_(r.is_zero(x), r.is_zero(y))
    re, im = r.sel(zero, r.c(0), re), r.sel(zero, y, im)
    inf_y = r.isinf(y)
    return [_cplx(ctx, r.sel(inf_y, r.c(math.inf), re), r.sel(inf_y, y, im))]


def _c_sinh_parts(r: Parts, x: str, y: str, cosh: bool) -> tuple[str, str]:
    """csinh / ccosh: products of real sinh, cosh, cos, sin, with C99's special values."""
    sh, ch = r.f("chlo.sinh", x), r.f("chlo.cosh", x)
    cy, sy = r.f("stablehlo.cosine", y), r.f("stablehlo.sine", y)
    re = r.mul(ch if cosh else sh, cy)
    im = r.mul(sh if cosh else ch, sy)
    y0 = r.is_zero(y)
    # a zero imaginary part stays exact (signed like x * y for cosh; a NaN x counts
    # as positive there, as in NumPy)
    sx = r.sel(r.isnan(x), r.c(1), x)
    im = r.sel(y0, r.mul(r.copysign(r.c(0), sx), y) if cosh else y, im)
    bad_y = r.not_(r.finite(y))
    x0 = r.and_(r.is_zero(x), bad_y)
    if cosh:
        re, im = r.sel(x0, r.c(math.nan), re), r.sel(x0, r.c(0), im)
    else:
        re, im = r.sel(x0, x, re), r.sel(x0, r.c(math.nan), im)
    xinf = r.and_(r.isinf(x), bad_y)
    return r.sel(xinf, r.c(math.inf), re), r.sel(xinf, r.c(math.nan), im)


def c_sinh(ctx: LoweringContext, z: str) -> list[str]:
    r, x, y = _parts_of(ctx, z)
    return [_cplx(ctx, *_c_sinh_parts(r, x, y, cosh=False))]


def c_cosh(ctx: LoweringContext, z: str) -> list[str]:
    r, x, y = _parts_of(ctx, z)
    return [_cplx(ctx, *_c_sinh_parts(r, x, y, cosh=True))]


def _c_tanh_parts(r: Parts, x: str, y: str) -> tuple[str, str]:
    """ctanh by Kahan's formula; for large |x| it is sign(x) + i 4 sin(y) cos(y) e^(-2|x|)."""
    t = r.f("stablehlo.tan", y)
    beta = r.add(r.c(1), r.mul(t, t))
    s = r.f("chlo.sinh", x)
    rho = r.f("stablehlo.sqrt", r.add(r.c(1), r.mul(s, s)))
    den = r.add(r.c(1), r.mul(beta, r.mul(s, s)))
    re = r.div(r.mul(beta, r.mul(rho, s)), den)
    im = r.div(t, den)
    limit = 22.0 if r.aval.dtype == dtypes.float64 else 11.0
    big = r.cmp("GT", r.abs(x), r.c(limit))
    e = r.f("stablehlo.exponential", r.mul(r.c(-2), r.abs(x)))
    small_im = r.mul(r.mul(r.c(4), r.mul(r.f("stablehlo.sine", y),
                                         r.f("stablehlo.cosine", y))), e)
    one = r.copysign(r.c(1), x)
    re, im = r.sel(big, one, re), r.sel(big, small_im, im)
    bad_y = r.not_(r.finite(y))
    xinf = r.and_(r.isinf(x), bad_y)
    re, im = r.sel(xinf, one, re), r.sel(xinf, r.copysign(r.c(0), y), im)
    xfin = r.and_(r.finite(x), bad_y)       # NaN + NaN j, as C99 asks (but see x = 0)
    re, im = r.sel(xfin, r.c(math.nan), re), r.sel(xfin, r.c(math.nan), im)
    x0 = r.and_(r.is_zero(x), bad_y)
    re, im = r.sel(x0, x, re), r.sel(x0, r.c(math.nan), im)
    return re, r.sel(r.is_zero(y), y, im)


def c_tanh(ctx: LoweringContext, z: str) -> list[str]:
    r, x, y = _parts_of(ctx, z)
    return [_cplx(ctx, *_c_tanh_parts(r, x, y))]


# sin z = -i sinh(iz), cos z = cosh(iz), tan z = -i tanh(iz): C99's definitions.


def c_sin(ctx: LoweringContext, z: str) -> list[str]:
    r, x, y = _parts_of(ctx, z)
    a, b = _c_sinh_parts(r, r.neg(y), x, cosh=False)
    re, im = b, r.neg(a)
    # C99 leaves the sign of this infinity open; NumPy's is +
    im = r.sel(r.and_(r.isnan(re), r.isinf(im)), r.c(math.inf), im)
    return [_cplx(ctx, re, im)]


def c_cos(ctx: LoweringContext, z: str) -> list[str]:
    r, x, y = _parts_of(ctx, z)
    a, b = _c_sinh_parts(r, r.neg(y), x, cosh=True)
    return [_cplx(ctx, a, b)]


def c_tan(ctx: LoweringContext, z: str) -> list[str]:
    r, x, y = _parts_of(ctx, z)
    a, b = _c_tanh_parts(r, r.neg(y), x)
    return [_cplx(ctx, b, r.neg(a))]


def c_sign(ctx: LoweringContext, z: str) -> list[str]:
    """NumPy's z / |z|: 0 at 0; an infinite part gives the unit in its direction."""
    r, x, y = _parts_of(ctx, z)
    h = r.hypot(x, y)
    zero = r.is_zero(h)
    safe = r.sel(zero, r.c(1), h)
    re, im = r.div(x, safe), r.div(y, safe)
    re, im = r.sel(zero, r.c(0), re), r.sel(zero, r.c(0), im)
    unit_x = r.copysign(r.c(1), x)
    unit_y = r.copysign(r.c(1), y)
    ix, iy = r.isinf(x), r.isinf(y)
    only_x = r.and_(ix, r.not_(iy))
    only_y = r.and_(iy, r.not_(ix))
    re, im = r.sel(only_x, unit_x, re), r.sel(only_x, r.c(0), im)
    re, im = r.sel(only_y, r.c(0), re), r.sel(only_y, unit_y, im)
    both = r.and_(ix, iy)
    return [_cplx(ctx, r.sel(both, r.c(math.nan), re), r.sel(both, r.c(math.nan), im))]


def c_abs(ctx: LoweringContext, z: str) -> list[str]:
    r, x, y = _parts_of(ctx, z)
    return [r.hypot(x, y)]


def _c_log_ratio(r: Parts, near: str, other: str) -> str:
    """log|1 + w| - log|1 - w| over 2, for w = near + i other with `near` close to 1:
    atanh's real part beside its pole, where the usual quotient underflows to 0 and
    gives inf. 1 - |near| is exact there (Sterbenz), so the digits survive."""
    a, b = r.abs(near), r.abs(other)
    up = r.f("stablehlo.log", r.hypot(r.add(r.c(1), a), b))
    down = r.f("stablehlo.log", r.hypot(r.sub(r.c(1), a), b))
    return r.mul(r.c(0.5), r.sub(up, down))


def _c_near_pole(r: Parts, near: str, other: str) -> str:
    eps = float(dtypes.finfo(r.aval.dtype).eps)
    d = r.hypot(r.sub(r.c(1), r.abs(near)), other)
    return r.cmp("LT", d, r.c(math.sqrt(eps)))


def _c_override(r: Parts, re: str, im: str,
                cases: Sequence[tuple[str, str, str]]) -> tuple[str, str]:
    """Apply (predicate, re, im) cases; a later case wins over an earlier one."""
    for pred, cre, cim in cases:
        re, im = r.sel(pred, cre, re), r.sel(pred, cim, im)
    return re, im


def c_inverse(ctx: LoweringContext, z: str, opname: str) -> list[str]:
    """The inverse trigonometric and hyperbolic functions: XLA's values at ordinary
    points, with the quadrant and signed zeros C99 Annex G fixes through their
    symmetries (each is odd or even and commutes with conj), NumPy's values where a
    part is NaN, and atanh/atan beside their poles at +-1 and +-i."""
    r, x, y = _parts_of(ctx, z)
    w = ctx.op1(opname, [ctx.broadcast_to(z, ctx.avals_out[0].shape)], ctx.avals_out[0])
    wr = ctx.op1("stablehlo.real", [w], r.aval)
    wi = ctx.op1("stablehlo.imag", [w], r.aval)
    nan, inf, zero = r.c(math.nan), r.c(math.inf), r.c(0)
    nx, ny = r.isnan(x), r.isnan(y)
    ix, iy = r.isinf(x), r.isinf(y)
    x_nan = r.and_(nx, r.not_(ny))      # exactly one part NaN
    y_nan = r.and_(ny, r.not_(nx))
    any_nan = r.or_(nx, ny)
    if opname in ("chlo.asinh", "chlo.asin", "chlo.atanh", "chlo.atan"):
        # odd and conj-symmetric: the result sits in the operand's quadrant
        re, im = r.copysign(wr, x), r.copysign(wi, y)
    elif opname == "chlo.acos":         # real part in [0, pi]; imag opposite to y
        re, im = wr, r.neg(r.copysign(wi, y))
    else:                               # acosh: real part >= 0; imag follows y
        re, im = r.abs(wr), r.copysign(wi, y)
    if opname == "chlo.atanh":
        re = r.sel(_c_near_pole(r, x, y), r.copysign(_c_log_ratio(r, x, y), x), re)
    if opname == "chlo.atan":
        im = r.sel(_c_near_pole(r, y, x), r.copysign(_c_log_ratio(r, y, x), y), im)
    # NB: the dict builds every function's cases (dead ops, which XLA drops) and
    # keeps opname's.
    cases = {
        "chlo.asinh": [(r.and_(x_nan, r.is_zero(y)), nan, y), (r.and_(y_nan, ix), x, nan),
                       (r.and_(x_nan, iy), inf, nan)],
        "chlo.asin": [(r.and_(y_nan, r.is_zero(x)), x, nan), (r.and_(x_nan, iy), nan, y),
                      (r.and_(y_nan, ix), nan, inf)],
        "chlo.atanh": [(r.and_(y_nan, r.is_zero(x)), x, nan),
                       (r.and_(y_nan, ix), r.copysign(zero, x), nan),
                       (r.and_(x_nan, iy), r.copysign(zero, x),
                        r.copysign(r.c(math.pi / 2), y))],
        "chlo.atan": [(r.and_(x_nan, r.is_zero(y)), nan, y),
                      (r.and_(x_nan, iy), nan, r.copysign(zero, y)),
                      (r.and_(y_nan, ix), r.copysign(r.c(math.pi / 2), x),
                       r.copysign(zero, y))],
        "chlo.acos": [(r.and_(y_nan, r.is_zero(x)), r.c(math.pi / 2), nan),
                      (r.and_(y_nan, ix), nan, r.c(-math.inf)),
                      (r.and_(x_nan, iy), nan, r.neg(y))],
        "chlo.acosh": [(r.and_(y_nan, r.is_zero(x)), nan, r.c(math.pi / 2)),
                       (r.and_(y_nan, ix), inf, nan), (r.and_(x_nan, iy), inf, nan)],
    }[opname]
    re, im = _c_override(r, re, im, [(any_nan, nan, nan), *cases])
    return [_cplx(ctx, re, im)]


def _c_mul(r: Parts, a: tuple[str, str], b: tuple[str, str]) -> tuple[str, str]:
    """The textbook product, as NumPy's integer powers use it (no C99 inf recovery)."""
    return (r.sub(r.mul(a[0], b[0]), r.mul(a[1], b[1])),
            r.add(r.mul(a[0], b[1]), r.mul(a[1], b[0])))


def _c_mul_c99(r: Parts, a: str, b: str, c: str, d: str) -> tuple[str, str]:
    """(a + ib)(c + id) as C compilers emit it (Annex G): where the textbook
    product is nan + nan j but an operand is infinite, the infinity is recovered."""
    x, y = _c_mul(r, (a, b), (c, d))
    lost = r.and_(r.isnan(x), r.isnan(y))
    zero, one = r.c(0), r.c(1)

    def box(u: str, v: str) -> tuple[str, str]:
        return (r.copysign(r.sel(r.isinf(u), one, zero), u),
                r.copysign(r.sel(r.isinf(v), one, zero), v))

    def unnan(u: str) -> str:
        return r.sel(r.isnan(u), r.copysign(zero, u), u)

    inf_ab = r.or_(r.isinf(a), r.isinf(b))
    inf_cd = r.or_(r.isinf(c), r.isinf(d))
    ba, bb = box(a, b)
    a1, b1 = r.sel(inf_ab, ba, a), r.sel(inf_ab, bb, b)
    c1, d1 = r.sel(inf_ab, unnan(c), c), r.sel(inf_ab, unnan(d), d)
    bc_, bd_ = box(c1, d1)
    c2, d2 = r.sel(inf_cd, bc_, c1), r.sel(inf_cd, bd_, d1)
    a2, b2 = r.sel(inf_cd, unnan(a1), a1), r.sel(inf_cd, unnan(b1), b1)
    prods = [r.mul(a, c), r.mul(b, d), r.mul(a, d), r.mul(b, c)]
    big = r.and_(r.not_(r.or_(inf_ab, inf_cd)), r.or_(*(r.isinf(q) for q in prods)))
    a2, b2, c2, d2 = (r.sel(big, unnan(u), u) for u in (a2, b2, c2, d2))
    rx, ry = _c_mul(r, (a2, b2), (c2, d2))
    inf = r.c(math.inf)
    redo = r.and_(lost, r.or_(inf_ab, inf_cd, big))
    return r.sel(redo, r.mul(inf, rx), x), r.sel(redo, r.mul(inf, ry), y)


def _c_inv(r: Parts, x: str, y: str) -> tuple[str, str]:
    """1 / (x + iy) by NumPy's complex division (Smith's): 1 / 0 is inf + nan j."""
    ax, ay = r.abs(x), r.abs(y)
    wide = r.cmp("GE", ax, ay)
    zero = r.and_(r.is_zero(ax), r.is_zero(ay))
    one = r.c(1)
    rat1 = r.div(y, r.sel(zero, one, x))
    scl1 = r.div(one, r.add(x, r.mul(y, rat1)))
    # The numerator 1 + 0j enters as in NumPy's formula; its sums with the zero
    # imaginary part are spelled out with selects (0 * rat is nan for an infinite
    # rat; -0 + 0 is +0), since XLA folds x + 0 to x and drops the zero's sign.
    nil, nan = r.c(0), r.c(math.nan)
    re1 = r.mul(r.sel(r.finite(rat1), one, nan), scl1)
    im1 = r.mul(r.sel(r.is_zero(rat1), nil, r.neg(rat1)), scl1)
    re1 = r.sel(zero, r.div(one, ax), re1)
    im1 = r.sel(zero, r.div(nil, ax), im1)
    rat2 = r.div(x, y)
    scl2 = r.div(one, r.add(y, r.mul(x, rat2)))
    re2 = r.mul(r.sel(r.is_zero(rat2), nil, rat2), scl2)
    im2 = r.mul(r.sel(r.finite(rat2), r.c(-1), nan), scl2)
    return r.sel(wide, re1, re2), r.sel(wide, im1, im2)


def c_pow(ctx: LoweringContext, a: str, b: str) -> list[str]:
    """NumPy's complex power: a**0 is 1 (0**0 too); 0**b is 0 for Re b > 0, else
    nan + nan j; an integer exponent below 100 in size multiplies (so 1j**2 is
    exactly -1, and infinities follow the textbook product); any other exponent
    is exp(b log a) with C99's exp and log, which is what C's cpow computes."""
    r, ar, ai = _parts_of(ctx, a)
    _, br, bi = _parts_of(ctx, b)
    lr, li = _c_log_parts(r, ar, ai)
    gr, gi = _c_exp_parts(r, *_c_mul_c99(r, br, bi, lr, li))
    mag = r.abs(br)
    integral = r.and_(r.is_zero(bi), r.cmp("EQ", r.f("stablehlo.floor", br), br),
                      r.cmp("LT", mag, r.c(100)))
    ity = ShapedArray(r.aval.shape, dtypes.int32)
    n = ctx.convert(r.sel(integral, mag, r.c(0)), dtypes.int32)
    acc, p = (r.c(1), r.c(0)), (ar, ai)
    for k in range(7):
        bit = compare(ctx, "NE", ctx.op1("stablehlo.and", [n, ctx.constant(1 << k, dtypes.int32,
                                                                           ity.shape)], ity),
                      ctx.constant(0, dtypes.int32, ity.shape))
        prod = _c_mul(r, acc, p)
        acc = (r.sel(bit, prod[0], acc[0]), r.sel(bit, prod[1], acc[1]))
        p = _c_mul(r, p, p)
    inv = _c_inv(r, *acc)
    neg = r.cmp("LT", br, r.c(0))
    ir, ii = r.sel(neg, inv[0], acc[0]), r.sel(neg, inv[1], acc[1])
    sq = _c_mul(r, (ar, ai), (ar, ai))
    cube = _c_mul(r, (ar, ai), sq)
    ir, ii = _c_override(r, ir, ii, [(r.cmp("EQ", br, r.c(k)), *v)
                                     for k, v in ((1, (ar, ai)), (2, sq), (3, cube))])
    re, im = r.sel(integral, ir, gr), r.sel(integral, ii, gi)
    base0 = r.and_(r.is_zero(ar), r.is_zero(ai))
    pos = r.cmp("GT", br, r.c(0))
    zero, nan = r.c(0), r.c(math.nan)
    re, im = _c_override(r, re, im, [
        (base0, r.sel(pos, zero, nan), r.sel(pos, zero, nan)),
        (r.and_(r.is_zero(br), r.is_zero(bi)), r.c(1), zero)])
    return [_cplx(ctx, re, im)]
