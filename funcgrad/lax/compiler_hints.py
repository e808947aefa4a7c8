"""lax functions that speak to the compiler rather than compute: an
optimization barrier, code chosen per platform, and composites (named
decompositions).
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from funcgrad import primitives as P
from funcgrad import tree
from funcgrad.api import devices
from funcgrad.core import Tracer
from funcgrad.numpy._util import asarray_operand

__all__ = ["composite", "default_platform", "optimization_barrier", "platform_dependent"]


def default_platform() -> str:
    """The platform of funcgrad's default device in `platform_dependent`'s spelling:
    'cpu', 'cuda', 'rocm' or 'tpu'."""
    device = devices()[0]
    name = str(device.platform).lower()
    if name == "gpu":
        version = str(getattr(device.client, "platform_version", "")).lower()
        return "rocm" if "rocm" in version else "cuda"
    return name


def optimization_barrier(operand: Any, /) -> Any:
    """`operand` (a pytree of arrays) unchanged, as a group XLA may not optimize across:
    every leaf is computed before anything that uses any of them, and no common
    subexpression or fusion crosses the barrier (``stablehlo.optimization_barrier``).
    It differentiates and batches as the identity, with barriers kept on the
    derivatives. Eagerly it is the identity.

    >>> optimization_barrier((1.0, np.ones(2)))[1].shape
    (2,)
    """
    leaves, treedef = tree.flatten(operand)
    if not leaves:
        return operand
    outs = P.optimization_barrier_p.bind(*(asarray_operand(v) for v in leaves))
    return treedef.unflatten(list(outs))


def platform_dependent(*args: Any, default: Callable[..., Any] | None = None,
                       **per_platform: Callable[..., Any]) -> Any:
    """``per_platform[p](*args)`` for the platform p funcgrad runs on ('cpu', 'cuda',
    'rocm', 'tpu'), else ``default(*args)``.

    NB: the branch is chosen while tracing, from the platform of funcgrad's default
    device (``fg.devices()[0]``), and only that branch is traced; JAX traces every
    branch and chooses when lowering, which matters only for code exported for
    another platform.

    >>> platform_dependent(2.0, cpu=lambda x: x + 1, default=lambda x: x)
    3.0
    """
    for name, branch in per_platform.items():
        if name == "gpu":
            raise ValueError("lax.platform_dependent: use 'cuda' or 'rocm', not 'gpu'")
        if not callable(branch):
            raise TypeError(f"lax.platform_dependent: the '{name}' branch must be callable, "
                            f"got {type(branch).__name__}")
    if default is not None and not callable(default):
        raise TypeError(f"lax.platform_dependent: the 'default' branch must be callable, got "
                        f"{type(default).__name__}")
    platform = default_platform()
    chosen = per_platform.get(platform, default)
    if chosen is None:
        raise ValueError(f"lax.platform_dependent: no branch for platform '{platform}' "
                         f"(given: {', '.join(per_platform) or 'none'}) and no default")
    return chosen(*args)


def composite(decomposition: Callable[..., Any], name: str,
              version: int = 0) -> Callable[..., Any]:
    """`decomposition` as a named composite operation: calling the result calls
    `decomposition` (positional arguments are the operands, keyword arguments its
    static attributes).

    NB: funcgrad inlines the decomposition: XLA sees the operations it is made of,
    as it does for a composite it does not recognize.

    >>> tangent = composite(lambda x: fnp.sin(x) / fnp.cos(x), name="my.tangent")
    """
    if not callable(decomposition):
        raise TypeError(f"lax.composite: decomposition must be callable, got "
                        f"{type(decomposition).__name__}")
    if not isinstance(name, str) or not name:
        raise TypeError(f"lax.composite: name must be a non-empty string, got {name!r:.60}")
    if isinstance(version, bool) or not isinstance(version, int) or version < 0:
        raise TypeError(f"lax.composite: version must be a non-negative int, got "
                        f"{version!r:.60}")

    @functools.wraps(decomposition)
    def call(*args: Any, **kwargs: Any) -> Any:
        traced = [k for k, v in kwargs.items()
                  if any(isinstance(leaf, Tracer) for leaf in tree.leaves(v))]
        if traced:
            raise TypeError(f"lax.composite '{name}': the attribute(s) {', '.join(traced)} "
                            f"hold traced values; attributes must be static (pass arrays as "
                            f"positional operands, or NumPy arrays as attributes)")
        return decomposition(*args, **kwargs)
    return call
