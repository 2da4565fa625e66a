"""The ``cffunc`` command: a thin click layer over the library.

Each command's docstring is its ``--help``. Library errors (:class:`CffuncError`) become
one ``Error: ...`` line and exit code 1; click's usage errors exit with 2.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from cffunc import __version__
from cffunc.config import Config, load_config
from cffunc.errors import CffuncError
from cffunc.render import SIZE_LIMIT, RenderedFunction, RenderStats, render
from cffunc.rules import compile_rules

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Settings:
    config_path: Path | None
    profile: str | None
    endpoint_url: str | None
    verbose: bool

    def config(self) -> Config:
        return load_config(self.config_path)


def reports_errors(command: F) -> F:
    """Turn library errors into click's one-line ``Error:`` and exit code 1."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except CffuncError as error:
            raise click.ClickException(str(error)) from None

    return wrapper  # type: ignore[return-value]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "-c",
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Config file (default: ./cffunc.toml).",
)
@click.option("--profile", help="AWS profile for the commands that call AWS.")
@click.option(
    "--endpoint-url",
    envvar="AWS_ENDPOINT_URL",
    help="CloudFront API endpoint (also AWS_ENDPOINT_URL), e.g. the local emulator.",
)
@click.option("-v", "--verbose", is_flag=True, help="Say more on stderr.")
@click.version_option(__version__, prog_name="cffunc")
@click.pass_context
def cli(
    ctx: click.Context,
    config_path: Path | None,
    profile: str | None,
    endpoint_url: str | None,
    verbose: bool,
) -> None:
    """Maintenance mode for Amazon CloudFront with a CloudFront Function.

    Render the function from cffunc.toml, prove it locally in V8, then switch it on
    and off from a release script.

    \b
    Example:
      cffunc -c samples/cffunc.toml render --stats
    """
    ctx.obj = Settings(config_path, profile, endpoint_url, verbose)


def rendered_function(settings: Settings) -> RenderedFunction:
    config = settings.config()
    return render(compile_rules(config, os.environ))


def format_stats(stats: RenderStats) -> str:
    networks = f"{stats.v4_networks} IPv4 + {stats.v6_networks} IPv6 networks"
    rows = [
        ("runtime", stats.runtime),
        ("bytes", f"{stats.total:,} of {SIZE_LIMIT:,} ({stats.share:.1%})"),
        ("  page", f"{stats.page:,}"),
        ("  allowlist", f"{stats.allowlist:,} ({networks}, paths)"),
        ("  logic", f"{stats.logic:,}"),
    ]
    return "\n".join(f"{name:<12} {value}" for name, value in rows)


@cli.command("render")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write the code to FILE instead of standard output.",
)
@click.option(
    "--stats",
    is_flag=True,
    help="Print the size (bytes, share of the 10,240-byte limit) instead of the code.",
)
@click.pass_obj
@reports_errors
def render_command(settings: Settings, output: Path | None, stats: bool) -> None:
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
    function = rendered_function(settings)
    if output is not None:
        output.write_bytes(function.code_bytes)
        click.echo(f"wrote {output} ({function.stats.total:,} bytes)", err=True)
    if stats:
        click.echo(format_stats(function.stats))
    elif output is None:
        sys.stdout.write(function.code)


def main() -> None:
    cli(prog_name="cffunc")
