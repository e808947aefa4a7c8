"""mypy checks the installed packages funcgrad, funcgrad.transforms and
funcgrad.xla_backend with pyproject.toml's [tool.mypy] settings, and finds nothing.

mypy cannot see the installed names from the repository: transforms/ and
xla_backend/ sit beside funcgrad/, and the editable install maps them under
funcgrad with an import hook that mypy does not follow. So the test lays out
the installed tree in a temporary folder, a `funcgrad/` of symlinks to the
repository's files, and checks that; mypy's cache goes to the temporary folder
as well, so the repository is left as it was.
"""
from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import mypy  # noqa: F401  (in the `test` extra: a missing mypy is an error, not a skip)
import pytest

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = ROOT / "pyproject.toml"


def _installed_tree(dest: Path) -> Path:
    """`dest/funcgrad` as installed: every entry of the repository's funcgrad/,
    plus each package-dir folder under its subpackage name."""
    package_dir = tomllib.loads(PYPROJECT.read_text())["tool"]["setuptools"]["package-dir"]
    pkg = dest / "funcgrad"
    pkg.mkdir(parents=True)
    for entry in sorted((ROOT / "funcgrad").iterdir()):
        (pkg / entry.name).symlink_to(entry, target_is_directory=entry.is_dir())
    for name, folder in package_dir.items():
        parent, _, sub = name.rpartition(".")
        assert parent == "funcgrad", f"package-dir maps {name}, not a funcgrad subpackage"
        (pkg / sub).symlink_to(ROOT / folder, target_is_directory=True)
    return dest


def test_mypy_finds_no_errors(tmp_path: Path) -> None:
    tree = _installed_tree(tmp_path / "tree")
    cmd = [sys.executable, "-m", "mypy", "--config-file", str(PYPROJECT),
           "--cache-dir", str(tmp_path / "mypy_cache"), "-p", "funcgrad"]
    proc = subprocess.run(cmd, cwd=tree, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        pytest.fail(f"mypy exited with {proc.returncode}:\n{proc.stdout}{proc.stderr}",
                    pytrace=False)
