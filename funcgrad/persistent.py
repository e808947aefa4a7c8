"""Traced programs of jitted functions kept on disk, so that a new process calling
the same function on the same signature skips tracing and lowering.

The on-disk store is funcgrad.xla_backend.compilation_cache (its ``trace``
entries); executables themselves are cached there too, so a hit here usually
loads the compiled program as well. What an entry holds: the StableHLO text,
the avals of inputs and outputs, the output pytree structure, the constants
the program captured and the donated inputs: enough to rebuild the
`dispatch.Entry` a first call would have compiled.

A stale hit must be impossible, so the key covers everything tracing reads:
the function's code (bytecode, constants, names, recursively for nested
code), the values in its closure cells, its default arguments, the globals
its code names (recursively through the functions and modules it reaches:
a called helper's code, a module attribute read as ``mod.attr``), the
abstract signature (pytree structure, shapes, dtypes, weak types, static
arguments by value), jit's options, the switches that change tracing, the
backend, and the versions of funcgrad (with the modification times of its
sources), jaxlib, NumPy and Python. Values are keyed by content: arrays by
dtype, shape and a hash of their bytes, Python scalars and strings by value.
Functions of funcgrad, NumPy, SciPy and the standard library are keyed by name
(their versions are in the key) and the values they close over.

A cached trace skips what tracing does besides tracing, so where the key
cannot be computed safely, or tracing may have side effects, the call is traced
as usual (the executable cache still applies): an object of a user-defined
class (a user-defined pytree node, a method bound to an object, random state),
a user class, a list, dict or set the function's code reads (tracing may
change it), code that assigns a global or nonlocal variable or calls `print`,
`id`, `open`..., modules whose answers vary (`os`, `time`, `random`...),
arrays of Python objects, more than `MAX_HASHED_BYTES` of arrays to hash, or
a program placed on a device other than the default one or split over a mesh.
Programs with host callbacks are never stored (their callbacks are Python
objects of the process that traced them); nor is anything while
``debug_nans``/``debug_infs`` are on (their reruns need the traced program),
or while ``log_compiles`` or ``explain_recompiles=True`` ask to see tracing.
"""
from __future__ import annotations

import dis
import enum
import functools
import hashlib
import json
import os
import struct
import sys
import time
import types
from collections.abc import Sequence
from typing import Any

import numpy as np

from funcgrad import core, dispatch, tree
from funcgrad.array import Array
from funcgrad.config import compile_time_eval
from funcgrad.config import config as _config
from funcgrad.control_flow import _names_read
from funcgrad.core import ShapedArray, Tracer
from funcgrad.recompiles import Signature, timed
from funcgrad.xla_backend import compilation_cache as _store
from funcgrad.xla_backend import runtime

# modules whose functions are keyed by name: their code is fixed by their version
LIBRARIES = frozenset({"funcgrad", "numpy", "scipy", "ml_dtypes", "jax", "jaxlib",
                       *sys.stdlib_module_names})
MAX_HASHED_BYTES = 64 << 20     # arrays hashed into one key, at most
_MAX_NODES = 50_000             # values visited for one key, at most


# builtins whose use while tracing is a side effect or depends on the process
_IMPURE_BUILTINS = frozenset({"print", "input", "breakpoint", "open", "exec", "eval", "globals",
                              "locals", "vars", "setattr", "delattr", "id", "hash", "__import__"})
# library modules whose functions answer differently in each process or call
_IMPURE_MODULES = frozenset({"os", "time", "random", "datetime", "uuid", "secrets", "socket",
                             "threading", "subprocess", "sys", "builtins", "logging", "warnings",
                             "inspect", "gc"})
_MUTABLE = (list, dict, set, bytearray)


class Unkeyable(Exception):
    """The function or its signature reads something no key can stand for safely."""


_DATA = (bool, int, float, complex, str, bytes, tuple, type(None))
_writes: dict[types.CodeType, bool] = {}


def _writes_outside(code: types.CodeType, free: tuple[str, ...] | None = None) -> bool:
    """Whether `code` (or code nested in it) assigns a global, or a variable of an
    enclosing function (`free`: those names; by default `code`'s free variables)."""
    top = free is None
    if top and code in _writes:
        return _writes[code]
    free = code.co_freevars if free is None else free
    found = False
    for ins in dis.get_instructions(code):
        if ins.opname in ("STORE_GLOBAL", "DELETE_GLOBAL") or (
                ins.opname in ("STORE_DEREF", "DELETE_DEREF") and ins.argval in free):
            found = True
            break
    if not found:
        found = any(_writes_outside(c, free) for c in code.co_consts
                    if type(c) is types.CodeType)
    if top:
        _writes[code] = found
    return found


def _top(module: str | None) -> str:
    return (module or "").partition(".")[0]


def _is_library(module: str | None) -> bool:
    return _top(module) in LIBRARIES


def _float(x: float) -> str:
    return float.hex(x)


class _Keyer:
    """Turns values into nested tuples of str/int/bytes, deterministic across
    processes; raises Unkeyable for anything it cannot stand for."""

    def __init__(self) -> None:
        self.nodes = 0
        self.hashed = 0
        self.active: set[int] = set()
        # keying what user code reads: mutable containers may be changed while
        # tracing (a side effect a cached trace would skip)
        self.strict = True

    def value(self, x: Any, names: frozenset[str] = frozenset()) -> Any:
        """`names`: the names the code reading `x` mentions (for a module: the
        attributes that may be read from it)."""
        self.nodes += 1
        if self.nodes > _MAX_NODES:
            raise Unkeyable("too many values to key")
        t = type(x)
        if x is None or x is Ellipsis or x is NotImplemented:
            return (repr(x),)
        if t is bool or t is int or t is str or t is bytes:
            return (t.__name__, x)
        if t is float:
            return ("float", _float(x))
        if t is complex:
            return ("complex", _float(x.real), _float(x.imag))
        if self.strict and t in _MUTABLE:
            raise Unkeyable(f"a {t.__name__} the function may change as it traces")
        if t is tuple or t is list:
            return (t.__name__, tuple(self.value(v, names) for v in x))
        if t is dict:
            items = [(self.value(k), self.value(v, names)) for k, v in x.items()]
            return ("dict", tuple(sorted(items, key=repr)))
        if t is set or t is frozenset:
            return (t.__name__, tuple(sorted((self.value(v) for v in x), key=repr)))
        if t is slice:
            return ("slice", self.value(x.start), self.value(x.stop), self.value(x.step))
        if t is range:
            return ("range", x.start, x.stop, x.step)
        if t is types.FunctionType:
            return self.function(x)
        if t is functools.partial:
            kw = x.keywords
            return ("partial", self.value(x.func, names), self.value(x.args, names),
                    tuple((k, self.value(kw[k], names)) for k in sorted(kw)))
        if t is types.ModuleType:
            return self.module(x, names)
        if t is Array:
            return self.array(x)
        if t is np.ndarray or isinstance(x, np.generic):
            return self.ndarray(np.asarray(x), t.__name__)
        if t is np.dtype or isinstance(x, np.dtype):
            return ("dtype", x.name)
        if t is np.ufunc:
            return ("ufunc", x.__name__)
        if t is types.CodeType:
            return self.code(x)
        if isinstance(x, Tracer):
            raise Unkeyable("a value of another transformation")
        if isinstance(x, type):
            if _is_library(x.__module__):
                return ("type", x.__module__, x.__qualname__)
            raise Unkeyable(f"the user class {x.__qualname__}")
        if t in (types.BuiltinFunctionType, types.BuiltinMethodType):
            owner = x.__self__
            if owner is None or type(owner) is types.ModuleType:
                return ("builtin", getattr(x, "__module__", None) or getattr(owner, "__name__", ""),
                        x.__qualname__)
            raise Unkeyable(f"{x.__qualname__}, a method bound to an object")
        if t in (types.MethodDescriptorType, types.WrapperDescriptorType,
                 types.ClassMethodDescriptorType, types.GetSetDescriptorType):
            owner_type = x.__objclass__
            if _is_library(owner_type.__module__):
                return ("descriptor", owner_type.__module__, owner_type.__qualname__, x.__name__)
            raise Unkeyable(f"a descriptor of the user class {owner_type.__qualname__}")
        if isinstance(x, enum.Enum) and _is_library(t.__module__):
            return ("enum", t.__module__, t.__qualname__, x.name)
        if t.__name__ == "Jitted" and t.__module__ == "funcgrad.jit":
            return self.jitted(x)
        raise Unkeyable(f"a {t.__module__}.{t.__qualname__} object")

    def ndarray(self, a: np.ndarray, kind: str) -> Any:
        if a.dtype.hasobject or a.dtype.fields is not None:
            raise Unkeyable("an array of Python objects or records")
        self.hashed += a.nbytes
        if self.hashed > MAX_HASHED_BYTES:
            raise Unkeyable(f"more than {MAX_HASHED_BYTES} bytes of arrays to hash")
        digest = hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()
        return (kind, a.dtype.name, a.shape, digest)

    def array(self, x: Array) -> Any:
        if x._sh is not None:
            raise Unkeyable("an Array placed on a device or a mesh of its own")
        return ("Array", x.aval.weak_type, self.ndarray(np.asarray(x), "value"))

    def code(self, code: types.CodeType) -> Any:
        consts = tuple(self.code(c) if type(c) is types.CodeType else self.value(c)
                       for c in code.co_consts)
        return ("code", code.co_name, code.co_argcount, code.co_posonlyargcount,
                code.co_kwonlyargcount, code.co_flags, code.co_code, consts, code.co_names,
                code.co_varnames, code.co_freevars, code.co_cellvars,
                getattr(code, "co_exceptiontable", b""))

    def _cells(self, fun: types.FunctionType, names: frozenset[str]) -> tuple[Any, ...]:
        out = []
        for cell in fun.__closure__ or ():
            try:
                contents = cell.cell_contents
            except ValueError:      # not assigned yet
                out.append(("empty",))
                continue
            out.append(self.value(contents, names))
        return tuple(out)

    def _defaults(self, fun: types.FunctionType) -> tuple[Any, ...]:
        kw = fun.__kwdefaults__ or {}
        return (self.value(fun.__defaults__ or ()),
                tuple((k, self.value(kw[k])) for k in sorted(kw)))

    def function(self, fun: types.FunctionType) -> Any:
        if id(fun) in self.active:      # recursion: its key is being built further up
            return ("recursive", fun.__qualname__)
        self.active.add(id(fun))
        strict = self.strict
        try:
            code = fun.__code__
            names = frozenset(_names_read(code))
            # where it was defined (functools.wraps copies the wrapped one's __module__)
            module = fun.__globals__.get("__name__")
            if _is_library(module):
                self.strict = False
                # its code too: two closures made by one library function share a
                # qualified name (inverse_time_decay's staircase and smooth schedules)
                return ("library function", module, code.co_qualname, code.co_firstlineno,
                        self.code(code), self._cells(fun, names), self._defaults(fun))
            self.strict = True
            env = fun.__globals__
            impure = (names & _IMPURE_BUILTINS) - env.keys()
            if impure:
                raise Unkeyable(f"{fun.__qualname__} calls {sorted(impure)[0]}")
            if _writes_outside(code):
                raise Unkeyable(f"{fun.__qualname__} assigns a nonlocal or global variable")
            read = tuple((n, self.value(env[n], names)) for n in sorted(names) if n in env)
            return ("function", fun.__module__, fun.__qualname__, self.code(code),
                    self._cells(fun, names), read, self._defaults(fun))
        finally:
            self.strict = strict
            self.active.discard(id(fun))

    def module(self, mod: types.ModuleType, names: frozenset[str]) -> Any:
        if _is_library(mod.__name__):
            if mod.__name__ in _IMPURE_MODULES:
                raise Unkeyable(f"the module {mod.__name__}, whose results vary between calls")
            env = vars(mod)     # its constants, by value (functions: by its version)
            data = tuple((n, self.value(env[n])) for n in sorted(names)
                         if n in env and type(env[n]) in _DATA)
            return ("library module", mod.__name__, data)
        if id(mod) in self.active:
            return ("recursive module", mod.__name__)
        self.active.add(id(mod))
        try:
            env = vars(mod)
            return ("module", mod.__name__,
                    tuple((n, self.value(env[n], names)) for n in sorted(names) if n in env))
        finally:
            self.active.discard(id(mod))

    def jitted(self, f: Any) -> Any:
        if f._sharded:
            raise Unkeyable("a jitted function with shardings")
        return ("jit", self.value(f._fun), f._static_argnums, f._static_argnames,
                f._donate_argnums, f._donate_argnames)


# ---------------------------------------------------------------------------
# pytree structures and avals in a plain form


def tree_data(treedef: tree.PyTreeDef) -> Any:
    """`treedef` as JSON-ready lists; only tuples, lists, dicts (str or int keys) and
    None can be stored."""
    node = treedef.node
    kids = [tree_data(c) for c in treedef.children]
    if node is None:
        return ["leaf"]
    if node is tuple or node is list:
        return [node.__name__, kids]
    if node is type(None):
        return ["none"]
    if node is dict:
        keys = list(treedef.data)
        if not all(type(k) is str or type(k) is int for k in keys):
            raise Unkeyable("a dict with keys other than str or int")
        return ["dict", keys, kids]
    raise Unkeyable(f"the pytree node {node.__qualname__}")


def tree_from_data(data: Any) -> tree.PyTreeDef:
    kind = data[0]
    if kind == "leaf":
        return tree.LEAF
    if kind == "none":
        return tree.PyTreeDef(type(None), None, ())
    if kind in ("tuple", "list"):
        return tree.PyTreeDef(tuple if kind == "tuple" else list, None,
                              [tree_from_data(c) for c in data[1]])
    if kind == "dict":
        return tree.PyTreeDef(dict, tuple(data[1]), [tree_from_data(c) for c in data[2]])
    raise ValueError(f"unknown pytree node {kind!r}")


def _aval_data(a: ShapedArray) -> list[Any]:
    return [list(a.shape), a.dtype.name, bool(a.weak_type)]


def _aval_from(data: list[Any]) -> ShapedArray:
    return ShapedArray(tuple(data[0]), np.dtype(data[1]), bool(data[2]))


# ---------------------------------------------------------------------------
# keys


_SOURCES: str | None = None


def sources_fingerprint() -> str:
    """funcgrad's sources as this process loaded them (paths, sizes, modification
    times): an edited checkout must not reuse what older code traced."""
    global _SOURCES
    if _SOURCES is None:
        h = hashlib.sha256()
        for pkg in ("funcgrad", "funcgrad.transforms", "funcgrad.xla_backend"):
            root = os.path.dirname(sys.modules[pkg].__file__ or "")
            for folder, dirs, files in os.walk(root):
                dirs.sort()
                for name in sorted(files):
                    if name.endswith(".py"):
                        st = os.stat(os.path.join(folder, name))
                        h.update(f"{folder}/{name}:{st.st_size}:{st.st_mtime_ns}\n".encode())
        _SOURCES = h.hexdigest()
    return _SOURCES


def eligible(jitted: Any, device: Any) -> bool:
    """Whether a call may use the trace cache at all (cheap checks, before keying)."""
    return (device is None and not jitted._sharded and not _config.debug_nans
            and not _config.debug_infs and not _config.log_compiles
            and _config.explain_recompiles is not True and not core.axis_frames()
            and _store.cache_dir() is not None)


def trace_key(jitted: Any, key: Any) -> str:
    """The key of a jitted function's call with signature `key` (jit's: input tree,
    avals, static arguments); raises Unkeyable."""
    in_tree, avals, statics = key
    k = _Keyer()
    try:
        parts = (
            _store.versions(), sources_fingerprint(), runtime.backend_fingerprint(),
            (_config.default_float, _config.enable_checks, _config.check_key_reuse,
             _config.check_bounds, compile_time_eval.get()),
            jitted._name, jitted._static_argnums, jitted._static_argnames,
            jitted._donate_argnums, jitted._donate_argnames,
            k.value(jitted._fun), tree_data(in_tree), [_aval_data(a) for a in avals],
            tuple((name, k.value(v)) for name, v in statics))
    except RecursionError:
        raise Unkeyable("values nested too deeply") from None
    return hashlib.sha256(repr(parts).encode()).hexdigest()


# ---------------------------------------------------------------------------
# entries: a JSON header, then the constants' bytes


_LEN = struct.Struct("<Q")


def encode_entry(key: str, name: str, text: str, program: Any, out_tree: tree.PyTreeDef,
                 consts: Sequence[Any], donated: Sequence[int]) -> bytes:
    arrays = [np.ascontiguousarray(np.asarray(c, core.get_aval(c).dtype)) for c in consts]
    meta = {
        "key": key, "name": name, "text": text,
        "in_avals": [_aval_data(a) for a in program.in_avals],
        "out_avals": [_aval_data(a) for a in program.out_avals],
        "out_tree": tree_data(out_tree),
        "consts": [[a.dtype.name, list(a.shape), a.nbytes] for a in arrays],
        "donated": list(donated),
    }
    head = json.dumps(meta).encode()
    return b"".join([_LEN.pack(len(head)), head, *(a.tobytes() for a in arrays)])


def decode_entry(payload: bytes) -> tuple[dict[str, Any], list[np.ndarray]]:
    (n,) = _LEN.unpack_from(payload)
    meta = json.loads(payload[_LEN.size:_LEN.size + n].decode())
    pos = _LEN.size + n
    consts = []
    for dtype, shape, nbytes in meta["consts"]:
        consts.append(np.frombuffer(payload, np.dtype(dtype), int(np.prod(shape, dtype=np.int64)),
                                    pos).reshape(shape))
        pos += nbytes
    if pos != len(payload):
        raise ValueError(f"{len(payload) - pos} bytes left over after the constants")
    return meta, consts


def _rebuild(meta: dict[str, Any], consts: list[np.ndarray], donated: Sequence[int]
             ) -> dispatch.Entry:
    in_avals = [_aval_from(a) for a in meta["in_avals"]]
    out_avals = [_aval_from(a) for a in meta["out_avals"]]
    nc = len(consts)
    with timed("compiling", meta["name"]):
        exe = runtime.compile_text(meta["text"], [(a.shape, a.dtype) for a in in_avals],
                                   [(a.shape, a.dtype) for a in out_avals], None,
                                   [nc + i for i in donated])
    const_bufs = [dispatch.buffer_for(c, ShapedArray(c.shape, c.dtype)) for c in consts]
    return dispatch.Entry(exe, out_avals, tree_from_data(meta["out_tree"]), const_bufs, donated)


# ---------------------------------------------------------------------------
# the hook jit calls on a miss of its in-memory caches


def compiled(jitted: Any, key: Any, device: Any, donated: Sequence[int],
             call: tuple[Any, ...]) -> dispatch.Entry:
    """The Entry for a call of `jitted` with signature `key` at `device` (`call`: the
    rest of what `Jitted._stage` takes): from the disk when a process traced it
    before, else staged and compiled as usual, and stored when that took long
    enough to be worth it. A hit counts as a trace in the function's history of
    signatures, so retraces are explained alike either way."""
    hkey = None
    if eligible(jitted, device):
        try:
            hkey = trace_key(jitted, key)
        except Unkeyable:
            _store.count("trace_uncacheable")
    if hkey is not None:
        entry = _load(hkey, donated)
        if entry is not None:
            _record(jitted, *call)
            return entry
        _store.count("trace_misses")
    start = time.perf_counter()
    staged = jitted._stage(key, *call)
    entry = jitted._compile(staged, jitted._with_outputs(device, staged), donated)
    if hkey is not None and _store.worth_writing(time.perf_counter() - start):
        _save(hkey, jitted._name, staged, donated)
    return entry


def _record(jitted: Any, statics: Any, dyn_args: Any, dyn_kwargs: Any,
            in_tree: tree.PyTreeDef, avals: list[ShapedArray]) -> None:
    """What `Jitted._stage` notes of a signature it traces."""
    shown = [(jitted._names[k] if type(k) is int and k < len(jitted._names) else k, v)
             for k, v in statics]
    jitted._history.record(jitted._name, Signature(
        in_tree, avals, shown, jitted._arg_names(dyn_args, dyn_kwargs), core.axis_frames()))


def _load(hkey: str, donated: Sequence[int]) -> dispatch.Entry | None:
    payload = _store.read("trace", hkey)
    if payload is None:
        return None
    try:
        meta, consts = decode_entry(payload)
        if meta["key"] != hkey or meta["donated"] != list(donated):
            raise ValueError("it was stored for another call")
    except (ValueError, KeyError, TypeError, IndexError, struct.error) as e:
        _store.discard("trace", hkey, f"unreadable traced program ({e})")
        return None
    _store.count("trace_hits")
    return _rebuild(meta, consts, donated)


def _save(hkey: str, name: str, staged: Any, donated: Sequence[int]) -> None:
    program = staged.program
    if any(isinstance(c, Tracer) for c in staged.consts) or dispatch.mesh_of(program) is not None:
        return
    module = dispatch.lower_module(program, name)
    if module.host_callbacks:
        return
    try:
        payload = encode_entry(hkey, name, module.text, program, staged.out_tree,
                               staged.consts, donated)
    except (Unkeyable, TypeError, ValueError):
        return
    if _store.write("trace", hkey, payload):
        _store.count("trace_writes")
