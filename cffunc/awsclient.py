"""The only module that talks to AWS: typed CloudFront calls over boto3.

It hides ETags' plumbing, pagination and retries (botocore's standard retry mode handles
throttling and 5xx) and turns botocore's errors into :class:`AwsError` subclasses whose
message a release script's log can act on. The session, clock and sleep are injected so
tests run against the local CloudFront API and never really wait.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import botocore.exceptions

from cffunc.errors import CffuncError

REGION = "us-east-1"  # CloudFront's API is global and signs in us-east-1
MAX_ATTEMPTS = 8


class AwsError(CffuncError):
    """A CloudFront call failed; the message says which and what to do."""

    def __init__(self, message: str, code: str = "") -> None:
        super().__init__(message)
        self.code = code


class AccessDenied(AwsError):
    pass


class NotFound(AwsError):
    pass


class PreconditionFailed(AwsError):
    """Someone else wrote in between (a stale ETag)."""


class FunctionInUse(AwsError):
    pass


@dataclass(frozen=True)
class FunctionStage:
    name: str
    stage: str
    etag: str
    runtime: str
    comment: str
    arn: str
    code: bytes | None = None


@dataclass(frozen=True)
class DistributionConfig:
    id: str
    config: dict[str, Any]
    etag: str


@dataclass(frozen=True)
class DistributionSummary:
    id: str
    aliases: tuple[str, ...]
    status: str


def _permission(operation: str) -> str:
    return f"cloudfront:{operation}"


class CloudFrontClient:
    """Typed CloudFront calls. ``calls`` counts the requests made, by operation."""

    def __init__(
        self,
        client: Any,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        trace: Callable[[str], None] | None = None,
    ) -> None:
        self._client = client
        self.sleep = sleep
        self.clock = clock
        self.trace = trace
        """Told of every call (``-v``): operation, resource, outcome, time taken."""
        self.calls: list[str] = []

    @classmethod
    def connect(
        cls,
        profile: str | None = None,
        endpoint_url: str | None = None,
        trace: Callable[[str], None] | None = None,
    ) -> CloudFrontClient:
        # boto3 is imported here, not at the top: `cffunc render`, `test` and `--help`
        # never call AWS and need not pay its import time (about 0.1 s).
        import boto3
        import botocore.exceptions
        from botocore.config import Config

        try:
            session = boto3.Session(profile_name=profile)
        except botocore.exceptions.ProfileNotFound:
            raise AwsError(
                f"AWS profile {profile!r} not found; check --profile or ~/.aws/config"
            ) from None
        client = session.client(
            "cloudfront",
            region_name=REGION,
            endpoint_url=endpoint_url,
            config=Config(retries={"mode": "standard", "max_attempts": MAX_ATTEMPTS}),
        )
        return cls(client, trace=trace)

    def _call(self, operation: str, resource: str, **params: Any) -> Any:
        self.calls.append(operation)
        started = self.clock()
        try:
            answer = self._request(operation, resource, **params)
        except AwsError as error:
            self._trace(operation, resource, started, error.code or "failed")
            raise
        self._trace(operation, resource, started, "ok")
        return answer

    def _trace(self, operation: str, resource: str, started: float, outcome: str) -> None:
        if self.trace is not None:
            self.trace(f"aws: {operation} {resource}: {outcome} ({self.clock() - started:.2f} s)")

    def _request(self, operation: str, resource: str, **params: Any) -> Any:
        import botocore.exceptions

        method = getattr(self._client, _snake(operation))
        try:
            return method(**params)
        except botocore.exceptions.NoCredentialsError:
            raise AwsError(
                "no AWS credentials found; set AWS_PROFILE (or --profile) or AWS_ACCESS_KEY_ID "
                "and AWS_SECRET_ACCESS_KEY"
            ) from None
        except botocore.exceptions.EndpointConnectionError as error:
            raise AwsError(f"cannot reach the CloudFront API: {error}") from None
        except botocore.exceptions.ClientError as error:
            raise _translate(error, operation, resource) from None

    # ---- functions ----
    def describe_function(self, name: str, stage: str) -> FunctionStage | None:
        try:
            answer = self._call("DescribeFunction", name, Name=name, Stage=stage)
        except NotFound:
            return None
        summary = answer["FunctionSummary"]
        return FunctionStage(
            name=name,
            stage=stage,
            etag=answer["ETag"],
            runtime=summary["FunctionConfig"]["Runtime"],
            comment=summary["FunctionConfig"].get("Comment", ""),
            arn=summary["FunctionMetadata"]["FunctionARN"],
        )

    def function_code(self, name: str, stage: str) -> bytes | None:
        try:
            answer = self._call("GetFunction", name, Name=name, Stage=stage)
        except NotFound:
            return None
        return bytes(answer["FunctionCode"].read())

    def create_function(
        self, name: str, runtime: str, comment: str, code: bytes
    ) -> tuple[str, str]:
        """(ETag, function ARN)."""
        answer = self._call(
            "CreateFunction", name, Name=name,
            FunctionConfig={"Comment": comment, "Runtime": runtime}, FunctionCode=code,
        )  # fmt: skip
        return str(answer["ETag"]), str(
            answer["FunctionSummary"]["FunctionMetadata"]["FunctionARN"]
        )

    def update_function(self, name: str, etag: str, runtime: str, comment: str, code: bytes) -> str:
        answer = self._call(
            "UpdateFunction", name, Name=name, IfMatch=etag,
            FunctionConfig={"Comment": comment, "Runtime": runtime}, FunctionCode=code,
        )  # fmt: skip
        return str(answer["ETag"])

    def publish_function(self, name: str, etag: str) -> None:
        self._call("PublishFunction", name, Name=name, IfMatch=etag)

    def test_function(self, name: str, etag: str, event: bytes) -> dict[str, Any]:
        answer = self._call(
            "TestFunction", name, Name=name, IfMatch=etag, Stage="DEVELOPMENT", EventObject=event
        )
        return dict(answer["TestResult"])

    def delete_function(self, name: str, etag: str) -> None:
        self._call("DeleteFunction", name, Name=name, IfMatch=etag)

    # ---- distributions ----
    def distribution_config(self, distribution_id: str) -> DistributionConfig:
        answer = self._call("GetDistributionConfig", distribution_id, Id=distribution_id)
        return DistributionConfig(distribution_id, answer["DistributionConfig"], answer["ETag"])

    def update_distribution(self, distribution_id: str, etag: str, config: dict[str, Any]) -> str:
        answer = self._call(
            "UpdateDistribution",
            distribution_id,
            Id=distribution_id,
            IfMatch=etag,
            DistributionConfig=config,
        )
        return str(answer["ETag"])

    def distribution_status(self, distribution_id: str) -> str:
        answer = self._call("GetDistribution", distribution_id, Id=distribution_id)
        return str(answer["Distribution"]["Status"])

    def distributions(self) -> Iterator[DistributionSummary]:
        marker = ""
        while True:
            params = {"Marker": marker} if marker else {}
            page = self._call("ListDistributions", "*", **params)["DistributionList"]
            for item in page.get("Items") or []:
                aliases = tuple((item.get("Aliases") or {}).get("Items") or [])
                yield DistributionSummary(item["Id"], aliases, item.get("Status", ""))
            if not page.get("IsTruncated"):
                return
            marker = page.get("NextMarker") or ""


def _snake(operation: str) -> str:
    out = []
    for index, char in enumerate(operation):
        if char.isupper() and index:
            out.append("_")
        out.append(char.lower())
    return "".join(out)


def _translate(error: botocore.exceptions.ClientError, operation: str, resource: str) -> AwsError:
    code = str(error.response.get("Error", {}).get("Code", ""))
    message = str(error.response.get("Error", {}).get("Message", "")).rstrip(".")
    if code in ("AccessDenied", "AccessDeniedException"):
        return AccessDenied(
            f"access denied: {operation} on {resource} needs the IAM permission "
            f"{_permission(operation)}; `cffunc iam-policy` prints the policy cffunc needs",
            code,
        )
    if code in ("NoSuchFunctionExists", "NoSuchDistribution", "EntityNotFound"):
        return NotFound(f"{operation}: {resource} does not exist ({code})", code)
    if code == "PreconditionFailed":
        return PreconditionFailed(
            f"{operation} on {resource}: changed by someone else meanwhile", code
        )
    if code == "FunctionInUse":
        return FunctionInUse(
            f"{operation}: the function {resource} is still associated with a distribution", code
        )
    if code in ("Throttling", "ThrottlingException", "TooManyRequestsException"):
        return AwsError(
            f"{operation} on {resource}: throttled by AWS {MAX_ATTEMPTS} times in a row; "
            "try again in a minute",
            code,
        )
    return AwsError(f"{operation} on {resource} failed: {code}: {message}", code)
