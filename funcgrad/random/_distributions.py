"""Samplers: every distribution is a transformation of Threefry bits.

Each sampler is a jitted function of (key, parameters) with the shape and
dtype static, so an eager call is one compiled executable and a call under
`jit`/`vmap`/`grad` is one call primitive. The Poisson sampler runs a fixed
number of vectorised rounds and keeps each element's first accepted proposal,
so there is no data-dependent loop and the result is the same eagerly, under
`jit` and under `vmap`. (The gamma family lives in `_gamma`.)
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from funcgrad import dtypes
from funcgrad import primitives as P
from funcgrad.config import LRUCache
from funcgrad.core import ShapedArray
from funcgrad.ir import Literal
from funcgrad.jit import jit
from funcgrad.numpy._util import asarray_operand, aval_of, convert
from funcgrad.random._threefry import _UINT, _bits_impl, _split_impl, check_key

Shape = int | Sequence[int] | None


# ---------------------------------------------------------------------------
# argument handling


def _shape(shape: Shape, fname: str) -> tuple[int, ...] | None:
    if shape is None:
        return None
    if isinstance(shape, (int, np.integer)):
        shape = (int(shape),)
    try:
        out = tuple(int(d) for d in shape)
    except TypeError:
        raise TypeError(f"funcgrad.random.{fname}: shape must be a tuple of ints, got "
                        f"{shape!r}") from None
    if any(d < 0 for d in out):
        raise ValueError(f"funcgrad.random.{fname}: negative dimensions are not allowed: {out}")
    return out


def _float_dtype(dtype: Any, fname: str, complex_ok: bool = False) -> np.dtype:
    dt = dtypes.default_float() if dtype is None else dtypes.canonicalize(dtype)
    if not (dtypes.is_float(dt) or (complex_ok and dtypes.is_complex(dt))):
        kind = "a floating" + (" or complex" if complex_ok else "")
        raise TypeError(f"funcgrad.random.{fname}: dtype must be {kind} dtype, got {dt}")
    return dt


def _param(x: Any, dt: np.dtype) -> Any:
    """A distribution parameter as a jit argument of dtype `dt` (scalars as NumPy scalars)."""
    if isinstance(x, (bool, int, float, complex, np.generic)):
        return np.asarray(x).astype(dt)[()]
    out = convert(asarray_operand(x), dt, False)
    return out.val if type(out) is Literal else out


def _param_shape(x: Any) -> tuple[int, ...]:
    if isinstance(x, (int, float, bool, np.generic)):
        return ()
    return aval_of(asarray_operand(x)).shape


def _result_shape(shape: tuple[int, ...] | None, fname: str,
                  *params: Any) -> tuple[int, ...]:
    """`shape`, or the broadcast shape of the parameters; checks they broadcast to it."""
    pshapes = [_param_shape(p) for p in params]
    try:
        bshape = np.broadcast_shapes(*pshapes) if pshapes else ()
        ok = shape is None or np.broadcast_shapes(shape, bshape) == shape
    except ValueError:
        ok = False
    if not ok:
        want = "" if shape is None else f" to shape={shape}"
        raise ValueError(f"funcgrad.random.{fname}: parameters of shapes "
                         f"{', '.join(map(str, pshapes))} do not broadcast{want}")
    return bshape if shape is None else shape


def _c(v: float, dt: np.dtype) -> Literal:
    return Literal(np.asarray(v, dt)[()], ShapedArray((), dt, False))


def _bcast(x: Any, shape: tuple[int, ...]) -> Any:
    xs = aval_of(x).shape
    if xs == shape:
        return x
    nd = len(shape)
    return P.broadcast_in_dim_p.bind(x, shape=shape,
                                     broadcast_dimensions=tuple(range(nd - len(xs), nd)))


def _subkeys(key: Any, n: int) -> list[Any]:
    ks = _split_impl(key, n)
    return [P.reshape_p.bind(P.slice_p.bind(ks, start_indices=(i, 0), limit_indices=(i + 1, 2),
                                            strides=(1, 1)), new_sizes=(2,)) for i in range(n)]


# ---------------------------------------------------------------------------
# building blocks (traced; called inside the jitted samplers)


def _unit(key: Any, shape: tuple[int, ...], dt: np.dtype) -> Any:
    """Uniform on [0, 1): the top `nmant` bits of the word, scaled by 2**-nmant (exact)."""
    nbits = dt.itemsize * 8
    nmant = int(dtypes.finfo(dt).nmant)
    bits = _bits_impl(key, shape, nbits)
    mant = P.shift_right_logical_p.bind(bits, Literal(np.asarray(nbits - nmant, _UINT[nbits])[()],
                                                      ShapedArray((), _UINT[nbits], False)))
    f = P.convert_element_type_p.bind(mant, new_dtype=dt, weak_type=False)
    return P.mul_p.bind(f, _c(2.0 ** -nmant, dt))


def _uniform_t(key: Any, shape: tuple[int, ...], dt: np.dtype, lo: Any, hi: Any) -> Any:
    lo, hi = convert(lo, dt, False), convert(hi, dt, False)
    f = _unit(key, shape, dt)
    out = P.add_p.bind(P.mul_p.bind(f, P.sub_p.bind(hi, lo)), lo)
    # NB: rounding in f*(hi-lo)+lo can reach hi; clamp so the interval stays half-open.
    out = P.min_p.bind(out, P.nextafter_p.bind(hi, lo))
    return _bcast(P.max_p.bind(lo, out), shape)


def _normal_real(key: Any, shape: tuple[int, ...], dt: np.dtype) -> Any:
    # inverse-CDF: sqrt(2) erfinv(u) with u uniform on (-1, 1)
    lo = np.nextafter(np.asarray(-1.0, dt), np.asarray(0.0, dt))
    u = _uniform_t(key, shape, dt, _c(lo, dt), _c(1.0, dt))
    return P.mul_p.bind(_c(math.sqrt(2.0), dt), P.erf_inv_p.bind(u))


def _normal_t(key: Any, shape: tuple[int, ...], dt: np.dtype) -> Any:
    if not dtypes.is_complex(dt):
        return _normal_real(key, shape, dt)
    rdt = dtypes.real_dtype(dt)
    k_re, k_im = _subkeys(key, 2)
    s = _c(1 / math.sqrt(2.0), rdt)
    return P.complex_p.bind(P.mul_p.bind(_normal_real(k_re, shape, rdt), s),
                            P.mul_p.bind(_normal_real(k_im, shape, rdt), s))


def _log1m_unit(key: Any, shape: tuple[int, ...], dt: np.dtype) -> Any:
    """log(1 - u), u uniform on [0, 1): finite, and log of a uniform on (0, 1]."""
    return P.log1p_p.bind(P.neg_p.bind(_unit(key, shape, dt)))


def _first_accepted(accept: Any, cand: Any, fallback: Any) -> Any:
    """Per element, the candidate of the first round (axis 0) whose `accept` is True.

    A sentinel round that always accepts `fallback` is appended, then one argmax
    and one masked sum: two reductions, so XLA copies the proposal computation
    into two fusions only (a select per round would copy it once per round).
    """
    rounds, *rest = aval_of(accept).shape
    ones = P.broadcast_in_dim_p.bind(Literal(np.True_, ShapedArray((), dtypes.bool_, False)),
                                     shape=(1, *rest), broadcast_dimensions=())
    accept = P.concatenate_p.bind(accept, ones, dimension=0)
    cand = P.concatenate_p.bind(cand, P.expand_dims_p.bind(_bcast(fallback, tuple(rest)),
                                                           dimensions=(0,)), dimension=0)
    first = P.argmax_p.bind(accept, axis=0, index_dtype=dtypes.int32)
    ids = P.iota_p.bind(dtype=dtypes.int32, shape=(rounds + 1, *rest), dimension=0)
    pick = P.eq_p.bind(ids, P.expand_dims_p.bind(first, dimensions=(0,)))
    zero = _c(0, aval_of(cand).dtype)
    return P.reduce_sum_p.bind(P.select_n_p.bind(pick, zero, cand), axes=(0,))


# ---------------------------------------------------------------------------
# jitted implementations: (key, array parameters..., static shape, static dtype)


def _uniform_impl(key: Any, minval: Any, maxval: Any, shape: tuple[int, ...],
                  dt: np.dtype) -> Any:
    return _uniform_t(key, shape, dt, minval, maxval)


def _normal_impl(key: Any, shape: tuple[int, ...], dt: np.dtype) -> Any:
    return _normal_t(key, shape, dt)


def _randint_impl(key: Any, minval: Any, maxval: Any, shape: tuple[int, ...], dt: np.dtype,
                  past_top: bool) -> Any:
    # Work in 64 bits: offset = (64 random bits) mod span, whose bias is below
    # span / 2**64, far below anything a statistical test can see.
    wide = dtypes.uint64 if dt == dtypes.uint64 else dtypes.int64
    u64 = dtypes.uint64
    info = np.iinfo(dt)
    lo = P.min_p.bind(P.max_p.bind(minval, _c(info.min, wide)), _c(info.max, wide))
    # maxval may be one past the dtype's largest value (it is exclusive)
    top = info.max + 1 if info.max < np.iinfo(wide).max else info.max
    hi = P.min_p.bind(P.max_p.bind(maxval, _c(info.min, wide)), _c(top, wide))
    span = P.convert_element_type_p.bind(P.sub_p.bind(hi, lo), new_dtype=u64, weak_type=False)
    if past_top:    # a 64-bit dtype whose maxval lies beyond its range: include info.max
        span = P.add_p.bind(span, _c(1, u64))      # 0 here stands for 2**64
    else:           # where maxval <= minval the result is minval
        span = P.select_n_p.bind(P.le_p.bind(hi, lo), span, _c(1, u64))
    bits = _bits_impl(key, shape, 64)
    wraps = P.eq_p.bind(span, _c(0, u64))
    safe = P.select_n_p.bind(wraps, span, _c(1, u64))
    off = P.select_n_p.bind(wraps, P.rem_p.bind(bits, safe), bits)
    out = P.add_p.bind(lo, P.convert_element_type_p.bind(off, new_dtype=wide, weak_type=False))
    return P.convert_element_type_p.bind(out, new_dtype=dt, weak_type=False)


def _gumbel_t(key: Any, shape: tuple[int, ...], dt: np.dtype) -> Any:
    tiny = dtypes.finfo(dt).tiny
    u = _uniform_t(key, shape, dt, _c(tiny, dt), _c(1.0, dt))
    return P.neg_p.bind(P.log_p.bind(P.neg_p.bind(P.log_p.bind(u))))


def _gumbel_impl(key: Any, shape: tuple[int, ...], dt: np.dtype) -> Any:
    return _gumbel_t(key, shape, dt)


def _categorical_impl(key: Any, logits: Any, axis: int, prefix: tuple[int, ...],
                      gshape: tuple[int, ...]) -> Any:
    dt = aval_of(logits).dtype
    g = _gumbel_t(key, gshape, dt)
    lg = logits
    if prefix:
        lg = P.expand_dims_p.bind(lg, dimensions=tuple(range(len(prefix))))
    return P.argmax_p.bind(P.add_p.bind(g, lg), axis=axis + len(prefix),
                           index_dtype=dtypes.int64)


def _bernoulli_impl(key: Any, p: Any, shape: tuple[int, ...], dt: np.dtype) -> Any:
    u = _unit(key, shape, dt)
    return P.lt_p.bind(u, _bcast(p, shape))


def _truncated_normal_impl(key: Any, lower: Any, upper: Any, shape: tuple[int, ...],
                           dt: np.dtype) -> Any:
    s2 = _c(math.sqrt(0.5), dt)
    lower, upper = convert(lower, dt, False), convert(upper, dt, False)
    a = P.erf_p.bind(P.mul_p.bind(lower, s2))
    b = P.erf_p.bind(P.mul_p.bind(upper, s2))
    u = _uniform_t(key, shape, dt, a, b)
    out = P.mul_p.bind(_c(math.sqrt(2.0), dt), P.erf_inv_p.bind(u))
    # keep the result strictly inside (lower, upper) despite rounding in the tails
    inf = _c(np.inf, dt)
    out = P.max_p.bind(out, P.nextafter_p.bind(lower, inf))
    return P.min_p.bind(out, P.nextafter_p.bind(upper, P.neg_p.bind(inf)))


def _exponential_impl(key: Any, shape: tuple[int, ...], dt: np.dtype) -> Any:
    return P.neg_p.bind(_log1m_unit(key, shape, dt))


def _laplace_impl(key: Any, shape: tuple[int, ...], dt: np.dtype) -> Any:
    lo = np.nextafter(np.asarray(-1.0, dt), np.asarray(0.0, dt))
    u = _uniform_t(key, shape, dt, _c(lo, dt), _c(1.0, dt))
    return P.mul_p.bind(P.sign_p.bind(u), P.neg_p.bind(P.log1p_p.bind(P.neg_p.bind(
        P.abs_p.bind(u)))))


def _logistic_impl(key: Any, shape: tuple[int, ...], dt: np.dtype) -> Any:
    u = _uniform_t(key, shape, dt, _c(dtypes.finfo(dt).tiny, dt), _c(1.0, dt))
    return P.sub_p.bind(P.log_p.bind(u), P.log1p_p.bind(P.neg_p.bind(u)))


def _cauchy_impl(key: Any, shape: tuple[int, ...], dt: np.dtype) -> Any:
    u = _uniform_t(key, shape, dt, _c(dtypes.finfo(dt).eps, dt), _c(1.0, dt))
    return P.tan_p.bind(P.mul_p.bind(_c(math.pi, dt), P.sub_p.bind(u, _c(0.5, dt))))


# Knuth's product-of-uniforms method for small rates: enough rounds that
# P(Poisson(_KNUTH_MAX_RATE) > _KNUTH_ROUNDS) is below 1e-15.
_KNUTH_MAX_RATE = 10.0
_KNUTH_ROUNDS = 48
# Hörmann's PTRS (transformed rejection with squeeze) accepts with probability
# above 0.87 for rates >= 10: 20 rounds leave a rejected element below 1e-17.
_PTRS_ROUNDS = 20


def _poisson_impl(key: Any, lam: Any, shape: tuple[int, ...], dt: np.dtype) -> Any:
    fdt = dtypes.float64 if dt.itemsize >= 8 or dtypes.default_float() == dtypes.float64 \
        else dtypes.float32
    lam = _bcast(convert(lam, fdt, False), shape)
    k_knuth, k_u, k_v = _subkeys(key, 3)
    one, zero = _c(1.0, fdt), _c(0.0, fdt)
    # -- Knuth: N = #{n >= 1 : log U_1 + ... + log U_n > -lam}
    small_lam = P.min_p.bind(lam, _c(_KNUTH_MAX_RATE, fdt))
    logs = _log1m_unit(k_knuth, (_KNUTH_ROUNDS, *shape), fdt)
    # running sums as one lower-triangular contraction (compiles far faster than a scan)
    rows = P.iota_p.bind(dtype=dtypes.int32, shape=(_KNUTH_ROUNDS, _KNUTH_ROUNDS), dimension=0)
    cols = P.iota_p.bind(dtype=dtypes.int32, shape=(_KNUTH_ROUNDS, _KNUTH_ROUNDS), dimension=1)
    tril = P.convert_element_type_p.bind(P.ge_p.bind(rows, cols), new_dtype=fdt, weak_type=False)
    csum = P.dot_general_p.bind(tril, logs, dimension_numbers=(((1,), (0,)), ((), ())))
    above = P.gt_p.bind(csum, P.neg_p.bind(small_lam))
    knuth = P.reduce_sum_p.bind(P.convert_element_type_p.bind(above, new_dtype=fdt,
                                                              weak_type=False), axes=(0,))
    # -- PTRS for large rates (Hörmann 1993)
    big_lam = P.max_p.bind(lam, _c(_KNUTH_MAX_RATE, fdt))
    rshape = (_PTRS_ROUNDS, *shape)
    big = _bcast(big_lam, rshape)
    slam = P.sqrt_p.bind(big)
    log_lam = P.log_p.bind(big)
    b = P.add_p.bind(_c(0.931, fdt), P.mul_p.bind(_c(2.53, fdt), slam))
    a = P.add_p.bind(_c(-0.059, fdt), P.mul_p.bind(_c(0.02483, fdt), b))
    inv_alpha = P.add_p.bind(_c(1.1239, fdt), P.div_p.bind(_c(1.1328, fdt),
                                                          P.sub_p.bind(b, _c(3.4, fdt))))
    vr = P.sub_p.bind(_c(0.9277, fdt), P.div_p.bind(_c(3.6224, fdt),
                                                   P.sub_p.bind(b, _c(2.0, fdt))))
    u = P.sub_p.bind(_unit(k_u, rshape, fdt), _c(0.5, fdt))
    v = P.sub_p.bind(one, _unit(k_v, rshape, fdt))          # (0, 1]
    us = P.sub_p.bind(_c(0.5, fdt), P.abs_p.bind(u))
    safe_us = P.max_p.bind(us, _c(1e-300 if fdt == dtypes.float64 else 1e-30, fdt))
    k = P.floor_p.bind(P.add_p.bind(P.add_p.bind(P.mul_p.bind(
        P.add_p.bind(P.div_p.bind(P.mul_p.bind(_c(2.0, fdt), a), safe_us), b), u), big),
        _c(0.43, fdt)))
    quick = P.and_p.bind(P.ge_p.bind(us, _c(0.07, fdt)), P.le_p.bind(v, vr))
    reject_early = P.or_p.bind(P.lt_p.bind(k, zero),
                               P.and_p.bind(P.lt_p.bind(us, _c(0.013, fdt)),
                                            P.gt_p.bind(v, us)))
    lhs = P.sub_p.bind(P.add_p.bind(P.log_p.bind(v), P.log_p.bind(inv_alpha)),
                       P.log_p.bind(P.add_p.bind(P.div_p.bind(a, P.mul_p.bind(safe_us, safe_us)),
                                                 b)))
    safe_k = P.max_p.bind(k, zero)
    rhs = P.sub_p.bind(P.sub_p.bind(P.mul_p.bind(safe_k, log_lam), big),
                       P.lgamma_p.bind(P.add_p.bind(safe_k, one)))
    accept = P.or_p.bind(quick, P.and_p.bind(P.not_p.bind(reject_early), P.le_p.bind(lhs, rhs)))
    ptrs = _first_accepted(accept, safe_k, P.floor_p.bind(big_lam))
    use_knuth = P.lt_p.bind(lam, _c(_KNUTH_MAX_RATE, fdt))
    out = P.select_n_p.bind(use_knuth, ptrs, knuth)
    out = P.select_n_p.bind(P.eq_p.bind(lam, zero), out, zero)
    # NB: a negative or nan rate gives -1 (NumPy raises; a traced value cannot).
    bad = P.not_p.bind(P.ge_p.bind(lam, zero))
    out = P.select_n_p.bind(bad, out, _c(-1.0, fdt))
    if dt.kind == "u":
        out = P.max_p.bind(out, zero)
    return P.convert_element_type_p.bind(out, new_dtype=dt, weak_type=False)


def _mvn_impl(key: Any, mean: Any, factor: Any, shape: tuple[int, ...], dt: np.dtype) -> Any:
    n = aval_of(mean).shape[-1]
    z = _normal_real(key, (*shape, n), dt)
    # x = mean + factor @ z, with factor broadcast over the sample dimensions
    fz = P.reduce_sum_p.bind(P.mul_p.bind(_bcast(factor, (*shape, n, n)),
                                          P.expand_dims_p.bind(z, dimensions=(len(shape),))),
                             axes=(len(shape) + 1,))
    return P.add_p.bind(_bcast(mean, (*shape, n)), fz)


_jitted = LRUCache("random samplers")


def _jit(impl: Any, nstatic: int) -> Any:
    name = impl.__name__
    hit = _jitted.lookup(name)
    if hit is None:
        import inspect
        npos = len(inspect.signature(impl).parameters)
        hit = _jitted.put(name, jit(impl, static_argnums=tuple(range(npos - nstatic, npos))))
    return hit


# ---------------------------------------------------------------------------
# public samplers


def uniform(key: Any, shape: Shape = (), dtype: Any = None, minval: Any = 0.0,
            maxval: Any = 1.0) -> Any:
    """Uniform samples on [minval, maxval).

    Args:
      key: a uint32[2] key. shape: the result's shape (the bounds must broadcast
      to it). dtype: a float dtype (default: funcgrad's default float).
    Returns: an array of `shape` and `dtype`.
    Example: ``uniform(key(0), (3,), minval=-1.0, maxval=1.0)``.
    """
    k = check_key(key, "uniform")
    dt = _float_dtype(dtype, "uniform")
    shp = _result_shape(_shape(shape, "uniform"), "uniform", minval, maxval)
    return _jit(_uniform_impl, 2)(k, _param(minval, dt), _param(maxval, dt), shp, dt)


def normal(key: Any, shape: Shape = (), dtype: Any = None) -> Any:
    """Standard normal samples (complex dtypes: unit variance, independent parts)."""
    k = check_key(key, "normal")
    dt = _float_dtype(dtype, "normal", complex_ok=True)
    return _jit(_normal_impl, 2)(k, _shape(shape, "normal") or (), dt)


def bits(key: Any, shape: Shape = (), dtype: Any = None) -> Any:
    """Uniformly random unsigned integers (every bit independent and fair)."""
    k = check_key(key, "bits")
    dt = dtypes.uint32 if dtype is None else dtypes.canonicalize(dtype)
    if dt.kind != "u":
        raise TypeError(f"funcgrad.random.bits: dtype must be an unsigned integer dtype, "
                        f"got {dt}")
    from funcgrad.random._threefry import raw_bits
    return raw_bits(k, _shape(shape, "bits") or (), dt.itemsize * 8)


def randint(key: Any, shape: Shape, minval: Any, maxval: Any, dtype: Any = None) -> Any:
    """Uniform integers on [minval, maxval) (default dtype int64, like NumPy).

    Bounds are clipped to the dtype's range; where maxval <= minval the result is minval.
    """
    k = check_key(key, "randint")
    dt = dtypes.int64 if dtype is None else dtypes.canonicalize(dtype)
    if not dtypes.is_integer(dt):
        raise TypeError(f"funcgrad.random.randint: dtype must be an integer dtype, got {dt}")
    shp = _result_shape(_shape(shape, "randint"), "randint", minval, maxval)
    wide = dtypes.uint64 if dt == dtypes.uint64 else dtypes.int64
    lims = np.iinfo(wide)

    def bound(v: Any, name: str) -> Any:
        if isinstance(v, (bool, np.bool_)):
            raise TypeError(f"funcgrad.random.randint: {name} must be an integer, got a bool")
        if isinstance(v, (int, np.integer)):
            return np.asarray(min(max(int(v), int(lims.min)), int(lims.max)), wide)[()]
        x = asarray_operand(v)
        if not dtypes.is_integer(aval_of(x).dtype):
            raise TypeError(f"funcgrad.random.randint: {name} must be an integer, got "
                            f"{aval_of(x).str_short()}")
        return _param(x, wide)

    past_top = (dt.itemsize == 8 and isinstance(maxval, (int, np.integer))
                and int(maxval) > np.iinfo(dt).max)
    return _jit(_randint_impl, 3)(k, bound(minval, "minval"), bound(maxval, "maxval"), shp, dt,
                                  past_top)


def bernoulli(key: Any, p: Any = 0.5, shape: Shape = None) -> Any:
    """Booleans that are True with probability `p` (shape defaults to p's shape)."""
    k = check_key(key, "bernoulli")
    pa = asarray_operand(p)
    pdt = aval_of(pa).dtype
    dt = pdt if dtypes.is_float(pdt) and not aval_of(pa).weak_type else dtypes.default_float()
    shp = _result_shape(_shape(shape, "bernoulli"), "bernoulli", p)
    return _jit(_bernoulli_impl, 2)(k, _param(pa, dt), shp, dt)


def categorical(key: Any, logits: Any, axis: int = -1, shape: Shape = None) -> Any:
    """Samples of the category index with log-probabilities `logits` along `axis`.

    Uses the Gumbel-max trick: argmax(logits + Gumbel noise). `shape` must end
    with the batch shape of `logits` (its shape without `axis`).
    """
    k = check_key(key, "categorical")
    lg = asarray_operand(logits)
    av = aval_of(lg)
    if not dtypes.is_float(av.dtype) or av.weak_type:
        lg = convert(lg, av.dtype if dtypes.is_float(av.dtype) else dtypes.default_float(),
                     False)
        av = aval_of(lg)
    if av.ndim == 0:
        raise ValueError("funcgrad.random.categorical: logits must have at least one axis")
    from funcgrad.numpy._util import normalize_axis
    ax = normalize_axis(axis, av.ndim)
    batch = av.shape[:ax] + av.shape[ax + 1:]
    shp = _shape(shape, "categorical")
    if shp is None:
        shp = batch
    elif len(shp) < len(batch) or shp[len(shp) - len(batch):] != batch:
        raise ValueError(f"funcgrad.random.categorical: shape {shp} is not compatible with "
                         f"the batch shape {batch} of logits of shape {av.shape}")
    prefix = shp[:len(shp) - len(batch)]
    tail = list(shp[len(shp) - len(batch):])
    tail.insert(ax, av.shape[ax])
    return _jit(_categorical_impl, 3)(k, lg, ax, prefix, (*prefix, *tail))


def gumbel(key: Any, shape: Shape = (), dtype: Any = None) -> Any:
    """Standard Gumbel samples: -log(-log(u))."""
    k = check_key(key, "gumbel")
    return _jit(_gumbel_impl, 2)(k, _shape(shape, "gumbel") or (),
                                 _float_dtype(dtype, "gumbel"))


def exponential(key: Any, shape: Shape = (), dtype: Any = None) -> Any:
    """Standard exponential samples (rate 1): -log(1 - u)."""
    k = check_key(key, "exponential")
    return _jit(_exponential_impl, 2)(k, _shape(shape, "exponential") or (),
                                      _float_dtype(dtype, "exponential"))


def laplace(key: Any, shape: Shape = (), dtype: Any = None) -> Any:
    """Standard Laplace samples (location 0, scale 1)."""
    k = check_key(key, "laplace")
    return _jit(_laplace_impl, 2)(k, _shape(shape, "laplace") or (),
                                  _float_dtype(dtype, "laplace"))


def logistic(key: Any, shape: Shape = (), dtype: Any = None) -> Any:
    """Standard logistic samples: log(u / (1 - u))."""
    k = check_key(key, "logistic")
    return _jit(_logistic_impl, 2)(k, _shape(shape, "logistic") or (),
                                   _float_dtype(dtype, "logistic"))


def cauchy(key: Any, shape: Shape = (), dtype: Any = None) -> Any:
    """Standard Cauchy samples: tan(pi (u - 1/2))."""
    k = check_key(key, "cauchy")
    return _jit(_cauchy_impl, 2)(k, _shape(shape, "cauchy") or (),
                                 _float_dtype(dtype, "cauchy"))


def rademacher(key: Any, shape: Shape = (), dtype: Any = None) -> Any:
    """-1 or +1 with equal probability (default dtype int64)."""
    k = check_key(key, "rademacher")
    dt = dtypes.int64 if dtype is None else dtypes.canonicalize(dtype)
    b = bernoulli(k, 0.5, _shape(shape, "rademacher") or ())
    from funcgrad.numpy import where
    return convert(where(b, 1, -1), dt)


def truncated_normal(key: Any, lower: Any, upper: Any, shape: Shape = None,
                     dtype: Any = None) -> Any:
    """Standard normal samples conditioned on lower < x < upper (inverse-CDF method)."""
    k = check_key(key, "truncated_normal")
    dt = _float_dtype(dtype, "truncated_normal")
    shp = _result_shape(_shape(shape, "truncated_normal"), "truncated_normal", lower, upper)
    return _jit(_truncated_normal_impl, 2)(k, _param(lower, dt), _param(upper, dt), shp, dt)


def poisson(key: Any, lam: Any, shape: Shape = None, dtype: Any = None) -> Any:
    """Poisson(lam) samples (default dtype int64).

    Knuth's method below rate 10, Hörmann's transformed rejection (PTRS) above;
    both as fixed vectorised rounds. NB: a negative or nan rate gives -1.
    """
    k = check_key(key, "poisson")
    dt = dtypes.int64 if dtype is None else dtypes.canonicalize(dtype)
    if not dtypes.is_integer(dt):
        raise TypeError(f"funcgrad.random.poisson: dtype must be an integer dtype, got {dt}")
    shp = _result_shape(_shape(shape, "poisson"), "poisson", lam)
    lam_op = asarray_operand(lam)
    ldt = aval_of(lam_op).dtype
    fdt = ldt if dtypes.is_float(ldt) and not aval_of(lam_op).weak_type else dtypes.float64
    return _jit(_poisson_impl, 2)(k, _param(lam_op, fdt), shp, dt)


def multivariate_normal(key: Any, mean: Any, cov: Any, shape: Shape = None,
                        dtype: Any = None, method: str = "cholesky") -> Any:
    """Samples of N(mean, cov); mean (..., n), cov (..., n, n) (batched like NumPy).

    `method` is "cholesky" (cov must be positive definite) or "eigh"/"svd"
    (positive semi-definite). The result has shape ``shape + mean.shape[-1:]``.
    """
    k = check_key(key, "multivariate_normal")
    if method not in ("cholesky", "eigh", "svd"):
        raise ValueError(f"funcgrad.random.multivariate_normal: method must be 'cholesky', "
                         f"'eigh' or 'svd', got {method!r}")
    dt = _float_dtype(dtype, "multivariate_normal")
    m, c = _param(mean, dt), _param(cov, dt)
    ms, cs = aval_of(m).shape, aval_of(c).shape
    if len(ms) < 1 or len(cs) < 2 or cs[-1] != cs[-2] or cs[-1] != ms[-1]:
        raise ValueError(f"funcgrad.random.multivariate_normal: mean must have shape "
                         f"(..., n) and cov (..., n, n), got {ms} and {cs}")
    batch = P.broadcast_shapes("multivariate_normal", ms[:-1], cs[:-2])
    shp = _shape(shape, "multivariate_normal")
    if shp is None:
        shp = batch
    elif P.broadcast_shapes("multivariate_normal", shp, batch) != shp:
        raise ValueError(f"funcgrad.random.multivariate_normal: mean {ms} and cov {cs} do "
                         f"not broadcast to shape={shp}")
    from funcgrad.numpy import linalg
    if method == "cholesky":
        factor = linalg.cholesky(c)
    elif method == "eigh":
        w, v = linalg.eigh(c)
        from funcgrad.numpy import maximum, sqrt
        factor = v * sqrt(maximum(w, 0.0))[..., None, :]
    else:
        u, s, _ = linalg.svd(c)
        from funcgrad.numpy import sqrt
        factor = u * sqrt(s)[..., None, :]
    return _jit(_mvn_impl, 2)(k, m, convert(factor, dt, False), shp, dt)
