"""Scale-out targets, on 8 CPU devices (``python -m benchmarks`` asks for them):

- data-parallel MLP train step (784-512-512-10, batch 1024, f32; batch split over
  the mesh, parameters replicated): target 1.05x JAX's with the same shardings,
  and the partitioned programs must have as many all-reduces as JAX's;
- dispatch of a jitted function on sharded arguments: target 1.2x JAX's;
- the step on meshes of 1, 2, 4 and 8 devices, both libraries (information).

Both libraries share one CPU client, so they see the same 8 devices.
"""
from __future__ import annotations

import re
from typing import Any

import numpy as np

from benchmarks._harness import (Result, Side, attempt, check_close, funcgrad_side, jax_side,
                                 per_call, skipped)
from benchmarks.autodiff import mlp_params, one_hot_batch, sgd_step

DP_STEP_TARGET = 1.05
DISPATCH_TARGET = 1.2
DEVICES = 8


def _meshes(n: int) -> tuple[Any, Any, Any, Any]:
    """(funcgrad data sharding, funcgrad replicated, JAX data sharding, JAX replicated)
    over the first `n` devices."""
    import jax
    import jax.sharding as js

    import funcgrad as fg
    from funcgrad.sharding import NamedSharding, PartitionSpec as P
    mesh = fg.make_mesh((n,), ("data",))
    jmesh = js.Mesh(np.array(jax.devices()[:n]), ("data",))
    return (NamedSharding(mesh, P("data")), NamedSharding(mesh, P()),
            js.NamedSharding(jmesh, js.PartitionSpec("data")),
            js.NamedSharding(jmesh, js.PartitionSpec()))


def _put(side: Side, x: Any, sharding: Any) -> Any:
    if side.name == "funcgrad":
        import funcgrad as fg
        return fg.device_put(x, sharding)
    import jax
    return jax.device_put(x, sharding)


def _all_reduces(hlo: str) -> int:
    """All-reduce instructions in optimized HLO (XLA combines them into tuples)."""
    return len(re.findall(r"\ball-reduce(?:-start)?\(", hlo))


def _dp_inputs(quick: bool, ours: Side, jx: Side, n: int) -> tuple[dict[str, Any], str]:
    sizes, batch = ((32, 16, 16, 10), 64) if quick else ((784, 512, 512, 10), 1024)
    name = f"data-parallel MLP {'-'.join(map(str, sizes))} step, batch {batch}, f32"
    params_np = mlp_params(sizes, np.float32)
    x_np, y_np = one_hot_batch(batch, sizes[0], sizes[-1], np.float32)
    d_o, r_o, d_j, r_j = _meshes(n)
    inputs = {}
    for side, data, rep in ((ours, d_o, r_o), (jx, d_j, r_j)):
        params = [(_put(side, w, rep), _put(side, b, rep)) for w, b in params_np]
        inputs[side.name] = (params, _put(side, x_np, data), _put(side, y_np, data))
    return inputs, name


def _dp_step(quick: bool, ours: Side, jx: Side) -> list[Result]:
    inputs, name = _dp_inputs(quick, ours, jx, DEVICES)
    steps = {s.name: s.jit(sgd_step(s)) for s in (ours, jx)}
    (new_o, loss_o), (new_j, loss_j) = (steps[s.name](*inputs[s.name]) for s in (ours, jx))
    check_close(name + " (loss)", loss_o, loss_j, rtol=1e-4, atol=1e-5)
    for (wo, _), (wj, _) in zip(new_o, new_j, strict=True):
        check_close(name + " (updated params)", wo, wj, rtol=1e-4, atol=1e-5)
    hlo_o = steps[ours.name].lower(*inputs[ours.name]).compile().as_text()
    hlo_j = steps[jx.name].lower(*inputs[jx.name]).compile().as_text()
    n_o, n_j = _all_reduces(hlo_o), _all_reduces(hlo_j)
    if n_o != n_j:
        raise AssertionError(f"{name}: the partitioned program has {n_o} all-reduces, "
                             f"JAX's has {n_j}")
    step_o, step_j = steps[ours.name], steps[jx.name]
    in_o, in_j = inputs[ours.name], inputs[jx.name]
    t_o, t_j = per_call(lambda: ours.block(step_o(*in_o)), lambda: jx.block(step_j(*in_j)),
                        number=3 if quick else 2, repeats=2 if quick else 30)
    rows = [Result(name + f", {DEVICES} devices", "JAX", t_o, t_j, DP_STEP_TARGET,
                   note=f"{n_o} all-reduces in both partitioned programs")]
    for n in (1, 2, 4):
        inputs_n, _ = _dp_inputs(quick, ours, jx, n)
        a, b = inputs_n[ours.name], inputs_n[jx.name]
        to, tj = per_call(lambda a=a: ours.block(step_o(*a)), lambda b=b: jx.block(step_j(*b)),
                          number=3 if quick else 2, repeats=2 if quick else 15)
        rows.append(Result(f"  same step on {n} device{'s' if n > 1 else ''}", "JAX", to, tj,
                           note=f"scaling: funcgrad {to / t_o:.2f}x, JAX {tj / t_j:.2f}x the "
                                f"{DEVICES}-device time"))
    return rows


def _dispatch(quick: bool, ours: Side, jx: Side) -> Result:
    d_o, _, d_j, _ = _meshes(DEVICES)
    x = np.arange(64, dtype=np.float64)
    xo, xj = _put(ours, x, d_o), _put(jx, x, d_j)
    fo = ours.jit(lambda a: a * 2.0 + 1.0)
    fj = jx.jit(lambda a: a * 2.0 + 1.0)
    check_close("sharded dispatch", fo(xo), fj(xj))
    t_o, t_j = per_call(lambda: ours.block(fo(xo)), lambda: jx.block(fj(xj)),
                        number=20 if quick else 200, repeats=3 if quick else 25)
    return Result(f"jitted call on an f64[64] split over {DEVICES} devices", "JAX", t_o, t_j,
                  DISPATCH_TARGET)


def run(quick: bool) -> list[Result]:
    import funcgrad as fg
    ours, jx = funcgrad_side(), jax_side()
    if len(fg.devices()) < DEVICES:
        why = (f"needs {DEVICES} devices, this process has {len(fg.devices())}: set "
               f"FUNCGRAD_NUM_CPU_DEVICES={DEVICES} before funcgrad starts")
        return [skipped("data-parallel MLP step", "JAX", why, DP_STEP_TARGET),
                skipped("jitted call on sharded arguments", "JAX", why, DISPATCH_TARGET)]
    return [*attempt("data-parallel MLP step", "JAX", DP_STEP_TARGET,
                     lambda: _dp_step(quick, ours, jx)),
            *attempt("jitted call on sharded arguments", "JAX", DISPATCH_TARGET,
                     lambda: _dispatch(quick, ours, jx))]
