"""The one execution path (funcgrad.dispatch) and what it rests on.

- every way of running code (eager primitives, jit, eager control flow, eager
  autodiff) executes through `dispatch.Entry.run`;
- only xla_backend/runtime.py touches PJRT objects, only funcgrad/dispatch.py
  lowers (checked on the source, parsed with `ast`);
- a compiled executable knows its devices and its input/output shardings;
- the bottom trace's executor and the array methods are given to core by
  named calls, never by assigning into another module;
- a cached jit call runs no Python function but `Jitted.__call__`,
  `Entry.run` and the output Arrays' constructor (decision 7).
"""
from __future__ import annotations

import ast
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import funcgrad as fg
import funcgrad.numpy as fnp
from funcgrad import core, dispatch, eager
from funcgrad.array import Array
from funcgrad.core import ArrayMethods, Tracer
from funcgrad.ir import Program
from funcgrad.numpy import _methods
from funcgrad.xla_backend import runtime

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted(p for pkg in ("funcgrad", "transforms", "xla_backend")
                 for p in (ROOT / pkg).rglob("*.py"))
RUNTIME = ROOT / "xla_backend" / "runtime.py"
# Methods and functions of jaxlib's PJRT objects (client, loaded executables,
# execute results, device puts): only the runtime may name them.
PJRT_NAMES = {"execute_sharded", "consume_with_handlers", "compile_and_load",
              "batched_device_put", "batched_copy_array_to_devices_with_sharding",
              "array_result_handler", "get_compiled_memory_stats", "hlo_modules",
              "get_backend", "get_compile_options", "disassemble_into_single_device_arrays"}


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text())


# ---------------------------------------------------------------------------
# layering, on the source


@pytest.mark.parametrize("path", [p for p in SOURCES if p != RUNTIME], ids=_rel)
def test_only_the_runtime_touches_pjrt(path: Path) -> None:
    found = sorted({(n.attr, n.lineno) for n in ast.walk(_tree(path))
                    if isinstance(n, ast.Attribute) and n.attr in PJRT_NAMES})
    assert not found, f"{_rel(path)} uses PJRT directly: {found}; call xla_backend/runtime.py"


def _imports_lowering(path: Path) -> bool:
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            mod = node.module or ""
            names = [mod, *(f"{mod}.{a.name}" for a in node.names)]
        else:
            continue
        if any(n.startswith("funcgrad.xla_backend.lowering") for n in names):
            return True
    return False


def test_only_dispatch_lowers() -> None:
    outside = [p for p in SOURCES if not _rel(p).startswith("xla_backend/")]
    assert [_rel(p) for p in outside if _imports_lowering(p)] == ["funcgrad/dispatch.py"]


def _root_name(node: ast.expr) -> str | None:
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _patches(source: str, name: str) -> list[str]:
    """Assignments to an attribute of an imported module or class (``core.f = g``,
    ``core.Tracer.x = y``), and module-level setattr calls."""
    tree = ast.parse(source)
    imported = {a.asname or a.name.split(".")[0] for n in ast.walk(tree)
                if isinstance(n, (ast.Import, ast.ImportFrom)) for a in n.names}
    out = []
    for node in ast.walk(tree):
        targets = node.targets if isinstance(node, ast.Assign) else \
            [node.target] if isinstance(node, (ast.AugAssign, ast.AnnAssign)) else []
        for t in targets:
            if isinstance(t, ast.Attribute) and _root_name(t) in imported:
                out.append(f"{name}:{node.lineno} assigns to {ast.unparse(t)}")
    for stmt in tree.body:
        for node in ast.walk(stmt):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "setattr" \
                    and not isinstance(stmt, (ast.FunctionDef, ast.ClassDef)):
                out.append(f"{name}:{node.lineno} calls setattr at import")
    return out


def test_no_module_patches_another() -> None:
    """Core's open slots are filled by named calls (`EvalTrace.set_executor`,
    `set_array_methods`), never by assigning into another module or by setattr
    loops at import."""
    bad = [p for path in SOURCES for p in _patches(path.read_text(), _rel(path))]
    assert not bad, bad


def test_the_patch_check_finds_patches() -> None:
    src = ("from funcgrad import core\nfrom funcgrad.core import Tracer\n"
           "core.eval_impl = print\ncore.Tracer.__array_ufunc__ = None\n"
           "Tracer.__add__ = None\nfor k in ('a',):\n    setattr(Tracer, k, None)\n"
           "def f(x):\n    x.attr = 1\n")
    assert len(_patches(src, "m.py")) == 4


def test_core_imports_no_user_namespace() -> None:
    """ArrayMethods lives in core, below funcgrad.numpy: funcgrad.numpy gives it its
    implementations, core never imports them (no cycle, not even inside a function)."""
    tree = _tree(ROOT / "funcgrad" / "core.py")
    imported = [n.module if isinstance(n, ast.ImportFrom) else a.name
                for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))
                for a in n.names]
    assert not [m for m in imported if (m or "").startswith("funcgrad.numpy")], imported


# ---------------------------------------------------------------------------
# one execution path


@pytest.fixture
def runs(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """Each `Entry.run` call's Entry, in order."""
    seen: list[Any] = []
    original = dispatch.Entry.run

    def run(self: dispatch.Entry, bufs: list[Any]) -> Any:
        seen.append(self)
        return original(self, bufs)

    monkeypatch.setattr(dispatch.Entry, "run", run)
    yield seen


@pytest.mark.parametrize("what,call", [
    ("eager primitive", lambda x: fg.lax.sin(x)),
    ("eager ufunc", lambda x: fnp.cos(x)),
    ("operator", lambda x: x * 3.0),
    ("jit", lambda x: fg.jit(lambda v: v * 2.0 + 1.0)(x)),
    ("jit, kwargs", lambda x: fg.jit(lambda v, w: v - w)(x, w=x)),
    ("jit, donated", lambda x: fg.jit(lambda v: v + 1.0, donate_argnums=0)(fnp.copy(x))),
    ("jit, compiled ahead", lambda x: fg.jit(lambda v: v / 2.0).lower(x).compile()(x)),
    ("eager cond", lambda x: fg.lax.cond(True, fnp.sin, fnp.cos, x)),
    ("eager while", lambda x: fg.lax.fori_loop(0, 3, lambda i, c: c * 2.0, x)),
    ("eager grad", lambda x: fg.grad(lambda v: fnp.sum(fnp.sin(v)))(x)),
    ("eager vjp", lambda x: fg.vjp(fnp.sin, x)[1](x)),
])
def test_every_path_runs_through_dispatch(runs: list[Any], what: str,
                                          call: Callable[[Any], Any]) -> None:
    x = fnp.asarray(np.linspace(0.1, 0.9, 4))
    out = call(x)
    del runs[:]
    out = call(x)      # cached: only executes
    assert runs, f"{what} ran without dispatch.Entry.run"
    assert all(type(leaf) is Array for leaf in fg.tree.leaves(out))


def test_an_executable_knows_its_devices_and_shardings() -> None:
    f = fg.jit(lambda x, y: (x + y, x * y))
    x = fnp.ones(3)
    f(x, x)
    entry, = f._entries.values()
    exe = entry.exe
    assert exe.devices == (runtime.default_device(),)
    assert len(exe.in_shardings) == 2 and len(exe.out_shardings) == 2
    for s in (*exe.in_shardings, *exe.out_shardings):
        assert set(s.device_set) == set(exe.devices)
    np.testing.assert_array_equal(np.asarray(runtime.to_host(exe.execute(
        [x._buf, x._buf])[1])), np.ones(3))


def test_run_program_compiles_once_per_structure() -> None:
    def program_of(c: float) -> Program:
        return fg.make_ir(lambda v: fnp.sin(v) * c)(np.ones(2))

    x = fnp.ones(2)
    dispatch.run_program(program_of(2.0), [x])
    n = len(dispatch.executables)
    out, = dispatch.run_program(program_of(5.0), [x])
    assert len(dispatch.executables) == n
    np.testing.assert_allclose(np.asarray(out), np.sin(np.ones(2)) * 5.0)


def test_the_bottom_trace_runs_the_eager_executor() -> None:
    assert core.eval_trace._executor is eager.apply_primitive
    assert core.current_trace() is core.eval_trace


def test_a_cached_jit_call_runs_three_python_functions() -> None:
    f = fg.jit(lambda x, y, z: x * y + z)
    x = fnp.ones(8)
    f(x, x, x)
    called: list[str] = []

    def profile(frame: Any, event: str, arg: Any) -> None:
        if event == "call" and frame.f_code.co_name != "__hash__":
            called.append(frame.f_code.co_qualname)

    sys.setprofile(profile)
    try:
        f(x, x, x)
    finally:
        sys.setprofile(None)
    assert called == ["Jitted.__call__", "Entry.run", "Array.__init__"]


# ---------------------------------------------------------------------------
# operators and methods: one class body for Array and Tracer


@pytest.mark.parametrize("name", ["__add__", "__rsub__", "__eq__", "__getitem__", "__neg__",
                                  "__matmul__", "sum", "reshape", "astype", "T", "at", "real"])
def test_array_and_tracer_share_the_methods(name: str) -> None:
    assert name in ArrayMethods.__dict__
    assert getattr(Array, name) is getattr(ArrayMethods, name)
    assert getattr(Tracer, name) is getattr(ArrayMethods, name)


def test_every_method_has_its_implementation() -> None:
    """Each ``_ops.<name>`` ArrayMethods calls exists in the implementations."""
    tree = _tree(ROOT / "funcgrad" / "core.py")
    called = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)
              and isinstance(n.value, ast.Name) and n.value.id == "_ops"}
    assert called and not called - set(vars(_methods.ArrayMethodImpls))


class _Foreign:
    """A user type with its own reflected operators."""

    def __radd__(self, other: Any) -> str:
        return "foreign radd"

    def __rmatmul__(self, other: Any) -> str:
        return "foreign rmatmul"


def test_unknown_operands_defer_to_their_reflected_operators() -> None:
    x = fnp.ones(2)
    assert x + _Foreign() == "foreign radd"
    assert x @ _Foreign() == "foreign rmatmul"
    seen = []

    def f(v: Any) -> Any:
        seen.append(v + _Foreign())      # a Tracer defers the same way
        return v * 2.0

    fg.jit(f)(x)
    assert seen == ["foreign radd"]


def test_numpy_defers_to_funcgrad_operands() -> None:
    a = np.arange(3.0)
    out = a + fnp.ones(3)
    assert type(out) is Array
    np.testing.assert_array_equal(np.asarray(out), a + 1)
    traced = fg.jit(lambda v: np.float64(2.0) * v)(fnp.ones(2))
    np.testing.assert_array_equal(np.asarray(traced), [2.0, 2.0])


def test_builtin_non_numbers_are_errors_not_notimplemented() -> None:
    with pytest.raises(TypeError):
        fnp.ones(2) + "a"
    with pytest.raises(TypeError):
        fnp.ones(2) * None
