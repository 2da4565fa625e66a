"""The association toggle (the default): maintenance is on where the function is associated.

``enable`` publishes the function if LIVE does not hold the render and associates it with
the selected behaviors (viewer-request, plus viewer-response in rewrite mode); ``disable``
removes exactly cffunc's associations. Each switch changes the distribution config, so it
reaches the edge with the distribution's deployment.
"""

from __future__ import annotations

from typing import Any

from cffunc.config.load import IPNetwork, Toggle
from cffunc.deploy.plan import LocalFunction, Plan, StoreStep, plan_disable, plan_enable
from cffunc.deploy.reads import read_function
from cffunc.deploy.toggles import (
    Deployment,
    EnableRequest,
    Preview,
    behaviors_status,
    compositions_status,
    edge_notes,
    fleet_status,
    function_status,
    overall,
    tenant_counts,
    with_notes,
)
from cffunc.errors import CffuncError, RenderError


class AssociationToggle:
    kind: Toggle = "association"
    undo_install = "cffunc disable"
    setup = "cffunc enable"

    def __init__(self, deployment: Deployment) -> None:
        self.deployment = deployment

    def preview(self) -> Preview:
        self.deployment.read_only = True
        plan = self.plan_enable(EnableRequest())
        return Preview(
            "toggle: association (enable associates the function with the behaviors)",
            plan,
            "enable would change nothing: maintenance is already on",
            selection=self.deployment.selection,
        )

    def plan_enable(self, request: EnableRequest) -> Plan:
        if request.at is not None:
            raise CffuncError(
                '--at needs maintenance.toggle = "kvs": with "association" enable starts a '
                "distribution deployment, which takes minutes and cannot be timed; use the store "
                "toggle, or set maintenance.start in the config and enable ahead of time"
            )
        if request.until is not None or request.reason is not None:
            raise CffuncError(
                '--until and --reason need maintenance.toggle = "kvs"; with "association" set '
                "maintenance.end and maintenance.reason and publish"
            )
        if request.scoped:
            raise CffuncError(
                f'{request.scope_options()}: scopes at run time need maintenance.toggle = "kvs"; '
                'with "association" set maintenance.hosts, tenants, paths or methods = "writes" '
                "in the config and enable"
            )
        local = self.deployment.local()
        remote = read_function(self.deployment.client, local)
        distributions = self.deployment.distributions()
        compositions = self.deployment.compositions(local, distributions)
        plan = plan_enable(local, remote, distributions, compositions)
        return with_notes(plan, edge_notes(self.deployment, distributions))

    def plan_disable(self, hosts: tuple[str, ...] = (), tenants: tuple[str, ...] = ()) -> Plan:
        if hosts or tenants:
            option = "--host" if hosts else "--tenant"
            raise CffuncError(
                f'{option}: ending one scope needs maintenance.toggle = "kvs"; with "association" '
                "`cffunc disable` ends maintenance everywhere"
            )
        local = self.deployment.local(code=False)
        distributions = self.deployment.distributions()
        return plan_disable(local, distributions, self.deployment.restore(local, distributions))

    def plan_install(self) -> Plan:
        raise self._store_only("install")

    def plan_uninstall(self) -> Plan:
        raise self._store_only("uninstall")

    def plan_removal(self) -> Plan:
        raise self._store_only("uninstall")

    def plan_allow(self, networks: list[IPNetwork], add: bool) -> Plan:
        raise self._store_only("allow")

    def allowed(self) -> list[str]:
        raise self._store_only("allow")

    def deployed_function(self, command: str) -> LocalFunction:
        return self.deployment.local()

    def publish_store_steps(self) -> tuple[StoreStep, ...]:
        return ()

    def status(self) -> dict[str, Any]:
        self.deployment.read_only = True
        render_error = None
        try:
            local = self.deployment.local()
        except RenderError as error:  # status is still useful without the local render
            render_error = str(error)
            local = self.deployment.local(code=False)
        remote = self.deployment.distributions()
        tenants = tenant_counts(self.deployment, remote)
        distributions = behaviors_status(local, remote, tenants=tenants)
        return {
            "toggle": self.kind,
            "function": function_status(self.deployment, local) | {"render_error": render_error},
            "compositions": compositions_status(self.deployment, local, remote),
            "distributions": distributions,
            "maintenance": overall([d["maintenance"] for d in distributions]),
        } | fleet_status(self.deployment, remote)

    def _store_only(self, command: str) -> CffuncError:
        config = self.deployment.config
        return CffuncError(
            f'cffunc {command} works with maintenance.toggle = "kvs"; {config.path} uses '
            '"association" (enable/disable associate the function instead)'
        )
