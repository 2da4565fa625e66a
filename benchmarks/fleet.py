"""A fleet switched at once: 50 distributions selected by one alias pattern.

    python -m benchmarks.fleet [--throttle-every 7] [--deploy-seconds 20]

The local CloudFront API holds the 50 distributions of samples/fleet.json's first fleet
(site1.example.com ... site50.example.com); a respond-mode config selects them with
``aliases = ["*.example.com"]`` (association toggle) and the function is published first.
Each row runs ``cffunc enable`` and then ``cffunc disable`` through the real entry point (a
subprocess, so wall times include starting Python and boto3) and reads the API's own count
of the calls each made (``/__cffunc/call-counts``):

- at --concurrency 1 and at the default, 4;
- with every k-th UpdateDistribution answered Throttling ("Rate exceeded", as CloudFront
  answers), which cffunc retries with a jittered backoff; the row checks that every
  distribution ended up switched (and back) all the same;
- ``enable --wait`` with distributions that take --deploy-seconds to deploy: the benchmark
  moves the local API's clock that far once cffunc says it is waiting (a control call,
  not a real wait), so the wall time is cffunc's work plus its polls.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from cffunc.emulator.server import RunningEmulator, local_cloudfront, read_seeds

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
NAME = "fleet-maintenance"
ARN = f"arn:aws:cloudfront::123456789012:function/{NAME}"
CONFIG = f"""[function]
name = "{NAME}"

[maintenance]
mode = "respond"

[[distributions]]
aliases = ["*.example.com"]
"""


def control(emulator: RunningEmulator, path: str, body: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(
        emulator.endpoint + path, json.dumps(body).encode(), {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request) as answer:
        return dict(json.loads(answer.read()))


def env(emulator: RunningEmulator) -> dict[str, str]:
    return {
        **os.environ, "AWS_ENDPOINT_URL": emulator.endpoint, "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench", "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }  # fmt: skip


def cffunc(emulator: RunningEmulator, config: Path, *args: str, advance: float = 0) -> float:
    """Run ``cffunc ARGS``; the wall time. ``advance``: move the API's clock that far once
    cffunc says it is waiting for the deployment."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "cffunc", "-c", str(config), *args],
        env=env(emulator), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert process.stderr is not None
    errors = []
    for line in process.stderr:
        errors.append(line)
        if advance and line.startswith("waiting for"):
            control(emulator, "/__cffunc/clock", {"advance": advance})
            advance = 0
    if process.wait() != 0:
        raise SystemExit(f"cffunc {' '.join(args)} failed:\n{''.join(errors)}")
    return time.perf_counter() - started


def switched(emulator: RunningEmulator) -> int:
    """How many distributions run the function on their default behavior."""
    return sum(
        any(
            item["FunctionARN"] == ARN
            for item in (d.config["DefaultCacheBehavior"].get("FunctionAssociations") or {}).get(
                "Items"
            )
            or []
        )
        for d in emulator.app.state.distributions.values()
    )


def row(
    emulator: RunningEmulator, config: Path, label: str, *args: str, advance: float = 0
) -> tuple[str, float, dict[str, Any]]:
    control(emulator, "/__cffunc/call-counts", {"reset": True})
    seconds = cffunc(emulator, config, *args, advance=advance)
    return label, seconds, control(emulator, "/__cffunc/call-counts", {"reset": True})


def shown(label: str, seconds: float, counts: dict[str, Any], fleet: int) -> str:
    calls = counts["calls"]
    top = ", ".join(f"{op} {n}" for op, n in sorted(calls.items(), key=lambda i: -i[1])[:4])
    throttled = sum(counts["throttled"].values())
    extra = f"; {throttled} throttled and retried" if throttled else ""
    return (
        f"{label:<34} {seconds:6.2f} s  {counts['total']:4d} calls "
        f"({counts['total'] / fleet:.2f} per distribution: {top}){extra}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--throttle-every", type=int, default=7)
    parser.add_argument("--deploy-seconds", type=float, default=20.0)
    args = parser.parse_args()
    seeds = read_seeds(SAMPLES / "fleet.json")[:50]
    fleet = len(seeds)
    with tempfile.TemporaryDirectory() as tmp, local_cloudfront(seeds) as emulator:
        config = Path(tmp) / "cffunc.toml"
        config.write_text(CONFIG)
        cffunc(emulator, config, "publish")
        print(f'{fleet} distributions selected by aliases = ["*.example.com"], association toggle')
        rows = []
        for concurrency in ("1", "4"):
            for command in ("enable", "disable"):
                rows.append(
                    row(emulator, config, f"{command} --concurrency {concurrency}", command,
                        "--concurrency", concurrency)
                )  # fmt: skip
                expected = fleet if command == "enable" else 0
                assert switched(emulator) == expected, (command, switched(emulator))
        every = args.throttle_every
        control(emulator, "/__cffunc/throttle", {"operation": "UpdateDistribution", "every": every})
        for command in ("enable", "disable"):
            rows.append(
                row(emulator, config, f"{command}, every {every}th update throttled", command)
            )
            expected = fleet if command == "enable" else 0
            assert switched(emulator) == expected, (command, switched(emulator))
        control(emulator, "/__cffunc/throttle", {"clear": True})
        for label, seconds, counts in rows:
            print(shown(label, seconds, counts, fleet))
    # --wait: a fresh API whose deployments take --deploy-seconds.
    with (
        tempfile.TemporaryDirectory() as tmp,
        local_cloudfront(seeds, deploy_seconds=args.deploy_seconds) as emulator,
    ):
        config = Path(tmp) / "cffunc.toml"
        config.write_text(CONFIG)
        cffunc(emulator, config, "publish")
        label = f"enable --wait ({args.deploy_seconds:.0f} s deployments)"
        waited = row(emulator, config, label, "enable", "--wait", advance=args.deploy_seconds)
        assert switched(emulator) == fleet
        print(shown(*waited, fleet))
    print("(all rows converged: every distribution switched on, then off again)")


if __name__ == "__main__":
    main()
