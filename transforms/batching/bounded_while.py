"""Batching rule of bounded_while: a call, whose Program is batched (a loop whose
lanes stop at different steps runs until the last one stops; none runs more
than the bound, so the batched loop keeps it)."""
from __future__ import annotations

from funcgrad import primitives as P
from funcgrad.transforms.batching.interpreter import axis_rule, call_batch

axis_rule(P.bounded_while_p, call_batch(P.bounded_while_p))
