"""The README's promises: short, its Quickstart is what CI runs, its links lead to pages."""

from __future__ import annotations

import re
from pathlib import Path

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


def test_readme_fits_on_a_few_screens() -> None:
    assert len(README.splitlines()) < 250


def test_the_install_command_gives_every_extra_a_user_needs() -> None:
    install = README.split("## Install", 1)[1].split("\n## ", 1)[0]
    assert re.findall(r"```sh\n(.+?)\n```", install) == [
        "python3 -m venv .venv && . .venv/bin/activate && pip install '.[all]'"
    ]


def test_every_link_leads_to_a_page_of_the_site() -> None:
    links = re.findall(r"\]\((docs/[^)#]+)(?:#[^)]*)?\)", README)
    assert len(links) >= 15
    for link in links:
        assert (ROOT / link).is_file(), link
    site = {str(p.relative_to(ROOT)) for p in (ROOT / "docs").rglob("*.md")}
    assert site <= set(links), f"pages the README does not link: {sorted(site - set(links))}"
