"""Run code cffunc did not write in a child process, bounded in time and memory.

``cffunc test --code`` runs third-party CloudFront Function code, and ``--with`` (in
``test`` and ``serve``) runs cffunc's function composed with one. Inside one V8 context
the watchdog cannot stop CPU work after an ``await`` without a loop (deep recursion, a
catastrophic regex), and memory outside the V8 heap (typed arrays) is not capped. So such
code runs in a child process that the parent watches: past the time limit, past the
memory limit (its resident set, read from /proc), or on Ctrl-C, the child is killed and
the user gets one clear line (:class:`Runaway`). Nothing of the child (a hung V8
teardown) can hold the CLI.

A :class:`Child` runs calls of module-level functions, one at a time, each under the
limits: :func:`run_isolated` one call in a child of its own (``test``);
:class:`IsolatedRuntime` a function loaded once in a child kept across invocations and
started anew after a runaway (``serve``, where a child per request would pay Python's
and V8's start-up, about half a second, on every request). Calls and answers cross the
child's stdin and stdout as length-prefixed pickles: both ends are cffunc's own Python,
as trusted as each other (the function's JavaScript reaches neither pipe).
"""

from __future__ import annotations

import os
import pickle
import select
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, TypeVar

from cffunc.config.load import Runtime
from cffunc.errors import CffuncError
from cffunc.runtime.edge import EdgeContext
from cffunc.runtime.engine import FunctionRuntime, Invocation, start_v8
from cffunc.runtime.local_store import KeyValueData

DEFAULT_SECONDS = 10.0
DEFAULT_MEGABYTES = 1024
POLL_SECONDS = 0.05
START_SECONDS = 60.0
"""How long the child may take to start (Python and V8): not the function's time."""
_HEADER = struct.Struct(">Q")

T = TypeVar("T")


class Runaway(CffuncError):
    """The function ran past its time or memory limit and was stopped."""


@dataclass(frozen=True)
class Limits:
    """``--time-limit`` and ``--memory-limit``: what one run (in ``serve``, one request)
    of code cffunc did not write may take."""

    seconds: float = DEFAULT_SECONDS
    megabytes: int = DEFAULT_MEGABYTES

    def __str__(self) -> str:
        return f"at most {self.seconds:g} s and {self.megabytes:,} MB"


DEFAULT_LIMITS = Limits()


def resident_megabytes(pid: int) -> float:
    """The process's resident set (Linux /proc); 0 where it cannot be read."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0.0


class Child:
    """A child process running calls under :class:`Limits`; killed past them (or when
    closed: its results are in, so no teardown is waited for)."""

    def __init__(self, limits: Limits, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self.clock = clock
        # A file, not a pipe: a chatty child cannot block on it. Closed by close().
        self._errors = tempfile.TemporaryFile()  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, "-m", "cffunc.runtime.isolated"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._errors, bufsize=0,
            start_new_session=True,  # a Ctrl-C reaches the parent only; it stops the child
        )  # fmt: skip
        try:
            self._receive(None)  # the child says it is ready
        except BaseException:
            self.close()
            raise

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def call(self, function: Callable[..., T], *args: Any) -> T:
        """``function(*args)`` in the child: its value, or the exception it raised."""
        data = pickle.dumps((function, args))
        stdin = self.process.stdin
        assert stdin is not None
        try:
            stdin.write(_HEADER.pack(len(data)) + data)
        except (BrokenPipeError, ValueError):  # ValueError: closed by close()
            self._stopped()
        status, value = self._receive(self.limits)
        if status == "error":
            raise value
        result: T = value
        return result

    def _receive(self, limits: Limits | None) -> tuple[str, Any]:
        """The child's next answer, watched: past ``limits`` (None: the start-up time)
        it is killed."""
        stdout = self.process.stdout
        assert stdout is not None
        clock = self.clock if limits is not None else time.monotonic
        since, received = clock(), bytearray()
        while True:
            if len(received) >= _HEADER.size:
                (size,) = _HEADER.unpack_from(received)
                if len(received) >= _HEADER.size + size:
                    answer: tuple[str, Any] = pickle.loads(received[_HEADER.size :])
                    return answer
            self._watch(limits, clock() - since)
            readable, _, _ = select.select([stdout], [], [], POLL_SECONDS)
            if readable:
                chunk = os.read(stdout.fileno(), 1 << 20)
                if not chunk:
                    self._stopped()
                received += chunk

    def _watch(self, limits: Limits | None, elapsed: float) -> None:
        if limits is None:
            if elapsed > START_SECONDS:
                self.close()
                raise CffuncError(f"the child process did not start in {START_SECONDS:g} s")
            return
        if elapsed > limits.seconds:
            self.close()
            raise Runaway(
                f"the function ran past {limits.seconds:g} s (a runaway loop, recursion or "
                "regular expression?) and was stopped; --time-limit raises the limit"
            )
        used = resident_megabytes(self.process.pid)
        if used > limits.megabytes:
            self.close()
            raise Runaway(
                f"the function used {used:,.0f} MB, over the {limits.megabytes:,} MB limit, "
                "and was stopped (CloudFront gives a function 2 MB); --memory-limit raises it"
            )

    def _stopped(self) -> None:
        """The child ended unasked (a crash): its last line of errors, as a CffuncError."""
        code = self.process.wait()
        self._errors.seek(0)
        errors = self._errors.read().decode("utf-8", "replace").strip()
        self.close()
        last = errors.splitlines()[-1] if errors else f"exit code {code}"
        raise CffuncError(f"the function's child process stopped: {last}")

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                stream.close()
        self._errors.close()

    def __enter__(self) -> Child:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def run_isolated(
    function: Callable[..., T],
    *args: Any,
    limits: Limits = DEFAULT_LIMITS,
    clock: Callable[[], float] = time.monotonic,
    started: Callable[[int], None] | None = None,
) -> T:
    """``function(*args)`` (a module-level function, its arguments and value pickled) in
    a child process of its own under ``limits``; ``started`` hears the child's process
    id once it runs."""
    with Child(limits, clock) as child:
        if started is not None:
            started(child.pid)
        return child.call(function, *args)


class IsolatedRuntime:
    """What ``serve`` uses of a :class:`~cffunc.runtime.FunctionRuntime` (``invoke``,
    ``close``, ``code``), with the function loaded in a child process kept across
    invocations, each bounded by ``limits``. A runaway invocation kills the child
    (:class:`Runaway`); the next one starts another."""

    def __init__(
        self,
        code: str,
        runtime: Runtime,
        kvs: KeyValueData | None = None,
        limits: Limits = DEFAULT_LIMITS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.code = code
        self.runtime = runtime
        self.kvs = kvs
        self.limits = limits
        self.clock = clock
        self._child: Child | None = None
        self._child = self._start()  # a function that does not load fails here, not later

    def _start(self) -> Child:
        child = Child(self.limits, self.clock)
        try:
            child.call(_load, self.code, self.runtime, self.kvs)
        except BaseException:
            child.close()
            raise
        return child

    @property
    def pid(self) -> int | None:
        """The child's process id; None after a runaway, until the next invocation."""
        return self._child.pid if self._child is not None else None

    def invoke(self, event: Mapping[str, Any], now_ms: int, edge: EdgeContext) -> Invocation:
        """The function's invocation for ``event``, as :meth:`FunctionRuntime.invoke`."""
        if self._child is None or not self._child.alive:
            self._child = self._start()
        try:
            return self._child.call(_invoke, dict(event), now_ms, edge)
        except CffuncError:
            self.close()
            raise

    def close(self) -> None:
        child, self._child = self._child, None
        if child is not None:
            child.close()


# ---- the child ----

_loaded: list[FunctionRuntime] = []
"""The child's function, for :class:`IsolatedRuntime`."""


def _load(code: str, runtime: Runtime, kvs: KeyValueData | None) -> None:
    _loaded[:] = [FunctionRuntime(code, runtime, kvs=kvs)]


def _invoke(event: dict[str, Any], now_ms: int, edge: EdgeContext) -> Invocation:
    return _loaded[0].invoke(event, now_ms, edge)


def _write(out: IO[bytes], answer: tuple[str, Any]) -> None:
    try:
        data = pickle.dumps(answer)
        pickle.loads(data)  # an exception the parent could not rebuild is sent as a line
    except Exception:
        data = pickle.dumps(("error", CffuncError(str(answer[1]))))
    out.write(_HEADER.pack(len(data)) + data)
    out.flush()


def _watch_parent() -> None:
    """End the child if its parent is gone (killed with no chance to stop it): a runaway
    function would otherwise burn a core with nobody waiting."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def main() -> int:
    """The child: answer calls read from stdin until it closes."""
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # anything printed goes to the errors, not into the answers
    calls = sys.stdin.buffer
    _watch_parent()
    import cffunc.runtime.local_run  # noqa: F401  (what the calls need, before "ready")

    start_v8()
    _write(out, ("ready", None))
    while True:
        header = calls.read(_HEADER.size)
        if len(header) < _HEADER.size:
            break
        (size,) = _HEADER.unpack(header)
        function, args = pickle.loads(calls.read(size))
        try:
            answer: tuple[str, Any] = ("value", function(*args))
        except Exception as error:
            answer = ("error", error)
        _write(out, answer)
    sys.stdout.flush()
    os._exit(0)  # no V8 teardown to wait for: the answers are written


if __name__ == "__main__":
    from cffunc.runtime.isolated import main as child_main  # the module pickles name

    sys.exit(child_main())
