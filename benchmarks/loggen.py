"""Generate CloudFront standard access logs (all 33 fields) with known requests.

    python -m benchmarks.loggen OUT.log --lines 1000000 [--gzip]

Each line's request is drawn from a seeded mix (viewers in and out of an allowlist, IPv4
and IPv6, health checks, assets, ambiguous paths, bypass cookies and tokens) and written
the way CloudFront writes it: tab-separated, ``-`` for empty, values percent-encoded.
Tests compare the replay with the decision model on the same requests.
"""

from __future__ import annotations

import argparse
import gzip
import ipaddress
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO
from urllib.parse import quote

FIELDS = [
    "date", "time", "x-edge-location", "sc-bytes", "c-ip", "cs-method", "cs(Host)",
    "cs-uri-stem", "sc-status", "cs(Referer)", "cs(User-Agent)", "cs-uri-query",
    "cs(Cookie)", "x-edge-result-type", "x-edge-request-id", "x-host-header", "cs-protocol",
    "cs-bytes", "time-taken", "x-forwarded-for", "ssl-protocol", "ssl-cipher",
    "x-edge-response-result-type", "cs-protocol-version", "fle-status",
    "fle-encrypted-fields", "c-port", "time-to-first-byte", "x-edge-detailed-result-type",
    "sc-content-type", "sc-content-len", "sc-range-start", "sc-range-end",
]  # fmt: skip
assert len(FIELDS) == 33

PATHS = [
    "/", "/checkout", "/health", "/robots.txt", "/maintenance/style.css", "/maintenance/../admin",
    "/maintenance/%2e%2e/admin", "/api/orders", "/webhooks/stripe", "/search results", "/ünïcode",
    "/__cffunc/bypass", "/a//b", "/static/app.js",
]  # fmt: skip
AGENTS = [
    "Mozilla/5.0 (X11; Linux x86_64)",
    "curl/8.5.0",
    "Googlebot/2.1 (+http://www.google.com/bot.html)",
]


@dataclass(frozen=True)
class LoggedRequest:
    ip: str
    method: str
    uri: str
    query: str
    cookie: str
    user_agent: str
    host: str = "shop.example.com"
    """The Host the viewer sent (x-host-header; cs(Host) is the distribution's name)."""


def requests(
    count: int, networks: Sequence[ipaddress.IPv4Network | ipaddress.IPv6Network], seed: int,
    cookie_values: Sequence[str] = (), token: str = "",
) -> Iterator[LoggedRequest]:  # fmt: skip
    rng = random.Random(seed)
    for _ in range(count):
        roll = rng.random()
        if roll < 0.15 and networks:
            net = rng.choice(networks)
            ip = str(net.network_address + rng.randrange(min(net.num_addresses, 2**32)))
        elif roll < 0.85:
            ip = str(ipaddress.IPv4Address(rng.getrandbits(32)))
        else:
            ip = str(ipaddress.IPv6Address(rng.getrandbits(128)))
        uri = rng.choice(PATHS)
        query = rng.choice(["", "", "step=2", "q=a b&page=3"])
        if uri == "/__cffunc/bypass":
            query = f"token={rng.choice([token, 'wrong'])}"
        cookie = ""
        if cookie_values and rng.random() < 0.1:
            cookie = f"theme=dark; cffunc_bypass={rng.choice(cookie_values)}"
        method = rng.choice(["GET"] * 8 + ["POST", "HEAD"])
        yield LoggedRequest(ip, method, uri, query, cookie, rng.choice(AGENTS))


def _enc(value: str, safe: str = "") -> str:
    return quote(value, safe=safe) if value else "-"


def line(request: LoggedRequest, moment: datetime, number: int) -> str:
    values = {
        "date": moment.strftime("%Y-%m-%d"), "time": moment.strftime("%H:%M:%S"),
        "x-edge-location": "FRA56-P1", "sc-bytes": "2345", "c-ip": request.ip,
        "cs-method": request.method, "cs(Host)": "d111111abcdef8.cloudfront.net",
        "cs-uri-stem": _enc(request.uri, "/"), "sc-status": "200", "cs(Referer)": "-",
        "cs(User-Agent)": _enc(request.user_agent, "/;:()+,"),
        "cs-uri-query": _enc(request.query, "=&"),
        "cs(Cookie)": _enc(request.cookie, "=;"), "x-edge-result-type": "Miss",
        "x-edge-request-id": f"req{number:012d}", "x-host-header": request.host,
        "cs-protocol": "https", "cs-bytes": "512", "time-taken": "0.012", "x-forwarded-for": "-",
        "ssl-protocol": "TLSv1.3", "ssl-cipher": "TLS_AES_128_GCM_SHA256",
        "x-edge-response-result-type": "Miss", "cs-protocol-version": "HTTP/2.0", "fle-status": "-",
        "fle-encrypted-fields": "-", "c-port": "54321", "time-to-first-byte": "0.010",
        "x-edge-detailed-result-type": "Miss", "sc-content-type": "text/html",
        "sc-content-len": "2345",
        "sc-range-start": "-", "sc-range-end": "-",
    }  # fmt: skip
    return "\t".join(values[f] for f in FIELDS)


def write_log(
    handle: IO[str],
    logged: Sequence[LoggedRequest] | Iterator[LoggedRequest],
    fields: Sequence[str] = FIELDS,
) -> int:
    start = datetime(2026, 11, 30, 0, 0, tzinfo=UTC)
    handle.write("#Version: 1.0\n#Fields: " + " ".join(fields) + "\n")
    count = 0
    for count, request in enumerate(logged, start=1):
        text = line(request, start + timedelta(seconds=count), count)
        if list(fields) != list(FIELDS):
            by_name = dict(zip(FIELDS, text.split("\t"), strict=True))
            text = "\t".join(by_name[f] for f in fields)
        handle.write(text + "\n")
    return count


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=Path)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--gzip", action="store_true")
    args = parser.parse_args()
    nets = [ipaddress.ip_network("203.0.113.0/24"), ipaddress.ip_network("2001:db8::/32")]
    opener = gzip.open if args.gzip else open
    with opener(args.out, "wt", encoding="utf-8") as handle:  # type: ignore[operator]
        write_log(handle, requests(args.lines, nets, args.seed))


if __name__ == "__main__":
    main()
