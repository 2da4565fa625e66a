"""The deploy commands as library calls: what ``cffunc enable`` and the others do, start to end.

Each entry point reads and plans (through the config's toggle), hands every plan to the
deployment's one executor, waits when asked, and returns an :class:`Outcome`. A command
that stops after its first write (a failure, a signal, a ``--wait`` that timed out) raises
:class:`~cffunc.deploy.apply.Incomplete` holding the executor's record of every write it
made, the state read again, and the commands that undo or finish it: worded once, in
:func:`next_commands`. The CLI only prints.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

from cffunc.config.load import Toggle
from cffunc.deploy.apply import Incomplete, Report
from cffunc.deploy.functions import compare_scenarios, plan_destroy, plan_publishing
from cffunc.deploy.interrupts import Interrupted
from cffunc.deploy.plan import Plan
from cffunc.deploy.remote_test import RemoteComparison
from cffunc.deploy.toggles import (
    Deployment,
    EnableRequest,
    MaintenanceToggle,
    Preview,
    toggle_for,
)
from cffunc.errors import CffuncError, UsageError
from cffunc.function.store_layout import parse_cidrs
from cffunc.runtime.local_run import ScenarioRun
from cffunc.runtime.local_test import TestRequest, run_test


@dataclass(frozen=True)
class Outcome:
    """What a write command did: the plan it carried out and the executor's record."""

    toggle: Toggle
    plan: Plan
    report: Report
    nothing: str
    """Said when nothing was written."""
    notes: tuple[str, ...] = ()
    comparisons: tuple[RemoteComparison, ...] = ()
    """publish --test: TestFunction's answers against the local runtime's."""

    @property
    def refused(self) -> bool:
        """TestFunction disagreed with the local runtime, so nothing was published."""
        return not all(c.agrees for c in self.comparisons)


@dataclass(frozen=True)
class DisableRequest:
    hosts: tuple[str, ...] = ()
    """End only these hosts' scopes (store toggle); none: every scope."""
    tenants: tuple[str, ...] = ()
    """End only these distribution tenants' scopes (ids or domains; store toggle)."""
    wait: float | None = None
    """Wait this many seconds for the distributions to deploy; None: do not wait."""


@dataclass(frozen=True)
class AllowRequest:
    cidrs: tuple[str, ...]
    add: bool
    """Add the networks to the store (else remove them)."""


UNDO = {
    "enable": "cffunc disable",
    "disable": "cffunc enable",
    "install": "cffunc uninstall",
    "uninstall": "cffunc install",
    "publish": "none (LIVE had other code before)",
    "test --remote": "none needed (only DEVELOPMENT was written; LIVE is untouched)",
    "allow add": "cffunc allow remove",
    "allow remove": "cffunc allow add",
}


def next_commands(
    command: str, toggle: MaintenanceToggle, arguments: str = "", wait: bool = False
) -> tuple[str, str]:
    """(undo, again): what undoes a stopped run of ``cffunc COMMAND ARGUMENTS`` and what
    finishes it; the one place these are worded."""
    if command == "destroy":
        undo = f"`{toggle.setup}` creates the functions again"
    else:
        undo = UNDO[command.replace(" --test", "")] + (f" {arguments}" if arguments else "")
    again = f"cffunc {command}" + (f" {arguments}" if arguments else "") + (" --wait" * wait)
    return undo, again


@contextmanager
def _stops(
    deployment: Deployment,
    toggle: MaintenanceToggle,
    command: str,
    arguments: str = "",
    wait: bool = False,
) -> Iterator[None]:
    """Whatever stops the command once the executor has written (an error, a signal, a
    wait that timed out, in any of its plans or between them) becomes Incomplete with the
    record of every write, the state read again and the commands to run next."""
    try:
        yield
    except (Exception, Interrupted) as cause:
        report = deployment.executor.report
        if not report.writes:
            raise
        stop = cause if isinstance(cause, Incomplete) else Incomplete(report, cause)
        stop.report = report
        stop.undo, stop.again = next_commands(command, toggle, arguments, wait)
        stop.state = state_now(toggle)
        raise stop from None


def state_now(toggle: MaintenanceToggle) -> dict[str, Any] | str:
    """The state a stopped run left, read again, or why it could not be read."""
    try:
        return toggle.status()
    except CffuncError as error:
        return f"reading it failed: {error}"
    except Interrupted as again:
        return f"reading it was interrupted ({again})"


def _switch(
    deployment: Deployment,
    toggle: MaintenanceToggle,
    plan: Plan,
    nothing: str,
    wait: float | None,
) -> Outcome:
    """Carry a plan out (nothing when it is empty), then wait if asked."""
    if not plan.empty:
        deployment.apply(plan)
    if wait is not None:
        deployment.wait(wait, planned=not plan.empty)
    return Outcome(toggle.kind, plan, deployment.executor.report, nothing, plan.notes)


def enable(deployment: Deployment, request: EnableRequest) -> Outcome:
    toggle = toggle_for(deployment)
    with _stops(deployment, toggle, "enable", wait=request.wait is not None):
        plan = toggle.plan_enable(request)
        return _switch(deployment, toggle, plan, "already enabled", request.wait)


def disable(deployment: Deployment, request: DisableRequest) -> Outcome:
    toggle = toggle_for(deployment)
    with _stops(deployment, toggle, "disable", wait=request.wait is not None):
        plan = toggle.plan_disable(request.hosts, request.tenants)
        return _switch(deployment, toggle, plan, "already disabled", request.wait)


def install(deployment: Deployment, wait: float | None = None) -> Outcome:
    toggle = toggle_for(deployment)
    with _stops(deployment, toggle, "install", wait=wait is not None):
        return _switch(deployment, toggle, toggle.plan_install(), "already installed", wait)


def uninstall(deployment: Deployment, timeout: float) -> Outcome:
    """Reverse ``install``: remove the associations, wait until every target distribution
    is Deployed (on a re-run too: an earlier run's change may still be deploying, and a
    deploying config may still use the function), then delete what install created."""
    toggle = toggle_for(deployment)
    with _stops(deployment, toggle, "uninstall"):
        detach = toggle.plan_uninstall()
        if not detach.empty:
            deployment.apply(detach)
        deployment.wait(timeout, planned=False)
        removal = toggle.plan_removal()
        if not removal.empty:
            deployment.apply(removal)
        return Outcome(toggle.kind, removal, deployment.executor.report, "nothing installed")


def allow(deployment: Deployment, request: AllowRequest) -> Outcome:
    networks = parse_cidrs(request.cidrs)  # every CIDR checked before any call
    toggle = toggle_for(deployment)
    listed = " ".join(str(n) for n in networks)
    command = "allow add" if request.add else "allow remove"
    with _stops(deployment, toggle, command, listed):
        plan = toggle.plan_allow(networks, request.add)
        nothing = f"nothing to change ({', '.join(str(n) for n in networks)})"
        return _switch(deployment, toggle, plan, nothing, None)


def allowed(deployment: Deployment) -> list[str]:
    return toggle_for(deployment).allowed()


def preview(deployment: Deployment) -> tuple[Toggle, Preview]:
    """What ``enable`` (or, not installed yet, ``install``) would do; read-only."""
    toggle = toggle_for(deployment)
    return toggle.kind, toggle.preview()


def status(deployment: Deployment) -> dict[str, Any]:
    return toggle_for(deployment).status()


def publish(deployment: Deployment, test: bool = False) -> Outcome:
    """Create or update the function and publish it to LIVE; nothing when LIVE holds the
    render. ``test``: first compare TestFunction with the local runtime on the scenarios,
    and publish only if every event agrees."""
    toggle = toggle_for(deployment)
    name = deployment.config.function.name
    nothing = f"{name}: LIVE already holds this code; nothing to publish"
    with _stops(deployment, toggle, "publish --test" if test else "publish"):
        plan = plan_publishing(deployment, toggle)
        comparisons: tuple[RemoteComparison, ...] = ()
        if not plan.empty and test:
            comparisons = tuple(compare_scenarios(deployment, toggle, "publish --test"))
            if not all(c.agrees for c in comparisons):
                return Outcome(
                    toggle.kind, plan, deployment.executor.report, nothing, (), comparisons
                )
            # The comparison may have put the render on DEVELOPMENT: plan from what is there.
            plan = plan_publishing(deployment, toggle)
        outcome = _switch(deployment, toggle, plan, nothing, None)
        return Outcome(outcome.toggle, plan, outcome.report, nothing, outcome.notes, comparisons)


def destroy(deployment: Deployment) -> Outcome:
    """Delete the function once no distribution uses it, and the compositions of it that
    nothing uses; never the functions they were composed with."""
    toggle = toggle_for(deployment)
    name = deployment.config.function.name
    with _stops(deployment, toggle, "destroy"):
        plan = plan_destroy(deployment, toggle)
        return _switch(
            deployment, toggle, plan, f"{name}: no such function; nothing to delete", None
        )


def remote_test(deployment: Deployment, request: TestRequest) -> ScenarioRun:
    """``cffunc test --remote``: the scenarios in the local runtime, and the config's
    scenarios through CloudFront's TestFunction beside them (the local render put on
    DEVELOPMENT first if it is not there; LIVE is untouched)."""
    run = run_test(replace(request, remote=True))
    if not isinstance(run, ScenarioRun):
        raise UsageError("--remote compares the config's scenarios; drop the event options")
    toggle = toggle_for(deployment)
    with _stops(deployment, toggle, "test --remote"):
        return replace(run, remote=compare_scenarios(deployment, toggle, "test --remote"))
