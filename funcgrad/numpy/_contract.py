"""Contractions: matmul, dot, vdot, inner, outer, tensordot — all dot_general."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from funcgrad import dtypes
from funcgrad import primitives as P
from funcgrad.core import shape_error
from funcgrad.numpy._shape import broadcast_to, expand_dims, ravel, squeeze
from funcgrad.numpy._util import aval_of, convert, normalize_axis, promote


def _promoted(a: Any, b: Any) -> tuple[Any, Any]:
    x, y = promote(a, b)
    dt = aval_of(x).dtype
    return convert(x, dt, False), convert(y, dt, False)


def matmul(a: Any, b: Any) -> Any:
    x, y = _promoted(a, b)
    xs, ys = aval_of(x).shape, aval_of(y).shape
    if not xs or not ys:
        raise shape_error("matmul", "operands must be at least 1-d (use * for scalars)")
    x1, y1 = len(xs) == 1, len(ys) == 1
    if x1:
        x = expand_dims(x, 0)
    if y1:
        y = expand_dims(y, -1)
    xs, ys = aval_of(x).shape, aval_of(y).shape
    if xs[-1] != ys[-2]:
        raise shape_error("matmul", f"contracting dimensions differ: operands of shapes "
                          f"{aval_of(a).shape if hasattr(a, 'shape') else xs} and "
                          f"{aval_of(b).shape if hasattr(b, 'shape') else ys} "
                          f"({xs[-1]} != {ys[-2]})")
    batch = P.broadcast_shapes("matmul", xs[:-2], ys[:-2])
    nb = len(batch)
    if xs[:-2] != batch:
        x = broadcast_to(x, (*batch, *xs[-2:]))
    if ys[:-2] != batch:
        y = broadcast_to(y, (*batch, *ys[-2:]))
    bd = tuple(range(nb))
    out = P.dot_general_p.bind(x, y, dimension_numbers=(((nb + 1,), (nb,)), (bd, bd)))
    if x1 and y1:
        return squeeze(out, (-2, -1))
    if x1:
        return squeeze(out, -2)
    if y1:
        return squeeze(out, -1)
    return out


def dot(a: Any, b: Any) -> Any:
    x, y = _promoted(a, b)
    xs, ys = aval_of(x).shape, aval_of(y).shape
    if not xs or not ys:
        return P.mul_p.bind(x, y)
    rc = 0 if len(ys) == 1 else len(ys) - 2
    if xs[-1] != ys[rc]:
        raise shape_error("dot", f"shapes {xs} and {ys} not aligned: {xs[-1]} (dim "
                          f"{len(xs) - 1}) != {ys[rc]} (dim {rc})")
    return P.dot_general_p.bind(x, y, dimension_numbers=(((len(xs) - 1,), (rc,)), ((), ())))


def vdot(a: Any, b: Any) -> Any:
    x, y = _promoted(ravel(a), ravel(b))
    if dtypes.is_complex(aval_of(x).dtype):
        x = P.conj_p.bind(x)
    return dot(x, y)


def inner(a: Any, b: Any) -> Any:
    x, y = _promoted(a, b)
    xs, ys = aval_of(x).shape, aval_of(y).shape
    if not xs or not ys:
        return P.mul_p.bind(x, y)
    return P.dot_general_p.bind(x, y, dimension_numbers=(((len(xs) - 1,), (len(ys) - 1,)),
                                                         ((), ())))


def outer(a: Any, b: Any) -> Any:
    x, y = _promoted(ravel(a), ravel(b))
    return P.mul_p.bind(expand_dims(x, 1), expand_dims(y, 0))


def tensordot(a: Any, b: Any, axes: int | Sequence[Any] = 2) -> Any:
    x, y = _promoted(a, b)
    xn, yn = aval_of(x).ndim, aval_of(y).ndim
    if isinstance(axes, int):
        ax_a = tuple(range(xn - axes, xn))
        ax_b = tuple(range(axes))
    else:
        aa, bb = axes
        aa = (aa,) if isinstance(aa, int) else tuple(aa)
        bb = (bb,) if isinstance(bb, int) else tuple(bb)
        ax_a = tuple(normalize_axis(i, xn) for i in aa)
        ax_b = tuple(normalize_axis(i, yn) for i in bb)
    return P.dot_general_p.bind(x, y, dimension_numbers=((ax_a, ax_b), ((), ())))
