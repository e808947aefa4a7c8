"""`jit`: stage once per abstract signature, compile once, then dispatch fast.

A cached call does flatten, build key, look up, execute, unflatten and
nothing else (decision 7). Each jitted function keeps its own bounded caches
of traced Programs and of compiled signatures (`dispatch.Entry`); compiling
and running go through funcgrad.dispatch, the one execution path. Inside
another transformation the staged Program is bound as the `jit` call
primitive, so grad/vmap treat it like any other primitive and the result
stays one compiled call. Under ``fg.disable_jit()`` a jitted function is its
Python function again, run op by op.
"""
from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from funcgrad import core, dispatch, dtypes, persistent, tree
from funcgrad.array import Array
from funcgrad.config import LRUCache
from funcgrad.config import config as _config
from funcgrad.config import jit_disabled, jit_disabled_here
from funcgrad.core import ShapedArray, Tracer
from funcgrad.dispatch import Entry, Partitioned, Placement, placement, scalar_argument
# dispatch's helpers for Programs built at run time, under the names eager autodiff imports
from funcgrad.dispatch import compile_program, run_compiled, run_program
from funcgrad.ir import Program
from funcgrad.primitives import jit_p, sharding_constraint_p
from funcgrad.recompiles import Signature, TraceHistory, timed
from funcgrad.sharding import NamedSharding, Sharding, SingleDeviceSharding
from funcgrad.transforms.staging import hoist_consts, trace_to_program

__all__ = ["Compiled", "Jitted", "Lowered", "compile_program", "jit", "make_ir", "run_compiled",
           "run_program"]

_current = core._current_trace
_scalar_aval = core._scalar_aval
_eval = core.eval_trace
_FAST_TYPES = (Array, float, int)


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


def _argnum_set(nums: int | Sequence[int], nargs: int | None, what: str) -> tuple[int, ...]:
    """The positions `nums` names (negative ones counted from the end when the
    number of positional parameters, `nargs`, is known), sorted, each once."""
    if isinstance(nums, int):
        nums = (nums,)
    out = []
    for n in nums:
        if nargs is not None and not -nargs <= n < nargs:
            raise ValueError(f"jit: {what}={n} is out of range for a function of {nargs} "
                             "positional parameters")
        out.append(n % nargs if (nargs is not None and n < 0) else n)
    return tuple(sorted(set(out)))


def _names_tuple(names: str | Sequence[str], what: str) -> tuple[str, ...]:
    if isinstance(names, str):
        return (names,)
    names = tuple(names)
    for n in names:
        if not isinstance(n, str):
            raise TypeError(f"jit: {what} takes parameter names (str), got {n!r}")
    return names


class Jitted:
    """The callable `jit(f)` returns.

    Its caches (traced programs, and executables per signature and device)
    are `LRUCache`s of at most ``config.cache_size`` entries each; the least
    recently used signature is dropped first. An executable compiled with
    donated inputs consumes their buffers when called eagerly; under another
    transformation donation is ignored (the call is part of a bigger program).
    """

    def __init__(self, fun: Callable[..., Any], static_argnums: int | Sequence[int] = (),
                 static_argnames: str | Sequence[str] = (),
                 donate_argnums: int | Sequence[int] = (),
                 donate_argnames: str | Sequence[str] = (),
                 in_shardings: Any = None, out_shardings: Any = None):
        if not callable(fun):
            raise TypeError(f"jit expects a callable, got {type(fun).__name__}")
        _check_shardings(in_shardings, "in_shardings")
        _check_shardings(out_shardings, "out_shardings")
        self._in_shardings = in_shardings
        self._out_shardings = out_shardings
        self._sharded = in_shardings is not None or out_shardings is not None
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
        self._static_argnums, self._static_argnames = self._both_ways(
            _argnum_set(static_argnums, nargs, "static_argnums"),
            _names_tuple(static_argnames, "static_argnames"))
        self._donate_argnums, self._donate_argnames = self._both_ways(
            _argnum_set(donate_argnums, nargs, "donate_argnums"),
            _names_tuple(donate_argnames, "donate_argnames"))
        both = (set(self._static_argnums) & set(self._donate_argnums)) | \
            (set(self._static_argnames) & set(self._donate_argnames))
        if both:
            raise ValueError(f"jit: argument(s) {sorted(map(str, both))} are both static and "
                             "donated; a static argument is a Python value with no buffer to "
                             "donate: drop it from donate_argnums/donate_argnames")
        self._donating = bool(self._donate_argnums or self._donate_argnames)
        self._simple = not (self._static_argnums or self._static_argnames or self._donating
                            or self._sharded)
        self._entries = LRUCache("jit executables", executable_of=dispatch.executable_of)
        self._staged = LRUCache("jit programs")
        # funcgrad's own jitted helpers are retraced per shape by design: not explained
        # unless explain_recompiles is True
        self._history = TraceHistory(
            auto=not (getattr(fun, "__module__", None) or "").startswith("funcgrad."))
        self._get = self._entries.get
        self._touch = self._entries.move_to_end
        self._name = getattr(fun, "__name__", "fn")

    def _both_ways(self, nums: tuple[int, ...],
                   names: tuple[str, ...]) -> tuple[tuple[int, ...], tuple[str, ...]]:
        """An argument may be given by position or by name: know it both ways."""
        for n in names:
            if n in self._names and self._names.index(n) not in nums:
                nums += (self._names.index(n),)
        for i in nums:
            if i < len(self._names) and self._names[i] not in names:
                names += (self._names[i],)
        return tuple(sorted(nums)), names

    def clear_cache(self) -> None:
        """Forget this function's traced programs and executables."""
        self._entries.clear()
        self._staged.clear()

    def _cache_size(self) -> int:
        """How many executables this function keeps (one per signature and device)."""
        return len(self._entries)

    # -- the hot path -------------------------------------------------------
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if (self._simple and not kwargs and _current.get() is _eval
                and jit_disabled_here.get() is None and not _config.disable_jit):
            key = []
            bufs = []
            for a in args:
                t = type(a)
                if t is Array:
                    sh = a._sh
                    # one device: its aval; split over a mesh: aval and sharding
                    key.append(a.aval if sh is None else (a.aval, sh))
                    bufs.append(a._buf)
                elif t is float or t is int:
                    aval = _scalar_aval(a)
                    key.append(aval)
                    bufs.append(scalar_argument(a, aval))
                else:
                    break
            else:
                entry = self._get(tuple(key))
                if entry is not None:
                    try:
                        self._touch(entry.key)
                    except KeyError:    # evicted by another thread just now; still valid
                        pass
                    return entry.run(bufs)
        return self._call(args, kwargs)

    # -- everything else ----------------------------------------------------
    def _split(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, Any, Any]:
        statics: list[tuple[int | str, Any]] = []
        dyn_args = []
        for i, a in enumerate(args):
            if i in self._static_argnums:
                statics.append((i, _checked_static(a, f"argument {i}")))
            else:
                dyn_args.append(a)
        dyn_kwargs = {}
        for k, v in kwargs.items():
            if k in self._static_argnames:
                statics.append((k, _checked_static(v, f"argument {k!r}")))
            else:
                dyn_kwargs[k] = v
        return tuple(statics), tuple(dyn_args), dyn_kwargs

    def _arg_names(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> list[str]:
        names: list[str] = []
        for i, a in enumerate(args):
            base = self._names[i] if i < len(self._names) else f"args[{i}]"
            names.extend(base + p for p in tree.leaf_paths(a))
        for k, v in sorted(kwargs.items()):
            names.extend(k + p for p in tree.leaf_paths(v))
        return names

    def _stage(self, key: Any, statics: Any, dyn_args: tuple[Any, ...], dyn_kwargs: dict[str, Any],
               in_tree: tree.PyTreeDef, avals: list[ShapedArray]) -> _Staged:
        # a program traced with named axes in scope (under vmap(axis_name=) or
        # shard_map) may hold collectives over them: it is only valid there
        key = (key, core.axis_frames())
        staged = self._staged.lookup(key)
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

        names = self._arg_names(dyn_args, dyn_kwargs)
        with timed("tracing", self._name):
            program, consts = trace_to_program(flat_fun, avals, names, self._name)
        staged = _Staged(program, consts, out_tree_box[0])
        # one that closes over another transformation's values is traced per call, by design
        if not any(isinstance(c, Tracer) for c in consts):
            shown = [(self._names[k] if type(k) is int and k < len(self._names) else k, v)
                     for k, v in statics]
            self._history.record(self._name, Signature(in_tree, avals, shown, names, key[1]))
            staged = self._staged.put(key, staged)
        return staged

    def _signature(self, args: tuple[Any, ...], kwargs: dict[str, Any],
                   abstract: bool = False) -> Any:
        """The cache key and its parts; `abstract` (lowering) also takes anything
        with a shape and a dtype (a ShapeDtypeStruct) for an array."""
        statics, dyn_args, dyn_kwargs = self._split(args, kwargs)
        leaves, in_tree = tree.flatten((dyn_args, dyn_kwargs))
        try:
            avals = [x.aval if type(x) is Array else core.get_aval(x) for x in leaves]
        except TypeError:
            avals = [_abstract_aval(x, abstract, self._name) for x in leaves]
        key = (in_tree, tuple(avals), statics)
        return key, statics, dyn_args, dyn_kwargs, leaves, in_tree, avals

    def _donated(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[int, ...]:
        """Indices of the donated argument leaves, in the order `_signature` flattens them."""
        if not self._donating:
            return ()
        out: list[int] = []
        n = 0
        for i, a in enumerate(args):
            if i in self._static_argnums:
                continue
            k = len(tree.leaves(a))
            if i in self._donate_argnums:
                out.extend(range(n, n + k))
            n += k
        for name in sorted(kwargs):           # dicts flatten in sorted key order
            if name in self._static_argnames:
                continue
            k = len(tree.leaves(kwargs[name]))
            if name in self._donate_argnames:
                out.extend(range(n, n + k))
            n += k
        return tuple(out)

    def _call(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if jit_disabled():      # fg.disable_jit(): the Python function, op by op
            return self._fun(*args, **kwargs)
        key, statics, dyn_args, dyn_kwargs, leaves, in_tree, avals = self._signature(args, kwargs)
        if _current.get() is not _eval:
            staged = self._stage(key, statics, dyn_args, dyn_kwargs, in_tree, avals)
            if self._in_shardings is not None:     # inside a transformation: constraints
                leaves = _constrained(leaves, self._given_in(dyn_args, leaves, avals))
            outs = jit_p.bind(*staged.consts, *leaves, program=staged.hoisted, name=self._name)
            if self._out_shardings is not None:
                outs = _constrained(outs, self._given_out(staged))
            return staged.out_tree.unflatten(outs)
        device = self._placement(dyn_args, leaves, avals)
        # the hot path's key where it applies, so that one cache serves both paths
        ckey = self._hot_key(dyn_args, dyn_kwargs, avals, device)
        fast = ckey is not None
        if ckey is None:
            ckey = (key, device)
        entry = self._entries.lookup(ckey)
        if entry is None and fast:     # one that moves its inputs is never on the hot path
            entry = self._entries.lookup((key, device))
        if entry is None:
            dispatch.check_alive(leaves)
            # traced before, by this process or another: the program kept on disk
            compiled = persistent.compiled(self, key, device, self._donated(args, kwargs),
                                           (statics, dyn_args, dyn_kwargs, in_tree, avals))
            if compiled.moves_inputs:
                ckey = (key, device)
            entry = self._entries.put(ckey, compiled)
            if entry.key is None:
                entry.key = ckey
        return entry.call(leaves, avals)

    def _hot_key(self, dyn_args: tuple[Any, ...], dyn_kwargs: dict[str, Any],
                 avals: list[ShapedArray], device: Placement) -> tuple[Any, ...] | None:
        """The key `__call__` builds for these arguments, where its hot path applies:
        plain positional Arrays and scalars on the default device, or Arrays all
        split over one mesh (each keyed with its sharding, which is its input
        sharding); None elsewhere."""
        if not self._simple or dyn_kwargs:
            return None
        if device is None:
            if all(type(a) in _FAST_TYPES for a in dyn_args):
                return tuple(avals)
            return None
        if type(device) is Partitioned and all(
                type(a) is Array and type(a._sh) is NamedSharding for a in dyn_args):
            return tuple((a.aval, a._sh) for a in dyn_args)
        return None

    def _placement(self, dyn_args: tuple[Any, ...], leaves: list[Any],
                   avals: list[ShapedArray]) -> Placement:
        """Where a call runs: from the arguments' layouts, overridden by in_shardings
        (arguments laid out otherwise are moved before the call)."""
        if self._in_shardings is None:
            where = placement(leaves)
            if self._out_shardings is not None and type(where) is not Partitioned:
                mesh = _meshes_of(self._out_shardings)[0]
                where = dispatch.replicated_first(Partitioned(mesh, ()), len(leaves))
            return where
        given = self._given_in(dyn_args, leaves, avals)
        inferred = placement(leaves)
        mesh = _meshes_of(self._in_shardings)[0]
        if type(inferred) is Partitioned and inferred.mesh != mesh:
            raise ValueError(f"jit: in_shardings are over {mesh} but arguments are split over "
                             f"{inferred.mesh}; use one mesh")
        rep = dispatch.replicated_first(Partitioned(mesh, ()), 1).in_shardings[0]
        own = inferred.in_shardings if type(inferred) is Partitioned else (rep,) * len(leaves)
        return Partitioned(mesh, tuple(g if g is not None else o
                                       for g, o in zip(given, own, strict=True)))

    def _given_in(self, dyn_args: tuple[Any, ...], leaves: list[Any],
                  avals: list[ShapedArray]) -> list[Any]:
        """in_shardings, one per argument leaf (None: as the argument is), checked."""
        given = tree.broadcast_prefix(
            self._in_shardings if isinstance(self._in_shardings, Sharding)
            else tuple(self._in_shardings), dyn_args, _is_sharding_leaf, "jit: in_shardings",
            "the positional arguments")
        given += [None] * (len(leaves) - len(given))     # keyword arguments: as they come
        names = self._arg_names(dyn_args, {})
        for i, (sh, a) in enumerate(zip(given, avals, strict=True)):
            if sh is not None:
                sh.check(a.shape, f"argument {names[i] if i < len(names) else i}")
        return given

    def _given_out(self, staged: _Staged) -> list[Any]:
        """out_shardings, one per output leaf (None: XLA chooses), checked."""
        outs = staged.out_tree.unflatten([v.aval for v in staged.program.outvars])
        given = tree.broadcast_prefix(self._out_shardings, outs, _is_sharding_leaf,
                                      "jit: out_shardings", "the output")
        for i, (sh, v) in enumerate(zip(given, staged.program.outvars, strict=True)):
            if sh is not None:
                sh.check(v.aval.shape, f"output {i}")
        return given

    def _with_outputs(self, where: Placement, staged: _Staged) -> Placement:
        """`where` with out_shardings matched to the outputs."""
        if self._out_shardings is None or type(where) is not Partitioned:
            return where
        given = self._given_out(staged)
        for sh in given:
            if sh is not None and sh.mesh != where.mesh:
                raise ValueError(f"jit: out_shardings are over {sh.mesh} but the call runs "
                                 f"on {where.mesh}; use one mesh")
        return where._replace(out_shardings=tuple(given))

    def _compile(self, staged: _Staged, device: Placement = None,
                 donated: Sequence[int] = ()) -> Entry:
        return dispatch.compile_staged(staged.program, self._name, device,
                                       out_tree=staged.out_tree, consts=staged.consts,
                                       donated=donated)

    # -- ahead of time --------------------------------------------------------
    def lower(self, *args: Any, **kwargs: Any) -> Lowered:
        """The StableHLO for arguments like these: arrays, scalars, or
        `ShapeDtypeStruct`s (anything with a shape and a dtype) standing for arrays;
        their shardings, when given, lay the computation out as Arrays with those
        shardings would."""
        key, statics, dyn_args, dyn_kwargs, leaves, in_tree, avals = self._signature(
            args, kwargs, abstract=True)
        if not all(map(core.is_array_like, leaves)):
            leaves = _stand_ins(leaves)
        where = self._placement(dyn_args, leaves, avals)
        staged = self._stage(key, statics, dyn_args, dyn_kwargs, in_tree, avals)
        donated = self._donated(args, kwargs)
        where = self._with_outputs(where, staged)
        text = dispatch.lower(staged.program, self._name,
                              [len(staged.consts) + i for i in donated],
                              dispatch.replicated_first(where, len(staged.consts)))
        return Lowered(self, staged, text, donated, where)

    def trace(self, *args: Any, **kwargs: Any) -> Program:
        key, statics, dyn_args, dyn_kwargs, leaves, in_tree, avals = self._signature(
            args, kwargs, abstract=True)
        return self._stage(key, statics, dyn_args, dyn_kwargs, in_tree, avals).program

    def __get__(self, obj: Any, objtype: Any = None) -> Any:
        return self if obj is None else functools.partial(self, obj)

    def __repr__(self) -> str:
        return f"<jit-compiled function {self._name}>"


class Lowered:
    """`jit(f).lower(*args)`: the StableHLO text, ready to compile."""

    def __init__(self, jitted: Jitted, staged: _Staged, text: str,
                 donated: Sequence[int] = (), where: Placement = None):
        self._jitted = jitted
        self._staged = staged
        self._text = text
        self._donated = tuple(donated)
        self._where = where

    def as_text(self, dialect: str | None = None, *, debug_info: bool = False) -> str:
        """The module's StableHLO text; with `debug_info`, each op of an equation
        staged in a `named_scope` carries its location, ``loc("scope/op")``.

        Raises ValueError for a `dialect` other than "stablehlo" (the only form
        funcgrad emits)."""
        if dialect not in (None, "stablehlo"):
            raise ValueError(f"as_text: funcgrad lowers to StableHLO only; dialect={dialect!r} "
                             "is not available (pass None or 'stablehlo')")
        return self._text if debug_info else _LOCATION.sub("", self._text)

    def compile(self) -> Compiled:
        return Compiled(self._jitted._compile(self._staged, self._where, self._donated),
                        self._staged)

    def cost_analysis(self) -> dict[str, float]:
        """XLA's cost estimate of the program (``flops``, ``transcendentals``, ``bytes
        accessed``, ...). XLA's cost model runs on the compiled module, so this
        compiles it (as `compile` does)."""
        return self.compile().cost_analysis()


class Compiled:
    """A compiled executable for one signature: call it with arguments of that signature."""

    def __init__(self, entry: Entry, staged: _Staged):
        self._entry = entry
        self._in_avals = [v.aval for v in staged.program.invars]

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        leaves, _ = tree.flatten((args, kwargs))
        avals = [core.get_aval(x) for x in leaves]
        if [a.strong() for a in avals] != [a.strong() for a in self._in_avals]:
            raise TypeError("compiled function called with arguments "
                            f"{[a.str_short() for a in avals]}, but it was compiled for "
                            f"{[a.str_short() for a in self._in_avals]}")
        return self._entry.call(leaves, avals)

    def memory_analysis(self) -> Any:
        """PJRT's compiled-memory statistics (``temp_size_in_bytes``,
        ``argument_size_in_bytes``, ``output_size_in_bytes``, ...)."""
        return self._entry.memory_stats()

    def cost_analysis(self) -> dict[str, float]:
        """XLA's cost estimate of the compiled program: ``flops``,
        ``transcendentals``, ``bytes accessed``, ... (keys as XLA names them)."""
        return self._entry.cost_analysis()

    def as_text(self) -> str:
        return self._entry.hlo_text()


# a location the lowering writes after an op: ` loc("...")`, the string escaped
_LOCATION = re.compile(r' loc\("(?:[^"\\]|\\[0-9A-F]{2})*"\)')


def _abstract_aval(x: Any, abstract: bool, name: str) -> ShapedArray:
    """The aval of an argument leaf; a ShapeDtypeStruct, or anything else with a
    shape and a dtype but no data (as in JAX), is one only for lowering."""
    if core.is_array_like(x) or not (hasattr(x, "shape") and hasattr(x, "dtype")):
        return core.get_aval(x)
    if not abstract:
        raise TypeError(f"jit-compiled function {name} was called with {x!r:.80}, which "
                        "has a shape and a dtype but no data: pass an array, or use "
                        "fg.jit(f).lower(...) / fg.eval_shape(f, ...) for shapes alone")
    return ShapedArray(tuple(int(d) for d in x.shape), dtypes.canonicalize(x.dtype),
                       bool(getattr(x, "weak_type", False)))


def _stand_ins(leaves: list[Any]) -> list[Any]:
    """`leaves` with each shape-only one (a ShapeDtypeStruct) replaced by what
    `placement` reads to lay the computation out: None (no sharding given:
    wherever the others are), or an Array without a buffer carrying the given
    sharding. Those never leave `lower`."""
    out: list[Any] = []
    for x in leaves:
        sh = getattr(x, "sharding", None)
        if core.is_array_like(x):
            out.append(x)
        elif sh is None:
            out.append(None)
        elif isinstance(sh, (NamedSharding, SingleDeviceSharding)):
            out.append(Array(None, _abstract_aval(x, True, "lower"), sh))
        else:
            raise TypeError(f"lower: {x!r} has a sharding of type {type(sh).__name__}; "
                            "give a NamedSharding, a SingleDeviceSharding or None")
    return out


def _constrained(xs: Sequence[Any], shardings: Sequence[Any]) -> list[Any]:
    return [x if sh is None else sharding_constraint_p.bind(x, sharding=sh)
            for x, sh in zip(xs, shardings, strict=True)]


def _is_sharding_leaf(x: Any) -> bool:
    return x is None or isinstance(x, Sharding)


def _check_shardings(spec: Any, what: str) -> None:
    if spec is None:
        return
    for leaf in tree.leaves(spec, is_leaf=_is_sharding_leaf):
        if leaf is not None and type(leaf) is not NamedSharding:
            raise TypeError(f"jit: {what} takes NamedShardings (or None: as the argument "
                            f"is laid out), got {leaf!r:.80}")
    if len(_meshes_of(spec)) > 1:
        raise ValueError(f"jit: {what} name more than one mesh ({_meshes_of(spec)}); a "
                         "computation runs on one mesh")


def _meshes_of(spec: Any) -> list[Any]:
    out: list[Any] = []
    for leaf in tree.leaves(spec, is_leaf=_is_sharding_leaf):
        if leaf is not None and leaf.mesh not in out:
            out.append(leaf.mesh)
    return out


def _checked_static(x: Any, what: str) -> Any:
    """`x`, once it is known to be hashable: a static argument keys the caches."""
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
        donate_argnums: int | Sequence[int] = (),
        donate_argnames: str | Sequence[str] = (), in_shardings: Any = None,
        out_shardings: Any = None) -> Any:
    """Compile `fun` with XLA: traced once per abstract signature, then cached.

    `in_shardings` / `out_shardings` (funcgrad.sharding.NamedSharding, a pytree
    prefix of the positional arguments / of the outputs, None entries left to
    the arguments' own layouts / to XLA) lay the computation out over a mesh;
    XLA's SPMD partitioner splits it. Without them, shardings come from the
    arguments and XLA propagates them; the result reports the layout XLA chose.

    `donate_argnums` / `donate_argnames` name arguments whose buffers the call
    may reuse for its outputs (saving memory on large updates): after an eager
    call those whose memory XLA reused for an output (same shape and dtype) are
    deleted (``x.is_deleted()``) and using them raises; keep a copy
    (``fnp.copy(x)``) to use the value again. An argument that is also passed
    in another position, or closed over, is copied rather than donated. Under
    another transformation donation is ignored.

    Example::

        f = fg.jit(lambda x, w: fnp.tanh(x @ w).sum(axis=0))
        f(x, w)            # traces, lowers, compiles; later calls only execute
    """
    if fun is None:
        return functools.partial(jit, static_argnums=static_argnums,
                                 static_argnames=static_argnames, donate_argnums=donate_argnums,
                                 donate_argnames=donate_argnames, in_shardings=in_shardings,
                                 out_shardings=out_shardings)
    return Jitted(fun, static_argnums, static_argnames, donate_argnums, donate_argnames,
                  in_shardings, out_shardings)


def make_ir(fun: Callable[..., Any],
            static_argnums: int | Sequence[int] = ()) -> Callable[..., Program]:
    """``make_ir(f)(*args)``: the Program `f` stages to (JAX's make_jaxpr). A
    jitted `f` shows as one `jit` call equation holding its program."""
    @functools.wraps(fun)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return fun(*args, **kwargs)
    return Jitted(wrapper, static_argnums).trace
