"""The sample scenario files: every one holds in V8 and in the decision model."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from cffunc.config import load_config
from cffunc.decide import decide
from cffunc.errors import ConfigError
from cffunc.localrun import run_scenarios
from cffunc.render import render
from cffunc.rules import compile_rules
from cffunc.runtime import FunctionRuntime
from cffunc.scenarios import load_scenarios
from tests.helpers import ENV, SAMPLES, SECRET

DEFAULT_NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)


@pytest.mark.parametrize("sample", ["cffunc.toml", "respond.toml"])
def test_sample_scenarios_hold(sample: str) -> None:
    config = load_config(SAMPLES / sample)
    assert config.test.scenarios is not None
    scenarios = load_scenarios(config.test.scenarios)
    rules = compile_rules(config, ENV)
    with FunctionRuntime(render(rules).code, rules.runtime) as runtime:
        results = run_scenarios(runtime, rules, scenarios, SECRET, DEFAULT_NOW)
    for result in results:
        assert result.ok, (result.scenario.name, result.got, result.status, result.error)
        now = result.scenario.now or DEFAULT_NOW
        model = decide(rules, result.scenario.request(rules, now, SECRET), now)
        assert model.action == result.scenario.expect, result.scenario.name
    # every rule of SPEC section 3 is exercised by the sample
    rules_hit = {
        decide(rules, s.request(rules, s.now or DEFAULT_NOW, SECRET), s.now or DEFAULT_NOW).rule
        for s in scenarios
    }
    assert rules_hit == {
        "outside-window", "bypass-token", "allowed-ip",
        "bypass-cookie", "allowed-path", "maintenance",
    }  # fmt: skip


def test_a_wrong_expectation_is_reported(tmp_path: Path) -> None:
    file = tmp_path / "s.toml"
    file.write_text(
        '[[scenario]]\nname = "x"\nip = "192.0.2.1"\npath = "/"\n'
        'now = "2026-12-01T03:00:00Z"\nexpect = "pass"\n'
    )
    config = load_config(SAMPLES / "cffunc.toml")
    rules = compile_rules(config, ENV)
    with FunctionRuntime(render(rules).code, rules.runtime) as runtime:
        (result,) = run_scenarios(runtime, rules, load_scenarios(file), SECRET, DEFAULT_NOW)
    assert not result.ok
    assert (result.got, result.status) == ("maintenance", 503)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[scenario]]\nname = "x"\nip = "1.2.3.4"\nexpect = "open"\n', "expect = 'open' is not"),
        ('[[scenario]]\nname = "x"\nexpect = "pass"\n', "ip is required"),
        ('[[scenario]]\nname = "x"\nip = "1.2.3.4"\nexpect = "pass"\nfoo = 1\n', "unknown key foo"),
        ('[[scenario]]\nname = "x"\nip = "1.2.3.4"\nexpect = "pass"\npath = "x"\n', "must start"),
        ("x = 1\n", "expected one or more [[scenario]] tables"),
    ],
)
def test_bad_scenario_files(tmp_path: Path, text: str, message: str) -> None:
    file = tmp_path / "s.toml"
    file.write_text(text)
    with pytest.raises(ConfigError) as raised:
        load_scenarios(file)
    assert message in str(raised.value)
