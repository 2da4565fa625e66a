"""Per-tenant maintenance end to end against the local API: a multi-tenant distribution
with three tenants (samples/multi-tenant.json), ``install``, ``enable --tenant <domain>``,
then the function on LIVE run in the local runtime with each tenant's events (its
parameters as the API holds them) and through TestFunction on the LIVE stage, agreeing
with the decision model; ``disable --tenant``, ``status``, and every refusal one line
with nothing written.

TestFunction takes no tenant (TestFunctionRequest is Name, IfMatch, Stage, EventObject;
the event has no tenant field), so it runs the function as on a standard distribution:
it can show that requests with no tenant are served, and that an event shaped as a
multi-tenant one (``context.endpoint``) whose tenant cannot be read fails closed, but
only the local runtime can show one tenant in maintenance beside its neighbours.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from cffunc.deploy.awsclient import CloudFrontClient
from cffunc.deploy.tenants import edge_tenant
from cffunc.emulator.server import RunningEmulator, local_cloudfront, read_seeds
from cffunc.function.decide import ViewerRequest, answer_body, decide
from cffunc.function.rules import compile_rules, stored_page_items
from cffunc.function.store_layout import PAGE_PREFIX, page_prefixes
from cffunc.runtime import FunctionRuntime
from cffunc.runtime.edge import CONNECTION_GROUP_DOMAIN, EdgeContext, Tenant
from cffunc.runtime.events import for_edge, viewer_request_event
from cffunc.runtime.local_store import KeyValueData
from tests.helpers import SAMPLES, classify, expected, make_config
from tests.test_deploy import cffunc, client

MULTI = "E3MULTITENANT1"
STANDARD = "E2EXAMPLE12345"
STORE = "saas-maintenance-state"
FUNCTION = "saas-maintenance"
ACME, GLOBEX, INITECH = (
    "dt_2yN5tYwVbPKr7m2IB69M1yp1AB", "dt_2yN5tYwVbPKr7m2IB69M1yp1GX",
    "dt_2yN5tYwVbPKr7m2IB69M1yp1IT",
)  # fmt: skip
DOMAINS = {
    ACME: "acme.saas.example.com", GLOBEX: "www.globex.example.com",
    INITECH: "initech.saas.example.com",
}  # fmt: skip
SEEDS = read_seeds(SAMPLES / "distribution.json") + read_seeds(SAMPLES / "multi-tenant.json")


@pytest.fixture
def emulator() -> Iterator[RunningEmulator]:
    with local_cloudfront(SEEDS, deploy_seconds=0) as running:
        yield running


def tenants_config(tmp_path: Path, replace: dict[str, str] | None = None) -> Path:
    text = (SAMPLES / "tenants.toml").read_text()
    for old, new in (replace or {}).items():
        assert old in text, old
        text = text.replace(old, new)
    path = tmp_path / "cffunc.toml"
    path.write_text(text)
    return path


KVS_LINES = (
    'toggle = "kvs"\nkvs = "saas-maintenance-state"\n'
    "tenant_scopes = true                   # enable --tenant ID|DOMAIN, disable --tenant\n"
)


def association_config(tmp_path: Path, tenants: list[str], ident: str = MULTI) -> Path:
    """tenants.toml with the association toggle and ``tenants`` baked in."""
    return tenants_config(
        tmp_path,
        {KVS_LINES: f"tenants = {json.dumps(tenants)}\n", f'id = "{MULTI}"': f'id = "{ident}"'},
    )


def ok(result: Any) -> str:
    assert result.returncode == 0, result.stderr
    return str(result.stdout)


def refused(result: Any) -> str:
    assert result.returncode == 1, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    return lines[0]


def items(emulator: RunningEmulator, name: str = STORE) -> dict[str, str]:
    """The store's keys but the page's values (install writes them; see below)."""
    return {k: v for k, v in stored(emulator, name).items() if not k.startswith(PAGE_PREFIX)}


def stored(emulator: RunningEmulator, name: str = STORE) -> dict[str, str]:
    return dict(emulator.app.state.stores[name].items)


def distribution(emulator: RunningEmulator, ident: str = MULTI) -> dict[str, Any]:
    return dict(client(emulator).get_distribution_config(Id=ident)["DistributionConfig"])


def live(emulator: RunningEmulator, name: str = FUNCTION) -> tuple[str, str]:
    """The LIVE code and its ETag."""
    cf = client(emulator)
    answer = cf.get_function(Name=name, Stage="LIVE")
    return answer["FunctionCode"].read().decode(), answer["ETag"]


def edge_tenants(emulator: RunningEmulator) -> dict[str, Tenant]:
    """Each tenant as the edge gives it to the function: its parameters from the API,
    with the distribution's defaults (edge_tenant), behind its connection group."""
    api = CloudFrontClient(client(emulator))
    out = {}
    for ident in (ACME, GLOBEX, INITECH):
        tenant = edge_tenant(api, ident)
        assert tenant is not None
        out[ident] = tenant
    assert dict(out[ACME].parameters) == {
        "tenantName": "Acme", "maintenanceMessage": "We are down for maintenance.",
    }  # fmt: skip
    return out


REQUESTS = [
    ViewerRequest(ip="192.0.2.10", uri="/", headers={"accept": "text/html"}),
    ViewerRequest(ip="192.0.2.10", method="POST", uri="/cart", headers={"accept": "application/json"}),
    ViewerRequest(ip="203.0.113.9", uri="/", headers={"accept": "text/html"}),  # the office
    ViewerRequest(ip="192.0.2.10", uri="/health"),
]  # fmt: skip


def run_locally(
    emulator: RunningEmulator, config: Path, tenant: Tenant | None
) -> list[tuple[str, str | None]]:
    """Each request through ``tenant`` (None: a standard distribution) in the local
    runtime with the LIVE code and the store as it is now, checked against the model."""
    rules = compile_rules(make_config_file(config), {})
    code, _ = live(emulator)
    store = stored(emulator) if rules.store else None
    now = datetime.now(UTC)
    now_ms = round(now.timestamp() * 1000)
    edge = EdgeContext(tenant=tenant)
    out = []
    host = DOMAINS[tenant.id] if tenant is not None else "www.example.org"
    kvs = KeyValueData(store) if store is not None else None
    with FunctionRuntime(code, rules.runtime, kvs=kvs) as runtime:
        for sent in REQUESTS:
            request = replace(sent, headers={**sent.headers, "host": host})
            event = viewer_request_event(request)
            if tenant is not None:
                event = for_edge(event, edge)
            result = runtime.invoke(event, now_ms, edge)
            assert result.ok, result.error
            decision = decide(rules, request, now, store, tenant=tenant)
            got = classify(result.output, rules, event)
            assert got == expected(decision), (tenant, request, decision)
            body = result.output["body"]["data"] if "statusCode" in result.output else None
            assert body == answer_body(rules, decision, tenant, store)
            out.append((got, body))
    return out


def make_config_file(path: Path) -> Any:
    from cffunc.config.load import load_config

    return load_config(path)


def test_function(emulator: RunningEmulator, event: dict[str, Any]) -> dict[str, Any]:
    """TestFunction on the LIVE stage (the local API runs it in the local runtime)."""
    _, etag = live(emulator)
    result = client(emulator).test_function(
        Name=FUNCTION, IfMatch=etag, Stage="LIVE", EventObject=json.dumps(event).encode()
    )["TestResult"]
    assert not result.get("FunctionErrorMessage"), result
    return dict(json.loads(result["FunctionOutput"]))


test_function.__test__ = False  # type: ignore[attr-defined]


def test_one_tenant_in_maintenance_its_neighbours_served(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    config = tenants_config(tmp_path)
    ok(cffunc(emulator, config, "install", process=True))
    installed = distribution(emulator)
    assert json.loads(items(emulator)["cffunc:state"]) == {"on": False}
    # The page is kept in the store (respond mode), under the key the LIVE code reads.
    page = stored_page_items(make_config_file(config))
    assert len(page) == 2 and stored(emulator).items() >= page.items()
    assert page_prefixes("\n".join(page)) == page_prefixes(live(emulator)[0])

    before = len(emulator.app.calls)
    out = ok(cffunc(emulator, config, "enable", "--tenant", DOMAINS[ACME]))
    calls = emulator.app.calls[before:]
    assert "for tenant acme (dt_2yN5tYwVbPKr7m2IB69M1yp1AB, acme.saas.example.com)" in out
    assert calls.count("GetDistributionTenantByDomain") == 1
    assert calls.index("GetDistributionTenantByDomain") < calls.index("kvs:UpdateKeys")
    assert "UpdateDistribution" not in calls
    assert distribution(emulator) == installed  # the store switches, nothing deploys
    assert items(emulator) == {
        "cffunc:state": '{"on":false,"tenants":true}', f"cffunc:tenant:{ACME}": '{"on":true}',
    }  # fmt: skip
    assert ok(cffunc(emulator, config, "enable", "--tenant", ACME)) == "already enabled\n"

    tenants = edge_tenants(emulator)
    acme = run_locally(emulator, config, tenants[ACME])
    assert [kind for kind, _ in acme] == ["maintenance:page", "maintenance:json", "pass", "pass"]
    assert "We are down for maintenance." in str(acme[0][1])  # its parameter's value
    for neighbour in (GLOBEX, INITECH):
        assert {kind for kind, _ in run_locally(emulator, config, tenants[neighbour])} == {"pass"}
    # A standard distribution's request has no tenant: no tenant scope covers it.
    assert {kind for kind, _ in run_locally(emulator, config, None)} == {"pass"}

    # TestFunction on LIVE: the events it can express, with no tenant behind them.
    for request in REQUESTS:
        event = viewer_request_event(request)
        assert test_function(emulator, event) == event["request"]  # served
    # Shaped as a multi-tenant event, whose tenant it cannot give: fails closed, as the
    # local runtime and the model say.
    unknown = ViewerRequest(ip="192.0.2.10", endpoint=CONNECTION_GROUP_DOMAIN)
    output = test_function(emulator, viewer_request_event(unknown))
    rules = compile_rules(make_config_file(config), {})
    decision = decide(rules, unknown, datetime.now(UTC), items(emulator))
    assert output["statusCode"] == 503 and decision.action == "maintenance"

    status = json.loads(ok(cffunc(emulator, config, "status", "--json")))
    assert [(s["tenant"], s["tenant_name"], s["domains"], s["active"]) for s in
            status["store"]["scopes"]] == [(ACME, "acme", [DOMAINS[ACME]], True)]  # fmt: skip
    assert status["store"]["state"] == "on"
    human = ok(cffunc(emulator, config, "status"))
    assert f"  tenant acme ({ACME}, acme.saas.example.com): on" in human

    out = ok(cffunc(emulator, config, "disable", "--tenant", DOMAINS[ACME]))
    assert f"end maintenance for tenant acme ({ACME}, acme.saas.example.com)" in out
    assert items(emulator) == {"cffunc:state": '{"on":false}'}
    assert {kind for kind, _ in run_locally(emulator, config, tenants[ACME])} == {"pass"}
    assert distribution(emulator) == installed


def test_several_tenant_scopes_beside_host_scopes_and_disable_ends_all(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    config = tenants_config(tmp_path)
    ok(cffunc(emulator, config, "install"))
    ok(cffunc(emulator, config, "enable", "--tenant", ACME, "--tenant", DOMAINS[GLOBEX],
              "--read-only", "--until", "2h",
              "--reason", "{tenant.tenantName|This shop} is read-only"))  # fmt: skip
    ok(cffunc(emulator, config, "enable", "--host", "shop.example.com", "--path", "/checkout/*"))
    stored = items(emulator)
    assert json.loads(stored["cffunc:state"]) == {"on": False, "hosts": True, "tenants": True}
    assert json.loads(stored[f"cffunc:tenant:{GLOBEX}"])["methods"] == "writes"

    status = json.loads(ok(cffunc(emulator, config, "status", "--json")))["store"]["scopes"]
    assert [(s["host"], s["tenant"]) for s in status] == [
        ("shop.example.com", None), (None, ACME), (None, GLOBEX),
    ]  # fmt: skip
    assert all(s["until"] for s in status[1:]) and status[2]["methods"] == "writes"

    tenants = edge_tenants(emulator)
    globex = run_locally(emulator, config, tenants[GLOBEX])
    assert [kind for kind, _ in globex] == ["pass", "maintenance:json", "pass", "pass"]
    assert json.loads(str(globex[1][1]))["message"] == "Globex is read-only"

    # A tenant whose id is given needs no lookup to end (it may be deleted by now).
    before = len(emulator.app.calls)
    ok(cffunc(emulator, config, "disable", "--tenant", GLOBEX))
    assert "GetDistributionTenant" not in emulator.app.calls[before:]
    assert f"cffunc:tenant:{GLOBEX}" not in items(emulator)

    out = ok(cffunc(emulator, config, "disable"))
    assert "set maintenance off (every scope)" in out
    assert items(emulator) == {"cffunc:state": '{"on":false}'}


def test_a_config_tenant_scope_with_the_association_toggle(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """[maintenance] tenants, baked in: enable associates the function with the
    multi-tenant distribution, and only the listed tenant gets maintenance."""
    config = association_config(tmp_path, [GLOBEX])
    ok(cffunc(emulator, config, "enable"))
    tenants = edge_tenants(emulator)
    globex = run_locally(emulator, config, tenants[GLOBEX])
    assert [kind for kind, _ in globex][:2] == ["maintenance:page", "maintenance:json"]
    assert "Globex is moving house." in str(globex[0][1])  # its own maintenanceMessage
    for other in (tenants[ACME], None):
        assert {kind for kind, _ in run_locally(emulator, config, other)} == {"pass"}
    for request in REQUESTS:  # TestFunction: no tenant, so served
        event = viewer_request_event(request)
        assert test_function(emulator, event) == event["request"]
    ok(cffunc(emulator, config, "disable"))


def test_refusals_are_one_line_and_write_nothing(emulator: RunningEmulator, tmp_path: Path) -> None:
    # A tenant scope on a standard distribution would cover nothing: plan, install and
    # enable refuse before any write.
    standard = tenants_config(tmp_path, {f'id = "{MULTI}"': f'id = "{STANDARD}"'})
    original = distribution(emulator, STANDARD)
    for command in ("plan", "install"):
        line = refused(cffunc(emulator, standard, command))
        assert f"distribution {STANDARD} is a standard distribution: it has no tenants" in line
    assert STORE not in emulator.app.state.stores and FUNCTION not in emulator.app.state.functions
    baked = association_config(tmp_path, [ACME], STANDARD)
    assert "a tenant scope would cover none" in refused(cffunc(emulator, baked, "enable"))
    assert distribution(emulator, STANDARD) == original

    config = tenants_config(tmp_path)
    ok(cffunc(emulator, config, "install"))
    state = items(emulator)
    cases = {
        ("--tenant", "nosuch.example.com"): "no distribution tenant serves this domain",
        ("--tenant", "dt_nosuch1"): "no distribution tenant has this id",
        ("--tenant", "*.saas.example.com"): "give a tenant's id (dt_...) or one of its domains",
        ("--tenant", ACME, "--host", "shop.example.com"): "give one kind of scope per command",
        ("--tenant", ACME, "--until", "never"): "--until 'never'",
    }
    for args, words in cases.items():
        assert words in refused(cffunc(emulator, config, "enable", *args)), args
    assert items(emulator) == state

    # The config bounds the store: a tenant outside maintenance.tenants never would be.
    bounded = tenants_config(tmp_path, {"tenant_scopes = true": f'tenants = ["{GLOBEX}"]'})
    ok(cffunc(emulator, bounded, "install"))
    line = refused(cffunc(emulator, bounded, "enable", "--tenant", DOMAINS[ACME]))
    assert f"is outside maintenance.tenants ({GLOBEX})" in line
    assert items(emulator) == state


def test_tenant_options_need_the_store_and_a_function_that_reads_tenants(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    plain = tenants_config(tmp_path, {"tenant_scopes = true": "tenant_scopes = false"})
    ok(cffunc(emulator, plain, "install"))
    state = items(emulator)
    line = refused(cffunc(emulator, plain, "enable", "--tenant", ACME))
    assert "--tenant: the function does not read tenant scopes; set tenant_scopes = true" in line
    # The config now reads tenant scopes, but LIVE still holds the function without.
    line = refused(cffunc(emulator, tenants_config(tmp_path), "enable", "--tenant", ACME))
    assert "does not read tenant scopes (it was published before" in line
    assert items(emulator) == state

    association = association_config(tmp_path, [ACME])
    for command in ("enable", "disable"):
        line = refused(cffunc(emulator, association, command, "--tenant", ACME))
        assert 'need maintenance.toggle = "kvs"' in line or 'needs maintenance.toggle = "kvs"' in (
            line
        )


def test_iam_policy_allows_the_tenant_lookups_only_where_tenants_are_read() -> None:
    from cffunc.deploy.iam import iam_policy

    def sids(config: dict[str, Any]) -> set[str]:
        return {s["Sid"] for s in iam_policy(make_config(config))["Statement"]}

    runtime = {"function": {"name": "fn", "runtime": "cloudfront-js-2.0"}}
    assert "CffuncDistributionTenants" in sids(runtime | {"maintenance": {"tenants": [ACME]}})
    kvs = {"toggle": "kvs", "tenant_scopes": True}
    assert "CffuncDistributionTenants" in sids(runtime | {"maintenance": kvs})
    assert "CffuncDistributionTenants" not in sids(runtime | {"maintenance": {"toggle": "kvs"}})
