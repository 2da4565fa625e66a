"""The ``cffunc`` command: a thin click layer over the library.

Each command parses its options, makes one library call and hands the result to one
formatter of :mod:`cffunc.cli.output`. Each command's docstring is its ``--help``. Library
errors (:class:`CffuncError`) become one ``Error: ...`` line and exit code 1; click's
usage errors exit with 2.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from cffunc import __version__, export
from cffunc.cli import output
from cffunc.config.load import RUNTIMES, Config, load_config, parse_time
from cffunc.config.starter import write_starter
from cffunc.deploy import interrupts
from cffunc.deploy.apply import DEFAULT_TIMEOUT_SECONDS, Incomplete
from cffunc.deploy.awsclient import CloudFrontClient, s3_client
from cffunc.deploy.functions import compare_scenarios, destroy, publish
from cffunc.deploy.iam import iam_policy
from cffunc.deploy.plan import Plan
from cffunc.deploy.toggles import Deployment, EnableRequest, MaintenanceToggle, toggle_for
from cffunc.errors import CffuncError
from cffunc.function.compose import ForeignFunction, compose_rendered, foreign_from_file
from cffunc.function.render import render
from cffunc.function.rules import compile_rules
from cffunc.function.store_layout import parse_cidrs
from cffunc.replay.report import parse_window, quietest, write_html
from cffunc.replay.run import ReplaySummary, Workers, format_summary, replay, replay_dask
from cffunc.replay.sources import Window
from cffunc.runtime import FunctionRuntime
from cffunc.runtime.events import EventError, event_from_options, normalise_event
from cffunc.runtime.isolated import DEFAULT_MEGABYTES, DEFAULT_SECONDS, run_isolated
from cffunc.runtime.local_run import (
    ScenarioRun,
    config_function,
    local_store,
    run_config_scenarios,
    run_events,
    scenario_file,
)
from cffunc.runtime.local_store import KeyValueData, load_kvs
from cffunc.runtime.scenarios import load_scenarios
from cffunc.serve import Edge, serve_forever

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Settings:
    config_path: Path | None
    profile: str | None
    endpoint_url: str | None
    verbose: bool
    quiet: bool = False

    def config(self) -> Config:
        return load_config(self.config_path)

    def deployment(self) -> Deployment:
        """The config and a CloudFront client; with -v every call is reported on stderr."""
        config = self.config()
        trace = echo_err if self.verbose else None
        client = CloudFrontClient.connect(self.profile, self.endpoint_url, trace)
        return Deployment(config, client, _silent if self.quiet else echo_err, dict(os.environ))

    def toggle(self) -> tuple[Deployment, MaintenanceToggle]:
        deployment = self.deployment()
        return deployment, toggle_for(deployment)


def echo_err(message: str) -> None:
    click.echo(message, err=True)


def _silent(message: str) -> None:
    """--quiet: no progress lines (errors, the state after a stop and done: lines stay)."""


def reports_errors(command: F) -> F:
    """Turn library errors into click's one-line ``Error:`` and exit code 1; a run
    stopped after a write says what it did, the state it left and the command that
    undoes it; a signal exits with 130 (SIGINT) or 143 (SIGTERM)."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            with interrupts.handled():
                return command(*args, **kwargs)
        except Stopped as stopped:
            for line in stopped.done:
                click.echo(f"done: {line}")
            for line in stopped.lines:
                echo_err(line)
            sys.exit(stopped.exit_code)
        except interrupts.Interrupted as interrupt:
            echo_err(f"interrupted ({interrupt}) before any write: nothing was changed")
            sys.exit(interrupt.exit_code)
        except CffuncError as error:
            raise click.ClickException(str(error)) from None

    return wrapper  # type: ignore[return-value]


class Stopped(Exception):
    """A write command stopped after its first write, with what to tell the user."""

    def __init__(self, done: list[str], lines: list[str], exit_code: int) -> None:
        super().__init__("\n".join(lines))
        self.done, self.lines, self.exit_code = done, lines, exit_code


def stopped(toggle: MaintenanceToggle, stop: Incomplete, undo: str, again: str) -> Stopped:
    """What a stopped run did, the state it left (read again), and what to run next."""
    code = stop.cause.exit_code if isinstance(stop.cause, interrupts.Interrupted) else 1
    lines = output.stopped_lines(stop, _state_now(toggle), undo, again)
    return Stopped(stop.report.done, lines, code)


def _state_now(toggle: MaintenanceToggle) -> dict[str, Any] | str:
    try:
        return toggle.status()
    except CffuncError as error:
        return str(error)


# The global options, declared once: on the group they set the Settings; after a command
# name (``cffunc test -c FILE``) the same options override them.
GLOBAL_OPTIONS: list[tuple[tuple[str, ...], str, dict[str, Any]]] = [
    (("-c", "--config"), "config_path", {"type": click.Path(dir_okay=False, path_type=Path),
                                         "help": "Config file (default: ./cffunc.toml)."}),
    (("--profile",), "profile", {"help": "AWS profile for the commands that call AWS."}),
    (("--endpoint-url",), "endpoint_url", {"envvar": "AWS_ENDPOINT_URL",
        "help": "CloudFront API endpoint (also AWS_ENDPOINT_URL), e.g. the local emulator."}),
    (("-v", "--verbose"), "verbose", {"is_flag": True, "help": "Report every AWS call on stderr."}),
    (("-q", "--quiet"), "quiet", {"is_flag": True,
                                  "help": "No progress lines on stderr (for CI logs)."}),
]  # fmt: skip


def _override(field: str) -> Callable[[click.Context, click.Parameter, Any], None]:
    def callback(ctx: click.Context, param: click.Parameter, value: Any) -> None:
        if value is not None and value is not False and ctx.obj is not None:
            ctx.obj = replace(ctx.obj, **{field: value})

    return callback


def command_options(command: F) -> F:
    """The global options on a subcommand, plus click's pass_obj and the error edge."""
    command = click.pass_obj(reports_errors(command))  # type: ignore[assignment]
    for flags, field, extra in reversed(GLOBAL_OPTIONS):
        command = click.option(
            *flags, field + "_override", expose_value=False, callback=_override(field), **extra
        )(command)
    return command


json_option = click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")


def with_options(command: F) -> F:
    """--with FILE [--with-runtime R] [--with-event E]: compose with a function already
    on the slot."""
    command = click.option(
        "--with-event",
        "with_events",
        multiple=True,
        type=click.Choice(["viewer-request", "viewer-response"]),
        help="Event --with's function is associated with (repeatable; default: guessed, "
        "viewer-response if it works on event.response, both if it reads the event type).",
    )(command)
    command = click.option(
        "--with-runtime",
        "with_runtime",
        type=click.Choice(list(RUNTIMES)),
        help="Runtime of --with's code (default: detected; import, const/let, async mean 2.0).",
    )(command)
    return click.option(
        "--with",
        "with_file",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="Compose with this CloudFront Function, as cffunc does with one already on a slot.",
    )(command)


def _foreign(
    with_file: Path | None, with_runtime: str | None, with_events: tuple[str, ...]
) -> ForeignFunction | None:
    if with_file is None:
        if with_runtime is not None or with_events:
            raise click.UsageError("--with-runtime and --with-event go with --with FILE")
        return None
    return foreign_from_file(with_file, with_runtime)  # type: ignore[arg-type]


def emit(as_json: bool, document: Any, text: str) -> None:
    click.echo(json.dumps(document, indent=2) if as_json else text)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cffunc")
@click.pass_context
def cli(ctx: click.Context, **options: Any) -> None:
    """Maintenance mode for Amazon CloudFront with a CloudFront Function.

    Render the function from cffunc.toml, prove it locally in V8, then switch it on
    and off from a release script.

    \b
    Example:
      cffunc -c samples/cffunc.toml render --stats
    """
    ctx.obj = Settings(**options)


for _flags, _field, _extra in reversed(GLOBAL_OPTIONS):
    cli = click.option(*_flags, _field, **_extra)(cli)
cli.params.reverse()


# ---- local commands ----


@cli.command("render")
@click.option(
    "-o",
    "--output",
    "output_file",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write the code to FILE instead of standard output.",
)
@click.option(
    "--stats",
    is_flag=True,
    help="Print the size (bytes, share of the 10,240-byte limit) instead of the code.",
)
@with_options
@command_options
def render_command(
    settings: Settings,
    output_file: Path | None,
    stats: bool,
    with_file: Path | None,
    with_runtime: str | None,
    with_events: tuple[str, ...],
) -> None:
    """Render the CloudFront Function code for the config.

    The bypass secret is read from the environment variable that
    allow.bypass_secret_env names; only a key derived from it is written.
    Fails (exit 1) when the code would exceed CloudFront's 10,240-byte limit,
    saying how many bytes the page, the allowlist and the logic take.

    \b
    Examples:
      cffunc render > function.js
      cffunc -c samples/respond.toml render -o function.js --stats
    """
    foreign = _foreign(with_file, with_runtime, with_events)
    slot_events = tuple(dict.fromkeys(with_events)) or None
    if foreign is not None:
        composed = compose_rendered(settings.config(), os.environ, foreign, slot_events)
        if output_file is not None:
            output_file.write_bytes(composed.code.encode("utf-8"))
            echo_err(f"wrote {output_file} ({composed.total:,} bytes)")
        if stats:
            click.echo(output.composition_stats(composed))
        elif output_file is None:
            sys.stdout.write(composed.code)
        return
    function = render(compile_rules(settings.config(), os.environ))
    if output_file is not None:
        output_file.write_bytes(function.code_bytes)
        echo_err(f"wrote {output_file} ({function.stats.total:,} bytes)")
    if stats:
        click.echo(output.stats(function.stats))
    elif output_file is None:
        sys.stdout.write(function.code)


def _pairs(option: str, values: tuple[str, ...]) -> list[tuple[str, str]]:
    pairs = []
    for item in values:
        name, eq, value = item.partition("=")
        if not eq or not name:
            raise click.UsageError(f"{option} {item!r}: give NAME=VALUE")
        pairs.append((name, value))
    return pairs


def _now(text: str | None) -> datetime:
    if text is None:
        return datetime.now(UTC)
    moment = parse_time(text)
    if moment is None:
        raise click.UsageError(
            f'--now {text!r}: give an RFC 3339 time, e.g. "2026-12-01T03:00:00Z"'
        )
    return moment


def _load_event(path: Path) -> dict[str, Any]:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CffuncError(f"{path}: cannot read the event file: {error}") from None
    try:
        return normalise_event(raw, str(path))
    except EventError as error:
        raise CffuncError(str(error)) from None


def _events(
    event_files: tuple[Path, ...], ip: str | None, method: str, path: str | None,
    headers: tuple[str, ...], cookies: tuple[str, ...], event_type: str,
) -> list[dict[str, Any]]:  # fmt: skip
    events = [_load_event(f) for f in event_files]
    if ip is not None or path is not None:
        try:
            events.append(
                event_from_options(
                    ip or "198.51.100.1", method, path or "/",
                    _pairs("--header", headers), _pairs("--cookie", cookies), event_type,
                )
            )  # fmt: skip
        except EventError as error:
            raise click.UsageError(str(error)) from None
    return events


@cli.command("test")
@click.option(
    "--scenarios",
    "scenarios_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Scenario file (default: [test] scenarios in the config).",
)
@click.option(
    "--event",
    "event_files",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="An event JSON file as `aws cloudfront test-function` takes it (repeatable).",
)
@click.option("--ip", help="Viewer IP of a single event.")
@click.option("--method", default="GET", show_default=True, help="HTTP method of a single event.")
@click.option("--path", "path", help="Path of a single event, may include ?query.")
@click.option(
    "--header", "headers", multiple=True, metavar="K=V", help="Request header (repeatable)."
)
@click.option(
    "--cookie", "cookies", multiple=True, metavar="K=V", help="Request cookie (repeatable)."
)
@click.option(
    "--event-type",
    type=click.Choice(["viewer-request", "viewer-response"]),
    default="viewer-request",
    show_default=True,
    help="Event type of a single event.",
)
@click.option("--now", help="Freeze Date at this RFC 3339 time (default: now).")
@click.option(
    "--code",
    "code_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Run this CloudFront Function file instead of cffunc's rendered function.",
)
@click.option("--runtime", type=click.Choice(list(RUNTIMES)), help="Runtime of --code.")
@click.option(
    "--kvs",
    "kvs_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help='JSON file of keys to values that cf.kvs() reads (toggle = "kvs" default: a store '
    "saying maintenance is on).",
)
@click.option(
    "--kvs-unreadable",
    is_flag=True,
    help="Every read of the local KeyValueStore fails, as when the edge cannot read it "
    '(toggle = "kvs": see maintenance.store_unreadable).',
)
@click.option(
    "--remote",
    is_flag=True,
    help="Also run the events through CloudFront's TestFunction (DEVELOPMENT stage) and compare.",
)
@click.option(
    "--time-limit",
    type=click.FloatRange(min=0.1),
    default=DEFAULT_SECONDS,
    show_default=True,
    help="--code: seconds the run may take before it is stopped (it runs in a child process).",
)
@click.option(
    "--memory-limit",
    type=click.IntRange(min=64),
    default=DEFAULT_MEGABYTES,
    show_default=True,
    help="--code: megabytes the run may use before it is stopped.",
)
@with_options
@json_option
@command_options
def test_command(
    settings: Settings,
    scenarios_path: Path | None,
    event_files: tuple[Path, ...],
    ip: str | None,
    method: str,
    path: str | None,
    headers: tuple[str, ...],
    cookies: tuple[str, ...],
    event_type: str,
    now: str | None,
    code_file: Path | None,
    runtime: str | None,
    kvs_file: Path | None,
    kvs_unreadable: bool,
    remote: bool,
    with_file: Path | None,
    with_runtime: str | None,
    with_events: tuple[str, ...],
    time_limit: float,
    memory_limit: int,
    as_json: bool,
) -> None:
    """Run the function in the local runtime (embedded V8, no AWS).

    Without event options: run the scenario file and print a table; exit 1 on
    any mismatch. With --event or --ip/--path/...: print one line per event
    (what the function did, the status, JSON/HTML/text and the headers that
    matter), or with --json what CloudFront's TestFunction would return for
    each (ComputeUtilization is a local estimate); exit 1 when the function
    fails. --code runs any CloudFront Function file. --remote also sends the
    scenario events (at the current time: TestFunction cannot freeze the clock)
    to CloudFront's TestFunction on the DEVELOPMENT stage, putting the local
    render there first if needed (LIVE is untouched), and exits 1 if the two
    disagree.

    \b
    Examples:
      cffunc test -c samples/cffunc.toml
      cffunc test --ip 198.51.100.1 --path '/cart?x=1' --header accept=application/json
      cffunc test --code fn.js --runtime cloudfront-js-2.0 --event event.json
      cffunc test -c samples/kvs.toml --kvs-unreadable --ip 198.51.100.1
    """
    moment = _now(now)
    kvs = load_kvs(kvs_file) if kvs_file else None
    if kvs_unreadable:
        if code_file is not None:
            raise click.UsageError("--kvs-unreadable runs cffunc's own function; drop --code")
        kvs = replace(kvs or KeyValueData({}), unavailable=True)
    single = bool(event_files) or ip is not None or path is not None
    if remote and (single or code_file is not None):
        raise click.UsageError(
            "--remote compares the config's scenarios; drop the event options and --code"
        )
    if code_file is not None and runtime is None:
        raise click.UsageError("--code needs --runtime cloudfront-js-1.0 or cloudfront-js-2.0")
    if code_file is not None and not single:
        raise click.UsageError("--code needs events: --event FILE or --ip/--path")
    if code_file is not None and with_file is not None:
        raise click.UsageError("--with composes with cffunc's function; drop --code")
    if remote and with_file is not None:
        raise click.UsageError("--remote compares the config's own function; drop --with")
    foreign = _foreign(with_file, with_runtime, with_events)
    slot_events = tuple(dict.fromkeys(with_events)) or None
    if single:
        events = _events(event_files, ip, method, path, headers, cookies, event_type)
        if code_file is not None:
            # Someone else's code: in a child process bounded in time and memory.
            results = run_isolated(
                code_file.read_text(encoding="utf-8"), str(runtime), events, moment,
                kvs.items if kvs else None, time_limit, memory_limit,
            )  # fmt: skip
        else:
            rules, code, function_runtime = config_function(
                settings.config(), os.environ, foreign, slot_events
            )
            results = run_events(code, function_runtime, events, moment, local_store(kvs, rules))
        document = results[0] if len(results) == 1 else results
        emit(as_json, document, output.event_results(events, results))
        if any(r["FunctionErrorMessage"] for r in results):
            sys.exit(1)
        return
    config = settings.config()
    scenarios = load_scenarios(scenario_file(config, scenarios_path))
    run = ScenarioRun(
        run_config_scenarios(config, os.environ, scenarios, moment, kvs, foreign, slot_events)
    )
    if remote:
        deployment, toggle = settings.toggle()
        run = replace(run, remote=compare_scenarios(deployment, toggle, "test --remote"))
    emit(as_json, output.scenario_run_json(run), output.scenario_run(run))
    if not run.passed:
        sys.exit(1)


@cli.command("replay")
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
            until_, fields, dask_address,
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
        hours = Window(_time_option("--since", since), _time_option("--until", until_))
        s3 = (
            s3_client(settings.profile, settings.endpoint_url)
            if any(log.startswith("s3://") for log in logs)
            else None
        )
        names = [f.strip() for f in fields.split(",")] if fields else None
        store = kvs.items if kvs else None
        if dask_address:
            summary = replay_dask(
                dask_address, engine, rules, logs, _now(now), sample, store, hours, names, s3,
                (settings.profile, settings.endpoint_url),
            )  # fmt: skip
        else:
            summary = replay(
                engine, rules, logs, _now(now), limit, sample, show, store, jobs, hours, names,
                s3, workers,
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


def _time_option(option: str, text: str | None) -> datetime | None:
    if text is None:
        return None
    moment = parse_time(text)
    if moment is None:
        raise click.UsageError(
            f"{option} {text!r}: give an RFC 3339 time, e.g. 2026-11-27T00:00:00Z"
        )
    return moment


@cli.command("serve")
@click.option("--port", type=click.IntRange(0, 65535), default=8080, show_default=True)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="The interface to listen on; only this machine by default.",
)
@click.option(
    "--upstream",
    metavar="URL",
    help="Your application, where requests that pass go (default: a built-in page "
    "that shows the request it received).",
)
@click.option(
    "--objects",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Where the maintenance object's folder is (default: the config's folder).",
)
@with_options
@click.option("--now", help="Serve as if at this RFC 3339 time (default: the clock).")
@click.option("--viewer-ip", help="The viewer's address (default: the connection's).")
@command_options
def serve_command(
    settings: Settings,
    port: int,
    host: str,
    upstream: str | None,
    objects: Path | None,
    with_file: Path | None,
    with_runtime: str | None,
    with_events: tuple[str, ...],
    now: str | None,
    viewer_ip: str | None,
) -> None:
    """Serve HTTP as the CloudFront edge would for this config, to look at in a browser.

    Every request runs through the rendered function in the local runtime; what
    passes goes to --upstream (or a built-in page showing the request), the
    maintenance object and its folder come from --objects; viewer-response runs on
    the answer. The config, the page and --with's file reload when they change.
    One log line a request: method, path, decision and rule, status, time.

    \b
    Examples:
      cffunc -c samples/cffunc.toml serve --now 2026-12-01T03:00:00Z
      cffunc serve --upstream http://127.0.0.1:3000 --viewer-ip 203.0.113.9
    """
    config_path = settings.config().path  # a bad config: one line and exit 1, before listening
    fixed = _now(now) if now else None
    if with_file is None:
        _foreign(None, with_runtime, with_events)  # refuses --with-runtime/--with-event alone
    # A callable: the edge reads --with's file again when it changes.
    foreign = (lambda: _foreign(with_file, with_runtime, with_events)) if with_file else None
    edge = Edge(
        config_path, os.environ, upstream, objects, foreign,
        [with_file] if with_file else [], tuple(dict.fromkeys(with_events)) or None, fixed,
        viewer_ip, echo_err,
    )  # fmt: skip
    serve_forever(
        edge, host, port, lambda url: echo_err(f"serving {url} as the edge for {config_path}")
    )


@cli.group("export")
def export_group() -> None:
    """Write the function (and its store) for CloudFormation or Terraform.

    With the distribution in infrastructure as code, the code owns the function,
    the KeyValueStore and the association, and `enable`/`disable` (toggle =
    "kvs") only write the store key: no drift. The code is the render byte for
    byte; --check exits 1 when the files on disk no longer match it.
    """


def _export(settings: Settings, kind: str, target: Path, single: bool, check_only: bool) -> None:
    config = settings.config()
    function = render(compile_rules(config, os.environ))
    exported = (export.cloudformation if kind == "cloudformation" else export.terraform)(
        config, function
    )
    command = f"cffunc export {kind}" + (f" -o {target}" if target != _EXPORT_DEFAULT[kind] else "")
    if check_only:
        export.check(exported, target, single, command)
        click.echo(f"{target} matches the current render")
        return
    for path in export.write(exported, target, single):
        click.echo(f"wrote {path}")


_EXPORT_DEFAULT = {
    "cloudformation": Path("cffunc-template.yaml"),
    "terraform": Path("cffunc-terraform"),
}


@export_group.command("cloudformation")
@click.option(
    "-o", "--output", "target", type=click.Path(dir_okay=False, path_type=Path),
    default=_EXPORT_DEFAULT["cloudformation"], show_default=True, help="The template file.",
)  # fmt: skip
@click.option("--check", "check_only", is_flag=True, help="Exit 1 if the file is stale.")
@command_options
def export_cloudformation(settings: Settings, target: Path, check_only: bool) -> None:
    """A YAML template: AWS::CloudFront::Function (the code inline, AutoPublish), the
    AWS::CloudFront::KeyValueStore for toggle = "kvs", their ARNs as outputs, and the
    FunctionAssociations to add to your distribution's behaviors (as a comment).

    \b
    Examples:
      cffunc export cloudformation -o infra/maintenance.yaml
      cffunc export cloudformation -o infra/maintenance.yaml --check
    """
    _export(settings, "cloudformation", target, True, check_only)


@export_group.command("terraform")
@click.option(
    "-o", "--output", "target", type=click.Path(file_okay=False, path_type=Path),
    default=_EXPORT_DEFAULT["terraform"], show_default=True, help="The directory.",
)  # fmt: skip
@click.option("--check", "check_only", is_flag=True, help="Exit 1 if the files are stale.")
@command_options
def export_terraform(settings: Settings, target: Path, check_only: bool) -> None:
    """cffunc.tf (aws_cloudfront_function with publish = true, the
    aws_cloudfront_key_value_store for toggle = "kvs", outputs, and the
    function_association blocks to paste, as a comment) and <name>.js, the code.

    \b
    Examples:
      cffunc export terraform -o infra/maintenance
      cffunc export terraform -o infra/maintenance --check
    """
    _export(settings, "terraform", target, False, check_only)


# ---- deploy ----


def carry_out(
    deployment: Deployment,
    toggle: MaintenanceToggle,
    plan: Plan,
    as_json: bool,
    nothing: str,
    undo: str,
    again: str,
    wait: bool = False,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
) -> None:
    """Apply a plan (nothing when it is empty), wait if asked, print what was done; a run
    stopped after a write says so, with the state and the undo command."""
    report = None
    again += " --wait" if wait else ""
    try:
        report = deployment.apply(plan) if not plan.empty else None
        if wait and report is not None:
            deployment.wait(report, timeout)
        elif wait:
            # Nothing to write, but an earlier run's change may still be deploying.
            deployment.wait_targets(timeout)
    except Incomplete as stop:
        raise stopped(toggle, stop, undo, again) from None
    except (interrupts.Interrupted, CffuncError) as cause:
        if report is None:
            raise
        # The writes are made; the wait for the deployment was stopped or timed out.
        raise stopped(toggle, Incomplete(report, cause), undo, again) from None
    emit(as_json, output.done_json(toggle.kind, plan, report), output.done(report, nothing))


def wait_options(command: F) -> F:
    command = click.option(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT_SECONDS,
        show_default=True,
        help="Seconds --wait waits before failing.",
    )(command)
    return click.option(
        "--wait", is_flag=True, help="Wait until every changed distribution is Deployed."
    )(command)


@cli.command("publish")
@click.option(
    "--test",
    "run_tests",
    is_flag=True,
    help="Before publishing, run the scenario events through TestFunction on DEVELOPMENT "
    "and publish only if CloudFront agrees with the local runtime.",
)
@json_option
@command_options
def publish_command(settings: Settings, run_tests: bool, as_json: bool) -> None:
    """Create or update the function and publish it to LIVE.

    Nothing is written when the LIVE code and config already equal the local
    render. Associated distributions pick the new LIVE code up as they deploy.
    Compositions already on the selected behaviors are composed again and
    published too (they hold a copy of the code).

    \b
    Example:
      cffunc publish --test
    """
    deployment, toggle = settings.toggle()
    try:
        published = publish(deployment, toggle, run_tests)
    except Incomplete as stop:
        raise stopped(toggle, stop, "none (LIVE had other code before)", "cffunc publish") from None
    if published.comparisons:
        echo_err(output.comparisons(published.comparisons))
    if published.refused:
        raise CffuncError(
            "CloudFront's TestFunction disagrees with the local runtime; not published"
        )
    name = deployment.config.function.name
    emit(
        as_json,
        output.done_json(toggle.kind, published.plan, published.report),
        output.done(
            published.report,
            f"{name}: LIVE already holds this code; nothing to publish",
        ),
    )


@cli.command("plan")
@json_option
@command_options
def plan_command(settings: Settings, as_json: bool) -> None:
    """Show what `enable` would change; change nothing (read-only calls only).

    Says which toggle the config uses. toggle = "kvs": what `install` would do
    if the function is not installed yet, else the store write `enable` makes.

    \b
    Example:
      cffunc plan --json
    """
    _, toggle = settings.toggle()
    shown = toggle.preview()
    emit(as_json, output.preview_json(shown, toggle.kind), output.preview(shown))


@cli.command("enable")
@wait_options
@json_option
@click.option(
    "--until",
    help='toggle = "kvs": end maintenance by itself at this RFC 3339 time or after a '
    "duration (90m, 2h, 1d).",
)
@click.option("--reason", help='toggle = "kvs": the message JSON and text answers give.')
@click.option(
    "--host",
    "hosts",
    multiple=True,
    metavar="HOST",
    help='toggle = "kvs": only requests for this host (exact, or *.example.com); '
    "repeat for several hosts, one scope each.",
)
@click.option(
    "--path",
    "paths",
    multiple=True,
    metavar="PATTERN",
    help='toggle = "kvs": only these path patterns (repeatable), e.g. "/checkout/*".',
)
@click.option(
    "--read-only",
    is_flag=True,
    help='toggle = "kvs": only writes are in maintenance; GET, HEAD and OPTIONS pass.',
)
@click.option(
    "--at",
    "at",
    metavar="TIME",
    help='toggle = "kvs": start maintenance by itself at this RFC 3339 time or after a '
    "duration (30m, 2h); a duration in --until then counts from it.",
)
@command_options
def enable_command(
    settings: Settings,
    wait: bool,
    timeout: float,
    as_json: bool,
    until: str | None,
    reason: str | None,
    hosts: tuple[str, ...],
    paths: tuple[str, ...],
    read_only: bool,
    at: str | None,
) -> None:
    """Turn maintenance on.

    toggle = "association": publish if needed, associate with the selected
    behaviors (viewer-request, plus viewer-response in rewrite mode), composing
    with a CloudFront Function already on a slot (a function of its own that
    runs both). Refuses (exit 1, nothing written) when a behavior runs a
    Lambda@Edge viewer function, when a composition cannot be made, or when
    maintenance.origin is not an origin of the distribution. toggle = "kvs":
    write "on" to the KeyValueStore (one
    conditional write; the distribution is not touched) after checking that
    `cffunc install` is in place; with --host, --path or --read-only, add or
    replace a scope instead (other scopes stay); with --at, the scope starts by
    itself at that time (`status` shows it as scheduled, `disable` cancels it).
    --wait returns once the write is acknowledged. Already enabled: exit 0, no
    write.

    \b
    Examples:
      cffunc enable --wait --timeout 1800
      cffunc enable --until 2h --reason "Upgrading the database"
      cffunc enable --read-only --until 30m --reason "Migrating; reads work"
      cffunc enable --host shop.example.com --path "/checkout/*"
      cffunc enable --at 2026-12-01T02:00:00Z --until 2h
    """
    deployment, toggle = settings.toggle()
    plan = toggle.plan_enable(EnableRequest(until, reason, hosts, paths, read_only, at))
    carry_out(
        deployment, toggle, plan, as_json, "already enabled", "cffunc disable", "cffunc enable",
        wait, timeout,
    )  # fmt: skip


@cli.command("disable")
@wait_options
@json_option
@click.option(
    "--host",
    "hosts",
    multiple=True,
    metavar="HOST",
    help='toggle = "kvs": end only the scope of this host (repeatable).',
)
@command_options
def disable_command(
    settings: Settings, wait: bool, timeout: float, as_json: bool, hosts: tuple[str, ...]
) -> None:
    """Turn maintenance off.

    toggle = "association": remove exactly the associations cffunc added, and
    put back the function each composition was made from; every other
    association and field stays as it was. toggle = "kvs": write "off" to
    the KeyValueStore, ending every scope (the function stays associated) and
    cancelling any scheduled with `enable --at`; with --host, end or cancel only
    that host's scope. Needs no bypass secret.

    \b
    Examples:
      cffunc disable --wait
      cffunc disable --host shop.example.com
    """
    deployment, toggle = settings.toggle()
    carry_out(
        deployment, toggle, toggle.plan_disable(hosts), as_json, "already disabled",
        "cffunc enable", "cffunc disable", wait, timeout,
    )  # fmt: skip


@cli.command("status")
@json_option
@command_options
def status_command(settings: Settings, as_json: bool) -> None:
    """Show the function's stages, each behavior's associations and deploy state.

    Says whether LIVE holds the local render, and whether maintenance is on,
    off or partial on each distribution. Lists each composition with the
    function it was made from, and says when that function's LIVE code changed
    since (enable or install composes again).

    \b
    Example:
      cffunc status --json
    """
    _, toggle = settings.toggle()
    document = toggle.status()
    emit(as_json, document, output.status(document))


@cli.command("install")
@wait_options
@json_option
@command_options
def install_command(settings: Settings, wait: bool, timeout: float, as_json: bool) -> None:
    """toggle = "kvs": set up the KeyValueStore switch, with maintenance off.

    Creates the store if missing (and its state key, saying off), associates it
    with the function, publishes, and associates the function with the
    selected behaviors for good. Afterwards enable/disable write only the
    store. Refuses, writing nothing, where enable would. Run it again after a
    config change to publish the new code.

    \b
    Example:
      cffunc install --wait && cffunc status
    """
    deployment, toggle = settings.toggle()
    plan = toggle.plan_install()
    for note in plan.notes:
        echo_err(f"note: {note}")
    carry_out(
        deployment, toggle, plan, as_json, "already installed", "cffunc uninstall",
        "cffunc install", wait, timeout,
    )  # fmt: skip


@cli.command("uninstall")
@click.option(
    "--timeout",
    type=float,
    default=DEFAULT_TIMEOUT_SECONDS,
    show_default=True,
    help="Seconds to wait for the distributions to deploy before deleting the function.",
)
@json_option
@command_options
def uninstall_command(settings: Settings, timeout: float, as_json: bool) -> None:
    """toggle = "kvs": reverse `install` exactly.

    Removes the function's associations (waiting until the distributions are
    Deployed), deletes the function, and deletes the store if `install` created
    it; a store that existed before keeps everything but cffunc's keys.

    \b
    Example:
      cffunc uninstall
    """
    _, toggle = settings.toggle()
    try:
        report = toggle.uninstall(timeout)
    except Incomplete as stop:
        raise stopped(toggle, stop, "cffunc install", "cffunc uninstall") from None
    document = {"toggle": toggle.kind, "report": report.as_json()}
    emit(as_json, document, output.done(report, "nothing installed"))


@cli.group("allow")
def allow_group() -> None:
    """toggle = "kvs": networks allowed through, kept in the store (no republish).

    A request reads one key at most: its network's bucket (the first octet of
    an IPv4 address, the first 32 bits of an IPv6 one). A bucket holds at least
    53 IPv4 or 23 IPv6 networks; networks wider than /8 (IPv4) or /32 (IPv6)
    belong in [allow] ips.
    """


def _allow(settings: Settings, cidrs: tuple[str, ...], add: bool, as_json: bool) -> None:
    networks = parse_cidrs(cidrs)  # every CIDR checked before any call
    deployment, toggle = settings.toggle()
    plan = toggle.plan_allow(networks, add)
    listed = " ".join(str(n) for n in networks)
    nothing = f"nothing to change ({', '.join(str(n) for n in networks)})"
    undo = f"cffunc allow {'remove' if add else 'add'} {listed}"
    again = f"cffunc allow {'add' if add else 'remove'} {listed}"
    carry_out(deployment, toggle, plan, as_json, nothing, undo, again)


@allow_group.command("add")
@click.argument("cidrs", nargs=-1, required=True)
@json_option
@command_options
def allow_add_command(settings: Settings, cidrs: tuple[str, ...], as_json: bool) -> None:
    """Allow networks through during maintenance (CIDR or single address).

    \b
    Example:
      cffunc allow add 198.51.100.0/24 2001:db8:1::/48
    """
    _allow(settings, cidrs, True, as_json)


@allow_group.command("remove")
@click.argument("cidrs", nargs=-1, required=True)
@json_option
@command_options
def allow_remove_command(settings: Settings, cidrs: tuple[str, ...], as_json: bool) -> None:
    """Remove networks added with `allow add`.

    \b
    Example:
      cffunc allow remove 198.51.100.0/24
    """
    _allow(settings, cidrs, False, as_json)


@allow_group.command("list")
@json_option
@command_options
def allow_list_command(settings: Settings, as_json: bool) -> None:
    """List the networks `allow add` put in the store.

    \b
    Example:
      cffunc allow list --json
    """
    _, toggle = settings.toggle()
    networks = toggle.allowed()
    emit(as_json, {"networks": networks}, "\n".join(networks) or "no networks in the store")


@cli.command("destroy")
@command_options
def destroy_command(settings: Settings) -> None:
    """Delete the function once no distribution uses it.

    Also deletes the compositions of it that nothing uses; never the functions
    they were composed with.

    \b
    Example:
      cffunc disable --wait && cffunc destroy
    """
    deployment, toggle = settings.toggle()
    name = deployment.config.function.name
    try:
        deleted = destroy(deployment, toggle)
    except Incomplete as stop:
        raise stopped(
            toggle, stop, f"`{toggle.setup}` creates the functions again", "cffunc destroy",
        ) from None  # fmt: skip
    click.echo(
        "\n".join(f"deleted function {n}" for n in deleted)
        or f"{name}: no such function; nothing to delete"
    )


@cli.command("init")
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="Where to write the files.",
)
@click.option("--name", default="site-maintenance", show_default=True, help="The function's name.")
@click.option("--distribution", help="The distribution id to cover (default: a placeholder).")
@click.option("--force", is_flag=True, help="Overwrite files that exist.")
@command_options
def init_command(
    settings: Settings, directory: Path, name: str, distribution: str | None, force: bool
) -> None:
    """Write a starter cffunc.toml, its scenarios and a release script.

    The config passes `cffunc test` as written (respond mode, an office
    network and health checks allowed). release.sh enables maintenance around
    a migration and disables it on success, failure or interruption (a trap).
    Existing files are kept unless --force.

    \b
    Example:
      cffunc init --distribution E2EXAMPLE12345 && cffunc test
    """
    for written in write_starter(directory, name, distribution, force):
        verb = "wrote" if written.created else "kept (exists; --force overwrites)"
        click.echo(f"{verb} {written.path}")


@cli.command("iam-policy")
@command_options
def iam_policy_command(settings: Settings) -> None:
    """Print the least-privilege IAM policy the deploy commands need.

    \b
    Example:
      cffunc iam-policy > cffunc-policy.json
    """
    click.echo(json.dumps(iam_policy(settings.config()), indent=2))


def main() -> None:
    cli(prog_name="cffunc")
