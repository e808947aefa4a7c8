"""Eager execution: how the bottom trace runs one primitive.

`apply_primitive` is the executor of `core.eval_trace` (funcgrad/__init__.py
gives it with `eval_trace.set_executor` when the package is imported): every
primitive bound outside all transformations runs here, as its own executable,
compiled and run by funcgrad.dispatch with the same lowering rules `jit` uses,
so eager and jitted code compute the same bits (decision 3).

There is one executable per (primitive, input avals, params, placement), in
dispatch's bounded, thread-safe `executables` cache. Shape rules run on a
cache miss only; a failing rule raises before anything is compiled or cached.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from funcgrad import core, dispatch
from funcgrad.array import Array
from funcgrad.core import Primitive
from funcgrad.dispatch import (Partitioned, arg_buffers, buffer_for, check_alive,
                               compile_primitive, placement)
from funcgrad.ir import Literal

__all__ = ["apply_primitive", "cache_size", "host_impls", "placement"]

# Primitives that run on the host when called eagerly (the host callbacks): their
# implementation takes the concrete arguments, so no executable is compiled.
host_impls: dict[Primitive, Callable[..., list[Any]]] = {}

_executables = dispatch.executables
_get = _executables.get
_touch = _executables.move_to_end


def apply_primitive(prim: Primitive, args: Sequence[Any], params: dict[str, Any]) -> list[Any]:
    """Run `prim` on concrete `args` (Arrays, Literals, scalars, NumPy arrays);
    the outputs as a list of Arrays."""
    where = placement(args)
    avals = []
    bufs = []
    if type(where) is Partitioned:
        avals = [x.aval if type(x) in (Array, Literal) else core.get_aval(x) for x in args]
        bufs = arg_buffers(args, avals, where)
    else:
        for x in args:
            if type(x) is Array:     # on `where` already: placement() checked
                avals.append(x.aval)
                bufs.append(x._buf)
            else:
                a = x.aval if type(x) is Literal else core.get_aval(x)
                avals.append(a)
                bufs.append(buffer_for(x, a, where))
    key = (prim, tuple(avals), tuple(params.items()), where)
    entry = _get(key)
    if entry is None:
        host = host_impls.get(prim)     # looked up on a miss only: hits stay one lookup
        if host is not None:            # (a host primitive is never cached)
            return host(*args, **params)
        check_alive(args)
        entry = _executables.put(key, compile_primitive(prim, avals, params, where))
        if entry.key is None:
            entry.key = key
    else:
        try:
            _touch(entry.key)
        except KeyError:    # evicted by another thread just now; the entry still works
            pass
    if entry.moves_inputs:
        return entry.call(args, avals)
    return entry.run(bufs)


def cache_size() -> int:
    """Executables in the shared cache (eager primitives and eager programs)."""
    return len(_executables)
