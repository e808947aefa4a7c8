"""`jit`: stage once per abstract signature, compile once, then dispatch fast.

A cached call does flatten, build key, look up, execute, unflatten and
nothing else (decision 7). Inside another transformation the staged Program
is bound as the `jit` call primitive, so grad/vmap treat it like any other
primitive and the result stays one compiled call.
"""
from __future__ import annotations

import functools
import inspect
import weakref
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from funcgrad import core, tree
from funcgrad.config import config
from funcgrad.array import Array
from funcgrad.core import ShapedArray, Tracer
from funcgrad.eager import placement, scalar_buffer
from funcgrad.ir import Program, structure_key
from funcgrad.primitives import jit_p
from transforms.staging import hoist_consts, hoist_literals, trace_to_program
from xla_backend import lowering, runtime

_current = core._current_trace
_scalar_aval = core._scalar_aval
_eval = core.eval_trace


class _Entry:
    """What a cached signature needs at call time: the PJRT execute method, result
    handlers, constants' buffers and how to rebuild the output pytree."""

    __slots__ = ("exe", "execute", "handlers", "const_bufs", "out_tree", "out_avals",
                 "single")

    def __init__(self, exe: runtime.Executable, const_bufs: list[Any], out_tree: tree.PyTreeDef,
                 out_avals: list[ShapedArray]):
        self.exe = exe
        self.execute = exe.loaded.execute_sharded
        self.handlers = exe.handlers
        self.const_bufs = const_bufs
        self.out_tree = out_tree
        self.out_avals = out_avals
        self.single = out_tree == _LEAF

    def run(self, bufs: list[Any]) -> Any:
        if self.const_bufs:
            bufs = self.const_bufs + bufs
        outs = self.execute(bufs).consume_with_handlers(self.handlers)
        if self.single:
            return Array(outs[0], self.out_avals[0])
        return self.out_tree.unflatten(
            [Array(b, av) for b, av in zip(outs, self.out_avals, strict=True)])


_LEAF = tree.LEAF


class _Staged:
    """A traced signature: its Program (for printing and compiling), the same
    program with constants hoisted to inputs (the `jit` call primitive's param:
    one object per signature, so caches keyed on it hit), and the constants."""

    __slots__ = ("program", "hoisted", "consts", "out_tree")

    def __init__(self, program: Program, consts: list[Any], out_tree: tree.PyTreeDef):
        self.program = program
        self.hoisted = hoist_consts(program)
        self.consts = consts
        self.out_tree = out_tree


def _buffer(x: Any, aval: ShapedArray, device: Any = None) -> Any:
    """A device buffer for an argument (on `device`; None: the default device)."""
    if type(x) is Array:
        return x._buf if device is None else runtime.copy_to_device(x._buf, device)
    if isinstance(x, Tracer):
        raise core.escaped_tracer_error(x)
    if aval.shape == ():   # a Python/NumPy scalar, or a Literal from funcgrad.numpy
        return scalar_buffer(np.asarray(getattr(x, "val", x), aval.dtype)[()], aval, device)
    return runtime.to_device(np.asarray(x, aval.dtype), device)


def _normalize_argnums(nums: int | Sequence[int], nargs: int | None, what: str) -> tuple[int, ...]:
    if isinstance(nums, int):
        nums = (nums,)
    out = []
    for n in nums:
        if nargs is not None and not -nargs <= n < nargs:
            raise ValueError(f"jit: {what}={n} is out of range for a function of {nargs} "
                             "positional parameters")
        out.append(n % nargs if (nargs is not None and n < 0) else n)
    return tuple(sorted(set(out)))


_all_jitted: weakref.WeakSet[Jitted] = weakref.WeakSet()


def _clear_all_caches() -> None:
    for j in list(_all_jitted):
        j.clear_cache()


config.on_change(_clear_all_caches)


class Jitted:
    """The callable `jit(f)` returns."""

    def __init__(self, fun: Callable[..., Any], static_argnums: int | Sequence[int] = (),
                 static_argnames: str | Sequence[str] = (),
                 donate_argnums: int | Sequence[int] = ()):
        if not callable(fun):
            raise TypeError(f"jit expects a callable, got {type(fun).__name__}")
        functools.update_wrapper(self, fun)
        self._fun = fun
        try:
            self._sig: inspect.Signature | None = inspect.signature(fun)
        except (TypeError, ValueError):
            self._sig = None
        params = list(self._sig.parameters.values()) if self._sig else []
        positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        varargs = any(p.kind == p.VAR_POSITIONAL for p in params)
        nargs = None if (self._sig is None or varargs) else len(positional)
        self._names = [p.name for p in positional]
        self._static_argnums = _normalize_argnums(static_argnums, nargs, "static_argnums")
        if isinstance(static_argnames, str):
            static_argnames = (static_argnames,)
        self._static_argnames = tuple(static_argnames)
        # a static argument may be given by position or by name: know both
        for n in self._static_argnames:
            if n in self._names and self._names.index(n) not in self._static_argnums:
                self._static_argnums += (self._names.index(n),)
        for i in self._static_argnums:
            if i < len(self._names) and self._names[i] not in self._static_argnames:
                self._static_argnames += (self._names[i],)
        self._donate_argnums = _normalize_argnums(donate_argnums, nargs, "donate_argnums")
        self._simple = not self._static_argnums and not self._static_argnames
        self._fast: dict[Any, _Entry] = {}
        self._entries: dict[Any, _Entry] = {}
        self._staged: dict[Any, _Staged] = {}
        self._name = getattr(fun, "__name__", "fn")
        _all_jitted.add(self)

    def clear_cache(self) -> None:
        """Forget traced programs and executables (the default float changed)."""
        self._fast.clear()
        self._entries.clear()
        self._staged.clear()

    # -- the hot path -------------------------------------------------------
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self._simple and not kwargs and _current.get() is _eval:
            key = []
            bufs = []
            for a in args:
                t = type(a)
                if t is Array:
                    key.append(a.aval)
                    bufs.append(a._buf)
                elif t is float or t is int:
                    aval = _scalar_aval(a)
                    key.append(aval)
                    bufs.append(scalar_buffer(a, aval))
                else:
                    break
            else:
                entry = self._fast.get(tuple(key))
                if entry is not None:
                    return entry.run(bufs)
        return self._call(args, kwargs)

    # -- everything else ----------------------------------------------------
    def _split(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, Any, Any]:
        statics = []
        dyn_args = []
        for i, a in enumerate(args):
            if i in self._static_argnums:
                statics.append((i, _hashable_static(a, f"argument {i}")))
            else:
                dyn_args.append(a)
        dyn_kwargs = {}
        for k, v in kwargs.items():
            if k in self._static_argnames:
                statics.append((k, _hashable_static(v, f"argument {k!r}")))
            else:
                dyn_kwargs[k] = v
        return tuple(statics), tuple(dyn_args), dyn_kwargs

    def _arg_names(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> list[str]:
        names = []
        for i, a in enumerate(args):
            base = self._names[i] if i < len(self._names) else f"args[{i}]"
            names.extend(base + p for p in tree.leaf_paths(a))
        for k, v in sorted(kwargs.items()):
            names.extend(k + p for p in tree.leaf_paths(v))
        return names

    def _stage(self, key: Any, statics: Any, dyn_args: tuple[Any, ...], dyn_kwargs: dict[str, Any],
               in_tree: tree.PyTreeDef, avals: list[ShapedArray]) -> _Staged:
        staged = self._staged.get(key)
        if staged is not None:
            return staged
        static_pos = {k: v for k, v in statics if isinstance(k, int)}
        static_kw = {k: v for k, v in statics if isinstance(k, str)}
        out_tree_box: list[tree.PyTreeDef] = []

        def flat_fun(*leaves: Any) -> list[Any]:
            a, kw = in_tree.unflatten(leaves)
            full, it = [], iter(a)
            for i in range(len(a) + len(static_pos)):
                full.append(static_pos[i] if i in static_pos else next(it))
            out = self._fun(*full, **kw, **static_kw)
            out_leaves, out_tree = tree.flatten(out)
            for o in out_leaves:
                if not core.is_array_like(o):
                    raise TypeError(f"jit-compiled function {self._name} returned a "
                                    f"{type(o).__name__}, which is not an array; return arrays, "
                                    "scalars or pytrees of them")
            out_tree_box.append(out_tree)
            return out_leaves

        program, consts = trace_to_program(flat_fun, avals, self._arg_names(dyn_args, dyn_kwargs),
                                           self._name)
        staged = _Staged(program, consts, out_tree_box[0])
        if not any(isinstance(c, Tracer) for c in consts):
            self._staged[key] = staged
        return staged

    def _signature(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        statics, dyn_args, dyn_kwargs = self._split(args, kwargs)
        leaves, in_tree = tree.flatten((dyn_args, dyn_kwargs))
        avals = [x.aval if type(x) is Array else core.get_aval(x) for x in leaves]
        key = (in_tree, tuple(avals), statics)
        return key, statics, dyn_args, dyn_kwargs, leaves, in_tree, avals

    def _call(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        key, statics, dyn_args, dyn_kwargs, leaves, in_tree, avals = self._signature(args, kwargs)
        if _current.get() is not _eval:
            staged = self._stage(key, statics, dyn_args, dyn_kwargs, in_tree, avals)
            outs = jit_p.bind(*staged.consts, *leaves, program=staged.hoisted, name=self._name)
            return staged.out_tree.unflatten(outs)
        device = placement(leaves)        # None on a single-device machine
        entry = self._entries.get((key, device))
        if entry is None:
            staged = self._stage(key, statics, dyn_args, dyn_kwargs, in_tree, avals)
            entry = self._compile(staged, device)
            self._entries[(key, device)] = entry
            if device is None and self._simple and not dyn_kwargs and all(
                    type(a) in (Array, float, int) for a in dyn_args):
                self._fast[tuple(avals)] = entry
        if device is None:
            return entry.run([x._buf if type(x) is Array else _buffer(x, a)
                              for x, a in zip(leaves, avals, strict=True)])
        return entry.run([_buffer(x, a, device) for x, a in zip(leaves, avals, strict=True)])

    def _compile(self, staged: _Staged, device: Any = None) -> _Entry:
        program = staged.program
        text = lowering.lower_program(program, self._name)
        out_avals = program.out_avals
        exe = runtime.compile_text(text, [(a.shape, a.dtype) for a in out_avals], device)
        const_bufs = [_buffer(c, core.get_aval(c), device) for c in staged.consts]
        return _Entry(exe, const_bufs, staged.out_tree, out_avals)

    # -- ahead of time --------------------------------------------------------
    def lower(self, *args: Any, **kwargs: Any) -> Lowered:
        key, statics, dyn_args, dyn_kwargs, leaves, in_tree, avals = self._signature(args, kwargs)
        staged = self._stage(key, statics, dyn_args, dyn_kwargs, in_tree, avals)
        return Lowered(self, staged, lowering.lower_program(staged.program, self._name))

    def trace(self, *args: Any, **kwargs: Any) -> Program:
        key, statics, dyn_args, dyn_kwargs, leaves, in_tree, avals = self._signature(args, kwargs)
        return self._stage(key, statics, dyn_args, dyn_kwargs, in_tree, avals).program

    def __get__(self, obj: Any, objtype: Any = None) -> Any:
        return self if obj is None else functools.partial(self, obj)

    def __repr__(self) -> str:
        return f"<jit-compiled function {self._name}>"


class Lowered:
    """`jit(f).lower(*args)`: the StableHLO text, ready to compile."""

    def __init__(self, jitted: Jitted, staged: _Staged, text: str):
        self._jitted = jitted
        self._staged = staged
        self._text = text

    def as_text(self) -> str:
        return self._text

    def compile(self) -> Compiled:
        return Compiled(self._jitted._compile(self._staged), self._staged)


class Compiled:
    """A compiled executable for one signature: call it with arguments of that signature."""

    def __init__(self, entry: _Entry, staged: _Staged):
        self._entry = entry
        self._in_avals = [v.aval for v in staged.program.invars]

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        leaves, _ = tree.flatten((args, kwargs))
        avals = [core.get_aval(x) for x in leaves]
        if [a.strong() for a in avals] != [a.strong() for a in self._in_avals]:
            raise TypeError("compiled function called with arguments "
                            f"{[a.str_short() for a in avals]}, but it was compiled for "
                            f"{[a.str_short() for a in self._in_avals]}")
        return self._entry.run([_buffer(x, a) for x, a in zip(leaves, avals, strict=True)])

    def memory_analysis(self) -> Any:
        return self._entry.exe.memory_stats()

    def as_text(self) -> str:
        return self._entry.exe.hlo_text()


def _hashable_static(x: Any, what: str) -> Any:
    try:
        hash(x)
    except TypeError:
        kind = "an Array" if isinstance(x, (Array, Tracer, np.ndarray)) else \
            f"a {type(x).__name__}"
        raise TypeError(f"jit: static {what} is {kind}, which is not hashable. Static "
                        "arguments key the compilation cache, so they must be hashable: pass "
                        "arrays as ordinary (traced) arguments, or convert lists to tuples."
                        ) from None
    return x


def jit(fun: Callable[..., Any] | None = None, *, static_argnums: int | Sequence[int] = (),
        static_argnames: str | Sequence[str] = (),
        donate_argnums: int | Sequence[int] = ()) -> Any:
    """Compile `fun` with XLA: traced once per abstract signature, then cached.

    Example::

        f = fg.jit(lambda x, w: fnp.tanh(x @ w).sum(axis=0))
        f(x, w)            # traces, lowers, compiles; later calls only execute
    """
    if fun is None:
        return functools.partial(jit, static_argnums=static_argnums,
                                 static_argnames=static_argnames, donate_argnums=donate_argnums)
    return Jitted(fun, static_argnums, static_argnames, donate_argnums)


def make_ir(fun: Callable[..., Any],
            static_argnums: int | Sequence[int] = ()) -> Callable[..., Program]:
    """``make_ir(f)(*args)``: the Program `f` stages to (JAX's make_jaxpr). A
    jitted `f` shows as one `jit` call equation holding its program."""
    @functools.wraps(fun)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return fun(*args, **kwargs)
    return Jitted(wrapper, static_argnums).trace


# ---------------------------------------------------------------------------
# Programs built at run time (eager transformations): compiled once per structure

_by_structure: dict[Any, _Entry] = {}


def compile_program(program: Program, device: Any = None) -> _Entry:
    """Compile `program` (inputs: its constvars, then its invars) as it is."""
    hoisted = hoist_consts(program)
    text = lowering.lower_program(hoisted, program.name)
    out_avals = hoisted.out_avals
    exe = runtime.compile_text(text, [(a.shape, a.dtype) for a in out_avals], device)
    return _Entry(exe, [], tree.PyTreeDef(list, None, (_LEAF,) * len(out_avals)), out_avals)


def run_compiled(entry: _Entry, args: Sequence[Any], device: Any = None) -> list[Any]:
    bufs = [_buffer(x, core.get_aval(x), device) for x in args]
    outs = entry.execute(bufs).consume_with_handlers(entry.handlers)
    return [Array(b, av) for b, av in zip(outs, entry.out_avals, strict=True)]


def run_program(program: Program, args: Sequence[Any]) -> list[Any]:
    """Run `program` on concrete `args` (its constvars' values, then its invars')
    as one compiled call.

    Eager transformations rebuild structurally identical Programs on every call;
    the executable is cached by `ir.structure_key`, with scalar literals hoisted
    to inputs so that new scalar values reuse it.
    """
    hoisted, lits = hoist_literals(hoist_consts(program))
    device = placement(args)
    key = (structure_key(hoisted), device)
    entry = _by_structure.get(key)
    if entry is None:
        entry = compile_program(hoisted, device)
        if len(_by_structure) > 512:
            _by_structure.clear()
        _by_structure[key] = entry
    return run_compiled(entry, [*args, *(lit.val for lit in lits)], device)


config.on_change(_by_structure.clear)
