"""Bytes of the rendered function per sample and for the `cffunc init` starter, before and now.

    python -m benchmarks.bytes

Renders every samples/*.toml config and the starter (as written, then with toggle = "kvs",
then also with the bypass, then also with store_unreadable = "maintenance"), and prints
total and logic bytes (logic: the total less the page and the allowlist, in the form
the render deployed: tables or list, cffunc/function/addresses.py) next to the
figures measured before the deployed code was minified, the room left for a composed
function (as `render --stats` shows it), and the change. With toggle = "kvs" in respond
mode the page is kept in the store, not the code, so it counts nothing here. BEFORE was measured at commit
e6e5c75 with `cffunc -c samples/X.toml render --stats` (CFFUNC_BYPASS_SECRET set).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

from cffunc.config.load import load_config
from cffunc.config.starter import write_starter
from cffunc.function.compose import room_for_foreign
from cffunc.function.render import render_code
from cffunc.function.rules import compile_rules

ROOT = Path(__file__).resolve().parent.parent
ENV = {"CFFUNC_BYPASS_SECRET": "benchmark-secret-0123456789"}

BEFORE = {  # name: (total, logic) at e6e5c75
    "api": (5_944, 4_532),
    "cffunc": (5_002, 4_891),
    "composed": (3_891, 3_818),
    "fleet": (3_084, 1_666),
    "kvs": (8_002, 7_898),
    "readonly": (3_926, 3_890),
    "respond": (5_869, 4_270),
    "tenants": (8_621, 7_179),
    "starter": (4_247, 2_778),
    "starter kvs": (7_902, 6_433),
    "starter kvs+bypass": (8_806, 7_337),
    "starter kvs+bypass+closed": (8_869, 7_400),
}

STARTER_EDITS = {
    "starter": [],
    "starter kvs": [('mode = "respond"', 'toggle = "kvs"\nmode = "respond"')],
    "starter kvs+bypass": [
        ('mode = "respond"', 'toggle = "kvs"\nmode = "respond"'),
        ("# bypass_secret_env", "bypass_secret_env"),
    ],
    "starter kvs+bypass+closed": [
        ('mode = "respond"', 'toggle = "kvs"\nstore_unreadable = "maintenance"\nmode = "respond"'),
        ("# bypass_secret_env", "bypass_secret_env"),
    ],
}


def configs(folder: Path) -> Iterator[tuple[str, Path]]:
    for path in sorted((ROOT / "samples").glob("*.toml")):
        if not path.stem.endswith("scenarios"):
            yield path.stem, path
    write_starter(folder, "starter", None)
    text = (folder / "cffunc.toml").read_text()
    for name, edits in STARTER_EDITS.items():
        edited = text
        for old, new in edits:
            assert old in edited, old
            edited = edited.replace(old, new, 1)
        path = folder / f"{name.replace(' ', '-').replace('+', '-')}.toml"
        path.write_text(edited)
        yield name, path


def main() -> None:
    print(f"{'config':<26} {'total':>15} {'change':>7} {'logic':>13} {'room':>7}")
    with tempfile.TemporaryDirectory() as folder:
        for name, path in configs(Path(folder)):
            rules = compile_rules(load_config(path), ENV)
            stats = render_code(rules).stats
            total_before, logic_before = BEFORE.get(name, (0, 0))
            change = f"{stats.total / total_before - 1:+.0%}" if total_before else ""
            print(
                f"{name:<26} {total_before:>6,} -> {stats.total:>5,} {change:>7} "
                f"{logic_before:>5,} -> {stats.logic:>5,} {room_for_foreign(rules):>7,}"
            )


if __name__ == "__main__":
    main()
