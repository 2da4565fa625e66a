"""The lanes: a test is an integration test because of the fixtures it uses.

A test that asks for the local CloudFront API (``emulator`` and its variants), for
``processes`` (it starts subprocesses: the CLI's entry point, the AWS CLI, bash, pip,
chromium), for a browser or for a server on a socket is marked ``integration``; a
Hypothesis test (and a few differential tests over thousands of generated events) is
marked ``property``; every other test is in the unit lane
(``pytest -m "not integration and not property"``), which must stay fast. A
unit test that starts a process or listens on a socket anyway fails at once, saying which
fixture to use, so the marker cannot drift from what the tests do.
"""

from __future__ import annotations

import _posixsubprocess
import os
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import settings

from cffunc.emulator.server import RunningEmulator, local_cloudfront, read_seeds
from tests.helpers import SAMPLES, Processes

INTEGRATION_FIXTURES = {
    "emulator", "composed_emulator", "slow_emulator", "local_api", "processes", "browser",
    "edge", "listening",
}  # fmt: skip
SEED = read_seeds(SAMPLES / "distribution.json")

# Property tests draw the same examples on every run (a run that fails, fails again);
# CFFUNC_HYPOTHESIS=explore draws new ones, to look further before a change lands.
settings.register_profile("fixed", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("CFFUNC_HYPOTHESIS", "fixed"))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if INTEGRATION_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.integration)
        elif getattr(getattr(item, "obj", None), "is_hypothesis_test", False):
            # Many drawn examples, most through V8: the property lane, not the unit lane.
            item.add_marker(pytest.mark.property)


# ---- the unit lane starts nothing ----


class StartedInUnitLane(RuntimeError):
    pass


_unit_test: list[str] = []
"""The node id of the unit test running, while one is."""


def _refuse(what: str) -> StartedInUnitLane:
    return StartedInUnitLane(
        f"{_unit_test[0]} {what} in the unit lane: give it the `processes` fixture (or the "
        "local API's, or a server's), which marks it integration"
    )


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if _unit_test and event in ("subprocess.Popen", "os.fork", "os.posix_spawn"):
        raise _refuse(f"started a process ({event})")
    if _unit_test and event == "socket.bind":
        raise _refuse("listened on a socket")


sys.addaudithook(_audit)


def _refuse_fork_exec(*args: Any, **kwargs: Any) -> Any:
    # multiprocessing's spawn starts its process here, without an audit event.
    raise _refuse("started a process (fork_exec)")


def _guarded(item: pytest.Item) -> Iterator[None]:
    """Around each phase of a unit test (its fixtures' setup and teardown included, of
    any scope): starting a process or listening on a socket fails it."""
    if item.get_closest_marker("integration") is not None:
        yield
        return
    saved = _posixsubprocess.fork_exec
    _posixsubprocess.fork_exec = _refuse_fork_exec
    _unit_test[:] = [item.nodeid]
    try:
        yield
    finally:
        _posixsubprocess.fork_exec = saved
        _unit_test.clear()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Iterator[None]:
    yield from _guarded(item)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    yield from _guarded(item)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Iterator[None]:
    yield from _guarded(item)


# ---- the fixtures that make a test an integration test ----


@pytest.fixture
def emulator() -> Iterator[RunningEmulator]:
    """The local CloudFront API with samples/distribution.json, deploying at once."""
    with local_cloudfront(SEED, deploy_seconds=0) as api:
        yield api


@pytest.fixture
def slow_emulator() -> Iterator[RunningEmulator]:
    """The same, but a changed distribution stays InProgress for an hour (its clock can
    be moved on: ``slow_emulator.app.state.clock.offset``)."""
    with local_cloudfront(SEED, deploy_seconds=3600) as api:
        yield api


@pytest.fixture
def local_api() -> Any:
    """For a test that starts the local API with seeds of its own: ``local_cloudfront``."""
    return local_cloudfront


@pytest.fixture
def listening() -> None:
    """For a test that runs a server of its own on a socket (``cffunc serve``'s edge)."""


@pytest.fixture
def composed_emulator() -> Iterator[RunningEmulator]:
    """The local API with samples/composed-distribution.json: foreign functions on slots."""
    seeds = read_seeds(SAMPLES / "composed-distribution.json")
    with local_cloudfront(seeds, deploy_seconds=0) as api:
        yield api


@pytest.fixture
def processes() -> Iterator[Processes]:
    """For a test that starts subprocesses (which makes it an integration test)."""
    started = Processes()
    try:
        yield started
    finally:
        started.close()
