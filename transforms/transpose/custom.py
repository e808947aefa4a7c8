"""Transpose rules of checkpoint (a call), name (the identity) and custom_lin,
whose transpose is the user's bwd."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from funcgrad import primitives as P
from funcgrad.ir import user_value
from funcgrad.transforms.programs import instantiate
from funcgrad.transforms.transpose.interpreter import call_transpose, transpose_rules


transpose_rules[P.checkpoint_p] = call_transpose(P.checkpoint_p)


def _name_transpose(ct: Any, x: Any, *, name: Any) -> list[Any]:
    return [ct]


transpose_rules[P.name_p] = _name_transpose


def _custom_lin_transpose(cts: Sequence[Any], *args: Any, num_res: int, bwd: Any,
                          out_avals: tuple[Any, ...]) -> list[Any]:
    # residuals staged as Literals reach the user's bwd as Python/NumPy scalars
    res = [user_value(r) for r in args[:num_res]]
    cts_in = bwd(res, [instantiate(c) for c in cts])
    return [*(None for _ in res), *cts_in]


transpose_rules[P.custom_lin_p] = _custom_lin_transpose
