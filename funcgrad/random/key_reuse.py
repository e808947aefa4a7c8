"""Catching a random key used twice (config ``check_key_reuse``).

The same key always gives the same numbers, so drawing twice from one key
makes two "independent" samples identical, a silent bug. A key is *consumed*
by every sampler and by `split`; consuming it again raises `KeyReuseError`
naming both lines. Like JAX's key-reuse checker, `fold_in` neither consumes nor
checks its key (``fold_in(key, i)`` for many ``i`` is the intended use), and
its result, like `split`'s and `key`'s, is a fresh key.

When it applies (``fg.config.update("check_key_reuse", ...)``):

- None (the default): eager code only, i.e. a concrete `Array` key used
  outside every transformation. Keys are told apart by object identity: a
  key is the same key only if it is the same Array object. `key_data` returns
  its argument, so it is the same key; but ``keys[0]`` makes a new Array each
  time it is evaluated, as does rebuilding a key from its data, and those are
  not tracked as the same key (NB: JAX tracks typed keys by value flow).
- True: also under jit, vmap and grad, at trace time: within one trace (one
  staging of a function), a traced key, or a concrete one the function closes
  over, consumed twice raises while tracing. A key consumed inside one jitted
  function and again outside it is not seen (each trace keeps its own record).
- False: never.

Cost: a sampler called eagerly pays one dict lookup, and, the first time a key
is consumed, a walk up the stack to the user's line.
"""
from __future__ import annotations

import functools
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

from funcgrad import core
from funcgrad.array import Array
from funcgrad.config import config
from funcgrad.core import Trace, Tracer
from funcgrad.errors import KeyReuseError

__all__ = ["KeyReuseError", "consumes_key"]

F = TypeVar("F", bound=Callable[..., Any])

# Where a key was consumed: (consumer, file, line, function), formatted on error only.
Use = tuple[str, str, int, str]

# eager keys: id(key) -> (a weak reference to it, its use); an entry leaves when its
# key is collected, so a later object with the same id starts fresh
_eager: dict[int, tuple[weakref.ref[Array], Use]] = {}
# traced keys, per trace: id(key) -> (the key, held so that its id stays its own, its
# use); the record goes with its trace
_traced: weakref.WeakKeyDictionary[Trace, dict[int, tuple[Any, Use]]] = \
    weakref.WeakKeyDictionary()
_current = core.current_trace
_eval = core.eval_trace


def _use(consumer: str) -> Use:
    """`consumer` at the user's line now."""
    f = core.user_frame()
    if f is None:
        return consumer, "<unknown>", 0, "?"
    return consumer, f.f_code.co_filename, f.f_lineno, f.f_code.co_name


def _at(use: Use) -> str:
    return f"{use[1]}:{use[2]} (in {use[3]})"


def _forget(ref: weakref.ref[Array], key_id: int) -> None:
    hit = _eager.get(key_id)
    if hit is not None and hit[0] is ref:
        del _eager[key_id]


def _reuse_error(name: str, first: Use) -> KeyReuseError:
    return KeyReuseError(
        f"funcgrad.random.{name}: this key was already consumed by {first[0]} at "
        f"{_at(first)}; using it again at {_at(_use(name))} repeats those random numbers. "
        "Split it once per use (k1, k2 = funcgrad.random.split(key)), or fold_in a "
        "counter. (fg.config.update('check_key_reuse', False) turns this check off.)")


def consumes_key(fn: F) -> F:
    """`fn` (a sampler, or split), made to consume its first argument `key`: raises
    KeyReuseError, before drawing anything, for a key already consumed; records
    the key once `fn` has returned (a call rejected for its other arguments
    leaves the key fresh)."""
    name = fn.__name__

    @functools.wraps(fn)
    def consuming(*args: Any, **kwargs: Any) -> Any:
        mode = config.check_key_reuse
        if mode is False:
            return fn(*args, **kwargs)
        key = args[0] if args else kwargs.get("key")
        trace = _current()
        if trace is _eval:
            if type(key) is not Array:
                return fn(*args, **kwargs)
            key_id = id(key)
            hit = _eager.get(key_id)
            if hit is not None and hit[0]() is key:
                raise _reuse_error(name, hit[1])
            out = fn(*args, **kwargs)
            _eager[key_id] = (weakref.ref(key, lambda r: _forget(r, key_id)), _use(name))
            return out
        if mode is None:        # under a transformation, checked only when asked
            return fn(*args, **kwargs)
        table = _traced.setdefault(key._trace if isinstance(key, Tracer) else trace, {})
        traced = table.get(id(key))
        if traced is not None and traced[0] is key:
            raise _reuse_error(name, traced[1])
        out = fn(*args, **kwargs)
        table.setdefault(id(key), (key, _use(name)))
        return out
    return consuming  # type: ignore[return-value]
