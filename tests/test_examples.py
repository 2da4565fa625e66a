"""Functions written the way AWS documents them run with the right results, in both styles:
runtime 1.0 (var, require) and runtime 2.0 (import, const, async)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import pytest

from cffunc.runtime import FunctionRuntime
from cffunc.runtime.events import event_from_options
from cffunc.runtime.local_store import kvs_from_mapping

NOW_MS = 1_796_090_400_000

SPA_1 = """
function handler(event) {
    var request = event.request;
    var uri = request.uri;
    if (uri.endsWith('/')) {
        request.uri += 'index.html';
    } else if (!uri.includes('.')) {
        request.uri += '/index.html';
    }
    return request;
}
"""
SPA_2 = """
async function handler(event) {
    const request = event.request;
    const uri = request.uri;
    if (uri.endsWith('/')) {
        request.uri += 'index.html';
    } else if (!uri.includes('.')) {
        request.uri += '/index.html';
    }
    return request;
}
"""

COUNTRY_1 = """
function handler(event) {
    var request = event.request;
    var headers = request.headers;
    var host = request.headers.host.value;
    var country = 'DE';
    var newurl = 'https://' + host + '/de/index.html';
    if (headers['cloudfront-viewer-country']) {
        var countryCode = headers['cloudfront-viewer-country'].value;
        if (countryCode === country) {
            var response = {
                statusCode: 302,
                statusDescription: 'Found',
                headers: { 'location': { 'value': newurl } }
            };
            return response;
        }
    }
    return request;
}
"""
COUNTRY_2 = COUNTRY_1.replace("var ", "const ").replace(
    "function handler", "async function handler"
)

JWT_1 = """
var crypto = require('crypto');
var KEY = 'LzdWGpAToQ1DqYuzHxE6YOqi7G3X2yvNBot9mCXfx5k';
function verify(token, key) {
    var parts = token.split('.');
    if (parts.length !== 3) return false;
    var signature = crypto.createHmac('sha256', key).update(parts[0] + '.' + parts[1]).digest('base64url');
    return signature === parts[2];
}
function handler(event) {
    var request = event.request;
    var token = request.querystring.jwt && request.querystring.jwt.value;
    if (!token || !verify(token, KEY)) {
        return { statusCode: 401, statusDescription: 'Unauthorized' };
    }
    delete request.querystring.jwt;
    return request;
}
"""
JWT_2 = """
import crypto from 'crypto';
import cf from 'cloudfront';
const kvsHandle = cf.kvs();
function verify(token, key) {
    const parts = token.split('.');
    if (parts.length !== 3) return false;
    const signature = crypto.createHmac('sha256', key).update(parts[0] + '.' + parts[1]).digest('base64url');
    return signature === parts[2];
}
async function handler(event) {
    const request = event.request;
    const token = request.querystring.jwt && request.querystring.jwt.value;
    let key;
    try {
        key = await kvsHandle.get('jwt.secret');
    } catch (err) {
        console.log('Error reading the key: ' + err);
        return { statusCode: 500, statusDescription: 'Internal Server Error' };
    }
    if (!token || !verify(token, key)) {
        return { statusCode: 401, statusDescription: 'Unauthorized' };
    }
    delete request.querystring.jwt;
    return request;
}
"""

SECURITY_1 = """
function handler(event) {
    var response = event.response;
    var headers = response.headers;
    headers['strict-transport-security'] = { value: 'max-age=63072000; includeSubdomains; preload'};
    headers['content-security-policy'] = { value: "default-src 'none'; img-src 'self'"};
    headers['x-content-type-options'] = { value: 'nosniff'};
    headers['x-frame-options'] = {value: 'DENY'};
    headers['referrer-policy'] = {value: 'same-origin'};
    return response;
}
"""
SECURITY_2 = SECURITY_1.replace("var ", "const ").replace(
    "function handler", "async function handler"
)

KEY = "LzdWGpAToQ1DqYuzHxE6YOqi7G3X2yvNBot9mCXfx5k"


def jwt(key: str, claims: dict[str, Any]) -> str:
    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).decode().rstrip("=")

    head = (
        b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        + "."
        + b64(json.dumps(claims).encode())
    )
    return head + "." + b64(hmac.new(key.encode(), head.encode(), hashlib.sha256).digest())


def run(code: str, runtime: str, event: dict[str, Any], **kwargs: Any) -> Any:
    with FunctionRuntime(code, runtime, **kwargs) as engine:  # type: ignore[arg-type]
        result = engine.invoke(event, NOW_MS)
    assert result.ok, result.error
    return result.output


@pytest.mark.parametrize(
    ("code", "runtime"), [(SPA_1, "cloudfront-js-1.0"), (SPA_2, "cloudfront-js-2.0")]
)
def test_single_page_app_rewrite(code: str, runtime: str) -> None:
    for path, uri in [
        ("/", "/index.html"),
        ("/blog/", "/blog/index.html"),
        ("/about", "/about/index.html"),
        ("/app.js", "/app.js"),
    ]:
        assert run(code, runtime, event_from_options("192.0.2.1", "GET", path))["uri"] == uri


@pytest.mark.parametrize(
    ("code", "runtime"), [(COUNTRY_1, "cloudfront-js-1.0"), (COUNTRY_2, "cloudfront-js-2.0")]
)
def test_redirect_by_country(code: str, runtime: str) -> None:
    german = event_from_options(
        "192.0.2.1", "GET", "/", [("host", "shop.example.com"), ("cloudfront-viewer-country", "DE")]
    )
    output = run(code, runtime, german)
    assert output["statusCode"] == 302
    assert output["headers"]["location"]["value"] == "https://shop.example.com/de/index.html"
    french = event_from_options(
        "192.0.2.1", "GET", "/", [("host", "shop.example.com"), ("cloudfront-viewer-country", "FR")]
    )
    assert run(code, runtime, french)["uri"] == "/"


@pytest.mark.parametrize(
    ("code", "runtime"), [(JWT_1, "cloudfront-js-1.0"), (JWT_2, "cloudfront-js-2.0")]
)
def test_jwt_check_with_hmac_sha256(code: str, runtime: str) -> None:
    store = kvs_from_mapping({"jwt.secret": KEY})
    good = event_from_options("192.0.2.1", "GET", f"/video?jwt={jwt(KEY, {'sub': 'a'})}&q=1")
    output = run(code, runtime, good, kvs=store)
    assert output["uri"] == "/video" and list(output["querystring"]) == ["q"]
    forged = event_from_options("192.0.2.1", "GET", f"/video?jwt={jwt('other', {'sub': 'a'})}")
    assert run(code, runtime, forged, kvs=store)["statusCode"] == 401


def test_jwt_without_the_kvs_key_logs_and_answers_500() -> None:
    event = event_from_options("192.0.2.1", "GET", "/video?jwt=a.b.c")
    with FunctionRuntime(JWT_2, "cloudfront-js-2.0") as engine:
        result = engine.invoke(event, NOW_MS)
    assert result.output["statusCode"] == 500
    assert result.logs[0].startswith("Error reading the key: ")


@pytest.mark.parametrize(
    ("code", "runtime"), [(SECURITY_1, "cloudfront-js-1.0"), (SECURITY_2, "cloudfront-js-2.0")]
)
def test_security_headers_on_viewer_response(code: str, runtime: str) -> None:
    event = event_from_options("192.0.2.1", "GET", "/", event_type="viewer-response")
    headers = run(code, runtime, event)["headers"]
    assert headers["x-frame-options"] == {"value": "DENY"}
    assert headers["strict-transport-security"]["value"].startswith("max-age=63072000")


# AWS's "Normalize query string parameters" example for runtime 2.0, as published
# (example-function-normalize-query-string.html): it sets request.querystring to a string.
NORMALIZE_QUERY_2 = """
function handler(event) {
     var qs=[];
     for (var key in event.request.querystring) {
         if (event.request.querystring[key].multiValue) {
             event.request.querystring[key].multiValue.forEach((mv) => {qs.push(key + "=" + mv.value)});
         } else {
             qs.push(key + "=" + event.request.querystring[key].value);
         }
     };
     event.request.querystring = qs.sort().join('&');
     return event.request;
}
"""


def test_aws_normalize_query_string_example_sets_a_string() -> None:
    event = event_from_options("198.51.100.1", "GET", "/p?b=2&a=1&a=0")
    output = run(NORMALIZE_QUERY_2, "cloudfront-js-2.0", event)
    assert output["querystring"] == "a=0&a=1&b=2"
