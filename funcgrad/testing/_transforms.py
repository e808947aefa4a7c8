"""`check_jit` and `check_vmap`: a transformed function against its plain self.

`check_jit(f, args)` runs `f` eagerly and under `jit` (twice: the second call
hits the compilation cache) and asks for the same pytree structure, dtypes,
shapes and values. `check_vmap(f, args, in_axes, out_axes)` runs `vmap(f)` on
the batched arguments and compares it with a Python loop that slices each
mapped argument (on the host, with NumPy) and stacks `f`'s outputs.

Example::

    from funcgrad.testing import check_jit, check_vmap
    xs = np.random.default_rng(0).normal(size=(4, 3))
    check_jit(lambda x: fnp.tanh(x) @ x.T, (xs,))
    check_vmap(lambda x, w: fnp.dot(x, w), (xs, np.ones(3)), in_axes=(0, None))
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from funcgrad import tree
from funcgrad.array import Array
from funcgrad.jit import jit as _jit
from funcgrad.testing._checks import _on_device
from funcgrad.testing._compare import Tol, assert_trees_close, failure
from funcgrad.vmap import _broadcast_prefix, _is_axis_leaf
from funcgrad.vmap import vmap as _vmap


def _as_args(check: str, args: Any) -> tuple[Any, ...]:
    if not isinstance(args, (tuple, list)):
        raise TypeError(f"{check}: args must be a tuple of arguments, got "
                        f"{type(args).__name__}; write (x,) for a single argument")
    return tuple(args)


def check_jit(f: Callable[..., Any], args: Sequence[Any], *,
              static_argnums: int | Sequence[int] = (), atol: Tol = None,
              rtol: Tol = None) -> None:
    """Check that ``jit(f)(*args)`` equals ``f(*args)`` run eagerly.

    Both calls must give the same pytree structure and, leaf by leaf, the same
    dtype and shape, with floating values within the tolerance (default: by
    dtype, 1e-10 for float64, 1e-5 for float32) and other values exactly. The
    jitted function is called twice; the cached second call must give the
    first call's values bit for bit.

    Args:
      f: the function; takes the positional `args` (pytrees of arrays).
      args: a tuple of arguments (NumPy arrays are placed on the device).
      static_argnums: passed to `jit`.
      atol, rtol: a float, or a dict from dtype to float.

    Raises:
      AssertionError: showing the inputs, both values and the tolerance.

    Example::

        check_jit(lambda x: fnp.cumsum(x) / fnp.arange(1, 4), (np.ones(3),))
    """
    args = _on_device(_as_args("check_jit", args))
    want = f(*args)
    jitted = _jit(f, static_argnums=static_argnums)
    got = jitted(*args)
    for p, leaf in zip(tree.leaf_paths(got), tree.leaves(got), strict=True):
        if not isinstance(leaf, Array):
            raise failure("check_jit", f"jit(f) returned a {type(leaf).__name__} for "
                          f"output{p}, not an Array", args, ("jit", "eager"), got, want,
                          None, None)
    assert_trees_close("check_jit", "jit(f) does not match f run eagerly", args,
                       ("jit", "eager"), got, want, atol, rtol)
    again = jitted(*args)
    assert_trees_close("check_jit", "a second (cached) call of jit(f) gives other values",
                       args, ("second call", "first call"), again, got, 0.0, 0.0)


def _take(x: Any, index: int, axis: int | None) -> Any:
    if axis is None:
        return x
    return np.take(np.asarray(x), index, axis=axis)


def check_vmap(f: Callable[..., Any], args: Sequence[Any], in_axes: Any = 0,
               out_axes: Any = 0, *, axis_size: int | None = None, jit: bool = False,
               atol: Tol = None, rtol: Tol = None) -> None:
    """Check that ``vmap(f, in_axes, out_axes)(*args)`` equals a Python loop.

    The loop calls `f` once per batch element on the arguments sliced along
    their `in_axes` (unmapped arguments are passed whole) and stacks each
    output along its `out_axes`. Structure, dtypes and shapes must match
    exactly; floating values within the tolerance (default: by dtype, 1e-10
    for float64), others exactly.

    Args:
      f: the function to map; takes one batch element's positional arguments.
      args: a tuple of batched arguments (pytrees of arrays).
      in_axes, out_axes: as for `vmap` (ints, None, or pytree prefixes).
      axis_size: the batch size, needed only when no argument is mapped.
      jit: check ``jit(vmap(f))`` instead of ``vmap(f)``.
      atol, rtol: a float, or a dict from dtype to float.

    Raises:
      AssertionError: showing the batched inputs, both values and the tolerance.
      ValueError: mapped axes of different sizes, no mapped argument and no
        `axis_size`, or an empty batch (the loop has nothing to stack).

    Example::

        check_vmap(lambda x: fnp.sum(x ** 2), (np.ones((5, 3)),))
    """
    args = _on_device(_as_args("check_vmap", args))
    specs = in_axes if type(in_axes) is tuple else (
        tuple(in_axes) if isinstance(in_axes, list) else (in_axes,) * len(args))
    if len(specs) != len(args):
        raise ValueError(f"check_vmap: in_axes has {len(specs)} entries for {len(args)} "
                         "arguments; give one entry per argument (or one int/None for all)")
    sizes = set()
    lanes_of: list[list[tuple[Any, int | None]]] = []
    for spec, a in zip(specs, args, strict=True):
        if not _is_axis_leaf(spec) and not isinstance(spec, (tuple, list, dict)):
            raise TypeError(f"check_vmap: in_axes entries must be ints, None or pytrees of "
                            f"them, got {spec!r:.60}")
        axes = _broadcast_prefix(spec, a, "in_axes", "an argument")
        pairs = list(zip(tree.leaves(a), axes, strict=True))
        for x, ax in pairs:
            if ax is not None:
                shape = np.shape(x)
                if not -len(shape) <= ax < len(shape):
                    raise ValueError(f"check_vmap: in_axes maps an argument of shape {shape} "
                                     f"over axis {ax}, which it does not have")
                sizes.add(shape[ax])
        lanes_of.append(pairs)
    if axis_size is not None:
        sizes.add(axis_size)
    if len(sizes) > 1:
        raise ValueError(f"check_vmap: the mapped axes have different sizes {sorted(sizes)}")
    if not sizes:
        raise ValueError("check_vmap: no argument is mapped; pass axis_size=...")
    size = sizes.pop()
    if size < 1:
        raise ValueError("check_vmap: the batch is empty; give at least one element so the "
                         "loop has outputs to stack")

    outs = []
    for b in range(size):
        lane_args = [tree.structure(a).unflatten(_on_device(_take(x, b, ax)) for x, ax in pairs)
                     for a, pairs in zip(args, lanes_of, strict=True)]
        outs.append(f(*lane_args))
    out_def = tree.structure(outs[0])
    for b, o in enumerate(outs):
        if tree.structure(o) != out_def:
            raise failure("check_vmap", f"f returns different structures for batch elements "
                          f"0 and {b} ({out_def} vs {tree.structure(o)})", args,
                          (f"element {b}", "element 0"), o, outs[0], None, None)
    out_specs = _broadcast_prefix(out_axes, outs[0], "out_axes", "the output")
    per_leaf = list(zip(*(tree.leaves(o) for o in outs), strict=True))
    want = out_def.unflatten(
        np.asarray(column[0]) if od is None else np.stack([np.asarray(c) for c in column],
                                                          axis=od)
        for column, od in zip(per_leaf, out_specs, strict=True))

    batched = _vmap(f, in_axes=specs, out_axes=out_axes, axis_size=axis_size)
    if jit:
        batched = _jit(batched)
    got = batched(*args)
    for p, leaf in zip(tree.leaf_paths(got), tree.leaves(got), strict=True):
        if not isinstance(leaf, Array):
            raise failure("check_vmap", f"vmap(f) returned a {type(leaf).__name__} for "
                          f"output{p}, not an Array", args, ("vmap", "loop"), got, want,
                          None, None)
    what = (f"{'jit(vmap(f))' if jit else 'vmap(f)'} with in_axes={in_axes!r}, "
            f"out_axes={out_axes!r} does not match a loop over the {size} batch elements")
    assert_trees_close("check_vmap", what, args, ("vmap" if not jit else "jit(vmap)", "loop"),
                       got, want, atol, rtol)
