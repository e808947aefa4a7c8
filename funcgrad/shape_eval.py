"""`eval_shape`: the shapes and dtypes a function would return, at the cost of
staging it once: nothing is compiled or run, so it answers for inputs too big
to allocate."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from funcgrad import core, dtypes, tree
from funcgrad.core import ShapedArray
from funcgrad.shape_dtype import ShapeDtypeStruct
from funcgrad.transforms.staging import trace_to_program

__all__ = ["eval_shape"]


def _aval(x: Any, path: str) -> ShapedArray:
    """A leaf's aval: an array's, or that of anything with a shape and a dtype (a
    ShapeDtypeStruct, as in JAX)."""
    if not core.is_array_like(x) and hasattr(x, "shape") and hasattr(x, "dtype"):
        return ShapedArray(tuple(int(d) for d in x.shape), dtypes.canonicalize(x.dtype),
                           bool(getattr(x, "weak_type", False)))
    try:
        return core.get_aval(x)
    except TypeError:
        raise TypeError(f"eval_shape: argument{path} is a {type(x).__name__}, not an array; "
                        "pass arrays, scalars, fg.ShapeDtypeStruct or pytrees of them, and "
                        "bind other values with functools.partial") from None


def eval_shape(fun: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``fun(*args, **kwargs)``'s output as a pytree of `ShapeDtypeStruct` (shape,
    dtype and weak type, as funcgrad's promotion gives them), found by staging
    `fun` on the arguments' abstract values alone.

    The arguments may be arrays, scalars, `ShapeDtypeStruct`s (anything with a
    shape and dtype but no data) or pytrees of them. Python control flow on
    their values raises ConcretizationError, as under `jit`.

    Example::

        fg.eval_shape(lambda x, w: fnp.tanh(x @ w),
                      fg.ShapeDtypeStruct((4096, 512), fnp.float32),
                      fg.ShapeDtypeStruct((512, 10), fnp.float32))
        # ShapeDtypeStruct(shape=(4096, 10), dtype=float32)
    """
    if not callable(fun):
        raise TypeError(f"eval_shape expects a callable, got {type(fun).__name__}")
    leaves, in_tree = tree.flatten((args, kwargs))
    paths = [f" #{i}{p}" for i, a in enumerate(args) for p in tree.leaf_paths(a)]
    paths += [f" {k!r}{p}" for k, v in sorted(kwargs.items()) for p in tree.leaf_paths(v)]
    avals = [_aval(x, p) for x, p in zip(leaves, paths, strict=True)]
    out_tree_box: list[tree.PyTreeDef] = []

    def flat_fun(*xs: Any) -> list[Any]:
        a, kw = in_tree.unflatten(xs)
        out_leaves, out_tree = tree.flatten(fun(*a, **kw))
        for o in out_leaves:
            if not core.is_array_like(o):
                raise TypeError(f"eval_shape: the function returned a {type(o).__name__}, "
                                "which is not an array; return arrays, scalars or pytrees "
                                "of them")
        out_tree_box.append(out_tree)
        return out_leaves

    program, _ = trace_to_program(flat_fun, avals, name=getattr(fun, "__name__", "fn"),
                                  kind="eval_shape")
    return out_tree_box[0].unflatten([ShapeDtypeStruct(a.shape, a.dtype, weak_type=a.weak_type)
                                      for a in program.out_avals])
