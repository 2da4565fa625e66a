"""The planner and the executor, directly and in-process (the --wait poller: test_waiting).

The planner is pure: every refusal and every step from hand-made remote state. The executor
and the poller run against :class:`FakeCloudFront`, an injected stand-in for
:class:`~cffunc.deploy.awsclient.CloudFrontClient` that keeps configs and stores in dicts, raises
the errors a test schedules, and has a clock that only moves when the poller sleeps.
"""

from __future__ import annotations

import copy
import os
import signal
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from cffunc.deploy import interrupts
from cffunc.deploy.apply import CONFLICT_RETRIES, Executor, Incomplete, Write
from cffunc.deploy.awsclient import (
    AlreadyExists,
    AwsError,
    DistributionConfig,
    FunctionStage,
    PreconditionFailed,
    StoreConflict,
    StoreData,
    StoreInfo,
)
from cffunc.deploy.plan import (
    LocalFunction,
    Plan,
    Refusal,
    RemoteDistribution,
    RemoteFunction,
    StoreStep,
    associate,
    plan_disable,
    plan_enable,
    plan_function,
    plan_json,
    plan_publish,
)
from cffunc.emulator.server import read_seeds
from tests.helpers import SAMPLES

DIST = "E2EXAMPLE12345"
ORIGINAL = read_seeds(SAMPLES / "distribution.json")[0]["DistributionConfig"]
ARN = "arn:aws:cloudfront::123456789012:function/shop-maintenance"
LOCAL = LocalFunction(
    "shop-maintenance", "cloudfront-js-2.0", "", b"code", ("viewer-request", "viewer-response")
)


def remote_distribution(
    config: dict[str, Any] = ORIGINAL, behaviors: tuple[str, ...] | None = ("*", "/api/*")
) -> RemoteDistribution:
    return RemoteDistribution(DIST, copy.deepcopy(config), "E1", behaviors, DIST)


# ---- the planner ----


@pytest.mark.parametrize(
    ("remote", "actions"),
    [
        (RemoteFunction(), ["create", "publish"]),
        (
            RemoteFunction(dev_etag="D", dev_runtime="cloudfront-js-2.0", dev_code=b"old", arn=ARN),
            ["update", "publish"],
        ),
        (
            RemoteFunction(
                dev_etag="D", dev_runtime="cloudfront-js-2.0", dev_code=b"code", arn=ARN
            ),
            ["publish"],
        ),
        (
            RemoteFunction(live_etag="L", live_runtime="cloudfront-js-2.0", live_code=b"code"),
            [],
        ),
        # A different runtime, comment or store is a different function, even with equal code.
        (
            RemoteFunction(
                live_etag="L",
                live_runtime="cloudfront-js-1.0",
                live_code=b"code",
                dev_etag="D",
                dev_runtime="cloudfront-js-1.0",
                dev_code=b"code",
            ),
            ["update", "publish"],
        ),
        (
            RemoteFunction(
                live_etag="L",
                live_runtime="cloudfront-js-2.0",
                live_code=b"code",
                live_kvs=("arn:store",),
                dev_etag="D",
                dev_runtime="cloudfront-js-2.0",
                dev_code=b"code",
                dev_kvs=("arn:store",),
            ),
            ["update", "publish"],
        ),
    ],
)
def test_function_steps(remote: RemoteFunction, actions: list[str]) -> None:
    assert [s.action for s in plan_function(LOCAL, remote)] == actions
    assert plan_publish(LOCAL, remote).empty == (not actions)


def test_enable_plans_each_behavior_and_event_and_disable_undoes_it() -> None:
    plan = plan_enable(LOCAL, RemoteFunction(arn=ARN), [remote_distribution()])
    assert plan.messages() == [
        "create function shop-maintenance (4 bytes, cloudfront-js-2.0)",
        "publish shop-maintenance to LIVE",
        f"associate shop-maintenance with {DIST}: * viewer-request, * viewer-response, "
        "/api/* viewer-request, /api/* viewer-response",
    ]
    assert plan.local == LOCAL and plan.remote.arn == ARN
    document = plan_json(plan)
    assert document["changes"] and document["store"] == []
    assert [c["behavior"] for c in document["distributions"][0]["changes"]] == [
        "*", "*", "/api/*", "/api/*",
    ]  # fmt: skip
    enabled = associate(ORIGINAL, LOCAL, ARN, ("*", "/api/*"))
    undo = plan_disable(LOCAL, [remote_distribution(enabled)])
    assert undo.messages() == [
        f"remove shop-maintenance from {DIST}: * viewer-request, * viewer-response, "
        "/api/* viewer-request, /api/* viewer-response"
    ]
    assert plan_disable(LOCAL, [remote_distribution()]).empty
    live = RemoteFunction(
        live_etag="L", live_runtime="cloudfront-js-2.0", live_code=b"code", arn=ARN
    )
    assert plan_enable(LOCAL, live, [remote_distribution(enabled)]).empty


def _with(config: dict[str, Any], change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    changed = copy.deepcopy(config)
    change(changed)
    return changed


def _lambda_on_viewer(config: dict[str, Any]) -> None:
    config["CacheBehaviors"]["Items"][0]["LambdaFunctionAssociations"]["Items"][0]["EventType"] = (
        "viewer-request"
    )


@pytest.mark.parametrize(
    ("distribution", "local", "message"),
    [
        (remote_distribution(behaviors=("/static/*",)), replace(LOCAL, compose=False),
         r"behavior '/static/\*': viewer-response already runs .*function/security-headers"),
        # Composing, but the caller planned no composition for the foreign function.
        (remote_distribution(behaviors=("/static/*",)), LOCAL,
         r"no composition planned for .*function/security-headers"),
        (remote_distribution(behaviors=("/nope/*",)), LOCAL,
         r"has no cache behavior '/nope/\*'; its behaviors are '\*', '/api/\*'"),
        (remote_distribution(_with(ORIGINAL, _lambda_on_viewer)), LOCAL,
         r"behavior '/api/\*': Lambda@Edge .*api-auth:7 runs on viewer-request"),
        (remote_distribution(), LocalFunction("f", "cloudfront-js-2.0", "", b"", ("viewer-request",), "elsewhere"),
         r"has no origin 'elsewhere' \(maintenance.origin\)"),
        (remote_distribution(behaviors=None), replace(LOCAL, compose=False), r"behavior '/static/\*'"),
    ],
)  # fmt: skip
def test_every_refusal_is_raised_by_the_planner(
    distribution: RemoteDistribution, local: LocalFunction, message: str
) -> None:
    with pytest.raises(Refusal, match=message):
        plan_enable(local, RemoteFunction(), [remote_distribution(), distribution])


# ---- the executor ----


class FakeStoreData:
    """The KeyValueStore data plane: items and an ETag that changes with every write."""

    def __init__(self) -> None:
        self.items: dict[str, dict[str, str]] = {}
        self.version = 0
        self.before_write: list[Callable[[], None]] = []

    def describe(self, arn: str) -> StoreData:
        return StoreData(f"v{self.version}", len(self.items.get(arn, {})), 0)

    def get(self, arn: str, key: str) -> str | None:
        return self.items.setdefault(arn, {}).get(key)

    def _write(self, etag: str, arn: str, puts: dict[str, str], deletes: list[str]) -> str:
        if self.before_write:
            self.before_write.pop(0)()
        if etag != f"v{self.version}":
            raise StoreConflict("stale", "ConflictException")
        items = self.items.setdefault(arn, {})
        items.update(puts)
        for key in deletes:
            items.pop(key, None)
        self.version += 1
        return f"v{self.version}"

    def put_key(self, arn: str, key: str, value: str, etag: str) -> str:
        return self._write(etag, arn, {key: value}, [])

    def delete_key(self, arn: str, key: str, etag: str) -> str:
        return self._write(etag, arn, {}, [key])

    def update_keys(self, arn: str, etag: str, puts: dict[str, str], deletes: list[str]) -> str:
        return self._write(etag, arn, puts, deletes)


class FakeCloudFront:
    """What the executor and the poller call, kept in dicts; ``errors`` schedules failures
    by operation name; the clock advances only by ``sleep``."""

    def __init__(self, config: dict[str, Any] = ORIGINAL) -> None:
        self.configs = {DIST: (copy.deepcopy(config), "E1")}
        self.functions: dict[str, dict[str, Any]] = {}
        self.calls: list[str] = []
        self.errors: dict[str, list[AwsError]] = {}
        self.before_update: list[Callable[[], None]] = []
        self.statuses: list[str] = []
        self.now = 0.0
        self.slept: list[float] = []
        self.data = FakeStoreData()

    def _call(self, operation: str) -> None:
        self.calls.append(operation)
        if self.errors.get(operation):
            raise self.errors[operation].pop(0)

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    def key_value_store_client(self) -> FakeStoreData:
        return self.data

    def create_key_value_store(self, name: str, comment: str) -> StoreInfo:
        self._call("CreateKeyValueStore")
        return StoreInfo(
            name, f"arn:aws:cloudfront::123456789012:key-value-store/{name}", "S1", comment
        )

    def create_function(
        self, name: str, runtime: str, comment: str, code: bytes, kvs_arn: str | None
    ) -> tuple[str, str]:
        self._call("CreateFunction")
        if name in self.functions:
            raise AlreadyExists("exists", "FunctionAlreadyExists")
        self.functions[name] = {"code": code, "kvs": kvs_arn, "etag": "D1", "live": None}
        return "D1", ARN

    def update_function(
        self, name: str, etag: str, runtime: str, comment: str, code: bytes, kvs_arn: str | None
    ) -> str:
        self._call("UpdateFunction")
        assert etag == self.functions[name]["etag"]
        self.functions[name] |= {"code": code, "kvs": kvs_arn, "etag": "D2"}
        return "D2"

    def publish_function(self, name: str, etag: str) -> None:
        self._call("PublishFunction")
        assert etag == self.functions[name]["etag"]
        self.functions[name]["live"] = self.functions[name]["code"]

    def describe_function(self, name: str, stage: str) -> FunctionStage | None:
        self._call("DescribeFunction")
        found = self.functions.get(name)
        if found is None:
            return None
        return FunctionStage(name, stage, found["etag"], "cloudfront-js-2.0", "", ARN)

    def function_code(self, name: str, stage: str) -> bytes | None:
        self._call("GetFunction")
        return self.functions[name]["code"] if name in self.functions else None

    def distribution_config(self, distribution_id: str) -> DistributionConfig:
        self._call("GetDistributionConfig")
        config, etag = self.configs[distribution_id]
        return DistributionConfig(distribution_id, copy.deepcopy(config), etag)

    def update_distribution(self, distribution_id: str, etag: str, config: dict[str, Any]) -> str:
        self._call("UpdateDistribution")
        if self.before_update:
            self.before_update.pop(0)()
        _, current_etag = self.configs[distribution_id]
        if etag != current_etag:
            raise PreconditionFailed("stale", "PreconditionFailed")
        new_etag = f"E{int(current_etag[1:]) + 1}"
        self.configs[distribution_id] = (copy.deepcopy(config), new_etag)
        return new_etag

    def distribution_status(self, distribution_id: str) -> str:
        self._call("GetDistribution")
        return self.statuses.pop(0) if self.statuses else "Deployed"

    def other_writer(self, change: Callable[[dict[str, Any]], None]) -> Callable[[], None]:
        """A write by someone else, made between cffunc's read and its write."""

        def write() -> None:
            config, etag = self.configs[DIST]
            self.configs[DIST] = (_with(config, change), f"E{int(etag[1:]) + 1}")

        return write


def _comment(text: str) -> Callable[[dict[str, Any]], None]:
    def change(config: dict[str, Any]) -> None:
        config["Comment"] = text

    return change


def run(fake: FakeCloudFront, plan: Plan, progress: list[str] | None = None) -> Any:
    return Executor(fake, (progress if progress is not None else []).append).run(plan)  # type: ignore[arg-type]


def test_executor_creates_publishes_and_associates() -> None:
    fake = FakeCloudFront()
    plan = plan_enable(LOCAL, RemoteFunction(), [remote_distribution()])
    progress: list[str] = []
    report = run(fake, plan, progress)
    assert fake.calls == ["CreateFunction", "PublishFunction", "UpdateDistribution"]
    assert report.done == plan.messages() == progress
    assert report.touched == [DIST] and report.conflicts == 0
    assert fake.configs[DIST][0] == associate(ORIGINAL, LOCAL, ARN, ("*", "/api/*"))


def test_a_stale_etag_re_reads_and_re_applies_keeping_the_other_write() -> None:
    fake = FakeCloudFront()
    fake.before_update = [fake.other_writer(_comment("changed by someone else"))]
    plan = plan_enable(LOCAL, RemoteFunction(arn=ARN), [remote_distribution()])
    progress: list[str] = []
    report = run(fake, replace_function_steps(plan), progress)
    assert report.conflicts == 1
    assert f"{DIST} changed meanwhile; reading it again" in progress
    written = fake.configs[DIST][0]
    assert written["Comment"] == "changed by someone else"
    assert written == associate(
        _with(ORIGINAL, _comment("changed by someone else")), LOCAL, ARN, ("*", "/api/*")
    )


def replace_function_steps(plan: Plan) -> Plan:

    return replace(plan, function_steps=())


def test_the_executor_gives_up_after_repeated_conflicts() -> None:
    fake = FakeCloudFront()
    fake.before_update = [fake.other_writer(_comment(f"w{i}")) for i in range(CONFLICT_RETRIES + 1)]
    plan = replace_function_steps(
        plan_enable(LOCAL, RemoteFunction(arn=ARN), [remote_distribution()])
    )
    with pytest.raises(
        AwsError, match=f"kept changing while cffunc wrote it \\({CONFLICT_RETRIES + 1} attempts\\)"
    ):
        run(fake, plan)
    assert fake.calls.count("UpdateDistribution") == CONFLICT_RETRIES + 1


def test_a_change_someone_else_already_made_is_not_written_again() -> None:
    enabled = associate(ORIGINAL, LOCAL, ARN, ("*", "/api/*"))
    fake = FakeCloudFront(enabled)
    # Planned against the original, but the distribution already holds the edit.
    plan = replace_function_steps(
        plan_enable(LOCAL, RemoteFunction(arn=ARN), [remote_distribution()])
    )
    fake.configs[DIST] = (enabled, "E7")
    fake.errors["UpdateDistribution"] = [PreconditionFailed("stale", "PreconditionFailed")]
    report = run(fake, plan)
    assert fake.calls == ["UpdateDistribution", "GetDistributionConfig"]
    assert report.conflicts == 1 and fake.configs[DIST] == (enabled, "E7")


def test_a_failed_call_stops_the_run_before_later_steps() -> None:
    fake = FakeCloudFront()
    fake.errors["PublishFunction"] = [AwsError("AccessDenied on PublishFunction", "AccessDenied")]
    with pytest.raises(Incomplete, match="AccessDenied") as stopped:
        run(fake, plan_enable(LOCAL, RemoteFunction(), [remote_distribution()]))
    # What was done before the failure comes with it.
    assert stopped.value.report.done == [
        "create function shop-maintenance (4 bytes, cloudfront-js-2.0)"
    ]
    assert "UpdateDistribution" not in fake.calls
    assert fake.configs[DIST][0] == ORIGINAL


def test_store_steps_run_first_and_the_function_reads_the_created_store() -> None:
    fake = FakeCloudFront()
    placeholder = LocalFunction(**{**LOCAL.__dict__, "kvs_arn": "arn:<placeholder>"})
    base = plan_enable(placeholder, RemoteFunction(), [remote_distribution()])

    plan = replace(
        base,
        store_steps=(
            StoreStep("create", "state", "create KeyValueStore state", comment="c"),
            StoreStep(
                "write", "state", "set cffunc:state", keys=("cffunc:state",),
                edit=lambda cur: {"cffunc:state": cur["cffunc:state"] or '{"on":false}'},
            ),
        ),
    )  # fmt: skip
    report = run(fake, plan)
    store_arn = "arn:aws:cloudfront::123456789012:key-value-store/state"
    assert fake.calls[:2] == ["CreateKeyValueStore", "CreateFunction"]
    assert fake.functions["shop-maintenance"]["kvs"] == store_arn
    assert fake.data.items[store_arn] == {"cffunc:state": '{"on":false}'}
    assert report.done[:2] == ["create KeyValueStore state", "set cffunc:state"]


def test_a_store_write_re_reads_on_conflict_and_skips_what_is_already_there() -> None:
    fake = FakeCloudFront()
    arn = "arn:store"
    fake.data.items[arn] = {"cffunc:net:198": "198.51.100.0/24"}

    def someone_else() -> None:
        fake.data.items[arn]["cffunc:net:198"] += " 198.51.200.0/24"
        fake.data.version += 1

    fake.data.before_write = [someone_else]

    def add(current: dict[str, str | None]) -> dict[str, str | None]:
        return {"cffunc:net:198": f"{current['cffunc:net:198']} 198.51.7.0/24"}

    step = StoreStep(
        "write", "s", "allow 198.51.7.0/24", arn=arn, keys=("cffunc:net:198",), edit=add
    )
    report = run(fake, Plan(store_steps=(step,)))
    assert report.conflicts == 1 and report.done == ["allow 198.51.7.0/24"]
    assert fake.data.items[arn]["cffunc:net:198"] == "198.51.100.0/24 198.51.200.0/24 198.51.7.0/24"
    same = StoreStep("write", "s", "no-op", arn=arn, keys=("k",), edit=lambda cur: {"k": None})
    assert run(fake, Plan(store_steps=(same,))).done == []  # nothing differed: not reported


def test_two_runs_creating_the_function_at_once_converge() -> None:
    """Another enable created the function between our read and our create."""
    fake = FakeCloudFront()
    plan = plan_enable(LOCAL, RemoteFunction(), [remote_distribution()])
    fake.functions["shop-maintenance"] = {"code": b"code", "kvs": None, "etag": "D9", "live": None}
    progress: list[str] = []
    report = run(fake, plan, progress)
    assert "shop-maintenance was created meanwhile (another run?); using it" in progress
    assert fake.calls[:4] == [
        "CreateFunction",
        "DescribeFunction",
        "GetFunction",
        "PublishFunction",
    ]
    assert fake.functions["shop-maintenance"]["live"] == b"code"
    assert report.touched == [DIST]
    # Theirs held other code (another config): ours replaces it before publishing.
    other = FakeCloudFront()
    other.functions["shop-maintenance"] = {
        "code": b"theirs",
        "kvs": None,
        "etag": "D9",
        "live": None,
    }
    run(other, plan)
    assert other.calls[:5] == [
        "CreateFunction",
        "DescribeFunction",
        "GetFunction",
        "UpdateFunction",
        "PublishFunction",
    ]
    assert other.functions["shop-maintenance"]["live"] == b"code"


def test_a_signal_during_a_step_is_raised_once_the_step_is_recorded() -> None:
    fake = FakeCloudFront()
    plan = plan_enable(LOCAL, RemoteFunction(), [remote_distribution()])

    def after_write(write: Write) -> None:
        if write.operation == "CreateFunction":
            os.kill(os.getpid(), signal.SIGINT)  # held: the write is on the wire

    executor = Executor(fake, [].append, after_write)  # type: ignore[arg-type]
    with interrupts.handled(), pytest.raises(Incomplete) as stopped:
        executor.run(plan)
    assert isinstance(stopped.value.cause, interrupts.Interrupted)
    assert fake.calls == ["CreateFunction"]  # nothing after the step
    assert stopped.value.report.done == [plan.function_steps[0].message]
    assert stopped.value.report.writes == [
        Write("CreateFunction", "shop-maintenance", plan.function_steps[0].message)
    ]
