"""`transform_properties`: one Hypothesis test that runs every check on a function.

"Does my function behave under every transform?" in one line::

    test_model = transform_properties(model, st.tuples(fst.arrays("float64", (3,)),
                                                       fst.arrays("float64", (3, 2))))

The returned function is a Hypothesis test (pytest collects it under the name
it is assigned to). Each example draws the function's arguments from the
strategy and runs `check_jit`, `check_grads` (when an argument has floating
leaves), `check_custom_rules` (for custom_jvp/custom_vjp functions) and
`check_vmap` on a batch of further draws stacked along axis 0.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from funcgrad import tree
from funcgrad.custom_rules import custom_jvp, custom_vjp
from funcgrad.testing._checks import EPS, _is_diff, check_grads
from funcgrad.testing._compare import Tol
from funcgrad.testing._custom import _split, check_custom_rules
from funcgrad.testing._transforms import check_jit, check_vmap

CHECKS = ("jit", "grads", "custom_rules", "vmap")


def _signature(args: tuple[Any, ...]) -> Any:
    leaves, treedef = tree.flatten(args)
    return treedef, tuple((np.shape(x), np.asarray(x).dtype) for x in leaves)


def _as_args(drawn: Any) -> tuple[Any, ...]:
    return tuple(drawn) if isinstance(drawn, tuple) else (drawn,)


def transform_properties(f: Callable[..., Any], strategy: st.SearchStrategy[Any], *,
                         checks: Sequence[str] = CHECKS, order: int = 1,
                         modes: Sequence[str] | None = None, batch_size: int = 3,
                         in_axes: int | None | Sequence[int | None] = 0,
                         eps: float = EPS, atol: Tol = None, rtol: Tol = None,
                         settings: hsettings | None = None) -> Callable[[], None]:
    """A Hypothesis test function checking `f` under jit, grad, vmap (and its custom rule).

    Args:
      f: the function to test (a custom_jvp/custom_vjp function gets
        `check_custom_rules` too).
      strategy: draws `f`'s positional arguments as a tuple (a drawn value
        that is not a tuple is the single argument).
      checks: which of "jit", "grads", "custom_rules", "vmap" to run.
      order, modes: passed to `check_grads` (modes default to ("fwd", "rev"),
        or ("rev",) for a custom_vjp function, which has no forward mode).
      batch_size: lanes in the vmap check. Lanes after the first are further
        draws from `strategy`; a draw whose structure, shapes or dtypes differ
        from the first draw's is replaced by the first draw, so give a
        strategy with fixed shapes for the strongest vmap check.
      in_axes: per argument, the axis lanes are stacked along, or None for an
        argument shared by all lanes (the first draw's).
      eps, atol, rtol: passed to the checks.
      settings: Hypothesis settings for the test (default: the active
        profile's, with no deadline: the first example of a new shape pays
        for compilation, so timings are not a property of the function).

    Returns:
      A test function taking no arguments.

    Raises (when the returned test runs):
      AssertionError from the first failing check, shrunk by Hypothesis.

    Example::

        test_softplus = transform_properties(
            lambda x: fnp.logaddexp(x, 0.0), fst.arrays("float64", (4,)), order=2)
    """
    if not callable(f):
        raise TypeError(f"transform_properties expects a callable, got {type(f).__name__}")
    if not isinstance(strategy, st.SearchStrategy):
        raise TypeError(f"transform_properties: strategy must be a Hypothesis strategy drawing "
                        f"the arguments, got {type(strategy).__name__}")
    unknown = sorted(set(checks) - set(CHECKS))
    if unknown or isinstance(checks, str):
        raise ValueError(f"transform_properties: checks must be a collection of {CHECKS}, "
                         f"got {checks!r}")
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"transform_properties: batch_size must be a positive int, got "
                         f"{batch_size!r}")
    custom = f if isinstance(f, (custom_jvp, custom_vjp)) else None
    if modes is None:
        modes = ("rev",) if isinstance(f, custom_vjp) else ("fwd", "rev")

    @hsettings(hsettings(deadline=None) if settings is None else settings)
    @given(data=st.data())
    def test(data: st.DataObject) -> None:
        args = _as_args(data.draw(strategy, label="args"))
        if "jit" in checks:
            check_jit(f, args, atol=atol, rtol=rtol)
        if "grads" in checks:
            # a custom function is differentiated in its differentiable arguments only
            g, _, _, diff = (_split(custom, args) if custom is not None
                             else (f, None, None, args))
            if any(_is_diff(x) for x in tree.leaves(diff)):
                check_grads(g, diff, order=order, modes=modes, eps=eps, atol=atol, rtol=rtol)
        if "custom_rules" in checks and custom is not None:
            check_custom_rules(custom, args, eps=eps, atol=atol, rtol=rtol)
        if "vmap" in checks:
            axes = tuple(in_axes) if isinstance(in_axes, (tuple, list)) else \
                (in_axes,) * len(args)
            if len(axes) != len(args):
                raise ValueError(f"transform_properties: in_axes has {len(axes)} entries "
                                 f"for {len(args)} arguments")
            sig = _signature(args)
            lanes = [args]
            for b in range(1, batch_size):
                more = _as_args(data.draw(strategy, label=f"vmap lane {b}"))
                lanes.append(more if _signature(more) == sig else args)
            batched = tuple(
                a if ax is None else tree.map(lambda *xs, ax=ax: np.stack(
                    [np.asarray(x) for x in xs], axis=ax), *[lane[i] for lane in lanes])
                for i, (a, ax) in enumerate(zip(args, axes, strict=True)))
            check_vmap(f, batched, in_axes=axes, atol=atol, rtol=rtol)

    name = getattr(f, "__name__", type(f).__name__)
    test.__name__ = f"transform_properties_of_{name}"
    test.__qualname__ = test.__name__
    return test
