"""Transpose rule of tridiagonal_solve, which is linear in b.

A^T is tridiagonal too: its sub-diagonal is A's super-diagonal moved down one place
and its super-diagonal A's sub-diagonal moved up one place (A^T[i, i-1] = A[i-1, i] =
du[i-1], A^T[i, i+1] = A[i+1, i] = dl[i+1]). The entries moved into the ignored ends
are zeros, and the ignored ends of dl and du drop out. A plain transpose, never
conjugated, like every transpose rule.
"""
from __future__ import annotations

from typing import Any

from funcgrad import primitives as P
from funcgrad.transforms.programs import aval, instantiate, is_undefined, weak_scalar
from funcgrad.transforms.transpose.interpreter import transpose_rules


def _moved(v: Any, down: bool) -> Any:
    """The diagonal `v` (..., m) moved one place along its last axis, zero-filled."""
    a = aval(v)
    m, nd = a.shape[-1], a.ndim
    kept = P.slice_p.bind(v, start_indices=(0,) * (nd - 1) + (0 if down else 1,),
                          limit_indices=(*a.shape[:-1], m - 1 if down else m),
                          strides=(1,) * nd)
    pads = ((0, 0, 0),) * (nd - 1) + ((1, 0, 0) if down else (0, 1, 0),)
    return P.pad_p.bind(kept, weak_scalar(0, a.dtype), padding_config=pads)


def _tridiagonal_solve_transpose(ct: Any, dl: Any, d: Any, du: Any, b: Any) -> list[Any]:
    if any(is_undefined(v) for v in (dl, d, du)):
        raise NotImplementedError("tridiagonal_solve is linear in b only; its diagonals "
                                  "cannot be transposed")
    ct = instantiate(ct)
    if aval(d).shape[-1] == 0:
        return [None, None, None, ct]
    return [None, None, None,
            P.tridiagonal_solve_p.bind(_moved(du, down=True), d, _moved(dl, down=False), ct)]


transpose_rules[P.tridiagonal_solve_p] = _tridiagonal_solve_transpose
