"""What the local CloudFront API keeps, and the rules the real service enforces on it.

Functions have separate DEVELOPMENT and LIVE stages; distributions keep their whole
config (every field, associations included). Every write changes the ETag and needs the
current one (``IfMatch``). Associations must name a LIVE function, a behavior cannot mix
a CloudFront Function and Lambda@Edge on the viewer events, a function in use cannot be
deleted, and a changed distribution is InProgress until ``deploy_seconds`` have passed on
the injected clock.

Multi-tenant distributions (``ConnectionMode`` ``tenant-only``) keep the rules the service
model states for them, and their tenants and connection groups live in :mod:`.tenants`.
Aliases and tenant domains are unique in the account; tags belong to distributions,
tenants and connection groups.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import re
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from cffunc.emulator.kvs import DataPlane, KeyValueStore
from cffunc.emulator.protocol import ACCOUNT, ApiError
from cffunc.emulator.tenants import PARAMETER_NAME, Tenants, connection_group_arn, tenant_arn

SIZE_LIMIT = 10_240
VIEWER_EVENTS = ("viewer-request", "viewer-response")
CONNECTION_MODES = ("direct", "tenant-only")
MAX_TAGS = 50
"""Quota: "Tags that can be added to a distribution" (cloudfront-limits.html)."""
TAG_TEXT = re.compile(r"[\w .:/=+\-@]*")
"""Tag keys and values: "a-z, A-Z, 0-9, space, and the following characters: _ . : / = +
- and @" (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/tagging.html;
the model's pattern also takes any Unicode letter or digit)."""
STANDARD_ONLY = ("Aliases", "PriceClass", "ContinuousDeploymentPolicyId", "Staging")
BEHAVIOR_STANDARD_ONLY = (
    "TrustedSigners",
    "SmoothStreaming",
    "MinTTL",
    "DefaultTTL",
    "MaxTTL",
    "ForwardedValues",
)
Clock = Callable[[], datetime]


def function_arn(name: str) -> str:
    return f"arn:aws:cloudfront::{ACCOUNT}:function/{name}"


def distribution_arn(distribution_id: str) -> str:
    return f"arn:aws:cloudfront::{ACCOUNT}:distribution/{distribution_id}"


@dataclass
class Stage:
    code: bytes
    config: dict[str, Any]
    etag: str
    created: datetime
    modified: datetime


@dataclass
class Function:
    name: str
    stages: dict[str, Stage] = field(default_factory=dict)


@dataclass
class Distribution:
    id: str
    config: dict[str, Any]
    etag: str
    modified: datetime
    deployed_at: datetime


def store_arns(function_config: dict[str, Any]) -> list[str]:
    """The KeyValueStore ARNs a FunctionConfig associates."""
    items = (function_config.get("KeyValueStoreAssociations") or {}).get("Items") or []
    return [str(item.get("KeyValueStoreARN")) for item in items]


def behaviors(config: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(path pattern, behavior) for the default ("*") and each ordered behavior."""
    yield "*", config.get("DefaultCacheBehavior") or {}
    for behavior in (config.get("CacheBehaviors") or {}).get("Items") or []:
        yield behavior.get("PathPattern", ""), behavior


class CloudFrontState:
    def __init__(self, clock: Clock | None = None, deploy_seconds: float = 0.0) -> None:
        self.clock: Clock = clock or (lambda: datetime.now(UTC))
        self.deploy_seconds = deploy_seconds
        self.functions: dict[str, Function] = {}
        self.distributions: dict[str, Distribution] = {}
        self.tags: dict[str, dict[str, str]] = {}
        """Tags by resource ARN (distributions, distribution tenants, connection groups)."""
        self.stores: dict[str, KeyValueStore] = {}
        self.lock = threading.RLock()
        self._counter = itertools.count(1)
        self.data_plane = DataPlane(self.store_by_arn, self.new_etag, self.clock, self.lock)
        self.tenants = Tenants(self)

    # ---- helpers ----
    def new_etag(self) -> str:
        return "E" + hashlib.sha1(str(next(self._counter)).encode()).hexdigest()[:13].upper()

    def new_distribution_id(self) -> str:
        return "E" + hashlib.sha1(f"dist{next(self._counter)}".encode()).hexdigest()[:13].upper()

    def new_digest(self, kind: str) -> bytes:
        """Bytes no other call gets, for an identifier of ``kind`` (reproducible per run)."""
        return hashlib.sha256(f"{kind}{next(self._counter)}".encode()).digest()

    @staticmethod
    def check_if_match(if_match: str | None, etag: str) -> None:
        if not if_match:
            raise ApiError(
                "InvalidIfMatchVersion",
                "The If-Match version is missing or not valid for the resource.",
            )
        if if_match != etag:
            raise ApiError(
                "PreconditionFailed",
                "The request failed because it didn't meet the preconditions in one or more "
                "request-header fields.",
            )

    def function(self, name: str) -> Function:
        found = self.functions.get(name)
        if found is None:
            raise ApiError("NoSuchFunctionExists", f"The function {name} does not exist.")
        return found

    def stage(self, name: str, stage: str | None) -> Stage:
        function = self.function(name)
        wanted = stage or "DEVELOPMENT"
        if wanted not in function.stages:
            raise ApiError("NoSuchFunctionExists", f"The function {name} has no {wanted} stage.")
        return function.stages[wanted]

    def summary(self, name: str, stage_name: str) -> dict[str, Any]:
        stage = self.stages_of(name)[stage_name]
        function = self.functions[name]
        return {
            "Name": name,
            "Status": "UNASSOCIATED" if "LIVE" in function.stages else "UNPUBLISHED",
            "FunctionConfig": copy.deepcopy(stage.config),
            "FunctionMetadata": {
                "FunctionARN": function_arn(name),
                "Stage": stage_name,
                "CreatedTime": stage.created,
                "LastModifiedTime": stage.modified,
            },
        }

    def stages_of(self, name: str) -> dict[str, Stage]:
        return self.function(name).stages

    @staticmethod
    def check_code(code: bytes) -> None:
        if len(code) > SIZE_LIMIT:
            raise ApiError(
                "FunctionSizeLimitExceeded",
                f"The function code is {len(code)} bytes; the limit is {SIZE_LIMIT}.",
                413,
            )

    def check_function_config(self, config: dict[str, Any]) -> None:
        """KeyValueStore associations: existing stores, at most one, runtime 2.0 only."""
        arns = store_arns(config)
        if not arns:
            return
        if len(arns) > 1:
            raise ApiError(
                "InvalidArgument", "A function can be associated with one key value store."
            )
        if config.get("Runtime") != "cloudfront-js-2.0":
            raise ApiError(
                "InvalidArgument", "Key value stores need the cloudfront-js-2.0 runtime."
            )
        if self.store_by_arn(arns[0]) is None:
            raise ApiError("EntityNotFound", f"The key value store {arns[0]} does not exist.")

    # ---- key value stores (control plane; the data plane is cffunc.emulator.kvs) ----
    def store_by_arn(self, arn: str) -> KeyValueStore | None:
        return next((s for s in self.stores.values() if s.arn == arn), None)

    def key_value_store(self, name: str) -> KeyValueStore:
        found = self.stores.get(name)
        if found is None:
            raise ApiError("EntityNotFound", f"The key value store {name} does not exist.")
        return found

    def create_key_value_store(self, name: str, comment: str) -> KeyValueStore:
        with self.lock:
            if name in self.stores:
                raise ApiError(
                    "EntityAlreadyExists", f"A key value store named {name} already exists."
                )
            now = self.clock()
            store_id = str(uuid.UUID(hashlib.md5(f"kvs{next(self._counter)}".encode()).hexdigest()))
            store = KeyValueStore(
                name, store_id, f"arn:aws:cloudfront::{ACCOUNT}:key-value-store/{store_id}",
                comment, self.new_etag(), now, now, self.new_etag(),
            )  # fmt: skip
            self.stores[name] = store
            return store

    def delete_key_value_store(self, name: str, if_match: str | None) -> None:
        with self.lock:
            store = self.key_value_store(name)
            self.check_if_match(if_match, store.etag)
            users = sorted(
                {
                    function.name
                    for function in self.functions.values()
                    for stage in function.stages.values()
                    if store.arn in store_arns(stage.config)
                }
            )
            if users:
                raise ApiError(
                    "CannotDeleteEntityWhileInUse",
                    f"The key value store {name} is associated with {', '.join(users)}.",
                    409,
                )
            del self.stores[name]

    def update_key_value_store(
        self, name: str, if_match: str | None, comment: str
    ) -> KeyValueStore:
        with self.lock:
            store = self.key_value_store(name)
            self.check_if_match(if_match, store.etag)
            store.comment, store.modified, store.etag = comment, self.clock(), self.new_etag()
            return store

    # ---- functions ----
    def create_function(
        self, name: str, config: dict[str, Any], code: bytes
    ) -> tuple[dict[str, Any], str]:
        with self.lock:
            if name in self.functions:
                raise ApiError(
                    "FunctionAlreadyExists", f"A function with the name {name} already exists.", 409
                )
            self.check_function_config(config)
            self.check_code(code)
            now = self.clock()
            stage = Stage(code, dict(config), self.new_etag(), now, now)
            self.functions[name] = Function(name, {"DEVELOPMENT": stage})
            return self.summary(name, "DEVELOPMENT"), stage.etag

    def update_function(
        self, name: str, if_match: str | None, config: dict[str, Any], code: bytes
    ) -> tuple[dict[str, Any], str]:
        with self.lock:
            stage = self.stage(name, "DEVELOPMENT")
            self.check_if_match(if_match, stage.etag)
            self.check_function_config(config)
            self.check_code(code)
            stage.code, stage.config, stage.modified = code, dict(config), self.clock()
            stage.etag = self.new_etag()
            return self.summary(name, "DEVELOPMENT"), stage.etag

    def publish_function(self, name: str, if_match: str | None) -> dict[str, Any]:
        with self.lock:
            development = self.stage(name, "DEVELOPMENT")
            self.check_if_match(if_match, development.etag)
            now = self.clock()
            live = self.functions[name].stages.get("LIVE")
            self.functions[name].stages["LIVE"] = Stage(
                development.code, dict(development.config), self.new_etag(),
                live.created if live else now, now,
            )  # fmt: skip
            # Every distribution using the function deploys the new LIVE code.
            for distribution in self.distributions.values():
                if function_arn(name) in self.function_arns(distribution.config):
                    self._touch(distribution)
            return self.summary(name, "LIVE")

    def delete_function(self, name: str, if_match: str | None) -> None:
        with self.lock:
            development = self.stage(name, "DEVELOPMENT")
            self.check_if_match(if_match, development.etag)
            users = [
                d.id
                for d in self.distributions.values()
                if function_arn(name) in self.function_arns(d.config)
            ]
            if users:
                raise ApiError(
                    "FunctionInUse",
                    f"The function {name} is associated with {', '.join(users)}.",
                    409,
                )
            del self.functions[name]

    # ---- distributions ----
    @staticmethod
    def function_arns(config: dict[str, Any]) -> set[str]:
        arns = set()
        for _, behavior in behaviors(config):
            for item in (behavior.get("FunctionAssociations") or {}).get("Items") or []:
                arns.add(item.get("FunctionARN"))
        return arns

    def check_associations(
        self, config: dict[str, Any], previous: dict[str, Any] | None = None
    ) -> None:
        """Refuse associations AWS would refuse. Ones the distribution already had are
        taken as valid (AWS checked them when they were added; a seeded distribution may
        name functions of the real account that this emulator never saw)."""
        kept = {
            (pattern, item.get("FunctionARN"), item.get("EventType"))
            for pattern, behavior in behaviors(previous or {})
            for item in (behavior.get("FunctionAssociations") or {}).get("Items") or []
        }
        for pattern, behavior in behaviors(config):
            functions = (behavior.get("FunctionAssociations") or {}).get("Items") or []
            lambdas = (behavior.get("LambdaFunctionAssociations") or {}).get("Items") or []
            seen: set[str] = set()
            for item in functions:
                arn, event = item.get("FunctionARN", ""), item.get("EventType", "")
                if event not in VIEWER_EVENTS:
                    raise ApiError(
                        "InvalidFunctionAssociation",
                        f"Behavior {pattern}: a CloudFront function can only run on "
                        f"viewer-request or viewer-response, not {event}.",
                    )
                if event in seen:
                    raise ApiError(
                        "InvalidFunctionAssociation",
                        f"Behavior {pattern}: more than one function on {event}.",
                    )
                seen.add(event)
                if (pattern, arn, event) in kept:
                    continue
                name = (
                    arn.rsplit("/", 1)[-1]
                    if arn.startswith(f"arn:aws:cloudfront::{ACCOUNT}:function/")
                    else None
                )
                if (
                    name is None
                    or "LIVE" not in (self.functions.get(name) or Function(name)).stages
                ):
                    raise ApiError(
                        "InvalidFunctionAssociation",
                        f"Behavior {pattern}: {arn} is not the ARN of a published (LIVE) function.",
                    )
            lambda_viewer = {item.get("EventType") for item in lambdas} & set(VIEWER_EVENTS)
            if seen and lambda_viewer:
                raise ApiError(
                    "IllegalUpdate",
                    f"Behavior {pattern}: a CloudFront function and a Lambda@Edge function "
                    "cannot both run on viewer events of one cache behavior.",
                )

    def tags_of(self, arn: str) -> dict[str, str]:
        """The tags of a distribution, distribution tenant or connection group, by its ARN
        (TagResource, UntagResource, ListTagsForResource: "An ARN of a CloudFront
        resource"; tenants and connection groups carry Tags in their shapes)."""
        with self.lock:
            exists = (
                arn in {tenant_arn(i) for i in self.tenants.tenants}
                or arn in {connection_group_arn(i) for i in self.tenants.groups}
                or arn in {distribution_arn(i) for i in self.distributions}
            )
            if not exists:
                raise ApiError("NoSuchResource", f"The resource {arn} does not exist.", 404)
            return self.tags.setdefault(arn, {})

    @staticmethod
    def checked_tags(tags: dict[str, str], before: dict[str, str] | None = None) -> dict[str, str]:
        """``before`` with ``tags`` added, refused (InvalidTagging) as the tag restrictions
        say: keys 1-128 and values 0-256 characters of the allowed set, no ``aws:`` prefix,
        at most 50 a resource."""
        merged = dict(before or {})
        for key, value in tags.items():
            if not 1 <= len(key) <= 128 or not TAG_TEXT.fullmatch(key):
                raise ApiError("InvalidTagging", f"The tag key {key!r} is not valid.")
            if key.lower().startswith("aws:"):
                raise ApiError(
                    "InvalidTagging", f"The tag key {key!r} uses the reserved prefix aws:."
                )
            if len(value) > 256 or not TAG_TEXT.fullmatch(value):
                raise ApiError("InvalidTagging", f"The value of tag {key!r} is not valid.")
            merged[key] = value
        if len(merged) > MAX_TAGS:
            raise ApiError("InvalidTagging", f"A resource can have at most {MAX_TAGS} tags.")
        return merged

    def aliases_in_use(self, except_distribution: str | None = None) -> dict[str, str]:
        """Every distribution alias (lower case) and who holds it, for CNAMEAlreadyExists."""
        return {
            str(alias).lower(): f"distribution {d.id}"
            for d in self.distributions.values()
            if d.id != except_distribution
            for alias in (d.config.get("Aliases") or {}).get("Items") or []
        }

    def check_connection_mode(
        self, config: dict[str, Any], previous: dict[str, Any] | None = None
    ) -> None:
        """A multi-tenant distribution has none of the fields the model marks "only
        supports standard distributions", and a standard one has no TenantConfig
        (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/distribution-config-options.html#unsupported-saas).
        A value that means the field is unused (no aliases, PriceClass_All, which AWS
        itself reports for a multi-tenant distribution, Staging false) is no use of it
        (:func:`_uses`)."""
        mode = config.get("ConnectionMode", "direct")
        if mode not in CONNECTION_MODES:
            raise ApiError(
                "InvalidArgument",
                f"ConnectionMode {mode!r} is not one of {', '.join(CONNECTION_MODES)}.",
            )
        if previous is not None and mode != previous.get("ConnectionMode", "direct"):
            raise ApiError("IllegalUpdate", "The ConnectionMode of a distribution cannot change.")
        if mode == "direct":
            if config.get("TenantConfig") is not None:
                raise ApiError(
                    "InvalidArgument",
                    "TenantConfig is for multi-tenant distributions "
                    '(ConnectionMode "tenant-only").',
                )
            return
        for key in STANDARD_ONLY:
            if key in config and _uses(key, config[key]):
                raise ApiError("InvalidArgument", _standard_only(key))
        if (config.get("ViewerCertificate") or {}).get("IAMCertificateId"):
            raise ApiError("InvalidArgument", _standard_only("ViewerCertificate.IAMCertificateId"))
        for pattern, behavior in behaviors(config):
            for key in BEHAVIOR_STANDARD_ONLY:
                if key in behavior and _uses(key, behavior[key]):
                    raise ApiError("InvalidArgument", _standard_only(f"behavior {pattern}: {key}"))
        names = [
            d.get("Name")
            for d in (config.get("TenantConfig") or {}).get("ParameterDefinitions") or []
        ]
        for name in names:
            if not isinstance(name, str) or not PARAMETER_NAME.fullmatch(name):
                raise ApiError("InvalidArgument", f"The parameter name {name!r} is not valid.")
            if names.count(name) > 1:
                raise ApiError("InvalidArgument", f"The parameter {name} is defined twice.")

    def check_aliases(self, config: dict[str, Any], distribution_id: str | None) -> None:
        """ "The CNAME specified is already defined for CloudFront" (CNAMEAlreadyExists):
        an alias is another distribution's alias or a tenant's domain."""
        taken = {**self.aliases_in_use(distribution_id), **self.tenants.domains_in_use()}
        for alias in (config.get("Aliases") or {}).get("Items") or []:
            holder = taken.get(str(alias).lower())
            if holder is not None:
                raise ApiError(
                    "CNAMEAlreadyExists", f"The alias {alias} is already used by {holder}."
                )

    def _touch(self, distribution: Distribution) -> None:
        now = self.clock()
        distribution.modified = now
        distribution.deployed_at = now + timedelta(seconds=self.deploy_seconds)

    def distribution(self, distribution_id: str) -> Distribution:
        found = self.distributions.get(distribution_id)
        if found is None:
            raise ApiError(
                "NoSuchDistribution",
                f"The specified distribution does not exist: {distribution_id}.",
            )
        return found

    def create_distribution(
        self, config: dict[str, Any], distribution_id: str | None = None, trusted: bool = False
    ) -> Distribution:
        """``trusted``: a seed, loaded as it is (it may name the real account's functions)."""
        with self.lock:
            if distribution_id in self.distributions:
                raise ApiError(
                    "DistributionAlreadyExists", f"The distribution {distribution_id} exists."
                )
            self.check_associations(config, config if trusted else None)
            self.check_connection_mode(config)
            self.check_aliases(config, None)
            now = self.clock()
            distribution = Distribution(
                distribution_id or self.new_distribution_id(),
                copy.deepcopy(config),
                self.new_etag(),
                now,
                now + timedelta(seconds=self.deploy_seconds),
            )  # fmt: skip
            self.distributions[distribution.id] = distribution
            return distribution

    def update_distribution(
        self, distribution_id: str, if_match: str | None, config: dict[str, Any]
    ) -> Distribution:
        with self.lock:
            distribution = self.distribution(distribution_id)
            self.check_if_match(if_match, distribution.etag)
            if config.get("CallerReference") != distribution.config.get("CallerReference"):
                raise ApiError(
                    "IllegalUpdate", "The CallerReference of a distribution cannot change."
                )
            self.check_associations(config, distribution.config)
            self.check_connection_mode(config, distribution.config)
            self.check_aliases(config, distribution.id)
            distribution.config = copy.deepcopy(config)
            distribution.etag = self.new_etag()
            self._touch(distribution)
            return distribution

    def status(self, distribution: Distribution) -> str:
        return "Deployed" if self.clock() >= distribution.deployed_at else "InProgress"

    def distribution_view(self, distribution: Distribution) -> dict[str, Any]:
        # "Unlike a standard distribution, a multi-tenant distribution cannot be accessed
        # directly because it has no CloudFront routing endpoint": AWS lists its DomainName
        # as "-" (list-distributions-by-connection-mode example).
        multi_tenant = distribution.config.get("ConnectionMode") == "tenant-only"
        return {
            "Id": distribution.id,
            "ARN": distribution_arn(distribution.id),
            "Status": self.status(distribution),
            "LastModifiedTime": distribution.modified,
            "InProgressInvalidationBatches": 0,
            "DomainName": "-" if multi_tenant else f"d{distribution.id.lower()}.cloudfront.net",
            "ActiveTrustedSigners": {"Enabled": False, "Quantity": 0},
            "ActiveTrustedKeyGroups": {"Enabled": False, "Quantity": 0},
            "DistributionConfig": copy.deepcopy(distribution.config),
        }

    def distribution_summary(self, distribution: Distribution) -> dict[str, Any]:
        config = distribution.config
        view = self.distribution_view(distribution)
        summary = {k: view[k] for k in ("Id", "ARN", "Status", "LastModifiedTime", "DomainName")}
        for key in (
            "Aliases", "Origins", "OriginGroups", "DefaultCacheBehavior", "CacheBehaviors",
            "CustomErrorResponses", "Comment", "PriceClass", "Enabled", "ViewerCertificate",
            "Restrictions", "WebACLId", "HttpVersion", "IsIPV6Enabled", "Staging",
        ):  # fmt: skip
            if key in config:
                summary[key] = copy.deepcopy(config[key])
        summary.setdefault("Staging", False)
        summary["ConnectionMode"] = config.get("ConnectionMode", "direct")
        summary["ETag"] = distribution.etag
        return summary

    def delete_distribution(self, distribution_id: str, if_match: str | None) -> None:
        with self.lock:
            distribution = self.distribution(distribution_id)
            self.check_if_match(if_match, distribution.etag)
            if distribution.config.get("Enabled") or self.status(distribution) != "Deployed":
                raise ApiError(
                    "DistributionNotDisabled",
                    "The distribution you are trying to delete has not been disabled.",
                    409,
                )
            tenants = sorted(t.id for t in self.tenants.tenants_of(distribution.id))
            if tenants:
                raise ApiError(
                    "ResourceInUse",
                    f"The distribution {distribution.id} still has distribution tenants: "
                    f"{', '.join(tenants)}.",
                )
            del self.distributions[distribution.id]
            self.tags.pop(distribution_arn(distribution.id), None)


def _uses(key: str, value: Any) -> bool:
    """Whether a standard-only field's value uses the feature. A value that means it is
    unused (no aliases, PriceClass_All, which AWS itself reports for a multi-tenant
    distribution, Staging false, trusted signers off) is no use; a TTL or ForwardedValues
    at all is (a multi-tenant behavior takes its caching from a cache policy)."""
    if key == "Aliases":
        return bool((value or {}).get("Quantity"))
    if key == "PriceClass":
        return value != "PriceClass_All"
    if key == "TrustedSigners":
        return bool((value or {}).get("Enabled") or (value or {}).get("Quantity"))
    if key in ("ContinuousDeploymentPolicyId", "Staging", "SmoothStreaming"):
        return bool(value)
    return True


def _standard_only(field_name: str) -> str:
    return (
        f"{field_name} is for standard distributions only; a multi-tenant distribution "
        "cannot have it (its tenants carry domains; its behaviors use cache policies)."
    )
