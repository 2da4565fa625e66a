"""Shared test helpers: configs from dicts, rendering, and reading what the function did."""

from __future__ import annotations

import ipaddress
import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cffunc.config.load import Config, parse_config
from cffunc.function.decide import Decision
from cffunc.function.render import RenderedFunction, render
from cffunc.function.rules import MARKER_HEADER, MaintenanceRules, compile_rules
from scripts.sample_secret import ENV, SAMPLES, SECRET

__all__ = ["ENV", "SAMPLES", "SECRET"]  # the samples' secret, shared with scripts/

NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
NOW_MS = round(NOW.timestamp() * 1000)


def make_config(data: dict[str, Any], base: Path = SAMPLES) -> Config:
    data = {"function": {"name": "test-fn"}, **data}
    return parse_config(data, base / "cffunc.toml")


def make_rules(data: dict[str, Any], env: dict[str, str] | None = None) -> MaintenanceRules:
    return compile_rules(make_config(data), ENV if env is None else env)


def make_function(data: dict[str, Any]) -> tuple[MaintenanceRules, RenderedFunction]:
    rules = make_rules(data)
    return rules, render(rules)


def classify(output: dict[str, Any], rules: MaintenanceRules, request_event: dict[str, Any]) -> str:
    """What a viewer-request result means, in the decision model's words.

    "pass", "redirect", or "maintenance:<answer>" with answer json/page/text/rewrite.
    """
    if "statusCode" not in output:
        request = request_event["request"]
        if without_pass_header(output, rules) == without_pass_header(request, rules):
            return "pass"
        marked = output.get("headers", {}).get(MARKER_HEADER, {}).get("value")
        if output.get("uri") == rules.object and marked == "1":
            return "maintenance:rewrite"
        return f"unexpected request {output!r}"
    if output["statusCode"] == 302:
        return "redirect"
    if output["statusCode"] == 204 and rules.cors_origins:
        return "maintenance:preflight"
    if output["statusCode"] == rules.status:
        content_type = output["headers"]["content-type"]["value"]
        kind = {"application/json": "json", "text/html": "page", "text/plain": "text"}
        return "maintenance:" + kind.get(content_type.split(";")[0], content_type)
    return f"unexpected response {output!r}"


def without_pass_header(request: dict[str, Any], rules: MaintenanceRules) -> dict[str, Any]:
    """The request without the configured pass header (which the function sets or removes
    on a request that passes), to compare what else the function changed."""
    if rules.pass_header is None or not isinstance(request.get("headers"), dict):
        return request
    headers = {k: v for k, v in request["headers"].items() if k != rules.pass_header[0]}
    return {**request, "headers": headers}


def cors_of(output: dict[str, Any]) -> dict[str, str]:
    """The CORS headers (and vary) of a response, as plain values."""
    headers = output.get("headers") or {}
    return {
        k: v["value"] for k, v in headers.items() if k.startswith("access-control-") or k == "vary"
    }


def origin_value(request: dict[str, Any], name: str) -> str | None:
    """The value of header ``name`` a request goes on to the origin with, or None."""
    entry = (request.get("headers") or {}).get(name)
    return entry.get("value") if isinstance(entry, dict) else None


def expected(decision: Decision) -> str:
    if decision.action == "maintenance":
        return f"maintenance:{decision.answer}"
    return decision.action


def boundary_addresses(network: ipaddress.IPv4Network | ipaddress.IPv6Network) -> list[str]:
    """First and last address of a network and the neighbours just outside it."""
    first, last = int(network.network_address), int(network.broadcast_address)
    top = 2**network.max_prefixlen - 1
    cls = ipaddress.IPv4Address if network.version == 4 else ipaddress.IPv6Address
    return [str(cls(v)) for v in (first - 1, first, last, last + 1) if 0 <= v <= top]


@dataclass(frozen=True)
class Ran:
    """A finished ``cffunc`` run, in-process or as a subprocess: the same three fields."""

    returncode: int
    stdout: str
    stderr: str


def local_aws_env(endpoint: str) -> dict[str, str | None]:
    """The environment that points cffunc (and boto3) at the local API."""
    from cffunc.emulator.server import client_environment

    return client_environment(endpoint)


def process_env(overrides: dict[str, str | None]) -> dict[str, str]:
    """os.environ with ``overrides`` applied (None removes), for a subprocess."""
    full = {**os.environ, **overrides}
    return {k: v for k, v in full.items() if v is not None}


def invoke(args: list[str], env: dict[str, str | None], stdin: bytes | None = None) -> Ran:
    """``cffunc ARGS`` in this process through click's CliRunner (``env`` overrides
    os.environ for the run; None unsets). Unexpected exceptions propagate, with their
    traceback, instead of becoming an exit code."""
    from click.testing import CliRunner

    from cffunc.cli import cli

    result = CliRunner().invoke(
        cli, args, env=env, input=stdin, prog_name="cffunc", catch_exceptions=False
    )
    return Ran(result.exit_code, result.stdout, result.stderr)


def run_process(args: list[str], env: dict[str, str | None], stdin: bytes | None = None) -> Ran:
    """``python -m cffunc ARGS`` as a subprocess: the real entry point, for the few
    end-to-end tests that prove it."""
    completed = subprocess.run(
        [sys.executable, "-m", "cffunc", *args],
        env=process_env(env),
        input=stdin,
        capture_output=True,
        check=False,
    )
    return Ran(
        completed.returncode,
        completed.stdout.decode("utf-8", "replace"),
        completed.stderr.decode("utf-8", "replace"),
    )


class Processes:
    """The subprocesses a test starts, each killed at the test's end if still running."""

    def __init__(self) -> None:
        self.started: list[subprocess.Popen[Any]] = []

    def popen(self, args: list[str], **options: Any) -> subprocess.Popen[Any]:
        process = subprocess.Popen(args, **options)
        self.started.append(process)
        return process

    def run(self, args: list[str], **options: Any) -> subprocess.CompletedProcess[Any]:
        options.setdefault("timeout", 300)  # a hung child fails the test, not the run
        return subprocess.run(args, **options)

    def close(self) -> None:
        for process in self.started:
            if process.poll() is None:
                process.kill()
                process.wait()
