"""Several devices: executables are cached per device and run where the data is.

Runs in a subprocess that asks XLA for two CPU devices before anything starts.
"""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent('''
    import jax
    jax.config.update("jax_num_cpu_devices", 2)
    import numpy as np
    import funcgrad as fg, funcgrad.numpy as fnp

    d0, d1 = fg.devices()
    x0 = fnp.arange(4.0)
    x1 = fg.device_put(np.arange(4.0), d1)
    assert x0.device == d0 and x1.device == d1
    # eager primitives and ufuncs run on the device of their arguments
    assert fnp.sin(x1).device == d1 and (x1 * 2.0).device == d1 and x1.sum().device == d1
    np.testing.assert_allclose(np.asarray(x1 * 2.0), np.arange(4.0) * 2)
    # one jitted function, an executable per device
    f = fg.jit(lambda a: fnp.tanh(a) * 3.0 + 1.0)
    r0, r1 = f(x0), f(x1)
    assert r0.device == d0 and r1.device == d1
    np.testing.assert_allclose(np.asarray(r0), np.asarray(r1))
    # eager grad follows the data too
    g1 = fg.grad(lambda a: fnp.sum(a ** 2))(x1)
    assert g1.device == d1
    np.testing.assert_allclose(np.asarray(g1), 2 * np.arange(4.0))
    # arguments on different devices: a clear error, and nothing is broken after it
    try:
        x0 + x1
    except ValueError as e:
        assert "different devices" in str(e) and "device_put" in str(e), e
    else:
        raise AssertionError("mixing devices did not raise")
    np.testing.assert_allclose(np.asarray(x1 + x1), 2 * np.arange(4.0))
    print("ok")
''')


def test_two_devices() -> None:
    env = {k: v for k, v in os.environ.items() if k != "FUNCGRAD_NUM_CPU_DEVICES"}
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                         timeout=300, env=env)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip().endswith("ok")
