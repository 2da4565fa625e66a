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
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from cffunc.config.load import Config, Runtime
from cffunc.errors import CffuncError
from cffunc.function.compose import ForeignFunction, compose, guess_events
from cffunc.function.render import render
from cffunc.function.rules import MARKER_HEADER, MaintenanceRules, compile_rules
from cffunc.function.store_layout import enabled_items, page_items
from cffunc.runtime import FunctionRuntime, Invocation
from cffunc.runtime.edge import EdgeContext
from cffunc.runtime.engine import DEFAULT_EDGE
from cffunc.runtime.events import for_edge, viewer_request_event, viewer_response_event
from cffunc.runtime.local_store import KeyValueData
from cffunc.runtime.origins import OriginCall
from cffunc.runtime.scenarios import Scenario

ORIGIN_STATUS = 200


@dataclass(frozen=True)
class ScenarioResult:
    scenario: Scenario
    got: str
    """pass, maintenance, redirect, or error."""
    status: int | None
    """The status the viewer finally gets (503 when the function threw, 502 when the edge
    would refuse its result)."""
    error: str | None = None
    uri: str | None = None
    """The URI the request went on to the origin with; None for a generated response."""
    headers: dict[str, str] = field(default_factory=dict)
    """Headers of the response the viewer finally gets (simulated origin answer included)."""
    body: str | None = None
    """The body of a generated answer (None when the request went on to the origin)."""
    origin_headers: dict[str, str] | None = None
    """The headers the request went on to the origin with; None for a generated response."""
    origin: OriginCall | None = None
    """The last origin modification the viewer-request half asked for (the one that
    decides where the request goes); None when it asked for none."""

    @property
    def mismatches(self) -> list[str]:
        """What differs from the scenario's expectations, in words."""
        scenario, out = self.scenario, []
        if self.got != scenario.expect:
            out.append(f"expected {scenario.expect}, got {self.got}")
        if scenario.status is not None and scenario.status != self.status:
            out.append(f"expected status {scenario.status}, got {self.status}")
        if scenario.expect_uri is not None and scenario.expect_uri != self.uri:
            out.append(f"expected uri {scenario.expect_uri}, got {self.uri}")
        for name, value in scenario.expect_headers.items():
            if self.headers.get(name) != value:
                out.append(f"expected header {name}: {value}, got {self.headers.get(name)}")
        for name, wanted in scenario.expect_origin_headers.items():
            sent = None if self.origin_headers is None else self.origin_headers.get(name)
            if self.origin_headers is None:
                out.append(f"expected the request to go on with {name}, but it was answered")
            elif sent != wanted:
                shown = "no header" if wanted is None else f"{name}: {wanted}"
                out.append(f"expected the origin to get {shown}, got {name}: {sent or 'none'}")
        if scenario.expect_body is not None and scenario.expect_body not in (self.body or ""):
            shown = "no body" if self.body is None else f"{len(self.body)} characters without it"
            out.append(f"expected body containing {scenario.expect_body!r}, got {shown}")
        if scenario.expect_origin is not None and not _origin_matches(
            scenario.expect_origin, self.origin
        ):
            got = "no origin change" if self.origin is None else self.origin.text
            out.append(f"expected origin {_expected_origin(scenario.expect_origin)}, got {got}")
        return out

    @property
    def ok(self) -> bool:
        return not self.mismatches


def _origin_matches(expected: dict[str, Any] | str, got: OriginCall | None) -> bool:
    if isinstance(expected, str):  # "none"
        return got is None
    return got is not None and all(got.target.get(k) == v for k, v in expected.items())


def _expected_origin(expected: dict[str, Any] | str) -> str:
    if isinstance(expected, str):
        return expected
    return "{" + ", ".join(f"{k} = {json.dumps(v)}" for k, v in expected.items()) + "}"


def _outcome(rules: MaintenanceRules, output: Any) -> tuple[str, int | None]:
    """What cffunc decided, and the status so far. A generated answer is cffunc's when it
    has the maintenance status, or is the bypass redirect setting the cookie; any other
    (a composed function's 401 or 301, say) answered a request cffunc let pass."""
    if isinstance(output, dict) and "statusCode" in output:
        status = output.get("statusCode")
        cookies = output.get("cookies")
        if status == rules.status or _cors_preflight(rules, output):
            got = "maintenance"
        elif status == 302 and rules.bypass and isinstance(cookies, dict):
            got = "redirect" if rules.bypass.cookie in cookies else "pass"
        else:
            got = "pass"
        return got, status if isinstance(status, int) else None
    # cffunc's rewrite goes to the maintenance object with its marker header; any other
    # request that goes on passed (a composed function may have rewritten it, too).
    headers = output.get("headers") if isinstance(output, dict) else None
    marked = isinstance(headers, dict) and MARKER_HEADER in headers
    rewritten = marked and isinstance(output, dict) and output.get("uri") == rules.object
    return ("maintenance" if rewritten else "pass"), ORIGIN_STATUS


def _cors_preflight(rules: MaintenanceRules, output: dict[str, Any]) -> bool:
    """cffunc's answer to a preflight during maintenance (allow.cors_origins): a 204 that
    varies by Origin and carries nothing but CORS headers (a composed function's own 204
    would carry its own)."""
    headers = _headers(output)
    return (
        bool(rules.cors_origins)
        and output.get("statusCode") == 204
        and headers.get("vary") == "origin"
        and all(name == "vary" or name.startswith("access-control-") for name in headers)
    )


def _body(output: Any) -> str | None:
    body = output.get("body") if isinstance(output, dict) else None
    if isinstance(body, dict):
        data = body.get("data")
        if body.get("encoding") == "base64" and isinstance(data, str):
            import base64

            return base64.b64decode(data).decode("utf-8", "replace")
        return data if isinstance(data, str) else None
    return body if isinstance(body, str) else None


def _headers(output: Any) -> dict[str, str]:
    headers = output.get("headers") if isinstance(output, dict) else None
    if not isinstance(headers, dict):
        return {}
    return {
        str(k).lower(): v["value"]
        for k, v in headers.items()
        if isinstance(v, dict) and isinstance(v.get("value"), str)
    }


def run_scenarios(
    runtime: FunctionRuntime,
    rules: MaintenanceRules,
    scenarios: Sequence[Scenario],
    secret: str | None,
    default_now: datetime,
) -> list[ScenarioResult]:
    times = [s.now or default_now for s in scenarios]
    edges = [s.edge(rules, secret) for s in scenarios]
    events = [
        for_edge(viewer_request_event(s.request(rules, now, secret)), edge, s.name)
        for s, now, edge in zip(scenarios, times, edges, strict=True)
    ]
    now_ms = [round(t.timestamp() * 1000) for t in times]
    first = runtime.invoke_many(zip(events, now_ms, edges, strict=True))
    second_half = [
        i
        for i, result in enumerate(first)
        if rules.mode == "rewrite" and result.ok and "statusCode" not in (result.output or {})
    ]
    responses = runtime.invoke_many(
        (viewer_response_event(events[i], first[i].output), now_ms[i], edges[i])
        for i in second_half
    )
    finals: dict[int, Invocation] = dict(zip(second_half, responses, strict=True))
    results = []
    for i, scenario in enumerate(scenarios):
        result = first[i]
        if not result.ok:
            results.append(ScenarioResult(scenario, "error", result.error_status, result.error))
            continue
        got, status = _outcome(rules, result.output)
        generated = isinstance(result.output, dict) and "statusCode" in result.output
        uri = None if generated else result.output.get("uri")
        origin_headers = None if generated else _headers(result.output)
        headers = _headers(result.output) if generated else {}
        body = _body(result.output) if generated else None
        final = finals.get(i)
        if final is not None:
            if not final.ok:
                results.append(ScenarioResult(scenario, "error", final.error_status, final.error))
                continue
            status = final.output.get("statusCode") if isinstance(final.output, dict) else None
            headers = _headers(final.output)
            if got == "pass" and status != ORIGIN_STATUS:
                got = "maintenance"
        origin = result.origin_calls[-1] if result.origin_calls else None
        results.append(
            ScenarioResult(
                scenario, got, status, uri=uri, headers=headers, body=body,
                origin_headers=origin_headers, origin=origin,
            )
        )  # fmt: skip
    return results


ESTIMATE_REPEATS = 200
EDGE_BUDGET_US = 1000.0
"""The edge reports compute utilization against an unpublished budget, about 1 ms of CPU."""


def test_result(
    runtime: FunctionRuntime,
    event: dict[str, Any],
    now_ms: int,
    edge: EdgeContext = DEFAULT_EDGE,
) -> dict[str, Any]:
    """One event's result in the shape of CloudFront's TestFunction ``TestResult``, and
    what TestFunction does not show: the origin modifications the function asked for
    (``OriginModifications``, checked as documented) and its ``cf.logCustomData()`` value as
    the access log gets it (``LogCustomData``).

    ``ComputeUtilization`` is a local estimate: the time V8 takes per invocation (over a
    batch of repeats) against a 1 ms budget. V8 compiles to machine code and the edge's
    engine does not, so real figures are higher; use it to compare versions of a function.
    """
    result = runtime.invoke(event, now_ms, edge)
    started = time.perf_counter()
    runtime.invoke_many([(event, now_ms, edge)] * ESTIMATE_REPEATS)
    per_call_us = (time.perf_counter() - started) * 1e6 / ESTIMATE_REPEATS
    utilization = max(0, min(100, round(per_call_us / EDGE_BUDGET_US * 100)))
    return {
        "FunctionOutput": json.dumps(result.output) if result.ok else "",
        "FunctionExecutionLogs": list(result.logs),
        "FunctionErrorMessage": result.error or "",
        "ComputeUtilization": str(utilization),
        "ComputeUtilizationIsEstimate": True,
        "OriginModifications": [call.as_json() for call in result.origin_calls],
        "LogCustomData": result.log_data,
    }


def local_store(kvs: KeyValueData | None, rules: MaintenanceRules) -> KeyValueData | None:
    """The store a local run reads: the one given, else for a store-toggled function one
    that says maintenance is on (as if `cffunc enable` had run). A store given holds the
    page as `cffunc enable` writes it beside the state (``rules.page_store``), unless it
    holds keys of that page itself."""
    if not rules.store:
        return kvs
    if kvs is None:
        return KeyValueData(with_page(enabled_items(), rules))
    return replace(kvs, items=with_page(kvs.items, rules))


def with_page(items: dict[str, str], rules: MaintenanceRules) -> dict[str, str]:
    """``items`` with the page `cffunc enable` writes beside the state, for a function
    that keeps its page in the store, unless they hold keys of that page already."""
    where = rules.page_store
    if where is None or any(k.startswith(where.prefix) for k in items):
        return items
    return page_items(rules.page_html) | items


def run_events(
    code: str,
    runtime: Runtime,
    events: Sequence[dict[str, Any]],
    now: datetime,
    kvs: KeyValueData | None = None,
    edges: Sequence[EdgeContext] | None = None,
) -> list[dict[str, Any]]:
    """Each event's TestFunction-shaped result (``cffunc test --event``/``--ip``...);
    ``edges``: each event's edge context (default: :data:`DEFAULT_EDGE`)."""
    contexts = list(edges) if edges is not None else [DEFAULT_EDGE] * len(events)
    now_ms = round(now.timestamp() * 1000)
    with FunctionRuntime(code, runtime, kvs=kvs) as engine:
        return [
            test_result(engine, event, now_ms, edge)
            for event, edge in zip(events, contexts, strict=True)
        ]


@dataclass(frozen=True)
class RemoteComparison:
    """One scenario's viewer-request result, locally and from CloudFront's TestFunction
    (``test --remote``), in the form both sides are compared on."""

    name: str
    local: str
    remote: str
    error: str | None = None

    @property
    def agrees(self) -> bool:
        return self.error is None and self.local == self.remote


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


def config_function(
    config: Config,
    env: Mapping[str, str],
    foreign: ForeignFunction | None = None,
    events: tuple[str, ...] | None = None,
) -> tuple[MaintenanceRules, str, Runtime]:
    """The rules, code and runtime a local run uses: the config's render, or its
    composition with ``foreign`` (``--with``) on ``events`` (else guessed from its code)."""
    rules = compile_rules(config, env)
    if foreign is None:
        return rules, render(rules).code, config.function.runtime
    composed = compose(rules, foreign, config.function.name, events or guess_events(foreign.code))
    return replace(rules, runtime=composed.runtime), composed.code, composed.runtime


def run_config_scenarios(
    config: Config,
    env: Mapping[str, str],
    scenarios: Sequence[Scenario],
    now: datetime,
    kvs: KeyValueData | None = None,
    foreign: ForeignFunction | None = None,
    events: tuple[str, ...] | None = None,
) -> list[ScenarioResult]:
    """The config's function (or its composition with ``foreign``) over ``scenarios``
    in the local runtime."""
    rules, code, runtime = config_function(config, env, foreign, events)
    secret = env.get(config.allow.bypass_secret_env or "")
    return scenarios_through(code, runtime, local_store(kvs, rules), rules, scenarios, secret, now)


def scenarios_through(
    code: str,
    runtime: Runtime,
    kvs: KeyValueData | None,
    rules: MaintenanceRules,
    scenarios: Sequence[Scenario],
    secret: str | None,
    now: datetime,
) -> list[ScenarioResult]:
    """``scenarios`` through ``code`` (the config's function, as ``rules`` say it
    decides) in a runtime of its own: one call, which ``test --with`` makes in a child
    process."""
    with FunctionRuntime(code, runtime, kvs=kvs) as engine:
        return run_scenarios(engine, rules, scenarios, secret, now)
