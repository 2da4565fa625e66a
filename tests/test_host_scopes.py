"""Host scopes fail closed: a Host header that cannot be put in canonical form is inside
every host scope it could belong to, in the rendered function (V8), the decision model,
the store's scopes and replay.

The oracle is independent of the canonical-form regex: the ways origins and proxies read
a Host header (up to the first colon, after or before an ``@``, trimmed, split on commas,
percent-decoded, fullwidth letters mapped by NFKC, a trailing dot or more dropped). When
any such reading names a host in scope, the request must get maintenance; a Host in
canonical form is compared exactly, so hosts outside the scope still pass.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks.loggen import LoggedRequest, write_log
from cffunc.function.decide import ViewerRequest, decide
from cffunc.function.rules import MaintenanceRules
from cffunc.function.scopes import request_host
from cffunc.replay.run import replay
from cffunc.runtime import FunctionRuntime
from cffunc.runtime.events import viewer_request_event
from cffunc.runtime.local_run import with_page
from cffunc.runtime.local_store import KeyValueData
from tests.helpers import NOW, NOW_MS, classify, expected, make_function

SCOPE = ["shop.example.com", "*.eu.example.com"]
OUTSIDE_IP = "192.0.2.1"

# The reproductions of the issue, and their relatives: each could reach shop.example.com
# (or a name under eu.example.com) at an origin that reads the Host its own way.
HOSTILE = [
    "shop.example.com..", "shop.example.com...", "shop.example.com:x:443",
    "shop.example.com:443:443", "shop.example.com@b", "b@shop.example.com",
    "user:pw@shop.example.com", "shop.example.com ", " shop.example.com",
    "shop.example.com\t", "\tshop.example.com", "shop .example.com",
    "\uff53\uff48\uff4f\uff50.example.com",  # fullwidth "shop"
    "shop\uff0eexample\uff0ecom",  # fullwidth full stops
    "SHOP.EXAMPLE.\uff23\uff2f\uff2d", "shop%2eexample.com", "shop.example.com%3a443",
    "%73hop.example.com", "shop.example.com,other.test", "other.test,shop.example.com",
    "other.test, shop.example.com", "shop.example.com\\evil", "shop.example.com/evil",
    "shop.example.com;x", "shop.example.com\r\nx-forwarded-host: a", "shop.example.com\x00",
    "shop.example.com:", "shop.example.com:443 ", "[::1]", "[2001:db8::1]:443",
    "[shop.example.com]", "", ".shop.example.com", "shop..example.com",
    "\u017fhop.example.com",  # LATIN SMALL LETTER LONG S, which upper-cases to S
    "shop.example.co\u212a",  # KELVIN SIGN, which lower-cases to k in Unicode
    "sh\u00f6p.example.com", "a.eu.example.com..", "a.eu.example.com:1:2", "x@a.eu.example.com",
    "a\uff0eeu.example.com",
]  # fmt: skip

# Canonical Hosts: compared exactly (case, port and one trailing dot aside).
CANONICAL_INSIDE = [
    "shop.example.com", "SHOP.Example.COM", "shop.example.com.", "shop.example.com:443",
    "shop.example.com.:8443", "a.eu.example.com", "X.A.EU.EXAMPLE.COM:80",
]  # fmt: skip
CANONICAL_OUTSIDE = [
    "other.test", "shop.example.com.evil", "xshop.example.com", "eu.example.com",
    "example.com", "192.0.2.1", "192.0.2.1:80", "xn--shp-sna.example.com",
]  # fmt: skip


def readings(header: str) -> set[str]:
    """Names an origin might take ``header`` for, by the readings in the module docstring."""
    names: set[str] = set()
    forms = {header, unicodedata.normalize("NFKC", header)}
    forms |= {unquote(f) for f in forms}
    for form in forms:
        parts = [form, form.strip(), *re.split(r"[,\s]+", form)]
        for part in parts:
            for side in {part, part.split("@")[-1], part.split("@")[0]}:
                name = re.split(r"[/\\;?#\x00]", side)[0].strip()
                if name.startswith("["):
                    name = name[1 : name.find("]")] if "]" in name else name[1:]
                else:
                    name = name.split(":")[0]
                names.add(name.lower().rstrip(".").lstrip("."))
                names.add(name.lower().rstrip("."))
    return names


def in_scope(name: str) -> bool:
    return name == "shop.example.com" or (
        name.endswith(".eu.example.com") and len(name) > len(".eu.example.com")
    )


def could_be_in_scope(header: str) -> bool:
    return any(in_scope(name) for name in readings(header))


def test_the_oracle_sees_what_the_issue_reproduced() -> None:
    issue = [*HOSTILE[:5], "shop.example.com ", "\uff53\uff48\uff4f\uff50.example.com"]
    assert all(could_be_in_scope(h) for h in issue)
    assert not any(could_be_in_scope(h) for h in CANONICAL_OUTSIDE)


def test_canonical_form_is_lower_case_labels_one_trailing_dot_and_a_port() -> None:
    assert request_host("SHOP.Example.COM.:443") == "shop.example.com"
    assert request_host("xn--bcher-kva.example") == "xn--bcher-kva.example"
    assert request_host("192.0.2.1:80") == "192.0.2.1"
    for header in HOSTILE:
        assert request_host(header) is None, header
    from cffunc.function.scopes import CANONICAL_HOST

    assert CANONICAL_HOST.flags & re.IGNORECASE == 0  # Python and V8 fold case differently


def _requests(hosts: list[str], uri: str = "/checkout/pay") -> list[ViewerRequest]:
    return [ViewerRequest(ip=OUTSIDE_IP, uri=uri, headers={"host": h} if h else {}) for h in hosts]


def _run(
    rules: MaintenanceRules,
    code: str,
    requests: list[ViewerRequest],
    items: dict[str, str] | None = None,
) -> list[tuple[str, str]]:
    """(what V8 did, what the decision model says) for each request; ``items`` as
    `cffunc enable` leaves them (with the page)."""
    items = with_page(items, rules) if items is not None else None
    kvs = KeyValueData(items) if items is not None else None
    events = [viewer_request_event(r) for r in requests]
    with FunctionRuntime(code, rules.runtime, kvs=kvs) as runtime:
        results = runtime.invoke_many([(e, NOW_MS) for e in events])
    out = []
    for request, event, result in zip(requests, events, results, strict=True):
        assert result.ok, result.error
        out.append(
            (classify(result.output, rules, event), expected(decide(rules, request, NOW, items)))
        )
    return out


CONFIG_SCOPED: dict[str, Any] = {
    "function": {"name": "fn", "runtime": "cloudfront-js-1.0"},
    "maintenance": {"mode": "respond", "hosts": SCOPE},
}
STORE_SCOPED: dict[str, Any] = {
    "function": {"name": "fn", "runtime": "cloudfront-js-2.0"},
    "maintenance": {"mode": "respond", "toggle": "kvs"},
}
# The sample store: *.eu.example.com in the state, shop.example.com's own key for
# /checkout/*, blog.example.com's for writes.
STORE_ITEMS: dict[str, str] = json.loads(
    (Path(__file__).resolve().parent.parent / "samples" / "kvs-scopes.json").read_text()
)
# The same exact-host keys without the wildcard (which would cover a hostile Host first).
EXACT_ONLY = STORE_ITEMS | {"cffunc:state": '{"on":false,"hosts":true}'}


@pytest.mark.parametrize("where", ["config", "store"])
def test_hostile_hosts_get_maintenance_in_v8_and_the_model(where: str) -> None:
    config, items = (CONFIG_SCOPED, None) if where == "config" else (STORE_SCOPED, STORE_ITEMS)
    rules, function = make_function(config)
    hosts = HOSTILE + CANONICAL_INSIDE + CANONICAL_OUTSIDE
    outcomes = _run(rules, function.code, _requests(hosts), items)
    for host, (v8, model) in zip(hosts, outcomes, strict=True):
        assert v8 == model, host
        wanted = "pass" if host in CANONICAL_OUTSIDE else "maintenance:page"
        assert v8 == wanted, (host, v8)


def test_a_stored_exact_host_scope_covers_a_hostile_host_on_every_path() -> None:
    """Whose key a Host not in canonical form would read cannot be told: with exact-host
    scopes stored, it gets maintenance on every path and for every method, with the
    configured message (a canonical host keeps its own scope's paths and reason)."""
    rules, function = make_function(STORE_SCOPED)
    requests = [
        ViewerRequest(ip=OUTSIDE_IP, method=m, uri=u, headers={"host": h})
        for h in ("shop.example.com..", "shop.example.com", "blog.example.com", "blog.example.com@")
        for m in ("GET", "POST")
        for u in ("/", "/checkout/pay")
    ]
    outcomes = _run(rules, function.code, requests, EXACT_ONLY)
    got = {
        (r.headers["host"], r.method, r.uri): v8
        for r, (v8, model) in zip(requests, outcomes, strict=True)
        if v8 == model
    }
    assert len(got) == len(requests)
    assert got[("shop.example.com", "GET", "/")] == "pass"
    assert got[("shop.example.com", "GET", "/checkout/pay")] == "maintenance:page"
    assert got[("blog.example.com", "GET", "/")] == "pass"
    assert got[("blog.example.com", "POST", "/")] == "maintenance:text"
    for host in ("shop.example.com..", "blog.example.com@"):
        for method in ("GET", "POST"):
            assert got[(host, method, "/")].startswith("maintenance"), (host, method)
    decision = decide(rules, requests[0], NOW, EXACT_ONLY)
    assert decision.scope is not None and decision.reason is None
    assert decision.scope.describe() == "a Host not in canonical form"


# Hosts drawn around the scope's names: their parts joined with the characters origins
# split, trim or map on, in any case.
NAMES = st.sampled_from(["shop", "example", "com", "eu", "a", "other", "test", "xn--shp-sna"])
GLUE = st.sampled_from(
    [".", ".", ".", "..", ":", ":443", "@", " ", "\t", ",", "/", "\\", "%2e", "\uff0e", ";", ""]
)
FULLWIDTH = str.maketrans(
    {chr(c): chr(c - 0x61 + 0xFF41) for c in range(0x61, 0x7B)} | {".": "\uff0e"}
)


@st.composite
def hosts(draw: st.DrawFn) -> str:
    if draw(st.booleans()):
        base = draw(st.sampled_from(["shop.example.com", "a.eu.example.com", "other.test"]))
        text = draw(GLUE) + base + draw(GLUE) + draw(st.sampled_from(["", "b", "443", "x:443"]))
    else:
        parts = draw(st.lists(st.tuples(NAMES, GLUE), min_size=1, max_size=5))
        text = "".join(n + g for n, g in parts)
    if draw(st.integers(0, 5)) == 0:
        text = text.translate(FULLWIDTH)
    if draw(st.booleans()):
        text = text.upper()
    return text


@settings(
    max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(st.lists(hosts(), min_size=20, max_size=40), st.sampled_from(["config", "store"]))
def test_v8_and_the_model_agree_and_fail_closed(headers: list[str], where: str) -> None:
    config, items = (CONFIG_SCOPED, None) if where == "config" else (STORE_SCOPED, STORE_ITEMS)
    rules, function = make_function(config)
    outcomes = _run(rules, function.code, _requests(headers), items)
    for header, (v8, model) in zip(headers, outcomes, strict=True):
        assert v8 == model, header
        if could_be_in_scope(header):
            assert v8 == "maintenance:page", header
        elif request_host(header) is not None:
            assert v8 == "pass", header  # canonical and outside: compared exactly


def test_replay_counts_hostile_hosts_as_maintenance(tmp_path: Path) -> None:
    """Replay runs the rendered function over log lines (the Host from x-host-header,
    URL-encoded as CloudFront logs it) and names the scope each maintenance line fell in
    from its own table: both agree with the model."""
    rules, function = make_function(STORE_SCOPED)
    hosts = HOSTILE[:12] + CANONICAL_INSIDE[:2] + ["other.test", "blog.example.com"]
    hosts = [h for h in hosts if "\x00" not in h and "\r" not in h]
    logged = [
        LoggedRequest(OUTSIDE_IP, "GET", "/checkout/pay", "", "", "curl", quote(h, safe=""))
        for h in hosts
        for _ in range(2)
    ]
    log = tmp_path / "access.log"
    with log.open("w", encoding="utf-8") as handle:
        write_log(handle, logged)
    with FunctionRuntime(function.code, rules.runtime, kvs=KeyValueData(EXACT_ONLY)) as runtime:
        summary = replay(runtime, rules, [str(log)], NOW, store=EXACT_ONLY)
    model: Counter[str] = Counter()
    scopes: Counter[str] = Counter()
    for r in logged:
        decision = decide(rules, _requests([unquote(r.host)])[0], NOW, EXACT_ONLY)
        model[decision.action] += 1
        if decision.scope is not None:
            scopes[decision.scope.describe()] += 1
    assert summary.counts["maintenance"] == model["maintenance"] == 2 * (len(hosts) - 2)
    assert summary.counts["pass"] == model["pass"] == 4
    assert summary.scopes == scopes
    assert summary.scopes["a Host not in canonical form"] == 2 * (len(hosts) - 4)
    assert summary.disagreements == 0
