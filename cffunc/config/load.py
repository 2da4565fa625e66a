"""Read ``cffunc.toml`` into frozen dataclasses, validating every key first.

Nothing downstream (rendering, the local runtime, AWS calls) sees raw TOML: it gets a
:class:`Config` whose values are already checked, so a bad value is reported once, here,
as a :class:`~cffunc.errors.ConfigError` naming the key, the value and what is accepted.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, TypeVar

from cffunc.config.edge_headers import READ_ONLY_REQUEST_HEADERS, TOKEN, disallowed
from cffunc.config.scope import (
    HOST_HINT,
    METHODS,
    TENANT_HINT,
    Scope,
    has_placeholder,
    host_error,
    parse_hosts,
    placeholder_error,
    tenant_error,
)
from cffunc.errors import ConfigError

Runtime = Literal["cloudfront-js-1.0", "cloudfront-js-2.0"]
Mode = Literal["rewrite", "respond"]
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

RUNTIMES: tuple[Runtime, ...] = ("cloudfront-js-1.0", "cloudfront-js-2.0")
MODES: tuple[Mode, ...] = ("rewrite", "respond")
Toggle = Literal["association", "kvs"]
TOGGLES: tuple[Toggle, ...] = ("association", "kvs")
StoreUnreadable = Literal["pass", "maintenance"]
STORE_UNREADABLE: tuple[StoreUnreadable, ...] = ("pass", "maintenance")
DEFAULT_CONFIG_NAME = "cffunc.toml"

_FUNCTION_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# RFC 6265 cookie-name: an RFC 7230 token.
_COOKIE_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
# The characters CloudFront accepts in a cache behavior path pattern.
_PATH_PATTERN = re.compile(r"[A-Za-z0-9_.*$/~\"'@:+&?-]{1,255}")
PATH_PATTERN = _PATH_PATTERN
PATH_ACCEPTED = (
    "give CloudFront path patterns (up to 255 of A-Z a-z 0-9 _ - . $ / ~ \" ' @ : + & "
    'and the wildcards * and ?), e.g. "/health" or "/maintenance/*"'
)
# A URI path cffunc writes into a request or compares with one: no query, no spaces.
_URI_PATH = re.compile(r"/[A-Za-z0-9_.~!$&'()*+,;=:@%/-]*")
_DISTRIBUTION_ID = re.compile(r"[A-Z0-9]{1,32}")
DISTRIBUTION_ID = _DISTRIBUTION_ID
_HOSTNAME = re.compile(
    r"(?=.{1,253}$)(\*\.)?([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
)
_ORIGIN_ID = re.compile(r"[^\s]{1,128}")
# An alternate domain name or a CloudFront wildcard: "*." then a domain, the * alone as the
# first label (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/alternate-domain-names-wildcard.html).
_ALIAS_PATTERN = re.compile(
    r"(?=.{1,253}$)(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}"
)
ALIASES_ACCEPTED = (
    'give domain names (shop.example.com) or CloudFront wildcards ("*.example.com": every '
    "name below example.com, not example.com itself; a * only as the whole first label)"
)
# Tag keys and values as CloudFront takes them (API_Tag: 1-128 and 0-256 characters of
# letters, digits, spaces and _ . : / = + - @).
_TAG_KEY = re.compile(r"[\w .:/=+\-@]{1,128}", re.ASCII)
_TAG_VALUE = re.compile(r"[\w .:/=+\-@]{0,256}", re.ASCII)
MAX_TAGS = 50


@dataclass(frozen=True)
class FunctionConfig:
    name: str
    runtime: Runtime
    comment: str


@dataclass(frozen=True)
class PassHeader:
    """A header put on the requests that pass during maintenance, for the origin to see."""

    name: str
    value: str


# Headers the function reads to decide (a pass header must not change what the
# viewer-response half decides) and cffunc's own markers.
_DECIDING_HEADERS = frozenset(
    {"accept", "cookie", "origin", "access-control-request-method",
     "access-control-request-headers"}
)  # fmt: skip
_FIELD_VALUE = re.compile(r"[\x21-\x7e]([\x20-\x7e]{0,254}[\x21-\x7e])?")
"""A header value cffunc writes: visible ASCII and inner spaces, 1-256 characters."""


@dataclass(frozen=True)
class MaintenanceConfig:
    mode: Mode
    object: str
    origin: str | None
    page: Path | None
    """respond mode: the page file; None means cffunc's built-in page."""
    status: int
    retry_after: int | datetime | None
    refresh: int | None
    reason: str | None
    json: bool
    start: datetime | None
    end: datetime | None
    toggle: Toggle = "association"
    """How maintenance is switched: by associating the function, or by a KeyValueStore."""
    kvs: str | None = None
    """toggle = "kvs": the KeyValueStore's name (default: the function's name)."""
    compose: bool = True
    """Compose with a CloudFront Function already on a slot (else refuse the behavior)."""
    scope: Scope = field(default_factory=Scope)
    """Which requests maintenance covers (hosts, paths, methods); the default: all."""
    store_unreadable: StoreUnreadable = "pass"
    """toggle = "kvs": what a request gets when the state cannot be read at the edge."""
    pass_header: PassHeader | None = None
    """Put on requests that pass during maintenance (allowlists, bypass, allowed paths)."""
    tenant_scopes: bool = False
    """toggle = "kvs": the function reads per-tenant scopes from the store
    (``enable --tenant``); implied by ``scope.tenants``."""

    @property
    def reads_tenants(self) -> bool:
        """The function reads the distribution tenant (a tenant scope in the config or the
        store): it belongs on multi-tenant distributions only."""
        return bool(self.scope.tenants) or self.tenant_scopes


@dataclass(frozen=True)
class AllowConfig:
    ips: tuple[IPNetwork, ...]
    paths: tuple[str, ...]
    bypass_secret_env: str | None
    bypass_path: str
    bypass_cookie: str
    bypass_ttl: int
    bypass_generation: int = 1
    """Raise it to invalidate every bypass cookie issued so far (same secret and link)."""
    cors_origins: tuple[str, ...] = ()
    """Origins (``https://app.example.com``, ``https://*.example.com``) whose cross-origin
    requests get CORS headers on maintenance answers and preflights."""


@dataclass(frozen=True)
class DistributionTarget:
    """One ``[[distributions]]`` entry: a distribution by ``id`` or ``alias``, or a fleet
    by ``aliases`` patterns and/or ``tags`` (both given: a distribution must match both)."""

    id: str | None
    alias: str | None
    behaviors: tuple[str, ...] | None
    """Path patterns of the covered cache behaviors; None means every behavior."""
    aliases: tuple[str, ...] | None = None
    """Lower-case domain names and ``*.`` wildcards; a distribution matches when one of its
    aliases (or, for a multi-tenant one, its tenants' domains) falls under one of them."""
    tags: tuple[tuple[str, str], ...] | None = None
    """(key, value) pairs the distribution's tags must all hold."""

    @property
    def fleet(self) -> bool:
        """Selects by pattern or tags: it may match none, or many."""
        return self.aliases is not None or self.tags is not None

    def describe(self) -> str:
        """The selector as the config writes it, for messages."""
        if self.id is not None:
            return f"id {self.id}"
        if self.alias is not None:
            return f"alias {self.alias}"
        parts = []
        if self.aliases is not None:
            parts.append("aliases " + ", ".join(self.aliases))
        if self.tags is not None:
            parts.append("tags " + ", ".join(f"{k}={v}" for k, v in self.tags))
        return " and ".join(parts)


@dataclass(frozen=True)
class TestSettings:
    __test__ = False  # not a pytest class

    scenarios: Path | None


@dataclass(frozen=True)
class Config:
    path: Path
    function: FunctionConfig
    maintenance: MaintenanceConfig
    allow: AllowConfig
    distributions: tuple[DistributionTarget, ...]
    test: TestSettings

    @property
    def store_name(self) -> str | None:
        """The KeyValueStore that switches maintenance (toggle = "kvs"), else None."""
        if self.maintenance.toggle != "kvs":
            return None
        return self.maintenance.kvs or self.function.name


_T = TypeVar("_T")
_L = TypeVar("_L", bound=str)


class _Table:
    """One TOML table being validated: typed getters that name the key on failure."""

    def __init__(self, source: str, prefix: str, data: Mapping[str, Any]) -> None:
        self.source = source
        self.prefix = prefix
        self.data = data

    def key(self, name: str) -> str:
        return f"{self.prefix}.{name}" if self.prefix else name

    def fail(self, name: str, value: object, accepted: str) -> ConfigError:
        return ConfigError(
            f"{self.source}: {self.key(name)} = {_show(value)} is not accepted; {accepted}"
        )

    def check_keys(self, allowed: tuple[str, ...]) -> None:
        for name in self.data:
            if name not in allowed:
                where = f"[{self.prefix}]" if self.prefix else "the top level"
                raise ConfigError(
                    f"{self.source}: unknown key {self.key(name)}; "
                    f"keys accepted in {where}: {', '.join(allowed)}"
                )

    def optional(
        self,
        name: str,
        kind: type[_T],
        accepted: str,
        check: Callable[[_T], bool] = lambda _: True,
    ) -> _T | None:
        """The value if the key is present (checked), else None."""
        if name not in self.data:
            return None
        value = self.data[name]
        # bool is an int in Python; a TOML `true` is never a number here.
        is_kind = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
        if not is_kind or not check(value):
            raise self.fail(name, value, accepted)
        return value

    def get(
        self,
        name: str,
        kind: type[_T],
        default: _T,
        accepted: str,
        check: Callable[[_T], bool] = lambda _: True,
    ) -> _T:
        """The value if the key is present (checked), else ``default``."""
        value = self.optional(name, kind, accepted, check)
        return default if value is None else value

    def choice(
        self, name: str, choices: tuple[_L, ...], default: _L, order: tuple[str, ...] = ()
    ) -> _L:
        """One of ``choices`` (a Literal type's values), else ``default``; the error lists
        them in ``order`` when given (the recommended one first)."""
        accepted = "use " + " or ".join(json.dumps(c) for c in order or choices)
        value = self.optional(name, str, accepted, lambda v: v in choices)
        return default if value is None else next(c for c in choices if c == value)

    def required(
        self, name: str, kind: type[_T], accepted: str, check: Callable[[_T], bool] = lambda _: True
    ) -> _T:
        value = self.optional(name, kind, accepted, check)
        if value is None:
            raise ConfigError(f"{self.source}: {self.key(name)} is required; {accepted}")
        return value

    def string_list(
        self, name: str, accepted: str, check: Callable[[str], bool], paths: bool = True
    ) -> tuple[str, ...] | None:
        """``paths``: entries are paths, so a URL gets a hint to give its path instead."""
        if name not in self.data:
            return None
        value = self.data[name]
        if not isinstance(value, list):
            raise self.fail(name, value, f"give a list of strings: {accepted}")
        for item in value:
            hint = _url_hint(item) if paths else None
            if not isinstance(item, str) or not check(item) or hint:
                raise ConfigError(
                    f"{self.source}: {self.key(name)} entry {_show(item)} is not accepted; "
                    f"{hint or accepted}"
                )
        return tuple(value)

    def table(self, name: str) -> _Table:
        value = self.data.get(name, {})
        if not isinstance(value, dict):
            raise ConfigError(f"{self.source}: [{name}] must be a table")
        return _Table(self.source, name, value)


def _url_hint(value: object) -> str | None:
    """For a URL where a path belongs: the path to give instead."""
    match = (
        re.fullmatch(r"(?i)https?://[^/]*(/[^?#]*)?.*", value) if isinstance(value, str) else None
    )
    if match is None:
        return None
    path = match.group(1) or "/"
    return f"give the path without scheme and host, e.g. {_show(path)}"


def _show(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    try:
        return json.dumps(value, ensure_ascii=False)
    except TypeError:
        return repr(value)


def parse_time(value: object) -> datetime | None:
    """An RFC 3339 time with a UTC offset (TOML datetime or string), else None."""
    if isinstance(value, str):
        text = value.strip()
        if not re.fullmatch(
            r"\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d:\d\d(\.\d+)?([Zz]|[+-]\d\d:\d\d)", text
        ):
            return None
        try:
            value = datetime.fromisoformat(text.replace("z", "Z"))
        except ValueError:
            return None
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value
    return None


def _time(table: _Table, name: str) -> datetime | None:
    if name not in table.data:
        return None
    parsed = parse_time(table.data[name])
    if parsed is None:
        raise table.fail(
            name,
            table.data[name],
            'give an RFC 3339 time with a UTC offset, e.g. "2026-12-01T02:00:00Z"',
        )
    return parsed


def _network(source: str, text: str) -> IPNetwork:
    try:
        return ipaddress.ip_network(text.strip(), strict=True)
    except ValueError as error:
        hint = ""
        with contextlib.suppress(ValueError):
            hint = f"; did you mean {ipaddress.ip_network(text.strip(), strict=False)}?"
        detail = "it has host bits set" if hint else str(error)
        raise ConfigError(
            f"{source}: allow.ips entry {_show(text)} is not accepted ({detail}{hint}); "
            'give IPv4 or IPv6 addresses or CIDRs, e.g. "203.0.113.0/24" or "2001:db8::/32"'
        ) from None


def load_config(path: Path | str | None = None) -> Config:
    """Read and validate a config file; ``None`` means ``cffunc.toml`` here."""
    config_path = Path(path) if path is not None else Path(DEFAULT_CONFIG_NAME)
    try:
        text = config_path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"{config_path}: config file not found; `cffunc init` writes a starter one "
            "here, or pass -c PATH"
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{config_path}: cannot read the config file: {error}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{config_path}: not valid TOML: {error}") from None
    return parse_config(data, config_path)


def parse_config(data: Mapping[str, Any], path: Path) -> Config:
    """Validate already-parsed TOML; ``path`` locates relative files and names errors."""
    source = str(path)
    top = _Table(source, "", data)
    top.check_keys(("function", "maintenance", "allow", "distributions", "test"))
    function = _function(top.table("function"))
    maintenance = _maintenance(top.table("maintenance"), function.runtime, path.parent)
    allow = _allow(top.table("allow"))
    return Config(
        path=path,
        function=function,
        maintenance=maintenance,
        allow=allow,
        distributions=_distributions(source, data.get("distributions", [])),
        test=_test(top.table("test"), path.parent),
    )


def _function(table: _Table) -> FunctionConfig:
    table.check_keys(("name", "runtime", "comment"))
    name = table.required(
        "name",
        str,
        "give 1-64 characters of A-Z, a-z, 0-9, _ and -",
        lambda v: bool(_FUNCTION_NAME.fullmatch(v)),
    )
    runtime = table.choice("runtime", RUNTIMES, "cloudfront-js-2.0", tuple(reversed(RUNTIMES)))
    comment = table.get("comment", str, "", "give at most 128 characters", lambda v: len(v) <= 128)
    return FunctionConfig(name=name, runtime=runtime, comment=comment)


def _maintenance(table: _Table, runtime: str, base: Path) -> MaintenanceConfig:
    table.check_keys(
        (
            "mode", "object", "origin", "page", "status", "retry_after", "refresh",
            "reason", "json", "start", "end", "toggle", "kvs", "compose", "hosts", "paths",
            "methods", "store_unreadable", "pass_header", "tenants", "tenant_scopes",
        )
    )  # fmt: skip
    mode = table.choice("mode", MODES, "rewrite")
    obj = table.get(
        "object",
        str,
        "/maintenance/index.html",
        'give a path that starts with "/", without query or spaces, e.g. "/maintenance/index.html"',
        lambda v: bool(_URI_PATH.fullmatch(v)),
    )
    origin = table.optional(
        "origin",
        str,
        "give the Id of an origin of the distribution (no spaces, at most 128 characters)",
        lambda v: bool(_ORIGIN_ID.fullmatch(v)),
    )
    if origin is not None and runtime != "cloudfront-js-2.0":
        raise table.fail(
            "origin",
            origin,
            'switching the origin needs function.runtime = "cloudfront-js-2.0"; '
            "change the runtime or remove maintenance.origin",
        )
    if origin is not None and mode != "rewrite":
        raise table.fail("origin", origin, 'it applies only to mode = "rewrite"; remove it')
    page_name = table.optional("page", str, "give an HTML file path relative to the config")
    page: Path | None = None
    if page_name is not None:
        if mode != "respond":
            raise table.fail(
                "page",
                page_name,
                'the page is inlined only in mode = "respond"; in rewrite mode upload it to '
                "your origin as maintenance.object",
            )
        page = base / page_name
        if not page.is_file():
            raise table.fail(
                "page",
                page_name,
                f"the file {page} does not exist; give a path relative to the config",
            )
    status = table.get(
        "status",
        int,
        503,
        "give an HTTP status from 400 to 599 (503 is what search engines retry)",
        lambda v: 400 <= v <= 599,
    )
    retry_after: int | datetime | None = None
    if "retry_after" in table.data:
        raw = table.data["retry_after"]
        if isinstance(raw, int) and not isinstance(raw, bool) and 0 <= raw <= 31_536_000:
            retry_after = raw
        else:
            retry_after = parse_time(raw)
            if retry_after is None:
                raise table.fail(
                    "retry_after",
                    raw,
                    'give seconds (0-31536000) or an RFC 3339 time such as "2026-12-01T04:00:00Z"',
                )
    refresh = table.optional(
        "refresh", int, "give seconds from 1 to 86400", lambda v: 1 <= v <= 86_400
    )
    reason = table.optional("reason", str, "give at most 500 characters", lambda v: len(v) <= 500)
    if reason is not None and placeholder_error(reason):
        raise table.fail("reason", reason, str(placeholder_error(reason)))
    if has_placeholder(reason) and runtime != "cloudfront-js-2.0":
        raise table.fail(
            "reason",
            reason,
            "a {tenant.NAME} placeholder is filled from the cloudfront module, which needs "
            'function.runtime = "cloudfront-js-2.0"; change the runtime or remove the placeholder',
        )
    json_answers = table.get("json", bool, True, "use true or false")
    start = _time(table, "start")
    end = _time(table, "end")
    if start is not None and end is not None and end <= start:
        raise table.fail(
            "end",
            table.data["end"],
            f"it must be later than maintenance.start ({start.isoformat()})",
        )
    toggle = table.choice("toggle", TOGGLES, "association")
    if toggle == "kvs" and runtime != "cloudfront-js-2.0":
        raise table.fail(
            "toggle",
            toggle,
            'a KeyValueStore can be read only by function.runtime = "cloudfront-js-2.0"; '
            'change the runtime or use toggle = "association"',
        )
    kvs = table.optional(
        "kvs",
        str,
        "give a KeyValueStore name: 1-64 characters of A-Z, a-z, 0-9, _ and -",
        lambda v: bool(_FUNCTION_NAME.fullmatch(v)),
    )
    if kvs is not None and toggle != "kvs":
        raise table.fail("kvs", kvs, 'it applies only to toggle = "kvs"; remove it or set that')
    compose = table.get("compose", bool, True, "use true (compose) or false (refuse)")
    store_unreadable = table.choice("store_unreadable", STORE_UNREADABLE, "pass")
    # "pass" is what the association toggle does anyway (it reads no store).
    if store_unreadable != "pass" and toggle != "kvs":
        raise table.fail(
            "store_unreadable",
            store_unreadable,
            'only a KeyValueStore can be unreadable: it applies to toggle = "kvs"; remove it',
        )
    scope = _scope(table, runtime)
    tenant_scopes = table.get("tenant_scopes", bool, False, "use true or false")
    if tenant_scopes and toggle != "kvs":
        raise table.fail(
            "tenant_scopes",
            tenant_scopes,
            'per-tenant scopes are switched in the store: it applies to toggle = "kvs" '
            "(with the association toggle, list the tenants in maintenance.tenants)",
        )
    return MaintenanceConfig(
        tenant_scopes=tenant_scopes or (toggle == "kvs" and bool(scope.tenants)),
        pass_header=_pass_header(table),
        store_unreadable=store_unreadable,
        scope=scope,
        compose=compose,
        mode=mode,
        object=obj,
        origin=origin,
        page=page,
        status=status,
        retry_after=retry_after,
        refresh=refresh,
        reason=reason,
        json=json_answers,
        start=start,
        end=end,
        toggle=toggle,
        kvs=kvs,
    )


def _pass_header(table: _Table) -> PassHeader | None:
    """[maintenance] pass_header = { name = "x-maintenance", value = "on" }."""
    if "pass_header" not in table.data:
        return None
    raw = table.data["pass_header"]
    example = 'give a table, e.g. pass_header = { name = "x-maintenance", value = "on" }'
    if not isinstance(raw, dict):
        raise table.fail("pass_header", raw, example)
    header = _Table(table.source, "maintenance.pass_header", raw)
    header.check_keys(("name", "value"))
    name = header.required("name", str, 'give a header name, e.g. "x-maintenance"')
    if not TOKEN.fullmatch(name):
        raise header.fail("name", name, 'give an HTTP header name, e.g. "x-maintenance"')
    if name != name.lower():
        raise header.fail(
            "name", name, f'a function names headers in lower case; give "{name.lower()}"'
        )
    if disallowed(name) or name in READ_ONLY_REQUEST_HEADERS:
        raise header.fail(
            "name",
            name,
            "CloudFront does not let a function set that header (edge function restrictions: "
            'disallowed and read-only headers); choose another, e.g. "x-maintenance"',
        )
    if name.startswith("x-cffunc-") or name in _DECIDING_HEADERS:
        raise header.fail(
            "name",
            name,
            "cffunc reads or sets that header itself to decide; choose another, "
            'e.g. "x-maintenance"',
        )
    value = header.get(
        "value",
        str,
        "on",
        'give 1-256 visible ASCII characters (inner spaces allowed), e.g. "on"',
        lambda v: bool(_FIELD_VALUE.fullmatch(v)),
    )
    return PassHeader(name, value)


def _scope(table: _Table, runtime: str) -> Scope:
    """[maintenance] hosts, paths, methods and tenants: what maintenance covers."""
    hosts = table.string_list("hosts", HOST_HINT, lambda v: host_error(v) is None, paths=False)
    paths = table.string_list("paths", PATH_ACCEPTED, lambda v: bool(_PATH_PATTERN.fullmatch(v)))
    tenants = _tenants(table, runtime)
    for name, value in (("hosts", hosts), ("paths", paths), ("tenants", tenants)):
        if value is not None and not value:
            raise table.fail(
                name,
                [],
                f"an empty list covers nothing; leave maintenance.{name} out to cover every one",
            )
    methods = table.choice("methods", METHODS, "all")
    return Scope(
        parse_hosts(hosts or ()),
        tuple(dict.fromkeys(paths or ())),
        methods,
        tuple(dict.fromkeys(tenants or ())),
    )


def _tenants(table: _Table, runtime: str) -> tuple[str, ...] | None:
    """[maintenance] tenants: distribution tenant ids, read at the edge from the cloudfront
    module (runtime 2.0 only)."""
    if "tenants" not in table.data:
        return None
    value = table.data["tenants"]
    if not isinstance(value, list):
        raise table.fail("tenants", value, f"give a list of strings: {TENANT_HINT}")
    for item in value:
        error = tenant_error(item) if isinstance(item, str) else TENANT_HINT
        if error:
            raise ConfigError(
                f"{table.source}: maintenance.tenants entry {_show(item)} is not accepted; {error}"
            )
    if value and runtime != "cloudfront-js-2.0":
        raise table.fail(
            "tenants",
            value,
            "the function reads the tenant from the cloudfront module (cf.distributionTenant), "
            'which needs function.runtime = "cloudfront-js-2.0"; change the runtime or remove '
            "maintenance.tenants",
        )
    return tuple(value)


def _allow(table: _Table) -> AllowConfig:
    table.check_keys(
        (
            "ips",
            "paths",
            "bypass_secret_env",
            "bypass_path",
            "bypass_cookie",
            "bypass_ttl",
            "bypass_generation",
            "cors_origins",
        )
    )
    ip_texts = table.string_list("ips", "give IPv4 or IPv6 addresses or CIDRs", lambda _: True)
    ips = tuple(_network(table.source, text) for text in ip_texts or ())
    paths = table.string_list("paths", PATH_ACCEPTED, lambda v: bool(_PATH_PATTERN.fullmatch(v)))
    secret_env = table.optional(
        "bypass_secret_env",
        str,
        "give the name of an environment variable, e.g. CFFUNC_BYPASS_SECRET",
        lambda v: bool(_ENV_NAME.fullmatch(v)),
    )
    bypass_path = table.get(
        "bypass_path",
        str,
        "/__cffunc/bypass",
        'give a path that starts with "/", without query or spaces',
        lambda v: bool(_URI_PATH.fullmatch(v)),
    )
    cookie = table.get(
        "bypass_cookie",
        str,
        "cffunc_bypass",
        "give a cookie name (letters, digits and !#$%&'*+.^_`|~-)",
        lambda v: bool(_COOKIE_NAME.fullmatch(v)),
    )
    ttl = table.get(
        "bypass_ttl",
        int,
        43_200,
        "give seconds from 60 to 31536000",
        lambda v: 60 <= v <= 31_536_000,
    )
    return AllowConfig(
        cors_origins=_cors_origins(table),
        ips=ips,
        paths=paths or (),
        bypass_secret_env=secret_env,
        bypass_path=bypass_path,
        bypass_cookie=cookie,
        bypass_ttl=ttl,
        bypass_generation=table.get(
            "bypass_generation",
            int,
            1,
            "give a whole number from 1 to 1000000",
            lambda v: 1 <= v <= 1_000_000,
        ),
    )


_ORIGIN = re.compile(
    r"(https?)://((?:\*\.)?(?:[a-z0-9_-]+\.)*[a-z0-9_-]+|\[[0-9a-f:.]+\])(?::([0-9]{1,5}))?"
)
"""An origin as browsers send it (RFC 6454 section 6.2; the URL standard serialises the
scheme and host in lower case and leaves out the default port), with an optional ``*.``
wildcard first label."""
_DEFAULT_PORTS = {"http": "80", "https": "443"}
CORS_EXAMPLE = 'e.g. "https://app.example.com" or "https://*.example.com"'


def cors_origin_error(text: str) -> str | None:
    """Why ``text`` is not an origin ``allow.cors_origins`` accepts (with the fix), or None."""
    if text in ("*", "null") or text.startswith("*"):
        return (
            "CORS with credentials never allows any origin, nor the opaque origin null; "
            f"list each origin, {CORS_EXAMPLE}"
        )
    bare = re.fullmatch(r"(?i)(https?://)?([^/?#]*)([/?#].*)?", text)
    if bare and bare.group(1) and bare.group(3):
        return (
            f'an origin has no path, query or "/" at the end; give "{bare.group(1)}{bare.group(2)}"'
        )
    if "@" in text:
        return f"an origin has no user name or password; {CORS_EXAMPLE}"
    if not text.isascii():
        scheme, _, rest = text.rpartition("://")
        host, colon, port = rest.partition(":")
        try:
            ascii_form = f"{scheme}://{host.encode('idna').decode()}{colon}{port}".lower()
        except UnicodeError:
            ascii_form = None
        hint = f'give "{ascii_form}"' if ascii_form and scheme else CORS_EXAMPLE
        return f"browsers send a host in its ASCII (punycode) form; {hint}"
    if "://" not in text:
        return f'give the scheme too, e.g. "https://{text}"'

    if text != text.lower():
        return f'browsers send the scheme and host in lower case; give "{text.lower()}"'
    match = _ORIGIN.fullmatch(text)
    if match is None:
        return (
            "give scheme://host or scheme://host:port with scheme http or https, and a *. "
            f"wildcard only as the first label; {CORS_EXAMPLE}"
        )
    scheme, host, port = match.groups()
    if port is not None and (port == _DEFAULT_PORTS[scheme] or not 0 < int(port) < 65536):
        fix = text.rsplit(":", 1)[0]
        return (
            f'browsers leave out the default port; give "{fix}"'
            if port == _DEFAULT_PORTS[scheme]
            else f"give a port from 1 to 65535, {CORS_EXAMPLE}"
        )
    if host.startswith("*.") and "." not in host[2:]:
        return (
            f"{host} would cover every site under .{host[2:]}; give a domain you own, "
            'e.g. "https://*.example.com"'
        )
    if host.startswith("[") and not _ipv6_serialised(host[1:-1]):
        return f"give an IPv6 address as browsers write it, {CORS_EXAMPLE}"
    return None


def _ipv6_serialised(text: str) -> bool:
    try:
        return ipaddress.IPv6Address(text).compressed == text
    except ValueError:
        return False


def _cors_origins(table: _Table) -> tuple[str, ...]:
    """[allow] cors_origins: exact origins and *. wildcards, each checked."""
    if "cors_origins" not in table.data:
        return ()
    value = table.data["cors_origins"]
    if not isinstance(value, list) or not value:
        raise table.fail("cors_origins", value, f"give a non-empty list of origins, {CORS_EXAMPLE}")
    for item in value:
        error = (
            cors_origin_error(item) if isinstance(item, str) else f"give a string, {CORS_EXAMPLE}"
        )
        if error:
            raise ConfigError(
                f"{table.source}: allow.cors_origins entry {_show(item)} is not accepted; {error}"
            )
    return tuple(dict.fromkeys(value))


def _distributions(source: str, raw: object) -> tuple[DistributionTarget, ...]:
    if not isinstance(raw, list) or not all(isinstance(item, dict) for item in raw):
        raise ConfigError(
            f"{source}: distributions must be an array of tables: "
            "[[distributions]] with id, alias, aliases or tags"
        )
    targets = []
    for index, item in enumerate(raw):
        table = _Table(source, f"distributions[{index}]", item)
        table.check_keys(("id", "alias", "aliases", "tags", "behaviors"))
        dist_id = table.optional(
            "id",
            str,
            "give a distribution id such as E2EXAMPLE12345 (upper-case letters and digits)",
            lambda v: bool(_DISTRIBUTION_ID.fullmatch(v)),
        )
        alias = table.optional(
            "alias",
            str,
            "give a domain name listed in the distribution's Aliases, e.g. shop.example.com",
            lambda v: bool(_HOSTNAME.fullmatch(v)),
        )
        aliases = _alias_patterns(table)
        tags = _tags(table)
        fleet = aliases is not None or tags is not None
        if [dist_id is not None, alias is not None, fleet].count(True) != 1:
            raise ConfigError(
                f"{source}: {table.prefix} needs exactly one of id, alias, or aliases and/or "
                'tags (e.g. id = "E2EXAMPLE12345", alias = "shop.example.com", '
                'aliases = ["*.example.com"] or tags = { env = "prod" })'
            )
        behaviors = table.string_list(
            "behaviors",
            'give path patterns of cache behaviors, "*" for the default behavior',
            lambda v: bool(_PATH_PATTERN.fullmatch(v)),
        )
        if behaviors is not None and (not behaviors or len(set(behaviors)) != len(behaviors)):
            raise table.fail(
                "behaviors",
                list(behaviors),
                "give a non-empty list without repeats, or omit it to cover every behavior",
            )
        targets.append(DistributionTarget(dist_id, alias, behaviors, aliases, tags))
    return tuple(targets)


def _alias_patterns(table: _Table) -> tuple[str, ...] | None:
    """``aliases``: a non-empty list of domain names and ``*.`` wildcards, lower-cased
    (DNS names are case-insensitive), without repeats."""
    patterns = table.string_list(
        "aliases",
        ALIASES_ACCEPTED,
        lambda v: bool(_ALIAS_PATTERN.fullmatch(v.lower().removesuffix("."))),
        paths=False,
    )
    if patterns is None:
        return None
    if not patterns:
        raise table.fail("aliases", [], ALIASES_ACCEPTED)
    return tuple(dict.fromkeys(p.lower().removesuffix(".") for p in patterns))


def _tags(table: _Table) -> tuple[tuple[str, str], ...] | None:
    """``tags``: a table of tag keys and the values the distribution must have for them."""
    if "tags" not in table.data:
        return None
    value = table.data["tags"]
    accepted = (
        'give a table of tag keys and values, e.g. tags = { env = "prod" } (keys of 1-128, '
        f"values of 0-256 letters, digits, spaces and _ . : / = + - @; at most {MAX_TAGS})"
    )
    if not isinstance(value, dict) or not value or len(value) > MAX_TAGS:
        raise table.fail("tags", value, accepted)
    for key, wanted in value.items():
        if not _TAG_KEY.fullmatch(key) or not (
            isinstance(wanted, str) and _TAG_VALUE.fullmatch(wanted)
        ):
            raise table.fail(f"tags.{key}", wanted, accepted)
    return tuple(sorted(value.items()))


def _test(table: _Table, base: Path) -> TestSettings:
    table.check_keys(("scenarios",))
    name = table.optional("scenarios", str, "give a TOML file path relative to the config")
    return TestSettings(scenarios=base / name if name is not None else None)
