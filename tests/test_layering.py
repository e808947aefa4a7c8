"""The layering of DESIGN.md, checked on the source (parsed with `ast`, never imported):

- only xla_backend/runtime.py imports jax/jaxlib, and from them only the XLA
  runtime (no jax.numpy, jax.lax, jax.jit/grad/vmap, JAX tracing, jax._src);
- funcgrad/core.py imports no interpreter;
- xla_backend imports nothing from transforms nor funcgrad's interpreters;
- the whole import graph follows DESIGN.md's layers, and has no cycles:
  core vocabulary <- runtime, lowering <- staging, programs <- interpreters
  (none importing another) <- public transformations <- user namespaces.
"""
from __future__ import annotations

import ast
import functools
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("funcgrad", "transforms", "xla_backend")
RUNTIME = "xla_backend/runtime.py"

# JAX's user-level API and tracing machinery: never used by the library.
FORBIDDEN_JAX = ("jax.numpy", "jax.lax", "jax.jit", "jax.grad", "jax.vmap", "jax.jvp",
                 "jax.vjp", "jax.linearize", "jax.make_jaxpr", "jax.eval_shape", "jax._src",
                 "jax.interpreters", "jax.scipy", "jax.random", "jax.nn", "jax.tree_util",
                 "jax.custom_jvp", "jax.custom_vjp", "jax.value_and_grad", "jax.jacfwd",
                 "jax.jacrev", "jax.hessian", "jax.checkpoint", "jax.remat", "jax.pmap",
                 "jax.experimental", "jax.extend.core", "jax.extend.linear_util")
# What an interpreter is, for the layering rules below.
INTERPRETERS = ("funcgrad.transforms", "funcgrad.jit", "funcgrad.api", "funcgrad.eager",
                "funcgrad.autodiff", "funcgrad.vmap", "funcgrad.control_flow",
                "funcgrad.custom_rules", "funcgrad.remat")
XLA_BACKEND_MAY_IMPORT = ("funcgrad.xla_backend", "funcgrad.core", "funcgrad.ir", "funcgrad.dtypes",
                          "funcgrad.primitives", "funcgrad.errors", "funcgrad.config",
                          "funcgrad.sharding")


@dataclass(frozen=True)
class Use:
    name: str        # dotted name: an imported module/attribute or an attribute chain
    line: int


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    if parts[0] in ("transforms", "xla_backend"):     # installed as funcgrad.<folder>
        parts.insert(0, "funcgrad")
    return ".".join(parts)


def _resolve(module: str | None, level: int, here: str, is_package: bool) -> str:
    if not level:
        return module or ""
    base = here.split(".")
    base = base if is_package else base[:-1]
    base = base[:len(base) - (level - 1)]
    return ".".join([*base, module] if module else base)


def uses(source: str, here: str = "pkg.mod", is_package: bool = False) -> list[Use]:
    """Every module/name a source imports (``from a import b`` gives ``a.b`` alone: it
    names b, which may be a module of package a, not all of a), every string given to
    importlib.import_module/__import__, and every attribute chain rooted at a name
    bound to an imported module (``jax.numpy.sin``)."""
    tree = ast.parse(source)
    out: list[Use] = []
    alias: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                out.append(Use(a.name, node.lineno))
                if a.asname:
                    alias[a.asname] = a.name
                else:
                    alias[a.name.split(".")[0]] = a.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom):
            mod = _resolve(node.module, node.level, here, is_package)
            for a in node.names:
                full = f"{mod}.{a.name}"
                out.append(Use(full, node.lineno))
                alias[a.asname or a.name] = full
        elif isinstance(node, ast.Call):
            f = node.func
            fname = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")
            if fname in ("import_module", "__import__") and node.args and \
                    isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                out.append(Use(node.args[0].value, node.lineno))
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            chain = []
            cur: ast.expr = node
            while isinstance(cur, ast.Attribute):
                chain.append(cur.attr)
                cur = cur.value
            if isinstance(cur, ast.Name) and cur.id in alias:
                out.append(Use(".".join([alias[cur.id], *reversed(chain)]), node.lineno))
    return out


def _matches(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def _sources() -> list[Path]:
    files = [p for pkg in PACKAGES for p in sorted((ROOT / pkg).rglob("*.py"))]
    assert len(files) > 10, f"found only {files}"
    return files


def _uses_of(path: Path) -> list[Use]:
    return uses(path.read_text(), _module_name(path), path.name == "__init__.py")


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


@pytest.mark.parametrize("path", _sources(), ids=_rel)
def test_jax_only_in_the_runtime(path: Path) -> None:
    found = [u for u in _uses_of(path) if _matches(u.name, ("jax", "jaxlib"))]
    if _rel(path) != RUNTIME:
        assert not found, f"{_rel(path)} uses JAX: " + ", ".join(
            f"{u.name} (line {u.line})" for u in found) + "; only xla_backend/runtime.py may"
    else:
        bad = [u for u in found if _matches(u.name, FORBIDDEN_JAX)]
        assert not bad, f"{RUNTIME} uses JAX beyond the XLA runtime: " + ", ".join(
            f"{u.name} (line {u.line})" for u in bad)


def test_core_imports_no_interpreter() -> None:
    path = ROOT / "funcgrad" / "core.py"
    bad = [u for u in _uses_of(path) if _matches(u.name, (*INTERPRETERS, "funcgrad.xla_backend"))]
    assert not bad, "funcgrad/core.py imports " + ", ".join(f"{u.name} (line {u.line})"
                                                            for u in bad)


@pytest.mark.parametrize("path", sorted((ROOT / "xla_backend").rglob("*.py")), ids=_rel)
def test_xla_backend_knows_no_interpreter(path: Path) -> None:
    funcgrad_uses = [u for u in _uses_of(path) if _matches(u.name, ("funcgrad",))]
    bad = [u for u in funcgrad_uses
           if _matches(u.name, INTERPRETERS)
           or (u.name not in ("funcgrad",) and not _matches(u.name, XLA_BACKEND_MAY_IMPORT))]
    assert not bad, f"{_rel(path)} imports " + ", ".join(f"{u.name} (line {u.line})"
                                                         for u in bad)


@pytest.mark.parametrize("path", _sources(), ids=_rel)
def test_no_top_level_internal_imports(path: Path) -> None:
    """`transforms` and `xla_backend` are installed inside funcgrad; importing them
    by their folder names would load a second copy of every rule table."""
    bad = [u for u in _uses_of(path) if _matches(u.name, ("transforms", "xla_backend"))]
    assert not bad, f"{_rel(path)} imports " + ", ".join(
        f"{u.name} (line {u.line}): use funcgrad.{u.name}" for u in bad)


# ---------------------------------------------------------------------------
# the checker itself catches what it must (so the tests above can fail)


@pytest.mark.parametrize("src,name", [
    ("import jax.numpy as jnp", "jax.numpy"),
    ("from jax import numpy as jnp", "jax.numpy"),
    ("from jax import lax", "jax.lax"),
    ("import jax\njax.jit(f)", "jax.jit"),
    ("import jax as j\nj.vmap(f)", "jax.vmap"),
    ("from jax._src import core", "jax._src"),
    ("import importlib\nimportlib.import_module('jax.numpy')", "jax.numpy"),
    ("from jax import grad as g", "jax.grad"),
])
def test_checker_flags_forbidden_uses(src: str, name: str) -> None:
    found = [u.name for u in uses(src)]
    assert any(_matches(n, (name,)) for n in found), found
    assert any(_matches(n, FORBIDDEN_JAX) for n in found)


def test_checker_resolves_relative_imports() -> None:
    names = [u.name for u in uses("from ..transforms import jvp", "funcgrad.numpy.x")]
    assert "funcgrad.transforms.jvp" in names
    names = [u.name for u in uses("from . import staging", "transforms", is_package=True)]
    assert "transforms.staging" in names
    names = [u.name for u in uses("from .staging import f", "transforms.jvp")]
    assert "transforms.staging.f" in names


def test_checker_names_what_a_from_import_imports() -> None:
    # `from a import b` names a.b, not all of a: b may be a module of package a, and a
    # module importing a sibling that way does not import its package back
    assert [u.name for u in uses("from funcgrad.numpy import _shape")] == [
        "funcgrad.numpy._shape"]
    assert [u.name for u in uses("import funcgrad.numpy as fnp\nfnp.sin")] == [
        "funcgrad.numpy", "funcgrad.numpy.sin"]


def test_checker_allows_the_runtime_imports() -> None:
    src = ("from jaxlib import xla_client\nfrom jax.extend import backend\n"
           "from jax.sharding import SingleDeviceSharding\nbackend.get_backend()")
    assert not [u for u in uses(src) if _matches(u.name, FORBIDDEN_JAX)]


# ---------------------------------------------------------------------------
# the whole graph: layers and cycles

VOCABULARY = ("funcgrad.core", "funcgrad.ir", "funcgrad.dtypes", "funcgrad.errors",
              "funcgrad.config", "funcgrad.tree", "funcgrad.primitives", "funcgrad.sharding")
BACKEND = ("funcgrad.xla_backend",)
HANDLES = ("funcgrad.array",)
SHARED = ("funcgrad.transforms.staging", "funcgrad.transforms.programs")
RULE_PACKAGES = ("funcgrad.transforms.jvp", "funcgrad.transforms.transpose",
                 "funcgrad.transforms.batching", "funcgrad.transforms.partial_eval")
PUBLIC = ("funcgrad.dispatch", "funcgrad.eager", "funcgrad.jit", "funcgrad.autodiff",
          "funcgrad.vmap", "funcgrad.control_flow", "funcgrad.custom_rules", "funcgrad.remat",
          "funcgrad.eager_grad", "funcgrad.recompiles", "funcgrad.persistent",
          "funcgrad.api", "funcgrad.shard_map")
NAMESPACES = ("funcgrad", "funcgrad.transforms", "funcgrad.xla_backend")
LAYERS = (VOCABULARY, BACKEND, HANDLES, SHARED, RULE_PACKAGES, PUBLIC)
USER = len(LAYERS)      # everything else: funcgrad.numpy, lax, random, scipy, testing, ...


def _layer(module: str) -> int:
    for i, prefixes in enumerate(LAYERS):
        if _matches(module, prefixes):
            return i
    return USER


@functools.cache
def _graph() -> dict[str, dict[str, int]]:
    """module -> {imported module: line}, for the repository's own modules."""
    paths = {_module_name(p): p for p in _sources()}
    graph: dict[str, dict[str, int]] = {}
    for mod, path in paths.items():
        edges: dict[str, int] = {}
        for u in _uses_of(path):
            if u.name in NAMESPACES:      # `from funcgrad import core` names core, not all
                continue
            parts = u.name.split(".")
            for k in range(len(parts), 0, -1):
                target = ".".join(parts[:k])
                if target in paths:
                    if target != mod:
                        edges.setdefault(target, u.line)
                    break
        graph[mod] = edges
    return graph


def _rule_package(module: str) -> str | None:
    return next((p for p in RULE_PACKAGES if _matches(module, (p,))), None)


def test_imports_point_down_the_layers() -> None:
    bad = []
    for mod, edges in _graph().items():
        if mod == "funcgrad":       # the package re-exports the public face
            continue
        for target, line in edges.items():
            if _layer(target) > _layer(mod):
                bad.append(f"{mod} (layer {_layer(mod)}) imports {target} "
                           f"(layer {_layer(target)}), line {line}")
    assert not bad, "imports that point up DESIGN.md's layers:\n" + "\n".join(bad)


def test_interpreters_do_not_import_each_other() -> None:
    bad = [f"{mod} imports {target}" for mod, edges in _graph().items()
           for target in edges
           if _rule_package(mod) and _rule_package(target)
           and _rule_package(mod) != _rule_package(target)]
    assert not bad, bad


def test_user_namespaces_import_no_rule_module_and_no_lowering() -> None:
    bad = [f"{mod} imports {target} (line {line})" for mod, edges in _graph().items()
           if _layer(mod) == USER and mod != "funcgrad"
           for target, line in edges.items()
           if _rule_package(target) or _matches(target, ("funcgrad.xla_backend.lowering",))]
    assert not bad, "user namespaces must use primitives and the public transformations: " + \
        "; ".join(bad)


def test_only_dispatch_uses_the_lowering() -> None:
    bad = [mod for mod, edges in _graph().items()
           if any(_matches(t, ("funcgrad.xla_backend.lowering",)) for t in edges)
           and not _matches(mod, ("funcgrad.dispatch", "funcgrad.xla_backend"))]
    assert not bad, f"only funcgrad.dispatch compiles Programs; also importing lowering: {bad}"


def _cycles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph.get(v, {}):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_no_import_cycles() -> None:
    """Every module is its own node, function-level imports included (they hide a
    cycle rather than remove it). A package's __init__ importing its own modules is
    how a namespace or a table is assembled, and no cycle by itself; one of those
    modules importing the package back (directly or through others) is one: it
    runs while the package is half-initialised."""
    graph = {m: {t: ln for t, ln in e.items() if t != "funcgrad"}
             for m, e in _graph().items() if m != "funcgrad"}
    cycles = _cycles(graph)
    assert not cycles, f"import cycles: {cycles}"


def test_cycle_checker_finds_a_cycle() -> None:
    assert _cycles({"a": {"b": 1}, "b": {"c": 1}, "c": {"a": 1}, "d": {"a": 1}}) == [
        ["a", "b", "c"]]
