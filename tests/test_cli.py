"""The CLI: output and exit codes through CliRunner, and one real subprocess run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from cffunc.cli import cli
from cffunc.runtime.features import check_features
from tests.helpers import ENV, SAMPLES

GOLDEN = Path(__file__).parent / "golden"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_render_prints_the_code(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["-c", str(SAMPLES / "cffunc.toml"), "render"], env=ENV)
    assert result.exit_code == 0, result.output
    assert result.stdout == (GOLDEN / "cffunc.js").read_text()


def test_render_writes_a_file_and_prints_stats(runner: CliRunner, tmp_path: Path) -> None:
    target = tmp_path / "function.js"
    result = runner.invoke(
        cli, ["-c", str(SAMPLES / "respond.toml"), "render", "-o", str(target), "--stats"], env=ENV
    )
    assert result.exit_code == 0, result.output
    code = target.read_text()
    check_features(code, "cloudfront-js-1.0")
    lines = result.stdout.splitlines()
    assert lines[0] == "runtime      cloudfront-js-1.0"
    assert (
        lines[1]
        == f"bytes        {len(code.encode()):,} of 10,240 ({len(code.encode()) / 10240:.1%})"
    )
    assert f"wrote {target} ({len(code.encode()):,} bytes)" in result.stderr


def test_config_error_is_one_line_and_exit_1(runner: CliRunner, tmp_path: Path) -> None:
    config = tmp_path / "cffunc.toml"
    config.write_text('[function]\nname = "fn"\n[maintenance]\nmode = "redirect"\n')
    result = runner.invoke(cli, ["-c", str(config), "render"])
    assert result.exit_code == 1
    assert result.stderr == (
        f'Error: {config}: maintenance.mode = "redirect" is not accepted; '
        'use "rewrite" or "respond"\n'
    )
    assert result.stdout == ""


def test_missing_secret_is_exit_1(runner: CliRunner) -> None:
    result = runner.invoke(
        cli, ["-c", str(SAMPLES / "cffunc.toml"), "render"], env={"CFFUNC_BYPASS_SECRET": ""}
    )
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: allow.bypass_secret_env names CFFUNC_BYPASS_SECRET")


def test_usage_error_is_exit_2(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["render", "--nope"])
    assert result.exit_code == 2


def test_default_config_is_cffunc_toml_here(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "cffunc.toml").write_text('[function]\nname = "here"\n')
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(cli, ["render", "--stats"])
    assert result.exit_code == 0, result.output
    assert "cloudfront-js-2.0" in result.stdout


def test_installed_command_renders_end_to_end(tmp_path: Path) -> None:
    target = tmp_path / "out.js"
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "cffunc",
            "-c",
            str(SAMPLES / "cffunc.toml"),
            "render",
            "-o",
            str(target),
        ],
        env={**os.environ, **ENV},
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert target.read_text() == (GOLDEN / "cffunc.js").read_text()
