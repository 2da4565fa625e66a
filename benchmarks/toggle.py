"""API calls and wall time of `cffunc enable` against the local API, for both toggles.

    python -m benchmarks.toggle [--repeats 5] [--deploy-seconds 0]

For each toggle, a fresh local CloudFront API (samples/distribution.json) gets the
function published (association) or installed (kvs); then `cffunc enable` runs as a
subprocess, its calls are read from the emulator's call log, and `cffunc disable` puts
maintenance back off for the next repeat. Prints the calls of one enable and the median
wall time. With --deploy-seconds S the emulator keeps a changed distribution InProgress
for S seconds and enable runs with --wait (the deployment the association toggle waits
for; the store toggle has none): the local API's clock is real, so this waits S seconds.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cffunc.emulator.server import local_cloudfront, read_seeds

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
SECRET = "benchmark-secret-0123456789"


def run(endpoint: str, config: Path, *args: str) -> float:
    env = {
        **os.environ, "AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench", "CFFUNC_BYPASS_SECRET": SECRET,
        "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }  # fmt: skip
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "cffunc", "-c", str(config), *args],
        env=env, check=True, capture_output=True,
    )  # fmt: skip
    return time.perf_counter() - started


def measure(toggle: str, repeats: int, deploy_seconds: float) -> tuple[list[str], float]:
    sample = "kvs.toml" if toggle == "kvs" else "cffunc.toml"
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "cffunc.toml"
        # No window: the association sample's window is in 2026-12; the switch is the point.
        text = (SAMPLES / sample).read_text()
        text = "\n".join(
            line for line in text.splitlines() if not line.startswith(("start", "end"))
        )
        config.write_text(text)
        with local_cloudfront(read_seeds(SAMPLES / "distribution.json"), deploy_seconds) as em:
            run(em.endpoint, config, "install" if toggle == "kvs" else "publish")
            wait = ["--wait"] if deploy_seconds else []
            times, calls = [], []
            for _ in range(repeats):
                before = len(em.app.calls)
                times.append(run(em.endpoint, config, "enable", *wait))
                calls = em.app.calls[before:]
                run(em.endpoint, config, "disable", *wait)
    return calls, statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--deploy-seconds", type=float, default=0.0)
    args = parser.parse_args()
    for toggle in ("association", "kvs"):
        calls, seconds = measure(toggle, args.repeats, args.deploy_seconds)
        print(
            f"enable, toggle = {toggle:<11}: {len(calls)} calls, {seconds:.2f} s "
            f"(median of {args.repeats}): {', '.join(calls)}"
        )


if __name__ == "__main__":
    main()
