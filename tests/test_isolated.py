"""Code cffunc did not write runs bounded: a ``--with`` function, like ``--code``, runs in a
child process stopped past its time or memory limit, in ``test`` (scenarios and single
events) and ``serve`` (every request); ``render --with`` runs none of it.

Real V8, real child processes. The CLI runs as a subprocess with a timeout, so a run that
is not bounded fails its test instead of hanging the suite; the runtime's own tests
inject the clock.
"""

from __future__ import annotations

import re
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from cffunc.errors import CffuncError
from cffunc.runtime import FunctionRuntime
from cffunc.runtime.edge import EdgeContext
from cffunc.runtime.events import event_from_options
from cffunc.runtime.isolated import IsolatedRuntime, Limits, Runaway
from tests.helpers import ENV, NOW_MS, SAMPLES, Processes

# A catastrophic regex after an await (the in-context watchdog cannot stop it), and typed
# arrays (memory outside the V8 heap), each only on its own path: the rest passes.
FOREIGN = """async function handler(event) {
  await 0;
  if (event.request.uri === '/slow') {
    /(a+)+$/.test('a'.repeat(40) + '!');
  }
  if (event.request.uri === '/big') {
    var a = new Uint8Array(1024 * 1024 * 1024); a.fill(1);
    var b = new Uint8Array(1024 * 1024 * 1024); b.fill(2);
  }
  return event.request;
}
"""
LIMITS = ["--time-limit", "2", "--memory-limit", "300"]
STOPPED = {
    "/slow": "the function ran past 2 s (a runaway loop, recursion or regular expression?) "
    "and was stopped; --time-limit raises the limit",
    "/big": "over the 300 MB limit, and was stopped",
}
AFTER_END = "2026-12-01T05:00:00Z"
"""After the sample's window: every request passes on to the --with function."""
WAIT = 120
"""Seconds a test waits for the CLI at most: past them, a run that was not stopped fails."""


def cffunc(*args: str, quiet: bool = True) -> list[str]:
    config = ["-c", str(SAMPLES / "cffunc.toml")]
    return [sys.executable, "-m", "cffunc", *(["-q"] if quiet else []), *config, *args]


@pytest.fixture
def foreign(tmp_path: Path) -> Path:
    path = tmp_path / "foreign.js"
    path.write_text(FOREIGN)
    return path


@pytest.mark.parametrize("path", ["/slow", "/big"])
def test_test_with_single_events_is_bounded(processes: Processes, foreign: Path, path: str) -> None:
    done = processes.run(
        cffunc("test", "--with", str(foreign), "--ip", "198.51.100.7", "--path", path,
               "--now", AFTER_END, *LIMITS),
        env=ENV, capture_output=True, text=True, timeout=WAIT,
    )  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    assert done.stderr.startswith("Error: the function ") and STOPPED[path] in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and done.stdout == ""


@pytest.mark.parametrize("path", ["/slow", "/big"])
def test_test_with_scenarios_is_bounded(
    processes: Processes, foreign: Path, tmp_path: Path, path: str
) -> None:
    scenarios = tmp_path / "scenarios.toml"
    scenarios.write_text(
        f'[[scenario]]\nname = "fine"\nip = "198.51.100.7"\npath = "/"\nexpect = "pass"\n'
        f'now = "{AFTER_END}"\n\n'
        f'[[scenario]]\nname = "runaway"\nip = "198.51.100.7"\npath = "{path}"\n'
        f'expect = "pass"\nnow = "{AFTER_END}"\n'
    )
    done = processes.run(
        cffunc("test", "--with", str(foreign), "--scenarios", str(scenarios), *LIMITS),
        env=ENV, capture_output=True, text=True, timeout=WAIT,
    )  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    assert done.stderr.startswith("Error: the function ") and STOPPED[path] in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and done.stdout == ""


def test_test_with_runs_in_a_child_and_passes_when_within_its_limits(
    processes: Processes, foreign: Path
) -> None:
    done = processes.run(
        cffunc("test", "--with", str(foreign), "--ip", "198.51.100.7", "--path", "/",
               "--now", AFTER_END, *LIMITS, quiet=False),
        env=ENV, capture_output=True, text=True, timeout=WAIT,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("GET / from 198.51.100.7: goes on")
    assert done.stderr == (
        f"running {foreign} composed with cffunc's function in a child process "
        "(at most 2 s and 300 MB)\n"
    )


def test_render_with_runs_none_of_the_foreign_code(processes: Processes, foreign: Path) -> None:
    """render only composes (tree-sitter, no V8): nothing of the function runs, so it needs
    no limits and finishes however the function would behave."""
    done = processes.run(
        cffunc("render", "--with", str(foreign), "--stats"),
        env=ENV, capture_output=True, text=True, timeout=WAIT,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0].split() == ["runtime", "cloudfront-js-2.0"]


def _get(port: int, target: str) -> tuple[int, bytes]:
    request = f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as connection:
        connection.sendall(request.encode())
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


def test_serve_with_stops_a_runaway_request_and_keeps_serving(
    processes: Processes, foreign: Path
) -> None:
    """Each request the --with function runs for is bounded: a runaway one gets a 503
    saying why and one log line; the server answers the next requests (a fresh child)."""
    server = processes.popen(
        cffunc("serve", "--port", "0", "--with", str(foreign), "--now", AFTER_END,
               "--viewer-ip", "198.51.100.7", *LIMITS),
        env=ENV, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    assert server.stderr is not None
    serving = server.stderr.readline()
    assert serving.startswith("serving http://127.0.0.1:"), serving
    port = int(serving.split()[1].rsplit(":", 1)[1])
    for path in ("/slow", "/big"):
        status, body = _get(port, path)
        assert status == 503 and STOPPED[path] in body.decode(), body
        line = server.stderr.readline()  # logged before the answer is sent
        assert line.startswith(f"GET {path} 503 stopped: the function ") and STOPPED[path] in line
        assert _get(port, "/")[0] == 200
        assert server.stderr.readline().startswith("GET / pass ")
    assert server.poll() is None


# ---- the runtime serve uses: one child across invocations, a fresh one after a runaway ----


class Clock:
    """Time that passes only when told: ``step`` seconds at each look."""

    def __init__(self) -> None:
        self.now, self.step = 0.0, 0.0

    def __call__(self) -> float:
        self.now += self.step
        return self.now


def _event(path: str) -> dict[str, Any]:
    return event_from_options("198.51.100.7", "GET", path, [])


@pytest.mark.parametrize(
    ("path", "limits", "stopped"),
    [
        ("/slow", Limits(seconds=5), "the function ran past 5 s"),
        ("/big", Limits(megabytes=300), "over the 300 MB limit, and was stopped"),
    ],
)
@pytest.mark.usefixtures("processes")
def test_a_runaway_invocation_kills_the_child_and_the_next_gets_a_fresh_one(
    path: str, limits: Limits, stopped: str
) -> None:
    clock = Clock()
    runtime = IsolatedRuntime(FOREIGN, "cloudfront-js-2.0", None, limits, clock)
    try:
        first = runtime.pid
        assert first is not None
        fine = runtime.invoke(_event("/"), NOW_MS, EdgeContext())
        assert fine.ok and fine.output["uri"] == "/" and runtime.pid == first
        clock.step = 1.0 if path == "/slow" else 0.0  # a second at each look: past 5 s soon
        with pytest.raises(Runaway, match=re.escape(stopped)):
            runtime.invoke(_event(path), NOW_MS, EdgeContext())
        assert runtime.pid is None and not Path(f"/proc/{first}").exists()
        clock.step = 0.0
        again = runtime.invoke(_event("/"), NOW_MS, EdgeContext())
        assert again.ok and again.output["uri"] == "/" and runtime.pid not in (None, first)
    finally:
        runtime.close()


@pytest.mark.usefixtures("processes")
def test_the_childs_errors_are_the_ones_this_process_would_raise() -> None:
    """A function that does not load fails as it would in this process (the same error,
    the same words); a function that throws is an invocation's error, as here."""
    broken = "function handler(event) { return event.request"
    with pytest.raises(CffuncError) as here:
        FunctionRuntime(broken, "cloudfront-js-1.0")
    with pytest.raises(type(here.value), match=re.escape(str(here.value))):
        IsolatedRuntime(broken, "cloudfront-js-1.0")
    throws = "function handler(event) { throw new Error('no') }"
    runtime = IsolatedRuntime(throws, "cloudfront-js-1.0")
    try:
        result = runtime.invoke(_event("/"), NOW_MS, EdgeContext())
    finally:
        runtime.close()
    assert result.error == "FunctionExecutionError: Error: no" and result.error_status == 503
