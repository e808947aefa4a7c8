"""Transpose rule of optimization_barrier: the cotangents of its linear operands
pass back through a barrier (the identity's transpose is the identity)."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from funcgrad import primitives as P
from funcgrad.transforms.programs import Zero, is_undefined
from funcgrad.transforms.transpose.interpreter import transpose_rules


def _optimization_barrier_transpose(cts: Sequence[Any], *args: Any) -> list[Any]:
    live = [ct for ct, a in zip(cts, args, strict=True)
            if is_undefined(a) and type(ct) is not Zero]
    barred = iter(P.optimization_barrier_p.bind(*live) if live else [])
    return [None if not is_undefined(a) else ct if type(ct) is Zero else next(barred)
            for ct, a in zip(cts, args, strict=True)]


transpose_rules[P.optimization_barrier_p] = _optimization_barrier_transpose
