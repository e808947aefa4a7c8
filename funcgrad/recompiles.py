"""Why a jitted function was traced again, and how long its phases took.

A retrace is the slow surprise of jit: a Python float that became an array, a
batch size that changes each step, a static argument that differs. Each
jitted function keeps a short history of the signatures it traced; when it
traces again and ``config.explain_recompiles`` is True (or None, the default,
and the function has been traced more than `AUTO_AFTER` times) the
``funcgrad`` logger says what differs from the closest signature seen before
and which line called. ``config.log_compiles`` times trace, lower and compile.
"""
from __future__ import annotations

import collections
import logging
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from funcgrad import core
from funcgrad.config import config

logger = logging.getLogger("funcgrad")

# with explain_recompiles=None, retraces are explained from this many traces on
AUTO_AFTER = 5
_KEPT = 8      # signatures remembered per function, to compare a new one with


class Signature:
    """What a trace of a jitted function was keyed on, with names for its leaves."""

    __slots__ = ("in_tree", "avals", "statics", "names", "frames")

    def __init__(self, in_tree: Any, avals: Sequence[Any], statics: Sequence[tuple[Any, Any]],
                 names: Sequence[str], frames: Any):
        self.in_tree = in_tree
        self.avals = tuple(avals)
        self.statics = tuple(statics)
        self.names = tuple(names)
        self.frames = frames


class TraceHistory:
    """The traces of one jitted function: how many, and the last few signatures."""

    __slots__ = ("count", "recent", "auto")

    def __init__(self, auto: bool = True) -> None:
        self.count = 0
        self.auto = auto        # explained from AUTO_AFTER traces on when the switch is None
        self.recent: collections.deque[Signature] = collections.deque(maxlen=_KEPT)

    def record(self, fun_name: str, sig: Signature) -> None:
        """Note a trace of `sig`; log why, when the switch asks for it."""
        self.count += 1
        explain = config.explain_recompiles
        if self.count > 1 and (explain or (explain is None and self.auto
                                           and self.count > AUTO_AFTER)):
            logger.warning("%s", explanation(fun_name, self.count, sig, list(self.recent)))
        self.recent.append(sig)


def explanation(fun_name: str, count: int, new: Signature, seen: list[Signature]) -> str:
    """The log line for the `count`-th trace of `fun_name` at signature `new`."""
    head = (f"funcgrad: jit-compiled function {fun_name} traced again (trace {count}) for the "
            f"call at {core.user_source_line()}")
    if not seen:
        return f"{head}: its cache was cleared or evicted earlier signatures"
    closest = min(reversed(seen), key=lambda old: _distance(old, new))
    diffs = differences(closest, new)
    if not diffs:
        return (f"{head}: the signature was traced before and its program was dropped "
                "(the cache was cleared, or evicted it: see config 'cache_size')")
    return f"{head}, because " + "; ".join(diffs)


def _distance(old: Signature, new: Signature) -> tuple[int, int]:
    if old.in_tree != new.in_tree:
        return (2, 0)
    return (0 if old.statics == new.statics else 1,
            sum(a != b for a, b in zip(old.avals, new.avals, strict=True)))


def differences(old: Signature, new: Signature) -> list[str]:
    """What changed from `old` to `new`, one phrase each, in argument order."""
    out: list[str] = []
    if old.in_tree != new.in_tree:
        out.append(f"the arguments' pytree structure changed from {old.in_tree} to {new.in_tree}")
    else:
        for name, a, b in zip(new.names, old.avals, new.avals, strict=True):
            if a != b:
                out.append(f"argument {name} changed {_aval_change(a, b)}")
    old_static = dict(old.statics)
    for k, v in new.statics:
        where = f"argument {k}" if isinstance(k, int) else f"argument {k!r}"
        if k not in old_static:
            out.append(f"static {where} was not passed before, now {_short(v)}")
        elif not _same(old_static[k], v):
            out.append(f"static {where} changed from {_short(old_static[k])} to {_short(v)}")
    if not out and old.frames != new.frames:
        out.append("the named axes in scope (vmap axis_name= / shard_map) changed")
    return out


def _aval_change(a: Any, b: Any) -> str:
    what = [w for w, attr in (("shape", "shape"), ("dtype", "dtype"), ("weak type", "weak_type"))
            if getattr(a, attr, None) != getattr(b, attr, None)]
    text = f"from {a.str_short()} to {b.str_short()}"
    if "weak type" in what:
        text += (" (a Python scalar now, an array before)" if b.weak_type
                 else " (an array now, a Python scalar before)")
    return f"{text} ({', '.join(what) or 'aval'})"


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except Exception:       # an object whose == does not give a bool
        return a is b


def _short(v: Any) -> str:
    r = repr(v)
    return r if len(r) <= 60 else r[:57] + "..."


@contextmanager
def timed(phase: str, name: str) -> Iterator[None]:
    """Log how long `phase` of `name` took, when ``config.log_compiles`` is on."""
    if not config.log_compiles:
        yield
        return
    start = time.perf_counter()
    yield
    ms = (time.perf_counter() - start) * 1e3
    logger.warning("funcgrad: %s %s took %.2f ms", phase, name, ms)
