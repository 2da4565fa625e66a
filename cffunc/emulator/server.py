"""Serve the local CloudFront API on 127.0.0.1: ``cffunc-emulator`` and ``local_cloudfront()``.

cffunc-emulator --port 5055 --seed samples/distribution.json
AWS_ENDPOINT_URL=http://127.0.0.1:5055 aws cloudfront list-functions

with local_cloudfront(seeds=[...]) as emulator:
    boto3.client("cloudfront", endpoint_url=emulator.endpoint, ...)
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from cffunc.emulator.app import Clock, EmulatorApp
from cffunc.emulator.state import CloudFrontState


class SeedError(ValueError):
    """A seed file that is not distribution configs."""


RUNTIMES = ("cloudfront-js-1.0", "cloudfront-js-2.0")


def read_seeds(path: Path) -> list[dict[str, Any]]:
    """One object or a list of them, each either a distribution config as `aws cloudfront
    get-distribution-config` prints it plus the ``Id`` to serve it under, or a function:
    ``{"Function": {"Name", "Runtime", "Code" | "CodeFile" (relative to the seed file),
    "Stage": "LIVE" (default) | "DEVELOPMENT", "Comment"?, "Store"?: {"Name", "Items"?}}}``
    (the store is created, with those keys, and associated with the function)."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise SeedError(f"{path}: cannot read the seed file: {error}") from None
    items = raw if isinstance(raw, list) else [raw]
    out = []
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("Function"), dict):
            out.append({"Function": _function_seed(path, item["Function"])})
            continue
        if (
            not isinstance(item, dict)
            or not isinstance(item.get("Id"), str)
            or not isinstance(item.get("DistributionConfig"), dict)
        ):
            raise SeedError(
                f'{path}: each seed needs "Id" and "DistributionConfig" '
                '(the JSON get-distribution-config prints, plus the Id), or "Function"'
            )
        out.append(item)
    return out


def _function_seed(path: Path, seed: dict[str, Any]) -> dict[str, Any]:
    name, runtime = seed.get("Name"), seed.get("Runtime", "cloudfront-js-2.0")
    if not isinstance(name, str) or runtime not in RUNTIMES:
        raise SeedError(f'{path}: a function seed needs "Name" and a "Runtime" of {RUNTIMES}')
    code = seed.get("Code")
    if isinstance(seed.get("CodeFile"), str):
        try:
            code = (path.parent / seed["CodeFile"]).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise SeedError(f"{path}: function {name}: cannot read CodeFile: {error}") from None
    if not isinstance(code, str):
        raise SeedError(f'{path}: function {name} needs "Code" or "CodeFile"')
    stage = seed.get("Stage", "LIVE")
    store = seed.get("Store")
    if stage not in ("LIVE", "DEVELOPMENT") or (
        store is not None and not (isinstance(store, dict) and isinstance(store.get("Name"), str))
    ):
        raise SeedError(
            f'{path}: function {name}: "Stage" is LIVE or DEVELOPMENT; "Store" is '
            '{"Name": ..., "Items": {...}}'
        )
    return {
        "Name": name, "Runtime": runtime, "Code": code, "Stage": stage,
        "Comment": str(seed.get("Comment", "")), "Store": store,
    }  # fmt: skip


MOTO_MISSING = "the local CloudFront API runs on moto: pip install 'cffunc[emulator]'"


class MissingExtra(RuntimeError):
    """moto, which the local API is built on, is not installed (an extra of cffunc)."""


def build_app(seeds: Sequence[dict[str, Any]] = (), deploy_seconds: float = 0.0) -> EmulatorApp:
    try:
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
    except ModuleNotFoundError as error:
        if (error.name or "").split(".")[0] != "moto":
            raise
        raise MissingExtra(MOTO_MISSING) from None

    state = CloudFrontState(clock=Clock(), deploy_seconds=deploy_seconds)
    for seed in seeds:
        if "Function" in seed:
            seed_function(state, seed["Function"])
    for seed in seeds:
        if "Function" in seed:
            continue
        # Seeded distributions start Deployed, as a live site's would be.
        distribution = state.create_distribution(
            seed["DistributionConfig"], seed["Id"], trusted=True
        )
        distribution.deployed_at = distribution.modified
    return EmulatorApp(state, DomainDispatcherApplication(create_backend_app))


def seed_function(state: CloudFrontState, seed: dict[str, Any]) -> None:
    """A function (and its store) as if created, and published when its stage is LIVE."""
    config: dict[str, Any] = {"Comment": seed["Comment"], "Runtime": seed["Runtime"]}
    store = seed.get("Store")
    if store is not None:
        created = state.stores.get(store["Name"]) or state.create_key_value_store(store["Name"], "")
        created.items.update({str(k): str(v) for k, v in (store.get("Items") or {}).items()})
        config["KeyValueStoreAssociations"] = {
            "Quantity": 1, "Items": [{"KeyValueStoreARN": created.arn}],
        }  # fmt: skip
    _, etag = state.create_function(seed["Name"], config, seed["Code"].encode("utf-8"))
    if seed["Stage"] == "LIVE":
        state.publish_function(seed["Name"], etag)


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
        help="Distribution configs and functions to load (repeatable).",
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
    except SeedError as error:
        parser.exit(1, f"Error: {error}\n")
    try:
        app = build_app(seeds, args.deploy_seconds)
    except MissingExtra as error:
        parser.exit(1, f"Error: {error}\n")
    server = make_server("127.0.0.1", args.port, app, threaded=True)
    ids = ", ".join(sorted(app.state.distributions)) or "none"
    print(
        f"cffunc-emulator: CloudFront API on http://127.0.0.1:{server.server_port} "
        f"(distributions: {ids})",
        flush=True,
    )
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()


if __name__ == "__main__":
    main()
