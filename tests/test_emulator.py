"""The local CloudFront API, driven over HTTP by plain boto3 and by the AWS CLI."""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from cffunc.emulator.server import RunningEmulator, local_cloudfront, read_seeds
from cffunc.emulator.state import function_arn
from tests.helpers import Processes

SEED = Path(__file__).resolve().parent.parent / "samples" / "distribution.json"
DIST = "E2EXAMPLE12345"
CODE = b"function handler(event) { return event.request; }"
CONFIG_20 = {"Comment": "test", "Runtime": "cloudfront-js-2.0"}
EVENT = {
    "version": "1.0", "context": {"eventType": "viewer-request"}, "viewer": {"ip": "192.0.2.1"},
    "request": {"method": "GET", "uri": "/", "querystring": {}, "headers": {}, "cookies": {}},
}  # fmt: skip


@pytest.fixture
def emulator() -> Iterator[RunningEmulator]:
    with local_cloudfront(read_seeds(SEED), deploy_seconds=30) as running:
        yield running


@pytest.fixture
def cf(emulator: RunningEmulator) -> Any:
    return boto3.client(
        "cloudfront",
        endpoint_url=emulator.endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"mode": "standard", "max_attempts": 4}),
    )


def error_code(raised: pytest.ExceptionInfo[ClientError]) -> str:
    return str(raised.value.response["Error"]["Code"])


def published(cf: Any, name: str = "fn", code: bytes = CODE) -> str:
    etag = cf.create_function(Name=name, FunctionConfig=CONFIG_20, FunctionCode=code)["ETag"]
    cf.publish_function(Name=name, IfMatch=etag)
    return function_arn(name)


def associated_on_default(cf: Any, arn: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Put ``arn`` on the default behavior's viewer-request; (update answer, config)."""
    read = cf.get_distribution_config(Id=DIST)
    config = read["DistributionConfig"]
    config["DefaultCacheBehavior"]["FunctionAssociations"] = {
        "Quantity": 1, "Items": [{"FunctionARN": arn, "EventType": "viewer-request"}],
    }  # fmt: skip
    return cf.update_distribution(Id=DIST, IfMatch=read["ETag"], DistributionConfig=config), config


def control(emulator: RunningEmulator, path: str, data: dict[str, Any]) -> Any:
    request = urllib.request.Request(
        emulator.endpoint + path, json.dumps(data).encode(), {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request) as answer:
        return json.loads(answer.read())


# ---- functions ----


def test_stages_are_separate_and_etags_change_on_every_write(cf: Any) -> None:
    created = cf.create_function(Name="fn", FunctionConfig=CONFIG_20, FunctionCode=CODE)
    assert created["FunctionSummary"]["FunctionMetadata"]["Stage"] == "DEVELOPMENT"
    with pytest.raises(ClientError) as raised:
        cf.describe_function(Name="fn", Stage="LIVE")
    assert error_code(raised) == "NoSuchFunctionExists"
    cf.publish_function(Name="fn", IfMatch=created["ETag"])
    updated = cf.update_function(
        Name="fn", IfMatch=created["ETag"], FunctionConfig=CONFIG_20, FunctionCode=b"// v2\n" + CODE
    )
    assert updated["ETag"] != created["ETag"]
    assert cf.get_function(Name="fn", Stage="LIVE")["FunctionCode"].read() == CODE
    assert (
        cf.get_function(Name="fn", Stage="DEVELOPMENT")["FunctionCode"].read() == b"// v2\n" + CODE
    )
    live = cf.describe_function(Name="fn", Stage="LIVE")
    assert live["FunctionSummary"]["FunctionMetadata"]["FunctionARN"] == function_arn("fn")
    stages = sorted(
        f["FunctionMetadata"]["Stage"] for f in cf.list_functions()["FunctionList"]["Items"]
    )
    assert stages == ["DEVELOPMENT", "LIVE"]
    assert [f["Name"] for f in cf.list_functions(Stage="LIVE")["FunctionList"]["Items"]] == ["fn"]


def test_if_match_is_enforced(cf: Any) -> None:
    etag = cf.create_function(Name="fn", FunctionConfig=CONFIG_20, FunctionCode=CODE)["ETag"]
    with pytest.raises(ClientError) as raised:
        cf.update_function(
            Name="fn", IfMatch="E000STALE", FunctionConfig=CONFIG_20, FunctionCode=CODE
        )
    assert error_code(raised) == "PreconditionFailed"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 412
    with pytest.raises(ClientError) as raised:
        cf.publish_function(Name="fn", IfMatch="")
    assert error_code(raised) == "InvalidIfMatchVersion"
    cf.publish_function(Name="fn", IfMatch=etag)


def test_size_limit(cf: Any) -> None:
    with pytest.raises(ClientError) as raised:
        cf.create_function(Name="big", FunctionConfig=CONFIG_20, FunctionCode=b"//" + b"x" * 10_239)
    assert error_code(raised) == "FunctionSizeLimitExceeded"
    cf.create_function(Name="fits", FunctionConfig=CONFIG_20, FunctionCode=b"//" + b"x" * 10_238)


def test_test_function_runs_the_local_runtime(cf: Any) -> None:
    code = b"function handler(event) { console.log('uri ' + event.request.uri); return {statusCode: 503}; }"
    etag = cf.create_function(Name="fn", FunctionConfig=CONFIG_20, FunctionCode=code)["ETag"]
    result = cf.test_function(Name="fn", IfMatch=etag, EventObject=json.dumps(EVENT).encode())[
        "TestResult"
    ]
    assert json.loads(result["FunctionOutput"]) == {"statusCode": 503}
    assert result["FunctionExecutionLogs"] == ["uri /"]
    assert result["FunctionErrorMessage"] == ""
    assert 0 <= int(result["ComputeUtilization"]) <= 100
    throwing = b"function handler(event) { return event.nope.x; }"
    etag = cf.update_function(
        Name="fn", IfMatch=etag, FunctionConfig=CONFIG_20, FunctionCode=throwing
    )["ETag"]
    result = cf.test_function(Name="fn", IfMatch=etag, EventObject=json.dumps(EVENT).encode())[
        "TestResult"
    ]
    assert result["FunctionErrorMessage"].startswith("FunctionExecutionError: TypeError")


# ---- distributions ----


def test_seeded_config_round_trips_unchanged(cf: Any) -> None:
    seed = read_seeds(SEED)[0]["DistributionConfig"]
    read = cf.get_distribution_config(Id=DIST)
    assert read["DistributionConfig"] == seed
    updated = cf.update_distribution(
        Id=DIST, IfMatch=read["ETag"], DistributionConfig=read["DistributionConfig"]
    )
    assert updated["ETag"] != read["ETag"]
    assert cf.get_distribution_config(Id=DIST)["DistributionConfig"] == seed
    behaviors = seed["CacheBehaviors"]["Items"]
    assert [b["PathPattern"] for b in behaviors] == ["/api/*", "/static/*", "/maintenance/*"]
    assert behaviors[0]["LambdaFunctionAssociations"]["Quantity"] == 1
    assert behaviors[1]["FunctionAssociations"]["Items"][0]["EventType"] == "viewer-response"


def test_associations_are_kept_on_every_behavior(cf: Any) -> None:
    arn = published(cf)
    read = cf.get_distribution_config(Id=DIST)
    config = copy.deepcopy(read["DistributionConfig"])
    association = {"Quantity": 1, "Items": [{"FunctionARN": arn, "EventType": "viewer-request"}]}
    config["DefaultCacheBehavior"]["FunctionAssociations"] = association
    config["CacheBehaviors"]["Items"][2]["FunctionAssociations"] = association
    cf.update_distribution(Id=DIST, IfMatch=read["ETag"], DistributionConfig=config)
    assert cf.get_distribution_config(Id=DIST)["DistributionConfig"] == config
    summary = cf.list_distributions()["DistributionList"]["Items"][0]
    assert summary["DefaultCacheBehavior"]["FunctionAssociations"] == association


def test_stale_etag_on_update(cf: Any) -> None:
    read = cf.get_distribution_config(Id=DIST)
    cf.update_distribution(
        Id=DIST, IfMatch=read["ETag"], DistributionConfig=read["DistributionConfig"]
    )
    with pytest.raises(ClientError) as raised:
        cf.update_distribution(
            Id=DIST, IfMatch=read["ETag"], DistributionConfig=read["DistributionConfig"]
        )
    assert error_code(raised) == "PreconditionFailed"


@pytest.mark.parametrize(
    ("arn_of", "event", "code"),
    [
        ("development-only", "viewer-request", "InvalidFunctionAssociation"),
        ("missing", "viewer-request", "InvalidFunctionAssociation"),
        ("live", "origin-request", "InvalidFunctionAssociation"),
    ],
)
def test_associations_must_name_live_functions_on_viewer_events(
    cf: Any, arn_of: str, event: str, code: str
) -> None:
    published(cf, "live")
    cf.create_function(Name="development-only", FunctionConfig=CONFIG_20, FunctionCode=CODE)
    read = cf.get_distribution_config(Id=DIST)
    config = read["DistributionConfig"]
    config["DefaultCacheBehavior"]["FunctionAssociations"] = {
        "Quantity": 1, "Items": [{"FunctionARN": function_arn(arn_of), "EventType": event}],
    }  # fmt: skip
    with pytest.raises(ClientError) as raised:
        cf.update_distribution(Id=DIST, IfMatch=read["ETag"], DistributionConfig=config)
    assert error_code(raised) == code
    assert cf.get_distribution_config(Id=DIST)["ETag"] == read["ETag"]


def test_function_and_lambda_at_edge_on_viewer_events_conflict(cf: Any) -> None:
    arn = published(cf)
    read = cf.get_distribution_config(Id=DIST)
    config = read["DistributionConfig"]
    api = config["CacheBehaviors"]["Items"][0]
    api["FunctionAssociations"] = {
        "Quantity": 1,
        "Items": [{"FunctionARN": arn, "EventType": "viewer-request"}],
    }
    # origin-request Lambda@Edge beside a viewer function is fine...
    read = cf.update_distribution(Id=DIST, IfMatch=read["ETag"], DistributionConfig=config)
    # ...a viewer-response Lambda@Edge is not.
    api["LambdaFunctionAssociations"]["Items"][0]["EventType"] = "viewer-response"
    with pytest.raises(ClientError) as raised:
        cf.update_distribution(Id=DIST, IfMatch=read["ETag"], DistributionConfig=config)
    assert error_code(raised) == "IllegalUpdate"


def test_function_in_use_cannot_be_deleted(cf: Any) -> None:
    read, config = associated_on_default(cf, published(cf))
    etag = cf.describe_function(Name="fn")["ETag"]
    with pytest.raises(ClientError) as raised:
        cf.delete_function(Name="fn", IfMatch=etag)
    assert error_code(raised) == "FunctionInUse"
    config["DefaultCacheBehavior"]["FunctionAssociations"] = {"Quantity": 0}
    cf.update_distribution(Id=DIST, IfMatch=read["ETag"], DistributionConfig=config)
    cf.delete_function(Name="fn", IfMatch=etag)
    assert cf.list_functions()["FunctionList"]["Quantity"] == 0


def test_deployment_goes_from_in_progress_to_deployed(cf: Any, emulator: RunningEmulator) -> None:
    assert cf.get_distribution(Id=DIST)["Distribution"]["Status"] == "Deployed"
    read = cf.get_distribution_config(Id=DIST)
    cf.update_distribution(
        Id=DIST, IfMatch=read["ETag"], DistributionConfig=read["DistributionConfig"]
    )
    assert cf.get_distribution(Id=DIST)["Distribution"]["Status"] == "InProgress"
    control(emulator, "/__cffunc/clock", {"advance": 31})
    assert cf.get_distribution(Id=DIST)["Distribution"]["Status"] == "Deployed"
    cf.get_waiter("distribution_deployed").wait(
        Id=DIST, WaiterConfig={"Delay": 1, "MaxAttempts": 1}
    )


def test_publishing_redeploys_the_distributions_using_the_function(
    cf: Any, emulator: RunningEmulator
) -> None:
    associated_on_default(cf, published(cf))
    control(emulator, "/__cffunc/clock", {"advance": 31})
    etag = cf.describe_function(Name="fn")["ETag"]
    cf.publish_function(Name="fn", IfMatch=etag)
    assert cf.get_distribution(Id=DIST)["Distribution"]["Status"] == "InProgress"


def test_create_distribution_and_unknown_ids(cf: Any) -> None:
    config = read_seeds(SEED)[0]["DistributionConfig"] | {
        "CallerReference": "other",
        "Aliases": {"Quantity": 0},
    }
    with pytest.raises(ClientError) as raised:  # a new distribution's associations are all checked
        cf.create_distribution(DistributionConfig=config)
    assert error_code(raised) == "InvalidFunctionAssociation"
    published(cf, "security-headers")
    config = read_seeds(SEED)[0]["DistributionConfig"] | {
        "CallerReference": "other",
        "Aliases": {"Quantity": 0},
    }
    created = cf.create_distribution(DistributionConfig=config)["Distribution"]
    assert cf.get_distribution_config(Id=created["Id"])["DistributionConfig"] == config
    with pytest.raises(ClientError) as raised:
        cf.get_distribution_config(Id="ENOSUCH")
    assert error_code(raised) == "NoSuchDistribution"


# ---- fault injection ----


def test_injected_throttling_is_retried_by_botocore(cf: Any, emulator: RunningEmulator) -> None:
    control(
        emulator,
        "/__cffunc/faults",
        {"operation": "GetDistributionConfig", "error": "Throttling", "count": 2},
    )
    assert cf.get_distribution_config(Id=DIST)["ETag"]
    assert emulator.app.calls.count("GetDistributionConfig") == 3


@pytest.mark.parametrize(("fault", "status"), [("AccessDenied", 403), ("PreconditionFailed", 412)])
def test_injected_errors(cf: Any, emulator: RunningEmulator, fault: str, status: int) -> None:
    emulator.app.faults.add("UpdateDistribution", fault)
    read = cf.get_distribution_config(Id=DIST)
    with pytest.raises(ClientError) as raised:
        cf.update_distribution(
            Id=DIST, IfMatch=read["ETag"], DistributionConfig=read["DistributionConfig"]
        )
    assert error_code(raised) == fault
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == status
    assert cf.get_distribution_config(Id=DIST)["ETag"] == read["ETag"]


def test_concurrent_writer_between_read_and_write(cf: Any, emulator: RunningEmulator) -> None:
    control(
        emulator,
        "/__cffunc/after-read",
        {"distribution": DIST, "set": {"Comment": "changed by someone else"}},
    )
    read = cf.get_distribution_config(Id=DIST)
    assert read["DistributionConfig"]["Comment"] == "shop.example.com"
    with pytest.raises(ClientError) as raised:
        cf.update_distribution(
            Id=DIST, IfMatch=read["ETag"], DistributionConfig=read["DistributionConfig"]
        )
    assert error_code(raised) == "PreconditionFailed"
    assert (
        cf.get_distribution_config(Id=DIST)["DistributionConfig"]["Comment"]
        == "changed by someone else"
    )


def test_other_services_go_on_to_moto(emulator: RunningEmulator) -> None:
    s3 = boto3.client(
        "s3", endpoint_url=emulator.endpoint, region_name="us-east-1",
        aws_access_key_id="test", aws_secret_access_key="test",
    )  # fmt: skip
    s3.create_bucket(Bucket="shop-maintenance")
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["shop-maintenance"]


# ---- the AWS CLI ----


def aws(emulator: RunningEmulator, *args: str) -> Any:
    executable = shutil.which("aws") or str(Path(sys.executable).parent / "aws")
    completed = subprocess.run(
        [
            executable,
            "--endpoint-url",
            emulator.endpoint,
            "--region",
            "us-east-1",
            "--output",
            "json",
            "cloudfront",
            *args,
        ],
        env={
            **os.environ,
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_CONFIG_FILE": os.devnull,
        },
        capture_output=True,
        text=True,
        check=False,
    )
    return completed


def test_the_aws_cli_reads_and_writes(emulator: RunningEmulator, tmp_path: Path) -> None:
    code = tmp_path / "fn.js"
    code.write_bytes(CODE)
    created = aws(
        emulator,
        "create-function",
        "--name",
        "fn",
        "--function-config",
        "Comment=cli,Runtime=cloudfront-js-1.0",
        "--function-code",
        f"fileb://{code}",
    )
    assert created.returncode == 0, created.stderr
    etag = json.loads(created.stdout)["ETag"]
    stale = aws(emulator, "publish-function", "--name", "fn", "--if-match", "E000STALE")
    assert stale.returncode != 0 and "PreconditionFailed" in stale.stderr
    assert aws(emulator, "publish-function", "--name", "fn", "--if-match", etag).returncode == 0
    event = tmp_path / "event.json"
    event.write_text(json.dumps(EVENT))
    tested = aws(
        emulator,
        "test-function",
        "--name",
        "fn",
        "--if-match",
        etag,
        "--event-object",
        f"fileb://{event}",
    )
    assert tested.returncode == 0, tested.stderr
    assert json.loads(json.loads(tested.stdout)["TestResult"]["FunctionOutput"])["uri"] == "/"
    read = aws(emulator, "get-distribution-config", "--id", DIST)
    assert (
        json.loads(read.stdout)["DistributionConfig"] == read_seeds(SEED)[0]["DistributionConfig"]
    )


def test_cffunc_emulator_command_serves_the_seed(processes: Processes) -> None:
    process = processes.popen(
        [sys.executable, "-m", "cffunc.emulator.server", "--port", "0", "--seed", str(SEED)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    banner = process.stdout.readline()
    assert "(distributions: E2EXAMPLE12345)" in banner
    endpoint = banner.split(" on ", 1)[1].split(" ", 1)[0]
    client = boto3.client(
        "cloudfront", endpoint_url=endpoint, region_name="us-east-1",
        aws_access_key_id="test", aws_secret_access_key="test",
    )  # fmt: skip
    assert client.get_distribution(Id=DIST)["Distribution"]["Status"] == "Deployed"


def test_bad_seed_file_is_one_line_exit_1(tmp_path: Path, processes: Processes) -> None:
    seed = tmp_path / "seed.json"
    seed.write_text('{"DistributionConfig": {}}')
    completed = processes.run(
        [sys.executable, "-m", "cffunc.emulator.server", "--seed", str(seed)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert completed.returncode == 1
    assert completed.stderr.startswith(
        f'Error: {seed}: each seed needs "Id" and "DistributionConfig"'
    )


# ---- robustness: bad requests are answered as CloudFront would, never with a traceback ----


def _raw(
    emulator: RunningEmulator, method: str, path: str, body: bytes = b"",
    headers: dict[str, str] | None = None,
) -> tuple[int, bytes]:  # fmt: skip
    import http.client

    port = int(emulator.endpoint.rsplit(":", 1)[1])
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
    defaults = {"Content-Length": str(len(body)), "Host": f"127.0.0.1:{port}"}
    for name, value in {**defaults, **(headers or {})}.items():
        connection.putheader(name, value)
    connection.endheaders(body)
    answer = connection.getresponse()
    try:
        return answer.status, answer.read()
    finally:
        connection.close()


def test_malformed_requests_get_the_apis_400(emulator: RunningEmulator) -> None:
    bad_xml, body = _raw(
        emulator, "PUT", "/2020-05-31/distribution/E2EXAMPLE12345/config", b"<Distrib",
        {"If-Match": "x"},
    )  # fmt: skip
    assert bad_xml == 400 and b"<Code>InvalidArgument</Code>" in body and b"Traceback" not in body
    nan_length, body = _raw(
        emulator, "PUT", "/2020-05-31/distribution/E2EXAMPLE12345/config", b"",
        {"Content-Length": "abc"},
    )  # fmt: skip
    assert nan_length == 400 and b"Content-Length 'abc' is not a number" in body
    # A huge declared body is refused before anything is read.
    huge, body = _raw(
        emulator, "POST", "/2020-05-31/function", b"<x/>", {"Content-Length": str(300 * 2**20)}
    )
    assert huge == 400 and b"over 2,097,152 bytes" in body


def test_control_calls_only_from_this_machine_and_as_json(emulator: RunningEmulator) -> None:
    data = json.dumps({"advance": 60}).encode()
    assert _raw(emulator, "POST", "/__cffunc/clock", data, {"Content-Type": "text/plain"})[0] == 403
    rebound = {"Content-Type": "application/json", "Host": "evil.example.com"}
    assert _raw(emulator, "POST", "/__cffunc/clock", data, rebound)[0] == 403
    ok = {"Content-Type": "application/json"}
    assert _raw(emulator, "POST", "/__cffunc/clock", data, ok)[0] == 200
    status, body = _raw(emulator, "POST", "/__cffunc/clock", b'{"advance": "1e400"}', ok)
    assert status == 400 and b"give seconds from 0 to ten years" in body
