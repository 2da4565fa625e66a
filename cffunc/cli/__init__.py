"""The ``cffunc`` command: a thin click layer over the library.

Each command parses its options, makes one library call and hands the result to one
formatter of :mod:`cffunc.cli.output`. Each command's docstring is its ``--help``. Library
errors (:class:`CffuncError`) become one ``Error: ...`` line and exit code 1; click's
usage errors exit with 2.
"""

from __future__ import annotations

from typing import Any

import click

from cffunc import __version__
from cffunc.cli import deploy, export, local, replay, serve
from cffunc.cli.options import GLOBAL_OPTIONS, Settings


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


for _command in (
    local.render_command, local.test_command, local.init_command, replay.replay_command,
    serve.serve_command, export.export_group, deploy.publish_command, deploy.plan_command,
    deploy.enable_command, deploy.disable_command, deploy.status_command,
    deploy.install_command, deploy.uninstall_command, deploy.allow_group,
    deploy.destroy_command, deploy.iam_policy_command,
):  # fmt: skip
    cli.add_command(_command)


def main() -> None:
    cli(prog_name="cffunc")
