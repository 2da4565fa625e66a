"""The commands that read or write the AWS account: publish, plan, enable, disable,
status, install, uninstall, allow, destroy, and iam-policy (the permissions they need)."""

from __future__ import annotations

import json

import click

from cffunc.cli import output
from cffunc.cli.options import (
    Settings,
    aws_options,
    command_options,
    fleet_options,
    json_option,
    wait_options,
)
from cffunc.cli.output import echo_err, emit
from cffunc.deploy import operations
from cffunc.deploy.apply import DEFAULT_TIMEOUT_SECONDS
from cffunc.deploy.iam import iam_policy
from cffunc.deploy.operations import AllowRequest, DisableRequest, Outcome
from cffunc.deploy.toggles import EnableRequest
from cffunc.errors import CffuncError


def _done(outcome: Outcome, as_json: bool) -> None:
    for note in outcome.notes:
        echo_err(f"note: {note}")
    emit(as_json, output.outcome_json(outcome), output.outcome(outcome, output.steps()))


@click.command("publish")
@click.option(
    "--test",
    "run_tests",
    is_flag=True,
    help="Before publishing, run the scenario events through TestFunction on DEVELOPMENT "
    "and publish only if CloudFront agrees with the local runtime.",
)
@json_option
@aws_options
@command_options
def publish_command(settings: Settings, run_tests: bool, as_json: bool) -> None:
    """Create or update the function and publish it to LIVE.

    Nothing is written when the LIVE code and config already equal the local
    render. Associated distributions pick the new LIVE code up as they deploy.
    Compositions already on the selected behaviors are composed again and
    published too (they hold a copy of the code).

    \b
    Example:
      cffunc publish --test
    """
    outcome = operations.publish(settings.deployment(), run_tests)
    if outcome.comparisons:
        echo_err(output.comparisons(list(outcome.comparisons)))
    if outcome.refused:
        raise CffuncError(
            "CloudFront's TestFunction disagrees with the local runtime; not published"
        )
    _done(outcome, as_json)


@click.command("plan")
@json_option
@fleet_options
@aws_options
@command_options
def plan_command(settings: Settings, as_json: bool) -> None:
    """Show what `enable` would change; change nothing (read-only calls only).

    Says which toggle the config uses. toggle = "kvs": what `install` would do
    if the function is not installed yet, else the store write `enable` makes.

    \b
    Example:
      cffunc plan --json
    """
    kind, shown = operations.preview(settings.deployment())
    emit(as_json, output.preview_json(shown, kind), output.preview(shown))


@click.command("enable")
@wait_options
@json_option
@click.option(
    "--until",
    help='toggle = "kvs": end maintenance by itself at this RFC 3339 time or after a '
    "duration (90m, 2h, 1d).",
)
@click.option("--reason", help='toggle = "kvs": the message JSON and text answers give.')
@click.option(
    "--host",
    "hosts",
    multiple=True,
    metavar="HOST",
    help='toggle = "kvs": only requests for this host (exact, or *.example.com); '
    "repeat for several hosts, one scope each.",
)
@click.option(
    "--tenant",
    "tenants",
    multiple=True,
    metavar="ID|DOMAIN",
    help='toggle = "kvs" with tenant_scopes: only requests through this tenant of a '
    "multi-tenant distribution, given by its id or one of its domains (looked up before "
    "anything is written); repeat for several, one scope each.",
)
@click.option(
    "--path",
    "paths",
    multiple=True,
    metavar="PATTERN",
    help='toggle = "kvs": only these path patterns (repeatable), e.g. "/checkout/*".',
)
@click.option(
    "--read-only",
    is_flag=True,
    help='toggle = "kvs": only writes are in maintenance; GET, HEAD and OPTIONS pass.',
)
@click.option(
    "--at",
    "at",
    metavar="TIME",
    help='toggle = "kvs": start maintenance by itself at this RFC 3339 time or after a '
    "duration (30m, 2h); a duration in --until then counts from it.",
)
@fleet_options
@aws_options
@command_options
def enable_command(
    settings: Settings,
    wait: bool,
    timeout: float,
    as_json: bool,
    until: str | None,
    reason: str | None,
    hosts: tuple[str, ...],
    tenants: tuple[str, ...],
    paths: tuple[str, ...],
    read_only: bool,
    at: str | None,
) -> None:
    """Turn maintenance on.

    toggle = "association": publish if needed, associate with the selected
    behaviors (viewer-request, plus viewer-response in rewrite mode), composing
    with a CloudFront Function already on a slot (a function of its own that
    runs both). Refuses (exit 1, nothing written) when a behavior runs a
    Lambda@Edge viewer function, when a composition cannot be made, or when
    maintenance.origin is not an origin of the distribution. toggle = "kvs":
    write "on" to the KeyValueStore (one
    conditional write; the distribution is not touched) after checking that
    `cffunc install` is in place; with --host, --tenant, --path or --read-only,
    add or replace a scope instead (other scopes stay); with --at, the scope
    starts by itself at that time (`status` shows it as scheduled, `disable`
    cancels it). --wait returns once the write is acknowledged. Already enabled:
    exit 0, no write.

    \b
    Examples:
      cffunc enable --wait --timeout 1800
      cffunc enable --until 2h --reason "Upgrading the database"
      cffunc enable --read-only --until 30m --reason "Migrating; reads work"
      cffunc enable --host shop.example.com --path "/checkout/*"
      cffunc enable --tenant acme.saas.example.com --until 1h
      cffunc enable --at 2026-12-01T02:00:00Z --until 2h
    """
    request = EnableRequest(
        until, reason, hosts, paths, read_only, at, tenants, timeout if wait else None
    )
    _done(operations.enable(settings.deployment(), request), as_json)


@click.command("disable")
@wait_options
@json_option
@click.option(
    "--host",
    "hosts",
    multiple=True,
    metavar="HOST",
    help='toggle = "kvs": end only the scope of this host (repeatable).',
)
@click.option(
    "--tenant",
    "tenants",
    multiple=True,
    metavar="ID|DOMAIN",
    help='toggle = "kvs": end only the scope of this distribution tenant, by id or one of '
    "its domains (repeatable).",
)
@fleet_options
@aws_options
@command_options
def disable_command(
    settings: Settings,
    wait: bool,
    timeout: float,
    as_json: bool,
    hosts: tuple[str, ...],
    tenants: tuple[str, ...],
) -> None:
    """Turn maintenance off.

    toggle = "association": remove exactly the associations cffunc added, and
    put back the function each composition was made from; every other
    association and field stays as it was. toggle = "kvs": write "off" to
    the KeyValueStore, ending every scope (the function stays associated) and
    cancelling any scheduled with `enable --at`; with --host or --tenant, end or
    cancel only that host's or tenant's scope. Needs no bypass secret.

    \b
    Examples:
      cffunc disable --wait
      cffunc disable --host shop.example.com
      cffunc disable --tenant acme.saas.example.com
    """
    request = DisableRequest(hosts, tenants, timeout if wait else None)
    _done(operations.disable(settings.deployment(), request), as_json)


@click.command("status")
@json_option
@fleet_options
@aws_options
@command_options
def status_command(settings: Settings, as_json: bool) -> None:
    """Show the function's stages, each behavior's associations and deploy state.

    Says whether LIVE holds the local render, and whether maintenance is on,
    off or partial on each distribution. Lists each composition with the
    function it was made from, and says when that function's LIVE code changed
    since (enable or install composes again).

    \b
    Example:
      cffunc status --json
    """
    document = operations.status(settings.deployment())
    emit(as_json, document, output.status(document))


@click.command("install")
@wait_options
@json_option
@fleet_options
@aws_options
@command_options
def install_command(settings: Settings, wait: bool, timeout: float, as_json: bool) -> None:
    """toggle = "kvs": set up the KeyValueStore switch, with maintenance off.

    Creates the store if missing (and its state key, saying off), associates it
    with the function, publishes, and associates the function with the
    selected behaviors for good. Afterwards enable/disable write only the
    store. Refuses, writing nothing, where enable would. Run it again after a
    config change to publish the new code.

    \b
    Example:
      cffunc install --wait && cffunc status
    """
    _done(operations.install(settings.deployment(), timeout if wait else None), as_json)


@click.command("uninstall")
@click.option(
    "--timeout",
    type=float,
    default=DEFAULT_TIMEOUT_SECONDS,
    show_default=True,
    help="Seconds to wait for the distributions to deploy before deleting the function.",
)
@json_option
@fleet_options
@aws_options
@command_options
def uninstall_command(settings: Settings, timeout: float, as_json: bool) -> None:
    """toggle = "kvs": reverse `install` exactly.

    Removes the function's associations (waiting until the distributions are
    Deployed), deletes the function, and deletes the store if `install` created
    it; a store that existed before keeps everything but cffunc's keys.

    \b
    Example:
      cffunc uninstall
    """
    _done(operations.uninstall(settings.deployment(), timeout), as_json)


@click.group("allow")
def allow_group() -> None:
    """toggle = "kvs": networks allowed through, kept in the store (no republish).

    A request reads one key at most: its network's bucket (the first octet of
    an IPv4 address, the first 32 bits of an IPv6 one). A bucket holds at least
    53 IPv4 or 23 IPv6 networks; networks wider than /8 (IPv4) or /32 (IPv6)
    belong in [allow] ips.
    """


@allow_group.command("add")
@click.argument("cidrs", nargs=-1, required=True)
@json_option
@aws_options
@command_options
def allow_add_command(settings: Settings, cidrs: tuple[str, ...], as_json: bool) -> None:
    """Allow networks through during maintenance (CIDR or single address).

    \b
    Example:
      cffunc allow add 198.51.100.0/24 2001:db8:1::/48
    """
    _done(operations.allow(settings.deployment(), AllowRequest(cidrs, add=True)), as_json)


@allow_group.command("remove")
@click.argument("cidrs", nargs=-1, required=True)
@json_option
@aws_options
@command_options
def allow_remove_command(settings: Settings, cidrs: tuple[str, ...], as_json: bool) -> None:
    """Remove networks added with `allow add`.

    \b
    Example:
      cffunc allow remove 198.51.100.0/24
    """
    _done(operations.allow(settings.deployment(), AllowRequest(cidrs, add=False)), as_json)


@allow_group.command("list")
@json_option
@aws_options
@command_options
def allow_list_command(settings: Settings, as_json: bool) -> None:
    """List the networks `allow add` put in the store.

    \b
    Example:
      cffunc allow list --json
    """
    networks = operations.allowed(settings.deployment())
    emit(as_json, {"networks": networks}, "\n".join(networks) or "no networks in the store")


@click.command("destroy")
@json_option
@aws_options
@command_options
def destroy_command(settings: Settings, as_json: bool) -> None:
    """Delete the function once no distribution uses it.

    Also deletes the compositions of it that nothing uses; never the functions
    they were composed with.

    \b
    Example:
      cffunc disable --wait && cffunc destroy
    """
    _done(operations.destroy(settings.deployment()), as_json)


@click.command("iam-policy")
@command_options
def iam_policy_command(settings: Settings) -> None:
    """Print the least-privilege IAM policy the deploy commands need.

    \b
    Example:
      cffunc iam-policy > cffunc-policy.json
    """
    click.echo(json.dumps(iam_policy(settings.config()), indent=2))
