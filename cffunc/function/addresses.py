"""The IP allowlist in a dense form a CloudFront Function can search without BigInt.

Each network is written as its address in fixed-width base-64 digits followed by its
prefix length. The digit alphabet rises with the character code and avoids every
character a JSON string would escape, so:

- a table is one plain string of fixed-width entries, about 7 bytes per IPv4 CIDR and
  24 per IPv6 CIDR;
- comparing two encoded addresses as JavaScript strings compares them as numbers, which
  makes a binary search over the sorted table work for 128-bit IPv6 in runtime 1.0
  (no BigInt) and costs a handful of comparisons per request, whatever the table size.

The address is encoded with 4 zero bits in front (36 bits for IPv4, 132 for IPv6), a
whole number of 6-bit digits; prefix lengths count those 4 bits too.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

from cffunc.config.load import IPNetwork

PAD_BITS = 4
# 64 code points, rising, none of them " \ < > & or a control character.
ALPHABET = "=" + "".join(chr(c) for c in range(63, 92)) + "".join(chr(c) for c in range(93, 127))
assert len(ALPHABET) == 64 and list(ALPHABET) == sorted(ALPHABET)


@dataclass(frozen=True)
class Family:
    """How one address family is laid out in its table."""

    version: int
    address_digits: int
    prefix_digits: int

    @property
    def stride(self) -> int:
        return self.address_digits + self.prefix_digits


IPV4 = Family(version=4, address_digits=6, prefix_digits=1)
IPV6 = Family(version=6, address_digits=22, prefix_digits=2)


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


def encode_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    family = IPV4 if address.version == 4 else IPV6
    return digits(int(address), family.address_digits)


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
        v4="".join(_entry(n, IPV4) for n in v4),
        v6="".join(_entry(n, IPV6) for n in v6),
        v4_count=len(v4),
        v6_count=len(v6),
    )


def _entry(network: IPNetwork, family: Family) -> str:
    return encode_address(network.network_address) + digits(
        network.prefixlen + PAD_BITS, family.prefix_digits
    )
