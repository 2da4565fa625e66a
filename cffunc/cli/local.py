"""The commands that work on this machine: ``render``, ``test`` (with ``--remote``, also
CloudFront's TestFunction) and ``init``."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from cffunc.cli import output
from cffunc.cli.options import (
    Settings,
    aws_options,
    aws_options_given,
    command_options,
    edge_options,
    json_option,
    limit_options,
    pairs,
    parse_now,
    with_function,
    with_options,
)
from cffunc.cli.output import emit
from cffunc.config.load import RUNTIMES
from cffunc.config.starter import write_starter
from cffunc.deploy import operations
from cffunc.function.build import build
from cffunc.runtime.local_test import EdgeOptions, SingleEvent, TestRequest, run_test


@click.command("render")
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
    built = build(
        settings.config(), os.environ, with_function(with_file, with_runtime, with_events)
    )
    output.show_render(built, output_file, stats)


@click.command("test")
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
@edge_options
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
    help="Also run the events through CloudFront's TestFunction (DEVELOPMENT stage) and "
    "compare; the AWS options go with it.",
)
@limit_options
@with_options
@json_option
@aws_options
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
    edge_location: str | None,
    tenant_id: str | None,
    tenant_params: tuple[str, ...],
    endpoint: str | None,
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
    fails. --code runs any CloudFront Function file; it and --with's composition
    run in a child process, stopped past --time-limit or --memory-limit (one
    line, exit 1). Origin modifications and
    cf.logCustomData() values are shown under each event (OriginModifications
    and LogCustomData in --json); --edge-location and --tenant say what the
    edge tells a runtime 2.0 function beside the event. --remote also sends the
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
      cffunc test --code fn.js --runtime cloudfront-js-2.0 --path / --tenant dt_1
    """
    aws = aws_options_given(click.get_current_context())
    if aws and not remote:
        raise click.UsageError(f"{', '.join(aws)}: AWS options go with --remote")
    request = TestRequest(
        settings.config_path, os.environ, parse_now(now), scenarios_path, event_files,
        SingleEvent(ip, path, method, pairs("--header", headers), pairs("--cookie", cookies),
                    event_type),
        EdgeOptions(edge_location, tenant_id, pairs("--tenant-param", tenant_params), endpoint),
        code_file, runtime, kvs_file, kvs_unreadable, remote,  # type: ignore[arg-type]
        with_function(with_file, with_runtime, with_events), time_limit, memory_limit,
        settings.progress,
    )  # fmt: skip
    result = operations.remote_test(settings.deployment(), request) if remote else run_test(request)
    emit(as_json, output.test_json(result), output.test_result(result))
    if not result.passed:
        sys.exit(1)


@click.command("init")
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
