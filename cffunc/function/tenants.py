"""The distribution tenant a request came through, as the function reads it, and the
tenant parameters a maintenance message may name.

On a multi-tenant distribution (CloudFront SaaS Manager) one function serves every tenant;
runtime 2.0 tells it which one through the ``cloudfront`` module, never through the event:
``cf.distributionTenant.id`` and ``cf.distributionTenant.parameters.get(name)``. Both throw
"distributionTenant module is not available" on a standard distribution, the latter
``DistributionTenantParameterKeyNotFound`` for a parameter the tenant lacks, and both work
"only in the handler function, either directly or through any nested-call function"
(https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/saas-specific-logic-function-code.html).

How the function reads the tenant (parts/tenants.js.j2; :func:`tenant_reading` here):

- the id, when ``cf.distributionTenant.id`` gives a non-empty string;
- otherwise, when the event's ``context.endpoint`` is a non-empty string, :data:`UNKNOWN`:
  the request came through a tenant that could not be read. ``endpoint`` "only appears
  when your function is invoked for a multi-tenant distribution" and
  ``distributionDomainName`` only for a standard one
  (functions-event-structure.html, "Context object"), so a failed read there is not the
  documented standard-distribution case. Such a request is inside every tenant scope
  (fail closed, as a Host that cannot be read is inside every host scope): maintenance
  for one tenant must not let that tenant's requests through because a read failed;
- otherwise ``None``: a standard distribution, which has no tenants, so tenant scopes
  cover none of its requests.

A message (``reason``, the page, a stored scope's reason) may name a tenant parameter:
``{tenant.NAME}`` or ``{tenant.NAME|default text}``. At the edge each placeholder becomes
the parameter's value, escaped for the body it is in (JSON string, HTML text, or plain
text), or its default (empty without one) when the parameter cannot be read: a standard
distribution, a tenant without it, any failure. :func:`fill` is the model of that.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Literal

from cffunc.config.scope import PLACEHOLDER

__all__ = [
    "PLACEHOLDER", "UNKNOWN", "BodyKind", "Tenant", "fill", "parameter", "tenant_reading",
]  # fmt: skip

UNKNOWN = ""
""":func:`tenant_reading` for a request of a multi-tenant distribution whose tenant could
not be read (no real tenant id is empty; the rendered function uses ``''`` too)."""

BodyKind = Literal["json", "html", "text"]
HTML_SPECIAL = re.compile(r"[&<>\"']")
"""What :func:`fill` escapes in an HTML body, as numeric references (``&#60;``)."""


@dataclass(frozen=True)
class Tenant:
    """The distribution tenant a request came through (CloudFront SaaS Manager)."""

    id: str
    parameters: tuple[tuple[str, str], ...] = ()
    """Its parameters, name to value, as ``cf.distributionTenant.parameters.get`` reads them."""
    endpoint: str | None = None
    """The connection group's domain, ``event.context.endpoint``; None: the event's own,
    else the documentation's example domain (:mod:`cffunc.runtime.edge`)."""

    def as_js(self) -> dict[str, Any]:
        return {"id": self.id, "parameters": dict(self.parameters)}


def tenant_reading(tenant: Tenant | None, endpoint: str | None) -> str | None:
    """The tenant as the function reads it: its id; :data:`UNKNOWN` when the id cannot be
    read but ``endpoint`` (the event's ``context.endpoint``) says the distribution is
    multi-tenant; None on a standard distribution."""
    if tenant is not None and tenant.id:
        return tenant.id
    return UNKNOWN if endpoint else None


def parameter(tenant: Tenant | None, name: str) -> str | None:
    """``cf.distributionTenant.parameters.get(name)``, or None where it throws."""
    if tenant is None:
        return None
    return dict(tenant.parameters).get(name)


def fill(body: str, kind: BodyKind, tenant: Tenant | None) -> str:
    """``body`` with each ``{tenant.NAME|default}`` replaced as the function replaces it:
    the parameter's value escaped for ``kind``, else the default as written (a default
    inside a JSON body or the page is already escaped there: it was put in with the rest
    of the message)."""

    def value(match: re.Match[str]) -> str:
        found = parameter(tenant, match.group(1))
        if found is None:
            return match.group(2) or ""
        if kind == "json":
            return json.dumps(found, ensure_ascii=False)[1:-1]
        if kind == "html":
            return HTML_SPECIAL.sub(lambda c: f"&#{ord(c.group())};", found)
        return found

    return PLACEHOLDER.sub(value, body)
