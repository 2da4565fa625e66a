"""TestFunction, answered by cffunc's local runtime (the same one `cffunc test` uses)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from cffunc.emulator.protocol import ApiError
from cffunc.errors import CffuncError
from cffunc.runtime import FunctionRuntime
from cffunc.runtime.events import EventError, normalise_event
from cffunc.runtime.local_run import test_result
from cffunc.runtime.local_store import KeyValueData


def run_test_function(
    code: bytes,
    runtime: str,
    event_object: bytes,
    now: datetime,
    store: dict[str, str] | None = None,
) -> dict[str, Any]:
    """``store``: the items of the function's associated KeyValueStore."""
    try:
        event = normalise_event(json.loads(event_object or b"null"), "EventObject")
    except (json.JSONDecodeError, UnicodeDecodeError, EventError) as error:
        raise ApiError("InvalidArgument", f"The event object is not valid: {error}") from None
    try:
        engine = FunctionRuntime(
            code.decode("utf-8", errors="replace"),
            runtime,  # type: ignore[arg-type]
            kvs=KeyValueData(dict(store or {})),
        )
    except CffuncError as error:
        return {
            "ComputeUtilization": "0",
            "FunctionExecutionLogs": [],
            "FunctionErrorMessage": str(error),
            "FunctionOutput": "",
        }
    with engine:
        result = test_result(engine, event, round(now.timestamp() * 1000))
    return {
        key: result[key]
        for key in (
            "ComputeUtilization",
            "FunctionExecutionLogs",
            "FunctionErrorMessage",
            "FunctionOutput",
        )
    }
