"""The function's life beside the toggles: ``publish`` (optionally proven by TestFunction
first) and ``destroy``. Library calls the CLI and tests make in-process."""

from __future__ import annotations

from dataclasses import dataclass, replace

from cffunc.deploy.apply import Incomplete, Report
from cffunc.deploy.awsclient import FunctionInUse
from cffunc.deploy.interrupts import Interrupted, one_write
from cffunc.deploy.plan import Plan, plan_publish
from cffunc.deploy.reads import read_function
from cffunc.deploy.remote_test import RemoteComparison, remote_comparisons
from cffunc.deploy.select import select
from cffunc.deploy.toggles import Deployment, MaintenanceToggle
from cffunc.errors import CffuncError
from cffunc.function.compose import foreign_of
from cffunc.function.rules import compile_rules
from cffunc.runtime.scenarios import load_scenarios


@dataclass(frozen=True)
class Published:
    plan: Plan
    report: Report | None
    """None when nothing was written (LIVE already held the render)."""
    comparisons: list[RemoteComparison]
    """With ``test``: TestFunction's answers against the local runtime's."""

    @property
    def refused(self) -> bool:
        """TestFunction disagreed with the local runtime, so nothing was published."""
        return not all(c.agrees for c in self.comparisons)


def compare_scenarios(
    deployment: Deployment, toggle: MaintenanceToggle, command: str
) -> list[RemoteComparison]:
    """The config's scenarios through TestFunction (DEVELOPMENT) and the local runtime."""
    config = deployment.config
    if config.test.scenarios is None:
        raise CffuncError(f"{command} needs scenarios: set [test] scenarios in the config")
    local = toggle.deployed_function(command)
    return remote_comparisons(
        deployment.client,
        local,
        compile_rules(config, deployment.env),
        load_scenarios(config.test.scenarios),
        deployment.env.get(config.allow.bypass_secret_env or ""),
        deployment.now(),
        deployment.progress,
    )


def publish(deployment: Deployment, toggle: MaintenanceToggle, test: bool) -> Published:
    """Create or update the function and publish it to LIVE; nothing when LIVE holds the
    render. ``test``: first compare TestFunction with the local runtime on the scenarios,
    and publish only if every event agrees."""
    local = toggle.deployed_function("publish")
    plan = _with_compositions(
        deployment, plan_publish(local, read_function(deployment.client, local))
    )
    comparisons: list[RemoteComparison] = []
    if plan.empty:
        return Published(plan, None, comparisons)
    if test:
        comparisons = compare_scenarios(deployment, toggle, "publish --test")
        if not all(c.agrees for c in comparisons):
            return Published(plan, None, comparisons)
        # The comparison may have put the render on DEVELOPMENT: plan from what is there now.
        plan = _with_compositions(
            deployment, plan_publish(local, read_function(deployment.client, local))
        )
    return Published(plan, deployment.apply(plan) if not plan.empty else None, comparisons)


def _with_compositions(deployment: Deployment, plan: Plan) -> Plan:
    """The compositions already on the selected slots hold a copy of cffunc's code:
    publish updates them too (composing anew with the other function's LIVE code)."""
    assert plan.local is not None
    if not plan.local.compose or not deployment.config.distributions:
        return plan
    distributions = deployment.distributions()
    compositions = deployment.compositions(
        plan.local, distributions, plan.local.kvs_arn, present_only=True
    )
    return replace(plan, compositions=tuple(compositions))


def destroy(deployment: Deployment, toggle: MaintenanceToggle) -> list[str]:
    """Delete the function once no distribution uses it, and every composition of it
    that nothing uses (never the functions they were composed with). The names deleted.
    Refused while a target distribution is still deploying: its config may still use
    the function."""
    client, name = deployment.client, deployment.config.function.name
    # A fleet entry that matches nothing is no reason to keep the function.
    selected = (
        select(client, deployment.config, strict=False) if deployment.config.distributions else None
    )
    targets = selected.targets if selected is not None else ()
    deploying = [t.label for t in targets if client.distribution_status(t.id) != "Deployed"]
    if deploying:
        raise CffuncError(
            f"{', '.join(deploying)} still deploying, and may still use {name}: run "
            f"`cffunc destroy` again once Deployed (`{toggle.undo_install} --wait` waits)"
        )
    deleted: list[str] = []
    try:
        for composition in deployment.compositions_of(name):
            stage = client.describe_function(composition, "DEVELOPMENT")
            if stage is None or foreign_of(stage.comment) is None:
                continue  # not made by cffunc: a name that only looks like one
            try:
                with one_write():
                    client.delete_function(composition, stage.etag)
                deleted.append(composition)
            except FunctionInUse:
                deployment.progress(f"{composition} is still associated; kept")
        dev = client.describe_function(name, "DEVELOPMENT")
        if dev is None:
            return deleted
        try:
            with one_write():
                client.delete_function(name, dev.etag)
        except FunctionInUse:
            raise CffuncError(
                f"{name} is still associated with a distribution; run `{toggle.undo_install}` "
                "(and remove it from any other distribution) first"
            ) from None
    except (Exception, Interrupted) as cause:
        if deleted:
            raise Incomplete(Report([f"delete function {n}" for n in deleted]), cause) from None
        raise
    return [*deleted, name]
