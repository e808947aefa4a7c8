"""How an array is laid out across devices: `Mesh`, `PartitionSpec`, `NamedSharding`,
`SingleDeviceSharding` (JAX's names and meanings).

A `Mesh` arranges devices in an n-d grid with a name per axis. A
`PartitionSpec` says, per array dimension, which mesh axes split it (None:
not split); mesh axes it does not name replicate the array. A
`NamedSharding` pairs the two. These are plain, hashable values: they key
caches, sit in primitive params and are lowered to Shardy annotations by
funcgrad.xla_backend; XLA's SPMD partitioner does the partitioning.

Every check a sharding can make on its own (an axis name the mesh lacks, an
axis used twice, a spec longer than the array's rank, a dimension the mesh
axes do not divide) raises here, before anything is compiled.
"""
from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

__all__ = ["Mesh", "NamedSharding", "PartitionSpec", "SingleDeviceSharding", "Sharding"]


class PartitionSpec(tuple[Any, ...]):
    """Per array dimension: None (not split), a mesh axis name, or a tuple of names
    (split over their product, the first one major). Trailing dimensions it does
    not mention are not split."""

    def __new__(cls, *parts: Any) -> PartitionSpec:
        for p in parts:
            names = p if isinstance(p, tuple) else (p,)
            if p is not None and not all(isinstance(n, str) for n in names):
                raise TypeError(f"PartitionSpec entries are None, a mesh axis name (str) or a "
                                f"tuple of names; got {p!r}")
        return super().__new__(cls, parts)

    def axes(self, dim: int) -> tuple[str, ...]:
        """The mesh axes splitting dimension `dim` (major first); () if none."""
        if dim >= len(self) or self[dim] is None:
            return ()
        p = self[dim]
        return p if isinstance(p, tuple) else (p,)

    def normalized(self) -> tuple[tuple[str, ...], ...]:
        """One spelling per layout: names as tuples, trailing unsplit dims dropped."""
        parts = [self.axes(d) for d in range(len(self))]
        while parts and not parts[-1]:
            parts.pop()
        return tuple(parts)

    def __repr__(self) -> str:
        return f"PartitionSpec({', '.join(map(repr, self))})"

    def __reduce__(self) -> Any:
        return (PartitionSpec, tuple(self))


class Sharding:
    """What every sharding offers: its devices and where each holds a piece of an array."""

    device_set: frozenset[Any]

    @property
    def num_devices(self) -> int:
        return len(self.device_set)

    @property
    def is_fully_replicated(self) -> bool:
        raise NotImplementedError

    def shard_shape(self, shape: tuple[int, ...]) -> tuple[int, ...]:
        raise NotImplementedError

    def devices_indices_map(self, shape: tuple[int, ...]) -> dict[Any, tuple[slice, ...]]:
        raise NotImplementedError

    def check(self, shape: tuple[int, ...], what: str = "an array") -> None:
        """Raise if `shape` cannot be laid out this way (nothing to check by default)."""


class SingleDeviceSharding(Sharding):
    """The whole array on one device."""

    __slots__ = ("device", "device_set")

    def __init__(self, device: Any):
        self.device = device
        self.device_set = frozenset((device,))

    @property
    def is_fully_replicated(self) -> bool:
        return True

    def shard_shape(self, shape: tuple[int, ...]) -> tuple[int, ...]:
        return tuple(shape)

    def devices_indices_map(self, shape: tuple[int, ...]) -> dict[Any, tuple[slice, ...]]:
        return {self.device: tuple(slice(None) for _ in shape)}

    def __eq__(self, other: object) -> bool:
        return type(other) is SingleDeviceSharding and other.device == self.device

    def __hash__(self) -> int:
        return hash(("single", self.device))

    def __repr__(self) -> str:
        return f"SingleDeviceSharding({self.device})"


class Mesh:
    """Devices in an n-d grid, one name per axis: ``Mesh(devices_2d, ("data", "model"))``."""

    __slots__ = ("devices", "axis_names", "shape", "_ids", "_hash")

    def __init__(self, devices: Any, axis_names: str | Sequence[str]):
        names = (axis_names,) if isinstance(axis_names, str) else tuple(axis_names)
        devs = np.array(devices, dtype=object)
        if devs.ndim != len(names):
            raise ValueError(f"Mesh: the device array has {devs.ndim} dimension(s) "
                             f"{devs.shape} but {len(names)} axis name(s) {names} were given; "
                             "give one name per dimension")
        for n in names:
            if not isinstance(n, str):
                raise TypeError(f"Mesh: axis names are strings, got {n!r}")
        if len(set(names)) != len(names):
            raise ValueError(f"Mesh: axis names must be distinct, got {names}")
        if devs.size == 0:
            raise ValueError("Mesh: the device array is empty")
        ids = tuple(int(d.id) for d in devs.flat)
        if len(set(ids)) != len(ids):
            raise ValueError(f"Mesh: a device appears more than once (ids {list(ids)})")
        devs.flags.writeable = False
        self.devices = devs
        self.axis_names = names
        self.shape = dict(zip(names, devs.shape, strict=True))
        self._ids = ids
        self._hash = hash((ids, devs.shape, names))

    @property
    def size(self) -> int:
        return int(self.devices.size)

    @property
    def device_ids(self) -> tuple[int, ...]:
        """Device ids in mesh order (row-major over the axes)."""
        return self._ids

    @property
    def device_list(self) -> tuple[Any, ...]:
        return tuple(self.devices.flat)

    def __eq__(self, other: object) -> bool:
        return (type(other) is Mesh and other._hash == self._hash and other._ids == self._ids
                and other.devices.shape == self.devices.shape
                and other.axis_names == self.axis_names)

    def __hash__(self) -> int:
        return self._hash

    def __repr__(self) -> str:
        return f"Mesh({', '.join(f'{n!r}: {s}' for n, s in self.shape.items())})"


class NamedSharding(Sharding):
    """An array split over `mesh` as `spec` says, replicated over the axes `spec` does
    not name."""

    __slots__ = ("mesh", "spec", "_key", "_hash", "device_set")

    def __init__(self, mesh: Mesh, spec: PartitionSpec | Sequence[Any] | None = None):
        if type(mesh) is not Mesh:
            raise TypeError(f"NamedSharding: mesh must be a funcgrad.sharding.Mesh, got "
                            f"{type(mesh).__name__}")
        if spec is None:
            spec = PartitionSpec()
        elif not isinstance(spec, PartitionSpec):
            if not isinstance(spec, (tuple, list)):
                raise TypeError(f"NamedSharding: spec must be a PartitionSpec, got {spec!r}")
            spec = PartitionSpec(*spec)
        seen: set[str] = set()
        for d in range(len(spec)):
            for name in spec.axes(d):
                if name not in mesh.shape:
                    raise ValueError(f"NamedSharding: {spec} names the axis {name!r}, which "
                                     f"{mesh} does not have; its axes are {mesh.axis_names}")
                if name in seen:
                    raise ValueError(f"NamedSharding: {spec} uses the mesh axis {name!r} "
                                     "twice; a mesh axis can split one dimension only")
                seen.add(name)
        self.mesh = mesh
        self.spec = spec
        self._key = (mesh, spec.normalized())
        self._hash = hash(self._key)
        self.device_set = frozenset(mesh.devices.flat)

    def __eq__(self, other: object) -> bool:
        return other is self or (type(other) is NamedSharding and other._hash == self._hash
                                 and other._key == self._key)

    def __hash__(self) -> int:
        return self._hash

    def __repr__(self) -> str:
        return f"NamedSharding(mesh={self.mesh!r}, spec={self.spec!r})"

    @property
    def is_fully_replicated(self) -> bool:
        return all(self.mesh.shape[n] == 1 for d in self._key[1] for n in d)

    def parts(self, ndim: int) -> tuple[tuple[str, ...], ...]:
        """The mesh axes splitting each of `ndim` dimensions."""
        return tuple(self.spec.axes(d) for d in range(ndim))

    def check(self, shape: tuple[int, ...], what: str = "an array") -> None:
        """Raise a ValueError if `shape` cannot be laid out this way."""
        if len(self.spec) > len(shape):
            raise ValueError(f"{self.spec} has {len(self.spec)} entries but {what} has rank "
                             f"{len(shape)} (shape {tuple(shape)}); a spec names at most one "
                             "entry per dimension")
        for d, size in enumerate(shape):
            names = self.spec.axes(d)
            n = math.prod(self.mesh.shape[a] for a in names)
            if size % n:
                raise ValueError(
                    f"{self.spec} splits dimension {d} of {what} (shape {tuple(shape)}, size "
                    f"{size}) over mesh axes {names} of total size {n}, which does not divide "
                    f"{size}; pick a spec whose mesh axes divide the dimension, or pad it")

    def shard_shape(self, shape: tuple[int, ...]) -> tuple[int, ...]:
        self.check(shape)
        return tuple(size // math.prod(self.mesh.shape[a] for a in self.spec.axes(d))
                     for d, size in enumerate(shape))

    def devices_indices_map(self, shape: tuple[int, ...]) -> dict[Any, tuple[slice, ...]]:
        """Which slice of a `shape` array each device holds."""
        shard = self.shard_shape(shape)
        names = self.mesh.axis_names
        out = {}
        for pos in itertools.product(*(range(s) for s in self.mesh.devices.shape)):
            coord = dict(zip(names, pos, strict=True))
            idx = []
            for d in range(len(shape)):
                k = 0
                for a in self.spec.axes(d):      # major to minor
                    k = k * self.mesh.shape[a] + coord[a]
                idx.append(slice(k * shard[d], (k + 1) * shard[d]) if self.spec.axes(d)
                           else slice(None))
            out[self.mesh.devices[pos]] = tuple(idx)
        return out

    def tiles(self, ndim: int) -> tuple[tuple[int, ...], tuple[int, ...], bool]:
        """This layout as XLA's tiled form: tile counts per dimension (plus a last
        replication dimension when some mesh axes replicate), the devices in tile
        order (as positions in the mesh, which is how a compiled program numbers
        them), and whether that last dimension is there."""
        parts = self.parts(ndim)
        used = [a for p in parts for a in p]
        rest = [a for a in self.mesh.axis_names if a not in used]
        order = [self.mesh.axis_names.index(a) for a in (*used, *rest)]
        ids = np.arange(self.mesh.size).reshape(self.mesh.devices.shape)
        dims = [math.prod(self.mesh.shape[a] for a in p) for p in parts]
        rep = math.prod(self.mesh.shape[a] for a in rest)
        if rep > 1:
            dims.append(rep)
        return tuple(dims), tuple(int(i) for i in ids.transpose(order).flat), rep > 1


def spec_from_tiles(mesh: Mesh, ndim: int, dims: Sequence[int], ids: Sequence[int],
                    replicated_last: bool) -> PartitionSpec | None:
    """The PartitionSpec over `mesh` whose tiled form is (`dims`, `ids`), or None when
    no spec gives it (XLA chose a layout that is not mesh-aligned)."""
    want = (tuple(dims), tuple(ids), bool(replicated_last))
    for spec in _specs(mesh, ndim):
        if NamedSharding(mesh, spec).tiles(ndim) == want:
            return spec
    return None


def _specs(mesh: Mesh, ndim: int) -> Iterable[PartitionSpec]:
    """Every spec over `mesh` for rank `ndim`, fewest split dimensions first."""
    axes = [a for a in mesh.axis_names if mesh.shape[a] > 1]
    found = []
    for choice in itertools.product(range(ndim + 1), repeat=len(axes)):
        groups: list[list[str]] = [[] for _ in range(ndim)]
        for a, d in zip(axes, choice, strict=True):
            if d < ndim:
                groups[d].append(a)
        for perms in itertools.product(*(itertools.permutations(g) for g in groups)):
            found.append(PartitionSpec(*(p if len(p) > 1 else (p[0] if p else None)
                                         for p in perms)))
    found.sort(key=lambda s: sum(1 for p in s if p is not None))
    return found
