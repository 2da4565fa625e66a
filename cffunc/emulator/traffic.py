"""How many calls of each operation the local API answered, and throttling on request.

A fleet of distributions is changed with many API calls, and AWS answers bursts of them
with a throttling error, which clients retry. Two control calls let tests and benchmarks
see both sides: ``/__cffunc/throttle`` makes the next N calls of an operation (or every
k-th) answer CloudFront's throttling error, and ``/__cffunc/call-counts`` reads (and
resets) the calls counted per operation.

CloudFront's model defines no throttling error; what clients receive is HTTP 400, code
``Throttling``, message "Rate exceeded" (ansible-collections/community.aws#296 shows it
from UpdateDistribution), which botocore's retry modes take as throttling
(``botocore/retries/standard.py``, ``_THROTTLED_ERROR_CODES``).
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass
from typing import Any

from cffunc.emulator.protocol import ApiError, service_model

ANY = "*"
THROTTLE_PATH = "/__cffunc/throttle"
COUNTS_PATH = "/__cffunc/call-counts"


def throttling() -> ApiError:
    return ApiError("Throttling", "Rate exceeded", 400)


@dataclass
class ThrottleRule:
    operation: str
    """A CloudFront operation name, or ``*`` for every one."""
    every: int
    remaining: int | None
    """Throttled answers still to give; None: no end (until cleared)."""
    seen: int = 0


def _whole(data: dict[str, Any], key: str, default: int | None) -> int | None:
    value = data.get(key, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 1_000_000:
        raise ValueError(f"{key} {value!r}: give a whole number from 1 to 1000000")
    return value


class Traffic:
    """Counts every answered call by operation and throttles the ones a rule picks."""

    paths = (THROTTLE_PATH, COUNTS_PATH)

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.counts: Counter[str] = Counter()
        self.throttled: Counter[str] = Counter()
        self.rules: list[ThrottleRule] = []

    def record(self, operation: str, throttle: bool = True) -> ApiError | None:
        """Count a call; the throttling error it gets, if a rule picks it. ``throttle``
        False: only counted (a call already answered by an injected fault, or one of the
        KeyValueStore data plane's, recorded as ``kvs:<Operation>``)."""
        with self._lock:
            self.counts[operation] += 1
            if not throttle:
                return None
            picked = False
            for rule in self.rules:
                if rule.operation not in (ANY, operation):
                    continue
                rule.seen += 1
                if not picked and rule.seen % rule.every == 0:
                    picked = True
                    if rule.remaining is not None:
                        rule.remaining -= 1
            self.rules = [r for r in self.rules if r.remaining is None or r.remaining > 0]
            if not picked:
                return None
            self.throttled[operation] += 1
            return throttling()

    def control(self, path: str, data: Any) -> dict[str, Any]:
        """Answer a control call; ValueError (a 400) on bad input, before any change."""
        if not isinstance(data, dict):
            raise ValueError("the body is a JSON object")
        if path == THROTTLE_PATH:
            return self._throttle(data)
        return self._counts(data)

    def _throttle(self, data: dict[str, Any]) -> dict[str, Any]:
        if "clear" in data:
            if data != {"clear": True}:
                raise ValueError('to drop every throttling rule, send {"clear": true} alone')
            with self._lock:
                self.rules.clear()
            return {"rules": 0}
        unknown = set(data) - {"operation", "count", "every"}
        if unknown:
            raise ValueError(f"unknown keys {sorted(unknown)}; use operation, count, every")
        operation = data.get("operation")
        if operation != ANY and operation not in service_model().operation_names:
            raise ValueError(
                f"operation {operation!r}: give a CloudFront operation name "
                '(UpdateDistribution, ...) or "*" for every operation'
            )
        every = _whole(data, "every", 1) or 1
        # Without "every" the next call is throttled once by default; with it, every k-th
        # call until cleared unless "count" bounds it.
        count = _whole(data, "count", None if "every" in data else 1)
        with self._lock:
            self.rules.append(ThrottleRule(str(operation), every, count))
            return {"rules": len(self.rules)}

    def _counts(self, data: dict[str, Any]) -> dict[str, Any]:
        unknown = set(data) - {"reset"}
        if unknown or not isinstance(data.get("reset", False), bool):
            raise ValueError('the body is {} or {"reset": true}')
        with self._lock:
            answer = {
                "calls": dict(sorted(self.counts.items())),
                "throttled": dict(sorted(self.throttled.items())),
                "total": sum(self.counts.values()),
            }
            if data.get("reset"):
                self.counts.clear()
                self.throttled.clear()
            return answer
