"""Check what a function returned the way CloudFront does, before a viewer would see it.

A result CloudFront would refuse becomes the 502 FunctionValidationError a viewer gets, with
a message naming the problem. Pure: (event type, the event, the output) -> error or None.

Every rule here is one the documentation states; where it is silent the result is accepted,
as the edge's own published examples are (a string ``request.querystring``, a changed
``content-length`` beside a replaced body). Sources, all under
docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/:
functions-event-structure.html (shapes, lower-case header names, body encodings) and
edge-functions-restrictions.html (disallowed and read-only headers, query strings, URI size).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from typing import Any

from cffunc.config.edge_headers import (
    READ_ONLY_REQUEST_HEADERS,
    READ_ONLY_RESPONSE_HEADERS,
    disallowed,
)
from cffunc.config.edge_headers import TOKEN as _TOKEN

MAX_BODY_BYTES = 40_960
MAX_URI_CHARS = 8_192
"""The URI with its query string must be shorter than this (edge-functions-restrictions.html,
"URI" and "Query strings")."""
_QUERY_FORBIDDEN = re.compile(r"[\x00-\x20\x7f#]")
"""What a query string a function creates or changes may not hold: spaces, control
characters, the fragment identifier."""


class InvalidResult(Exception):
    """The function's result would fail at the edge."""


def validate(event_type: str, event: Mapping[str, Any], output: Any) -> None:
    """Raise :class:`InvalidResult` when CloudFront would refuse ``output``."""
    if not isinstance(output, dict):
        raise InvalidResult(f"the function returned {type(output).__name__}, not an object")
    if event_type == "viewer-response" or "statusCode" in output:
        _response(event_type, event, output)
    else:
        _request(event, output)


def _request(event: Mapping[str, Any], request: dict[str, Any]) -> None:
    uri = request.get("uri")
    if not isinstance(uri, str) or not uri.startswith("/"):
        raise InvalidResult(f'request.uri must be a string starting with "/", got {uri!r}')
    original = _object(event.get("request"))
    if request.get("method", original.get("method")) != original.get("method"):
        raise InvalidResult("request.method is read-only")
    _headers(
        "request.headers",
        request.get("headers", {}),
        _object(original.get("headers")),
        READ_ONLY_REQUEST_HEADERS,
    )
    querystring = request.get("querystring", {})
    # AWS's own "normalize query string parameters" example (runtime 2.0, documented
    # under example-function-normalize-query-string) sets request.querystring to a
    # string such as "a=1&b=2"; the edge accepts it, so a string is taken as is.
    if not isinstance(querystring, str):
        _value_map("request.querystring", querystring)
    _value_map("request.cookies", request.get("cookies", {}))
    before = original.get("querystring", {})
    if querystring != before or uri != original.get("uri"):
        _query_and_size(uri, querystring, before if isinstance(before, dict) else {})


def _response(event_type: str, event: Mapping[str, Any], response: dict[str, Any]) -> None:
    status = response.get("statusCode")
    # "This value is an integer, not a string" (functions-event-structure.html); the range
    # is HTTP's own: "All valid status codes are within the range of 100 to 599" (RFC 9110).
    if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
        raise InvalidResult(f"response.statusCode must be an integer 100-599, got {status!r}")
    description = response.get("statusDescription")
    if description is not None and not isinstance(description, str):
        raise InvalidResult("response.statusDescription must be a string")
    original = _object(event.get("response")) if event_type == "viewer-response" else {}
    _headers(
        "response.headers",
        response.get("headers", {}),
        _object(original.get("headers")),
        READ_ONLY_RESPONSE_HEADERS if event_type == "viewer-response" else frozenset(),
    )
    cookies = response.get("cookies", {})
    _value_map("response.cookies", cookies)
    for name, cookie in cookies.items():
        multi = cookie.get("multiValue", cookie.get("multivalue")) or []
        for entry in (cookie, *multi):
            attributes = entry.get("attributes")
            if attributes is not None and not isinstance(attributes, str):
                raise InvalidResult(f"response.cookies.{name}.attributes must be a string")
    if "body" in response:
        _body(response["body"])


def _object(value: Any) -> dict[str, Any]:
    """The part of an event a check compares with, or {} where the event had none."""
    return value if isinstance(value, dict) else {}


def _body(body: Any) -> None:
    data: Any = body
    if isinstance(body, dict):
        if body.get("encoding", "text") not in ("text", "base64"):
            raise InvalidResult('response.body.encoding must be "text" or "base64"')
        data = body.get("data")
        if not isinstance(data, str):
            raise InvalidResult("response.body.data must be a string")
        if body.get("encoding") == "base64":
            try:
                base64.b64decode(data, validate=True)
            except binascii.Error:
                # "If you specify encoding as base64 but the body is not valid base64,
                # CloudFront returns an error." (functions-event-structure.html)
                raise InvalidResult("response.body.data is not valid base64") from None
    elif not isinstance(body, str):
        raise InvalidResult("response.body must be a string or {encoding, data}")
    if len(data.encode("utf-8")) > MAX_BODY_BYTES:
        raise InvalidResult(f"response.body is over {MAX_BODY_BYTES:,} bytes")


def _value_map(where: str, values: Any) -> None:
    # UNCONFIRMED: the documentation shows every value as a string and says nothing of
    # numbers; they are refused here so a function finds out locally rather than at the edge.
    if not isinstance(values, dict):
        raise InvalidResult(f"{where} must be an object")
    for name, entry in values.items():
        if not isinstance(entry, dict) or not isinstance(entry.get("value"), str):
            raise InvalidResult(f"{where}.{name} must be an object with a string value")
        multi = entry.get("multiValue", entry.get("multivalue"))
        if multi is not None and (
            not isinstance(multi, list)
            or not all(isinstance(m, dict) and isinstance(m.get("value"), str) for m in multi)
        ):
            raise InvalidResult(f"{where}.{name}.multiValue must be a list of {{value}} objects")


def _query_and_size(uri: str, querystring: Any, before: Mapping[str, Any]) -> None:
    """The rules for a query string a function creates or changes, and the URI's size."""
    if isinstance(querystring, str):
        changed = [querystring]
        text = querystring
    else:
        pairs = [
            (name, f"{name}={item['value']}")
            for name, entry in querystring.items()
            for item in (entry.get("multiValue") or entry.get("multivalue") or [entry])
        ]
        changed = [pair for name, pair in pairs if before.get(name) != querystring[name]]
        text = "&".join(pair for _, pair in pairs)
    for part in changed:
        bad = _QUERY_FORBIDDEN.search(part)
        if bad:
            raise InvalidResult(
                f"request.querystring may not hold spaces, control characters or '#' "
                f"(found {bad.group()!r}); percent-encode it"
            )
    size = len(uri) + (len(text) + 1 if text else 0)
    if size >= MAX_URI_CHARS:
        raise InvalidResult(
            f"the URI with its query string is {size:,} characters; "
            f"it must be under {MAX_URI_CHARS:,}"
        )


def _headers(
    where: str, headers: Any, original: Mapping[str, Any], read_only: frozenset[str]
) -> None:
    _value_map(where, headers)
    for name, entry in headers.items():
        if not _TOKEN.fullmatch(name):
            raise InvalidResult(f"{where}: {name!r} is not a valid HTTP header name")
        if name != name.lower():
            # "header names must be lowercase when they're added by your function code"
            raise InvalidResult(f"{where}: header name {name!r} must be lower case")
        if name in original and original[name] == entry:
            continue
        if disallowed(name):
            raise InvalidResult(f"{where}: the function may not add or change {name!r}")
        if name in read_only:
            raise InvalidResult(f"{where}: {name!r} is read-only")
    # Removing a read-only header is not among what the documentation refuses ("adds or
    # edits"), so it is accepted.
