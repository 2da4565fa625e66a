"""The only module that talks to AWS: typed CloudFront calls over boto3.

It hides ETags' plumbing, pagination and retries, and turns botocore's errors into
:class:`AwsError` subclasses whose message a release script's log can act on. The session,
clock, sleep and jitter are injected so tests run against the local CloudFront API and
never really wait.

Retries are cffunc's own, not botocore's (whose backoff sleeps for real and cannot be
injected): a call throttled by AWS, answered with a 5xx or cut off on the wire is made
again after an exponential, jittered backoff, up to :data:`MAX_ATTEMPTS` times. CloudFront
throttles with HTTP 400, code ``Throttling``, "Rate exceeded" (no error shape in its
model; seen from UpdateDistribution in ansible-collections/community.aws#296), and it
documents no request rate for its control plane (Quotas,
https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html).
A throttled answer also makes every other call of the same client (the threads of a fleet
run) hold back until the backoff has passed, so a burst slows down as a whole.

Each method that changes the account is marked :func:`write` here, the one place that says
which calls are writes; a write runs only inside :func:`executing`, which only the executor
(:mod:`cffunc.deploy.apply`) enters, so every write is a plan step it records
(tests/test_only_writer.py holds the rule by reading the source and by running every command).
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import wraps
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    import botocore.exceptions

from cffunc.errors import CffuncError

REGION = "us-east-1"  # CloudFront's API is global and signs in us-east-1
CRT_MISSING = (
    "the CloudFront KeyValueStore API signs requests with SigV4A, which needs the awscrt "
    "package: pip install 'botocore[crt]' (the same as the kvs extra: 'cffunc[kvs]', or "
    "'.[kvs]' from a checkout)"
)


def require_crt() -> None:
    """AwsError unless botocore can sign SigV4A: checked before the first write of any
    store command, so that none stops half done for want of it."""
    from botocore.compat import HAS_CRT

    if not HAS_CRT:
        raise AwsError(CRT_MISSING)


MAX_ATTEMPTS = 8
BACKOFF_SECONDS = 0.5
"""The first retry's backoff; it doubles with each attempt (with jitter), up to the cap."""
BACKOFF_CAP_SECONDS = 20.0
THROTTLING_CODES = frozenset({
    "Throttling", "ThrottlingException", "TooManyRequestsException", "RequestLimitExceeded",
    "RequestThrottled", "RequestThrottledException", "SlowDown",
})  # fmt: skip
"""What botocore's standard retry mode takes as throttling (botocore/retries/standard.py)."""
TRANSIENT_CODES = frozenset({
    "InternalError", "InternalFailure", "InternalServerException", "ServiceUnavailable",
    "RequestTimeout", "RequestTimeoutException", "PriorRequestNotComplete",
})  # fmt: skip

_executing: ContextVar[bool] = ContextVar("cffunc_executing", default=False)
F = TypeVar("F", bound=Callable[..., Any])


@contextmanager
def executing() -> Iterator[None]:
    """The block in which write methods may run: the executor's, and nobody else's."""
    token = _executing.set(True)
    try:
        yield
    finally:
        _executing.reset(token)


class OutsideExecutor(RuntimeError):
    """A write was called outside the executor: a bug in cffunc, never a user's error."""


def write(method: F) -> F:
    """Marks a method that changes the account. It refuses to run outside
    :func:`executing`, so a write that is not a plan step fails loudly instead of
    going unrecorded (an interrupt message would then miss it)."""

    @wraps(method)
    def guarded(self: Any, *args: Any, **kwargs: Any) -> Any:
        if not _executing.get():
            raise OutsideExecutor(
                f"{type(self).__name__}.{method.__name__} called outside the executor: every "
                "AWS write is a plan step run by cffunc.deploy.apply"
            )
        return method(self, *args, **kwargs)

    guarded.__cffunc_write__ = True  # type: ignore[attr-defined]
    return guarded  # type: ignore[return-value]


def write_methods(cls: type) -> frozenset[str]:
    """The names of ``cls``'s methods marked :func:`write`."""
    return frozenset(
        name for name in dir(cls) if getattr(getattr(cls, name), "__cffunc_write__", False)
    )


class AwsError(CffuncError):
    """A CloudFront call failed; the message says which and what to do."""

    def __init__(self, message: str, code: str = "", retryable: bool = False) -> None:
        super().__init__(message)
        self.code = code
        self.retryable = retryable
        """Throttled, a 5xx or a connection cut off: the same call may succeed later."""

    @property
    def throttled(self) -> bool:
        return self.code in THROTTLING_CODES


class AccessDenied(AwsError):
    pass


class NotFound(AwsError):
    pass


class PreconditionFailed(AwsError):
    """Someone else wrote in between (a stale ETag)."""


class FunctionInUse(AwsError):
    pass


class StoreConflict(AwsError):
    """The KeyValueStore changed since its ETag was read."""


class AlreadyExists(AwsError):
    """A function (or store) of that name exists already."""


class InUse(AwsError):
    """A KeyValueStore is still associated with a function."""


@dataclass(frozen=True)
class FunctionStage:
    name: str
    stage: str
    etag: str
    runtime: str
    comment: str
    arn: str
    code: bytes | None = None
    kvs_arns: tuple[str, ...] = ()
    """KeyValueStores associated with this stage."""


@dataclass(frozen=True)
class StoreInfo:
    """A KeyValueStore as the control plane describes it."""

    name: str
    arn: str
    etag: str
    comment: str


@dataclass(frozen=True)
class StoreData:
    """A KeyValueStore as the data plane describes it: the ETag writes need."""

    etag: str
    items: int
    size: int


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
    arn: str = ""
    connection_mode: str = "direct"
    """``tenant-only`` for a multi-tenant distribution (absent in the API: ``direct``)."""


@dataclass(frozen=True)
class TenantInfo:
    """A distribution tenant of a multi-tenant distribution (DistributionTenant, or
    DistributionTenantSummary when listed)."""

    id: str
    name: str
    distribution_id: str
    domains: tuple[str, ...]
    enabled: bool
    parameters: tuple[tuple[str, str], ...] = ()
    """The values the tenant gives (a listing's summary has none)."""

    @property
    def label(self) -> str:
        """How messages name it: its name, its id and its first domain."""
        first = f", {self.domains[0]}" if self.domains else ""
        return f"{self.name} ({self.id}{first})"


def _tenant_info(item: dict[str, Any]) -> TenantInfo:
    return TenantInfo(
        str(item["Id"]),
        str(item.get("Name", "")),
        str(item.get("DistributionId", "")),
        tuple(str(d["Domain"]) for d in item.get("Domains") or []),
        item.get("Enabled") is not False,
        tuple((str(p["Name"]), str(p["Value"])) for p in item.get("Parameters") or []),
    )


def _permission(operation: str) -> str:
    if operation.startswith("kvs:"):
        return f"cloudfront-keyvaluestore:{operation[4:]}"
    return f"cloudfront:{operation}"


_loader: Any = None


def _data_loader() -> Any:
    """One botocore data loader per process: it caches the service models it parses
    (CloudFront's takes about 0.1 s), which a new session would otherwise parse again.
    The models are read-only data, so sharing them between sessions is safe."""
    global _loader
    if _loader is None:
        import botocore.session

        _loader = botocore.session.get_session().get_component("data_loader")
    return _loader


@dataclass(frozen=True)
class Connection:
    """Where and as whom cffunc calls AWS: ``--profile``, ``--region``, ``--endpoint-url``;
    None leaves each to boto3's own configuration (AWS_PROFILE, AWS_REGION or
    AWS_DEFAULT_REGION, AWS_ENDPOINT_URL, ~/.aws/config)."""

    profile: str | None = None
    region: str | None = None
    endpoint_url: str | None = None


def _session(profile: str | None) -> Any:
    import boto3
    import botocore.session

    core = botocore.session.get_session()
    core.register_component("data_loader", _data_loader())
    with _environment_errors():
        return boto3.Session(botocore_session=core, profile_name=profile)


@contextmanager
def _environment_errors(service: str = "AWS") -> Iterator[None]:
    """botocore's errors about the machine's AWS set-up, each as one line that says what
    to do (a user causes them with a typo, not cffunc)."""
    import botocore.exceptions

    try:
        yield
    except botocore.exceptions.EndpointConnectionError as error:
        raise AwsError(f"cannot reach {service}: {error}", retryable=True) from None
    except botocore.exceptions.HTTPClientError as error:  # cut off or timed out on the wire
        raise AwsError(f"{service}: {error}", retryable=True) from None
    except botocore.exceptions.ProfileNotFound as error:
        raise AwsError(
            f"AWS profile {error.kwargs.get('profile')!r} not found: give --profile (or "
            "AWS_PROFILE) one of `aws configure list-profiles`, or leave both unset"
        ) from None
    except botocore.exceptions.NoCredentialsError:
        raise AwsError(
            "no AWS credentials found; set AWS_PROFILE (or --profile) or AWS_ACCESS_KEY_ID "
            "and AWS_SECRET_ACCESS_KEY"
        ) from None
    except botocore.exceptions.NoRegionError:
        raise AwsError("no AWS region: give --region or set AWS_REGION") from None
    except botocore.exceptions.InvalidRegionError as error:
        raise AwsError(
            f"--region {error.kwargs.get('region_name')!r} is not an AWS region name; give "
            "one like us-east-1"
        ) from None
    except botocore.exceptions.MissingDependencyException:
        raise AwsError(CRT_MISSING) from None
    except botocore.exceptions.BotoCoreError as error:
        # Partial credentials, an expired SSO token, a config file botocore cannot read.
        raise AwsError(f"the AWS set-up of this machine: {error}") from None


def _boto_client(
    service: str, connection: Connection, region: str | None, config: Any = None
) -> Any:
    """A boto3 client; ``config`` None: botocore's retries (S3), else the one given."""
    with _environment_errors():
        return _session(connection.profile).client(
            service, region_name=region, endpoint_url=connection.endpoint_url,
            config=config or _retries(),
        )  # fmt: skip


def s3_client(connection: Connection) -> Any:
    """A boto3 S3 client for replay's s3:// sources: --region, else boto3's own (without
    one, S3's global endpoint, which follows a bucket to its region)."""
    return _boto_client("s3", connection, connection.region)


def _retries() -> Any:
    """botocore's retries for S3 (replay reads logs; nothing there runs at fleet scale)."""
    from botocore.config import Config

    return Config(retries={"mode": "standard", "max_attempts": MAX_ATTEMPTS})


def _no_retries() -> Any:
    """One attempt per botocore call: :class:`_Client` retries, with the injected sleep."""
    from botocore.config import Config

    return Config(retries={"mode": "standard", "total_max_attempts": 1})


class _Client:
    """Calls through one boto3 client, counted, traced and with errors translated."""

    service = "the CloudFront API"

    def __init__(
        self,
        client: Any,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        trace: Callable[[str], None] | None = None,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self._client = client
        self.sleep = sleep
        self.clock = clock
        self.trace = trace
        """Told of every call (``-v``): operation, resource, outcome, time taken."""
        self.jitter = jitter
        """A number in [0, 1) for each backoff (tests fix it)."""
        self.calls: list[str] = []
        """Every request made, by operation, retries included (as AWS counts them)."""
        self.retries = 0
        """Requests made again after a throttled, 5xx or cut-off answer."""
        self.throttled = 0
        self._calm_until = 0.0
        self._lock = threading.Lock()

    def _call(self, operation: str, resource: str, **params: Any) -> Any:
        for attempt in range(1, MAX_ATTEMPTS + 1):
            self._hold_back()
            self.calls.append(operation)
            started = self.clock()
            try:
                answer = self._request(operation, resource, **params)
            except AwsError as error:
                self._trace(operation, resource, started, error.code or "failed")
                if not error.retryable or attempt == MAX_ATTEMPTS:
                    raise
                self._back_off(operation, resource, attempt, error)
                continue
            self._trace(operation, resource, started, "ok")
            return answer
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _back_off(self, operation: str, resource: str, attempt: int, error: AwsError) -> None:
        """Sleep before attempt ``attempt + 1``: half the exponential delay plus a random
        half ("equal jitter", so calls throttled together do not come back together). A
        throttled answer holds back every call of this client for as long."""
        ceiling = min(BACKOFF_CAP_SECONDS, BACKOFF_SECONDS * 2 ** (attempt - 1))
        delay = ceiling / 2 + self.jitter() * ceiling / 2
        with self._lock:
            self.retries += 1
            if error.throttled:
                self.throttled += 1
                self._calm_until = max(self._calm_until, self.clock() + delay)
        if self.trace is not None:
            self.trace(f"aws: {operation} {resource}: again in {delay:.2f} s ({error.code})")
        self.sleep(delay)

    def _hold_back(self) -> None:
        """Wait out a backoff another thread's throttled call started."""
        wait = self._calm_until - self.clock()
        if wait > 0:
            self.sleep(wait)

    def _trace(self, operation: str, resource: str, started: float, outcome: str) -> None:
        if self.trace is not None:
            self.trace(f"aws: {operation} {resource}: {outcome} ({self.clock() - started:.2f} s)")

    def _request(self, operation: str, resource: str, **params: Any) -> Any:
        import botocore.exceptions

        method = getattr(self._client, _snake(operation.removeprefix("kvs:")))
        try:
            with _environment_errors(self.service):  # credentials are read at the first request
                return method(**params)
        except botocore.exceptions.ClientError as error:
            raise _translate(error, operation, resource) from None


class CloudFrontClient(_Client):
    """Typed CloudFront calls. ``calls`` counts the requests made, by operation."""

    @classmethod
    def connect(
        cls, connection: Connection = Connection(), trace: Callable[[str], None] | None = None
    ) -> CloudFrontClient:
        # boto3 is imported here, not at the top: `cffunc render`, `test` and `--help`
        # never call AWS and need not pay its import time (about 0.1 s).
        made = cls(_boto_client("cloudfront", connection, REGION, _no_retries()), trace=trace)
        made.connection = connection
        return made

    connection: Connection = Connection()
    _data_plane: KeyValueStoreClient | None = None

    def key_value_store_client(self) -> KeyValueStoreClient:
        """The data-plane client, with this client's connection, trace and clock (made
        once: a boto3 client costs tens of milliseconds to build)."""
        if self._data_plane is None:
            self._data_plane = KeyValueStoreClient.connect(
                self.connection, self.trace, self.sleep, self.clock, self.calls, self.jitter
            )
        return self._data_plane

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
            kvs_arns=_kvs_arns(summary["FunctionConfig"]),
        )

    def function_names(self, stage: str = "DEVELOPMENT") -> list[str]:
        """Names of the account's functions at ``stage``, every page."""
        return [str(item["Name"]) for item in self._function_summaries(stage)]

    def functions_reading(self, store_arn: str, stage: str = "LIVE") -> list[str]:
        """Names of the functions whose code at ``stage`` is associated with the store
        (ListFunctions' FunctionConfig.KeyValueStoreAssociations), every page."""
        return [
            str(item["Name"])
            for item in self._function_summaries(stage)
            if store_arn in _kvs_arns(item.get("FunctionConfig") or {})
        ]

    def _function_summaries(self, stage: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        marker = ""
        while True:
            params = {"Marker": marker} if marker else {}
            page = self._call("ListFunctions", "*", Stage=stage, **params)["FunctionList"]
            items += page.get("Items") or []
            marker = page.get("NextMarker") or ""
            if not marker:
                return items

    def function_code(self, name: str, stage: str) -> bytes | None:
        try:
            answer = self._call("GetFunction", name, Name=name, Stage=stage)
        except NotFound:
            return None
        return bytes(answer["FunctionCode"].read())

    @write
    def create_function(
        self, name: str, runtime: str, comment: str, code: bytes, kvs_arn: str | None = None
    ) -> tuple[str, str]:
        """(ETag, function ARN)."""
        answer = self._call(
            "CreateFunction", name, Name=name,
            FunctionConfig=_function_config(runtime, comment, kvs_arn), FunctionCode=code,
        )  # fmt: skip
        return str(answer["ETag"]), str(
            answer["FunctionSummary"]["FunctionMetadata"]["FunctionARN"]
        )

    @write
    def update_function(
        self,
        name: str,
        etag: str,
        runtime: str,
        comment: str,
        code: bytes,
        kvs_arn: str | None = None,
    ) -> str:
        answer = self._call(
            "UpdateFunction", name, Name=name, IfMatch=etag,
            FunctionConfig=_function_config(runtime, comment, kvs_arn), FunctionCode=code,
        )  # fmt: skip
        return str(answer["ETag"])

    @write
    def publish_function(self, name: str, etag: str) -> None:
        self._call("PublishFunction", name, Name=name, IfMatch=etag)

    def test_function(self, name: str, etag: str, event: bytes) -> dict[str, Any]:
        answer = self._call(
            "TestFunction", name, Name=name, IfMatch=etag, Stage="DEVELOPMENT", EventObject=event
        )
        return dict(answer["TestResult"])

    @write
    def delete_function(self, name: str, etag: str) -> None:
        self._call("DeleteFunction", name, Name=name, IfMatch=etag)

    # ---- key value stores (control plane) ----
    def key_value_store(self, name: str) -> StoreInfo | None:
        try:
            answer = self._call("DescribeKeyValueStore", name, Name=name)
        except NotFound:
            return None
        return _store_info(answer)

    @write
    def create_key_value_store(self, name: str, comment: str) -> StoreInfo:
        return _store_info(self._call("CreateKeyValueStore", name, Name=name, Comment=comment))

    @write
    def delete_key_value_store(self, name: str, etag: str) -> None:
        self._call("DeleteKeyValueStore", name, Name=name, IfMatch=etag)

    # ---- distribution tenants (multi-tenant distributions) ----
    def distribution_tenant(self, identifier: str) -> TenantInfo | None:
        """By id, name or ARN (GetDistributionTenant's Identifier); None when unknown."""
        try:
            answer = self._call("GetDistributionTenant", identifier, Identifier=identifier)
        except NotFound:
            return None
        return _tenant_info(answer["DistributionTenant"])

    def distribution_tenant_by_domain(self, domain: str) -> TenantInfo | None:
        """The tenant serving ``domain`` (GetDistributionTenantByDomain); None when none."""
        try:
            answer = self._call("GetDistributionTenantByDomain", domain, Domain=domain)
        except NotFound:
            return None
        return _tenant_info(answer["DistributionTenant"])

    def tenants_of(self, distribution_id: str | None) -> list[TenantInfo]:
        """Every tenant of a multi-tenant distribution (None: of the account), every page
        (ListDistributionTenants is a POST with an AssociationFilter:
        API_ListDistributionTenants)."""
        out: list[TenantInfo] = []
        marker = ""
        while True:
            params: dict[str, Any] = {}
            if distribution_id is not None:
                params["AssociationFilter"] = {"DistributionId": distribution_id}
            if marker:
                params["Marker"] = marker
            page = self._call("ListDistributionTenants", distribution_id or "*", **params)
            out += [_tenant_info(item) for item in page.get("DistributionTenantList") or []]
            marker = page.get("NextMarker") or ""
            if not marker:
                return out

    # ---- distributions ----
    def distribution_config(self, distribution_id: str) -> DistributionConfig:
        answer = self._call("GetDistributionConfig", distribution_id, Id=distribution_id)
        return DistributionConfig(distribution_id, answer["DistributionConfig"], answer["ETag"])

    @write
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

    def distribution_state(self, distribution_id: str) -> tuple[str, str]:
        """(ARN, status) from one GetDistribution."""
        answer = self._call("GetDistribution", distribution_id, Id=distribution_id)
        return str(answer["Distribution"]["ARN"]), str(answer["Distribution"]["Status"])

    # ---- tags (no config change: nothing deploys) ----
    def tags(self, arn: str) -> dict[str, str]:
        answer = self._call("ListTagsForResource", arn, Resource=arn)
        return {t["Key"]: t.get("Value", "") for t in (answer.get("Tags") or {}).get("Items") or []}

    @write
    def tag_resource(self, arn: str, tags: dict[str, str]) -> None:
        items = [{"Key": k, "Value": v} for k, v in tags.items()]
        self._call("TagResource", arn, Resource=arn, Tags={"Items": items})

    @write
    def untag_resource(self, arn: str, keys: list[str]) -> None:
        self._call("UntagResource", arn, Resource=arn, TagKeys={"Items": keys})

    def distributions(self) -> Iterator[DistributionSummary]:
        marker = ""
        while True:
            params = {"Marker": marker} if marker else {}
            page = self._call("ListDistributions", "*", **params)["DistributionList"]
            for item in page.get("Items") or []:
                aliases = tuple((item.get("Aliases") or {}).get("Items") or [])
                yield DistributionSummary(
                    item["Id"], aliases, item.get("Status", ""), item.get("ARN", ""),
                    item.get("ConnectionMode") or "direct",
                )  # fmt: skip
            if not page.get("IsTruncated"):
                return
            marker = page.get("NextMarker") or ""

    def distribution_summaries(self) -> list[DistributionSummary]:
        """Every distribution of the account, every page."""
        return list(self.distributions())


class KeyValueStoreClient(_Client):
    """The KeyValueStore data plane (``cloudfront-keyvaluestore``); operations are
    counted as ``kvs:<Operation>``. Every write takes the store's current ETag."""

    service = "the CloudFront KeyValueStore API"

    @classmethod
    def connect(
        cls,
        connection: Connection,
        trace: Callable[[str], None] | None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        calls: list[str] | None = None,
        jitter: Callable[[], float] = random.random,
    ) -> KeyValueStoreClient:
        # The data plane is global (SigV4A signs for every region), but botocore resolves
        # its endpoint from a region: --region, else boto3's, else CloudFront's own.
        region = connection.region or _session(connection.profile).region_name or REGION
        client = _boto_client("cloudfront-keyvaluestore", connection, region, _no_retries())
        if connection.endpoint_url:
            _keep_endpoint_host(client, connection.endpoint_url)
        made = cls(client, sleep=sleep, clock=clock, trace=trace, jitter=jitter)
        if calls is not None:
            made.calls = calls  # one count for both planes
        return made

    def describe(self, arn: str) -> StoreData:
        answer = self._call("kvs:DescribeKeyValueStore", arn, KvsARN=arn)
        return StoreData(
            str(answer["ETag"]), int(answer.get("ItemCount", 0)),
            int(answer.get("TotalSizeInBytes", 0)),
        )  # fmt: skip

    def get(self, arn: str, key: str) -> str | None:
        try:
            return str(self._call("kvs:GetKey", key, KvsARN=arn, Key=key)["Value"])
        except NotFound:
            return None

    def keys(self, arn: str, prefix: str = "") -> dict[str, str]:
        """Every key (with ``prefix``) and its value, following NextToken."""
        out: dict[str, str] = {}
        token = None
        while True:
            params: dict[str, Any] = {"KvsARN": arn, "MaxResults": 50}
            if token:
                params["NextToken"] = token
            answer = self._call("kvs:ListKeys", arn, **params)
            for item in answer.get("Items") or []:
                if str(item["Key"]).startswith(prefix):
                    out[str(item["Key"])] = str(item["Value"])
            token = answer.get("NextToken")
            if not token:
                return out

    @write
    def put_key(self, arn: str, key: str, value: str, etag: str) -> str:
        answer = self._call("kvs:PutKey", key, KvsARN=arn, Key=key, Value=value, IfMatch=etag)
        return str(answer["ETag"])

    @write
    def delete_key(self, arn: str, key: str, etag: str) -> str:
        return str(self._call("kvs:DeleteKey", key, KvsARN=arn, Key=key, IfMatch=etag)["ETag"])

    @write
    def update_keys(self, arn: str, etag: str, puts: dict[str, str], deletes: list[str]) -> str:
        """Puts and deletes in one conditional write (at most 50 keys)."""
        answer = self._call(
            "kvs:UpdateKeys", arn, KvsARN=arn, IfMatch=etag,
            Puts=[{"Key": k, "Value": v} for k, v in puts.items()],
            Deletes=[{"Key": k} for k in deletes],
        )  # fmt: skip
        return str(answer["ETag"])


def _keep_endpoint_host(client: Any, endpoint_url: str) -> None:
    """Send data-plane requests to the endpoint given, as it was given.

    The KeyValueStore endpoint rules put the account id in front of the host
    (``<account>.<host>``), which is right for AWS but names nothing for a local API on
    127.0.0.1. The request is signed before this runs; the local API does not check
    signatures, and nothing changes for AWS's own endpoints (no endpoint_url).
    """
    from urllib.parse import urlsplit, urlunsplit

    target = urlsplit(endpoint_url)

    def rewrite(request: Any, **_: Any) -> None:
        parts = urlsplit(request.url)
        account, _, rest = parts.netloc.partition(".")
        if account.isdigit() and rest == target.netloc:
            request.url = urlunsplit(parts._replace(netloc=target.netloc))
            request.headers["Host"] = target.netloc

    client.meta.events.register("before-send.cloudfront-keyvaluestore", rewrite)


def _function_config(runtime: str, comment: str, kvs_arn: str | None) -> dict[str, Any]:
    config: dict[str, Any] = {"Comment": comment, "Runtime": runtime}
    if kvs_arn is not None:
        config["KeyValueStoreAssociations"] = {
            "Quantity": 1,
            "Items": [{"KeyValueStoreARN": kvs_arn}],
        }
    return config


def _kvs_arns(config: dict[str, Any]) -> tuple[str, ...]:
    items = (config.get("KeyValueStoreAssociations") or {}).get("Items") or []
    return tuple(str(i["KeyValueStoreARN"]) for i in items)


def _store_info(answer: dict[str, Any]) -> StoreInfo:
    store = answer["KeyValueStore"]
    return StoreInfo(
        str(store["Name"]), str(store["ARN"]), str(answer["ETag"]), str(store.get("Comment", ""))
    )


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
    if code in ("ConflictException",):
        return StoreConflict(f"{operation} on {resource}: the store changed meanwhile", code)
    if code in ("FunctionAlreadyExists", "EntityAlreadyExists"):
        return AlreadyExists(f"{operation}: {resource} exists already ({code})", code)
    if code == "CannotDeleteEntityWhileInUse":
        return InUse(f"{operation}: {resource} is still associated with a function", code)
    if code in (
        "NoSuchFunctionExists", "NoSuchDistribution", "EntityNotFound",
        "ResourceNotFoundException",
    ):  # fmt: skip
        return NotFound(f"{operation}: {resource} does not exist ({code})", code)
    if code == "PreconditionFailed":
        return PreconditionFailed(
            f"{operation} on {resource}: changed by someone else meanwhile", code
        )
    if code == "FunctionInUse":
        return FunctionInUse(
            f"{operation}: the function {resource} is still associated with a distribution", code
        )
    if code in THROTTLING_CODES:
        return AwsError(
            f"{operation} on {resource}: throttled by AWS {MAX_ATTEMPTS} times in a row; "
            "try again in a minute",
            code,
            retryable=True,
        )
    status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
    return AwsError(
        f"{operation} on {resource} failed: {code}: {message}",
        code,
        retryable=code in TRANSIENT_CODES or status >= 500,
    )
