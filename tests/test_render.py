"""Rendering: golden files, syntax and runtime features of every variant, the secret, the size
budget, and hostile config values."""

from __future__ import annotations

import ipaddress
import itertools
import json
import random
from pathlib import Path
from typing import Any

import markupsafe
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cffunc.config.load import load_config
from cffunc.errors import RenderError
from cffunc.function.addresses import ALPHABET, digits
from cffunc.function.decide import ViewerRequest
from cffunc.function.features import check_features
from cffunc.function.render import SIZE_LIMIT, compact, readable_source, render, render_code
from cffunc.function.rules import compile_rules
from cffunc.function.templates import js, js_regex
from cffunc.runtime import FunctionRuntime
from cffunc.runtime.events import viewer_request_event, viewer_response_event
from cffunc.runtime.origins import OriginCall
from tests.helpers import (
    ENV,
    NOW,
    NOW_MS,
    SAMPLES,
    SECRET,
    make_config,
    make_function,
    make_rules,
)

GOLDEN = Path(__file__).parent / "golden"


@pytest.mark.parametrize("sample", ["cffunc", "respond", "kvs", "tenants"])
def test_samples_match_golden_files(sample: str) -> None:
    """Regenerate with `python scripts/regen_golden.py` and review the diff (the
    .readable.js files show a template change as an ordinary diff)."""
    rules = compile_rules(load_config(SAMPLES / f"{sample}.toml"), ENV)
    code = render(rules).code
    assert code == (GOLDEN / f"{sample}.js").read_text(encoding="utf-8")
    readable = (GOLDEN / f"{sample}.readable.js").read_text(encoding="utf-8")
    assert readable_source(rules) == readable
    assert compact(readable) == code  # the readable file is the deployed code, spaced out


VARIANTS = list(
    itertools.product(
        ["cloudfront-js-1.0", "cloudfront-js-2.0"],
        ["rewrite", "respond"],
        [True, False],  # bypass
        [True, False],  # json
        [[], ["192.0.2.0/24"], ["2001:db8::/32"], ["192.0.2.0/24", "2001:db8::/32"]],
        [[], ["/health"]],
        [True, False],  # window
    )
)


@pytest.mark.property  # a sweep of 256 variants, each rendered and loaded in V8
@pytest.mark.parametrize(
    ("runtime", "mode", "bypass", "json_answers", "ips", "paths", "window"), VARIANTS
)
def test_every_variant_parses_within_its_runtime(
    runtime: str,
    mode: str,
    bypass: bool,
    json_answers: bool,
    ips: list[str],
    paths: list[str],
    window: bool,
) -> None:
    maintenance: dict[str, Any] = {"mode": mode, "json": json_answers}
    if window:
        maintenance |= {"start": "2026-12-01T02:00:00Z", "end": "2026-12-01T04:00:00Z"}
    if mode == "rewrite" and runtime == "cloudfront-js-2.0":
        maintenance["origin"] = "maintenance-bucket"
    allow: dict[str, Any] = {"ips": ips, "paths": paths}
    if bypass:
        allow["bypass_secret_env"] = "CFFUNC_BYPASS_SECRET"
    _, function = make_function(
        {"function": {"name": "fn", "runtime": runtime}, "maintenance": maintenance, "allow": allow}
    )
    check_features(function.code, runtime)  # type: ignore[arg-type]
    if runtime == "cloudfront-js-1.0":
        # Arrow functions are in both runtimes (functions-javascript-runtime-10.html, "Functions").
        for word in ("const ", "let ", "async ", "import "):
            assert word not in function.code


def test_secret_never_reaches_the_code() -> None:
    _, function = make_function({"allow": {"bypass_secret_env": "CFFUNC_BYPASS_SECRET"}})
    assert SECRET not in function.code
    assert SECRET[:10] not in function.code


def test_missing_or_short_secret_is_an_error() -> None:
    config: dict[str, Any] = {"allow": {"bypass_secret_env": "CFFUNC_BYPASS_SECRET"}}
    with pytest.raises(RenderError, match="names CFFUNC_BYPASS_SECRET, which is not set; export"):
        make_rules(config, env={})
    with pytest.raises(RenderError, match="has 5 characters; use at least 16"):
        make_rules(config, env={"CFFUNC_BYPASS_SECRET": "short"})


def test_stats_add_up() -> None:
    function_rules, function = make_function(
        {"maintenance": {"mode": "respond"}, "allow": {"ips": ["192.0.2.0/24"], "paths": ["/x"]}}
    )
    stats = function.stats
    assert stats.total == len(function.code_bytes)
    assert stats.page > 1000
    # One network: the list form (a regex of its key: byte count, then 24 bits) is smaller.
    assert stats.allowlist == len("/^(?:4110000000000000000000010)/") + len(js("^(?:/x)$"))
    search = render_code(function_rules, ip_form="search").stats
    assert search.allowlist == len(js("D===R=")) + len(js("^(?:/x)$"))
    assert search.total > stats.total
    assert stats.logic == stats.total - stats.page - stats.allowlist
    assert stats.v4_networks == 1 and stats.v6_networks == 0


def random_networks(count: int, version: int, low: int, high: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    bits = 32 if version == 4 else 128
    out = []
    for _ in range(count):
        prefix = rng.randint(low, high)
        address = rng.getrandbits(bits)
        out.append(str(ipaddress.ip_network((address, prefix), strict=False)))
    return out


def test_over_the_limit_says_where_the_bytes_go() -> None:
    rules = make_rules({"allow": {"ips": random_networks(2000, 4, 24, 32)}})
    with pytest.raises(RenderError) as raised:
        render(rules)
    message = str(raised.value)
    assert f"over CloudFront's {SIZE_LIMIT:,}-byte limit" in message
    assert "(page 0, allowlist " in message and "logic " in message
    assert 'use maintenance.mode = "rewrite"' in message and "fewer or wider CIDRs" in message
    assert render_code(rules).stats.total > SIZE_LIMIT


def test_six_hundred_ipv4_cidrs_fit_in_rewrite_mode() -> None:
    _, function = make_function(
        {
            "allow": {
                "ips": random_networks(600, 4, 24, 32),
                "paths": ["/health"],
                "bypass_secret_env": "CFFUNC_BYPASS_SECRET",
            }
        }
    )
    assert function.stats.v4_networks == 600
    assert function.stats.total <= SIZE_LIMIT


@given(st.integers(0, 2**128 - 1), st.integers(0, 2**128 - 1))
def test_encoded_addresses_sort_like_numbers(a: int, b: int) -> None:
    assert (digits(a, 22) < digits(b, 22)) == (a < b)


def test_alphabet_needs_no_escaping() -> None:
    assert js(ALPHABET) == '"' + ALPHABET + '"'


HOSTILE = "\"'\\\n</script><!--${x}`\u2028\u2029&<>" + "\x00\ttab"
HOSTILE_TOKEN = "\"'\\</script>${x}`&<>"  # no whitespace: for keys that refuse it


@pytest.mark.parametrize("runtime", ["cloudfront-js-1.0", "cloudfront-js-2.0"])
def test_hostile_strings_render_to_code_that_behaves_as_configured(
    tmp_path: Path, runtime: str
) -> None:
    page = tmp_path / "page.html"
    page.write_text("<p>" + HOSTILE + "</p>{{ reason }}")
    config = {
        "function": {"name": "fn", "runtime": runtime},
        "maintenance": {"mode": "respond", "page": str(page), "reason": HOSTILE},
        "allow": {
            "paths": ["/it's/$1\"+@:&~*"],
            "bypass_secret_env": "CFFUNC_BYPASS_SECRET",
            "bypass_path": "/by'pass$",
            "bypass_cookie": "c'$`|~",
        },
    }
    rules, function = make_function(config)
    check_features(function.code, runtime)  # type: ignore[arg-type]
    assert "\u2028" not in function.code and "\u2029" not in function.code
    with FunctionRuntime(function.code, rules.runtime) as v8:
        requests = [
            ViewerRequest(ip="192.0.2.1", uri="/x"),
            ViewerRequest(ip="192.0.2.1", uri="/x", headers={"accept": "application/json"}),
            ViewerRequest(ip="192.0.2.1", uri="/it's/$1\"+@:&~/deep"),
            ViewerRequest(ip="192.0.2.1", uri="/by'pass$", querystring={"token": SECRET}),
        ]
        page_answer, json_answer, passed, redirect = (
            r.output for r in v8.invoke_many([(viewer_request_event(q), NOW_MS) for q in requests])
        )
    # The page file is the user's HTML, kept verbatim; {{ reason }} in it is HTML-escaped.
    assert page_answer["body"]["data"] == "<p>" + HOSTILE + "</p>" + str(markupsafe.escape(HOSTILE))
    assert json.loads(json_answer["body"]["data"])["message"] == HOSTILE
    assert passed == viewer_request_event(requests[2])["request"]
    assert list(redirect["cookies"]) == ["c'$`|~"]


@pytest.mark.parametrize("runtime", ["cloudfront-js-1.0", "cloudfront-js-2.0"])
@pytest.mark.parametrize(
    "reason",
    [
        HOSTILE * 2,
        "".join(chr(c) for c in range(0x20)) + "\x7f\u2028\u2029\ufeff",
        'Wartung bis 04:00 — été 🚧 日本語 \\ "quoted" {tenant}',
    ],
)
def test_the_json_body_built_from_the_text_is_the_configured_one(runtime: str, reason: str) -> None:
    """The function builds its JSON body around the text body's message (it holds the
    message once): JSON.stringify must escape it exactly as json.dumps did."""
    from cffunc.function.render import json_parts

    rules, function = make_function(
        {"function": {"name": "fn", "runtime": runtime}, "maintenance": {"reason": reason}}
    )
    assert json_parts(rules) is not None
    request = ViewerRequest(ip="192.0.2.1", method="POST", headers={"accept": "application/json"})
    with FunctionRuntime(function.code, rules.runtime) as v8:
        answer = v8.invoke(viewer_request_event(request), NOW_MS).output
    assert answer["body"]["data"] == rules.json_body


def test_replay_builds_the_regexes_with_their_flags() -> None:
    """replay's scope table carries each regex with its flags: without SAFE's ``i`` an
    upper-case escape (%2D, as browsers send) would be unsafe to replay alone."""
    from cffunc.function.paths import SAFE_URI, is_safe
    from cffunc.function.templates import regex_parts
    from cffunc.replay.run import scope_table

    table = scope_table(make_rules({"maintenance": {"paths": ["/checkout/*"]}}), None, NOW)
    assert table is not None and table["safe"] == regex_parts(SAFE_URI) and table["safe"][1] == "i"
    uris = ["/a%2D", "/x%3A", "/a%2d", "/a%2E%2E", "/\u212a"]
    code = (
        f"var SAFE = new RegExp({json.dumps(table['safe'][0])}, {json.dumps(table['safe'][1])});\n"
        "function handler(e) { e.request.headers.safe = {value: String(SAFE.test(e.request.uri))};"
        " return e.request; }"
    )
    with FunctionRuntime(code, "cloudfront-js-1.0") as v8:
        results = v8.invoke_many(
            [(viewer_request_event(ViewerRequest(ip="192.0.2.1", uri=u)), NOW_MS) for u in uris]
        )
    got = [r.output["headers"]["safe"]["value"] == "true" for r in results]
    assert got == [is_safe(u) for u in uris] == [True, True, True, False, False]


def test_hostile_origin_and_object_reach_the_request_verbatim() -> None:
    rules, function = make_function(
        {
            "maintenance": {"origin": HOSTILE_TOKEN, "object": "/it's$/a+b", "reason": HOSTILE},
            "allow": {"ips": ["192.0.2.0/24"]},
        }
    )
    with FunctionRuntime(function.code, rules.runtime) as v8:
        event = viewer_request_event(ViewerRequest(ip="198.51.100.1", uri="/x"))
        result = v8.invoke(event, NOW_MS)
        assert result.output["uri"] == "/it's$/a+b"
        assert result.origin_calls == (OriginCall("selectRequestOriginById", (HOSTILE_TOKEN,)),)
        final = v8.invoke(viewer_response_event(event, result.output), NOW_MS)
    assert final.output["statusCode"] == 503
    text = v8_text_answer(rules, function.code)
    assert text == HOSTILE + "\n"


def v8_text_answer(rules: Any, code: str) -> str:
    """The generated text body a POST gets in rewrite mode (it cannot be rewritten)."""
    with FunctionRuntime(code, rules.runtime) as v8:
        event = viewer_request_event(ViewerRequest(ip="198.51.100.1", method="POST", uri="/x"))
        return str(v8.invoke(event, NOW_MS).output["body"]["data"])


def test_shared_regexes_are_written_once_in_python() -> None:
    """The function's ambiguous-URI and `until` checks are the Python patterns, carried
    over by the js_regex filter (no copy in the templates)."""
    import re

    from cffunc.function.paths import SAFE_URI
    from cffunc.function.store_layout import UNTIL_FORMAT

    assert js_regex(SAFE_URI).startswith(r"/^(?=\/)(?:\/(?!\.(?![\w~-]))")
    assert js_regex(SAFE_URI).endswith("$/i")
    assert (
        js_regex(UNTIL_FORMAT) == r"/^[1-9][0-9]{3}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$/"
    )
    templates = Path(__file__).resolve().parent.parent / "js_templates"
    text = "".join(p.read_text() for p in templates.rglob("*.j2"))
    assert "%5c" not in text and "[0-9]{4}" not in text
    code = render(make_rules({"allow": {"paths": ["/health"]}})).code
    assert js_regex(SAFE_URI) in code
    for bad in (
        re.compile("(?P<x>a)"),
        re.compile(r"\Aa"),
        re.compile("a", re.MULTILINE),
        re.compile("[a-z]", re.IGNORECASE),  # Unicode folding: [a-z] takes the Kelvin sign
        re.compile(r"\s", re.ASCII),  # JavaScript's \s takes Unicode spaces
    ):
        with pytest.raises(ValueError):
            js_regex(bad)
    # A "/" inside the pattern is escaped; an escaped one is left alone; V8 agrees with re.
    assert js_regex(re.compile(r"a/b\/c")) == r"/a\/b\/c/"


def test_the_case_blind_safe_uri_regex_folds_only_ascii_in_v8_and_python(
    safe_uri_runtime: Any,
) -> None:
    """SAFE is case-blind (``i``, re.IGNORECASE | re.ASCII): V8 and ``re`` agree on
    letters that fold to ASCII only under Unicode rules, and on percent-encodings in
    either case."""
    from cffunc.function.paths import is_safe

    uris = [
        "/a%2E%2e/x", "/%2f", "/%5C", "/%5c", "/%3B", "/%3b", "/%7F", "/%7f", "/%7E", "/%41b",
        "/\u212a", "/\u017f", "/K", "/s", "/\u0130", "/\u0131", "/.\u212a", "/.well-known",
        "/x_y~z", "/\u00e9", "/%C3%A9", "/a%20b", "/%25",
    ]  # fmt: skip
    events = [viewer_request_event(ViewerRequest(ip="192.0.2.1", uri=u)) for u in uris]
    results = safe_uri_runtime.invoke_many([(e, NOW_MS) for e in events])
    got = [r.output["headers"]["safe"]["value"] == "true" for r in results]
    assert got == [is_safe(u) for u in uris]
    assert [is_safe(u) for u in ("/\u212a", "/\u017f", "/%41b", "/%2E%2e/x")] == [
        False, False, True, False,
    ]  # fmt: skip


@pytest.mark.parametrize(
    "page",
    [
        "{{ cycler.__init__.__globals__.os.popen('touch MARKER').read() }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{% include '/etc/hostname' %}",
        "{% include '../../README.md' %}",
        "{% import '/etc/passwd' as p %}",
    ],
)
def test_the_page_template_cannot_reach_python_or_files(tmp_path: Path, page: str) -> None:
    """The page is a user's Jinja template rendered on the machine that runs cffunc:
    the sandbox refuses Python internals, and a page includes nothing."""
    marker = tmp_path / "MARKER"
    (tmp_path / "page.html").write_text(page.replace("MARKER", str(marker)))
    config = make_config({"maintenance": {"mode": "respond", "page": "page.html"}}, base=tmp_path)
    with pytest.raises(RenderError, match=r"maintenance\.page: .* does not render"):
        compile_rules(config, ENV)
    assert not marker.exists()


def test_a_minted_long_lived_cookie_does_not_pass_and_generations_rotate() -> None:
    """Whoever reads the code holds the key: a cookie it signs for ten years is refused,
    one within bypass_ttl passes; a new generation invalidates both."""
    from cffunc.function import bypass

    allow = {"bypass_secret_env": "CFFUNC_BYPASS_SECRET", "bypass_ttl": 3600}
    rules, function = make_function({"allow": allow})
    assert rules.bypass is not None
    now_s = NOW_MS // 1000
    cookies = {
        "issued": bypass.cookie_value(rules.bypass.keys, now_s + 3600),
        "minted": bypass.cookie_value(rules.bypass.keys, now_s + 10 * 365 * 86400),
        "just over": bypass.cookie_value(rules.bypass.keys, now_s + 3600 + 61),
    }
    rotated, _ = make_function({"allow": {**allow, "bypass_generation": 2}})
    with (
        FunctionRuntime(function.code, rules.runtime) as old,
        FunctionRuntime(render(rotated).code, rotated.runtime) as new,
    ):
        for name, value in cookies.items():
            event = viewer_request_event(
                ViewerRequest(
                    ip="192.0.2.1", method="GET", uri="/", cookies={"cffunc_bypass": value}
                )
            )
            passes = [
                "statusCode" not in r.output and r.output.get("uri") == "/"
                for r in (old.invoke(event, NOW_MS), new.invoke(event, NOW_MS))
            ]
            assert passes == [name == "issued", False], name
    assert rotated.bypass is not None and rotated.bypass.keys.key != rules.bypass.keys.key


SEGMENTS = [
    "a", "health", ".well-known", "x.css", ".", "..", "...", "..;", ";x", "%2e", "%2E", "%252e",
    "%u002e", "%00", "%09", "%20", "%41", "%C3%BC", "%", "%4", "%zz", "\\", "", "%2f", "%5c",
    "%25", "~", "ü", "x.", ". ", "a+b", "$", "@:=", "%3b", "%3B", "%7e", "%7f",
]  # fmt: skip


@pytest.fixture(scope="module")
def safe_uri_runtime() -> Any:
    from cffunc.function.paths import SAFE_URI

    code = (
        f"var SAFE = {js_regex(SAFE_URI)};\n"
        "function handler(e) { e.request.headers.safe = {value: String(SAFE.test(e.request.uri))}; return e.request; }"
    )
    with FunctionRuntime(code, "cloudfront-js-1.0") as runtime:
        yield runtime


URI_SEGMENTS = st.lists(st.sampled_from(SEGMENTS), min_size=1, max_size=3).map("".join)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.lists(URI_SEGMENTS, max_size=5), st.booleans()), min_size=5, max_size=10)
)
def test_safe_uri_rule_means_the_same_in_v8(
    safe_uri_runtime: Any, cases: list[tuple[list[str], bool]]
) -> None:
    """The allowlisted-path rule is one regex, written in Python and carried into the
    function: V8 reads it exactly as Python's re does, over encodings and climbs."""
    from cffunc.function.paths import is_safe

    uris = []
    for segments, trailing in cases:
        joined = "/".join(segments)
        uris += ["/" + joined + ("/" if trailing else ""), "//" + joined, "/x/" + joined + "/y"]
    events = [
        viewer_request_event(ViewerRequest(ip="192.0.2.1", method="GET", uri=u)) for u in uris
    ]
    results = safe_uri_runtime.invoke_many([(e, NOW_MS) for e in events])
    for uri, result in zip(uris, results, strict=True):
        assert result.ok, result.error
        assert result.output["headers"]["safe"]["value"] == str(is_safe(uri)).lower(), uri
