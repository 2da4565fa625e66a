"""The CloudFront REST-XML protocol, read and written with botocore's own service model.

Routing, request parsing and response serialisation all come from the model that boto3
and the AWS CLI use, so every field of a distribution config round-trips as the real API
would keep it, and clients parse our answers exactly as they parse AWS's.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, TypeVar
from urllib.parse import parse_qs, unquote
from xml.etree import ElementTree

import botocore.parsers
import botocore.serialize
import botocore.session
from botocore.model import OperationModel, ServiceModel, Shape

API_VERSION = "2020-05-31"
NAMESPACE = f"http://cloudfront.amazonaws.com/doc/{API_VERSION}/"
Item = TypeVar("Item")
ACCOUNT = "123456789012"
"""The account every ARN the local API makes names (the one AWS's examples use)."""


class ApiError(Exception):
    """An error answer: a code from the model's error shapes, with its HTTP status."""

    def __init__(self, code: str, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status or error_status(code)


@cache
def service_model() -> ServiceModel:
    return botocore.session.get_session().get_service_model("cloudfront")


def error_status(code: str) -> int:
    model = service_model()
    if code in model.shape_names:
        status = model.shape_for(code).metadata.get("error", {}).get("httpStatusCode")
        if status:
            return int(status)
    return {"Throttling": 400, "InternalError": 500, "AccessDenied": 403}.get(code, 400)


@dataclass(frozen=True)
class Route:
    operation: OperationModel
    pattern: re.Pattern[str]


@cache
def routes() -> list[Route]:
    out = []
    model = service_model()
    for name in model.operation_names:
        operation = model.operation_model(name)
        uri = operation.http["requestUri"].split("?")[0]
        regex = re.sub(r"\\\{(\w+)\+?\\\}", r"(?P<\1>[^/]+)", re.escape(uri))
        out.append(Route(operation, re.compile(f"^{regex}$")))
    # Longer literal paths first, so /function/{Name}/describe beats /function/{Name}.
    out.sort(key=lambda r: -len(r.operation.http["requestUri"]))
    return out


def match(method: str, path: str, query: str) -> tuple[OperationModel, dict[str, str]] | None:
    """The operation a request is for, and its URI parameters (decoded). ``path`` is the
    path as sent, still percent-encoded: an identifier may be an ARN, whose slash botocore
    sends as %2F, and a decoded path would split it."""
    query_values = parse_qs(query, keep_blank_values=True)
    for route in routes():
        http = route.operation.http
        if http["method"] != method:
            continue
        required_query = http["requestUri"].partition("?")[2]
        if required_query:
            # "?Operation=Tag" and "?Operation=Untag" share a path: the value decides.
            key, _, value = required_query.partition("=")
            if key not in query_values or (value and value not in query_values[key]):
                continue
        found = route.pattern.match(path)
        if found:
            return route.operation, {k: unquote(v) for k, v in found.groupdict().items()}
    return None


def parse_request(
    operation: OperationModel,
    uri_params: Mapping[str, str],
    query: str,
    headers: Mapping[str, str],
    body: bytes,
) -> dict[str, Any]:
    shape = operation.input_shape
    if shape is None:
        return {}
    params: dict[str, Any] = {}
    query_values = parse_qs(query, keep_blank_values=True)
    lower_headers = {k.lower(): v for k, v in headers.items()}
    payload = shape.serialization.get("payload")
    body_members = False
    for name, member in shape.members.items():
        location = member.serialization.get("location")
        wire = member.serialization.get("name", name)
        if location == "uri":
            params[name] = uri_params.get(wire)
        elif location == "querystring" and wire in query_values:
            params[name] = query_values[wire][0]
        elif location == "header" and wire.lower() in lower_headers:
            params[name] = lower_headers[wire.lower()]
        elif location is None and name != payload:
            body_members = True
    parser = botocore.parsers.RestXMLParser()
    if payload is not None and body:
        member = shape.members[payload]
        if member.type_name == "blob":
            params[payload] = body
        else:
            params[payload] = parser._parse_shape(member, parser._parse_xml_string_to_dom(body))
    elif body_members and body:
        params.update(parser._parse_shape(shape, parser._parse_xml_string_to_dom(body)))
    return params


def serialize_response(
    operation: OperationModel, result: Mapping[str, Any]
) -> tuple[dict[str, str], bytes]:
    """(headers, body) for an operation's output dict."""
    shape = operation.output_shape
    if shape is None:
        return {}, b""
    headers: dict[str, str] = {}
    for name, member in shape.members.items():
        if member.serialization.get("location") == "header" and result.get(name) is not None:
            headers[member.serialization.get("name", name)] = str(result[name])
    payload = shape.serialization.get("payload")
    if payload is None:
        # No payload member: the body members sit in a root element of their own
        # (ListDistributionTenants, ListConnectionGroups).
        body = {
            name: result[name]
            for name, member in shape.members.items()
            if member.serialization.get("location") is None and result.get(name) is not None
        }
        if not body:
            return headers, b""
        headers["Content-Type"] = "text/xml"
        return headers, xml_of(shape, body, shape.name)
    if result.get(payload) is None:
        return headers, b""
    member = shape.members[payload]
    if member.type_name == "blob":
        return headers, bytes(result[payload])
    headers["Content-Type"] = "text/xml"
    return headers, xml_of(member, result[payload], payload)


def xml_of(shape: Shape, value: Any, root_name: str) -> bytes:
    serializer = botocore.serialize.RestXMLSerializer()
    pseudo_root = ElementTree.Element("")
    serializer._serialize(shape, value, pseudo_root, root_name)
    root = next(iter(pseudo_root))
    root.set("xmlns", NAMESPACE)
    return (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        + ElementTree.tostring(root, encoding="utf-8").split(b"?>", 1)[-1].lstrip()
    )


def error_body(error: ApiError, request_id: str) -> bytes:
    root = ElementTree.Element("ErrorResponse", xmlns=NAMESPACE)
    inner = ElementTree.SubElement(root, "Error")
    ElementTree.SubElement(inner, "Type").text = "Sender" if error.status < 500 else "Receiver"
    ElementTree.SubElement(inner, "Code").text = error.code
    ElementTree.SubElement(inner, "Message").text = error.message
    ElementTree.SubElement(root, "RequestId").text = request_id
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(root)


def max_items(value: object, default: int = 100) -> int:
    """A MaxItems argument (a string for some operations, an integer for others)."""
    if value is None or value == "":
        return default
    text = str(value)
    if not text.isdigit() or int(text) < 1:
        raise ApiError("InvalidArgument", f"MaxItems {text!r} is not a positive integer.")
    return int(text)


def page_after(
    items: Sequence[Item], key: Callable[[Item], str], marker: str | None, limit: int
) -> tuple[list[Item], str | None]:
    """One page of ``items`` in key order: the ones after ``marker`` (a key; the API's
    NextMarker is "the ID of the last distribution on that page"), and the marker of the
    next page, None on the last. (ListDistributions, Marker:
    https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_ListDistributions.html)"""
    ordered = sorted(items, key=key)
    rest = [item for item in ordered if not marker or key(item) > marker]
    shown = rest[:limit]
    return shown, key(shown[-1]) if len(rest) > limit else None
