"""The machine's set-up, wrong in every way a user can make it so: one ``Error:`` line that
says what to do, exit 1; and the AWS options only on the commands that call AWS.

A missing extra is simulated by an import hook that refuses the module (after dropping it
from ``sys.modules``), in this process for the CLI and in a subprocess for the local
API's own entry point.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from importlib.machinery import ModuleSpec
from pathlib import Path
from types import ModuleType

import pytest

from cffunc.deploy.awsclient import AwsError, CloudFrontClient, Connection
from tests.helpers import ENV, SAMPLES, Ran, invoke

NO_AWS_CONFIG = {
    "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "AWS_PROFILE": None, "AWS_ACCESS_KEY_ID": None, "AWS_SECRET_ACCESS_KEY": None,
    "AWS_SESSION_TOKEN": None, "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": None, "AWS_CONTAINER_CREDENTIALS_FULL_URI": None,
    # Nothing leaves the machine even if a request were made.
    "AWS_ENDPOINT_URL": "http://127.0.0.1:9", **ENV,
}  # fmt: skip
KEYS = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}
LOCAL = "http://127.0.0.1:9"
CONFIG = str(SAMPLES / "cffunc.toml")
KVS_CONFIG = str(SAMPLES / "kvs.toml")
LOG = str(SAMPLES / "access.log")


class Refuse:
    """An import hook: these top-level packages are not installed."""

    def __init__(self, names: Sequence[str]) -> None:
        self.names = set(names)

    def find_spec(
        self, name: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if name.split(".")[0] in self.names:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


@pytest.fixture
def without(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., None]]:
    """``without("matplotlib")``: for this test, the package cannot be imported."""

    def refuse(*names: str) -> None:
        for key in list(sys.modules):
            if key.split(".")[0] in names:
                monkeypatch.delitem(sys.modules, key)
        monkeypatch.setattr(sys, "meta_path", [Refuse(names), *sys.meta_path])

    yield refuse


def one_error(result: Ran) -> str:
    """The one line a failed command printed, after checking it printed only that."""
    assert result.returncode == 1, (result.stdout, result.stderr)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


# ---- AWS set-up ----


def test_an_unknown_profile_is_one_line_from_the_option_and_the_environment() -> None:
    expected = (
        "Error: AWS profile 'nosuch' not found: give --profile (or AWS_PROFILE) one of "
        "`aws configure list-profiles`, or leave both unset"
    )
    assert (
        one_error(invoke(["--profile", "nosuch", "-c", CONFIG, "status"], NO_AWS_CONFIG))
        == expected
    )
    assert (
        one_error(invoke(["-c", CONFIG, "status", "--profile", "nosuch"], NO_AWS_CONFIG))
        == expected
    )
    env = {**NO_AWS_CONFIG, "AWS_PROFILE": "nosuch"}
    assert one_error(invoke(["-c", CONFIG, "status"], env)) == expected


def test_no_credentials_is_one_line() -> None:
    assert one_error(invoke(["-c", CONFIG, "status"], NO_AWS_CONFIG)) == (
        "Error: no AWS credentials found; set AWS_PROFILE (or --profile) or AWS_ACCESS_KEY_ID "
        "and AWS_SECRET_ACCESS_KEY"
    )


def test_a_region_that_is_not_one_is_one_line(tmp_path: Path) -> None:
    expected = "Error: --region 'not a region' is not an AWS region name; give one like us-east-1"
    env = {**NO_AWS_CONFIG, **KEYS}
    # S3 for replay, the KeyValueStore API for the store toggle.
    replay = ["-c", CONFIG, "replay", "--region", "not a region", "s3://logs/cf/"]
    replay_env = ["-c", CONFIG, "replay", "s3://logs/cf/"]
    assert one_error(invoke(replay, env)) == expected
    assert one_error(invoke(replay_env, {**env, "AWS_REGION": "not a region"})) == expected
    # The KeyValueStore API's client, made when a store command first needs it.
    connected = CloudFrontClient.connect(Connection(region="not a region", endpoint_url=LOCAL))
    with pytest.raises(AwsError) as error:
        connected.key_value_store_client()
    assert f"Error: {error.value}" == expected


# ---- extras ----


def test_the_store_toggle_without_awscrt_says_which_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import botocore.compat

    monkeypatch.setattr(botocore.compat, "HAS_CRT", False)  # what botocore sees without awscrt
    env = {**NO_AWS_CONFIG, **KEYS}
    assert one_error(invoke(["-c", KVS_CONFIG, "status"], env)) == (
        "Error: the CloudFront KeyValueStore API signs requests with SigV4A, which needs the "
        "awscrt package: pip install 'botocore[crt]' (the same as the kvs extra: "
        "'cffunc[kvs]', or '.[kvs]' from a checkout)"
    )


def test_the_report_without_matplotlib_says_so_before_reading(
    without: Callable[..., None], tmp_path: Path
) -> None:
    without("matplotlib")
    html = tmp_path / "report.html"
    args = ["-c", CONFIG, "replay", "--jobs", "1", "--html", str(html), LOG]
    assert one_error(invoke(args, ENV)) == (
        "Error: --html draws its charts with matplotlib: pip install 'cffunc[report]'"
    )
    assert not html.exists()


def test_parquet_without_pyarrow_says_which_extra(
    without: Callable[..., None], tmp_path: Path
) -> None:
    log = tmp_path / "v2.parquet"
    log.write_bytes(b"PAR1" + b"\0" * 64 + b"PAR1")  # what the reader recognises
    without("pyarrow")
    assert one_error(invoke(["-c", CONFIG, "replay", "--jobs", "1", str(log)], ENV)) == (
        f"Error: {log} is Parquet: pip install 'cffunc[parquet]' to read it"
    )


def test_dask_without_dask_says_which_extra(without: Callable[..., None]) -> None:
    without("dask", "distributed")
    args = ["-c", CONFIG, "replay", "--dask", "tcp://127.0.0.1:9", LOG]
    assert one_error(invoke(args, ENV)) == "Error: --dask needs Dask: pip install 'cffunc[dask]'"


@pytest.mark.usefixtures("processes")
def test_the_local_api_without_moto_says_which_extra() -> None:
    """The real entry point, in a Python whose import system refuses moto."""
    refuse = (
        "import sys\n"
        "class Refuse:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] == 'moto':\n"
        "            raise ModuleNotFoundError(name, name=name)\n"
        "sys.meta_path.insert(0, Refuse())\n"
        "sys.argv = ['cffunc-emulator', '--port', '0']\n"
        "from cffunc.emulator.server import main\n"
        "main()\n"
    )
    ran = subprocess.run(
        [sys.executable, "-c", refuse], capture_output=True, text=True, timeout=120
    )
    assert (ran.returncode, ran.stdout, ran.stderr) == (
        1,
        "",
        "Error: the local CloudFront API runs on moto: pip install 'cffunc[emulator]'\n",
    )


# ---- where the AWS options are ----

AWS_COMMANDS = [
    ["publish"], ["plan"], ["enable"], ["disable"], ["status"], ["install"], ["uninstall"],
    ["allow", "add"], ["allow", "remove"], ["allow", "list"], ["destroy"], ["test"], ["replay"],
]  # fmt: skip
LOCAL_COMMANDS = [
    ["render"], ["init"], ["serve"], ["iam-policy"], ["export", "cloudformation"],
    ["export", "terraform"],
]  # fmt: skip


@pytest.mark.parametrize("command", AWS_COMMANDS + LOCAL_COMMANDS)
def test_aws_options_are_on_the_commands_that_call_aws(command: list[str]) -> None:
    help_text = invoke([*command, "--help"], {}).stdout
    for option in ("--profile", "--region", "--endpoint-url", "--verbose"):
        assert (option in help_text) == (command in AWS_COMMANDS), (command, option)
    assert "--config" in help_text and "--quiet" in help_text


def test_an_aws_option_elsewhere_is_a_usage_error() -> None:
    init = invoke(["init", "--profile", "prod"], {})
    assert init.returncode == 2
    assert init.stderr.splitlines()[-1] == "Error: No such option '--profile'."
    test = invoke(["-c", CONFIG, "test", "--region", "eu-west-1"], ENV)
    assert test.returncode == 2
    assert test.stderr.splitlines()[-1] == "Error: --region: AWS options go with --remote"
