"""Transpose rules of the linear-algebra primitives: triangular_solve is linear in b."""
from __future__ import annotations

from typing import Any

from funcgrad import primitives as P
from funcgrad.transforms.programs import instantiate, is_undefined
from funcgrad.transforms.transpose.interpreter import transpose_rules


def _triangular_solve_transpose(ct: Any, a: Any, b: Any, *, left_side: bool, lower: bool,
                                transpose_a: bool, conjugate_a: bool,
                                unit_diagonal: bool) -> list[Any]:
    if is_undefined(a):
        raise NotImplementedError("triangular_solve is linear in b only; the matrix a "
                                  "cannot be transposed")
    ct_b = P.triangular_solve_p.bind(a, instantiate(ct), left_side=left_side, lower=lower,
                                     transpose_a=not transpose_a, conjugate_a=conjugate_a,
                                     unit_diagonal=unit_diagonal)
    return [None, ct_b]


transpose_rules[P.triangular_solve_p] = _triangular_solve_transpose
