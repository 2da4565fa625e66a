"""The local API's control calls (``/__cffunc/...``), each body read and checked whole
before anything changes.

Tests, and people trying failure modes by hand, drive these calls. A value the emulator
cannot use must be refused at once (400, with what to fix), never taken in to break a
later, unrelated call: ``after-read`` once took ``{"DefaultCacheBehavior": 5}`` and every
GetDistributionConfig after it answered 500. So each call is read into a frozen request
here; the app applies only what passed. A distribution config set through ``after-read``
plays another client's UpdateDistribution, so the app also holds it to what CloudFront
accepts (:func:`cffunc.emulator.protocol.shape_problem`, and the state's own rules).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from cffunc.runtime.local_store import MAX_KEY_BYTES, MAX_STORE_BYTES, MAX_VALUE_BYTES

CONTROL_PLANE_FAULTS = {
    "Throttling": ("Throttling", 400, "Rate exceeded"),
    "PreconditionFailed": (
        "PreconditionFailed",
        412,
        "The precondition given in one or more of the request-header fields evaluated to false.",
    ),
    "AccessDenied": ("AccessDenied", 403, "Access denied."),
    "InternalError": ("InternalError", 500, "We encountered an internal error. Please try again."),
}
DATA_PLANE_FAULTS = {
    "ConflictException": ("ConflictException", 409, "The key value store changed meanwhile."),
    "ThrottlingException": ("ThrottlingException", 429, "Rate exceeded"),
    "AccessDeniedException": ("AccessDeniedException", 403, "Access denied."),
    "InternalServerException": ("InternalServerException", 500, "Internal error."),
}
FAULT_CODES = {**CONTROL_PLANE_FAULTS, **DATA_PLANE_FAULTS}
DATA_PLANE = "kvs:"
"""Data-plane operations are named ``kvs:<Operation>``."""
MAX_FAULTS = 10_000
MAX_CLOCK_SECONDS = 10 * 365 * 86400
"""How far ahead the clock may run, in all: enough for any deployment or window."""


class ControlError(ValueError):
    """A control call that is refused, with what to fix."""


@dataclass(frozen=True)
class FaultRequest:
    operation: str
    error: str
    count: int
    after: int


@dataclass(frozen=True)
class AfterReadRequest:
    distribution: str
    values: Mapping[str, Any]
    """DistributionConfig members, each replacing the config's."""


@dataclass(frozen=True)
class ClockRequest:
    seconds: float


@dataclass(frozen=True)
class StoreWriteRequest:
    values: Mapping[str, str]


@dataclass(frozen=True)
class CallsRequest:
    pass


Request = FaultRequest | AfterReadRequest | ClockRequest | StoreWriteRequest | CallsRequest
CALLS = ("faults", "after-read", "clock", "kvs-write", "calls")


def read(
    path: str,
    body: bytes,
    operations: Collection[str],
    data_plane: Collection[str],
    others: Collection[str] = (),
) -> Request:
    """The request a control call makes; ControlError when any of it is wrong.
    ``operations`` and ``data_plane`` are the operation names the emulator answers,
    ``others`` the paths of control calls answered elsewhere (for the message)."""
    call = path.removeprefix("/__cffunc/")
    if call not in CALLS:
        names = [*CALLS, *(other.removeprefix("/__cffunc/") for other in others)]
        raise ControlError(f"no control call {_shown(path)}: there are {', '.join(names)}")
    data = json_object(body)
    if call == "faults":
        _fields(data, ("operation", "error"), ("count", "after"))
        return _fault(data, operations, data_plane)
    if call == "after-read":
        _fields(data, ("distribution", "set"), ())
        distribution, values = data["distribution"], data["set"]
        if not isinstance(distribution, str):
            raise ControlError(f"distribution is a distribution id, not {_shown(distribution)}")
        if not isinstance(values, dict):
            raise ControlError(
                f"set is an object of DistributionConfig members, not {_shown(values)}"
            )
        return AfterReadRequest(distribution, MappingProxyType(values))
    if call == "clock":
        _fields(data, (), ("advance",))
        seconds = data.get("advance", 0)
        if (
            isinstance(seconds, bool)
            or not isinstance(seconds, int | float)
            or not 0 <= seconds <= MAX_CLOCK_SECONDS
        ):
            raise ControlError(f"advance {_shown(seconds)}: give seconds from 0 to ten years")
        return ClockRequest(float(seconds))
    if call == "kvs-write":
        _fields(data, ("set",), ())
        return StoreWriteRequest(MappingProxyType(_store_values(data["set"])))
    _fields(data, (), ())
    return CallsRequest()


def json_object(body: bytes) -> dict[str, Any]:
    """A control call's body: a JSON object (none: ``{}``)."""
    try:
        data = json.loads(body or b"{}", parse_constant=_no_constant)
    except (ValueError, RecursionError) as error:  # RecursionError: nesting too deep
        raise ControlError(f"the body is not JSON: {_shortened(str(error))}") from None
    if not isinstance(data, dict):
        raise ControlError(f"the body must be a JSON object, not {_shown(data)}")
    return data


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _fields(data: dict[str, Any], required: tuple[str, ...], optional: tuple[str, ...]) -> None:
    known = required + optional
    for name in data:
        if name not in known:
            takes = f"it takes {', '.join(known)}" if known else "it takes no fields"
            raise ControlError(f"unknown field {_shown(name)}: {takes}")
    for name in required:
        if name not in data:
            raise ControlError(f"missing field {name!r}")


def _fault(
    data: dict[str, Any], operations: Collection[str], data_plane: Collection[str]
) -> FaultRequest:
    operation, error = data["operation"], data["error"]
    name = operation if isinstance(operation, str) else ""
    if name.startswith(DATA_PLANE):
        known, codes = name.removeprefix(DATA_PLANE) in data_plane, DATA_PLANE_FAULTS
    else:
        known, codes = name in operations, CONTROL_PLANE_FAULTS
    if not known:
        raise ControlError(
            f"operation {_shown(operation)} is not one this emulator answers: "
            f"{', '.join(sorted(operations))}, or {DATA_PLANE}<Operation> for "
            f"{', '.join(sorted(data_plane))}"
        )
    if not isinstance(error, str) or error not in codes:
        raise ControlError(f"error {_shown(error)} for {operation}: use one of {', '.join(codes)}")
    return FaultRequest(operation, error, _whole(data, "count", 1, 1), _whole(data, "after", 0, 0))


def _whole(data: dict[str, Any], name: str, default: int, low: int) -> int:
    value = data.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= MAX_FAULTS:
        raise ControlError(f"{name} {_shown(value)}: give a whole number, {low} to {MAX_FAULTS}")
    return value


def _store_values(values: Any) -> dict[str, str]:
    """Keys and values as the data plane's PutKey takes them, within a store's size."""
    if not isinstance(values, dict):
        raise ControlError(f"set is an object of keys and string values, not {_shown(values)}")
    size = 0
    for key, value in values.items():
        if not isinstance(value, str):
            raise ControlError(f"the value of {_shown(key)} must be a string, not {_shown(value)}")
        try:
            key_bytes, value_bytes = len(key.encode()), len(value.encode())
        except UnicodeEncodeError:
            raise ControlError(f"key {_shown(key)} or its value is not valid Unicode") from None
        if not 1 <= key_bytes <= MAX_KEY_BYTES:
            raise ControlError(f"key {_shown(key)}: keys are 1-{MAX_KEY_BYTES} bytes")
        if value_bytes > MAX_VALUE_BYTES:
            raise ControlError(f"the value of {_shown(key)} is over {MAX_VALUE_BYTES} bytes")
        size += key_bytes + value_bytes
    if size > MAX_STORE_BYTES:
        raise ControlError(f"these keys hold over {MAX_STORE_BYTES} bytes, a store's limit")
    return dict(values)


def _shown(value: Any) -> str:
    """A value in a message, cut short: a control body may be 2 MiB."""
    try:
        return _shortened(json.dumps(value, ensure_ascii=True))
    except (ValueError, RecursionError):
        return "that value"


def _shortened(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
