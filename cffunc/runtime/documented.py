"""Every documented rule the local runtime enforces, with its source, and where it differs.

The documentation's list of runtime rules (docs/concepts/local-runtime.md) is written from
this table (``python scripts/update_runtime_rules.py``), and the test suite holds both ends:
that section must be exactly what :func:`rules_section` gives, and every rule must be exercised
by at least one test marked ``@pytest.mark.rule("<id>")`` (tests/test_documented_rules.py).
A rule added here without a test, or a test naming a rule that is not here, fails the suite.

The known differences play the part of workerd's list of expected failures: what the local
runtime cannot know or decides the cautious way where the documentation is silent, so a user
reading a local result knows what it does not prove.
"""

from __future__ import annotations

from dataclasses import dataclass

GUIDE = "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/"


@dataclass(frozen=True)
class Rule:
    id: str
    text: str
    """What the local runtime does, in one sentence."""
    page: str
    """The Developer Guide page (and anchor) that says so."""

    @property
    def source(self) -> str:
        return GUIDE + self.page


@dataclass(frozen=True)
class KnownDifference:
    text: str


R20 = "functions-javascript-runtime-20.html"
HELPERS = "general-helper-methods.html"
SAAS = "saas-specific-logic-function-code.html"
ORIGINS = "helper-functions-origin-modification.html"
KVS = "functions-custom-methods.html"
RESTRICTIONS = "edge-function-restrictions-all.html"
EVENT = "functions-event-structure.html"

RULES: tuple[Rule, ...] = (
    # ---- the code ----
    Rule(
        "code-size",
        "Function code is at most 10,240 bytes.",
        "cloudfront-limits.html#limits-functions",
    ),
    Rule(
        "runtime-features",
        "Only the language features of the function's runtime: 1.0 has no const, let, "
        "async/await or import; neither has classes, generators, for...of, destructuring, "
        "spread, default parameters or ?.; the error gives line and column.",
        "functions-javascript-runtime-10.html",
    ),
    Rule(
        "strict-mode",
        "Code runs in strict mode.",
        R20 + "#writing-functions-javascript-features-core-20",
    ),
    Rule(
        "restricted-features",
        "eval and the Function constructor throw; no timers, no WebAssembly, no process, "
        "no file system.",
        R20 + "#writing-functions-javascript-features-restricted-features-20",
    ),
    Rule(
        "modules",
        "require/import know crypto and querystring; runtime 2.0 adds the cloudfront module, "
        "Buffer, atob/btoa and TextEncoder/TextDecoder; 1.0 has its byte-string methods.",
        R20 + "#writing-functions-javascript-features-builtin-modules-20",
    ),
    Rule(
        "console-log",
        "console has log only, with one argument; output past 10 KB an invocation is cut.",
        R20 + "#writing-functions-javascript-features-globals-20",
    ),
    Rule(
        "date-frozen",
        "Date gives the moment the invocation started, however long it runs.",
        R20 + "#writing-functions-javascript-features-builtin-objects-20",
    ),
    # ---- the result ----
    Rule(
        "result-shape",
        "A result is a request or a response object, with {value} header, cookie and query "
        "maps; otherwise the viewer gets 502 FunctionValidationError, and a throw 503 "
        "FunctionExecutionError.",
        EVENT,
    ),
    Rule("header-names", "Header names a function adds are lower case HTTP tokens.", EVENT),
    Rule(
        "disallowed-headers",
        "A function may not add or change connection, x-amz-cf-*, x-edge-*, "
        "x-forwarded-proto and the other disallowed headers.",
        RESTRICTIONS,
    ),
    Rule(
        "read-only-headers",
        "host, via, content-length, transfer-encoding, cdn-loop are read-only in a request; "
        "via and warning in a viewer-response.",
        RESTRICTIONS,
    ),
    Rule("status-code", "statusCode is an integer (HTTP's range, 100-599).", EVENT),
    Rule(
        "body",
        "A generated body is text or {encoding: text|base64, data}, valid base64, at most 40 KB.",
        EVENT,
    ),
    Rule(
        "query-string",
        "A changed query string holds no spaces, control characters or '#', and the URI "
        "with it stays under 8,192 characters.",
        RESTRICTIONS,
    ),
    # ---- helpers on the event and in the cloudfront module ----
    Rule(
        "raw-query-string",
        "request.rawQueryString() (runtime 2.0) gives the query string as sent, without "
        'the ?: "" when the URL ends in ?, undefined when it has none.',
        HELPERS + "#raw-query-string-method",
    ),
    Rule(
        "edge-location",
        "cf.edgeLocation is {name, serverIp, region} in viewer-request functions and empty "
        "in viewer-response ones (cffunc test --edge-location, scenario key edge_location).",
        HELPERS + "#edge-location-metadata",
    ),
    Rule(
        "log-custom-data",
        "cf.logCustomData(string) fills the viewer-request-log-data or "
        "viewer-response-log-data field: the last call's value, URL-encoded, cut at 800 bytes.",
        HELPERS + "#log-custom-data-method",
    ),
    Rule(
        "tenant-id",
        "cf.distributionTenant.id is the tenant's id; on a standard distribution it throws "
        "the TypeError 'distributionTenant module is not available' (cffunc test --tenant, "
        "scenario key tenant).",
        SAAS,
    ),
    Rule(
        "tenant-parameters",
        "cf.distributionTenant.parameters.get(key) gives a tenant parameter; a missing one "
        "throws DistributionTenantParameterKeyNotFound, and a standard distribution the "
        "TypeError above (--tenant-param, tenant_params).",
        SAAS,
    ),
    Rule(
        "tenant-in-handler",
        "cf.distributionTenant is read in the handler or a function it calls, not at the "
        "top level.",
        SAAS,
    ),
    Rule(
        "context-endpoint",
        "event.context has endpoint (the connection group's domain) only for a tenant of a "
        "multi-tenant distribution, and distributionDomainName only for a standard one "
        "(--endpoint, endpoint).",
        EVENT + "#functions-event-structure-context",
    ),
    Rule(
        "origin-viewer-request-only",
        "The origin helpers work in viewer-request functions only (and, through the "
        "cloudfront module, in runtime 2.0 only); every call is shown by cffunc test and "
        "checkable in scenarios (expect_origin).",
        ORIGINS,
    ),
    Rule(
        "origin-host-names",
        "domainName, hostHeader and sni: no colon, not an IP address, at most 253 "
        "characters; an S3 domainName all lower case, at most 128.",
        ORIGINS,
    ),
    Rule(
        "origin-path",
        "originPath starts with / and does not end with one, URL-encoded, at most 255 characters.",
        ORIGINS,
    ),
    Rule(
        "origin-custom-headers",
        "customHeaders: lower-case names, none CloudFront can't add to origin requests, none "
        "already in the viewer's request.",
        "add-origin-custom-headers.html#add-origin-custom-headers-denylist",
    ),
    Rule("origin-connection-attempts", "connectionAttempts is 1-3.", ORIGINS),
    Rule(
        "origin-shield",
        "originShield: enabled (true/false) required; region, a Region code, required "
        "when enabled.",
        ORIGINS,
    ),
    Rule(
        "origin-access-control",
        "originAccessControlConfig: enabled required; when enabled, signingBehavior "
        "always|never|no-override, signingProtocol sigv4 and originType "
        "s3|mediapackagev2|mediastore|lambda.",
        ORIGINS,
    ),
    Rule(
        "origin-timeouts",
        "timeouts: readTimeout and keepAliveTimeout 1-120 s, connectionTimeout 1-10 s, "
        "responseCompletionTimeout at least readTimeout.",
        ORIGINS,
    ),
    Rule(
        "origin-custom-origin-config",
        "customOriginConfig: port, protocol http|https and sslProtocols (SSLv3, TLSv1, "
        "TLSv1.1, TLSv1.2) required; ipAddressType ipv4|ipv6|dualstack only with a new domainName.",
        ORIGINS,
    ),
    Rule(
        "origin-certificate-names",
        "allowedCertificateNames: at most 20 names of at most 64 characters.",
        ORIGINS,
    ),
    Rule(
        "origin-select-by-id",
        "selectRequestOriginById(id[, overrides]): an origin id, and overrides of hostHeader, "
        "sni and allowedCertificateNames only.",
        ORIGINS,
    ),
    Rule(
        "origin-group",
        "createRequestOriginGroup: exactly two originIds (ids or {originId, originOverrides}), "
        "selectionCriteria default|media-quality-score, failoverCriteria {statusCodes} required.",
        ORIGINS,
    ),
    Rule(
        "kvs-handle",
        "cf.kvs() and cf.kvs(id) give the function's KeyValueStore; get resolves to a "
        "string, JSON or bytes (format option), exists to true or false.",
        KVS,
    ),
    Rule(
        "kvs-missing-key", "get() of a key the store lacks rejects (a try/catch handles it).", KVS
    ),
    Rule(
        "kvs-meta",
        "meta() resolves to {creationDateTime, lastUpdatedDateTime (ISO 8601), keyCount}.",
        KVS,
    ),
    Rule(
        "kvs-limits",
        "Keys are at most 512 bytes and values 1 KB (ValidationException), a store 5 MB "
        "(ServiceQuotaExceededException): in --kvs files, in cffunc's store writes and in the "
        "local CloudFront API.",
        "cloudfront-limits.html",
    ),
    Rule(
        "viewer-response-on-errors",
        "cffunc serve does not run a viewer-response function on an origin answer of 400 or more.",
        RESTRICTIONS,
    ),
)

KNOWN_DIFFERENCES: tuple[KnownDifference, ...] = (
    KnownDifference(
        "ComputeUtilization is an estimate (V8 compiles to machine code, the edge's engine "
        "does not) and the edge's 2 MB of memory is not measured."
    ),
    KnownDifference(
        "request.rawQueryString() is not there in viewer-response functions: the "
        "documentation neither gives nor refuses it there."
    ),
    KnownDifference(
        "An event file without request.rawQueryString (and the local TestFunction) rebuilds "
        "it from querystring, name=value pairs joined by &: ?flag reads as flag=, and "
        "repeated names come together. How TestFunction builds it is not documented."
    ),
    KnownDifference(
        'cf.edgeLocation is undefined in viewer-response functions ("empty" in the '
        "documentation, which could also mean {}); test for it before reading its fields."
    ),
    KnownDifference(
        "cf.distributionTenant read at the top level throws; the documentation only says "
        "to use it in the handler."
    ),
    KnownDifference(
        "The texts of the missing-parameter error (name `DistributionTenantParameterKeyNotFound`) "
        "and of a missing KeyValueStore key (`KeyNotFound: <key>`) are not documented; do not "
        "test the message."
    ),
    KnownDifference(
        "TestFunction has no documented way to run as a tenant, so the local CloudFront "
        "API's TestFunction runs every event as a standard distribution's."
    ),
    KnownDifference(
        "Origin helpers: origin ids are not checked against the distribution's origins, and "
        "VPC and mutual-TLS origins (which some helpers refuse) are not known locally."
    ),
    KnownDifference(
        "A refused origin call fails the invocation as a 502 FunctionValidationError whatever "
        "the function does after it (the call itself does not throw); the documentation says "
        "the request fails but not with which status."
    ),
    KnownDifference(
        "Origin properties the page does not list are refused (the origin mTLS page's "
        "mTLSConfig among them); originOverrides are taken inside originIds entries, as the "
        "example has them; failoverCriteria only as {statusCodes: [...]}; "
        "cf.overrideRequestOrigin, which appears once in the page's examples, does not exist."
    ),
    KnownDifference(
        "hostHeader, sni and allowedCertificateNames, documented for non-S3 origins, are not "
        "refused for S3 ones."
    ),
    KnownDifference(
        "cf.logCustomData() with anything but one string throws a TypeError (the "
        "documentation says it takes a single string)."
    ),
    KnownDifference(
        "Changes a function makes to existing built-in properties are not undone between "
        "invocations (added ones are)."
    ),
)

START = "<!-- runtime-rules:start (python scripts/update_runtime_rules.py) -->"
END = "<!-- runtime-rules:end -->"


def rules_section() -> str:
    """The rule table and list of known differences, between the two markers."""
    lines = [START, "", "| Rule | Source |", "|---|---|"]
    for rule in RULES:
        text = rule.text.replace("|", "\\|")
        lines.append(f"| {text} | [{rule.page}]({rule.source}) |")
    lines += ["", "Known differences from the edge:", ""]
    lines += [f"- {d.text}" for d in KNOWN_DIFFERENCES]
    lines += ["", END]
    return "\n".join(lines)
