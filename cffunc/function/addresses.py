"""The IP allowlist in a dense form a CloudFront Function can search without BigInt.

Each network is one number: its address doubled, plus the size of the network (for a /p
network of a b-bit family, ``2 * address + 2 ** (b - p)``). In binary that is the p
network bits, a 1 (the marker), then zeros, so the number holds the prefix length too,
and the 33 bits of an IPv4 network (129 of an IPv6 one) fit 6 (22) base-64 digits with
3 zero bits in front. The digit alphabet rises with the character code and avoids every
character a JSON string would escape, so:

- a table is one plain string: of fixed-width entries, 6 bytes per IPv4 CIDR; for IPv6,
  of entries without their trailing zero digits, each followed by a comma (at most 23
  bytes; a /48 takes 10, a /64 13);
- a number cut short of its trailing zero digits sorts as before, the zero digit being
  the lowest;
- comparing two encoded numbers as JavaScript strings compares them as numbers, which
  makes a binary search over the sorted table work for 128-bit IPv6 in runtime 1.0
  (no BigInt) and costs a handful of comparisons per request, whatever the table size.

An address is looked up as its own /32 (/128) network. The networks are collapsed (none
overlaps another), so each one's number lies inside its own range of numbers, and the
network holding an address is the last entry at or below the address's number or the
first one above it: the function tests those two (``js_templates/parts/ip.js.j2``).

A short allowlist is cheaper as a list (:func:`prefix_pattern`): the binary search and its
digit alphabet cost about 700 bytes of code, and a handful of networks written out bit by
bit cost less than that. The renderer writes the function both ways and keeps the
smaller (``cffunc/function/render.py``).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass

from cffunc.config.load import IPNetwork

PAD_BITS = 3
# 64 code points, rising, none of them " \ < > & or a control character.
ALPHABET = "=" + "".join(chr(c) for c in range(63, 92)) + "".join(chr(c) for c in range(93, 127))
assert len(ALPHABET) == 64 and list(ALPHABET) == sorted(ALPHABET)


@dataclass(frozen=True)
class Family:
    """How one address family is laid out in its table."""

    version: int
    bits: int
    digits: int
    """Per entry: PAD_BITS + bits + 1 (the marker) bits, in 6-bit digits."""


V6_SEPARATOR = ","
"""IPv6 entries vary in length (trailing zero digits left out), each one followed by this."""
assert V6_SEPARATOR not in ALPHABET

IPV4 = Family(version=4, bits=32, digits=6)
IPV6 = Family(version=6, bits=128, digits=22)
assert all(f.digits * 6 == PAD_BITS + f.bits + 1 for f in (IPV4, IPV6))


@dataclass(frozen=True)
class IPTables:
    v4: str
    v6: str
    v4_count: int
    v6_count: int

    @property
    def size(self) -> int:
        return len(self.v4) + len(self.v6)


def digits(value: int, width: int) -> str:
    out = []
    for _ in range(width):
        out.append(ALPHABET[value & 63])
        value >>= 6
    if value:
        raise ValueError("value does not fit")
    return "".join(reversed(out))


def encode_network(network: IPNetwork) -> str:
    """The network's entry: ``2 * address + 2 ** (bits - prefix)`` in fixed-width digits
    (an address is looked up as its own /32 or /128 network)."""
    family = IPV4 if network.version == 4 else IPV6
    value = 2 * int(network.network_address) + (1 << (family.bits - network.prefixlen))
    return digits(value, family.digits)


def collapse(networks: Iterable[IPNetwork]) -> tuple[list[IPNetwork], list[IPNetwork]]:
    """Sorted, non-overlapping networks per family, adjacent ones merged."""
    v4 = [n for n in networks if n.version == 4]
    v6 = [n for n in networks if n.version == 6]
    return (
        list(ipaddress.collapse_addresses(v4)),
        list(ipaddress.collapse_addresses(v6)),
    )


def build_tables(networks: Iterable[IPNetwork]) -> IPTables:
    v4, v6 = collapse(networks)
    return IPTables(
        v4="".join(encode_network(n) for n in v4),
        v6="".join(encode_network(n).rstrip(ALPHABET[0]) + V6_SEPARATOR for n in v6),
        v4_count=len(v4),
        v6_count=len(v6),
    )


def prefix_pattern(networks: Iterable[IPNetwork]) -> re.Pattern[str] | None:
    """The allowlist as a regex over an address's key: its byte count (4 or 16) followed
    by its bits, as ``ipOk`` writes it in the linear form. A /p network is its byte count
    and its first p bits, so it holds the addresses whose key starts with that; the
    leading byte count keeps the families apart ("4" never starts "16", nor the other
    way). None for an empty allowlist."""
    v4, v6 = collapse(networks)
    entries = []
    for network in v4 + v6:
        family = IPV4 if network.version == 4 else IPV6
        prefix = network.prefixlen
        value = int(network.network_address) >> (family.bits - prefix)
        bits = format(value, f"0{prefix}b") if prefix else ""
        entries.append(f"{family.bits // 8}{bits}")
    return re.compile("^(?:" + "|".join(entries) + ")") if entries else None
