"""replay's plan for the window: the quietest windows against a brute force, and the HTML
report opened in a real headless browser (Debian's chromium)."""

from __future__ import annotations

import random
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from benchmarks.loggen import FIELDS, LoggedRequest, line
from cffunc.replay.report import ReportError, parse_window, quietest
from tests.helpers import SAMPLES, SECRET, Processes, invoke

START = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)  # a Monday


def timeline(days: int, seed: int) -> dict[str, list[int]]:
    rng = random.Random(seed)
    out = {}
    for step in range(days * 288):
        if rng.random() < 0.1:
            continue  # some five minutes have no requests at all
        moment = START + timedelta(minutes=5 * step)
        busy = 1 + 9 * (8 <= moment.hour < 20)
        out[moment.strftime("%Y-%m-%dT%H:%M")] = [rng.randrange(5 * busy) for _ in range(4)]
    return out


def test_quietest_windows_match_a_brute_force() -> None:
    data = timeline(9, 1)
    quiet = quietest(data, timedelta(hours=2))
    points = sorted(
        (datetime.strptime(k, "%Y-%m-%dT%H:%M").replace(tzinfo=UTC), v[1]) for k, v in data.items()
    )
    first, last = points[0][0], points[-1][0]
    counts = dict(points)

    def affected(start: datetime, length: timedelta) -> int:
        steps = int(length / timedelta(minutes=5))
        return sum(counts.get(start + timedelta(minutes=5 * i), 0) for i in range(steps))

    starts = []
    at = first
    while at + timedelta(hours=2) - timedelta(minutes=5) <= last:
        starts.append(at)
        at += timedelta(minutes=5)
    best = min(affected(s, timedelta(hours=2)) for s in starts)
    assert quiet.overall[0].affected == best
    assert quiet.overall[0].affected == affected(quiet.overall[0].start, timedelta(hours=2))
    assert len(quiet.overall) == 3
    assert all(abs(a.start - b.start) >= timedelta(hours=2)
               for a in quiet.overall for b in quiet.overall if a is not b)  # fmt: skip
    # Per weekday: the average over that weekday's days, checked for Mondays by hand.
    monday = quiet.weekdays["Monday"]
    mondays = [START + timedelta(days=d) for d in (0, 7)]
    slots = [(monday.start - START) + timedelta(minutes=5 * i) for i in range(24)]
    by_hand = sum(counts.get(day + s, 0) for day in mondays for s in slots) / 2
    assert monday.affected == pytest.approx(by_hand)
    assert set(quiet.weekdays) == {
        "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday",
    }  # fmt: skip


@pytest.mark.parametrize("text", ["", "2", "7m", "25h", "0m", "2h-"])
def test_bad_windows_say_what_to_give(text: str) -> None:
    with pytest.raises(ReportError, match="--window"):
        parse_window(text)


def write_timed_log(path: Path, days: int) -> None:
    rng = random.Random(7)
    paths = ["/", "/checkout", "/health", "/api/orders", "/maintenance/app.css"]
    with path.open("w", encoding="utf-8") as handle:
        handle.write("#Version: 1.0\n#Fields: " + " ".join(FIELDS) + "\n")
        for number in range(days * 400):
            moment = START + timedelta(seconds=rng.randrange(days * 86400))
            ip = "203.0.113.5" if rng.random() < 0.2 else f"192.0.2.{rng.randrange(256)}"
            request = LoggedRequest(ip, "GET", rng.choice(paths), "", "", "Mozilla/5.0")
            handle.write(line(request, moment, number) + "\n")


CHROMIUM = shutil.which("chromium")
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


def test_the_report_renders_in_a_real_browser(tmp_path: Path, processes: Processes) -> None:
    """The page needs no network, draws its charts, logs no console error, and its
    screenshot is not blank."""
    assert CHROMIUM, "the report test needs Debian's chromium: apt-get install -y chromium"
    log = tmp_path / "access.log"
    write_timed_log(log, 8)
    page = tmp_path / "report.html"
    args = ["-c", str(SAMPLES / "cffunc.toml"), "replay", "--now", "2026-12-01T03:00:00Z",
            "--jobs", "1", "--window", "2h", "--html", str(page), str(log)]  # fmt: skip
    ran = invoke(args, {"CFFUNC_BYPASS_SECRET": SECRET})
    assert ran.returncode == 0, ran.stderr
    assert "quietest 120-minute windows" in ran.stdout
    text = page.read_text()
    # No script and nothing to fetch: the only URLs are the XML namespaces of SVG.
    assert "<script" not in text and "http" not in text.replace("http://www.w3.org/", "")
    assert text.count("<svg") == 2 and "Quietest 120-minute windows" in text
    profile = tmp_path / "profile"
    shot = tmp_path / "shot.png"
    common = [CHROMIUM, *FLAGS, f"--user-data-dir={profile}"]
    dom = processes.run(
        [*common, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120
    )
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert dom.stdout.count("<svg") == 2 and "Who would get the maintenance answer" in dom.stdout
    rendered = processes.run(
        [*common, "--enable-logging=stderr", "--v=0", "--window-size=1280,2000",
         f"--screenshot={shot}", page.as_uri()],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert rendered.returncode == 0, rendered.stderr[-2000:]
    console = [x for x in rendered.stderr.splitlines() if "CONSOLE" in x or "Uncaught" in x]
    assert console == []
    import matplotlib.image

    pixels = matplotlib.image.imread(shot)
    assert pixels.shape[0] > 500 and pixels.std() > 0.05  # not a blank page
    reds = (pixels[..., 0] > 0.7) & (pixels[..., 1] < 0.45) & (pixels[..., 2] < 0.5)
    assert reds.sum() > 1000  # the charts' maintenance red is drawn
