"""cffunc export: the CloudFormation template passes cfn-lint and gives the render back
byte for byte; the Terraform parses with python-hcl2 and names the AWS provider's
resources; --check tells a stale export; the CI samples run against the local API."""

from __future__ import annotations

import json
import os
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
