"""The vocabulary every interpreter shares: avals, primitives, traces, tracers.

There is no trace stack and no levels. One *current trace* lives in a
ContextVar and changes only through `set_trace`. A transformation makes a new
trace whose ``parent`` is the trace that was current, runs the user's function
under it, and runs its rules under the parent. A trace meeting a tracer of
another live trace treats it as a constant: it belongs to an enclosing
transformation (this is what keeps nested ``grad`` free of perturbation
confusion). A tracer whose trace has finished raises `EscapedTracerError`.

`Tracer` and funcgrad.array.Array share one body of operators and NumPy-like
methods, `ArrayMethods`.

This module imports no interpreter, nothing of XLA and not funcgrad.numpy.
What it needs from them is given to it once, at import, by a named call:
the bottom trace's executor (`EvalTrace.set_executor`, which
funcgrad/__init__.py calls with funcgrad.eager.apply_primitive) and the
functions behind `ArrayMethods` (`set_array_methods`, which
funcgrad.numpy._methods calls).

The *axis environment* (`extend_axis_env`, `axis_size`, `axis_frames`) is
the stack of named axes in scope: ``vmap(f, axis_name="i")`` pushes a frame
("i", batch size) while it traces `f`, shard_map pushes one frame per mesh
axis, and collectives (psum, all_gather, axis_index, ...) look their axis
names up in it when they are bound. Like the current trace it lives in a
ContextVar, so it is local to a thread or task.

Invariants: `Primitive.bind` does nothing but ask the current trace (a
collective first checks its axis names against the axis environment); params
are hashable (tuples, never lists) because they key caches.
"""
from __future__ import annotations

import os
import sys
import math
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from contextvars import ContextVar, Token
from typing import Any, NamedTuple, cast

import numpy as np

from funcgrad import dtypes
from funcgrad.config import LRUCache
from funcgrad.errors import ConcretizationError, EscapedTracerError, ShapeError, UnboundAxisError


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
        result = self._abstract_eval(*avals, **params)
        out = (list(cast(Sequence[ShapedArray], result)) if self.multiple_results
               else [cast(ShapedArray, result)])
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


Executor = Callable[[Primitive, Sequence[Any], dict[str, Any]], list[Any]]


class EvalTrace(Trace):
    """The bottom trace: runs each primitive on concrete values.

    This module knows no executor (it imports nothing of XLA), so the function
    that runs one primitive is given to the one instance, `eval_trace`, by
    `set_executor`: funcgrad/__init__.py gives it funcgrad.eager.apply_primitive
    when the package is imported."""

    __slots__ = ("_executor",)
    kind = "eager"

    def __init__(self) -> None:
        super().__init__(None)
        self._executor: Executor = _no_executor

    def set_executor(self, executor: Executor) -> None:
        """Make `executor` run every primitive bound outside all transformations."""
        self._executor = executor

    def process_primitive(self, prim: Primitive, args: Sequence[Any],
                          params: dict[str, Any]) -> list[Any]:
        return self._executor(prim, args, params)


def _no_executor(prim: Primitive, args: Sequence[Any], params: dict[str, Any]) -> list[Any]:
    raise RuntimeError(f"cannot run {prim.name}: no executor is installed; import funcgrad")


eval_trace = EvalTrace()
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


# ---------------------------------------------------------------------------
# Named axes in scope: the axis environment


class AxisFrame(NamedTuple):
    """One named axis in scope: its name (any hashable but None) and its size."""
    name: Hashable
    size: int


_axis_env: ContextVar[tuple[AxisFrame, ...]] = ContextVar("funcgrad_axis_env", default=())


def axis_frames() -> tuple[AxisFrame, ...]:
    """The named axes in scope, outermost first (hashable: it may key caches)."""
    return _axis_env.get()


def axis_names_in_scope() -> tuple[Hashable, ...]:
    """The names of the axes in scope, outermost first (a shadowed name shows once)."""
    return tuple(dict.fromkeys(f.name for f in _axis_env.get()))


class extend_axis_env:
    """``with extend_axis_env([(name, size), ...]):`` binds the named axes for the
    block (pushed together, popped on exit; a name already in scope is shadowed
    by the new frame until then).

    vmap(axis_name=...) pushes its one axis while it traces the function;
    shard_map pushes one frame per mesh axis, ``zip(mesh.axis_names,
    mesh.axis_sizes)``, while it traces its body, and again wherever a rule re-binds
    that body's equations (JVP, transpose, batching of the body), since each
    collective checks its names when it is bound."""

    __slots__ = ("frames", "token")

    def __init__(self, frames: Iterable[tuple[Hashable, int]]):
        checked = []
        for name, size in frames:
            if name is None:
                raise TypeError("an axis name cannot be None")
            try:
                hash(name)
            except TypeError:
                raise TypeError(f"axis names must be hashable, got {name!r:.60}") from None
            if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 0:
                raise TypeError(f"the size of axis {name!r} must be a non-negative int, "
                                f"got {size!r}")
            checked.append(AxisFrame(name, int(size)))
        self.frames = tuple(checked)

    def __enter__(self) -> tuple[AxisFrame, ...]:
        self.token: Token[tuple[AxisFrame, ...]] = _axis_env.set(_axis_env.get() + self.frames)
        return self.frames

    def __exit__(self, *exc: object) -> None:
        _axis_env.reset(self.token)


def unbound_axis_error(name: Hashable, what: str = "") -> UnboundAxisError:
    names = axis_names_in_scope()
    scope = (f"the axis names in scope are {names!r}" if names
             else "there are no axis names in scope")
    prefix = f"{what}: " if what else ""
    return UnboundAxisError(
        f"{prefix}unbound axis name {name!r}: {scope} — name an axis bound by "
        f"vmap(axis_name=...) or shard_map's mesh.\nAt {user_source_line()}.")


def axis_size(name: Hashable, what: str = "") -> int:
    """The size of the named axis in scope (the innermost of that name); for a
    tuple of names, the product of their sizes. An unbound name raises
    `UnboundAxisError` (a NameError) listing the names in scope; `what` (the
    operation asking, e.g. "psum") starts the message."""
    if isinstance(name, tuple):
        return math.prod(axis_size(n, what) for n in name)
    for frame in reversed(_axis_env.get()):
        if frame.name == name:
            return frame.size
    raise unbound_axis_error(name, what)


# ---------------------------------------------------------------------------
# Operators and NumPy-like methods: one class body for Tracer and funcgrad.array.Array


def set_array_methods(ops: Any) -> None:
    """Give `ArrayMethods` its implementations: `ops` has one function per method,
    under the names `ArrayMethods` calls (``ops.add(x, y)`` for ``x + y``).

    They are written with funcgrad.numpy, which imports this module, so they
    cannot be imported here: funcgrad.numpy._methods calls this once, at the
    end of its import (funcgrad.numpy imports it first). A method called
    before that raises a RuntimeError saying so."""
    global _ops
    _ops = ops


class _NoArrayMethods:
    def __getattr__(self, name: str) -> Any:
        raise RuntimeError("array methods are not installed yet: import funcgrad")


_ops: Any = _NoArrayMethods()


class ArrayMethods:
    """Operators and NumPy-like methods, one body for `Array` and every `Tracer`:
    code behaves the same inside and outside transformations.

    Each method hands its operands to the implementation funcgrad.numpy gives
    (`set_array_methods`). An operator returns NotImplemented for an operand of
    a type it does not know, so that the other operand's reflected operator
    runs; ``__array_ufunc__ = None`` makes NumPy defer to these reflected
    operators too (``np_array + x`` runs ``x.__radd__``). Methods that take
    NumPy's parameters (``x.sum(axis=0)``) take those of the funcgrad.numpy
    function of the same name.
    """

    __slots__ = ()
    __array_ufunc__ = None

    aval: Any   # the abstract value, a core.ShapedArray: an Array holds it, a Tracer computes it

    shape = property(lambda self: self.aval.shape)
    dtype = property(lambda self: self.aval.dtype)
    ndim = property(lambda self: self.aval.ndim)
    size = property(lambda self: self.aval.size)
    weak_type = property(lambda self: self.aval.weak_type)

    # arithmetic: Python scalars stay weak (``f32_array * 2.0`` is float32), as in NumPy 2
    def __add__(self, other: Any) -> Any:
        return _ops.add(self, other)

    def __radd__(self, other: Any) -> Any:
        return _ops.radd(self, other)

    def __sub__(self, other: Any) -> Any:
        return _ops.sub(self, other)

    def __rsub__(self, other: Any) -> Any:
        return _ops.rsub(self, other)

    def __mul__(self, other: Any) -> Any:
        return _ops.mul(self, other)

    def __rmul__(self, other: Any) -> Any:
        return _ops.rmul(self, other)

    def __truediv__(self, other: Any) -> Any:
        return _ops.truediv(self, other)

    def __rtruediv__(self, other: Any) -> Any:
        return _ops.rtruediv(self, other)

    def __floordiv__(self, other: Any) -> Any:
        return _ops.floordiv(self, other)

    def __rfloordiv__(self, other: Any) -> Any:
        return _ops.rfloordiv(self, other)

    def __mod__(self, other: Any) -> Any:
        return _ops.mod(self, other)

    def __rmod__(self, other: Any) -> Any:
        return _ops.rmod(self, other)

    def __pow__(self, other: Any) -> Any:
        return _ops.pow(self, other)

    def __rpow__(self, other: Any) -> Any:
        return _ops.rpow(self, other)

    def __matmul__(self, other: Any) -> Any:
        return _ops.matmul(self, other)

    def __rmatmul__(self, other: Any) -> Any:
        return _ops.rmatmul(self, other)

    def __and__(self, other: Any) -> Any:
        return _ops.and_(self, other)

    def __rand__(self, other: Any) -> Any:
        return _ops.rand(self, other)

    def __or__(self, other: Any) -> Any:
        return _ops.or_(self, other)

    def __ror__(self, other: Any) -> Any:
        return _ops.ror(self, other)

    def __xor__(self, other: Any) -> Any:
        return _ops.xor(self, other)

    def __rxor__(self, other: Any) -> Any:
        return _ops.rxor(self, other)

    def __lshift__(self, other: Any) -> Any:
        return _ops.lshift(self, other)

    def __rlshift__(self, other: Any) -> Any:
        return _ops.rlshift(self, other)

    def __rshift__(self, other: Any) -> Any:
        return _ops.rshift(self, other)

    def __rrshift__(self, other: Any) -> Any:
        return _ops.rrshift(self, other)

    def __neg__(self) -> Any:
        return _ops.neg(self)

    def __pos__(self) -> Any:
        return _ops.pos(self)

    def __abs__(self) -> Any:
        return _ops.abs(self)

    def __invert__(self) -> Any:
        return _ops.invert(self)

    # comparisons are elementwise, as in NumPy (so neither class is hashable)
    def __eq__(self, other: Any) -> Any:
        return _ops.eq(self, other)

    def __ne__(self, other: Any) -> Any:
        return _ops.ne(self, other)

    def __lt__(self, other: Any) -> Any:
        return _ops.lt(self, other)

    def __le__(self, other: Any) -> Any:
        return _ops.le(self, other)

    def __gt__(self, other: Any) -> Any:
        return _ops.gt(self, other)

    def __ge__(self, other: Any) -> Any:
        return _ops.ge(self, other)

    __hash__ = None  # type: ignore[assignment]

    # indexing: x[idx] reads; x.at[idx].set(v) and friends return an updated copy
    def __getitem__(self, idx: Any) -> Any:
        return _ops.getitem(self, idx)

    @property
    def at(self) -> Any:
        return _ops.at(self)

    # shape and type
    def astype(self, dtype: Any, copy: bool = True) -> Any:
        return _ops.astype(self, dtype, copy)

    def reshape(self, *shape: Any, order: str = "C") -> Any:
        return _ops.reshape(self, *shape, order=order)

    def transpose(self, *axes: Any) -> Any:
        return _ops.transpose(self, *axes)

    @property
    def T(self) -> Any:
        return _ops.T(self)

    @property
    def mT(self) -> Any:
        return _ops.mT(self)

    def swapaxes(self, *args: Any, **kwargs: Any) -> Any:
        return _ops.swapaxes(self, *args, **kwargs)

    def squeeze(self, *args: Any, **kwargs: Any) -> Any:
        return _ops.squeeze(self, *args, **kwargs)

    def flatten(self, *args: Any, **kwargs: Any) -> Any:
        return _ops.ravel(self, *args, **kwargs)

    def ravel(self, *args: Any, **kwargs: Any) -> Any:
        return _ops.ravel(self, *args, **kwargs)

    def clip(self, *args: Any, **kwargs: Any) -> Any:
        return _ops.clip(self, *args, **kwargs)

    # reductions
    def sum(self, *args: Any, **kwargs: Any) -> Any:
        return _ops.sum(self, *args, **kwargs)

    def prod(self, *args: Any, **kwargs: Any) -> Any:
        return _ops.prod(self, *args, **kwargs)

    def mean(self, *args: Any, **kwargs: Any) -> Any:
        return _ops.mean(self, *args, **kwargs)

    def max(self, *args: Any, **kwargs: Any) -> Any:
        return _ops.max(self, *args, **kwargs)

    def min(self, *args: Any, **kwargs: Any) -> Any:
        return _ops.min(self, *args, **kwargs)

    def var(self, *args: Any, **kwargs: Any) -> Any:
        return _ops.var(self, *args, **kwargs)

    def std(self, *args: Any, **kwargs: Any) -> Any:
        return _ops.std(self, *args, **kwargs)

    def argmax(self, *args: Any, **kwargs: Any) -> Any:
        return _ops.argmax(self, *args, **kwargs)

    def argmin(self, *args: Any, **kwargs: Any) -> Any:
        return _ops.argmin(self, *args, **kwargs)

    def any(self, *args: Any, **kwargs: Any) -> Any:
        return _ops.any(self, *args, **kwargs)

    def all(self, *args: Any, **kwargs: Any) -> Any:
        return _ops.all(self, *args, **kwargs)

    def cumsum(self, *args: Any, **kwargs: Any) -> Any:
        return _ops.cumsum(self, *args, **kwargs)

    def cumprod(self, *args: Any, **kwargs: Any) -> Any:
        return _ops.cumprod(self, *args, **kwargs)

    # other math
    def dot(self, other: Any) -> Any:
        return _ops.dot(self, other)

    def conj(self) -> Any:
        return _ops.conj(self)

    def conjugate(self) -> Any:
        return _ops.conj(self)

    @property
    def real(self) -> Any:
        return _ops.real(self)

    @property
    def imag(self) -> Any:
        return _ops.imag(self)

    def round(self, decimals: int = 0) -> Any:
        return _ops.round(self, decimals)

    def __array_namespace__(self, api_version: Any = None) -> Any:
        return _ops.array_namespace(self, api_version)


class Tracer(ArrayMethods):
    """A value standing for an array inside a transformation. Its operators and
    NumPy-like methods are `ArrayMethods`, the same as `Array`'s; subclasses
    give `aval`.
    """

    __slots__ = ("_trace",)
    __array_priority__ = 1000
    _trace: Trace

    @property
    def aval(self) -> ShapedArray:
        raise NotImplementedError

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

    __hash__ = None  # like NumPy arrays: unhashable (ArrayMethods.__eq__ is elementwise)

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


for _scalar_type in (bool, int, float, complex):
    _aval_handlers[_scalar_type] = _scalar_aval
_array_types: tuple[type, ...] = (np.ndarray,
                                  *{type(np.dtype(d).type(0)) for d in dtypes.SUPPORTED})
for _array_type in _array_types:
    _aval_handlers[_array_type] = _numpy_aval


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
    f: Any = sys._getframe(1)
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
