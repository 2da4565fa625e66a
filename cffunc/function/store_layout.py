"""What the KeyValueStore holds when maintenance is switched by a store (toggle = "kvs").

The layout is fixed here and read by three parties: the rendered function (at the edge and
in the local runtime), the Python decision model, and the commands that write the store.

- ``cffunc:state``: JSON. Its own fields are the every-host scope: ``on`` (true|false),
  ``start`` (RFC 3339, starts it by itself: ``enable --at``), ``until`` (RFC 3339, ends it
  by itself), ``reason``, ``paths`` (path patterns) and
  ``methods`` (``"writes"``: read-only). Beside them, ``scopes``: the wildcard-host scopes
  (``{"host": "*.eu.example.com", "on": true, ...}``), and ``hosts: true`` when
  exact-host scopes exist. A missing key, a value that is not that JSON, or a failed read
  all mean *off*.
- ``cffunc:host:<name>``: the scope of one exact host (``cffunc:host:shop.example.com``),
  the same fields as the state's own. Thousands of tenants' hosts cost nothing per
  request: a request reads at most the one key of its own Host.
- ``cffunc:net:<bucket>``: extra allowlisted networks, space-separated CIDRs, grouped by
  the network the viewer address falls in: its first octet for IPv4 (``cffunc:net:203``),
  its first 32 bits for IPv6 (``cffunc:net:2001:db8``). A request reads at most the one
  bucket its address falls in, so lookups cost one read however many networks there are.

What a request reads: the state, always; its host's key, only when exact-host scopes exist
and neither the every-host scope nor a wildcard scope covers it; its tenant's key, only
when tenant scopes exist and nothing before covers it; its network bucket, only when it
would otherwise get maintenance and the config's allowlist does not hold it. So a request
reads at most four keys (state, host, tenant, bucket), and three on a distribution that
uses only one kind of exact scope.

A request of a multi-tenant distribution whose tenant cannot be read is inside every
tenant scope: when tenant scopes exist it gets :data:`ANY_TENANT` (every path, every
method, the configured message), as a Host not in canonical form does (below). A request
of a standard distribution has no tenant and no tenant key to read.

A request whose Host is not in canonical form (:data:`cffunc.function.scopes.CANONICAL_HOST`)
is inside every wildcard scope, and, when exact-host scopes exist, it has no key of its
own to read: whose key it would be cannot be told, so :data:`ANY_EXACT_HOST` covers it
(maintenance on every path and for every method, with the configured message).

A value holds at most 1,024 bytes: the state with its wildcard scopes must fit (so a few
wildcards with short reasons), a host key holds one scope, and a bucket holds at least 53
IPv4 networks (the longest text, ``255.255.255.255/32``, is 18 bytes plus a space) or 23
IPv6 networks; there are 256 IPv4 buckets and 2**32 IPv6 ones, and the store's 5 MB is the
overall bound (about 25,000 host scopes of 200 bytes). Networks wider than a bucket (IPv4
shorter than /8, IPv6 shorter than /32) cannot be stored; they belong in ``[allow] ips``.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cffunc.config.load import PATH_PATTERN, IPNetwork, parse_time
from cffunc.errors import CffuncError
from cffunc.function.paths import first_match, is_safe
from cffunc.function.scopes import READS, Methods, Scope, host_matches
from cffunc.function.tenants import UNKNOWN

KEY_PREFIX = "cffunc:"
"""Every key cffunc writes starts with this (uninstall removes them from a store it keeps)."""
STATE_KEY = "cffunc:state"
HOST_PREFIX = "cffunc:host:"
TENANT_PREFIX = "cffunc:tenant:"
SCOPE_PREFIX = "cffunc:"
"""Every key of cffunc's (the state, host and tenant scopes, network buckets)."""
NET_PREFIX = "cffunc:net:"
PAGE_PREFIX = "cffunc:page:"
MAX_PAGE_KEYS = 16
"""A page kept in the store fills at most this many values (16 KB; UpdateKeys takes 50 keys
at once, and a maintenance answer reads them all)."""
BUCKET_PREFIX = {4: 8, 6: 32}
MAX_VALUE_BYTES = 1024
MAX_REASON_CHARS = 500
MAX_UNTIL_SECONDS = 366 * 86400
UNTIL_FORMAT = re.compile(r"^[1-9][0-9]{3}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$")
"""How ``start`` and ``until`` are written; the rendered function gets this same regex
(``js_regex``)."""


class StoreError(CffuncError):
    """A store value or an allowlist change breaks the layout or its limits."""


@dataclass(frozen=True)
class StoreScope:
    """One scope as the store keeps it: on, start, until, reason, paths, methods (and,
    for a wildcard kept in the state, its host)."""

    on: bool
    until: datetime | None = None
    reason: str | None = None
    paths: tuple[str, ...] = ()
    methods: Methods = "all"
    host: str | None = None
    """A wildcard scope's ``*.`` host (kept in the state); None elsewhere."""
    start: datetime | None = None
    """When it starts by itself (``enable --at``); None: at once."""

    def fields(self) -> dict[str, Any]:
        if self.reason is not None and len(self.reason) > MAX_REASON_CHARS:
            raise StoreError(
                f"--reason is {len(self.reason)} characters; give at most {MAX_REASON_CHARS}"
            )
        data: dict[str, Any] = {} if self.host is None else {"host": self.host}
        data["on"] = self.on
        if self.start is not None:
            data["start"] = stored_time(self.start)
        if self.until is not None:
            data["until"] = stored_time(self.until)
        if self.reason is not None:
            data["reason"] = self.reason
        if self.paths:
            data["paths"] = list(self.paths)
        if self.methods != "all":
            data["methods"] = self.methods
        return data

    def value(self) -> str:
        """The JSON text kept under a host key."""
        return _checked_json(self.fields(), "the scope")

    def active(self, now: datetime) -> bool:
        """Whether maintenance is on at ``now`` (``start`` starts it and ``until`` ends it
        by itself)."""
        return (
            self.on
            and (self.start is None or now >= self.start)
            and (self.until is None or now < self.until)
        )

    def scheduled(self, now: datetime) -> bool:
        """Whether it is on but starts later (``enable --at``), and has not ended by then."""
        return (
            self.on
            and self.start is not None
            and now < self.start
            and (self.until is None or self.start < self.until)
        )

    def covers(self, method: str, uri: str) -> bool:
        """Whether a request is inside this scope's paths and methods (the host is the
        caller's to match). Read as the function reads it (parts/store.js.j2)."""
        if self.methods == "writes" and method in READS:
            return False
        return not self.paths or not is_safe(uri) or first_match(self.paths, uri) is not None

    def scope(self, hosts: tuple[str, ...] = ()) -> Scope:
        return Scope(hosts, self.paths, self.methods)

    def describe(self, now: datetime) -> str:
        if not self.on:
            return "off"
        if self.until is not None and now >= self.until:
            return f"off (ended at {self.until.isoformat()})"
        if self.start is not None and not self.scheduled(now) and now < self.start:
            return "off (it would end before it starts)"
        until = f" until {self.until.isoformat()}" if self.until else ""
        narrow = Scope((), self.paths, self.methods)
        where = "" if narrow.whole else f" for {narrow.describe().removeprefix('every host; ')}"
        when = (
            f"scheduled from {self.start.isoformat()}"
            if self.start is not None and self.scheduled(now)
            else "on"
        )
        return when + where + until + (f" ({self.reason})" if self.reason else "")


@dataclass(frozen=True)
class StoreState(StoreScope):
    """The state key: the every-host scope, the wildcard scopes, and whether exact-host
    and tenant keys exist."""

    wildcards: tuple[StoreScope, ...] = ()
    hosts: bool = False
    tenants: bool = False

    def value(self) -> str:
        """The JSON text kept under :data:`STATE_KEY`."""
        data = self.fields()
        if self.wildcards:
            data["scopes"] = [w.fields() for w in self.wildcards]
        if self.hosts:
            data["hosts"] = True
        if self.tenants:
            data["tenants"] = True
        return _checked_json(
            data,
            "the state",
            "shorten the reasons, or give fewer wildcard hosts (exact hosts have a key each)",
        )

    def scheduled_somewhere(self, now: datetime) -> datetime | None:
        """The earliest start of a scope of the state that is scheduled (exact-host keys
        are not read for this), or None."""
        starts = [s.start for s in (self, *self.wildcards) if s.scheduled(now) and s.start]
        return min(starts, default=None)

    def on_somewhere(self, now: datetime, tenant_scopes: bool = False) -> bool:
        """Whether some scope may be on: the bypass link works then (exact-host and tenant
        keys are not read for this; their flags count, the tenants' only for a function
        that reads tenant scopes)."""
        return (
            self.active(now)
            or self.hosts
            or (tenant_scopes and self.tenants)
            or any(w.active(now) for w in self.wildcards)
        )


def stored_time(moment: datetime) -> str:
    """A time as the store keeps it (:data:`UNTIL_FORMAT`)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _checked_json(data: dict[str, Any], what: str, hint: str = "shorten the reason") -> str:
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    size = len(text.encode())
    if size > MAX_VALUE_BYTES:
        raise StoreError(
            f"{what} would be {size:,} bytes and a store value holds {MAX_VALUE_BYTES:,}; {hint}"
        )
    return text


def parse_scope(data: object, host: bool = False) -> StoreScope | None:
    """A scope's fields as the function reads them; None when it cannot be read (off).
    ``host``: a wildcard entry of the state, which must name its ``*.`` host."""
    if not isinstance(data, dict) or not isinstance(data.get("on"), bool):
        return None
    on = data["on"]
    moments: dict[str, datetime | None] = {}
    for field_name in ("start", "until"):
        value = data.get(field_name)
        if value is None:
            moments[field_name] = None
            continue
        # Only the form cffunc writes: the function reads no other (whatever Date.parse
        # might accept differs between engines); a time it cannot read means off.
        moments[field_name] = (
            parse_time(value) if isinstance(value, str) and UNTIL_FORMAT.fullmatch(value) else None
        )
        on = on and moments[field_name] is not None
    reason = data.get("reason")
    name = data.get("host")
    if host and not (isinstance(name, str) and name.startswith("*.")):
        return None
    return StoreScope(
        on,
        moments["until"],
        reason if isinstance(reason, str) else None,
        _paths(data.get("paths")),
        "writes" if data.get("methods") == "writes" else "all",
        name if host else None,
        moments["start"],
    )


def _paths(value: object) -> tuple[str, ...]:
    """Paths as the function reads them: a non-list or an empty list means every path, and
    entries that are not strings are skipped (a list of only such entries then covers no
    safe URI, which NEVER, a pattern no safe URI matches, stands for)."""
    if not isinstance(value, list) or not value:
        return ()
    return tuple(p for p in value if isinstance(p, str)) or (NEVER,)


NEVER = "\x00"
"""A path pattern that matches no safe URI (none holds a control character)."""


def parse_state(text: str | None) -> StoreState | None:
    """The state a value holds; None for a missing or unreadable value (both mean off,
    as the function reads them)."""
    data = _json(text)
    own = parse_scope(data)
    if own is None or not isinstance(data, dict):
        return None
    entries = data.get("scopes")
    wildcards = tuple(
        w
        for w in (parse_scope(e, host=True) for e in (entries if isinstance(entries, list) else []))
        if w is not None
    )
    return StoreState(
        own.on, own.until, own.reason, own.paths, own.methods, None, own.start,
        wildcards=wildcards, hosts=data.get("hosts") is True,
        tenants=data.get("tenants") is True,
    )  # fmt: skip


def parse_host_scope(text: str | None) -> StoreScope | None:
    return parse_scope(_json(text))


def _json(text: str | None) -> object:
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def host_key(host: str) -> str:
    return HOST_PREFIX + host


def tenant_key(tenant: str) -> str:
    return TENANT_PREFIX + tenant


ANY_EXACT_HOST = StoreScope(True)
"""The scope covering a request whose Host is not in canonical form when exact-host scopes
exist (the rendered function gets it through the ``js`` filter)."""
NOT_CANONICAL = "a Host not in canonical form"
"""How :data:`ANY_EXACT_HOST` is named where scopes are listed by host (replay's counts)."""
ANY_TENANT = ANY_EXACT_HOST
"""The scope covering a request whose tenant cannot be read when tenant scopes exist: the
same as :data:`ANY_EXACT_HOST` (every path and method, the configured message), and the
same object in the rendered function."""
UNKNOWN_TENANT = "a tenant that could not be read"
"""How :data:`ANY_TENANT` is named where scopes are listed by tenant."""


@dataclass(frozen=True)
class Covering:
    """The store scope covering a request, and which exact key (if any) it came from."""

    scope: StoreScope
    host: str | None = None
    """The exact host whose key covered it, or :data:`NOT_CANONICAL`."""
    tenant: str | None = None
    """The tenant whose key covered it, or :data:`UNKNOWN_TENANT`."""


def covering_scope(
    items: Mapping[str, str],
    method: str,
    uri: str,
    host: str | None,
    now: datetime,
    tenant: str | None = None,
    tenant_scopes: bool = False,
) -> Covering | None:
    """The store's scope a request falls in, read in the function's order: the every-host
    scope, the wildcard scopes, the key of the request's own host, then (for a function
    that reads tenant scopes) the key of its tenant. ``host``: as
    :func:`cffunc.function.scopes.request_host` gives it; None (a Host not in canonical
    form) is inside every wildcard scope and, when exact-host scopes exist, gets
    :data:`ANY_EXACT_HOST` instead of a key of its own. ``tenant``: as
    :func:`cffunc.function.tenants.tenant_reading` gives it; UNKNOWN gets
    :data:`ANY_TENANT` when tenant scopes exist, None (a standard distribution) no key."""
    state = parse_state(items.get(STATE_KEY))
    if state is None:
        return None
    if state.active(now) and state.covers(method, uri):
        return Covering(state)
    for wildcard in state.wildcards:
        if (
            wildcard.active(now)
            and (host is None or host_matches(str(wildcard.host), host))
            and wildcard.covers(method, uri)
        ):
            return Covering(wildcard)
    if state.hosts:
        if host is None:
            return Covering(ANY_EXACT_HOST, host=NOT_CANONICAL)
        own = parse_host_scope(items.get(host_key(host)))
        if own is not None and own.active(now) and own.covers(method, uri):
            return Covering(own, host=host)
    if not (tenant_scopes and state.tenants) or tenant is None:
        return None
    if tenant == UNKNOWN:
        return Covering(ANY_TENANT, tenant=UNKNOWN_TENANT)
    scope = parse_host_scope(items.get(tenant_key(tenant)))
    if scope is not None and scope.active(now) and scope.covers(method, uri):
        return Covering(scope, tenant=tenant)
    return None


def bucket_key(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    """The key of the bucket an address falls in (the function computes the same)."""
    if address.version == 4:
        return NET_PREFIX + str(address.packed[0])
    packed = address.packed
    return NET_PREFIX + f"{packed[0] << 8 | packed[1]:x}:{packed[2] << 8 | packed[3]:x}"


def network_bucket(network: IPNetwork) -> str:
    """The bucket of a network; StoreError for one wider than a bucket."""
    shortest = BUCKET_PREFIX[network.version]
    if network.prefixlen < shortest:
        raise StoreError(
            f"{network} is wider than /{shortest}, the widest network the store keeps for "
            f"IPv{network.version}; split it or put it in [allow] ips"
        )
    return bucket_key(network.network_address)


def parse_networks(value: str | None) -> list[IPNetwork]:
    """The networks of a bucket value, read as the function reads them: entries split on
    single spaces, each ADDRESS/LENGTH (host bits ignored); others are skipped."""
    out: list[IPNetwork] = []
    for item in (value or "").split(" "):
        address, slash, length = item.partition("/")
        if not slash or "%" in address or not re.fullmatch(r"[0-9]{1,3}", length):
            continue
        try:
            parsed = ipaddress.ip_address(address)
            out.append(ipaddress.ip_network((parsed, int(length)), strict=False))
        except ValueError:
            continue
    return out


def bucket_value(networks: list[IPNetwork]) -> str | None:
    """The value for a bucket's networks, None when it is empty (the key is deleted)."""
    if not networks:
        return None
    text = " ".join(str(n) for n in sorted(set(networks), key=_order))
    if len(text.encode()) > MAX_VALUE_BYTES:
        raise StoreError(
            f"the bucket of {networks[0]} would hold {len(text.encode())} bytes; a value "
            f"holds {MAX_VALUE_BYTES}: remove some networks of this bucket, or add wider "
            "ones that cover them"
        )
    return text


def _order(network: IPNetwork) -> tuple[int, int, int]:
    return network.version, int(network.network_address), network.prefixlen


def store_match(items: Mapping[str, str], ip: str) -> str | None:
    """The stored network holding ``ip`` (first in its bucket's order), or None."""
    if "%" in ip:
        return None
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return None
    for network in parse_networks(items.get(bucket_key(address))):
        if network.version == address.version and address in network:
            return str(network)
    return None


def enabled_items() -> dict[str, str]:
    """A store that says maintenance is on: what `cffunc test` and `replay` run a
    store-toggled function with unless given a store (--kvs)."""
    return {STATE_KEY: StoreState(True).value()}


@dataclass(frozen=True)
class StoredPage:
    """Where a respond-mode page lives in the store (toggle = "kvs"): ``count`` values
    under ``prefix`` + 0, 1, ..., which joined are ``length`` UTF-16 units long (what
    JavaScript's ``String.length`` counts). The prefix holds a hash of the page, so a
    function reads only the page it was rendered with, whatever another config wrote."""

    prefix: str
    count: int
    length: int


def page_chunks(page: str) -> list[str]:
    """``page`` cut into values of at most 1,024 UTF-8 bytes, at character boundaries."""
    chunks: list[str] = []
    start = size = 0
    for index, char in enumerate(page):
        width = len(char.encode("utf-8"))
        if size + width > MAX_VALUE_BYTES:
            chunks.append(page[start:index])
            start, size = index, 0
        size += width
    chunks.append(page[start:])
    return chunks


def stored_page(page: str) -> StoredPage:
    """Where ``page`` is kept; :class:`StoreError` when it needs more than
    :data:`MAX_PAGE_KEYS` values."""
    return _stored_page(page, page_chunks(page))


def _stored_page(page: str, chunks: list[str]) -> StoredPage:
    if len(chunks) > MAX_PAGE_KEYS:
        raise StoreError(
            f'maintenance.page is {len(page.encode("utf-8")):,} bytes; with toggle = "kvs" '
            f"the page is kept in the store, in at most {MAX_PAGE_KEYS} values of "
            f"{MAX_VALUE_BYTES:,} bytes: make it smaller"
        )
    digest = hashlib.sha256(page.encode("utf-8")).hexdigest()[:12]
    return StoredPage(f"{PAGE_PREFIX}{digest}:", len(chunks), len(page.encode("utf-16-le")) // 2)


PAGE_KEY = re.compile(re.escape(PAGE_PREFIX) + "[0-9a-f]{12}:")


def page_prefixes(text: str) -> set[str]:
    """The page prefixes named in ``text`` (a function's code, a list of keys)."""
    return set(PAGE_KEY.findall(text))


def page_items(page: str | None) -> dict[str, str]:
    """The keys that hold ``page`` (none for None)."""
    if page is None:
        return {}
    chunks = page_chunks(page)
    where = _stored_page(page, chunks)
    return {f"{where.prefix}{i}": chunk for i, chunk in enumerate(chunks)}


def stored_page_text(items: Mapping[str, str], where: StoredPage) -> str | None:
    """The page as the function reads it from ``items``: None unless every value is
    there and together they have the right length (the function then answers with text)."""
    try:
        text = "".join(items[f"{where.prefix}{i}"] for i in range(where.count))
    except KeyError:
        return None
    # An empty page is no page: the function tests what it read for truth.
    return text if text and len(text.encode("utf-16-le")) // 2 == where.length else None


def state_at(
    items: Mapping[str, str], now: datetime, tenant_scopes: bool = False
) -> StoreState | None:
    """The state when some scope may be on at ``now``; None when maintenance is off.
    ``tenant_scopes``: the function reads tenant scopes (their flag counts)."""
    state = parse_state(items.get(STATE_KEY))
    return state if state is not None and state.on_somewhere(now, tenant_scopes) else None


def until_from_option(
    text: str | None, now: datetime, start: datetime | None = None
) -> datetime | None:
    """``--until``: an RFC 3339 time, or a duration such as 90m / 2h / 1d from now, or
    from ``start`` when maintenance is scheduled (``--at``)."""
    if text is None:
        return None
    moment = _time_option("--until", text, now, start or now)
    if start is not None and moment <= start:
        raise StoreError(
            f"--until {text}: that is not after --at ({start.isoformat()}); give a later time "
            "or a duration, which counts from --at"
        )
    return moment


def start_from_option(text: str | None, now: datetime) -> datetime | None:
    """``--at``: an RFC 3339 time, or a duration such as 30m / 2h from now."""
    return None if text is None else _time_option("--at", text, now, now)


def _time_option(option: str, text: str, now: datetime, base: datetime) -> datetime:
    """A future time from an RFC 3339 time or a duration after ``base``, at most 366 days
    from ``base``; StoreError names ``option`` and what to give."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    if text[:-1].isdigit() and text[-1:] in units:
        seconds = int(text[:-1]) * units[text[-1]]
        if not 0 < seconds <= MAX_UNTIL_SECONDS:
            raise StoreError(
                f"{option} {text}: give a duration from 1s to 366d (a time that is now, or "
                "years away, is not what a release script means)"
            )
        return (base + timedelta(seconds=seconds)).replace(microsecond=0)
    moment = parse_time(text)
    if moment is None:
        raise StoreError(
            f"{option} {text!r}: give an RFC 3339 time (2026-12-01T04:00:00Z) or a duration "
            "(90m, 2h, 1d)"
        )
    if moment <= now:
        raise StoreError(f"{option} {text}: that time has passed; give a later one")
    if moment - base > timedelta(seconds=MAX_UNTIL_SECONDS):
        raise StoreError(f"{option} {text}: more than 366 days away; give an earlier time")
    # The store keeps whole seconds (UNTIL_FORMAT): the time the function will read.
    return moment.replace(microsecond=0)


def check_paths(paths: Sequence[str]) -> tuple[str, ...]:
    """``--path`` patterns, each checked as the config checks ``[allow] paths``."""
    for path in paths:
        if not PATH_PATTERN.fullmatch(path):
            raise StoreError(
                f"--path {path!r} is not a CloudFront path pattern; give up to 255 of A-Z a-z "
                '0-9 _ - . $ / ~ " \' @ : + & and the wildcards * and ?, e.g. "/checkout/*"'
            )
    return tuple(dict.fromkeys(paths))


def parse_cidrs(values: Sequence[str]) -> list[IPNetwork]:
    """Networks for the store's allowlist, each checked (StoreError names the bad one)."""
    out = []
    for text in values:
        try:
            network = ipaddress.ip_network(text, strict=True)
        except ValueError as error:
            raise StoreError(f"{text}: not a network ({error}); e.g. 203.0.113.0/24") from None
        network_bucket(network)  # refuse networks wider than a bucket
        out.append(network)
    return out
