"""Read the remote state a plan needs, and carry a plan out.

Reading and writing go through :class:`~cffunc.awsclient.CloudFrontClient` only. Every
read and every check happens before the first write, so a refusal or a bad target leaves
AWS untouched. A distribution write that meets ``PreconditionFailed`` reads the config
again and re-applies only cffunc's edit (a bounded number of times).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any

from cffunc.awsclient import AwsError, CloudFrontClient, PreconditionFailed
from cffunc.config import Config
from cffunc.plan import (
    LocalFunction,
    Plan,
    RemoteDistribution,
    RemoteFunction,
    associate,
    disassociate,
    holds_render,
)
from cffunc.render import RenderedFunction

CONFLICT_RETRIES = 5
DEFAULT_TIMEOUT_SECONDS = 40 * 60
POLL_SECONDS = 15.0
Progress = Callable[[str], None]


def local_function(
    config: Config, rendered: RenderedFunction | None, kvs_arn: str | None = None
) -> LocalFunction:
    """What cffunc deploys; ``rendered`` None for commands that need no code (disable,
    destroy), so they work even where the bypass secret is not set."""
    events = (
        ("viewer-request", "viewer-response")
        if config.maintenance.mode == "rewrite"
        else ("viewer-request",)
    )
    return LocalFunction(
        name=config.function.name,
        runtime=config.function.runtime,
        comment=config.function.comment,
        code=rendered.code_bytes if rendered is not None else None,
        events=events,
        origin=config.maintenance.origin,
        kvs_arn=kvs_arn,
    )


@dataclass(frozen=True)
class Target:
    id: str
    behaviors: tuple[str, ...] | None
    label: str


def resolve_targets(client: CloudFrontClient, config: Config) -> list[Target]:
    """Distribution ids for the config's [[distributions]], aliases looked up once."""
    if not config.distributions:
        raise AwsError(f"{config.path}: no [[distributions]]; add one with id or alias")
    summaries = list(client.distributions()) if any(d.alias for d in config.distributions) else []
    targets = []
    for entry in config.distributions:
        if entry.id is not None:
            targets.append(Target(entry.id, entry.behaviors, entry.id))
            continue
        matches = [s.id for s in summaries if entry.alias in s.aliases]
        if len(matches) != 1:
            found = (
                "no distribution"
                if not matches
                else f"{len(matches)} distributions ({', '.join(matches)})"
            )
            raise AwsError(
                f"alias {entry.alias}: {found} lists it in Aliases; "
                "give the distribution id instead"
            )
        targets.append(Target(matches[0], entry.behaviors, f"{matches[0]} ({entry.alias})"))
    return targets


def read_function(client: CloudFrontClient, local: LocalFunction) -> RemoteFunction:
    """LIVE config and code; DEVELOPMENT only when LIVE differs from the local render."""
    live = client.describe_function(local.name, "LIVE")
    live_code = client.function_code(local.name, "LIVE") if live else None
    remote = RemoteFunction(
        live_etag=live.etag if live else None,
        live_runtime=live.runtime if live else None,
        live_comment=live.comment if live else None,
        live_code=live_code,
        arn=live.arn if live else None,
        live_kvs=live.kvs_arns if live else (),
    )
    if live and holds_render(local, live_code, live.runtime, live.comment, live.kvs_arns):
        return remote
    dev = client.describe_function(local.name, "DEVELOPMENT")
    if dev is None:
        return remote
    return replace(
        remote,
        dev_etag=dev.etag,
        dev_runtime=dev.runtime,
        dev_comment=dev.comment,
        dev_code=client.function_code(local.name, "DEVELOPMENT"),
        arn=dev.arn,
        dev_kvs=dev.kvs_arns,
    )


def read_distributions(
    client: CloudFrontClient, targets: Sequence[Target]
) -> list[RemoteDistribution]:
    out = []
    for target in targets:
        current = client.distribution_config(target.id)
        out.append(
            RemoteDistribution(
                target.id, current.config, current.etag, target.behaviors, target.label
            )
        )
    return out


@dataclass
class Report:
    done: list[str] = field(default_factory=list)
    touched: list[str] = field(default_factory=list)
    conflicts: int = 0

    def as_json(self) -> dict[str, Any]:
        return {
            "changed": bool(self.done),
            "done": self.done,
            "distributions": self.touched,
            "conflicts": self.conflicts,
        }


class Executor:
    """Makes the calls a plan lists, in order."""

    def __init__(self, client: CloudFrontClient, progress: Progress) -> None:
        self.client = client
        self.progress = progress

    def run(self, plan: Plan, local: LocalFunction, remote: RemoteFunction) -> Report:
        report = Report()
        arn = remote.arn
        dev_etag = remote.dev_etag
        for step in plan.function_steps:
            self.progress(step.message)
            if step.action == "create":
                dev_etag, arn = self.client.create_function(
                    local.name, local.runtime, local.comment, local.rendered, local.kvs_arn
                )
            elif step.action == "update":
                assert dev_etag is not None
                dev_etag = self.client.update_function(
                    local.name, dev_etag, local.runtime, local.comment, local.rendered,
                    local.kvs_arn,
                )  # fmt: skip
            else:
                assert dev_etag is not None
                self.client.publish_function(local.name, dev_etag)
            report.done.append(step.message)
        for distribution_step in plan.distribution_steps:
            distribution = distribution_step.distribution
            self.progress(distribution_step.message)
            edit: Callable[[dict[str, Any]], dict[str, Any]]
            if distribution_step.edit == "associate":
                if arn is None:
                    raise AwsError(f"function {local.name} has no ARN yet; publish it first")
                edit = partial(associate, local=local, arn=arn, patterns=distribution.behaviors)
            else:
                edit = partial(disassociate, name=local.name)
            report.conflicts += self._write(distribution, edit)
            report.done.append(distribution_step.message)
            report.touched.append(distribution.id)
        return report

    def _write(
        self, distribution: RemoteDistribution, edit: Callable[[dict[str, Any]], dict[str, Any]]
    ) -> int:
        """Apply ``edit`` and write; on a stale ETag read again and re-apply. Conflicts met."""
        config, etag = distribution.config, distribution.etag
        for attempt in range(CONFLICT_RETRIES + 1):
            changed = edit(config)
            if changed is config:
                return attempt  # someone else already made our change
            try:
                self.client.update_distribution(distribution.id, etag, changed)
                return attempt
            except PreconditionFailed:
                self.progress(f"{distribution.id} changed meanwhile; reading it again")
                current = self.client.distribution_config(distribution.id)
                config, etag = current.config, current.etag
        raise AwsError(
            f"{distribution.id} kept changing while cffunc wrote it "
            f"({CONFLICT_RETRIES + 1} attempts); "
            "someone else is editing it: try again when they are done"
        )


def wait_deployed(
    client: CloudFrontClient,
    ids: Sequence[str],
    timeout: float,
    progress: Progress,
    poll: float = POLL_SECONDS,
) -> None:
    """Poll until every distribution is Deployed; AwsError naming the rest on timeout."""
    deadline = client.clock() + timeout
    pending = list(dict.fromkeys(ids))
    started = client.clock()
    while True:
        pending = [i for i in pending if client.distribution_status(i) != "Deployed"]
        elapsed = client.clock() - started
        if not pending:
            progress(f"deployed after {elapsed:.0f} s")
            return
        if client.clock() >= deadline:
            raise AwsError(
                f"timed out after {timeout:.0f} s; still deploying: {', '.join(pending)} "
                "(the change is made; it reaches the edge when they finish)"
            )
        progress(f"waiting for {', '.join(pending)} to deploy ({elapsed:.0f} s)")
        client.sleep(min(poll, max(0.0, deadline - client.clock())))


@dataclass(frozen=True)
class RemoteComparison:
    name: str
    local: str
    remote: str
    error: str | None = None

    @property
    def agrees(self) -> bool:
        return self.error is None and self.local == self.remote


def _describe_output(output: Any) -> str:
    """What a viewer-request result does, in a form both sides can be compared on."""
    if not isinstance(output, dict):
        return f"invalid: {output!r}"
    if "statusCode" in output:
        return f"response {output.get('statusCode')}"
    return f"request {output.get('uri')}"


def ensure_development(client: CloudFrontClient, local: LocalFunction, progress: Progress) -> str:
    """The DEVELOPMENT ETag, after putting the local render there if it is not."""
    dev = client.describe_function(local.name, "DEVELOPMENT")
    if dev is None:
        progress(f"creating {local.name} in DEVELOPMENT to test it")
        return client.create_function(
            local.name, local.runtime, local.comment, local.rendered, local.kvs_arn
        )[0]
    if holds_render(
        local,
        client.function_code(local.name, "DEVELOPMENT"),
        dev.runtime,
        dev.comment,
        dev.kvs_arns,
    ):
        return dev.etag
    progress(
        f"updating {local.name} DEVELOPMENT to the local render to test it (LIVE is untouched)"
    )
    return client.update_function(
        local.name, dev.etag, local.runtime, local.comment, local.rendered, local.kvs_arn
    )


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
