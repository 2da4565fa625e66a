"""Bounded concurrency for the calls a fleet takes: one per distribution, a few at a time.

A run over fifty distributions makes a few calls for each; one after another they add up
to minutes of round trips, all at once they are throttled. :func:`each` runs a piece of
work for every item on at most ``concurrency`` threads and keeps the guarantees a run
over one distribution has:

- Results come back in the items' order, whatever order the work finished in.
- After the first failure (or once ``stop()`` says so: a signal is waiting) no new item
  starts; the ones already running finish, so every write that started has returned and
  is recorded before the caller hears of the failure. Items that never started say so.
- A failure may be any BaseException (a signal raised in a worker as :class:`Interrupted`
  too): it is handed back, not lost in a thread.
- Each item runs in a copy of the caller's context (:mod:`contextvars`), so what the
  caller set for its block (the executor's permission to write) holds in the workers too.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Generic, TypeVar, cast

T = TypeVar("T")
R = TypeVar("R")

DEFAULT_CONCURRENCY = 4
"""Distributions read or written at once: enough to hide round trips, few enough that
CloudFront's throttling (observed on bursts of UpdateDistribution) stays rare."""
MAX_CONCURRENCY = 16


@dataclass(frozen=True)
class Done(Generic[R]):
    """What became of one item: its result, the exception it raised, or not started."""

    started: bool
    result: R | None = None
    error: BaseException | None = None

    @property
    def ok(self) -> bool:
        return self.started and self.error is None


def each(
    items: Sequence[T],
    work: Callable[[T], R],
    concurrency: int = DEFAULT_CONCURRENCY,
    stop: Callable[[], bool] = lambda: False,
) -> list[Done[R]]:
    """``work(item)`` for each item, at most ``concurrency`` at once; one :class:`Done`
    per item, in order. Once one fails or ``stop()`` is true, no new item starts."""
    outcomes: list[Done[R]] = [Done(False) for _ in items]
    if concurrency <= 1 or len(items) <= 1:
        for index, item in enumerate(items):
            if stop():
                break
            try:
                outcomes[index] = Done(True, work(item))
            except BaseException as failure:  # handed back, see the docstring
                outcomes[index] = Done(True, error=failure)
                break
        return outcomes
    with ThreadPoolExecutor(max_workers=min(concurrency, len(items))) as pool:
        running: dict[Future[R], int] = {}
        following = iter(enumerate(items))
        failed = False

        def start_next() -> bool:
            if failed or stop():
                return False
            step = next(following, None)
            if step is None:
                return False
            index, item = step
            running[pool.submit(contextvars.copy_context().run, work, item)] = index
            return True

        while len(running) < concurrency and start_next():
            pass
        while running:
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                index = running.pop(future)
                raised = future.exception()
                outcomes[index] = Done(True, None if raised else future.result(), raised)
                failed = failed or raised is not None
            while len(running) < concurrency and start_next():
                pass
    return outcomes


def map_all(
    items: Sequence[T], work: Callable[[T], R], concurrency: int = DEFAULT_CONCURRENCY
) -> list[R]:
    """``work`` over every item (reads): the results in order, or the first error in the
    items' order once the work in flight has finished."""
    results: list[R] = []
    for outcome in each(items, work, concurrency):
        if outcome.error is not None:
            raise outcome.error
        results.append(cast(R, outcome.result))
    return results
