"""README.md's examples run: every ```python block, in order, in one namespace.

The README's first block holds the two commands CI and users run; `.ci/run`
must run exactly the test command shown there.
"""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
TEST_COMMAND = 'python -m pip install -e ".[test]" && python -m pytest -n 2 -q'
TOUR_COMMAND = "python -m pip install -e . && python -m funcgrad"


def python_blocks(text: str) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", text, flags=re.S | re.M)


def test_readme_python_blocks_run_in_order() -> None:
    blocks = python_blocks(README.read_text())
    assert len(blocks) >= 5, "README.md should show a tour with runnable ```python blocks"
    namespace: dict[str, object] = {"__name__": "readme"}
    for i, block in enumerate(blocks):
        try:
            exec(compile(block, f"README.md python block {i + 1}", "exec"), namespace)
        except Exception as e:
            raise AssertionError(f"README.md python block {i + 1} raised {e!r}:\n{block}") from e


def test_readme_opens_with_the_tour_and_test_commands() -> None:
    text = README.read_text()
    first_block = re.search(r"^```bash\n(.*?)^```", text, flags=re.S | re.M)
    assert first_block is not None and text.index("```bash") < text.index("## ")
    commands = [line.strip() for line in first_block.group(1).splitlines()
                if line.strip() and not line.lstrip().startswith("#")]
    assert commands == [TOUR_COMMAND, TEST_COMMAND]


def test_ci_runs_exactly_the_readme_test_command() -> None:
    script = (ROOT / ".ci" / "run").read_text()
    lines = [line.strip() for line in script.splitlines()]
    assert "set -euo pipefail" in lines
    # the command itself, or the command with its exit status captured
    assert any(line == TEST_COMMAND or line.startswith(TEST_COMMAND + " || ")
               for line in lines), f".ci/run does not run {TEST_COMMAND!r}"
