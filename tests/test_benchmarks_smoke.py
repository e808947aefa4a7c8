"""The benchmarks keep working: ``python -m benchmarks --quick`` runs every workload
on small sizes and exits 0. Ratios are not asserted here (they live in the
benchmarks, measured side by side); only that each row was measured or
explicitly skipped, and that the table logic classifies rows correctly."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from benchmarks._harness import Result, table

ROOT = Path(__file__).resolve().parents[1]


def test_quick_run_measures_or_skips_every_workload() -> None:
    proc = subprocess.run([sys.executable, "-m", "benchmarks", "--quick"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONWARNINGS": "error"})
    assert proc.returncode == 0, f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    out = proc.stdout
    assert "ERROR" not in out, out
    for workload in ("jit dispatch", "eager sin", "trace+lower", "eager grad",
                     "first call jit(grad(f))", "value_and_grad)+SGD", "per-example",
                     "rk4 solve", "grad(loss∘rk4)"):
        rows = [line for line in out.splitlines() if workload in line]
        assert rows, f"no row for {workload!r} in:\n{out}"
        assert all(line.rstrip().endswith(("PASS", "MISS", "info", "SKIP")) for line in rows), \
            rows
    # a skipped row must say why
    lines = out.splitlines()
    for i, line in enumerate(lines):
        if line.rstrip().endswith("SKIP"):
            assert "not available" in lines[i + 1], lines[i:i + 2]


def test_result_status_and_ratio() -> None:
    assert Result("w", "JAX", 2e-6, 1e-6, 1.5).status == "MISS"
    assert Result("w", "JAX", 1e-6, 1e-6, 1.5).status == "PASS"
    assert Result("w", "JAX", 1e-6, 2e-6, None).status == "info"
    assert Result("w", "JAX", 3e-6, 2e-6, 1.0).ratio == 1.5
    assert Result("w", "JAX", target=1.0, skipped="not available").status == "SKIP"
    assert Result("w", "JAX", 1e-6, 1e-6, 1.0, error="ERROR: boom").status == "ERROR"
    assert Result("w", "JAX", None, 1e-6, 1.0).ratio is None


def test_table_shows_times_ratio_target_and_notes() -> None:
    text = table([Result("jit dispatch", "JAX", 6e-6, 5e-6, 1.5, note="a note"),
                  Result("grad", "autograd", target=1.0, skipped="not available: fg.grad")])
    lines = text.splitlines()
    assert lines[0].split() == ["workload", "funcgrad", "competitor", "ratio", "target",
                                "status"]
    assert "6.0 us" in lines[2] and "5.0 us (JAX)" in lines[2] and "1.20" in lines[2]
    assert "<= 1.5" in lines[2] and lines[2].rstrip().endswith("PASS")
    assert lines[3].strip() == "a note"
    assert lines[4].rstrip().endswith("SKIP") and lines[5].strip() == "not available: fg.grad"
