"""Rematerialisation: checkpoint (alias remat) and checkpoint_name.

``checkpoint(f, policy=...)`` stages `f` into a Program bound as the call
primitive `checkpoint`. Reverse mode (the partial-evaluation rule in
transforms/partial_eval/custom.py) keeps, of the intermediate values the
backward pass needs, only those the policy allows, and recomputes the others
from them and from the region's inputs. A policy is a function
``policy(prim, *in_avals, **params) -> bool`` (funcgrad.checkpoint_policies
holds JAX's); without one nothing is saved. ``checkpoint_name(x, name)`` tags
a value so that a policy can save it by name.

Called eagerly outside every transformation, both simply run.
"""
from __future__ import annotations

import functools
from collections.abc import Callable, Hashable, Sequence
from typing import Any

from funcgrad import core, tree
from funcgrad import primitives as P
from funcgrad.config import LRUCache
from funcgrad.core import Tracer
from funcgrad.transforms.staging import hoist_consts, trace_to_program

__all__ = ["checkpoint", "checkpoint_name", "keyable", "remat"]

Fun = Callable[..., Any]
Policy = Callable[..., bool]


def keyable(x: Any) -> bool:
    """Whether a static argument can be part of a cache key: hashable, and not an
    array (an array's value, not its identity, is what matters)."""
    if isinstance(x, Tracer) or hasattr(x, "_buf") or hasattr(x, "__array__"):
        return False
    try:
        hash(x)
    except TypeError:
        return False
    return True


def checkpoint(fun: Fun | None = None, *, prevent_cse: bool = True,
               policy: Policy | None = None,
               static_argnums: int | Sequence[int] = ()) -> Any:
    """`fun`, but reverse mode stores only what `policy` allows of its
    intermediate values and recomputes the rest in the backward pass (JAX's
    ``jax.checkpoint``).

    Args:
      fun: the function (or None, to use ``checkpoint(policy=...)`` as a decorator).
      prevent_cse: keep XLA from merging the recomputation with the forward
        pass (which would undo the saving).
      policy: ``policy(prim, *in_avals, **params) -> bool``, asked of each
        equation whose outputs the backward pass needs: True saves them. None
        saves nothing but the inputs. See funcgrad.checkpoint_policies.
      static_argnums: arguments that are Python values, not arrays.

    Raises TypeError for a non-callable `fun` or `policy`. Example::

        layer = fg.checkpoint(lambda w, x: fnp.tanh(x @ w),
                              policy=fg.checkpoint_policies.dots_saveable)
    """
    if policy is not None and not callable(policy):
        raise TypeError(f"checkpoint: policy must be a function (prim, *avals, **params) -> "
                        f"bool, such as fg.checkpoint_policies.dots_saveable; got "
                        f"{type(policy).__name__}")
    if fun is None:
        return functools.partial(checkpoint, prevent_cse=prevent_cse, policy=policy,
                                 static_argnums=static_argnums)
    if not callable(fun):
        raise TypeError(f"checkpoint expects a callable, got {type(fun).__name__}")
    statics = (static_argnums,) if isinstance(static_argnums, int) else tuple(static_argnums)
    name = getattr(fun, "__name__", "checkpoint")
    cache = LRUCache("checkpoint programs")

    @functools.wraps(fun)
    def remat_fun(*args: Any, **kwargs: Any) -> Any:
        if core.current_trace() is core.eval_trace:
            return fun(*args, **kwargs)
        n = len(args)
        static_pos = {i % n for i in statics if -n <= i < n}
        static_vals = tuple(args[i] for i in sorted(static_pos))
        dyn = (tuple(a for i, a in enumerate(args) if i not in static_pos), kwargs)
        leaves, in_tree = tree.flatten(dyn)
        avals = [core.get_aval(x) for x in leaves]
        key = (in_tree, tuple(avals), static_vals) if all(map(keyable, static_vals)) else None
        hit = cache.lookup(key) if key is not None else None
        if hit is None:
            box: list[tree.PyTreeDef] = []

            def flat(*xs: Any) -> list[Any]:
                dargs, kw = in_tree.unflatten(xs)
                it = iter(dargs)
                full = [args[i] if i in static_pos else next(it) for i in range(n)]
                out_leaves, out_tree = tree.flatten(fun(*full, **kw))
                box.append(out_tree)
                return out_leaves

            program, consts = trace_to_program(flat, avals, name=name, kind="checkpoint")
            hit = (hoist_consts(program), consts, box[0])
            if key is not None and not any(isinstance(c, Tracer) for c in consts):
                hit = cache.put(key, hit)
        program, consts, out_tree = hit
        outs = P.checkpoint_p.bind(*consts, *leaves, program=program, name=name,
                                   prevent_cse=prevent_cse, policy=policy)
        return out_tree.unflatten(outs)

    return remat_fun


remat = checkpoint


def checkpoint_name(x: Any, name: Hashable) -> Any:
    """`x` (a pytree of arrays) unchanged, each leaf tagged with `name` so that a
    checkpoint policy (``save_only_these_names(name)``) can save it (JAX's
    ``jax.ad_checkpoint.checkpoint_name``). Example::

        h = checkpoint_name(x @ w, "pre_activation")
    """
    try:
        hash(name)
    except TypeError:
        raise TypeError(f"checkpoint_name: the name must be hashable (a string), got "
                        f"{type(name).__name__}") from None
    if core.current_trace() is core.eval_trace:
        return x
    return tree.map(lambda leaf: P.name_p.bind(leaf, name=name), x)
