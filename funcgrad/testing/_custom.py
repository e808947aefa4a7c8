"""`check_custom_rules`: a user's custom_jvp / custom_vjp rule against its primal.

A custom rule replaces autodiff, so nothing else ever checks it. This check
asks, at given arguments:

- custom_jvp: the rule's primal output equals the function's; the rule's
  tangents match central finite differences of the (undecorated) function;
  reverse mode, which transposes the rule, agrees with finite differences and
  with the rule itself (the dot-product test).
- custom_vjp: fwd's output equals the function's; bwd agrees with finite
  differences through the dot-product test <v, bwd(ct)> = <fd(v), ct>, and
  with forward-mode autodiff of the undecorated function wherever that is
  finite (a custom VJP often exists because the plain derivative overflows).

Example::

    @fg.custom_jvp
    def softplus(x):
        return fnp.logaddexp(x, 0.0)
    softplus.defjvps(lambda t, ans, x: t * fg.scipy.special.expit(x))
    check_custom_rules(softplus, (np.linspace(-3, 3, 5),))
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from funcgrad import tree
from funcgrad.autodiff import jvp as _jvp
from funcgrad.autodiff import vjp as _vjp
from funcgrad.custom_rules import custom_jvp, custom_vjp
from funcgrad.errors import UnsupportedError
from funcgrad.testing._checks import (EPS, _check_dot, _conj, _inner, _on_device, _rand_like,
                                      _scalar_tol, _tol, check_jvp, check_vjp)
from funcgrad.testing._compare import Tol, assert_trees_close

CHECK = "check_custom_rules"


def _split(f: custom_jvp | custom_vjp, args: Sequence[Any]
           ) -> tuple[Callable[..., Any], Callable[..., Any], tuple[Any, ...], tuple[Any, ...]]:
    """(f and its undecorated function) as functions of the differentiable
    arguments only, with the nondiff ones and the differentiable ones."""
    n = len(args)
    for i in f.nondiff_argnums:
        if not -n <= i < n:
            raise ValueError(f"{CHECK}: nondiff_argnums={f.nondiff_argnums} is out of range "
                             f"for {n} arguments")
    nd = {i % n for i in f.nondiff_argnums}
    nondiff = tuple(a for i, a in enumerate(args) if i in nd)
    diff = tuple(a for i, a in enumerate(args) if i not in nd)

    def merge(d: Sequence[Any]) -> list[Any]:
        it_nd, it_d = iter(nondiff), iter(d)
        return [next(it_nd) if i in nd else next(it_d) for i in range(n)]

    return (lambda *d: f(*merge(d))), (lambda *d: f.fun(*merge(d))), nondiff, diff


def _all_finite(x: Any) -> bool:
    return all(bool(np.all(np.isfinite(np.asarray(v)))) for v in tree.leaves(x))


def check_custom_rules(f: custom_jvp | custom_vjp, args: Sequence[Any], *,
                       eps: float = EPS, atol: Tol = None, rtol: Tol = None) -> None:
    """Check the rule of a `custom_jvp` or `custom_vjp` function at `args`.

    Args:
      f: a function decorated with `fg.custom_jvp` (with a rule registered by
        `defjvp`/`defjvps`) or `fg.custom_vjp` (with `defvjp`).
      args: a tuple of arguments, nondiff ones (``nondiff_argnums``) included.
      eps: the finite-difference step (taken in float64).
      atol, rtol: tolerances for the derivative comparisons (default by dtype,
        as in `check_grads`); primal outputs compare at 1e-10 (float64).

    Raises:
      AssertionError: showing the inputs, both values and the tolerance.
      TypeError: `f` is not a custom_jvp/custom_vjp function, or has no rule.

    Example::

        check_custom_rules(log1pexp, (np.array([-30.0, 0.0, 30.0]),))
    """
    if not isinstance(f, (custom_jvp, custom_vjp)):
        raise TypeError(f"{CHECK} expects a function decorated with fg.custom_jvp or "
                        f"fg.custom_vjp, got {type(f).__name__}; for a plain function use "
                        "check_grads")
    if not isinstance(args, (tuple, list)):
        raise TypeError(f"{CHECK}: args must be a tuple of arguments, got "
                        f"{type(args).__name__}; write (x,) for a single argument")
    args = _on_device(tuple(args))
    g, primal, nondiff, diff = _split(f, args)
    want = primal(*diff)
    rng = np.random.default_rng(0)

    if isinstance(f, custom_jvp):
        if f.jvp is None:
            raise TypeError(f"{CHECK}: {f.__name__} has no JVP rule; register one with "
                            f"@{f.__name__}.defjvp")
        tangents = _rand_like(rng, diff)
        rule_out, _ = f.jvp(*nondiff, diff, _on_device(tangents))
        assert_trees_close(CHECK, "the custom_jvp rule's primal output differs from the "
                           "function's", args, ("rule", "function"), rule_out, want)
        check_jvp(g, diff, eps=eps, atol=atol, rtol=rtol, rng=rng, check=CHECK, shown_args=args)
        check_vjp(g, diff, eps=eps, atol=atol, rtol=rtol, with_jvp=True, rng=rng, check=CHECK,
                  shown_args=args)
        return

    if f.fwd is None or f.bwd is None:
        raise TypeError(f"{CHECK}: {f.__name__} has no VJP; register one with "
                        f"{f.__name__}.defvjp(fwd, bwd)")
    fwd_out, _ = f.fwd(*args)
    assert_trees_close(CHECK, "the custom_vjp fwd's output differs from the function's",
                       args, ("fwd", "function"), fwd_out, want)
    check_vjp(g, diff, eps=eps, atol=atol, rtol=rtol, with_jvp=False, rng=rng, check=CHECK,
              shown_args=args)
    # The other mode: forward-mode autodiff of the undecorated function.
    tangents = _rand_like(rng, diff)
    ct = _rand_like(rng, want)
    try:
        _, t_out = _jvp(primal, diff, tangents)
    except UnsupportedError:   # a primal autodiff cannot handle: no second opinion
        return
    if not _all_finite(t_out):
        return
    _, pullback = _vjp(g, *diff)
    lhs = _inner(tangents, _conj(pullback(_conj(ct))))
    tol = _tol((diff, want))
    a, r = _scalar_tol(atol, (diff, want), tol), _scalar_tol(rtol, (diff, want), tol)
    _check_dot(CHECK, "the custom_vjp bwd does not match forward-mode autodiff of the "
               "undecorated function (dot-product test)", args,
               ("<v, bwd(ct)>", "<jvp(v), ct>"), lhs, _inner(t_out, ct), a, r)
