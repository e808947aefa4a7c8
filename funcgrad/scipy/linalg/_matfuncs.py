"""Functions of matrices: the polar decomposition and the exponential."""
from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import numpy as np

import funcgrad.numpy as fnp
from funcgrad import dtypes, lax
from funcgrad import primitives as P
from funcgrad.autodiff import jvp, stop_gradient
from funcgrad.core import shape_error
from funcgrad.numpy._eager import eager_jit
from funcgrad.numpy._util import convert
from funcgrad.scipy.linalg._util import (_check_finite, _check_matrix, _check_square, _dtype, _eye,
                                         _lu_solve_perm, _mH, _operands, _shape, _static_bool,
                                         _trisolve)


@eager_jit(static_argnames=("right",))
def _polar_core(a: Any, right: bool) -> tuple[Any, Any]:
    s, w, vh = P.svd_p.bind(a, full_matrices=False, compute_uv=True)
    u = w @ vh
    sc = convert(fnp.expand_dims(s, -1), _dtype(a))
    if right:
        p = _mH(vh) @ (sc * vh)             # V S V^H
    else:
        p = w @ (sc * _mH(w))               # W S W^H
    return u, p


def polar(a: Any, side: str = "right") -> tuple[Any, Any]:
    """Polar decomposition ``a = u @ p`` (side="right") or ``a = p @ u`` ("left") of
    (..., M, N) matrices, from the SVD: u has orthonormal rows or columns, p is
    Hermitian positive semi-definite, (N, N) for "right" and (M, M) for "left"."""
    fname = "polar"
    if side not in ("right", "left"):
        raise ValueError(f"{fname}: `side` must be either 'right' or 'left', got {side!r}")
    (x,) = _operands(fname, a)
    _check_matrix(fname, x)
    return _polar_core(x, side == "right")



# ---------------------------------------------------------------------------
# the matrix exponential

# Higham (2005), "The scaling and squaring method for the matrix exponential
# revisited", Table 2.3: the [m/m] Pade approximant of exp meets the unit roundoff
# for 1-norms up to theta_m. funcgrad uses the largest degree of each precision.
_PADE = {dtypes.float64: (13, 5.371920351148152e0),
         dtypes.float32: (7, 3.925724783138660e0)}


def _pade_coefficients(m: int) -> list[float]:
    """c_j of the [m/m] Pade approximant of exp: p(x) = sum_j c_j x^j, q(x) = p(-x)."""
    f = math.factorial
    return [float(Fraction(f(2 * m - j) * f(m), f(2 * m) * f(j) * f(m - j)))
            for j in range(m + 1)]


def _pade(a: Any, m: int) -> tuple[Any, Any]:
    """(U, V) with the [m/m] approximant p/q = (V + U) / (V - U): U holds the odd
    powers of a, V the even ones."""
    c = _pade_coefficients(m)
    eye = _eye(_shape(a)[-1], _dtype(a))
    a2 = a @ a
    if m == 13:     # Higham's evaluation: 6 matrix products
        a4 = a2 @ a2
        a6 = a4 @ a2
        u = a @ (a6 @ (c[13] * a6 + c[11] * a4 + c[9] * a2)
                 + c[7] * a6 + c[5] * a4 + c[3] * a2 + c[1] * eye)
        v = (a6 @ (c[12] * a6 + c[10] * a4 + c[8] * a2)
             + c[6] * a6 + c[4] * a4 + c[2] * a2 + c[0] * eye)
        return u, v
    powers = [eye, a2]                      # the even powers a^0, a^2, ..., a^(m-1)
    while 2 * len(powers) <= m:
        powers.append(powers[-1] @ a2)
    odd = c[1] * eye
    even = c[0] * eye
    for i, p in enumerate(powers[1:], start=1):
        even = even + c[2 * i] * p
        odd = odd + c[2 * i + 1] * p
    return a @ odd, even


def _square_some(i: Any, r: Any, s: Any) -> Any:
    return fnp.where(i < s, r @ r, r)


def _keep_some(i: Any, r: Any, s: Any) -> Any:
    return r


def _square_step(i: Any, carry: tuple[Any, Any, Any]) -> tuple[Any, Any, Any]:
    """Squaring step i: each matrix squares while i < its s (..., 1, 1); the step is
    skipped once no matrix needs it (i >= smax). Closing over nothing, the loop's
    staged programs are reused from call to call."""
    r, s, smax = carry
    return lax.cond(i < smax, _square_some, _keep_some, i, r, s), s, smax


@eager_jit(static_argnames=("upper_triangular", "max_squarings"))
def _expm_core(a: Any, upper_triangular: bool, max_squarings: int) -> Any:
    if _shape(a)[-1] == 0:
        return a
    dt = _dtype(a)
    m, theta = _PADE[dtypes.real_dtype(dt)]
    # the 1-norm only picks the number of squarings (by comparison and rounding): no
    # derivative flows through it
    norm = stop_gradient(fnp.max(fnp.sum(fnp.abs(a), axis=-2), axis=-1))
    s = fnp.maximum(fnp.ceil(fnp.log2(norm / theta)), 0.0)
    too_many = s > max_squarings
    s = fnp.expand_dims(fnp.where(too_many, 0.0, s), (-1, -2))
    u, v = _pade(a * convert(fnp.exp2(-s), dt), m)
    if upper_triangular:
        r = _trisolve(v - u, v + u, lower=False)
    else:
        lu_, _, perm = P.lu_p.bind(v - u)
        r = _lu_solve_perm(lu_, perm, v + u, 0)
    if max_squarings:
        r, _, _ = lax.fori_loop(0, max_squarings, _square_step, (r, s, fnp.max(s)))
    return fnp.where(fnp.expand_dims(too_many, (-1, -2)), convert(np.nan, dt), r)


def expm(A: Any, *, upper_triangular: bool = False, max_squarings: int = 16) -> Any:
    """The matrix exponential of a (stack of) square matrices, by scaling and squaring
    with a Pade approximant (Higham 2005): A is scaled by 2**-s so that its 1-norm
    is at most theta_13 (theta_7 in single precision), the [13/13] ([7/7])
    approximant is evaluated and squared s times. SciPy and JAX pick a lower degree
    for small norms to save a few matrix products; funcgrad keeps one degree, which
    is as accurate and gives one small program to stage and differentiate.
    Differentiable by composition: its JVP is the Frechet derivative (see
    `expm_frechet`).

    ``upper_triangular=True`` promises that `A` is upper triangular (the final solve
    is then a triangular one). A matrix whose norm needs more than `max_squarings`
    squarings (1-norm above about 5.4 * 2**max_squarings in double precision) gives
    NaNs, as in JAX."""
    fname = "expm"
    upper_triangular = _static_bool(fname, "upper_triangular", upper_triangular)
    if isinstance(max_squarings, bool) or not isinstance(max_squarings, (int, np.integer)) \
            or max_squarings < 0:
        raise ValueError(f"{fname}: max_squarings must be a non-negative int, got "
                         f"{max_squarings!r}")
    (x,) = _operands(fname, A)
    _check_square(fname, x, "A")
    return _expm_core(x, upper_triangular, int(max_squarings))


def expm_frechet(A: Any, E: Any, method: str | None = None, compute_expm: bool = True,
                 check_finite: bool = True) -> Any:
    """The Frechet derivative of expm at `A` in the direction `E`: ``(expm(A), L)``, or L
    alone with ``compute_expm=False``. method None or "SPS" differentiates `expm`'s
    scaling-Pade-squaring (its JVP); "blockEnlarge" reads L off
    ``expm([[A, E], [0, A]])``."""
    fname = "expm_frechet"
    if method not in (None, "SPS", "blockEnlarge"):
        raise ValueError(f"{fname}: unknown implementation {method!r}; use None, 'SPS' or "
                         "'blockEnlarge'")
    x, e = _operands(fname, A, E)
    _check_square(fname, x, "A")
    if _shape(x) != _shape(e):
        raise shape_error(fname, f"A of shape {_shape(x)} and E of shape {_shape(e)} must "
                                 "have the same shape")
    _check_finite(fname, check_finite, A=A, E=E)
    if method == "blockEnlarge":
        n = _shape(x)[-1]
        big = fnp.concatenate([fnp.concatenate([x, e], axis=-1),
                               fnp.concatenate([fnp.zeros_like(x), x], axis=-1)], axis=-2)
        out = expm(big)
        ex, frechet = out[..., :n, :n], out[..., :n, n:]
    else:
        ex, frechet = jvp(expm, (x,), (e,))
    return (ex, frechet) if compute_expm else frechet
