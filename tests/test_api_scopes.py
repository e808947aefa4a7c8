"""named_scope, disable_jit and ensure_compile_time_eval, checked against JAX (x64)."""
from __future__ import annotations

import functools
import re
import threading
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import funcgrad as fg
import funcgrad.lax as lax
import funcgrad.numpy as fnp
from funcgrad.errors import ConcretizationError

X = np.linspace(-1.0, 1.0, 6).reshape(2, 3)
W = np.linspace(0.5, 1.5, 12).reshape(3, 4)


def _scopes(program: Any) -> dict[str, str]:
    """primitive name -> scope of the (last) equation of that primitive, sub-Programs
    included."""
    out: dict[str, str] = {}
    for eqn in program.eqns:
        out[eqn.prim.name] = eqn.scope
        for p in eqn.params.values():
            if isinstance(p, type(program)):
                out.update({f"{eqn.prim.name}/{k}": v for k, v in _scopes(p).items()})
    return out


def _locations(text: str) -> list[str]:
    return re.findall(r'loc\("([^"]*)"\)', text)


# ---------------------------------------------------------------------------
# named_scope


@fg.jit
def _head(h: Any) -> Any:
    with fg.named_scope("head"):
        return fnp.cos(h)


def _model(x: Any, w: Any) -> Any:
    with fg.named_scope("layer1"):
        h = fnp.tanh(x @ w)
        with fg.named_scope("act"):
            h = fnp.sin(h)
    with fg.named_scope("out"):
        h = _head(h)
    return fnp.sum(h)


def test_named_scope_names_equations_in_the_ir() -> None:
    prog = fg.make_ir(_model)(X, W)
    scopes = _scopes(prog)
    assert scopes["dot_general"] == "layer1" and scopes["tanh"] == "layer1"
    assert scopes["sin"] == "layer1/act"
    # a jitted function's program keeps its own names, relative to it; the call
    # carries the caller's scope
    assert scopes["jit"] == "out" and scopes["jit/cos"] == "head"
    assert scopes["reduce_sum"] == ""
    text = str(prog)
    assert re.search(r"= tanh \w+  # layer1\n", text)
    assert re.search(r"= sin \w+  # layer1/act\n", text)
    assert re.search(r"= reduce_sum\[axes=\(0, 1\)\] \w+\n", text)   # unscoped: as before
    # no scope, no annotation: programs without scopes print exactly as before
    assert "#" not in str(fg.make_ir(lambda x: fnp.sin(x) * 2)(X))


def test_named_scope_locations_in_stablehlo_and_compiled_hlo() -> None:
    lowered = fg.jit(_model).lower(X, W)
    debug = lowered.as_text(debug_info=True)
    locs = _locations(debug)
    for want in ("layer1/dot_general", "layer1/tanh", "layer1/act/sin", "out/jit",
                 "out/head/cos"):
        assert want in locs, (want, locs)
    assert not _locations(lowered.as_text())        # the default text has none
    assert re.sub(r' loc\("[^"]*"\)', "", debug) == lowered.as_text()
    compiled = lowered.compile()
    assert 'op_name="layer1/act/sin"' in compiled.as_text()
    want = jax.jit(lambda x, w: jnp.sum(jnp.cos(jnp.sin(jnp.tanh(x @ w)))))(X, W)
    np.testing.assert_allclose(np.asarray(compiled(X, W)), want, rtol=1e-12)
    np.testing.assert_allclose(np.asarray(fg.jit(_model)(X, W)), want, rtol=1e-12)


def test_named_scope_inside_control_flow_bodies() -> None:
    def f(x: Any) -> Any:
        with fg.named_scope("loop"):
            return lax.fori_loop(0, 3, lambda i, c: fnp.exp(c) * 0.5, x)

    def body(c: Any, x: Any) -> Any:
        with fg.named_scope("step"):
            return c + fnp.sin(x), c

    prog = fg.make_ir(f)(X)
    assert _scopes(prog)["scan"] == "loop"
    locs = _locations(fg.jit(f).lower(X).as_text(debug_info=True))
    assert "loop/exp" in locs and "loop/scan" in locs
    locs = _locations(fg.jit(lambda xs: lax.scan(body, 0.0, xs)).lower(X[0]).as_text(
        debug_info=True))
    assert "step/sine" not in locs and "step/sin" in locs


def test_named_scope_propagates_through_grad_and_vmap() -> None:
    g_prog = fg.make_ir(fg.grad(_model, argnums=1))(X, W)
    scopes = _scopes(g_prog)
    # the JVP of scoped equations is staged in their scope
    assert scopes["tanh"] == "layer1" and scopes["cos"] == "layer1/act"
    assert scopes["jit"] in ("out", "")
    v_prog = fg.make_ir(fg.vmap(_model, in_axes=(0, None)))(np.stack([X, X]), W)
    scopes = _scopes(v_prog)
    assert scopes["tanh"] == "layer1" and scopes["sin"] == "layer1/act"
    assert scopes["jit"] == "out" and scopes["jit/cos"] == "head"
    gw = fg.jit(fg.grad(_model, argnums=1))(X, W)
    jw = jax.grad(lambda x, w: jnp.sum(jnp.cos(jnp.sin(jnp.tanh(x @ w)))), argnums=1)(X, W)
    np.testing.assert_allclose(np.asarray(gw), jw, rtol=1e-12)


def test_named_scope_escapes_names_and_checks_its_argument() -> None:
    def f(x: Any) -> Any:
        with fg.named_scope('a "quoted"\\name'):
            return fnp.sin(x)

    text = fg.jit(f).lower(X).as_text(debug_info=True)
    assert r'loc("a \22quoted\22\5Cname/sin")' in text
    np.testing.assert_allclose(np.asarray(fg.jit(f).lower(X).compile()(X)), np.sin(X))
    with pytest.raises(TypeError, match="named_scope takes a string name, got int"):
        with fg.named_scope(3):  # type: ignore[arg-type]
            pass

    @fg.named_scope("deco")
    def g(x: Any) -> Any:
        return fnp.cos(x)
    assert _scopes(fg.make_ir(g)(X))["cos"] == "deco"


# ---------------------------------------------------------------------------
# disable_jit


def test_disable_jit_runs_jitted_functions_op_by_op() -> None:
    calls: list[Any] = []

    @fg.jit
    def f(x: Any) -> Any:
        calls.append(type(x).__name__)
        if x.sum() > 0:                  # Python control flow on values
            return x * 2.0
        return -x

    @jax.jit
    def jf(x: Any) -> Any:
        return jnp.where(x.sum() > 0, x * 2.0, -x)

    with fg.disable_jit():
        for v in (X[0], -X[0] - 1.0, X[0]):
            np.testing.assert_allclose(np.asarray(f(fnp.asarray(v))), jf(v), rtol=1e-15)
    assert calls == ["Array"] * 3        # runs on every call, on concrete arrays
    with pytest.raises(ConcretizationError):
        f(fnp.asarray(X[0]))
    calls.clear()
    fg.config.update("disable_jit", True)
    try:
        np.asarray(f(fnp.asarray(X[0])))
        with fg.disable_jit(False):     # jit back on inside
            with pytest.raises(ConcretizationError):
                f(fnp.asarray(X[0]))
    finally:
        fg.config.update("disable_jit", False)
    assert calls == ["Array", "StagingTracer"]


def test_disable_jit_is_local_to_a_thread() -> None:
    seen: list[str] = []
    f = fg.jit(lambda x: seen.append(type(x).__name__) or x + 1.0)
    f(1.0)
    seen.clear()
    with fg.disable_jit():
        t = threading.Thread(target=lambda: f(2.0))
        t.start()
        t.join()
        f(3.0)
    assert seen == ["float"]            # the other thread ran the cached executable


def test_disable_jit_grad_of_jitted_function() -> None:
    def loss(w: Any) -> Any:
        h = fnp.tanh(fnp.asarray(X) @ w)
        if float(fnp.sum(h)) > 0:        # only possible op by op
            return fnp.sum(h ** 2)
        return fnp.sum(h)

    with fg.disable_jit():
        g = fg.jit(fg.grad(loss))(W)
    jw = jax.grad(lambda w: jnp.sum(jnp.tanh(X @ w) ** 2))(W)
    np.testing.assert_allclose(np.asarray(g), jw, rtol=1e-12)


def test_disable_jit_runs_control_flow_bodies_in_python() -> None:
    seen: list[float] = []

    def body(c: Any) -> Any:
        seen.append(float(c))            # a concrete value: only possible eagerly
        return c * 2.0

    def scan_step(c: Any, x: Any) -> Any:
        seen.append(float(x))
        return c + x, c * x

    xs = np.arange(1.0, 5.0)
    cases = [
        (lambda m, lx: lx.cond(m.asarray(1.5) > 1, lambda x: body(x), lambda x: x - 1, 0.5),
         [0.5]),
        (lambda m, lx: lx.switch(7, [lambda x: x, lambda x: body(x) + 1], 2.0), [2.0]),
        (lambda m, lx: lx.while_loop(lambda c: c < 10, body, 1.0), [1.0, 2.0, 4.0, 8.0]),
        (lambda m, lx: lx.scan(scan_step, 0.0, xs), [1.0, 2.0, 3.0, 4.0]),
        (lambda m, lx: lx.scan(scan_step, 0.0, xs, reverse=True), [4.0, 3.0, 2.0, 1.0]),
        (lambda m, lx: lx.fori_loop(0, 3, lambda i, c: body(c), 1.0), [1.0, 2.0, 4.0]),
        (lambda m, lx: lx.map(lambda x: body(x), xs), [1.0, 2.0, 3.0, 4.0]),
    ]
    for case, want_seen in cases:
        seen.clear()
        with fg.disable_jit():
            got = fg.jit(functools.partial(case, fnp, lax))()
        assert seen == want_seen
        with jax.disable_jit():
            want = case(jnp, jax.lax)
        for g, w in zip(fg.tree.leaves(got), jax.tree_util.tree_leaves(want), strict=True):
            np.testing.assert_allclose(np.asarray(g), np.asarray(w), rtol=1e-15)
            assert np.asarray(g).shape == np.shape(w)
    # staged again outside: the bodies run once, on tracers
    seen.clear()
    with pytest.raises(ConcretizationError):
        lax.while_loop(lambda c: c < 10, body, 1.0)


def test_disable_jit_while_loop_under_vmap_is_staged() -> None:
    with fg.disable_jit():
        out = fg.vmap(lambda x: lax.while_loop(lambda c: c < 10, lambda c: c * 2, x))(
            fnp.arange(1.0, 4.0))
        ys = fg.vmap(lambda x: lax.scan(lambda c, v: (c + v, c), x, fnp.ones(3)))(
            fnp.arange(2.0))
    np.testing.assert_array_equal(np.asarray(out), [16.0, 16.0, 12.0])
    want = jax.vmap(lambda x: jax.lax.scan(lambda c, v: (c + v, c), x, jnp.ones(3)))(
        jnp.arange(2.0))
    for g, w in zip(ys, want, strict=True):
        np.testing.assert_array_equal(np.asarray(g), w)


# ---------------------------------------------------------------------------
# ensure_compile_time_eval


def test_ensure_compile_time_eval_inside_jit() -> None:
    seen: list[Any] = []

    @fg.jit
    def f(x: Any) -> Any:
        with fg.ensure_compile_time_eval():
            y = fnp.sin(3.0)
            positive = y > 0
            table = fnp.arange(4.0) ** 2
            seen.append((type(positive).__name__, float(table[3])))
            traced = x * y                # depends on x: still staged
            seen.append(type(traced).__name__)
        return fnp.sin(x) + table[1] if positive else fnp.cos(x)

    @jax.jit
    def jf(x: Any) -> Any:
        with jax.ensure_compile_time_eval():
            positive = jnp.sin(3.0) > 0
            table = jnp.arange(4.0) ** 2
        return jnp.sin(x) + table[1] if positive else jnp.cos(x)

    np.testing.assert_allclose(np.asarray(f(0.7)), jf(0.7), rtol=1e-15)
    assert seen == [("Array", 9.0), "StagingTracer"]
    # the concrete part is a constant of the program, not equations
    (call,) = fg.make_ir(f)(0.7).eqns
    names = [e.prim.name for e in call.params["program"].eqns]
    assert "sin" in names and "integer_pow" not in names and "iota" not in names
    with pytest.raises(ConcretizationError):       # outside the block: staged again
        fg.jit(lambda x: fnp.sin(3.0) > 0 and x)(1.0)


def test_named_scope_labels_the_backward_pass() -> None:
    def f(x):
        with fg.named_scope("layer1"):
            y = fnp.sin(x) * 3.0
        return y.sum()
    prog = fg.make_ir(fg.grad(f))(fnp.ones(3))
    muls = [e for e in prog.eqns if e.prim.name == "mul"]
    # the forward mul and both backward muls (cotangent times 3, times cos) are in layer1
    assert len(muls) == 3 and all(e.scope == "layer1" for e in muls)


def test_disable_jit_runs_the_backward_pass_op_by_op() -> None:
    def backward_programs() -> int:
        return fg.cache_info()["backward programs"]["entries"]

    def run(x: float) -> Any:
        _, vjp_fn = fg.vjp(lambda v: fnp.sin(v) * v, fnp.asarray(x))
        return vjp_fn(fnp.asarray(1.0))[0]
    fg.clear_caches()
    with fg.disable_jit():
        g = run(0.5)
    assert backward_programs() == 0          # nothing staged for one compiled call
    assert np.isclose(g, np.sin(0.5) + 0.5 * np.cos(0.5))
    assert np.isclose(run(0.5), g) and backward_programs() == 1
