"""The --wait poller against a fake account whose distributions deploy at set times.

The clock only moves when the poller sleeps, so a four-minute deployment takes no time here;
the jitter draws are fixed (or drawn by Hypothesis, derandomized).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cffunc.deploy.awsclient import AwsError, DistributionSummary
from cffunc.deploy.waiting import ADAPTIVE, FIXED_15, PollSchedule, duration, wait_deployed


class DeployingAccount:
    """Distributions that turn Deployed at ``deployed_at[id]`` seconds; counts the calls."""

    def __init__(self, deployed_at: dict[str, float], draws: Iterator[float] | None = None) -> None:
        self.deployed_at = deployed_at
        self.now = 0.0
        self.slept: list[float] = []
        self.calls: list[str] = []
        self.draws = draws

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    def jitter(self) -> float:
        return next(self.draws) if self.draws is not None else 0.5

    def _status(self, distribution_id: str) -> str:
        return "Deployed" if self.now >= self.deployed_at[distribution_id] else "InProgress"

    def distribution_status(self, distribution_id: str) -> str:
        self.calls.append("GetDistribution")
        return self._status(distribution_id)

    def distribution_summaries(self) -> list[DistributionSummary]:
        self.calls.append("ListDistributions")
        return [DistributionSummary(i, (), self._status(i)) for i in sorted(self.deployed_at)]


def overshoot(deploy_seconds: float, schedule: PollSchedule = ADAPTIVE) -> float:
    account = DeployingAccount({"E1": deploy_seconds})
    waited = wait_deployed(account, ["E1"], 3600, lambda _: None, schedule)
    return waited - deploy_seconds


@pytest.mark.parametrize("deploy_seconds", [0, 1, 20, 65, 240, 1800])
def test_the_wait_ends_within_5_seconds_of_the_deployment(deploy_seconds: float) -> None:
    assert 0 <= overshoot(deploy_seconds) <= 5
    # A poll every 15 s could end up to 15 s late (20 s: waited 30 s).
    assert overshoot(20, FIXED_15) == 10


@settings(max_examples=200, derandomize=True, deadline=None)
@given(
    st.floats(min_value=0, max_value=3000, allow_nan=False),
    st.lists(st.floats(min_value=0, max_value=0.999), min_size=1),
)
def test_no_jitter_makes_the_wait_end_later_than_the_cap(
    deploy_seconds: float, draws: list[float]
) -> None:
    endless = iter(draws * 10_000)
    account = DeployingAccount({"E1": deploy_seconds}, endless)
    waited = wait_deployed(account, ["E1"], 7200, lambda _: None)
    assert deploy_seconds <= waited <= deploy_seconds + ADAPTIVE.cap
    assert all(s <= ADAPTIVE.cap for s in account.slept)
    assert all(s >= ADAPTIVE.first * (1 - ADAPTIVE.jitter) for s in account.slept[:1])


def test_polls_start_short_and_grow_to_the_cap() -> None:
    account = DeployingAccount({"E1": 60})
    wait_deployed(account, ["E1"], 3600, lambda _: None, PollSchedule(jitter=0))
    assert account.slept[:4] == [2.0, 3.0, 4.5, 5.0]
    assert set(account.slept[3:]) == {5.0}
    # One GetDistribution per poll: about one every 5 s once grown, not a burst.
    assert account.calls.count("GetDistribution") == len(account.slept) + 1


def test_a_fleet_is_polled_with_one_listing_not_a_call_each() -> None:
    fleet = {f"EFLEET{n:04d}": 30.0 + n for n in range(50)}
    account = DeployingAccount(fleet)
    progress: list[str] = []
    waited = wait_deployed(account, list(fleet), 3600, progress.append)
    assert max(fleet.values()) <= waited <= max(fleet.values()) + 5
    polls = len(account.slept) + 1
    # The last few pending ones are fewer than the listing's one page: asked one by one
    # only once a single distribution is left.
    assert (
        account.calls.count("ListDistributions") + account.calls.count("GetDistribution") == polls
    )
    assert account.calls.count("GetDistribution") <= 1 * polls
    assert (
        progress[0]
        == "waiting for 50 distributions (EFLEET0000, EFLEET0001, EFLEET0002, ...) to deploy (0s)"
    )
    assert progress[-1] == f"50 distributions deployed in {duration(waited)}"


def test_progress_is_said_when_it_changes_and_every_half_minute() -> None:
    account = DeployingAccount({"E1": 102, "E2": 40})
    progress: list[str] = []
    wait_deployed(account, ["E1", "E2", "E1"], 3600, progress.append, PollSchedule(jitter=0))
    assert progress[0] == "waiting for E1, E2 to deploy (0s)"
    assert progress[1:4] == [
        "waiting for E1, E2 to deploy (34s)",  # half a minute on
        "waiting for E1 to deploy (44s)",  # E2 done
        "waiting for E1 to deploy (1m 14s)",
    ]
    assert len(progress) < len(account.slept) / 2
    assert progress[-1] == "2 distributions deployed in 1m 44s"


def test_timeout_names_what_is_still_deploying_and_stops_at_the_deadline() -> None:
    account = DeployingAccount({"E1": 10, "E2": 9999})
    with pytest.raises(
        AwsError, match=r"timed out after 40s; still deploying: E2 \(the change is made"
    ):
        wait_deployed(account, ["E1", "E2"], 40, lambda _: None, FIXED_15)
    assert account.slept == [15, 15, 10]
    assert account.now == 40


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(0, "0s"), (0.4, "0s"), (42, "42s"), (60, "1m 0s"), (102, "1m 42s"), (3723, "1h 2m 3s")],
)
def test_durations_read_as_people_write_them(seconds: float, shown: str) -> None:
    assert duration(seconds) == shown
