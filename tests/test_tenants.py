"""Per-tenant maintenance in the function: ``[maintenance] tenants``, the store's tenant
scopes and ``{tenant.NAME|default}`` messages, the rendered JavaScript (V8, the local
runtime's ``cf.distributionTenant``) against the decision model.

Events are drawn of three kinds: a standard distribution (``cf.distributionTenant``
throws), a tenant of a multi-tenant distribution (with or without the parameters a
message names), and a multi-tenant event whose tenant cannot be read (``context.endpoint``
present, the module throwing), which must fail closed.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import event as event_note
from hypothesis import strategies as st

from cffunc.errors import ConfigError, RenderError
from cffunc.function.decide import (
    ViewerRequest,
    answer_body,
    decide,
    decide_response,
)
from cffunc.function.render import SIZE_LIMIT, readable_source, render, render_code
from cffunc.function.rules import MaintenanceRules
from cffunc.function.store_layout import STATE_KEY, tenant_key
from cffunc.function.tenants import UNKNOWN, Tenant, fill, tenant_reading
from cffunc.runtime import FunctionRuntime
from cffunc.runtime.edge import CONNECTION_GROUP_DOMAIN, EdgeContext
from cffunc.runtime.events import for_edge, viewer_request_event, viewer_response_event
from cffunc.runtime.local_run import with_page
from cffunc.runtime.local_store import KeyValueData
from tests.helpers import NOW, NOW_MS, classify, expected, make_config, make_function, make_rules
from tests.test_function_differential import stored_scope

ACME = "dt_2yN5tYwVbPKr7m2IB69M1yp1AB"
GLOBEX = "dt_2yN5tYwVbPKr7m2IB69M1yp1GX"
INITECH = "dt_2yN5tYwVbPKr7m2IB69M1yp1IT"
OUTSIDE_IP = "192.0.2.1"
OFFICE_IP = "203.0.113.9"


def _config(maintenance: dict[str, Any], runtime: str = "cloudfront-js-2.0") -> dict[str, Any]:
    return {
        "function": {"name": "fn", "runtime": runtime},
        "maintenance": {"mode": "respond", **maintenance},
        "allow": {"ips": ["203.0.113.0/24"], "paths": ["/health"]},
    }


# ---- the config ----


def test_tenants_are_tenant_ids_and_need_runtime_2() -> None:
    scope = make_config(_config({"tenants": [ACME, GLOBEX, ACME]})).maintenance.scope
    assert scope.tenants == (ACME, GLOBEX) and not scope.whole
    assert scope.describe() == f"every host; tenants {ACME}, {GLOBEX}"
    refusals = {
        "cloudfront-js-1.0": 'needs function.runtime = "cloudfront-js-2.0"',
    }
    for runtime, words in refusals.items():
        with pytest.raises(ConfigError) as raised:
            make_config(_config({"tenants": [ACME]}, runtime))
        assert words in str(raised.value) and "cf.distributionTenant" in str(raised.value)


@pytest.mark.parametrize(
    ("entry", "words"),
    [
        ("acme.saas.example.com", "is a domain; give a distribution tenant's id"),
        ("acme", "is not a tenant id"),
        ("dt_", "is not a tenant id"),
        ("dt_abc-def", "is not a tenant id"),
        (" dt_abc", "is not a tenant id"),
        ("dt_" + "a" * 126, "is not a tenant id"),
        (7, "give a distribution tenant's id"),
    ],
)
def test_a_bad_tenant_entry_is_one_line_naming_it(entry: object, words: str) -> None:
    with pytest.raises(ConfigError) as raised:
        make_config(_config({"tenants": [entry]}))
    message = str(raised.value)
    assert "maintenance.tenants entry" in message and words in message
    assert "\n" not in message


def test_an_empty_tenant_list_and_tenant_scopes_without_the_store_are_refused() -> None:
    with pytest.raises(ConfigError, match="an empty list covers nothing"):
        make_config(_config({"tenants": []}))
    with pytest.raises(ConfigError, match='it applies to toggle = "kvs"'):
        make_config(_config({"tenant_scopes": True}))
    kvs = make_config(_config({"toggle": "kvs", "tenants": [ACME]})).maintenance
    assert kvs.tenant_scopes  # the store's tenant scopes come with a tenant scope
    assert not make_config(_config({"toggle": "kvs"})).maintenance.tenant_scopes


@pytest.mark.parametrize(
    "reason",
    ["{tenant.}", "{tenant.a b}", "Down {tenant.name", "{tenant.x|a {b}}", "{tenant.é}"],
)
def test_a_placeholder_that_is_not_one_is_refused(reason: str) -> None:
    with pytest.raises(ConfigError) as raised:
        make_config(_config({"reason": reason}))
    assert "is not a tenant placeholder; write {tenant.NAME} or {tenant.NAME|default text}" in str(
        raised.value
    )


def test_placeholders_need_runtime_2_in_the_reason_and_the_page() -> None:
    with pytest.raises(ConfigError, match="placeholder is filled from the cloudfront module"):
        make_config(_config({"reason": "{tenant.msg|down}"}, "cloudfront-js-1.0"))
    with pytest.raises(RenderError, match="placeholder, filled from the cloudfront module"):
        make_rules(_config({"page": "tenant-page.html"}, "cloudfront-js-1.0"))
    rules = make_rules(_config({"page": "tenant-page.html"}))
    assert rules.fills and "{tenant.tenantName|Our service}" in str(rules.page_html)


# ---- what the function reads, and what it costs ----


def test_the_tenant_reading_is_id_unknown_or_none() -> None:
    assert tenant_reading(Tenant(ACME), None) == ACME
    assert tenant_reading(Tenant(ACME), CONNECTION_GROUP_DOMAIN) == ACME
    assert tenant_reading(None, CONNECTION_GROUP_DOMAIN) == UNKNOWN
    assert tenant_reading(Tenant(""), CONNECTION_GROUP_DOMAIN) == UNKNOWN
    assert tenant_reading(None, None) is None
    assert tenant_reading(None, "") is None


def test_fill_escapes_for_each_body() -> None:
    tenant = Tenant(ACME, (("name", "A<b>&\"c'\n\\"),))
    body = "x {tenant.name|dflt} {tenant.other|d&amp;} {tenant.none}."
    assert fill(body, "text", tenant) == "x A<b>&\"c'\n\\ d&amp; ."
    assert fill(body, "html", tenant) == "x A&#60;b&#62;&#38;&#34;c&#39;\n\\ d&amp; ."
    assert fill(body, "json", tenant) == "x A<b>&\\\"c'\\n\\\\ d&amp; ."
    assert fill(body, "json", None) == "x dflt d&amp; ."


SAMPLE_ITEMS = {
    STATE_KEY: '{"on":false,"tenants":true}',
    tenant_key(ACME): '{"on":true,"reason":"Acme moves: {tenant.tenantName|?}"}',
    tenant_key(GLOBEX): '{"on":true,"methods":"writes"}',
}


def test_a_request_reads_the_state_then_its_tenants_key_only() -> None:
    """With tenant scopes the tenant's own key is read (one more read than a host scope
    needs nothing else); a standard distribution's request and a tenant that cannot be
    read read no tenant key; the network bucket only for maintenance."""
    rules, function = make_function(_config({"toggle": "kvs", "tenant_scopes": True}))
    items = with_page(
        SAMPLE_ITEMS | {f"cffunc:tenant:dt_x{i}": '{"on":true}' for i in range(500)}, rules
    )
    assert rules.page_store is not None
    page = rules.page_store.count  # the page's values, read for a maintenance page only
    cases = [
        (Tenant(ACME), OUTSIDE_IP, 3 + page, "maintenance"),  # state, tenant key, bucket
        (Tenant(ACME), OFFICE_IP, 2, "pass"),  # the config's allowlist: no bucket
        (Tenant(INITECH), OUTSIDE_IP, 2, "pass"),  # state, a missing tenant key
        (None, OUTSIDE_IP, 1, "pass"),  # a standard distribution: the state only
        ("unknown", OUTSIDE_IP, 2 + page, "maintenance"),  # the state, then the bucket
    ]
    with FunctionRuntime(function.code, rules.runtime, kvs=KeyValueData(items)) as runtime:
        for tenant, ip, reads, kind in cases:
            request, event, edge = _invocation(ViewerRequest(ip=ip), tenant)
            result = runtime.invoke(event, NOW_MS, edge)
            assert result.ok, result.error
            got = "pass" if result.output == event["request"] else "maintenance"
            assert (result.kvs_reads, got) == (reads, kind), tenant
            assert got == decide(rules, request, NOW, items, tenant=_model(tenant)).action


def test_features_render_to_nothing_unused_and_cost_these_bytes() -> None:
    """A config without tenants renders as before (the golden files hold that); each
    tenant feature adds the bytes measured here, which the docs quote: a config tenant
    scope (with the cloudfront import), a message placeholder, and the store's tenant
    scopes (which fill placeholders in stored reasons too)."""
    association = {"reason": "Down."}
    store = association | {"toggle": "kvs"}

    def added(base: dict[str, Any], extra: dict[str, Any]) -> int:
        return (
            render(make_rules(_config(base | extra))).stats.total
            - render(make_rules(_config(base))).stats.total
        )

    figures = {
        "config": added(association, {"tenants": [ACME]}),
        "message": added(association, {"reason": "{tenant.msg|Down.}"}),
        "store": added(store, {"tenant_scopes": True}),
    }
    assert figures == {"config": 283, "message": 415, "store": 685}, figures
    base = store
    plain = readable_source(make_rules(_config(base)))
    for word in ("distributionTenant", "tid(", "fill(", "TK", "tenants"):
        assert word not in plain


# ---- V8 against the model ----

TENANT_IDS = [ACME, GLOBEX, INITECH]
PARAMETER_VALUES = [
    "Acme", "<script>alert(1)</script>", 'Say "hi" & \'bye\'', "back\\slash\nline", "$& $1 $$",
    "{tenant.msg}", "ünïcödé \u2028", "x" * 256,
]  # fmt: skip
REASONS = [
    None, "Plain reason.", "{tenant.msg}", '{tenant.msg|Default <b> & "q"}',
    "A {tenant.name|x} B {tenant.msg}", "{tenant.missing|only the default}",
]  # fmt: skip
STORE_REASONS = [None, "{tenant.msg|stored default}", "stored <plain>", 7]


@st.composite
def configs(draw: st.DrawFn) -> dict[str, Any]:
    mode = draw(st.sampled_from(["rewrite", "respond"]))
    maintenance: dict[str, Any] = {"mode": mode, "json": draw(st.booleans())}
    if draw(st.booleans()):
        maintenance["tenants"] = draw(st.lists(st.sampled_from(TENANT_IDS), min_size=1, max_size=2))
    if draw(st.booleans()):
        maintenance["hosts"] = ["acme.saas.example.com", "*.globex.example.com"]
    if draw(st.booleans()):
        maintenance["paths"] = ["/checkout/*"]
    if draw(st.booleans()):
        maintenance["methods"] = "writes"
    reason = draw(st.sampled_from(REASONS))
    if reason is not None:
        maintenance["reason"] = reason
    if mode == "respond" and draw(st.booleans()):
        maintenance["page"] = "tenant-page.html"
    if draw(st.booleans()):
        maintenance["toggle"] = "kvs"
        if draw(st.integers(0, 2)):
            maintenance["tenant_scopes"] = True
    return _config(maintenance) | {"allow": {"ips": ["203.0.113.0/24"], "paths": ["/health"]}}


TENANT_KIND = st.sampled_from(["standard", "tenant", "tenant", "tenant", "unknown", "empty-id"])


@st.composite
def tenants(draw: st.DrawFn) -> Tenant | str | None:
    """None (standard), "unknown" (multi-tenant, unreadable) or a Tenant."""
    kind = draw(TENANT_KIND)
    if kind == "standard":
        return None
    if kind == "unknown":
        return "unknown"
    parameters = {}
    for name in draw(st.lists(st.sampled_from(["msg", "name", "tenantName"]), unique=True)):
        parameters[name] = draw(st.one_of(st.sampled_from(PARAMETER_VALUES), st.text(min_size=1)))
    ident = "" if kind == "empty-id" else draw(st.sampled_from([*TENANT_IDS, "dt_other"]))
    return Tenant(ident, tuple(parameters.items()))


@st.composite
def requests(draw: st.DrawFn) -> tuple[ViewerRequest, Tenant | str | None]:
    headers = {
        "host": draw(st.sampled_from(["acme.saas.example.com", "a.globex.example.com", "x.test"])),
        "accept": draw(st.sampled_from(["text/html", "application/json", ""])),
    }
    request = ViewerRequest(
        ip=draw(st.sampled_from([OUTSIDE_IP, OFFICE_IP])),
        method=draw(st.sampled_from(["GET", "POST", "HEAD"])),
        uri=draw(st.sampled_from(["/", "/checkout/pay", "/health", "/checkout/../x"])),
        headers=headers,
    )
    return request, draw(tenants())


@st.composite
def stores(draw: st.DrawFn) -> dict[str, str]:
    state = draw(stored_scope())
    if state["on"] == "yes":
        state["on"] = False
    state["tenants"] = draw(st.sampled_from([True, True, False, "yes"]))
    if draw(st.booleans()):
        state["hosts"] = True
    items = {STATE_KEY: json.dumps(state)}
    ids = st.sampled_from([*TENANT_IDS, "dt_other"])
    for tenant in draw(st.lists(ids, min_size=1, unique=True)):
        scope = draw(stored_scope())
        reason = draw(st.sampled_from(STORE_REASONS))
        if reason is not None:
            scope["reason"] = reason
        items[tenant_key(tenant)] = json.dumps(scope) if draw(st.integers(0, 6)) else "{bad"
    if draw(st.booleans()):
        items["cffunc:host:acme.saas.example.com"] = '{"on":true,"paths":["/checkout/*"]}'
    return items


def _model(tenant: Tenant | str | None) -> Tenant | None:
    return tenant if isinstance(tenant, Tenant) else None


def _invocation(
    request: ViewerRequest, tenant: Tenant | str | None
) -> tuple[ViewerRequest, dict[str, Any], EdgeContext]:
    """The request as the model reads it, its event and its edge context: a tenant's
    event carries context.endpoint; an unreadable tenant's too, with no tenant behind it
    (cf.distributionTenant throws, as on a standard distribution)."""
    if tenant == "unknown":
        request = ViewerRequest(
            request.ip, request.method, request.uri, request.querystring, request.headers,
            request.cookies, endpoint=CONNECTION_GROUP_DOMAIN,
        )  # fmt: skip
        return request, viewer_request_event(request), EdgeContext()
    edge = EdgeContext(tenant=_model(tenant))
    event = viewer_request_event(request)
    if isinstance(tenant, Tenant):
        event = for_edge(event, edge)
        request = ViewerRequest(
            request.ip, request.method, request.uri, request.querystring, request.headers,
            request.cookies, endpoint=event["context"]["endpoint"],
        )  # fmt: skip
    return request, event, edge


def _body(output: dict[str, Any]) -> Any:
    body = output["body"]["data"]
    kind = output["headers"]["content-type"]["value"]
    return json.loads(body) if kind.startswith("application/json") else body


@settings(
    max_examples=80, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(configs(), st.lists(requests(), min_size=15, max_size=30), stores())
def test_v8_and_the_model_agree_on_tenants(
    config: dict[str, Any],
    batch: list[tuple[ViewerRequest, Tenant | str | None]],
    items: dict[str, str],
) -> None:
    rules = make_rules(config)
    function = render_code(rules)
    assume(function.stats.total <= SIZE_LIMIT)
    # Half the stores hold the page as `cffunc enable` writes it; the rest answer with text.
    store = (with_page(items, rules) if len(items) % 2 else items) if rules.store else None
    kvs = KeyValueData(store) if store is not None else None
    invocations = [_invocation(request, tenant) for request, tenant in batch]
    with FunctionRuntime(function.code, rules.runtime, kvs=kvs) as runtime:
        results = runtime.invoke_many((event, NOW_MS, edge) for _, event, edge in invocations)
        responses = []
        for (request, event, edge), (_, drawn), result in zip(
            invocations, batch, results, strict=True
        ):
            assert result.ok, result.error
            tenant = _model(drawn)
            decision = decide(rules, request, NOW, store, tenant=tenant)
            kind = "standard" if drawn is None else "unknown" if drawn == "unknown" else "tenant"
            event_note(f"{kind}: {decision.rule}{' by a tenant key' if decision.tenant else ''}")
            assert classify(result.output, rules, event) == expected(decision), (
                request, drawn, decision, items,
            )  # fmt: skip
            wanted = answer_body(rules, decision, tenant, store)
            if wanted is not None:
                model = json.loads(wanted) if decision.answer == "json" else wanted
                assert _body(result.output) == model, (request, drawn, decision)
            assert result.kvs_reads <= 4
            if rules.mode == "rewrite" and "statusCode" not in result.output:
                back = viewer_response_event(event, event["request"])
                responses.append((back, edge, request, tenant))
        finals = runtime.invoke_many((back, NOW_MS, edge) for back, edge, _, _ in responses)
        for (_, _, request, tenant), final in zip(responses, finals, strict=True):
            assert final.ok, final.error
            turned = final.output["statusCode"] == rules.status
            assert turned == decide_response(rules, request, NOW, False, store, tenant=tenant)


def _scoped(
    rules: MaintenanceRules,
    tenant: Tenant | str | None,
    items: dict[str, str] | None = None,
    **request: Any,
) -> str:
    """What V8 does with a request through ``tenant`` (the model agreeing); ``items`` as
    `cffunc enable` leaves them (with the page)."""
    request_, event, edge = _invocation(ViewerRequest(ip=OUTSIDE_IP, **request), tenant)
    items = with_page(items, rules) if items is not None else None
    kvs = KeyValueData(items) if items is not None else None
    with FunctionRuntime(render(rules).code, rules.runtime, kvs=kvs) as runtime:
        result = runtime.invoke(event, NOW_MS, edge)
    assert result.ok, result.error
    got = classify(result.output, rules, event)
    assert got == expected(decide(rules, request_, NOW, items, tenant=_model(tenant)))
    return got


def test_a_config_tenant_scope_covers_its_tenants_and_an_unreadable_one_only() -> None:
    rules = make_rules(_config({"tenants": [ACME]}))
    assert _scoped(rules, Tenant(ACME)) == "maintenance:page"
    assert _scoped(rules, Tenant(GLOBEX)) == "pass"
    assert _scoped(rules, None) == "pass"  # a standard distribution has no tenants
    assert _scoped(rules, "unknown") == "maintenance:page"  # fail closed


def test_tenants_and_hosts_narrow_together() -> None:
    rules = make_rules(_config({"tenants": [ACME], "hosts": ["acme.saas.example.com"]}))
    assert _scoped(rules, Tenant(ACME), headers={"host": "acme.saas.example.com"}) != "pass"
    assert _scoped(rules, Tenant(ACME), headers={"host": "www.acme.example"}) == "pass"
    assert _scoped(rules, Tenant(GLOBEX), headers={"host": "acme.saas.example.com"}) == "pass"


def test_a_stored_tenant_scope_and_its_message() -> None:
    rules, function = make_function(
        _config({"toggle": "kvs", "tenant_scopes": True, "reason": "{tenant.msg|Down.}"})
    )
    acme = Tenant(ACME, (("tenantName", "Acme <Inc>"), ("msg", "ignored")))
    with FunctionRuntime(function.code, rules.runtime, kvs=KeyValueData(SAMPLE_ITEMS)) as runtime:
        request, event, edge = _invocation(
            ViewerRequest(ip=OUTSIDE_IP, headers={"accept": "application/json"}), acme
        )
        result = runtime.invoke(event, NOW_MS, edge)
    assert json.loads(result.output["body"]["data"])["message"] == "Acme moves: Acme <Inc>"
    decision = decide(rules, request, NOW, SAMPLE_ITEMS, tenant=acme)
    assert decision.tenant == ACME and decision.scope is not None
    assert decision.scope.describe() == f"every host; tenant {ACME}"


def test_a_function_without_tenant_scopes_ignores_the_stores_tenant_keys() -> None:
    """The flag and keys are read only by a function rendered to read them; the model
    agrees (a state with nothing but the tenants flag is off)."""
    rules, function = make_function(_config({"toggle": "kvs"}))
    for tenant in (Tenant(ACME), "unknown"):
        request, event, edge = _invocation(ViewerRequest(ip=OUTSIDE_IP), tenant)
        with FunctionRuntime(function.code, rules.runtime, kvs=KeyValueData(SAMPLE_ITEMS)) as rt:
            result = rt.invoke(event, NOW_MS, edge)
        assert result.output == event["request"]
        assert decide(rules, request, NOW, SAMPLE_ITEMS, tenant=_model(tenant)).rule == (
            "maintenance-off"
        )


def test_the_tenant_is_read_in_the_handler_not_at_the_top_level() -> None:
    """The documentation allows the helpers only in the handler: the local runtime throws
    for a top-level read, and every tenant-reading variant still runs."""
    for extra, items in (
        ({"tenants": [ACME]}, None),
        ({"toggle": "kvs", "tenant_scopes": True}, SAMPLE_ITEMS),
    ):
        rules = make_rules(_config(extra | {"reason": "{tenant.msg|x}"}))
        assert _scoped(rules, Tenant(ACME, (("msg", "m"),)), items) == "maintenance:page"
    source = readable_source(rules)
    top_level = source[: source.index("function ")]
    assert "distributionTenant" not in top_level


def test_a_window_decides_before_the_tenant_is_read() -> None:
    rules = make_rules(
        _config({"tenants": [ACME], "end": (NOW - timedelta(minutes=1)).isoformat()})
    )
    assert _scoped(rules, Tenant(ACME)) == "pass"
    assert decide(rules, ViewerRequest(ip=OUTSIDE_IP), NOW, tenant=Tenant(ACME)).rule == (
        "outside-window"
    )


def test_model_times_are_utc() -> None:
    assert NOW.tzinfo is UTC and datetime.fromtimestamp(NOW_MS / 1000, UTC) == NOW


def test_a_tenant_scope_composes_with_a_function_that_reads_the_tenant_too() -> None:
    """Composed with a foreign function that uses cf.distributionTenant itself (the AWS
    page's per-tenant path prefix): the tenant in scope gets cffunc's page with its own
    message, a neighbour goes on to the foreign handler, which sees its tenant as alone."""
    from pathlib import Path

    from cffunc.function.compose import ForeignFunction, compose

    code = (Path(__file__).resolve().parent.parent / "samples/helpers/tenant.js").read_text()
    rules = make_rules(_config({"tenants": [ACME], "reason": "{tenant.TenantPath|x} is away"}))
    composed = compose(rules, ForeignFunction("tenant-path", "cloudfront-js-2.0", code), "fn")
    outputs = {}
    with FunctionRuntime(composed.code, composed.runtime) as runtime:
        for tenant in (ACME, GLOBEX):
            edge = EdgeContext(tenant=Tenant(tenant, (("TenantPath", tenant[-2:]),)))
            event = for_edge(viewer_request_event(ViewerRequest(ip=OUTSIDE_IP, uri="/x")), edge)
            result = runtime.invoke(event, NOW_MS, edge)
            assert result.ok, result.error
            outputs[tenant] = result.output
    assert outputs[ACME]["statusCode"] == 503 and "AB is away" in outputs[ACME]["body"]["data"]
    assert outputs[GLOBEX]["uri"] == "/GX/x"
    assert outputs[GLOBEX]["headers"]["x-tenant"] == {"value": GLOBEX}
