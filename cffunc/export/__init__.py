"""``cffunc export``: the function (and its KeyValueStore) for CloudFormation or Terraform.

With the distribution in infrastructure as code, the code owns the function, the store
and the association; ``cffunc enable``/``disable`` (toggle = "kvs") only write the store
key, so nothing drifts. The exported code is the render byte for byte.

Names follow the references: CloudFormation ``AWS::CloudFront::Function`` (Name,
AutoPublish, FunctionCode, FunctionConfig {Comment, Runtime, KeyValueStoreAssociations
[{KeyValueStoreARN}]}, attribute FunctionARN) and ``AWS::CloudFront::KeyValueStore``
(Name, Comment, attribute Arn), AWSCloudFormation/latest/TemplateReference; Terraform's
AWS provider ``aws_cloudfront_function`` (name, runtime, comment, publish, code,
key_value_store_associations; attribute arn), ``aws_cloudfront_key_value_store`` (name,
comment; attribute arn) and the distribution's ``function_association`` block
(event_type, function_arn), registry.terraform.io/providers/hashicorp/aws/latest/docs.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from cffunc.config.load import Config
from cffunc.deploy.reads import local_function
from cffunc.errors import CffuncError
from cffunc.export import folder, hcl
from cffunc.function.render import RenderedFunction, render
from cffunc.function.rules import compile_rules, keeps_page_in_store

FUNCTION_ID = "MaintenanceFunction"
STORE_ID = "MaintenanceStore"
TERRAFORM_FILE = "cffunc.tf"


class ExportError(CffuncError):
    """The exported files are missing or stale (--check)."""


@dataclass(frozen=True)
class Exported:
    files: dict[str, str]
    """File name (relative to the output) -> text."""


def _events(config: Config) -> tuple[str, ...]:
    """The slots the function takes: what enable would associate."""
    return local_function(config, None).events


def _behaviors(config: Config) -> list[str]:
    out: list[str] = []
    for target in config.distributions:
        label = target.id or target.alias or target.describe()
        behaviors = target.behaviors or ("every behavior",)
        out += [_safe(f"{label}: {', '.join(behaviors)}")]
    return out


def _comment(config: Config) -> str:
    return (config.function.comment or f"cffunc maintenance function {config.function.name}")[:128]


def _caveats(config: Config) -> list[str]:
    lines = [
        "The code holds the bypass key derived from the secret (not the secret itself): it",
        "is a bypass credential, like cloudfront:GetFunction. Keep this file where that is fine,",
        "or export it in CI from the secret at deploy time.",
    ]
    if config.store_name is None:
        lines += [
            'toggle = "association": associating this function IS maintenance on. With the',
            'distribution in code, use toggle = "kvs": the association stays, enable/disable',
            "write only the store key.",
        ]
    else:
        lines += [
            "The store starts empty: a missing cffunc:state key means maintenance is off.",
            "`cffunc disable` writes it (off); `cffunc enable` turns maintenance on.",
        ]
        if keeps_page_in_store(config):
            lines += [
                "The maintenance page is kept in the store (cffunc:page:* keys), not in the",
                "code: `cffunc enable` writes it with the state; until then a maintenance",
                "answer is the text message.",
            ]
    return lines


def cloudformation(config: Config, function: RenderedFunction) -> Exported:
    """A YAML template: the function, its store (toggle = "kvs"), outputs, and the
    FunctionAssociations to add to the distribution's behaviors, as a comment."""
    import yaml  # type: ignore[import-untyped,unused-ignore]

    store = config.store_name
    function_config: dict[str, object] = {
        "Comment": _comment(config),
        "Runtime": config.function.runtime,
    }
    resources: dict[str, object] = {}
    outputs: dict[str, object] = {
        "FunctionArn": {"Value": {"Fn::GetAtt": [FUNCTION_ID, "FunctionARN"]}},
    }
    if store is not None:
        resources[STORE_ID] = {
            "Type": "AWS::CloudFront::KeyValueStore",
            "Properties": {
                "Name": store,
                "Comment": f"cffunc: maintenance switch of {config.function.name}",
            },
        }
        function_config["KeyValueStoreAssociations"] = [
            {"KeyValueStoreARN": {"Fn::GetAtt": [STORE_ID, "Arn"]}}
        ]
        outputs["KeyValueStoreArn"] = {"Value": {"Fn::GetAtt": [STORE_ID, "Arn"]}}
    resources[FUNCTION_ID] = {
        "Type": "AWS::CloudFront::Function",
        "Properties": {
            "Name": config.function.name,
            "AutoPublish": True,
            "FunctionCode": _Code(function.code),
            "FunctionConfig": function_config,
        },
    }
    template = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": f"cffunc: maintenance function {config.function.name}"
        + (f" and its KeyValueStore {store}" if store else ""),
        "Resources": resources,
        "Outputs": outputs,
    }

    class Dumper(yaml.SafeDumper):
        pass

    # The code goes in double quotes: every character escaped as needed, one line, so
    # no YAML folding can touch it (a round trip gives the render back byte for byte).
    Dumper.add_representer(
        _Code,
        lambda dumper, data: dumper.represent_scalar("tag:yaml.org,2002:str", data, style='"'),
    )
    body = yaml.dump(
        template, Dumper=Dumper, sort_keys=False, width=float("inf"), allow_unicode=True
    )
    associations = ["# Add to each selected cache behavior of the distribution:"]
    associations += [f"#   {line}" for line in _behaviors(config)]
    associations += ["#", "#   FunctionAssociations:"]
    for event in _events(config):
        associations += [
            f"#     - EventType: {event}",
            f"#       FunctionARN: !GetAtt {FUNCTION_ID}.FunctionARN",
        ]
    head = [
        f"# Written by `cffunc export cloudformation` from {_safe(config.path.name)}; do not edit:"
    ]
    head += ["# `cffunc export cloudformation --check` tells when it is stale.", "#"]
    head += [f"# {line}" for line in _caveats(config)]
    text = "\n".join(head) + "\n" + body + "\n".join(associations) + "\n"
    return Exported({"template.yaml": text})


def terraform(config: Config, function: RenderedFunction) -> Exported:
    """cffunc.tf (the function, its store, outputs, and the function_association blocks
    as a comment) and the code in a file next to it, laid out as ``terraform fmt`` would
    leave them."""
    name = config.function.name
    code_file = f"{name}.js"
    store = config.store_name
    lines = [f"# Written by `cffunc export terraform` from {_safe(config.path.name)}; do not edit:"]
    lines += ["# `cffunc export terraform --check` tells when it is stale.", "#"]
    lines += [f"# {line}" for line in _caveats(config)]
    if store is not None:
        lines += _block(
            'resource "aws_cloudfront_key_value_store" "maintenance"',
            ("name", _hcl(store)),
            ("comment", _hcl(f"cffunc: maintenance switch of {name}")),
        )
    function_arguments = [
        ("name", _hcl(name)),
        ("runtime", _hcl(config.function.runtime)),
        ("comment", _hcl(_comment(config))),
        ("publish", "true"),
        ("code", f'file("${{path.module}}/{code_file}")'),
    ]
    if store is not None:
        function_arguments.append(
            ("key_value_store_associations", "[aws_cloudfront_key_value_store.maintenance.arn]")
        )
    lines += _block('resource "aws_cloudfront_function" "maintenance"', *function_arguments)
    lines += _block('output "function_arn"', ("value", "aws_cloudfront_function.maintenance.arn"))
    if store is not None:
        lines += _block(
            'output "key_value_store_arn"',
            ("value", "aws_cloudfront_key_value_store.maintenance.arn"),
        )
    lines += ["", "# Add to each selected cache behavior of the distribution:"]
    lines += [f"#   {line}" for line in _behaviors(config)]
    lines.append("#")
    for event in _events(config):
        lines += [
            "#   function_association {",
            f'#     event_type   = "{event}"',
            "#     function_arn = aws_cloudfront_function.maintenance.arn",
            "#   }",
        ]
    return Exported({TERRAFORM_FILE: "\n".join(lines) + "\n", code_file: function.code})


def _block(header: str, *arguments: tuple[str, str]) -> list[str]:
    """A block after a blank line, as ``terraform fmt`` lays it out: two spaces of
    indentation and the ``=`` of consecutive one-line arguments in one column."""
    width = max(len(name) for name, _ in arguments)
    return ["", f"{header} {{", *(f"  {n.ljust(width)} = {v}" for n, v in arguments), "}"]


class _Code(str):
    """The function code, written in double quotes."""


_HCL_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _hcl(text: str) -> str:
    """An HCL string literal: its escapes (``\\n``, ``\\uNNNN``; it has no ``\\b`` or ``\\f``),
    and ``$${`` and ``%%{`` for a literal ``${`` or ``%{``."""
    escaped = "".join(
        _HCL_ESCAPES.get(c) or (f"\\u{ord(c):04x}" if _breaks_lines(c) else c) for c in text
    )
    return '"' + escaped.replace("${", "$${").replace("%{", "%%{") + '"'


def _breaks_lines(c: str) -> bool:
    """Control characters, and the separators YAML reads as line breaks."""
    return unicodedata.category(c) == "Cc" or c in "\u2028\u2029"


def _safe(text: str) -> str:
    """Text from the config made safe for a comment line: no character can end it."""
    return "".join(f"\\u{ord(c):04x}" if _breaks_lines(c) else c for c in text)


def write(exported: Exported, target: Path, single: bool) -> list[Path]:
    """Write the files: ``single`` (CloudFormation) writes the one file to ``target``."""
    written = []
    for name, text in exported.files.items():
        path = target if single else target / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
        written.append(path)
    return written


def check(exported: Exported, target: Path, single: bool, command: str) -> None:
    """ExportError naming the first file that is missing or says something else than the
    export (a ``.tf`` file by what it says, see :mod:`cffunc.export.hcl`; any other file
    byte for byte), or, for Terraform, the first other file of the folder that changes
    what the export's blocks mean (:mod:`cffunc.export.folder`)."""
    for name, text in exported.files.items():
        path = target if single else target / name
        try:
            current = path.read_bytes()
        except OSError:
            raise ExportError(f"{path} is missing: run `{command}`") from None
        difference = _difference(name, current, text)
        if difference is not None:
            raise ExportError(f"{path} is stale ({difference}): run `{command}`")
    if not single:
        ours = hcl.declarations(hcl.read(exported.files[TERRAFORM_FILE]))
        reason = folder.trespass(target, TERRAFORM_FILE, (d.address for d in ours))
        if reason is not None:
            raise ExportError(reason)


def _difference(name: str, current: bytes, text: str) -> str | None:
    """What differs between a file on disk and the export's text; None when nothing."""
    if not name.endswith(".tf"):
        return None if current == text.encode("utf-8") else "the config or the render changed"
    try:
        on_disk = hcl.read(current.decode("utf-8"))
    except (UnicodeDecodeError, hcl.HclError) as error:
        return f"it is not Terraform's syntax: {error}"
    exported = hcl.read(text)
    said, meant = hcl.meaning(on_disk), hcl.meaning(exported)
    if said == meant:
        return None
    missing, extra = meant - said, said - meant
    for block in exported.blocks:
        if block.meaning() in missing:
            return f"{block.address} differs from the current render"
    for block in on_disk.blocks:
        if block.meaning() in extra:
            return f"{block.address} is not in the current render"
    return "it holds arguments outside any block"


@dataclass(frozen=True)
class ExportRequest:
    """``cffunc export cloudformation|terraform``: where, and whether only to compare."""

    config: Config
    env: Mapping[str, str]
    kind: Literal["cloudformation", "terraform"]
    target: Path
    check_only: bool = False
    command: str = ""
    """The command that writes the files again, for --check's error."""


def export_files(request: ExportRequest) -> list[Path]:
    """The files written; with ``check_only``, none (ExportError when they are stale)."""
    function = render(compile_rules(request.config, request.env))
    single = request.kind == "cloudformation"
    exported = (cloudformation if single else terraform)(request.config, function)
    if request.check_only:
        check(exported, request.target, single, request.command)
        return []
    return write(exported, request.target, single)
