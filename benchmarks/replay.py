"""Replay throughput: cffunc replay against Node.js running the same function.

    python -m benchmarks.replay [--lines 1000000] [--no-s3] [--repeat 3] [--every-line]

Generates a log of N lines with all 33 standard fields, renders the sample function with
a 600-CIDR allowlist, then times, on the same file and function:
(1) `cffunc replay --jobs 1` and `--jobs <all cores>` as subprocesses, each with its CPU
seconds and the largest resident memory of its processes (workers included); with
--every-line also `--no-reuse`, the function run on every line (what replay did before
it reused decisions);
(2) a Node.js script that streams the same file, splits each line, builds the same event
and calls the same rendered handler single-threaded (the engine's own speed, no bridge);
(3) the same log gzipped in S3 of the local API (moto), replayed from s3://.
Everything takes --repeat turns (the machine is shared and noisy). Prints each turn, then
the medians: lines/s, CPU seconds, the ratio to Node (Node's time over cffunc's, in the
same turn), the scaling from 1 to all jobs, whether every run gave the same summary, and
the largest process. Goals: all jobs >= 2.0x Node on two cores; under 300 MB per process.
CPU seconds compare runs on a loaded machine better than wall time does.
"""

from __future__ import annotations

import argparse
import compileall
import ipaddress
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Run:
    """One run of a process tree: what it printed, its wall time, the CPU seconds of all
    its processes (a worker's included), and the largest resident memory of any of them."""

    document: dict[str, Any]
    seconds: float
    cpu: float
    peak_mb: float


def measured(args: list[str], env: dict[str, str] | None = None) -> Run:
    """Run ``args`` to its end; wait4 gives the resources of that process tree alone
    (RUSAGE_CHILDREN would mix every child of this process so far)."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=errors, env=env)
        assert process.stdout is not None
        out = process.stdout.read()
        process.stdout.close()
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode:
            errors.seek(0)
            raise SystemExit(f"{args[0]} failed: {errors.read().decode()[-2000:]}")
    return Run(json.loads(out), seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--no-s3", action="store_true", help="skip the S3 run")
    parser.add_argument("--repeat", type=int, default=3, help="turns of all jobs against Node")
    parser.add_argument(
        "--every-line",
        action="store_true",
        help="also time --no-reuse (the function run on every line, as replay did before "
        "it reused decisions) each turn",
    )
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
            source: str, jobs: int, env: dict[str, str] | None = None, *options: str
        ) -> tuple[dict[str, Any], float, float]:
            ran = replay_run(source, jobs, env, *options)
            return ran.document, ran.seconds, ran.peak_mb

        def replay_run(
            source: str, jobs: int, env: dict[str, str] | None = None, *options: str
        ) -> Run:
            return measured(
                [sys.executable, "-m", "cffunc", "-c", str(config_path), "replay", "--now", NOW,
                 "--json", "--jobs", str(jobs), *options, source],
                env,
            )  # fmt: skip

        cores = os.cpu_count() or 1
        script = work / "replay.js"
        script.write_text(NODE_SCRIPT)
        code = work / "function.js"
        code.write_text(imports_as_requires(rendered.code))
        node = shutil.which("node")

        # The machine is shared and noisy: cffunc (one job, all jobs, and with
        # --every-line every line run) and Node take turns, --repeat times; each figure
        # is printed per turn and as the median over the turns. Node's times are its
        # own loop's (its start is not counted); cffunc's include its start.
        turns: dict[str, list[Run]] = {"one": [], "all": [], "every": [], "node": []}
        reference: dict[str, Any] | None = None
        same = True
        for turn in range(1, args.repeat + 1):
            for name, jobs, options in (
                ("one", 1, ()), ("all", cores, ()),
                *((("every", cores, ("--no-reuse",)),) if args.every_line else ()),
            ):  # fmt: skip
                ran = replay_run(str(log), jobs, None, *options)
                turns[name].append(ran)
                same = same and (reference is None or ran.document == reference)
                reference = reference or ran.document
                label = f"--jobs {jobs}" + (" --no-reuse" if options else "")
                print(
                    f"[{turn}] cffunc replay {label}: {ran.document['replayed'] / ran.seconds:,.0f} "
                    f"lines/s ({ran.seconds:.1f} s, {ran.cpu:.1f} CPU s, largest process "
                    f"{ran.peak_mb:,.0f} MB)"
                )
            if node is None:
                print("node: not found; install Node.js to compare")
                continue
            ran = measured([node, str(script), str(code), str(log), NOW])
            node_seconds = float(ran.document["seconds"])
            turns["node"].append(Run(ran.document, node_seconds, ran.cpu, ran.peak_mb))
            agreed = {c: reference["classes"][c]["count"] for c in ran.document["counts"]}
            print(
                f"[{turn}] node: {ran.document['lines'] / node_seconds:,.0f} lines/s "
                f"({node_seconds:.1f} s, {ran.cpu:.1f} CPU s); "
                f"same counts: {agreed == ran.document['counts']}; "
                f"ratio cffunc (--jobs {cores}) / node: "
                f"{node_seconds / turns['all'][-1].seconds:.2f}"
            )
        lines = args.lines
        print(f"--- medians over {args.repeat} turns ({cores} cores)")
        rates = {k: median([lines / r.seconds for r in v]) for k, v in turns.items()}
        for name, label in (("one", "--jobs 1"), ("all", f"--jobs {cores}"),
                            ("every", f"--jobs {cores} --no-reuse")):  # fmt: skip
            if not turns[name]:
                continue
            ratios = [
                n.seconds / r.seconds for n, r in zip(turns["node"], turns[name], strict=False)
            ]
            ratio = (
                f", ratio to node: median {median(ratios):.2f}, "
                f"range {min(ratios):.2f}-{max(ratios):.2f}"
                if ratios
                else ""
            )
            print(
                f"cffunc replay {label}: {rates[name]:,.0f} lines/s, "
                f"{median([r.cpu for r in turns[name]]):.1f} CPU s{ratio}"
            )
        if turns["node"]:
            print(
                f"node: {rates['node']:,.0f} lines/s, "
                f"{median([r.cpu for r in turns['node']]):.1f} CPU s"
            )
            ratios = [
                n.seconds / r.seconds for n, r in zip(turns["node"], turns["all"], strict=False)
            ]
            print(
                f"ratio cffunc (--jobs {cores}) / node over {len(ratios)} turns: "
                f"median {median(ratios):.2f}, range {min(ratios):.2f}-{max(ratios):.2f}"
            )
        print(
            f"scaling 1 -> {cores} jobs: {rates['all'] / rates['one']:.2f}x; the same summary "
            f"for every run: {same}; largest process "
            f"{max(r.peak_mb for k in ('one', 'all', 'every') for r in turns[k]):,.0f} MB"
        )
        if not args.no_s3:
            s3_rate = replay_from_s3(log, run_replay, cores)
            print(
                f"S3 of the local API, --jobs {cores}: {s3_rate:,.0f} lines/s, "
                f"{s3_rate / rates['all']:.2f}x the local file"
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
