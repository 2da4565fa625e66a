"""Runtime 2.0's helpers in the local runtime, against the Developer Guide's own examples:
request.rawQueryString(), cf.edgeLocation, cf.distributionTenant and event.context.endpoint,
the origin modification helpers, cf.logCustomData() and the KeyValueStore helpers.

Each sample in samples/helpers/ is a function written as its page shows it; ``cffunc test
--code`` runs each one. The rest runs in-process through :class:`FunctionRuntime`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from cffunc.cli import cli
from cffunc.errors import ConfigError
from cffunc.runtime import FunctionRuntime
from cffunc.runtime.edge import (
    CONNECTION_GROUP_DOMAIN,
    EdgeContext,
    EdgeError,
    EdgeLocation,
    Tenant,
    edge_from_options,
    parse_edge_location,
)
from cffunc.runtime.engine import Invocation
from cffunc.runtime.events import (
    event_from_options,
    file_invocation,
    raw_query_of,
    viewer_response_event,
)
from cffunc.runtime.local_store import kvs_from_mapping
from cffunc.runtime.origins import OriginCall
from cffunc.runtime.scenarios import load_scenarios
from tests.helpers import SAMPLES

V1, V2 = "cloudfront-js-1.0", "cloudfront-js-2.0"
NOW_MS = 1_796_090_400_000
HELPERS = SAMPLES / "helpers"
rule = pytest.mark.rule


def invoke(
    code: str,
    path: str = "/",
    edge: EdgeContext | None = None,
    runtime: str = V2,
    event: dict[str, Any] | None = None,
    **kwargs: Any,
) -> Invocation:
    """``code`` on a viewer request for ``path``, with the path's raw query string."""
    the_event = event or event_from_options("198.51.100.1", "GET", path)
    the_edge = edge or EdgeContext(raw_query=raw_query_of(path))
    with FunctionRuntime(code, runtime, **kwargs) as engine:  # type: ignore[arg-type]
        return engine.invoke(the_event, NOW_MS, the_edge)


def logged(body: str, path: str = "/", edge: EdgeContext | None = None, **kwargs: Any) -> Any:
    """What ``body`` (run in a 2.0 handler that imports cf) logged, as JSON."""
    code = (
        "import cf from 'cloudfront';\n"
        f"function handler(event) {{ var request = event.request; {body}; return request; }}"
    )
    result = invoke(code, path, edge, **kwargs)
    assert result.ok, result.error
    return json.loads(result.logs[0])


def cffunc_test(*args: str) -> Any:
    """``cffunc test ... --json`` on one event: its TestFunction-shaped result."""
    result = CliRunner().invoke(cli, ["test", *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def sample(name: str, *args: str) -> Any:
    return cffunc_test("--code", str(HELPERS / name), "--runtime", V2, *args)


# ---- request.rawQueryString() (general-helper-methods.html#raw-query-string-method) ----


@pytest.mark.usefixtures("processes")  # test --code runs in a child process
@rule("raw-query-string")
@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/page?name=John&age=25&city=Boston", ['rawQueryString: "name=John&age=25&city=Boston"']),
        ("/page?", ['rawQueryString: ""']),
        ("/page", ["rawQueryString: undefined"]),
    ],
)
def test_raw_query_string_the_pages_three_cases_through_test_code(
    url: str, expected: list[str]
) -> None:
    assert sample("raw-query-string.js", "--path", url)["FunctionExecutionLogs"] == expected


@rule("raw-query-string")
def test_raw_query_string_is_unparsed_and_unaltered() -> None:
    """What the parsed querystring loses (order of repeated names, ?flag, empty parts,
    encodings) is kept, and the function's own edits do not show."""
    raw = "b=2&a=1&b=3&flag&&x=%2F%20"
    body = (
        "request.querystring = {z: {value: '9'}}; "
        "console.log(JSON.stringify([request.rawQueryString(), Object.keys(request).indexOf('rawQueryString')]))"
    )
    assert logged(body, "/p?" + raw) == [raw, -1]


@rule("raw-query-string")
def test_raw_query_string_is_runtime_2_and_viewer_request_only() -> None:
    code = "function handler(event) { event.request.rawQueryString(); return event.request; }"
    in_1_0 = invoke(code, "/p?a=1", runtime=V1)
    assert in_1_0.error == (
        "FunctionExecutionError: TypeError: event.request.rawQueryString is not a function"
    )
    request = event_from_options("198.51.100.1", "GET", "/p?a=1")
    response = viewer_response_event(request, request["request"])
    code2 = "function handler(event) { event.request.rawQueryString(); return event.response; }"
    assert not invoke(code2, event=response).ok


@pytest.mark.usefixtures("processes")  # test --code runs in a child process
@rule("raw-query-string")
def test_an_event_file_may_carry_the_raw_query_string(tmp_path: Path) -> None:
    event = {
        "version": "1.0", "context": {"eventType": "viewer-request"}, "viewer": {"ip": "1.2.3.4"},
        "request": {"method": "GET", "uri": "/p", "rawQueryString": "flag&a=1",
                    "querystring": {"flag": {"value": ""}, "a": {"value": "1"}},
                    "headers": {}, "cookies": {}},
    }  # fmt: skip
    normalised, edge = file_invocation(event, EdgeContext())
    assert "rawQueryString" not in normalised["request"] and edge.raw_query == "flag&a=1"
    path = tmp_path / "event.json"
    path.write_text(json.dumps(event))
    code = HELPERS / "raw-query-string.js"
    got = cffunc_test("--code", str(code), "--runtime", V2, "--event", str(path))
    assert got["FunctionExecutionLogs"] == ['rawQueryString: "flag&a=1"']
    # The function never sees the field; without it, the string is rebuilt from querystring.
    assert json.loads(got["FunctionOutput"])["querystring"] == event["request"]["querystring"]
    del event["request"]["rawQueryString"]  # type: ignore[attr-defined]
    path.write_text(json.dumps(event))
    rebuilt = cffunc_test("--code", str(code), "--runtime", V2, "--event", str(path))
    assert rebuilt["FunctionExecutionLogs"] == ['rawQueryString: "flag=&a=1"']


@rule("raw-query-string")
def test_scenarios_keep_the_raw_query_string_with_the_bypass_token(tmp_path: Path) -> None:
    from tests.helpers import make_rules

    rules = make_rules({"allow": {"bypass_secret_env": "CFFUNC_BYPASS_SECRET"}})
    text = (
        '[[scenario]]\nname = "a"\nip = "1.2.3.4"\npath = "/p?b=2&token=old&flag"\n'
        'expect = "pass"\nbypass_token = true\n'
        '[[scenario]]\nname = "b"\nip = "1.2.3.4"\npath = "/p?"\nexpect = "pass"\n'
        '[[scenario]]\nname = "c"\nip = "1.2.3.4"\npath = "/p"\nexpect = "pass"\n'
    )
    path = tmp_path / "s.toml"
    path.write_text(text)
    first, second, third = load_scenarios(path)
    assert first.edge(rules, "s3cret").raw_query == "b=2&flag&token=s3cret"
    assert second.edge(rules, None).raw_query == ""
    assert third.edge(rules, None).raw_query is None


@rule("raw-query-string")
def test_replay_gives_the_log_lines_query_as_the_raw_query_string() -> None:
    code = "function handler(e) { throw new Error(String(e.request.rawQueryString())); }"
    fields = "#Fields: date time c-ip cs-method cs-uri-stem cs-uri-query\n"
    lines = "2026-11-30\t00:00:01\t1.2.3.4\tGET\t/a\tx=1&flag\n2026-11-30\t00:00:02\t1.2.3.4\tGET\t/a\t-\n"
    with FunctionRuntime(code, V2) as engine:
        engine.replay_start(10, 2**53)
        engine.replay_seek(None, 0, 0, 2**53)
        summary = engine.replay_block((fields + lines).encode(), NOW_MS, False, 1)
    assert summary["errors"] == [[2, "Error: x=1&flag"], [3, "Error: undefined"]]


# ---- cf.edgeLocation (general-helper-methods.html#edge-location-metadata) ----


@pytest.mark.usefixtures("processes")  # test --code runs in a child process
@rule("edge-location")
def test_edge_location_as_documented_through_test_code() -> None:
    got = sample("edge-location.js", "--path", "/", "--edge-location", "SEA,1.2.3.4,us-west-2")
    headers = json.loads(got["FunctionOutput"])["headers"]
    assert headers == {
        "x-location-name": {"value": "SEA"},
        "x-location-server": {"value": "1.2.3.4"},
        "x-location-region": {"value": "us-west-2"},
    }
    default = json.loads(sample("edge-location.js", "--path", "/")["FunctionOutput"])["headers"]
    assert default["x-location-name"] == {"value": "IAD"}
    # NAME alone keeps the default address and Region.
    assert parse_edge_location("SEA") == EdgeLocation("SEA", "192.0.2.10", "us-east-1")


@rule("edge-location")
def test_edge_location_is_empty_in_viewer_response() -> None:
    request = event_from_options("198.51.100.1", "GET", "/")
    response = viewer_response_event(request, request["request"])
    code = (
        "import cf from 'cloudfront';\n"
        "function handler(event) { console.log(String(cf.edgeLocation)); return event.response; }"
    )
    result = invoke(code, event=response, edge=EdgeContext(location=EdgeLocation("SEA")))
    assert result.ok and result.logs == ("undefined",)


@rule("edge-location")
@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("IAD89", "is not a three-letter IATA code"),
        ("SEA,1.2.3", "is not an IPv4 or IPv6 address"),
        ("SEA,1.2.3.4,west", "is not an AWS Region code"),
        ("SEA,1.2.3.4,us-west-2,x", "give NAME[,SERVERIP[,REGION]]"),
    ],
)
def test_an_edge_location_the_edge_never_gives_is_refused(given: str, message: str) -> None:
    result = CliRunner().invoke(
        cli, ["test", "--code", str(HELPERS / "edge-location.js"), "--runtime", V2,
              "--path", "/", "--edge-location", given],
    )  # fmt: skip
    assert result.exit_code == 2 and message in result.stderr


@rule("edge-location")
def test_scenarios_set_the_edge_location(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text(
        '[[scenario]]\nname = "a"\nip = "1.2.3.4"\nexpect = "pass"\n'
        'edge_location = {name = "SEA", serverIp = "2001:db8::1"}\n'
    )
    (scenario,) = load_scenarios(path)
    assert scenario.location == EdgeLocation("SEA", "2001:db8::1", "us-east-1")
    path.write_text(
        '[[scenario]]\nname = "a"\nip = "1.2.3.4"\nexpect = "pass"\n'
        'edge_location = {name = "SEA", server = "1.2.3.4"}\n'
    )
    with pytest.raises(ConfigError, match="edge_location has no server"):
        load_scenarios(path)


# ---- cf.logCustomData() (general-helper-methods.html#log-custom-data-method) ----


@pytest.mark.usefixtures("processes")  # test --code runs in a child process
@rule("log-custom-data")
def test_log_custom_data_the_pages_example_through_test_code() -> None:
    got = sample("log-custom-data.js", "--path", "/", "--header", "x-debug-header=on")
    assert got["LogCustomData"] == "debug%20header%20found%3A%20on"
    assert sample("log-custom-data.js", "--path", "/")["LogCustomData"] is None
    readable = CliRunner().invoke(
        cli, ["test", "--code", str(HELPERS / "log-custom-data.js"), "--runtime", V2,
              "--path", "/", "--header", "x-debug-header=on"],
    )  # fmt: skip
    assert "  viewer-request-log-data: debug%20header%20found%3A%20on" in readable.stdout


@rule("log-custom-data")
def test_log_custom_data_keeps_the_last_value_url_encoded_and_cut_at_800_bytes() -> None:
    code = (
        "import cf from 'cloudfront';\nfunction handler(event) {"
        " cf.logCustomData('first'); cf.logCustomData(JSON.stringify({a: 'é'.repeat(300)}));"
        " return event.request; }"
    )
    data = invoke(code).log_data
    from urllib.parse import quote

    expected = quote(
        json.dumps({"a": "é" * 300}, separators=(",", ":"), ensure_ascii=False), safe="-_.!~*'()"
    )
    assert data == expected[:800] and len(data.encode()) == 800
    refused = invoke(
        "import cf from 'cloudfront';\n"
        "function handler(event) { cf.logCustomData({a: 1}); return event.request; }"
    )
    assert refused.error is not None and "takes one string" in refused.error


# ---- multi-tenant distributions (saas-specific-logic-function-code.html) ----


@pytest.mark.usefixtures("processes")  # test --code runs in a child process
@rule("tenant-id")
@rule("tenant-parameters")
@rule("context-endpoint")
def test_tenant_helpers_as_documented_through_test_code() -> None:
    got = sample(
        "tenant.js", "--path", "/index.html", "--tenant", "dt_1a2b3c4d5e6f7",
        "--tenant-param", "TenantPath=tenant1",
    )  # fmt: skip
    output = json.loads(got["FunctionOutput"])
    assert output["uri"] == "/tenant1/index.html"
    assert output["headers"]["x-tenant"] == {"value": "dt_1a2b3c4d5e6f7"}
    assert output["headers"]["x-connection-group"] == {"value": CONNECTION_GROUP_DOMAIN}
    own = sample(
        "tenant.js", "--path", "/", "--tenant", "dt_1", "--tenant-param", "TenantPath=t",
        "--endpoint", "d222222abcdef8.cloudfront.net",
    )  # fmt: skip
    headers = json.loads(own["FunctionOutput"])["headers"]
    assert headers["x-connection-group"] == {"value": "d222222abcdef8.cloudfront.net"}


@pytest.mark.usefixtures("processes")  # test --code runs in a child process
@rule("tenant-id")
@rule("tenant-parameters")
def test_a_standard_distribution_has_no_tenant_module() -> None:
    got = sample("tenant.js", "--path", "/index.html")
    assert got["FunctionExecutionLogs"] == ["TypeError: distributionTenant module is not available"]
    body = (
        "var out = []; try { cf.distributionTenant.parameters.get('k'); } "
        "catch (e) { out.push(e instanceof TypeError, e.message); } console.log(JSON.stringify(out))"
    )
    assert logged(body) == [True, "distributionTenant module is not available"]


@rule("tenant-parameters")
def test_a_missing_tenant_parameter_throws_its_documented_error() -> None:
    tenant = EdgeContext(tenant=Tenant("dt_1", (("TenantPath", "tenant1"),)))
    body = (
        "var out = [cf.distributionTenant.parameters.get('TenantPath')]; "
        "try { cf.distributionTenant.parameters.get('Other'); } "
        "catch (e) { out.push(e.name, e.message); } console.log(JSON.stringify(out))"
    )
    assert logged(body, edge=tenant) == [
        "tenant1", "DistributionTenantParameterKeyNotFound",
        "the distribution tenant has no parameter 'Other'",
    ]  # fmt: skip


@rule("tenant-in-handler")
def test_the_tenant_module_is_for_the_handler_not_the_top_level() -> None:
    tenant = EdgeContext(tenant=Tenant("dt_1"))
    top = invoke(
        "import cf from 'cloudfront';\nconst id = cf.distributionTenant.id;\n"
        "function handler(event) { return event.request; }",
        edge=tenant,
    )
    assert top.error == (
        "FunctionExecutionError: Error: cf.distributionTenant.id can be used only in the "
        "handler function or a function it calls"
    )
    nested = "function id() { return cf.distributionTenant.id; } console.log(JSON.stringify(id()))"
    assert logged(nested, edge=tenant) == "dt_1"


@pytest.mark.usefixtures("processes")  # test --code runs in a child process
@rule("context-endpoint")
def test_the_context_has_endpoint_only_for_a_tenant(tmp_path: Path) -> None:
    context = "console.log(JSON.stringify(event.context))"
    code = f"function handler(event) {{ {context}; return event.request; }}"
    path = tmp_path / "fn.js"
    path.write_text(code)
    standard = cffunc_test("--code", str(path), "--runtime", V2, "--path", "/")
    tenant = cffunc_test("--code", str(path), "--runtime", V2, "--path", "/", "--tenant", "dt_1")
    assert set(json.loads(standard["FunctionExecutionLogs"][0])) == {
        "distributionDomainName", "distributionId", "eventType", "requestId",
    }  # fmt: skip
    assert json.loads(tenant["FunctionExecutionLogs"][0]) == {
        "endpoint": CONNECTION_GROUP_DOMAIN, "distributionId": "EDFDVBD6EXAMPLE",
        "eventType": "viewer-request", "requestId": "cffunc-local",
    }  # fmt: skip
    # An event file that says endpoint without a tenant describes no distribution.
    event = tmp_path / "event.json"
    event.write_text(json.dumps({
        "context": {"eventType": "viewer-request", "endpoint": CONNECTION_GROUP_DOMAIN},
        "viewer": {"ip": "1.2.3.4"}, "request": {"method": "GET", "uri": "/"},
    }))  # fmt: skip
    refused = CliRunner().invoke(
        cli, ["test", "--code", str(path), "--runtime", V2, "--event", str(event)]
    )
    assert refused.exit_code == 1
    assert "context.endpoint is only in events of a multi-tenant distribution" in refused.stderr


@rule("tenant-parameters")
@pytest.mark.parametrize(
    ("location", "tenant", "params", "endpoint", "message"),
    [
        (None, None, [("a", "b")], None, "give --tenant ID too"),
        (None, "dt 1", [], None, "give the tenant's id"),
        (None, "dt_1", [("bad name", "b")], None, "a name is 1-128 letters"),
        (None, "dt_1", [("a", "x" * 257)], None, "a value is 1-256 characters"),
        (None, "dt_1", [("a", "1"), ("a", "2")], None, "is given twice"),
        (None, "dt_1", [], "https://x", "give the connection group's domain"),
    ],
)
def test_tenant_options_are_checked_as_the_api_checks_them(
    location: str | None,
    tenant: str | None,
    params: list[tuple[str, str]],
    endpoint: str | None,
    message: str,
) -> None:
    with pytest.raises(EdgeError, match=message):
        edge_from_options(location, tenant, params, endpoint)


@rule("tenant-id")
@pytest.mark.usefixtures("processes")  # --with runs in a child process
def test_scenarios_run_as_a_tenant(tmp_path: Path) -> None:
    """The scenario keys tenant, tenant_params, endpoint reach the composed function."""
    config = tmp_path / "cffunc.toml"
    config.write_text((SAMPLES / "cffunc.toml").read_text())
    (tmp_path / "maintenance").mkdir()
    scenarios = tmp_path / "s.toml"
    scenarios.write_text(
        '[[scenario]]\nname = "tenant"\nip = "203.0.113.9"\npath = "/index.html"\n'
        'expect = "pass"\nexpect_uri = "/tenant1/index.html"\ntenant = "dt_1a2b3c4d5e6f7"\n'
        'tenant_params = {TenantPath = "tenant1"}\nendpoint = "d222222abcdef8.cloudfront.net"\n'
        '[[scenario]]\nname = "standard"\nip = "203.0.113.9"\npath = "/index.html"\n'
        'expect = "pass"\nexpect_uri = "/index.html"\n'
    )
    from tests.helpers import ENV

    result = CliRunner().invoke(
        cli,
        ["-c", str(config), "test", "--scenarios", str(scenarios), "--with",
         str(HELPERS / "tenant.js"), "--now", "2026-12-01T03:00:00Z", "--json"],
        env=ENV,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert [s["uri"] for s in json.loads(result.stdout)["scenarios"]] == [
        "/tenant1/index.html", "/index.html",
    ]  # fmt: skip


# ---- origin modification (helper-functions-origin-modification.html) ----

UPDATE_EXAMPLES = [
    """cf.updateRequestOrigin({
    "domainName" : "amzn-s3-demo-bucket-in-us-east-1.s3.us-east-1.amazonaws.com",
    "originAccessControlConfig": {
        "enabled": true,
        "signingBehavior": "always",
        "signingProtocol": "sigv4",
        "originType": "s3"
    },
    // Empty object resets any header configured on the assigned origin
    "customHeaders": {}
});""",
    """cf.updateRequestOrigin({
    "domainName" : "example-1234567890.us-east-1.elb.amazonaws.com",
    "timeouts": {
        "readTimeout": 30,
        "connectionTimeout": 5
    },
    "customHeaders": {
        "x-stage": "production",
        "x-region": "us-east-1"
    }
});""",
    """cf.updateRequestOrigin({
    "domainName" : "www.example.com"
});""",
    """cf.updateRequestOrigin({
    "domainName": "www.example.com",
    "hostHeader": "test.example.com",
    "sni": "test.example.net",
    "allowedCertificateNames": ["*.example.com", "*.example.net"],
});""",
    'cf.selectRequestOriginById("amzn-s3-demo-bucket-in-us-east-1");',
    'cf.selectRequestOriginById("myALB-prod");',
    # The page's override example calls cf.overrideRequestOrigin, which no other page
    # names; with the documented method it reads:
    'cf.selectRequestOriginById("myALB-prod",{\n        "hostHeader" : "test.example.com"\n});',
]


def origin_calls(statement: str, **kwargs: Any) -> Invocation:
    code = f"import cf from 'cloudfront';\nfunction handler(event) {{ {statement}\n return event.request; }}"
    return invoke(code, **kwargs)


@rule("origin-viewer-request-only")
@rule("origin-host-names")
@rule("origin-custom-headers")
@rule("origin-access-control")
@rule("origin-timeouts")
@rule("origin-certificate-names")
@rule("origin-select-by-id")
@pytest.mark.parametrize("statement", UPDATE_EXAMPLES)
def test_the_pages_origin_examples_are_accepted_and_recorded(statement: str) -> None:
    result = origin_calls(statement)
    assert result.ok, result.error
    (call,) = result.origin_calls
    assert call.method in ("updateRequestOrigin", "selectRequestOriginById")


@pytest.mark.usefixtures("processes")  # test --code runs in a child process
@rule("origin-group")
@rule("origin-viewer-request-only")
def test_origin_samples_run_and_show_through_test_code() -> None:
    update = sample("origin-update.js", "--path", "/")
    assert update["OriginModifications"] == [
        {"method": "updateRequestOrigin", "arguments": [{
            "domainName": "example-1234567890.us-east-1.elb.amazonaws.com",
            "timeouts": {"readTimeout": 30, "connectionTimeout": 5},
            "customHeaders": {"x-stage": "production", "x-region": "us-east-1"},
        }]},
    ]  # fmt: skip
    select = sample("origin-select.js", "--path", "/api/orders")
    assert select["OriginModifications"] == [
        {"method": "selectRequestOriginById", "arguments": ["myALB-prod"]}
    ]
    assert sample("origin-select.js", "--path", "/")["OriginModifications"] == []
    group = sample("origin-group.js", "--path", "/")
    assert group["FunctionErrorMessage"] == ""
    (call,) = group["OriginModifications"]
    assert OriginCall(call["method"], tuple(call["arguments"])).target["originIds"] == [
        "origin-1", "origin-2",
    ]  # fmt: skip
    readable = CliRunner().invoke(
        cli, ["test", "--code", str(HELPERS / "origin-select.js"), "--runtime", V2,
              "--path", "/api/x"],
    )  # fmt: skip
    assert readable.stdout == (
        "GET /api/x from 198.51.100.1: goes on unchanged\n"
        '  origin: cf.selectRequestOriginById("myALB-prod")\n'
    )


BAD_CALLS = [
    # Each refused call, the rule it breaks, and what the error says.
    pytest.param(
        "cf.updateRequestOrigin({domainName: 'www.example.com:8080'})",
        "cf.updateRequestOrigin(): domainName can't include a colon",
        marks=rule("origin-host-names"),
    ),
    pytest.param(
        "cf.updateRequestOrigin({domainName: '192.0.2.1'})",
        "domainName can't be an IP address",
        marks=rule("origin-host-names"),
    ),
    pytest.param(
        "cf.updateRequestOrigin({hostHeader: 'a'.repeat(250) + '.com'})",
        "hostHeader is 254 characters; at most 253",
        marks=rule("origin-host-names"),
    ),
    pytest.param(
        "cf.updateRequestOrigin({domainName: 'Bucket.s3.us-east-1.amazonaws.com'})",
        "domainName of an S3 origin must be all lowercase",
        marks=rule("origin-host-names"),
    ),
    pytest.param(
        "cf.updateRequestOrigin({sni: ''})",
        "sni must be a non-empty string",
        marks=rule("origin-host-names"),
    ),
    pytest.param(
        "cf.updateRequestOrigin({originPath: 'example-path'})",
        "originPath must start with / and not end with one",
        marks=rule("origin-path"),
    ),
    pytest.param(
        "cf.updateRequestOrigin({originPath: '/example-path/'})",
        "originPath must start with / and not end with one",
        marks=rule("origin-path"),
    ),
    pytest.param(
        "cf.updateRequestOrigin({originPath: '/a b'})",
        "URL-encoded",
        marks=rule("origin-path"),
    ),
    pytest.param(
        "cf.updateRequestOrigin({originPath: '/' + 'a'.repeat(255)})",
        "originPath is 256 characters; at most 255",
        marks=rule("origin-path"),
    ),
    pytest.param(
        "cf.updateRequestOrigin({customHeaders: {'X-Stage': 'p'}})",
        "'X-Stage' must be a lower-case HTTP header name",
        marks=rule("origin-custom-headers"),
    ),
    pytest.param(
        "cf.updateRequestOrigin({customHeaders: {'cache-control': 'x'}})",
        "CloudFront can't add 'cache-control' to origin requests",
        marks=rule("origin-custom-headers"),
    ),
    pytest.param(
        "cf.updateRequestOrigin({customHeaders: {'x-amz-date': 'x'}})",
        "CloudFront can't add 'x-amz-date'",
        marks=rule("origin-custom-headers"),
    ),
    pytest.param(
        "cf.updateRequestOrigin({customHeaders: {'accept': 'x'}})",
        "'accept' is already in the viewer's request headers",
        marks=rule("origin-custom-headers"),
    ),
    pytest.param(
        "cf.updateRequestOrigin({customHeaders: {'x-n': 1}})",
        "customHeaders.x-n must be a string",
        marks=rule("origin-custom-headers"),
    ),
    pytest.param(
        "cf.updateRequestOrigin({connectionAttempts: 4})",
        "connectionAttempts must be a whole number from 1 to 3, got 4",
        marks=rule("origin-connection-attempts"),
    ),
    pytest.param(
        "cf.updateRequestOrigin({connectionAttempts: 1.5})",
        "connectionAttempts must be a whole number from 1 to 3",
        marks=rule("origin-connection-attempts"),
    ),
    pytest.param(
        "cf.updateRequestOrigin({originShield: {enabled: true}})",
        "originShield.region must be a Region code such as us-east-2 (required when enabled)",
        marks=rule("origin-shield"),
    ),
    pytest.param(
        "cf.updateRequestOrigin({originShield: {region: 'us-east-2'}})",
        "originShield.enabled is required, true or false",
        marks=rule("origin-shield"),
    ),
    pytest.param(
        "cf.updateRequestOrigin({originAccessControlConfig: {enabled: true, signingBehavior: 'always', signingProtocol: 'sigv4'}})",
        "originAccessControlConfig.originType must be one of s3, mediapackagev2, mediastore, lambda",
        marks=rule("origin-access-control"),
    ),
    pytest.param(
        "cf.updateRequestOrigin({originAccessControlConfig: {enabled: true, signingBehavior: 'always', signingProtocol: 'sigv2', originType: 's3'}})",
        "originAccessControlConfig.signingProtocol must be one of sigv4",
        marks=rule("origin-access-control"),
    ),
    pytest.param(
        "cf.updateRequestOrigin({timeouts: {readTimeout: 121}})",
        "timeouts.readTimeout must be a whole number from 1 to 120, got 121",
        marks=rule("origin-timeouts"),
    ),
    pytest.param(
        "cf.updateRequestOrigin({timeouts: {connectionTimeout: 11}})",
        "timeouts.connectionTimeout must be a whole number from 1 to 10",
        marks=rule("origin-timeouts"),
    ),
    pytest.param(
        "cf.updateRequestOrigin({timeouts: {keepAliveTimeout: 0}})",
        "timeouts.keepAliveTimeout must be a whole number from 1 to 120, got 0",
        marks=rule("origin-timeouts"),
    ),
    pytest.param(
        "cf.updateRequestOrigin({timeouts: {readTimeout: 30, responseCompletionTimeout: 20}})",
        "timeouts.responseCompletionTimeout must be a whole number of at least 30, got 20",
        marks=rule("origin-timeouts"),
    ),
    pytest.param(
        "cf.updateRequestOrigin({customOriginConfig: {port: 443, protocol: 'https'}})",
        "customOriginConfig.sslProtocols must be a list of SSLv3, TLSv1, TLSv1.1, TLSv1.2",
        marks=rule("origin-custom-origin-config"),
    ),
    pytest.param(
        "cf.updateRequestOrigin({customOriginConfig: {port: 443, protocol: 'ftp', sslProtocols: ['TLSv1.2']}})",
        "customOriginConfig.protocol must be http or https",
        marks=rule("origin-custom-origin-config"),
    ),
    pytest.param(
        "cf.updateRequestOrigin({customOriginConfig: {protocol: 'https', sslProtocols: ['TLSv1.2']}})",
        "customOriginConfig.port must be a whole number from 1 to 65535",
        marks=rule("origin-custom-origin-config"),
    ),
    pytest.param(
        "cf.updateRequestOrigin({customOriginConfig: {port: 443, protocol: 'https', sslProtocols: ['TLSv1.2'], ipAddressType: 'ipv6'}})",
        "ipAddressType can change only together with domainName",
        marks=rule("origin-custom-origin-config"),
    ),
    pytest.param(
        "cf.updateRequestOrigin({allowedCertificateNames: Array.from({length: 21}, (_, i) => 'c' + i + '.example.com')})",
        "allowedCertificateNames has 21 names; at most 20",
        marks=rule("origin-certificate-names"),
    ),
    pytest.param(
        "cf.updateRequestOrigin({allowedCertificateNames: ['a'.repeat(65)]})",
        "is 65 characters; at most 64",
        marks=rule("origin-certificate-names"),
    ),
    pytest.param(
        "cf.updateRequestOrigin({domainName: 'a.example.com', mTLSConfig: 'off'})",
        "the origin properties has no property 'mTLSConfig'",
        marks=rule("origin-host-names"),
    ),
    pytest.param(
        "cf.selectRequestOriginById('')",
        "cf.selectRequestOriginById(): the origin id must be a non-empty string",
        marks=rule("origin-select-by-id"),
    ),
    pytest.param(
        "cf.selectRequestOriginById('a', {domainName: 'b.example.com'})",
        "origin_overrides has no property 'domainName'; documented: hostHeader, sni, allowedCertificateNames",
        marks=rule("origin-select-by-id"),
    ),
    pytest.param(
        "cf.selectRequestOriginById('a', {sni: 'x:1'})",
        "origin_overrides.sni can't include a colon",
        marks=rule("origin-select-by-id"),
    ),
    pytest.param(
        "cf.createRequestOriginGroup({originIds: ['a'], failoverCriteria: {statusCodes: [500]}})",
        "originIds must list two origins (primary, then secondary)",
        marks=rule("origin-group"),
    ),
    pytest.param(
        "cf.createRequestOriginGroup({originIds: ['a', 'b']})",
        "failoverCriteria is required",
        marks=rule("origin-group"),
    ),
    pytest.param(
        "cf.createRequestOriginGroup({originIds: ['a', 'b'], failoverCriteria: {statusCodes: ['500']}})",
        "failoverCriteria is required",
        marks=rule("origin-group"),
    ),
    pytest.param(
        "cf.createRequestOriginGroup({originIds: ['a', 'b'], selectionCriteria: 'fastest', failoverCriteria: {statusCodes: [500]}})",
        "selectionCriteria must be default or media-quality-score",
        marks=rule("origin-group"),
    ),
    pytest.param(
        "cf.createRequestOriginGroup({originIds: [{originId: 'a', originOverrides: {sni: '10.0.0.1'}}, 'b'], failoverCriteria: {statusCodes: [503]}})",
        "originIds[0].originOverrides.sni can't be an IP address",
        marks=rule("origin-group"),
    ),
]


@pytest.mark.parametrize(("statement", "message"), BAD_CALLS)
def test_a_refused_origin_call_fails_the_invocation_naming_the_field(
    statement: str, message: str
) -> None:
    event = event_from_options("198.51.100.1", "GET", "/", [("Accept", "text/html")])
    result = origin_calls(statement, event=event)
    assert result.output is None and result.error_status == 502
    assert result.error is not None
    assert result.error.startswith("FunctionValidationError: invalid origin: cf.")
    assert message in result.error
    # The check comes after the function, as the edge's: a try/catch changes nothing.
    caught = origin_calls(f"try {{ {statement} }} catch (e) {{}}", event=event)
    assert caught.error == result.error


@rule("origin-viewer-request-only")
def test_origin_helpers_work_in_viewer_request_only() -> None:
    request = event_from_options("198.51.100.1", "GET", "/")
    response = viewer_response_event(request, request["request"])
    code = (
        "import cf from 'cloudfront';\n"
        "function handler(event) { cf.selectRequestOriginById('myALB-prod'); return event.response; }"
    )
    result = invoke(code, event=response)
    assert result.error == (
        "FunctionValidationError: invalid origin: cf.selectRequestOriginById() works in "
        "viewer-request functions only"
    )
    missing = origin_calls(
        'cf.overrideRequestOrigin("myALB-prod", {"hostHeader": "test.example.com"});'
    )
    assert missing.error == (
        "FunctionExecutionError: TypeError: cf.overrideRequestOrigin is not a function"
    )


@rule("origin-viewer-request-only")
def test_scenarios_check_the_origin(tmp_path: Path) -> None:
    """samples/cffunc.toml rewrites maintenance requests to the maintenance-bucket origin:
    expect_origin checks it, "none" checks that a passing request keeps its origin."""
    from tests.helpers import ENV

    scenarios = tmp_path / "s.toml"
    scenarios.write_text(
        '[[scenario]]\nname = "rewritten"\nip = "192.0.2.1"\npath = "/"\nexpect = "maintenance"\n'
        'expect_origin = {id = "maintenance-bucket"}\n'
        '[[scenario]]\nname = "office"\nip = "203.0.113.9"\npath = "/"\nexpect = "pass"\n'
        'expect_origin = "none"\n'
        '[[scenario]]\nname = "wrong"\nip = "192.0.2.1"\npath = "/"\nexpect = "maintenance"\n'
        'expect_origin = {id = "other"}\n'
    )
    args = ["-c", str(SAMPLES / "cffunc.toml"), "test", "--scenarios", str(scenarios),
            "--now", "2026-12-01T03:00:00Z"]  # fmt: skip
    result = CliRunner().invoke(cli, args, env=ENV)
    assert result.exit_code == 1
    assert (
        '  expected origin {id = "other"}, got cf.selectRequestOriginById("maintenance-bucket")'
        in result.stdout
    )
    assert "3 scenarios, 2 passed, 1 failed" in result.stdout
    scenarios.write_text(
        '[[scenario]]\nname = "x"\nip = "1.2.3.4"\nexpect = "pass"\nexpect_origin = "somewhere"\n'
    )
    with pytest.raises(ConfigError, match="expect_origin = 'somewhere' is not accepted"):
        load_scenarios(scenarios)


# ---- KeyValueStore helpers (functions-custom-methods.html) ----


@pytest.mark.usefixtures("processes")  # test --code runs in a child process
@rule("kvs-handle")
@rule("kvs-missing-key")
@rule("kvs-meta")
def test_kvs_helpers_as_documented_through_test_code() -> None:
    got = sample("kvs.js", "--path", "/", "--kvs", str(HELPERS / "kvs.json"))
    # The page's exists() example spells the key "myFunctionkey": not in the store.
    assert json.loads(got["FunctionExecutionLogs"][0]) == {
        "value": "hello", "exist": False, "keyCount": 3, "missing": "rejected",
    }  # fmt: skip


@rule("kvs-handle")
@rule("kvs-missing-key")
@rule("kvs-meta")
def test_kvs_get_formats_exists_meta_and_the_missing_key() -> None:
    store = kvs_from_mapping({"mode": "on", "conf": {"ips": ["1.2.3.4"]}})
    code = (
        "import cf from 'cloudfront';\n"
        "async function handler(event) {\n"
        "  const kvs = cf.kvs('a1b2c3d4-5678-90ab-cdef-EXAMPLE11111');\n"
        "  const conf = await kvs.get('conf', {format: 'json'});\n"
        "  const bytes = await kvs.get('mode', {format: 'bytes'});\n"
        "  const meta = await kvs.meta();\n"
        "  let missing;\n"
        "  try { await kvs.get('nope'); } catch (e) { missing = e.message; }\n"
        "  console.log(JSON.stringify([await cf.kvs().get('mode'), conf.ips[0], bytes.length,\n"
        "    await kvs.exists('mode'), await kvs.exists('nope'), meta, missing]));\n"
        "  return event.request;\n"
        "}"
    )
    result = invoke(code, kvs=store)
    assert result.ok, result.error
    assert json.loads(result.logs[0]) == [
        "on", "1.2.3.4", 2, True, False,
        {"creationDateTime": "2026-01-01T00:00:00Z", "lastUpdatedDateTime": "2026-01-01T00:00:00Z",
         "keyCount": 2},
        "KeyNotFound: nope",
    ]  # fmt: skip
    wrong = invoke(
        "import cf from 'cloudfront';\nfunction handler(e) { cf.kvs(7); return e.request; }"
    )
    assert wrong.error is not None and "takes the key value store id as a string" in wrong.error


@pytest.mark.usefixtures("processes")  # test --code runs in a child process
@rule("kvs-limits")
def test_a_kvs_file_over_the_limits_is_one_line_with_the_apis_error(tmp_path: Path) -> None:
    store = tmp_path / "kvs.json"
    store.write_text(json.dumps({"k": "x" * 1025}))
    result = CliRunner().invoke(
        cli, ["test", "--code", str(HELPERS / "kvs.js"), "--runtime", V2, "--path", "/",
              "--kvs", str(store)],
    )  # fmt: skip
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {store}: ValidationException: the value of 'k' is 1,025 bytes; "
        "a value holds at most 1,024\n"
    )


@rule("edge-location")
@rule("tenant-id")
def test_edge_options_describe_single_events(tmp_path: Path) -> None:
    runner = CliRunner()
    scenarios = runner.invoke(cli, ["-c", str(SAMPLES / "cffunc.toml"), "test", "--tenant", "dt_1"])
    assert scenarios.exit_code == 2
    assert "in a scenario file use edge_location, tenant, tenant_params" in scenarios.stderr
    alone = runner.invoke(
        cli, ["test", "--code", str(HELPERS / "tenant.js"), "--runtime", V2, "--path", "/",
              "--tenant-param", "a=b"],
    )  # fmt: skip
    assert alone.exit_code == 2 and "give --tenant ID too" in alone.stderr
