"""Random and malformed events never make the rendered function throw.

Events CloudFront could send (any strings in any field, missing headers, odd cookies,
IPv6, both event types) must give a valid result; events it never sends (wrong types
anywhere) must still not throw: at worst the result is one CloudFront would refuse.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cffunc.config.load import load_config
from cffunc.function.render import render
from cffunc.function.rules import compile_rules
from cffunc.runtime import FunctionRuntime
from cffunc.runtime.edge import EdgeContext, Tenant
from cffunc.runtime.local_store import KeyValueData
from tests.helpers import ENV, NOW_MS, SAMPLES

TEXT = st.text(max_size=40)
FIELD = st.fixed_dictionaries(
    {"value": TEXT},
    optional={"multiValue": st.lists(st.fixed_dictionaries({"value": TEXT}), max_size=3)},
)
NAMES = st.one_of(
    st.sampled_from(["accept", "cffunc_bypass", "token", "x-cffunc-maintenance"]),
    st.text("abcxyz-_", min_size=1, max_size=12),
)
FIELDS = st.dictionaries(NAMES, FIELD, max_size=4)
IPS = st.one_of(st.ip_addresses().map(str), TEXT)
URIS = st.one_of(
    st.sampled_from(["/", "/health", "/__cffunc/bypass", "/maintenance/x", "/a//b"]),
    TEXT.map(lambda t: "/" + t),
)


@st.composite
def plausible_events(draw: st.DrawFn) -> dict[str, Any]:
    event_type = draw(st.sampled_from(["viewer-request", "viewer-response"]))
    event: dict[str, Any] = {
        "version": "1.0",
        "context": {"eventType": event_type},
        "viewer": {"ip": draw(IPS)},
        "request": {
            "method": draw(
                st.sampled_from(["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"])
            ),
            "uri": draw(URIS),
            "querystring": draw(FIELDS),
            "headers": draw(
                FIELDS.map(
                    lambda d: {
                        k.lower(): v for k, v in d.items() if k.lower() not in ("host", "via")
                    }
                )
            ),
            "cookies": draw(FIELDS),
        },
    }
    if event_type == "viewer-response":
        event["response"] = {
            "statusCode": draw(st.sampled_from([200, 204, 301, 304])),
            "statusDescription": "OK",
            "headers": {},
            "cookies": {},
        }
    return event


JUNK = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), TEXT),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(NAMES, inner, max_size=3)),
    max_leaves=8,
)


@st.composite
def malformed_events(draw: st.DrawFn) -> Any:
    event = draw(plausible_events())
    for path in draw(st.lists(st.sampled_from([
        ("viewer",), ("viewer", "ip"), ("request",), ("request", "uri"), ("request", "headers"),
        ("request", "cookies"), ("request", "querystring"), ("context",), ("response",),
        ("request", "method"), ("context", "endpoint"),
    ]), max_size=3)):  # fmt: skip
        target = event
        for key in path[:-1]:
            target = target.get(key) if isinstance(target, dict) else None
        if isinstance(target, dict):
            target[path[-1]] = draw(JUNK)
    return event


# kvs.toml runs with maintenance on and networks in the store, so its store paths run too;
# tenants.toml with a tenant scope for the tenant the events come through, whose
# parameters fill the message.
KVS_ON = {
    "cffunc:state": '{"on":true,"reason":"r","tenants":true}', "cffunc:net:10": "10.0.0.0/8 junk",
    "cffunc:tenant:dt_1": '{"on":true,"reason":"{tenant.msg|x} {tenant.none}"}',
}  # fmt: skip
TENANT = Tenant("dt_1", (("msg", '<"$&\\>'), ("maintenanceMessage", "{tenant.msg}")))


SAMPLE_CONFIGS = ("cffunc.toml", "respond.toml", "kvs.toml", "tenants.toml")


@pytest.fixture(scope="module")
def engines() -> Iterator[list[tuple[str, FunctionRuntime]]]:
    """The samples' functions, each loaded once: every drawn batch of events runs
    through all of them (drawing the events costs more than running them)."""
    with ExitStack() as stack:
        loaded = []
        for sample in SAMPLE_CONFIGS:
            rules = compile_rules(load_config(SAMPLES / sample), ENV)
            store = KeyValueData(KVS_ON) if rules.store else None
            runtime = FunctionRuntime(render(rules).code, rules.runtime, kvs=store)
            loaded.append((sample, stack.enter_context(runtime)))
        yield loaded


def _edges(count: int) -> list[EdgeContext]:
    """Every other event through a tenant (the others as on a standard distribution)."""
    return [EdgeContext(tenant=TENANT if i % 2 else None) for i in range(count)]


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(plausible_events(), min_size=1, max_size=30))
def test_plausible_events_always_give_valid_results(
    engines: list[tuple[str, FunctionRuntime]], events: list[dict[str, Any]]
) -> None:
    edges = _edges(len(events))
    for sample, engine in engines:
        for result in engine.invoke_many(
            [(e, NOW_MS, x) for e, x in zip(events, edges, strict=True)]
        ):
            assert result.ok, (sample, result.error)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(malformed_events(), min_size=1, max_size=30))
def test_malformed_events_never_make_it_throw(
    engines: list[tuple[str, FunctionRuntime]], events: list[Any]
) -> None:
    edges = _edges(len(events))
    for sample, engine in engines:
        for result in engine.invoke_many(
            [(e, NOW_MS, x) for e, x in zip(events, edges, strict=True)]
        ):
            refused = (result.error or "").startswith("FunctionValidationError: invalid result")
            assert result.ok or refused, (sample, result.error)
