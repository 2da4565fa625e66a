"""The local CloudFront API: moto's server, with the CloudFront operations cffunc needs.

Requests for functions, distributions, distribution tenants, connection groups, key value
stores and tags are answered here (:mod:`.state` and :mod:`.tenants` keep the rules); every
other request, CloudFront's or another service's, goes on to moto. A few control endpoints
under ``/__cffunc/`` let tests inject faults and throttling, count calls, play a concurrent
writer and move the deployment clock.
"""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from cffunc.emulator import control
from cffunc.emulator.control import FAULT_CODES
from cffunc.emulator.kvs import (
    DATA_PLANE_OPERATIONS,
    KeyValueStore,
    KvsApiError,
    error_answer,
    items_size,
)
from cffunc.emulator.protocol import (
    ApiError,
    error_body,
    match,
    max_items,
    page_after,
    parse_request,
    serialize_response,
    shape_problem,
)
from cffunc.emulator.state import (
    CONNECTION_MODES,
    CloudFrontState,
    Distribution,
    distribution_arn,
    function_arn,
    store_arns,
)
from cffunc.emulator.tenants import Tenant
from cffunc.emulator.traffic import Traffic
from cffunc.runtime.local_store import MAX_STORE_BYTES

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]
HANDLED_PREFIXES = (
    "/2020-05-31/function", "/2020-05-31/distribution", "/2020-05-31/key-value-store",
    "/2020-05-31/tagging", "/2020-05-31/connection-group",
)  # fmt: skip
DATA_PLANE_PREFIX = "/key-value-stores/"
MAX_BODY_BYTES = 2 * 1024 * 1024
"""Bodies beyond this are refused unread: CloudFront's largest (a function's code, a
distribution config) are far smaller."""
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")


def body_of(environ: dict[str, Any]) -> bytes:
    """The request body, refused (ApiError, 400) when Content-Length is not a number or
    over :data:`MAX_BODY_BYTES`, before anything is read."""
    text = environ.get("CONTENT_LENGTH") or "0"
    if not text.isdigit():
        raise ApiError("InvalidArgument", f"Content-Length {text!r} is not a number.", 400)
    length = int(text)
    if length > MAX_BODY_BYTES:
        raise ApiError(
            "InvalidArgument", f"The request body is over {MAX_BODY_BYTES:,} bytes.", 400
        )
    return environ["wsgi.input"].read(length) if length else b""


def from_this_machine(environ: dict[str, Any]) -> bool:
    """A control call must name a loopback Host (no DNS rebinding) and send JSON (a web
    page cannot send that cross-origin without a preflight this server never allows)."""
    raw = str(environ.get("HTTP_HOST", ""))
    host = raw.split("]")[0] + "]" if raw.startswith("[") else raw.rsplit(":", 1)[0]
    content_type = str(environ.get("CONTENT_TYPE", "")).split(";")[0].strip().lower()
    return host in LOOPBACK_HOSTS and content_type == "application/json"


@dataclass
class Faults:
    """The next ``count`` calls of an operation fail with an error (after ``after`` calls
    that succeed: the second distribution's write, say)."""

    pending: dict[str, list[list[Any]]] = field(default_factory=dict)

    def add(self, operation: str, error: str, count: int = 1, after: int = 0) -> None:
        if error not in FAULT_CODES:
            raise ValueError(f"unknown fault {error!r}; use one of {', '.join(FAULT_CODES)}")
        self.pending.setdefault(operation, []).append([error, count, after])

    def take(self, operation: str) -> ApiError | None:
        queue = self.pending.get(operation) or []
        if not queue:
            return None
        if queue[0][2] > 0:
            queue[0][2] -= 1
            return None
        queue[0][1] -= 1
        error = queue[0][0]
        if queue[0][1] <= 0:
            queue.pop(0)
        code, status, message = FAULT_CODES[error]
        return ApiError(code, message, status)


class Clock:
    """Real time plus an offset tests can advance."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


class EmulatorApp:
    def __init__(self, state: CloudFrontState, fallback: WsgiApp) -> None:
        self.state = state
        self.fallback = fallback
        self.faults = Faults()
        self.after_read: dict[str, list[Callable[[dict[str, Any]], None]]] = {}
        self.calls: list[str] = []
        self.traffic = Traffic()
        self.after_call: list[Callable[[str], None]] = []
        """Told each operation (``kvs:`` for the data plane) once it is answered and before
        the answer is sent: tests send the client a signal exactly after a given write."""

    def change_after_next_read(
        self, distribution_id: str, change: Callable[[dict[str, Any]], None]
    ) -> None:
        """Play a concurrent writer: ``change`` edits the config right after the next
        GetDistributionConfig of this distribution is answered (its ETag changes)."""
        self.after_read.setdefault(distribution_id, []).append(change)

    def change_store_before_next_write(self, values: dict[str, str]) -> None:
        """Play a concurrent store writer: just before the next PutKey/DeleteKey/UpdateKeys
        is checked, another client writes ``values`` (so that write's ETag is stale)."""
        plane = self.state.data_plane

        def change(store: KeyValueStore) -> None:
            # Another client's write: refused (so not made) past the store's limit.
            if items_size({**store.items, **values}) > MAX_STORE_BYTES:
                return
            store.items.update(values)
            store.data_etag = self.state.new_etag()

        plane.before_write.append(change)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith("/__cffunc/"):
            return self._control(environ, start_response)
        if path.startswith(DATA_PLANE_PREFIX):
            return self._data_plane(environ, start_response)
        if not path.startswith(HANDLED_PREFIXES) or "/invalidation" in path:
            return self.fallback(environ, start_response)
        method = environ["REQUEST_METHOD"]
        query = environ.get("QUERY_STRING", "")
        # The path as sent: an identifier may be an ARN with an encoded slash.
        raw_path = (environ.get("RAW_URI") or path).split("?")[0]
        found = match(method, raw_path, query)
        if found is None:
            return self.fallback(environ, start_response)
        operation, uri_params = found
        handler = getattr(self, "op_" + operation.name, None)
        if handler is None:
            return self.fallback(environ, start_response)
        request_id = str(uuid.uuid4())
        self.calls.append(operation.name)
        try:
            fault = self.faults.take(operation.name)
            throttled = self.traffic.record(operation.name, throttle=fault is None)
            fault = fault or throttled
            if fault is not None:
                raise fault
            body = body_of(environ)
            headers = {
                k[5:].replace("_", "-"): v for k, v in environ.items() if k.startswith("HTTP_")
            }
            try:
                params = parse_request(operation, uri_params, query, headers, body)
            except Exception as error:  # what botocore's parser makes of a malformed body
                raise ApiError(
                    "InvalidArgument", f"The request body is not valid XML: {error}", 400
                ) from None
            status, result = handler(params)
            response_headers, payload = serialize_response(operation, result)
        except ApiError as error:
            status, payload = error.status, error_body(error, request_id)
            response_headers = {"Content-Type": "text/xml"}
        response_headers["x-amz-request-id"] = request_id
        response_headers["Content-Length"] = str(len(payload))
        start_response(f"{status} {_reason(status)}", list(response_headers.items()))
        for hook in self.after_call:
            hook(operation.name)
        return [payload]

    def _data_plane(
        self, environ: dict[str, Any], start_response: StartResponse
    ) -> Iterable[bytes]:
        """cloudfront-keyvaluestore: operations are recorded as ``kvs:<Operation>``."""
        # The raw path: an ARN holds a slash and keys may hold encoded ones.
        raw_path = (environ.get("RAW_URI") or environ.get("PATH_INFO", "")).split("?")[0]
        headers = {
            k[5:].replace("_", "-").lower(): v for k, v in environ.items() if k.startswith("HTTP_")
        }
        operation = "unrouted"
        try:
            try:
                body = body_of(environ)
            except ApiError as error:  # the data plane answers in its own (JSON) errors
                raise KvsApiError("ValidationException", error.message) from None
            operation, arn, key = self.state.data_plane.route(environ["REQUEST_METHOD"], raw_path)
            self.calls.append("kvs:" + operation)
            self.traffic.record("kvs:" + operation, throttle=False)
            fault = self.faults.take("kvs:" + operation)
            if fault is not None:
                raise KvsApiError(fault.code, fault.message)
            status, out_headers, answer = self.state.data_plane.handle(
                operation, arn, key, environ.get("QUERY_STRING", ""), headers, body
            )
            payload = json.dumps(answer).encode()
        except KvsApiError as error:
            status, out_headers, payload = error_answer(error)
        out_headers = {
            **out_headers,
            "Content-Type": "application/json",
            "Content-Length": str(len(payload)),
        }
        start_response(f"{status} {_reason(status)}", list(out_headers.items()))
        for hook in self.after_call:
            hook("kvs:" + operation)
        return [payload]

    # ---- control endpoints (tests, and anyone trying failure modes by hand) ----
    def _control(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        """Each call is read whole (:mod:`.control`) and checked against the state before
        it changes anything: a refused call is a 400 and leaves the emulator as it was."""
        path = environ["PATH_INFO"]
        if not from_this_machine(environ):
            start_response("403 Forbidden", [("Content-Type", "application/json")])
            return [
                b'{"error": "control calls take Content-Type: application/json and a '
                b'loopback Host"}'
            ]
        try:
            body = body_of(environ)
            if path in self.traffic.paths:
                answer = self.traffic.control(path, control.json_object(body))
            else:
                request = control.read(
                    path, body, self.operations(), DATA_PLANE_OPERATIONS, self.traffic.paths
                )
                answer = self._apply(request)
        except (ValueError, ApiError) as error:  # ControlError and Traffic's are ValueErrors
            start_response("400 Bad Request", [("Content-Type", "application/json")])
            return [json.dumps({"error": str(error)}).encode()]
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps(answer).encode()]

    @classmethod
    def operations(cls) -> frozenset[str]:
        """The CloudFront operations answered here (the rest go on to moto)."""
        return frozenset(name[3:] for name in dir(cls) if name.startswith("op_"))

    def _apply(self, request: control.Request) -> dict[str, Any]:
        if isinstance(request, control.FaultRequest):
            self.faults.add(request.operation, request.error, request.count, request.after)
        elif isinstance(request, control.AfterReadRequest):
            self._after_read(request)
        elif isinstance(request, control.ClockRequest):
            clock = self.state.clock
            if not isinstance(clock, Clock):
                raise control.ControlError("this emulator's clock cannot be moved")
            ahead = clock.offset + timedelta(seconds=request.seconds)
            if ahead > timedelta(seconds=control.MAX_CLOCK_SECONDS):
                raise control.ControlError("the clock would run more than ten years ahead")
            clock.offset = ahead
            return {"now": clock().isoformat()}
        elif isinstance(request, control.StoreWriteRequest):
            self.change_store_before_next_write(dict(request.values))
        else:
            return {"calls": self.calls}
        return {"ok": True}

    def _after_read(self, request: control.AfterReadRequest) -> None:
        """Queue another client's UpdateDistribution, refused now if CloudFront would
        refuse it: the config it makes must be one the API takes, with the same
        CallerReference and associations the state allows."""
        values = copy.deepcopy(dict(request.values))
        with self.state.lock:
            current = self.state.distribution(request.distribution).config
            changed = {**current, **values}
            problem = shape_problem("DistributionConfig", changed)
            if problem is not None:
                raise control.ControlError(f"set: {problem}")
            if changed.get("CallerReference") != current.get("CallerReference"):
                raise control.ControlError("set: a distribution's CallerReference cannot change")
            self.state.check_associations(changed, current)

            def change(config: dict[str, Any]) -> None:
                # The config may have changed since: the write is refused then, as
                # CloudFront would refuse it, and the config stays as it is.
                proposed = {**config, **copy.deepcopy(values)}
                try:
                    self.state.check_associations(proposed, config)
                except ApiError:
                    return
                if shape_problem("DistributionConfig", proposed) is None:
                    config.update(proposed)

            self.change_after_next_read(request.distribution, change)

    # ---- functions ----
    def op_CreateFunction(self, p: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        summary, etag = self.state.create_function(
            p["Name"], p["FunctionConfig"], p["FunctionCode"]
        )
        return 201, {
            "FunctionSummary": summary,
            "ETag": etag,
            "Location": f"https://cloudfront.amazonaws.com/2020-05-31/function/{function_arn(p['Name'])}",
        }

    def op_UpdateFunction(self, p: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        summary, etag = self.state.update_function(
            p["Name"], p.get("IfMatch"), p["FunctionConfig"], p["FunctionCode"]
        )
        return 200, {"FunctionSummary": summary, "ETag": etag}

    def op_PublishFunction(self, p: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        return 200, {"FunctionSummary": self.state.publish_function(p["Name"], p.get("IfMatch"))}

    def op_DescribeFunction(self, p: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self.state.lock:
            stage_name = p.get("Stage") or "DEVELOPMENT"
            stage = self.state.stage(p["Name"], stage_name)
            return 200, {
                "FunctionSummary": self.state.summary(p["Name"], stage_name),
                "ETag": stage.etag,
            }

    def op_GetFunction(self, p: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self.state.lock:
            stage = self.state.stage(p["Name"], p.get("Stage"))
            return 200, {
                "FunctionCode": stage.code,
                "ETag": stage.etag,
                "ContentType": "application/octet-stream",
            }

    def op_ListFunctions(self, p: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self.state.lock:
            wanted = p.get("Stage")
            items = [
                self.state.summary(name, stage)
                for name, function in sorted(self.state.functions.items())
                for stage in ("DEVELOPMENT", "LIVE")
                if stage in function.stages and (wanted is None or wanted == stage)
            ]
        return 200, {
            "FunctionList": {
                "MaxItems": int(p.get("MaxItems") or 100),
                "Quantity": len(items),
                "Items": items,
            }
        }

    def op_DeleteFunction(self, p: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        self.state.delete_function(p["Name"], p.get("IfMatch"))
        return 204, {}

    def op_TestFunction(self, p: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        from cffunc.emulator.testing import run_test_function

        with self.state.lock:
            stage_name = p.get("Stage") or "DEVELOPMENT"
            stage = self.state.stage(p["Name"], stage_name)
            self.state.check_if_match(p.get("IfMatch"), stage.etag)
            summary = self.state.summary(p["Name"], stage_name)
            code, runtime = stage.code, stage.config.get("Runtime", "cloudfront-js-1.0")
            # The function reads its associated store as it is now.
            arns = store_arns(stage.config)
            store = self.state.store_by_arn(arns[0]) if arns else None
            items = dict(store.items) if store is not None else {}
        result = run_test_function(
            code, runtime, p.get("EventObject") or b"", self.state.clock(), items
        )
        return 200, {"TestResult": {"FunctionSummary": summary, **result}}

    # ---- key value stores (control plane) ----
    def op_CreateKeyValueStore(self, p: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if p.get("ImportSource"):
            raise ApiError("UnsupportedOperation", "The local API does not import from S3.")
        store = self.state.create_key_value_store(p["Name"], p.get("Comment") or "")
        return 201, {
            "KeyValueStore": store.control_view(),
            "ETag": store.etag,
            "Location": f"https://cloudfront.amazonaws.com/2020-05-31/key-value-store/{store.arn}",
        }

    def op_DescribeKeyValueStore(self, p: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self.state.lock:
            store = self.state.key_value_store(p["Name"])
            return 200, {"KeyValueStore": store.control_view(), "ETag": store.etag}

    def op_UpdateKeyValueStore(self, p: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        store = self.state.update_key_value_store(
            p["Name"], p.get("IfMatch"), p.get("Comment") or ""
        )
        return 200, {"KeyValueStore": store.control_view(), "ETag": store.etag}

    def op_DeleteKeyValueStore(self, p: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        self.state.delete_key_value_store(p["Name"], p.get("IfMatch"))
        return 204, {}

    def op_ListKeyValueStores(self, p: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self.state.lock:
            items = [s.control_view() for _, s in sorted(self.state.stores.items())]
        return 200, {
            "KeyValueStoreList": {
                "NextMarker": "", "MaxItems": int(p.get("MaxItems") or 100),
                "Quantity": len(items), "Items": items,
            }
        }  # fmt: skip

    # ---- distributions ----
    def op_CreateDistribution(self, p: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        distribution = self.state.create_distribution(p["DistributionConfig"])
        return 201, {
            "Distribution": self.state.distribution_view(distribution),
            "ETag": distribution.etag,
            "Location": f"https://cloudfront.amazonaws.com/2020-05-31/distribution/{distribution.id}",
        }

    def op_GetDistribution(self, p: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self.state.lock:
            distribution = self.state.distribution(p["Id"])
            return 200, {
                "Distribution": self.state.distribution_view(distribution),
                "ETag": distribution.etag,
            }

    def op_GetDistributionConfig(self, p: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self.state.lock:
            distribution = self.state.distribution(p["Id"])
            answer = {
                "DistributionConfig": copy.deepcopy(distribution.config),
                "ETag": distribution.etag,
            }
            changes = self.after_read.pop(p["Id"], [])
            for change in changes:
                change(distribution.config)
            if changes:
                distribution.etag = self.state.new_etag()
        return 200, answer

    def op_CreateDistributionWithTags(self, p: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        given = p["DistributionConfigWithTags"]
        items = (given.get("Tags") or {}).get("Items") or []
        with self.state.lock:
            # Both checked before anything is made: refused tags create nothing.
            tags = self.state.checked_tags({t["Key"]: t.get("Value", "") for t in items})
            distribution = self.state.create_distribution(given["DistributionConfig"])
            if tags:
                self.state.tags[distribution_arn(distribution.id)] = tags
        return 201, {
            "Distribution": self.state.distribution_view(distribution),
            "ETag": distribution.etag,
            "Location": f"https://cloudfront.amazonaws.com/2020-05-31/distribution/{distribution.id}",
        }

    # ---- tags (a tag is no config change: nothing deploys) ----
    def op_TagResource(self, p: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self.state.lock:
            tags = self.state.tags_of(p["Resource"])
            items = (p.get("Tags") or {}).get("Items") or []
            merged = self.state.checked_tags({t["Key"]: t.get("Value", "") for t in items}, tags)
            tags.clear()
            tags.update(merged)
        return 204, {}

    def op_UntagResource(self, p: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self.state.lock:
            tags = self.state.tags_of(p["Resource"])
            for key in (p.get("TagKeys") or {}).get("Items") or []:
                tags.pop(key, None)
        return 204, {}

    def op_ListTagsForResource(self, p: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self.state.lock:
            tags = self.state.tags_of(p["Resource"])
            items = [{"Key": k, "Value": v} for k, v in sorted(tags.items())]
        return 200, {"Tags": {"Items": items}}

    def op_UpdateDistribution(self, p: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        distribution = self.state.update_distribution(
            p["Id"], p.get("IfMatch"), p["DistributionConfig"]
        )
        return 200, {
            "Distribution": self.state.distribution_view(distribution),
            "ETag": distribution.etag,
        }

    def op_ListDistributions(self, p: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self.state.lock:
            return 200, self._distribution_list(list(self.state.distributions.values()), p)

    def op_ListDistributionsByConnectionMode(self, p: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        mode = p.get("ConnectionMode")
        if mode not in CONNECTION_MODES:
            raise ApiError(
                "InvalidArgument",
                f"ConnectionMode {mode!r} is not one of {', '.join(CONNECTION_MODES)}.",
            )
        with self.state.lock:
            chosen = [
                d
                for d in self.state.distributions.values()
                if d.config.get("ConnectionMode", "direct") == mode
            ]
            return 200, self._distribution_list(chosen, p)

    def _distribution_list(
        self, distributions: list[Distribution], p: dict[str, Any]
    ) -> dict[str, Any]:
        """A DistributionList page: Marker echoed, NextMarker "the ID of the last
        distribution on that page" when there are more (API_ListDistributions)."""
        limit = max_items(p.get("MaxItems"))
        shown, next_marker = page_after(distributions, lambda d: d.id, p.get("Marker"), limit)
        answer: dict[str, Any] = {
            "Marker": p.get("Marker") or "", "MaxItems": limit,
            "IsTruncated": next_marker is not None, "Quantity": len(shown),
            "Items": [self.state.distribution_summary(d) for d in shown],
        }  # fmt: skip
        if next_marker is not None:
            answer["NextMarker"] = next_marker
        return {"DistributionList": answer}

    def op_DeleteDistribution(self, p: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        self.state.delete_distribution(p["Id"], p.get("IfMatch"))
        return 204, {}

    # ---- distribution tenants ----
    def _tenant_answer(self, tenant: Tenant) -> dict[str, Any]:
        return {"DistributionTenant": self.state.tenants.tenant_view(tenant), "ETag": tenant.etag}

    def op_CreateDistributionTenant(self, p: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self.state.lock:
            return 201, self._tenant_answer(self.state.tenants.create_tenant(p))

    def op_GetDistributionTenant(self, p: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self.state.lock:
            return 200, self._tenant_answer(self.state.tenants.tenant(p["Identifier"]))

    def op_GetDistributionTenantByDomain(self, p: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self.state.lock:
            return 200, self._tenant_answer(self.state.tenants.tenant_by_domain(p["Domain"]))

    def op_UpdateDistributionTenant(self, p: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self.state.lock:
            tenant = self.state.tenants.update_tenant(p["Id"], p.get("IfMatch"), p)
            return 200, self._tenant_answer(tenant)

    def op_DeleteDistributionTenant(self, p: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        self.state.tenants.delete_tenant(p["Id"], p.get("IfMatch"))
        return 204, {}

    def op_ListDistributionTenants(self, p: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        wanted = p.get("AssociationFilter") or {}
        with self.state.lock:
            tenants = self.state.tenants
            if wanted.get("DistributionId") and wanted["DistributionId"] not in (
                self.state.distributions
            ):
                raise ApiError(
                    "EntityNotFound", f"The distribution {wanted['DistributionId']} does not exist."
                )
            if wanted.get("ConnectionGroupId"):
                tenants.group(wanted["ConnectionGroupId"])
            chosen = [
                t
                for t in tenants.tenants.values()
                if wanted.get("DistributionId") in (None, "", t.distribution_id)
                and wanted.get("ConnectionGroupId") in (None, "", t.connection_group_id)
            ]
            return 200, self._tenant_list(chosen, p)

    def op_ListDistributionTenantsByCustomization(
        self, p: dict[str, Any]
    ) -> tuple[int, dict[str, Any]]:
        web_acl, certificate = p.get("WebACLArn"), p.get("CertificateArn")
        # "You must specify either the CertificateArn parameter or WebACLArn parameter,
        # but not both in the same request" (ListDistributionTenantsByCustomization).
        if bool(web_acl) == bool(certificate):
            raise ApiError(
                "InvalidArgument", "Give either WebACLArn or CertificateArn, not both or neither."
            )
        with self.state.lock:
            chosen = [
                t
                for t in self.state.tenants.tenants.values()
                if (
                    ((t.customizations or {}).get("WebAcl") or {}).get("Arn") == web_acl
                    if web_acl
                    else ((t.customizations or {}).get("Certificate") or {}).get("Arn")
                    == certificate
                )
            ]
            return 200, self._tenant_list(chosen, p)

    def _tenant_list(self, tenants: list[Tenant], p: dict[str, Any]) -> dict[str, Any]:
        limit = max_items(p.get("MaxItems"))
        shown, next_marker = page_after(tenants, lambda t: t.id, p.get("Marker"), limit)
        answer: dict[str, Any] = {
            "DistributionTenantList": [self.state.tenants.tenant_summary(t) for t in shown]
        }
        if next_marker is not None:
            answer["NextMarker"] = next_marker
        return answer

    # ---- connection groups ----
    def _group_answer(self, identifier: str) -> dict[str, Any]:
        group = self.state.tenants.group(identifier)
        return {"ConnectionGroup": self.state.tenants.group_view(group), "ETag": group.etag}

    def op_CreateConnectionGroup(self, p: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        items = (p.get("Tags") or {}).get("Items") or []
        with self.state.lock:
            group = self.state.tenants.create_group(
                p["Name"],
                ipv6_enabled=p.get("Ipv6Enabled") is not False,
                enabled=p.get("Enabled") is not False,
                anycast_ip_list_id=p.get("AnycastIpListId"),
                viewer_fallback=p.get("ViewerFallback"),
                tags={t["Key"]: t.get("Value", "") for t in items},
            )
            return 201, self._group_answer(group.id)

    def op_GetConnectionGroup(self, p: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self.state.lock:
            return 200, self._group_answer(p["Identifier"])

    def op_GetConnectionGroupByRoutingEndpoint(
        self, p: dict[str, Any]
    ) -> tuple[int, dict[str, Any]]:
        with self.state.lock:
            group = self.state.tenants.group_by_endpoint(p["RoutingEndpoint"])
            return 200, self._group_answer(group.id)

    def op_UpdateConnectionGroup(self, p: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self.state.lock:
            group = self.state.tenants.update_group(p["Id"], p.get("IfMatch"), p)
            return 200, self._group_answer(group.id)

    def op_DeleteConnectionGroup(self, p: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        self.state.tenants.delete_group(p["Id"], p.get("IfMatch"))
        return 204, {}

    def op_ListConnectionGroups(self, p: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        anycast = (p.get("AssociationFilter") or {}).get("AnycastIpListId")
        with self.state.lock:
            tenants = self.state.tenants
            chosen = [
                g for g in tenants.groups.values() if not anycast or g.anycast_ip_list_id == anycast
            ]
            limit = max_items(p.get("MaxItems"))
            shown, next_marker = page_after(chosen, lambda g: g.id, p.get("Marker"), limit)
            answer: dict[str, Any] = {"ConnectionGroups": [tenants.group_summary(g) for g in shown]}
        if next_marker is not None:
            answer["NextMarker"] = next_marker
        return 200, answer


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
