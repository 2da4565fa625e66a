"""The least-privilege IAM policy for cffunc's deploy commands, from the config."""

from __future__ import annotations

from typing import Any

from cffunc.config.load import Config
from cffunc.function.compose import composed_prefix
from cffunc.function.rules import keeps_page_in_store

FUNCTION_ACTIONS = (
    "cloudfront:CreateFunction", "cloudfront:UpdateFunction", "cloudfront:PublishFunction",
    "cloudfront:TestFunction", "cloudfront:DescribeFunction", "cloudfront:GetFunction",
    "cloudfront:DeleteFunction",
)  # fmt: skip
DISTRIBUTION_ACTIONS = (
    "cloudfront:GetDistributionConfig",
    "cloudfront:UpdateDistribution",
    "cloudfront:GetDistribution",
    # enable records where it added the function in the distribution's tags; disable
    # reads the record and removes only that (tagging deploys nothing).
    "cloudfront:ListTagsForResource",
    "cloudfront:TagResource",
    "cloudfront:UntagResource",
)

# A store's ARN ends in an id AWS assigns, so the policy cannot name it in advance.
STORE_ACTIONS = (
    "cloudfront:CreateKeyValueStore", "cloudfront:DescribeKeyValueStore",
    "cloudfront:DeleteKeyValueStore",
)  # fmt: skip
STORE_DATA_ACTIONS = (
    "cloudfront-keyvaluestore:DescribeKeyValueStore", "cloudfront-keyvaluestore:GetKey",
    "cloudfront-keyvaluestore:ListKeys", "cloudfront-keyvaluestore:PutKey",
    "cloudfront-keyvaluestore:DeleteKey", "cloudfront-keyvaluestore:UpdateKeys",
)  # fmt: skip


def iam_policy(config: Config) -> dict[str, Any]:
    distributions = [
        f"arn:aws:cloudfront::*:distribution/{d.id}" for d in config.distributions if d.id
    ]
    listed = any(d.alias or d.fleet for d in config.distributions)
    if listed:
        # An alias or a fleet is found by listing (and a fleet's tags read on every
        # distribution); then any distribution may be one.
        distributions = ["arn:aws:cloudfront::*:distribution/*"]
    statements: list[dict[str, Any]] = [
        {
            "Sid": "CffuncFunction",
            "Effect": "Allow",
            "Action": list(FUNCTION_ACTIONS),
            "Resource": f"arn:aws:cloudfront::*:function/{config.function.name}",
        },
    ]
    if config.maintenance.compose:
        # Compositions are functions of their own, named <name>--<other>.
        statements.append(
            {
                "Sid": "CffuncCompositions",
                "Effect": "Allow",
                "Action": list(FUNCTION_ACTIONS),
                "Resource": "arn:aws:cloudfront::*:function/"
                + composed_prefix(config.function.name)
                + "*",
            }
        )
    if config.maintenance.compose or keeps_page_in_store(config):
        # Other functions are listed and read, never written: with compose, the ones
        # already on a slot (LIVE code, runtime, store) and the compositions; with the
        # page in the store, those on the store, whose LIVE code names the pages kept.
        statements += [
            {
                "Sid": "CffuncReadFunctions",
                "Effect": "Allow",
                "Action": ["cloudfront:DescribeFunction", "cloudfront:GetFunction"],
                "Resource": "arn:aws:cloudfront::*:function/*",
            },
            {
                "Sid": "CffuncListFunctions",
                "Effect": "Allow",
                "Action": ["cloudfront:ListFunctions"],
                "Resource": "*",
            },
        ]
    statements += [
        {
            "Sid": "CffuncDistributions",
            "Effect": "Allow",
            "Action": list(DISTRIBUTION_ACTIONS),
            "Resource": distributions or ["arn:aws:cloudfront::*:distribution/*"],
        },
    ]
    if config.store_name is not None:
        statements += [
            {
                "Sid": "CffuncKeyValueStore",
                "Effect": "Allow",
                "Action": list(STORE_ACTIONS),
                "Resource": "arn:aws:cloudfront::*:key-value-store/*",
            },
            {
                "Sid": "CffuncKeyValueStoreData",
                "Effect": "Allow",
                "Action": list(STORE_DATA_ACTIONS),
                "Resource": "arn:aws:cloudfront::*:key-value-store/*",
            },
        ]
    if config.maintenance.reads_tenants:
        # enable/disable --tenant find a tenant by id or domain; status names the tenant
        # scopes by listing the tenants of the distributions.
        statements.append(
            {
                "Sid": "CffuncDistributionTenants",
                "Effect": "Allow",
                "Action": [
                    "cloudfront:GetDistributionTenant",
                    "cloudfront:GetDistributionTenantByDomain",
                ],
                "Resource": "*",
            }
        )
    # Alias selection walks the tenants' domains, `status` counts a multi-tenant
    # distribution's tenants, and --wait polls a fleet with one listing.
    statements.append(
        {
            "Sid": "CffuncListDistributionsAndTenants",
            "Effect": "Allow",
            "Action": ["cloudfront:ListDistributions", "cloudfront:ListDistributionTenants"],
            "Resource": "*",
        }
    )
    return {"Version": "2012-10-17", "Statement": statements}
