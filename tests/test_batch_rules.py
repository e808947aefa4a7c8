"""Every primitive's batching rule, driven by the spec table: `vmap(p)` equals
stacking `p` over a Python loop (`funcgrad.testing.check_vmap`), with operands
mapped over their first axis, their last axis, or not at all, and the output's
batch axis first or last."""
from __future__ import annotations

from typing import Any

import ml_dtypes
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import funcgrad.numpy as fnp
from funcgrad import primitives as P
from funcgrad.testing import check_vmap
from primitive_specs import (BF16, BOOL, C64, C128, DEFAULT_DOMAIN, F16, F32, F64, SPECS,
                             PrimSpec, draw_args, spec_ids, values)
from funcgrad.transforms.batching import NO_RULE, batch_rules


def test_every_primitive_has_a_batching_rule() -> None:
    missing = [p.name for p in P.all_primitives() if p not in batch_rules and p not in NO_RULE]
    assert not missing, (f"primitives without a batching rule in transforms/batching/: "
                         f"{missing}; add one (or an entry with a reason in NO_RULE)")
    assert all(isinstance(reason, str) and reason for reason in NO_RULE.values())
    both = [p.name for p in NO_RULE if p in batch_rules]
    assert not both, f"primitives both excluded and given a rule: {both}"


def _other_lane(data: st.DataObject, spec: PrimSpec, i: int, a: np.ndarray) -> np.ndarray:
    """A fresh operand like `a` (same shape and dtype) for another lane of the batch.

    Floats come from the operand's domain; integers from a range covering what
    was drawn: a loop and vmap must agree on any input, so ranges need not be
    exact, only small.
    """
    dt = a.dtype
    if dt == BOOL or dt.kind in "fcV" or dt == ml_dtypes.bfloat16:
        dom = spec.domain[i] if i < len(spec.domain) and spec.domain[i] else DEFAULT_DOMAIN
        return data.draw(values(dt, a.shape, dom))
    lo = int(a.min()) if a.size else 0
    hi = int(a.max()) if a.size else 3
    lo, hi = min(lo, 0 if dt.kind == "u" else -2), max(hi, 3)
    return data.draw(values(dt, a.shape, int_range=(lo, hi)))


@pytest.mark.parametrize("spec", SPECS, ids=spec_ids(SPECS))
@settings(max_examples=4)
@given(data=st.data())
def test_vmap_matches_loop(spec: PrimSpec, data: st.DataObject) -> None:
    args = draw_args(spec, data)
    size = data.draw(st.integers(1, 3), label="batch size")
    axes = [data.draw(st.sampled_from((0, -1, None)), label=f"in_axes[{i}]")
            for i in range(len(args))]
    out_axis = data.draw(st.sampled_from((0, -1)), label="out_axes")
    use_jit = data.draw(st.booleans(), label="jit")
    lanes = [[a] + [_other_lane(data, spec, i, a) for _ in range(size - 1)]
             for i, a in enumerate(args)]
    if spec.project is not None:    # the other lanes into the row's valid domain too
        for b in range(1, size):
            for lane, a in zip(lanes, spec.project(*(lane[b] for lane in lanes)), strict=True):
                lane[b] = a
    batched = [lane[0] if ax is None else np.stack(lane, axis=ax)
               for lane, ax in zip(lanes, axes, strict=True)]

    tol = {dt: spec.tolerance(dt) for dt in (F64, F32, F16, BF16, C64, C128)}
    # vmap vs a loop over the lanes (the check users get): dtype, shape, values
    check_vmap(spec.fun, batched, in_axes=tuple(axes), out_axes=out_axis,
               axis_size=size if all(ax is None for ax in axes) else None, jit=use_jit,
               atol=tol, rtol=tol)


# ---------------------------------------------------------------------------
# The indexing and sorting primitives once more, through the user-level
# functions that bind them (advanced indexing, `.at[]` updates, sort/argsort),
# whose index layouts the table's rows do not all draw: each case makes one
# lane's operands from a random generator.

def _ints(rng: np.random.Generator, lo: int, hi: int, shape: tuple[int, ...]) -> np.ndarray:
    return rng.integers(lo, hi, shape)


EXTRA_CASES: dict[str, tuple[Any, Any]] = {
    "getitem_array": (lambda x, i: x[i],
                      lambda r: (r.standard_normal((4, 5)), _ints(r, -4, 4, (3,)))),
    "getitem_two_arrays": (lambda x, i, j: x[i, j],
                           lambda r: (r.standard_normal((4, 5)), _ints(r, 0, 4, (2, 3)),
                                      _ints(r, -5, 5, (3,)))),
    "getitem_slice_then_array": (lambda x, i: x[1:, i],
                                 lambda r: (r.standard_normal((3, 4)), _ints(r, 0, 4, (2,)))),
    "take_along_axis": (lambda x, i: fnp.take_along_axis(x, i, axis=-1),
                        lambda r: (r.standard_normal((3, 4)), _ints(r, 0, 4, (3, 2)))),
    "at_set_unique": (lambda x, i, u: x.at[i].set(u),
                      lambda r: (r.standard_normal((5, 2)), r.permutation(5)[:3],
                                 r.standard_normal((3, 2)))),
    "at_add_duplicates": (lambda x, i, u: x.at[i].add(u),
                          lambda r: (r.standard_normal((4, 3)), _ints(r, 0, 4, (5,)),
                                     r.standard_normal((5, 3)))),
    "at_mul": (lambda x, i, u: x.at[i].multiply(u),
               lambda r: (r.standard_normal((4,)), _ints(r, 0, 4, (2,)), r.standard_normal(2))),
    "at_min_column": (lambda x, i, u: x.at[:, i].min(u),
                      lambda r: (r.standard_normal((2, 4)), _ints(r, 0, 4, (3,)),
                                 r.standard_normal((2, 3)))),
    "at_max_out_of_bounds_dropped": (lambda x, i, u: x.at[i].max(u, mode="drop"),
                                     lambda r: (r.standard_normal((4,)), _ints(r, 0, 7, (3,)),
                                                r.standard_normal(3))),
    "sort": (lambda x: fnp.sort(x, axis=0), lambda r: (r.standard_normal((4, 3)),)),
    "argsort_ties": (lambda x: fnp.argsort(x, axis=-1),
                     lambda r: (_ints(r, 0, 3, (2, 5)).astype(np.float64),)),
}


@pytest.mark.parametrize("case", sorted(EXTRA_CASES))
@settings(max_examples=6)
@given(data=st.data())
def test_more_primitives_vmap_matches_loop(case: str, data: st.DataObject) -> None:
    fun, make = EXTRA_CASES[case]
    size = data.draw(st.integers(1, 3), label="batch size")
    rngs = [np.random.default_rng(data.draw(st.integers(0, 2**16), label="seed"))
            for _ in range(size)]
    lanes = list(zip(*(make(r) for r in rngs), strict=True))     # per operand, per lane
    axes = [data.draw(st.sampled_from((0, -1, None)), label=f"in_axes[{i}]")
            for i in range(len(lanes))]
    if all(ax is None for ax in axes):
        axes[0] = 0
    batched = [lane[0] if ax is None else np.stack(lane, axis=ax)
               for lane, ax in zip(lanes, axes, strict=True)]
    check_vmap(fun, batched, in_axes=tuple(axes), jit=data.draw(st.booleans(), label="jit"),
               atol=1e-12, rtol=1e-12)
