"""What the maintenance function decides, resolved from a config and the environment.

:func:`compile_rules` is the one place that reads the bypass secret (from the
environment variable the config names), renders the maintenance page and precomputes
every constant answer. Its :class:`MaintenanceRules` feed both the JavaScript renderer
and the Python decision model, so the two cannot disagree on an input, only on logic.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from http import HTTPStatus
from pathlib import Path

from cffunc.config.load import Config, IPNetwork, Mode, Runtime, StoreUnreadable
from cffunc.config.scope import Scope, has_placeholder, placeholder_error
from cffunc.errors import RenderError
from cffunc.function.bypass import MIN_SECRET_LENGTH, BypassKeys, derive_keys
from cffunc.function.store_layout import StoredPage, page_items, stored_page
from cffunc.function.templates import html_environment, templates_dir

DEFAULT_MESSAGE = "This site is down for maintenance. Please try again soon."
MARKER_HEADER = "x-cffunc-maintenance"
PASS_HEADER = "x-cffunc-pass"
"""Composed in rewrite mode: on a request that passed (added after the other function ran),
so viewer-response knows it passed even when the other function changed its URI."""
"""Set on a request rewritten to the maintenance object, so the viewer-response half
knows the answer is the maintenance object even if it sees the rewritten request."""


@dataclass(frozen=True)
class Bypass:
    path: str
    cookie: str
    ttl: int
    keys: BypassKeys


@dataclass(frozen=True)
class MaintenanceRules:
    name: str
    runtime: Runtime
    mode: Mode
    status: int
    status_text: str
    window_start_ms: int | None
    window_end_ms: int | None
    networks: tuple[IPNetwork, ...]
    paths: tuple[str, ...]
    bypass: Bypass | None
    json: bool
    json_body: str
    text_body: str
    """rewrite mode: the body for methods other than GET/HEAD (an object cannot answer them)."""
    page_html: str | None
    """respond mode: the rendered page."""
    headers: tuple[tuple[str, str], ...]
    """Added to every maintenance answer (cache-control, retry-after, refresh)."""
    object: str
    origin: str | None
    store: bool = False
    """toggle = "kvs": maintenance is on only while the KeyValueStore says so
    (:mod:`cffunc.function.store_layout`)."""
    scope: Scope = field(default_factory=Scope)
    """What maintenance covers ([maintenance] hosts, paths, methods); store scopes sit inside."""
    store_unreadable: StoreUnreadable = "pass"
    """toggle = "kvs": when the state cannot be read, pass, or answer as if maintenance
    were on for every host (the config's window, scope and allowlists still apply)."""
    cors_origins: tuple[str, ...] = ()
    """Origins whose cross-origin requests get CORS headers on maintenance answers and
    preflights (:mod:`cffunc.function.cors`)."""
    pass_header: tuple[str, str] | None = None
    """(name, value) put on a request that passes during maintenance (an allowlisted
    network, a bypass cookie, an allowed path); removed from every other request."""
    tenant_scopes: bool = False
    """toggle = "kvs": the function reads per-tenant scopes from the store
    (``cffunc:tenant:<id>``, :mod:`cffunc.function.store_layout`)."""
    fills: bool = False
    """The function fills ``{tenant.NAME|default}`` placeholders in the bodies it answers
    with (:mod:`cffunc.function.tenants`): the config's reason or page holds one, or the
    store holds per-tenant scopes, whose reasons may."""
    page_store: StoredPage | None = None
    """respond mode with toggle = "kvs": where the page is kept in the store (the function
    reads it from there; `cffunc enable` and `install` write it); None: the page, if any,
    is in the code."""


def http_date(moment: datetime) -> str:
    return format_datetime(moment.astimezone(UTC), usegmt=True)


def epoch_ms(moment: datetime | None) -> int | None:
    return None if moment is None else round(moment.timestamp() * 1000)


def _retry_after(config: Config) -> str | None:
    value = config.maintenance.retry_after
    if isinstance(value, datetime):
        return http_date(value)
    return None if value is None else str(value)


def keeps_page_in_store(config: Config) -> bool:
    """Respond mode with toggle = "kvs": the page is kept in the store, not in the code
    (unless only writes get maintenance: they are answered with text)."""
    maintenance = config.maintenance
    return (
        maintenance.mode == "respond"
        and maintenance.toggle == "kvs"
        and maintenance.scope.methods != "writes"
    )


def stored_page_items(config: Config) -> dict[str, str]:
    """The keys `cffunc enable` and `install` write for a page kept in the store (none
    when the code holds the page): no secret needed, so a command that renders no code
    can write them."""
    if not keeps_page_in_store(config):
        return {}
    return page_items(render_page(config, _retry_after(config)))


def compile_rules(config: Config, environ: Mapping[str, str]) -> MaintenanceRules:
    maintenance = config.maintenance
    retry_after = _retry_after(config)
    headers = [("cache-control", "no-store")]
    if retry_after is not None:
        headers.append(("retry-after", retry_after))
    if maintenance.refresh is not None:
        headers.append(("refresh", str(maintenance.refresh)))
    message = maintenance.reason or DEFAULT_MESSAGE
    json_body = json.dumps(
        {"error": "maintenance", "message": message, "retry_after": retry_after},
        ensure_ascii=False,
        separators=(",", ":"),
    )
    page_html = render_page(config, retry_after) if maintenance.mode == "respond" else None
    return MaintenanceRules(
        tenant_scopes=maintenance.tenant_scopes,
        fills=(
            maintenance.tenant_scopes
            or has_placeholder(maintenance.reason)
            or has_placeholder(page_html)
        ),
        name=config.function.name,
        runtime=config.function.runtime,
        mode=maintenance.mode,
        status=maintenance.status,
        status_text=_status_text(maintenance.status),
        window_start_ms=epoch_ms(maintenance.start),
        window_end_ms=epoch_ms(maintenance.end),
        networks=config.allow.ips,
        paths=config.allow.paths,
        bypass=_bypass(config, environ),
        json=maintenance.json,
        json_body=json_body,
        text_body=message + "\n",
        page_html=page_html,
        headers=tuple(headers),
        object=maintenance.object,
        origin=maintenance.origin,
        store=maintenance.toggle == "kvs",
        page_store=(
            stored_page(page_html)
            if page_html is not None and keeps_page_in_store(config)
            else None
        ),
        scope=maintenance.scope,
        store_unreadable=maintenance.store_unreadable,
        cors_origins=config.allow.cors_origins,
        pass_header=(
            None
            if maintenance.pass_header is None
            else (maintenance.pass_header.name, maintenance.pass_header.value)
        ),
    )


def _status_text(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Service Unavailable" if status >= 500 else "Error"


def _bypass(config: Config, environ: Mapping[str, str]) -> Bypass | None:
    allow = config.allow
    if allow.bypass_secret_env is None:
        return None
    secret = environ.get(allow.bypass_secret_env)
    if not secret:
        raise RenderError(
            f"allow.bypass_secret_env names {allow.bypass_secret_env}, which is not set; "
            f"export {allow.bypass_secret_env}=<secret of {MIN_SECRET_LENGTH}+ characters> "
            "or remove allow.bypass_secret_env"
        )
    if len(secret) < MIN_SECRET_LENGTH:
        raise RenderError(
            f"the bypass secret in {allow.bypass_secret_env} has {len(secret)} characters; "
            f"use at least {MIN_SECRET_LENGTH} (e.g. `openssl rand -hex 16`)"
        )
    return Bypass(
        path=allow.bypass_path,
        cookie=allow.bypass_cookie,
        ttl=allow.bypass_ttl,
        keys=derive_keys(secret, allow.bypass_generation),
    )


def default_page() -> str:
    return templates_dir().joinpath("maintenance.html").read_text(encoding="utf-8")


def render_page(config: Config, retry_after: str | None) -> str:
    """The respond-mode page: a Jinja2 HTML template given reason, end and retry_after."""
    page: Path | None = config.maintenance.page
    try:
        source = default_page() if page is None else page.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise RenderError(f"maintenance.page: cannot read {page}: {error}") from None
    end = config.maintenance.end
    try:
        template = html_environment().from_string(source)
        html = template.render(
            reason=config.maintenance.reason,
            status=config.maintenance.status,
            retry_after=retry_after,
            end=end.isoformat() if end else None,
            end_text=end.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if end else None,
        )
    except Exception as error:  # a user's template: any Jinja2 error is theirs to fix
        raise RenderError(
            f"maintenance.page: {page or 'built-in page'} does not render: {error}; "
            "it may use {{ reason }}, {{ status }}, {{ retry_after }}, {{ end }} and {{ end_text }}"
        ) from None
    where = f"maintenance.page: {page or 'built-in page'}"
    problem = placeholder_error(html)
    if problem:
        raise RenderError(f"{where}: {problem}")
    if has_placeholder(html) and config.function.runtime != "cloudfront-js-2.0":
        raise RenderError(
            f"{where} has a {{tenant.NAME}} placeholder, filled from the cloudfront module, "
            'which needs function.runtime = "cloudfront-js-2.0"; change the runtime or '
            "remove the placeholder"
        )
    return html
