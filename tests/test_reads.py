"""What the rendered function reads of an event (cffunc/function/reads.py), held to the
function itself: replay reuses a decision for lines that agree on that reading, which is
only right if the function cannot tell such lines apart.

Two ways: every field of the rules is placed (a new one fails until someone says whether
it changes what the function reads), and events that agree on the reading but differ in
everything else (the address within its allowlist cell, other headers, cookies and query
parameters) get the same answer from the real function in V8, for each kind of config.
A function made to read one more thing fails the second check.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable
from dataclasses import fields, replace
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from cffunc.config.load import load_config
from cffunc.config.scope import Scope
from cffunc.function import bypass
from cffunc.function.reads import READ_BY, SHAPES_ONLY, EventReads, event_reads, store_pieces
from cffunc.function.render import compact, readable_source, render
from cffunc.function.rules import MaintenanceRules, compile_rules
from cffunc.function.tenants import Tenant
from cffunc.replay.run import NetworkGrouping, cell_table
from cffunc.runtime import FunctionRuntime
from cffunc.runtime.edge import EdgeContext
from cffunc.runtime.local_store import KeyValueData
from tests.helpers import ENV, NOW, NOW_MS, SAMPLES, SECRET


def test_every_field_of_the_rules_is_placed() -> None:
    """A field added to MaintenanceRules fails here until it is listed as deciding what
    the function reads (and event_reads accounts for it) or as shaping only an answer."""
    names = {f.name for f in fields(MaintenanceRules)}
    assert not set(READ_BY) & set(SHAPES_ONLY)
    assert names == set(READ_BY) | set(SHAPES_ONLY)
    assert {f.name for f in fields(Scope)} == {"hosts", "paths", "methods", "tenants"}


def test_the_store_counts_as_far_as_its_buckets_reach() -> None:
    """The function reads only the bucket of an address: a network kept under another
    bucket's key, or wider than its bucket, counts only inside that bucket."""
    pieces = store_pieces(
        {
            "cffunc:net:10": "10.1.0.0/16 11.0.0.0/8 8.0.0.0/6 bad/8 10.2.0.0/x",
            "cffunc:net:2001:db8": "2001:db8:1::/48 2001::/16",
            "cffunc:net:007": "7.0.0.0/8",
            "cffunc:state": "{}",
        }
    )
    assert sorted(map(str, pieces)) == [
        "10.0.0.0/8", "10.1.0.0/16", "2001:db8:1::/48", "2001:db8::/32",
    ]  # fmt: skip


# ---- events that agree on the reading ----

BYPASS_PATH = "/__cffunc/bypass"
URIS = [
    "/", "/health", "/maintenance/a.css", "/maintenance/../x", "/checkout/pay", "/api/orders",
    BYPASS_PATH, "/robots.txt", "/maintenance/%2e%2e/x",
]  # fmt: skip
METHODS = ["GET", "HEAD", "POST", "PUT", "OPTIONS", "DELETE"]
HOSTS = ["shop.example.com", "blog.example.com", "fr.eu.example.com", "SHOP.example.com:443", ""]
ACCEPTS = ["", "text/html", "application/json", "application/json, text/html", "*/*"]
OTHER_HEADERS = [
    "user-agent",
    "referer",
    "x-forwarded-for",
    "origin",
    "access-control-request-method",
    "access-control-request-headers",
    "content-type",
    "authorization",
    "x-staff",
]
NOISE = st.text(alphabet="abcxyz019-=;,. /", max_size=12)
TENANTS = [None, "dt_2yN5tYwVbPKr7m2IB69M1yp1AB", "dt_2yN5tYwVbPKr7m2IB69M1yp1GX", "dt_other"]
TENANT = "__tenant"
"""Where a drawn event keeps the tenant it comes through (an edge fact, not the event's)."""


def _cookie_values() -> list[str]:
    keys = bypass.derive_keys(SECRET)
    return [
        "",
        bypass.cookie_value(keys, int(NOW.timestamp()) + 3600),
        bypass.cookie_value(keys, 1_700_000_000),
        "1.forged",
    ]


def _address(version: int, low: int, high: int, pick: int) -> str:
    value = low + pick % (high - low + 1)
    return str(ipaddress.IPv4Address(value) if version == 4 else ipaddress.IPv6Address(value))


@st.composite
def same_cell_addresses(draw: st.DrawFn, table: dict[str, Any]) -> tuple[str, str]:
    """Two addresses of one version in ranges of the same cell (maybe the same range)."""
    version = draw(st.sampled_from([4, 6]))
    if version == 4:
        starts = [*table["starts4"], 1 << 32]
    else:
        flat = table["starts6"]
        starts = [
            *(
                int("".join(f"{g:04x}" for g in flat[i : i + 8]), 16)
                for i in range(0, len(flat), 8)
            ),
            1 << 128,
        ]
    cells = table["cells" + str(version)]
    first = draw(st.integers(0, len(cells) - 1))
    same = [i for i, cell in enumerate(cells) if cell == cells[first]]
    second = draw(st.sampled_from(same))
    picks = draw(st.tuples(st.integers(0, 2**128), st.integers(0, 2**128)))
    return (
        _address(version, starts[first], starts[first + 1] - 1, picks[0]),
        _address(version, starts[second], starts[second + 1] - 1, picks[1]),
    )


@st.composite
def event_pairs(
    draw: st.DrawFn, reads: EventReads, table: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Two viewer-request events that agree on what ``reads`` says the function reads,
    and may differ in everything else."""
    method = draw(st.sampled_from(METHODS))
    uri = draw(st.sampled_from(URIS))
    ips = draw(same_cell_addresses(table))
    host = draw(st.sampled_from(HOSTS))
    accept = draw(st.sampled_from(ACCEPTS))
    cookie = draw(st.sampled_from(_cookie_values()))
    token = draw(st.sampled_from(["", SECRET, "wrong"]))
    tenant = draw(st.sampled_from(TENANTS))
    # the other headers it reads, the same in both events
    shared = {
        name: {"value": draw(st.sampled_from(["https://app.example.com", "https://x.test", "GET"]))}
        for name in draw(st.lists(st.sampled_from(OTHER_HEADERS), unique=True))
        if name in reads.headers
    }

    def one(ip: str) -> dict[str, Any]:
        headers = {
            name: {"value": draw(NOISE)}
            for name in draw(st.lists(st.sampled_from(OTHER_HEADERS), unique=True))
            if name not in reads.headers
        } | shared
        read_host = host if "host" in reads.headers else draw(st.sampled_from(HOSTS))
        read_accept = accept if "accept" in reads.headers else draw(st.sampled_from(ACCEPTS))
        if read_host:
            headers["host"] = {"value": read_host}
        if read_accept:
            headers["accept"] = {"value": read_accept}
        cookies = {
            draw(st.sampled_from(["theme", "session", "cffunc_bypas"])): {"value": draw(NOISE)}
            for _ in range(draw(st.integers(0, 2)))
        }
        bypass_cookie = (
            cookie if reads.cookie is not None else draw(st.sampled_from(_cookie_values()))
        )
        if bypass_cookie:
            cookies[reads.cookie or "cffunc_bypass"] = {"value": bypass_cookie}
        query = {
            draw(st.sampled_from(["q", "page", "utm"])): {"value": draw(NOISE)}
            for _ in range(draw(st.integers(0, 2)))
        }
        on_path = reads.token_path is not None and uri == reads.token_path
        read_token = token if on_path else draw(st.sampled_from(["", SECRET, "wrong"]))
        if read_token:
            query["token"] = {"value": read_token}
        through = tenant if reads.tenant else draw(st.sampled_from(TENANTS))
        context = {"eventType": "viewer-request", "distributionId": draw(NOISE)}
        if through is not None:
            context["endpoint"] = "d111111abcdef8.cloudfront.net"
        return {
            TENANT: through,
            "version": "1.0",
            "context": context,
            "viewer": {"ip": ip},
            "request": {
                "method": method, "uri": uri, "querystring": query, "headers": headers,
                "cookies": cookies,
            },
        }  # fmt: skip

    return one(ips[0]), one(ips[1])


def answer(event: dict[str, Any], output: Any, error: str | None) -> Any:
    """The function's answer to ``event``, without what it only hands on: a generated
    response whole; for the request it lets go on, what it changed (the URI, the headers
    it added or changed) and nothing of what it kept."""
    if error is not None:
        return ("error", error)
    if "statusCode" in output:
        return ("response", json.dumps(output, sort_keys=True))
    given = event["request"]["headers"]
    added = {k: v for k, v in (output.get("headers") or {}).items() if given.get(k) != v}
    return ("request", output.get("uri"), json.dumps(added, sort_keys=True))


def same_answers(
    runtime: FunctionRuntime, pairs: list[tuple[dict[str, Any], dict[str, Any]]]
) -> list[tuple[Any, Any]]:
    """The pairs whose events the function answers apart."""
    events = [{k: v for k, v in e.items() if k != TENANT} for pair in pairs for e in pair]
    tenants = [e[TENANT] for pair in pairs for e in pair]
    results = runtime.invoke_many(
        [
            (
                json.loads(json.dumps(e)),
                NOW_MS,
                EdgeContext(tenant=None if t is None else Tenant(t)),
            )
            for e, t in zip(events, tenants, strict=True)
        ]
    )
    answers = [
        answer(e, r.output, r.error) + ((r.origin_calls,) if r.error is None else ())
        for e, r in zip(events, results, strict=True)
    ]
    return [(answers[i], answers[i + 1]) for i in range(0, len(answers), 2)]


def _rules(name: str, **changes: Any) -> MaintenanceRules:
    rules = compile_rules(load_config(SAMPLES / name), ENV)
    return replace(rules, **changes) if changes else rules


CASES: dict[str, tuple[Callable[[], MaintenanceRules], str | None]] = {
    "rewrite, bypass, json": (lambda: _rules("cffunc.toml"), None),
    "respond": (lambda: _rules("respond.toml"), None),
    "read-only": (lambda: _rules("readonly.toml"), None),
    "host scopes, no json": (
        lambda: _rules(
            "cffunc.toml",
            json=False,
            scope=Scope(hosts=("shop.example.com", "*.eu.example.com"), paths=("/checkout/*",)),
        ),
        None,
    ),
    "store toggle with scopes": (lambda: _rules("kvs.toml"), "kvs-scopes.json"),
    "tenant scopes in the store": (lambda: _rules("tenants.toml"), "kvs-tenants.json"),
    "tenant scope in the config": (
        lambda: _rules("cffunc.toml", scope=Scope(tenants=("dt_2yN5tYwVbPKr7m2IB69M1yp1AB",))),
        None,
    ),
    "cors and a pass header": (
        lambda: _rules(
            "cffunc.toml",
            cors_origins=("https://app.example.com",),
            pass_header=("x-staff", "1"),
        ),
        None,
    ),
}


@pytest.mark.property  # thousands of generated events through V8
@pytest.mark.parametrize("case", list(CASES))
def test_events_alike_in_the_reading_get_the_same_answer(case: str) -> None:
    make, store_file = CASES[case]
    rules = make()
    store = json.loads((SAMPLES / store_file).read_text()) if store_file else None
    if store is not None:
        store["cffunc:net:198"] = "198.51.100.0/24 198.51.100.128/25 199.0.0.0/8"
    reads = event_reads(rules, store)
    table = cell_table(reads.networks, NetworkGrouping())
    kvs = KeyValueData(store) if store is not None else None
    with FunctionRuntime(render(rules).code, rules.runtime, kvs=kvs) as runtime:

        @settings(max_examples=60, deadline=None, derandomize=True,
                  suppress_health_check=[HealthCheck.too_slow])  # fmt: skip
        @given(st.lists(event_pairs(reads, table), min_size=1, max_size=12))
        def check(pairs: list[tuple[dict[str, Any], dict[str, Any]]]) -> None:
            for first, second in same_answers(runtime, pairs):
                assert first == second

        check()


def test_the_check_catches_a_function_that_reads_more() -> None:
    """The same check on a function made to read the user-agent as well, which the
    reading leaves out: it finds two events the function answers apart."""
    rules = _rules("cffunc.toml")
    reads = event_reads(rules)
    table = cell_table(reads.networks, NetworkGrouping())
    code = readable_source(rules)
    assert code.count("return 2;") == 1
    more = compact(code.replace("return 2;", "return gv(r.headers, 'user-agent') ? 0 : 2;"))
    with FunctionRuntime(more, rules.runtime) as runtime:

        @settings(
            max_examples=50, deadline=None, derandomize=True, database=None,
            phases=[Phase.generate],
        )  # fmt: skip
        @given(st.lists(event_pairs(reads, table), min_size=12, max_size=12))
        def check(pairs: list[tuple[dict[str, Any], dict[str, Any]]]) -> None:
            for first, second in same_answers(runtime, pairs):
                assert first == second

        with pytest.raises(AssertionError):
            check()
