"""``cffunc replay``: access logs through the function, summarised."""

from __future__ import annotations

import os
import sys
from datetime import timedelta
from pathlib import Path

import click

from cffunc.cli.options import (
    Settings,
    command_options,
    json_option,
    parse_now,
    time_option,
)
from cffunc.cli.output import echo_err, emit
from cffunc.config.load import Config
from cffunc.deploy.awsclient import s3_client
from cffunc.function.render import render
from cffunc.function.rules import compile_rules
from cffunc.replay.report import parse_window, quietest, write_html
from cffunc.replay.run import ReplaySummary, Workers, format_summary, replay, replay_dask
from cffunc.replay.sources import Window
from cffunc.runtime import FunctionRuntime
from cffunc.runtime.local_run import (
    local_store,
)
from cffunc.runtime.local_store import load_kvs


@click.command("replay")
@click.argument("logs", nargs=-1, required=True)
@click.option("--now", help="Replay as if at this RFC 3339 time (default: now).")
@click.option("--limit", type=click.IntRange(min=1), help="Stop after N log lines.")
@click.option("--sample", type=click.IntRange(min=1), default=1, help="Replay every K-th line.")
@click.option(
    "--kvs",
    "kvs_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help='toggle = "kvs": JSON file of the store\'s keys (default: maintenance on).',
)
@click.option(
    "--since",
    help="Only log files and objects whose name says they hold this RFC 3339 time or later.",
)
@click.option("--until", "until_", help="Only those whose name says they hold earlier times.")
@click.option(
    "--fields",
    help="A plain or real-time log (no #Fields line): its field names in order, "
    "comma-separated, e.g. timestamp,c-ip,cs-method,cs-uri-stem.",
)
@click.option(
    "--html",
    "html_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write a self-contained report page: requests over time, who would get "
    "the page, the quietest windows.",
)
@click.option(
    "--window",
    help="Find the quietest windows of this length (30m, 2h, 1h30m): overall and by weekday.",
)
@click.option(
    "--dask",
    "dask_address",
    metavar="ADDRESS",
    help="Run on this Dask scheduler (tcp://host:8786), one task per log file or object.",
)
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    default=os.cpu_count() or 1,
    show_default="all cores",
    help="Workers, each with a V8 of its own; the counts are the same for any number.",
)
@click.option(
    "--explain",
    type=click.IntRange(min=0),
    default=0,
    metavar="N",
    help="Show the first N replayed lines with the event built from each and the "
    "function's answer to it.",
)
@click.option(
    "--no-reuse",
    "no_reuse",
    is_flag=True,
    help="Run the function on every line (slower; the same counts): by default it runs "
    "once per distinct reading, what the function reads of a line.",
)
@json_option
@command_options
def replay_command(
    settings: Settings,
    logs: tuple[str, ...],
    now: str | None,
    limit: int | None,
    sample: int,
    kvs_file: Path | None,
    since: str | None,
    until_: str | None,
    fields: str | None,
    html_file: Path | None,
    window: str | None,
    dask_address: str | None,
    jobs: int,
    explain: int,
    no_reuse: bool,
    as_json: bool,
) -> None:
    """Replay CloudFront access logs through the function, locally.

    LOG: access log files (plain or .gz), directories of them, - for standard
    input, or s3://bucket/prefix/ (streamed). Standard logs (legacy, and
    logging v2 as JSON, W3C or Parquet) and real-time logs (with --fields).
    Prints how many requests would pass, get the maintenance answer, be
    redirected or hit a function error, the top paths and client networks of
    each, and which allowlist rule let requests through. Exit 1 when the
    function threw on any line.

    \b
    Examples:
      cffunc replay --now 2026-12-01T03:00:00Z samples/access.log
      zcat logs/*.gz | cffunc replay -
      cffunc replay --since 2026-11-27T00:00:00Z s3://my-logs/cf/
      cffunc replay --window 2h --html report.html logs/
    """
    length = parse_window(window) if window else None
    if dask_address and limit is not None:
        raise click.UsageError("--limit cannot be combined with --dask (objects run apart)")
    # The worker processes load while this one renders the function.
    with Workers(0 if dask_address else jobs - 1) as workers:
        summary, config = _replay(
            settings, workers, logs, now, limit, sample, as_json, kvs_file, jobs, since,
            until_, fields, dask_address, explain, not no_reuse,
        )  # fmt: skip
    return _report_replay(summary, config, length, html_file, as_json)


def _replay(
    settings: Settings,
    workers: Workers,
    logs: tuple[str, ...],
    now: str | None,
    limit: int | None,
    sample: int,
    as_json: bool,
    kvs_file: Path | None,
    jobs: int,
    since: str | None,
    until_: str | None,
    fields: str | None,
    dask_address: str | None,
    explain: int,
    reuse: bool,
) -> tuple[ReplaySummary, Config]:
    config = settings.config()
    rules = compile_rules(config, os.environ)
    show = None
    if sys.stderr.isatty() and not as_json:

        def show(lines: int) -> None:
            click.echo(f"\r{lines:,} lines", err=True, nl=False)

    kvs = local_store(load_kvs(kvs_file) if kvs_file else None, rules)
    with FunctionRuntime(
        render(rules).code, config.function.runtime, kvs=kvs, trusted=True
    ) as engine:
        hours = Window(time_option("--since", since), time_option("--until", until_))
        s3 = (
            s3_client(settings.profile, settings.endpoint_url)
            if any(log.startswith("s3://") for log in logs)
            else None
        )
        names = [f.strip() for f in fields.split(",")] if fields else None
        store = kvs.items if kvs else None
        if dask_address:
            summary = replay_dask(
                dask_address, engine, rules, logs, parse_now(now), sample, store, hours, names, s3,
                (settings.profile, settings.endpoint_url), reuse, explain,
            )  # fmt: skip
        else:
            summary = replay(
                engine, rules, logs, parse_now(now), limit, sample, show, store, jobs, hours, names,
                s3, workers, reuse, explain,
            )  # fmt: skip
    if show is not None:
        echo_err("")
    return summary, config


def _report_replay(
    summary: ReplaySummary,
    config: Config,
    length: timedelta | None,
    html_file: Path | None,
    as_json: bool,
) -> None:
    quiet = quietest(summary.timeline, length) if length else None
    if html_file is not None:
        write_html(html_file, summary, quiet, f"cffunc replay: {config.function.name}")
    document = summary.as_json() | ({"quietest_windows": quiet.as_json()} if quiet else {})
    text = format_summary(summary) + ("\n" + "\n".join(quiet.lines()) if quiet else "")
    emit(as_json, document, text)
    if summary.counts["error"]:
        sys.exit(1)
