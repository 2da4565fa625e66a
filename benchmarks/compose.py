"""Bytes and per-request cost of composing with each function in samples/foreign/.

    python -m benchmarks.compose [--events 20000] [--repeats 5]

For every foreign function (but legacy-bytes.js, which cannot be composed with the 2.0
sample): its bytes, the composed function's bytes and the overhead (composed minus
foreign), and the median microseconds per invocation in the local runtime of the foreign
function alone and of the composition, on the same events, outside the maintenance window
(what every request pays on an ordinary day: cffunc decides "pass", then the foreign
function runs) and inside it. The sample config is samples/cffunc.toml (rewrite mode,
runtime 2.0, allowlists, the bypass cookie); events as benchmarks.invocations makes them.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from pathlib import Path
from typing import Any

from benchmarks.capacity import ENV, SAMPLE
from benchmarks.invocations import events as request_events
from cffunc.config.load import load_config
from cffunc.function.compose import ForeignFunction, compose, detect_runtime, guess_events
from cffunc.function.rules import compile_rules
from cffunc.runtime import FunctionRuntime
from cffunc.runtime.events import viewer_response_event
from cffunc.runtime.local_store import KeyValueData

FOREIGN = Path(__file__).resolve().parent.parent / "samples" / "foreign"
INSIDE_MS = 1_796_094_000_000  # 2026-12-01T03:00Z, inside the sample's window
OUTSIDE_MS = INSIDE_MS + 6 * 3600 * 1000  # after its end: maintenance is off
STORE = {"redirect:/checkout": "/basket", "cffunc:state": '{"on":true}'}


def per_invocation_us(
    code: str, runtime: str, batch: list[tuple[dict[str, Any], int]], repeats: int
) -> float:
    with FunctionRuntime(code, runtime, kvs=KeyValueData(dict(STORE)), trusted=False) as engine:  # type: ignore[arg-type]
        engine.invoke_many(batch[:500])  # warm up the JIT
        timings = []
        for _ in range(repeats):
            started = time.perf_counter()
            results = engine.invoke_many(batch)
            timings.append((time.perf_counter() - started) / len(batch) * 1e6)
            assert all(r.ok for r in results), next(r.error for r in results if not r.ok)
    return statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    rules = compile_rules(load_config(SAMPLE), ENV)
    requests = request_events(args.events, list(rules.networks), random.Random(2026))
    print(f"{'function':<18} {'runtime':<8} {'bytes':>6} {'composed':>9} {'overhead':>9}  "
          f"{'alone us':>9} {'composed us (off)':>18} {'(on)':>8}")  # fmt: skip
    for path in sorted(FOREIGN.glob("*.js")):
        if path.stem == "legacy-bytes":
            continue
        code = path.read_text()
        foreign = ForeignFunction(path.stem, detect_runtime(code), code)
        on = guess_events(code)
        composed = compose(rules, foreign, "shop-maintenance", on)
        if on == ("viewer-response",):
            batch_events = [viewer_response_event(e, e["request"]) for e in requests]
        else:
            batch_events = requests
        outside = [(e, OUTSIDE_MS) for e in batch_events]
        inside = [(e, INSIDE_MS) for e in batch_events]
        alone = per_invocation_us(code, foreign.runtime, outside, args.repeats)
        off = per_invocation_us(composed.code, composed.runtime, outside, args.repeats)
        during = per_invocation_us(composed.code, composed.runtime, inside, args.repeats)
        overhead = composed.total - composed.foreign_bytes
        print(
            f"{path.stem:<18} {foreign.runtime[-3:]:<8} {composed.foreign_bytes:>6,} "
            f"{composed.total:>9,} {overhead:>9,}  {alone:>9.2f} {off:>12.2f} ({off / alone:.2f}x)"
            f" {during:>8.2f}"
        )


if __name__ == "__main__":
    main()
