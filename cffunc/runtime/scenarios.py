"""Scenario files (SPEC section 5): named requests with the outcome they must get.

Beyond the SPEC's keys, a scenario may say ``bypass_cookie = "valid" | "expired" |
"forged"`` and ``bypass_token = true | false``: the cookie or ``?token=`` is made at run
time from the configured secret, since nobody can write a valid HMAC by hand.

``expect_uri`` checks the URI the request goes on to the origin with (after cffunc and a
composed function, ``test --with``); ``expect_origin_headers`` the headers it goes on with
(a value exactly, or ``false``: absent; the pass header, say); ``expect_headers`` checks
headers of the response the viewer finally gets (names in any case, values exactly);
``expect_body`` text that the body of a generated answer (the page, the JSON, the text)
contains; ``expect_origin`` the origin the request is sent to (the last
``cf.updateRequestOrigin``/``selectRequestOriginById``/``createRequestOriginGroup`` call:
``{id = "..."}``, ``{domainName = "..."}``, any of the call's properties, or ``"none"``
for no change).

What the edge tells a function beside the event (:mod:`cffunc.runtime.edge`):
``edge_location = {name, serverIp, region}`` (``cf.edgeLocation``), and for a request
through a tenant of a multi-tenant distribution ``tenant = "dt_..."`` with
``tenant_params = {...}`` and ``endpoint`` (its connection group's domain).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from cffunc.config.load import parse_time
from cffunc.errors import ConfigError
from cffunc.function import bypass
from cffunc.function.decide import ViewerRequest
from cffunc.function.rules import MaintenanceRules
from cffunc.runtime.edge import EdgeContext, EdgeError, EdgeLocation, Tenant, edge_location, tenant
from cffunc.runtime.events import split_query

Expect = Literal["pass", "maintenance", "redirect"]
EXPECTS: tuple[Expect, ...] = ("pass", "maintenance", "redirect")
_KEYS = (
    "name", "ip", "host", "path", "method", "headers", "cookies", "now", "expect", "status",
    "bypass_cookie", "bypass_token", "expect_uri", "expect_headers", "expect_body",
    "expect_origin_headers", "edge_location", "tenant", "tenant_params", "endpoint",
    "expect_origin",
)  # fmt: skip
COOKIE_KINDS = ("valid", "expired", "forged", "minted")


@dataclass(frozen=True)
class Scenario:
    name: str
    ip: str
    path: str
    method: str
    expect: Expect
    headers: dict[str, str] = field(default_factory=dict)
    cookies: dict[str, str] = field(default_factory=dict)
    now: datetime | None = None
    status: int | None = None
    bypass_cookie: str | None = None
    bypass_token: bool | None = None
    expect_uri: str | None = None
    expect_headers: dict[str, str] = field(default_factory=dict)
    expect_body: str | None = None
    """Text the body of a generated answer must contain (the page, the JSON, the text)."""
    expect_origin_headers: dict[str, str | None] = field(default_factory=dict)
    """Headers the request goes on to the origin with: a value, or None for absent."""
    location: EdgeLocation = field(default_factory=EdgeLocation)
    tenant: Tenant | None = None
    expect_origin: dict[str, Any] | str | None = None
    """The origin the request goes to: properties of the last origin modification, or
    ``"none"`` for none."""

    def edge(self, rules: MaintenanceRules, secret: str | None) -> EdgeContext:
        """What the edge knows beside the event: the raw query string (with the bypass
        token :meth:`request` puts in), the edge location, the tenant."""
        _, mark, query = self.path.partition("?")
        raw = query if mark else None
        if self.bypass_token is not None and rules.bypass is not None:
            token = (secret or "") if self.bypass_token else "not-the-secret"
            kept = [p for p in query.split("&") if p and p.partition("=")[0] != "token"]
            raw = "&".join([*kept, f"token={token}"])
        return EdgeContext(raw, self.location, self.tenant)

    def request(self, rules: MaintenanceRules, now: datetime, secret: str | None) -> ViewerRequest:
        """The viewer request, with any bypass cookie or token made for ``rules``.

        ``secret``: the bypass secret, for ``bypass_token = true`` (the rules hold only
        keys derived from it).
        """
        uri, _, query = self.path.partition("?")
        querystring = {name: values[0] for name, values in split_query(query).items()}
        cookies = dict(self.cookies)
        if self.bypass_token is not None or self.bypass_cookie is not None:
            if rules.bypass is None:
                raise ConfigError(
                    f"scenario {self.name!r} uses a bypass cookie or token, but the config has "
                    "no allow.bypass_secret_env"
                )
            if self.bypass_token is not None:
                querystring["token"] = (secret or "") if self.bypass_token else "not-the-secret"
            if self.bypass_cookie is not None:
                cookies[rules.bypass.cookie] = _cookie(
                    rules.bypass.keys, self.bypass_cookie, now, rules.bypass.ttl
                )
        return ViewerRequest(
            ip=self.ip,
            method=self.method,
            uri=uri,
            querystring=querystring,
            headers={k.lower(): v for k, v in self.headers.items()},
            cookies=cookies,
        )


def _cookie(keys: bypass.BypassKeys, kind: str, now: datetime, ttl: int) -> str:
    seconds = int(now.timestamp())
    if kind == "valid":
        return bypass.cookie_value(keys, seconds + min(3600, ttl))
    if kind == "minted":
        # Signed with the function's own key but valid for ten years: what someone who
        # read the function code could make. The function refuses it.
        return bypass.cookie_value(keys, seconds + 10 * 365 * 86400)
    if kind == "expired":
        return bypass.cookie_value(keys, seconds - 1)
    return bypass.cookie_value(bypass.derive_keys("forged-" + "x" * 16), seconds + 3600)


def load_scenarios(path: Path) -> list[Scenario]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: scenario file not found") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(f"{path}: cannot read the scenario file: {error}") from None
    items = data.get("scenario")
    if not isinstance(items, list) or not items or set(data) != {"scenario"}:
        raise ConfigError(f"{path}: expected one or more [[scenario]] tables and nothing else")
    return [_scenario(path, index, item) for index, item in enumerate(items)]


def _scenario(path: Path, index: int, item: dict[str, Any]) -> Scenario:
    where = f"{path}: scenario[{index}]"
    for key in item:
        if key not in _KEYS:
            raise ConfigError(f"{where}: unknown key {key}; accepted: {', '.join(_KEYS)}")

    def need(key: str, kind: type, accepted: str, default: Any = None) -> Any:
        value = item.get(key, default)
        if value is None and default is None and key in ("name", "ip", "expect"):
            raise ConfigError(f"{where}: {key} is required; {accepted}")
        if value is not None and (
            not isinstance(value, kind) or isinstance(value, bool) != (kind is bool)
        ):
            raise ConfigError(f"{where}: {key} = {value!r} is not accepted; {accepted}")
        return value

    expect = need("expect", str, f"use one of {', '.join(EXPECTS)}")
    if expect not in EXPECTS:
        raise ConfigError(
            f"{where}: expect = {expect!r} is not accepted; use one of {', '.join(EXPECTS)}"
        )
    path_value = need("path", str, 'give a path starting with "/", e.g. "/checkout?step=2"', "/")
    if not path_value.startswith("/"):
        raise ConfigError(f'{where}: path = {path_value!r} is not accepted; it must start with "/"')
    now = None
    if "now" in item:
        now = parse_time(item["now"])
        if now is None:
            raise ConfigError(
                f"{where}: now = {item['now']!r} is not accepted; give an RFC 3339 time"
            )
    headers = need("headers", dict, "give a table of header names to values", {})
    cookies = need("cookies", dict, "give a table of cookie names to values", {})
    expect_headers = need(
        "expect_headers", dict, "give a table of response header names to values", {}
    )
    for table in (headers, cookies, expect_headers):
        if not all(isinstance(v, str) for v in table.values()):
            raise ConfigError(f"{where}: header and cookie values must be strings")
    origin_headers = need(
        "expect_origin_headers",
        dict,
        "give a table of request header names to values (false: the header is absent)",
        {},
    )
    if not all(isinstance(v, str) or v is False for v in origin_headers.values()):
        raise ConfigError(
            f"{where}: expect_origin_headers values must be strings, or false for a header "
            'that must be absent, e.g. { "x-maintenance" = "on" }'
        )
    host = need("host", str, 'give the Host the viewer asks for, e.g. "shop.example.com"')
    if host is not None:
        if any(k.lower() == "host" for k in headers):
            raise ConfigError(f"{where}: give the host once: as host or in headers, not both")
        headers = {**headers, "host": host}
    cookie_kind = need("bypass_cookie", str, f"use one of {', '.join(COOKIE_KINDS)}")
    if cookie_kind is not None and cookie_kind not in COOKIE_KINDS:
        raise ConfigError(
            f"{where}: bypass_cookie = {cookie_kind!r} is not accepted; "
            f"use one of {', '.join(COOKIE_KINDS)}"
        )
    try:
        location = _location(need("edge_location", dict, "give {name, serverIp, region}"))
        tenant_id = need("tenant", str, 'give the tenant\'s id, e.g. "dt_1a2b3c4d5e6f7"')
        params = need("tenant_params", dict, "give a table of parameter names to values", {})
        endpoint = need(
            "endpoint",
            str,
            'give the connection group\'s domain, e.g. "d111111abcdef8.cloudfront.net"',
        )
        if tenant_id is None and (params or endpoint is not None):
            raise EdgeError("tenant_params and endpoint describe a tenant: give tenant too")
        the_tenant = None if tenant_id is None else tenant(tenant_id, params, endpoint, "tenant")
    except EdgeError as error:
        raise ConfigError(f"{where}: {error}") from None
    expect_origin = item.get("expect_origin")
    if (
        expect_origin is not None
        and expect_origin != "none"
        and (not isinstance(expect_origin, dict) or not expect_origin)
    ):
        raise ConfigError(
            f"{where}: expect_origin = {expect_origin!r} is not accepted; give the origin's "
            'properties, e.g. {id = "myALB-prod"} or {domainName = "www.example.com"}, or "none"'
        )
    return Scenario(
        name=need("name", str, "give the scenario a name"),
        ip=need("ip", str, 'give the viewer IP, e.g. "203.0.113.9"'),
        path=path_value,
        method=need("method", str, "give an HTTP method such as GET", "GET").upper(),
        expect=expect,
        headers=headers,
        cookies=cookies,
        now=now,
        status=need("status", int, "give the HTTP status the viewer should finally get"),
        bypass_cookie=cookie_kind,
        bypass_token=need(
            "bypass_token", bool, "use true (the right token) or false (a wrong one)"
        ),
        expect_uri=need(
            "expect_uri", str, 'give the URI the request goes on with, e.g. "/index.html"'
        ),
        expect_headers={k.lower(): v for k, v in expect_headers.items()},
        expect_body=need("expect_body", str, "give text the generated answer's body contains"),
        expect_origin_headers={
            k.lower(): (None if v is False else v) for k, v in origin_headers.items()
        },
        location=location,
        tenant=the_tenant,
        expect_origin=expect_origin,
    )


def _location(table: dict[str, Any] | None) -> EdgeLocation:
    default = EdgeLocation()
    if table is None:
        return default
    unknown = set(table) - {"name", "serverIp", "region"}
    if unknown:
        raise EdgeError(
            f"edge_location has no {', '.join(sorted(unknown))}; give name, serverIp, region"
        )
    name = table.get("name", default.name)
    server_ip = table.get("serverIp", default.server_ip)
    region = table.get("region", default.region)
    if not all(isinstance(v, str) for v in (name, server_ip, region)):
        raise EdgeError("edge_location: name, serverIp and region are strings")
    return edge_location(name, server_ip, region, "edge_location")
