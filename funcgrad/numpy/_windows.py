"""NumPy's window functions (bartlett, blackman, hamming, hanning, kaiser): float64
arrays of a static length M, computed on the device like any other array."""
from __future__ import annotations

from typing import Any

import numpy as np

from funcgrad.numpy import _ufuncs as U
from funcgrad.numpy._creation import arange, asarray, ones

__all__ = ["bartlett", "blackman", "hamming", "hanning", "kaiser"]


def _length(M: Any, fname: str) -> int:  # noqa: N803  (NumPy's name)
    if not float(M).is_integer():
        raise TypeError(f"{fname}: M must be an integer, got {M!r}")
    return int(M)


def _window(M: Any, fname: str, fn: Any) -> Any:  # noqa: N803
    m = _length(M, fname)
    if m < 1:
        return asarray(np.zeros(0))
    if m == 1:
        return ones(1)
    return fn(m, arange(m, dtype=np.float64))


def bartlett(M: Any) -> Any:  # noqa: N803
    return _window(M, "bartlett",
                   lambda m, n: 1 - U.absolute(2 * n / (m - 1) - 1))


def hanning(M: Any) -> Any:  # noqa: N803
    return _window(M, "hanning", lambda m, n: 0.5 - 0.5 * U.cos(2 * np.pi * n / (m - 1)))


def hamming(M: Any) -> Any:  # noqa: N803
    return _window(M, "hamming", lambda m, n: 0.54 - 0.46 * U.cos(2 * np.pi * n / (m - 1)))


def blackman(M: Any) -> Any:  # noqa: N803
    return _window(M, "blackman",
                   lambda m, n: (0.42 - 0.5 * U.cos(2 * np.pi * n / (m - 1))
                                 + 0.08 * U.cos(4 * np.pi * n / (m - 1))))


def kaiser(M: Any, beta: Any) -> Any:  # noqa: N803
    from funcgrad.numpy._bessel import i0
    return _window(M, "kaiser",
                   lambda m, n: i0(beta * U.sqrt(1 - (2 * n / (m - 1) - 1) ** 2)) / i0(
                       asarray(float(beta)) if not hasattr(beta, "shape") else beta))
