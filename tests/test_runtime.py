"""The local runtime behaves like CloudFront's: each restriction and shim, with functions
CloudFront would accept or refuse."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from cffunc.function.source import SourceError
from cffunc.runtime import FunctionRuntime
from cffunc.runtime.events import event_from_options, normalise_event
from cffunc.runtime.local_store import KvsError, kvs_from_mapping
from cffunc.runtime.origins import OriginCall

V1, V2 = "cloudfront-js-1.0", "cloudfront-js-2.0"
EVENT = event_from_options("198.51.100.1", "GET", "/index.html?a=1&a=2", [("Accept", "text/html")])


def run(code: str, runtime: str = V1, event: dict[str, Any] | None = None, **kwargs: Any) -> Any:
    with FunctionRuntime(code, runtime, **kwargs) as engine:  # type: ignore[arg-type]
        return engine.invoke(event or EVENT, 1_796_090_400_000)


def logs_of(body: str, runtime: str = V1) -> tuple[str, ...]:
    """Run `body` inside a handler that returns the request; what it logged."""
    result = run(f"function handler(event) {{ {body}; return event.request; }}", runtime)
    assert result.ok, result.error
    return tuple(result.logs)


@pytest.mark.rule("runtime-features")
@pytest.mark.parametrize(
    ("code", "runtime", "refused"),
    [
        ("const a = 1;", V1, "const and let"),
        ("let a = 1;", V1, "const and let"),
        ("async function handler(e) { return e.request }", V1, "async functions"),
        ("function handler(e) { for (var x of [1]) {} }", V1, "for ... of"),
        ("function handler(e) { for (var x of [1]) {} }", V2, "for ... of"),
        ("class A {}", V2, "classes"),
        ("function* g() {}", V2, "generators"),
        ("var {a} = {a: 1};", V2, "destructuring"),
        ("var [a] = [1];", V1, "destructuring"),
        ("function f(a = 1) {}", V2, "default parameters"),
        ("var a = [...[1]];", V2, "spread syntax"),
        ("import cf from 'cloudfront';", V1, "import"),
        ("var x = 1_000;", V1, "numeric separators"),
        ("var x = a?.b;", V2, "optional chaining (?.)"),
    ],
)
def test_refused_features_name_line_and_column(code: str, runtime: str, refused: str) -> None:
    pattern = rf"{runtime} does not support {re.escape(refused)} \(at line 1, column \d+\)"
    with pytest.raises(SourceError, match=pattern):
        FunctionRuntime(code + "\nfunction handler(e) { return e.request }", runtime)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("code", "runtime"),
    [
        ("var f = (a, ...rest) => rest.length; var s = `x${f(1, 2)}`; var p = 2 ** 3;", V1),
        ("const a = 1_000; let b = 'x'.replaceAll('x', 'y'); var s = `${a}${b}`;", V2),
        ("var r = /(?<year>\\d{4})/.exec('2026').groups.year; var e = Object.entries({a: 1});", V1),
    ],
)
def test_accepted_features_run(code: str, runtime: str) -> None:
    result = run(code + "\nfunction handler(e) { return e.request }", runtime)
    assert result.ok, result.error


def test_syntax_error_is_refused_with_position() -> None:
    with pytest.raises(SourceError, match="syntax error at line 2"):
        FunctionRuntime("function handler(e) {\n  return e.request +;\n}", V1)


@pytest.mark.rule("code-size")
def test_size_limit() -> None:
    code = "function handler(e) { return e.request }\n" + "//" + "x" * 10_240
    with pytest.raises(SourceError, match="is 10,283 bytes; CloudFront's limit is 10,240 bytes"):
        FunctionRuntime(code, V1)


@pytest.mark.rule("strict-mode")
def test_strict_mode() -> None:
    assert run("function handler(e) { undeclared = 1; return e.request }").error == (
        "FunctionExecutionError: ReferenceError: undeclared is not defined"
    )


@pytest.mark.rule("restricted-features")
@pytest.mark.parametrize("runtime", [V1, V2])
def test_eval_function_timers_and_process_are_missing(runtime: str) -> None:
    logs = logs_of(
        "try { eval('1') } catch (x) { console.log(x.name) }"
        "try { new Function('return 1') } catch (x) { console.log(x.name) }"
        "console.log([typeof setTimeout, typeof setInterval, typeof setImmediate, "
        "typeof clearTimeout, typeof queueMicrotask, typeof process].join())",
        runtime,
    )
    assert logs == (
        "EvalError",
        "EvalError",
        "undefined,undefined,undefined,undefined,undefined,undefined",
    )


@pytest.mark.rule("modules")
def test_require_knows_only_crypto_and_querystring() -> None:
    logs = logs_of(
        "console.log(typeof require('crypto').createHash + typeof require('querystring').parse);"
        "try { require('fs') } catch (x) { console.log(x.message) }"
    )
    assert logs == ("functionfunction", "Cannot find module 'fs'")


@pytest.mark.rule("modules")
def test_globals_of_2_0_only() -> None:
    probe = "console.log([typeof Buffer, typeof atob, typeof btoa, typeof TextEncoder, typeof TextDecoder].join())"
    assert logs_of(probe, V1) == ("undefined,undefined,undefined,undefined,undefined",)
    assert logs_of(probe, V2) == ("function,function,function,function,function",)
    assert logs_of(
        "console.log(Buffer.from('héllo').toString('base64') + ' ' + btoa('hi') + ' ' + atob('aGk=') + ' ' "
        "+ new TextDecoder().decode(new TextEncoder().encode('ü')) + ' ' + Buffer.from('6869', 'hex').toString())",
        V2,
    ) == ("aMOpbGxv aGk= hi ü hi",)


def test_byte_string_methods_of_1_0_only() -> None:
    assert logs_of(
        "console.log('é'.toUTF8().length + ' ' + 'é'.toUTF8().fromUTF8() + ' ' + String.bytesFrom('6869', 'hex'))",
        V1,
    ) == ("2 é hi",)
    assert logs_of("console.log(typeof ''.toUTF8)", V2) == ("undefined",)


def test_digest_without_encoding() -> None:
    body = "var d = require('crypto').createHash('sha256').update('x').digest(); console.log(typeof d + ' ' + d.length)"
    assert logs_of(body, V1) == ("string 32",)
    assert logs_of(body, V2) == ("object 32",)


@pytest.mark.parametrize("style", ["import", "require"])
def test_module_styles_of_2_0(style: str) -> None:
    header = (
        "import crypto from 'crypto';" if style == "import" else "var crypto = require('crypto');"
    )
    result = run(
        header
        + "async function handler(e) { await null; console.log(crypto.createHash('md5').update('a').digest('hex')); return e.request; }",
        V2,
    )
    assert result.ok and result.logs == ("0cc175b9c0f1b6a831c399e269772661",)


@pytest.mark.rule("console-log")
def test_console_log_takes_one_argument_and_truncates_at_10_kb() -> None:
    assert logs_of("console.log('a', 'b')") == ("a",)
    logs = logs_of("for (var i = 0; i < 30; i++) console.log(new Array(1001).join('x'))")
    assert sum(len(line) for line in logs) == 10_240
    assert len(logs) == 11


@pytest.mark.rule("date-frozen")
def test_date_is_frozen_at_the_invocation_time() -> None:
    logs = logs_of(
        "var a = Date.now(); for (var i = 0; i < 100000; i++) {} console.log(a === Date.now() && new Date().getTime() === a ? new Date().toISOString() : 'moved')"
    )
    assert logs == ("2026-12-01T02:00:00.000Z",)


def test_runaway_loops_are_stopped_even_when_caught_or_async() -> None:
    for code, runtime in [
        ("function handler(e) { while (true) {} }", V1),
        ("function handler(e) { for (;;) { try { while (true) {} } catch (x) {} } }", V1),
        ("async function handler(e) { await null; do {} while (true); }", V2),
    ]:
        result = run(code, runtime, time_limit_ms=20)
        assert (
            result.error
            == "FunctionExecutionError: RangeError: The function exceeded its execution time limit"
        )


def test_no_state_leaks_between_invocations() -> None:
    code = (
        "var count = 0;"
        "function handler(e) { count++; globalThis.seen = (globalThis.seen || 0) + 1;"
        "  Array.prototype.extra = 1; e.request.uri = '/' + count + '/' + globalThis.seen + '/' + typeof [].extra;"
        "  return e.request; }"
    )
    with FunctionRuntime(code, V1) as engine:
        results = engine.invoke_many([(EVENT, 1000)] * 3)
    assert [r.output["uri"] for r in results] == ["/1/1/number"] * 3


def test_additions_to_console_and_modules_do_not_outlive_an_invocation() -> None:
    code = (
        "var crypto = require('crypto');"
        "function handler(e) { e.request.uri = '/' + typeof console.warn + '/' + typeof crypto.extra;"
        "  console.warn = function () {}; crypto.extra = 1; return e.request; }"
    )
    with FunctionRuntime(code, V1) as engine:
        results = engine.invoke_many([(EVENT, 1000)] * 2)
    assert [r.output["uri"] for r in results] == ["/undefined/undefined"] * 2


@pytest.mark.rule("result-shape")
@pytest.mark.rule("header-names")
@pytest.mark.rule("disallowed-headers")
@pytest.mark.rule("read-only-headers")
@pytest.mark.rule("status-code")
@pytest.mark.rule("body")
@pytest.mark.rule("query-string")
@pytest.mark.parametrize(
    ("returned", "message"),
    [
        ("{statusCode: 700}", "statusCode must be an integer 100-599"),
        (
            "{statusCode: 200, headers: {'X-Up': {value: '1'}}}",
            "header name 'X-Up' must be lower case",
        ),
        (
            "{statusCode: 200, headers: {'connection': {value: 'close'}}}",
            "may not add or change 'connection'",
        ),
        (
            "{statusCode: 200, headers: {'x-amz-cf-pop': {value: 'x'}}}",
            "may not add or change 'x-amz-cf-pop'",
        ),
        (
            "{statusCode: 200, headers: {'a': 'b'}}",
            "response.headers.a must be an object with a string value",
        ),
        (
            "{statusCode: 200, body: {encoding: 'gzip', data: ''}}",
            'encoding must be "text" or "base64"',
        ),
        (
            "(function () { e.request.uri = 'x'; return e.request })()",
            'request.uri must be a string starting with "/"',
        ),
        (
            "(function () { e.request.headers.host = {value: 'evil'}; return e.request })()",
            "'host' is read-only",
        ),
        (
            "(function () { e.request.method = 'POST'; return e.request })()",
            "request.method is read-only",
        ),
        (
            "{statusCode: 200, headers: {'x y': {value: '1'}}}",
            "'x y' is not a valid HTTP header name",
        ),
        (
            "{statusCode: 200, body: {encoding: 'base64', data: 'not base64!'}}",
            "response.body.data is not valid base64",
        ),
        (
            "{statusCode: 200, cookies: {a: {value: 'b', multiValue: [{value: 'b', attributes: 1}]}}}",
            "response.cookies.a.attributes must be a string",
        ),
        (
            "(function () { e.request.querystring = {q: {value: 'a b'}}; return e.request })()",
            "may not hold spaces, control characters or '#'",
        ),
        (
            "(function () { e.request.querystring = 'a=1#frag'; return e.request })()",
            "may not hold spaces, control characters or '#'",
        ),
        (
            "(function () { e.request.uri = '/' + 'x'.repeat(8191); return e.request })()",
            "the URI with its query string is 8,200 characters; it must be under 8,192",
        ),
    ],
)
def test_invalid_results_are_validation_errors(returned: str, message: str) -> None:
    """A result the edge refuses "fails CloudFront validation" and the viewer gets 502
    (edge-functions-restrictions.html); a throw is the 503 FunctionExecutionError."""
    result = run(f"function handler(e) {{ return {returned}; }}")
    assert result.output is None
    assert result.error is not None and result.error.startswith("FunctionValidationError: ")
    assert message in result.error
    assert result.error_status == 502


@pytest.mark.rule("result-shape")
@pytest.mark.parametrize(
    ("body", "error"),
    [
        ("throw new Error('boom');", "FunctionExecutionError: Error: boom"),
        ("return undefined;", "FunctionExecutionError: The function returned undefined"),
    ],
)
def test_a_throw_is_a_503_execution_error(body: str, error: str) -> None:
    result = run(f"function handler(e) {{ {body} }}")
    assert result.error == error
    assert result.error_status == 503


@pytest.mark.rule("console-log")
@pytest.mark.parametrize("runtime", [V1, V2])
@pytest.mark.parametrize("method", ["warn", "error", "info", "debug"])
def test_console_has_only_log(runtime: str, method: str) -> None:
    """Both runtimes document console as supporting only log()."""
    code = (
        f"function handler(e) {{ console.log('one'); console.{method}('two'); return e.request; }}"
    )
    with FunctionRuntime(code, runtime) as engine:
        result = engine.invoke(EVENT, 1000)
    assert result.error is not None and result.error.startswith("FunctionExecutionError: TypeError")
    assert result.logs == ("one",)


@pytest.mark.parametrize(
    ("event_type", "returned"),
    [
        # The event-structure page's own example response replaces the body and changes
        # content-length; it tells functions to align content-encoding too.
        (
            "viewer-response",
            "(function () { var r = e.response; r.headers['content-length'] = {value: '86'};"
            " r.headers['content-encoding'] = {value: 'identity'}; r.body = {encoding: 'text',"
            " data: 'x'}; return r })()",
        ),
        # Removing a read-only header is not among what the documentation refuses.
        ("viewer-request", "(function () { delete e.request.headers.host; return e.request })()"),
        # A changed query string in plain percent-encoded form, and a long but legal URI.
        (
            "viewer-request",
            "(function () { e.request.querystring = {q: {value: 'a%20b'}}; return e.request })()",
        ),
        (
            "viewer-request",
            "(function () { e.request.uri = '/' + 'x'.repeat(8000); return e.request })()",
        ),
        (
            "viewer-response",
            "{statusCode: 200, body: {encoding: 'base64', data: 'aGVsbG8='}}",
        ),
    ],
)
def test_results_the_documentation_allows(event_type: str, returned: str) -> None:
    event = {
        **EVENT,
        "context": {"eventType": event_type},
        "request": {**EVENT["request"], "headers": {"host": {"value": "example.com"}}},
        "response": {
            "statusCode": 200,
            "headers": {"content-length": {"value": "701"}, "content-encoding": {"value": "gzip"}},
        },
    }
    with FunctionRuntime(f"function handler(e) {{ return {returned}; }}", V1) as engine:
        result = engine.invoke(event, 1000)
    assert result.ok, result.error


def test_valid_generated_response() -> None:
    result = run(
        "function handler(e) { return {statusCode: 302, statusDescription: 'Found', "
        "headers: {location: {value: '/x'}}, cookies: {a: {value: 'b', attributes: 'Path=/'}}}; }"
    )
    assert result.ok and result.output["statusCode"] == 302


@pytest.mark.rule("kvs-handle")
@pytest.mark.rule("kvs-missing-key")
@pytest.mark.rule("kvs-meta")
def test_kvs_get_exists_meta() -> None:
    store = kvs_from_mapping({"mode": "on", "conf": {"ips": ["1.2.3.4"]}})
    result = run(
        "import cf from 'cloudfront';"
        "async function handler(e) { const kvs = cf.kvs();"
        "  const conf = await kvs.get('conf', {format: 'json'});"
        "  const bytes = await kvs.get('mode', {format: 'bytes'});"
        "  const meta = await kvs.meta();"
        "  let missing = 'resolved'; try { await kvs.get('nope'); } catch (x) { missing = 'rejected'; }"
        "  console.log([await kvs.get('mode'), conf.ips[0], bytes.length, await kvs.exists('mode'),"
        "    await kvs.exists('nope'), meta.keyCount, missing].join());"
        "  return e.request; }",
        V2,
        kvs=store,
    )
    assert result.ok, result.error
    assert result.logs == ("on,1.2.3.4,2,true,false,2,rejected",)


@pytest.mark.rule("kvs-limits")
def test_kvs_limits() -> None:
    """The store's limits, with the KeyValueStore API's error codes."""
    with pytest.raises(KvsError, match=(
        r"^kvs: ValidationException: the value of 'k' is 1,025 bytes; a value holds at most 1,024$"
    )):  # fmt: skip
        kvs_from_mapping({"k2": "é" * 512, "k": "x" * 1025})  # é: 2 bytes, 1,024 in all
    with pytest.raises(
        KvsError, match=r"ValidationException: the key 'kkk.*' is 513 bytes; a key holds 1-512"
    ):
        kvs_from_mapping({"k" * 513: "v"})
    assert kvs_from_mapping({"k" * 512: "v" * 1024}).items  # at the limits: accepted
    # 5 MB in all, keys and values counted in UTF-8.
    full = {f"{i:0512}": "v" * 1024 for i in range(3413)}  # 3413 * 1536 = 5,242,368 bytes
    assert len(kvs_from_mapping(full).items) == 3413
    with pytest.raises(KvsError, match=(
        r"ServiceQuotaExceededException: the store would hold 5,243,904 bytes; a store holds at "
        r"most 5,242,880"
    )):  # fmt: skip
        kvs_from_mapping(full | {"x" * 512: "v" * 1024})


def test_origin_helpers_are_recorded() -> None:
    result = run(
        "import cf from 'cloudfront'; function handler(e) { cf.updateRequestOrigin({domainName: 'b.example.com'}); return e.request; }",
        V2,
    )
    assert result.origin_calls == (
        OriginCall("updateRequestOrigin", ({"domainName": "b.example.com"},)),
    )
    with pytest.raises(Exception, match="Cannot find module 'cloudfront'"):
        raise Exception(
            run(
                "var cf = require('cloudfront'); function handler(e) { return e.request }", V1
            ).error
        )


def test_event_building_splits_like_the_edge() -> None:
    event = event_from_options(
        "2001:db8::1", "post", "/a?x=1&x=2&y",
        [("Accept", "a"), ("X-Many", "1"), ("x-many", "2"), ("Cookie", "s=1; t=2")], [("u", "3")],
    )  # fmt: skip
    request = event["request"]
    assert request["method"] == "POST" and request["uri"] == "/a"
    assert request["querystring"]["x"] == {
        "value": "1",
        "multiValue": [{"value": "1"}, {"value": "2"}],
    }
    assert request["querystring"]["y"] == {"value": ""}
    assert request["headers"]["x-many"]["multiValue"] == [{"value": "1"}, {"value": "2"}]
    assert "cookie" not in request["headers"]
    assert request["cookies"] == {"u": {"value": "3"}, "s": {"value": "1"}, "t": {"value": "2"}}


def test_event_files_accept_multivalue_in_both_spellings() -> None:
    raw = json.loads(
        '{"version": "1.0", "context": {"eventType": "viewer-request"}, "viewer": {"ip": "1.2.3.4"},'
        ' "request": {"method": "GET", "uri": "/", "querystring": {"a": {"value": "1", "multivalue": [{"value": "1"}]}},'
        ' "headers": {"Host": {"value": "x"}}, "cookies": {}}}'
    )
    event = normalise_event(raw)
    assert event["request"]["querystring"]["a"]["multiValue"] == [{"value": "1"}]
    assert "host" in event["request"]["headers"]


@pytest.mark.parametrize("sample", ["cffunc.toml", "respond.toml", "kvs.toml"])
def test_rendered_functions_add_nothing_so_replays_may_skip_the_sweep(sample: str) -> None:
    """`trusted=True` (replay) skips the sweep of globals and prototypes; that is right
    only because cffunc's own function adds nothing there, which this checks."""
    from cffunc.config.load import load_config
    from cffunc.function.decide import ViewerRequest
    from cffunc.function.render import render
    from cffunc.function.rules import compile_rules
    from cffunc.function.store_layout import enabled_items
    from cffunc.runtime.events import viewer_request_event
    from cffunc.runtime.local_store import KeyValueData
    from tests.helpers import ENV, SAMPLES

    rules = compile_rules(load_config(SAMPLES / sample), ENV)
    store = KeyValueData(enabled_items()) if rules.store else None
    watched = (
        "[globalThis, Object.prototype, Array.prototype, String.prototype, Function.prototype, "
        "Number.prototype, Boolean.prototype, RegExp.prototype, Date.prototype, "
        "Promise.prototype, Object, Array, String, JSON, Math]"
        ".map(function (t) { return Object.getOwnPropertyNames(t).join(','); }).join(';')"
    )
    with FunctionRuntime(render(rules).code, rules.runtime, kvs=store, trusted=True) as engine:
        before = engine._context.eval(watched)
        requests = [
            ViewerRequest(ip=ip, method=method, uri=uri, headers={"accept": accept})
            for ip in ("203.0.113.9", "192.0.2.1", "2001:db8::1", "bad")
            for method in ("GET", "POST")
            for uri in ("/", "/health", "/__cffunc/bypass", "/maintenance/../x")
            for accept in ("text/html", "application/json")
        ]
        results = engine.invoke_many((viewer_request_event(r), 1_796_094_000_000) for r in requests)
        assert all(r.ok for r in results)
        assert engine._context.eval(watched) == before


@pytest.mark.rule("restricted-features")
@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("var F = (function () {}).constructor; F('return this')();", "Function is not allowed"),
        ("var F = (async function () {}).constructor; F('return 1');", "Function is not allowed"),
        ("var F = (() => 1).constructor; F('return 1');", "Function is not allowed"),
        ("globalThis.eval('1');", "eval is not allowed"),
        ("new globalThis.Function('return 1');", "Function is not allowed"),
        ("globalThis.WebAssembly.Memory;", "Cannot read properties of undefined"),
        ("globalThis.setTimeout(function () {}, 0);", "is not a function"),
    ],
)
def test_reflection_reaches_nothing_the_edge_lacks(code: str, words: str) -> None:
    """The sandbox is no looser than the edge: these throw there, and here."""
    function = f"function handler(event) {{ {code} return event.request; }}"
    with FunctionRuntime(function, V2) as runtime:
        result = runtime.invoke(EVENT, 1_000)
    assert not result.ok and words in (result.error or ""), result


def test_the_global_date_is_the_frozen_one_and_built_ins_are_swept() -> None:
    code = (
        "function handler(event) {\n"
        "  var before = Reflect.cffuncLeak;\n"
        "  Reflect.cffuncLeak = 1; Map.prototype.cffuncLeak = 1;\n"
        "  event.request.headers.t = {value: String(globalThis.Date.now())};\n"
        "  event.request.headers.b = {value: String(before)};\n"
        "  return event.request;\n"
        "}"
    )
    with FunctionRuntime(code, V2) as runtime:
        first, second = runtime.invoke_many([(EVENT, 1_234), (EVENT, 5_678)])
    assert first.output["headers"]["t"] == {"value": "1234"}
    assert second.output["headers"]["t"] == {"value": "5678"}
    assert second.output["headers"]["b"] == {"value": "undefined"}  # swept after the first


@pytest.mark.parametrize(
    "attack",
    [
        "JSON.stringify=function(){return '{}'}",
        "JSON.parse=function(){return []}",
        "Array.prototype.push=function(){return 0}",
        "Promise.prototype.then=function(f){return f(null)}",
        "Promise.resolve=function(){return {then:function(){}}}",
    ],
)
@pytest.mark.parametrize("kind", ["function", "async function"])
def test_code_that_replaces_what_the_runner_uses_gets_its_results_or_one_line(
    attack: str, kind: str
) -> None:
    """`test --code` runs code nobody here wrote: replacing a built-in the runner collects
    results with must not turn into a traceback (it was a ValueError from zip)."""
    from cffunc.runtime.engine import RuntimeFailure

    code = f"{kind} handler(e){{return e.request}}\ntry{{{attack}}}catch(x){{}}\n"
    event = event_from_options("192.0.2.1", "GET", "/x", [], [], "viewer-request")
    try:
        with FunctionRuntime(code, "cloudfront-js-2.0") as runtime:
            results = runtime.invoke_many([(event, 0), (event, 0), (event, 0)])
    except RuntimeFailure as failure:
        assert len(str(failure).splitlines()) == 1
        return
    assert [r.output["uri"] for r in results] == ["/x"] * 3


def test_a_runtime_made_under_a_running_event_loop_answers_from_any_thread() -> None:
    """Made where an asyncio loop runs (a Playwright browser test, an async caller),
    MiniRacer put every call on that loop: the preview's request threads then waited on a
    loop the main thread held, and the suite hung in CI. A call on the loop itself raised."""
    import asyncio
    import threading

    code = "function handler(e){return e.request}"
    event = event_from_options("192.0.2.1", "GET", "/x", [], [], "viewer-request")
    answers: list[Any] = []

    async def under_a_loop() -> None:
        with FunctionRuntime(code, "cloudfront-js-1.0") as runtime:
            answers.append(runtime.invoke(event, 0))  # on the loop's own thread
            other = threading.Thread(target=lambda: answers.append(runtime.invoke(event, 0)))
            other.start()
            other.join(30)  # the loop is held, as a blocking test holds Playwright's

    worker = threading.Thread(target=lambda: asyncio.run(under_a_loop()), daemon=True)
    worker.start()
    worker.join(60)
    assert not worker.is_alive()
    assert [a.output["uri"] for a in answers] == ["/x", "/x"]
