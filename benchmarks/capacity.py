"""How many random CIDRs fit in CloudFront's 10,240 bytes, with the sample's rewrite config.

    python benchmarks/capacity.py

Takes samples/cffunc.toml (rewrite mode, runtime 2.0, bypass, paths, JSON answers), replaces
allow.ips with N random IPv4 /24../32 (then IPv6 /32../128) networks, and finds the largest
N whose rendered function is within the limit. Fixed seed: the figures repeat.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import random
import sys
from pathlib import Path

from cffunc.config.load import load_config
from cffunc.function.render import SIZE_LIMIT, render_code
from cffunc.function.rules import compile_rules

SAMPLE = Path(__file__).resolve().parent.parent / "samples" / "cffunc.toml"
ENV = {"CFFUNC_BYPASS_SECRET": "benchmark-secret-0123456789"}


def random_networks(count: int, version: int, seed: int = 2026) -> list[ipaddress._BaseNetwork]:
    rng = random.Random(seed)
    bits, low, high = (32, 24, 32) if version == 4 else (128, 32, 128)
    return [
        ipaddress.ip_network((rng.getrandbits(bits), rng.randint(low, high)), strict=False)
        for _ in range(count)
    ]


def size_with(count: int, version: int) -> int:
    config = load_config(SAMPLE)
    allow = dataclasses.replace(config.allow, ips=tuple(random_networks(count, version)))
    rules = compile_rules(dataclasses.replace(config, allow=allow), ENV)
    return render_code(rules).stats.total


def capacity(version: int) -> int:
    low, high = 0, 4096
    while low < high:
        middle = (low + high + 1) // 2
        if size_with(middle, version) <= SIZE_LIMIT:
            low = middle
        else:
            high = middle - 1
    return low


BEFORE = {4: 832, 6: 221}
"""What fitted when issue 27 was filed (commit e6e5c75), as the issue gives them."""


def main() -> None:
    base = size_with(0, 4)
    print(f"rendered sample without IPs: {base:,} bytes")
    for version, label in ((4, "IPv4 /24../32"), (6, "IPv6 /32../128")):
        fit = capacity(version)
        print(
            f"{label}: {fit} random CIDRs fit ({size_with(fit, version):,} bytes); "
            f"before: {BEFORE[version]}"
        )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
