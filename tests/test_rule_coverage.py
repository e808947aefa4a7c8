"""Every rule table covers every primitive it must, with named rules.

Each interpreter owns one table (DESIGN.md); a primitive without a rule is
listed beside its table with the reason. Rules have grep-able names,
``_<primitive>_<kind>``, so a traceback or a search finds them.
"""
from __future__ import annotations

import pytest

from funcgrad import primitives as P
from funcgrad.ir import Program
from funcgrad.transforms import batching, jvp, partial_eval, transpose
from funcgrad.xla_backend import lowering

TABLES = {
    "jvp": (jvp.jvp_rules, jvp.NO_RULE),
    "batch": (batching.batch_rules, batching.NO_RULE),
    "lower": (lowering.lowering_rules, lowering.NOT_LOWERED),
}

# Linear in at least one operand: these need a transpose rule (reverse mode
# transposes the tangent program, which is built from them).
LINEAR = {P.neg_p, P.real_p, P.imag_p, P.conj_p, P.add_p, P.sub_p, P.mul_p, P.div_p,
          P.integer_pow_p, P.complex_p, P.select_n_p, P.convert_element_type_p,
          P.reduce_sum_p, P.cumsum_p, P.broadcast_in_dim_p, P.reshape_p, P.squeeze_p,
          P.expand_dims_p, P.transpose_p, P.rev_p, P.slice_p, P.pad_p, P.concatenate_p,
          P.dynamic_slice_p, P.dynamic_update_slice_p, P.dot_general_p, P.gather_p,
          P.scatter_p, P.scatter_add_p, P.scatter_mul_p, P.triangular_solve_p, P.fft_p,
          P.jit_p, P.checkpoint_p, P.cond_p, P.scan_p, P.custom_lin_p,
          P.psum_p, P.all_gather_p, P.psum_scatter_p, P.all_to_all_p, P.ppermute_p,
          P.sharding_constraint_p, P.shard_map_p, P.tridiagonal_solve_p,
          P.linear_solve_p, P.optimization_barrier_p}
# windowed: reduce_precision's tangent is the rounded tangent (JAX's convention)
LINEAR |= {P.reduce_window_sum_p, P.select_and_gather_add_p, P.select_and_scatter_add_p,
           P.reduce_precision_p}
# custom: name (checkpoint_name) is the identity
LINEAR |= {P.name_p}
# convolution: bilinear, like dot_general
LINEAR |= {P.conv_general_dilated_p}
# structural: split, tile and copy move elements only
LINEAR |= {P.split_p, P.tile_p, P.copy_p}


def _carries_programs(prim: P.Primitive) -> bool:
    return prim.multiple_results and prim in {P.jit_p, P.checkpoint_p, P.cond_p, P.while_p,
                                               P.bounded_while_p,
                                               P.shard_map_p,
                                               P.scan_p, P.custom_jvp_call_p,
                                               P.custom_vjp_call_p,
                                               P.linear_solve_p}


@pytest.mark.parametrize("kind", sorted(TABLES))
def test_every_primitive_has_a_rule_or_a_reason(kind: str) -> None:
    table, gaps = TABLES[kind]
    missing = sorted(p.name for p in P.all_primitives() if p not in table and p not in gaps)
    assert not missing, f"primitives without a {kind} rule: {missing}; add one (or a reason)"
    assert all(isinstance(r, str) and r for r in gaps.values())
    both = sorted(p.name for p in gaps if p in table)
    assert not both, f"{both} have a {kind} rule and a reason not to"


def test_transpose_rules_exactly_for_linear_primitives() -> None:
    have = set(transpose.transpose_rules)
    assert not sorted(p.name for p in LINEAR - have), "linear primitives without a transpose rule"
    assert not sorted(p.name for p in have - LINEAR), "transpose rules of non-linear primitives"


def test_partial_eval_rules_for_every_primitive_carrying_programs() -> None:
    missing = [p.name for p in P.all_primitives()
               if _carries_programs(p) and p not in partial_eval.partial_eval_rules
               and p not in (P.custom_jvp_call_p, P.custom_vjp_call_p)]
    assert not missing
    assert isinstance(P.jit_p.name, str) and Program is not None


@pytest.mark.parametrize("kind, table", [
    ("jvp", jvp.jvp_rules), ("transpose", transpose.transpose_rules),
    ("batch", batching.batch_rules), ("partial_eval", partial_eval.partial_eval_rules),
    ("lower", lowering.lowering_rules)])
def test_rules_have_greppable_names(kind: str, table: dict) -> None:
    wrong = {p.name: getattr(r, "__name__", repr(r)) for p, r in table.items()
             if getattr(r, "__name__", "") != f"_{p.name}_{kind}"
             or r.__code__.co_name != f"_{p.name}_{kind}"}
    assert not wrong, f"{kind} rules not named _<primitive>_{kind}: {wrong}"
