"""The notebooks under notebooks/ run top to bottom without error, draw their
figures, print nothing to stderr, and are committed without outputs.

Each notebook is one test (so pytest-xdist runs them side by side), executed
by nbclient in a fresh ``python3`` kernel (ipykernel) whose working directory
is the repository root and whose PYTHONPATH puts this checkout first.
"""
from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"
EXPECTED = ["01_quickstart", "02_autodiff_cookbook", "03_vmap_and_ensembles",
            "04_differentiable_simulation", "05_property_based_testing", "06_inside_funcgrad",
            "07_scaling_out"]
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
CELL_TIMEOUT_S = 120


def test_the_notebooks_are_there() -> None:
    assert [p.stem for p in NOTEBOOKS] == EXPECTED


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_committed_notebook_has_no_outputs(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3"
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code, f"{path.name} has no code"
    for i, cell in enumerate(code):
        assert cell.outputs == [], f"{path.name}: code cell {i} has committed outputs"
        assert cell.execution_count is None, f"{path.name}: code cell {i} has an execution count"
    prose = sum(len(c.source.split()) for c in nb.cells if c.cell_type == "markdown")
    assert prose >= 150, f"{path.name}: only {prose} words of prose"
    assert any('matplotlib.use("Agg")' in c.source for c in code), \
        f"{path.name} must select the headless Agg backend"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]))
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=CELL_TIMEOUT_S, kernel_name="python3",
                            resources={"metadata": {"path": str(ROOT)}})
    client.execute()     # raises CellExecutionError, naming the cell, on any error
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    stderr = [o.text for o in outputs if o.output_type == "stream" and o.name == "stderr"]
    assert not stderr, f"{path.name} wrote to stderr:\n" + "\n".join(stderr)
    figures = [o for o in outputs if o.output_type in ("display_data", "execute_result")
               and "image/png" in o.get("data", {})]
    assert figures, f"{path.name} drew no figure"
