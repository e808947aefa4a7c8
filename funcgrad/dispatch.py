"""The one execution path: compile a Program for a placement, run it on buffers.

Eager primitives, `jit`, eager control flow and eager autodiff all compile
through `compile_staged` and run through `Entry`, so they compute the same bits
(decision 3). Executables of eager primitives and of Programs built at run
time share one cache, `executables`, keyed by abstract signature; each
jitted function keeps its own (funcgrad.jit). Like every cache they are
`LRUCache`s: bounded by ``config.cache_size``, thread-safe, emptied by
`fg.clear_caches()`.

Two threads missing the same signature at once may both compile it; the
first one stored wins and the other's executable is dropped, so afterwards
the cache holds one entry per signature (a benign duplicate compile, never a
duplicate entry).
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from funcgrad import core, tree
from funcgrad.array import Array, donated_error
from funcgrad.config import LRUCache
from funcgrad.core import Primitive, ShapedArray, Tracer
from funcgrad.ir import Literal, Program, structure_key
from funcgrad.transforms.staging import hoist_consts, hoist_literals
from funcgrad.xla_backend import lowering, runtime

_LEAF = tree.LEAF


class Entry:
    """A compiled signature: the PJRT execute method, result handlers, the buffers
    of constants it closes over and how to rebuild its output pytree. `donated`:
    indices of the (non-constant) inputs a call consumes. `key`: the very object
    it is cached under, so that a hot path marks it used by identity (a dict
    lookup with an equal but new key would compare avals again)."""

    __slots__ = ("exe", "execute", "handlers", "const_bufs", "out_tree", "out_avals",
                 "single", "donated", "key")

    def __init__(self, exe: runtime.Executable, out_avals: list[ShapedArray],
                 out_tree: tree.PyTreeDef | None = None, const_bufs: Sequence[Any] = (),
                 donated: Sequence[int] = ()):
        self.exe = exe
        self.execute = exe.loaded.execute_sharded
        self.handlers = exe.handlers
        self.const_bufs = list(const_bufs)
        self.out_tree = out_tree
        self.out_avals = out_avals
        self.single = out_tree == _LEAF
        self.donated = tuple(donated)
        self.key: Any = None

    def buffers(self, bufs: list[Any]) -> list[Any]:
        """Output buffers of one call on input buffers `bufs` (constants excluded)."""
        if self.const_bufs:
            bufs = self.const_bufs + bufs
        try:
            return self.execute(bufs).consume_with_handlers(self.handlers)
        except Exception:
            raise_if_deleted(bufs)
            raise

    def run(self, bufs: list[Any]) -> Any:
        """One call; the outputs as Arrays in the output pytree (`buffers`, inlined:
        this is the jit hot path)."""
        if self.const_bufs:
            bufs = self.const_bufs + bufs
        try:
            outs = self.execute(bufs).consume_with_handlers(self.handlers)
        except Exception:
            raise_if_deleted(bufs)
            raise
        if self.single:
            return Array(outs[0], self.out_avals[0])
        return self.out_tree.unflatten(   # type: ignore[union-attr]
            [Array(b, av) for b, av in zip(outs, self.out_avals, strict=True)])

    def run_flat(self, bufs: list[Any]) -> list[Array]:
        return [Array(b, av) for b, av in zip(self.buffers(bufs), self.out_avals, strict=True)]

    def memory_stats(self) -> Any:
        return self.exe.memory_stats()


def raise_if_deleted(bufs: Iterable[Any]) -> None:
    """After a failed execute: name a donated input as the cause, if there is one."""
    for b in bufs:
        if runtime.is_deleted(b):
            raise donated_error() from None


def executable_of(entry: Any) -> Any:
    """What `LRUCache.info` measures in a cache of Entries."""
    return entry.exe


executables = LRUCache("executables", executable_of=executable_of)
_scalars = LRUCache("scalar constants")


def compile_staged(program: Program, name: str, device: runtime.Device | None = None, *,
            out_tree: tree.PyTreeDef | None = None, consts: Sequence[Any] = (),
            donated: Sequence[int] = ()) -> Entry:
    """Lower and compile `program` (inputs: `consts`, then the call's arguments)."""
    text = lowering.lower_program(program, name)
    out_avals = program.out_avals
    nc = len(consts)
    exe = runtime.compile_text(text, [(a.shape, a.dtype) for a in out_avals], device,
                               [nc + i for i in donated])
    const_bufs = [buffer_for(c, core.get_aval(c), device) for c in consts]
    return Entry(exe, out_avals, out_tree, const_bufs, donated)


def compile_primitive(prim: Primitive, in_avals: Sequence[ShapedArray], params: dict[str, Any],
                      device: runtime.Device | None = None) -> Entry:
    """One primitive as its own executable (its shape rule raises before any compile)."""
    out_avals = prim.abstract_eval(*in_avals, **params)
    program = lowering.eqn_program(prim, in_avals, params, out_avals)
    text = lowering.lower_program(program, prim.name)
    exe = runtime.compile_text(text, [(a.shape, a.dtype) for a in out_avals], device)
    return Entry(exe, out_avals)


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
    """A device copy of a scalar constant, cached: ``x * 2.0`` in a loop copies 2.0 once.
    Never donate one: other calls share it."""
    key = (aval.dtype, value, device)
    buf = _scalars.get(key)
    if buf is None:
        buf = _scalars.put(key, runtime.to_device(np.asarray(value, aval.dtype), device))
    return buf


def buffer_for(x: Any, aval: ShapedArray, device: runtime.Device | None = None) -> Any:
    """A device buffer for an argument (on `device`; None: the default device)."""
    if type(x) is Array:
        return x._buf if device is None else runtime.copy_to_device(x._buf, device)
    if type(x) is Literal:
        return scalar_buffer(x.val, x.aval, device)
    if isinstance(x, Tracer):
        raise core.escaped_tracer_error(x)
    if aval.shape == ():   # a Python/NumPy scalar
        return scalar_buffer(np.asarray(x, aval.dtype)[()], aval, device)
    return runtime.to_device(np.asarray(x, aval.dtype), device)


def check_alive(args: Iterable[Any]) -> None:
    """Raise for a donated Array among `args` (on cache misses, before compiling)."""
    for x in args:
        if type(x) is Array and runtime.is_deleted(x._buf):
            raise donated_error()


# ---------------------------------------------------------------------------
# Programs built at run time (eager transformations): compiled once per structure


def compile_program(program: Program, device: Any = None) -> Entry:
    """Compile `program` (inputs: its constvars, then its invars) as it is; the
    outputs come back as a flat list."""
    hoisted = hoist_consts(program)
    return compile_staged(hoisted, program.name, device,
                   out_tree=tree.PyTreeDef(list, None, (_LEAF,) * len(hoisted.outvars)))


def run_compiled(entry: Entry, args: Sequence[Any], device: Any = None) -> list[Any]:
    return entry.run_flat([buffer_for(x, core.get_aval(x), device) for x in args])


def run_program(program: Program, args: Sequence[Any]) -> list[Any]:
    """Run `program` on concrete `args` (its constvars' values, then its invars')
    as one compiled call.

    Eager transformations rebuild structurally identical Programs on every call;
    the executable is cached by `ir.structure_key`, with scalar literals hoisted
    to inputs so that new scalar values reuse it.
    """
    hoisted, lits = hoist_literals(hoist_consts(program))
    device = placement(args)
    key = ("program", structure_key(hoisted), device)
    entry = executables.lookup(key)
    if entry is None:
        check_alive(args)
        entry = executables.put(key, compile_program(hoisted, device))
    return run_compiled(entry, [*args, *(lit.val for lit in lits)], device)
