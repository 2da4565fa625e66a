"""Plan what every command changes: pure data from (local render, remote state).

The planner never calls AWS. It takes what :mod:`cffunc.deploy.reads` (and a toggle) read and
returns a :class:`Plan`: the steps to take, each with the message a person reads, for the
KeyValueStore, the function, the distributions, and what ``destroy`` and ``uninstall``
delete. ``cffunc plan`` prints it; the write
commands hand the same plan to :mod:`cffunc.deploy.apply`. The distribution and store edits are
pure functions too, re-applied to freshly read data when another writer got in between,
so the other writer's change is never lost.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from cffunc.config.load import Runtime
from cffunc.errors import CffuncError
from cffunc.function.compose import composed_prefix

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
    """The store the function must be associated with (toggle = "kvs", or a composition
    keeping the store of the function it composes with)."""
    compose: bool = True
    """Compose with a foreign function on a slot (maintenance.compose), else refuse."""
    tenants: bool = False
    """The function scopes maintenance by distribution tenant (maintenance.tenants or
    tenant_scopes): only a multi-tenant distribution has tenants."""

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
    arn: str = ""
    record: frozenset[str] | None = None
    """The slots an earlier enable added cffunc's function on (read from the
    distribution's tags, see :func:`decode_record`); None when there is no record."""
    status: str = ""
    """Deployed or InProgress, as read with the config ("" when not read)."""
    via_tenants: tuple[str, ...] = ()
    """The tenants whose domains selected it (a multi-tenant distribution found by alias)."""

    @property
    def multi_tenant(self) -> bool:
        """A multi-tenant distribution (ConnectionMode tenant-only): its tenants carry the
        domains, and a function associated with it runs for every one of them."""
        return self.config.get("ConnectionMode") == "tenant-only"


@dataclass(frozen=True)
class BehaviorChange:
    behavior: str
    event: str
    change: Literal["add", "remove"]
    function: str = ""
    """The function added or removed there (cffunc's, or a composition of it)."""


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
    prefix: str | None = None
    """write: ``edit`` also reads every key under this prefix (listed again each time)."""
    edit: StoreEdit | None = None
    comment: str = ""
    """create: the store's comment."""


@dataclass(frozen=True)
class DeleteStep:
    """Delete a function or a store, or cffunc's keys from a store it did not create."""

    kind: Literal["function", "store", "keys"]
    name: str
    """The function's or the store's name."""
    message: str
    etag: str = ""
    """function, store: the ETag read when planning (the delete is conditional on it)."""
    arn: str = ""
    """keys: the store's ARN."""
    in_use: str | None = None
    """The error when it is still in use; None: keep it and go on (a composition another
    distribution still runs)."""


@dataclass(frozen=True)
class Plan:
    """The steps, run in this order: store steps, function steps, distribution steps,
    delete steps.

    ``local`` and ``remote`` are what the plan was made from: the function it writes and
    the ETags it read, so that the executor needs nothing else."""

    function_steps: tuple[FunctionStep, ...] = ()
    distribution_steps: tuple[DistributionStep, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)
    store_steps: tuple[StoreStep, ...] = ()
    local: LocalFunction | None = None
    remote: RemoteFunction = field(default_factory=lambda: RemoteFunction())
    compositions: tuple[CompositionPlan, ...] = ()
    """Composed functions, published after cffunc's own and before the distributions."""
    restore: dict[str, str] = field(default_factory=dict)
    """disable: composed ARN -> the foreign ARN to put back."""
    delete_steps: tuple[DeleteStep, ...] = ()

    @property
    def empty(self) -> bool:
        return (
            not self.store_steps
            and not self.function_steps
            and not any(c.steps for c in self.compositions)
            and not self.distribution_steps
            and not self.delete_steps
        )

    def messages(self) -> list[str]:
        return (
            [s.message for s in self.store_steps]
            + [s.message for s in self.function_steps]
            + [s.message for c in self.compositions for s in c.steps]
            + [s.message for s in self.distribution_steps]
            + [s.message for s in self.delete_steps]
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


def plan_development(local: LocalFunction, remote: RemoteFunction) -> Plan:
    """Put the local render on DEVELOPMENT (for TestFunction), leaving LIVE as it is;
    nothing when DEVELOPMENT holds it already."""
    if remote.dev_etag is None:
        step = FunctionStep("create", f"create {local.name} in DEVELOPMENT to test it")
    elif not holds_render(
        local, remote.dev_code, remote.dev_runtime, remote.dev_comment, remote.dev_kvs
    ):
        step = FunctionStep(
            "update",
            f"update {local.name} DEVELOPMENT to the local render to test it (LIVE is untouched)",
        )
    else:
        return Plan(local=local, remote=remote)
    return Plan((step,), local=local, remote=remote)


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

RECORD_PREFIX = "cffunc:"
TAG_VALUE_LIMIT = 256
_EVENT_LETTER = {"viewer-request": "q", "viewer-response": "s"}


def slot_token(pattern: str, event: str) -> str:
    """A slot (behavior, event) as a tag value can hold it: tag values take letters,
    digits and few symbols, path patterns have ``*``; so a digest of the pattern."""
    digest = hashlib.sha256(pattern.encode("utf-8")).hexdigest()[:10]
    return digest + _EVENT_LETTER.get(event, "x")


def record_keys(name: str, tags: Mapping[str, str]) -> list[str]:
    key = RECORD_PREFIX + name
    return [k for k in tags if k == key or k.startswith(key + ":")]


def decode_record(name: str, tags: Mapping[str, str]) -> frozenset[str] | None:
    """The slots enable added cffunc's function on, from the distribution's tags
    ``cffunc:<name>`` (and ``cffunc:<name>:2``... when one value is not enough)."""
    keys = record_keys(name, tags)
    if not keys:
        return None
    return frozenset(token for k in keys for token in tags[k].split())


RECORD_TAGS = 10
"""Tags a record may span (10 x 256 characters: about 200 slots)."""


def record_tag_keys(name: str) -> list[str]:
    """Every tag key a record of ``name`` may use (to drop it whole)."""
    key = RECORD_PREFIX + name
    return [key, *(f"{key}:{i}" for i in range(2, RECORD_TAGS + 1))]


def encode_record(name: str, tokens: frozenset[str]) -> dict[str, str]:
    """Tags holding ``tokens``: values of at most 256 characters, space-separated."""
    values: list[str] = []
    for token in sorted(tokens):
        if values and len(values[-1]) + 1 + len(token) <= TAG_VALUE_LIMIT:
            values[-1] += " " + token
        else:
            values.append(token)
    key = RECORD_PREFIX + name
    return {(key if i == 0 else f"{key}:{i + 1}"): v for i, v in enumerate(values or [""])}


def sibling_arn(arn: str, name: str) -> str:
    """The ARN of the function ``name`` in the account of the function ``arn``."""
    return arn.rsplit("/", 1)[0] + "/" + name


def function_name(arn: str | None) -> str:
    return str(arn or "").rsplit("/", 1)[-1] if ":function/" in str(arn or "") else ""


def is_ours(arn: str | None, name: str) -> bool:
    """The ARN of cffunc's function or of one of its compositions (``<name>--<other>``,
    see :mod:`cffunc.function.compose`)."""
    found = function_name(arn)
    return bool(found) and (found == name or found.startswith(composed_prefix(name)))


def is_composition(arn: str | None, name: str) -> bool:
    return is_ours(arn, name) and function_name(arn) != name


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


def foreign_slots(
    local: LocalFunction, distributions: Sequence[RemoteDistribution]
) -> dict[str, tuple[str, ...]]:
    """Foreign CloudFront Functions on the slots cffunc needs: ARN -> the events it sits
    on there (what a composition with it must cover), in the order first met."""
    found: dict[str, list[str]] = {}
    for distribution in distributions:
        for _, behavior in selected(distribution):
            for item in _items(behavior.get("FunctionAssociations")):
                arn, event = item.get("FunctionARN"), item.get("EventType")
                if event in local.events and arn and not is_ours(arn, local.name):
                    events = found.setdefault(str(arn), [])
                    if event not in events:
                        events.append(str(event))
    return {arn: tuple(e for e in VIEWER_EVENTS if e in events) for arn, events in found.items()}


def composition_slots(
    local: LocalFunction, distributions: Sequence[RemoteDistribution]
) -> dict[str, tuple[str, ...]]:
    """Compositions of ours already on the slots cffunc needs: ARN -> the events."""
    found: dict[str, set[str]] = {}
    for distribution in distributions:
        for _, behavior in selected(distribution):
            for item in _items(behavior.get("FunctionAssociations")):
                arn, event = str(item.get("FunctionARN")), str(item.get("EventType"))
                if event in local.events and is_composition(arn, local.name):
                    found.setdefault(arn, set()).add(event)
    return {arn: tuple(e for e in VIEWER_EVENTS if e in events) for arn, events in found.items()}


def compositions_anywhere(
    local: LocalFunction, distributions: Sequence[RemoteDistribution]
) -> list[str]:
    """Every composition of ours on any behavior of these distributions (disable puts
    back the foreign function wherever one is, selected or not)."""
    return sorted(
        {
            str(item.get("FunctionARN"))
            for distribution in distributions
            for _, behavior in behaviors_of(distribution.config)
            for item in _items(behavior.get("FunctionAssociations"))
            if is_composition(item.get("FunctionARN"), local.name)
        }
    )


def check_enable(local: LocalFunction, distribution: RemoteDistribution) -> None:
    """Refuse, naming behavior and ARN, where enabling would displace someone else's code:
    a foreign function when composing is off, a Lambda@Edge viewer function, a missing
    origin; and a tenant scope on a standard distribution, where it would cover nothing."""
    label = distribution.label or distribution.id
    # ConnectionMode "tenant-only" marks a multi-tenant distribution; absent or "direct", a
    # standard one, where cf.distributionTenant throws "distributionTenant module is not
    # available" (saas-specific-logic-function-code.html): no request there has a tenant.
    if local.tenants and distribution.config.get("ConnectionMode") != "tenant-only":
        raise Refusal(
            f"distribution {label} is a standard distribution: it has no tenants "
            "(cf.distributionTenant does not exist there), so a tenant scope would cover none "
            "of its requests; remove maintenance.tenants and tenant_scopes, or select a "
            "multi-tenant distribution"
        )
    for pattern, behavior in selected(distribution):
        for item in _items(behavior.get("FunctionAssociations")):
            if (
                not local.compose
                and item.get("EventType") in local.events
                and not is_ours(item.get("FunctionARN"), local.name)
            ):
                raise Refusal(
                    f"distribution {label}, behavior {pattern!r}: {item['EventType']} already runs "
                    f"{item['FunctionARN']}; remove it, leave this behavior out of "
                    "distributions.behaviors, or let cffunc compose with it "
                    "(maintenance.compose = true)"
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
    config: dict[str, Any],
    local: LocalFunction,
    arn: str,
    patterns: Sequence[str] | None,
    compositions: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """``config`` with our function on every selected behavior's events (pure): added to
    an empty slot, or, where a foreign function sits, its ARN replaced in place by the
    ARN of the composition with it (``compositions``: foreign ARN -> composed ARN)."""
    new = copy.deepcopy(config)
    for pattern, behavior in behaviors_of(new):
        if patterns is not None and pattern not in patterns:
            continue
        items = _items(behavior.get("FunctionAssociations"))
        changed = False
        for item in items:
            replacement = (compositions or {}).get(str(item.get("FunctionARN")))
            if item.get("EventType") in local.events and replacement is not None:
                item["FunctionARN"] = replacement
                changed = True
        present = {i.get("EventType") for i in items}
        missing = [event for event in local.events if event not in present]
        if missing or changed:
            _set_items(
                behavior,
                "FunctionAssociations",
                items + [{"FunctionARN": arn, "EventType": e} for e in missing],
            )
    return new if new != config else config


def disassociate(
    config: dict[str, Any],
    name: str,
    restore: Mapping[str, str] | None = None,
    only: frozenset[str] | None = None,
) -> dict[str, Any]:
    """``config`` without our function: its associations removed, and each composition
    replaced in place by the foreign ARN it was made from (``restore``: composed ARN ->
    foreign ARN), so enable-then-disable gives back the config field for field. ``only``:
    the slots enable recorded adding it on (one it was on before enable stays)."""
    new = copy.deepcopy(config)
    for pattern, behavior in behaviors_of(new):
        items = _items(behavior.get("FunctionAssociations"))
        kept = []
        for item in items:
            arn = str(item.get("FunctionARN"))
            recorded = only is None or slot_token(pattern, str(item.get("EventType"))) in only
            if not is_ours(arn, name) or not recorded:
                kept.append(item)
            elif is_composition(arn, name):
                if arn not in (restore or {}):
                    raise Refusal(
                        f"{function_name(arn)} is a composition of {name}, but the function it "
                        "was composed with is not known (its comment was changed, or it was "
                        "deleted); put that function back on the behavior by hand"
                    )
                kept.append({**item, "FunctionARN": (restore or {})[arn]})
        if kept != items:
            _set_items(behavior, "FunctionAssociations", kept)
    return new if new != config else config


def _ours_on(config: dict[str, Any], name: str) -> dict[tuple[str, str], str]:
    return {
        (pattern, str(item["EventType"])): function_name(item.get("FunctionARN"))
        for pattern, behavior in behaviors_of(config)
        for item in _items(behavior.get("FunctionAssociations"))
        if is_ours(item.get("FunctionARN"), name)
    }


def changes_between(
    before: dict[str, Any], after: dict[str, Any], name: str
) -> tuple[BehaviorChange, ...]:
    old, new = _ours_on(before, name), _ours_on(after, name)
    added = [BehaviorChange(p, e, "add", new[(p, e)]) for p, e in sorted(new.keys() - old.keys())]
    removed = [
        BehaviorChange(p, e, "remove", old[(p, e)]) for p, e in sorted(old.keys() - new.keys())
    ]
    return tuple(added + removed)


def maintenance_state(local: LocalFunction, distribution: RemoteDistribution) -> str:
    """on (every selected behavior runs us, alone or composed, on every event), off
    (none), or partial."""
    wanted = [(p, e) for p, _ in selected(distribution) for e in local.events]
    present = _ours_on(distribution.config, local.name)
    found = sum(1 for w in wanted if w in present)
    return "on" if found == len(wanted) else "off" if not present else "partial"


def _distribution_steps(
    local: LocalFunction,
    distributions: Sequence[RemoteDistribution],
    edit: Literal["associate", "disassociate"],
    after: Callable[[RemoteDistribution], dict[str, Any]],
    verb: str,
    restore: Mapping[str, str] | None = None,
) -> tuple[DistributionStep, ...]:
    """A step for each distribution the edit changes, saying which behaviors and events
    (and, for a composition, which function it stands for or gives the slot back to)."""
    back = {function_name(k): function_name(v) for k, v in (restore or {}).items()}

    def where(change: BehaviorChange) -> str:
        text = f"{change.behavior} {change.event}"
        if not change.function or change.function == local.name:
            return text
        if change.change == "remove" and change.function in back:
            return f"{text} (back to {back[change.function]})"
        return f"{text} (as {change.function})"

    steps = []
    for distribution in distributions:
        changes = changes_between(distribution.config, after(distribution), local.name)
        if changes:
            where_text = ", ".join(where(c) for c in changes)
            message = f"{verb} {distribution.label or distribution.id}: {where_text}"
            steps.append(DistributionStep(distribution, edit, changes, message))
    return tuple(steps)


@dataclass(frozen=True)
class CompositionPlan:
    """A composed function to publish for a foreign one on cffunc's slots."""

    foreign_arn: str
    local: LocalFunction
    """The composed function (its code, runtime, comment and store)."""
    remote: RemoteFunction
    steps: tuple[FunctionStep, ...]
    foreign_bytes: int = 0

    @property
    def arn(self) -> str:
        # A composition lives in the account of the function it composes with.
        return sibling_arn(self.foreign_arn, self.local.name)


def plan_composition(
    foreign_arn: str, local: LocalFunction, remote: RemoteFunction, foreign_bytes: int = 0
) -> CompositionPlan:
    steps = plan_function(local, remote)
    if steps:
        foreign = function_name(foreign_arn)
        first = steps[0]
        steps = (
            FunctionStep(
                first.action,
                first.message.replace(" (", f" (composed with {foreign}, ", 1),
            ),
            *steps[1:],
        )
    return CompositionPlan(foreign_arn, local, remote, steps, foreign_bytes)


def plan_enable(
    local: LocalFunction,
    remote: RemoteFunction,
    distributions: Sequence[RemoteDistribution],
    compositions: Sequence[CompositionPlan] = (),
) -> Plan:
    for distribution in distributions:
        check_enable(local, distribution)
    missing = set(foreign_slots(local, distributions)) - {c.foreign_arn for c in compositions}
    if missing:
        raise Refusal(f"no composition planned for {', '.join(sorted(missing))}")
    arn = remote.arn or f"arn:aws:cloudfront::<account>:function/{local.name}"
    replace_map = {c.foreign_arn: c.arn for c in compositions}
    steps = _distribution_steps(
        local,
        distributions,
        "associate",
        lambda d: associate(d.config, local, arn, d.behaviors, replace_map),
        f"associate {local.name} with",
    )
    return Plan(
        plan_function(local, remote),
        steps,
        local=local,
        remote=remote,
        compositions=tuple(compositions),
    )


def plan_disable(
    local: LocalFunction,
    distributions: Sequence[RemoteDistribution],
    restore: Mapping[str, str] | None = None,
) -> Plan:
    steps = _distribution_steps(
        local,
        distributions,
        "disassociate",
        lambda d: disassociate(d.config, local.name, restore, d.record),
        f"remove {local.name} from",
        restore,
    )
    return Plan((), steps, local=local, restore=dict(restore or {}))


def plan_publish(local: LocalFunction, remote: RemoteFunction) -> Plan:
    return Plan(plan_function(local, remote), (), local=local, remote=remote)


def plan_json(plan: Plan) -> dict[str, Any]:
    return {
        "changes": not plan.empty,
        "notes": list(plan.notes),
        "store": [
            {
                "action": s.action,
                "store": s.store,
                "keys": list(s.keys) + ([f"{s.prefix}*"] if s.prefix else []),
                "message": s.message,
            }
            for s in plan.store_steps
        ],
        "function": [{"action": s.action, "message": s.message} for s in plan.function_steps],
        "compositions": [
            {
                "name": c.local.name,
                "foreign": function_name(c.foreign_arn),
                "foreign_arn": c.foreign_arn,
                "runtime": c.local.runtime,
                "bytes": len(c.local.code or b""),
                "foreign_bytes": c.foreign_bytes,
                "function": [{"action": s.action, "message": s.message} for s in c.steps],
            }
            for c in plan.compositions
        ],
        "delete": [
            {"kind": s.kind, "name": s.name, "message": s.message} for s in plan.delete_steps
        ],
        "distributions": [
            {
                "id": s.distribution.id,
                "edit": s.edit,
                "changes": [
                    {
                        "behavior": c.behavior,
                        "event": c.event,
                        "change": c.change,
                        "function": c.function,
                    }
                    for c in s.changes
                ],
                "message": s.message,
            }
            for s in plan.distribution_steps
        ],
    }
