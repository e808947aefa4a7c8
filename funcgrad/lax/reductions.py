"""lax's bitwise reductions that have a primitive of their own and no window:
reduce_xor (reduce_and and reduce_or sit beside lax.reduce, which they share
their monoid with)."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from funcgrad import dtypes
from funcgrad import primitives as P
from funcgrad.errors import DTypeError
from funcgrad.numpy._util import asarray_operand, aval_of

__all__ = ["reduce_xor"]


def reduce_xor(operand: Any, axes: Sequence[int]) -> Any:
    """Bitwise exclusive or (logical, for booleans) over `axes` of an integer or
    boolean operand; over no element it is 0 (False).

    >>> reduce_xor(np.array([1, 2, 4, 1]), (0,))
    6
    """
    x = asarray_operand(operand)
    dt = aval_of(x).dtype
    if not (dtypes.is_integer(dt) or dt == dtypes.bool_):
        raise DTypeError(f"lax.reduce_xor needs an integer or boolean operand, got {dt}")
    return P.reduce_xor_p.bind(x, axes=tuple(int(a) for a in axes))
