"""Marks the integration tests, so the unit lane (``pytest -m "not integration"``) runs
in seconds: the pure tests and the V8 tests, without the local API or subprocesses."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

from cffunc.emulator.server import RunningEmulator, local_cloudfront, read_seeds
from tests.helpers import SAMPLES


@pytest.fixture
def emulator() -> Iterator[RunningEmulator]:
    """The local CloudFront API with samples/distribution.json, deploying at once."""
    with local_cloudfront(read_seeds(SAMPLES / "distribution.json"), deploy_seconds=0) as api:
        yield api


class Processes:
    """The subprocesses a test starts, each killed at the test's end if still running."""

    def __init__(self) -> None:
        self.started: list[subprocess.Popen[Any]] = []

    def popen(self, args: list[str], **options: Any) -> subprocess.Popen[Any]:
        process = subprocess.Popen(args, **options)
        self.started.append(process)
        return process

    def close(self) -> None:
        for process in self.started:
            if process.poll() is None:
                process.kill()
                process.wait()


@pytest.fixture
def processes() -> Iterator[Processes]:
    """For a test that starts subprocesses (which makes it an integration test)."""
    started = Processes()
    try:
        yield started
    finally:
        started.close()


@pytest.fixture
def composed_emulator() -> Iterator[RunningEmulator]:
    """The local API with samples/composed-distribution.json: foreign functions on slots."""
    seeds = read_seeds(SAMPLES / "composed-distribution.json")
    with local_cloudfront(seeds, deploy_seconds=0) as api:
        yield api


# Modules whose every test starts the local CloudFront API, the AWS CLI or a subprocess.
INTEGRATION_MODULES = {
    "test_deploy",
    "test_toggle",
    "test_emulator",
    "test_packaging",
    "test_compose_deploy",
    "test_export",  # cfn-lint and the CI samples run as subprocesses
    "test_only_writer",
    "test_serve",  # a browser
}
# Single tests elsewhere that start a subprocess.
INTEGRATION_TESTS = {
    "test_ctrl_c_stops_a_runaway_run",
    "test_quickstart_main_job_as_a_subprocess",
    "test_installed_command_renders_end_to_end",
    "test_cli_reads_standard_input_and_prints_json",
    "test_cli_summary_on_the_sample_log",
    "test_release_script_disables_on_success_and_on_failure",
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        module = item.module.__name__.rsplit(".", 1)[-1] if item.module else ""
        if module in INTEGRATION_MODULES or item.originalname in INTEGRATION_TESTS:
            item.add_marker(pytest.mark.integration)
