"""What scopes cost per request, and in bytes.

    python -m benchmarks.scopes [--events 20000] [--repeats 5]

Per request, with 1, 10 and 1,000 active exact-host scopes in the store (toggle = "kvs",
samples/kvs.toml, the local runtime): the KeyValueStore reads (counted by the runtime, for a
request to a host in maintenance and one to a host that is not) and the V8 time per
invocation (median over the repeats of a batch of events, half to scoped hosts, half not;
a random tenth from the allowlisted office). Then the rendered bytes a config scope adds to
samples/cffunc.toml (association toggle). Fixed seed: the figures repeat, bar timing noise.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random

from benchmarks.capacity import ENV, SAMPLE
from benchmarks.invocations import per_invocation_us
from cffunc.config.load import load_config
from cffunc.config.scope import Scope
from cffunc.function.decide import ViewerRequest
from cffunc.function.render import render
from cffunc.function.rules import compile_rules
from cffunc.runtime import FunctionRuntime
from cffunc.runtime.events import viewer_request_event
from cffunc.runtime.local_store import KeyValueData

STORE_SAMPLE = SAMPLE.with_name("kvs.toml")
NOW_MS = 1_796_094_000_000  # the same moment benchmarks.invocations times at


def store(count: int) -> dict[str, str]:
    items = {f"cffunc:host:tenant{i}.example.com": '{"on":true,"reason":"x"}' for i in range(count)}
    items["cffunc:state"] = json.dumps({"on": False, "hosts": True})
    return items


def events(count: int, scoped: int, rng: random.Random) -> list[dict]:
    out = []
    for _ in range(count):
        tenant = rng.randrange(scoped) if rng.random() < 0.5 else scoped + rng.randrange(1000)
        ip = "203.0.113.9" if rng.random() < 0.1 else f"192.0.2.{rng.randrange(256)}"
        request = ViewerRequest(
            ip=ip, uri=rng.choice(["/", "/checkout", "/api/orders"]),
            headers={"host": f"tenant{tenant}.example.com", "accept": "text/html"},
        )  # fmt: skip
        out.append(viewer_request_event(request))
    return out


def reads(runtime: FunctionRuntime, host: str) -> int:
    event = viewer_request_event(ViewerRequest(ip="192.0.2.1", headers={"host": host}))
    return runtime.invoke(event, NOW_MS).kvs_reads


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    rng = random.Random(2026)
    rules = compile_rules(load_config(STORE_SAMPLE), ENV)
    code = render(rules).code
    print(f"store toggle, samples/kvs.toml ({len(code.encode()):,} bytes rendered)")
    whole = {"cffunc:state": '{"on":true}'}
    with FunctionRuntime(code, rules.runtime, kvs=KeyValueData(whole)) as runtime:
        us = per_invocation_us(runtime, events(args.events, 1, rng), args.repeats)
        print(
            f"every host, no scopes: reads per request {reads(runtime, 'other.test')} in "
            f"maintenance (state, network bucket); {us:.2f} us/invocation"
        )
    for count in (1, 10, 1000):
        with FunctionRuntime(code, rules.runtime, kvs=KeyValueData(store(count))) as runtime:
            inside, outside = reads(runtime, "tenant0.example.com"), reads(runtime, "other.test")
            us = per_invocation_us(runtime, events(args.events, count, rng), args.repeats)
        print(
            f"{count:>5} host scopes: reads per request {inside} in maintenance "
            f"(state, host key, network bucket), {outside} elsewhere (state, host key); "
            f"{us:.2f} us/invocation"
        )
    config = load_config(SAMPLE)
    plain = render(compile_rules(config, ENV)).stats.total
    for scope in (
        Scope(("shop.example.com",)),
        Scope(("shop.example.com", "*.shop.example.com"), ("/checkout/*",)),
        Scope(("shop.example.com", "*.shop.example.com"), ("/checkout/*",), "writes"),
    ):
        scoped = dataclasses.replace(config.maintenance, scope=scope)
        total = render(compile_rules(dataclasses.replace(config, maintenance=scoped), ENV))
        print(f"config scope {scope.describe()!r}: +{total.stats.total - plain:,} bytes")


if __name__ == "__main__":
    main()
