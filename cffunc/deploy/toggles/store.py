"""The KeyValueStore toggle (toggle = "kvs"): install once, then switch by one store key.

``install`` creates the store if missing (with the state key saying off), associates it
with the function, publishes, and associates the function with the behaviors for good;
``enable``/``disable`` then plan one conditional write of ``cffunc:state`` (and of the
keys of the hosts or distribution tenants they name) and never touch a distribution.
``allow`` edits the network buckets (:mod:`cffunc.function.store_layout`). Every store
change is a :class:`~cffunc.deploy.plan.StoreStep`, so ``cffunc plan`` shows it and the
executor re-reads and re-applies it when someone else wrote in between.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from cffunc.config.load import IPNetwork, Toggle
from cffunc.config.scope import parse_hosts
from cffunc.deploy.awsclient import StoreInfo, TenantInfo, require_crt
from cffunc.deploy.plan import (
    DeleteStep,
    LocalFunction,
    Plan,
    RemoteDistribution,
    StoreStep,
    maintenance_state,
    plan_disable,
    plan_enable,
)
from cffunc.deploy.reads import read_function
from cffunc.deploy.tenants import reads_tenant_scopes, resolve, tenant_ids
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
from cffunc.function.rules import stored_page_items
from cffunc.function.store_layout import (
    HOST_PREFIX,
    NET_PREFIX,
    PAGE_PREFIX,
    SCOPE_PREFIX,
    STATE_KEY,
    TENANT_PREFIX,
    StoreScope,
    StoreState,
    bucket_value,
    check_paths,
    host_key,
    network_bucket,
    page_prefixes,
    parse_host_scope,
    parse_networks,
    parse_state,
    start_from_option,
    tenant_key,
    until_from_option,
)
from cffunc.words import count

TenantLabels = tuple[tuple[str, str], ...]
"""Distribution tenants a command names: (id, how messages name it)."""


@dataclass(frozen=True)
class Installation:
    """What the account has of a store-toggled setup."""

    name: str
    """The store's name (it may not exist yet)."""
    store: StoreInfo | None
    local: LocalFunction
    """The function, naming the store when it exists."""
    distributions: list[RemoteDistribution]

    @property
    def installed(self) -> bool:
        return self.store is not None and all(
            maintenance_state(self.local, d) == "on" for d in self.distributions
        )


class StoreToggle:
    kind: Toggle = "kvs"
    undo_install = "cffunc uninstall"
    setup = "cffunc install"

    def __init__(self, deployment: Deployment, store_name: str) -> None:
        require_crt()  # every store command reads or writes the data plane
        self.deployment = deployment
        self.name = store_name

    @property
    def created_comment(self) -> str:
        """The comment ``install`` gives a store it creates; ``uninstall`` deletes only those."""
        return f"cffunc: maintenance switch of function {self.deployment.config.function.name}"[
            :128
        ]

    # ---- reading ----

    def existing_store(self, command: str) -> StoreInfo:
        """The store; CffuncError when it does not exist yet."""
        store = self.deployment.client.key_value_store(self.name)
        if store is None:
            raise CffuncError(
                f"no KeyValueStore named {self.name}: run `cffunc install` before "
                f"`cffunc {command}`"
            )
        return store

    def installation(self, code: bool) -> Installation:
        store = self.deployment.client.key_value_store(self.name)
        local = self.deployment.local(code, store.arn if store else None)
        return Installation(self.name, store, local, self.deployment.distributions())

    def check_installed(self, found: Installation) -> StoreInfo:
        """The store, once the LIVE function reads it and every selected behavior runs the
        function; CffuncError otherwise (switching a store nothing reads would do nothing)."""
        name, store = found.local.name, found.store
        if store is None:
            raise CffuncError(f"no KeyValueStore named {found.name}: run `cffunc install` first")
        live = self.deployment.client.describe_function(name, "LIVE")
        if live is None or store.arn not in live.kvs_arns:
            raise CffuncError(
                f"the LIVE function {name} does not read the store {store.name}: "
                "run `cffunc install` first"
            )
        missing = [
            d.label or d.id
            for d in found.distributions
            if maintenance_state(found.local, d) != "on"
        ]
        if missing:
            raise CffuncError(
                f"{name} is not associated with every selected behavior of "
                f"{', '.join(missing)}: run `cffunc install` first"
            )
        return store

    def _get(self, store: StoreInfo, key: str) -> str | None:
        return self.deployment.client.key_value_store_client().get(store.arn, key)

    # ---- plans ----

    def preview(self) -> Preview:
        self.deployment.read_only = True
        found = self.installation(code=True)
        facts = {"store_name": self.name, "installed": found.installed}
        selection = self.deployment.selection
        if not found.installed:
            return Preview(
                f"toggle: kvs (KeyValueStore {self.name}); not installed: "
                "run `cffunc install`, which would:",
                self._install_plan(found),
                "install would change nothing",
                facts,
                selection,
            )
        plan = self._scope_plan(self.check_installed(found), *self._scope(EnableRequest()))
        return Preview(
            f"toggle: kvs (KeyValueStore {self.name}); installed",
            with_notes(plan, edge_notes(self.deployment, found.distributions, tenants=False)),
            "enable would change nothing: maintenance is already on",
            facts,
            selection,
        )

    def plan_install(self) -> Plan:
        return self._install_plan(self.installation(code=True))

    def _install_plan(self, found: Installation) -> Plan:
        """Create the store if missing, write the state key (off) unless it is set, then
        publish and associate as the association toggle's enable would, every refusal
        raised here, before any write."""
        local = found.local
        store_steps: list[StoreStep] = []
        notes: list[str] = []
        if found.store is None:
            # Named by a placeholder until the executor has created it.
            local = replace(
                local, kvs_arn=f"arn:aws:cloudfront::<account>:key-value-store/<{self.name}>"
            )
            store_steps.append(
                StoreStep(
                    "create", self.name, f"create KeyValueStore {self.name}",
                    comment=self.created_comment,
                )
            )  # fmt: skip
            current = None
        else:
            current = self._get(found.store, STATE_KEY)
        if current is None:
            store_steps.append(
                StoreStep(
                    "write", self.name, f"set {STATE_KEY} in {self.name}: maintenance off",
                    arn=found.store.arn if found.store else None, keys=(STATE_KEY,),
                    edit=_off_unless_set,
                )
            )  # fmt: skip
        else:
            state = parse_state(current)
            if state is not None and state.on:
                notes.append(f"{self.name} says maintenance is ON (left as it is)")
        store_steps += self._page_steps(found.store)
        remote = read_function(self.deployment.client, local)
        compositions = self.deployment.compositions(local, found.distributions, local.kvs_arn)
        plan = plan_enable(local, remote, found.distributions, compositions)
        notes += edge_notes(self.deployment, found.distributions)
        return replace(plan, store_steps=tuple(store_steps), notes=tuple(notes))

    def publish_store_steps(self) -> tuple[StoreStep, ...]:
        """publish: the page the published code reads, written first (as install does)."""
        return tuple(self._page_steps(self.existing_store("publish")))

    def _page_steps(self, store: StoreInfo | None) -> list[StoreStep]:
        """install, publish: write the page the function reads from the store (respond
        mode), and remove the pages no function reads any more: all but this config's and
        the ones named by the LIVE code of this function and of every function associated
        with the store (its compositions, which hold a copy of its code, and another
        config's function sharing the store), until their new code is published."""
        page = stored_page_items(self.deployment.config)
        listed: dict[str, str] = {}
        stale: list[str] = []
        if store is not None:
            client = self.deployment.client
            listed = client.key_value_store_client().keys(store.arn, PAGE_PREFIX)
            stale = _outside(listed, page_prefixes("\n".join(page)))
            if stale:  # a page this config does not write: kept if live code reads it
                name = self.deployment.config.function.name
                live = [
                    (client.function_code(reader, "LIVE") or b"").decode("utf-8", "replace")
                    for reader in dict.fromkeys((name, *client.functions_reading(store.arn)))
                ]
                stale = _outside(stale, page_prefixes("\n".join(live)))
        writes = any(listed.get(k) != v for k, v in page.items())
        if not stale and not writes:
            return []
        wanted: dict[str, str | None] = {**page, **dict.fromkeys(stale)}
        what = " and ".join(
            ([f"write the maintenance page to {self.name} ({count(len(page), 'value')})"]
             if writes else [])
            + ([f"remove the old maintenance page from {self.name}"] if stale else [])
        )  # fmt: skip
        return [
            StoreStep(
                "write", self.name, what, arn=store.arn if store else None,
                keys=tuple(wanted), edit=lambda current: wanted,
            )
        ]  # fmt: skip

    def _scope(self, request: EnableRequest) -> tuple[tuple[str, ...], StoreScope]:
        """The hosts and the scope ``enable`` asks for, every option checked (one-line
        errors) before any call."""
        hosts = parse_hosts(request.hosts)
        now = self.deployment.now()
        start = start_from_option(request.at, now)
        scope = StoreScope(
            True,
            until_from_option(request.until, now, start),
            request.reason,
            check_paths(request.paths),
            "writes" if request.read_only else "all",
            start=start,
        )
        scope.value()  # the reason's length and the value's size
        return hosts, scope

    def plan_enable(self, request: EnableRequest) -> Plan:
        # Checked before any read: a bad option is a one-line error.
        hosts, scope = self._scope(request)
        self._check_tenant_options(request.hosts, request.tenants)
        found = self.installation(code=False)
        store = self.check_installed(found)
        tenants: TenantLabels = ()
        if request.tenants:
            # Every tenant found through the API before any write.
            client = self.deployment.client
            resolved = resolve(
                client,
                request.tenants,
                found.distributions,
                self.deployment.config.maintenance.scope.tenants,
            )
            if not reads_tenant_scopes(client.function_code(found.local.name, "LIVE")):
                raise CffuncError(
                    f"the LIVE function {found.local.name} does not read tenant scopes (it was "
                    "published before maintenance.tenant_scopes): run `cffunc install` first"
                )
            tenants = tuple((t.id, t.label) for t in resolved)
        deploying = [d.label or d.id for d in found.distributions if d.status != "Deployed"]
        plan = self._scope_plan(store, hosts, scope, deploying, tenants)
        # A store write changes no association: only what it means for gRPC calls.
        return with_notes(plan, edge_notes(self.deployment, found.distributions, tenants=False))

    def plan_disable(self, hosts: tuple[str, ...] = (), tenants: tuple[str, ...] = ()) -> Plan:
        # Checks nothing but the store (and a tenant's domain): it must work in an
        # emergency, from any shell.
        self._check_tenant_options(hosts, tenants, ending=True)
        store = self.existing_store("disable")
        named = tenant_ids(self.deployment.client, tenants) if tenants else []
        return self._scope_plan(store, parse_hosts(hosts), None, tenants=tuple(named))

    def _check_tenant_options(
        self, hosts: tuple[str, ...], tenants: tuple[str, ...], ending: bool = False
    ) -> None:
        if hosts and tenants:
            raise CffuncError(
                "--host and --tenant: give one kind of scope per command (a tenant's scope "
                "covers every domain of the tenant)"
            )
        if tenants and not ending and not self.deployment.config.maintenance.tenant_scopes:
            raise CffuncError(
                "--tenant: the function does not read tenant scopes; set tenant_scopes = true "
                "in [maintenance] (the distribution must be multi-tenant) and run `cffunc install`"
            )

    def _scope_plan(
        self,
        store: StoreInfo,
        hosts: tuple[str, ...],
        scope: StoreScope | None,
        deploying: list[str] | None = None,
        tenants: TenantLabels = (),
    ) -> Plan:
        """Set (``scope``) or end (None) the scope of each of ``hosts`` or ``tenants``, or
        with neither the every-host scope (ending it ends every scope). One conditional
        write of the state and the host or tenant keys, re-read and re-applied if someone
        wrote meanwhile."""
        edit = _scope_edit(hosts, scope, tuple(t for t, _ in tenants))
        # Maintenance that starts shows the page the function reads from the store:
        # written first, so it is there before the state says on.
        page = stored_page_items(self.deployment.config) if scope is not None else {}
        if page:
            edit = _with_page(page, edit)
        current = {STATE_KEY: self._get(store, STATE_KEY)}
        current |= {key: self._get(store, key) for key in page}
        prefix = _listed(hosts, tenants, scope)
        if prefix is not None:
            current |= self.deployment.client.key_value_store_client().keys(store.arn, prefix)
        if not _changes(current, edit(dict(current))):
            return Plan()
        follows = (
            f"{', '.join(deploying)} still deploying the install: the edge follows once "
            "Deployed, then within seconds"
            if deploying
            else "the edge follows within seconds"
        )
        now = self.deployment.now()
        named = list(hosts) + [
            f"tenant {label}" if label != ident else f"tenant {ident}" for ident, label in tenants
        ]
        where = f" for {', '.join(named)}" if named else ""
        if scope is None:
            what = f"end maintenance{where}" if named else "set maintenance off (every scope)"
        else:
            what = f"set maintenance {scope.describe(now)}{where}"
        step = StoreStep(
            "write", store.name,
            f"{what} in KeyValueStore {store.name} ({follows}; no distribution change)",
            arn=store.arn, keys=(STATE_KEY, *page), edit=edit, prefix=prefix,
        )  # fmt: skip
        return Plan(store_steps=(step,))

    def plan_allow(self, networks: list[IPNetwork], add: bool) -> Plan:
        store = self.existing_store("allow")
        buckets: dict[str, list[IPNetwork]] = {}
        for network in networks:
            buckets.setdefault(network_bucket(network), []).append(network)

        def edit(current: dict[str, str | None]) -> dict[str, str | None]:
            out: dict[str, str | None] = {}
            for key, changes in buckets.items():
                present = parse_networks(current.get(key))
                if add:
                    kept = present + [n for n in changes if n not in present]
                else:
                    kept = [n for n in present if n not in changes]
                out[key] = bucket_value(kept)
            return out

        current = {key: self._get(store, key) for key in buckets}
        if edit(dict(current)) == current:
            return Plan()
        listed = ", ".join(str(n) for n in networks)
        message = (
            f"allow {listed} in KeyValueStore {store.name}"
            if add
            else f"stop allowing {listed} in KeyValueStore {store.name}"
        )
        step = StoreStep(
            "write", store.name, message, arn=store.arn, keys=tuple(buckets), edit=edit
        )
        return Plan(store_steps=(step,))

    def allowed(self) -> list[str]:
        store = self.existing_store("allow")
        kv = self.deployment.client.key_value_store_client()
        return [
            str(n)
            for _, value in sorted(kv.keys(store.arn, NET_PREFIX).items())
            for n in parse_networks(value)
        ]

    def deployed_function(self, command: str) -> LocalFunction:
        # The function's config must keep naming the store (a publish without it would
        # leave the function unable to read it).
        return self.deployment.local(kvs_arn=self.existing_store(command).arn)

    # ---- uninstall ----

    def plan_uninstall(self) -> Plan:
        """Reverse ``install``, first half: remove the function's associations (restoring
        the functions compositions were made from). Then every target distribution must
        be Deployed (a deploying config may still use the function) before
        :meth:`plan_removal`."""
        found = self.installation(code=False)
        restore = self.deployment.restore(found.local, found.distributions)
        return plan_disable(found.local, found.distributions, restore)

    def plan_removal(self) -> Plan:
        """Reverse ``install``, second half: delete the function and its compositions,
        and the store if ``install`` created it (else only cffunc's keys in it)."""
        client = self.deployment.client
        function = self.deployment.config.function.name
        steps = []
        for name in [*self.deployment.compositions_of(function), function]:
            dev = client.describe_function(name, "DEVELOPMENT")
            if dev is not None:
                steps.append(
                    DeleteStep(
                        "function", name, f"delete function {name}", dev.etag,
                        in_use=f"{name} is still associated with a distribution cffunc.toml "
                        "does not name; remove it there and run `cffunc uninstall` again",
                    )
                )  # fmt: skip
        store = client.key_value_store(self.name)
        if store is not None and store.comment == self.created_comment:
            steps.append(
                DeleteStep(
                    "store", self.name, f"delete KeyValueStore {self.name}", store.etag,
                    in_use=f"KeyValueStore {self.name} is still associated with another "
                    "function; remove that association and run `cffunc uninstall` again",
                )
            )  # fmt: skip
        elif store is not None:
            steps.append(
                DeleteStep(
                    "keys", self.name,
                    f"remove cffunc's keys from {self.name} (the store was not created by cffunc)",
                    arn=store.arn,
                )
            )  # fmt: skip
        return Plan(delete_steps=tuple(steps))

    # ---- status ----

    def status(self) -> dict[str, Any]:
        """The store's state and networks, and whether the function is installed on every
        selected behavior: maintenance is on where both hold."""
        self.deployment.read_only = True
        store = self.deployment.client.key_value_store(self.name)
        render_error = None
        try:
            local = self.deployment.local(kvs_arn=store.arn if store else None)
        except RenderError as error:  # status is still useful without the local render
            render_error = str(error)
            local = self.deployment.local(code=False, kvs_arn=store.arn if store else None)
        function = function_status(self.deployment, local) | {"render_error": render_error}
        remote = self.deployment.distributions()
        store_document = self._store_status(store, remote)
        # Maintenance is on where the function runs and the store says on (a scheduled
        # scope is not on yet).
        tenants = tenant_counts(self.deployment, remote)
        distributions = behaviors_status(local, remote, store_document["state"] == "on", tenants)
        return {
            "toggle": self.kind,
            "installed": overall([maintenance_state(local, d) for d in remote]),
            "store": store_document,
            "function": function,
            "compositions": compositions_status(self.deployment, local, remote),
            "distributions": distributions,
            "maintenance": overall([d["maintenance"] for d in distributions]),
            "scheduled": store_document["scheduled"],
        } | fleet_status(self.deployment, remote)

    def _tenant_names(self, distributions: list[RemoteDistribution]) -> dict[str, TenantInfo]:
        """The tenants of the selected multi-tenant distributions, by id (one listing each),
        to name the tenant scopes."""
        client = self.deployment.client
        return {
            t.id: t
            for d in distributions
            if d.config.get("ConnectionMode") == "tenant-only"
            for t in client.tenants_of(d.id)
        }

    def _store_status(
        self, store: StoreInfo | None, distributions: list[RemoteDistribution]
    ) -> dict[str, Any]:
        if store is None:
            return {
                "name": self.name, "exists": False, "state": "off", "networks": 0, "scopes": [],
                "scheduled": None,
            }  # fmt: skip
        now = self.deployment.now()
        kv = self.deployment.client.key_value_store_client()
        state = parse_state(kv.get(store.arn, STATE_KEY))
        networks = sum(len(parse_networks(v)) for v in kv.keys(store.arn, NET_PREFIX).values())
        scopes = _scopes(
            state, kv.keys(store.arn, HOST_PREFIX) if state and state.hosts else {}, now
        )
        if state is not None and state.tenants:
            tenant_values = kv.keys(store.arn, TENANT_PREFIX)
            names = self._tenant_names(distributions) if tenant_values else {}
            scopes += _tenant_scopes(tenant_values, names, now)
        active = [s for s in scopes if s["active"]]
        starts = [s["start"] for s in scopes if s["scheduled"]]
        return {
            "name": self.name,
            "exists": True,
            "arn": store.arn,
            "state": "on" if active else "scheduled" if starts else "off",
            "describe": _describe(state, active, now),
            "scheduled": min(starts, key=datetime.fromisoformat, default=None),
            "start": state.start.isoformat() if state and state.start else None,
            "until": state.until.isoformat() if state and state.until else None,
            "reason": state.reason if state else None,
            "networks": networks,
            "scopes": scopes,
        }


def _scopes(
    state: StoreState | None, host_values: dict[str, str], now: datetime
) -> list[dict[str, Any]]:
    """Every scope the store holds, the every-host one first, each as status shows it."""
    if state is None:
        return []
    entries: list[tuple[str, StoreScope]] = []
    if state.on:
        entries.append(("every host", state))
    entries += [(str(w.host), w) for w in state.wildcards]
    for key, value in sorted(host_values.items()):
        scope = parse_host_scope(value)
        if scope is not None:
            entries.append((key.removeprefix(HOST_PREFIX), scope))
    return [{"host": host, "tenant": None} | _scope_fields(scope, now) for host, scope in entries]


def _tenant_scopes(
    values: dict[str, str], names: dict[str, TenantInfo], now: datetime
) -> list[dict[str, Any]]:
    """Each tenant scope the store holds, named by the tenant's name and domains when the
    selected distributions list it (a tenant deleted since has neither)."""
    out = []
    for key, value in sorted(values.items()):
        scope = parse_host_scope(value)
        if scope is None:
            continue
        ident = key.removeprefix(TENANT_PREFIX)
        known = names.get(ident)
        out.append(
            {
                "host": None,
                "tenant": ident,
                "tenant_name": known.name if known else None,
                "domains": list(known.domains) if known else [],
            }
            | _scope_fields(scope, now)
        )
    return out


def _scope_fields(scope: StoreScope, now: datetime) -> dict[str, Any]:
    return {
        "paths": list(scope.paths),
        "methods": scope.methods,
        "start": scope.start.isoformat() if scope.start else None,
        "until": scope.until.isoformat() if scope.until else None,
        "reason": scope.reason,
        "active": scope.active(now),
        "scheduled": scope.scheduled(now),
        "describe": scope.describe(now),
    }


def scope_label(entry: dict[str, Any]) -> str:
    """How ``status`` names a scope: its host, or the tenant by name, id and first domain."""
    if entry.get("tenant") is None:
        return str(entry["host"])
    name, domains = entry.get("tenant_name"), entry.get("domains") or []
    details = ", ".join([entry["tenant"], *domains[:1]])
    return f"tenant {name} ({details})" if name else f"tenant {details}"


def _describe(state: StoreState | None, active: list[dict[str, Any]], now: datetime) -> str:
    if state is None:
        return "off (no state)"
    if not active:
        return state.describe(now)
    return "; ".join(f"{scope_label(s)}: {s['describe']}" for s in active)


def _listed(hosts: tuple[str, ...], tenants: TenantLabels, scope: StoreScope | None) -> str | None:
    """The keys an edit must see beside the state: host keys to set or end host scopes,
    tenant keys for tenant scopes, every scope's key (under ``cffunc:``) to end them all."""
    if tenants:
        return TENANT_PREFIX
    if hosts:
        return HOST_PREFIX
    return SCOPE_PREFIX if scope is None else None


def _keys_of(current: dict[str, str | None], prefix: str) -> list[str]:
    return [k for k, v in current.items() if k.startswith(prefix) and v is not None]


def _scope_edit(
    hosts: tuple[str, ...], scope: StoreScope | None, tenants: tuple[str, ...] = ()
) -> Callable[[dict[str, str | None]], dict[str, str | None]]:
    """The store edit that sets (or, with None, ends) the scope of ``hosts`` or of
    ``tenants`` (ids), or the every-host scope when there are neither. The edit sees the
    state and the host or tenant keys (all of them to end everything), and orders its
    writes so that nothing is ever more in maintenance than asked: keys that end scopes
    first, the state's flag for host or tenant keys only after they exist."""

    def edit(current: dict[str, str | None]) -> dict[str, str | None]:
        state = parse_state(current.get(STATE_KEY)) or StoreState(False)
        existing = _keys_of(current, HOST_PREFIX)
        listed_tenants = _keys_of(current, TENANT_PREFIX)
        out: dict[str, str | None] = {}
        if not state.hosts:
            # Host keys the state does not flag are leftovers of an interrupted `disable`:
            # inert now, they would come alive with the flag, so they go first.
            out |= dict.fromkeys(existing, None)
            existing = []
        if not state.tenants:
            out |= dict.fromkeys(listed_tenants, None)  # the same for tenant keys
            listed_tenants = []
        if tenants:
            tenant_keys = [tenant_key(t) for t in tenants]
            if scope is None:
                out |= {k: None for k in listed_tenants if k in tenant_keys}
                remaining = [k for k in listed_tenants if k not in tenant_keys]
            else:
                out |= dict.fromkeys(tenant_keys, scope.value())
                remaining = listed_tenants + [k for k in tenant_keys if k not in listed_tenants]
            out[STATE_KEY] = replace(state, tenants=bool(remaining)).value()
            return out
        if not hosts:
            if scope is None:  # end everything: the state first, then the exact keys
                off = {STATE_KEY: StoreState(False).value()}
                return off | dict.fromkeys(existing + listed_tenants, None)
            every = replace(state, on=True, until=scope.until, reason=scope.reason,
                            paths=scope.paths, methods=scope.methods,
                            start=scope.start)  # fmt: skip
            return out | {STATE_KEY: every.value()}
        exact = [h for h in hosts if not h.startswith("*.")]
        wild = [h for h in hosts if h.startswith("*.")]
        wildcards = [w for w in state.wildcards if w.host not in wild]
        keys = {host_key(h) for h in exact}
        if scope is None:
            out |= {k: None for k in existing if k in keys}
            remaining = [k for k in existing if k not in keys]
        else:
            wildcards += [replace(scope, host=h) for h in wild]
            out |= {host_key(h): scope.value() for h in exact}
            remaining = existing + [k for k in keys if k not in existing]
        out[STATE_KEY] = replace(state, wildcards=tuple(wildcards), hosts=bool(remaining)).value()
        return out

    return edit


def _with_page(
    page: dict[str, str], edit: Callable[[dict[str, str | None]], dict[str, str | None]]
) -> Callable[[dict[str, str | None]], dict[str, str | None]]:
    """``edit`` preceded by the page's values (those that differ are written first)."""

    def with_page(current: dict[str, str | None]) -> dict[str, str | None]:
        return {**page, **edit(current)}

    return with_page


def _outside(keys: Iterable[str], prefixes: set[str]) -> list[str]:
    """The keys that start with none of ``prefixes``."""
    starts = tuple(prefixes)
    return [key for key in keys if not key.startswith(starts)]


def _changes(current: dict[str, str | None], wanted: dict[str, str | None]) -> bool:
    return any(current.get(k) != v for k, v in wanted.items())


def _off_unless_set(current: dict[str, str | None]) -> dict[str, str | None]:
    """install's state write: off, unless someone set the key meanwhile."""
    return {STATE_KEY: current.get(STATE_KEY) or StoreState(False).value()}
