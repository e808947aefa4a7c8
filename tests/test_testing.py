"""funcgrad.testing: every strategy draws what it promises, every check passes on
correct code and fails, with a readable message, on deliberately broken code
(a wrong custom_jvp, a wrong custom_vjp, a wrong batching rule, impure
functions), and the pytest plugin selects profiles and turns on IR checks."""
from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import funcgrad as fg
import funcgrad.numpy as fnp
import funcgrad.testing.pytest_plugin  # noqa: F401  (imported before pytester snapshots modules)
from funcgrad import primitives as P
from funcgrad.scipy.special import expit
from funcgrad.testing import (check_custom_rules, check_grads, check_jit, check_vmap,
                              transform_properties)
from funcgrad.testing import strategies as fst
from funcgrad.transforms.batching import batch_rules

pytest_plugins = ["pytester"]

# ---------------------------------------------------------------------------
# strategies


@pytest.mark.parametrize("kind,expected", [
    ("float", {"float32", "float64"}), ("complex", {"complex64", "complex128"}),
    ("int", {"int8", "int16", "int32", "int64"}), ("uint", {"uint8", "uint16", "uint32",
                                                             "uint64"}),
    ("bool", {"bool"}), ("half", {"float16", "bfloat16"})])
@given(data=st.data())
def test_dtypes_draws_only_the_kind(kind: str, expected: set[str], data: st.DataObject) -> None:
    dt = data.draw(fst.dtypes(kind))
    assert isinstance(dt, np.dtype) and dt.name in expected


def test_dtypes_rejects_unknown_kinds() -> None:
    with pytest.raises(ValueError, match="unknown kind 'floating'.*'float'"):
        fst.dtypes("floating")
    with pytest.raises(ValueError, match="at least one kind"):
        fst.dtypes([])


@given(fst.shapes(min_dims=1, max_dims=3, min_side=2, max_side=4))
def test_shapes_respect_their_bounds(shape: tuple[int, ...]) -> None:
    assert isinstance(shape, tuple) and 1 <= len(shape) <= 3
    assert all(isinstance(s, int) and 2 <= s <= 4 for s in shape)


@given(data=st.data())
def test_broadcastable_shapes_broadcast(data: st.DataObject) -> None:
    base = data.draw(fst.shapes(max_dims=3, min_side=1))
    other = data.draw(fst.broadcastable_shapes(base, max_dims=4))
    full = np.broadcast_shapes(base, other)
    assert len(full) == max(len(base), len(other))
    got = fnp.add(fnp.zeros(base), fnp.zeros(other))
    assert got.shape == full


@given(data=st.data())
def test_arrays_have_the_dtype_shape_and_domain(data: st.DataObject) -> None:
    dt = data.draw(fst.dtypes(["float", "complex", "int", "half"]))
    shape = data.draw(fst.shapes(max_dims=2))
    x = data.draw(fst.arrays(dt, shape, domain=(-2.0, 3.0)))
    assert isinstance(x, np.ndarray) and x.dtype == dt and x.shape == shape
    wide = x.astype(np.complex128 if dt.kind == "c" else np.float64)
    for part in (wide.real, wide.imag) if dt.kind == "c" else (wide,):
        assert np.all(np.isfinite(part)) and np.all((part >= -2.0) & (part <= 3.0))
    if dt.kind in "fc" and x.size:
        tiny = np.finfo(dt).tiny
        nonzero = np.abs(wide)[wide != 0]
        assert np.all(nonzero >= tiny), "subnormals are never drawn"
    assert fnp.asarray(x).dtype == dt


@given(fst.arrays(fst.dtypes("int"), (5,), domain=(-3.5, 4.5)))
def test_int_arrays_round_the_domain_inwards(x: np.ndarray) -> None:
    assert x.dtype.kind == "i" and np.all((x >= -3) & (x <= 4))


@given(fst.arrays("float32", (3,), elements=st.sampled_from([0.5, 1.5])))
def test_arrays_take_an_elements_strategy(x: np.ndarray) -> None:
    assert x.dtype == np.float32 and set(x.tolist()) <= {0.5, 1.5}


def test_arrays_reject_an_empty_domain() -> None:
    with pytest.raises(ValueError, match="holds no int64 value"):
        fst.arrays("int64", (2,), domain=(0.2, 0.8))
    with pytest.raises(ValueError, match="low <= high"):
        fst.arrays("float64", (2,), domain=(1.0, -1.0))
    with pytest.raises(TypeError, match="not a dtype funcgrad understands"):
        fst.arrays("not-a-dtype", (2,))


@given(fst.pytrees(max_leaves=5))
def test_pytrees_round_trip_through_tree(t: Any) -> None:
    leaves, treedef = fg.tree.flatten(t)
    assert 1 <= len(leaves) <= 5 or treedef.num_leaves == 0
    assert all(isinstance(x, np.ndarray) and x.dtype == np.float64 for x in leaves)
    rebuilt = treedef.unflatten(leaves)
    assert fg.tree.structure(rebuilt) == treedef
    doubled = fg.tree.map(lambda x: 2 * x, t)
    for a, b in zip(fg.tree.leaves(doubled), leaves, strict=True):
        np.testing.assert_array_equal(a, 2 * b)


@given(fst.pytrees(leaves=st.integers(0, 9), max_leaves=4))
def test_pytrees_take_a_leaf_strategy(t: Any) -> None:
    assert all(isinstance(x, int) and 0 <= x <= 9 for x in fg.tree.leaves(t))


@given(fst.spd_matrices(n=st.integers(1, 4), batch=(2,)))
def test_spd_matrices_are_symmetric_positive_definite(a: np.ndarray) -> None:
    n = a.shape[-1]
    assert a.shape == (2, n, n) and a.dtype == np.float64
    np.testing.assert_array_equal(a, np.swapaxes(a, -1, -2))
    eig = np.linalg.eigvalsh(a)
    assert np.all(eig >= 1 - 1e-12) and np.all(eig <= n + 1 + 1e-12)
    chol = np.asarray(fnp.linalg.cholesky(a))
    np.testing.assert_allclose(chol @ np.swapaxes(chol, -1, -2), a, rtol=1e-12, atol=1e-12)


@given(fst.spd_matrices(3, dtype="float32"))
def test_spd_matrices_take_a_dtype(a: np.ndarray) -> None:
    assert a.shape == (3, 3) and a.dtype == np.float32


@settings(max_examples=4)
@given(fst.keys(), fst.keys())
def test_keys_are_funcgrad_random_keys(k1: Any, k2: Any) -> None:
    assert isinstance(k1, fg.Array) and k1.dtype == np.uint32 and k1.shape == (2,)
    x1, x2 = fg.random.normal(k1, (4,)), fg.random.normal(k2, (4,))
    same_key = bool(np.array_equal(k1, k2))
    assert np.array_equal(x1, x2) == same_key
    # no hidden state: the same key data, in a new key, draws the same numbers
    np.testing.assert_array_equal(fg.random.normal(fg.device_put(np.asarray(k1)), (4,)), x1)


@settings(max_examples=3)
@given(fst.keys())
def test_keys_are_made_from_a_seed(k: Any) -> None:
    hi, lo = (int(w) for w in np.asarray(k))
    assert hi == 0                     # 32-bit seeds
    np.testing.assert_array_equal(k, fg.random.key(lo))


# ---------------------------------------------------------------------------
# check_grads


def _message_shows_everything(msg: str) -> None:
    assert "inputs:" in msg and "arg 0:" in msg and "tolerance:" in msg, msg


def test_check_grads_passes_on_correct_functions() -> None:
    x = np.linspace(-1.0, 1.0, 4)
    check_grads(lambda x: fnp.sin(x) * x, (x,), order=2)
    check_grads(lambda x: fnp.tanh(x).astype(np.float32), (x.astype(np.float32),), order=1)
    params = {"w": np.arange(6.0).reshape(2, 3) / 6, "b": np.ones(2)}
    check_grads(lambda p, x, n: fnp.tanh(p["w"] @ x + p["b"]) * n,
                (params, np.linspace(0, 1, 3), np.arange(2)), order=2)
    check_grads(lambda z: fnp.abs(z) ** 2, (np.array([1 + 2j, -0.5 + 0.1j]),), order=1)


@fg.custom_jvp
def cube(x: Any) -> Any:
    return x ** 3


@cube.defjvp
def _cube_jvp(primals: Any, tangents: Any) -> Any:
    (x,), (t,) = primals, tangents
    # right first derivative; the stop_gradient makes the second one wrong
    return cube(x), 3 * fg.stop_gradient(x) ** 2 * t


def test_check_grads_catches_a_wrong_second_derivative() -> None:
    x = np.array([0.5, -1.2, 2.0])
    check_grads(cube, (x,), order=1)
    with pytest.raises(AssertionError, match="check_grads: JVP does not match finite "
                                             "differences") as info:
        check_grads(cube, (x,), order=2, modes=("fwd",))
    _message_shows_everything(str(info.value))
    with pytest.raises(AssertionError, match="check_grads: VJP does not match"):
        check_grads(cube, (x,), order=2, modes=("rev",))


def test_check_grads_rejects_bad_arguments() -> None:
    f = fnp.sin
    with pytest.raises(ValueError, match="order must be a positive int, got 0"):
        check_grads(f, (1.0,), order=0)
    with pytest.raises(ValueError, match="order must be a positive int, got True"):
        check_grads(f, (1.0,), order=True)
    with pytest.raises(ValueError, match=r"subset of \('fwd', 'rev'\), got \('forward',\)"):
        check_grads(f, (1.0,), modes=("forward",))
    with pytest.raises(ValueError, match="got the string 'fwd'"):
        check_grads(f, (1.0,), modes="fwd")
    with pytest.raises(TypeError, match=r"args must be a tuple.*write \(x,\)"):
        check_grads(f, np.ones(3))


def test_check_grads_accepts_per_dtype_tolerances() -> None:
    # a float32 function checked with a loose float32 tolerance given by dtype
    x = np.linspace(0.1, 1.0, 3).astype(np.float32)
    check_grads(lambda x: fnp.exp(x) * x, (x,), order=1, atol={np.float32: 1e-2},
                rtol={np.float32: 1e-2})


# ---------------------------------------------------------------------------
# check_custom_rules: correct rules pass, wrong ones are caught


@fg.custom_jvp
def softplus(x: Any) -> Any:
    return fnp.logaddexp(x, 0.0)


softplus.defjvps(lambda t, ans, x: t * expit(x))


@fg.custom_jvp
def softplus_wrong(x: Any) -> Any:
    return fnp.logaddexp(x, 0.0)


# the classic slip: the sign inside the sigmoid
softplus_wrong.defjvps(lambda t, ans, x: t * expit(-x))


@fg.custom_jvp
def softplus_wrong_primal(x: Any) -> Any:
    return fnp.logaddexp(x, 0.0)


@softplus_wrong_primal.defjvp
def _softplus_wrong_primal_jvp(primals: Any, tangents: Any) -> Any:
    (x,), (t,) = primals, tangents
    return fnp.log1p(fnp.exp(-x)), t * expit(x)     # log(1 + e^-x) is softplus(-x)


@fg.custom_vjp
def scaled_norm(scale: float, x: Any) -> Any:
    return scale * fnp.sqrt(fnp.sum(x * x))


def _scaled_norm_fwd(scale: float, x: Any) -> Any:
    n = fnp.sqrt(fnp.sum(x * x))
    return scale * n, (x, n)


def _scaled_norm_bwd(scale: float, res: Any, ct: Any) -> Any:
    x, n = res
    return (scale * ct * x / n,)


scaled_norm = fg.custom_vjp(scaled_norm.fun, nondiff_argnums=(0,))
scaled_norm.defvjp(_scaled_norm_fwd, _scaled_norm_bwd)

scaled_norm_wrong = fg.custom_vjp(scaled_norm.fun, nondiff_argnums=(0,))
# forgot the chain rule's factor `scale`
scaled_norm_wrong.defvjp(_scaled_norm_fwd, lambda scale, res, ct: (ct * res[0] / res[1],))


def test_check_custom_rules_passes_on_correct_rules() -> None:
    check_custom_rules(softplus, (np.linspace(-3.0, 3.0, 5),))
    check_custom_rules(scaled_norm, (2.5, np.array([0.3, -1.0, 2.0])))
    check_custom_rules(scaled_norm, (2.5, np.array([0.3, -1.0, 2.0], np.float32)))


def test_check_custom_rules_catches_a_wrong_custom_jvp() -> None:
    with pytest.raises(AssertionError) as info:
        check_custom_rules(softplus_wrong, (np.linspace(-3.0, 3.0, 5),))
    msg = str(info.value)
    assert msg.startswith("check_custom_rules: JVP does not match finite differences"), msg
    _message_shows_everything(msg)
    # both values compared are shown: the rule's t*sigmoid(-x) and the true t*sigmoid(x)
    def shown(label: str) -> np.ndarray:
        text = re.search(label + r":\s+float64\[5\] \[([^\]]*)\]", msg)
        assert text, msg
        return np.array([float(v) for v in text.group(1).split(",")])
    x = np.linspace(-3.0, 3.0, 5)
    np.testing.assert_allclose(shown("JVP") / shown("finite differences"), np.exp(-x),
                               rtol=1e-5)
    assert "atol=1e-05, rtol=1e-05" in msg


def test_check_custom_rules_catches_a_wrong_primal_in_the_rule() -> None:
    with pytest.raises(AssertionError, match="the custom_jvp rule's primal output differs "
                                             "from the function's"):
        check_custom_rules(softplus_wrong_primal, (np.array([-1.0, 0.5, 2.0]),))


def test_check_custom_rules_catches_a_wrong_custom_vjp() -> None:
    with pytest.raises(AssertionError, match=r"check_custom_rules: VJP does not match finite "
                                             r"differences \(dot-product test") as info:
        check_custom_rules(scaled_norm_wrong, (2.5, np.array([0.3, -1.0, 2.0])))
    _message_shows_everything(str(info.value))
    assert "arg 0: 2.5" in str(info.value)


def test_check_custom_rules_catches_a_wrong_fwd_output() -> None:
    f = fg.custom_vjp(lambda x: fnp.sin(x))
    f.defvjp(lambda x: (fnp.cos(x), fnp.cos(x)), lambda c, g: (c * g,))
    with pytest.raises(AssertionError, match="fwd's output differs from the function's"):
        check_custom_rules(f, (np.array([0.1, 0.2]),))


def test_check_custom_rules_compares_bwd_with_forward_mode_of_the_primal() -> None:
    # the primal's forward mode exists (sin) and agrees: the check runs through
    calls = []

    def fwd(x: Any) -> Any:
        calls.append(1)
        return fnp.sin(x), fnp.cos(x)
    f = fg.custom_vjp(lambda x: fnp.sin(x))
    f.defvjp(fwd, lambda c, g: (c * g,))
    check_custom_rules(f, (np.array([0.1, 0.2]),))
    # fwd's output checked, then the dot-product test against differences, then against
    # jvp (bwd is staged once: the second test reuses its transpose, cached by signature)
    assert len(calls) == 3


def test_check_custom_rules_rejects_plain_functions_and_missing_rules() -> None:
    with pytest.raises(TypeError, match="custom_jvp or fg.custom_vjp, got function.*"
                                        "check_grads"):
        check_custom_rules(lambda x: x, (1.0,))
    with pytest.raises(TypeError, match="args must be a tuple"):
        check_custom_rules(softplus, np.ones(2))
    no_rule = fg.custom_jvp(lambda x: x)
    with pytest.raises(TypeError, match="has no JVP rule"):
        check_custom_rules(no_rule, (np.ones(2),))


# ---------------------------------------------------------------------------
# check_jit


def test_check_jit_passes_on_pure_functions() -> None:
    x = np.random.default_rng(0).normal(size=(3, 4))
    check_jit(lambda x: fnp.tanh(x) @ x.T, (x,))
    check_jit(lambda d, k: {"s": fnp.sum(d["a"] ** k), "i": fnp.argmax(d["a"], axis=0)},
              ({"a": x}, 3), static_argnums=1)
    check_jit(lambda x: (x.astype(np.float32), x > 0), (x,))


def test_check_jit_catches_hidden_state() -> None:
    count = [0]

    def counted(x: Any) -> Any:
        count[0] += 1           # a Python side effect: jit runs it once, at trace time
        return x * count[0]
    with pytest.raises(AssertionError, match="check_jit: jit\\(f\\) does not match f run "
                                             "eagerly: values differ") as info:
        check_jit(counted, (np.array([1.0, 2.0]),))
    msg = str(info.value)
    _message_shows_everything(msg)
    assert "jit:" in msg and "eager:" in msg and "atol=1e-10, rtol=1e-10" in msg


def test_check_jit_catches_type_dependent_structure_and_dtype() -> None:
    def by_type(x: Any) -> Any:
        # code that inspects the concrete type sees a tracer under jit
        return (x,) if type(x) is fg.Array else [x]
    with pytest.raises(AssertionError, match=r"output structures differ \(jit: \[\*\], "
                                             r"eager: \(\*,\)\)"):
        check_jit(by_type, (np.ones(2),))

    def narrowing(x: Any) -> Any:
        return x if type(x) is fg.Array else x.astype(np.float32)
    with pytest.raises(AssertionError, match=r"dtypes differ \(jit: float32, eager: float64\)"):
        check_jit(narrowing, (np.ones(2),))


# ---------------------------------------------------------------------------
# check_vmap


def test_check_vmap_passes_for_in_axes_out_axes_and_pytrees() -> None:
    rng = np.random.default_rng(1)
    xs, w = rng.normal(size=(4, 3)), rng.normal(size=3)
    check_vmap(lambda x, w: fnp.dot(x, w), (xs, w), in_axes=(0, None))
    check_vmap(lambda x, w: fnp.outer(x, w), (xs.T, w), in_axes=(1, None), out_axes=-1)
    check_vmap(lambda x, w: fnp.outer(x, w), (xs.T, w), in_axes=(1, None), out_axes=-1,
               jit=True)
    check_vmap(lambda d: {"s": fnp.sum(d["a"]), "t": d["b"] * 2},
               ({"a": xs, "b": xs.T},), in_axes=({"a": 0, "b": 1},))
    check_vmap(lambda x: fnp.sum(x), (w,), in_axes=None, axis_size=2)
    check_vmap(lambda i, x: x[i], (np.array([0, 2, 1, 1]), xs))


def test_check_vmap_catches_hidden_state() -> None:
    count = [0]

    def counted(x: Any) -> Any:
        count[0] += 1           # vmap calls f once, a loop once per element
        return x * count[0]
    with pytest.raises(AssertionError, match="check_vmap: vmap\\(f\\) with in_axes=0, "
                                             "out_axes=0 does not match a loop over the 3 "
                                             "batch elements") as info:
        check_vmap(counted, (np.arange(6.0).reshape(3, 2),))
    msg = str(info.value)
    _message_shows_everything(msg)
    assert "vmap:" in msg and "loop:" in msg


def test_check_vmap_catches_a_wrong_batching_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    right = batch_rules[P.reduce_sum_p]

    def forgets_the_batch_axis(axis_size: int, args: Any, dims: Any, *, axes: Any) -> Any:
        # the classic slip: moves the batch axis to the front but reduces the
        # caller's axes without shifting them past it
        (x,), (d,) = args, dims
        x = fnp.moveaxis(x, d, 0)
        return [P.reduce_sum_p.bind(x, axes=axes)], [0]
    monkeypatch.setitem(batch_rules, P.reduce_sum_p, forgets_the_batch_axis)
    xs = np.arange(12.0).reshape(3, 4)
    with pytest.raises(AssertionError, match="check_vmap: .* shapes differ") as info:
        check_vmap(lambda x: fnp.sum(x, axis=0), (xs,))
    _message_shows_everything(str(info.value))
    square = np.arange(9.0).reshape(3, 3)
    with pytest.raises(AssertionError, match="values differ"):
        check_vmap(lambda x: fnp.sum(x, axis=0), (square,))
    monkeypatch.setitem(batch_rules, P.reduce_sum_p, right)
    check_vmap(lambda x: fnp.sum(x, axis=0), (square,))


def test_check_vmap_rejects_bad_batches() -> None:
    with pytest.raises(ValueError, match=r"different sizes \[2, 3\]"):
        check_vmap(lambda x, y: x + y, (np.ones(2), np.ones(3)))
    with pytest.raises(ValueError, match="no argument is mapped; pass axis_size"):
        check_vmap(lambda x: x, (np.ones(2),), in_axes=None)
    with pytest.raises(ValueError, match="the batch is empty"):
        check_vmap(lambda x: x, (np.ones((0, 2)),))
    with pytest.raises(ValueError, match="in_axes has 1 entries for 2 arguments"):
        check_vmap(lambda x, y: x, (np.ones(2), np.ones(2)), in_axes=(0,))
    with pytest.raises(ValueError, match=r"shape \(2,\) over axis 1"):
        check_vmap(lambda x: x, (np.ones(2),), in_axes=1)


def test_check_vmap_tolerance_by_dtype() -> None:
    xs = np.random.default_rng(2).normal(size=(3, 5)).astype(np.float32)
    check_vmap(lambda x: fnp.sum(fnp.exp(x)), (xs,), atol={np.float32: 1e-4},
               rtol={np.float32: 1e-4})


# ---------------------------------------------------------------------------
# transform_properties


_vec3 = fst.arrays("float64", (3,), domain=(-2.0, 2.0))

test_softplus_transform_properties = transform_properties(
    softplus, _vec3, order=2, settings=settings(max_examples=3, deadline=None))
test_scaled_norm_transform_properties = transform_properties(
    scaled_norm, st.tuples(st.floats(0.5, 2.0), fst.arrays("float64", (3,), domain=(0.5, 2))),
    in_axes=(None, 0), settings=settings(max_examples=3, deadline=None))


def test_transform_properties_finds_a_wrong_custom_jvp() -> None:
    test = transform_properties(softplus_wrong, _vec3,
                                settings=settings(max_examples=10, deadline=None,
                                                  database=None))
    with pytest.raises(AssertionError, match="check_grads: JVP does not match finite "
                                             "differences"):
        test()


def test_transform_properties_finds_hidden_state_under_vmap() -> None:
    count = [0]

    def counted(x: Any) -> Any:
        count[0] += 1
        return fnp.sin(x) * count[0]
    test = transform_properties(counted, fst.arrays("float64", (2,), domain=(0.5, 1.0)),
                                checks=("vmap",), settings=settings(max_examples=3,
                                                                    deadline=None,
                                                                    database=None))
    with pytest.raises(AssertionError, match="check_vmap: vmap\\(f\\)"):
        test()


def test_transform_properties_rejects_bad_arguments() -> None:
    with pytest.raises(TypeError, match="must be a Hypothesis strategy"):
        transform_properties(fnp.sin, np.ones(3))
    with pytest.raises(ValueError, match="checks must be a collection of"):
        transform_properties(fnp.sin, _vec3, checks=("jit", "grad"))
    with pytest.raises(ValueError, match="batch_size must be a positive int"):
        transform_properties(fnp.sin, _vec3, batch_size=0)


# ---------------------------------------------------------------------------
# the pytest plugin, run in an inner pytest session

_INNER_TEST = """
import os
import funcgrad as fg
from hypothesis import given, settings, strategies as st

def test_state():
    print("PROFILE", settings.get_current_profile_name(), settings.default.max_examples,
          settings.default.deadline, "CHECKS", fg.config.enable_checks)

@given(st.integers())
def test_slow_examples_have_no_deadline(i):
    import time
    time.sleep(0.25 if i == 0 else 0)
"""


@pytest.fixture
def plugin_project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeconftest('pytest_plugins = ["funcgrad.testing.pytest_plugin"]\n')
    pytester.makepyfile(test_inner=_INNER_TEST)
    return pytester


def _run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    before_profile = settings.get_current_profile_name()
    before_checks = fg.config.enable_checks
    fg.config.update("enable_checks", False)
    try:
        result = pytester.runpytest("-s", "-p", "no:cacheprovider", "-p", "no:benchmark", *args)
        # the session's end puts back what it found
        assert settings.get_current_profile_name() == before_profile
        assert fg.config.enable_checks is False
    finally:
        fg.config.update("enable_checks", before_checks)
    return result


def test_plugin_selects_dev_by_default_and_turns_on_checks(
        plugin_project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FUNCGRAD_HYPOTHESIS_PROFILE", raising=False)
    result = _run(plugin_project)
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*funcgrad: hypothesis profile 'funcgrad-dev' (from default),"
                                 " max_examples=8, IR checks on*",
                                 "*PROFILE funcgrad-dev 8 None CHECKS True*"])


def test_plugin_option_selects_ci(plugin_project: pytest.Pytester,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FUNCGRAD_HYPOTHESIS_PROFILE", "dev")
    result = _run(plugin_project, "--funcgrad-profile=ci")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*'funcgrad-ci' (from --funcgrad-profile)*",
                                 "*PROFILE funcgrad-ci 20 None CHECKS True*"])


def test_plugin_reads_the_environment(plugin_project: pytest.Pytester,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FUNCGRAD_HYPOTHESIS_PROFILE", "ci")
    result = _run(plugin_project)
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*'funcgrad-ci' (from FUNCGRAD_HYPOTHESIS_PROFILE)*",
                                 "*PROFILE funcgrad-ci 20 None*"])


def test_plugin_rejects_unknown_profiles(plugin_project: pytest.Pytester,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FUNCGRAD_HYPOTHESIS_PROFILE", "nightly")
    result = _run(plugin_project)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert ("FUNCGRAD_HYPOTHESIS_PROFILE='nightly' is not a funcgrad profile; use one of "
            "['ci', 'dev']") in result.stderr.str()
    monkeypatch.delenv("FUNCGRAD_HYPOTHESIS_PROFILE")
    result = _run(plugin_project, "--funcgrad-profile=nightly")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--funcgrad-profile: invalid choice: 'nightly'*"])
