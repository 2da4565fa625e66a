"""`cffunc init`: starter files that pass `cffunc test` as written, and a release script
whose trap takes the site out of maintenance when the migration fails (run with bash
against the local API)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from cffunc.cli import cli
from cffunc.emulator.server import RunningEmulator
from tests.helpers import Processes, local_aws_env, process_env
from tests.test_deploy import SEED

DIST = "E2EXAMPLE12345"


def test_init_writes_files_that_pass_their_own_test(tmp_path: Path) -> None:
    runner = CliRunner()
    made = runner.invoke(cli, ["init", "--dir", str(tmp_path), "--distribution", DIST])
    assert made.exit_code == 0, made.output
    assert [line.split()[0] for line in made.stdout.splitlines()] == ["wrote"] * 4
    assert os.access(tmp_path / "release.sh", os.X_OK)
    tested = runner.invoke(cli, ["-c", str(tmp_path / "cffunc.toml"), "test"])
    assert tested.exit_code == 0, tested.output
    assert tested.stdout.splitlines()[-1] == "5 scenarios, 5 passed, 0 failed"
    (tmp_path / "cffunc.toml").write_text("edited")
    again = runner.invoke(cli, ["init", "--dir", str(tmp_path)])
    assert f"kept (exists; --force overwrites) {tmp_path / 'cffunc.toml'}" in again.stdout
    assert (tmp_path / "cffunc.toml").read_text() == "edited"
    bad = runner.invoke(cli, ["init", "--dir", str(tmp_path), "--name", "no spaces"])
    assert bad.exit_code == 1 and "--name 'no spaces'" in bad.output


@pytest.mark.parametrize("window", [False, True])
@pytest.mark.parametrize("clock", ["2036-06-01T12:00:00Z", "2020-01-01T00:00:00Z"])
def test_the_starter_scenarios_pass_whatever_the_clock(
    tmp_path: Path, window: bool, clock: str
) -> None:
    """The scenarios pin their own time, inside the window cffunc.toml shows commented
    out: they pass years after that window (and before it), with the window as written
    or switched on."""
    runner = CliRunner()
    assert runner.invoke(cli, ["init", "--dir", str(tmp_path)]).exit_code == 0
    config = tmp_path / "cffunc.toml"
    if window:
        text = config.read_text()
        config.write_text(text.replace("# start = ", "start = ").replace("# end = ", "end = "))
        assert "\nstart = " in config.read_text() and "\nend = " in config.read_text()
    tested = runner.invoke(cli, ["-c", str(config), "test", "--now", clock])
    assert tested.exit_code == 0, tested.output
    assert tested.stdout.splitlines()[-1] == "5 scenarios, 5 passed, 0 failed"


def test_missing_config_points_at_init(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["-c", str(tmp_path / "none.toml"), "render"])
    assert result.exit_code == 1
    assert "`cffunc init` writes a starter one here, or pass -c PATH" in result.output


@pytest.mark.parametrize(("migration", "code"), [("true", 0), ("false", 1)])
def test_release_script_disables_on_success_and_on_failure(
    emulator: RunningEmulator, processes: Processes, tmp_path: Path, migration: str, code: int
) -> None:
    CliRunner().invoke(cli, ["init", "--dir", str(tmp_path), "--distribution", DIST])
    config = tmp_path / "cffunc.toml"
    config.write_text(config.read_text().replace('# behaviors = ["*"]', 'behaviors = ["*"]'))
    env = process_env({
        **local_aws_env(emulator.endpoint), "MIGRATION": migration,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    })  # fmt: skip
    run = processes.run(
        ["bash", str(tmp_path / "release.sh")], env=env, capture_output=True, text=True
    )
    after = emulator.app.state.distributions[DIST].config
    calls = list(emulator.app.calls)
    assert run.returncode == code, run.stderr
    assert "done: associate site-maintenance with" in run.stdout
    assert "done: remove site-maintenance from" in run.stdout  # the trap, either way
    assert after == SEED[0]["DistributionConfig"]
    assert calls.count("UpdateDistribution") == 2
