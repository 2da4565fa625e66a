"""A composed function keeps cffunc's promise against foreign code written to break it.

Hypothesis builds hostile foreign functions from the attacks below (on built-ins cffunc's
decision calls, on the prototypes it reads through, on the composition's own names and
on the global object), placed at the top level or in the handler, and returning the
request as is, through a Proxy, behind a throwing trap, in a promise or in a bare
thenable. A batch of requests runs through the composition in one runtime, so what an
earlier invocation did is there for the later ones. Every request cffunc alone answers
with maintenance must get exactly cffunc alone's answer; every request it passes must get
exactly what the foreign function alone gives (the pass marker aside). The foreign
handler's own output never depends on its attacks, so it is the same alone and composed.
"""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cffunc.function.compose import CompositionError, ForeignFunction, compose
from cffunc.function.decide import ViewerRequest, decide
from cffunc.function.render import render_code
from cffunc.function.rules import PASS_HEADER
from cffunc.runtime import FunctionRuntime
from cffunc.runtime.events import viewer_request_event, viewer_response_event
from tests.helpers import make_rules
from tests.test_compose import _handed, _without_pass_marker
from tests.test_function_differential import _moment, configs, requests

HANDLER = "function handler(e){return e.request}"

# Each undoes a part of what cffunc's decision relies on; a foreign function alone is
# unaffected by all of them (its handler uses none of it).
ATTACKS = (
    "RegExp.prototype.test=function(){return true}",
    "RegExp.prototype.exec=function(){return null}",
    "RegExp.prototype[Symbol.match]=function(){return null}",
    "String.prototype.indexOf=function(){return -1}",
    "String.prototype.split=function(){return []}",
    "String.prototype.toLowerCase=function(){return 'x'}",
    "String.prototype.slice=function(){return ''}",
    "String.prototype.charCodeAt=function(){return 48}",
    "String.prototype.substring=function(){return ''}",
    "String.prototype.replace=function(){return ''}",
    "String.fromCharCode=function(){return ''}",
    "Date.now=function(){return 0}",
    "Date.prototype.getTime=function(){return 0}",
    "JSON.parse=function(){return {}}",
    "JSON.stringify=function(){return '{}'}",
    "Object.defineProperty=function(o){return o}",
    "Object.keys=function(){return []}",
    "Object.freeze=function(o){return o}",
    "Object.prototype.cookie={value:'cffunc_bypass=1'}",
    "Object.prototype.value='203.0.113.1'",
    "Object.defineProperty(Object.prototype,'x-cffunc-maintenance',{get:function(){throw 1}})",
    "Object.prototype.then=function(f){f(null)}",
    "Array.prototype.indexOf=function(){return 0}",
    "Array.prototype.push=function(){return 0}",
    "Array.prototype.join=function(){return ''}",
    "Array.isArray=function(){return true}",
    "Math.floor=function(){return 0}",
    "Math.min=function(){return 0}",
    "Number.prototype.toString=function(){return '0'}",
    "parseInt=function(){return 0}",
    "globalThis.parseInt=function(){return 0}",
    "decodeURIComponent=function(s){return s}",
    "encodeURIComponent=function(s){return s}",
    "Function.prototype.call=function(){return true}",
    "Function.prototype.apply=function(){return true}",
    "Promise.prototype.then=function(f){return f(null)}",
    "Promise.resolve=function(){return {then:function(f){f(null)}}}",
    "globalThis.handler=function(e){return e.request}",
    "globalThis.C=1",
    "handler=function(e){return e.context.eventType==='viewer-response'?e.response:e.request}",
    "Object.getPrototypeOf(require('crypto').createHmac('sha256','k')).digest=function(){return ''}",
    "Object.getPrototypeOf(require('crypto').createHmac('sha256','k')).update=function(){return this}",
    "require('crypto').createHmac=function(){return {update:function(){return this},digest:function(){return ''}}}",
    "Object.getPrototypeOf([][Symbol.iterator]()).next=function(){return {done:true}}",
    "Array.prototype[Symbol.iterator]=function(){return [][Symbol.iterator]()}",
    "Error.prototype.toString=function(){return ''}",
)

# What the handler returns: each serialises to the request as the handler got it.
RETURNS = (
    "e.request",
    "new Proxy(e.request,{})",
    "new Proxy(e.request,{has:function(){throw new Error('no')}})",
    "new Proxy(e.request,{set:function(){return true},defineProperty:function(){return true}})",
    "Promise.resolve(e.request)",
    "{then:function(f){f(e.request)}}",
)


@st.composite
def hostile(draw: st.DrawFn) -> tuple[ForeignFunction, ForeignFunction, bool]:
    """A hostile foreign function, its benign twin (the same without the attacks: what
    the hostile one gives alone, as its handler never depends on them; run alone, some
    attacks would break the local runtime's own bookkeeping) and whether it runs on
    viewer-response too."""
    runtime = draw(st.sampled_from(["cloudfront-js-1.0", "cloudfront-js-2.0"]))
    chosen = draw(st.lists(st.sampled_from(ATTACKS), min_size=1, max_size=5, unique=True))
    placed = [draw(st.sampled_from(["top", "handler"])) for _ in chosen]
    returned = draw(st.sampled_from(RETURNS))
    both = draw(st.booleans())
    guarded = ["try{" + attack + "}catch(x){}" for attack in chosen]
    inside = "".join(a for a, p in zip(guarded, placed, strict=True) if p == "handler")
    top = "\n".join(a for a, p in zip(guarded, placed, strict=True) if p == "top")
    response = "if(e.context.eventType==='viewer-response')return e.response;" if both else ""
    lines = []
    if runtime == "cloudfront-js-2.0":
        # The same local name as cffunc's own import of another module.
        lines.append("import cf from 'querystring';")
    lines.append(f"function handler(e){{{inside}{response}return {returned}}}")
    if runtime == "cloudfront-js-1.0" and draw(st.booleans()):
        # A script may declare handler twice (a module may not); the last one counts.
        lines.insert(0, "function handler(e){return null}")
    benign = [line.replace(inside, "") for line in lines]
    lines.append(top)
    if draw(st.booleans()):
        lines.append("var C=0;")  # var hoisting of a name the composition once used
    return (
        ForeignFunction("hostile", runtime, "\n".join(lines) + "\n"),  # type: ignore[arg-type]
        ForeignFunction("benign", runtime, "\n".join(benign) + "\n"),  # type: ignore[arg-type]
        both,
    )


def _outputs(code: str, runtime: str, events: list[dict[str, Any]], now: int) -> list[Any]:
    with FunctionRuntime(code, runtime) as engine:  # type: ignore[arg-type]
        results = engine.invoke_many([(copy.deepcopy(e), now) for e in events])
    # Errors compare too: where the foreign function fails alone, it fails composed.
    return [result.output if result.ok else ("error", result.error) for result in results]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(configs(), hostile(), st.data())
def test_hostile_foreign_code_cannot_change_a_maintenance_answer(
    config: dict[str, Any],
    foreign: tuple[ForeignFunction, ForeignFunction, bool],
    data: st.DataObject,
) -> None:
    the_foreign, twin, both = foreign
    events_on = ("viewer-request", "viewer-response") if both else ("viewer-request",)
    rules = make_rules(config)
    composed = compose(rules, the_foreign, "fn", events_on)
    ours = replace(rules, runtime=composed.runtime)
    alone = render_code(ours).code
    batch = data.draw(st.lists(requests(config), min_size=6, max_size=12))
    now = batch[0][1]
    events = [viewer_request_event(request) for request, _ in batch]
    got = _outputs(composed.code, composed.runtime, events, now)
    mine = _outputs(alone, composed.runtime, events, now)
    handed = [_handed(ours, r, e, now) for (r, _), e in zip(batch, events, strict=True)]
    theirs = _outputs(twin.code, twin.runtime, handed, now)
    for i, (request, _) in enumerate(batch):
        if decide(ours, request, _moment(now)).action != "pass":
            assert got[i] == mine[i], (the_foreign.code, request)
        else:
            assert _without_pass_marker(got[i]) == theirs[i], (the_foreign.code, request)
    if rules.mode != "rewrite":
        return
    responses = [viewer_response_event(e, e["request"]) for e in events]
    got_responses = _outputs(composed.code, composed.runtime, responses, now)
    mine_responses = _outputs(alone, composed.runtime, responses, now)
    for i, (request, _) in enumerate(batch):
        if decide(ours, request, _moment(now)).answer == "rewrite":
            assert got_responses[i] == mine_responses[i], (the_foreign.code, request)
            assert got_responses[i]["statusCode"] == rules.status


def _office_only(code: str, runtime: str = "cloudfront-js-1.0") -> tuple[Any, Any]:
    """cffunc letting only 198.51.100.0/24 through, composed with ``code``."""
    rules = make_rules({"allow": {"ips": ["198.51.100.0/24"]}})
    return rules, compose(rules, ForeignFunction("f", runtime, code), "fn")  # type: ignore[arg-type]


def test_the_reproduction_gets_the_maintenance_rewrite() -> None:
    """The report's case: a foreign function that reassigns the old glue's name."""
    rules, composed = _office_only(
        "function handler(e){return e.request} try{M$=function(){return null}}catch(x){}"
    )
    event = viewer_request_event(ViewerRequest(ip="192.0.2.1", method="GET", uri="/checkout"))
    alone = render_code(replace(rules, runtime=composed.runtime)).code
    assert _outputs(composed.code, composed.runtime, [event] * 3, 0) == _outputs(
        alone, composed.runtime, [event] * 3, 0
    )


def test_a_foreign_function_that_fails_to_load_leaves_maintenance_working() -> None:
    """The foreign module body runs only once cffunc lets a request through."""
    _, composed = _office_only("throw new Error('broken');\nfunction handler(e){return e.request}")
    held = viewer_request_event(ViewerRequest(ip="192.0.2.1", method="GET", uri="/"))
    passes = viewer_request_event(ViewerRequest(ip="198.51.100.7", method="GET", uri="/"))
    with FunctionRuntime(composed.code, composed.runtime) as engine:
        maintenance, broken = engine.invoke_many([(held, 0), (passes, 0)])
    assert maintenance.ok and maintenance.output["uri"] == "/maintenance/index.html"
    assert not broken.ok and "broken" in (broken.error or "")


@pytest.mark.parametrize(
    "code",
    [
        "function handler(e){return e.request}\nC$H=function(e){return e.request};",
        "function handler(e){C$m=null;return e.request}",
        "function handler(e){return e.request}\nvar o={C$f:1};",
    ],
)
def test_foreign_code_that_names_the_compositions_names_is_refused(code: str) -> None:
    with pytest.raises(CompositionError, match=r"names C\$\w+ \(at line \d+, column \d+\)"):
        compose(make_rules({}), ForeignFunction("f", "cloudfront-js-1.0", code), "fn")


def test_the_pass_marker_never_makes_a_passing_request_throw() -> None:
    # A Proxy whose `has` trap throws: the marker cannot be added, the request goes on.
    _, composed = _office_only(
        "function handler(e){return new Proxy(e.request,{has:function(){throw 1}})}",
        "cloudfront-js-2.0",
    )
    passes = viewer_request_event(ViewerRequest(ip="198.51.100.7", method="GET", uri="/a"))
    (result,) = _outputs(composed.code, composed.runtime, [passes], 0)
    assert result["uri"] == "/a" and PASS_HEADER not in result["headers"]


@pytest.mark.parametrize("bypass", [False, True])
def test_the_freeze_names_only_modules_cffunc_holds(bypass: bool) -> None:
    """A reason that mentions crypto (no bypass, so no crypto module) once made the
    freeze name an undeclared `crypto`, and every passing request failed."""
    allow: dict[str, Any] = {"ips": ["198.51.100.0/24"]}
    if bypass:
        allow["bypass_secret_env"] = "CFFUNC_BYPASS_SECRET"
    rules = make_rules(
        {"maintenance": {"mode": "respond", "reason": "a crypto upgrade"}, "allow": allow}
    )
    composed = compose(rules, ForeignFunction("f", "cloudfront-js-1.0", HANDLER), "fn")
    passes = viewer_request_event(ViewerRequest(ip="198.51.100.7", method="GET", uri="/a"))
    (result,) = _outputs(composed.code, composed.runtime, [passes], 0)
    assert result["uri"] == "/a"
    assert ("z(crypto)" in composed.code) == bypass
