"""Plan what publish/enable/disable/install change: pure data from (local render, remote state).

The planner never calls AWS. It takes what :mod:`cffunc.remote` (and a toggle) read and
returns a :class:`Plan`: the steps to take, each with the message a person reads, for the
KeyValueStore, the function and the distributions. ``cffunc plan`` prints it; the write
commands hand the same plan to :mod:`cffunc.apply`. The distribution and store edits are
pure functions too, re-applied to freshly read data when another writer got in between,
so the other writer's change is never lost.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from cffunc.config import Runtime
from cffunc.errors import CffuncError

VIEWER_EVENTS = ("viewer-request", "viewer-response")
Action = Literal["create", "update", "publish"]


StoreEdit = Callable[[dict[str, str | None]], dict[str, str | None]]
"""Current values of some keys (None: absent) -> the values wanted (None: delete)."""


class Refusal(CffuncError):
    """The change would break something it does not own; nothing is written."""


@dataclass(frozen=True)
class LocalFunction:
    name: str
    runtime: Runtime
    comment: str
    code: bytes | None
    """The rendered code; None where the command needs none (see deploy.local_function)."""
    events: tuple[str, ...]
    """viewer-request, plus viewer-response in rewrite mode."""
    origin: str | None = None
    kvs_arn: str | None = None
    """toggle = "kvs": the store the function must be associated with."""

    @property
    def rendered(self) -> bytes:
        """The code, for the steps that write it."""
        if self.code is None:
            raise ValueError(f"{self.name}: this command did not render the function")
        return self.code


@dataclass(frozen=True)
class RemoteFunction:
    """What the account has: ``None`` fields for a stage that does not exist."""

    live_etag: str | None = None
    live_runtime: str | None = None
    live_comment: str | None = None
    live_code: bytes | None = None
    dev_etag: str | None = None
    dev_runtime: str | None = None
    dev_comment: str | None = None
    dev_code: bytes | None = None
    arn: str | None = None
    live_kvs: tuple[str, ...] = ()
    dev_kvs: tuple[str, ...] = ()


@dataclass(frozen=True)
class RemoteDistribution:
    id: str
    config: dict[str, Any]
    etag: str
    behaviors: tuple[str, ...] | None
    """The configured behavior patterns; None for every behavior."""
    label: str = ""
    """How the config names it (id, or the alias)."""


@dataclass(frozen=True)
class BehaviorChange:
    behavior: str
    event: str
    change: Literal["add", "remove"]


@dataclass(frozen=True)
class FunctionStep:
    action: Action
    message: str


@dataclass(frozen=True)
class DistributionStep:
    distribution: RemoteDistribution
    edit: Literal["associate", "disassociate"]
    changes: tuple[BehaviorChange, ...]
    message: str


@dataclass(frozen=True)
class StoreStep:
    """A KeyValueStore change: create the store, or one conditional write of some keys."""

    action: Literal["create", "write"]
    store: str
    """The store's name."""
    message: str
    arn: str | None = None
    """write: the store's ARN; None for the store an earlier step of the plan creates."""
    keys: tuple[str, ...] = ()
    """write: the keys ``edit`` reads (read again before a re-applied write)."""
    edit: StoreEdit | None = None
    comment: str = ""
    """create: the store's comment."""


@dataclass(frozen=True)
class Plan:
    """The steps, run in this order: store steps, function steps, distribution steps.

    ``local`` and ``remote`` are what the plan was made from: the function it writes and
    the ETags it read, so that the executor needs nothing else."""

    function_steps: tuple[FunctionStep, ...] = ()
    distribution_steps: tuple[DistributionStep, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)
    store_steps: tuple[StoreStep, ...] = ()
    local: LocalFunction | None = None
    remote: RemoteFunction = field(default_factory=lambda: RemoteFunction())

    @property
    def empty(self) -> bool:
        return not self.store_steps and not self.function_steps and not self.distribution_steps

    def messages(self) -> list[str]:
        return (
            [s.message for s in self.store_steps]
            + [s.message for s in self.function_steps]
            + [s.message for s in self.distribution_steps]
        )


# ---- the function ----


def plan_function(local: LocalFunction, remote: RemoteFunction) -> tuple[FunctionStep, ...]:
    """Create/update DEVELOPMENT and publish LIVE, or nothing when LIVE already matches."""
    if holds_render(
        local, remote.live_code, remote.live_runtime, remote.live_comment, remote.live_kvs
    ):
        return ()
    size = f"{len(local.rendered):,} bytes, {local.runtime}"
    if remote.dev_etag is None:
        return (
            FunctionStep("create", f"create function {local.name} ({size})"),
            FunctionStep("publish", f"publish {local.name} to LIVE"),
        )
    if not holds_render(
        local, remote.dev_code, remote.dev_runtime, remote.dev_comment, remote.dev_kvs
    ):
        return (
            FunctionStep("update", f"update function {local.name} DEVELOPMENT ({size})"),
            FunctionStep("publish", f"publish {local.name} to LIVE"),
        )
    return (
        FunctionStep(
            "publish", f"publish {local.name} to LIVE (DEVELOPMENT already holds the code)"
        ),
    )


def holds_render(
    local: LocalFunction,
    code: bytes | None,
    runtime: str | None,
    comment: str | None,
    kvs_arns: tuple[str, ...] = (),
) -> bool:
    """Whether a stage with this code, runtime, comment and store is the local render."""
    return (
        local.code is not None
        and code == local.code
        and runtime == local.runtime
        and (comment or "") == local.comment
        and kvs_arns == ((local.kvs_arn,) if local.kvs_arn else ())
    )


# ---- associations ----


def is_ours(arn: str | None, name: str) -> bool:
    return bool(arn) and str(arn).endswith(f":function/{name}")


def behaviors_of(config: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    yield "*", config["DefaultCacheBehavior"]
    for behavior in (config.get("CacheBehaviors") or {}).get("Items") or []:
        yield behavior["PathPattern"], behavior


def selected(distribution: RemoteDistribution) -> list[tuple[str, dict[str, Any]]]:
    present = dict(behaviors_of(distribution.config))
    if distribution.behaviors is None:
        return list(present.items())
    missing = [p for p in distribution.behaviors if p not in present]
    if missing:
        raise Refusal(
            f"distribution {distribution.label or distribution.id} has no cache behavior "
            f"{', '.join(repr(m) for m in missing)}; its behaviors are "
            f"{', '.join(repr(p) for p in present)} (fix distributions.behaviors)"
        )
    return [(p, present[p]) for p in distribution.behaviors]


def _items(block: dict[str, Any] | None) -> list[dict[str, Any]]:
    return list((block or {}).get("Items") or [])


def _set_items(behavior: dict[str, Any], key: str, items: list[dict[str, Any]]) -> None:
    # An empty list is written back as AWS returns it: Quantity 0 and no Items.
    behavior[key] = {"Quantity": len(items), "Items": items} if items else {"Quantity": 0}


def check_enable(local: LocalFunction, distribution: RemoteDistribution) -> None:
    """Refuse, naming behavior and ARN, where enabling would displace someone else's code."""
    label = distribution.label or distribution.id
    for pattern, behavior in selected(distribution):
        for item in _items(behavior.get("FunctionAssociations")):
            if item.get("EventType") in local.events and not is_ours(
                item.get("FunctionARN"), local.name
            ):
                raise Refusal(
                    f"distribution {label}, behavior {pattern!r}: {item['EventType']} already runs "
                    f"{item['FunctionARN']}; remove it or leave this behavior out of "
                    "distributions.behaviors"
                )
        for item in _items(behavior.get("LambdaFunctionAssociations")):
            if item.get("EventType") in VIEWER_EVENTS:
                raise Refusal(
                    f"distribution {label}, behavior {pattern!r}: Lambda@Edge "
                    f"{item.get('LambdaFunctionARN')} runs on {item['EventType']}, and CloudFront "
                    "does not allow a CloudFront Function beside it on viewer events; "
                    "leave this behavior out"
                )
    if local.origin is not None:
        origins = [o.get("Id") for o in _items(distribution.config.get("Origins"))]
        origins += [g.get("Id") for g in _items(distribution.config.get("OriginGroups"))]
        if local.origin not in origins:
            raise Refusal(
                f"distribution {label} has no origin {local.origin!r} (maintenance.origin); "
                f"its origins are {', '.join(repr(o) for o in origins)}"
            )


def associate(
    config: dict[str, Any], local: LocalFunction, arn: str, patterns: Sequence[str] | None
) -> dict[str, Any]:
    """``config`` with our function on every selected behavior's events (pure)."""
    new = copy.deepcopy(config)
    for pattern, behavior in behaviors_of(new):
        if patterns is not None and pattern not in patterns:
            continue
        items = _items(behavior.get("FunctionAssociations"))
        missing = [
            event
            for event in local.events
            if not any(
                i.get("EventType") == event and is_ours(i.get("FunctionARN"), local.name)
                for i in items
            )
        ]
        if missing:
            _set_items(
                behavior,
                "FunctionAssociations",
                items + [{"FunctionARN": arn, "EventType": e} for e in missing],
            )
    return new if new != config else config


def disassociate(config: dict[str, Any], name: str) -> dict[str, Any]:
    """``config`` without any association of our function, everything else as it was."""
    new = copy.deepcopy(config)
    for _, behavior in behaviors_of(new):
        items = _items(behavior.get("FunctionAssociations"))
        kept = [i for i in items if not is_ours(i.get("FunctionARN"), name)]
        if len(kept) != len(items):
            _set_items(behavior, "FunctionAssociations", kept)
    return new if new != config else config


def changes_between(
    before: dict[str, Any], after: dict[str, Any], name: str
) -> tuple[BehaviorChange, ...]:
    def ours(config: dict[str, Any]) -> set[tuple[str, str]]:
        return {
            (pattern, item["EventType"])
            for pattern, behavior in behaviors_of(config)
            for item in _items(behavior.get("FunctionAssociations"))
            if is_ours(item.get("FunctionARN"), name)
        }

    old, new = ours(before), ours(after)
    added = [BehaviorChange(p, e, "add") for p, e in sorted(new - old)]
    removed = [BehaviorChange(p, e, "remove") for p, e in sorted(old - new)]
    return tuple(added + removed)


def maintenance_state(local: LocalFunction, distribution: RemoteDistribution) -> str:
    """on (every selected behavior runs us on every event), off (none), or partial."""
    wanted = [(p, e) for p, _ in selected(distribution) for e in local.events]
    present = {
        (pattern, item.get("EventType"))
        for pattern, behavior in behaviors_of(distribution.config)
        for item in _items(behavior.get("FunctionAssociations"))
        if is_ours(item.get("FunctionARN"), local.name)
    }
    found = sum(1 for w in wanted if w in present)
    return "on" if found == len(wanted) else "off" if not present else "partial"


def _distribution_steps(
    local: LocalFunction,
    distributions: Sequence[RemoteDistribution],
    edit: Literal["associate", "disassociate"],
    after: Callable[[RemoteDistribution], dict[str, Any]],
    verb: str,
) -> tuple[DistributionStep, ...]:
    """A step for each distribution the edit changes, saying which behaviors and events."""
    steps = []
    for distribution in distributions:
        changes = changes_between(distribution.config, after(distribution), local.name)
        if changes:
            where = ", ".join(f"{c.behavior} {c.event}" for c in changes)
            message = f"{verb} {distribution.label or distribution.id}: {where}"
            steps.append(DistributionStep(distribution, edit, changes, message))
    return tuple(steps)


def plan_enable(
    local: LocalFunction, remote: RemoteFunction, distributions: Sequence[RemoteDistribution]
) -> Plan:
    for distribution in distributions:
        check_enable(local, distribution)
    arn = remote.arn or f"arn:aws:cloudfront::<account>:function/{local.name}"
    steps = _distribution_steps(
        local,
        distributions,
        "associate",
        lambda d: associate(d.config, local, arn, d.behaviors),
        f"associate {local.name} with",
    )
    return Plan(plan_function(local, remote), steps, local=local, remote=remote)


def plan_disable(local: LocalFunction, distributions: Sequence[RemoteDistribution]) -> Plan:
    steps = _distribution_steps(
        local,
        distributions,
        "disassociate",
        lambda d: disassociate(d.config, local.name),
        f"remove {local.name} from",
    )
    return Plan((), steps, local=local)


def plan_publish(local: LocalFunction, remote: RemoteFunction) -> Plan:
    return Plan(plan_function(local, remote), (), local=local, remote=remote)


def plan_json(plan: Plan) -> dict[str, Any]:
    return {
        "changes": not plan.empty,
        "store": [
            {"action": s.action, "store": s.store, "keys": list(s.keys), "message": s.message}
            for s in plan.store_steps
        ],
        "function": [{"action": s.action, "message": s.message} for s in plan.function_steps],
        "distributions": [
            {
                "id": s.distribution.id,
                "edit": s.edit,
                "changes": [
                    {"behavior": c.behavior, "event": c.event, "change": c.change}
                    for c in s.changes
                ],
                "message": s.message,
            }
            for s in plan.distribution_steps
        ],
    }
