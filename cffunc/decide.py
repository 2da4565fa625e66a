"""The decision rules of SPEC section 3 in plain Python: the oracle for the JavaScript.

It shares nothing with the rendered function but :class:`~cffunc.rules.MaintenanceRules`:
IPs are matched with :mod:`ipaddress`, path patterns with :mod:`fnmatch`, cookies with
:mod:`hmac`. Tests run the same requests through both and compare; ``replay`` uses it to
say which rule let a request through.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from cffunc import bypass
from cffunc.config import IPNetwork
from cffunc.pathpatterns import first_match, is_safe
from cffunc.rules import MaintenanceRules
from cffunc.scopes import Scope, covers, request_host
from cffunc.store import StoreScope, StoreState, covering_scope, state_at, store_match

Action = Literal["pass", "maintenance", "redirect"]
Answer = Literal["json", "page", "rewrite", "text"]
Rule = Literal[
    "outside-window",
    "maintenance-off",
    "bypass-token",
    "outside-scope",
    "allowed-ip",
    "store-ip",
    "bypass-cookie",
    "allowed-path",
    "maintenance",
]


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


@dataclass(frozen=True)
class Decision:
    action: Action
    rule: Rule
    matched: str | None = None
    """The CIDR or path pattern that let the request through."""
    answer: Answer | None = None
    """How a maintenance request is answered: a generated JSON, page or text response, or
    a rewrite to the maintenance object."""
    scope: Scope | None = None
    """For maintenance: the scope that covered the request (the config's, or a store
    scope's, its host included)."""
    reason: str | None = None
    """For maintenance under a store scope: that scope's reason, which JSON and text
    answers give instead of the configured message."""


def decide(
    rules: MaintenanceRules,
    request: ViewerRequest,
    now: datetime,
    store: Mapping[str, str] | None = None,
) -> Decision:
    """What the viewer-request function does with ``request`` at ``now``; ``store``: the
    KeyValueStore's items, for toggle = "kvs" (None: an empty store, so off)."""
    now_ms = round(now.timestamp() * 1000)
    if (rules.window_start_ms is not None and now_ms < rules.window_start_ms) or (
        rules.window_end_ms is not None and now_ms >= rules.window_end_ms
    ):
        return Decision("pass", "outside-window")
    items: Mapping[str, str] = store or {}
    if rules.store and state_at(items, now) is None:
        return Decision("pass", "maintenance-off")
    if (
        rules.bypass is not None
        and request.method == "GET"
        and request.uri == rules.bypass.path
        and bypass.token_matches(rules.bypass.keys, request.querystring.get("token", ""))
    ):
        return Decision("redirect", "bypass-token")
    host = request_host(request.headers.get("host", ""))
    if not covers(rules.scope, request.method, request.uri, host):
        return Decision("pass", "outside-scope")
    scope, reason = rules.scope, None
    if rules.store:
        covering = covering_scope(items, request.method, request.uri, host, now)
        if covering is None:
            return Decision("pass", "outside-scope")
        scope, reason = _stored(covering, host), covering.reason
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
    return Decision("maintenance", "maintenance", answer=answer, scope=scope, reason=reason)


def _stored(stored: StoreScope, host: str) -> Scope:
    """A store scope as a Scope, named by its host: every host for the state's own, the
    wildcard, or the request's host for an exact-host key."""
    if isinstance(stored, StoreState):
        return stored.scope()
    return stored.scope((stored.host or host,))


def _answer(rules: MaintenanceRules, request: ViewerRequest, read_only: bool) -> Answer:
    if rules.json and prefers_json(request.headers.get("accept", "")):
        return "json"
    if read_only:
        return "text"  # read-only mode: a write never gets the page or the object
    if rules.mode == "respond":
        return "page"
    # An object store cannot answer POST and the like with the object, and an error from
    # the origin skips the viewer-response half, so those get a generated answer.
    return "rewrite" if request.method in ("GET", "HEAD") else "text"


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
        version, bits = 4, 32
    else:
        try:
            address = ipaddress.ip_address(ip)
        except ValueError:
            return None
        version, bits, value = address.version, address.max_prefixlen, int(address)
    index = _network_index(rules.networks)
    best: tuple[int, str] | None = None
    for prefix in index.prefixes.get(version, ()):
        shift = bits - prefix
        found = index.networks.get((version, prefix, value >> shift))
        if found is not None and (best is None or found < best):
            best = found
    return None if best is None else best[1]


def _ipv4_value(ip: str) -> int | None:
    """A dotted-quad IPv4 address as an int, accepting exactly what :mod:`ipaddress` does
    (four decimal parts 0-255, no leading zeros); None for anything else. Replays ask
    for millions of addresses, and ipaddress's parser costs microseconds each."""
    parts = ip.split(".")
    if len(parts) != 4:
        return None
    value = 0
    for part in parts:
        if not (part.isascii() and part.isdigit()) or len(part) > 3:
            return None
        if len(part) > 1 and part[0] == "0":
            return None
        number = int(part)
        if number > 255:
            return None
        value = value << 8 | number
    return value


@dataclass(frozen=True)
class _NetworkIndex:
    """Networks by (version, prefix length, network bits): a lookup per prefix length in
    use, instead of a scan of every network (replays ask for millions of addresses)."""

    prefixes: dict[int, tuple[int, ...]]
    networks: dict[tuple[int, int, int], tuple[int, str]]
    """-> (position in the config, CIDR text): the first configured match wins."""


_INDEXES: dict[int, tuple[tuple[IPNetwork, ...], _NetworkIndex]] = {}


def _network_index(networks: tuple[IPNetwork, ...]) -> _NetworkIndex:
    """Built once per networks tuple, found again by identity (hashing 600 networks on
    every lookup would cost more than the scan it replaces)."""
    hit = _INDEXES.get(id(networks))
    if hit is not None and hit[0] is networks:
        return hit[1]
    if len(_INDEXES) > 64:
        _INDEXES.clear()
    index = _build_index(networks)
    _INDEXES[id(networks)] = (networks, index)
    return index


def _build_index(networks: tuple[IPNetwork, ...]) -> _NetworkIndex:
    prefixes: dict[int, set[int]] = {}
    table: dict[tuple[int, int, int], tuple[int, str]] = {}
    for position, network in enumerate(networks):
        prefixes.setdefault(network.version, set()).add(network.prefixlen)
        key = (
            network.version,
            network.prefixlen,
            int(network.network_address) >> (network.max_prefixlen - network.prefixlen),
        )
        table.setdefault(key, (position, str(network)))
    return _NetworkIndex({v: tuple(sorted(p)) for v, p in prefixes.items()}, table)


def decide_response(
    rules: MaintenanceRules,
    request: ViewerRequest,
    now: datetime,
    marked: bool,
    store: Mapping[str, str] | None = None,
) -> bool:
    """Whether the viewer-response half turns the origin's answer into the maintenance status.

    ``marked``: the request carries the marker the viewer-request half sets when it rewrites.
    Whether CloudFront shows viewer-response the original or the rewritten request is not
    documented; the marker makes the answer right either way.
    """
    return marked or decide(rules, request, now, store).answer == "rewrite"
