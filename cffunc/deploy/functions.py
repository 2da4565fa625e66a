"""The function's life beside the toggles: what ``publish`` and ``destroy`` plan, and the
scenarios compared with TestFunction (``publish --test``, ``test --remote``).

Reads and planning only: :mod:`cffunc.deploy.operations` hands the plans to the executor.
"""

from __future__ import annotations

from dataclasses import replace

from cffunc.deploy.plan import DeleteStep, Plan, plan_publish
from cffunc.deploy.reads import read_function
from cffunc.deploy.remote_test import RemoteComparison, remote_comparisons
from cffunc.deploy.select import select
from cffunc.deploy.toggles import Deployment, MaintenanceToggle
from cffunc.errors import CffuncError
from cffunc.function.compose import foreign_of
from cffunc.function.rules import compile_rules
from cffunc.runtime.scenarios import load_scenarios


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
        deployment.apply,
    )


def plan_publishing(deployment: Deployment, toggle: MaintenanceToggle) -> Plan:
    """Create or update the function and publish it to LIVE (nothing when LIVE holds the
    render), with the compositions already on the selected slots: they hold a copy of
    cffunc's code, so publish updates them too (composed anew with the other function's
    LIVE code)."""
    local = toggle.deployed_function("publish")
    plan = plan_publish(local, read_function(deployment.client, local))
    plan = replace(plan, store_steps=toggle.publish_store_steps())
    if not local.compose or not deployment.config.distributions:
        return plan
    distributions = deployment.distributions()
    compositions = deployment.compositions(local, distributions, local.kvs_arn, present_only=True)
    return replace(plan, compositions=tuple(compositions))


def plan_destroy(deployment: Deployment, toggle: MaintenanceToggle) -> Plan:
    """Delete the function once no distribution uses it, and every composition of it
    that nothing uses (never the functions they were composed with). Refused while a
    target distribution is still deploying: its config may still use the function."""
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
    steps = []
    for composition in deployment.compositions_of(name):
        stage = client.describe_function(composition, "DEVELOPMENT")
        if stage is None or foreign_of(stage.comment) is None:
            continue  # not made by cffunc: a name that only looks like one
        # A composition another distribution still runs is kept (in_use None).
        steps.append(
            DeleteStep("function", composition, f"delete function {composition}", stage.etag)
        )
    dev = client.describe_function(name, "DEVELOPMENT")
    if dev is not None:
        steps.append(
            DeleteStep(
                "function", name, f"delete function {name}", dev.etag,
                in_use=f"{name} is still associated with a distribution; run "
                f"`{toggle.undo_install}` (and remove it from any other distribution) first",
            )
        )  # fmt: skip
    return Plan(delete_steps=tuple(steps))
