"""[maintenance] pass_header: requests that pass during maintenance carry a header to the
origin (for a staff banner); every other request goes on without it, even when the viewer
sent it. Checked in V8 against the decision model (the differential tests draw it too),
through scenario files, and composed with a foreign function that reads it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from cffunc.cli import cli
from cffunc.errors import ConfigError
from cffunc.function.decide import ViewerRequest, decide, pass_signal
from cffunc.function.render import render
from cffunc.runtime import FunctionRuntime
from cffunc.runtime.events import viewer_request_event, viewer_response_event
from cffunc.runtime.scenarios import load_scenarios
from tests.helpers import ENV, NOW, NOW_MS, SAMPLES, make_config, make_rules, origin_value

CONFIG: dict[str, Any] = {
    "function": {"name": "fn", "runtime": "cloudfront-js-2.0"},
    "maintenance": {
        "mode": "rewrite",
        "start": "2026-12-01T02:00:00Z",
        "end": "2026-12-01T04:00:00Z",
        "pass_header": {"name": "x-maintenance", "value": "staff banner"},
    },
    "allow": {"ips": ["203.0.113.0/24"], "paths": ["/health"]},
}


@pytest.mark.parametrize(
    ("ip", "uri", "now", "value"),
    [
        ("203.0.113.9", "/cart", NOW_MS, "staff banner"),  # allowlisted, in the window
        ("192.0.2.1", "/health", NOW_MS, "staff banner"),  # allowed path, in the window
        ("203.0.113.9", "/cart", NOW_MS + 2 * 3600_000, None),  # after the end: off
        ("192.0.2.1", "/cart", NOW_MS + 2 * 3600_000, None),
    ],
)
def test_the_header_goes_on_only_with_a_pass_during_maintenance(
    ip: str, uri: str, now: int, value: str | None
) -> None:
    rules = make_rules(CONFIG)
    for sent in (None, "on"):  # what the viewer sent never counts
        headers = {"x-maintenance": sent} if sent else {}
        request = ViewerRequest(ip=ip, uri=uri, headers=headers)
        event = viewer_request_event(request)
        with FunctionRuntime(render(rules).code, rules.runtime) as runtime:
            result = runtime.invoke(event, now)
            assert result.ok and "statusCode" not in result.output
            assert origin_value(result.output, "x-maintenance") == value
            # The viewer-response half leaves a request that passed alone, whichever
            # request it is shown.
            for seen in (result.output, event["request"]):
                final = runtime.invoke(viewer_response_event(event, seen), now)
                assert final.ok and final.output["statusCode"] == 200
        moment = NOW.fromtimestamp(now / 1000, tz=NOW.tzinfo)
        signal = pass_signal(rules, decide(rules, request, moment))
        assert (signal[1] if signal else None) == value


def test_the_rewritten_maintenance_request_does_not_carry_it() -> None:
    rules = make_rules(CONFIG)
    event = viewer_request_event(
        ViewerRequest(ip="192.0.2.1", uri="/cart", headers={"x-maintenance": "on"})
    )
    with FunctionRuntime(render(rules).code, rules.runtime) as runtime:
        result = runtime.invoke(event, NOW_MS)
    assert result.output["uri"] == "/maintenance/index.html"
    assert "x-maintenance" not in result.output["headers"]


def test_not_configured_it_costs_nothing_and_leaves_the_header_alone() -> None:
    plain = {**CONFIG, "maintenance": {**CONFIG["maintenance"]}}
    del plain["maintenance"]["pass_header"]
    code = render(make_rules(plain)).code
    assert "sig(" not in code and "PH" not in code
    event = viewer_request_event(
        ViewerRequest(ip="203.0.113.9", uri="/cart", headers={"x-maintenance": "viewer"})
    )
    with FunctionRuntime(code, "cloudfront-js-2.0") as runtime:
        assert runtime.invoke(event, NOW_MS).output == event["request"]


@pytest.mark.usefixtures("processes")  # --with runs in a child process
def test_a_composed_function_sees_the_header_cffunc_set(tmp_path: Path) -> None:
    """The foreign handler gets the request after cffunc's half set (or removed) it."""
    config = tmp_path / "cffunc.toml"
    config.write_text(
        '[function]\nname = "fn"\n[maintenance]\nstart = "2026-12-01T02:00:00Z"\n'
        'end = "2026-12-01T04:00:00Z"\npass_header = { name = "x-maintenance" }\n'
        '[allow]\nips = ["203.0.113.0/24"]\n'
    )
    foreign = tmp_path / "banner.js"
    foreign.write_text(
        "function handler(event) {\n"
        "  var r = event.request, m = r.headers['x-maintenance'];\n"
        "  r.headers['x-seen'] = {value: m ? m.value : 'none'};\n"
        "  return r;\n"
        "}\n"
    )
    scenarios = tmp_path / "s.toml"
    scenarios.write_text(
        '[[scenario]]\nname = "staff"\nip = "203.0.113.9"\nexpect = "pass"\n'
        'now = "2026-12-01T03:00:00Z"\n'
        'expect_origin_headers = { "x-seen" = "on", "x-maintenance" = "on" }\n'
        '[[scenario]]\nname = "after the window, a viewer\'s own header is dropped"\n'
        'ip = "192.0.2.1"\nexpect = "pass"\nnow = "2026-12-01T05:00:00Z"\n'
        'headers = { "x-maintenance" = "on" }\n'
        'expect_origin_headers = { "x-seen" = "none", "x-maintenance" = false }\n'
    )
    result = CliRunner().invoke(
        cli,
        ["-c", str(config), "test", "--with", str(foreign), "--scenarios", str(scenarios)],
        env=ENV,
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == "2 scenarios, 2 passed, 0 failed"


def test_expect_origin_headers_says_what_differs(tmp_path: Path) -> None:
    scenarios = tmp_path / "s.toml"
    scenarios.write_text(
        '[[scenario]]\nname = "office"\nip = "203.0.113.9"\nexpect = "pass"\n'
        'expect_origin_headers = { "X-Maintenance" = false }\n'
        '[[scenario]]\nname = "viewer"\nip = "192.0.2.1"\nexpect = "maintenance"\n'
        'expect_origin_headers = { "x-maintenance" = "on" }\n'
    )
    result = CliRunner().invoke(
        cli, ["-c", str(SAMPLES / "api.toml"), "test", "--scenarios", str(scenarios)], env=ENV
    )
    assert result.exit_code == 1
    assert "expected the origin to get no header, got x-maintenance: on" in result.stdout
    assert "expected the request to go on with x-maintenance, but it was answered" in result.stdout


@pytest.mark.parametrize(
    ("table", "words"),
    [
        ('{ "x-maintenance" = 1 }', "expect_origin_headers values must be strings, or false"),
        ('"x-maintenance: on"', "expect_origin_headers = 'x-maintenance: on' is not accepted"),
    ],
)
def test_bad_expect_origin_headers_are_refused(tmp_path: Path, table: str, words: str) -> None:
    scenarios = tmp_path / "s.toml"
    scenarios.write_text(
        f'[[scenario]]\nname = "x"\nip = "192.0.2.1"\nexpect = "pass"\n'
        f"expect_origin_headers = {table}\n"
    )
    with pytest.raises(ConfigError, match=words):
        load_scenarios(scenarios)


@pytest.mark.parametrize(
    ("header", "words"),
    [
        ('"x-maintenance: on"', 'pass_header = "x-maintenance: on" is not accepted; give a table'),
        ({"name": "X-Maintenance"}, 'a function names headers in lower case; give "x-maintenance"'),
        ({"name": "x-amz-cf-id"}, "CloudFront does not let a function set that header"),
        ({"name": "via"}, "CloudFront does not let a function set that header"),
        ({"name": "connection"}, "CloudFront does not let a function set that header"),
        ({"name": "x-cffunc-maintenance"}, "cffunc reads or sets that header itself"),
        ({"name": "accept"}, "cffunc reads or sets that header itself"),
        ({"name": "x maintenance"}, "give an HTTP header name"),
        ({"name": "x-maintenance", "value": "on\r\nx: y"}, "pass_header.value"),
        ({"name": "x-maintenance", "value": ""}, "give 1-256 visible ASCII characters"),
        ({"value": "on"}, "maintenance.pass_header.name is required"),
    ],
)
def test_bad_pass_headers_name_key_value_and_fix(header: Any, words: str) -> None:
    raw = header.strip('"') if isinstance(header, str) else header
    with pytest.raises(ConfigError, match=None) as raised:
        make_config({"maintenance": {"pass_header": raw}})
    message = str(raised.value)
    assert words in message and "\n" not in message
