"""What the commands print for people, and the JSON documents ``--json`` prints.

Pure functions from library results to text: the CLI calls one of them per command, so
the wording of every table and ``done:`` line lives here and nowhere else. Every value
that comes from elsewhere (a URI, a header, a log line a function printed, a scenario's
name, a reason or a host from the store, a name read from AWS, an error) goes through
:func:`cffunc.terminal.shown`, so its control characters print as escapes; the JSON
documents keep them exact.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, TextIO

import click

from cffunc.deploy.apply import Incomplete, Report
from cffunc.deploy.interrupts import Interrupted
from cffunc.deploy.operations import Outcome
from cffunc.deploy.plan import plan_json
from cffunc.deploy.remote_test import RemoteComparison
from cffunc.deploy.select import Selection
from cffunc.deploy.toggles import Preview
from cffunc.deploy.toggles.store import scope_label
from cffunc.export import ExportRequest
from cffunc.function.build import Built
from cffunc.function.compose import ComposedFunction
from cffunc.function.render import SIZE_LIMIT, RenderStats
from cffunc.function.rules import MARKER_HEADER
from cffunc.runtime.engine import ERROR_STATUS
from cffunc.runtime.local_run import ScenarioResult, ScenarioRun
from cffunc.runtime.local_test import EventRun
from cffunc.runtime.origins import OriginCall
from cffunc.terminal import shown
from cffunc.words import count, plural, verb


def stats(figures: RenderStats, room: int | None = None) -> str:
    both = figures.v4_networks + figures.v6_networks
    networks = f"{figures.v4_networks} IPv4 + {figures.v6_networks} IPv6 {plural(both, 'network')}"
    rows = [
        ("runtime", figures.runtime),
        ("bytes", f"{figures.total:,} of {SIZE_LIMIT:,} ({figures.share:.1%})"),
        ("  page", f"{figures.page:,}" + _stored_page(figures)),
        ("  allowlist", f"{figures.allowlist:,} ({networks}, paths)"),
        ("  logic", f"{figures.logic:,}"),
    ]
    if room is not None:
        left = f"{room:,} bytes" if room > 0 else "none"
        rows.append(("room", f"{left} for a function composed with it (render --with)"))
    return "\n".join(f"{name:<12} {value}" for name, value in rows)


def _stored_page(figures: RenderStats) -> str:
    if figures.stored_page is None:
        return ""
    size, values = figures.stored_page
    return f" (the page, {size:,} bytes, is kept in the store: {count(values, 'value')})"


def render_stats(built: Built) -> str:
    """``render --stats``: the function's parts, or the composition's."""
    if built.composed is not None:
        return composition_stats(built.composed)
    assert built.rendered is not None
    return stats(built.rendered.stats, built.room)


def composition_stats(composed: ComposedFunction) -> str:
    rows = [
        ("runtime", composed.runtime),
        ("bytes", f"{composed.total:,} of {SIZE_LIMIT:,} ({composed.total / SIZE_LIMIT:.1%})"),
        ("  cffunc", f"{composed.ours_bytes:,}"),
        (
            f"  {shown(composed.foreign.name)}",
            f"{composed.foreign_bytes:,} ({composed.foreign.runtime})",
        ),
        ("  composition", f"{composed.glue_bytes:,}"),
    ]
    width = max(12, *(len(name) for name, _ in rows))
    return "\n".join(f"{name:<{width}} {value}" for name, value in rows)


# ---- cffunc test ----

SHOWN_HEADERS = ("location", "cache-control", "retry-after", "refresh", "www-authenticate")
KINDS = {"application/json": "JSON", "text/html": "HTML", "text/plain": "text"}


def event_results(events: list[dict[str, Any]], results: list[dict[str, Any]]) -> str:
    """One readable line per event (``cffunc test --ip ...``): the request, then what the
    function did with it and the headers that matter; log lines under it."""
    lines = []
    for event, result in zip(events, results, strict=True):
        lines.append(f"{_request_text(event)}: {_outcome_text(event, result)}")
        lines += [f"  log: {shown(line)}" for line in result.get("FunctionExecutionLogs") or []]
        lines += [
            f"  origin: {shown(OriginCall(c['method'], tuple(c['arguments'])).text)}"
            for c in result.get("OriginModifications") or []
        ]
        if result.get("LogCustomData") is not None:
            kind = (event.get("context") or {}).get("eventType") or "viewer-request"
            lines.append(f"  {kind}-log-data: {shown(result['LogCustomData'])}")
    return "\n".join(lines)


def _request_text(event: dict[str, Any]) -> str:
    request = event.get("request") or {}
    query = "&".join(
        f"{k}={'***' if k == 'token' else v.get('value', '')}"
        for k, v in (request.get("querystring") or {}).items()
    )
    target = f"{request.get('method', 'GET')} {request.get('uri', '/')}" + (
        f"?{query}" if query else ""
    )
    viewer = (event.get("viewer") or {}).get("ip", "?")
    if (event.get("context") or {}).get("eventType") == "viewer-response":
        status = (event.get("response") or {}).get("statusCode")
        return shown(f"viewer-response {status} to {target} from {viewer}")
    return shown(f"{target} from {viewer}")


def _outcome_text(event: dict[str, Any], result: dict[str, Any]) -> str:
    """What the function did, from its output (written by the function's code: shown)."""
    return shown(_outcome(event, result))


def _outcome(event: dict[str, Any], result: dict[str, Any]) -> str:
    if result.get("FunctionErrorMessage"):
        error = str(result["FunctionErrorMessage"])
        kind = error.split(":", 1)[0]
        return f"{ERROR_STATUS.get(kind, 503)} {error}"
    output = json.loads(result.get("FunctionOutput") or "null")
    if not isinstance(output, dict):
        return f"returned {output!r}"
    headers = {
        str(k): v.get("value")
        for k, v in (output.get("headers") or {}).items()
        if isinstance(v, dict)
    }
    if "statusCode" in output:
        kind = KINDS.get(str(headers.get("content-type", "")).split(";")[0].strip(), "")
        text = f"{output['statusCode']} {output.get('statusDescription', '')}".rstrip()
        text += f", {kind}" if kind else ""
        cookies = ", ".join(f"set-cookie {name}" for name in output.get("cookies") or {})
        shown = [f"{h}: {headers[h]}" for h in SHOWN_HEADERS if h in headers]
        details = "; ".join(x for x in (", ".join(shown), cookies) if x)
        return text + (f"; {details}" if details else "")
    before = event.get("request") or {}
    if output == before:
        return "goes on unchanged"
    changes = []
    if output.get("uri") != before.get("uri"):
        changes.append(f"as {output.get('uri')}")
    if MARKER_HEADER in headers:
        changes.append("the maintenance rewrite")
    for name in ("querystring", "cookies"):
        if output.get(name) != before.get(name):
            changes.append(f"{name} changed")
    if output.get("headers") != before.get("headers") and MARKER_HEADER not in headers:
        changes.append("headers changed")
    return "goes on " + ", ".join(changes) if changes else "goes on"


def scenarios(results: list[ScenarioResult]) -> str:
    names = [shown(r.scenario.name) for r in results]
    width = max([len("scenario"), *(len(name) for name in names)])
    lines = [f"{'scenario':<{width}}  {'expected':<16}  {'got':<11}  {'status':>6}  ok"]
    for name, r in zip(names, results, strict=True):
        status = "" if r.status is None else str(r.status)
        expected = r.scenario.expect + (f" {r.scenario.status}" if r.scenario.status else "")
        mark = "ok" if r.ok else "FAIL"
        lines.append(f"{name:<{width}}  {expected:<16}  {r.got:<11}  {status:>6}  {mark}")
        if r.error:
            lines.append(f"{'':<{width}}  {shown(r.error)}")
        # What the table's columns do not show: the URI, headers and body a scenario expects.
        in_columns = (f"expected {r.scenario.expect}, got", "expected status")
        lines += [
            f"{'':<{width}}  {shown(m)}" for m in r.mismatches if not m.startswith(in_columns)
        ]
    failed = sum(not r.ok for r in results)
    lines.append(
        f"{count(len(results), 'scenario')}, {len(results) - failed} passed, {failed} failed"
    )
    return "\n".join(lines)


def scenario_json(result: ScenarioResult) -> dict[str, Any]:
    return {
        "name": result.scenario.name,
        "expected": result.scenario.expect,
        "expected_status": result.scenario.status,
        "got": result.got,
        "status": result.status,
        "ok": result.ok,
        "error": result.error,
        "uri": result.uri,
        "origin_headers": result.origin_headers,
        "headers": result.headers,
        "origin": None if result.origin is None else result.origin.as_json(),
        "mismatches": result.mismatches,
    }


def test_result(result: EventRun | ScenarioRun) -> str:
    if isinstance(result, EventRun):
        return event_results(result.events, result.results)
    return scenario_run(result)


def test_json(result: EventRun | ScenarioRun) -> Any:
    """One event: TestFunction's document; several, a list of them; scenarios, the run."""
    if isinstance(result, EventRun):
        return result.results[0] if len(result.results) == 1 else result.results
    return scenario_run_json(result)


def scenario_run(run: ScenarioRun) -> str:
    text = scenarios(run.results)
    return text if run.remote is None else text + "\n" + comparisons(run.remote)


def scenario_run_json(run: ScenarioRun) -> dict[str, Any]:
    document: dict[str, Any] = {
        "scenarios": [scenario_json(r) for r in run.results],
        "passed": all(r.ok for r in run.results),
    }
    if run.remote is not None:
        document["remote"] = [
            {"name": c.name, "local": c.local, "remote": c.remote, "error": c.error,
             "agrees": c.agrees}
            for c in run.remote
        ]  # fmt: skip
    return document


def comparisons(compared: list[RemoteComparison]) -> str:
    disagree = [c for c in compared if not c.agrees]
    agreed = len(compared) - len(disagree)
    agree = verb(agreed, "agrees", "agree")
    lines = [f"remote (TestFunction): {agreed} of {count(len(compared), 'event')} {agree}"]
    for c in disagree:
        error = f" ({shown(c.error)})" if c.error else ""
        lines.append(f"  {shown(c.name)}: local {c.local}, remote {c.remote}{error}")
    return "\n".join(lines)


# ---- plans and what was done ----


def selection(chosen: Selection | None) -> list[str]:
    """The distributions a command works on, as ``plan`` lists them, and the fleet entries
    that matched none."""
    if chosen is None:
        return []
    targets = chosen.targets
    if len(targets) == 1:
        lines = [f"distribution: {shown(targets[0].label)}"]
    else:
        lines = [f"distributions: {len(targets)} selected"]
        lines += [f"  {shown(t.label)}" for t in targets]
    return lines + [f"warning: {shown(w)}" for w in chosen.warnings()]


def selection_json(chosen: Selection | None) -> dict[str, Any]:
    if chosen is None:
        return {}
    return {
        "selected": [
            {"id": t.id, "label": t.label, "entry": t.entry, "multi_tenant": t.multi_tenant,
             "tenants": list(t.tenants)}
            for t in chosen.targets
        ],
        "warnings": chosen.warnings(),
    }  # fmt: skip


def preview(previewed: Preview) -> str:
    """``cffunc plan``: the toggle, the distributions selected, then each step of the plan
    (or why there is none)."""
    lines = [shown(previewed.headline), *selection(previewed.selection)]
    if previewed.plan.empty:
        lines.append(shown(previewed.nothing))
    lines += [shown(message) for message in previewed.plan.messages()]
    lines += [f"note: {shown(note)}" for note in previewed.plan.notes]
    return "\n".join(lines)


def preview_json(previewed: Preview, kind: str) -> dict[str, Any]:
    return (
        {"toggle": kind}
        | previewed.facts
        | selection_json(previewed.selection)
        | plan_json(previewed.plan)
    )


def done_lines(report: Report, seen: Steps | None = None) -> list[str]:
    """A ``done:`` line per step carried out, from the executor's record (less those a
    terminal has shown already)."""
    done = seen.unseen(report.done) if seen is not None else report.done
    return [f"done: {shown(message)}" for message in done]


def outcome(result: Outcome, seen: Steps | None = None) -> str:
    """What a write command did, or ``result.nothing`` when it wrote nothing."""
    if not result.report.done:
        return shown(result.nothing)
    return "\n".join(done_lines(result.report, seen))


def outcome_json(result: Outcome) -> dict[str, Any]:
    return {"toggle": result.toggle} | plan_json(result.plan) | {"report": result.report.as_json()}


def state_line(status: dict[str, Any] | str) -> str:
    """One line for the state a stopped run left: overall, then each distribution."""
    if isinstance(status, str):
        return f"state: unknown ({shown(status)})"
    each = ", ".join(
        f"{shown(d['label'])}: {d['maintenance']}, {shown(d['status'])}"
        for d in status["distributions"]
    )
    store = status.get("store")
    kept = f"; KeyValueStore says {store['state']}" if store else ""
    return f"state: maintenance {status['maintenance']} ({each}){kept}"


def stopped_lines(stop: Incomplete) -> list[str]:
    """For stderr after a run stopped past its first write: the cause, what was put
    back, what is left, the state (read again) and what to run next."""
    cause = stop.cause
    if isinstance(cause, Interrupted):
        lines = [f"interrupted ({cause}); every step that started was finished"]
    else:
        lines = [f"Error: {shown(cause)}"]
    lines += [f"put back: {shown(d)} (as it was before this run)" for d in stop.rolled_back]
    lines += [f"left: {shown(item)}" for item in stop.left]
    lines.append(state_line(stop.state))
    lines.append(f"to undo: {shown(stop.undo)}; to finish: {shown(stop.again)}")
    return lines


# ---- cffunc status ----

ASSOCIATED = {"all": "yes", "none": "no", "some": "partly"}
SHOWN_SCOPES = 20


def status(document: dict[str, Any]) -> str:
    """``cffunc status``: the store's scopes (store toggle), the function's stages, each
    composition, each distribution's behaviors, and whether maintenance is on."""
    lines = []
    store = document.get("store")
    if store is not None:
        scopes = store.get("scopes") or []
        scoped = len(scopes) > 1 or any(s["host"] != "every host" for s in scopes)
        active = sum(s["active"] for s in scopes)
        later = sum(bool(s.get("scheduled")) for s in scopes)
        summary = (
            f"{active} of {count(len(scopes), 'scope')} on"
            + (f", {later} scheduled" if later else "")
            if scoped
            else shown(store["describe"])
        )
        lines.append(
            f"toggle kvs: KeyValueStore {shown(store['name'])}: "
            + (
                f"{summary}, {count(store['networks'], 'network')} allowed in the store"
                if store["exists"]
                else "does not exist (run `cffunc install`)"
            )
        )
        if scoped:
            shown_scopes = scopes[:SHOWN_SCOPES]
            lines += [f"  {shown(scope_label(s))}: {shown(s['describe'])}" for s in shown_scopes]
            if len(scopes) > SHOWN_SCOPES:
                lines.append(f"  ... and {len(scopes) - SHOWN_SCOPES} more (--json lists them all)")
    lines.append(_function_line(document["function"]))
    for composition in document.get("compositions") or []:
        foreign = shown(composition["foreign"])
        if composition["foreign"] is None:
            state = "made from an unknown function (its comment was changed)"
        elif not composition["foreign_exists"]:
            state = f"composed with {foreign}, which no longer exists"
        elif composition["foreign_changed"]:
            state = (
                f"composed with {foreign}, whose LIVE code changed since: the "
                "edge runs the old copy until `cffunc enable` (or install) composes again"
            )
        else:
            state = f"composed with {foreign} (its current LIVE code)"
        lines.append(f"composition {shown(composition['name'])}: {state}")
    for distribution in document["distributions"]:
        tenants = distribution.get("tenants")
        reach = (
            f" (multi-tenant: {tenants['count']} tenants, {tenants['enabled']} enabled)"
            if tenants is not None
            else ""
        )
        lines.append(
            f"distribution {shown(distribution['label'])}{reach}: "
            f"{shown(distribution['status'])}, "
            + (
                f"function associated: {ASSOCIATED[distribution['associated']]}"
                if store is not None
                else f"maintenance {distribution['maintenance']}"
            )
        )
        for behavior in distribution["behaviors"]:
            functions = (
                ", ".join(f"{a['event']}={a['function']}" for a in behavior["functions"]) or "-"
            )
            lambdas = ", ".join(f"{a['event']}={a['function']}" for a in behavior["lambdas"])
            lines.append(
                shown(f"  {behavior['path']:<20} {functions}")
                + (f"  lambda: {shown(lambdas)}" if lambdas else "")
                + ("  gRPC" if behavior.get("grpc") else "")
            )
    lines += [f"warning: {shown(w)}" for w in document.get("warnings") or []]
    lines += [f"note: {shown(n)}" for n in document.get("notes") or []]
    scheduled = document.get("scheduled")
    lines.append(
        f"maintenance: {document['maintenance']}"
        + (f" (scheduled to start at {scheduled})" if scheduled else "")
    )
    return "\n".join(lines)


def _function_line(function: dict[str, Any]) -> str:
    """The function's stages and what LIVE holds; after `destroy` (or before the first
    publish) it is not published, and there is nothing to compare."""
    stages = (
        f"DEVELOPMENT {function['development_etag'] or '-'}, LIVE {function['live_etag'] or '-'}"
    )
    name = shown(function["name"])
    if not function["published"]:
        return f"function {name}: not published ({stages}); `cffunc publish` publishes it"
    if function["live_matches_local"] is None:
        return (
            f"function {name}: {stages}, LIVE code not compared ({shown(function['render_error'])})"
        )
    matches = "matches" if function["live_matches_local"] else "differs from"
    return f"function {name}: {stages}, LIVE code {matches} the local render"


# ---- printing ----

ERASE = "\r\x1b[K"
"""Back to the start of the line, and clear it (a terminal's progress line)."""


class Steps:
    """The progress lines of one command, and the done: lines people have already seen.

    In a terminal (stderr a TTY, no --quiet) a step's line shows while the step runs and
    becomes its ``done:`` line once it is done (on stdout when that is the terminal as well,
    else on stderr), so each step is printed once; a ``waiting for`` line replaces the one
    before it. Elsewhere (a log, a pipe) each progress line is a plain line on stderr and
    the done: lines come at the end on stdout, as scripts read them."""

    def __init__(self, out: TextIO, err: TextIO, quiet: bool = False, as_json: bool = False):
        self.out, self.err, self.quiet = out, err, quiet
        self.live = not quiet and err.isatty()
        self.done_on_out = self.live and out.isatty() and not as_json
        self.seen: set[str] = set()
        """Done messages already on stdout (not to be printed again at the end)."""
        self.transient = ""
        """The line shown without a newline, to be rewritten."""
        self.step: str | None = None

    def progress(self, message: str) -> None:
        if self.quiet:
            return
        message = shown(message)
        if not self.live:
            click.echo(message, file=self.err)
            return
        self._erase()
        if message.startswith("waiting for "):
            self._show(message)
            return
        click.echo(message, file=self.err)
        if self.step is not None:  # a note in the middle of a step: the step shows again
            self._show(self.step)

    def started(self, message: str) -> None:
        self.step = shown(message)
        if self.live:
            self._erase()
            self._show(self.step)
        else:
            self.progress(message)

    def finished(self, message: str) -> None:
        self.step = None
        if not self.live:
            return
        self._erase()
        if self.done_on_out:
            click.echo(f"done: {shown(message)}", file=self.out)
            self.seen.add(message)
        else:
            click.echo(f"done: {shown(message)}", file=self.err)

    def close(self) -> None:
        """Clear a line left showing (before the result or an error is printed)."""
        if self.live:
            self._erase()

    def unseen(self, done: list[str]) -> list[str]:
        return [message for message in done if message not in self.seen]

    def _show(self, line: str) -> None:
        click.echo(line, file=self.err, nl=False)
        self.transient = line

    def _erase(self) -> None:
        if self.transient:
            click.echo(ERASE, file=self.err, nl=False)
            self.transient = ""


def steps() -> Steps:
    """The running command's Steps (one per invocation, kept in click's context)."""
    context = click.get_current_context()
    found = context.meta.get("cffunc.steps")
    if isinstance(found, Steps):
        return found
    made = Steps(
        sys.stdout,
        sys.stderr,
        quiet=bool(getattr(context.obj, "quiet", False)),
        as_json=bool(context.params.get("as_json")),
    )
    context.meta["cffunc.steps"] = made
    return made


def show_render(built: Built, output_file: Path | None, stats: bool) -> None:
    """``render``: the code to FILE or stdout, or the sizes with --stats."""
    if output_file is not None:
        output_file.write_bytes(built.code.encode("utf-8"))
        echo_err(f"wrote {output_file} ({built.total:,} bytes)")
    if stats:
        click.echo(render_stats(built))
    elif output_file is None:
        sys.stdout.write(built.code)


def exported(paths: list[Path], request: ExportRequest) -> None:
    if request.check_only:
        click.echo(f"{request.target} matches the current render")
    for path in paths:
        click.echo(f"wrote {path}")


def echo_err(message: str) -> None:
    """A line for people on stderr: progress, notes, errors. Its control characters are
    shown as escapes (names and reasons in it may come from elsewhere)."""
    click.echo(shown(message, keep="\n"), err=True)


def emit(as_json: bool, document: Any, text: str) -> None:
    """The document, exact, with --json; else the text for people (the formatters show
    what came from elsewhere as escapes, and so does this, once more, for the whole),
    nothing when it is empty (a terminal has shown every line already)."""
    if as_json:
        click.echo(json.dumps(document, indent=2))
    elif text:
        click.echo(shown(text, keep="\n"))
