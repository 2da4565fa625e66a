"""A local KeyValueStore for ``cf.kvs()``: a JSON file of keys to values.

The file is an object; string values are stored as they are, any other JSON value as its
JSON text (what ``get(key, {format: 'json'})`` parses back). CloudFront's limits apply:
keys up to 512 bytes, values up to 1 KB, 5 MB in all.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cffunc.errors import CffuncError

MAX_KEY_BYTES = 512
MAX_VALUE_BYTES = 1024
MAX_STORE_BYTES = 5 * 1024 * 1024
FIXED_TIME = "2026-01-01T00:00:00Z"


class KvsError(CffuncError):
    """The local KeyValueStore file is unreadable or breaks CloudFront's limits."""


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
    items: dict[str, str] = {}
    total = 0
    for key, value in raw.items():
        text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
        if not key or len(key.encode()) > MAX_KEY_BYTES:
            raise KvsError(f"{where}: key {key[:40]!r} must be 1-{MAX_KEY_BYTES} bytes")
        if len(text.encode()) > MAX_VALUE_BYTES:
            raise KvsError(f"{where}: the value of {key!r} is over {MAX_VALUE_BYTES} bytes")
        total += len(key.encode()) + len(text.encode())
        items[key] = text
    if total > MAX_STORE_BYTES:
        raise KvsError(
            f"{where}: the store holds {total:,} bytes; the limit is {MAX_STORE_BYTES:,}"
        )
    return KeyValueData(items)


def load_kvs(path: Path) -> KeyValueData:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise KvsError(f"{path}: cannot read the KeyValueStore file: {error}") from None
    if not isinstance(raw, dict):
        raise KvsError(f'{path}: give a JSON object of keys to values, e.g. {{"mode": "on"}}')
    return kvs_from_mapping(raw, str(path))
