"""Read what the account has, for the planner: targets, the function's stages, configs.

Reads only (Describe/Get/List calls) through :class:`~cffunc.deploy.awsclient.CloudFrontClient`.
Every read and every check happens before the first write, so a refusal or a bad target
leaves AWS untouched.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from cffunc.config.load import Config, Runtime
from cffunc.deploy.awsclient import AwsError, CloudFrontClient
from cffunc.deploy.parallel import DEFAULT_CONCURRENCY, map_all
from cffunc.deploy.plan import (
    LocalFunction,
    RemoteDistribution,
    RemoteFunction,
    decode_record,
    function_name,
    holds_render,
    sibling_arn,
)
from cffunc.deploy.select import Target, select
from cffunc.function.compose import V2, ForeignFunction, foreign_of
from cffunc.function.render import RenderedFunction


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
        compose=config.maintenance.compose,
        tenants=config.maintenance.reads_tenants,
    )


def resolve_targets(
    client: CloudFrontClient,
    config: Config,
    only: Sequence[str] = (),
    concurrency: int = DEFAULT_CONCURRENCY,
) -> list[Target]:
    """The distributions the config's [[distributions]] select (:mod:`.select`), each
    once; an entry that matches none is an error (write commands)."""
    return list(select(client, config, only, concurrency).targets)


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


def read_development(client: CloudFrontClient, local: LocalFunction) -> RemoteFunction:
    """DEVELOPMENT's config and code only: what TestFunction runs."""
    dev = client.describe_function(local.name, "DEVELOPMENT")
    if dev is None:
        return RemoteFunction()
    return RemoteFunction(
        dev_etag=dev.etag,
        dev_runtime=dev.runtime,
        dev_comment=dev.comment,
        dev_code=client.function_code(local.name, "DEVELOPMENT"),
        arn=dev.arn,
        dev_kvs=dev.kvs_arns,
    )


def read_foreign(client: CloudFrontClient, arn: str) -> ForeignFunction:
    """The LIVE stage of a foreign function on a slot: what a composition is made from."""
    name = function_name(arn)
    live = client.describe_function(name, "LIVE")
    code = client.function_code(name, "LIVE") if live else None
    if live is None or code is None:
        raise AwsError(
            f"{arn} is on a slot cffunc needs, but this account has no LIVE function {name} "
            "to compose with (a function of another account?); leave that behavior out"
        )
    runtime: Runtime = "cloudfront-js-1.0" if live.runtime == "cloudfront-js-1.0" else V2
    return ForeignFunction(name, runtime, code.decode("utf-8", errors="replace"), live.kvs_arns)


def read_restore(client: CloudFrontClient, composed_arns: Sequence[str]) -> dict[str, str]:
    """Composed ARN -> the foreign ARN it was made from, read from each composition's
    comment (which survives the machine that ran enable); unknown ones are left out."""
    out = {}
    for arn in composed_arns:
        name = function_name(arn)
        stage = client.describe_function(name, "LIVE") or client.describe_function(
            name, "DEVELOPMENT"
        )
        found = foreign_of(stage.comment if stage else None)
        if found is not None:
            out[arn] = sibling_arn(arn, found[0])
    return out


def read_distributions(
    client: CloudFrontClient,
    targets: Sequence[Target],
    name: str = "",
    concurrency: int = DEFAULT_CONCURRENCY,
) -> list[RemoteDistribution]:
    """Each target's config, ARN, deploy status and cffunc's record of what an enable
    added there (the tags of the function ``name``), a few distributions at a time; what
    the selection already read (ARN and status from the listing, tags) is not read again."""

    def read(target: Target) -> RemoteDistribution:
        current = client.distribution_config(target.id)
        arn, status = target.arn, target.status
        if not arn or not status:
            arn, status = client.distribution_state(target.id)
        tags = dict(target.tags) if target.tags is not None else None
        if name and tags is None:
            tags = client.tags(arn)
        record = decode_record(name, tags or {}) if name else None
        return RemoteDistribution(
            target.id, current.config, current.etag, target.behaviors, target.label,
            arn, record, status, target.tenants,
        )  # fmt: skip

    return map_all(targets, read, concurrency)
