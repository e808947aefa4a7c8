"""`check_grads`: derivatives against finite differences, and VJP against JVP.

Forward mode is compared with central finite differences taken in float64
along a random direction; reverse mode with the same differences through the
dot-product identity <v, vjp(ct)> = <jvp(v), ct> (so a function with only a
custom VJP can be checked too), and, when both modes are asked for, VJP with
JVP directly. Higher orders check the derivative functions themselves.
Arguments may be pytrees (a dict of parameters, a tuple of arrays); integer
and bool leaves are held fixed.

Example::

    from funcgrad.testing import check_grads
    check_grads(lambda x: fnp.sin(x) * x, (np.linspace(-1, 1, 5),), order=2)
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

import funcgrad.numpy as fnp
from funcgrad import dtypes, tree
from funcgrad.autodiff import jvp, vjp
from funcgrad.testing._compare import Tol, assert_trees_close, failure

EPS = 1e-4
# Tolerances for comparing a derivative with finite differences, by dtype.
GRAD_TOL = {np.dtype(np.float16): 5e-2, np.dtype(dtypes.bfloat16): 1e-1,
            np.dtype(np.float32): 2e-3, np.dtype(np.float64): 1e-5,
            np.dtype(np.complex64): 2e-3, np.dtype(np.complex128): 1e-5}


def _is_diff(x: Any) -> bool:
    return dtypes.is_inexact(np.asarray(x).dtype)


def _tol(xs: Any) -> float:
    tols = [GRAD_TOL.get(np.asarray(x).dtype, 1e-5) for x in tree.leaves(xs) if _is_diff(x)]
    return max(tols, default=1e-5)


def _scalar_tol(tol: Tol, xs: Any, default: float) -> float:
    """One number for a dot-product comparison: a per-dtype mapping gives its
    loosest entry among the floating dtypes of `xs`."""
    if tol is None:
        return default
    if isinstance(tol, Mapping):
        table = {np.dtype(k): float(v) for k, v in tol.items()}
        found = [table[np.asarray(x).dtype] for x in tree.leaves(xs)
                 if _is_diff(x) and np.asarray(x).dtype in table]
        return max(found, default=default)
    return float(tol)


def _rand_like(rng: np.random.Generator, xs: Any) -> Any:
    """A standard-normal pytree like `xs` (zeros for integer and bool leaves)."""
    def leaf(x: Any) -> np.ndarray:
        a = np.asarray(x)
        if not _is_diff(a):
            return np.zeros(a.shape, a.dtype)
        v = rng.standard_normal(a.shape)
        if dtypes.is_complex(a.dtype):
            v = v + 1j * rng.standard_normal(a.shape)
        return np.asarray(v).astype(a.dtype)
    return tree.map(leaf, xs)


def _inner(xs: Any, ys: Any) -> float:
    """Re <x, y> = Re sum(conj(x) * y), over the floating leaves of two pytrees."""
    total = 0.0
    for x, y in zip(tree.leaves(xs), tree.leaves(ys), strict=True):
        x, y = np.asarray(x), np.asarray(y)
        if _is_diff(x) and _is_diff(y):
            total += float(np.real(np.sum(np.conj(x.astype(np.complex128)) *
                                          y.astype(np.complex128))))
    return total


def _conj(xs: Any) -> Any:
    return tree.map(lambda x: np.conj(np.asarray(x)) if _is_diff(x) else x, xs)


def _to_f64(xs: Any) -> Any:
    def leaf(x: Any) -> Any:
        a = np.asarray(x)
        if not _is_diff(a):
            return x
        return a.astype(np.complex128 if dtypes.is_complex(a.dtype) else np.float64)
    return tree.map(leaf, xs)


def _on_device(xs: Any) -> Any:
    """NumPy leaves as funcgrad Arrays, so `f` sees the types it is written for
    (``x.at[...]`` works); Python scalars stay weakly typed."""
    return tree.map(lambda x: fnp.asarray(x) if isinstance(x, (np.ndarray, np.generic))
                    else x, xs)


def _numerical_jvp(f: Callable[..., Any], args: Sequence[Any], tangents: Sequence[Any],
                   eps: float) -> Any:
    """Central differences of `f` along `tangents`, computed in float64."""
    a64, t64 = _to_f64(tuple(args)), _to_f64(tuple(tangents))

    def step(sign: float) -> tuple[Any, ...]:
        return tree.map(lambda a, t: a + sign * eps * t if _is_diff(a) else a, a64, t64)
    fp, fm = f(*_on_device(step(1.0))), f(*_on_device(step(-1.0)))

    def diff(p: Any, m: Any) -> np.ndarray:
        p, m = np.asarray(p), np.asarray(m)
        if not _is_diff(p):
            return np.zeros(p.shape)
        with np.errstate(invalid="ignore"):   # equal infinities differ by 0, not NaN
            return np.where(p == m, 0, (p - m) / (2 * eps))
    return tree.map(diff, fp, fm)


def _check_dot(check: str, what: str, args: Sequence[Any], labels: tuple[str, str],
               lhs: float, rhs: float, atol: float, rtol: float) -> None:
    if not np.isclose(lhs, rhs, atol=atol, rtol=rtol, equal_nan=True):
        raise failure(check, what, args, labels, np.float64(lhs), np.float64(rhs), atol, rtol,
                      f"difference {abs(lhs - rhs):.3g}")


def _check_tangent_types(check: str, args: Sequence[Any], out: Any, t_out: Any) -> None:
    """A tangent has its primal's structure and shape, and a floating primal's dtype."""
    if tree.structure(t_out) != tree.structure(out):
        raise failure(check, f"the tangent output has structure {tree.structure(t_out)}, the "
                      f"primal output {tree.structure(out)}", args, ("tangent", "output"),
                      t_out, out, None, None)
    for p, t, o in zip(tree.leaf_paths(out), tree.leaves(t_out), tree.leaves(out), strict=True):
        t, o = np.asarray(t), np.asarray(o)
        if t.shape != o.shape or (_is_diff(o) and t.dtype != o.dtype):
            raise failure(check, f"the tangent of output{p} has type {t.dtype}{list(t.shape)}, "
                          f"the output {o.dtype}{list(o.shape)}", args, ("tangent", "output"),
                          t, o, None, None)


def check_jvp(f: Callable[..., Any], args: Sequence[Any], *, eps: float = EPS,
              atol: Tol = None, rtol: Tol = None,
              rng: np.random.Generator | None = None, check: str = "check_jvp",
              shown_args: Sequence[Any] | None = None) -> None:
    """Forward mode of `f` at `args` against central finite differences.

    The tangent output must have the primal output's structure, shapes and
    floating dtypes; its values must match the differences within the
    tolerance (by default `GRAD_TOL` of the inputs' and outputs' dtypes).
    """
    rng = rng or np.random.default_rng(0)
    args = tuple(args)
    tangents = _rand_like(rng, args)
    out, t_out = jvp(f, args, tangents)
    _check_tangent_types(check, args, out, t_out)
    num = _numerical_jvp(f, args, tangents, eps)
    tol = _tol((args, t_out))
    assert_trees_close(check, "JVP does not match finite differences", args,
                       ("JVP", "finite differences"), t_out, num,
                       tol if atol is None else atol, tol if rtol is None else rtol,
                       same_dtype=False)


def check_vjp(f: Callable[..., Any], args: Sequence[Any], *, eps: float = EPS,
              atol: Tol = None, rtol: Tol = None, with_jvp: bool = True,
              rng: np.random.Generator | None = None, check: str = "check_vjp",
              shown_args: Sequence[Any] | None = None) -> None:
    """Reverse mode of `f` at `args`: <v, vjp(ct)> against <jvp(v), ct>, the
    JVP taken by finite differences (and by forward mode when `with_jvp`).
    A failure message shows `shown_args` (default `args`) as the inputs."""
    rng = rng or np.random.default_rng(1)
    args = tuple(args)
    shown = args if shown_args is None else tuple(shown_args)
    out, pullback = vjp(f, *args)
    tangents = _rand_like(rng, args)
    ct = _rand_like(rng, out)
    # NB: transposes are bilinear (no conjugation, as in JAX): conjugating the
    # cotangent on the way in and out makes the identity hold for maps that
    # are only real-linear (abs or real of a complex value).
    ct_in = _conj(pullback(_conj(ct)))
    if tree.structure(ct_in) != tree.structure(args):
        raise failure(check, f"the VJP returned cotangents of structure "
                      f"{tree.structure(ct_in)}, but the arguments have structure "
                      f"{tree.structure(args)}", shown, ("VJP", "args"), ct_in, args, None, None)
    lhs = _inner(tangents, ct_in)
    num = _numerical_jvp(f, args, tangents, eps)
    tol = _tol((args, out))
    a, r = _scalar_tol(atol, (args, out), tol), _scalar_tol(rtol, (args, out), tol)
    _check_dot(check, "VJP does not match finite differences (dot-product test "
               "<v, vjp(ct)> = <jvp(v), ct>)", shown, ("<v, vjp(ct)>", "<fd(v), ct>"),
               lhs, _inner(num, ct), a, r)
    if with_jvp:
        _, t_out = jvp(f, args, tangents)
        _check_dot(check, "VJP does not match JVP (dot-product test "
                   "<v, vjp(ct)> = <jvp(v), ct>)", shown, ("<v, vjp(ct)>", "<jvp(v), ct>"),
                   lhs, _inner(t_out, ct), a, r)


def check_grads(f: Callable[..., Any], args: Sequence[Any], order: int = 2,
                modes: Sequence[str] = ("fwd", "rev"), eps: float | None = None,
                atol: Tol = None, rtol: Tol = None) -> None:
    """Check `f`'s derivatives at `args` up to `order` in the given modes.

    Args:
      f: the function; takes the positional `args` (pytrees of arrays).
      args: a tuple of arguments. Floating leaves are perturbed; integer and
        bool leaves are held fixed.
      order: derivatives up to this order are checked (the JVP and VJP
        functions are themselves checked recursively).
      modes: "fwd" (JVP vs finite differences), "rev" (VJP vs finite
        differences by the dot-product test; and vs JVP when "fwd" too).
      eps: the finite-difference step (default 1e-4, taken in float64).
      atol, rtol: tolerances: a float, or a dict from dtype to float (default:
        by dtype, float64 1e-5, float32 2e-3).

    Raises:
      AssertionError: showing the inputs, the two values and the tolerance.
      ValueError: bad `order` or `modes`.

    Example::

        check_grads(lambda x: fnp.tanh(x) ** 2, (np.linspace(-1, 1, 4),), order=2)
    """
    if isinstance(order, bool) or not isinstance(order, int) or order < 1:
        raise ValueError(f"check_grads: order must be a positive int, got {order!r}")
    if isinstance(modes, str):
        raise ValueError(f"check_grads: modes must be a sequence such as ('fwd', 'rev'), got "
                         f"the string {modes!r}")
    bad = set(modes) - {"fwd", "rev"}
    if bad or not modes:
        raise ValueError(f"check_grads: modes must be a non-empty subset of ('fwd', 'rev'), "
                         f"got {tuple(modes)!r}")
    if not isinstance(args, (tuple, list)):
        raise TypeError(f"check_grads: args must be a tuple of arguments, got "
                        f"{type(args).__name__}; write (x,) for a single argument")
    args = tuple(args)
    eps = EPS if eps is None else eps
    rng = np.random.default_rng(0)

    def run(fun: Callable[..., Any], order: int) -> None:
        if "fwd" in modes:
            check_jvp(fun, args, eps=eps, atol=atol, rtol=rtol, rng=rng, check="check_grads")
            if order > 1:
                v = _rand_like(rng, args)
                run(lambda *a: jvp(fun, a, v)[1], order - 1)
        if "rev" in modes:
            check_vjp(fun, args, eps=eps, atol=atol, rtol=rtol, with_jvp="fwd" in modes,
                      rng=rng, check="check_grads")
            if order > 1:
                ct = _rand_like(rng, fun(*_on_device(args)))
                run(lambda *a: vjp(fun, *a)[1](ct), order - 1)

    run(f, order)
