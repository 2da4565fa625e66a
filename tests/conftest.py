"""Marks the integration tests, so the unit lane (``pytest -m "not integration"``) runs
in seconds: the pure tests and the V8 tests, without the local API or subprocesses."""

from __future__ import annotations

import pytest

# Modules whose every test starts the local CloudFront API, the AWS CLI or a subprocess.
INTEGRATION_MODULES = {
    "test_deploy",
    "test_toggle",
    "test_emulator",
    "test_emulator_tenants",
    "test_fleet",
    "test_packaging",
    "test_compose_deploy",
    "test_export",  # cfn-lint and the CI samples run as subprocesses
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
