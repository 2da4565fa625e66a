"""What the edge knows about an invocation beyond the event object.

A CloudFront function reads some facts of its invocation from the ``cloudfront`` module
rather than from the event (runtime 2.0): the edge location that handled the request
(``cf.edgeLocation``), the distribution tenant of a multi-tenant distribution
(``cf.distributionTenant``), and the query string exactly as the viewer sent it
(``request.rawQueryString()``, which the parsed ``request.querystring`` cannot give back).
An :class:`EdgeContext` carries them into :meth:`FunctionRuntime.invoke
<cffunc.runtime.engine.FunctionRuntime.invoke>` beside each event, so every caller (``test``
options, scenarios, ``serve``, replay) says them once, in one shape.

Sources (docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/):
general-helper-methods.html (edgeLocation, rawQueryString), saas-specific-logic-function-code.html
(distributionTenant, event.context.endpoint), functions-event-structure.html (context fields).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from cffunc.errors import CffuncError
from cffunc.function.tenants import Tenant

__all__ = [
    "CONNECTION_GROUP_DOMAIN", "EdgeContext", "EdgeError", "EdgeLocation", "Tenant",
    "edge_from_json", "edge_from_options", "edge_location", "edge_to_json",
    "parse_edge_location", "tenant",
]  # fmt: skip

IATA_CODE = re.compile(r"[A-Z]{3}")
"""cf.edgeLocation.name: "The three-letter IATA code of the edge location"."""
REGION_CODE = re.compile(r"[a-z]{2}(-[a-z]+)+-[0-9]+")
"""An AWS Region code such as us-west-2 (cf.edgeLocation.region, originShield.region)."""
PARAMETER_NAME = re.compile(r"[a-zA-Z0-9_-]{1,128}")
"""A tenant parameter's name (botocore model cloudfront 2020-05-31, shape ParameterName)."""
MAX_PARAMETER_VALUE = 256
"""A tenant parameter's value: 1-256 characters (shape ParameterValue)."""
HOSTNAME = re.compile(
    r"(?=.{1,253}$)[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+"
)
CONNECTION_GROUP_DOMAIN = "d111111abcdef8.cloudfront.net"
"""The documentation's example routing endpoint. Every tenant has a connection group: "If
you don't specify a connection group, CloudFront uses the default connection group" (model,
DistributionTenant.ConnectionGroupId), so a tenant's events carry one unless told."""


class EdgeError(CffuncError):
    """An edge location, tenant or endpoint that CloudFront would never give a function."""


@dataclass(frozen=True)
class EdgeLocation:
    """``cf.edgeLocation`` in a viewer-request function. The default is a plausible one:
    Ashburn's IATA code, a documentation address (RFC 5737) and the Region of its cache."""

    name: str = "IAD"
    server_ip: str = "192.0.2.10"
    region: str = "us-east-1"

    def as_js(self) -> dict[str, str]:
        return {"name": self.name, "serverIp": self.server_ip, "region": self.region}


@dataclass(frozen=True)
class EdgeContext:
    """One invocation's facts outside the event."""

    raw_query: str | None = None
    """The query string as the viewer sent it, without the ``?`` ("" for a URL ending in
    ``?``). None: rebuilt from the event's ``querystring`` (``name=value`` pairs joined by
    ``&``; undefined when it is empty), the best the event alone can give."""
    location: EdgeLocation = field(default_factory=EdgeLocation)
    tenant: Tenant | None = None
    """None: a standard distribution, where ``cf.distributionTenant`` throws."""

    def as_js(self) -> dict[str, Any]:
        return _as_js(self)

    def with_raw_query(self, raw_query: str | None) -> EdgeContext:
        return EdgeContext(raw_query, self.location, self.tenant)


@cache
def _as_js(edge: EdgeContext) -> dict[str, Any]:
    # Cached: a batch of thousands of events usually shares a handful of contexts.
    data: dict[str, Any] = {"location": edge.location.as_js(), "tenant": None}
    if edge.raw_query is not None:
        data["rawQuery"] = edge.raw_query
    if edge.tenant is not None:
        data["tenant"] = edge.tenant.as_js()
    return data


def edge_from_json(data: Mapping[str, Any]) -> EdgeContext:
    """The context :func:`edge_to_json` wrote (a child process gets its events' contexts
    as JSON)."""
    location = data["location"]
    tenant = data.get("tenant")
    return EdgeContext(
        raw_query=data.get("rawQuery"),
        location=EdgeLocation(location["name"], location["serverIp"], location["region"]),
        tenant=None
        if tenant is None
        else Tenant(
            tenant["id"],
            tuple(tenant["parameters"].items()),
            tenant.get("endpoint"),
        ),
    )


def edge_to_json(edge: EdgeContext) -> dict[str, Any]:
    """:meth:`EdgeContext.as_js` with the tenant's endpoint, for :func:`edge_from_json`."""
    data = dict(edge.as_js())
    if edge.tenant is not None:
        data["tenant"] = edge.tenant.as_js() | {"endpoint": edge.tenant.endpoint}
    return data


def edge_location(name: str, server_ip: str, region: str, where: str) -> EdgeLocation:
    """An edge location, checked against what the documentation says its fields hold."""
    if not IATA_CODE.fullmatch(name):
        raise EdgeError(f"{where}: name {name!r} is not a three-letter IATA code, e.g. SEA")
    try:
        ipaddress.ip_address(server_ip)
    except ValueError:
        raise EdgeError(
            f"{where}: serverIp {server_ip!r} is not an IPv4 or IPv6 address, e.g. 192.0.2.10"
        ) from None
    if not REGION_CODE.fullmatch(region):
        raise EdgeError(f"{where}: region {region!r} is not an AWS Region code, e.g. us-west-2")
    return EdgeLocation(name, server_ip, region)


def parse_edge_location(text: str, where: str = "--edge-location") -> EdgeLocation:
    """``NAME[,SERVERIP[,REGION]]``; what is left out keeps the default's value."""
    parts = [p.strip() for p in text.split(",")]
    if len(parts) > 3:
        raise EdgeError(
            f"{where} {text!r}: give NAME[,SERVERIP[,REGION]], e.g. SEA,1.2.3.4,us-west-2"
        )
    default = EdgeLocation()
    given = parts + [default.server_ip, default.region][len(parts) - 1 :]
    return edge_location(given[0], given[1], given[2], f"{where} {text!r}")


def tenant(
    tenant_id: str,
    parameters: Mapping[str, str] | Sequence[tuple[str, str]] = (),
    endpoint: str | None = None,
    where: str = "--tenant",
) -> Tenant:
    """A tenant with its parameters, checked as the API checks them (names
    ``[a-zA-Z0-9-_]``, 1-128 characters; values 1-256 characters)."""
    if not tenant_id or tenant_id != tenant_id.strip() or any(c.isspace() for c in tenant_id):
        raise EdgeError(f"{where} {tenant_id!r}: give the tenant's id, e.g. dt_1a2b3c4d5e6f7")
    pairs = list(parameters.items()) if isinstance(parameters, Mapping) else list(parameters)
    seen: set[str] = set()
    for name, value in pairs:
        if not PARAMETER_NAME.fullmatch(name):
            raise EdgeError(f"tenant parameter {name!r}: a name is 1-128 letters, digits, - and _")
        if name in seen:
            raise EdgeError(f"tenant parameter {name!r} is given twice")
        seen.add(name)
        if not isinstance(value, str) or not 1 <= len(value) <= MAX_PARAMETER_VALUE:
            raise EdgeError(
                f"tenant parameter {name}: a value is 1-{MAX_PARAMETER_VALUE} characters"
            )
    if endpoint is not None and not HOSTNAME.fullmatch(endpoint):
        raise EdgeError(
            f"endpoint {endpoint!r}: give the connection group's domain, "
            f"e.g. {CONNECTION_GROUP_DOMAIN}"
        )
    return Tenant(tenant_id, tuple(pairs), endpoint)


def edge_from_options(
    location: str | None = None,
    tenant_id: str | None = None,
    parameters: Sequence[tuple[str, str]] = (),
    endpoint: str | None = None,
) -> EdgeContext:
    """``cffunc test --edge-location --tenant --tenant-param --endpoint``."""
    if tenant_id is None and (parameters or endpoint is not None):
        raise EdgeError(
            "--tenant-param and --endpoint describe a distribution tenant: give --tenant ID too"
        )
    return EdgeContext(
        location=EdgeLocation() if location is None else parse_edge_location(location),
        tenant=None if tenant_id is None else tenant(tenant_id, parameters, endpoint),
    )
