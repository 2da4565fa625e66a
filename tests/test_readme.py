"""The README's promises: its reference matches --help, and CI runs its test command."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from cffunc.cli import cli
from scripts.update_readme_help import COMMANDS

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def quickstart_commands() -> list[str]:
    section = README.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.+?)\n```", section)


def test_quickstart_has_exactly_two_commands() -> None:
    commands = quickstart_commands()
    assert len(commands) == 2
    assert "pip install ." in commands[0] and "cffunc test -c samples/cffunc.toml" in commands[0]
    assert "pip install '.[test]'" in commands[1] and "pytest" in commands[1]


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    assert quickstart_commands()[1] in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


@pytest.mark.parametrize("args", COMMANDS)
def test_reference_matches_help(args: list[str]) -> None:
    """Refresh with `python scripts/update_readme_help.py`."""
    result = CliRunner().invoke(cli, [*args, "--help"], prog_name="cffunc")
    assert result.exit_code == 0
    command = " ".join(["cffunc", *args, "--help"])
    assert f"$ {command}\n{result.output}```" in README


def test_every_command_is_in_the_reference() -> None:
    import click

    names = {(name,) for name in cli.commands}  # type: ignore[attr-defined]
    group = cli.commands["allow"]  # type: ignore[attr-defined]
    assert isinstance(group, click.Group)
    names |= {("allow", name) for name in group.commands}
    assert names <= {tuple(c) for c in COMMANDS}
