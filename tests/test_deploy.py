"""Deploy commands against the local CloudFront API (a real HTTP server): the pure edits,
then the CLI in-process, with one full cycle through the real entry point as subprocesses."""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3
import pytest

from cffunc.deploy.plan import (
    LocalFunction,
    Refusal,
    RemoteDistribution,
    associate,
    check_enable,
    disassociate,
    maintenance_state,
)
from cffunc.emulator.server import RunningEmulator, read_seeds
from tests.helpers import ENV, SAMPLES, Ran, invoke, local_aws_env, run_process

DIST = "E2EXAMPLE12345"
SEED = read_seeds(SAMPLES / "distribution.json")
ORIGINAL = SEED[0]["DistributionConfig"]
OURS = "arn:aws:cloudfront::123456789012:function/shop-maintenance"
LOCAL = LocalFunction(
    "shop-maintenance",
    "cloudfront-js-2.0",
    "",
    b"code",
    ("viewer-request", "viewer-response"),
    "maintenance-bucket",
)


# ---- the pure edits ----


def remote(
    config: dict[str, Any], behaviors: tuple[str, ...] | None = ("*", "/api/*")
) -> RemoteDistribution:
    return RemoteDistribution(DIST, config, "E1", behaviors)


def test_associate_then_disassociate_gives_back_the_original() -> None:
    enabled = associate(ORIGINAL, LOCAL, OURS, ("*", "/api/*"))
    assert enabled != ORIGINAL
    assert maintenance_state(LOCAL, remote(enabled)) == "on"
    assert associate(enabled, LOCAL, OURS, ("*", "/api/*")) is enabled  # nothing left to add
    assert disassociate(enabled, LOCAL.name) == ORIGINAL
    assert maintenance_state(LOCAL, remote(ORIGINAL)) == "off"
    partial = associate(ORIGINAL, LOCAL, OURS, ("*",))
    assert maintenance_state(LOCAL, remote(partial)) == "partial"
    # behaviors left out, with their foreign functions, are untouched
    assert enabled["CacheBehaviors"]["Items"][1:] == ORIGINAL["CacheBehaviors"]["Items"][1:]


def test_check_enable_refusals() -> None:
    from dataclasses import replace

    every = remote(ORIGINAL, None)
    local = replace(LOCAL, compose=False)
    with pytest.raises(
        Refusal,
        match=r"behavior '/static/\*': viewer-response already runs arn:aws:cloudfront::123456789012:function/security-headers",
    ):
        check_enable(local, remote(ORIGINAL, ("/static/*",)))
    with pytest.raises(Refusal, match="has no cache behavior '/nope/\\*'"):
        check_enable(local, remote(ORIGINAL, ("/nope/*",)))
    with pytest.raises(Refusal, match="has no origin 'elsewhere'"):
        check_enable(
            LocalFunction("f", "cloudfront-js-2.0", "", b"", ("viewer-request",), "elsewhere"),
            remote(ORIGINAL),
        )
    lambda_viewer = copy.deepcopy(ORIGINAL)
    lambda_viewer["CacheBehaviors"]["Items"][0]["LambdaFunctionAssociations"]["Items"][0][
        "EventType"
    ] = "viewer-request"
    with pytest.raises(
        Refusal,
        match=r"behavior '/api/\*': Lambda@Edge arn:aws:lambda:us-east-1:123456789012:function:api-auth:7 runs on viewer-request",
    ):
        check_enable(local, remote(lambda_viewer))
    with pytest.raises(Refusal):
        check_enable(local, every)  # /static/* is among every behavior


# ---- the commands ----


def client(emulator: RunningEmulator) -> Any:
    return boto3.client(
        "cloudfront", endpoint_url=emulator.endpoint, region_name="us-east-1",
        aws_access_key_id="test", aws_secret_access_key="test",
    )  # fmt: skip


def config_file(tmp_path: Path, replace: dict[str, str] | None = None) -> Path:
    text = (SAMPLES / "cffunc.toml").read_text()
    for old, new in (replace or {}).items():
        assert old in text
        text = text.replace(old, new)
    path = tmp_path / "cffunc.toml"
    path.write_text(text)
    shutil.copy(SAMPLES / "scenarios.toml", tmp_path / "scenarios.toml")
    return path


def cffunc(
    emulator: RunningEmulator,
    config: Path,
    *args: str,
    secret: str = ENV["CFFUNC_BYPASS_SECRET"],
    process: bool = False,
) -> Ran:
    """The CLI against the local API: in-process (CliRunner), or with ``process`` as a
    real subprocess for the end-to-end tests that prove the entry point."""
    env = {**local_aws_env(emulator.endpoint), "CFFUNC_BYPASS_SECRET": secret}
    return (run_process if process else invoke)(["-c", str(config), *args], env)


def calls_of(emulator: RunningEmulator, run: Any) -> list[str]:
    before = len(emulator.app.calls)
    run()
    return emulator.app.calls[before:]


def current(emulator: RunningEmulator) -> dict[str, Any]:
    return dict(client(emulator).get_distribution_config(Id=DIST)["DistributionConfig"])


def test_full_cycle_and_round_trip(emulator: RunningEmulator, tmp_path: Path) -> None:
    config = config_file(tmp_path)
    published = cffunc(emulator, config, "publish", process=True)
    assert published.returncode == 0, published.stderr
    assert published.stdout.splitlines() == [
        "done: create function shop-maintenance (3,455 bytes, cloudfront-js-2.0)",
        "done: publish shop-maintenance to LIVE",
    ]
    enabled = cffunc(emulator, config, "enable", "--wait", "--json", process=True)
    assert enabled.returncode == 0, enabled.stderr
    document = json.loads(enabled.stdout)
    assert document["report"]["distributions"] == [DIST]
    assert "deployed in" in enabled.stderr
    after = current(emulator)
    for behavior in (after["DefaultCacheBehavior"], after["CacheBehaviors"]["Items"][0]):
        assert behavior["FunctionAssociations"]["Items"] == [
            {"FunctionARN": OURS, "EventType": "viewer-request"},
            {"FunctionARN": OURS, "EventType": "viewer-response"},
        ]
    status = json.loads(cffunc(emulator, config, "status", "--json").stdout)
    assert status["maintenance"] == "on"
    assert status["function"]["live_matches_local"] is True
    assert status["distributions"][0]["status"] == "Deployed"
    disabled = cffunc(emulator, config, "disable", "--wait", process=True)
    assert disabled.returncode == 0, disabled.stderr
    assert current(emulator) == ORIGINAL
    assert json.loads(cffunc(emulator, config, "status", "--json").stdout)["maintenance"] == "off"
    destroyed = cffunc(emulator, config, "destroy")
    assert (
        destroyed.returncode == 0 and destroyed.stdout == "done: delete function shop-maintenance\n"
    )
    assert client(emulator).list_functions()["FunctionList"]["Quantity"] == 0


def test_every_command_is_idempotent(emulator: RunningEmulator, tmp_path: Path) -> None:
    config = config_file(tmp_path)
    assert cffunc(emulator, config, "enable").returncode == 0
    writes = {
        "CreateFunction",
        "UpdateFunction",
        "PublishFunction",
        "UpdateDistribution",
        "DeleteFunction",
    }
    for command, answer in [("publish", "nothing to publish"), ("enable", "already enabled")]:
        before = len(emulator.app.calls)
        result = cffunc(emulator, config, command)
        assert result.returncode == 0 and answer in result.stdout
        assert not writes & set(emulator.app.calls[before:])
    assert cffunc(emulator, config, "disable").returncode == 0
    again = cffunc(emulator, config, "disable")
    assert again.returncode == 0 and again.stdout == "already disabled\n"
    assert cffunc(emulator, config, "destroy").returncode == 0
    gone = cffunc(emulator, config, "destroy")
    assert gone.returncode == 0 and "nothing to delete" in gone.stdout


def test_enable_with_an_unchanged_function_makes_few_calls(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    config = config_file(tmp_path)
    assert cffunc(emulator, config, "publish").returncode == 0
    calls = calls_of(emulator, lambda: cffunc(emulator, config, "enable"))
    assert calls == [
        "DescribeFunction",
        "GetFunction",
        "GetDistributionConfig",
        "GetDistribution",  # its ARN, for the record's tags
        "ListTagsForResource",  # what an earlier enable recorded adding
        "TagResource",  # the record, before the write
        "UpdateDistribution",
    ]


def test_a_concurrent_writers_change_survives(emulator: RunningEmulator, tmp_path: Path) -> None:
    config = config_file(tmp_path)
    emulator.app.change_after_next_read(DIST, lambda c: c.update(Comment="edited by terraform"))
    enabled = cffunc(emulator, config, "enable")
    assert enabled.returncode == 0, enabled.stderr
    assert "changed meanwhile; reading it again" in enabled.stderr
    after = current(emulator)
    assert after["Comment"] == "edited by terraform"
    assert after["DefaultCacheBehavior"]["FunctionAssociations"]["Quantity"] == 2
    emulator.app.change_after_next_read(DIST, lambda c: c.update(PriceClass="PriceClass_All"))
    assert cffunc(emulator, config, "disable").returncode == 0
    final = current(emulator)
    assert final == ORIGINAL | {"Comment": "edited by terraform", "PriceClass": "PriceClass_All"}


def test_throttling_and_stale_etags_are_retried(emulator: RunningEmulator, tmp_path: Path) -> None:
    config = config_file(tmp_path)
    emulator.app.faults.add("GetDistributionConfig", "Throttling", 2)
    emulator.app.faults.add("UpdateDistribution", "Throttling", 1)
    emulator.app.faults.add("UpdateDistribution", "PreconditionFailed", 1)
    emulator.app.faults.add("PublishFunction", "InternalError", 1)
    enabled = cffunc(emulator, config, "enable")
    assert enabled.returncode == 0, enabled.stderr
    assert json.loads(cffunc(emulator, config, "status", "--json").stdout)["maintenance"] == "on"


def test_access_denied_is_clear_and_changes_nothing(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    config = config_file(tmp_path)
    emulator.app.faults.add("CreateFunction", "AccessDenied")
    denied = cffunc(emulator, config, "enable")
    assert denied.returncode == 1
    assert denied.stderr.splitlines()[-1] == (
        "Error: access denied: CreateFunction on shop-maintenance needs the IAM permission "
        "cloudfront:CreateFunction; `cffunc iam-policy` prints the policy cffunc needs"
    )
    assert client(emulator).list_functions()["FunctionList"]["Quantity"] == 0
    assert cffunc(emulator, config, "publish").returncode == 0
    emulator.app.faults.add("UpdateDistribution", "AccessDenied")
    denied = cffunc(emulator, config, "enable")
    assert denied.returncode == 1
    assert "cloudfront:UpdateDistribution" in denied.stderr
    assert current(emulator) == ORIGINAL


@pytest.mark.parametrize(
    ("replace", "message"),
    [
        ({'behaviors = ["*", "/api/*"]': 'behaviors = ["*", "/static/*"]', "[maintenance]\n": "[maintenance]\ncompose = false\n"},
         "Error: distribution E2EXAMPLE12345, behavior '/static/*': viewer-response already runs arn:aws:cloudfront::123456789012:function/security-headers"),
        # Composing needs the foreign function's LIVE code: a function this account does not have.
        ({'behaviors = ["*", "/api/*"]': 'behaviors = ["*", "/static/*"]'},
         "Error: arn:aws:cloudfront::123456789012:function/security-headers is on a slot cffunc needs, but this account has no LIVE function security-headers"),
        ({'behaviors = ["*", "/api/*"]': 'behaviors = ["*", "/shop/*"]'},
         "Error: distribution E2EXAMPLE12345 has no cache behavior '/shop/*'"),
        ({'origin = "maintenance-bucket"': 'origin = "nope"'},
         "Error: distribution E2EXAMPLE12345 has no origin 'nope' (maintenance.origin)"),
        ({'id = "E2EXAMPLE12345"': 'id = "ENOSUCH"'},
         "Error: GetDistributionConfig: ENOSUCH does not exist (NoSuchDistribution)"),
        ({'id = "E2EXAMPLE12345"': 'alias = "other.example.com"'},
         "Error: alias other.example.com: no distribution lists it in Aliases"),
    ],
)  # fmt: skip
def test_refusals_write_nothing(
    emulator: RunningEmulator, tmp_path: Path, replace: dict[str, str], message: str
) -> None:
    config = config_file(tmp_path, replace)
    result = cffunc(emulator, config, "enable")
    assert result.returncode == 1
    assert result.stderr.startswith(message), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    calls = emulator.app.calls
    assert not {"CreateFunction", "PublishFunction", "UpdateDistribution"} & set(calls)
    assert current(emulator) == ORIGINAL


def test_alias_finds_the_distribution(emulator: RunningEmulator, tmp_path: Path) -> None:
    config = config_file(tmp_path, {'id = "E2EXAMPLE12345"': 'alias = "www.shop.example.com"'})
    enabled = cffunc(emulator, config, "enable")
    assert enabled.returncode == 0, enabled.stderr
    assert "E2EXAMPLE12345 (www.shop.example.com)" in enabled.stdout


def test_plan_changes_nothing(emulator: RunningEmulator, tmp_path: Path) -> None:
    config = config_file(tmp_path)
    planned = cffunc(emulator, config, "plan", "--json")
    assert planned.returncode == 0, planned.stderr
    document = json.loads(planned.stdout)
    assert [step["action"] for step in document["function"]] == ["create", "publish"]
    assert {(c["behavior"], c["event"]) for c in document["distributions"][0]["changes"]} == {
        ("*", "viewer-request"), ("*", "viewer-response"), ("/api/*", "viewer-request"), ("/api/*", "viewer-response"),
    }  # fmt: skip
    assert set(emulator.app.calls) <= {
        "DescribeFunction", "GetFunction", "GetDistributionConfig", "GetDistribution",
        "ListTagsForResource",
    }  # fmt: skip


def test_wait_times_out_naming_the_distribution(
    slow_emulator: RunningEmulator, tmp_path: Path
) -> None:
    result = cffunc(slow_emulator, config_file(tmp_path), "enable", "--wait", "--timeout", "1")
    assert result.returncode == 1
    # What was done on stdout; the error, the state left and what to run next on stderr.
    assert result.stdout.splitlines() == [
        "done: create function shop-maintenance (3,455 bytes, cloudfront-js-2.0)",
        "done: publish shop-maintenance to LIVE",
        "done: associate shop-maintenance with E2EXAMPLE12345: * viewer-request, * viewer-response, /api/* viewer-request, /api/* viewer-response",
    ]
    assert result.stderr.splitlines()[-3:] == [
        "Error: timed out after 1s; still deploying: E2EXAMPLE12345 (the change is made; it reaches the edge when they finish)",
        "state: maintenance on (E2EXAMPLE12345: on, InProgress)",
        "to undo: cffunc disable; to finish: cffunc enable --wait",
    ]


def test_the_aws_cli_reads_back_what_cffunc_wrote(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    config = config_file(tmp_path)
    assert cffunc(emulator, config, "enable").returncode == 0
    executable = shutil.which("aws") or str(Path(sys.executable).parent / "aws")
    read = subprocess.run(
        [executable, "--endpoint-url", emulator.endpoint, "--region", "us-east-1", "cloudfront", "get-distribution-config", "--id", DIST],
        env={**os.environ, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_CONFIG_FILE": os.devnull},
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    default = json.loads(read.stdout)["DistributionConfig"]["DefaultCacheBehavior"]
    assert default["FunctionAssociations"]["Items"][0] == {
        "FunctionARN": OURS,
        "EventType": "viewer-request",
    }
    live = subprocess.run(
        [executable, "--endpoint-url", emulator.endpoint, "--region", "us-east-1", "cloudfront", "describe-function", "--name", "shop-maintenance", "--stage", "LIVE"],
        env={**os.environ, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_CONFIG_FILE": os.devnull},
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert (
        json.loads(live.stdout)["FunctionSummary"]["FunctionConfig"]["Runtime"]
        == "cloudfront-js-2.0"
    )


def test_iam_policy_names_the_function_and_distribution(tmp_path: Path) -> None:
    result = invoke(["-c", str(config_file(tmp_path)), "iam-policy"], {})
    assert result.returncode == 0, result.stderr
    policy = json.loads(result.stdout)
    resources = [s["Resource"] for s in policy["Statement"]]
    assert "arn:aws:cloudfront::*:function/shop-maintenance" in resources
    assert ["arn:aws:cloudfront::*:distribution/E2EXAMPLE12345"] in resources
    actions = {a for s in policy["Statement"] for a in s["Action"]}
    assert {"cloudfront:UpdateDistribution", "cloudfront:PublishFunction"} <= actions


SIMPLE_SCENARIOS = """
[[scenario]]
name = "a visitor gets the maintenance page"
ip = "192.0.2.10"
path = "/checkout"
expect = "maintenance"

[[scenario]]
name = "office network passes"
ip = "203.0.113.9"
path = "/checkout"
expect = "pass"

[[scenario]]
name = "the secret link sets the bypass cookie"
ip = "192.0.2.10"
path = "/__cffunc/bypass"
bypass_token = true
expect = "redirect"
"""


def timeless_config(tmp_path: Path, start: str = "", end: str = "") -> Path:
    """The sample with the window replaced, and scenarios that name no time."""
    config = config_file(
        tmp_path,
        {
            'start = "2026-12-01T02:00:00Z"\n': f'start = "{start}"\n' if start else "",
            'end = "2026-12-01T04:00:00Z"\n': f'end = "{end}"\n' if end else "",
        },
    )
    (tmp_path / "scenarios.toml").write_text(SIMPLE_SCENARIOS)
    return config


def test_test_remote_compares_with_test_function(emulator: RunningEmulator, tmp_path: Path) -> None:
    config = timeless_config(tmp_path)
    result = cffunc(emulator, config, "test", "--remote")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "remote (TestFunction): 3 of 3 events agree" in result.stdout
    assert "create shop-maintenance in DEVELOPMENT to test it" in result.stderr
    assert client(emulator).list_functions(Stage="LIVE")["FunctionList"]["Quantity"] == 0


def test_publish_test_refuses_when_cloudfront_disagrees(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    # A window that ends in an hour: the emulator's TestFunction runs a day later, outside it.
    from datetime import UTC, datetime, timedelta

    now = datetime.now(UTC).replace(microsecond=0)
    config = timeless_config(
        tmp_path, (now - timedelta(hours=1)).isoformat(), (now + timedelta(hours=1)).isoformat()
    )
    emulator.app.state.clock.offset += timedelta(days=1)  # type: ignore[attr-defined]
    result = cffunc(emulator, config, "publish", "--test")
    assert result.returncode == 1
    assert (
        "Error: CloudFront's TestFunction disagrees with the local runtime; not published"
        in result.stderr
    )
    assert "office network passes" not in result.stderr  # allowlisted: the same either way
    assert (
        "a visitor gets the maintenance page: local request /maintenance/index.html, remote request /checkout"
        in result.stderr
    )
    assert client(emulator).list_functions(Stage="LIVE")["FunctionList"]["Quantity"] == 0
    emulator.app.state.clock.offset = timedelta()  # type: ignore[attr-defined]
    published = cffunc(emulator, config, "publish", "--test")
    assert published.returncode == 0, published.stderr
    assert client(emulator).list_functions(Stage="LIVE")["FunctionList"]["Quantity"] == 1


def test_disable_destroy_and_status_work_without_the_secret(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    config = config_file(tmp_path)
    assert cffunc(emulator, config, "enable").returncode == 0

    def run(*args: str) -> Ran:
        return cffunc(emulator, config, *args, secret="")

    status = run("status")
    assert status.returncode == 0, status.stderr
    assert (
        "LIVE code not compared (allow.bypass_secret_env names CFFUNC_BYPASS_SECRET, which is not set"
        in status.stdout
    )
    assert "maintenance: on" in status.stdout
    assert run("enable").returncode == 1  # enabling needs the render
    disabled = run("disable")
    assert disabled.returncode == 0, disabled.stderr
    assert current(emulator) == ORIGINAL
    assert run("destroy").stdout == "done: delete function shop-maintenance\n"


def test_verbose_reports_every_aws_call(emulator: RunningEmulator, tmp_path: Path) -> None:
    config = config_file(tmp_path)
    result = cffunc(emulator, config, "enable", "-v")
    assert result.returncode == 0, result.stderr
    traced = [
        line.split(":")[1].split()[0]
        for line in result.stderr.splitlines()
        if line.startswith("aws: ")
    ]
    assert traced == [
        "DescribeFunction",
        "DescribeFunction",
        "GetDistributionConfig",
        "GetDistribution",
        "ListTagsForResource",
        "CreateFunction",
        "PublishFunction",
        "TagResource",
        "UpdateDistribution",
    ]
    assert "aws: DescribeFunction shop-maintenance: NoSuchFunctionExists (" in result.stderr


def test_quiet_leaves_only_the_done_lines(emulator: RunningEmulator, tmp_path: Path) -> None:
    config = config_file(tmp_path)
    result = cffunc(emulator, config, "enable", "--quiet")
    assert result.returncode == 0 and result.stderr == ""
    assert result.stdout.splitlines()[-1].startswith("done: associate shop-maintenance with")


def test_disable_removes_only_what_enable_added(emulator: RunningEmulator, tmp_path: Path) -> None:
    """cffunc's function was on two behaviors before enable (put there by hand): disable
    leaves both, using the record enable keeps in the distribution's tags."""
    config = config_file(tmp_path)
    assert cffunc(emulator, config, "publish").returncode == 0
    cf = client(emulator)
    answer = cf.get_distribution_config(Id=DIST)
    by_hand = copy.deepcopy(answer["DistributionConfig"])
    by_hand["DefaultCacheBehavior"]["FunctionAssociations"] = {
        "Quantity": 1, "Items": [{"FunctionARN": OURS, "EventType": "viewer-request"}],
    }  # fmt: skip
    maintenance = by_hand["CacheBehaviors"]["Items"][2]
    assert maintenance["PathPattern"] == "/maintenance/*"
    maintenance["FunctionAssociations"] = {
        "Quantity": 1, "Items": [{"FunctionARN": OURS, "EventType": "viewer-request"}],
    }  # fmt: skip
    cf.update_distribution(Id=DIST, IfMatch=answer["ETag"], DistributionConfig=by_hand)
    before = current(emulator)
    enabled = cffunc(emulator, config, "enable")
    assert enabled.returncode == 0, enabled.stderr
    assert "* viewer-request" not in enabled.stdout.split(":", 2)[2].split(",")[0]
    arn = f"arn:aws:cloudfront::123456789012:distribution/{DIST}"
    assert list(emulator.app.state.tags[arn]) == ["cffunc:shop-maintenance"]
    disabled = cffunc(emulator, config, "disable")
    assert disabled.returncode == 0, disabled.stderr
    assert current(emulator) == before  # both associations made by hand are still there
    assert emulator.app.state.tags[arn] == {}
    # Without a record (an enable of an older cffunc), disable removes it everywhere.
    emulator.app.state.tags.clear()
    assert cffunc(emulator, config, "disable").returncode == 0
    assert current(emulator) == ORIGINAL


def test_scopes_at_run_time_need_the_store(emulator: RunningEmulator, tmp_path: Path) -> None:
    config = config_file(tmp_path)
    before = current(emulator)
    for args in (["enable", "--host", "shop.example.com"], ["enable", "--read-only"],
                 ["disable", "--host", "shop.example.com"]):  # fmt: skip
        result = cffunc(emulator, config, *args)
        assert result.returncode == 1
        assert 'maintenance.toggle = "kvs"' in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
    assert current(emulator) == before
