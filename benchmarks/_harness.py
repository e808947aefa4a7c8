"""What every benchmark shares: the `Result` row, interleaved timers, and the two
`Side`s (funcgrad and JAX) that let one workload definition run on both.

Timing rules (these machines are noisy):
- both sides run the same workload in the same process, repetitions
  interleaved and the order alternated, so drift hits both alike;
- each repetition times a short loop of calls; a side's time is the minimum
  per-call time over many repetitions: under load from other processes,
  some short loops still run undisturbed;
- every timed call blocks until its result is ready, on both sides;
- the garbage collector is off inside timed loops, on both sides.
"""
from __future__ import annotations

import gc
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Result:
    """One row of the table. Times are seconds per call (or, with ``unit="B"``,
    sizes in bytes); `target` is the largest acceptable ours/theirs ratio (None:
    shown for information only)."""

    workload: str
    competitor: str
    ours: float | None = None
    theirs: float | None = None
    target: float | None = None
    note: str = ""
    skipped: str = ""          # why the row was not measured ("not available: ...")
    error: str = ""            # the workload raised: a regression, reported as ERROR
    unit: str = "s"            # "s": seconds per call; "B": bytes

    @property
    def ratio(self) -> float | None:
        if self.ours is None or self.theirs is None or self.theirs <= 0:
            return None
        return self.ours / self.theirs

    @property
    def status(self) -> str:
        if self.error:
            return "ERROR"
        if self.skipped:
            return "SKIP"
        if self.target is None:
            return "info"
        ratio = self.ratio
        return "PASS" if ratio is not None and ratio <= self.target else "MISS"


def skipped(workload: str, competitor: str, why: str, target: float | None = None) -> Result:
    return Result(workload, competitor, target=target, skipped=why)


def attempt(workload: str, competitor: str, target: float | None,
            bench: Callable[[], Result | list[Result]]) -> list[Result]:
    """Run one workload; if it raises, an ERROR row (traceback on stderr) takes its place
    so the other workloads still get measured."""
    try:
        out = bench()
    except Exception as e:
        traceback.print_exc(file=sys.stderr)
        msg = str(e).splitlines()[0] if str(e) else ""
        return [Result(workload, competitor, target=target,
                       error=f"ERROR: {type(e).__name__}: {msg}")]
    return out if isinstance(out, list) else [out]


def _timed_loop(fn: Callable[[], Any], number: int) -> float:
    gc.collect()
    gc.disable()
    try:
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        return (time.perf_counter() - t0) / number
    finally:
        gc.enable()


def per_call(ours: Callable[[], Any], theirs: Callable[[], Any], *, number: int,
             repeats: int, warmup: int = 3) -> tuple[float, float]:
    """Steady-state seconds per call of `ours` and `theirs` (each must block on
    its result), interleaved over `repeats` loops of `number` calls."""
    for _ in range(warmup):
        ours()
        theirs()
    best = [float("inf"), float("inf")]
    sides = [ours, theirs]
    for r in range(repeats):
        order = (0, 1) if r % 2 == 0 else (1, 0)
        for i in order:
            best[i] = min(best[i], _timed_loop(sides[i], number))
    return best[0], best[1]


def one_shot(ours: Callable[[int], Any], theirs: Callable[[int], Any], *,
             repeats: int) -> tuple[float, float]:
    """Seconds of one cold call of each side, minimum over `repeats`. Each call
    gets the repetition index so it can build a fresh program (a fresh function
    object, a distinct constant): no cache of either side may serve it."""
    best = [float("inf"), float("inf")]
    sides = [ours, theirs]
    for r in range(repeats):
        order = (0, 1) if r % 2 == 0 else (1, 0)
        for i in order:
            gc.collect()
            gc.disable()
            try:
                t0 = time.perf_counter()
                sides[i](r)
                best[i] = min(best[i], time.perf_counter() - t0)
            finally:
                gc.enable()
    return best[0], best[1]


def check_close(what: str, ours: Any, theirs: Any, *, rtol: float = 1e-6,
                atol: float = 1e-9) -> None:
    """Both sides must compute the same thing before their times are compared."""
    a, b = np.asarray(ours), np.asarray(theirs)
    if a.shape != b.shape or not np.allclose(a, b, rtol=rtol, atol=atol):
        err = np.max(np.abs(a - b)) if a.shape == b.shape else "n/a"
        raise AssertionError(f"{what}: funcgrad and the competitor disagree (shapes {a.shape} "
                             f"vs {b.shape}, max abs difference {err}); fix the workload or "
                             "funcgrad before timing it")


# -- the two sides ------------------------------------------------------------

@dataclass(frozen=True)
class Side:
    """One library's spelling of the API a workload needs."""

    name: str
    np: Any                      # funcgrad.numpy or jax.numpy
    jit: Callable[..., Any]
    grad: Callable[..., Any] | None
    value_and_grad: Callable[..., Any] | None
    vmap: Callable[..., Any] | None
    scan: Callable[..., Any] | None
    tree_map: Callable[..., Any]
    make_ir: Callable[..., Any]  # fg.make_ir / jax.make_jaxpr
    block: Callable[[Any], Any]  # block_until_ready on a pytree

    def asarray(self, x: np.ndarray) -> Any:
        return self.np.asarray(x)

    def missing(self, *names: str) -> list[str]:
        return [n for n in names if getattr(self, n) is None]


def funcgrad_side() -> Side:
    import funcgrad as fg
    import funcgrad.numpy as fnp
    return Side("funcgrad", fnp, fg.jit, getattr(fg, "grad", None),
                getattr(fg, "value_and_grad", None), getattr(fg, "vmap", None),
                getattr(fg.lax, "scan", None), fg.tree.map, fg.make_ir, fg.block_until_ready)


def jax_side() -> Side:
    import jax
    import jax.numpy as jnp
    jax.config.update("jax_enable_x64", True)   # NumPy's float64 semantics, like funcgrad
    return Side("JAX", jnp, jax.jit, jax.grad, jax.value_and_grad, jax.vmap, jax.lax.scan,
                jax.tree.map, jax.make_jaxpr, jax.block_until_ready)


def not_available(side: Side, names: Sequence[str]) -> str:
    missing = side.missing(*names)
    return f"not available: fg.{', fg.'.join(missing)} missing" if missing else ""


def compare_workloads(workloads: dict[str, tuple[Any, str, float | None, Sequence[str]]],
                      quick: bool, ours: Side, jx: Side) -> list[Result]:
    """Run each workload ``name: (bench, competitor, target, needed fg names)``; one
    whose names funcgrad lacks is a SKIP row, one that raises an ERROR row."""
    results: list[Result] = []
    for name, (bench, competitor, target, needs) in workloads.items():
        why = not_available(ours, needs)
        if why:
            results.append(skipped(name, competitor, why, target))
            continue
        results.extend(attempt(name, competitor, target, lambda b=bench: b(quick, ours, jx)))
    return results


def fmt_time(seconds: float | None, unit: str = "s") -> str:
    if seconds is None:
        return "-"
    if unit == "B":
        return f"{seconds:,.0f} B"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} us"
    if seconds < 1.0:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


def table(results: Sequence[Result]) -> str:
    """The results as a fixed-width text table, notes and reasons below each row."""
    header = ("workload", "funcgrad", "competitor", "ratio", "target", "status")
    rows = []
    for r in results:
        ratio = f"{r.ratio:.2f}" if r.ratio is not None else "-"
        target = f"<= {r.target:g}" if r.target is not None else "-"
        theirs = f"{fmt_time(r.theirs, r.unit)} ({r.competitor})"
        rows.append((r.workload, fmt_time(r.ours, r.unit), theirs, ratio, target, r.status))
    widths = [max(len(h), *(len(row[i]) for row in rows)) if rows else len(h)
              for i, h in enumerate(header)]
    line = "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))
    out = [line, "-" * len(line)]
    for r, row in zip(results, rows, strict=True):
        out.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))
        for extra in (r.skipped, r.error, r.note):
            if extra:
                out.append(" " * 4 + extra)
    return "\n".join(out)


def rng_arrays(seed: int, *shapes: tuple[int, ...], dtype: Any = np.float64) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s).astype(dtype) for s in shapes]


__all__ = ["Result", "Side", "attempt", "check_close", "fmt_time", "funcgrad_side",
           "jax_side", "not_available", "one_shot", "per_call", "rng_arrays", "skipped", "table"]
