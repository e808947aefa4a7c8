"""Eager execution: the bottom trace runs each primitive as its own executable.

One compiled executable per (primitive, input avals, params), built by the
same lowering rules `jit` uses, so eager and jitted code compute the same bits
(decision 3). Shape rules run on a cache miss only; a failing rule raises
before anything is compiled or cached.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from funcgrad import core
from funcgrad.array import Array
from funcgrad.core import Primitive, ShapedArray, Tracer
from funcgrad.ir import Literal
from xla_backend import lowering, runtime


class _Compiled:
    __slots__ = ("exe", "out_avals")

    def __init__(self, exe: runtime.Executable, out_avals: list[ShapedArray]):
        self.exe = exe
        self.out_avals = out_avals


_cache: dict[Any, _Compiled] = {}
_scalars: dict[Any, runtime.Buffer] = {}


def placement(args: Iterable[Any]) -> runtime.Device | None:
    """Where a computation on `args` runs: None on a single-device machine (the
    default device); otherwise the device the Array arguments live on."""
    if not runtime.multiple_devices():
        return None
    devs = {runtime.buffer_device(x._buf) for x in args if type(x) is Array}
    if len(devs) > 1:
        raise ValueError(f"the arguments live on different devices ({sorted(map(str, devs))}); "
                         "move them to one device with fg.device_put(x, device) first")
    return devs.pop() if devs else runtime.default_device()


def scalar_buffer(value: Any, aval: ShapedArray,
                  device: runtime.Device | None = None) -> runtime.Buffer:
    """A device copy of a scalar constant, cached: ``x * 2.0`` in a loop copies 2.0 once."""
    key = (aval.dtype, value, device)
    buf = _scalars.get(key)
    if buf is None:
        if len(_scalars) > 4096:
            _scalars.clear()
        buf = _scalars[key] = runtime.to_device(np.asarray(value, aval.dtype), device)
    return buf


def _operand(x: Any, device: runtime.Device | None) -> tuple[ShapedArray, runtime.Buffer]:
    t = type(x)
    if t is Array:
        return x.aval, x._buf
    if t is Literal:
        return x.aval, scalar_buffer(x.val, x.aval, device)
    if isinstance(x, Tracer):
        raise core.escaped_tracer_error(x)
    aval = core.get_aval(x)
    if aval.shape == ():
        return aval, scalar_buffer(np.asarray(x, aval.dtype)[()], aval, device)
    return aval, runtime.to_device(np.asarray(x, aval.dtype), device)


def compile_primitive(prim: Primitive, in_avals: Sequence[ShapedArray],
                      params: dict[str, Any], device: runtime.Device | None = None) -> _Compiled:
    out_avals = prim.abstract_eval(*in_avals, **params)
    program = lowering.eqn_program(prim, in_avals, params, out_avals)
    text = lowering.lower_program(program, prim.name)
    exe = runtime.compile_text(text, [(a.shape, a.dtype) for a in out_avals], device)
    return _Compiled(exe, out_avals)


def apply_primitive(prim: Primitive, args: Sequence[Any], params: dict[str, Any]) -> list[Any]:
    device = placement(args)
    avals = []
    bufs = []
    for x in args:
        if type(x) is Array:
            avals.append(x.aval)
            bufs.append(x._buf)
        else:
            a, b = _operand(x, device)
            avals.append(a)
            bufs.append(b)
    key = (prim, tuple(avals), tuple(params.items()), device)
    entry = _cache.get(key)
    if entry is None:
        entry = _cache[key] = compile_primitive(prim, avals, params, device)
    outs = entry.exe(bufs)
    return [Array(b, a) for b, a in zip(outs, entry.out_avals, strict=True)]


core.eval_impl = apply_primitive


def cache_size() -> int:
    return len(_cache)
