"""Write samples/access.log: 200 requests in CloudFront's standard log format.

    CFFUNC_BYPASS_SECRET=demo-secret-change-me-0123 python scripts/make_sample_log.py

Tokens and bypass cookies are made with the demo secret of the Quickstart (README, docs).
"""

from __future__ import annotations

import ipaddress
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script

from benchmarks.loggen import requests, write_log
from cffunc.function import bypass

SAMPLES = Path(__file__).resolve().parent.parent / "samples"


def main() -> None:
    secret = os.environ["CFFUNC_BYPASS_SECRET"]
    keys = bypass.derive_keys(secret)
    # Valid for an hour from the --now the docs use (2026-12-01T03:00:00Z), and an expired one.
    cookies = [bypass.cookie_value(keys, 1_796_097_600), bypass.cookie_value(keys, 1_700_000_000)]
    nets = [ipaddress.ip_network("203.0.113.0/24"), ipaddress.ip_network("2001:db8::/32")]
    with (SAMPLES / "access.log").open("w", encoding="utf-8") as handle:
        write_log(handle, requests(200, nets, 7, cookies, secret))


if __name__ == "__main__":
    main()
