"""Statistics with NumPy's semantics: nan-ignoring reductions, average, cov and
corrcoef, ptp and count_nonzero, quantiles (percentile, quantile, median and
their nan- versions) and histogram.

NaN-ignoring reductions replace NaNs by the reduction's identity and count
the rest. Quantiles sort along the axis and interpolate between two order
statistics picked with `take_along_axis`, so q and the data may be traced.
NB: where NumPy raises for an all-NaN slice (nanargmax/nanargmin) funcgrad
returns -1, since a traced value cannot raise.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from funcgrad import dtypes
from funcgrad.core import Tracer
from funcgrad.errors import UnsupportedError
from funcgrad.numpy._advanced import take_along_axis
from funcgrad.numpy._contract import matmul
from funcgrad.numpy._creation import arange, full, linspace, ones, zeros, zeros_like
from funcgrad.numpy._eager import eager_jit
from funcgrad.numpy._elementwise import imag, real, round as round_
from funcgrad.numpy._extras import diagonal, diff
from funcgrad.numpy._reductions import (all as all_, any as any_, argmax, argmin, cumprod, cumsum,
                                        max as max_, mean, min as min_, prod, sqrt_of_variance,
                                        sum as sum_, var)
from funcgrad.numpy._shape import (atleast_2d, broadcast_to, clip, concatenate, moveaxis, ravel,
                                   reshape, squeeze, transpose)
from funcgrad.numpy._sorting import searchsorted, sort, where as where_
from funcgrad.numpy._ufuncs import (add, ceil, conj, divide, equal, floor, greater, greater_equal,
                                    isnan, less, logical_and, logical_not, maximum, mod, multiply,
                                    not_equal, sqrt, subtract)
from funcgrad.numpy._util import (asarray_operand, aval_of, canonical_dtype, convert,
                                  normalize_axes, reject)

Axis = int | Sequence[int] | None


def _op(x: Any) -> Any:
    return asarray_operand(x)


def _inexact(dt: np.dtype) -> bool:
    return dtypes.is_inexact(dt)


def _replace_nan(x: Any, value: float) -> Any:
    if not _inexact(aval_of(x).dtype):
        return x
    return convert(where_(isnan(x), value, x), aval_of(x).dtype)


def _not_nan(x: Any) -> Any:
    return logical_not(isnan(x))


# ---------------------------------------------------------------------------
# nan-ignoring reductions


def nansum(a: Any, axis: Axis = None, dtype: Any = None, out: Any = None,
           keepdims: bool = False, initial: Any = None, where: Any = None) -> Any:
    """Sum treating NaNs as zero."""
    reject("nansum", out=out, where=where)
    return sum_(_replace_nan(_op(a), 0.0), axis=axis, dtype=dtype, keepdims=keepdims,
                initial=initial)


def nanprod(a: Any, axis: Axis = None, dtype: Any = None, out: Any = None,
            keepdims: bool = False, initial: Any = None, where: Any = None) -> Any:
    """Product treating NaNs as one."""
    reject("nanprod", out=out, where=where)
    return prod(_replace_nan(_op(a), 1.0), axis=axis, dtype=dtype, keepdims=keepdims,
                initial=initial)


def _nan_extreme(fname: str, a: Any, axis: Axis, out: Any, keepdims: bool, initial: Any,
                 where: Any) -> Any:
    reject(fname, out=out, where=where)
    x = _op(a)
    reducer = max_ if fname == "nanmax" else min_
    if not _inexact(aval_of(x).dtype):
        return reducer(x, axis=axis, keepdims=keepdims, initial=initial)
    if dtypes.is_complex(aval_of(x).dtype):
        raise UnsupportedError(f"funcgrad.numpy.{fname}: complex input is not supported")
    fill = -np.inf if fname == "nanmax" else np.inf
    r = reducer(_replace_nan(x, fill), axis=axis, keepdims=keepdims, initial=initial)
    all_nan = all_(isnan(x), axis=axis, keepdims=keepdims)
    if initial is not None:
        return r
    return convert(where_(all_nan, np.nan, r), aval_of(x).dtype)


def nanmax(a: Any, axis: Axis = None, out: Any = None, keepdims: bool = False,
           initial: Any = None, where: Any = None) -> Any:
    """Maximum ignoring NaNs (NaN for an all-NaN slice)."""
    return _nan_extreme("nanmax", a, axis, out, keepdims, initial, where)


def nanmin(a: Any, axis: Axis = None, out: Any = None, keepdims: bool = False,
           initial: Any = None, where: Any = None) -> Any:
    """Minimum ignoring NaNs (NaN for an all-NaN slice)."""
    return _nan_extreme("nanmin", a, axis, out, keepdims, initial, where)


def _count(x: Any, axis: Axis, keepdims: bool) -> Any:
    return sum_(_not_nan(x), axis=axis, keepdims=keepdims)


def _mean_dtype(x: Any, dtype: Any) -> np.dtype:
    dt = canonical_dtype(dtype)
    if dt is not None:
        return dt
    xdt = aval_of(x).dtype
    return xdt if _inexact(xdt) else dtypes.default_float()


def nanmean(a: Any, axis: Axis = None, dtype: Any = None, out: Any = None,
            keepdims: bool = False, where: Any = None) -> Any:
    """Mean of the non-NaN entries (NaN for an all-NaN slice)."""
    reject("nanmean", out=out, where=where)
    x = _op(a)
    if not _inexact(aval_of(x).dtype):
        return mean(x, axis=axis, dtype=dtype, keepdims=keepdims)
    dt = _mean_dtype(x, dtype)
    s = sum_(convert(_replace_nan(x, 0.0), dt), axis=axis, keepdims=keepdims)
    n = convert(_count(x, axis, keepdims), dtypes.real_dtype(dt))
    return divide(s, n)


def nanvar(a: Any, axis: Axis = None, dtype: Any = None, out: Any = None, ddof: int = 0,
           keepdims: bool = False, where: Any = None, correction: Any = None) -> Any:
    """Variance of the non-NaN entries, divided by (count - ddof); NaN if that is <= 0."""
    reject("nanvar", out=out, where=where)
    if correction is not None:
        ddof = correction
    x = _op(a)
    if not _inexact(aval_of(x).dtype):
        return var(x, axis=axis, dtype=dtype, ddof=ddof, keepdims=keepdims)
    dt = _mean_dtype(x, dtype)
    x = convert(x, dt)
    m = nanmean(x, axis=axis, keepdims=True)
    d = subtract(x, m)
    sq = real(multiply(d, conj(d))) if dtypes.is_complex(dt) else multiply(d, d)
    s = sum_(_replace_nan(sq, 0.0), axis=axis, keepdims=keepdims)
    dof = subtract(_count(x, axis, keepdims), ddof)
    rdt = aval_of(s).dtype
    return convert(where_(greater(dof, 0), divide(s, convert(dof, rdt)), np.nan),
                   rdt)


def nanstd(a: Any, axis: Axis = None, dtype: Any = None, out: Any = None, ddof: int = 0,
           keepdims: bool = False, where: Any = None, correction: Any = None) -> Any:
    """Standard deviation of the non-NaN entries (derivative 0 where it is 0, like std)."""
    return sqrt_of_variance(nanvar(a, axis, dtype, out, ddof, keepdims, where, correction))


def _nan_arg(fname: str, a: Any, axis: int | None, out: Any, keepdims: bool) -> Any:
    reject(fname, out=out)
    x = _op(a)
    arg = argmax if fname == "nanargmax" else argmin
    if not _inexact(aval_of(x).dtype):
        return arg(x, axis=axis, keepdims=keepdims)
    fill = -np.inf if fname == "nanargmax" else np.inf
    idx = arg(_replace_nan(x, fill), axis=axis, keepdims=keepdims)
    all_nan = all_(isnan(x), axis=axis, keepdims=keepdims)
    return where_(all_nan, -1, idx)


def nanargmax(a: Any, axis: int | None = None, out: Any = None, *,
              keepdims: bool = False) -> Any:
    """Index of the maximum ignoring NaNs (NB: -1 for an all-NaN slice)."""
    return _nan_arg("nanargmax", a, axis, out, keepdims)


def nanargmin(a: Any, axis: int | None = None, out: Any = None, *,
              keepdims: bool = False) -> Any:
    """Index of the minimum ignoring NaNs (NB: -1 for an all-NaN slice)."""
    return _nan_arg("nanargmin", a, axis, out, keepdims)


def nancumsum(a: Any, axis: int | None = None, dtype: Any = None, out: Any = None) -> Any:
    """Cumulative sum treating NaNs as zero."""
    reject("nancumsum", out=out)
    return cumsum(_replace_nan(_op(a), 0.0), axis=axis, dtype=dtype)


def nancumprod(a: Any, axis: int | None = None, dtype: Any = None, out: Any = None) -> Any:
    """Cumulative product treating NaNs as one."""
    reject("nancumprod", out=out)
    return cumprod(_replace_nan(_op(a), 1.0), axis=axis, dtype=dtype)


def ptp(a: Any, axis: Axis = None, out: Any = None, keepdims: bool = False) -> Any:
    """Peak to peak: max - min along `axis`."""
    reject("ptp", out=out)
    x = _op(a)
    return subtract(max_(x, axis=axis, keepdims=keepdims),
                    min_(x, axis=axis, keepdims=keepdims))


def count_nonzero(a: Any, axis: Axis = None, *, keepdims: bool = False) -> Any:
    """The number of non-zero entries (int64)."""
    x = _op(a)
    nz = x if aval_of(x).dtype == dtypes.bool_ else not_equal(x, 0)
    return sum_(nz, axis=axis, keepdims=keepdims, dtype=dtypes.int64)


# ---------------------------------------------------------------------------
# average, cov, corrcoef


def average(a: Any, axis: Axis = None, weights: Any = None, returned: bool = False, *,
            keepdims: bool = False) -> Any:
    """Weighted mean along `axis`; with returned=True also the sum of the weights.

    `weights` has the shape of `a`, or is 1-d along a single `axis`.
    """
    x = _op(a)
    nd = aval_of(x).ndim
    if weights is None:
        avg = mean(x, axis=axis, keepdims=keepdims)
        if not returned:
            return avg
        axes = normalize_axes(axis, nd)
        cnt = int(np.prod([aval_of(x).shape[i] for i in axes]))
        return avg, broadcast_to(convert(cnt, aval_of(avg).dtype), aval_of(avg).shape)
    w = _op(weights)
    xs, ws = aval_of(x).shape, aval_of(w).shape
    xdt, wdt = aval_of(x).dtype, aval_of(w).dtype
    if dtypes.is_integer(xdt) or xdt == dtypes.bool_:
        res_dt = np.result_type(xdt, wdt, np.float64)
    else:
        res_dt = np.result_type(xdt, wdt)
    res_dt = dtypes.canonicalize(res_dt)
    if xs != ws:
        if axis is None:
            raise TypeError("average: axis must be specified when shapes of a and weights "
                            "differ")
        axes = normalize_axes(axis, nd)
        if len(ws) != len(axes) or tuple(xs[i] for i in axes) != ws:
            raise ValueError("average: shape of weights must be consistent with shape of a "
                             "along the specified axis")
        shp = [1] * nd
        for i, ax in enumerate(axes):
            shp[ax] = ws[i]
        w = reshape(w, tuple(shp))
    w = convert(w, res_dt)
    xx = convert(x, res_dt)
    scl = sum_(broadcast_to(w, xs), axis=axis, keepdims=keepdims)
    avg = divide(sum_(multiply(xx, w), axis=axis, keepdims=keepdims), scl)
    if returned:
        return avg, broadcast_to(scl, aval_of(avg).shape)
    return avg


@eager_jit(("rowvar", "bias", "ddof", "dtype"))
def cov(m: Any, y: Any = None, rowvar: bool = True, bias: bool = False,
        ddof: int | None = None, fweights: Any = None, aweights: Any = None,
        *, dtype: Any = None) -> Any:
    """The covariance matrix of the variables in the rows (rowvar=True) of `m` (and `y`).

    fweights are integer frequency weights, aweights observation weights, as in NumPy.
    """
    x = _op(m)
    if aval_of(x).ndim > 2:
        raise ValueError("cov: m has more than 2 dimensions")
    dt = canonical_dtype(dtype)
    if dt is None:
        dts = [aval_of(x).dtype] + ([aval_of(_op(y)).dtype] if y is not None else [])
        dt = dtypes.canonicalize(np.result_type(*dts, np.float64))
    X = atleast_2d(convert(x, dt))  # noqa: N806
    if not rowvar and aval_of(X).shape[0] != 1:
        X = X.T  # noqa: N806
    if y is not None:
        yy = atleast_2d(convert(_op(y), dt))
        if aval_of(yy).ndim > 2:
            raise ValueError("cov: y has more than 2 dimensions")
        if not rowvar and aval_of(yy).shape[0] != 1:
            yy = yy.T
        X = concatenate([X, yy], axis=0)  # noqa: N806
    if ddof is None:
        ddof = 0 if bias else 1
    n = aval_of(X).shape[1]
    w = None
    if fweights is not None:
        fw = _op(fweights)
        if aval_of(fw).ndim > 1 or aval_of(fw).shape[-1:] != (n,):
            raise ValueError("cov: fweights must be 1-d with one entry per observation")
        if dtypes.is_inexact(aval_of(fw).dtype):
            raise TypeError("cov: fweights must be integer")
        w = convert(fw, dt)
    if aweights is not None:
        aw = _op(aweights)
        if aval_of(aw).ndim > 1 or aval_of(aw).shape[-1:] != (n,):
            raise ValueError("cov: aweights must be 1-d with one entry per observation")
        aw = convert(aw, dt)
        w = aw if w is None else multiply(w, aw)
    if w is None:
        avg = mean(X, axis=1)
        fact: Any = n - ddof
    else:
        avg, w_sum = average(X, axis=1, weights=w, returned=True)
        w_sum = w_sum[0]
        if ddof == 0:
            fact = w_sum
        elif aweights is None:
            fact = subtract(w_sum, ddof)
        else:
            aw = convert(_op(aweights), dt)
            fact = subtract(w_sum, divide(multiply(ddof, sum_(multiply(w, aw))), w_sum))
    Xc = subtract(X, avg[:, None])  # noqa: N806
    Xw = Xc if w is None else multiply(Xc, w)  # noqa: N806
    c = matmul(Xw, conj(Xc).T) if dtypes.is_complex(dt) else matmul(Xw, Xc.T)
    if not isinstance(fact, (int, float)):
        fact = maximum(fact, 0.0)
    else:
        fact = max(fact, 0)
    c = divide(c, fact)
    return squeeze(c)


@eager_jit(("rowvar", "dtype"))
def corrcoef(x: Any, y: Any = None, rowvar: bool = True, *, dtype: Any = None) -> Any:
    """Pearson correlation coefficients (cov normalised by the standard deviations)."""
    c = cov(x, y, rowvar, dtype=dtype)
    if aval_of(c).ndim == 0:
        return divide(c, c)
    d = real(diagonal(c)) if dtypes.is_complex(aval_of(c).dtype) else diagonal(c)
    sd = sqrt(d)
    c = divide(divide(c, sd[:, None]), sd[None, :])
    if dtypes.is_complex(aval_of(c).dtype):
        return add(clip(real(c), -1, 1), multiply(clip(imag(c), -1, 1), 1j))
    return clip(c, -1, 1)


# ---------------------------------------------------------------------------
# quantiles

_METHODS = ("linear", "lower", "higher", "nearest", "midpoint", "inverted_cdf",
            "averaged_inverted_cdf", "closest_observation", "interpolated_inverted_cdf",
            "hazen", "weibull", "median_unbiased", "normal_unbiased")
# (alpha, beta) of the continuous methods: virtual index = n q + alpha + q (1 - alpha - beta) - 1
_ALPHA_BETA = {"linear": (1.0, 1.0), "interpolated_inverted_cdf": (0.0, 1.0),
               "hazen": (0.5, 0.5), "weibull": (0.0, 0.0),
               "median_unbiased": (1 / 3, 1 / 3), "normal_unbiased": (3 / 8, 3 / 8)}


def _lerp(a: Any, b: Any, t: Any) -> Any:
    """a + (b - a) t, computed from the nearer end like NumPy (exact at t = 0 and 1)."""
    diff_ba = subtract(b, a)
    lo = add(a, multiply(diff_ba, t))
    hi = subtract(b, multiply(diff_ba, subtract(1, t)))
    return where_(greater_equal(t, 0.5), hi, lo)


def _positions(n: Any, q: Any, method: str) -> tuple[Any, Any, Any]:
    """(previous index, next index, weight of next) of each quantile, as floats.

    `n` (the number of values) and `q` broadcast; the methods are Hyndman &
    Fan's, with NumPy's names and tie rules.
    """
    fl, one = floor, 1.0
    if method in _ALPHA_BETA:
        alpha, beta = _ALPHA_BETA[method]
        v = subtract(add(multiply(n, q), add(alpha, multiply(
            q, 1 - alpha - beta))), one)
        prev = fl(v)
        return prev, add(prev, one), subtract(v, prev)
    if method == "averaged_inverted_cdf":
        v = subtract(multiply(n, q), one)
        prev = fl(v)
        gamma = where_(equal(subtract(v, prev), 0.0), 0.5, 1.0)
        return prev, add(prev, one), gamma
    pos = multiply(subtract(n, one), q)
    if method == "midpoint":
        v = multiply(add(fl(pos), ceil(pos)), 0.5)
        prev = fl(v)
        return prev, add(prev, one), subtract(v, prev)
    if method == "lower":
        idx = fl(pos)
    elif method == "higher":
        idx = ceil(pos)
    elif method == "nearest":
        idx = round_(pos)                       # half to even, like NumPy
    else:   # inverted_cdf, closest_observation: discrete, with their tie rules
        shift = 1.0 if method == "inverted_cdf" else 1.5
        v = subtract(multiply(n, q), shift)
        prev = fl(v)
        at_prev = equal(subtract(v, prev), 0.0)
        if method == "closest_observation":
            at_prev = logical_and(at_prev, equal(mod(prev, 2.0), 1.0))
        idx = where_(at_prev, prev, add(prev, one))
    return idx, idx, zeros_like(idx)


def _quantile(x: Any, q: Any, axis: Axis, method: str, keepdims: bool, ignore_nan: bool,
              fname: str) -> Any:
    if method not in _METHODS:
        raise ValueError(f"{fname}: method {method!r} is not one of {_METHODS}")
    xdt = aval_of(x).dtype
    if dtypes.is_complex(xdt):
        raise TypeError(f"funcgrad.numpy.{fname}: complex input is not supported")
    qq = _op(q)
    # NumPy's result dtype: a float input keeps its width, ints give the default float;
    # an explicit (strong) float q array takes part in the promotion
    fdt = xdt if dtypes.is_float(xdt) else dtypes.default_float()
    if dtypes.is_float(aval_of(qq).dtype) and not aval_of(qq).weak_type:
        fdt = dtypes.canonicalize(np.result_type(fdt, aval_of(qq).dtype))
    qq = convert(qq, fdt, False)
    nd = aval_of(x).ndim
    axes = normalize_axes(axis, nd)
    keep_shape = tuple(1 if i in axes else d for i, d in enumerate(aval_of(x).shape))
    rest = [i for i in range(nd) if i not in axes]
    batch = tuple(aval_of(x).shape[i] for i in rest)
    n = int(np.prod([aval_of(x).shape[i] for i in axes], dtype=np.int64))
    if n == 0:
        raise ValueError(f"{fname}: cannot take a quantile over an empty axis")
    # the reduced axes, flattened into one last axis, sorted (NaNs sort last)
    xt = convert(reshape(transpose(x, rest + list(axes)), (*batch, n)), fdt)
    srt = sort(xt, axis=-1)
    qshape = aval_of(qq).shape
    ones_q, ones_b = (1,) * len(qshape), (1,) * len(batch)
    if ignore_nan:
        cnt = convert(sum_(_not_nan(xt), axis=-1), fdt)
        cnt = reshape(cnt, (*batch, *ones_q))
    else:
        cnt = full((*ones_b, *ones_q), float(n), fdt)
    out_shape = (*batch, *qshape)
    prev, nxt, gamma = _positions(cnt, reshape(qq, (*ones_b, *qshape)), method)
    top = maximum(subtract(cnt, 1.0), 0.0)
    nq = int(np.prod(qshape, dtype=np.int64))

    def pick(i: Any) -> Any:
        ii = convert(clip(i, 0.0, top), dtypes.int64)
        ii = reshape(broadcast_to(ii, out_shape), (*batch, nq))
        return reshape(take_along_axis(srt, ii, axis=-1), out_shape)

    res = _lerp(pick(prev), pick(nxt), convert(broadcast_to(gamma, out_shape), fdt))
    if ignore_nan:
        bad = broadcast_to(equal(cnt, 0.0), out_shape)
    else:
        bad = reshape(any_(isnan(xt), axis=-1), (*batch, *ones_q))
    res = convert(where_(bad, np.nan, res), fdt)
    if qshape:     # q's axes come first, like NumPy
        res = moveaxis(res, tuple(range(len(batch), len(out_shape))), tuple(range(len(qshape))))
    if keepdims:
        res = reshape(res, (*qshape, *keep_shape))
    return res


def _check_q(q: Any, fname: str, scale: float) -> Any:
    if isinstance(q, (int, float)) or isinstance(q, (list, tuple, np.ndarray, np.generic)):
        arr = np.asarray(q, dtype=np.float64) / scale
        if np.any((arr < 0) | (arr > 1)):
            what = "Percentiles must be in the range [0, 100]" if scale == 100 else \
                "Quantiles must be in the range [0, 1]"
            raise ValueError(f"{fname}: {what}")
        return arr if np.ndim(q) else float(arr)
    return divide(_op(q), scale) if scale != 1 else _op(q)


def _q_reject(fname: str, out: Any, overwrite_input: bool, weights: Any,
              interpolation: Any) -> None:
    reject(fname, out=out, weights=weights, interpolation=interpolation)
    if overwrite_input:
        raise UnsupportedError(f"funcgrad.numpy.{fname}: overwrite_input=True is not "
                               "supported (funcgrad arrays are immutable)")


def quantile(a: Any, q: Any, axis: Axis = None, out: Any = None,
             overwrite_input: bool = False, method: str = "linear", keepdims: bool = False,
             *, weights: Any = None, interpolation: Any = None) -> Any:
    """The q-th quantiles (q in [0, 1]) along `axis`; q's axes come first in the result."""
    _q_reject("quantile", out, overwrite_input, weights, interpolation)
    return _quantile(_op(a), _check_q(q, "quantile", 1.0), axis, method, keepdims, False,
                     "quantile")


def percentile(a: Any, q: Any, axis: Axis = None, out: Any = None,
               overwrite_input: bool = False, method: str = "linear", keepdims: bool = False,
               *, weights: Any = None, interpolation: Any = None) -> Any:
    """The q-th percentiles (q in [0, 100]) along `axis`."""
    _q_reject("percentile", out, overwrite_input, weights, interpolation)
    return _quantile(_op(a), _check_q(q, "percentile", 100.0), axis, method, keepdims, False,
                     "percentile")


def median(a: Any, axis: Axis = None, out: Any = None, overwrite_input: bool = False,
           keepdims: bool = False) -> Any:
    """The median along `axis` (NaN if the slice holds a NaN)."""
    _q_reject("median", out, overwrite_input, None, None)
    return _quantile(_op(a), 0.5, axis, "linear", keepdims, False, "median")


def nanquantile(a: Any, q: Any, axis: Axis = None, out: Any = None,
                overwrite_input: bool = False, method: str = "linear",
                keepdims: bool = False, *, weights: Any = None,
                interpolation: Any = None) -> Any:
    """`quantile` ignoring NaNs (NaN for an all-NaN slice)."""
    _q_reject("nanquantile", out, overwrite_input, weights, interpolation)
    return _quantile(_op(a), _check_q(q, "nanquantile", 1.0), axis, method, keepdims, True,
                     "nanquantile")


def nanpercentile(a: Any, q: Any, axis: Axis = None, out: Any = None,
                  overwrite_input: bool = False, method: str = "linear",
                  keepdims: bool = False, *, weights: Any = None,
                  interpolation: Any = None) -> Any:
    """`percentile` ignoring NaNs."""
    _q_reject("nanpercentile", out, overwrite_input, weights, interpolation)
    return _quantile(_op(a), _check_q(q, "nanpercentile", 100.0), axis, method, keepdims,
                     True, "nanpercentile")


def nanmedian(a: Any, axis: Axis = None, out: Any = None, overwrite_input: bool = False,
              keepdims: bool = False) -> Any:
    """`median` ignoring NaNs."""
    _q_reject("nanmedian", out, overwrite_input, None, None)
    return _quantile(_op(a), 0.5, axis, "linear", keepdims, True, "nanmedian")


# ---------------------------------------------------------------------------
# histogram


def histogram_bin_edges(a: Any, bins: Any = 10, range: Any = None,  # noqa: A002
                        weights: Any = None) -> Any:
    """The bin edges `histogram` uses: `bins` + 1 equal steps over `range` (or the
    data's min and max), or the given edges."""
    x = ravel(_op(a))
    if isinstance(bins, str):
        raise UnsupportedError(f"funcgrad.numpy.histogram: bins={bins!r} (a bin-width "
                               "estimator) is not supported; pass a number of bins or edges")
    if isinstance(bins, (int, np.integer)):
        nb = int(bins)
        if nb < 1:
            raise ValueError("histogram: `bins` must be positive, when an integer")
        fdt = aval_of(x).dtype if dtypes.is_float(aval_of(x).dtype) else dtypes.default_float()
        if range is not None:
            lo, hi = (float(v) for v in range)
            if lo > hi:
                raise ValueError("histogram: max must be larger than min in range parameter")
            if not (np.isfinite(lo) and np.isfinite(hi)):
                raise ValueError(f"histogram: supplied range of [{lo}, {hi}] is not finite")
            if lo == hi:
                lo, hi = lo - 0.5, hi + 0.5
            return linspace(lo, hi, nb + 1, dtype=fdt)
        if aval_of(x).size == 0:
            return linspace(0.0, 1.0, nb + 1, dtype=fdt)
        lo_t = convert(min_(x), fdt)
        hi_t = convert(max_(x), fdt)
        same = equal(lo_t, hi_t)
        lo_t = where_(same, subtract(lo_t, 0.5), lo_t)
        hi_t = where_(same, add(hi_t, 0.5), hi_t)
        steps = convert(arange(nb + 1), fdt)
        edges = add(lo_t, multiply(subtract(hi_t, lo_t), divide(steps, float(nb))))
        return where_(equal(steps, float(nb)), hi_t, edges)
    e = _op(bins)
    if aval_of(e).ndim != 1:
        raise ValueError("histogram: `bins` must be 1d, when an array")
    if not isinstance(e, Tracer):
        host = np.asarray(e)
        if np.any(host[:-1] > host[1:]):
            raise ValueError("histogram: `bins` must increase monotonically, when an array")
    return e


def histogram(a: Any, bins: Any = 10, range: Any = None, density: Any = None,  # noqa: A002
              weights: Any = None) -> tuple[Any, Any]:
    """Counts (or weight sums) of `a` in bins, and the bin edges.

    Bins are half-open [e_i, e_{i+1}) except the last, which is closed; values
    outside the edges (and NaNs) are not counted. `bins` is a number of bins
    or a 1-d array of edges; the data may be traced.
    Example: ``hist, edges = histogram(x, bins=5, range=(0, 1))``.
    """
    x = ravel(_op(a))
    if not isinstance(x, Tracer) and range is None and isinstance(bins, (int, np.integer)):
        host = np.asarray(x)
        if host.size and not np.all(np.isfinite([host.min(), host.max()])):
            raise ValueError(f"histogram: autodetected range of [{host.min()}, {host.max()}]"
                             " is not finite")
    edges = histogram_bin_edges(x, bins, range)
    nb = aval_of(edges).shape[0] - 1
    idx = searchsorted(edges, x, side="right") - 1
    idx = where_(equal(x, edges[-1]), nb - 1, idx)       # the last bin is closed
    inside = logical_and(greater_equal(idx, 0), less(idx, nb))
    idx = where_(inside, idx, nb)                             # nb: dropped
    if weights is None:
        vals: Any = ones(aval_of(x).shape, dtypes.int64)
    else:
        w = ravel(_op(weights))
        if aval_of(w).shape != aval_of(x).shape:
            raise ValueError("histogram: weights should have the same shape as a")
        vals = w
    hist = zeros(nb, aval_of(vals).dtype).at[idx].add(vals, mode="drop")
    if density:
        widths = diff(edges)
        hist = divide(divide(hist, widths), sum_(hist))
    return hist, edges


def bincount(x: Any, weights: Any = None, minlength: int = 0, *,
             length: int | None = None) -> Any:
    """Occurrences of each non-negative integer in 1-d `x` (weighted by `weights`).

    The output length is max(x) + 1 (at least `minlength`); under a transformation
    it must be given as ``length=`` (JAX's extension), since it depends on values.
    """
    v = _op(x)
    if aval_of(v).ndim != 1 or not dtypes.is_integer(aval_of(v).dtype) and \
            aval_of(v).dtype != dtypes.bool_:
        raise TypeError("bincount: x must be a 1-d array of non-negative integers")
    if length is None:
        if isinstance(v, Tracer):
            raise TypeError("funcgrad.numpy.bincount: the output length depends on the values "
                            "of x; pass length= (a static int) under a transformation")
        host = np.asarray(v)
        if host.size and host.min() < 0:
            raise ValueError("bincount: x must be non-negative")
        length = max(int(host.max()) + 1 if host.size else 0, int(minlength))
    vals = ones(aval_of(v).shape, dtypes.int64) if weights is None else convert(
        ravel(_op(weights)), dtypes.default_float() if not dtypes.is_inexact(
            aval_of(_op(weights)).dtype) else aval_of(_op(weights)).dtype)
    return zeros(int(length), aval_of(vals).dtype).at[v].add(vals, mode="drop")

