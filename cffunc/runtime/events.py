"""CloudFront Function event objects (version 1.0), built from what a request is.

The shape is the one ``aws cloudfront test-function`` takes and the edge passes to a
function: lower-case header names, no ``cookie`` header (cookies have their own map),
repeated names collapsed into ``value`` (the first) and ``multiValue`` (all).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from cffunc.function.decide import ViewerRequest
from cffunc.runtime.edge import CONNECTION_GROUP_DOMAIN, EdgeContext

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
    """The event of ``request``: of a standard distribution, or, when ``request.endpoint``
    is set, of a multi-tenant one (``context.endpoint`` in place of
    ``distributionDomainName``, as :func:`for_edge` makes it)."""
    where: dict[str, str] = (
        {"distributionDomainName": DISTRIBUTION_DOMAIN}
        if request.endpoint is None
        else {"endpoint": request.endpoint}
    )
    return {
        "version": "1.0",
        "context": {
            **where,
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


EVENT_TYPES = ("viewer-request", "viewer-response")


class EventError(ValueError):
    """An event file or event option that does not describe a CloudFront event."""


def split_query(query: str) -> dict[str, list[str]]:
    """``a=1&b=2&a=3`` -> ``{"a": ["1", "3"], "b": ["2"]}``.

    Values keep their percent-encoding. Assumption (UNCONFIRMED): the edge hands the
    function the query string as the viewer sent it, as it forwards it to the origin.
    """
    out: dict[str, list[str]] = {}
    for part in query.split("&"):
        if not part:
            continue
        name, _, value = part.partition("=")
        out.setdefault(name, []).append(value)
    return out


def split_cookie_header(header: str) -> list[tuple[str, str]]:
    pairs = []
    for part in header.split(";"):
        name, eq, value = part.strip().partition("=")
        if name and eq:
            pairs.append((name, value))
    return pairs


def _grouped(pairs: Sequence[tuple[str, str]], lower: bool) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name, value in pairs:
        out.setdefault(name.lower() if lower else name, []).append(value)
    return out


def event_from_options(
    ip: str,
    method: str,
    path: str,
    headers: Sequence[tuple[str, str]] = (),
    cookies: Sequence[tuple[str, str]] = (),
    event_type: str = "viewer-request",
) -> dict[str, Any]:
    """An event as the edge would build it: header names lower-cased, repeated names
    collapsed into ``multiValue``, a ``cookie`` header moved into the cookies map."""
    if event_type not in EVENT_TYPES:
        raise EventError(f"--event-type {event_type!r}: use viewer-request or viewer-response")
    if not path.startswith("/"):
        raise EventError(f'--path {path!r}: give a path that starts with "/"')
    uri, _, query = path.partition("?")
    all_cookies = list(cookies)
    plain_headers = []
    for name, value in headers:
        if name.lower() == "cookie":
            all_cookies.extend(split_cookie_header(value))
        else:
            plain_headers.append((name, value))
    event: dict[str, Any] = {
        "version": "1.0",
        "context": {
            "distributionDomainName": DISTRIBUTION_DOMAIN,
            "distributionId": DISTRIBUTION_ID,
            "eventType": event_type,
            "requestId": "cffunc-local",
        },
        "viewer": {"ip": ip},
        "request": {
            "method": method.upper(),
            "uri": uri,
            "querystring": field_map(split_query(query)),
            "headers": field_map(_grouped(plain_headers, lower=True)),
            "cookies": field_map(_grouped(all_cookies, lower=False)),
        },
    }
    if event_type == "viewer-response":
        event["response"] = {
            "statusCode": 200,
            "statusDescription": "OK",
            "headers": field_map({"content-type": "text/html"}),
            "cookies": {},
        }
    return event


def _normalise_fields(where: str, entries: Any, lower: bool) -> dict[str, Any]:
    if entries is None:
        return {}
    if not isinstance(entries, dict):
        raise EventError(f"{where} must be an object")
    out = {}
    for name, entry in entries.items():
        if not isinstance(entry, dict) or not isinstance(entry.get("value"), str):
            raise EventError(f'{where}.{name} must look like {{"value": "..."}}')
        fixed = {"value": entry["value"]}
        multi = entry.get("multiValue", entry.get("multivalue"))
        if multi is not None:
            fixed["multiValue"] = multi
        out[name.lower() if lower else name] = fixed
    return out


RAW_QUERY_FIELD = "rawQueryString"
"""The one field an event file may add to what TestFunction takes: the query string as the
viewer sent it (``request.rawQueryString``, a string without the ``?``), which the event's
parsed ``querystring`` cannot say exactly (``?flag`` or ``?flag=``, the order of repeated
names, a bare ``?``). It is taken out before the function sees the event; the function
gets it back from ``request.rawQueryString()``."""


def raw_query_of(path: str) -> str | None:
    """The raw query string of a path as sent: ``/a?x=1`` -> ``x=1``, ``/a?`` -> ``""``,
    ``/a`` -> None (general-helper-methods.html, rawQueryString)."""
    _, mark, query = path.partition("?")
    return query if mark else None


def event_raw_query(raw: Any, where: str = "event") -> str | None:
    """An event file's ``request.rawQueryString``; None when it has none (the runtime then
    rebuilds it from ``querystring``)."""
    request = raw.get("request") if isinstance(raw, dict) else None
    value = request.get(RAW_QUERY_FIELD) if isinstance(request, dict) else None
    if value is not None and not isinstance(value, str):
        raise EventError(
            f'{where}: request.{RAW_QUERY_FIELD} must be the query string as sent, e.g. "a=1&b=2"'
        )
    return value


def for_edge(event: dict[str, Any], edge: EdgeContext, where: str = "event") -> dict[str, Any]:
    """``event`` as CloudFront gives it for ``edge``'s distribution: for a tenant of a
    multi-tenant distribution, ``context.endpoint`` (its connection group's domain) in place
    of ``distributionDomainName``, which only standard distributions have
    (functions-event-structure.html, "Context object")."""
    context = dict(event.get("context") or {})
    if edge.tenant is None:
        if "endpoint" in context:
            raise EventError(
                f"{where}: context.endpoint is only in events of a multi-tenant distribution; "
                "give the tenant (--tenant ID)"
            )
        return event
    endpoint = edge.tenant.endpoint or context.get("endpoint") or CONNECTION_GROUP_DOMAIN
    context.pop("distributionDomainName", None)
    return {**event, "context": {**context, "endpoint": endpoint}}


def file_invocation(
    raw: Any, edge: EdgeContext, where: str = "event"
) -> tuple[dict[str, Any], EdgeContext]:
    """An event file's event for ``edge``'s distribution, and ``edge`` with the file's raw
    query string (``cffunc test --event``)."""
    event = for_edge(normalise_event(raw, where), edge, where)
    return event, edge.with_raw_query(event_raw_query(raw, where))


def options_invocation(
    ip: str,
    method: str,
    path: str,
    headers: Sequence[tuple[str, str]],
    cookies: Sequence[tuple[str, str]],
    event_type: str,
    edge: EdgeContext,
) -> tuple[dict[str, Any], EdgeContext]:
    """The event of ``cffunc test --ip/--path/...`` for ``edge``'s distribution, and
    ``edge`` with the path's raw query string."""
    event = event_from_options(ip, method, path, headers, cookies, event_type)
    return for_edge(event, edge), edge.with_raw_query(raw_query_of(path))


def normalise_event(raw: Any, where: str = "event") -> dict[str, Any]:
    """The JSON ``aws cloudfront test-function`` takes, checked and normalised
    (``multivalue`` read as ``multiValue``; header names lower-cased; an event file's
    ``request.rawQueryString`` taken out, see :func:`event_raw_query`)."""
    if not isinstance(raw, dict):
        raise EventError(f"{where}: an event is a JSON object")
    context = raw.get("context") or {}
    event_type = context.get("eventType", "viewer-request")
    if event_type not in EVENT_TYPES:
        raise EventError(f"{where}: context.eventType must be viewer-request or viewer-response")
    request = raw.get("request")
    if not isinstance(request, dict):
        raise EventError(f"{where}: the event needs a request object")
    viewer = raw.get("viewer") or {}
    event: dict[str, Any] = {
        "version": raw.get("version", "1.0"),
        "context": {"eventType": event_type, **context},
        "viewer": {"ip": viewer.get("ip", "")},
        "request": {
            **{k: v for k, v in request.items() if k != RAW_QUERY_FIELD},
            "method": request.get("method", "GET"),
            "uri": request.get("uri", "/"),
            "querystring": _normalise_fields(
                f"{where}: request.querystring", request.get("querystring"), False
            ),
            "headers": _normalise_fields(f"{where}: request.headers", request.get("headers"), True),
            "cookies": _normalise_fields(
                f"{where}: request.cookies", request.get("cookies"), False
            ),
        },
    }
    if event_type == "viewer-response":
        response = raw.get("response")
        if not isinstance(response, dict):
            raise EventError(f"{where}: a viewer-response event needs a response object")
        event["response"] = {
            **response,
            "headers": _normalise_fields(
                f"{where}: response.headers", response.get("headers"), True
            ),
            "cookies": response.get("cookies") or {},
        }
    return event
