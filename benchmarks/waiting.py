"""How long ``enable --wait`` waits past the deployment, before and after adaptive polling.

    python -m benchmarks.waiting [--deployments 20 65 240]

For each deployment time, a fresh local CloudFront API (samples/distribution.json) whose
changed distributions stay InProgress that long; samples/cffunc.toml is enabled through the
library and then waited for, once with the old poll (every 15 s: ``waiting.FIXED_15``) and
once with the adaptive one (2 s growing to 5 s, jittered: ``waiting.ADAPTIVE``). The client's
sleep moves the local API's clock (``/__cffunc/clock``) instead of sleeping, so a 4-minute
deployment takes no real time. Prints the time waited, the overshoot (waited minus the
deployment time: what --wait adds) and the GetDistribution polls made.
"""

from __future__ import annotations

import argparse
import json
import os
import time
import urllib.request
from pathlib import Path

from cffunc.config.load import load_config
from cffunc.deploy.awsclient import CloudFrontClient, Connection
from cffunc.deploy.toggles import Deployment, EnableRequest, toggle_for
from cffunc.deploy.waiting import ADAPTIVE, FIXED_15, PollSchedule, wait_deployed
from cffunc.emulator.server import RunningEmulator, local_cloudfront, read_seeds

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
SECRET = "benchmark-secret-0123456789"


class EmulatorTime:
    """The client's clock and sleep: sleeping moves the local API's clock instead."""

    def __init__(self, emulator: RunningEmulator) -> None:
        self.emulator = emulator
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        request = urllib.request.Request(
            self.emulator.endpoint + "/__cffunc/clock",
            json.dumps({"advance": seconds}).encode(),
            {"Content-Type": "application/json"},
        )
        urllib.request.urlopen(request).close()
        self.now += seconds


def measure(deploy_seconds: float, schedule: PollSchedule) -> tuple[float, int]:
    """(seconds waited, GetDistribution/ListDistributions polls) for one enable --wait."""
    seeds = read_seeds(SAMPLES / "distribution.json")
    with local_cloudfront(seeds, deploy_seconds=deploy_seconds) as emulator:
        os.environ.update({
            "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        })  # fmt: skip
        client = CloudFrontClient.connect(Connection(endpoint_url=emulator.endpoint))
        virtual = EmulatorTime(emulator)
        client.clock, client.sleep = virtual.clock, virtual.sleep
        config = load_config(SAMPLES / "cffunc.toml")
        deployment = Deployment(
            config, client, lambda _: None, {**os.environ, "CFFUNC_BYPASS_SECRET": SECRET}
        )
        report = deployment.apply(toggle_for(deployment).plan_enable(EnableRequest()))
        before = len(client.calls)
        waited = wait_deployed(client, report.touched, 3600, lambda _: None, schedule)
        return waited, len(client.calls) - before


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deployments", type=float, nargs="+", default=[20, 65, 240])
    args = parser.parse_args()
    started = time.perf_counter()
    print(f"{'deployment':>10}  {'poll':<22} {'waited':>7} {'overshoot':>9} {'polls':>5}")
    for deploy_seconds in args.deployments:
        for name, schedule in (("every 15 s (before)", FIXED_15), ("adaptive (after)", ADAPTIVE)):
            waited, polls = measure(deploy_seconds, schedule)
            print(
                f"{deploy_seconds:>9.0f}s  {name:<22} {waited:>6.1f}s {waited - deploy_seconds:>8.1f}s"
                f" {polls:>5}"
            )
    print(f"(measured in {time.perf_counter() - started:.1f} s of real time: the clock was moved)")


if __name__ == "__main__":
    main()
