"""What the operators and NumPy-like methods of `Array` and `Tracer` run.

funcgrad.core.ArrayMethods, the class body both inherit, hands every
operator and method to a function of `ArrayMethodImpls` below, under the name
it calls. One implementation serves eager arrays and traced values, so code
behaves the same inside and outside transformations. Operators keep Python
scalars weak (``f32_array * 2.0`` stays float32), exactly as NumPy 2 does.

core cannot import this module (funcgrad.numpy imports funcgrad.core), so
this module gives it the implementations with one call,
`set_array_methods(ArrayMethodImpls)`, at the end of its import;
funcgrad.numpy imports this module before anything else of its own.
"""
from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

import numpy as np

import funcgrad.numpy._contract as _contract
import funcgrad.numpy._reductions as _reductions
import funcgrad.numpy._shape as _shape
from funcgrad import core, dtypes
from funcgrad import primitives as P
from funcgrad.array import Array, copy_array
from funcgrad.core import Tracer, set_array_methods
from funcgrad.numpy._creation import zeros_like
from funcgrad.numpy._elementwise import round as round_
from funcgrad.numpy._indexing import getitem
from funcgrad.numpy._ufuncs import UFUNCS, operands
from funcgrad.numpy._updates import IndexedUpdate
from funcgrad.numpy._util import aval_of, check_int_operands, convert

_current = core._current_trace
_eval = core.eval_trace
_OPERAND_TYPES = (Array, Tracer, bool, int, float, complex, np.ndarray, np.generic, list, tuple)


def _foreign(other: Any) -> bool:
    """True for a value of a user type that may implement the reflected operator
    itself; builtin non-numbers (str, None, dict, object...) are errors instead."""
    return type(other).__module__ != "builtins" and not hasattr(other, "__array__")


def _binary(name: str, reflected: bool = False) -> Callable[[Any, Any], Any]:
    """The operator for ufunc `name`: ``self <op> other`` (``other <op> self`` if
    `reflected`), NotImplemented for an operand type another class may handle."""
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
    op.__name__ = f"{'r' if reflected else ''}{name}"
    return op


def _unary(name: str) -> Callable[[Any], Any]:
    uf = UFUNCS[name]
    eager = uf.eager[True]

    def op(self: Any) -> Any:
        return eager(self) if _current.get() is _eval else uf.apply((self,), True)
    op.__name__ = name
    return op


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
    """``x.transpose(1, 0)``, ``x.transpose((1, 0))`` or ``x.transpose(None)``."""
    if len(axes) == 1 and (axes[0] is None or isinstance(axes[0], (tuple, list))):
        return _shape.transpose(self, axes[0] or None)
    return _shape.transpose(self, axes or None)


def _matrix_transpose(self: Any) -> Any:
    return _shape.swapaxes(self, -1, -2)


def _real(self: Any) -> Any:
    return P.real_p.bind(self) if dtypes.is_complex(aval_of(self).dtype) else self


def _imag(self: Any) -> Any:
    if dtypes.is_complex(aval_of(self).dtype):
        return P.imag_p.bind(self)
    return zeros_like(self)


def _round(self: Any, decimals: int = 0) -> Any:
    return round_(self, decimals)


class _AtIndexer:
    """``x.at[idx]``: functional updates (NumPy indices; a new array is returned)."""

    __slots__ = ("array",)

    def __init__(self, array: Any):
        self.array = array

    def __getitem__(self, idx: Any) -> Any:
        return IndexedUpdate(self.array, idx)


_namespace: ModuleType | None = None


def set_namespace(namespace: ModuleType) -> None:
    """What ``x.__array_namespace__()`` returns: funcgrad.numpy hands itself over at
    the end of its import (it imports this module first, so this one cannot import it)."""
    global _namespace
    _namespace = namespace


def _array_namespace(self: Any, api_version: Any = None) -> Any:
    return _namespace


class ArrayMethodImpls:
    """The function behind each method of ArrayMethods, under the name it calls
    (a namespace: never instantiated)."""

    add = _binary("add")
    radd = _binary("add", reflected=True)
    sub = _binary("subtract")
    rsub = _binary("subtract", reflected=True)
    mul = _binary("multiply")
    rmul = _binary("multiply", reflected=True)
    truediv = _binary("true_divide")
    rtruediv = _binary("true_divide", reflected=True)
    floordiv = _binary("floor_divide")
    rfloordiv = _binary("floor_divide", reflected=True)
    mod = _binary("remainder")
    rmod = _binary("remainder", reflected=True)
    pow = _pow
    rpow = _rpow
    matmul = _matmul
    rmatmul = _rmatmul
    and_ = _binary("bitwise_and")
    rand = _binary("bitwise_and", reflected=True)
    or_ = _binary("bitwise_or")
    ror = _binary("bitwise_or", reflected=True)
    xor = _binary("bitwise_xor")
    rxor = _binary("bitwise_xor", reflected=True)
    lshift = _binary("left_shift")
    rlshift = _binary("left_shift", reflected=True)
    rshift = _binary("right_shift")
    rrshift = _binary("right_shift", reflected=True)
    neg = _unary("negative")
    pos = _unary("positive")
    abs = _unary("absolute")
    invert = _unary("invert")
    eq = _binary("equal")
    ne = _binary("not_equal")
    lt = _binary("less")
    le = _binary("less_equal")
    gt = _binary("greater")
    ge = _binary("greater_equal")

    getitem = getitem
    at = _AtIndexer

    astype = _astype
    reshape = _reshape
    transpose = _transpose
    T = _shape.transpose
    mT = _matrix_transpose
    swapaxes = _shape.swapaxes
    squeeze = _shape.squeeze
    ravel = _shape.ravel
    clip = _shape.clip

    sum = _reductions.sum
    prod = _reductions.prod
    mean = _reductions.mean
    max = _reductions.max
    min = _reductions.min
    var = _reductions.var
    std = _reductions.std
    argmax = _reductions.argmax
    argmin = _reductions.argmin
    any = _reductions.any
    all = _reductions.all
    cumsum = _reductions.cumsum
    cumprod = _reductions.cumprod

    dot = _contract.dot
    conj = _unary("conjugate")
    real = _real
    imag = _imag
    round = _round
    array_namespace = _array_namespace


set_array_methods(ArrayMethodImpls)
