"""The options commands share, declared once: the global ones (config, AWS, verbosity),
``--json``, ``--wait``/``--timeout`` and ``--with``; and the :class:`Settings` they fill."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import click

from cffunc.cli.errors import reports_errors
from cffunc.cli.output import echo_err
from cffunc.config.load import DISTRIBUTION_ID, RUNTIMES, Config, load_config, parse_time
from cffunc.deploy.apply import DEFAULT_TIMEOUT_SECONDS
from cffunc.deploy.awsclient import CloudFrontClient
from cffunc.deploy.parallel import DEFAULT_CONCURRENCY, MAX_CONCURRENCY
from cffunc.deploy.toggles import Deployment, MaintenanceToggle, toggle_for
from cffunc.function.compose import ForeignFunction, foreign_from_file

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Settings:
    config_path: Path | None
    profile: str | None
    endpoint_url: str | None
    verbose: bool
    quiet: bool = False
    only: tuple[str, ...] = ()
    """--distribution: narrow the run to these of the selected distributions."""
    concurrency: int = DEFAULT_CONCURRENCY

    def config(self) -> Config:
        return load_config(self.config_path)

    def deployment(self) -> Deployment:
        """The config and a CloudFront client; with -v every call is reported on stderr."""
        config = self.config()
        trace = echo_err if self.verbose else None
        client = CloudFrontClient.connect(self.profile, self.endpoint_url, trace)
        return Deployment(
            config, client, _silent if self.quiet else echo_err, dict(os.environ),
            only=self.only, concurrency=self.concurrency,
        )  # fmt: skip

    def toggle(self) -> tuple[Deployment, MaintenanceToggle]:
        deployment = self.deployment()
        return deployment, toggle_for(deployment)


def _silent(message: str) -> None:
    """--quiet: no progress lines (errors, the state after a stop and done: lines stay)."""


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


def foreign_function(
    with_file: Path | None, with_runtime: str | None, with_events: tuple[str, ...]
) -> ForeignFunction | None:
    if with_file is None:
        if with_runtime is not None or with_events:
            raise click.UsageError("--with-runtime and --with-event go with --with FILE")
        return None
    return foreign_from_file(with_file, with_runtime)  # type: ignore[arg-type]


def parse_now(text: str | None) -> datetime:
    if text is None:
        return datetime.now(UTC)
    moment = parse_time(text)
    if moment is None:
        raise click.UsageError(
            f'--now {text!r}: give an RFC 3339 time, e.g. "2026-12-01T03:00:00Z"'
        )
    return moment


def time_option(option: str, text: str | None) -> datetime | None:
    if text is None:
        return None
    moment = parse_time(text)
    if moment is None:
        raise click.UsageError(
            f"{option} {text!r}: give an RFC 3339 time, e.g. 2026-11-27T00:00:00Z"
        )
    return moment


def _distribution_ids(ctx: click.Context, param: click.Parameter, value: tuple[str, ...]) -> None:
    for wanted in value:
        if not DISTRIBUTION_ID.fullmatch(wanted):
            raise click.BadParameter(
                f"{wanted!r}: give a distribution id such as E2EXAMPLE12345", ctx, param
            )
    _override("only")(ctx, param, tuple(dict.fromkeys(value)) or None)


def fleet_options(command: F) -> F:
    """--distribution ID (repeatable) and --concurrency N, for the commands that read or
    write the selected distributions; they go to :class:`Settings`."""
    command = click.option(
        "--concurrency",
        type=click.IntRange(1, MAX_CONCURRENCY),
        default=DEFAULT_CONCURRENCY,
        show_default=True,
        expose_value=False,
        callback=_override("concurrency"),
        help="Distributions read or written at once.",
    )(command)
    return click.option(
        "--distribution",
        "only",
        multiple=True,
        metavar="ID",
        expose_value=False,
        callback=_distribution_ids,
        help="Only this one of the distributions the config selects (repeatable).",
    )(command)


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
