"""The local CloudFront API's multi-tenant side, driven over HTTP by boto3 and the AWS CLI:
multi-tenant distributions, distribution tenants, connection groups, tags, paging, seeds
(tenants and fleets), and the throttling and call counts a fleet deploy is measured by."""

from __future__ import annotations

import copy
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from cffunc.emulator.seeds import FLEET_CONFIG, SeedError, parse_seeds
from cffunc.emulator.server import RunningEmulator, local_cloudfront, read_seeds
from tests.helpers import SAMPLES, Processes
from tests.test_emulator import _raw, aws, control, error_code

MULTI = "E3MULTITENANT1"
STANDARD = "E2EXAMPLE12345"
SEEDS = read_seeds(SAMPLES / "distribution.json") + read_seeds(SAMPLES / "multi-tenant.json")
MULTI_CONFIG = next(s for s in SEEDS if s.get("Id") == MULTI)["DistributionConfig"]
TENANT_ID = re.compile(r"dt_[0-9A-Za-z]{27}")
GROUP_ID = re.compile(r"cg_[0-9A-Za-z]{27}")
ENDPOINT = re.compile(r"d[0-9a-z]{13}\.cloudfront\.net")
WEB_ACL = "arn:aws:wafv2:us-east-1:123456789012:global/webacl/tenants/a3c19bce"
CERTIFICATE = "arn:aws:acm:us-east-1:123456789012:certificate/ec53f564"


@pytest.fixture
def emulator() -> Iterator[RunningEmulator]:
    with local_cloudfront(SEEDS, deploy_seconds=30) as running:
        yield running


def client(emulator: RunningEmulator, **retries: Any) -> Any:
    return boto3.client(
        "cloudfront",
        endpoint_url=emulator.endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries=retries or {"mode": "standard", "total_max_attempts": 1}),
    )


@pytest.fixture
def cf(emulator: RunningEmulator) -> Any:
    return client(emulator)


def status_of(raised: pytest.ExceptionInfo[ClientError]) -> int:
    return int(raised.value.response["ResponseMetadata"]["HTTPStatusCode"])


def tenant(cf: Any, name: str, domains: list[str], **extra: Any) -> dict[str, Any]:
    """Create a tenant of the seeded multi-tenant distribution; its answer."""
    answer = cf.create_distribution_tenant(
        DistributionId=extra.pop("DistributionId", MULTI),
        Name=name,
        Domains=[{"Domain": d} for d in domains],
        Parameters=extra.pop("Parameters", [{"Name": "tenantName", "Value": name}]),
        **extra,
    )
    return dict(answer)


def multi_tenant_config(**changes: Any) -> dict[str, Any]:
    config = copy.deepcopy(MULTI_CONFIG)
    config["CallerReference"] = "another"
    config.update(changes)
    return config


# ---- multi-tenant distributions ----


def test_connection_mode_is_kept_listed_and_filtered(cf: Any) -> None:
    created = cf.create_distribution(DistributionConfig=multi_tenant_config())["Distribution"]
    assert created["DomainName"] == "-"  # no routing endpoint of its own
    read = cf.get_distribution_config(Id=created["Id"])["DistributionConfig"]
    assert read == multi_tenant_config()
    modes = {
        d["Id"]: d["ConnectionMode"] for d in cf.list_distributions()["DistributionList"]["Items"]
    }
    assert modes == {STANDARD: "direct", MULTI: "tenant-only", created["Id"]: "tenant-only"}
    listed = cf.list_distributions_by_connection_mode(ConnectionMode="tenant-only")
    assert [d["Id"] for d in listed["DistributionList"]["Items"]] == sorted([MULTI, created["Id"]])
    direct = cf.list_distributions_by_connection_mode(ConnectionMode="direct")
    assert [d["Id"] for d in direct["DistributionList"]["Items"]] == [STANDARD]
    with pytest.raises(ClientError) as raised:
        cf.list_distributions_by_connection_mode(ConnectionMode="shared")
    assert error_code(raised) == "InvalidArgument"


def _behavior(**fields: Any) -> dict[str, Any]:
    behavior = copy.deepcopy(MULTI_CONFIG["DefaultCacheBehavior"])
    behavior.update(fields)
    return behavior


STANDARD_ONLY = {
    "Aliases": {"Aliases": {"Quantity": 1, "Items": ["tenant.example.com"]}},
    "PriceClass": {"PriceClass": "PriceClass_100"},
    "ContinuousDeploymentPolicyId": {"ContinuousDeploymentPolicyId": "cd-1"},
    "Staging": {"Staging": True},
    "IAMCertificateId": {
        "ViewerCertificate": {"IAMCertificateId": "ASCAEXAMPLE", "SSLSupportMethod": "sni-only"}
    },
    "TrustedSigners": {
        "DefaultCacheBehavior": _behavior(
            TrustedSigners={"Enabled": True, "Quantity": 1, "Items": ["self"]}
        )
    },
    "SmoothStreaming": {"DefaultCacheBehavior": _behavior(SmoothStreaming=True)},
    "MinTTL": {"DefaultCacheBehavior": _behavior(MinTTL=0)},
    "DefaultTTL": {"DefaultCacheBehavior": _behavior(DefaultTTL=60)},
    "MaxTTL": {"DefaultCacheBehavior": _behavior(MaxTTL=600)},
    "behavior MaxTTL": {
        "CacheBehaviors": {
            "Quantity": 1,
            "Items": [_behavior(PathPattern="/api/*", MaxTTL=600)],
        }
    },
}


@pytest.mark.parametrize("field", list(STANDARD_ONLY))
def test_standard_only_fields_are_refused_on_a_multi_tenant_distribution(
    cf: Any, field: str
) -> None:
    with pytest.raises(ClientError) as raised:
        cf.create_distribution(DistributionConfig=multi_tenant_config(**STANDARD_ONLY[field]))
    assert error_code(raised) == "InvalidArgument"
    assert field.split()[-1] in raised.value.response["Error"]["Message"]
    read = cf.get_distribution_config(Id=MULTI)
    with pytest.raises(ClientError) as raised:
        cf.update_distribution(
            Id=MULTI,
            IfMatch=read["ETag"],
            DistributionConfig={**read["DistributionConfig"], **STANDARD_ONLY[field]},
        )
    assert error_code(raised) == "InvalidArgument"
    assert cf.get_distribution_config(Id=MULTI)["ETag"] == read["ETag"]


def test_values_that_mean_unused_are_accepted_on_a_multi_tenant_distribution(cf: Any) -> None:
    # What AWS itself reports for a multi-tenant distribution (PriceClass_All, no aliases,
    # Staging false) must survive a read-modify-write.
    config = multi_tenant_config(
        Aliases={"Quantity": 0}, PriceClass="PriceClass_All", Staging=False,
        ContinuousDeploymentPolicyId="",
        DefaultCacheBehavior=_behavior(
            TrustedSigners={"Enabled": False, "Quantity": 0}, SmoothStreaming=False
        ),
    )  # fmt: skip
    created = cf.create_distribution(DistributionConfig=config)["Distribution"]
    assert cf.get_distribution_config(Id=created["Id"])["DistributionConfig"] == config


def test_tenant_config_is_for_multi_tenant_distributions_and_the_mode_cannot_change(
    cf: Any,
) -> None:
    read = cf.get_distribution_config(Id=STANDARD)
    with pytest.raises(ClientError) as raised:
        cf.update_distribution(
            Id=STANDARD,
            IfMatch=read["ETag"],
            DistributionConfig={
                **read["DistributionConfig"],
                "TenantConfig": MULTI_CONFIG["TenantConfig"],
            },
        )
    assert error_code(raised) == "InvalidArgument"
    multi = cf.get_distribution_config(Id=MULTI)
    with pytest.raises(ClientError) as raised:
        cf.update_distribution(
            Id=MULTI,
            IfMatch=multi["ETag"],
            DistributionConfig={**multi["DistributionConfig"], "ConnectionMode": "direct"},
        )
    assert error_code(raised) == "IllegalUpdate"
    definitions = [
        {"Name": "x", "Definition": {"StringSchema": {"Required": False}}},
        {"Name": "x", "Definition": {"StringSchema": {"Required": True}}},
    ]
    with pytest.raises(ClientError) as raised:
        cf.create_distribution(
            DistributionConfig=multi_tenant_config(
                TenantConfig={"ParameterDefinitions": definitions}
            )
        )
    assert error_code(raised) == "InvalidArgument"
    assert "defined twice" in raised.value.response["Error"]["Message"]


def test_aliases_and_tenant_domains_are_unique_in_the_account(cf: Any) -> None:
    other = {**FLEET_CONFIG, "CallerReference": "other"}
    other["Aliases"] = {"Quantity": 1, "Items": ["WWW.SHOP.example.com"]}
    with pytest.raises(ClientError) as raised:
        cf.create_distribution(DistributionConfig=other)
    assert error_code(raised) == "CNAMEAlreadyExists"
    assert status_of(raised) == 409
    other["Aliases"] = {"Quantity": 1, "Items": ["acme.saas.example.com"]}  # a tenant's
    with pytest.raises(ClientError) as raised:
        cf.create_distribution(DistributionConfig=other)
    assert error_code(raised) == "CNAMEAlreadyExists"
    other["Aliases"] = {"Quantity": 1, "Items": ["free.example.com"]}
    created = cf.create_distribution(DistributionConfig=other)
    config = created["Distribution"]["DistributionConfig"]
    config["Aliases"] = {"Quantity": 1, "Items": ["shop.example.com"]}
    with pytest.raises(ClientError) as raised:
        cf.update_distribution(
            Id=created["Distribution"]["Id"], IfMatch=created["ETag"], DistributionConfig=config
        )
    assert error_code(raised) == "CNAMEAlreadyExists"
    # A distribution keeps its own aliases on an update.
    read = cf.get_distribution_config(Id=STANDARD)
    cf.update_distribution(
        Id=STANDARD, IfMatch=read["ETag"], DistributionConfig=read["DistributionConfig"]
    )


def test_a_distribution_with_tenants_cannot_be_deleted(cf: Any, emulator: RunningEmulator) -> None:
    read = cf.get_distribution_config(Id=MULTI)
    disabled = cf.update_distribution(
        Id=MULTI, IfMatch=read["ETag"],
        DistributionConfig={**read["DistributionConfig"], "Enabled": False},
    )  # fmt: skip
    control(emulator, "/__cffunc/clock", {"advance": 31})
    with pytest.raises(ClientError) as raised:
        cf.delete_distribution(Id=MULTI, IfMatch=disabled["ETag"])
    assert error_code(raised) == "ResourceInUse"
    assert cf.get_distribution(Id=MULTI)["ETag"] == disabled["ETag"]


# ---- distribution tenants ----


def test_a_tenant_is_created_and_found_by_id_name_arn_and_domain(
    cf: Any, emulator: RunningEmulator
) -> None:
    created = tenant(
        cf, "umbrella", ["umbrella.saas.example.com", "www.umbrella.example.com"],
        Tags={"Items": [{"Key": "plan", "Value": "silver"}]},
        Customizations={"GeoRestrictions": {"RestrictionType": "whitelist", "Locations": ["GB", "DE"]}},
    )  # fmt: skip
    made = created["DistributionTenant"]
    assert TENANT_ID.fullmatch(made["Id"])
    assert made["Arn"] == f"arn:aws:cloudfront::123456789012:distribution-tenant/{made['Id']}"
    assert made["DistributionId"] == MULTI and made["Enabled"] is True
    assert made["Status"] == "InProgress"
    assert made["Domains"] == [
        {"Domain": "umbrella.saas.example.com", "Status": "active"},
        {"Domain": "www.umbrella.example.com", "Status": "active"},
    ]
    assert made["Parameters"] == [{"Name": "tenantName", "Value": "umbrella"}]
    assert made["Tags"] == {"Items": [{"Key": "plan", "Value": "silver"}]}
    assert made["Customizations"]["GeoRestrictions"]["Locations"] == ["DE", "GB"]
    for identifier in (made["Id"], "umbrella", made["Arn"]):
        got = cf.get_distribution_tenant(Identifier=identifier)
        assert got["DistributionTenant"] == made and got["ETag"] == created["ETag"]
    by_domain = cf.get_distribution_tenant_by_domain(Domain="WWW.umbrella.example.com")
    assert by_domain["DistributionTenant"]["Id"] == made["Id"]
    control(emulator, "/__cffunc/clock", {"advance": 31})
    assert cf.get_distribution_tenant(Identifier="umbrella")["DistributionTenant"]["Status"] == (
        "Deployed"
    )
    for missing in ("nobody", "dt_0000000000000000000000000"):
        with pytest.raises(ClientError) as raised:
            cf.get_distribution_tenant(Identifier=missing)
        assert error_code(raised) == "EntityNotFound" and status_of(raised) == 404
    with pytest.raises(ClientError) as raised:
        cf.get_distribution_tenant_by_domain(Domain="nobody.example.com")
    assert error_code(raised) == "EntityNotFound"


@pytest.mark.usefixtures("local_api")
def test_the_default_connection_group_is_made_on_demand() -> None:
    no_tenants = [s for s in SEEDS if "Tenant" not in s]
    with local_cloudfront(no_tenants, deploy_seconds=0) as bare:
        cf = client(bare)
        assert [g["Name"] for g in cf.list_connection_groups()["ConnectionGroups"]] == ["saas-edge"]
        first = tenant(cf, "first", ["first.example.com"])["DistributionTenant"]
        second = tenant(cf, "second", ["second.example.com"])["DistributionTenant"]
        default = cf.get_connection_group(Identifier=first["ConnectionGroupId"])["ConnectionGroup"]
        assert default["IsDefault"] is True
        assert default["Name"] == f"CreatedByCloudFront-{default['Id']}"
        assert GROUP_ID.fullmatch(default["Id"]) and ENDPOINT.fullmatch(default["RoutingEndpoint"])
        assert second["ConnectionGroupId"] == default["Id"]
        assert len(cf.list_connection_groups()["ConnectionGroups"]) == 2


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ([], "requires a value for the parameters: tenantName"),
        ([{"Name": "maintenanceMessage", "Value": "x"}], "requires a value"),
        (
            [{"Name": "tenantName", "Value": "a"}, {"Name": "colour", "Value": "red"}],
            "'colour' is not defined by distribution E3MULTITENANT1 "
            "(it defines: maintenanceMessage, tenantName)",
        ),
        (
            [{"Name": "tenantName", "Value": "a"}, {"Name": "tenantName", "Value": "b"}],
            "given twice",
        ),
    ],
)
def test_parameters_are_checked_against_the_distributions_definitions(
    cf: Any, parameters: list[dict[str, str]], message: str
) -> None:
    with pytest.raises(ClientError) as raised:
        tenant(cf, "umbrella", ["umbrella.example.com"], Parameters=parameters)
    assert error_code(raised) == "InvalidArgument"
    assert message in raised.value.response["Error"]["Message"]
    assert len(cf.list_distribution_tenants()["DistributionTenantList"]) == 3


def test_optional_parameters_may_be_left_to_their_default(cf: Any) -> None:
    made = tenant(cf, "umbrella", ["umbrella.example.com"])["DistributionTenant"]
    assert made["Parameters"] == [{"Name": "tenantName", "Value": "umbrella"}]


@pytest.mark.parametrize(
    ("name", "domains", "extra", "code"),
    [
        ("acme", ["new.example.com"], {}, "EntityAlreadyExists"),
        ("x", ["new.example.com"], {}, "InvalidArgument"),  # a name is 3 characters or more
        ("-bad-", ["new.example.com"], {}, "InvalidArgument"),
        ("umbrella", ["ACME.saas.example.com"], {}, "CNAMEAlreadyExists"),
        ("umbrella", ["www.shop.example.com"], {}, "CNAMEAlreadyExists"),  # an alias
        ("umbrella", ["a.example.com", "a.example.com"], {}, "InvalidArgument"),
        ("umbrella", ["not a domain"], {}, "InvalidArgument"),
        ("umbrella", ["new.example.com"], {"DistributionId": STANDARD}, "InvalidAssociation"),
        ("umbrella", ["new.example.com"], {"DistributionId": "ENOSUCH"}, "EntityNotFound"),
        ("umbrella", ["new.example.com"], {"ConnectionGroupId": "cg_nosuch"}, "EntityNotFound"),
        (
            "umbrella", ["new.example.com"],
            {"Tags": {"Items": [{"Key": "aws:owner", "Value": "x"}]}}, "InvalidTagging",
        ),
    ],
)  # fmt: skip
def test_create_tenant_errors(
    cf: Any, name: str, domains: list[str], extra: dict[str, Any], code: str
) -> None:
    with pytest.raises(ClientError) as raised:
        tenant(cf, name, domains, **extra)
    assert error_code(raised) == code
    assert len(cf.list_distribution_tenants()["DistributionTenantList"]) == 3


def test_update_keeps_what_it_does_not_name_and_needs_the_current_etag(cf: Any) -> None:
    read = cf.get_distribution_tenant(Identifier="acme")
    before = read["DistributionTenant"]
    with pytest.raises(ClientError) as raised:
        cf.update_distribution_tenant(Id=before["Id"], IfMatch="", Enabled=False)
    assert error_code(raised) == "InvalidIfMatchVersion"
    updated = cf.update_distribution_tenant(
        Id=before["Id"], IfMatch=read["ETag"],
        Parameters=[{"Name": "tenantName", "Value": "Acme Corp"}],
        Customizations={"WebAcl": {"Action": "override", "Arn": WEB_ACL}},
    )  # fmt: skip
    after = updated["DistributionTenant"]
    assert updated["ETag"] != read["ETag"]
    assert after["Domains"] == before["Domains"] and after["Enabled"] is True
    assert after["Parameters"] == [{"Name": "tenantName", "Value": "Acme Corp"}]
    assert (
        after["Status"] == "InProgress" and after["LastModifiedTime"] > before["LastModifiedTime"]
    )
    with pytest.raises(ClientError) as raised:
        cf.update_distribution_tenant(Id=before["Id"], IfMatch=read["ETag"], Enabled=False)
    assert error_code(raised) == "PreconditionFailed" and status_of(raised) == 412
    # A refused update changes nothing, not even the parts that were valid.
    with pytest.raises(ClientError) as raised:
        cf.update_distribution_tenant(
            Id=before["Id"], IfMatch=updated["ETag"], Enabled=False,
            Domains=[{"Domain": "acme.example.com"}, {"Domain": "globex.saas.example.com"}],
        )  # fmt: skip
    assert error_code(raised) == "CNAMEAlreadyExists"
    again = cf.get_distribution_tenant(Identifier="acme")
    assert again["ETag"] == updated["ETag"] and again["DistributionTenant"]["Enabled"] is True
    with pytest.raises(ClientError) as raised:
        cf.update_distribution_tenant(Id=before["Id"], IfMatch=updated["ETag"], Parameters=[])
    assert error_code(raised) == "InvalidArgument"
    moved = cf.update_distribution_tenant(
        Id=before["Id"], IfMatch=updated["ETag"], Domains=[{"Domain": "acme.example.com"}]
    )["DistributionTenant"]
    assert moved["Domains"] == [{"Domain": "acme.example.com", "Status": "active"}]
    # The domain it gave up is free again.
    tenant(cf, "acme-two", ["acme.saas.example.com"])


def test_an_enabled_tenant_cannot_be_deleted(cf: Any) -> None:
    read = cf.get_distribution_tenant(Identifier="acme")
    tenant_id, arn = read["DistributionTenant"]["Id"], read["DistributionTenant"]["Arn"]
    with pytest.raises(ClientError) as raised:
        cf.delete_distribution_tenant(Id=tenant_id, IfMatch=read["ETag"])
    assert error_code(raised) == "ResourceNotDisabled" and status_of(raised) == 409
    disabled = cf.update_distribution_tenant(Id=tenant_id, IfMatch=read["ETag"], Enabled=False)
    with pytest.raises(ClientError) as raised:
        cf.delete_distribution_tenant(Id=tenant_id, IfMatch=read["ETag"])
    assert error_code(raised) == "PreconditionFailed"
    cf.delete_distribution_tenant(Id=tenant_id, IfMatch=disabled["ETag"])
    with pytest.raises(ClientError) as raised:
        cf.get_distribution_tenant(Identifier=tenant_id)
    assert error_code(raised) == "EntityNotFound"
    with pytest.raises(ClientError) as raised:
        cf.list_tags_for_resource(Resource=arn)
    assert error_code(raised) == "NoSuchResource"
    tenant(cf, "acme", ["acme.saas.example.com"])  # the name and the domain are free again


def test_tenants_are_listed_by_association_and_in_pages(cf: Any) -> None:
    for n in range(7):
        tenant(cf, f"tenant-{n}", [f"t{n}.example.com"], ConnectionGroupId="saas-edge")
    everyone = cf.list_distribution_tenants()["DistributionTenantList"]
    assert len(everyone) == 10
    assert {"Parameters", "Tags"}.isdisjoint(everyone[0]) and everyone[0]["ETag"]
    for summary in everyone:
        assert cf.get_distribution_tenant(Identifier=summary["Id"])["ETag"] == summary["ETag"]
    group = cf.get_connection_group(Identifier="saas-edge")["ConnectionGroup"]["Id"]
    on_group = cf.list_distribution_tenants(AssociationFilter={"ConnectionGroupId": group})
    assert sorted(t["Name"] for t in on_group["DistributionTenantList"]) == sorted(
        ["globex", *(f"tenant-{n}" for n in range(7))]
    )
    by_distribution = cf.list_distribution_tenants(AssociationFilter={"DistributionId": MULTI})
    assert len(by_distribution["DistributionTenantList"]) == 10
    first = cf.list_distribution_tenants(MaxItems=4)
    assert len(first["DistributionTenantList"]) == 4 and first["NextMarker"]
    paged = [
        t["Id"]
        for page in cf.get_paginator("list_distribution_tenants").paginate(
            PaginationConfig={"PageSize": 3}
        )
        for t in page["DistributionTenantList"]
    ]
    assert sorted(paged) == sorted(t["Id"] for t in everyone) and len(set(paged)) == 10
    last = cf.list_distribution_tenants(Marker=sorted(paged)[-2], MaxItems=4)
    assert len(last["DistributionTenantList"]) == 1 and "NextMarker" not in last
    for wrong in ({"DistributionId": "ENOSUCH"}, {"ConnectionGroupId": "cg_nosuch"}):
        with pytest.raises(ClientError) as raised:
            cf.list_distribution_tenants(AssociationFilter=wrong)
        assert error_code(raised) == "EntityNotFound"
    with pytest.raises(ClientError) as raised:
        cf.list_distribution_tenants(MaxItems=0)
    assert error_code(raised) == "InvalidArgument"


def test_tenants_are_listed_by_customization(cf: Any) -> None:
    tenant(
        cf, "walled", ["walled.example.com"],
        Customizations={"WebAcl": {"Action": "override", "Arn": WEB_ACL}},
    )  # fmt: skip
    tenant(
        cf, "certified", ["certified.example.com"],
        Customizations={"Certificate": {"Arn": CERTIFICATE}},
    )  # fmt: skip
    by_acl = cf.list_distribution_tenants_by_customization(WebACLArn=WEB_ACL)
    assert [t["Name"] for t in by_acl["DistributionTenantList"]] == ["walled"]
    by_certificate = cf.list_distribution_tenants_by_customization(CertificateArn=CERTIFICATE)
    assert [t["Name"] for t in by_certificate["DistributionTenantList"]] == ["certified"]
    for both_or_neither in ({"WebACLArn": WEB_ACL, "CertificateArn": CERTIFICATE}, {}):
        with pytest.raises(ClientError) as raised:
            cf.list_distribution_tenants_by_customization(**both_or_neither)
        assert error_code(raised) == "InvalidArgument"


# ---- connection groups ----


def test_connection_group_lifecycle(cf: Any) -> None:
    created = cf.create_connection_group(
        Name="eu-edge", Ipv6Enabled=False, AnycastIpListId="aip_example",
        Tags={"Items": [{"Key": "region", "Value": "eu"}]},
    )  # fmt: skip
    group = created["ConnectionGroup"]
    assert GROUP_ID.fullmatch(group["Id"]) and ENDPOINT.fullmatch(group["RoutingEndpoint"])
    assert group["Arn"] == f"arn:aws:cloudfront::123456789012:connection-group/{group['Id']}"
    assert (group["Enabled"], group["IsDefault"], group["Ipv6Enabled"]) == (True, False, False)
    assert group["Tags"] == {"Items": [{"Key": "region", "Value": "eu"}]}
    assert group["Status"] == "InProgress"
    for identifier in (group["Id"], "eu-edge", group["Arn"]):
        assert cf.get_connection_group(Identifier=identifier)["ConnectionGroup"] == group
    by_endpoint = cf.get_connection_group_by_routing_endpoint(
        RoutingEndpoint=group["RoutingEndpoint"]
    )
    assert by_endpoint["ConnectionGroup"]["Id"] == group["Id"]
    with pytest.raises(ClientError) as raised:
        cf.get_connection_group_by_routing_endpoint(RoutingEndpoint="d0000000000000.cloudfront.net")
    assert error_code(raised) == "EntityNotFound"
    with pytest.raises(ClientError) as raised:
        cf.create_connection_group(Name="eu-edge")
    assert error_code(raised) == "EntityAlreadyExists"
    filtered = cf.list_connection_groups(AssociationFilter={"AnycastIpListId": "aip_example"})
    assert [g["Name"] for g in filtered["ConnectionGroups"]] == ["eu-edge"]
    assert filtered["ConnectionGroups"][0]["ETag"] == created["ETag"]
    user = tenant(cf, "eu-tenant", ["eu.example.com"], ConnectionGroupId=group["Id"])
    with pytest.raises(ClientError) as raised:
        cf.delete_connection_group(Id=group["Id"], IfMatch=created["ETag"])
    assert error_code(raised) == "CannotDeleteEntityWhileInUse"
    disabled = cf.update_connection_group(Id=group["Id"], IfMatch=created["ETag"], Enabled=False)
    assert disabled["ETag"] != created["ETag"]
    assert disabled["ConnectionGroup"]["Ipv6Enabled"] is False  # kept: not in the update
    with pytest.raises(ClientError) as raised:
        cf.update_connection_group(Id=group["Id"], IfMatch=created["ETag"], Enabled=True)
    assert error_code(raised) == "PreconditionFailed"
    edge = cf.get_connection_group(Identifier="saas-edge")["ConnectionGroup"]["Id"]
    moved = cf.update_distribution_tenant(
        Id=user["DistributionTenant"]["Id"], IfMatch=user["ETag"], ConnectionGroupId=edge
    )
    assert moved["DistributionTenant"]["ConnectionGroupId"] == edge
    cf.delete_connection_group(Id=group["Id"], IfMatch=disabled["ETag"])
    with pytest.raises(ClientError) as raised:
        cf.get_connection_group(Identifier="eu-edge")
    assert error_code(raised) == "EntityNotFound"


def test_an_enabled_connection_group_cannot_be_deleted(cf: Any) -> None:
    read = cf.get_connection_group(Identifier="saas-edge")
    in_use = read["ConnectionGroup"]["Id"]
    lonely = cf.create_connection_group(Name="lonely")
    with pytest.raises(ClientError) as raised:
        cf.delete_connection_group(Id=lonely["ConnectionGroup"]["Id"], IfMatch=lonely["ETag"])
    assert error_code(raised) == "ResourceNotDisabled"
    with pytest.raises(ClientError) as raised:
        cf.delete_connection_group(Id=in_use, IfMatch="")
    assert error_code(raised) == "InvalidIfMatchVersion"


def test_connection_groups_are_listed_in_pages(cf: Any) -> None:
    for n in range(5):
        cf.create_connection_group(Name=f"group-{n}")
    pages = list(
        cf.get_paginator("list_connection_groups").paginate(PaginationConfig={"PageSize": 2})
    )
    names = [g["Name"] for page in pages for g in page["ConnectionGroups"]]
    assert len(pages) == 4 and len(names) == 7  # the 5, saas-edge and the default
    assert set(names) >= {f"group-{n}" for n in range(5)} | {"saas-edge"}


# ---- tags ----


def test_tags_on_distributions_tenants_and_connection_groups(cf: Any) -> None:
    arns = [
        f"arn:aws:cloudfront::123456789012:distribution/{STANDARD}",
        cf.get_distribution_tenant(Identifier="globex")["DistributionTenant"]["Arn"],
        cf.get_connection_group(Identifier="saas-edge")["ConnectionGroup"]["Arn"],
    ]
    for arn in arns:
        cf.tag_resource(
            Resource=arn,
            Tags={"Items": [{"Key": "env", "Value": "prod"}, {"Key": "owner", "Value": "a@b.c"}]},
        )
        cf.tag_resource(Resource=arn, Tags={"Items": [{"Key": "env", "Value": "staging"}]})
        listed = cf.list_tags_for_resource(Resource=arn)["Tags"]["Items"]
        assert {"Key": "env", "Value": "staging"} in listed
        assert {"Key": "owner", "Value": "a@b.c"} in listed
        cf.untag_resource(Resource=arn, TagKeys={"Items": ["owner", "absent"]})
        assert {"Key": "owner", "Value": "a@b.c"} not in cf.list_tags_for_resource(Resource=arn)[
            "Tags"
        ]["Items"]
    assert cf.get_connection_group(Identifier="saas-edge")["ConnectionGroup"]["Tags"]["Items"] == [
        {"Key": "env", "Value": "staging"},
        {"Key": "team", "Value": "platform"},
    ]
    seeded = cf.list_tags_for_resource(
        Resource=f"arn:aws:cloudfront::123456789012:distribution/{MULTI}"
    )
    assert seeded["Tags"]["Items"] == [{"Key": "env", "Value": "prod"}]


@pytest.mark.parametrize(
    "items",
    [
        [{"Key": "aws:created-by", "Value": "x"}],
        [{"Key": "semi;colon", "Value": "x"}],
        [{"Key": "k", "Value": "v" * 257}],
        [{"Key": f"k{n}", "Value": "v"} for n in range(51)],
    ],
)
def test_invalid_tags_are_refused_and_change_nothing(cf: Any, items: list[dict[str, str]]) -> None:
    arn = f"arn:aws:cloudfront::123456789012:distribution/{MULTI}"
    with pytest.raises(ClientError) as raised:
        cf.tag_resource(Resource=arn, Tags={"Items": [{"Key": "new", "Value": "1"}, *items]})
    assert error_code(raised) == "InvalidTagging"
    assert cf.list_tags_for_resource(Resource=arn)["Tags"]["Items"] == [
        {"Key": "env", "Value": "prod"}
    ]


def test_unknown_resources_have_no_tags(cf: Any) -> None:
    for arn in (
        "arn:aws:cloudfront::123456789012:distribution/ENOSUCH",
        "arn:aws:cloudfront::123456789012:distribution-tenant/dt_nosuch",
        "arn:aws:cloudfront::123456789012:function/fn",
    ):
        with pytest.raises(ClientError) as raised:
            cf.list_tags_for_resource(Resource=arn)
        assert error_code(raised) == "NoSuchResource"


def test_create_distribution_with_tags_is_answered_here(cf: Any) -> None:
    config = {**FLEET_CONFIG, "CallerReference": "tagged"}
    created = cf.create_distribution_with_tags(
        DistributionConfigWithTags={
            "DistributionConfig": config,
            "Tags": {"Items": [{"Key": "env", "Value": "prod"}]},
        }
    )["Distribution"]
    assert cf.get_distribution_config(Id=created["Id"])["DistributionConfig"] == config
    assert cf.list_tags_for_resource(Resource=created["ARN"])["Tags"]["Items"] == [
        {"Key": "env", "Value": "prod"}
    ]
    with pytest.raises(ClientError) as raised:
        cf.create_distribution_with_tags(
            DistributionConfigWithTags={
                "DistributionConfig": {**config, "CallerReference": "refused"},
                "Tags": {"Items": [{"Key": "aws:x", "Value": "1"}]},
            }
        )
    assert error_code(raised) == "InvalidTagging"
    assert len(cf.list_distributions()["DistributionList"]["Items"]) == 3


# ---- paging distributions ----


@pytest.mark.usefixtures("local_api")
def test_distributions_are_listed_in_pages() -> None:
    with local_cloudfront(read_seeds(SAMPLES / "fleet.json")) as fleet:
        cf = client(fleet)
        first = cf.list_distributions(MaxItems="20")["DistributionList"]
        assert first["IsTruncated"] is True and first["Quantity"] == 20
        assert first["NextMarker"] == first["Items"][-1]["Id"] == "EFLEET0020"
        pages = list(
            cf.get_paginator("list_distributions").paginate(PaginationConfig={"PageSize": 20})
        )
        ids = [d["Id"] for page in pages for d in page["DistributionList"]["Items"]]
        assert len(pages) == 3 and len(ids) == len(set(ids)) == 53
        last = pages[-1]["DistributionList"]
        assert last["IsTruncated"] is False and "NextMarker" not in last
        by_mode = cf.get_paginator("list_distributions_by_connection_mode").paginate(
            ConnectionMode="direct", PaginationConfig={"PageSize": 50}
        )
        assert sum(len(p["DistributionList"]["Items"]) for p in by_mode) == 53
        with pytest.raises(ClientError) as raised:
            cf.list_distributions(MaxItems="many")
        assert error_code(raised) == "InvalidArgument"


# ---- throttling and call counts ----


def test_throttled_calls_are_retried_by_botocores_standard_mode(
    emulator: RunningEmulator,
) -> None:
    cf = client(emulator, mode="standard", max_attempts=4)
    control(emulator, "/__cffunc/call-counts", {"reset": True})
    control(emulator, "/__cffunc/throttle", {"operation": "UpdateDistributionTenant", "count": 2})
    read = cf.get_distribution_tenant(Identifier="acme")
    updated = cf.update_distribution_tenant(
        Id=read["DistributionTenant"]["Id"], IfMatch=read["ETag"], Enabled=False
    )
    assert updated["ResponseMetadata"]["RetryAttempts"] == 2
    assert updated["DistributionTenant"]["Enabled"] is False
    counts = control(emulator, "/__cffunc/call-counts", {})
    assert counts["calls"] == {"GetDistributionTenant": 1, "UpdateDistributionTenant": 3}
    assert counts["throttled"] == {"UpdateDistributionTenant": 2}
    assert counts["total"] == 4


def test_the_throttling_answer_is_cloudfronts(emulator: RunningEmulator) -> None:
    cf = client(emulator)  # no retries: see the answer itself
    control(emulator, "/__cffunc/throttle", {"operation": "GetDistribution"})
    with pytest.raises(ClientError) as raised:
        cf.get_distribution(Id=STANDARD)
    error = raised.value.response["Error"]
    assert (error["Code"], error["Message"], status_of(raised)) == (
        "Throttling", "Rate exceeded", 400,
    )  # fmt: skip
    assert cf.get_distribution(Id=STANDARD)["Distribution"]["Id"] == STANDARD  # only once


def test_every_kth_call_of_any_operation_is_throttled_until_cleared(
    emulator: RunningEmulator,
) -> None:
    cf = client(emulator)
    control(emulator, "/__cffunc/call-counts", {"reset": True})
    control(emulator, "/__cffunc/throttle", {"operation": "*", "every": 3})
    outcomes = []
    for n in range(9):
        try:
            if n % 2:
                cf.get_distribution(Id=STANDARD)
            else:
                cf.list_distribution_tenants()
            outcomes.append("ok")
        except ClientError as error:
            outcomes.append(error.response["Error"]["Code"])
    assert outcomes == ["ok", "ok", "Throttling"] * 3
    counts = control(emulator, "/__cffunc/call-counts", {"reset": True})
    assert counts["total"] == 9 and sum(counts["throttled"].values()) == 3
    assert control(emulator, "/__cffunc/throttle", {"clear": True}) == {"rules": 0}
    for _ in range(3):
        cf.get_distribution(Id=STANDARD)
    assert control(emulator, "/__cffunc/call-counts", {})["calls"] == {"GetDistribution": 3}


@pytest.mark.usefixtures("local_api")
def test_a_fleet_of_calls_converges_under_throttling() -> None:
    with local_cloudfront(read_seeds(SAMPLES / "fleet.json")) as fleet:
        cf = client(fleet, mode="standard", max_attempts=5)
        control(fleet, "/__cffunc/throttle", {"operation": "UpdateDistribution", "every": 10})
        for n in range(1, 51):
            read = cf.get_distribution_config(Id=f"EFLEET{n:04d}")
            config = {**read["DistributionConfig"], "Comment": "maintenance"}
            cf.update_distribution(
                Id=f"EFLEET{n:04d}", IfMatch=read["ETag"], DistributionConfig=config
            )
        comments = {
            d["Id"]: d["Comment"]
            for page in cf.get_paginator("list_distributions").paginate()
            for d in page["DistributionList"]["Items"]
        }
        assert [i for i, c in comments.items() if c == "maintenance"] == [
            f"EFLEET{n:04d}" for n in range(1, 51)
        ]
        counts = control(fleet, "/__cffunc/call-counts", {})
        # Every 10th UpdateDistribution call answered Throttling and was retried: 55 calls
        # for 50 updates (the 10th, 20th, ... 50th call).
        assert counts["calls"]["UpdateDistribution"] == 55
        assert counts["throttled"] == {"UpdateDistribution": 5}


@pytest.mark.parametrize(
    ("path", "body", "message"),
    [
        ("/__cffunc/throttle", {"operation": "UpdateDistributoin"}, "give a CloudFront operation"),
        ("/__cffunc/throttle", {"operation": "GetDistribution", "count": 0}, "count 0"),
        ("/__cffunc/throttle", {"operation": "GetDistribution", "every": "2"}, "every '2'"),
        ("/__cffunc/throttle", {"operation": "GetDistribution", "count": True}, "count True"),
        ("/__cffunc/throttle", {"operation": "GetDistribution", "after": 1}, "unknown keys"),
        ("/__cffunc/throttle", {"clear": True, "operation": "GetDistribution"}, "alone"),
        ("/__cffunc/throttle", ["GetDistribution"], "a JSON object"),
        ("/__cffunc/call-counts", {"reset": "yes"}, '{"reset": true}'),
    ],
)
def test_bad_throttle_and_count_calls_are_400_and_change_nothing(
    emulator: RunningEmulator, path: str, body: Any, message: str
) -> None:
    ok = {"Content-Type": "application/json"}
    status, answer = _raw(emulator, "POST", path, json.dumps(body).encode(), ok)
    assert status == 400 and message in json.loads(answer)["error"]
    assert emulator.app.traffic.rules == []
    client(emulator).get_distribution(Id=STANDARD)  # not throttled
    rebound = {"Content-Type": "application/json", "Host": "evil.example.com"}
    good = json.dumps({"operation": "GetDistribution"}).encode()
    assert _raw(emulator, "POST", "/__cffunc/throttle", good, rebound)[0] == 403
    assert (
        _raw(emulator, "POST", "/__cffunc/throttle", good, {"Content-Type": "text/plain"})[0] == 403
    )
    assert emulator.app.traffic.rules == []


# ---- seeds ----


def test_the_multi_tenant_sample_seeds_tenants_groups_and_tags(cf: Any) -> None:
    tenants = {t["Name"]: t for t in cf.list_distribution_tenants()["DistributionTenantList"]}
    assert sorted(tenants) == ["acme", "globex", "initech"]
    assert all(t["Status"] == "Deployed" for t in tenants.values())
    assert tenants["initech"]["Enabled"] is False
    globex = cf.get_distribution_tenant(Identifier="globex")["DistributionTenant"]
    assert globex["Parameters"] == [
        {"Name": "tenantName", "Value": "Globex"},
        {"Name": "maintenanceMessage", "Value": "Globex is moving house."},
    ]
    edge = cf.get_connection_group(Identifier="saas-edge")["ConnectionGroup"]
    assert globex["ConnectionGroupId"] == edge["Id"] and edge["Status"] == "Deployed"
    assert tenants["acme"]["ConnectionGroupId"] == tenants["initech"]["ConnectionGroupId"]
    default = cf.get_connection_group(Identifier=tenants["acme"]["ConnectionGroupId"])
    assert default["ConnectionGroup"]["IsDefault"] is True
    acme = cf.get_distribution_tenant(Identifier="acme")["DistributionTenant"]
    assert acme["Tags"] == {"Items": [{"Key": "plan", "Value": "gold"}]}


@pytest.mark.usefixtures("local_api")
def test_a_fleet_seed_makes_its_distributions() -> None:
    seeds = parse_seeds(
        [
            {"Fleet": {
                "Count": 3, "First": 8, "Id": "EBRAND{n:02d}",
                "Aliases": ["brand{n}.example.com", "*.brand{n}.example.com"],
                "Tags": {"brand": "b{n}", "env": "prod"},
            }},
        ]
    )  # fmt: skip
    assert [s["Id"] for s in seeds] == ["EBRAND08", "EBRAND09", "EBRAND10"]
    assert parse_seeds(seeds) == seeds
    with local_cloudfront(seeds, deploy_seconds=30) as fleet:
        cf = client(fleet)
        config = cf.get_distribution_config(Id="EBRAND09")["DistributionConfig"]
        assert config["Aliases"] == {
            "Quantity": 2, "Items": ["brand9.example.com", "*.brand9.example.com"],
        }  # fmt: skip
        assert config["CallerReference"] == "fleet-9"
        assert cf.get_distribution(Id="EBRAND10")["Distribution"]["Status"] == "Deployed"
        tags = cf.list_tags_for_resource(
            Resource="arn:aws:cloudfront::123456789012:distribution/EBRAND08"
        )
        assert tags["Tags"]["Items"] == [
            {"Key": "brand", "Value": "b8"}, {"Key": "env", "Value": "prod"},
        ]  # fmt: skip


@pytest.mark.parametrize(
    ("seed", "message"),
    [
        ({"Fleet": {"Count": 0}}, '"Count" is a whole number from 1 to 500'),
        ({"Fleet": {"Count": 2, "Id": "E{m}"}}, "KeyError('m') in a format"),
        ({"Fleet": {"Count": 2, "Id": "EFLEET"}}, "distribution ids seeded twice: EFLEET"),
        ({"Fleet": {"Count": 2, "Id": "fleet{n}"}}, "is capital letters and digits"),
        ({"Tenant": {"Name": "t", "Distribution": MULTI}}, '"Domains" is a list of names'),
        ({"Tenant": {"Name": "t", "Domains": ["a.example.com"]}}, '"Distribution" (its id)'),
        (
            {"Tenant": {"Name": "t", "Distribution": MULTI, "Domains": ["a.b.com"], "Id": "x"}},
            "\"Id\" 'x' is dt_ and letters or digits",
        ),
        ({"ConnectionGroup": {"Enabled": True}}, 'needs "Name"'),
        ({"ConnectionGroup": {"Name": "g", "Enabled": "yes"}}, '"Enabled" is true or false'),
        ({"Id": "E1", "DistributionConfig": {}, "Tags": ["env"]}, '"Tags" is an object'),
    ],
)
def test_malformed_seeds_say_what_to_fix(seed: dict[str, Any], message: str) -> None:
    with pytest.raises(SeedError) as raised:
        parse_seeds([seed])
    assert message in str(raised.value)


@pytest.mark.usefixtures("local_api")
@pytest.mark.parametrize(
    ("seed", "message"),
    [
        (
            {"Tenant": {"Name": "tnt", "Distribution": MULTI, "Domains": ["t.example.com"]}},
            "seed tenant tnt: InvalidArgument: Distribution E3MULTITENANT1 requires a value "
            "for the parameters: tenantName.",
        ),
        (
            {"Tenant": {"Name": "tnt", "Distribution": STANDARD, "Domains": ["t.example.com"]}},
            "seed tenant tnt: InvalidAssociation",
        ),
        (
            {"Fleet": {"Count": 1, "Aliases": ["shop.example.com"]}},
            "seed distribution EFLEET0001: CNAMEAlreadyExists: The alias shop.example.com "
            "is already used by distribution E2EXAMPLE12345.",
        ),
        (
            {"Tenant": {
                "Name": "tnt", "Distribution": MULTI, "Domains": ["t.example.com"],
                "Parameters": {"tenantName": "T"}, "ConnectionGroup": "nowhere",
            }},
            "seed tenant tnt: EntityNotFound: The connection group nowhere does not exist.",
        ),
    ],
)  # fmt: skip
def test_seeds_the_api_would_refuse_are_refused(seed: dict[str, Any], message: str) -> None:
    with pytest.raises(SeedError) as raised, local_cloudfront([*SEEDS, seed]):
        pass
    assert str(raised.value).startswith(message)


@pytest.mark.usefixtures("local_api")
def test_seeds_may_fix_ids_and_the_default_group() -> None:
    no_tenants = [s for s in SEEDS if "Tenant" not in s]
    fixed = [
        {"ConnectionGroup": {"Name": "main", "Id": "cg_main1", "Default": True}},
        {"Tenant": {
            "Name": "fixed", "Id": "dt_fixed1", "Distribution": MULTI,
            "Domains": ["fixed.example.com"], "Parameters": {"tenantName": "F"},
        }},
    ]  # fmt: skip
    with local_cloudfront([*no_tenants, *fixed]) as api:
        made = client(api).get_distribution_tenant(Identifier="dt_fixed1")["DistributionTenant"]
        assert made["ConnectionGroupId"] == "cg_main1"
    again = {**fixed[1]["Tenant"], "Name": "other", "Domains": ["other.example.com"]}
    with (
        pytest.raises(SeedError) as raised,
        local_cloudfront([*no_tenants, *fixed, {"Tenant": again}]),
    ):
        pass
    assert str(raised.value) == (
        "seed tenant other: EntityAlreadyExists: The distribution tenant dt_fixed1 exists."
    )
    second_default = {"ConnectionGroup": {"Name": "spare", "Default": True}}
    with pytest.raises(SeedError) as raised, local_cloudfront([*fixed[:1], second_default]):
        pass
    assert "Only one connection group can be the default" in str(raised.value)


def test_bad_tenant_seed_file_is_one_line_exit_1(tmp_path: Path, processes: Processes) -> None:
    seed = tmp_path / "tenant.json"
    seed.write_text(
        json.dumps({"Tenant": {"Name": "tnt", "Distribution": "ENOSUCH", "Domains": ["t.b.com"]}})
    )
    completed = processes.run(
        [sys.executable, "-m", "cffunc.emulator.server", "--seed", str(seed)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert completed.returncode == 1
    assert completed.stderr == (
        "Error: seed tenant tnt: EntityNotFound: The distribution ENOSUCH does not exist.\n"
    )


# ---- the AWS CLI ----


def test_the_aws_cli_reads_tenants_and_connection_groups(emulator: RunningEmulator) -> None:
    listed = aws(
        emulator, "list-distribution-tenants", "--association-filter", f"DistributionId={MULTI}"
    )
    assert listed.returncode == 0, listed.stderr
    names = sorted(t["Name"] for t in json.loads(listed.stdout)["DistributionTenantList"])
    assert names == ["acme", "globex", "initech"]
    by_domain = aws(
        emulator, "get-distribution-tenant-by-domain", "--domain", "www.globex.example.com"
    )
    assert json.loads(by_domain.stdout)["DistributionTenant"]["Name"] == "globex"
    by_mode = aws(
        emulator, "list-distributions-by-connection-mode", "--connection-mode", "tenant-only"
    )
    assert [d["Id"] for d in json.loads(by_mode.stdout)["DistributionList"]["Items"]] == [MULTI]
    groups = aws(emulator, "list-connection-groups")
    assert {g["IsDefault"] for g in json.loads(groups.stdout)["ConnectionGroups"]} == {True, False}
    missing = aws(emulator, "get-distribution-tenant", "--identifier", "nobody")
    assert missing.returncode != 0 and "EntityNotFound" in missing.stderr
