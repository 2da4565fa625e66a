"""Serve the local CloudFront API on 127.0.0.1: ``cffunc-emulator`` and ``local_cloudfront()``.

cffunc-emulator --port 5055 --seed samples/distribution.json
AWS_ENDPOINT_URL=http://127.0.0.1:5055 aws cloudfront list-functions

with local_cloudfront(seeds=[...]) as emulator:
    boto3.client("cloudfront", endpoint_url=emulator.endpoint, ...)
"""

from __future__ import annotations

import argparse
import contextlib
import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from cffunc.emulator.app import Clock, EmulatorApp
from cffunc.emulator.seeds import SeedError, load_seeds, parse_seeds, read_seeds
from cffunc.emulator.state import CloudFrontState

__all__ = [
    "MissingExtra", "RunningEmulator", "SeedError", "build_app", "client_environment",
    "local_cloudfront", "main", "read_seeds",
]  # fmt: skip


MOTO_MISSING = "the local CloudFront API runs on moto: pip install 'cffunc[emulator]'"


class MissingExtra(RuntimeError):
    """moto, which the local API is built on, is not installed (an extra of cffunc)."""


def build_app(seeds: Sequence[dict[str, Any]] = (), deploy_seconds: float = 0.0) -> EmulatorApp:
    """The WSGI app, holding ``seeds`` (see :mod:`.seeds`; SeedError when one cannot load,
    MissingExtra without moto)."""
    try:
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
    except ModuleNotFoundError as error:
        if (error.name or "").split(".")[0] != "moto":
            raise
        raise MissingExtra(MOTO_MISSING) from None

    state = CloudFrontState(clock=Clock(), deploy_seconds=deploy_seconds)
    load_seeds(state, parse_seeds(seeds))
    return EmulatorApp(state, DomainDispatcherApplication(create_backend_app))


class QuietRequestHandler(WSGIRequestHandler):
    """No access log lines: tests read stderr."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


@dataclass
class RunningEmulator:
    endpoint: str
    app: EmulatorApp
    server: BaseWSGIServer


def client_environment(endpoint: str) -> dict[str, str | None]:
    """What points boto3 (and cffunc) at a local API, with dummy credentials and none of
    the machine's own AWS profile or config (None: unset)."""
    return {
        "AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test", "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull, "AWS_PROFILE": None,
    }  # fmt: skip


@contextmanager
def local_cloudfront(
    seeds: Sequence[dict[str, Any]] = (), deploy_seconds: float = 0.0, port: int = 0
) -> Iterator[RunningEmulator]:
    """A local CloudFront API on 127.0.0.1 (a free port unless given), for the block."""
    app = build_app(seeds, deploy_seconds)
    server = make_server("127.0.0.1", port, app, threaded=True, request_handler=QuietRequestHandler)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield RunningEmulator(f"http://127.0.0.1:{server.server_port}", app, server)
    finally:
        server.shutdown()
        thread.join()


def seeded(state: CloudFrontState) -> str:
    """What the banner says the API holds: the distribution ids (a long list shortened),
    and how many tenants."""
    ids = sorted(state.distributions)
    shown = ", ".join(ids) if len(ids) <= 10 else f"{len(ids)}: {ids[0]} ... {ids[-1]}"
    tenants = len(state.tenants.tenants)
    return f"distributions: {shown or 'none'}" + (
        f"; distribution tenants: {tenants}" if tenants else ""
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="cffunc-emulator",
        description="Serve a local CloudFront API (moto plus what cffunc needs) on 127.0.0.1.",
    )
    parser.add_argument("--port", type=int, default=5055)
    parser.add_argument(
        "--seed",
        type=Path,
        action="append",
        default=[],
        help="Distributions, fleets, functions, tenants and connection groups to load "
        "(JSON; repeatable).",
    )
    parser.add_argument(
        "--deploy-seconds",
        type=float,
        default=30.0,
        help="How long a changed distribution stays InProgress.",
    )
    args = parser.parse_args(argv)
    try:
        seeds = [seed for path in args.seed for seed in read_seeds(path)]
        app = build_app(seeds, args.deploy_seconds)
    except (SeedError, MissingExtra) as error:
        parser.exit(1, f"Error: {error}\n")
    server = make_server("127.0.0.1", args.port, app, threaded=True)
    print(
        f"cffunc-emulator: CloudFront API on http://127.0.0.1:{server.server_port} "
        f"({seeded(app.state)})",
        flush=True,
    )
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()


if __name__ == "__main__":
    main()
