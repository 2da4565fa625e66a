"""Run someone else's function code in a child process, bounded in time and memory.

``cffunc test --code`` runs third-party CloudFront Function code. Inside one V8 context
the watchdog cannot stop CPU work after an ``await`` without a loop (deep recursion, a
catastrophic regex), and memory outside the V8 heap (typed arrays) is not capped. So the
run happens in a child process that the parent watches: past the time limit, past the
memory limit (its resident set, read from /proc), or on Ctrl-C, the child is killed and
the user gets one clear line. Nothing of the child (a hung V8 teardown) can hold the CLI.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from cffunc.errors import CffuncError
from cffunc.runtime.edge import EdgeContext, edge_from_json, edge_to_json

DEFAULT_SECONDS = 10.0
DEFAULT_MEGABYTES = 1024
POLL_SECONDS = 0.05


class Runaway(CffuncError):
    """The function ran past its time or memory limit and was stopped."""


def resident_megabytes(pid: int) -> float:
    """The process's resident set (Linux /proc); 0 where it cannot be read."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0.0


def run_isolated(
    code: str,
    runtime: str,
    events: Sequence[dict[str, Any]],
    now: datetime,
    kvs: dict[str, str] | None = None,
    seconds: float = DEFAULT_SECONDS,
    megabytes: int = DEFAULT_MEGABYTES,
    clock: Callable[[], float] = time.monotonic,
    edges: Sequence[EdgeContext] | None = None,
    started: Callable[[int], None] | None = None,
) -> list[dict[str, Any]]:
    """TestFunction-shaped results of ``events`` (each with its edge context, by default
    a standard distribution's), computed in a child process; ``started`` hears the
    child's process id once it runs."""
    contexts = [edge_to_json(e) for e in edges] if edges is not None else None
    job = {"code": code, "runtime": runtime, "events": list(events),
           "now": now.isoformat(), "kvs": kvs, "edges": contexts}  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="cffunc-") as folder:
        job_file, out_file = Path(folder) / "job.json", Path(folder) / "out.json"
        job_file.write_text(json.dumps(job), encoding="utf-8")
        child = subprocess.Popen(
            [sys.executable, "-m", "cffunc.runtime.isolated", str(job_file), str(out_file)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            start_new_session=True,  # a Ctrl-C reaches the parent only; it stops the child
        )  # fmt: skip
        since = clock()
        if started is not None:
            started(child.pid)
        try:
            while child.poll() is None:
                if clock() - since > seconds:
                    raise Runaway(
                        f"the function ran past {seconds:g} s (a runaway loop, recursion or "
                        "regular expression?) and was stopped; --time-limit raises the limit"
                    )
                used = resident_megabytes(child.pid)
                if used > megabytes:
                    raise Runaway(
                        f"the function used {used:,.0f} MB, over the {megabytes:,} MB limit, and "
                        "was stopped (CloudFront gives a function 2 MB); --memory-limit raises it"
                    )
                time.sleep(POLL_SECONDS)
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()
        errors = child.stderr.read().decode("utf-8", "replace") if child.stderr else ""
        if child.returncode != 0 or not out_file.exists():
            last = errors.strip().splitlines()[-1] if errors.strip() else ""
            raise CffuncError(last.removeprefix("Error: ") or "the function's run failed")
        results: list[dict[str, Any]] = json.loads(out_file.read_text(encoding="utf-8"))
        return results


def main(argv: Sequence[str]) -> int:
    """The child: run the job file's events, write the results (or one Error: line)."""
    from cffunc.runtime.local_run import run_events
    from cffunc.runtime.local_store import KeyValueData

    job_file, out_file = argv
    job = json.loads(Path(job_file).read_text(encoding="utf-8"))
    kvs = KeyValueData(job["kvs"]) if job["kvs"] is not None else None
    edges = [edge_from_json(e) for e in job["edges"]] if job["edges"] is not None else None
    try:
        results = run_events(
            job["code"], job["runtime"], job["events"], datetime.fromisoformat(job["now"]),
            kvs, edges,
        )  # fmt: skip
    except CffuncError as error:
        print(f"Error: {error}", file=sys.stderr)
        return 1
    Path(out_file).write_text(json.dumps(results), encoding="utf-8")
    sys.stdout.flush()
    os._exit(0)  # no V8 teardown to wait for: the results are written


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
