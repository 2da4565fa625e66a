"""What a scope is: the hosts, path patterns and methods maintenance covers, and which
host names a scope accepts. How a request is matched against one is the function's
business (:mod:`cffunc.function.scopes`).
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


class ScopeError(CffuncError):
    """A host or path given for a scope is not accepted."""


@dataclass(frozen=True)
class Scope:
    hosts: tuple[str, ...] = ()
    """Lower-case names and ``*.`` wildcards; empty: every host."""
    paths: tuple[str, ...] = ()
    """Path patterns; empty: every path."""
    methods: Methods = "all"

    @property
    def whole(self) -> bool:
        """Every request (no narrowing at all)."""
        return not self.hosts and not self.paths and self.methods == "all"

    def describe(self) -> str:
        parts = [", ".join(self.hosts) if self.hosts else "every host"]
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
