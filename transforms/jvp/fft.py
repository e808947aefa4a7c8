"""JVP rule of fft, which is linear."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from funcgrad import primitives as P
from funcgrad.transforms.jvp.interpreter import jvp_rules
from funcgrad.transforms.programs import Zero, aval, convert, tangent_aval


def _fft_jvp(primals: Sequence[Any], tangents: Sequence[Any], **params: Any) -> tuple[Any, Any]:
    (x,), (t,) = primals, tangents
    out = P.fft_p.bind(x, **params)
    if type(t) is Zero:
        return out, Zero(tangent_aval(aval(out)))
    return out, P.fft_p.bind(convert(t, aval(x).dtype), **params)


jvp_rules[P.fft_p] = _fft_jvp
