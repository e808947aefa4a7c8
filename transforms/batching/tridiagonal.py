"""Batching rules of the tridiagonal primitives: they act on trailing axes (one for
a diagonal, two for a matrix) and batch over the leading ones."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from funcgrad import primitives as P
from funcgrad.transforms.batching.interpreter import (Dim, batch_rules, move_bdim, ndim_of,
                                                      trailing_op_batch)
from funcgrad.transforms.programs import aval

# trailing_op_batch reads the core rank of the first operand, here the diagonal dl:
# the batch axis of every operand then sits among the leading (batch) axes.
_stacked_solve = trailing_op_batch(P.tridiagonal_solve_p, lambda **_: 1)


def _tridiagonal_solve_batch(axis_size: int, args: Sequence[Any],
                             dims: Sequence[Dim]) -> tuple[list[Any], list[Dim]]:
    """One matrix for many right-hand sides (only b batched) stays one solve: the lanes
    become more columns of b, rather than copies of the diagonals."""
    dl, d, du, b = args
    if any(dim is not None for dim in dims[:3]):
        return _stacked_solve(axis_size, args, dims)
    last = ndim_of(b) - 1
    b = move_bdim(b, dims[3], last, axis_size)          # (..., m, n, lanes)
    shape = aval(b).shape
    wide = P.reshape_p.bind(b, new_sizes=(*shape[:-2], shape[-2] * shape[-1]))
    x = P.tridiagonal_solve_p.bind(dl, d, du, wide)
    return [P.reshape_p.bind(x, new_sizes=shape)], [last]


batch_rules[P.tridiagonal_solve_p] = _tridiagonal_solve_batch
batch_rules[P.tridiagonal_p] = trailing_op_batch(P.tridiagonal_p, lambda **_: 2)
