"""``cffunc serve``: the local edge, to look at in a browser."""

from __future__ import annotations

import os
from pathlib import Path

import click

from cffunc.cli.options import (
    Settings,
    command_options,
    edge_options,
    limit_options,
    pairs,
    parse_now,
    with_function,
    with_options,
)
from cffunc.cli.output import echo_err
from cffunc.runtime.isolated import Limits
from cffunc.runtime.local_test import EdgeOptions
from cffunc.serve import Edge, serve_forever


@click.command("serve")
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
@edge_options
@limit_options
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
    edge_location: str | None,
    tenant_id: str | None,
    tenant_params: tuple[str, ...],
    endpoint: str | None,
    time_limit: float,
    memory_limit: int,
) -> None:
    """Serve HTTP as the CloudFront edge would for this config, to look at in a browser.

    Every request runs through the rendered function in the local runtime; what
    passes goes to --upstream (or a built-in page showing the request), the
    maintenance object and its folder come from --objects; viewer-response runs on
    the answer. The config, the page and --with's file reload when they change.
    --tenant (with --tenant-param and --endpoint) serves as one tenant of a
    multi-tenant distribution, to see its maintenance page.
    One log line a request: method, path, decision and rule, status, time.
    With --with, the composed code runs in a child process: a request past
    --time-limit or --memory-limit is stopped and answered 503.

    \b
    Examples:
      cffunc -c samples/cffunc.toml serve --now 2026-12-01T03:00:00Z
      cffunc serve --upstream http://127.0.0.1:3000 --viewer-ip 203.0.113.9
      cffunc -c samples/tenants.toml serve --tenant dt_2yN5tYwVbPKr7m2IB69M1yp1AB \\
          --tenant-param maintenanceMessage='Acme is moving.'
    """
    config_path = settings.config().path  # a bad config: one line and exit 1, before listening
    fixed = parse_now(now) if now else None
    context = EdgeOptions(
        edge_location, tenant_id, pairs("--tenant-param", tenant_params), endpoint
    ).context()
    chosen = with_function(with_file, with_runtime, with_events)
    # chosen.load: the edge reads --with's file again when it changes.
    edge = Edge(
        config_path, os.environ, upstream, objects, chosen.load if chosen else None,
        [chosen.path] if chosen else [], chosen.slot_events if chosen else None, fixed,
        viewer_ip, echo_err, Limits(time_limit, memory_limit), context,
    )  # fmt: skip
    bounded = f"; {chosen.path} runs in a child process, {edge.limits} a request" if chosen else ""
    serve_forever(
        edge, host, port,
        lambda url: echo_err(f"serving {url} as the edge for {config_path}{bounded}"),
    )  # fmt: skip
