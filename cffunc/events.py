"""CloudFront Function event objects (version 1.0), built from what a request is.

The shape is the one ``aws cloudfront test-function`` takes and the edge passes to a
function: lower-case header names, no ``cookie`` header (cookies have their own map),
repeated names collapsed into ``value`` (the first) and ``multiValue`` (all).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from cffunc.decide import ViewerRequest

DISTRIBUTION_DOMAIN = "d111111abcdef8.cloudfront.net"
DISTRIBUTION_ID = "EDFDVBD6EXAMPLE"


def _field(values: str | Sequence[str]) -> dict[str, Any]:
    items = [values] if isinstance(values, str) else list(values)
    entry: dict[str, Any] = {"value": items[0]}
    if len(items) > 1:
        entry["multiValue"] = [{"value": v} for v in items]
    return entry


def field_map(values: Mapping[str, str | Sequence[str]], lower: bool = False) -> dict[str, Any]:
    return {(k.lower() if lower else k): _field(v) for k, v in values.items()}


def viewer_request_event(
    request: ViewerRequest, request_id: str = "cffunc-local"
) -> dict[str, Any]:
    return {
        "version": "1.0",
        "context": {
            "distributionDomainName": DISTRIBUTION_DOMAIN,
            "distributionId": DISTRIBUTION_ID,
            "eventType": "viewer-request",
            "requestId": request_id,
        },
        "viewer": {"ip": request.ip},
        "request": {
            "method": request.method,
            "uri": request.uri,
            "querystring": field_map(request.querystring),
            "headers": field_map(request.headers, lower=True),
            "cookies": field_map(request.cookies),
        },
    }


def viewer_response_event(
    request_event: Mapping[str, Any],
    request: Mapping[str, Any],
    status: int = 200,
    status_description: str = "OK",
    headers: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The viewer-response event for ``request`` (as the viewer-request half left it)."""
    return {
        "version": "1.0",
        "context": {**request_event["context"], "eventType": "viewer-response"},
        "viewer": dict(request_event["viewer"]),
        "request": request,
        "response": {
            "statusCode": status,
            "statusDescription": status_description,
            "headers": field_map(headers or {"content-type": "text/html"}, lower=True),
            "cookies": {},
        },
    }
