"""Run scenarios through the rendered function in the local runtime, as the edge would.

In rewrite mode both halves play: viewer-request, then, for a request that goes on,
viewer-response over a simulated 200 answer from the origin. What a scenario "got" is
read from what the function did, not from the Python model, so a scenario file checks
the deployed code itself.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cffunc.config import Config, Runtime
from cffunc.errors import CffuncError
from cffunc.events import viewer_request_event, viewer_response_event
from cffunc.remotetest import RemoteComparison
from cffunc.render import render
from cffunc.rules import MaintenanceRules, compile_rules
from cffunc.runtime import FunctionRuntime, Invocation
from cffunc.runtime.kvs import KeyValueData
from cffunc.scenarios import Scenario
from cffunc.store import enabled_items

ORIGIN_STATUS = 200


@dataclass(frozen=True)
class ScenarioResult:
    scenario: Scenario
    got: str
    """pass, maintenance, redirect, or error."""
    status: int | None
    """The status the viewer finally gets (503 FunctionExecutionError when the function failed)."""
    error: str | None = None

    @property
    def ok(self) -> bool:
        expected_status = self.scenario.status
        return self.got == self.scenario.expect and (
            expected_status is None or expected_status == self.status
        )


def _outcome(request_event: dict[str, Any], output: Any) -> tuple[str, int | None]:
    if isinstance(output, dict) and "statusCode" in output:
        status = output.get("statusCode")
        got = "redirect" if status in (301, 302, 303, 307, 308) else "maintenance"
        return got, status if isinstance(status, int) else None
    changed = isinstance(output, dict) and output.get("uri") != request_event["request"]["uri"]
    return ("maintenance" if changed else "pass"), ORIGIN_STATUS


def run_scenarios(
    runtime: FunctionRuntime,
    rules: MaintenanceRules,
    scenarios: Sequence[Scenario],
    secret: str | None,
    default_now: datetime,
) -> list[ScenarioResult]:
    times = [s.now or default_now for s in scenarios]
    events = [
        viewer_request_event(s.request(rules, now, secret))
        for s, now in zip(scenarios, times, strict=True)
    ]
    now_ms = [round(t.timestamp() * 1000) for t in times]
    first = runtime.invoke_many(zip(events, now_ms, strict=True))
    second_half = [
        i
        for i, result in enumerate(first)
        if rules.mode == "rewrite" and result.ok and "statusCode" not in (result.output or {})
    ]
    responses = runtime.invoke_many(
        (viewer_response_event(events[i], first[i].output), now_ms[i]) for i in second_half
    )
    finals: dict[int, Invocation] = dict(zip(second_half, responses, strict=True))
    results = []
    for i, scenario in enumerate(scenarios):
        result = first[i]
        if not result.ok:
            results.append(ScenarioResult(scenario, "error", 503, result.error))
            continue
        got, status = _outcome(events[i], result.output)
        final = finals.get(i)
        if final is not None:
            if not final.ok:
                results.append(ScenarioResult(scenario, "error", 503, final.error))
                continue
            status = final.output.get("statusCode") if isinstance(final.output, dict) else None
            if got == "pass" and status != ORIGIN_STATUS:
                got = "maintenance"
        results.append(ScenarioResult(scenario, got, status))
    return results


ESTIMATE_REPEATS = 200
EDGE_BUDGET_US = 1000.0
"""The edge reports compute utilization against an unpublished budget, about 1 ms of CPU."""


def test_result(runtime: FunctionRuntime, event: dict[str, Any], now_ms: int) -> dict[str, Any]:
    """One event's result in the shape of CloudFront's TestFunction ``TestResult``.

    ``ComputeUtilization`` is a local estimate: the time V8 takes per invocation (over a
    batch of repeats) against a 1 ms budget. V8 compiles to machine code and the edge's
    engine does not, so real figures are higher; use it to compare versions of a function.
    """
    result = runtime.invoke(event, now_ms)
    started = time.perf_counter()
    runtime.invoke_many([(event, now_ms)] * ESTIMATE_REPEATS)
    per_call_us = (time.perf_counter() - started) * 1e6 / ESTIMATE_REPEATS
    utilization = max(0, min(100, round(per_call_us / EDGE_BUDGET_US * 100)))
    return {
        "FunctionOutput": json.dumps(result.output) if result.ok else "",
        "FunctionExecutionLogs": list(result.logs),
        "FunctionErrorMessage": result.error or "",
        "ComputeUtilization": str(utilization),
        "ComputeUtilizationIsEstimate": True,
        "OriginCalls": list(result.origin_calls),
    }


def local_store(kvs: KeyValueData | None, rules: MaintenanceRules) -> KeyValueData | None:
    """The store a local run reads: the one given, else for a store-toggled function one
    that says maintenance is on (as if `cffunc enable` had run)."""
    if kvs is None and rules.store:
        return KeyValueData(enabled_items())
    return kvs


def run_events(
    code: str,
    runtime: Runtime,
    events: Sequence[dict[str, Any]],
    now: datetime,
    kvs: KeyValueData | None = None,
) -> list[dict[str, Any]]:
    """Each event's TestFunction-shaped result (``cffunc test --event``/``--ip``...)."""
    with FunctionRuntime(code, runtime, kvs=kvs) as engine:
        return [test_result(engine, event, round(now.timestamp() * 1000)) for event in events]


@dataclass(frozen=True)
class ScenarioRun:
    """The scenario results of ``cffunc test``, and TestFunction's answers beside them
    with ``--remote``."""

    results: list[ScenarioResult]
    remote: list[RemoteComparison] | None = None

    @property
    def passed(self) -> bool:
        return all(r.ok for r in self.results) and all(c.agrees for c in self.remote or [])


def scenario_file(config: Config, given: Path | None) -> Path:
    path = given or config.test.scenarios
    if path is None:
        raise CffuncError(
            "no scenarios: set [test] scenarios in the config, pass --scenarios FILE, "
            "or give an event (--event FILE, --ip/--path)"
        )
    return path


def run_config_scenarios(
    config: Config,
    env: Mapping[str, str],
    scenarios: Sequence[Scenario],
    now: datetime,
    kvs: KeyValueData | None = None,
) -> list[ScenarioResult]:
    """The config's rendered function over ``scenarios`` in the local runtime."""
    rules = compile_rules(config, env)
    secret = env.get(config.allow.bypass_secret_env or "")
    with FunctionRuntime(
        render(rules).code, config.function.runtime, kvs=local_store(kvs, rules)
    ) as engine:
        return run_scenarios(engine, rules, scenarios, secret, now)
