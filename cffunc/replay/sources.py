"""Where replay's log lines come from, and in what format: each source becomes blocks of
bytes in the legacy tab-separated format (whole lines under a ``#Fields`` line), which is
what the replay in V8 reads.

Sources: files, directories, ``-`` (standard input) and ``s3://bucket/prefix/`` (listed,
then each object streamed; gzip is undone on the fly). ``--since``/``--until`` keep the
files and objects whose name says they hold that time: the hour in the names CloudFront
writes (``<prefix><distribution>.<YYYY-MM-DD-HH>.<id>.gz``, legacy and logging v2), or
partitions (``.../2026/12/01/03/...`` or Hive-style ``year=2026/month=12/day=01/hour=03``);
a name that says no time is kept.

Formats, told apart by their first bytes (DeveloperGuide/standard-logs-reference.html,
standard-logging.html: logging v2 delivers the same field names in JSON, W3C, plain and
Parquet output; real-time logs, real-time-logs.html, are tab-separated without a header):
- legacy and W3C: ``#Version``/``#Fields`` header, values separated by tabs (legacy) or by
  the delimiter v2 was given (a space is read too);
- JSON lines: an object per line, keyed by field name;
- Parquet (``PAR1``): columns named by field (Athena's underscore spelling is read too);
  needs ``pip install 'cffunc[parquet]'``;
- plain or real-time (no header): the field names in order come from ``--fields``.

A block holds whole lines, each with its newline; only a file's last line may lack one
(the file was cut short, which replay reports rather than guesses at). Formats read
record by record give one line per record, numbered as their records are.

A line longer than :data:`MAX_LINE_BYTES` is counted malformed and skipped, whatever the
format and source: a file without a line break (or a Parquet value of megabytes) costs one
block of memory and one pass, not its size. The replay in V8 reads a line that starts
with :data:`MALFORMED` as malformed, the rest of it saying why (a record that is not a
JSON object, a gzip stream that ends early).
"""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import re
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any, cast

from cffunc.errors import CffuncError

BLOCK_BYTES = 1 << 21
"""Bytes of log read and sent to V8 at a time (about 7,000 lines of 33 fields)."""
BLOCK_RECORDS = 8_000
"""Records converted per block for the formats read record by record."""
MAX_LINE_BYTES = 1 << 16
"""The longest line replay reads: 64 KiB. A CloudFront log line is a few hundred bytes
(a few KB with long cookies, URIs and user agents); a longer one is counted malformed."""
MALFORMED = "\x00"
"""Starts a line that stands for a malformed one (no log line starts with a NUL), the
note after it saying why (shims/replay.js counts it)."""
TOO_LONG = f"{MALFORMED}longer than {MAX_LINE_BYTES:,} bytes, skipped"
NOT_A_RECORD = f"{MALFORMED}not a JSON object"
NOT_JSON = f"{MALFORMED}not JSON"
CUT = f"{MALFORMED}the gzip stream ends early: the file is cut short"
CLASSIC_FIELDS = (
    "date", "time", "x-edge-location", "sc-bytes", "c-ip", "cs-method", "cs(Host)",
    "cs-uri-stem", "sc-status", "cs(Referer)", "cs(User-Agent)", "cs-uri-query",
    "cs(Cookie)", "x-edge-result-type", "x-edge-request-id", "x-host-header", "cs-protocol",
    "cs-bytes", "time-taken", "x-forwarded-for", "ssl-protocol", "ssl-cipher",
    "x-edge-response-result-type", "cs-protocol-version", "fle-status",
    "fle-encrypted-fields", "c-port", "time-to-first-byte", "x-edge-detailed-result-type",
    "sc-content-type", "sc-content-len", "sc-range-start", "sc-range-end",
)  # fmt: skip
"""The 33 fields of a standard log, in order (DeveloperGuide/standard-logs-reference.html,
whose example #Fields line names these; ``distribution-tenant-id`` and ``connection-id``
are listed after them as fields 34 and 35)."""
USED = (
    "date", "time", "c-ip", "cs-method", "cs(Host)", "cs-uri-stem", "cs(Referer)",
    "cs(User-Agent)", "cs-uri-query", "cs(Cookie)", "x-host-header", "sc-status",
    "cs-protocol", "x-forwarded-for", "distribution-tenant-id", "cs(Accept)",
)  # fmt: skip
"""The fields replay reads (the others are dropped when a format is converted)."""
FIELDS_LINE = "#Fields: " + " ".join(USED)
"""The fields line of the formats replay converts."""


class LogError(CffuncError):
    """A log that cannot be read at all (missing file, no #Fields, no c-ip)."""


@dataclass(frozen=True)
class Window:
    """--since/--until: which hours of logs to read (None: open)."""

    since: datetime | None = None
    until: datetime | None = None

    def keeps(self, name: str) -> bool:
        hour = name_hour(name)
        if hour is None:
            return True
        end = hour + timedelta(hours=1)
        return (self.since is None or end > self.since) and (
            self.until is None or hour < self.until
        )


_NAME_HOUR = re.compile(r"\.(\d{4})-(\d{2})-(\d{2})-(\d{2})\.")
_PARTITION = re.compile(r"(?:^|/)(\d{4})/(\d{2})/(\d{2})/(\d{2})(?:/|$)")
_HIVE = re.compile(r"year=(\d{4})/month=(\d{2})/day=(\d{2})/hour=(\d{2})")


def name_hour(name: str) -> datetime | None:
    """The hour a log file's or object's name says it holds, or None."""
    base = name.rsplit("/", 1)[-1]
    match = _NAME_HOUR.search(base) or _HIVE.search(name) or _PARTITION.search(name)
    if match is None:
        return None
    try:
        year, month, day, hour = (int(g) for g in match.groups())
        return datetime(year, month, day, hour, tzinfo=UTC)
    except ValueError:
        return None


ALL_TIME = Window()


@dataclass(frozen=True)
class LogText:
    """One file's lines as blocks of legacy tab-separated bytes."""

    fields: str | None
    """The #Fields line in effect before the first block (set for the formats replay
    converts or gives fields to; a legacy log names its own)."""
    blocks: Iterator[bytes]


def open_sources(
    sources: Iterable[str],
    window: Window = ALL_TIME,
    fields: Sequence[str] | None = None,
    s3: Any = None,
) -> Iterator[tuple[str, LogText]]:
    """(name, its lines) for every file or object, in order. ``s3``: a boto3 S3 client
    for ``s3://`` sources (made when needed if None)."""
    for source in sources:
        for name, handle in _open(source, window, s3):
            yield name, blocks_of(name, handle, fields)


def locate(sources: Iterable[str], window: Window, s3: Any) -> list[str]:
    """Every log file and object the sources name (``s3://bucket/key`` for objects), for
    a replay that hands them out one by one (--dask); not standard input."""
    out: list[str] = []
    for source in sources:
        if source == "-":
            raise LogError("--dask reads log files and s3:// objects, not standard input")
        if source.startswith("s3://"):
            s3 = _client(s3)
            bucket, keys = _s3_keys(source, window, s3)
            out += [f"s3://{bucket}/{key}" for key in keys]
        else:
            out += [str(f) for f in _files(Path(source), window)]
    return out


@contextlib.contextmanager
def open_one(locator: str, fields: Sequence[str] | None, s3: Any) -> Iterator[LogText]:
    """The lines of one file or ``s3://bucket/key`` object (see :func:`locate`)."""
    if locator.startswith("s3://"):
        bucket, _, key = locator.removeprefix("s3://").partition("/")
        with _s3_open(_client(s3), bucket, key) as handle:
            yield blocks_of(locator, handle, fields)
        return
    with open(locator, "rb") as handle:
        yield blocks_of(locator, _maybe_gzip(handle), fields)


def _open(source: str, window: Window, s3: Any) -> Iterator[tuple[str, IO[bytes]]]:
    if source == "-":
        yield "<stdin>", _maybe_gzip(sys.stdin.buffer)
        return
    if source.startswith("s3://"):
        yield from _s3_objects(source, window, _client(s3))
        return
    for file in _files(Path(source), window):
        with file.open("rb") as handle:
            yield str(file), _maybe_gzip(handle)


def _files(path: Path, window: Window) -> list[Path]:
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file())
        if not files:
            raise LogError(f"{path}: the directory holds no log files")
        return [f for f in files if window.keeps(f.relative_to(path).as_posix())]
    if path.is_file():
        return [path]
    raise LogError(f"{path}: no such log file or directory")


def _s3_objects(url: str, window: Window, s3: Any) -> Iterator[tuple[str, IO[bytes]]]:
    bucket, keys = _s3_keys(url, window, s3)
    for key in keys:
        with _s3_open(s3, bucket, key) as handle:  # the connection goes back once read
            yield f"s3://{bucket}/{key}", handle


@contextlib.contextmanager
def _s3_open(s3: Any, bucket: str, key: str) -> Iterator[IO[bytes]]:
    """An object's body as a stream, un-gzipped as it arrives; closed (its connection
    given back) at the end, which closing a gzip reader alone would not do."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"]
    except (ClientError, BotoCoreError) as error:
        raise LogError(f"s3://{bucket}/{key}: cannot read it: {error}") from None
    stream = _Stream(body)
    try:
        yield _maybe_gzip(cast(IO[bytes], stream))
    finally:
        stream.close()


def _s3_keys(url: str, window: Window, s3: Any) -> tuple[str, list[str]]:
    bucket, _, prefix = url.removeprefix("s3://").partition("/")
    if not bucket:
        raise LogError(f"{url}: give s3://bucket/prefix/")
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        keys = [
            item["Key"]
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
            for item in page.get("Contents") or []
            if not item["Key"].endswith("/")
        ]
    except (ClientError, BotoCoreError) as error:
        raise LogError(f"{url}: cannot list the logs: {error}") from None
    keys = [k for k in keys if window.keeps(k)]
    if not keys:
        raise LogError(f"{url}: no log objects (under that prefix, in that time window)")
    return bucket, keys


def _client(s3: Any) -> Any:
    """The S3 client given, or boto3's default one."""
    if s3 is not None:
        return s3
    import boto3

    return boto3.client("s3")


class _Stream(io.RawIOBase):
    """A botocore streaming body as a raw stream, so it can be buffered and un-gzipped
    as it arrives (nothing is written to disk)."""

    def __init__(self, body: Any) -> None:
        self.body = body

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.body.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self.body.close()
        super().close()


def _maybe_gzip(handle: IO[bytes]) -> IO[bytes]:
    buffered = (
        handle if isinstance(handle, io.BufferedReader) else io.BufferedReader(cast(Any, handle))
    )
    if buffered.peek(2)[:2] == b"\x1f\x8b":
        return cast(IO[bytes], io.BufferedReader(_Gunzipped(gzip.GzipFile(fileobj=buffered))))
    return cast(IO[bytes], buffered)


class _Gunzipped(io.RawIOBase):
    """A gzip stream that ends early reads as its end (``cut`` says so), so what it held
    is replayed and :func:`whole_lines` reports the cut, where gzip would raise EOFError
    ("Compressed file ended before the end-of-stream marker was reached")."""

    def __init__(self, stream: gzip.GzipFile) -> None:
        self.stream = stream
        self.cut = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        try:
            return self.stream.readinto(buffer)
        except EOFError:
            self.cut = True
            return 0


def blocks_of(name: str, handle: IO[bytes], fields: Sequence[str] | None) -> LogText:
    """The log as blocks of legacy tab-separated bytes, whatever its format."""
    head = cast(io.BufferedReader, handle).peek(4096)[:4096]
    if head[:4] == b"PAR1":
        return LogText(FIELDS_LINE, _parquet(name, handle))
    first = head.lstrip().split(b"\n", 1)[0]
    if first.startswith(b"{"):
        return LogText(FIELDS_LINE, _records(_json_records(handle)))
    if first.startswith(b"#") or fields is None:
        # Lines before any #Fields line are counted as malformed; replay's note says a
        # plain or real-time log needs --fields.
        return LogText(None, _legacy(handle))
    # A plain or real-time log is tab-separated like a legacy one: its lines go to V8 as
    # they are, under the fields given (real-time spellings are read there).
    return LogText("#Fields: " + " ".join(fields), _legacy(handle))


_LONG = object()
"""A record standing for a line longer than the bound."""


def _legacy(handle: IO[bytes]) -> Iterator[bytes]:
    """Whole lines, about BLOCK_BYTES at a time (see :func:`whole_lines`); a W3C log
    delimited by spaces gets tabs."""
    spaced: bool | None = None
    for chunk in whole_lines(handle):
        if spaced is None:
            spaced = _spaced(chunk)
        yield _tabbed(chunk) if spaced else chunk


def whole_lines(
    handle: IO[bytes], limit: int = MAX_LINE_BYTES, block: int | None = None
) -> Iterator[bytes]:
    """The input as chunks of whole lines, each with its newline (about a block each; the
    input's last line without one if it has none, so a cut last line can be told), every
    line longer than ``limit`` bytes replaced by :data:`TOO_LONG`; a gzip stream that ends
    early gives what it holds, then a :data:`CUT` line.

    Reads ``block`` bytes (default :data:`BLOCK_BYTES`) at a time and keeps at most
    ``limit`` bytes of an unfinished line between reads: once a line outgrows that, the
    rest of it is skipped as it is read. Linear in the input, bounded in memory, however
    long a line (a gzip of megabytes without a newline) is."""
    size = block or BLOCK_BYTES
    pending = b""  # the start of the line the last read ended in, at most `limit` bytes
    skipping = False  # inside a line already found too long
    marker = TOO_LONG.encode()
    while data := handle.read(size):
        lines: list[bytes] = []
        if skipping:
            end = data.find(b"\n")
            if end < 0:
                continue
            lines.append(marker + b"\n")
            data, skipping = data[end + 1 :], False
        buffer = pending + data if pending else data
        last = buffer.rfind(b"\n")
        if last >= 0:
            lines.append(_bounded(buffer[: last + 1], limit, marker))
            buffer = buffer[last + 1 :]
        if len(buffer) > limit:
            pending, skipping = b"", True
        else:
            pending = bytes(buffer)
        if lines:
            yield b"".join(lines)
    if skipping:
        yield marker
    elif pending:
        yield _bounded(pending, limit, marker)
    if getattr(getattr(handle, "raw", None), "cut", False):
        yield (b"\n" if pending or skipping else b"") + CUT.encode() + b"\n"


def _bounded(text: bytes, limit: int, marker: bytes) -> bytes:
    """``text`` (whole lines) with each line longer than ``limit`` replaced by ``marker``.
    Looks for the last newline within ``limit`` bytes of each line start, so a block of
    ordinary lines costs a few dozen searches, not one per line."""
    pieces: list[bytes] = []
    start = at = 0  # start: what is not yet in pieces; at: a line start, all before it fit
    while len(text) - at > limit:
        newline = text.rfind(b"\n", at, at + limit + 1)
        if newline >= 0:
            at = newline + 1
            continue
        end = text.find(b"\n", at)  # the line starting at `at` is too long
        end = len(text) if end < 0 else end
        pieces += [text[start:at], marker]
        start, at = end, end + 1
    if not pieces:
        return text
    pieces.append(text[start:])
    return b"".join(pieces)


_NOT_SPACED = (b"#", MALFORMED.encode())


def _spaced(data: bytes) -> bool:
    """A W3C log whose values are separated by spaces: its first data line has no tab."""
    for line in data.split(b"\n"):
        if line and not line.startswith(_NOT_SPACED):
            return b"\t" not in line and b" " in line
    return False


def _tabbed(data: bytes) -> bytes:
    return b"\n".join(
        line if line.startswith(_NOT_SPACED) else line.replace(b" ", b"\t")
        for line in data.split(b"\n")
    )


def _lines(handle: IO[bytes]) -> Iterator[str | None]:
    """Each line, without its line break; None for one longer than the bound."""
    too_long = TOO_LONG.encode()
    for chunk in whole_lines(handle):
        for raw in chunk.removesuffix(b"\n").split(b"\n"):
            yield None if raw == too_long else raw.decode("utf-8", errors="replace").rstrip("\r")


def _json_records(handle: IO[bytes]) -> Iterator[Any]:
    """Logging v2's JSON output, an object per line: each line's record (None for a blank
    line, a :data:`MALFORMED` text for one that cannot be read, which the cut-short last
    line of a file is)."""
    for line in _lines(handle):
        if line is None:
            yield _LONG
        elif line.startswith(MALFORMED):
            yield line  # the gzip stream's end, as whole_lines says it
        elif not line.strip():
            yield None
        else:
            try:
                yield json.loads(line)
            except ValueError:
                yield NOT_JSON


def _records(records: Iterable[Any]) -> Iterator[bytes]:
    """Records (field name -> value) as lines of legacy bytes under FIELDS_LINE, one line
    per record (a blank one for None, a MALFORMED one for what is not a record)."""
    out: list[str] = []
    for record in records:
        if record is _LONG:
            out.append(TOO_LONG)
        elif record is None:
            out.append("")
        elif isinstance(record, str) and record.startswith(MALFORMED):
            out.append(record)
        elif not isinstance(record, dict):
            out.append(NOT_A_RECORD)
        else:
            line = "\t".join(_value(record, field) for field in USED)
            # A Parquet value of megabytes makes a line as long as any text line.
            too_long = len(line) > MAX_LINE_BYTES // 4 and len(line.encode()) > MAX_LINE_BYTES
            out.append(TOO_LONG if too_long else line)
        if len(out) >= BLOCK_RECORDS:
            yield ("\n".join(out) + "\n").encode("utf-8")
            out = []
    if out:
        yield ("\n".join(out) + "\n").encode("utf-8")


_PARQUET_NAMES = {re.sub(r"[^a-z0-9]+", "_", f.lower()).strip("_"): f for f in USED}


def _value(record: dict[str, Any], field: str) -> str:
    value = record.get(field)
    if value is None and field == "cs(Accept)":
        value = record.get("cs-accept")
    if value is None and field in ("date", "time"):
        return _from_timestamp(record, field)
    # A field the record lacks is empty, as "-" is: except c-ip, cs-method and
    # cs-uri-stem, without which a line is malformed.
    if value is None or value == "":
        return "-"
    return str(value).replace("\t", "%09").replace("\n", "%0A").replace("\r", "%0D")


def _from_timestamp(record: dict[str, Any], field: str) -> str:
    """date and time from ``timestamp`` (seconds) or ``timestamp(ms)``, as v2 and
    real-time logs may give only those."""
    seconds: float | None = None
    try:
        if record.get("timestamp") not in (None, "", "-"):
            seconds = float(record["timestamp"])
        elif record.get("timestamp(ms)") not in (None, "", "-"):
            seconds = float(record["timestamp(ms)"]) / 1000
    except (TypeError, ValueError):
        seconds = None
    if seconds is None or not 0 <= seconds < 253_402_300_800:  # up to year 9999
        return "-"
    moment = datetime.fromtimestamp(seconds, tz=UTC)
    return moment.strftime("%Y-%m-%d" if field == "date" else "%H:%M:%S")


def _parquet(name: str, handle: IO[bytes]) -> Iterator[bytes]:
    try:
        import pyarrow.parquet as pq  # type: ignore[import-untyped,import-not-found,unused-ignore]
    except ImportError:
        raise LogError(f"{name} is Parquet: pip install 'cffunc[parquet]' to read it") from None
    data = io.BytesIO(handle.read())  # Parquet keeps its index at the end: read it whole
    try:
        table = pq.ParquetFile(data)
    except Exception as error:  # pyarrow raises its own kinds for a broken file
        raise LogError(f"{name}: not a readable Parquet file: {error}") from None
    names: dict[str, str] = {}
    for column in table.schema_arrow.names:
        known = _canonical(column)
        if known is not None:
            names[column] = known

    def records() -> Iterator[dict[str, Any]]:
        for batch in table.iter_batches(batch_size=BLOCK_RECORDS, columns=list(names)):
            for row in batch.to_pylist():
                yield {names[c]: v for c, v in row.items()}

    return _records(records())


def _canonical(column: str) -> str | None:
    """A Parquet column's field name (``cs(Host)``, or Athena's ``cs_host``), or None for
    a column replay does not read."""
    if column in USED or column in ("timestamp", "timestamp(ms)"):
        return column
    key = re.sub(r"[^a-z0-9]+", "_", column.lower()).strip("_")
    if key == "timestamp_ms":
        return "timestamp(ms)"
    return _PARQUET_NAMES.get(key) or ("timestamp" if key == "timestamp" else None)
