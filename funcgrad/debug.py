"""funcgrad.debug: look at values inside staged code.

`print` and `callback` work eagerly and under every transformation: under jit
(and in loop bodies) the compiled program calls back to the host; under grad
they see the primal values; under vmap they run once per element, in order.
All of them run in program order with each other and with `io_callback`
(funcgrad orders every effectful callback, so `ordered=` only documents intent).
`breakpoint` stops in pdb with the values of the calling frame, eagerly or
from inside a compiled program.
"""
from __future__ import annotations

import builtins
import inspect
import logging
import pdb
import string
import sys
from collections.abc import Callable
from typing import Any

from funcgrad import core, tree
from funcgrad import primitives as P
from funcgrad.callbacks import _name, operands
from funcgrad.errors import UnsupportedError
from funcgrad.primitives.callback import HostCallback

__all__ = ["breakpoint", "callback", "log", "print"]

_logger = logging.getLogger("funcgrad.debug")


def callback(callback: Callable[..., Any] | None = None, *args: Any, ordered: bool = False,
             partitioned: bool = False, **kwargs: Any) -> Any:
    """Call `callback(*args, **kwargs)` on the host for its side effects, with NumPy
    values; returns None. With no callback, a decorator taking the options."""
    if callback is None:
        if args or kwargs:
            raise TypeError("debug.callback: pass the callback first")
        return lambda cb, *a, **k: globals()["callback"](cb, *a, ordered=ordered,
                                                         partitioned=partitioned, **k)
    _check_partitioned("debug.callback", partitioned)
    ops, in_tree = operands(args, kwargs)

    def run(*flat: Any) -> list[Any]:
        a, k = tree.unflatten(in_tree, list(flat))
        callback(*a, **k)
        return []
    P.debug_callback_p.bind(*ops, callback=HostCallback(run, _name(callback), [],
                                                        "debug.callback"))
    return None


def print(fmt: str | None = None, *args: Any, ordered: bool = False,  # noqa: A001
          partitioned: bool = False, skip_format_check: bool = False, **kwargs: Any) -> Any:
    """Print ``fmt.format(*args, **kwargs)`` with the values the arguments have when
    the program runs (``fg.debug.print("x={x}", x=x)``; not an f-string). Written
    to sys.stdout and flushed. ``print(ordered=True)`` gives a printer."""
    return _printer("debug.print", fmt, args, kwargs, ordered, partitioned,
                    skip_format_check, False)


def log(fmt: str | None = None, *args: Any, ordered: bool = False, partitioned: bool = False,
        skip_format_check: bool = False, **kwargs: Any) -> Any:
    """`print`, to the ``funcgrad.debug`` logger at INFO level instead of stdout."""
    return _printer("debug.log", fmt, args, kwargs, ordered, partitioned, skip_format_check,
                    True)


def _printer(kind: str, fmt: str | None, args: tuple[Any, ...], kwargs: dict[str, Any],
             ordered: bool, partitioned: bool, skip_check: bool, to_log: bool) -> Any:
    """Print now, or (no format string: the two-call form) return the printer."""
    if fmt is None:
        if args or kwargs:
            raise TypeError(f"{kind}: the format string comes first")
        return lambda f, *a, **k: _print(f, a, k, ordered, partitioned, skip_check, to_log)
    return _print(fmt, args, kwargs, ordered, partitioned, skip_check, to_log)


def _print(fmt: str, args: tuple[Any, ...], kwargs: dict[str, Any], ordered: bool,
           partitioned: bool, skip_check: bool, to_log: bool) -> None:
    if not isinstance(fmt, str):
        raise TypeError(f"debug.print: the format string must be a str, got {type(fmt).__name__}")
    _check_partitioned("debug.print", partitioned)
    if not skip_check:
        _check_format(fmt, len(args), kwargs)

    def show(*a: Any, **k: Any) -> None:
        text = fmt.format(*a, **k)
        if to_log:
            _logger.info(text)
        else:
            sys.stdout.write(text + "\n")
            sys.stdout.flush()
    show.__qualname__ = "debug.log" if to_log else "debug.print"
    callback(show, *args, ordered=ordered, **kwargs)


def _check_format(fmt: str, nargs: int, kwargs: dict[str, Any]) -> None:
    """Raise now, not when the program runs, for a field no argument fills."""
    auto = 0
    try:
        fields = [f for _, f, _, _ in string.Formatter().parse(fmt) if f is not None]
    except ValueError as e:
        raise ValueError(f"debug.print: bad format string {fmt!r}: {e}") from None
    for field in fields:
        head = field.split(".", 1)[0].split("[", 1)[0]
        if head == "":
            if auto >= nargs:
                raise ValueError(f"debug.print: the format string {fmt!r} has more {{}} "
                                 f"fields than the {nargs} positional arguments given")
            auto += 1
        elif head.isdigit():
            if int(head) >= nargs:
                raise ValueError(f"debug.print: field {{{field}}} of {fmt!r} refers to "
                                 f"positional argument {head}, but {nargs} were given")
        elif head not in kwargs:
            raise ValueError(f"debug.print: field {{{field}}} of {fmt!r} has no keyword "
                             f"argument; pass {head}=... (the format is applied to the "
                             "values when the program runs, so f-strings do not work)")


def _check_partitioned(kind: str, partitioned: bool) -> None:
    if partitioned:
        raise UnsupportedError(f"{kind}: partitioned=True is not supported; funcgrad gives "
                               "callbacks whole (logical) arrays")


def breakpoint(*, backend: str | None = None, filter_frames: bool = True,  # noqa: A001
               num_frames: int | None = None, ordered: bool = False, token: Any = None,
               **kwargs: Any) -> Any:
    """Stop in pdb with the caller's local variables: arrays with the values they
    have when the program runs (also inside jit), other locals as they were when
    the function was called or traced. Type `c` to continue."""
    if backend not in (None, "cli"):
        raise UnsupportedError(f"debug.breakpoint: backend={backend!r} is not supported; "
                               "funcgrad's debugger is pdb on the command line ('cli')")
    if num_frames not in (None, 1) or not filter_frames or token is not None or kwargs:
        raise UnsupportedError("debug.breakpoint: only the calling frame is shown "
                               "(num_frames=None or 1, filter_frames=True), without token= or "
                               "other options")
    frame = inspect.currentframe()
    assert frame is not None and frame.f_back is not None
    caller = frame.f_back
    names, values, fixed = [], [], {}
    for k, v in caller.f_locals.items():
        leaves = tree.leaves(v)
        if leaves and all(_is_array(x) for x in leaves):
            names.append(k)
            values.append(v)
        else:
            fixed[k] = v
    where = f"{caller.f_code.co_filename}:{caller.f_lineno} in {caller.f_code.co_name}"
    del frame, caller

    def stop(*vals: Any) -> None:
        scope = dict(fixed)
        scope.update(zip(names, vals, strict=True))
        builtins.print(f"funcgrad.debug.breakpoint at {where}", file=sys.stdout, flush=True)
        debugger = pdb.Pdb(stdin=sys.stdin, stdout=sys.stdout)
        debugger.prompt = "(fgdb) "
        scope["__fg_debugger__"] = debugger
        exec("__fg_debugger__.set_trace()\npass", scope)    # a frame holding `scope`
    stop.__qualname__ = "debug.breakpoint"
    callback(stop, *values, ordered=ordered)
    return None


def _is_array(x: Any) -> bool:
    from funcgrad.array import Array
    import numpy as np
    return type(x) is Array or isinstance(x, (core.Tracer, np.ndarray))
