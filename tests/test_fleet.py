"""Fleets and multi-tenant distributions against the local CloudFront API.

A fleet of 50 distributions (samples/fleet.json: EFLEET0001..0050 tagged env=prod, and three
ESTAGING ones below *.staging.example.com) is selected by pattern and tags, enabled and
disabled exactly, with throttling, a failure at one distribution and a signal mid-run; the
multi-tenant distribution of samples/multi-tenant.json is deployed to like any other; a
behavior with gRPC enabled is flagged. The CLI runs in-process; runs that need an injected
sleep or a signal at a chosen moment call the library with a Deployment.
"""

from __future__ import annotations

import copy
import json
import os
import signal
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cffunc.config.load import load_config
from cffunc.deploy import interrupts
from cffunc.deploy.apply import Incomplete
from cffunc.deploy.awsclient import CloudFrontClient, Connection
from cffunc.deploy.toggles import Deployment, EnableRequest, toggle_for
from cffunc.emulator.server import RunningEmulator, read_seeds
from tests.helpers import SAMPLES, Ran, invoke, local_aws_env

FLEET = read_seeds(SAMPLES / "fleet.json")
PROD = [f"EFLEET{n:04d}" for n in range(1, 51)]
STAGING = [f"ESTAGING{n:04d}" for n in range(1, 4)]
MULTI = "E3MULTITENANT1"
NAME = "fleet-maintenance"
ARN = f"arn:aws:cloudfront::123456789012:function/{NAME}"


def toml(selector: str, mode: str = "respond", extra: str = "") -> str:
    return (
        f'[function]\nname = "{NAME}"\n\n[maintenance]\nmode = "{mode}"\n{extra}\n'
        f"[[distributions]]\n{selector}\n"
    )


@pytest.fixture
def fleet(local_api: Any) -> Iterator[RunningEmulator]:
    with local_api(FLEET) as running:
        yield running


def cffunc(emulator: RunningEmulator, config: Path, *args: str) -> Ran:
    return invoke(["-c", str(config), *args], local_aws_env(emulator.endpoint))


def write_config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "cffunc.toml"
    path.write_text(text)
    return path


def configs(emulator: RunningEmulator) -> dict[str, dict[str, Any]]:
    return {k: copy.deepcopy(d.config) for k, d in emulator.app.state.distributions.items()}


def with_function(emulator: RunningEmulator) -> list[str]:
    """The distributions whose default behavior runs cffunc's function."""
    return sorted(
        k
        for k, config in configs(emulator).items()
        if any(
            i["FunctionARN"] == ARN
            for i in (config["DefaultCacheBehavior"].get("FunctionAssociations") or {}).get("Items")
            or []
        )
    )


class VirtualTime:
    """A clock that moves only when someone sleeps (any thread: one time for all)."""

    def __init__(self, slept: list[float]) -> None:
        self.now = 0.0
        self.slept = slept
        self.lock = threading.Lock()

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        with self.lock:
            self.slept.append(seconds)
            self.now += seconds


def deployment(
    emulator: RunningEmulator,
    config: Path,
    monkeypatch: pytest.MonkeyPatch,
    progress: Any = lambda _: None,
    slept: list[float] | None = None,
) -> Deployment:
    """The library's view of a run, with a sleep that only notes how long (no real
    waiting) and a fixed jitter."""
    for key, value in local_aws_env(emulator.endpoint).items():
        if value is None:
            monkeypatch.delenv(key, raising=False)
        else:
            monkeypatch.setenv(key, value)
    client = CloudFrontClient.connect(Connection(endpoint_url=emulator.endpoint))
    time = VirtualTime(slept if slept is not None else [])
    client.sleep, client.clock, client.jitter = time.sleep, time.clock, lambda: 0.5
    return Deployment(load_config(config), client, progress, dict(os.environ))


# ---- selecting ----


def test_plan_lists_what_a_pattern_and_tags_select(fleet: RunningEmulator, tmp_path: Path) -> None:
    config = write_config(tmp_path, toml('aliases = ["*.example.com"]\ntags = { env = "prod" }'))
    planned = cffunc(fleet, config, "plan", "--json")
    assert planned.returncode == 0, planned.stderr
    document = json.loads(planned.stdout)
    assert [s["id"] for s in document["selected"]] == PROD
    assert document["selected"][6]["label"] == "EFLEET0007 (site7.example.com)"
    assert [d["id"] for d in document["distributions"]] == PROD
    text = cffunc(fleet, config, "plan").stdout.splitlines()
    assert text[1:4] == [
        "distributions: 50 selected",
        "  EFLEET0001 (site1.example.com)",
        "  EFLEET0002 (site2.example.com)",
    ]
    # The pattern alone reaches the staging ones too; a narrower one only them.
    config.write_text(toml('aliases = ["*.example.com"]'))
    assert len(json.loads(cffunc(fleet, config, "plan", "--json").stdout)["selected"]) == 53
    config.write_text(toml('aliases = ["*.staging.example.com"]'))
    assert [
        s["id"] for s in json.loads(cffunc(fleet, config, "plan", "--json").stdout)["selected"]
    ] == STAGING
    assert set(fleet.app.calls) <= {
        "ListDistributions", "ListTagsForResource", "GetDistributionConfig", "DescribeFunction",
    }  # fmt: skip


def test_a_pattern_matching_nothing_warns_in_plan_and_stops_a_write(
    fleet: RunningEmulator, tmp_path: Path
) -> None:
    config = write_config(
        tmp_path,
        toml('aliases = ["site1.example.com"]')
        + '\n[[distributions]]\naliases = ["*.example.org"]\n',
    )
    planned = cffunc(fleet, config, "plan")
    assert planned.returncode == 0, planned.stderr
    assert (
        "warning: distributions[1] (aliases *.example.org) matches no distribution"
        in planned.stdout
    )
    status = json.loads(cffunc(fleet, config, "status", "--json").stdout)
    assert status["warnings"] == [
        "distributions[1] (aliases *.example.org) matches no distribution"
    ]
    before = configs(fleet)
    for command in ("enable", "disable"):
        result = cffunc(fleet, config, command)
        assert result.returncode == 1
        assert result.stderr.splitlines() == [
            f"Error: {config}: distributions[1] (aliases *.example.org) matches no distribution; "
            "nothing was changed (`cffunc plan` lists what each entry selects)"
        ]
    assert configs(fleet) == before
    assert not {"CreateFunction", "UpdateDistribution", "TagResource"} & set(fleet.app.calls)


def test_the_distribution_filter_narrows_a_run(fleet: RunningEmulator, tmp_path: Path) -> None:
    config = write_config(tmp_path, toml('tags = { env = "prod" }'))
    narrowed = cffunc(
        fleet, config, "enable", "--distribution", "EFLEET0003", "--distribution", "EFLEET0040"
    )
    assert narrowed.returncode == 0, narrowed.stderr
    assert with_function(fleet) == ["EFLEET0003", "EFLEET0040"]
    wrong = cffunc(fleet, config, "enable", "--distribution", "ESTAGING0001")
    assert wrong.returncode == 1
    assert wrong.stderr.splitlines() == [
        "Error: --distribution ESTAGING0001: not among the distributions the config selects "
        "(EFLEET0001, EFLEET0002, EFLEET0003, EFLEET0004, EFLEET0005 and 45 more)"
    ]
    bad = cffunc(fleet, config, "plan", "--distribution", "efleet0001")
    assert bad.returncode == 2 and "give a distribution id such as E2EXAMPLE12345" in bad.stderr


def test_two_entries_selecting_one_distribution_must_agree_on_behaviors(
    fleet: RunningEmulator, tmp_path: Path
) -> None:
    config = write_config(
        tmp_path,
        toml('id = "EFLEET0001"\nbehaviors = ["*"]')
        + '\n[[distributions]]\naliases = ["*.example.com"]\n',
    )
    result = cffunc(fleet, config, "plan")
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"Error: {config}: distribution EFLEET0001 is selected by distributions[0] (id EFLEET0001) "
        "and distributions[1] (aliases *.example.com) with different behaviors; make them agree "
        "or narrow one entry"
    )
    config.write_text(
        toml('id = "EFLEET0001"') + '\n[[distributions]]\naliases = ["*.example.com"]\n'
    )
    selected = json.loads(cffunc(fleet, config, "plan", "--json").stdout)["selected"]
    assert len(selected) == 53 and selected[0]["label"] == "EFLEET0001"  # once, as first named


# ---- enabling and disabling a fleet ----


def test_a_fleet_enables_and_disables_exactly(fleet: RunningEmulator, tmp_path: Path) -> None:
    config = write_config(tmp_path, toml('aliases = ["*.example.com"]\ntags = { env = "prod" }'))
    before = configs(fleet)
    enabled = cffunc(fleet, config, "enable", "--json")
    assert enabled.returncode == 0, enabled.stderr
    assert sorted(json.loads(enabled.stdout)["report"]["distributions"]) == PROD
    assert with_function(fleet) == PROD
    after = configs(fleet)
    assert all(after[s] == before[s] for s in STAGING)
    assert cffunc(fleet, config, "enable").stdout == "already enabled\n"
    status = json.loads(cffunc(fleet, config, "status", "--json").stdout)
    assert status["maintenance"] == "on" and len(status["distributions"]) == 50
    disabled = cffunc(fleet, config, "disable")
    assert disabled.returncode == 0, disabled.stderr
    assert configs(fleet) == before  # field for field, every one of the 53


def test_a_fleets_done_lines_are_in_plan_order_whatever_order_the_api_answers(
    fleet: RunningEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write_config(tmp_path, toml('tags = { env = "prod" }'))
    # The first UpdateDistribution's answer is held until ten more are answered: one of the
    # first steps started finishes after later ones, so the API answers out of plan order.
    answered, others = [], threading.Event()
    lock = threading.Lock()

    def hold_the_first(operation: str) -> None:
        if operation != "UpdateDistribution":
            return
        with lock:
            answered.append(operation)
            first = len(answered) == 1
            if len(answered) > 10:
                others.set()
        if first:
            assert others.wait(60), "the other updates never came"

    fleet.app.after_call.append(hold_the_first)
    try:
        run = deployment(fleet, config, monkeypatch)
        plan = toggle_for(run).plan_enable(EnableRequest())
        report = run.apply(plan)
    finally:
        fleet.app.after_call.remove(hold_the_first)
    planned = [step.message for step in plan.distribution_steps]
    assert len(planned) == 50
    assert report.done[-50:] == planned
    assert report.touched == [step.distribution.id for step in plan.distribution_steps]
    # The record of writes keeps the order they were made in: not the plan's.
    updates = [w.resource for w in report.writes if w.operation == "UpdateDistribution"]
    assert sorted(updates) == sorted(report.touched) and updates != report.touched


def test_a_throttled_fleet_converges_with_backoff_and_no_real_sleep(
    fleet: RunningEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write_config(tmp_path, toml('tags = { env = "prod" }'))
    fleet.app.traffic.control("/__cffunc/throttle", {"operation": "UpdateDistribution", "every": 7})
    fleet.app.traffic.control(
        "/__cffunc/throttle", {"operation": "ListTagsForResource", "every": 9}
    )
    slept: list[float] = []
    run = deployment(fleet, config, monkeypatch, slept=slept)
    toggle = toggle_for(run)
    report = run.apply(toggle.plan_enable(EnableRequest()))
    assert sorted(report.touched) == PROD and with_function(fleet) == PROD
    counts = fleet.app.traffic.control("/__cffunc/call-counts", {})
    assert counts["calls"]["UpdateDistribution"] == 50 + counts["throttled"]["UpdateDistribution"]
    assert counts["throttled"]["UpdateDistribution"] >= 7
    assert run.client.throttled == sum(counts["throttled"].values())
    assert run.client.calls.count("UpdateDistribution") == counts["calls"]["UpdateDistribution"]
    # Each throttled call backed off (the first time: half of 0.5 s plus half of the jitter,
    # fixed at 0.5), in the injected time; the others held back meanwhile.
    assert run.client.retries == run.client.throttled
    assert slept.count(0.375) >= 1 and sum(slept) >= 0.375 * run.client.retries


def test_a_failure_at_one_distribution_puts_the_whole_fleet_back(
    fleet: RunningEmulator, tmp_path: Path
) -> None:
    config = write_config(tmp_path, toml('tags = { env = "prod" }'))
    before = configs(fleet)

    def lambda_on_viewer(changed: dict[str, Any]) -> None:
        changed["DefaultCacheBehavior"]["LambdaFunctionAssociations"] = {
            "Quantity": 1,
            "Items": [{"LambdaFunctionARN": "arn:aws:lambda:us-east-1:123456789012:function:auth:1",
                       "EventType": "viewer-request", "IncludeBody": False}],
        }  # fmt: skip

    # Read for the plan, then (another writer) a Lambda@Edge viewer function on EFLEET0031:
    # its write meets a stale ETag, the re-read refuses, and every distribution written is
    # put back, whichever of them the threads had done.
    cffunc(fleet, config, "publish")
    fleet.app.change_after_next_read("EFLEET0031", lambda_on_viewer)
    result = cffunc(fleet, config, "enable")
    assert result.returncode == 1
    expected = copy.deepcopy(before)
    lambda_on_viewer(expected["EFLEET0031"])
    assert configs(fleet) == expected
    lines = result.stderr.splitlines()
    error = lines[-3 - result.stderr.count("put back:")]
    assert error.startswith("Error: distribution EFLEET0031")
    assert (
        "Lambda@Edge arn:aws:lambda:us-east-1:123456789012:function:auth:1 runs on viewer-request"
        in error
    )
    put_back = {line.split()[2] for line in lines if line.startswith("put back:")}
    done = {
        line.split()[4].rstrip(":") for line in result.stdout.splitlines() if "associate" in line
    }
    assert put_back == done and "EFLEET0031" not in done
    assert lines[-1] == "to undo: cffunc disable; to finish: cffunc enable"


def test_a_signal_mid_fleet_finishes_the_writes_on_the_wire_and_starts_no_more(
    fleet: RunningEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write_config(tmp_path, toml('tags = { env = "prod" }'))
    started: list[str] = []
    main = threading.main_thread().ident

    def progress(message: str) -> None:
        if message.startswith("associate"):
            started.append(message)
            if len(started) == 5:  # the fifth distribution's step has begun
                signal.pthread_kill(main, signal.SIGINT)  # type: ignore[arg-type]

    run = deployment(fleet, config, monkeypatch, progress)
    plan = toggle_for(run).plan_enable(EnableRequest())
    with pytest.raises(Incomplete) as stopped, interrupts.handled():
        run.apply(plan)
    report = stopped.value.report
    assert isinstance(stopped.value.cause, interrupts.Interrupted)
    associated = [m for m in report.done if m.startswith("associate")]
    # Every write that started finished and is in the record; nothing else was written.
    assert len(associated) == len(started) < 5 + 4
    assert sorted(report.touched) == with_function(fleet)
    assert stopped.value.rolled_back == []  # a signal reports, it does not undo
    # The undo the message names undoes exactly that.
    assert cffunc(fleet, config, "disable").returncode == 0
    assert with_function(fleet) == []


# ---- multi-tenant distributions ----


@pytest.fixture
def saas(local_api: Any) -> Iterator[RunningEmulator]:
    with local_api(read_seeds(SAMPLES / "multi-tenant.json")) as running:
        yield running


def test_a_multi_tenant_distribution_is_deployed_to_like_any_other(
    saas: RunningEmulator, tmp_path: Path
) -> None:
    config = write_config(tmp_path, toml(f'id = "{MULTI}"'))
    before = configs(saas)
    enabled = cffunc(saas, config, "enable")
    assert enabled.returncode == 0, enabled.stderr
    assert (
        enabled.stdout.splitlines()[-1] == f"done: associate {NAME} with {MULTI}: * viewer-request"
    )
    assert (
        f"note: distribution {MULTI} is multi-tenant: the function is associated with the "
        "distribution, so it runs for every one of its tenants; maintenance covers them all "
        "unless scoped to some (maintenance.tenants, or enable --tenant with the store toggle)"
    ) in enabled.stderr
    status = json.loads(cffunc(saas, config, "status", "--json").stdout)
    (distribution,) = status["distributions"]
    assert distribution["multi_tenant"] is True
    assert distribution["tenants"] == {"count": 3, "enabled": 2}
    assert status["maintenance"] == "on"
    text = cffunc(saas, config, "status").stdout
    assert (
        f"distribution {MULTI} (multi-tenant: 3 tenants, 2 enabled): Deployed, maintenance on"
        in text
    )
    assert cffunc(saas, config, "disable").returncode == 0
    assert configs(saas) == before
    # Scoped to one tenant in the config, the note says maintenance covers only that one.
    acme = next(t.id for t in saas.app.state.tenants.tenants.values() if t.name == "acme")
    config.write_text(toml(f'id = "{MULTI}"', extra=f'tenants = ["{acme}"]'))
    scoped = json.loads(cffunc(saas, config, "plan", "--json").stdout)
    assert scoped["notes"] == [
        f"distribution {MULTI} is multi-tenant: the function is associated with the "
        f"distribution, so it runs for every one of its tenants; maintenance covers only {acme} "
        "(maintenance.tenants)"
    ]


def test_a_tenant_domain_selects_its_multi_tenant_distribution(
    saas: RunningEmulator, tmp_path: Path
) -> None:
    config = write_config(
        tmp_path, toml('aliases = ["*.globex.example.com", "www.globex.example.com"]')
    )
    planned = json.loads(cffunc(saas, config, "plan", "--json").stdout)
    assert planned["selected"] == [{
        "id": MULTI, "label": f"{MULTI} (tenant globex: www.globex.example.com)", "entry": 0,
        "multi_tenant": True, "tenants": ["globex"],
    }]  # fmt: skip
    assert planned["notes"][0] == (
        f"distribution {MULTI} (tenant globex: www.globex.example.com) is multi-tenant, selected "
        "by the domain of tenant globex: the function is associated with the distribution, so "
        "it runs for every one of its tenants; maintenance covers them all unless scoped to some "
        "(maintenance.tenants, or enable --tenant with the store toggle)"
    )
    config.write_text(toml('alias = "acme.saas.example.com"'))
    assert json.loads(cffunc(saas, config, "plan", "--json").stdout)["selected"][0]["label"] == (
        f"{MULTI} (tenant acme: acme.saas.example.com)"
    )


def test_the_store_toggle_installs_on_a_multi_tenant_distribution(
    saas: RunningEmulator, tmp_path: Path
) -> None:
    config = write_config(tmp_path, toml(f'id = "{MULTI}"', extra='toggle = "kvs"'))
    installed = cffunc(saas, config, "install")
    assert installed.returncode == 0, installed.stderr
    assert cffunc(saas, config, "enable").returncode == 0
    status = json.loads(cffunc(saas, config, "status", "--json").stdout)
    assert status["maintenance"] == "on" and status["distributions"][0]["tenants"]["count"] == 3


# ---- gRPC ----


def test_grpc_behaviors_are_flagged_by_plan_enable_and_status(
    local_api: Any, tmp_path: Path
) -> None:
    seed = copy.deepcopy(FLEET[0])
    seed["DistributionConfig"]["HttpVersion"] = "http2"
    behavior = seed["DistributionConfig"]["DefaultCacheBehavior"]
    behavior["AllowedMethods"] = {
        "Quantity": 7, "Items": ["GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"],
        "CachedMethods": {"Quantity": 2, "Items": ["GET", "HEAD"]},
    }  # fmt: skip
    behavior["GrpcConfig"] = {"Enabled": True}
    with local_api([seed]) as emulator:
        config = write_config(tmp_path, toml('id = "EFLEET0001"'))
        flagged = (
            "note: distribution EFLEET0001, behavior '*': gRPC is enabled (GrpcConfig), and "
            "CloudFront Functions run on gRPC requests"
        )
        assert flagged in cffunc(emulator, config, "plan").stdout
        plan = json.loads(cffunc(emulator, config, "plan", "--json").stdout)
        assert "it reports UNAVAILABLE (gRPC's mapping of HTTP 503)" in plan["notes"][0]
        enabled = cffunc(emulator, config, "enable")
        assert enabled.returncode == 0 and flagged in enabled.stderr
        status = cffunc(emulator, config, "status")
        assert flagged in status.stdout
        assert "  *                    viewer-request=fleet-maintenance  gRPC" in status.stdout
        document = json.loads(cffunc(emulator, config, "status", "--json").stdout)
        assert document["distributions"][0]["behaviors"][0]["grpc"] is True


def test_a_throttled_call_holds_back_the_other_threads_calls(
    fleet: RunningEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While one thread backs off from a throttled answer, another thread's next call
    waits out the same backoff instead of adding to the burst."""
    run = deployment(fleet, write_config(tmp_path, toml('id = "EFLEET0001"')), monkeypatch)
    client = run.client
    backing_off, other_done = threading.Event(), threading.Event()
    slept: dict[str, list[float]] = {"first": [], "other": []}

    def sleep(seconds: float) -> None:
        name = threading.current_thread().name
        slept[name].append(seconds)
        if name == "first" and len(slept["first"]) == 1:
            backing_off.set()
            assert other_done.wait(timeout=30)  # the other thread runs meanwhile
        client.now += seconds  # type: ignore[attr-defined]

    client.now = 0.0  # type: ignore[attr-defined]
    client.sleep, client.clock = sleep, lambda: client.now  # type: ignore[attr-defined]

    def other() -> None:
        assert backing_off.wait(timeout=30)
        client.distribution_status("EFLEET0002")
        other_done.set()

    fleet.app.traffic.control("/__cffunc/throttle", {"operation": "GetDistribution", "count": 1})
    first = threading.Thread(target=lambda: client.distribution_status("EFLEET0001"), name="first")
    second = threading.Thread(target=other, name="other")
    first.start(), second.start()
    first.join(timeout=30), second.join(timeout=30)
    assert slept == {"first": [0.375], "other": [0.375]}
    assert client.calls == ["GetDistribution"] * 3 and client.throttled == 1
