"""Replay CloudFront standard access logs through the function: who passes, who gets the page.

Logs (plain or gzip, files, directories, or standard input) are read in blocks of whole
lines and handed to V8, where each line becomes a viewer-request event and the function's
answer is counted (shims/replay.js keeps the #Fields map, line numbers and the counts
across blocks); memory stays flat whatever the log size. Passing requests come back so the
Python decision model can say which allowlist rule let them through.
"""

from __future__ import annotations

import gzip
import io
import ipaddress
import json
import sys
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any, cast

from cffunc.decide import Decision, ViewerRequest, decide, matching_network
from cffunc.errors import CffuncError
from cffunc.events import split_cookie_header, split_query
from cffunc.pathpatterns import SAFE_URI, first_match, is_safe, patterns_source
from cffunc.rules import MaintenanceRules
from cffunc.runtime import FunctionRuntime
from cffunc.scopes import Scope, covers, request_host
from cffunc.store import (
    HOST_PREFIX,
    covering_scope,
    parse_host_scope,
    parse_state,
    store_match,
)

CLASSES = ("pass", "maintenance", "redirect", "error")
BLOCK_BYTES = 1 << 21
"""Bytes of log read and sent to V8 at a time (about 7,000 lines of 33 fields)."""
CACHE_LIMIT = 50_000
IN_FLIGHT = 2
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
    scopes: Counter[str] = field(default_factory=Counter)
    """Maintenance lines per scope (when the config or the store narrows maintenance)."""
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
            "maintenance_by_scope": self.scopes.most_common(),
            "malformed": {"count": self.malformed, "first": self.malformed_lines},
            "function_errors": self.errors,
            "model_disagreements": self.disagreements,
        }


def _open(source: str) -> Iterator[tuple[str, IO[bytes]]]:
    if source == "-":
        yield "<stdin>", _maybe_gzip(sys.stdin.buffer)
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
            yield str(file), _maybe_gzip(handle)


def _maybe_gzip(handle: IO[bytes]) -> IO[bytes]:
    buffered = (
        handle if isinstance(handle, io.BufferedReader) else io.BufferedReader(cast(Any, handle))
    )
    if buffered.peek(2)[:2] == b"\x1f\x8b":
        return cast(IO[bytes], gzip.GzipFile(fileobj=buffered))
    return cast(IO[bytes], buffered)


def _blocks(handle: IO[bytes]) -> Iterator[str]:
    """Whole lines, about BLOCK_BYTES at a time, without the last newline. Blocks end at a
    newline, so a UTF-8 character is never cut in two."""
    pending = b""
    while True:
        data = handle.read(BLOCK_BYTES)
        if not data:
            break
        if pending:
            data = pending + data
        cut = data.rfind(b"\n")
        if cut < 0:
            pending = data
            continue
        pending = data[cut + 1 :]
        yield data[:cut].decode("utf-8", errors="replace")
    if pending:
        yield pending.decode("utf-8", errors="replace")


class Attribution:
    """Which rule let a passing request through: :func:`decide`'s answer, reached in a
    few dictionary lookups for the common cases. The window and the store are the same
    for every line of a replay; addresses and paths repeat, so their lookups are cached;
    anything involving the bypass (cookie or token) goes to :func:`decide` itself."""

    def __init__(
        self, rules: MaintenanceRules, now: datetime, store: Mapping[str, str] | None
    ) -> None:
        self.rules = rules
        self.now = now
        self.store: Mapping[str, str] = store or {}
        self.fixed: Decision | None = None
        first = decide(rules, ViewerRequest(ip=""), now, self.store)
        if first.rule in ("outside-window", "maintenance-off"):
            self.fixed = first
        self.addresses: dict[str, Decision | None] = {}
        self.uris: dict[str, Decision | None] = {}
        self.scoped = rules.store or not rules.scope.whole
        self.scope_cache: dict[tuple[str, str, str], bool] = {}

    def __call__(
        self, ip: str, method: str, uri: str, query: str, cookie: str, host: str = ""
    ) -> Decision:
        if self.fixed is not None:
            return self.fixed
        rules = self.rules
        bypass = rules.bypass
        if bypass is not None and (
            (method == "GET" and uri == bypass.path) or bypass.cookie in cookie
        ):
            request = _request(ip, method, uri, query, cookie, host)
            return decide(rules, request, self.now, self.store)
        if self.scoped and not self._inside((request_host(host), method, uri)):
            return Decision("pass", "outside-scope")
        found = _cached(self.addresses, ip, self._address)
        if found is None:
            found = _cached(self.uris, uri, self._uri)
        if found is not None:
            return found
        return decide(rules, _request(ip, method, uri, query, cookie, host), self.now, self.store)

    def _inside(self, key: tuple[str, str, str]) -> bool:
        """Whether a (normalised host, method, URI) is inside the config's scope and, with
        a store, one of its scopes: what decide() checks before any allowlist."""
        found = self.scope_cache.get(key)
        if found is None:
            host, method, uri = key
            found = covers(self.rules.scope, method, uri, host) and (
                not self.rules.store
                or covering_scope(self.store, method, uri, host, self.now) is not None
            )
            if len(self.scope_cache) >= CACHE_LIMIT:
                self.scope_cache.clear()
            self.scope_cache[key] = found
        return found

    def _address(self, ip: str) -> Decision | None:
        network = matching_network(self.rules, ip)
        if network is not None:
            return Decision("pass", "allowed-ip", matched=network)
        if self.rules.store:
            stored = store_match(self.store, ip)
            if stored is not None:
                return Decision("pass", "store-ip", matched=stored)
        return None

    def _uri(self, uri: str) -> Decision | None:
        if not is_safe(uri):
            return None
        pattern = first_match(self.rules.paths, uri)
        return None if pattern is None else Decision("pass", "allowed-path", matched=pattern)


_MISSING: Any = object()


def _cached(
    cache: dict[str, Decision | None], key: str, compute: Callable[[str], Decision | None]
) -> Decision | None:
    found = cache.get(key, _MISSING)
    if found is _MISSING:
        found = compute(key)
        if len(cache) >= CACHE_LIMIT:
            cache.clear()
        cache[key] = found
    return cast("Decision | None", found)


def _request(
    ip: str, method: str, uri: str, query: str, cookie: str, host: str = ""
) -> ViewerRequest:
    return ViewerRequest(
        ip=ip,
        method=method,
        uri=uri,
        headers={"host": host} if host else {},
        querystring={k: v[0] for k, v in split_query(query).items()},
        cookies=dict(reversed(split_cookie_header(cookie))),
    )


def _network_key(key: str) -> str:
    """The JS side writes IPv6 /48s uncompressed; spell them as ipaddress does."""
    if ":" not in key:
        return key
    try:
        return str(ipaddress.ip_network(key, strict=False))
    except ValueError:
        return key


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
    """Replay log lines; ``sample`` K keeps every K-th data line, ``limit`` stops after N.

    V8 runs in a thread of its own: while it replays one block, this thread reads the next
    and attributes the passes of the one before (V8 does not hold the GIL), so on two
    cores the Python side costs little beyond the function itself. At most
    ``IN_FLIGHT`` blocks wait, so memory stays flat.
    """
    summary = ReplaySummary()
    now_ms = round(now.timestamp() * 1000)
    attribute = Attribution(rules, now, store) if rules is not None else None
    want_passes = attribute is not None
    waiting: deque[tuple[str, Future[dict[str, Any]]]] = deque()

    def settle() -> bool:
        """Take in the oldest block's result; whether the replay is over."""
        name, future = waiting.popleft()
        result = future.result()
        _merge(summary, name, result, attribute)
        if result["fieldsError"] is not None:
            number, missing = result["fieldsError"]
            raise LogError(f"{name}:{number}: the #Fields line lacks {missing}")
        if progress is not None:
            progress(summary.lines)
        return bool(result["done"])

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="cffunc-v8") as v8:
        try:
            table = scope_table(rules, store, now) if rules is not None else None
            v8.submit(
                runtime.replay_start,
                COUNTER_LIMIT,
                2**53 if limit is None else limit,
                None if table is None else json.dumps(table),
            )
            over = False
            for name, handle in _open_all(sources):
                v8.submit(runtime.replay_file)
                for text in _blocks(handle):
                    block = v8.submit(
                        runtime.replay_block, text, now_ms, want_passes, max(1, sample)
                    )
                    waiting.append((name, block))
                    while len(waiting) > IN_FLIGHT and not over:
                        over = settle()
                    if over:
                        break
                if over:
                    break
            while waiting and not over:
                over = settle()
            tally = v8.submit(runtime.replay_tally).result()
        finally:
            for _, future in waiting:
                future.cancel()
    summary.scopes = Counter(dict(tally["scopes"]))
    for cls in CLASSES:
        summary.counts[cls] = tally["counts"][cls]
        summary.paths[cls] = Counter(dict(tally["paths"][cls]))
        networks: Counter[str] = Counter()
        for key, count in tally["networks"][cls]:
            networks[_network_key(key)] += count
        summary.networks[cls] = networks
    return summary


def scope_table(
    rules: MaintenanceRules, store: Mapping[str, str] | None, now: datetime
) -> dict[str, Any] | None:
    """The scopes a maintenance line can fall in, in the function's order, for the counts
    per scope (shims/replay.js matches them as cffunc.scopes does); None when maintenance
    covers every request."""
    if not rules.store:
        if rules.scope.whole:
            return None
        return {"list": [_entry(rules.scope)], "exact": {}, "safe": SAFE_URI.pattern}
    state = parse_state((store or {}).get("cffunc:state"))
    entries: list[dict[str, Any]] = []
    exact: dict[str, dict[str, Any]] = {}
    if state is not None:
        if state.active(now):
            entries.append(_entry(state.scope()))
        entries += [_entry(w.scope((str(w.host),))) for w in state.wildcards if w.active(now)]
        for key, value in (store or {}).items() if state.hosts else ():
            scope = parse_host_scope(value) if key.startswith(HOST_PREFIX) else None
            if scope is not None and scope.active(now):
                host = key.removeprefix(HOST_PREFIX)
                exact[host] = _entry(scope.scope((host,)))
    return {"list": entries, "exact": exact, "safe": SAFE_URI.pattern}


def _entry(scope: Scope) -> dict[str, Any]:
    return {
        "label": scope.describe(),
        "hosts": list(scope.hosts) or None,
        "paths": patterns_source(scope.paths),
        "writes": scope.methods == "writes",
    }


def _open_all(sources: Iterable[str]) -> Iterator[tuple[str, IO[bytes]]]:
    for source in sources:
        yield from _open(source)


def _merge(
    summary: ReplaySummary, name: str, result: dict[str, Any], attribute: Attribution | None
) -> None:
    summary.lines += result["lines"]
    summary.malformed += result["malformed"]
    for number, note in result["malformedLines"]:
        if len(summary.malformed_lines) < SHOW_LINES:
            summary.malformed_lines.append(f"{name}:{number}" + (f" ({note})" if note else ""))
    for number, message in result["errors"]:
        if len(summary.errors) < SHOW_LINES:
            summary.errors.append(f"{name}:{number}: {message}")
    if attribute is None:
        return
    rules = summary.rules
    for ip, method, uri, query, cookie, host in result["passes"]:
        decision = attribute(ip, method, uri, query, cookie, host)
        if decision.action != "pass":
            summary.disagreements += 1
            continue
        rules[decision.rule + (f" {decision.matched}" if decision.matched else "")] += 1


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
    if summary.scopes:
        out.append(
            "maintenance by scope: "
            + ", ".join(f"{s} ({n:,})" for s, n in summary.scopes.most_common())
        )
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
