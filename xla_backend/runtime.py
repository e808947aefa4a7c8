"""The PJRT client, devices, buffers, compilation and execution.

This is the only module that imports jax/jaxlib (decision 1), and from them
only the runtime: the PJRT client, device buffers (jaxlib's ArrayImpl, the
buffer type PJRT hands back), compile options and result handlers. None of
JAX's tracing or of its NumPy namespace. It is also the only module that
touches a PJRT object's methods: the rest of funcgrad holds buffers and
executables as opaque values and calls the small functions here (compile,
execute, buffers from and to NumPy, copy, is_deleted, block_until_ready).

An `Executable` is compiled once from StableHLO text for a placement and
then called with device buffers; it keeps the result handlers it needs, so
a call is one PJRT execute plus one C++ wrap per output. Inputs compiled as
donated are consumed by a call: PJRT may write an output into their memory
and marks the buffer deleted (`is_deleted`), whatever the caller still holds.
"""
from __future__ import annotations

import operator as _operator
import os
import re
import time
from collections.abc import Sequence
from typing import Any, NamedTuple, NoReturn

import numpy as np

import jax as _jax
from jax.core import ShapedArray as _JaxAval   # the aval PJRT buffers carry
from jaxlib import xla_client as _xc
from jax.extend import backend as _backend
from jaxlib.mlir import ir as _ir
from jaxlib.mlir._mlir_libs import _jax_mlir_ext
from jaxlib.mlir.dialects import sdy as _sdy
from jax.sharding import Mesh as _JaxMesh
from jax.sharding import NamedSharding as _JaxNamedSharding
from jax.sharding import PartitionSpec as _JaxSpec
from jax.sharding import SingleDeviceSharding as _SingleDeviceSharding

from funcgrad.sharding import (Mesh, NamedSharding, PartitionSpec, SingleDeviceSharding,
                               spec_from_tiles)
from funcgrad.xla_backend import compilation_cache

Buffer = Any            # a PJRT device buffer (jaxlib ArrayImpl)
Device = Any

_client: Any = None
_default_device: Any = None
_shardings: dict[Any, Any] = {}


def client() -> Any:
    global _client
    if _client is None:
        # Eager code dispatches many small executables in a row; run them on the
        # calling thread instead of handing each to a worker thread (on CPU this
        # makes a chain of small ops about 1.5x faster). Takes effect when this
        # process creates its CPU client, i.e. unless JAX itself was used first.
        _jax.config.update("jax_cpu_enable_async_dispatch", False)
        _set_cpu_device_count()
        _client = _backend.get_backend()
    return _client


NUM_CPU_DEVICES = "FUNCGRAD_NUM_CPU_DEVICES"


def _set_cpu_device_count() -> None:
    """Give the CPU client as many devices as ``FUNCGRAD_NUM_CPU_DEVICES`` says
    (default 1): a mesh of CPU devices to develop and test sharded code on one
    machine. Read once, when the client is made."""
    n = os.environ.get(NUM_CPU_DEVICES)
    if not n:
        return
    try:
        count = int(n)
    except ValueError:
        count = 0
    if count < 1:
        raise ValueError(f"{NUM_CPU_DEVICES}={n!r}: give a positive number of CPU devices")
    try:
        _jax.config.update("jax_num_cpu_devices", count)
    except RuntimeError as e:     # the CPU client exists already (JAX was used first)
        raise RuntimeError(f"{NUM_CPU_DEVICES}={n} cannot take effect: XLA's CPU client was "
                           "created before funcgrad's (JAX was used first in this process); "
                           "import funcgrad first, or set XLA_FLAGS="
                           f"--xla_force_host_platform_device_count={count}") from e


def devices(backend: str | None = None) -> list[Device]:
    """Devices of the default backend (GPU/TPU when present, else CPU)."""
    return list(_backend.get_backend(backend).devices() if backend else client().devices())


def default_device() -> Device:
    """This process's first device."""
    global _default_device
    if _default_device is None:
        _default_device = client().local_devices()[0]
    return _default_device


def local_devices() -> list[Device]:
    """The devices this process drives (all of them, unless several processes share
    one global mesh)."""
    return list(client().local_devices())


def process_index() -> int:
    return int(client().process_index())


def process_count() -> int:
    return len({d.process_index for d in client().devices()})


def initialize_distributed(coordinator_address: str, num_processes: int, process_id: int,
                           local_device_ids: Sequence[int] | None = None) -> None:
    """Join `num_processes` processes into one runtime through PJRT's coordination
    service (process 0 hosts it at `coordinator_address`): afterwards `devices()`
    lists every process's devices and one program spans them all, with CPU
    collectives over gloo. Must run before this process makes its client."""
    if _client is not None:
        raise RuntimeError("fg.distributed.initialize must be called before funcgrad uses "
                           "any device: call it first thing in the process")
    _jax.config.update("jax_cpu_collectives_implementation", "gloo")
    _jax.distributed.initialize(coordinator_address=coordinator_address,
                                num_processes=num_processes, process_id=process_id,
                                local_device_ids=local_device_ids)


def platform() -> str:
    return client().platform


_linalg_ready = False


def ensure_linalg_kernels() -> None:
    """Bind the LAPACK routines behind jaxlib's CPU linear-algebra custom calls (once).

    jaxlib takes them lazily from SciPy's LAPACK; a custom call compiled before
    this has run would call a null function pointer."""
    global _linalg_ready
    if not _linalg_ready:
        from jaxlib import lapack
        lapack.prepare_lapack_call("potrf_ffi", np.dtype(np.float64))
        _linalg_ready = True


def _sharding(device: Device) -> Any:
    s = _shardings.get(device)
    if s is None:
        s = _shardings[device] = _SingleDeviceSharding(device)
    return s


_REPLICATED = _xc.OpSharding.Type.REPLICATED
_jax_shardings: dict[Any, Any] = {}


def jax_sharding(sharding: Any) -> Any:
    """The runtime's object for a funcgrad sharding (what PJRT arrays carry)."""
    s = _jax_shardings.get(sharding)
    if s is None:
        if type(sharding) is SingleDeviceSharding:
            s = _sharding(sharding.device)
        else:
            mesh = _JaxMesh(sharding.mesh.devices, sharding.mesh.axis_names)
            s = _JaxNamedSharding(mesh, _JaxSpec(*sharding.spec))
        _jax_shardings[sharding] = s
    return s


_scalar_avals: dict[np.dtype, Any] = {}     # one per dtype: bounded


def _jax_aval(shape: tuple[int, ...], dtype: np.dtype) -> Any:
    if shape == ():         # a scalar argument of a jitted call: made once per dtype
        aval = _scalar_avals.get(dtype)
        if aval is None:
            aval = _scalar_avals[dtype] = _JaxAval((), dtype)
        return aval
    return _JaxAval(shape, dtype)


def to_device(x: np.ndarray, device: Device | None = None) -> Buffer:
    """Copy a host array to a device buffer."""
    device = device or default_device()
    x = np.asarray(x, order="C")   # NB: not ascontiguousarray, which makes 0-d arrays 1-d
    return _xc.batched_device_put(_jax_aval(x.shape, x.dtype), _sharding(device), [x], [device],
                                  True, False, _xc.HostBufferSemantics.IMMUTABLE_ONLY_DURING_CALL,
                                  True)


_IMMUTABLE_DURING_CALL = _xc.HostBufferSemantics.IMMUTABLE_ONLY_DURING_CALL


def scalar_to_device(value: Any, dtype: np.dtype) -> Buffer:
    """`to_device` of a Python scalar onto the default device, in fewer steps (a
    jitted call's hot path transfers one per scalar argument)."""
    device = _default_device or default_device()
    return _xc.batched_device_put(_jax_aval((), dtype), _sharding(device),
                                  [np.asarray(value, dtype)], [device], True, False,
                                  _IMMUTABLE_DURING_CALL, True)


def to_devices(x: np.ndarray, sharding: NamedSharding) -> Buffer:
    """Copy a host array to the devices of `sharding`, each of this process's devices
    getting its shard: one global buffer."""
    x = np.asarray(x)
    mine = process_index()
    shards = [to_device(x[idx], d) for d, idx in sharding.devices_indices_map(x.shape).items()
              if d.process_index == mine]
    return _xc.ArrayImpl(_jax_aval(x.shape, x.dtype), jax_sharding(sharding), shards, True)


def assemble(shape: tuple[int, ...], dtype: np.dtype, sharding: NamedSharding,
             shards: Sequence[Buffer]) -> Buffer:
    """One global buffer from single-device buffers, one per device of `sharding`
    in mesh order, each holding that device's shard."""
    return _xc.ArrayImpl(_jax_aval(shape, dtype), jax_sharding(sharding), list(shards), True)


def shards(buf: Buffer) -> list[tuple[Device, tuple[slice, ...], Buffer]]:
    """(device, index into the global array, single-device buffer) per shard."""
    return [(s.device, s.index, s.data) for s in buf.addressable_shards]


def to_host(buf: Buffer) -> np.ndarray:
    """The value of a buffer, which this process must hold whole (one device, every
    shard here, or replicated: then a local copy is read)."""
    if not buf.is_fully_addressable:
        if buf.is_fully_replicated:
            return np.asarray(buf.addressable_shards[0].data)
        raise ValueError("this Array is split over devices of several processes and this "
                         "process holds only its shards: read them with "
                         "x.addressable_shards, or gather it first (e.g. a jit with a "
                         "replicated out_shardings)")
    return np.asarray(buf)


def copy_buffer(buf: Buffer) -> Buffer:
    """A new buffer with the contents of `buf`, on the same devices (never `buf` itself)."""
    sharding = buf.sharding
    if type(sharding) is _SingleDeviceSharding:
        devices: tuple[Device, ...] = (buffer_device(buf),)
    else:
        devices = tuple(sharding.mesh.devices.flat)
    out, = _xc.batched_copy_array_to_devices_with_sharding(
        [buf], [_xc.DeviceList(devices)], [sharding], [_xc.ArrayCopySemantics.ALWAYS_COPY])
    return out


def is_deleted(buf: Buffer) -> bool:
    """Whether the buffer's memory is gone (it was donated to a computation)."""
    return bool(buf.is_deleted())


def buffer_device(buf: Buffer) -> Device:
    return next(iter(buf.devices()))


def block_until_ready(buf: Buffer) -> Buffer:
    return buf.block_until_ready()


_MAIN = re.compile(r"func\.func public @main\((.*?)\) ->")
_ARG_SPLIT = re.compile(r", (?=%arg\d+: )")


def mark_donated(text: str, donated: Sequence[int]) -> str:
    """`text` with the listed inputs of @main marked as buffer donors, so XLA may
    write outputs into their memory (and PJRT deletes them after a call)."""
    if not donated:
        return text
    m = _MAIN.search(text)
    if m is None:
        raise ValueError("mark_donated: the module has no public @main function")
    args = _ARG_SPLIT.split(m.group(1))
    for i in donated:
        a = args[i]
        args[i] = (a[:-1] + ", jax.buffer_donor = true}" if a.endswith("}")
                   else a + " {jax.buffer_donor = true}")
    return text[:m.start(1)] + ", ".join(args) + text[m.end(1):]


class Partitioned(NamedTuple):
    """A placement across a mesh: the computation is partitioned by XLA's SPMD
    partitioner, each input laid out as `in_shardings` says; `out_shardings`
    fixes the outputs' layouts, None (for all or one) lets XLA choose."""
    mesh: Mesh
    in_shardings: tuple[NamedSharding, ...]
    out_shardings: tuple[NamedSharding | None, ...] | None = None


# where a computation runs: None (the default device), a Device, or Partitioned
Placement = Any


def _devices_of(placement: Placement) -> tuple[Device, ...]:
    """The devices a placement spans, in the order the compiled program numbers them."""
    if type(placement) is Partitioned:
        return placement.mesh.device_list
    return (placement or default_device(),)


class Executable:
    """A compiled StableHLO module: call it with device buffers, get device buffers.

    It knows where it runs: `devices`, and the layout of each input and output
    (`in_shardings`, `out_shardings`: funcgrad shardings; for a partitioned
    program the output layouts are the ones XLA chose where the caller left
    them open). `donated` are the inputs a call consumes.

    `execute(buffers)` runs it once. That is two C calls, ``collect(launch(buffers))``:
    `launch` starts the computation and `collect` turns its results into
    output buffers (one C++ wrap per output). Both are attributes so that
    funcgrad.dispatch's hot path calls them directly and a cached call costs no
    Python frame here; what `launch` returns is only ever passed to `collect`.

    A partitioned program on CPU devices is waited for before a call returns:
    its devices share the host's threads, and two such programs in flight at
    once can each hold threads the other's collectives wait on (a deadlock
    when there are fewer cores than devices).

    Only the size of its text is kept (`text_size`): the text itself can be
    large, and every cached executable would hold it for nothing."""

    __slots__ = ("devices", "in_shardings", "out_shardings", "donated", "text_size",
                 "launch", "collect", "_loaded", "_callbacks", "_failures")

    def __init__(self, text: str, in_types: Sequence[tuple[tuple[int, ...], np.dtype]],
                 out_types: Sequence[tuple[tuple[int, ...], np.dtype]],
                 placement: Placement = None, donated: Sequence[int] = (),
                 host_callbacks: Sequence[Any] = ()):
        self.devices = _devices_of(placement)
        text = mark_donated(text, donated)
        self.donated = tuple(donated)
        if type(placement) is Partitioned:
            options = _partitioned_options(placement, len(out_types))
        elif self.devices[0] != default_device():   # pin the single replica to this device
            options = _backend.get_compile_options(1, 1, device_assignment=((self.devices[0].id,),),
                                                   backend=client())
        else:
            options = _xc.CompileOptions()
        self._failures: list[BaseException] = []
        self._callbacks = [self._recording(cb) for cb in host_callbacks]
        if self._callbacks:     # XLA takes host callbacks only with a parsed module
            with _ir.Context() as ctx:
                self._loaded = client().compile_and_load(
                    _parse(text, ctx), _xc.DeviceList(self.devices), options,
                    host_callbacks=self._callbacks)
        else:
            self._loaded = _compile_cached(text, self.devices, options)
        self.text_size = len(text)
        if type(placement) is Partitioned:
            self.in_shardings: tuple[Any, ...] = placement.in_shardings
            self.out_shardings: tuple[Any, ...] = self._chosen_out_shardings(placement, out_types)
        else:
            single = SingleDeviceSharding(self.devices[0])
            self.in_shardings = (single,) * len(in_types)
            self.out_shardings = (single,) * len(out_types)
        handlers = [_result_handler(_jax_aval(s, d), jax_sharding(sh))
                    for (s, d), sh in zip(out_types, self.out_shardings, strict=True)]
        self.launch = self._loaded.execute_sharded
        self.collect = _operator.methodcaller("consume_with_handlers", handlers)
        if len(self.devices) > 1 and platform() == "cpu":
            self.collect = _waiting(self.collect)
        if self._callbacks:
            self.launch, self.collect = self._surfacing(handlers)

    def _recording(self, callback: Any) -> Any:
        """`callback`, remembering what it raises: XLA turns it into a runtime error
        carrying only text, and the call re-raises the original."""
        failures = self._failures

        def run(*args: Any) -> Any:
            try:
                return callback(*args)
            except BaseException as e:
                failures.append(e)
                raise
        return run

    def _surfacing(self, handlers: list[Any]) -> tuple[Any, Any]:
        """launch and collect for a program with host callbacks: a call waits until
        the program has finished (its runtime token is ready: the callbacks have run,
        even where the program has no outputs, on an asynchronous GPU stream too) and
        raises what a callback raised (the first failure) in place of XLA's error."""
        failures = self._failures
        execute = self._loaded.execute_sharded

        def reraise(err: Exception) -> NoReturn:
            if failures:
                first = failures[0]
                failures.clear()
                first.__suppress_context__ = True     # XLA's error only repeats it as text
                raise first
            raise err

        def launch(buffers: Any) -> Any:
            try:
                return execute(buffers, with_tokens=True)
            except _jax.errors.JaxRuntimeError as e:
                reraise(e)

        def collect(results: Any) -> Any:
            try:
                token = results.consume_token()
                outs = results.consume_with_handlers(handlers)
                token.block_until_ready()
                for o in outs:
                    o.block_until_ready()
                return outs
            except _jax.errors.JaxRuntimeError as e:
                reraise(e)
        return launch, collect

    def _chosen_out_shardings(self, placement: Partitioned,
                              out_types: Sequence[tuple[tuple[int, ...], np.dtype]]
                              ) -> tuple[NamedSharding, ...]:
        given = placement.out_shardings or (None,) * len(out_types)
        chosen = self._loaded.get_output_shardings() if None in given else None
        out = []
        for i, ((shape, _), sh) in enumerate(zip(out_types, given, strict=True)):
            if sh is None:
                sh = (NamedSharding(placement.mesh, PartitionSpec()) if chosen is None  # 1 part
                      else _named_from_hlo(placement.mesh, len(shape), chosen[i], i))
            out.append(sh)
        return tuple(out)

    def execute(self, buffers: list[Buffer]) -> list[Buffer]:
        """Run once on `buffers` (one per input, laid out as `in_shardings`); the outputs."""
        return self.collect(self.launch(buffers))

    def memory_stats(self) -> Any:
        return self._loaded.get_compiled_memory_stats()

    def cost_analysis(self) -> dict[str, float]:
        """XLA's cost model of the compiled program: flops, transcendentals, bytes
        accessed (keys as XLA names them)."""
        costs = self._loaded.cost_analysis()
        if isinstance(costs, list):      # older jaxlibs: one dict per program
            costs = costs[0] if costs else {}
        return {str(k): float(v) for k, v in costs.items()}

    def hlo_text(self) -> str:
        return self._loaded.hlo_modules()[0].to_string()


def _result_handler(aval: Any, sharding: Any) -> Any:
    """The C++ wrap of an output buffer as an array of `aval` laid out as `sharding`.
    jaxlib 0.10 takes `_skip_checks` (the layout is ours, already checked); later
    jaxlibs dropped the argument."""
    try:
        return _xc.array_result_handler(aval, sharding, True, _skip_checks=True)
    except TypeError:
        return _xc.array_result_handler(aval, sharding, True)


def _parse(text: str, ctx: Any) -> Any:
    """StableHLO text as an MLIR module in `ctx` (with the dialects XLA's modules use)."""
    registry = _ir.DialectRegistry()
    _jax_mlir_ext.register_dialects(registry)
    ctx.append_dialect_registry(registry)
    ctx.load_all_available_dialects()
    _sdy.register_dialect(ctx)
    return _ir.Module.parse(text, context=ctx)


def _waiting(collect: Any) -> Any:
    def collect_and_wait(results: Any) -> list[Buffer]:
        outs = collect(results)
        for o in outs:
            o.block_until_ready()
        return outs
    return collect_and_wait


def _partitioned_options(placement: Partitioned, n_out: int) -> Any:
    n = placement.mesh.size
    ids = np.array([[d.id for d in placement.mesh.device_list]])
    options = _backend.get_compile_options(1, n, device_assignment=ids, backend=client())
    build = options.executable_build_options
    build.use_spmd_partitioning = True
    build.use_shardy_partitioner = True
    given = placement.out_shardings or (None,) * n_out
    build.allow_spmd_sharding_propagation_to_output = [s is None for s in given] or [False]
    return options


def _named_from_hlo(mesh: Mesh, ndim: int, proto: Any, i: int) -> NamedSharding:
    """The NamedSharding over `mesh` of an output layout XLA chose."""
    hlo = _xc.HloSharding.from_proto(proto)
    if hlo.is_replicated() or ndim == 0:
        return NamedSharding(mesh, PartitionSpec())
    groups = hlo.subgroup_types()
    replicated_last = hlo.replicate_on_last_tile_dim() or list(groups) == [_REPLICATED]
    if hlo.is_tiled() and (not groups or replicated_last):
        spec = spec_from_tiles(mesh, ndim, hlo.tile_assignment_dimensions(),
                               hlo.tile_assignment_devices(), replicated_last)
        if spec is not None:
            return NamedSharding(mesh, spec)
    raise RuntimeError(f"XLA laid output {i} out as {hlo}, which no PartitionSpec over "
                       f"{mesh} describes; give this output a sharding (jit's out_shardings "
                       "or lax.with_sharding_constraint)")


def backend_fingerprint(devices: Sequence[Device] = ()) -> tuple[Any, ...]:
    """What a compiled program depends on besides its text and options: the platform
    and its version, and each device's id and kind."""
    c = client()
    return (c.platform, c.platform_version,
            tuple((d.id, d.device_kind) for d in (devices or (default_device(),))))


def _compile_cached(text: str, devices: tuple[Device, ...], options: Any) -> Any:
    """`compile_and_load`, through the on-disk executable cache
    (funcgrad.xla_backend.compilation_cache) when it is on and this process is the
    only one: an executable other processes join collectives with is compiled by
    each of them. Programs with host callbacks never come here (their callbacks
    are Python objects of this process)."""
    device_list = _xc.DeviceList(devices)
    if compilation_cache.cache_dir() is None or process_count() > 1:
        return client().compile_and_load(text, device_list, options)
    key = compilation_cache.executable_key(text, options.SerializeAsString(),
                                           backend_fingerprint(devices))
    blob = compilation_cache.read("exe", key)
    if blob is not None:
        try:
            loaded = client().deserialize_executable(blob, device_list, options)
        except _jax.errors.JaxRuntimeError as e:
            compilation_cache.discard("exe", key, f"XLA cannot load it ({e})")
        else:
            compilation_cache.count("executable_hits")
            return loaded
    compilation_cache.count("executable_misses")
    start = time.perf_counter()
    loaded = client().compile_and_load(text, device_list, options)
    if compilation_cache.worth_writing(time.perf_counter() - start):
        try:
            blob = client().serialize_executable(loaded)
        except _jax.errors.JaxRuntimeError:    # a program XLA cannot serialize: not kept
            return loaded
        if compilation_cache.write("exe", key, blob):
            compilation_cache.count("executable_writes")
    return loaded


def compile_text(text: str, in_types: Sequence[tuple[tuple[int, ...], np.dtype]],
                 out_types: Sequence[tuple[tuple[int, ...], np.dtype]],
                 placement: Placement = None, donated: Sequence[int] = (),
                 host_callbacks: Sequence[Any] = ()) -> Executable:
    """Compile StableHLO `text` for `placement`; `in_types`/`out_types` are the
    (shape, dtype) of its inputs and outputs, `donated` the inputs a call consumes,
    `host_callbacks` the Python functions its callback custom calls name by index."""
    return Executable(text, in_types, out_types, placement, donated, host_callbacks)
