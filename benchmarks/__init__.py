"""Benchmarks: funcgrad against JAX, HIPS autograd and NumPy, side by side in one process.

Run ``python -m benchmarks`` (add ``--quick`` for a seconds-long smoke run).
Each module holds one issue's workloads and a ``run(quick) -> list[Result]``;
the targets (the largest acceptable funcgrad/competitor time ratio) live next
to the workloads, never in timed tests. These machines are noisy, so only
interleaved, same-process ratios mean anything.
"""
