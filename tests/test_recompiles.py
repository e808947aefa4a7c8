"""Retraces explained (`explain_recompiles`), phases timed (`log_compiles`), and
XLA's cost and memory analyses of a jitted function."""
from __future__ import annotations

import inspect
import logging
import re

import pytest

import funcgrad as fg
import funcgrad.numpy as fnp
from funcgrad import recompiles


@pytest.fixture
def switches():
    saved = (fg.config.explain_recompiles, fg.config.log_compiles)
    yield
    fg.config.update("explain_recompiles", saved[0])
    fg.config.update("log_compiles", saved[1])


def _explained(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records
            if r.name == "funcgrad" and "traced again" in r.getMessage()]


def _line() -> int:
    return inspect.currentframe().f_back.f_lineno


def test_each_kind_of_change_is_named(caplog, switches):
    fg.config.update("explain_recompiles", True)

    def scale(x, n=1):
        return x * n
    f = fg.jit(scale, static_argnums=1)
    with caplog.at_level(logging.WARNING, logger="funcgrad"):
        f(fnp.ones(3))
        assert _explained(caplog) == []          # a first trace is not a retrace
        here = _line() + 1
        f(fnp.ones(4))
        f(fnp.ones(4, dtype=fnp.float32))
        f(fnp.ones((), dtype=fnp.float32))
        f(2.0)
        f(fnp.ones(4), 5)
        f(fnp.ones(4), 6)
    msgs = _explained(caplog)
    assert len(msgs) == 6
    assert f"test_recompiles.py:{here} " in msgs[0]
    assert "jit-compiled function scale traced again (trace 2)" in msgs[0]
    assert "argument x changed from f64[3] to f64[4] (shape)" in msgs[0]
    assert "argument x changed from f64[4] to f32[4] (dtype)" in msgs[1]
    assert "from f32[] to f64[]" in msgs[3] and "a Python scalar now" in msgs[3]
    assert "weak type" in msgs[3]
    assert "static argument 'n' was not passed before, now 5" in msgs[4]
    assert "static argument 'n' changed from 5 to 6" in msgs[5]


def test_pytree_structure_and_nested_leaf_names(caplog, switches):
    fg.config.update("explain_recompiles", True)
    f = fg.jit(lambda params: sum(fg.tree.leaves(params)))
    with caplog.at_level(logging.WARNING, logger="funcgrad"):
        f({"w": fnp.ones(2), "b": fnp.ones(2)})
        f({"w": fnp.ones(3), "b": fnp.ones(3)})
        f({"w": fnp.ones(3)})
    msgs = _explained(caplog)
    assert len(msgs) == 2
    assert re.search(r"argument params\[.w.\] changed from f64\[2\] to f64\[3\]", msgs[0])
    assert "pytree structure changed" in msgs[1]


def test_default_explains_only_after_a_few_traces(caplog, switches):
    fg.config.update("explain_recompiles", None)
    f = fg.jit(lambda x: x + 1)
    with caplog.at_level(logging.WARNING, logger="funcgrad"):
        for n in range(1, recompiles.AUTO_AFTER + 1):
            f(fnp.ones(n))
        assert _explained(caplog) == []
        f(fnp.ones(recompiles.AUTO_AFTER + 1))
    msgs = _explained(caplog)
    assert len(msgs) == 1
    assert f"(trace {recompiles.AUTO_AFTER + 1})" in msgs[0]


def test_off_means_silent(caplog, switches):
    fg.config.update("explain_recompiles", False)
    f = fg.jit(lambda x: x + 1)
    with caplog.at_level(logging.WARNING, logger="funcgrad"):
        for n in range(1, 10):
            f(fnp.ones(n))
    assert _explained(caplog) == []


def test_a_cleared_cache_is_named_as_the_cause(caplog, switches):
    fg.config.update("explain_recompiles", True)
    f = fg.jit(lambda x: x * 2)
    with caplog.at_level(logging.WARNING, logger="funcgrad"):
        f(fnp.ones(2))
        f.clear_cache()
        f(fnp.ones(2))
    (msg,) = _explained(caplog)
    assert "traced before and its program was dropped" in msg


def test_a_cached_call_logs_nothing(caplog, switches):
    fg.config.update("explain_recompiles", True)
    fg.config.update("log_compiles", True)
    f = fg.jit(lambda x: x * 3)
    x = fnp.ones(2)
    f(x)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="funcgrad"):
        for _ in range(3):
            f(x)
    assert [r for r in caplog.records if r.name == "funcgrad"] == []


def test_log_compiles_times_each_phase(caplog, switches):
    fg.config.update("log_compiles", True)

    def my_function(x):
        return fnp.sin(x) * 2
    with caplog.at_level(logging.WARNING, logger="funcgrad"):
        fg.jit(my_function)(fnp.ones(5))
    msgs = [r.getMessage() for r in caplog.records if r.name == "funcgrad"]
    for phase in ("tracing", "lowering", "compiling"):
        assert any(re.fullmatch(rf"funcgrad: {phase} my_function took \d+\.\d\d ms", m)
                   for m in msgs), (phase, msgs)
    caplog.clear()
    fg.config.update("log_compiles", False)
    with caplog.at_level(logging.WARNING, logger="funcgrad"):
        fg.jit(my_function)(fnp.ones(6))
    assert [r for r in caplog.records if r.name == "funcgrad"] == []


def test_cost_analysis_counts_flops_and_transcendentals():
    n = 8
    f = fg.jit(lambda a, b: fnp.exp(a @ b))
    a = fnp.ones((n, n))
    costs = f.lower(a, a).cost_analysis()
    assert all(type(v) is float for v in costs.values())
    assert 2 * n ** 3 <= costs["flops"] <= 2 * n ** 3 + 2 * n * n
    assert costs["transcendentals"] == n * n
    assert costs["bytes accessed"] >= 3 * n * n * 8       # two f64 inputs and one output
    assert f.lower(a, a).compile().cost_analysis()["flops"] == costs["flops"]


def test_memory_analysis_sees_arguments_outputs_and_scratch():
    f = fg.jit(lambda x: fnp.cumsum(fnp.sort(x)[::-1] * 2.0)[:3])
    m = f.lower(fnp.ones(1000)).compile().memory_analysis()
    assert m.argument_size_in_bytes == 8000
    assert m.output_size_in_bytes == 24
    assert m.temp_size_in_bytes >= 8000        # the sorted copy lives in scratch memory


def test_funcgrads_own_jitted_helpers_are_explained_only_when_asked(caplog, switches):
    fg.config.update("explain_recompiles", None)
    with caplog.at_level(logging.WARNING, logger="funcgrad"):
        for n in range(recompiles.AUTO_AFTER + 3):       # fnp.exp is jitted inside funcgrad
            fnp.exp(fnp.ones(n + 100))
    assert _explained(caplog) == []
    fg.config.update("explain_recompiles", True)
    with caplog.at_level(logging.WARNING, logger="funcgrad"):
        fnp.exp(fnp.ones(99))
    assert len(_explained(caplog)) == 1
