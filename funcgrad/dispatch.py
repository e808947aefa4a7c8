"""The one execution path: compile a Program for a placement, run it on buffers.

Eager primitives (funcgrad.eager), `jit`, eager control flow and eager
autodiff all compile here and run through `Entry`, so they compute the same
bits (decision 3). This is the only module that lowers (it alone imports
funcgrad.xla_backend.lowering); it reaches PJRT only through
funcgrad.xla_backend.runtime.

- `compile_staged` lowers and compiles a Program into an `Entry`;
  `compile_primitive` and `compile_program` are the two shapes of it the
  eager paths need. `lower` gives the text `jit(f).lower()` shows.
- `Entry.run` is one call on device buffers (the hot path of a cached `jit`
  call and of an eager primitive); `Entry.call` is one call on argument
  values, and hands donated buffers over.
- A *placement* says where a computation runs: None (the default device),
  a Device, or `runtime.Partitioned` (a mesh and a sharding per input: XLA's
  SPMD partitioner splits the computation). `placement`, `arg_buffers`,
  `buffer_for` and `runtime.compile_text` are the only functions that look
  inside one, and every cache key ends with it.
- `executables` is the cache of eager primitives and of Programs built at
  run time, keyed by abstract signature and placement; each jitted function
  keeps its own cache of Entries (funcgrad.jit) and compiles and runs them
  here. Like every cache they are `LRUCache`s: bounded by
  ``config.cache_size``, thread-safe, emptied by `fg.clear_caches()`.

Two threads missing the same signature at once may both compile it; the
first one stored wins and the other's executable is dropped, so afterwards
the cache holds one entry per signature (a benign duplicate compile, never a
duplicate entry).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from funcgrad import core, dtypes
from funcgrad.array import Array, donated_error
from funcgrad.config import LRUCache
from funcgrad.config import config as _config
from funcgrad.core import Primitive, ShapedArray, Tracer
from funcgrad.ir import Literal, Program, structure_key
from funcgrad.recompiles import timed
from funcgrad.sharding import Mesh, NamedSharding, PartitionSpec, SingleDeviceSharding
from funcgrad.transforms.staging import hoist_consts, hoist_literals
from funcgrad.tree import LEAF, PyTreeDef
from funcgrad.xla_backend import lowering, runtime

Placement = runtime.Placement
Partitioned = runtime.Partitioned


class Entry:
    """A compiled signature: its executable, the buffers of the constants it
    closes over, its output avals and how to hand the outputs back.

    `out_tree`: the pytree the outputs are unflattened into; None for a flat
    list (what eager primitives and run-time Programs return). `donated`:
    indices of the (non-constant) inputs a call consumes. `key`: the very
    object it is cached under, so that a hot path marks it used by identity (a
    dict lookup with an equal but new key would compare avals again). `where`:
    the placement its inputs must have; `moves_inputs` is True when that is not
    where the arguments it was compiled for live (a program that lays values
    out over a mesh, e.g. with a sharding constraint, called on one-device
    arguments): `run` then must not be given their buffers as they are.
    `program`: what was compiled (inputs: the constants, then a call's
    arguments), rerun op by op when a debugging switch finds a NaN or an inf."""

    __slots__ = ("exe", "launch", "collect", "const_bufs", "out_tree", "out_avals", "out_sh",
                 "single", "donated", "key", "where", "moves_inputs", "program")

    def __init__(self, exe: runtime.Executable, out_avals: list[ShapedArray],
                 out_tree: PyTreeDef | None = None, const_bufs: Sequence[Any] = (),
                 donated: Sequence[int] = (), placement: Placement = None,
                 moves_inputs: bool = False):
        self.exe = exe
        self.where = placement
        self.moves_inputs = moves_inputs
        # exe.execute in two halves, kept here so that `run` reaches them in one lookup
        self.launch = exe.launch
        self.collect = exe.collect
        self.const_bufs = list(const_bufs)
        self.out_tree = out_tree
        self.out_avals = out_avals
        # the outputs' shardings as Arrays hold them: None on the default device
        on_default = placement is None or placement == runtime.default_device()
        self.out_sh: list[Any] = [None] * len(out_avals) if on_default else list(exe.out_shardings)
        self.single = out_tree == LEAF
        self.donated = tuple(donated)
        self.key: Any = None
        self.program: Program | None = None

    def run(self, bufs: list[Any]) -> Any:
        """One call on input buffers `bufs` (constants excluded); the outputs as
        Arrays, in `out_tree`. The hot path: no Python call but the Arrays'."""
        if self.const_bufs:
            bufs = self.const_bufs + bufs
        try:
            outs = self.collect(self.launch(bufs))
        except Exception:
            raise_if_deleted(bufs)
            raise
        if _config.debug_nans or _config.debug_infs:
            check_outputs(self, bufs, outs)
        if self.single:
            return Array(outs[0], self.out_avals[0], self.out_sh[0])
        arrays = list(map(Array, outs, self.out_avals, self.out_sh))   # one per output
        return arrays if self.out_tree is None else self.out_tree.unflatten(arrays)

    def call(self, args: Sequence[Any], avals: Sequence[ShapedArray]) -> Any:
        """One call on argument values (Arrays, scalars, NumPy arrays) of avals
        `avals`, their buffers made where the executable reads them.

        A donated input must be a buffer no one else reads during the call: a
        Python scalar's (shared, cached) buffer, or one that is also passed in
        another position or held as a constant, is replaced by a fresh copy, so
        the donation consumes only memory that belongs to the call."""
        placement = self.where
        bufs = arg_buffers(args, avals, placement)
        if not self.donated:
            return self.run(bufs)
        uses: dict[int, int] = {}
        for b in (*self.const_bufs, *bufs):
            uses[id(b)] = uses.get(id(b), 0) + 1
        consumed = []
        for i in self.donated:
            x, b = args[i], bufs[i]
            if type(x) is Array and runtime.is_deleted(x._buf):
                raise donated_error()
            if type(x) is not Array:
                bufs[i] = _host_to(np.asarray(getattr(x, "val", x), avals[i].dtype),
                                   _target(placement, i))
            elif b is not x._buf:
                pass           # already a copy on the call's device: x itself is untouched
            elif uses[id(b)] > 1:
                bufs[i] = runtime.copy_buffer(b)
            else:
                consumed.append(x)
        out = self.run(bufs)
        for x in consumed:
            x._npy = None     # its host copy must not outlive the donated buffer
        return out

    def memory_stats(self) -> Any:
        return self.exe.memory_stats()

    def cost_analysis(self) -> dict[str, float]:
        return self.exe.cost_analysis()

    def hlo_text(self) -> str:
        """The optimized HLO XLA compiled (after its passes, unlike the StableHLO text)."""
        return self.exe.hlo_text()


def _no_check(entry: Entry, bufs: list[Any], outs: list[Any]) -> None:
    """Stands in until funcgrad.debug_nans installs its check."""


# What the debug_nans/debug_infs switches run on a call's input and output buffers
# (`Entry.run` asks the switches first, so a call pays nothing while they are off).
# funcgrad.debug_nans installs it when funcgrad is imported: it reruns programs
# through this module, so it sits in a layer above and cannot be imported here.
check_outputs: Callable[[Entry, list[Any], list[Any]], None] = _no_check


def set_output_check(check: Callable[[Entry, list[Any], list[Any]], None]) -> None:
    """Install `check` as what the debug switches run after each compiled call."""
    global check_outputs
    check_outputs = check


def raise_if_deleted(bufs: Iterable[Any]) -> None:
    """After a failed execute: name a donated input as the cause, if there is one."""
    for b in bufs:
        if runtime.is_deleted(b):
            raise donated_error() from None


def executable_of(entry: Entry) -> runtime.Executable:
    """What `LRUCache.info` measures in a cache of Entries."""
    return entry.exe


executables = LRUCache("executables", executable_of=executable_of)
_scalars = LRUCache("scalar constants")


# ---------------------------------------------------------------------------
# compiling


def lower(program: Program, name: str, donated: Sequence[int] = (),
          placement: Placement = None) -> str:
    """`program` as StableHLO text, its inputs `donated` marked as buffer donors; for a
    partitioned placement, its inputs and outputs annotated with their shardings."""
    return lower_module(program, name, donated, placement).text


def lower_module(program: Program, name: str, donated: Sequence[int] = (),
                 placement: Placement = None) -> lowering.Module:
    """`lower`, with the host callbacks the module calls."""
    shardings = None
    if type(placement) is Partitioned:
        shardings = (placement.in_shardings, placement.out_shardings)
    module = lowering.lower_module(program, name, shardings)
    return module._replace(text=runtime.mark_donated(module.text, donated))


def compile_staged(program: Program, name: str, placement: Placement = None, *,
                   out_tree: PyTreeDef | None = None, consts: Sequence[Any] = (),
                   donated: Sequence[int] = ()) -> Entry:
    """Lower and compile `program` for `placement`. Its inputs are `consts`, then a
    call's arguments, of which those at `donated` are consumed by a call."""
    nc = len(consts)
    mesh = None if type(placement) is Partitioned else mesh_of(program)
    moves = mesh is not None
    if mesh is not None:      # the program lays values out over a mesh: run it there
        rep = NamedSharding(mesh, PartitionSpec())
        placement = Partitioned(mesh, (rep,) * (len(program.in_avals) - nc))
    placement = replicated_first(placement, nc)     # constants are replicated inputs
    with timed("lowering", name):
        module = lower_module(program, name, (), placement)
    with timed("compiling", name):
        exe = runtime.compile_text(module.text,
                                   [(a.shape, a.dtype) for a in program.in_avals],
                                   [(a.shape, a.dtype) for a in program.out_avals], placement,
                                   [nc + i for i in donated], module.host_callbacks)
    const_bufs = [buffer_for(c, core.get_aval(c), _target(placement, i))
                  for i, c in enumerate(consts)]
    if type(placement) is Partitioned and nc:
        placement = placement._replace(in_shardings=placement.in_shardings[nc:])
    entry = Entry(exe, program.out_avals, out_tree, const_bufs, donated, placement, moves)
    entry.program = program
    return entry


def mesh_of(program: Program) -> Any:
    """The mesh a program's own shardings name (sharding constraints, shard_map), if
    any: such a program runs partitioned even on one-device arguments."""
    for eqn in program.eqns:
        for v in eqn.params.values():
            for item in (v if type(v) is tuple else (v,)):
                if type(item) is NamedSharding:
                    return item.mesh
                if type(item) is Mesh:
                    return item
                if type(item) is Program:
                    found = mesh_of(item)
                    if found is not None:
                        return found
    return None


def compile_primitive(prim: Primitive, in_avals: Sequence[ShapedArray], params: dict[str, Any],
                      placement: Placement = None) -> Entry:
    """One primitive as its own executable with flat outputs (its shape rule raises
    before anything is compiled)."""
    out_avals = prim.abstract_eval(*in_avals, **params)
    return compile_staged(lowering.eqn_program(prim, in_avals, params, out_avals), prim.name,
                          placement)


def compile_program(program: Program, placement: Placement = None) -> Entry:
    """Compile `program` as it is (inputs: its constvars, then its invars), with
    flat outputs."""
    return compile_staged(hoist_consts(program), program.name, placement)


# ---------------------------------------------------------------------------
# placements and buffers


def placement(args: Iterable[Any]) -> Placement:
    """Where a computation on `args` runs: None (the default device) when every Array
    is there; the device they share; or, when some are split over a mesh, that
    mesh, each input keeping its layout (Arrays on one device and other values
    are replicated over the mesh)."""
    args = list(args)
    named = [x._sh for x in args if type(x) is Array and type(x._sh) is NamedSharding]
    if named:
        mesh = named[0].mesh
        for sh in named[1:]:
            if sh.mesh != mesh:
                raise ValueError(f"the arguments are split over different meshes: {mesh} "
                                 f"(devices {list(mesh.device_ids)}) and {sh.mesh} (devices "
                                 f"{list(sh.mesh.device_ids)}); move them to one mesh with "
                                 "fg.device_put(x, NamedSharding(mesh, spec)) first")
        rep = NamedSharding(mesh, PartitionSpec())
        return Partitioned(mesh, tuple(
            x._sh if type(x) is Array and type(x._sh) is NamedSharding else rep for x in args))
    devs = {x._sh.device for x in args
            if type(x) is Array and type(x._sh) is SingleDeviceSharding}
    if not devs:
        return None
    if any(type(x) is Array and x._sh is None for x in args):
        devs.add(runtime.default_device())
    if len(devs) > 1:
        raise ValueError(f"the arguments live on different devices ({sorted(map(str, devs))}); "
                         "move them to one device with fg.device_put(x, device) first")
    return devs.pop()


def replicated_first(placement: Placement, n: int) -> Placement:
    """`placement` for a computation taking `n` more inputs first, replicated over
    the mesh when it is partitioned."""
    if type(placement) is not Partitioned or not n:
        return placement
    rep = NamedSharding(placement.mesh, PartitionSpec())
    return placement._replace(in_shardings=(rep,) * n + placement.in_shardings)


def _target(placement: Placement, i: int) -> Any:
    """Where input `i` of a computation at `placement` must be: None (the default
    device), a Device, or a NamedSharding."""
    return placement.in_shardings[i] if type(placement) is Partitioned else placement


def _host_to(value: np.ndarray, target: Any) -> runtime.Buffer:
    if type(target) is NamedSharding:
        return runtime.to_devices(value, target)
    return runtime.to_device(value, target)


def arg_buffers(args: Sequence[Any], avals: Sequence[ShapedArray],
                placement: Placement = None) -> list[runtime.Buffer]:
    """A buffer per argument, laid out where a computation at `placement` reads it."""
    if placement is None:
        return [x._buf if type(x) is Array and x._sh is None else buffer_for(x, a)
                for x, a in zip(args, avals, strict=True)]
    return [buffer_for(x, a, _target(placement, i))
            for i, (x, a) in enumerate(zip(args, avals, strict=True))]


def scalar_buffer(value: Any, aval: ShapedArray, placement: Placement = None) -> runtime.Buffer:
    """A device copy of a scalar constant, cached: ``x * 2.0`` in a loop copies 2.0 once.
    Never donate one: other calls share it. Zeros and complex values are keyed by
    their bits too: 0.0 == -0.0 and 1+0j == 1-0j, and the sign must survive.
    `placement`: a device, None (the default one) or a (replicated) NamedSharding."""
    key: tuple[Any, ...] = (aval.dtype, value, placement)
    if not value or dtypes.is_complex(aval.dtype):
        key = (*key, np.asarray(value, aval.dtype).tobytes())
    buf = _scalars.get(key)
    if buf is None:
        buf = _scalars.put(key, _host_to(np.asarray(value, aval.dtype), placement))
    return buf


def scalar_argument(value: Any, aval: ShapedArray) -> runtime.Buffer:
    """A jitted call's Python-scalar argument on the default device: the cached copy
    when there is one (a constant passed again and again), else a fresh transfer
    that is not cached — such arguments are mostly new values (a time step, a
    loop counter), and caching each would cost more than the copy saves."""
    key: tuple[Any, ...] = (aval.dtype, value, None)
    if not value or type(value) is complex:
        key = (*key, np.asarray(value, aval.dtype).tobytes())
    buf = _scalars.get(key)
    if buf is None:
        buf = runtime.scalar_to_device(value, aval.dtype)
    return buf


def buffer_for(x: Any, aval: ShapedArray, target: Any = None) -> runtime.Buffer:
    """A device buffer for an argument, at `target`: None (the default device), a
    Device or a NamedSharding."""
    if type(x) is Array:
        return _moved(x, target)
    if type(x) is Literal:
        return scalar_buffer(x.val, x.aval, target)
    if isinstance(x, Tracer):
        raise core.escaped_tracer_error(x)
    if aval.shape == ():   # a Python/NumPy scalar
        return scalar_buffer(np.asarray(x, aval.dtype)[()], aval, target)
    return _host_to(np.asarray(x, aval.dtype), target)


def _moved(x: Array, target: Any) -> runtime.Buffer:
    """`x`'s buffer at `target`, copied there if it lives elsewhere (a change of layout
    over a mesh goes through the host)."""
    sh = x._sh
    if type(target) is NamedSharding:
        return x._buf if sh == target else runtime.to_devices(x._value(), target)
    if sh is None:
        if target is None or target == runtime.default_device():
            return x._buf
    elif type(sh) is SingleDeviceSharding:
        if sh.device == (target or runtime.default_device()):
            return x._buf
    return runtime.to_device(x._value(), target)


def check_alive(args: Iterable[Any]) -> None:
    """Raise for a donated Array among `args` (on cache misses, before compiling)."""
    for x in args:
        if type(x) is Array and runtime.is_deleted(x._buf):
            raise donated_error()


# ---------------------------------------------------------------------------
# Programs built at run time (eager transformations): compiled once per structure


def run_compiled(entry: Entry, args: Sequence[Any]) -> list[Any]:
    """Call an Entry with flat outputs on argument values."""
    return entry.call(args, [core.get_aval(x) for x in args])


def run_program(program: Program, args: Sequence[Any]) -> list[Any]:
    """Run `program` on concrete `args` (its constvars' values, then its invars')
    as one compiled call.

    Eager transformations rebuild structurally identical Programs on every call;
    the executable is cached by `ir.structure_key`, with scalar literals hoisted
    to inputs so that new scalar values reuse it.
    """
    hoisted, lits = hoist_literals(hoist_consts(program))
    args = [*args, *(lit.val for lit in lits)]
    where = placement(args)
    key = ("program", structure_key(hoisted), where)
    entry = executables.lookup(key)
    if entry is None:
        check_alive(args)
        entry = executables.put(key, compile_program(hoisted, where))
    return run_compiled(entry, args)
