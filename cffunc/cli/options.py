"""The options commands share, declared once: the global ones (config, AWS, verbosity),
``--json``, ``--wait``/``--timeout``, ``--with`` and the limits of code cffunc did not
write; and the :class:`Settings` they fill."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import click

from cffunc.cli.errors import reports_errors
from cffunc.cli.output import echo_err, steps
from cffunc.config.load import DISTRIBUTION_ID, RUNTIMES, Config, load_config, parse_time
from cffunc.deploy.apply import DEFAULT_TIMEOUT_SECONDS
from cffunc.deploy.awsclient import CloudFrontClient, Connection
from cffunc.deploy.parallel import DEFAULT_CONCURRENCY, MAX_CONCURRENCY
from cffunc.deploy.toggles import Deployment
from cffunc.function.build import WithFunction
from cffunc.runtime.isolated import DEFAULT_MEGABYTES, DEFAULT_SECONDS

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Settings:
    """The options every command shares, from the group and from after the command name."""

    config_path: Path | None = None
    profile: str | None = None
    region: str | None = None
    endpoint_url: str | None = None
    verbose: bool = False
    quiet: bool = False
    only: tuple[str, ...] = ()
    """--distribution: narrow the run to these of the selected distributions."""
    concurrency: int = DEFAULT_CONCURRENCY

    def config(self) -> Config:
        return load_config(self.config_path)

    @property
    def progress(self) -> Callable[[str], None]:
        """Where progress lines go: stderr (in a terminal, rewritten), nowhere with -q."""
        return steps().progress

    @property
    def connection(self) -> Connection:
        return Connection(self.profile, self.region, self.endpoint_url)

    def deployment(self) -> Deployment:
        """The config and a CloudFront client; with -v every call is reported on stderr."""
        config = self.config()
        trace = echo_err if self.verbose else None
        client = CloudFrontClient.connect(self.connection, trace)
        reporter = steps()
        return Deployment(
            config, client, reporter.progress, dict(os.environ), steps=reporter,
            only=self.only, concurrency=self.concurrency,
        )  # fmt: skip


# The options every command takes, declared once: on the group they set the Settings;
# after a command name (``cffunc test -c FILE``) the same options override them.
Option = tuple[tuple[str, ...], str, dict[str, Any]]
COMMON_OPTIONS: list[Option] = [
    (("-c", "--config"), "config_path", {"type": click.Path(dir_okay=False, path_type=Path),
                                         "help": "Config file (default: ./cffunc.toml)."}),
    (("-q", "--quiet"), "quiet", {"is_flag": True,
                                  "help": "No progress lines on stderr (for CI logs)."}),
]  # fmt: skip
# Only on the commands that call AWS.
AWS_OPTIONS: list[Option] = [
    (("--profile",), "profile", {"help": "AWS profile (also AWS_PROFILE)."}),
    (("--region",), "region", {"envvar": ["AWS_REGION", "AWS_DEFAULT_REGION"],
        "help": "AWS region of S3 logs and the KeyValueStore API (also AWS_REGION; CloudFront "
                "itself is global: us-east-1)."}),
    (("--endpoint-url",), "endpoint_url", {"envvar": "AWS_ENDPOINT_URL",
        "help": "AWS API endpoint (also AWS_ENDPOINT_URL), e.g. the local CloudFront API."}),
    (("-v", "--verbose"), "verbose", {"is_flag": True, "help": "Report every AWS call on stderr."}),
]  # fmt: skip
GLOBAL_OPTIONS = COMMON_OPTIONS[:1] + AWS_OPTIONS + COMMON_OPTIONS[1:]
"""On the group, in the order --help lists them."""


def _override(field: str) -> Callable[[click.Context, click.Parameter, Any], None]:
    def callback(ctx: click.Context, param: click.Parameter, value: Any) -> None:
        if value is not None and value is not False and ctx.obj is not None:
            ctx.obj = replace(ctx.obj, **{field: value})

    return callback


def _options(command: F, options: list[Option]) -> F:
    for flags, field, extra in reversed(options):
        command = click.option(
            *flags, field + "_override", expose_value=False, callback=_override(field), **extra
        )(command)
    return command


def command_options(command: F) -> F:
    """The options every command takes after its name, plus click's pass_obj and the
    error edge."""
    return _options(click.pass_obj(reports_errors(command)), COMMON_OPTIONS)  # type: ignore[return-value]


def aws_options(command: F) -> F:
    """--profile, --region, --endpoint-url and -v, on a command that calls AWS."""
    return _options(command, AWS_OPTIONS)


def aws_options_given(ctx: click.Context) -> list[str]:
    """The AWS options given after the command name (not from the group or the
    environment): a command that calls AWS only sometimes refuses them otherwise."""
    given = []
    for flags, field, _ in AWS_OPTIONS:
        source = ctx.get_parameter_source(field + "_override")
        if source is click.core.ParameterSource.COMMANDLINE:
            given.append(flags[-1])
    return given


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


def limit_options(command: F) -> F:
    """--time-limit and --memory-limit: the bounds of code cffunc did not write (``--code``,
    ``--with``), which runs in a child process."""
    command = click.option(
        "--memory-limit",
        type=click.IntRange(min=64),
        default=DEFAULT_MEGABYTES,
        show_default=True,
        help="--code, --with: megabytes that code may use (in serve: per request) before it "
        "is stopped.",
    )(command)
    return click.option(
        "--time-limit",
        type=click.FloatRange(min=0.1),
        default=DEFAULT_SECONDS,
        show_default=True,
        help="--code, --with: seconds that code may run (in serve: per request) before it is "
        "stopped; it runs in a child process.",
    )(command)


def edge_options(command: F) -> F:
    """--edge-location, --tenant, --tenant-param and --endpoint: what the edge tells a
    runtime 2.0 function beside the event (``test``'s single events, ``serve``'s requests)."""
    for option in reversed(
        [
            click.option(
                "--edge-location",
                metavar="NAME[,SERVERIP[,REGION]]",
                help="cf.edgeLocation of the events (default: IAD,192.0.2.10,us-east-1).",
            ),
            click.option(
                "--tenant",
                "tenant_id",
                metavar="ID",
                help="The events come through this tenant of a multi-tenant distribution "
                "(cf.distributionTenant.id; default: a standard distribution).",
            ),
            click.option(
                "--tenant-param",
                "tenant_params",
                multiple=True,
                metavar="K=V",
                help="A parameter of --tenant, for cf.distributionTenant.parameters.get "
                "(repeatable).",
            ),
            click.option(
                "--endpoint",
                metavar="DOMAIN",
                help="--tenant's connection group domain, event.context.endpoint "
                "(default: d111111abcdef8.cloudfront.net).",
            ),
        ]
    ):
        command = option(command)
    return command


def pairs(option: str, values: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """``K=V`` option values as pairs; a usage error names the one without ``=``."""
    out = []
    for item in values:
        name, eq, value = item.partition("=")
        if not eq or not name:
            raise click.UsageError(f"{option} {item!r}: give NAME=VALUE")
        out.append((name, value))
    return tuple(out)


def with_function(
    path: Path | None, runtime: str | None, events: tuple[str, ...]
) -> WithFunction | None:
    """--with and its options as a request's part (UsageError when they come without it)."""
    return WithFunction.from_options(path, runtime, events)


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
