"""``python -m funcgrad``: a short tour. Prints the device, runs a jitted function,
shows the program it staged, and times it against the same function run eagerly."""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import funcgrad as fg
import funcgrad.numpy as fnp


def predict(w: Any, b: Any, x: Any) -> Any:
    """A tiny two-layer network: tanh(x @ w + b), then a softmax over the last axis."""
    h = fnp.tanh(x @ w + b)
    e = fnp.exp(h - h.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def best_time(f: Callable[[], Any], number: int = 200, repeats: int = 5) -> float:
    """Seconds per call, the best of `repeats` loops of `number` calls."""
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(number):
            fg.block_until_ready(f())
        best = min(best, (time.perf_counter() - t0) / number)
    return best


def main() -> None:
    devices = fg.devices()
    print(f"funcgrad {fg.__version__} on {devices[0].platform}: devices {devices}\n")

    w = fnp.linspace(-1.0, 1.0, 12).reshape(3, 4)
    b = fnp.full((4,), 0.1)
    x = fnp.arange(6.0).reshape(2, 3)
    fast = fg.jit(predict)
    y = fast(w, b, x)
    print(f"jit(predict)(w, b, x) -> {y.dtype}{list(y.shape)}:\n{y}\n")

    print("The program jit staged (fg.make_ir(predict)(w, b, x)):")
    print(fg.make_ir(predict)(w, b, x), "\n")

    t_jit = best_time(lambda: fast(w, b, x))
    t_eager = best_time(lambda: predict(w, b, x))
    n_ops = len(fg.make_ir(predict)(w, b, x).eqns)
    print(f"Per call: jit {t_jit * 1e6:.1f} us (one compiled executable); eager "
          f"{t_eager * 1e6:.1f} us ({n_ops} primitives, each its own cached executable): "
          f"jit is {t_eager / t_jit:.1f}x faster here.")


if __name__ == "__main__":
    main()
