"""What a scope is: the hosts, path patterns, methods and distribution tenants maintenance
covers, and which host names and tenant ids a scope accepts. How a request is matched
against one is the function's business (:mod:`cffunc.function.scopes`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from cffunc.errors import CffuncError

Methods = Literal["all", "writes"]
METHODS: tuple[Methods, ...] = ("all", "writes")
READS = ("GET", "HEAD", "OPTIONS")
"""What read-only mode lets through."""

_LABEL = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
HOST_PATTERN = re.compile(rf"(?:\*\.)?(?:{_LABEL}\.)*{_LABEL}")
MAX_HOST_CHARS = 253
HOST_HINT = (
    "give a host name such as shop.example.com or *.eu.example.com (no scheme, path or port)"
)
TENANT_ID = re.compile(r"dt_[A-Za-z0-9]{1,125}")
"""A distribution tenant's id. The API model gives its ``Id`` no pattern; every id AWS
documents is ``dt_`` and letters and digits (dt_1a2b3c4d5e6f7 in the developer guide's
saas-specific-logic-function-code.html, dt_2yN5tYwVbPKr7m2IB69M1yp1AB in the CLI reference
of create-distribution-tenant), and so are the local API's. At most 128 characters keeps
its store key (``cffunc:tenant:<id>``) far inside the 512-byte key limit."""
TENANT_HINT = "give a distribution tenant's id, e.g. dt_2yN5tYwVbPKr7m2IB69M1yp1AB"
PLACEHOLDER = re.compile(r"\{tenant\.([A-Za-z0-9_-]{1,128})(?:\|([^{}]*))?\}")
"""``{tenant.NAME}`` or ``{tenant.NAME|default}`` in a message: NAME is a tenant
parameter's name (the API's ParameterName: letters, digits, ``-`` and ``_``), the default
any text without braces (:mod:`cffunc.function.tenants`). The rendered function gets this
same regex (``js_regex``)."""
PLACEHOLDER_START = "{tenant."
PLACEHOLDER_HINT = (
    "write {tenant.NAME} or {tenant.NAME|default text}: NAME is a tenant parameter's name "
    "(letters, digits, - and _), the default any text without { or }"
)


class ScopeError(CffuncError):
    """A host or path given for a scope is not accepted."""


@dataclass(frozen=True)
class Scope:
    hosts: tuple[str, ...] = ()
    """Lower-case names and ``*.`` wildcards; empty: every host."""
    paths: tuple[str, ...] = ()
    """Path patterns; empty: every path."""
    methods: Methods = "all"
    tenants: tuple[str, ...] = ()
    """Distribution tenant ids; empty: every request, whichever tenant (if any) it came
    through. Given: only requests through one of these tenants."""

    @property
    def whole(self) -> bool:
        """Every request (no narrowing at all)."""
        return not self.hosts and not self.paths and self.methods == "all" and not self.tenants

    def describe(self) -> str:
        parts = [", ".join(self.hosts) if self.hosts else "every host"]
        if self.tenants:
            parts.append(
                ("tenant " if len(self.tenants) == 1 else "tenants ") + ", ".join(self.tenants)
            )
        if self.paths:
            parts.append("paths " + ", ".join(self.paths))
        if self.methods == "writes":
            parts.append("read-only (writes in maintenance)")
        return "; ".join(parts)


def host_error(text: str) -> str | None:
    """Why ``text`` is not a host name or wildcard a scope accepts; None when it is."""
    if "://" in text or "/" in text:
        return f"{text!r} has a scheme or a path; {HOST_HINT}"
    if ":" in text:
        return f"{text!r} has a port; {HOST_HINT}"
    if len(text) > MAX_HOST_CHARS or not HOST_PATTERN.fullmatch(text.lower()):
        return f"{text!r} is not a host name; {HOST_HINT}"
    return None


def parse_hosts(texts: Iterable[str]) -> tuple[str, ...]:
    """Hosts for a scope, lower-cased, duplicates dropped; ScopeError names a bad one."""
    out: list[str] = []
    for text in texts:
        error = host_error(text)
        if error:
            raise ScopeError(error)
        if text.lower() not in out:
            out.append(text.lower())
    return tuple(out)


def tenant_error(text: str) -> str | None:
    """Why ``text`` is not a tenant id a scope accepts (with the fix); None when it is."""
    if TENANT_ID.fullmatch(text):
        return None
    if "." in text and host_error(text) is None:
        return (
            f"{text!r} is a domain; {TENANT_HINT} (`aws cloudfront "
            f"get-distribution-tenant-by-domain --domain {text}` shows it)"
        )
    return f"{text!r} is not a tenant id; {TENANT_HINT}"


def placeholder_error(text: str) -> str | None:
    """Why ``text`` (a message) holds a ``{tenant.`` that is not a placeholder; None when
    every one is."""
    rest = PLACEHOLDER.sub("", text)
    at = rest.find(PLACEHOLDER_START)
    if at < 0:
        return None
    shown = rest[at : at + 40]
    return f"{shown!r} is not a tenant placeholder; {PLACEHOLDER_HINT}"


def has_placeholder(text: str | None) -> bool:
    return text is not None and PLACEHOLDER.search(text) is not None
