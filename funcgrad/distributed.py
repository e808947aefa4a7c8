"""Many processes, one runtime: ``fg.distributed.initialize`` joins processes
through PJRT's distributed runtime, after which ``fg.devices()`` lists every
process's devices, a mesh can span them all, and one jitted program (or
shard_map with collectives) runs across the processes, on CPU with gloo
collectives. Each process feeds its own part of a global array with
``fg.make_array_from_process_local_data``."""
from __future__ import annotations

from collections.abc import Sequence

from funcgrad.xla_backend import runtime

__all__ = ["initialize"]


def initialize(coordinator_address: str, num_processes: int, process_id: int,
               local_device_ids: Sequence[int] | None = None) -> None:
    """Join this process to `num_processes` others; process 0 hosts the coordination
    service at `coordinator_address` ("host:port"). Call it first, before
    anything touches a device; every process calls it with its own `process_id`."""
    if not isinstance(coordinator_address, str) or ":" not in coordinator_address:
        raise ValueError(f"distributed.initialize: coordinator_address must be 'host:port', "
                         f"got {coordinator_address!r}")
    if not (isinstance(num_processes, int) and num_processes >= 1):
        raise ValueError(f"distributed.initialize: num_processes must be a positive int, got "
                         f"{num_processes!r}")
    if not (isinstance(process_id, int) and 0 <= process_id < num_processes):
        raise ValueError(f"distributed.initialize: process_id must be in [0, {num_processes}), "
                         f"got {process_id!r}")
    runtime.initialize_distributed(coordinator_address, num_processes, process_id,
                                   local_device_ids)
