"""Shape and dtype checks shared by the shape rules of several op families.

Each check raises `ShapeError`/`DTypeError` naming the primitive, so that a
family's rules read as a list of checks; none of them builds an aval.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from funcgrad import dtypes
from funcgrad.core import ShapedArray, shape_error
from funcgrad.errors import DTypeError


def fmt_shapes(avals: Sequence[ShapedArray]) -> str:
    """The operands' shapes as error messages print them: ``(2, 3), (3,)``."""
    return ", ".join(str(a.shape) for a in avals)


def broadcast_shapes(name: str, *shapes: tuple[int, ...]) -> tuple[int, ...]:
    """NumPy's broadcast of `shapes`; a ShapeError naming primitive `name` if they clash."""
    if len(shapes) == 1 or all(s == shapes[0] for s in shapes):
        return shapes[0]
    ndim = max(len(s) for s in shapes)
    out = []
    for i in range(ndim):
        sizes = {s[i - ndim + len(s)] for s in shapes if i - ndim + len(s) >= 0}
        sizes.discard(1)
        if len(sizes) > 1:
            raise shape_error(name, f"operands of shapes {', '.join(map(str, shapes))} "
                                    "cannot be broadcast together")
        out.append(sizes.pop() if sizes else 1)
    return tuple(out)


def same_dtype(name: str, avals: Sequence[ShapedArray]) -> np.dtype:
    """The one dtype of `avals`: primitives never promote, funcgrad.numpy does."""
    dt = avals[0].dtype
    for a in avals[1:]:
        if a.dtype != dt:
            raise DTypeError(f"{name}: operands must have one dtype, got "
                             f"{', '.join(str(a.dtype) for a in avals)}. funcgrad.numpy "
                             "promotes for you; when binding primitives directly, convert first.")
    return dt


KINDS = {
    "any": lambda d: True,
    "num": lambda d: d != dtypes.bool_,
    "inexact": dtypes.is_inexact,
    "float": dtypes.is_float,
    "int": dtypes.is_integer,
    "intbool": lambda d: dtypes.is_integer(d) or d == dtypes.bool_,
    "complex": dtypes.is_complex,
}
KIND_WORDS = {"num": "numeric", "inexact": "floating or complex", "float": "real floating",
               "int": "integer", "intbool": "integer or boolean", "complex": "complex"}


def check_kind(name: str, dt: np.dtype, kind: str) -> None:
    """Raise a DTypeError unless `dt` is of `kind`, one of the keys of KINDS."""
    if not KINDS[kind](dt):
        raise DTypeError(f"{name} needs a {KIND_WORDS[kind]} operand, got {dt}")



def check_axes(name: str, axes: Sequence[int], ndim: int, what: str = "axis") -> None:
    """Axes must be in range and distinct; `what` names them in the message."""
    for a in axes:
        if not 0 <= a < ndim:
            raise shape_error(name, f"{what} {a} is out of range for an operand of rank {ndim}")
    if len(set(axes)) != len(axes):
        raise shape_error(name, f"repeated {what} in {tuple(axes)}")
