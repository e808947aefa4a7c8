"""Saving policies for ``fg.checkpoint(f, policy=...)`` (JAX's ``jax.checkpoint_policies``).

A policy is ``policy(prim, *in_avals, **params) -> bool``: asked, while reverse
mode splits a checkpointed function, of each equation whose outputs the
backward pass needs; True keeps those outputs as residuals, False recomputes
them. Values tagged with ``checkpoint_name(x, name)`` reach a policy as the
primitive `name` with the param ``name=``.

Example::

    f = fg.checkpoint(mlp, policy=fg.checkpoint_policies.dots_with_no_batch_dims_saveable)
"""
from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

from funcgrad import primitives as P
from funcgrad.core import Primitive
from funcgrad.errors import UnsupportedError

__all__ = ["checkpoint_dots", "checkpoint_dots_with_no_batch_dims", "dots_saveable",
           "dots_with_no_batch_dims_saveable", "everything_saveable", "nothing_saveable",
           "offload_dot_with_no_batch_dims", "save_and_offload_only_these_names",
           "save_any_names_but_these", "save_anything_except_these_names",
           "save_from_both_policies", "save_only_these_names"]

Policy = Callable[..., bool]


def everything_saveable(*_: Any, **__: Any) -> bool:
    """Save every value the backward pass needs (as without checkpoint)."""
    return True


def nothing_saveable(*_: Any, **__: Any) -> bool:
    """Save nothing but the inputs; recompute the rest (checkpoint's default)."""
    return False


def dots_saveable(prim: Primitive, *_: Any, **__: Any) -> bool:
    """Save the results of matrix products and convolutions, the costly values."""
    return prim is P.dot_general_p or prim is P.conv_general_dilated_p


checkpoint_dots = dots_saveable


def dots_with_no_batch_dims_saveable(prim: Primitive, *_: Any, **params: Any) -> bool:
    """Save the results of matrix products without batch dimensions (the weight
    multiplications of a transformer, not its attention scores)."""
    if prim is not P.dot_general_p:
        return False
    (_, _), (lhs_batch, rhs_batch) = params["dimension_numbers"]
    return not lhs_batch and not rhs_batch


checkpoint_dots_with_no_batch_dims = dots_with_no_batch_dims_saveable


def save_only_these_names(*names: Hashable) -> Policy:
    """Save only the values tagged with one of `names` by ``checkpoint_name``."""
    allowed = frozenset(names)

    def policy(prim: Primitive, *_: Any, **params: Any) -> bool:
        return prim is P.name_p and params["name"] in allowed
    return policy


def save_any_names_but_these(*names: Hashable) -> Policy:
    """Save the values tagged by ``checkpoint_name`` with a name not in `names`."""
    refused = frozenset(names)

    def policy(prim: Primitive, *_: Any, **params: Any) -> bool:
        return prim is P.name_p and params["name"] not in refused
    return policy


def save_anything_except_these_names(*names: Hashable) -> Policy:
    """Save every value except those tagged with one of `names`."""
    refused = frozenset(names)

    def policy(prim: Primitive, *_: Any, **params: Any) -> bool:
        return prim is not P.name_p or params["name"] not in refused
    return policy


def save_from_both_policies(policy_1: Policy, policy_2: Policy) -> Policy:
    """Save what either policy saves."""
    def policy(prim: Primitive, *avals: Any, **params: Any) -> bool:
        return bool(policy_1(prim, *avals, **params) or policy_2(prim, *avals, **params))
    return policy


def _no_offload(name: str) -> UnsupportedError:
    return UnsupportedError(
        f"checkpoint_policies.{name}: funcgrad does not offload residuals to host memory; "
        "save them on the device with save_only_these_names(...) or "
        "dots_with_no_batch_dims_saveable, or recompute them with nothing_saveable")


def save_and_offload_only_these_names(*, names_which_can_be_saved: Any = (),
                                      names_which_can_be_offloaded: Any = (),
                                      offload_src: str = "device",
                                      offload_dst: str = "pinned_host") -> Policy:
    """Not offered: funcgrad has no host offload (raises UnsupportedError)."""
    raise _no_offload("save_and_offload_only_these_names")


def offload_dot_with_no_batch_dims(offload_src: str = "device",
                                   offload_dst: str = "pinned_host") -> Policy:
    """Not offered: funcgrad has no host offload (raises UnsupportedError)."""
    raise _no_offload("offload_dot_with_no_batch_dims")
