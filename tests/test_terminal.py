"""Text from elsewhere reaches the terminal with its control characters shown as
escapes: a URI from a log or a command line, a function's log lines, a reason from the
store, a foreign function's name, a scenario's name, an error that echoes its input. The
``--json`` documents keep the text exact.

The payload sets the window title (OSC 0), writes the clipboard (OSC 52), rings the bell,
uses a C1 control sequence introducer and turns the text right to left (U+202E)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from benchmarks.loggen import write_log
from cffunc.cli import cli, output
from cffunc.deploy.apply import Incomplete, Report
from cffunc.deploy.plan import Plan
from cffunc.deploy.toggles import Preview
from cffunc.function.compose import ComposedFunction, ForeignFunction
from cffunc.replay.run import ReplaySummary, format_summary
from cffunc.runtime.local_run import ScenarioResult
from cffunc.runtime.scenarios import Scenario
from cffunc.terminal import CONTROL, shown
from tests.helpers import ENV, SAMPLES
from tests.test_replay import generated

PAYLOAD = "\x1b]0;PWNED\x07\x1b]52;c;aGk=\x07\x9b31m\u202etxt.exe\x7f"
SEEN = "\\x1b]0;PWNED\\x07\\x1b]52;c;aGk=\\x07\\x9b31m\\u202etxt.exe\\x7f"
"""The payload as a terminal must show it."""


def raw_controls(text: str) -> list[str]:
    """The control characters in ``text`` other than line breaks."""
    return [c for c in CONTROL.findall(text) if c != "\n"]


def test_shown_escapes_every_control_and_keeps_what_it_is_told() -> None:
    assert shown(PAYLOAD) == SEEN
    assert shown("a\nb\tc") == "a\\x0ab\\x09c"
    assert shown("a\nb\tc", keep="\n") == "a\nb\\x09c"
    assert (
        shown("caf\u00e9 \u00fcber \u4e2d\u6587 \U0001f600")
        == "caf\u00e9 \u00fcber \u4e2d\u6587 \U0001f600"
    )
    every = "".join(chr(c) for c in [*range(0x20), *range(0x7F, 0xA0)])
    assert raw_controls(shown(every)) == [] and "\n" not in shown(every)
    for mark in "\u061c\u200e\u200f\u2028\u2029\u202a\u202b\u202c\u202d\u202e\u2066\u2069":
        assert shown(mark) == f"\\u{ord(mark):04x}"


def test_every_human_formatter_shows_foreign_text_escaped() -> None:
    scenario = Scenario(name=PAYLOAD, ip="192.0.2.1", path="/", method="GET", expect="pass")
    result = ScenarioResult(scenario, "maintenance", 503, error=PAYLOAD, uri="/" + PAYLOAD)
    event: dict[str, Any] = {
        "viewer": {"ip": "192.0.2.1"},
        "request": {
            "method": "GET",
            "uri": "/" + PAYLOAD,
            "querystring": {"q": {"value": PAYLOAD}},
        },
    }
    answer = {"statusCode": 302, "headers": {"location": {"value": PAYLOAD}}}
    results: list[dict[str, Any]] = [
        {"FunctionOutput": json.dumps(answer), "FunctionExecutionLogs": [PAYLOAD]},
        {"FunctionOutput": json.dumps({**event["request"], "uri": PAYLOAD})},
        {"FunctionErrorMessage": f"FunctionExecutionError: {PAYLOAD}"},
    ]
    foreign = ForeignFunction(PAYLOAD, "cloudfront-js-2.0", "function handler(e) {}")
    composed = ComposedFunction("x", "cloudfront-js-2.0", "code", "c", foreign, 1, 1)
    status_document: dict[str, Any] = {
        "store": {
            "name": PAYLOAD, "exists": True, "describe": PAYLOAD, "networks": 0, "state": "on",
            "scopes": [{"host": PAYLOAD, "describe": PAYLOAD, "active": True}],
        },
        "function": {
            "name": PAYLOAD, "development_etag": "E1", "live_etag": None, "published": True,
            "live_matches_local": None, "render_error": PAYLOAD,
        },
        "compositions": [{"name": PAYLOAD, "foreign": PAYLOAD, "foreign_exists": False}],
        "distributions": [{
            "label": PAYLOAD, "status": PAYLOAD, "associated": "all", "maintenance": "on",
            "behaviors": [{"path": PAYLOAD, "functions": [{"event": "e", "function": PAYLOAD}],
                           "lambdas": [{"event": "e", "function": PAYLOAD}]}],
        }],
        "maintenance": "on",
    }  # fmt: skip
    plan = Plan(notes=(PAYLOAD,))
    report = Report(done=[PAYLOAD])
    stop = Incomplete(report, RuntimeError(PAYLOAD), [PAYLOAD], [PAYLOAD])
    stop.state, stop.undo, stop.again = status_document, "u", "a"
    texts = {
        "scenarios": output.scenarios([result]),
        "event_results": output.event_results([event] * 3, results),
        "composition_stats": output.composition_stats(composed),
        "status": output.status(status_document),
        "preview": output.preview(Preview(PAYLOAD, plan, PAYLOAD)),
        "done": "\n".join(output.done_lines(report)),
        "state_line": output.state_line(PAYLOAD),
        "stopped_lines": "\n".join(output.stopped_lines(stop)),
    }
    for name, text in texts.items():
        assert raw_controls(text) == [], name
        assert SEEN in text, name


def test_replay_summary_shows_logged_uris_escaped(tmp_path: Path) -> None:
    """The issue's `/%1B]0;PWNED%07`, percent-decoded from the log as CloudFront encodes
    it, in the text summary and the malformed lines' file name; exact in --json."""
    from dataclasses import replace

    logged = [replace(r, uri="/\x1b]0;PWNED\x07") for r in generated(20)]
    folder = tmp_path / "\x1b]0;logs\x07"
    folder.mkdir()
    log = folder / "access.log"
    with log.open("w", encoding="utf-8") as handle:
        write_log(handle, logged)
    with log.open("a", encoding="utf-8") as handle:
        handle.write("bad\tline\n")
    runner = CliRunner()
    args = ["-c", str(SAMPLES / "cffunc.toml"), "replay", "--jobs", "1"]
    args += ["--now", "2026-12-01T03:00:00Z"]
    text = runner.invoke(cli, [*args, str(log)], env=ENV)
    assert text.exit_code == 0, text.output
    assert raw_controls(text.stdout) == []
    assert (
        "/\\x1b]0;PWNED\\x07 (" in text.stdout and "\\x1b]0;logs\\x07/access.log:23" in text.stdout
    )
    document = runner.invoke(cli, [*args, "--json", str(log)], env=ENV)
    top = json.loads(document.stdout)["classes"]["maintenance"]["top_paths"]
    assert "/\x1b]0;PWNED\x07" in [path for path, _ in top]
    summary = ReplaySummary()
    summary.errors.append(PAYLOAD)
    summary.scopes[PAYLOAD] += 1
    assert raw_controls(format_summary(summary)) == []


def test_cli_test_shows_the_uri_escaped_and_json_keeps_it(tmp_path: Path) -> None:
    runner = CliRunner()
    args = ["-c", str(SAMPLES / "cffunc.toml"), "test", "--ip", "203.0.113.9"]
    args += ["--path", "/\x1b]0;PWNED\x07", "--now", "2026-12-01T03:00:00Z"]
    text = runner.invoke(cli, args, env=ENV)
    assert text.exit_code == 0, text.output
    assert raw_controls(text.stdout) == []
    assert text.stdout.startswith("GET /\\x1b]0;PWNED\\x07 from 203.0.113.9: goes on")
    document = json.loads(runner.invoke(cli, [*args, "--json"], env=ENV).stdout)
    assert json.loads(document["FunctionOutput"])["uri"] == "/\x1b]0;PWNED\x07"


def test_errors_that_echo_their_input_show_it_escaped(tmp_path: Path) -> None:
    missing = str(tmp_path / "\x1b]0;PWNED\x07.log")
    result = CliRunner().invoke(
        cli, ["-c", str(SAMPLES / "cffunc.toml"), "replay", "--jobs", "1", missing], env=ENV
    )
    assert result.exit_code == 1
    assert raw_controls(result.output) == []
    assert re.search(r"Error: .*\\x1b\]0;PWNED\\x07\.log: no such log file", result.output)
