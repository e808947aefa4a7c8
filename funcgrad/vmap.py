"""`vmap`: map a function over an axis of its arguments by batching, not looping.

This module is the public face of `transforms.batching`: it matches `in_axes`
and `out_axes` (pytree prefixes) against the arguments and outputs, checks
every mapped axis and the batch size before anything runs, wraps mapped
leaves as batch tracers and moves each output's batch axis to its `out_axes`.
"""
from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Hashable
from typing import Any

import numpy as np

from funcgrad import core, tree
from funcgrad.transforms.batching import BatchTrace, BatchTracer, move_bdim

Axis = int | None


def _is_axis_leaf(x: Any) -> bool:
    return x is None or (isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_)))


def _check_axes_spec(spec: Any, what: str) -> None:
    for leaf in tree.leaves(spec, is_leaf=_is_axis_leaf):
        if not _is_axis_leaf(leaf):
            raise TypeError(f"vmap: {what} contains {leaf!r:.60}, but {what} entries must be "
                            "ints (the mapped axis) or None (not mapped)")


def _broadcast_prefix(spec: Any, value: Any, what: str, name: str) -> list[Axis]:
    """One axis per leaf of `value`: `spec` is a pytree prefix of it whose int/None
    leaves apply to whole subtrees. Raises ValueError naming where they differ."""
    return [None if a is None else int(a) for a in
            tree.broadcast_prefix(spec, value, _is_axis_leaf, f"vmap: {what}", name)]


def _positional_names(f: Callable[..., Any], n: int) -> list[str]:
    try:
        params = list(inspect.signature(f).parameters.values())
    except (TypeError, ValueError):
        params = []
    names = [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return [f"argument {names[i]!r}" if i < len(names) else f"argument {i}" for i in range(n)]


def _normalize_axis(axis: int, ndim: int, where: str, shape: tuple[int, ...]) -> int:
    if ndim == 0:
        raise ValueError(f"vmap: in_axes maps {where} over axis {axis}, but it is a scalar "
                         "(shape ()), which has no axis to map over; use None for it in in_axes")
    if not -ndim <= axis < ndim:
        raise ValueError(f"vmap: in_axes maps {where} over axis {axis}, but it has shape "
                         f"{shape} (rank {ndim}); expected an axis in [{-ndim}, {ndim}) or None")
    return axis % ndim


def vmap(f: Callable[..., Any], in_axes: Any = 0, out_axes: Any = 0,
         axis_size: int | None = None, axis_name: Hashable | None = None) -> Callable[..., Any]:
    """Vectorise `f` over an axis of its arguments.

    Args:
      f: the function to map; takes and returns pytrees of arrays.
      in_axes: an int (the mapped axis of every argument; negative counts from
        the end), None (not mapped: the same for every lane), or a tuple with
        one entry per positional argument, each a pytree prefix of that
        argument (dicts, namedtuples, lists) with int/None leaves. Keyword
        arguments are always mapped over their axis 0.
      out_axes: where each output gets the mapped axis: an int, None (the
        output must not depend on a mapped input), or a pytree prefix of the
        output.
      axis_size: the batch size; needed only when no argument is mapped.
      axis_name: a name (any hashable) for the mapped axis, so that collectives
        in `f` can act across it: ``funcgrad.lax.psum(x, axis_name)`` sums `x`
        over the batch, ``lax.axis_index(axis_name)`` is each element's index,
        and so on (each batch element is a lane). The name is bound while `f`
        is traced; an inner vmap of the same name shadows it.

    Returns:
      A function taking the batched arguments.

    Raises:
      ValueError: mapped axes of different sizes (each argument's axis and size
        are named), an axis out of range, in_axes/out_axes that do not match the
        argument/output structure, or no mapped argument and no axis_size. All
        checks run before `f` does.

    Example::

        xs, ys = fnp.ones((8, 3)), fnp.ones((3, 8))
        fg.vmap(fnp.dot, in_axes=(0, 1))(xs, ys)          # shape (8,)
        fg.vmap(lambda x: x - lax.pmean(x, "i"), axis_name="i")(xs)   # centred rows
    """
    if not callable(f):
        raise TypeError(f"vmap expects a callable, got {type(f).__name__}")
    if isinstance(in_axes, list):
        in_axes = tuple(in_axes)
    if not (_is_axis_leaf(in_axes) or type(in_axes) is tuple):
        raise TypeError(f"vmap: in_axes must be an int, None, or a tuple with one entry per "
                        f"positional argument; got {type(in_axes).__name__}. (To map a single "
                        "dict argument with per-key axes, wrap it: in_axes=({...},).)")
    _check_axes_spec(in_axes, "in_axes")
    _check_axes_spec(out_axes, "out_axes")
    if axis_size is not None and (not isinstance(axis_size, (int, np.integer))
                                  or isinstance(axis_size, bool) or axis_size < 0):
        raise TypeError(f"vmap: axis_size must be a non-negative int, got {axis_size!r}")
    if axis_name is not None:
        if isinstance(axis_name, tuple):
            raise TypeError(f"vmap: axis_name must be one name, got the tuple {axis_name!r:.60} "
                            "(collectives read a tuple as several axis names)")
        try:
            hash(axis_name)
        except TypeError:
            raise TypeError(f"vmap: axis_name must be hashable, got {axis_name!r:.60}") from None

    @functools.wraps(f)
    def batched(*args: Any, **kwargs: Any) -> Any:
        names = _positional_names(f, len(args))
        if type(in_axes) is tuple and len(in_axes) != len(args):
            raise ValueError(f"vmap: in_axes has {len(in_axes)} entries but the function was "
                             f"called with {len(args)} positional arguments; give one entry "
                             "per positional argument (or a single int/None for all)")
        specs = in_axes if type(in_axes) is tuple else (in_axes,) * len(args)
        leaves: list[Any] = []
        axes: list[Axis] = []
        where: list[str] = []
        for spec, a, name in zip(specs, args, names, strict=True):
            ls = tree.leaves(a)
            axes.extend(_broadcast_prefix(spec, a, "in_axes", name))
            leaves.extend(ls)
            where.extend(f"{name}" if p == "" else f"{name} at {p}"
                         for p in tree.leaf_paths(a))
        for k in sorted(kwargs):
            ls = tree.leaves(kwargs[k])
            leaves.extend(ls)
            axes.extend([0] * len(ls))
            where.extend(f"keyword argument {k!r}" + (f" at {p}" if p else "")
                         for p in tree.leaf_paths(kwargs[k]))
        # Check every mapped axis and the batch size before anything runs.
        sizes: list[tuple[str, int, int]] = []
        for i, (x, ax, w) in enumerate(zip(leaves, axes, where, strict=True)):
            if ax is None:
                continue
            aval = core.get_aval(x)
            axes[i] = axis = _normalize_axis(ax, aval.ndim, w, aval.shape)
            sizes.append((w, ax, aval.shape[axis]))
        distinct = {s for _, _, s in sizes}
        if axis_size is not None:
            distinct.add(int(axis_size))
        if len(distinct) > 1:
            lines = [f"  {w}: axis {ax} has size {s}" for w, ax, s in sizes]
            if axis_size is not None:
                lines.append(f"  axis_size={axis_size}")
            raise ValueError("vmap got mapped axes of different sizes:\n" + "\n".join(lines)
                             + "\nAll mapped axes must have the same size.")
        if not distinct:
            raise ValueError("vmap: no argument is mapped (every in_axes entry is None), so "
                             "the batch size is unknown; pass axis_size=...")
        size = distinct.pop()

        trace = BatchTrace(core.current_trace(), size, axis_name)
        frames = () if axis_name is None else ((axis_name, size),)
        with core.extend_axis_env(frames), core.new_trace(trace):
            wrapped = [x if ax is None else BatchTracer(trace, x, ax)
                       for x, ax in zip(leaves, axes, strict=True)]
            n_pos = sum(len(tree.leaves(a)) for a in args)
            pos_it = iter(wrapped[:n_pos])
            new_args = [tree.structure(a).unflatten([next(pos_it) for _ in tree.leaves(a)])
                        for a in args]
            kw_it = iter(wrapped[n_pos:])
            new_kwargs = {k: tree.structure(kwargs[k]).unflatten(
                [next(kw_it) for _ in tree.leaves(kwargs[k])]) for k in sorted(kwargs)}
            out = f(*new_args, **new_kwargs)
            out_leaves, out_tree = tree.flatten(out)
            unpacked = [trace.unpack(o) for o in out_leaves]
        out_specs = _broadcast_prefix(out_axes, out, "out_axes", "the output")
        paths = tree.leaf_paths(out)
        results = []
        for (val, bd), od, p in zip(unpacked, out_specs, paths, strict=True):
            where_out = f"the output{p}"
            if od is None:
                if bd is not None:
                    raise ValueError(f"vmap: out_axes is None for {where_out}, but it depends on "
                                     "a mapped input (it differs across the batch); give it "
                                     "an int in out_axes")
                results.append(val)
                continue
            if not core.is_array_like(val):
                raise TypeError(f"vmap: {where_out} is a {type(val).__name__}, which is not an "
                                "array; return arrays or pytrees of them (or use out_axes=None)")
            ndim = core.get_aval(val).ndim + (bd is None)
            if not -ndim <= od < ndim:
                raise ValueError(f"vmap: out_axes {od} is out of range for {where_out}, which "
                                 f"has rank {ndim} with the mapped axis; expected an axis in "
                                 f"[{-ndim}, {ndim}) or None")
            results.append(move_bdim(val, bd, od % ndim, size))
        return out_tree.unflatten(results)

    return batched
