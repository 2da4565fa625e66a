"""KeyValueStores in the local CloudFront API: the control plane's stores and the data plane.

The control plane (``cloudfront`` CreateKeyValueStore, DescribeKeyValueStore, ...) is
REST-XML like the rest of CloudFront and is answered by :class:`~cffunc.emulator.app.
EmulatorApp`; the data plane (``cloudfront-keyvaluestore``: DescribeKeyValueStore, GetKey,
ListKeys, PutKey, DeleteKey, UpdateKeys) is REST-JSON under ``/key-value-stores/`` and is
answered here. The data has its own ETag: every write needs the current one (``If-Match``)
and a stale one is a ``ConflictException`` (409). CloudFront's limits apply, with the
codes the API gives (:mod:`cffunc.runtime.local_store`): keys up to 512 bytes and values up
to 1 KB (``ValidationException``, 400), 5 MB a store (``ServiceQuotaExceededException``,
402), 50 keys an UpdateKeys call (``ValidationException``).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar
from urllib.parse import parse_qs, unquote

from cffunc.runtime.local_store import (
    VALIDATION,
    LimitBreach,
    item_bytes,
    key_breach,
    size_breach,
    value_breach,
)

MAX_KEYS_PER_UPDATE = 50
DATA_PLANE_OPERATIONS = (
    "DescribeKeyValueStore", "GetKey", "ListKeys", "PutKey", "DeleteKey", "UpdateKeys",
)  # fmt: skip
ARN_PATTERN = re.compile(r"arn:aws:cloudfront::(\d{12}):key-value-store/([0-9a-f-]+)")


class KvsApiError(Exception):
    """A data-plane error: the code is the model's exception shape."""

    STATUS: ClassVar[dict[str, int]] = {
        "ConflictException": 409,
        "ValidationException": 400,
        "ResourceNotFoundException": 404,
        "ServiceQuotaExceededException": 402,
        "AccessDeniedException": 403,
        "InternalServerException": 500,
        "ThrottlingException": 429,
    }

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = self.STATUS.get(code, 400)


@dataclass
class KeyValueStore:
    name: str
    id: str
    arn: str
    comment: str
    etag: str
    """The control plane's ETag (the store resource: its comment)."""
    created: datetime
    modified: datetime
    data_etag: str
    """The data plane's ETag: changes with every key written."""
    items: dict[str, str] = field(default_factory=dict)
    data_modified: datetime | None = None

    def size(self) -> int:
        return items_size(self.items)

    def control_view(self) -> dict[str, Any]:
        return {
            "Name": self.name, "Id": self.id, "Comment": self.comment, "ARN": self.arn,
            "Status": "READY", "LastModifiedTime": self.modified,
        }  # fmt: skip


def items_size(items: Mapping[str, str]) -> int:
    """Bytes a store's keys and values take, as its limit counts them."""
    return sum(item_bytes(k, v) for k, v in items.items())


def _refuse(breach: LimitBreach | None) -> None:
    if breach is not None:
        raise KvsApiError(breach.code, breach.message)


def _check_key(key: str) -> None:
    _refuse(key_breach(key))


def _check_value(key: str, value: object) -> str:
    if not isinstance(value, str):
        raise KvsApiError(VALIDATION, f"The value of {key} must be a string.")
    _refuse(value_breach(key, value))
    return value


class DataPlane:
    """The ``cloudfront-keyvaluestore`` REST-JSON API over the state's stores."""

    def __init__(
        self,
        stores: Callable[[str], KeyValueStore | None],
        new_etag: Callable[[], str],
        clock: Callable[[], datetime],
        lock: Any,
    ) -> None:
        self.find = stores
        self.new_etag = new_etag
        self.clock = clock
        self.lock = lock
        self.before_write: list[Callable[[KeyValueStore], None]] = []
        """Concurrent writers: each runs once, just before the next write is checked."""

    @staticmethod
    def route(method: str, raw_path: str) -> tuple[str, str, str | None]:
        """(operation, store ARN, key) of a request; KvsApiError for an unknown one."""
        found = re.fullmatch(r"/key-value-stores/([^/]+)(/keys(?:/(.+))?)?", raw_path)
        if found is None:
            raise KvsApiError("ValidationException", f"No such path: {raw_path}")
        arn = unquote(found.group(1))
        keys_part, key = found.group(2), found.group(3)
        if keys_part is None:
            operation = {"GET": "DescribeKeyValueStore"}.get(method, "")
        elif key is None:
            operation = {"GET": "ListKeys", "POST": "UpdateKeys"}.get(method, "")
        else:
            operation = {"GET": "GetKey", "PUT": "PutKey", "DELETE": "DeleteKey"}.get(method, "")
        if not operation:
            raise KvsApiError("ValidationException", f"{method} is not allowed on {raw_path}")
        return operation, arn, unquote(key) if key is not None else None

    def handle(
        self,
        operation: str,
        arn: str,
        key: str | None,
        query: str,
        headers: dict[str, str],
        body: bytes,
    ) -> tuple[int, dict[str, str], dict[str, Any]]:
        """(status, headers, JSON body) for one routed request; KvsApiError on failure."""
        with self.lock:
            store = self.find(arn)
            if store is None:
                raise KvsApiError(
                    "ResourceNotFoundException", f"The key value store {arn} does not exist."
                )
            if operation in ("PutKey", "DeleteKey", "UpdateKeys"):
                for change in self.before_write:
                    change(store)
                self.before_write.clear()
                if_match = headers.get("if-match")
                if not if_match:
                    raise KvsApiError("ValidationException", "If-Match is required.")
                if if_match != store.data_etag:
                    raise KvsApiError(
                        "ConflictException",
                        "The key value store was changed by another request; "
                        "describe it again for the current ETag.",
                    )
            status, out_headers, answer = getattr(self, "_" + operation)(store, key, query, body)
        return status, out_headers, answer

    def _counts(self, store: KeyValueStore) -> dict[str, Any]:
        return {"ItemCount": len(store.items), "TotalSizeInBytes": store.size()}

    def _written(self, store: KeyValueStore) -> tuple[int, dict[str, str], dict[str, Any]]:
        _refuse(size_breach(store.size()))
        store.data_etag = self.new_etag()
        store.data_modified = self.clock()
        return 200, {"ETag": store.data_etag}, self._counts(store)

    def _DescribeKeyValueStore(
        self, store: KeyValueStore, key: str | None, query: str, body: bytes
    ) -> tuple[int, dict[str, str], dict[str, Any]]:
        answer = self._counts(store) | {
            "KvsARN": store.arn,
            "Created": store.created.timestamp(),
            "LastModified": (store.data_modified or store.created).timestamp(),
            "Status": "READY",
        }
        return 200, {"ETag": store.data_etag}, answer

    def _GetKey(
        self, store: KeyValueStore, key: str | None, query: str, body: bytes
    ) -> tuple[int, dict[str, str], dict[str, Any]]:
        assert key is not None
        if key not in store.items:
            raise KvsApiError("ResourceNotFoundException", f"The key {key} does not exist.")
        return 200, {}, {"Key": key, "Value": store.items[key]} | self._counts(store)

    def _ListKeys(
        self, store: KeyValueStore, key: str | None, query: str, body: bytes
    ) -> tuple[int, dict[str, str], dict[str, Any]]:
        values = parse_qs(query)
        limit = int((values.get("MaxResults") or ["50"])[0])
        if not 1 <= limit <= 50:
            raise KvsApiError("ValidationException", "MaxResults must be 1-50.")
        start = (values.get("NextToken") or [""])[0]
        names = sorted(k for k in store.items if k > start) if start else sorted(store.items)
        page = names[:limit]
        answer: dict[str, Any] = {"Items": [{"Key": k, "Value": store.items[k]} for k in page]}
        if len(names) > limit:
            answer["NextToken"] = page[-1]
        return 200, {}, answer

    def _PutKey(
        self, store: KeyValueStore, key: str | None, query: str, body: bytes
    ) -> tuple[int, dict[str, str], dict[str, Any]]:
        assert key is not None
        _check_key(key)
        value = _check_value(key, _json(body).get("Value"))
        before = dict(store.items)
        store.items[key] = value
        return self._write_or_restore(store, before)

    def _DeleteKey(
        self, store: KeyValueStore, key: str | None, query: str, body: bytes
    ) -> tuple[int, dict[str, str], dict[str, Any]]:
        assert key is not None
        if key not in store.items:
            raise KvsApiError("ResourceNotFoundException", f"The key {key} does not exist.")
        del store.items[key]
        return self._written(store)

    def _UpdateKeys(
        self, store: KeyValueStore, key: str | None, query: str, body: bytes
    ) -> tuple[int, dict[str, str], dict[str, Any]]:
        data = _json(body)
        puts = data.get("Puts") or []
        deletes = data.get("Deletes") or []
        if len(puts) + len(deletes) > MAX_KEYS_PER_UPDATE:
            raise KvsApiError(
                "ValidationException", f"At most {MAX_KEYS_PER_UPDATE} keys an update."
            )
        before = dict(store.items)
        for item in puts:
            name = str(item.get("Key", ""))
            _check_key(name)
            store.items[name] = _check_value(name, item.get("Value"))
        for item in deletes:
            store.items.pop(str(item.get("Key", "")), None)
        return self._write_or_restore(store, before)

    def _write_or_restore(
        self, store: KeyValueStore, before: dict[str, str]
    ) -> tuple[int, dict[str, str], dict[str, Any]]:
        try:
            return self._written(store)
        except KvsApiError:
            store.items = before
            raise


def _json(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body or b"{}")
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise KvsApiError("ValidationException", "The body is not JSON.") from None
    if not isinstance(data, dict):
        raise KvsApiError("ValidationException", "The body must be a JSON object.")
    return data


def error_answer(error: KvsApiError) -> tuple[int, dict[str, str], bytes]:
    body = json.dumps({"__type": error.code, "Message": error.message}).encode()
    return (
        error.status,
        {"x-amzn-ErrorType": error.code, "x-amzn-RequestId": str(uuid.uuid4())},
        body,
    )
