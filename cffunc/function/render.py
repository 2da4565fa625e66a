"""Render the maintenance CloudFront Function from ``js_templates/`` (pure: rules in, code out).

Bytes count against CloudFront's 10,240-byte limit, and every byte of logic is a byte
the IP allowlist cannot use: the template's comments are Jinja comments (they render to
nothing) and the output is minified (:mod:`cffunc.function.minify`: whitespace dropped,
cffunc's own names shortened). The readable form, what the golden files hold, is the
template's output with its names.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Literal

from cffunc.errors import RenderError
from cffunc.function.addresses import ALPHABET, IPTables, build_tables, prefix_pattern
from cffunc.function.bypass import CLOCK_SKEW_SECONDS
from cffunc.function.cors import MAX_AGE, TOKENS, exposed, origins_pattern
from cffunc.function.minify import minify
from cffunc.function.paths import SAFE_URI, patterns_source
from cffunc.function.rules import MARKER_HEADER, PASS_HEADER, MaintenanceRules
from cffunc.function.scopes import CANONICAL_HOST
from cffunc.function.store_layout import (
    ANY_EXACT_HOST,
    HOST_PREFIX,
    NET_PREFIX,
    STATE_KEY,
    TENANT_PREFIX,
    UNTIL_FORMAT,
)
from cffunc.function.templates import environment, js, js_regex
from cffunc.function.tenants import PLACEHOLDER
from cffunc.words import count

SIZE_LIMIT = 10_240
"""CloudFront's limit on function code, in bytes (not adjustable)."""
TEMPLATE = "function.js.j2"


@dataclass(frozen=True)
class RenderStats:
    total: int
    page: int
    allowlist: int
    runtime: str
    v4_networks: int
    v6_networks: int
    stored_page: tuple[int, int] | None = None
    """A page kept in the store (toggle = "kvs"): its UTF-8 bytes and the values it fills."""

    @property
    def logic(self) -> int:
        return self.total - self.page - self.allowlist

    @property
    def share(self) -> float:
        return self.total / SIZE_LIMIT


@dataclass(frozen=True)
class RenderedFunction:
    code: str
    stats: RenderStats

    @property
    def code_bytes(self) -> bytes:
        return self.code.encode("utf-8")


def compact(code: str) -> str:
    """The deployed form of ``code`` (:mod:`cffunc.function.minify`)."""
    return minify(code)


IPForm = Literal["smaller", "search", "list"]
"""How the allowlist is matched (:mod:`cffunc.function.addresses`): a binary search of the
tables, a list of prefixes, or whichever makes the smaller function (what is deployed)."""


def render_code(
    rules: MaintenanceRules, composed: bool = False, ip_form: IPForm = "smaller"
) -> RenderedFunction:
    """The function for ``rules``, without the size check (see :func:`render`).
    ``composed``: the part of a composition (:mod:`cffunc.function.compose`), whose handler
    returns null for a request that passes. ``ip_form``: the allowlist's form; the other
    two than "smaller" are for tests and benchmarks that compare them."""
    tables = build_tables(rules.networks)
    path_regex = patterns_source(rules.paths)
    code, _, pattern = _smallest(rules, tables, path_regex, composed, ip_form)
    return RenderedFunction(code=code, stats=_stats(code, rules, tables, path_regex, pattern))


LINEAR_SAVES_AT_MOST = 1_500
"""Bytes of code the linear allowlist saves over the binary search (about 700): a list
longer than the tables by more than this cannot make the function smaller."""


def _smallest(
    rules: MaintenanceRules,
    tables: IPTables,
    path_regex: str | None,
    composed: bool,
    ip_form: IPForm = "smaller",
) -> tuple[str, str, re.Pattern[str] | None]:
    """The deployed code with the allowlist in the form that makes it smaller (binary
    search or list: :mod:`cffunc.function.addresses`), the template's output it was
    minified from, and the list if it won."""
    pattern = prefix_pattern(rules.networks)
    forms: list[re.Pattern[str] | None] = [None]
    if pattern is not None:
        if ip_form == "list":
            forms = [pattern]
        elif ip_form == "smaller" and len(pattern.pattern) <= tables.size + LINEAR_SAVES_AT_MOST:
            forms.append(pattern)
    outputs = [(_template_output(rules, tables, path_regex, composed, f), f) for f in forms]
    return min(
        ((compact(text), text, form) for text, form in outputs),
        key=lambda rendered: len(rendered[0].encode("utf-8")),
    )


def readable_source(rules: MaintenanceRules) -> str:
    """The code before whitespace is stripped: what reviewers read in the golden files
    (``compact`` of it is the deployed code)."""
    _, text, _ = _smallest(rules, build_tables(rules.networks), patterns_source(rules.paths), False)
    return re.sub(r"\n(?:[ \t]*\n)+", "\n\n", text).strip() + "\n"


def _template_output(
    rules: MaintenanceRules,
    tables: IPTables,
    path_regex: str | None,
    composed: bool = False,
    ip_pattern: re.Pattern[str] | None = None,
) -> str:
    return (
        environment()
        .get_template(TEMPLATE)
        .render(
            runtime=rules.runtime,
            mode=rules.mode,
            origin=rules.origin,
            object=rules.object,
            marker=MARKER_HEADER,
            pass_marker=PASS_HEADER,
            status=rules.status,
            status_text=rules.status_text,
            headers=dict(rules.headers),
            text_body=rules.text_body,
            json=rules.json,
            json_body=rules.json_body,
            json_parts=json_parts(rules),
            page_html=inline_page(rules),
            page_store=rules.page_store,
            window_start_ms=rules.window_start_ms,
            window_end_ms=rules.window_end_ms,
            bypass=rules.bypass,
            alphabet=ALPHABET,
            tables=tables,
            ip_pattern=ip_pattern,
            path_regex=path_regex,
            store=rules.store,
            store_fails_closed=rules.store and rules.store_unreadable == "maintenance",
            pass_header=rules.pass_header,
            cors_origins=origins_pattern(rules.cors_origins),
            cors_tokens=TOKENS,
            cors_max_age=str(MAX_AGE),
            cors_expose=exposed(rules.headers),
            state_key=STATE_KEY,
            net_prefix=NET_PREFIX,
            host_prefix=HOST_PREFIX,
            scope_hosts=list(rules.scope.hosts),
            canonical_host=CANONICAL_HOST,
            any_exact_host=ANY_EXACT_HOST.fields(),
            scope_paths=patterns_source(rules.scope.paths),
            read_only=rules.scope.methods == "writes",
            scope_tenants=list(rules.scope.tenants),
            tenant_scopes=rules.tenant_scopes,
            reads_tenant=bool(rules.scope.tenants) or rules.tenant_scopes,
            tenant_prefix=TENANT_PREFIX,
            fills=rules.fills,
            placeholder=PLACEHOLDER,
            until_format=UNTIL_FORMAT,
            safe_uri=SAFE_URI,
            composed=composed,
            clock_skew=CLOCK_SKEW_SECONDS,
        )
    )


def json_parts(rules: MaintenanceRules) -> tuple[str, str] | None:
    """The JSON body around its message, when the function can build it from the text
    body (the message, then a line break): it then holds the message once. None when the
    message is too short for that to save bytes."""
    message = rules.text_body[:-1]
    quoted = json.dumps(message, ensure_ascii=False)
    head, _, tail = rules.json_body.partition(f'"message":{quoted}')
    if len(js(message)) < 32 or head + f'"message":{quoted}' + tail != rules.json_body:
        return None
    return head + '"message":', tail


def inline_page(rules: MaintenanceRules) -> str | None:
    """The page the code holds: none in rewrite mode, when only writes get maintenance
    (they are answered with text), or when the store keeps it (``rules.page_store``)."""
    if rules.page_store is not None or rules.scope.methods == "writes":
        return None
    return rules.page_html


def _stats(
    code: str,
    rules: MaintenanceRules,
    tables: IPTables,
    path_regex: str | None,
    ip_pattern: re.Pattern[str] | None,
) -> RenderStats:
    def literal_bytes(value: object) -> int:
        return len(js(value).encode("utf-8"))

    if ip_pattern is not None:
        allowlist = len(js_regex(ip_pattern).encode("utf-8"))
    else:
        allowlist = (literal_bytes(tables.v4) if tables.v4 else 0) + (
            literal_bytes(tables.v6) if tables.v6 else 0
        )
    if path_regex is not None:
        allowlist += literal_bytes(path_regex)
    return RenderStats(
        total=len(code.encode("utf-8")),
        page=literal_bytes(page) if (page := inline_page(rules)) is not None else 0,
        allowlist=allowlist,
        runtime=rules.runtime,
        v4_networks=tables.v4_count,
        v6_networks=tables.v6_count,
        stored_page=(
            (len(rules.page_html.encode("utf-8")), rules.page_store.count)
            if rules.page_store is not None and rules.page_html is not None
            else None
        ),
    )


def render(rules: MaintenanceRules) -> RenderedFunction:
    """The function for ``rules``; :class:`RenderError` if it is over CloudFront's limit."""
    rendered = render_code(rules)
    stats = rendered.stats
    if stats.total > SIZE_LIMIT:
        raise RenderError(
            f"the rendered function is {stats.total:,} bytes, over CloudFront's "
            f"{SIZE_LIMIT:,}-byte limit by {stats.total - SIZE_LIMIT:,} "
            f"(page {stats.page:,}, allowlist {stats.allowlist:,} for "
            f"{count(stats.v4_networks + stats.v6_networks, 'network')}, logic {stats.logic:,}); "
            'use maintenance.mode = "rewrite" to serve the page from your origin, '
            "fewer or wider CIDRs in allow.ips, or a smaller page"
        )
    return rendered
