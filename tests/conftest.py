"""Test configuration: hypothesis profiles and IR checks after every transform.

Profiles: ``dev`` (quick, the default) and ``ci`` (more examples); pick with
``FUNCGRAD_HYPOTHESIS_PROFILE=ci``.
"""
from __future__ import annotations

import os

import jax
from hypothesis import HealthCheck, settings

import funcgrad as fg

jax.config.update("jax_enable_x64", True)

settings.register_profile("dev", max_examples=8, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow,
                                                 HealthCheck.data_too_large])
settings.register_profile("ci", max_examples=20, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow,
                                                 HealthCheck.data_too_large])
settings.load_profile(os.environ.get("FUNCGRAD_HYPOTHESIS_PROFILE", "dev"))

fg.config.update("enable_checks", True)


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
