"""Structured control flow: cond, switch, while_loop, fori_loop, scan, map.

Forward values are checked against plain Python loops and against JAX (x64);
eager against jit; the error messages for mismatched structures; the staging
cache that keeps eager calls from re-compiling.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import funcgrad as fg
import funcgrad.numpy as fnp
from funcgrad import eager, lax

jax.config.update("jax_enable_x64", True)


def close(a: object, b: object, rtol: float = 1e-12, atol: float = 1e-12) -> None:
    la, ta = fg.tree.flatten(a)
    lb, tb = fg.tree.flatten(b)
    assert len(la) == len(lb), (ta, tb)
    for x, y in zip(la, lb, strict=True):
        x, y = np.asarray(x), np.asarray(y)
        assert x.shape == y.shape, (x.shape, y.shape)
        assert x.dtype == y.dtype, (x.dtype, y.dtype)
        np.testing.assert_allclose(x, y, rtol=rtol, atol=atol)


X = np.array([0.5, -1.25, 2.0])


# ---------------------------------------------------------------------------
# cond


@pytest.mark.parametrize("p", [True, False])
def test_cond_eager_jit_and_jax(p: bool) -> None:
    def f(lax_: object, np_: object, p: object, x: object) -> object:
        return lax_.cond(p, lambda x: np_.sin(x) * 2.0,  # type: ignore[attr-defined]
                         lambda x: -x, x)

    want = np.sin(X) * 2.0 if p else -X
    close(f(lax, fnp, p, fnp.asarray(X)), want)
    close(fg.jit(lambda p, x: f(lax, fnp, p, x))(p, fnp.asarray(X)), want)
    close(f(jax.lax, jnp, p, jnp.asarray(X)), want)


def test_cond_traced_predicate_and_pytrees() -> None:
    def f(x: object, y: object) -> object:
        return lax.cond(x[0] > 0,
                        lambda a, b: {"s": a + b["v"], "t": (a * 2.0, b["n"] + 1)},
                        lambda a, b: {"s": a - b["v"], "t": (a * 0.0, b["n"] - 1)},
                        x, y)

    y = {"v": np.ones(3), "n": np.int32(4)}
    for x in (X, -X):
        pos = x[0] > 0
        want = {"s": x + 1 if pos else x - 1,
                "t": (x * 2.0 if pos else x * 0.0, np.int32(5 if pos else 3))}
        close(f(fnp.asarray(x), y), want)
        close(fg.jit(f)(fnp.asarray(x), y), want)


def test_cond_numeric_predicate_means_nonzero() -> None:
    for p, want in ((0, -X), (3, X), (0.0, -X), (-0.5, X)):
        close(lax.cond(p, lambda x: x, lambda x: -x, fnp.asarray(X)), want)
        close(fg.jit(lambda p, x: lax.cond(p, lambda x: x, lambda x: -x, x))(p, fnp.asarray(X)),
              want)


def test_cond_closes_over_outer_values() -> None:
    w = fnp.asarray([1.0, 2.0, 3.0])

    def f(x: object, s: object) -> object:
        # the branches read an outer concrete array (w) and an outer traced one (s)
        return lax.cond(s > 0, lambda x: x * w + s, lambda x: x - s, x)

    for s in (2.0, -2.0):
        want = X * np.array([1.0, 2.0, 3.0]) + s if s > 0 else X - s
        close(f(fnp.asarray(X), s), want)
        close(fg.jit(f)(fnp.asarray(X), s), want)


def test_cond_ir_carries_both_branches() -> None:
    text = str(fg.make_ir(lambda x: lax.cond(x[0] > 0, fnp.sin, fnp.cos, x))(fnp.asarray(X)))
    assert "cond[branches=(" in text
    assert "sin" in text and "cos" in text
    hlo = fg.jit(lambda x: lax.cond(x[0] > 0, fnp.sin, fnp.cos, x)).lower(fnp.asarray(X)).as_text()
    assert '"stablehlo.if"' in hlo


def test_cond_weak_types_join() -> None:
    out = lax.cond(True, lambda: 1.0, lambda: 2.0)
    assert out.aval.weak_type and float(out) == 1.0
    out = lax.cond(False, lambda: 1.0, lambda: fnp.asarray(2.0))
    assert not out.aval.weak_type and float(out) == 2.0


def test_cond_branch_mismatch_errors_show_both_structures() -> None:
    x = fnp.asarray(X)
    with pytest.raises(TypeError) as e:
        lax.cond(True, lambda x: (x, x), lambda x: x, x)
    msg = str(e.value)
    assert "same structure" in msg
    assert "false_fun: f64[3]" in msg and "true_fun: (f64[3], f64[3])" in msg
    with pytest.raises(TypeError) as e:
        lax.cond(True, lambda x: {"a": x.astype(np.float32)}, lambda x: {"a": x}, x)
    msg = str(e.value)
    assert "output['a']: f64[3] in false_fun, f32[3] in true_fun" in msg
    with pytest.raises(TypeError) as e:
        lax.cond(True, lambda x: x[:2], lambda x: x, x)
    assert "f64[3] in false_fun, f64[2] in true_fun" in str(e.value)


def test_cond_bad_inputs() -> None:
    with pytest.raises(TypeError, match=r"pred must be a scalar, got bool\[3\].*where"):
        lax.cond(fnp.asarray(X) > 0, lambda x: x, lambda x: -x, fnp.asarray(X))
    with pytest.raises(TypeError, match="true_fun must be callable"):
        lax.cond(True, 3, lambda: 1.0)
    with pytest.raises(TypeError, match=r"operands\[0\] is a str"):
        lax.cond(True, lambda s: 1.0, lambda s: 2.0, "no")
    with pytest.raises(TypeError, match="returned a str at output"):
        lax.cond(True, lambda: "a", lambda: "b")


def test_cond_eager_does_not_recompile_or_retrace() -> None:
    x = fnp.asarray(X)
    traces = []

    def run(p: bool) -> object:
        def t(x: object) -> object:
            traces.append(1)
            return fnp.sin(x)
        return lax.cond(p, t, lambda x: x * 3.0, x)   # fresh lambdas on every call

    run(True)
    n_exec, n_trace = eager.cache_size(), len(traces)
    for i in range(6):
        close(run(i % 2 == 0), np.sin(X) if i % 2 == 0 else X * 3.0)
    assert eager.cache_size() == n_exec
    assert len(traces) == n_trace


# ---------------------------------------------------------------------------
# switch


@pytest.mark.parametrize("i", [-3, 0, 1, 2, 9])
def test_switch_clamps_like_jax(i: int) -> None:
    branches = [lambda x: x + 1.0, lambda x: x * 2.0, lambda x: fnp.sin(x)]
    jbranches = [lambda x: x + 1.0, lambda x: x * 2.0, lambda x: jnp.sin(x)]
    want = jax.lax.switch(i, jbranches, jnp.asarray(X))
    close(lax.switch(i, branches, fnp.asarray(X)), want)
    close(fg.jit(lambda i, x: lax.switch(i, branches, x))(i, fnp.asarray(X)), want)
    close(fg.jit(lambda i, x: lax.switch(i, branches, x))(np.int32(i), fnp.asarray(X)), want)
    if i >= 0:
        hlo = fg.jit(lambda i, x: lax.switch(i, branches, x)).lower(i, fnp.asarray(X)).as_text()
        assert '"stablehlo.case"' in hlo


def test_switch_errors() -> None:
    with pytest.raises(ValueError, match="non-empty"):
        lax.switch(0, [], 1.0)
    with pytest.raises(TypeError, match="index must be an integer"):
        lax.switch(0.5, [lambda: 1.0, lambda: 2.0])
    with pytest.raises(TypeError, match=r"branch 0 and branch 2 must give each leaf"):
        lax.switch(1, [lambda x: x, lambda x: x, lambda x: x.astype(np.int64)], fnp.asarray(X))
    close(lax.switch(5, [lambda x: x * 2.0], fnp.asarray(X)), X * 2.0)


# ---------------------------------------------------------------------------
# while_loop


def test_while_loop_issue_example() -> None:
    x = fnp.asarray(X)
    want = (10, X * 2.0 ** 10)
    close(lax.while_loop(lambda c: c[0] < 10, lambda c: (c[0] + 1, c[1] * 2), (0, x)), want)
    jitted = fg.jit(lambda x: lax.while_loop(lambda c: c[0] < 10,
                                             lambda c: (c[0] + 1, c[1] * 2), (0, x)))
    close(jitted(x), want)
    jw = jax.lax.while_loop(lambda c: c[0] < 10, lambda c: (c[0] + 1, c[1] * 2),
                            (0, jnp.asarray(X)))
    np.testing.assert_allclose(np.asarray(jw[1]), want[1])
    assert '"stablehlo.while"' in jitted.lower(x).as_text()


def test_while_loop_newton_sqrt_vs_python() -> None:
    def newton(a: object, np_: object) -> object:
        def body(c: object) -> object:
            x, n = c
            return 0.5 * (x + a / x), n + 1
        def more(c: object) -> object:
            return (np_.abs(c[0] * c[0] - a) > 1e-12) & (c[1] < 50)  # type: ignore[attr-defined]
        return lax.while_loop(more, body, (a, np.int32(0)))

    for a in (2.0, 10.0):
        x, n = a, 0
        while abs(x * x - a) > 1e-12 and n < 50:
            x, n = 0.5 * (x + a / x), n + 1
        close(newton(fnp.asarray(a), fnp), (np.float64(x), np.int32(n)))
        close(fg.jit(lambda a: newton(a, fnp))(fnp.asarray(a)), (np.float64(x), np.int32(n)))


def test_while_loop_closure_over_traced_value() -> None:
    def f(x: object, limit: object) -> object:
        return lax.while_loop(lambda c: c.sum() < limit, lambda c: c * 2.0 + x, x)

    def py(x: np.ndarray, limit: float) -> np.ndarray:
        c = x
        while c.sum() < limit:
            c = c * 2.0 + x
        return c

    x = np.array([0.5, 1.0])
    close(fg.jit(f)(fnp.asarray(x), 100.0), py(x, 100.0))
    close(f(fnp.asarray(x), 100.0), py(x, 100.0))


def test_while_loop_weak_carry_promoted_once() -> None:
    out = lax.while_loop(lambda c: c < 5.0, lambda c: c + fnp.asarray(1.0), 0.0)
    assert float(out) == 5.0 and not out.aval.weak_type and out.dtype == np.float64


def test_while_loop_errors() -> None:
    x = fnp.asarray(X)
    with pytest.raises(TypeError) as e:
        lax.while_loop(lambda c: True, lambda c: (c[0], c[1][:2]), (0, x))
    msg = str(e.value)
    assert "carry[1]: f64[3] in init_val, f64[2] in the carry body_fun returns" in msg
    with pytest.raises(TypeError, match="same structure"):
        lax.while_loop(lambda c: True, lambda c: [c[0], c[1]], (0, x))
    with pytest.raises(TypeError, match=r"int64.*float64|i64\[\].*f64\[\]"):
        lax.while_loop(lambda c: c < 3, lambda c: c + 0.5, 0)
    with pytest.raises(TypeError, match="cond_fun must return a boolean scalar"):
        lax.while_loop(lambda c: c, lambda c: c, x)


# ---------------------------------------------------------------------------
# fori_loop


def test_fori_loop_static_is_a_scan_traced_is_a_while() -> None:
    def body(i: object, c: object) -> object:
        return c * 1.5 + i

    def py(lo: int, hi: int, c: np.ndarray) -> np.ndarray:
        for i in range(lo, hi):
            c = c * 1.5 + i
        return c

    x = fnp.asarray(X)
    close(lax.fori_loop(2, 7, body, x), py(2, 7, X))
    close(lax.fori_loop(7, 2, body, x), X)
    close(fg.jit(lambda x: lax.fori_loop(2, 7, body, x))(x), py(2, 7, X))
    close(fg.jit(lambda n, x: lax.fori_loop(2, n, body, x))(7, x), py(2, 7, X))
    close(jax.lax.fori_loop(2, 7, body, jnp.asarray(X)), py(2, 7, X))
    static_ir = str(fg.make_ir(lambda x: lax.fori_loop(2, 7, body, x))(x))
    traced_ir = str(fg.make_ir(lambda n, x: lax.fori_loop(2, n, body, x))(7, x))
    assert "scan[" in static_ir and "while[" not in static_ir
    assert "while[" in traced_ir and "scan[" not in traced_ir
    close(lax.fori_loop(0, 7, body, x, unroll=3), py(0, 7, X))
    close(lax.fori_loop(np.int32(1), np.int32(4), lambda i, c: c + i.astype(np.float64), x),
          py(1, 4, X / 1.5) * 0 + X + 6.0)


def test_fori_loop_counter_dtype_and_errors() -> None:
    seen = []
    lax.fori_loop(np.int32(0), 3, lambda i, c: (seen.append(i.dtype), c)[1], 0.0)
    assert seen[-1] == np.int32
    with pytest.raises(TypeError, match="lower must be an integer"):
        lax.fori_loop(0.0, 3, lambda i, c: c, 0.0)
    with pytest.raises(ValueError, match="unroll needs static"):
        fg.jit(lambda n: lax.fori_loop(0, n, lambda i, c: c, 0.0, unroll=2))(3)


# ---------------------------------------------------------------------------
# scan and map


def _py_scan(f: object, init: object, xs: list[object], reverse: bool = False) -> object:
    carry, ys = init, [None] * len(xs)
    order = range(len(xs) - 1, -1, -1) if reverse else range(len(xs))
    for i in order:
        carry, ys[i] = f(carry, xs[i])  # type: ignore[operator]
    return carry, ys


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("unroll", [1, 3, True])
def test_scan_pytrees_vs_python_and_jax(reverse: bool, unroll: int | bool) -> None:
    xs = {"a": np.arange(10.0).reshape(5, 2), "b": np.arange(5, dtype=np.int32)}

    def step(np_: object) -> object:
        def f(c: object, x: object) -> object:
            s, k = c
            s = np_.tanh(s + x["a"]) * 1.1  # type: ignore[attr-defined]
            return (s, k + x["b"]), {"s": s, "k2": k * 2}
        return f

    init = (np.zeros(2), np.int32(0))
    carry, ys = lax.scan(step(fnp), init, xs, reverse=reverse, unroll=unroll)
    pc, pys = _py_scan(step(np), init, [{"a": xs["a"][i], "b": xs["b"][i]} for i in range(5)],
                       reverse)
    close(carry, pc)
    close(ys, {"s": np.stack([y["s"] for y in pys]), "k2": np.stack([y["k2"] for y in pys])})
    jc, jys = jax.lax.scan(step(jnp), init, xs, reverse=reverse, unroll=unroll)
    close((carry, ys), (jc, jys))
    fc, fys = fg.jit(lambda init, xs: lax.scan(step(fnp), init, xs, reverse=reverse,
                                               unroll=unroll))(init, xs)
    close((fc, fys), (carry, ys))


def test_scan_length_only_none_ys_and_empty() -> None:
    c, ys = lax.scan(lambda c, x: (c * 2.0, None), 1.0, length=4)
    assert ys is None and float(c) == 16.0
    c, ys = lax.scan(lambda c, x: (c + x, c), fnp.zeros(3), np.zeros((0, 3)))
    assert np.asarray(ys).shape == (0, 3) and np.asarray(c).tolist() == [0.0, 0.0, 0.0]


def test_scan_errors() -> None:
    with pytest.raises(ValueError, match="pass length="):
        lax.scan(lambda c, x: (c, x), 0.0)
    with pytest.raises(ValueError, match=r"share one leading axis length.*xs\[0\]: f64\[3\], "
                                         r"xs\[1\]: f64\[4\]"):
        lax.scan(lambda c, x: (c, x), 0.0, (np.zeros(3), np.zeros(4)))
    with pytest.raises(ValueError, match="and length=5"):
        lax.scan(lambda c, x: (c, x), 0.0, np.zeros(3), length=5)
    with pytest.raises(ValueError, match="needs a leading axis"):
        lax.scan(lambda c, x: (c, x), 0.0, (np.zeros(3), 1.0))
    with pytest.raises(TypeError, match=r"must return a pair \(carry, y\)"):
        lax.scan(lambda c, x: c, 0.0, np.zeros(3))
    with pytest.raises(TypeError, match="carry: f64\\[\\] in init, f64\\[2\\] in the carry f"):
        lax.scan(lambda c, x: (x, None), 0.0, np.zeros((3, 2)))


def test_map_vs_list() -> None:
    xs = np.arange(12.0).reshape(4, 3)
    out = lax.map(lambda r: (fnp.sum(r ** 2), r[::-1]), xs)
    close(out, (np.sum(xs ** 2, axis=1), xs[:, ::-1]))
    close(out, jax.lax.map(lambda r: (jnp.sum(r ** 2), r[::-1]), xs))


def test_scan_eager_reuses_one_executable() -> None:
    xs = fnp.asarray(np.arange(6.0))

    def cumsum(xs: object) -> object:
        return lax.scan(lambda c, x: (c + x, c + x), 0.0, xs)[1]

    cumsum(xs)
    n = eager.cache_size()
    for _ in range(3):
        close(cumsum(xs), np.cumsum(np.arange(6.0)))
    assert eager.cache_size() == n


@given(st.integers(1, 6), st.booleans())
def test_scan_cumulative_product_property(n: int, reverse: bool) -> None:
    xs = np.linspace(0.5, 1.5, n)
    c, ys = lax.scan(lambda c, x: (c * x, c * x), 1.0, xs, reverse=reverse)
    want = np.cumprod(xs[::-1])[::-1] if reverse else np.cumprod(xs)
    close(ys, want)
    close(c, np.prod(xs))


# ---------------------------------------------------------------------------
# nesting and a real workload


def test_nesting_scan_in_cond_in_scan_under_jit() -> None:
    def f(xs: object, w: object) -> object:
        def outer(c: object, x: object) -> object:
            def inner_scan(c: object) -> object:
                return lax.scan(lambda d, y: (d + y * w, d), c, fnp.ones(3))[0]
            c = lax.cond(x > 0, inner_scan, lambda c: c - w, c)
            return c, lax.fori_loop(0, 2, lambda i, a: a + c, 0.0)
        return lax.scan(outer, 0.0, xs)

    def py(xs: np.ndarray, w: float) -> object:
        c, ys = 0.0, []
        for x in xs:
            c = c + 3 * w if x > 0 else c - w
            ys.append(2 * c)
        return np.float64(c), np.array(ys)

    xs = np.array([1.0, -1.0, 2.0, 3.0])
    close(fg.jit(f)(xs, 0.5), py(xs, 0.5))
    close(f(fnp.asarray(xs), 0.5), py(xs, 0.5))


def _rk4(np_: object, lax_: object, f: object, y0: object, p: object, dt: float,
         n: int) -> object:
    def step(y: object, _: object) -> object:
        k1 = f(y, p)  # type: ignore[operator]
        k2 = f(y + 0.5 * dt * k1, p)  # type: ignore[operator]
        k3 = f(y + 0.5 * dt * k2, p)  # type: ignore[operator]
        k4 = f(y + dt * k3, p)  # type: ignore[operator]
        y = y + dt / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
        return y, y[0]
    return lax_.scan(step, y0, None, length=n)  # type: ignore[attr-defined]


def test_rk4_scan_1000_steps_vs_jax() -> None:
    def lotka(np_: object) -> object:
        def f(y: object, p: object) -> object:
            return np_.stack([p[0] * y[0] - p[1] * y[0] * y[1],   # type: ignore[attr-defined]
                              p[2] * y[0] * y[1] - p[3] * y[1]])
        return f

    y0, p = np.array([1.0, 0.5]), np.array([1.1, 0.4, 0.1, 0.4])
    run = fg.jit(lambda y0, p: _rk4(fnp, lax, lotka(fnp), y0, p, 0.01, 1000))
    jrun = jax.jit(lambda y0, p: _rk4(jnp, jax.lax, lotka(jnp), y0, p, 0.01, 1000))
    close(run(y0, p), jrun(y0, p), rtol=1e-10, atol=1e-12)


# ---------------------------------------------------------------------------
# forward mode (JVP) and vmap rules

from funcgrad.vmap import vmap  # noqa: E402
from funcgrad.transforms.jvp import jvp_call  # noqa: E402


def _jvp(f: object, x: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    p, tt = jvp_call(lambda x: [f(x)], [fnp.asarray(x)], [fnp.asarray(t)])  # type: ignore[operator]
    return np.asarray(p[0]), np.asarray(tt[0])


RULE_CASES = {
    "cond": lambda lx, n, x: lx.cond(x[0] > 0, lambda x: n.sin(x) * x, lambda x: -x, x),
    "cond_const_branch": lambda lx, n, x: lx.cond(x[0] < 0, lambda x: n.sin(x) * x,
                                                lambda x: x * 0.0 + 1.0, x),
    "switch": lambda lx, n, x: lx.switch((x[1] > 0).astype(np.int32) * 2 - 1,
                                       [lambda x: x, lambda x: x * 2, lambda x: n.cos(x) * x[0]],
                                       x),
    "while_static_trips": lambda lx, n, x: lx.while_loop(
        lambda c: c[0] < 5, lambda c: (c[0] + 1, n.sin(c[1]) * x), (0, x))[1],
    "while_data_dependent": lambda lx, n, x: lx.while_loop(
        lambda c: c[0] < 4.0 + 2.0 * x[0], lambda c: (c[0] + 1.0, c[1] * 1.1 + x), (0.0, x))[1],
    "fori": lambda lx, n, x: lx.fori_loop(0, 4, lambda i, c: c * x + n.sin(c), x),
    "scan": lambda lx, n, x: lx.scan(lambda c, xi: (c * xi + n.tanh(c), c * 2), x[0], x)[1],
    "scan_reverse": lambda lx, n, x: lx.scan(lambda c, xi: (c * xi + n.tanh(c), c * x), x[0], x,
                                           reverse=True, unroll=2)[1],
    "map": lambda lx, n, x: lx.map(lambda r: n.sin(r) * x, x),
}
XT = np.array([1.0, 0.3, -0.7])
XS = np.stack([X, -X, X * 0.5, X[::-1]])


@pytest.mark.parametrize("name", sorted(RULE_CASES))
def test_jvp_vs_jax(name: str) -> None:
    f = RULE_CASES[name]
    want = jax.jvp(lambda x: f(jax.lax, jnp, x), (jnp.asarray(X),), (jnp.asarray(XT),))
    close(_jvp(lambda x: f(lax, fnp, x), X, XT), want, rtol=1e-10)
    close(_jvp(fg.jit(lambda x: f(lax, fnp, x)), X, XT), want, rtol=1e-10)


@pytest.mark.parametrize("name", sorted(RULE_CASES))
def test_vmap_vs_loop_and_jax(name: str) -> None:
    f = RULE_CASES[name]
    loop = np.stack([np.asarray(f(lax, fnp, fnp.asarray(x))) for x in XS])
    close(vmap(lambda x: f(lax, fnp, x))(fnp.asarray(XS)), loop, rtol=1e-10)
    close(fg.jit(vmap(lambda x: f(lax, fnp, x)))(fnp.asarray(XS)), loop, rtol=1e-10)
    close(loop, jax.vmap(lambda x: f(jax.lax, jnp, x))(XS), rtol=1e-10)


def test_vmap_of_jvp_of_scan_with_axis_1() -> None:
    f = RULE_CASES["scan"]

    def tangent(x: object) -> object:
        return jvp_call(lambda x: [f(lax, fnp, x)], [x], [fnp.ones(3)])[1][0]

    out = vmap(tangent, in_axes=1)(fnp.asarray(XS.T))
    want = jax.vmap(lambda x: jax.jvp(lambda x: f(jax.lax, jnp, x), (x,), (jnp.ones(3),))[1],
                    in_axes=1)(XS.T)
    close(out, want, rtol=1e-10)


def test_vmap_batched_while_predicate_masks_finished_lanes() -> None:
    limits = np.array([0.0, 3.0, 7.0, 1.0])

    def count(limit: object) -> object:
        return lax.while_loop(lambda c: c[1] < limit, lambda c: (c[0] * 2.0, c[1] + 1.0),
                              (1.0, 0.0))

    out = vmap(count)(fnp.asarray(limits))
    close(out, (2.0 ** limits, limits))
    ir = str(fg.make_ir(vmap(count))(fnp.asarray(limits)))
    assert "reduce_or" in ir and "select_n" in ir


def test_rules_keep_eager_calls_compiled_once() -> None:
    f = RULE_CASES["scan"]
    _jvp(lambda x: f(lax, fnp, x), X, XT)
    vmap(lambda x: f(lax, fnp, x))(fnp.asarray(XS))
    n = eager.cache_size()
    for _ in range(2):
        _jvp(lambda x: f(lax, fnp, x), X, XT)
        vmap(lambda x: f(lax, fnp, x))(fnp.asarray(XS))
    assert eager.cache_size() == n


def test_rk4_jvp_wrt_initial_state_vs_jax() -> None:
    def lotka(np_: object) -> object:
        def f(y: object, p: object) -> object:
            return np_.stack([p[0] * y[0] - p[1] * y[0] * y[1],   # type: ignore[attr-defined]
                              p[2] * y[0] * y[1] - p[3] * y[1]])
        return f

    y0, p = np.array([1.0, 0.5]), np.array([1.1, 0.4, 0.1, 0.4])
    dy = np.array([0.3, -1.0])
    got = jvp_call(lambda y: [_rk4(fnp, lax, lotka(fnp), y, p, 0.01, 1000)[0]],
                   [fnp.asarray(y0)], [fnp.asarray(dy)])[1][0]
    want = jax.jvp(lambda y: _rk4(jnp, jax.lax, lotka(jnp), y, p, 0.01, 1000)[0], (y0,),
                   (dy,))[1]
    close(got, want, rtol=1e-9)


def test_reverse_mode_through_while_loop_suggests_fori_or_scan() -> None:
    from funcgrad.errors import UnsupportedError
    from funcgrad.autodiff import linearize_flat

    def f(x: object) -> list[object]:
        return [lax.while_loop(lambda c: c[0] < 3, lambda c: (c[0] + 1, c[1] * x), (0, x))[1]]

    with pytest.raises(UnsupportedError, match="while_loop is not supported.*fori_loop with "
                                               "static.*scan"):
        linearize_flat(f, [fnp.asarray(1.5)])
    # forward mode still works
    close(_jvp(lambda x: f(x)[0], np.float64(1.5), np.float64(1.0)), (1.5 ** 4, 4 * 1.5 ** 3))


# A loop variable at module level (a notebook's `for k in ...:`) is a global of the
# bodies that read it: a body re-created with another value must not reuse the
# program staged for the last one.
STEPS = 0


def test_bodies_reading_a_changed_global_are_staged_again() -> None:
    global STEPS
    x = fnp.asarray(np.ones((2, 2)))
    for STEPS in (2, 1, 3):     # noqa: B023 below: reading the changing global is the point
        f = fg.jit(lambda a: lax.while_loop(lambda c: c[0] < STEPS,  # noqa: B023
                                            lambda c: (c[0] + 1, c[1] * 2.0), (0, a))[1])
        close(f(x), np.full((2, 2), 2.0 ** STEPS))
        close(lax.fori_loop(0, 2, lambda i, c: c * STEPS, 1.0), float(STEPS) ** 2)  # noqa: B023
        close(lax.cond(True, lambda c: c + STEPS, lambda c: c, 1.0), 1.0 + STEPS)  # noqa: B023
