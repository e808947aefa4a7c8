"""Elementwise functions NumPy does not make ufuncs: ``round`` (``around``), ``real``
and ``imag``. They are here, not in the package's ``__init__``, so the modules that
use them (statistics, padding, the array methods) need not import funcgrad.numpy."""
from __future__ import annotations

from typing import Any

from funcgrad import dtypes
from funcgrad import primitives as P
from funcgrad.numpy._creation import asarray
from funcgrad.numpy._util import asarray_operand, aval_of, convert, reject


def round(a: Any, decimals: int = 0, out: Any = None) -> Any:  # noqa: A001
    """Round half to even, like NumPy; `decimals` scales by 10**decimals first."""
    reject("round", out=out)
    x = asarray_operand(a)
    dt = aval_of(x).dtype
    if not dtypes.is_inexact(dt):
        return x
    if dtypes.is_complex(dt):
        return P.complex_p.bind(round(P.real_p.bind(x), decimals),
                                round(P.imag_p.bind(x), decimals))
    if decimals == 0:
        return P.round_p.bind(x)
    f = convert(10.0 ** decimals, dt)
    return P.div_p.bind(P.round_p.bind(P.mul_p.bind(x, f)), f)


around = round


def real(a: Any) -> Any:
    return asarray(a).real


def imag(a: Any) -> Any:
    return asarray(a).imag


__all__ = ["around", "imag", "real", "round"]
