"""``--wait``: poll until the distributions a command changed are Deployed, and say how long.

A distribution change reaches every edge location in anything from seconds to minutes, and
no event says when: cffunc polls. A fixed 15-second poll made a 20-second deployment a
30-second wait. The :class:`PollSchedule` starts short and grows to a cap, so a wait ends
at most one capped interval (5 s) after the deployment, fast or slow, and each interval is
shortened by a random share so that runs started together do not poll together.

The cost stays bounded whatever the fleet: a poll asks GetDistribution for each pending
distribution only while that is fewer calls than listing them all; past that, one
ListDistributions walk (its summaries carry each distribution's ``Status``, and a page
holds 100) answers for every one of them. CloudFront documents no request rate for its
control plane (Quotas,
https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html),
so cffunc stays at one poll per interval per run, at most one every 2 s and, after
the first few, one every 4 to 5 s; a throttled poll backs off like any other call
(:mod:`cffunc.deploy.awsclient`). The status values are those of ``Distribution.Status``
(API_Distribution: "InProgress" until the change has propagated, then "Deployed").

The client's clock and sleep are injected, so tests (and the benchmark, which moves the
local API's clock instead of sleeping) never really wait.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from cffunc.deploy.awsclient import AwsError, DistributionSummary

DEPLOYED = "Deployed"
LIST_PAGE = 100
"""Distributions per ListDistributions page (the API's default MaxItems)."""
QUIET_SECONDS = 30.0
"""Progress is said when the pending set changes, and at least this often otherwise."""


class Polled(Protocol):
    """What the poller needs of :class:`~cffunc.deploy.awsclient.CloudFrontClient`."""

    def clock(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...

    def jitter(self) -> float: ...

    def distribution_status(self, distribution_id: str) -> str: ...

    def distribution_summaries(self) -> list[DistributionSummary]: ...


@dataclass(frozen=True)
class PollSchedule:
    """How long to sleep before each poll: ``first``, times ``growth`` per poll, at most
    ``cap``; each interval shortened by up to ``jitter`` of itself (never lengthened, so a
    wait ends within ``cap`` of the deployment)."""

    first: float = 2.0
    growth: float = 1.5
    cap: float = 5.0
    jitter: float = 0.2

    def interval(self, polls: int, draw: float) -> float:
        """The sleep after poll number ``polls`` (0: the first), for ``draw`` in [0, 1)."""
        base = min(self.cap, self.first * self.growth ** min(polls, 64))
        return base * (1 - self.jitter * draw)


ADAPTIVE = PollSchedule()
FIXED_15 = PollSchedule(first=15.0, growth=1.0, cap=15.0, jitter=0.0)
"""cffunc's poll before the adaptive schedule (the benchmark's "before")."""


def duration(seconds: float) -> str:
    """``42s``, ``1m 42s``, ``1h 2m 3s``: a wait as people read it."""
    whole = max(0, round(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes}m {secs}s"
    return f"{minutes}m {secs}s" if minutes else f"{secs}s"


def _named(ids: Sequence[str], limit: int = 3) -> str:
    if len(ids) <= limit:
        return ", ".join(ids)
    return f"{len(ids)} distributions ({', '.join(ids[:limit])}, ...)"


def _statuses(client: Polled, pending: list[str], pages: int) -> tuple[dict[str, str], int]:
    """Each pending distribution's status, by the cheaper way; and the pages a listing
    takes (as learnt from the last one)."""
    if len(pending) <= pages:
        return {i: client.distribution_status(i) for i in pending}, pages
    summaries = client.distribution_summaries()
    listed = {s.id: s.status for s in summaries}
    # One that the listing lacks (deleted meanwhile?) is asked for by itself: its error says.
    missing = {i: client.distribution_status(i) for i in pending if i not in listed}
    return listed | missing, max(1, math.ceil(len(summaries) / LIST_PAGE))


def wait_deployed(
    client: Polled,
    ids: Sequence[str],
    timeout: float,
    progress: Callable[[str], None],
    schedule: PollSchedule = ADAPTIVE,
) -> float:
    """Poll until every distribution in ``ids`` is Deployed; the seconds it took. On
    timeout an AwsError naming the ones still deploying (their change is made)."""
    started = client.clock()
    deadline = started + timeout
    pending = list(dict.fromkeys(ids))
    pages, polls = 1, 0
    said: tuple[int, float] | None = None
    while True:
        statuses, pages = _statuses(client, pending, pages)
        pending = [i for i in pending if statuses[i] != DEPLOYED]
        now = client.clock()
        elapsed = now - started
        if not pending:
            count = len(dict.fromkeys(ids))
            what = "deployed" if count == 1 else f"{count} distributions deployed"
            progress(f"{what} in {duration(elapsed)}")
            return elapsed
        if now >= deadline:
            raise AwsError(
                f"timed out after {duration(timeout)}; still deploying: {', '.join(pending)} "
                "(the change is made; it reaches the edge when they finish)"
            )
        if said is None or said[0] != len(pending) or now - said[1] >= QUIET_SECONDS:
            progress(f"waiting for {_named(pending)} to deploy ({duration(elapsed)})")
            said = (len(pending), now)
        pause = schedule.interval(polls, client.jitter())
        client.sleep(min(pause, max(0.0, deadline - now)))
        polls += 1
