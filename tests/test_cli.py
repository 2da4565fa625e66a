"""The CLI: output and exit codes through CliRunner, and one real subprocess run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from cffunc.cli import cli
from cffunc.function.features import check_features
from tests.helpers import ENV, SAMPLES, Processes

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


def test_installed_command_renders_end_to_end(tmp_path: Path, processes: Processes) -> None:
    target = tmp_path / "out.js"
    completed = processes.run(
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
        "status": 503, "ok": False, "error": None, "uri": "/maintenance/index.html",
        "origin_headers": {"x-cffunc-maintenance": "1"},
        "headers": {"content-type": "text/html", "cache-control": "no-store", "retry-after": "3600"},
        "origin": {"method": "selectRequestOriginById", "arguments": ["maintenance-bucket"]},
        "mismatches": ["expected pass, got maintenance"],
    }  # fmt: skip


def test_single_event_prints_a_test_function_result(runner: CliRunner) -> None:
    result = runner.invoke(
        cli,
        ["-c", str(SAMPLES / "cffunc.toml"), "test", "--ip", "192.0.2.1", "--path", "/cart",
         "--header", "accept=application/json", "--now", "2026-12-01T03:00:00Z", "--json"],
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


@pytest.mark.usefixtures("processes")  # --code runs in a child process
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
         "--kvs", str(kvs), "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert json.loads(document["FunctionOutput"])["uri"] == "/on"
    assert document["FunctionExecutionLogs"] == ["mode on"]


@pytest.mark.parametrize(
    ("setting", "status"), [("", None), ('store_unreadable = "maintenance"\n', 503)]
)
def test_kvs_unreadable_plays_a_store_the_edge_cannot_read(
    runner: CliRunner, tmp_path: Path, setting: str, status: int | None
) -> None:
    """`test --kvs-unreadable`: every read fails; the function answers as
    maintenance.store_unreadable says (default: the request goes on), never an error."""
    config = tmp_path / "kvs.toml"
    config.write_text(
        (SAMPLES / "kvs.toml").read_text().replace('toggle = "kvs"\n', 'toggle = "kvs"\n' + setting)
    )
    args = ["-c", str(config), "test", "--kvs-unreadable", "--ip", "192.0.2.1", "--path", "/x"]
    result = runner.invoke(cli, [*args, "--header", "accept=application/json", "--json"], env=ENV)
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert json.loads(document["FunctionOutput"]).get("statusCode") == status
    assert document["FunctionExecutionLogs"][0].startswith(
        "cffunc: maintenance state unreadable, so "
    )
    refused = runner.invoke(
        cli,
        [
            "test",
            "--kvs-unreadable",
            "--code",
            str(config),
            "--runtime",
            "cloudfront-js-2.0",
            "--path",
            "/",
        ],
    )
    assert (
        refused.exit_code == 2 and "--kvs-unreadable runs cffunc's own function" in refused.stderr
    )


@pytest.mark.usefixtures("processes")  # --code runs in a child process
def test_a_function_that_throws_exits_1(runner: CliRunner, tmp_path: Path) -> None:
    code = tmp_path / "fn.js"
    code.write_text("function handler(event) { return event.request.nope.x; }\n")
    args = ["test", "--code", str(code), "--runtime", "cloudfront-js-1.0", "--path", "/"]
    result = runner.invoke(cli, [*args, "--json"])
    assert result.exit_code == 1
    assert json.loads(result.stdout)["FunctionErrorMessage"].startswith(
        "FunctionExecutionError: TypeError: Cannot read properties of undefined"
    )
    readable = runner.invoke(cli, args)
    assert readable.exit_code == 1
    assert readable.stdout.startswith(
        "GET / from 198.51.100.1: 503 FunctionExecutionError: TypeError: Cannot read properties"
    )


@pytest.mark.usefixtures("processes")  # --code runs in a child process
def test_a_result_the_edge_refuses_is_a_502(runner: CliRunner, tmp_path: Path) -> None:
    code = tmp_path / "fn.js"
    code.write_text(
        "function handler(event) { event.request.headers['x-forwarded-proto'] = {value: 'https'};"
        " return event.request; }\n"
    )
    args = ["test", "--code", str(code), "--runtime", "cloudfront-js-1.0", "--path", "/"]
    readable = runner.invoke(cli, args)
    assert readable.exit_code == 1
    assert readable.stdout.startswith(
        "GET / from 198.51.100.1: 502 FunctionValidationError: invalid result: request.headers:"
        " the function may not add or change 'x-forwarded-proto'"
    )


@pytest.mark.usefixtures("processes")  # --code runs in a child process
def test_code_refused_by_the_runtime_is_one_line_exit_1(runner: CliRunner, tmp_path: Path) -> None:
    code = tmp_path / "fn.js"
    code.write_text("function handler(event) {\n  const r = event.request;\n  return r;\n}\n")
    args = ["test", "-q", "--code", str(code), "--runtime", "cloudfront-js-1.0", "--path", "/"]
    result = runner.invoke(cli, args)
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


def test_quickstart_main_job_as_a_subprocess(processes: Processes) -> None:
    completed = processes.run(
        [sys.executable, "-m", "cffunc", "test", "-c", str(SAMPLES / "cffunc.toml")],
        env={**os.environ, **ENV},
        capture_output=True,
        text=True,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert completed.stdout.splitlines()[-1] == "19 scenarios, 19 passed, 0 failed"


# ---- --with: composition with a function already on the slot ----

FOREIGN = SAMPLES / "foreign"


@pytest.mark.parametrize(
    ("function", "scenarios"),
    [
        ("spa-rewrite.js", "composed-scenarios.toml"),
        ("security-headers.js", "headers-scenarios.toml"),
    ],
)
@pytest.mark.usefixtures("processes")  # --with runs in a child process
def test_test_with_checks_what_the_foreign_function_did(
    runner: CliRunner, function: str, scenarios: str
) -> None:
    result = runner.invoke(
        cli,
        ["-c", str(SAMPLES / "cffunc.toml"), "test", "--with", str(FOREIGN / function),
         "--scenarios", str(SAMPLES / scenarios)],
        env=ENV,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert " 0 failed" in result.stdout


@pytest.mark.usefixtures("processes")  # --with runs in a child process
def test_expect_uri_and_headers_say_what_differs(runner: CliRunner, tmp_path: Path) -> None:
    scenarios = tmp_path / "s.toml"
    scenarios.write_text(
        '[[scenario]]\nname = "spa"\nip = "203.0.113.9"\npath = "/shop"\nexpect = "pass"\n'
        'expect_uri = "/shop"\nexpect_headers = { "X-Frame-Options" = "DENY" }\n'
        'now = "2026-12-01T03:00:00Z"\n'
    )
    result = runner.invoke(
        cli,
        ["-c", str(SAMPLES / "cffunc.toml"), "test", "--with", str(FOREIGN / "spa-rewrite.js"),
         "--scenarios", str(scenarios), "--json"],
        env=ENV,
    )  # fmt: skip
    assert result.exit_code == 1
    [outcome] = json.loads(result.stdout)["scenarios"]
    assert outcome["got"] == "pass" and outcome["uri"] == "/index.html"
    assert outcome["mismatches"] == [
        "expected uri /shop, got /index.html",
        "expected header x-frame-options: DENY, got None",
    ]
    table = runner.invoke(
        cli,
        ["-c", str(SAMPLES / "cffunc.toml"), "test", "--with", str(FOREIGN / "spa-rewrite.js"),
         "--scenarios", str(scenarios)],
        env=ENV,
    )  # fmt: skip
    assert "  expected uri /shop, got /index.html" in table.stdout


def test_render_with_prints_the_composition_and_its_budget(runner: CliRunner) -> None:
    args = ["-c", str(SAMPLES / "cffunc.toml"), "render", "--with", str(FOREIGN / "spa-rewrite.js")]
    code = runner.invoke(cli, args, env=ENV)
    assert code.exit_code == 0
    # Every import under the composition's own name; then the foreign code in C$F.
    assert code.stdout.startswith(
        "import C$0 from 'cloudfront';\nimport C$1 from 'crypto';\nfunction C$F(){"
    )
    assert "    request.uri = '/index.html';" in code.stdout  # the foreign code, verbatim
    stats = runner.invoke(cli, [*args, "--stats"], env=ENV)
    lines = stats.stdout.splitlines()
    assert lines[0].split() == ["runtime", "cloudfront-js-2.0"]
    assert lines[3].split() == ["spa-rewrite", "342", "(cloudfront-js-1.0)"]
    assert lines[4].split()[0] == "composition"


def test_with_refusals_and_usage(runner: CliRunner) -> None:
    config = ["-c", str(SAMPLES / "cffunc.toml")]
    refused = runner.invoke(
        cli, [*config, "render", "--with", str(FOREIGN / "legacy-bytes.js")], env=ENV
    )
    assert refused.exit_code == 1
    assert refused.output.startswith(
        "Error: foreign function legacy-bytes (cloudfront-js-1.0): uses bytesFrom"
    )
    assert len(refused.output.strip().splitlines()) == 1
    for command in ("render", "serve"):
        usage = runner.invoke(
            cli, [*config, command, "--with-runtime", "cloudfront-js-1.0"], env=ENV
        )
        assert (
            usage.exit_code == 2
            and "--with-runtime and --with-event go with --with FILE" in usage.output
        ), command
    both = runner.invoke(
        cli,
        [*config, "test", "--with", str(FOREIGN / "spa-rewrite.js"), "--code",
         str(FOREIGN / "spa-rewrite.js"), "--runtime", "cloudfront-js-1.0", "--ip", "1.2.3.4"],
        env=ENV,
    )  # fmt: skip
    assert both.exit_code == 2


@pytest.mark.usefixtures("processes")  # --with runs in a child process
def test_test_with_single_events(runner: CliRunner) -> None:
    result = runner.invoke(
        cli,
        ["-c", str(SAMPLES / "cffunc.toml"), "test", "--with", str(FOREIGN / "redirects.js"),
         "--ip", "203.0.113.9", "--path", "/old-shop", "--now", "2026-12-01T03:00:00Z", "--json"],
        env=ENV,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    output = json.loads(json.loads(result.stdout)["FunctionOutput"])
    assert output["statusCode"] == 301 and output["headers"]["location"] == {"value": "/shop"}


def test_expect_body_checks_the_generated_answer(runner: CliRunner, tmp_path: Path) -> None:
    scenarios = tmp_path / "s.toml"
    scenarios.write_text(
        '[[scenario]]\nname = "json"\nip = "192.0.2.1"\npath = "/api"\nexpect = "maintenance"\n'
        'headers = { accept = "application/json" }\nnow = "2026-12-01T03:00:00Z"\n'
        'expect_body = \'"error":"maintenance"\'\n\n'
        '[[scenario]]\nname = "wrong"\nip = "192.0.2.1"\npath = "/api"\nexpect = "maintenance"\n'
        'headers = { accept = "application/json" }\nnow = "2026-12-01T03:00:00Z"\n'
        'expect_body = "gone fishing"\n'
    )
    result = runner.invoke(
        cli, ["-c", str(SAMPLES / "cffunc.toml"), "test", "--scenarios", str(scenarios)], env=ENV
    )
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[1].endswith("ok") and lines[2].endswith("FAIL")
    assert lines[3].strip().startswith("expected body containing 'gone fishing', got ")


def test_single_events_read_as_one_line_each(runner: CliRunner, tmp_path: Path) -> None:
    config = ["-c", str(SAMPLES / "cffunc.toml"), "test", "--now", "2026-12-01T03:00:00Z"]
    cases = [
        (["--ip", "2001:db8::7", "--path", "/checkout?step=2"],
         "GET /checkout?step=2 from 2001:db8::7: goes on unchanged"),
        (["--ip", "192.0.2.1", "--path", "/cart", "--header", "accept=application/json"],
         "GET /cart from 192.0.2.1: 503 Service Unavailable, JSON; cache-control: no-store, retry-after: 3600"),
        (["--ip", "192.0.2.1", "--path", "/cart"],
         "GET /cart from 192.0.2.1: goes on as /maintenance/index.html, the maintenance rewrite\n"
         '  origin: cf.selectRequestOriginById("maintenance-bucket")'),
        (["--ip", "192.0.2.1", "--path", "/__cffunc/bypass?token=" + ENV["CFFUNC_BYPASS_SECRET"]],
         "GET /__cffunc/bypass?token=*** from 192.0.2.1: 302 Found; location: /, cache-control: no-store; set-cookie cffunc_bypass"),
    ]  # fmt: skip
    for args, line in cases:
        result = runner.invoke(cli, [*config, *args], env=ENV)
        assert result.exit_code == 0, result.output
        assert result.stdout == line + "\n"


RUNAWAY = """async function handler(event) {
  await null;
  /^(a+)+$/.test('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!');
  return event.request;
}
"""
HUNGRY = """async function handler(event) {
  await null;
  var a = new Uint8Array(1024 * 1024 * 1024); a.fill(1);
  var b = new Uint8Array(1024 * 1024 * 1024); b.fill(2);
  return event.request;
}
"""


@pytest.mark.parametrize(
    ("source", "limits", "words"),
    [
        (RUNAWAY, ["--time-limit", "1.5"], "Error: the function ran past 1.5 s"),
        (HUNGRY, ["--memory-limit", "256"], "over the 256 MB limit, and was stopped"),
    ],
)
@pytest.mark.usefixtures("processes")
def test_someone_elses_code_is_bounded_in_time_and_memory(
    runner: CliRunner, tmp_path: Path, source: str, limits: list[str], words: str
) -> None:
    """Past the watchdog's reach (CPU after an await, memory outside the V8 heap), the
    child process that runs --code is stopped: one line, exit 1, no hang."""
    code = tmp_path / "fn.js"
    code.write_text(source)
    args = ["test", "--code", str(code), "--runtime", "cloudfront-js-2.0", "--path", "/", *limits]
    result = runner.invoke(cli, ["-q", *args])  # no progress line: the error alone
    assert result.exit_code == 1
    assert words in result.output and result.output.startswith("Error: the function ")
    assert len(result.output.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("options", "what"),
    [
        (["--code", "{code}", "--runtime", "cloudfront-js-2.0"], "{code}"),
        (["-c", str(SAMPLES / "cffunc.toml"), "--with", "{code}", "--ip", "203.0.113.9"],
         "{code} composed with cffunc's function"),
    ],
)  # fmt: skip
def test_ctrl_c_stops_a_runaway_run(
    tmp_path: Path, processes: Processes, options: list[str], what: str
) -> None:
    code = tmp_path / "fn.js"
    code.write_text(RUNAWAY)
    given = [option.format(code=code) for option in options]
    process = processes.popen(
        [sys.executable, "-m", "cffunc", "test", *given, "--path", "/", "--time-limit", "60"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, **ENV},
    )  # fmt: skip
    assert process.stderr is not None
    # The line says the child runs: the command's signal handlers are in place by then.
    started = process.stderr.readline()
    assert started.startswith(f"running {what.format(code=code)} in a child process"), started
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130
    assert err.splitlines() == ["interrupted (SIGINT) before any write: nothing was changed"]


def test_serve_refuses_a_bad_config_in_one_line(runner: CliRunner, tmp_path: Path) -> None:
    bad = tmp_path / "cffunc.toml"
    bad.write_text('[function]\nname = "x y"\n')
    result = runner.invoke(cli, ["-c", str(bad), "serve", "--port", "0"])
    assert result.exit_code == 1
    assert len(result.stderr.strip().splitlines()) == 1 and "function.name" in result.stderr
