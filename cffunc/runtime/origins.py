"""The origin modification helpers of the ``cloudfront`` module, checked as documented.

``cf.updateRequestOrigin``, ``cf.selectRequestOriginById`` and ``cf.createRequestOriginGroup``
tell CloudFront where to send a viewer request. CloudFront's TestFunction does not check
them ("The Test API and Test console pages don't test whether an origin modification has
occurred"), so the local runtime is the one place a user can: each call is recorded in V8
(shims/cloudfront.js), then checked here against the rules of
https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/helper-functions-origin-modification.html
and shown in ``cffunc test`` output.

A call the documentation refuses fails the invocation once the function has returned,
whatever it did after the call (the call itself does not throw, so no try/catch hides it):
the documentation says a bad call makes "the request ... fail" and "result in a validation
error", not that the function may carry on. It is reported as the 502
FunctionValidationError (UNCONFIRMED: which status the viewer gets is not documented).
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cffunc.config.edge_headers import disallowed
from cffunc.runtime.edge import REGION_CODE

SOURCE = (
    "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/"
    "helper-functions-origin-modification.html"
)
UPDATE, SELECT, GROUP = "updateRequestOrigin", "selectRequestOriginById", "createRequestOriginGroup"
METHODS = (UPDATE, SELECT, GROUP)

# Custom headers CloudFront can't add to origin requests
# (add-origin-custom-headers.html#add-origin-custom-headers-denylist), beside the headers no
# function may add (config/edge_headers.py, edge-function-restrictions-all.html).
ORIGIN_HEADER_DENYLIST = frozenset(
    {
        "cache-control", "connection", "content-length", "cookie", "host", "if-match",
        "if-modified-since", "if-none-match", "if-range", "if-unmodified-since", "max-forwards",
        "pragma", "proxy-authenticate", "proxy-authorization", "proxy-connection", "range",
        "request-range", "te", "trailer", "transfer-encoding", "upgrade", "via", "x-real-ip",
    }
)  # fmt: skip
ORIGIN_HEADER_PREFIXES = ("x-amz-", "x-edge-")
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9a-z-]+")
_PATH = re.compile(r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-Fa-f]{2})*")
"""A URL-encoded path: unreserved and sub-delimiter characters, ':', '@', '/', %XX."""
_S3_DOMAIN = re.compile(r".+\.s3(?:\.|-(?!website))(?:[a-z0-9-]+\.)*amazonaws\.com(?:\.cn)?")
"""An S3 bucket's REST endpoint (a website endpoint, s3-website, is a custom origin)."""

# The properties the page lists. Others are refused (UNCONFIRMED how the edge treats them):
# the origin mTLS page's mTLSConfig appears only in examples that assign request.origin,
# which no helper page does, and cf.overrideRequestOrigin appears once, in an example of
# selectRequestOriginById's overrides; neither is provided.
UPDATE_FIELDS = (
    "domainName", "hostHeader", "originPath", "customHeaders", "connectionAttempts",
    "originShield", "originAccessControlConfig", "timeouts", "customOriginConfig", "sni",
    "allowedCertificateNames",
)  # fmt: skip
OVERRIDE_FIELDS = ("hostHeader", "sni", "allowedCertificateNames")
GROUP_FIELDS = ("originIds", "selectionCriteria", "failoverCriteria")
MAX_NAME = 253
MAX_S3_DOMAIN = 128
MAX_PATH = 255
MAX_CERTIFICATE_NAMES = 20
MAX_CERTIFICATE_NAME = 64
SIGNING_BEHAVIORS = ("always", "never", "no-override")
ORIGIN_TYPES = ("s3", "mediapackagev2", "mediastore", "lambda")
SSL_PROTOCOLS = ("SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2")
IP_ADDRESS_TYPES = ("ipv4", "ipv6", "dualstack")
SELECTION_CRITERIA = ("default", "media-quality-score")
TIMEOUT_RANGES = {
    "readTimeout": (1, 120),
    "keepAliveTimeout": (1, 120),
    "connectionTimeout": (1, 10),
}


class OriginError(Exception):
    """A call of an origin helper the documentation refuses; the message names the field."""


@dataclass(frozen=True)
class OriginCall:
    """One call of an origin helper, with its arguments as JSON data."""

    method: str
    arguments: tuple[Any, ...]

    @property
    def text(self) -> str:
        """The call as code: ``cf.selectRequestOriginById("myALB-prod")``."""
        shown = ", ".join(json.dumps(a, separators=(", ", ": ")) for a in self.arguments)
        return f"cf.{self.method}({shown})"

    def as_json(self) -> dict[str, Any]:
        return {"method": self.method, "arguments": list(self.arguments)}

    @property
    def target(self) -> dict[str, Any]:
        """Where the request goes, as a scenario's ``expect_origin`` names it: ``id`` (and
        any overrides) for a selected origin, the given properties for an updated one,
        ``originIds`` (and the criteria) for a group."""
        first = self.arguments[0] if self.arguments else None
        if self.method == SELECT:
            overrides = self.arguments[1] if len(self.arguments) > 1 else None
            return {"id": first} | (overrides if isinstance(overrides, dict) else {})
        if not isinstance(first, dict):
            return {}
        if self.method == GROUP:
            ids = [
                entry.get("originId") if isinstance(entry, dict) else entry
                for entry in first.get("originIds") or []
            ]
            return first | {"originIds": ids}
        return dict(first)


def check_calls(calls: tuple[OriginCall, ...], event: Mapping[str, Any]) -> None:
    """Raise :class:`OriginError` for the first call the documentation refuses."""
    context = event.get("context")
    event_type = context.get("eventType") if isinstance(context, dict) else None
    request = event.get("request")
    headers = request.get("headers") if isinstance(request, dict) else None
    incoming = set(headers) if isinstance(headers, dict) else set()
    for call in calls:
        where = f"cf.{call.method}()"
        if event_type == "viewer-response":
            # "You can update the origin on viewer request CloudFront Functions only."
            raise OriginError(f"{where} works in viewer-request functions only")
        if call.method == UPDATE:
            _arity(where, call.arguments, 1, 1)
            _update(where, call.arguments[0], incoming)
        elif call.method == SELECT:
            _arity(where, call.arguments, 1, 2)
            _origin_id(where, "the origin id", call.arguments[0])
            if len(call.arguments) == 2:
                _overrides(where, "origin_overrides", call.arguments[1])
        else:
            _arity(where, call.arguments, 1, 1)
            _group(where, call.arguments[0])


def _arity(where: str, arguments: tuple[Any, ...], least: int, most: int) -> None:
    if not least <= len(arguments) <= most:
        takes = "one argument" if most == 1 else f"{least}-{most} arguments"
        raise OriginError(f"{where} takes {takes}, got {len(arguments)}")


def _fields(where: str, name: str, value: Any, allowed: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise OriginError(f"{where}: {name} must be an object, got {_shown(value)}")
    for key in value:
        if key not in allowed:
            raise OriginError(
                f"{where}: {name} has no property {key!r}; documented: {', '.join(allowed)}"
            )
    return value


def _update(where: str, value: Any, incoming: set[str]) -> None:
    origin = _fields(where, "the origin properties", value, UPDATE_FIELDS)
    oac = origin.get("originAccessControlConfig")
    domain = origin.get("domainName")
    s3 = (isinstance(domain, str) and bool(_S3_DOMAIN.fullmatch(domain))) or (
        isinstance(oac, dict) and oac.get("originType") == "s3"
    )
    if "domainName" in origin:
        _host(where, "domainName", domain)
        assert isinstance(domain, str)
        if s3 and (len(domain) > MAX_S3_DOMAIN or domain != domain.lower()):
            raise OriginError(
                f"{where}: domainName of an S3 origin must be all lowercase and at most "
                f"{MAX_S3_DOMAIN} characters, got {_shown(domain)}"
            )
    for key in ("hostHeader", "sni"):
        if key in origin:
            _host(where, key, origin[key])
    if "originPath" in origin:
        _origin_path(where, origin["originPath"])
    if "customHeaders" in origin:
        _custom_headers(where, origin["customHeaders"], incoming)
    if "connectionAttempts" in origin:
        _whole(where, "connectionAttempts", origin["connectionAttempts"], 1, 3)
    if "originShield" in origin:
        shield = _fields(where, "originShield", origin["originShield"], ("enabled", "region"))
        _flag(where, "originShield.enabled", shield.get("enabled"))
        region = shield.get("region")
        given = shield["enabled"] or region is not None
        if given and (not isinstance(region, str) or not REGION_CODE.fullmatch(region)):
            raise OriginError(
                f"{where}: originShield.region must be a Region code such as us-east-2 "
                f"(required when enabled), got {_shown(region)}"
            )
    if oac is not None:
        _access_control(where, oac)
    if "timeouts" in origin:
        _timeouts(where, origin["timeouts"])
    if "customOriginConfig" in origin:
        _custom_origin(where, origin["customOriginConfig"], "domainName" in origin)
    if "allowedCertificateNames" in origin:
        _certificate_names(where, origin["allowedCertificateNames"])


def _host(where: str, name: str, value: Any) -> None:
    """domainName, hostHeader, sni: "can't include a colon (:) and can't be an IP address
    ... can be up to 253 characters"."""
    if not isinstance(value, str) or not value:
        raise OriginError(f"{where}: {name} must be a non-empty string, got {_shown(value)}")
    if ":" in value:
        raise OriginError(f"{where}: {name} can't include a colon, got {_shown(value)}")
    try:
        ipaddress.ip_address(value)
    except ValueError:
        pass
    else:
        raise OriginError(f"{where}: {name} can't be an IP address, got {_shown(value)}")
    if len(value) > MAX_NAME:
        raise OriginError(f"{where}: {name} is {len(value)} characters; at most {MAX_NAME}")


def _origin_path(where: str, value: Any) -> None:
    """ "should start with a forward slash (/) but shouldn't end with one"; "URL encoded and
    have a maximum length of 255 characters"."""
    if (
        not isinstance(value, str)
        or not value.startswith("/")
        or value.endswith("/")
        or not _PATH.fullmatch(value)
    ):
        raise OriginError(
            f"{where}: originPath must start with / and not end with one, URL-encoded, "
            f'e.g. "/example-path", got {_shown(value)}'
        )
    if len(value) > MAX_PATH:
        raise OriginError(f"{where}: originPath is {len(value)} characters; at most {MAX_PATH}")


def _custom_headers(where: str, value: Any, incoming: set[str]) -> None:
    """Lower-case names; none CloudFront can't add; none already in the viewer's request."""
    if not isinstance(value, dict):
        raise OriginError(
            f'{where}: customHeaders must be an object like {{"x-stage": "production"}}, '
            f"got {_shown(value)}"
        )
    for name, header in value.items():
        if not _TOKEN.fullmatch(name):
            raise OriginError(
                f"{where}: customHeaders: {name!r} must be a lower-case HTTP header name"
            )
        if (
            name in ORIGIN_HEADER_DENYLIST
            or name.startswith(ORIGIN_HEADER_PREFIXES)
            or disallowed(name)
        ):
            raise OriginError(
                f"{where}: customHeaders: CloudFront can't add {name!r} to origin requests"
            )
        if name in incoming:
            raise OriginError(
                f"{where}: customHeaders: {name!r} is already in the viewer's request headers"
            )
        if not isinstance(header, str):
            raise OriginError(
                f"{where}: customHeaders.{name} must be a string, got {_shown(header)}"
            )


def _access_control(where: str, value: Any) -> None:
    oac = _fields(
        where, "originAccessControlConfig", value,
        ("enabled", "signingBehavior", "signingProtocol", "originType"),
    )  # fmt: skip
    _flag(where, "originAccessControlConfig.enabled", oac.get("enabled"))
    if not oac["enabled"]:
        return
    # "required when enabled", each
    for key, allowed in (
        ("signingBehavior", SIGNING_BEHAVIORS),
        ("signingProtocol", ("sigv4",)),
        ("originType", ORIGIN_TYPES),
    ):
        if oac.get(key) not in allowed:
            raise OriginError(
                f"{where}: originAccessControlConfig.{key} must be one of "
                f"{', '.join(allowed)} when enabled, got {_shown(oac.get(key))}"
            )


def _timeouts(where: str, value: Any) -> None:
    names = (*TIMEOUT_RANGES, "responseCompletionTimeout")
    timeouts = _fields(where, "timeouts", value, names)
    for key, (low, high) in TIMEOUT_RANGES.items():
        if key in timeouts:
            _whole(where, f"timeouts.{key}", timeouts[key], low, high)
    if "responseCompletionTimeout" in timeouts:
        # "must be equal to or greater than the value for the readTimeout"
        low = timeouts.get("readTimeout", 1)
        _whole(
            where, "timeouts.responseCompletionTimeout", timeouts["responseCompletionTimeout"], low
        )


def _custom_origin(where: str, value: Any, new_domain: bool) -> None:
    config = _fields(
        where, "customOriginConfig", value, ("port", "protocol", "sslProtocols", "ipAddressType")
    )
    _whole(where, "customOriginConfig.port", config.get("port"), 1, 65535)
    if config.get("protocol") not in ("http", "https"):
        raise OriginError(
            f"{where}: customOriginConfig.protocol must be http or https, "
            f"got {_shown(config.get('protocol'))}"
        )
    protocols = config.get("sslProtocols")
    if (
        not isinstance(protocols, list)
        or not protocols
        or not all(p in SSL_PROTOCOLS for p in protocols)
    ):
        raise OriginError(
            f"{where}: customOriginConfig.sslProtocols must be a list of "
            f"{', '.join(SSL_PROTOCOLS)}, got {_shown(protocols)}"
        )
    if "ipAddressType" in config:
        if config["ipAddressType"] not in IP_ADDRESS_TYPES:
            raise OriginError(
                f"{where}: customOriginConfig.ipAddressType must be one of "
                f"{', '.join(IP_ADDRESS_TYPES)}, got {_shown(config['ipAddressType'])}"
            )
        if not new_domain:
            raise OriginError(
                f"{where}: customOriginConfig.ipAddressType can change only together with "
                "domainName"
            )


def _certificate_names(where: str, value: Any, name: str = "allowedCertificateNames") -> None:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise OriginError(f"{where}: {name} must be a list of names, got {_shown(value)}")
    if len(value) > MAX_CERTIFICATE_NAMES:
        raise OriginError(
            f"{where}: {name} has {len(value)} names; at most {MAX_CERTIFICATE_NAMES}"
        )
    for item in value:
        if len(item) > MAX_CERTIFICATE_NAME:
            raise OriginError(
                f"{where}: {name}: {item[:20]!r}... is {len(item)} characters; "
                f"at most {MAX_CERTIFICATE_NAME}"
            )


def _overrides(where: str, name: str, value: Any) -> None:
    overrides = _fields(where, name, value, OVERRIDE_FIELDS)
    for key in ("hostHeader", "sni"):
        if key in overrides:
            _host(where, f"{name}.{key}", overrides[key])
    if "allowedCertificateNames" in overrides:
        _certificate_names(
            where, overrides["allowedCertificateNames"], f"{name}.allowedCertificateNames"
        )


def _origin_id(where: str, name: str, value: Any) -> None:
    if not isinstance(value, str) or not value:
        raise OriginError(f"{where}: {name} must be a non-empty string, got {_shown(value)}")


def _group(where: str, value: Any) -> None:
    group = _fields(where, "the origin group properties", value, GROUP_FIELDS)
    ids = group.get("originIds")
    # "You must provide two origins as part of the array." The page's text calls them
    # origin ids and its example gives {originId, originOverrides} objects: both are taken.
    if not isinstance(ids, list) or len(ids) != 2:
        raise OriginError(
            f"{where}: originIds must list two origins (primary, then secondary), got {_shown(ids)}"
        )
    for index, entry in enumerate(ids):
        if isinstance(entry, dict):
            item = _fields(where, f"originIds[{index}]", entry, ("originId", "originOverrides"))
            _origin_id(where, f"originIds[{index}].originId", item.get("originId"))
            if "originOverrides" in item:
                _overrides(where, f"originIds[{index}].originOverrides", item["originOverrides"])
        else:
            _origin_id(where, f"originIds[{index}]", entry)
    criteria = group.get("selectionCriteria", "default")
    if criteria not in SELECTION_CRITERIA:
        raise OriginError(
            f"{where}: selectionCriteria must be default or media-quality-score, "
            f"got {_shown(criteria)}"
        )
    failover = group.get("failoverCriteria")
    codes = failover.get("statusCodes") if isinstance(failover, dict) else None
    if (
        not isinstance(failover, dict)
        or set(failover) != {"statusCodes"}
        or not isinstance(codes, list)
        or not codes
        or not all(_status(code) for code in codes)
    ):
        raise OriginError(
            f'{where}: failoverCriteria is required, as {{"statusCodes": [500, ...]}} '
            f"(HTTP status codes), got {_shown(failover)}"
        )


def _status(code: Any) -> bool:
    return isinstance(code, int) and not isinstance(code, bool) and 100 <= code <= 599


def _flag(where: str, name: str, value: Any) -> None:
    if not isinstance(value, bool):
        raise OriginError(f"{where}: {name} is required, true or false, got {_shown(value)}")


def _whole(where: str, name: str, value: Any, low: int, high: int | None = None) -> None:
    ok = isinstance(value, int) and not isinstance(value, bool) and value >= low
    if not ok or (high is not None and value > high):
        span = f"from {low} to {high}" if high is not None else f"of at least {low}"
        raise OriginError(f"{where}: {name} must be a whole number {span}, got {_shown(value)}")


def _shown(value: Any) -> str:
    text = "nothing" if value is None else json.dumps(value)
    return text if len(text) <= 60 else text[:57] + "..."
