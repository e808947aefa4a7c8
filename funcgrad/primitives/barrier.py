"""optimization_barrier: the identity on any number of operands that XLA may not
optimize across (``stablehlo.optimization_barrier``).

Every output is computed before anything that uses any output, and no common
subexpression or fusion crosses the barrier. It is linear (each output is its
operand), so its derivative, transpose and batched form are barriers again.

dce_sink: marks its operand as used, so no pass prunes the computation of it.
It has no outputs; being effectful is all it does, and XLA sees nothing of it.
"""
from __future__ import annotations

from funcgrad import ir
from funcgrad.core import Primitive, ShapedArray

optimization_barrier_p = Primitive("optimization_barrier", multiple_results=True)


@optimization_barrier_p.def_abstract_eval
def _optimization_barrier_rule(*operands: ShapedArray) -> list[ShapedArray]:
    return list(operands)


dce_sink_p = Primitive("dce_sink", multiple_results=True)


@dce_sink_p.def_abstract_eval
def _dce_sink_rule(x: ShapedArray) -> list[ShapedArray]:
    return []


ir.effectful.add(dce_sink_p)
