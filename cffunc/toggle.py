"""The KeyValueStore toggle (toggle = "kvs"): install, switch, allowlist, uninstall.

``install`` associates the function with the behaviors once, reading a store that says
maintenance is off; ``enable``/``disable`` then write one key of the store (a conditional
write with the store's ETag) and never touch a distribution. ``allow`` edits the network
buckets (:mod:`cffunc.store`). Every store change reads the ETag first, then the keys it
needs, and writes only what differs; a ``ConflictException`` (someone wrote in between)
reads again and re-applies, a bounded number of times.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from cffunc.awsclient import (
    AwsError,
    CloudFrontClient,
    FunctionInUse,
    InUse,
    KeyValueStoreClient,
    StoreConflict,
    StoreInfo,
)
from cffunc.config import Config, IPNetwork
from cffunc.deploy import (
    CONFLICT_RETRIES,
    Executor,
    Progress,
    Report,
    local_function,
    read_distributions,
    read_function,
    resolve_targets,
    wait_deployed,
)
from cffunc.errors import CffuncError
from cffunc.plan import (
    LocalFunction,
    Plan,
    RemoteDistribution,
    RemoteFunction,
    maintenance_state,
    plan_disable,
    plan_enable,
)
from cffunc.render import RenderedFunction
from cffunc.store import (
    NET_PREFIX,
    STATE_KEY,
    StoreError,
    StoreState,
    bucket_value,
    network_bucket,
    parse_networks,
    parse_state,
)

MAX_KEYS_PER_WRITE = 50


def created_comment(config: Config) -> str:
    """The comment ``install`` gives a store it creates; ``uninstall`` deletes only those."""
    return f"cffunc: maintenance switch of function {config.function.name}"[:128]


def existing_store(client: CloudFrontClient, config: Config, command: str) -> StoreInfo:
    """The config's store; CffuncError when it does not exist yet."""
    name = require_store_toggle(config, command)
    store = client.key_value_store(name)
    if store is None:
        raise CffuncError(
            f"no KeyValueStore named {name}: run `cffunc install` before `cffunc {command}`"
        )
    return store


def require_store_toggle(config: Config, command: str) -> str:
    name = config.store_name
    if name is None:
        raise CffuncError(
            f'cffunc {command} works with maintenance.toggle = "kvs"; {config.path} uses '
            '"association" (enable/disable associate the function instead)'
        )
    return name


class StoreWriter:
    """Conditional writes to one store, re-read and re-applied on a stale ETag."""

    def __init__(self, kv: KeyValueStoreClient, arn: str, progress: Progress) -> None:
        self.kv = kv
        self.arn = arn
        self.progress = progress
        self.conflicts = 0

    def change(
        self,
        keys: Iterable[str] | Callable[[], Iterable[str]],
        edit: Callable[[dict[str, str | None]], dict[str, str | None]],
    ) -> bool:
        """Read ``keys``, ask ``edit`` for their new values (None: delete), write the
        differences in one conditional write. Whether anything was written."""
        for _ in range(CONFLICT_RETRIES + 1):
            # The ETag first: a write by anyone after it makes ours fail, so nothing we
            # read below can be overwritten unseen.
            etag = self.kv.describe(self.arn).etag
            wanted_keys = list(keys() if callable(keys) else keys)
            current = {k: self.kv.get(self.arn, k) for k in wanted_keys}
            wanted = edit(dict(current))
            puts = {k: v for k, v in wanted.items() if v is not None and current.get(k) != v}
            deletes = [k for k, v in wanted.items() if v is None and current.get(k) is not None]
            if not puts and not deletes:
                return False
            try:
                self._write(etag, puts, deletes)
                return True
            except StoreConflict:
                self.conflicts += 1
                self.progress("the store changed meanwhile; reading it again")
        raise AwsError(
            f"the KeyValueStore kept changing while cffunc wrote it ({CONFLICT_RETRIES + 1} "
            "attempts); someone else is writing it: try again when they are done"
        )

    def _write(self, etag: str, puts: dict[str, str], deletes: list[str]) -> None:
        if len(puts) + len(deletes) == 1:
            if puts:
                key, value = next(iter(puts.items()))
                self.kv.put(self.arn, key, value, etag)
            else:
                self.kv.delete(self.arn, deletes[0], etag)
            return
        # Over 50 keys takes more than one write: not atomic, but each is conditional on
        # the last.
        items = [(k, v) for k, v in puts.items()] + [(k, None) for k in deletes]
        for start in range(0, len(items), MAX_KEYS_PER_WRITE):
            chunk = items[start : start + MAX_KEYS_PER_WRITE]
            etag = self.kv.update(
                self.arn,
                etag,
                {k: v for k, v in chunk if v is not None},
                [k for k, v in chunk if v is None],
            )


# ---- reading ----


@dataclass(frozen=True)
class Installation:
    """What the account has of a store-toggled setup."""

    name: str
    """The store's name (it may not exist yet)."""
    store: StoreInfo | None
    local: LocalFunction
    distributions: list[RemoteDistribution]

    @property
    def installed(self) -> bool:
        return self.store is not None and all(
            maintenance_state(self.local, d) == "on" for d in self.distributions
        )


def read_installation(
    client: CloudFrontClient, config: Config, local: LocalFunction, command: str
) -> Installation:
    """The store and the target distributions; ``local`` comes back naming the store."""
    name = require_store_toggle(config, command)
    store = client.key_value_store(name)
    local = replace(local, kvs_arn=store.arn if store else None)
    distributions = read_distributions(client, resolve_targets(client, config))
    return Installation(name, store, local, distributions)


def plan_install(
    client: CloudFrontClient, found: Installation
) -> tuple[LocalFunction, RemoteFunction, Plan]:
    """What ``install`` does to the function and the distributions, every refusal raised
    here (a store that does not exist yet is named by a placeholder ARN)."""
    local = found.local
    if found.store is None:
        placeholder = f"arn:aws:cloudfront::<account>:key-value-store/<{found.name}>"
        local = replace(local, kvs_arn=placeholder)
    remote = read_function(client, local)
    return local, remote, plan_enable(local, remote, found.distributions)


def check_installed(client: CloudFrontClient, found: Installation) -> StoreInfo:
    """The store, once the LIVE function reads it and every selected behavior runs the
    function; CffuncError otherwise (switching a store nothing reads would do nothing)."""
    name, store = found.local.name, found.store
    if store is None:
        raise CffuncError(f"no KeyValueStore named {found.name}: run `cffunc install` first")
    live = client.describe_function(name, "LIVE")
    if live is None or store.arn not in live.kvs_arns:
        raise CffuncError(
            f"the LIVE function {name} does not read the store {store.name}: "
            "run `cffunc install` first"
        )
    missing = [
        d.label or d.id for d in found.distributions if maintenance_state(found.local, d) != "on"
    ]
    if missing:
        raise CffuncError(
            f"{name} is not associated with every selected behavior of {', '.join(missing)}: "
            "run `cffunc install` first"
        )
    return store


def read_state(kv: KeyValueStoreClient, arn: str) -> StoreState | None:
    return parse_state(kv.get(arn, STATE_KEY))


# ---- install / uninstall ----


@dataclass
class InstallReport:
    done: list[str] = field(default_factory=list)
    distributions: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def install(
    client: CloudFrontClient,
    config: Config,
    rendered: RenderedFunction,
    progress: Progress,
) -> InstallReport:
    """Create the store if missing (maintenance off), associate it with the function,
    publish, and associate the function with the selected behaviors."""
    found = read_installation(client, config, local_function(config, rendered), "install")
    name = found.name
    # Every read and refusal before the first write. With a placeholder store ARN the
    # LIVE stage never holds the render, so `remote` has DEVELOPMENT too: it serves the
    # plan made again below with the real ARN.
    local, remote, plan = plan_install(client, found)
    report = InstallReport()
    store = found.store
    if store is None:
        progress(f"creating KeyValueStore {name}")
        store = client.create_key_value_store(name, created_comment(config))
        report.done.append(f"create KeyValueStore {name}")
        local = replace(local, kvs_arn=store.arn)
        plan = plan_enable(local, remote, found.distributions)
    writer = StoreWriter(client.key_value_store_client(), store.arn, progress)
    seen: dict[str, str | None] = {}

    def off_unless_set(current: dict[str, str | None]) -> dict[str, str | None]:
        seen.update(current)
        return {STATE_KEY: current[STATE_KEY] or StoreState(False).value()}

    if writer.change([STATE_KEY], off_unless_set):
        report.done.append(f"set {STATE_KEY} in {name}: maintenance off")
    else:
        state = parse_state(seen[STATE_KEY])
        if state is not None and state.on:
            report.notes.append(f"{name} says maintenance is ON (left as it is)")
    executed = Executor(client, progress).run(plan, local, remote)
    report.done.extend(executed.done)
    report.distributions = executed.touched
    return report


def uninstall(
    client: CloudFrontClient,
    config: Config,
    progress: Progress,
    timeout: float,
) -> InstallReport:
    """Reverse ``install``: remove the associations, delete the function, and delete the
    store if ``install`` created it (else remove only cffunc's keys from it)."""
    found = read_installation(client, config, local_function(config, None), "uninstall")
    name = found.name
    plan = plan_disable(found.local, found.distributions)
    report = InstallReport()
    executed: Report = Executor(client, progress).run(plan, found.local, RemoteFunction())
    report.done.extend(executed.done)
    report.distributions = executed.touched
    if executed.touched:
        # The function can go only once no deployed config uses it.
        wait_deployed(client, executed.touched, timeout, progress)
    function = config.function.name
    dev = client.describe_function(function, "DEVELOPMENT")
    if dev is not None:
        try:
            client.delete_function(function, dev.etag)
        except FunctionInUse:
            raise CffuncError(
                f"{function} is still associated with a distribution cffunc.toml does not name; "
                "remove it there and run `cffunc uninstall` again"
            ) from None
        report.done.append(f"delete function {function}")
    store = client.key_value_store(name)
    if store is None:
        return report
    if store.comment == created_comment(config):
        try:
            client.delete_key_value_store(name, store.etag)
        except InUse:
            raise CffuncError(
                f"KeyValueStore {name} is still associated with another function; "
                "remove that association and run `cffunc uninstall` again"
            ) from None
        report.done.append(f"delete KeyValueStore {name}")
        return report
    kv = client.key_value_store_client()
    writer = StoreWriter(kv, store.arn, progress)
    if writer.change(lambda: kv.keys(store.arn, "cffunc:"), lambda cur: {k: None for k in cur}):
        report.done.append(
            f"remove cffunc's keys from {name} (the store was not created by cffunc)"
        )
    return report


# ---- switching ----


def switch(
    client: CloudFrontClient,
    config: Config,
    state: StoreState,
    progress: Progress,
    check: bool,
) -> tuple[bool, StoreInfo, int]:
    """Write the state (on or off); ``check``: first make sure the install is in place.
    (whether it changed, the store, ETag conflicts met)."""
    command = "enable" if state.on else "disable"
    if check:
        found = read_installation(client, config, local_function(config, None), command)
        store = check_installed(client, found)
    else:
        store = existing_store(client, config, command)
    writer = StoreWriter(client.key_value_store_client(), store.arn, progress)
    value = state.value()
    changed = writer.change([STATE_KEY], lambda cur: {STATE_KEY: value})
    return changed, store, writer.conflicts


# ---- the allowlist in the store ----


def parse_cidrs(values: Sequence[str]) -> list[IPNetwork]:
    out = []
    for text in values:
        try:
            network = ipaddress.ip_network(text, strict=True)
        except ValueError as error:
            raise StoreError(f"{text}: not a network ({error}); e.g. 203.0.113.0/24") from None
        network_bucket(network)  # refuse networks wider than a bucket
        out.append(network)
    return out


def allow_change(
    client: CloudFrontClient,
    config: Config,
    networks: list[IPNetwork],
    add: bool,
    progress: Progress,
) -> bool:
    store = existing_store(client, config, "allow")
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

    writer = StoreWriter(client.key_value_store_client(), store.arn, progress)
    return writer.change(list(buckets), edit)


def allow_list(client: CloudFrontClient, config: Config) -> list[str]:
    store = existing_store(client, config, "allow")
    kv = client.key_value_store_client()
    return [
        str(n)
        for _, value in sorted(kv.keys(store.arn, NET_PREFIX).items())
        for n in parse_networks(value)
    ]


def store_status(
    client: CloudFrontClient, config: Config, now: datetime, store: StoreInfo | None
) -> dict[str, Any]:
    """The store's part of ``status`` (``store`` as already described, or None)."""
    name = config.store_name
    assert name is not None
    if store is None:
        return {"name": name, "exists": False, "state": "off", "networks": 0}
    kv = client.key_value_store_client()
    state = read_state(kv, store.arn)
    networks = sum(len(parse_networks(v)) for v in kv.keys(store.arn, NET_PREFIX).values())
    return {
        "name": name,
        "exists": True,
        "arn": store.arn,
        "state": "on" if state is not None and state.active(now) else "off",
        "describe": state.describe(now) if state else "off (no state)",
        "until": state.until.isoformat() if state and state.until else None,
        "reason": state.reason if state else None,
        "networks": networks,
    }
