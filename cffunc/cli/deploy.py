"""The commands that read or write the AWS account: publish, plan, enable, disable,
status, install, uninstall, allow, destroy, and iam-policy (the permissions they need)."""

from __future__ import annotations

import json

import click

from cffunc.cli import output
from cffunc.cli.errors import stopped
from cffunc.cli.options import (
    Settings,
    command_options,
    fleet_options,
    json_option,
    wait_options,
)
from cffunc.cli.output import echo_err, emit
from cffunc.deploy import interrupts
from cffunc.deploy.apply import DEFAULT_TIMEOUT_SECONDS, Incomplete
from cffunc.deploy.functions import destroy, publish
from cffunc.deploy.iam import iam_policy
from cffunc.deploy.plan import Plan
from cffunc.deploy.toggles import Deployment, EnableRequest, MaintenanceToggle
from cffunc.errors import CffuncError
from cffunc.function.store_layout import parse_cidrs


def carry_out(
    deployment: Deployment,
    toggle: MaintenanceToggle,
    plan: Plan,
    as_json: bool,
    nothing: str,
    undo: str,
    again: str,
    wait: bool = False,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
) -> None:
    """Apply a plan (nothing when it is empty), wait if asked, print what was done; a run
    stopped after a write says so, with the state and the undo command."""
    report = None
    again += " --wait" if wait else ""
    for note in plan.notes:
        echo_err(f"note: {note}")
    try:
        report = deployment.apply(plan) if not plan.empty else None
        if wait and report is not None:
            deployment.wait(report, timeout)
        elif wait:
            # Nothing to write, but an earlier run's change may still be deploying.
            deployment.wait_targets(timeout)
    except Incomplete as stop:
        raise stopped(toggle, stop, undo, again) from None
    except (interrupts.Interrupted, CffuncError) as cause:
        if report is None:
            raise
        # The writes are made; the wait for the deployment was stopped or timed out.
        raise stopped(toggle, Incomplete(report, cause), undo, again) from None
    emit(as_json, output.done_json(toggle.kind, plan, report), output.done(report, nothing))


@click.command("publish")
@click.option(
    "--test",
    "run_tests",
    is_flag=True,
    help="Before publishing, run the scenario events through TestFunction on DEVELOPMENT "
    "and publish only if CloudFront agrees with the local runtime.",
)
@json_option
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
    deployment, toggle = settings.toggle()
    try:
        published = publish(deployment, toggle, run_tests)
    except Incomplete as stop:
        raise stopped(toggle, stop, "none (LIVE had other code before)", "cffunc publish") from None
    if published.comparisons:
        echo_err(output.comparisons(published.comparisons))
    if published.refused:
        raise CffuncError(
            "CloudFront's TestFunction disagrees with the local runtime; not published"
        )
    name = deployment.config.function.name
    emit(
        as_json,
        output.done_json(toggle.kind, published.plan, published.report),
        output.done(
            published.report,
            f"{name}: LIVE already holds this code; nothing to publish",
        ),
    )


@click.command("plan")
@json_option
@fleet_options
@command_options
def plan_command(settings: Settings, as_json: bool) -> None:
    """Show what `enable` would change; change nothing (read-only calls only).

    Says which toggle the config uses. toggle = "kvs": what `install` would do
    if the function is not installed yet, else the store write `enable` makes.

    \b
    Example:
      cffunc plan --json
    """
    _, toggle = settings.toggle()
    shown = toggle.preview()
    emit(as_json, output.preview_json(shown, toggle.kind), output.preview(shown))


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
    deployment, toggle = settings.toggle()
    plan = toggle.plan_enable(EnableRequest(until, reason, hosts, paths, read_only, at, tenants))
    carry_out(
        deployment, toggle, plan, as_json, "already enabled", "cffunc disable", "cffunc enable",
        wait, timeout,
    )  # fmt: skip


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
    deployment, toggle = settings.toggle()
    carry_out(
        deployment, toggle, toggle.plan_disable(hosts, tenants), as_json, "already disabled",
        "cffunc enable", "cffunc disable", wait, timeout,
    )  # fmt: skip


@click.command("status")
@json_option
@fleet_options
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
    _, toggle = settings.toggle()
    document = toggle.status()
    emit(as_json, document, output.status(document))


@click.command("install")
@wait_options
@json_option
@fleet_options
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
    deployment, toggle = settings.toggle()
    plan = toggle.plan_install()
    carry_out(
        deployment, toggle, plan, as_json, "already installed", "cffunc uninstall",
        "cffunc install", wait, timeout,
    )  # fmt: skip


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
    _, toggle = settings.toggle()
    try:
        report = toggle.uninstall(timeout)
    except Incomplete as stop:
        raise stopped(toggle, stop, "cffunc install", "cffunc uninstall") from None
    document = {"toggle": toggle.kind, "report": report.as_json()}
    emit(as_json, document, output.done(report, "nothing installed"))


@click.group("allow")
def allow_group() -> None:
    """toggle = "kvs": networks allowed through, kept in the store (no republish).

    A request reads one key at most: its network's bucket (the first octet of
    an IPv4 address, the first 32 bits of an IPv6 one). A bucket holds at least
    53 IPv4 or 23 IPv6 networks; networks wider than /8 (IPv4) or /32 (IPv6)
    belong in [allow] ips.
    """


def _allow(settings: Settings, cidrs: tuple[str, ...], add: bool, as_json: bool) -> None:
    networks = parse_cidrs(cidrs)  # every CIDR checked before any call
    deployment, toggle = settings.toggle()
    plan = toggle.plan_allow(networks, add)
    listed = " ".join(str(n) for n in networks)
    nothing = f"nothing to change ({', '.join(str(n) for n in networks)})"
    undo = f"cffunc allow {'remove' if add else 'add'} {listed}"
    again = f"cffunc allow {'add' if add else 'remove'} {listed}"
    carry_out(deployment, toggle, plan, as_json, nothing, undo, again)


@allow_group.command("add")
@click.argument("cidrs", nargs=-1, required=True)
@json_option
@command_options
def allow_add_command(settings: Settings, cidrs: tuple[str, ...], as_json: bool) -> None:
    """Allow networks through during maintenance (CIDR or single address).

    \b
    Example:
      cffunc allow add 198.51.100.0/24 2001:db8:1::/48
    """
    _allow(settings, cidrs, True, as_json)


@allow_group.command("remove")
@click.argument("cidrs", nargs=-1, required=True)
@json_option
@command_options
def allow_remove_command(settings: Settings, cidrs: tuple[str, ...], as_json: bool) -> None:
    """Remove networks added with `allow add`.

    \b
    Example:
      cffunc allow remove 198.51.100.0/24
    """
    _allow(settings, cidrs, False, as_json)


@allow_group.command("list")
@json_option
@command_options
def allow_list_command(settings: Settings, as_json: bool) -> None:
    """List the networks `allow add` put in the store.

    \b
    Example:
      cffunc allow list --json
    """
    _, toggle = settings.toggle()
    networks = toggle.allowed()
    emit(as_json, {"networks": networks}, "\n".join(networks) or "no networks in the store")


@click.command("destroy")
@command_options
def destroy_command(settings: Settings) -> None:
    """Delete the function once no distribution uses it.

    Also deletes the compositions of it that nothing uses; never the functions
    they were composed with.

    \b
    Example:
      cffunc disable --wait && cffunc destroy
    """
    deployment, toggle = settings.toggle()
    name = deployment.config.function.name
    try:
        deleted = destroy(deployment, toggle)
    except Incomplete as stop:
        raise stopped(
            toggle, stop, f"`{toggle.setup}` creates the functions again", "cffunc destroy",
        ) from None  # fmt: skip
    click.echo(
        "\n".join(f"deleted function {n}" for n in deleted)
        or f"{name}: no such function; nothing to delete"
    )


@click.command("iam-policy")
@command_options
def iam_policy_command(settings: Settings) -> None:
    """Print the least-privilege IAM policy the deploy commands need.

    \b
    Example:
      cffunc iam-policy > cffunc-policy.json
    """
    click.echo(json.dumps(iam_policy(settings.config()), indent=2))
