"""Test configuration: hypothesis profiles, IR checks after every transform, and
eight CPU devices.

Profiles: ``dev`` (quick, the default), ``ci`` (more examples) and ``smoke``
(fewest, for CI's lowest-versions job); pick with ``FUNCGRAD_HYPOTHESIS_PROFILE=ci``.
The whole suite runs with eight CPU devices (``FUNCGRAD_NUM_CPU_DEVICES``, read
when the client starts), so that sharded tests have a mesh; everything else runs
on the default device, device 0, as it does on a one-device machine.
The persistent compilation cache is off (``FUNCGRAD_COMPILATION_CACHE_DIR=""``):
every run compiles afresh, as on a new machine, and writes nothing to the home
directory; tests/test_compilation_cache.py turns it on in temporary directories.
"""
from __future__ import annotations

import os

os.environ.setdefault("FUNCGRAD_NUM_CPU_DEVICES", "8")
os.environ["FUNCGRAD_COMPILATION_CACHE_DIR"] = ""

import jax  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402

import funcgrad as fg  # noqa: E402

jax.config.update("jax_enable_x64", True)

settings.register_profile("dev", max_examples=8, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow,
                                                 HealthCheck.data_too_large])
settings.register_profile("ci", max_examples=10, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow,
                                                 HealthCheck.data_too_large])
# the lowest-dependency-versions job of .ci/run: each property on a few examples
settings.register_profile("smoke", max_examples=4, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow,
                                                 HealthCheck.data_too_large])
settings.load_profile(os.environ.get("FUNCGRAD_HYPOTHESIS_PROFILE", "dev"))

fg.config.update("enable_checks", True)
# make the client now, before any test module can start JAX's with one device
fg.devices()


def mesh_devices(n: int = 8) -> None:
    """Skip on an accelerator with fewer than `n` devices (the CPU suite always has 8);
    fail if a CPU run lacks them."""
    import pytest
    devices = fg.devices()
    if len(devices) < n:
        if devices[0].platform != "cpu":
            pytest.skip(f"needs {n} devices; this {devices[0].platform} has {len(devices)}")
        raise AssertionError(f"{len(devices)} CPU devices: tests/conftest.py sets "
                             f"FUNCGRAD_NUM_CPU_DEVICES=8 before funcgrad starts")


def pytest_terminal_summary(terminalreporter, exitstatus, config):  # type: ignore[no-untyped-def]
    """A per-file line count of the three packages, so every run shows the size."""
    from pathlib import Path
    root = Path(__file__).resolve().parent.parent
    counts = []
    for pkg in ("funcgrad", "transforms", "xla_backend"):
        for path in sorted((root / pkg).rglob("*.py")):
            counts.append((len(path.read_text().splitlines()), str(path.relative_to(root))))
    if not counts:
        return
    terminalreporter.section("funcgrad line counts (largest first)")
    for n, name in sorted(counts, reverse=True)[:12]:
        terminalreporter.write_line(f"{n:6d}  {name}")
    terminalreporter.write_line(f"{sum(n for n, _ in counts):6d}  total in {len(counts)} files")


# Tests that each take tens of seconds (a subprocess, a whole notebook, mypy over the
# packages, every benchmark module): run first, so that under `-n 2` they overlap
# the many short tests instead of leaving one worker busy at the end of the run.
SLOW_FIRST = ("tests/test_typecheck.py", "tests/test_notebooks.py",
              "tests/test_benchmarks_smoke.py", "tests/test_distributed.py",
              "tests/test_compilation_cache.py", "tests/test_readme.py")


def pytest_collection_modifyitems(session, config, items):  # type: ignore[no-untyped-def]
    def rank(item) -> int:  # type: ignore[no-untyped-def]
        path = item.nodeid.split("::")[0]
        return SLOW_FIRST.index(path) if path in SLOW_FIRST else len(SLOW_FIRST)
    items.sort(key=rank)        # stable: the order within each group is kept
