"""``cffunc serve``: the CloudFront edge for this config, on 127.0.0.1, for a browser.

Every request becomes a viewer-request event (the viewer's address from the socket, or
``--viewer-ip``; the URI as the viewer sent it, undecoded, as CloudFront hands it to a
function; headers and cookies split as the edge splits them) and runs through the
rendered function (or its composition with ``--with``) in the local runtime. A generated
response is sent as it is. A request that goes on reaches the origin: the files of the
maintenance object's folder come from that folder under ``--objects`` (default: the
config's folder), so the sample's page and stylesheet work without a server of one's
own; anything else goes to ``--upstream``, or to a built-in application page that shows
the request it received (what the origin would get). In rewrite mode the viewer-response
half then runs on the origin's answer. The config, the page and the ``--with`` file are
reloaded when they change; a function error is answered as the edge answers it (503
FunctionExecutionError, 502 FunctionValidationError) and logged. Composed with ``--with``,
the function runs in a child process (kept across requests) bounded in time and memory
per request: a runaway request gets a 503 saying it was stopped, the next a fresh child.

The config's folder holds ``cffunc.toml`` and often a ``.env``: only files inside the
maintenance object's folder are served (the object alone when it lies at the root),
never a name starting with ``.``, never through a symlink leading out. The server
answers only requests whose ``Host`` names the address it serves (a page elsewhere
cannot reach it by DNS rebinding), and its log never shows a bypass token.

The HTTP server is werkzeug's, the proxy client urllib3's.
"""

from __future__ import annotations

import base64
import html
import ipaddress
import json
import mimetypes
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote, urlsplit

from cffunc.config.load import load_config
from cffunc.errors import CffuncError
from cffunc.function.decide import Decision, ViewerRequest, decide
from cffunc.function.rules import MaintenanceRules
from cffunc.function.tenants import Tenant
from cffunc.runtime import FunctionRuntime
from cffunc.runtime.edge import EdgeContext
from cffunc.runtime.engine import Invocation
from cffunc.runtime.events import (
    event_from_options,
    for_edge,
    raw_query_of,
    viewer_response_event,
)
from cffunc.runtime.isolated import DEFAULT_LIMITS, IsolatedRuntime, Limits
from cffunc.runtime.local_run import config_function, local_store
from cffunc.terminal import shown

HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
     "trailer", "transfer-encoding", "upgrade", "content-length", "content-encoding"}
)  # fmt: skip
"""Not passed on between the viewer, the function and the origin (werkzeug and urllib3
frame the messages; urllib3 undoes compression)."""


@dataclass
class _Loaded:
    rules: MaintenanceRules
    runtime: FunctionRuntime | IsolatedRuntime
    """cffunc's function in this process; composed with ``--with``, in a child process."""
    objects: Path
    stamp: tuple[float, ...]
    watched: tuple[Path, ...]
    """The config, the page and --with's file: reloaded when one changes."""
    store: dict[str, str] | None = None
    """toggle = "kvs": the store the function reads (maintenance on, as `cffunc test`)."""


class Edge:
    """The WSGI application: one V8 behind a lock (a context runs one call at a time)."""

    def __init__(
        self,
        config_path: Path,
        environ: Mapping[str, str],
        upstream: str | None = None,
        objects: Path | None = None,
        foreign: Callable[[], Any] | None = None,
        watched_extra: Iterable[Path] = (),
        events: tuple[str, ...] | None = None,
        now: datetime | None = None,
        viewer_ip: str | None = None,
        log: Callable[[str], None] = print,
        limits: Limits = DEFAULT_LIMITS,
        context: EdgeContext | None = None,
    ) -> None:
        self.config_path = config_path
        self.environ = environ
        self.upstream = upstream.rstrip("/") if upstream else None
        self.objects = objects
        self.foreign = foreign
        self.events = events
        """The events --with's function is on (None: guessed from its code)."""
        self.watched_extra = tuple(watched_extra)
        self.now = now
        self.viewer_ip = viewer_ip
        self.log = log
        self.limits = limits
        """What one request may take of code composed with ``foreign``."""
        self.context = context or EdgeContext()
        """What the edge tells the function beside each request (``--tenant``...)."""
        self.lock = threading.Lock()
        self.loaded: _Loaded | None = None
        self.http: Any = None
        self.served: Served | None = None
        """The address served (set by :func:`serve_forever` once listening); until then
        every request is refused."""
        self.current()  # a config that does not load is an error at start, not per request

    # ---- the function, reloaded when its sources change ----

    @staticmethod
    def _stamp(paths: tuple[Path, ...]) -> tuple[float, ...]:
        return tuple(p.stat().st_mtime if p.exists() else 0.0 for p in paths)

    def current(self) -> _Loaded:
        """The loaded function, loaded again first if a file it came from changed (a stat
        of each: cheap enough for every request)."""
        with self.lock:
            loaded = self.loaded
            if loaded is not None and self._stamp(loaded.watched) == loaded.stamp:
                return loaded
            try:
                fresh = self._load()
            except CffuncError as error:
                if loaded is None:
                    raise
                self.log(f"reload failed, still serving the last good config: {shown(error)}")
                loaded.stamp = self._stamp(loaded.watched)
                return loaded
            if loaded is not None:
                loaded.runtime.close()
                self.log(f"reloaded {self.config_path}")
            self.loaded = fresh
            return fresh

    def _load(self) -> _Loaded:
        config = load_config(self.config_path)
        watched = (self.config_path, *self.watched_extra) + (
            (config.maintenance.page,) if config.maintenance.page else ()
        )
        stamp = self._stamp(watched)
        foreign = self.foreign() if self.foreign else None
        rules, code, runtime_name = config_function(config, self.environ, foreign, self.events)
        store = local_store(None, rules)
        runtime: FunctionRuntime | IsolatedRuntime
        if foreign is None:  # cffunc's own code: in this process, for speed
            runtime = FunctionRuntime(code, runtime_name, kvs=store)
        else:  # code cffunc did not write: bounded, in a child process
            runtime = IsolatedRuntime(code, runtime_name, store, self.limits)
        objects = self.objects or self.config_path.resolve().parent
        return _Loaded(rules, runtime, objects, stamp, watched, store.items if store else None)

    def _invoke(
        self, loaded: _Loaded, event: dict[str, Any], now_ms: int, edge: EdgeContext
    ) -> Invocation:
        with self.lock:
            return loaded.runtime.invoke(event, now_ms, edge)

    # ---- one request ----

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        from werkzeug.wrappers import Request, Response

        started = time.perf_counter()
        request = Request(environ)
        host = request.headers.get("host", "")
        if self.served is None or not self.served.allows(host):
            self.log(
                f"refused {shown(request.method)} for Host '{shown(host)}': not the address "
                "served (DNS rebinding protection)"
            )
            text = f"cffunc serve answers requests for {self.served or 'its address'} only\n"
            refused = Response(text, status=421, content_type="text/plain; charset=utf-8")
            return refused(environ, start_response)
        loaded = self.current()
        now = self.now or datetime.now(UTC)
        now_ms = round(now.timestamp() * 1000)
        ip = self.viewer_ip or request.remote_addr or "127.0.0.1"
        query = request.query_string.decode("latin-1")
        path = _raw_path(environ, request.path) + (f"?{query}" if query else "")
        headers = [(k, v) for k, v in request.headers.items() if k.lower() != "content-length"]
        event = for_edge(event_from_options(ip, request.method, path, headers), self.context)
        # The raw query as the browser sent it: werkzeug's query_string cannot tell a URL
        # ending in "?" from one without (rawQueryString() gives "" and undefined).
        raw_uri = str(environ.get("RAW_URI") or environ.get("REQUEST_URI") or path)
        edge = self.context.with_raw_query(raw_query_of(raw_uri))
        decision = _decision(loaded.rules, event, now, loaded.store, self.context.tenant)
        try:
            answer = self._answer(loaded, event, now_ms, edge, request.get_data())
        except CffuncError as error:  # --with's child stopped: past a limit (or crashed)
            self.log(f"{shown(request.method)} {shown(redacted(path))} 503 stopped: {shown(error)}")
            return _stopped(error)(environ, start_response)
        status, reason, out_headers, body = answer
        response = Response(body, status=f"{status} {reason}")
        response.headers.clear()
        for name, value in out_headers:
            response.headers.add(name, value)
        milliseconds = (time.perf_counter() - started) * 1000
        why = decision.rule + (f" {decision.matched}" if decision.matched else "")
        self.log(
            f"{shown(request.method)} {shown(redacted(path))} {decision.action} ({shown(why)}) "
            f"{status} {milliseconds:.1f} ms"
        )
        return response(environ, start_response)

    def _answer(
        self, loaded: _Loaded, event: dict[str, Any], now_ms: int, edge: EdgeContext, data: bytes
    ) -> _Answer:
        """What the viewer gets: the function's answer, or the origin's (after the
        viewer-response half in rewrite mode)."""
        result = self._invoke(loaded, event, now_ms, edge)
        if not result.ok:
            self.log(f"function error: {shown(result.error)}")
            return _error(result)
        if "statusCode" in result.output:
            return _generated(result.output)
        answer = self._origin(loaded, result.output, data)
        if loaded.rules.mode == "rewrite":
            answer = self._viewer_response(loaded, event, result.output, answer, now_ms, edge)
        return answer

    def _viewer_response(
        self,
        loaded: _Loaded,
        event: dict[str, Any],
        request: dict[str, Any],
        answer: _Answer,
        now_ms: int,
        edge: EdgeContext,
    ) -> _Answer:
        status, reason, headers, body = answer
        if status >= 400:
            # CloudFront does not run viewer-response functions on an origin error
            # (edge-functions-restrictions.html, "HTTP status codes").
            return answer
        single: dict[str, str] = {}
        for name, value in headers:
            if name.lower() != "set-cookie":
                single.setdefault(name.lower(), value)
        response_event = viewer_response_event(event, request, status, reason, single)
        result = self._invoke(loaded, response_event, now_ms, edge)
        if not result.ok:
            self.log(f"function error (viewer-response): {shown(result.error)}")
            return _error(result)
        out = result.output
        new_headers = _header_pairs(out.get("headers") or {}) + _cookie_pairs(out.get("cookies"))
        kept = [(n, v) for n, v in headers if n.lower() == "set-cookie"]
        new_body = _body(out["body"]) if "body" in out else body
        return (
            out.get("statusCode", status),
            out.get("statusDescription", reason),
            new_headers + kept,
            new_body,
        )

    def _origin(self, loaded: _Loaded, request: dict[str, Any], data: bytes) -> _Answer:
        uri = request.get("uri") or "/"
        found = _static(loaded.objects, loaded.rules.object, uri)
        if found is not None:
            return found
        if self.upstream:
            return self._proxy(request, data)
        return _application(request)

    def _proxy(self, request: dict[str, Any], data: bytes) -> _Answer:
        import urllib3

        if self.http is None:
            self.http = urllib3.PoolManager(retries=False, timeout=urllib3.Timeout(30))
        headers = {n: v["value"] for n, v in (request.get("headers") or {}).items()}
        cookies = request.get("cookies") or {}
        if cookies:
            headers["cookie"] = "; ".join(f"{n}={v['value']}" for n, v in cookies.items())
        query = _query_text(request.get("querystring"))
        url = f"{self.upstream}{request.get('uri') or '/'}" + (f"?{query}" if query else "")
        try:
            reply = self.http.request(
                request.get("method", "GET"), url, body=data or None, headers=headers,
                redirect=False, preload_content=True,
            )  # fmt: skip
        except urllib3.exceptions.HTTPError as error:
            self.log(f"upstream {self.upstream} did not answer: {shown(str(error))}")
            return (
                502,
                "Bad Gateway",
                [("content-type", "text/plain")],
                b"the upstream did not answer\n",
            )
        kept = [(n, v) for n, v in reply.headers.items() if n.lower() not in HOP_BY_HOP]
        return reply.status, reply.reason or "", kept, reply.data


_Answer = tuple[int, str, list[tuple[str, str]], bytes]


def _decision(
    rules: MaintenanceRules,
    event: dict[str, Any],
    now: datetime,
    store: dict[str, str] | None,
    tenant: Tenant | None,
) -> Decision:
    r = event["request"]
    request = ViewerRequest(
        ip=event["viewer"]["ip"],
        method=r["method"],
        uri=r["uri"],
        querystring={k: v["value"] for k, v in r["querystring"].items()},
        headers={k: v["value"] for k, v in r["headers"].items()},
        cookies={k: v["value"] for k, v in r["cookies"].items()},
        endpoint=event["context"].get("endpoint"),
    )
    return decide(rules, request, now, store, tenant=tenant)


def _error(result: Invocation) -> _Answer:
    status = result.error_status or 503
    kind = (result.error or "").split(":", 1)[0]
    reason = "Service Unavailable" if status == 503 else "Bad Gateway"
    text = f"{kind}: the CloudFront function failed (cffunc serve: {result.error})\n"
    return status, reason, [("content-type", "text/plain; charset=utf-8")], text.encode()


def _stopped(error: CffuncError) -> Any:
    """The answer to a request whose function was stopped (past --time-limit or
    --memory-limit): 503, as the edge answers a function that fails, saying why."""
    from werkzeug.wrappers import Response

    text = f"cffunc serve: {error}\n"
    return Response(
        text, status="503 Service Unavailable", content_type="text/plain; charset=utf-8"
    )


def _generated(output: dict[str, Any]) -> _Answer:
    headers = _header_pairs(output.get("headers") or {}) + _cookie_pairs(output.get("cookies"))
    body = _body(output["body"]) if "body" in output else b""
    return output["statusCode"], output.get("statusDescription", ""), headers, body


def _header_pairs(headers: Mapping[str, Any]) -> list[tuple[str, str]]:
    out = []
    for name, entry in headers.items():
        for value in entry.get("multiValue") or entry.get("multivalue") or [entry]:
            out.append((name, str(value["value"])))
    return out


def _cookie_pairs(cookies: Mapping[str, Any] | None) -> list[tuple[str, str]]:
    out = []
    for name, entry in (cookies or {}).items():
        for item in entry.get("multiValue") or entry.get("multivalue") or [entry]:
            attributes = item.get("attributes") or entry.get("attributes")
            out.append(
                (
                    "set-cookie",
                    f"{name}={item['value']}" + (f"; {attributes}" if attributes else ""),
                )
            )
    return out


def _body(body: Any) -> bytes:
    if isinstance(body, str):
        return body.encode()
    data = str(body.get("data", ""))
    return base64.b64decode(data) if body.get("encoding") == "base64" else data.encode()


def _query_text(querystring: Any) -> str:
    if isinstance(querystring, str):
        return querystring
    parts = []
    for name, entry in (querystring or {}).items():
        for item in entry.get("multiValue") or entry.get("multivalue") or [entry]:
            parts.append(f"{name}={item['value']}" if item["value"] != "" else name)
    return "&".join(parts)


def _static(root: Path, object_uri: str, uri: str) -> _Answer | None:
    """A file of the maintenance object's folder for ``uri`` (an S3-like origin of the
    maintenance files: the URI percent-decoded once, as S3 reads a key); None when there
    is none or it may not be served. ``root`` holds the folder as the URI names it
    (``--objects``, or the config's folder): only files inside that folder (only the
    object itself when it lies at the root, beside cffunc.toml), no segment starting
    with ``.`` (``..``, ``.env``, ``.git``), nothing a symlink leads to outside it."""
    decoded = unquote(uri, errors="replace")
    folder = PurePosixPath(object_uri).parent.as_posix().rstrip("/") + "/"
    if not decoded.startswith(folder) or (folder == "/" and decoded != object_uri):
        return None
    parts = decoded[len(folder) :].split("/")
    if any(_hidden(p) for p in parts):
        return None
    base = root.joinpath(*PurePosixPath(folder).parts[1:])
    try:
        target = base.joinpath(*parts).resolve(strict=True)
        inside = target.relative_to(base.resolve(strict=True))
    except (OSError, ValueError):  # missing, or a symlink leading out of the folder
        return None
    if any(_hidden(p) for p in inside.parts) or not target.is_file():
        return None
    kind = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
    if kind.startswith("text/") or kind in ("application/javascript", "image/svg+xml"):
        kind += "; charset=utf-8"
    return 200, "OK", [("content-type", kind)], target.read_bytes()


def _hidden(segment: str) -> bool:
    """A path segment never served: empty, a dotfile or ``..``, or one holding a
    backslash or a control character (which some file systems read as a separator or an
    end)."""
    return (
        not segment
        or segment.startswith(".")
        or any(c == "\\" or ord(c) < 0x20 or ord(c) == 0x7F for c in segment)
    )


def _raw_path(environ: Mapping[str, Any], decoded: str) -> str:
    """The request's path as the viewer sent it: CloudFront hands a function the URI
    undecoded (WSGI's PATH_INFO is decoded, so a ``%2F`` would reach the function as a
    ``/``). werkzeug's server keeps the request target in REQUEST_URI."""
    target = str(environ.get("REQUEST_URI") or environ.get("RAW_URI") or "")
    target = target.split("?", 1)[0].split("#", 1)[0]
    if target.startswith("/") and not target.startswith("//"):
        return target
    if "://" in target:  # the absolute form a proxy client sends
        return urlsplit(target).path or "/"
    return decoded or "/"


def redacted(path: str) -> str:
    """A request path for the log, with the value of every ``token`` query parameter (the
    bypass token, in any case or encoding of its name) replaced by ``***``."""
    target, mark, query = path.partition("?")
    if not mark:
        return path
    kept = []
    for item in query.split("&"):
        name = item.split("=", 1)[0]
        secret = unquote(name.replace("+", " ")).strip().lower() == "token"
        kept.append(f"{name}=***" if secret else item)
    return f"{target}?{'&'.join(kept)}"


@dataclass(frozen=True)
class Served:
    """The address ``serve`` listens on, and which ``Host`` headers name it: the
    interface given, ``127.0.0.1``, ``localhost``, ``[::1]`` and any other IP literal,
    each with the port (a page whose name was rebound to this machine sends its own
    name, and is refused; an IP literal cannot be rebound)."""

    host: str
    port: int

    def __str__(self) -> str:
        return f"http://{_bracketed(self.host)}:{self.port}"

    def allows(self, header: str) -> bool:
        match = _HOST_HEADER.fullmatch(header.lower())
        if match is None:
            return False
        name, port = match.group(1), match.group(2)
        if (port if port is not None else "80") != str(self.port):
            return False
        if name in ("localhost", _bracketed(self.host).lower()):
            return True
        try:
            if name.startswith("["):
                ipaddress.IPv6Address(name[1:-1])
            else:
                ipaddress.IPv4Address(name)
        except ValueError:
            return False
        return True


_HOST_HEADER = re.compile(r"(\[[0-9a-f:.]+\]|[^:\[\]\s]+)(?::([0-9]+))?")


def _bracketed(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def _application(request: dict[str, Any]) -> _Answer:
    """The built-in origin: a page showing the request it received."""
    shown = {
        "method": request.get("method"),
        "uri": request.get("uri"),
        "querystring": request.get("querystring"),
        "headers": request.get("headers"),
        "cookies": request.get("cookies"),
    }
    page = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        "<title>The application (cffunc serve)</title></head><body>"
        "<h1>The application</h1><p>cffunc serve's stand-in origin received this request "
        "(give <code>--upstream URL</code> to reach yours):</p>"
        f"<pre id=request>{html.escape(json.dumps(shown, indent=2, sort_keys=True))}</pre>"
        "</body></html>"
    )
    return (
        200,
        "OK",
        [("content-type", "text/html; charset=utf-8"), ("cache-control", "no-store")],
        page.encode(),
    )


def serve_forever(edge: Edge, host: str, port: int, ready: Callable[[str], None]) -> None:
    import logging

    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # our own line per request
    server = make_server(host, port, edge, threaded=True)
    edge.served = Served(host, server.server_port)
    ready(str(edge.served))
    try:
        server.serve_forever()
    finally:
        server.server_close()
        if edge.loaded is not None:
            edge.loaded.runtime.close()
