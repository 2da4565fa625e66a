"""The KeyValueStore toggle end to end: the CLI against the local API (in-process, with
install and uninstall through the real entry point as subprocesses).

install -> enable -> status -> allow add -> disable -> uninstall, with the distribution
config unchanged by every switch, ETag conflicts on the store retried, and the function
(the local runtime and the local API's TestFunction) answering as the store says.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cffunc.config.load import load_config
from cffunc.emulator.server import RunningEmulator, local_cloudfront
from cffunc.function.decide import ViewerRequest
from cffunc.function.rules import stored_page_items
from cffunc.function.store_layout import page_prefixes
from cffunc.runtime.events import viewer_request_event
from tests.helpers import SAMPLES
from tests.test_deploy import SEED, cffunc, client, current

STORE = "shop-maintenance-state"


@pytest.fixture
def emulator() -> Iterator[RunningEmulator]:
    with local_cloudfront(SEED, deploy_seconds=0) as running:
        yield running


def kvs_config(tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "cffunc.toml"
    path.write_text((SAMPLES / "kvs.toml").read_text() + extra)
    shutil.copy(SAMPLES / "kvs-scenarios.toml", tmp_path / "kvs-scenarios.toml")
    return path


def store_items(emulator: RunningEmulator) -> dict[str, str]:
    store = emulator.app.state.stores[STORE]
    return dict(store.items)


def ok(result: Any) -> str:
    assert result.returncode == 0, result.stderr
    return str(result.stdout)


def test_install_enable_allow_disable_uninstall(emulator: RunningEmulator, tmp_path: Path) -> None:
    config = kvs_config(tmp_path)
    original = current(emulator)
    assert "not installed" in ok(cffunc(emulator, config, "plan"))
    out = ok(cffunc(emulator, config, "install", process=True))
    assert f"done: create KeyValueStore {STORE}" in out
    assert json.loads(store_items(emulator)["cffunc:state"]) == {"on": False}
    installed = current(emulator)
    assert installed != original
    assert ok(cffunc(emulator, config, "install")) == "already installed\n"
    assert "toggle: kvs" in ok(cffunc(emulator, config, "plan"))

    before = len(emulator.app.calls)
    enabled = json.loads(
        ok(cffunc(emulator, config, "enable", "--wait", "--reason", "db", "--json"))
    )
    calls = emulator.app.calls[before:]
    assert enabled["toggle"] == "kvs" and enabled["report"]["changed"]
    assert [step["keys"] for step in enabled["store"]] == [["cffunc:state"]]
    assert json.loads(store_items(emulator)["cffunc:state"]) == {"on": True, "reason": "db"}
    assert calls.count("kvs:PutKey") == 1  # one conditional write
    assert "UpdateDistribution" not in calls
    assert current(emulator) == installed  # the distribution is not touched
    assert ok(cffunc(emulator, config, "enable", "--reason", "db")) == "already enabled\n"

    status = json.loads(ok(cffunc(emulator, config, "status", "--json")))
    assert status["toggle"] == "kvs" and status["maintenance"] == "on"
    assert status["store"]["reason"] == "db" and status["installed"] == "on"
    assert status["function"]["live_matches_local"] is True

    ok(cffunc(emulator, config, "allow", "add", "198.51.100.0/24", "2001:db8:1::/48"))
    assert store_items(emulator)["cffunc:net:198"] == "198.51.100.0/24"
    listed = json.loads(ok(cffunc(emulator, config, "allow", "list", "--json")))
    assert listed == {"networks": ["198.51.100.0/24", "2001:db8:1::/48"]}
    assert "nothing to change" in ok(cffunc(emulator, config, "allow", "add", "198.51.100.0/24"))

    # The same function, in the local API's TestFunction, answers as the store says.
    assert _viewer_status(emulator, "192.0.2.1") == 503
    assert _viewer_status(emulator, "198.51.100.9") is None
    ok(cffunc(emulator, config, "allow", "remove", "198.51.100.0/24"))
    assert "cffunc:net:198" not in store_items(emulator)
    assert _viewer_status(emulator, "198.51.100.9") == 503

    assert "done: set maintenance off" in ok(cffunc(emulator, config, "disable"))
    assert current(emulator) == installed
    assert _viewer_status(emulator, "192.0.2.1") is None

    out = ok(cffunc(emulator, config, "uninstall", process=True))
    assert f"done: delete KeyValueStore {STORE}" in out
    assert current(emulator) == original  # install reversed exactly
    assert STORE not in emulator.app.state.stores
    assert "shop-maintenance" not in emulator.app.state.functions


def _viewer_status(emulator: RunningEmulator, ip: str) -> int | None:
    cf = client(emulator)
    live = cf.describe_function(Name="shop-maintenance", Stage="LIVE")
    event = viewer_request_event(ViewerRequest(ip=ip, uri="/checkout"))
    result = cf.test_function(
        Name="shop-maintenance", IfMatch=live["ETag"], Stage="LIVE",
        EventObject=json.dumps(event).encode(),
    )["TestResult"]  # fmt: skip
    assert not result.get("FunctionErrorMessage"), result
    output = json.loads(result["FunctionOutput"])
    # rewrite mode: maintenance rewrites the request to the maintenance object
    return 503 if output.get("uri") == "/maintenance/index.html" else None


def test_local_runtime_reads_a_dump_of_the_store(emulator: RunningEmulator, tmp_path: Path) -> None:
    """`cffunc test --kvs` with the store's keys answers as the edge would."""
    config = kvs_config(tmp_path)
    ok(cffunc(emulator, config, "install"))
    dump = tmp_path / "store.json"
    for command, expected in (("disable", None), ("enable", "maintenance")):
        ok(cffunc(emulator, config, command))
        dump.write_text(json.dumps(store_items(emulator)))
        result = json.loads(
            ok(
                cffunc(
                    emulator,
                    config,
                    "test",
                    "--kvs",
                    str(dump),
                    "--ip",
                    "192.0.2.1",
                    "--path",
                    "/x",
                    "--json",
                )
            )
        )
        output = json.loads(result["FunctionOutput"])
        got = "maintenance" if output.get("uri") == "/maintenance/index.html" else None
        assert got == expected


def test_store_conflicts_are_retried(emulator: RunningEmulator, tmp_path: Path) -> None:
    config = kvs_config(tmp_path)
    ok(cffunc(emulator, config, "install"))
    ok(cffunc(emulator, config, "allow", "add", "198.51.100.0/24"))
    # Another writer adds a network to the same bucket right before our write.
    emulator.app.change_store_before_next_write(
        {"cffunc:net:198": "198.51.100.0/24 198.51.200.0/24"}
    )
    result = cffunc(emulator, config, "allow", "add", "198.51.7.0/24")
    ok(result)
    assert "the store changed meanwhile" in result.stderr
    # The other writer's network survives: the edit was re-applied to what it wrote.
    assert (
        store_items(emulator)["cffunc:net:198"] == "198.51.7.0/24 198.51.100.0/24 198.51.200.0/24"
    )
    emulator.app.change_store_before_next_write({"unrelated": "x"})
    enabled = json.loads(ok(cffunc(emulator, config, "enable", "--json")))
    assert enabled["report"]["conflicts"] == 1 and enabled["report"]["changed"]
    assert json.loads(store_items(emulator)["cffunc:state"])["on"] is True


def test_refusals_leave_everything_untouched(emulator: RunningEmulator, tmp_path: Path) -> None:
    config = kvs_config(tmp_path)
    before = current(emulator)
    result = cffunc(emulator, config, "enable")
    assert result.returncode == 1
    assert "run `cffunc install` first" in result.stderr
    assert STORE not in emulator.app.state.stores
    bad = cffunc(emulator, config, "allow", "add", "10.0.0.0/7")
    assert bad.returncode == 1 and "wider than /8" in bad.stderr
    host_bits = cffunc(emulator, config, "allow", "add", "203.0.113.5/24")
    assert host_bits.returncode == 1 and "host bits set" in host_bits.stderr
    association = tmp_path / "assoc.toml"
    association.write_text((SAMPLES / "cffunc.toml").read_text())
    wrong = cffunc(emulator, association, "install")
    assert wrong.returncode == 1 and 'maintenance.toggle = "kvs"' in wrong.stderr
    until = cffunc(emulator, association, "enable", "--until", "1h")
    assert until.returncode == 1 and "--until and --reason need" in until.stderr
    assert current(emulator) == before
    assert len(result.stderr.strip().splitlines()) == 1


def test_uninstall_keeps_a_store_it_did_not_create(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    config = kvs_config(tmp_path)
    cf = client(emulator)
    cf.create_key_value_store(Name=STORE, Comment="ours, not cffunc's")
    emulator.app.state.stores[STORE].items["app:flag"] = "1"
    ok(cffunc(emulator, config, "install"))
    ok(cffunc(emulator, config, "allow", "add", "198.51.100.0/24"))
    out = ok(cffunc(emulator, config, "uninstall"))
    assert "remove cffunc's keys" in out
    assert store_items(emulator) == {"app:flag": "1"}


def test_toggle_kvs_needs_runtime_2(tmp_path: Path) -> None:
    from cffunc.config.load import ConfigError, load_config

    path = tmp_path / "c.toml"
    path.write_text(
        (SAMPLES / "kvs.toml")
        .read_text()
        .replace("cloudfront-js-2.0", "cloudfront-js-1.0")
        .replace('origin = "maintenance-bucket"\n', "")
    )
    with pytest.raises(
        ConfigError, match='toggle = "kvs" is not accepted; a KeyValueStore can be read only by'
    ):
        load_config(path)


def test_store_api_shapes(emulator: RunningEmulator, monkeypatch: pytest.MonkeyPatch) -> None:
    """The control plane round-trips through boto3; the data plane speaks REST-JSON with
    ETags, CloudFront's limits and paging, through cffunc's client."""
    for name, value in (("AWS_ACCESS_KEY_ID", "test"), ("AWS_SECRET_ACCESS_KEY", "test")):
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    cf = client(emulator)
    created = cf.create_key_value_store(Name="s1", Comment="c")
    arn = created["KeyValueStore"]["ARN"]
    assert cf.describe_key_value_store(Name="s1")["KeyValueStore"]["Comment"] == "c"
    assert [s["Name"] for s in cf.list_key_value_stores()["KeyValueStoreList"]["Items"]] == ["s1"]
    from cffunc.deploy.awsclient import (
        AwsError,
        CloudFrontClient,
        Connection,
        StoreConflict,
        executing,
    )

    data = CloudFrontClient.connect(
        Connection(endpoint_url=emulator.endpoint)
    ).key_value_store_client()
    etag = data.describe(arn).etag
    with executing():  # the facade's writes, tested as the executor makes them
        etag2 = data.put_key(arn, "a/b", "v", etag)
        assert data.get(arn, "a/b") == "v" and data.get(arn, "missing") is None
        with pytest.raises(StoreConflict):
            data.put_key(arn, "x", "y", etag)
        many = {f"k{i:03}": str(i) for i in range(120)}
        etag3 = data.update_keys(arn, etag2, dict(list(many.items())[:49]), ["a/b"])
        assert data.describe(arn).items == 49 and etag3 != etag2
        with pytest.raises(AwsError, match="At most 50 keys"):
            data.update_keys(arn, etag3, dict(list(many.items())[49:100]), [])
        data.update_keys(arn, etag3, dict(list(many.items())[49:60]), [])
    assert len(data.keys(arn)) == 60  # paged through NextToken
    cf.create_function(
        Name="f", FunctionConfig={"Comment": "", "Runtime": "cloudfront-js-2.0",
        "KeyValueStoreAssociations": {"Quantity": 1, "Items": [{"KeyValueStoreARN": arn}]}},
        FunctionCode=b"function handler(e){return e.request}",
    )  # fmt: skip
    with pytest.raises(cf.exceptions.CannotDeleteEntityWhileInUse):
        cf.delete_key_value_store(Name="s1", IfMatch=created["ETag"])
    with pytest.raises(cf.exceptions.EntityNotFound):
        cf.create_function(
            Name="g", FunctionConfig={"Comment": "", "Runtime": "cloudfront-js-2.0",
            "KeyValueStoreAssociations": {"Quantity": 1, "Items": [{"KeyValueStoreARN": arn + "x"}]}},
            FunctionCode=b"function handler(e){return e.request}",
        )  # fmt: skip


def test_missing_awscrt_is_a_clear_error(
    emulator: RunningEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = kvs_config(tmp_path)
    before = current(emulator)
    monkeypatch.setenv("BOTO_DISABLE_CRT", "true")  # botocore then behaves as without awscrt
    # Checked before the first write: install creates no store it could not then fill.
    refused = cffunc(emulator, config, "install", process=True)  # botocore reads it at import
    assert refused.returncode == 1 and "needs the awscrt package" in refused.stderr
    assert STORE not in emulator.app.state.stores and current(emulator) == before
    monkeypatch.delenv("BOTO_DISABLE_CRT")
    ok(cffunc(emulator, config, "install"))
    monkeypatch.setenv("BOTO_DISABLE_CRT", "true")
    result = cffunc(emulator, config, "enable", process=True)
    assert result.returncode == 1
    assert "needs the awscrt package: pip install 'botocore[crt]'" in result.stderr
    assert "'.[kvs]' from a checkout" in result.stderr
    assert json.loads(store_items(emulator)["cffunc:state"]) == {"on": False}


def test_plan_json_and_iam_policy_name_the_toggle(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    config = kvs_config(tmp_path)
    plan = json.loads(ok(cffunc(emulator, config, "plan", "--json")))
    assert plan["toggle"] == "kvs" and plan["installed"] is False
    # The store writes install makes are steps of the plan, as the executor runs them.
    assert [step["message"] for step in plan["store"]] == [
        f"create KeyValueStore {STORE}",
        f"set cffunc:state in {STORE}: maintenance off",
    ]
    assert [step["action"] for step in plan["function"]] == ["create", "publish"]
    assert len(plan["distributions"]) == 1
    association = tmp_path / "assoc.toml"
    association.write_text((SAMPLES / "cffunc.toml").read_text())
    shutil.copy(SAMPLES / "scenarios.toml", tmp_path / "scenarios.toml")
    assert (
        json.loads(ok(cffunc(emulator, association, "plan", "--json")))["toggle"] == "association"
    )
    policy = json.loads(ok(cffunc(emulator, config, "iam-policy")))
    actions = {a for s in policy["Statement"] for a in s["Action"]}
    assert {"cloudfront:CreateKeyValueStore", "cloudfront-keyvaluestore:PutKey"} <= actions


def test_publish_keeps_the_store_and_test_remote_reads_it(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    config = kvs_config(tmp_path)
    refused = cffunc(emulator, config, "publish")
    assert (
        refused.returncode == 1 and "run `cffunc install` before `cffunc publish`" in refused.stderr
    )
    ok(cffunc(emulator, config, "install"))
    config.write_text(config.read_text().replace('"/robots.txt", ', ""))
    assert "publish shop-maintenance to LIVE" in ok(cffunc(emulator, config, "publish"))
    live = emulator.app.state.functions["shop-maintenance"].stages["LIVE"].config
    arn = emulator.app.state.stores[STORE].arn
    assert live["KeyValueStoreAssociations"]["Items"] == [{"KeyValueStoreARN": arn}]
    assert "done: set maintenance on" in ok(cffunc(emulator, config, "enable"))
    # TestFunction reads the real store, and so does the local side of the comparison.
    for command in ("disable", "enable"):
        ok(cffunc(emulator, config, command))
        compared = json.loads(ok(cffunc(emulator, config, "test", "--remote", "--json")))
        assert all(c["agrees"] for c in compared["remote"]), compared["remote"]


# ---- scopes at run time (toggle = "kvs") ----

SHOP, BLOG = "shop.example.com", "blog.example.com"


def _answer(emulator: RunningEmulator, host: str, method: str, uri: str) -> str:
    """What TestFunction (the function in the local API, reading the store there) does."""
    cf = client(emulator)
    live = cf.describe_function(Name="shop-maintenance", Stage="LIVE")
    request = ViewerRequest(ip="192.0.2.1", method=method, uri=uri, headers={"host": host})
    event = viewer_request_event(request)
    result = cf.test_function(
        Name="shop-maintenance", IfMatch=live["ETag"], Stage="LIVE",
        EventObject=json.dumps(event).encode(),
    )["TestResult"]  # fmt: skip
    assert not result.get("FunctionErrorMessage"), result
    return _kind(json.loads(result["FunctionOutput"]), event)


def _kind(output: dict[str, Any], event: dict[str, Any]) -> str:
    if "statusCode" in output:
        return f"{output['statusCode']} {output['body']['data'].strip()}"
    return "maintenance object" if output != event["request"] else "pass"


def test_two_scopes_on_two_hosts_one_read_only(emulator: RunningEmulator, tmp_path: Path) -> None:
    from cffunc.config.load import load_config
    from cffunc.function.decide import decide
    from cffunc.function.render import render
    from cffunc.function.rules import compile_rules
    from cffunc.runtime import FunctionRuntime
    from cffunc.runtime.events import viewer_request_event as event_of
    from cffunc.runtime.local_store import KeyValueData
    from tests.helpers import ENV, NOW

    config = kvs_config(tmp_path)
    ok(cffunc(emulator, config, "install"))
    shop = ok(cffunc(
        emulator, config, "enable", "--host", SHOP, "--path", "/checkout/*",
        "--reason", "checkout under repair",
    ))  # fmt: skip
    assert f"for {SHOP}" in shop
    ok(cffunc(emulator, config, "enable", "--host", BLOG, "--read-only", "--reason", "db"))
    items = store_items(emulator)
    assert json.loads(items["cffunc:state"]) == {"on": False, "hosts": True}
    assert json.loads(items[f"cffunc:host:{SHOP}"])["paths"] == ["/checkout/*"]
    assert json.loads(items[f"cffunc:host:{BLOG}"])["methods"] == "writes"

    cases = [
        (SHOP, "GET", "/checkout/pay", "maintenance object"),
        (SHOP.upper() + ":443", "GET", "/checkout/pay", "maintenance object"),
        (SHOP, "POST", "/checkout/pay", "503 checkout under repair"),
        (SHOP, "GET", "/catalogue", "pass"),
        (SHOP, "GET", "/checkout/..;/admin", "maintenance object"),  # not safe: inside
        (BLOG, "GET", "/post/1", "pass"),
        (BLOG, "OPTIONS", "/post/1", "pass"),
        (BLOG, "POST", "/comments", "503 db"),
        ("other.example.com", "POST", "/checkout/pay", "pass"),
    ]
    got = [(h, m, u, _answer(emulator, h, m, u)) for h, m, u, _ in cases]
    assert got == cases

    # The local runtime, given a dump of the same store, and the decision model agree.
    rules = compile_rules(load_config(config), ENV)
    function = render(rules)
    with FunctionRuntime(function.code, rules.runtime, kvs=KeyValueData(items)) as runtime:
        for host, method, uri, want in cases:
            request = ViewerRequest(ip="192.0.2.1", method=method, uri=uri, headers={"host": host})
            event = event_of(request)
            result = runtime.invoke(event, round(NOW.timestamp() * 1000))
            assert _kind(result.output, event) == want, (host, method, uri)
            decision = decide(rules, request, NOW, items)
            assert (decision.action == "pass") == (want == "pass"), (host, method, uri)

    status = json.loads(ok(cffunc(emulator, config, "status", "--json")))
    assert [s["host"] for s in status["store"]["scopes"]] == [BLOG, SHOP]
    assert status["store"]["state"] == "on"
    readable = ok(cffunc(emulator, config, "status"))
    assert "2 of 2 scopes on" in readable and f"  {SHOP}: on for paths /checkout/*" in readable

    # Ending one scope leaves the other.
    ok(cffunc(emulator, config, "disable", "--host", BLOG))
    assert f"cffunc:host:{BLOG}" not in store_items(emulator)
    assert _answer(emulator, BLOG, "POST", "/comments") == "pass"
    assert _answer(emulator, SHOP, "POST", "/checkout/pay") == "503 checkout under repair"
    assert ok(cffunc(emulator, config, "disable", "--host", BLOG)) == "already disabled\n"

    # A wildcard scope lives in the state; `disable` ends every scope at once.
    ok(cffunc(emulator, config, "enable", "--host", "*.eu.example.com", "--until", "2h"))
    assert _answer(emulator, "a.eu.example.com", "GET", "/") == "maintenance object"
    assert _answer(emulator, "eu.example.com", "GET", "/") == "pass"
    ok(cffunc(emulator, config, "disable"))
    assert json.loads(store_items(emulator)["cffunc:state"]) == {"on": False}
    assert not [k for k in store_items(emulator) if k.startswith("cffunc:host:")]
    assert _answer(emulator, SHOP, "POST", "/checkout/pay") == "pass"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["enable", "--host", "https://shop.example.com"], "has a scheme or a path"),
        (["enable", "--host", "shop.example.com/checkout"], "has a scheme or a path"),
        (["enable", "--host", "shop.example.com:8443"], "has a port"),
        (["enable", "--host", ""], "is not a host name"),
        (["enable", "--path", "/checkout/[ab]"], "is not a CloudFront path pattern"),
        (["disable", "--host", "*"], "is not a host name"),
    ],
)
def test_bad_scopes_are_one_line_and_write_nothing(
    emulator: RunningEmulator, tmp_path: Path, args: list[str], message: str
) -> None:
    config = kvs_config(tmp_path)
    ok(cffunc(emulator, config, "install"))
    before = store_items(emulator)
    writes = len(emulator.app.calls)
    result = cffunc(emulator, config, *args)
    assert result.returncode == 1
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert store_items(emulator) == before
    assert not [c for c in emulator.app.calls[writes:] if c.startswith("kvs:") and "Get" not in c]


@pytest.mark.rule("kvs-limits")
def test_store_writes_keep_the_stores_limits_before_writing(
    emulator: RunningEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """cffunc's own store writes refuse what the KeyValueStore API would, with its error
    code, before the first write (so a refused change of over 50 keys is not half made);
    the local API's data plane answers the same codes and HTTP statuses."""
    for name, value in (("AWS_ACCESS_KEY_ID", "test"), ("AWS_SECRET_ACCESS_KEY", "test")):
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    from cffunc.deploy.awsclient import CloudFrontClient, Connection, executing

    arn = client(emulator).create_key_value_store(Name="s", Comment="")["KeyValueStore"]["ARN"]
    kv = CloudFrontClient.connect(
        Connection(endpoint_url=emulator.endpoint)
    ).key_value_store_client()
    # The writer and the facade's writes, tested as the executor makes them.
    with executing():
        _check_store_limits(emulator, kv, arn)


def _check_store_limits(emulator: RunningEmulator, kv: Any, arn: str) -> None:
    from cffunc.deploy.apply import StoreLimitError, StoreWriter
    from cffunc.deploy.awsclient import AwsError

    writer = StoreWriter(kv, arn, lambda line: None)
    many = {f"k{i:03}": "v" for i in range(60)} | {"big": "x" * 1025}
    before = len(emulator.app.calls)
    with pytest.raises(StoreLimitError, match=(
        "the KeyValueStore refuses this change: ValidationException: the value of 'big' is "
        "1,025 bytes; a value holds at most 1,024"
    )):  # fmt: skip
        writer.change(list(many), lambda current: many)
    written = [c for c in emulator.app.calls[before:] if c in ("kvs:PutKey", "kvs:UpdateKeys")]
    assert written == [] and store_items_of(emulator, "s") == {}
    with pytest.raises(StoreLimitError, match=r"ValidationException: the key 'kkkk.*is 513 bytes"):
        writer.change(["k" * 513], lambda current: {"k" * 513: "v"})
    # A store of 5 MB less 1,000 bytes: a write that adds 1,001 bytes is over the quota.
    items = {f"{i:0512}": "v" * 1024 for i in range(3412)}  # 5,240,832 bytes
    items["p" * 24] = "p" * 1024  # and 1,048 more: 5,241,880
    emulator.app.state.stores["s"].items.update(items)
    with pytest.raises(StoreLimitError, match=(
        "ServiceQuotaExceededException: the store would hold 5,242,881 bytes; a store holds "
        "at most 5,242,880"
    )):  # fmt: skip
        writer.change(["new"], lambda current: {"new": "n" * 998})
    assert writer.change(["new"], lambda current: {"new": "n" * 997})  # exactly 5 MB: fine
    # The local API's data plane: the same codes, at the API's HTTP statuses.
    etag = kv.describe(arn).etag
    with pytest.raises(AwsError) as too_long:
        kv.put_key(arn, "k" * 513, "v", etag)
    assert too_long.value.code == "ValidationException"
    with pytest.raises(AwsError) as over:
        kv.put_key(arn, "more", "m", etag)
    assert over.value.code == "ServiceQuotaExceededException"
    assert "more" not in store_items_of(emulator, "s")


def store_items_of(emulator: RunningEmulator, name: str) -> dict[str, str]:
    return dict(emulator.app.state.stores[name].items)


def test_enable_at_schedules_a_start_that_status_shows_and_disable_cancels(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """`enable --at` writes a scope that starts by itself: off until then (TestFunction,
    the local runtime and the decision model agree), on from then, `status` says
    scheduled, and `disable` (or `disable --host`) cancels it."""
    from datetime import UTC, datetime, timedelta

    from cffunc.config.load import load_config
    from cffunc.function.decide import decide
    from cffunc.function.render import render
    from cffunc.function.rules import compile_rules
    from cffunc.runtime import FunctionRuntime
    from cffunc.runtime.local_store import KeyValueData
    from tests.helpers import ENV

    config = kvs_config(tmp_path)
    ok(cffunc(emulator, config, "install"))
    out = ok(cffunc(emulator, config, "enable", "--at", "30m", "--until", "2h", "--reason", "db"))
    assert "set maintenance scheduled from " in out
    state = json.loads(store_items(emulator)["cffunc:state"])
    start = datetime.fromisoformat(state["start"])
    until = datetime.fromisoformat(state["until"])
    assert until - start == timedelta(hours=2)  # --until counts from --at
    assert timedelta(minutes=29) < start - datetime.now(UTC) <= timedelta(minutes=30)
    assert _answer(emulator, SHOP, "GET", "/checkout") == "pass"  # not yet

    status = json.loads(ok(cffunc(emulator, config, "status", "--json")))
    assert status["maintenance"] == "off" and status["store"]["state"] == "scheduled"
    assert status["scheduled"] == start.isoformat() == status["store"]["scopes"][0]["start"]
    assert status["store"]["scopes"][0]["scheduled"] is True
    readable = ok(cffunc(emulator, config, "status"))
    assert f"scheduled from {start.isoformat()} until {until.isoformat()} (db)" in readable
    assert f"maintenance: off (scheduled to start at {start.isoformat()})" in readable

    rules = compile_rules(load_config(config), ENV)
    items = store_items(emulator)
    request = ViewerRequest(ip="192.0.2.1", uri="/checkout", headers={"host": SHOP})
    with FunctionRuntime(render(rules).code, rules.runtime, kvs=KeyValueData(items)) as runtime:
        for moment, want in (
            (start - timedelta(seconds=1), "pass"),
            (start, "maintenance object"),
            (until - timedelta(seconds=1), "maintenance object"),
            (until, "pass"),
        ):
            event = viewer_request_event(request)
            result = runtime.invoke(event, round(moment.timestamp() * 1000))
            assert _kind(result.output, event) == want, moment
            assert (decide(rules, request, moment, items).action == "pass") == (want == "pass")

    # A host's scheduled scope is cancelled by `disable --host`, all by `disable`.
    ok(cffunc(emulator, config, "enable", "--host", BLOG, "--at", "1h", "--read-only"))
    assert "start" in json.loads(store_items(emulator)[f"cffunc:host:{BLOG}"])
    listed = json.loads(ok(cffunc(emulator, config, "status", "--json")))["store"]["scopes"]
    assert [(s["host"], s["scheduled"]) for s in listed] == [("every host", True), (BLOG, True)]
    assert "0 of 2 scopes on, 2 scheduled" in ok(cffunc(emulator, config, "status"))
    ok(cffunc(emulator, config, "disable", "--host", BLOG))
    assert f"cffunc:host:{BLOG}" not in store_items(emulator)
    ok(cffunc(emulator, config, "disable"))
    assert json.loads(store_items(emulator)["cffunc:state"]) == {"on": False}
    assert json.loads(ok(cffunc(emulator, config, "status", "--json")))["scheduled"] is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--at", "2020-01-01T00:00:00Z"], "--at 2020-01-01T00:00:00Z: that time has passed"),
        (
            ["--at", "1h", "--until", "2020-01-01T00:00:00Z"],
            "--until 2020-01-01T00:00:00Z: that time has passed",
        ),
        (["--at", "soon"], "--at 'soon': give an RFC 3339 time"),
    ],
)
def test_bad_at_is_one_line_and_writes_nothing(
    emulator: RunningEmulator, tmp_path: Path, args: list[str], message: str
) -> None:
    config = kvs_config(tmp_path)
    ok(cffunc(emulator, config, "install"))
    before = store_items(emulator)
    result = cffunc(emulator, config, "enable", *args)
    assert result.returncode == 1, result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"Error: {message}")
    assert store_items(emulator) == before


def test_the_association_toggle_refuses_at_saying_why(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    association = tmp_path / "assoc.toml"
    association.write_text((SAMPLES / "cffunc.toml").read_text())
    before = current(emulator)
    result = cffunc(emulator, association, "enable", "--at", "30m")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        'Error: --at needs maintenance.toggle = "kvs": with "association" enable starts a '
        "distribution deployment, which takes minutes and cannot be timed; use the store "
        "toggle, or set maintenance.start in the config and enable ahead of time"
    ]
    assert current(emulator) == before


def respond_config(tmp_path: Path) -> Path:
    """samples/kvs.toml in respond mode: the page is kept in the store."""
    config = kvs_config(tmp_path)
    text = config.read_text().replace('mode = "rewrite"', 'mode = "respond"')
    text = "\n".join(
        line for line in text.splitlines() if not line.startswith(("object =", "origin ="))
    )
    config.write_text(text + "\n")
    return config


def stored_pages(emulator: RunningEmulator) -> set[str]:
    return page_prefixes(
        "\n".join(k for k in store_items(emulator) if k.startswith("cffunc:page:"))
    )


def live_pages(emulator: RunningEmulator, name: str = "shop-maintenance") -> set[str]:
    code = emulator.app.state.functions[name].stages["LIVE"].code
    return page_prefixes(bytes(code).decode())


def test_the_page_lives_in_the_store_and_follows_the_published_code(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """Respond mode: install writes the page before the code that reads it; publish writes
    a changed page and keeps the one the LIVE code reads until it is replaced; a later
    write removes it; enable writes the page again if it went missing."""
    config = respond_config(tmp_path)

    def pages() -> set[str]:
        return stored_pages(emulator)

    def live() -> set[str]:
        return live_pages(emulator)

    out = ok(cffunc(emulator, config, "install"))
    assert f"done: write the maintenance page to {STORE} (2 values)" in out
    first = live()
    assert len(first) == 1 and pages() == first
    assert store_items(emulator).items() >= stored_page_items(load_config(config)).items()

    config.write_text(config.read_text().replace("We are upgrading the database.", "Back at 4."))
    out = ok(cffunc(emulator, config, "publish"))
    assert "done: write the maintenance page" in out
    second = live()
    assert second != first and pages() == first | second  # the old page until LIVE changed

    out = ok(cffunc(emulator, config, "publish"))
    assert f"done: remove the old maintenance page from {STORE}" in out
    assert pages() == second
    assert ok(cffunc(emulator, config, "publish")).endswith("nothing to publish\n")

    store = emulator.app.state.stores[STORE]
    for key in [k for k in store.items if k.startswith("cffunc:page:")]:
        del store.items[key]
    ok(cffunc(emulator, config, "enable"))
    assert pages() == second
    assert json.loads(store_items(emulator)["cffunc:state"])["on"] is True


def test_two_configs_sharing_a_store_keep_each_others_page(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """A page stays while the LIVE code of any function associated with the store names
    it: installing or publishing one config does not take another config's page away."""
    (tmp_path / "shop").mkdir()
    (tmp_path / "blog").mkdir()
    shop = respond_config(tmp_path / "shop")
    shop.write_text(shop.read_text().replace('behaviors = ["*", "/api/*"]', 'behaviors = ["*"]'))
    blog = respond_config(tmp_path / "blog")
    blog.write_text(
        blog.read_text()
        .replace('name = "shop-maintenance"', 'name = "blog-maintenance"')
        .replace('behaviors = ["*", "/api/*"]', 'behaviors = ["/api/*"]')
        .replace("We are upgrading the database.", "The blog is moving.")
    )
    ok(cffunc(emulator, shop, "install"))
    ok(cffunc(emulator, blog, "install"))
    shop_page, blog_page = live_pages(emulator), live_pages(emulator, "blog-maintenance")
    assert shop_page != blog_page and stored_pages(emulator) == shop_page | blog_page

    shop.write_text(shop.read_text().replace("We are upgrading the database.", "Back at 4."))
    ok(cffunc(emulator, shop, "publish"))
    out = ok(cffunc(emulator, shop, "publish"))  # the old shop page goes, the blog's stays
    assert "remove the old maintenance page" in out
    assert stored_pages(emulator) == live_pages(emulator) | blog_page
    assert "remove" not in ok(cffunc(emulator, blog, "publish"))
    assert blog_page <= stored_pages(emulator)
    policy = json.loads(ok(cffunc(emulator, blog, "iam-policy")))
    granted = {
        (action, resource)
        for s in policy["Statement"]
        for action in s["Action"]
        for resource in ([s["Resource"]] if isinstance(s["Resource"], str) else s["Resource"])
    }
    assert {
        ("cloudfront:ListFunctions", "*"),
        ("cloudfront:GetFunction", "arn:aws:cloudfront::*:function/*"),
    } <= granted
