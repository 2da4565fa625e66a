"""``cffunc test`` as one library call: a :class:`TestRequest` in, the run out.

A request runs one of three ways, chosen here and nowhere else: the scenario file
(the config's function, or its composition with ``--with``), single events through the
config's function (or that composition), or single events through someone else's code
(``--code``). Code cffunc did not write (``--code``, and any composition with ``--with``)
runs in a child process bounded in time and memory; cffunc's own function alone runs in
this process. Options that cannot go together are refused before anything runs.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from cffunc.config.load import Runtime, load_config
from cffunc.errors import CffuncError, UsageError
from cffunc.function.build import WithFunction
from cffunc.runtime.edge import EdgeContext, EdgeError, edge_from_options
from cffunc.runtime.events import EventError, file_invocation, options_invocation
from cffunc.runtime.isolated import DEFAULT_MEGABYTES, DEFAULT_SECONDS, Limits, run_isolated
from cffunc.runtime.local_run import (
    ScenarioRun,
    config_function,
    local_store,
    run_config_scenarios,
    run_events,
    scenario_file,
    scenarios_through,
)
from cffunc.runtime.local_store import KeyValueData, load_kvs
from cffunc.runtime.scenarios import load_scenarios


@dataclass(frozen=True)
class SingleEvent:
    """``--ip``, ``--path`` and the rest: one event built as the edge would build it."""

    ip: str | None = None
    path: str | None = None
    method: str = "GET"
    headers: tuple[tuple[str, str], ...] = ()
    cookies: tuple[tuple[str, str], ...] = ()
    event_type: str = "viewer-request"

    @property
    def given(self) -> bool:
        return self.ip is not None or self.path is not None


@dataclass(frozen=True)
class EdgeOptions:
    """``--edge-location``, ``--tenant``, ``--tenant-param`` and ``--endpoint``: what the
    edge tells a runtime 2.0 function beside single events."""

    location: str | None = None
    tenant: str | None = None
    tenant_params: tuple[tuple[str, str], ...] = ()
    endpoint: str | None = None

    @property
    def given(self) -> bool:
        return bool(self.location or self.tenant or self.tenant_params or self.endpoint)

    def context(self) -> EdgeContext:
        try:
            return edge_from_options(
                self.location, self.tenant, list(self.tenant_params), self.endpoint
            )
        except EdgeError as error:
            raise UsageError(str(error)) from None


@dataclass(frozen=True)
class TestRequest:
    """Everything ``cffunc test`` was asked."""

    __test__ = False  # a request, not a test class for pytest to collect

    config_path: Path | None
    env: Mapping[str, str]
    now: datetime
    scenarios: Path | None = None
    event_files: tuple[Path, ...] = ()
    single: SingleEvent = SingleEvent()
    edge: EdgeOptions = EdgeOptions()
    code: Path | None = None
    """Someone else's function file, instead of the config's."""
    runtime: Runtime | None = None
    kvs: Path | None = None
    kvs_unreadable: bool = False
    """Every read of the store fails, as when the edge cannot read it."""
    remote: bool = False
    """Compare with CloudFront's TestFunction too (the deploy stage does that half)."""
    with_function: WithFunction | None = None
    time_limit: float = DEFAULT_SECONDS
    memory_limit: int = DEFAULT_MEGABYTES
    progress: Callable[[str], None] = lambda message: None
    """Where progress lines go (the CLI's stderr)."""

    @property
    def has_events(self) -> bool:
        return bool(self.event_files) or self.single.given

    def check(self) -> None:
        """UsageError for options that cannot go together, before anything runs."""
        if self.remote and (self.has_events or self.code is not None):
            raise UsageError(
                "--remote compares the config's scenarios; drop the event options and --code"
            )
        if self.code is not None and self.runtime is None:
            raise UsageError("--code needs --runtime cloudfront-js-1.0 or cloudfront-js-2.0")
        if self.code is not None and not self.has_events:
            raise UsageError("--code needs events: --event FILE or --ip/--path")
        if self.code is not None and self.kvs_unreadable:
            raise UsageError("--kvs-unreadable runs cffunc's own function; drop --code")
        if self.code is not None and self.with_function is not None:
            raise UsageError("--with composes with cffunc's function; drop --code")
        if self.remote and self.with_function is not None:
            raise UsageError("--remote compares the config's own function; drop --with")
        if self.edge.given and not self.has_events:
            raise UsageError(
                "--edge-location, --tenant, --tenant-param and --endpoint describe single "
                "events; in a scenario file use edge_location, tenant, tenant_params and endpoint"
            )


@dataclass(frozen=True)
class EventRun:
    """Single events and what the function returned for each, shaped as TestFunction's."""

    events: list[dict[str, Any]]
    results: list[dict[str, Any]]

    @property
    def passed(self) -> bool:
        """The function did not fail on any event."""
        return not any(r["FunctionErrorMessage"] for r in self.results)


def run_test(request: TestRequest) -> EventRun | ScenarioRun:
    """The scenarios, or the events, through the function the request names."""
    request.check()
    kvs = load_kvs(request.kvs) if request.kvs else None
    if request.kvs_unreadable:
        kvs = replace(kvs or KeyValueData({}), unavailable=True)
    with_function = request.with_function
    if not request.has_events:
        config = load_config(request.config_path)
        scenarios = load_scenarios(scenario_file(config, request.scenarios))
        if with_function is None:
            return ScenarioRun(
                run_config_scenarios(config, request.env, scenarios, request.now, kvs)
            )
        rules, code, runtime = config_function(
            config, request.env, with_function.load(), with_function.slot_events
        )
        secret = request.env.get(config.allow.bypass_secret_env or "")
        return ScenarioRun(
            _isolated(
                request, f"{with_function.path} composed with cffunc's function",
                scenarios_through, code, runtime, local_store(kvs, rules), rules, scenarios,
                secret, request.now,
            )
        )  # fmt: skip
    edge = request.edge.context()
    pairs = [_load_event(f, edge) for f in request.event_files] + _single(request.single, edge)
    events, edges = [event for event, _ in pairs], [edge for _, edge in pairs]
    if request.code is not None:
        results = _isolated(
            request, str(request.code), run_events, _read_code(request.code), request.runtime,
            events, request.now, kvs, edges,
        )  # fmt: skip
        return EventRun(events, results)
    config = load_config(request.config_path)
    rules, code, runtime = config_function(
        config, request.env, with_function.load() if with_function else None,
        with_function.slot_events if with_function else None,
    )  # fmt: skip
    store = local_store(kvs, rules)
    if with_function is None:  # cffunc's own code: in this process, for speed
        return EventRun(events, run_events(code, runtime, events, request.now, store, edges))
    results = _isolated(
        request, f"{with_function.path} composed with cffunc's function", run_events, code,
        runtime, events, request.now, store, edges,
    )  # fmt: skip
    return EventRun(events, results)


T = TypeVar("T")


def _isolated(request: TestRequest, what: str, function: Callable[..., T], *args: Any) -> T:
    """Code cffunc did not write (``--code``, ``--with``): ``function(*args)`` in a child
    process bounded in time and memory, saying so on the progress line."""
    limits = Limits(request.time_limit, request.memory_limit)
    return run_isolated(
        function, *args, limits=limits,
        started=lambda pid: request.progress(f"running {what} in a child process ({limits})"),
    )  # fmt: skip


Invocation = tuple[dict[str, Any], EdgeContext]


def _single(single: SingleEvent, edge: EdgeContext) -> list[Invocation]:
    if not single.given:
        return []
    try:
        return [
            options_invocation(
                single.ip or "198.51.100.1", single.method, single.path or "/",
                list(single.headers), list(single.cookies), single.event_type, edge,
            )
        ]  # fmt: skip
    except EventError as error:
        raise UsageError(str(error)) from None


def _load_event(path: Path, edge: EdgeContext) -> Invocation:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CffuncError(f"{path}: cannot read the event file: {error}") from None
    try:
        return file_invocation(raw, edge, str(path))
    except EventError as error:
        raise CffuncError(str(error)) from None


def _read_code(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise CffuncError(f"{path}: cannot read the function: {error}") from None
