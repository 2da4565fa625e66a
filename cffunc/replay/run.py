"""Replay CloudFront standard access logs through the function: who passes, who gets the page.

Logs (plain or gzip, files, directories, or standard input) are read in blocks of whole
lines and handed to V8 as bytes, where each line becomes a viewer-request event and the
function's answer is counted (shims/replay.js keeps the #Fields map, line numbers and the
counts across blocks); memory stays flat whatever the log size. Passing requests come back
so the Python decision model can say which allowlist rule let them through.

The function runs once per distinct reading of a line: what it reads of an event
(:mod:`cffunc.function.reads`, derived from the rules that render it), with the viewer's
address reduced to its allowlist cell (:func:`cell_table`). Lines that agree on all of it
are the same input to the function, so its answer is reused for them; ``reuse=False``
runs it on every line, with the same summary (tests/test_replay.py compares the two).
"""

from __future__ import annotations

import bisect
import functools
import heapq
import ipaddress
import json
import multiprocessing
import os
import queue
import tempfile
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any, cast

from cffunc.config.load import IPNetwork, Runtime
from cffunc.deploy.awsclient import Connection
from cffunc.errors import CffuncError
from cffunc.function.decide import (
    DOTTED,
    Decision,
    ViewerRequest,
    address_ranges,
    decide,
    matching_network,
)
from cffunc.function.paths import SAFE_URI, first_match, is_safe, patterns_source
from cffunc.function.reads import event_reads
from cffunc.function.rules import MaintenanceRules
from cffunc.function.scopes import CANONICAL_HOST, Scope, covers, request_host
from cffunc.function.store_layout import (
    ANY_EXACT_HOST,
    HOST_PREFIX,
    NET_PREFIX,
    NOT_CANONICAL,
    TENANT_PREFIX,
    covering_scope,
    parse_host_scope,
    parse_networks,
    parse_state,
    store_match,
)
from cffunc.function.templates import regex_parts
from cffunc.function.tenants import Tenant
from cffunc.replay.sources import (
    CLASSIC_FIELDS,
    LogError,
    LogText,
    Window,
    locate,
    open_one,
    open_sources,
)
from cffunc.runtime import FunctionRuntime
from cffunc.runtime.edge import CONNECTION_GROUP_DOMAIN
from cffunc.runtime.engine import RuntimeFailure, start_v8
from cffunc.runtime.events import split_cookie_header, split_query
from cffunc.runtime.local_store import KeyValueData
from cffunc.terminal import shown
from cffunc.words import count as counted

CLASSES = ("pass", "maintenance", "redirect", "error")
CACHE_LIMIT = 50_000
IN_FLIGHT = 2
WINDOW = 8
"""Blocks per worker that may finish ahead of the oldest unmerged one."""
TOP = 10
COUNTER_LIMIT = 50_000
"""Distinct paths or networks a worker's V8 holds per class; a list that fills up is
added up on disk (Spill), so a log of millions of distinct paths replays in flat memory
and every count stays exact."""
SPILL_PARTS = 64
KEPT = 100
"""Keys kept per list after an exact merge of spilled counts: more than any list shows."""
SHOW_LINES = 10
EVERY_WORKER = False
"""Hold the first block until every worker process has started, so that each takes part
whatever the log's length (tests of the merge across processes set it)."""
GRPC_NOTE = (
    "CloudFront Functions run on gRPC requests, so these get the function's answer, but a "
    "gRPC client cannot show the maintenance page or read its JSON: it sees only the status"
)
"""DeveloperGuide/distribution-using-grpc.html: "CloudFront gRPC supports CloudFront
Functions"; CloudFront tells gRPC by Content-Type application/grpc, which standard logs do
not record: their cs-protocol says grpcs (standard-logs-reference.html)."""


def _by_class() -> dict[str, Counter[str]]:
    return {c: Counter() for c in CLASSES}


@dataclass
class ReplaySummary:
    lines: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    paths: dict[str, Counter[str]] = field(default_factory=_by_class)
    networks: dict[str, Counter[str]] = field(default_factory=_by_class)
    forwarded: dict[str, Counter[str]] = field(default_factory=_by_class)
    """The networks of the viewers behind proxies (x-forwarded-for's first address)."""
    tenants: dict[str, Counter[str]] = field(default_factory=_by_class)
    """Lines per distribution tenant (distribution-tenant-id; "-" for none)."""
    grpc: Counter[str] = field(default_factory=Counter)
    """gRPC lines (cs-protocol grpcs) per class."""
    closed: Counter[str] = field(default_factory=Counter)
    """Lines of status 000 (the viewer closed the connection before the answer) per class."""
    proxied: Counter[str] = field(default_factory=Counter)
    """Lines with an x-forwarded-for per class (the function sees c-ip, the proxy)."""
    unreadable_forwarded: int = 0
    extra_fields: int = 0
    """Lines with fields after the classic 33 their #Fields line names (not read)."""
    explained: list[dict[str, Any]] = field(default_factory=list)
    rules: Counter[str] = field(default_factory=Counter)
    scopes: Counter[str] = field(default_factory=Counter)
    """Maintenance lines per scope (when the config or the store narrows maintenance)."""
    timeline: dict[str, list[int]] = field(default_factory=dict)
    """Requests per five minutes (``YYYY-MM-DDTHH:MM``, UTC), counts in CLASSES order."""
    malformed: int = 0
    malformed_lines: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    disagreements: int = 0

    @property
    def replayed(self) -> int:
        return sum(self.counts.values())

    def by_tenant(self) -> list[dict[str, Any]]:
        """Lines per distribution tenant and class, the busiest first; empty when the
        logs name no tenant."""
        names = set().union(*(self.tenants[c] for c in CLASSES)) - {"-"}
        if not names:
            return []
        rows = [
            {"tenant": name, **{c: self.tenants[c][name] for c in CLASSES}}
            for name in sorted(names | {"-"} if self.tenants_without() else names)
        ]
        return sorted(rows, key=lambda row: (-sum(row[c] for c in CLASSES), row["tenant"]))

    def tenants_without(self) -> int:
        return sum(self.tenants[c]["-"] for c in CLASSES)

    def as_json(self) -> dict[str, Any]:
        total = self.replayed
        return {
            "lines": self.lines,
            "replayed": total,
            "classes": {
                c: {
                    "count": self.counts[c],
                    "share": round(self.counts[c] / total, 4) if total else 0.0,
                    "top_paths": top(self.paths[c], TOP),
                    "top_networks": top(self.networks[c], TOP),
                }
                for c in CLASSES
            },
            "pass_rules": top(self.rules),
            "maintenance_by_scope": top(self.scopes),
            "grpc": {**_split(self.grpc), "note": GRPC_NOTE},
            "status_000": _split(self.closed),
            "x_forwarded_for": {
                **_split(self.proxied),
                "unreadable": self.unreadable_forwarded,
                "top_viewer_networks": {c: top(self.forwarded[c], TOP) for c in CLASSES},
            },
            "fields_after_the_classic_33": self.extra_fields,
            "by_tenant": self.by_tenant(),
            "explained": self.explained,
            "malformed": {"count": self.malformed, "first": self.malformed_lines},
            "function_errors": self.errors,
            "model_disagreements": self.disagreements,
        }


def top(counts: Counter[str], n: int | None = None) -> list[tuple[str, int]]:
    """The most frequent keys, ties in key order: the same whatever order the counts
    were merged in (``most_common`` keeps insertion order for ties). A heap for the top
    ``n``: a replay may count hundreds of thousands of networks."""
    if n is None:
        return sorted(counts.items(), key=_rank)
    return heapq.nsmallest(n, counts.items(), key=_rank)


def _rank(item: tuple[str, int]) -> tuple[int, str]:
    return -item[1], item[0]


def _split(counts: Counter[str]) -> dict[str, Any]:
    return {"count": sum(counts.values()), "classes": {c: counts[c] for c in CLASSES}}


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
        self.blocks: dict[str, Decision | None] = {}
        """By /24 ("a.b.c"), for the /24s no allowlisted network splits: every address
        of such a /24 has the same answer (replayed logs have many addresses apiece)."""
        self.split = frozenset(
            str(n.network_address).rsplit(".", 1)[0]
            for n in _allowlisted(rules, store)
            if n.version == 4 and n.prefixlen > 24
        )
        self.uris: dict[str, Decision | None] = {}
        self.scoped = rules.store or not rules.scope.whole
        self.scope_cache: dict[tuple[str | None, str, str, str | None], bool] = {}

    def __call__(
        self,
        ip: str,
        method: str,
        uri: str,
        query: str,
        cookie: str,
        host: str = "",
        outside: bool = False,
        tenant: str | None = None,
    ) -> Decision:
        """``outside``: shims/replay.js already found the address in none of the
        allowlist's ranges (see :meth:`for_v8`); ``tenant``: the distribution tenant's id
        (None: a standard distribution's request)."""
        if self.fixed is not None:
            return self.fixed
        rules = self.rules
        bypass = rules.bypass
        through = None if tenant is None else Tenant(tenant)
        if bypass is not None and (
            (method == "GET" and uri == bypass.path) or bypass.cookie in cookie
        ):
            request = _request(ip, method, uri, query, cookie, host, tenant)
            return decide(rules, request, self.now, self.store, tenant=through)
        if self.scoped and not self._inside((request_host(host), method, uri, tenant)):
            return Decision("pass", "outside-scope")
        found = None if outside else self.addresses.get(ip, _MISSING)
        if found is _MISSING:
            found = self._address_or_block(ip)
            _remember(self.addresses, ip, found)
        if found is None:
            found = _cached(self.uris, uri, self._uri)
        if found is not None:
            return found
        request = _request(ip, method, uri, query, cookie, host, tenant)
        return decide(rules, request, self.now, self.store, tenant=through)

    def for_v8(self) -> dict[str, Any] | None:
        """What shims/replay.js needs to name the rule of the commonest passing lines
        itself, sparing their trip here: the bypass's cookie and path (a line that may
        involve the bypass comes here, as :meth:`__call__` sends it to decide()), beside
        the labels of :meth:`labels` in the cell table. None when maintenance is scoped or
        fixed: then every passing line comes here."""
        if self.fixed is not None or self.scoped:
            return None
        bypass = self.rules.bypass
        return {
            "cookie": None if bypass is None else bypass.cookie,
            "path": None if bypass is None else bypass.path,
        }

    def label(self, version: int, value: int) -> str | None:
        """The rule that lets an allowlisted address through as :meth:`_address` names
        it, None outside the config's allowlist."""
        starts, labels = address_ranges(self.rules, version)
        label = labels[bisect.bisect_right(starts, value) - 1]
        return None if label is None else f"allowed-ip {label}"

    def _inside(self, key: tuple[str | None, str, str, str | None]) -> bool:
        """Whether a (normalised host or None when not canonical, method, URI, tenant id
        or None) is inside the config's scope and, with a store, one of its scopes: what
        decide() checks before any allowlist."""
        found = self.scope_cache.get(key)
        if found is None:
            host, method, uri, tenant = key
            found = covers(self.rules.scope, method, uri, host, tenant) and (
                not self.rules.store
                or covering_scope(
                    self.store, method, uri, host, self.now, tenant, self.rules.tenant_scopes
                )
                is not None
            )
            if len(self.scope_cache) >= CACHE_LIMIT:
                self.scope_cache.clear()
            self.scope_cache[key] = found
        return found

    def _address_or_block(self, ip: str) -> Decision | None:
        block, _, last = ip.rpartition(".")
        if not DOTTED.fullmatch(ip) or int(last) > 255 or block in self.split:
            return self._address(ip)
        found = self.blocks.get(block, _MISSING)
        if found is _MISSING:
            found = self._address(ip)
            _remember(self.blocks, block, found)
        return cast("Decision | None", found)

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
        _remember(cache, key, found)
    return cast("Decision | None", found)


def _remember(cache: dict[str, Decision | None], key: str, found: Decision | None) -> None:
    if len(cache) >= CACHE_LIMIT:
        cache.clear()
    cache[key] = found


def _request(
    ip: str,
    method: str,
    uri: str,
    query: str,
    cookie: str,
    host: str = "",
    tenant: str | None = None,
) -> ViewerRequest:
    """The request of a log line (``tenant``: its distribution-tenant-id, which makes it an
    event of a multi-tenant distribution, with a ``context.endpoint``)."""
    return ViewerRequest(
        ip=ip,
        method=method,
        uri=uri,
        headers={"host": host} if host else {},
        querystring={k: v[0] for k, v in split_query(query).items()},
        cookies=dict(reversed(split_cookie_header(cookie))),
        endpoint=None if tenant is None else CONNECTION_GROUP_DOMAIN,
    )


@dataclass(frozen=True)
class _Setup:
    """What a worker needs to replay blocks: picklable, so a worker process can build its
    own V8 from it."""

    code: str
    runtime: Runtime
    kvs: KeyValueData | None
    rules: MaintenanceRules | None
    now: datetime
    store: dict[str, str] | None
    scopes: str | None
    sample: int
    grouping: NetworkGrouping
    spill: str | None = None
    """The directory full lists are added up in; None: lists are never handed over (a
    Dask task: one log object)."""
    keep: int = COUNTER_LIMIT
    """Keys a list holds before it is handed over."""
    reads: dict[str, Any] | None = None
    """What the function reads of an event (EventReads.as_js); None: not known (code
    other than cffunc's own)."""
    reuse: bool = True
    """Reuse a decision for lines that agree on the reading, else run every line."""
    cells: dict[str, Any] | None = None
    """The allowlist's cells (cell_table), with the grouping of client networks."""
    explain: int = 0
    """Lines to report with their event and the function's answer."""


@dataclass(frozen=True)
class NetworkGrouping:
    """Client networks are counted by /24 (IPv4) and /48 (IPv6), except where the
    allowlist draws finer lines: there, by its networks, and the rest of the /24 or /48
    apart, so a /25 allowlist is not reported as one /24 on both sides."""

    fine: tuple[IPNetwork, ...] = ()

    @staticmethod
    def of(networks: Iterable[IPNetwork]) -> NetworkGrouping:
        finer = (n for n in networks if n.prefixlen > COARSE[n.version])
        return NetworkGrouping(tuple(sorted(set(finer), key=_order)))


COARSE = {4: 24, 6: 48}
V6_KEYS = 1 << 24
"""shims/replay.js counts a /48 under this plus its 48 bits (a /24 under its number)."""


def _order(network: IPNetwork) -> tuple[int, int, int]:
    return network.version, int(network.network_address), network.prefixlen


def _groups(value: int) -> list[int]:
    """An IPv6 address as its eight 16-bit groups."""
    return [(value >> (112 - 16 * i)) & 0xFFFF for i in range(8)]


def cell_table(
    networks: Iterable[IPNetwork],
    grouping: NetworkGrouping,
    label: Callable[[int, int], str | None] | None = None,
) -> dict[str, Any]:
    """The allowlist's cells for shims/replay.js: the address space of each version cut
    at both ends of every network the function matches addresses against (``networks``:
    EventReads.networks), and of the networks the client networks are grouped by.

    Range ``i`` starts at ``starts[i]`` (IPv6 as eight groups, flattened). ``cells[i]`` is
    the innermost network holding it (-1: none): networks either nest or do not meet, so
    every address of a range is held by the same networks, those holding the innermost
    one, and the function's answer depends on an address only through which networks
    hold it, so a cell stands for the address in a reading. ``nets[i]``: the client
    network an address there is counted under, where the allowlist draws lines finer than
    a /24 or /48 (:class:`NetworkGrouping`), else None (its /24 or /48). ``labels[i]``: the
    rule a pass there is put down to (``label(version, address)``), or None."""
    out: dict[str, Any] = {}
    for version in (4, 6):
        held = sorted(
            {n for n in networks if n.version == version},
            key=lambda n: (int(n.network_address), n.prefixlen),
        )
        fine = [n for n in grouping.fine if n.version == version]
        family = ipaddress.IPv4Network if version == 4 else ipaddress.IPv6Network
        coarse = {n.supernet(new_prefix=COARSE[version]) for n in fine}
        points = {0}
        for network in (*held, *fine, *coarse):
            points.add(int(network.network_address))
            points.add(int(network.broadcast_address) + 1)
        starts = sorted(p for p in points if p < 1 << (32 if version == 4 else 128))
        inside: dict[IPNetwork, list[str]] = {}
        for network in fine:  # in order: the label lists them as the grouping does
            inside.setdefault(network.supernet(new_prefix=COARSE[version]), []).append(str(network))
        outside = {c: f"{c} outside {', '.join(names)}" for c, names in inside.items()}
        groups = _holding(fine, starts, innermost=False)
        nets: list[str | None] = []
        for start, group in zip(starts, groups, strict=True):
            if group >= 0:
                nets.append(str(fine[group]))
                continue
            around = family((start, COARSE[version]), strict=False)
            nets.append(outside.get(around))
        name = str(version)
        out["starts" + name] = (
            starts if version == 4 else [g for start in starts for g in _groups(start)]
        )
        out["cells" + name] = _holding(held, starts, innermost=True)
        out["nets" + name] = nets
        out["labels" + name] = [None if label is None else label(version, s) for s in starts]
    return out


def _holding(networks: list[IPNetwork], starts: list[int], innermost: bool) -> list[int]:
    """For each address of ``starts`` (rising), the index in ``networks`` (sorted by
    first address, wider first) of the innermost (else outermost) network holding it, -1
    for none: one sweep, the networks holding the address kept as a stack (they nest)."""
    spans = [(int(n.network_address), int(n.broadcast_address)) for n in networks]
    out: list[int] = []
    stack: list[int] = []
    following = 0
    for start in starts:
        while following < len(spans) and spans[following][0] <= start:
            while stack and spans[stack[-1]][1] < spans[following][0]:
                stack.pop()
            stack.append(following)
            following += 1
        while stack and spans[stack[-1]][1] < start:
            stack.pop()
        out.append((stack[-1] if innermost else stack[0]) if stack else -1)
    return out


@dataclass(frozen=True)
class _Block:
    seq: int
    name: str
    file: int
    """The file's place among the replay's files (two may have one name)."""
    data: bytes
    """Whole lines (see cffunc.replay.sources)."""
    fields: str | None
    """The #Fields line in effect where the block starts (None before any)."""
    seen: int
    """Data lines of the file before the block."""
    budget: int


class Spill:
    """The counts a worker's V8 handed over (a list that filled up), kept on disk: files
    per list, partition of the keys and process: ``.jsonl`` for text keys (a line per
    hand-over) and ``.bin`` for the client networks V8 counts by number ([key, count]
    pairs of doubles, in this machine's byte order: the files never leave it).
    :func:`merge_parts` adds them up a partition at a time, so no process ever holds
    more than a partition's keys, and the top lists are exact whatever --jobs."""

    def __init__(self, directory: str) -> None:
        self.directory = Path(directory)

    def write(self, spilled: list[list[Any]], runtime: FunctionRuntime) -> None:
        """``spilled``: [kind, class, hand-over] of the lists V8 handed over: each
        partition's text keys as JSON, and the index of its number keys in V8 (read
        from ``runtime``) with the offsets of the partitions (V8 partitioned the keys)."""
        pid = os.getpid()
        for kind, cls, handed in spilled:
            for part, text in enumerate(handed["text"]):
                if text:
                    name = f"{kind}-{cls}-{part}-{pid}.jsonl"
                    with (self.directory / name).open("a", encoding="utf-8") as handle:
                        handle.write(text + "\n")
            offsets = handed["offsets"]
            if offsets[-1] == 0:
                continue
            numbers = runtime.replay_handed(handed["binary"])
            try:
                for part in range(SPILL_PARTS):
                    start, end = offsets[part] * 8, offsets[part + 1] * 8
                    if end > start:
                        with (self.directory / f"{kind}-{cls}-{part}-{pid}.bin").open("ab") as out:
                            out.write(numbers[start:end])
            finally:
                numbers.release()

    def files(self) -> dict[str, dict[int, list[Path]]]:
        """Every worker's files, by list ("kind class") and partition."""
        out: dict[str, dict[int, list[Path]]] = {}
        for path in sorted([*self.directory.glob("*.jsonl"), *self.directory.glob("*.bin")]):
            kind, cls, part, _ = path.stem.split("-")
            out.setdefault(f"{kind} {cls}", {}).setdefault(int(part), []).append(path)
        return out

    def names(self) -> list[str]:
        """The lists ("kind class") some worker handed over."""
        return sorted(self.files())


Merged = dict[str, list[tuple[str, int]]]
"""For each handed-over list ("kind class"), its most frequent keys over some partitions."""


def merge_parts(runtime: FunctionRuntime, spill: Spill, parts: Sequence[int]) -> Merged:
    """Add up these partitions of the handed-over lists (all of their counts are on disk:
    the workers' tallies handed over the rest of them) one at a time, in ``runtime``'s V8
    (several times faster than a Counter here): each list's ``KEPT`` most frequent keys
    over them, exact."""
    out: Merged = {}
    for name, by_part in sorted(spill.files().items()):
        best: list[tuple[str, int]] = []
        for part in parts:
            files = by_part.get(part, [])
            text = "".join(p.read_text(encoding="utf-8") for p in files if p.suffix == ".jsonl")
            numbers = b"".join(p.read_bytes() for p in files if p.suffix == ".bin")
            best = [(key, n) for key, n in runtime.replay_merge(text, numbers, best, KEPT)]
        out[name] = best
    return out


def _add_merged(summary: ReplaySummary, merged: Sequence[Merged]) -> None:
    """The handed-over lists, from the workers' shares of the partitions: each list's
    ``KEPT`` most frequent keys (a partition's keys are all in one share, so the best of
    the shares' best are the best)."""
    for name in sorted(set().union(*merged)):
        kind, cls = name.split(" ")
        counter = summary.scopes if kind == "scopes" else getattr(summary, kind)[cls]
        found = [item for share in merged for item in share.get(name, [])]
        counter.update(dict(heapq.nsmallest(KEPT, found, key=_rank)))


class _Worker:
    """One V8 replaying blocks; its counts stay in V8 until :meth:`tally`."""

    def __init__(self, setup: _Setup, runtime: FunctionRuntime | None = None) -> None:
        self.setup = setup
        self.runtime = runtime or FunctionRuntime(
            setup.code, setup.runtime, kvs=setup.kvs, trusted=True
        )
        rules = setup.rules
        self.attribute = Attribution(rules, setup.now, setup.store) if rules else None
        self.spill = Spill(setup.spill) if setup.spill else None
        self.reset()
        self.now_ms = round(setup.now.timestamp() * 1000)

    def reset(self) -> None:
        """Empty counts for another replay."""
        setup = self.setup
        here = None if self.attribute is None else self.attribute.for_v8()
        keep = setup.keep if self.spill else 2**53
        self.runtime.replay_start(
            keep, 2**53, setup.scopes, here, setup.cells, setup.reads, setup.reuse,
            " ".join(CLASSIC_FIELDS),
        )  # fmt: skip

    def run(self, block: _Block) -> dict[str, Any]:
        # Lines are numbered from the block's start; _merge adds the lines before it.
        self.runtime.replay_seek(block.fields, 0, block.seen, block.budget)
        result = self.runtime.replay_block(
            block.data, self.now_ms, self.attribute is not None, self.setup.sample,
            self.setup.explain,
        )  # fmt: skip
        spilled = result.pop("spill")
        if spilled and self.spill is not None:
            self.spill.write(spilled, self.runtime)
        rules: Counter[str] = Counter(result.pop("rules"))
        disagreements = 0
        if self.attribute is not None:
            # [count, ip, method, uri, query, cookie, host, tenant] for a reading's passes;
            # those V8 found outside the allowlist with no bypass, one per URI.
            passes = [(*p, False) for p in result.pop("passes")]
            passes += [(*p, True) for p in result.pop("outside")]
            for count, ip, method, uri, query, cookie, host, tenant, outside in passes:
                decision = self.attribute(ip, method, uri, query, cookie, host, outside, tenant)
                if decision.action != "pass":
                    disagreements += count
                    continue
                rules[decision.rule + (f" {decision.matched}" if decision.matched else "")] += count
        result["rules"] = rules
        result["disagreements"] = disagreements
        return result

    def tally(self, spilled: Sequence[str] = ()) -> dict[str, Any]:
        """The counts; those of the lists in ``spilled`` (some worker handed them over)
        go to disk with the rest."""
        tally = self.runtime.replay_tally(list(spilled))
        if self.spill is not None:
            self.spill.write(tally.pop("spill"), self.runtime)
        return tally


def _serve(tasks: Any, results: Any) -> None:
    """A worker process: it starts V8 while the caller renders the function, then gets
    the setup; blocks in, results out; the names of the lists some worker handed over
    in, its counts out; then its share of the partitions to add up in, their best out."""
    try:
        start_v8()
        setup, index = tasks.get()
        worker = _Worker(setup)
        results.put(("started", index))
        while isinstance(block := tasks.get(), _Block):
            results.put((block.seq, worker.run(block)))
        results.put(("tally", worker.tally(block)))
        share = tasks.get()
        if share is not None and worker.spill is not None:
            merged = merge_parts(worker.runtime, worker.spill, share)
            results.put(("merged", merged))
    except BaseException as error:  # reported by the parent as one line
        results.put(("failed", f"{type(error).__name__}: {error}"))


class Workers:
    """The worker processes of a replay, started before the function is rendered (each
    takes about half a second to import and start V8); :class:`_Pool` hands them the
    setup. Close them when the replay is over (or never happened)."""

    def __init__(self, count: int) -> None:
        context = multiprocessing.get_context("spawn")
        # Without workers no process needs the queue: a multiprocessing one would start
        # the resource tracker, a process, for every replay on one core.
        self.results: Any = context.Queue() if count else queue.SimpleQueue()
        self.processes: list[Any] = []
        self.queues: list[Any] = []
        for _ in range(count):
            tasks = context.Queue()
            process = context.Process(target=_serve, args=(tasks, self.results))
            process.daemon = True
            process.start()
            self.processes.append(process)
            self.queues.append(tasks)

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        for process in self.processes:
            if process.is_alive():
                process.terminate()
            process.join(timeout=5)


class _Pool:
    """``jobs`` workers: the caller's V8 in a thread (so that reading the next block
    overlaps it), the others each a process with a V8 of its own. A block goes to a worker
    as soon as it has started (a process says so once its V8 is ready: a block waiting in
    a process still starting would hold up the merge) and has fewer than ``IN_FLIGHT``
    blocks to do; results are merged in block order (up to ``WINDOW`` blocks may finish
    ahead of the oldest), so the summary does not depend on which worker ran what. A
    process that got no block (a short log) takes no part in the counts either."""

    def __init__(
        self, runtime: FunctionRuntime, setup: _Setup, jobs: int, workers: Workers | None
    ) -> None:
        self.owned = workers is None or len(workers.processes) != jobs - 1
        if workers is None or self.owned:
            workers = Workers(jobs - 1)
        self.workers = workers
        self.results = self.workers.results
        self.processes = self.workers.processes
        self.queues = self.workers.queues
        for index, tasks in enumerate(self.queues, start=1):
            tasks.put((setup, index))
        self.started = {0}
        """The workers ready for blocks (0: this process's, from the start)."""
        self.used: set[int] = set()
        """The processes that got a block: those take part in the counts."""
        self.local = _Worker(setup, runtime)
        self.thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cffunc-v8")
        # Every result reaches this one queue: the local worker's from its thread, the
        # processes' through a thread that forwards their queue.
        self.finished: queue.SimpleQueue[tuple[Any, Any]] = queue.SimpleQueue()
        self.forwarder = threading.Thread(target=self._forward, daemon=True)
        if self.processes:
            self.forwarder.start()
        self.busy = [0] * jobs
        self.owner: dict[int, int] = {}
        self.ready: dict[int, dict[str, Any]] = {}
        self.futures: list[Future[dict[str, Any]]] = []

    def idle(self) -> int | None:
        """A worker with room for another block, the least busy first; None if none."""
        if EVERY_WORKER and len(self.started) < len(self.busy):
            return None
        index = min(self.started, key=lambda i: (self.busy[i], i))
        return index if self.busy[index] < IN_FLIGHT else None

    def submit(self, block: _Block, index: int) -> None:
        self.busy[index] += 1
        self.owner[block.seq] = index
        if index:
            self.used.add(index)
        if index == 0:
            future = self.thread.submit(self.local.run, block)
            future.add_done_callback(functools.partial(self._finished, block.seq))
            self.futures.append(future)
        else:
            self.queues[index - 1].put(block)

    def _finished(self, seq: int, future: Future[dict[str, Any]]) -> None:
        self.finished.put((seq, future))

    def _forward(self) -> None:
        while (item := self.results.get()) is not None:
            if item[0] == "started":
                self.started = self.started | {item[1]}
            self.finished.put(item)

    def _next(self) -> tuple[Any, Any]:
        """The next finished item, a worker's failure raised, a dead worker noticed."""
        while True:
            try:
                key, value = self.finished.get(timeout=0.5)
            except queue.Empty:
                self._check_alive()
                continue
            if key == "failed":
                raise RuntimeFailure(f"a replay worker failed: {value}")
            return key, value

    def wait(self) -> None:
        """Until at least one more block has finished, or a worker process has started."""
        key, value = self._next()
        if key != "started":
            self._done(key, value.result() if isinstance(value, Future) else value)

    def pop(self, seq: int) -> dict[str, Any] | None:
        return self.ready.pop(seq, None)

    def _done(self, seq: int, result: dict[str, Any]) -> None:
        self.busy[self.owner.pop(seq)] -= 1
        self.ready[seq] = result

    def _check_alive(self) -> None:
        for process in self.processes:
            if not process.is_alive() and process.exitcode not in (0, None):
                raise RuntimeFailure(
                    f"a replay worker ended with exit code {process.exitcode} "
                    "(out of memory?); try fewer --jobs"
                )

    def tallies(self) -> tuple[list[dict[str, Any]], list[str]]:
        """Every worker's counts, and the lists some worker handed over."""
        spill = self.local.spill
        spilled = [] if spill is None else spill.names()
        for index in sorted(self.used):  # first: the processes hand over while this one does
            self.queues[index - 1].put(spilled)
        local = self.thread.submit(self.local.tally, spilled).result()
        return [local, *self._collect("tally")], spilled

    def merge(self, spilled: list[str]) -> list[Merged]:
        """The handed-over lists added up, the partitions shared out among the workers
        (after :meth:`tallies`, which names them)."""
        spill = self.local.spill
        used = sorted(self.used)
        if spill is None or not spilled:
            for index in used:
                self.queues[index - 1].put(None)
            return []
        count = len(used) + 1
        for share, index in enumerate(used, start=1):
            self.queues[index - 1].put(list(range(share, SPILL_PARTS, count)))
        mine = range(0, SPILL_PARTS, count)
        local = self.thread.submit(merge_parts, self.local.runtime, spill, mine).result()
        return [local, *self._collect("merged")]

    def _collect(self, key: str) -> list[Any]:
        """One item of this key from each worker process that took part."""
        out: list[Any] = []
        while len(out) < len(self.used):
            found, value = self._next()
            if found == key:
                out.append(value)
        return out

    def close(self) -> None:
        for future in self.futures:
            future.cancel()
        self.thread.shutdown(wait=True, cancel_futures=True)
        if self.forwarder.is_alive():
            self.results.put(None)
            self.forwarder.join(timeout=5)
        if self.owned:
            self.workers.close()


def _setup(
    runtime: FunctionRuntime,
    rules: MaintenanceRules | None,
    now: datetime,
    store: dict[str, str] | None,
    sample: int,
    reuse: bool = True,
    explain: int = 0,
) -> _Setup:
    """``reuse``: reuse a decision for lines the function cannot tell apart (only for
    cffunc's own function, whose reading the rules say; foreign code runs every line)."""
    table = scope_table(rules, store, now) if rules is not None else None
    reads = event_reads(rules, store) if rules is not None else None
    attribution = Attribution(rules, now, store) if rules is not None else None
    label = attribution.label if attribution is not None and attribution.for_v8() else None
    grouping = NetworkGrouping.of(_allowlisted(rules, store))
    return _Setup(
        runtime.code, runtime.runtime, runtime.kvs, rules, now, store,
        None if table is None else json.dumps(table), max(1, sample), grouping,
        reads=reads.as_js() if reads is not None else None,
        reuse=reuse and reads is not None,
        cells=cell_table(reads.networks if reads is not None else (), grouping, label),
        explain=max(0, explain),
    )  # fmt: skip


def replay(
    runtime: FunctionRuntime,
    rules: MaintenanceRules | None,
    sources: Iterable[str],
    now: datetime,
    limit: int | None = None,
    sample: int = 1,
    progress: Callable[[int], None] | None = None,
    store: dict[str, str] | None = None,
    jobs: int = 1,
    window: Window | None = None,
    fields: Sequence[str] | None = None,
    s3: Any = None,
    workers: Workers | None = None,
    reuse: bool = True,
    explain: int = 0,
) -> ReplaySummary:
    """Replay log lines; ``sample`` K keeps every K-th data line, ``limit`` stops after N,
    ``jobs`` workers each run their own V8 (``runtime`` is one of them; ``workers``: the
    other ``jobs - 1``, if the caller started them already). ``reuse``: run the function
    once per distinct reading (see the module's docstring), else on every line;
    ``explain``: report the first N replayed lines with their event and answer.

    This thread reads the logs in blocks of whole lines and hands them out; at most
    ``IN_FLIGHT`` blocks per worker wait, so memory stays flat. Results are merged in block
    order and the counts summed, so the summary is the same whatever ``jobs``.
    """
    spilled = tempfile.TemporaryDirectory(prefix="cffunc-replay-")
    setup = replace(
        _setup(runtime, rules, now, store, sample, reuse, explain),
        spill=spilled.name,
        keep=COUNTER_LIMIT,
    )
    summary = ReplaySummary()
    with spilled:
        _replay_blocks(
            summary, runtime, setup, sources, limit, progress, jobs, window, fields, s3, workers
        )
    return summary


def _replay_blocks(
    summary: ReplaySummary,
    runtime: FunctionRuntime,
    setup: _Setup,
    sources: Iterable[str],
    limit: int | None,
    progress: Callable[[int], None] | None,
    jobs: int,
    window: Window | None,
    fields: Sequence[str] | None,
    s3: Any,
    workers: Workers | None,
) -> None:
    sample = setup.sample
    pool = _Pool(runtime, setup, max(1, jobs), workers)
    try:
        sent = merged = 0
        names: dict[int, tuple[str, int]] = {}
        before: dict[int, int] = {}
        """Lines of each file before the next block to merge (they number the lines)."""

        def settle() -> bool:
            """Merge the finished blocks that come next in order; whether it is over."""
            nonlocal merged
            while (result := pool.pop(merged)) is not None:
                name, file = names.pop(merged)
                merged += 1
                lines = before.get(file, 0)
                before[file] = lines + result["lineCount"]
                _merge(summary, name, result, setup.explain, lines)
                if result["fieldsError"] is not None:
                    raise _fields_error(name, lines, *result["fieldsError"])
                if progress is not None:
                    progress(summary.lines)
                if result["done"]:
                    return True
            return False

        over = False
        budget = 2**53 if limit is None else limit
        blocks = _plan_blocks(
            open_sources(sources, window or Window(), fields, s3),
            budget,
            limit is not None or sample > 1,
        )
        for block in blocks:
            names[block.seq] = (block.name, block.file)
            index = pool.idle()
            while index is None or sent - merged >= WINDOW * len(pool.busy):
                pool.wait()
                if over := settle():
                    break
                index = pool.idle()
            if over or index is None:
                break
            pool.submit(block, index)
            sent += 1
            over = settle()
            if over:
                break
        while merged < sent and not over:
            pool.wait()
            over = settle()
        tallies, spilled = pool.tallies()
        shares = pool.merge(spilled)
    finally:
        pool.close()
    for tally in tallies:
        _add_tally(summary, tally)
    _add_merged(summary, shares)


def replay_dask(
    address: str,
    runtime: FunctionRuntime,
    rules: MaintenanceRules | None,
    sources: Iterable[str],
    now: datetime,
    sample: int = 1,
    store: dict[str, str] | None = None,
    window: Window | None = None,
    fields: Sequence[str] | None = None,
    s3: Any = None,
    s3_config: Connection | None = None,
    reuse: bool = True,
    explain: int = 0,
) -> ReplaySummary:
    """The replay on an existing Dask cluster: one task per log file or object, each
    replayed by the worker with a V8 of its own, the partial summaries merged here in the
    order of the objects (so the summary is the local one). ``s3_config``: the profile,
    region and endpoint the workers' S3 clients use."""
    try:
        from distributed import Client
    except ImportError:
        raise CffuncError("--dask needs Dask: pip install 'cffunc[dask]'") from None
    locators = locate(sources, window or Window(), s3)
    setup = _setup(runtime, rules, now, store, sample, reuse, explain)
    try:
        client = Client(address, timeout=30)
    except (OSError, TimeoutError) as error:
        raise CffuncError(f"--dask {address}: cannot reach the scheduler: {error}") from None
    try:
        futures = client.map(
            _replay_object, locators, setup=setup, fields=fields,
            s3_config=s3_config or Connection(), pure=False,
        )  # fmt: skip
        parts = client.gather(futures)
    finally:
        client.close()
    summary = ReplaySummary()
    for part in parts:
        _combine(summary, part)
    summary.explained = summary.explained[: setup.explain]
    return summary


_WORKERS: dict[int, _Worker] = {}


def _replay_object(
    locator: str,
    setup: _Setup,
    fields: Sequence[str] | None,
    s3_config: Connection,
) -> ReplaySummary:
    """One Dask task: a whole log file or object, by this worker process's V8 (kept
    between tasks of the same replay)."""
    key = hash((setup.code, setup.runtime, setup.now, setup.scopes))
    worker = _WORKERS.get(key)
    if worker is None or worker.setup != setup:
        _WORKERS.clear()
        worker = _WORKERS[key] = _Worker(setup)
    else:
        worker.reset()
    s3 = None
    if locator.startswith("s3://"):
        from cffunc.deploy.awsclient import s3_client

        s3 = s3_client(s3_config)
    summary = ReplaySummary()
    lines = 0
    with open_one(locator, fields, s3) as log:
        for block in _plan_blocks([(locator, log)], 2**53, setup.sample > 1):
            result = worker.run(block)
            _merge(summary, locator, result, setup.explain, lines)
            if result["fieldsError"] is not None:
                raise _fields_error(locator, lines, *result["fieldsError"])
            lines += result["lineCount"]
    _add_tally(summary, worker.tally())
    return summary


def _fields_error(name: str, before: int, number: int, missing: str) -> LogError:
    why = (
        " (the function reads the distribution tenant, for tenant scopes: replay needs logs "
        "that name it)"
        if "distribution-tenant-id" in missing
        else ""
    )
    return LogError(f"{name}:{before + number}: the #Fields line lacks {missing}{why}")


def _combine(summary: ReplaySummary, part: ReplaySummary) -> None:
    summary.lines += part.lines
    summary.malformed += part.malformed
    summary.malformed_lines += part.malformed_lines[: SHOW_LINES - len(summary.malformed_lines)]
    summary.errors += part.errors[: SHOW_LINES - len(summary.errors)]
    summary.disagreements += part.disagreements
    summary.counts.update(part.counts)
    summary.rules.update(part.rules)
    summary.scopes.update(part.scopes)
    summary.grpc.update(part.grpc)
    summary.closed.update(part.closed)
    summary.proxied.update(part.proxied)
    summary.unreadable_forwarded += part.unreadable_forwarded
    summary.extra_fields += part.extra_fields
    summary.explained += part.explained
    for cls in CLASSES:
        for kind in COUNTED:
            getattr(summary, kind)[cls].update(getattr(part, kind)[cls])
    for when, counts in part.timeline.items():
        add_counts(summary.timeline, when, counts)


def add_counts(into: dict[Any, list[int]], key: Any, counts: Sequence[int]) -> None:
    """Add per-class counts (CLASSES order) to ``into[key]``."""
    have = into.setdefault(key, [0] * len(CLASSES))
    for i, n in enumerate(counts):
        have[i] += n


def _plan_blocks(
    files: Iterable[tuple[str, LogText]], budget: int, count: bool = True
) -> Iterator[_Block]:
    """The blocks of every file, each knowing where in its file it starts: the #Fields line
    in effect and the data lines before it; ``budget`` data lines in all (--limit). Without
    ``count`` (no --limit or --sample needs them) the data lines are not counted: the
    blocks' ``seen`` stay 0 and ``budget`` whole. (Lines are numbered as the blocks'
    results are merged, in order: V8 counts them anyway.)"""
    seq = 0
    for file, (name, log) in enumerate(files):
        fields = log.fields
        seen = 0
        for data in log.blocks:
            if budget <= 0:
                return
            yield _Block(seq, name, file, data, fields, seen, budget)
            seq += 1
            if count:
                lines = sum(1 for x in data.split(b"\n") if x and x != b"\r" and x[:1] != b"#")
                budget -= lines
                seen += lines
            at = data.rfind(b"#Fields:")
            while at > 0 and data[at - 1 : at] != b"\n":
                at = data.rfind(b"#Fields:", 0, at)
            if at >= 0:
                end = data.find(b"\n", at)
                found = data[at : end if end >= 0 else None].rstrip(b"\r")
                fields = found.decode("utf-8", "replace")


COUNTED = ("paths", "networks", "forwarded", "tenants")
"""The lists counted by key in V8 (shims/replay.js, KINDS), each per class."""


def _add_tally(summary: ReplaySummary, tally: dict[str, Any]) -> None:
    summary.scopes.update(dict(tally["scopes"]))
    for when, counts in tally["times"]:
        add_counts(summary.timeline, when, counts)
    for index, cls in enumerate(CLASSES):
        summary.counts[cls] += tally["counts"][cls]
        for kind in COUNTED:
            getattr(summary, kind)[cls].update(dict(tally[kind][cls]))
        summary.grpc[cls] += tally["grpc"][index]
        summary.closed[cls] += tally["closed"][index]
        summary.proxied[cls] += tally["proxied"][index]
    summary.unreadable_forwarded += tally["unreadableForwarded"]
    summary.extra_fields += tally["extra"]


def _allowlisted(
    rules: MaintenanceRules | None, store: Mapping[str, str] | None
) -> list[IPNetwork]:
    """The networks of the config's allowlist and, with a store, the store's."""
    if rules is None:
        return []
    out = list(rules.networks)
    if rules.store:
        for key, value in (store or {}).items():
            if key.startswith(NET_PREFIX):
                out += parse_networks(value)
    return out


def scope_table(
    rules: MaintenanceRules, store: Mapping[str, str] | None, now: datetime
) -> dict[str, Any] | None:
    """The scopes a maintenance line can fall in, in the function's order, for the counts
    per scope (shims/replay.js matches them as cffunc.function.scopes does, with its
    regex for a Host in canonical form); None when maintenance covers every request.
    ``unreadable``: the scope of a Host not in canonical form once the wildcards are
    passed, when exact-host scopes exist; ``tenants``: the store's tenant scopes, by id
    (a line without a tenant is in none: a standard distribution's request)."""
    table: dict[str, Any] = {
        "list": [], "exact": {}, "unreadable": None, "tenants": {},
        "safe": regex_parts(SAFE_URI), "host": regex_parts(CANONICAL_HOST),
    }  # fmt: skip
    if not rules.store:
        if rules.scope.whole:
            return None
        return table | {"list": [_entry(rules.scope)]}
    state = parse_state((store or {}).get("cffunc:state"))
    if state is not None:
        if state.active(now):
            table["list"].append(_entry(state.scope()))
        table["list"] += [_entry(w.scope((str(w.host),))) for w in state.wildcards if w.active(now)]
        if state.hosts:
            table["unreadable"] = _entry(ANY_EXACT_HOST.scope((NOT_CANONICAL,)))
        for key, value in (store or {}).items() if state.hosts else ():
            scope = parse_host_scope(value) if key.startswith(HOST_PREFIX) else None
            if scope is not None and scope.active(now):
                host = key.removeprefix(HOST_PREFIX)
                table["exact"][host] = _entry(scope.scope((host,)))
        for key, value in (store or {}).items() if state.tenants and rules.tenant_scopes else ():
            scope = parse_host_scope(value) if key.startswith(TENANT_PREFIX) else None
            if scope is not None and scope.active(now):
                tenant = key.removeprefix(TENANT_PREFIX)
                table["tenants"][tenant] = _entry(Scope((), scope.paths, scope.methods, (tenant,)))
    return table


def _entry(scope: Scope) -> dict[str, Any]:
    return {
        "label": scope.describe(),
        "hosts": list(scope.hosts) or None,
        "paths": patterns_source(scope.paths),
        "writes": scope.methods == "writes",
        "tenants": list(scope.tenants) or None,
    }


def _merge(
    summary: ReplaySummary, name: str, result: dict[str, Any], explain: int, before: int
) -> None:
    """A block's result, its lines numbered from its start: ``before`` lines of its file
    came before it."""
    for item in result["explained"][: max(0, explain - len(summary.explained))]:
        reused_class = item.pop("reusedClass")
        line = before + item.pop("line")
        summary.explained.append({"line": f"{name}:{line}", **item, "reused_class": reused_class})
    summary.lines += result["lines"]
    summary.malformed += result["malformed"]
    for number, note in result["malformedLines"]:
        if len(summary.malformed_lines) < SHOW_LINES:
            where = f"{name}:{before + number}"
            summary.malformed_lines.append(where + (f" ({note})" if note else ""))
    for number, message in result["errors"]:
        if len(summary.errors) < SHOW_LINES:
            summary.errors.append(f"{name}:{before + number}: {message}")
    summary.rules.update(result["rules"])
    summary.disagreements += result["disagreements"]


def format_summary(summary: ReplaySummary) -> str:
    """The summary for people. Paths, hosts, file names and function errors come from the
    logs: their control characters are shown as escapes (a URI holding ``%1B]0;`` would
    otherwise set the terminal's title)."""
    total = summary.replayed
    lines = counted(summary.lines, "line")
    out = [f"{lines}, {total:,} replayed, {summary.malformed:,} malformed"]
    for cls in CLASSES:
        count = summary.counts[cls]
        share = f"{count / total:.1%}" if total else "-"
        out.append(f"{cls:<12} {count:>10,}  {share:>6}")
    for cls in CLASSES:
        if not summary.counts[cls]:
            continue
        paths = ", ".join(f"{shown(p)} ({n:,})" for p, n in top(summary.paths[cls], 5))
        networks = ", ".join(f"{shown(p)} ({n:,})" for p, n in top(summary.networks[cls], 5))
        out.append(f"{cls}: top paths {paths}")
        out.append(f"{cls}: top networks {networks}")
    if summary.scopes:
        scopes = ", ".join(f"{shown(s)} ({n:,})" for s, n in top(summary.scopes))
        out.append(f"maintenance by scope: {scopes}")
    if summary.rules:
        rules = ", ".join(f"{shown(r)} ({n:,})" for r, n in top(summary.rules))
        out.append(f"passed because: {rules}")
    out += _apart(summary)
    if summary.malformed_lines:
        out.append("malformed lines: " + ", ".join(shown(x) for x in summary.malformed_lines))
    if summary.errors:
        out.append("function errors (a 503 FunctionExecutionError at the edge):")
        out.extend(f"  {shown(e)}" for e in summary.errors)
    if summary.disagreements:
        out.append(
            "warning: the decision model disagrees on "
            f"{counted(summary.disagreements, 'passing line')}"
        )
    out += explanations(summary.explained)
    return "\n".join(out)


def _classes(counts: Counter[str]) -> str:
    return ", ".join(f"{c} {counts[c]:,}" for c in CLASSES if counts[c])


def _apart(summary: ReplaySummary) -> list[str]:
    """The lines counted apart as well: gRPC, status 000, through a proxy, per tenant."""
    out: list[str] = []
    if sum(summary.grpc.values()):
        out.append(
            f"gRPC requests (cs-protocol grpcs): {sum(summary.grpc.values()):,} "
            f"({_classes(summary.grpc)}); {GRPC_NOTE}"
        )
    if sum(summary.closed.values()):
        out.append(
            f"status 000 (the viewer closed the connection before the answer): "
            f"{sum(summary.closed.values()):,} ({_classes(summary.closed)}), counted by what "
            "the function decides: its decision does not depend on the status"
        )
    if sum(summary.proxied.values()):
        viewers = ", ".join(
            f"{shown(k)} ({n:,})" for k, n in top(summary.forwarded["maintenance"], 5)
        )
        out.append(
            f"through a proxy (x-forwarded-for): {sum(summary.proxied.values()):,} "
            f"({_classes(summary.proxied)}); the function sees the proxy's address (c-ip), "
            "so the allowlist must hold the proxy, not the viewer behind it"
            + (f"; viewers behind proxies getting maintenance: {viewers}" if viewers else "")
            + (
                f"; {summary.unreadable_forwarded:,} x-forwarded-for not a list of addresses"
                if summary.unreadable_forwarded
                else ""
            )
        )
    if summary.extra_fields:
        out.append(
            f"{summary.extra_fields:,} lines carry fields after the 33 their #Fields line names "
            "(distribution-tenant-id and connection-id come after them): counted, those not read"
        )
    for row in summary.by_tenant()[:10]:
        counts = ", ".join(f"{c} {row[c]:,}" for c in CLASSES if row[c])
        name = "no tenant" if row["tenant"] == "-" else f"tenant {shown(row['tenant'])}"
        out.append(f"{name}: {counts}")
    return out


def explanations(explained: Sequence[dict[str, Any]]) -> list[str]:
    """--explain: each line's event as replay built it and the function's answer."""
    out: list[str] = []
    for item in explained:
        out.append(f"line {shown(item['line'])}: {item['class']}")
        out.append("  event:  " + shown(json.dumps(item["event"], ensure_ascii=False)))
        out.append("  answer: " + shown(_answer(item)))
        if item["reused"]:
            same = item["reused_class"] == item["class"]
            out.append(
                "  reused: an earlier line read the same, and its decision "
                + ("agrees" if same else f"was {item['reused_class']}: a bug, please report it")
            )
    return out


def _answer(item: dict[str, Any]) -> str:
    output = item["output"]
    if item["error"] is not None:
        return f"error: {item['error']}"
    if isinstance(output, dict) and "statusCode" in output:
        return f"a response, {output['statusCode']}: " + json.dumps(output, ensure_ascii=False)
    if isinstance(output, dict):
        changed = "" if output.get("uri") == item["event"]["request"]["uri"] else " rewritten"
        return f"the request goes on{changed}: " + json.dumps(output, ensure_ascii=False)
    return json.dumps(output)
