"""`Array`: an immutable handle on a device buffer (decision 3).

An Array never changes after it is made; ``x[i] = v`` raises and points to
``x.at[i].set(v)``. Its host copy is made once, on first request, and kept
read-only. Arithmetic, indexing and the NumPy-like methods come from
`core.ArrayMethods`, which tracers inherit too, so eager and traced code
behave alike.

Tracers are Arrays too, as far as ``isinstance`` goes (like ``jax.Array``):
user code that type-checks its inputs must not break under a transformation.
`Array` is an ABC with `Tracer` registered as a virtual subclass; the
library's own fast paths test ``type(x) is Array``, which stays exact (a
concrete, device-resident Array) and as cheap as before.

An Array on several devices is one global value, laid out by its `sharding`
(funcgrad.sharding): `_sh` holds that layout, or None for the common case of
one buffer on the default device, which lets hot paths tell the two apart with
one attribute read.

An Array donated to a jitted function (``jit(f, donate_argnums=...)``) has
given its memory to that call's result; `is_deleted` then says so, and any use
raises `donated_error`.
"""
from __future__ import annotations

import abc
from typing import Any

import numpy as np

from funcgrad import core, dtypes
from funcgrad.core import ArrayMethods, ShapedArray
from funcgrad.sharding import NamedSharding, Sharding, SingleDeviceSharding
from funcgrad.xla_backend import runtime


class Array(ArrayMethods, metaclass=abc.ABCMeta):   # noqa: B024 (an ABC only so Tracer can register)
    __slots__ = ("_buf", "aval", "_npy", "_sh", "__weakref__")
    __array_priority__ = 100

    def __init__(self, buf: runtime.Buffer, aval: ShapedArray, sharding: Sharding | None = None):
        self._buf = buf
        self.aval = aval
        self._npy: np.ndarray | None = None
        self._sh = sharding

    @property
    def nbytes(self) -> int:
        return self.size * self.dtype.itemsize

    @property
    def device(self) -> Any:
        """The device holding the Array; for one split over a mesh, its sharding."""
        sh = self._sh
        if sh is None:
            return runtime.buffer_device(self._buf)
        return sh.device if type(sh) is SingleDeviceSharding else sh

    @property
    def sharding(self) -> Sharding:
        """How the Array is laid out over devices (funcgrad.sharding)."""
        sh = self._sh
        return SingleDeviceSharding(runtime.buffer_device(self._buf)) if sh is None else sh

    @property
    def is_fully_replicated(self) -> bool:
        return self.sharding.is_fully_replicated

    @property
    def addressable_shards(self) -> list[Shard]:
        """The pieces of the Array this process holds: one per device."""
        if self.is_deleted():
            raise donated_error()
        if type(self._sh) is not NamedSharding:
            return [Shard(self.device, tuple(slice(None) for _ in self.shape), self)]
        return [Shard(d, idx, Array(buf, ShapedArray(_sliced(self.shape, idx), self.dtype)))
                for d, idx, buf in runtime.shards(self._buf)]

    def is_deleted(self) -> bool:
        """True once the Array's memory was donated to a jitted function."""
        return runtime.is_deleted(self._buf)

    def _value(self) -> np.ndarray:
        v = self._npy
        if v is None:
            try:
                v = runtime.to_host(self._buf)
            except RuntimeError:
                if self.is_deleted():
                    raise donated_error() from None
                raise
            if v.flags.writeable:
                v = v.copy()
                v.flags.writeable = False
            self._npy = v
        return v

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        v = self._value()
        if copy:
            return np.array(v, dtype=dtype, copy=True)
        if dtype is None or np.dtype(dtype) == v.dtype:
            return v
        if copy is False:     # NumPy 2: copy=False means "fail rather than copy"
            raise ValueError(f"cannot convert a {self.dtype} Array to {np.dtype(dtype)} "
                             "without a copy, and copy=False was given; pass copy=None")
        return v.astype(dtype)

    def block_until_ready(self) -> Array:
        if self.is_deleted():
            raise donated_error()
        runtime.block_until_ready(self._buf)
        return self

    def item(self, *args: Any) -> Any:
        return self._value().item(*args)

    def tolist(self) -> Any:
        return self._value().tolist()

    def __bool__(self) -> bool:
        return bool(self._value())

    def __int__(self) -> int:
        return int(self._value())

    def __float__(self) -> float:
        return float(self._value())

    def __complex__(self) -> complex:
        return complex(self._value())

    def __index__(self) -> int:
        if not dtypes.is_integer(self.dtype) and self.dtype != dtypes.bool_:
            raise TypeError(f"only integer arrays can be used as an index, not {self.dtype}")
        return self._value().__index__()

    def __len__(self) -> int:
        if not self.shape:
            raise TypeError("len() of unsized object (a 0-d array)")
        return self.shape[0]

    def __iter__(self) -> Any:
        if not self.shape:
            raise TypeError("iteration over a 0-d array")
        return (self[i] for i in range(self.shape[0]))

    def __setitem__(self, idx: Any, value: Any) -> None:
        raise TypeError(core.immutable_message("Array"))

    __hash__ = None

    def __repr__(self) -> str:
        if self._npy is None and self.is_deleted():
            return f"Array(<donated>, shape={self.shape}, dtype={self.dtype})"
        v = self._value()
        body = np.array2string(v, separator=", ", prefix="Array(")
        dt = self.dtype
        default = v.dtype in (np.dtype(np.float64), np.dtype(np.int64), np.dtype(np.bool_),
                              np.dtype(np.complex128)) and v.size > 0
        suffix = "" if default and not self.weak_type else f", dtype={dt}"
        if v.size == 0 and v.ndim != 1:     # like NumPy: "[]" alone would hide the shape
            suffix = f", shape={v.shape}" + suffix
        if self.weak_type:
            suffix += ", weak_type=True"
        return f"Array({body}{suffix})"

    def __str__(self) -> str:
        return str(self._value())

    def __format__(self, spec: str) -> str:
        return format(self._value()[()] if self.ndim == 0 else self._value(), spec)

    def __reduce__(self) -> Any:
        return (_rebuild, (np.asarray(self._value()), self.weak_type))

    def __dlpack__(self, *args: Any, **kwargs: Any) -> Any:
        host = np.asarray(self._value())
        try:
            return host.__dlpack__(*args, **kwargs)
        except BufferError:
            # NumPy 2.0 cannot export a read-only host view; a copy is safe to hand out
            return host.copy().__dlpack__(*args, **kwargs)

    def __dlpack_device__(self) -> Any:
        return np.asarray(self._value()).__dlpack_device__()


Array.register(core.Tracer)


class Shard:
    """One device's piece of an Array: `device`, `index` (the slices of the global
    array it holds) and `data` (that piece, as a one-device Array)."""

    __slots__ = ("device", "index", "data")

    def __init__(self, device: Any, index: tuple[slice, ...], data: Array):
        self.device = device
        self.index = index
        self.data = data

    def __repr__(self) -> str:
        return f"Shard(device={self.device}, index={self.index}, data=...{self.data.shape})"


def _sliced(shape: tuple[int, ...], index: tuple[slice, ...]) -> tuple[int, ...]:
    return tuple(len(range(*s.indices(n))) for s, n in zip(index, shape, strict=True))


def donated_error() -> RuntimeError:
    return RuntimeError(
        "this Array was donated to a jitted function (jit(..., donate_argnums=...) or "
        "donate_argnames=...): its memory now holds that call's result and it cannot be used "
        "again; keep a copy (fnp.copy(x) before the call) or drop donate_argnums")


def copy_array(x: Array) -> Array:
    """A new Array with its own buffer holding the value of `x` (donating one of the
    two leaves the other intact)."""
    return Array(runtime.copy_buffer(x._buf), x.aval, x._sh)


def _rebuild(value: np.ndarray, weak: bool) -> Array:
    return from_numpy(value, weak_type=weak)


core.register_aval_handler(Array, lambda x: x.aval)


def _host(x: Any, dtype: Any = None) -> np.ndarray:
    """`x` as a NumPy array of the dtype an Array of it has."""
    arr = np.asarray(x, dtype=None if dtype is None else dtypes.canonicalize(dtype))
    if dtype is None and arr.dtype == np.float64 and isinstance(x, (float, list, tuple)):
        arr = arr.astype(dtypes.default_float(), copy=False)
    return arr.astype(dtypes.canonicalize(arr.dtype), copy=False)


def from_numpy(x: Any, dtype: Any = None, weak_type: bool = False,
               device: runtime.Device | None = None) -> Array:
    """Copy host data to `device` (None: the default one) as an Array of `dtype`
    (NumPy's inferred dtype, with Python floats/ints as float64/int64 or the
    configured default)."""
    arr = _host(x, dtype)
    aval = ShapedArray(arr.shape, arr.dtype, weak_type)
    if device is None or device == runtime.default_device():
        return Array(runtime.to_device(arr, device), aval)
    return Array(runtime.to_device(arr, device), aval, SingleDeviceSharding(device))


def put_sharded(x: Any, sharding: Sharding, weak_type: bool = False) -> Array:
    """Lay host data out over devices as `sharding` says (checked first)."""
    if type(x) is Array:
        value, weak_type = x._value(), x.aval.weak_type
    else:
        value = _host(x)
    if type(sharding) is SingleDeviceSharding:
        return from_numpy(value, weak_type=weak_type, device=sharding.device)
    if type(sharding) is not NamedSharding:
        raise TypeError(f"cannot lay an array out as {sharding!r}: give a NamedSharding or a "
                        "SingleDeviceSharding")
    sharding.check(value.shape, "the array")
    return Array(runtime.to_devices(value, sharding),
                 ShapedArray(value.shape, value.dtype, weak_type), sharding)
