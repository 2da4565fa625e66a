"""Which requests maintenance covers: hosts, path patterns and methods (a *scope*).

A scope narrows maintenance; a request outside it passes as if maintenance were off. The
config gives one (``[maintenance] hosts/paths/methods``, baked into the function); with
toggle = "kvs" the store holds more at run time (:mod:`cffunc.function.store_layout`),
each inside the config's. The rendered function carries the same rules (parts/scope.js.j2); the
differential tests hold the two to each other.

- **Hosts**: exact names (``shop.example.com``) and ``*.`` wildcards (``*.eu.example.com``
  covers any name ending in ``.eu.example.com``, at any depth, not the name itself),
  compared case-insensitively with the request's Host header, its port and one trailing
  dot removed. A request without a Host header (CloudFront always forwards one) is inside
  every host scope: fail safe.
- **Paths**: CloudFront path patterns. A URI that is not in the plainly safe form
  (:data:`cffunc.function.paths.SAFE_URI`) is inside every path scope: an origin might read
  it as a path in scope.
- **Methods**: ``all``, or ``writes`` (read-only mode): GET, HEAD and OPTIONS pass, any
  other method is in maintenance and gets a JSON or text answer, never a rewrite.
"""

from __future__ import annotations

import re

from cffunc.config.scope import READS, Methods, Scope
from cffunc.function.paths import first_match, is_safe

__all__ = ["READS", "Methods", "Scope", "covers", "host_matches", "request_host"]


def request_host(header: str) -> str:
    """The Host header as scopes compare it: lower case, no port, no trailing dot.
    (parts/scope.js.j2 does the same.)"""
    host = header.lower()
    if host.startswith("["):  # an IPv6 literal, "[2001:db8::1]:443"
        end = host.find("]")
        return host[: end + 1] if end > 0 else host
    colon = host.rfind(":")
    if colon >= 0 and re.fullmatch(r"[0-9]*", host[colon + 1 :]):
        host = host[:colon]
    return host[:-1] if host.endswith(".") else host


def host_matches(pattern: str, host: str) -> bool:
    """An exact name, or a ``*.`` wildcard covering names below it at any depth."""
    if pattern.startswith("*."):
        return len(host) > len(pattern) - 1 and host.endswith(pattern[1:])
    return pattern == host


def covers(scope: Scope, method: str, uri: str, host: str) -> bool:
    """Whether a request with this method, URI and (normalised) host is inside ``scope``."""
    if scope.methods == "writes" and method in READS:
        return False
    if scope.hosts and host and not any(host_matches(p, host) for p in scope.hosts):
        return False
    return not scope.paths or not is_safe(uri) or first_match(scope.paths, uri) is not None
