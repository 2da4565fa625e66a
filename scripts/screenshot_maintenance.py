"""Rewrite docs/images/maintenance-page.png: the sample's maintenance page as Debian's
chromium renders it through `cffunc serve` (shown in the docs, guides/preview.md).

python scripts/screenshot_maintenance.py
"""

from __future__ import annotations

import os
import shutil
import sys
import threading
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cffunc.serve import Edge, serve_forever  # noqa: E402
from scripts.sample_secret import ENV  # noqa: E402

FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip


def main() -> None:
    from playwright.sync_api import sync_playwright

    edge = Edge(
        ROOT / "samples" / "cffunc.toml", {**os.environ, **ENV},
        now=datetime.fromisoformat("2026-12-01T03:00:00+00:00"), log=lambda _: None,
    )  # fmt: skip
    ready = threading.Event()
    urls: list[str] = []
    threading.Thread(
        target=serve_forever,
        args=(edge, "127.0.0.1", 0, lambda url: (urls.append(url), ready.set())),
        daemon=True,
    ).start()
    ready.wait(30)
    target = ROOT / "docs" / "images" / "maintenance-page.png"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium"), args=FLAGS)
        page = browser.new_page(viewport={"width": 900, "height": 520})
        page.goto(f"{urls[0]}/checkout")
        page.screenshot(path=str(target))
        browser.close()
    print(f"{target}: {target.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
