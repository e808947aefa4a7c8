"""Special matrices SciPy builds: block_diag, toeplitz, circulant, hilbert, companion."""
from __future__ import annotations

import operator
from typing import Any

import numpy as np

import funcgrad.numpy as fnp
from funcgrad import dtypes
from funcgrad.core import Tracer
from funcgrad.numpy._util import aval_of, convert
from funcgrad.scipy.linalg._util import (_array, _batch, _broadcast_batch, _dtype, _eye, _shape)


# ---------------------------------------------------------------------------
# special matrices


def block_diag(*arrs: Any) -> Any:
    """The block-diagonal matrix with the arguments on its diagonal. A 1-d argument is a
    (1, n) row, a scalar a (1, 1) block; dims before the last two are batch dims and
    broadcast. The dtype is the arguments' result type; no argument gives a (1, 0)
    array."""
    if not arrs:
        return fnp.zeros((1, 0), dtypes.default_float())
    ops = []
    for x in arrs:
        op = _array(x)
        shape = _shape(op)
        if len(shape) < 2:
            op = fnp.reshape(op, (1, -1) if shape else (1, 1))
        ops.append(op)
    dt, _ = dtypes.result_type(*(aval_of(o) for o in ops))
    batch = _batch("block_diag", *(_shape(o)[:-2] for o in ops))
    cols = sum(_shape(o)[-1] for o in ops)
    rows = []
    start = 0
    for o in ops:
        c = _shape(o)[-1]
        o = _broadcast_batch(convert(o, dt), batch)
        pad = [(0, 0)] * len(batch) + [(0, 0), (start, cols - start - c)]
        rows.append(fnp.pad(o, pad))
        start += c
    return fnp.concatenate(rows, axis=-2)


def _atleast_1d(x: Any) -> Any:
    op = _array(x)
    return fnp.reshape(op, (1,)) if not _shape(op) else op


def toeplitz(c: Any, r: Any = None) -> Any:
    """The Toeplitz matrix with first column `c` and first row `r` (default: conj(c));
    r[0] is ignored, the diagonal is c[0]. Dims of c and r before the last are batch
    dims and broadcast: the result is (..., len(c), len(r))."""
    cc = _atleast_1d(c)
    rr = fnp.conj(cc) if r is None else _atleast_1d(r)
    m, n = _shape(cc)[-1], _shape(rr)[-1]
    dt, _ = dtypes.result_type(aval_of(cc), aval_of(rr))
    batch = _batch("toeplitz", _shape(cc)[:-1], _shape(rr)[:-1])
    if m == 0 or n == 0:
        return fnp.zeros((*batch, m, n), dt)
    cc = fnp.broadcast_to(convert(cc, dt), (*batch, m))
    rr = fnp.broadcast_to(convert(rr, dt), (*batch, n))
    vals = fnp.concatenate([fnp.flip(cc, -1), rr[..., 1:]], axis=-1)
    idx = m - 1 - np.arange(m)[:, None] + np.arange(n)[None, :]      # T[i, j] = vals[idx]
    return fnp.take(vals, idx, axis=-1)


def circulant(c: Any) -> Any:
    """The circulant matrix with first column `c`: C[i, j] = c[(i - j) % n]; dims of c
    before the last are batch dims."""
    cc = _atleast_1d(c)
    n = _shape(cc)[-1]
    if n == 0:
        return fnp.zeros((*_shape(cc)[:-1], 0, 0), _dtype(cc))
    idx = (np.arange(n)[:, None] - np.arange(n)[None, :]) % n
    return fnp.take(cc, idx, axis=-1)


def hilbert(n: int) -> Any:
    """The n x n Hilbert matrix, H[i, j] = 1 / (i + j + 1) (famously ill-conditioned)."""
    n = operator.index(n)
    if n < 0:
        raise ValueError(f"hilbert: n must be non-negative, got {n}")
    i = np.arange(n)
    return fnp.asarray((1.0 / (i[:, None] + i[None, :] + 1)).astype(dtypes.default_float()))


def companion(a: Any) -> Any:
    """The companion matrix of the polynomial with coefficients `a` (highest degree
    first): first row ``-a[1:] / a[0]``, ones on the subdiagonal; (..., N-1, N-1) for
    a of shape (..., N), N >= 2. A leading coefficient of zero raises ValueError when
    `a` is concrete (a traced one gives infinities)."""
    fname = "companion"
    x = _array(a)
    shape = _shape(x)
    if not shape or shape[-1] < 2:
        raise ValueError(f"{fname}: the length of `a` along the last axis must be at least "
                         f"2, got shape {shape}")
    if not isinstance(x, Tracer) and np.any(np.asarray(x)[..., 0] == 0):
        raise ValueError(f"{fname}: the first coefficient(s) of `a` (a[..., 0]) must not be "
                         "zero")
    first = fnp.true_divide(fnp.negative(x[..., 1:]), x[..., :1])
    n = shape[-1] - 1
    dt = _dtype(first)
    sub = fnp.broadcast_to(_eye(n, dt, k=-1)[1:], (*shape[:-1], n - 1, n))
    return fnp.concatenate([fnp.expand_dims(first, -2), sub], axis=-2)
