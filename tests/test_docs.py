"""The documentation site stays true: it builds strictly, its command line reference covers
every command and option, its terminal sessions still print what they show, and its config
and scenario references list exactly the keys (and defaults) the loaders accept."""

from __future__ import annotations

import html
import importlib
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import click
import pytest

from cffunc.config.load import Config, parse_config
from cffunc.errors import ConfigError
from cffunc.runtime.scenarios import load_scenarios
from scripts import doc_sessions
from scripts.doc_sessions import Session, matches
from tests.helpers import Processes

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
SESSIONS = doc_sessions.sessions()


# ---- the site ----


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    built = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out),
         "--config-file", str(ROOT / "mkdocs.yml")],
        cwd=ROOT, capture_output=True, text=True, check=False,
        env={"NO_MKDOCS_2_WARNING": "1", "PATH": str(Path(sys.executable).parent)},
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    return out


def documented_group() -> click.Group:
    """The click group that docs/reference/cli.md hands to mkdocs-click."""
    page = (DOCS / "reference" / "cli.md").read_text(encoding="utf-8")
    module = re.search(r":module: (\S+)", page)
    command = re.search(r":command: (\S+)", page)
    assert module and command
    group = getattr(importlib.import_module(module.group(1)), command.group(1))
    assert isinstance(group, click.Group)
    return group


def commands(
    group: click.Group, path: tuple[str, ...] = ()
) -> list[tuple[tuple[str, ...], click.Command]]:
    found: list[tuple[tuple[str, ...], click.Command]] = [(path, group)]
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            found += commands(command, (*path, name))
        else:
            found.append(((*path, name), command))
    return found


@pytest.mark.usefixtures("processes")  # the site is built by mkdocs, a subprocess
def test_the_site_builds_strictly_and_works_offline(site: Path) -> None:
    pages = list(site.rglob("*.html"))
    assert len(pages) >= 20
    for page in pages:
        text = page.read_text(encoding="utf-8")
        # No font, script or stylesheet from a CDN: the site reads offline.
        assert not re.search(r"""(?:src|href)=["']https?://[^"']+\.(?:js|css|woff2?)""", text), page
        assert "fonts.googleapis" not in text, page


@pytest.mark.usefixtures("processes")
def test_the_cli_reference_covers_every_command_and_option(site: Path) -> None:
    text = (site / "reference" / "cli" / "index.html").read_text(encoding="utf-8")
    group = documented_group()
    for path, command in commands(group):
        anchor = "-".join(("cffunc", *path))
        start = text.index(f'id="{anchor}"')
        end = text.find("<h", text.index("</h", start) + 3)
        section = html.unescape(re.sub(r"<[^>]+>", "", text[start : end if end > 0 else None]))
        ctx = click.Context(command, info_name=" ".join(("cffunc", *path)))
        for param in command.get_params(ctx):
            record = param.get_help_record(ctx)
            if isinstance(param, click.Option) and not param.hidden:
                assert record is not None and record[0] in section, (path, record)
            if isinstance(param, click.Argument):
                assert param.make_metavar(ctx) in section, (path, param.name)


def test_the_documented_group_is_the_command_users_run(processes: Processes) -> None:
    ran = processes.run([sys.executable, "-m", "cffunc", "--help"], capture_output=True, text=True)
    assert ran.returncode == 0, ran.stderr
    shown = ran.stdout
    listed = set(re.findall(r"^  ([a-z-]+)  ", shown.split("Commands:", 1)[1], re.M))
    assert listed == set(documented_group().commands)


# ---- terminal sessions ----


def test_every_console_block_is_run_or_says_why_not() -> None:
    for block in doc_sessions.console_blocks():
        assert block.marked is not None, (
            f"{block.name}: mark it <!-- session: ... --> to run it, or "
            "<!-- not run: <why> --> (see scripts/doc_sessions.py)"
        )
        if block.marked == "not run":
            assert block.args, f"{block.name}: say why it is not run"
        else:
            block.options()  # an unknown option fails here, not at run time
    assert len(SESSIONS) >= 20


@pytest.mark.usefixtures("processes")  # the sessions run the CLI and the local API
@pytest.mark.parametrize("session", SESSIONS, ids=[s.name for s in SESSIONS])
def test_session_prints_what_the_page_shows(session: Session) -> None:
    wrong = doc_sessions.mismatches(session)
    assert not wrong, (
        "".join(
            f"\n$ {command}\n--- the page shows\n{shown}--- it prints\n{got}"
            for command, shown, got in wrong
        )
        + "\n(python scripts/doc_sessions.py --update writes the real output into the page)"
    )


@pytest.mark.parametrize(
    ("shown", "got", "fits"),
    [
        ("a\nb\n", "a\nb\n", True),
        ("a\nb\n", "a\nc\n", False),
        ("a  \n", "a\n", True),
        ("a\n...\nz\n", "a\nz\n", True),
        ("a\n...\nz\n", "a\nb\nc\nz\n", True),
        ("a\n...\nz\n", "a\nb\n", False),
        ('"x": "...",\n', '"x": "17",\n', True),
        ('"x": "...",\n', '"x": "17"\n', False),
        ("a\n", "a\nb\n", False),
        ("", "", True),
    ],
)
def test_ellipsis_matching(shown: str, got: str, fits: bool) -> None:
    assert matches(shown, got) is fits


# ---- the config and scenario references against their loaders ----

BASE: dict[str, Any] = {"function": {"name": "docs-check"}}
TYPES = {
    "string": str, "integer": int, "boolean": bool, "list of strings": list,
    "time": None, "integer or time": None, "table of strings": dict, "table or string": None,
}  # fmt: skip


def table_rows(page: str) -> list[list[str]]:
    text = (DOCS / "reference" / page).read_text(encoding="utf-8")
    rows = []
    for line in text.splitlines():
        if line.startswith("| `"):
            rows.append([cell.strip() for cell in line.strip().strip("|").split(" | ")])
    return rows


def config(data: dict[str, Any]) -> Config:
    return parse_config(data, ROOT / "samples" / "cffunc.toml")


def loader_keys(table: str) -> set[str]:
    """The keys the loader accepts in ``table``, as its unknown-key error lists them."""
    data: dict[str, Any] = dict(BASE)
    if table == "distributions":
        data["distributions"] = [{"no_such_key": 1}]
    else:
        data[table] = {**data.get(table, {}), "no_such_key": 1}
    with pytest.raises(ConfigError) as error:
        config(data)
    listed = re.search(r"keys accepted in \[.*?\]: (.+)$", str(error.value))
    assert listed, str(error.value)
    return {f"{table}.{key}" for key in listed.group(1).split(", ")}


def test_the_config_reference_lists_every_key_the_loader_accepts() -> None:
    documented = {row[0].strip("`") for row in table_rows("config.md")}
    accepted = set().union(
        *(loader_keys(t) for t in ("function", "maintenance", "allow", "distributions", "test"))
    )
    assert documented == accepted


def test_the_config_reference_defaults_are_the_loaders() -> None:
    plain = config(BASE)
    checked = 0
    for key, kind, default, _ in table_rows("config.md"):
        assert kind in TYPES, f"{key}: type {kind!r}"
        table, name = key.strip("`").split(".")
        if default.startswith("`"):
            value = tomllib.loads(f"v = {default.strip('`')}")["v"]
            expected_type = TYPES[kind]
            assert expected_type is not None and type(value) is expected_type, key
            data = {**BASE, table: {**BASE.get(table, {}), name: value}}
            assert config(data) == plain, f"{key}: the loader's default is not {default}"
            checked += 1
        elif default == "none" and table != "distributions":
            assert getattr(getattr(plain, table), name) is None, key
            checked += 1
    assert checked >= 20


def test_the_scenario_reference_lists_every_key_and_cookie_kind(tmp_path: Path) -> None:
    documented = {row[0].strip("`"): row for row in table_rows("scenarios.md")}
    path = tmp_path / "s.toml"
    path.write_text("[[scenario]]\nno_such_key = 1\n", encoding="utf-8")
    with pytest.raises(ConfigError) as error:
        load_scenarios(path)
    accepted = str(error.value).split("accepted: ", 1)[1].split(", ")
    assert set(documented) == set(accepted)
    for row in documented.values():
        assert row[1] in TYPES, row
    path.write_text(
        '[[scenario]]\nname = "n"\nip = "192.0.2.1"\nexpect = "pass"\nbypass_cookie = "x"\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as error:
        load_scenarios(path)
    kinds = str(error.value).split("use one of ", 1)[1].split(", ")
    for kind in kinds:
        assert f'`"{kind}"`' in documented["bypass_cookie"][3], kind


# ---- the extras the install pages name ----


def test_the_all_extra_is_every_feature_extra_and_test_has_them_and_the_docs() -> None:
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "optional-dependencies"
    ]
    features = ("emulator", "kvs", "report", "parquet", "dask")
    assert set(extras["all"]) == {req for name in features for req in extras[name]}
    assert set(extras["all"]) | set(extras["docs"]) <= set(extras["test"])
    install = (DOCS / "install.md").read_text(encoding="utf-8")
    for name in (*features, "all", "docs", "test"):
        assert f"| `{name}` |" in install, name
