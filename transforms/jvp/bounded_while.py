"""JVP rule of bounded_while: a call, whose differentiated Program holds the
differentiated loop and keeps the step bound, so that a linearization that
follows forward mode still sees a bounded loop."""
from __future__ import annotations

from funcgrad import primitives as P
from funcgrad.transforms.jvp.interpreter import call_jvp, jvp_rules

jvp_rules[P.bounded_while_p] = call_jvp(P.bounded_while_p)
