"""Fleet selection's pure parts: the config keys, the alias patterns, bounded concurrency,
the retry backoff and the gRPC notes (no local API; test_fleet runs them against it)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cffunc.deploy.grpc import grpc_notes
from cffunc.deploy.parallel import each, map_all
from cffunc.deploy.plan import RemoteDistribution
from cffunc.deploy.select import alias_matches
from cffunc.errors import ConfigError
from tests.helpers import make_config

# ---- the config ----


def test_aliases_and_tags_select_a_fleet() -> None:
    config = make_config(
        {"distributions": [
            {"aliases": ["*.Example.com", "shop.example.org."], "tags": {"env": "prod", "team": "web"}},
            {"tags": {"env": "staging"}, "behaviors": ["*"]},
        ]}
    )  # fmt: skip
    first, second = config.distributions
    assert first.aliases == ("*.example.com", "shop.example.org")
    assert first.tags == (("env", "prod"), ("team", "web"))
    assert first.fleet and second.fleet and second.aliases is None
    assert first.describe() == "aliases *.example.com, shop.example.org and tags env=prod, team=web"
    assert second.behaviors == ("*",)


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"aliases": ["shop.example.*"]}, 'distributions[0].aliases entry "shop.example.*" is not accepted; give domain names'),
        ({"aliases": ["*shop.example.com"]}, "a * only as the whole first label"),
        ({"aliases": ["sub.*.example.com"]}, "is not accepted"),
        ({"aliases": []}, "distributions[0].aliases = [] is not accepted"),
        ({"aliases": "*.example.com"}, "give a list of strings"),
        ({"tags": {}}, "distributions[0].tags = {} is not accepted"),
        ({"tags": {"env": 1}}, "distributions[0].tags.env = 1 is not accepted"),
        ({"tags": {"env": "x" * 257}}, "distributions[0].tags.env"),
        ({"tags": {"é": "x"}}, "distributions[0].tags.é"),
        ({"tags": "env=prod"}, 'distributions[0].tags = "env=prod" is not accepted; give a table'),
        ({"id": "E2EXAMPLE12345", "tags": {"env": "prod"}}, "needs exactly one of id, alias, or aliases and/or tags"),
        ({"alias": "shop.example.com", "aliases": ["*.example.com"]}, "needs exactly one of"),
        ({}, "needs exactly one of"),
        ({"aliasses": ["*.example.com"]}, "unknown key distributions[0].aliasses"),
    ],
)  # fmt: skip
def test_bad_fleet_selectors_are_refused_naming_the_key(
    entry: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        make_config({"distributions": [entry]})
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)


# ---- alias patterns ----


@pytest.mark.parametrize(
    ("pattern", "name", "matches"),
    [
        ("*.example.com", "shop.example.com", True),
        ("*.example.com", "a.b.example.com", True),  # any depth, as CloudFront's wildcard
        ("*.example.com", "example.com", False),  # not the name itself
        ("*.example.com", "badexample.com", False),
        ("*.example.com", "*.example.com", True),
        ("*.example.com", "*.shop.example.com", True),  # a wildcard alias below it
        ("*.shop.example.com", "*.example.com", False),  # covers more than the pattern
        ("shop.example.com", "SHOP.example.com.", True),
        ("shop.example.com", "*.example.com", False),  # exact names match exactly
        ("shop.example.com", "www.shop.example.com", False),
    ],
)
def test_alias_patterns_read_as_cloudfront_wildcards(
    pattern: str, name: str, matches: bool
) -> None:
    assert alias_matches(pattern, name) is matches


labels = st.text("abcxyz0-", min_size=1, max_size=5).filter(lambda t: t[0] != "-" and t[-1] != "-")
names = st.lists(labels, min_size=1, max_size=4).map(".".join)


@settings(max_examples=300, derandomize=True)
@given(names, names)
def test_a_wildcard_matches_exactly_the_names_below_it(base: str, name: str) -> None:
    # Oracle: a name is below base when its labels end with base's labels, and are more.
    below = name.split(".")[-len(base.split(".")) :] == base.split(".") and name != base
    assert alias_matches(f"*.{base}", name) is below
    assert alias_matches(base, name) is (name == base)


# ---- bounded concurrency ----


def test_each_keeps_the_order_and_never_runs_more_than_asked() -> None:
    running, peak, lock = [0], [0], threading.Lock()
    release = threading.Event()

    def work(n: int) -> int:
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
            if running[0] == 3:
                release.set()
        release.wait(timeout=10)
        with lock:
            running[0] -= 1
        return n * n

    outcomes = each(list(range(20)), work, concurrency=3)
    assert [o.result for o in outcomes] == [n * n for n in range(20)]
    assert peak[0] == 3


def test_after_a_failure_nothing_new_starts_and_the_running_finish() -> None:
    started: list[int] = []
    gate = threading.Event()

    def work(n: int) -> int:
        started.append(n)
        if n == 1:
            gate.wait(timeout=10)  # still running when 0 fails
            return n
        if n == 0:
            gate.set()
            raise RuntimeError("boom")
        return n

    outcomes = each(list(range(10)), work, concurrency=2)
    assert isinstance(outcomes[0].error, RuntimeError)
    assert outcomes[1].ok and outcomes[1].result == 1  # it finished
    assert sorted(started) == [0, 1] and not any(o.started for o in outcomes[2:])
    with pytest.raises(RuntimeError, match="boom"):
        map_all(list(range(10)), work, concurrency=2)


def test_a_waiting_signal_stops_new_work_and_base_exceptions_come_back() -> None:
    class Stop(BaseException):
        pass

    stop = threading.Event()

    def work(n: int) -> int:
        if n == 2:
            stop.set()
        if n == 3:
            raise Stop
        return n

    outcomes = each(list(range(8)), work, concurrency=1, stop=stop.is_set)
    assert [o.started for o in outcomes] == [True, True, True] + [False] * 5
    outcomes = each(list(range(8)), work, concurrency=4)
    assert isinstance(outcomes[3].error, Stop)


# ---- gRPC ----


def grpc_distribution(
    enabled_on: tuple[str, ...], behaviors: tuple[str, ...] | None
) -> RemoteDistribution:
    def behavior(pattern: str) -> dict[str, Any]:
        grpc = {"GrpcConfig": {"Enabled": pattern in enabled_on}}
        return {"PathPattern": pattern, "TargetOriginId": "o", **grpc}

    config = {
        "DefaultCacheBehavior": {
            "TargetOriginId": "o",
            "GrpcConfig": {"Enabled": "*" in enabled_on},
        },
        "CacheBehaviors": {"Quantity": 2, "Items": [behavior("/api/*"), behavior("/grpc/*")]},
    }
    return RemoteDistribution("E1", config, "x", behaviors, "E1 (api.example.com)")


def test_grpc_behaviors_are_named_with_what_their_calls_get() -> None:
    config = make_config({"maintenance": {"mode": "respond", "status": 503}})
    assert grpc_notes(config, [grpc_distribution((), None)]) == ()
    # Only the selected behaviors count.
    assert grpc_notes(config, [grpc_distribution(("/grpc/*",), ("*", "/api/*"))]) == ()
    (note,) = grpc_notes(config, [grpc_distribution(("/grpc/*", "*"), None)])
    assert note.startswith(
        "distribution E1 (api.example.com), behaviors '*', '/grpc/*': gRPC is enabled (GrpcConfig), "
        "and CloudFront Functions run on gRPC requests, so during maintenance its gRPC calls get "
        "the maintenance answer: HTTP 503 with no grpc-status, which a gRPC client cannot read; "
        "it reports UNAVAILABLE (gRPC's mapping of HTTP 503) without the message."
    )
    teapot = make_config({"maintenance": {"mode": "respond", "status": 500}})
    assert (
        "it reports UNKNOWN (gRPC's mapping of HTTP 500)"
        in grpc_notes(teapot, [grpc_distribution(("/grpc/*",), None)])[0]
    )


def test_the_iam_policy_lets_a_fleet_be_listed_and_its_tags_read() -> None:
    from cffunc.deploy.iam import iam_policy

    policy = iam_policy(make_config({"distributions": [{"tags": {"env": "prod"}}]}))
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    assert by_sid["CffuncDistributions"]["Resource"] == ["arn:aws:cloudfront::*:distribution/*"]
    assert "cloudfront:ListTagsForResource" in by_sid["CffuncDistributions"]["Action"]
    assert by_sid["CffuncListDistributionsAndTenants"]["Action"] == [
        "cloudfront:ListDistributions", "cloudfront:ListDistributionTenants",
    ]  # fmt: skip
    single = iam_policy(make_config({"distributions": [{"id": "E2EXAMPLE12345"}]}))
    resources = [s["Resource"] for s in single["Statement"]]
    assert ["arn:aws:cloudfront::*:distribution/E2EXAMPLE12345"] in resources
