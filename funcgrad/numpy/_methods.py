"""Operators and NumPy-like methods, installed on both `Array` and every `Tracer`.

One implementation serves eager arrays and traced values, so code behaves
the same inside and outside transformations. Operators keep Python scalars
weak (``f32_array * 2.0`` stays float32), exactly as NumPy 2 does.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from funcgrad import core, dtypes
from funcgrad import primitives as P
from funcgrad.array import Array, copy_array
from funcgrad.core import Tracer
from funcgrad.numpy import _contract, _reductions, _shape
from funcgrad.numpy._indexing import getitem
from funcgrad.numpy._ufuncs import UFUNCS, operands
from funcgrad.numpy._util import aval_of, check_int_operands, convert

_current = core._current_trace
_eval = core.eval_trace
_OPERAND_TYPES = (Array, Tracer, bool, int, float, complex, np.ndarray, np.generic, list, tuple)


def _foreign(other: Any) -> bool:
    """True for a value of a user type that may implement the reflected operator
    itself; builtin non-numbers (str, None, dict, object...) are errors instead."""
    return type(other).__module__ != "builtins" and not hasattr(other, "__array__")


def _binary(name: str, reflected: bool = False) -> Callable[[Any, Any], Any]:
    uf = UFUNCS[name]

    eager = uf.eager[True]

    def op(self: Any, other: Any) -> Any:
        if not isinstance(other, _OPERAND_TYPES) and _foreign(other):
            return NotImplemented
        args = (other, self) if reflected else (self, other)
        args = operands(args, uf.name)
        if type(other) is int:
            check_int_operands(uf.np_ufunc, args)
        if _current.get() is _eval:
            return eager(*args)
        return uf.apply(args, keep_weak=True)
    op.__name__ = f"__{'r' if reflected else ''}{name}__"
    return op


def _unary(name: str) -> Callable[[Any], Any]:
    uf = UFUNCS[name]
    eager = uf.eager[True]
    return lambda self: eager(self) if _current.get() is _eval else uf.apply((self,), True)


def _pow(self: Any, other: Any) -> Any:
    if isinstance(other, int) and not isinstance(other, bool):
        dt = aval_of(self).dtype
        if dtypes.is_inexact(dt) or (dtypes.is_integer(dt) and other >= 0):
            return P.integer_pow_p.bind(self, y=other)
    if not isinstance(other, _OPERAND_TYPES) and _foreign(other):
        return NotImplemented
    return UFUNCS["power"].apply((self, other), keep_weak=True)


def _rpow(self: Any, other: Any) -> Any:
    if not isinstance(other, _OPERAND_TYPES) and _foreign(other):
        return NotImplemented
    return UFUNCS["power"].apply((other, self), keep_weak=True)


def _matmul(self: Any, other: Any) -> Any:
    if not isinstance(other, _OPERAND_TYPES):
        return NotImplemented
    return _contract.matmul(self, other)


def _rmatmul(self: Any, other: Any) -> Any:
    if not isinstance(other, _OPERAND_TYPES):
        return NotImplemented
    return _contract.matmul(other, self)


def _astype(self: Any, dtype: Any, copy: bool = True) -> Any:
    out = convert(self, dtypes.canonicalize(dtype), False)
    if copy and out is self and type(self) is Array:
        out = copy_array(self)     # NumPy's astype copies unless told not to
    return out


def _reshape(self: Any, *shape: Any, order: str = "C") -> Any:
    return _shape.reshape(self, *shape, order=order)


def _transpose(self: Any, *axes: Any) -> Any:
    if len(axes) == 1 and (axes[0] is None or isinstance(axes[0], (tuple, list))):
        axes = axes[0]
    return _shape.transpose(self, axes or None)


def _real(self: Any) -> Any:
    return P.real_p.bind(self) if dtypes.is_complex(aval_of(self).dtype) else self


def _imag(self: Any) -> Any:
    if dtypes.is_complex(aval_of(self).dtype):
        return P.imag_p.bind(self)
    from funcgrad.numpy._creation import zeros_like
    return zeros_like(self)


def _round(self: Any, decimals: int = 0) -> Any:
    from funcgrad.numpy import round as round_
    return round_(self, decimals)


class _AtIndexer:
    """``x.at[idx]``: functional updates (NumPy indices; a new array is returned)."""

    __slots__ = ("array",)

    def __init__(self, array: Any):
        self.array = array

    def __getitem__(self, idx: Any) -> Any:
        from funcgrad.numpy._updates import IndexedUpdate
        return IndexedUpdate(self.array, idx)


_METHODS: dict[str, Any] = {
    "__getitem__": getitem,
    "__matmul__": _matmul, "__rmatmul__": _rmatmul,
    "__pow__": _pow, "__rpow__": _rpow,
    "__neg__": _unary("negative"), "__pos__": _unary("positive"),
    "__abs__": _unary("absolute"), "__invert__": _unary("invert"),
    "astype": _astype, "reshape": _reshape, "transpose": _transpose,
    "swapaxes": _shape.swapaxes, "squeeze": _shape.squeeze,
    "flatten": _shape.ravel, "ravel": _shape.ravel,
    "sum": _reductions.sum, "prod": _reductions.prod, "mean": _reductions.mean,
    "max": _reductions.max, "min": _reductions.min, "var": _reductions.var,
    "std": _reductions.std, "argmax": _reductions.argmax, "argmin": _reductions.argmin,
    "any": _reductions.any, "all": _reductions.all, "cumsum": _reductions.cumsum,
    "cumprod": _reductions.cumprod, "clip": _shape.clip, "dot": _contract.dot,
    "conj": _unary("conjugate"), "conjugate": _unary("conjugate"), "round": _round,
    "T": property(lambda self: _shape.transpose(self)),
    "mT": property(lambda self: _shape.swapaxes(self, -1, -2)),
    "real": property(_real), "imag": property(_imag),
    "at": property(_AtIndexer),
}
for _name in ("add", "subtract", "multiply", "true_divide", "floor_divide", "remainder",
              "bitwise_and", "bitwise_or", "bitwise_xor", "left_shift", "right_shift"):
    _dunder = {"subtract": "sub", "multiply": "mul", "true_divide": "truediv",
               "floor_divide": "floordiv", "remainder": "mod", "bitwise_and": "and",
               "bitwise_or": "or", "bitwise_xor": "xor", "left_shift": "lshift",
               "right_shift": "rshift"}.get(_name, _name)
    _METHODS[f"__{_dunder}__"] = _binary(_name)
    _METHODS[f"__r{_dunder}__"] = _binary(_name, reflected=True)
for _name, _dunder in (("equal", "eq"), ("not_equal", "ne"), ("less", "lt"),
                       ("less_equal", "le"), ("greater", "gt"), ("greater_equal", "ge")):
    _METHODS[f"__{_dunder}__"] = _binary(_name)


def _array_namespace(self: Any, api_version: Any = None) -> Any:
    import funcgrad.numpy
    return funcgrad.numpy


_METHODS["__array_namespace__"] = _array_namespace

for _cls in (Array, Tracer):
    for _k, _v in _METHODS.items():
        setattr(_cls, _k, _v)
    _cls.__hash__ = None  # type: ignore[assignment]  # __eq__ is elementwise, like NumPy

core.Tracer.__array_ufunc__ = None       # NumPy defers to our reflected operators
Array.__array_ufunc__ = None
