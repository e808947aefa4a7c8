"""Installing funcgrad puts one top-level name into site-packages, `funcgrad`:
the repository's transforms/ and xla_backend/ folders are installed as
funcgrad.transforms and funcgrad.xla_backend (setuptools package-dir), so they
cannot collide with other distributions' top-level packages."""
from __future__ import annotations

import importlib.metadata
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = {"funcgrad.transforms": "transforms", "funcgrad.xla_backend": "xla_backend"}


def _config() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]


def test_installed_top_level_name_is_funcgrad_alone() -> None:
    dist = importlib.metadata.distribution("funcgrad")
    top = (dist.read_text("top_level.txt") or "").split()
    assert top == ["funcgrad"], top


def test_every_package_folder_is_installed_under_funcgrad() -> None:
    cfg = _config()
    assert cfg["package-dir"] == FOLDERS
    found = set()
    for init in sorted(ROOT.glob("funcgrad/**/__init__.py")):
        found.add(".".join(init.parent.relative_to(ROOT).parts))
    for name, folder in FOLDERS.items():
        for init in sorted((ROOT / folder).glob("**/__init__.py")):
            found.add(".".join([name, *init.parent.relative_to(ROOT / folder).parts]))
    assert set(cfg["packages"]) == found, (
        f"pyproject.toml's [tool.setuptools] packages must list every package: "
        f"missing {sorted(found - set(cfg['packages']))}, "
        f"extra {sorted(set(cfg['packages']) - found)}")


def test_only_funcgrad_is_importable_outside_the_repository(tmp_path: Path) -> None:
    code = ("import importlib.util as u, funcgrad.transforms.jvp, funcgrad.xla_backend.runtime\n"
            "print(u.find_spec('transforms') is None, u.find_spec('xla_backend') is None)\n"
            "import funcgrad.numpy as fnp; print(float(fnp.sin(0.5)))")
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                         text=True, timeout=120, check=True).stdout.split()
    assert out[:2] == ["True", "True"], out
    assert abs(float(out[2]) - 0.479425538604203) < 1e-15
