"""Batching rules of the special-function family: all elementwise (broadcasting
operands aligned by `elementwise_batch`), except bitcast_convert_type, whose
trailing axis may grow or shrink, so a batch axis there moves to the front."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from funcgrad import primitives as P
from funcgrad.transforms.batching.interpreter import (Dim, batch_rules, elementwise_batch,
                                                      move_bdim)
from funcgrad.transforms.programs import aval

batch_rules[P.square_p] = elementwise_batch(P.square_p)
batch_rules[P.clz_p] = elementwise_batch(P.clz_p)
batch_rules[P.mulhi_p] = elementwise_batch(P.mulhi_p)
batch_rules[P.clamp_p] = elementwise_batch(P.clamp_p)
batch_rules[P.zeta_p] = elementwise_batch(P.zeta_p)
batch_rules[P.bessel_i0e_p] = elementwise_batch(P.bessel_i0e_p)
batch_rules[P.bessel_i1e_p] = elementwise_batch(P.bessel_i1e_p)
batch_rules[P.igamma_p] = elementwise_batch(P.igamma_p)
batch_rules[P.igammac_p] = elementwise_batch(P.igammac_p)
batch_rules[P.igamma_grad_a_p] = elementwise_batch(P.igamma_grad_a_p)
batch_rules[P.regularized_incomplete_beta_p] = elementwise_batch(
    P.regularized_incomplete_beta_p)


def _bitcast_convert_type_batch(axis_size: int, args: Sequence[Any], dims: Sequence[Dim], *,
                                new_dtype: np.dtype) -> tuple[list[Any], list[Dim]]:
    (x,), (d,) = args, dims
    if aval(x).dtype.itemsize != np.dtype(new_dtype).itemsize:
        x, d = move_bdim(x, d, 0, axis_size), 0
    return [P.bitcast_convert_type_p.bind(x, new_dtype=new_dtype)], [d]


batch_rules[P.bitcast_convert_type_p] = _bitcast_convert_type_batch
