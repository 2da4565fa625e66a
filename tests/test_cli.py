"""The CLI: output and exit codes through CliRunner, and one real subprocess run."""

from __future__ import annotations

import json
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


def test_test_runs_the_sample_scenarios(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["test", "-c", str(SAMPLES / "cffunc.toml")], env=ENV)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["scenario", "expected", "got", "status", "ok"]
    assert lines[-1] == "19 scenarios, 19 passed, 0 failed"
    assert "office network passes" in result.stdout


def test_test_mismatch_exits_1_with_json(runner: CliRunner, tmp_path: Path) -> None:
    scenarios = tmp_path / "s.toml"
    scenarios.write_text(
        '[[scenario]]\nname = "wrong"\nip = "192.0.2.1"\npath = "/"\nexpect = "pass"\n'
    )
    result = runner.invoke(
        cli,
        ["-c", str(SAMPLES / "cffunc.toml"), "test", "--scenarios", str(scenarios), "--json",
         "--now", "2026-12-01T03:00:00Z"],
        env=ENV,
    )  # fmt: skip
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert document["passed"] is False
    assert document["scenarios"][0] == {
        "name": "wrong", "expected": "pass", "expected_status": None, "got": "maintenance",
        "status": 503, "ok": False, "error": None,
    }  # fmt: skip


def test_single_event_prints_a_test_function_result(runner: CliRunner) -> None:
    result = runner.invoke(
        cli,
        ["-c", str(SAMPLES / "cffunc.toml"), "test", "--ip", "192.0.2.1", "--path", "/cart",
         "--header", "accept=application/json", "--now", "2026-12-01T03:00:00Z"],
        env=ENV,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert set(document) >= {
        "FunctionOutput", "FunctionExecutionLogs", "FunctionErrorMessage", "ComputeUtilization",
    }  # fmt: skip
    assert document["ComputeUtilizationIsEstimate"] is True
    output = json.loads(document["FunctionOutput"])
    assert output["statusCode"] == 503
    assert json.loads(output["body"]["data"])["error"] == "maintenance"


def test_any_function_file_with_an_event_file_and_kvs(runner: CliRunner, tmp_path: Path) -> None:
    code = tmp_path / "fn.js"
    code.write_text(
        "import cf from 'cloudfront';\n"
        "async function handler(event) {\n"
        "  const mode = await cf.kvs().get('mode');\n"
        "  console.log('mode ' + mode);\n"
        "  event.request.uri = '/' + mode;\n"
        "  return event.request;\n"
        "}\n"
    )
    event = tmp_path / "event.json"
    event.write_text(json.dumps({
        "version": "1.0", "context": {"eventType": "viewer-request"}, "viewer": {"ip": "1.2.3.4"},
        "request": {"method": "GET", "uri": "/", "querystring": {}, "headers": {}, "cookies": {}},
    }))  # fmt: skip
    kvs = tmp_path / "kvs.json"
    kvs.write_text('{"mode": "on"}')
    result = runner.invoke(
        cli,
        ["test", "--code", str(code), "--runtime", "cloudfront-js-2.0", "--event", str(event),
         "--kvs", str(kvs)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert json.loads(document["FunctionOutput"])["uri"] == "/on"
    assert document["FunctionExecutionLogs"] == ["mode on"]


def test_a_function_that_throws_exits_1(runner: CliRunner, tmp_path: Path) -> None:
    code = tmp_path / "fn.js"
    code.write_text("function handler(event) { return event.request.nope.x; }\n")
    result = runner.invoke(
        cli, ["test", "--code", str(code), "--runtime", "cloudfront-js-1.0", "--path", "/"]
    )
    assert result.exit_code == 1
    assert json.loads(result.stdout)["FunctionErrorMessage"].startswith(
        "FunctionExecutionError: TypeError: Cannot read properties of undefined"
    )


def test_code_refused_by_the_runtime_is_one_line_exit_1(runner: CliRunner, tmp_path: Path) -> None:
    code = tmp_path / "fn.js"
    code.write_text("function handler(event) {\n  const r = event.request;\n  return r;\n}\n")
    result = runner.invoke(
        cli, ["test", "--code", str(code), "--runtime", "cloudfront-js-1.0", "--path", "/"]
    )
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: cloudfront-js-1.0 does not support const and let (at line 2, column 3)\n"
    )


def test_code_needs_a_runtime(runner: CliRunner, tmp_path: Path) -> None:
    code = tmp_path / "fn.js"
    code.write_text("function handler(e) { return e.request }\n")
    result = runner.invoke(cli, ["test", "--code", str(code), "--path", "/"])
    assert result.exit_code == 2
    assert "--code needs --runtime" in result.stderr


def test_quickstart_main_job_as_a_subprocess() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "cffunc", "test", "-c", str(SAMPLES / "cffunc.toml")],
        env={**os.environ, **ENV},
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert completed.stdout.splitlines()[-1] == "19 scenarios, 19 passed, 0 failed"
