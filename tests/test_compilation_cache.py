"""The persistent compilation cache: executables on disk (level 1) and traced programs
of jitted functions (level 2), their file format, eviction, keys and statistics.
Every test points the cache at its own temporary directory."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest

import funcgrad as fg
import funcgrad.numpy as fnp
from funcgrad import persistent
from funcgrad.config import config as fg_config
from funcgrad.xla_backend import compilation_cache as cc

import jax
import jax.numpy as jnp

jax.config.update("jax_enable_x64", True)


def _use(monkeypatch: pytest.MonkeyPatch, directory: object, min_secs: str = "0") -> None:
    monkeypatch.setenv(cc.ENV_DIR, str(directory))
    if hasattr(fg_config, "compilation_cache_dir"):
        monkeypatch.setattr(fg_config, "compilation_cache_dir", str(directory))
    monkeypatch.setenv(cc.ENV_MIN_SECS, min_secs)
    monkeypatch.delenv(cc.ENV_MAX_BYTES, raising=False)
    cc.reset_stats()


@pytest.fixture
def cache(tmp_path, monkeypatch):
    _use(monkeypatch, tmp_path)
    fg.clear_caches()
    yield tmp_path
    fg.clear_caches()


def _entries(directory, kind: str) -> list[str]:
    return sorted(n for n in os.listdir(directory) if n.startswith(kind + "-"))


# ---------------------------------------------------------------------------
# settings and the file format


def test_directory_from_the_environment(monkeypatch, tmp_path):
    for off in ("", "0"):
        _use(monkeypatch, off)
        assert cc.cache_dir() is None
    _use(monkeypatch, "~/some/where")
    assert cc.cache_dir() == os.path.join(os.path.expanduser("~"), "some", "where")
    _use(monkeypatch, tmp_path)
    monkeypatch.setenv(cc.ENV_MAX_BYTES, "many")
    with pytest.raises(ValueError, match=f"{cc.ENV_MAX_BYTES}='many' is not a number"):
        cc.max_bytes()
    monkeypatch.setenv(cc.ENV_MIN_SECS, "-1")
    with pytest.raises(ValueError, match="negative"):
        cc.min_seconds()


def test_round_trip_is_atomic_and_plain(cache):
    assert cc.write("exe", "k1", b"payload bytes")
    assert cc.read("exe", "k1") == b"payload bytes"
    assert cc.read("exe", "missing") is None
    assert os.listdir(cache) == ["exe-k1.bin"]      # no temporary file left behind
    raw = (cache / "exe-k1.bin").read_bytes()
    assert raw[:4] == b"FGCC" and raw.endswith(b"payload bytes")
    with pytest.raises(ValueError, match="unknown cache entry kind"):
        cc.read("pickle", "k1")


@pytest.mark.parametrize("damage,why", [
    (lambda b: b[:10], "truncated"),
    (lambda b: b[:-3], "truncated"),
    (lambda b: b"XXXX" + b[4:], "bad magic"),
    (lambda b: b[:-1] + bytes([b[-1] ^ 1]), "checksum"),
    (lambda b: b[:4] + (99).to_bytes(4, "little") + b[8:], "format version 99"),
])
def test_a_bad_entry_warns_and_is_removed(cache, damage, why):
    cc.write("exe", "k", b"x" * 100)
    path = cache / "exe-k.bin"
    path.write_bytes(damage(path.read_bytes()))
    with pytest.warns(RuntimeWarning, match=why) as record:
        assert cc.read("exe", "k") is None
    assert str(path) in str(record[0].message)
    assert not path.exists()


def test_least_recently_used_entries_are_evicted(cache, monkeypatch):
    for i in range(3):
        cc.write("exe", f"k{i}", bytes(1000))
        os.utime(cache / f"exe-k{i}.bin", ns=(10**18 + i, 10**18 + i))
    cc.read("exe", "k0")                  # a hit makes k0 the most recently used
    size = (cache / "exe-k0.bin").stat().st_size
    monkeypatch.setenv(cc.ENV_MAX_BYTES, str(3 * size))
    cc.write("exe", "k3", bytes(1000))
    assert _entries(cache, "exe") == ["exe-k0.bin", "exe-k2.bin", "exe-k3.bin"]
    cc.write("exe", "too-big", bytes(4 * size))      # larger than the whole cache: not kept
    assert not (cache / "exe-too-big.bin").exists()
    stale = cache / ".tmp-left-behind.bin"           # a writer killed mid-write
    stale.write_bytes(b"partial")
    os.utime(stale, (0, 0))
    cc.write("exe", "k4", b"")
    assert not stale.exists()


# ---------------------------------------------------------------------------
# level 1: executables


def _mlp_loss(params, x):
    h = x
    for w, b in params:
        h = fnp.tanh(h @ w + b)
    return fnp.sum(h ** 2)


def _jax_mlp_loss(params, x):
    h = x
    for w, b in params:
        h = jnp.tanh(h @ w + b)
    return jnp.sum(h ** 2)


def _mlp_inputs():
    rng = np.random.default_rng(0)
    params = [(rng.normal(size=(4, 5)), rng.normal(size=5)), (rng.normal(size=(5, 3)),
                                                               rng.normal(size=3))]
    return params, rng.normal(size=(6, 4))


def test_a_loaded_executable_computes_the_same_bits(cache, monkeypatch):
    monkeypatch.setattr(persistent, "eligible", lambda *a: False)     # level 1 alone
    params, x = _mlp_inputs()
    first = fg.jit(fg.grad(_mlp_loss))(params, x)
    assert cc.stats()["executable_writes"] >= 1
    assert len(_entries(cache, "exe")) == cc.stats()["executable_writes"]
    fg.clear_caches()
    cc.reset_stats()
    again = fg.jit(fg.grad(_mlp_loss))(params, x)
    assert cc.stats()["executable_hits"] >= 1 and cc.stats()["executable_misses"] == 0
    expected = jax.jit(jax.grad(_jax_mlp_loss))(params, x)
    for (w1, b1), (w2, b2), (wj, bj) in zip(first, again, expected, strict=True):
        for a, b, j in ((w1, w2, wj), (b1, b2, bj)):
            assert np.asarray(a).dtype == np.float64
            assert np.asarray(a).tobytes() == np.asarray(b).tobytes()
            np.testing.assert_allclose(np.asarray(b), np.asarray(j), rtol=1e-12)


def test_slow_enough_only_and_off_means_off(tmp_path, monkeypatch):
    _use(monkeypatch, tmp_path, min_secs="1000")
    fg.clear_caches()
    fg.jit(lambda x: x * 3.0)(np.arange(3.0))
    s = cc.stats()
    assert s["executable_misses"] >= 1 and s["executable_writes"] == 0
    assert s["trace_misses"] == 1 and s["trace_writes"] == 0
    assert not os.listdir(tmp_path)
    _use(monkeypatch, "")
    fg.clear_caches()
    fg.jit(lambda x: x * 4.0)(np.arange(3.0))
    assert cc.stats() == dict.fromkeys(cc.stats(), 0)
    fg.clear_caches()


def test_programs_with_host_callbacks_are_never_stored(cache, capfd):
    def f(x):
        fg.debug.print("x = {}", x)
        return x + 1

    np.testing.assert_array_equal(np.asarray(fg.jit(f)(np.arange(2.0))), [1.0, 2.0])
    assert "x = " in capfd.readouterr().out
    assert _entries(cache, "trace") == []
    fg.clear_caches()
    cc.reset_stats()
    fg.jit(f)(np.arange(2.0))
    assert "x = " in capfd.readouterr().out
    assert cc.stats()["executable_hits"] == 0 and cc.stats()["trace_hits"] == 0


# ---------------------------------------------------------------------------
# level 2: traced programs, in this process (a new jit object, in-memory caches empty)

SCALE = 2.0


def _scaled(x, y):
    return {"sum": fnp.sin(x) * SCALE + y, "both": (x, [y * 2])}


def test_a_new_jit_of_the_same_function_loads_its_trace(cache):
    x, y = np.linspace(0.0, 1.0, 5), np.float32(3.0)
    first = fg.jit(_scaled)(x, y)
    assert cc.stats()["trace_writes"] == 1
    fg.clear_caches()
    cc.reset_stats()
    again = fg.jit(_scaled)(x, y)
    assert cc.stats()["trace_hits"] == 1
    assert fg.tree_util.tree_structure(again) == fg.tree_util.tree_structure(first)
    for a, b in zip(fg.tree_util.tree_leaves(first), fg.tree_util.tree_leaves(again),
                    strict=True):
        assert a.dtype == b.dtype and a.shape == b.shape
        assert np.asarray(a).tobytes() == np.asarray(b).tobytes()
    np.testing.assert_allclose(np.asarray(again["sum"]), np.sin(x) * 2.0 + 3.0)
    # another signature (a weak-typed Python scalar) is another entry
    fg.jit(_scaled)(x, 3.0)
    assert cc.stats()["trace_misses"] == 1


def test_closures_of_one_library_function_are_told_apart(cache):
    from funcgrad.example_libraries import optimizers as fo
    smooth = fo.inverse_time_decay(1.0, 2, 0.5)
    stairs = fo.inverse_time_decay(1.0, 2, 0.5, staircase=True)
    assert float(fg.jit(smooth)(3)) == 1.0 / (1 + 0.5 * 3 / 2)
    assert float(fg.jit(stairs)(3)) == 1.0 / (1 + 0.5 * 1)
    assert cc.stats()["trace_hits"] == 0


def test_a_corrupt_trace_entry_is_retraced_and_overwritten(cache):
    x = np.arange(3.0)
    want = np.asarray(fg.jit(_scaled)(x, 1.0)["sum"])
    (path,) = [cache / n for n in _entries(cache, "trace")]
    path.write_bytes(path.read_bytes()[:-5])
    fg.clear_caches()
    cc.reset_stats()
    with pytest.warns(RuntimeWarning, match="truncated"):
        got = fg.jit(_scaled)(x, 1.0)["sum"]
    np.testing.assert_array_equal(np.asarray(got), want)
    assert cc.stats()["trace_misses"] == 1 and cc.stats()["trace_writes"] == 1
    assert cc.read("trace", path.name[len("trace-"):-len(".bin")]) is not None


def test_captured_constants_and_donation_survive(cache):
    table = np.arange(6.0).reshape(2, 3)

    def f(x):
        return x + fnp.asarray(table)

    g = fg.jit(f, donate_argnums=0)
    out = g(fnp.ones((2, 3)))
    fg.clear_caches()
    cc.reset_stats()
    x = fnp.ones((2, 3))
    again = fg.jit(f, donate_argnums=0)(x)
    assert cc.stats()["trace_hits"] == 1
    np.testing.assert_array_equal(np.asarray(again), np.asarray(out))
    assert x.is_deleted()


class _Model:
    def __init__(self) -> None:
        self.w = 2.0

    def apply(self, x):
        return x * self.w


def _calls_print(x):
    print("tracing")
    return x + 1


@pytest.mark.parametrize("make", [
    lambda: _Model().apply,                                 # a method bound to an object
    lambda: (lambda calls: (lambda x: calls.append(1) or x * 2))([]),   # a list it changes
    lambda: _calls_print,                                   # a side effect while tracing
    lambda: (lambda m: (lambda x: x * m.w))(_Model()),      # an object of a user class
], ids=["bound-method", "mutable-closure", "print", "user-object"])
def test_what_cannot_be_keyed_is_traced(cache, make, capsys):
    fun = make()
    out = fg.jit(fun)(np.arange(3.0))
    assert np.asarray(out).dtype == np.float64
    assert cc.stats()["trace_uncacheable"] == 1
    assert _entries(cache, "trace") == []


def test_nonlocal_assignment_is_not_cached(cache):
    def make():
        count = 0

        def f(x):
            nonlocal count
            count += 1
            return x * 2
        return f

    fg.jit(make())(np.arange(2.0))
    assert cc.stats()["trace_uncacheable"] == 1


def test_keys_follow_what_the_function_reads():
    """Each input of tracing changes the key (in process; the subprocess test below
    runs the same changes end to end)."""
    def make(c, d=1.0):
        def helper(x):
            return x * c

        def f(x, y=d):
            return helper(x) + y
        return f

    jitted = fg.jit(make(2.0))
    sig = jitted._signature((np.ones(3),), {})[0]

    def key(fun, sig=sig):
        return persistent.trace_key(fg.jit(fun), sig)

    base = key(make(2.0))
    assert key(make(2.0)) == base
    assert key(make(3.0)) != base                       # a closure value
    assert key(make(2.0, d=5.0)) != base                # a default argument
    assert key(make(np.float64(2.0))) != base           # a value's type
    assert persistent.trace_key(jitted, jitted._signature((np.ones(4),), {})[0]) != base
    assert persistent.trace_key(jitted, jitted._signature((np.ones(3, np.float32),), {})[0]) \
        != base
    assert persistent.trace_key(jitted, jitted._signature((1.0,), {})[0]) != \
        persistent.trace_key(jitted, jitted._signature((np.float64(1.0),), {})[0])   # weak


# ---------------------------------------------------------------------------
# level 2 across processes: a hit, and no stale hit

_SCRIPT = textwrap.dedent("""
    import json, os, sys
    import numpy as np
    import funcgrad as fg
    import funcgrad.numpy as fnp
    from funcgrad.xla_backend import compilation_cache as cc

    V = json.loads(os.environ["VALUES"])
    GLOBAL, HELPER, DEFAULT = V["global"], V["helper"], V["default"]

    def helper(x):
        return x * HELPER

    def make_closure(c):
        return lambda x: x * c

    def by_global(x):
        return x + GLOBAL

    def with_default(x, k=DEFAULT):
        return x - k

    def calls_helper(x):
        return helper(x) + 1.0

    def mlp(params, x):
        h = x
        for w, b in params:
            h = fnp.tanh(h @ w + b)
        return fnp.sum(h ** 2)

    x = np.linspace(0.0, 1.0, 4)
    rng = np.random.default_rng(0)
    params = [(rng.normal(size=(4, 8)), rng.normal(size=8)),
              (rng.normal(size=(8, 2)), rng.normal(size=2))]
    out = {}
    for name, f in [("closure", make_closure(V["closure"])), ("global", by_global),
                    ("default", with_default), ("helper", calls_helper)]:
        before = cc.stats()["trace_hits"]
        out[name] = [np.asarray(fg.jit(f)(x)).tolist(), cc.stats()["trace_hits"] - before]
    g = fg.jit(fg.grad(mlp))(params, x[None, :])
    out["grad"] = [float(sum(np.asarray(w).sum() + np.asarray(b).sum() for w, b in g)),
                   cc.stats()["trace_hits"]]
    out["stats"] = cc.stats()
    print(json.dumps(out))
""")


def _run(directory, values: dict[str, float]) -> dict:
    env = dict(os.environ, VALUES=json.dumps(values), **{
        cc.ENV_DIR: str(directory), cc.ENV_MIN_SECS: "0"})
    env.pop(cc.ENV_MAX_BYTES, None)
    done = subprocess.run([sys.executable, "-c", _SCRIPT], env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_new_process_skips_tracing_and_never_hits_stale(tmp_path):
    x = np.linspace(0.0, 1.0, 4)
    a = {"closure": 2.0, "global": 10.0, "default": 0.5, "helper": 3.0}
    cold = _run(tmp_path, a)
    assert cold["stats"]["trace_hits"] == 0 and cold["stats"]["trace_writes"] == 5, cold
    warm = _run(tmp_path, a)
    assert warm["stats"]["trace_hits"] == 5 and warm["stats"]["trace_misses"] == 0
    assert warm["stats"]["executable_misses"] == 0    # the traced programs' executables too
    for name in ("closure", "global", "default", "helper"):
        assert warm[name] == [cold[name][0], 1]
    assert warm["grad"][0] == cold["grad"][0]
    b = {"closure": -1.0, "global": 7.0, "default": 4.0, "helper": 5.0}
    changed = _run(tmp_path, b)
    expected = {"closure": x * -1.0, "global": x + 7.0, "default": x - 4.0,
                "helper": x * 5.0 + 1.0}
    for name, want in expected.items():
        got, hits = changed[name]
        assert hits == 0, name                # a fresh trace, with the new value
        np.testing.assert_allclose(got, want, rtol=1e-15)
    assert changed["grad"][1] == 1          # the unchanged function still hits


def test_statistics_are_counted_per_level(cache):
    cc.reset_stats()
    assert set(cc.stats()) == {"executable_hits", "executable_misses", "executable_writes",
                               "trace_hits", "trace_misses", "trace_writes",
                               "trace_uncacheable"}
    with warnings.catch_warnings():
        warnings.simplefilter("error")       # nothing to warn about on a clean cache
        fg.jit(lambda x: x - 1.0)(np.arange(2.0))
    assert cc.stats()["trace_misses"] == 1 and cc.stats()["trace_writes"] == 1
