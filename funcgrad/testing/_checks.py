"""`check_grads`: derivatives against finite differences, and VJP against JVP.

Forward mode is compared with central finite differences taken in float64
along a random direction; reverse mode with the same differences through the
dot-product identity <v, vjp(ct)> = <jvp(v), ct> (so a function with only a
custom VJP can be checked too), and, when both modes are asked for, VJP with
JVP directly. Higher orders check the derivative functions themselves.

Example::

    from funcgrad.testing import check_grads
    check_grads(lambda x: fnp.sin(x) * x, (np.linspace(-1, 1, 5),), order=2)
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from funcgrad import dtypes, tree
from funcgrad.autodiff import jvp, vjp

EPS = 1e-4
# Tolerances for comparing a derivative with finite differences, by dtype.
GRAD_TOL = {np.dtype(np.float16): 5e-2, np.dtype(dtypes.bfloat16): 1e-1,
            np.dtype(np.float32): 2e-3, np.dtype(np.float64): 1e-5,
            np.dtype(np.complex64): 2e-3, np.dtype(np.complex128): 1e-5}


def _np(x: Any) -> np.ndarray:
    return np.asarray(x)


def _is_diff(x: Any) -> bool:
    return dtypes.is_inexact(np.asarray(x).dtype)


def _tol(leaves: Sequence[Any]) -> float:
    tols = [GRAD_TOL.get(np.asarray(x).dtype, 1e-5) for x in leaves if _is_diff(x)]
    return max(tols, default=1e-5)


def _rand_like(rng: np.random.Generator, x: Any) -> Any:
    a = np.asarray(x)
    if not _is_diff(a):
        return np.zeros(a.shape, a.dtype)
    v = rng.standard_normal(a.shape)
    if dtypes.is_complex(a.dtype):
        v = v + 1j * rng.standard_normal(a.shape)
    return np.asarray(v).astype(a.dtype)


def _inner(xs: Any, ys: Any) -> float:
    """Re <x, y> = Re sum(conj(x) * y), over the floating leaves of two pytrees."""
    total = 0.0
    for x, y in zip(tree.leaves(xs), tree.leaves(ys), strict=True):
        x, y = _np(x), _np(y)
        if _is_diff(x) and _is_diff(y):
            total += float(np.real(np.sum(np.conj(x.astype(np.complex128)) *
                                          y.astype(np.complex128))))
    return total


def _conj(xs: Any) -> Any:
    return tree.map(lambda x: np.conj(_np(x)) if _is_diff(x) else _np(x), xs)


def _to_f64(x: Any) -> Any:
    a = np.asarray(x)
    if not _is_diff(a):
        return a
    return a.astype(np.complex128 if dtypes.is_complex(a.dtype) else np.float64)


def _numerical_jvp(f: Callable[..., Any], args: Sequence[Any], tangents: Sequence[Any],
                   eps: float) -> Any:
    """Central differences of `f` along `tangents`, computed in float64."""
    a64 = [_to_f64(a) for a in args]
    t64 = [_to_f64(t) for t in tangents]
    plus = [a + eps * t if _is_diff(a) else a for a, t in zip(a64, t64, strict=True)]
    minus = [a - eps * t if _is_diff(a) else a for a, t in zip(a64, t64, strict=True)]
    fp, fm = f(*plus), f(*minus)

    def diff(p: Any, m: Any) -> np.ndarray:
        p, m = _np(p), _np(m)
        if not _is_diff(p):
            return np.zeros(p.shape)
        with np.errstate(invalid="ignore"):   # equal infinities differ by 0, not NaN
            return np.where(p == m, 0, (p - m) / (2 * eps))
    return tree.map(diff, fp, fm)


def _fail(what: str, args: Sequence[Any], got: Any, want: Any, atol: float,
          rtol: float) -> AssertionError:
    with np.printoptions(precision=6, threshold=20):
        return AssertionError(
            f"check_grads: {what} does not match.\n"
            f"  inputs: {[np.asarray(a) for a in args]}\n"
            f"  got:      {got}\n  expected: {want}\n"
            f"  tolerance: atol={atol:g}, rtol={rtol:g}")


def _close(what: str, args: Sequence[Any], got: Any, want: Any, atol: float,
           rtol: float) -> None:
    for g, w in zip(tree.leaves(got), tree.leaves(want), strict=True):
        g, w = _np(g), _np(w)
        if g.shape != w.shape:
            raise _fail(f"{what} (shapes {g.shape} vs {w.shape})", args, g, w, atol, rtol)
        if not np.allclose(g.astype(np.complex128), w.astype(np.complex128), atol=atol,
                           rtol=rtol, equal_nan=True):
            raise _fail(what, args, g, w, atol, rtol)


def check_jvp(f: Callable[..., Any], args: Sequence[Any], *, eps: float = EPS,
              atol: float | None = None, rtol: float | None = None,
              rng: np.random.Generator | None = None) -> None:
    """Forward mode of `f` at `args` against central finite differences."""
    rng = rng or np.random.default_rng(0)
    tangents = [_rand_like(rng, a) for a in args]
    _, t_out = jvp(f, tuple(args), tuple(tangents))
    num = _numerical_jvp(f, args, tangents, eps)
    tol = _tol([*args, *tree.leaves(t_out)])
    _close("JVP vs finite differences", args, t_out, num,
           tol if atol is None else atol, tol if rtol is None else rtol)


def check_vjp(f: Callable[..., Any], args: Sequence[Any], *, eps: float = EPS,
              atol: float | None = None, rtol: float | None = None, with_jvp: bool = True,
              rng: np.random.Generator | None = None) -> None:
    """Reverse mode of `f` at `args`: <v, vjp(ct)> against <jvp(v), ct>, the
    JVP taken by finite differences (and by forward mode when `with_jvp`)."""
    rng = rng or np.random.default_rng(1)
    out, pullback = vjp(f, *args)
    tangents = [_rand_like(rng, a) for a in args]
    ct = tree.map(lambda o: _rand_like(rng, o), out)
    # NB: transposes are bilinear (no conjugation, as in JAX): conjugating the
    # cotangent on the way in and out makes the identity hold for maps that
    # are only real-linear (abs or real of a complex value).
    ct_in = _conj(pullback(_conj(ct)))
    lhs = _inner(tangents, ct_in)
    num = _numerical_jvp(f, args, tangents, eps)
    tol = _tol([*args, *tree.leaves(out)])
    a, r = tol if atol is None else atol, tol if rtol is None else rtol
    _close("VJP vs finite differences (dot-product test)", args, lhs, _inner(num, ct), a, r)
    if with_jvp:
        _, t_out = jvp(f, tuple(args), tuple(tangents))
        _close("VJP vs JVP (dot-product test)", args, lhs, _inner(t_out, ct), a, r)


def check_grads(f: Callable[..., Any], args: Sequence[Any], order: int = 2,
                modes: Sequence[str] = ("fwd", "rev"), eps: float | None = None,
                atol: float | None = None, rtol: float | None = None) -> None:
    """Check `f`'s derivatives at `args` up to `order` in the given modes.

    Raises AssertionError showing the inputs, the two values and the tolerance
    on a mismatch; ValueError for bad `order`/`modes`.
    """
    if not isinstance(order, int) or order < 1:
        raise ValueError(f"check_grads: order must be a positive int, got {order!r}")
    bad = set(modes) - {"fwd", "rev"}
    if bad or not modes:
        raise ValueError(f"check_grads: modes must be a non-empty subset of ('fwd', 'rev'), "
                         f"got {tuple(modes)!r}")
    args = tuple(args)
    eps = EPS if eps is None else eps
    rng = np.random.default_rng(0)

    def run(fun: Callable[..., Any], order: int) -> None:
        if "fwd" in modes:
            check_jvp(fun, args, eps=eps, atol=atol, rtol=rtol, rng=rng)
            if order > 1:
                v = tuple(_rand_like(rng, a) for a in args)
                run(lambda *a: jvp(fun, a, v)[1], order - 1)
        if "rev" in modes:
            check_vjp(fun, args, eps=eps, atol=atol, rtol=rtol, with_jvp="fwd" in modes,
                      rng=rng)
            if order > 1:
                ct = tree.map(lambda o: _rand_like(rng, o), fun(*args))
                run(lambda *a: vjp(fun, *a)[1](ct), order - 1)

    run(f, order)
