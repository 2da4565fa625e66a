"""What `cffunc serve` serves, and to whom, through a raw HTTP client against the running
server: only the maintenance object's folder (never the .env and cffunc.toml beside it),
only for requests naming the address served, and a log without the bypass token or raw
control characters.

Apart from the browser tests (tests/test_serve.py): mini-racer runs V8's callbacks on an
asyncio loop already running in the thread that creates it, and Playwright's, alive in
that module, runs only inside its own calls.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.helpers import SAMPLES, SECRET
from tests.test_serve import AFTER_END, IN_WINDOW, Running, start


def raw_request(running: Running, target: bytes, host: bytes | None = None) -> tuple[int, bytes]:
    """One request sent byte for byte (no client library normalises the target or the
    Host), the answer read to its end (Connection: close)."""
    import socket

    port = int(running.url.rsplit(":", 1)[1])
    lines = [b"GET " + target + b" HTTP/1.1"]
    lines.append(b"Host: " + (host if host is not None else f"127.0.0.1:{port}".encode()))
    lines += [b"Connection: close", b"", b""]
    with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
        connection.sendall(b"\r\n".join(lines))
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


@pytest.fixture
def beside_secrets(tmp_path: Path, listening: None) -> Running:
    """The sample served from a folder that also holds a .env and cffunc.toml, after the
    window (every request passes and reaches the origin, so the objects are asked for)."""
    config = tmp_path / "cffunc.toml"
    config.write_text((SAMPLES / "cffunc.toml").read_text() + "\n# CONFIG-MARKER\n")
    shutil.copytree(SAMPLES / "maintenance", tmp_path / "maintenance")
    (tmp_path / ".env").write_text("CFFUNC_BYPASS_SECRET=ENV-MARKER\n")
    (tmp_path / "maintenance" / ".htpasswd").write_text("HIDDEN-MARKER\n")
    (tmp_path / "maintenance" / "env-link").symlink_to(tmp_path / ".env")
    (tmp_path / "maintenance" / "config-link").symlink_to(config)
    (tmp_path / "maintenance" / "sub").mkdir()
    (tmp_path / "maintenance" / "sub" / "ok.txt").write_text("SUB-OK\n")
    return start(config, now=AFTER_END)


LEAKS = [
    b"/maintenance/..%2f.env", b"/maintenance/..%2F.env", b"/maintenance/%2e%2e/.env",
    b"/maintenance/%2E%2E%2F.env", b"/maintenance/..%2fcffunc.toml", b"/maintenance/../.env",
    b"/maintenance/sub/..%2f..%2f.env", b"/maintenance/%252e%252e%252f.env",
    b"/maintenance/..%5c.env", b"/maintenance/..\\.env", b"/maintenance/.htpasswd",
    b"/maintenance/%2ehtpasswd", b"/maintenance/env-link", b"/maintenance/config-link",
    b"/maintenance//..%2f.env", b"/maintenance/x%00/../../.env", b"/.env", b"/cffunc.toml",
    b"/%2e%2e/.env", b"/maintenance%2f..%2f.env",
]  # fmt: skip


def test_serve_gives_only_the_maintenance_folder(beside_secrets: Running) -> None:
    """The issue's `GET /maintenance/..%2f.env` and its relatives: decoded, dot segments,
    dotfiles, symlinks leading out, the files beside the folder; none reaches a file."""
    for target in LEAKS:
        status, body = raw_request(beside_secrets, target)
        for marker in (b"ENV-MARKER", b"CONFIG-MARKER", b"HIDDEN-MARKER", b"[function]"):
            assert marker not in body, (target, status)
    assert raw_request(beside_secrets, b"/maintenance/sub/ok.txt") == (200, b"SUB-OK\n")
    status, body = raw_request(beside_secrets, b"/maintenance/style.css")
    assert status == 200 and body == (SAMPLES / "maintenance" / "style.css").read_bytes()
    status, body = raw_request(beside_secrets, b"/maintenance/st%79le.css")  # S3 decodes keys
    assert status == 200 and body == (SAMPLES / "maintenance" / "style.css").read_bytes()


def test_serve_hands_the_function_the_uri_as_sent(beside_secrets: Running) -> None:
    """CloudFront gives the function the URI undecoded: the built-in origin shows it."""
    status, body = raw_request(beside_secrets, b"/a%2Fb%20c")
    assert status == 200 and b"&quot;uri&quot;: &quot;/a%2Fb%20c&quot;" in body


def test_serve_refuses_hosts_that_are_not_its_address(beside_secrets: Running) -> None:
    """DNS rebinding: a page at evil.example whose name now points at 127.0.0.1 sends
    Host evil.example; only the address served (and IP literals) are answered."""
    port = beside_secrets.url.rsplit(":", 1)[1].encode()
    for host in (b"127.0.0.1:" + port, b"localhost:" + port, b"LOCALHOST:" + port,
                 b"[::1]:" + port, b"192.0.2.1:" + port):  # fmt: skip
        status, body = raw_request(beside_secrets, b"/maintenance/style.css", host)
        assert status == 200, host
    for host in (b"evil.example:" + port, b"evil.example", b"127.0.0.1", b"127.0.0.1:1",
                 b"localhost.evil.example:" + port, b"", b"127.0.0.1:" + port + b" x",
                 b"::1:" + port, b"\x1b]0;x\x07:" + port):  # fmt: skip
        status, body = raw_request(beside_secrets, b"/maintenance/style.css", host)
        assert status == 421 and b"border" not in body, host
    refusals = [line for line in beside_secrets.lines if line.startswith("refused GET")]
    assert len(refusals) == 9
    assert all("\x1b" not in line and "\x07" not in line for line in beside_secrets.lines)
    assert "Host '\\x1b]0;x\\x07:" in refusals[-1]


@pytest.mark.usefixtures("listening")
def test_serve_never_logs_the_bypass_token() -> None:
    running = start(SAMPLES / "cffunc.toml", now=IN_WINDOW)
    for query in (f"token={SECRET}", f"TOKEN={SECRET}", f"%74oken={SECRET}&x=1",
                  f"a=1&token={SECRET}"):  # fmt: skip
        status, _ = raw_request(running, f"/__cffunc/bypass?{query}".encode())
        assert status in (302, 503)
    assert len(running.lines) == 4
    assert all(SECRET not in line and "=***" in line for line in running.lines), running.lines
    assert running.lines[0].startswith("GET /__cffunc/bypass?token=*** redirect (bypass-token)")
    assert "x=1" in running.lines[2] and "a=1" in running.lines[3]


@pytest.mark.usefixtures("listening")
def test_serve_log_lines_show_control_characters_escaped() -> None:
    """A raw ESC or BEL in the request target reaches the log as visible escapes."""
    running = start(SAMPLES / "cffunc.toml", now=IN_WINDOW)
    raw_request(running, b"/\x1b]0;PWNED\x07/\x1b]52;c;aGk=\x07")
    (line,) = running.lines
    assert "\x1b" not in line and "\x07" not in line
    assert line.startswith("GET /\\x1b]0;PWNED\\x07/\\x1b]52;c;aGk=\\x07 maintenance")


@pytest.mark.rule("raw-query-string")
@pytest.mark.usefixtures("listening")
def test_the_raw_query_string_is_what_the_browser_sent(tmp_path: Path) -> None:
    """request.rawQueryString() gets the request target's query byte for byte: "" for a
    target ending in "?", undefined for none (werkzeug's query_string tells neither)."""
    from cffunc.function.compose import foreign_from_file

    foreign = tmp_path / "raw.js"
    foreign.write_text(
        "async function handler(event) {\n"
        "  return {statusCode: 200, statusDescription: 'OK',\n"
        "    body: JSON.stringify(event.request.rawQueryString()) || 'undefined'};\n"
        "}\n"
    )
    running = start(
        SAMPLES / "cffunc.toml", now=IN_WINDOW, viewer_ip="203.0.113.9",
        foreign=lambda: foreign_from_file(foreign, None), watched_extra=[foreign],
    )  # fmt: skip
    answers = [raw_request(running, target) for target in (b"/a?x=1&x&%2F", b"/a?", b"/a")]
    assert answers == [(200, b'"x=1&x&%2F"'), (200, b'""'), (200, b"undefined")]
