"""Replay throughput: cffunc replay against Node.js running the same function.

    python -m benchmarks.replay [--lines 1000000] [--no-s3] [--repeat 3]

Generates a log of N lines with all 33 standard fields, renders the sample function with
a 600-CIDR allowlist, then times, on the same file and function:
(1) `cffunc replay --jobs 1` and `--jobs <all cores>` as subprocesses, each with the
largest resident memory of its processes (workers included);
(2) a Node.js script that streams the same file, splits each line, builds the same event
and calls the same rendered handler single-threaded (the engine's own speed, no bridge);
(3) the same log gzipped in S3 of the local API (moto), replayed from s3://.
All jobs and Node take --repeat turns (the machine is shared and noisy). Prints lines/s,
the ratio to Node each turn and its median, the scaling from 1 to all jobs, and S3 against
the local file. Goals: all jobs >= 1.0x Node on two cores; under 300 MB per worker.
"""

from __future__ import annotations

import argparse
import compileall
import ipaddress
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.loggen import requests, write_log
from cffunc.config.load import load_config
from cffunc.function.render import render
from cffunc.function.rules import compile_rules
from cffunc.function.source import imports_as_requires

ROOT = Path(__file__).resolve().parent.parent
SECRET = "benchmark-secret-0123456789"
NOW = "2026-12-01T03:00:00Z"

NODE_SCRIPT = r"""
const fs = require('fs'), readline = require('readline'), crypto = require('crypto');
const source = fs.readFileSync(process.argv[2], 'utf8');
const modules = {crypto: crypto, cloudfront: {selectRequestOriginById() {}, updateRequestOrigin() {}}};
const make = new Function('require', '"use strict";\n' + source + '\n;return handler;');
const now = Date.parse(process.argv[4]);
Date.now = () => now;
function decode(t) { if (t === '-' || t === undefined) return ''; try { return decodeURIComponent(t); } catch (e) { return t; } }
function fields(text, split) {
  const out = {};
  if (!text) return out;
  for (const part of text.split(split)) {
    const p = part.trim(); const eq = p.indexOf('=');
    if (eq > 0) out[p.slice(0, eq)] = {value: p.slice(eq + 1)};
  }
  return out;
}
let idx = null, counts = {pass: 0, maintenance: 0, redirect: 0, error: 0}, lines = 0;
const started = process.hrtime.bigint();
const rl = readline.createInterface({input: fs.createReadStream(process.argv[3]), crlfDelay: Infinity});
rl.on('line', (line) => {
  if (line.startsWith('#')) {
    if (line.startsWith('#Fields:')) { idx = {}; line.slice(8).trim().split(/\s+/).forEach((n, i) => idx[n] = i); }
    return;
  }
  lines++;
  const c = line.split('\t');
  const uri = decode(c[idx['cs-uri-stem']]);
  const event = {version: '1.0', context: {eventType: 'viewer-request'}, viewer: {ip: c[idx['c-ip']]},
    request: {method: c[idx['cs-method']], uri: uri, querystring: fields(decode(c[idx['cs-uri-query']]), '&'),
      headers: {host: {value: decode(c[idx['cs(Host)']])}, 'user-agent': {value: decode(c[idx['cs(User-Agent)']])}},
      cookies: fields(decode(c[idx['cs(Cookie)']]), ';')}};
  try {
    const handler = make((name) => modules[name]);
    const out = handler(event);
    if (out && out.statusCode) counts[out.statusCode >= 300 && out.statusCode < 400 ? 'redirect' : 'maintenance']++;
    else counts[out.uri !== uri ? 'maintenance' : 'pass']++;
  } catch (e) { counts.error++; }
});
rl.on('close', () => {
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  console.log(JSON.stringify({lines, seconds, counts}));
});
"""


def replay_from_s3(log: Path, run_replay: Any, jobs: int) -> float:
    """The log gzipped into S3 of the local API, then replayed from s3:// (streamed)."""
    import gzip

    import boto3

    from cffunc.emulator.server import client_environment, local_cloudfront, read_seeds

    seeds = read_seeds(Path(__file__).resolve().parent.parent / "samples" / "distribution.json")
    with local_cloudfront(seeds, deploy_seconds=0) as running:
        s3 = boto3.client(
            "s3", endpoint_url=running.endpoint, region_name="us-east-1",
            aws_access_key_id="test", aws_secret_access_key="test",
        )  # fmt: skip
        s3.create_bucket(Bucket="logs")
        s3.put_object(
            Bucket="logs", Key="cf/E2EXAMPLE.2026-11-30-10.bench.gz",
            Body=gzip.compress(log.read_bytes(), compresslevel=6),
        )  # fmt: skip
        env = {
            k: v
            for k, v in {**os.environ, **client_environment(running.endpoint)}.items()
            if v is not None
        }
        document, seconds, _ = run_replay("s3://logs/cf/", jobs, env)
    return float(document["replayed"]) / seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--no-s3", action="store_true", help="skip the S3 run")
    parser.add_argument("--repeat", type=int, default=3, help="turns of all jobs against Node")
    args = parser.parse_args()
    # cffunc's modules byte-compiled, as `pip install` leaves an installed package: in an
    # editable checkout under PYTHONDONTWRITEBYTECODE, every process (workers included)
    # would compile them again, which is not what a user's replay pays.
    compileall.compile_dir(ROOT / "cffunc", quiet=1)
    work = Path(tempfile.mkdtemp(prefix="cffunc-replay-bench-"))
    try:
        rng = random.Random(2026)
        nets = [
            ipaddress.ip_network((rng.getrandbits(32), rng.randint(24, 32)), strict=False)
            for _ in range(600)
        ]
        config_text = (
            (ROOT / "samples" / "cffunc.toml")
            .read_text()
            .replace(
                'ips = ["203.0.113.0/24", "2001:db8::/32", "198.51.100.7"]',
                "ips = " + json.dumps([str(n) for n in nets]),
            )
        )
        config_path = work / "cffunc.toml"
        config_path.write_text(config_text)
        shutil.copy(ROOT / "samples" / "scenarios.toml", work / "scenarios.toml")
        os.environ["CFFUNC_BYPASS_SECRET"] = SECRET
        rules = compile_rules(load_config(config_path), os.environ)
        rendered = render(rules)
        print(
            f"function: {rendered.stats.total:,} bytes, {rendered.stats.v4_networks} IPv4 networks"
        )

        log = work / "access.log"
        started = time.perf_counter()
        with log.open("w", encoding="utf-8") as handle:
            write_log(handle, requests(args.lines, nets[:50], 7, (), SECRET))
        print(
            f"log: {args.lines:,} lines, {log.stat().st_size / 2**20:,.0f} MB ({time.perf_counter() - started:.1f} s to write)"
        )

        def run_replay(
            source: str, jobs: int, env: dict[str, str] | None = None
        ) -> tuple[dict, float, float]:
            before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
            started = time.perf_counter()
            result = subprocess.run(
                [sys.executable, "-m", "cffunc", "-c", str(config_path), "replay", "--now", NOW,
                 "--json", "--jobs", str(jobs), source],
                capture_output=True, text=True, check=True, env=env,
            )  # fmt: skip
            seconds = time.perf_counter() - started
            peak = max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
            return json.loads(result.stdout), seconds, peak

        cores = os.cpu_count() or 1
        ours, one_seconds, one_peak = run_replay(str(log), 1)
        rate_one = ours["replayed"] / one_seconds
        print(
            f"cffunc replay --jobs 1: {rate_one:,.0f} lines/s ({one_seconds:.1f} s, peak {one_peak:,.0f} MB)"
        )
        script = work / "replay.js"
        script.write_text(NODE_SCRIPT)
        code = work / "function.js"
        code.write_text(imports_as_requires(rendered.code))
        node = shutil.which("node")

        def run_node() -> dict[str, Any]:
            assert node is not None
            done = subprocess.run(
                [node, str(script), str(code), str(log), NOW],
                capture_output=True,
                text=True,
                check=True,
            )
            return dict(json.loads(done.stdout))

        # The machine is shared and noisy: all jobs and Node take turns, --repeat times,
        # and the ratio of each turn is printed with the median.
        ratios = []
        for turn in range(1, args.repeat + 1):
            ours_all, all_seconds, all_peak = run_replay(str(log), cores)
            cffunc_rate = ours_all["replayed"] / all_seconds
            print(
                f"[{turn}] cffunc replay --jobs {cores}: {cffunc_rate:,.0f} lines/s "
                f"({all_seconds:.1f} s, largest process {all_peak:,.0f} MB); scaling 1 -> "
                f"{cores} jobs: {cffunc_rate / rate_one:.2f}x; same summary: {ours_all == ours}"
            )
            if node is None:
                print("node: not found; install Node.js to compare")
                continue
            answer = run_node()
            node_rate = answer["lines"] / answer["seconds"]
            ratios.append(cffunc_rate / node_rate)
            same = {c: ours["classes"][c]["count"] for c in answer["counts"]} == answer["counts"]
            print(
                f"[{turn}] node: {node_rate:,.0f} lines/s ({answer['seconds']:.1f} s); "
                f"ratio cffunc (--jobs {cores}) / node: {ratios[-1]:.2f}, "
                f"(--jobs 1) / node: {rate_one / node_rate:.2f}; same counts: {same}"
            )
        if ratios:
            print(
                f"ratio cffunc (--jobs {cores}) / node over {len(ratios)} turns: "
                f"median {statistics.median(ratios):.2f}, "
                f"range {min(ratios):.2f}-{max(ratios):.2f}"
            )
        if not args.no_s3:
            s3_rate = replay_from_s3(log, run_replay, cores)
            print(
                f"S3 of the local API, --jobs {cores}: {s3_rate:,.0f} lines/s, {s3_rate / cffunc_rate:.2f}x the local file"
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
