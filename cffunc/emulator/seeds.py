"""Seed files: what the local CloudFront API holds when it starts.

A seed file is one JSON object or a list of them; each is one of

- a distribution: ``{"Id", "DistributionConfig", "Tags"?: {key: value}}``, the config as
  ``aws cloudfront get-distribution-config`` prints it;
- ``{"Function": {"Name", "Runtime"?, "Code" | "CodeFile", "Stage"?, "Comment"?, "Store"?}}``;
- ``{"ConnectionGroup": {"Name", "Id"?, "Enabled"?, "Ipv6Enabled"?, "Default"?, "Tags"?}}``;
- ``{"Tenant": {"Name", "Distribution", "Domains": [...], "Id"?, "Parameters"?: {name:
  value}, "ConnectionGroup"? (name or id; the default group otherwise), "Enabled"?,
  "Tags"?}}``: a distribution tenant of a multi-tenant distribution;
- ``{"Fleet": {"Count", "Id"?, "Aliases"?, "Tags"?, "DistributionConfig"?, "First"?}}``:
  ``Count`` distributions made from one config, with ``{n}`` (``First``, default 1, up to
  ``First + Count - 1``) filled in the ``Id``, the ``Aliases`` and the tag values, in
  Python's format syntax (``"EFLEET{n:04d}"``, ``"site{n}.example.com"``).

:func:`parse_seeds` checks and normalises (a fleet becomes its distributions) and
:func:`load_seeds` creates everything through the API's own rules, in the order they
depend on each other: functions, connection groups, distributions, tenants. What it
creates starts Deployed, as a live account's resources would be.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from cffunc.emulator.protocol import ApiError
from cffunc.emulator.state import CloudFrontState, distribution_arn

RUNTIMES = ("cloudfront-js-1.0", "cloudfront-js-2.0")
KINDS = ("Function", "ConnectionGroup", "Tenant", "Fleet")
DISTRIBUTION_ID = re.compile(r"[A-Z0-9]{1,64}")
MAX_FLEET = 500
"""Quota: "Distributions per AWS account" (cloudfront-limits.html)."""
FLEET_CONFIG: dict[str, Any] = {
    "CallerReference": "fleet",
    "Aliases": {"Quantity": 0},
    "Origins": {
        "Quantity": 1,
        "Items": [
            {
                "Id": "origin",
                "DomainName": "origin.example.com",
                "CustomOriginConfig": {
                    "HTTPPort": 80,
                    "HTTPSPort": 443,
                    "OriginProtocolPolicy": "https-only",
                },
            }
        ],
    },
    "DefaultCacheBehavior": {
        "TargetOriginId": "origin",
        "ViewerProtocolPolicy": "redirect-to-https",
        # The managed CachingOptimized policy (using-managed-cache-policies.html).
        "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e5abc",
        # As GetDistributionConfig answers for a behavior with none: empty lists are
        # written out with Quantity 0 (so a round trip through an edit gives them back).
        "LambdaFunctionAssociations": {"Quantity": 0},
        "FunctionAssociations": {"Quantity": 0},
    },
    "Comment": "",
    "Enabled": True,
}
"""A fleet's config when the seed gives none: one origin, one behavior."""


class SeedError(ValueError):
    """A seed that cannot be loaded; the message names the seed and what to fix."""


def read_seeds(path: Path) -> list[dict[str, Any]]:
    """The seeds of a file, checked and normalised (see the module docstring)."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise SeedError(f"{path}: cannot read the seed file: {error}") from None
    return parse_seeds(raw if isinstance(raw, list) else [raw], path)


def parse_seeds(items: Sequence[Any], source: Path | None = None) -> list[dict[str, Any]]:
    """Checked and normalised seeds (a fleet expanded); parsing its own output gives it
    back unchanged. ``source``: the file (messages name it; CodeFile is relative to it)."""
    where = str(source) if source is not None else "seed"
    out: list[dict[str, Any]] = []
    for item in items:
        kind = next((k for k in KINDS if isinstance(item, dict) and k in item), None)
        if kind is not None and not isinstance(item[kind], dict):
            raise SeedError(f'{where}: "{kind}" is a JSON object')
        if kind == "Function":
            out.append({"Function": _function(where, source, item["Function"])})
        elif kind == "ConnectionGroup":
            out.append({"ConnectionGroup": _connection_group(where, item["ConnectionGroup"])})
        elif kind == "Tenant":
            out.append({"Tenant": _tenant(where, item["Tenant"])})
        elif kind == "Fleet":
            out.extend(_fleet(where, item["Fleet"]))
        else:
            out.append(_distribution(where, item))
    ids = [seed["Id"] for seed in out if "DistributionConfig" in seed]
    twice = sorted({i for i in ids if ids.count(i) > 1})
    if twice:
        raise SeedError(f"{where}: distribution ids seeded twice: {', '.join(twice)}")
    return out


def load_seeds(state: CloudFrontState, seeds: Sequence[dict[str, Any]]) -> None:
    """Create what :func:`parse_seeds` gave, through the API's own rules (a seed AWS would
    refuse, such as a taken alias, is a :class:`SeedError`)."""
    by_kind = {
        kind: [s for s in seeds if kind in s] for kind in ("Function", "ConnectionGroup", "Tenant")
    }
    distributions = [s for s in seeds if "DistributionConfig" in s]
    for seed in by_kind["Function"]:
        _load(f"function {seed['Function']['Name']}", _load_function, state, seed["Function"])
    for seed in by_kind["ConnectionGroup"]:
        group = seed["ConnectionGroup"]
        _load(f"connection group {group['Name']}", _load_group, state, group)
    for seed in distributions:
        _load(f"distribution {seed['Id']}", _load_distribution, state, seed)
    for seed in by_kind["Tenant"]:
        _load(f"tenant {seed['Tenant']['Name']}", _load_tenant, state, seed["Tenant"])
    with state.lock:
        for distribution in state.distributions.values():
            distribution.deployed_at = distribution.modified
        for tenant in state.tenants.tenants.values():
            tenant.deployed_at = tenant.modified
        for group in state.tenants.groups.values():
            group.deployed_at = group.modified


# ---- checking ----
def _tags(where: str, value: object) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise SeedError(f'{where}: "Tags" is an object of strings, {{"env": "prod"}}')
    return dict(value)


def _flag(where: str, seed: dict[str, Any], key: str, default: bool) -> bool:
    value = seed.get(key, default)
    if not isinstance(value, bool):
        raise SeedError(f'{where}: "{key}" is true or false, not {value!r}')
    return value


def _optional_id(where: str, seed: dict[str, Any], prefix: str) -> str | None:
    value = seed.get("Id")
    if value is not None and not (
        isinstance(value, str) and re.fullmatch(rf"{prefix}[A-Za-z0-9]{{1,64}}", value)
    ):
        raise SeedError(f'{where}: "Id" {value!r} is {prefix} and letters or digits')
    return value


def _distribution(where: str, item: object) -> dict[str, Any]:
    if (
        not isinstance(item, dict)
        or not isinstance(item.get("Id"), str)
        or not isinstance(item.get("DistributionConfig"), dict)
    ):
        raise SeedError(
            f'{where}: each seed needs "Id" and "DistributionConfig" '
            "(the JSON get-distribution-config prints, plus the Id), or one of "
            + ", ".join(f'"{k}"' for k in KINDS)
        )
    if not DISTRIBUTION_ID.fullmatch(item["Id"]):
        raise SeedError(f'{where}: distribution "Id" {item["Id"]!r} is capital letters and digits')
    return {
        "Id": item["Id"],
        "DistributionConfig": item["DistributionConfig"],
        "Tags": _tags(f"{where}: distribution {item['Id']}", item.get("Tags")),
    }


def _function(where: str, source: Path | None, seed: dict[str, Any]) -> dict[str, Any]:
    name, runtime = seed.get("Name"), seed.get("Runtime", "cloudfront-js-2.0")
    if not isinstance(name, str) or runtime not in RUNTIMES:
        raise SeedError(f'{where}: a function seed needs "Name" and a "Runtime" of {RUNTIMES}')
    code = seed.get("Code")
    if isinstance(seed.get("CodeFile"), str):
        base = source.parent if source is not None else Path.cwd()
        try:
            code = (base / seed["CodeFile"]).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise SeedError(f"{where}: function {name}: cannot read CodeFile: {error}") from None
    if not isinstance(code, str):
        raise SeedError(f'{where}: function {name} needs "Code" or "CodeFile"')
    stage = seed.get("Stage", "LIVE")
    store = seed.get("Store")
    if stage not in ("LIVE", "DEVELOPMENT") or (
        store is not None and not (isinstance(store, dict) and isinstance(store.get("Name"), str))
    ):
        raise SeedError(
            f'{where}: function {name}: "Stage" is LIVE or DEVELOPMENT; "Store" is '
            '{"Name": ..., "Items": {...}}'
        )
    return {
        "Name": name, "Runtime": runtime, "Code": code, "Stage": stage,
        "Comment": str(seed.get("Comment", "")), "Store": store,
    }  # fmt: skip


def _connection_group(where: str, seed: dict[str, Any]) -> dict[str, Any]:
    name = seed.get("Name")
    if not isinstance(name, str) or not name:
        raise SeedError(f'{where}: a connection group seed needs "Name"')
    here = f"{where}: connection group {name}"
    return {
        "Name": name,
        "Id": _optional_id(here, seed, "cg_"),
        "Enabled": _flag(here, seed, "Enabled", True),
        "Ipv6Enabled": _flag(here, seed, "Ipv6Enabled", True),
        "Default": _flag(here, seed, "Default", False),
        "Tags": _tags(here, seed.get("Tags")),
    }


def _tenant(where: str, seed: dict[str, Any]) -> dict[str, Any]:
    name, distribution = seed.get("Name"), seed.get("Distribution")
    domains = seed.get("Domains")
    if not isinstance(name, str) or not isinstance(distribution, str):
        raise SeedError(f'{where}: a tenant seed needs "Name" and "Distribution" (its id)')
    here = f"{where}: tenant {name}"
    if not isinstance(domains, list) or not domains or not all(isinstance(d, str) for d in domains):
        raise SeedError(f'{here}: "Domains" is a list of names, ["a.example.com"]')
    parameters = seed.get("Parameters") or {}
    if not isinstance(parameters, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in parameters.items()
    ):
        raise SeedError(f'{here}: "Parameters" is an object of strings, {{"name": "value"}}')
    group = seed.get("ConnectionGroup")
    if group is not None and not isinstance(group, str):
        raise SeedError(f'{here}: "ConnectionGroup" is a connection group name or id')
    return {
        "Name": name, "Distribution": distribution, "Domains": list(domains),
        "Id": _optional_id(here, seed, "dt_"), "Parameters": dict(parameters),
        "ConnectionGroup": group, "Enabled": _flag(here, seed, "Enabled", True),
        "Tags": _tags(here, seed.get("Tags")),
    }  # fmt: skip


def _fleet(where: str, seed: dict[str, Any]) -> list[dict[str, Any]]:
    count, first = seed.get("Count"), seed.get("First", 1)
    if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= MAX_FLEET:
        raise SeedError(f'{where}: a fleet\'s "Count" is a whole number from 1 to {MAX_FLEET}')
    if not isinstance(first, int) or isinstance(first, bool) or first < 0:
        raise SeedError(f'{where}: a fleet\'s "First" is a whole number from 0')
    id_format, aliases = seed.get("Id", "EFLEET{n:04d}"), seed.get("Aliases", [])
    config = seed.get("DistributionConfig", FLEET_CONFIG)
    tags = _tags(f"{where}: fleet", seed.get("Tags"))
    if not isinstance(id_format, str) or not isinstance(config, dict):
        raise SeedError(
            f'{where}: a fleet\'s "Id" is a format string; "DistributionConfig" an object'
        )
    if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
        raise SeedError(f'{where}: a fleet\'s "Aliases" is a list, ["site{{n}}.example.com"]')
    out = []
    for n in range(first, first + count):
        try:
            filled_aliases = [a.format(n=n) for a in aliases]
            filled_tags = {k: v.format(n=n) for k, v in tags.items()}
            distribution_id = id_format.format(n=n)
        except (KeyError, IndexError, ValueError) as error:
            raise SeedError(
                f"{where}: fleet: {error!r} in a format; use {{n}} or {{n:04d}}"
            ) from None
        one = copy.deepcopy(config)
        one["CallerReference"] = f"{config.get('CallerReference', 'fleet')}-{n}"
        one["Aliases"] = {"Quantity": len(filled_aliases)}
        if filled_aliases:
            one["Aliases"]["Items"] = filled_aliases
        out.append(
            _distribution(
                where, {"Id": distribution_id, "DistributionConfig": one, "Tags": filled_tags}
            )
        )
    return out


# ---- loading ----
def _load(
    what: str,
    load: Callable[[CloudFrontState, dict[str, Any]], None],
    state: CloudFrontState,
    seed: dict[str, Any],
) -> None:
    try:
        load(state, seed)
    except ApiError as error:
        raise SeedError(f"seed {what}: {error.code}: {error.message}") from None


def _load_function(state: CloudFrontState, seed: dict[str, Any]) -> None:
    """A function (and its store) as if created, and published when its stage is LIVE."""
    config: dict[str, Any] = {"Comment": seed["Comment"], "Runtime": seed["Runtime"]}
    store = seed.get("Store")
    if store is not None:
        created = state.stores.get(store["Name"]) or state.create_key_value_store(store["Name"], "")
        created.items.update({str(k): str(v) for k, v in (store.get("Items") or {}).items()})
        config["KeyValueStoreAssociations"] = {
            "Quantity": 1, "Items": [{"KeyValueStoreARN": created.arn}],
        }  # fmt: skip
    _, etag = state.create_function(seed["Name"], config, seed["Code"].encode("utf-8"))
    if seed["Stage"] == "LIVE":
        state.publish_function(seed["Name"], etag)


def _load_group(state: CloudFrontState, seed: dict[str, Any]) -> None:
    if seed["Default"] and any(g.is_default for g in state.tenants.groups.values()):
        raise ApiError("InvalidArgument", "Only one connection group can be the default.")
    state.tenants.create_group(
        seed["Name"], ipv6_enabled=seed["Ipv6Enabled"], enabled=seed["Enabled"],
        tags=seed["Tags"], group_id=seed["Id"], default=seed["Default"],
    )  # fmt: skip


def _load_distribution(state: CloudFrontState, seed: dict[str, Any]) -> None:
    # Trusted: associations it has are taken as valid (they may name the real account's
    # functions); every other rule applies.
    distribution = state.create_distribution(seed["DistributionConfig"], seed["Id"], trusted=True)
    if seed["Tags"]:
        state.tags[distribution_arn(distribution.id)] = state.checked_tags(seed["Tags"])


def _load_tenant(state: CloudFrontState, seed: dict[str, Any]) -> None:
    request: dict[str, Any] = {
        "Name": seed["Name"],
        "DistributionId": seed["Distribution"],
        "Domains": [{"Domain": d} for d in seed["Domains"]],
        "Parameters": [{"Name": k, "Value": v} for k, v in seed["Parameters"].items()],
        "Enabled": seed["Enabled"],
        "Tags": {"Items": [{"Key": k, "Value": v} for k, v in seed["Tags"].items()]},
    }
    if seed["ConnectionGroup"]:
        request["ConnectionGroupId"] = state.tenants.group(seed["ConnectionGroup"]).id
    state.tenants.create_tenant(request, seed["Id"])
