"""`shard_map`: write the program one device runs on its blocks, with explicit
collectives (`lax.psum`, `all_gather`, `ppermute`, ...) over the mesh axes.

The body is traced once on the blocks' shapes, with every mesh axis bound in
the axis environment (so collectives can name them), and bound as the
`shard_map` primitive: eagerly and under `jit` it lowers to Shardy's
``sdy.manual_computation``, and `grad`, `jvp` and `vmap` transform it like any
other primitive. Constants the body closes over enter it replicated.
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from funcgrad import core, tree
from funcgrad.primitives import shard_map_p
from funcgrad.primitives.sharding import local_shape
from funcgrad.sharding import Mesh, NamedSharding, PartitionSpec
from funcgrad.transforms.staging import hoist_consts, trace_to_program

__all__ = ["shard_map"]


def _is_spec_leaf(x: Any) -> bool:
    return x is None or isinstance(x, PartitionSpec)


def _specs(specs: Any, value: Any, what: str, name: str) -> list[PartitionSpec]:
    if isinstance(specs, list):
        specs = tuple(specs)
    for leaf in tree.leaves(specs, is_leaf=_is_spec_leaf):
        if not isinstance(leaf, PartitionSpec):
            raise TypeError(f"shard_map: {what} entries must be PartitionSpecs, got {leaf!r:.60}")
    return tree.broadcast_prefix(specs, value, _is_spec_leaf, f"shard_map: {what}", name)


def shard_map(f: Callable[..., Any], *, mesh: Mesh, in_specs: Any,
              out_specs: Any) -> Callable[..., Any]:
    """Map `f` over the blocks of its arguments, one block per device of `mesh`.

    Args:
      f: the per-device program; takes blocks and returns blocks (pytrees).
      mesh: a funcgrad.sharding.Mesh; each of its axes is a name collectives can use.
      in_specs: a PartitionSpec, or a tuple with one per positional argument (each a
        pytree prefix of that argument): how each argument splits into blocks.
        Mesh axes a spec leaves out replicate the argument over them.
      out_specs: a PartitionSpec or a pytree prefix of `f`'s output: how the blocks
        assemble into results. An output replicated over a mesh axis (not named
        in its spec) must be the same on every device along that axis (e.g. the
        result of a psum over it).

    Example::

        mesh = fg.make_mesh((8,), ("i",))
        total = fg.shard_map(lambda a: fg.lax.psum(a.sum(), "i"), mesh=mesh,
                             in_specs=P("i"), out_specs=P())(fnp.arange(16.0))
    """
    if not callable(f):
        raise TypeError(f"shard_map expects a callable, got {type(f).__name__}")
    if type(mesh) is not Mesh:
        raise TypeError(f"shard_map: mesh must be a funcgrad.sharding.Mesh, got "
                        f"{type(mesh).__name__}")
    name = getattr(f, "__name__", "body")

    @functools.wraps(f)
    def mapped(*args: Any) -> Any:
        leaves, in_tree = tree.flatten(args)
        specs = _specs(in_specs, args, "in_specs", "the arguments")
        avals = [core.get_aval(x) for x in leaves]
        paths = tree.leaf_paths(args)
        for a, spec, path in zip(avals, specs, paths, strict=True):
            NamedSharding(mesh, spec).check(a.shape, f"argument args{path}")
        local = [a.update(shape=local_shape(a.shape, spec, mesh), weak_type=False)
                 for a, spec in zip(avals, specs, strict=True)]
        out_tree_box: list[Any] = []

        def body(*blocks: Any) -> list[Any]:
            out = f(*in_tree.unflatten(blocks))
            out_leaves, out_tree = tree.flatten(out)
            out_tree_box.append((out, out_tree))
            return out_leaves

        with core.extend_axis_env(list(mesh.shape.items())):
            program, consts = trace_to_program(body, local, name=name, kind="shard_map")
        out, out_tree = out_tree_box[0]
        o_specs = _specs(out_specs, out, "out_specs", "the output")
        for spec in o_specs:
            NamedSharding(mesh, spec)        # names only mesh axes, each once
        hoisted = hoist_consts(program)
        rep = PartitionSpec()
        outs = shard_map_p.bind(*consts, *leaves, program=hoisted, mesh=mesh,
                                in_specs=(rep,) * len(consts) + tuple(specs),
                                out_specs=tuple(o_specs), name=name)
        return out_tree.unflatten(outs)

    return mapped

