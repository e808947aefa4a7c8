"""funcgrad.debug and the host callbacks (pure_callback, io_callback): values,
program order, every transformation, and errors raised inside a callback."""
from __future__ import annotations

import io
import sys

import numpy as np
import pytest
import scipy.special

import funcgrad as fg
import funcgrad.numpy as fnp
from funcgrad import lax
from funcgrad.errors import UnsupportedError

S = fg.ShapeDtypeStruct


def lines(capfd: pytest.CaptureFixture[str]) -> list[str]:
    return capfd.readouterr().out.splitlines()


# ---------------------------------------------------------------------------
# debug.print


def test_print_eager_and_jit_match_jax(capfd: pytest.CaptureFixture[str]) -> None:
    import jax
    jax.config.update("jax_enable_x64", True)

    def f(x, i):
        fg.debug.print("step {i}: loss={l:.3e} x={x}", i=i, l=(x ** 2).sum(), x=x)
        return x * 2

    def g(x, i):
        jax.debug.print("step {i}: loss={l:.3e} x={x}", i=i, l=(x ** 2).sum(), x=x)
        return x * 2

    x = np.arange(3.0)
    f(fnp.asarray(x), 4)
    fg.jit(f)(fnp.asarray(x), 4)
    ours = lines(capfd)
    jax.jit(g)(x, 4)
    jax.effects_barrier()
    theirs = lines(capfd)
    assert ours == theirs * 2 == ["step 4: loss=5.000e+00 x=[0. 1. 2.]"] * 2


def test_print_under_vmap_prints_each_lane(capfd: pytest.CaptureFixture[str]) -> None:
    def f(x):
        fg.debug.print("lane {}", x)
        return x + 1
    out = fg.jit(fg.vmap(f))(fnp.arange(3.0))
    assert out.tolist() == [1.0, 2.0, 3.0]
    assert lines(capfd) == ["lane 0.0", "lane 1.0", "lane 2.0"]
    fg.vmap(f)(fnp.arange(2.0))       # eager vmap: the same
    assert lines(capfd) == ["lane 0.0", "lane 1.0"]


def test_print_under_grad_shows_primals(capfd: pytest.CaptureFixture[str]) -> None:
    def f(x):
        fg.debug.print("x={}", x)
        return fnp.sin(x) * x
    g = fg.grad(f)(1.0)
    assert np.isclose(g, np.sin(1.0) + np.cos(1.0))
    assert lines(capfd) == ["x=1.0"]
    fg.jit(fg.grad(f))(2.0)
    assert lines(capfd) == ["x=2.0"]
    fg.hessian(f)(3.0)
    assert lines(capfd) == ["x=3.0"]


def test_print_in_scan_keeps_step_order_under_grad(capfd: pytest.CaptureFixture[str]) -> None:
    def body(c, x):
        fg.debug.print("c={c} x={x}", c=c, x=x)
        return fnp.sin(c) * x, c

    def loss(c0, xs):
        return lax.scan(body, c0, xs)[0]
    xs = fnp.array([1.0, 2.0])
    expected = ["c=0.5 x=1.0", f"c={np.sin(0.5)} x=2.0"]
    loss(0.5, xs)
    assert lines(capfd) == expected
    fg.jit(loss)(0.5, xs)
    assert lines(capfd) == expected
    fg.grad(loss)(0.5, xs)
    assert lines(capfd) == expected
    fg.jit(fg.grad(loss))(0.5, xs)
    assert lines(capfd) == expected


def test_print_in_control_flow(capfd: pytest.CaptureFixture[str]) -> None:
    def f(x, n):
        x = lax.cond(x > 0, lambda v: (fg.debug.print("pos {}", v), v)[1],
                     lambda v: (fg.debug.print("neg {}", v), -v)[1], x)

        def body(i):
            fg.debug.print("i={}", i)
            return i + 1
        lax.while_loop(lambda i: i < n, body, 0)       # result unused: still runs
        fg.debug.print("end")
        return x
    jf = fg.jit(f)
    assert jf(2.0, 2) == 2.0
    assert lines(capfd) == ["pos 2.0", "i=0", "i=1", "end"]
    assert jf(-1.0, 1) == 1.0
    assert lines(capfd) == ["neg -1.0", "i=0", "end"]


def test_effects_run_in_program_order() -> None:
    log: list[object] = []

    def f(x):
        fg.io_callback(lambda v: log.append(("io", float(v))), None, x, ordered=True)
        fg.debug.callback(lambda v: log.append(("dbg", float(v))), x * 2)
        fg.debug.print("{}", x)
        fg.io_callback(lambda v: log.append(("io", float(v))), None, x + 1, ordered=True)
        inner = fg.jit(lambda v: (fg.debug.callback(lambda w: log.append(("in", float(w))),
                                                    v), v)[1])
        return inner(x) * 3
    assert fg.jit(f)(1.0) == 3.0
    assert log == [("io", 1.0), ("dbg", 2.0), ("io", 2.0), ("in", 1.0)]
    text = fg.jit(f).lower(1.0).as_text()
    assert "!stablehlo.token" in text and "has_side_effect = true" in text


def test_print_two_call_form_and_format_errors(capfd: pytest.CaptureFixture[str]) -> None:
    fg.jit(lambda x: fg.debug.print(ordered=True)("v={v}", v=x))(1.5)
    assert lines(capfd) == ["v=1.5"]
    with pytest.raises(ValueError, match="has no keyword argument; pass y="):
        fg.jit(lambda x: fg.debug.print("v={y}", v=x))(1.0)
    with pytest.raises(ValueError, match="more {} fields"):
        fg.debug.print("{} {}", 1.0)
    assert lines(capfd) == []
    with pytest.raises(UnsupportedError, match="partitioned"):
        fg.debug.print("{}", 1.0, partitioned=True)


def test_debug_log_goes_to_logger(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("INFO", logger="funcgrad.debug"):
        fg.jit(lambda x: fg.debug.log("x={}", x))(2.0)
    assert [r.getMessage() for r in caplog.records] == ["x=2.0"]


# ---------------------------------------------------------------------------
# pure_callback


def test_pure_callback_values_and_transforms() -> None:
    def f(x):
        y = fg.pure_callback(scipy.special.ndtri, S(x.shape, x.dtype), x,
                             vmap_method="sequential")
        return y * 2
    x = np.array([0.1, 0.5, 0.9])
    want = scipy.special.ndtri(x) * 2
    np.testing.assert_allclose(f(fnp.asarray(x)), want)
    np.testing.assert_allclose(fg.jit(f)(fnp.asarray(x)), want)
    xb = np.stack([x, x / 2])
    np.testing.assert_allclose(fg.vmap(f)(fnp.asarray(xb)), scipy.special.ndtri(xb) * 2)
    assert fg.jit(f)(fnp.asarray(x)).dtype == np.float64


@pytest.mark.parametrize("method,shapes", [
    ("sequential", [((3,), (3,)), ((3,), (3,))]),
    ("expand_dims", [((2, 3), (1, 3))]),
    ("broadcast_all", [((2, 3), (2, 3))]),
])
def test_pure_callback_vmap_methods(method: str, shapes: list) -> None:
    calls = []

    def host(a, b):
        calls.append((a.shape, b.shape))
        return a * 2 + b
    f = fg.vmap(lambda x: fg.pure_callback(host, S(x.shape, x.dtype), x, fnp.ones(3),
                                           vmap_method=method))
    xs = fnp.arange(6.0).reshape(2, 3)
    for g in (f, fg.jit(f)):
        calls.clear()
        assert g(xs).tolist() == (np.arange(6.0).reshape(2, 3) * 2 + 1).tolist()
        assert calls == shapes


def test_pure_callback_needs_vmap_method_and_has_no_derivative() -> None:
    def f(x):
        return fg.pure_callback(np.sin, S((), np.float64), x)
    with pytest.raises(NotImplementedError, match="vmap_method='sequential'"):
        fg.vmap(f)(fnp.ones(2))
    with pytest.raises(UnsupportedError, match="pure_callback.*custom_jvp"):
        fg.grad(f)(1.0)
    with pytest.raises(ValueError, match="vmap_method must be one of"):
        fg.pure_callback(np.sin, S((), np.float64), 1.0, vmap_method="vectorized")


def test_pure_callback_with_custom_jvp_is_differentiable() -> None:
    @fg.custom_jvp
    def ndtri(p):
        return fg.pure_callback(scipy.special.ndtri, S(p.shape, p.dtype), p,
                                vmap_method="expand_dims")

    @ndtri.defjvp
    def _(primals, tangents):
        (p,), (t,) = primals, tangents
        y = ndtri(p)
        return y, t * np.sqrt(2 * np.pi) * fnp.exp(y ** 2 / 2)
    p = fnp.array([0.2, 0.7])
    g = fg.jit(fg.grad(lambda p: ndtri(p).sum()))(p)
    y = scipy.special.ndtri(np.array([0.2, 0.7]))
    np.testing.assert_allclose(g, np.sqrt(2 * np.pi) * np.exp(y ** 2 / 2))


def test_unused_pure_callback_is_dropped_but_io_callback_runs() -> None:
    calls = []

    def f(x):
        fg.pure_callback(lambda v: calls.append("pure") or v, S((), np.float64), x)
        fg.io_callback(lambda v: calls.append("io"), None, x)
        return x
    fg.jit(f)(1.0)
    assert calls == ["io"]


def test_pytree_arguments_and_results() -> None:
    def host(d, scale=1.0):
        return {"sum": d["a"] + d["b"] * scale, "n": np.int64(d["a"].size)}
    out = fg.jit(lambda a, b: fg.pure_callback(
        host, {"sum": S((2,), np.float64), "n": S((), np.int64)}, {"a": a, "b": b},
        scale=3.0))(fnp.ones(2), fnp.arange(2.0))
    assert out["sum"].tolist() == [1.0, 4.0] and int(out["n"]) == 2
    assert out["n"].dtype == np.int64


# ---------------------------------------------------------------------------
# io_callback


def test_io_callback_results_and_vmap() -> None:
    seen = []

    def write(v):
        seen.append(float(v))
        return v + 1
    out = fg.jit(lambda x: fg.io_callback(write, S((), np.float64), x))(2.0)
    assert out == 3.0 and seen == [2.0]
    seen.clear()
    f = fg.vmap(lambda x: fg.io_callback(write, S((), np.float64), x))
    assert f(fnp.array([1.0, 5.0])).tolist() == [2.0, 6.0] and seen == [1.0, 5.0]
    with pytest.raises(ValueError, match="ordered=True"):
        fg.vmap(lambda x: fg.io_callback(write, S((), np.float64), x, ordered=True))(
            fnp.ones(2))
    with pytest.raises(UnsupportedError, match="sharding"):
        fg.io_callback(write, None, 1.0, sharding=object())


# ---------------------------------------------------------------------------
# errors inside callbacks


def test_callback_that_raises_names_the_callback_and_the_next_call_works() -> None:
    def exploding(v):
        if v > 10:
            raise ValueError("too big")
        return v

    f = fg.jit(lambda x: fg.pure_callback(exploding, S((), np.float64), x) + 1)
    with pytest.raises(fg.CallbackError, match="exploding raised ValueError: too big") as ei:
        f(20.0)
    assert isinstance(ei.value.__cause__, ValueError)
    assert f(1.0) == 2.0                     # the cached executable still works
    with pytest.raises(fg.CallbackError, match="exploding") as ei:     # eagerly too
        fg.pure_callback(exploding, S((), np.float64), 20.0)
    assert isinstance(ei.value.__cause__, ValueError)
    with pytest.raises(fg.CallbackError, match="debug.callback: the callback .*boom"):
        fg.jit(lambda x: fg.debug.callback(boom, x))(1.0)


def boom(v):
    raise KeyError("boom")


def test_callback_results_must_keep_their_promise() -> None:
    with pytest.raises(fg.CallbackError, match="dtype float32 for result 0.*float64"):
        fg.jit(lambda x: fg.pure_callback(lambda a: a.astype(np.float32),
                                          S((), np.float64), x))(1.0)
    with pytest.raises(fg.CallbackError, match=r"shape \(2,\).*promise shape \(3,\)"):
        fg.pure_callback(lambda: np.zeros(2), S((3,), np.float64))
    with pytest.raises(fg.CallbackError, match="structure"):
        fg.jit(lambda x: fg.pure_callback(lambda a: (a, a), S((), np.float64), x))(1.0)
    with pytest.raises(TypeError, match="ShapeDtypeStruct"):
        fg.pure_callback(np.sin, (3,), 1.0)


# ---------------------------------------------------------------------------
# breakpoint


def test_breakpoint_eager_and_under_jit(monkeypatch: pytest.MonkeyPatch,
                                        capfd: pytest.CaptureFixture[str]) -> None:
    def f(x):
        y = x * 2
        k = 7
        fg.debug.breakpoint()
        return y + k
    monkeypatch.setattr(sys, "stdin", io.StringIO("p y.tolist()\np k\nc\n"))
    assert f(fnp.arange(3.0)).tolist() == [7.0, 9.0, 11.0]
    out = capfd.readouterr().out
    assert "[0.0, 2.0, 4.0]" in out and "\n(fgdb) 7" in out and "test_debug_callbacks" in out
    monkeypatch.setattr(sys, "stdin", io.StringIO("p float(y.sum())\nc\n"))
    assert fg.jit(f)(fnp.arange(3.0)).tolist() == [7.0, 9.0, 11.0]
    assert "6.0" in capfd.readouterr().out
    with pytest.raises(UnsupportedError, match="backend"):
        fg.debug.breakpoint(backend="web")
    with pytest.raises(UnsupportedError, match="filter_frames=True"):
        fg.debug.breakpoint(filter_frames=False)
