"""When to hold the window, and a page to plan it with: from a replay's counts per five
minutes, the quietest windows of a given length, and ``replay --html`` (one
self-contained HTML file: inline SVG charts drawn by matplotlib, no script, no network).

"Affected" requests are those the function would answer with maintenance: the viewers a
window would turn away. The quietest windows are found over the whole replayed period
(consecutive, non-overlapping, the three quietest) and per weekday (by time of day,
averaged over the days of that weekday in the logs, a window may wrap past midnight).
"""

from __future__ import annotations

import html
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cffunc.errors import CffuncError
from cffunc.replay.run import CLASSES, add_counts, top
from cffunc.words import count, number

STEP = timedelta(minutes=5)
"""The resolution of the counts (shims/replay.js buckets by five minutes)."""
AFFECTED = CLASSES.index("maintenance")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
PER_DAY = 288


class ReportError(CffuncError):
    """--window or --html cannot be honoured."""


def parse_window(text: str) -> timedelta:
    """``--window``: a duration such as 30m, 2h or 1h30m, a multiple of five minutes."""
    match = re.fullmatch(r"(?:(\d+)h)?(?:(\d+)m)?", text.strip())
    if not text.strip() or match is None:
        raise ReportError(f"--window {text!r}: give a duration such as 30m, 2h or 1h30m")
    length = timedelta(hours=int(match.group(1) or 0), minutes=int(match.group(2) or 0))
    if not STEP <= length <= timedelta(days=1) or length % STEP:
        raise ReportError(
            f"--window {text!r}: give a multiple of five minutes from 5m to 24h "
            "(the counts are kept per five minutes)"
        )
    return length


@dataclass(frozen=True)
class QuietWindow:
    start: datetime
    end: datetime
    affected: float
    """Requests that would get maintenance (per day for a weekday's window)."""
    requests: float

    def as_json(self) -> dict[str, Any]:
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "affected": round(self.affected, 2),
            "requests": round(self.requests, 2),
        }


@dataclass(frozen=True)
class Quiet:
    length: timedelta
    overall: list[QuietWindow]
    weekdays: dict[str, QuietWindow]
    """Weekday -> its quietest time of day (dated on the first such day in the logs)."""

    def as_json(self) -> dict[str, Any]:
        return {
            "window_minutes": int(self.length.total_seconds() // 60),
            "overall": [w.as_json() for w in self.overall],
            "weekdays": {d: w.as_json() for d, w in self.weekdays.items()},
        }

    def lines(self) -> list[str]:
        minutes = int(self.length.total_seconds() // 60)
        out = [f"quietest {minutes}-minute windows (requests that would get maintenance):"]
        out += [f"  {_span(w)}: {number(w.affected)} of {number(w.requests)}" for w in self.overall]
        for day, w in self.weekdays.items():
            out.append(
                f"  {day}s {w.start:%H:%M}-{w.end:%H:%M} UTC: {number(w.affected)} a day "
                f"of {number(w.requests)}"
            )
        return out


def _span(w: QuietWindow) -> str:
    return f"{w.start:%Y-%m-%d %H:%M}-{w.end:%H:%M} UTC"


def series(timeline: dict[str, list[int]]) -> list[tuple[datetime, list[int]]]:
    """Every five minutes from the first to the last counted, zeros where none."""
    if not timeline:
        return []
    moments = {_moment(k): v for k, v in timeline.items()}
    first, last = min(moments), max(moments)
    out = []
    at = first
    while at <= last:
        out.append((at, moments.get(at, [0] * len(CLASSES))))
        at += STEP
    return out


def _moment(key: str) -> datetime:
    return datetime.strptime(key, "%Y-%m-%dT%H:%M").replace(tzinfo=UTC)


def quietest(timeline: dict[str, list[int]], length: timedelta, count: int = 3) -> Quiet:
    steps = int(length / STEP)
    points = series(timeline)
    affected = [c[AFFECTED] for _, c in points]
    total = [sum(c) for _, c in points]
    overall: list[QuietWindow] = []
    if len(points) >= steps:
        sums = _sliding(affected, steps)
        totals = _sliding(total, steps)
        taken: list[int] = []
        for start in sorted(range(len(sums)), key=lambda i: (sums[i], i)):
            if all(abs(start - other) >= steps for other in taken):
                taken.append(start)
                moment = points[start][0]
                overall.append(QuietWindow(moment, moment + length, sums[start], totals[start]))
            if len(taken) == count:
                break
    return Quiet(length, overall, _weekdays(points, steps, length))


def _sliding(values: Sequence[int], steps: int) -> list[int]:
    out, running = [], sum(values[:steps])
    out.append(running)
    for i in range(steps, len(values)):
        running += values[i] - values[i - steps]
        out.append(running)
    return out


def _weekdays(
    points: list[tuple[datetime, list[int]]], steps: int, length: timedelta
) -> dict[str, QuietWindow]:
    """For each weekday in the logs: the time of day whose window has the fewest affected
    requests, averaged over the days of that weekday (a window may wrap past midnight)."""
    by_day: dict[int, tuple[list[float], list[float], set[Any], datetime]] = {}
    for moment, counts in points:
        weekday = moment.weekday()
        if weekday not in by_day:
            day = moment.replace(hour=0, minute=0)
            by_day[weekday] = ([0.0] * PER_DAY, [0.0] * PER_DAY, set(), day)
        affected, total, dates, _ = by_day[weekday]
        slot = (moment.hour * 60 + moment.minute) // 5
        affected[slot] += counts[AFFECTED]
        total[slot] += sum(counts)
        dates.add(moment.date())
    out: dict[str, QuietWindow] = {}
    for weekday in sorted(by_day):
        affected, total, dates, first = by_day[weekday]
        days = len(dates)
        best = min(
            range(PER_DAY),
            key=lambda s: (sum(affected[(s + i) % PER_DAY] for i in range(steps)), s),
        )
        start = first + best * STEP
        out[WEEKDAYS[weekday]] = QuietWindow(
            start,
            start + length,
            sum(affected[(best + i) % PER_DAY] for i in range(steps)) / days,
            sum(total[(best + i) % PER_DAY] for i in range(steps)) / days,
        )
    return out


# ---- the page ----


def pyplot() -> Any:
    """matplotlib's pyplot, drawing SVG; ReportError when the report extra is missing
    (replay checks this before it reads a line)."""
    try:
        import matplotlib

        matplotlib.use("svg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise ReportError(
            "--html draws its charts with matplotlib: pip install 'cffunc[report]'"
        ) from None
    return plt


def write_html(path: Any, summary: Any, quiet: Quiet | None, title: str) -> None:
    """The self-contained report: charts as inline SVG, tables, no script or link."""
    plt = pyplot()
    plt.rcParams["svg.fonttype"] = "none"  # text stays text: smaller, and the page's font
    plt.rcParams["svg.hashsalt"] = "cffunc"  # the same SVG for the same counts
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(title)}</title>",
        "<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:72rem;color:#222}"
        "table{border-collapse:collapse;margin:0 0 1.5rem}td,th{padding:.25rem .75rem;"
        "border-bottom:1px solid #ddd;text-align:left}td.n{text-align:right}"
        "svg{max-width:100%;height:auto}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        _totals(summary),
    ]
    points = series(summary.timeline)
    if points:
        parts.append("<h2>Requests over time</h2>")
        parts.append(_timeline_svg(plt, points))
        parts.append("<h2>Requests that would get maintenance, by weekday and hour (UTC)</h2>")
        parts.append(_heatmap_svg(plt, points))
    else:
        parts.append("<p>The logs give no date and time fields: no chart over time.</p>")
    if quiet is not None:
        parts.append(_quiet_table(quiet))
    parts.append("<h2>Who would get the maintenance answer</h2>")
    parts.append(_top_table("Networks", summary.networks["maintenance"]))
    parts.append(_top_table("Paths", summary.paths["maintenance"]))
    if summary.rules:
        parts.append(_top_table("Why requests pass", summary.rules))
    parts.append("</body></html>")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("\n".join(parts) + "\n")


def _totals(summary: Any) -> str:
    total = summary.replayed
    rows = "".join(
        f"<tr><td>{c}</td><td class=n>{summary.counts[c]:,}</td>"
        f"<td class=n>{(summary.counts[c] / total if total else 0):.1%}</td></tr>"
        for c in CLASSES
    )
    return (
        f"<p>{count(summary.lines, 'line')}, {total:,} replayed, "
        f"{summary.malformed:,} malformed.</p>"
        f"<table><tr><th>class</th><th>requests</th><th>share</th></tr>{rows}</table>"
    )


def _svg(plt: Any, figure: Any) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(figure)
    text = buffer.getvalue()
    # The RDF metadata block only names vocabularies; the page needs none of it.
    text = re.sub(r"<metadata>.*?</metadata>", "", text, flags=re.S)
    return text[text.index("<svg") :]


def _timeline_svg(plt: Any, points: list[tuple[datetime, list[int]]]) -> str:
    unit = "5 minutes"
    if len(points) > 2 * PER_DAY:  # beyond two days, hours read better
        hourly: dict[datetime, list[int]] = {}
        for moment, counts in points:
            add_counts(hourly, moment.replace(minute=0), counts)
        points, unit = sorted(hourly.items()), "hour"
    figure, axes = plt.subplots(figsize=(11, 3.6))
    moments = [m for m, _ in points]
    colours = {"pass": "#4c9a2a", "maintenance": "#d1495b", "redirect": "#edae49", "error": "#333"}
    axes.stackplot(
        moments,
        *[[c[i] for _, c in points] for i in range(len(CLASSES))],
        labels=CLASSES,
        colors=[colours[c] for c in CLASSES],
    )
    axes.set_ylabel(f"requests per {unit}")
    # Above the plot, on the page's white: over the areas, a swatch would vanish into the
    # area of its own colour.
    axes.legend(loc="lower left", bbox_to_anchor=(0, 1.01), ncols=4, frameon=False)
    axes.margins(x=0)
    figure.autofmt_xdate()
    return _svg(plt, figure)


def _heatmap_svg(plt: Any, points: list[tuple[datetime, list[int]]]) -> str:
    grid = [[0.0] * 24 for _ in range(7)]
    days: list[set[Any]] = [set() for _ in range(7)]
    for moment, counts in points:
        grid[moment.weekday()][moment.hour] += counts[AFFECTED]
        days[moment.weekday()].add(moment.date())
    for weekday in range(7):
        if days[weekday]:
            grid[weekday] = [v / len(days[weekday]) for v in grid[weekday]]
    figure, axes = plt.subplots(figsize=(11, 3.2))
    image = axes.imshow(grid, aspect="auto", cmap="Reds")
    axes.set_yticks(range(7), [d[:3] for d in WEEKDAYS])
    axes.set_xticks(range(0, 24, 2))
    axes.set_xlabel("hour (UTC); per day with data")
    figure.colorbar(image, ax=axes, label="affected requests")
    return _svg(plt, figure)


def _quiet_table(quiet: Quiet) -> str:
    minutes = int(quiet.length.total_seconds() // 60)
    rows = "".join(
        f"<tr><td>{_span(w)}</td><td class=n>{number(w.affected)}</td>"
        f"<td class=n>{number(w.requests)}</td></tr>"
        for w in quiet.overall
    )
    days = "".join(
        f"<tr><td>{d}s {w.start:%H:%M}-{w.end:%H:%M} UTC</td><td class=n>{number(w.affected)}</td>"
        f"<td class=n>{number(w.requests)}</td></tr>"
        for d, w in quiet.weekdays.items()
    )
    return (
        f"<h2>Quietest {minutes}-minute windows</h2>"
        "<table><tr><th>window</th><th>would get maintenance</th><th>requests</th></tr>"
        f"{rows}</table>"
        "<table><tr><th>by weekday</th><th>a day, would get maintenance</th>"
        f"<th>a day, requests</th></tr>{days}</table>"
    )


def _top_table(title: str, counts: Any) -> str:
    items = top(counts, 15)
    rows = "".join(
        f"<tr><td>{html.escape(str(k))}</td><td class=n>{n:,}</td></tr>" for k, n in items
    )
    return f"<h3>{html.escape(title)}</h3><table>{rows or '<tr><td>none</td></tr>'}</table>"
