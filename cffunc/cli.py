"""The ``cffunc`` command: a thin click layer over the library.

Each command's docstring is its ``--help``. Library errors (:class:`CffuncError`) become
one ``Error: ...`` line and exit code 1; click's usage errors exit with 2.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from cffunc import __version__
from cffunc.awsclient import CloudFrontClient, FunctionInUse
from cffunc.config import RUNTIMES, Config, load_config, parse_time
from cffunc.deploy import (
    DEFAULT_TIMEOUT_SECONDS,
    Executor,
    RemoteComparison,
    Report,
    compare_remote,
    ensure_development,
    local_function,
    read_distributions,
    read_function,
    resolve_targets,
    wait_deployed,
)
from cffunc.errors import CffuncError, RenderError
from cffunc.events import EventError, event_from_options, normalise_event, viewer_request_event
from cffunc.iam import iam_policy
from cffunc.localrun import ScenarioResult, run_scenarios, test_result
from cffunc.plan import (
    LocalFunction,
    Plan,
    RemoteFunction,
    behaviors_of,
    holds_render,
    maintenance_state,
    plan_disable,
    plan_enable,
    plan_json,
    plan_publish,
)
from cffunc.render import SIZE_LIMIT, RenderedFunction, RenderStats, render
from cffunc.replay import format_summary, replay
from cffunc.rules import MaintenanceRules, compile_rules, epoch_ms
from cffunc.runtime import FunctionRuntime
from cffunc.runtime.kvs import KeyValueData, load_kvs
from cffunc.scenarios import Scenario, load_scenarios
from cffunc.store import STATE_KEY, StoreState, enabled_items, until_from_option
from cffunc.toggle import (
    InstallReport,
    allow_change,
    allow_list,
    existing_store,
    install,
    parse_cidrs,
    plan_install,
    read_installation,
    read_state,
    require_store_toggle,
    store_status,
    switch,
    uninstall,
)

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Settings:
    config_path: Path | None
    profile: str | None
    endpoint_url: str | None
    verbose: bool

    def config(self) -> Config:
        return load_config(self.config_path)


def reports_errors(command: F) -> F:
    """Turn library errors into click's one-line ``Error:`` and exit code 1."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except CffuncError as error:
            raise click.ClickException(str(error)) from None

    return wrapper  # type: ignore[return-value]


def _override(field: str) -> Callable[[click.Context, click.Parameter, Any], None]:
    """The global options also work after the command name (``cffunc test -c FILE``)."""

    def callback(ctx: click.Context, param: click.Parameter, value: Any) -> None:
        if value is not None and value is not False and ctx.obj is not None:
            ctx.obj = replace(ctx.obj, **{field: value})

    return callback


def global_options(command: F) -> F:
    """-c/--config, --profile, --endpoint-url, -v: on the group and on every command."""
    for option in reversed(
        [
            click.option(
                "-c",
                "--config",
                "config_path",
                type=click.Path(dir_okay=False, path_type=Path),
                help="Config file (default: ./cffunc.toml).",
            ),
            click.option("--profile", help="AWS profile for the commands that call AWS."),
            click.option(
                "--endpoint-url",
                envvar="AWS_ENDPOINT_URL",
                help="CloudFront API endpoint (also AWS_ENDPOINT_URL), e.g. the local emulator.",
            ),
            click.option("-v", "--verbose", is_flag=True, help="Report every AWS call on stderr."),
        ]
    ):
        command = option(command)
    return command


def command_options(command: F) -> F:
    """The global options on a subcommand: they override the group's."""
    for flags, field, extra in (
        (("-c", "--config"), "config_path", {"type": click.Path(dir_okay=False, path_type=Path),
                                             "help": "Config file (default: ./cffunc.toml)."}),
        (("--profile",), "profile", {"help": "AWS profile."}),
        (("--endpoint-url",), "endpoint_url", {"help": "CloudFront API endpoint."}),
        (("-v", "--verbose"), "verbose", {"is_flag": True, "help": "Report AWS calls on stderr."}),
    ):  # fmt: skip
        command = click.option(
            *flags, field + "_override", expose_value=False, callback=_override(field), **extra
        )(command)
    return command


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@global_options
@click.version_option(__version__, prog_name="cffunc")
@click.pass_context
def cli(
    ctx: click.Context,
    config_path: Path | None,
    profile: str | None,
    endpoint_url: str | None,
    verbose: bool,
) -> None:
    """Maintenance mode for Amazon CloudFront with a CloudFront Function.

    Render the function from cffunc.toml, prove it locally in V8, then switch it on
    and off from a release script.

    \b
    Example:
      cffunc -c samples/cffunc.toml render --stats
    """
    ctx.obj = Settings(config_path, profile, endpoint_url, verbose)


def rendered_function(settings: Settings) -> RenderedFunction:
    config = settings.config()
    return render(compile_rules(config, os.environ))


def format_stats(stats: RenderStats) -> str:
    networks = f"{stats.v4_networks} IPv4 + {stats.v6_networks} IPv6 networks"
    rows = [
        ("runtime", stats.runtime),
        ("bytes", f"{stats.total:,} of {SIZE_LIMIT:,} ({stats.share:.1%})"),
        ("  page", f"{stats.page:,}"),
        ("  allowlist", f"{stats.allowlist:,} ({networks}, paths)"),
        ("  logic", f"{stats.logic:,}"),
    ]
    return "\n".join(f"{name:<12} {value}" for name, value in rows)


@cli.command("render")
@command_options
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write the code to FILE instead of standard output.",
)
@click.option(
    "--stats",
    is_flag=True,
    help="Print the size (bytes, share of the 10,240-byte limit) instead of the code.",
)
@click.pass_obj
@reports_errors
def render_command(settings: Settings, output: Path | None, stats: bool) -> None:
    """Render the CloudFront Function code for the config.

    The bypass secret is read from the environment variable that
    allow.bypass_secret_env names; only a key derived from it is written.
    Fails (exit 1) when the code would exceed CloudFront's 10,240-byte limit,
    saying how many bytes the page, the allowlist and the logic take.

    \b
    Examples:
      cffunc render > function.js
      cffunc -c samples/respond.toml render -o function.js --stats
    """
    function = rendered_function(settings)
    if output is not None:
        output.write_bytes(function.code_bytes)
        click.echo(f"wrote {output} ({function.stats.total:,} bytes)", err=True)
    if stats:
        click.echo(format_stats(function.stats))
    elif output is None:
        sys.stdout.write(function.code)


def _pairs(option: str, values: tuple[str, ...]) -> list[tuple[str, str]]:
    pairs = []
    for item in values:
        name, eq, value = item.partition("=")
        if not eq or not name:
            raise click.UsageError(f"{option} {item!r}: give NAME=VALUE")
        pairs.append((name, value))
    return pairs


def _now(text: str | None) -> datetime:
    if text is None:
        return datetime.now(UTC)
    moment = parse_time(text)
    if moment is None:
        raise click.UsageError(
            f'--now {text!r}: give an RFC 3339 time, e.g. "2026-12-01T03:00:00Z"'
        )
    return moment


def _load_event(path: Path) -> dict[str, Any]:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CffuncError(f"{path}: cannot read the event file: {error}") from None
    try:
        return normalise_event(raw, str(path))
    except EventError as error:
        raise CffuncError(str(error)) from None


def format_scenarios(results: list[ScenarioResult]) -> str:
    width = max([len("scenario"), *(len(r.scenario.name) for r in results)])
    lines = [f"{'scenario':<{width}}  {'expected':<16}  {'got':<11}  {'status':>6}  ok"]
    for r in results:
        status = "" if r.status is None else str(r.status)
        expected = r.scenario.expect + (f" {r.scenario.status}" if r.scenario.status else "")
        mark = "ok" if r.ok else "FAIL"
        lines.append(
            f"{r.scenario.name:<{width}}  {expected:<16}  {r.got:<11}  {status:>6}  {mark}"
        )
        if r.error:
            lines.append(f"{'':<{width}}  {r.error}")
    failed = sum(not r.ok for r in results)
    lines.append(f"{len(results)} scenarios, {len(results) - failed} passed, {failed} failed")
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
    }


@cli.command("test")
@command_options
@click.option(
    "--scenarios",
    "scenarios_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Scenario file (default: [test] scenarios in the config).",
)
@click.option(
    "--event",
    "event_files",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="An event JSON file as `aws cloudfront test-function` takes it (repeatable).",
)
@click.option("--ip", help="Viewer IP of a single event.")
@click.option("--method", default="GET", show_default=True, help="HTTP method of a single event.")
@click.option("--path", "path", help="Path of a single event, may include ?query.")
@click.option(
    "--header", "headers", multiple=True, metavar="K=V", help="Request header (repeatable)."
)
@click.option(
    "--cookie", "cookies", multiple=True, metavar="K=V", help="Request cookie (repeatable)."
)
@click.option(
    "--event-type",
    type=click.Choice(["viewer-request", "viewer-response"]),
    default="viewer-request",
    show_default=True,
    help="Event type of a single event.",
)
@click.option("--now", help="Freeze Date at this RFC 3339 time (default: now).")
@click.option(
    "--code",
    "code_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Run this CloudFront Function file instead of cffunc's rendered function.",
)
@click.option("--runtime", type=click.Choice(list(RUNTIMES)), help="Runtime of --code.")
@click.option(
    "--kvs",
    "kvs_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help='JSON file of keys to values that cf.kvs() reads (toggle = "kvs" default: a store '
    "saying maintenance is on).",
)
@click.option(
    "--remote",
    is_flag=True,
    help="Also run the events through CloudFront's TestFunction (DEVELOPMENT stage) and compare.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@click.pass_obj
@reports_errors
def test_command(
    settings: Settings,
    scenarios_path: Path | None,
    event_files: tuple[Path, ...],
    ip: str | None,
    method: str,
    path: str | None,
    headers: tuple[str, ...],
    cookies: tuple[str, ...],
    event_type: str,
    now: str | None,
    code_file: Path | None,
    runtime: str | None,
    kvs_file: Path | None,
    remote: bool,
    as_json: bool,
) -> None:
    """Run the function in the local runtime (embedded V8, no AWS).

    Without event options: run the scenario file and print a table; exit 1 on
    any mismatch. With --event or --ip/--path/...: print what CloudFront's
    TestFunction would return for each event (ComputeUtilization is a local
    estimate). --code runs any CloudFront Function file. --remote also sends the
    scenario events (at the current time: TestFunction cannot freeze the clock)
    to CloudFront's TestFunction on the DEVELOPMENT stage, putting the local
    render there first if needed (LIVE is untouched), and exits 1 if the two
    disagree.

    \b
    Examples:
      cffunc test -c samples/cffunc.toml
      cffunc test --ip 198.51.100.1 --path '/cart?x=1' --header accept=application/json
      cffunc test --code fn.js --runtime cloudfront-js-2.0 --event event.json
    """
    moment = _now(now)
    kvs = load_kvs(kvs_file) if kvs_file else None
    single = bool(event_files) or ip is not None or path is not None
    if remote and (single or code_file is not None):
        raise click.UsageError(
            "--remote compares the config's scenarios; drop the event options and --code"
        )
    if code_file is not None:
        if runtime is None:
            raise click.UsageError("--code needs --runtime cloudfront-js-1.0 or cloudfront-js-2.0")
        if not single:
            raise click.UsageError("--code needs events: --event FILE or --ip/--path")
        code, function_runtime = code_file.read_text(encoding="utf-8"), runtime
        config, rules = None, None
    else:
        config = settings.config()
        rules = compile_rules(config, os.environ)
        code, function_runtime = render(rules).code, config.function.runtime
        kvs = local_store(kvs, rules)
    with FunctionRuntime(code, function_runtime, kvs=kvs) as engine:  # type: ignore[arg-type]
        if single:
            events = [_load_event(f) for f in event_files]
            if ip is not None or path is not None:
                try:
                    events.append(
                        event_from_options(
                            ip or "198.51.100.1", method, path or "/",
                            _pairs("--header", headers), _pairs("--cookie", cookies), event_type,
                        )
                    )  # fmt: skip
                except EventError as error:
                    raise click.UsageError(str(error)) from None
            results = [test_result(engine, e, epoch_ms(moment) or 0) for e in events]
            click.echo(json.dumps(results[0] if len(results) == 1 else results, indent=2))
            if any(r["FunctionErrorMessage"] for r in results):
                sys.exit(1)
            return
        assert config is not None and rules is not None
        scenario_file = scenarios_path or config.test.scenarios
        if scenario_file is None:
            raise CffuncError(
                "no scenarios: set [test] scenarios in the config, pass --scenarios FILE, "
                "or give an event (--event FILE, --ip/--path)"
            )
        scenarios = load_scenarios(scenario_file)
        secret = os.environ.get(config.allow.bypass_secret_env or "")
        outcomes = run_scenarios(engine, rules, scenarios, secret, moment)
        comparisons = (
            remote_comparisons(settings, config, rules, engine, scenarios, secret) if remote else []
        )
    document: dict[str, Any] = {
        "scenarios": [scenario_json(r) for r in outcomes],
        "passed": all(r.ok for r in outcomes),
    }
    if remote:
        document["remote"] = [
            {
                "name": c.name,
                "local": c.local,
                "remote": c.remote,
                "error": c.error,
                "agrees": c.agrees,
            }
            for c in comparisons
        ]
    if as_json:
        click.echo(json.dumps(document, indent=2))
    else:
        click.echo(format_scenarios(outcomes))
        if remote:
            click.echo(format_comparisons(comparisons))
    if not all(r.ok for r in outcomes) or not all(c.agrees for c in comparisons):
        sys.exit(1)


def local_store(kvs: KeyValueData | None, rules: MaintenanceRules) -> KeyValueData | None:
    """The store a local run reads: the one given, else for a store-toggled function one
    that says maintenance is on (as if `cffunc enable` had run)."""
    if kvs is None and rules.store:
        return KeyValueData(enabled_items())
    return kvs


def remote_comparisons(
    settings: Settings,
    config: Config,
    rules: MaintenanceRules,
    engine: FunctionRuntime,
    scenarios: list[Scenario],
    secret: str | None,
) -> list[RemoteComparison]:
    """The scenario events at the current time, through TestFunction and locally."""
    client = connect(settings)
    rendered = render(rules)
    local = local_function(config, rendered, store_arn(client, config, "test --remote"))
    moment = datetime.now(UTC)
    named = [(s.name, viewer_request_event(s.request(rules, moment, secret))) for s in scenarios]
    if local.kvs_arn is not None:
        # TestFunction reads the real store: so does the local run it is compared with.
        items = client.key_value_store_client().keys(local.kvs_arn)
        with FunctionRuntime(
            rendered.code, config.function.runtime, kvs=KeyValueData(items)
        ) as with_store:
            local_results = with_store.invoke_many(
                (event, epoch_ms(moment) or 0) for _, event in named
            )
    else:
        local_results = engine.invoke_many((event, epoch_ms(moment) or 0) for _, event in named)
    etag = ensure_development(client, local, _echo_err)
    return compare_remote(client, local, etag, named, [(r.output, r.error) for r in local_results])


def format_comparisons(comparisons: list[RemoteComparison]) -> str:
    disagree = [c for c in comparisons if not c.agrees]
    agreed = len(comparisons) - len(disagree)
    lines = [f"remote (TestFunction): {agreed} of {len(comparisons)} events agree"]
    for c in disagree:
        lines.append(
            f"  {c.name}: local {c.local}, remote {c.remote}" + (f" ({c.error})" if c.error else "")
        )
    return "\n".join(lines)


@cli.command("replay")
@command_options
@click.argument("logs", nargs=-1, required=True)
@click.option("--now", help="Replay as if at this RFC 3339 time (default: now).")
@click.option("--limit", type=click.IntRange(min=1), help="Stop after N log lines.")
@click.option("--sample", type=click.IntRange(min=1), default=1, help="Replay every K-th line.")
@click.option(
    "--kvs",
    "kvs_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help='toggle = "kvs": JSON file of the store\'s keys (default: maintenance on).',
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@click.pass_obj
@reports_errors
def replay_command(
    settings: Settings,
    logs: tuple[str, ...],
    now: str | None,
    limit: int | None,
    sample: int,
    kvs_file: Path | None,
    as_json: bool,
) -> None:
    """Replay CloudFront access logs through the function, locally.

    LOG: standard access log files (plain or .gz), directories of them, or -
    for standard input. Prints how many requests would pass, get the
    maintenance answer, be redirected or hit a function error, the top paths
    and client networks of each, and which allowlist rule let requests
    through. Exit 1 when the function threw on any line.

    \b
    Examples:
      cffunc replay --now 2026-12-01T03:00:00Z samples/access.log
      zcat logs/*.gz | cffunc replay -
    """
    config = settings.config()
    rules = compile_rules(config, os.environ)
    show = None
    if sys.stderr.isatty() and not as_json:

        def show(lines: int) -> None:
            click.echo(f"\r{lines:,} lines", err=True, nl=False)

    kvs = local_store(load_kvs(kvs_file) if kvs_file else None, rules)
    with FunctionRuntime(
        render(rules).code, config.function.runtime, kvs=kvs, trusted=True
    ) as engine:
        summary = replay(
            engine, rules, logs, _now(now), limit, sample, show, kvs.items if kvs else None
        )
    if show is not None:
        click.echo("", err=True)
    click.echo(json.dumps(summary.as_json(), indent=2) if as_json else format_summary(summary))
    if summary.counts["error"]:
        sys.exit(1)


# ---- deploy ----


def _echo_err(message: str) -> None:
    click.echo(message, err=True)


@dataclass(frozen=True)
class DeployContext:
    config: Config
    client: CloudFrontClient
    local: LocalFunction


def deploy_context(settings: Settings, code: bool = True, store: bool = False) -> DeployContext:
    """Config, client and the function; ``code=False`` skips rendering (and so the
    bypass secret): disable and destroy must work in an emergency without it.
    ``store``: toggle = "kvs" needs the store to exist (its ARN is part of the function)."""
    config = settings.config()
    rendered = render(compile_rules(config, os.environ)) if code else None
    client = connect(settings)
    kvs_arn = store_arn(client, config, "publish") if store else None
    return DeployContext(config, client, local_function(config, rendered, kvs_arn))


def store_arn(client: CloudFrontClient, config: Config, command: str) -> str | None:
    """toggle = "kvs": the store's ARN, which the function's config must keep naming
    (a publish without it would leave the function unable to read the store)."""
    if config.store_name is None:
        return None
    return existing_store(client, config, command).arn


def connect(settings: Settings) -> CloudFrontClient:
    """The CloudFront client; with -v every call is reported on stderr."""
    trace = _echo_err if settings.verbose else None
    return CloudFrontClient.connect(settings.profile, settings.endpoint_url, trace)


def _report(as_json: bool, plan: Plan, report: Report | None, nothing: str) -> None:
    if as_json:
        document = plan_json(plan) | ({"report": report.as_json()} if report else {})
        click.echo(json.dumps(document, indent=2))
    elif plan.empty:
        click.echo(nothing)
    else:
        for message in plan.messages():
            click.echo(("done: " if report else "") + message)


def _wait(ctx: DeployContext, report: Report, wait: bool, timeout: float) -> None:
    if wait and report.touched:
        wait_deployed(ctx.client, report.touched, timeout, _echo_err)


wait_options = [
    click.option("--wait", is_flag=True, help="Wait until every changed distribution is Deployed."),
    click.option(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT_SECONDS,
        show_default=True,
        help="Seconds --wait waits before failing.",
    ),
    click.option("--json", "as_json", is_flag=True, help="Print one JSON document."),
]


def with_options(options: list[Callable[[F], F]]) -> Callable[[F], F]:
    def apply(command: F) -> F:
        for option in reversed(options):
            command = option(command)
        return command

    return apply


@cli.command("publish")
@command_options
@click.option(
    "--test",
    "run_tests",
    is_flag=True,
    help="Before publishing, run the scenario events through TestFunction on DEVELOPMENT "
    "and publish only if CloudFront agrees with the local runtime.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@click.pass_obj
@reports_errors
def publish_command(settings: Settings, run_tests: bool, as_json: bool) -> None:
    """Create or update the function and publish it to LIVE.

    Nothing is written when the LIVE code and config already equal the local
    render. Associated distributions pick the new LIVE code up as they deploy.

    \b
    Example:
      cffunc publish --test
    """
    ctx = deploy_context(settings, store=True)
    remote = read_function(ctx.client, ctx.local)
    plan = plan_publish(ctx.local, remote)
    if run_tests and not plan.empty:
        config = ctx.config
        if config.test.scenarios is None:
            raise CffuncError("publish --test needs scenarios: set [test] scenarios in the config")
        rules = compile_rules(config, os.environ)
        secret = os.environ.get(config.allow.bypass_secret_env or "")
        with FunctionRuntime(render(rules).code, config.function.runtime) as engine:
            comparisons = remote_comparisons(
                settings, config, rules, engine, load_scenarios(config.test.scenarios), secret
            )
        _echo_err(format_comparisons(comparisons))
        if not all(c.agrees for c in comparisons):
            raise CffuncError(
                "CloudFront's TestFunction disagrees with the local runtime; not published"
            )
        remote = read_function(ctx.client, ctx.local)
        plan = plan_publish(ctx.local, remote)
    report = (
        Executor(ctx.client, _echo_err).run(plan, ctx.local, remote) if not plan.empty else None
    )
    _report(
        as_json, plan, report, f"{ctx.local.name}: LIVE already holds this code; nothing to publish"
    )


@cli.command("plan")
@command_options
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@click.pass_obj
@reports_errors
def plan_command(settings: Settings, as_json: bool) -> None:
    """Show what `enable` would change; change nothing (read-only calls only).

    Says which toggle the config uses. toggle = "kvs": what `install` would do
    if the function is not installed yet, else the store write `enable` makes.

    \b
    Example:
      cffunc plan --json
    """
    ctx = deploy_context(settings)
    if ctx.config.store_name is not None:
        _store_plan(ctx, as_json)
        return
    remote = read_function(ctx.client, ctx.local)
    distributions = read_distributions(ctx.client, resolve_targets(ctx.client, ctx.config))
    plan = plan_enable(ctx.local, remote, distributions)
    if as_json:
        click.echo(json.dumps({"toggle": "association"} | plan_json(plan), indent=2))
        return
    click.echo("toggle: association (enable associates the function with the behaviors)")
    _report(as_json, plan, None, "enable would change nothing: maintenance is already on")


@cli.command("enable")
@command_options
@with_options(wait_options)
@click.option(
    "--until",
    help='toggle = "kvs": end maintenance by itself at this RFC 3339 time or after a '
    "duration (90m, 2h, 1d).",
)
@click.option("--reason", help='toggle = "kvs": the message JSON and text answers give.')
@click.pass_obj
@reports_errors
def enable_command(
    settings: Settings,
    wait: bool,
    timeout: float,
    as_json: bool,
    until: str | None,
    reason: str | None,
) -> None:
    """Turn maintenance on.

    toggle = "association": publish if needed, associate with the selected
    behaviors (viewer-request, plus viewer-response in rewrite mode). Refuses
    (exit 1, nothing written) when a behavior already runs another function or
    a Lambda@Edge viewer function, or when maintenance.origin is not an origin
    of the distribution. toggle = "kvs": write "on" to the KeyValueStore (one
    conditional write; the distribution is not touched) after checking that
    `cffunc install` is in place; --wait returns once the write is
    acknowledged. Already enabled: exit 0, no write.

    \b
    Examples:
      cffunc enable --wait --timeout 1800
      cffunc enable --until 2h --reason "Upgrading the database"
    """
    config = settings.config()
    if config.store_name is not None:
        state = StoreState(True, until_from_option(until, datetime.now(UTC)), reason)
        _store_switch(settings, config, state, as_json, check=True)
        return
    if until is not None or reason is not None:
        raise CffuncError(
            '--until and --reason need maintenance.toggle = "kvs"; with "association" set '
            "maintenance.end and maintenance.reason and publish"
        )
    ctx = deploy_context(settings)
    remote = read_function(ctx.client, ctx.local)
    distributions = read_distributions(ctx.client, resolve_targets(ctx.client, ctx.config))
    plan = plan_enable(ctx.local, remote, distributions)
    if plan.empty:
        _report(as_json, plan, None, "already enabled")
        return
    report = Executor(ctx.client, _echo_err).run(plan, ctx.local, remote)
    _wait(ctx, report, wait, timeout)
    _report(as_json, plan, report, "already enabled")


@cli.command("disable")
@command_options
@with_options(wait_options)
@click.pass_obj
@reports_errors
def disable_command(settings: Settings, wait: bool, timeout: float, as_json: bool) -> None:
    """Turn maintenance off.

    toggle = "association": remove exactly the associations cffunc added; every
    other association and field stays as it was. toggle = "kvs": write "off" to
    the KeyValueStore (the function stays associated). Needs no bypass secret.

    \b
    Example:
      cffunc disable --wait
    """
    config = settings.config()
    if config.store_name is not None:
        _store_switch(settings, config, StoreState(False), as_json, check=False)
        return
    ctx = deploy_context(settings, code=False)
    distributions = read_distributions(ctx.client, resolve_targets(ctx.client, ctx.config))
    plan = plan_disable(ctx.local, distributions)
    if plan.empty:
        _report(as_json, plan, None, "already disabled")
        return
    report = Executor(ctx.client, _echo_err).run(plan, ctx.local, RemoteFunction())
    _wait(ctx, report, wait, timeout)
    _report(as_json, plan, report, "already disabled")


@cli.command("status")
@command_options
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@click.pass_obj
@reports_errors
def status_command(settings: Settings, as_json: bool) -> None:
    """Show the function's stages, each behavior's associations and deploy state.

    Says whether LIVE holds the local render, and whether maintenance is on,
    off or partial on each distribution.

    \b
    Example:
      cffunc status --json
    """
    render_error = None
    try:
        ctx = deploy_context(settings)
    except RenderError as error:  # status is still useful without the local render
        render_error = str(error)
        ctx = deploy_context(settings, code=False)
    document = status_document(ctx)
    document["function"]["render_error"] = render_error
    if as_json:
        click.echo(json.dumps(document, indent=2))
        return
    store = document.get("store")
    if store is not None:
        click.echo(
            f"toggle kvs: KeyValueStore {store['name']}: "
            + (
                f"{store['describe']}, {store['networks']} networks allowed in the store"
                if store["exists"]
                else "does not exist (run `cffunc install`)"
            )
        )
    function = document["function"]
    click.echo(
        f"function {function['name']}: DEVELOPMENT {function['development_etag'] or '-'}, "
        f"LIVE {function['live_etag'] or '-'}, LIVE code "
        + _comparison(function["live_matches_local"], render_error)
    )
    for distribution in document["distributions"]:
        click.echo(
            f"distribution {distribution['label']}: {distribution['status']}, "
            + (
                f"function associated: {ASSOCIATED[distribution['maintenance']]}"
                if store is not None
                else f"maintenance {distribution['maintenance']}"
            )
        )
        for behavior in distribution["behaviors"]:
            functions = (
                ", ".join(f"{a['event']}={a['function']}" for a in behavior["functions"]) or "-"
            )
            lambdas = ", ".join(f"{a['event']}={a['function']}" for a in behavior["lambdas"])
            click.echo(
                f"  {behavior['path']:<20} {functions}"
                + (f"  lambda: {lambdas}" if lambdas else "")
            )
    click.echo(f"maintenance: {document['maintenance']}")


def _comparison(matches: bool | None, render_error: str | None) -> str:
    if matches is None:
        return f"not compared ({render_error})"
    return "matches the local render" if matches else "differs from the local render"


ASSOCIATED = {"on": "yes", "off": "no", "partial": "partly"}


def status_document(ctx: DeployContext) -> dict[str, Any]:
    local = ctx.local
    store_info = None
    if ctx.config.store_name is not None:
        store_info = ctx.client.key_value_store(ctx.config.store_name)
        # The LIVE stage matches the render only if it reads the store, too.
        local = replace(local, kvs_arn=store_info.arn if store_info else None)
    dev = ctx.client.describe_function(local.name, "DEVELOPMENT")
    live = ctx.client.describe_function(local.name, "LIVE")
    live_code = ctx.client.function_code(local.name, "LIVE") if live else None
    distributions = read_distributions(ctx.client, resolve_targets(ctx.client, ctx.config))
    out = []
    for distribution in distributions:
        behaviors = []
        for pattern, behavior in behaviors_of(distribution.config):
            behaviors.append({
                "path": pattern,
                "functions": [
                    {
                        "event": i["EventType"],
                        "function": i["FunctionARN"].rsplit("/", 1)[-1],
                        "arn": i["FunctionARN"],
                    }
                    for i in (behavior.get("FunctionAssociations") or {}).get("Items") or []
                ],
                "lambdas": [
                    {"event": i["EventType"], "function": i["LambdaFunctionARN"]}
                    for i in (behavior.get("LambdaFunctionAssociations") or {}).get("Items") or []
                ],
            })  # fmt: skip
        out.append({
            "id": distribution.id,
            "label": distribution.label,
            "status": ctx.client.distribution_status(distribution.id),
            "maintenance": maintenance_state(local, distribution),
            "behaviors": behaviors,
        })  # fmt: skip
    states = {d["maintenance"] for d in out}
    overall = states.pop() if len(states) == 1 else "partial"
    toggle: dict[str, Any] = {"toggle": ctx.config.maintenance.toggle}
    if ctx.config.store_name is not None:
        # The associations say whether the function is installed; the store says on/off.
        store = store_status(ctx.client, ctx.config, datetime.now(UTC), store_info)
        installed = overall
        overall = (
            "off"
            if installed == "off" or not out
            else (
                "partial" if installed == "partial" and store["state"] == "on" else store["state"]
            )
        )
        toggle |= {"installed": installed, "store": store}
    return toggle | {
        "function": {
            "name": local.name,
            "development_etag": dev.etag if dev else None,
            "live_etag": live.etag if live else None,
            "live_matches_local": None
            if local.code is None
            else live is not None
            and holds_render(local, live_code, live.runtime, live.comment, live.kvs_arns),
        },
        "distributions": out,
        "maintenance": overall if out else "off",
    }


# ---- the KeyValueStore toggle ----


def _store_switch(
    settings: Settings, config: Config, state: StoreState, as_json: bool, check: bool
) -> None:
    changed, store, conflicts = switch(connect(settings), config, state, _echo_err, check)
    word = "enabled" if state.on else "disabled"
    if as_json:
        document = {
            "toggle": "kvs",
            "store": store.name,
            "changed": changed,
            "state": json.loads(state.value()),
            "conflicts": conflicts,
        }
        click.echo(json.dumps(document, indent=2))
    elif changed:
        click.echo(
            f"done: set maintenance {state.describe(datetime.now(UTC))} in KeyValueStore "
            f"{store.name} (the edge follows within seconds; no distribution change)"
        )
    else:
        click.echo(f"already {word}")


def _store_plan(ctx: DeployContext, as_json: bool) -> None:
    found = read_installation(ctx.client, ctx.config, ctx.local, "plan")
    name = found.name
    if not found.installed:
        plan = plan_install(ctx.client, found)[2]
        install_steps = ([] if found.store else [f"create KeyValueStore {name}"]) + plan.messages()
        if as_json:
            document = {"toggle": "kvs", "store": name, "installed": False}
            click.echo(json.dumps(document | {"install": install_steps}, indent=2))
            return
        click.echo(
            f"toggle: kvs (KeyValueStore {name}); not installed: run `cffunc install`, which would:"
        )
        for message in install_steps:
            click.echo(f"  {message}")
        return
    assert found.store is not None
    state = read_state(ctx.client.key_value_store_client(), found.store.arn)
    on = state is not None and state.active(datetime.now(UTC))
    if as_json:
        document = {"toggle": "kvs", "store": name, "installed": True, "changes": not on}
        click.echo(json.dumps(document, indent=2))
        return
    click.echo(f"toggle: kvs (KeyValueStore {name}); installed")
    click.echo(
        "enable would change nothing: maintenance is already on"
        if on
        else f"enable would set {STATE_KEY} to on in {name} (no distribution change)"
    )


@cli.command("install")
@command_options
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@click.pass_obj
@reports_errors
def install_command(settings: Settings, as_json: bool) -> None:
    """toggle = "kvs": set up the KeyValueStore switch, with maintenance off.

    Creates the store if missing (and its state key, saying off), associates it
    with the function, publishes, and associates the function with the
    selected behaviors for good. Afterwards enable/disable write only the
    store. Refuses, writing nothing, where enable would. Run it again after a
    config change to publish the new code.

    \b
    Example:
      cffunc install && cffunc status
    """
    config = settings.config()
    rendered = render(compile_rules(config, os.environ))
    client = connect(settings)
    report = install(client, config, rendered, _echo_err)
    for note in report.notes:
        _echo_err(f"note: {note}")
    _install_report(report, as_json, "already installed")


@cli.command("uninstall")
@command_options
@click.option(
    "--timeout",
    type=float,
    default=DEFAULT_TIMEOUT_SECONDS,
    show_default=True,
    help="Seconds to wait for the distributions to deploy before deleting the function.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@click.pass_obj
@reports_errors
def uninstall_command(settings: Settings, timeout: float, as_json: bool) -> None:
    """toggle = "kvs": reverse `install` exactly.

    Removes the function's associations (waiting until the distributions are
    Deployed), deletes the function, and deletes the store if `install` created
    it; a store that existed before keeps everything but cffunc's keys.

    \b
    Example:
      cffunc uninstall
    """
    config = settings.config()
    report = uninstall(connect(settings), config, _echo_err, timeout)
    _install_report(report, as_json, "nothing installed")


def _install_report(report: InstallReport, as_json: bool, nothing: str) -> None:
    if as_json:
        document = {
            "changed": bool(report.done),
            "done": report.done,
            "distributions": report.distributions,
        }
        click.echo(json.dumps(document, indent=2))
        return
    for message in report.done:
        click.echo(f"done: {message}")
    if not report.done:
        click.echo(nothing)


@cli.group("allow")
def allow_group() -> None:
    """toggle = "kvs": networks allowed through, kept in the store (no republish).

    A request reads one key at most: its network's bucket (the first octet of
    an IPv4 address, the first 32 bits of an IPv6 one). A bucket holds at least
    53 IPv4 or 23 IPv6 networks; networks wider than /8 (IPv4) or /32 (IPv6)
    belong in [allow] ips.
    """


@allow_group.command("add")
@command_options
@click.argument("cidrs", nargs=-1, required=True)
@click.pass_obj
@reports_errors
def allow_add_command(settings: Settings, cidrs: tuple[str, ...]) -> None:
    """Allow networks through during maintenance (CIDR or single address).

    \b
    Example:
      cffunc allow add 198.51.100.0/24 2001:db8:1::/48
    """
    _allow_edit(settings, cidrs, add=True)


@allow_group.command("remove")
@command_options
@click.argument("cidrs", nargs=-1, required=True)
@click.pass_obj
@reports_errors
def allow_remove_command(settings: Settings, cidrs: tuple[str, ...]) -> None:
    """Remove networks added with `allow add`.

    \b
    Example:
      cffunc allow remove 198.51.100.0/24
    """
    _allow_edit(settings, cidrs, add=False)


def _allow_edit(settings: Settings, cidrs: tuple[str, ...], add: bool) -> None:
    config = settings.config()
    require_store_toggle(config, "allow")
    networks = parse_cidrs(cidrs)  # every CIDR checked before any call
    changed = allow_change(connect(settings), config, networks, add, _echo_err)
    verb = "added" if add else "removed"
    listed = ", ".join(str(n) for n in networks)
    click.echo(f"done: {verb} {listed}" if changed else f"nothing to change ({listed})")


@allow_group.command("list")
@command_options
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@click.pass_obj
@reports_errors
def allow_list_command(settings: Settings, as_json: bool) -> None:
    """List the networks `allow add` put in the store.

    \b
    Example:
      cffunc allow list --json
    """
    networks = allow_list(connect(settings), settings.config())
    if as_json:
        click.echo(json.dumps({"networks": networks}, indent=2))
    else:
        click.echo("\n".join(networks) if networks else "no networks in the store")


@cli.command("destroy")
@command_options
@click.pass_obj
@reports_errors
def destroy_command(settings: Settings) -> None:
    """Delete the function once no distribution uses it.

    \b
    Example:
      cffunc disable --wait && cffunc destroy
    """
    ctx = deploy_context(settings, code=False)
    dev = ctx.client.describe_function(ctx.local.name, "DEVELOPMENT")
    if dev is None:
        click.echo(f"{ctx.local.name}: no such function; nothing to delete")
        return
    try:
        ctx.client.delete_function(ctx.local.name, dev.etag)
    except FunctionInUse:
        first = "cffunc uninstall" if ctx.config.store_name else "cffunc disable"
        raise CffuncError(
            f"{ctx.local.name} is still associated with a distribution; run `{first}` "
            "(and remove it from any other distribution) first"
        ) from None
    click.echo(f"deleted function {ctx.local.name}")


@cli.command("iam-policy")
@command_options
@click.pass_obj
@reports_errors
def iam_policy_command(settings: Settings) -> None:
    """Print the least-privilege IAM policy the deploy commands need.

    \b
    Example:
      cffunc iam-policy > cffunc-policy.json
    """
    config = settings.config()
    click.echo(json.dumps(iam_policy(config), indent=2))


def main() -> None:
    cli(prog_name="cffunc")
