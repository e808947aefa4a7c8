"""NumPy's i0 (the modified Bessel function of order 0), as exp(|x|) times the
scaled i0e primitive, which is accurate over the whole line and differentiable
(its derivative brings in i1e)."""
from __future__ import annotations

from typing import Any

import numpy as np

from funcgrad import primitives as P
from funcgrad.numpy import _ufuncs as U
from funcgrad.numpy._creation import asarray

__all__ = ["i0"]


def i0(x: Any) -> Any:
    a = asarray(x)
    if a.dtype.kind == "c":
        raise TypeError("i0: complex values are not supported (as in NumPy)")
    if a.dtype.kind != "f":
        a = a.astype(np.float64)
    return U.exp(U.absolute(a)) * P.bessel_i0e_p.bind(a)
