"""``python -m benchmarks [--quick] [--only NAME ...] [--strict]``: run every
benchmark module and print one table of funcgrad/competitor ratios.

Exit status: 1 if a workload raised (a regression, or funcgrad and the
competitor disagreeing on the result); with ``--strict`` also if a target was
missed. Rows whose feature does not exist yet are listed as SKIP.
"""
from __future__ import annotations

import argparse
import importlib
import os
import platform
import sys
import time
import traceback

from benchmarks._harness import Result, table

# module name -> the issue whose targets it measures
MODULES = {
    "dispatch": "issue 2: foundation",
    "eager": "issue 17: eager work in notebooks",
    "autodiff": "issue 3: autodiff",
    "batching": "issue 4: vmap",
    "control_flow": "issue 5: control flow",
    "sharding": "issue 12: scale out",
    "linalg": "issue 13: linear algebra",
    "convolution": "issue 15: lax.conv_general_dilated",
    "pooling": "issue 15: lax.reduce_window (max-pool)",
    "while_grad": "issue 16: beyond JAX (while_loop reverse mode)",
    "safe_where": "issue 16: beyond JAX (NaN-free where)",
    "compile_cache": "issue 17: persistent compilation cache",
    "ode": "issue 14: scientific stack (odeint adjoint)",
    "stats": "issue 14: scientific stack (stats.multivariate_normal)",
    "optimize": "issue 14: scientific stack (optimize.minimize BFGS)",
}


def run_module(name: str, quick: bool) -> list[Result]:
    try:
        module = importlib.import_module(f"benchmarks.{name}")
        return module.run(quick)
    except Exception as e:  # one broken benchmark must not hide the others
        detail = traceback.format_exception_only(type(e), e)[-1].strip()
        traceback.print_exc(file=sys.stderr)
        return [Result(f"{name} (whole module)", "-", error=f"ERROR: {detail}")]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks",
                                     description="funcgrad/competitor time ratios, side by side")
    parser.add_argument("--quick", action="store_true",
                        help="small sizes and few repetitions: checks the benchmarks run, "
                             "the ratios mean little")
    parser.add_argument("--only", nargs="+", choices=sorted(MODULES), metavar="NAME",
                        help=f"run only these modules ({', '.join(MODULES)})")
    parser.add_argument("--strict", action="store_true",
                        help="exit with status 1 when a target is missed")
    args = parser.parse_args(argv)

    if "sharding" in (args.only or MODULES):     # a mesh of CPU devices, before the client exists
        os.environ.setdefault("FUNCGRAD_NUM_CPU_DEVICES", "8")
    import funcgrad as fg
    device = fg.devices()[0]
    print(f"funcgrad {fg.__version__} on {device.platform} ({device}); Python "
          f"{platform.python_version()}{'; quick mode' if args.quick else ''}", flush=True)
    load, cores = os.getloadavg()[0], os.cpu_count() or 1
    if load > cores:
        print(f"warning: load average {load:.1f} on {cores} cores: other processes compete "
              "for the CPU and the ratios below are noisier than usual", flush=True)

    results: list[Result] = []
    t0 = time.perf_counter()
    for name in args.only or MODULES:
        print(f"running {name} ({MODULES[name]}) ...", file=sys.stderr, flush=True)
        results.extend(run_module(name, args.quick))
    print(table(results))
    print(f"ratio = funcgrad time / competitor time (lower is better); "
          f"total {time.perf_counter() - t0:.1f} s")

    if any(r.status == "ERROR" for r in results):
        return 1
    if args.strict and any(r.status == "MISS" for r in results):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
