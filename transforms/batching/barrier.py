"""Batching rules of the barriers: one optimization_barrier over the batched
operands, each keeping its batch axis; dce_sink keeps the whole batched value."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from funcgrad import primitives as P
from funcgrad.transforms.batching.interpreter import Dim, batch_rules


def _optimization_barrier_batch(axis_size: int, args: Sequence[Any],
                                dims: Sequence[Dim]) -> tuple[list[Any], list[Dim]]:
    return list(P.optimization_barrier_p.bind(*args)), list(dims)


batch_rules[P.optimization_barrier_p] = _optimization_barrier_batch


def _dce_sink_batch(axis_size: int, args: Sequence[Any],
                    dims: Sequence[Dim]) -> tuple[list[Any], list[Dim]]:
    P.dce_sink_p.bind(*args)
    return [], []


batch_rules[P.dce_sink_p] = _dce_sink_batch
