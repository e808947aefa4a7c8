"""Execution, caches, jit options, tracers as Arrays, threads and memory.

Nothing may be silently wrong: caches stay bounded and consistent, options
are honoured or refused, donated buffers cannot be read after the fact,
threads get the serial answer, failed calls leave no trace and results are
bit-for-bit repeatable.
"""
from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import funcgrad as fg
import funcgrad.numpy as fnp
from funcgrad import dispatch, eager
from funcgrad.config import LRUCache
from funcgrad.errors import ConcretizationError, ShapeError


@pytest.fixture
def small_caches() -> Iterator[int]:
    old = fg.config.cache_size
    fg.config.update("cache_size", 8)
    try:
        yield 8
    finally:
        fg.config.update("cache_size", old)


def _rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS in /proc/self/status")


# ---------------------------------------------------------------------------
# 1. bounded caches


def test_a_jitted_function_keeps_at_most_cache_size_signatures(small_caches: int) -> None:
    traces = []

    def f(x):
        traces.append(x.shape)
        return x * 2.0 + 1.0

    jf = fg.jit(f)
    for n in range(1, 25):
        np.testing.assert_array_equal(np.asarray(jf(np.ones(n))), np.full(n, 3.0))
        assert jf._cache_size() <= small_caches
    assert len(jf._staged) <= small_caches
    info = fg.cache_info()["jit executables"]
    assert info["maxsize"] == small_caches
    # least recently used goes first: a signature in use survives the others
    hot = fnp.ones(3)
    jf(hot)
    n_traces = len(traces)
    for n in range(30, 40):
        jf(hot)
        jf(np.ones(n))
    assert traces.count((3,)) == 2 and len(traces) == n_traces + 10


def test_every_cache_is_bounded(small_caches: int) -> None:
    def step(x):
        return fnp.tanh(x @ x.T).sum() + fg.lax.cond(x.sum() > 0, lambda v: v, lambda v: -v,
                                                       x.mean())

    for n in range(1, 11):
        x = fnp.ones((n, 2)) / n
        fnp.sin(x) * 2.0 + n          # eager ops, a new scalar each time
        fg.grad(step)(x)               # eager grad, control flow
        fg.vmap(lambda r, n=n: r * n)(x)
        fg.jit(step)(x)
    for name, info in fg.cache_info().items():
        assert info["entries"] <= info["caches"] * small_caches, (name, info)
    assert eager.cache_size() <= small_caches


def test_lowering_the_bound_trims_every_cache_now() -> None:
    old = fg.config.cache_size
    jf = fg.jit(lambda x: x + 1)
    for n in range(1, 7):
        jf(np.ones(n))
    assert jf._cache_size() == 6
    try:
        fg.config.update("cache_size", 2)
        assert jf._cache_size() == 2
        assert all(i["entries"] <= i["caches"] * 2 for i in fg.cache_info().values())
    finally:
        fg.config.update("cache_size", old)


@pytest.mark.parametrize("bad", [0, -3, 2.5, "16", True, None])
def test_cache_size_must_be_a_positive_int(bad: object) -> None:
    old = fg.config.cache_size
    with pytest.raises(ValueError, match="cache_size.*positive int"):
        fg.config.update("cache_size", bad)
    assert fg.config.cache_size == old


def test_clear_caches_empties_all_and_the_next_call_works() -> None:
    traces = []

    def f(x):
        traces.append(1)
        return fnp.cos(x) * 3.0

    jf = fg.jit(f)
    x = fnp.linspace(0.0, 1.0, 5)
    want = np.asarray(jf(x))
    fnp.exp(x)
    fg.grad(lambda v: fnp.sum(v ** 2))(x)
    fg.clear_caches()
    assert all(i["entries"] == 0 for i in fg.cache_info().values()), fg.cache_info()
    np.testing.assert_array_equal(np.asarray(jf(x)), want)
    assert len(traces) == 2


def test_changing_the_default_float_clears_every_cache() -> None:
    jf = fg.jit(lambda x: x * 0.5)
    jf(fnp.ones(3))
    fnp.sin(fnp.ones(2))
    try:
        fg.config.update("default_float", "float32")
        assert all(i["entries"] == 0 for i in fg.cache_info().values())
        assert jf(1.0).dtype == np.float32
    finally:
        fg.config.update("default_float", "float64")
    assert jf(1.0).dtype == np.float64


def test_cache_info_reports_executables_memory() -> None:
    jf = fg.jit(lambda a, b: (a @ b).sum(axis=0))
    jf(np.ones((16, 16)), np.ones((16, 16)))
    info = fg.cache_info()
    for name in ("jit executables", "executables", "eager grad executables"):
        assert {"entries", "caches", "maxsize", "executables", "code_bytes",
                "temp_bytes", "text_bytes"} <= set(info[name])
    jit_info = info["jit executables"]
    assert jit_info["executables"] >= 1 and jit_info["text_bytes"] > 100
    assert jit_info["code_bytes"] >= 0 and jit_info["temp_bytes"] >= 0


def test_lru_cache_is_thread_safe_and_bounded(small_caches: int) -> None:
    cache = LRUCache("test scratch")
    errors: list[BaseException] = []

    def work(t: int) -> None:
        try:
            for i in range(2000):
                cache.put((t, i % 50), i)
                cache.lookup((t, (i * 7) % 50))
                if i % 97 == 0:
                    cache.trim()
        except BaseException as e:   # noqa: BLE001  (collected for the assert below)
            errors.append(e)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(cache) <= small_caches
    # put keeps the first value: concurrent builders share one object
    assert cache.put("k", 1) == 1 and cache.put("k", 2) == 1


# ---------------------------------------------------------------------------
# 2. donation and the other options


def test_donated_array_is_consumed_and_then_refused() -> None:
    f = fg.jit(lambda x, y: x * 2.0 + y, donate_argnums=0)
    x, y = fnp.arange(4.0), fnp.ones(4)
    out = f(x, y)
    np.testing.assert_array_equal(np.asarray(out), [1.0, 3.0, 5.0, 7.0])
    assert x.is_deleted() and not y.is_deleted() and not out.is_deleted()
    assert "donated" in repr(x)
    n_eager, n_jit = eager.cache_size(), f._cache_size()
    for use in (lambda: x + 1, lambda: np.asarray(x), lambda: f(x, y), lambda: x.tolist(),
                lambda: fg.jit(lambda a: a)(x), lambda: x.block_until_ready()):
        with pytest.raises(RuntimeError, match="donated to a jitted function.*keep a copy"):
            use()
    assert (eager.cache_size(), f._cache_size()) == (n_eager, n_jit)
    np.testing.assert_array_equal(np.asarray(f(fnp.arange(4.0), y)), [1.0, 3.0, 5.0, 7.0])


def test_a_copy_survives_the_donation_of_the_original() -> None:
    f = fg.jit(lambda x: x + 1.0, donate_argnums=(0,))
    x = fnp.arange(3.0)
    keep, also = fnp.copy(x), fnp.array(x)
    f(x)
    assert x.is_deleted() and not keep.is_deleted() and not also.is_deleted()
    np.testing.assert_array_equal(np.asarray(keep), [0.0, 1.0, 2.0])
    np.testing.assert_array_equal(np.asarray(also), [0.0, 1.0, 2.0])


def test_donation_never_consumes_shared_buffers() -> None:
    f = fg.jit(lambda x, y: x * 2.0 + y, donate_argnums=0)
    z = fnp.arange(4.0)        # passed twice: its buffer is read by the other argument
    np.testing.assert_array_equal(np.asarray(f(z, z)), [0.0, 3.0, 6.0, 9.0])
    assert not z.is_deleted()
    c = fnp.ones(4)            # a constant of the function and the donated argument
    g = fg.jit(lambda x: x + c, donate_argnums=0)
    for _ in range(2):
        np.testing.assert_array_equal(np.asarray(g(c)), np.full(4, 2.0))
    assert not c.is_deleted()
    for _ in range(2):        # a Python scalar's buffer is cached and shared
        np.testing.assert_array_equal(np.asarray(f(3.0, fnp.zeros(2))), [6.0, 6.0])
    np.testing.assert_array_equal(np.asarray(fnp.full(2, 3.0) * 1.0), [3.0, 3.0])
    h = fg.jit(lambda x: x + x, donate_argnums=0)    # used twice inside the function
    np.testing.assert_array_equal(np.asarray(h(fnp.arange(3.0))), [0.0, 2.0, 4.0])


def test_donation_is_ignored_under_transformations() -> None:
    f = fg.jit(lambda x: fnp.sin(x) * x, donate_argnums=0)
    x = fnp.linspace(0.1, 1.0, 4)
    g = fg.grad(lambda v: f(v).sum())(x)
    np.testing.assert_allclose(np.asarray(g), np.cos(np.asarray(x)) * np.asarray(x)
                               + np.sin(np.asarray(x)))
    fg.vmap(f)(x)
    fg.jit(lambda v: f(v) + 1)(x)
    fg.jvp(f, (x,), (x,))
    assert not x.is_deleted()


def test_donate_argnames_by_keyword_and_by_position() -> None:
    f = fg.jit(lambda a, b: a + b, donate_argnames="b")
    a, b = fnp.ones(2), fnp.ones(2)
    np.testing.assert_array_equal(np.asarray(f(a, b=b)), [2.0, 2.0])
    assert b.is_deleted() and not a.is_deleted()
    b = fnp.ones(2)
    f(a, b)
    assert b.is_deleted() and not a.is_deleted()
    tree_arg = {"p": fnp.ones(2), "q": fnp.zeros(2)}
    g = fg.jit(lambda t, s: (t["p"] + s, t["q"] * s), donate_argnums=0)
    p, q = g(tree_arg, fnp.ones(2))
    assert tree_arg["p"].is_deleted() and tree_arg["q"].is_deleted()
    np.testing.assert_array_equal(np.asarray(p), [2.0, 2.0])
    np.testing.assert_array_equal(np.asarray(q), [0.0, 0.0])


def test_donation_shows_in_the_lowered_module_and_compiled_calls_donate() -> None:
    f = fg.jit(lambda x, y: x + y, donate_argnums=1)
    x = fnp.ones(3)
    text = f.lower(x, x).as_text()
    assert text.count("jax.buffer_donor = true") == 1
    assert "%arg1: tensor<3xf64> {jax.buffer_donor = true}" in text
    compiled = f.lower(x, x).compile()
    y = fnp.ones(3)
    compiled(x, y)
    assert y.is_deleted() and not x.is_deleted()


def test_bad_donation_options_are_refused() -> None:
    with pytest.raises(ValueError, match="both static and donated"):
        fg.jit(lambda x, n: x, static_argnums=1, donate_argnums=1)
    with pytest.raises(ValueError, match="donate_argnums=3 is out of range"):
        fg.jit(lambda x: x, donate_argnums=3)
    with pytest.raises(TypeError, match="donate_argnames takes parameter names"):
        fg.jit(lambda x: x, donate_argnames=(0,))


def test_other_options_are_honoured() -> None:
    d = fg.devices()[0]
    assert fnp.fft.fftfreq(4, device=d).device == d
    assert fnp.fft.rfftfreq(4, device=d).device == d
    x = fnp.ones(3)
    assert x.astype(np.float64)._buf is not x._buf
    assert x.astype(np.float64, copy=False) is x
    assert fnp.asarray(x) is x and fnp.asarray(x, copy=True)._buf is not x._buf
    with pytest.raises(ValueError, match="copy=False"):
        np.asarray(x, dtype=np.float32, copy=False)
    with pytest.raises(NotImplementedError, match="out="):
        fnp.sin(x, out=x)


# ---------------------------------------------------------------------------
# 3. tracers are Arrays


def _checked(x):
    if not isinstance(x, fg.Array):
        raise TypeError(f"expected an Array, got {type(x).__name__}")
    return fnp.sin(x) * 2.0


@pytest.mark.parametrize("transform", ["eager", "jit", "grad", "vmap", "jvp", "vjp", "jacfwd"])
def test_tracers_are_arrays(transform: str) -> None:
    x = fnp.linspace(0.0, 1.0, 3)
    want = 2.0 * np.sin(np.asarray(x))
    if transform == "eager":
        got = _checked(x)
    elif transform == "jit":
        got = fg.jit(_checked)(x)
    elif transform == "grad":
        got = fg.grad(lambda v: _checked(v).sum())(x)
        want = 2.0 * np.cos(np.asarray(x))
    elif transform == "vmap":
        got = fg.vmap(_checked)(x)
    elif transform == "jvp":
        got = fg.jvp(_checked, (x,), (fnp.ones(3),))[0]
    elif transform == "vjp":
        got = fg.vjp(_checked, x)[0]
    else:
        got = np.diag(np.asarray(fg.jacfwd(_checked)(x)))
        want = 2.0 * np.cos(np.asarray(x))
    np.testing.assert_allclose(np.asarray(got), want, rtol=1e-14)


def test_array_type_checks_keep_their_meaning() -> None:
    seen = []

    def f(x):
        seen.append((isinstance(x, fg.Array), type(x) is fg.Array, issubclass(type(x), fg.Array)))
        return x

    fg.jit(f)(fnp.ones(2))
    assert seen == [(True, False, True)]
    assert isinstance(fnp.ones(2), fg.Array) and type(fnp.ones(2)) is fg.Array
    for other in (np.ones(2), 1.0, [1.0], jnp.ones(2), None):
        assert not isinstance(other, fg.Array)


# ---------------------------------------------------------------------------
# 4. threads


def _run_threads(fn, n: int = 8) -> list:  # type: ignore[no-untyped-def]
    results: list = [None] * n
    errors: list[BaseException] = []
    barrier = threading.Barrier(n)

    def work(i: int) -> None:
        try:
            barrier.wait()
            results[i] = fn(i)
        except BaseException as e:   # noqa: BLE001  (collected for the assert below)
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    return results


def test_threads_first_compiling_one_jitted_function() -> None:
    def f(x, w):
        return fnp.tanh(x @ w).sum(axis=0) + fg.lax.cond(x.sum() > 0, lambda: 1.0, lambda: 2.0)

    jf = fg.jit(f)
    rng = np.random.default_rng(0)
    xs = [rng.normal(size=(4 + i % 2, 3)) for i in range(8)]
    w = rng.normal(size=(3, 2))

    def work(i: int) -> list[bytes]:
        return [np.asarray(jf(fnp.asarray(xs[i]), w)).tobytes() for _ in range(5)]

    threaded = _run_threads(work)
    serial = [np.asarray(fg.jit(f)(fnp.asarray(x), w)).tobytes() for x in xs]
    for got, want in zip(threaded, serial, strict=True):
        assert got == [want] * 5
    assert jf._cache_size() == 2        # one entry per signature, duplicates dropped


def test_threads_running_eager_ops_and_eager_grad() -> None:
    rng = np.random.default_rng(1)
    data = [rng.normal(size=(5,)) for _ in range(8)]

    def loss(v):
        return fnp.sum(fnp.sin(v) ** 2) / (1.0 + fnp.max(v) ** 2)

    def work(i: int) -> tuple[bytes, bytes]:
        x = fnp.asarray(data[i])
        eager_out = fnp.exp(x) * 0.5 - fnp.cumsum(x)
        return np.asarray(eager_out).tobytes(), np.asarray(fg.grad(loss)(x)).tobytes()

    threaded = _run_threads(work)
    for i, (e, g) in enumerate(threaded):
        x = fnp.asarray(data[i])
        assert e == np.asarray(fnp.exp(x) * 0.5 - fnp.cumsum(x)).tobytes()
        assert g == np.asarray(fg.grad(loss)(x)).tobytes()
    want = jax.grad(lambda v: jnp.sum(jnp.sin(v) ** 2) / (1.0 + jnp.max(v) ** 2))(data[0])
    np.testing.assert_allclose(np.frombuffer(threaded[0][1]), want, rtol=1e-13)


def test_trace_context_is_per_thread() -> None:
    inside = threading.Event()
    release = threading.Event()
    seen = []

    def slow(x):
        inside.set()
        release.wait(10)
        return x + 1

    t = threading.Thread(target=lambda: seen.append(fg.jit(slow)(fnp.ones(2))))
    t.start()
    assert inside.wait(10)
    # another thread is mid-trace: this one is still eager
    y = fnp.ones(2) * 3.0
    assert type(y) is fg.Array
    release.set()
    t.join()
    np.testing.assert_array_equal(np.asarray(seen[0]), [2.0, 2.0])


# ---------------------------------------------------------------------------
# 5. memory


@pytest.mark.slow
def test_memory_stays_flat_over_many_calls() -> None:
    f = fg.jit(lambda x, y: x * y + 1.0)
    x, y = fnp.ones(8), fnp.ones(8)

    def jitted_calls() -> None:
        for _ in range(100_000):
            f(x, y)

    def eager_ops() -> None:
        for _ in range(100_000):
            fnp.sin(x)

    # warm-up: the same loops once, so the allocator has reached its working set
    # (jaxlib keeps a traceback per buffer, and its pools grow with the stack depth)
    jitted_calls()
    eager_ops()
    gc.collect()
    r0 = _rss_mb()
    jitted_calls()
    gc.collect()
    r1 = _rss_mb()
    eager_ops()
    gc.collect()
    r2 = _rss_mb()
    print(f"RSS growth: 100,000 jitted calls {r1 - r0:.2f} MB, "
          f"100,000 eager ops {r2 - r1:.2f} MB")
    assert r1 - r0 < 5.0, f"100,000 jitted calls grew RSS by {r1 - r0:.2f} MB"
    assert r2 - r1 < 5.0, f"100,000 eager ops grew RSS by {r2 - r1:.2f} MB"


@pytest.mark.slow
def test_memory_stops_growing_once_the_jit_cache_is_full() -> None:
    old = fg.config.cache_size
    fg.config.update("cache_size", 8)
    try:
        jf = fg.jit(lambda x: x * 2.0 + 1.0)
        for n in range(1, 31):          # fill the cache, and let the allocator settle
            jf(np.ones(n))
        gc.collect()
        r0 = _rss_mb()
        for n in range(31, 111):        # unbounded, 80 executables would keep ~20 MB
            jf(np.ones(n))
            assert jf._cache_size() <= 8
        gc.collect()
        grown = _rss_mb() - r0
    finally:
        fg.config.update("cache_size", old)
    assert grown < 6.0, f"80 more signatures grew RSS by {grown:.2f} MB with 8 kept"


# ---------------------------------------------------------------------------
# 6. failure isolation and determinism


def _sizes(jf: fg.jit) -> tuple[int, ...]:  # type: ignore[valid-type]
    return (jf._cache_size(), len(jf._staged), eager.cache_size(), len(dispatch.executables))


def test_failed_calls_cache_nothing_and_good_calls_keep_working() -> None:
    traces = []

    def f(x, w):
        traces.append(1)
        if w.ndim == 3:
            return "not an array"
        if w.ndim == 1 and w.shape[0] == 5:
            if x.sum() > 0:          # a traced value in `if`
                return x
        return x @ w

    jf = fg.jit(f)
    x = fnp.ones((2, 3))
    good = jf(x, fnp.ones((3, 4)))
    bad_shape, bad_if, bad_return = fnp.ones((5, 4)), fnp.ones(5), fnp.ones((1, 1, 1))
    before, n = _sizes(jf), len(traces)
    with pytest.raises(ShapeError, match=r"matmul.*\(2, 3\) and \(5, 4\)"):
        jf(x, bad_shape)
    with pytest.raises(ConcretizationError, match="lax.cond"):
        jf(x, bad_if)
    with pytest.raises(TypeError, match="returned a str, which is not an array"):
        jf(x, bad_return)
    assert _sizes(jf) == before
    again = jf(x, fnp.ones((3, 4)))
    assert len(traces) == n + 3          # the good signature was not traced again
    assert np.asarray(again).tobytes() == np.asarray(good).tobytes()


@given(st.sampled_from([3, 32]), st.sampled_from([1, 40]), st.integers(0, 2**31 - 1))
def test_results_are_bit_identical_across_runs(m: int, k: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=(m, k)), rng.normal(size=(k, 7))
    v = rng.normal(size=(m * k * 50,))

    def f(a, b, v):
        return (a @ b).sum(axis=1), fnp.sum(v), fnp.cumsum(v)[-1], fnp.mean(fnp.exp(a), axis=0)

    jf = fg.jit(f)
    args = [fnp.asarray(t) for t in (a, b, v)]
    runs = {"eager": [f(*args) for _ in range(3)], "jit": [jf(*args) for _ in range(3)]}
    for outs in runs.values():
        for o in outs[1:]:
            for p, q in zip(o, outs[0], strict=True):
                assert np.asarray(p).tobytes() == np.asarray(q).tobytes()
