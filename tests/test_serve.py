"""cffunc serve in a real browser: Debian's chromium driven by Playwright (the system
browser; nothing downloaded), against the edge for samples/cffunc.toml on 127.0.0.1."""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from cffunc.serve import Edge, serve_forever
from tests.helpers import ENV, SAMPLES, SECRET, invoke

IN_WINDOW = datetime.fromisoformat("2026-12-01T03:00:00+00:00")
AFTER_END = datetime.fromisoformat("2026-12-01T05:00:00+00:00")
CHROMIUM = shutil.which("chromium")
FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


class Running:
    def __init__(self, edge: Edge) -> None:
        self.edge = edge
        self.lines: list[str] = []
        edge.log = self.lines.append
        ready = threading.Event()
        self.url = ""

        def started(url: str) -> None:
            self.url = url
            ready.set()

        self.thread = threading.Thread(
            target=serve_forever, args=(edge, "127.0.0.1", 0, started), daemon=True
        )
        self.thread.start()
        assert ready.wait(30), "serve did not start"


def start(config: Path, **options: Any) -> Running:
    return Running(Edge(config, ENV, **options))


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    assert CHROMIUM, "the browser tests need Debian's chromium: apt-get install -y chromium"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def edge() -> Running:
    return start(SAMPLES / "cffunc.toml", now=IN_WINDOW)


def page_of(browser: Any) -> tuple[Any, Any, list[str]]:
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "console",
        lambda m: errors.append(m.text) if m.type == "error" and "503" not in m.text else None,
    )
    return context, page, errors


def test_the_maintenance_page_renders_with_503_and_its_stylesheet(
    browser: Any, edge: Running
) -> None:
    context, page, errors = page_of(browser)
    response = page.goto(f"{edge.url}/checkout")
    assert response.status == 503
    assert response.headers["retry-after"] == "3600"
    assert response.headers["cache-control"] == "no-store"
    assert page.inner_text("h1") == "We\u2019ll be back soon"
    border = page.eval_on_selector("main", "m => getComputedStyle(m).borderTopWidth")
    assert border != "0px"  # /maintenance/style.css was fetched and applied
    assert errors == []
    assert any(
        line.startswith("GET /maintenance/style.css pass (allowed-path") for line in edge.lines
    )
    context.close()


def test_the_bypass_link_lets_the_browser_into_the_application(browser: Any, edge: Running) -> None:
    context, page, errors = page_of(browser)
    page.goto(f"{edge.url}/__cffunc/bypass?token={SECRET}")
    # The 302 set the cookie and went on to /, which now reaches the application.
    assert "The application" in page.inner_text("h1")
    assert "cffunc_bypass" in [c["name"] for c in context.cookies()]
    response = page.goto(f"{edge.url}/checkout?step=2")
    assert response.status == 200 and '"uri": "/checkout"' in page.inner_text("#request")
    assert errors == []
    context.close()


def test_fetch_gets_json_and_a_post_gets_the_short_answer(browser: Any, edge: Running) -> None:
    context, page, _ = page_of(browser)
    page.goto(f"{edge.url}/maintenance/index.html")
    answers = page.evaluate(
        """async () => {
          const json = await fetch('/api/orders', {headers: {Accept: 'application/json'}});
          const post = await fetch('/api/orders', {method: 'POST', body: 'x=1'});
          return [json.status, await json.json(), post.status,
                  post.headers.get('content-type'), await post.text()];
        }"""
    )
    assert answers[0] == 503 and answers[1]["error"] == "maintenance"
    assert answers[1]["message"] == "We are upgrading the database."
    assert answers[2:] == [503, "text/plain; charset=utf-8", "We are upgrading the database.\n"]
    context.close()


def test_past_end_and_from_the_office_everything_passes(browser: Any) -> None:
    later = start(SAMPLES / "cffunc.toml", now=AFTER_END)
    office = start(SAMPLES / "cffunc.toml", now=IN_WINDOW, viewer_ip="203.0.113.9")
    context, page, errors = page_of(browser)
    for running in (later, office):
        response = page.goto(f"{running.url}/checkout")
        assert response.status == 200 and "The application" in page.inner_text("h1")
    assert any(x.startswith("GET /checkout pass (outside-window) 200") for x in later.lines)
    assert any(
        x.startswith("GET /checkout pass (allowed-ip 203.0.113.0/24) 200") for x in office.lines
    )
    assert errors == []
    context.close()


def test_upstream_reload_and_function_errors(browser: Any, tmp_path: Path) -> None:
    """Requests that pass reach --upstream; a changed config is served without a restart;
    a composed function that throws is answered as the edge answers it."""
    from werkzeug.serving import make_server
    from werkzeug.wrappers import Response

    def upstream_app(environ: Any, start_response: Any) -> Any:
        seen = f"upstream saw {environ['REQUEST_METHOD']} {environ['PATH_INFO']}"
        return Response(f"<h1>{seen}</h1>", content_type="text/html")(environ, start_response)

    upstream = make_server("127.0.0.1", 0, upstream_app, threaded=True)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    config = tmp_path / "cffunc.toml"
    config.write_text((SAMPLES / "cffunc.toml").read_text())
    shutil.copytree(SAMPLES / "maintenance", tmp_path / "maintenance")
    running = start(
        config, now=IN_WINDOW, viewer_ip="203.0.113.9",
        upstream=f"http://127.0.0.1:{upstream.server_port}",
    )  # fmt: skip
    context, page, _ = page_of(browser)
    page.goto(f"{running.url}/checkout")
    assert page.inner_text("h1") == "upstream saw GET /checkout"
    config.write_text(config.read_text().replace('"203.0.113.0/24", ', ""))  # the office goes
    response = page.goto(f"{running.url}/checkout")
    assert response.status == 503 and any(line.startswith("reloaded ") for line in running.lines)
    thrower = tmp_path / "auth.js"
    thrower.write_text("function handler(event) { return event.request.headers.nope.value; }\n")
    from cffunc.function.compose import foreign_from_file

    broken = start(
        SAMPLES / "cffunc.toml", now=IN_WINDOW, viewer_ip="203.0.113.9",
        foreign=lambda: foreign_from_file(thrower, None),
        watched_extra=[thrower],
    )  # fmt: skip
    response = page.goto(f"{broken.url}/checkout")
    assert response.status == 503
    assert page.inner_text("body").startswith("FunctionExecutionError: ")
    assert any(
        line.startswith("function error: FunctionExecutionError: TypeError")
        for line in broken.lines
    )
    context.close()
    upstream.shutdown()


def test_a_store_toggled_config_serves_with_maintenance_on(browser: Any) -> None:
    """As `cffunc test`, a kvs config is served with a store that says on; the log's
    decision comes from the same store."""
    running = start(SAMPLES / "kvs.toml", now=IN_WINDOW)
    context, page, _ = page_of(browser)
    response = page.goto(f"{running.url}/checkout")
    assert response.status == 503
    assert any(x.startswith("GET /checkout maintenance (maintenance) 503") for x in running.lines)
    context.close()


def test_serve_as_a_tenant_shows_that_tenants_maintenance_page(
    browser: Any, tmp_path: Path
) -> None:
    """`serve --tenant ID --tenant-param K=V` serves as one tenant of a multi-tenant
    distribution: its message fills the page; a config scoped to other tenants lets it
    through, as the model says in the log."""
    from cffunc.runtime.edge import edge_from_options

    acme = "dt_2yN5tYwVbPKr7m2IB69M1yp1AB"
    as_acme = edge_from_options(None, acme, [("maintenanceMessage", "Acme moves <house>.")])
    running = start(SAMPLES / "tenants.toml", now=IN_WINDOW, context=as_acme)
    context, page, _ = page_of(browser)
    response = page.goto(f"{running.url}/checkout")
    assert response.status == 503
    assert page.locator("p").first.inner_text() == "Acme moves <house>."
    assert any(x.startswith("GET /checkout maintenance") for x in running.lines)
    context.close()

    scoped = tmp_path / "cffunc.toml"  # maintenance for acme only, by the config
    scoped.write_text(
        (SAMPLES / "tenants.toml")
        .read_text()
        .replace("tenant_scopes = true", f'tenants = ["{acme}"]')
    )
    as_other = edge_from_options(None, "dt_OtherTenant0000000000000001")
    for served_as, status, decision in ((as_acme, 503, "maintenance"), (as_other, 200, "pass")):
        running = start(scoped, now=IN_WINDOW, context=served_as)
        context, page, _ = page_of(browser)
        assert page.goto(f"{running.url}/checkout").status == status  # 200: the built-in upstream
        assert [x.split(" (")[0] for x in running.lines] == [f"GET /checkout {decision}"]
        context.close()


def test_serve_refuses_tenant_options_without_a_tenant() -> None:
    ran = invoke(["-c", str(SAMPLES / "tenants.toml"), "serve", "--tenant-param", "k=v"], dict(ENV))
    assert ran.returncode == 2
    assert (
        ran.stderr.strip()
        .splitlines()[-1]
        .endswith(
            "--tenant-param and --endpoint describe a distribution tenant: give --tenant ID too"
        )
    )


@pytest.mark.usefixtures("processes")  # --with runs in a child process
def test_with_events_choose_the_slots_the_foreign_function_is_on() -> None:
    """`serve --with F --with-event E` composes as render and test do: the code served is
    config_function's for those events, not the guessed ones."""
    from cffunc.config.load import load_config
    from cffunc.function.compose import foreign_from_file
    from cffunc.runtime.local_run import config_function

    config = SAMPLES / "cffunc.toml"
    foreign = foreign_from_file(SAMPLES / "foreign" / "spa-rewrite.js", None)
    chosen = ("viewer-response",)
    edge = Edge(config, ENV, foreign=lambda: foreign, events=chosen, log=lambda line: None)
    try:
        served = edge.current().runtime.code
    finally:
        edge.current().runtime.close()
    assert served == config_function(load_config(config), ENV, foreign, chosen)[1]
    assert served != config_function(load_config(config), ENV, foreign)[1]


@pytest.mark.rule("viewer-response-on-errors")
def test_no_viewer_response_function_on_an_origin_error(browser: Any) -> None:
    """CloudFront does not run viewer-response functions when the origin answers 400 or
    more (edge-functions-restrictions.html): a composed security-headers function adds its
    headers to the 200, not to the 404."""
    from werkzeug.serving import make_server
    from werkzeug.wrappers import Response

    from cffunc.function.compose import foreign_from_file

    def upstream_app(environ: Any, start_response: Any) -> Any:
        status = 404 if environ["PATH_INFO"] == "/missing" else 200
        return Response("origin", status=status)(environ, start_response)

    upstream = make_server("127.0.0.1", 0, upstream_app, threaded=True)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    headers = SAMPLES / "foreign" / "security-headers.js"
    running = start(
        SAMPLES / "cffunc.toml", now=IN_WINDOW, viewer_ip="203.0.113.9",
        upstream=f"http://127.0.0.1:{upstream.server_port}",
        foreign=lambda: foreign_from_file(headers, None),
    )  # fmt: skip
    context = browser.new_context()
    try:
        found = context.request.get(f"{running.url}/ok")
        missing = context.request.get(f"{running.url}/missing")
        assert found.status == 200 and found.headers["x-frame-options"] == "DENY"
        assert missing.status == 404 and "x-frame-options" not in missing.headers
    finally:
        context.close()
        upstream.shutdown()


def test_a_page_on_another_origin_reads_the_maintenance_answers(
    browser: Any, tmp_path: Path
) -> None:
    """allow.cors_origins in a real browser: a page on a configured origin fetch()es the
    API with credentials and reads the JSON (a preflighted POST too) and the rewrite-mode
    503 page; the same page from an origin not configured gets CORS failures."""
    from werkzeug.serving import make_server
    from werkzeug.wrappers import Response

    def app_page(environ: Any, start_response: Any) -> Any:
        html = "<!DOCTYPE html><title>the app</title><h1>the single-page app</h1>"
        return Response(html, content_type="text/html")(environ, start_response)

    pages = make_server("127.0.0.1", 0, app_page, threaded=True)
    threading.Thread(target=pages.serve_forever, daemon=True).start()
    listed = f"http://127.0.0.1:{pages.server_port}"
    unlisted = f"http://localhost:{pages.server_port}"  # the same page, another origin
    config = tmp_path / "cffunc.toml"
    config.write_text(
        (SAMPLES / "cffunc.toml")
        .read_text()
        .replace("[allow]\n", f'[allow]\ncors_origins = ["{listed}"]\n')
    )
    api = start(config, now=IN_WINDOW, objects=SAMPLES)
    script = """async (api) => {
      const out = {};
      const get = async (name, url, init) => {
        try {
          const r = await fetch(url, {credentials: 'include', ...init});
          out[name] = [r.status, r.headers.get('content-type'), r.headers.get('retry-after'),
                       await r.text()];
        } catch (e) { out[name] = String(e); }
      };
      await get('json', api + '/api/orders', {headers: {accept: 'application/json'}});
      await get('post', api + '/api/orders', {method: 'POST', body: '{"id": 1}',
        headers: {'content-type': 'application/json', accept: 'application/json'}});
      await get('page', api + '/checkout', {});
      return out;
    }"""
    context, page, _ = page_of(browser)
    page.goto(listed + "/")
    read = page.evaluate(script, api.url)
    for name in ("json", "post"):
        status, kind, retry, body = read[name]
        assert (status, kind, retry) == (503, "application/json; charset=utf-8", "3600"), name
        assert json.loads(body)["message"] == "We are upgrading the database.", name
    status, kind, _, body = read["page"]
    assert (status, kind) == (503, "text/html; charset=utf-8") and "back soon" in body
    assert any(line.startswith("OPTIONS /api/orders maintenance") for line in api.lines)

    page.goto(unlisted + "/")
    refused = page.evaluate(script, api.url)
    assert refused == {
        "json": "TypeError: Failed to fetch",
        "post": "TypeError: Failed to fetch",
        "page": "TypeError: Failed to fetch",
    }
    context.close()
    pages.shutdown()
