"""What the rendered function reads of a viewer-request event, derived from the same
:class:`~cffunc.function.rules.MaintenanceRules` that render it.

Replay (:mod:`cffunc.replay.run`) runs the function once per distinct reading and reuses
its answer for every log line that agrees on all of it: two lines that agree on everything
the function reads are the same input to it, so it answers them the same. The function
(``js_templates/``) reads, of a viewer-request event:

- the method and the URI, always (bypass path, scopes, allowed paths, rewrite or answer);
- the ``host`` header when maintenance is scoped by host, or with the store toggle (the
  store's scopes name hosts);
- the ``accept`` header when JSON answers are on;
- the ``origin``, ``access-control-request-method`` and ``-headers`` headers when CORS
  origins are configured (they shape the maintenance answer);
- the bypass cookie's first value, and on the bypass path the ``token`` query parameter,
  when a bypass is configured;
- the viewer's address only as which allowlisted networks hold it: the config's, and with
  the store toggle each stored network as far as the bucket it is stored in reaches (the
  function reads only the bucket of the address; :func:`store_pieces`);
- the distribution tenant (``cf.distributionTenant.id``, and whether the event has a
  ``context.endpoint``) when a scope names tenants or the store holds tenant scopes (its
  parameters only fill answers' bodies);
- the time (``Date.now()``): a replay runs every line at one moment (``--now``);
- with the store toggle, the store, which a replay holds fixed;
- nothing else: not the referer, the user agent, other headers, cookies or query
  parameters, nor the event's context. (With a pass header it removes that header from
  a request it lets go on, whatever its value.)

A header the function reads that a log does not record (``origin``, say: standard logs
have no field for it) is absent from every event replay builds, so it is the same for
every line.

``tests/test_reads.py`` holds this to the function two ways: every field of the rules is
listed below as deciding what is read or as shaping only an answer (a new field fails
until it is placed), and events that differ only outside the reading get the same answer
from the real function.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass

from cffunc.config.load import IPNetwork
from cffunc.function.rules import MaintenanceRules
from cffunc.function.store_layout import BUCKET_PREFIX, NET_PREFIX, parse_networks

READ_BY = {
    "window_start_ms": "the time, against the window (one moment in a replay)",
    "window_end_ms": "the time, against the window (one moment in a replay)",
    "networks": "the viewer address, as the allowlisted networks holding it",
    "paths": "the URI",
    "bypass": "the bypass cookie, and the token on the bypass path",
    "json": "the accept header",
    "mode": "the method (rewrite mode rewrites GET and HEAD, answers the rest)",
    "store": "the store: the host, the address's bucket, the time against scopes' until",
    "scope": "the host (host scopes), the method (read-only) and the URI (path scopes)",
    "store_unreadable": "the store: what a failed read means (a replay holds the store fixed)",
    "cors_origins": "the origin and access-control-request-* headers",
    "tenant_scopes": "the tenant (cf.distributionTenant.id, and the event's context.endpoint)",
}
"""The fields of MaintenanceRules that decide what the function reads of an event."""
SHAPES_ONLY = {
    "name": "the function's name",
    "runtime": "the runtime",
    "status": "the maintenance answer's status",
    "status_text": "the maintenance answer's status text",
    "json_body": "the JSON answer's body",
    "text_body": "the text answer's body",
    "page_html": "the page answer's body",
    "page_store": "where the page answer's body is kept in the store",
    "headers": "the maintenance answer's headers",
    "object": "the URI a rewrite sets",
    "origin": "the origin a rewrite selects",
    "pass_header": "the header put on (or taken off) a request that goes on",
    "fills": "tenant parameters filled into an answer's body",
}
"""The fields of MaintenanceRules that shape an answer, not what is read."""
CORS_HEADERS = ("origin", "access-control-request-method", "access-control-request-headers")


@dataclass(frozen=True)
class EventReads:
    """What the function reads of a viewer-request event, beyond the method and URI."""

    headers: tuple[str, ...]
    """The request headers it reads (lower case)."""
    cookie: str | None
    """The bypass cookie's name (None: no bypass)."""
    token_path: str | None
    """The bypass path, on which the ``token`` query parameter is read."""
    networks: tuple[IPNetwork, ...]
    """The networks an address is matched against: the config's, then the store's pieces."""
    tenant: bool = False
    """The tenant the request came through."""

    def as_js(self) -> dict[str, object]:
        """For shims/replay.js (which builds the reading of each line from it)."""
        return {
            "host": "host" in self.headers,
            "accept": "accept" in self.headers,
            "cookie": self.cookie,
            "tokenPath": self.token_path,
            "tenant": self.tenant,
        }


def event_reads(rules: MaintenanceRules, store: Mapping[str, str] | None = None) -> EventReads:
    """What the function rendered from ``rules`` reads, with ``store`` its KeyValueStore's
    items (toggle = "kvs")."""
    bypass = rules.bypass
    networks = list(rules.networks)
    if rules.store:
        networks += store_pieces(store or {})
    headers = (
        *(("host",) if rules.scope.hosts or rules.store else ()),
        *(("accept",) if rules.json else ()),
        *(CORS_HEADERS if rules.cors_origins else ()),
    )
    return EventReads(
        headers=headers,
        cookie=None if bypass is None else bypass.cookie,
        token_path=None if bypass is None else bypass.path,
        networks=tuple(networks),
        tenant=bool(rules.scope.tenants) or rules.tenant_scopes,
    )


def store_pieces(items: Mapping[str, str]) -> list[IPNetwork]:
    """The store's networks as the function matches them: an address reads only its own
    bucket's key, so a stored network counts only as far as that bucket reaches (a network
    wider than its bucket, or kept under another bucket's key, is cut down to it)."""
    out: list[IPNetwork] = []
    for key, value in items.items():
        bucket = _bucket_network(key)
        if bucket is None:
            continue
        for network in parse_networks(value):
            if network.version != bucket.version:
                continue
            if network.subnet_of(bucket):  # type: ignore[arg-type]
                out.append(network)
            elif bucket.subnet_of(network):  # type: ignore[arg-type]
                out.append(bucket)
    return out


def _bucket_network(key: str) -> IPNetwork | None:
    """The addresses whose bucket key ``key`` is (store_layout.bucket_key), or None."""
    if not key.startswith(NET_PREFIX):
        return None
    name = key.removeprefix(NET_PREFIX)
    try:
        if ":" not in name:
            if name != str(int(name)) or not 0 <= int(name) <= 255:
                return None
            return ipaddress.ip_network((int(name) << 24, BUCKET_PREFIX[4]))
        high, low = (int(part, 16) for part in name.split(":"))
        if name != f"{high:x}:{low:x}" or high > 0xFFFF or low > 0xFFFF:
            return None
        return ipaddress.ip_network(((high << 112) | (low << 96), BUCKET_PREFIX[6]))
    except ValueError:
        return None
