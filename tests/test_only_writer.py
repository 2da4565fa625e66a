"""Nothing but the executor writes to AWS.

The AWS facade marks its write methods (:func:`cffunc.deploy.awsclient.write`); here that
classification is checked against the operations the methods call, the source of every
module is read for a call of one of them outside :mod:`cffunc.deploy.apply`, and every
command that writes runs against the local API, where the facade refuses a write outside
the executor and the writes the API received must equal the executor's record.
"""

from __future__ import annotations

import ast
import json
import re
import shutil
from pathlib import Path

import pytest

from cffunc.deploy.awsclient import (
    CloudFrontClient,
    KeyValueStoreClient,
    OutsideExecutor,
    executing,
    write_methods,
)
from cffunc.emulator.server import RunningEmulator
from tests.helpers import SAMPLES
from tests.test_deploy import cffunc, config_file

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "cffunc"
FACADE = PACKAGE / "deploy" / "awsclient.py"
EXECUTOR = PACKAGE / "deploy" / "apply.py"
WRITES = write_methods(CloudFrontClient) | write_methods(KeyValueStoreClient)
WRITE_VERBS = {"Create", "Update", "Delete", "Publish", "Put", "Tag", "Untag"}
READ_VERBS = {"Describe", "Get", "List", "Test"}


def facade_operations() -> dict[str, str]:
    """Method name -> the AWS operation it calls, read from the facade's source."""
    found = {}
    for node in ast.walk(ast.parse(FACADE.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ClassDef) and node.name in (
            "CloudFrontClient",
            "KeyValueStoreClient",
        ):
            for method in node.body:
                if not isinstance(method, ast.FunctionDef):
                    continue
                for call in ast.walk(method):
                    if (
                        isinstance(call, ast.Call)
                        and isinstance(call.func, ast.Attribute)
                        and call.func.attr == "_call"
                        and isinstance(call.args[0], ast.Constant)
                    ):
                        found[method.name] = str(call.args[0].value)
    return found


def write_operations() -> set[str]:
    """The AWS operations the facade's write methods call (kvs:PutKey...)."""
    return {operation for name, operation in facade_operations().items() if name in WRITES}


def writes_in(source: str) -> list[str]:
    """Calls of a write method, references to one by name (getattr), and entries into
    the executor's write block, in a module's source."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr in WRITES | {"executing"}:
            found.append(f"line {node.lineno}: .{node.attr}")
        elif isinstance(node, ast.Constant) and node.value in WRITES:
            found.append(f"line {node.lineno}: {node.value!r}")
        elif isinstance(node, ast.Name) and node.id == "executing":
            found.append(f"line {node.lineno}: executing")
        elif isinstance(node, ast.ImportFrom) and any(a.name == "executing" for a in node.names):
            found.append(f"line {node.lineno}: imports executing")
    return found


def test_the_facade_marks_exactly_the_calls_that_change_the_account() -> None:
    operations = facade_operations()
    assert operations, "the facade's operations were not found"
    for method, operation in operations.items():
        verb = re.match(r"[A-Z][a-z]+", operation.removeprefix("kvs:"))
        assert verb is not None and verb[0] in WRITE_VERBS | READ_VERBS, operation
        assert (method in WRITES) == (verb[0] in WRITE_VERBS), (method, operation)
    assert write_operations() >= {"UpdateDistribution", "DeleteFunction", "kvs:UpdateKeys"}


def test_only_the_executor_calls_a_write_method() -> None:
    offenders = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if path in (EXECUTOR, FACADE) or "emulator" in path.parts:
            continue  # the local API has methods of the same names, on its own state
        found = writes_in(path.read_text(encoding="utf-8"))
        if found:
            offenders[str(path.relative_to(ROOT))] = found
    assert offenders == {}
    # The scan sees the ways a write could be made elsewhere.
    assert writes_in("client.delete_function(name, etag)")
    assert writes_in("getattr(client, 'update_distribution')(i, e, c)")
    assert writes_in("from cffunc.deploy.awsclient import executing")
    assert writes_in(EXECUTOR.read_text(encoding="utf-8"))


def test_the_facade_refuses_a_write_outside_the_executor() -> None:
    client = CloudFrontClient(object())
    with pytest.raises(OutsideExecutor, match="delete_function called outside the executor"):
        client.delete_function("shop-maintenance", "E1")
    with executing(), pytest.raises(AttributeError):  # past the guard, at the (absent) client
        client.delete_function("shop-maintenance", "E1")


def _writes_received(emulator: RunningEmulator, since: int) -> list[str]:
    operations = write_operations()
    return [call for call in emulator.app.calls[since:] if call in operations]


def _recorded(stdout: str) -> list[str]:
    return [write["operation"] for write in json.loads(stdout)["report"]["writes"]]


def _run_and_compare(emulator: RunningEmulator, config: Path, *args: str) -> list[str]:
    """Run a command; the writes the local API received must be the executor's record
    (the facade raises OutsideExecutor, failing the test, for any other write)."""
    since = len(emulator.app.calls)
    result = cffunc(emulator, config, *args)
    assert result.returncode == 0, result.stderr
    received = _writes_received(emulator, since)
    if "--json" in args:
        assert _recorded(result.stdout) == received, args
    return received


def test_association_cycle_writes_only_through_the_executor(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    config = config_file(tmp_path)
    assert _run_and_compare(emulator, config, "test", "--remote") == ["CreateFunction"]
    assert _run_and_compare(emulator, config, "publish", "--test", "--json") == ["PublishFunction"]
    assert _run_and_compare(emulator, config, "enable", "--json") == [
        "TagResource",
        "UpdateDistribution",
    ]
    assert _run_and_compare(emulator, config, "disable", "--json") == [
        "UpdateDistribution",
        "UntagResource",
    ]
    assert _run_and_compare(emulator, config, "destroy", "--json") == ["DeleteFunction"]


def test_store_cycle_writes_only_through_the_executor(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    config = tmp_path / "cffunc.toml"
    config.write_text((SAMPLES / "kvs.toml").read_text())
    shutil.copy(SAMPLES / "kvs-scenarios.toml", tmp_path / "kvs-scenarios.toml")
    installed = _run_and_compare(emulator, config, "install", "--json")
    assert installed[:2] == ["CreateKeyValueStore", "kvs:PutKey"]
    assert _run_and_compare(emulator, config, "enable", "--until", "2h", "--json") == ["kvs:PutKey"]
    for action, write in (("add", "kvs:PutKey"), ("remove", "kvs:DeleteKey")):
        received = _run_and_compare(emulator, config, "allow", action, "198.51.100.0/24", "--json")
        assert received == [write]
    assert _run_and_compare(emulator, config, "disable", "--json") == ["kvs:PutKey"]
    assert _run_and_compare(emulator, config, "uninstall", "--json") == [
        "UpdateDistribution",
        "UntagResource",
        "DeleteFunction",
        "DeleteKeyValueStore",
    ]


def test_composition_cycle_writes_only_through_the_executor(
    composed_emulator: RunningEmulator, tmp_path: Path
) -> None:
    config = tmp_path / "cffunc.toml"
    config.write_text((SAMPLES / "composed.toml").read_text())
    shutil.copy(SAMPLES / "composed-scenarios.toml", tmp_path / "composed-scenarios.toml")
    enabled = _run_and_compare(composed_emulator, config, "enable", "--json")
    assert enabled.count("PublishFunction") == 3  # cffunc's and two compositions
    _run_and_compare(composed_emulator, config, "disable", "--json")
    destroyed = _run_and_compare(composed_emulator, config, "destroy", "--json")
    assert destroyed == ["DeleteFunction"] * 3
