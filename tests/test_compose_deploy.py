"""Composition end to end against the local CloudFront API.

The seed (samples/composed-distribution.json) runs an SPA rewrite (1.0) on the default
behavior's viewer-request and redirects from a KeyValueStore (2.0, async) on /api/*:
enable composes with both, TestFunction runs the composed LIVE stages, status names the
foreign functions and notices a foreign update, disable gives back the config field for
field, destroy deletes only the compositions. Refusals write nothing.
"""

from __future__ import annotations

import copy
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cffunc.emulator.server import RunningEmulator, local_cloudfront, read_seeds
from cffunc.function.decide import ViewerRequest
from cffunc.runtime.events import viewer_request_event
from tests.helpers import SAMPLES
from tests.test_deploy import cffunc, client

DIST = "E3COMPOSED0001"
SEED = read_seeds(SAMPLES / "composed-distribution.json")
ARN = "arn:aws:cloudfront::123456789012:function/"
SPA, REDIRECTS = "shop-maintenance--spa-rewrite", "shop-maintenance--kvs-redirects"


@pytest.fixture
def emulator() -> Iterator[RunningEmulator]:
    with local_cloudfront(SEED, deploy_seconds=0) as running:
        yield running


def config_file(tmp_path: Path, extra: str = "", replace: dict[str, str] | None = None) -> Path:
    text = (SAMPLES / "composed.toml").read_text()
    for old, new in (replace or {}).items():
        assert old in text
        text = text.replace(old, new)
    path = tmp_path / "cffunc.toml"
    path.write_text(text + extra)
    shutil.copy(SAMPLES / "composed-scenarios.toml", tmp_path / "composed-scenarios.toml")
    return path


def ok(result: Any) -> str:
    assert result.returncode == 0, result.stderr
    return str(result.stdout)


def current(emulator: RunningEmulator) -> dict[str, Any]:
    return copy.deepcopy(emulator.app.state.distributions[DIST].config)


def slots(config: dict[str, Any]) -> dict[str, dict[str, str]]:
    out = {"*": config["DefaultCacheBehavior"]}
    out |= {b["PathPattern"]: b for b in config["CacheBehaviors"]["Items"]}
    return {
        path: {i["EventType"]: i["FunctionARN"].rsplit("/", 1)[-1]
               for i in (b.get("FunctionAssociations") or {}).get("Items") or []}
        for path, b in out.items()
    }  # fmt: skip


def live_test(emulator: RunningEmulator, name: str, ip: str, uri: str) -> dict[str, Any]:
    cf = client(emulator)
    etag = cf.describe_function(Name=name, Stage="LIVE")["ETag"]
    event = viewer_request_event(ViewerRequest(ip=ip, method="GET", uri=uri))
    result = cf.test_function(
        Name=name, IfMatch=etag, Stage="LIVE", EventObject=json.dumps(event).encode()
    )["TestResult"]
    assert not result.get("FunctionErrorMessage"), result
    return dict(json.loads(result["FunctionOutput"]))


def test_enable_composes_disable_restores_destroy_keeps_the_foreign(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    config = config_file(tmp_path)
    original = current(emulator)
    planned = json.loads(ok(cffunc(emulator, config, "plan", "--json")))
    assert [(c["name"], c["foreign"], c["runtime"]) for c in planned["compositions"]] == [
        (SPA, "spa-rewrite", "cloudfront-js-1.0"),
        (REDIRECTS, "kvs-redirects", "cloudfront-js-2.0"),
    ]
    assert all(c["bytes"] > c["foreign_bytes"] > 0 for c in planned["compositions"])
    assert current(emulator) == original  # plan writes nothing

    ok(cffunc(emulator, config, "enable", "--wait"))
    enabled = current(emulator)
    assert slots(enabled)["*"] == {"viewer-request": SPA, "viewer-response": "shop-maintenance"}
    assert slots(enabled)["/api/*"] == {
        "viewer-request": REDIRECTS, "viewer-response": "shop-maintenance",
    }  # fmt: skip
    assert slots(enabled)["/static/*"] == {"viewer-response": "security-headers"}  # not selected
    state = emulator.app.state
    redirects_store = state.stores["redirects"].arn
    live = state.functions[REDIRECTS].stages["LIVE"].config
    assert live["KeyValueStoreAssociations"]["Items"] == [{"KeyValueStoreARN": redirects_store}]
    assert ok(cffunc(emulator, config, "enable")) == "already enabled\n"

    # TestFunction on the composed LIVE stages: cffunc first, the foreign function after.
    assert live_test(emulator, SPA, "192.0.2.1", "/shop")["uri"] == "/maintenance/index.html"
    assert live_test(emulator, SPA, "203.0.113.9", "/shop")["uri"] == "/index.html"
    redirected = live_test(emulator, REDIRECTS, "203.0.113.9", "/api/v1/orders")
    assert redirected["statusCode"] == 302
    assert redirected["headers"]["location"] == {"value": "/api/v2/orders"}
    assert live_test(emulator, REDIRECTS, "192.0.2.1", "/api/v1/orders")["uri"] == (
        "/maintenance/index.html"
    )

    status = json.loads(ok(cffunc(emulator, config, "status", "--json")))
    assert status["maintenance"] == "on"
    assert [(c["name"], c["foreign"], c["foreign_changed"]) for c in status["compositions"]] == [
        (REDIRECTS, "kvs-redirects", False), (SPA, "spa-rewrite", False),
    ]  # fmt: skip

    # A config change published during maintenance reaches the compositions too.
    config.write_text(config.read_text().replace('"/health",', '"/health", "/shop",'))
    published = ok(cffunc(emulator, config, "publish"))
    assert f"done: update function {SPA} DEVELOPMENT (composed with spa-rewrite," in published
    assert f"done: publish {REDIRECTS} to LIVE" in published
    assert live_test(emulator, SPA, "192.0.2.1", "/shop")["uri"] == "/index.html"
    assert current(emulator) == enabled
    assert "nothing to publish" in ok(cffunc(emulator, config, "publish"))

    # The SPA's owner publishes a new version while maintenance is on.
    cf = client(emulator)
    described = cf.describe_function(Name="spa-rewrite", Stage="DEVELOPMENT")
    new_code = (
        (SAMPLES / "foreign" / "spa-rewrite.js").read_text().replace("'/index.html'", "'/app.html'")
    )
    etag = cf.update_function(
        Name="spa-rewrite", IfMatch=described["ETag"], FunctionCode=new_code.encode(),
        FunctionConfig={"Comment": "", "Runtime": "cloudfront-js-1.0"},
    )["ETag"]  # fmt: skip
    cf.publish_function(Name="spa-rewrite", IfMatch=etag)
    text = ok(cffunc(emulator, config, "status"))
    assert f"composition {SPA}: composed with spa-rewrite, whose LIVE code changed since" in text
    recomposed = ok(cffunc(emulator, config, "enable"))
    assert f"done: update function {SPA} DEVELOPMENT (composed with spa-rewrite," in recomposed
    assert live_test(emulator, SPA, "203.0.113.9", "/shop")["uri"] == "/app.html"
    assert current(emulator) == enabled  # the slots already hold the composition

    disabled = ok(cffunc(emulator, config, "disable", "--wait"))
    assert "* viewer-request (back to spa-rewrite)" in disabled
    after = current(emulator)
    assert after == original  # field for field, the foreign ARNs back in their places

    deleted = ok(cffunc(emulator, config, "destroy"))
    assert deleted.splitlines() == [
        f"done: delete function {REDIRECTS}", f"done: delete function {SPA}",
        "done: delete function shop-maintenance",
    ]  # fmt: skip
    assert set(state.functions) == {"spa-rewrite", "kvs-redirects", "security-headers"}


def test_refusals_write_nothing(emulator: RunningEmulator, tmp_path: Path) -> None:
    state = emulator.app.state
    before = current(emulator)
    functions = set(state.functions)
    # 1.0-only code (byte strings) under a composition that must be 2.0 (the origin switch).
    with_legacy = copy.deepcopy(before)
    legacy = (SAMPLES / "foreign" / "legacy-bytes.js").read_text().encode()
    _, etag = state.create_function(
        "legacy", {"Comment": "", "Runtime": "cloudfront-js-1.0"}, legacy
    )
    state.publish_function("legacy", etag)
    with_legacy["DefaultCacheBehavior"]["FunctionAssociations"]["Items"][0]["FunctionARN"] = (
        ARN + "legacy"
    )
    state.distributions[DIST].config = with_legacy
    origin = config_file(tmp_path, replace={"status = 503": 'status = 503\norigin = "app"'})
    refused = cffunc(emulator, origin, "enable")
    assert refused.returncode == 1
    assert "foreign function legacy (cloudfront-js-1.0): uses bytesFrom" in refused.stderr
    assert current(emulator) == with_legacy
    assert set(state.functions) == functions | {"legacy"}

    # Too big to compose: the budget of each part.
    big = "var BLOB = " + json.dumps("x" * 9500) + ";\nfunction handler(e) { return e.request; }\n"
    _, etag = state.create_function(
        "big", {"Comment": "", "Runtime": "cloudfront-js-1.0"}, big.encode()
    )
    state.publish_function("big", etag)
    with_big = copy.deepcopy(before)
    with_big["DefaultCacheBehavior"]["FunctionAssociations"]["Items"][0]["FunctionARN"] = (
        ARN + "big"
    )
    state.distributions[DIST].config = with_big
    too_big = cffunc(emulator, config_file(tmp_path), "enable")
    assert too_big.returncode == 1
    assert "over CloudFront's 10,240-byte limit" in too_big.stderr and "big 9,5" in too_big.stderr
    assert current(emulator) == with_big

    # Lambda@Edge on a viewer event stays a refusal; compose = false refuses as before.
    with_lambda = copy.deepcopy(before)
    api = with_lambda["CacheBehaviors"]["Items"][0]
    api["LambdaFunctionAssociations"]["Items"][0]["EventType"] = "viewer-request"
    api["FunctionAssociations"] = {"Quantity": 0}
    state.distributions[DIST].config = with_lambda
    lambda_refused = cffunc(emulator, config_file(tmp_path), "enable")
    assert lambda_refused.returncode == 1 and "Lambda@Edge" in lambda_refused.stderr
    state.distributions[DIST].config = before
    no_compose = cffunc(
        emulator,
        config_file(tmp_path, replace={"[maintenance]\n": "[maintenance]\ncompose = false\n"}),
        "enable",
    )
    assert no_compose.returncode == 1
    assert (
        "viewer-request already runs arn:aws:cloudfront::123456789012:function/spa-rewrite"
        in no_compose.stderr
    )
    assert current(emulator) == before
    assert set(state.functions) == functions | {"legacy", "big"}


def test_store_toggle_keeps_its_keys_in_the_foreign_store(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    original = current(emulator)
    store_toggle = config_file(
        tmp_path,
        replace={
            'reason = "We are upgrading the database."': 'reason = "We are upgrading the database."\ntoggle = "kvs"'
        },
    )
    refused = cffunc(emulator, store_toggle, "install")
    assert refused.returncode == 1
    assert "set maintenance.kvs to that store's name" in refused.stderr
    assert current(emulator) == original and "shop-maintenance" not in emulator.app.state.stores

    shared = config_file(
        tmp_path,
        replace={
            'reason = "We are upgrading the database."': 'reason = "We are upgrading the database."\ntoggle = "kvs"\nkvs = "redirects"'
        },
    )
    ok(cffunc(emulator, shared, "install"))
    store = emulator.app.state.stores["redirects"]
    assert store.items["cffunc:state"] == '{"on":false}'
    assert slots(current(emulator))["/api/*"]["viewer-request"] == REDIRECTS
    # Off: the foreign function works as before, through the composition.
    assert live_test(emulator, REDIRECTS, "192.0.2.1", "/api/v1/orders")["statusCode"] == 302
    ok(cffunc(emulator, shared, "enable"))
    assert (
        live_test(emulator, REDIRECTS, "192.0.2.1", "/api/v1/orders")["uri"]
        == "/maintenance/index.html"
    )
    out = ok(cffunc(emulator, shared, "uninstall"))
    assert "remove cffunc's keys from redirects" in out
    assert store.items == {"redirect:/api/v1/orders": "/api/v2/orders"}
    assert current(emulator) == original
    assert set(emulator.app.state.functions) == {"spa-rewrite", "kvs-redirects", "security-headers"}
