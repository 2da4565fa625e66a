"""Replay reads lines of bounded length: a line longer than 64 KiB is counted malformed
and skipped, for every format and source, and reading never holds more than the bound
plus a block, however long a line without a newline runs (a gzip of megabytes)."""

from __future__ import annotations

import gzip
import io
import json
import sys
import tracemalloc
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from benchmarks.loggen import FIELDS, write_log
from cffunc.config.load import load_config
from cffunc.function.render import render
from cffunc.function.rules import compile_rules
from cffunc.replay import sources
from cffunc.replay.run import replay
from cffunc.runtime import FunctionRuntime
from tests.helpers import ENV, SAMPLES
from tests.test_replay import NOW, _records, generated

LONG = 3 * 1024 * 1024  # a few MB of one line
NOTE = "longer than 65,536 bytes, skipped"


class Endless(io.RawIOBase):
    """``size`` bytes of one repeated byte, made as they are read (never held whole)."""

    def __init__(self, size: int, byte: bytes = b"x") -> None:
        self.left, self.byte = size, byte

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        count = min(len(buffer), self.left)
        buffer[:count] = self.byte * count
        self.left -= count
        return count


def _split(blocks: Iterable[bytes]) -> list[str]:
    """The lines of blocks of whole lines (each block ends in a newline, but the input's
    last line may have none)."""
    lines: list[str] = []
    for block in blocks:
        lines += block.decode("utf-8", "replace").removesuffix("\n").split("\n")
    return lines


def _peak_while(log: sources.LogText) -> tuple[int, list[str]]:
    """The most memory Python held while the blocks were read, and their lines."""
    tracemalloc.start()
    try:
        lines = _split(log.blocks)
        return tracemalloc.get_traced_memory()[1], lines
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("compressed", [False, True])
def test_a_line_without_end_is_read_in_bounded_memory(
    monkeypatch: pytest.MonkeyPatch, compressed: bool
) -> None:
    """8 MB without a newline after a header line, read 64 KiB at a time: the reader
    holds a few times the bound plus a block (the block read, its copy with the kept
    start of the line, the buffered and gzip readers' own buffers), never the line."""
    block = 1 << 16
    monkeypatch.setattr(sources, "BLOCK_BYTES", block)
    size = 8 * 1024 * 1024
    head = b"#Version: 1.0\n#Fields: date c-ip cs-uri-stem\n2026-11-30\t192.0.2.1\t/\n"
    if compressed:
        handle: Any = io.BytesIO(gzip.compress(head + b"y" * size, compresslevel=9))
    else:
        handle = io.BufferedReader(
            _Joined(io.BytesIO(head), Endless(size, b"y")), buffer_size=block
        )
    peak, lines = _peak_while(sources.blocks_of("x.log", sources._maybe_gzip(handle), None))
    assert peak < 6 * (sources.MAX_LINE_BYTES + block), f"{peak:,} bytes held"
    assert lines[-2:] == ["2026-11-30\t192.0.2.1\t/", sources.TOO_LONG]


class _Joined(io.RawIOBase):
    def __init__(self, *parts: Any) -> None:
        self.parts = list(parts)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while self.parts:
            count = self.parts[0].readinto(buffer)
            if count:
                return int(count)
            self.parts.pop(0)
        return 0


@pytest.mark.parametrize("limit", [1, 7, 64, 1000])
@pytest.mark.parametrize("block", [1, 5, 64, 4096])
def test_whole_lines_replaces_exactly_the_lines_over_the_bound(limit: int, block: int) -> None:
    """Every line over ``limit`` bytes, wherever the blocks cut it, and nothing else;
    between reads at most ``limit`` bytes of a line are kept."""
    import random

    rng = random.Random(limit * 31 + block)
    lines = [
        b"a" * rng.choice([0, 1, limit - 1, limit, limit + 1, 3 * limit + 5]) for _ in range(60)
    ]
    text = b"\n".join(lines) + rng.choice([b"", b"\n"])
    marker = sources.TOO_LONG.encode()
    chunks = list(sources.whole_lines(io.BytesIO(text), limit, block))
    wanted = b"\n".join(marker if len(x) > limit else x for x in text.split(b"\n"))
    assert b"".join(chunks) == wanted
    # every chunk but the last ends a line, so a cut last line is the last chunk's tail
    assert all(chunk.endswith(b"\n") for chunk in chunks[:-1])


def _mixed_log(good: int = 40) -> tuple[bytes, int]:
    """A legacy log: good lines, a line of a few MB, more good lines, and a last line of a
    few MB without a newline at all."""
    body = io.StringIO()
    write_log(body, generated(good, seed=2))
    text = body.getvalue().encode().splitlines(keepends=True)
    middle = 2 + good // 2
    data = b"".join(text[:middle]) + b"z" * LONG + b"\n" + b"".join(text[middle:])
    return data + b"q" * LONG, good


@pytest.mark.parametrize("compressed", [False, True])
def test_replay_counts_overlong_lines_malformed_and_the_rest_as_usual(
    tmp_path: Path, compressed: bool
) -> None:
    data, good = _mixed_log()
    path = tmp_path / ("big.log.gz" if compressed else "big.log")
    path.write_bytes(gzip.compress(data) if compressed else data)
    clean = tmp_path / "clean.log"
    with clean.open("w") as handle:
        write_log(handle, generated(good, seed=2))
    rules = compile_rules(load_config(SAMPLES / "cffunc.toml"), ENV)
    with FunctionRuntime(render(rules).code, rules.runtime) as engine:
        summary = replay(engine, rules, [str(path)], NOW)
        alone = replay(engine, rules, [str(clean)], NOW)
    assert summary.malformed == 2
    assert summary.malformed_lines == [
        f"{path}:{2 + good // 2 + 1} ({NOTE})",
        f"{path}:{2 + good + 2} ({NOTE})",
    ]
    assert summary.lines == good + 2 and summary.replayed == good
    assert summary.counts == alone.counts and summary.paths == alone.paths


def _blocks(name: str, data: bytes, fields: list[str] | None = None) -> list[str]:
    handle = sources._maybe_gzip(io.BytesIO(data))
    return _split(sources.blocks_of(name, handle, fields).blocks)


def test_every_format_and_source_bounds_its_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    """JSON lines, W3C with spaces, a real-time log with --fields, Parquet (a value of
    MBs), standard input and an S3 object: the overlong line becomes the one malformed
    line, the others are read."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    records = _records(generated(6, seed=8))
    huge = "/" + "p" * LONG
    jsonl = "".join(json.dumps(r) + "\n" for r in records[:3])
    jsonl += json.dumps({**records[0], "cs-uri-stem": huge}) + "\n"
    jsonl += "".join(json.dumps(r) + "\n" for r in records[3:]) + "[1, 2]\n"
    lines = _blocks("v2.json.gz", gzip.compress(jsonl.encode()))
    assert lines.count(sources.TOO_LONG) == 1 and lines.count(sources.NOT_A_RECORD) == 1
    assert len(lines) == len(records) + 2  # the records, two stand-ins

    w3c = "#Version: 1.0\n#Fields: " + " ".join(FIELDS) + "\n"
    w3c += "".join(" ".join(r[f] for f in FIELDS) + "\n" for r in records) + huge
    lines = _blocks("w3c.log", w3c.encode())
    assert lines[-1] == sources.TOO_LONG and lines[-2].count("\t") == len(FIELDS) - 1

    order = ["timestamp", "c-ip", "cs-uri-stem"]
    realtime = "".join(f"1796032800.1\t{r['c-ip']}\t{r['cs-uri-stem']}\n" for r in records)
    lines = _blocks("rt.log", (realtime + huge + "\n" + realtime).encode(), order)
    assert lines.count(sources.TOO_LONG) == 1 and len(lines) == 2 * len(records) + 1

    table = io.BytesIO()
    pq.write_table(
        pa.table({"c_ip": ["192.0.2.1", "192.0.2.2"], "cs_uri_stem": ["/", huge]}), table
    )
    lines = _blocks("v2.parquet", table.getvalue())
    assert lines[0].startswith("-\t-\t192.0.2.1") and lines[1] == sources.TOO_LONG

    data, good = _mixed_log(10)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(gzip.compress(data))))
    ((name, log),) = list(sources.open_sources(["-"]))
    lines = _split(log.blocks)
    assert name == "<stdin>" and lines.count(sources.TOO_LONG) == 2
    assert len(lines) == 2 + good + 2

    class Body(io.BytesIO):
        """What botocore's get_object gives: read(n) and close()."""

    class S3:
        def get_object(self, Bucket: str, Key: str) -> dict[str, Any]:
            assert (Bucket, Key) == ("logs", "cf/E2.2026-11-30-10.a.gz")
            return {"Body": Body(gzip.compress(data))}

    with sources.open_one("s3://logs/cf/E2.2026-11-30-10.a.gz", None, S3()) as log:
        lines = _split(log.blocks)
    assert lines.count(sources.TOO_LONG) == 2 and len(lines) == 2 + good + 2
