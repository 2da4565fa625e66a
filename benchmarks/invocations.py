"""Microseconds per invocation of the rendered sample function in the local runtime.

    python benchmarks/invocations.py [--events 100000] [--repeats 5]

Batches of 100,000 viewer-request events (random IPv4/IPv6 viewers, a tenth of them
inside the allowlist, mixed paths and Accept headers) go through the rendered sample
function (samples/cffunc.toml) with allowlists of 10, 100 and 600 random CIDRs (one in
twenty IPv6, the rest IPv4 /24../32), and
through a function that only returns the request (the floor: the cost of the runtime
and the bridge alone). Prints the median over the repeats of the time per invocation.
Goal: at 600 CIDRs within 3x of the floor.
"""

from __future__ import annotations

import argparse
import dataclasses
import ipaddress
import random
import statistics
import time

from benchmarks.capacity import ENV, SAMPLE
from cffunc.config.load import load_config
from cffunc.function.render import render
from cffunc.function.rules import compile_rules
from cffunc.runtime import FunctionRuntime
from cffunc.runtime.events import event_from_options

FLOOR = "function handler(event) { return event.request; }"
NOW_MS = 1_796_094_000_000  # inside the sample's maintenance window


def networks(count: int, rng: random.Random) -> list[ipaddress._BaseNetwork]:
    out: list[ipaddress._BaseNetwork] = []
    for i in range(count):
        if i % 20 == 19:
            out.append(
                ipaddress.ip_network((rng.getrandbits(128), rng.randint(32, 64)), strict=False)
            )
        else:
            out.append(
                ipaddress.ip_network((rng.getrandbits(32), rng.randint(24, 32)), strict=False)
            )
    return out


def events(count: int, nets: list[ipaddress._BaseNetwork], rng: random.Random) -> list[dict]:
    paths = ["/", "/checkout?step=2", "/health", "/maintenance/app.css", "/api/orders", "/a/../b"]
    accepts = ["text/html", "application/json", "*/*"]
    out = []
    for _ in range(count):
        if rng.random() < 0.1 and nets:
            net = rng.choice(nets)
            ip = str(net.network_address + rng.randrange(net.num_addresses))
        elif rng.random() < 0.8:
            ip = str(ipaddress.IPv4Address(rng.getrandbits(32)))
        else:
            ip = str(ipaddress.IPv6Address(rng.getrandbits(128)))
        out.append(
            event_from_options(ip, "GET", rng.choice(paths), [("accept", rng.choice(accepts))])
        )
    return out


def per_invocation_us(runtime: FunctionRuntime, batch: list[dict], repeats: int) -> float:
    pairs = [(e, NOW_MS) for e in batch]
    runtime.invoke_many(pairs[:1000])  # warm up the JIT
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        results = runtime.invoke_many(pairs)
        timings.append((time.perf_counter() - started) / len(pairs) * 1e6)
        assert all(r.ok for r in results), next(r.error for r in results if not r.ok)
    return statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    rng = random.Random(2026)
    config = load_config(SAMPLE)
    batch = events(args.events, [], rng)
    with FunctionRuntime(FLOOR, "cloudfront-js-2.0") as runtime:
        floor = per_invocation_us(runtime, batch, args.repeats)
    print(f"floor (returns the request): {floor:.2f} us/invocation")
    for count in (10, 100, 600):
        nets = networks(count, rng)
        allow = dataclasses.replace(config.allow, ips=tuple(nets))
        rules = compile_rules(dataclasses.replace(config, allow=allow), ENV)
        function = render(rules)
        batch = events(args.events, nets, rng)
        with FunctionRuntime(function.code, rules.runtime) as runtime:
            us = per_invocation_us(runtime, batch, args.repeats)
        print(
            f"{count:>4} CIDRs ({function.stats.total:,} bytes): {us:.2f} us/invocation, "
            f"{us / floor:.2f}x the floor"
        )


if __name__ == "__main__":
    main()
