"""How maintenance is switched, picked once from the config: :func:`toggle_for`.

``maintenance.toggle`` chooses between two toggles with the same methods:

- :class:`~cffunc.deploy.toggles.association.AssociationToggle`: ``enable`` publishes the function
  and associates it with the selected cache behaviors; ``disable`` removes exactly those
  associations. Every switch is a distribution deployment.
- :class:`~cffunc.deploy.toggles.store.StoreToggle`: ``install`` associates the function once;
  ``enable``/``disable`` write one key of a KeyValueStore, no distribution change.

Each toggle plans (read-only calls, then :mod:`cffunc.deploy.plan`) and reports its status;
:class:`Deployment` hands each plan to its one executor (:mod:`cffunc.deploy.apply`), and
:mod:`cffunc.deploy.operations` strings the two together for each command. Commands call the
toggle and never ask which one it is.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Protocol

from cffunc.config.load import Config, IPNetwork, Toggle
from cffunc.deploy.apply import Executor, Progress, Report, Steps, Write, wait_deployed
from cffunc.deploy.awsclient import CloudFrontClient
from cffunc.deploy.grpc import grpc_enabled, grpc_notes
from cffunc.deploy.parallel import DEFAULT_CONCURRENCY, map_all
from cffunc.deploy.plan import (
    CompositionPlan,
    LocalFunction,
    Plan,
    Refusal,
    RemoteDistribution,
    StoreStep,
    behaviors_of,
    check_enable,
    composed_prefix,
    composition_slots,
    compositions_anywhere,
    foreign_slots,
    function_name,
    holds_render,
    maintenance_state,
    plan_composition,
)
from cffunc.deploy.reads import (
    local_function,
    read_distributions,
    read_foreign,
    read_function,
    read_restore,
)
from cffunc.deploy.select import Selection, select
from cffunc.function.compose import code_digest, compose, foreign_of
from cffunc.function.render import RenderedFunction, render
from cffunc.function.rules import MaintenanceRules, compile_rules


@dataclass
class Deployment:
    """One command's view of the config and the account: the config, the client, the
    environment (for the bypass secret), and where progress goes."""

    config: Config
    client: CloudFrontClient
    progress: Progress
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    clock: Callable[[], datetime] | None = None
    """The wall clock (for store states' end times); None: the real one."""
    after_write: Callable[[Write], None] | None = None
    """Told of each write as the executor records it (tests stop a run there)."""
    steps: Steps | None = None
    """Told when each step starts and is done; None: a progress line per step."""
    only: tuple[str, ...] = ()
    """``--distribution``: narrow the run to these of the selected distributions."""
    concurrency: int = DEFAULT_CONCURRENCY
    """Distributions read or written at once."""
    read_only: bool = False
    """The command only reads (``preview`` and ``status`` set it): a [[distributions]]
    entry that matches no distribution is then a warning, not an error."""
    selection: Selection | None = None
    """What the config selected, once :meth:`distributions` has read it."""
    executor: Executor = field(init=False)
    """The command's one executor: every plan it applies, and its record of every write."""

    def __post_init__(self) -> None:
        self.executor = Executor(
            self.client, self.progress, self.after_write, self.steps, self.concurrency
        )

    def rules(self) -> MaintenanceRules:
        return compile_rules(self.config, self.env)

    def rendered(self) -> RenderedFunction:
        return render(self.rules())

    def compositions(
        self,
        local: LocalFunction,
        distributions: list[RemoteDistribution],
        store_arn: str | None = None,
        present_only: bool = False,
    ) -> list[CompositionPlan]:
        """A composed function for each foreign function on a slot cffunc needs, and for
        each composition of ours already there (made again from the foreign function's
        LIVE code, so a changed foreign function is recomposed). ``store_arn``: the store
        cffunc reads (toggle = "kvs"), which must then be the foreign function's too."""
        if not local.compose:
            return []
        if not present_only:
            for distribution in distributions:
                check_enable(local, distribution)  # Lambda@Edge and the rest before any read
        # present_only (publish): refresh the compositions already on slots, add none.
        targets = {} if present_only else dict(foreign_slots(local, distributions))
        present = composition_slots(local, distributions)
        restore = read_restore(self.client, list(present))
        for composed, events in present.items():
            if composed not in restore:
                raise Refusal(
                    f"{function_name(composed)} is on a slot, but the function it was composed "
                    "with is not known (its comment was changed); put that function back by hand"
                )
            foreign_arn = restore[composed]
            merged = set(targets.get(foreign_arn, ())) | set(events)
            targets[foreign_arn] = tuple(e for e in local.events if e in merged)
        rules = self.rules()
        plans = []
        for foreign_arn, events in targets.items():
            foreign = read_foreign(self.client, foreign_arn)
            kvs_arn = foreign.kvs_arns[0] if foreign.kvs_arns else None
            if store_arn is not None:
                if kvs_arn is not None and kvs_arn != store_arn:
                    raise Refusal(
                        f"{foreign.name} reads the KeyValueStore {kvs_arn}, and a function reads "
                        "one store: set maintenance.kvs to that store's name, so that cffunc "
                        "keeps its keys (cffunc:*) beside the function's own"
                    )
                kvs_arn = store_arn
            composed_function = compose(rules, foreign, local.name, events)
            composed_local = LocalFunction(
                name=composed_function.name,
                runtime=composed_function.runtime,
                comment=composed_function.comment,
                code=composed_function.code.encode("utf-8"),
                events=events,
                kvs_arn=kvs_arn,
                tenants=local.tenants,
            )
            plans.append(
                plan_composition(
                    foreign_arn, composed_local, read_function(self.client, composed_local),
                    composed_function.foreign_bytes,
                )
            )  # fmt: skip
        return plans

    def restore(
        self, local: LocalFunction, distributions: list[RemoteDistribution]
    ) -> dict[str, str]:
        """Composed ARN -> foreign ARN, for every composition of ours on these distributions."""
        return read_restore(self.client, compositions_anywhere(local, distributions))

    def compositions_of(self, name: str) -> list[str]:
        """The account's functions named as compositions of ``name`` (callers that delete
        one check its comment first)."""
        prefix = composed_prefix(name)
        return [n for n in self.client.function_names() if n.startswith(prefix)]

    def local(self, code: bool = True, kvs_arn: str | None = None) -> LocalFunction:
        """The function as cffunc deploys it; ``code=False`` skips rendering (and so the
        bypass secret): disable, destroy and status work in an emergency without it."""
        return local_function(self.config, self.rendered() if code else None, kvs_arn)

    def select(self) -> Selection:
        """The distributions the config selects (read once per command)."""
        if self.selection is None:
            self.selection = select(
                self.client, self.config, self.only, self.concurrency, strict=not self.read_only
            )
        return self.selection

    def distributions(self) -> list[RemoteDistribution]:
        targets = self.select().targets
        return read_distributions(self.client, targets, self.config.function.name, self.concurrency)

    def now(self) -> datetime:
        return self.clock() if self.clock is not None else datetime.now(UTC)

    def apply(self, plan: Plan) -> Report:
        """Carry ``plan`` out; the record of every write this command made so far."""
        return self.executor.run(plan)

    def wait(self, timeout: float, planned: bool = True) -> None:
        """Until every distribution this command wrote is Deployed (a store write deploys
        nothing); when it planned nothing, until every target is (an earlier run's change
        may still be deploying). A timeout is an AwsError naming those still deploying."""
        if planned:
            ids = list(self.executor.report.touched)
        else:
            ids = [t.id for t in self.select().targets]
        if ids:
            wait_deployed(self.client, ids, timeout, self.progress)


@dataclass(frozen=True)
class EnableRequest:
    """What ``cffunc enable`` asks for beyond the config (store toggle only)."""

    until: str | None = None
    """An RFC 3339 time or a duration (90m, 2h, 1d)."""
    reason: str | None = None
    hosts: tuple[str, ...] = ()
    """Scope it to these hosts (one scope each); none: every host."""
    paths: tuple[str, ...] = ()
    """Scope it to these path patterns; none: every path."""
    read_only: bool = False
    """Only writes are in maintenance."""
    at: str | None = None
    """Start at this RFC 3339 time or after this duration (30m) instead of now."""
    tenants: tuple[str, ...] = ()
    """Scope it to these distribution tenants (ids or domains, one scope each)."""
    wait: float | None = None
    """Wait this many seconds for the distributions to deploy; None: do not wait."""

    @property
    def scoped(self) -> bool:
        return bool(self.hosts or self.paths or self.read_only or self.tenants)

    def scope_options(self) -> str:
        """The scope options given, as typed (for errors)."""
        return ", ".join(
            ["--host"] * bool(self.hosts) + ["--tenant"] * bool(self.tenants)
            + ["--path"] * bool(self.paths) + ["--read-only"] * self.read_only
        )  # fmt: skip


@dataclass(frozen=True)
class Preview:
    """What ``cffunc plan`` shows: which toggle, and the plan of the next step."""

    headline: str
    plan: Plan
    nothing: str
    """Said when the plan is empty."""
    facts: dict[str, Any] = field(default_factory=dict)
    """Toggle-specific facts for ``--json`` (the store's name, whether it is installed)."""
    selection: Selection | None = None
    """The distributions the config selected, and the entries that matched none."""


class MaintenanceToggle(Protocol):
    kind: Toggle
    undo_install: str
    """The command that takes the function off the distributions (named in errors)."""
    setup: str
    """The command that puts the function on the distributions."""

    def preview(self) -> Preview: ...

    def plan_enable(self, request: EnableRequest) -> Plan: ...

    def plan_disable(self, hosts: tuple[str, ...] = (), tenants: tuple[str, ...] = ()) -> Plan:
        """Every scope off; with ``hosts`` or ``tenants`` (ids or domains), only theirs
        (store toggle only)."""
        ...

    def plan_install(self) -> Plan: ...

    def plan_uninstall(self) -> Plan:
        """Take the function off the distributions (store toggle only)."""
        ...

    def plan_removal(self) -> Plan:
        """Once they are Deployed: delete what install created (store toggle only)."""
        ...

    def plan_allow(self, networks: list[IPNetwork], add: bool) -> Plan: ...

    def allowed(self) -> list[str]: ...

    def deployed_function(self, command: str) -> LocalFunction:
        """The local function as this toggle publishes it (the store toggle's reads its store)."""
        ...

    def publish_store_steps(self) -> tuple[StoreStep, ...]:
        """What ``publish`` writes to the store before the code that reads it (the store
        toggle's page)."""
        ...

    def status(self) -> dict[str, Any]: ...


def toggle_for(deployment: Deployment) -> MaintenanceToggle:
    """The config's toggle: the one place that asks which toggle the config uses."""
    from cffunc.deploy.toggles.association import AssociationToggle
    from cffunc.deploy.toggles.store import StoreToggle

    if deployment.config.store_name is not None:
        return StoreToggle(deployment, deployment.config.store_name)
    return AssociationToggle(deployment)


ASSOCIATED = {"on": "all", "partial": "some", "off": "none"}
"""``associated`` in status: how many of a distribution's selected behaviors (and events)
run the function, from :func:`maintenance_state`'s on, partial or off."""


def behaviors_status(
    local: LocalFunction,
    distributions: list[RemoteDistribution],
    switched_on: bool = True,
    tenants: dict[str, dict[str, int]] | None = None,
) -> list[dict[str, Any]]:
    """Each distribution's deploy state, how many of its selected behaviors run ``local``
    (``associated``: all, some, none), whether it is in maintenance (``maintenance``: on,
    partial, off; the association where ``switched_on``, off where the store says off),
    and every behavior's function and Lambda@Edge associations (the shared part of
    ``status``); a multi-tenant one's tenants (``tenants``: how many, how many enabled),
    each behavior whether it takes gRPC."""
    out = []
    for distribution in distributions:
        behaviors = []
        for pattern, behavior in behaviors_of(distribution.config):
            behaviors.append({
                "path": pattern,
                "grpc": grpc_enabled(behavior),
                "functions": [
                    {
                        "event": i["EventType"],
                        "function": i["FunctionARN"].rsplit("/", 1)[-1],
                        "arn": i["FunctionARN"],
                    }
                    for i in (behavior.get("FunctionAssociations") or {}).get("Items") or []
                ],
                "lambdas": [
                    {"event": i["EventType"], "function": i["LambdaFunctionARN"]}
                    for i in (behavior.get("LambdaFunctionAssociations") or {}).get("Items") or []
                ],
            })  # fmt: skip
        associated = maintenance_state(local, distribution)
        out.append({
            "id": distribution.id,
            "label": distribution.label,
            "status": distribution.status,
            "associated": ASSOCIATED[associated],
            "maintenance": associated if switched_on else "off",
            "multi_tenant": distribution.multi_tenant,
            "tenants": (tenants or {}).get(distribution.id),
            "behaviors": behaviors,
        })  # fmt: skip
    return out


def compositions_status(
    deployment: Deployment, local: LocalFunction, distributions: list[RemoteDistribution]
) -> list[dict[str, Any]]:
    """Each composition of ours on these distributions: the foreign function it was made
    from, and whether that function's LIVE code changed since (the edge runs the old copy
    until enable or install composes again)."""
    client, out = deployment.client, []
    for arn in compositions_anywhere(local, distributions):
        name = function_name(arn)
        live = client.describe_function(name, "LIVE")
        found = foreign_of(live.comment if live else None)
        if found is None:
            out.append(
                {"name": name, "foreign": None, "foreign_exists": None, "foreign_changed": None}
            )
            continue
        foreign, digest = found
        code = client.function_code(foreign, "LIVE")
        now = code_digest(code.decode("utf-8", "replace")) if code is not None else None
        entry: dict[str, Any] = {"name": name, "foreign": foreign}
        out.append(entry | {"foreign_exists": code is not None, "foreign_changed": now != digest})
    return out


def function_status(deployment: Deployment, local: LocalFunction) -> dict[str, Any]:
    """The function's stages, whether it is published (has a LIVE stage), and whether
    LIVE holds the local render (None: nothing to compare, not published or not
    rendered)."""
    client = deployment.client
    dev = client.describe_function(local.name, "DEVELOPMENT")
    live = client.describe_function(local.name, "LIVE")
    live_code = client.function_code(local.name, "LIVE") if live else None
    return {
        "name": local.name,
        "development_etag": dev.etag if dev else None,
        "live_etag": live.etag if live else None,
        "published": live is not None,
        "live_matches_local": None
        if local.code is None or live is None
        else holds_render(local, live_code, live.runtime, live.comment, live.kvs_arns),
    }


def tenant_counts(
    deployment: Deployment, distributions: list[RemoteDistribution]
) -> dict[str, dict[str, int]]:
    """For each multi-tenant distribution, how many tenants it has and how many of them
    are enabled: a function associated with it runs for all of them (the tenants share
    its cache behaviors). ListDistributionTenants with AssociationFilter DistributionId
    (https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_ListDistributionTenants.html)."""
    multi = [d for d in distributions if d.multi_tenant]
    client = deployment.client
    listed = map_all(multi, lambda d: client.tenants_of(d.id), deployment.concurrency)
    return {
        d.id: {"count": len(tenants), "enabled": sum(t.enabled for t in tenants)}
        for d, tenants in zip(multi, listed, strict=True)
    }


def edge_notes(
    deployment: Deployment, distributions: list[RemoteDistribution], tenants: bool = True
) -> tuple[str, ...]:
    """What maintenance means on these distributions beyond their behaviors: the function
    runs for every tenant of a multi-tenant one (said, with the tenant whose domain
    selected it, when ``tenants``: a command that associates the function), and a gRPC
    behavior's calls get an answer a gRPC client cannot read (:mod:`cffunc.deploy.grpc`)."""
    scoped = deployment.config.maintenance.scope.tenants
    reach = (
        f"maintenance covers only {', '.join(scoped)} (maintenance.tenants)"
        if scoped
        else "maintenance covers them all unless scoped to some (maintenance.tenants, or "
        "enable --tenant with the store toggle)"
    )
    notes = []
    for distribution in distributions:
        if not distribution.multi_tenant or not tenants:
            continue
        label = distribution.label or distribution.id
        via = (
            f", selected by the domain of tenant {', '.join(distribution.via_tenants)}"
            if distribution.via_tenants
            else ""
        )
        notes.append(
            f"distribution {label} is multi-tenant{via}: the function is associated with the "
            f"distribution, so it runs for every one of its tenants; {reach}"
        )
    return tuple(notes) + grpc_notes(deployment.config, distributions)


def with_notes(plan: Plan, notes: tuple[str, ...]) -> Plan:
    return replace(plan, notes=plan.notes + notes) if notes else plan


def fleet_status(deployment: Deployment, distributions: list[RemoteDistribution]) -> dict[str, Any]:
    """``status``'s notes (multi-tenant, gRPC) and the fleet entries matching nothing."""
    selection = deployment.selection
    return {
        "notes": list(edge_notes(deployment, distributions)),
        "warnings": selection.warnings() if selection is not None else [],
    }


def overall(states: list[str]) -> str:
    """on, off or partial over every distribution's state (off when there are none)."""
    distinct = set(states)
    if not distinct:
        return "off"
    return distinct.pop() if len(distinct) == 1 else "partial"
