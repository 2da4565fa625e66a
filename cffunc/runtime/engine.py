"""Run CloudFront Function code in one reused V8 context, many events per call.

One :class:`FunctionRuntime` holds one mini-racer context with the CloudFront globals
(``shims/``) and the function installed as a factory: every invocation builds a fresh
instance of the code, so top-level state never leaks between events, while the cost of
crossing from Python into V8 (about 0.3 ms a call) is paid once per batch.

Before anything runs, the code is checked as CloudFront checks it: the 10,240-byte limit,
the syntax, and the runtime's feature set. Afterwards each result is validated as the edge
validates it: a throw is the 503 FunctionExecutionError a viewer gets, a result the edge
refuses the 502 FunctionValidationError.
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any
from urllib.parse import quote

from py_mini_racer import (
    JSEvalException,
    JSFunction,
    JSPromise,
    JSTimeoutException,
    MiniRacer,
    init_mini_racer,
)

from cffunc.config.load import Runtime
from cffunc.errors import CffuncError
from cffunc.function.features import check_features
from cffunc.function.source import SourceError, guard_loops, imports_as_requires
from cffunc.runtime.edge import CONNECTION_GROUP_DOMAIN, EdgeContext
from cffunc.runtime.local_store import KeyValueData
from cffunc.runtime.origins import OriginCall, OriginError, check_calls
from cffunc.runtime.validate import InvalidResult, validate
from cffunc.words import count

SHIMS = ("crypto.js", "modules.js", "cloudfront.js", "prelude.js", "replay.js")
SIZE_LIMIT = 10_240
# The parameters every function instance gets, shadowing globals CloudFront lacks.
_SHADOWED = (
    "__cffuncTick, require, console, Date, eval, Function, Buffer, atob, btoa, TextEncoder, "
    "TextDecoder, setTimeout, clearTimeout, setInterval, clearInterval, setImmediate, "
    "clearImmediate, queueMicrotask"
)
INVOCATION_TIME_LIMIT_MS = 50
"""Far above the edge's budget (about 1 ms of CPU): catches runaway code, not slow code."""
MEMORY_LIMIT_BYTES = 512 * 1024 * 1024
"""A hard cap on the V8 heap of the whole context (the edge allows 2 MB per function;
V8's own baseline is larger, so this stops runaway allocation rather than measuring)."""
EXECUTION_ERROR = "FunctionExecutionError"
VALIDATION_ERROR = "FunctionValidationError"
"""A result that "fails CloudFront validation": the viewer gets 502 Bad Gateway
(DeveloperGuide/edge-functions-restrictions.html, "HTTP headers"), where a throw gives 503."""
CHUNK = 2000
"""Events per call into V8."""
ERROR_STATUS = {EXECUTION_ERROR: 503, VALIDATION_ERROR: 502}
LOG_DATA_BYTES = 800
"""cf.logCustomData(): "Each field supports up to 800 bytes of data. CloudFront automatically
URL-encodes the data before writing it to the log field. CloudFront truncates any data above
800 bytes after URL-encoding." (general-helper-methods.html#log-custom-data-method)"""
DEFAULT_EDGE = EdgeContext()
Item = tuple[Mapping[str, Any], int] | tuple[Mapping[str, Any], int, EdgeContext]
"""An event, the frozen time of its invocation in ms, and optionally its edge context
(default: :data:`DEFAULT_EDGE`)."""


class RuntimeFailure(CffuncError):
    """The local runtime itself failed (not the function: its errors are results)."""


@dataclass(frozen=True)
class Invocation:
    output: Any
    """What the handler returned, as JSON data (None when it failed)."""
    error: str | None
    logs: tuple[str, ...] = field(default_factory=tuple)
    origin_calls: tuple[OriginCall, ...] = field(default_factory=tuple)
    """Calls of the ``cloudfront`` module's origin helpers, in order."""
    log_data: str | None = None
    """What the last ``cf.logCustomData()`` call gave, as the access log's
    ``viewer-request-log-data`` or ``viewer-response-log-data`` field holds it."""
    ticks: int = 0
    """Loop iterations the watchdog counted."""
    kvs_reads: int = 0
    """KeyValueStore reads (get and exists) the invocation made."""

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def error_status(self) -> int | None:
        """The status a viewer gets when the invocation failed: 503 for a throw, 502 for a
        result the edge refuses; None when it did not fail."""
        if self.error is None:
            return None
        return ERROR_STATUS[self.error.split(":", 1)[0]]


def log_field(data: str | None) -> str | None:
    """What the access log field holds of a ``cf.logCustomData()`` value: URL-encoded (as
    JavaScript's encodeURIComponent does it), then cut at 800 bytes."""
    if data is None:
        return None
    return quote(data, safe="-_.!~*'()")[:LOG_DATA_BYTES]


def _new_context() -> MiniRacer:
    """A V8 context with an event loop of its own.

    MiniRacer runs every call on the asyncio loop running where it is made, if any. Made
    under a running loop (an async caller; a browser test, whose Playwright loop runs in
    the main thread), a call from another thread (the preview's request threads) waits for
    that loop, which a blocking call on it holds: a deadlock, or an assertion for a call on
    the loop itself. Made in a thread of its own, the context starts its own loop.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return MiniRacer()
    made: list[MiniRacer] = []
    maker = threading.Thread(target=lambda: made.append(MiniRacer()), name="cffunc-v8")
    maker.start()
    maker.join()
    return made[0]


@cache
def start_v8() -> None:
    """V8 with its background threads (mini-racer's default is --single-threaded): the
    JIT compiles and the collector marks on another core, which makes a long replay
    about a sixth faster. JavaScript semantics do not change; V8 starts once a process."""
    flags = tuple(os.environ.get("CFFUNC_V8_FLAGS", "").split())
    init_mini_racer(flags=flags, ignore_duplicate_init=True)


@cache
def _shim(name: str) -> str:
    return resources.files("cffunc.runtime").joinpath("shims", name).read_text(encoding="utf-8")


def check_size(code: str) -> None:
    size = len(code.encode("utf-8"))
    if size > SIZE_LIMIT:
        raise SourceError(
            f"the function code is {size:,} bytes; CloudFront's limit is {SIZE_LIMIT:,} bytes"
        )


BROKEN_RUNNER = (
    "the function's results did not come back whole: it replaced built-ins (Array.prototype"
    ".push, Promise.prototype.then...) that the local runtime uses to collect them"
)


def _first_line(error: Exception) -> str:
    """V8's message without the source excerpt and stack it appends on later lines."""
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__


class FunctionRuntime:
    """A CloudFront Function loaded into V8, ready to invoke."""

    def __init__(
        self,
        code: str,
        runtime: Runtime,
        kvs: KeyValueData | None = None,
        time_limit_ms: int = INVOCATION_TIME_LIMIT_MS,
        trusted: bool = False,
    ) -> None:
        """``trusted``: the code is cffunc's own render, which never adds globals or
        prototype properties (tests/test_runtime.py checks), so invocations skip the sweep
        that takes such additions away again."""
        check_size(code)
        check_features(code, runtime)
        self.code = code
        self.kvs = kvs
        self.trusted = trusted
        self.runtime = runtime
        self.time_limit_ms = time_limit_ms
        self._functions: dict[str, JSFunction] = {}
        self._buffer: memoryview | None = None
        script = guard_loops(imports_as_requires(code))
        start_v8()
        self._context = _new_context()
        self._context.set_hard_memory_limit(MEMORY_LIMIT_BYTES)
        for name in SHIMS:
            self._context.eval(_shim(name))
        store = (kvs or KeyValueData({})).as_js()
        self._context.eval(f"__cffuncSetup({json.dumps(runtime)}, {json.dumps(store)})")
        self._context.eval(f"__cffuncEdge.defaults({json.dumps(DEFAULT_EDGE.as_js())})")
        if trusted:
            self._context.eval("__cffuncTrusted()")
        # The outer function is sloppy so that it may name `eval` as a parameter; the
        # inner one is strict, as every CloudFront function is.
        factory = (
            f"__cffuncInstall(function ({_SHADOWED}) {{ return (function () {{ 'use strict';\n"
            f"{script}\n;return typeof handler === 'function' ? handler : undefined; }})(); }});"
        )
        try:
            self._context.eval(factory)
        except JSEvalException as error:
            raise SourceError(f"the function does not load: {error}") from None

    def invoke(
        self, event: Mapping[str, Any], now_ms: int, edge: EdgeContext = DEFAULT_EDGE
    ) -> Invocation:
        return self.invoke_many([(event, now_ms, edge)])[0]

    def invoke_many(self, items: Iterable[Item]) -> list[Invocation]:
        """Invoke once per (event, frozen time in ms[, edge context]), in order, in one
        call into V8."""
        triples = [(item[0], item[1], item[2] if len(item) > 2 else DEFAULT_EDGE) for item in items]
        if not triples:
            return []
        out: list[Invocation] = []
        # Chunks keep the heap (events in, results out) small whatever the batch size.
        for start in range(0, len(triples), CHUNK):
            chunk = triples[start : start + CHUNK]
            raw = self._run(
                [{"event": event, "now": now, "edge": edge.as_js()} for event, now, edge in chunk]
            )
            if not isinstance(raw, list) or len(raw) != len(chunk):
                raise RuntimeFailure(BROKEN_RUNNER)
            out.extend(self._checked(e, r) for (e, _, _), r in zip(chunk, raw, strict=True))
        return out

    def _run(self, batch: list[dict[str, Any]]) -> list[dict[str, Any]]:
        # The batch goes in as one JSON string argument, for V8's JSON.parse: faster than
        # V8's parser reading the same data as a literal in source.
        timeout = 5 + len(batch) * self.time_limit_ms / 1000
        results: list[dict[str, Any]] = self._call_json(
            "__cffuncRunText",
            (json.dumps(batch), self.time_limit_ms),
            timeout,
            f"the batch of {count(len(batch), 'event')}",
        )
        return results

    def _eval_json(self, code: str, timeout: float, what: str) -> Any:
        """Evaluate ``code``, await it if it is a promise, and parse the JSON text it gives."""
        return self._json_of(lambda: self._context.eval(code, timeout_sec=timeout), timeout, what)

    def _call_json(self, name: str, args: tuple[Any, ...], timeout: float, what: str) -> Any:
        """Call the global function ``name``: strings go in as they are, without being
        written into source for V8 to parse (and to keep in its compilation cache)."""
        function = self._function(name)
        return self._json_of(lambda: function(*args, timeout_sec=timeout), timeout, what)

    def _call(self, name: str, args: tuple[Any, ...], timeout: float) -> None:
        """Call the global function ``name`` for what it does (as :meth:`_call_json`)."""
        try:
            self._function(name)(*args, timeout_sec=timeout)
        except (JSEvalException, JSTimeoutException) as error:
            raise RuntimeFailure(f"the local runtime failed: {_first_line(error)}") from None

    def _function(self, name: str) -> JSFunction:
        function = self._functions.get(name)
        if function is None:
            found = self._context.eval(name)
            if not isinstance(found, JSFunction):
                raise RuntimeFailure(f"the local runtime has no function {name}")
            function = self._functions[name] = found
        return function

    def _json_of(self, run: Callable[[], Any], timeout: float, what: str) -> Any:
        try:
            value = run()
            if isinstance(value, JSPromise):
                value = value.get(timeout=timeout)
        except JSTimeoutException:
            raise RuntimeFailure(f"{what} ran over {timeout:.0f} s") from None
        except JSEvalException as error:
            if self._context.was_hard_memory_limit_reached():
                raise RuntimeFailure(
                    f"the function used more than {MEMORY_LIMIT_BYTES // 2**20} MB of memory"
                ) from None
            raise RuntimeFailure(f"the local runtime failed: {_first_line(error)}") from None
        if not isinstance(value, str):
            raise RuntimeFailure(BROKEN_RUNNER)
        return json.loads(value)

    def replay_start(
        self,
        keep: int,
        budget: int,
        scopes: str | None = None,
        attribution: dict[str, Any] | None = None,
        cells: dict[str, Any] | None = None,
        reads: dict[str, Any] | None = None,
        reuse: bool = False,
        classic: str = "",
    ) -> None:
        """Start a replay: empty counts, each map keeping at most ``keep`` keys, and at
        most ``budget`` data lines read (--limit); ``scopes``: the JSON table that names
        the scope of each maintenance line (cffunc.replay.run.scope_table);
        ``attribution``: what names the rule of passing lines in V8
        (cffunc.replay.run.Attribution.for_v8); ``cells``: the allowlist's cells and the
        client networks' grouping (cffunc.replay.run.cell_table); ``reads``: what the function
        reads of an event (cffunc.function.reads.EventReads.as_js), None if not known;
        ``reuse``: reuse a decision for lines that agree on it; ``classic``: the
        classic 33 standard-log field names, space-separated."""
        self._context.eval(f"__cffuncReplayClassic({json.dumps(classic)})")
        self._context.eval(
            f"__cffuncReplayStart({int(keep)}, {int(budget)}, {json.dumps(scopes)}, "
            f"{json.dumps(attribution)}, {json.dumps(cells)}, {json.dumps(reads)}, "
            f"{json.dumps(reuse)}, {json.dumps(CONNECTION_GROUP_DOMAIN)})"
        )

    def replay_seek(self, fields: str | None, line: int, seen: int, budget: int) -> None:
        """Place the next block of a file: its #Fields line (None before any), the number
        of the line before it, the data lines of the file before it (for --sample), and
        the data lines it may read (--limit)."""
        self._call("__cffuncReplaySeek", (fields, int(line), int(seen), int(budget)), 5)

    def replay_tally(self, spilled: list[str]) -> dict[str, Any]:
        """The replay's counts: per class, the count and [key, count] pairs of paths and
        client networks; the lists named in ``spilled`` handed over instead."""
        tally: dict[str, Any] = self._eval_json(
            f"__cffuncReplayTally({json.dumps(spilled)})", 60, "the counts"
        )
        return tally

    def replay_merge(
        self, text: str, numbers: bytes, best: list[tuple[str, int]], kept: int
    ) -> list[list[Any]]:
        """One partition of a handed-over list added up (``text``: its text keys' files,
        a JSON array of pairs a line; ``numbers``: its number keys' files, [key, count]
        doubles; see shims/replay.js) with ``best``, the ``kept`` most frequent keys of
        the partitions before: the ``kept`` most frequent of both, ties in key order."""
        self._write(numbers)
        pairs: list[list[Any]] = self._call_json(
            "__cffuncReplayMerge", (text, len(numbers), json.dumps(best), kept), 60,
            "adding up the handed-over counts",
        )  # fmt: skip
        return pairs

    def replay_handed(self, index: int) -> memoryview:
        """The number keys V8 handed over as ``index`` (shims/replay.js, handOver): a view
        of V8's memory, to release once read."""
        return self._eval_buffer(f"__cffuncReplayHanded({int(index)})")

    def replay_block(
        self, data: bytes, now_ms: int, want_passes: bool, sample: int, explain: int = 0
    ) -> dict[str, Any]:
        """Run whole lines of the current file (UTF-8, each ending in a newline but maybe
        the file's last) through the function in V8 and return their counts, lines named
        by their number in the file; ``explain``: how many of them to report with their
        event and answer. See shims/replay.js."""
        self._write(data)
        lines = len(data) // 16 + 1  # at most, for the timeout (a runaway guard)
        timeout = 5 + lines * self.time_limit_ms / 1000
        summary: dict[str, Any] = self._call_json(
            "__cffuncReplay",
            (len(data), now_ms, self.time_limit_ms, want_passes, sample, explain),
            timeout,
            f"replaying {len(data):,} bytes of log",
        )
        return summary

    def _write(self, data: bytes) -> None:
        """Put ``data`` into the replay buffer of this context: the memory of a V8
        ArrayBuffer, which mini-racer (0.14) hands to Python as a memoryview of that same
        memory, so a block crosses as one copy, without becoming a string. Checked when
        the buffer is made: should a mini-racer copy instead, replay stops with a message
        rather than reading zeros."""
        if self._buffer is None or len(self._buffer) < len(data):
            size = max(len(data), 1 << 21) * 5 // 4
            self.release_buffer()
            buffer = self._eval_buffer(f"__cffuncReplayBuffer({size})")
            probe = bytes(range(256)) * 4
            buffer[: len(probe)] = probe
            expected = 0
            for byte in probe:
                expected = (expected * 31 + byte) % 1_000_000_007
            if self._context.eval(f"__cffuncReplayProbe({len(probe)})") != expected:
                raise RuntimeFailure(
                    "this mini-racer does not share ArrayBuffer memory with Python; "
                    "install mini-racer 0.14"
                )
            self._buffer = buffer
        self._buffer[: len(data)] = data

    def _eval_buffer(self, code: str) -> memoryview:
        value = self._context.eval(code)
        if not isinstance(value, memoryview):
            raise RuntimeFailure(f"the local runtime returned {type(value).__name__}, not a buffer")
        return value

    def release_buffer(self) -> None:
        """Let go of the replay buffer (a memoryview holding the context open)."""
        if self._buffer is not None:
            self._buffer.release()
            self._buffer = None

    def _checked(self, event: Mapping[str, Any], raw: Mapping[str, Any]) -> Invocation:
        error = f"{EXECUTION_ERROR}: {raw['error']}" if raw["error"] is not None else None
        output = raw["output"]
        calls = tuple(OriginCall(c["call"], tuple(c["args"])) for c in raw["origin"])
        if error is None:
            context = event.get("context")
            event_type = context.get("eventType") if isinstance(context, dict) else None
            try:
                check_calls(calls, event)
                validate(str(event_type or "viewer-request"), event, output)
            except OriginError as refused:
                error, output = f"{VALIDATION_ERROR}: invalid origin: {refused}", None
            except InvalidResult as invalid:
                error, output = f"{VALIDATION_ERROR}: invalid result: {invalid}", None
        return Invocation(
            output=output,
            error=error,
            logs=tuple(raw["logs"]),
            origin_calls=calls,
            log_data=log_field(raw.get("logData")),
            ticks=raw["ticks"],
            kvs_reads=raw.get("reads", 0),
        )

    def close(self) -> None:
        self.release_buffer()
        self._context.close()

    def __enter__(self) -> FunctionRuntime:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
