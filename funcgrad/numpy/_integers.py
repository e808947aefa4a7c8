"""Integer ufuncs: gcd, lcm (Euclid's algorithm as one loop over the whole array,
so it compiles and batches), bitwise_count, and NumPy 2's bitwise_* names."""
from __future__ import annotations

from typing import Any

import numpy as np

from funcgrad import primitives as P
from funcgrad.numpy import _ufuncs as U
from funcgrad.numpy._util import aval_of

__all__ = ["bitwise_count", "bitwise_invert", "bitwise_left_shift", "bitwise_right_shift",
           "gcd", "lcm"]


def _abs(x: Any) -> Any:
    return x if aval_of(x).dtype.kind == "u" else P.abs_p.bind(x)


def _gcd(a: Any, b: Any) -> Any:
    from funcgrad.control_flow import while_loop
    from funcgrad.numpy._shape import broadcast_arrays
    a, b = broadcast_arrays(a, b)
    zero = U._const(a, 0)
    one = U._const(a, 1)

    def step(ab: tuple[Any, Any]) -> tuple[Any, Any]:
        x, y = ab
        nz = P.ne_p.bind(y, zero)
        r = P.rem_p.bind(x, P.select_n_p.bind(nz, one, y))
        return P.select_n_p.bind(nz, x, y), P.select_n_p.bind(nz, zero, r)

    def going(ab: tuple[Any, Any]) -> Any:
        y = ab[1]
        ne = P.ne_p.bind(y, zero)
        return P.reduce_or_p.bind(ne, axes=tuple(range(aval_of(ne).ndim)))
    x, _ = while_loop(going, step, (_abs(a), _abs(b)))
    return x


def _lcm(a: Any, b: Any) -> Any:
    g = _gcd(a, b)
    zero = U._const(a, 0)
    safe = P.select_n_p.bind(P.eq_p.bind(g, zero), g, U._const(g, 1))
    return _abs(P.mul_p.bind(P.div_p.bind(a, safe), b))


def _bitwise_count(x: Any) -> Any:
    return P.convert_element_type_p.bind(P.population_count_p.bind(_abs(x)),
                                         new_dtype=np.dtype(np.uint8), weak_type=False)


gcd = U._ufunc("gcd", np.gcd, _gcd)
lcm = U._ufunc("lcm", np.lcm, _lcm)
bitwise_count = U._ufunc("bitwise_count", np.bitwise_count, _bitwise_count)
bitwise_invert = U.invert
bitwise_left_shift = U.left_shift
bitwise_right_shift = U.right_shift
