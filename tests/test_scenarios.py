"""The sample scenario files: every one holds in V8 and in the decision model."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from cffunc.config.load import load_config
from cffunc.errors import ConfigError
from cffunc.function.decide import decide
from cffunc.function.render import render
from cffunc.function.rules import compile_rules
from cffunc.runtime import FunctionRuntime
from cffunc.runtime.local_run import run_scenarios
from cffunc.runtime.scenarios import load_scenarios
from tests.helpers import ENV, SAMPLES, SECRET

DEFAULT_NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)


@pytest.mark.parametrize("sample", ["cffunc.toml", "respond.toml", "api.toml"])
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
    # every rule of SPEC section 3 is exercised by the sample (the API sample has no window,
    # and its scenarios are about what passes)
    rules_hit = {
        decide(rules, s.request(rules, s.now or DEFAULT_NOW, SECRET), s.now or DEFAULT_NOW).rule
        for s in scenarios
    }
    wanted = {"allowed-ip", "bypass-cookie", "allowed-path", "maintenance"}
    if sample != "api.toml":
        wanted |= {"outside-window", "bypass-token"}
    assert rules_hit == wanted


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


@pytest.mark.parametrize(
    ("sample", "store_file", "scenario_file"),
    [
        ("readonly.toml", None, None),
        ("kvs.toml", "kvs-scopes.json", "kvs-scopes-scenarios.toml"),
    ],
)
def test_scoped_samples_hold_and_the_model_agrees(
    sample: str, store_file: str | None, scenario_file: str | None
) -> None:
    """The scope samples: read-only hosts in the config, and a store with host, wildcard
    and every-host scopes (as `cffunc enable --host` writes them)."""
    import json

    from cffunc.runtime.local_store import KeyValueData

    config = load_config(SAMPLES / sample)
    scenarios = load_scenarios(
        SAMPLES / scenario_file if scenario_file else config.test.scenarios  # type: ignore[arg-type]
    )
    items = json.loads((SAMPLES / store_file).read_text()) if store_file else None
    rules = compile_rules(config, ENV)
    kvs = KeyValueData(items) if items is not None else None
    with FunctionRuntime(render(rules).code, rules.runtime, kvs=kvs) as runtime:
        results = run_scenarios(runtime, rules, scenarios, SECRET, DEFAULT_NOW)
    hit = set()
    for result in results:
        assert result.ok, (result.scenario.name, result.got, result.mismatches, result.error)
        now = result.scenario.now or DEFAULT_NOW
        model = decide(rules, result.scenario.request(rules, now, SECRET), now, items)
        assert model.action == result.scenario.expect, result.scenario.name
        hit.add(model.rule)
    assert {"outside-scope", "maintenance", "allowed-ip"} <= hit


def test_host_is_given_once(tmp_path: Path) -> None:
    from cffunc.errors import ConfigError

    file = tmp_path / "s.toml"
    file.write_text(
        '[[scenario]]\nname = "x"\nip = "192.0.2.1"\nhost = "a.example.com"\n'
        'headers = { Host = "b.example.com" }\nexpect = "pass"\n'
    )
    with pytest.raises(ConfigError, match="give the host once"):
        load_scenarios(file)
