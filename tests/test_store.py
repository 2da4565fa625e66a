"""The KeyValueStore toggle's layout (cffunc/function/store_layout.py) and the function reading it."""

from __future__ import annotations

import ipaddress
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from cffunc.config.load import load_config
from cffunc.function.decide import ViewerRequest, decide, decide_response
from cffunc.function.render import render
from cffunc.function.rules import MaintenanceRules, compile_rules
from cffunc.function.store_layout import (
    STATE_KEY,
    StoreError,
    StoreState,
    bucket_key,
    bucket_value,
    network_bucket,
    parse_networks,
    parse_state,
    store_match,
    until_from_option,
)
from cffunc.runtime import FunctionRuntime, Invocation
from cffunc.runtime.events import viewer_request_event, viewer_response_event
from cffunc.runtime.local_store import KeyValueData
from tests.helpers import ENV, SAMPLES

NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
NOW_MS = round(NOW.timestamp() * 1000)


def run(
    items: dict[str, str], ip: str, unavailable: bool = False
) -> tuple[int | None, tuple[str, ...]]:
    rules = compile_rules(load_config(SAMPLES / "kvs.toml"), ENV)
    store = KeyValueData(items, unavailable=unavailable)
    with FunctionRuntime(render(rules).code, rules.runtime, kvs=store) as engine:
        event = viewer_request_event(ViewerRequest(ip=ip, headers={"accept": "application/json"}))
        result = engine.invoke(event, NOW_MS)
    assert result.ok, result.error
    return result.output.get("statusCode"), result.logs


def test_missing_state_means_off_and_is_logged() -> None:
    status, logs = run({}, "192.0.2.1")
    assert status is None  # the request goes on
    assert logs and "unreadable, so off" in logs[0]


def test_failed_read_means_off_and_is_logged() -> None:
    status, logs = run({STATE_KEY: '{"on":true}'}, "192.0.2.1", unavailable=True)
    assert status is None
    assert "KeyValueStore read failed" in logs[0]


def test_state_on_gives_maintenance_without_logging() -> None:
    assert run({STATE_KEY: '{"on":true}'}, "192.0.2.1") == (503, ())


def test_until_ends_maintenance_by_itself() -> None:
    past = StoreState(True, NOW - timedelta(seconds=1)).value()
    future = StoreState(True, NOW + timedelta(seconds=1)).value()
    assert run({STATE_KEY: past}, "192.0.2.1")[0] is None
    assert run({STATE_KEY: future}, "192.0.2.1")[0] == 503


def test_stored_networks_let_viewers_through() -> None:
    items = {STATE_KEY: '{"on":true}', "cffunc:net:192": "192.0.2.0/24"}
    assert run(items, "192.0.2.77")[0] is None
    assert run(items, "192.0.3.1")[0] == 503


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("203.0.113.9", "cffunc:net:203"),
        ("0.0.0.0", "cffunc:net:0"),
        ("2001:db8::1", "cffunc:net:2001:db8"),
        ("::1", "cffunc:net:0:0"),
        ("::ffff:1.2.3.4", "cffunc:net:0:0"),
        ("fe80:1::", "cffunc:net:fe80:1"),
    ],
)
def test_bucket_keys(address: str, key: str) -> None:
    assert bucket_key(ipaddress.ip_address(address)) == key


@pytest.mark.parametrize("address", ["2001:db8::1", "::1", "fe80:1::", "0:abcd::7", "10.1.2.3"])
def test_the_function_reads_the_bucket_python_writes(address: str) -> None:
    parsed = ipaddress.ip_address(address)
    network = ipaddress.ip_network(f"{address}/{parsed.max_prefixlen}")
    items = {STATE_KEY: '{"on":true}', network_bucket(network): str(network)}
    assert run(items, address)[0] is None


def test_networks_wider_than_a_bucket_are_refused() -> None:
    with pytest.raises(StoreError, match="wider than /8"):
        network_bucket(ipaddress.ip_network("10.0.0.0/7"))
    with pytest.raises(StoreError, match="wider than /32"):
        network_bucket(ipaddress.ip_network("2001::/16"))


def test_bucket_capacity_is_as_documented() -> None:
    """At least 53 of the longest IPv4 texts and 23 of the longest IPv6 texts fit."""
    v4 = [ipaddress.ip_network(f"255.{i}.255.255/32") for i in range(203, 256)]
    assert len(bucket_value(v4) or "") <= 1024
    v6 = [
        ipaddress.ip_network(f"ffff:ffff:ffff:ffff:ffff:ffff:ffff:{i:x}/128")
        for i in range(0xFFE9, 0x10000)
    ]
    assert len(v6) == 23 and len(bucket_value(v6) or "") <= 1024
    with pytest.raises(StoreError, match="would hold"):
        bucket_value(v4 + [ipaddress.ip_network(f"255.{i}.255.255/32") for i in range(20)])


def test_state_round_trip_and_unreadable_values() -> None:
    state = StoreState(True, NOW, "db upgrade")
    assert parse_state(state.value()) == state
    for text in (
        "",
        "on",
        '{"on":1}',
        '{"on":true,"until":"tomorrow"}',
        '{"on":true,"until":"2026-12-01T03:00:00+00:00"}',
    ):
        state = parse_state(text)
        assert state is None or not state.on_somewhere(NOW), text


def test_store_match_reads_entries_as_the_function_does() -> None:
    items = {"cffunc:net:10": "10.1.2.3/16 junk 10.9.0.0 10.8.0.0/33"}
    assert store_match(items, "10.1.200.1") == "10.1.0.0/16"  # host bits ignored
    assert store_match(items, "10.9.0.0") is None  # no length: skipped
    assert parse_networks("a  b") == []


def test_until_option() -> None:
    assert until_from_option("90m", NOW) == NOW + timedelta(minutes=90)
    assert until_from_option("2026-12-01T04:00:00Z", NOW) == NOW + timedelta(hours=1)
    with pytest.raises(StoreError, match="has passed"):
        until_from_option("2026-12-01T02:00:00Z", NOW)
    with pytest.raises(StoreError, match="duration"):
        until_from_option("soon", NOW)


def test_until_and_reason_are_checked_before_any_call() -> None:
    from cffunc.function.store_layout import StoreError, StoreState, until_from_option

    now = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
    assert until_from_option("2h", now) == datetime(2026, 12, 1, 5, 0, tzinfo=UTC)
    assert until_from_option("366d", now) is not None
    for bad, words in (
        ("0m", "from 1s to 366d"), ("99999999d", "from 1s to 366d"),
        ("2026-12-01T02:00:00Z", "has passed"), ("2030-01-01T00:00:00Z", "more than 366 days"),
        ("soon", "give an RFC 3339 time"),
    ):  # fmt: skip
        with pytest.raises(StoreError, match=words):
            until_from_option(bad, now)
    StoreState(True, None, "x" * 500).value()
    with pytest.raises(StoreError, match="--reason is 600 characters; give at most 500"):
        StoreState(True, None, "x" * 600).value()


def test_a_request_reads_at_most_two_keys_to_find_its_scope() -> None:
    """With a thousand host scopes: the state, then at most the request's own host key;
    the network bucket only for a request that would otherwise get maintenance."""
    import json as _json

    from cffunc.config.load import load_config
    from cffunc.function.decide import ViewerRequest
    from cffunc.function.render import render
    from cffunc.function.rules import compile_rules
    from cffunc.runtime import FunctionRuntime
    from cffunc.runtime.events import viewer_request_event
    from cffunc.runtime.local_store import KeyValueData
    from tests.helpers import ENV, SAMPLES

    rules = compile_rules(load_config(SAMPLES / "kvs.toml"), ENV)
    items = {f"cffunc:host:tenant{i}.example.com": '{"on":true}' for i in range(1000)}
    items["cffunc:state"] = _json.dumps(
        {"on": False, "scopes": [{"host": "*.eu.example.com", "on": True}], "hosts": True}
    )
    cases = [
        ("tenant7.example.com", "192.0.2.1", 3, "maintenance"),  # state, host key, bucket
        ("tenant7.example.com", "203.0.113.9", 2, "pass"),  # the config's allowlist
        ("other.example.com", "192.0.2.1", 2, "pass"),  # state, a missing host key
        ("fr.eu.example.com", "192.0.2.1", 2, "maintenance"),  # the wildcard: no host key
    ]
    with FunctionRuntime(render(rules).code, rules.runtime, kvs=KeyValueData(items)) as runtime:
        for host, ip, reads, kind in cases:
            event = viewer_request_event(ViewerRequest(ip=ip, headers={"host": host}))
            result = runtime.invoke(event, round(NOW.timestamp() * 1000))
            assert result.ok, result.error
            passed = result.output == event["request"]
            assert (result.kvs_reads, "pass" if passed else "maintenance") == (reads, kind), host


# ---- enable --at: a scope that starts by itself ----


def test_at_option_and_until_counting_from_it() -> None:
    from cffunc.function.store_layout import start_from_option

    start = start_from_option("30m", NOW)
    assert start == NOW + timedelta(minutes=30)
    assert start_from_option("2026-12-01T05:00:00Z", NOW) == NOW + timedelta(hours=2)
    assert start_from_option(None, NOW) is None
    # A duration in --until counts from --at; a time must come after it.
    assert until_from_option("2h", NOW, start) == NOW + timedelta(minutes=150)
    assert until_from_option("2026-12-01T04:00:00Z", NOW, start) == NOW + timedelta(hours=1)
    with pytest.raises(StoreError, match=r"not after --at \(2026-12-01T03:30:00\+00:00\)"):
        until_from_option("2026-12-01T03:20:00Z", NOW, start)
    for bad, words in (
        ("2026-12-01T02:00:00Z", "--at 2026-12-01T02:00:00Z: that time has passed"),
        ("0m", "--at 0m: give a duration from 1s to 366d"),
        ("tomorrow", "--at 'tomorrow': give an RFC 3339 time"),
        ("2028-01-01T00:00:00Z", "more than 366 days away"),
    ):
        with pytest.raises(StoreError, match=words):
            start_from_option(bad, NOW)


def test_a_scheduled_state_starts_by_itself_at_its_start() -> None:
    start = NOW + timedelta(minutes=30)
    state = StoreState(True, start + timedelta(hours=1), "db", start=start)
    text = state.value()
    assert '"start":"2026-12-01T03:30:00Z"' in text
    parsed = parse_state(text)
    assert parsed == state
    assert parsed is not None and parsed.scheduled(NOW) and not parsed.active(NOW)
    assert parsed.describe(NOW) == (
        "scheduled from 2026-12-01T03:30:00+00:00 until 2026-12-01T04:30:00+00:00 (db)"
    )
    assert parsed.active(start) and parsed.describe(start).startswith("on until")
    assert (
        StoreState(True, start, start=start).describe(NOW) == "off (it would end before it starts)"
    )
    # The function: off before the start, on from it (to the millisecond), off at until.
    items = {STATE_KEY: text}
    for moment, status in (
        (start - timedelta(milliseconds=1), None),
        (start, 503),
        (start + timedelta(minutes=59), 503),
        (start + timedelta(hours=1), None),
    ):
        assert run_at(items, moment)[0] == status, moment


@pytest.mark.parametrize(
    "start",
    ['"2026-12-01T03:30:00"', '"2026-12-01 03:30:00Z"', "1", '"soon"', '"2026-02-31T00:00:00Z"'],
)
def test_a_start_the_function_cannot_read_means_off(start: str) -> None:
    """Only the form cffunc writes counts, as for until: anything else is off, in the
    function and in the model alike."""
    from cffunc.function.store_layout import state_at

    items = {STATE_KEY: '{"on":true,"start":' + start + "}"}
    assert run_at(items, NOW + timedelta(days=1))[0] is None
    assert state_at(items, NOW + timedelta(days=1)) is None
    assert run_at({STATE_KEY: '{"on":true,"start":null}'}, NOW)[0] == 503


def run_at(items: dict[str, str], moment: datetime) -> tuple[int | None, tuple[str, ...]]:
    rules = compile_rules(load_config(SAMPLES / "kvs.toml"), ENV)
    with FunctionRuntime(render(rules).code, rules.runtime, kvs=KeyValueData(items)) as engine:
        event = viewer_request_event(
            ViewerRequest(ip="192.0.2.1", headers={"accept": "application/json"})
        )
        result = engine.invoke(event, round(moment.timestamp() * 1000))
    assert result.ok, result.error
    return result.output.get("statusCode"), result.logs


@pytest.mark.parametrize(
    "until", ["2026-12-31T24:00:00Z", "2026-12-31T23:59:60Z", "0000-01-01T00:00:00Z"]
)
def test_an_until_python_cannot_read_is_off_in_the_function_too(until: str) -> None:
    """V8's Date.parse reads 24:00 as the next day's midnight; Python refuses it. The
    function reads only times that come back as themselves, so both say off."""
    from cffunc.function.store_layout import state_at

    items = {STATE_KEY: json.dumps({"on": True, "until": until})}
    assert state_at(items, NOW) is None
    assert run_at(items, NOW)[0] is None


# ---- store_unreadable: what a request gets when the state cannot be read ----


def fails_closed() -> MaintenanceRules:
    config = load_config(SAMPLES / "kvs.toml")
    config = replace(
        config, maintenance=replace(config.maintenance, store_unreadable="maintenance")
    )
    return compile_rules(config, ENV)


def run_rules(
    rules: MaintenanceRules,
    store: KeyValueData,
    ip: str = "192.0.2.1",
    event_type: str = "viewer-request",
) -> Invocation:
    request = ViewerRequest(ip=ip, uri="/checkout", headers={"accept": "application/json"})
    event = viewer_request_event(request)
    with FunctionRuntime(render(rules).code, rules.runtime, kvs=store) as engine:
        result = engine.invoke(event, NOW_MS)
        if event_type == "viewer-response" and result.ok:
            result = engine.invoke(viewer_response_event(event, event["request"]), NOW_MS)
    assert result.ok, result.error
    return result


def test_an_unreadable_store_means_maintenance_when_configured() -> None:
    rules = fails_closed()
    failing = KeyValueData({STATE_KEY: '{"on":false}'}, unavailable=True)
    result = run_rules(rules, failing)
    assert result.output["statusCode"] == 503
    assert json.loads(result.output["body"]["data"])["message"] == "We are upgrading the database."
    assert result.logs[0].startswith("cffunc: maintenance state unreadable, so on: ")
    # The config's allowlist still lets the office through; the store's cannot be read.
    assert "statusCode" not in run_rules(rules, failing, ip="203.0.113.9").output
    assert (
        decide(rules, ViewerRequest(ip="203.0.113.9"), NOW, {}, unreadable=True).rule
        == "allowed-ip"
    )
    assert (
        decide(rules, ViewerRequest(ip="192.0.2.1"), NOW, {}, unreadable=True).action
        == "maintenance"
    )


@pytest.mark.parametrize(
    ("items", "log"),
    [
        ({}, "unreadable, so off"),  # a missing key is not a failed read: off, as by default
        ({STATE_KEY: "{not json"}, None),  # a value that is not the state: off
        ({STATE_KEY: '{"on":false}'}, None),
    ],
)
def test_a_readable_store_answers_as_it_says_when_failing_closed(
    items: dict[str, str], log: str | None
) -> None:
    result = run_rules(fails_closed(), KeyValueData(items))
    assert "statusCode" not in result.output
    assert (log in result.logs[0]) if log else result.logs == ()
    assert decide(fails_closed(), ViewerRequest(ip="192.0.2.1"), NOW, items).action == "pass"


def test_the_default_lets_requests_through_an_unreadable_store() -> None:
    rules = compile_rules(load_config(SAMPLES / "kvs.toml"), ENV)
    assert rules.store_unreadable == "pass"
    failing = KeyValueData({STATE_KEY: '{"on":true}'}, unavailable=True)
    assert "statusCode" not in run_rules(rules, failing).output
    assert (
        decide(rules, ViewerRequest(ip="192.0.2.1"), NOW, {}, unreadable=True).rule
        == "store-unreadable"
    )


def test_the_viewer_response_half_fails_closed_too() -> None:
    """Rewrite mode: an unreadable store in viewer-response turns the object into the 503."""
    rules = fails_closed()
    failing = KeyValueData({}, unavailable=True)
    request = ViewerRequest(ip="192.0.2.1", uri="/checkout", headers={"accept": "text/html"})
    event = viewer_request_event(request)
    with FunctionRuntime(render(rules).code, rules.runtime, kvs=failing) as engine:
        first = engine.invoke(event, NOW_MS)
        assert first.ok and first.output["uri"] == "/maintenance/index.html"
        for seen in (first.output, event["request"]):
            final = engine.invoke(viewer_response_event(event, seen), NOW_MS)
            assert final.ok and final.output["statusCode"] == 503
    assert decide_response(rules, request, NOW, False, {}, unreadable=True)


def test_a_page_is_cut_at_characters_and_read_whole_or_not_at_all() -> None:
    """Values of at most 1 KB, cut between characters; read back only whole, with the
    length JavaScript counts (UTF-16 units); an empty page is no page, as the function
    tests what it read for truth."""
    from cffunc.function.store_layout import (
        MAX_VALUE_BYTES,
        page_chunks,
        page_items,
        stored_page,
        stored_page_text,
    )

    page = "<p>" + "\U0001f6a7é" * 400 + "</p>"
    chunks = page_chunks(page)
    assert "".join(chunks) == page and len(chunks) == 3
    assert all(len(c.encode("utf-8")) <= MAX_VALUE_BYTES for c in chunks)
    where = stored_page(page)
    items = page_items(page)
    assert where.length == 7 + 400 * 3 and stored_page_text(items, where) == page
    assert stored_page_text({k: v for k, v in items.items() if not k.endswith(":1")}, where) is None
    assert stored_page_text(items | {f"{where.prefix}2": "x"}, where) is None
    assert stored_page_text(page_items(""), stored_page("")) is None
