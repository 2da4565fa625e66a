"""cffunc replay: log parsing, decoding, malformed lines, and counts checked against the
decision model line by line on a generated log."""

from __future__ import annotations

import gzip
import io
import ipaddress
import json
import os
import random
import subprocess
import sys
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import strategies as st

from benchmarks.loggen import FIELDS, LoggedRequest, requests, write_log
from cffunc.config.load import load_config
from cffunc.emulator.server import RunningEmulator
from cffunc.function import bypass
from cffunc.function.decide import decide
from cffunc.function.render import render
from cffunc.function.rules import MaintenanceRules, compile_rules
from cffunc.replay.run import CLASSES, LogError, NetworkGrouping, ReplaySummary, _request, replay
from cffunc.runtime import FunctionRuntime
from tests.helpers import ENV, SAMPLES, SECRET, Processes

NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def rules() -> MaintenanceRules:
    return compile_rules(load_config(SAMPLES / "cffunc.toml"), ENV)


@pytest.fixture(scope="module")
def engine(rules: MaintenanceRules) -> FunctionRuntime:
    with FunctionRuntime(render(rules).code, rules.runtime) as runtime:
        yield runtime


def generated(count: int = 3000, seed: int = 11) -> list[LoggedRequest]:
    keys = bypass.derive_keys(SECRET)
    cookies = [
        bypass.cookie_value(keys, int(NOW.timestamp()) + 3600),
        bypass.cookie_value(keys, 1_700_000_000),
        "1.forged",
    ]
    nets = [
        ipaddress.ip_network("203.0.113.0/24"),
        ipaddress.ip_network("2001:db8::/32"),
        ipaddress.ip_network("198.51.100.7/32"),
    ]
    return list(requests(count, nets, seed, cookies, SECRET))


def log_file(
    tmp_path: Path,
    logged: list[LoggedRequest],
    name: str = "access.log",
    fields: list[str] | None = None,
) -> Path:
    path = tmp_path / name
    with path.open("w", encoding="utf-8") as handle:
        write_log(handle, logged, fields or FIELDS)
    return path


def expected(
    rules: MaintenanceRules, logged: list[LoggedRequest]
) -> tuple[Counter[str], Counter[tuple[str, str]]]:
    classes: Counter[str] = Counter()
    paths: Counter[tuple[str, str]] = Counter()
    for r in logged:
        decision = decide(rules, _request(r.ip, r.method, r.uri, r.query, r.cookie), NOW)
        classes[decision.action] += 1
        paths[(decision.action, r.uri)] += 1
    return classes, paths


def paths_of(summary: ReplaySummary) -> Counter[tuple[str, str]]:
    return Counter({(c, p): n for c in CLASSES for p, n in summary.paths[c].items()})


def test_counts_agree_with_the_decision_model_line_by_line(
    tmp_path: Path, rules: MaintenanceRules, engine: FunctionRuntime
) -> None:
    logged = generated()
    summary = replay(engine, rules, [str(log_file(tmp_path, logged))], NOW)
    classes, paths = expected(rules, logged)
    assert summary.lines == summary.replayed == len(logged)
    assert {c: summary.counts[c] for c in CLASSES} == {c: classes[c] for c in CLASSES}
    assert paths_of(summary) == paths
    assert summary.disagreements == 0
    assert summary.counts["redirect"] > 0 and summary.counts["pass"] > 0
    assert sum(summary.rules.values()) == summary.counts["pass"]
    assert summary.rules["bypass-cookie"] > 0
    assert summary.rules["allowed-ip 203.0.113.0/24"] > 0
    assert summary.networks["pass"]["2001:db8::/48"] > 0


def test_field_order_does_not_matter(
    tmp_path: Path, rules: MaintenanceRules, engine: FunctionRuntime
) -> None:
    logged = generated(500)
    shuffled = list(FIELDS)
    random.Random(3).shuffle(shuffled)
    plain = replay(engine, rules, [str(log_file(tmp_path, logged))], NOW)
    other = replay(engine, rules, [str(log_file(tmp_path, logged, "shuffled.log", shuffled))], NOW)
    assert other.as_json() == plain.as_json()


def test_only_the_fields_it_needs(
    tmp_path: Path, rules: MaintenanceRules, engine: FunctionRuntime
) -> None:
    logged = generated(300)
    path = log_file(
        tmp_path, logged, fields=["c-ip", "cs-method", "cs-uri-stem", "cs-uri-query", "cs(Cookie)"]
    )
    classes, _ = expected(rules, logged)
    counts = replay(engine, rules, [str(path)], NOW).counts
    assert {c: counts[c] for c in CLASSES} == {c: classes[c] for c in CLASSES}


def test_gzip_and_directories(
    tmp_path: Path, rules: MaintenanceRules, engine: FunctionRuntime
) -> None:
    logged = generated(400)
    (tmp_path / "logs").mkdir()
    plain = log_file(tmp_path / "logs", logged)
    with gzip.open(tmp_path / "logs" / "access.log.gz", "wt", encoding="utf-8") as handle:
        write_log(handle, logged)
    one = replay(engine, rules, [str(plain)], NOW)
    zipped = replay(engine, rules, [str(tmp_path / "logs" / "access.log.gz")], NOW)
    assert zipped.as_json() == one.as_json()
    both = replay(engine, rules, [str(tmp_path / "logs")], NOW)
    assert both.counts == one.counts + one.counts


def test_decoding_the_way_cloudfront_encodes(
    tmp_path: Path, rules: MaintenanceRules, engine: FunctionRuntime
) -> None:
    logged = [
        LoggedRequest("192.0.2.1", "GET", "/search results", "q=a b", "", "curl/8"),
        LoggedRequest("192.0.2.1", "GET", "/ünïcode", "", "", "curl/8"),
        LoggedRequest("192.0.2.1", "GET", "/maintenance/%2e%2e/admin", "", "", "curl/8"),
        LoggedRequest("192.0.2.1", "GET", "/maintenance/ok.css", "", "", "curl/8"),
    ]
    text = log_file(tmp_path, logged).read_text()
    assert "/search%20results" in text and "/maintenance/%252e%252e/admin" in text
    summary = replay(engine, rules, [str(tmp_path / "access.log")], NOW)
    assert summary.paths["maintenance"] == Counter(
        {"/search results": 1, "/ünïcode": 1, "/maintenance/%2e%2e/admin": 1}
    )
    assert summary.paths["pass"] == Counter({"/maintenance/ok.css": 1})


def test_malformed_lines_are_counted_with_their_numbers(
    tmp_path: Path, rules: MaintenanceRules, engine: FunctionRuntime
) -> None:
    good = log_file(tmp_path, generated(5)).read_text().splitlines()
    text = (
        "\n".join(
            ["2026-11-30\tstray line before the header", *good[:4], "too\tfew\tfields", *good[4:]]
        )
        + "\n"
    )
    path = tmp_path / "broken.log"
    path.write_text(text)
    summary = replay(engine, rules, [str(path)], NOW)
    assert summary.malformed == 2
    assert summary.malformed_lines == [
        f"{path}:1 (before any #Fields line; a plain or real-time log needs --fields)",
        f"{path}:6 (3 fields, the #Fields line names 33)",
    ]
    assert summary.replayed == 5


def test_unreadable_inputs(
    tmp_path: Path, rules: MaintenanceRules, engine: FunctionRuntime
) -> None:
    with pytest.raises(LogError, match="no such log file or directory"):
        replay(engine, rules, [str(tmp_path / "nope.log")], NOW)
    bad = tmp_path / "bad.log"
    bad.write_text("#Version: 1.0\n#Fields: date time cs-uri-stem\n")
    with pytest.raises(LogError, match="the #Fields line lacks c-ip"):
        replay(engine, rules, [str(bad)], NOW)


def test_limit_and_sample(tmp_path: Path, rules: MaintenanceRules, engine: FunctionRuntime) -> None:
    path = str(log_file(tmp_path, generated(1000)))
    assert replay(engine, rules, [path], NOW, limit=250).lines == 250
    assert replay(engine, rules, [path], NOW, sample=10).lines == 100


def test_a_throwing_function_is_counted_as_errors(tmp_path: Path) -> None:
    path = str(log_file(tmp_path, generated(50)))
    code = "function handler(event) { if (event.request.uri === '/health') throw new Error('boom'); return event.request; }"
    with FunctionRuntime(code, "cloudfront-js-1.0") as runtime:
        summary = replay(runtime, None, [path], NOW)
    assert summary.counts["error"] == summary.paths["error"]["/health"] > 0
    assert summary.errors[0].endswith(": Error: boom")


def cffunc(
    processes: Processes, *args: str, stdin: bytes | None = None
) -> subprocess.CompletedProcess[bytes]:
    """``cffunc replay ARGS`` through the real entry point."""
    return processes.run(
        [sys.executable, "-m", "cffunc", "-c", str(SAMPLES / "cffunc.toml"), "replay", *args],
        env={**os.environ, **ENV}, input=stdin, capture_output=True,
    )  # fmt: skip


def test_cli_reads_standard_input_and_prints_json(tmp_path: Path, processes: Processes) -> None:
    logged = generated(200)
    buffer = io.StringIO()
    write_log(buffer, logged)
    result = cffunc(
        processes,
        "--now",
        "2026-12-01T03:00:00Z",
        "--json",
        "-",
        stdin=gzip.compress(buffer.getvalue().encode()),
    )
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["replayed"] == 200
    compiled = compile_rules(load_config(SAMPLES / "cffunc.toml"), ENV)
    classes, _ = expected(compiled, logged)
    assert {c: document["classes"][c]["count"] for c in CLASSES} == {c: classes[c] for c in CLASSES}


def test_cli_worker_processes_give_the_same_document(tmp_path: Path, processes: Processes) -> None:
    """The CLI starts its worker processes before it renders the function: --jobs 3 gives
    --jobs 1's document, and a bad log still ends in one line and exit 1."""
    path = str(log_file(tmp_path, generated(1500, seed=4)))
    one = cffunc(processes, "--now", "2026-12-01T03:00:00Z", "--json", "--jobs", "1", path)
    three = cffunc(processes, "--now", "2026-12-01T03:00:00Z", "--json", "--jobs", "3", path)
    assert one.returncode == three.returncode == 0, three.stderr
    assert json.loads(three.stdout) == json.loads(one.stdout)
    missing = cffunc(processes, "--jobs", "3", str(tmp_path / "missing.log"))
    assert missing.returncode == 1
    assert missing.stderr.decode().strip().splitlines() == [
        f"Error: {tmp_path / 'missing.log'}: no such log file or directory"
    ]


def test_cli_summary_on_the_sample_log(processes: Processes) -> None:
    result = cffunc(processes, "--now", "2026-12-01T03:00:00Z", str(SAMPLES / "access.log"))
    assert result.returncode == 0, result.stderr
    text = result.stdout.decode()
    assert text.splitlines()[0] == "200 lines, 200 replayed, 0 malformed"
    assert "passed because: " in text


@pytest.mark.property  # thousands of generated events through V8
def test_pass_rules_equal_the_decision_model_across_blocks(
    tmp_path: Path,
    rules: MaintenanceRules,
    engine: FunctionRuntime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Small blocks: the per-file state (fields, line numbers, sampling) crosses them, and
    the fast attribution names the same rule decide() does for every passing line."""
    import cffunc.replay.sources

    monkeypatch.setattr(cffunc.replay.sources, "BLOCK_BYTES", 997)
    logged = generated(1500, seed=5)
    path = log_file(tmp_path, logged)
    lines = path.read_text().splitlines()
    lines.insert(700, "short\tline")
    path.write_text("\n".join(lines) + "\n")
    summary = replay(engine, rules, [str(path)], NOW)
    wanted: Counter[str] = Counter()
    for r in logged:
        decision = decide(rules, _request(r.ip, r.method, r.uri, r.query, r.cookie), NOW)
        if decision.action == "pass":
            wanted[decision.rule + (f" {decision.matched}" if decision.matched else "")] += 1
    assert summary.rules == wanted
    assert summary.malformed_lines == [f"{path}:701 (2 fields, the #Fields line names 33)"]
    assert summary.replayed == 1500 and summary.disagreements == 0
    sampled = replay(engine, rules, [str(path)], NOW, sample=7, limit=1000)
    assert sampled.lines == len(range(0, 1000, 7))


def test_attribution_is_decide_for_any_request(rules: MaintenanceRules) -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from cffunc.replay.run import Attribution

    keys = bypass.derive_keys(SECRET)
    attribution = Attribution(rules, NOW, None)
    ips = st.sampled_from(
        ["203.0.113.9", "198.51.100.7", "198.51.100.8", "2001:db8::1", "10.0.0.1", "bad", "",
         "203.0.113.255", "203.0.113.256", "203.0.113.999", "0203.0.113.9", "203.0.114.1",
         "198.51.100.255", "198.51.100.07", "10.0.0.300", "10.0.0.2"]
    )  # fmt: skip
    uris = st.sampled_from(
        [
            "/health",
            "/maintenance/a.css",
            "/maintenance/../x",
            "/",
            "/__cffunc/bypass",
            "/robots.txt",
        ]
    )
    cookies = st.sampled_from(
        [
            "",
            f"cffunc_bypass={bypass.cookie_value(keys, int(NOW.timestamp()) + 3600)}",
            "cffunc_bypass=1.x",
            "a=b",
        ]
    )
    queries = st.sampled_from(["", f"token={SECRET}", "token=no"])

    @settings(max_examples=300, deadline=None)
    @given(ips, st.sampled_from(["GET", "POST"]), uris, queries, cookies)
    def check(ip: str, method: str, uri: str, query: str, cookie: str) -> None:
        request = _request(ip, method, uri, query, cookie)
        assert attribution(ip, method, uri, query, cookie) == decide(rules, request, NOW)

    check()


HOSTS = ["shop.example.com", "SHOP.example.com:443", "blog.example.com", "fr.eu.example.com",
         "docs.example.com", "eu.example.com"]  # fmt: skip


@pytest.mark.parametrize(
    ("sample", "store_file"), [("readonly.toml", None), ("kvs.toml", "kvs-scopes.json")]
)
def test_counts_per_scope_agree_with_the_model(
    tmp_path: Path, sample: str, store_file: str | None
) -> None:
    """Hosts come from x-host-header (cs(Host) is the distribution's own name); every
    maintenance line is counted under the scope the decision model says covered it."""
    from dataclasses import replace as with_

    from cffunc.runtime.local_store import KeyValueData

    scoped = compile_rules(load_config(SAMPLES / sample), ENV)
    items = json.loads((SAMPLES / store_file).read_text()) if store_file else None
    rng = random.Random(5)
    logged = [with_(r, host=rng.choice(HOSTS)) for r in generated(1500)]
    kvs = KeyValueData(items) if items is not None else None
    with FunctionRuntime(render(scoped).code, scoped.runtime, kvs=kvs) as runtime:
        summary = replay(runtime, scoped, [str(log_file(tmp_path, logged))], NOW, store=items)
    classes: Counter[str] = Counter()
    by_scope: Counter[str] = Counter()
    for r in logged:
        request = _request(r.ip, r.method, r.uri, r.query, r.cookie, r.host)
        decision = decide(scoped, request, NOW, items)
        classes[decision.action] += 1
        if decision.action == "maintenance":
            assert decision.scope is not None
            by_scope[decision.scope.describe()] += 1
    assert {c: summary.counts[c] for c in CLASSES} == {c: classes[c] for c in CLASSES}
    assert summary.scopes == by_scope and len(by_scope) >= 2 - (store_file is None)
    assert summary.disagreements == 0
    assert summary.rules["outside-scope"] > 0


@pytest.mark.usefixtures("processes")  # a worker process
def test_jobs_give_the_same_summary(
    tmp_path: Path, rules: MaintenanceRules, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Blocks spread over a worker process and the caller's V8: the summary is the same
    as with one worker, limit and sample included, and the passes are attributed."""
    import cffunc.replay.run
    from cffunc.replay import sources as replay_module

    monkeypatch.setattr(cffunc.replay.run, "EVERY_WORKER", True)

    logged = generated(2500, seed=3)
    path = str(log_file(tmp_path, logged))
    small = replay_module.BLOCK_BYTES
    replay_module.BLOCK_BYTES = 1 << 16  # many blocks from a small log
    try:
        with FunctionRuntime(render(rules).code, rules.runtime, trusted=True) as one:
            alone = replay(one, rules, [path, path], NOW, limit=4000, sample=3)
        with FunctionRuntime(render(rules).code, rules.runtime, trusted=True) as two:
            shared = replay(two, rules, [path, path], NOW, limit=4000, sample=3, jobs=2)
    finally:
        replay_module.BLOCK_BYTES = small
    assert shared.as_json() == alone.as_json()
    assert alone.lines == alone.replayed == 1334
    assert sum(alone.rules.values()) == alone.counts["pass"] > 0


@pytest.mark.usefixtures("processes")  # two workers: one is a process
def test_lists_past_the_limit_are_added_up_on_disk_exactly(
    tmp_path: Path, rules: MaintenanceRules, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With V8 holding 40 keys a list, the lists spill to disk many times over: the top
    lists equal those of a replay that never spills, for one worker or two."""
    import cffunc.replay.run
    import cffunc.replay.sources

    monkeypatch.setattr(cffunc.replay.sources, "BLOCK_BYTES", 1 << 15)
    monkeypatch.setattr(cffunc.replay.run, "EVERY_WORKER", True)
    path = str(log_file(tmp_path, generated(2500, seed=9)))
    code = render(rules).code

    def run(jobs: int) -> ReplaySummary:
        with FunctionRuntime(code, rules.runtime, trusted=True) as runtime:
            return replay(runtime, rules, [path, path], NOW, jobs=jobs)

    monkeypatch.setattr(cffunc.replay.run, "COUNTER_LIMIT", 10**9)
    exact = run(1)
    assert len(exact.networks["maintenance"]) > 20 * 40 and len(exact.networks["pass"]) > 40
    monkeypatch.setattr(cffunc.replay.run, "COUNTER_LIMIT", 40)
    for jobs in (1, 2):
        spilled = run(jobs)
        assert spilled.as_json() == exact.as_json()
        for cls in CLASSES:
            for kind in ("paths", "networks"):
                kept = getattr(spilled, kind)[cls]
                whole = getattr(exact, kind)[cls]
                assert all(whole[key] == n for key, n in kept.items()), (kind, cls)


# ---- log formats and S3 ----


def _records(logged: list[LoggedRequest]) -> list[dict[str, str]]:
    from benchmarks.loggen import line

    moment = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
    return [
        dict(zip(FIELDS, line(r, moment, i).split("\t"), strict=True)) for i, r in enumerate(logged)
    ]


def test_every_format_gives_the_same_counts(
    tmp_path: Path, rules: MaintenanceRules, engine: FunctionRuntime
) -> None:
    """Logging v2 as JSON lines, W3C with spaces and Parquet, and a real-time log with
    --fields, replay as the legacy log of the same requests does."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    logged = generated(600, seed=9)
    legacy = replay(engine, rules, [str(log_file(tmp_path, logged))], NOW)
    records = _records(logged)
    jsonl = tmp_path / "E2EXAMPLE.2026-11-30-10.json.gz"
    with gzip.open(jsonl, "wt") as handle:
        handle.writelines(json.dumps({**r, "sc-bytes": 5}) + "\n" for r in records)
    w3c = tmp_path / "w3c.log"
    w3c.write_text(
        "#Version: 1.0\n#Fields: " + " ".join(FIELDS) + "\n"
        + "".join(" ".join(r[f] for f in FIELDS) + "\n" for r in records)
    )  # fmt: skip
    parquet = tmp_path / "v2.parquet"
    names = ["timestamp", *[f for f in FIELDS if f not in ("date", "time")]]
    columns = {f: [r[f] for r in records] for f in names if f != "timestamp"}
    columns["timestamp"] = [str(1796032800 + i) for i in range(len(records))]
    pq.write_table(
        pa.table(
            {n.replace("-", "_").replace("(", "_").replace(")", ""): columns[n] for n in names}
        ),
        parquet,
    )
    realtime = tmp_path / "realtime.log"
    order = [
        "timestamp",
        "c-ip",
        "cs-method",
        "cs-host",
        "cs-uri-stem",
        "cs-uri-query",
        "cs-cookie",
        "x-host-header",
        "cs-user-agent",
    ]

    # Real-time meanings (real-time-logs.html): cs-host is the viewer's Host, x-host-header
    # the distribution's name, and cs-uri-stem holds the query after a '?'.
    def stem(r: dict[str, str]) -> str:
        return r["cs-uri-stem"] + ("" if r["cs-uri-query"] == "-" else "?" + r["cs-uri-query"])

    realtime.write_text("".join("\t".join([
        "1796032800.123", r["c-ip"], r["cs-method"], r["x-host-header"], stem(r),
        r["cs-uri-query"], r["cs(Cookie)"], r["cs(Host)"], r["cs(User-Agent)"],
    ]) + "\n" for r in records))  # fmt: skip
    # Without cs-uri-query, the query comes from cs-uri-stem.
    bare = tmp_path / "realtime-bare.log"
    bare.write_text("".join("\t".join([
        "1796032800.123", r["c-ip"], r["cs-method"], r["x-host-header"], stem(r), r["cs(Cookie)"],
    ]) + "\n" for r in records))  # fmt: skip
    bare_order = ["timestamp", "c-ip", "cs-method", "cs-host", "cs-uri-stem", "cs-cookie"]
    for path, fields in (
        (jsonl, None), (w3c, None), (parquet, None), (realtime, order), (bare, bare_order),
    ):  # fmt: skip
        other = replay(engine, rules, [str(path)], NOW, fields=fields)
        assert {c: other.counts[c] for c in CLASSES} == {c: legacy.counts[c] for c in CLASSES}, path
        assert other.paths == legacy.paths and other.rules == legacy.rules, path


@pytest.mark.parametrize(
    ("name", "hour"),
    [
        ("logs/E2EXAMPLE.2026-11-30-10.abcd1234.gz", "2026-11-30T10"),
        ("AWSLogs/1234/CloudFront/E2EXAMPLE/2026/11/30/10/part.json.gz", "2026-11-30T10"),
        (
            "AWSLogs/1234/CloudFront/DistributionId=E2/year=2026/month=11/day=30/hour=10/x.parquet",
            "2026-11-30T10",
        ),
        ("logs/access.log", None),
    ],
)
def test_the_hour_in_log_names(name: str, hour: str | None) -> None:
    from cffunc.replay.sources import name_hour

    found = name_hour(name)
    assert (found.strftime("%Y-%m-%dT%H") if found else None) == hour


def test_s3_logs_are_streamed_and_filtered_by_their_names(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """Objects in S3 of the local API (moto), listed and read with boto3 as configured by
    the environment; --since/--until keep the hours asked for."""
    import boto3

    from tests.helpers import invoke, local_aws_env

    logged = generated(900, seed=4)
    thirds = [logged[:300], logged[300:600], logged[600:]]
    env = local_aws_env(emulator.endpoint)
    s3 = boto3.client(
        "s3", endpoint_url=emulator.endpoint, region_name="us-east-1",
        aws_access_key_id="test", aws_secret_access_key="test",
    )  # fmt: skip
    s3.create_bucket(Bucket="logs")
    for hour, part in zip((9, 10, 11), thirds, strict=True):
        body = io.StringIO()
        write_log(body, part)
        key = f"cf/E2EXAMPLE.2026-11-30-{hour:02d}.abc{hour}.gz"
        s3.put_object(Bucket="logs", Key=key, Body=gzip.compress(body.getvalue().encode()))
    config = SAMPLES / "cffunc.toml"
    args = [
        "-c",
        str(config),
        "replay",
        "--now",
        "2026-12-01T03:00:00Z",
        "--json",
        "--jobs",
        "1",
    ]
    window = ["--since", "2026-11-30T10:00:00Z", "--until", "2026-11-30T11:00:00Z"]
    ran = invoke([*args, *window, "s3://logs/cf/"], {**env, "CFFUNC_BYPASS_SECRET": SECRET})
    assert ran.returncode == 0, ran.stderr
    local = tmp_path / "middle.log"
    with local.open("w") as handle:
        write_log(handle, thirds[1])
    alone = invoke([*args, str(local)], {**env, "CFFUNC_BYPASS_SECRET": SECRET})
    assert json.loads(ran.stdout)["classes"] == json.loads(alone.stdout)["classes"]
    assert json.loads(ran.stdout)["lines"] == 300
    everything = invoke([*args, "s3://logs/cf/"], {**env, "CFFUNC_BYPASS_SECRET": SECRET})
    assert json.loads(everything.stdout)["lines"] == 900
    missing = invoke([*args, "s3://logs/nothing/"], {**env, "CFFUNC_BYPASS_SECRET": SECRET})
    assert missing.returncode == 1 and "no log objects" in missing.stderr


def test_networks_follow_the_allowlists_finer_lines(
    tmp_path: Path, rules: MaintenanceRules, engine: FunctionRuntime
) -> None:
    """The sample allows 198.51.100.7 alone: its /24 is not one network on both sides."""
    logged = [
        LoggedRequest(ip, "GET", "/checkout", "", "", "curl/8.5.0")
        for ip in ["198.51.100.7"] * 3 + ["198.51.100.9", "198.51.100.200", "192.0.2.1"]
    ]
    summary = replay(engine, rules, [str(log_file(tmp_path, logged))], NOW)
    assert summary.networks["pass"] == Counter({"198.51.100.7/32": 3})
    assert summary.networks["maintenance"] == Counter(
        {"198.51.100.0/24 outside 198.51.100.7/32": 2, "192.0.2.0/24": 1}
    )


def _networks_counted(
    tmp_path: Path, ips: list[str], grouping: NetworkGrouping | None = None
) -> Counter[str]:
    """The client networks a replay counts for these addresses (a function that passes
    everything, so every line counts under "pass")."""
    from cffunc.replay.run import _add_tally, _plan_blocks, _setup, _Worker, cell_table
    from cffunc.replay.sources import open_sources

    logged = [LoggedRequest(ip, "GET", "/", "", "", "curl/8.5.0") for ip in ips]
    path = log_file(tmp_path, logged)
    code = "function handler(event) { return event.request; }"
    with FunctionRuntime(code, "cloudfront-js-2.0") as runtime:
        grouping = grouping or NetworkGrouping()
        setup = replace(
            _setup(runtime, None, NOW, None, 1), grouping=grouping, cells=cell_table((), grouping)
        )
        worker = _Worker(setup, runtime)
        summary = ReplaySummary()
        for block in _plan_blocks(open_sources([str(path)], None, None, None), 2**53):
            worker.run(block)
        _add_tally(summary, worker.tally())
    return summary.networks["pass"]


def test_network_grouping_in_v8_agrees_with_ipaddress(tmp_path: Path) -> None:
    """Addresses in and around finer allowlisted networks (nested, IPv4 and IPv6, and
    some not addresses at all), grouped by shims/replay.js: ipaddress says which
    network each belongs to."""
    rng = random.Random(48)
    nets: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
    for _ in range(12):
        base = ipaddress.ip_address(rng.getrandbits(32))
        nets.append(ipaddress.ip_network((base, rng.randint(25, 32)), strict=False))
        nets.append(ipaddress.ip_network((base, rng.randint(25, 32)), strict=False))
        v6 = ipaddress.ip_address(rng.getrandbits(128))
        nets.append(ipaddress.ip_network((v6, rng.randint(49, 128)), strict=False))
    grouping = NetworkGrouping.of(nets)
    ips: list[str] = [
        "1.2.3.x", "fe80::1::2", "10.1.2.256", "01.2.3.4", "1.2.3", "1.2.3.4.5", "1..2.3",
        "1:2:3:4:5:6:7::", "::", "::1.2.3.4", "::FFFF:192.0.2.1", "1::2:3:4:5:6:7:8",
        "1:2:3:4:5:6:7:8::", "12345::", "2001:DB8::1", "1:2:3:4:5:6:1.2.3.4", "::1.2.3.999",
        "1:2:3:4:5:6:7:g", ":1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7:", "::ffff::1",
    ]  # fmt: skip
    for net in nets:
        for _ in range(6):
            coarse = net.supernet(new_prefix=24 if net.version == 4 else 48)
            pick = rng.choice([net, coarse])
            ips.append(str(pick[rng.randrange(min(pick.num_addresses, 2**64))]))
    ips.append("::ffff:0:0")

    def oracle(ip: str) -> str:
        try:
            address = ipaddress.ip_address(ip)
        except ValueError:
            return ip
        for network in grouping.fine:
            if network.version == address.version and address in network:
                return str(network)
        coarse = ipaddress.ip_network((address, 24 if address.version == 4 else 48), strict=False)
        inside = [
            str(n) for n in grouping.fine if n.version == coarse.version and n.subnet_of(coarse)
        ]  # type: ignore[arg-type]
        return f"{coarse} outside {', '.join(inside)}" if inside else str(coarse)

    assert _networks_counted(tmp_path, ips, grouping) == Counter(oracle(ip) for ip in ips)


@pytest.mark.usefixtures("processes")  # a Dask cluster of worker processes
def test_dask_gives_the_local_summary(tmp_path: Path) -> None:
    """A local Dask cluster of two worker processes, one task per log file: the same
    summary as the replay on this machine."""
    from distributed import LocalCluster

    from tests.helpers import invoke

    (tmp_path / "logs").mkdir()
    for i in range(3):
        log_file(tmp_path / "logs", generated(400, seed=20 + i), f"E2EXAMPLE.2026-11-30-1{i}.x.log")
    args = ["-c", str(SAMPLES / "cffunc.toml"), "replay", "--now", "2026-12-01T03:00:00Z",
            "--json", "--sample", "2", str(tmp_path / "logs")]  # fmt: skip
    env = {"CFFUNC_BYPASS_SECRET": SECRET}
    local = invoke([*args, "--jobs", "1"], env)
    assert local.returncode == 0, local.stderr
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        remote = invoke([*args, "--dask", cluster.scheduler_address], env)
    assert remote.returncode == 0, remote.stderr
    assert json.loads(remote.stdout) == json.loads(local.stdout)
    refused = invoke([*args, "--dask", "tcp://127.0.0.1:1", "--limit", "5"], env)
    assert refused.returncode != 0 and "--limit cannot be combined with --dask" in refused.stderr


def test_ipv6_48_keys_are_spelled_as_ipaddress_does(tmp_path: Path) -> None:
    """The /48s V8 counts, written in RFC 5952 form (zero runs anywhere in the first
    three groups): ipaddress is the oracle."""
    rng = random.Random(8)
    ips = []
    for _ in range(3000):
        groups = [rng.choice([0, 0, rng.getrandbits(16), rng.getrandbits(4)]) for _ in range(8)]
        ips.append(":".join(f"{g:x}" for g in groups))
    wanted = Counter(str(ipaddress.ip_network((ip, 48), strict=False)) for ip in ips)
    assert _networks_counted(tmp_path, ips) == wanted


# ---- one decision per reading ----


ODD_IPS = ["203.0.113.9", "203.0.113.200", "198.51.100.7", "198.51.100.8", "2001:db8::1",
           "2001:db8:0:1::9", "2001:DB8::1", "::ffff:203.0.113.9", "10.0.0.1", "10.0.0.2",
           "192.0.2.1", "fe80::1", "0203.0.113.9", "1.2.3.0/24", "bad", "2001:db9::1"]  # fmt: skip
LOG_URIS = ["/", "/health", "/maintenance/a.css", "/maintenance/%252e%252e/x", "/__cffunc/bypass",
            "/__cffunc%2Fbypass", "/checkout/pay", "/robots.txt", "/search%20results",
            "/%C3%BCnicode", "/api/orders"]  # fmt: skip


def _choices() -> dict[str, list[str]]:
    """What each field of a drawn line may hold: the shapes replay meets, encoded as
    CloudFront logs them."""
    keys = bypass.derive_keys(SECRET)
    valid = bypass.cookie_value(keys, int(NOW.timestamp()) + 60)
    return {
        "time": ["10:00:01", "10:04:59", "10:05:00"],
        "c-ip": ODD_IPS,
        "cs-method": ["GET", "POST", "HEAD", "OPTIONS"],
        "cs-uri-stem": LOG_URIS,
        "sc-status": ["200", "503", "000"],
        "cs(User-Agent)": ["curl/8.5.0", "Mozilla/5.0%20(X11)", "-"],
        "cs(Referer)": ["-", "https://shop.example.com/"],
        "cs-uri-query": ["-", f"token={SECRET}", "token=no", "q=a%2520b", f"token%3D{SECRET}"],
        "cs(Cookie)": [
            "-", "theme=dark", f"cffunc_bypass={valid}", "cffunc_bypass=1.forged;%20theme=x",
            f"theme=a;%20cffunc%5Fbypass={valid}", "cffunc_bypass=1700000000.00",
        ],
        "x-host-header": ["shop.example.com", "blog.example.com", "fr.eu.example.com", "-"],
        "cs-protocol": ["https", "grpcs"],
        "x-forwarded-for": ["-", "192.0.2.9", "192.0.2.9, 10.0.0.1", "2001:db8::5,10.0.0.1", "unknown"],
    }  # fmt: skip


@st.composite
def log_lines(draw: st.DrawFn) -> list[str]:
    """Standard-log lines, among them near-twins: copies of a line with one field
    changed (the address, the URI, a cookie, the user agent...), which a decision reused
    for a reading that left out something the function reads would get wrong."""
    choices = _choices()
    bases = [
        {f: "-" for f in FIELDS}
        | {"date": "2026-11-30", "cs(Host)": "d111111abcdef8.cloudfront.net"}
        | {name: draw(st.sampled_from(values)) for name, values in choices.items()}
        for _ in range(draw(st.integers(1, 8)))
    ]
    lines = list(bases)
    for base in bases:
        for name in draw(st.lists(st.sampled_from(sorted(choices)), max_size=6)):
            lines.append(base | {name: draw(st.sampled_from(choices[name]))})
    order = draw(st.permutations(range(len(lines))))
    return ["\t".join(lines[i][f] for f in FIELDS) for i in order]


def _log_of(tmp_path: Path, lines: list[str], name: str = "drawn.log") -> str:
    path = tmp_path / name
    path.write_text("#Version: 1.0\n#Fields: " + " ".join(FIELDS) + "\n" + "\n".join(lines) + "\n")
    return str(path)


REUSE_CASES = {"rewrite": ("cffunc.toml", None), "read-only": ("readonly.toml", None),
               "store": ("kvs.toml", "kvs-scopes.json")}  # fmt: skip


@pytest.mark.property  # thousands of generated events through V8
@pytest.mark.parametrize("case", list(REUSE_CASES))
def test_reuse_gives_the_summary_of_running_every_line(
    tmp_path_factory: pytest.TempPathFactory, case: str
) -> None:
    """Generated logs replayed with one run of the function per reading and with a run
    per line: the same summary, every count and list."""
    from hypothesis import given, settings

    from cffunc.runtime.local_store import KeyValueData

    sample, store_file = REUSE_CASES[case]
    rules = compile_rules(load_config(SAMPLES / sample), ENV)
    items = json.loads((SAMPLES / store_file).read_text()) if store_file else None
    kvs = KeyValueData(items) if items is not None else None
    directory = tmp_path_factory.mktemp("reuse")
    with FunctionRuntime(render(rules).code, rules.runtime, kvs=kvs, trusted=True) as runtime:

        @settings(max_examples=40, deadline=None, derandomize=True)
        @given(log_lines())
        def check(lines: list[str]) -> None:
            path = _log_of(directory, lines)
            reused = replay(runtime, rules, [path], NOW, store=items)
            every = replay(runtime, rules, [path], NOW, store=items, reuse=False)
            assert reused.as_json() == every.as_json()
            assert reused.replayed + reused.malformed == len(lines)

        check()


@pytest.mark.integration
@pytest.mark.parametrize("jobs", [1, 2])
def test_reuse_on_the_sample_log_and_a_generated_one(
    tmp_path: Path, rules: MaintenanceRules, jobs: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """samples/access.log and a generated log of many blocks, with one worker and two:
    the summary of a replay that reuses decisions is the one that runs every line."""
    import cffunc.replay.run
    from cffunc.replay import sources as replay_module

    monkeypatch.setattr(cffunc.replay.run, "EVERY_WORKER", True)

    generated_log = str(log_file(tmp_path, generated(3000, seed=17)))
    small = replay_module.BLOCK_BYTES
    replay_module.BLOCK_BYTES = 1 << 15
    try:
        with FunctionRuntime(render(rules).code, rules.runtime, trusted=True) as runtime:
            for path in (str(SAMPLES / "access.log"), generated_log):
                reused = replay(runtime, rules, [path], NOW, jobs=jobs)
                every = replay(runtime, rules, [path], NOW, jobs=jobs, reuse=False)
                assert reused.as_json() == every.as_json(), path
                assert reused.replayed > 0
    finally:
        replay_module.BLOCK_BYTES = small


@pytest.mark.parametrize("case", list(REUSE_CASES))
def test_reuse_on_every_one_field_twin(tmp_path: Path, case: str) -> None:
    """Lines that differ from a base line in one field only, every value of every field,
    around bases that reach each rule (the bypass path with its token, the bypass cookie,
    the allowlist, scopes): reuse gives the summary of running every line."""
    from cffunc.runtime.local_store import KeyValueData

    sample, store_file = REUSE_CASES[case]
    rules = compile_rules(load_config(SAMPLES / sample), ENV)
    items = json.loads((SAMPLES / store_file).read_text()) if store_file else None
    choices = _choices()
    bases = [
        {"cs-method": "GET", "cs-uri-stem": "/__cffunc/bypass", "cs-uri-query": f"token={SECRET}"},
        {"c-ip": "203.0.113.9", "cs-uri-stem": "/checkout/pay", "cs-method": "POST"},
        {"cs(Cookie)": choices["cs(Cookie)"][2], "x-host-header": "blog.example.com"},
        {"c-ip": "2001:db8::1", "x-host-header": "fr.eu.example.com", "cs-uri-stem": "/health"},
        {"c-ip": "192.0.2.1", "cs-uri-stem": "/maintenance/%252e%252e/x", "cs-method": "HEAD"},
    ]
    lines = []
    for changes in bases:
        base = {f: "-" for f in FIELDS} | {name: values[0] for name, values in choices.items()}
        base |= {"date": "2026-11-30", "cs(Host)": "d111111abcdef8.cloudfront.net", **changes}
        lines.append(base)
        lines += [base | {name: value} for name, values in choices.items() for value in values]
    path = _log_of(tmp_path, ["\t".join(line[f] for f in FIELDS) for line in lines])
    kvs = KeyValueData(items) if items is not None else None
    with FunctionRuntime(render(rules).code, rules.runtime, kvs=kvs, trusted=True) as runtime:
        reused = replay(runtime, rules, [path], NOW, store=items)
        every = replay(runtime, rules, [path], NOW, store=items, reuse=False)
    assert reused.as_json() == every.as_json()
    assert reused.replayed == len(lines)
