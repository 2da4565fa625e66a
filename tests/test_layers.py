"""The pipeline in the folders holds: import-linter's contracts (pyproject.toml) pass, and
they would fail on a back-arrow."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import Processes

ROOT = Path(__file__).resolve().parent.parent


def _lint_imports(
    processes: Processes, cwd: Path, package_parent: Path
) -> subprocess.CompletedProcess[str]:
    """lint-imports, in a child process (import-linter reads the package it lints)."""
    return processes.run(
        [sys.executable, "-c", "import sys; from importlinter.cli import lint_imports_command;"
         " sys.exit(lint_imports_command())", "--no-cache"],
        cwd=cwd,
        env={"PYTHONPATH": str(package_parent), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
    )  # fmt: skip


def test_the_layering_contracts_are_kept(processes: Processes) -> None:
    run = _lint_imports(processes, ROOT, ROOT)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "0 broken" in run.stdout


@pytest.mark.parametrize(
    ("module", "back_arrow"),
    [
        ("function/render.py", "import cffunc.runtime.engine"),  # the function needs no V8
        ("runtime/local_run.py", "import cffunc.deploy.plan"),  # nor the local run AWS
        ("config/load.py", "import cffunc.function.rules"),
        ("emulator/state.py", "import cffunc.deploy.awsclient"),
        ("deploy/plan.py", "import cffunc.emulator.state"),
    ],
)
def test_a_back_arrow_breaks_a_contract(
    tmp_path: Path, module: str, back_arrow: str, processes: Processes
) -> None:
    shutil.copytree(
        ROOT / "cffunc", tmp_path / "cffunc", ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    target = tmp_path / "cffunc" / module
    target.write_text(target.read_text() + f"\n{back_arrow}  # noqa\n")
    run = _lint_imports(processes, tmp_path, tmp_path)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "BROKEN" in run.stdout
