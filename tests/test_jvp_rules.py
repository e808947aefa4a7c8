"""Per-primitive derivative rules: coverage, JVP vs finite differences, VJP vs JVP.

Driven by the primitive table in tests/primitive_specs.py: every row with
differentiable operands is checked by `funcgrad.testing.check_grads` to order
2 in forward and reverse mode. Rows without differentiable operands must give
zero tangents. The coverage tests flag a primitive added without a JVP rule
(or, when linear, without a transpose rule).
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import funcgrad as fg
import funcgrad.numpy as fnp
from funcgrad import primitives as P
from funcgrad.testing import check_grads
from tests.primitive_specs import SPECS, PrimSpec, draw_args
from funcgrad.transforms.jvp import jvp_rules
from funcgrad.transforms.transpose import transpose_rules

# Deliberate gaps, each with its reason.
NO_JVP_RULE = {
    P.hessenberg_p: "the derivative of gehrd's packed reflectors is not defined (JAX has "
                    "none either); differentiating raises funcgrad's clear error",
    P.tridiagonal_p: "the derivative of sytrd's packed reflectors is not defined (JAX has "
                     "none either); differentiating raises funcgrad's clear error",
    P.pure_callback_p: "a host function is opaque to differentiation (as in JAX): "
                       "custom_jvp gives a callback its derivative",
    P.io_callback_p: "a host function with side effects is not differentiable (as in JAX)",
    P.reduce_window_p: "an arbitrary computation is not differentiable (as in JAX); the "
                       "add/max/min windows are the reduce_window_sum/max/min primitives",
    P.rng_bit_generator_p: "integer keys and bits carry no tangent (as in JAX)",
    P.rng_uniform_p: "a stateful draw has no derivative in its bounds (JAX defines none)",
}

# Primitives linear in (some of) their operands: reverse mode transposes them.
LINEAR = {P.neg_p, P.real_p, P.imag_p, P.conj_p, P.complex_p, P.add_p, P.sub_p, P.mul_p,
          P.div_p, P.select_n_p, P.convert_element_type_p, P.broadcast_in_dim_p, P.reshape_p,
          P.transpose_p, P.squeeze_p, P.expand_dims_p, P.rev_p, P.slice_p, P.pad_p,
          P.concatenate_p, P.dynamic_slice_p, P.dynamic_update_slice_p, P.reduce_sum_p,
          P.cumsum_p, P.dot_general_p, P.jit_p, P.checkpoint_p, P.custom_lin_p,
          P.conv_general_dilated_p}


def test_every_primitive_has_a_jvp_rule() -> None:
    missing = sorted(p.name for p in P.all_primitives()
                     if p not in jvp_rules and p not in NO_JVP_RULE)
    assert not missing, f"primitives without a JVP rule (add one, or an entry with a reason " \
                        f"to NO_JVP_RULE): {missing}"


def test_every_linear_primitive_has_a_transpose_rule() -> None:
    linear = LINEAR | {s.prim for s in SPECS if s.linear}
    missing = sorted(p.name for p in linear if p not in transpose_rules)
    assert not missing, f"linear primitives without a transpose rule: {missing}"


DIFF_SPECS = [s for s in SPECS if s.differentiable]
NONDIFF_SPECS = [s for s in SPECS if not s.differentiable]


def _restricted(spec: PrimSpec, args: tuple[np.ndarray, ...]) -> tuple[Any, tuple[Any, ...]]:
    """`spec.fun` as a function of its differentiable operands only."""
    pos = spec.differentiable

    def f(*diff: Any) -> Any:
        # fixed float operands follow the differentiated ones' precision (the
        # finite differences run in float64)
        dt = np.asarray(diff[0]).dtype if hasattr(diff[0], "dtype") else None
        full = [a.astype(dt) if dt is not None and a.dtype.kind == dt.kind == "f" else a
                for a in args]
        for i, d in zip(pos, diff, strict=True):
            full[i] = d
        return spec.fun(*full)
    return f, tuple(args[i] for i in pos)


@pytest.mark.parametrize("spec", DIFF_SPECS, ids=[s.name for s in DIFF_SPECS])
@settings(max_examples=2)
@given(data=st.data())
def test_grads_match_finite_differences(spec: PrimSpec, data: st.DataObject) -> None:
    args = draw_args(spec, data)
    f, diff_args = _restricted(spec, args)
    out_dtypes = {np.asarray(o).dtype for o in fg.tree.leaves(spec.fun(*args))}
    if out_dtypes & {np.dtype(np.float16), np.dtype(fnp.bfloat16)}:
        # a half-precision output rounds away the differences of a small step
        check_grads(f, diff_args, order=1, modes=("fwd", "rev"), eps=0.1)
    elif any(np.asarray(a).dtype not in (np.float64, np.complex128) for a in diff_args):
        # single-precision rows: first order, with float32's tolerance
        check_grads(f, diff_args, order=1, modes=("fwd", "rev"))
    else:
        check_grads(f, diff_args, order=2, modes=("fwd", "rev"))


@pytest.mark.parametrize("spec", NONDIFF_SPECS, ids=[s.name for s in NONDIFF_SPECS])
@settings(max_examples=2)
@given(data=st.data())
def test_non_differentiable_rows_give_zero_tangents(spec: PrimSpec,
                                                    data: st.DataObject) -> None:
    args = draw_args(spec, data)
    floats = [i for i, a in enumerate(args) if np.asarray(a).dtype.kind in "fc"]
    tangents = tuple(np.ones_like(a) if i in floats else np.zeros_like(a)
                     for i, a in enumerate(args))
    out, t_out = fg.jvp(spec.fun, args, tangents)
    for o, t in zip(fg.tree.leaves(out), fg.tree.leaves(t_out), strict=True):
        assert np.shape(t) == np.shape(o)
        assert not np.any(np.asarray(t)), f"{spec.name}: expected a zero tangent, got {t}"


# ---------------------------------------------------------------------------
# rules with edge cases the random table does not reach


def test_broadcast_operand_cotangent_is_summed_back() -> None:
    x, y = np.arange(3.0), np.arange(6.0).reshape(2, 3)
    gx, gy = fg.grad(lambda x, y: fnp.sum(P.mul_p.bind(x, y) + P.add_p.bind(x, 1.0)),
                     argnums=(0, 1))(x, y)
    np.testing.assert_allclose(gx, y.sum(0) + 2.0)
    np.testing.assert_allclose(gy, np.broadcast_to(x, (2, 3)))
    assert gx.shape == (3,) and gy.shape == (2, 3)
    g = fg.grad(lambda s: fnp.sum(P.select_n_p.bind(np.array([True, False, True]), s,
                                                    2.0 * s)))(1.5)
    assert float(g) == 5.0


def test_max_splits_the_tangent_at_ties_like_jax() -> None:
    g = fg.grad(lambda x, y: fnp.maximum(x, y), argnums=(0, 1))(2.0, 2.0)
    assert (float(g[0]), float(g[1])) == (0.5, 0.5)
    g = fg.grad(lambda x: fnp.max(x))(np.array([1.0, 3.0, 3.0]))
    np.testing.assert_allclose(g, [0.0, 0.5, 0.5])


def test_products_are_differentiable_through_zeros() -> None:
    x = np.array([2.0, 0.0, 3.0, 0.5])
    np.testing.assert_allclose(fg.grad(lambda x: fnp.prod(x))(x), [0.0, 3.0, 0.0, 0.0])
    np.testing.assert_allclose(fg.jacfwd(fnp.cumprod)(x),
                               [[1, 0, 0, 0], [0, 2, 0, 0], [0, 6, 0, 0], [0, 3, 0, 0]])
    check_grads(lambda x: fnp.prod(x.reshape(2, 2), axis=1), (x,), order=2)


def test_pow_derivatives_at_zero_are_finite() -> None:
    gx, gy = fg.grad(lambda x, y: x ** y, argnums=(0, 1))(0.0, 2.5)
    assert float(gx) == 0.0 and float(gy) == 0.0
    assert float(fg.grad(lambda x: fnp.power(x, 0.0))(0.0)) == 0.0


def test_integer_and_comparison_ops_have_zero_tangents() -> None:
    def f(x: Any) -> Any:
        i = fnp.argmax(x)
        mask = (x > 0).astype(x.dtype)
        return fnp.floor(x) + mask + fnp.sign(x) + i.astype(x.dtype)
    x = np.array([0.3, -1.7, 2.2])
    out, t = fg.jvp(f, (x,), (np.ones(3),))
    np.testing.assert_array_equal(t, np.zeros(3))
    np.testing.assert_array_equal(fg.grad(lambda x: fnp.sum(f(x)))(x), np.zeros(3))


def test_digamma_and_lgamma_derivatives_use_polygamma() -> None:
    import scipy.special as sp
    x = np.array([0.7, 1.5, 4.0])
    np.testing.assert_allclose(fg.grad(lambda x: fnp.sum(P.lgamma_p.bind(x)))(x),
                               sp.digamma(x), rtol=1e-12)
    np.testing.assert_allclose(fg.grad(lambda x: fnp.sum(P.digamma_p.bind(x)))(x),
                               sp.polygamma(1, x), rtol=1e-10)
    np.testing.assert_allclose(fg.hessian(lambda x: fnp.sum(P.digamma_p.bind(x)))(x),
                               np.diag(sp.polygamma(2, x)), rtol=1e-9)


def test_missing_rule_error_names_the_primitive() -> None:
    from funcgrad.core import Primitive
    from funcgrad.errors import UnsupportedError
    from funcgrad.transforms.jvp import JVPTrace, JVPTracer
    trace = JVPTrace(None)
    tracer = JVPTracer(trace, np.ones(2), np.ones(2))
    with pytest.raises(UnsupportedError, match="'made_up'.*custom_jvp"):
        trace.process_primitive(Primitive("made_up"), [tracer], {})
