"""Regression tests for rule bugs the primitive table (tests/primitive_specs.py)
found: gathers with size-1 windows over empty axes in sort's JVP and in
scatter_add's transpose."""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import funcgrad as fg
from funcgrad import primitives as P


def _sort(x: Any) -> Any:
    return P.sort_p.bind(x, dimension=1, is_stable=True, num_keys=1)


@pytest.mark.parametrize("shape", [(2, 0), (0, 3)], ids=["empty_sorted_axis", "empty_other_axis"])
def test_sort_jvp_with_an_empty_axis(shape: tuple[int, ...]) -> None:
    x = np.zeros(shape)
    (out,), (t,) = fg.jvp(_sort, (x,), (x,))
    assert out.shape == t.shape == shape


_BATCHED_DN = P.ScatterDimensionNumbers(update_window_dims=(), inserted_window_dims=(1,),
                                        scatter_dims_to_operand_dims=(1,),
                                        operand_batching_dims=(0,),
                                        scatter_indices_batching_dims=(0,))


def _scatter_add_batched(x: Any, updates: Any) -> Any:
    """One scatter-add per row of `x` (operand_batching_dims), over an empty batch."""
    indices = np.zeros((0, 2, 1), np.int32)
    return P.scatter_add_p.bind(x, indices, updates, dimension_numbers=_BATCHED_DN,
                                indices_are_sorted=False, unique_indices=False, mode="clip")


def test_scatter_add_vjp_with_an_empty_batching_dim() -> None:
    x, u = np.zeros((0, 3)), np.zeros((0, 2))
    _, pullback = fg.vjp(_scatter_add_batched, x, u)
    ct_x, ct_u = pullback(np.zeros((0, 3)))
    assert ct_x.shape == (0, 3) and ct_u.shape == (0, 2)
