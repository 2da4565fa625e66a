"""Replay CloudFront standard access logs through the function: who passes, who gets the page.

Logs are read line by line (plain or gzip, files, directories, or standard input) and sent
to V8 in chunks, where each line becomes a viewer-request event and the function's answer
is counted (shims/replay.js); memory stays flat whatever the log size. Passing requests
come back so the Python decision model can say which allowlist rule let them through.
"""

from __future__ import annotations

import gzip
import io
import ipaddress
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import IO, Any, cast

from cffunc.decide import ViewerRequest, decide
from cffunc.errors import CffuncError
from cffunc.events import split_cookie_header, split_query
from cffunc.rules import MaintenanceRules
from cffunc.runtime import FunctionRuntime

CLASSES = ("pass", "maintenance", "redirect", "error")
REQUIRED_FIELDS = ("c-ip", "cs-uri-stem")
CHUNK_LINES = 20_000
TOP = 10
COUNTER_LIMIT = 50_000
"""Distinct paths or networks kept per class; beyond it the rarest are dropped, so a log
of millions of distinct paths still replays in flat memory (top lists stay exact for
anything frequent)."""
SHOW_LINES = 10


class LogError(CffuncError):
    """A log that cannot be read at all (missing file, no #Fields, no c-ip)."""


@dataclass
class ReplaySummary:
    lines: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    paths: dict[str, Counter[str]] = field(default_factory=lambda: {c: Counter() for c in CLASSES})
    networks: dict[str, Counter[str]] = field(
        default_factory=lambda: {c: Counter() for c in CLASSES}
    )
    rules: Counter[str] = field(default_factory=Counter)
    malformed: int = 0
    malformed_lines: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    disagreements: int = 0

    @property
    def replayed(self) -> int:
        return sum(self.counts.values())

    def as_json(self) -> dict[str, Any]:
        total = self.replayed
        return {
            "lines": self.lines,
            "replayed": total,
            "classes": {
                c: {
                    "count": self.counts[c],
                    "share": round(self.counts[c] / total, 4) if total else 0.0,
                    "top_paths": self.paths[c].most_common(TOP),
                    "top_networks": self.networks[c].most_common(TOP),
                }
                for c in CLASSES
            },
            "pass_rules": self.rules.most_common(),
            "malformed": {"count": self.malformed, "first": self.malformed_lines},
            "function_errors": self.errors,
            "model_disagreements": self.disagreements,
        }


def _open(source: str) -> Iterator[tuple[str, IO[str]]]:
    if source == "-":
        raw: IO[bytes] = sys.stdin.buffer
        yield (
            "<stdin>",
            io.TextIOWrapper(_maybe_gzip(raw), encoding="utf-8", errors="replace", newline=""),
        )
        return
    path = Path(source)
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file())
        if not files:
            raise LogError(f"{path}: the directory holds no log files")
    elif path.is_file():
        files = [path]
    else:
        raise LogError(f"{path}: no such log file or directory")
    for file in files:
        with file.open("rb") as handle:
            yield (
                str(file),
                io.TextIOWrapper(
                    _maybe_gzip(handle), encoding="utf-8", errors="replace", newline=""
                ),
            )


def _maybe_gzip(handle: IO[bytes]) -> IO[bytes]:
    buffered = (
        handle if isinstance(handle, io.BufferedReader) else io.BufferedReader(cast(Any, handle))
    )
    if buffered.peek(2)[:2] == b"\x1f\x8b":
        return cast(IO[bytes], gzip.GzipFile(fileobj=buffered))
    return cast(IO[bytes], buffered)


@dataclass
class _Chunk:
    name: str
    numbers: list[int]
    lines: list[str]
    fields: dict[str, int]


def _chunks(sources: Iterable[str], limit: int | None) -> Iterator[_Chunk | tuple[str, int, str]]:
    """Chunks of consecutive data lines; (file, line number, text) for lines before #Fields."""
    taken = 0
    for source in sources:
        for name, handle in _open(source):
            fields: dict[str, int] | None = None
            chunk: _Chunk | None = None
            for number, line in enumerate(handle, start=1):
                line = line.rstrip("\r\n")
                if line.startswith("#"):
                    if chunk and chunk.lines:
                        yield chunk
                    chunk = None
                    if line.startswith("#Fields:"):
                        names = line[len("#Fields:") :].split()
                        missing = [f for f in REQUIRED_FIELDS if f not in names]
                        if missing:
                            raise LogError(
                                f"{name}:{number}: the #Fields line lacks {', '.join(missing)}"
                            )
                        fields = {n: i for i, n in enumerate(names)}
                    continue
                if not line:
                    continue
                if fields is None:
                    yield (name, number, line)
                    continue
                if chunk is None:
                    chunk = _Chunk(name, [], [], fields)
                chunk.numbers.append(number)
                chunk.lines.append(line)
                taken += 1
                if len(chunk.lines) >= CHUNK_LINES:
                    yield chunk
                    chunk = None
                if limit is not None and taken >= limit:
                    break
            if chunk and chunk.lines:
                yield chunk
            if limit is not None and taken >= limit:
                return


def _request(ip: str, method: str, uri: str, query: str, cookie: str) -> ViewerRequest:
    return ViewerRequest(
        ip=ip,
        method=method,
        uri=uri,
        querystring={k: v[0] for k, v in split_query(query).items()},
        cookies=dict(reversed(split_cookie_header(cookie))),
    )


@lru_cache(maxsize=65_536)
def _network_key(key: str) -> str:
    """The JS side writes IPv6 /48s uncompressed; spell them as ipaddress does."""
    if ":" not in key:
        return key
    try:
        return str(ipaddress.ip_network(key, strict=False))
    except ValueError:
        return key


def _prune(counter: Counter[str]) -> None:
    if len(counter) > COUNTER_LIMIT:
        keep = counter.most_common(COUNTER_LIMIT // 2)
        counter.clear()
        counter.update(dict(keep))


def replay(
    runtime: FunctionRuntime,
    rules: MaintenanceRules | None,
    sources: Iterable[str],
    now: datetime,
    limit: int | None = None,
    sample: int = 1,
    progress: Callable[[int], None] | None = None,
    store: dict[str, str] | None = None,
) -> ReplaySummary:
    """Replay log lines; ``sample`` K keeps every K-th data line, ``limit`` stops after N."""
    summary = ReplaySummary()
    now_ms = round(now.timestamp() * 1000)
    for item in _chunks(sources, limit):
        if isinstance(item, tuple):
            name, number, _ = item
            summary.lines += 1
            summary.malformed += 1
            if len(summary.malformed_lines) < SHOW_LINES:
                summary.malformed_lines.append(f"{name}:{number} (before any #Fields line)")
            continue
        lines, numbers = item.lines[:: max(1, sample)], item.numbers[:: max(1, sample)]
        summary.lines += len(lines)
        result = runtime.replay_chunk(
            "\n".join(lines), item.fields, len(item.fields), now_ms, rules is not None
        )
        for index in result["malformed"]:
            summary.malformed += 1
            if len(summary.malformed_lines) < SHOW_LINES:
                summary.malformed_lines.append(f"{item.name}:{numbers[index]}")
        for index, message in result["errors"]:
            if len(summary.errors) < SHOW_LINES:
                summary.errors.append(f"{item.name}:{numbers[index]}: {message}")
        for cls in CLASSES:
            summary.counts[cls] += result["counts"][cls]
            summary.paths[cls].update(result["paths"][cls])
            for key, count in result["networks"][cls].items():
                summary.networks[cls][_network_key(key)] += count
            _prune(summary.paths[cls])
            _prune(summary.networks[cls])
        if rules is not None:
            for ip, method, uri, query, cookie in result["passes"]:
                decision = decide(rules, _request(ip, method, uri, query, cookie), now, store)
                if decision.action != "pass":
                    summary.disagreements += 1
                    continue
                summary.rules[
                    decision.rule + (f" {decision.matched}" if decision.matched else "")
                ] += 1
        if progress is not None:
            progress(summary.lines)
    return summary


def format_summary(summary: ReplaySummary) -> str:
    total = summary.replayed
    out = [f"{summary.lines:,} lines, {total:,} replayed, {summary.malformed:,} malformed"]
    for cls in CLASSES:
        count = summary.counts[cls]
        share = f"{count / total:.1%}" if total else "-"
        out.append(f"{cls:<12} {count:>10,}  {share:>6}")
    for cls in CLASSES:
        if not summary.counts[cls]:
            continue
        paths = ", ".join(f"{p} ({n:,})" for p, n in summary.paths[cls].most_common(5))
        networks = ", ".join(f"{p} ({n:,})" for p, n in summary.networks[cls].most_common(5))
        out.append(f"{cls}: top paths {paths}")
        out.append(f"{cls}: top networks {networks}")
    if summary.rules:
        out.append(
            "passed because: " + ", ".join(f"{r} ({n:,})" for r, n in summary.rules.most_common())
        )
    if summary.malformed_lines:
        out.append("malformed lines: " + ", ".join(summary.malformed_lines))
    if summary.errors:
        out.append("function errors (a 503 FunctionExecutionError at the edge):")
        out.extend(f"  {e}" for e in summary.errors)
    if summary.disagreements:
        out.append(
            f"warning: the decision model disagrees on {summary.disagreements:,} passing lines"
        )
    return "\n".join(out)
