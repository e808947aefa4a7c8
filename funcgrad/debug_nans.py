"""Naming the operation, and the user's line, that made a NaN or an infinity.

With ``fg.config.update("debug_nans", True)`` (or ``"debug_infs"``) every
compiled call (an eager primitive, a jitted function, an eager gradient) checks
its floating-point outputs with one fused reduction, compiled once per set of
output types. When they hold a NaN (an infinity), the call's Program runs
again one equation at a time, eagerly: into jit calls, checkpoints, custom-rule
functions and the branch a cond takes; a loop (scan, while) that makes one is
stepped an iteration at a time and the failing iteration's body rerun op by
op. The first equation that makes the value out of operands free of it raises::

    FloatingPointError: invalid value (nan) encountered in log (f64[3]) at model.py:12 (in loss)

naming the primitive, its operands' types and the line the user wrote; an
equation of a backward pass names the line of the forward operation whose
derivative it computes.

Policy:

- Only values an operation makes are reported. A NaN that was already in a
  call's arguments and is carried to its outputs raises nothing (NB: JAX's
  eager check raises for any NaN output, whatever its origin).
- A NaN made by XLA's optimised program but by no single operation run alone
  (fusion, reassociation) raises naming the whole call, and says so.
- The rerun runs the program's host callbacks (io_callback, debug.print) again.
- A call whose arguments were donated cannot be rerun: its error says so.
- Lines are recorded when a function is traced. Backward passes, and functions
  an eager `grad` stages, record the user's lines only while a switch is on:
  turn it on before the first call of what you debug (a program cached from
  earlier names the line of the call instead).
- Off, the switches cost a call two attribute reads (`dispatch.Entry.run`).
"""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from typing import Any

import numpy as np

from funcgrad import core, dispatch, dtypes
from funcgrad import primitives as P
from funcgrad.array import Array
from funcgrad.config import LRUCache, config
from funcgrad.core import ShapedArray
from funcgrad.dispatch import Entry, Partitioned, compile_program, run_program
from funcgrad.ir import Eqn, Literal, Program
from funcgrad.sharding import NamedSharding, PartitionSpec, SingleDeviceSharding
from funcgrad.transforms.staging import replay_source, trace_to_program
from funcgrad.xla_backend import runtime

__all__ = ["check"]

NAN, INF = 1, 2
# True while a check or a rerun runs: the calls they make are not checked again
_checking: ContextVar[bool] = ContextVar("funcgrad_checking_nans", default=False)
_checkers = LRUCache("debug_nans checkers", executable_of=dispatch.executable_of)


def _kinds() -> int:
    return (NAN if config.debug_nans else 0) | (INF if config.debug_infs else 0)


def _inexact(dtype: np.dtype) -> bool:
    return dtypes.is_float(dtype) or dtypes.is_complex(dtype)


# ---------------------------------------------------------------------------
# finding NaNs and infinities


def _flags_of(xs: Sequence[Any], kinds: int) -> Any:
    """Traced: an int32 scalar with bit NAN set when some x holds a NaN, bit INF an inf."""
    found = {NAN: Literal.of(False), INF: Literal.of(False)}
    for x in xs:
        aval = core.get_aval(x)
        axes = tuple(range(aval.ndim))
        if kinds & NAN:
            nan = P.reduce_or_p.bind(P.ne_p.bind(x, x), axes=axes)
            found[NAN] = P.or_p.bind(found[NAN], nan)
        if kinds & INF:
            mag = P.abs_p.bind(x)
            inf = Literal(np.asarray(np.inf, mag.aval.dtype)[()],
                          ShapedArray((), mag.aval.dtype, False))
            found[INF] = P.or_p.bind(found[INF], P.reduce_or_p.bind(P.eq_p.bind(mag, inf),
                                                                  axes=axes))
    i32 = dtypes.int32
    as_int = [P.convert_element_type_p.bind(found[k], new_dtype=i32, weak_type=False)
              for k in (NAN, INF)]
    return P.add_p.bind(as_int[0], P.mul_p.bind(as_int[1], Literal.of(np.int32(INF))))


def _checker(avals: tuple[ShapedArray, ...], kinds: int) -> Entry:
    """The fused reduction over arrays of `avals`, compiled once."""
    key = (avals, kinds)
    hit = _checkers.lookup(key)
    if hit is None:
        program, _ = trace_to_program(lambda *xs: [_flags_of(xs, kinds)], avals,
                                      name="nan_check")
        hit = _checkers.put(key, compile_program(program))
    return hit


def _host(x: Any) -> np.ndarray:
    return np.asarray(x.val if type(x) is Literal else x)


def _host_flags(x: Any, kinds: int) -> int:
    v = _host(x)
    if not _inexact(v.dtype):
        return 0
    return (NAN if kinds & NAN and np.isnan(v).any() else 0) | \
        (INF if kinds & INF and np.isinf(v).any() else 0)


def _found(values: Sequence[Any], kinds: int, fused: bool = False) -> int:
    """Which of `kinds` the values hold; `fused`: Arrays on the default device are
    checked by one compiled reduction (else each is read on the host)."""
    flags = 0
    bufs, avals = [], []
    for x in values:
        if type(x) is Array:
            if not _inexact(x.aval.dtype):
                continue
            if fused and x._sh is None:
                bufs.append(x._buf)
                avals.append(x.aval.strong())
                continue
            flags |= _host_flags(x._value(), kinds)
        elif isinstance(x, (Literal, float, complex, np.ndarray, np.generic)):
            flags |= _host_flags(x, kinds)
    if bufs:
        entry = _checker(tuple(avals), kinds)
        out = entry.collect(entry.launch(bufs))[0]
        flags |= int(runtime.to_host(out))
    return flags


# ---------------------------------------------------------------------------
# the check every compiled call runs while a switch is on


def check(entry: Entry, bufs: list[Any], outs: list[Any]) -> None:
    """Raise FloatingPointError if the call of `entry` on `bufs` (constants first)
    that gave `outs` made a NaN or an inf (as the switches ask)."""
    if _checking.get():
        return
    kinds = _kinds()
    token = _checking.set(True)
    try:
        out_arrays = [Array(b, a, sh) for b, a, sh in zip(outs, entry.out_avals, entry.out_sh,
                                                           strict=True)]
        made = _found(out_arrays, kinds, fused=True)
        if made:
            _explain(entry, bufs, made, kinds)
    finally:
        _checking.reset(token)


def _explain(entry: Entry, bufs: list[Any], made: int, kinds: int) -> None:
    program = entry.program
    name = program.name if program is not None else "a compiled call"
    if program is None or any(runtime.is_deleted(b) for b in bufs):
        alive = [Array(b, a) for b, a in zip(bufs, program.in_avals if program else [],
                                               strict=False) if not runtime.is_deleted(b)]
        if alive and entry.where is None and _found(alive, made) == made:
            return      # most likely carried in from the arguments that are left
        raise FloatingPointError(
            f"{_what(made)} encountered in the outputs of {name}, whose arguments were "
            "donated: they are gone, so it cannot be rerun op by op to find the operation "
            "that made it; call it without donate_argnums/donate_argnames to find it")
    args = _arrays(entry, bufs)
    try:
        with core.set_trace(core.eval_trace):
            _rerun(program, args, kinds, "")
    except FloatingPointError:
        raise
    except Exception as e:
        raise FloatingPointError(
            f"{_what(made)} encountered in {name} at {_where('')}; rerunning it op by op "
            f"to find the operation failed with {type(e).__name__}: {e}") from e
    if _found(args, made) == made:
        return      # carried in from the arguments: not this program's doing
    raise FloatingPointError(
        f"{_what(made)} encountered in {name} (compiled) at {_where('')}; run one operation "
        "at a time, none of its operations makes it, so XLA's optimisations of the whole "
        "program (fusion, reassociation) did. Look for a computation close to overflow or "
        "to a singularity, or run it under fg.disable_jit() to check op by op")


def _arrays(entry: Entry, bufs: list[Any]) -> list[Array]:
    """The call's inputs (constants first) as Arrays laid out as the call read them."""
    assert entry.program is not None
    avals = entry.program.in_avals
    where = entry.where
    shardings: list[Any]
    if where is None:
        shardings = [None] * len(bufs)
    elif type(where) is Partitioned:
        rep = NamedSharding(where.mesh, PartitionSpec())
        shardings = [rep] * (len(bufs) - len(where.in_shardings)) + list(where.in_shardings)
    else:
        shardings = [SingleDeviceSharding(where)] * len(bufs)
    return [Array(b, a, sh) for b, a, sh in zip(bufs, avals, shardings, strict=True)]


# ---------------------------------------------------------------------------
# the rerun: equation by equation, into sub-programs


def _rerun(program: Program, args: Sequence[Any], kinds: int, context: str) -> list[Any]:
    env: dict[int, Any] = {}
    for v, x in zip((*program.constvars, *program.invars), args, strict=True):
        env[id(v)] = x

    def read(a: Any) -> Any:
        return a if type(a) is Literal else env[id(a)]

    for eqn in program.eqns:
        outs = _run_eqn(eqn, [read(a) for a in eqn.inputs], kinds, context)
        for v, o in zip(eqn.outvars, outs, strict=True):
            env[id(v)] = o
    return [read(a) for a in program.outvars]


def _run_eqn(eqn: Eqn, vals: list[Any], kinds: int, context: str) -> list[Any]:
    prim, params = eqn.prim, eqn.params
    inner = _calls.get(prim)
    if inner is not None:
        operands = vals[1:] if prim is P.cond_p else vals
        return _rerun(inner(params, vals), operands, kinds, context)
    outs = prim.bind(*vals, **params)
    outs = list(outs) if prim.multiple_results else [outs]
    made = _found(outs, kinds)
    if made:
        made &= ~_found(vals, made)
    if made:
        step = _loops.get(prim)
        if step is not None:      # finds the iteration, raises naming its operation
            step(eqn, vals, made, kinds, context)
        raise _error(made, prim.name, vals, eqn.source, context)
    return outs


def _cond_branch(params: dict[str, Any], vals: list[Any]) -> Program:
    branches = params["branches"]
    index = int(_host(vals[0]))
    return branches[min(max(index, 0), len(branches) - 1)]


# the primitives whose work is a sub-program of all their operands (cond: but the index)
_calls: dict[Any, Callable[[dict[str, Any], list[Any]], Program]] = {
    P.jit_p: lambda params, vals: params["program"],
    P.checkpoint_p: lambda params, vals: params["program"],
    P.custom_jvp_call_p: lambda params, vals: params["call"],
    P.custom_vjp_call_p: lambda params, vals: params["call"],
    P.cond_p: _cond_branch,
}


def _step_scan(eqn: Eqn, vals: list[Any], made: int, kinds: int, context: str) -> None:
    params = eqn.params
    body: Program = params["body"]
    nc, nk, length = params["num_consts"], params["num_carry"], params["length"]
    consts, carry, xs = vals[:nc], vals[nc:nc + nk], vals[nc + nk:]
    for step in range(length):
        i = length - 1 - step if params["reverse"] else step
        args = [*consts, *carry, *(x[i] for x in xs)]
        outs = run_program(body, args)
        if _found(outs, made) & ~_found(args, made):
            here = _join(context, f"iteration {i} of the scan at {_where(eqn.source)}")
            _rerun(body, args, kinds, here)
            raise _error(made, "scan", vals, eqn.source, _join(context, f"iteration {i}"))
        carry = outs[:nk]


def _step_while(eqn: Eqn, vals: list[Any], made: int, kinds: int, context: str) -> None:
    params = eqn.params
    cc, bc = params["cond_nconsts"], params["body_nconsts"]
    cconsts, bconsts, carry = vals[:cc], vals[cc:cc + bc], vals[cc + bc:]
    i = 0
    while bool(_host(run_program(params["cond_program"], [*cconsts, *carry])[0])):
        args = [*bconsts, *carry]
        outs = run_program(params["body_program"], args)
        if _found(outs, made) & ~_found(args, made):
            here = _join(context, f"iteration {i} of the while loop at {_where(eqn.source)}")
            _rerun(params["body_program"], args, kinds, here)
            raise _error(made, "while", vals, eqn.source, _join(context, f"iteration {i}"))
        carry, i = outs, i + 1


_loops: dict[Any, Callable[[Eqn, list[Any], int, int, str], None]] = {
    P.scan_p: _step_scan, P.while_p: _step_while,
}


# ---------------------------------------------------------------------------
# the message

_SOURCE = re.compile(r"^(.*:\d+) \((.*)\)$")


def _what(made: int) -> str:
    return f"invalid value ({'nan' if made & NAN else 'inf'})"


def _where(source: str) -> str:
    """`source` ("file:line (function)"), else the line being replayed, else the
    user's frame now, as ``file:line (in function)``."""
    source = source or replay_source.get() or core.user_source_line()
    m = _SOURCE.match(source)
    return f"{m.group(1)} (in {m.group(2)})" if m else source


def _join(context: str, more: str) -> str:
    return f"{context}, {more}" if context else more


def _error(made: int, name: str, vals: Sequence[Any], source: str,
           context: str) -> FloatingPointError:
    types = ", ".join(core.get_aval(v).str_short() for v in vals)
    also = f", in {context}" if context else ""
    switch = "debug_nans" if made & NAN else "debug_infs"
    return FloatingPointError(
        f"{_what(made)} encountered in {name} ({types}) at {_where(source)}{also}.\n"
        f"Its operands hold no {'NaN' if made & NAN else 'inf'}: this operation made it. "
        f"(fg.config.update({switch!r}, False) turns the check off.)")


dispatch.set_output_check(check)
