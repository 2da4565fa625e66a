"""The decision rules of SPEC section 3 in plain Python: the oracle for the JavaScript.

It shares nothing with the rendered function but :class:`~cffunc.rules.MaintenanceRules`:
IPs are matched with :mod:`ipaddress`, path patterns with :mod:`fnmatch`, cookies with
:mod:`hmac`. Tests run the same requests through both and compare; ``replay`` uses it to
say which rule let a request through.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from cffunc import bypass
from cffunc.pathpatterns import first_match, is_ambiguous
from cffunc.rules import MaintenanceRules

Action = Literal["pass", "maintenance", "redirect"]
Answer = Literal["json", "page", "rewrite", "text"]
Rule = Literal[
    "outside-window", "bypass-token", "allowed-ip", "bypass-cookie", "allowed-path", "maintenance"
]


@dataclass(frozen=True)
class ViewerRequest:
    """What the function reads of a viewer request (first values of repeated names)."""

    ip: str
    method: str = "GET"
    uri: str = "/"
    querystring: Mapping[str, str] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    """Lower-case names."""
    cookies: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Decision:
    action: Action
    rule: Rule
    matched: str | None = None
    """The CIDR or path pattern that let the request through."""
    answer: Answer | None = None
    """How a maintenance request is answered: a generated JSON, page or text response, or
    a rewrite to the maintenance object."""


def decide(rules: MaintenanceRules, request: ViewerRequest, now: datetime) -> Decision:
    """What the viewer-request function does with ``request`` at ``now``."""
    now_ms = round(now.timestamp() * 1000)
    if (rules.window_start_ms is not None and now_ms < rules.window_start_ms) or (
        rules.window_end_ms is not None and now_ms >= rules.window_end_ms
    ):
        return Decision("pass", "outside-window")
    if (
        rules.bypass is not None
        and request.method == "GET"
        and request.uri == rules.bypass.path
        and bypass.token_matches(rules.bypass.keys, request.querystring.get("token", ""))
    ):
        return Decision("redirect", "bypass-token")
    network = matching_network(rules, request.ip)
    if network is not None:
        return Decision("pass", "allowed-ip", matched=network)
    if rules.bypass is not None and bypass.cookie_valid(
        rules.bypass.keys, request.cookies.get(rules.bypass.cookie, ""), now_ms
    ):
        return Decision("pass", "bypass-cookie")
    if not is_ambiguous(request.uri):
        pattern = first_match(rules.paths, request.uri)
        if pattern is not None:
            return Decision("pass", "allowed-path", matched=pattern)
    return Decision("maintenance", "maintenance", answer=_answer(rules, request))


def _answer(rules: MaintenanceRules, request: ViewerRequest) -> Answer:
    if rules.json and prefers_json(request.headers.get("accept", "")):
        return "json"
    if rules.mode == "respond":
        return "page"
    # An object store cannot answer POST and the like with the object, and an error from
    # the origin skips the viewer-response half, so those get a generated answer.
    return "rewrite" if request.method in ("GET", "HEAD") else "text"


def prefers_json(accept: str) -> bool:
    """``application/json`` listed before any ``text/html`` (order decides, not q-values)."""
    for item in accept.lower().split(","):
        media_type = item.split(";")[0].strip(" \t")  # HTTP's optional whitespace only
        if media_type == "application/json":
            return True
        if media_type == "text/html":
            return False
    return False


def matching_network(rules: MaintenanceRules, ip: str) -> str | None:
    """The allowed network holding ``ip``; None for no match or a malformed address."""
    if "%" in ip:  # a scoped address is never a viewer address
        return None
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return None
    for network in rules.networks:
        if address.version == network.version and address in network:
            return str(network)
    return None


def decide_response(
    rules: MaintenanceRules, request: ViewerRequest, now: datetime, marked: bool
) -> bool:
    """Whether the viewer-response half turns the origin's answer into the maintenance status.

    ``marked``: the request carries the marker the viewer-request half sets when it rewrites.
    Whether CloudFront shows viewer-response the original or the rewritten request is not
    documented; the marker makes the answer right either way.
    """
    return marked or decide(rules, request, now).answer == "rewrite"
