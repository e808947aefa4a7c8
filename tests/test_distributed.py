"""Two processes on localhost, 4 CPU devices each, one global mesh of 8 (PJRT's
distributed runtime, gloo collectives): a data-parallel step with pmean agrees
with the same step run here on 8 devices of one process."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
from typing import Any

import numpy as np
import pytest

import funcgrad as fg
from conftest import mesh_devices
from funcgrad.sharding import Mesh, NamedSharding, PartitionSpec as P

STEP = textwrap.dedent('''
    import numpy as np
    import funcgrad as fg
    import funcgrad.numpy as fnp
    from funcgrad.sharding import NamedSharding, PartitionSpec as P

    def data():
        rng = np.random.default_rng(0)
        return rng.normal(size=(64, 5)), rng.normal(size=(64,)), rng.normal(size=5)

    def loss(w, xb, yb):
        return ((fnp.tanh(xb @ w) - yb) ** 2).mean()

    def body(w, xb, yb):
        l, g = fg.value_and_grad(loss)(w, xb, yb)
        return w - 0.1 * fg.lax.pmean(g, "data"), fg.lax.pmean(l, "data")

    def train(mesh, xs, ys, w):
        step = fg.jit(fg.shard_map(body, mesh=mesh, in_specs=(P(), P("data"), P("data")),
                                   out_specs=(P(), P())))
        for _ in range(3):
            w, l = step(w, xs, ys)
        return np.asarray(w), float(l)
''')

WORKER = STEP + textwrap.dedent('''
    import json, sys
    pid, port = int(sys.argv[1]), sys.argv[2]
    fg.distributed.initialize(f"127.0.0.1:{port}", 2, pid)
    assert (fg.process_index(), fg.process_count()) == (pid, 2)
    assert len(fg.devices()) == 8 and len(fg.local_devices()) == 4
    mesh = fg.make_mesh((8,), ("data",))
    X, Y, W = data()
    rows = slice(32 * pid, 32 * (pid + 1))
    xs = fg.make_array_from_process_local_data(NamedSharding(mesh, P("data")), X[rows])
    ys = fg.make_array_from_process_local_data(NamedSharding(mesh, P("data")), Y[rows])
    assert xs.shape == (64, 5) and len(xs.addressable_shards) == 4
    w, l = train(mesh, xs, ys, fg.device_put(W, NamedSharding(mesh, P())))
    print("RESULT " + json.dumps({"w": w.tolist(), "loss": l}), flush=True)
''')


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_two_processes_agree_with_one(tmp_path: Any) -> None:
    mesh_devices(8)
    namespace: dict[str, Any] = {}
    exec(STEP, namespace)                                   # the same step, here on 8 devices
    mesh: Mesh = fg.make_mesh((8,), ("data",))
    X, Y, W = namespace["data"]()
    here_w, here_l = namespace["train"](mesh, fg.device_put(X, NamedSharding(mesh, P("data"))),
                                        fg.device_put(Y, NamedSharding(mesh, P("data"))),
                                        fg.device_put(W, NamedSharding(mesh, P())))

    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    env = {**os.environ, "FUNCGRAD_NUM_CPU_DEVICES": "4"}
    port = str(_free_port())
    procs = [subprocess.Popen([sys.executable, str(script), str(pid), port], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for pid in (0, 1)]
    outs = []
    for p in procs:
        try:
            out, err = p.communicate(timeout=240)
        except subprocess.TimeoutExpired:
            for q in procs:
                q.kill()
            pytest.fail("the two-process run did not finish in 240 s")
        assert p.returncode == 0, err[-3000:]
        line = [ln for ln in out.splitlines() if ln.startswith("RESULT ")]
        assert line, out[-2000:] + err[-2000:]
        outs.append(json.loads(line[-1][len("RESULT "):]))
    for res in outs:
        np.testing.assert_allclose(res["w"], here_w, rtol=1e-12)
        np.testing.assert_allclose(res["loss"], here_l, rtol=1e-12)


def test_make_array_from_process_local_data_and_callback_in_one_process() -> None:
    mesh_devices(8)
    mesh = fg.make_mesh((4, 2), ("data", "model"))
    x = np.arange(48.0).reshape(8, 6)
    a = fg.make_array_from_process_local_data(NamedSharding(mesh, P("data")), x)
    assert a.shape == (8, 6) and a.sharding == NamedSharding(mesh, P("data"))
    np.testing.assert_array_equal(np.asarray(a), x)
    b = fg.make_array_from_callback((8, 6), NamedSharding(mesh, P("data", "model")),
                                    lambda idx: x[idx])
    np.testing.assert_array_equal(np.asarray(b + 1), x + 1)
    with pytest.raises(ValueError, match="expected"):
        fg.make_array_from_callback((8, 6), NamedSharding(mesh, P("data")), lambda idx: x)
    assert fg.process_index() == 0 and fg.process_count() == 1
    assert fg.local_devices() == fg.devices()
    with pytest.raises(ValueError, match="host:port"):
        fg.distributed.initialize("localhost", 2, 0)
    with pytest.raises(RuntimeError, match="before funcgrad uses any device"):
        fg.distributed.initialize("127.0.0.1:1234", 2, 0)
