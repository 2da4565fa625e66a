"""``cffunc replay``: access logs through the function, summarised."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from cffunc.cli.options import (
    Settings,
    aws_options,
    command_options,
    json_option,
    parse_now,
    time_option,
)
from cffunc.cli.output import echo_err, emit
from cffunc.replay.request import ReplayRequest, run_replay
from cffunc.replay.sources import Window
from cffunc.words import count


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
@aws_options
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
    show = None
    if sys.stderr.isatty() and not as_json:

        def show(lines: int) -> None:
            click.echo(f"\r{count(lines, 'line')}", err=True, nl=False)

    request = ReplayRequest(
        settings.config_path, os.environ, logs, parse_now(now), limit, sample, kvs_file,
        Window(time_option("--since", since), time_option("--until", until_)),
        tuple(f.strip() for f in fields.split(",")) if fields else None, html_file, window,
        dask_address, jobs, settings.connection, show, explain, not no_reuse,
    )  # fmt: skip
    result = run_replay(request)
    if show is not None:
        echo_err("")
    emit(as_json, result.as_json(), result.text())
    if not result.passed:
        sys.exit(1)
