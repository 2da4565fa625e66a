"""What the KeyValueStore holds when maintenance is switched by a store (toggle = "kvs").

The layout is fixed here and read by three parties: the rendered function (at the edge and
in the local runtime), the Python decision model, and the commands that write the store.

- ``cffunc:state``: JSON ``{"on": true|false, "until": "<RFC 3339>"?, "reason": "..."?}``.
  A missing key, a value that is not that JSON, or a failed read all mean *off*.
- ``cffunc:net:<bucket>``: extra allowlisted networks, space-separated CIDRs, grouped by
  the network the viewer address falls in: its first octet for IPv4 (``cffunc:net:203``),
  its first 32 bits for IPv6 (``cffunc:net:2001:db8``). A request reads at most the one
  bucket its address falls in, so lookups cost one read however many networks there are.

A value holds at most 1,024 bytes, so a bucket holds at least 53 IPv4 networks (the
longest text, ``255.255.255.255/32``, is 18 bytes plus a space) or 23 IPv6 networks; there
are 256 IPv4 buckets and 2**32 IPv6 ones, and the store's 5 MB is the overall bound.
Networks wider than a bucket (IPv4 shorter than /8, IPv6 shorter than /32) cannot be
stored; they belong in ``[allow] ips``.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cffunc.config import IPNetwork, parse_time
from cffunc.errors import CffuncError

STATE_KEY = "cffunc:state"
NET_PREFIX = "cffunc:net:"
BUCKET_PREFIX = {4: 8, 6: 32}
MAX_VALUE_BYTES = 1024
MAX_REASON_CHARS = 500
MAX_UNTIL_SECONDS = 366 * 86400
UNTIL_FORMAT = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$")
"""How ``until`` is written; the rendered function gets this same regex (``js_regex``)."""


class StoreError(CffuncError):
    """A store value or an allowlist change breaks the layout or its limits."""


@dataclass(frozen=True)
class StoreState:
    on: bool
    until: datetime | None = None
    reason: str | None = None

    def value(self) -> str:
        """The JSON text kept under :data:`STATE_KEY`."""
        if self.reason is not None and len(self.reason) > MAX_REASON_CHARS:
            raise StoreError(
                f"--reason is {len(self.reason)} characters; give at most {MAX_REASON_CHARS}"
            )
        data: dict[str, Any] = {"on": self.on}
        if self.until is not None:
            data["until"] = self.until.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        if self.reason is not None:
            data["reason"] = self.reason
        text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        if len(text.encode()) > MAX_VALUE_BYTES:
            raise StoreError(f"the state is {len(text.encode())} bytes; shorten the reason")
        return text

    def active(self, now: datetime) -> bool:
        """Whether maintenance is on at ``now`` (``until`` ends it by itself)."""
        return self.on and (self.until is None or now < self.until)

    def describe(self, now: datetime) -> str:
        if not self.on:
            return "off"
        if self.until is not None and now >= self.until:
            return f"off (ended at {self.until.isoformat()})"
        until = f" until {self.until.isoformat()}" if self.until else ""
        return "on" + until + (f" ({self.reason})" if self.reason else "")


def parse_state(text: str | None) -> StoreState | None:
    """The state a value holds; None for a missing or unreadable value (both mean off,
    as the function reads them)."""
    if text is None:
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("on"), bool):
        return None
    until = data.get("until")
    moment = None
    if until is not None:
        # Only the form cffunc writes: the function reads no other (whatever Date.parse
        # might accept differs between engines).
        if not isinstance(until, str) or not UNTIL_FORMAT.fullmatch(until):
            return None
        moment = parse_time(until)
        if moment is None:
            return None
    reason = data.get("reason")
    return StoreState(data["on"], moment, reason if isinstance(reason, str) else None)


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


def state_at(items: Mapping[str, str], now: datetime) -> StoreState | None:
    """The state in effect at ``now``: None when maintenance is off."""
    state = parse_state(items.get(STATE_KEY))
    return state if state is not None and state.active(now) else None


def until_from_option(text: str | None, now: datetime) -> datetime | None:
    """``--until``: an RFC 3339 time, or a duration such as 90m / 2h / 1d from now."""
    if text is None:
        return None
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    if text[:-1].isdigit() and text[-1:] in units:
        seconds = int(text[:-1]) * units[text[-1]]
        if not 0 < seconds <= MAX_UNTIL_SECONDS:
            raise StoreError(
                f"--until {text}: give a duration from 1s to 366d (maintenance that ends "
                "at once, or in years, is not what a release script means)"
            )
        return (now + timedelta(seconds=seconds)).replace(microsecond=0)
    moment = parse_time(text)
    if moment is None:
        raise StoreError(
            f"--until {text!r}: give an RFC 3339 time (2026-12-01T04:00:00Z) or a duration "
            "(90m, 2h, 1d)"
        )
    if moment <= now:
        raise StoreError(f"--until {text}: that time has passed; give a later one")
    if moment - now > timedelta(seconds=MAX_UNTIL_SECONDS):
        raise StoreError(f"--until {text}: more than 366 days away; give an earlier time")
    return moment


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
