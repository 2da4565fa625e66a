"""The decision rules of SPEC section 3 in plain Python: the oracle for the JavaScript.

It shares nothing with the rendered function but :class:`~cffunc.function.rules.MaintenanceRules`:
IPs are matched with :mod:`ipaddress`, path patterns with :mod:`fnmatch`, cookies with
:mod:`hmac`. Tests run the same requests through both and compare; ``replay`` uses it to
say which rule let a request through.
"""

from __future__ import annotations

import bisect
import heapq
import ipaddress
import json
import re
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from cffunc.config.load import IPNetwork
from cffunc.function import bypass, cors
from cffunc.function.paths import first_match, is_safe
from cffunc.function.rules import MaintenanceRules
from cffunc.function.scopes import Scope, covers, request_host
from cffunc.function.store_layout import (
    Covering,
    StoreState,
    covering_scope,
    enabled_items,
    state_at,
    store_match,
    stored_page_text,
)
from cffunc.function.tenants import BodyKind, Tenant, fill, tenant_reading

Action = Literal["pass", "maintenance", "redirect"]
Answer = Literal["json", "page", "rewrite", "text", "preflight"]
Rule = Literal[
    "outside-window",
    "maintenance-off",
    "store-unreadable",
    "bypass-token",
    "outside-scope",
    "allowed-ip",
    "store-ip",
    "bypass-cookie",
    "allowed-path",
    "maintenance",
]


EXEMPT: frozenset[Rule] = frozenset({"allowed-ip", "store-ip", "bypass-cookie", "allowed-path"})
"""The rules that let a request through while maintenance is on for it."""


@dataclass(frozen=True)
class ViewerRequest:
    """What the function reads of a viewer request (first values of repeated names)."""

    ip: str
    method: str = "GET"
    uri: str = "/"
    querystring: Mapping[str, str] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    """Lower-case names."""
    cookies: Mapping[str, str] = field(default_factory=dict)
    endpoint: str | None = None
    """The event's ``context.endpoint`` (only events of a multi-tenant distribution have
    one): how the function tells a tenant it could not read from a standard distribution
    (:func:`cffunc.function.tenants.tenant_reading`)."""


@dataclass(frozen=True)
class Decision:
    action: Action
    rule: Rule
    matched: str | None = None
    """The CIDR or path pattern that let the request through."""
    answer: Answer | None = None
    """How a maintenance request is answered: a generated JSON, page or text response, a
    rewrite to the maintenance object, or (allow.cors_origins) a 204 to a CORS preflight."""
    scope: Scope | None = None
    """For maintenance: the scope that covered the request (the config's, or a store
    scope's, its host included)."""
    reason: str | None = None
    """For maintenance under a store scope: that scope's reason, which JSON and text
    answers give instead of the configured message."""
    tenant: str | None = None
    """For maintenance under a store tenant scope: the tenant whose key covered the
    request (or ``store_layout.UNKNOWN_TENANT``)."""


def decide(
    rules: MaintenanceRules,
    request: ViewerRequest,
    now: datetime,
    store: Mapping[str, str] | None = None,
    unreadable: bool = False,
    tenant: Tenant | None = None,
) -> Decision:
    """What the viewer-request function does with ``request`` at ``now``; ``store``: the
    KeyValueStore's items, for toggle = "kvs" (None: an empty store, so off).
    ``unreadable``: every read of the store fails (``store`` is then never read).
    ``tenant``: the distribution tenant the request came through (None: a standard
    distribution, or, with ``request.endpoint``, a tenant that could not be read), as
    the local runtime's ``EdgeContext.tenant`` gives it."""
    now_ms = round(now.timestamp() * 1000)
    if (rules.window_start_ms is not None and now_ms < rules.window_start_ms) or (
        rules.window_end_ms is not None and now_ms >= rules.window_end_ms
    ):
        return Decision("pass", "outside-window")
    items: Mapping[str, str] = store or {}
    if rules.store and unreadable:
        if rules.store_unreadable == "pass":
            return Decision("pass", "store-unreadable")
        # As if `cffunc enable` had run: on for every host; the network buckets cannot be
        # read either, so only the config's allowlists let a request through.
        items = enabled_items()
    if rules.store and state_at(items, now, rules.tenant_scopes) is None:
        return Decision("pass", "maintenance-off")
    if (
        rules.bypass is not None
        and request.method == "GET"
        and request.uri == rules.bypass.path
        and bypass.token_matches(rules.bypass.keys, request.querystring.get("token", ""))
    ):
        return Decision("redirect", "bypass-token")
    host = request_host(request.headers.get("host", ""))
    seen = tenant_reading(tenant, request.endpoint)
    if not covers(rules.scope, request.method, request.uri, host, seen):
        return Decision("pass", "outside-scope")
    scope, reason, by_tenant = rules.scope, None, None
    if rules.store:
        covering = covering_scope(
            items, request.method, request.uri, host, now, seen, rules.tenant_scopes
        )
        if covering is None:
            return Decision("pass", "outside-scope")
        scope, reason, by_tenant = _stored(covering), covering.scope.reason, covering.tenant
    network = matching_network(rules, request.ip)
    if network is not None:
        return Decision("pass", "allowed-ip", matched=network)
    if rules.store:
        network = store_match(items, request.ip)
        if network is not None:
            return Decision("pass", "store-ip", matched=network)
    if rules.bypass is not None and bypass.cookie_valid(
        rules.bypass.keys, request.cookies.get(rules.bypass.cookie, ""), now_ms, rules.bypass.ttl
    ):
        return Decision("pass", "bypass-cookie")
    if is_safe(request.uri):
        pattern = first_match(rules.paths, request.uri)
        if pattern is not None:
            return Decision("pass", "allowed-path", matched=pattern)
    read_only = "writes" in (rules.scope.methods, scope.methods)  # the config's bounds the store's
    answer = _answer(rules, request, read_only)
    if answer == "page" and rules.page_store and stored_page_text(items, rules.page_store) is None:
        answer = "text"  # the page kept in the store is not there whole
    return Decision(
        "maintenance", "maintenance", answer=answer, scope=scope, reason=reason, tenant=by_tenant
    )


def pass_signal(rules: MaintenanceRules, decision: Decision) -> tuple[str, str] | None:
    """The pass header the request goes on to the origin with: (name, value) for a pass
    during maintenance when one is configured; None otherwise, and then the function
    removes a header of that name the viewer sent."""
    if rules.pass_header is not None and decision.action == "pass" and decision.rule in EXEMPT:
        return rules.pass_header
    return None


def _stored(covering: Covering) -> Scope:
    """A store scope as a Scope, named by its host or tenant: every host for the state's
    own, the wildcard, the request's host for an exact-host key (``NOT_CANONICAL`` for
    the scope covering a Host not in canonical form), the tenant for a tenant key."""
    stored = covering.scope
    if covering.tenant is not None:
        return Scope((), stored.paths, stored.methods, (covering.tenant,))
    if isinstance(stored, StoreState):
        return stored.scope()
    return stored.scope((stored.host or covering.host or "",))


BODY_KINDS: dict[Answer, BodyKind] = {"json": "json", "page": "html", "text": "text"}


def answer_body(
    rules: MaintenanceRules,
    decision: Decision,
    tenant: Tenant | None = None,
    store: Mapping[str, str] | None = None,
) -> str | None:
    """The body of the response a maintenance decision answers with (None for a rewrite
    and a preflight): the configured JSON, page or text, with a store scope's reason in
    place of the configured message, and (``rules.fills``) the ``{tenant.NAME}``
    placeholders filled from ``tenant``'s parameters, as the function fills them. A page
    kept in the store (``rules.page_store``) is read from ``store``."""
    if decision.answer not in BODY_KINDS:
        return None
    kind = BODY_KINDS[decision.answer]
    if kind == "json":
        body = rules.json_body
        if decision.reason is not None:
            data = json.loads(body)
            data["message"] = decision.reason
            body = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    elif kind == "text":
        body = rules.text_body if decision.reason is None else decision.reason + "\n"
    else:
        page = rules.page_html
        if rules.page_store is not None:
            page = stored_page_text(store or {}, rules.page_store)
        body = page or ""
    return fill(body, kind, tenant) if rules.fills else body


def _answer(rules: MaintenanceRules, request: ViewerRequest, read_only: bool) -> Answer:
    if rules.cors_origins and is_preflight(request):
        return "preflight"
    if rules.json and prefers_json(request.headers.get("accept", "")):
        return "json"
    if read_only:
        return "text"  # read-only mode: a write never gets the page or the object
    if rules.mode == "respond":
        return "page"
    # An object store cannot answer POST and the like with the object, and an error from
    # the origin skips the viewer-response half, so those get a generated answer.
    return "rewrite" if request.method in ("GET", "HEAD") else "text"


def is_preflight(request: ViewerRequest) -> bool:
    """A CORS preflight (Fetch standard): OPTIONS with an Origin and the method asked for."""
    return (
        request.method == "OPTIONS"
        and bool(request.headers.get("origin"))
        and bool(request.headers.get("access-control-request-method"))
    )


_LABEL_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-_")


def origin_allowed(origins: tuple[str, ...], origin: str) -> bool:
    """Whether ``origin`` (a request's Origin header, as sent) is configured: equal to an
    exact origin, or, for ``scheme://*.domain[:port]``, the same scheme and port with a
    host of one or more labels (lower-case letters, digits, ``-``, ``_``) before
    ``.domain``. Plain string work, apart from the function's regex."""
    for allowed in origins:
        scheme, separator, rest = allowed.partition("://*.")
        if not separator:
            if origin == allowed:
                return True
            continue
        prefix, suffix = scheme + "://", "." + rest
        if origin.startswith(prefix) and origin.endswith(suffix):
            labels = origin[len(prefix) : len(origin) - len(suffix)].split(".")
            if all(label and set(label) <= _LABEL_CHARACTERS for label in labels):
                return True
    return False


def cors_headers(rules: MaintenanceRules, request: ViewerRequest, answer: Answer) -> dict[str, str]:
    """The CORS headers (and ``vary``) the viewer gets with a maintenance ``answer``
    (for ``rewrite``: the 503 the viewer-response half makes of it); empty without
    allow.cors_origins. An Origin that is not configured is never reflected."""
    if not rules.cors_origins:
        return {}
    out = {"vary": "origin"}
    origin = request.headers.get("origin", "")
    if not origin_allowed(rules.cors_origins, origin):
        return out
    out |= {"access-control-allow-origin": origin, "access-control-allow-credentials": "true"}
    if answer == "preflight":
        out["access-control-max-age"] = str(cors.MAX_AGE)
        method = request.headers.get("access-control-request-method", "")
        asked = request.headers.get("access-control-request-headers", "")
        if cors.TOKENS.search(method):
            out["access-control-allow-methods"] = method
        if cors.TOKENS.search(asked):
            out["access-control-allow-headers"] = asked
        return out
    expose = cors.exposed(rules.headers)
    if expose:
        out["access-control-expose-headers"] = expose
    return out


def prefers_json(accept: str) -> bool:
    """``application/json`` listed before any ``text/html`` (order decides, not q-values)."""
    for item in accept.lower().split(","):
        media_type = item.split(";")[0].strip(" \t")  # HTTP's optional whitespace only
        if media_type == "application/json":
            return True
        if media_type == "text/html":
            return False
    return False


def matching_network(rules: MaintenanceRules, ip: str) -> str | None:
    """The first configured network holding ``ip``; None for no match or a malformed address."""
    if "%" in ip:  # a scoped address is never a viewer address
        return None
    value = _ipv4_value(ip)
    if value is not None:
        version = 4
    else:
        try:
            address = ipaddress.ip_address(ip)
        except ValueError:
            return None
        version, value = address.version, int(address)
    table = _network_table(rules.networks)[version]
    at = bisect.bisect_right(table.starts, value) - 1
    return table.labels[at] if at >= 0 else None


def address_ranges(rules: MaintenanceRules, version: int) -> tuple[list[int], list[str | None]]:
    """The allowlist's networks of one IP version as consecutive ranges, as
    :func:`matching_network` searches them: range ``i`` starts at ``starts[i]`` and belongs
    to ``labels[i]``, the first configured network covering it (None for a gap)."""
    table = _network_table(rules.networks)[version]
    return table.starts, table.labels


DOTTED = re.compile(r"(?:0|[1-9][0-9]{0,2})(?:\.(?:0|[1-9][0-9]{0,2})){3}")
"""The form of a dotted-quad IPv4 address (parts over 255 are the parser's to refuse)."""


def _ipv4_value(ip: str) -> int | None:
    """A dotted-quad IPv4 address as an int, accepting exactly what :mod:`ipaddress` does
    (four decimal parts 0-255, no leading zeros); None for anything else. Replays ask
    for millions of addresses, and ipaddress's parser costs microseconds each: a regex
    for the form, then the C parser for the value (which refuses parts over 255)."""
    if not DOTTED.fullmatch(ip):
        return None
    try:
        return int.from_bytes(socket.inet_aton(ip), "big")
    except OSError:
        return None


@dataclass(frozen=True)
class _Table:
    """One address family's networks as consecutive ranges: ``starts[i]`` is where range
    ``i`` begins, ``labels[i]`` the first configured network covering it (None for a gap),
    so a lookup is one binary search (replays ask for millions of addresses)."""

    starts: list[int]
    labels: list[str | None]


_TABLES: dict[int, tuple[tuple[IPNetwork, ...], dict[int, _Table]]] = {}


def _network_table(networks: tuple[IPNetwork, ...]) -> dict[int, _Table]:
    """Built once per networks tuple, found again by identity (hashing 600 networks on
    every lookup would cost more than the search it serves)."""
    hit = _TABLES.get(id(networks))
    if hit is not None and hit[0] is networks:
        return hit[1]
    if len(_TABLES) > 64:
        _TABLES.clear()
    tables = {v: _build_table([n for n in networks if n.version == v]) for v in (4, 6)}
    _TABLES[id(networks)] = (networks, tables)
    return tables


def _build_table(networks: list[IPNetwork]) -> _Table:
    """Sweep the range boundaries: at each, the covering network configured first wins."""
    events: dict[int, list[tuple[int, int]]] = {}
    for position, network in enumerate(networks):
        start = int(network.network_address)
        end = int(network.broadcast_address) + 1
        events.setdefault(start, []).append((1, position))
        events.setdefault(end, []).append((-1, position))
    active: list[int] = []  # a heap of positions, with lazy removal
    removed: dict[int, int] = {}
    starts: list[int] = [-1]
    labels: list[str | None] = [None]
    for point in sorted(events):
        for change, position in events[point]:
            if change > 0:
                heapq.heappush(active, position)
            else:
                removed[position] = removed.get(position, 0) + 1
        while active and removed.get(active[0], 0):
            removed[active[0]] -= 1
            heapq.heappop(active)
        label = str(networks[active[0]]) if active else None
        if label != labels[-1]:
            starts.append(point)
            labels.append(label)
    return _Table(starts, labels)


def decide_response(
    rules: MaintenanceRules,
    request: ViewerRequest,
    now: datetime,
    marked: bool,
    store: Mapping[str, str] | None = None,
    unreadable: bool = False,
    tenant: Tenant | None = None,
) -> bool:
    """Whether the viewer-response half turns the origin's answer into the maintenance status.

    ``marked``: the request carries the marker the viewer-request half sets when it rewrites.
    Whether CloudFront shows viewer-response the original or the rewritten request is not
    documented; the marker makes the answer right either way.
    """
    return marked or decide(rules, request, now, store, unreadable, tenant).answer == "rewrite"
