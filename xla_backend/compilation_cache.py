"""The on-disk half of the persistent compilation cache: where entries live, their
file format, their keys and their eviction.

Two kinds of entries share one directory. ``exe`` entries hold serialized XLA
executables (funcgrad.xla_backend.runtime reads and writes them around each
compile: a new process deserializes in milliseconds what took seconds to
compile); ``trace`` entries hold what a jitted function staged for a signature
(funcgrad.persistent: a new process skips tracing and lowering too). This
module knows files and bytes only: it imports no part of the runtime, so the
jaxlib calls stay in runtime.py.

The directory is ``$FUNCGRAD_COMPILATION_CACHE_DIR``, by default
``~/.cache/funcgrad``; an empty value or ``0`` turns the cache off. It is
bounded (``$FUNCGRAD_COMPILATION_CACHE_MAX_BYTES``, 1 GiB by default): after a
write, the least recently used entries (by modification time, which a hit
refreshes) are removed until it fits. Only what took at least
``$FUNCGRAD_COMPILATION_CACHE_MIN_SECS`` (0.1 s by default) to produce is
written, so the many tiny executables of eager code stay in memory only: on
CPU they compile in tens of milliseconds, and reading one back costs about a
millisecond, so a bound at 0.1 s keeps the directory to the programs worth it.

A file is a fixed header (magic bytes, format version, payload length, SHA-256
of the payload) followed by the payload; it is written to a temporary file in
the same directory, synced and renamed into place, so a reader sees a whole
entry or none. Nothing is ever unpickled. An entry that fails its checks
(truncated, corrupt, another format) is reported with a RuntimeWarning naming
the file, removed, and recomputed; the cache never makes a call fail.
"""
from __future__ import annotations

import hashlib
import os
import struct
import sys
import tempfile
import threading
import time
import warnings
from importlib import metadata
from typing import Any

from funcgrad.config import config as _config

ENV_DIR = "FUNCGRAD_COMPILATION_CACHE_DIR"
ENV_MAX_BYTES = "FUNCGRAD_COMPILATION_CACHE_MAX_BYTES"
ENV_MIN_SECS = "FUNCGRAD_COMPILATION_CACHE_MIN_SECS"
DEFAULT_DIR = "~/.cache/funcgrad"
DEFAULT_MAX_BYTES = 1 << 30
DEFAULT_MIN_SECS = 0.1

# bump when the header, a payload's layout or what a key covers changes
FORMAT_VERSION = 1
_MAGIC = b"FGCC"
_HEADER = struct.Struct("<4sIQ32s")     # magic, format version, payload length, sha256
KINDS = ("exe", "trace")
_STALE_TMP_SECS = 3600      # a temporary file this old was left by a writer that died

_lock = threading.Lock()
_stats: dict[str, int] = {}
_STAT_NAMES = ("executable_hits", "executable_misses", "executable_writes",
               "trace_hits", "trace_misses", "trace_writes", "trace_uncacheable")
_MISSING = object()


# ---------------------------------------------------------------------------
# settings


def cache_dir() -> str | None:
    """The cache directory, or None when the cache is off. ``config.compilation_cache_dir``
    decides where the config has that option; otherwise the environment does."""
    setting: Any = getattr(_config, "compilation_cache_dir", _MISSING)
    if setting is _MISSING:
        setting = os.environ.get(ENV_DIR, DEFAULT_DIR)
    if setting is None:
        return None
    raw = os.fspath(setting)
    if raw in ("", "0"):
        return None
    return os.path.abspath(os.path.expanduser(raw))


def max_bytes() -> int:
    """The most bytes the directory's entries may take together."""
    return _number(ENV_MAX_BYTES, DEFAULT_MAX_BYTES, int)


def min_seconds() -> float:
    """How long producing an entry must have taken for it to be written."""
    return _number(ENV_MIN_SECS, DEFAULT_MIN_SECS, float)


def _number(name: str, default: Any, kind: type) -> Any:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise ValueError(f"{name}={raw!r} is not a number: give a {kind.__name__} "
                         "(or unset it for the default)") from None
    if value < 0:
        raise ValueError(f"{name}={raw!r} is negative: give a number >= 0")
    return value


def worth_writing(seconds: float) -> bool:
    return seconds >= min_seconds()


# ---------------------------------------------------------------------------
# statistics


def stats() -> dict[str, int]:
    """Hits, misses and writes of this process, per level: ``executable_*`` (compiled
    executables) and ``trace_*`` (traced programs of jitted functions;
    ``trace_uncacheable`` counts calls whose function could not be keyed safely)."""
    with _lock:
        return {name: _stats.get(name, 0) for name in _STAT_NAMES}


def reset_stats() -> None:
    with _lock:
        _stats.clear()


def count(name: str) -> None:
    with _lock:
        _stats[name] = _stats.get(name, 0) + 1


# ---------------------------------------------------------------------------
# keys


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "unknown"


_VERSIONS: tuple[str, ...] | None = None


def versions() -> tuple[str, ...]:
    """The versions an entry is only valid for: the format's, funcgrad's, jaxlib's,
    NumPy's and Python's."""
    global _VERSIONS
    if _VERSIONS is None:
        _VERSIONS = (str(FORMAT_VERSION), _version("funcgrad"), _version("jaxlib"),
                     _version("numpy"), sys.version)
    return _VERSIONS


def executable_key(text: str, options: bytes, backend: tuple[Any, ...]) -> str:
    """The key of an executable compiled from StableHLO `text` with the serialized
    compile `options` for `backend` (platform, its version, the device assignment)."""
    h = hashlib.sha256()
    for part in (*versions(), repr(backend), os.environ.get("XLA_FLAGS", "")):
        h.update(part.encode())
        h.update(b"\0")
    h.update(options)
    h.update(b"\0")
    h.update(text.encode())
    return h.hexdigest()


# ---------------------------------------------------------------------------
# entries on disk


def _path(directory: str, kind: str, key: str) -> str:
    if kind not in KINDS:
        raise ValueError(f"unknown cache entry kind {kind!r}; one of {KINDS}")
    return os.path.join(directory, f"{kind}-{key}.bin")


def read(kind: str, key: str) -> bytes | None:
    """The payload stored under (`kind`, `key`), or None (no cache, no entry, or a bad
    one: warned about and removed). A hit marks the entry as recently used."""
    directory = cache_dir()
    if directory is None:
        return None
    path = _path(directory, kind, key)
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return None
    except OSError as e:
        _warn(f"cannot read compilation cache entry {path} ({e}); recompiling")
        return None
    payload, problem = _decode(data)
    if problem is not None:
        discard(kind, key, problem)
        return None
    try:
        os.utime(path)
    except OSError:
        pass
    return payload


def _decode(data: bytes) -> tuple[bytes, str | None]:
    if len(data) < _HEADER.size:
        return b"", f"truncated: {len(data)} bytes, shorter than the header"
    magic, version, length, digest = _HEADER.unpack_from(data)
    if magic != _MAGIC:
        return b"", "not a funcgrad compilation cache entry (bad magic bytes)"
    if version != FORMAT_VERSION:
        return b"", f"format version {version}, this funcgrad reads {FORMAT_VERSION}"
    payload = data[_HEADER.size:]
    if len(payload) != length:
        return b"", f"truncated: payload of {len(payload)} bytes, header says {length}"
    if hashlib.sha256(payload).digest() != digest:
        return b"", "corrupt: payload checksum mismatch"
    return payload, None


def encode(payload: bytes) -> bytes:
    """`payload` with its header, as an entry file holds it."""
    return _HEADER.pack(_MAGIC, FORMAT_VERSION, len(payload),
                        hashlib.sha256(payload).digest()) + payload


def discard(kind: str, key: str, problem: str) -> None:
    """Warn that the entry (`kind`, `key`) is unusable, and remove it."""
    directory = cache_dir()
    if directory is None:
        return
    path = _path(directory, kind, key)
    _warn(f"ignoring compilation cache entry {path}: {problem}; it is recomputed and "
          "overwritten")
    try:
        os.remove(path)
    except OSError:
        pass


def write(kind: str, key: str, payload: bytes) -> bool:
    """Store `payload` under (`kind`, `key`), atomically, then evict down to the size
    bound. False (with a warning) when the directory cannot be written."""
    directory = cache_dir()
    if directory is None:
        return False
    data = encode(payload)
    if len(data) > max_bytes():
        return False
    path = _path(directory, kind, key)
    tmp = None
    try:
        os.makedirs(directory, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=".bin")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        tmp = None
    except OSError as e:
        _warn(f"cannot write compilation cache entry {path} ({e}); continuing without it")
        return False
    finally:
        if tmp is not None:
            try:
                os.remove(tmp)
            except OSError:
                pass
    evict(directory, max_bytes())
    return True


def evict(directory: str, limit: int) -> None:
    """Remove the least recently used entries of `directory` until the rest take at
    most `limit` bytes."""
    entries = []
    total = 0
    try:
        with os.scandir(directory) as it:
            for e in it:
                if e.name.startswith(".tmp-"):      # left by a process killed mid-write
                    _remove_if_stale(e)
                elif e.name.endswith(".bin") and e.is_file():
                    st = e.stat()
                    entries.append((st.st_mtime_ns, st.st_size, e.path))
                    total += st.st_size
    except OSError:
        return
    if total <= limit:
        return
    for _, size, path in sorted(entries):
        try:
            os.remove(path)
        except OSError:
            continue
        total -= size
        if total <= limit:
            return


def _remove_if_stale(entry: os.DirEntry[str]) -> None:
    try:
        if time.time() - entry.stat().st_mtime > _STALE_TMP_SECS:
            os.remove(entry.path)
    except OSError:
        pass


def _warn(message: str) -> None:
    warnings.warn(message, RuntimeWarning, stacklevel=3)
