"""Real-world log variations, each counted where it belongs or reported malformed, never
guessed: the documentation's own example lines, status 000, x-forwarded-for lists, IPv6
viewers, a last line cut short, `-` for empty fields, percent-encoded values, real-time
lines with their field list, logging v2 JSON with fields missing, the two fields after
the classic 33, and gRPC requests. Events are checked through --explain (the event
replay built and the function's answer), counts against the decision model.

Sources: DeveloperGuide/standard-logs-reference.html (fields, example log),
real-time-logs.html (real-time fields), distribution-using-grpc.html (gRPC).
"""

from __future__ import annotations

import gzip
import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from cffunc.config.load import load_config
from cffunc.function.decide import decide
from cffunc.function.render import render
from cffunc.function.rules import MaintenanceRules, compile_rules
from cffunc.replay.run import CLASSES, ReplaySummary, _request, format_summary, replay
from cffunc.replay.sources import CLASSIC_FIELDS
from cffunc.runtime import FunctionRuntime
from tests.helpers import ENV, NOW, SAMPLES, Processes

HEADER = "#Version: 1.0\n#Fields: " + " ".join(CLASSIC_FIELDS) + "\n"
# The example log of standard-logs-reference.html, verbatim.
DOCUMENTED = """2019-12-04	21:02:31	LAX1	392	192.0.2.100	GET	d111111abcdef8.cloudfront.net	/index.html	200	-	Mozilla/5.0%20(Windows%20NT%2010.0;%20Win64;%20x64)%20AppleWebKit/537.36%20(KHTML,%20like%20Gecko)%20Chrome/78.0.3904.108%20Safari/537.36	-	-	Hit	SOX4xwn4XV6Q4rgb7XiVGOHms_BGlTAC4KyHmureZmBNrjGdRLiNIQ==	d111111abcdef8.cloudfront.net	https	23	0.001	-	TLSv1.2	ECDHE-RSA-AES128-GCM-SHA256	Hit	HTTP/2.0	-	-	11040	0.001	Hit	text/html	78	-	-
2019-12-04	21:02:31	LAX1	392	192.0.2.100	GET	d111111abcdef8.cloudfront.net	/index.html	200	-	Mozilla/5.0%20(Windows%20NT%2010.0;%20Win64;%20x64)%20AppleWebKit/537.36%20(KHTML,%20like%20Gecko)%20Chrome/78.0.3904.108%20Safari/537.36	-	-	Hit	k6WGMNkEzR5BEM_SaF47gjtX9zBDO2m349OY2an0QPEaUum1ZOLrow==	d111111abcdef8.cloudfront.net	https	23	0.000	-	TLSv1.2	ECDHE-RSA-AES128-GCM-SHA256	Hit	HTTP/2.0	-	-	11040	0.000	Hit	text/html	78	-	-
2019-12-04	21:02:31	LAX1	392	192.0.2.100	GET	d111111abcdef8.cloudfront.net	/index.html	200	-	Mozilla/5.0%20(Windows%20NT%2010.0;%20Win64;%20x64)%20AppleWebKit/537.36%20(KHTML,%20like%20Gecko)%20Chrome/78.0.3904.108%20Safari/537.36	-	-	Hit	f37nTMVvnKvV2ZSvEsivup_c2kZ7VXzYdjC-GUQZ5qNs-89BlWazbw==	d111111abcdef8.cloudfront.net	https	23	0.001	-	TLSv1.2	ECDHE-RSA-AES128-GCM-SHA256	Hit	HTTP/2.0	-	-	11040	0.001	Hit	text/html	78	-	-
2019-12-13	22:36:27	SEA19-C1	900	192.0.2.200	GET	d111111abcdef8.cloudfront.net	/favicon.ico	502	http://www.example.com/	Mozilla/5.0%20(Windows%20NT%2010.0;%20Win64;%20x64)%20AppleWebKit/537.36%20(KHTML,%20like%20Gecko)%20Chrome/78.0.3904.108%20Safari/537.36	-	-	Error	1pkpNfBQ39sYMnjjUQjmH2w1wdJnbHYTbag21o_3OfcQgPzdL2RSSQ==	www.example.com	http	675	0.102	-	-	-	Error	HTTP/1.1	-	-	25260	0.102	OriginDnsError	text/html	507	-	-
2019-12-13	22:36:26	SEA19-C1	900	192.0.2.200	GET	d111111abcdef8.cloudfront.net	/	502	-	Mozilla/5.0%20(Windows%20NT%2010.0;%20Win64;%20x64)%20AppleWebKit/537.36%20(KHTML,%20like%20Gecko)%20Chrome/78.0.3904.108%20Safari/537.36	-	-	Error	3AqrZGCnF_g0-5KOvfA7c9XLcf4YGvMFSeFdIetR1N_2y8jSis8Zxg==	www.example.com	http	735	0.107	-	-	-	Error	HTTP/1.1	-	-	3802	0.107	OriginDnsError	text/html	507	-	-
2019-12-13	22:37:02	SEA19-C2	900	192.0.2.200	GET	d111111abcdef8.cloudfront.net	/	502	-	curl/7.55.1	-	-	Error	kBkDzGnceVtWHqSCqBUqtA_cEs2T3tFUBbnBNkB9El_uVRhHgcZfcw==	www.example.com	http	387	0.103	-	-	-	Error	HTTP/1.1	-	-	12644	0.103	OriginDnsError	text/html	507	-	-
"""
CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/78.0.3904.108 Safari/537.36"
)
FIRST = DOCUMENTED.splitlines()[0].split("\t")


def line(**fields: str) -> str:
    """The documentation's first example line with some fields changed."""
    values = dict(zip(CLASSIC_FIELDS, FIRST, strict=True)) | fields
    return "\t".join(values[f] for f in CLASSIC_FIELDS)


@pytest.fixture(scope="module")
def rules() -> MaintenanceRules:
    return compile_rules(load_config(SAMPLES / "cffunc.toml"), ENV)


@pytest.fixture(scope="module")
def engine(rules: MaintenanceRules) -> Any:
    with FunctionRuntime(render(rules).code, rules.runtime, trusted=True) as runtime:
        yield runtime


def run(
    engine: FunctionRuntime,
    rules: MaintenanceRules,
    path: Path,
    fields: list[str] | None = None,
    explain: int = 20,
) -> ReplaySummary:
    summary = replay(engine, rules, [str(path)], NOW, fields=fields, explain=explain)
    # One run of the function per reading or one per line: the same summary, but for
    # the explanations saying which lines reused a decision.
    every = replay(engine, rules, [str(path)], NOW, fields=fields, explain=explain, reuse=False)
    assert _unreused(every.as_json()) == _unreused(summary.as_json())
    return summary


def _unreused(document: dict[str, Any]) -> dict[str, Any]:
    explained = [
        {k: v for k, v in item.items() if k not in ("reused", "reused_class")}
        for item in document["explained"]
    ]
    return document | {"explained": explained}


def events(summary: ReplaySummary) -> list[dict[str, Any]]:
    return [item["event"] for item in summary.explained]


def test_the_documentations_example_log(
    tmp_path: Path, rules: MaintenanceRules, engine: FunctionRuntime
) -> None:
    path = tmp_path / "E2EXAMPLE.2019-12-04-21.example.log"
    path.write_text(HEADER + DOCUMENTED)
    summary = run(engine, rules, path)
    assert summary.lines == summary.replayed == 6 and summary.malformed == 0
    made = events(summary)
    assert [e["viewer"]["ip"] for e in made] == ["192.0.2.100"] * 3 + ["192.0.2.200"] * 3
    assert [e["request"]["uri"] for e in made] == ["/index.html"] * 3 + ["/favicon.ico", "/", "/"]
    # The Host the viewer sent (x-host-header), not the distribution's name (cs(Host)).
    hosts = [e["request"]["headers"]["host"]["value"] for e in made]
    assert hosts == ["d111111abcdef8.cloudfront.net"] * 3 + ["www.example.com"] * 3
    agents = [e["request"]["headers"]["user-agent"]["value"] for e in made]
    assert agents == [CHROME] * 5 + ["curl/7.55.1"]
    assert made[3]["request"]["headers"]["referer"] == {"value": "http://www.example.com/"}
    assert all(e["request"]["cookies"] == {} and e["request"]["querystring"] == {} for e in made)
    assert summary.counts["maintenance"] == 6
    assert summary.timeline == {"2019-12-04T21:00": [0, 3, 0, 0], "2019-12-13T22:35": [0, 3, 0, 0]}


def test_status_000_is_counted_by_the_functions_decision(
    tmp_path: Path, rules: MaintenanceRules, engine: FunctionRuntime
) -> None:
    """000: "the viewer closed the connection before the server could respond". The
    function ran on the request; what it decided does not depend on the status."""
    path = tmp_path / "closed.log"
    path.write_text(
        HEADER
        + line(**{"sc-status": "000"})
        + "\n"
        + line(**{"sc-status": "000", "c-ip": "203.0.113.5"})
        + "\n"
        + line()
        + "\n"
    )
    summary = run(engine, rules, path)
    assert summary.malformed == 0 and summary.replayed == 3
    assert +summary.closed == {"maintenance": 1, "pass": 1}
    assert summary.as_json()["status_000"] == {
        "count": 2, "classes": {"pass": 1, "maintenance": 1, "redirect": 0, "error": 0},
    }  # fmt: skip
    assert "status 000 (the viewer closed the connection before the answer): 2" in (
        format_summary(summary)
    )


def test_x_forwarded_for_lists_with_and_without_spaces(
    tmp_path: Path, rules: MaintenanceRules, engine: FunctionRuntime
) -> None:
    """The function sees c-ip (the proxy: 198.51.100.7 is allowlisted alone in the
    sample), never the header; the first address of x-forwarded-for is the viewer behind
    the proxy, counted apart."""
    lists = [
        "192.0.2.183, 2001:0db8:85a3::8a2e:0370:7334",
        "192.0.2.183,10.0.0.1",
        "2001:0db8:85a3::8a2e:0370:7334",
        "unknown",
        "-",
    ]
    path = tmp_path / "proxied.log"
    path.write_text(
        HEADER
        + "".join(line(**{"c-ip": "198.51.100.7", "x-forwarded-for": x}) + "\n" for x in lists)
    )
    summary = run(engine, rules, path)
    assert [e["viewer"]["ip"] for e in events(summary)] == ["198.51.100.7"] * 5
    assert all("x-forwarded-for" not in e["request"]["headers"] for e in events(summary))
    assert summary.counts["pass"] == 5 and summary.rules == {"allowed-ip 198.51.100.7/32": 5}
    assert +summary.proxied == {"pass": 4}
    assert summary.forwarded["pass"] == {"192.0.2.0/24": 2, "2001:db8:85a3::/48": 1}
    assert summary.unreadable_forwarded == 1


def test_ipv6_viewers(tmp_path: Path, rules: MaintenanceRules, engine: FunctionRuntime) -> None:
    """The documentation's IPv6 example (leading zeros in groups) and other spellings:
    matched against the allowlist (2001:db8::/32) and counted by /48."""
    ips = ["2001:0db8:85a3::8a2e:0370:7334", "2001:DB8::1", "2001:db8:0:0:0:0:0:2", "2001:db9::1"]
    path = tmp_path / "v6.log"
    path.write_text(HEADER + "".join(line(**{"c-ip": ip}) + "\n" for ip in ips))
    summary = run(engine, rules, path)
    assert summary.rules == {"allowed-ip 2001:db8::/32": 3}
    assert summary.networks["pass"] == {"2001:db8:85a3::/48": 1, "2001:db8::/48": 2}
    assert summary.networks["maintenance"] == {"2001:db9::/48": 1}


def test_a_last_line_cut_short(
    tmp_path: Path, rules: MaintenanceRules, engine: FunctionRuntime
) -> None:
    """A file that ends without a newline: a last line with fewer fields is malformed; one
    cut inside its last field (sc-range-end, which replay does not read) is counted."""
    cut = tmp_path / "cut.log"
    cut.write_text(HEADER + line() + "\n" + line()[:150])
    summary = run(engine, rules, cut)
    fields = line()[:150].count("\t") + 1
    assert summary.replayed == 1 and summary.malformed_lines == [
        f"{cut}:4 (cut short: {fields} fields and no newline at the end)"
    ]
    whole = tmp_path / "whole.log"
    whole.write_text(HEADER + line() + "\n" + line())
    assert run(engine, rules, whole).replayed == 2
    zipped = tmp_path / "cut.log.gz"
    lines = [line(**{"x-edge-request-id": f"r{i}"}) for i in range(300)]
    zipped.write_bytes(gzip.compress((HEADER + "\n".join(lines) + "\n").encode())[:-30])
    summary = run(engine, rules, zipped)
    assert summary.replayed > 0 and summary.malformed_lines[-1].endswith(
        "(the gzip stream ends early: the file is cut short)"
    )


def test_dashes_are_empty_and_required_fields_are_not(
    tmp_path: Path, rules: MaintenanceRules, engine: FunctionRuntime
) -> None:
    path = tmp_path / "dashes.log"
    path.write_text(
        HEADER
        + line(**{"cs(Referer)": "-", "cs(User-Agent)": "-", "cs-uri-query": "-"})
        + "\n"
        + line(**{"c-ip": "-"})
        + "\n"
        + line(**{"cs-method": "-"})
        + "\n"
        + line(**{"cs-uri-stem": "-"})
        + "\n"
    )
    summary = run(engine, rules, path)
    (event,) = events(summary)
    assert event["request"]["headers"] == {"host": {"value": "d111111abcdef8.cloudfront.net"}}
    assert event["request"]["querystring"] == {} and event["request"]["cookies"] == {}
    assert summary.malformed_lines == [
        f"{path}:4 (c-ip is empty (-))",
        f"{path}:5 (cs-method is empty (-))",
        f"{path}:6 (cs-uri-stem is empty (-))",
    ]


def test_percent_encoded_values_are_decoded_once(
    tmp_path: Path, rules: MaintenanceRules, engine: FunctionRuntime
) -> None:
    """CloudFront logs a value percent-encoded once (a space as %20, % as %25): decoding
    once gives what the viewer sent, the query string still in its own encoding."""
    path = tmp_path / "encoded.log"
    path.write_text(
        HEADER
        + line(
            **{
                "cs-uri-query": "q=caf%25C3%25A9&x=a%2520b&flag",
                "cs(User-Agent)": "Tiny%2520Tiny%2520RSS/21.3%20(+https://tt-rss.org/)",
                "cs(Cookie)": "theme=dark;%20lang=fr",
                "cs-uri-stem": "/search%20results/%25E9t%25E9",
            }
        )
        + "\n"
        + line(**{"cs(User-Agent)": "latin%E9%20agent"})
        + "\n"
    )
    summary = run(engine, rules, path)
    first, second = events(summary)
    assert first["request"]["querystring"] == {
        "q": {"value": "caf%C3%A9"}, "x": {"value": "a%20b"}, "flag": {"value": ""},
    }  # fmt: skip
    assert first["request"]["headers"]["user-agent"] == {
        "value": "Tiny%20Tiny%20RSS/21.3 (+https://tt-rss.org/)"
    }
    assert first["request"]["cookies"] == {"theme": {"value": "dark"}, "lang": {"value": "fr"}}
    assert first["request"]["uri"] == "/search results/%E9t%E9"
    # Not UTF-8 once decoded: the ASCII escapes are undone, the others kept as logged.
    assert second["request"]["headers"]["user-agent"] == {"value": "latin%E9 agent"}


REALTIME = [
    "timestamp", "c-ip", "time-to-first-byte", "sc-status", "sc-bytes", "cs-method",
    "cs-protocol", "cs-host", "cs-uri-stem", "cs-bytes", "x-edge-location", "x-edge-request-id",
    "x-host-header", "time-taken", "cs-protocol-version", "c-ip-version", "cs-user-agent",
    "cs-referer", "cs-cookie", "cs-uri-query", "x-edge-response-result-type", "x-forwarded-for",
    "ssl-protocol", "ssl-cipher", "x-edge-result-type", "fle-encrypted-fields", "fle-status",
    "sc-content-type", "sc-content-len", "sc-range-start", "sc-range-end", "c-port",
    "x-edge-detailed-result-type", "c-country", "cs-accept-encoding", "cs-accept",
    "cache-behavior-path-pattern", "cs-headers", "cs-header-names", "cs-headers-count",
]  # fmt: skip


def realtime(**fields: str) -> str:
    values = {f: "-" for f in REALTIME} | {
        "timestamp": "1575493351.123", "c-ip": "192.0.2.100", "sc-status": "200",
        "cs-method": "GET", "cs-protocol": "https", "cs-host": "www.example.com",
        "cs-uri-stem": "/images/cat.jpg?mobile=true", "x-host-header": "d111111abcdef8.cloudfront.net",
        "c-ip-version": "IPv4", "cs-uri-query": "mobile=true", "cs-user-agent": "curl/8.5.0",
    } | fields  # fmt: skip
    return "\t".join(values[f] for f in REALTIME)


def test_real_time_lines_with_their_field_list(
    tmp_path: Path, rules: MaintenanceRules, engine: FunctionRuntime
) -> None:
    """Real-time logs name fields apart and mean three of them otherwise: cs-host is the
    viewer's Host, x-host-header the distribution's name, cs-uri-stem holds the query;
    cs-accept reaches the function (JSON answers); a cs-cookie of 800 bytes may have been
    cut, so with a bypass cookie to read that line is malformed."""
    path = tmp_path / "realtime.log"
    path.write_text(
        realtime()
        + "\n"
        + realtime(
            **{
                "cs-accept": "application/json",
                "cs-cookie": "theme=dark",
                "cs-uri-query": "page=2",
                "cs-uri-stem": "/api/orders?page=2",
            }
        )
        + "\n"
        + realtime(**{"cs-cookie": "a=" + "x" * 798})
        + "\n"
    )
    summary = run(engine, rules, path, fields=REALTIME)
    first, second = events(summary)
    assert first["request"]["uri"] == "/images/cat.jpg"
    assert first["request"]["querystring"] == {"mobile": {"value": "true"}}
    assert first["request"]["headers"]["host"] == {"value": "www.example.com"}
    assert second["request"]["querystring"] == {"page": {"value": "2"}}
    assert second["request"]["headers"]["accept"] == {"value": "application/json"}
    answer = summary.explained[1]["output"]
    assert answer["statusCode"] == 503
    assert answer["headers"]["content-type"]["value"].startswith("application/json")
    assert summary.malformed_lines == [
        f"{path}:3 (cs-cookie cut at 800 bytes: the bypass cookie may be in the part cut off)"
    ]
    assert summary.timeline == {"2019-12-04T21:00": [0, 2, 0, 0]}


def test_v2_json_with_fields_missing(
    tmp_path: Path, rules: MaintenanceRules, engine: FunctionRuntime
) -> None:
    """A field a record lacks is empty, as "-" is, but c-ip, cs-method and cs-uri-stem,
    without which the line is malformed; timestamp(ms) gives the time when date and time
    are missing; what is not a JSON object is malformed, the file read on."""
    whole = dict(zip(CLASSIC_FIELDS, FIRST, strict=True))
    records = [
        whole,
        {k: v for k, v in whole.items() if k not in ("cs(Cookie)", "cs(Referer)")},
        {k: v for k, v in whole.items() if k != "c-ip"},
        {k: v for k, v in whole.items() if k != "cs-method"},
        {k: v for k, v in whole.items() if k not in ("date", "time")} | {"timestamp(ms)": "1575493351123"},
    ]  # fmt: skip
    text = "".join(json.dumps(r) + "\n" for r in records) + "[1]\n{not json\n" + '{"c-ip": "1.2'
    path = tmp_path / "E2EXAMPLE.2019-12-04-21.v2.json"
    path.write_text(text)
    summary = run(engine, rules, path)
    assert summary.replayed == 3
    assert summary.malformed_lines == [
        f"{path}:3 (c-ip is empty (-))",
        f"{path}:4 (cs-method is empty (-))",
        f"{path}:6 (not a JSON object)",
        f"{path}:7 (not JSON)",
        f"{path}:8 (not JSON)",
    ]
    assert summary.timeline == {"2019-12-04T21:00": [0, 3, 0, 0]}


def test_the_two_fields_after_the_classic_33(
    tmp_path: Path, rules: MaintenanceRules, engine: FunctionRuntime
) -> None:
    """distribution-tenant-id and connection-id come after the classic 33: named in the
    #Fields line, read (lines counted per tenant); appended to lines under a #Fields line
    naming only the 33 (the documentation's example header), counted without being read;
    any other count of fields is malformed."""
    named = tmp_path / "named.log"
    full = HEADER.replace("sc-range-end", "sc-range-end distribution-tenant-id connection-id")
    named.write_text(
        full
        + line() + "\tdt_2abc\tcid-1\n"
        + line(**{"c-ip": "203.0.113.9"}) + "\tdt_2abc\t-\n"
        + line() + "\t-\t-\n"
        + line() + "\n"
    )  # fmt: skip
    summary = run(engine, rules, named)
    assert summary.replayed == 3 and summary.malformed_lines == [
        f"{named}:6 (33 fields, the #Fields line names 35)"
    ]
    assert summary.by_tenant() == [
        {"tenant": "dt_2abc", "pass": 1, "maintenance": 1, "redirect": 0, "error": 0},
        {"tenant": "-", "pass": 0, "maintenance": 1, "redirect": 0, "error": 0},
    ]
    appended = tmp_path / "appended.log"
    appended.write_text(
        HEADER + line() + "\tdt_2abc\tcid-1\n" + line() + "\tdt_2abc\n" + line() + "\ta\tb\tc\n"
    )
    summary = run(engine, rules, appended)
    assert summary.replayed == 2 and summary.extra_fields == 2
    assert summary.by_tenant() == []  # not named, so not read
    assert summary.malformed_lines == [f"{appended}:5 (36 fields, the #Fields line names 33)"]


def test_grpc_requests_are_counted_apart(
    tmp_path: Path, rules: MaintenanceRules, engine: FunctionRuntime
) -> None:
    """cs-protocol grpcs: the function runs on gRPC requests (distribution-using-grpc.html:
    "CloudFront gRPC supports CloudFront Functions"), so they count by its decision, and
    apart, with what a maintenance answer means to a gRPC client."""
    path = tmp_path / "grpc.log"
    path.write_text(
        HEADER
        + line(**{"cs-protocol": "grpcs", "cs-method": "POST", "cs-uri-stem": "/shop.Cart/Add"})
        + "\n"
        + line(**{"cs-protocol": "grpcs", "cs-method": "POST", "c-ip": "203.0.113.7"})
        + "\n"
        + line()
        + "\n"
    )
    summary = run(engine, rules, path)
    assert +summary.grpc == {"maintenance": 1, "pass": 1}
    assert summary.counts == {"maintenance": 2, "pass": 1, "redirect": 0, "error": 0}
    document = summary.as_json()["grpc"]
    assert document["count"] == 2 and "cannot show the maintenance page" in document["note"]
    assert "gRPC requests (cs-protocol grpcs): 2 (pass 1, maintenance 1)" in format_summary(summary)


def test_the_counts_are_the_models(
    tmp_path: Path, rules: MaintenanceRules, engine: FunctionRuntime
) -> None:
    """Every variation above in one log: the classes are the decision model's for the
    requests the lines hold."""
    variations = [
        line(**{"sc-status": "000"}), line(**{"x-forwarded-for": "192.0.2.1,10.0.0.1"}),
        line(**{"c-ip": "2001:0db8:85a3::8a2e:0370:7334"}), line(**{"cs-protocol": "grpcs"}),
        line(**{"cs-uri-stem": "/health", "c-ip": "198.51.100.9"}),
        line(**{"cs-uri-stem": "/__cffunc/bypass", "cs-uri-query": "token%3Dx"}),
    ]  # fmt: skip
    path = tmp_path / "mixed.log"
    path.write_text(HEADER + "".join(v + "\n" for v in variations))
    summary = run(engine, rules, path)
    wanted = {c: 0 for c in CLASSES}
    for event in events(summary):
        request = event["request"]
        decision = decide(
            rules,
            _request(
                event["viewer"]["ip"], request["method"], request["uri"], "", "",
                request["headers"].get("host", {}).get("value", ""),
            ),
            NOW,
        )  # fmt: skip
        wanted[decision.action] += 1
    assert {c: summary.counts[c] for c in CLASSES} == wanted


def test_cli_explain_in_json_and_for_people(tmp_path: Path, processes: Processes) -> None:
    path = tmp_path / "example.log"
    path.write_text(HEADER + DOCUMENTED)
    args = [sys.executable, "-m", "cffunc", "-c", str(SAMPLES / "cffunc.toml"), "replay",
            "--now", "2026-12-01T03:00:00Z", "--jobs", "1", "--explain", "2", str(path)]  # fmt: skip
    env = {**os.environ, **ENV}
    ran = processes.run([*args, "--json"], env=env, capture_output=True)
    assert ran.returncode == 0, ran.stderr
    first, second = json.loads(ran.stdout)["explained"]
    assert first["line"] == f"{path}:3" and second["line"] == f"{path}:4"
    assert first["event"]["viewer"] == {"ip": "192.0.2.100"} and first["class"] == "maintenance"
    assert first["reused"] is False and second["reused"] is True
    assert second["reused_class"] == second["class"] == "maintenance"
    assert second["output"]["uri"] == "/maintenance/index.html"
    text = processes.run(args, env=env, capture_output=True).stdout.decode()
    assert f"line {path}:4: maintenance" in text
    assert "  reused: an earlier line read the same, and its decision agrees" in text
    assert (
        '  answer: the request goes on rewritten: {"method": "GET", "uri": "/maintenance/index.html"'
        in text
    )


def test_fields_are_split_as_python_splits_them(tmp_path_factory: pytest.TempPathFactory) -> None:
    """V8 finds tabs and newlines four bytes at a time: lines of any bytes (those next to
    a tab or newline in value, \\r, bytes over 127) at every alignment split into the
    fields Python's split finds. A line of 5 fields replays, others are malformed."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    junk = st.binary(max_size=9).map(lambda b: b.replace(b"\n", b"").replace(b"\t", b""))
    value = st.one_of(junk, st.sampled_from([b"\x08", b"\x0b", b"\x01\x09", b"\x89", b"\r"]))
    # the address short or empty too, so that a line's first tab may share a word (four
    # bytes) with the newline before it
    address = st.sampled_from([b"192.0.2.1", b"1", b"", b"::"])
    lines = st.lists(
        st.tuples(
            st.integers(3, 7), st.lists(value, min_size=7, max_size=7), st.booleans(), address
        ),
        min_size=1, max_size=30,
    )  # fmt: skip
    directory = tmp_path_factory.mktemp("split")
    code = "function handler(event) { return event.request; }"
    with FunctionRuntime(code, "cloudfront-js-2.0") as runtime:

        @settings(max_examples=60, deadline=None, derandomize=True)
        @given(lines, st.integers(0, 3))
        def check(drawn: list[tuple[int, list[bytes], bool, bytes]], pad: int) -> None:
            text = b"#Fields: c-ip cs-method cs-uri-stem x y\n" + b"#" * pad + b"\n"
            wanted = 0
            for count, values, crlf, ip in drawn:
                line = b"\t".join([ip, b"GET", b"/p" + values[0], *values[1:]][:count])
                text += line + (b"\r\n" if crlf else b"\n")
                wanted += len(line.split(b"\t")) == 5
            path = directory / "split.log"
            path.write_bytes(text)
            summary = replay(runtime, None, [str(path)], NOW)
            assert summary.replayed == wanted
            assert summary.malformed == len(drawn) - wanted

        check()


# ---- per tenant ----

TENANT_HEADER = HEADER.replace("sc-range-end", "sc-range-end distribution-tenant-id connection-id")
ACME = "dt_2yN5tYwVbPKr7m2IB69M1yp1AB"  # in maintenance (samples/kvs-tenants.json)
READONLY = "dt_2yN5tYwVbPKr7m2IB69M1yp1GX"  # read-only: writes get maintenance
OTHER = "dt_2yN5tYwVbPKr7m2IB69M1yp1ZZ"


def tenant_line(tenant: str, **fields: str) -> str:
    return line(**fields) + f"\t{tenant}\t-"


def test_tenant_scopes_replay_as_the_function_decides_them(tmp_path: Path) -> None:
    """samples/tenants.toml with its store: each line's tenant (distribution-tenant-id)
    reaches the function as cf.distributionTenant (and its event gets a context.endpoint,
    as a multi-tenant distribution's does); '-' is a standard distribution's request. The
    classes and the scope of each maintenance line are the decision model's for the same
    tenant; lines are counted per tenant."""
    from cffunc.function.tenants import Tenant
    from cffunc.runtime.local_store import KeyValueData

    rules = compile_rules(load_config(SAMPLES / "tenants.toml"), ENV)
    items = json.loads((SAMPLES / "kvs-tenants.json").read_text())
    lines = [
        tenant_line(ACME), tenant_line(ACME, **{"c-ip": "203.0.113.9"}),
        tenant_line(ACME, **{"cs-uri-stem": "/health"}), tenant_line(READONLY),
        tenant_line(READONLY, **{"cs-method": "POST"}), tenant_line(OTHER), tenant_line("-"),
        tenant_line(ACME, **{"cs-method": "DELETE", "cs-uri-stem": "/api/orders"}),
    ]  # fmt: skip
    path = tmp_path / "tenants.log"
    path.write_text(TENANT_HEADER + "".join(x + "\n" for x in lines))
    with FunctionRuntime(
        render(rules).code, rules.runtime, kvs=KeyValueData(items), trusted=True
    ) as runtime:
        summary = replay(runtime, rules, [str(path)], NOW, store=items, explain=20)
        every = replay(runtime, rules, [str(path)], NOW, store=items, explain=20, reuse=False)
    assert _unreused(every.as_json()) == _unreused(summary.as_json())
    classes = {c: 0 for c in CLASSES}
    scopes: dict[str, int] = {}
    for item in summary.explained:
        request = item["event"]["request"]
        through = item["tenant"]
        assert ("endpoint" in item["event"]["context"]) == (through is not None)
        decision = decide(
            rules,
            _request(
                item["event"]["viewer"]["ip"], request["method"], request["uri"], "", "",
                request["headers"]["host"]["value"], through,
            ),
            NOW, items, tenant=None if through is None else Tenant(through),
        )  # fmt: skip
        classes[decision.action] += 1
        if decision.action == "maintenance":
            assert decision.scope is not None
            label = decision.scope.describe()
            scopes[label] = scopes.get(label, 0) + 1
        assert item["class"] == decision.action
    assert {c: summary.counts[c] for c in CLASSES} == classes
    assert summary.scopes == scopes and summary.counts["maintenance"] == 3
    assert summary.by_tenant() == [
        {"tenant": ACME, "pass": 2, "maintenance": 2, "redirect": 0, "error": 0},
        {"tenant": READONLY, "pass": 1, "maintenance": 1, "redirect": 0, "error": 0},
        {"tenant": "-", "pass": 1, "maintenance": 0, "redirect": 0, "error": 0},
        {"tenant": OTHER, "pass": 1, "maintenance": 0, "redirect": 0, "error": 0},
    ]
    # The tenant's parameters are not in a log: the page fills in its default message.
    (page,) = [
        x["output"]
        for x in summary.explained
        if x["tenant"] == READONLY and x["output"].get("body")
    ]
    assert "is read-only while we migrate." in page["body"]["data"]


def test_a_config_tenant_scope(tmp_path: Path, rules: MaintenanceRules) -> None:
    """[maintenance] tenants without the store: only those tenants' requests are in
    maintenance; the passes of the others are put down to the scope."""
    from dataclasses import replace as with_

    from cffunc.config.scope import Scope

    scoped = with_(rules, scope=Scope(tenants=(ACME,)))
    path = tmp_path / "tenants.log"
    path.write_text(
        TENANT_HEADER + "".join(tenant_line(t) + "\n" for t in (ACME, ACME, OTHER, "-"))
    )
    with FunctionRuntime(render(scoped).code, scoped.runtime, trusted=True) as runtime:
        summary = replay(runtime, scoped, [str(path)], NOW)
    assert summary.counts["maintenance"] == 2 and summary.counts["pass"] == 2
    assert summary.rules == {"outside-scope": 2}
    assert summary.scopes == {f"every host; tenant {ACME}": 2}


def test_tenant_scopes_need_logs_that_name_the_tenant(
    tmp_path: Path, rules: MaintenanceRules
) -> None:
    from dataclasses import replace as with_

    from cffunc.config.scope import Scope
    from cffunc.replay.sources import LogError

    scoped = with_(rules, scope=Scope(tenants=(ACME,)))
    path = tmp_path / "classic.log"
    path.write_text(HEADER + line() + "\n")
    with (
        FunctionRuntime(render(scoped).code, scoped.runtime, trusted=True) as runtime,
        pytest.raises(LogError) as raised,
    ):
        replay(runtime, scoped, [str(path)], NOW)
    assert str(raised.value) == (
        f"{path}:2: the #Fields line lacks distribution-tenant-id (the function reads the "
        "distribution tenant, for tenant scopes: replay needs logs that name it)"
    )
