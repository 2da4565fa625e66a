"""Safe in a release script: failures, interrupts and re-runs against the local API.

Each case asserts the distribution configs field for field afterwards and the lines the
CLI printed: what was done (stdout), and the cause, what was put back, the state left and
the commands that undo or finish it (stderr).
"""

from __future__ import annotations

import copy
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cffunc.emulator.server import RunningEmulator, local_cloudfront
from tests.helpers import ENV, SAMPLES, Processes, local_aws_env, process_env
from tests.test_deploy import SEED, cffunc, config_file
from tests.test_only_writer import write_operations

FIRST, SECOND = "E2EXAMPLE12345", "E2SECOND00001"
TWO = [*SEED, {**copy.deepcopy(SEED[0]), "Id": SECOND}]
TWO[1]["DistributionConfig"]["CallerReference"] = "second"
TWO[1]["DistributionConfig"]["Aliases"] = {"Quantity": 0}
ASSOCIATED = "* viewer-request, * viewer-response, /api/* viewer-request, /api/* viewer-response"


@pytest.fixture
def emulator() -> Iterator[RunningEmulator]:
    with local_cloudfront(TWO, deploy_seconds=0) as running:
        yield running


def two_config(tmp_path: Path) -> Path:
    path = config_file(tmp_path)
    path.write_text(
        path.read_text() + f'\n[[distributions]]\nid = "{SECOND}"\nbehaviors = ["*", "/api/*"]\n'
    )
    return path


def configs(emulator: RunningEmulator) -> dict[str, dict[str, Any]]:
    return {k: copy.deepcopy(d.config) for k, d in emulator.app.state.distributions.items()}


def test_a_later_distribution_failing_puts_the_earlier_back(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    config = two_config(tmp_path)
    before = configs(emulator)
    emulator.app.faults.add("UpdateDistribution", "AccessDenied", after=1)
    # One at a time, so that the second write is the second distribution's (a fleet run's
    # failure at any distribution: test_fleet).
    result = cffunc(emulator, config, "enable", "--concurrency", "1")
    assert result.returncode == 1
    assert configs(emulator) == before  # all or nothing
    assert result.stdout.splitlines() == [
        "done: create function shop-maintenance (3,455 bytes, cloudfront-js-2.0)",
        "done: publish shop-maintenance to LIVE",
        f"done: associate shop-maintenance with {FIRST}: {ASSOCIATED}",
    ]
    assert result.stderr.splitlines()[-4:] == [
        f"Error: access denied: UpdateDistribution on {SECOND} needs the IAM permission "
        "cloudfront:UpdateDistribution; `cffunc iam-policy` prints the policy cffunc needs",
        f"put back: {FIRST} (as it was before this run)",
        f"state: maintenance off ({FIRST}: off, Deployed, {SECOND}: off, Deployed)",
        "to undo: cffunc disable; to finish: cffunc enable",
    ]
    assert cffunc(emulator, config, "enable").returncode == 0  # once allowed, it converges


def test_refusals_are_checked_again_on_every_re_read(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    config = two_config(tmp_path)
    before = configs(emulator)

    def lambda_on_viewer(changed: dict[str, Any]) -> None:
        items = changed["CacheBehaviors"]["Items"][0]["LambdaFunctionAssociations"]["Items"]
        items[0]["EventType"] = "viewer-request"

    # Between cffunc's read and its write, someone puts a Lambda@Edge viewer function on
    # the second distribution: the re-read after PreconditionFailed refuses it.
    emulator.app.change_after_next_read(SECOND, lambda_on_viewer)
    result = cffunc(emulator, config, "enable")
    assert result.returncode == 1
    expected = copy.deepcopy(before)
    lambda_on_viewer(expected[SECOND])
    assert configs(emulator) == expected
    lines = result.stderr.splitlines()
    assert (
        "Lambda@Edge arn:aws:lambda:us-east-1:123456789012:function:api-auth:7 runs on viewer-request"
        in lines[-4]
    )
    assert lines[-3] == f"put back: {FIRST} (as it was before this run)"


def test_enable_then_disable_keeps_what_was_there(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    config = config_file(tmp_path)
    assert cffunc(emulator, config, "enable").returncode == 0
    assert cffunc(emulator, config, "disable").returncode == 0
    assert configs(emulator)[FIRST] == SEED[0]["DistributionConfig"]


def _env(emulator: RunningEmulator) -> dict[str, str]:
    return process_env({**local_aws_env(emulator.endpoint), **ENV})


@pytest.mark.parametrize(
    ("signum", "code", "name"), [(signal.SIGINT, 130, "SIGINT"), (signal.SIGTERM, 143, "SIGTERM")]
)
def test_a_signal_mid_wait_says_what_is_on_and_how_to_undo_it(
    slow_emulator: RunningEmulator, processes: Processes, tmp_path: Path, signum: int, code: int,
    name: str,
) -> None:  # fmt: skip
    config = config_file(tmp_path)
    process = processes.popen(
        [sys.executable, "-m", "cffunc", "-c", str(config), "enable", "--wait", "--timeout", "600"],
        env=_env(slow_emulator), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert process.stderr is not None
    seen = []
    for line in process.stderr:  # the poll has begun once it says it waits
        seen.append(line.rstrip("\n"))
        if line.startswith("waiting for"):
            break
    process.send_signal(signum)
    out, rest = process.communicate(timeout=60)
    seen += rest.splitlines()
    after = slow_emulator.app.state.distributions[FIRST].config
    assert process.returncode == code, seen
    assert out.splitlines()[-1] == f"done: associate shop-maintenance with {FIRST}: {ASSOCIATED}"
    assert seen[-3:] == [
        f"interrupted ({name}); every step that started was finished",
        f"state: maintenance on ({FIRST}: on, InProgress)",
        "to undo: cffunc disable; to finish: cffunc enable --wait",
    ]
    assert after != SEED[0]["DistributionConfig"]  # the write was made and is said to be


def test_two_enables_at_once_both_succeed(
    emulator: RunningEmulator, processes: Processes, tmp_path: Path
) -> None:
    config = config_file(tmp_path)
    runs = [
        processes.popen(
            [sys.executable, "-m", "cffunc", "-c", str(config), "enable"],
            env=_env(emulator),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    results = [(r.wait(timeout=120), r.communicate()) for r in runs]
    assert [code for code, _ in results] == [0, 0], results
    assert cffunc(emulator, config, "enable").stdout == "already enabled\n"


def test_uninstall_never_deletes_what_a_deploying_distribution_may_use(
    slow_emulator: RunningEmulator, tmp_path: Path
) -> None:
    config = tmp_path / "cffunc.toml"
    config.write_text((SAMPLES / "kvs.toml").read_text())
    assert cffunc(slow_emulator, config, "install").returncode == 0
    first = cffunc(slow_emulator, config, "uninstall", "--timeout", "1")
    assert first.returncode == 1
    assert first.stdout.startswith("done: remove shop-maintenance from")
    assert "Error: timed out after 1s; still deploying" in first.stderr
    assert "to undo: cffunc install; to finish: cffunc uninstall" in first.stderr
    assert "shop-maintenance" in slow_emulator.app.state.functions
    # A re-run finds nothing to disassociate, but the config is still deploying.
    again = cffunc(slow_emulator, config, "uninstall", "--timeout", "1")
    assert again.returncode == 1 and "timed out after 1s" in again.stderr
    assert "shop-maintenance" in slow_emulator.app.state.functions
    destroy = cffunc(slow_emulator, config, "destroy")
    assert destroy.returncode == 1 and "still deploying, and may still use" in destroy.stderr
    slow_emulator.app.state.clock.offset += __import__("datetime").timedelta(hours=2)
    done = cffunc(slow_emulator, config, "uninstall", "--timeout", "1")
    assert done.returncode == 0, done.stderr
    assert "shop-maintenance" not in slow_emulator.app.state.functions
    assert slow_emulator.app.state.distributions[FIRST].config == SEED[0]["DistributionConfig"]


def test_store_enable_checks_until_and_reason_before_any_write(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    config = tmp_path / "cffunc.toml"
    config.write_text((SAMPLES / "kvs.toml").read_text())
    assert cffunc(emulator, config, "install").returncode == 0
    store = emulator.app.state.stores["shop-maintenance-state"]
    before = dict(store.items)
    for args, words in (
        (("--until", "0m"), "from 1s to 366d"),
        (("--until", "99999999d"), "from 1s to 366d"),
        (("--reason", "x" * 600), "--reason is 600 characters; give at most 500"),
    ):
        result = cffunc(emulator, config, "enable", *args)
        assert result.returncode == 1 and words in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
    assert store.items == before


def test_store_enable_right_after_install_says_the_edge_waits_for_the_deployment(
    slow_emulator: RunningEmulator, tmp_path: Path
) -> None:
    config = tmp_path / "cffunc.toml"
    config.write_text((SAMPLES / "kvs.toml").read_text())
    waited = cffunc(slow_emulator, config, "install", "--wait", "--timeout", "1")
    assert waited.returncode == 1
    assert "Error: timed out after 1s; still deploying: E2EXAMPLE12345" in waited.stderr
    assert "to undo: cffunc uninstall; to finish: cffunc install --wait" in waited.stderr
    enabled = cffunc(slow_emulator, config, "enable")
    assert enabled.returncode == 0, enabled.stderr
    assert enabled.stdout == (
        "done: set maintenance on in KeyValueStore shop-maintenance-state "
        "(E2EXAMPLE12345 still deploying the install: the edge follows once Deployed, "
        "then within seconds; no distribution change)\n"
    )


# ---- an interrupt after any write names exactly the writes made ----

WRITE_OPERATIONS = write_operations()
DESTROYED = [
    "delete function shop-maintenance--kvs-redirects",
    "delete function shop-maintenance--spa-rewrite",
    "delete function shop-maintenance",
]
# Each command's steps in order, with how many writes each makes.
STEPS: dict[str, list[tuple[str, int]]] = {
    "enable": [
        ("create function shop-maintenance (3,455 bytes, cloudfront-js-2.0)", 1),
        ("publish shop-maintenance to LIVE", 1),
        (f"associate shop-maintenance with {FIRST}: {ASSOCIATED}", 2),  # its record, its config
        (f"associate shop-maintenance with {SECOND}: {ASSOCIATED}", 2),
    ],
    "uninstall": [
        (f"remove shop-maintenance from {FIRST}: {ASSOCIATED}", 2),  # its config, its record
        ("delete function shop-maintenance", 1),
        ("delete KeyValueStore shop-maintenance-state", 1),
    ],
    "destroy": [(message, 1) for message in DESTROYED],
}
NEXT = {
    "enable": "to undo: cffunc disable; to finish: cffunc enable",
    "uninstall": "to undo: cffunc install; to finish: cffunc uninstall",
    "destroy": "to undo: `cffunc enable` creates the functions again; to finish: cffunc destroy",
}
CASES = [
    (command, k) for command, steps in STEPS.items() for k in range(1, sum(n for _, n in steps) + 1)
]


def _prepared(
    command: str, two: RunningEmulator, composed: RunningEmulator, tmp_path: Path
) -> tuple[RunningEmulator, Path]:
    """The local API and config, set up so that ``command`` has every step to make."""
    if command == "enable":
        return two, two_config(tmp_path)
    if command == "uninstall":
        config = tmp_path / "cffunc.toml"
        config.write_text((SAMPLES / "kvs.toml").read_text())
        assert cffunc(two, config, "install").returncode == 0
        return two, config
    config = tmp_path / "cffunc.toml"
    config.write_text((SAMPLES / "composed.toml").read_text())
    shutil.copy(SAMPLES / "composed-scenarios.toml", tmp_path / "composed-scenarios.toml")
    for step in ("enable", "disable"):
        assert cffunc(composed, config, step).returncode == 0
    return composed, config


@pytest.mark.parametrize(
    ("command", "k", "concurrency"),
    [(command, k, "1") for command, k in CASES]
    + [(command, k, "4") for command, k in CASES if command == "enable"],
)
def test_an_interrupt_after_any_write_names_exactly_the_writes_made(
    emulator: RunningEmulator,
    composed_emulator: RunningEmulator,
    tmp_path: Path,
    command: str,
    k: int,
    concurrency: str,
) -> None:
    api, config = _prepared(command, emulator, composed_emulator, tmp_path)
    received: list[str] = []

    def after(operation: str) -> None:
        # In the API's thread, before the answer goes back: the signal reaches cffunc
        # while its k-th write is on the wire, exactly as a Ctrl-C would.
        if operation in WRITE_OPERATIONS:
            received.append(operation)
            if len(received) == k:
                os.kill(os.getpid(), signal.SIGINT)

    api.app.after_call.append(after)
    fleet = ["--concurrency", concurrency] if command == "enable" else []
    result = cffunc(api, config, command, *fleet)
    api.app.after_call.remove(after)
    # The step the k-th write belongs to is finished, and nothing after it is started.
    finished, writes = [], 0
    for message, count in STEPS[command]:
        if writes >= k:
            break
        finished.append(message)
        writes += count
    assert result.returncode == 130, result.stderr
    done = [line.removeprefix("done: ") for line in result.stdout.splitlines()]
    if concurrency == "1":
        assert len(received) == writes
        assert done == finished
    else:
        # The two distributions are written at once: the other one's step may have been
        # on the wire too, and was then finished. Either way every step said done is
        # whole, and the API received exactly their writes: none half made, none unsaid.
        counts = dict(STEPS[command])
        assert set(finished) <= set(done) <= set(counts) and len(done) == len(set(done))
        assert len(received) == sum(counts[message] for message in done)
    lines = result.stderr.splitlines()
    assert "interrupted (SIGINT); every step that started was finished" in lines
    assert "before any write" not in result.stderr
    assert lines[-1] == NEXT[command]
