"""Persistent compilation cache: the first call of ``jit(grad(loss))`` for a 3-layer
MLP's loss, in a fresh process, with the cache on disk cold and then warm:

- funcgrad warm / funcgrad cold: target 0.2 (the warm process skips tracing,
  lowering and XLA's compile: it loads the traced program and the executable);
- funcgrad warm / JAX warm (JAX's persistent cache on, every entry kept): target
  0.5 (JAX still traces and lowers, then loads the executable).

Each first call runs in its own fresh process (import excluded from the time);
the notes split funcgrad's cold first call into trace, lower, compile and
execute, measured in the cold process after its timed call. Quick mode runs
the same on a tiny MLP within this process (caches emptied between the cold
and the warm call), so it takes well under two seconds.

``python -m benchmarks.compile_cache`` runs it alone; ``python -m benchmarks`` with
the rest.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks._harness import Result, attempt, table

ROOT = Path(__file__).resolve().parents[1]
TARGET_WARM_COLD = 0.2
TARGET_VS_JAX = 0.5
_WORKLOAD = "first call jit(grad(mlp loss))"


def _data(quick: bool) -> tuple[list[tuple[np.ndarray, np.ndarray]], np.ndarray, np.ndarray]:
    sizes = [4, 8, 8, 1] if quick else [32, 256, 256, 1]
    rng = np.random.default_rng(0)
    params = [(rng.standard_normal((a, b)) / np.sqrt(a), np.zeros(b))
              for a, b in zip(sizes[:-1], sizes[1:], strict=True)]
    x = rng.standard_normal((8 if quick else 128, sizes[0]))
    return params, x, np.sin(x[:, :1])


def _loss(np_: Any) -> Any:
    def loss(params: Any, x: Any, y: Any) -> Any:
        h = x
        for w, b in params[:-1]:
            h = np_.tanh(h @ w + b)
        w, b = params[-1]
        return np_.mean((h @ w + b - y) ** 2)
    return loss


def first_call(side: str, directory: str, quick: bool, split: bool = False) -> dict[str, Any]:
    """Time the first call of jit(grad(loss)) in this process, its cache in `directory`;
    with `split`, then time each phase of a cold first call (cache off)."""
    params, x, y = _data(quick)
    if side == "JAX":
        import jax
        import jax.numpy as jnp
        jax.config.update("jax_enable_x64", True)
        jax.config.update("jax_compilation_cache_dir", directory)
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0)
        jax.config.update("jax_persistent_cache_min_entry_size_bytes", -1)
        start = time.perf_counter()
        g = jax.jit(jax.grad(_loss(jnp)))(params, x, y)
        jax.block_until_ready(g)
        return {"first": time.perf_counter() - start, "w0": float(np.asarray(g[0][0]).sum())}
    os.environ["FUNCGRAD_COMPILATION_CACHE_DIR"] = directory
    os.environ["FUNCGRAD_COMPILATION_CACHE_MIN_SECS"] = "0"
    import funcgrad as fg
    import funcgrad.numpy as fnp
    from funcgrad.xla_backend import compilation_cache
    fg.config.update("compilation_cache_dir", directory)     # also where funcgrad was imported
    loss = _loss(fnp)
    start = time.perf_counter()
    g = fg.jit(fg.grad(loss))(params, x, y)
    fg.block_until_ready(g)
    out: dict[str, Any] = {"first": time.perf_counter() - start,
                           "w0": float(np.asarray(g[0][0]).sum()),
                           "stats": compilation_cache.stats()}
    if split:
        out["phases"] = _phases(fg, loss, params, x, y)
    return out


def _phases(fg: Any, loss: Any, params: Any, x: Any, y: Any) -> dict[str, float]:
    from funcgrad import dispatch
    from funcgrad.xla_backend import runtime
    fg.config.update("compilation_cache_dir", None)
    fg.clear_caches()
    t0 = time.perf_counter()
    program = fg.jit(fg.grad(loss)).trace(params, x, y)
    t1 = time.perf_counter()
    text = dispatch.lower(program, "loss")
    t2 = time.perf_counter()
    runtime.compile_text(text, [(a.shape, a.dtype) for a in program.in_avals],
                         [(a.shape, a.dtype) for a in program.out_avals])
    t3 = time.perf_counter()
    fg.clear_caches()
    f = fg.jit(fg.grad(loss))
    fg.block_until_ready(f(params, x, y))
    t4 = time.perf_counter()
    fg.block_until_ready(f(params, x, y))
    t5 = time.perf_counter()
    return {"trace": t1 - t0, "lower": t2 - t1, "compile": t3 - t2, "execute": t5 - t4}


def _child() -> None:
    side, directory, split = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
    print(json.dumps(first_call(side, directory, quick=False, split=split)))


def _in_new_process(side: str, directory: str, split: bool = False) -> dict[str, Any]:
    code = "from benchmarks.compile_cache import _child; _child()"
    env = {k: v for k, v in os.environ.items() if not k.startswith("FUNCGRAD_COMPILATION")}
    done = subprocess.run([sys.executable, "-c", code, side, directory, "1" if split else "0"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"the {side} process failed:\n{done.stderr[-2000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _in_this_process(side: str, directory: str) -> tuple[dict[str, Any], dict[str, Any]]:
    saved = {k: os.environ.get(k) for k in ("FUNCGRAD_COMPILATION_CACHE_DIR",
                                             "FUNCGRAD_COMPILATION_CACHE_MIN_SECS")}
    import funcgrad as fg
    saved_dir = fg.config.compilation_cache_dir
    try:
        cold = first_call(side, directory, quick=True)
        if side == "JAX":
            import jax
            jax.clear_caches()
        else:
            import funcgrad as fg
            fg.clear_caches()
        warm = first_call(side, directory, quick=True)
    finally:
        fg.config.update("compilation_cache_dir", saved_dir)
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        if side == "JAX":
            import jax
            from jax._src import compilation_cache as jax_cache
            jax.config.update("jax_compilation_cache_dir", None)
            jax_cache.reset_cache()
    return cold, warm


def _measure(quick: bool) -> list[Result]:
    with tempfile.TemporaryDirectory() as ours_dir, tempfile.TemporaryDirectory() as jax_dir:
        if quick:
            cold, warm = _in_this_process("funcgrad", ours_dir)
            _, jax_warm = _in_this_process("JAX", jax_dir)
        else:
            cold = _in_new_process("funcgrad", ours_dir, split=True)
            warm = _in_new_process("funcgrad", ours_dir)
            _in_new_process("JAX", jax_dir)
            jax_warm = _in_new_process("JAX", jax_dir)
    for other in (warm, jax_warm):
        if not np.isclose(other["w0"], cold["w0"], rtol=1e-9):
            raise AssertionError(f"results differ: {other['w0']} vs {cold['w0']}")
    hits = warm["stats"]
    if not (hits["trace_hits"] and hits["executable_hits"]):
        raise AssertionError(f"the warm first call missed the cache: {hits}")
    size = "4-8-8-1, same process" if quick else "32-256-256-1, new process"
    split = cold.get("phases")
    note = ("cold first call: " + ", ".join(f"{k} {v * 1e3:.1f} ms" for k, v in split.items())
            if split else "quick: in this process, caches emptied between the calls")
    return [Result(f"{_WORKLOAD} ({size}), warm cache", "funcgrad cold", warm["first"],
                   cold["first"], TARGET_WARM_COLD, note=note),
            Result(f"{_WORKLOAD} ({size}), warm cache", "JAX warm cache", warm["first"],
                   jax_warm["first"], TARGET_VS_JAX)]


def run(quick: bool) -> list[Result]:
    return attempt(_WORKLOAD, "funcgrad cold / JAX warm", TARGET_WARM_COLD,
                   lambda: _measure(quick))


if __name__ == "__main__":
    print(table(run("--quick" in sys.argv)))
