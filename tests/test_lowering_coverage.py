"""The lowering table covers every primitive, one named rule each, in the family
file of its primitive, and nothing outside the lowering package writes into it.

Deliberate gaps sit beside the table in `NOT_LOWERED`, each with a reason.
"""
from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Iterable
from pathlib import Path

import pytest

from funcgrad import primitives as P
from funcgrad.core import Primitive
from funcgrad.xla_backend.lowering import NOT_LOWERED, lowering_rules

ROOT = Path(__file__).resolve().parent.parent
LOWERING_PACKAGE = ROOT / "xla_backend" / "lowering"


def _names(prims: Iterable[Primitive]) -> str:
    return ", ".join(sorted(p.name for p in prims))


def test_every_primitive_has_a_lowering_rule() -> None:
    missing = [p for p in P.all_primitives() if p not in lowering_rules and p not in NOT_LOWERED]
    assert not missing, (f"no lowering rule for {_names(missing)}: add a `_<name>_lower` rule "
                         "to its family file in xla_backend/lowering/, or list the primitive "
                         "in NOT_LOWERED with the reason")


def test_table_holds_only_primitives() -> None:
    known = set(P.all_primitives())
    strays = [p for p in lowering_rules if p not in known]
    assert not strays, f"lowering rules for primitives funcgrad does not define: {_names(strays)}"


def test_gaps_have_reasons_and_no_rules() -> None:
    both = [p for p in NOT_LOWERED if p in lowering_rules]
    assert not both, f"in NOT_LOWERED but lowered all the same: {_names(both)}"
    for prim, reason in NOT_LOWERED.items():
        assert isinstance(prim, Primitive)
        assert isinstance(reason, str) and reason.strip(), (
            f"NOT_LOWERED[{prim.name}] gives no reason")


LOWERED = sorted(lowering_rules, key=lambda p: p.name)


@pytest.mark.parametrize("prim", LOWERED, ids=[p.name for p in LOWERED])
def test_rule_is_named_after_its_primitive(prim: Primitive) -> None:
    rule = lowering_rules[prim]
    name = getattr(rule, "__name__", "")
    qualname = getattr(rule, "__qualname__", "")
    code_name = getattr(getattr(rule, "__code__", None), "co_name", name)
    assert name.endswith("_lower") and name not in ("rule", "lower", "_lower"), (
        f"the lowering rule of {prim.name} is called {name!r}")
    assert name == f"_{prim.name}_lower", (
        f"the lowering rule of {prim.name} is called {name!r}, not _{prim.name}_lower")
    assert qualname == name and code_name == name, (
        f"the lowering rule of {prim.name} is {qualname!r} (code {code_name!r}): write it as "
        f"a module-level def _{prim.name}_lower, so tracebacks and searches find it")


def _family_of_each_primitive() -> dict[Primitive, str]:
    families: dict[Primitive, list[str]] = {}
    for info in pkgutil.iter_modules(P.__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{P.__name__}.{info.name}")
        for value in vars(module).values():
            if isinstance(value, Primitive):
                families.setdefault(value, []).append(info.name)
    return {p: names[0] for p, names in families.items() if len(names) == 1}


@pytest.mark.skipif(not hasattr(P, "__path__"), reason="funcgrad.primitives has no family files")
def test_rule_lives_in_the_family_file_of_its_primitive() -> None:
    families = _family_of_each_primitive()
    misplaced = []
    for prim, rule in lowering_rules.items():
        family = families.get(prim)
        where = rule.__module__.rsplit(".", 1)[-1]
        if family is not None and where != family:
            misplaced.append(f"{prim.name} (primitives/{family}.py, rule in {where}.py)")
    assert not misplaced, "lowering rules outside their family file: " + ", ".join(misplaced)


def test_only_the_lowering_package_writes_the_table() -> None:
    writes = re.compile(r"\blowering_rules\s*(\[[^\]]*\]\s*=|\.(update|setdefault|pop)\()")
    found = []
    for folder in ("funcgrad", "transforms", "xla_backend"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if LOWERING_PACKAGE in path.parents:
                continue
            for n, line in enumerate(path.read_text().splitlines(), start=1):
                if writes.search(line):
                    found.append(f"{path.relative_to(ROOT).as_posix()}:{n}")
    assert not found, ("only xla_backend/lowering/ may register lowering rules; written from "
                       + ", ".join(found))
