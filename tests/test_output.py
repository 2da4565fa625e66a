"""Output people read once: a step printed once in a terminal, counts that agree with
their nouns, whole numbers without a decimal, a chart legend one can see."""

from __future__ import annotations

import io
import os
import re
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cffunc.cli import output
from cffunc.deploy.remote_test import RemoteComparison
from cffunc.emulator.server import RunningEmulator
from cffunc.function.render import RenderStats
from cffunc.replay.report import Quiet, QuietWindow, pyplot
from cffunc.replay.run import CLASSES
from cffunc.words import count, number, plural
from tests.helpers import ENV, SAMPLES, Processes, local_aws_env, process_env

# Loaded at collection: on a machine where matplotlib has never run (CI's fresh venv), its
# first import builds a font cache by running fc-list, which the unit lane would refuse.
PYPLOT = pyplot()


def screen(raw: str) -> list[str]:
    """The lines a terminal shows for ``raw``: a carriage return goes back to the start of
    the line, ESC[K clears the rest of it."""
    lines, line, column = [], [], 0
    i = 0
    while i < len(raw):
        if raw.startswith("\x1b[K", i):
            del line[column:]
            i += 3
            continue
        char = raw[i]
        if char == "\r":
            column = 0
        elif char == "\n":
            lines.append("".join(line))
            line, column = [], 0
        else:
            if column < len(line):
                line[column] = char
            else:
                line.append(char)
            column += 1
        i += 1
    if line:
        lines.append("".join(line))
    return lines


def test_the_screen_model_rewrites_a_line() -> None:
    assert screen("abc\r\x1b[Kdone: abc\nx") == ["done: abc", "x"]


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_in_a_terminal_a_step_line_becomes_its_done_line() -> None:
    out, err = Terminal(), Terminal()
    steps = output.Steps(out, err)
    steps.started("create function f")
    steps.progress("f changed meanwhile; reading it again")  # a note within the step
    steps.finished("create function f")
    steps.progress("waiting for E1 to deploy (0 s)")
    steps.progress("waiting for E1 to deploy (15 s)")
    steps.progress("deployed after 30 s")
    steps.close()
    # The step's line and the waiting lines were rewritten away (the pty test below sees
    # both streams on one screen).
    assert screen(err.getvalue()) == [
        "f changed meanwhile; reading it again",
        "deployed after 30 s",
    ]
    assert screen(out.getvalue()) == ["done: create function f"]
    assert steps.unseen(["create function f", "publish f"]) == ["publish f"]


def test_elsewhere_each_progress_line_is_plain() -> None:
    out, err = io.StringIO(), io.StringIO()
    steps = output.Steps(out, err)
    steps.started("create function f")
    steps.finished("create function f")
    steps.progress("waiting for E1 to deploy (0 s)")
    assert err.getvalue() == "create function f\nwaiting for E1 to deploy (0 s)\n"
    assert out.getvalue() == "" and steps.unseen(["create function f"]) == ["create function f"]


def test_enable_in_a_terminal_prints_each_step_once(
    emulator: RunningEmulator, processes: Processes, tmp_path: Path
) -> None:
    """The real entry point on a pseudo-terminal: what the user sees."""
    config = tmp_path / "cffunc.toml"
    config.write_text((SAMPLES / "cffunc.toml").read_text())
    (tmp_path / "scenarios.toml").write_text((SAMPLES / "scenarios.toml").read_text())
    main, secondary = os.openpty()
    process = processes.popen(
        [sys.executable, "-m", "cffunc", "-c", str(config), "enable", "--wait"],
        stdin=secondary, stdout=secondary, stderr=secondary,
        env=process_env({**local_aws_env(emulator.endpoint), **ENV}),
    )  # fmt: skip
    os.close(secondary)
    raw = b""
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:  # the terminal is closed once the command has ended
            break
        if not chunk:
            break
        raw += chunk
    os.close(main)
    assert process.wait(timeout=60) == 0, raw
    shown = screen(raw.decode("utf-8").replace("\r\n", "\n"))
    steps = [
        "create function shop-maintenance (3,455 bytes, cloudfront-js-2.0)",
        "publish shop-maintenance to LIVE",
        "associate shop-maintenance with E2EXAMPLE12345: * viewer-request, * viewer-response, "
        "/api/* viewer-request, /api/* viewer-response",
    ]
    for step in steps:
        assert [line for line in shown if step in line] == [f"done: {step}"], shown
    assert [line for line in shown if line.strip()][-1].startswith("deployed in")


# ---- counts and numbers ----


def test_counts_agree_with_their_nouns() -> None:
    assert [count(n, "network") for n in (0, 1, 2, 1200)] == [
        "0 networks", "1 network", "2 networks", "1,200 networks",
    ]  # fmt: skip
    assert plural(1, "entry", "entries") == "entry" and plural(3, "entry", "entries") == "entries"
    assert [number(x) for x in (3735.0, 3735.5, 0.04, 2.96)] == ["3,735", "3,735.5", "0", "3"]


def test_human_output_says_one_of_a_thing() -> None:
    stats = RenderStats(4000, 1000, 200, "cloudfront-js-2.0", 1, 0)
    assert "(1 IPv4 + 0 IPv6 network, paths)" in output.stats(stats)
    assert output.comparisons([RemoteComparison("a", "x", "x")]).splitlines()[0] == (
        "remote (TestFunction): 1 of 1 event agrees"
    )
    status = {
        "toggle": "kvs",
        "store": {"name": "s", "exists": True, "describe": "off", "networks": 1, "scopes": []},
        "function": {"name": "f", "development_etag": None, "live_etag": None,
                     "published": False, "live_matches_local": None, "render_error": None},
        "distributions": [],
        "maintenance": "off",
    }  # fmt: skip
    assert "1 network allowed in the store" in output.status(status)


def test_whole_averages_print_as_whole_numbers() -> None:
    start = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
    window = QuietWindow(start, start + timedelta(hours=2), 3735.0, 12000.0)
    quiet = Quiet(timedelta(hours=2), [window], {"Monday": window})
    lines = quiet.lines()
    assert lines[1] == "  2026-11-30 02:00-04:00 UTC: 3,735 of 12,000"
    assert lines[2] == "  Mondays 02:00-04:00 UTC: 3,735 a day of 12,000"
    halves = Quiet(timedelta(hours=2), [], {"Monday": QuietWindow(start, start, 3735.5, 12000.25)})
    assert halves.lines()[1] == "  Mondays 02:00-02:00 UTC: 3,735.5 a day of 12,000.2"


# ---- the report's legend ----


def _rectangle(path: str) -> tuple[float, float, float, float]:
    numbers = [float(x) for x in re.findall(r"-?\d+(?:\.\d+)?", path)]
    xs, ys = numbers[0::2], numbers[1::2]
    return min(xs), min(ys), max(xs), max(ys)


def test_the_legend_swatches_sit_on_the_page_not_on_the_areas() -> None:
    """Read from the SVG: every swatch is drawn outside the plot's box (on the page's white),
    in its class's colour, fully opaque; inside the box, the stacked areas (which reach its
    top here, where the legend used to sit) would hide it."""
    from cffunc.replay.report import _timeline_svg

    points = [
        (datetime(2026, 11, 30, tzinfo=UTC) + timedelta(minutes=5 * i), [400, 133, 1, 1])
        for i in range(60)
    ]
    svg = _timeline_svg(PYPLOT, points)
    box = re.search(r'<g id="patch_2">\s*<path d="([^"]+)"', svg)
    assert box is not None
    left, top, right, bottom = _rectangle(box.group(1))
    legend = svg[svg.index('<g id="legend_1">') :]
    swatches = re.findall(r'<path d="([^"]+)"[^>]*style="fill: (#[0-9a-f]{6})"', legend)[:4]
    assert [colour for _, colour in swatches] == ["#4c9a2a", "#d1495b", "#edae49", "#333333"]
    assert len(CLASSES) == len(swatches)
    for path, _ in swatches:
        x0, y0, x1, y1 = _rectangle(path)
        outside = y1 <= top or y0 >= bottom or x1 <= left or x0 >= right
        assert outside, (path, (left, top, right, bottom))
    assert "fill-opacity" not in legend.split("</g>")[0]
