"""JVP rules of the tridiagonal primitives.

- tridiagonal_solve  A x = b:  x' = A^-1 (b' - A' x), where A' x is the tridiagonal
  product of the diagonals' tangents with x. The tangent is linear in b' (the solve
  bound again) and in the diagonals' tangents (products, slices and pads), so it
  transposes without a rule for the diagonals.
- tridiagonal (sytrd/hetrd) has no rule, as in JAX: the derivative of LAPACK's packed
  reflectors has no simple closed form, and what it is used for (eigenvalues) is
  differentiable through `eigh`. Differentiating it raises, naming the primitive.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from funcgrad import primitives as P
from funcgrad.transforms.jvp.interpreter import NO_RULE, jvp_rules
from funcgrad.transforms.programs import (Zero, add_tangents, aval, mul, neg, sub, tangent_aval,
                                          weak_scalar)


def _shift(x: Any, axis: int, down: bool) -> Any:
    """`x` moved one place along `axis` (down: entry i-1 lands at i), a zero filling the
    end it leaves; the entry pushed off the other end is dropped."""
    a = aval(x)
    axis %= a.ndim
    start, limit = [0] * a.ndim, list(a.shape)
    if down:
        limit[axis] -= 1
    else:
        start[axis] = 1
    kept = P.slice_p.bind(x, start_indices=tuple(start), limit_indices=tuple(limit),
                          strides=(1,) * a.ndim)
    pads = [(0, 0, 0)] * a.ndim
    pads[axis] = (1, 0, 0) if down else (0, 1, 0)
    return P.pad_p.bind(kept, weak_scalar(0, a.dtype), padding_config=tuple(pads))


def _column(v: Any) -> Any:
    """A diagonal (..., m) as (..., m, 1), to scale the rows of a (..., m, n) matrix."""
    return P.expand_dims_p.bind(v, dimensions=(aval(v).ndim,))


def _tridiagonal_matmul(dl: Any, d: Any, du: Any, x: Any) -> Any:
    """A x for the tridiagonal A with diagonals dl, d, du, any of which may be `Zero`.
    Each off-diagonal is shifted onto the rows it meets before multiplying, so its
    ignored end entry (dl[0], du[m-1]) is never read, not even as 0 * inf."""
    out: Any = Zero(tangent_aval(aval(x)))
    if type(d) is not Zero:
        out = mul(_column(d), x)
    if type(dl) is not Zero:        # row i gets dl[i] x[i-1]
        out = add_tangents(out, _shift(mul(_column(_shift(dl, -1, down=False)), x), -2,
                                       down=True))
    if type(du) is not Zero:        # row i gets du[i] x[i+1]
        out = add_tangents(out, _shift(mul(_column(_shift(du, -1, down=True)), x), -2,
                                       down=False))
    return out


def _tridiagonal_solve_jvp(primals: Sequence[Any],
                           tangents: Sequence[Any]) -> tuple[Any, Any]:
    dl, d, du, b = primals
    dl_dot, d_dot, du_dot, b_dot = tangents
    x = P.tridiagonal_solve_p.bind(dl, d, du, b)
    rhs = b_dot
    if aval(x).size and any(type(t) is not Zero for t in (dl_dot, d_dot, du_dot)):
        a_dot_x = _tridiagonal_matmul(dl_dot, d_dot, du_dot, x)
        rhs = neg(a_dot_x) if type(rhs) is Zero else sub(rhs, a_dot_x)
    if type(rhs) is Zero:
        return x, Zero(tangent_aval(aval(x)))
    return x, P.tridiagonal_solve_p.bind(dl, d, du, rhs)


jvp_rules[P.tridiagonal_solve_p] = _tridiagonal_solve_jvp
NO_RULE[P.tridiagonal_p] = ("as in JAX: LAPACK's packed Householder reflectors have no simple "
                            "derivative; differentiate eigh (or eigh_tridiagonal) instead")
