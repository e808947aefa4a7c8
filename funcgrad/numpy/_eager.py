"""`eager_jit`: run a composite function eagerly as one compiled executable.

A function built from many primitives would, called eagerly, compile and
dispatch one executable per primitive. Decorated with `eager_jit`, an eager
call goes through `jit` instead (one compile per signature, one dispatch),
while a call under a transformation (jit, grad, vmap) binds the primitives
directly, so staged programs stay flat and every rule applies as usual.
"""
from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from funcgrad import core
from funcgrad.jit import jit

F = TypeVar("F", bound=Callable[..., Any])

_current = core._current_trace
_eval = core.eval_trace


def _as_key(v: Any) -> Any:
    if isinstance(v, list):
        return tuple(_as_key(e) for e in v)
    return v


def eager_jit(static_argnames: Sequence[str] = ()) -> Callable[[F], F]:
    """Decorate `fn` so eager calls run as one jitted executable.

    `static_argnames` are the parameters that are Python values (axes, flags,
    modes, shapes); lists among them are turned into tuples so they can key
    the cache.
    """
    def deco(fn: F) -> F:
        jitted = jit(fn, static_argnames=tuple(static_argnames))
        names = tuple(static_argnames)
        import inspect
        params = list(inspect.signature(fn).parameters)
        static_pos = {params.index(n) for n in names if n in params}

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if _current.get() is not _eval:
                return fn(*args, **kwargs)
            args = tuple(_as_key(a) if i in static_pos else a for i, a in enumerate(args))
            kwargs = {k: _as_key(v) if k in names else v for k, v in kwargs.items()}
            return jitted(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return deco
