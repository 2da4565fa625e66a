"""``cffunc replay`` as one library call: a :class:`ReplayRequest` in, a :class:`ReplayResult` out.

It starts the worker processes first (they load while this process renders the function),
replays the logs here or on a Dask cluster, finds the quietest windows and writes the HTML
report when asked.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from cffunc.config.load import load_config
from cffunc.deploy.awsclient import Connection, s3_client
from cffunc.errors import UsageError
from cffunc.function.render import render
from cffunc.function.rules import compile_rules
from cffunc.replay.report import Quiet, parse_window, pyplot, quietest, write_html
from cffunc.replay.run import ReplaySummary, Workers, format_summary, replay, replay_dask
from cffunc.replay.sources import Window
from cffunc.runtime import FunctionRuntime
from cffunc.runtime.local_run import local_store
from cffunc.runtime.local_store import load_kvs


@dataclass(frozen=True)
class ReplayRequest:
    """Everything ``cffunc replay`` was asked."""

    config_path: Path | None
    env: Mapping[str, str]
    logs: tuple[str, ...]
    now: datetime
    limit: int | None = None
    sample: int = 1
    kvs: Path | None = None
    window: Window = field(default_factory=Window)
    """Only log files and objects whose names say they hold these times."""
    fields: tuple[str, ...] | None = None
    html: Path | None = None
    quiet_window: str | None = None
    """``--window``: find the quietest windows of this length (30m, 2h...)."""
    dask: str | None = None
    jobs: int = 1
    connection: Connection = field(default_factory=Connection)
    """For s3:// logs."""
    progress: Callable[[int], None] | None = None
    """Told the number of lines read so far, now and then."""
    explain: int = 0
    """``--explain``: report the first N lines with their event and the function's answer."""
    reuse: bool = True
    """Run the function once per distinct reading of a line (``--no-reuse``: on every line)."""


@dataclass(frozen=True)
class ReplayResult:
    summary: ReplaySummary
    quiet: Quiet | None = None

    @property
    def passed(self) -> bool:
        """The function threw on no line."""
        return not self.summary.counts["error"]

    def as_json(self) -> dict[str, Any]:
        windows = {"quietest_windows": self.quiet.as_json()} if self.quiet else {}
        return self.summary.as_json() | windows

    def text(self) -> str:
        return format_summary(self.summary) + (
            "\n" + "\n".join(self.quiet.lines()) if self.quiet else ""
        )


def run_replay(request: ReplayRequest) -> ReplayResult:
    """The logs through the config's function; the summary, the quietest windows, and the
    report page written if asked."""
    length = parse_window(request.quiet_window) if request.quiet_window else None
    if request.dask and request.limit is not None:
        raise UsageError("--limit cannot be combined with --dask (objects run apart)")
    if request.html is not None:
        pyplot()  # the report's extra, missing: say so before reading a line
    s3 = (
        s3_client(request.connection)
        if any(log.startswith("s3://") for log in request.logs)
        else None
    )
    # The worker processes load while this one renders the function.
    with Workers(0 if request.dask else request.jobs - 1) as workers:
        config = load_config(request.config_path)
        rules = compile_rules(config, request.env)
        kvs = local_store(load_kvs(request.kvs) if request.kvs else None, rules)
        code = render(rules).code
        with FunctionRuntime(code, config.function.runtime, kvs=kvs, trusted=True) as engine:
            names = list(request.fields) if request.fields else None
            store = kvs.items if kvs else None
            if request.dask:
                summary = replay_dask(
                    request.dask, engine, rules, request.logs, request.now, request.sample,
                    store, request.window, names, s3, request.connection, request.reuse,
                    request.explain,
                )  # fmt: skip
            else:
                summary = replay(
                    engine, rules, request.logs, request.now, request.limit, request.sample,
                    request.progress, store, request.jobs, request.window, names, s3, workers,
                    request.reuse, request.explain,
                )  # fmt: skip
    quiet = quietest(summary.timeline, length) if length else None
    if request.html is not None:
        write_html(request.html, summary, quiet, f"cffunc replay: {config.function.name}")
    return ReplayResult(summary, quiet)
