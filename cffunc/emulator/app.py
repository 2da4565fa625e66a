"""The local CloudFront API: moto's server, with the CloudFront operations cffunc needs.

Requests for functions and distributions are answered here (:mod:`.state` keeps the
rules); every other request, CloudFront's or another service's, goes on to moto. A few
control endpoints under ``/__cffunc/`` let tests inject faults, play a concurrent writer
and move the deployment clock.
"""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from cffunc.emulator.kvs import KvsApiError, error_answer
from cffunc.emulator.protocol import ApiError, error_body, match, parse_request, serialize_response
from cffunc.emulator.state import CloudFrontState, function_arn, store_arns

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]
HANDLED_PREFIXES = (
    "/2020-05-31/function", "/2020-05-31/distribution", "/2020-05-31/key-value-store",
    "/2020-05-31/tagging",
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


FAULT_CODES = {
    "Throttling": ("Throttling", 400, "Rate exceeded"),
    "PreconditionFailed": (
        "PreconditionFailed",
        412,
        "The precondition given in one or more of the request-header fields evaluated to false.",
    ),
    "AccessDenied": ("AccessDenied", 403, "Access denied."),
    "InternalError": ("InternalError", 500, "We encountered an internal error. Please try again."),
    "ConflictException": ("ConflictException", 409, "The key value store changed meanwhile."),
    "ThrottlingException": ("ThrottlingException", 429, "Rate exceeded"),
    "AccessDeniedException": ("AccessDeniedException", 403, "Access denied."),
    "InternalServerException": ("InternalServerException", 500, "Internal error."),
}


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

        def change(store: Any) -> None:
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
        found = match(method, path, query)
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
        path = environ["PATH_INFO"]
        if not from_this_machine(environ):
            start_response("403 Forbidden", [("Content-Type", "application/json")])
            return [
                b'{"error": "control calls take Content-Type: application/json and a '
                b'loopback Host"}'
            ]
        try:
            data = json.loads(body_of(environ) or b"{}")
            if path == "/__cffunc/faults":
                self.faults.add(
                    data["operation"], data["error"], int(data.get("count", 1)),
                    int(data.get("after", 0)),
                )  # fmt: skip
                answer: Any = {"ok": True}
            elif path == "/__cffunc/after-read":
                values = dict(data["set"])
                self.change_after_next_read(
                    data["distribution"], lambda config: config.update(values)
                )
                answer = {"ok": True}
            elif path == "/__cffunc/clock":
                clock = self.state.clock
                if not isinstance(clock, Clock):
                    raise ValueError("this emulator's clock cannot be moved")
                seconds = float(data.get("advance", 0))
                if not 0 <= seconds <= 10 * 365 * 86400:
                    raise ValueError(f"advance {seconds}: give seconds from 0 to ten years")
                clock.offset += timedelta(seconds=seconds)
                answer = {"now": clock().isoformat()}
            elif path == "/__cffunc/kvs-write":
                # A concurrent writer: the next data-plane write finds these keys already
                # changed by someone else (so the writer's ETag is stale).
                values = dict(data["set"])
                self.change_store_before_next_write(values)
                answer = {"ok": True}
            elif path == "/__cffunc/calls":
                answer = {"calls": self.calls}
            else:
                raise KeyError(path)
        except (KeyError, ValueError, TypeError, OverflowError, ApiError) as error:
            start_response("400 Bad Request", [("Content-Type", "application/json")])
            return [json.dumps({"error": str(error)}).encode()]
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps(answer).encode()]

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

    # ---- tags (distributions'; a tag is no config change: nothing deploys) ----
    def op_TagResource(self, p: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        tags = self.state.tags_of(p["Resource"])
        for item in (p.get("Tags") or {}).get("Items") or []:
            tags[item["Key"]] = item.get("Value", "")
        if len(tags) > 50:
            raise ApiError("InvalidTagging", "A resource can have at most 50 tags.")
        return 204, {}

    def op_UntagResource(self, p: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        tags = self.state.tags_of(p["Resource"])
        for key in (p.get("TagKeys") or {}).get("Items") or []:
            tags.pop(key, None)
        return 204, {}

    def op_ListTagsForResource(self, p: dict[str, Any]) -> tuple[int, dict[str, Any]]:
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
            items = [
                self.state.distribution_summary(d)
                for _, d in sorted(self.state.distributions.items())
            ]
        return 200, {
            "DistributionList": {
                "Marker": p.get("Marker") or "", "MaxItems": int(p.get("MaxItems") or 100),
                "IsTruncated": False, "Quantity": len(items), "Items": items,
            }
        }  # fmt: skip

    def op_DeleteDistribution(self, p: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self.state.lock:
            distribution = self.state.distribution(p["Id"])
            self.state.check_if_match(p.get("IfMatch"), distribution.etag)
            if distribution.config.get("Enabled") or self.state.status(distribution) != "Deployed":
                raise ApiError(
                    "DistributionNotDisabled",
                    "The distribution you are trying to delete has not been disabled.",
                    409,
                )
            del self.state.distributions[distribution.id]
        return 204, {}


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
