"""The HTTP headers CloudFront does not let a function add or change.

The config checks a header cffunc will add (``maintenance.pass_header``) against them, and
the local runtime refuses a function result that adds one, as the edge does (a 502).
Source: under docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/,
edge-function-restrictions-all.html ("Disallowed headers", "Read-only headers").
"""

from __future__ import annotations

import re

# Headers a function may not add or change: hop-by-hop and CloudFront's own.
DISALLOWED_HEADERS = frozenset(
    {
        "connection", "expect", "keep-alive", "proxy-authenticate", "proxy-authorization",
        "proxy-connection", "trailer", "upgrade", "x-accel-buffering", "x-accel-charset",
        "x-accel-limit-rate", "x-accel-redirect", "x-amzn-auth", "x-amzn-cf-billing",
        "x-amzn-cf-id", "x-amzn-cf-xff", "x-amzn-errortype", "x-amzn-fle-profile",
        "x-amzn-header-count", "x-amzn-header-order", "x-amzn-lambda-integration-tag",
        "x-amzn-requestid", "x-cache", "x-forwarded-proto", "x-real-ip",
    }
)  # fmt: skip
DISALLOWED_PREFIXES = ("x-amz-cf-", "x-edge-")
# Read-only: a function may not add or change them ("Read-only headers in viewer
# request/response events"). Lambda@Edge's longer viewer-response list (content-length,
# content-encoding...) does not apply: the event-structure page tells a function that
# replaces the body to align content-encoding and content-length, and its example
# response does change content-length.
READ_ONLY_REQUEST_HEADERS = frozenset(
    {"cdn-loop", "content-length", "host", "transfer-encoding", "via"}
)
READ_ONLY_RESPONSE_HEADERS = frozenset({"warning", "via"})
TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
"""An HTTP field name (RFC 9110 section 5.1: a token)."""


def disallowed(name: str) -> bool:
    """Whether a function may never add a header of this (lower-case) name."""
    return name in DISALLOWED_HEADERS or name.startswith(DISALLOWED_PREFIXES)
