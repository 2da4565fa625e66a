"""Which distributions a config selects: by id, by one alias, or a fleet by patterns and tags.

``[[distributions]]`` entries name a distribution (``id``, or ``alias``: the one that lists
that alternate domain name) or select a fleet: ``aliases`` patterns, ``tags``, or both
(a distribution must then match both). Patterns are alternate domain names as CloudFront
writes them: an exact name, or ``*.example.com``, which stands for every name below
example.com at any depth and not example.com itself, as a wildcard alias does
(https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/alternate-domain-names-wildcard.html).
A distribution matches when one of its aliases is the exact name, or lies below the
wildcard (a wildcard alias such as ``*.shop.example.com`` lies below ``*.example.com``).

A multi-tenant distribution (``ConnectionMode`` ``tenant-only``) has no aliases: "you
specify your domain name (alias) at the distribution tenant level"
(https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/distribution-config-options.html).
So alias selection also walks the account's distribution tenants: a tenant's domain that
matches selects the tenant's multi-tenant distribution, where function associations live
(tenants have no cache behaviors of their own), so the function then runs for every
tenant of it. The selection says which tenant brought it in, and ``plan`` says so.
Tags are the distribution's own (ListTagsForResource, one call per distribution: the API
has no filter by tag), read a few at a time.

Selecting reads only (ListDistributions, ListDistributionTenants, ListTagsForResource) and
happens before any write, with every other check: an entry that matches nothing stops a
write command before its first write, and is a warning in ``plan`` and ``status``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from cffunc.config.load import Config, DistributionTarget
from cffunc.deploy.awsclient import AwsError, CloudFrontClient, DistributionSummary, TenantInfo
from cffunc.deploy.parallel import DEFAULT_CONCURRENCY, map_all
from cffunc.errors import CffuncError

MULTI_TENANT = "tenant-only"


class SelectionError(CffuncError):
    """The config's [[distributions]] select nothing usable, or --distribution names one
    they do not select."""


@dataclass(frozen=True)
class Target:
    """A selected distribution, with what the selection already read of it."""

    id: str
    behaviors: tuple[str, ...] | None
    label: str
    """How messages name it: the id, with the alias or tenant that selected it."""
    entry: int = 0
    """The index of the [[distributions]] entry that selected it."""
    arn: str = ""
    status: str = ""
    """Deployed or InProgress, from the listing ("" when selected by id: not read)."""
    tags: tuple[tuple[str, str], ...] | None = None
    """Its tags, when selecting read them (None: not read)."""
    tenants: tuple[str, ...] = ()
    """Tenants whose domain matched the entry's aliases (multi-tenant distributions)."""
    multi_tenant: bool = False


@dataclass(frozen=True)
class Selection:
    targets: tuple[Target, ...]
    unmatched: tuple[str, ...] = ()
    """The fleet entries that matched no distribution, described."""

    def warnings(self) -> list[str]:
        return [f"{entry} matches no distribution" for entry in self.unmatched]


def alias_matches(pattern: str, name: str) -> bool:
    """Whether the alias (or tenant domain) ``name`` is selected by ``pattern``: the same
    name, or, for ``*.example.com``, a name or wildcard alias below example.com."""
    pattern, name = pattern.lower(), name.lower().removesuffix(".")
    if not pattern.startswith("*."):
        return name == pattern
    below = pattern[1:]  # ".example.com"
    if name.startswith("*."):
        return name == pattern or name[1:].endswith(below)
    return name.endswith(below)


def describe(index: int, entry: DistributionTarget) -> str:
    return f"distributions[{index}] ({entry.describe()})"


class _Account:
    """What selecting reads, each at most once: the listing, the tenants, the tags."""

    def __init__(self, client: CloudFrontClient, config: Config, concurrency: int) -> None:
        self.client = client
        self.concurrency = concurrency
        entries = config.distributions
        listed = any(e.alias is not None or e.fleet for e in entries)
        self.summaries: list[DistributionSummary] = (
            client.distribution_summaries() if listed else []
        )
        by_alias = any(e.alias is not None or e.aliases is not None for e in entries)
        multi = any(s.connection_mode == MULTI_TENANT for s in self.summaries)
        self.tenants: list[TenantInfo] = client.tenants_of(None) if by_alias and multi else []
        self._tags: dict[str, tuple[tuple[str, str], ...]] = {}

    def tags(self, summaries: Sequence[DistributionSummary]) -> None:
        """Read the tags of these distributions (those not read yet), a few at a time."""
        wanted = [s for s in summaries if s.arn not in self._tags]
        read = map_all(wanted, lambda s: self.client.tags(s.arn), self.concurrency)
        for summary, tags in zip(wanted, read, strict=True):
            self._tags[summary.arn] = tuple(sorted(tags.items()))

    def tags_of(self, summary: DistributionSummary) -> tuple[tuple[str, str], ...]:
        return self._tags[summary.arn]


def _exact_alias(account: _Account, index: int, entry: DistributionTarget) -> Target:
    """The one distribution that lists ``entry.alias`` (or whose tenant has it as a
    domain); an error when none or several do."""
    alias = str(entry.alias)
    listed = [s for s in account.summaries if alias.lower() in (a.lower() for a in s.aliases)]
    tenants = [t for t in account.tenants if alias.lower() in (d.lower() for d in t.domains)]
    ids = list(dict.fromkeys([s.id for s in listed] + [t.distribution_id for t in tenants]))
    if not ids:
        raise AwsError(
            f"alias {alias}: no distribution lists it in Aliases, nor a distribution tenant "
            "in its domains; give the distribution id instead"
        )
    if len(ids) > 1:
        raise AwsError(
            f"alias {alias}: {len(ids)} distributions ({', '.join(ids)}) list it; give the "
            "distribution id instead"
        )
    summary = next(s for s in account.summaries if s.id == ids[0])
    if tenants:
        return _target(
            summary, entry, index, f"{summary.id} (tenant {tenants[0].name}: {alias})",
            (tenants[0].name,),
        )  # fmt: skip
    return _target(summary, entry, index, f"{summary.id} ({alias})")


def _target(
    summary: DistributionSummary,
    entry: DistributionTarget,
    index: int,
    label: str,
    tenants: tuple[str, ...] = (),
    tags: tuple[tuple[str, str], ...] | None = None,
) -> Target:
    return Target(
        summary.id, entry.behaviors, label, index, summary.arn, summary.status, tags, tenants,
        summary.connection_mode == MULTI_TENANT,
    )  # fmt: skip


def _fleet(account: _Account, index: int, entry: DistributionTarget) -> list[Target]:
    """Every distribution an ``aliases``/``tags`` entry selects, in the listing's order."""
    found: list[tuple[DistributionSummary, str, tuple[str, ...]]] = []
    for summary in account.summaries:
        if entry.aliases is None:
            found.append((summary, summary.aliases[0] if summary.aliases else "", ()))
            continue
        names = [a for a in summary.aliases if any(alias_matches(p, a) for p in entry.aliases)]
        domains = [
            (t.name, d)
            for t in account.tenants
            if t.distribution_id == summary.id
            for d in t.domains
            if any(alias_matches(p, d) for p in entry.aliases)
        ]
        if names:
            found.append((summary, names[0], ()))
        elif domains:
            tenants = tuple(dict.fromkeys(name for name, _ in domains))
            found.append((summary, f"tenant {domains[0][0]}: {domains[0][1]}", tenants))
    if entry.tags is not None:
        account.tags([s for s, _, _ in found])
        wanted = set(entry.tags)
        found = [f for f in found if wanted <= set(account.tags_of(f[0]))]
    targets = []
    for summary, shown, tenants in found:
        label = f"{summary.id} ({shown})" if shown else summary.id
        tags = account.tags_of(summary) if entry.tags is not None else None
        targets.append(_target(summary, entry, index, label, tenants, tags))
    return targets


def select(
    client: CloudFrontClient,
    config: Config,
    only: Sequence[str] = (),
    concurrency: int = DEFAULT_CONCURRENCY,
    strict: bool = True,
) -> Selection:
    """The distributions the config's [[distributions]] select, each once, narrowed to
    ``only`` (``--distribution``) when given. ``strict`` (a write command): an entry that
    matches nothing is a SelectionError, else a warning in the Selection."""
    if not config.distributions:
        raise AwsError(f"{config.path}: no [[distributions]]; add one with id, alias or aliases")
    account = _Account(client, config, concurrency)
    chosen: list[Target] = []
    unmatched: list[str] = []
    for index, entry in enumerate(config.distributions):
        if entry.id is not None:
            chosen.append(Target(entry.id, entry.behaviors, entry.id, index))
        elif entry.alias is not None:
            chosen.append(_exact_alias(account, index, entry))
        else:
            fleet = _fleet(account, index, entry)
            chosen += fleet
            if not fleet:
                unmatched.append(describe(index, entry))
    if strict and unmatched:
        raise SelectionError(
            f"{config.path}: {unmatched[0]} matches no distribution; nothing was changed "
            "(`cffunc plan` lists what each entry selects)"
        )
    targets = _once(chosen, config)
    if only:
        targets = _narrowed(targets, only)
    return Selection(tuple(targets), tuple(unmatched))


def _once(chosen: list[Target], config: Config) -> list[Target]:
    """Each distribution once; selected by two entries, they must agree on its behaviors."""
    first: dict[str, Target] = {}
    for target in chosen:
        seen = first.get(target.id)
        if seen is None:
            first[target.id] = target
        elif seen.behaviors != target.behaviors:
            entries = config.distributions
            raise SelectionError(
                f"{config.path}: distribution {target.id} is selected by "
                f"{describe(seen.entry, entries[seen.entry])} and "
                f"{describe(target.entry, entries[target.entry])} with different behaviors; "
                "make them agree or narrow one entry"
            )
        elif target.tenants:
            first[target.id] = replace(
                seen, tenants=tuple(dict.fromkeys(seen.tenants + target.tenants))
            )
    return list(first.values())


def _narrowed(targets: list[Target], only: Sequence[str]) -> list[Target]:
    ids = [t.id for t in targets]
    for wanted in only:
        if wanted not in ids:
            listed = ", ".join(ids[:5]) + (f" and {len(ids) - 5} more" if len(ids) > 5 else "")
            raise SelectionError(
                f"--distribution {wanted}: not among the distributions the config selects "
                f"({listed or 'none'})"
            )
    return [t for t in targets if t.id in only]
