"""Compare the local runtime with CloudFront's TestFunction (``test --remote``, ``publish --test``).

The scenario events run through TestFunction on the DEVELOPMENT stage (the local render is
put there first if needed, a plan step the executor makes; LIVE is untouched) and through
the local runtime, at the same moment; the two are compared on what the viewer-request
result does.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from cffunc.deploy.apply import Report
from cffunc.deploy.awsclient import CloudFrontClient
from cffunc.deploy.plan import LocalFunction, Plan, plan_development
from cffunc.deploy.reads import read_development
from cffunc.runtime import FunctionRuntime
from cffunc.runtime.events import viewer_request_event
from cffunc.runtime.local_run import RemoteComparison
from cffunc.runtime.local_store import KeyValueData

if TYPE_CHECKING:
    from cffunc.function.rules import MaintenanceRules
    from cffunc.runtime.scenarios import Scenario

Apply = Callable[[Plan], Report]


def _describe_output(output: Any) -> str:
    """What a viewer-request result does, in a form both sides can be compared on."""
    if not isinstance(output, dict):
        return f"invalid: {output!r}"
    if "statusCode" in output:
        return f"response {output.get('statusCode')}"
    return f"request {output.get('uri')}"


def ensure_development(client: CloudFrontClient, local: LocalFunction, apply: Apply) -> str:
    """The DEVELOPMENT ETag, after ``apply`` (the executor) has put the local render there
    if it is not."""
    plan = plan_development(local, read_development(client, local))
    if plan.empty:
        assert plan.remote.dev_etag is not None
        return plan.remote.dev_etag
    return apply(plan).development[local.name]


def compare_remote(
    client: CloudFrontClient,
    local: LocalFunction,
    etag: str,
    named_events: Sequence[tuple[str, dict[str, Any]]],
    local_outputs: Sequence[tuple[Any, str | None]],
) -> list[RemoteComparison]:
    """Run each event through CloudFront's TestFunction (DEVELOPMENT) and compare."""
    out = []
    for (name, event), (output, error) in zip(named_events, local_outputs, strict=True):
        result = client.test_function(local.name, etag, json.dumps(event).encode())
        remote_error = result.get("FunctionErrorMessage") or None
        remote = (
            "error"
            if remote_error
            else _describe_output(json.loads(result.get("FunctionOutput") or "null"))
        )
        mine = "error" if error else _describe_output(output)
        out.append(RemoteComparison(name, mine, remote, remote_error))
    return out


def remote_comparisons(
    client: CloudFrontClient,
    local: LocalFunction,
    rules: MaintenanceRules,
    scenarios: Sequence[Scenario],
    secret: str | None,
    now: datetime,
    apply: Apply,
) -> list[RemoteComparison]:
    """The scenario events at ``now`` (TestFunction cannot freeze the clock: give the
    current time), through TestFunction and through the local runtime."""
    named = [(s.name, viewer_request_event(s.request(rules, now, secret))) for s in scenarios]
    # TestFunction reads the real store: so does the local run it is compared with.
    kvs = (
        KeyValueData(client.key_value_store_client().keys(local.kvs_arn)) if local.kvs_arn else None
    )
    with FunctionRuntime(local.rendered.decode("utf-8"), local.runtime, kvs=kvs) as engine:
        results = engine.invoke_many((event, round(now.timestamp() * 1000)) for _, event in named)
    etag = ensure_development(client, local, apply)
    return compare_remote(client, local, etag, named, [(r.output, r.error) for r in results])
