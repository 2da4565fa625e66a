"""Distribution tenants and connection groups (CloudFront SaaS Manager) in the local API.

A multi-tenant distribution (``ConnectionMode`` ``tenant-only``) is a template that serves
no traffic of its own; its tenants carry the domains, the parameter values and the
customizations, and each reaches viewers through a connection group: the account's default
one, made on the first tenant that names none, or one the tenant names. These are the rules
the API reference and the developer guide state, kept here so that deploy code and tests
meet them before AWS does:
https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/distribution-config-options.html

- a tenant belongs to a ``tenant-only`` distribution and gives a value for each parameter
  the distribution marks required, and none it does not define;
- a domain belongs to one tenant or distribution alias in the account (CNAMEAlreadyExists);
- names are unique in the account; a tenant's is 3 to 128 letters, digits, ``-`` and ``.``;
- every write needs the current ETag (``IfMatch``) and makes a new one;
- an enabled tenant or connection group cannot be deleted (ResourceNotDisabled), nor a
  connection group a tenant uses (CannotDeleteEntityWhileInUse);
- a change is InProgress until the distribution's ``deploy_seconds`` have passed.
"""

from __future__ import annotations

import copy
import re
import string
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from cffunc.emulator.protocol import ACCOUNT, ApiError

if TYPE_CHECKING:
    from cffunc.emulator.state import CloudFrontState

TENANT_NAME = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9-.]{1,126}[a-zA-Z0-9]")
"""CreateDistributionTenantRequest.Name's pattern in the service model."""
PARAMETER_NAME = re.compile(r"[a-zA-Z0-9-_]{1,128}")
DOMAIN = re.compile(r"(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}")
BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
MAX_TENANTS = 10_000
MAX_CONNECTION_GROUPS = 100
"""Quotas: "Distribution tenants per AWS account" and "Connection groups per AWS account"
(https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html)."""


def _encoded(digest: bytes, length: int, alphabet: str) -> str:
    number = int.from_bytes(digest, "big")
    out = []
    for _ in range(length):
        number, digit = divmod(number, len(alphabet))
        out.append(alphabet[digit])
    return "".join(out)


def tenant_arn(tenant_id: str) -> str:
    return f"arn:aws:cloudfront::{ACCOUNT}:distribution-tenant/{tenant_id}"


def connection_group_arn(group_id: str) -> str:
    return f"arn:aws:cloudfront::{ACCOUNT}:connection-group/{group_id}"


def parameter_definitions(config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A distribution's ``TenantConfig.ParameterDefinitions`` by name."""
    definitions = (config.get("TenantConfig") or {}).get("ParameterDefinitions") or []
    return {str(d.get("Name")): d for d in definitions}


def is_required(definition: dict[str, Any]) -> bool:
    return bool(((definition.get("Definition") or {}).get("StringSchema") or {}).get("Required"))


@dataclass
class Tenant:
    id: str
    name: str
    distribution_id: str
    domains: list[dict[str, Any]]
    """DomainResult dicts: Domain, Status, and ServeOn when given."""
    parameters: list[dict[str, str]]
    customizations: dict[str, Any] | None
    connection_group_id: str
    enabled: bool
    etag: str
    created: datetime
    modified: datetime
    deployed_at: datetime

    @property
    def arn(self) -> str:
        return tenant_arn(self.id)


@dataclass
class ConnectionGroup:
    id: str
    name: str
    routing_endpoint: str
    ipv6_enabled: bool
    enabled: bool
    is_default: bool
    anycast_ip_list_id: str | None
    viewer_fallback: dict[str, Any] | None
    etag: str
    created: datetime
    modified: datetime
    deployed_at: datetime

    @property
    def arn(self) -> str:
        return connection_group_arn(self.id)


class Tenants:
    """The account's distribution tenants and connection groups; the callers hold
    ``state.lock`` (every public method takes it too, so either works)."""

    def __init__(self, state: CloudFrontState) -> None:
        self.state = state
        self.tenants: dict[str, Tenant] = {}
        self.groups: dict[str, ConnectionGroup] = {}

    # ---- ids, times, status ----
    def _new_id(self, prefix: str, length: int, alphabet: str = BASE62) -> str:
        # Shaped like the API reference's examples: dt_2yN5tYwVbPKr7m2IB69M1yp1AB,
        # cg_2yb6uj74B4PCbfhT31WFdiSABC, routing endpoint d3sx0pso7m5abc.cloudfront.net
        # (aws cloudfront create-distribution-tenant / list-connection-groups examples).
        return prefix + _encoded(self.state.new_digest(prefix), length, alphabet)

    def _deploy_time(self, now: datetime) -> datetime:
        return now + timedelta(seconds=self.state.deploy_seconds)

    def status(self, deployed_at: datetime) -> str:
        return "Deployed" if self.state.clock() >= deployed_at else "InProgress"

    # ---- lookups ----
    def tenant(self, identifier: str) -> Tenant:
        """By ID, name or ARN ("You can specify the ARN, ID, or name of the distribution
        tenant": GetDistributionTenant's Identifier)."""
        tenant: Tenant = self._identified(self.tenants, identifier, "distribution tenant")
        return tenant

    def _identified(self, table: dict[str, Any], identifier: str, kind: str) -> Any:
        """An entry of ``table`` by its ID, name or ARN; EntityNotFound naming ``kind``."""
        with self.state.lock:
            found = table.get(identifier) or next(
                (e for e in table.values() if identifier in (e.name, e.arn)), None
            )
            if found is None:
                raise ApiError("EntityNotFound", f"The {kind} {identifier} does not exist.")
            return found

    def tenant_by_domain(self, domain: str) -> Tenant:
        with self.state.lock:
            wanted = domain.lower()
            for tenant in self.tenants.values():
                if any(d["Domain"].lower() == wanted for d in tenant.domains):
                    return tenant
            raise ApiError("EntityNotFound", f"No distribution tenant has the domain {domain}.")

    def group(self, identifier: str) -> ConnectionGroup:
        """By ID, name or ARN (GetConnectionGroup's Identifier)."""
        group: ConnectionGroup = self._identified(self.groups, identifier, "connection group")
        return group

    def group_by_endpoint(self, endpoint: str) -> ConnectionGroup:
        with self.state.lock:
            for group in self.groups.values():
                if group.routing_endpoint == endpoint.lower():
                    return group
            raise ApiError(
                "EntityNotFound", f"No connection group has the routing endpoint {endpoint}."
            )

    def domains_in_use(self, except_tenant: str | None = None) -> dict[str, str]:
        """Every tenant domain (lower case) and who holds it, for CNAMEAlreadyExists."""
        return {
            d["Domain"].lower(): f"distribution tenant {t.id}"
            for t in self.tenants.values()
            if t.id != except_tenant
            for d in t.domains
        }

    def tenants_of(self, distribution_id: str) -> list[Tenant]:
        return [t for t in self.tenants.values() if t.distribution_id == distribution_id]

    # ---- rules ----
    def _multi_tenant(self, distribution_id: str) -> dict[str, Any]:
        """The config of a tenant-only distribution (a tenant's parent)."""
        found = self.state.distributions.get(distribution_id)
        if found is None:
            raise ApiError("EntityNotFound", f"The distribution {distribution_id} does not exist.")
        if found.config.get("ConnectionMode") != "tenant-only":
            raise ApiError(
                "InvalidAssociation",
                f"The distribution {distribution_id} is a standard distribution; a distribution "
                'tenant needs a multi-tenant one (ConnectionMode "tenant-only").',
            )
        return found.config

    def _domains(
        self, items: list[dict[str, Any]], managed_certificate: bool, except_tenant: str | None
    ) -> list[dict[str, Any]]:
        """DomainResults for the request's DomainItems, after the API's checks."""
        if not items:
            raise ApiError("InvalidArgument", "A distribution tenant needs at least one domain.")
        taken = {**self.state.aliases_in_use(), **self.domains_in_use(except_tenant)}
        seen: set[str] = set()
        out = []
        for item in items:
            domain = str(item.get("Domain") or "")
            lower = domain.lower()
            if not DOMAIN.fullmatch(lower):
                raise ApiError("InvalidArgument", f"The domain {domain!r} is not a valid name.")
            if lower in seen:
                raise ApiError("InvalidArgument", f"The domain {domain} is given twice.")
            seen.add(lower)
            # OnDomainTakeover "allow" moves a domain only "when the domain's DNS points to
            # this distribution tenant"; a local API sees no DNS, so a taken domain is
            # refused either way.
            if lower in taken:
                raise ApiError(
                    "CNAMEAlreadyExists",
                    f"The domain {domain} is already used by {taken[lower]}.",
                )
            # A CloudFront-managed certificate leaves the domain inactive until its
            # validation (DNS) completes, as the create-distribution-tenant examples show.
            result = {"Domain": domain, "Status": "inactive" if managed_certificate else "active"}
            if item.get("ServeOn"):
                result["ServeOn"] = item["ServeOn"]
            out.append(result)
        return out

    @staticmethod
    def _parameters(
        config: dict[str, Any], distribution_id: str, parameters: list[dict[str, Any]]
    ) -> list[dict[str, str]]:
        """ "A valid parameter value must exist for any parameter that is marked as required
        in the multi-tenant distribution" (CreateDistributionTenant, Parameters); a name the
        distribution does not define has nothing to fill."""
        definitions = parameter_definitions(config)
        given: dict[str, str] = {}
        for parameter in parameters:
            name, value = str(parameter.get("Name") or ""), str(parameter.get("Value") or "")
            if name in given:
                raise ApiError("InvalidArgument", f"The parameter {name} is given twice.")
            if name not in definitions:
                known = ", ".join(sorted(definitions)) or "none"
                raise ApiError(
                    "InvalidArgument",
                    f"The parameter {name!r} is not defined by distribution {distribution_id} "
                    f"(it defines: {known}).",
                )
            if not 1 <= len(value) <= 256:
                raise ApiError(
                    "InvalidArgument", f"The parameter {name}'s value must be 1 to 256 characters."
                )
            given[name] = value
        missing = sorted(n for n, d in definitions.items() if is_required(d) and n not in given)
        if missing:
            raise ApiError(
                "InvalidArgument",
                f"Distribution {distribution_id} requires a value for the parameters: "
                f"{', '.join(missing)}.",
            )
        return [{"Name": name, "Value": value} for name, value in given.items()]

    @staticmethod
    def _customizations(customizations: dict[str, Any] | None) -> dict[str, Any] | None:
        if not customizations:
            return None
        out = copy.deepcopy(customizations)
        geo = out.get("GeoRestrictions")
        if geo and geo.get("Locations"):
            # The API answers the locations in order (update-distribution-tenant example).
            geo["Locations"] = sorted(geo["Locations"])
        return out

    # ---- connection groups ----
    def default_group(self) -> ConnectionGroup:
        """The default connection group, made on demand: "When you first create a
        distribution tenant and you don't specify a connection group, CloudFront will
        automatically create a default connection group for you" (CfnConnectionGroup)."""
        with self.state.lock:
            found = next((g for g in self.groups.values() if g.is_default), None)
            if found is not None:
                return found
            group_id = self._new_id("cg_", 27)
            # Named as CloudFront names it (list-connection-groups example).
            return self.create_group(
                f"CreatedByCloudFront-{group_id}", group_id=group_id, default=True
            )

    def create_group(
        self,
        name: str,
        *,
        ipv6_enabled: bool = True,
        enabled: bool = True,
        anycast_ip_list_id: str | None = None,
        viewer_fallback: dict[str, Any] | None = None,
        tags: dict[str, str] | None = None,
        group_id: str | None = None,
        default: bool = False,
    ) -> ConnectionGroup:
        with self.state.lock:
            if not name or len(name) > 128:
                raise ApiError("InvalidArgument", "A connection group name is 1 to 128 characters.")
            if any(g.name == name for g in self.groups.values()):
                raise ApiError(
                    "EntityAlreadyExists", f"A connection group named {name} already exists."
                )
            if group_id in self.groups:
                raise ApiError("EntityAlreadyExists", f"The connection group {group_id} exists.")
            if len(self.groups) >= MAX_CONNECTION_GROUPS:
                raise ApiError(
                    "EntityLimitExceeded",
                    f"An account can have {MAX_CONNECTION_GROUPS} connection groups.",
                )
            self._check_fallback(viewer_fallback)
            checked_tags = self.state.checked_tags(tags or {})
            now = self.state.clock()
            group = ConnectionGroup(
                id=group_id or self._new_id("cg_", 27),
                name=name,
                routing_endpoint=self._new_id("d", 13, string.digits + string.ascii_lowercase)
                + ".cloudfront.net",
                ipv6_enabled=ipv6_enabled,
                enabled=enabled,
                is_default=default,
                anycast_ip_list_id=anycast_ip_list_id or None,
                viewer_fallback=copy.deepcopy(viewer_fallback) or None,
                etag=self.state.new_etag(),
                created=now,
                modified=now,
                deployed_at=self._deploy_time(now),
            )
            self.groups[group.id] = group
            if checked_tags:
                self.state.tags[group.arn] = checked_tags
            return group

    def _check_fallback(self, viewer_fallback: dict[str, Any] | None) -> None:
        distribution_id = (viewer_fallback or {}).get("DistributionId")
        if distribution_id and distribution_id not in self.state.distributions:
            raise ApiError("EntityNotFound", f"The distribution {distribution_id} does not exist.")

    def update_group(
        self, group_id: str, if_match: str | None, p: dict[str, Any]
    ) -> ConnectionGroup:
        with self.state.lock:
            group = self.groups.get(group_id)
            if group is None:
                raise ApiError("EntityNotFound", f"The connection group {group_id} does not exist.")
            self.state.check_if_match(if_match, group.etag)
            self._check_fallback(p.get("ViewerFallback"))
            if p.get("Ipv6Enabled") is not None:
                group.ipv6_enabled = bool(p["Ipv6Enabled"])
            if p.get("Enabled") is not None:
                group.enabled = bool(p["Enabled"])
            if p.get("AnycastIpListId") is not None:
                group.anycast_ip_list_id = p["AnycastIpListId"] or None
            if p.get("ViewerFallback") is not None:
                group.viewer_fallback = copy.deepcopy(p["ViewerFallback"]) or None
            now = self.state.clock()
            group.etag, group.modified, group.deployed_at = (
                self.state.new_etag(), now, self._deploy_time(now)
            )  # fmt: skip
            return group

    def delete_group(self, group_id: str, if_match: str | None) -> None:
        with self.state.lock:
            group = self.groups.get(group_id)
            if group is None:
                raise ApiError("EntityNotFound", f"The connection group {group_id} does not exist.")
            self.state.check_if_match(if_match, group.etag)
            users = sorted(t.id for t in self.tenants.values() if t.connection_group_id == group.id)
            if users:
                raise ApiError(
                    "CannotDeleteEntityWhileInUse",
                    f"The connection group {group.id} is used by {', '.join(users)}.",
                )
            # "The connection group must be disabled" (delete-connection-group example).
            if group.enabled:
                raise ApiError(
                    "ResourceNotDisabled",
                    f"The connection group {group.id} is enabled; disable it first.",
                )
            del self.groups[group.id]
            self.state.tags.pop(group.arn, None)

    def group_view(self, group: ConnectionGroup) -> dict[str, Any]:
        view: dict[str, Any] = {
            "Id": group.id, "Name": group.name, "Arn": group.arn,
            "CreatedTime": group.created, "LastModifiedTime": group.modified,
            "Ipv6Enabled": group.ipv6_enabled, "RoutingEndpoint": group.routing_endpoint,
            "Status": self.status(group.deployed_at), "Enabled": group.enabled,
            "IsDefault": group.is_default,
        }  # fmt: skip
        tags = self.state.tags.get(group.arn)
        if tags:
            view["Tags"] = {"Items": [{"Key": k, "Value": v} for k, v in sorted(tags.items())]}
        if group.anycast_ip_list_id:
            view["AnycastIpListId"] = group.anycast_ip_list_id
        if group.viewer_fallback:
            view["ViewerFallback"] = copy.deepcopy(group.viewer_fallback)
        return view

    def group_summary(self, group: ConnectionGroup) -> dict[str, Any]:
        view = self.group_view(group)
        view.pop("Tags", None)
        view.pop("Ipv6Enabled", None)
        return {**view, "ETag": group.etag}

    # ---- tenants ----
    def create_tenant(self, p: dict[str, Any], tenant_id: str | None = None) -> Tenant:
        """CreateDistributionTenant's parameters, checked as the API checks them."""
        with self.state.lock:
            name = str(p.get("Name") or "")
            if not TENANT_NAME.fullmatch(name):
                raise ApiError(
                    "InvalidArgument",
                    f"The tenant name {name!r} must be 3 to 128 letters, digits, '-' or '.', "
                    "starting and ending with a letter or digit.",
                )
            if any(t.name == name for t in self.tenants.values()):
                raise ApiError(
                    "EntityAlreadyExists", f"A distribution tenant named {name} already exists."
                )
            if tenant_id in self.tenants:
                raise ApiError(
                    "EntityAlreadyExists", f"The distribution tenant {tenant_id} exists."
                )
            if len(self.tenants) >= MAX_TENANTS:
                raise ApiError(
                    "EntityLimitExceeded",
                    f"An account can have {MAX_TENANTS} distribution tenants.",
                )
            distribution_id = str(p.get("DistributionId") or "")
            config = self._multi_tenant(distribution_id)
            domains = self._domains(
                list(p.get("Domains") or []), bool(p.get("ManagedCertificateRequest")), None
            )
            parameters = self._parameters(config, distribution_id, list(p.get("Parameters") or []))
            tags = self.state.checked_tags(
                {t["Key"]: t.get("Value", "") for t in (p.get("Tags") or {}).get("Items") or []}
            )
            group = (
                self.group(p["ConnectionGroupId"])
                if p.get("ConnectionGroupId")
                else self.default_group()
            )
            now = self.state.clock()
            tenant = Tenant(
                id=tenant_id or self._new_id("dt_", 27),
                name=name,
                distribution_id=distribution_id,
                domains=domains,
                parameters=parameters,
                customizations=self._customizations(p.get("Customizations")),
                connection_group_id=group.id,
                enabled=p.get("Enabled") is not False,
                etag=self.state.new_etag(),
                created=now,
                modified=now,
                deployed_at=self._deploy_time(now),
            )
            self.tenants[tenant.id] = tenant
            if tags:
                self.state.tags[tenant.arn] = tags
            return tenant

    def update_tenant(self, tenant_id: str, if_match: str | None, p: dict[str, Any]) -> Tenant:
        """UpdateDistributionTenant: the members given replace the tenant's; the others
        stay (the update-distribution-tenant example sends Parameters and Customizations
        and keeps the Domains)."""
        with self.state.lock:
            tenant = self.tenants.get(tenant_id)
            if tenant is None:
                raise ApiError(
                    "EntityNotFound", f"The distribution tenant {tenant_id} does not exist."
                )
            self.state.check_if_match(if_match, tenant.etag)
            distribution_id = str(p.get("DistributionId") or tenant.distribution_id)
            config = self._multi_tenant(distribution_id)
            domains = tenant.domains
            if p.get("Domains") is not None:
                domains = self._domains(
                    list(p["Domains"]), bool(p.get("ManagedCertificateRequest")), tenant.id
                )
            parameters = tenant.parameters
            if p.get("Parameters") is not None or distribution_id != tenant.distribution_id:
                given = p.get("Parameters")
                parameters = self._parameters(
                    config, distribution_id, list(tenant.parameters if given is None else given)
                )
            group_id = tenant.connection_group_id
            if p.get("ConnectionGroupId"):
                group_id = self.group(p["ConnectionGroupId"]).id
            # Checked in full before anything changes: a refused update changes nothing.
            tenant.distribution_id, tenant.domains, tenant.parameters = (
                distribution_id, domains, parameters
            )  # fmt: skip
            tenant.connection_group_id = group_id
            if p.get("Customizations") is not None:
                tenant.customizations = self._customizations(p["Customizations"])
            if p.get("Enabled") is not None:
                tenant.enabled = bool(p["Enabled"])
            now = self.state.clock()
            tenant.etag, tenant.modified, tenant.deployed_at = (
                self.state.new_etag(), now, self._deploy_time(now)
            )  # fmt: skip
            return tenant

    def delete_tenant(self, tenant_id: str, if_match: str | None) -> None:
        with self.state.lock:
            tenant = self.tenants.get(tenant_id)
            if tenant is None:
                raise ApiError(
                    "EntityNotFound", f"The distribution tenant {tenant_id} does not exist."
                )
            self.state.check_if_match(if_match, tenant.etag)
            # "If you use this API operation to delete a distribution tenant that is
            # currently enabled, the request will fail" (DeleteDistributionTenant).
            if tenant.enabled:
                raise ApiError(
                    "ResourceNotDisabled",
                    f"The distribution tenant {tenant.id} is enabled; disable it first "
                    "(UpdateDistributionTenant with Enabled false).",
                )
            del self.tenants[tenant.id]
            self.state.tags.pop(tenant.arn, None)

    def tenant_view(self, tenant: Tenant) -> dict[str, Any]:
        view: dict[str, Any] = {
            "Id": tenant.id, "DistributionId": tenant.distribution_id, "Name": tenant.name,
            "Arn": tenant.arn, "Domains": copy.deepcopy(tenant.domains),
            "ConnectionGroupId": tenant.connection_group_id, "CreatedTime": tenant.created,
            "LastModifiedTime": tenant.modified, "Enabled": tenant.enabled,
            "Status": self.status(tenant.deployed_at),
        }  # fmt: skip
        tags = self.state.tags.get(tenant.arn)
        if tags:
            view["Tags"] = {"Items": [{"Key": k, "Value": v} for k, v in sorted(tags.items())]}
        if tenant.customizations:
            view["Customizations"] = copy.deepcopy(tenant.customizations)
        if tenant.parameters:
            view["Parameters"] = copy.deepcopy(tenant.parameters)
        return view

    def tenant_summary(self, tenant: Tenant) -> dict[str, Any]:
        """DistributionTenantSummary: no Parameters and no Tags, but the ETag."""
        view = self.tenant_view(tenant)
        view.pop("Tags", None)
        view.pop("Parameters", None)
        return {**view, "ETag": tenant.etag}
