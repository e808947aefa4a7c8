"""JVP rules of the barriers. optimization_barrier: the primals and the (non-zero)
tangents each go through a barrier of their own, so the tangent computation
stays linear and transposable on its own. dce_sink: only the primal is kept
alive; it has no outputs, so no tangents."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from funcgrad import primitives as P
from funcgrad.transforms.jvp.interpreter import jvp_rules
from funcgrad.transforms.programs import Zero


def _optimization_barrier_jvp(primals: Sequence[Any],
                              tangents: Sequence[Any]) -> tuple[list[Any], list[Any]]:
    outs = P.optimization_barrier_p.bind(*primals)
    live = [t for t in tangents if type(t) is not Zero]
    barred = iter(P.optimization_barrier_p.bind(*live) if live else [])
    return list(outs), [t if type(t) is Zero else next(barred) for t in tangents]


jvp_rules[P.optimization_barrier_p] = _optimization_barrier_jvp


def _dce_sink_jvp(primals: Sequence[Any], tangents: Sequence[Any]) -> tuple[list[Any], list[Any]]:
    P.dce_sink_p.bind(*primals)
    return [], []


jvp_rules[P.dce_sink_p] = _dce_sink_jvp
