"""Which requests maintenance covers: hosts, path patterns and methods (a *scope*).

A scope narrows maintenance; a request outside it passes as if maintenance were off. The
config gives one (``[maintenance] hosts/paths/methods``, baked into the function); with
toggle = "kvs" the store holds more at run time (:mod:`cffunc.function.store_layout`),
each inside the config's. The rendered function carries the same rules (parts/scope.js.j2); the
differential tests hold the two to each other.

- **Hosts**: exact names (``shop.example.com``) and ``*.`` wildcards (``*.eu.example.com``
  covers any name ending in ``.eu.example.com``, at any depth, not the name itself),
  compared with the request's Host header in canonical form (:data:`CANONICAL_HOST`:
  lower-cased, without its port and its one trailing dot). A Host that is not in
  canonical form (none at all, a space, a second dot or colon, userinfo, percent-encoding,
  non-ASCII letters, an IPv6 literal, a list) is inside every host scope: origins read
  such a Host in different ways (up to the first ``:``, after an ``@``, trimmed, mapped
  from fullwidth letters), and one of those readings may be a host in scope.
- **Paths**: CloudFront path patterns. A URI that is not in the plainly safe form
  (:data:`cffunc.function.paths.SAFE_URI`) is inside every path scope: an origin might read
  it as a path in scope.
- **Methods**: ``all``, or ``writes`` (read-only mode): GET, HEAD and OPTIONS pass, any
  other method is in maintenance and gets a JSON or text answer, never a rewrite.
- **Tenants**: distribution tenant ids, compared with the tenant as the function reads it
  (:func:`cffunc.function.tenants.tenant_reading`): a tenant that cannot be read on a
  multi-tenant distribution is inside every tenant scope; a request of a standard
  distribution (no tenant at all) is inside none.

The keys narrow together: a request is inside the scope when it is inside each key given
(a listed host AND a listed path AND a write, for ``methods = "writes"``, AND a listed
tenant).
"""

from __future__ import annotations

import re

from cffunc.config.scope import READS, Methods, Scope
from cffunc.function.paths import first_match, is_safe
from cffunc.function.tenants import UNKNOWN

__all__ = [
    "CANONICAL_HOST", "READS", "Methods", "Scope", "covers", "host_matches", "request_host",
]  # fmt: skip

CANONICAL_HOST = re.compile(r"^((?:[A-Za-z0-9-]+\.)*[A-Za-z0-9-]+)\.?(?::[0-9]+)?$")
"""A Host header in canonical form: labels of ASCII letters, digits and hyphens joined by
single dots, at most one trailing dot, then an optional ``:`` and port digits. Group 1 is
the name a scope compares, once lower-cased. The classes are spelled out (no IGNORECASE:
Python would fold the Kelvin sign into ``k``, JavaScript would not), and the rendered
function and replay get this same regex (``js_regex``, or its source), so no reading of a
Host differs between the model and the function."""


def request_host(header: str) -> str | None:
    """The Host header as scopes compare it (lower case, no port, no trailing dot), or
    None when it is not in canonical form: such a request is inside every host scope.
    (parts/scope.js.j2 reads it the same way, with the same regex.)"""
    match = CANONICAL_HOST.fullmatch(header)
    return match.group(1).lower() if match else None


def host_matches(pattern: str, host: str) -> bool:
    """An exact name, or a ``*.`` wildcard covering names below it at any depth."""
    if pattern.startswith("*."):
        return len(host) > len(pattern) - 1 and host.endswith(pattern[1:])
    return pattern == host


def covers(
    scope: Scope, method: str, uri: str, host: str | None, tenant: str | None = None
) -> bool:
    """Whether a request with this method, URI, host (:func:`request_host`'s reading,
    None for a Host not in canonical form) and tenant (``tenant_reading``'s) is inside
    ``scope``."""
    if scope.methods == "writes" and method in READS:
        return False
    if scope.hosts and host is not None and not any(host_matches(p, host) for p in scope.hosts):
        return False
    if scope.tenants and (tenant is None or (tenant != UNKNOWN and tenant not in scope.tenants)):
        return False
    return not scope.paths or not is_safe(uri) or first_match(scope.paths, uri) is not None
