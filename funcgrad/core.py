"""The vocabulary every interpreter shares: avals, primitives, traces, tracers.

There is no trace stack and no levels. One *current trace* lives in a
ContextVar and changes only through `set_trace`. A transformation makes a new
trace whose ``parent`` is the trace that was current, runs the user's function
under it, and runs its rules under the parent. A trace meeting a tracer of
another live trace treats it as a constant: it belongs to an enclosing
transformation (this is what keeps nested ``grad`` free of perturbation
confusion). A tracer whose trace has finished raises `EscapedTracerError`.

Invariants: `Primitive.bind` does nothing but ask the current trace; params
are hashable (tuples, never lists) because they key caches; this module knows
no interpreter.
"""
from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextvars import ContextVar
from typing import Any

import numpy as np

from funcgrad import dtypes
from funcgrad.config import LRUCache
from funcgrad.errors import ConcretizationError, EscapedTracerError, ShapeError


class ShapedArray:
    """The abstract value of an array: shape, dtype and whether its dtype is weak."""

    __slots__ = ("shape", "dtype", "weak_type", "_hash")

    def __init__(self, shape: tuple[int, ...], dtype: np.dtype, weak_type: bool = False):
        self.shape = shape
        self.dtype = dtype
        self.weak_type = weak_type
        self._hash = hash((shape, dtype, weak_type))

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    def __eq__(self, other: object) -> bool:
        return (type(other) is ShapedArray and self.shape == other.shape
                and self.dtype == other.dtype and self.weak_type == other.weak_type)

    def __hash__(self) -> int:
        return self._hash

    def update(self, shape: tuple[int, ...] | None = None, dtype: np.dtype | None = None,
               weak_type: bool | None = None) -> ShapedArray:
        return ShapedArray(self.shape if shape is None else shape,
                           self.dtype if dtype is None else dtype,
                           self.weak_type if weak_type is None else weak_type)

    def strong(self) -> ShapedArray:
        return self.update(weak_type=False) if self.weak_type else self

    def str_short(self) -> str:
        return f"{dtypes.short_name(self.dtype)}[{','.join(map(str, self.shape))}]"

    def __repr__(self) -> str:
        weak = ", weak" if self.weak_type else ""
        return f"ShapedArray({self.str_short()}{weak})"


# ---------------------------------------------------------------------------
# Primitives

AbstractEval = Callable[..., "ShapedArray | Sequence[ShapedArray]"]


class Primitive:
    """A named operation. Its one abstract-eval rule maps avals to avals."""

    __slots__ = ("name", "multiple_results", "_abstract_eval", "_aval_cache")

    def __init__(self, name: str, *, multiple_results: bool = False):
        self.name = name
        self.multiple_results = multiple_results
        self._abstract_eval: AbstractEval | None = None
        self._aval_cache = LRUCache("shape rules")

    def def_abstract_eval(self, rule: AbstractEval) -> AbstractEval:
        self._abstract_eval = rule
        return rule

    def abstract_eval(self, *avals: ShapedArray, **params: Any) -> list[ShapedArray]:
        """Output avals; memoised, since tracing asks the same question again and again
        (only successes are remembered: a failing rule raises every time)."""
        cache = self._aval_cache
        try:
            key = (avals, tuple(params.items()))
            hit = cache.get(key)
        except TypeError:      # an unhashable param: no memo
            key, hit = None, None
        if hit is not None:
            try:
                cache.move_to_end(key)
            except KeyError:    # evicted by another thread meanwhile
                pass
            return list(hit)
        assert self._abstract_eval is not None, f"primitive {self.name} has no shape rule"
        out = self._abstract_eval(*avals, **params)
        out = list(out) if self.multiple_results else [out]
        if key is not None:
            cache.put(key, out)
        return list(out)

    def bind(self, *args: Any, **params: Any) -> Any:
        outs = _current_trace.get().process_primitive(self, args, params)
        return outs if self.multiple_results else outs[0]

    def __repr__(self) -> str:
        return self.name


# ---------------------------------------------------------------------------
# Traces and tracers


class Trace:
    """An interpreter instance. Subclasses implement `process_primitive`."""

    __slots__ = ("parent", "alive", "__weakref__")
    kind = "trace"   # what users know it as, for error messages: "jit", "grad", ...

    def __init__(self, parent: Trace | None):
        self.parent = parent
        self.alive = True

    def process_primitive(self, prim: Primitive, args: Sequence[Any],
                          params: dict[str, Any]) -> list[Any]:
        raise NotImplementedError(type(self).__name__)

    def is_own(self, x: Any) -> bool:
        """True for this trace's tracers; raises for a tracer of a finished trace."""
        if isinstance(x, Tracer):
            t = x._trace
            if t is self:
                return True
            if not t.alive:
                raise escaped_tracer_error(x)
        return False


class EvalTrace(Trace):
    """The bottom trace: runs primitives on concrete arrays (set up by funcgrad.eager)."""

    __slots__ = ()
    kind = "eager"

    def process_primitive(self, prim: Primitive, args: Sequence[Any],
                          params: dict[str, Any]) -> list[Any]:
        return eval_impl(prim, args, params)


def _no_eval_impl(prim: Primitive, args: Sequence[Any], params: dict[str, Any]) -> list[Any]:
    raise RuntimeError("funcgrad.eager was not imported; import funcgrad")


eval_impl: Callable[[Primitive, Sequence[Any], dict[str, Any]], list[Any]] = _no_eval_impl

eval_trace = EvalTrace(None)
_current_trace: ContextVar[Trace] = ContextVar("funcgrad_current_trace", default=eval_trace)


def current_trace() -> Trace:
    return _current_trace.get()


class set_trace:
    """``with set_trace(t):`` makes `t` the current trace (a class, not a generator:
    rules enter it once per primitive, so it must be cheap)."""

    __slots__ = ("trace", "token")

    def __init__(self, trace: Trace):
        self.trace = trace

    def __enter__(self) -> Trace:
        self.token = _current_trace.set(self.trace)
        return self.trace

    def __exit__(self, *exc: object) -> None:
        _current_trace.reset(self.token)


class new_trace(set_trace):
    """Make `trace` current for a transformation's extent, and end it afterwards."""

    __slots__ = ()

    def __exit__(self, *exc: object) -> None:
        _current_trace.reset(self.token)
        self.trace.alive = False


class Tracer:
    """A value standing for an array inside a transformation.

    Array-like methods and operators are installed by funcgrad.numpy, which
    also installs them on `Array`, so both behave the same.
    """

    __slots__ = ("_trace",)
    __array_priority__ = 1000

    @property
    def aval(self) -> ShapedArray:
        raise NotImplementedError

    shape = property(lambda self: self.aval.shape)
    dtype = property(lambda self: self.aval.dtype)
    ndim = property(lambda self: self.aval.ndim)
    size = property(lambda self: self.aval.size)
    weak_type = property(lambda self: self.aval.weak_type)

    def __len__(self) -> int:
        if not self.aval.shape:
            raise TypeError("len() of unsized object (a 0-d traced array)")
        return self.aval.shape[0]

    def __iter__(self) -> Iterator[Any]:
        if not self.aval.shape:
            raise TypeError("iteration over a 0-d traced array")
        return (self[i] for i in range(self.aval.shape[0]))

    # Python needs a concrete value for these.
    def concrete_value(self) -> Any:
        """The concrete value behind this tracer, or None where there is none."""
        return None

    def _concretize(self, what: str) -> Any:
        value = self.concrete_value()
        if value is None:
            raise concretization_error(self, what)
        return value

    def __bool__(self) -> bool:
        return bool(self._concretize("bool()"))

    def __int__(self) -> int:
        return int(self._concretize("int()"))

    def __float__(self) -> float:
        return float(self._concretize("float()"))

    def __complex__(self) -> complex:
        return complex(self._concretize("complex()"))

    def __index__(self) -> int:
        return int(self._concretize("use as an index (__index__)"))

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return np.asarray(self._concretize("conversion to a NumPy array"), dtype=dtype)

    def item(self) -> Any:
        return self._concretize(".item()").item()

    def tolist(self) -> Any:
        return self._concretize(".tolist()").tolist()

    def __setitem__(self, idx: Any, value: Any) -> None:
        raise TypeError(immutable_message(type(self).__name__))

    __hash__ = None  # type: ignore[assignment]  # like NumPy arrays: unhashable

    def __repr__(self) -> str:
        return f"Traced<{self.aval.str_short()}>({self._trace.kind})"

    # Hook for rules that explain where a traced value came from.
    def describe_origin(self) -> str:
        return ""


def immutable_message(typename: str) -> str:
    return (f"'{typename}' objects are immutable: funcgrad arrays cannot be written in place. "
            "Instead of x[idx] = v write x = x.at[idx].set(v), which returns the updated array.")


def concretization_error(tracer: Tracer, what: str) -> ConcretizationError:
    origin = tracer.describe_origin()
    origin = f" {origin}" if origin else ""
    return ConcretizationError(
        f"{what} needs a concrete value, but got a traced array {tracer.aval.str_short()} "
        f"inside {tracer._trace.kind}.{origin}\n"
        f"At {user_source_line()}.\n"
        "Python control flow cannot depend on traced values. Use funcgrad.lax.cond / "
        "lax.switch / lax.while_loop (or fnp.where) for value-dependent control flow, "
        "or mark the argument static with jit(..., static_argnums=...) / static_argnames.")


def escaped_tracer_error(tracer: Tracer) -> EscapedTracerError:
    return EscapedTracerError(
        f"A traced array {tracer.aval.str_short()} from a {tracer._trace.kind} transformation "
        "that has already finished was used. A value computed inside a transformed "
        "function escaped it (through a global, an attribute or a closure). "
        "Return the value from the transformed function instead.")


# ---------------------------------------------------------------------------
# Avals of concrete values

_aval_handlers: dict[type, Callable[[Any], ShapedArray]] = {}


def _scalar_aval(x: Any) -> ShapedArray:
    dt = dtypes.python_scalar_dtype(x)
    if dt == dtypes.int64 and not (-(2**63) <= x < 2**63):
        raise OverflowError(f"Python int {x} does not fit in int64")
    return ShapedArray((), dt, True)


def _numpy_aval(x: Any) -> ShapedArray:
    return ShapedArray(tuple(x.shape), dtypes.canonicalize(x.dtype), False)


for _t in (bool, int, float, complex):
    _aval_handlers[_t] = _scalar_aval
for _t in (np.ndarray, *{type(np.dtype(d).type(0)) for d in dtypes.SUPPORTED}):
    _aval_handlers[_t] = _numpy_aval


def register_aval_handler(t: type, handler: Callable[[Any], ShapedArray]) -> None:
    _aval_handlers[t] = handler


def get_aval(x: Any) -> ShapedArray:
    h = _aval_handlers.get(type(x))
    if h is not None:
        return h(x)
    if isinstance(x, Tracer):
        return x.aval
    for base in type(x).__mro__[1:]:
        h = _aval_handlers.get(base)
        if h is not None:
            return h(x)
    if hasattr(x, "__array__") or hasattr(x, "__dlpack__"):
        return _numpy_aval(np.asarray(x))
    raise TypeError(f"{type(x).__name__} {x!r:.60} is not a valid funcgrad value: pass an "
                    "array, a NumPy array or a Python scalar")


def is_array_like(x: Any) -> bool:
    return isinstance(x, Tracer) or type(x) in _aval_handlers or isinstance(x, np.ndarray)


# ---------------------------------------------------------------------------
# Where the user is: the first frame outside funcgrad's own packages.

_LIB_DIRS = tuple(os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep + p + os.sep
                  for p in ("funcgrad", "transforms", "xla_backend"))
_is_lib_file: dict[str, bool] = {}


def _lib(filename: str) -> bool:
    r = _is_lib_file.get(filename)
    if r is None:
        r = _is_lib_file[filename] = (filename.startswith(_LIB_DIRS)
                                      or filename.endswith(os.sep + "contextlib.py"))
    return r


def user_frame() -> Any:
    f = sys._getframe(1)
    while f is not None and _lib(f.f_code.co_filename):
        f = f.f_back
    return f


def user_source_line() -> str:
    f = user_frame()
    if f is None:
        return "<unknown>"
    return f"{f.f_code.co_filename}:{f.f_lineno} ({f.f_code.co_name})"


def shape_error(prim: str, msg: str) -> ShapeError:
    return ShapeError(f"{prim}: {msg}\nAt {user_source_line()}.")
