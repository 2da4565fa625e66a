"""Requests per second `cffunc serve` sustains, measured with wrk (Debian's package).

    python -m benchmarks.serve [--seconds 5] [--connections 8]

Starts `cffunc -c samples/cffunc.toml serve` as a subprocess (frozen inside the sample's
window) with `python -m http.server` as its upstream, then runs wrk for a fixed time
against 127.0.0.1: a maintenance answer (GET /checkout from an address outside the
allowlist: the function answers, nothing is proxied) and a proxied pass (GET /health, an
allowlisted path, through to the upstream).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SECRET = "benchmark-secret-0123456789"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(port: int) -> None:
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"nothing listens on {port}")


def wrk(url: str, seconds: int, connections: int) -> float:
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", url],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if match is None:
        raise SystemExit(out)
    return float(match.group(1))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk not found: apt-get install -y wrk")
    work = Path(tempfile.mkdtemp(prefix="cffunc-serve-bench-"))
    (work / "health").write_text("ok\n")
    upstream_port, edge_port = free_port(), free_port()
    env = {**os.environ, "CFFUNC_BYPASS_SECRET": SECRET}
    upstream = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(upstream_port), "--bind", "127.0.0.1"],
        cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    edge = subprocess.Popen(
        [sys.executable, "-m", "cffunc", "-c", str(ROOT / "samples" / "cffunc.toml"), "serve",
         "--port", str(edge_port), "--now", "2026-12-01T03:00:00Z",
         "--upstream", f"http://127.0.0.1:{upstream_port}"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_for(upstream_port)
        wait_for(edge_port)
        base = f"http://127.0.0.1:{edge_port}"
        maintenance = wrk(f"{base}/checkout", args.seconds, args.connections)
        proxied = wrk(f"{base}/health", args.seconds, args.connections)
        direct = wrk(f"http://127.0.0.1:{upstream_port}/health", args.seconds, args.connections)
        print(f"maintenance answer (GET /checkout): {maintenance:,.0f} requests/s")
        print(f"proxied pass (GET /health to http.server): {proxied:,.0f} requests/s")
        print(f"the upstream alone (http.server): {direct:,.0f} requests/s")
    finally:
        edge.terminate()
        upstream.terminate()
        edge.wait(10)
        upstream.wait(10)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
