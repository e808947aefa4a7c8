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
import re
from collections.abc import Sequence
from typing import Any

import numpy as np

import jax as _jax
from jax.core import ShapedArray as _JaxAval   # the aval PJRT buffers carry
from jaxlib import xla_client as _xc
from jax.extend import backend as _backend
from jax.sharding import SingleDeviceSharding as _SingleDeviceSharding

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
        _client = _backend.get_backend()
    return _client


def devices(backend: str | None = None) -> list[Device]:
    """Devices of the default backend (GPU/TPU when present, else CPU)."""
    return list(_backend.get_backend(backend).devices() if backend else client().devices())


def default_device() -> Device:
    global _default_device
    if _default_device is None:
        _default_device = client().devices()[0]
    return _default_device


_multi: bool | None = None


def multiple_devices() -> bool:
    """Whether the default backend has more than one device (then caches key on
    the device an executable runs on)."""
    global _multi
    if _multi is None:
        _multi = len(client().devices()) > 1
    return _multi


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


def _jax_aval(shape: tuple[int, ...], dtype: np.dtype) -> Any:
    return _JaxAval(shape, dtype)


def to_device(x: np.ndarray, device: Device | None = None) -> Buffer:
    """Copy a host array to a device buffer."""
    device = device or default_device()
    x = np.asarray(x, order="C")   # NB: not ascontiguousarray, which makes 0-d arrays 1-d
    return _xc.batched_device_put(_jax_aval(x.shape, x.dtype), _sharding(device), [x], [device],
                                  True, False, _xc.HostBufferSemantics.IMMUTABLE_ONLY_DURING_CALL,
                                  True)


def to_host(buf: Buffer) -> np.ndarray:
    return np.asarray(buf)


def copy_buffer(buf: Buffer) -> Buffer:
    """A new buffer with the contents of `buf`, on the same device (never `buf` itself)."""
    device = buffer_device(buf)
    out, = _xc.batched_copy_array_to_devices_with_sharding(
        [buf], [_xc.DeviceList((device,))], [_sharding(device)],
        [_xc.ArrayCopySemantics.ALWAYS_COPY])
    return out


def is_deleted(buf: Buffer) -> bool:
    """Whether the buffer's memory is gone (it was donated to a computation)."""
    return bool(buf.is_deleted())


def buffer_device(buf: Buffer) -> Device:
    return next(iter(buf.devices()))


def copy_to_device(buf: Buffer, device: Device) -> Buffer:
    if buffer_device(buf) == device:
        return buf
    return to_device(to_host(buf), device)


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


Placement = Any   # where a computation runs: None (the default device) or a Device


def _devices_of(placement: Placement) -> tuple[Device, ...]:
    """The devices a placement spans. One today; a mesh placement lists its devices here
    and gives NamedShardings below, and nothing outside this module changes."""
    return (placement or default_device(),)


class Executable:
    """A compiled StableHLO module: call it with device buffers, get device buffers.

    It knows where it runs: `devices`, and the layout of each input and output
    (`in_shardings`, `out_shardings`; one device and SingleDeviceSharding
    today). `donated` are the inputs a call consumes.

    `execute(buffers)` runs it once. That is two C calls, ``collect(launch(buffers))``:
    `launch` starts the computation and `collect` turns its results into
    output buffers (one C++ wrap per output). Both are attributes so that
    funcgrad.dispatch's hot path calls them directly and a cached call costs no
    Python frame here; what `launch` returns is only ever passed to `collect`.

    Only the size of its text is kept (`text_size`): the text itself can be
    large, and every cached executable would hold it for nothing."""

    __slots__ = ("devices", "in_shardings", "out_shardings", "donated", "text_size",
                 "launch", "collect", "_loaded")

    def __init__(self, text: str, in_types: Sequence[tuple[tuple[int, ...], np.dtype]],
                 out_types: Sequence[tuple[tuple[int, ...], np.dtype]],
                 placement: Placement = None, donated: Sequence[int] = ()):
        self.devices = _devices_of(placement)
        device, = self.devices
        text = mark_donated(text, donated)
        self.donated = tuple(donated)
        options = _xc.CompileOptions()
        if device != default_device():   # pin the single replica to this device
            options = _backend.get_compile_options(1, 1, device_assignment=((device.id,),),
                                                   backend=client())
        self._loaded = client().compile_and_load(text, _xc.DeviceList(self.devices), options)
        self.text_size = len(text)
        sharding = _sharding(device)
        self.in_shardings = (sharding,) * len(in_types)
        self.out_shardings = (sharding,) * len(out_types)
        handlers = [_xc.array_result_handler(_jax_aval(s, d), sh, True, _skip_checks=True)
                    for (s, d), sh in zip(out_types, self.out_shardings, strict=True)]
        self.launch = self._loaded.execute_sharded
        self.collect = _operator.methodcaller("consume_with_handlers", handlers)

    def execute(self, buffers: list[Buffer]) -> list[Buffer]:
        """Run once on `buffers` (one per input, on `devices`); the output buffers."""
        return self.collect(self.launch(buffers))

    def memory_stats(self) -> Any:
        return self._loaded.get_compiled_memory_stats()

    def hlo_text(self) -> str:
        return self._loaded.hlo_modules()[0].to_string()


def compile_text(text: str, in_types: Sequence[tuple[tuple[int, ...], np.dtype]],
                 out_types: Sequence[tuple[tuple[int, ...], np.dtype]],
                 placement: Placement = None, donated: Sequence[int] = ()) -> Executable:
    """Compile StableHLO `text` for `placement`; `in_types`/`out_types` are the
    (shape, dtype) of its inputs and outputs, `donated` the inputs a call consumes."""
    return Executable(text, in_types, out_types, placement, donated)
