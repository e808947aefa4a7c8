"""JVP rule of conv_general_dilated: bilinear, so the tangent is the same
convolution of each operand's tangent with the other operand, summed. Integer
operands carry no tangent (a preferred floating output of integer operands has
a zero tangent)."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from funcgrad import primitives as P
from funcgrad.transforms.jvp.interpreter import jvp_rules
from funcgrad.transforms.programs import Zero, add_tangents, aval, tangent_aval


def _conv_general_dilated_jvp(primals: Sequence[Any], tangents: Sequence[Any],
                              **params: Any) -> tuple[Any, Any]:
    lhs, rhs = primals
    lhs_dot, rhs_dot = tangents
    out = P.conv_general_dilated_p.bind(lhs, rhs, **params)
    out_dot: Any = Zero(tangent_aval(aval(out)))
    if type(lhs_dot) is not Zero:
        out_dot = P.conv_general_dilated_p.bind(lhs_dot, rhs, **params)
    if type(rhs_dot) is not Zero:
        out_dot = add_tangents(out_dot, P.conv_general_dilated_p.bind(lhs, rhs_dot, **params))
    return out, out_dot


jvp_rules[P.conv_general_dilated_p] = _conv_general_dilated_jvp
