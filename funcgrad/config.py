"""Global switches, read at trace time, and the bounded caches they govern.

The knobs: the default float width (decision 4: float64 unless a user
working on accelerators asks for float32), `enable_checks`, which re-verifies
every Program a transform produces (the test suite turns it on), `disable_jit`
(JAX's ``jax_disable_jit``: jit-decorated functions run op by op, for
debugging), `cache_size`, the most entries any one of funcgrad's caches
keeps, `compilation_cache_dir` (the persistent cache's directory, None: off),
and the debugging switches described on `_Config`. Two switches are also set
per block of code, by the context managers of funcgrad.scopes:
`jit_disabled_here` and `compile_time_eval`.

Every cache in the library is an `LRUCache` (decision 7): bounded, safe to
share between threads, and registered here, so that `clear_caches` empties
all of them and a switch that changes what tracing produces (the default
float) cannot leave a stale program behind.
"""
from __future__ import annotations

import functools
import os
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

_DEFAULT_CACHE_SIZE = 1024

_ALLOWED = {
    "default_float": ("float64", "float32"),
    "enable_checks": (False, True),
    "disable_jit": (False, True),
    # debugging switches: see the class docstring of _Config
    "debug_nans": (False, True),
    "debug_infs": (False, True),
    "check_key_reuse": (None, False, True),
    "check_bounds": (False, True),
    "explain_recompiles": (None, False, True),
    "log_compiles": (False, True),
}
# switches that change what tracing produces (the NaN checks: source lines recorded on
# backward-pass equations): flipping one empties every cache
_RETRACE = frozenset({"default_float", "check_key_reuse", "check_bounds", "debug_nans",
                      "debug_infs"})


class _Config:
    """The switches. Debugging ones: `debug_nans` / `debug_infs` rerun a compiled
    program op by op when its result holds a NaN / an infinity, to name the
    operation and the user's line that made it; `check_key_reuse` (None: on in
    eager code, off under jit) raises when a random key is consumed twice;
    `check_bounds` makes out-of-bounds dynamic indices raise IndexError from
    compiled code instead of clamping; `explain_recompiles` (None: once a
    function has been retraced a few times) logs why a jitted function was
    traced again; `log_compiles` logs trace, lower and compile times."""

    __slots__ = ("default_float", "enable_checks", "disable_jit", "cache_size", "_on_change",
                 "debug_nans", "debug_infs", "check_key_reuse", "check_bounds",
                 "explain_recompiles", "log_compiles", "compilation_cache_dir")

    def __init__(self) -> None:
        self.default_float = "float64"
        self.enable_checks = False
        # jit-decorated functions run op by op (fg.disable_jit() sets it for a block)
        self.disable_jit = False
        self.debug_nans = False
        self.debug_infs = False
        self.check_key_reuse: bool | None = None
        self.check_bounds = False
        self.explain_recompiles: bool | None = None
        self.log_compiles = False
        # where compiled executables and traced programs persist across processes
        # (funcgrad.xla_backend.compilation_cache); None: nowhere
        self.compilation_cache_dir: str | None = os.environ.get(
            "FUNCGRAD_COMPILATION_CACHE_DIR", "~/.cache/funcgrad")
        self.cache_size = _DEFAULT_CACHE_SIZE
        self._on_change: list[Callable[[], None]] = []

    def on_change(self, callback: Callable[[], None]) -> None:
        """Call `callback` whenever a switch that changes what tracing produces flips
        (after every registered cache has been cleared)."""
        self._on_change.append(callback)

    def update(self, name: str, value: Any) -> None:
        """Set a switch, e.g. ``fg.config.update("default_float", "float32")`` or
        ``fg.config.update("cache_size", 256)``."""
        if name == "cache_size":
            if type(value) is not int or value < 1:
                raise ValueError("config option 'cache_size' takes a positive int (the most "
                                 f"entries each cache keeps), got {value!r}")
            self.cache_size = value
            for cache in _all_caches():
                cache.trim()
            return
        if name == "compilation_cache_dir":
            if value is not None and not isinstance(value, (str, os.PathLike)):
                raise ValueError("config option 'compilation_cache_dir' takes a directory (a "
                                 f"str or path) or None (no persistent cache), got {value!r}")
            self.compilation_cache_dir = None if value is None else os.fspath(value)
            return
        if name not in _ALLOWED:
            raise ValueError(f"unknown config option {name!r}; known: "
                             f"{sorted([*_ALLOWED, 'cache_size', 'compilation_cache_dir'])}")
        if not any(value is v or (type(value) is type(v) and value == v)
                   for v in _ALLOWED[name]):
            raise ValueError(f"config option {name!r} takes one of {_ALLOWED[name]}, got {value!r}")
        changed = getattr(self, name) != value
        setattr(self, name, value)
        if changed and name in _RETRACE:
            clear_caches()
            for callback in self._on_change:
                callback()

    def __repr__(self) -> str:
        names = ("default_float", "enable_checks", "disable_jit", "cache_size", *list(_ALLOWED)[3:],
                 "compilation_cache_dir")
        return "Config(" + ", ".join(f"{n}={getattr(self, n)!r}" for n in names) + ")"


config = _Config()


# ---------------------------------------------------------------------------
# switches set for a block of code (funcgrad.scopes' context managers): local to
# a thread or task, like the current trace

# None: as config.disable_jit says; True/False: fg.disable_jit(disable) is in force
jit_disabled_here: ContextVar[bool | None] = ContextVar("funcgrad_disable_jit", default=None)
# whether fg.ensure_compile_time_eval() is in force
compile_time_eval: ContextVar[bool] = ContextVar("funcgrad_compile_time_eval", default=False)


def jit_disabled() -> bool:
    """Whether jit-decorated functions run op by op here."""
    here = jit_disabled_here.get()
    return config.disable_jit if here is None else here


# ---------------------------------------------------------------------------
# bounded caches

_registry: weakref.WeakSet[LRUCache] = weakref.WeakSet()
_registry_lock = threading.Lock()
_MISSING = object()


def _all_caches() -> list[LRUCache]:
    with _registry_lock:
        return list(_registry)


class LRUCache(OrderedDict[Any, Any]):
    """A bounded map from abstract signatures to what was derived from them.

    At most ``config.cache_size`` entries are kept; inserting one more evicts
    the least recently used. Thread safety: every mutation that must see a
    consistent state (insert-and-evict, trim, clear) holds the cache's lock.
    Lookups take no lock: `get` and `move_to_end` are single C calls on an
    OrderedDict, each atomic under the GIL, so a hot path may call them
    directly (`move_to_end` raises KeyError if another thread evicted the key
    in between; ignore it). `put` keeps the first value stored under a key, so
    threads that derived the same entry at once all end up using one object.

    `name` groups caches in `cache_info`; `executable_of`, where given, maps a
    value to its compiled executable so that `cache_info` can report the
    executables' memory.
    """

    __slots__ = ("name", "executable_of", "_lock")

    def __init__(self, name: str, executable_of: Callable[[Any], Any] | None = None):
        super().__init__()
        self.name = name
        self.executable_of = executable_of
        self._lock = threading.Lock()
        with _registry_lock:
            _registry.add(self)

    def lookup(self, key: Any, default: Any = None) -> Any:
        """The value under `key` (marked most recently used), or `default`."""
        hit = self.get(key, _MISSING)
        if hit is _MISSING:
            return default
        try:
            self.move_to_end(key)
        except KeyError:        # evicted by another thread meanwhile: still a valid value
            pass
        return hit

    def put(self, key: Any, value: Any) -> Any:
        """Store `value` unless `key` is already there; return the stored value."""
        with self._lock:
            hit = self.get(key, _MISSING)
            if hit is not _MISSING:
                self.move_to_end(key)
                return hit
            self[key] = value
            limit = config.cache_size
            while len(self) > limit:
                self.popitem(last=False)
        return value

    def trim(self) -> None:
        with self._lock:
            limit = config.cache_size
            while len(self) > limit:
                self.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            super().clear()

    def values_snapshot(self) -> list[Any]:
        with self._lock:
            return list(self.values())

    def __repr__(self) -> str:
        return f"<LRUCache {self.name!r}: {len(self)} of at most {config.cache_size} entries>"

    # registered in a WeakSet by identity; dict declares __hash__ None, and a subclass
    # that hashes again is a change typing cannot express
    __hash__ = object.__hash__  # type: ignore[assignment]


def memoize(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Like ``functools.lru_cache``, but bounded by ``config.cache_size`` and cleared
    by `clear_caches` (positional, hashable arguments only)."""
    def deco(fn: Callable[..., Any]) -> Callable[..., Any]:
        cache = LRUCache(name)

        @functools.wraps(fn)
        def wrapper(*args: Any) -> Any:
            hit = cache.lookup(args, _MISSING)
            if hit is _MISSING:
                hit = cache.put(args, fn(*args))
            return hit
        wrapper.cache = cache  # type: ignore[attr-defined]
        wrapper.cache_clear = cache.clear  # type: ignore[attr-defined]
        return wrapper
    return deco


def clear_caches() -> None:
    """Empty every cache funcgrad keeps: compiled executables (eager and jitted),
    traced and derived programs, shape-rule memos, interned pytree structures.
    The next call of anything traces and compiles again."""
    for cache in _all_caches():
        cache.clear()


def cache_info() -> dict[str, dict[str, int]]:
    """Per kind of cache: how many caches of that kind are alive (``caches``: one per
    jitted function for jit's), their ``entries`` in total and the bound on each
    (``maxsize``). Kinds that hold compiled executables also report what PJRT's
    compiled-memory statistics say of them, summed: ``code_bytes`` (generated
    code; PJRT's CPU client reports 0), ``temp_bytes`` (scratch memory an
    execution allocates), plus ``text_bytes`` (the StableHLO they were compiled
    from: a size estimate on every platform) and ``executables`` (how many
    distinct ones; several entries may share one)."""
    out: dict[str, dict[str, int]] = {}
    seen: dict[int, Any] = {}      # by identity; holding them keeps the ids unique
    for cache in _all_caches():
        info = out.setdefault(cache.name, {"caches": 0, "entries": 0,
                                           "maxsize": config.cache_size})
        values = cache.values_snapshot()
        info["caches"] += 1
        info["entries"] += len(values)
        if cache.executable_of is None:
            continue
        for key in ("executables", "code_bytes", "temp_bytes", "text_bytes"):
            info.setdefault(key, 0)
        for v in values:
            exe = cache.executable_of(v)
            if id(exe) in seen:
                continue
            seen[id(exe)] = exe
            stats = exe.memory_stats()
            info["executables"] += 1
            info["code_bytes"] += int(stats.generated_code_size_in_bytes)
            info["temp_bytes"] += int(stats.temp_size_in_bytes)
            info["text_bytes"] += int(getattr(exe, "text_size", 0))
    return out
