"""The rendered JavaScript, run in V8, agrees with the Python decision model.

Hypothesis draws configs (both runtimes and modes, IPv4 and IPv6 allowlists, paths,
windows, bypass) and, for each, a batch of requests aimed at the edges: the first and
last address of every allowed network and their outside neighbours, ambiguous URIs,
valid, expired and forged bypass cookies, right and wrong tokens, times around the
window. Both halves of rewrite mode are checked.
"""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import event as event_note
from hypothesis import strategies as st

from cffunc.function import bypass
from cffunc.function.decide import ViewerRequest, decide, decide_response
from cffunc.runtime import FunctionRuntime
from cffunc.runtime.events import viewer_request_event, viewer_response_event
from tests.helpers import (
    NOW,
    SECRET,
    boundary_addresses,
    classify,
    expected,
    make_function,
    make_rules,
)

BASE = NOW


V4_PREFIX, V4_VALUE = st.integers(0, 32), st.integers(0, 2**32 - 1)
V6_PREFIX, V6_VALUE = st.integers(0, 128), st.integers(0, 2**128 - 1)


@st.composite
def networks(draw: st.DrawFn) -> str:
    if draw(st.booleans()):
        prefix = draw(V4_PREFIX)
        address = ipaddress.IPv4Address(draw(V4_VALUE))
        return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))
    prefix = draw(V6_PREFIX)
    address = ipaddress.IPv6Address(draw(V6_VALUE))
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


PATTERNS = ["/health", "/maintenance/*", "/*.css", "/api/v?/status", "*", "static/*", "/a$b+c.txt"]
HOST_PATTERNS = ["shop.example.com", "*.eu.example.com", "*.example.com", "other.test"]
# Host headers around the patterns: case, ports, a trailing dot, depth, look-alikes, none.
HOSTS = [
    "shop.example.com", "SHOP.Example.COM:443", "shop.example.com.", "shop.example.com:",
    "shop.example.com:x", "a.eu.example.com", "eu.example.com", "x.a.eu.example.com",
    "xshop.example.com", "example.com", "other.test", "other.test.evil", "[2001:db8::1]:8443",
    "", "a.eu.example.com.:80",
]  # fmt: skip
URIS = [
    "/", "/health", "/health/", "/healthz", "/maintenance/logo.png", "/maintenance/../admin",
    "/maintenance/./x", "/maintenance//x", "/maintenance/%2e%2e/admin", "/maintenance/%2F",
    "/maintenance\\x", "/app.css", "/api/v1/status", "/api/v12/status", "/static/x.js",
    "/a$b+c.txt", "/aXb+c.txt", "/__cffunc/bypass", "/maintenance/index.html", "/maintenance/..",
    "/ünïcode", "/health%5C",
    # Forms origins normalize into a climb out of an allowed prefix (issue: hardening).
    "/maintenance/..;/admin", "/maintenance/x/..;jsessionid=1", "/maintenance/..%00/admin",
    "/maintenance/..%20/admin", "/maintenance/..%09/admin", "/maintenance/%u002e%u002e/admin",
    "/maintenance/%252e%252e/admin", "/maintenance/.%2e/admin", "/.well-known/x",
    "/maintenance/a%20b.css", "/maintenance/%C3%BC.png",
]  # fmt: skip
ACCEPTS = [
    "", "text/html", "application/json", "text/html, application/json",
    "application/json;q=0.9, text/html", "APPLICATION/JSON", "*/*", " application/json ;x=1",
]  # fmt: skip


RUNTIME = st.sampled_from(["cloudfront-js-1.0", "cloudfront-js-2.0"])
MODE = st.sampled_from(["rewrite", "respond"])
FLAG = st.booleans()
NETWORK_LISTS = st.lists(networks(), max_size=8)
PATTERN_LISTS = st.lists(st.sampled_from(PATTERNS), max_size=3, unique=True)
SCOPE_PATTERNS = st.lists(st.sampled_from(PATTERNS), min_size=1, max_size=2, unique=True)
SCOPE_HOSTS = st.lists(st.sampled_from(HOST_PATTERNS), min_size=1, max_size=2, unique=True)
HOST = st.sampled_from(HOSTS)


@st.composite
def configs(draw: st.DrawFn) -> dict[str, Any]:
    runtime = draw(RUNTIME)
    mode = draw(MODE)
    maintenance: dict[str, Any] = {"mode": mode, "json": draw(FLAG)}
    if mode == "rewrite" and runtime == "cloudfront-js-2.0" and draw(FLAG):
        maintenance["origin"] = "maintenance-bucket"
    if draw(FLAG):
        maintenance["start"] = (BASE - timedelta(hours=1)).isoformat()
    if draw(FLAG):
        maintenance["end"] = (BASE + timedelta(hours=1)).isoformat()
    # A scope, narrowing maintenance, in about half the configs.
    if draw(FLAG):
        if draw(FLAG):
            maintenance["hosts"] = draw(SCOPE_HOSTS)
        if draw(FLAG):
            maintenance["paths"] = draw(SCOPE_PATTERNS)
        if draw(FLAG):
            maintenance["methods"] = "writes"
    allow: dict[str, Any] = {
        "ips": draw(NETWORK_LISTS),
        "paths": draw(PATTERN_LISTS),
    }
    if draw(FLAG):
        allow["bypass_secret_env"] = "CFFUNC_BYPASS_SECRET"
    return {
        "function": {"name": "fn", "runtime": runtime},
        "maintenance": maintenance,
        "allow": allow,
    }


# Strategies built once: Hypothesis validates each new strategy object, and building
# them inside every draw cost more than running the function.
ANY_IP = st.ip_addresses().map(str)
ODD_IP = st.sampled_from(["", "1.2.3", "01.2.3.4", "::ffff:1.2.3.4", "1::2::3", "fe80::1%eth0"])
IP_KIND = st.integers(0, 2)
MINUTES = st.sampled_from([-61, -60, 0, 59, 60, 61])
COOKIE_KIND = st.sampled_from(["none", "valid", "expired", "forged", "junk", "minted", "at-ttl"])
JUNK = st.text(max_size=12)
TOKEN_KIND = st.sampled_from(["none", "right", "wrong"])
ACCEPT = st.sampled_from(ACCEPTS)
METHOD = st.sampled_from(["GET", "HEAD", "POST", "OPTIONS", "DELETE"])
URI = st.sampled_from(URIS)
KEYS = bypass.derive_keys(SECRET)
FORGED_KEYS = bypass.derive_keys("x" * 20)


@st.composite
def requests(draw: st.DrawFn, config: dict[str, Any]) -> tuple[ViewerRequest, int]:
    nets = [ipaddress.ip_network(n) for n in config["allow"]["ips"]]
    candidates = [a for n in nets for a in boundary_addresses(n)] or ["192.0.2.1"]
    kind = draw(IP_KIND)
    if kind == 0:
        ip = candidates[draw(st.integers(0, len(candidates) - 1))]
    else:
        ip = draw(ANY_IP if kind == 1 else ODD_IP)
    now = BASE + timedelta(minutes=draw(MINUTES))
    now_ms = round(now.timestamp() * 1000)
    cookies: dict[str, str] = {}
    cookie = draw(COOKIE_KIND)
    keys = KEYS
    if cookie == "valid":
        cookies["cffunc_bypass"] = bypass.cookie_value(keys, now_ms // 1000 + 60)
    elif cookie == "expired":
        cookies["cffunc_bypass"] = bypass.cookie_value(keys, now_ms // 1000)
    elif cookie == "forged":
        cookies["cffunc_bypass"] = bypass.cookie_value(FORGED_KEYS, 9999999999)
    elif cookie == "minted":
        # Signed with the key the function holds (anyone who reads the code has it),
        # valid for ten years: must not pass.
        cookies["cffunc_bypass"] = bypass.cookie_value(keys, now_ms // 1000 + 10 * 365 * 86400)
    elif cookie == "at-ttl":
        # Right at the edge of bypass_ttl plus the clock-skew allowance (either side).
        extra = draw(st.sampled_from([-1, 0, 1]))
        cookies["cffunc_bypass"] = bypass.cookie_value(
            keys, now_ms // 1000 + 43200 + bypass.CLOCK_SKEW_SECONDS + extra
        )
    elif cookie == "junk":
        cookies["cffunc_bypass"] = draw(JUNK)
    query = {}
    token = draw(TOKEN_KIND)
    if token != "none":
        query["token"] = SECRET if token == "right" else SECRET + "x"
    accept = draw(ACCEPT)
    host = draw(HOST)
    headers = {"accept": accept} if accept else {}
    if host:
        headers["host"] = host
    request = ViewerRequest(
        ip=ip,
        method=draw(METHOD),
        uri=draw(URI),
        querystring=query,
        headers=headers,
        cookies=cookies,
    )
    return request, now_ms


@st.composite
def cases(draw: st.DrawFn) -> tuple[dict[str, Any], list[tuple[ViewerRequest, int]]]:
    config = draw(configs())
    return config, draw(st.lists(requests(config), min_size=20, max_size=40))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_rendered_function_agrees_with_decide(
    case: tuple[dict[str, Any], list[tuple[ViewerRequest, int]]],
) -> None:
    config, batch = case
    rules, function = make_function(config)
    with FunctionRuntime(function.code, rules.runtime) as runtime:
        events = [viewer_request_event(request) for request, _ in batch]
        results = runtime.invoke_many(
            [(event, now) for event, (_, now) in zip(events, batch, strict=True)]
        )
        responses = []
        for event, (request, now), result in zip(events, batch, results, strict=True):
            assert result.ok, result.error
            moment = _moment(now)
            decision = decide(rules, request, moment)
            assert classify(result.output, rules, event) == expected(decision), (request, decision)
            if decision.action == "redirect":
                value = result.output["cookies"]["cffunc_bypass"]["value"]
                assert rules.bypass is not None
                assert bypass.cookie_valid(rules.bypass.keys, value, now, rules.bypass.ttl)
            if rules.mode == "rewrite" and "statusCode" not in result.output:
                # Whether viewer-response sees the rewritten or the original request is
                # not documented: both must give the same answer.
                for seen, marked in (
                    (result.output, decision.answer == "rewrite"),
                    (viewer_request_event(request)["request"], False),
                ):
                    responses.append((viewer_response_event(event, seen), now, request, marked))
        finals = runtime.invoke_many([(e, now) for e, now, _, _ in responses])
        for (_, now, request, marked), result in zip(responses, finals, strict=True):
            assert result.ok, result.error
            turned = result.output["statusCode"] == rules.status
            assert turned == decide_response(rules, request, _moment(now), marked)
            assert turned == (decide(rules, request, _moment(now)).answer == "rewrite")
            if turned:
                assert result.output["headers"]["cache-control"] == {"value": "no-store"}


def _moment(now_ms: int) -> datetime:
    return datetime.fromtimestamp(now_ms / 1000, tz=UTC)


@settings(max_examples=200, deadline=None)
@given(st.lists(networks(), max_size=12), st.one_of(st.ip_addresses().map(str), st.just("")))
def test_network_lookup_matches_a_plain_scan(nets: list[str], ip: str) -> None:
    """decide() finds networks through an index; it must answer as a scan in order would."""
    from cffunc.function.decide import matching_network

    rules = make_rules({"allow": {"ips": nets}})  # the rules only: nothing to render
    scan = None
    if ip:
        address = ipaddress.ip_address(ip)
        scan = next(
            (str(n) for n in rules.networks if n.version == address.version and address in n), None
        )
    assert matching_network(rules, ip) == scan


@settings(max_examples=500, deadline=None)
@given(
    st.one_of(
        st.text(alphabet="0123456789.x :-+٣０", max_size=16),
        st.ip_addresses(v=4).map(str),
        st.lists(st.integers(0, 300).map(str), min_size=3, max_size=5).map(".".join),
    )
)
def test_fast_ipv4_parse_accepts_what_ipaddress_accepts(text: str) -> None:
    from cffunc.function.decide import _ipv4_value

    try:
        address = ipaddress.ip_address(text)
        wanted = int(address) if address.version == 4 else None
    except ValueError:
        wanted = None
    assert _ipv4_value(text) == wanted


# ---- toggle = "kvs": the store decides whether maintenance is on, and adds networks ----

STATE_VALUES = [
    None, '{"on":true}', '{"on":false}', '{"on":true,"reason":"db upgrade"}',
    '{"on":true,"until":"%s"}', '{"on":true,"until":"%s"}', '{"on":"yes"}', "on", "{bad json",
    '{"on":true,"until":"2026-02-31T00:00:00Z"}', '{"on":true,"until":"2030-01-01T00:00:00+00:00"}',
    '{"on":true,"until":null}', '{"on":true,"until":1}', '[true]', '{"on":true,"reason":7}',
]  # fmt: skip


SCOPE_UNTIL = st.sampled_from([None, -30, 30])
STORED_PATHS = st.sampled_from(
    [None, ["/maintenance/*"], ["/api/v?/status", "/*.css"], [], [7], "x"]
)


@st.composite
def stored_scope(draw: st.DrawFn, host: str | None = None) -> dict[str, Any]:
    """One scope as the store keeps it, sometimes with fields the function must skip."""
    scope: dict[str, Any] = {} if host is None else {"host": host}
    scope["on"] = draw(st.sampled_from([True, True, True, False, "yes"]))
    until = draw(SCOPE_UNTIL)
    if until is not None:
        scope["until"] = (BASE + timedelta(minutes=until)).strftime("%Y-%m-%dT%H:%M:%SZ")
    paths = draw(STORED_PATHS)
    if paths is not None:
        scope["paths"] = paths
    if draw(st.booleans()):
        scope["methods"] = draw(st.sampled_from(["writes", "all", "reads"]))
    if draw(st.booleans()):
        scope["reason"] = draw(st.sampled_from(["checkout under repair", "x" * 40, 7]))
    return scope


@st.composite
def scoped_store(draw: st.DrawFn) -> dict[str, str]:
    """A state with an every-host scope, wildcard scopes and the exact-host flag, and
    host keys for some of the request hosts (as the function names them), some junk."""
    import json

    from cffunc.function.scopes import request_host
    from cffunc.function.store_layout import HOST_PREFIX, STATE_KEY

    state = draw(stored_scope())
    if state["on"] == "yes":
        state["on"] = False
    wildcards = draw(
        st.lists(
            st.sampled_from(["*.eu.example.com", "*.example.com", "eu.example.com"]), max_size=2
        )
    )
    if wildcards:
        state["scopes"] = [draw(stored_scope(w)) for w in wildcards]
    state["hosts"] = draw(st.sampled_from([True, True, False, "yes"]))
    items = {STATE_KEY: json.dumps(state)}
    for host in draw(st.lists(HOST, max_size=4)):
        name = request_host(host)
        if name:
            value = json.dumps(draw(stored_scope())) if draw(st.integers(0, 5)) else "{bad"
            items[HOST_PREFIX + name] = value
    return items


@st.composite
def store_cases(
    draw: st.DrawFn,
) -> tuple[dict[str, Any], dict[str, str], list[tuple[ViewerRequest, int]]]:
    from cffunc.function.store_layout import STATE_KEY, bucket_key

    config = draw(configs())
    config["function"]["runtime"] = "cloudfront-js-2.0"
    config["maintenance"]["toggle"] = "kvs"
    batch = draw(st.lists(requests(config), min_size=20, max_size=40))
    items: dict[str, str] = {}
    state = draw(st.sampled_from(STATE_VALUES))
    if state is not None:
        if "%s" in state:
            offset = draw(st.sampled_from([-30, 30]))
            state = state % (BASE + timedelta(minutes=offset)).strftime("%Y-%m-%dT%H:%M:%SZ")
        items[STATE_KEY] = state
    if draw(st.booleans()):
        items.update(draw(scoped_store()))
    # Buckets holding networks around some of the requests' addresses, with junk entries.
    for request, _ in batch[: draw(st.integers(0, 6))]:
        try:
            address = ipaddress.ip_address(request.ip)
        except ValueError:
            continue
        limit = address.max_prefixlen
        shortest = 8 if address.version == 4 else 32
        prefix = draw(st.integers(shortest, limit))
        network = ipaddress.ip_network(f"{address}/{prefix}", strict=False)
        entry = draw(
            st.sampled_from([
                str(network), f"{address}/{prefix}", str(address), f"{address}/{limit + 1}",
                f"{network.broadcast_address + 0}/{prefix}", "junk", "",
            ])
        )  # fmt: skip
        key = bucket_key(address)
        items[key] = (items.get(key, "") + " " + entry).strip(" ") if draw(st.booleans()) else entry
    return config, items, batch


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(store_cases())
def test_store_toggle_agrees_with_decide(
    case: tuple[dict[str, Any], dict[str, str], list[tuple[ViewerRequest, int]]],
) -> None:
    from cffunc.runtime.local_store import KeyValueData

    config, items, batch = case
    rules, function = make_function(config)
    assert rules.store
    with FunctionRuntime(function.code, rules.runtime, kvs=KeyValueData(items)) as runtime:
        events = [viewer_request_event(request) for request, _ in batch]
        results = runtime.invoke_many(
            [(event, now) for event, (_, now) in zip(events, batch, strict=True)]
        )
        responses = []
        for event, (request, now), result in zip(events, batch, results, strict=True):
            assert result.ok, result.error
            decision = decide(rules, request, _moment(now), items)
            event_note(decision.rule)
            assert classify(result.output, rules, event) == expected(decision), (
                request,
                decision,
                items,
            )
            if decision.answer == "text":
                # A store scope's reason replaces the configured message.
                wanted = decision.reason + "\n" if decision.reason else rules.text_body
                assert result.output["body"]["data"] == wanted, (request, decision, items)
            if rules.mode == "rewrite" and "statusCode" not in result.output:
                responses.append((viewer_response_event(event, event["request"]), now, request))
        finals = runtime.invoke_many([(e, now) for e, now, _ in responses])
        for (_, now, request), result in zip(responses, finals, strict=True):
            assert result.ok, result.error
            turned = result.output["statusCode"] == rules.status
            assert turned == decide_response(rules, request, _moment(now), False, items)
