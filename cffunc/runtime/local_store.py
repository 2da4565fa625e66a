"""A local KeyValueStore for ``cf.kvs()``: a JSON file of keys to values; and CloudFront's
limits on a store, which this file, cffunc's own store writes and the local CloudFront
API's data plane all enforce with the error the KeyValueStore API gives.

The file is an object; string values are stored as they are, any other JSON value as its
JSON text (what ``get(key, {format: 'json'})`` parses back). The limits: keys up to 512
bytes, values up to 1 KB, 5 MB a store
(https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html,
key value stores; the import file's limits on kvs-with-functions-create-s3-kvp.html).
The errors are the shapes of the data-plane API (botocore model cloudfront-keyvaluestore
2022-07-26): a key or value too large is a ``ValidationException`` ("Validation failed.",
HTTP 400), a store over its size a ``ServiceQuotaExceededException`` ("Limit exceeded.",
HTTP 402). Which shape AWS gives for which limit is inferred (the model names no other
candidate); their message texts beyond those two sentences are not documented.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cffunc.errors import CffuncError

MAX_KEY_BYTES = 512
MAX_VALUE_BYTES = 1024
MAX_STORE_BYTES = 5 * 1024 * 1024
FIXED_TIME = "2026-01-01T00:00:00Z"
VALIDATION = "ValidationException"
QUOTA = "ServiceQuotaExceededException"


class KvsError(CffuncError):
    """The local KeyValueStore file is unreadable or breaks CloudFront's limits."""


@dataclass(frozen=True)
class LimitBreach:
    """A write the KeyValueStore API refuses: its error code and what is wrong."""

    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


def key_breach(key: str) -> LimitBreach | None:
    size = len(key.encode("utf-8"))
    if not 1 <= size <= MAX_KEY_BYTES:
        shown = key[:40] + ("..." if len(key) > 40 else "")
        return LimitBreach(
            VALIDATION, f"the key {shown!r} is {size} bytes; a key holds 1-{MAX_KEY_BYTES} bytes"
        )
    return None


def value_breach(key: str, value: str) -> LimitBreach | None:
    size = len(value.encode("utf-8"))
    if size > MAX_VALUE_BYTES:
        shown = key[:40] + ("..." if len(key) > 40 else "")
        return LimitBreach(
            VALIDATION,
            f"the value of {shown!r} is {size:,} bytes; a value holds at most {MAX_VALUE_BYTES:,}",
        )
    return None


def item_bytes(key: str, value: str) -> int:
    """What one key counts toward the store's size: its key and value, in UTF-8."""
    return len(key.encode("utf-8")) + len(value.encode("utf-8"))


def size_breach(total: int) -> LimitBreach | None:
    if total > MAX_STORE_BYTES:
        return LimitBreach(
            QUOTA,
            f"the store would hold {total:,} bytes; a store holds at most {MAX_STORE_BYTES:,}",
        )
    return None


def write_breach(
    total: int, current: Mapping[str, str | None], changes: Iterable[tuple[str, str | None]]
) -> LimitBreach | None:
    """The first limit a write of ``changes`` (key, new value or None to delete) breaks, on
    a store of ``total`` bytes whose changed keys now hold ``current``; None if it is fine."""
    after = total
    for key, value in changes:
        breach = key_breach(key) or (value_breach(key, value) if value is not None else None)
        if breach is not None:
            return breach
        old = current.get(key)
        after += (item_bytes(key, value) if value is not None else 0) - (
            item_bytes(key, old) if old is not None else 0
        )
    return size_breach(after)


@dataclass(frozen=True)
class KeyValueData:
    items: dict[str, str]
    created: str = FIXED_TIME
    updated: str = FIXED_TIME
    unavailable: bool = False
    """Every read fails, as when the edge cannot read the store."""

    def as_js(self) -> dict[str, Any]:
        return {
            "items": self.items,
            "created": self.created,
            "updated": self.updated,
            "unavailable": self.unavailable,
        }


def kvs_from_mapping(raw: dict[str, Any], where: str = "kvs") -> KeyValueData:
    items = {
        key: value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
        for key, value in raw.items()
    }
    breach = write_breach(0, {}, items.items())
    if breach is not None:
        raise KvsError(f"{where}: {breach}")
    return KeyValueData(items)


def load_kvs(path: Path) -> KeyValueData:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise KvsError(f"{path}: cannot read the KeyValueStore file: {error}") from None
    if not isinstance(raw, dict):
        raise KvsError(f'{path}: give a JSON object of keys to values, e.g. {{"mode": "on"}}')
    return kvs_from_mapping(raw, str(path))
