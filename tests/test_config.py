"""Config validation: every bad value is one error naming the key, the value and the fix."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from cffunc.config.load import load_config, parse_config
from cffunc.errors import ConfigError
from tests.helpers import SAMPLES, make_config


def error_of(data: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as raised:
        make_config(data)
    message = str(raised.value)
    assert "\n" not in message
    return message


def test_samples_load() -> None:
    rewrite = load_config(SAMPLES / "cffunc.toml")
    assert rewrite.maintenance.mode == "rewrite"
    assert rewrite.function.runtime == "cloudfront-js-2.0"
    assert [str(n) for n in rewrite.allow.ips] == [
        "203.0.113.0/24",
        "2001:db8::/32",
        "198.51.100.7/32",
    ]
    assert rewrite.distributions[0].behaviors == ("*", "/api/*")
    assert rewrite.test.scenarios == SAMPLES / "scenarios.toml"
    respond = load_config(SAMPLES / "respond.toml")
    assert respond.maintenance.mode == "respond"
    assert respond.maintenance.page == SAMPLES / "maintenance.html"
    assert respond.distributions[0].alias == "blog.example.com"


def test_defaults() -> None:
    config = make_config({})
    assert config.function.runtime == "cloudfront-js-2.0"
    assert config.maintenance.mode == "rewrite"
    assert config.maintenance.status == 503
    assert config.maintenance.json is True
    assert config.allow.bypass_ttl == 43200
    assert config.distributions == ()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"allow": {"ips": ["10.0.0.300/8"]}},
            'samples/cffunc.toml: allow.ips entry "10.0.0.300/8" is not accepted',
        ),
        (
            {"allow": {"ips": ["203.0.113.9/24"]}},
            "(it has host bits set; did you mean 203.0.113.0/24?)",
        ),
        (
            {"maintenance": {"hosts": ["https://shop.example.com"]}},
            'maintenance.hosts entry "https://shop.example.com" is not accepted; give a host name',
        ),
        (
            {"maintenance": {"hosts": ["shop.example.com:443"]}},
            "(no scheme, path or port)",
        ),
        (
            {"maintenance": {"hosts": []}},
            "an empty list covers nothing; leave maintenance.hosts out",
        ),
        (
            {"maintenance": {"paths": []}},
            "an empty list covers nothing; leave maintenance.paths out",
        ),
        (
            {"maintenance": {"paths": ["/checkout/[ab]"]}},
            'maintenance.paths entry "/checkout/[ab]" is not accepted',
        ),
        (
            {"maintenance": {"methods": "reads"}},
            'maintenance.methods = "reads" is not accepted; use "all" or "writes"',
        ),
        (
            {"maintenance": {"mode": "redirect"}},
            'maintenance.mode = "redirect" is not accepted; use "rewrite" or "respond"',
        ),
        (
            {
                "function": {"name": "fn", "runtime": "cloudfront-js-1.0"},
                "maintenance": {"origin": "o"},
            },
            'maintenance.origin = "o" is not accepted; switching the origin needs '
            'function.runtime = "cloudfront-js-2.0"',
        ),
        (
            {"maintenance": {"mode": "respond", "page": "missing.html"}},
            'maintenance.page = "missing.html" is not accepted; the file',
        ),
        (
            {"maintenance": {"start": "2026-12-01T04:00:00Z", "end": "2026-12-01T02:00:00Z"}},
            'maintenance.end = "2026-12-01T02:00:00Z" is not accepted; it must be later '
            "than maintenance.start (2026-12-01T04:00:00+00:00)",
        ),
        (
            {"maintenance": {"start": "2026-12-01 02:00"}},
            'maintenance.start = "2026-12-01 02:00" is not accepted; give an RFC 3339 time',
        ),
        (
            {"maintenance": {"colour": "red"}},
            "unknown key maintenance.colour; keys accepted in [maintenance]: mode, object,",
        ),
        ({"extra": 1}, "unknown key extra; keys accepted in the top level:"),
        (
            {"function": {"name": "shop maintenance"}},
            'function.name = "shop maintenance" is not accepted; give 1-64 characters of',
        ),
        ({"function": {"name": "x" * 65}}, "function.name ="),
        ({"function": {}}, "function.name is required"),
        ({"maintenance": {"status": 200}}, "maintenance.status = 200 is not accepted"),
        ({"maintenance": {"status": True}}, "maintenance.status = true is not accepted"),
        ({"maintenance": {"retry_after": -1}}, "maintenance.retry_after = -1 is not accepted"),
        (
            {"maintenance": {"object": "maintenance.html"}},
            'maintenance.object = "maintenance.html"',
        ),
        ({"maintenance": {"page": "x.html"}}, 'the page is inlined only in mode = "respond"'),
        ({"allow": {"paths": ["/a b"]}}, 'allow.paths entry "/a b" is not accepted'),
        ({"allow": {"paths": "/health"}}, 'allow.paths = "/health" is not accepted; give a list'),
        (
            {"allow": {"bypass_ttl": 10}},
            "allow.bypass_ttl = 10 is not accepted; give seconds from 60",
        ),
        ({"allow": {"bypass_cookie": "a=b"}}, 'allow.bypass_cookie = "a=b" is not accepted'),
        ({"allow": {"bypass_secret_env": "1X"}}, 'allow.bypass_secret_env = "1X" is not accepted'),
        (
            {"distributions": [{}]},
            "distributions[0] needs exactly one of id, alias, or aliases and/or tags",
        ),
        (
            {"distributions": [{"id": "E1", "alias": "a.example.com"}]},
            "distributions[0] needs exactly one of id, alias, or aliases and/or tags",
        ),
        ({"distributions": [{"id": "e1"}]}, 'distributions[0].id = "e1" is not accepted'),
        ({"distributions": [{"alias": "not a host"}]}, 'distributions[0].alias = "not a host"'),
        (
            {"distributions": [{"id": "E1", "behaviors": []}]},
            "distributions[0].behaviors = [] is not accepted; give a non-empty list",
        ),
        ({"function": {"name": "fn", "comment": "c" * 129}}, "function.comment ="),
        (
            {"maintenance": {"store_unreadable": "maintenance"}},
            'maintenance.store_unreadable = "maintenance" is not accepted; only a KeyValueStore '
            'can be unreadable: it applies to toggle = "kvs"; remove it',
        ),
        (
            {
                "function": {"name": "fn", "runtime": "cloudfront-js-2.0"},
                "maintenance": {"toggle": "kvs", "store_unreadable": "closed"},
            },
            'maintenance.store_unreadable = "closed" is not accepted; use "pass" or "maintenance"',
        ),
    ],
)
def test_bad_values_name_key_value_and_fix(data: dict[str, Any], message: str) -> None:
    assert message in error_of(data)


def test_toml_datetime_values_are_accepted() -> None:
    import tomllib

    data = tomllib.loads(
        '[function]\nname = "fn"\n[maintenance]\nstart = 2026-12-01T02:00:00Z\n'
        "retry_after = 2026-12-01T04:00:00+01:00\n"
    )
    config = parse_config(data, SAMPLES / "cffunc.toml")
    assert config.maintenance.start is not None
    assert config.maintenance.retry_after is not None


def test_missing_and_invalid_files(tmp_path: Path) -> None:
    with pytest.raises(
        ConfigError, match="config file not found; `cffunc init` writes a starter one"
    ):
        load_config(tmp_path / "cffunc.toml")
    bad = tmp_path / "cffunc.toml"
    bad.write_text("[function\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(bad)


def test_a_url_where_a_path_belongs_gets_a_hint() -> None:
    with pytest.raises(
        ConfigError,
        match=re.escape(
            'allow.paths entry "https://shop.example.com/health" is not accepted; '
            'give the path without scheme and host, e.g. "/health"'
        ),
    ):
        make_config({"allow": {"paths": ["https://shop.example.com/health"]}})
    with pytest.raises(
        ConfigError,
        match=r'distributions\[0\].behaviors entry "http://x.example.com/api/\*" is not accepted; give the path without scheme and host, e.g. "/api/\*"',
    ):
        make_config({"distributions": [{"id": "E1", "behaviors": ["http://x.example.com/api/*"]}]})
