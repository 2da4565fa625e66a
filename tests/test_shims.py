"""crypto and querystring, implemented in JavaScript inside V8, agree with Python."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any
from urllib.parse import quote, unquote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cffunc.runtime import FunctionRuntime
from cffunc.runtime.events import event_from_options

TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=200)
# Compute everything in one invocation; return the answers as the body of a response.
PROBE = """
var crypto = require('crypto'), qs = require('querystring');
function handler(event) {
  var cases = JSON.parse(event.request.headers['x-cases'].value), out = [];
  for (var i = 0; i < cases.length; i++) {
    var c = cases[i];
    if (c.op === 'hash') out.push(crypto.createHash(c.alg).update(c.text).digest(c.enc));
    else if (c.op === 'hmac') out.push(crypto.createHmac(c.alg, c.key).update(c.text).digest(c.enc));
    else if (c.op === 'escape') out.push(qs.escape(c.text));
    else if (c.op === 'unescape') out.push(qs.unescape(c.text));
    else if (c.op === 'parse') out.push(qs.parse(c.text));
    else if (c.op === 'stringify') out.push(qs.stringify(c.obj));
  }
  return {statusCode: 200, body: JSON.stringify(out)};
}
"""


@pytest.fixture(scope="module")
def engine() -> Any:
    with FunctionRuntime(PROBE, "cloudfront-js-1.0") as runtime:
        yield runtime


def evaluate(engine: FunctionRuntime, cases: list[dict[str, Any]]) -> list[Any]:
    event = event_from_options("192.0.2.1", "GET", "/", [("x-cases", json.dumps(cases))])
    result = engine.invoke(event, 0)
    assert result.ok, result.error
    return list(json.loads(result.output["body"]))


def python_digest(digest: bytes, encoding: str) -> str:
    if encoding == "hex":
        return digest.hex()
    encoded = base64.b64encode(digest).decode()
    return (
        encoded if encoding == "base64" else encoded.replace("+", "-").replace("/", "_").rstrip("=")
    )


ALGS = st.sampled_from(["md5", "sha1", "sha256"])
ENCODINGS = st.sampled_from(["hex", "base64", "base64url"])


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(ALGS, ENCODINGS, TEXT, TEXT), min_size=1, max_size=10))
def test_hashes_and_hmacs_match_hashlib(engine: FunctionRuntime, cases: list[Any]) -> None:
    requests = []
    expected = []
    for alg, enc, text, key in cases:
        requests.append({"op": "hash", "alg": alg, "enc": enc, "text": text})
        expected.append(python_digest(hashlib.new(alg, text.encode()).digest(), enc))
        requests.append({"op": "hmac", "alg": alg, "enc": enc, "text": text, "key": key})
        expected.append(python_digest(hmac.new(key.encode(), text.encode(), alg).digest(), enc))
    assert evaluate(engine, requests) == expected


def test_long_keys_and_block_boundaries(engine: FunctionRuntime) -> None:
    cases, expected = [], []
    for size in (0, 55, 56, 63, 64, 65, 119, 120, 1000):
        text, key = "a" * size, "k" * size
        for alg in ("md5", "sha1", "sha256"):
            cases.append({"op": "hmac", "alg": alg, "enc": "hex", "text": text, "key": key})
            expected.append(hmac.new(key.encode(), text.encode(), alg).hexdigest())
    assert evaluate(engine, cases) == expected


@settings(max_examples=40, deadline=None)
@given(st.lists(TEXT, min_size=1, max_size=10))
def test_escape_and_unescape_match_urllib(engine: FunctionRuntime, texts: list[str]) -> None:
    cases = [{"op": "escape", "text": t} for t in texts]
    escaped = [quote(t, safe="-_.!~*'()") for t in texts]
    assert evaluate(engine, cases) == escaped
    assert evaluate(engine, [{"op": "unescape", "text": e} for e in escaped]) == texts


def test_unescape_keeps_malformed_escapes(engine: FunctionRuntime) -> None:
    texts = ["%", "%zz", "a%2", "%41%zz%42", "%E2%82"]
    assert evaluate(engine, [{"op": "unescape", "text": t} for t in texts]) == [
        unquote(t, errors="replace") for t in texts
    ]


NAMES = st.text("abcXYZ_-.~ é%+", min_size=1, max_size=6)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(NAMES, st.lists(TEXT, min_size=1, max_size=3)), max_size=6))
def test_stringify_then_parse_round_trips(engine: FunctionRuntime, pairs: list[Any]) -> None:
    obj: dict[str, Any] = {}
    for name, values in pairs:
        obj[name] = values if len(values) > 1 else values[0]
    (text,) = evaluate(engine, [{"op": "stringify", "obj": obj}])
    python = "&".join(
        f"{quote(k, safe=chr(39) + '-_.!~*()')}={quote(v, safe=chr(39) + '-_.!~*()')}"
        for k, vs in obj.items()
        for v in (vs if isinstance(vs, list) else [vs])
    )
    assert text == python
    (parsed,) = evaluate(engine, [{"op": "parse", "text": text}])
    assert parsed == obj


def test_parse_like_node(engine: FunctionRuntime) -> None:
    (parsed,) = evaluate(engine, [{"op": "parse", "text": "a=1&b=2&a=3&c&d=x+y&&e=%zz"}])
    assert parsed == {"a": ["1", "3"], "b": "2", "c": "", "d": "x y", "e": "%zz"}


@settings(max_examples=60, deadline=None)
@given(st.lists(st.binary(max_size=24), min_size=1, max_size=10))
def test_buffer_decodes_utf8_like_python(chunks: list[bytes]) -> None:
    code = (
        "function handler(event) {"
        "  var hexes = JSON.parse(event.request.headers['x-hex'].value);"
        "  return {statusCode: 200, body: JSON.stringify(hexes.map(function (h) { return Buffer.from(h, 'hex').toString(); }))};"
        "}"
    )
    event = event_from_options(
        "192.0.2.1", "GET", "/", [("x-hex", json.dumps([c.hex() for c in chunks]))]
    )
    with FunctionRuntime(code, "cloudfront-js-2.0") as runtime:
        result = runtime.invoke(event, 0)
    assert result.ok, result.error
    assert json.loads(result.output["body"]) == [
        c.decode("utf-8", errors="replace") for c in chunks
    ]
