"""SIGINT and SIGTERM for commands that write: never between the halves of a write.

Release scripts run cffunc unattended, and a CI job that is cancelled sends SIGTERM (a
person, SIGINT). A signal that arrives while an AWS write is on the wire is held until the
write has returned, so cffunc knows whether it was made; outside a write it stops the
command at once (a ``--wait`` poll, a read). Either way :class:`Interrupted` goes up to the
CLI, which says what was done, the state it left, and the command that undoes it, and exits
with 130 (SIGINT) or 143 (SIGTERM), as a shell would.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupted(BaseException):
    """The command was stopped by a signal; not an Exception, so nothing swallows it."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


class _State:
    writing = 0
    pending: int | None = None
    lock = threading.Lock()
    """The executor's threads (a fleet's writes) enter and leave writes at once."""


_state = _State()


def _handler(signum: int, frame: FrameType | None) -> None:
    if _state.writing:
        _state.pending = signum
        return
    raise Interrupted(signum)


def pending() -> bool:
    """A signal is waiting for the writes on the wire to return: start no new one."""
    return _state.pending is not None


@contextmanager
def handled() -> Iterator[None]:
    """Signals become :class:`Interrupted` (held while a write is on the wire) for the
    block. Only the main thread can install handlers; elsewhere this does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.getsignal(s) for s in SIGNALS}
    for s in SIGNALS:
        signal.signal(s, _handler)
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        _state.pending = None


@contextmanager
def one_write() -> Iterator[None]:
    """Around one AWS write (or a batch of them on several threads, which then check
    :func:`pending` before each new one): a signal meanwhile is raised, in the thread
    that leaves the last write, once every write on the wire has returned."""
    with _state.lock:
        _state.writing += 1
    try:
        yield
    finally:
        with _state.lock:
            _state.writing -= 1
            signum = _state.pending if not _state.writing else None
            if signum is not None:
                _state.pending = None
        if signum is not None:
            raise Interrupted(signum)
