"""``cffunc export``: the function (and its store) as CloudFormation or Terraform."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

import click

from cffunc.cli import output
from cffunc.cli.options import Settings, command_options
from cffunc.export import ExportRequest, export_files


@click.group("export")
def export_group() -> None:
    """Write the function (and its store) for CloudFormation or Terraform.

    With the distribution in infrastructure as code, the code owns the function,
    the KeyValueStore and the association, and `enable`/`disable` (toggle =
    "kvs") only write the store key: no drift. The code is the render byte for
    byte; --check exits 1 when the files on disk no longer match it.
    """


def _export(
    settings: Settings, kind: Literal["cloudformation", "terraform"], target: Path, check: bool
) -> None:
    command = f"cffunc export {kind}" + (f" -o {target}" if target != _EXPORT_DEFAULT[kind] else "")
    request = ExportRequest(settings.config(), os.environ, kind, target, check, command)
    output.exported(export_files(request), request)


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
    _export(settings, "cloudformation", target, check_only)


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
    _export(settings, "terraform", target, check_only)
