"""The CloudFront REST-XML protocol, read and written with botocore's own service model.

Routing, request parsing and response serialisation all come from the model that boto3
and the AWS CLI use, so every field of a distribution config round-trips as the real API
would keep it, and clients parse our answers exactly as they parse AWS's.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, TypeVar
from urllib.parse import parse_qs, unquote
from xml.etree import ElementTree

import botocore.parsers
import botocore.serialize
import botocore.session
from botocore.model import OperationModel, ServiceModel, Shape
from botocore.validate import ParamValidator

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


_INTEGER_LIMITS = {"integer": 2**31, "long": 2**63}
_NOT_IN_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
"""Characters an XML 1.0 document cannot hold (www.w3.org/TR/xml/#charsets): a string
with one could not be answered."""


def shape_problem(shape_name: str, value: Any) -> str | None:
    """Why the API would refuse ``value`` as a ``shape_name`` (its model's shape), or None.

    botocore's own validator checks what boto3 checks before sending: members known and
    required, types, minimums. The service checks more, and so does this: a bool is no
    number, numbers fit their type, strings are one of the enum, within the maximum
    length and the pattern, and XML can carry them; and each list's Quantity equals the
    length of its Items (InconsistentQuantities, docs.aws.amazon.com/cloudfront/latest/
    APIReference/API_UpdateDistribution.html).
    """
    shape = service_model().shape_for(shape_name)
    report = ParamValidator().validate(value, shape)
    if report.has_errors():
        first = report.generate_report().splitlines()[0]
        first = first.replace(" in input:", f" in {shape_name}:").replace(
            " for parameter ", f" for parameter {shape_name}."
        )
        return _shortened(first.replace(f"{shape_name}..", f"{shape_name}."))
    return next(_service_problems(shape, value, shape_name), None)


def _service_problems(shape: Shape, value: Any, where: str) -> Iterator[str]:
    kind = shape.type_name
    if kind == "structure":
        for name, member in shape.members.items():
            if name in value:
                yield from _service_problems(member, value[name], f"{where}.{name}")
        if "Quantity" in shape.members and "Items" in shape.members:
            items = value.get("Items") or []
            if value.get("Quantity") != len(items):
                yield (
                    f"{where}.Quantity is {value.get('Quantity')} but Items holds "
                    f"{len(items)} (InconsistentQuantities)"
                )
    elif kind == "list":
        for index, item in enumerate(value):
            yield from _service_problems(shape.member, item, f"{where}[{index}]")
        if len(value) > shape.metadata.get("max", len(value)):
            yield f"{where} holds more than {shape.metadata['max']} items"
    elif kind == "map":
        for key, item in value.items():
            yield from _service_problems(shape.key, key, f"{where} key")
            yield from _service_problems(shape.value, item, f"{where}.{key}")
    elif kind in _INTEGER_LIMITS:
        limit = _INTEGER_LIMITS[kind]
        if isinstance(value, bool):
            yield f"{where} must be a number, not {str(value).lower()}"
        elif not -limit <= value < limit:
            yield f"{where} is out of range for an {kind}"
    elif kind == "string":
        yield from _string_problems(shape, value, where)


def _string_problems(shape: Shape, value: str, where: str) -> Iterator[str]:
    enum = getattr(shape, "enum", None) or []
    if enum and value not in enum:
        yield _shortened(f"{where} is {value!r}; it takes {', '.join(enum)}")
    if len(value) > shape.metadata.get("max", len(value)):
        yield f"{where} is longer than {shape.metadata['max']} characters"
    pattern = shape.metadata.get("pattern")
    if pattern and re.fullmatch(pattern, value) is None:
        yield _shortened(f"{where} is {value!r}, which does not match {pattern}")
    if _NOT_IN_XML.search(value):
        yield f"{where} holds a character XML cannot carry"


def _shortened(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
