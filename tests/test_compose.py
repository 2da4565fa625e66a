"""Composition with a foreign function: differential tests in V8, and the refusals.

For every request that passes maintenance (by the Python decision model), the composed
function's output equals the foreign function's alone on the same event, field for field;
for every other request it equals cffunc's own function's, and the same on
viewer-response. The foreign
functions in ``samples/foreign/`` are the common kinds: an SPA rewrite, redirects, basic
auth, security headers, a JWT check with the crypto module, redirects from a
KeyValueStore (async), query normalisation with the querystring module, an A/B test with
const/let, and a client-IP header with an arrow function.
"""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cffunc.function.compose import (
    SMALLEST_FOREIGN,
    CompositionError,
    ForeignFunction,
    compose,
    composed_name,
    detect_runtime,
    foreign_of,
    guess_events,
    room_for_foreign,
)
from cffunc.function.decide import ViewerRequest, decide, pass_signal
from cffunc.function.render import SIZE_LIMIT, render_code
from cffunc.function.rules import PASS_HEADER
from cffunc.runtime import FunctionRuntime
from cffunc.runtime.events import viewer_request_event, viewer_response_event
from cffunc.runtime.local_store import KeyValueData
from tests.helpers import make_rules
from tests.test_function_differential import _moment, configs, requests

FOREIGN = Path(__file__).resolve().parent.parent / "samples" / "foreign"
COMPOSABLE = sorted(p.stem for p in FOREIGN.glob("*.js") if p.stem != "legacy-bytes")
# What the KeyValueStore of kvs-redirects holds (and, with toggle = "kvs", cffunc's keys).
FOREIGN_STORE = {"redirect:/old": "https://example.com/new", "redirect:/health": "/status"}


def foreign(name: str) -> ForeignFunction:
    code = (FOREIGN / f"{name}.js").read_text()
    return ForeignFunction(name, detect_runtime(code), code)


def test_there_are_at_least_eight_kinds_in_both_runtimes() -> None:
    functions = [foreign(n) for n in COMPOSABLE]
    assert len(functions) >= 8
    assert {f.runtime for f in functions} == {"cloudfront-js-1.0", "cloudfront-js-2.0"}
    assert any("async function handler" in f.code for f in functions)
    assert any("cf.kvs()" in f.code for f in functions)
    assert guess_events(foreign("security-headers").code) == ("viewer-response",)
    assert guess_events(foreign("spa-rewrite").code) == ("viewer-request",)


def _invoke(
    code: str, runtime: str, events: list[dict[str, Any]], now: int, store: dict[str, str]
) -> list[Any]:
    with FunctionRuntime(code, runtime, kvs=KeyValueData(dict(store))) as engine:  # type: ignore[arg-type]
        results = engine.invoke_many([(copy.deepcopy(e), now) for e in events])
    out = []
    for result in results:
        assert result.ok, result.error
        out.append(result.output)
    return out


def _without_pass_marker(output: Any) -> Any:
    if isinstance(output, dict) and isinstance(output.get("headers"), dict):
        output = copy.deepcopy(output)
        output["headers"].pop(PASS_HEADER, None)
    return output


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(COMPOSABLE), configs(), st.data())
def test_composed_equals_foreign_on_pass_and_cffunc_otherwise(
    name: str, config: dict[str, Any], data: st.DataObject
) -> None:
    the_foreign = foreign(name)
    on = guess_events(the_foreign.code)
    rules = make_rules(config)
    composed = compose(rules, the_foreign, "fn", on)
    ours = replace(rules, runtime=composed.runtime)
    alone = render_code(ours).code
    batch = data.draw(st.lists(requests(config), min_size=8, max_size=16))
    now = batch[0][1]  # one frozen time per batch: each side runs the batch in one call
    events = [viewer_request_event(request) for request, _ in batch]
    got = _invoke(composed.code, composed.runtime, events, now, FOREIGN_STORE)
    # The foreign handler gets the request as cffunc passes it on: with the pass header
    # set during maintenance (removed otherwise) when one is configured.
    handed = [
        _handed(ours, request, event, now)
        for (request, _), event in zip(batch, events, strict=True)
    ]
    theirs = (
        _invoke(the_foreign.code, the_foreign.runtime, handed, now, FOREIGN_STORE)
        if "viewer-request" in on
        else None
    )
    mine = _invoke(alone, composed.runtime, events, now, FOREIGN_STORE)
    for i, (request, _) in enumerate(batch):
        decision = decide(ours, request, _moment(now))
        if decision.action != "pass":
            assert got[i] == mine[i], (name, request, decision)
        elif theirs is None:  # not on viewer-request: the request goes on as cffunc passed it
            assert got[i] == handed[i]["request"], (name, request)
        else:
            if rules.mode == "rewrite" and "statusCode" not in theirs[i]:
                assert got[i]["headers"][PASS_HEADER] == {"value": "1"}
            assert _without_pass_marker(got[i]) == theirs[i], (name, request)
    if rules.mode != "rewrite":
        return
    # viewer-response (over the request as the viewer sent it): a response cffunc turns
    # into the maintenance answer is cffunc's own answer, whatever the foreign function
    # would have done to it; any other is the foreign function's alone.
    responses = [viewer_response_event(e, e["request"]) for e in events]
    got_responses = _invoke(composed.code, composed.runtime, responses, now, FOREIGN_STORE)
    mine_responses = _invoke(alone, composed.runtime, responses, now, FOREIGN_STORE)
    theirs_responses = (
        _invoke(the_foreign.code, the_foreign.runtime, responses, now, FOREIGN_STORE)
        if "viewer-response" in on
        else [r["response"] for r in responses]
    )
    for i, (request, _) in enumerate(batch):
        turned = decide(ours, request, _moment(now)).answer == "rewrite"
        wanted = mine_responses[i] if turned else theirs_responses[i]
        assert got_responses[i] == wanted, (name, request)
        assert (got_responses[i]["statusCode"] == rules.status) == turned, (name, request)


def _handed(rules: Any, request: ViewerRequest, event: dict[str, Any], now: int) -> dict[str, Any]:
    """The event as the foreign handler sees it when cffunc passes the request."""
    if rules.pass_header is None:
        return event
    handed = copy.deepcopy(event)
    headers = handed["request"]["headers"]
    headers.pop(rules.pass_header[0], None)
    signal = pass_signal(rules, decide(rules, request, _moment(now)))
    if signal is not None:
        headers[signal[0]] = {"value": signal[1]}
    return handed


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(configs(), st.data())
def test_viewer_response_sees_either_request_and_answers_right(
    config: dict[str, Any], data: st.DataObject
) -> None:
    """Whether viewer-response sees the request as the viewer sent it or as viewer-request
    returned it is not documented: with an SPA rewrite composed on viewer-request, both
    views must give the maintenance status exactly when cffunc rewrote the request."""
    config["maintenance"]["mode"] = "rewrite"
    rules = make_rules(config)
    composed = compose(rules, foreign("spa-rewrite"), "fn")
    ours = replace(rules, runtime=composed.runtime)
    batch = data.draw(st.lists(requests(config), min_size=8, max_size=16))
    now = batch[0][1]
    events = [viewer_request_event(request) for request, _ in batch]
    went_on = _invoke(composed.code, composed.runtime, events, now, {})
    kept = [i for i, out in enumerate(went_on) if "statusCode" not in out]
    views = [
        viewer_response_event(events[i], seen)
        for i in kept
        for seen in (went_on[i], events[i]["request"])
    ]
    finals = _invoke(composed.code, composed.runtime, views, now, {})
    for n, i in enumerate(kept):
        rewrite = decide(ours, batch[i][0], _moment(now)).answer == "rewrite"
        for final in finals[2 * n : 2 * n + 2]:
            assert (final["statusCode"] == rules.status) == rewrite, batch[i][0]


def test_store_toggle_composes_with_a_foreign_store() -> None:
    """toggle = "kvs": cffunc's keys live in the foreign function's store, which both read."""
    rules = make_rules({"function": {"name": "fn", "runtime": "cloudfront-js-2.0"},
                        "maintenance": {"toggle": "kvs", "mode": "respond"}})  # fmt: skip
    composed = compose(rules, foreign("kvs-redirects"), "fn")
    assert composed.runtime == "cloudfront-js-2.0"
    store = {**FOREIGN_STORE, "cffunc:state": '{"on":false}'}
    old = viewer_request_event(ViewerRequest(ip="192.0.2.1", method="GET", uri="/old"))
    other = viewer_request_event(ViewerRequest(ip="192.0.2.1", method="GET", uri="/x"))
    off = _invoke(composed.code, composed.runtime, [old, other], 0, store)
    assert (
        off[0]["statusCode"] == 302
        and off[0]["headers"]["location"]["value"] == "https://example.com/new"
    )
    assert off[1] == other["request"]
    on = _invoke(
        composed.code, composed.runtime, [old], 0, {**store, "cffunc:state": '{"on":true}'}
    )
    assert on[0]["statusCode"] == 503


@pytest.mark.parametrize(
    ("config", "name", "message"),
    [
        # cffunc needs 2.0 (the origin switch); the foreign code uses 1.0's byte strings.
        ({"maintenance": {"origin": "bucket"}}, "legacy-bytes",
         r"uses bytesFrom \(at line 4, column \d+\), which only cloudfront-js-1.0 has"),
    ],
)  # fmt: skip
def test_refusals_say_why(config: dict[str, Any], name: str, message: str) -> None:
    with pytest.raises(CompositionError, match=message):
        compose(make_rules(config), foreign(name), "fn")


def test_too_big_is_refused_with_the_budget_of_each_part() -> None:
    big = ForeignFunction(
        "big", "cloudfront-js-1.0",
        "var BLOB = " + json.dumps("x" * 9000) + ";\nfunction handler(event) { return event.request; }\n",
    )  # fmt: skip
    with pytest.raises(CompositionError) as caught:
        compose(make_rules({}), big, "shop")
    text = str(caught.value)
    assert "over CloudFront's 10,240-byte limit" in text
    assert "cffunc " in text and "big 9,0" in text and "composition " in text


def test_foreign_code_that_cannot_compose() -> None:
    with pytest.raises(CompositionError, match="no top-level handler"):
        compose(
            make_rules({}),
            ForeignFunction("x", "cloudfront-js-1.0", "function main(e) { return e.request; }"),
            "fn",
        )
    with pytest.raises(CompositionError, match="does not run under its runtime"):
        compose(
            make_rules({}),
            ForeignFunction("x", "cloudfront-js-1.0", "const handler = (e) => e.request;"),
            "fn",
        )
    with pytest.raises(CompositionError, match=r"names C\$0 \(at line 1, column 8\)"):
        compose(
            make_rules({}),
            ForeignFunction(
                "x",
                "cloudfront-js-2.0",
                "import C$0 from 'crypto';\nfunction handler(e) { return e.request; }",
            ),
            "fn",
        )


def test_names_and_comments() -> None:
    assert composed_name("shop-maintenance", "spa-rewrite") == "shop-maintenance--spa-rewrite"
    long = composed_name("m" * 64, "f" * 64)
    assert len(long) == 64 and long.startswith("m" * 40 + "--")
    assert composed_name("m" * 64, "f" * 64) != composed_name("m" * 64, "f" * 63 + "g")
    composed = compose(make_rules({}), foreign("spa-rewrite"), "shop")
    assert foreign_of(composed.comment) == ("spa-rewrite", composed.foreign.digest)
    assert foreign_of("something else") is None
    assert len(composed.comment) <= 128


def test_imports_are_merged_and_aliased() -> None:
    code = "import c2 from 'crypto';\nfunction handler(e) { e.request.headers.h = {value: c2.createHash('sha256').update('x').digest('hex')}; return e.request; }\n"
    rules = make_rules({"allow": {"bypass_secret_env": "CFFUNC_BYPASS_SECRET", "paths": ["/x"]}})
    composed = compose(rules, ForeignFunction("hash", "cloudfront-js-2.0", code), "fn")
    # One import per module, under the composition's own name; each side names it its way.
    assert composed.code.count(" from 'crypto'") == 1 and "import c2" not in composed.code
    assert "var c2=C$0;" in composed.code and "var crypto=C$0;" in composed.code
    passes = viewer_request_event(ViewerRequest(ip="203.0.113.9", method="GET", uri="/x"))
    held = viewer_request_event(ViewerRequest(ip="203.0.113.9", method="GET", uri="/y"))
    out = _invoke(composed.code, composed.runtime, [passes, held], 0, {})
    digest = "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881"  # sha256("x")
    assert out[0]["headers"]["h"] == {"value": digest}
    assert out[1]["uri"] == "/maintenance/index.html" and "h" not in out[1]["headers"]


@pytest.mark.parametrize("mode", ["rewrite", "respond"])
def test_the_room_render_stats_shows_is_exact(mode: str) -> None:
    """A foreign function (on both events) of exactly the room shown composes to CloudFront's
    limit; one byte more does not fit."""
    rules = make_rules({"maintenance": {"mode": mode}, "allow": {"ips": ["192.0.2.0/24"]}})
    room = room_for_foreign(rules)
    both = ("viewer-request", "viewer-response")

    def of_size(size: int) -> ForeignFunction:
        padding = size - len(SMALLEST_FOREIGN) - 4
        return ForeignFunction("pad", rules.runtime, SMALLEST_FOREIGN + "/*" + "x" * padding + "*/")

    assert compose(rules, of_size(room), "fn", both).total == SIZE_LIMIT
    with pytest.raises(CompositionError, match="over CloudFront's 10,240-byte limit by 1 "):
        compose(rules, of_size(room + 1), "fn", both)
