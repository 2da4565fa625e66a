"""What maintenance does to gRPC calls, said for every selected behavior that takes them.

A cache behavior with ``GrpcConfig.Enabled`` lets CloudFront take gRPC requests (it tells
them from HTTP ones by ``Content-Type: application/grpc``) and proxy them to the origin,
and "CloudFront gRPC supports CloudFront Functions" (Lambda@Edge it does not)
(https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/distribution-using-grpc.html).
So maintenance covers gRPC calls too: the function answers them as any other POST, with
an HTTP status and an HTML, JSON or text body. A gRPC client reads ``grpc-status`` and
``grpc-message``, not a body; given a response without ``grpc-status`` it maps the HTTP
status to a gRPC code (gRPC's "HTTP to gRPC Status Code Mapping",
https://github.com/grpc/grpc/blob/master/doc/http-grpc-status-mapping.md): 503 becomes
UNAVAILABLE, which clients may retry, and the page's message is lost. How CloudFront hands
a function's generated response to a gRPC client is not documented; cffunc says what it
knows and does not answer gRPC specially.

``plan``, ``enable`` and ``status`` say this for each such behavior, with the ways to keep
gRPC served: leave the behavior out, or let its paths through.
"""

from __future__ import annotations

from collections.abc import Sequence

from cffunc.config.load import Config
from cffunc.deploy.plan import RemoteDistribution, behaviors_of

GRPC_STATUS_OF_HTTP = {
    400: "INTERNAL",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "UNIMPLEMENTED",
    429: "UNAVAILABLE",
    502: "UNAVAILABLE",
    503: "UNAVAILABLE",
    504: "UNAVAILABLE",
}
"""gRPC's mapping for a response without grpc-status; any other status is UNKNOWN."""


def grpc_enabled(behavior: dict[str, object]) -> bool:
    config = behavior.get("GrpcConfig")
    return isinstance(config, dict) and config.get("Enabled") is True


def grpc_behaviors(distribution: RemoteDistribution) -> list[str]:
    """The path patterns of the distribution's selected behaviors that take gRPC."""
    wanted = distribution.behaviors
    return [
        pattern
        for pattern, behavior in behaviors_of(distribution.config)
        if (wanted is None or pattern in wanted) and grpc_enabled(behavior)
    ]


def grpc_notes(config: Config, distributions: Sequence[RemoteDistribution]) -> tuple[str, ...]:
    """One note per distribution with selected gRPC behaviors: what their gRPC calls get
    during maintenance, and how to keep them served."""
    status = config.maintenance.status
    code = GRPC_STATUS_OF_HTTP.get(status, "UNKNOWN")
    notes = []
    for distribution in distributions:
        patterns = grpc_behaviors(distribution)
        if not patterns:
            continue
        which = ", ".join(repr(p) for p in patterns)
        plural = "s" if len(patterns) > 1 else ""
        notes.append(
            f"distribution {distribution.label or distribution.id}, behavior{plural} {which}: "
            "gRPC is enabled (GrpcConfig), and CloudFront Functions run on gRPC requests, so "
            f"during maintenance its gRPC calls get the maintenance answer: HTTP {status} with "
            "no grpc-status, which a gRPC client cannot read; it reports "
            f"{code} (gRPC's mapping of HTTP {status}) without the message. To keep gRPC "
            "served, leave the behavior out of distributions.behaviors or add its gRPC paths "
            "(/package.Service/*) to allow.paths"
        )
    return tuple(notes)
