"""allow.cors_origins: cross-origin API clients see the maintenance answer, not a CORS error.

The rendered function (V8) answers preflights and adds CORS headers to maintenance
answers for configured origins only; the decision model (cffunc/function/decide.py)
matches origins by plain string work, apart from the function's regex, and Hypothesis
holds the two to each other over tricky and generated origins. The browser's own view is
in tests/test_serve.py.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cffunc.errors import ConfigError
from cffunc.function.decide import ViewerRequest, cors_headers, decide, origin_allowed
from cffunc.function.render import render
from cffunc.runtime import FunctionRuntime
from cffunc.runtime.events import viewer_request_event, viewer_response_event
from tests.helpers import NOW, NOW_MS, cors_of, make_config, make_rules
from tests.test_function_differential import GENERATED_ORIGIN, TRICKY_ORIGINS

ORIGINS = [
    "https://app.example.com", "https://*.example.com", "http://localhost:3000",
    "https://*.preview.example.net:8443", "http://[::1]:8080",
]  # fmt: skip


def config(mode: str = "respond", **maintenance: Any) -> dict[str, Any]:
    return {
        "function": {"name": "fn", "runtime": "cloudfront-js-2.0"},
        "maintenance": {"mode": mode, "retry_after": 600, **maintenance},
        "allow": {"ips": ["203.0.113.0/24"], "cors_origins": ORIGINS},
    }


def preflight(
    origin: str, method: str = "PUT", asked: str | None = "content-type"
) -> ViewerRequest:
    headers = {"origin": origin, "access-control-request-method": method}
    if asked is not None:
        headers["access-control-request-headers"] = asked
    return ViewerRequest(ip="192.0.2.1", method="OPTIONS", uri="/api/orders", headers=headers)


def invoke(rules: Any, requests: list[ViewerRequest], ms: int = NOW_MS) -> list[dict[str, Any]]:
    with FunctionRuntime(render(rules).code, rules.runtime) as runtime:
        results = runtime.invoke_many([(viewer_request_event(r), ms) for r in requests])
    assert all(r.ok for r in results), [r.error for r in results]
    return [r.output for r in results]


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        ("https://app.example.com", True),
        ("https://evil.com.example.com", True),  # a name under example.com: it is covered
        ("https://a.b.c.example.com", True),
        ("https://example.com.evil.com", False),
        ("https://example.com", False),  # *. covers names below, not the name itself
        ("https://app.example.com.evil.com", False),
        ("null", False),
        ("HTTPS://APP.EXAMPLE.COM", False),  # browsers send lower case; nothing else matches
        ("https://App.example.com", False),
        ("https://app.example.com:443", False),
        ("https://app.example.com/", False),
        ("https://app.example.com.", False),
        ("https://user@app.example.com", False),
        ("https://ünïcode.example.com", False),
        ("https://xn--nicode-2ya.example.com", True),
        ("http://app.example.com", False),  # another scheme is another origin
        ("http://localhost:3000", True),
        ("http://localhost:30000", False),
        ("http://localhost", False),
        ("https://a.preview.example.net:8443", True),
        ("https://a.preview.example.net", False),
        ("https://preview.example.net:8443", False),
        ("http://[::1]:8080", True),
        ("https://*.example.com", False),  # the pattern itself is no origin
        ("https://x.example.com https://app.example.com", False),
        ("", False),
    ],
)
def test_which_origins_are_reflected(origin: str, allowed: bool) -> None:
    rules = make_rules(config())
    assert origin_allowed(rules.cors_origins, origin) is allowed
    [answer] = invoke(rules, [preflight(origin)])
    assert answer["statusCode"] == (204 if origin else 503)
    assert (answer["headers"].get("access-control-allow-origin") == {"value": origin}) is allowed


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.one_of(st.sampled_from(TRICKY_ORIGINS), GENERATED_ORIGIN), min_size=30, max_size=60)
)
def test_v8_and_the_model_reflect_the_same_origins(origins: list[str]) -> None:
    """The function's regex and the model's string matching agree on every Origin, and
    whatever is reflected is the request's own, configured Origin."""
    rules = make_rules(config())
    requests = [preflight(o) for o in origins] + [
        ViewerRequest(
            ip="192.0.2.1", uri="/api", headers={"origin": o, "accept": "application/json"}
        )
        for o in origins
    ]
    for request, output in zip(requests, invoke(rules, requests), strict=True):
        decision = decide(rules, request, NOW)
        assert decision.action == "maintenance"
        assert cors_of(output) == cors_headers(rules, request, decision.answer or "json"), request


def test_a_preflight_gets_what_it_asked_for_with_credentials() -> None:
    rules = make_rules(config())
    asked = "content-type,x-requested-with"
    [answer, unlisted, odd] = invoke(
        rules,
        [
            preflight("https://app.example.com", "DELETE", asked),
            preflight("https://evil.example.org", "DELETE", asked),
            preflight("https://app.example.com", "PUT\u00a0X", "x-a\u00e9"),
        ],
    )
    assert answer["statusCode"] == 204 and "body" not in answer
    assert cors_of(answer) == {
        "vary": "origin",
        "access-control-allow-origin": "https://app.example.com",
        "access-control-allow-credentials": "true",
        "access-control-allow-methods": "DELETE",
        "access-control-allow-headers": asked,
        "access-control-max-age": "60",
    }
    assert unlisted == {
        "statusCode": 204,
        "statusDescription": "No Content",
        "headers": {"vary": {"value": "origin"}},
    }
    # What is not in token form is not echoed (the browser then refuses the request).
    assert "access-control-allow-methods" not in odd["headers"]
    assert "access-control-allow-headers" not in odd["headers"]


def test_preflights_that_would_pass_reach_the_origin() -> None:
    """From an allowlisted network, outside the window, or in read-only mode (OPTIONS
    passes), the origin answers its own preflight."""
    office = ViewerRequest(
        ip="203.0.113.9", method="OPTIONS", uri="/api",
        headers={"origin": "https://app.example.com", "access-control-request-method": "PUT"},
    )  # fmt: skip
    for rules, request, ms in (
        (make_rules(config()), office, NOW_MS),
        (
            make_rules(config(end="2026-12-01T02:00:00Z")),
            preflight("https://app.example.com"),
            NOW_MS,
        ),
        (make_rules(config(methods="writes")), preflight("https://app.example.com"), NOW_MS),
    ):
        [output] = invoke(rules, [request], ms)
        assert output == viewer_request_event(request)["request"]
        assert decide(rules, request, NOW).action == "pass"


@pytest.mark.parametrize(
    ("mode", "method", "accept", "kind"),
    [
        ("respond", "GET", "application/json", "application/json"),
        ("respond", "GET", "text/html", "text/html"),
        ("rewrite", "POST", "", "text/plain"),
        ("rewrite", "GET", "application/json", "application/json"),
        ("respond", "OPTIONS", "", "text/html"),  # OPTIONS without the preflight headers
    ],
)
def test_maintenance_answers_carry_cors_for_a_configured_origin(
    mode: str, method: str, accept: str, kind: str
) -> None:
    rules = make_rules(config(mode))
    headers = {"origin": "https://shop.example.com", "accept": accept}
    listed = ViewerRequest(ip="192.0.2.1", method=method, uri="/api", headers=headers)
    unlisted = ViewerRequest(
        ip="192.0.2.1", method=method, uri="/api", headers={**headers, "origin": "https://x.test"}
    )
    mine, theirs = invoke(rules, [listed, unlisted])
    assert mine["statusCode"] == 503 and mine["headers"]["content-type"]["value"].startswith(kind)
    assert cors_of(mine) == {
        "vary": "origin",
        "access-control-allow-origin": "https://shop.example.com",
        "access-control-allow-credentials": "true",
        "access-control-expose-headers": "retry-after",
    }
    assert cors_of(theirs) == {"vary": "origin"}


def test_the_rewrite_mode_503_carries_cors_whichever_request_viewer_response_sees() -> None:
    rules = make_rules(config("rewrite"))
    request = ViewerRequest(
        ip="192.0.2.1", uri="/app", headers={"origin": "https://app.example.com"}
    )
    event = viewer_request_event(request)
    with FunctionRuntime(render(rules).code, rules.runtime) as runtime:
        rewritten = runtime.invoke(event, NOW_MS).output
        assert rewritten["uri"] == "/maintenance/index.html"
        assert not cors_of(rewritten)  # the request to the object carries none
        for seen in (rewritten, event["request"]):
            final = runtime.invoke(viewer_response_event(event, seen), NOW_MS)
            assert final.ok and final.output["statusCode"] == 503
            assert cors_of(final.output) == cors_headers(rules, request, "rewrite")
            assert final.output["headers"]["access-control-allow-origin"] == {
                "value": "https://app.example.com"
            }


def test_not_configured_nothing_is_rendered_or_added() -> None:
    plain = config()
    del plain["allow"]["cors_origins"]
    rules = make_rules(plain)
    code = render(rules).code
    assert "access-control" not in code and "vary" not in code
    request = preflight("https://app.example.com")
    [output] = invoke(rules, [request])
    assert output["statusCode"] == 503 and not cors_of(output)
    assert (
        decide(rules, request, NOW).answer == "page" and cors_headers(rules, request, "page") == {}
    )


@pytest.mark.parametrize(
    ("origins", "words"),
    [
        (["*"], "CORS with credentials never allows any origin"),
        (["null"], "nor the opaque origin null"),
        (
            ["https://app.example.com/"],
            'an origin has no path, query or "/" at the end; give "https://app.example.com"',
        ),
        (["https://app.example.com/api"], 'give "https://app.example.com"'),
        (
            ["https://App.Example.com"],
            'browsers send the scheme and host in lower case; give "https://app.example.com"',
        ),
        (
            ["https://app.example.com:443"],
            'browsers leave out the default port; give "https://app.example.com"',
        ),
        (["http://app.example.com:80"], 'give "http://app.example.com"'),
        (["https://app.example.com:70000"], "give a port from 1 to 65535"),
        (["https://user@app.example.com"], "an origin has no user name or password"),
        (
            ["https://ünïcode.example.com"],
            'ASCII (punycode) form; give "https://xn--ncode-cta3g.example.com"',
        ),
        (["app.example.com"], 'give the scheme too, e.g. "https://app.example.com"'),
        (["ftp://app.example.com"], "scheme http or https"),
        (["https://app.*.example.com"], "a *. wildcard only as the first label"),
        (["https://*.com"], "*.com would cover every site under .com"),
        (["http://[0:0::1]:8080"], "give an IPv6 address as browsers write it"),
        ([], "allow.cors_origins = [] is not accepted; give a non-empty list"),
        ("https://app.example.com", "give a non-empty list of origins"),
        ([7], "allow.cors_origins entry 7 is not accepted; give a string"),
    ],
)
def test_bad_origins_name_key_value_and_fix(origins: Any, words: str) -> None:
    with pytest.raises(ConfigError) as raised:
        make_config({"allow": {"cors_origins": origins}})
    message = str(raised.value)
    assert words in message and "allow.cors_origins" in message and "\n" not in message


def test_origins_are_kept_once_each() -> None:
    allowed = make_config({"allow": {"cors_origins": ["https://a.example.com"] * 2}}).allow
    assert allowed.cors_origins == ("https://a.example.com",)
