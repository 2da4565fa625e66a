"""Distribution tenants for the deploy commands: ``--tenant ID|DOMAIN`` resolved through
the API, and the checks that keep tenant scopes where they can work.

A tenant scope covers requests through one tenant of a multi-tenant distribution
(:mod:`cffunc.function.tenants`). The API resolves what a user types: a tenant's id with
GetDistributionTenant, one of its domains with GetDistributionTenantByDomain
(https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_GetDistributionTenantByDomain.html),
before anything is written, so a typo is a one-line error rather than a key nothing reads.

On a standard distribution ``cf.distributionTenant`` does not exist: a tenant scope there
would cover nothing, so ``enable`` (and ``install``, ``plan``) refuse it
(:func:`cffunc.deploy.plan.check_enable`) rather than "succeed" while every request is
still served.
"""

from __future__ import annotations

from collections.abc import Sequence

from cffunc.config.scope import TENANT_ID, host_error
from cffunc.deploy.awsclient import CloudFrontClient, TenantInfo
from cffunc.deploy.plan import RemoteDistribution
from cffunc.errors import CffuncError
from cffunc.function.store_layout import TENANT_PREFIX
from cffunc.function.tenants import Tenant


def resolve(
    client: CloudFrontClient,
    given: Sequence[str],
    distributions: Sequence[RemoteDistribution],
    allowed: Sequence[str] = (),
) -> list[TenantInfo]:
    """The tenants ``--tenant`` names (ids or domains), each found through the API and
    belonging to one of ``distributions``; ``allowed``: the config's tenant scope, which
    bounds the store's (empty: any). CffuncError names the first that is not."""
    ids = {d.id for d in distributions}
    out: list[TenantInfo] = []
    for text in given:
        tenant = _lookup(client, text)
        if tenant.distribution_id not in ids:
            raise CffuncError(
                f"--tenant {text}: tenant {tenant.label} belongs to distribution "
                f"{tenant.distribution_id}, which the config does not select; add it to "
                "[[distributions]]"
            )
        if allowed and tenant.id not in allowed:
            raise CffuncError(
                f"--tenant {text}: tenant {tenant.label} is outside maintenance.tenants "
                f"({', '.join(allowed)}), so its requests would never get maintenance; add "
                "its id there and run `cffunc install`"
            )
        if tenant.id not in {t.id for t in out}:
            out.append(tenant)
    return out


def tenant_ids(client: CloudFrontClient, given: Sequence[str]) -> list[tuple[str, str]]:
    """``disable --tenant``: (id, label) of each tenant; ids as given (no call: it must
    work in an emergency, for a tenant deleted since too), domains through
    GetDistributionTenantByDomain."""
    out: dict[str, str] = {}
    for text in given:
        if TENANT_ID.fullmatch(text):
            out.setdefault(text, text)
        else:
            found = _lookup(client, text)
            out.setdefault(found.id, found.label)
    return list(out.items())


def _lookup(client: CloudFrontClient, text: str) -> TenantInfo:
    if TENANT_ID.fullmatch(text):
        found = client.distribution_tenant(text)
        if found is None:
            raise CffuncError(
                f"--tenant {text}: no distribution tenant has this id; `aws cloudfront "
                "list-distribution-tenants` lists them"
            )
        return found
    if host_error(text) is not None or text.startswith("*."):
        raise CffuncError(
            f"--tenant {text!r}: give a tenant's id (dt_...) or one of its domains, "
            "e.g. --tenant acme.example.com"
        )
    found = client.distribution_tenant_by_domain(text.lower())
    if found is None:
        raise CffuncError(
            f"--tenant {text}: no distribution tenant serves this domain; give one of a "
            "tenant's domains or its id (dt_...)"
        )
    return found


def reads_tenant_scopes(live_code: bytes | None) -> bool:
    """Whether a function's LIVE code reads the store's tenant scopes (it names their
    keys): one installed before ``tenant_scopes`` does not, and a tenant key written for
    it would do nothing."""
    return live_code is not None and TENANT_PREFIX.encode() in live_code


def edge_tenant(client: CloudFrontClient, identifier: str) -> Tenant | None:
    """The tenant as a function running for it sees it (``cf.distributionTenant``): its
    id, and its parameters with the multi-tenant distribution's default for each optional
    one it leaves out ("If you do not provide a value for an optional parameter in a
    distribution tenant, then the default value from the multi-tenant distribution is used
    as the value": distribution-config-options.html). For running recorded or scripted
    requests through the function as the edge would (``replay``, tests). None: unknown."""
    found = client.distribution_tenant(identifier)
    if found is None:
        return None
    config = client.distribution_config(found.distribution_id).config
    definitions = (config.get("TenantConfig") or {}).get("ParameterDefinitions") or []
    values = dict(found.parameters)
    for definition in definitions:
        schema = (definition.get("Definition") or {}).get("StringSchema") or {}
        default = schema.get("DefaultValue")
        if definition.get("Name") not in values and isinstance(default, str):
            values[str(definition["Name"])] = default
    return Tenant(found.id, tuple(values.items()))
